//! Which kind of page a request is for: a product, a category (collection), the cart, an order
//! confirmation, or anything else. The merchant's config names the URL patterns of each kind;
//! the behaviour cookie records product and category views from the classification.
//!
//! Pattern syntax, one path per pattern:
//! - a literal segment (`products`) matches that segment, ASCII case-insensitively;
//! - `:name` matches any one non-empty segment; `:handle` is the one captured;
//! - `*` (a whole segment, at most once per pattern) matches one or more segments.
//!
//! A trailing slash is tolerated on both sides. URL segments are percent-decoded before they
//! are compared, and the captured handle is lowercased.

use serde_json::Value;

use crate::case;
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::request::url::percent_decode;

/// What kind of page a URL path shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// A product page.
    Product {
        /// The product's handle: percent-decoded and lowercased, not yet sanitized.
        handle: String,
    },
    /// A category (collection) page.
    Category {
        /// The category's handle: percent-decoded and lowercased, not yet sanitized.
        handle: String,
    },
    /// The cart.
    Cart,
    /// The page shown after an order is placed.
    OrderConfirmation,
    /// Anything else.
    Other,
}

/// The compiled URL patterns of each page kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePatterns {
    product: Vec<Pattern>,
    category: Vec<Pattern>,
    cart: Vec<Pattern>,
    order_confirmation: Vec<Pattern>,
}

/// The Shopify-like product patterns used when the config names none.
///
/// NOTE: Shopify also serves a product inside a collection's context, so
/// `/collections/:collection/products/:handle` is a product page, not a category page.
pub const DEFAULT_PRODUCT_PATTERNS: [&str; 2] = [
    "/products/:handle",
    "/collections/:collection/products/:handle",
];

/// The Shopify-like category patterns used when the config names none.
pub const DEFAULT_CATEGORY_PATTERNS: [&str; 1] = ["/collections/:handle"];

/// The Shopify-like cart patterns used when the config names none.
pub const DEFAULT_CART_PATTERNS: [&str; 1] = ["/cart"];

/// The Shopify-like order-confirmation patterns used when the config names none.
///
/// NOTE: both spellings of the checkout's thank-you page are listed because Shopify has used
/// both; a false match costs nothing, a miss loses the purchase signal.
pub const DEFAULT_ORDER_CONFIRMATION_PATTERNS: [&str; 3] = [
    "/orders/confirmation",
    "/checkouts/*/thank_you",
    "/checkouts/*/thank-you",
];

/// The segment name whose value is the product or category handle.
const HANDLE: &str = "handle";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param { is_handle: bool },
}

/// One compiled pattern: the parts before a `*`, and, if there is one, the parts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    head: Vec<Part>,
    tail: Option<Vec<Part>>,
}

impl Default for PagePatterns {
    fn default() -> Self {
        Self {
            product: defaults(&DEFAULT_PRODUCT_PATTERNS, true),
            category: defaults(&DEFAULT_CATEGORY_PATTERNS, true),
            cart: defaults(&DEFAULT_CART_PATTERNS, false),
            order_confirmation: defaults(&DEFAULT_ORDER_CONFIRMATION_PATTERNS, false),
        }
    }
}

fn defaults(patterns: &[&str], needs_handle: bool) -> Vec<Pattern> {
    patterns
        .iter()
        .filter_map(|p| Pattern::parse(p, needs_handle).ok())
        .collect()
}

