//! The facts of one request that the core decides on, extracted by the edge shell (or built by
//! tests and the CLI): method, URL, the few headers that matter, cookies, the time, and what
//! Cloudflare knows about the connection (geography, bot verdict).
//!
//! The submodules read those facts: [`url`] (query string, UTM parameters, referrer host),
//! [`user_agent`] (device, browser, OS, bots) and [`language`] (`Accept-Language`);
//! [`request_attributes`] gathers everything into the `page` part of the attribute document
//! that segment conditions see.
//!
//! Nothing here touches the runtime, so the whole pipeline can be driven natively.

mod attributes;
pub mod language;
pub mod url;
pub mod user_agent;

use serde::{Deserialize, Serialize};

pub use attributes::request_attributes;
pub use language::Language;
pub use url::{Query, Utm};
pub use user_agent::{Browser, Device, DeviceType, Os};

/// Everything the core needs to know about one incoming request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestFacts {
    /// HTTP method, upper case (`GET`).
    pub method: String,
    /// The full URL as the visitor requested it.
    pub url: String,
    /// Cookies sent by the browser, in header order (duplicates kept; the first wins on lookup).
    pub cookies: Vec<(String, String)>,
    /// `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// `Accept-Language` header, if any.
    pub accept_language: Option<String>,
    /// `Referer` header, if any.
    pub referrer: Option<String>,
    /// Milliseconds since the Unix epoch, from the runtime's clock.
    pub now_ms: u64,
    /// ISO 3166-1 alpha-2 country code (`FR`) from `request.cf.country`; absent locally.
    pub country: Option<String>,
    /// Region or state name (`Île-de-France`) from `request.cf.region`; absent locally.
    pub region: Option<String>,
    /// Continent code (`EU`) from `request.cf.continent`; absent locally.
    pub continent: Option<String>,
    /// IANA time zone (`Europe/Paris`) from `request.cf.timezone`; absent locally.
    pub timezone: Option<String>,
    /// Hour of day (0–23) in the visitor's time zone, computed by the shell from `timezone`.
    pub local_hour: Option<u8>,
    /// Day of week (0 = Sunday … 6 = Saturday) in the visitor's time zone, computed by the
    /// shell from `timezone`.
    pub local_weekday: Option<u8>,
    /// Whether the browser sent `Sec-GPC: 1` (Global Privacy Control).
    pub sec_gpc: bool,
    /// Cloudflare's bot score, 1 (automated) to 99 (human), from
    /// `request.cf.botManagement.score`; absent without Bot Management.
    pub cf_bot_score: Option<u8>,
    /// Whether Cloudflare verified the client as a known good bot
    /// (`request.cf.botManagement.verifiedBot`).
    pub cf_verified_bot: bool,
}

impl RequestFacts {
    /// Facts for a `GET` of `url` at `now_ms`, with cookies parsed from a `Cookie` header.
    pub fn get(url: &str, cookie_header: Option<&str>, now_ms: u64) -> Self {
        Self {
            method: "GET".to_string(),
            url: url.to_string(),
            cookies: cookie_header.map(parse_cookie_header).unwrap_or_default(),
            now_ms,
            ..Self::default()
        }
    }

    /// The value of the first cookie named `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the visitor reached us over https (the `Secure` cookie flag depends on it).
    pub fn is_https(&self) -> bool {
        self.url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// The URL's path, `/` when the URL has none or cannot be read.
    pub fn path(&self) -> &str {
        let after_scheme = match self.url.find("://") {
            Some(i) => &self.url[i + 3..],
            None => self.url.as_str(),
        };
        let path_and_rest = match after_scheme.find('/') {
            Some(i) => &after_scheme[i..],
            None => return "/",
        };
        let end = path_and_rest
            .find(['?', '#'])
            .unwrap_or(path_and_rest.len());
        &path_and_rest[..end]
    }

    /// The URL's decoded query string (see [`url`] for the decoding rules).
    pub fn query(&self) -> Query {
        Query::from_url(&self.url)
    }

    /// The URL's decoded query parameters, in URL order, duplicates kept.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query().into_pairs()
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query().get(name).map(str::to_string)
    }

    /// The URL's UTM campaign parameters.
    pub fn utm(&self) -> Utm {
        self.query().utm()
    }

    /// The referrer's normalised host (lower case, no port, no leading `www.`), if any.
    pub fn referrer_host(&self) -> Option<String> {
        self.referrer.as_deref().and_then(url::normalized_host)
    }

    /// Whether the referrer is this same site: navigation inside the storefront.
    pub fn is_internal_referrer(&self) -> bool {
        self.referrer
            .as_deref()
            .is_some_and(|referrer| url::is_same_site(&self.url, referrer))
    }

