//! Property tests: reading a request never panics, whatever the URL and headers hold, and what
//! it reads keeps its documented shape (decoded query round trips, lower-case hosts and tags,
//! bots always typed `bot`, a complete attribute object).
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use proptest::prelude::*;
use serde_json::Value;
use tailor::request::language::preferred_language;
use tailor::request::url::{form_decode, normalized_host, Query};
use tailor::request::user_agent::{detect_device, is_bot_user_agent, parse_user_agent};
use tailor::request::{request_attributes, DeviceType, RequestFacts};

/// Arbitrary text, and text made of the characters the parsers care about (so escapes,
/// separators and tokens actually meet).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9%+&=?#/:;,.@\\[\\]_ ~*-]{0,80}",
        "(%[0-9a-fA-FgG]{0,2}|\\+|&|=|[a-z]{1,3}|%C3|%A9|%FF){0,30}",
    ]
}

/// URL-ish strings: a scheme and host, or not, followed by text.
fn url() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("https://"),
            Just("http://"),
            Just("android-app://")
        ],
        "(www\\.)?[A-Za-z0-9.-]{0,20}(:[0-9]{0,5})?",
        text(),
    )
        .prop_map(|(scheme, host, rest)| format!("{scheme}{host}{rest}"))
}

/// A user-agent-ish string: fragments of real ones, shuffled with noise.
fn user_agent() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("Mozilla/5.0 ".to_string()),
        Just("(iPhone; CPU iPhone OS 17_4 like Mac OS X) ".to_string()),
        Just("(Linux; Android 14; K) ".to_string()),
        Just("(Windows NT 10.0; Win64; x64) ".to_string()),
        Just("(X11; CrOS x86_64) ".to_string()),
        Just("Mobile ".to_string()),
        Just("Tablet ".to_string()),
        Just("Chrome/124.0 Safari/537.36 ".to_string()),
        Just("Edg/124 ".to_string()),
        Just("Googlebot/2.1 ".to_string()),
        Just("cubot ".to_string()),
        "[ -~]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat())
}

/// An Accept-Language-ish string.
fn accept_language() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        prop::collection::vec(
            "([a-zA-Z]{1,4}([-_][a-zA-Z0-9]{0,9}){0,3}|\\*)( ?; ?[qQ] ?= ?[0-9.eEinfNa-]{0,6})?",
            0..6
        )
        .prop_map(|entries| entries.join(",")),
    ]
}

/// Percent-encodes every byte that is not unreserved, the strictest form a client can send.
fn encode(component: &str) -> String {
    component
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn facts() -> impl Strategy<Value = RequestFacts> {
    (
        (
            url(),
            prop::option::of(user_agent()),
            prop::option::of(accept_language()),
            prop::option::of(url()),
        ),
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(any::<u8>()),
            prop::option::of(any::<u8>()),
            any::<bool>(),
            prop::option::of(any::<u8>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (url, user_agent, accept_language, referrer),
                (
                    country,
                    timezone,
                    local_hour,
                    local_weekday,
                    sec_gpc,
                    cf_bot_score,
                    cf_verified_bot,
                ),
            )| RequestFacts {
                user_agent,
                accept_language,
                referrer,
                country,
                timezone,
                local_hour,
                local_weekday,
                sec_gpc,
                cf_bot_score,
                cf_verified_bot,
                ..RequestFacts::get(&url, None, 0)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn query_parsing_never_panics(url in url(), raw in text()) {
        for query in [Query::from_url(&url), Query::parse(&raw)] {
            for (name, _) in query.pairs() {
                prop_assert!(!name.is_empty());
            }
            let _ = query.utm();
        }
        let _ = form_decode(&raw);
        if let Some(host) = normalized_host(&url) {
            prop_assert!(!host.is_empty());
            prop_assert_eq!(host.to_ascii_lowercase(), host.clone());
            prop_assert!(!host.ends_with('.'));
        }
    }

    #[test]
    fn encoded_query_pairs_round_trip(
        pairs in prop::collection::vec((".{1,12}", ".{0,12}"), 0..6),
    ) {
        let raw = pairs
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let parsed = Query::from_url(&format!("https://shop.test/p?{raw}#frag"));
        prop_assert_eq!(parsed.pairs(), pairs.as_slice());
    }

    #[test]
    fn text_without_escapes_decodes_to_itself(raw in "[^%+]{0,40}") {
        prop_assert_eq!(form_decode(&raw), raw);
    }

    #[test]
    fn user_agent_parsing_never_panics_and_bots_are_typed_bot(
        ua in user_agent(),
        verified in any::<bool>(),
        score in prop::option::of(any::<u8>()),
    ) {
        let device = parse_user_agent(&ua);
        prop_assert_eq!(device.is_bot, device.device_type == DeviceType::Bot);
        prop_assert_eq!(device.is_bot, is_bot_user_agent(&ua));

        let with_cf = detect_device(Some(&ua), verified, score);
        prop_assert_eq!(with_cf.is_bot, with_cf.device_type == DeviceType::Bot);
        prop_assert!(with_cf.is_bot >= device.is_bot, "Cloudflare only adds bots");
        prop_assert_eq!((with_cf.browser, with_cf.os), (device.browser, device.os));
        if verified {
            prop_assert!(with_cf.is_bot);
        }
    }

    #[test]
    fn accept_language_parsing_never_panics(header in accept_language()) {
        if let Some(language) = preferred_language(&header) {
            prop_assert!((2..=3).contains(&language.primary.len()));
            prop_assert!(language.primary.bytes().all(|b| b.is_ascii_lowercase()));
            prop_assert!(language.tag.starts_with(&language.primary));
            prop_assert_eq!(language.tag.to_ascii_lowercase(), language.tag.clone());
            prop_assert!(!language.tag.contains('_'));
        }
    }

    #[test]
    fn request_attributes_is_always_a_complete_object(facts in facts()) {
        let page = request_attributes(&facts);
        let object = page.as_object();
        prop_assert!(object.is_some());
        for key in ["path", "url", "query", "utm", "referrer", "device", "geo", "language", "time", "gpc"] {
            prop_assert!(page.get(key).is_some(), "missing {}", key);
        }
        prop_assert!(page["query"].is_object());
        for key in ["source", "medium", "campaign", "term", "content"] {
            prop_assert!(page["utm"][key].is_string() || page["utm"][key].is_null());
        }
        prop_assert!(page["device"]["type"].is_string());
        prop_assert!(page["referrer"]["internal"].is_boolean());
        let hour = &page["time"]["localHour"];
        prop_assert!(hour.is_null() || hour.as_u64().is_some_and(|h| h <= 23));
        let weekday = &page["time"]["localWeekday"];
        prop_assert!(weekday.is_null() || weekday.as_u64().is_some_and(|d| d <= 6));
        prop_assert_eq!(&page["gpc"], &Value::Bool(facts.sec_gpc));
    }
}
