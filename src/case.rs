//! Case mapping of merchants' and visitors' text: templates' `upcase`, `downcase` and
//! `capitalize`, and the case-insensitive conditions (`$ini`, `$alli`…), which GrowthBook's
//! SDKs fold with JavaScript's `toLowerCase`.
//!
//! ASCII text, nearly all of it, is mapped here. Other text gets Unicode's full case mapping:
//! natively from the standard library; in the Workers from the JavaScript runtime's own
//! `toLowerCase` and `toUpperCase`, which the edge shell hands to [`use_runtime_mapping`]
//! before anything else runs. That maps text exactly as the JavaScript SDKs do, and keeps the
//! standard library's case tables (35 KB of Wasm, 16 KB gzip, measured) out of the Workers.

/// Which way to map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `toLowerCase`.
    Lower,
    /// `toUpperCase`.
    Upper,
}

/// Maps text that is not all ASCII.
pub type UnicodeMapping = fn(&str, Case) -> String;

#[cfg(target_arch = "wasm32")]
static RUNTIME_MAPPING: std::sync::OnceLock<UnicodeMapping> = std::sync::OnceLock::new();

/// Sets how the Wasm build maps text that is not all ASCII (the edge shell passes the
/// runtime's). Until it is set, such text keeps its non-ASCII characters as they are.
#[cfg(target_arch = "wasm32")]
pub fn use_runtime_mapping(mapping: UnicodeMapping) {
    // A second call (every entry point makes one) keeps the first mapping: it is the same.
    let _ = RUNTIME_MAPPING.set(mapping);
}

/// `text.toLowerCase()`.
pub fn lower(text: &str) -> String {
    map(text, Case::Lower)
}

/// `text.toUpperCase()`.
pub fn upper(text: &str) -> String {
    map(text, Case::Upper)
}

/// The first character upper-cased and the rest lower-cased (Liquid's `capitalize`).
pub fn capitalize(text: &str) -> String {
    let split = first_len(text);
    let mut out = map(&text[..split], Case::Upper);
    out.push_str(&map(&text[split..], Case::Lower));
    out
}

/// The first character upper-cased, the rest left as it is.
pub fn upper_first(text: &str) -> String {
    let split = first_len(text);
    let mut out = map(&text[..split], Case::Upper);
    out.push_str(&text[split..]);
    out
}

fn first_len(text: &str) -> usize {
    text.chars().next().map_or(0, char::len_utf8)
}

fn map(text: &str, case: Case) -> String {
    if text.is_ascii() {
        return ascii(text, case);
    }
    unicode(text, case)
}

/// Maps the ASCII letters of `text` and leaves every other character as it is.
fn ascii(text: &str, case: Case) -> String {
    match case {
        Case::Lower => text.to_ascii_lowercase(),
        Case::Upper => text.to_ascii_uppercase(),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn unicode(text: &str, case: Case) -> String {
    match case {
        Case::Lower => text.to_lowercase(),
        Case::Upper => text.to_uppercase(),
    }
}

#[cfg(target_arch = "wasm32")]
fn unicode(text: &str, case: Case) -> String {
    match RUNTIME_MAPPING.get() {
        Some(mapping) => mapping(text, case),
        None => ascii(text, case),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_maps_as_javascript_does() {
        assert_eq!(lower("Hello, World 42!"), "hello, world 42!");
        assert_eq!(upper("Hello, World 42!"), "HELLO, WORLD 42!");
        assert_eq!(lower(""), "");
    }

    #[test]
    fn unicode_gets_full_case_mapping() {
        // Values JavaScript gives: "ß".toUpperCase() is "SS", a final sigma lowers to "ς",
        // "İ".toLowerCase() is "i̇" (i and a combining dot).
        assert_eq!(upper("straße"), "STRASSE");
        assert_eq!(lower("ΟΔΟΣ"), "οδο\u{3c2}");
        assert_eq!(lower("İ"), "i\u{307}");
        assert_eq!(upper("ﬁ"), "FI");
        assert_eq!(lower("ÉCOLE Été"), "école été");
    }

    #[test]
    fn capitalize_maps_the_first_character_up_and_the_rest_down() {
        assert_eq!(capitalize("hELLO wORLD"), "Hello world");
        assert_eq!(capitalize("ßig"), "SSig");
        assert_eq!(capitalize("éTÉ"), "Été");
        assert_eq!(capitalize(""), "");
        assert_eq!(upper_first("conversion rate: 3%"), "Conversion rate: 3%");
        assert_eq!(upper_first("ärger"), "Ärger");
        assert_eq!(upper_first(""), "");
    }
}
