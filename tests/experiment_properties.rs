//! Properties of experiment assignment: deterministic, hashes in [0, 1), and a large
//! simulated population lands where the weights say.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use proptest::prelude::*;
use serde_json::json;
use tailor::experiment::{hash, run, Experiment, RunContext};

fn experiment(weights: &[f64], coverage: f64) -> Experiment {
    let mut e = Experiment::new("sim", weights.iter().map(|_| json!({})).collect());
    e.weights = Some(weights.to_vec());
    e.coverage = Some(coverage);
    e.hash_version = 2;
    e
}

/// Share of 100,000 visitors per variation (and out of the experiment, last).
fn simulate(e: &Experiment) -> Vec<f64> {
    const VISITORS: usize = 100_000;
    let mut counts = vec![0usize; e.variations.len() + 1];
    for i in 0..VISITORS {
        let attributes = json!({"id": format!("visitor-{i}")});
        let outcome = run(
            e,
            &RunContext {
                attributes: Some(&attributes),
                ..RunContext::default()
            },
        );
        let slot = if outcome.in_experiment {
            outcome.variation_id
        } else {
            e.variations.len()
        };
        counts[slot] += 1;
    }
    counts.iter().map(|c| *c as f64 / VISITORS as f64).collect()
}

#[test]
fn a_hundred_thousand_visitors_follow_the_weights() {
    let shares = simulate(&experiment(&[0.5, 0.3, 0.2], 1.0));
    for (share, weight) in shares.iter().zip([0.5, 0.3, 0.2, 0.0]) {
        assert!((share - weight).abs() < 0.01, "{shares:?}");
    }
    let half = simulate(&experiment(&[0.5, 0.5], 0.5));
    for (share, expected) in half.iter().zip([0.25, 0.25, 0.5]) {
        assert!((share - expected).abs() < 0.01, "{half:?}");
    }
}

proptest! {
    #[test]
    fn hashes_are_in_the_unit_interval(seed in ".{0,20}", value in ".{0,40}", version in 1u32..=2) {
        let n = hash(&seed, &value, version).expect("versions 1 and 2 exist");
        prop_assert!((0.0..1.0).contains(&n));
        prop_assert_eq!(hash(&seed, &value, version), Some(n));
    }

    #[test]
    fn assignment_is_deterministic(id in "[a-zA-Z0-9_-]{1,30}", w in 0.05f64..0.95) {
        let e = experiment(&[w, 1.0 - w], 1.0);
        let attributes = json!({"id": id});
        let context = RunContext { attributes: Some(&attributes), ..RunContext::default() };
        let first = run(&e, &context);
        prop_assert!(first.in_experiment);
        prop_assert_eq!(run(&e, &context), first);
    }
}
