//! GrowthBook's cross-SDK conformance suite for bucketing and experiments.
//!
//! Runs every case of the `hash`, `getBucketRange`, `chooseVariation`, `getEqualWeights`,
//! `inNamespace`, `getQueryStringOverride`, `stickyBucket`, `urlRedirect` and `run` sections of
//! `fixtures/conformance/growthbook-cases.json` (MIT licensed, GROWTHBOOK-LICENSE) through
//! `tailor::experiment`. Failures are collected and reported together, by section and name.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use tailor::condition::{Condition, SavedGroups};
use tailor::experiment::{
    bucket_ranges, choose_variation, equal_weights, hash, in_namespace, query_string_override, run,
    with_query_of, Experiment, Filter, Namespace, RunContext, StickyDocs, UrlPattern,
};

/// `run` cases skipped on purpose, by name, with the reason. Must stay exactly this list.
const SKIPPED: &[(&str, &str)] = &[
    (
        "Prerequisite condition passes",
        "prerequisites are feature flags; Tailor has no feature flags for an experiment to depend on",
    ),
    (
        "Prerequisite condition fails",
        "prerequisites are feature flags; Tailor has no feature flags for an experiment to depend on",
    ),
];

fn cases() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance/growthbook-cases.json");
    let text = std::fs::read_to_string(&path).expect("conformance file");
    serde_json::from_str(&text).expect("conformance JSON")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn pairs(value: &Value) -> Vec<(f64, f64)> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r.get(0)?.as_f64()?, r.get(1)?.as_f64()?)))
        .collect()
}

/// An experiment from GrowthBook's JSON (as the cases write it).
fn experiment(json: &Value, default_key: &str) -> Experiment {
    let variations = json["variations"].as_array().cloned().unwrap_or_default();
    let key = json["key"].as_str().unwrap_or(default_key);
    let mut e = Experiment::new(key, variations);
    e.weights = json["weights"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_f64).collect());
    e.coverage = json["coverage"].as_f64();
    e.condition = json.get("condition").map(Condition::compile_lenient);
    if let Some(a) = json["hashAttribute"].as_str() {
        e.hash_attribute = a.to_string();
    }
    e.fallback_attribute = json["fallbackAttribute"].as_str().map(str::to_string);
    e.hash_version = json["hashVersion"].as_u64().unwrap_or(1) as u32;
    e.seed = json["seed"].as_str().map(str::to_string);
    e.namespace = json["namespace"].as_array().map(|n| Namespace {
        id: n[0].as_str().unwrap_or_default().to_string(),
        start: n[1].as_f64().unwrap_or(0.0),
        end: n[2].as_f64().unwrap_or(0.0),
    });
    e.filters = json["filters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| Filter {
            seed: f["seed"].as_str().unwrap_or_default().to_string(),
            ranges: pairs(&f["ranges"]),
            hash_version: f["hashVersion"].as_u64().unwrap_or(2) as u32,
            attribute: f["attribute"].as_str().map(str::to_string),
        })
        .collect();
    e.ranges = json.get("ranges").map(pairs);
    e.active = json["active"].as_bool().unwrap_or(true);
    e.bucket_version = json["bucketVersion"].as_u64().unwrap_or(0) as u32;
    e.min_bucket_version = json["minBucketVersion"].as_u64().unwrap_or(0) as u32;
    e.force = json.get("force").and_then(Value::as_i64);
    e.disable_sticky_bucketing = json["disableStickyBucketing"].as_bool().unwrap_or(false);
    e.variation_keys = json["meta"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["key"].as_str().unwrap_or_default().to_string())
        .collect();
    e.url_patterns = json["urlPatterns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            UrlPattern::compile(
                p["type"].as_str().unwrap_or("simple"),
                p["pattern"].as_str().unwrap_or_default(),
                p["include"].as_bool().unwrap_or(true),
            )
            .ok()
        })
        .collect();
    e.persist_query_string = json["persistQueryString"].as_bool().unwrap_or(false);
    e
}

/// Runs `check` on every case of a section: `Some(None)` passes, `Some(Some(why))` fails, and
/// `None` (a case it could not read) fails too.
fn check_section(name: &str, check: impl Fn(&Value) -> Option<Option<String>>) {
    let all = cases();
    let section = all[name].as_array().expect("section");
    let failures: Vec<String> = section
        .iter()
        .filter_map(|c| check(c).unwrap_or_else(|| Some(format!("unreadable case: {c}"))))
        .collect();
    report(name, section.len(), &failures);
}

