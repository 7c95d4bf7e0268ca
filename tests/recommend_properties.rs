//! Properties of recommendations over the fixture catalog and arbitrary signals: with the
//! exclusion filters on, never a purchased or in-cart product; never the product on the page;
//! never a duplicate; never more than asked; never a panic.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::json;
use tailor::content::{Catalog, Recommendations, Signals};

fn catalog() -> Catalog {
    Catalog::parse(include_str!("../fixtures/catalog.json")).expect("fixture catalog")
}

fn product_ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((1001u32..1040).prop_map(|n| format!("p-{n}")), 0..12)
}

fn handles(catalog: &Catalog) -> Vec<String> {
    catalog
        .products()
        .iter()
        .map(|p| p.handle.clone())
        .chain(["no-such-product".to_string()])
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn exclusions_always_hold(
        strategy in prop::sample::select(vec!["categoryAffinity", "recentlyViewed", "boughtTogether", "bestSellers", "newArrivals"]),
        purchased in product_ids(),
        in_cart in product_ids(),
        recent in prop::collection::vec(0usize..40, 0..10),
        current in prop::option::of(0usize..40),
        max_count in 1usize..=24,
        affinity in prop::collection::vec(("[a-z]{3,9}|outerwear|footwear|accessories", -2.0f64..2.0), 0..4),
    ) {
        let catalog = catalog();
        let all = handles(&catalog);
        let pick = |i: usize| all[i % all.len()].clone();
        let signals = Signals {
            affinity,
            recent_categories: vec!["footwear".into(), "outerwear".into()],
            recent_products: recent.iter().map(|&i| pick(i)).collect(),
            purchased: purchased.clone(),
            in_cart: in_cart.clone(),
            current_product: current.map(pick),
        };
        let mut errors = Vec::new();
        let spec = Recommendations::compile(
            &json!({"strategy": strategy, "excludePurchased": true, "excludeInCart": true, "maxCount": max_count}),
            "r",
            &mut errors,
        ).expect("valid spec");
        let list = spec.recommend(&catalog, &signals);
        prop_assert!(list.len() <= max_count);
        let mut seen = std::collections::HashSet::new();
        for &i in &list {
            let product = catalog.product(i);
            prop_assert!(seen.insert(i), "duplicate {}", product.id);
            prop_assert!(!purchased.contains(&product.id), "purchased {}", product.id);
            prop_assert!(!in_cart.contains(&product.id), "in cart {}", product.id);
            prop_assert_ne!(Some(&product.handle), signals.current_product.as_ref());
        }
    }
}
