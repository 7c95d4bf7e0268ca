//! One page view's decision: from the request, the visitor and their profile, through segments
//! and slots, to a rewrite plan and a response plan. Pure: no I/O, no clock, no randomness.

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::content::{Catalog, Recommendations, Signals};
use crate::request::RequestFacts;
use crate::response::{behaviour_cookie, visitor_cookie, ResponsePlan};
use crate::rewrite::RewritePlan;
use crate::segment::{memberships, Membership};
use crate::visitor::{
    attributes, Behaviour, PageKind, Profile, Visitor, VisitorContext, BEHAVIOUR_COOKIE,
};

/// Everything decided for one page view, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The config version that decided.
    pub config_version: String,
    /// Segments the visitor belongs to, highest priority first.
    pub memberships: Vec<Membership>,
    /// What to change on the page.
    pub plan: RewritePlan,
    /// Cookies and caching for the response.
    pub response: ResponsePlan,
}

/// Decides what this visitor sees on this page; `catalog` feeds recommendation slots.
pub fn decide(
    config: &Config,
    request: &RequestFacts,
    visitor: &Visitor,
    profile: Option<&Profile>,
    catalog: Option<&Catalog>,
) -> Decision {
    let page = config.pages.classify(request.path());
    let previous = request.cookie(BEHAVIOUR_COOKIE);
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
    let memberships = memberships(&config.segments, &attributes, request.now_ms);
    let signals = config
        .recommends()
        .then(|| Signals::from_attributes(&attributes));
    let recommend = |spec: &Recommendations| -> Vec<Value> {
        match (catalog, &signals) {
            (Some(catalog), Some(signals)) => spec
                .recommend(catalog, signals)
                .into_iter()
                .map(|i| catalog.product(i).to_json())
                .collect(),
            _ => Vec::new(),
        }
    };
    let edits = config
        .slots
        .iter()
        .filter_map(|slot| slot.decide(&memberships, &mut attributes, request.now_ms, &recommend))
        .collect();
    let mut set_cookies = Vec::new();
    // NOTE: crawlers keep no cookies, so issuing them would only make their pages private.
    let keeps_cookies = !request.is_bot();
    if keeps_cookies && visitor.is_new {
        set_cookies.push(visitor_cookie(&visitor.id, request.is_https()));
    }
    let encoded = behaviour.encode();
    if keeps_cookies && previous != Some(encoded.as_str()) {
        set_cookies.push(behaviour_cookie(&encoded, request.is_https()));
    }
    Decision {
        config_version: config.version.clone(),
        memberships,
        plan: RewritePlan { edits },
        response: ResponsePlan { set_cookies },
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
    use crate::visitor::VISITOR_COOKIE;

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
        let visitor = Visitor::identify(&request, [7; 16]);
        let decision = decide(&config(), &request, &visitor, None, None);
        assert_eq!(decision.memberships[0].segment, "first-time");
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment first-time"
        );
        let cookies = &decision.response.set_cookies;
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        assert!(cookies[0].starts_with(&format!("{VISITOR_COOKIE}=")));
        assert!(cookies[1].starts_with(&format!("{BEHAVIOUR_COOKIE}=")));
    }

    #[test]
    fn a_returning_visitor_keeps_their_id_and_only_their_history_is_updated() {
        let cookie = format!("{VISITOR_COOKIE}=BwcHBwcHBwcHBwcHBwcHBw");
        let request = RequestFacts::get("https://shop.test/", Some(&cookie), 0);
        let visitor = Visitor::identify(&request, [0; 16]);
        assert!(!visitor.is_new);
        let decision = decide(&config(), &request, &visitor, None, None);
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment returning"
        );
        let cookies = &decision.response.set_cookies;
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        assert!(cookies[0].starts_with(&format!("{BEHAVIOUR_COOKIE}=")));
    }

    #[test]
    fn crawlers_get_no_cookies() {
        let mut request = RequestFacts::get("https://shop.test/", None, 0);
        request.user_agent =
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into());
        let decision = decide(
            &config(),
            &request,
            &Visitor::identify(&request, [2; 16]),
            None,
            None,
        );
        assert!(decision.response.set_cookies.is_empty());
    }

    #[test]
    fn the_order_confirmation_page_records_the_purchase_at_once() {
        let (page, behaviour) = record_page_view(&config(), "/orders/confirmation", None, 9_000);
        assert_eq!(page, PageKind::OrderConfirmation);
        assert_eq!(behaviour.last_purchase_ms(), Some(9_000));
    }
}
