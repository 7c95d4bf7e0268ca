//! The merchant's config document: parsed, validated and compiled once per isolate.

mod error;

pub use error::{describe_json, ConfigError};
