//! The response side of a decision: whether an origin response may be personalized at all,
//! and which headers change when it is (cookies, caching, headers a rewritten body
//! invalidates).

use serde::Serialize;

use crate::audit::{SEEN_COOKIE, SEEN_COOKIE_MAX_AGE_SECS};
use crate::experiment::ASSIGNMENTS_COOKIE;
use crate::privacy::OPT_OUT_COOKIE;
use crate::visitor::{
    BEHAVIOUR_COOKIE, BEHAVIOUR_COOKIE_MAX_AGE_SECS, VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE_SECS,
};

/// Cookies and our own headers to add to the response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResponsePlan {
    /// Complete `Set-Cookie` header values, added beside any the origin set.
    pub set_cookies: Vec<String>,
    /// [`DEBUG_HEADER`]'s value: what decided the page, for a preview link's previewer. Its
    /// presence alone makes the response personal (never stored by a shared cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<String>,
    /// `Server-Timing` metrics ([`server_timing`]), sent only on responses that are personal
    /// anyway: a page nothing changes on is handed back as the origin sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_timing: Option<String>,
}

/// The header a preview's responses list the decisions in.
pub const DEBUG_HEADER: &str = "x-tailor-debug";

/// Where a page view's time went, in whole milliseconds (the runtime's clock resolution), as the
/// edge measured it.
///
/// NOTE: on Cloudflare the runtime advances its clocks only across I/O (a Spectre mitigation),
/// so waits (config, profile, origin) are real figures and pure computation (decide, rewrite
/// set-up) reads 0 there (`wrangler dev` shows coarse real figures); `cargo bench` measures
/// those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Waiting for the config (0 when this isolate had it cached).
    pub config_ms: u64,
    /// Whether the config came from this isolate's cache.
    pub config_cached: bool,
    /// Waiting for the profile read, when there was one.
    pub profile_ms: Option<u64>,
    /// Waiting for the origin's response headers.
    pub origin_ms: u64,
    /// Deciding segments, experiments and the plan.
    pub decide_ms: u64,
    /// Handing the body to the HTML rewriter (the edits themselves happen as it streams).
    pub rewrite_ms: u64,
}

