//! Schedules: when content (or a segment) is live. A seasonal campaign switches itself on and
//! off; content past its end is reported by validation so merchants can retire it.
//!
//! Times are RFC 3339 with an offset (`2026-11-27T00:00:00-05:00`), or local times without one
//! (`2026-11-27T00:00`, `2026-11-27`) read in the store's timezone: the config's
//! `storeUtcOffset` (`"-05:00"`; UTC by default).

use serde_json::Value;

use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::visitor::timestamp::{format_rfc3339, parse_rfc3339};

/// The store's fixed offset from UTC, in minutes (east positive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOffset(pub i32);

impl StoreOffset {
    /// Parses `"+HH:MM"` / `"-HH:MM"` (or `"Z"`).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "Z" || text == "z" {
            return Some(Self(0));
        }
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1, &text[1..]),
            b'-' => (-1, &text[1..]),
            _ => return None,
        };
        let (hours, minutes) = rest.split_once(':')?;
        let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hours) || !two_digits(minutes) {
            return None;
        }
        let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
        let valid = (0..=14).contains(&hours) && (0..60).contains(&minutes);
        valid.then_some(Self(sign * (hours * 60 + minutes)))
    }

    fn suffix(self) -> String {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let minutes = self.0.unsigned_abs();
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// A live window: `[start, end)`, either side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Live from (inclusive), Unix milliseconds.
    pub start_ms: Option<u64>,
    /// Live until (exclusive), Unix milliseconds.
    pub end_ms: Option<u64>,
}

impl Schedule {
    /// Reads `{"start": "...", "end": "..."}` at `path`.
    pub fn compile(
        value: &Value,
        path: &str,
        offset: StoreOffset,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let mut reader = ObjectReader::new(value, path, errors);
        let mut time = |key: &'static str, errors: &mut Vec<ConfigError>| {
            let at = reader.path_of(key);
            match reader.value(key)? {
                Value::String(text) => {
                    let parsed = parse_time(text, offset);
                    if parsed.is_none() {
                        errors.push(ConfigError::new(
                            at,
                            format!("{text:?} is not a time; use e.g. \"2026-11-27T00:00:00-05:00\", or \"2026-11-27T00:00\" in the store's timezone"),
                        ));
                    }
                    parsed
                }
                other => {
                    errors.push(ConfigError::new(
                        at,
                        format!("expected a time string, found {}", describe_json(other)),
                    ));
                    None
                }
            }
        };
        let start_ms = time("start", errors);
        let end_ms = time("end", errors);
        if let (Some(start), Some(end)) = (start_ms, end_ms) {
            if end <= start {
                errors.push(ConfigError::new(
                    reader.path_of("end"),
                    "must be after start",
                ));
            }
        }
        reader.finish(errors);
        Self { start_ms, end_ms }
    }

    /// Whether the window contains `now_ms`.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.start_ms.is_none_or(|start| now_ms >= start)
            && self.end_ms.is_none_or(|end| now_ms < end)
    }

    /// Whether the window has closed for good by `now_ms`.
    pub fn has_ended(&self, now_ms: u64) -> bool {
        self.end_ms.is_some_and(|end| now_ms >= end)
    }

    /// The end, in ms since the epoch, if any.
    pub fn end_ms(&self) -> Option<u64> {
        self.end_ms
    }

    /// The end, as RFC 3339 (for messages).
    pub fn end_text(&self) -> Option<String> {
        self.end_ms.map(format_rfc3339)
    }
}

/// An RFC 3339 time, or a local time read at the store's offset.
fn parse_time(text: &str, offset: StoreOffset) -> Option<u64> {
    let has_zone =
        text.len() > 10 && (text.ends_with(['Z', 'z']) || text[10..].rfind(['+', '-']).is_some());
    if has_zone {
        return parse_rfc3339(text);
    }
    let local = if text.len() == 10 {
        format!("{text}T00:00:00")
    } else {
        text.to_string()
    };
    parse_rfc3339(&format!("{local}{}", offset.suffix()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BLACK_FRIDAY_NY: u64 = 1_795_755_600_000; // 2026-11-27T00:00:00-05:00

    fn schedule(value: Value, offset: &str) -> (Schedule, Vec<String>) {
        let mut errors = Vec::new();
        let offset = StoreOffset::parse(offset).expect("offset");
        let schedule = Schedule::compile(&value, "slots[0].schedule", offset, &mut errors);
        (schedule, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn local_times_are_read_in_the_store_timezone() {
        for start in [
            "2026-11-27T00:00:00-05:00",
            "2026-11-27T05:00:00Z",
            "2026-11-27T00:00",
            "2026-11-27",
        ] {
            let (s, errors) = schedule(json!({"start": start}), "-05:00");
            assert_eq!(errors, Vec::<String>::new());
            assert_eq!(s.start_ms, Some(BLACK_FRIDAY_NY), "{start}");
        }
    }

    #[test]
    fn the_window_includes_its_start_and_excludes_its_end() {
        let (s, _) = schedule(
            json!({"start": "2026-11-27", "end": "2026-11-28"}),
            "-05:00",
        );
        assert!(!s.is_live(BLACK_FRIDAY_NY - 1));
        assert!(s.is_live(BLACK_FRIDAY_NY));
        let end = BLACK_FRIDAY_NY + 86_400_000;
        assert!(s.is_live(end - 1));
        assert!(!s.is_live(end));
        assert!(s.has_ended(end));
        assert!(!s.has_ended(end - 1));
        assert!(Schedule::default().is_live(0), "no schedule: always live");
    }

    #[test]
    fn bad_schedules_are_explained() {
        let (_, errors) = schedule(json!({"start": "next friday", "end": 5, "until": "x"}), "Z");
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("slots[0].schedule.start: \"next friday\" is not a time"));
        assert_eq!(
            errors[1],
            "slots[0].schedule.end: expected a time string, found 5"
        );
        assert!(errors[2].starts_with("slots[0].schedule.until: unknown field"));
        let (_, errors) = schedule(json!({"start": "2026-12-02", "end": "2026-12-01"}), "Z");
        assert_eq!(errors, ["slots[0].schedule.end: must be after start"]);
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(StoreOffset::parse("+05:30"), Some(StoreOffset(330)));
        assert_eq!(StoreOffset::parse("-08:00"), Some(StoreOffset(-480)));
        assert_eq!(StoreOffset::parse("Z"), Some(StoreOffset(0)));
        for bad in ["", "05:00", "+5", "+15:00", "+05:60", "+005:00"] {
            assert_eq!(StoreOffset::parse(bad), None, "{bad}");
        }
    }
}
