//! `tailor schema`: the config's JSON Schema, derived from the config reader (committed as
//! schema/config.schema.json so editors can validate config files).

use std::process::ExitCode;

use tailor::config::schema::{config_schema, EXEMPLARS};
use tailor::rewrite::check_selector;

use crate::output::out;

/// Arguments of `tailor schema` (none).
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Prints the JSON Schema (draft 2020-12) of the merchant config. It is derived from what the config reader accepts, so it cannot drift from the worker. Point an editor at it with \"$schema\": \"./schema/config.schema.json\" at the top of a config file."
)]
pub struct SchemaArgs {}

/// Prints the schema.
pub fn schema(_args: &SchemaArgs) -> ExitCode {
    match config_schema(&EXEMPLARS, &check_selector) {
        Ok(schema) => match serde_json::to_string_pretty(&schema) {
            Ok(text) => {
                out!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tailor schema: {e}");
                ExitCode::from(1)
            }
        },
        Err(errors) => {
            eprintln!("tailor schema: an exemplar config does not compile:");
            for error in errors {
                eprintln!("  {error}");
            }
            ExitCode::from(1)
        }
    }
}
