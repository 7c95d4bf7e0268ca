//! The visitor's cart: item count and when it last changed, read from the stored profile or
//! from cookies the storefront sets (configurable), and whether it counts as abandoned.

use serde_json::{json, Value};

use super::customer::last_order_ms;
use super::timestamp::{format_rfc3339, timestamp_ms, whole_minutes_between, MINUTE_MS};
use super::Profile;
use crate::config::read::ObjectReader;
use crate::config::ConfigError;
use crate::request::RequestFacts;

/// A cart untouched for this long, with items and no order since, is abandoned.
pub const ABANDONED_AFTER_MS: u64 = 30 * MINUTE_MS;

/// Where the cart state comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CartSource {
    /// `cart.itemCount`, `cart.items` and `cart.updatedAt` in the profile (kept current by the
    /// merchant's systems or webhooks).
    #[default]
    Profile,
    /// Cookies the storefront's theme sets: an item count, and optionally when the cart last
    /// changed (Unix seconds, Unix milliseconds or RFC 3339).
    Cookies {
        /// Cookie holding the item count.
        count: String,
        /// Cookie holding the last change time.
        updated_at: Option<String>,
    },
}

impl CartSource {
    /// Reads the config's `cart` object: `{"source": "profile"}` or
    /// `{"source": "cookies", "countCookie": "cart_count", "updatedAtCookie": "cart_ts"}`.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Self {
        let mut reader = ObjectReader::new(value, path, errors);
        let source = reader.optional_str("source", errors);
        let count = reader.optional_str("countCookie", errors);
        let updated_at = reader.optional_str("updatedAtCookie", errors);
        let result = match source.as_deref() {
            None | Some("profile") => Self::Profile,
            Some("cookies") => match count {
                Some(count) => Self::Cookies { count, updated_at },
                None => {
                    errors.push(ConfigError::new(
                        reader.path_of("countCookie"),
                        "is required when the source is \"cookies\"",
                    ));
                    Self::Profile
                }
            },
            Some(other) => {
                errors.push(ConfigError::new(
                    reader.path_of("source"),
                    format!("unknown cart source {other:?}; expected \"profile\" or \"cookies\""),
                ));
                Self::Profile
            }
        };
        reader.finish(errors);
        result
    }
}

/// The cart as read for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cart {
    /// Units in the cart.
    pub item_count: u64,
    /// Product ids in the cart (profile source only).
    pub product_ids: Vec<String>,
    /// The cart's lines as the profile has them (`productId`, `title`, `quantity`, `price`,
    /// ...), for templates; empty for the cookie source.
    pub items: Vec<Value>,
    /// When the cart last changed, if known.
    pub updated_at_ms: Option<u64>,
}

impl Cart {
    /// Reads the cart from the configured source.
    pub fn read(source: &CartSource, request: &RequestFacts, profile: Option<&Profile>) -> Self {
        match source {
            CartSource::Profile => {
                let cart = profile.and_then(|p| p.fields().get("cart"));
                let items: Vec<&Value> = cart
                    .and_then(|c| c.get("items"))
                    .and_then(Value::as_array)
                    .map(|items| items.iter().collect())
                    .unwrap_or_default();
                let counted: u64 = items
                    .iter()
                    .map(|item| item.get("quantity").and_then(Value::as_u64).unwrap_or(1))
                    .sum();
                Self {
                    item_count: cart
                        .and_then(|c| c.get("itemCount"))
                        .and_then(Value::as_u64)
                        .unwrap_or(counted),
                    product_ids: items
                        .iter()
                        .filter_map(|item| item.get("productId")?.as_str().map(str::to_string))
                        .collect(),
                    items: items
                        .into_iter()
                        .filter(|item| item.is_object())
                        .cloned()
                        .collect(),
                    updated_at_ms: cart.and_then(|c| timestamp_ms(c.get("updatedAt")?)),
                }
            }
            CartSource::Cookies { count, updated_at } => Self {
                item_count: request
                    .cookie(count)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(0),
                product_ids: Vec::new(),
                items: Vec::new(),
                updated_at_ms: updated_at
                    .as_deref()
                    .and_then(|name| request.cookie(name))
                    .and_then(cookie_time),
            },
        }
    }

    /// Abandoned: items in it, untouched for 30 minutes or more, and no order (in the profile,
    /// or seen by this browser at `last_purchase_ms`) since it last changed.
    pub fn is_abandoned(
        &self,
        profile: Option<&Profile>,
        last_purchase_ms: Option<u64>,
        now_ms: u64,
    ) -> bool {
        let Some(updated) = self.updated_at_ms else {
            return false;
        };
        let ordered_since = [last_order_ms(profile), last_purchase_ms]
            .into_iter()
            .flatten()
            .any(|ordered| ordered >= updated);
        self.item_count > 0
            && now_ms.saturating_sub(updated) >= ABANDONED_AFTER_MS
            && !ordered_since
    }

