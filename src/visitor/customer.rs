//! What the profile says about the customer, as attributes: orders and spend, email
//! engagement, preferences, offers, tags, and the derived values conditions need (days since
//! the last order, since subscribing, ...). Computed once per request from the stored profile.
//!
//! Every field is optional and read tolerantly: a field of the wrong type counts as absent,
//! never as an error, so one bad field cannot cost the visitor the rest of their profile.
//! Anonymous visitors get the same shape with empty values (`orders.count` is 0), so a
//! condition such as `{"orders.count": 0}` means "never ordered" for everyone.

use serde_json::{json, Map, Value};

use super::timestamp::{format_rfc3339, timestamp_ms, whole_days_between};
use super::Profile;
use crate::json::object;

/// The stored profile's fields, read tolerantly.
struct Fields<'a>(Option<&'a Map<String, Value>>);

impl<'a> Fields<'a> {
    fn get(&self, dotted: &str) -> Option<&'a Value> {
        let mut parts = dotted.split('.');
        let first = self.0?.get(parts.next()?)?;
        parts.try_fold(first, |value, key| value.get(key))
    }
    fn number(&self, dotted: &str) -> Option<f64> {
        self.get(dotted)?.as_f64().filter(|n| n.is_finite())
    }
    fn count(&self, dotted: &str) -> Option<u64> {
        let n = self.number(dotted)?;
        (n >= 0.0).then_some(n as u64)
    }
    fn text(&self, dotted: &str) -> Option<&'a str> {
        self.get(dotted)?.as_str()
    }
    fn flag(&self, dotted: &str) -> Option<bool> {
        self.get(dotted)?.as_bool()
    }
    fn time(&self, dotted: &str) -> Option<u64> {
        timestamp_ms(self.get(dotted)?)
    }
    fn strings(&self, dotted: &str) -> Vec<&'a str> {
        self.get(dotted)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

fn time_value(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(format_rfc3339(ms)))
}

fn days_since(ms: Option<u64>, now_ms: u64) -> Value {
    ms.map_or(Value::Null, |ms| json!(whole_days_between(ms, now_ms)))
}

/// The customer attributes: `customer`, `orders`, `email`, `preferences` and `offers`.
pub fn customer_attributes(profile: Option<&Profile>, now_ms: u64) -> Map<String, Value> {
    let f = Fields(profile.map(Profile::fields));
    let order_count = f.count("orders.count").unwrap_or(0);
    let total_spent = f.number("orders.totalSpent").unwrap_or(0.0).max(0.0);
    let average = f
        .number("orders.averageOrderValue")
        .or_else(|| (order_count > 0).then(|| total_spent / order_count as f64));
    let first_order = f.time("orders.firstAt");
    let last_order = f.time("orders.lastAt");
    let subscribed_at = f.time("email.subscribedAt");
    let last_open = f.time("email.lastOpenAt");
    let last_click = f.time("email.lastClickAt");
    // NOTE: inserts rather than `collect()`, whose sort is another instantiation (Wasm size).
    let mut affinity = Map::new();
    for (category, score) in f
        .get("affinity")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if score.as_f64().is_some_and(f64::is_finite) {
            affinity.insert(category.clone(), score.clone());
        }
    }
    let top_category = affinity
        .iter()
        .filter_map(|(category, score)| Some((category, score.as_f64()?)))
        .fold(
            None::<(&String, f64)>,
            |best, (category, score)| match best {
                Some((_, best_score)) if best_score >= score => best,
                _ => Some((category, score)),
            },
        )
        .map(|(category, _)| category.clone());
    let redeemed = f.strings("offersRedeemed");

    let mut attributes = Map::new();
    attributes.insert(
        "customer".into(),
        json!({
            "id": f.text("customerId"),
            "known": f.text("customerId").is_some(),
            "firstName": f.text("firstName"),
            "tags": f.strings("tags"),
            "predictedLtv": f.number("predictedLtv"),
        }),
    );
    attributes.insert(
        "orders".into(),
        json!({
            "count": order_count,
            "totalSpent": total_spent,
            "averageOrderValue": average,
            "firstAt": time_value(first_order),
            "lastAt": time_value(last_order),
            "daysSinceFirst": days_since(first_order, now_ms),
            "daysSinceLast": days_since(last_order, now_ms),
            "products": f.strings("purchased.products"),
            "categories": f.strings("purchased.categories"),
        }),
    );
    attributes.insert(
        "email".into(),
        json!({
            "subscribed": f.flag("email.subscribed").unwrap_or(false),
            "subscribedAt": time_value(subscribed_at),
            "daysSinceSubscribed": days_since(subscribed_at, now_ms),
            "lastOpenAt": time_value(last_open),
            "daysSinceLastOpen": days_since(last_open, now_ms),
            "lastClickAt": time_value(last_click),
            "daysSinceLastClick": days_since(last_click, now_ms),
        }),
    );
    attributes.insert(
        "preferences".into(),
        // NOTE: moved in; through `json!` the affinity map would be copied.
        object(vec![
            ("wishlist", f.strings("wishlist").into()),
            ("affinity", Value::Object(affinity)),
            ("topCategory", top_category.into()),
        ]),
    );
    attributes.insert(
        "offers".into(),
        json!({ "redeemed": redeemed, "redeemedCount": redeemed.len() }),
    );
    attributes
}

