//! SemVer-ish version ordering for the `$veq`/`$vne`/`$vgt`/`$vgte`/`$vlt`/`$vlte` operators.
//!
//! GrowthBook does not parse versions: it rewrites each one into a "padded" string whose plain
//! string order is the version order, then compares strings. We do the same, so that every
//! quirk (pre-release ordering, non-numeric parts, missing parts) matches.

use std::cmp::Ordering;

use serde_json::Value;

use super::js;

/// Width numeric version parts are left-padded to, so that `" 9" < "10"` as strings.
const PART_WIDTH: usize = 5;

/// The padded form of a version attribute or operand, as GrowthBook's `paddedVersionString`.
///
/// Numbers are first printed as JS prints them; any other non-string, and the empty string,
/// count as version `"0"`. A leading `v` and any `+build` suffix are dropped, the rest is split
/// on `-` and `.`, a plain `x.y.z` gets a `~` part (sorting it after its pre-releases), and
/// numeric parts are left-padded with spaces.
pub fn padded_version_string(input: &Value) -> String {
    match input {
        Value::String(s) if !s.is_empty() => padded_version(s),
        Value::Number(n) => padded_version(&js::number_to_string(js::number(n))),
        _ => padded_version("0"),
    }
}

/// Compares two version strings the way GrowthBook's version operators do.
///
/// ```
/// use std::cmp::Ordering;
/// use tailor::condition::compare_versions;
///
/// assert_eq!(compare_versions("1.0.0-beta", "1.0.0"), Ordering::Less);
/// assert_eq!(compare_versions("v1.2.3+build5", "1.2.3"), Ordering::Equal);
/// assert_eq!(compare_versions("1.10.0", "1.9.0"), Ordering::Greater);
/// ```
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let a = padded_version_string(&Value::String(a.to_string()));
    let b = padded_version_string(&Value::String(b.to_string()));
    js::utf16_cmp(&a, &b)
}

/// Padded form of an already-stringified version.
fn padded_version(input: &str) -> String {
    let end = build_suffix_start(input).unwrap_or(input.len());
    // NOTE: the leading `v` is stripped only when it is at position 0, and a `+` at position
    // 0 cannot coexist with it, so slicing `1..end` is safe whenever the first check passes.
    let start = usize::from(input.starts_with('v') && end >= 1);
    let core = &input[start..end];
    let mut parts: Vec<&str> = core.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let mut out = String::with_capacity(core.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            for _ in part.len()..PART_WIDTH {
                out.push(' ');
            }
        }
        out.push_str(part);
    }
    out
}

/// Where JS's `/\+.*$/` would match: the first `+` with no line terminator after it (JS `.`
/// stops at line terminators and `$` only matches at the very end).
fn build_suffix_start(input: &str) -> Option<usize> {
    let is_line_terminator = |c: char| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
    input
        .char_indices()
        .filter(|&(_, c)| c == '+')
        .map(|(i, _)| i)
        .find(|&i| !input[i..].contains(is_line_terminator))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pads_like_growthbook() {
        assert_eq!(
            padded_version_string(&json!("v1.2.3")),
            "    1-    2-    3-~"
        );
        assert_eq!(
            padded_version_string(&json!("1.2.3-rc.1+build")),
            "    1-    2-    3-rc-    1"
        );
        assert_eq!(padded_version_string(&json!(null)), "    0");
        assert_eq!(padded_version_string(&json!("")), "    0");
        assert_eq!(padded_version_string(&json!(1.5)), "    1-    5");
        assert_eq!(padded_version_string(&json!("123456")), "123456");
        assert_eq!(padded_version_string(&json!("v")), "");
    }

    #[test]
    fn build_suffix_respects_line_terminators() {
        assert_eq!(build_suffix_start("1+a\n+b"), Some(4));
        assert_eq!(build_suffix_start("1+a\n"), None);
        assert_eq!(build_suffix_start("1.0+x"), Some(3));
    }
}
