//! JavaScript value semantics over `serde_json::Value`.
//!
//! GrowthBook's reference evaluator is JavaScript and leans on JS coercions everywhere
//! (`value + ""`, `value * 1`, `a < b`, truthiness, `===`, `JSON.stringify` equality). This
//! module reproduces exactly those coercions for the values a JSON document can hold, so the
//! evaluator can stay a plain transcription of the semantics instead of a pile of special cases.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

// NOTE: attribute documents come from outside; a pathologically deep array would make the
// recursive `Array.prototype.join` emulation overflow the stack. JS would throw a RangeError
// there; we stop descending instead (the result is then simply a string that matches nothing
// sensible). 64 levels is far beyond anything a real visitor attribute uses.
const MAX_JOIN_DEPTH: usize = 64;

/// `typeof`-style type name as GrowthBook's `$type` sees it (`null` and `array` split out).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JS truthiness (`!!value`).
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The number a JSON number becomes in JS (big integers round like `JSON.parse` rounds them).
pub(crate) fn number(n: &serde_json::Number) -> f64 {
    // NOTE: without serde_json's `arbitrary_precision` feature every number has an f64 view;
    // NaN is only a defensive fallback.
    n.as_f64().unwrap_or(f64::NAN)
}

/// JS `String(value)` / `value + ""`.
pub(crate) fn to_js_string(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(number_to_string(number(n))),
        Value::Object(_) => Cow::Borrowed("[object Object]"),
        Value::Array(items) => {
            let mut out = String::new();
            join_into(items, &mut out, 0);
            Cow::Owned(out)
        }
    }
}

/// `Array.prototype.join(",")`: `null` elements become empty, nested arrays join recursively.
fn join_into(items: &[Value], out: &mut String, depth: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => {}
            Value::Array(inner) if depth < MAX_JOIN_DEPTH => join_into(inner, out, depth + 1),
            Value::Array(_) => {}
            other => out.push_str(&to_js_string(other)),
        }
    }
}

/// JS `Number.prototype.toString()` for a finite or non-finite f64.
pub(crate) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n == 0.0 {
        return "0".to_string(); // -0 prints as "0" too
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if n < 0.0 {
        return format!("-{}", number_to_string(-n));
    }
    let (digits, point) = shortest_digits(n);
    let k = digits.len() as i32;
    if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let sign = if e >= 0 { '+' } else { '-' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.abs())
        }
    }
}

/// The shortest digits that read back as `n` (finite, > 0), without leading or trailing zeros,
/// and where the decimal point goes: `n` = 0.`digits` × 10^`point`. That digit string is the
/// one ECMAScript's Number::toString specifies; only the layout rules differ.
fn shortest_digits(n: f64) -> (String, i32) {
    // NOTE: zmij (serde_json's float printer, already in the Wasm) rather than `{:e}`: when two
    // shortest candidates are equally near, `{:e}` rounds up where ECMAScript takes the even
    // one (1658206780088562.25 prints as …562.2 in JavaScript).
    let mut buffer = zmij::Buffer::new();
    let printed = buffer.format_finite(n);
    let (mantissa, exponent) = printed.split_once(['e', 'E']).unwrap_or((printed, "0"));
    let exponent: i32 = exponent.trim_start_matches('+').parse().unwrap_or(0);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut point = int.len() as i32 + exponent;
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    digits.truncate(digits.trim_end_matches('0').len());
    (digits, point)
}

/// JS `x.toFixed(2)`: `x` rounded to two decimals, from its exact binary value, a tie going to
/// the larger magnitude (so `-0.001` gives `-0.00`, as in JavaScript); at 10^21 and above (and
/// for NaN), `String(x)`.
pub(crate) fn to_fixed_2(x: f64) -> String {
    if x.is_nan() || x.abs() >= 1e21 {
        return number_to_string(x);
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // NOTE: from x = mantissa × 2^exponent exactly, not `{:.2}`, which rounds a tie to even
    // (0.125 → "0.12" where JavaScript prints "0.13"). No u128: its division and formatting
    // would add 2.5 KB to the Wasm.
    let bits = x.abs().to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    if exponent >= 0 {
        return format!("{sign}{}.00", integer_digits(mantissa, exponent));
    }
    // round(x × 100), ties up: mantissa × 100 < 2^60.
    let scaled = mantissa * 100;
    let shift = exponent.unsigned_abs();
    let n = if shift > 62 {
        0 // x × 100 < 2^60 / 2^63 < 1/2
    } else {
        let whole = scaled >> shift;
        whole + u64::from(scaled - (whole << shift) >= 1 << (shift - 1))
    };
    format!("{sign}{}.{:02}", n / 100, n % 100)
}

/// `mantissa × 2^exponent` (mantissa < 2^53, exponent ≤ 17: the integers below 10^21 that
/// `toFixed` prints in full) in decimal, exactly, doubling base-10^9 limbs.
fn integer_digits(mantissa: u64, exponent: i32) -> String {
    const BASE: u64 = 1_000_000_000;
    let mut limbs = vec![mantissa % BASE, mantissa / BASE]; // least significant first
    for _ in 0..exponent {
        let mut carry = 0;
        for limb in &mut limbs {
            let doubled = *limb * 2 + carry;
            *limb = doubled % BASE;
            carry = doubled / BASE;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut out = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&limb.to_string());
        } else {
            out.push_str(&format!("{limb:09}"));
        }
    }
    out
}

/// JS `Number(value)` / `value * 1`.
pub(crate) fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => number(n),
        Value::String(s) => string_to_number(s),
        Value::Array(_) => string_to_number(&to_js_string(value)),
        Value::Object(_) => f64::NAN,
    }
}