/// The last order time in the profile, for cart abandonment ("no order since").
pub fn last_order_ms(profile: Option<&Profile>) -> Option<u64> {
    Fields(profile.map(Profile::fields)).time("orders.lastAt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::timestamp::DAY_MS;

    const NOW: u64 = 1_793_613_600_000; // 2026-11-02T10:00:00Z

    fn attrs(profile: Value) -> Value {
        let profile = Profile::parse(&profile.to_string()).expect("object");
        Value::Object(customer_attributes(Some(&profile), NOW))
    }

    #[test]
    fn anonymous_visitors_get_empty_history_not_missing_fields() {
        let a = Value::Object(customer_attributes(None, NOW));
        assert_eq!(a["orders"]["count"], 0);
        assert_eq!(a["orders"]["daysSinceLast"], Value::Null);
        assert_eq!(a["email"]["subscribed"], false);
        assert_eq!(a["customer"]["known"], false);
        assert_eq!(a["offers"]["redeemedCount"], 0);
    }

    #[test]
    fn days_since_the_last_order_counts_whole_days() {
        let at = |days_ago: u64, extra_ms: u64| format_rfc3339(NOW - days_ago * DAY_MS + extra_ms);
        let exactly_90 = attrs(json!({"orders": {"count": 2, "lastAt": at(90, 0)}}));
        assert_eq!(exactly_90["orders"]["daysSinceLast"], 90);
        let just_under = attrs(json!({"orders": {"count": 2, "lastAt": at(90, 1000)}}));
        assert_eq!(just_under["orders"]["daysSinceLast"], 89);
        let future = attrs(json!({"orders": {"lastAt": at(0, 5 * DAY_MS)}}));
        assert_eq!(
            future["orders"]["daysSinceLast"], 0,
            "clock skew never goes negative"
        );
    }

    #[test]
    fn spend_and_average_order_value() {
        let a = attrs(json!({"orders": {"count": 4, "totalSpent": 500.0}}));
        assert_eq!(a["orders"]["averageOrderValue"], 125.0);
        let given =
            attrs(json!({"orders": {"count": 4, "totalSpent": 500, "averageOrderValue": 99}}));
        assert_eq!(given["orders"]["averageOrderValue"], 99.0);
    }

    #[test]
    fn fields_of_the_wrong_type_count_as_absent_and_spare_the_rest() {
        let a = attrs(json!({
            "orders": {"count": "seven", "totalSpent": -5, "lastAt": "yesterday"},
            "email": {"subscribed": "yes", "subscribedAt": "2026-10-30T10:00:00Z"},
            "tags": ["vip", 3, null],
            "affinity": {"outerwear": 0.8, "footwear": "high", "bags": 0.9}
        }));
        assert_eq!(a["orders"]["count"], 0);
        assert_eq!(a["orders"]["totalSpent"], 0.0);
        assert_eq!(a["orders"]["lastAt"], Value::Null);
        assert_eq!(a["email"]["subscribed"], false);
        assert_eq!(a["email"]["daysSinceSubscribed"], 3);
        assert_eq!(a["customer"]["tags"], json!(["vip"]));
        assert_eq!(
            a["preferences"]["affinity"],
            json!({"outerwear": 0.8, "bags": 0.9})
        );
        assert_eq!(a["preferences"]["topCategory"], "bags");
    }
}
