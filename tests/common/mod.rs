//! Test support shared by the native integration tests: the fixture config and personas,
//! with their relative times ("now-95d") resolved and their browsing history replayed.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use serde_json::Value;
use tailor::rewrite::check_selector;
use tailor::visitor::{IdKeys, Profile, Visitor, VisitorId, VISITOR_COOKIE};
use tailor::{Config, RequestFacts};

/// The instant native tests run at.
pub const NOW: u64 = 1_795_000_000_000;

/// The key visitor ids are signed with in tests (the end-to-end harness gives workerd the same
/// one as `TAILOR_ID_KEY`).
pub const ID_KEY: &str = "tailor-test-visitor-id-key-0123456789abcdef";

/// The test signing keys.
pub fn keys() -> IdKeys {
    IdKeys::new(ID_KEY, None).expect("test key")
}

/// Identifies the visitor of `request` as the worker does, with the test key.
pub fn identify(request: &RequestFacts, fresh: [u8; 16]) -> Visitor {
    Visitor::identify(request, fresh, &keys())
}

/// A `Cookie` header with each `tailor_vid=<id>` signed as the worker would have issued it:
/// test cases name visitors by their bare ids.
pub fn sign_visitor_cookies(header: &str) -> String {
    header
        .split("; ")
        .map(
            |pair| match pair.strip_prefix(&format!("{VISITOR_COOKIE}=")) {
                Some(id) => match VisitorId::parse(id) {
                    Some(id) => format!("{VISITOR_COOKIE}={}", keys().sign(&id)),
                    None => pair.to_string(),
                },
                None => pair.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("; ")
}

/// The fixture catalog.
pub fn catalog() -> tailor::content::Catalog {
    let text = fs::read_to_string(root().join("fixtures/catalog.json")).expect("catalog");
    tailor::content::Catalog::parse(&text).expect("fixture catalog")
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Parses a config file (relative to the root), panicking with every error.
pub fn config_at(relative: &str) -> Config {
    let text = fs::read_to_string(root().join(relative)).expect("config file");
    Config::parse(&text, &check_selector).unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("{relative} invalid:\n{}", list.join("\n"))
    })
}

/// A persona file (relative to the root).
pub fn persona_at(relative: &str) -> Value {
    let text = fs::read_to_string(root().join(relative)).expect("persona file");
    serde_json::from_str(&text).expect("persona JSON")
}

/// A request by a persona for `url` at `now`: its cookies (visitor id, and its browsing
/// history replayed through the pipeline), and its profile, as `tailor explain --persona`
/// makes it.
pub fn persona_request(
    config: &Config,
    persona: &Value,
    url: &str,
    now: u64,
) -> (RequestFacts, Option<Profile>) {
    let made = tailor::explain::persona::persona_request(config, persona, Some(&keys()), now)
        .expect("a valid persona");
    let header = made.cookies.join("; ");
    (RequestFacts::get(url, Some(&header), now), made.profile)
}
