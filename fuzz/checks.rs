//! The properties the fuzz targets check, one function per target. Shared, on stable Rust, by
//! the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly) and by `tests/fuzz_smoke.rs`,
//! which runs them over the seed files in CI. Each function takes any bytes and panics only
//! when a property fails.
#![allow(dead_code)] // each fuzz target uses one of the checks

use serde_json::{json, Map, Value};
use tailor::condition::Condition;
use tailor::content::template::{Template, TemplateMode};
use tailor::experiment::{query_string_override, StickyAssignments};
use tailor::preview::{self, Preview, PreviewRejected};
use tailor::privacy::{decide_consent, ConsentPolicy};
use tailor::profile_update::ProfileUpdate;
use tailor::request::url::{form_decode, normalized_host, percent_decode, Query};
use tailor::request::user_agent::{is_bot_user_agent, parse_user_agent};
use tailor::store_event::{apply, parse_generic, parse_shopify, verify_signature, StoreEvent};
use tailor::visitor::behaviour::MAX_ENCODED_LEN;
use tailor::visitor::timestamp::parse_rfc3339;
use tailor::visitor::{
    verify_identity, Behaviour, Cart, CartSource, IdKeys, Verified, VisitorId, ABANDONED_AFTER_MS,
};
use tailor::{decide, Config, DecideOptions, RequestFacts, Visitor};

/// The key the `cookies` check signs and verifies visitor ids with.
const ID_KEY: &str = "fuzz-key-0123456789abcdefghijklmnopqrstuvwxyz";

/// Every Shopify topic `parse_shopify` accepts, plus one it does not.
const SHOPIFY_TOPICS: &[&str] = &[
    "orders/create",
    "orders/paid",
    "carts/create",
    "carts/update",
    "checkouts/create",
    "checkouts/update",
    "customers/create",
    "customers/update",
    "products/update",
];

/// The input as text: fuzzers produce any bytes, the parsers take `&str`.
fn text(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            let valid = &data[..e.valid_up_to()];
            std::str::from_utf8(valid).unwrap_or_default()
        }
    }
}

/// The input split at its first 0 byte (the whole input and "" without one).
fn split(data: &[u8]) -> (&str, &str) {
    match data.iter().position(|&b| b == 0) {
        Some(at) => (text(&data[..at]), text(&data[at + 1..])),
        None => (text(data), ""),
    }
}

/// Cookie values: the behaviour cookie round-trips and stays within its size bound; the sticky
/// assignments and audit cookies round-trip; the Cookie header, visitor id, signed id and
/// identity parsers never panic, and a verified id is exactly what `sign` gives for it.
pub fn cookies(data: &[u8]) {
    let value = text(data);
    if let Some(behaviour) = Behaviour::parse(value) {
        let encoded = behaviour.encode();
        assert!(encoded.len() <= MAX_ENCODED_LEN, "{} bytes", encoded.len());
        assert_eq!(
            Behaviour::parse(&encoded).as_ref(),
            Some(&behaviour),
            "{encoded:?}"
        );
    }

    let sticky = StickyAssignments::parse(value);
    let encoded = sticky.encode(|_| true, usize::MAX);
    assert_eq!(StickyAssignments::parse(&encoded), sticky, "{encoded:?}");

    let today = 20_000;
    let reported = tailor::audit::Reported::parse(Some(value), today);
    let encoded = reported.encode();
    assert_eq!(
        tailor::audit::Reported::parse(Some(&encoded), today),
        reported
    );

    for (name, cookie) in tailor::request::parse_cookie_header(value) {
        assert!(!name.is_empty());
        let _ = (VisitorId::parse(&cookie), Behaviour::parse(&cookie));
    }

    if let Some(id) = VisitorId::parse(value) {
        assert_eq!(VisitorId::parse(id.as_str()).as_ref(), Some(&id));
    }
    let keys = match IdKeys::new(ID_KEY, None) {
        Ok(keys) => keys,
        Err(e) => panic!("{e}"),
    };
    match keys.verify(value) {
        Some(Verified::Current(id)) => assert_eq!(keys.sign(&id), value),
        Some(Verified::Previous(id)) => panic!("no previous key, yet {id} verified with one"),
        None => {}
    }

    let secrets: [&[u8]; 2] = [b"secret", b""];
    if let Ok(customer) = verify_identity(value, &secrets, u64::MAX / 2, u64::MAX) {
        assert!(value.starts_with(&format!("{customer}.")));
    }

    // The storefront's cart cookies (the config's `cookies` cart source): the input as a whole
    // `Cookie` header, and as the value of the time cookie.
    for header in [value.to_string(), format!("cart_count=3; cart_ts={value}")] {
        cart_cookies(&header);
    }
}

