//! GrowthBook's cross-SDK conformance suite for the condition language.
//!
//! Runs every case of the `evalCondition` section of `fixtures/conformance/growthbook-cases.json`
//! (spec 0.7.1) through the lenient compiler, and every `versionCompare` case. Spec 0.7.1 has
//! no `versionCompare` section (GrowthBook folded those cases into `evalCondition` in spec
//! 0.6.0), so that section is read from `growthbook-version-compare-0.5.4.json`, extracted
//! unchanged from the last spec that had it. Both files are MIT licensed (GROWTHBOOK-LICENSE).
//!
//! All failures are collected and reported together, by case name.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use std::cmp::Ordering;
use std::path::PathBuf;

use serde_json::Value;
use tailor::condition::{compare_versions, Condition, SavedGroups};

/// Cases skipped on purpose, by name, with the reason. Must stay exactly this list.
const SKIPPED: &[(&str, &str)] = &[];

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Runs one `evalCondition` case; `Err` describes a failure.
fn run_eval_case(case: &Value) -> Result<(), String> {
    let fields = case.as_array().ok_or("case is not an array")?;
    let (condition, attributes, expected) = match fields.as_slice() {
        [_, c, a, Value::Bool(e)] | [_, c, a, Value::Bool(e), _] => (c, a, *e),
        _ => return Err(format!("unexpected case shape: {case}")),
    };
    let groups = fields
        .get(4)
        .map(SavedGroups::from_json_lenient)
        .unwrap_or_default();
    // Groups supplied at evaluation time...
    let late = Condition::compile_lenient(condition).matches_with_groups(attributes, &groups);
    // ...and resolved at compile time must agree.
    let early = Condition::compile_lenient_with_groups(condition, &groups).matches(attributes);
    if late != expected || early != expected {
        return Err(format!(
            "expected {expected}, got {late} (groups at evaluation) / {early} (groups at \
             compile time)\n    condition:  {condition}\n    attributes: {attributes}"
        ));
    }
    Ok(())
}

#[test]
fn eval_condition_conformance() {
    let cases = fixture("growthbook-cases.json");
    assert_eq!(cases["specVersion"], "0.7.1");
    let cases = cases["evalCondition"]
        .as_array()
        .expect("evalCondition section");
    let (mut run, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for case in cases {
        let name = case[0].as_str().unwrap_or("<unnamed>");
        if let Some((_, reason)) = SKIPPED.iter().find(|(n, _)| *n == name) {
            skipped.push((name, *reason));
            continue;
        }
        run += 1;
        if let Err(why) = run_eval_case(case) {
            failures.push(format!("{name}: {why}"));
        }
    }
    println!(
        "evalCondition: {} cases, {run} run, {} passed, {} skipped",
        cases.len(),
        run - failures.len(),
        skipped.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {run} evalCondition cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let skipped_names: Vec<&str> = skipped.iter().map(|(n, _)| *n).collect();
    let expected_skips: Vec<&str> = SKIPPED.iter().map(|(n, _)| *n).collect();
    assert_eq!(skipped_names, expected_skips, "skip list is out of date");
    assert_eq!(run + skipped.len(), cases.len());
}

#[test]
fn version_compare_conformance() {
    // The current suite must still have no versionCompare section; if it regains one, run it.
    let current = fixture("growthbook-cases.json");
    let mut sections = vec![current["versionCompare"].clone()];
    sections.push(fixture("growthbook-version-compare-0.5.4.json")["versionCompare"].clone());
    let (mut run, mut failures) = (0, Vec::new());
    for section in sections.iter().filter(|s| !s.is_null()) {
        let section = section.as_object().expect("versionCompare is an object");
        for (kind, cases) in section {
            let wanted = match kind.as_str() {
                "lt" => Ordering::Less,
                "gt" => Ordering::Greater,
                "eq" => Ordering::Equal,
                other => panic!("unknown versionCompare sub-section {other:?}"),
            };
            for case in cases.as_array().expect("cases array") {
                run += 1;
                let (a, b, expected) = (
                    case[0].as_str().expect("version"),
                    case[1].as_str().expect("version"),
                    case[2].as_bool().expect("expected"),
                );
                let got = compare_versions(a, b);
                if (got == wanted) != expected {
                    failures.push(format!(
                        "{kind} {a:?} {b:?}: expected {expected}, compare_versions gave {got:?}"
                    ));
                }
            }
        }
    }
    println!(
        "versionCompare: {run} run, {} passed, 0 skipped",
        run - failures.len()
    );
    assert_eq!(run, 63, "every versionCompare case must run");
    assert!(
        failures.is_empty(),
        "{} versionCompare cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
