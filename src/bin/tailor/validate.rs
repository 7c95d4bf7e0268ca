//! `tailor validate`: a config (and catalog) checked exactly as the worker compiles them.

use std::path::PathBuf;
use std::process::ExitCode;

use tailor::config::lint::{unmatched_slots, warnings};
use tailor::content::Catalog;
use tailor::rewrite::check_selector;
use tailor::Config;

use crate::inputs::{parse_now, read_text};
use crate::output::out;
use crate::paint::{error, good, warning};

/// Arguments of `tailor validate`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Checks a merchant config (and optionally a product catalog) exactly as the worker compiles them. Every error is listed with its JSON path and, where one is known, a hint. Warnings (which do not change the exit code) point out likely mistakes: segments nothing uses, experiment weights that do not sum to 1, content past its end date, and with --page, slots whose selector matches nothing in any of the pages.\n\nExit code 0: valid; 1: invalid or unreadable; 2: usage error."
)]
pub struct ValidateArgs {
    /// The config document (JSON).
    pub config: PathBuf,
    /// A product catalog to check too.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// A sample page: warn about slots whose selector matches nothing in any page given.
    #[arg(long, value_name = "HTML")]
    pub page: Vec<PathBuf>,
    /// The time content end dates are compared with: RFC 3339 or Unix milliseconds; default
    /// now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// Validates and prints the findings.
pub fn validate(args: &ValidateArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("tailor validate: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &ValidateArgs) -> Result<bool, String> {
    let config_path = args.config.display().to_string();
    let text = read_text(&args.config)?;
    let mut pages = Vec::new();
    for page in &args.page {
        let bytes =
            std::fs::read(page).map_err(|e| format!("cannot read {}: {e}", page.display()))?;
        pages.push((page.display().to_string(), bytes));
    }
    let mut valid = true;
    match Config::parse(&text, &check_selector) {
        Ok(config) => {
            out!(
                "{config_path}: {} (version {}, {} segments, {} slots)",
                good("valid"),
                config.version,
                config.segments.len(),
                config.slots.len()
            );
            let document: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let now = parse_now(args.now.as_deref())?;
            let mut found = warnings(&document, &config, now);
            if !pages.is_empty() {
                found.extend(unmatched_slots(&config, &pages).map_err(|e| e.to_string())?);
            }
            for finding in found {
                out!("{}: {finding}", warning());
            }
        }
        Err(errors) => {
            valid = false;
            out!("{config_path}: {} error(s)", errors.len());
            for problem in errors {
                out!("{}: {problem}", error());
                if let Some(hint) = problem.hint() {
                    out!("  hint: {hint}");
                }
            }
        }
    }
    if let Some(catalog_path) = &args.catalog {
        let shown = catalog_path.display();
        match Catalog::parse(&read_text(catalog_path)?) {
            Ok(catalog) => out!(
                "{shown}: {} ({} products)",
                good("valid"),
                catalog.products().len()
            ),
            Err(errors) => {
                valid = false;
                out!("{shown}: {} error(s)", errors.len());
                for problem in errors {
                    out!("{}: {problem}", error());
                }
            }
        }
    }
    Ok(valid)
}