/// A cart read from the storefront's cookies: its count is the cookie's number (else 0), its
/// time reads back from the attribute it becomes, and it is abandoned only with items in it
/// and 30 minutes after that time.
fn cart_cookies(header: &str) {
    const NOW: u64 = 1_793_613_600_000;
    const YEAR_10000_MS: u64 = 253_402_300_800_000;
    let request = RequestFacts::get("https://shop.test/cart", Some(header), NOW);
    let source = CartSource::Cookies {
        count: "cart_count".to_string(),
        updated_at: Some("cart_ts".to_string()),
    };
    let cart = Cart::read(&source, &request, None);
    let count = request.cookie("cart_count");
    let expected = count
        .and_then(|c| c.trim().parse::<u64>().ok())
        .unwrap_or(0);
    assert_eq!(cart.item_count, expected, "{count:?}");
    let abandoned = cart.is_abandoned(None, None, NOW);
    let attributes = cart.attributes(abandoned, NOW);
    if let Some(updated) = cart.updated_at_ms.filter(|t| *t < YEAR_10000_MS) {
        let text = attributes["updatedAt"].as_str().expect("a time");
        assert_eq!(
            parse_rfc3339(text),
            Some(updated - updated % 1000),
            "{text}"
        );
    }
    if abandoned {
        let updated = cart.updated_at_ms.expect("abandoned carts have a time");
        assert!(cart.item_count > 0 && NOW - updated >= ABANDONED_AFTER_MS);
    }
}

/// A config document: parsing never panics, and a config that compiles decides a first visit
/// to the home page without panicking.
pub fn config(data: &[u8]) {
    let Ok(config) = Config::parse(text(data), &tailor::rewrite::check_selector) else {
        return;
    };
    let request = RequestFacts::get("https://shop.test/", None, 0);
    let (visitor, options) = (Visitor::anonymous([0; 16]), DecideOptions::default());
    let _ = decide(&config, &request, &visitor, None, None, options);
}

/// `<condition JSON> 0 <attributes JSON>`: compiling never panics (strict and lenient), and
/// evaluating a compiled condition gives the same answer twice.
pub fn conditions(data: &[u8]) {
    let (condition, attributes) = split(data);
    let Ok(condition) = serde_json::from_str::<Value>(condition) else {
        return;
    };
    let attributes = serde_json::from_str::<Value>(attributes).unwrap_or(Value::Null);
    let lenient = Condition::compile_lenient(&condition);
    // `None` where GrowthBook's JavaScript would throw; `matches` reads that as no match.
    let first = lenient.evaluate(&attributes);
    assert_eq!(
        lenient.evaluate(&attributes),
        first,
        "lenient, not deterministic"
    );
    assert_eq!(lenient.matches(&attributes), first == Some(true));
    if let Ok(strict) = Condition::compile(&condition, "condition") {
        // Strict compilation only adds errors: a condition it accepts means the same.
        assert_eq!(
            strict.evaluate(&attributes),
            first,
            "strict and lenient disagree on a condition strict accepts"
        );
    }
    if condition.is_object() {
        // The logical operators compose as GrowthBook's do, whatever the condition inside; a
        // throw goes through all of them, as it does in JavaScript.
        let wrapped = |operator: &str, inner: Value| {
            Condition::compile_lenient(&json!({ operator: inner })).evaluate(&attributes)
        };
        let negated = first.map(|holds| !holds);
        assert_eq!(wrapped("$not", condition.clone()), negated, "$not");
        assert_eq!(wrapped("$and", json!([condition])), first, "$and of one");
        assert_eq!(wrapped("$or", json!([condition])), first, "$or of one");
        assert_eq!(wrapped("$nor", json!([condition])), negated, "$nor of one");
        assert_eq!(
            wrapped("$and", json!([condition, condition])),
            first,
            "$and of the condition twice"
        );
    }
}

/// The names of the tags that open or close in `html` (`<p`, `</p` → `p`), lower case.
pub fn tag_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in html.match_indices('<') {
        let rest = html[at + 1..].strip_prefix('/').unwrap_or(&html[at + 1..]);
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(rest.len());
        names.push(rest[..end].to_ascii_lowercase());
    }
    names
}

