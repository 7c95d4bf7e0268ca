//! Profile updates in KV: store events, opt-outs and cart links, applied by the Queue consumer,
//! and the erasure of a person's every key. Pure: the edge loads the documents this module asks
//! for, and writes what it returns.
//!
//! ## Whose profile
//! A visitor's profile lives under `profile:<visitorId>`, a customer's under
//! `profile:customer:<customerId>`. Once an event links a visitor to a customer (an order
//! carrying the visitor's token, or a cart link for a customer's cart), the customer's
//! profile is the family's root: it lists its visitors (`visitorIds`, the most recent
//! [`MAX_LINKED_VISITORS`]) and each of them gets a copy of it. So a page view still reads one
//! key, whether or not the shopper is logged in, and an erasure finds every key from any one.
//!
//! ## Order, repetition and KV's write limit
//! The consumer runs one batch at a time (`max_concurrency = 1`), applies every update of the
//! batch to the documents in memory and writes each changed key once: a burst of webhooks for
//! one customer is one write, within KV's one write per key per second. Every merge is
//! idempotent and order-independent (see [`crate::store_event`]), so a batch that is retried
//! after a failed write converges to the same documents.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::events::Event;
use crate::store_event::{apply, mark_opted_out, Applied, Change, Source, StoreEvent};
use crate::visitor::{customer_profile_key, profile_key, VisitorId};

/// Visitors (browsers) a customer's profile is copied to.
pub const MAX_LINKED_VISITORS: usize = 5;
/// Cart tokens remembered per family (for erasure).
pub const MAX_CART_TOKENS: usize = 10;
/// How long a cart token stays linked to its visitor.
pub const CART_LINK_TTL_SECS: u64 = 30 * 24 * 60 * 60;
/// How long a webhook's id is remembered, so a redelivery is answered at once.
pub const WEBHOOK_RECORD_TTL_SECS: u64 = 7 * 24 * 60 * 60;

/// The KV key linking a store's cart token to the visitor who owns the cart.
pub fn cart_link_key(cart_token: &str) -> String {
    format!("cart:{cart_token}")
}

/// How long an erasure is remembered: updates that happened before it and are still on the
/// queue (retries, the dead-letter queue) must not bring the person back.
pub const TOMBSTONE_TTL_SECS: u64 = 7 * 24 * 60 * 60;

/// The KV key remembering that the profile under `profile_key` was erased. Named by a hash,
/// so the tombstone holds no id of the person.
pub fn tombstone_key(profile_key: &str) -> String {
    let digest = crate::crypto::hmac_sha256(b"tailor:erased", profile_key.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("erased:{hex}")
}

/// The KV key recording that a webhook was received.
pub fn webhook_record_key(source: Source, id: &str) -> String {
    let source = match source {
        Source::Shopify => "shopify",
        Source::Generic => "generic",
    };
    format!("webhook:{source}:{id}")
}

/// One message on the profile queue.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileUpdate {
    /// A verified store event; `visitor` is the id from its verified visitor token.
    Store {
        /// The event.
        event: StoreEvent,
        /// The visitor its token named, once verified.
        visitor: Option<VisitorId>,
    },
    /// A shopper opted out (or back in): their profiles are marked.
    Privacy {
        /// The shopper's verified visitor id.
        visitor: Option<VisitorId>,
        /// Their verified customer id.
        customer: Option<String>,
        /// Out (`true`) or back in.
        opted_out: bool,
        /// When.
        at_ms: u64,
    },
    /// The storefront told us which cart the visitor owns.
    LinkCart {
        /// The store's cart token.
        cart_token: String,
        /// The visitor.
        visitor: VisitorId,
        /// When.
        at_ms: u64,
    },
}

impl ProfileUpdate {
    /// The message text.
    pub fn encode(&self) -> String {
        match self {
            Self::Store { event, visitor } => json!({
                "kind": "store",
                "event": event.encode(),
                "visitor": visitor.as_ref().map(VisitorId::as_str),
            }),
            Self::Privacy {
                visitor,
                customer,
                opted_out,
                at_ms,
            } => json!({
                "kind": "privacy",
                "visitor": visitor.as_ref().map(VisitorId::as_str),
                "customer": customer,
                "optedOut": opted_out,
                "at": at_ms,
            }),
            Self::LinkCart {
                cart_token,
                visitor,
                at_ms,
            } => json!({"kind": "cart-link", "cartToken": cart_token, "visitor": visitor.as_str(),
                        "at": at_ms}),
        }
        .to_string()
    }

