//! Store events: webhooks from the store platform (orders, carts, checkouts, customers),
//! verified ([`verify_signature`]), normalized ([`parse_shopify`], [`parse_generic`]), carried
//! on a Queue as text ([`StoreEvent::encode`]) and merged into profiles ([`apply`]).
//!
//! Pure: no I/O and no clock (the caller passes the time), so the worker, the CLI and the tests
//! run the same code.

mod merge;
mod parse;
mod signature;

use std::fmt;

use serde_json::{json, Map, Value};

pub use merge::{apply, category_of, mark_opted_out, Applied, MAX_ORDER_IDS, MAX_PURCHASED};
pub use parse::{parse_generic, parse_shopify, MAX_ID_CHARS, MAX_LINE_ITEMS, MAX_TITLE_CHARS};
pub use signature::{verify_signature, SignatureError};

/// The largest webhook body accepted; callers check it before parsing (Shopify orders with
/// many lines run to tens of KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A webhook, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreEvent {
    /// Idempotency id: Shopify's `X-Shopify-Webhook-Id` header, or the generic `id`.
    pub id: String,
    /// Who sent it.
    pub source: Source,
    /// When it happened, per the payload (or when it was received, if the payload does not say).
    pub occurred_at_ms: u64,
    /// The store's customer id, if known.
    pub customer_id: Option<String>,
    /// The signed visitor token the storefront attached to the cart or order (Shopify note
    /// attribute `_tailor_visitor`, generic `visitorToken`). Not verified here.
    pub visitor_token: Option<String>,
    /// Shopify's cart token (carts: `token`; orders and checkouts: `cart_token`).
    pub cart_token: Option<String>,
    /// What changed.
    pub change: Change,
}

/// The platform a webhook came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Shopify's REST webhooks.
    Shopify,
    /// Our own format ([`parse_generic`]).
    Generic,
}

/// What a webhook changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// An order was placed or paid.
    Order(Order),
    /// The cart's contents (an unfinished checkout is a cart; a finished one, an empty cart).
    Cart(CartState),
    /// The customer's details.
    Customer(CustomerUpdate),
}

/// An order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The store's order id.
    pub id: String,
    /// What the customer paid, in `currency`.
    pub total: f64,
    /// ISO currency code.
    pub currency: Option<String>,
    /// The products bought.
    pub items: Vec<LineItem>,
}

/// One line of an order or cart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    /// Product id (as the catalog has it).
    pub product_id: String,
    /// Display title.
    pub title: Option<String>,
    /// Units (at least 1).
    pub quantity: u64,
    /// Unit price.
    pub price: Option<f64>,
    /// Category, when the payload names one (otherwise the catalog is asked at merge time).
    pub category: Option<String>,
}

/// A cart's contents at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct CartState {
    /// Its lines (empty for an emptied or completed cart).
    pub items: Vec<LineItem>,
    /// When the cart had these contents.
    pub updated_at_ms: u64,
}

/// New customer details; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerUpdate {
    /// First name.
    pub first_name: Option<String>,
    /// The merchant's tags (`Some(vec![])` clears them).
    pub tags: Option<Vec<String>>,
    /// Whether they accept marketing email.
    pub email_subscribed: Option<bool>,
    /// When they subscribed.
    pub subscribed_at_ms: Option<u64>,
    /// When the customer record had these details.
    pub updated_at_ms: u64,
}

/// Why a webhook payload was refused; the messages are for the merchant's webhook logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// The body is not JSON.
    NotJson(String),
    /// The body is JSON but not an object.
    NotAnObject,
    /// A topic (Shopify) or type (generic) Tailor does not handle.
    UnsupportedTopic(String),
    /// A field Tailor needs is missing or malformed.
    Invalid(&'static str),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(reason) => write!(f, "the webhook body is not valid JSON: {reason}"),
            Self::NotAnObject => f.write_str("the webhook body is not a JSON object"),
            Self::UnsupportedTopic(topic) => write!(
                f,
                "unsupported webhook topic or type {topic:?}: Tailor handles orders, carts, \
                 checkouts and customers"
            ),
            Self::Invalid(reason) => write!(f, "the webhook payload is invalid: {reason}"),
        }
    }
}

impl std::error::Error for PayloadError {}