/// The names of the tags a browser sees open or close in `html`, lower case: like
/// [`tag_names`], but not counting a `<` inside a quoted attribute value or a comment.
pub fn opened_tags(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment.split_once("-->").map_or("", |(_, after)| after);
            continue;
        }
        let name_at = rest.strip_prefix('/').unwrap_or(rest);
        if !name_at.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        // The name starts right here, so it is the first one `tag_names` finds.
        let Some(name) = tag_names(&format!("<{rest}")).into_iter().next() else {
            continue;
        };
        names.push(name);
        rest = tag_end(rest).map_or("", |end| &rest[end + 1..]);
    }
    names
}

/// Where the tag whose name starts `tag` ends (its `>`), read as HTML's tokenizer reads
/// attributes: a quote opens a value only right after `=`; elsewhere (`<p ="x">`, `a=b"c`) it
/// is part of a name or an unquoted value.
fn tag_end(tag: &str) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum State {
        Name,
        BeforeAttribute,
        Attribute,
        AfterAttribute,
        BeforeValue,
        Quoted(char),
        Unquoted,
    }
    let mut state = State::Name;
    for (at, c) in tag.char_indices() {
        let space = c.is_ascii_whitespace();
        state = match state {
            _ if c == '>' && !matches!(state, State::Quoted(_)) => return Some(at),
            State::Name | State::Unquoted if space => State::BeforeAttribute,
            // NOTE: `<a/b="x">`: a `/` ends the name; what follows is read as attributes.
            State::Name if c == '/' => State::BeforeAttribute,
            State::Name | State::Unquoted => state,
            State::BeforeAttribute if space || c == '/' => State::BeforeAttribute,
            // NOTE: `=` here starts an attribute's name (a parse error browsers recover from).
            State::BeforeAttribute => State::Attribute,
            State::Attribute if space => State::AfterAttribute,
            State::Attribute | State::AfterAttribute if c == '/' => State::BeforeAttribute,
            State::Attribute | State::AfterAttribute if c == '=' => State::BeforeValue,
            State::Attribute => State::Attribute,
            State::AfterAttribute if space => State::AfterAttribute,
            State::AfterAttribute => State::Attribute,
            State::BeforeValue if space => State::BeforeValue,
            State::BeforeValue if c == '"' || c == '\'' => State::Quoted(c),
            State::BeforeValue => State::Unquoted,
            State::Quoted(q) if c == q => State::BeforeAttribute,
            State::Quoted(_) => state,
        };
    }
    None
}

/// `<template> 0 <context JSON>` (context not JSON: every variable the template names is that
/// text): compiling and rendering never panic, and an Html template's output opens no tag the
/// template source does not name (values are escaped).
pub fn templates(data: &[u8]) {
    let (source, rest) = split(data);
    for mode in [
        TemplateMode::Html,
        TemplateMode::AttributeValue {
            attribute: "href".to_string(),
        },
    ] {
        let html = mode == TemplateMode::Html;
        let Ok(template) = Template::compile(source, mode, "fuzz") else {
            continue;
        };
        let context = serde_json::from_str::<Value>(rest).unwrap_or_else(|_| {
            let mut context = Value::Object(Map::new());
            for variable in template.variables() {
                set_path(&mut context, &variable, rest);
            }
            context
        });
        let out = template.render(&context);
        assert!(out.len() <= tailor::content::template::MAX_OUTPUT_BYTES);
        if html {
            // NOTE: literal text on both sides of a `{% %}` tag is the author's: `<i{% raw
            // %}5{% endraw %}` opens `<i5`, and so does `<i{% raw %}5{% e%}{% endraw %}`.
            let mut allowed = tag_names(source);
            let tags = without_tags(source, ["{%", "%}"], false);
            allowed.extend(tag_names(&tags));
            allowed.extend(tag_names(&without_tags(source, ["{%", "%}"], true)));
            // An output in a tag name does not compile; one in an attribute value that
            // renders empty may join text that only looks like a tag: `"</a{{ x }}b"`.
            allowed.extend(tag_names(&without_tags(&tags, ["{{", "}}"], false)));
            // Rendered without data, the output is the author's text alone (raw blocks
            // included, however they are spelled).
            allowed.extend(opened_tags(&template.render(&Value::Null)));
            for name in opened_tags(&out) {
                assert!(
                    allowed.contains(&name),
                    "<{name} is not in the template {source:?}; rendered {out:?}"
                );
            }
        }
    }
}

