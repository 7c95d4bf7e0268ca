//! Signed preview links: QA on the real storefront.
//!
//! An admin asks for a link that forces segments and/or experiment variants; whoever opens it
//! sees the page as that shopper would, for a limited time. The grant travels in the link's
//! query (`?tailor_preview=<token>`) and then in a session cookie, so the previewer can browse
//! the store. A preview is read-only: it is never counted in experiments, reports nothing and
//! writes no cookie of ours but its own, and its responses carry a debug header listing the
//! decisions. A token whose signature does not verify forces nothing.

use std::fmt;

use serde_json::{json, Value};

use crate::assignment::Route;
use crate::config::read::ObjectReader;
use crate::config::{describe_json, Config, ConfigError};
use crate::crypto::{base64url_decode, base64url_encode};
use crate::decision::Decision;
use crate::request::RequestFacts;
use crate::response::{expired_cookie, preview_cookie};
use crate::visitor::IdKeys;

/// The query parameter a preview link carries its token in.
pub const PREVIEW_PARAM: &str = "tailor_preview";
/// The session cookie that keeps a preview going while the previewer browses.
pub const PREVIEW_COOKIE: &str = "tailor_preview";
/// A link lives an hour unless the admin asks otherwise.
pub const DEFAULT_TTL_SECS: u64 = 60 * 60;
/// A preview link never lives longer than a week.
pub const MAX_TTL_SECS: u64 = 7 * 24 * 60 * 60;
/// Longer tokens are not ours: rejected before any decoding.
pub const MAX_TOKEN_BYTES: usize = 2048;
/// Keeps preview signatures apart from visitor-id signatures under the same key.
const SIGNING_CONTEXT: &[u8] = b"tailor:preview:";

/// What a preview forces, until when.
///
/// The token's payload is `{"s": [segments], "v": {experiment: variation}, "e": expiry ms}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The segments the previewer is treated as a member of (exactly these); empty: their own.
    pub segments: Vec<String>,
    /// Experiment key and the variation shown, at most once per key; other experiments decide
    /// as usual (and are not counted).
    // NOTE: a Vec, not a map: a handful of entries, and no new map type in the Wasm.
    pub variants: Vec<(String, u32)>,
    /// When the link stops working (ms since the epoch).
    pub expires_at_ms: u64,
}

/// Why a preview token forces nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewRejected {
    /// Not a token we signed (tampered, foreign key, truncated, too long).
    BadSignature,
    /// Signed by us, but past its expiry.
    Expired {
        /// When it expired (ms since the epoch).
        at_ms: u64,
    },
    /// The worker has no `TAILOR_ID_KEY`, so no token can be verified.
    NoKey,
}

impl fmt::Display for PreviewRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSignature => f.write_str("the preview token's signature does not verify"),
            Self::Expired { at_ms } => write!(f, "the preview link expired at {at_ms} ms"),
            Self::NoKey => f.write_str("TAILOR_ID_KEY is not set, so no preview link verifies"),
        }
    }
}

impl Preview {
    /// The token for this preview: `<payload>.<tag>`, both base64url, so it is safe in a URL
    /// and a cookie as is.
    pub fn sign(&self, keys: &IdKeys) -> String {
        keys.sign_message(SIGNING_CONTEXT, &self.message())
    }

    /// The signed part of the token: the preview as JSON, base64url.
    fn message(&self) -> String {
        let payload =
            json!({"s": self.segments, "v": self.variants_json(), "e": self.expires_at_ms});
        base64url_encode(payload.to_string().as_bytes())
    }

    /// The length of this preview's token, whatever the key.
    pub fn token_len(&self) -> usize {
        IdKeys::signed_len(self.message().len())
    }

