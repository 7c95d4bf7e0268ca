//! Compilation of condition JSON into the [`node`](super::node) tree, in two modes sharing one
//! code path:
//!
//! * lenient: exactly GrowthBook's semantics, where anything malformed quietly evaluates the
//!   way the JavaScript reference would (usually to false, occasionally vacuously to true);
//! * strict: the same tree, but every construct GrowthBook would silently mis-evaluate is
//!   reported as a [`ConfigError`] located by its JSON path.

use regex_lite::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use super::js;
use super::node::{Clause, CondNode, ElemTest, Op, Relation, ValueTest};
use super::version::padded_version_string;
use super::SavedGroups;
use crate::case;
use crate::config::{describe_json, ConfigError};

/// The type names `$type` can match (JS `typeof` plus `null` and `array`).
const TYPE_NAMES: [&str; 6] = ["string", "number", "boolean", "object", "array", "null"];

/// Walks condition JSON, building the compiled tree and (in strict mode) collecting errors.
pub(crate) struct Compiler<'g> {
    strict: bool,
    errors: Vec<ConfigError>,
    groups: Option<&'g SavedGroups>,
}

impl<'g> Compiler<'g> {
    /// A compiler; `strict` decides whether problems are recorded.
    pub(crate) fn new(strict: bool, groups: Option<&'g SavedGroups>) -> Self {
        Self {
            strict,
            errors: Vec::new(),
            groups,
        }
    }

    /// The errors recorded so far (always empty in lenient mode).
    pub(crate) fn into_errors(self) -> Vec<ConfigError> {
        self.errors
    }

    fn error(&mut self, path: &str, message: String) {
        if self.strict {
            self.errors.push(ConfigError::new(path, message));
        }
    }