/// `source` without its `{% … %}` tags (`only_raw`: without its `raw` and `endraw` tags, which
/// the parser also takes followed by other characters, as in `{% raw: %}`), or
/// whatever `open` and `close` delimit.
fn without_tags(source: &str, [open, close]: [&str; 2], only_raw: bool) -> String {
    let mut text = String::new();
    let mut rest = source;
    while let Some(start) = rest.find(open) {
        let Some(end) = rest[start + 2..].find(close).map(|end| start + end + 4) else {
            break;
        };
        let name = rest[start + 2..end - 2].trim_matches(|c: char| c == '-' || c.is_whitespace());
        text.push_str(&rest[..start]);
        if only_raw && !name.starts_with("raw") && !name.starts_with("endraw") {
            text.push_str(&rest[start..end]);
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

/// Sets `path` (`a.b.c`) in `context` to `text`, making objects on the way.
fn set_path(context: &mut Value, path: &str, text: &str) {
    let mut at = context;
    for segment in path.split('.') {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(fields) = at else { return };
        at = fields.entry(segment.to_string()).or_insert(Value::Null);
    }
    *at = json!(text);
}

/// `<body> 0 <header>`: every Shopify topic and the generic format; an event parsed
/// round-trips through the queue encoding, and applying it a second time changes nothing;
/// signature checks never panic; a queue message that decodes round-trips.
pub fn webhooks(data: &[u8]) {
    let (body, header) = split(data);
    let mut events: Vec<StoreEvent> = SHOPIFY_TOPICS
        .iter()
        .filter_map(|topic| parse_shopify(topic, "webhook-1", body, 0).ok())
        .collect();
    events.extend(parse_generic(body, 0).ok());
    for event in events {
        let encoded = event.encode();
        assert_eq!(
            StoreEvent::decode(&encoded).as_ref(),
            Some(&event),
            "{encoded}"
        );
        let mut profile = Map::new();
        let no_category = |_: &str| -> Option<String> { None };
        apply(&mut profile, &event, &no_category);
        let once = profile.clone();
        apply(&mut profile, &event, &no_category);
        assert_eq!(profile, once, "applying {event:?} twice");
    }
    let secrets: [&[u8]; 1] = [b"secret"];
    let _ = verify_signature(body.as_bytes(), Some(header), &secrets);
    let _ = verify_signature(data, Some(body), &secrets);
    for text in [body, header] {
        if let Some(update) = ProfileUpdate::decode(text) {
            let encoded = update.encode();
            assert_eq!(
                ProfileUpdate::decode(&encoded).as_ref(),
                Some(&update),
                "{encoded}"
            );
        }
    }
}

/// A User-Agent, a URL and a query string: parsing never panics, the bot check agrees with the
/// full parse, and decoding never panics.
pub fn user_agent(data: &[u8]) {
    let input = text(data);
    let device = parse_user_agent(input);
    assert_eq!(device.is_bot, is_bot_user_agent(input), "{input:?}");
    let url = format!("https://shop.test/p?{input}");
    for url in [input, url.as_str()] {
        let request = RequestFacts::get(url, None, 0);
        let _ = (request.path(), request.query_params(), request.utm());
        let _ = (request.referrer_host(), normalized_host(url));
        for variations in [0, 1, 3] {
            if let Some(n) = query_string_override("exp", url, variations) {
                assert!(n < variations);
            }
        }
    }
    let query = Query::parse(input);
    assert!(query.pairs().iter().all(|(name, _)| !name.is_empty()));
    let _ = (query.utm(), form_decode(input), percent_decode(input));
}

/// A Cookie header: deciding consent never panics and gives the same answer twice, under the
/// default policy and under one with a consent cookie.
pub fn consent(data: &[u8]) {
    let header = text(data);
    let mut errors = Vec::new();
    let policies = [
        ConsentPolicy::compile(&json!({}), "consent", &mut errors),
        ConsentPolicy::compile(
            &json!({"cookie": "_tracking_consent", "granted": "\"m\":\"1\"", "denied": "\"m\":\"0\""}),
            "consent",
            &mut errors,
        ),
    ];
    assert!(errors.is_empty(), "{errors:?}");
    for policy in &policies {
        for country in [None, Some("FR"), Some("US")] {
            let mut request = RequestFacts::get("https://shop.test/", Some(header), 0);
            request.country = country.map(str::to_string);
            let first = decide_consent(policy, &request);
            assert_eq!(decide_consent(policy, &request), first);
        }
    }
}

/// The config the `preview` check asks for links against.
const PREVIEW_CONFIG: &str = r#"{
    "segments": [{"id": "vip", "when": {}}, {"id": "new", "when": {}}],
    "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
               "content": {"vip": "Hi"}}],
    "experiments": [{"key": "cta", "variations": [{}, {"content": {"hero": "B"}}]}]
}"#;

