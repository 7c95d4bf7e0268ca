//! Rendering a compiled template against a JSON context: total, bounded, never panics.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::escape::{is_safe_url_start, url_encode, Out};
use super::parse::{CompareOp, Comparison, Condition, Filter, Logic, Node, Operand, Segment};
use super::{MAX_OUTPUT_BYTES, MAX_RENDER_STEPS};
use crate::case;
use crate::condition::js::to_fixed_2;

/// Renders `nodes`; see [`super::Template::render`].
pub(super) fn render(nodes: &[Node], context: &Value) -> String {
    let mut renderer: Renderer<'_, '_> = Renderer {
        names: Names {
            root: context,
            scopes: Vec::new(),
        },
        out: Out::new(MAX_OUTPUT_BYTES),
        steps: MAX_RENDER_STEPS,
    };
    renderer.nodes(nodes);
    renderer.out.finish()
}

struct Renderer<'c, 'n> {
    names: Names<'c, 'n>,
    out: Out,
    /// What is left of the work budget (nodes and loop iterations).
    steps: u32,
}

/// What a name in a template refers to: the context, and the loops around the node.
struct Names<'c, 'n> {
    root: &'c Value,
    /// Loop variables and `forloop`s, innermost last.
    scopes: Vec<Scope<'c, 'n>>,
}

impl<'c, 'n> Names<'c, 'n> {
    fn operand<'a>(&'a self, operand: &'a Operand) -> Cow<'a, Value> {
        match operand {
            Operand::Literal(value) => Cow::Borrowed(value),
            Operand::Path(path) => self.lookup(path),
        }
    }

    fn lookup(&self, path: &[Segment]) -> Cow<'_, Value> {
        let Some((Segment::Key(first), rest)) = path.split_first() else {
            return Cow::Owned(Value::Null);
        };
        let found = match self.scopes.iter().rev().find(|scope| scope.is_named(first)) {
            Some(Scope::Item { value, .. }) => walk(value, rest),
            Some(Scope::ForLoop { index, length }) => {
                return Cow::Owned(match walk(&forloop(*index, *length), rest) {
                    Ok(value) => value.clone(),
                    Err(computed) => computed,
                })
            }
            None => match self.root.get(first) {
                Some(value) => walk(value, rest),
                None => Err(Value::Null),
            },
        };
        match found {
            Ok(value) => Cow::Borrowed(value),
            Err(computed) => Cow::Owned(computed),
        }
    }

    /// The value at `operand` when it is a path into the context itself (no loop variable
    /// shadows its first key), borrowed for as long as the context lives; `None` otherwise.
    fn context_value(&self, operand: &Operand) -> Option<&'c Value> {
        let Operand::Path(path) = operand else {
            return None;
        };
        let Some((Segment::Key(first), rest)) = path.split_first() else {
            return None;
        };
        if self.scopes.iter().any(|scope| scope.is_named(first)) {
            return None;
        }
        let root: &'c Value = self.root;
        root.get(first).and_then(|value| walk(value, rest).ok())
    }
}

/// What a `for` loop puts in scope.
enum Scope<'c, 'n> {
    /// The loop variable: borrowed from the context when the loop reads it, else a copy.
    Item {
        name: &'n str,
        value: Cow<'c, Value>,
    },
    /// The loop's position; the `forloop` object is only built when a template reads it.
    ForLoop { index: usize, length: usize },
}

impl<'c, 'n> Scope<'c, 'n> {
    fn is_named(&self, name: &str) -> bool {
        match self {
            Scope::Item { name: item, .. } => *item == name,
            Scope::ForLoop { .. } => name == "forloop",
        }
    }
}

/// Liquid's `forloop` object at `index` (from 0) of `length`.
fn forloop(index: usize, length: usize) -> Value {
    serde_json::json!({
        "index": index + 1,
        "index0": index,
        "rindex": length - index,
        "rindex0": length - index - 1,
        "first": index == 0,
        "last": index + 1 == length,
        "length": length,
    })
}

/// Where `rest` leads from `current`: a value inside it, or one computed (`size`, or null when
/// the path leads nowhere).
fn walk<'v>(mut current: &'v Value, rest: &[Segment]) -> Result<&'v Value, Value> {
    for (i, segment) in rest.iter().enumerate() {
        let next = match (segment, current) {
            (Segment::Key(key), Value::Object(fields)) if fields.contains_key(key) => {
                fields.get(key)
            }
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            (Segment::Key(key), Value::Array(items)) if key == "first" => items.first(),
            (Segment::Key(key), Value::Array(items)) if key == "last" => items.last(),
            (Segment::Key(key), _) if key == "size" && i + 1 == rest.len() => {
                return Err(size(current));
            }
            _ => None,
        };
        match next {
            Some(value) => current = value,
            None => return Err(Value::Null),
        }
    }
    Ok(current)
}

