//! Timestamps in profiles: RFC 3339 / ISO 8601 strings (`2026-11-02T10:00:00Z`, with an offset,
//! fractional seconds, or a bare date) or Unix milliseconds, turned into Unix milliseconds.
//! Small and dependency-free: a date library would cost the Wasm more than this whole module.

use serde_json::Value;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;
/// Milliseconds in a minute.
pub const MINUTE_MS: u64 = 60_000;

/// Reads a timestamp from a profile value: an RFC 3339 string, a `YYYY-MM-DD` date (midnight
/// UTC), or a number of Unix milliseconds. Anything else is `None`.
pub fn timestamp_ms(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) => parse_rfc3339(text),
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

/// Parses `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM`
/// (a missing zone means UTC). Out-of-range fields are rejected.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<i64> {
        let digits = bytes.get(from..from + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        })
    };
    let year = number(0, 4)?;
    let month = number(5, 2)?;
    let day = number(8, 2)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = 0i64;
    let mut offset_seconds = 0i64;
    let mut millis = 0i64;
    if bytes.len() > 10 {
        if !matches!(bytes[10], b'T' | b't' | b' ') {
            return None;
        }
        let hour = number(11, 2)?;
        let minute = number(14, 2)?;
        if bytes.get(13) != Some(&b':') || hour > 23 || minute > 59 {
            return None;
        }
        let mut at = 16;
        let mut second = 0;
        if bytes.get(at) == Some(&b':') {
            second = number(at + 1, 2)?;
            if second > 60 {
                return None;
            }
            at += 3;
            if bytes.get(at) == Some(&b'.') {
                let start = at + 1;
                let mut end = start;
                while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                let fraction = &text[start..end.min(start + 3)];
                millis = fraction.parse::<i64>().ok()? * 10i64.pow(3 - fraction.len() as u32);
                at = end;
            }
        }
        seconds = hour * 3600 + minute * 60 + second;
        match bytes.get(at) {
            None => {}
            Some(b'Z' | b'z') if at + 1 == bytes.len() => {}
            Some(sign @ (b'+' | b'-')) if bytes.len() == at + 6 => {
                let oh = number(at + 1, 2)?;
                let om = number(at + 4, 2)?;
                if bytes.get(at + 3) != Some(&b':') || oh > 23 || om > 59 {
                    return None;
                }
                let offset = oh * 3600 + om * 60;
                offset_seconds = if *sign == b'+' { offset } else { -offset };
            }
            _ => return None,
        }
    }
    let days = days_from_civil(year, month, day);
    let total_ms = (days * 86_400 + seconds - offset_seconds) * 1000 + millis;
    u64::try_from(total_ms).ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whole days from `then` to `now` (0 when `then` is in the future).
pub fn whole_days_between(then_ms: u64, now_ms: u64) -> u64 {
    now_ms.saturating_sub(then_ms) / DAY_MS
}

/// Whole minutes from `then` to `now` (0 when `then` is in the future).
pub fn whole_minutes_between(then_ms: u64, now_ms: u64) -> u64 {
    now_ms.saturating_sub(then_ms) / MINUTE_MS
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (for attributes conditions compare).
pub fn format_rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // NOTE: `ms` is unsigned, so the year is 1970 or later.
    let year = u64::try_from(year).unwrap_or_default();
    // NOTE: written digit by digit: the page path formats several of these per page view, and
    // `format!`'s padding machinery costs more than the date arithmetic.
    let mut text = String::with_capacity(20);
    let fields = [
        (year, year.checked_ilog10().unwrap_or(0).max(3) + 1, '-'),
        (month as u64, 2, '-'),
        (day as u64, 2, 'T'),
        (rem / 3600, 2, ':'),
        (rem % 3600 / 60, 2, ':'),
        (rem % 60, 2, 'Z'),
    ];
    for (value, width, after) in fields {
        push_digits(&mut text, value, width);
        text.push(after);
    }
    text
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(text: &mut String, value: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u64.pow(place) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formatted_times_read_back_to_the_same_second() {
        let mut ms = 0u64;
        while ms < 253_402_300_800_000 {
            let text = format_rfc3339(ms);
            assert_eq!(text.len(), 20, "{text}");
            assert_eq!(parse_rfc3339(&text), Some(ms / 1000 * 1000), "{text}");
            ms += 37 * DAY_MS + 3_723_001;
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(1_793_613_600_999), "2026-11-02T10:00:00Z");
        assert_eq!(format_rfc3339(253_402_300_799_999), "9999-12-31T23:59:59Z");
        // Past year 9999 the year simply grows.
        assert_eq!(format_rfc3339(253_402_300_800_000), "10000-01-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_variants_parse_to_the_same_instant() {
        let expected = Some(1_793_613_600_000); // 2026-11-02T10:00:00Z
        for text in [
            "2026-11-02T10:00:00Z",
            "2026-11-02T10:00:00.000Z",
            "2026-11-02t10:00:00z",
            "2026-11-02T11:00:00+01:00",
            "2026-11-02T05:30:00-04:30",
            "2026-11-02T10:00",
            "2026-11-02 10:00:00",
        ] {
            assert_eq!(parse_rfc3339(text), expected, "{text}");
        }
        assert_eq!(parse_rfc3339("2026-11-02"), Some(1_793_577_600_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.5Z"), Some(500));
    }

    #[test]
    fn invalid_timestamps_are_rejected() {
        for text in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-11-02T24:00:00Z",
            "2026-11-02T10:00:00+0100",
            "2026-11-02T10:00:00Zjunk",
            "2026-11-02X10:00",
            "1969-12-31T23:59:59Z",
            "２０２６-11-02",
            "2026-11-02T10:00:00.Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
        assert_eq!(
            parse_rfc3339("2024-02-29"),
            Some(1_709_164_800_000),
            "leap day"
        );
    }

    #[test]
    fn profile_values_may_be_strings_or_millis() {
        assert_eq!(
            timestamp_ms(&json!(1_700_000_000_000u64)),
            Some(1_700_000_000_000)
        );
        assert_eq!(timestamp_ms(&json!("2026-11-02")), Some(1_793_577_600_000));
        assert_eq!(timestamp_ms(&json!(-5)), None);
        assert_eq!(timestamp_ms(&json!(true)), None);
    }

    #[test]
    fn whole_units_round_down_and_never_go_negative() {
        let now = 1_793_613_600_000;
        assert_eq!(whole_days_between(now - 90 * DAY_MS, now), 90);
        assert_eq!(whole_days_between(now - 90 * DAY_MS + 1, now), 89);
        assert_eq!(whole_days_between(now + DAY_MS, now), 0);
        assert_eq!(whole_minutes_between(now - 30 * MINUTE_MS, now), 30);
        assert_eq!(whole_minutes_between(now - 30 * MINUTE_MS + 1, now), 29);
    }

    #[test]
    fn formatting_round_trips() {
        for ms in [
            0,
            951_782_400_000,
            1_709_164_800_000,
            1_793_613_600_000,
            4_102_444_799_000,
        ] {
            let text = format_rfc3339(ms);
            assert_eq!(parse_rfc3339(&text), Some(ms), "{text}");
        }
        assert_eq!(format_rfc3339(1_793_613_600_000), "2026-11-02T10:00:00Z");
    }
}
