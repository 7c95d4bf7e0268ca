//! One page view's decision: from the request, the visitor and their profile, through segments
//! and slots, to a rewrite plan and a response plan. Pure: no I/O, no clock, no randomness.

use serde::Serialize;

use crate::config::Config;
use crate::request::RequestFacts;
use crate::response::{visitor_cookie, ResponsePlan};
use crate::rewrite::RewritePlan;
use crate::segment::{memberships, Membership};
use crate::visitor::{attributes, Profile, Visitor};

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

/// Decides what this visitor sees on this page.
pub fn decide(
    config: &Config,
    request: &RequestFacts,
    visitor: &Visitor,
    profile: Option<&Profile>,
) -> Decision {
    let attributes = attributes(request, visitor, profile, &config.cart);
    let memberships = memberships(&config.segments, &attributes);
    let edits = config
        .slots
        .iter()
        .filter_map(|slot| slot.decide(&memberships))
        .collect();
    let mut set_cookies = Vec::new();
    if visitor.is_new {
        set_cookies.push(visitor_cookie(&visitor.id, request.is_https()));
    }
    Decision {
        config_version: config.version.clone(),
        memberships,
        plan: RewritePlan { edits },
        response: ResponsePlan { set_cookies },
    }
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
        let decision = decide(&config(), &request, &visitor, None);
        assert_eq!(decision.memberships[0].segment, "first-time");
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment first-time"
        );
        assert_eq!(decision.response.set_cookies.len(), 1);
        assert!(decision.response.set_cookies[0].starts_with(&format!("{VISITOR_COOKIE}=")));
    }

    #[test]
    fn a_returning_visitor_gets_the_welcome_back_and_no_cookie() {
        let cookie = format!("{VISITOR_COOKIE}=BwcHBwcHBwcHBwcHBwcHBw");
        let request = RequestFacts::get("https://shop.test/", Some(&cookie), 0);
        let visitor = Visitor::identify(&request, [0; 16]);
        assert!(!visitor.is_new);
        let decision = decide(&config(), &request, &visitor, None);
        assert_eq!(
            decision.plan.edits[0].reason,
            "slot hero: segment returning"
        );
        assert!(decision.response.set_cookies.is_empty());
    }
}
