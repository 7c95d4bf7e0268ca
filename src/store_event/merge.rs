//! Store events merged into a profile document (the JSON object in KV that
//! `visitor::customer` and `visitor::cart` read).
//!
//! Queues deliver at least once and in any order, so every merge is idempotent and, for a
//! given set of events, the result does not depend on the order they arrive in:
//! - orders are counted once per order id (`orders.ids`, the last [`MAX_ORDER_IDS`] by time);
//! - purchased products and categories keep the time each was last bought
//!   (`purchased.productsAt`, `purchased.categoriesAt`), so "most recent first" is by order
//!   time, not arrival;
//! - the cart is last-writer-wins by time, an order being a write of the empty cart (an order
//!   wins a tie with a cart snapshot of the same instant);
//! - customer details are last-writer-wins by `customerUpdatedAt`.
//!
//! Only the fields named here are written; everything else in the profile is left alone. A
//! field of the wrong type is replaced, never a reason to fail.

use serde_json::{json, Map, Value};

use super::{CartState, Change, CustomerUpdate, LineItem, Order, StoreEvent};
use crate::content::Catalog;
use crate::visitor::timestamp::{format_rfc3339, timestamp_ms};

/// Order ids remembered for de-duplication.
pub const MAX_ORDER_IDS: usize = 50;
/// Products and categories kept in `purchased.products` and `purchased.categories`.
pub const MAX_PURCHASED: usize = 50;

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The profile changed (write it back).
    Changed,
    /// The event changed nothing, and why (no write needed).
    Unchanged(&'static str),
}

/// Merges `event` into `profile`. `categories` gives a product's category when an item does
/// not carry one (see [`category_of`]).
pub fn apply(
    profile: &mut Map<String, Value>,
    event: &StoreEvent,
    categories: &dyn Fn(&str) -> Option<String>,
) -> Applied {
    let applied = match &event.change {
        Change::Order(order) => apply_order(profile, order, event.occurred_at_ms, categories),
        Change::Cart(cart) => apply_cart(profile, cart),
        Change::Customer(update) => apply_customer(profile, update),
    };
    // NOTE: carts do not set the customer id: a stale cart changes nothing, and whether one
    // is stale depends on arrival order.
    if applied == Applied::Changed && !matches!(event.change, Change::Cart(_)) {
        if let Some(id) = &event.customer_id {
            profile.insert("customerId".into(), json!(id));
        }
    }
    applied
}

/// A product's first category in the catalog: the usual `categories` for [`apply`].
pub fn category_of(catalog: &Catalog, product_id: &str) -> Option<String> {
    let index = catalog.index_of_id(product_id)?;
    catalog.product(index).categories.first().cloned()
}

/// Marks the profile as opted out of personalization, as of `now_ms`. Erasing personal data
/// is a separate step.
pub fn mark_opted_out(profile: &mut Map<String, Value>, now_ms: u64) {
    profile.insert("optedOut".into(), json!(true));
    profile.insert("optedOutAt".into(), json!(format_rfc3339(now_ms)));
}

fn apply_order(
    profile: &mut Map<String, Value>,
    order: &Order,
    at: u64,
    categories: &dyn Fn(&str) -> Option<String>,
) -> Applied {
    let orders = object(profile, "orders");
    let ids = object(orders, "ids");
    if ids.contains_key(&order.id) {
        return Applied::Unchanged("duplicate order");
    }
    ids.insert(order.id.clone(), json!(at));
    keep_latest(ids, MAX_ORDER_IDS);

    let count = orders.get("count").and_then(Value::as_f64).unwrap_or(0.0);
    let count = if count.is_finite() && count >= 0.0 {
        count as u64
    } else {
        0
    };
    orders.insert("count".into(), json!(count + 1));
    // NOTE: summed in whole cents, so the total is the same whatever order orders arrive in.
    let cents = |amount: f64| (amount * 100.0).round() as i64;
    let spent = orders.get("totalSpent").and_then(Value::as_f64);
    let spent = spent.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(0.0);
    let total = (cents(spent) + cents(order.total)) as f64 / 100.0;
    orders.insert("totalSpent".into(), json!(total));
    let first = time_of(orders.get("firstAt")).map_or(at, |t| t.min(at));
    let last = time_of(orders.get("lastAt")).map_or(at, |t| t.max(at));
    orders.insert("firstAt".into(), json!(time_text(first)));
    orders.insert("lastAt".into(), json!(time_text(last)));
    // A stored average would now be wrong; readers derive it from count and totalSpent.
    orders.remove("averageOrderValue");

    let products: Vec<String> = order.items.iter().map(|i| i.product_id.clone()).collect();
    let bought_categories: Vec<String> = order
        .items
        .iter()
        .filter_map(|i| i.category.clone().or_else(|| categories(&i.product_id)))
        .collect();
    let purchased = object(profile, "purchased");
    record_recent(purchased, "products", "productsAt", &products, at);
    record_recent(
        purchased,
        "categories",
        "categoriesAt",
        &bought_categories,
        at,
    );

    // The order empties the cart it came from, unless the shopper has changed the cart since
    // (a new cart, which the order must not wipe).
    let cart_at = profile
        .get("cart")
        .and_then(|c| time_of(c.get("updatedAt")));
    if cart_at.is_none_or(|cart_at| cart_at <= at) {
        write_cart(profile, &[], at);
    }
    Applied::Changed
}