impl PagePatterns {
    /// Reads and compiles the `pages` object of the config at `path`, collecting every error.
    ///
    /// Shape: `{"product": [...], "category": [...], "cart": [...], "orderConfirmation": [...]}`,
    /// each value a pattern string or an array of them. A kind that is absent (or `null`) keeps
    /// its defaults; an empty array means the kind is never recognised. Invalid patterns are
    /// reported and skipped, so the result is always usable.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> PagePatterns {
        let mut reader = ObjectReader::new(value, path, errors);
        let mut kind = |key: &'static str, default: &[&str], needs_handle: bool| {
            let at = reader.path_of(key);
            match reader.value(key) {
                None | Some(Value::Null) => defaults(default, needs_handle),
                Some(value) => compile_list(value, &at, needs_handle, errors),
            }
        };
        let product = kind("product", &DEFAULT_PRODUCT_PATTERNS, true);
        let category = kind("category", &DEFAULT_CATEGORY_PATTERNS, true);
        let cart = kind("cart", &DEFAULT_CART_PATTERNS, false);
        let order_confirmation = kind(
            "orderConfirmation",
            &DEFAULT_ORDER_CONFIRMATION_PATTERNS,
            false,
        );
        reader.finish(errors);
        PagePatterns {
            product,
            category,
            cart,
            order_confirmation,
        }
    }

    /// Classifies a URL path (query and fragment already stripped).
    ///
    /// NOTE: when patterns of several kinds match, product wins over category, category over
    /// cart, cart over order confirmation; within a kind the first matching pattern wins. A
    /// product or category whose handle decodes to nothing usable still classifies here; the
    /// behaviour cookie decides what it can store.
    pub fn classify(&self, url_path: &str) -> PageKind {
        let segments = split_url_path(url_path);
        if let Some(handle) = first_match(&self.product, &segments) {
            return PageKind::Product { handle };
        }
        if let Some(handle) = first_match(&self.category, &segments) {
            return PageKind::Category { handle };
        }
        if first_match(&self.cart, &segments).is_some() {
            return PageKind::Cart;
        }
        if first_match(&self.order_confirmation, &segments).is_some() {
            return PageKind::OrderConfirmation;
        }
        PageKind::Other
    }
}