    /// The preview a token grants at `now_ms`, if we signed it and it has not expired.
    pub fn verify(token: &str, keys: &IdKeys, now_ms: u64) -> Result<Self, PreviewRejected> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(PreviewRejected::BadSignature);
        }
        let payload = keys
            .verify_message(SIGNING_CONTEXT, token)
            .ok_or(PreviewRejected::BadSignature)?;
        // NOTE: a payload under our signature that does not decode can only come from a
        // future format; it forces nothing, like a bad signature.
        let preview = base64url_decode(payload)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|payload| Self::from_payload(&payload))
            .ok_or(PreviewRejected::BadSignature)?;
        if now_ms >= preview.expires_at_ms {
            return Err(PreviewRejected::Expired {
                at_ms: preview.expires_at_ms,
            });
        }
        Ok(preview)
    }

    fn from_payload(payload: &Value) -> Option<Self> {
        let segments = match payload.get("s") {
            Some(list) => list
                .as_array()?
                .iter()
                .map(|id| id.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
            None => Vec::new(),
        };
        let variants = match payload.get("v") {
            Some(map) => map
                .as_object()?
                .iter()
                .map(|(key, n)| Some((key.clone(), u32::try_from(n.as_u64()?).ok()?)))
                .collect::<Option<_>>()?,
            None => Vec::new(),
        };
        Some(Self {
            segments,
            variants,
            expires_at_ms: payload.get("e")?.as_u64()?,
        })
    }

    /// The variation forced for experiment `key`, if any.
    pub fn variant(&self, key: &str) -> Option<u32> {
        self.variants
            .iter()
            .find_map(|(k, variation)| (k == key).then_some(*variation))
    }

    /// The forced variants as a JSON object (experiment key to variation).
    pub fn variants_json(&self) -> Value {
        let entries = self
            .variants
            .iter()
            .map(|(key, variation)| (key.clone(), Value::from(*variation)));
        Value::Object(entries.collect())
    }

    /// The forced variations, as GrowthBook's `forcedVariations` (experiment key, variation).
    pub fn forced_variations(&self) -> Vec<(String, i64)> {
        self.variants
            .iter()
            .map(|(key, variation)| (key.clone(), i64::from(*variation)))
            .collect()
    }

    /// Seconds the preview has left at `now_ms` (the cookie's lifetime), at least 1.
    pub fn remaining_secs(&self, now_ms: u64) -> u64 {
        (self.expires_at_ms.saturating_sub(now_ms) / 1000).max(1)
    }
}

/// The value of [`PREVIEW_PARAM`] that ends a preview (`?tailor_preview=exit`).
pub const EXIT: &str = "exit";

/// A page view's preview, from its link or its cookie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewState {
    /// The verified preview, if any.
    pub preview: Option<Preview>,
    /// Starts the preview's cookie (opened from a link), or deletes a cookie that no longer
    /// verifies or was ended.
    pub set_cookie: Option<String>,
    /// Why a token that was sent forces nothing (for the log).
    pub rejected: Option<PreviewRejected>,
}

/// The preview this request carries: the link's token first (a new link replaces the cookie's),
/// else the cookie's. `keys` are only asked for when there is a token; without them, nothing
/// verifies.
pub fn from_request(facts: &RequestFacts, keys: impl FnOnce() -> Option<IdKeys>) -> PreviewState {
    let https = facts.is_https();
    let link = facts.query_param(PREVIEW_PARAM);
    let cookie = facts.cookie(PREVIEW_COOKIE);
    let end = || cookie.map(|_| expired_cookie(PREVIEW_COOKIE, https));
    let token = match (link.as_deref(), cookie) {
        (Some(EXIT | ""), _) => {
            return PreviewState {
                set_cookie: end(),
                ..PreviewState::default()
            };
        }
        (Some(token), _) | (None, Some(token)) => token,
        (None, None) => return PreviewState::default(),
    };
    let verified = match keys() {
        Some(keys) => Preview::verify(token, &keys, facts.now_ms),
        None => Err(PreviewRejected::NoKey),
    };
    match verified {
        Ok(preview) => PreviewState {
            set_cookie: link
                .is_some()
                .then(|| preview_cookie(token, preview.remaining_secs(facts.now_ms), https)),
            preview: Some(preview),
            rejected: None,
        },
        Err(rejected) => PreviewState {
            preview: None,
            set_cookie: end(),
            rejected: Some(rejected),
        },
    }
}

/// An admin's request for a preview link, checked against the active config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRequest {
    /// What the link forces.
    pub preview: Preview,
    /// The storefront path the link opens (`/` by default).
    pub path: String,
}