fn report(section: &str, total: usize, failures: &[String]) {
    println!("{section}: {} of {total} pass", total - failures.len());
    assert!(
        failures.is_empty(),
        "{section}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn hash_conformance() {
    check_section("hash", |c| {
        let got = hash(c[0].as_str()?, c[1].as_str()?, c[2].as_u64()? as u32);
        let ok = match (got, c[3].as_f64()) {
            (Some(g), Some(e)) => close(g, e),
            (None, None) => true,
            _ => false,
        };
        Some((!ok).then(|| format!("{c}: got {got:?}")))
    });
}

#[test]
fn bucket_range_conformance() {
    check_section("getBucketRange", |c| {
        let args = &c[1];
        let weights: Option<Vec<f64>> = args[2]
            .as_array()
            .map(|w| w.iter().filter_map(Value::as_f64).collect());
        let got = bucket_ranges(
            args[0].as_u64()? as usize,
            args[1].as_f64()?,
            weights.as_deref(),
        );
        let expected = pairs(&c[2]);
        let ok = got.len() == expected.len()
            && got
                .iter()
                .zip(&expected)
                .all(|(g, e)| close(g.0, e.0) && close(g.1, e.1));
        Some((!ok).then(|| format!("{}: got {got:?}", c[0])))
    });
}

#[test]
fn choose_variation_conformance() {
    check_section("chooseVariation", |c| {
        let got = choose_variation(c[1].as_f64()?, &pairs(&c[2])).map_or(-1, |v| v as i64);
        let expected = c[3].as_i64()?;
        Some((got != expected).then(|| format!("{}: got {got}", c[0])))
    });
}

#[test]
fn equal_weights_conformance() {
    check_section("getEqualWeights", |c| {
        let got = equal_weights(c[0].as_i64()?);
        let expected: Vec<f64> = c[1].as_array()?.iter().filter_map(Value::as_f64).collect();
        let ok =
            got.len() == expected.len() && got.iter().zip(&expected).all(|(g, e)| close(*g, *e));
        Some((!ok).then(|| format!("{c}: got {got:?}")))
    });
}

#[test]
fn namespace_conformance() {
    check_section("inNamespace", |c| {
        let n = &c[2];
        let namespace = Namespace {
            id: n[0].as_str()?.to_string(),
            start: n[1].as_f64()?,
            end: n[2].as_f64()?,
        };
        let got = in_namespace(c[1].as_str()?, &namespace);
        let expected = c[3].as_bool()?;
        Some((got != expected).then(|| format!("{}: got {got}", c[0])))
    });
}

#[test]
fn query_string_override_conformance() {
    check_section("getQueryStringOverride", |c| {
        let got = query_string_override(c[1].as_str()?, c[2].as_str()?, c[3].as_u64()? as usize);
        let expected = c[4].as_u64().map(|v| v as usize);
        Some((got != expected).then(|| format!("{}: got {got:?}", c[0])))
    });
}

#[test]
fn run_conformance() {
    let all = cases();
    let section = all["run"].as_array().expect("run");
    let names: Vec<&str> = section.iter().filter_map(|c| c[0].as_str()).collect();
    for (name, _) in SKIPPED {
        assert!(names.contains(name), "skipped case {name:?} does not exist");
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for c in section {
        let name = c[0].as_str().unwrap_or_default();
        if SKIPPED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        ran += 1;
        let context_json = &c[1];
        let e = experiment(&c[2], "");
        let forced: Option<Vec<(String, i64)>> =
            context_json["forcedVariations"].as_object().map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
                    .collect()
            });
        let groups = context_json
            .get("savedGroups")
            .map(SavedGroups::from_json_lenient);
        let attributes = context_json.get("attributes");
        let context = RunContext {
            attributes,
            url: context_json["url"].as_str().unwrap_or(""),
            query_overrides: true,
            forced: forced.as_deref(),
            qa_mode: context_json["qaMode"].as_bool().unwrap_or(false),
            disabled: context_json["enabled"] == json!(false),
            saved_groups: groups.as_ref(),
            ..RunContext::default()
        };
        let outcome = run(&e, &context);
        let value = e
            .variations
            .get(outcome.variation_id)
            .cloned()
            .unwrap_or(Value::Null);
        let expected = (&c[3], c[4].as_bool(), c[5].as_bool());
        if (&value, Some(outcome.in_experiment), Some(outcome.hash_used)) != expected {
            failures.push(format!(
                "{name}: got value {value}, inExperiment {}, hashUsed {}",
                outcome.in_experiment, outcome.hash_used
            ));
        }
    }
    println!("run: {} skipped by name", SKIPPED.len());
    report("run", ran, &failures);
}

