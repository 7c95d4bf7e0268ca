//! TEMPORARY STUB until the condition branch merges: implicit equality on dotted paths only.
#![allow(missing_docs)]
use crate::config::ConfigError;
use serde_json::Value;
#[derive(Debug, Clone)]
pub struct Condition(Value);
impl Condition {
    pub fn compile(json: &Value, path: &str) -> Result<Self, Vec<ConfigError>> {
        match json {
            Value::Object(_) => Ok(Self(json.clone())),
            _ => Err(vec![ConfigError::new(path, "expected an object")]),
        }
    }
    pub fn matches(&self, attributes: &Value) -> bool {
        self.0.as_object().is_some_and(|o| {
            o.iter()
                .all(|(k, v)| k.split('.').try_fold(attributes, |a, p| a.get(p)) == Some(v))
        })
    }
}
