//! Consent: whether this request may be personalized from who the shopper is (visitor id,
//! profile, events), or only from the page itself (URL, device, UTM, geography, time).
//!
//! The merchant's `consent` section says which consent cookie their banner sets and where
//! strict opt-in applies; [`decide_consent`] turns that and the request into one
//! [`ConsentDecision`], with the reason for logs and the debug header. Pure: no I/O.

use regex_lite::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::request::url::percent_decode;
use crate::request::RequestFacts;

/// The cookie our opt-out endpoint sets (`tailor_optout=1`): it denies personal
/// personalization whatever else the request says.
pub const OPT_OUT_COOKIE: &str = "tailor_optout";

/// Where strict opt-in applies unless the config lists its own countries: the EU members, the
/// rest of the EEA (Iceland, Liechtenstein, Norway), the United Kingdom and Switzerland.
pub const DEFAULT_OPT_IN_COUNTRIES: [&str; 32] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "GB", "CH",
];

/// Whether a shopper's silence counts as consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMode {
    /// Nothing personal until the consent cookie grants it (GDPR-style).
    OptIn,
    /// Personal unless the shopper objects (CCPA-style).
    OptOut,
}

impl ConsentMode {
    /// The config spelling: `"opt-in"` or `"opt-out"`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::OptIn => "opt-in",
            Self::OptOut => "opt-out",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::OptIn, Self::OptOut]
            .into_iter()
            .find(|mode| mode.label() == text)
    }
}

/// Why a request may or may not be personalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentReason {
    /// The shopper used our opt-out endpoint ([`OPT_OUT_COOKIE`]).
    OptedOut,
    /// The browser sent `Sec-GPC: 1`.
    #[serde(rename = "gpc")]
    GlobalPrivacyControl,
    /// The consent cookie is present and does not match `granted`.
    CookieDenied,
    /// The consent cookie is present and matches `granted`.
    CookieGranted,
    /// Opt-in applies and the shopper has not answered the banner yet.
    NoConsentYet,
    /// Opt-out applies and the shopper has not objected.
    NotObjected,
}

impl ConsentReason {
    /// A short kebab-case name for logs and the debug header (the same as its JSON form).
    pub fn label(&self) -> &'static str {
        match self {
            Self::OptedOut => "opted-out",
            Self::GlobalPrivacyControl => "gpc",
            Self::CookieDenied => "cookie-denied",
            Self::CookieGranted => "cookie-granted",
            Self::NoConsentYet => "no-consent-yet",
            Self::NotObjected => "not-objected",
        }
    }

    /// Whether this reason allows personal personalization.
    pub fn allows_personal(&self) -> bool {
        matches!(self, Self::CookieGranted | Self::NotObjected)
    }
}

/// The consent decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConsentDecision {
    /// Whether identifying personalization (visitor id, profile, events) is allowed; without
    /// it, only what the page itself says may be used.
    pub personal: bool,
    /// The mode that applies where the request comes from.
    pub mode: ConsentMode,
    /// Why.
    pub reason: ConsentReason,
}

/// The merchant's consent cookie and what its value looks like when the shopper consented.
#[derive(Debug, Clone)]
pub struct ConsentCookie {
    /// The cookie's name, e.g. `_tracking_consent` (Shopify) or `OptanonConsent` (OneTrust).
    pub name: String,
    /// Matched against the percent-decoded value: a match grants.
    pub granted: Regex,
    /// With it, a match denies and a value matching neither counts as no answer yet (the
    /// mode's default applies); without it, any value that does not grant denies.
    pub denied: Option<Regex>,
}

// NOTE: `Regex` has no equality; two cookies are the same when their patterns' texts are.
impl PartialEq for ConsentCookie {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.granted.as_str() == other.granted.as_str()
            && self.denied.as_ref().map(Regex::as_str) == other.denied.as_ref().map(Regex::as_str)
    }
}

impl ConsentCookie {
    /// `Some(true)` granted, `Some(false)` denied, `None` when the cookie is absent or (with a
    /// `denied` pattern) says neither.
    pub fn granted(&self, request: &RequestFacts) -> Option<bool> {
        let value = percent_decode(request.cookie(&self.name)?);
        if self.granted.is_match(&value) {
            return Some(true);
        }
        match &self.denied {
            Some(denied) => denied.is_match(&value).then_some(false),
            None => Some(false),
        }
    }
}

