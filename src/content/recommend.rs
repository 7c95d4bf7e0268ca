//! Product recommendations for a slot: a strategy picks candidates from the catalog using the
//! visitor's signals, filters drop what must not be shown, and best sellers fill any gap.
//! Deterministic: the same input gives the same list.
//!
//! | strategy | candidates, best first |
//! | --- | --- |
//! | `categoryAffinity` | products of the categories the visitor cares about: profile affinity scores plus recently browsed categories (most recent weighs most), ties by popularity |
//! | `recentlyViewed` | the products they viewed, most recent first |
//! | `boughtTogether` | products bought together with what they bought (profile), then with what is in their cart, then with the product on this page; never those products themselves, not even in the fill |
//! | `bestSellers` | by popularity |
//! | `newArrivals` | by creation date, newest first |
//!
//! Filters (every strategy): `excludePurchased`, `excludeInCart`, `inStockOnly`, `minPrice`,
//! `maxPrice`, `maxCount` (1–24, default 4). The product of the current page is never shown.

use serde_json::Value;

use super::catalog::Catalog;
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::order::stable_order;

/// How candidates are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The categories the visitor cares about.
    CategoryAffinity,
    /// What they viewed.
    RecentlyViewed,
    /// What goes with what they bought, have in their cart, or are looking at.
    BoughtTogether,
    /// Most popular.
    BestSellers,
    /// Newest.
    NewArrivals,
}

const STRATEGIES: [(&str, Strategy); 5] = [
    ("categoryAffinity", Strategy::CategoryAffinity),
    ("recentlyViewed", Strategy::RecentlyViewed),
    ("boughtTogether", Strategy::BoughtTogether),
    ("bestSellers", Strategy::BestSellers),
    ("newArrivals", Strategy::NewArrivals),
];

/// A slot's recommendation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendations {
    /// The strategy.
    pub strategy: Strategy,
    /// Never show products the visitor bought.
    pub exclude_purchased: bool,
    /// Never show products in their cart.
    pub exclude_in_cart: bool,
    /// Only products in stock.
    pub in_stock_only: bool,
    /// Lowest price shown.
    pub min_price: Option<f64>,
    /// Highest price shown.
    pub max_price: Option<f64>,
    /// How many products at most.
    pub max_count: usize,
}

/// What the visitor's attributes say, for recommendations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// Category → interest score (profile `affinity`).
    pub affinity: Vec<(String, f64)>,
    /// Browsed category handles, most recent first.
    pub recent_categories: Vec<String>,
    /// Viewed product handles, most recent first.
    pub recent_products: Vec<String>,
    /// Bought product ids.
    pub purchased: Vec<String>,
    /// Product ids in the cart.
    pub in_cart: Vec<String>,
    /// The handle of the product on this page.
    pub current_product: Option<String>,
}

impl Signals {
    /// Reads the signals from the visitor's attribute document.
    pub fn from_attributes(attributes: &Value) -> Self {
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            affinity: attributes["preferences"]["affinity"]
                .as_object()
                .map(|scores| {
                    scores
                        .iter()
                        .filter_map(|(c, s)| Some((c.clone(), s.as_f64()?)))
                        .collect()
                })
                .unwrap_or_default(),
            recent_categories: strings(&attributes["visit"]["recentCategories"]),
            recent_products: strings(&attributes["visit"]["recentProducts"]),
            purchased: strings(&attributes["orders"]["products"]),
            in_cart: strings(&attributes["cart"]["productIds"]),
            current_product: attributes["page"]["product"].as_str().map(str::to_string),
        }
    }
}

