//! The request URL's query string and the `Referer` header, read without a URL library.
//!
//! Everything here is total: any string (a URL, a referrer, garbage) gives an answer and never
//! panics. Query strings are decoded like `application/x-www-form-urlencoded` (what
//! `URLSearchParams` does): `&` separates pairs, `+` is a space, `%XX` is a byte, and bytes that
//! are not UTF-8 become U+FFFD. A `%` not followed by two hex digits stays a literal `%`.
//!
//! Hosts are normalised the same way for the referrer and for the request itself: lower case,
//! no user info, no port, no trailing dot, and **no leading `www.`**, so a condition on
//! `page.referrer.host` can say `"google.com"` once instead of listing both spellings.

/// The five UTM campaign parameters, as sent by email tools and ad platforms.
///
/// A parameter that is absent, or present with an empty value (`utm_source=`), is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    /// `utm_source`: who sent the visitor (`newsletter`, `google`).
    pub source: Option<String>,
    /// `utm_medium`: the channel (`email`, `cpc`).
    pub medium: Option<String>,
    /// `utm_campaign`: the campaign name.
    pub campaign: Option<String>,
    /// `utm_term`: the paid search keyword.
    pub term: Option<String>,
    /// `utm_content`: which link or creative was clicked.
    pub content: Option<String>,
}

/// A decoded query string: name/value pairs in URL order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the leading `?`).
    ///
    /// Empty segments (`a=1&&b=2`) and pairs with an empty name (`=x`) are skipped; a name
    /// without `=` has the empty value.
    pub fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter_map(|segment| {
                let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
                let name = form_decode(name);
                if name.is_empty() {
                    return None;
                }
                Some((name, form_decode(value)))
            })
            .collect();
        Self { pairs }
    }

    /// Parses the query string of a full URL (the part between the first `?` and the `#`).
    pub fn from_url(url: &str) -> Self {
        Self::parse(query_string(url))
    }

    /// The value of the first parameter named `name` (the same rule as cookies).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs, in URL order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Consumes the query, giving back its pairs.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    /// The UTM parameters (first value of each; empty values count as absent).
    pub fn utm(&self) -> Utm {
        let get = |name: &str| self.get(name).filter(|v| !v.is_empty()).map(str::to_string);
        Utm {
            source: get("utm_source"),
            medium: get("utm_medium"),
            campaign: get("utm_campaign"),
            term: get("utm_term"),
            content: get("utm_content"),
        }
    }
}

