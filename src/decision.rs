//! One page view's decision: from the request, the visitor and their profile, through segments
//! and slots, to a rewrite plan and a response plan. Pure: no I/O, no clock, no randomness.

use serde::Serialize;
use serde_json::Value;

use crate::assignment::{assign, AssignInput, Assigned, Route, HOLDOUT_KEY};
use crate::audit::{day_of, Reported, Seen, SEEN_COOKIE};
use crate::config::Config;
use crate::content::{Catalog, Recommendations, Signals};
use crate::experiment::{ASSIGNMENTS_COOKIE, ASSIGNMENTS_COOKIE_MAX_BYTES};
use crate::preview::Preview;
use crate::privacy::{decide_consent, ConsentPolicy, OPT_OUT_COOKIE};
use crate::request::RequestFacts;
use crate::response::{
    assignments_cookie, behaviour_cookie, expired_cookie, opt_out_cookie,
    seen_cookie as seen_cookie_header, visitor_cookie, ResponsePlan, PERSONAL_COOKIES,
};
use crate::rewrite::RewritePlan;
use crate::segment::{forced_memberships, memberships, Membership};
use crate::visitor::{
    attributes, Behaviour, IdKeys, IdentityError, PageKind, Profile, Visitor, VisitorContext,
    BEHAVIOUR_COOKIE, VISITOR_ID_BYTES,
};

/// Everything decided for one page view, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The config version that decided.
    pub config_version: String,
    /// Segments the visitor belongs to, highest priority first.
    pub memberships: Vec<Membership>,
    /// Whether the visitor is in the global holdout (then nothing on the page changes).
    pub held_out: bool,
    /// Each running experiment's variation for this visitor, with the reason.
    pub experiments: Vec<Assigned>,
    /// A split-URL variation: redirect the browser, or fetch another origin path.
    pub route: Option<Route>,
    /// Each slot that changes, with the content it shows (a segment id, `default`, or
    /// `<experiment>:<variation>`), in config order.
    pub slots: Vec<(String, String)>,
    /// What to change on the page.
    pub plan: RewritePlan,
    /// Cookies and caching for the response.
    pub response: ResponsePlan,
    /// Events to record (sent off the page's path).
    pub events: PageEvents,
}

/// What a page view reports: first exposures, and the audit's daily record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PageEvents {
    /// (experiment key, variant) for experiments the visitor was just assigned to.
    pub exposures: Vec<(String, u32)>,
    /// Segments matched and content served that were not reported today.
    pub seen: Option<Seen>,
}

/// How the edge is running this decision.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecideOptions<'a> {
    /// The edge decided before fetching the origin, so split-URL experiments can run.
    pub routable: bool,
    /// A verified preview link: what it forces is shown, and nothing is counted or kept.
    pub preview: Option<&'a Preview>,
}