fn compile_list(
    value: &Value,
    path: &str,
    needs_handle: bool,
    errors: &mut Vec<ConfigError>,
) -> Vec<Pattern> {
    let items: Vec<(String, &Value)> = match value {
        Value::String(_) => vec![(path.to_string(), value)],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{path}[{i}]"), item))
            .collect(),
        other => {
            errors.push(ConfigError::new(
                path,
                format!(
                    "expected a path pattern or an array of them, found {}",
                    describe_json(other)
                ),
            ));
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter_map(|(at, item)| match item {
            Value::String(text) => match Pattern::parse(text, needs_handle) {
                Ok(pattern) => Some(pattern),
                Err(message) => {
                    errors.push(ConfigError::new(at, format!("{text:?}: {message}")));
                    None
                }
            },
            other => {
                errors.push(ConfigError::new(
                    at,
                    format!("expected a path pattern, found {}", describe_json(other)),
                ));
                None
            }
        })
        .collect()
}

impl Pattern {
    fn parse(text: &str, needs_handle: bool) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err("a pattern must start with '/'".to_string());
        };
        if text.contains(['?', '#']) {
            return Err("a pattern matches the path only: remove the query or fragment".into());
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut head = Vec::new();
        let mut tail: Option<Vec<Part>> = None;
        let mut names: Vec<&str> = Vec::new();
        if !rest.is_empty() {
            for segment in rest.split('/') {
                let part = if segment == "*" {
                    if tail.is_some() {
                        return Err("'*' may appear only once".to_string());
                    }
                    tail = Some(Vec::new());
                    continue;
                } else if let Some(name) = segment.strip_prefix(':') {
                    let named = !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                    if !named {
                        return Err(format!(
                            "{segment:?} is not a valid parameter: use ':' and a name of letters, digits or '_'"
                        ));
                    }
                    if names.contains(&name) {
                        return Err(format!("the parameter ':{name}' appears twice"));
                    }
                    names.push(name);
                    Part::Param {
                        is_handle: name == HANDLE,
                    }
                } else if segment.is_empty() {
                    return Err("empty segment ('//')".to_string());
                } else if segment.contains(['*', ':']) {
                    return Err(format!(
                        "{segment:?}: '*' and ':' must start a segment of their own"
                    ));
                } else {
                    Part::Literal(segment.to_string())
                };
                match tail.as_mut() {
                    Some(after) => after.push(part),
                    None => head.push(part),
                }
            }
        }
        if needs_handle && !names.contains(&HANDLE) {
            return Err("a product or category pattern needs a ':handle' segment".to_string());
        }
        Ok(Self { head, tail })
    }

    /// The captured handle (empty when the pattern has none), if the path matches.
    fn matches(&self, segments: &[String]) -> Option<String> {
        let mut handle = String::new();
        let (head_segments, tail_segments) = match &self.tail {
            None => (segments, &[][..]),
            Some(tail) => {
                // NOTE: '*' takes at least one segment, so a pattern with a star never matches
                // a path of just its fixed parts.
                let fixed = self.head.len().checked_add(tail.len())?;
                if segments.len() <= fixed {
                    return None;
                }
                let (head, rest) = segments.split_at(self.head.len());
                (head, &rest[rest.len() - tail.len()..])
            }
        };
        if head_segments.len() != self.head.len() {
            return None;
        }
        let tail_parts = self.tail.as_deref().unwrap_or(&[]);
        let pairs = self
            .head
            .iter()
            .zip(head_segments)
            .chain(tail_parts.iter().zip(tail_segments));
        for (part, segment) in pairs {
            match part {
                Part::Literal(literal) if literal.eq_ignore_ascii_case(segment) => {}
                Part::Literal(_) => return None,
                Part::Param { .. } if segment.is_empty() => return None,
                Part::Param { is_handle: true } => handle = case::lower(segment),
                Part::Param { is_handle: false } => {}
            }
        }
        Some(handle)
    }
}

fn first_match(patterns: &[Pattern], segments: &[String]) -> Option<String> {
    patterns.iter().find_map(|p| p.matches(segments))
}

/// The path's segments, percent-decoded; one trailing slash is ignored.
fn split_url_path(url_path: &str) -> Vec<String> {
    let trimmed = url_path.strip_prefix('/').unwrap_or(url_path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split('/').map(percent_decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product(handle: &str) -> PageKind {
        PageKind::Product {
            handle: handle.to_string(),
        }
    }

    fn category(handle: &str) -> PageKind {
        PageKind::Category {
            handle: handle.to_string(),
        }
    }

    fn compile(doc: Value) -> (PagePatterns, Vec<String>) {
        let mut errors = Vec::new();
        let patterns = PagePatterns::compile(&doc, "pages", &mut errors);
        (patterns, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn default_patterns_classify_a_shopify_storefront() {
        let patterns = PagePatterns::default();
        let cases = [
            ("plain product", "/products/boot", product("boot")),
            ("trailing slash", "/products/boot/", product("boot")),
            (
                "decoded and lowercased",
                "/products/Red%20Boot",
                product("red boot"),
            ),
            (
                "encoded slash stays in the handle",
                "/products/a%2Fb",
                product("a/b"),
            ),
            ("utf-8 escapes", "/products/caf%C3%A9", product("café")),
            (
                "malformed escape kept",
                "/products/100%zz",
                product("100%zz"),
            ),
            ("literal case ignored", "/PRODUCTS/Boot", product("boot")),
            (
                "product in a collection",
                "/collections/summer/products/boot",
                product("boot"),
            ),
            ("category", "/collections/summer", category("summer")),
            ("collections index", "/collections", PageKind::Other),
            ("products index", "/products/", PageKind::Other),
            ("empty handle", "/products//", PageKind::Other),
            (
                "deeper than a product",
                "/products/boot/extra",
                PageKind::Other,
            ),
            ("cart", "/cart", PageKind::Cart),
            ("cart slash", "/cart/", PageKind::Cart),
            ("cart subpage", "/cart/change", PageKind::Other),
            (
                "order confirmation",
                "/orders/confirmation",
                PageKind::OrderConfirmation,
            ),
            (
                "thank you",
                "/checkouts/abc123/thank_you",
                PageKind::OrderConfirmation,
            ),
            (
                "thank you, deeper token",
                "/checkouts/c/abc/thank-you",
                PageKind::OrderConfirmation,
            ),
            (
                "star needs a segment",
                "/checkouts/thank_you",
                PageKind::Other,
            ),
            ("checkout itself", "/checkouts/abc123", PageKind::Other),
            ("root", "/", PageKind::Other),
            ("empty", "", PageKind::Other),
            ("no leading slash", "products/boot", product("boot")),
        ];
        for (name, path, expected) in cases {
            assert_eq!(patterns.classify(path), expected, "case {name:?}: {path}");
        }
    }

    #[test]
    fn configured_patterns_with_locales_and_several_per_kind() {
        let (patterns, errors) = compile(json!({
            "product": ["/:locale/p/:handle", "/p/:handle"],
            "category": "/:locale/c/:handle",
            "cart": [],
            "orderConfirmation": ["/done/*"],
        }));
        assert!(errors.is_empty(), "{errors:#?}");
        let cases = [
            ("locale product", "/fr/p/Chapeau", product("chapeau")),
            ("bare product", "/p/hat", product("hat")),
            (
                "default product pattern replaced",
                "/products/hat",
                PageKind::Other,
            ),
            ("locale category", "/en-ca/c/hats", category("hats")),
            ("category needs the locale", "/c/hats", PageKind::Other),
            (
                "default category pattern replaced",
                "/collections/hats",
                PageKind::Other,
            ),
            ("cart disabled", "/cart", PageKind::Other),
            (
                "star takes the rest",
                "/done/a/b/c",
                PageKind::OrderConfirmation,
            ),
            ("star takes one or more", "/done", PageKind::Other),
        ];
        for (name, path, expected) in cases {
            assert_eq!(patterns.classify(path), expected, "case {name:?}: {path}");
        }
    }

    #[test]
    fn absent_kinds_keep_their_defaults() {
        let (patterns, errors) = compile(json!({"product": "/item/:handle", "cart": null}));
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(patterns.classify("/item/x"), product("x"));
        assert_eq!(patterns.classify("/collections/x"), category("x"));
        assert_eq!(patterns.classify("/cart"), PageKind::Cart);
        assert_eq!(
            patterns.classify("/orders/confirmation"),
            PageKind::OrderConfirmation
        );
        let (empty, errors) = compile(json!({}));
        assert!(errors.is_empty());
        assert_eq!(empty, PagePatterns::default());
    }

    #[test]
    fn product_wins_when_kinds_overlap() {
        let (patterns, _) = compile(json!({
            "product": "/x/:handle",
            "category": "/x/:handle",
            "cart": "/x/*",
        }));
        assert_eq!(patterns.classify("/x/a"), product("a"));
        assert_eq!(patterns.classify("/x/a/b"), PageKind::Cart);
    }

    #[test]
    fn invalid_patterns_are_reported_with_their_paths() {
        let (patterns, errors) = compile(json!({
            "product": ["/products/:id", "products/:handle", "/p/:handle"],
            "category": "/c/:handle/:handle",
            "cart": 3,
            "orderConfirmation": ["/a/*/b/*", "/a//b", "/a/:", "/a/x*", "/a?b=1", true],
            "carts": "/carts",
        }));
        assert_eq!(
            errors,
            [
                "pages.product[0]: \"/products/:id\": a product or category pattern needs a ':handle' segment",
                "pages.product[1]: \"products/:handle\": a pattern must start with '/'",
                "pages.category: \"/c/:handle/:handle\": the parameter ':handle' appears twice",
                "pages.cart: expected a path pattern or an array of them, found 3",
                "pages.orderConfirmation[0]: \"/a/*/b/*\": '*' may appear only once",
                "pages.orderConfirmation[1]: \"/a//b\": empty segment ('//')",
                "pages.orderConfirmation[2]: \"/a/:\": \":\" is not a valid parameter: use ':' and a name of letters, digits or '_'",
                "pages.orderConfirmation[3]: \"/a/x*\": \"x*\": '*' and ':' must start a segment of their own",
                "pages.orderConfirmation[4]: \"/a?b=1\": a pattern matches the path only: remove the query or fragment",
                "pages.orderConfirmation[5]: expected a path pattern, found true",
                "pages.carts: unknown field (did you mean \"cart\"?); expected one of: product, category, cart, orderConfirmation",
            ]
        );
        // The valid pattern survives; the broken kinds recognise nothing.
        assert_eq!(patterns.classify("/p/a"), product("a"));
        assert_eq!(patterns.classify("/cart"), PageKind::Other);
    }

    #[test]
    fn a_non_object_is_reported_and_the_defaults_apply() {
        let (patterns, errors) = compile(json!(["/products/:handle"]));
        assert_eq!(
            errors,
            ["pages: expected an object, found an array of 1 items"]
        );
        assert_eq!(patterns, PagePatterns::default());
    }
}
