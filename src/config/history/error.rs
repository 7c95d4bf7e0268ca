//! Why a history operation was refused, and how the admin API answers it.

use serde_json::{json, Value};

use super::{MAX_NOTE_CHARS, VERSIONS_KEY};
use crate::config::ConfigError;

/// Why an operation was refused; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// The config does not compile: every error, with its path.
    Invalid(Vec<ConfigError>),
    /// The index under [`VERSIONS_KEY`] cannot be read.
    CorruptIndex(String),
    /// Another version became active meanwhile (`If-Match` did not match).
    NotActive {
        /// The version the request expected to be active.
        expected: u64,
        /// The version that is (none before the first upload, or when the active config was
        /// changed outside Tailor).
        active: Option<u64>,
    },
    /// No kept version has this number.
    UnknownVersion(u64),
    /// The index lists the version but its text is gone from KV.
    VersionGone(u64),
    /// The stored text of a version is not what was uploaded (its hash differs).
    VersionDamaged(u64),
    /// Nothing to roll back to.
    NoEarlierVersion,
    /// The note is longer than [`MAX_NOTE_CHARS`].
    NoteTooLong,
}

impl HistoryError {
    /// The HTTP status the admin API answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::NotActive { .. } => 412,
            Self::UnknownVersion(_) | Self::VersionGone(_) => 404,
            Self::CorruptIndex(_) | Self::VersionDamaged(_) | Self::NoEarlierVersion => 409,
            Self::NoteTooLong => 400,
        }
    }

    /// The JSON body the admin API answers with: `error`, and for an invalid config `errors`
    /// (each with `path` and `message`).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Invalid(errors) => json!({
                "error": self.to_string(),
                "errors": errors
                    .iter()
                    .map(ConfigError::to_json)
                    .collect::<Vec<_>>(),
            }),
            Self::NotActive { active, .. } => json!({"error": self.to_string(), "active": active}),
            _ => json!({"error": self.to_string()}),
        }
    }
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(errors) => write!(
                f,
                "the config has {} error(s); nothing was written",
                errors.len()
            ),
            Self::CorruptIndex(reason) => write!(
                f,
                "the version index under {VERSIONS_KEY:?} is corrupt ({reason}); nothing was \
                 written. Repair it, or delete it to start a new history (the active config \
                 then becomes version 1)"
            ),
            Self::NotActive {
                expected,
                active: Some(active),
            } => write!(
                f,
                "version {active} is active, not {expected}: someone else changed the config; \
                 nothing was written"
            ),
            Self::NotActive {
                expected,
                active: None,
            } => write!(
                f,
                "no recorded version is active (the config is missing, or was changed outside \
                 Tailor), not {expected}; nothing was written"
            ),
            Self::UnknownVersion(number) => write!(f, "no kept version has the number {number}"),
            Self::VersionGone(number) => {
                write!(f, "version {number}'s text is no longer in KV")
            }
            Self::VersionDamaged(number) => write!(
                f,
                "version {number}'s stored text differs from what was uploaded (its SHA-256 \
                 does not match); not restored"
            ),
            Self::NoEarlierVersion => write!(f, "there is no earlier version to roll back to"),
            Self::NoteTooLong => write!(f, "the note is over {MAX_NOTE_CHARS} characters"),
        }
    }
}

impl std::error::Error for HistoryError {}