impl<'c, 'n> Renderer<'c, 'n> {
    fn nodes(&mut self, nodes: &'n [Node]) {
        for node in nodes {
            if self.out.is_done() {
                return;
            }
            if self.steps == 0 {
                // NOTE: nested loops multiply (100^16); a hostile template stops here.
                self.out.stop();
                return;
            }
            self.steps -= 1;
            match node {
                Node::Text { text, cuts, .. } => self.out.literal(text, cuts),
                Node::Output {
                    value,
                    filters,
                    sink,
                    ..
                } => {
                    let value = self.names.operand(value);
                    let mut text = if filters.is_empty() {
                        text_of(&value)
                    } else {
                        let mut value = value.into_owned();
                        for filter in filters {
                            value = self.filter(value, filter);
                        }
                        Cow::Owned(to_text(&value))
                    };
                    if sink.encode_query && filters.last() != Some(&Filter::UrlEncode) {
                        text = Cow::Owned(url_encode(&text));
                    }
                    if sink.check_scheme && !is_safe_url_start(&text) {
                        text = Cow::Borrowed("#");
                    }
                    self.out.output(&text, *sink);
                }
                Node::If {
                    branches,
                    otherwise,
                    ..
                } => {
                    let body = branches
                        .iter()
                        .find(|(condition, _)| self.condition(condition))
                        .map_or(otherwise, |(_, body)| body);
                    self.nodes(body);
                }
                Node::For {
                    variable,
                    collection,
                    limit,
                    reversed,
                    body,
                    empty,
                    ..
                } => {
                    // NOTE: a loop over the context (the usual case) borrows its items; one
                    // over another loop's variable copies them, as that scope is ours.
                    let mut items: Vec<Cow<'c, Value>> = match self.names.context_value(collection)
                    {
                        Some(Value::Array(items)) => {
                            items.iter().take(*limit).map(Cow::Borrowed).collect()
                        }
                        Some(_) => Vec::new(),
                        None => match &*self.names.operand(collection) {
                            Value::Array(items) => items
                                .iter()
                                .take(*limit)
                                .map(|item| Cow::Owned(item.clone()))
                                .collect(),
                            _ => Vec::new(),
                        },
                    };
                    if *reversed {
                        items.reverse();
                    }
                    if items.is_empty() {
                        self.nodes(empty);
                    }
                    let length = items.len();
                    for (index, item) in items.into_iter().enumerate() {
                        if self.steps == 0 || self.out.is_done() {
                            break;
                        }
                        self.steps -= 1;
                        self.names.scopes.push(Scope::ForLoop { index, length });
                        self.names.scopes.push(Scope::Item {
                            name: variable,
                            value: item,
                        });
                        self.nodes(body);
                        self.names.scopes.truncate(self.names.scopes.len() - 2);
                    }
                }
            }
        }
    }

    fn filter(&self, value: Value, filter: &Filter) -> Value {
        let text = || to_text(&value);
        match filter {
            Filter::Default(fallback) => {
                let blank = match &value {
                    Value::Null | Value::Bool(false) => true,
                    Value::String(s) => s.is_empty(),
                    Value::Array(items) => items.is_empty(),
                    _ => false,
                };
                if blank {
                    self.names.operand(fallback).into_owned()
                } else {
                    value
                }
            }
            Filter::Upcase => Value::String(case::upper(&text())),
            Filter::Downcase => Value::String(case::lower(&text())),
            Filter::Capitalize => Value::String(case::capitalize(&text())),
            Filter::Truncate(length) => {
                let length =
                    number(&self.names.operand(length)).map_or(0, |n| n.clamp(0.0, 1e9) as usize);
                let text = text();
                if text.chars().count() <= length {
                    Value::String(text)
                } else if length == 0 {
                    Value::String(String::new())
                } else {
                    let kept: String = text.chars().take(length - 1).collect();
                    Value::String(format!("{}…", kept.trim_end()))
                }
            }
            Filter::Money(currency) => {
                let Some(amount) = number(&value) else {
                    return Value::String(String::new());
                };
                let currency = currency
                    .as_ref()
                    .map(|c| to_text(&self.names.operand(c)).to_ascii_uppercase());
                Value::String(money(amount, currency.as_deref()))
            }
            Filter::Round(digits) => {
                let Some(n) = number(&value) else {
                    return Value::Null;
                };
                let digits = digits
                    .as_ref()
                    .and_then(|d| number(&self.names.operand(d)))
                    .map_or(0, |d| d.clamp(0.0, 10.0) as i32);
                let scale = 10f64.powi(digits);
                let rounded = (n * scale).round() / scale;
                if digits == 0 && rounded.abs() < 9e15 {
                    Value::from(rounded as i64)
                } else {
                    float(rounded)
                }
            }
            Filter::Plus(other) => arithmetic(
                &value,
                &self.names.operand(other),
                i64::checked_add,
                |a, b| a + b,
            ),
            Filter::Minus(other) => arithmetic(
                &value,
                &self.names.operand(other),
                i64::checked_sub,
                |a, b| a - b,
            ),
            Filter::Times(other) => arithmetic(
                &value,
                &self.names.operand(other),
                i64::checked_mul,
                |a, b| a * b,
            ),
            Filter::Join(separator) => {
                let separator = separator
                    .as_ref()
                    .map_or_else(|| " ".to_string(), |s| to_text(&self.names.operand(s)));
                match &value {
                    Value::Array(items) => Value::String(
                        items
                            .iter()
                            .map(to_text)
                            .collect::<Vec<_>>()
                            .join(&separator),
                    ),
                    _ => value,
                }
            }
            Filter::First | Filter::Last => {
                let first = *filter == Filter::First;
                match value {
                    Value::Array(mut items) if first => {
                        if items.is_empty() {
                            Value::Null
                        } else {
                            items.swap_remove(0)
                        }
                    }
                    Value::Array(mut items) => items.pop().unwrap_or(Value::Null),
                    Value::String(s) => {
                        let c = if first {
                            s.chars().next()
                        } else {
                            s.chars().next_back()
                        };
                        c.map_or(Value::Null, |c| Value::String(c.to_string()))
                    }
                    _ => Value::Null,
                }
            }
            Filter::Size => size(&value),
            Filter::UrlEncode => Value::String(url_encode(&text())),
        }
    }

