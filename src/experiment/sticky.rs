//! Sticky assignments: once bucketed, a visitor keeps their variation even when weights or
//! coverage change. At the edge they live in one compact cookie per browser.

/// The cookie holding this browser's assignments.
pub const ASSIGNMENTS_COOKIE: &str = "tailor_x";
/// The cookie never grows past this; the oldest assignments are dropped first.
pub const ASSIGNMENTS_COOKIE_MAX_BYTES: usize = 600;
const FORMAT_VERSION: &str = "1";

/// (experiment key, bucket version) → variation key, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StickyAssignments {
    entries: Vec<(String, u32, String)>,
}

impl StickyAssignments {
    /// Reads the cookie (`1.<key>~<bucket version>~<variation>.…`, keys percent-encoded);
    /// unreadable entries are skipped, another format version reads as empty.
    pub fn parse(cookie: &str) -> Self {
        let mut parts = cookie.split('.');
        if parts.next() != Some(FORMAT_VERSION) {
            return Self::default();
        }
        let mut sticky = Self::default();
        for entry in parts {
            let mut fields = entry.split('~');
            let (Some(key), Some(version), Some(variation), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Some(key), Ok(version), Some(variation)) =
                (unescape(key), version.parse(), unescape(variation))
            else {
                continue;
            };
            if !key.is_empty() && !variation.is_empty() {
                sticky.assign(&key, version, &variation);
            }
        }
        sticky
    }

    /// The variation key assigned in this experiment at this bucket version.
    pub fn get(&self, key: &str, bucket_version: u32) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, v, _)| k == key && *v == bucket_version)
            .map(|(_, _, variation)| variation.as_str())
    }

    /// Whether any assignment of this experiment has a bucket version below `min` (GrowthBook
    /// then excludes the visitor).
    pub fn blocked_below(&self, key: &str, min: u32) -> bool {
        self.entries.iter().any(|(k, v, _)| k == key && *v < min)
    }

    /// Records an assignment (replacing one for the same experiment and bucket version).
    pub fn assign(&mut self, key: &str, bucket_version: u32, variation: &str) {
        match self
            .entries
            .iter_mut()
            .find(|(k, v, _)| k == key && *v == bucket_version)
        {
            Some(entry) => entry.2 = variation.to_string(),
            None => self
                .entries
                .push((key.to_string(), bucket_version, variation.to_string())),
        }
    }

    /// The cookie value: entries of experiments still running (`live`), newest kept when the
    /// whole would exceed `max_bytes`. Empty when nothing is left.
    pub fn encode(&self, live: impl Fn(&str) -> bool, max_bytes: usize) -> String {
        let encoded: Vec<String> = self
            .entries
            .iter()
            .filter(|(key, _, _)| live(key))
            .map(|(key, version, variation)| {
                format!("{}~{version}~{}", escape(key), escape(variation))
            })
            .collect();
        let mut kept = Vec::new();
        let mut size = FORMAT_VERSION.len();
        for entry in encoded.iter().rev() {
            if size + 1 + entry.len() > max_bytes {
                break;
            }
            size += 1 + entry.len();
            kept.push(entry.as_str());
        }
        if kept.is_empty() {
            return String::new();
        }
        kept.reverse();
        format!("{FORMAT_VERSION}.{}", kept.join("."))
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = (&str, u32, &str)> {
        self.entries
            .iter()
            .map(|(k, v, variation)| (k.as_str(), *v, variation.as_str()))
    }
}

/// Percent-encodes everything but letters, digits, `-` and `_`, so keys can hold anything.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_survive_the_cookie() {
        let mut sticky = StickyAssignments::default();
        sticky.assign("hero copy/ü", 0, "1");
        sticky.assign("cta", 2, "0");
        sticky.assign("cta", 2, "1");
        let cookie = sticky.encode(|_| true, ASSIGNMENTS_COOKIE_MAX_BYTES);
        assert_eq!(cookie, "1.hero%20copy%2F%C3%BC~0~1.cta~2~1");
        assert_eq!(StickyAssignments::parse(&cookie), sticky);
        assert_eq!(sticky.get("cta", 2), Some("1"));
        assert_eq!(sticky.get("cta", 1), None);
    }

    #[test]
    fn ended_experiments_are_dropped_and_the_size_is_capped() {
        let mut sticky = StickyAssignments::default();
        for i in 0..100 {
            sticky.assign(&format!("experiment-number-{i}"), 0, "1");
        }
        let cookie = sticky.encode(|key| key != "experiment-number-99", 600);
        assert!(cookie.len() <= 600, "{}", cookie.len());
        assert!(!cookie.contains("experiment-number-99~"));
        assert!(cookie.contains("experiment-number-98~"), "newest kept");
        assert!(!cookie.contains("experiment-number-0~"), "oldest dropped");
        assert_eq!(sticky.encode(|_| false, 600), "");
    }

    #[test]
    fn garbage_is_ignored() {
        for cookie in [
            "",
            "2.a~0~1",
            "1.a~x~1",
            "1.a~0",
            "1.%ZZ~0~1",
            "1.~0~1",
            "1.a~0~1~2",
        ] {
            assert_eq!(
                StickyAssignments::parse(cookie),
                StickyAssignments::default(),
                "{cookie}"
            );
        }
        assert_eq!(
            StickyAssignments::parse("1.bad~~.a~0~1").get("a", 0),
            Some("1")
        );
    }
}
