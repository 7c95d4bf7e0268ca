//! The fixture config and personas the demo ships: the config compiles, and each persona
//! lands in the segment it was written for (its top-priority membership).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

use serde_json::Value;
use tailor::rewrite::check_selector;
use tailor::segment::memberships;
use tailor::visitor::{attributes, timestamp::DAY_MS, Profile, Visitor};
use tailor::{Config, RequestFacts};

const NOW: u64 = 1_795_000_000_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_config() -> Config {
    let text =
        fs::read_to_string(root().join("fixtures/config.json")).expect("fixtures/config.json");
    Config::parse(&text, &check_selector).unwrap_or_else(|errors| {
        panic!(
            "fixture config invalid:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Resolves the fixtures' relative times ("now-95d", "now-2h", "now-30m"), as
/// scripts/fixtures.mjs does when seeding KV.
fn resolve_times(value: Value) -> Value {
    match value {
        Value::String(s) => {
            let Some(rest) = s.strip_prefix("now-") else {
                return Value::String(s);
            };
            let (n, unit) = rest.split_at(rest.len() - 1);
            let unit_ms = match unit {
                "d" => DAY_MS,
                "h" => 3_600_000,
                "m" => 60_000,
                _ => return Value::String(s),
            };
            let n: u64 = n.parse().expect("relative time");
            Value::String(tailor::visitor::timestamp::format_rfc3339(
                NOW - n * unit_ms,
            ))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(resolve_times).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, resolve_times(v)))
                .collect(),
        ),
        other => other,
    }
}

fn persona(name: &str) -> (Option<String>, Option<Profile>) {
    let text =
        fs::read_to_string(root().join(format!("fixtures/personas/{name}.json"))).expect("persona");
    let persona: Value = serde_json::from_str(&text).expect("persona JSON");
    let id = persona["visitorId"].as_str().map(str::to_string);
    let profile = match resolve_times(persona["profile"].clone()) {
        Value::Object(fields) => Some(Profile::from(fields)),
        _ => None,
    };
    (id, profile)
}

#[test]
fn the_fixture_config_compiles() {
    let config = fixture_config();
    assert_eq!(config.segments.len(), 10);
    assert!(config.slots.len() >= 8);
}

#[test]
fn every_persona_profile_is_a_valid_profile() {
    for entry in fs::read_dir(root().join("fixtures/personas")).expect("personas") {
        let path = entry.expect("entry").path();
        let persona: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("JSON");
        assert!(persona["label"].is_string(), "{path:?} needs a label");
        match &persona["visitorId"] {
            Value::Null => {}
            Value::String(id) => assert!(
                tailor::visitor::VisitorId::parse(id).is_some(),
                "{path:?}: bad id {id}"
            ),
            other => panic!("{path:?}: visitorId {other}"),
        }
        assert!(
            persona["profile"].is_null() || persona["profile"].is_object(),
            "{path:?}"
        );
    }
}

/// The top segment of a persona on its first page view of a new session.
fn top_segment(name: &str, config: &Config) -> Option<String> {
    let (id, profile) = persona(name);
    let cookie = id.map(|id| format!("tailor_vid={id}"));
    let request = RequestFacts::get("https://shop.test/", cookie.as_deref(), NOW);
    let visitor = Visitor::identify(&request, [1; 16]);
    let attrs = attributes(&request, &visitor, profile.as_ref(), &config.cart);
    memberships(&config.segments, &attrs)
        .first()
        .map(|m| m.segment.clone())
}

#[test]
fn profile_personas_land_in_their_segment() {
    let config = fixture_config();
    for (persona, segment) in [
        ("vip", "vip"),
        ("cart-abandoner", "cart-abandoner"),
        ("lapsed", "lapsed"),
    ] {
        assert_eq!(
            top_segment(persona, &config).as_deref(),
            Some(segment),
            "persona {persona}"
        );
    }
}
