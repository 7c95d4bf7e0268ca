//! GrowthBook-compatible targeting conditions (MongoDB-style), compiled once at config load
//! and evaluated totally against a visitor's attributes.
//!
//! A condition such as `{"country": {"$in": ["FR", "BE"]}, "orders.count": {"$gte": 2}}` is
//! compiled into a [`Condition`] (regexes built, versions padded, operands checked) and then
//! matched against any number of attribute documents with [`Condition::matches`], which never
//! fails: a malformed condition simply does not match, exactly as in GrowthBook.
//!
//! Two compilers share one implementation:
//!
//! * [`Condition::compile`] is strict and meant for merchant configs: it reports every
//!   construct GrowthBook would silently evaluate to false (unknown operators, invalid
//!   regexes, operands of the wrong shape), each located by its JSON path;
//! * [`Condition::compile_lenient`] never fails and reproduces GrowthBook's JavaScript
//!   semantics, quirks included; it is what the cross-SDK conformance suite runs.
//!
//! Known differences from GrowthBook's JavaScript (all outside its conformance suite, which
//! passes in full, and checked against the JS reference on random conditions):
//!
//! * objects compare for equality by key set, not key order (serde_json does not keep
//!   insertion order), and the keys of a condition are evaluated in sorted order, which is
//!   observable only when a later key would make JS throw;
//! * regexes run on regex-lite, not JS `RegExp` (see `compile::build_regex`);
//! * a non-string `$regex` operand is always false here; JS caches compiled regexes by
//!   `String(operand)`, so `{"$regex": 9}` matches like `"9"` once that pattern was used;
//! * inherited JS properties (`toString`, `constructor`, ...) are not attribute paths;
//! * non-array saved groups are ignored (JS would substring-test strings and throw otherwise);
//! * strict mode rejects top-level `$`-prefixed attribute names, which GrowthBook accepts.
//!
//! ```
//! use serde_json::json;
//! use tailor::condition::Condition;
//!
//! let when = json!({"country": {"$in": ["FR", "BE"]}, "orders.count": {"$gte": 2}});
//! let condition = Condition::compile(&when, "segments[0].when").expect("valid");
//! assert!(condition.matches(&json!({"country": "FR", "orders": {"count": 3}})));
//! assert!(!condition.matches(&json!({"country": "DE"})));
//!
//! let errors = Condition::compile(&json!({"age": {"$gt": "three"}}), "when").unwrap_err();
//! assert_eq!(errors[0].to_string(), "when.age.$gt: expected a number, found \"three\"");
//! ```

mod compile;
pub(crate) mod evaluate;
pub(crate) mod js;
mod node;
mod version;

use serde_json::Value;

use crate::config::{describe_json, ConfigError};
use compile::Compiler;
use evaluate::Evaluator;
use node::CondNode;

pub use version::{compare_versions, padded_version_string};

/// A compiled targeting condition.
#[derive(Debug, Clone)]
pub struct Condition {
    root: CondNode,
}

impl Condition {
    /// Compiles `json` strictly; `path` locates it in the config (e.g. `segments[3].when`) and
    /// prefixes every error's path.
    ///
    /// Returns all the errors found, not just the first. `$inGroup` ids are resolved at
    /// evaluation time (see [`Condition::matches_with_groups`]).
    pub fn compile(json: &Value, path: &str) -> Result<Self, Vec<ConfigError>> {
        Self::compile_strict(json, path, None)
    }

    /// Like [`Condition::compile`], resolving `$inGroup`/`$notInGroup` against `groups` now;
    /// an id missing from `groups` is an error.
    pub fn compile_with_groups(
        json: &Value,
        path: &str,
        groups: &SavedGroups,
    ) -> Result<Self, Vec<ConfigError>> {
        Self::compile_strict(json, path, Some(groups))
    }

    fn compile_strict(
        json: &Value,
        path: &str,
        groups: Option<&SavedGroups>,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut compiler = Compiler::new(true, groups);
        let root = compiler.condition(json, path);
        let errors = compiler.into_errors();
        if errors.is_empty() {
            Ok(Self { root })
        } else {
            Err(errors)
        }
    }

