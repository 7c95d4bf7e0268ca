//! What a page view reports to the personalization audit: the segments the visitor matched and
//! the content they were served, each at most once per visitor per day.
//!
//! NOTE: the `tailor_s` cookie remembers what was already reported today (short hashes), so a
//! visitor browsing twenty pages sends one message, not twenty, and D1 keeps daily aggregates
//! rather than a row per page view.

use serde::Serialize;

/// The cookie that remembers what was reported today.
pub const SEEN_COOKIE: &str = "tailor_s";
/// How long it is kept: it only matters within a day.
pub const SEEN_COOKIE_MAX_AGE_SECS: u64 = 2 * 24 * 60 * 60;
/// The cookie never exceeds this many bytes (its value).
pub const SEEN_COOKIE_MAX_BYTES: usize = 8 + MAX_REMEMBERED * 8;
/// At most this many items are remembered per day; past it, items may be reported again
/// (counts stay at-least-once, never lost).
const MAX_REMEMBERED: usize = 48;
const MS_PER_DAY: u64 = 24 * 60 * 60 * 1000;

/// What to report for this page view: only what was not reported today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// Days since the Unix epoch (UTC).
    pub day: u32,
    /// Segment ids matched.
    pub segments: Vec<String>,
    /// Content served: (slot id, content key: a segment id, `default`, or `experiment:variant`).
    pub contents: Vec<(String, String)>,
}

/// Today's reported items, as the cookie keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    day: u32,
    items: Vec<u32>,
}

impl Reported {
    /// Reads the cookie (`1.<day>.<hash>.<hash>…`); anything unreadable, or another day's
    /// record, counts as nothing reported today.
    pub fn parse(cookie: Option<&str>, today: u32) -> Self {
        let fresh = Self {
            day: today,
            items: Vec::new(),
        };
        let Some(text) = cookie else { return fresh };
        let mut parts = text.split('.');
        if parts.next() != Some("1") {
            return fresh;
        }
        if parts.next().and_then(|d| d.parse::<u32>().ok()) != Some(today) {
            return fresh;
        }
        let items = parts
            .filter_map(|h| u32::from_str_radix(h, 36).ok())
            .take(MAX_REMEMBERED)
            .collect();
        Self { day: today, items }
    }

    /// What of `segments` and `contents` is new today, remembering it; `None` when everything
    /// was already reported.
    pub fn report(&mut self, segments: &[String], contents: &[(String, String)]) -> Option<Seen> {
        let mut seen = Seen {
            day: self.day,
            segments: Vec::new(),
            contents: Vec::new(),
        };
        for segment in segments {
            if self.remember(&format!("s\u{0}{segment}")) {
                seen.segments.push(segment.clone());
            }
        }
        for (slot, content) in contents {
            if self.remember(&format!("c\u{0}{slot}\u{0}{content}")) {
                seen.contents.push((slot.clone(), content.clone()));
            }
        }
        (!seen.segments.is_empty() || !seen.contents.is_empty()).then_some(seen)
    }

    fn remember(&mut self, item: &str) -> bool {
        let hash = fnv1a(item);
        if self.items.contains(&hash) {
            return false;
        }
        if self.items.len() < MAX_REMEMBERED {
            self.items.push(hash);
        }
        true
    }

    /// The cookie value.
    pub fn encode(&self) -> String {
        let mut text = format!("1.{}", self.day);
        for item in &self.items {
            text.push('.');
            text.push_str(&to_base36(*item));
        }
        text
    }
}

/// The day (since the Unix epoch, UTC) of `now_ms`.
pub fn day_of(now_ms: u64) -> u32 {
    u32::try_from(now_ms / MS_PER_DAY).unwrap_or(u32::MAX)
}

fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fn to_base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_item_is_reported_once_a_day() {
        let today = 20_416;
        let mut reported = Reported::parse(None, today);
        let hero = vec![("hero".to_string(), "vip".to_string())];
        let first = reported.report(&strings(&["vip"]), &hero).expect("new");
        assert_eq!(first.segments, ["vip"]);
        assert_eq!(first.contents, hero);

        let cookie = reported.encode();
        let mut again = Reported::parse(Some(&cookie), today);
        assert_eq!(again.report(&strings(&["vip"]), &hero), None);
        let more = again
            .report(&strings(&["vip", "returning"]), &hero)
            .expect("one new segment");
        assert_eq!(more.segments, ["returning"]);
        assert!(more.contents.is_empty());

        let mut tomorrow = Reported::parse(Some(&again.encode()), today + 1);
        assert!(tomorrow.report(&strings(&["vip"]), &[]).is_some());
    }

    #[test]
    fn garbage_cookies_mean_nothing_was_reported() {
        for cookie in ["", "2.20416.abc", "1.x.abc", "1.20416.!!!.zz", "\u{1F600}"] {
            let mut reported = Reported::parse(Some(cookie), 20_416);
            assert!(
                reported.report(&strings(&["a"]), &[]).is_some(),
                "{cookie:?}"
            );
        }
    }

    #[test]
    fn the_cookie_stays_small() {
        let mut reported = Reported::parse(None, 20_416);
        let many: Vec<String> = (0..200).map(|i| format!("segment-{i}")).collect();
        reported.report(&many, &[]);
        let cookie = reported.encode();
        assert!(
            cookie.len() <= 8 + MAX_REMEMBERED * 8,
            "{} bytes",
            cookie.len()
        );
        assert_eq!(Reported::parse(Some(&cookie), 20_416), reported);
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(1_795_000_000_000), 20_775);
    }
}
