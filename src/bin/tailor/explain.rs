//! `tailor explain`: one page view, every decision with its reason.

use std::fmt::Write as _;
use std::process::ExitCode;

use tailor::explain::{explain as explain_view, Explanation};

use crate::inputs::{load, RequestArgs};
use crate::output::out;
use crate::paint::{dim, good, paint};

/// Arguments of `tailor explain`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Runs the worker's own decision for one request and explains it: who the visitor is (id, new or returning, consent, logged-in customer, profile), each segment matched or not and why (the clause that decided, with the attribute values it saw), the holdout, each experiment's bucket, variation and reason, each slot's content or why it is left alone, and the cookies and headers the response would set.\n\nThe signed visitor cookie needs the ID key: --id-key, else $TAILOR_ID_KEY, else TAILOR_ID_KEY in ./.dev.vars; without one every visitor is anonymous, as in the worker."
)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Explains and prints.
pub fn explain(args: &ExplainArgs) -> ExitCode {
    let loaded = match load(&args.request) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("tailor explain: {message}");
            return ExitCode::from(1);
        }
    };
    let (explanation, _) = explain_view(&loaded.view());
    if args.json {
        match serde_json::to_string_pretty(&explanation) {
            Ok(text) => out!("{text}"),
            Err(e) => {
                eprintln!("tailor explain: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        crate::output::write(human(&explanation).as_bytes());
    }
    ExitCode::SUCCESS
}

/// The explanation as text for people.
fn human(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "GET {} at {} (config {}, page: {})",
        e.url, e.now, e.config_version, e.page
    );
    let v = &e.visitor;
    let _ = writeln!(out, "\nVisitor");
    let _ = writeln!(
        out,
        "  id        {} ({})",
        v.id,
        if !v.personal {
            "anonymous"
        } else if v.is_new {
            "new"
        } else {
            "returning"
        }
    );
    let _ = writeln!(
        out,
        "  personal  {} (consent {}: {})",
        if v.personal { "yes" } else { "no" },
        v.consent.mode.label(),
        v.consent.reason.label()
    );
    let _ = writeln!(
        out,
        "  customer  {}",
        v.customer_id.as_deref().unwrap_or("not logged in")
    );
    let profile = match (&v.profile_key, v.profile_used) {
        (Some(key), true) => format!("{key} (used)"),
        (Some(key), false) => format!("{key} (none given)"),
        (None, _) => "none read".to_string(),
    };
    let _ = writeln!(out, "  profile   {profile}");
    for note in &v.notes {
        let _ = writeln!(out, "  note: {note}");
    }

    let _ = writeln!(out, "\nSegments");
    for s in &e.segments {
        let mark = if s.matched {
            good("match   ")
        } else {
            dim("no match")
        };
        let _ = writeln!(
            out,
            "  {mark} {} (priority {}): {}",
            s.id, s.priority, s.reason
        );
        if s.matched {
            for clause in &s.clauses {
                let values: Vec<String> = clause
                    .values
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "             {}  [{}]",
                    clause.condition,
                    values.join(", ")
                );
            }
        }
    }

    let _ = writeln!(
        out,
        "\nHoldout: {}",
        if e.held_out {
            "held out (nothing changes)"
        } else {
            "not held out"
        }
    );
    let _ = writeln!(out, "\nExperiments");
    if e.experiments.is_empty() {
        let _ = writeln!(out, "  (none running on this page)");
    }
    for x in &e.experiments {
        let bucket = x.bucket.map_or("none".to_string(), |b| format!("{b:.4}"));
        let _ = writeln!(
            out,
            "  {}: variation {} {:?}, bucket {bucket}, {}, reason: {}",
            x.key,
            x.variation,
            x.name,
            if x.in_experiment {
                "in the experiment"
            } else {
                "not in the experiment"
            },
            x.reason
        );
    }
    if let Some(route) = &e.route {
        let _ = writeln!(out, "  route: {route:?}");
    }

    let _ = writeln!(out, "\nSlots");
    for slot in &e.slots {
        let _ = writeln!(out, "  {} ({}): {}", slot.id, slot.selector, slot.reason);
        if let Some(edit) = &slot.edit {
            let action = serde_json::to_value(&edit.action).unwrap_or_default();
            let _ = writeln!(out, "      {}", paint(&excerpt(&action.to_string()), 36));
        }
    }

    let _ = writeln!(out, "\nResponse");
    if e.set_cookies.is_empty() && e.headers.is_empty() {
        let _ = writeln!(out, "  (the origin's headers, unchanged)");
    }
    for cookie in &e.set_cookies {
        let _ = writeln!(out, "  Set-Cookie: {cookie}");
    }
    for header in &e.headers {
        let _ = writeln!(out, "  {header}");
    }
    out
}

/// At most 160 characters of `text`.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= 160 {
        return text.to_string();
    }
    let short: String = text.chars().take(160).collect();
    format!("{short}…")
}