/// The raw query string of `url`: after the first `?`, before the `#`; empty when there is none.
pub fn query_string(url: &str) -> &str {
    // NOTE: a `?` inside the fragment is not a query (`/a#b?c`), so cut the fragment first.
    let before_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    before_fragment
        .split_once('?')
        .map_or("", |(_, query)| query)
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
///
/// Bad escapes stay literal and invalid UTF-8 becomes U+FFFD, so this never fails.
pub fn form_decode(component: &str) -> String {
    decode(component, true)
}

/// Decodes `%XX` escapes in a URL path segment (`+` stays a plus), as leniently as
/// [`form_decode`].
pub fn percent_decode(segment: &str) -> String {
    decode(segment, false)
}

fn decode(component: &str, plus_is_space: bool) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let high = bytes.get(i + 1).copied().and_then(hex_value);
                let low = bytes.get(i + 2).copied().and_then(hex_value);
                if let (Some(high), Some(low)) = (high, low) {
                    out.push(high << 4 | low);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The normalised host of an absolute URL (`scheme://host...`), `None` when it has none.
///
/// Lower case, without user info, port, trailing dot or a leading `www.`; IPv6 literals keep
/// their brackets (`[::1]`). Any scheme is accepted, so an Android app referrer
/// (`android-app://com.google.android.gm/`) gives the app's package name.
pub fn normalized_host(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    // NOTE: browsers treat `\` like `/` in http(s) URLs; a referrer never has one, but a
    // hand-made URL might, and `host\path` must not become part of the host.
    let authority_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host_and_port.starts_with('[') {
        match host_and_port.find(']') {
            Some(end) => &host_and_port[..=end],
            None => return None,
        }
    } else {
        host_and_port
            .split_once(':')
            .map_or(host_and_port, |(host, _)| host)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = match host.strip_prefix("www.") {
        Some(bare) if !bare.is_empty() => bare.to_string(),
        _ => host,
    };
    (!host.is_empty()).then_some(host)
}

/// Whether `referrer` points at the same site as `request_url`: both normalised hosts exist and
/// are equal (scheme and port ignored; `www.` does not matter; other subdomains do).
pub fn is_same_site(request_url: &str, referrer: &str) -> bool {
    match (normalized_host(request_url), normalized_host(referrer)) {
        (Some(request_host), Some(referrer_host)) => request_host == referrer_host,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn query_string_is_between_question_mark_and_fragment() {
        let cases = [
            ("https://s.test/a?x=1#frag", "x=1"),
            ("https://s.test/a?x=1?y=2", "x=1?y=2"),
            ("https://s.test/a#frag?x=1", ""),
            ("https://s.test/a", ""),
            ("https://s.test/a?", ""),
            ("?only", "only"),
        ];
        for (url, expected) in cases {
            assert_eq!(query_string(url), expected, "query string of {url}");
        }
    }

    #[test]
    fn query_values_are_form_decoded() {
        let query =
            Query::from_url("https://s.test/?q=red+boots&city=S%C3%A3o%20Paulo&e=a%2Bb%26c%3D");
        assert_eq!(
            query.pairs(),
            pairs(&[("q", "red boots"), ("city", "São Paulo"), ("e", "a+b&c="),])
        );
    }

    #[test]
    fn query_parsing_tolerates_garbage() {
        let query = Query::parse("a=1&&=orphan&flag&b=%zz%4&c=%FF%FE&a=2&d=x=y&%E2%82%AC=euro");
        assert_eq!(
            query.pairs(),
            pairs(&[
                ("a", "1"),
                ("flag", ""),
                ("b", "%zz%4"),
                ("c", "\u{FFFD}\u{FFFD}"),
                ("a", "2"),
                ("d", "x=y"),
                ("€", "euro"),
            ])
        );
        assert_eq!(query.get("a"), Some("1"), "first value of a name wins");
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.get("missing"), None);
        assert_eq!(Query::parse("%").get("%"), Some(""), "a lone % is kept");
        assert_eq!(
            Query::parse("x=%4").get("x"),
            Some("%4"),
            "a short escape is kept"
        );
    }

    #[test]
    fn utm_parameters_take_the_first_non_empty_value() {
        let query = Query::parse(
            "utm_source=news+letter&utm_medium=&utm_campaign=spring%20sale&utm_source=x&utm_content=hero",
        );
        assert_eq!(
            query.utm(),
            Utm {
                source: Some("news letter".into()),
                medium: None,
                campaign: Some("spring sale".into()),
                term: None,
                content: Some("hero".into()),
            }
        );
        assert_eq!(Query::parse("").utm(), Utm::default());
    }

    #[test]
    fn hosts_are_normalised() {
        let cases = [
            ("https://www.Google.com/search?q=x", Some("google.com")),
            ("https://google.com.", Some("google.com")),
            ("http://user:pw@WWW.shop.test:8443/x", Some("shop.test")),
            ("https://m.facebook.com/", Some("m.facebook.com")),
            ("https://www./", Some("www")),
            ("http://127.0.0.1:8787/cart", Some("127.0.0.1")),
            ("http://[::1]:8787/", Some("[::1]")),
            ("http://[::1/", None),
            (
                "android-app://com.google.android.gm/",
                Some("com.google.android.gm"),
            ),
            ("https://shop.test\\evil.test/", Some("shop.test")),
            ("https://shop.test?x=1", Some("shop.test")),
            ("https:///path", None),
            ("about:blank", None),
            ("/relative/path", None),
            ("://host", None),
            ("", None),
        ];
        for (url, expected) in cases {
            assert_eq!(normalized_host(url).as_deref(), expected, "host of {url:?}");
        }
    }

    #[test]
    fn same_site_ignores_scheme_port_and_www_only() {
        let cases = [
            ("https://shop.test/a", "https://shop.test/b", true),
            ("https://shop.test/a", "http://www.shop.test:80/", true),
            ("https://www.shop.test/a", "https://shop.test/", true),
            ("https://shop.test/a", "https://blog.shop.test/", false),
            ("https://shop.test/a", "https://google.com/", false),
            ("https://shop.test/a", "", false),
            ("garbage", "garbage", false),
        ];
        for (url, referrer, expected) in cases {
            assert_eq!(
                is_same_site(url, referrer),
                expected,
                "{url} <- {referrer:?}"
            );
        }
    }
}