/// Decides what this visitor sees on this page; `catalog` feeds recommendation slots.
pub fn decide(
    config: &Config,
    request: &RequestFacts,
    visitor: &Visitor,
    profile: Option<&Profile>,
    catalog: Option<&Catalog>,
    options: DecideOptions<'_>,
) -> Decision {
    let preview = options.preview;
    let page = config.pages.classify(request.path());
    // NOTE: without consent the browsing history is neither read nor kept: this page view is
    // all there is.
    let previous = request
        .cookie(BEHAVIOUR_COOKIE)
        .filter(|_| visitor.personal);
    let mut behaviour = Behaviour::record_page_view(
        previous.and_then(Behaviour::parse).as_ref(),
        &page,
        request.now_ms,
    );
    if page == PageKind::OrderConfirmation {
        // NOTE: the browser learns of the purchase at once; the profile in KV may take a while
        // (webhook, replication), and "your cart is waiting" must never follow a purchase.
        behaviour.set_last_purchase_ms(Some(request.now_ms));
    }
    let context = VisitorContext {
        request,
        visitor,
        profile,
        behaviour: &behaviour,
        page: &page,
    };
    let mut attributes = attributes(&context, &config.cart);
    let memberships = match preview.filter(|p| !p.segments.is_empty()) {
        Some(preview) => forced_memberships(&config.segments, &preview.segments),
        None => memberships(&config.segments, &attributes, request.now_ms),
    };
    let segment_ids: Vec<String> = memberships.iter().map(|m| m.segment.clone()).collect();
    // NOTE: crawlers keep no cookies, get the control, and are never counted; so do visitors
    // whose personal data may not be used (an assignment needs an id that persists).
    let is_bot = request.is_bot();
    let uncounted = is_bot || !visitor.personal;
    let forced = preview.map(Preview::forced_variations);
    let assignments = assign(
        &config.experiments,
        config.holdout.as_ref(),
        config.query_overrides,
        &AssignInput {
            attributes: &attributes,
            segments: &segment_ids,
            url: &request.url,
            visitor_id: visitor.id.as_str(),
            sticky_cookie: request.cookie(ASSIGNMENTS_COOKIE),
            // NOTE: a preview decides like a counted visitor (so what it forces shows, even
            // to a QA script without cookies) but nothing of it is kept or reported below.
            is_bot: uncounted && preview.is_none(),
            routable: options.routable,
            forced: forced.as_deref(),
            held_out: preview.map(|p| p.variant(HOLDOUT_KEY) == Some(1)),
        },
    );
    let signals = config
        .recommends()
        .then(|| Signals::from_attributes(&attributes));
    let recommend = |spec: &Recommendations| -> Vec<Value> {
        match (catalog, &signals) {
            (Some(catalog), Some(signals)) => spec
                .recommend(catalog, signals)
                .into_iter()
                .map(|i| catalog.product_json(i).clone())
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut served = Vec::new();
    let edits = if assignments.held_out {
        Vec::new()
    } else {
        config
            .slots
            .iter()
            .enumerate()
            .filter_map(|(at, slot)| {
                let assigned = assignments.content_for(&config.experiments, at);
                let (edit, key) = slot.decide_keyed(
                    &memberships,
                    assigned.as_ref(),
                    &mut attributes,
                    request.now_ms,
                    &recommend,
                )?;
                served.push((slot.id.clone(), key));
                Some(edit)
            })
            .collect()
    };

    let mut set_cookies = Vec::new();
    let mut events = PageEvents::default();
    let https = request.is_https();
    if preview.is_some() {
        // A preview is read-only: the previewer's own cookies and the reports stay as they were.
    } else if !visitor.personal && !is_bot {
        // Consent missing or withdrawn: whatever we stored before goes.
        set_cookies.extend(
            PERSONAL_COOKIES
                .iter()
                .filter(|name| request.cookie(name).is_some())
                .map(|name| expired_cookie(name, https)),
        );
        if visitor.remember_opt_out && request.cookie(OPT_OUT_COOKIE).is_none() {
            set_cookies.push(opt_out_cookie(https));
        }
    } else if !is_bot {
        if let Some(signed) = &visitor.issue_cookie {
            set_cookies.push(visitor_cookie(signed, https));
        }
        let encoded = behaviour.encode();
        if previous != Some(encoded.as_str()) {
            set_cookies.push(behaviour_cookie(&encoded, https));
        }
        let sticky = request.cookie(ASSIGNMENTS_COOKIE);
        let encoded = assignments.sticky.encode(
            |key| config.runs_experiment(key),
            ASSIGNMENTS_COOKIE_MAX_BYTES,
        );
        if sticky.unwrap_or_default() != encoded {
            set_cookies.push(assignments_cookie(&encoded, https));
        }
        let seen_cookie = request.cookie(SEEN_COOKIE);
        let mut reported = Reported::parse(seen_cookie, day_of(request.now_ms));
        events.seen = reported.report(&segment_ids, &served);
        if events.seen.is_some() {
            set_cookies.push(seen_cookie_header(&reported.encode(), https));
        }
        events.exposures = assignments.exposures;
    }
    Decision {
        config_version: config.version.clone(),
        memberships,
        held_out: assignments.held_out,
        experiments: assignments.experiments,
        route: assignments.route,
        slots: served,
        plan: RewritePlan { edits },
        response: ResponsePlan {
            set_cookies,
            ..ResponsePlan::default()
        },
        events,
    }
}

/// Who the visitor behind `request` is, as far as consent and our keys allow: anonymous
/// without consent or without a signing key (`keys` is only asked when consent allows); else
/// their signed id, and the logged-in customer when the storefront's identity cookie verifies
/// with one of `identity_secrets` (asked for only when there is a config). An identity cookie
/// that does not verify comes back as the problem: the visitor is then not logged in.
pub fn identify<S: AsRef<[Vec<u8>]>>(
    config: Option<&Config>,
    request: &RequestFacts,
    fresh: [u8; VISITOR_ID_BYTES],
    keys: impl FnOnce() -> Option<IdKeys>,
    identity_secrets: impl FnOnce() -> S,
) -> (Visitor, Option<IdentityError>) {
    let default_policy;
    let policy = match config {
        Some(config) => &config.consent,
        None => {
            default_policy = ConsentPolicy::default();
            &default_policy
        }
    };
    if !decide_consent(policy, request).personal {
        return (Visitor::anonymous(fresh), None);
    }
    let Some(keys) = keys() else {
        return (Visitor::anonymous(fresh), None);
    };
    let mut visitor = Visitor::identify(request, fresh, &keys);
    let Some(config) = config else {
        return (visitor, None);
    };
    let secrets = identity_secrets();
    if secrets.as_ref().is_empty() {
        return (visitor, None);
    }
    let secrets: Vec<&[u8]> = secrets.as_ref().iter().map(Vec::as_slice).collect();
    match config.identity.customer(request, &secrets) {
        Ok(customer) => {
            visitor.customer_id = customer;
            (visitor, None)
        }
        Err(problem) => (visitor, Some(problem)),
    }
}

/// Records a view of `path` at `now_ms` in the browsing history: the page's kind, and the
/// history including this view.
pub fn record_page_view(
    config: &Config,
    path: &str,
    previous: Option<&Behaviour>,
    now_ms: u64,
) -> (PageKind, Behaviour) {
    let page = config.pages.classify(path);
    let mut behaviour = Behaviour::record_page_view(previous, &page, now_ms);
    if page == PageKind::OrderConfirmation {
        // NOTE: the browser learns of the purchase at once; the profile in KV may take a while
        // (webhook, replication), and "your cart is waiting" must never follow a purchase.
        behaviour.set_last_purchase_ms(Some(now_ms));
    }
    (page, behaviour)
}

/// Replays a browsing history (paths with their times, oldest first) into a behaviour, as if
/// each page had been viewed then. The demo's persona switch and the tests use it to give a
/// persona a past.
pub fn replay_page_views<'a>(
    config: &Config,
    views: impl IntoIterator<Item = (&'a str, u64)>,
) -> Option<Behaviour> {
    views.into_iter().fold(None, |previous, (path, at_ms)| {
        Some(record_page_view(config, path, previous.as_ref(), at_ms).1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::id::test_keys;
    use crate::visitor::{VisitorId, VISITOR_COOKIE};

    const CONFIG: &str = r#"{
        "segments": [
            {"id": "first-time", "priority": 1, "when": {"visitor.isNew": true}},
            {"id": "returning", "priority": 1, "when": {"visitor.isReturning": true}}
        ],
        "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                   "content": {"first-time": "Welcome", "returning": "Welcome back"}}]
    }"#;

    fn config() -> Config {
        Config::parse(CONFIG, &|_| Ok(())).expect("valid config")
    }

    #[test]
    fn a_new_visitor_gets_the_welcome_and_an_id_cookie() {
        let request = RequestFacts::get("https://shop.test/", None, 0);
        let visitor = Visitor::identify(&request, [7; 16], &test_keys());
        let decision = decide(
            &config(),
            &request,
            &visitor,
            None,
            None,
            DecideOptions::default(),
        );
        assert_eq!(decision.memberships[0].segment, "first-time");
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment first-time"
        );
        let cookies = &decision.response.set_cookies;
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        assert!(cookies[0].starts_with(&format!("{VISITOR_COOKIE}=")));
        assert!(cookies[1].starts_with(&format!("{BEHAVIOUR_COOKIE}=")));
        assert!(cookies[2].starts_with(&format!("{SEEN_COOKIE}=")));
        let seen = decision.events.seen.expect("reported to the audit");
        assert_eq!(seen.segments, ["first-time"]);
        assert_eq!(
            seen.contents,
            [("hero".to_string(), "first-time".to_string())]
        );
    }

    #[test]
    fn a_returning_visitor_keeps_their_id_and_only_their_history_is_updated() {
        let cookie = format!(
            "{VISITOR_COOKIE}={}",
            test_keys().sign(&VisitorId::from_random([7; 16]))
        );
        let request = RequestFacts::get("https://shop.test/", Some(&cookie), 0);
        let visitor = Visitor::identify(&request, [0; 16], &test_keys());
        assert!(!visitor.is_new);
        let decision = decide(
            &config(),
            &request,
            &visitor,
            None,
            None,
            DecideOptions::default(),
        );
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment returning"
        );
        let cookies = &decision.response.set_cookies;
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        assert!(cookies[0].starts_with(&format!("{BEHAVIOUR_COOKIE}=")));
        assert!(cookies[1].starts_with(&format!("{SEEN_COOKIE}=")));
    }

    #[test]
    fn crawlers_get_no_cookies() {
        let mut request = RequestFacts::get("https://shop.test/", None, 0);
        request.user_agent =
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into());
        let decision = decide(
            &config(),
            &request,
            &Visitor::identify(&request, [2; 16], &test_keys()),
            None,
            None,
            DecideOptions::default(),
        );
        assert!(decision.response.set_cookies.is_empty());
    }

    const EXPERIMENT_CONFIG: &str = r#"{
        "segments": [{"id": "everyone", "when": {}}],
        "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                   "content": {"everyone": "Welcome"}}],
        "experiments": [{"key": "hero-copy", "hashVersion": 2,
                         "variations": [{"name": "Control"},
                                        {"name": "Bold", "content": {"hero": "Hello!"}}]}]
    }"#;

    fn visit(config: &Config, cookies: &str, id: [u8; 16]) -> Decision {
        let request = RequestFacts::get("https://shop.test/", Some(cookies), 0);
        let visitor = Visitor::identify(&request, id, &test_keys());
        decide(
            config,
            &request,
            &visitor,
            None,
            None,
            DecideOptions::default(),
        )
    }

    fn cookie_pairs(decision: &Decision) -> String {
        decision
            .response
            .set_cookies
            .iter()
            .filter_map(|c| c.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn a_variant_is_served_counted_once_and_kept() {
        let config = Config::parse(EXPERIMENT_CONFIG, &|_| Ok(())).expect("valid");
        // Find one visitor of each variation (ids are random per visitor in production).
        let mut seen_variations = Vec::new();
        for byte in 0..40u8 {
            let first = visit(&config, "", [byte; 16]);
            let assigned = &first.experiments[0];
            assert!(assigned.in_experiment);
            assert_eq!(
                first.events.exposures,
                [("hero-copy".to_string(), assigned.variation as u32)]
            );
            let heading = first.plan.edits[0].action.clone();
            let expected = if assigned.variation == 1 {
                "Hello!"
            } else {
                "Welcome"
            };
            assert_eq!(
                heading,
                crate::Action::SetInnerContent {
                    html: expected.into()
                }
            );
            if assigned.variation == 1 {
                assert_eq!(
                    first.plan.edits[0].reason,
                    "slot hero: experiment hero-copy:1 (Bold)"
                );
                assert_eq!(
                    first.events.seen.as_ref().expect("seen").contents,
                    [("hero".to_string(), "hero-copy:1".to_string())]
                );
            }
            // The next page view: same variation from the cookie, not counted again.
            let next = visit(&config, &cookie_pairs(&first), [0xEE; 16]);
            assert_eq!(next.experiments[0].variation, assigned.variation);
            assert_eq!(next.experiments[0].reason, "sticky");
            assert!(next.events.exposures.is_empty());
            assert!(next.events.seen.is_none(), "already reported today");
            if !seen_variations.contains(&assigned.variation) {
                seen_variations.push(assigned.variation);
            }
        }
        assert_eq!(seen_variations.len(), 2, "both variations occur");
    }

    #[test]
    fn the_holdout_sees_the_origin_page_and_is_counted() {
        let held = EXPERIMENT_CONFIG.replacen(
            "\"segments\"",
            "\"holdout\": {\"share\": 1}, \"segments\"",
            1,
        );
        let config = Config::parse(&held, &|_| Ok(())).expect("valid");
        let decision = visit(&config, "", [3; 16]);
        assert!(decision.held_out);
        assert!(decision.plan.edits.is_empty());
        assert_eq!(decision.events.exposures, [("holdout".to_string(), 1)]);
        assert!(!decision.experiments[0].in_experiment);
        let nobody = EXPERIMENT_CONFIG.replacen(
            "\"segments\"",
            "\"holdout\": {\"share\": 0}, \"segments\"",
            1,
        );
        let config = Config::parse(&nobody, &|_| Ok(())).expect("valid");
        let decision = visit(&config, "", [3; 16]);
        assert!(!decision.held_out);
        assert!(decision
            .events
            .exposures
            .contains(&("holdout".to_string(), 0)));
    }

    #[test]
    fn crawlers_get_the_control_and_are_never_counted() {
        let config = Config::parse(EXPERIMENT_CONFIG, &|_| Ok(())).expect("valid");
        let mut request = RequestFacts::get("https://shop.test/", None, 0);
        request.user_agent = Some("Googlebot/2.1".into());
        let visitor = Visitor::identify(&request, [9; 16], &test_keys());
        let decision = decide(
            &config,
            &request,
            &visitor,
            None,
            None,
            DecideOptions::default(),
        );
        assert_eq!(decision.experiments[0].variation, 0);
        assert!(!decision.experiments[0].in_experiment);
        assert_eq!(decision.events, PageEvents::default());
        assert!(decision.response.set_cookies.is_empty());
    }

    #[test]
    fn a_query_string_override_is_shown_but_neither_kept_nor_counted() {
        let config = Config::parse(EXPERIMENT_CONFIG, &|_| Ok(())).expect("valid");
        let request = RequestFacts::get("https://shop.test/?hero-copy=1", None, 0);
        let visitor = Visitor::identify(&request, [4; 16], &test_keys());
        let decision = decide(
            &config,
            &request,
            &visitor,
            None,
            None,
            DecideOptions::default(),
        );
        assert_eq!(decision.experiments[0].variation, 1);
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: experiment hero-copy:1 (Bold)"
        );
        assert!(decision.events.exposures.is_empty());
        assert!(!cookie_pairs(&decision).contains("tailor_x="));
    }

    #[test]
    fn our_cookies_stay_within_their_caps_however_big_the_config() {
        let segments: Vec<String> = (0..120)
            .map(|i| format!(r#"{{"id": "segment-with-a-long-name-{i}", "when": {{}}}}"#))
            .collect();
        let experiments: Vec<String> = (0..80)
            .map(|i| {
                format!(
                    r#"{{"key": "experiment-with-a-rather-long-key-{i}", "variations": [{{}}, {{}}]}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"segments": [{}], "slots": [], "experiments": [{}]}}"#,
            segments.join(","),
            experiments.join(",")
        );
        let config = Config::parse(&text, &|_| Ok(())).expect("valid");
        let decision = visit(&config, "", [5; 16]);
        let value = |name: &str| -> usize {
            decision
                .response
                .set_cookies
                .iter()
                .find_map(|c| c.strip_prefix(&format!("{name}=")))
                .and_then(|rest| rest.split(';').next())
                .map_or(0, str::len)
        };
        assert_eq!(decision.experiments.len(), 80);
        assert!(value(ASSIGNMENTS_COOKIE) <= ASSIGNMENTS_COOKIE_MAX_BYTES);
        assert!(
            value(ASSIGNMENTS_COOKIE) > ASSIGNMENTS_COOKIE_MAX_BYTES - 60,
            "filled up to the cap"
        );
        assert!(value(SEEN_COOKIE) <= crate::audit::SEEN_COOKIE_MAX_BYTES);
        assert!(value(BEHAVIOUR_COOKIE) <= crate::visitor::behaviour::MAX_ENCODED_LEN);
    }

    #[test]
    fn an_anonymous_visitor_gets_contextual_content_only_and_loses_our_cookies() {
        let config = Config::parse(
            r#"{"segments": [
                    {"id": "first-time", "priority": 2, "when": {"visitor.isNew": true}},
                    {"id": "mobile", "priority": 1, "when": {"page.device.type": "mobile"}}],
                "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                           "content": {"first-time": "Welcome", "mobile": "On the go?"}}],
                "experiments": [{"key": "hero-copy", "variations": [{}, {}]}]}"#,
            &|_| Ok(()),
        )
        .expect("valid");
        let signed = test_keys().sign(&VisitorId::from_random([7; 16]));
        let cookies = format!("{VISITOR_COOKIE}={signed}; {BEHAVIOUR_COOKIE}=garbage; theme=dark");
        let mut request = RequestFacts::get("https://shop.test/", Some(&cookies), 0);
        request.user_agent = Some(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
                .into(),
        );
        let decision = decide(
            &config,
            &request,
            &Visitor::anonymous([1; 16]),
            None,
            None,
            DecideOptions::default(),
        );
        // Neither new nor returning as far as we may know: the page's context decides.
        assert_eq!(decision.plan.edits[0].reason, "slot hero: segment mobile");
        assert_eq!(
            decision.response.set_cookies,
            [
                format!("{VISITOR_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"),
                format!("{BEHAVIOUR_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"),
            ],
            "what we stored before goes; nothing new is stored"
        );
        assert_eq!(decision.events, PageEvents::default(), "no events");
        assert!(!decision.experiments[0].in_experiment);
        assert_eq!(decision.experiments[0].variation, 0);

        // A shopper whose profile says they opted out is told to remember it, once.
        let opted = decide(
            &config,
            &RequestFacts::get("https://shop.test/", None, 0),
            &Visitor::opted_out([1; 16]),
            None,
            None,
            DecideOptions::default(),
        );
        assert_eq!(
            opted.response.set_cookies,
            ["tailor_optout=1; Path=/; Max-Age=34560000; HttpOnly; SameSite=Lax; Secure"]
        );
    }

    #[test]
    fn the_order_confirmation_page_records_the_purchase_at_once() {
        let (page, behaviour) = record_page_view(&config(), "/orders/confirmation", None, 9_000);
        assert_eq!(page, PageKind::OrderConfirmation);
        assert_eq!(behaviour.last_purchase_ms(), Some(9_000));
    }

    const PREVIEW_CONFIG: &str = r#"{
        "segments": [{"id": "vip", "priority": 10, "when": {"profile.vip": true}},
                     {"id": "everyone", "when": {}}],
        "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                   "content": {"vip": "Welcome back, VIP", "everyone": "Welcome"}}],
        "holdout": {"share": 0.5},
        "experiments": [{"key": "hero-copy", "hashVersion": 2,
                         "variations": [{"name": "Control"},
                                        {"name": "Bold", "content": {"hero": "Hello!"}}]}]
    }"#;

    fn preview_visit(cookies: &str, user_agent: Option<&str>, preview: &Preview) -> Decision {
        let config = Config::parse(PREVIEW_CONFIG, &|_| Ok(())).expect("valid");
        let mut request = RequestFacts::get("https://shop.test/", Some(cookies), 0);
        request.user_agent = user_agent.map(str::to_string);
        let visitor = Visitor::identify(&request, [9; 16], &test_keys());
        let options = DecideOptions {
            preview: Some(preview),
            ..DecideOptions::default()
        };
        decide(&config, &request, &visitor, None, None, options)
    }

    fn forcing(segments: &[&str], variants: &[(&str, u32)]) -> Preview {
        Preview {
            segments: segments.iter().map(ToString::to_string).collect(),
            variants: variants.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            expires_at_ms: u64::MAX,
        }
    }

    fn heading(decision: &Decision) -> Option<crate::Action> {
        decision.plan.edits.first().map(|e| e.action.clone())
    }

    #[test]
    fn a_preview_shows_the_forced_segment_and_keeps_and_counts_nothing() {
        // A first visit, which would otherwise get an id, a history and an audit record.
        let preview = forcing(&["vip"], &[("holdout", 0), ("hero-copy", 0)]);
        let decision = preview_visit("", None, &preview);
        assert_eq!(decision.memberships.len(), 1);
        assert_eq!(decision.memberships[0].segment, "vip");
        assert_eq!(decision.slots, [("hero".to_string(), "vip".to_string())]);
        assert_eq!(
            heading(&decision),
            Some(crate::Action::SetInnerContent {
                html: "Welcome back, VIP".into()
            })
        );
        assert!(decision.response.set_cookies.is_empty(), "{decision:?}");
        assert_eq!(decision.events, PageEvents::default());
    }

    #[test]
    fn a_preview_forces_a_variant_without_counting_or_keeping_it() {
        let preview = forcing(&[], &[("hero-copy", 1), ("holdout", 0)]);
        for cookies in ["", "tailor_x=hero-copy__0:0"] {
            let decision = preview_visit(cookies, None, &preview);
            let assigned = &decision.experiments[0];
            assert_eq!(
                (assigned.variation, assigned.reason.as_str()),
                (1, "forced")
            );
            assert_eq!(
                heading(&decision),
                Some(crate::Action::SetInnerContent {
                    html: "Hello!".into()
                })
            );
            assert!(decision.events.exposures.is_empty());
            assert!(decision.response.set_cookies.is_empty());
        }
    }

    #[test]
    fn a_preview_can_force_the_holdout_either_way() {
        let held = preview_visit("", None, &forcing(&["vip"], &[("holdout", 1)]));
        assert!(held.held_out);
        assert!(held.plan.edits.is_empty());
        let shown = preview_visit("", None, &forcing(&["vip"], &[("holdout", 0)]));
        assert!(!shown.held_out);
        assert_eq!(shown.slots.len(), 1);
    }

    #[test]
    fn a_preview_works_for_a_qa_script_that_looks_like_a_bot() {
        let decision = preview_visit(
            "",
            Some("curl/8.5.0"),
            &forcing(&[], &[("hero-copy", 1), ("holdout", 0)]),
        );
        assert_eq!(decision.experiments[0].variation, 1);
        assert!(decision.response.set_cookies.is_empty());
    }
}
