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

    /// `{"path": …, "message": …}`, as the admin API lists errors.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"path": self.path, "message": self.message})
    }

    /// How to fix the problem, when the kind of message says: the CLI prints it under the
    /// error, and the admin API can return it beside `path` and `message`.
    ///
    /// ```
    /// use tailor::ConfigError;
    /// let error = ConfigError::new("slots[1].content.vipp", "no segment has the id \"vipp\"");
    /// assert!(error.hint().is_some_and(|h| h.contains("segments")));
    /// ```
    pub fn hint(&self) -> Option<String> {
        let message = self.message.as_str();
        let suggested = message
            .split_once("(did you mean \"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name);
        let hint = match message {
            _ if message.starts_with("unknown field") => match suggested {
                Some(name) => format!("rename the field to \"{name}\""),
                None => "remove the field, or correct its name to one of those listed".into(),
            },
            _ if message.starts_with("not valid JSON") => {
                "look near the line and column shown for a missing comma, quote or brace".into()
            }
            _ if message.starts_with("expected a number") => {
                "write the number without quotes, e.g. 3 or 49.5".into()
            }
            _ if message.starts_with("expected a whole number") => {
                "write a whole number without quotes, e.g. 10".into()
            }
            _ if message.starts_with("expected a string") => {
                "put the value in double quotes".into()
            }
            _ if message.starts_with("expected true or false") => {
                "write true or false, without quotes".into()
            }
            _ if message.starts_with("expected an array") => {
                "wrap the value in square brackets: [ ... ]".into()
            }
            _ if message.starts_with("expected an object") => {
                "write an object with named fields: { \"name\": value, ... }".into()
            }
            _ if message.starts_with("is required") => "add this field; it has no default".into(),
            _ if message.starts_with("no segment has the id") => {
                "add a segment with this id under \"segments\", or use the id of an existing one"
                    .into()
            }
            _ if message.starts_with("no slot has the id") => {
                "add a slot with this id under \"slots\", or use the id of an existing one".into()
            }
            _ if message.starts_with("invalid CSS selector") => {
                "try the selector in the browser's console with document.querySelector(...)".into()
            }
            _ if message.starts_with("invalid regular expression") => {
                "escape special characters such as . ? ( ) [ with a backslash (\\\\ in JSON)".into()
            }
            _ if message.contains("is used by another") => {
                "give each entry its own id; ids are what content, cookies and reports refer to"
                    .into()
            }
            _ if message.contains("is not a valid id") => {
                "e.g. \"cart-abandoner\" or \"vip_2026\"".into()
            }
            _ if message.starts_with("weights sum to") => {
                "make the weights add up to exactly 1, e.g. [0.5, 0.5] or [0.34, 0.33, 0.33]".into()
            }
            _ if message.contains("weights for") => {
                "give exactly one weight per variation, control first".into()
            }
            _ if message.starts_with("must be after start") => {
                "swap the dates, or move the end after the start".into()
            }
            _ if message.starts_with("unknown action") => {
                "use one of the actions listed; they mirror HTMLRewriter's element methods".into()
            }
            _ => return None,
        };
        Some(hint)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_kind_of_message() {
        let hint = |message: &str| ConfigError::new("x", message).hint();
        assert_eq!(
            hint("unknown field (did you mean \"selector\"?); expected one of: id, selector")
                .as_deref(),
            Some("rename the field to \"selector\"")
        );
        assert!(hint("unknown field; expected one of: id")
            .is_some_and(|h| h.starts_with("remove the field")));
        assert!(hint("expected a number, found \"three\"")
            .is_some_and(|h| h.contains("without quotes")));
        assert!(hint("invalid CSS selector \"div[\": x").is_some());
        assert_eq!(hint("something nobody anticipated"), None);
    }
}
