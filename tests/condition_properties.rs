//! Property tests: compiling and evaluating arbitrary JSON never panics, and the strict and
//! lenient compilers agree whenever the strict one accepts a condition.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use tailor::condition::{Condition, SavedGroups};

/// Every operator the language knows, plus near misses.
const OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$ini",
    "$nini",
    "$all",
    "$alli",
    "$elemMatch",
    "$size",
    "$exists",
    "$type",
    "$regex",
    "$regexi",
    "$notRegex",
    "$notRegexi",
    "$not",
    "$and",
    "$or",
    "$nor",
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
    "$inGroup",
    "$notInGroup",
    "$foo",
    "$",
];

/// Attribute names and paths likely to hit something in generated attributes.
const NAMES: &[&str] = &[
    "a", "b", "a.b", "b.0", "a.length", "0", "1", "length", "", "a..b",
];

/// Strings that exercise regexes, versions, type names, numbers and saved group ids.
const STRINGS: &[&str] = &[
    "",
    "a",
    "A",
    "b",
    "^a",
    "(a|b)+$",
    "[",
    "(?i)x",
    "a(?=b)",
    "\\d+",
    "1.2.3",
    "v1.2.3-rc.1+build",
    "1.0.0-beta",
    "10",
    "9",
    " 0x1F ",
    "1e3",
    "string",
    "number",
    "array",
    "object",
    "null",
    "boolean",
    "g1",
    "g2",
    "null",
    "ÄÖ",
    "😀",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(OPERATORS).prop_map(String::from),
        3 => proptest::sample::select(NAMES).prop_map(String::from),
        1 => "[a-z$.0-9]{0,4}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..12).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        proptest::sample::select(STRINGS).prop_map(Value::from),
        "\\PC{0,6}".prop_map(Value::String),
    ]
}

/// Arbitrary JSON, at most 5 levels deep, biased toward operator keys.
fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn groups() -> SavedGroups {
    let mut groups = SavedGroups::new();
    groups.insert("g1", vec![Value::from(1), Value::from("a")]);
    groups.insert("g2", Vec::new());
    groups
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compiling_and_matching_never_panics(condition in json(), attributes in json()) {
        let groups = groups();
        let lenient = Condition::compile_lenient(&condition);
        let _ = lenient.matches(&attributes);
        let _ = lenient.matches_with_groups(&attributes, &groups);
        let _ = Condition::compile_lenient_with_groups(&condition, &groups).matches(&attributes);
        match Condition::compile(&condition, "when") {
            Ok(strict) => {
                // Strict mode only adds checks: an accepted condition means the same thing.
                prop_assert_eq!(
                    strict.matches_with_groups(&attributes, &groups),
                    lenient.matches_with_groups(&attributes, &groups)
                );
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in errors {
                    prop_assert!(error.path.starts_with("when"), "{}", error);
                }
            }
        }
        let _ = Condition::compile_with_groups(&condition, "", &groups);
    }

    #[test]
    fn operator_objects_on_attribute_paths_never_panic(
        name in proptest::sample::select(NAMES),
        op in proptest::sample::select(OPERATORS),
        operand in json(),
        attributes in json(),
    ) {
        let condition = serde_json::json!({ name: { op: operand } });
        let _ = Condition::compile_lenient(&condition).matches(&attributes);
        let wrapped = serde_json::json!({ "a": attributes });
        let _ = Condition::compile_lenient(&condition).matches(&wrapped);
        let _ = Condition::compile(&condition, "w");
    }
}
