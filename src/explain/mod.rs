//! Why a page view came out as it did: the worker's own pipeline run for one request, with
//! every step's reason laid out (who the visitor is, which segments matched and on which
//! clause, each experiment's bucket, each slot's choice, the cookies set). Native only: the
//! `tailor explain` and `tailor render` commands; the worker never builds it.

pub mod persona;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::assignment::{Assigned, Route};
use crate::config::Config;
use crate::content::Catalog;
use crate::decision::{decide, identify, record_page_view, DecideOptions, Decision};
use crate::privacy::{decide_consent, ConsentDecision};
use crate::request::RequestFacts;
use crate::response::header_changes;
use crate::rewrite::Edit;
use crate::visitor::timestamp::format_rfc3339;
use crate::visitor::{
    attributes, Behaviour, IdKeys, PageKind, Profile, Visitor, VisitorContext, BEHAVIOUR_COOKIE,
    VISITOR_ID_BYTES,
};

/// One page view to explain: what the worker would have in hand for it.
pub struct PageView<'a> {
    /// The compiled config.
    pub config: &'a Config,
    /// The same config as a JSON document (segment conditions are explained clause by clause).
    pub document: &'a Value,
    /// The request's facts.
    pub request: RequestFacts,
    /// The visitor-id signing keys (`TAILOR_ID_KEY`); without them every visitor is anonymous.
    pub keys: Option<IdKeys>,
    /// `TAILOR_IDENTITY_SECRET` (and its previous value), for the logged-in customer.
    pub identity_secrets: Vec<Vec<u8>>,
    /// The profile the worker would find in KV for this visitor, if any.
    pub profile: Option<Profile>,
    /// The product catalog, for recommendation slots.
    pub catalog: Option<&'a Catalog>,
    /// The random bytes a new visitor's id is made from.
    pub fresh: [u8; VISITOR_ID_BYTES],
}

/// Everything decided for the page view, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The config version that decided.
    pub config_version: String,
    /// The page's URL.
    pub url: String,
    /// The request's time.
    pub now: String,
    /// The kind of page (`product`, `category`, `cart`, `order confirmation`, `other`).
    pub page: String,
    /// Who the visitor is.
    pub visitor: VisitorReport,
    /// Every segment, in config order, matched or not and why.
    pub segments: Vec<SegmentReport>,
    /// Whether the visitor is in the global holdout (nothing on the page changes).
    pub held_out: bool,
    /// Each running experiment's assignment.
    pub experiments: Vec<Assigned>,
    /// A split-URL variation's route, if one applies.
    pub route: Option<Route>,
    /// Every slot, in config order: what it shows or why it is left alone.
    pub slots: Vec<SlotReport>,
    /// `Set-Cookie` lines of the response.
    pub set_cookies: Vec<String>,
    /// Other changes to the origin's response headers (`set name: value`, `remove name`).
    pub headers: Vec<String>,
}

/// Who the visitor is, as the worker sees them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorReport {
    /// Their id (a throwaway one when anonymous).
    pub id: String,
    /// Whether this request carried no valid id.
    pub is_new: bool,
    /// Whether personal data may be used.
    pub personal: bool,
    /// The consent decision behind `personal`.
    pub consent: ConsentDecision,
    /// The logged-in customer, when the identity cookie verifies.
    pub customer_id: Option<String>,
    /// The KV key the worker would read the profile from.
    pub profile_key: Option<String>,
    /// Whether a profile was used.
    pub profile_used: bool,
    /// Anything that changed who the visitor is (missing key, bad identity cookie, opt-out,
    /// a profile given but not read).
    pub notes: Vec<String>,
}

/// One segment: in or out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentReport {
    /// The segment's id.
    pub id: String,
    /// Its priority.
    pub priority: i64,
    /// Whether the visitor is in it.
    pub matched: bool,
    /// The deciding reason, in words.
    pub reason: String,
    /// Each top-level clause of its condition, with the attribute values it saw.
    pub clauses: Vec<ClauseReport>,
}

