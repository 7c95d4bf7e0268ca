//! The visitor's preferred language, from the `Accept-Language` header.
//!
//! The header lists language tags with optional weights (`fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5`).
//! The preferred language is the valid tag with the highest weight, ties going to the earlier
//! one. Garbage is skipped entry by entry, never an error: an entry whose tag is not a plausible
//! language tag, whose weight cannot be read, or whose weight is 0 ("not acceptable") is
//! ignored, and so is the wildcard `*`, which names no language.

/// A preferred language: the full tag and its primary subtag, both lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The primary language subtag: `de` for `de-CH`.
    pub primary: String,
    /// The whole tag, lower case, with `_` written as `-`: `de-ch`.
    pub tag: String,
}

/// Entries read from one header at most.
///
/// NOTE: browsers send a handful; the cap bounds the work a hostile header can cause.
const MAX_ENTRIES: usize = 64;

/// The preferred language of an `Accept-Language` header, `None` when no entry is usable.
pub fn preferred_language(header: &str) -> Option<Language> {
    let mut best: Option<(u16, &str)> = None;
    for entry in header.split(',').take(MAX_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let Some(weight) = weight(parts) else {
            continue;
        };
        if weight == 0 || !is_language_tag(tag) {
            continue;
        }
        // NOTE: strictly greater, so the first of equally weighted tags wins.
        if best.is_none_or(|(best_weight, _)| weight > best_weight) {
            best = Some((weight, tag));
        }
    }
    best.map(|(_, tag)| {
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        let primary = tag.split('-').next().unwrap_or_default().to_string();
        Language { primary, tag }
    })
}

/// The entry's weight in thousandths (`q=0.8` is 800; no `q` is 1000), `None` when a `q`
/// parameter is present but unreadable or out of range.
fn weight<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        return thousandths(value.trim());
    }
    Some(1000)
}

/// A `q` value in thousandths: `0`, `1`, or either with a fraction (`0.8`, `.5`, `1.000`),
/// `None` for anything else (signs, exponents, `NaN`, more than 1).
///
/// NOTE: read by hand rather than as a float, which would link the standard library's float
/// parser into the page Worker for this alone. Digits past the third decimal, which RFC 9110
/// does not allow and browsers do not send, round half up, as `(q * 1000).round()` would.
fn thousandths(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let digits = fraction.as_bytes();
    if !digits.iter().all(u8::is_ascii_digit) || (whole.is_empty() && digits.is_empty()) {
        return None;
    }
    let digit = |i: usize| digits.get(i).map_or(0, |d| u16::from(d - b'0'));
    let mut weight = match whole {
        "" | "0" => 100 * digit(0) + 10 * digit(1) + digit(2),
        "1" if digits.iter().all(|&d| d == b'0') => return Some(1000),
        _ => return None,
    };
    if digit(3) >= 5 {
        weight += 1;
    }
    Some(weight)
}

/// Whether `tag` looks like a BCP 47 language tag: a primary subtag of 2 or 3 letters, then
/// subtags of 1 to 8 letters or digits, separated by `-` (or `_`, which some clients send).
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split(['-', '_']);
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_weight_wins_and_ties_go_to_the_first() {
        type Case = (
            &'static str,
            &'static str,
            Option<(&'static str, &'static str)>,
        );
        let cases: &[Case] = &[
            (
                "browser default",
                "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
                Some(("fr", "fr-fr")),
            ),
            (
                "weights out of order",
                "en;q=0.5, de-CH;q=0.9, fr;q=0.8",
                Some(("de", "de-ch")),
            ),
            (
                "tie keeps the first",
                "it;q=0.8, es;q=0.8",
                Some(("it", "it")),
            ),
            ("no weight means 1", "pt-BR;q=0.9, nl", Some(("nl", "nl"))),
            ("wildcard ignored", "*, sv;q=0.1", Some(("sv", "sv"))),
            ("only a wildcard", "*", None),
            (
                "q=0 is not acceptable",
                "en;q=0, ja;q=0.001",
                Some(("ja", "ja")),
            ),
            (
                "spaces and case",
                "  EN-gb ; Q = 0.7 ,  ",
                Some(("en", "en-gb")),
            ),
            ("underscore", "zh_Hant_TW", Some(("zh", "zh-hant-tw"))),
            ("script subtag", "sr-Latn-RS", Some(("sr", "sr-latn-rs"))),
            ("three-letter primary", "gsw-CH", Some(("gsw", "gsw-ch"))),
            (
                "bad weight skipped",
                "de;q=abc, fr;q=2, en;q=-1, es;q=NaN, it;q=0.3",
                Some(("it", "it")),
            ),
            (
                "garbage tags skipped",
                "123, e, toolongprimary, en-, -en, en--us, é, pl",
                Some(("pl", "pl")),
            ),
            (
                "other parameters ignored",
                "da;level=1;q=0.4, fi;foo",
                Some(("fi", "fi")),
            ),
            (
                "weights as written",
                "fr;q=.5, de;q=0.0005, en;q=1.000, it;q=1., es;q=0.9999",
                Some(("en", "en")),
            ),
            (
                "more than 1, signs and exponents skipped",
                "fr;q=1.001, de;q=+0.5, en;q=1e-1, it;q=inf, es;q=., pt;q=0.25",
                Some(("pt", "pt")),
            ),
            ("empty", "", None),
            ("only separators", ",,;;,", None),
        ];
        for &(name, header, expected) in cases {
            let actual = preferred_language(header);
            let actual = actual
                .as_ref()
                .map(|l| (l.primary.as_str(), l.tag.as_str()));
            assert_eq!(actual, expected, "{name}: {header:?}");
        }
    }

    #[test]
    fn weights_are_read_in_thousandths() {
        let cases = [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("0.8", Some(800)),
            (".5", Some(500)),
            ("0.123", Some(123)),
            ("0.0004", Some(0)),
            ("0.0005", Some(1)),
            ("0.9995", Some(1000)),
            ("1.001", None),
            ("2", None),
            ("01", None),
            ("-0", None),
            ("+0.5", None),
            ("1e-1", None),
            ("NaN", None),
            ("inf", None),
            ("0x1", None),
            ("0.5.5", None),
            (".", None),
            ("", None),
        ];
        for (q, expected) in cases {
            assert_eq!(thousandths(q), expected, "{q:?}");
        }
    }

    #[test]
    fn every_weight_browsers_send_reads_as_the_float_it_writes() {
        // RFC 9110's qvalues, 0 to 1 in thousandths, each written with three decimals and as
        // short as Rust writes it (`0.800` and `0.8`).
        for n in 0..=1000u16 {
            let whole = n / 1000;
            let spellings = [
                format!("{whole}.{:03}", n % 1000),
                format!("{}", f32::from(n) / 1000.0),
            ];
            for q in spellings {
                let float = q.parse::<f32>().expect("a float as Rust writes it");
                let float = (float * 1000.0).round() as u16;
                assert_eq!(thousandths(&q), Some(float), "{q:?}");
            }
        }
    }

    #[test]
    fn a_huge_header_is_read_only_so_far() {
        let header = format!("{}de", "x;q=1,".repeat(MAX_ENTRIES));
        assert_eq!(preferred_language(&header), None);
    }
}
