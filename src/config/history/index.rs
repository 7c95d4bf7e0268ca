//! The version index document: which version is active, each kept version's metadata, and
//! the log of changes; read strictly (a damaged index is an error, never a fresh start).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{version_key, HistoryError, KEPT_LOG_ENTRIES, KEPT_VERSIONS};

/// The version index document stored under [`VERSIONS_KEY`](super::VERSIONS_KEY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionIndex {
    /// The number of the version under [`CONFIG_KEY`](crate::config::CONFIG_KEY) (0 only before the first version).
    pub active: u64,
    /// The kept versions, oldest first.
    pub versions: Vec<VersionEntry>,
    /// Uploads, rollbacks and adoptions, oldest first.
    pub log: Vec<LogEntry>,
}

/// One kept version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionEntry {
    /// Its number: 1, 2, 3… in upload order, never reused.
    pub number: u64,
    /// The config's own `version` field (`unversioned` without one).
    pub version: String,
    /// When it was uploaded, in milliseconds since the Unix epoch.
    pub uploaded_at: u64,
    /// Who uploaded it.
    pub source: Source,
    /// The uploader's note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// SHA-256 of the text, lowercase hex: detects identical uploads and damaged copies.
    pub sha256: String,
    /// The text's length in bytes.
    pub bytes: u64,
}

/// Who uploaded a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The worker's admin API (`PUT /__tailor/config`).
    Api,
    /// The `tailor push` command.
    Cli,
    /// Found under [`CONFIG_KEY`](crate::config::CONFIG_KEY) without a version (put there by other means) and kept.
    Adopted,
}