impl StoreEvent {
    /// The Queue message: the generic format ([`parse_generic`]) with `occurredAt` in ms,
    /// explicit `updatedAt`s and the `source`, so [`StoreEvent::decode`] reuses its parser.
    ///
    /// NOTE: built by hand over `serde_json::Value`, as `events.rs` does: derives cost Wasm.
    pub fn encode(&self) -> String {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        let source = match self.source {
            Source::Shopify => "shopify",
            Source::Generic => "generic",
        };
        out.insert("source".into(), json!(source));
        out.insert("occurredAt".into(), json!(self.occurred_at_ms));
        let optional = [
            ("customerId", &self.customer_id),
            ("visitorToken", &self.visitor_token),
            ("cartToken", &self.cart_token),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                out.insert(key.into(), json!(value));
            }
        }
        let (kind, body) = match &self.change {
            Change::Order(order) => {
                let mut body = json!({"id": order.id, "total": order.total,
                                      "items": encode_items(&order.items)});
                if let Some(currency) = &order.currency {
                    body["currency"] = json!(currency);
                }
                ("order", body)
            }
            Change::Cart(cart) => (
                "cart",
                json!({"items": encode_items(&cart.items), "updatedAt": cart.updated_at_ms}),
            ),
            Change::Customer(update) => {
                let mut body = Map::new();
                body.insert("updatedAt".into(), json!(update.updated_at_ms));
                let fields = [
                    ("firstName", update.first_name.as_ref().map(|v| json!(v))),
                    ("tags", update.tags.as_ref().map(|v| json!(v))),
                    ("emailSubscribed", update.email_subscribed.map(Value::from)),
                    ("subscribedAt", update.subscribed_at_ms.map(Value::from)),
                ];
                body.extend(fields.into_iter().filter_map(|(k, v)| Some((k.into(), v?))));
                ("customer", Value::Object(body))
            }
        };
        out.insert("type".into(), json!(kind));
        out.insert(kind.into(), body);
        Value::Object(out).to_string()
    }

    /// Reads a message written by [`StoreEvent::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let fields = value.as_object()?;
        let source = match fields.get("source")?.as_str()? {
            "shopify" => Source::Shopify,
            "generic" => Source::Generic,
            _ => return None,
        };
        let occurred = fields.get("occurredAt")?.as_u64()?;
        let event = parse::generic_from_fields(fields, occurred).ok()?;
        Some(Self { source, ..event })
    }
}

fn encode_items(items: &[LineItem]) -> Value {
    items.iter().map(LineItem::to_json).collect()
}

impl LineItem {
    /// The line as profiles' `cart.items` and Queue messages hold it: `productId`, `quantity`,
    /// and `title`, `price` and `category` when known.
    pub fn to_json(&self) -> Value {
        let mut out = json!({"productId": self.product_id, "quantity": self.quantity});
        if let Some(title) = &self.title {
            out["title"] = json!(title);
        }
        if let Some(price) = self.price {
            out["price"] = json!(price);
        }
        if let Some(category) = &self.category {
            out["category"] = json!(category);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, category: Option<&str>) -> LineItem {
        LineItem {
            product_id: id.into(),
            title: Some(format!("Title of {id}")),
            quantity: 2,
            price: Some(19.99),
            category: category.map(str::to_string),
        }
    }

    fn events() -> Vec<StoreEvent> {
        let base = StoreEvent {
            id: "b5a8f1c2-webhook".into(),
            source: Source::Shopify,
            occurred_at_ms: 1_793_613_600_123,
            customer_id: Some("7010343215".into()),
            visitor_token: Some("v1.abc.def".into()),
            cart_token: Some("Z2NwLXVzLWVhc3Qx".into()),
            change: Change::Order(Order {
                id: "820982911946154508".into(),
                total: 129.95,
                currency: Some("EUR".into()),
                items: vec![item("p-1", Some("outerwear")), item("p-2", None)],
            }),
        };
        vec![
            base.clone(),
            StoreEvent {
                source: Source::Generic,
                customer_id: None,
                visitor_token: None,
                cart_token: None,
                change: Change::Order(Order {
                    id: "1001".into(),
                    total: 0.0,
                    currency: None,
                    items: vec![],
                }),
                ..base.clone()
            },
            StoreEvent {
                change: Change::Cart(CartState {
                    items: vec![item("p-3", None)],
                    updated_at_ms: 1_793_613_000_000,
                }),
                ..base.clone()
            },
            StoreEvent {
                change: Change::Customer(CustomerUpdate {
                    first_name: Some("Maya".into()),
                    tags: Some(vec!["vip".into(), "wholesale".into()]),
                    email_subscribed: Some(true),
                    subscribed_at_ms: Some(1_700_000_000_000),
                    updated_at_ms: 1_793_613_600_000,
                }),
                ..base.clone()
            },
            StoreEvent {
                change: Change::Customer(CustomerUpdate {
                    first_name: None,
                    tags: Some(vec![]),
                    email_subscribed: None,
                    subscribed_at_ms: None,
                    updated_at_ms: 5,
                }),
                ..base
            },
        ]
    }

    #[test]
    fn events_round_trip_through_queue_text() {
        for event in events() {
            let text = event.encode();
            assert_eq!(StoreEvent::decode(&text), Some(event), "{text}");
        }
    }

    #[test]
    fn foreign_queue_text_is_refused() {
        for text in [
            "",
            "[]",
            r#"{"type":"order"}"#,
            r#"{"id":"e","source":"magento","occurredAt":1,"type":"cart","cart":{"items":[]}}"#,
        ] {
            assert_eq!(StoreEvent::decode(text), None, "{text}");
        }
    }

    #[test]
    fn payload_errors_explain_themselves() {
        assert_eq!(
            PayloadError::Invalid("order has no id").to_string(),
            "the webhook payload is invalid: order has no id"
        );
        assert_eq!(
            PayloadError::UnsupportedTopic("refunds/create".into()).to_string(),
            "unsupported webhook topic or type \"refunds/create\": Tailor handles orders, carts, \
             checkouts and customers"
        );
    }
}
