//! The merchant's product catalog, for recommendations: stored in KV under [`CATALOG_KEY`],
//! parsed, validated and indexed once per isolate (like the config).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::condition::js::to_fixed_2;
use crate::config::ConfigError;
use crate::order::stable_order;
use crate::visitor::timestamp::parse_rfc3339;

/// The KV key of the catalog.
pub const CATALOG_KEY: &str = "catalog";

/// One product.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Product {
    /// Stable id (what profiles and carts reference).
    pub id: String,
    /// URL handle (what the behaviour cookie records).
    pub handle: String,
    /// Display title.
    pub title: String,
    /// Product page URL.
    pub url: String,
    /// Image URL.
    #[serde(default)]
    pub image: Option<String>,
    /// Price in major units.
    pub price: f64,
    /// Price before a sale, if on sale.
    #[serde(default)]
    pub compare_at_price: Option<f64>,
    /// ISO currency code.
    #[serde(default = "usd")]
    pub currency: String,
    /// Category (collection) handles.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Merchant tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether it can be bought now.
    #[serde(default = "yes")]
    pub in_stock: bool,
    /// Higher sells better (best sellers order).
    #[serde(default)]
    pub popularity: f64,
    /// When it was added (new arrivals order), RFC 3339 or a date.
    #[serde(default)]
    pub created_at: Option<String>,
}

fn usd() -> String {
    "USD".to_string()
}

fn yes() -> bool {
    true
}

impl Product {
    /// The product as templates see it (`title`, `url`, `image`, `price`, `priceText`,
    /// `compareAtPrice`, `onSale`, `currency`, `categories`, `tags`, `inStock`, `id`, `handle`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "handle": self.handle, "title": self.title, "url": self.url,
            "image": self.image, "price": self.price, "priceText": to_fixed_2(self.price),
            "compareAtPrice": self.compare_at_price,
            "onSale": self.compare_at_price.is_some_and(|was| was > self.price),
            "currency": self.currency, "categories": self.categories, "tags": self.tags,
            "inStock": self.in_stock,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Document {
    products: Vec<Product>,
    #[serde(default)]
    bought_together: Vec<[String; 2]>,
}

/// A validated, indexed catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    products: Vec<Product>,
    // NOTE: sorted indexes and a Vec rather than HashMaps: each map type costs the Worker
    // several KB of Wasm, and the catalog is built once per isolate.
    /// Indexes by id, for binary search.
    by_id: Vec<usize>,
    /// Indexes by handle, for binary search.
    by_handle: Vec<usize>,
    /// Partners by index.
    partners: Vec<Vec<usize>>,
    best_sellers: Vec<usize>,
    new_arrivals: Vec<usize>,
    /// Each product as templates see it ([`Product::to_json`]), built once with the catalog
    /// rather than on every page view that recommends it.
    as_json: Vec<Value>,
}