#[test]
fn sticky_bucket_conformance() {
    let all = cases();
    let section = all["stickyBucket"].as_array().expect("stickyBucket");
    let mut failures = Vec::new();
    for c in section {
        let name = c[0].as_str().unwrap_or_default();
        let context_json = &c[1];
        let feature_key = c[3].as_str().unwrap_or_default();
        let mut docs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        // NOTE: the SDK's sticky bucket service loads only the documents of this visitor's own
        // attribute values; a stored document of someone else's is never seen.
        let attributes = &context_json["attributes"];
        for doc in c[2].as_array().into_iter().flatten() {
            let (name, value) = (
                doc["attributeName"].as_str().unwrap_or(""),
                doc["attributeValue"].as_str().unwrap_or(""),
            );
            if attributes[name].as_str() != Some(value) {
                continue;
            }
            let key = format!("{name}||{value}");
            let assignments = doc["assignments"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            docs.insert(key, assignments);
        }
        let rule = &context_json["features"][feature_key]["rules"][0];
        let e = experiment(rule, feature_key);
        let sticky = StickyDocs::PerAttribute(docs.clone());
        let context = RunContext {
            attributes: context_json.get("attributes"),
            sticky: Some(&sticky),
            ..RunContext::default()
        };
        let outcome = run(&e, &context);
        // A feature ignores an experiment rule the visitor is not in: its result is null.
        let got = outcome.in_experiment.then(|| {
            json!({
                "bucket": outcome.bucket,
                "featureId": feature_key,
                "hashAttribute": outcome.hash_attribute,
                "hashUsed": outcome.hash_used,
                "hashValue": outcome.hash_value,
                "inExperiment": true,
                "key": outcome.key,
                "stickyBucketUsed": outcome.sticky_used,
                "value": e.variations[outcome.variation_id],
                "variationId": outcome.variation_id,
            })
        });
        let expected = (!c[4].is_null()).then(|| c[4].clone());
        if got != expected {
            failures.push(format!("{name}: result {got:?}, expected {expected:?}"));
        }
        if let Some((doc, key, variation)) = &outcome.sticky_write {
            docs.entry(doc.clone())
                .or_default()
                .insert(key.clone(), variation.clone());
        }
        let expected_docs: BTreeMap<String, BTreeMap<String, String>> = c[5]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, doc)| {
                let assignments = doc["assignments"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                (k.clone(), assignments)
            })
            .collect();
        if docs != expected_docs {
            failures.push(format!("{name}: docs {docs:?}, expected {expected_docs:?}"));
        }
    }
    report("stickyBucket", section.len(), &failures);
}

#[test]
fn url_redirect_conformance() {
    let all = cases();
    let section = all["urlRedirect"].as_array().expect("urlRedirect");
    let mut failures = Vec::new();
    for c in section {
        let name = c[0].as_str().unwrap_or_default();
        let context_json = &c[1];
        let url = context_json["url"].as_str().unwrap_or_default();
        let context = RunContext {
            attributes: context_json.get("attributes"),
            url,
            ..RunContext::default()
        };
        // As GrowthBook's auto experiments: the first experiment that redirects wins.
        let mut results = Vec::new();
        for json in context_json["experiments"].as_array().into_iter().flatten() {
            let e = experiment(json, "");
            let outcome = run(&e, &context);
            let redirect = e.variations[outcome.variation_id]["urlRedirect"].as_str();
            if let (true, Some(redirect)) = (outcome.in_experiment, redirect) {
                let with_params = if e.persist_query_string {
                    with_query_of(redirect, url)
                } else {
                    redirect.to_string()
                };
                results.push(json!({"inExperiment": true, "urlRedirect": redirect, "urlWithParams": with_params}));
                break;
            }
        }
        if Value::Array(results.clone()) != c[2] {
            failures.push(format!("{name}: got {results:?}"));
        }
    }
    report("urlRedirect", section.len(), &failures);
}
