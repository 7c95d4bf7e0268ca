//! The fixture config and personas the demo ships: the config compiles, every persona lands in
//! the segment it was written for (its top-priority membership), and every near-miss persona
//! stays out of the segment it narrowly misses. Each persona's browsing history is replayed
//! through the real pipeline, then it views the home page.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tailor::rewrite::check_selector;
use tailor::visitor::timestamp::{format_rfc3339, DAY_MS};
use tailor::visitor::{Profile, Visitor, BEHAVIOUR_COOKIE, VISITOR_COOKIE};
use tailor::{decide, replay_page_views, Config, Decision, RequestFacts};

const NOW: u64 = 1_795_000_000_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_config() -> Config {
    let text =
        fs::read_to_string(root().join("fixtures/config.json")).expect("fixtures/config.json");
    Config::parse(&text, &check_selector).unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("fixture config invalid:\n{}", list.join("\n"))
    })
}

/// "now-95d" (also h, m) as milliseconds, as scripts/fixtures.mjs resolves them.
fn relative_ms(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("now-")?;
    let (n, unit) = rest.split_at(rest.len().checked_sub(1)?);
    let unit_ms = match unit {
        "d" => DAY_MS,
        "h" => 3_600_000,
        "m" => 60_000,
        _ => return None,
    };
    Some(NOW - n.parse::<u64>().ok()? * unit_ms)
}

fn resolve_times(value: Value) -> Value {
    match value {
        Value::String(s) => match relative_ms(&s) {
            Some(ms) => Value::String(format_rfc3339(ms)),
            None => Value::String(s),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(resolve_times).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, resolve_times(v)))
                .collect(),
        ),
        other => other,
    }
}

fn persona_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join(dir))
        .expect("persona dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The decision for a persona viewing the home page now, after its history.
fn home_page_decision(config: &Config, persona: &Value) -> Decision {
    let views: Vec<(String, u64)> = persona["pageViews"]
        .as_array()
        .map(|views| {
            views
                .iter()
                .map(|v| {
                    let path = v["path"].as_str().expect("path").to_string();
                    let at = relative_ms(v["at"].as_str().expect("at")).expect("relative time");
                    (path, at)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut cookies = Vec::new();
    if let Some(id) = persona["visitorId"].as_str() {
        cookies.push(format!("{VISITOR_COOKIE}={id}"));
    }
    if let Some(behaviour) =
        replay_page_views(config, views.iter().map(|(p, at)| (p.as_str(), *at)))
    {
        cookies.push(format!("{BEHAVIOUR_COOKIE}={}", behaviour.encode()));
    }
    let header = cookies.join("; ");
    let request = RequestFacts::get("https://shop.test/", Some(&header), NOW);
    let visitor = Visitor::identify(&request, [1; 16]);
    let profile = match resolve_times(persona["profile"].clone()) {
        Value::Object(fields) => Some(Profile::from(fields)),
        _ => None,
    };
    decide(config, &request, &visitor, profile.as_ref())
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("read")).expect("persona JSON")
}

#[test]
fn the_fixture_config_compiles() {
    let config = fixture_config();
    assert_eq!(config.segments.len(), 10);
    assert!(config.slots.len() >= 8);
}

#[test]
fn every_lifecycle_segment_has_a_persona_and_a_near_miss() {
    let config = fixture_config();
    let segments: Vec<&str> = config.segments.iter().map(|s| s.id.as_str()).collect();
    let covered: Vec<String> = persona_files("fixtures/personas")
        .iter()
        .map(|p| read(p)["segment"].as_str().expect("segment").to_string())
        .collect();
    let missed: Vec<String> = persona_files("fixtures/personas/near-misses")
        .iter()
        .map(|p| {
            read(p)["notSegment"]
                .as_str()
                .expect("notSegment")
                .to_string()
        })
        .collect();
    for segment in segments {
        assert!(
            covered.iter().any(|c| c == segment),
            "no persona for {segment}"
        );
        assert!(
            missed.iter().any(|c| c == segment),
            "no near miss for {segment}"
        );
    }
}

#[test]
fn every_persona_lands_in_its_segment() {
    let config = fixture_config();
    let mut failures = Vec::new();
    for path in persona_files("fixtures/personas") {
        let persona = read(&path);
        let expected = persona["segment"].as_str().expect("segment");
        let decision = home_page_decision(&config, &persona);
        let top = decision.memberships.first().map(|m| m.segment.as_str());
        if top != Some(expected) {
            failures.push(format!(
                "{}: top segment {top:?}, expected {expected:?}",
                path.display()
            ));
        }
        let reason = format!("slot hero-heading: segment {expected}");
        let heading = decision
            .plan
            .edits
            .iter()
            .find(|e| e.reason == reason)
            .map(|e| &e.action);
        let expected_heading = persona["heroHeading"].as_str().expect("heroHeading");
        match heading {
            Some(tailor::Action::SetInnerContent { html }) if html == expected_heading => {}
            other => failures.push(format!(
                "{}: hero {other:?}, expected {expected_heading:?}",
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_near_miss_stays_out_of_its_segment() {
    let config = fixture_config();
    let mut failures = Vec::new();
    for path in persona_files("fixtures/personas/near-misses") {
        let persona = read(&path);
        let excluded = persona["notSegment"].as_str().expect("notSegment");
        let decision = home_page_decision(&config, &persona);
        if decision.memberships.iter().any(|m| m.segment == excluded) {
            failures.push(format!("{}: is in {excluded}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