/// Reads `{"segment": "vip"}` or `{"segments": [...]}`, `"variants": {"<experiment>": n}`,
/// `"ttlSeconds"` and `"path"`; everything forced must exist in `config`, so a typo is an
/// error now rather than a link that silently shows the wrong page. Every error is listed.
pub fn read_request(
    body: &Value,
    config: &Config,
    now_ms: u64,
) -> Result<PreviewRequest, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut reader = ObjectReader::new(body, "", &mut errors);
    let mut segments = Vec::new();
    for key in ["segment", "segments"] {
        let Some(value) = reader.value(key) else {
            continue;
        };
        let path = reader.path_of(key);
        let listed: Vec<(String, &Value)> = match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{path}[{i}]"), item))
                .collect(),
            single => vec![(path, single)],
        };
        for (path, item) in listed {
            match item.as_str() {
                Some(id) if config.segments.iter().any(|s| s.id == id) => {
                    segments.push(id.to_string());
                }
                Some(id) => errors.push(ConfigError::new(
                    path,
                    format!(
                        "no segment has the id {id:?}; the config has: {}",
                        list(config.segments.iter().map(|s| s.id.as_str()))
                    ),
                )),
                None => errors.push(ConfigError::new(
                    path,
                    format!("expected a segment id, found {}", describe_json(item)),
                )),
            }
        }
    }
    let mut variants = Vec::new();
    if let Some(value) = reader.value("variants") {
        let path = reader.path_of("variants");
        match value.as_object() {
            Some(entries) => {
                for (key, variation) in entries {
                    let at = format!("{path}.{key}");
                    match (config.experiment_arms(key), variation.as_u64()) {
                        (None, _) => errors.push(ConfigError::new(
                            at,
                            format!(
                                "no running experiment has the key {key:?}; the config has: {}",
                                list(config.experiments.iter().map(|e| e.spec.key.as_str()))
                            ),
                        )),
                        (Some((_, arms, _)), Some(n)) if (n as usize) < arms.len() => {
                            variants.push((key.clone(), n as u32));
                        }
                        (Some((_, arms, _)), _) => errors.push(ConfigError::new(
                            at,
                            format!(
                                "expected a variation index from 0 to {} ({}), found {}",
                                arms.len().saturating_sub(1),
                                arms.join(", "),
                                describe_json(variation)
                            ),
                        )),
                    }
                }
            }
            None => errors.push(ConfigError::new(
                path,
                format!(
                    "expected an object of experiment key to variation index, found {}",
                    describe_json(value)
                ),
            )),
        }
    }
    let ttl_secs = match reader.value("ttlSeconds") {
        None => DEFAULT_TTL_SECS,
        Some(value) => match value.as_u64() {
            Some(secs) if (1..=MAX_TTL_SECS).contains(&secs) => secs,
            _ => {
                errors.push(ConfigError::new(
                    reader.path_of("ttlSeconds"),
                    format!(
                        "expected a number of seconds from 1 to {MAX_TTL_SECS} (a week), found {}",
                        describe_json(value)
                    ),
                ));
                DEFAULT_TTL_SECS
            }
        },
    };
    let path = match reader.value("path") {
        None => "/".to_string(),
        Some(Value::String(path)) if is_store_path(path) => path.clone(),
        Some(other) => {
            errors.push(ConfigError::new(
                reader.path_of("path"),
                format!(
                    "expected a path on this store like \"/products/parka\", found {}",
                    describe_json(other)
                ),
            ));
            String::new()
        }
    };
    reader.finish(&mut errors);
    let preview = Preview {
        segments,
        variants,
        expires_at_ms: now_ms.saturating_add(ttl_secs * 1000),
    };
    // NOTE: a token longer than the worker accepts would give a link that silently previews
    // nothing (found by the preview fuzzer with long experiment keys).
    if errors.is_empty() && preview.token_len() > MAX_TOKEN_BYTES {
        errors.push(ConfigError::new(
            "",
            format!(
                "this preview would need a {}-byte token, and links carry at most {MAX_TOKEN_BYTES}: force fewer segments or experiments",
                preview.token_len()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PreviewRequest { preview, path })
}

/// The link that opens `path` with `token` on the site `site_url` is on (the admin request's
/// own URL: the storefront's host, or `wrangler dev`'s).
pub fn link(site_url: &str, path: &str, token: &str) -> String {
    let host_at = site_url.find("://").map_or(0, |i| i + 3);
    let origin = match site_url[host_at..].find(['/', '?', '#']) {
        Some(end) => &site_url[..host_at + end],
        None => site_url,
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{origin}{path}{separator}{PREVIEW_PARAM}={token}")
}

/// [`crate::response::DEBUG_HEADER`]'s value for a preview's page: the config, what the preview
/// forces, and what was decided (segments, holdout, experiments, slots, split-URL route):
/// `config=v3; preview-until=…; segments=vip,returning; holdout=no;
/// experiments=hero-copy:1 Bold (forced); slots=hero:vip,offer:default; route=none`.
pub fn debug_summary(decision: &Decision, preview: &Preview) -> String {
    let segments: Vec<String> = decision
        .memberships
        .iter()
        .map(|m| m.segment.clone())
        .collect();
    let experiments: Vec<String> = decision
        .experiments
        .iter()
        .map(|e| format!("{}:{} {} ({})", e.key, e.variation, e.name, e.reason))
        .collect();
    let slots: Vec<String> = decision
        .slots
        .iter()
        .map(|(slot, content)| format!("{slot}:{content}"))
        .collect();
    let route = match &decision.route {
        Some(Route::Redirect(path)) => format!("redirect {path}"),
        Some(Route::OriginPath(path)) => format!("origin {path}"),
        None => "none".to_string(),
    };
    let none_if_empty = |list: Vec<String>| {
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(",")
        }
    };
    let summary = format!(
        "config={}; preview-until={}; segments={}; holdout={}; experiments={}; slots={}; route={}",
        decision.config_version,
        preview.expires_at_ms,
        none_if_empty(segments),
        if decision.held_out { "yes" } else { "no" },
        none_if_empty(experiments),
        none_if_empty(slots),
        route
    );
    header_safe(&summary)
}

/// Printable ASCII only: merchant-written names (variation names, versions) must not break the
/// header or smuggle a line break into it.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

/// A same-site path: no scheme, no host (`//host`, `/\host`), no control characters or spaces.
fn is_store_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == ' ')
}