/// One top-level clause of a segment's condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClauseReport {
    /// The clause, as written (`{"orders.count": {"$gte": 5}}`).
    pub condition: Value,
    /// Whether it holds.
    pub holds: bool,
    /// The attributes it reads, with their values (`null` when absent).
    pub values: BTreeMap<String, Value>,
}

/// One slot's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotReport {
    /// The slot's id.
    pub id: String,
    /// Its selector.
    pub selector: String,
    /// The edit made, if any.
    pub edit: Option<Edit>,
    /// Why: the content chosen, or why the page's own content stays.
    pub reason: String,
}

/// Runs the worker's pipeline for `view` and explains it; the decision is returned as well
/// (`tailor render` applies its plan).
pub fn explain(view: &PageView<'_>) -> (Explanation, Decision) {
    let config = view.config;
    let request = &view.request;
    let (mut visitor, identity_problem) = identify(
        Some(config),
        request,
        view.fresh,
        || view.keys.clone(),
        || view.identity_secrets.clone(),
    );
    let consent = decide_consent(&config.consent, request);
    let mut notes = Vec::new();
    if consent.personal && view.keys.is_none() {
        notes.push(
            "no visitor-id key (TAILOR_ID_KEY): the worker treats every visitor as anonymous"
                .to_string(),
        );
    }
    if let Some(problem) = identity_problem {
        notes.push(format!(
            "{problem}: the visitor is not treated as logged in"
        ));
    }
    let profile_key = visitor.profile_key();
    let mut profile = match (&view.profile, &profile_key) {
        (Some(profile), Some(_)) => Some(profile.clone()),
        (Some(_), None) => {
            notes.push(
                "a profile was given, but the worker reads none for a new or anonymous visitor"
                    .to_string(),
            );
            None
        }
        (None, _) => None,
    };
    if profile.as_ref().is_some_and(Profile::opted_out) {
        notes.push("the profile is marked opted-out: the visitor is anonymous".to_string());
        visitor = Visitor::opted_out(view.fresh);
        profile = None;
    }
    let options = DecideOptions {
        routable: config.routes(&request.url),
        ..DecideOptions::default()
    };
    let decision = decide(
        config,
        request,
        &visitor,
        profile.as_ref(),
        view.catalog,
        options,
    );
    let (page, behaviour) = page_view(config, request, &visitor);
    let context = VisitorContext {
        request,
        visitor: &visitor,
        profile: profile.as_ref(),
        behaviour: &behaviour,
        page: &page,
    };
    let attributes = attributes(&context, &config.cart);
    let changes = header_changes(&decision.response, !decision.plan.is_empty());
    let headers = changes
        .remove
        .iter()
        .map(|name| format!("remove {name}"))
        .chain(
            changes
                .set
                .iter()
                .map(|(name, value)| format!("set {name}: {value}")),
        )
        .collect();
    let explanation = Explanation {
        config_version: config.version.clone(),
        url: request.url.clone(),
        now: format_rfc3339(request.now_ms),
        page: page_label(&page),
        visitor: VisitorReport {
            id: visitor.id.as_str().to_string(),
            is_new: visitor.is_new,
            personal: visitor.personal,
            consent,
            customer_id: visitor.customer_id.clone(),
            profile_key,
            profile_used: profile.is_some(),
            notes,
        },
        segments: segment_reports(view, &attributes, &decision),
        held_out: decision.held_out,
        experiments: decision.experiments.clone(),
        route: decision.route.clone(),
        slots: slot_reports(config, &decision, request.now_ms),
        set_cookies: decision.response.set_cookies.clone(),
        headers,
    };
    (explanation, decision)
}

/// The page's kind and the browsing history including this view, as `decide` computes them.
fn page_view(config: &Config, request: &RequestFacts, visitor: &Visitor) -> (PageKind, Behaviour) {
    let previous = request
        .cookie(BEHAVIOUR_COOKIE)
        .filter(|_| visitor.personal)
        .and_then(Behaviour::parse);
    record_page_view(config, request.path(), previous.as_ref(), request.now_ms)
}

