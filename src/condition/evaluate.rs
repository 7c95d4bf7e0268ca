//! Evaluation of a compiled condition against a visitor's attributes.
//!
//! Total by construction: no operation here can panic, and recursion follows the compiled
//! condition's own depth (plus a bounded walk of attribute values for equality and string
//! conversion). Where GrowthBook's JavaScript would throw, evaluation unwinds with [`Thrown`]
//! and the whole condition is false.

use std::borrow::Cow;

use serde_json::Value;

use super::js;
use super::node::{Clause, CondNode, ElemTest, Op, ValueTest};
use super::version::padded_version_string;
use super::SavedGroups;
use crate::case;

/// JS threw a TypeError; the caller turns this into "does not match".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thrown;

type Eval = Result<bool, Thrown>;

/// Evaluation context: the saved groups available at evaluation time.
pub(crate) struct Evaluator<'g> {
    pub(crate) groups: Option<&'g SavedGroups>,
}

impl Evaluator<'_> {
    /// `evalCondition(obj, condition)`.
    pub(crate) fn condition(&self, node: &CondNode, obj: &Value) -> Eval {
        for clause in &node.clauses {
            let holds = match clause {
                Clause::Or(list) => self.any(list, obj)?,
                Clause::Nor(list) => !self.any(list, obj)?,
                Clause::And(list) => self.all(list, obj)?,
                Clause::Not(inner) => !self.condition(inner, obj)?,
                Clause::Path { segments, test } => self.value(test, &lookup(obj, segments))?,
                Clause::Throw => return Err(Thrown),
            };
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `evalOr`: an empty list is true.
    fn any(&self, list: &[CondNode], obj: &Value) -> Eval {
        if list.is_empty() {
            return Ok(true);
        }
        for node in list {
            if self.condition(node, obj)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `evalAnd`.
    fn all(&self, list: &[CondNode], obj: &Value) -> Eval {
        for node in list {
            if !self.condition(node, obj)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `evalConditionValue(condition, value)`.
    pub(crate) fn value(&self, test: &ValueTest, actual: &Value) -> Eval {
        Ok(match test {
            ValueTest::EqString(s) => js::to_js_string(actual) == s.as_str(),
            ValueTest::EqStringFolded(s) => case::lower(&js::to_js_string(actual)) == *s,
            ValueTest::EqNumber(n) => js::to_number(actual) == *n,
            ValueTest::EqBool(b) => !actual.is_null() && js::truthy(actual) == *b,
            ValueTest::IsNull => actual.is_null(),
            ValueTest::EqJson(expected) => js::json_eq(actual, expected),
            ValueTest::Const(b) => *b,
            ValueTest::Ops(ops) => {
                for op in ops {
                    if !self.operator(op, actual)? {
                        return Ok(false);
                    }
                }
                true
            }
        })
    }

    /// `evalOperatorCondition(operator, actual, expected)`.
    fn operator(&self, op: &Op, actual: &Value) -> Eval {
        Ok(match op {
            Op::Version(relation, padded) => {
                let actual = padded_version_string(actual);
                relation.holds(Some(js::utf16_cmp(&actual, padded)))
            }
            Op::StrictEq { operand, negate } => js::strict_eq(actual, operand) != *negate,
            Op::Compare(relation, operand) => relation.holds(js::compare(actual, operand)),
            Op::Exists(expected) => actual.is_null() != *expected,
            Op::In {
                list,
                fold_case,
                negate,
            } => is_in(actual, list, *fold_case) != *negate,
            Op::InGroup {
                id,
                members,
                negate,
            } => {
                let members = match members {
                    Some(members) => members.as_slice(),
                    None => self.groups.and_then(|g| g.get(id)).unwrap_or(&[]),
                };
                is_in(actual, members, false) != *negate
            }
            Op::Not(inner) => !self.value(inner, actual)?,
            Op::Size(inner) => match actual {
                Value::Array(items) => self.value(inner, &Value::from(items.len()))?,
                _ => false,
            },
            Op::ElemMatch(elem) => self.elem_match(elem, actual)?,
            Op::All(tests) => match actual {
                Value::Array(items) => {
                    for test in tests {
                        if !self.any_item(test, items)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Op::Regex { regex, negate } => regex.is_match(&js::to_js_string(actual)) != *negate,
            Op::Type(name) => js::type_name(actual) == name,
            Op::Const(b) => *b,
        })
    }

    fn any_item(&self, test: &ValueTest, items: &[Value]) -> Eval {
        for item in items {
            if self.value(test, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `elemMatch`: falsy elements (`0`, `""`, `false`, `null`) never match, as in JS.
    fn elem_match(&self, elem: &ElemTest, actual: &Value) -> Eval {
        let Value::Array(items) = actual else {
            return Ok(false);
        };
        for item in items.iter().filter(|item| js::truthy(item)) {
            let matched = match elem {
                ElemTest::Value(test) => self.value(test, item)?,
                ElemTest::Condition(node) => self.condition(node, item)?,
                ElemTest::Throw => return Err(Thrown),
            };
            if matched {
                return Ok(true);
            }
        }
        // NOTE: JS evaluates `isOperatorObject(null)` (and throws) before looking at the
        // elements, even for an empty array.
        match elem {
            ElemTest::Throw => Err(Thrown),
            _ => Ok(false),
        }
    }
}

/// `isIn`: an array attribute matches if any element is in the list (`Array.includes`, i.e.
/// `===` for JSON values); `fold_case` lower-cases strings on the attribute side (the list was
/// folded at compile time).
fn is_in(actual: &Value, list: &[Value], fold_case: bool) -> bool {
    let contains = |v: &Value| {
        if fold_case {
            if let Value::String(s) = v {
                let folded = Value::String(case::lower(s));
                return list.iter().any(|x| js::strict_eq(&folded, x));
            }
        }
        list.iter().any(|x| js::strict_eq(v, x))
    };
    match actual {
        Value::Array(items) => items.iter().any(contains),
        other => contains(other),
    }
}

/// `getPath`: walks a dotted path; anything missing is `null`.
///
/// As in JS (`part in current`), arrays are indexable by canonical index strings and expose
/// `length`. NOTE: JS would also find inherited properties (`toString`, `constructor`, ...) on
/// objects and arrays; those yield functions, which no JSON condition can match in a useful
/// way, so we deliberately treat them as missing.
pub(crate) fn lookup<'a>(obj: &'a Value, segments: &[String]) -> Cow<'a, Value> {
    let mut current = obj;
    for (i, part) in segments.iter().enumerate() {
        let next = match current {
            Value::Object(map) => map.get(part.as_str()),
            Value::Array(items) if part == "length" => {
                let len = Value::from(items.len());
                // A number has no properties, so anything after `length` is missing.
                return if i + 1 == segments.len() {
                    Cow::Owned(len)
                } else {
                    Cow::Owned(Value::Null)
                };
            }
            Value::Array(items) => array_index(part).and_then(|idx| items.get(idx)),
            _ => None,
        };
        match next {
            Some(value) => current = value,
            None => return Cow::Owned(Value::Null),
        }
    }
    Cow::Borrowed(current)
}

/// A canonical array index (`"0"`, `"17"`; not `"01"`, `"+1"`, `"1e0"`).
fn array_index(part: &str) -> Option<usize> {
    let canonical = part == "0"
        || (!part.is_empty() && !part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        part.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segs(path: &str) -> Vec<String> {
        path.split('.').map(str::to_string).collect()
    }

    #[test]
    fn lookup_follows_js_property_access() {
        let doc = json!({"a": {"b": [10, {"c": 3}]}, "s": "str"});
        assert_eq!(*lookup(&doc, &segs("a.b.1.c")), json!(3));
        assert_eq!(*lookup(&doc, &segs("a.b.length")), json!(2));
        assert_eq!(*lookup(&doc, &segs("a.b.01")), json!(null));
        assert_eq!(*lookup(&doc, &segs("a.b.length.x")), json!(null));
        assert_eq!(*lookup(&doc, &segs("s.length")), json!(null));
        assert_eq!(*lookup(&doc, &segs("missing.x")), json!(null));
    }
}