fn list<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::id::test_keys;

    const CONFIG: &str = r#"{
        "segments": [{"id": "vip", "when": {"profile.vip": true}},
                     {"id": "new", "when": {"visitor.isNew": true}}],
        "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                   "content": {"vip": "Hello VIP"}}],
        "experiments": [{"key": "hero-copy", "variations": [{}, {"content": {"hero": "B"}}]}]
    }"#;

    fn config() -> Config {
        Config::parse(CONFIG, &|_| Ok(())).expect("valid config")
    }

    fn preview() -> Preview {
        Preview {
            segments: vec!["vip".into()],
            variants: vec![("hero-copy".to_string(), 1)],
            expires_at_ms: 10_000,
        }
    }

    #[test]
    fn a_signed_preview_verifies_until_it_expires() {
        let token = preview().sign(&test_keys());
        assert_eq!(Preview::verify(&token, &test_keys(), 9_999), Ok(preview()));
        assert_eq!(
            Preview::verify(&token, &test_keys(), 10_000),
            Err(PreviewRejected::Expired { at_ms: 10_000 })
        );
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
    }

    #[test]
    fn a_tampered_or_foreign_token_forces_nothing() {
        let token = preview().sign(&test_keys());
        let (payload, tag) = token.rsplit_once('.').expect("signed");
        // Someone extends their own link: a new payload under the old tag.
        let mut longer = preview();
        longer.expires_at_ms = u64::MAX;
        let forged_payload = base64url_encode(
            json!({"s": longer.segments, "v": longer.variants_json(), "e": longer.expires_at_ms})
                .to_string()
                .as_bytes(),
        );
        let foreign = IdKeys::new("another-store-key-0123456789abcdefghij", None).expect("key");
        let mut flipped = tag.to_string().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let cases = [
            format!("{forged_payload}.{tag}"),
            format!("{payload}.{}", String::from_utf8(flipped).expect("ascii")),
            payload.to_string(),
            preview().sign(&foreign),
            String::new(),
            ".".into(),
            "x".repeat(5000),
        ];
        for case in cases {
            assert_eq!(
                Preview::verify(&case, &test_keys(), 0),
                Err(PreviewRejected::BadSignature),
                "{case}"
            );
        }
    }

    #[test]
    fn a_visitor_id_signature_is_not_a_preview_signature() {
        use crate::visitor::VisitorId;
        let signed_id = test_keys().sign(&VisitorId::from_random([1; 16]));
        assert_eq!(
            Preview::verify(&signed_id, &test_keys(), 0),
            Err(PreviewRejected::BadSignature)
        );
    }

    #[test]
    fn tokens_from_before_a_key_rotation_still_verify() {
        let old = IdKeys::new("old-key-0123456789abcdefghijklmnopqrs", None).expect("key");
        let rotated = IdKeys::new(
            "new-key-0123456789abcdefghijklmnopqrs",
            Some("old-key-0123456789abcdefghijklmnopqrs"),
        )
        .expect("keys");
        assert_eq!(
            Preview::verify(&preview().sign(&old), &rotated, 0),
            Ok(preview())
        );
    }

    #[test]
    fn a_request_for_existing_segments_and_variants_becomes_a_preview() {
        let body = json!({"segment": "vip", "variants": {"hero-copy": 1},
                          "ttlSeconds": 600, "path": "/products/parka"});
        let request = read_request(&body, &config(), 1_000).expect("valid");
        assert_eq!(request.path, "/products/parka");
        assert_eq!(request.preview.segments, ["vip"]);
        assert_eq!(request.preview.variant("hero-copy"), Some(1));
        assert_eq!(request.preview.expires_at_ms, 601_000);
        let defaults = read_request(&json!({}), &config(), 0).expect("valid");
        assert_eq!(defaults.path, "/");
        assert_eq!(defaults.preview.expires_at_ms, DEFAULT_TTL_SECS * 1000);
    }

    #[test]
    fn every_mistake_in_a_request_is_listed_with_its_path() {
        let body = json!({"segments": ["vip", "vipp", 3], "variants": {"hero": 1, "hero-copy": 2},
                          "ttlSeconds": 0, "path": "//evil.example", "segmnet": "x"});
        let errors = read_request(&body, &config(), 0).expect_err("invalid");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let joined = text.join("\n");
        for expected in [
            "segments[1]: no segment has the id \"vipp\"; the config has: vip, new",
            "segments[2]: expected a segment id",
            "variants.hero: no running experiment has the key \"hero\"",
            "variants.hero-copy: expected a variation index from 0 to 1",
            "ttlSeconds: expected a number of seconds",
            "path: expected a path on this store",
            "segmnet",
        ] {
            assert!(joined.contains(expected), "{expected:?} not in:\n{joined}");
        }
        assert_eq!(errors.len(), 7, "{joined}");
    }

    #[test]
    fn a_preview_too_big_for_a_link_is_refused_and_every_granted_one_verifies() {
        // Ids are at most 64 characters, so it takes many segments to outgrow a link.
        let ids: Vec<String> = (0..40)
            .map(|i| format!("{i:02}-{}", "s".repeat(61)))
            .collect();
        let segments: Vec<Value> = ids.iter().map(|id| json!({"id": id, "when": {}})).collect();
        let config = Config::parse(&json!({ "segments": segments }).to_string(), &|_| Ok(()))
            .expect("valid config");
        let errors = read_request(&json!({ "segments": ids }), &config, 0).expect_err("too big");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("links carry at most 2048"),
            "{}",
            errors[0]
        );
        // Fewer fit, and the granted link verifies.
        let granted = read_request(&json!({ "segments": ids[..15] }), &config, 0)
            .expect("fits")
            .preview;
        let token = granted.sign(&test_keys());
        assert_eq!(token.len(), granted.token_len());
        assert_eq!(Preview::verify(&token, &test_keys(), 1), Ok(granted));
    }

    #[test]
    fn links_keep_the_paths_own_query() {
        assert_eq!(
            link("https://shop.test", "/", "t.k"),
            "https://shop.test/?tailor_preview=t.k"
        );
        assert_eq!(
            link("http://127.0.0.1:8787/__tailor/preview", "/", "t.k"),
            "http://127.0.0.1:8787/?tailor_preview=t.k"
        );
        assert_eq!(
            link(
                "https://shop.test/__tailor/preview?x=1",
                "/search?q=parka",
                "t.k"
            ),
            "https://shop.test/search?q=parka&tailor_preview=t.k"
        );
    }

    #[test]
    fn the_debug_summary_lists_the_decisions_in_one_header_safe_line() {
        use crate::decision::{decide, DecideOptions};
        use crate::request::RequestFacts;
        use crate::visitor::Visitor;
        let config = Config::parse(
            &CONFIG.replace(
                r#""variations": [{}"#,
                r#""variations": [{"name": "Contr\u00f4le\r\n"}"#,
            ),
            &|_| Ok(()),
        )
        .expect("valid config");
        let request = RequestFacts::get("https://shop.test/", None, 0);
        let visitor = Visitor::identify(&request, [1; 16], &test_keys());
        let preview = Preview {
            segments: vec!["vip".into()],
            variants: vec![("hero-copy".to_string(), 0)],
            expires_at_ms: 5_000,
        };
        let options = DecideOptions {
            preview: Some(&preview),
            ..DecideOptions::default()
        };
        let decision = decide(&config, &request, &visitor, None, None, options);
        assert_eq!(
            debug_summary(&decision, &preview),
            "config=unversioned; preview-until=5000; segments=vip; holdout=no; \
             experiments=hero-copy:0 Contr?le?? (forced); slots=hero:vip; route=none"
        );
    }

    fn state(url: &str, cookie: Option<&str>, now_ms: u64) -> PreviewState {
        let facts = RequestFacts::get(url, cookie, now_ms);
        from_request(&facts, || Some(test_keys()))
    }

    #[test]
    fn a_link_starts_a_preview_cookie_for_the_time_it_has_left() {
        let token = preview().sign(&test_keys());
        let opened = state(&link("https://shop.test", "/", &token), None, 4_000);
        assert_eq!(opened.preview, Some(preview()));
        assert_eq!(
            opened.set_cookie.as_deref(),
            Some(
                format!(
                    "tailor_preview={token}; Path=/; Max-Age=6; HttpOnly; SameSite=Lax; Secure"
                )
                .as_str()
            )
        );
        // Browsing on: the cookie carries it, and is not set again.
        let browsing = state(
            "https://shop.test/products/parka",
            Some(&format!("tailor_preview={token}")),
            5_000,
        );
        assert_eq!(
            (browsing.preview, browsing.set_cookie),
            (Some(preview()), None)
        );
    }

    #[test]
    fn an_expired_or_forged_cookie_forces_nothing_and_is_deleted() {
        let token = preview().sign(&test_keys());
        let expired = state(
            "https://shop.test/",
            Some(&format!("tailor_preview={token}")),
            10_000,
        );
        assert_eq!(expired.preview, None);
        assert_eq!(
            expired.rejected,
            Some(PreviewRejected::Expired { at_ms: 10_000 })
        );
        assert!(expired.set_cookie.expect("deleted").contains("Max-Age=0"));
        let forged = state("https://shop.test/?tailor_preview=eyJlIjo5fQ.AAAA", None, 0);
        assert_eq!(forged.preview, None);
        assert_eq!(forged.rejected, Some(PreviewRejected::BadSignature));
        assert_eq!(forged.set_cookie, None, "no cookie to delete");
    }

    #[test]
    fn exit_ends_a_preview_and_no_key_verifies_nothing() {
        let token = preview().sign(&test_keys());
        let cookie = format!("tailor_preview={token}");
        let ended = state("https://shop.test/?tailor_preview=exit", Some(&cookie), 0);
        assert_eq!(ended.preview, None);
        assert!(ended.set_cookie.expect("deleted").contains("Max-Age=0"));
        let facts = RequestFacts::get("https://shop.test/", Some(&cookie), 0);
        assert_eq!(
            from_request(&facts, || None).rejected,
            Some(PreviewRejected::NoKey)
        );
        assert_eq!(
            state("https://shop.test/", None, 0),
            PreviewState::default()
        );
    }
}
