//! The visitor's attributes: one JSON object, built once per request, that segment conditions
//! (GrowthBook syntax, dotted paths) are evaluated against.

use serde_json::{json, Map, Value};

use super::{customer_attributes, Cart, CartSource, Profile, Visitor};
use crate::request::{request_attributes, RequestFacts};

/// Builds the attribute object for a request.
///
/// Layout: `page.*` (this request: URL, query, UTM, referrer, device, geography, language,
/// local time, GPC; see [`request_attributes`] for every attribute), `visitor.*` (identity),
/// `cart.*` (from `cart_source`), `customer.*`, `orders.*`, `email.*`, `preferences.*`,
/// `offers.*` (derived from the profile) and `profile.*` (the stored profile, as the merchant
/// wrote it; empty for anonymous visitors).
pub fn attributes(
    request: &RequestFacts,
    visitor: &Visitor,
    profile: Option<&Profile>,
    cart_source: &CartSource,
) -> Value {
    let cart = Cart::read(cart_source, request, profile);
    let abandoned = cart.is_abandoned(profile, None, request.now_ms);
    let mut document = json!({
        "page": request_attributes(request),
        "visitor": {
            "id": visitor.id.as_str(),
            "isNew": visitor.is_new,
            "isReturning": !visitor.is_new,
            "hasProfile": profile.is_some(),
        },
        "profile": profile.map(|p| Value::Object(p.fields().clone())).unwrap_or(Value::Object(Map::new())),
        "cart": cart.attributes(abandoned, request.now_ms),
    });
    if let Value::Object(fields) = &mut document {
        fields.extend(customer_attributes(profile, request.now_ms));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::VISITOR_COOKIE;

    #[test]
    fn attributes_expose_page_visitor_and_profile() {
        let request = RequestFacts::get(
            "https://shop.test/cart?x=1",
            Some(&format!("{VISITOR_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA")),
            0,
        );
        let visitor = Visitor::identify(&request, [0; 16]);
        let profile = Profile::parse(r#"{"firstName":"Ada"}"#).ok();
        let attrs = attributes(&request, &visitor, profile.as_ref(), &CartSource::Profile);
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
