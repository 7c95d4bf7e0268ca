//! The visitor's attributes: one JSON object, built once per request, that segment conditions
//! (GrowthBook syntax, dotted paths) are evaluated against.

use serde_json::{json, Value};

use super::behaviour::Behaviour;
use super::page::PageKind;
use super::{
    browse_attributes, customer_attributes, page_kind_attributes, visit_attributes, Cart,
    CartSource, Profile, Visitor,
};
use crate::json::object;
use crate::request::{request_attributes, RequestFacts};

/// Everything known about the visitor on one page view.
#[derive(Debug, Clone, Copy)]
pub struct VisitorContext<'a> {
    /// The request.
    pub request: &'a RequestFacts,
    /// Their id.
    pub visitor: &'a Visitor,
    /// Their stored profile, if any.
    pub profile: Option<&'a Profile>,
    /// Their browsing history, with this page view already recorded.
    pub behaviour: &'a Behaviour,
    /// What kind of page this is.
    pub page: &'a PageKind,
}

/// Builds the attribute object for a page view.
///
/// Layout: `page.*` (this request: URL, query, UTM, referrer, device, geography, language,
/// local time, GPC, page kind; see [`request_attributes`]), `visitor.*` (identity), `visit.*`
/// and `browse.*` (this browser's history, from the behaviour cookie), `cart.*` (from
/// `cart_source`), `customer.*`, `orders.*`, `email.*`, `preferences.*`, `offers.*` (derived
/// from the profile) and `profile.*` (the stored profile, as the merchant wrote it; empty for
/// anonymous visitors).
pub fn attributes(context: &VisitorContext<'_>, cart_source: &CartSource) -> Value {
    let VisitorContext {
        request,
        visitor,
        profile,
        behaviour,
        page,
    } = *context;
    let now = request.now_ms;
    let cart = Cart::read(cart_source, request, profile);
    let abandoned = cart.is_abandoned(profile, behaviour.last_purchase_ms(), now);
    let customer = customer_attributes(profile, now);
    let purchased: Vec<&str> = customer
        .get("orders")
        .and_then(|o| o.get("categories"))
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut page_attributes = request_attributes(request);
    if let Value::Object(fields) = &mut page_attributes {
        fields.extend(page_kind_attributes(page).map(|(k, v)| (k.to_string(), v)));
    }
    // NOTE: the parts are moved in (`object`), not passed to `json!`, which would copy each.
    let mut document = object(vec![
        ("page", page_attributes),
        // NOTE: an anonymous visitor (no consent) is neither new nor returning as far as we
        // may know: both are null, so neither a welcome nor a welcome-back segment matches.
        (
            "visitor",
            json!({
                "id": visitor.id.as_str(),
                "isNew": visitor.personal.then_some(visitor.is_new),
                "isReturning": visitor.personal.then_some(!visitor.is_new),
                "hasProfile": profile.is_some(),
                "personal": visitor.personal,
                "loggedIn": visitor.customer_id.is_some(),
            }),
        ),
        ("visit", visit_attributes(behaviour, now)),
        ("browse", browse_attributes(behaviour, &purchased, now)),
        (
            "profile",
            Value::Object(profile.map(|p| p.fields().clone()).unwrap_or_default()),
        ),
        ("cart", cart.attributes(abandoned, now)),
    ]);
    if let Value::Object(fields) = &mut document {
        fields.extend(customer);
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::id::test_keys;
    use crate::visitor::{VisitorId, VISITOR_COOKIE};

    #[test]
    fn attributes_expose_page_visitor_and_profile() {
        let request = RequestFacts::get(
            "https://shop.test/cart?x=1",
            Some(&format!(
                "{VISITOR_COOKIE}={}",
                test_keys().sign(&VisitorId::from_random([0; 16]))
            )),
            0,
        );
        let visitor = Visitor::identify(&request, [0; 16], &test_keys());
        let profile = Profile::parse(r#"{"firstName":"Ada"}"#).ok();
        let page = PageKind::Cart;
        let behaviour = Behaviour::record_page_view(None, &page, 0);
        let context = VisitorContext {
            request: &request,
            visitor: &visitor,
            profile: profile.as_ref(),
            behaviour: &behaviour,
            page: &page,
        };
        let attrs = attributes(&context, &CartSource::Profile);
        assert_eq!(attrs["page"]["kind"], "cart");
        assert_eq!(attrs["visit"]["count"], 1);
        assert_eq!(attrs["page"]["path"], "/cart");
        assert_eq!(attrs["page"]["url"], "https://shop.test/cart?x=1");
        assert_eq!(attrs["page"]["query"]["x"], "1");
        assert_eq!(attrs["page"]["device"]["type"], "unknown");
        assert_eq!(attrs["page"]["geo"]["country"], Value::Null);
        assert_eq!(attrs["visitor"]["isReturning"], true);
        assert_eq!(attrs["visitor"]["hasProfile"], true);
        assert_eq!(attrs["profile"]["firstName"], "Ada");
    }
}
