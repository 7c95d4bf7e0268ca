//! The `tailor` command line, over the same core as the worker.
//!
//! `tailor validate CONFIG.json [--catalog CATALOG.json]`: every error with its JSON path,
//! content past its end date as warnings; exit code 0 when valid, 1 when not, 2 on misuse.

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
    use std::process::ExitCode;
    use std::time::{SystemTime, UNIX_EPOCH};

    use tailor::content::Catalog;
    use tailor::rewrite::check_selector;
    use tailor::Config;

    const USAGE: &str = "usage: tailor validate CONFIG.json [--catalog CATALOG.json]\n\n\
        Checks a merchant config (and optionally a product catalog) exactly as the worker\n\
        compiles them: every error is listed with its JSON path; content whose schedule has\n\
        ended is listed as a warning. Exit code 0: valid; 1: invalid; 2: usage error.";

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["--help" | "-h" | "help"] | ["validate", "--help" | "-h"] => {
                println!("{USAGE}");
                ExitCode::SUCCESS
            }
            ["validate", config] => validate(config, None),
            ["validate", config, "--catalog", catalog] => validate(config, Some(catalog)),
            _ => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        }
    }

    fn read(path: &str) -> Result<String, ExitCode> {
        std::fs::read_to_string(path).map_err(|e| {
            eprintln!("tailor: cannot read {path}: {e}");
            ExitCode::from(2)
        })
    }

    fn validate(config_path: &str, catalog_path: Option<&str>) -> ExitCode {
        let text = match read(config_path) {
            Ok(text) => text,
            Err(code) => return code,
        };
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