fn page_label(page: &PageKind) -> String {
    match page {
        PageKind::Product { handle } => format!("product ({handle})"),
        PageKind::Category { handle } => format!("category ({handle})"),
        PageKind::Cart => "cart".into(),
        PageKind::OrderConfirmation => "order confirmation".into(),
        PageKind::Other => "other".into(),
    }
}

fn segment_reports(
    view: &PageView<'_>,
    attributes: &Value,
    decision: &Decision,
) -> Vec<SegmentReport> {
    let conditions = view.document["segments"].as_array();
    view.config
        .segments
        .iter()
        .enumerate()
        .map(|(i, segment)| {
            let when = conditions
                .and_then(|all| all.get(i))
                .map_or(&Value::Null, |s| &s["when"]);
            let clauses = clause_reports(when, attributes);
            let matched = decision.memberships.iter().any(|m| m.segment == segment.id);
            let live = segment.schedule.is_live(view.request.now_ms);
            let reason = if !live {
                "not in force now (outside its schedule)".to_string()
            } else if clauses.is_empty() {
                "an empty condition: everyone".to_string()
            } else if let Some(failed) = clauses.iter().find(|c| !c.holds) {
                format!("fails {}{}", failed.condition, seen(&failed.values))
            } else if matched {
                format!("all {} clause(s) hold", clauses.len())
            } else {
                // NOTE: clauses that hold one by one may still not match together only if the
                // condition is not an object of clauses; say so rather than guess.
                "the condition as a whole does not hold".to_string()
            };
            SegmentReport {
                id: segment.id.clone(),
                priority: segment.priority,
                matched,
                reason,
                clauses,
            }
        })
        .collect()
}

/// ", where orders.count = 2" for the values a clause read.
fn seen(values: &BTreeMap<String, Value>) -> String {
    if values.is_empty() {
        return String::new();
    }
    let list: Vec<String> = values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!(", where {}", list.join(", "))
}

/// Each top-level clause of a condition, evaluated on its own as the condition language
/// would (an object's clauses must all hold).
fn clause_reports(when: &Value, attributes: &Value) -> Vec<ClauseReport> {
    let Value::Object(clauses) = when else {
        return Vec::new();
    };
    clauses
        .iter()
        .map(|(key, operand)| {
            let mut single = Map::new();
            single.insert(key.clone(), operand.clone());
            let condition = Value::Object(single);
            let holds =
                crate::condition::Condition::compile_lenient(&condition).matches(attributes);
            let mut values = BTreeMap::new();
            read_attributes(&condition, attributes, &mut values);
            ClauseReport {
                condition,
                holds,
                values,
            }
        })
        .collect()
}