impl Catalog {
    /// Parses and validates a catalog document, reporting every problem with its path.
    pub fn parse(text: &str) -> Result<Self, Vec<ConfigError>> {
        let document: Document = serde_json::from_str(text).map_err(|e| {
            vec![ConfigError::new(
                "(catalog)",
                format!("not a valid catalog: {e}"),
            )]
        })?;
        let mut errors = Vec::new();
        let mut catalog = Catalog {
            products: document.products,
            ..Catalog::default()
        };
        let products = &catalog.products;
        // A stable order puts the first product with an id (a handle) before the others that
        // reuse it: those are the duplicates.
        let by = |key: fn(&Product) -> &str| {
            let order = stable_order(products.len(), &mut |a, b| {
                key(&products[a]).cmp(key(&products[b]))
            });
            let mut reused = vec![false; products.len()];
            for pair in order.windows(2) {
                reused[pair[1]] = key(&products[pair[0]]) == key(&products[pair[1]]);
            }
            (order, reused)
        };
        let (by_id, id_reused) = by(|p| &p.id);
        let (by_handle, handle_reused) = by(|p| &p.handle);
        for (index, product) in products.iter().enumerate() {
            let at = |field: &str| format!("products[{index}].{field}");
            if !(product.price.is_finite() && product.price >= 0.0) {
                errors.push(ConfigError::new(
                    at("price"),
                    "must be a number of at least 0",
                ));
            }
            if let Some(created) = &product.created_at {
                if parse_rfc3339(created).is_none() {
                    errors.push(ConfigError::new(
                        at("createdAt"),
                        format!("{created:?} is not a date"),
                    ));
                }
            }
            if id_reused[index] {
                errors.push(ConfigError::new(
                    at("id"),
                    format!("{:?} is used by another product", product.id),
                ));
            }
            if handle_reused[index] {
                errors.push(ConfigError::new(
                    at("handle"),
                    format!("{:?} is used by another product", product.handle),
                ));
            }
        }
        catalog.by_id = by_id;
        catalog.by_handle = by_handle;
        catalog.partners = vec![Vec::new(); catalog.products.len()];
        for (index, pair) in document.bought_together.iter().enumerate() {
            match (catalog.index_of_id(&pair[0]), catalog.index_of_id(&pair[1])) {
                (Some(a), Some(b)) if a != b => {
                    catalog.partners[a].push(b);
                    catalog.partners[b].push(a);
                }
                _ => errors.push(ConfigError::new(
                    format!("boughtTogether[{index}]"),
                    format!("{pair:?} must name two different products of the catalog"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let products = &catalog.products;
        catalog.best_sellers = stable_order(products.len(), &mut |a, b| {
            products[b]
                .popularity
                .total_cmp(&products[a].popularity)
                .then_with(|| products[a].id.cmp(&products[b].id))
        });
        let created = |i: usize| {
            products[i]
                .created_at
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(0)
        };
        // NOTE: ids are unique here, so this order does not depend on the one above.
        catalog.new_arrivals = stable_order(products.len(), &mut |a, b| {
            created(b)
                .cmp(&created(a))
                .then_with(|| products[a].id.cmp(&products[b].id))
        });
        catalog.as_json = catalog.products.iter().map(Product::to_json).collect();
        Ok(catalog)
    }

    /// Every product, in document order.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// A product's index by id.
    pub fn index_of_id(&self, id: &str) -> Option<usize> {
        let found = self
            .by_id
            .binary_search_by(|&i| self.products[i].id.as_str().cmp(id));
        found.ok().map(|k| self.by_id[k])
    }

    /// A product's index by handle.
    pub fn index_of_handle(&self, handle: &str) -> Option<usize> {
        let found = self
            .by_handle
            .binary_search_by(|&i| self.products[i].handle.as_str().cmp(handle));
        found.ok().map(|k| self.by_handle[k])
    }

    /// The product at an index.
    pub fn product(&self, index: usize) -> &Product {
        &self.products[index]
    }

    /// The product at `index` as templates see it ([`Product::to_json`]).
    pub fn product_json(&self, index: usize) -> &Value {
        &self.as_json[index]
    }

    /// Products bought together with the product at `index`.
    pub fn partners(&self, index: usize) -> &[usize] {
        self.partners.get(index).map_or(&[], Vec::as_slice)
    }

    /// Indexes by popularity, best first (ties by id).
    pub fn best_sellers(&self) -> &[usize] {
        &self.best_sellers
    }

    /// Indexes by creation date, newest first (ties by id).
    pub fn new_arrivals(&self) -> &[usize] {
        &self.new_arrivals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fixture() -> Catalog {
        Catalog::parse(include_str!("../../fixtures/catalog.json")).expect("fixture catalog")
    }

    #[test]
    fn the_fixture_catalog_is_valid_and_indexed() {
        let catalog = fixture();
        assert_eq!(catalog.products().len(), 36);
        let shell = catalog
            .index_of_handle("ridgeline-rain-shell")
            .expect("shell");
        assert_eq!(catalog.product(shell).id, "p-1001");
        assert_eq!(catalog.index_of_id("p-1001"), Some(shell));
        assert!(!catalog.partners(shell).is_empty());
        let best = catalog.best_sellers();
        assert!(catalog.product(best[0]).popularity >= catalog.product(best[1]).popularity);
        assert_eq!(catalog.product(shell).to_json()["priceText"], "189.00");
        assert_eq!(
            catalog.product_json(shell),
            &catalog.product(shell).to_json()
        );
    }

    #[test]
    fn broken_catalogs_are_explained() {
        let errors = |text: &str| -> Vec<String> {
            Catalog::parse(text)
                .err()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let product = |id: &str, handle: &str, price: f64| {
            format!(r#"{{"id":"{id}","handle":"{handle}","title":"T","url":"/p","price":{price}}}"#)
        };
        let doc = format!(
            r#"{{"products":[{},{},{}],"boughtTogether":[["a","ghost"],["a","a"]]}}"#,
            product("a", "h1", 1.0),
            product("a", "h2", -3.0),
            product("c", "h1", 2.0)
        );
        assert_eq!(
            errors(&doc),
            [
                "products[1].price: must be a number of at least 0",
                "products[1].id: \"a\" is used by another product",
                "products[2].handle: \"h1\" is used by another product",
                "boughtTogether[0]: [\"a\", \"ghost\"] must name two different products of the catalog",
                "boughtTogether[1]: [\"a\", \"a\"] must name two different products of the catalog",
            ]
        );
        assert!(
            errors(r#"{"products": [{"id": 1}]}"#)[0].starts_with("(catalog): not a valid catalog")
        );
    }
}