/// The `Server-Timing` value for `timings`: one `tailor-*` metric per phase, so the browser's
/// devtools show what personalization cost beside the origin's own metrics.
pub fn server_timing(timings: &Timings) -> String {
    let config = if timings.config_cached {
        "config (cached)"
    } else {
        "config (KV)"
    };
    let metrics = [
        Some(("config", timings.config_ms, config)),
        timings.profile_ms.map(|ms| ("profile", ms, "profile (KV)")),
        Some(("origin", timings.origin_ms, "origin headers")),
        Some(("decide", timings.decide_ms, "decide")),
        Some(("rewrite", timings.rewrite_ms, "rewrite set-up")),
    ];
    metrics
        .iter()
        .flatten()
        .map(|(name, ms, desc)| format!("tailor-{name};dur={ms};desc=\"{desc}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Cache-Control` for any response we personalized or that carries our cookies.
///
/// NOTE: `private` keeps shared caches (CDNs, proxies) from storing a page made for one
/// visitor; `no-cache` makes the browser revalidate so a stale decision is not replayed.
/// `Vary: Cookie` would not do: the storefront's own cookies vary per visitor anyway, so it
/// would fragment shared caches without making them safe.
pub const PERSONAL_CACHE_CONTROL: &str = "private, no-cache";

/// Cache directives aimed at shared caches only, which override `Cache-Control` there: left in
/// place, an origin's `CDN-Cache-Control: max-age=3600` would let a CDN in front of the worker
/// keep one shopper's page for everyone.
pub const SHARED_CACHE_HEADERS: [&str; 3] = [
    "cdn-cache-control",
    "cloudflare-cdn-cache-control",
    "surrogate-control",
];

/// Headers that describe the origin's exact bytes and are wrong once the body is rewritten.
pub const HEADERS_INVALIDATED_BY_REWRITE: [&str; 5] = [
    "content-length",
    "etag",
    "last-modified",
    "content-md5",
    "accept-ranges",
];

/// The `Set-Cookie` value that issues a visitor id; `signed` is
/// [`crate::visitor::IdKeys::sign`]'s output.
pub fn visitor_cookie(signed: &str, https: bool) -> String {
    our_cookie(VISITOR_COOKIE, signed, VISITOR_COOKIE_MAX_AGE_SECS, https)
}

/// Every cookie of ours that identifies or describes a visitor: cleared when consent is
/// missing or withdrawn.
pub const PERSONAL_COOKIES: [&str; 4] = [
    VISITOR_COOKIE,
    BEHAVIOUR_COOKIE,
    ASSIGNMENTS_COOKIE,
    SEEN_COOKIE,
];

/// How long the shopper's opt-out is remembered in their browser.
pub const OPT_OUT_COOKIE_MAX_AGE_SECS: u64 = VISITOR_COOKIE_MAX_AGE_SECS;

/// The `Set-Cookie` value that remembers the shopper opted out (no id, just the choice).
pub fn opt_out_cookie(https: bool) -> String {
    our_cookie(OPT_OUT_COOKIE, "1", OPT_OUT_COOKIE_MAX_AGE_SECS, https)
}

/// The `Set-Cookie` value that deletes one of our cookies.
pub fn expired_cookie(name: &str, https: bool) -> String {
    our_cookie(name, "", 0, https)
}

/// The `Set-Cookie` value that stores the visitor's behaviour; `value` is
/// [`crate::visitor::Behaviour::encode`]'s output, which is already cookie-safe.
///
/// NOTE: `HttpOnly` because only the worker reads it: page scripts have no business with the
/// browsing history, and cannot forge it from an injected script either.
pub fn behaviour_cookie(value: &str, https: bool) -> String {
    our_cookie(
        BEHAVIOUR_COOKIE,
        value,
        BEHAVIOUR_COOKIE_MAX_AGE_SECS,
        https,
    )
}

/// The `Set-Cookie` value that keeps the visitor's experiment assignments (sticky), from
/// [`crate::experiment::StickyAssignments::encode`]; an empty value expires the cookie.
pub fn assignments_cookie(value: &str, https: bool) -> String {
    let max_age = if value.is_empty() {
        0
    } else {
        VISITOR_COOKIE_MAX_AGE_SECS
    };
    our_cookie(ASSIGNMENTS_COOKIE, value, max_age, https)
}

/// The `Set-Cookie` value that remembers what the audit was told today
/// ([`crate::audit::Reported::encode`]).
pub fn seen_cookie(value: &str, https: bool) -> String {
    our_cookie(SEEN_COOKIE, value, SEEN_COOKIE_MAX_AGE_SECS, https)
}

/// The `Set-Cookie` value that keeps a preview going for its remaining `max_age` seconds.
pub fn preview_cookie(token: &str, max_age: u64, https: bool) -> String {
    our_cookie(crate::preview::PREVIEW_COOKIE, token, max_age, https)
}

/// NOTE: every cookie of ours is `HttpOnly` (only the worker reads them; page scripts can
/// neither read nor forge them) and `SameSite=Lax` (sent on top-level navigations).
fn our_cookie(name: &str, value: &str, max_age: u64, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The headers of a split-URL test's redirect to `location` (a path on the same store): our
/// cookies go with it, so the assignment sticks, and no cache may keep it.
pub fn redirect_headers(location: &str, plan: &ResponsePlan) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("location", location.to_string()),
        ("cache-control", "private, no-store".to_string()),
    ];
    headers.extend(plan.set_cookies.iter().map(|c| ("set-cookie", c.clone())));
    headers
}

/// Why a request or response is passed through untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassThrough {
    /// Not a `GET` or `HEAD`.
    Method,
    /// A WebSocket upgrade.
    Upgrade,
    /// A range request: the client wants exact bytes of the origin's body.
    Range,
    /// The origin did not answer `200`.
    Status,
    /// The origin's body is not `text/html`.
    ContentType,
}

impl PassThrough {
    /// A short label for logs and debug headers.
    pub fn label(self) -> &'static str {
        match self {
            Self::Method => "method",
            Self::Upgrade => "websocket upgrade",
            Self::Range => "range request",
            Self::Status => "origin status",
            Self::ContentType => "not html",
        }
    }
}

