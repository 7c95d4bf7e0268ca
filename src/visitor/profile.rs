//! The visitor's profile, stored in KV by the merchant's systems (and later by webhooks):
//! orders, spend, preferences, engagement. Read once per page view, never written by it.

use serde_json::{Map, Value};
use std::fmt;

use super::VisitorId;

/// The KV key of a visitor's profile.
pub fn profile_key(id: &VisitorId) -> String {
    format!("profile:{id}")
}

/// The KV key of a logged-in customer's profile (kept by store webhooks).
pub fn customer_profile_key(customer_id: &str) -> String {
    format!("profile:customer:{customer_id}")
}

/// A profile document: a JSON object whose fields conditions and templates can read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile(Map<String, Value>);

/// Why a stored profile was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// The KV value is not JSON.
    NotJson(String),
    /// The KV value is JSON but not an object.
    NotAnObject,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(reason) => write!(f, "profile is not valid JSON: {reason}"),
            Self::NotAnObject => f.write_str("profile is not a JSON object"),
        }
    }
}

impl std::error::Error for ProfileError {}

impl Profile {
    /// Parses a stored profile; the caller ignores a malformed one (with a log line).
    pub fn parse(text: &str) -> Result<Self, ProfileError> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(fields)) => Ok(Self(fields)),
            Ok(_) => Err(ProfileError::NotAnObject),
            Err(e) => Err(ProfileError::NotJson(e.to_string())),
        }
    }

    /// The profile's fields.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Whether the shopper opted out of personalization (`"optedOut": true`, set by the
    /// opt-out route): then the profile must not be used.
    pub fn opted_out(&self) -> bool {
        self.0.get("optedOut") == Some(&Value::Bool(true))
    }
}

impl From<Map<String, Value>> for Profile {
    fn from(fields: Map<String, Value>) -> Self {
        Self(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_objects_are_profiles() {
        assert!(Profile::parse(r#"{"orders":{"count":3}}"#).is_ok());
        assert_eq!(Profile::parse("[1,2]"), Err(ProfileError::NotAnObject));
        assert_eq!(Profile::parse("null"), Err(ProfileError::NotAnObject));
        assert!(matches!(
            Profile::parse("{broken"),
            Err(ProfileError::NotJson(_))
        ));
    }
}
