//! The fixture config and personas the demo ships: the config compiles, every persona lands in
//! the segment it was written for (its top-priority membership), and every near-miss persona
//! stays out of the segment it narrowly misses. Each persona's browsing history is replayed
//! through the real pipeline, then it views the home page.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{config_at, persona_request, root, NOW};
use serde_json::Value;
use tailor::{decide, Config, DecideOptions, Decision};

fn fixture_config() -> Config {
    config_at("fixtures/config.json")
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
    let (request, profile) = persona_request(config, persona, "https://shop.test/", NOW);
    let visitor = common::identify(&request, [1; 16]);
    decide(
        config,
        &request,
        &visitor,
        profile.as_ref(),
        Some(&common::catalog()),
        DecideOptions::default(),
    )
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("read")).expect("persona JSON")
}

#[test]
fn the_fixture_config_compiles() {
    let config = fixture_config();
    assert_eq!(config.segments.len(), 11);
    assert!(config.slots.len() >= 8);
}

#[test]
fn every_lifecycle_segment_has_a_persona_and_a_near_miss() {
    let config = fixture_config();
    // NOTE: post-purchase only picks recommendations; the lifecycle segments have personas.
    let segments: Vec<&str> = config
        .segments
        .iter()
        .map(|s| s.id.as_str())
        .filter(|id| *id != "post-purchase")
        .collect();
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
fn recommendations_follow_the_visitor() {
    let config = fixture_config();
    let recommended = |persona: &str| -> Vec<String> {
        let decision = home_page_decision(
            &config,
            &common::persona_at(&format!("fixtures/personas/{persona}.json")),
        );
        let edit = decision
            .plan
            .edits
            .iter()
            .find(|e| e.reason.starts_with("slot recommendations:"));
        match edit.map(|e| &e.action) {
            Some(tailor::Action::SetInnerContent { html }) => html
                .split("data-product-id=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    let buyer = recommended("first-time-buyer");
    assert_eq!(buyer.len(), 4, "post-purchase complements: {buyer:?}");
    assert!(
        !buyer.contains(&"p-1013".to_string()),
        "never the product just bought"
    );
    let browser = recommended("browse-abandoner");
    let catalog = common::catalog();
    for id in &browser {
        let product = catalog.product(catalog.index_of_id(id).expect("known"));
        assert!(
            product.categories.contains(&"footwear".to_string()),
            "{id} is footwear"
        );
    }
    assert_eq!(
        recommended("first-time"),
        Vec::<String>::new(),
        "everyone else: the origin's best sellers"
    );
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