/// The config's `consent` section, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentPolicy {
    /// `cookie` and `granted`: the consent banner's cookie, if the merchant has one.
    pub cookie: Option<ConsentCookie>,
    /// `optInCountries`: upper-case ISO 3166-1 alpha-2 codes where opt-in applies
    /// (default [`DEFAULT_OPT_IN_COUNTRIES`]; a listed array replaces the default).
    pub opt_in_countries: Vec<String>,
    /// `optInEurope`: whether every request Cloudflare places on continent `EU` is opt-in
    /// too, listed or not (default true; this covers more than the EEA, e.g. Serbia).
    pub opt_in_europe: bool,
    /// `defaultMode`: the mode everywhere else, and when the country is not known at all
    /// (local development, tests); default opt-out.
    pub default_mode: ConsentMode,
    /// `unknownCountry`: the mode for Tor (`T1`) and unknown (`XX`) countries; default opt-in.
    pub unknown_country: ConsentMode,
}

impl Default for ConsentPolicy {
    /// The same as no `consent` section.
    fn default() -> Self {
        Self {
            cookie: None,
            opt_in_countries: DEFAULT_OPT_IN_COUNTRIES.map(str::to_string).to_vec(),
            opt_in_europe: true,
            default_mode: ConsentMode::OptOut,
            unknown_country: ConsentMode::OptIn,
        }
    }
}

impl ConsentPolicy {
    /// Reads the config's `consent` object, e.g.
    /// `{"cookie": "_tracking_consent", "granted": "\"m\":\"1\"", "defaultMode": "opt-out"}`.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Self {
        let defaults = Self::default();
        let mut reader = ObjectReader::new(value, path, errors);
        let name = reader.optional_str("cookie", errors);
        let pattern = reader.optional_str("granted", errors);
        let denied = reader.optional_str("denied", errors);
        let cookie = match (name, pattern) {
            (None, None) => None,
            (Some(_), None) => {
                errors.push(ConfigError::new(
                    reader.path_of("granted"),
                    "is required when \"cookie\" is set: the pattern the cookie's value matches when the shopper consented",
                ));
                None
            }
            (None, Some(_)) => {
                errors.push(ConfigError::new(
                    reader.path_of("cookie"),
                    "is required when \"granted\" is set: the name of the consent cookie",
                ));
                None
            }
            (Some(name), Some(pattern)) => {
                consent_cookie(name, &pattern, denied.as_deref(), &reader, errors)
            }
        };
        let listed = reader.value("optInCountries").is_some_and(|v| !v.is_null());
        let opt_in_countries = if listed {
            reader
                .optional_array("optInCountries", errors)
                .into_iter()
                .filter_map(|(at, item)| country_code(item, at, errors))
                .collect()
        } else {
            defaults.opt_in_countries
        };
        let opt_in_europe = reader
            .optional_bool("optInEurope", errors)
            .unwrap_or(defaults.opt_in_europe);
        let default_mode = mode(&mut reader, "defaultMode", defaults.default_mode, errors);
        let unknown_country = mode(
            &mut reader,
            "unknownCountry",
            defaults.unknown_country,
            errors,
        );
        reader.finish(errors);
        Self {
            cookie,
            opt_in_countries,
            opt_in_europe,
            default_mode,
            unknown_country,
        }
    }

    /// The mode where this request comes from: Tor and unknown countries, then the listed
    /// countries and continent `EU`, then the default.
    pub fn mode_for(&self, request: &RequestFacts) -> ConsentMode {
        let is = |field: &Option<String>, code: &str| {
            field
                .as_deref()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(code))
        };
        let listed = self
            .opt_in_countries
            .iter()
            .any(|code| is(&request.country, code));
        if is(&request.country, "T1") || is(&request.country, "XX") {
            self.unknown_country
        } else if listed || (self.opt_in_europe && is(&request.continent, "EU")) {
            ConsentMode::OptIn
        } else {
            self.default_mode
        }
    }
}

/// Decides whether this request may be personalized from who the shopper is. In order: our
/// opt-out cookie denies; Global Privacy Control denies; the consent cookie grants or denies in
/// either mode; without it, opt-in denies and opt-out allows.
pub fn decide_consent(policy: &ConsentPolicy, request: &RequestFacts) -> ConsentDecision {
    let mode = policy.mode_for(request);
    let opted_out = request
        .cookie(OPT_OUT_COOKIE)
        .is_some_and(|v| v.trim() == "1");
    let cookie = policy.cookie.as_ref().and_then(|c| c.granted(request));
    let reason = if opted_out {
        ConsentReason::OptedOut
    } else if request.sec_gpc {
        ConsentReason::GlobalPrivacyControl
    } else {
        match (cookie, mode) {
            (Some(true), _) => ConsentReason::CookieGranted,
            (Some(false), _) => ConsentReason::CookieDenied,
            (None, ConsentMode::OptIn) => ConsentReason::NoConsentYet,
            (None, ConsentMode::OptOut) => ConsentReason::NotObjected,
        }
    };
    ConsentDecision {
        personal: reason.allows_personal(),
        mode,
        reason,
    }
}