    /// Compiles without recording errors: used once a shape error has been reported, so that
    /// one mistake does not cascade into a dozen messages about its contents.
    fn quietly<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let strict = std::mem::replace(&mut self.strict, false);
        let out = f(self);
        self.strict = strict;
        out
    }

    /// A condition object (what JS passes to `evalCondition`).
    pub(crate) fn condition(&mut self, json: &Value, path: &str) -> CondNode {
        if let Value::Object(map) = json {
            let clauses = map
                .iter()
                .map(|(key, value)| self.clause(key, value, &child(path, key)))
                .collect();
            return CondNode { clauses };
        }
        self.error(path, expected("an object of conditions", json));
        // NOTE: JS iterates `Object.entries(condition)`, which is defined for every non-null
        // value: array indices, a string's characters, nothing for numbers and booleans.
        let clauses = match json {
            Value::Null => vec![Clause::Throw],
            Value::Array(items) => self.quietly(|c| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| c.clause(&i.to_string(), item, path))
                    .collect()
            }),
            Value::String(s) => utf16_units(s)
                .into_iter()
                .enumerate()
                .map(|(i, unit)| unit_clause(i, unit))
                .collect(),
            _ => Vec::new(),
        };
        CondNode { clauses }
    }

    /// One key of a condition object.
    fn clause(&mut self, key: &str, value: &Value, path: &str) -> Clause {
        match key {
            "$or" => Clause::Or(self.condition_list(value, path, true)),
            "$nor" => Clause::Nor(self.condition_list(value, path, true)),
            "$and" => Clause::And(self.condition_list(value, path, false)),
            "$not" => Clause::Not(Box::new(self.condition(value, path))),
            _ => {
                let segments = key.split('.').map(str::to_string).collect();
                if key.starts_with('$') {
                    // NOTE: GrowthBook treats any other `$key` here as an attribute name (its
                    // own suite tests a `$groups` attribute); in a merchant config it is far
                    // more likely a misplaced or misspelt operator.
                    self.error(path, format!("unknown operator \"{key}\""));
                    let test = self.quietly(|c| c.value(value, path, false));
                    return Clause::Path { segments, test };
                }
                if key.split('.').any(str::is_empty) {
                    self.error(path, format!("invalid attribute path \"{key}\""));
                }
                Clause::Path {
                    segments,
                    test: self.value(value, path, false),
                }
            }
        }
    }

    /// The operand of `$and`/`$or`/`$nor`: an array of condition objects. `or_like` is set
    /// for `$or`/`$nor`, whose JS implementation short-cuts on a falsy `length`.
    fn condition_list(&mut self, json: &Value, path: &str, or_like: bool) -> Vec<CondNode> {
        if let Value::Array(items) = json {
            return items
                .iter()
                .enumerate()
                .map(|(i, item)| self.condition(item, &index(path, i)))
                .collect();
        }
        self.error(path, expected("an array of conditions", json));
        // NOTE: JS reads `conditions.length` and `conditions[i]`: null throws, strings iterate
        // their characters, numbers and booleans have no length (vacuously true), and objects
        // are array-like only through a `length` key.
        match json {
            Value::Null => vec![CondNode::throwing()],
            Value::String(s) => utf16_units(s)
                .into_iter()
                .map(|unit| CondNode {
                    clauses: vec![unit_clause(0, unit)],
                })
                .collect(),
            Value::Object(map) => self.quietly(|c| c.array_like(map, path, or_like)),
            _ => Vec::new(),
        }
    }

    /// An object used where JS expects an array: `length` and `"0"`, `"1"`, ... keys.
    fn array_like(&mut self, map: &Map<String, Value>, path: &str, or_like: bool) -> Vec<CondNode> {
        let Some(length) = map.get("length") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = 0usize;
        // Terminates: each round either consumes a distinct existing key or stops.
        while Relation::Lt.holds(js::compare(&Value::from(i), length)) {
            match map.get(&i.to_string()) {
                Some(item) => out.push(self.condition(item, path)),
                None => {
                    out.push(CondNode::throwing()); // `evalCondition(obj, undefined)`
                    break;
                }
            }
            i += 1;
        }
        // NOTE: `evalOr` returns true for a falsy `length` but, for a truthy one that allows
        // no iteration (`"b"`, `0.5`), falls through to false. Our `$or` is true only for an
        // empty list, so that case gets one never-matching member.
        if or_like && out.is_empty() && js::truthy(length) {
            out.push(CondNode {
                clauses: vec![Clause::Not(Box::new(CondNode {
                    clauses: Vec::new(),
                }))],
            });
        }
        out
    }

    /// A condition value (what JS passes to `evalConditionValue`). `fold_case` is set for the
    /// elements of `$alli`, where string equality ignores case.
    fn value(&mut self, json: &Value, path: &str, fold_case: bool) -> ValueTest {
        match json {
            Value::String(s) if fold_case => ValueTest::EqStringFolded(case::lower(s)),
            Value::String(s) => ValueTest::EqString(s.clone()),
            Value::Number(n) => ValueTest::EqNumber(js::number(n)),
            Value::Bool(b) => ValueTest::EqBool(*b),
            Value::Null => ValueTest::IsNull,
            Value::Array(_) => ValueTest::EqJson(json.clone()),
            Value::Object(map) if is_operator_object(map) => ValueTest::Ops(
                map.iter()
                    .map(|(op, operand)| self.operator(op, operand, &child(path, op)))
                    .collect(),
            ),
            Value::Object(map) => {
                if let Some(op) = map.keys().find(|k| k.starts_with('$')) {
                    // NOTE: GrowthBook compares such an object for literal equality, which
                    // is never what was meant.
                    self.error(
                        path,
                        format!("operator \"{op}\" cannot be mixed with attribute names"),
                    );
                }
                ValueTest::EqJson(json.clone())
            }
        }
    }

    /// One operator of an operator object.
    fn operator(&mut self, op: &str, operand: &Value, path: &str) -> Op {
        match op {
            "$eq" | "$ne" => {
                self.check_primitive(operand, path);
                Op::StrictEq {
                    operand: operand.clone(),
                    negate: op == "$ne",
                }
            }
            "$gt" | "$gte" | "$lt" | "$lte" => {
                if !is_orderable(operand) {
                    self.error(path, expected("a number", operand));
                }
                Op::Compare(relation(&op[1..]), operand.clone())
            }
            "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => {
                let valid = match operand {
                    Value::String(s) => !s.is_empty(),
                    Value::Number(_) => true,
                    _ => false,
                };
                if !valid {
                    self.error(path, expected("a version string", operand));
                }
                Op::Version(relation(&op[2..]), padded_version_string(operand))
            }
            "$exists" => {
                if !operand.is_boolean() {
                    self.error(path, expected("true or false", operand));
                }
                Op::Exists(js::truthy(operand))
            }
            "$in" | "$nin" | "$ini" | "$nini" => self.membership(op, operand, path),
            "$inGroup" | "$notInGroup" => self.group(op, operand, path),
            "$not" => Op::Not(Box::new(self.value(operand, path, false))),
            "$size" => self.size(operand, path),
            "$elemMatch" => Op::ElemMatch(self.elem_match(operand, path)),
            "$all" | "$alli" => {
                let Value::Array(items) = operand else {
                    self.error(path, expected("an array", operand));
                    return Op::Const(false);
                };
                let fold_case = op == "$alli";
                let tests = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.value(item, &index(path, i), fold_case))
                    .collect();
                Op::All(tests)
            }
            "$regex" | "$regexi" | "$notRegex" | "$notRegexi" => self.regex(op, operand, path),
            "$type" => {
                let known = operand.as_str().filter(|t| TYPE_NAMES.contains(t));
                if known.is_none() {
                    let names = TYPE_NAMES.map(|t| format!("\"{t}\"")).join(", ");
                    self.error(path, expected(&format!("one of {names}"), operand));
                }
                match operand {
                    Value::String(name) => Op::Type(name.clone()),
                    _ => Op::Const(false),
                }
            }
            _ => {
                // NOTE: GrowthBook logs unknown operators and evaluates them to false.
                self.error(path, format!("unknown operator \"{op}\""));
                Op::Const(false)
            }
        }
    }

    /// `$in`, `$nin`, `$ini`, `$nini`: a non-array operand makes the operator false.
    fn membership(&mut self, op: &str, operand: &Value, path: &str) -> Op {
        let Value::Array(items) = operand else {
            self.error(path, expected("an array", operand));
            return Op::Const(false);
        };
        for (i, item) in items.iter().enumerate() {
            self.check_primitive(item, &index(path, i));
        }
        let fold_case = op.ends_with('i');
        let list = items
            .iter()
            .map(|item| match item {
                Value::String(s) if fold_case => Value::String(case::lower(s)),
                other => other.clone(),
            })
            .collect();
        Op::In {
            list,
            fold_case,
            negate: op.starts_with("$n"),
        }
    }

    /// `$inGroup`, `$notInGroup`: resolved now when the groups are known at compile time.
    fn group(&mut self, op: &str, operand: &Value, path: &str) -> Op {
        if !operand.is_string() {
            self.error(path, expected("a saved group id", operand));
        }
        // NOTE: JS indexes `savedGroups[expected]`, i.e. by the operand's string form.
        let id = js::to_js_string(operand).into_owned();
        let members = self.groups.and_then(|g| g.get(&id)).map(<[Value]>::to_vec);
        if members.is_none() && self.groups.is_some() && operand.is_string() {
            self.error(path, format!("unknown saved group \"{id}\""));
        }
        Op::InGroup {
            id,
            members,
            negate: op == "$notInGroup",
        }
    }

    /// `$size`: the array length is tested with any condition value; strictly, a length or an
    /// operator object.
    fn size(&mut self, operand: &Value, path: &str) -> Op {
        let valid = match operand {
            Value::Number(n) => n.as_u64().is_some(),
            Value::Object(map) => is_operator_object(map),
            _ => false,
        };
        if !valid {
            self.error(
                path,
                expected("a non-negative integer or an object of operators", operand),
            );
            return Op::Size(Box::new(self.quietly(|c| c.value(operand, path, false))));
        }
        Op::Size(Box::new(self.value(operand, path, false)))
    }

    /// `$elemMatch`: an operator object tests elements as values, anything else as documents.
    fn elem_match(&mut self, operand: &Value, path: &str) -> ElemTest {
        match operand {
            Value::Object(map) if is_operator_object(map) => {
                ElemTest::Value(Box::new(self.value(operand, path, false)))
            }
            Value::Object(_) => ElemTest::Condition(Box::new(self.condition(operand, path))),
            Value::Null => {
                self.error(path, expected("an object", operand));
                ElemTest::Throw
            }
            other => {
                self.error(path, expected("an object", other));
                let node = self.quietly(|c| c.condition(other, path));
                ElemTest::Condition(Box::new(node))
            }
        }
    }

    /// The `$regex` family. An invalid pattern (or a non-string) is false, as JS's try/catch
    /// makes it, even for the negated forms.
    fn regex(&mut self, op: &str, operand: &Value, path: &str) -> Op {
        let Value::String(pattern) = operand else {
            self.error(path, expected("a regular expression string", operand));
            return Op::Const(false);
        };
        match build_regex(pattern, op.ends_with('i')) {
            Ok(regex) => Op::Regex {
                regex: Box::new(regex),
                negate: op.starts_with("$not"),
            },
            Err(err) => {
                self.error(path, format!("invalid regular expression: {err}"));
                Op::Const(false)
            }
        }
    }

    /// Strictly, `$eq`/`$ne`/`$in` operands must be primitives: JS compares arrays and objects
    /// by identity, so they could never match.
    fn check_primitive(&mut self, operand: &Value, path: &str) {
        if operand.is_array() || operand.is_object() {
            self.error(path, expected("a string, number, boolean or null", operand));
        }
    }
}

