//! The security review's findings, each kept as a test: open redirects and header injection
//! through split-URL targets, markup from store webhooks and the query string in templates,
//! cookies and identities that are forged, replayed or tampered with, and personal responses
//! in shared caches. (Admin tokens, webhook signatures and erasure are tested end to end in
//! `tests/e2e/privacy.test.mjs`.)
#![cfg(not(target_arch = "wasm32"))]

mod common;

use serde_json::{json, Map, Value};
use tailor::crypto::hmac_sha256;
use tailor::response::{header_changes, ResponsePlan, SHARED_CACHE_HEADERS};
use tailor::store_event::{apply, parse_generic};
use tailor::visitor::{verify_identity, IdentityError, Profile, Visitor, VisitorId};
use tailor::{decide, Action, Config, DecideOptions, RequestFacts};

const MARKUP: &str = r#"<img src=x onerror=alert(1)>"'</h1><script>x</script>"#;

fn config(text: Value) -> Result<Config, Vec<tailor::ConfigError>> {
    Config::parse(&text.to_string(), &|_| Ok(()))
}

#[test]
fn split_url_targets_cannot_leave_the_store_or_split_a_header() {
    for target in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "/landing\r\nSet-Cookie: stolen=1",
        "/landing\nLocation: https://evil.example/",
        "/a b",
        "",
    ] {
        let errors = config(json!({
            "experiments": [{"key": "split", "variations": [{}, {"urlRedirect": target}]}]
        }))
        .expect_err(target);
        assert!(
            errors
                .iter()
                .any(|e| e.path == "experiments[0].variations[1].urlRedirect"),
            "{target:?}: {errors:?}"
        );
    }
    assert!(config(json!({
        "experiments": [{"key": "split", "variations": [{}, {"urlRedirect": "/landing-b?x=1"}]}]
    }))
    .is_ok());
}

/// The hero a visitor with `profile` gets for `url`, from a template that prints the
/// customer's first name and a query parameter.
fn hero_for(profile: Option<&Profile>, url: &str) -> String {
    let config = config(json!({
        "segments": [{"id": "everyone", "when": {}}],
        "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                   "content": {"everyone": "Hi {{customer.firstName}} from {{page.query.src}}"}}]
    }))
    .expect("valid");
    let request = RequestFacts::get(url, None, common::NOW);
    let visitor = common::identify(&request, [1; 16]);
    let decision = decide(
        &config,
        &request,
        &visitor,
        profile,
        None,
        DecideOptions::default(),
    );
    match &decision.plan.edits[0].action {
        Action::SetInnerContent { html } => html.clone(),
        other => panic!("unexpected action {other:?}"),
    }
}

#[test]
fn markup_arriving_through_a_webhook_or_the_query_string_renders_as_text() {
    let event = parse_generic(
        &json!({"id": "e1", "type": "customer", "customerId": "c-1",
                "customer": {"firstName": MARKUP}})
        .to_string(),
        0,
    )
    .expect("valid event");
    let mut fields = Map::new();
    apply(&mut fields, &event, &|_| None);
    assert_eq!(fields["firstName"], MARKUP, "stored as sent");
    let profile = Profile::from(fields);
    let url = format!(
        "https://shop.test/?src={}",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22"
    );
    let html = hero_for(Some(&profile), &url);
    for forbidden in ["<img", "<script", "</h1>", "\"'"] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }
    assert!(html.contains("&lt;img"), "{html}");
}

#[test]
fn a_visitor_cookie_from_another_worker_or_edited_by_hand_reads_no_profile() {
    let id = VisitorId::from_random([7; 16]);
    let foreign = tailor::visitor::IdKeys::new("another-stores-visitor-id-key-012345678", None)
        .expect("key")
        .sign(&id);
    for cookie in [
        format!("tailor_vid={id}"),
        format!("tailor_vid={foreign}"),
        format!("tailor_vid={}x", common::keys().sign(&id)),
    ] {
        let visitor = common::identify(&RequestFacts::get("/", Some(&cookie), 0), [1; 16]);
        assert!(visitor.is_new, "{cookie}");
        assert_ne!(visitor.id, id);
        assert_eq!(visitor.profile_key(), None, "{cookie}: no profile is read");
    }
    // Anonymous (no consent) visitors read no profile even with a valid cookie.
    assert_eq!(Visitor::anonymous([1; 16]).profile_key(), None);
}

#[test]
fn a_replayed_or_edited_identity_is_refused() {
    let secret = b"storefront-identity-secret-0123";
    let sign = |payload: &str| -> String {
        let hex: String = hmac_sha256(secret, payload.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{payload}.{hex}")
    };
    let now = common::NOW;
    let day = 86_400_000;
    let fresh = sign(&format!("c-1.{}", now / 1000));
    assert_eq!(
        verify_identity(&fresh, &[secret], now, 30 * day),
        Ok("c-1".into())
    );
    // Replayed a month and a day later.
    assert_eq!(
        verify_identity(&fresh, &[secret], now + 31 * day, 30 * day),
        Err(IdentityError::Expired)
    );
    // Another customer's id under this customer's signature; a later issue time.
    let (_, signature) = fresh.rsplit_once('.').expect("signature");
    for edited in [
        format!("c-2.{}.{signature}", now / 1000),
        format!("c-1.{}.{signature}", now / 1000 + 1),
    ] {
        assert_eq!(
            verify_identity(&edited, &[secret], now, 30 * day),
            Err(IdentityError::BadSignature),
            "{edited}"
        );
    }
}

#[test]
fn personal_responses_are_never_left_to_a_shared_cache() {
    let personal = header_changes(
        &ResponsePlan {
            set_cookies: vec!["tailor_b=x".into()],
            ..ResponsePlan::default()
        },
        true,
    );
    assert!(personal
        .set
        .contains(&("cache-control", "private, no-cache".to_string())));
    for header in SHARED_CACHE_HEADERS {
        assert!(personal.remove.contains(&header), "{header} removed");
    }
}