fn consent_cookie(
    name: String,
    pattern: &str,
    denied: Option<&str>,
    reader: &ObjectReader,
    errors: &mut Vec<ConfigError>,
) -> Option<ConsentCookie> {
    if name.trim().is_empty() {
        errors.push(ConfigError::new(
            reader.path_of("cookie"),
            "must name a cookie",
        ));
        return None;
    }
    let mut compile = |key: &str, pattern: &str| match Regex::new(pattern) {
        Ok(regex) => Some(regex),
        Err(e) => {
            errors.push(ConfigError::new(
                reader.path_of(key),
                format!("invalid regular expression: {e}"),
            ));
            None
        }
    };
    let granted = compile("granted", pattern);
    let denied = match denied {
        Some(pattern) => Some(compile("denied", pattern)?),
        None => None,
    };
    Some(ConsentCookie {
        name,
        granted: granted?,
        denied,
    })
}

/// An ISO 3166-1 alpha-2 code, upper-cased.
fn country_code(item: &Value, at: String, errors: &mut Vec<ConfigError>) -> Option<String> {
    let message = match item {
        Value::String(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
            return Some(s.to_ascii_uppercase());
        }
        Value::String(s) => {
            format!("{s:?} is not a two-letter country code (ISO 3166-1 alpha-2, e.g. \"FR\")")
        }
        other => format!(
            "expected a two-letter country code, found {}",
            describe_json(other)
        ),
    };
    errors.push(ConfigError::new(at, message));
    None
}