    /// Compiles `json` with GrowthBook's exact semantics; never fails (whatever is invalid
    /// evaluates as GrowthBook's JavaScript would, which is almost always "no match").
    pub fn compile_lenient(json: &Value) -> Self {
        Self::compile_lenient_inner(json, None)
    }

    /// Like [`Condition::compile_lenient`], resolving the saved groups `groups` knows now;
    /// other ids are looked up at evaluation time.
    pub fn compile_lenient_with_groups(json: &Value, groups: &SavedGroups) -> Self {
        Self::compile_lenient_inner(json, Some(groups))
    }

    fn compile_lenient_inner(json: &Value, groups: Option<&SavedGroups>) -> Self {
        let root = Compiler::new(false, groups).condition(json, "");
        Self { root }
    }

    /// Whether `attributes` (normally a JSON object) satisfies the condition. Total: never
    /// panics; where GrowthBook's JavaScript would throw, the answer is `false`.
    pub fn matches(&self, attributes: &Value) -> bool {
        self.evaluate(attributes).unwrap_or(false)
    }

    /// Like [`Condition::matches`], but `None` where GrowthBook's JavaScript would throw a
    /// `TypeError` (a `null` where it expects a condition, as in `{"$and": [null]}`). The
    /// throw goes through `$not` and `$nor` as it does in JavaScript, so a condition that
    /// throws matches neither negated nor not.
    pub fn evaluate(&self, attributes: &Value) -> Option<bool> {
        let evaluator = Evaluator { groups: None };
        evaluator.condition(&self.root, attributes).ok()
    }

    /// Like [`Condition::matches`], looking up saved groups not resolved at compile time in
    /// `groups` (unknown ids are empty groups, as in GrowthBook).
    pub fn matches_with_groups(&self, attributes: &Value, groups: &SavedGroups) -> bool {
        let evaluator = Evaluator {
            groups: Some(groups),
        };
        evaluator.condition(&self.root, attributes).unwrap_or(false)
    }
}

/// GrowthBook "saved groups": named lists of attribute values, referenced from conditions with
/// `{"id": {"$inGroup": "beta_testers"}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedGroups {
    // NOTE: sorted by id for binary search, rather than a hash map: the Worker's Wasm carries
    // no hash map code for it, and the groups are looked up while the config compiles.
    groups: Vec<(String, Vec<Value>)>,
}

impl SavedGroups {
    /// No groups.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) group `id`.
    pub fn insert(&mut self, id: impl Into<String>, members: Vec<Value>) {
        let id = id.into();
        match self.position(&id) {
            Ok(at) => self.groups[at].1 = members,
            Err(at) => self.groups.insert(at, (id, members)),
        }
    }

    /// The members of group `id`, if it exists.
    pub fn get(&self, id: &str) -> Option<&[Value]> {
        let at = self.position(id).ok()?;
        Some(&self.groups[at].1)
    }

    fn position(&self, id: &str) -> Result<usize, usize> {
        self.groups
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
    }

    /// Reads `{"group_id": [member, ...], ...}` strictly: `path` prefixes error paths.
    pub fn from_json(json: &Value, path: &str) -> Result<Self, Vec<ConfigError>> {
        let Value::Object(map) = json else {
            let found = describe_json(json);
            let message = format!("expected an object of saved groups, found {found}");
            return Err(vec![ConfigError::new(path, message)]);
        };
        let mut errors = Vec::new();
        for (id, members) in map {
            if !members.is_array() {
                let found = describe_json(members);
                let message = format!("expected an array of members, found {found}");
                errors.push(ConfigError::new(format!("{path}.{id}"), message));
            }
        }
        if errors.is_empty() {
            Ok(Self::from_json_lenient(json))
        } else {
            Err(errors)
        }
    }

