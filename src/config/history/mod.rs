//! Versions of the merchant's config in KV: every upload kept, any of them restorable.
//!
//! The page path reads only [`CONFIG_KEY`](crate::config::CONFIG_KEY) (the active text), exactly as before. Beside it:
//! - `config:version:<n>` ([`version_key`]): the exact text of version `n`;
//! - `config:versions` ([`VERSIONS_KEY`]): the [`VersionIndex`]: which version is active, every
//!   kept version's metadata, and a log of uploads and rollbacks.
//!
//! Uploading and rolling back are pure functions from what KV holds ([`Stored`]) to a [`Plan`]
//! of writes and deletes, shared by the worker's admin API and the `tailor` CLI, so both
//! validate with the same compiler and write the same keys in the same order:
//! version text first, then `config`, then the index; pruned versions are deleted last. A
//! failure part-way leaves at worst an orphan version key or an index one step behind `config`,
//! and the next operation repairs the latter: an active text the index does not know (also one
//! put with `wrangler kv key put config` by hand) is adopted as a new version before anything
//! else, so it can always be rolled back to.
//!
//! A corrupt index is never replaced by a fresh one: that would silently orphan the history it
//! describes. Every operation refuses with [`HistoryError::CorruptIndex`] until a person repairs
//! the document or deletes it deliberately.

mod error;
mod index;
mod plan;
mod request;

pub use error::HistoryError;
pub use index::{sha256_hex, LogAction, LogEntry, Source, VersionEntry, VersionIndex};
pub use plan::{rollback, rollback_target, upload, Outcome, Plan, Stored, Upload};
pub use request::{etag, parse_if_match, parse_rollback_request};

/// The KV key of the version index.
pub const VERSIONS_KEY: &str = "config:versions";
/// Version texts live under this prefix followed by their number.
pub const VERSION_KEY_PREFIX: &str = "config:version:";
/// How many versions are kept (the newest ones; the active one is kept whatever its age).
pub const KEPT_VERSIONS: usize = 50;
/// How many log entries are kept (the newest ones).
pub const KEPT_LOG_ENTRIES: usize = 200;
/// The largest config document accepted, in bytes (KV itself takes up to 25 MiB, but every
/// isolate parses the active config: a megabyte is already far beyond a sane one).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// The longest note an upload may carry, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// The KV key holding version `number`'s text.
pub fn version_key(number: u64) -> String {
    format!("{VERSION_KEY_PREFIX}{number}")
}
