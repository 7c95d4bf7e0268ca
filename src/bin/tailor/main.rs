//! The `tailor` command line, over the same core as the worker.
//!
//! - `tailor validate CONFIG.json [--catalog CATALOG.json]`: every error with its JSON path,
//!   content past its end date as warnings.
//! - `tailor push CONFIG.json`, `tailor rollback [N]`, `tailor history`: the config's versions
//!   in KV, through wrangler (local state by default, `--remote` for Cloudflare's).
//!
//! Exit code 0 on success, 1 when a config is invalid or an operation is refused, 2 on misuse.

#[cfg(not(target_arch = "wasm32"))]
mod kv;
#[cfg(not(target_arch = "wasm32"))]
mod push;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

// NOTE: the CLI is native only; this keeps `cargo clippy --target wasm32-unknown-unknown
// --all-targets` building.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::{SystemTime, UNIX_EPOCH};

    use clap::{Parser, Subcommand};
    use tailor::content::Catalog;
    use tailor::rewrite::check_selector;
    use tailor::Config;

    use crate::push;

    /// Tailor's command line: check a merchant config, and manage its versions in KV.
    #[derive(Parser)]
    #[command(name = "tailor", version)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Check a config (and optionally a catalog) exactly as the worker compiles it.
        Validate {
            /// The config document.
            config: PathBuf,
            /// A product catalog to check as well.
            #[arg(long, value_name = "FILE")]
            catalog: Option<PathBuf>,
        },
        /// Validate a config, then upload it to KV as a new version and make it active.
        Push(push::PushArgs),
        /// Make an earlier (or any kept) version active again.
        Rollback(push::RollbackArgs),
        /// List the kept versions, the active one marked.
        History(push::HistoryArgs),
    }

    pub fn main() -> ExitCode {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error) => {
                let usage = error.use_stderr();
                let _ = error.print();
                return if usage {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        match cli.command {
            Command::Validate { config, catalog } => validate(&config, catalog.as_deref()),
            Command::Push(args) => push::push(&args),
            Command::Rollback(args) => push::rollback(&args),
            Command::History(args) => push::history(&args),
        }
    }

    fn read(path: &Path) -> Result<String, ExitCode> {
        std::fs::read_to_string(path).map_err(|e| {
            eprintln!("tailor: cannot read {}: {e}", path.display());
            ExitCode::from(2)
        })
    }

    fn validate(config_path: &Path, catalog_path: Option<&Path>) -> ExitCode {
        let text = match read(config_path) {
            Ok(text) => text,
            Err(code) => return code,
        };
        let config_path = config_path.display();
        let mut valid = true;
        match Config::parse(&text, &check_selector) {
            Ok(config) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                println!(
                    "{config_path}: valid (version {}, {} segments, {} slots)",
                    config.version,
                    config.segments.len(),
                    config.slots.len()
                );
                for warning in config.expired(now) {
                    println!("warning: {warning} (content past its end date can be retired)");
                }
            }
            Err(errors) => {
                valid = false;
                println!("{config_path}: {} error(s)", errors.len());
                for error in errors {
                    println!("error: {error}");
                }
            }
        }
        if let Some(catalog_path) = catalog_path {
            let text = match read(catalog_path) {
                Ok(text) => text,
                Err(code) => return code,
            };
            let catalog_path = catalog_path.display();
            match Catalog::parse(&text) {
                Ok(catalog) => {
                    println!(
                        "{catalog_path}: valid ({} products)",
                        catalog.products().len()
                    )
                }
                Err(errors) => {
                    valid = false;
                    println!("{catalog_path}: {} error(s)", errors.len());
                    for error in errors {
                        println!("error: {error}");
                    }
                }
            }
        }
        if valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}