    /// The `cart` attributes.
    pub fn attributes(&self, abandoned: bool, now_ms: u64) -> Value {
        json!({
            "itemCount": self.item_count,
            "productIds": self.product_ids,
            "items": self.items,
            "updatedAt": self.updated_at_ms.map(format_rfc3339),
            "minutesSinceUpdate": self.updated_at_ms.map(|t| whole_minutes_between(t, now_ms)),
            "abandoned": abandoned,
        })
    }
}

/// A cookie time: Unix seconds, Unix milliseconds, or RFC 3339.
fn cookie_time(value: &str) -> Option<u64> {
    let value = value.trim();
    match value.parse::<u64>() {
        // NOTE: ten digits of seconds last until the year 2286; more digits are milliseconds.
        Ok(n) if n < 10_000_000_000 => Some(n * 1000),
        Ok(n) => Some(n),
        Err(_) => timestamp_ms(&Value::String(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_793_613_600_000;

    fn profile(value: Value) -> Profile {
        Profile::parse(&value.to_string()).expect("object")
    }

    fn cart_updated(minutes_ago: u64, extra_ms: u64) -> Cart {
        Cart {
            item_count: 2,
            product_ids: vec![],
            items: vec![],
            updated_at_ms: Some(NOW - minutes_ago * MINUTE_MS + extra_ms),
        }
    }

    #[test]
    fn abandonment_starts_at_exactly_thirty_minutes() {
        assert!(cart_updated(30, 0).is_abandoned(None, None, NOW));
        assert!(
            !cart_updated(30, 1).is_abandoned(None, None, NOW),
            "29:59.999 is not yet"
        );
        let empty = Cart {
            item_count: 0,
            ..cart_updated(60, 0)
        };
        assert!(!empty.is_abandoned(None, None, NOW));
        let unknown_time = Cart {
            updated_at_ms: None,
            ..cart_updated(60, 0)
        };
        assert!(!unknown_time.is_abandoned(None, None, NOW));
    }

    #[test]
    fn an_order_since_the_last_cart_change_means_not_abandoned() {
        let cart = cart_updated(120, 0);
        let ordered_after =
            profile(json!({"orders": {"lastAt": format_rfc3339(NOW - 60 * MINUTE_MS)}}));
        assert!(!cart.is_abandoned(Some(&ordered_after), None, NOW));
        let ordered_before =
            profile(json!({"orders": {"lastAt": format_rfc3339(NOW - 500 * MINUTE_MS)}}));
        assert!(cart.is_abandoned(Some(&ordered_before), None, NOW));
        assert!(
            !cart.is_abandoned(Some(&ordered_before), Some(NOW - MINUTE_MS), NOW),
            "a purchase this browser just made counts before KV knows it"
        );
    }

    #[test]
    fn the_profile_cart_counts_quantities_when_no_count_is_given() {
        let p = profile(json!({"cart": {"items": [
            {"productId": "p-1", "quantity": 2}, {"productId": "p-2"}
        ], "updatedAt": "2026-11-02T09:00:00Z"}}));
        let cart = Cart::read(&CartSource::Profile, &RequestFacts::default(), Some(&p));
        assert_eq!(cart.item_count, 3);
        assert_eq!(cart.product_ids, ["p-1", "p-2"]);
        assert_eq!(cart.items.len(), 2);
        assert_eq!(cart.attributes(false, NOW)["minutesSinceUpdate"], 60);
    }

    #[test]
    fn the_cookie_cart_reads_counts_and_times_in_any_unit() {
        let source = CartSource::Cookies {
            count: "cart_count".into(),
            updated_at: Some("cart_ts".into()),
        };
        for ts in ["1793610000", "1793610000000", "2026-11-02T09:00:00Z"] {
            let request = RequestFacts::get("/", Some(&format!("cart_count=3; cart_ts={ts}")), NOW);
            let cart = Cart::read(&source, &request, None);
            assert_eq!(cart.item_count, 3);
            assert_eq!(cart.updated_at_ms, Some(1_793_610_000_000), "{ts}");
        }
        let garbage = RequestFacts::get("/", Some("cart_count=lots; cart_ts=soon"), NOW);
        assert_eq!(Cart::read(&source, &garbage, None), Cart::default());
    }

    #[test]
    fn cart_source_config_is_validated() {
        let mut errors = Vec::new();
        let source = CartSource::compile(
            &json!({"source": "cookies", "countCookie": "n"}),
            "cart",
            &mut errors,
        );
        assert_eq!(
            source,
            CartSource::Cookies {
                count: "n".into(),
                updated_at: None
            }
        );
        CartSource::compile(&json!({"source": "cookies"}), "cart", &mut errors);
        CartSource::compile(&json!({"source": "magic"}), "cart", &mut errors);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "cart.countCookie: is required when the source is \"cookies\"",
                "cart.source: unknown cart source \"magic\"; expected \"profile\" or \"cookies\"",
            ]
        );
    }
}