fn apply_cart(profile: &mut Map<String, Value>, cart: &CartState) -> Applied {
    let at = cart.updated_at_ms;
    let stored = profile
        .get("cart")
        .and_then(|c| time_of(c.get("updatedAt")));
    // A snapshot from before the last order is stale: never tell someone who just bought that
    // they left something behind.
    let last_order = profile.get("orders").and_then(|o| time_of(o.get("lastAt")));
    if stored.is_some_and(|stored| at <= stored) || last_order.is_some_and(|last| at < last) {
        return Applied::Unchanged("stale cart");
    }
    write_cart(profile, &cart.items, at);
    Applied::Changed
}

fn apply_customer(profile: &mut Map<String, Value>, update: &CustomerUpdate) -> Applied {
    let stored = time_of(profile.get("customerUpdatedAt"));
    if stored.is_some_and(|stored| update.updated_at_ms <= stored) {
        return Applied::Unchanged("stale customer update");
    }
    profile.insert("customerUpdatedAt".into(), json!(update.updated_at_ms));
    if let Some(name) = &update.first_name {
        profile.insert("firstName".into(), json!(name));
    }
    if let Some(tags) = &update.tags {
        profile.insert("tags".into(), json!(tags));
    }
    if let Some(subscribed) = update.email_subscribed {
        let email = object(profile, "email");
        email.insert("subscribed".into(), json!(subscribed));
        match update.subscribed_at_ms {
            Some(since) => {
                email.insert("subscribedAt".into(), json!(time_text(since)));
            }
            // An unsubscribed customer has no subscription date ("days since subscribing").
            None if !subscribed => {
                email.remove("subscribedAt");
            }
            None => {}
        }
    }
    Applied::Changed
}

fn write_cart(profile: &mut Map<String, Value>, items: &[LineItem], at: u64) {
    let lines: Vec<Value> = items.iter().map(LineItem::to_json).collect();
    let count: u64 = items.iter().map(|i| i.quantity).sum();
    profile.insert(
        "cart".into(),
        json!({"items": lines, "itemCount": count, "updatedAt": time_text(at)}),
    );
}

/// `map[key]` as an object, replacing whatever else is there.
fn object<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(fields) => fields,
        _ => unreachable!("replaced by an object above"),
    }
}

fn time_of(value: Option<&Value>) -> Option<u64> {
    timestamp_ms(value?)
}

/// RFC 3339 as profiles hold times, with milliseconds when there are any, so comparisons of
/// stored times with event times lose nothing.
fn time_text(ms: u64) -> String {
    let seconds = format_rfc3339(ms);
    match ms % 1000 {
        0 => seconds,
        millis => format!("{}.{millis:03}Z", seconds.trim_end_matches('Z')),
    }
}

/// Keeps the `max` entries with the latest times (ties: the smaller key), dropping the rest.
fn keep_latest(times: &mut Map<String, Value>, max: usize) {
    if times.len() <= max {
        return;
    }
    let mut entries: Vec<(String, u64)> = times
        .iter()
        .map(|(key, at)| (key.clone(), time_of(Some(at)).unwrap_or(0)))
        .collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (key, _) in entries.drain(max..) {
        times.remove(&key);
    }
}