fn mode(
    reader: &mut ObjectReader,
    key: &'static str,
    default: ConsentMode,
    errors: &mut Vec<ConfigError>,
) -> ConsentMode {
    let Some(text) = reader.optional_str(key, errors) else {
        return default;
    };
    ConsentMode::parse(&text).unwrap_or_else(|| {
        errors.push(ConfigError::new(
            reader.path_of(key),
            format!("unknown mode {text:?}; expected \"opt-in\" or \"opt-out\""),
        ));
        default
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::json;

    fn policy(section: Value) -> ConsentPolicy {
        let mut errors = Vec::new();
        let policy = ConsentPolicy::compile(&section, "consent", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        policy
    }

    fn errors_of(section: Value) -> Vec<String> {
        let mut errors = Vec::new();
        ConsentPolicy::compile(&section, "consent", &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    fn request(country: Option<&str>, continent: Option<&str>, cookies: &str) -> RequestFacts {
        let mut request = RequestFacts::get("https://shop.test/", Some(cookies), 0);
        request.country = country.map(str::to_string);
        request.continent = continent.map(str::to_string);
        request
    }

    fn from(country: &str) -> RequestFacts {
        let continent = if country == "US" { "NA" } else { "EU" };
        request(Some(country), Some(continent), "")
    }

    fn onetrust() -> ConsentPolicy {
        policy(json!({"cookie": "OptanonConsent", "granted": "groups=[^&]*C0004:1"}))
    }

    #[test]
    fn an_eu_shopper_without_consent_gets_nothing_personal() {
        let decision = decide_consent(&ConsentPolicy::default(), &from("FR"));
        assert_eq!(
            decision,
            ConsentDecision {
                personal: false,
                mode: ConsentMode::OptIn,
                reason: ConsentReason::NoConsentYet
            }
        );
    }

    #[test]
    fn a_us_shopper_who_has_not_objected_is_personalized() {
        let decision = decide_consent(&ConsentPolicy::default(), &from("US"));
        assert_eq!(
            decision,
            ConsentDecision {
                personal: true,
                mode: ConsentMode::OptOut,
                reason: ConsentReason::NotObjected
            }
        );
    }

    #[test]
    fn europe_outside_the_list_and_the_uk_and_switzerland_are_opt_in() {
        let defaults = ConsentPolicy::default();
        for country in ["GB", "CH", "NO", "RS"] {
            assert_eq!(
                defaults.mode_for(&from(country)),
                ConsentMode::OptIn,
                "{country}"
            );
        }
        assert_eq!(
            defaults.mode_for(&request(Some("gb"), None, "")),
            ConsentMode::OptIn,
            "codes compare case-insensitively, without the continent"
        );
        let unlisted = policy(json!({"optInEurope": false}));
        assert_eq!(unlisted.mode_for(&from("RS")), ConsentMode::OptOut);
    }

    #[test]
    fn tor_and_unknown_countries_are_opt_in_and_no_country_uses_the_default() {
        let defaults = ConsentPolicy::default();
        for country in ["T1", "XX"] {
            let decision = decide_consent(&defaults, &request(Some(country), Some(country), ""));
            assert!(!decision.personal, "{country}");
            assert_eq!(decision.mode, ConsentMode::OptIn);
        }
        let local = request(None, None, "");
        assert_eq!(decide_consent(&defaults, &local).mode, ConsentMode::OptOut);
        let strict = policy(json!({"defaultMode": "opt-in"}));
        assert_eq!(decide_consent(&strict, &local).mode, ConsentMode::OptIn);
        let lenient = policy(json!({"unknownCountry": "opt-out"}));
        assert!(decide_consent(&lenient, &request(Some("T1"), None, "")).personal);
    }

    #[test]
    fn default_mode_opt_in_makes_the_us_opt_in() {
        let strict = policy(json!({"defaultMode": "opt-in"}));
        let decision = decide_consent(&strict, &from("US"));
        assert!(!decision.personal);
        assert_eq!(decision.reason, ConsentReason::NoConsentYet);
    }

    #[test]
    fn a_granted_cookie_personalizes_even_in_the_eu() {
        let granted = "OptanonConsent=isGpcEnabled=0%26groups%3DC0001%3A1%2CC0004%3A1";
        let decision = decide_consent(&onetrust(), &request(Some("FR"), Some("EU"), granted));
        assert!(decision.personal);
        assert_eq!(decision.reason, ConsentReason::CookieGranted);
        assert_eq!(decision.mode, ConsentMode::OptIn);
    }

    #[test]
    fn a_denied_cookie_stops_personalization_even_in_the_us() {
        let denied = "OptanonConsent=groups%3DC0001%3A1%2CC0004%3A0";
        let decision = decide_consent(&onetrust(), &request(Some("US"), Some("NA"), denied));
        assert!(!decision.personal);
        assert_eq!(decision.reason, ConsentReason::CookieDenied);
        assert_eq!(decision.mode, ConsentMode::OptOut);
    }

    #[test]
    fn shopify_tracking_consent_is_matched_after_percent_decoding() {
        let shopify = policy(json!({"cookie": "_tracking_consent", "granted": "\"m\":\"1\""}));
        let granted =
            "_tracking_consent=%7B%22con%22%3A%7B%22CMP%22%3A%7B%22m%22%3A%221%22%7D%7D%7D";
        let decision = decide_consent(&shopify, &request(Some("DE"), Some("EU"), granted));
        assert_eq!(decision.reason, ConsentReason::CookieGranted);
        let refused =
            "_tracking_consent=%7B%22con%22%3A%7B%22CMP%22%3A%7B%22m%22%3A%220%22%7D%7D%7D";
        let decision = decide_consent(&shopify, &request(Some("DE"), Some("EU"), refused));
        assert_eq!(decision.reason, ConsentReason::CookieDenied);
    }

    #[test]
    fn with_a_denied_pattern_an_unanswered_banner_leaves_the_region_default() {
        let shopify = policy(json!({"cookie": "_tracking_consent",
                                    "granted": "\"m\":\"1\"", "denied": "\"m\":\"0\""}));
        let unanswered =
            "_tracking_consent=%7B%22con%22%3A%7B%22CMP%22%3A%7B%22m%22%3A%22%22%7D%7D%7D";
        let us = decide_consent(&shopify, &request(Some("US"), Some("NA"), unanswered));
        assert_eq!(us.reason, ConsentReason::NotObjected);
        assert!(us.personal);
        let de = decide_consent(&shopify, &request(Some("DE"), Some("EU"), unanswered));
        assert_eq!(de.reason, ConsentReason::NoConsentYet);
        let refused =
            "_tracking_consent=%7B%22con%22%3A%7B%22CMP%22%3A%7B%22m%22%3A%220%22%7D%7D%7D";
        let us = decide_consent(&shopify, &request(Some("US"), Some("NA"), refused));
        assert_eq!(us.reason, ConsentReason::CookieDenied);
    }

    /// A US request with a granting OneTrust cookie, more cookies, and GPC on or off.
    fn granted_in_us(more_cookies: &str, gpc: bool) -> ConsentDecision {
        let cookies = format!("OptanonConsent=groups=C0004:1{more_cookies}");
        let mut request = request(Some("US"), Some("NA"), &cookies);
        request.sec_gpc = gpc;
        decide_consent(&onetrust(), &request)
    }

    #[test]
    fn global_privacy_control_overrides_a_granted_cookie() {
        assert_eq!(
            granted_in_us("", false).reason,
            ConsentReason::CookieGranted
        );
        let decision = granted_in_us("", true);
        assert!(!decision.personal);
        assert_eq!(decision.reason, ConsentReason::GlobalPrivacyControl);
    }

    #[test]
    fn our_opt_out_cookie_overrides_everything() {
        for gpc in [false, true] {
            let decision = granted_in_us("; tailor_optout=1", gpc);
            assert!(!decision.personal);
            assert_eq!(decision.reason, ConsentReason::OptedOut);
        }
    }

    #[test]
    fn reasons_serialize_as_their_labels() {
        for reason in [
            ConsentReason::OptedOut,
            ConsentReason::GlobalPrivacyControl,
            ConsentReason::CookieDenied,
            ConsentReason::CookieGranted,
            ConsentReason::NoConsentYet,
            ConsentReason::NotObjected,
        ] {
            assert_eq!(
                serde_json::to_value(reason).ok(),
                Some(json!(reason.label()))
            );
        }
        assert_eq!(
            serde_json::to_value(ConsentMode::OptIn).ok(),
            Some(json!("opt-in"))
        );
    }

    #[test]
    fn an_empty_section_is_the_default_and_countries_replace_it() {
        assert_eq!(policy(json!({})), ConsentPolicy::default());
        let listed = policy(json!({"optInCountries": ["br", "CA"], "optInEurope": false}));
        assert_eq!(listed.opt_in_countries, ["BR", "CA"]);
        assert_eq!(listed.mode_for(&from("FR")), ConsentMode::OptOut);
        assert_eq!(
            listed.mode_for(&request(Some("BR"), None, "")),
            ConsentMode::OptIn
        );
    }

    #[test]
    fn config_mistakes_are_reported_with_their_paths() {
        assert_eq!(
            errors_of(json!({"granted": "yes"})),
            ["consent.cookie: is required when \"granted\" is set: the name of the consent cookie"]
        );
        assert_eq!(
            errors_of(json!({"cookie": "c"})),
            ["consent.granted: is required when \"cookie\" is set: the pattern the cookie's value matches when the shopper consented"]
        );
        let bad_regex = errors_of(json!({"cookie": "c", "granted": "groups=(C0004"}));
        assert_eq!(bad_regex.len(), 1);
        assert!(
            bad_regex[0].starts_with("consent.granted: invalid regular expression:"),
            "{bad_regex:?}"
        );
        assert_eq!(
            errors_of(json!({"defaultMode": "strict", "unknownCountry": "opt-in"})),
            ["consent.defaultMode: unknown mode \"strict\"; expected \"opt-in\" or \"opt-out\""]
        );
        assert_eq!(
            errors_of(json!({"optInCountries": ["FR", "FRA", "F1", 33]})),
            [
                "consent.optInCountries[1]: \"FRA\" is not a two-letter country code (ISO 3166-1 alpha-2, e.g. \"FR\")",
                "consent.optInCountries[2]: \"F1\" is not a two-letter country code (ISO 3166-1 alpha-2, e.g. \"FR\")",
                "consent.optInCountries[3]: expected a two-letter country code, found 33",
            ]
        );
        assert_eq!(
            errors_of(json!({"gpc": "ignore"})),
            ["consent.gpc: unknown field; expected one of: cookie, granted, denied, optInCountries, optInEurope, defaultMode, unknownCountry"]
        );
    }

    #[test]
    fn the_section_lands_on_the_config() {
        let config = Config::parse(
            r#"{"consent": {"cookie": "CookieConsent", "granted": "marketing:true", "defaultMode": "opt-in"}}"#,
            &|_| Ok(()),
        )
        .expect("valid");
        let cookie = config.consent.cookie.as_ref().expect("cookie");
        assert_eq!(cookie.name, "CookieConsent");
        assert_eq!(config.consent.default_mode, ConsentMode::OptIn);
        let bare = Config::parse("{}", &|_| Ok(())).expect("valid");
        assert_eq!(bare.consent, ConsentPolicy::default());
    }
}