/// JS whitespace and line terminators, as `StringToNumber` trims them.
fn is_js_space(c: char) -> bool {
    // NOTE: Rust's `is_whitespace` includes U+0085 (not JS whitespace) and lacks U+FEFF (JS
    // whitespace); otherwise the sets coincide.
    (c.is_whitespace() && c != '\u{85}') || c == '\u{FEFF}'
}

/// JS `StringToNumber`: trimmed decimal, `Infinity`, or `0x`/`0o`/`0b` integers; else NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(is_js_space);
    if s.is_empty() {
        return 0.0;
    }
    let radix = match s.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 0,
    };
    if radix != 0 {
        let digits = &s[2..];
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut acc = 0.0f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => acc = acc * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        return acc;
    }
    let (sign, body) = match s.as_bytes()[0] {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    // NOTE: validated first because Rust's parser also accepts "inf", "nan", ... which JS
    // does not.
    body.parse::<f64>().map_or(f64::NAN, |f| sign * f)
}

/// `digits [. digits] [e [+-] digits]` or `. digits [e ...]`, at least one mantissa digit.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa_digits += i - frac_start;
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// JS `===` between two JSON values: arrays and objects are never identical (they are always
/// distinct objects, one from the condition and one from the attributes).
pub(crate) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => number(x) == number(y),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)`.
///
/// NOTE: JSON.stringify keeps object key insertion order, so in JS `{"a":1,"b":2}` differs
/// from `{"b":2,"a":1}`. serde_json (without `preserve_order`) does not keep that order, so
/// objects compare by key set here: a deliberate, documented divergence.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        // Numbers serialize identically exactly when they are the same f64 (-0 prints "0").
        _ => strict_eq(a, b),
    }
}

/// A JS primitive after `ToPrimitive`.
enum Primitive<'a> {
    Str(Cow<'a, str>),
    Other(&'a Value),
}

fn to_primitive(value: &Value) -> Primitive<'_> {
    match value {
        Value::String(s) => Primitive::Str(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Primitive::Str(to_js_string(value)),
        other => Primitive::Other(other),
    }
}

/// JS abstract relational comparison (`<`, `<=`, `>`, `>=`): `None` when JS's answer is
/// "undefined" (a NaN was involved), which makes every relational operator false.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (to_primitive(a), to_primitive(b)) {
        (Primitive::Str(x), Primitive::Str(y)) => Some(utf16_cmp(&x, &y)),
        (x, y) => {
            let x = primitive_number(&x);
            let y = primitive_number(&y);
            x.partial_cmp(&y)
        }
    }
}

fn primitive_number(p: &Primitive<'_>) -> f64 {
    match p {
        Primitive::Str(s) => string_to_number(s),
        Primitive::Other(v) => to_number(v),
    }
}

/// JS string ordering: lexicographic by UTF-16 code unit (differs from Rust's `str` order only
/// between astral characters and BMP characters above U+E000).
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_like_js() {
        let cases = [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (-0.0, "0"),
        ];
        for (n, s) in cases {
            assert_eq!(number_to_string(n), s, "{n}");
        }
    }

    /// `[bits, String(x), x.toFixed(2)]` as JavaScript gives them (fixtures/js-numbers.mjs).
    fn javascript_numbers() -> Vec<(f64, String, String)> {
        let text = include_str!("../../fixtures/conformance/js-numbers.json");
        let cases: Vec<(String, String, String)> = serde_json::from_str(text).expect("fixture");
        cases
            .into_iter()
            .map(|(bits, string, fixed)| {
                let bits = u64::from_str_radix(&bits, 16).expect("hex bits");
                (f64::from_bits(bits), string, fixed)
            })
            .collect()
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases = javascript_numbers();
        assert!(cases.len() > 3000);
        for (x, string, _) in &cases {
            assert_eq!(&number_to_string(*x), string, "{:#x}", x.to_bits());
        }
    }

    #[test]
    fn to_fixed_2_rounds_as_javascript_does() {
        for (x, _, fixed) in javascript_numbers() {
            assert_eq!(to_fixed_2(x), fixed, "{:#x}", x.to_bits());
        }
        // Spelled out: an exact tie goes up; 1.005 is 1.00499999999999989… in binary.
        assert_eq!(to_fixed_2(0.125), "0.13");
        assert_eq!(to_fixed_2(1.005), "1.00");
        assert_eq!(to_fixed_2(-0.001), "-0.00");
        assert_eq!(to_fixed_2(f64::INFINITY), "Infinity");
    }

    #[test]
    fn strings_convert_like_js() {
        assert_eq!(string_to_number("  12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1A"), 26.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("5."), 5.0);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("1e").is_nan());
        assert!(string_to_number("-0x1").is_nan());
        assert!(string_to_number("three").is_nan());
    }

    #[test]
    fn coercions() {
        assert_eq!(to_js_string(&json!([1, null, [2, 3], "a"])), "1,,2,3,a");
        assert_eq!(to_js_string(&json!({"a": 1})), "[object Object]");
        assert_eq!(to_number(&json!([5])), 5.0);
        assert_eq!(to_number(&json!([])), 0.0);
        assert!(to_number(&json!([1, 2])).is_nan());
        assert_eq!(compare(&json!("10"), &json!("9")), Some(Ordering::Less));
        assert_eq!(compare(&json!("10"), &json!(9)), Some(Ordering::Greater));
        assert_eq!(compare(&json!(null), &json!(0)), Some(Ordering::Equal));
        assert_eq!(compare(&json!("x"), &json!(0)), None);
        assert!(json_eq(&json!([1.0, {"a": 2}]), &json!([1, {"a": 2}])));
        assert!(!strict_eq(&json!([1]), &json!([1])));
    }
}
