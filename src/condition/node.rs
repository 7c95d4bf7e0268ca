//! The compiled form of a condition: a small tree that mirrors GrowthBook's two evaluation
//! levels, "condition" (an object of attribute paths and `$and`/`$or`/`$nor`/`$not`) and
//! "condition value" (what one attribute is tested against).
//!
//! Everything that can be decided from the condition alone (regexes, padded versions,
//! lower-cased `$ini` lists, operand shapes) is decided at compile time, so evaluation is a
//! plain walk of this tree.

use regex_lite::Regex;
use serde_json::Value;

/// A condition object: every clause must hold (JS `evalCondition`).
#[derive(Debug, Clone)]
pub(crate) struct CondNode {
    pub(crate) clauses: Vec<Clause>,
}

impl CondNode {
    /// A node whose evaluation throws in JS (e.g. `Object.entries(null)`).
    pub(crate) fn throwing() -> Self {
        Self {
            clauses: vec![Clause::Throw],
        }
    }
}

/// One key of a condition object.
#[derive(Debug, Clone)]
pub(crate) enum Clause {
    /// `$or`: true if the list is empty or any member holds.
    Or(Vec<CondNode>),
    /// `$nor`: negation of `$or`.
    Nor(Vec<CondNode>),
    /// `$and`: every member holds.
    And(Vec<CondNode>),
    /// `$not`: the nested condition does not hold.
    Not(Box<CondNode>),
    /// A dotted attribute path and the test its value must pass.
    Path {
        /// The path split on `.`.
        segments: Vec<String>,
        /// The test for the value found there (`null` when absent).
        test: ValueTest,
    },
    /// JS would throw a TypeError here; the whole evaluation then fails (is false).
    Throw,
}

/// A condition value (JS `evalConditionValue`).
#[derive(Debug, Clone)]
pub(crate) enum ValueTest {
    /// Implicit string equality: `value + "" === s`.
    EqString(String),
    /// Case-insensitive implicit string equality (inside `$alli`): holds the lower-cased string.
    EqStringFolded(String),
    /// Implicit number equality: `value * 1 === n`.
    EqNumber(f64),
    /// Implicit boolean equality: `value !== null && !!value === b`.
    EqBool(bool),
    /// Implicit `null` equality (a missing attribute is `null` too).
    IsNull,
    /// Array or plain-object equality via `JSON.stringify`.
    EqJson(Value),
    /// An operator object: every operator must hold.
    Ops(Vec<Op>),
    /// A test with a fixed answer (unknown operators, wrong operand shapes in lenient mode).
    Const(bool),
}

/// Relational operators (`$gt` ...), on plain values or on padded version strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    /// `$eq`-like equality (`$veq`).
    Eq,
    /// Inequality (`$vne`).
    Ne,
    /// `$gt` / `$vgt`.
    Gt,
    /// `$gte` / `$vgte`.
    Gte,
    /// `$lt` / `$vlt`.
    Lt,
    /// `$lte` / `$vlte`.
    Lte,
}

impl Relation {
    /// Whether an ordering (`None`: incomparable, as with NaN) satisfies this relation.
    pub(crate) fn holds(self, ord: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (self, ord) {
            (_, None) => false,
            (Relation::Eq, Some(o)) => o == Equal,
            (Relation::Ne, Some(o)) => o != Equal,
            (Relation::Gt, Some(o)) => o == Greater,
            (Relation::Gte, Some(o)) => o != Less,
            (Relation::Lt, Some(o)) => o == Less,
            (Relation::Lte, Some(o)) => o != Greater,
        }
    }
}

/// What `$elemMatch` tests each (truthy) array element with.
#[derive(Debug, Clone)]
pub(crate) enum ElemTest {
    /// An operator object, applied to the element itself.
    Value(Box<ValueTest>),
    /// A condition object, with the element as the attribute document.
    Condition(Box<CondNode>),
    /// `$elemMatch: null`: JS throws once it sees an array.
    Throw,
}

/// One operator of an operator object.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// `$veq` ... `$vlte`, with the operand already padded.
    Version(Relation, String),
    /// `$eq` (`negate: false`) or `$ne` (`negate: true`): JS `===`.
    StrictEq {
        /// The operand.
        operand: Value,
        /// `$ne`.
        negate: bool,
    },
    /// `$gt`, `$gte`, `$lt`, `$lte`: JS relational comparison.
    Compare(Relation, Value),
    /// `$exists`.
    Exists(bool),
    /// `$in`, `$nin`, `$ini`, `$nini`.
    In {
        /// The list (strings lower-cased when `fold_case`).
        list: Vec<Value>,
        /// Case-insensitive for strings.
        fold_case: bool,
        /// `$nin` / `$nini`.
        negate: bool,
    },
    /// `$inGroup` / `$notInGroup`.
    InGroup {
        /// The saved group's id.
        id: String,
        /// Members, when the groups were known at compile time.
        members: Option<Vec<Value>>,
        /// `$notInGroup`.
        negate: bool,
    },
    /// `$not` on a condition value.
    Not(Box<ValueTest>),
    /// `$size`: the test applied to an array attribute's length.
    Size(Box<ValueTest>),
    /// `$elemMatch`.
    ElemMatch(ElemTest),
    /// `$all` / `$alli`: each test must match some element.
    All(Vec<ValueTest>),
    /// `$regex`, `$regexi`, `$notRegex`, `$notRegexi`.
    Regex {
        /// The compiled pattern.
        regex: Box<Regex>,
        /// `$notRegex` / `$notRegexi`.
        negate: bool,
    },
    /// `$type`.
    Type(String),
    /// A fixed answer (e.g. an unknown operator is always false).
    Const(bool),
}