/// Decides from the request alone whether it can be personalized.
pub fn check_request(
    method: &str,
    upgrade: Option<&str>,
    range: Option<&str>,
) -> Result<(), PassThrough> {
    if !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")) {
        return Err(PassThrough::Method);
    }
    if upgrade.is_some_and(|u| !u.trim().is_empty()) {
        return Err(PassThrough::Upgrade);
    }
    if range.is_some() {
        return Err(PassThrough::Range);
    }
    Ok(())
}

/// Decides from the origin's status and headers whether its response can be personalized.
pub fn check_origin_response(
    status: u16,
    content_type: Option<&str>,
    content_range: Option<&str>,
) -> Result<(), PassThrough> {
    if status != 200 || content_range.is_some() {
        return Err(PassThrough::Status);
    }
    if !content_type.is_some_and(is_html) {
        return Err(PassThrough::ContentType);
    }
    Ok(())
}

/// Whether a request is likely a page view (so the profile read should start at once, beside
/// the origin fetch) rather than an asset: the browser asks for HTML, or the path has no asset
/// extension and the `Accept` header allows anything. A wrong guess costs nothing but time: a
/// page that was not expected reads the profile after the origin answers.
pub fn likely_page(path: &str, accept: Option<&str>) -> bool {
    const ASSET_EXTENSIONS: [&str; 20] = [
        "css", "js", "mjs", "map", "json", "xml", "txt", "png", "jpg", "jpeg", "gif", "webp",
        "avif", "svg", "ico", "woff", "woff2", "ttf", "mp4", "pdf",
    ];
    if accept.is_some_and(|a| a.contains("text/html")) {
        return true;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    let is_asset = last
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ASSET_EXTENSIONS.iter().any(|a| ext.eq_ignore_ascii_case(a)));
    !is_asset && accept.is_none_or(|a| a.contains("*/*"))
}

/// `text/html`, with any parameters, in any case.
pub fn is_html(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/html"))
}

/// The `charset` parameter of a `Content-Type`, if any.
pub fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// How the origin's headers change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderChanges {
    /// Header names to delete.
    pub remove: Vec<&'static str>,
    /// Headers to set, replacing any value.
    pub set: Vec<(&'static str, String)>,
    /// Headers to add beside existing ones (`Set-Cookie`).
    pub append: Vec<(&'static str, String)>,
}

impl HeaderChanges {
    /// True when the origin's headers stay exactly as they are.
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.set.is_empty() && self.append.is_empty()
    }

    /// The changes as one line each, in the order they apply: `-name` (delete), then
    /// `=name\0value` (set), then `+name\0value` (append); what the edge hands the runtime in one
    /// call. A value holding a CR, LF or NUL (no header may) is refused, named, rather than
    /// letting it split into another header.
    pub fn encode(&self) -> Result<String, String> {
        let mut encoded = String::with_capacity(
            self.set
                .iter()
                .chain(&self.append)
                .map(|(name, value)| name.len() + value.len() + 3)
                .sum::<usize>()
                + self.remove.len() * 24,
        );
        let mut line = |op: char, name: &str, value: Option<&str>| {
            if !encoded.is_empty() {
                encoded.push('\n');
            }
            encoded.push(op);
            encoded.push_str(name);
            if let Some(value) = value {
                encoded.push('\0');
                encoded.push_str(value);
            }
        };
        for name in &self.remove {
            line('-', name, None);
        }
        for (op, list) in [('=', &self.set), ('+', &self.append)] {
            for (name, value) in list {
                if value.contains(['\r', '\n', '\0']) {
                    return Err(format!(
                        "the {name} header's value holds a line break or NUL"
                    ));
                }
                line(op, name, Some(value));
            }
        }
        Ok(encoded)
    }
}