/// Preview links: a token made of any bytes never verifies (only our signature does) and never
/// panics, whether it comes in the query or the cookie; a preview built from the input signs
/// and verifies back to itself until it expires, and one changed byte of its token makes it
/// worthless; an admin's request of any shape is either refused with errors or forces only
/// segments and variants the config has.
pub fn preview(data: &[u8]) {
    let keys = match IdKeys::new(ID_KEY, None) {
        Ok(keys) => keys,
        Err(e) => unreachable!("{e}"),
    };
    let (first, second) = split(data);
    // Arbitrary tokens, straight and through a request.
    assert!(
        Preview::verify(first, &keys, 0).is_err() || first.contains('.'),
        "{first:?} verified without a tag"
    );
    for facts in [
        RequestFacts::get(
            &format!("https://shop.test/?{}={}", preview::PREVIEW_PARAM, first),
            None,
            0,
        ),
        RequestFacts::get(
            "https://shop.test/",
            Some(&format!("{}={first}; {second}", preview::PREVIEW_COOKIE)),
            0,
        ),
    ] {
        let state = preview::from_request(&facts, || IdKeys::new(ID_KEY, None).ok());
        if let Some(granted) = state.preview {
            // Only a token we signed can get here: it must be one `sign` produces.
            assert_eq!(granted.sign(&keys).len(), first.len(), "{first:?}");
        }
    }
    // A preview from the input: segment ids and variants, and an expiry.
    let expires_at_ms = data
        .iter()
        .take(8)
        .fold(1u64, |n, &b| n.wrapping_mul(257).wrapping_add(u64::from(b)))
        .max(1);
    let mut built = Preview {
        segments: first.split(',').map(str::to_string).collect(),
        // NOTE: one entry per experiment key, as `read_request` builds them.
        variants: second
            .split(',')
            .enumerate()
            .filter(|(i, key)| !second.split(',').take(*i).any(|k| k == *key))
            .map(|(i, key)| (key.to_string(), i as u32))
            .collect(),
        expires_at_ms,
    };
    // NOTE: in key order, as `read_request` (a JSON object's keys) and the token give them.
    built.variants.sort();
    let token = built.sign(&keys);
    assert_eq!(token.len(), built.token_len());
    // NOTE: a token over the cap never verifies; `read_request` refuses such a preview (422)
    // rather than issue a link that previews nothing.
    if token.len() > preview::MAX_TOKEN_BYTES {
        assert_eq!(
            Preview::verify(&token, &keys, 0),
            Err(PreviewRejected::BadSignature)
        );
    } else {
        round_trip(&built, &token, &keys, data);
    }
    // An admin's request of any shape.
    let config = match Config::parse(PREVIEW_CONFIG, &|_| Ok(())) {
        Ok(config) => config,
        Err(e) => unreachable!("{e:?}"),
    };
    if let Ok(body) = serde_json::from_str::<Value>(first) {
        if let Ok(request) = preview::read_request(&body, &config, 0) {
            for segment in &request.preview.segments {
                assert!(
                    config.segments.iter().any(|s| &s.id == segment),
                    "{segment}"
                );
            }
            for (key, variation) in &request.preview.variants {
                let arms = config
                    .experiment_arms(key)
                    .map_or(0, |(_, arms, _)| arms.len());
                assert!((*variation as usize) < arms, "{key}:{variation}");
            }
            assert!(request.path.starts_with('/') && !request.path.starts_with("//"));
            assert!(request.preview.token_len() <= preview::MAX_TOKEN_BYTES);
        }
    }
}

/// A signed preview verifies back to itself until it expires; one changed byte of its token
/// makes it worthless.
fn round_trip(built: &Preview, token: &str, keys: &IdKeys, data: &[u8]) {
    let expires_at_ms = built.expires_at_ms;
    assert_eq!(
        Preview::verify(token, keys, 0),
        Ok(built.clone()),
        "{token}"
    );
    assert_eq!(
        Preview::verify(token, keys, expires_at_ms),
        Err(PreviewRejected::Expired {
            at_ms: expires_at_ms
        })
    );
    if !token.is_empty() {
        let at = usize::from(data.first().copied().unwrap_or(0)) % token.len();
        let mut changed = token.as_bytes().to_vec();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8_lossy(&changed).into_owned();
        // NOTE: base64url's last character can carry unused bits; a change there may decode
        // to the same bytes, which is the same token.
        if let Ok(same) = Preview::verify(&changed, keys, 0) {
            assert_eq!(&same, built, "{changed:?} verified as something else");
        }
    }
}