/// Records `values` as bought at `at` in `purchased[times_key]` (value → last time bought), and
/// rewrites `purchased[list_key]` from it, most recent first. Entries the list had before any
/// webhook (written by the merchant, with no time) follow, in their order.
fn record_recent(
    purchased: &mut Map<String, Value>,
    list_key: &str,
    times_key: &str,
    values: &[String],
    at: u64,
) {
    let times = object(purchased, times_key);
    // Anything timed before this merge (even if dropped below) is not an untimed entry.
    let was_timed: Vec<String> = times.keys().cloned().collect();
    for value in values {
        if time_of(times.get(value)).is_none_or(|before| before < at) {
            times.insert(value.clone(), json!(at));
        }
    }
    keep_latest(times, MAX_PURCHASED);
    let mut timed: Vec<(String, u64)> = times
        .iter()
        .map(|(key, at)| (key.clone(), time_of(Some(at)).unwrap_or(0)))
        .collect();
    timed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut list: Vec<String> = timed.into_iter().map(|(key, _)| key).collect();
    let untimed: Vec<String> = purchased
        .get(list_key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|v| !list.iter().any(|l| l == v) && !was_timed.iter().any(|t| t == v))
        .map(str::to_string)
        .collect();
    for value in untimed {
        if !list.contains(&value) {
            list.push(value);
        }
    }
    list.truncate(MAX_PURCHASED);
    purchased.insert(list_key.into(), json!(list));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store_event::Source;

    const T: u64 = 1_793_613_600_000; // 2026-11-02T10:00:00Z
    const MINUTE: u64 = 60_000;

    fn item(id: &str, quantity: u64) -> LineItem {
        LineItem {
            product_id: id.into(),
            title: Some(format!("{id} title")),
            quantity,
            price: Some(10.0),
            category: None,
        }
    }

    fn event(change: Change, at: u64) -> StoreEvent {
        StoreEvent {
            id: format!("evt-{at}"),
            source: Source::Generic,
            occurred_at_ms: at,
            customer_id: Some("c-42".into()),
            visitor_token: None,
            cart_token: None,
            change,
        }
    }

    fn order(id: &str, total: f64, products: &[&str], at: u64) -> StoreEvent {
        let items = products.iter().map(|p| item(p, 1)).collect();
        let order = Order {
            id: id.into(),
            total,
            currency: Some("USD".into()),
            items,
        };
        event(Change::Order(order), at)
    }

    fn cart(products: &[&str], at: u64) -> StoreEvent {
        let items = products.iter().map(|p| item(p, 2)).collect();
        let state = CartState {
            items,
            updated_at_ms: at,
        };
        event(Change::Cart(state), at)
    }

    fn customer(name: &str, subscribed: Option<bool>, at: u64) -> StoreEvent {
        let update = CustomerUpdate {
            first_name: Some(name.into()),
            tags: Some(vec!["vip".into()]),
            email_subscribed: subscribed,
            subscribed_at_ms: subscribed.filter(|s| *s).map(|_| at - MINUTE),
            updated_at_ms: at,
        };
        event(Change::Customer(update), at)
    }

    /// What three deliveries report when only the first one counts.
    fn applied_once_then(reason: &'static str) -> [Applied; 3] {
        [
            Applied::Changed,
            Applied::Unchanged(reason),
            Applied::Unchanged(reason),
        ]
    }

    fn by_letter(product_id: &str) -> Option<String> {
        Some(format!("cat-{}", product_id.chars().next()?))
    }

    fn merged(start: Value, events: &[&StoreEvent]) -> (Value, Vec<Applied>) {
        let Value::Object(mut profile) = start else {
            panic!("profiles are objects")
        };
        let applied = events
            .iter()
            .map(|e| apply(&mut profile, e, &by_letter))
            .collect();
        (Value::Object(profile), applied)
    }

    #[test]
    fn an_order_counts_spend_times_products_and_clears_the_cart() {
        let start = json!({"orders": {"count": 2, "totalSpent": 100.1, "averageOrderValue": 50.05,
                                      "firstAt": "2025-01-01T00:00:00Z"},
                           "cart": {"items": [{"productId": "x"}], "itemCount": 1,
                                    "updatedAt": format_rfc3339(T - MINUTE)}});
        let (profile, applied) = merged(start, &[&order("1001", 29.2, &["a1", "b2"], T)]);
        assert_eq!(applied, [Applied::Changed]);
        let orders = &profile["orders"];
        assert_eq!(orders["count"], 3);
        assert_eq!(orders["totalSpent"], 129.3);
        assert_eq!(orders["firstAt"], "2025-01-01T00:00:00Z");
        assert_eq!(orders["lastAt"], "2026-11-02T10:00:00Z");
        assert_eq!(orders.get("averageOrderValue"), None);
        assert_eq!(profile["purchased"]["products"], json!(["a1", "b2"]));
        assert_eq!(
            profile["purchased"]["categories"],
            json!(["cat-a", "cat-b"])
        );
        assert_eq!(profile["customerId"], "c-42");
        assert_eq!(
            profile["cart"],
            json!({"items": [], "itemCount": 0, "updatedAt": "2026-11-02T10:00:00Z"})
        );
    }

    #[test]
    fn created_and_paid_deliveries_of_one_order_count_once() {
        let created = order("1001", 50.0, &["a1"], T);
        let paid = StoreEvent {
            id: "another-delivery".into(),
            ..created.clone()
        };
        let (profile, applied) = merged(json!({}), &[&created, &paid, &created]);
        assert_eq!(applied, applied_once_then("duplicate order"));
        assert_eq!(profile["orders"]["count"], 1);
        assert_eq!(profile["orders"]["totalSpent"], 50.0);
    }

    #[test]
    fn a_cart_from_before_the_last_order_is_stale() {
        let (profile, applied) = merged(
            json!({}),
            &[&order("1001", 10.0, &["a1"], T), &cart(&["a1"], T - MINUTE)],
        );
        assert_eq!(applied[1], Applied::Unchanged("stale cart"));
        assert_eq!(profile["cart"]["itemCount"], 0);

        // Even with no cart stored (a merchant import), the last order makes it stale.
        let imported = json!({"orders": {"count": 1, "lastAt": format_rfc3339(T)}});
        let (_, applied) = merged(imported, &[&cart(&["a1"], T - MINUTE)]);
        assert_eq!(applied, [Applied::Unchanged("stale cart")]);
    }

    #[test]
    fn a_cart_started_after_the_order_is_kept() {
        let new_cart = cart(&["b7"], T + 5 * MINUTE);
        let expected = json!({"items": [{"productId": "b7", "title": "b7 title", "quantity": 2,
                                         "price": 10.0}],
                              "itemCount": 2, "updatedAt": "2026-11-02T10:05:00Z"});
        let late_order = order("1001", 10.0, &["a1"], T);
        let (profile, applied) = merged(json!({}), &[&new_cart, &late_order]);
        assert_eq!(applied, [Applied::Changed, Applied::Changed]);
        assert_eq!(
            profile["cart"], expected,
            "the order arriving late leaves it alone"
        );
        let (profile, _) = merged(json!({}), &[&late_order, &new_cart]);
        assert_eq!(profile["cart"], expected);
    }

    #[test]
    fn carts_are_last_writer_wins_and_keep_milliseconds() {
        let newer = cart(&["a1"], T + 1);
        let older = cart(&["b2"], T);
        let (profile, applied) = merged(json!({}), &[&newer, &older, &newer]);
        assert_eq!(applied, applied_once_then("stale cart"));
        assert_eq!(profile["cart"]["items"][0]["productId"], "a1");
        assert_eq!(profile["cart"]["updatedAt"], "2026-11-02T10:00:00.001Z");
    }

    #[test]
    fn customer_updates_are_last_writer_wins_and_leave_absent_fields() {
        let start = json!({"firstName": "M", "email": {"subscribed": true,
                           "subscribedAt": "2026-01-01T00:00:00Z", "lastOpenAt": "2026-10-01"}});
        let newer = customer("Maya", Some(false), T);
        let older = customer("Old", Some(true), T - MINUTE);
        let (profile, applied) = merged(start, &[&newer, &older]);
        assert_eq!(
            applied,
            [
                Applied::Changed,
                Applied::Unchanged("stale customer update")
            ]
        );
        assert_eq!(profile["firstName"], "Maya");
        assert_eq!(profile["tags"], json!(["vip"]));
        assert_eq!(profile["customerUpdatedAt"], T);
        assert_eq!(
            profile["email"],
            json!({"subscribed": false, "lastOpenAt": "2026-10-01"}),
            "unsubscribing removes the subscription date only"
        );

        let name_only = StoreEvent {
            change: Change::Customer(CustomerUpdate {
                first_name: None,
                tags: None,
                email_subscribed: None,
                subscribed_at_ms: None,
                updated_at_ms: T + MINUTE,
            }),
            ..newer
        };
        let (after, _) = merged(profile.clone(), &[&name_only]);
        assert_eq!(after["firstName"], "Maya");
        assert_eq!(after["email"], profile["email"]);
    }

    #[test]
    fn each_kind_of_event_applied_twice_is_applied_once() {
        let start = json!({"cart": {"updatedAt": format_rfc3339(T - MINUTE)}});
        for e in [
            order("1001", 12.5, &["a1"], T),
            cart(&["a1"], T),
            customer("Maya", Some(true), T),
        ] {
            let (once, _) = merged(start.clone(), &[&e]);
            let (twice, applied) = merged(start.clone(), &[&e, &e]);
            assert_eq!(once, twice, "{e:?}");
            assert!(matches!(applied[1], Applied::Unchanged(_)));
        }
    }

    #[test]
    fn purchases_are_most_recent_first_by_order_time_and_capped() {
        let legacy = json!({"purchased": {"products": ["z9", "a1"]}});
        let later = order("2", 1.0, &["b2"], T + MINUTE);
        let earlier = order("1", 1.0, &["a1", "c3"], T);
        let (profile, _) = merged(legacy, &[&later, &earlier]);
        assert_eq!(
            profile["purchased"]["products"],
            json!(["b2", "a1", "c3", "z9"]),
            "timed first (latest first), then the merchant's untimed ones"
        );

        let many: Vec<StoreEvent> = (0..60u64)
            .map(|i| order(&format!("o{i}"), 1.0, &[&format!("p{i}")], T + i))
            .collect();
        let (profile, _) = merged(json!({}), &many.iter().collect::<Vec<_>>());
        let products = profile["purchased"]["products"].as_array().expect("list");
        assert_eq!(products.len(), MAX_PURCHASED);
        assert_eq!(products[0], "p59");
        assert_eq!(products[MAX_PURCHASED - 1], "p10");
        assert_eq!(
            profile["orders"]["ids"].as_object().map(Map::len),
            Some(MAX_ORDER_IDS)
        );
        assert_eq!(profile["orders"]["count"], 60);
        assert_eq!(profile["orders"]["firstAt"], format_rfc3339(T));
    }

    #[test]
    fn unrelated_fields_are_never_touched() {
        let start = json!({"wishlist": ["w1"], "affinity": {"outerwear": 0.8},
                           "optedOut": false, "predictedLtv": 900,
                           "orders": {"source": "import"}, "email": {"lastClickAt": 5}});
        let (profile, _) = merged(
            start.clone(),
            &[
                &order("1", 5.0, &["a1"], T),
                &cart(&["b2"], T + 1),
                &customer("Maya", Some(true), T),
            ],
        );
        for key in ["wishlist", "affinity", "optedOut", "predictedLtv"] {
            assert_eq!(profile[key], start[key], "{key}");
        }
        assert_eq!(profile["orders"]["source"], "import");
        assert_eq!(profile["email"]["lastClickAt"], 5);
    }

    #[test]
    fn fields_of_the_wrong_type_are_replaced_cleanly() {
        let start = json!({"orders": "many", "purchased": [1, 2], "cart": 7, "email": null,
                           "customerUpdatedAt": "whenever"});
        let (profile, applied) = merged(
            start,
            &[
                &order("1", 5.0, &["a1"], T),
                &customer("Maya", Some(true), T),
            ],
        );
        assert_eq!(applied, [Applied::Changed, Applied::Changed]);
        assert_eq!(profile["orders"]["count"], 1);
        assert_eq!(profile["purchased"]["products"], json!(["a1"]));
        assert_eq!(profile["cart"]["itemCount"], 0);
        assert_eq!(profile["email"]["subscribed"], true);

        let garbled = json!({"orders": {"count": "x", "totalSpent": "y", "ids": [1],
                                        "lastAt": 3.5e300}, "cart": {"updatedAt": {}}});
        let (profile, _) = merged(garbled, &[&order("1", 5.0, &[], T)]);
        assert_eq!(profile["orders"]["count"], 1);
        assert_eq!(profile["orders"]["totalSpent"], 5.0);
    }

    #[test]
    fn categories_come_from_the_item_or_else_the_catalog() {
        let catalog = Catalog::parse(include_str!("../../fixtures/catalog.json")).expect("catalog");
        let shell = category_of(&catalog, "p-1001").expect("p-1001 has a category");
        assert_eq!(category_of(&catalog, "no-such-product"), None);
        let mut tagged = order("1", 5.0, &["p-1001", "unknown"], T);
        if let Change::Order(o) = &mut tagged.change {
            o.items[1].category = Some("gifts".into());
        }
        let Value::Object(mut profile) = json!({}) else {
            unreachable!()
        };
        apply(&mut profile, &tagged, &|id| category_of(&catalog, id));
        assert_eq!(shell, "outerwear");
        assert_eq!(
            profile["purchased"]["categories"],
            json!(["gifts", "outerwear"]),
            "bought together: by name"
        );
    }

    #[test]
    fn opting_out_sets_the_mark_and_keeps_the_rest() {
        let Value::Object(mut profile) = json!({"firstName": "Maya"}) else {
            unreachable!()
        };
        mark_opted_out(&mut profile, T);
        assert_eq!(
            Value::Object(profile),
            json!({"firstName": "Maya", "optedOut": true, "optedOutAt": "2026-11-02T10:00:00Z"})
        );
    }
}