    fn condition(&self, condition: &Condition) -> bool {
        // NOTE: Liquid evaluates `a or b and c` right to left: `a or (b and c)`.
        let comparisons: Vec<&Comparison> = std::iter::once(&condition.first)
            .chain(condition.rest.iter().map(|(_, c)| c))
            .collect();
        let mut result = comparisons.last().is_some_and(|c| self.comparison(c));
        for (left, (logic, _)) in comparisons.iter().zip(&condition.rest).rev() {
            result = match logic {
                Logic::And => self.comparison(left) && result,
                Logic::Or => self.comparison(left) || result,
            };
        }
        result != condition.negate
    }

    fn comparison(&self, comparison: &Comparison) -> bool {
        let left = self.names.operand(&comparison.left);
        let Some((op, right)) = &comparison.right else {
            return truthy(&left);
        };
        let right = self.names.operand(right);
        match op {
            CompareOp::Eq => equal(&left, &right),
            CompareOp::Ne => !equal(&left, &right),
            CompareOp::Contains => match &*left {
                Value::String(s) => !matches!(&*right, Value::Null) && s.contains(&to_text(&right)),
                Value::Array(items) => items.iter().any(|item| equal(item, &right)),
                _ => false,
            },
            CompareOp::Lt | CompareOp::Gt | CompareOp::Le | CompareOp::Ge => {
                let order = match (&*left, &*right) {
                    (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                    (a, b) => a
                        .as_f64()
                        .zip(b.as_f64())
                        .and_then(|(a, b)| a.partial_cmp(&b)),
                };
                order.is_some_and(|o| match op {
                    CompareOp::Lt => o.is_lt(),
                    CompareOp::Gt => o.is_gt(),
                    CompareOp::Le => o.is_le(),
                    _ => o.is_ge(),
                })
            }
        }
    }
}

/// Liquid truthiness: only nil (and missing values) and `false` are falsy.
fn truthy(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false))
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// How a value prints: strings as they are, numbers as JSON writes them, nil as nothing,
/// arrays as their items run together, objects as nothing.
/// [`to_text`], borrowing a string value rather than copying it.
fn text_of(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(to_text(other)),
    }
}

pub(super) fn to_text(value: &Value) -> String {
    match value {
        Value::Null | Value::Object(_) => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(to_text).collect(),
    }
}

fn size(value: &Value) -> Value {
    Value::from(match value {
        Value::Array(items) => items.len(),
        Value::String(s) => s.chars().count(),
        Value::Object(fields) => fields.len(),
        _ => 0,
    })
}

/// A number, or a string holding one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn float(n: f64) -> Value {
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// `plus`/`minus`/`times`: whole numbers stay whole (unless they overflow); nil counts as 0.
fn arithmetic(
    a: &Value,
    b: &Value,
    whole: fn(i64, i64) -> Option<i64>,
    real: fn(f64, f64) -> f64,
) -> Value {
    let as_int = |v: &Value| match v {
        Value::Null => Some(0),
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if let Some(n) = as_int(a).zip(as_int(b)).and_then(|(x, y)| whole(x, y)) {
        return Value::from(n);
    }
    let as_real = |v: &Value| if v.is_null() { Some(0.0) } else { number(v) };
    match as_real(a).zip(as_real(b)) {
        Some((x, y)) => float(real(x, y)),
        None => Value::Null,
    }
}

/// `12.50`, `$12.50`, `-€3.00`, `12.50 CHF`.
fn money(amount: f64, currency: Option<&str>) -> String {
    let sign = if amount < 0.0 { "-" } else { "" };
    let digits = to_fixed_2(amount.abs());
    match currency {
        None | Some("") => format!("{sign}{digits}"),
        Some("USD") => format!("{sign}${digits}"),
        Some("EUR") => format!("{sign}€{digits}"),
        Some("GBP") => format!("{sign}£{digits}"),
        Some(code) => format!("{sign}{digits} {code}"),
    }
}
