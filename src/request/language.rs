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
        let q: f32 = value.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        // NOTE: the range check above keeps this in 0..=1000 (and rejects NaN).
        return Some((q * 1000.0).round() as u16);
    }
    Some(1000)
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
    fn a_huge_header_is_read_only_so_far() {
        let header = format!("{}de", "x;q=1,".repeat(MAX_ENTRIES));
        assert_eq!(preferred_language(&header), None);
    }
}