    /// Reads a message written by [`ProfileUpdate::encode`].
    pub fn decode(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let visitor = value
            .get("visitor")
            .and_then(Value::as_str)
            .and_then(VisitorId::parse);
        match value.get("kind")?.as_str()? {
            "store" => Some(Self::Store {
                event: StoreEvent::decode(value.get("event")?.as_str()?)?,
                visitor,
            }),
            "privacy" => Some(Self::Privacy {
                visitor,
                customer: value
                    .get("customer")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                opted_out: value.get("optedOut")?.as_bool()?,
                at_ms: value.get("at")?.as_u64()?,
            }),
            "cart-link" => Some(Self::LinkCart {
                cart_token: value.get("cartToken")?.as_str()?.to_string(),
                visitor: visitor?,
                at_ms: value.get("at")?.as_u64()?,
            }),
            _ => None,
        }
    }
}

/// The KV documents a batch works on: loaded (present or absent), then changed in memory.
#[derive(Debug, Default)]
pub struct Documents {
    loaded: BTreeMap<String, Option<Map<String, Value>>>,
    changed: BTreeSet<String>,
    deleted: BTreeSet<String>,
}

/// One KV operation for the edge to perform.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Put a JSON document, with an expiry if given.
    Put {
        /// Key.
        key: String,
        /// JSON text.
        value: String,
        /// Seconds until KV expires it.
        ttl_secs: Option<u64>,
    },
    /// Delete a key.
    Delete(String),
}

impl Documents {
    /// Records a loaded value (`None`: no such key). A value that is not a JSON object is
    /// treated as absent: it is unusable, and what replaces it is valid.
    pub fn insert_loaded(&mut self, key: String, text: Option<&str>) {
        let document = text.and_then(|t| match serde_json::from_str(t) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        });
        self.loaded.insert(key, document);
    }

    fn is_loaded(&self, key: &str) -> bool {
        self.loaded.contains_key(key)
    }

    fn get(&self, key: &str) -> Option<&Map<String, Value>> {
        self.loaded.get(key).and_then(Option::as_ref)
    }

    fn text(&self, key: &str, field: &str) -> Option<String> {
        self.get(key)?.get(field)?.as_str().map(str::to_string)
    }

    fn strings(&self, key: &str, field: &str) -> Vec<String> {
        strings(self.get(key), field)
    }

    fn put(&mut self, key: &str, document: Map<String, Value>) {
        self.deleted.remove(key);
        self.loaded.insert(key.to_string(), Some(document));
        self.changed.insert(key.to_string());
    }

    fn delete(&mut self, key: &str) {
        self.loaded.insert(key.to_string(), None);
        self.changed.remove(key);
        self.deleted.insert(key.to_string());
    }

    /// What to write: each changed key once, then the deletions.
    pub fn writes(&self) -> Vec<Write> {
        let ttl = |key: &str| {
            if key.starts_with("cart:") {
                Some(CART_LINK_TTL_SECS)
            } else if key.starts_with("webhook:") {
                Some(WEBHOOK_RECORD_TTL_SECS)
            } else if key.starts_with("erased:") {
                Some(TOMBSTONE_TTL_SECS)
            } else {
                None
            }
        };
        let puts = self.changed.iter().filter_map(|key| {
            let document = self.get(key)?;
            Some(Write::Put {
                key: key.clone(),
                value: Value::Object(document.clone()).to_string(),
                ttl_secs: ttl(key),
            })
        });
        puts.chain(self.deleted.iter().cloned().map(Write::Delete))
            .collect()
    }
}