impl Recommendations {
    /// Reads `{"strategy": ..., "excludePurchased": true, ..., "maxCount": 4}` at `path`.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let before = errors.len();
        let mut reader = ObjectReader::new(value, path, errors);
        let name = reader.required_str("strategy", errors);
        let strategy = STRATEGIES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
        if strategy.is_none() && !name.is_empty() {
            let names: Vec<&str> = STRATEGIES.iter().map(|(n, _)| *n).collect();
            errors.push(ConfigError::new(
                reader.path_of("strategy"),
                format!(
                    "unknown strategy {name:?}; expected one of: {}",
                    names.join(", ")
                ),
            ));
        }
        let mut flag = |key: &'static str, errors: &mut Vec<ConfigError>| {
            reader.optional_bool(key, errors).unwrap_or(false)
        };
        let exclude_purchased = flag("excludePurchased", errors);
        let exclude_in_cart = flag("excludeInCart", errors);
        let in_stock_only = flag("inStockOnly", errors);
        let mut price = |key: &'static str, errors: &mut Vec<ConfigError>| {
            let at = reader.path_of(key);
            match reader.value(key) {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_f64().filter(|p| p.is_finite() && *p >= 0.0) {
                    Some(p) => Some(p),
                    None => {
                        errors.push(ConfigError::new(
                            at,
                            format!("expected a price, found {}", describe_json(v)),
                        ));
                        None
                    }
                },
            }
        };
        let min_price = price("minPrice", errors);
        let max_price = price("maxPrice", errors);
        let max_count = match reader.optional_i64("maxCount", errors) {
            None => 4,
            Some(n @ 1..=24) => n as usize,
            Some(n) => {
                errors.push(ConfigError::new(
                    reader.path_of("maxCount"),
                    format!("{n} is not between 1 and 24"),
                ));
                4
            }
        };
        reader.finish(errors);
        (errors.len() == before).then_some(())?;
        Some(Self {
            strategy: strategy?,
            exclude_purchased,
            exclude_in_cart,
            in_stock_only,
            min_price,
            max_price,
            max_count,
        })
    }

    /// The recommended products (catalog indexes), best first, at most `max_count`.
    pub fn recommend(&self, catalog: &Catalog, signals: &Signals) -> Vec<usize> {
        let ids = |list: &[String]| -> Vec<usize> {
            list.iter()
                .filter_map(|id| catalog.index_of_id(id))
                .collect()
        };
        let purchased = ids(&signals.purchased);
        let in_cart = ids(&signals.in_cart);
        let current = signals
            .current_product
            .as_deref()
            .and_then(|h| catalog.index_of_handle(h));
        // NOTE: what goes with a purchase never includes the purchase itself, even in the fill.
        let complements = self.strategy == Strategy::BoughtTogether;
        let allowed = |index: usize| {
            let product = catalog.product(index);
            Some(index) != current
                && !((self.exclude_purchased || complements) && purchased.contains(&index))
                && !((self.exclude_in_cart || complements) && in_cart.contains(&index))
                && (!self.in_stock_only || product.in_stock)
                && self.min_price.is_none_or(|min| product.price >= min)
                && self.max_price.is_none_or(|max| product.price <= max)
        };
        let mut chosen: Vec<usize> = Vec::with_capacity(self.max_count);
        let take = |candidates: &mut dyn Iterator<Item = usize>, chosen: &mut Vec<usize>| {
            for index in candidates {
                if chosen.len() == self.max_count {
                    break;
                }
                if allowed(index) && !chosen.contains(&index) {
                    chosen.push(index);
                }
            }
        };
        match self.strategy {
            Strategy::BestSellers => {}
            Strategy::NewArrivals => take(&mut catalog.new_arrivals().iter().copied(), &mut chosen),
            Strategy::RecentlyViewed => take(
                &mut signals
                    .recent_products
                    .iter()
                    .filter_map(|h| catalog.index_of_handle(h)),
                &mut chosen,
            ),
            Strategy::BoughtTogether => {
                let anchors: Vec<usize> = purchased
                    .iter()
                    .chain(&in_cart)
                    .chain(current.iter())
                    .copied()
                    .collect();
                let mut partners = anchors
                    .iter()
                    .flat_map(|&anchor| catalog.partners(anchor).iter().copied())
                    .filter(|partner| !anchors.contains(partner));
                take(&mut partners, &mut chosen);
            }
            Strategy::CategoryAffinity => {
                let interest = |category: &str| -> f64 {
                    let affinity = signals
                        .affinity
                        .iter()
                        .find(|(c, _)| c == category)
                        .map_or(0.0, |(_, s)| *s);
                    let browsed = signals
                        .recent_categories
                        .iter()
                        .position(|c| c == category)
                        .map_or(0.0, |rank| 1.0 / (1.0 + rank as f64));
                    affinity + browsed
                };
                let scored: Vec<(f64, usize)> = catalog
                    .best_sellers()
                    .iter()
                    .map(|&i| {
                        (
                            catalog
                                .product(i)
                                .categories
                                .iter()
                                .map(|c| interest(c))
                                .fold(0.0, f64::max),
                            i,
                        )
                    })
                    .filter(|(score, _)| *score > 0.0)
                    .collect();
                // NOTE: a stable sort on the best-seller order keeps popularity as the tie-break.
                let order = stable_order(scored.len(), &mut |a, b| {
                    scored[b].0.total_cmp(&scored[a].0)
                });
                take(&mut order.into_iter().map(|k| scored[k].1), &mut chosen);
            }
        }
        take(&mut catalog.best_sellers().iter().copied(), &mut chosen);
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Product;
    use serde_json::json;

    fn catalog() -> Catalog {
        Catalog::parse(include_str!("../../fixtures/catalog.json")).expect("fixture catalog")
    }

    fn spec(doc: Value) -> Recommendations {
        let mut errors = Vec::new();
        let spec = Recommendations::compile(&doc, "slots[0].recommendations", &mut errors);
        assert_eq!(errors, []);
        spec.expect("valid")
    }

    fn ids(catalog: &Catalog, indexes: &[usize]) -> Vec<String> {
        indexes
            .iter()
            .map(|&i| catalog.product(i).id.clone())
            .collect()
    }

    #[test]
    fn each_strategy_ranks_as_documented() {
        let catalog = catalog();
        let best = ids(&catalog, &catalog.best_sellers()[..4]);
        let newest = ids(&catalog, &catalog.new_arrivals()[..4]);
        let signals = Signals {
            affinity: vec![("footwear".into(), 0.9)],
            recent_products: vec!["cairn-headlamp".into(), "alder-down-parka".into()],
            purchased: vec!["p-1001".into()],
            ..Signals::default()
        };
        let run = |strategy: &str| {
            ids(
                &catalog,
                &spec(json!({"strategy": strategy})).recommend(&catalog, &signals),
            )
        };
        assert_eq!(run("bestSellers"), best, "bestSellers");
        assert_eq!(run("newArrivals"), newest, "newArrivals");
        assert_eq!(
            &run("recentlyViewed")[..2],
            ["p-1036", "p-1002"],
            "recentlyViewed, most recent first"
        );
        let footwear = run("categoryAffinity");
        assert!(
            footwear.iter().all(|id| catalog
                .product(catalog.index_of_id(id).expect("id"))
                .categories
                .contains(&"footwear".to_string())),
            "categoryAffinity: {footwear:?}"
        );
        let together = run("boughtTogether");
        let shell = catalog.index_of_id("p-1001").expect("shell");
        let partners = ids(&catalog, catalog.partners(shell));
        assert!(
            together
                .iter()
                .take(partners.len())
                .all(|id| partners.contains(id)),
            "boughtTogether: {together:?} vs {partners:?}"
        );
        assert!(
            !together.contains(&"p-1001".to_string()),
            "never the product bought"
        );
    }

    #[test]
    fn filters_apply_and_best_sellers_fill_the_gap() {
        let catalog = catalog();
        let signals = Signals {
            recent_products: vec!["cairn-headlamp".into()],
            purchased: vec!["p-1036".into()],
            in_cart: vec![catalog.product(catalog.best_sellers()[0]).id.clone()],
            current_product: Some(catalog.product(catalog.best_sellers()[1]).handle.clone()),
            ..Signals::default()
        };
        let list = spec(json!({"strategy": "recentlyViewed", "excludePurchased": true, "excludeInCart": true,
                               "inStockOnly": true, "minPrice": 20, "maxPrice": 200, "maxCount": 6}))
            .recommend(&catalog, &signals);
        assert_eq!(list.len(), 6, "filled from best sellers");
        for &i in &list {
            let p = catalog.product(i);
            assert!(
                p.in_stock && p.price >= 20.0 && p.price <= 200.0,
                "{}",
                p.id
            );
            assert!(p.id != "p-1036" && !signals.in_cart.contains(&p.id));
            assert_ne!(Some(&p.handle), signals.current_product.as_ref());
        }
    }

    #[test]
    fn each_filter_on_its_own() {
        let catalog = catalog();
        let best = |n: usize| catalog.product(catalog.best_sellers()[n]).clone();
        let signals = Signals {
            purchased: vec![best(0).id],
            in_cart: vec![best(1).id],
            current_product: Some(best(2).handle),
            ..Signals::default()
        };
        type Check = fn(&Product, &Signals) -> bool;
        let cases: [(&str, Value, Check); 6] = [
            (
                "excludePurchased",
                json!({"excludePurchased": true}),
                |p, s| !s.purchased.contains(&p.id),
            ),
            ("excludeInCart", json!({"excludeInCart": true}), |p, s| {
                !s.in_cart.contains(&p.id)
            }),
            ("inStockOnly", json!({"inStockOnly": true}), |p, _| {
                p.in_stock
            }),
            ("minPrice", json!({"minPrice": 100}), |p, _| {
                p.price >= 100.0
            }),
            ("maxPrice", json!({"maxPrice": 40}), |p, _| p.price <= 40.0),
            ("the current product, always", json!({}), |p, s| {
                Some(&p.handle) != s.current_product.as_ref()
            }),
        ];
        for (name, filters, check) in cases {
            let mut doc = json!({"strategy": "bestSellers", "maxCount": 24});
            doc.as_object_mut()
                .expect("object")
                .extend(filters.as_object().expect("object").clone());
            let list = spec(doc).recommend(&catalog, &signals);
            assert!(!list.is_empty(), "{name}: something passes");
            for &i in &list {
                assert!(
                    check(catalog.product(i), &signals),
                    "{name}: {} should be filtered",
                    catalog.product(i).id
                );
            }
        }
        let three = spec(json!({"strategy": "bestSellers", "maxCount": 3}))
            .recommend(&catalog, &Signals::default());
        assert_eq!(three.len(), 3, "maxCount");
    }

    #[test]
    fn bad_settings_are_explained() {
        let mut errors = Vec::new();
        let doc =
            json!({"strategy": "magic", "maxCount": 99, "inStockOnly": "yes", "minPrice": -1});
        assert!(Recommendations::compile(&doc, "r", &mut errors).is_none());
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("r.strategy: unknown strategy \"magic\""));
    }
}
