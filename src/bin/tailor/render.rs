//! `tailor render`: the page exactly as the worker would send it, bytes to stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use tailor::assignment::Route;
use tailor::explain::explain;
use tailor::response::{charset, is_html};
use tailor::rewrite::rewrite_page;

use crate::inputs::{load, RequestArgs};

/// Arguments of `tailor render`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Decides the page view as the worker does and writes the page the worker would send as the body, byte for byte, to stdout (the same rewriting engine as the runtime's HTMLRewriter). A page that is not HTML, or that nothing changes, comes out exactly as it went in. Use `tailor explain` with the same options to see why."
)]
pub struct RenderArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// The origin's page.
    #[arg(long, value_name = "FILE.html")]
    pub page: PathBuf,
    /// The origin's Content-Type (decides the charset, and whether the page is HTML at all).
    #[arg(long, default_value = "text/html; charset=utf-8")]
    pub content_type: String,
}

/// Renders and writes the page.
pub fn render(args: &RenderArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tailor render: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &RenderArgs) -> Result<(), String> {
    let page = std::fs::read(&args.page)
        .map_err(|e| format!("cannot read {}: {e}", args.page.display()))?;
    let loaded = load(&args.request)?;
    let body = if is_html(&args.content_type) {
        let (_, decision) = explain(&loaded.view());
        match &decision.route {
            Some(Route::Redirect(location)) => {
                eprintln!(
                    "tailor render: the worker answers 302 to {location} (a split-URL variation), with no body"
                );
                Vec::new()
            }
            route => {
                if let Some(Route::OriginPath(path)) = route {
                    eprintln!(
                        "tailor render: the worker would fetch {path} from the origin instead; rendering the given page as that one"
                    );
                }
                match rewrite_page(&decision.plan, &page, charset(&args.content_type)) {
                    Ok(rewritten) => rewritten,
                    // NOTE: fail open, as the worker does.
                    Err(problem) => {
                        eprintln!(
                            "tailor render: {problem}: the worker serves the origin's page unchanged"
                        );
                        page
                    }
                }
            }
        }
    } else {
        // NOTE: the worker passes anything but text/html through untouched.
        page
    };
    crate::output::write(&body);
    Ok(())
}