fn strings(document: Option<&Map<String, Value>>, field: &str) -> Vec<String> {
    document
        .and_then(|d| d.get(field))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Where an update lands.
enum Target {
    /// Load these keys first.
    Need(Vec<String>),
    /// The family: its root key, and the visitor linked by this update, if any.
    Family {
        root: String,
        customer: Option<String>,
        visitor: Option<VisitorId>,
    },
    /// Nobody to attach it to.
    Nobody,
}

/// Resolves a visitor and/or customer to the family's root profile.
fn family(
    docs: &Documents,
    visitor: Option<&VisitorId>,
    customer: Option<&str>,
    cart_token: Option<&str>,
) -> Target {
    let mut visitor = visitor.cloned();
    if visitor.is_none() {
        if let Some(token) = cart_token {
            let key = cart_link_key(token);
            if !docs.is_loaded(&key) {
                return Target::Need(vec![key]);
            }
            visitor = docs
                .text(&key, "visitor")
                .and_then(|v| VisitorId::parse(&v));
        }
    }
    let mut customer = customer.map(str::to_string);
    if let (None, Some(id)) = (&customer, &visitor) {
        let key = profile_key(id);
        if !docs.is_loaded(&key) {
            return Target::Need(vec![key]);
        }
        customer = docs.text(&key, "customerId");
    }
    match (customer, visitor) {
        (Some(customer), visitor) => {
            let root = customer_profile_key(&customer);
            // NOTE: a visitor joining the family brings its cart tokens (see `link`).
            let needed: Vec<String> = std::iter::once(root.clone())
                .chain(visitor.as_ref().map(profile_key))
                .filter(|key| !docs.is_loaded(key))
                .collect();
            if needed.is_empty() {
                Target::Family {
                    root,
                    customer: Some(customer),
                    visitor,
                }
            } else {
                Target::Need(needed)
            }
        }
        (None, Some(visitor)) => Target::Family {
            root: profile_key(&visitor),
            customer: None,
            visitor: Some(visitor),
        },
        (None, None) => Target::Nobody,
    }
}

fn target(update: &ProfileUpdate, docs: &Documents) -> Target {
    match family_of(update, docs) {
        Target::Family {
            root,
            customer,
            visitor,
        } => {
            // NOTE: whether the family was erased after this update happened decides whether
            // it may be applied at all.
            let tombstone = tombstone_key(&root);
            if docs.is_loaded(&tombstone) {
                Target::Family {
                    root,
                    customer,
                    visitor,
                }
            } else {
                Target::Need(vec![tombstone])
            }
        }
        other => other,
    }
}

fn family_of(update: &ProfileUpdate, docs: &Documents) -> Target {
    match update {
        ProfileUpdate::Store { event, visitor } => family(
            docs,
            visitor.as_ref(),
            event.customer_id.as_deref(),
            event.cart_token.as_deref(),
        ),
        ProfileUpdate::Privacy {
            visitor, customer, ..
        } => family(docs, visitor.as_ref(), customer.as_deref(), None),
        ProfileUpdate::LinkCart { visitor, .. } => family(docs, Some(visitor), None, None),
    }
}

/// The keys still to load before `updates` can be applied; empty when everything is loaded.
/// The consumer loads them and asks again (each round resolves one more link: cart token →
/// visitor → customer), at most three rounds.
pub fn keys_to_load(updates: &[ProfileUpdate], docs: &Documents) -> Vec<String> {
    let mut keys = BTreeSet::new();
    for update in updates {
        if let Target::Need(needed) = target(update, docs) {
            keys.extend(needed);
        }
    }
    keys.into_iter().collect()
}

/// What applying a batch did.
#[derive(Debug, Default, PartialEq)]
pub struct BatchOutcome {
    /// Orders to record as conversions (visitor known).
    pub conversions: Vec<Event>,
    /// One line per update that changed nothing or had nobody to attach to, for the log.
    pub skipped: Vec<String>,
}

/// Applies `updates` to the loaded documents (call once [`keys_to_load`] is empty).
/// `categories` names a product's category.
pub fn apply_batch(
    updates: &[ProfileUpdate],
    docs: &mut Documents,
    categories: &dyn Fn(&str) -> Option<String>,
) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    for update in updates {
        let (root, customer, visitor) = match target(update, docs) {
            Target::Family {
                root,
                customer,
                visitor,
            } => (root, customer, visitor),
            Target::Need(keys) => {
                outcome
                    .skipped
                    .push(format!("not applied: {} not loaded", keys.join(", ")));
                continue;
            }
            Target::Nobody => {
                outcome.skipped.push(format!(
                    "{}: no visitor or customer to attach it to",
                    describe(update)
                ));
                continue;
            }
        };
        let erased_at = docs
            .get(&tombstone_key(&root))
            .and_then(|t| t.get("at"))
            .and_then(Value::as_u64);
        if erased_at.is_some_and(|erased| occurred_at(update) <= erased) {
            outcome.skipped.push(format!(
                "{}: the profile was erased after it happened",
                describe(update)
            ));
            continue;
        }
        let mut document = docs.get(&root).cloned();
        let changed = match update {
            ProfileUpdate::Store { event, .. } => {
                let profile = document.get_or_insert_with(Map::new);
                let applied = apply(profile, event, categories);
                if let (Change::Order(order), Some(visitor)) = (&event.change, &visitor) {
                    outcome.conversions.push(Event::Conversion {
                        visitor: visitor.to_string(),
                        order: order.id.clone(),
                        revenue: order.total,
                        at: event.occurred_at_ms,
                    });
                }
                docs.put(
                    &webhook_record_key(event.source, &event.id),
                    Map::from_iter([("at".to_string(), json!(event.occurred_at_ms))]),
                );
                match applied {
                    Applied::Changed => true,
                    Applied::Unchanged(why) => {
                        outcome.skipped.push(format!("{}: {why}", describe(update)));
                        false
                    }
                }
            }
            ProfileUpdate::Privacy {
                opted_out, at_ms, ..
            } => match document.as_mut() {
                // NOTE: nothing stored, nothing to mark: the browser's opt-out cookie covers it.
                None => false,
                Some(profile) if *opted_out => {
                    mark_opted_out(profile, *at_ms);
                    true
                }
                Some(profile) => {
                    let was = profile.remove("optedOut").is_some();
                    profile.remove("optedOutAt");
                    was
                }
            },
            ProfileUpdate::LinkCart {
                cart_token,
                visitor,
                ..
            } => {
                docs.put(
                    &cart_link_key(cart_token),
                    Map::from_iter([("visitor".to_string(), json!(visitor.as_str()))]),
                );
                let profile = document.get_or_insert_with(Map::new);
                let mut tokens = strings(Some(profile), "cartTokens");
                if tokens.first() == Some(cart_token) {
                    false
                } else {
                    tokens.retain(|t| t != cart_token);
                    tokens.insert(0, cart_token.clone());
                    for evicted in tokens.split_off(MAX_CART_TOKENS.min(tokens.len())) {
                        docs.delete(&cart_link_key(&evicted));
                    }
                    profile.insert("cartTokens".into(), json!(tokens));
                    true
                }
            }
        };
        let Some(mut profile) = document else {
            continue;
        };
        let linked = match (&customer, &visitor) {
            (Some(_), Some(visitor)) => link(&mut profile, visitor, docs),
            _ => false,
        };
        if changed || linked {
            docs.put(&root, profile.clone());
            // The family's browsers get a copy, so each reads its profile with one key.
            if customer.is_some() {
                for visitor in strings(Some(&profile), "visitorIds") {
                    if let Some(id) = VisitorId::parse(&visitor) {
                        docs.put(&profile_key(&id), profile.clone());
                    }
                }
            }
        }
    }
    outcome
}