impl Source {
    /// The source's name in the index (`api`, `cli`, `adopted`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cli => "cli",
            Self::Adopted => "adopted",
        }
    }

    pub(super) fn named(name: &str) -> Option<Self> {
        [Self::Api, Self::Cli, Self::Adopted]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// One entry of the index's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// When, in milliseconds since the Unix epoch.
    pub at: u64,
    /// What happened.
    pub action: LogAction,
    /// The version active before (none before the first).
    pub from: Option<u64>,
    /// The version active after.
    pub to: u64,
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogAction {
    /// A new version was uploaded and made active.
    Upload,
    /// An earlier (or later) kept version was made active again.
    Rollback,
    /// An unrecorded active text was kept as a version.
    Adopt,
}

impl LogAction {
    pub(super) fn named(name: &str) -> Option<Self> {
        match name {
            "upload" => Some(Self::Upload),
            "rollback" => Some(Self::Rollback),
            "adopt" => Some(Self::Adopt),
            _ => None,
        }
    }
}

impl VersionIndex {
    /// Reads the index document; an index that is not JSON of this shape, or that contradicts
    /// itself (duplicate numbers, an active version it does not list), is an error.
    pub fn parse(text: &str) -> Result<Self, HistoryError> {
        let document: Value =
            serde_json::from_str(text).map_err(|e| HistoryError::CorruptIndex(e.to_string()))?;
        let index = Self::from_json(&document).map_err(HistoryError::CorruptIndex)?;
        for (at, entry) in index.versions.iter().enumerate() {
            if entry.number == 0
                || index.versions[..at]
                    .iter()
                    .any(|e| e.number == entry.number)
            {
                return Err(HistoryError::CorruptIndex(format!(
                    "version number {} is zero or listed twice",
                    entry.number
                )));
            }
        }
        if index.entry(index.active).is_none() {
            return Err(HistoryError::CorruptIndex(format!(
                "the active version {} is not listed",
                index.active
            )));
        }
        Ok(index)
    }

    // NOTE: read by hand rather than with serde's derive: the derived deserializers cost the
    // Worker's Wasm ~10 KiB, this a fraction of it.
    fn from_json(document: &Value) -> Result<Self, String> {
        let number = |value: &Value, at: &str, field: &str| {
            value
                .get(field)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("{at}{field}: expected a whole number"))
        };
        let text = |value: &Value, at: &str, field: &str| {
            value
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{at}{field}: expected a string"))
        };
        let list = |field: &str| match document.get(field) {
            None => Ok(&[][..]),
            Some(Value::Array(items)) => Ok(items.as_slice()),
            Some(_) => Err(format!("{field}: expected an array")),
        };
        let mut versions = Vec::new();
        for (i, item) in list("versions")?.iter().enumerate() {
            let at = format!("versions[{i}].");
            let source = text(item, &at, "source")?;
            versions.push(VersionEntry {
                number: number(item, &at, "number")?,
                version: text(item, &at, "version")?,
                uploaded_at: number(item, &at, "uploadedAt")?,
                source: Source::named(&source)
                    .ok_or_else(|| format!("{at}source: unknown source {source:?}"))?,
                note: item.get("note").and_then(Value::as_str).map(str::to_string),
                sha256: text(item, &at, "sha256")?,
                bytes: number(item, &at, "bytes")?,
            });
        }
        let mut log = Vec::new();
        for (i, item) in list("log")?.iter().enumerate() {
            let at = format!("log[{i}].");
            let action = text(item, &at, "action")?;
            log.push(LogEntry {
                at: number(item, &at, "at")?,
                action: LogAction::named(&action)
                    .ok_or_else(|| format!("{at}action: unknown action {action:?}"))?,
                from: item.get("from").and_then(Value::as_u64),
                to: number(item, &at, "to")?,
            });
        }
        Ok(Self {
            active: number(document, "", "active")?,
            versions,
            log,
        })
    }

    /// The stored index, or `None` when there is none yet.
    pub fn load(text: Option<&str>) -> Result<Option<Self>, HistoryError> {
        text.map(Self::parse).transpose()
    }

    /// The kept version with this number.
    pub fn entry(&self, number: u64) -> Option<&VersionEntry> {
        self.versions.iter().find(|e| e.number == number)
    }

    /// The active version's entry (`None` only before the first version).
    pub fn active_entry(&self) -> Option<&VersionEntry> {
        self.entry(self.active)
    }

    /// The version a rollback without a number restores: the newest one older than the active.
    pub fn previous(&self) -> Option<u64> {
        self.versions
            .iter()
            .map(|e| e.number)
            .filter(|n| *n < self.active)
            .max()
    }

    /// The index as stored (compact JSON).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub(super) fn next_number(&self) -> u64 {
        self.versions.iter().map(|e| e.number).max().unwrap_or(0) + 1
    }

    pub(super) fn activate(&mut self, to: u64, action: LogAction, at: u64) {
        let from = Some(self.active).filter(|n| *n != 0);
        self.log.push(LogEntry {
            at,
            action,
            from,
            to,
        });
        let excess = self.log.len().saturating_sub(KEPT_LOG_ENTRIES);
        self.log.drain(..excess);
        self.active = to;
    }

    /// Adds a version and makes it active; returns its number.
    pub(super) fn add(&mut self, entry: NewEntry<'_>, action: LogAction) -> u64 {
        let number = self.next_number();
        self.versions.push(VersionEntry {
            number,
            version: entry.version,
            uploaded_at: entry.at,
            source: entry.source,
            note: entry.note.map(str::to_string),
            sha256: sha256_hex(entry.text),
            bytes: entry.text.len() as u64,
        });
        self.activate(number, action, entry.at);
        number
    }

    /// Drops all but the newest [`KEPT_VERSIONS`] versions (and the active one); returns the
    /// dropped versions' keys.
    pub(super) fn prune(&mut self) -> Vec<String> {
        let mut numbers: Vec<u64> = self.versions.iter().map(|e| e.number).collect();
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        let kept: Vec<u64> = numbers.into_iter().take(KEPT_VERSIONS).collect();
        let active = self.active;
        let (keep, drop): (Vec<VersionEntry>, Vec<VersionEntry>) = self
            .versions
            .drain(..)
            .partition(|e| e.number == active || kept.contains(&e.number));
        self.versions = keep;
        drop.iter().map(|e| version_key(e.number)).collect()
    }
}

pub(super) struct NewEntry<'a> {
    pub(super) text: &'a str,
    pub(super) version: String,
    pub(super) source: Source,
    pub(super) note: Option<&'a str>,
    pub(super) at: u64,
}

/// SHA-256 of `text`, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
