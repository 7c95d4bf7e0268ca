//! Workers KV from the command line, through wrangler (`wrangler kv key get/put/delete/list
//! --binding TAILOR_KV`): local state by default (what `wrangler dev` and `npm run demo` use),
//! Cloudflare's namespace with `--remote`.
//!
//! wrangler is `node_modules/.bin/wrangler` when run from the project, else `wrangler` on the
//! PATH; `TAILOR_WRANGLER` names another. It reads `wrangler.toml` from the current directory
//! (or above) for the namespace's id.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The KV binding holding the config (the worker's `TAILOR_KV`).
pub const BINDING: &str = "TAILOR_KV";

/// What wrangler prints for a missing key (exit code 0).
const NOT_FOUND: &str = "Value not found\n";

/// Which KV namespace to use.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Namespace {
    /// Use the real namespace on Cloudflare (needs `wrangler login`) instead of local state.
    #[arg(long)]
    pub remote: bool,
    /// Keep local state in DIR instead of `.wrangler/state` (wrangler's `--persist-to`).
    #[arg(long, value_name = "DIR", conflicts_with = "remote")]
    pub persist_to: Option<PathBuf>,
}

/// The value under `key` (`Ok(None)` when there is none), local state unless `remote`: how
/// `tailor explain --profile-key` reads a profile.
pub fn get(key: &str, remote: bool) -> Result<Option<String>, String> {
    Namespace {
        remote,
        persist_to: None,
    }
    .get(key)
}

impl Namespace {
    /// Where the values are, for messages: `local` or `remote`.
    pub fn describe(&self) -> String {
        match (&self.persist_to, self.remote) {
            (_, true) => "remote".to_string(),
            (Some(dir), false) => format!("local, in {}", dir.display()),
            (None, false) => "local".to_string(),
        }
    }

    /// The value under `key`, or `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<String>, String> {
        let stdout = self.run(&["get", key], &[])?;
        if stdout == NOT_FOUND.as_bytes() {
            // NOTE: a value could be that very text; only a listing tells them apart.
            if !self.list(key)?.iter().any(|k| k == key) {
                return Ok(None);
            }
        }
        String::from_utf8(stdout)
            .map(Some)
            .map_err(|_| format!("the value under {key:?} is not UTF-8 text"))
    }

    /// Writes `value` under `key` (through a temporary file: no argv limit, no quoting).
    pub fn put(&self, key: &str, value: &str) -> Result<(), String> {
        let file = TempFile::with(value)?;
        let path = OsString::from(file.path());
        self.run(&["put", key], &[OsString::from("--path"), path])
            .map(|_| ())
    }

    /// Deletes `key` (nothing happens when it is missing).
    pub fn delete(&self, key: &str) -> Result<(), String> {
        self.run(&["delete", key], &[]).map(|_| ())
    }

    /// The keys starting with `prefix`.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
        let stdout = self.run(&["list"], &["--prefix".into(), prefix.into()])?;
        let listed: serde_json::Value = serde_json::from_slice(&stdout).map_err(|e| {
            format!(
                "wrangler's key list is not JSON ({e}): {}",
                String::from_utf8_lossy(&stdout)
            )
        })?;
        Ok(listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.get("name")?.as_str().map(str::to_string))
            .collect())
    }

    /// Runs `wrangler kv key <args> --binding TAILOR_KV` with the namespace's flags; its stdout,
    /// or an error with its stderr.
    fn run(&self, args: &[&str], more: &[OsString]) -> Result<Vec<u8>, String> {
        let wrangler = wrangler();
        let mut command = Command::new(&wrangler);
        command
            .args(["kv", "key"])
            .args(args)
            .args(more)
            .args(["--binding", BINDING])
            .arg(if self.remote { "--remote" } else { "--local" })
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .stdin(Stdio::null());
        if let Some(dir) = &self.persist_to {
            command.arg("--persist-to").arg(dir);
        }
        let shown = format!("{} kv key {}", wrangler.display(), args.join(" "));
        let output = command.output().map_err(|e| {
            format!(
                "cannot run {} ({e}): install the project's tools with `npm install`, put \
                 wrangler on the PATH, or name it in TAILOR_WRANGLER",
                wrangler.display()
            )
        })?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            Err(format!(
                "`{shown}` failed ({}):\n{}",
                output.status,
                without_colours(&format!("{stderr}{stdout}")).trim()
            ))
        }
    }
}

/// `text` without terminal colour codes (`ESC [ ... m`), which wrangler writes even to a pipe.
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip to the end of the escape sequence (a letter ends it).
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The wrangler to run.
fn wrangler() -> PathBuf {
    if let Some(named) = std::env::var_os("TAILOR_WRANGLER").filter(|v| !v.is_empty()) {
        return PathBuf::from(named);
    }
    let local = Path::new("node_modules/.bin/wrangler");
    if local.exists() {
        local.to_path_buf()
    } else {
        PathBuf::from("wrangler")
    }
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(contents: &str) -> Result<Self, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "tailor-kv-{}-{}.txt",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_removed_from_wrangler_errors() {
        assert_eq!(
            without_colours("\u{1b}[31m✘ \u{1b}[41;31m[\u{1b}[41;97mERROR\u{1b}[41;31m]\u{1b}[0m \u{1b}[1mNo token\u{1b}[0m"),
            "✘ [ERROR] No token"
        );
        assert_eq!(without_colours("plain"), "plain");
    }
}
