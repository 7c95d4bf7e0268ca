//! `tailor push`, `tailor rollback` and `tailor history`: the config's versions in KV, planned
//! by the same code as the worker's admin API (`tailor::config::history`) and written through
//! wrangler. A config is validated before anything is read or written: an invalid one lists
//! every error and leaves KV untouched.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use tailor::config::history::{
    self, rollback_target, version_key, HistoryError, Plan, Source, Stored, Upload, VersionIndex,
    VERSIONS_KEY,
};
use tailor::config::CONFIG_KEY;
use tailor::content::{Catalog, CATALOG_KEY};
use tailor::rewrite::check_selector;
use tailor::visitor::timestamp::format_rfc3339;
use tailor::Config;

use crate::kv::Namespace;

/// `tailor push`.
#[derive(clap::Args, Debug)]
pub struct PushArgs {
    /// The config document to upload.
    pub config: PathBuf,
    /// A note kept with the version (what changed, and why).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// A product catalog: validated too, then written under `catalog` (not versioned).
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    #[command(flatten)]
    pub namespace: Namespace,
}

/// `tailor rollback`.
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The version number to restore (default: the one before the active version).
    pub version: Option<u64>,
    #[command(flatten)]
    pub namespace: Namespace,
}

/// `tailor history`.
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// Print the version index document as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub namespace: Namespace,
}

/// Why a command stopped: its message and exit code.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn refused(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }
}

impl From<HistoryError> for Failure {
    fn from(error: HistoryError) -> Self {
        let mut message = error.to_string();
        if let HistoryError::Invalid(errors) = &error {
            for e in errors {
                message.push_str(&format!("\nerror: {e}"));
                if let Some(hint) = e.hint() {
                    message.push_str(&format!("\n  hint: {hint}"));
                }
            }
        }
        Self::refused(message)
    }
}

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("tailor: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn read_file(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

/// Validates a config, then uploads it as a new active version.
pub fn push(args: &PushArgs) -> ExitCode {
    finish(run_push(args))
}

fn run_push(args: &PushArgs) -> Result<(), Failure> {
    let text = read_file(&args.config)?;
    let shown = args.config.display();
    // NOTE: checked before wrangler is even started, so an invalid file never touches KV.
    let config = Config::parse(&text, &check_selector).map_err(|errors| {
        let failure = Failure::from(HistoryError::Invalid(errors));
        Failure::refused(format!("{shown}: {}", failure.message))
    })?;
    let catalog = match &args.catalog {
        Some(path) => {
            let catalog_text = read_file(path)?;
            let catalog = Catalog::parse(&catalog_text).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(|e| format!("\nerror: {e}")).collect();
                Failure::refused(format!(
                    "{}: {} error(s); nothing was written{}",
                    path.display(),
                    errors.len(),
                    list.concat()
                ))
            })?;
            println!(
                "{}: valid ({} products)",
                path.display(),
                catalog.products().len()
            );
            Some(catalog_text)
        }
        None => None,
    };
    println!(
        "{shown}: valid (version {}, {} segments, {} slots)",
        config.version,
        config.segments.len(),
        config.slots.len()
    );
    let kv = &args.namespace;
    let (index, active) = read_stored(kv)?;
    let plan = history::upload(
        Stored::of(&index, &active),
        Upload {
            text: &text,
            source: Source::Cli,
            note: args.note.as_deref(),
            now_ms: now_ms(),
            if_active: None,
        },
        &check_selector,
    )?;
    apply(kv, &plan)?;
    report(&plan, "is now active", "identical to the active", kv);
    if let Some(catalog_text) = catalog {
        kv.put(CATALOG_KEY, &catalog_text)
            .map_err(Failure::refused)?;
        println!("catalog written under {CATALOG_KEY:?}");
    }
    Ok(())
}

/// Makes a kept version active again (the one before the active version by default).
pub fn rollback(args: &RollbackArgs) -> ExitCode {
    finish(run_rollback(args))
}

fn run_rollback(args: &RollbackArgs) -> Result<(), Failure> {
    let kv = &args.namespace;
    let (index, active) = read_stored(kv)?;
    let target = rollback_target(index.as_deref(), args.version)?;
    let text = kv.get(&version_key(target)).map_err(Failure::refused)?;
    let plan = history::rollback(
        Stored::of(&index, &active),
        target,
        text.as_deref(),
        now_ms(),
        &check_selector,
    )?;
    apply(kv, &plan)?;
    report(&plan, "is active again", "already active:", kv);
    Ok(())
}

