//! The `tailor` command line, over the same core as the worker: `validate` a config, `explain`
//! a page view, `render` the page the worker would serve, print the config's JSON `schema`.
//!
//! Exit codes: 0 success, 1 invalid input (or an invalid config), 2 usage error. See
//! docs/cli.md.

// NOTE: the CLI is native only (clap is not built for wasm32); this keeps `cargo clippy
// --target wasm32-unknown-unknown --all-targets` building.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod dev_vars;
#[cfg(not(target_arch = "wasm32"))]
mod explain;
#[cfg(not(target_arch = "wasm32"))]
mod inputs;
#[cfg(not(target_arch = "wasm32"))]
mod kv;
#[cfg(not(target_arch = "wasm32"))]
mod output;
#[cfg(not(target_arch = "wasm32"))]
mod paint;
#[cfg(not(target_arch = "wasm32"))]
mod push;
#[cfg(not(target_arch = "wasm32"))]
mod render;
#[cfg(not(target_arch = "wasm32"))]
mod schema;
#[cfg(not(target_arch = "wasm32"))]
mod validate;

/// The command line.
#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Parser, Debug)]
#[command(
    name = "tailor",
    version,
    about = "Tailor's command line: check a merchant config, explain and render a page view exactly as the worker would.",
    after_help = "Exit codes: 0 success, 1 invalid input or config, 2 usage error. Colour only on a terminal, never with NO_COLOR set."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Check a config (and catalog) as the worker compiles them: every error with its JSON
    /// path and a hint, and warnings for likely mistakes.
    Validate(validate::ValidateArgs),
    /// Explain one page view: the visitor, each segment and why, each experiment's bucket
    /// and variation, each slot's choice, and the cookies set.
    Explain(explain::ExplainArgs),
    /// Print the page exactly as the worker would serve it for a request.
    Render(render::RenderArgs),
    /// Print the config's JSON Schema (draft 2020-12), for editors.
    Schema(schema::SchemaArgs),
    /// Publish a config to KV.
    Push(push::PushArgs),
    /// Go back to an earlier published config.
    Rollback(push::RollbackArgs),
    /// List the published configs.
    History(push::HistoryArgs),
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;

    let cli = Cli::parse();
    match &cli.command {
        Command::Validate(args) => validate::validate(args),
        Command::Explain(args) => explain::explain(args),
        Command::Render(args) => render::render(args),
        Command::Schema(args) => schema::schema(args),
        Command::Push(args) => push::push(args),
        Command::Rollback(args) => push::rollback(args),
        Command::History(args) => push::history(args),
    }
}