/// The header changes for a response whose body is rewritten (`body_changes`) and that
/// carries `plan`'s cookies. Nothing changes when neither applies.
pub fn header_changes(plan: &ResponsePlan, body_changes: bool) -> HeaderChanges {
    let mut changes = HeaderChanges::default();
    if body_changes {
        changes.remove.extend(HEADERS_INVALIDATED_BY_REWRITE);
    }
    if body_changes || !plan.set_cookies.is_empty() || plan.debug.is_some() {
        changes
            .set
            .push(("cache-control", PERSONAL_CACHE_CONTROL.to_string()));
        changes.remove.extend(SHARED_CACHE_HEADERS);
        if let Some(debug) = &plan.debug {
            changes.set.push((DEBUG_HEADER, debug.clone()));
        }
        if let Some(timing) = &plan.server_timing {
            changes.append.push(("server-timing", timing.clone()));
        }
    }
    changes.append.extend(
        plan.set_cookies
            .iter()
            .map(|cookie| ("set-cookie", cookie.clone())),
    );
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_changes_are_encoded_one_per_line_in_the_order_they_apply() {
        let changes = HeaderChanges {
            remove: vec!["etag", "content-length"],
            set: vec![("cache-control", "private, no-store".into())],
            append: vec![
                ("set-cookie", "a=1; Path=/".into()),
                ("set-cookie", "b=2".into()),
            ],
        };
        assert_eq!(
            changes.encode().as_deref(),
            Ok("-etag\n-content-length\n=cache-control\0private, no-store\n+set-cookie\0a=1; Path=/\n+set-cookie\0b=2")
        );
        assert_eq!(HeaderChanges::default().encode().as_deref(), Ok(""));
    }

    #[test]
    fn a_header_value_that_would_split_into_another_header_is_refused() {
        for bad in ["x\n+set-cookie\0evil=1", "x\r\nLocation: /", "x\0y"] {
            let changes = HeaderChanges {
                append: vec![("server-timing", bad.into())],
                ..HeaderChanges::default()
            };
            let refused = changes.encode().expect_err(bad);
            assert!(refused.contains("server-timing"), "{refused}");
        }
    }

    #[test]
    fn only_plain_get_and_head_requests_are_personalized() {
        assert_eq!(check_request("GET", None, None), Ok(()));
        assert_eq!(check_request("head", None, None), Ok(()));
        assert_eq!(check_request("POST", None, None), Err(PassThrough::Method));
        assert_eq!(
            check_request("GET", Some("websocket"), None),
            Err(PassThrough::Upgrade)
        );
        assert_eq!(
            check_request("GET", None, Some("bytes=0-9")),
            Err(PassThrough::Range)
        );
    }

    #[test]
    fn only_ok_html_responses_are_personalized() {
        let cases = [
            (200, Some("text/html; charset=utf-8"), None, Ok(())),
            (200, Some("TEXT/HTML"), None, Ok(())),
            (
                200,
                Some("application/json"),
                None,
                Err(PassThrough::ContentType),
            ),
            (
                200,
                Some("text/html-ish"),
                None,
                Err(PassThrough::ContentType),
            ),
            (200, None, None, Err(PassThrough::ContentType)),
            (
                206,
                Some("text/html"),
                Some("bytes 0-9/99"),
                Err(PassThrough::Status),
            ),
            (304, Some("text/html"), None, Err(PassThrough::Status)),
            (301, Some("text/html"), None, Err(PassThrough::Status)),
            (500, Some("text/html"), None, Err(PassThrough::Status)),
        ];
        for (status, content_type, range, expected) in cases {
            assert_eq!(
                check_origin_response(status, content_type, range),
                expected,
                "{status} {content_type:?}"
            );
        }
    }

    #[test]
    fn page_views_are_told_from_assets_before_the_origin_answers() {
        let cases = [
            ("/", Some("text/html,application/xhtml+xml,*/*;q=0.8"), true),
            ("/products/boot", None, true),
            ("/products/boot", Some("*/*"), true),
            ("/assets/store.css", Some("text/css,*/*;q=0.1"), false),
            ("/assets/logo.SVG", None, false),
            ("/api/cart", Some("application/json"), false),
            ("/assets/odd.css", Some("text/html"), true),
        ];
        for (path, accept, expected) in cases {
            assert_eq!(likely_page(path, accept), expected, "{path} {accept:?}");
        }
    }

    #[test]
    fn charset_is_read_from_content_type() {
        assert_eq!(charset("text/html; charset=ISO-8859-1"), Some("ISO-8859-1"));
        assert_eq!(charset("text/html;Charset=\"utf-8\""), Some("utf-8"));
        assert_eq!(charset("text/html"), None);
    }

    #[test]
    fn rewritten_pages_lose_validators_and_become_private() {
        let plan = ResponsePlan {
            set_cookies: vec!["a=1".into()],
            ..ResponsePlan::default()
        };
        let changes = header_changes(&plan, true);
        assert!(changes.remove.contains(&"content-length"));
        assert!(changes.remove.contains(&"etag"));
        assert_eq!(
            changes.set,
            [("cache-control", PERSONAL_CACHE_CONTROL.to_string())]
        );
        assert_eq!(changes.append, [("set-cookie", "a=1".to_string())]);
    }

    #[test]
    fn a_preview_page_is_private_with_its_debug_header_and_timings() {
        let plan = ResponsePlan {
            debug: Some("config=v1; segments=vip".into()),
            server_timing: Some("tailor-decide;dur=0".into()),
            ..ResponsePlan::default()
        };
        let changes = header_changes(&plan, false);
        assert!(changes
            .set
            .contains(&("cache-control", PERSONAL_CACHE_CONTROL.to_string())));
        assert!(changes
            .set
            .contains(&(DEBUG_HEADER, "config=v1; segments=vip".to_string())));
        assert_eq!(
            changes.append,
            [("server-timing", "tailor-decide;dur=0".to_string())]
        );
    }

    #[test]
    fn timings_alone_never_make_an_untouched_page_personal() {
        let plan = ResponsePlan {
            server_timing: Some("tailor-decide;dur=0".into()),
            ..ResponsePlan::default()
        };
        assert!(header_changes(&plan, false).is_empty());
    }

    #[test]
    fn server_timing_names_each_phase() {
        let timings = Timings {
            config_ms: 0,
            config_cached: true,
            profile_ms: Some(3),
            origin_ms: 12,
            decide_ms: 0,
            rewrite_ms: 0,
        };
        assert_eq!(
            server_timing(&timings),
            "tailor-config;dur=0;desc=\"config (cached)\", \
             tailor-profile;dur=3;desc=\"profile (KV)\", \
             tailor-origin;dur=12;desc=\"origin headers\", \
             tailor-decide;dur=0;desc=\"decide\", \
             tailor-rewrite;dur=0;desc=\"rewrite set-up\""
        );
        let no_profile = Timings {
            profile_ms: None,
            ..timings
        };
        assert!(!server_timing(&no_profile).contains("profile"));
    }

    #[test]
    fn no_shared_cache_may_keep_a_personal_response() {
        // Security review: CDN-specific directives override Cache-Control in shared caches.
        for (plan, body_changes) in [
            (ResponsePlan::default(), true),
            (
                ResponsePlan {
                    set_cookies: vec!["a=1".into()],
                    ..ResponsePlan::default()
                },
                false,
            ),
        ] {
            let changes = header_changes(&plan, body_changes);
            for header in SHARED_CACHE_HEADERS {
                assert!(changes.remove.contains(&header), "{header}");
            }
        }
        assert!(header_changes(&ResponsePlan::default(), false)
            .remove
            .is_empty());
    }

    #[test]
    fn untouched_pages_keep_their_headers() {
        assert!(header_changes(&ResponsePlan::default(), false).is_empty());
        let cookie_only = header_changes(
            &ResponsePlan {
                set_cookies: vec!["a=1".into()],
                ..ResponsePlan::default()
            },
            false,
        );
        assert!(
            !cookie_only.remove.contains(&"content-length")
                && !cookie_only.remove.contains(&"etag"),
            "the body is the origin's: keep its length and validators"
        );
        assert_eq!(
            cookie_only.set.len(),
            1,
            "but a cookie-carrying page is private"
        );
    }

    #[test]
    fn the_visitor_cookie_is_http_only_lax_and_secure_on_https() {
        let https = visitor_cookie("id.tag", true);
        assert!(https.starts_with("tailor_vid=id.tag; "));
        assert!(https.contains("HttpOnly") && https.contains("SameSite=Lax"));
        assert!(https.ends_with("; Secure"));
        assert!(!visitor_cookie("id.tag", false).contains("Secure"));
        assert!(https.contains("Max-Age=34560000"));
    }

    #[test]
    fn the_behaviour_cookie_is_http_only_lax_and_secure_on_https() {
        assert_eq!(
            behaviour_cookie("1.a.0.0.1.1.0...!", true),
            "tailor_b=1.a.0.0.1.1.0...!; Path=/; Max-Age=34560000; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            behaviour_cookie("1.a.0.0.1.1.0...!", false),
            "tailor_b=1.a.0.0.1.1.0...!; Path=/; Max-Age=34560000; HttpOnly; SameSite=Lax"
        );
    }
}