/// Compiles a GrowthBook `$regex` pattern.
///
/// NOTE: GrowthBook uses JavaScript `RegExp` (no flags, or `i`); regex-lite is close for the
/// common subset, but differs: no look-around or backreferences (invalid here, so strict mode
/// rejects them and lenient mode evaluates them to false), `(?i)`-style inline flags are
/// accepted here but invalid in JS, `.` matches `\r`/`\u2028`/`\u2029` here but not in JS,
/// case-insensitivity is Unicode-aware in both but with slightly different folding, and
/// matching is per Unicode scalar value instead of per UTF-16 code unit. GrowthBook's
/// rewriting of unescaped `/` to `\/` is a no-op for a pattern built with `new RegExp` and
/// is not reproduced.
fn build_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, regex_lite::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
}

/// GrowthBook's `isOperatorObject`: non-empty, and every key starts with `$`.
fn is_operator_object(map: &Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}

/// Whether a relational operand is sensible: a number, or a string that is numeric or starts
/// with a digit.
///
/// NOTE: GrowthBook compares strings too, and dates are targeted that way
/// (`{"$gt": "2024-01-01"}`), so digit-led strings stay allowed; a word such as `"three"` is
/// almost certainly a typo for a number and is rejected.
fn is_orderable(operand: &Value) -> bool {
    match operand {
        Value::Number(_) => true,
        Value::String(s) => {
            s.starts_with(|c: char| c.is_ascii_digit())
                || (!s.trim().is_empty() && !js::string_to_number(s).is_nan())
        }
        _ => false,
    }
}

fn relation(name: &str) -> Relation {
    match name {
        "eq" => Relation::Eq,
        "ne" => Relation::Ne,
        "gt" => Relation::Gt,
        "gte" => Relation::Gte,
        "lt" => Relation::Lt,
        _ => Relation::Lte,
    }
}

/// `expected <what>, found <value>`.
fn expected(what: &str, found: &Value) -> String {
    format!("expected {what}, found {}", describe_json(found))
}

/// `path.key` (or `key` at the root).
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `path[i]`.
fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A string's UTF-16 code units as one-unit strings; lone surrogate halves (which no Rust
/// string can hold) are `None`.
fn utf16_units(s: &str) -> Vec<Option<String>> {
    s.encode_utf16()
        .map(|unit| char::from_u32(u32::from(unit)).map(String::from))
        .collect()
}

/// The clause `Object.entries` yields for one character of a string condition: attribute
/// `"<i>"` must equal that character. A lone surrogate equals no JSON-derived string.
fn unit_clause(i: usize, unit: Option<String>) -> Clause {
    Clause::Path {
        segments: vec![i.to_string()],
        test: unit.map_or(ValueTest::Const(false), ValueTest::EqString),
    }
}