    /// Reads `{"group_id": [member, ...], ...}`, ignoring anything that is not an array of
    /// members.
    ///
    /// NOTE: GrowthBook would treat a string "group" as a substring test and throw on other
    /// non-arrays; neither is worth reproducing for data GrowthBook itself always emits as
    /// arrays.
    pub fn from_json_lenient(json: &Value) -> Self {
        let mut groups = Self::new();
        for (id, members) in json.as_object().into_iter().flatten() {
            if let Some(members) = members.as_array() {
                groups.insert(id.clone(), members.clone());
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The strict compiler's errors, rendered `path: message`.
    fn errors(condition: Value, path: &str) -> Vec<String> {
        match Condition::compile(&condition, path) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn valid_conditions_compile() {
        let conditions = [
            json!({}),
            json!({"country": "FR", "age": {"$gte": 18, "$lt": 65}}),
            json!({"signup": {"$gt": "2024-01-01"}, "score": {"$lte": "3.5"}}),
            json!({"$or": [{"a": 1}, {"b": {"$exists": false}}], "$not": {"c": true}}),
            json!({"tags": {"$all": ["x", {"$regex": "^y"}], "$size": {"$gt": 1}}}),
            json!({"items": {"$elemMatch": {"sku": "A1", "qty": {"$gt": 2}}}}),
            json!({"items": {"$elemMatch": {"$in": [1, 2]}}}),
            json!({"app": {"$vgte": "1.2.0", "$vne": "1.3.0-beta"}}),
            json!({"kind": {"$type": "array"}, "name": {"$regexi": "^bob$"}}),
            json!({"address": {"city": "Paris"}, "id": {"$inGroup": "beta"}}),
        ];
        for condition in conditions {
            assert_eq!(
                errors(condition.clone(), "when"),
                Vec::<String>::new(),
                "{condition}"
            );
        }
    }

    #[test]
    fn operand_type_errors_carry_their_path() {
        assert_eq!(
            errors(
                json!({"orders.count": {"$gt": "three"}}),
                "segments[3].when"
            ),
            ["segments[3].when.orders.count.$gt: expected a number, found \"three\""]
        );
        assert_eq!(
            errors(json!({"a": {"$lte": true}}), "w"),
            ["w.a.$lte: expected a number, found true"]
        );
        assert_eq!(
            errors(json!({"a": {"$in": "FR"}}), "w"),
            ["w.a.$in: expected an array, found \"FR\""]
        );
        assert_eq!(
            errors(json!({"a": {"$nin": [1, [2]]}}), "w"),
            ["w.a.$nin[1]: expected a string, number, boolean or null, found an array of 1 items"]
        );
        assert_eq!(
            errors(json!({"a": {"$eq": {"x": 1}}}), "w"),
            ["w.a.$eq: expected a string, number, boolean or null, found an object"]
        );
        assert_eq!(
            errors(json!({"a": {"$exists": 1}}), "w"),
            ["w.a.$exists: expected true or false, found 1"]
        );
        assert_eq!(
            errors(json!({"a": {"$vgt": 2, "$vlt": ""}}), "w"),
            ["w.a.$vlt: expected a version string, found \"\""]
        );
    }

    #[test]
    fn unknown_operators_are_reported() {
        assert_eq!(
            errors(json!({"$foo": {"a": 1}}), "segments[0].when"),
            ["segments[0].when.$foo: unknown operator \"$foo\""]
        );
        assert_eq!(
            errors(json!({"name": {"$regx": "a"}}), "w"),
            ["w.name.$regx: unknown operator \"$regx\""]
        );
        // `$or` is only meaningful at the condition level.
        assert_eq!(
            errors(json!({"a": {"$or": [1]}}), "w"),
            ["w.a.$or: unknown operator \"$or\""]
        );
        assert_eq!(
            errors(json!({"a": {"$gt": 1, "b": 2}}), "w"),
            ["w.a: operator \"$gt\" cannot be mixed with attribute names"]
        );
    }

    #[test]
    fn regex_errors_include_the_reason() {
        let found = errors(json!({"ua": {"$regex": "(Mobile"}}), "w");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("w.ua.$regex: invalid regular expression: "),
            "{found:?}"
        );
        // Look-around is valid JavaScript but unsupported by regex-lite: rejected up front.
        assert_eq!(
            errors(json!({"ua": {"$notRegexi": "a(?=b)"}}), "w").len(),
            1
        );
        assert_eq!(
            errors(json!({"ua": {"$regex": 5}}), "w"),
            ["w.ua.$regex: expected a regular expression string, found 5"]
        );
    }

    /// Why regexes stay on regex-lite and not on the runtime's `RegExp` (which would save
    /// about 12 KB of gzip'd Wasm): its matching is linear in the input, so a merchant's
    /// pattern that a backtracking engine explodes on cannot let a visitor's URL or
    /// User-Agent burn the request's CPU. V8 takes about 0.5 s on this pattern with 26
    /// characters, 1.7 s with 28; here it is 4,000.
    #[test]
    fn a_catastrophic_backtracking_pattern_is_harmless() {
        let when = json!({"page.path": {"$regex": "^(a+)+$"}});
        let condition = Condition::compile(&when, "w").expect("valid");
        let hostile = format!("{}!", "a".repeat(4_000));
        assert!(!condition.matches(&json!({"page": {"path": hostile}})));
        assert!(condition.matches(&json!({"page": {"path": "a".repeat(4_000)}})));
    }

    /// Found by the `conditions` fuzzer: GrowthBook's JavaScript throws on a `null` inside
    /// `$and` (`Object.entries(null)`), and the throw goes through `$not` and `$nor` too, so
    /// negating a condition that throws does not make it match.
    #[test]
    fn a_condition_that_throws_matches_neither_negated_nor_not() {
        let attributes = json!({"name": "x"});
        let throwing = json!({"$and": [{"name": "x"}, null]});
        for wrapped in [
            throwing.clone(),
            json!({"$not": throwing}),
            json!({"$nor": [throwing]}),
            json!({"$or": [throwing]}),
        ] {
            let condition = Condition::compile_lenient(&wrapped);
            assert_eq!(condition.evaluate(&attributes), None, "{wrapped}");
            assert!(!condition.matches(&attributes), "{wrapped}");
        }
        let fine = Condition::compile_lenient(&json!({"$and": [{"name": "x"}]}));
        assert_eq!(fine.evaluate(&attributes), Some(true));
        assert!(Condition::compile(&throwing, "w").is_err());
    }

    #[test]
    fn logical_operator_shapes() {
        assert_eq!(
            errors(json!({"$or": {"a": 1}}), "w"),
            ["w.$or: expected an array of conditions, found an object"]
        );
        assert_eq!(
            errors(json!({"$and": [{"a": 1}, "b", {"c": {"$gt": []}}]}), "w"),
            [
                "w.$and[1]: expected an object of conditions, found \"b\"",
                "w.$and[2].c.$gt: expected a number, found an array of 0 items",
            ]
        );
        assert_eq!(
            errors(json!({"$not": null}), "w"),
            ["w.$not: expected an object of conditions, found null"]
        );
        assert_eq!(
            errors(json!(["a"]), "w"),
            ["w: expected an object of conditions, found an array of 1 items"]
        );
    }

    #[test]
    fn array_operator_shapes() {
        assert_eq!(
            errors(json!({"a": {"$size": "3", "$elemMatch": 4}}), "w"),
            [
                "w.a.$elemMatch: expected an object, found 4",
                "w.a.$size: expected a non-negative integer or an object of operators, found \"3\"",
            ]
        );
        assert_eq!(
            errors(json!({"a": {"$all": {"$in": [1]}}}), "w"),
            ["w.a.$all: expected an array, found an object"]
        );
        assert_eq!(
            errors(json!({"a": {"$type": "integer"}}), "w"),
            ["w.a.$type: expected one of \"string\", \"number\", \"boolean\", \"object\", \"array\", \"null\", found \"integer\""]
        );
    }

    #[test]
    fn every_error_is_collected() {
        let found = errors(
            json!({"a": {"$bad": 1}, "b": {"$in": 2}, "$or": [{"c": {"$regex": "["}}]}),
            "",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("$or[0].c.$regex: invalid regular expression"));
        assert_eq!(found[1], "a.$bad: unknown operator \"$bad\"");
        assert_eq!(found[2], "b.$in: expected an array, found 2");
    }

    #[test]
    fn saved_groups_are_found_whatever_order_they_were_added_in() {
        let mut groups = SavedGroups::new();
        for id in ["m", "b", "z", "a", "b"] {
            groups.insert(id, vec![json!(id)]);
        }
        groups.insert("m", vec![json!(1), json!(2)]);
        assert_eq!(groups.get("a"), Some(&[json!("a")][..]));
        assert_eq!(groups.get("b"), Some(&[json!("b")][..]));
        assert_eq!(groups.get("m"), Some(&[json!(1), json!(2)][..]));
        assert_eq!(groups.get("z"), Some(&[json!("z")][..]));
        assert_eq!(groups.get("c"), None);
    }

    #[test]
    fn saved_groups_at_compile_and_evaluation_time() {
        let groups =
            SavedGroups::from_json(&json!({"beta": [1, "2"]}), "groups").expect("valid groups");
        let when = json!({"id": {"$inGroup": "beta"}});
        let early = Condition::compile_with_groups(&when, "w", &groups).expect("valid");
        assert!(early.matches(&json!({"id": 1})));
        let late = Condition::compile(&when, "w").expect("valid");
        assert!(!late.matches(&json!({"id": 1})));
        assert!(late.matches_with_groups(&json!({"id": "2"}), &groups));
        assert_eq!(
            Condition::compile_with_groups(&json!({"id": {"$notInGroup": "x"}}), "w", &groups)
                .expect_err("invalid")[0]
                .to_string(),
            "w.id.$notInGroup: unknown saved group \"x\""
        );
        assert_eq!(
            SavedGroups::from_json(&json!({"g": "1,2"}), "groups").expect_err("invalid")[0]
                .to_string(),
            "groups.g: expected an array of members, found \"1,2\""
        );
    }

    #[test]
    fn lenient_quirks_follow_javascript() {
        let yes = |c: Value, a: Value| Condition::compile_lenient(&c).matches(&a);
        // `null * 1 === 0`: a missing attribute equals 0.
        assert!(yes(json!({"n": 0}), json!({})));
        // `String(null) === "null"` is what `$regex` tests for a missing attribute.
        assert!(yes(json!({"n": {"$regex": "^nu"}}), json!({})));
        // Arrays expose `length` and numeric indices.
        assert!(yes(
            json!({"a.length": 2, "a.1": "y"}),
            json!({"a": ["x", "y"]})
        ));
        // `$or` on a non-array without `length` is vacuously true; on null JS throws.
        assert!(yes(json!({"$or": {"x": 1}}), json!({})));
        assert!(!yes(json!({"$nor": null}), json!({})));
        // ...and array-like objects are read through their `length`: a falsy one is vacuous,
        // a truthy one that allows no iteration is false, a missing index throws.
        assert!(yes(json!({"$or": {"length": 0}}), json!({})));
        assert!(!yes(json!({"$or": {"length": "b"}}), json!({})));
        assert!(yes(
            json!({"$or": {"length": 1, "0": {"a": 1}}}),
            json!({"a": 1})
        ));
        assert!(!yes(
            json!({"$not": {"$and": {"length": 2, "0": {}}}}),
            json!({})
        ));
        assert!(!yes(json!({"$not": {"$and": null}}), json!({})));
        // Top-level `$`-keys are attribute names to GrowthBook.
        assert!(yes(json!({"$groups": "a"}), json!({"$groups": "a"})));
        // Relational operators compare two strings as strings.
        assert!(yes(json!({"v": {"$lt": "9"}}), json!({"v": "10"})));
        assert!(!yes(json!({"v": {"$lt": 9}}), json!({"v": "10"})));
    }
}
