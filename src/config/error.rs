//! Errors found in the merchant's config, each located by its JSON path so the merchant can
//! find and fix it.

use std::fmt;

/// One problem in the merchant's config document.
///
/// `path` is a JSON path such as `segments[3].when.orders.count.$gt`; `message` says what was
/// expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where in the document the problem is, e.g. `slots[0].selector`.
    pub path: String,
    /// What is wrong, e.g. `expected a number, found "three"`.
    pub message: String,
}

impl ConfigError {
    /// An error at `path` with `message`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Describes a JSON value's kind and a short excerpt, for messages like `found "three"`.
pub fn describe_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if s.chars().count() > 40 => {
            let short: String = s.chars().take(40).collect();
            format!("\"{short}…\"")
        }
        serde_json::Value::Array(a) => format!("an array of {} items", a.len()),
        serde_json::Value::Object(_) => "an object".to_string(),
        other => other.to_string(),
    }
}