    /// Device type, browser, OS and bot verdict, from the `User-Agent` and Cloudflare's
    /// bot signals.
    pub fn device(&self) -> Device {
        user_agent::detect_device(
            self.user_agent.as_deref(),
            self.cf_verified_bot,
            self.cf_bot_score,
        )
    }

    /// Whether the request is automated (see [`user_agent`] for the rules).
    pub fn is_bot(&self) -> bool {
        self.device().is_bot
    }

    /// The preferred language from `Accept-Language`, if any usable one is listed.
    pub fn language(&self) -> Option<Language> {
        self.accept_language
            .as_deref()
            .and_then(language::preferred_language)
    }
}

/// Parses a `Cookie` request header into name/value pairs.
///
/// Tolerant by design: browsers and other scripts on the storefront write cookies we do not
/// control, so malformed pairs are skipped rather than failing the request. Values keep their
/// raw form; surrounding double quotes are removed.
pub fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            let name = name.trim();
            if name.is_empty() {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_header_is_parsed_tolerantly() {
        let cookies = parse_cookie_header(" a=1; ; =orphan; novalue; b=\"quoted\";c=x=y ;a=2");
        assert_eq!(
            cookies,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "quoted".into()),
                ("c".into(), "x=y".into()),
                ("a".into(), "2".into()),
            ]
        );
        let facts = RequestFacts::get("https://shop.test/", Some("a=1; a=2"), 0);
        assert_eq!(facts.cookie("a"), Some("1"), "first cookie of a name wins");
        assert_eq!(facts.cookie("missing"), None);
    }

    #[test]
    fn path_and_scheme_come_from_the_url() {
        let cases = [
            (
                "https://shop.test/products/boot?x=1#top",
                "/products/boot",
                true,
            ),
            ("http://shop.test", "/", false),
            ("HTTPS://shop.test/a", "/a", true),
            ("http://127.0.0.1:8787/cart#x", "/cart", false),
            ("garbage", "/", false),
        ];
        for (url, path, https) in cases {
            let facts = RequestFacts::get(url, None, 0);
            assert_eq!(facts.path(), path, "path of {url}");
            assert_eq!(facts.is_https(), https, "scheme of {url}");
        }
    }

    #[test]
    fn url_and_header_readers_delegate_to_the_submodules() {
        let facts = RequestFacts {
            referrer: Some("http://WWW.Shop.test:8787/cart".into()),
            accept_language: Some("de-CH;q=0.9, en;q=0.5".into()),
            user_agent: Some("curl/8.5.0".into()),
            ..RequestFacts::get("https://shop.test/?utm_medium=email&q=a+b&q=c", None, 0)
        };
        assert_eq!(
            facts.query_params(),
            vec![
                ("utm_medium".into(), "email".into()),
                ("q".into(), "a b".into()),
                ("q".into(), "c".into()),
            ]
        );
        assert_eq!(facts.query().get("q"), Some("a b"));
        assert_eq!(facts.query_param("q").as_deref(), Some("a b"));
        assert_eq!(facts.utm().medium.as_deref(), Some("email"));
        assert_eq!(facts.referrer_host().as_deref(), Some("shop.test"));
        assert!(facts.is_internal_referrer());
        assert!(facts.is_bot());
        assert_eq!(facts.device().device_type, DeviceType::Bot);
        assert_eq!(
            facts.language(),
            Some(Language {
                primary: "de".into(),
                tag: "de-ch".into()
            })
        );

        let bare = RequestFacts::get("https://shop.test/", None, 0);
        assert_eq!(bare.referrer_host(), None);
        assert!(!bare.is_internal_referrer());
        assert!(!bare.is_bot());
        assert_eq!(bare.language(), None);
    }

    #[test]
    fn new_fields_are_camel_case_and_optional_in_json() {
        let facts: RequestFacts = serde_json::from_str(
            r#"{"url": "https://shop.test/", "country": "FR", "localHour": 9, "localWeekday": 0,
                "secGpc": true, "cfBotScore": 12, "cfVerifiedBot": true}"#,
        )
        .expect("valid facts");
        assert_eq!(facts.country.as_deref(), Some("FR"));
        assert_eq!((facts.local_hour, facts.local_weekday), (Some(9), Some(0)));
        assert!(facts.sec_gpc && facts.cf_verified_bot);
        assert_eq!(facts.cf_bot_score, Some(12));
        assert_eq!(facts.region, None, "absent fields default");

        let old: RequestFacts =
            serde_json::from_str(r#"{"url": "https://shop.test/"}"#).expect("old facts still read");
        assert_eq!(
            old,
            RequestFacts {
                url: "https://shop.test/".into(),
                ..RequestFacts::default()
            }
        );
    }
}