/// The attributes a condition reads (its non-operator keys, also inside `$and`, `$or`,
/// `$nor` and `$not`), with their values.
fn read_attributes(condition: &Value, attributes: &Value, out: &mut BTreeMap<String, Value>) {
    match condition {
        Value::Object(fields) => {
            for (key, operand) in fields {
                if key.starts_with('$') {
                    read_attributes(operand, attributes, out);
                } else {
                    out.insert(key.clone(), attribute(attributes, key));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                read_attributes(item, attributes, out);
            }
        }
        _ => {}
    }
}

/// The value at a dotted path of the attributes (`orders.count`), `null` when absent.
fn attribute(attributes: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(attributes, |value, key| value.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

fn slot_reports(config: &Config, decision: &Decision, now_ms: u64) -> Vec<SlotReport> {
    config
        .slots
        .iter()
        .map(|slot| {
            let prefix = format!("slot {}: ", slot.id);
            let edit = decision
                .plan
                .edits
                .iter()
                .find(|e| e.reason.starts_with(&prefix))
                .cloned();
            let reason = match &edit {
                Some(edit) => format!("shows {}", &edit.reason[prefix.len()..]),
                None if decision.held_out => "left alone: the visitor is held out".to_string(),
                None if !slot.schedule.is_live(now_ms) => {
                    "left alone: the slot is outside its schedule".to_string()
                }
                None => {
                    let candidate = decision.memberships.iter().any(|m| {
                        slot.content
                            .iter()
                            .any(|(s, c)| *s == m.segment && c.schedule.is_live(now_ms))
                    }) || slot
                        .default
                        .as_ref()
                        .is_some_and(|d| d.schedule.is_live(now_ms));
                    if candidate {
                        "left alone: its content recommends products and none are available"
                            .to_string()
                    } else {
                        "left alone: no content for the visitor's segments, and no default"
                            .to_string()
                    }
                }
            };
            SlotReport {
                id: slot.id.clone(),
                selector: slot.selector.clone(),
                edit,
                reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::check_selector;
    use crate::visitor::id::test_keys;
    use crate::visitor::{VisitorId, VISITOR_COOKIE};
    use serde_json::json;

    const CONFIG: &str = r##"{
        "segments": [
            {"id": "big-spender", "priority": 2,
             "when": {"orders.count": {"$gte": 2}, "orders.totalSpent": {"$gte": 500}}},
            {"id": "returning", "priority": 1, "when": {"visit.isReturning": true}}
        ],
        "slots": [
            {"id": "hero", "selector": "h1", "action": "setInnerContent",
             "content": {"big-spender": "Thanks, big spender"}},
            {"id": "banner", "selector": "#banner", "action": "remove",
             "content": {"returning": ""}}
        ]
    }"##;

    fn view(
        config: &Config,
        document: &Value,
        profile: Option<Profile>,
    ) -> (Explanation, Decision) {
        let id = VisitorId::from_random([5; VISITOR_ID_BYTES]);
        let cookie = format!("{VISITOR_COOKIE}={}", test_keys().sign(&id));
        explain(&PageView {
            config,
            document,
            request: RequestFacts::get("https://shop.test/", Some(&cookie), 1_795_000_000_000),
            keys: Some(test_keys()),
            identity_secrets: Vec::new(),
            profile,
            catalog: None,
            fresh: [0; VISITOR_ID_BYTES],
        })
    }

    #[test]
    fn each_segment_says_which_clause_decided_and_each_slot_what_it_shows() {
        let document: Value = serde_json::from_str(CONFIG).expect("json");
        let config = Config::compile(&document, &check_selector).expect("valid");
        let profile = Profile::from(
            json!({"orders": {"count": 3, "totalSpent": 120}})
                .as_object()
                .cloned()
                .expect("object"),
        );
        let (explanation, decision) = view(&config, &document, Some(profile));
        assert!(explanation.visitor.profile_used && !explanation.visitor.is_new);
        let spender = &explanation.segments[0];
        assert!(!spender.matched);
        assert_eq!(
            spender.reason,
            "fails {\"orders.totalSpent\":{\"$gte\":500}}, where orders.totalSpent = 120.0"
        );
        assert_eq!(spender.clauses.len(), 2);
        assert!(spender.clauses[0].holds && !spender.clauses[1].holds);
        assert_eq!(spender.clauses[0].values["orders.count"], json!(3));
        assert_eq!(
            explanation.slots[0].reason,
            "left alone: no content for the visitor's segments, and no default"
        );
        assert_eq!(explanation.slots.len(), 2);
        assert_eq!(
            explanation.set_cookies, decision.response.set_cookies,
            "the response's cookies, as decided"
        );
    }

    #[test]
    fn without_a_key_the_visitor_is_anonymous_and_the_profile_unread() {
        let document: Value = serde_json::from_str(CONFIG).expect("json");
        let config = Config::compile(&document, &check_selector).expect("valid");
        let (explanation, _) = explain(&PageView {
            config: &config,
            document: &document,
            request: RequestFacts::get("https://shop.test/", None, 0),
            keys: None,
            identity_secrets: Vec::new(),
            profile: Some(Profile::from(Map::new())),
            catalog: None,
            fresh: [0; VISITOR_ID_BYTES],
        });
        assert!(!explanation.visitor.personal);
        assert_eq!(
            explanation.visitor.notes.len(),
            2,
            "{:?}",
            explanation.visitor.notes
        );
        assert!(explanation.visitor.notes[0].starts_with("no visitor-id key"));
    }
}
