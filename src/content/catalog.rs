//! The merchant's product catalog, for recommendations: stored in KV under [`CATALOG_KEY`],
//! parsed, validated and indexed once per isolate (like the config).

use serde_json::{json, Value};

use crate::condition::js::to_fixed_2;
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::order::stable_order;
use crate::visitor::timestamp::parse_rfc3339;

/// The KV key of the catalog.
pub const CATALOG_KEY: &str = "catalog";

/// One product.
#[derive(Debug, Clone, PartialEq)]
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
    pub image: Option<String>,
    /// Price in major units.
    pub price: f64,
    /// Price before a sale, if on sale.
    pub compare_at_price: Option<f64>,
    /// ISO currency code.
    pub currency: String,
    /// Category (collection) handles.
    pub categories: Vec<String>,
    /// Merchant tags.
    pub tags: Vec<String>,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Higher sells better (best sellers order).
    pub popularity: f64,
    /// When it was added (new arrivals order), RFC 3339 or a date.
    pub created_at: Option<String>,
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

// NOTE: read from a parsed `Value` by hand rather than with serde's derive: every shape
// problem is reported with its path, not only the first, and the page Worker links none of
// serde's typed deserialization (which, through its error messages, pulls in the standard
// library's float formatting: about 20 KB of Wasm).
impl Product {
    /// Reads the product at `path`, reporting each problem there; `None` if it is not a product
    /// (a field missing, of the wrong type, or unknown).
    fn read(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Option<Product> {
        let before = errors.len();
        let mut reader = ObjectReader::new(value, path, errors);
        if !value.is_object() {
            return None;
        }
        let id = required_text(&mut reader, "id", errors);
        let handle = required_text(&mut reader, "handle", errors);
        let title = required_text(&mut reader, "title", errors);
        let url = required_text(&mut reader, "url", errors);
        let image = reader.optional_str("image", errors);
        let price = number(&mut reader, "price", errors);
        if price.is_none() && !matches!(reader.value("price"), Some(v) if !v.is_null()) {
            errors.push(ConfigError::new(reader.path_of("price"), "is required"));
        }
        let compare_at_price = number(&mut reader, "compareAtPrice", errors);
        let currency = reader.optional_str("currency", errors);
        let categories = texts(&mut reader, "categories", errors);
        let tags = texts(&mut reader, "tags", errors);
        let in_stock = reader.optional_bool("inStock", errors);
        let popularity = number(&mut reader, "popularity", errors);
        let created_at = reader.optional_str("createdAt", errors);
        // A product with the right shape is kept even when its values are wrong, so that the
        // checks across products (duplicate ids and handles) still see it.
        let well_formed = errors.len() == before;
        let price = price.unwrap_or_default();
        if !(price.is_finite() && price >= 0.0) {
            errors.push(ConfigError::new(
                reader.path_of("price"),
                "must be a number of at least 0",
            ));
        }
        if let Some(created) = &created_at {
            if parse_rfc3339(created).is_none() {
                errors.push(ConfigError::new(
                    reader.path_of("createdAt"),
                    format!("{created:?} is not a date"),
                ));
            }
        }
        let known_fields_only = {
            let before = errors.len();
            reader.finish(errors);
            errors.len() == before
        };
        (well_formed && known_fields_only).then(|| Product {
            id: id.unwrap_or_default(),
            handle: handle.unwrap_or_default(),
            title: title.unwrap_or_default(),
            url: url.unwrap_or_default(),
            image,
            price,
            compare_at_price,
            currency: currency.unwrap_or_else(|| "USD".to_string()),
            categories,
            tags,
            in_stock: in_stock.unwrap_or(true),
            popularity: popularity.unwrap_or(0.0),
            created_at,
        })
    }
}

/// A string field that must be present and not null.
fn required_text(
    reader: &mut ObjectReader,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    match reader.value(key) {
        None | Some(Value::Null) => {
            errors.push(ConfigError::new(reader.path_of(key), "is required"));
            None
        }
        Some(_) => reader.optional_str(key, errors),
    }
}

/// An optional number field (`null` counts as absent).
fn number(
    reader: &mut ObjectReader,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<f64> {
    match reader.value(key)? {
        Value::Number(n) => n.as_f64(),
        Value::Null => None,
        other => {
            errors.push(ConfigError::new(
                reader.path_of(key),
                format!("expected a number, found {}", describe_json(other)),
            ));
            None
        }
    }
}

/// An optional array of strings, each wrong item reported with its path.
fn texts(
    reader: &mut ObjectReader,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Vec<String> {
    let mut found = Vec::new();
    for (path, item) in reader.optional_array(key, errors) {
        match item {
            Value::String(text) => found.push(text.clone()),
            other => errors.push(ConfigError::new(
                path,
                format!("expected a string, found {}", describe_json(other)),
            )),
        }
    }
    found
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
        let document: Value = serde_json::from_str(text).map_err(|e| {
            vec![ConfigError::new(
                "(catalog)",
                format!("not valid JSON: {e}"),
            )]
        })?;
        if !document.is_object() {
            return Err(vec![ConfigError::new(
                "(catalog)",
                format!("expected an object, found {}", describe_json(&document)),
            )]);
        }
        let mut errors = Vec::new();
        let mut reader = ObjectReader::new(&document, "", &mut errors);
        if matches!(reader.value("products"), None | Some(Value::Null)) {
            errors.push(ConfigError::new("products", "is required"));
        }
        // Each product read is kept with its place in the document, for the paths below.
        let products_listed = matches!(reader.value("products"), Some(Value::Array(_)));
        let listed = reader.optional_array("products", &mut errors);
        let mut places = Vec::new();
        let mut products = Vec::new();
        for (place, (path, value)) in listed.iter().enumerate() {
            if let Some(product) = Product::read(value, path, &mut errors) {
                places.push(place);
                products.push(product);
            }
        }
        let all_read = products_listed && products.len() == listed.len();
        let mut pairs = Vec::new();
        for (path, value) in reader.optional_array("boughtTogether", &mut errors) {
            match value.as_array().map(Vec::as_slice) {
                Some([Value::String(a), Value::String(b)]) => pairs.push((path, [a, b])),
                _ => errors.push(ConfigError::new(
                    path,
                    format!("expected two product ids, found {}", describe_json(value)),
                )),
            }
        }
        reader.finish(&mut errors);
        let mut catalog = Catalog {
            products,
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
            let at = |field: &str| format!("products[{}].{field}", places[index]);
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
        // A pair is only checked against a catalog whose every product was read: one naming a
        // product with a mistake would be reported twice.
        for (path, [a, b]) in pairs.into_iter().filter(|_| all_read) {
            match (catalog.index_of_id(a), catalog.index_of_id(b)) {
                (Some(a), Some(b)) if a != b => {
                    catalog.partners[a].push(b);
                    catalog.partners[b].push(a);
                }
                _ => errors.push(ConfigError::new(
                    path,
                    format!(
                        "{:?} must name two different products of the catalog",
                        [a, b]
                    ),
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

    /// Every error a catalog document gets, as the log and the CLI print them.
    fn errors(text: &str) -> Vec<String> {
        Catalog::parse(text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn broken_catalogs_are_explained() {
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
        assert!(errors("{\"products\": [")
            .join("")
            .starts_with("(catalog): not valid JSON"));
    }

    #[test]
    fn every_shape_problem_is_named_with_its_path() {
        let doc = r#"{
            "products": [
                {"id": 1, "title": "T", "url": "/p", "price": "9.99", "tags": ["a", 2],
                 "inStock": "yes", "colour": "red"},
                {"id": "b", "handle": "b", "title": null, "url": "/b", "price": -1,
                 "createdAt": "soon"},
                {"id": "c", "handle": "c", "title": "C", "url": "/c"},
                "p-4"
            ],
            "boughtTogether": [["b", "c"], ["b"], "b+c"],
            "related": []
        }"#;
        assert_eq!(
            errors(doc),
            [
                "products[0].id: expected a string, found 1",
                "products[0].handle: is required",
                "products[0].price: expected a number, found \"9.99\"",
                "products[0].tags[1]: expected a string, found 2",
                "products[0].inStock: expected true or false, found \"yes\"",
                "products[0].colour: unknown field; expected one of: id, handle, title, url, \
                 image, price, compareAtPrice, currency, categories, tags, inStock, popularity, \
                 createdAt",
                "products[1].title: is required",
                "products[1].price: must be a number of at least 0",
                "products[1].createdAt: \"soon\" is not a date",
                "products[2].price: is required",
                "products[3]: expected an object, found \"p-4\"",
                "boughtTogether[1]: expected two product ids, found an array of 1 items",
                "boughtTogether[2]: expected two product ids, found \"b+c\"",
                "related: unknown field; expected one of: products, boughtTogether",
            ]
        );
        assert_eq!(errors("{}"), ["products: is required"]);
        assert_eq!(errors(r#"{"products": null}"#), ["products: is required"]);
        assert!(
            Catalog::parse(r#"{"products": []}"#).is_ok(),
            "an empty catalog is valid"
        );
        assert_eq!(
            errors(r#"{"products": {"p-1": "not a list"}}"#),
            ["products: expected an array, found an object"]
        );
        assert_eq!(
            errors("[]"),
            ["(catalog): expected an object, found an array of 0 items"]
        );
    }

    #[test]
    fn defaults_fill_the_optional_fields() {
        let catalog = Catalog::parse(
            r#"{"products": [{"id": "a", "handle": "a", "title": "A", "url": "/a",
                "price": 5, "image": null, "compareAtPrice": null, "popularity": null}]}"#,
        )
        .expect("valid");
        assert_eq!(
            catalog.product(0),
            &Product {
                id: "a".into(),
                handle: "a".into(),
                title: "A".into(),
                url: "/a".into(),
                image: None,
                price: 5.0,
                compare_at_price: None,
                currency: "USD".into(),
                categories: Vec::new(),
                tags: Vec::new(),
                in_stock: true,
                popularity: 0.0,
                created_at: None,
            }
        );
    }
}
