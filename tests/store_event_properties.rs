//! Store events merged into a profile: whatever order the Queue delivers a set of events in,
//! and however often it redelivers them, the profile ends up the same. Also: a Queue message
//! round-trips every event the generator makes.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tailor::store_event::{
    apply, CartState, Change, CustomerUpdate, LineItem, Order, Source, StoreEvent,
};

const T0: u64 = 1_793_613_600_000;
const SECOND: u64 = 1000;

fn item(product: u64, quantity: u64) -> LineItem {
    LineItem {
        product_id: format!("p{product}"),
        title: Some(format!("Product {product}")),
        quantity,
        price: Some(product as f64 + 0.99),
        category: (product % 2 == 0).then(|| format!("even-{product}")),
    }
}

/// One event of a small universe. Each event's content is a function of its key, so two
/// deliveries of "the same" event are identical (as Queue redeliveries are), and events that
/// share a time share their content (a tie between different contents has no right answer).
fn event(kind: u8, n: u64, order_times: &[u64]) -> StoreEvent {
    let (change, at) = match kind {
        0 => {
            let at = T0 + order_times[n as usize % order_times.len()] * SECOND;
            let order = Order {
                id: format!("order-{n}"),
                // NOTE: the nearest double to a decimal amount, as a payload's "62.20" parses.
                total: (n * 1035 + 10) as f64 / 100.0,
                currency: Some("EUR".into()),
                items: vec![item(n, 1), item(n + 1, 2)],
            };
            (Change::Order(order), at)
        }
        1 => {
            let at = T0 + n * SECOND;
            let items = (0..n % 3).map(|i| item(n + i, i + 1)).collect();
            let state = CartState {
                items,
                updated_at_ms: at,
            };
            (Change::Cart(state), at)
        }
        _ => {
            let at = T0 + n * SECOND;
            let update = CustomerUpdate {
                first_name: Some(format!("Name {n}")),
                tags: Some(vec![format!("tag-{n}")]),
                email_subscribed: Some(n % 2 == 0),
                subscribed_at_ms: (n % 2 == 0).then_some(T0),
                updated_at_ms: at,
            };
            (Change::Customer(update), at)
        }
    };
    StoreEvent {
        id: format!("evt-{kind}-{n}"),
        source: Source::Generic,
        occurred_at_ms: at,
        customer_id: Some("c-42".into()),
        visitor_token: None,
        cart_token: None,
        change,
    }
}

fn start() -> Map<String, Value> {
    let start = json!({
        "wishlist": ["w1"],
        "orders": {"count": 2, "totalSpent": 80.5, "firstAt": "2025-01-01T00:00:00Z"},
        "purchased": {"products": ["legacy-1", "p3"]},
        "email": {"lastOpenAt": "2026-10-01T00:00:00Z"},
    });
    match start {
        Value::Object(fields) => fields,
        _ => unreachable!("an object literal"),
    }
}

fn category(product_id: &str) -> Option<String> {
    Some(format!("catalog-{}", product_id.len()))
}

fn merged(events: &[StoreEvent]) -> Map<String, Value> {
    let mut profile = start();
    for event in events {
        apply(&mut profile, event, &category);
    }
    profile
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_order_and_any_redelivery_give_the_same_profile(
        order_times in prop::collection::vec(0u64..8, 4),
        deliveries in prop::collection::vec((0u8..3, 0u64..8), 0..12),
    ) {
        let delivered: Vec<StoreEvent> =
            deliveries.iter().map(|&(kind, n)| event(kind, n, &order_times)).collect();
        let mut once = deliveries.clone();
        once.sort_unstable();
        once.dedup();
        let canonical: Vec<StoreEvent> =
            once.iter().map(|&(kind, n)| event(kind, n, &order_times)).collect();
        let mut reversed = canonical.clone();
        reversed.reverse();

        let expected = merged(&canonical);
        prop_assert_eq!(&merged(&delivered), &expected);
        prop_assert_eq!(&merged(&reversed), &expected);
        prop_assert_eq!(&expected["wishlist"], &json!(["w1"]));
    }

    #[test]
    fn queue_messages_round_trip(kind in 0u8..3, n in 0u64..8) {
        let original = event(kind, n, &[3, 1, 4, 1]);
        prop_assert_eq!(StoreEvent::decode(&original.encode()), Some(original));
    }
}

/// Every ordering of one order, a cart from before it, a cart from after it and a customer
/// update: the later cart survives, the earlier one never resurfaces.
#[test]
fn every_permutation_of_order_and_carts_agrees() {
    let events = [
        event(0, 1, &[5]),
        event(1, 4, &[]),
        event(1, 7, &[]),
        event(2, 6, &[]),
    ];
    let expected = merged(&events);
    assert_eq!(expected["cart"]["updatedAt"], "2026-11-02T10:00:07Z");
    assert_eq!(expected["orders"]["count"], 3);
    assert_eq!(expected["firstName"], "Name 6");
    let mut order = [0, 1, 2, 3];
    // Heap's algorithm over the 24 orderings.
    let mut c = [0usize; 4];
    let mut i = 0;
    while i < 4 {
        if c[i] < i {
            order.swap(if i % 2 == 0 { 0 } else { c[i] }, i);
            let permuted: Vec<StoreEvent> = order.iter().map(|&k| events[k].clone()).collect();
            assert_eq!(merged(&permuted), expected, "{order:?}");
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}