/// Adds `visitor` to a customer profile's family (most recent first). Its own profile is
/// replaced by the family's copy, bringing its cart tokens along; a visitor pushed out of the
/// family loses its copy, so no personal data is left behind unlinked.
fn link(profile: &mut Map<String, Value>, visitor: &VisitorId, docs: &mut Documents) -> bool {
    let mut visitors = strings(Some(profile), "visitorIds");
    if visitors.first().map(String::as_str) == Some(visitor.as_str()) {
        return false;
    }
    let mut tokens = strings(Some(profile), "cartTokens");
    for token in docs.strings(&profile_key(visitor), "cartTokens") {
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    for evicted in tokens.split_off(MAX_CART_TOKENS.min(tokens.len())) {
        docs.delete(&cart_link_key(&evicted));
    }
    if !tokens.is_empty() {
        profile.insert("cartTokens".into(), json!(tokens));
    }
    visitors.retain(|v| v != visitor.as_str());
    visitors.insert(0, visitor.to_string());
    for evicted in visitors.split_off(MAX_LINKED_VISITORS.min(visitors.len())) {
        if let Some(id) = VisitorId::parse(&evicted) {
            docs.delete(&profile_key(&id));
        }
    }
    profile.insert("visitorIds".into(), json!(visitors));
    true
}

fn occurred_at(update: &ProfileUpdate) -> u64 {
    match update {
        ProfileUpdate::Store { event, .. } => event.occurred_at_ms,
        ProfileUpdate::Privacy { at_ms, .. } | ProfileUpdate::LinkCart { at_ms, .. } => *at_ms,
    }
}

/// The tombstones to write once `keys` are erased at `now_ms`, so queued updates from before
/// cannot recreate them.
pub fn tombstones(keys: &[String], now_ms: u64) -> Vec<Write> {
    keys.iter()
        .filter(|k| k.starts_with("profile:"))
        .map(|k| Write::Put {
            key: tombstone_key(k),
            value: json!({"at": now_ms}).to_string(),
            ttl_secs: Some(TOMBSTONE_TTL_SECS),
        })
        .collect()
}

fn describe(update: &ProfileUpdate) -> String {
    match update {
        ProfileUpdate::Store { event, .. } => {
            let kind = match event.change {
                Change::Order(_) => "order",
                Change::Cart(_) => "cart",
                Change::Customer(_) => "customer",
            };
            format!("{kind} event {}", event.id)
        }
        ProfileUpdate::Privacy { opted_out, .. } => {
            (if *opted_out { "opt-out" } else { "opt-in" }).to_string()
        }
        ProfileUpdate::LinkCart { .. } => "cart link".to_string(),
    }
}

/// What erasing a person touches.
#[derive(Debug, Clone, PartialEq)]
pub enum Erasure {
    /// Load these keys first, then ask again.
    Need(Vec<String>),
    /// Delete these keys, and the event rows of these visitor ids.
    Erase {
        /// Every KV key linked to the person.
        keys: Vec<String>,
        /// Their visitor ids (event rows in D1 are keyed by them).
        visitor_ids: Vec<String>,
    },
}

/// Whose data to erase: a visitor id or a customer id.
pub fn erasure(visitor: Option<&VisitorId>, customer: Option<&str>, docs: &Documents) -> Erasure {
    let root = match (customer, visitor) {
        (Some(customer), _) => customer_profile_key(customer),
        (None, Some(visitor)) => {
            let key = profile_key(visitor);
            if !docs.is_loaded(&key) {
                return Erasure::Need(vec![key]);
            }
            match docs.text(&key, "customerId") {
                Some(customer) => customer_profile_key(&customer),
                None => key,
            }
        }
        (None, None) => {
            return Erasure::Erase {
                keys: Vec::new(),
                visitor_ids: Vec::new(),
            }
        }
    };
    if !docs.is_loaded(&root) {
        return Erasure::Need(vec![root]);
    }
    let mut visitor_ids: BTreeSet<String> = docs.strings(&root, "visitorIds").into_iter().collect();
    visitor_ids.extend(visitor.map(VisitorId::to_string));
    let mut keys: BTreeSet<String> = BTreeSet::from([root.clone()]);
    keys.extend(
        visitor_ids
            .iter()
            .filter_map(|v| VisitorId::parse(v))
            .map(|id| profile_key(&id)),
    );
    keys.extend(
        docs.strings(&root, "cartTokens")
            .iter()
            .map(|t| cart_link_key(t)),
    );
    Erasure::Erase {
        keys: keys.into_iter().collect(),
        visitor_ids: visitor_ids.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store_event::parse_generic;

    const NOW: u64 = 1_793_613_600_000;

    fn visitor(byte: u8) -> VisitorId {
        VisitorId::from_random([byte; 16])
    }

    fn store(body: serde_json::Value, visitor: Option<VisitorId>) -> ProfileUpdate {
        ProfileUpdate::Store {
            event: parse_generic(&body.to_string(), NOW).expect("valid event"),
            visitor,
        }
    }

    fn order(id: &str, customer: Option<&str>, at: u64) -> serde_json::Value {
        json!({"id": format!("evt-{id}"), "type": "order", "occurredAt": at,
               "customerId": customer,
               "order": {"id": id, "total": 120.0,
                         "items": [{"productId": "p1", "quantity": 1, "price": 120.0}]}})
    }

    /// Loads (as absent, or from `stored`) whatever the batch asks for, round after round,
    /// then applies it: what the consumer does against KV.
    fn run(
        updates: &[ProfileUpdate],
        stored: &BTreeMap<String, String>,
    ) -> (Documents, BatchOutcome) {
        let mut docs = Documents::default();
        for _ in 0..4 {
            let keys = keys_to_load(updates, &docs);
            if keys.is_empty() {
                break;
            }
            for key in keys {
                let text = stored.get(&key).map(String::as_str);
                docs.insert_loaded(key, text);
            }
        }
        assert!(
            keys_to_load(updates, &docs).is_empty(),
            "resolved in 4 rounds"
        );
        let outcome = apply_batch(updates, &mut docs, &|_| Some("outerwear".into()));
        (docs, outcome)
    }

    /// KV after the writes.
    fn written(stored: &BTreeMap<String, String>, docs: &Documents) -> BTreeMap<String, String> {
        let mut kv = stored.clone();
        for write in docs.writes() {
            match write {
                Write::Put { key, value, .. } => {
                    kv.insert(key, value);
                }
                Write::Delete(key) => {
                    kv.remove(&key);
                }
            }
        }
        kv
    }

    fn doc(kv: &BTreeMap<String, String>, key: &str) -> serde_json::Value {
        serde_json::from_str(kv.get(key).unwrap_or_else(|| panic!("{key} written"))).expect("JSON")
    }

    #[test]
    fn updates_round_trip_through_queue_text() {
        let updates = [
            store(order("1001", Some("c-1"), NOW), Some(visitor(1))),
            ProfileUpdate::Privacy {
                visitor: Some(visitor(2)),
                customer: None,
                opted_out: true,
                at_ms: NOW,
            },
            ProfileUpdate::LinkCart {
                cart_token: "c1-abc\n".into(),
                visitor: visitor(3),
                at_ms: NOW,
            },
        ];
        for update in updates {
            let text = update.encode();
            // One line: the Workers hand the Queue its messages as lines of one string.
            assert!(!text.contains(['\n', '\r']), "{text}");
            assert_eq!(ProfileUpdate::decode(&text), Some(update));
        }
        assert_eq!(ProfileUpdate::decode(r#"{"kind":"store"}"#), None);
        assert_eq!(ProfileUpdate::decode("exposure"), None);
    }

    #[test]
    fn an_order_carrying_the_visitor_links_the_browser_to_the_customer() {
        let shopper = visitor(1);
        let updates = [store(
            order("1001", Some("c-1"), NOW),
            Some(shopper.clone()),
        )];
        let (docs, outcome) = run(&updates, &BTreeMap::new());
        let kv = written(&BTreeMap::new(), &docs);
        let customer = doc(&kv, "profile:customer:c-1");
        assert_eq!(customer["orders"]["count"], 1);
        assert_eq!(customer["customerId"], "c-1");
        assert_eq!(customer["visitorIds"], json!([shopper.as_str()]));
        assert_eq!(
            doc(&kv, &profile_key(&shopper)),
            customer,
            "the browser reads the family's copy with one key"
        );
        assert!(kv.contains_key("webhook:generic:evt-1001"));
        assert_eq!(
            outcome.conversions,
            [Event::Conversion {
                visitor: shopper.to_string(),
                order: "1001".into(),
                revenue: 120.0,
                at: NOW
            }]
        );
        let ttls: Vec<Option<u64>> = docs
            .writes()
            .iter()
            .filter_map(|w| match w {
                Write::Put { key, ttl_secs, .. } if key.starts_with("webhook:") => Some(*ttl_secs),
                _ => None,
            })
            .collect();
        assert_eq!(ttls, [Some(WEBHOOK_RECORD_TTL_SECS)]);
    }

    #[test]
    fn later_customer_events_reach_every_linked_browser_and_a_redelivery_changes_nothing() {
        let (first, second) = (visitor(1), visitor(2));
        let linked = [
            store(order("1001", Some("c-1"), NOW), Some(first.clone())),
            store(order("1002", Some("c-1"), NOW + 1000), Some(second.clone())),
        ];
        let (docs, _) = run(&linked, &BTreeMap::new());
        let kv = written(&BTreeMap::new(), &docs);
        let cart = json!({"id": "evt-cart", "type": "cart", "occurredAt": NOW + 5000,
                          "customerId": "c-1",
                          "cart": {"items": [{"productId": "p2", "quantity": 2}]}});
        let batch = [store(cart, None)];
        let (docs, _) = run(&batch, &kv);
        let kv = written(&kv, &docs);
        let root = doc(&kv, "profile:customer:c-1");
        assert_eq!(root["cart"]["itemCount"], 2);
        assert_eq!(root["orders"]["count"], 2);
        assert_eq!(root["visitorIds"], json!([second.as_str(), first.as_str()]));
        for browser in [&first, &second] {
            assert_eq!(doc(&kv, &profile_key(browser)), root);
        }
        // The queue redelivers the same batch: the profiles are already what it makes them.
        let (again, outcome) = run(&batch, &kv);
        assert_eq!(written(&kv, &again), kv);
        assert_eq!(outcome.skipped, ["cart event evt-cart: stale cart"]);
    }

    #[test]
    fn a_cart_webhook_finds_its_visitor_through_the_cart_link() {
        let shopper = visitor(4);
        let link = [ProfileUpdate::LinkCart {
            cart_token: "c1-abc".into(),
            visitor: shopper.clone(),
            at_ms: NOW,
        }];
        let (docs, _) = run(&link, &BTreeMap::new());
        let link_ttl = docs.writes().into_iter().find_map(|w| match w {
            Write::Put { key, ttl_secs, .. } if key == "cart:c1-abc" => Some(ttl_secs),
            _ => None,
        });
        assert_eq!(link_ttl, Some(Some(CART_LINK_TTL_SECS)));
        let kv = written(&BTreeMap::new(), &docs);
        assert_eq!(
            doc(&kv, &profile_key(&shopper))["cartTokens"],
            json!(["c1-abc"])
        );

        let cart = json!({"id": "evt-7", "type": "cart", "occurredAt": NOW, "cartToken": "c1-abc",
                          "cart": {"items": [{"productId": "p2", "title": "Socks", "quantity": 3}]}});
        let (docs, outcome) = run(&[store(cart, None)], &kv);
        assert!(outcome.skipped.is_empty(), "{:?}", outcome.skipped);
        let kv = written(&kv, &docs);
        assert_eq!(doc(&kv, &profile_key(&shopper))["cart"]["itemCount"], 3);
    }

    #[test]
    fn an_event_for_nobody_is_skipped_and_writes_nothing_but_its_record() {
        let (docs, outcome) = run(&[store(order("9", None, NOW), None)], &BTreeMap::new());
        assert_eq!(
            outcome.skipped,
            ["order event evt-9: no visitor or customer to attach it to"]
        );
        assert!(docs.writes().is_empty(), "{:?}", docs.writes());
    }

    #[test]
    fn opting_out_marks_the_family_and_opting_in_clears_the_mark() {
        let shopper = visitor(5);
        let (docs, _) = run(
            &[store(order("1", Some("c-5"), NOW), Some(shopper.clone()))],
            &BTreeMap::new(),
        );
        let kv = written(&BTreeMap::new(), &docs);
        let out = ProfileUpdate::Privacy {
            visitor: Some(shopper.clone()),
            customer: None,
            opted_out: true,
            at_ms: NOW,
        };
        let (docs, _) = run(&[out], &kv);
        let kv = written(&kv, &docs);
        assert_eq!(doc(&kv, "profile:customer:c-5")["optedOut"], true);
        assert_eq!(doc(&kv, &profile_key(&shopper))["optedOut"], true);
        let back = ProfileUpdate::Privacy {
            visitor: None,
            customer: Some("c-5".into()),
            opted_out: false,
            at_ms: NOW,
        };
        let (docs, _) = run(&[back], &kv);
        let kv = written(&kv, &docs);
        assert_eq!(doc(&kv, &profile_key(&shopper))["optedOut"], json!(null));
        // A visitor with nothing stored: nothing to mark, nothing written.
        let nobody = ProfileUpdate::Privacy {
            visitor: Some(visitor(6)),
            customer: None,
            opted_out: true,
            at_ms: NOW,
        };
        let (docs, _) = run(&[nobody], &BTreeMap::new());
        assert!(docs.writes().is_empty());
    }

    #[test]
    fn a_browser_pushed_out_of_the_family_loses_its_copy() {
        let updates: Vec<ProfileUpdate> = (1..=6u8)
            .map(|i| {
                store(
                    order(&format!("o{i}"), Some("c-9"), NOW + u64::from(i)),
                    Some(visitor(i)),
                )
            })
            .collect();
        let (docs, _) = run(&updates, &BTreeMap::new());
        let kv = written(&BTreeMap::new(), &docs);
        let family = doc(&kv, "profile:customer:c-9")["visitorIds"].clone();
        assert_eq!(family.as_array().map(Vec::len), Some(MAX_LINKED_VISITORS));
        assert!(
            !kv.contains_key(&profile_key(&visitor(1))),
            "the oldest is gone"
        );
        assert!(kv.contains_key(&profile_key(&visitor(6))));
    }

    /// Every key erasure must remove, from either end of the family.
    fn erase(
        kv: &BTreeMap<String, String>,
        visitor: Option<&VisitorId>,
        customer: Option<&str>,
    ) -> (Vec<String>, Vec<String>) {
        let mut docs = Documents::default();
        for _ in 0..4 {
            match erasure(visitor, customer, &docs) {
                Erasure::Need(keys) => {
                    for key in keys {
                        let text = kv.get(&key).map(String::as_str);
                        docs.insert_loaded(key, text);
                    }
                }
                Erasure::Erase { keys, visitor_ids } => return (keys, visitor_ids),
            }
        }
        panic!("erasure did not resolve");
    }

    #[test]
    fn erasure_finds_every_key_of_the_person_from_any_of_their_ids() {
        let (first, second) = (visitor(7), visitor(8));
        let updates = [
            ProfileUpdate::LinkCart {
                cart_token: "cart-1".into(),
                visitor: first.clone(),
                at_ms: NOW,
            },
            store(order("1", Some("c-7"), NOW), Some(first.clone())),
            store(order("2", Some("c-7"), NOW + 1), Some(second.clone())),
        ];
        let (docs, _) = run(&updates, &BTreeMap::new());
        let kv = written(&BTreeMap::new(), &docs);
        let personal: Vec<String> = kv
            .keys()
            .filter(|k| !k.starts_with("webhook:"))
            .cloned()
            .collect();
        assert_eq!(
            personal,
            [
                "cart:cart-1".to_string(),
                "profile:customer:c-7".to_string(),
                profile_key(&first),
                profile_key(&second),
            ]
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
        for (by_visitor, by_customer) in [
            (Some(&first), None),
            (Some(&second), None),
            (None, Some("c-7")),
        ] {
            let (keys, visitors) = erase(&kv, by_visitor, by_customer);
            assert_eq!(keys, personal, "{by_visitor:?} {by_customer:?}");
            let mut expected = vec![first.to_string(), second.to_string()];
            expected.sort();
            assert_eq!(visitors, expected);
        }
        // A visitor never linked to a customer: their own profile and cart links.
        let lone = visitor(9);
        let (docs, _) = run(
            &[ProfileUpdate::LinkCart {
                cart_token: "cart-9".into(),
                visitor: lone.clone(),
                at_ms: NOW,
            }],
            &BTreeMap::new(),
        );
        let kv = written(&BTreeMap::new(), &docs);
        let (keys, visitors) = erase(&kv, Some(&lone), None);
        assert_eq!(keys, ["cart:cart-9".to_string(), profile_key(&lone)]);
        assert_eq!(visitors, [lone.to_string()]);
    }

    #[test]
    fn updates_from_before_an_erasure_cannot_bring_the_person_back() {
        let shopper = visitor(11);
        let (docs, _) = run(
            &[store(order("1", Some("c-11"), NOW), Some(shopper.clone()))],
            &BTreeMap::new(),
        );
        let kv = written(&BTreeMap::new(), &docs);
        let (keys, _) = erase(&kv, None, Some("c-11"));
        // The erasure: every key deleted, a tombstone for each profile.
        let mut kv: BTreeMap<String, String> =
            kv.into_iter().filter(|(k, _)| !keys.contains(k)).collect();
        for write in tombstones(&keys, NOW + 10) {
            if let Write::Put {
                key,
                value,
                ttl_secs,
            } = write
            {
                assert_eq!(ttl_secs, Some(TOMBSTONE_TTL_SECS));
                assert!(
                    !key.contains("c-11") && !key.contains(shopper.as_str()),
                    "{key}"
                );
                kv.insert(key, value);
            }
        }
        // A retry of an order placed before the erasure is dropped ...
        let stale = [store(
            order("2", Some("c-11"), NOW + 5),
            Some(shopper.clone()),
        )];
        let (docs, outcome) = run(&stale, &kv);
        assert_eq!(
            outcome.skipped,
            ["order event evt-2: the profile was erased after it happened"]
        );
        assert!(docs.writes().is_empty(), "{:?}", docs.writes());
        // ... while a new order after it starts a new profile.
        let (docs, _) = run(&[store(order("3", Some("c-11"), NOW + 20), None)], &kv);
        let kv = written(&kv, &docs);
        assert_eq!(doc(&kv, "profile:customer:c-11")["orders"]["count"], 1);
    }
}