/// Lists the kept versions, newest first, the active one marked.
pub fn history(args: &HistoryArgs) -> ExitCode {
    finish(run_history(args))
}

fn run_history(args: &HistoryArgs) -> Result<(), Failure> {
    let kv = &args.namespace;
    let text = kv.get(VERSIONS_KEY).map_err(Failure::refused)?;
    let Some(index) = VersionIndex::load(text.as_deref())? else {
        if args.json {
            println!(r#"{{"active": null, "versions": [], "log": []}}"#);
        } else {
            println!(
                "no versions yet [{}]: `tailor push CONFIG.json` uploads the first",
                kv.describe()
            );
        }
        return Ok(());
    };
    if args.json {
        let pretty = serde_json::to_string_pretty(&index).unwrap_or_default();
        println!("{pretty}");
    } else {
        print!("{}", table(&index));
    }
    Ok(())
}

/// The history as a table, newest first; `*` marks the active version.
fn table(index: &VersionIndex) -> String {
    let rows: Vec<[String; 6]> = index
        .versions
        .iter()
        .rev()
        .map(|e| {
            let marker = if e.number == index.active { "*" } else { " " };
            let source = e.source.name().to_string();
            [
                format!("{marker} {}", e.number),
                e.version.clone(),
                format_rfc3339(e.uploaded_at),
                source,
                e.bytes.to_string(),
                e.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "  #",
        "version",
        "uploaded (UTC)",
        "source",
        "bytes",
        "note",
    ]
    .map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Says what a plan did: `version N (label) <changed>, replacing version P`, or
/// `unchanged: <unchanged> version N (label)`.
fn report(plan: &Plan, changed: &str, unchanged: &str, kv: &Namespace) {
    let outcome = &plan.outcome;
    let version = format!("version {} ({})", outcome.number, outcome.version);
    let place = kv.describe();
    if outcome.changed {
        let replacing = outcome
            .previous
            .map(|n| format!(", replacing version {n}"))
            .unwrap_or_default();
        println!("{version} {changed}{replacing} [{place}]");
    } else {
        println!("unchanged: {unchanged} {version} [{place}]");
    }
}

/// The index and the active text.
fn read_stored(kv: &Namespace) -> Result<(Option<String>, Option<String>), Failure> {
    let index = kv.get(VERSIONS_KEY).map_err(Failure::refused)?;
    let active = kv.get(CONFIG_KEY).map_err(Failure::refused)?;
    Ok((index, active))
}

/// Performs a plan's writes in order (stopping at the first failure: the order keeps KV
/// consistent, and running the command again completes it), then its deletes.
fn apply(kv: &Namespace, plan: &Plan) -> Result<(), Failure> {
    for (key, value) in &plan.writes {
        kv.put(key, value).map_err(|e| {
            Failure::refused(format!(
                "{e}\nstopped before the rest was written; run the command again to finish"
            ))
        })?;
    }
    for key in &plan.deletes {
        if let Err(e) = kv.delete(key) {
            eprintln!("tailor: warning: old version {key} not deleted: {e}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailor::config::history::VersionEntry;

    #[test]
    fn the_history_table_lists_newest_first_and_marks_the_active_version() {
        let entry = |number, version: &str, source, note: Option<&str>| VersionEntry {
            number,
            version: version.into(),
            uploaded_at: 1_795_000_000_000 + number * 60_000,
            source,
            note: note.map(String::from),
            sha256: String::new(),
            bytes: 100 * number,
        };
        let index = VersionIndex {
            active: 1,
            versions: vec![
                entry(1, "legacy", Source::Adopted, None),
                entry(2, "spring-1", Source::Cli, Some("Spring sale")),
            ],
            log: Vec::new(),
        };
        assert_eq!(
            table(&index),
            "  #  version   uploaded (UTC)        source   bytes  note\n\
             \x20 2  spring-1  2026-11-18T11:08:40Z  cli      200    Spring sale\n\
             * 1  legacy    2026-11-18T11:07:40Z  adopted  100\n"
        );
    }
}
