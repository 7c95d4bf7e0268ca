//! Likely mistakes in a valid config: things the worker accepts but the merchant probably did
//! not mean. Native only (`tailor validate`); none of them changes what the worker does.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::Config;
use crate::rewrite::{matching_selectors, RewriteError};

/// One likely mistake, located by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigWarning {
    /// Where, e.g. `segments[2]`.
    pub path: String,
    /// What looks wrong, and what follows from it.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// How far experiment weights may be from summing to 1 before it is worth a warning (the
/// config accepts up to 0.001, for weights written as thirds).
const WEIGHT_TOLERANCE: f64 = 1e-6;

/// The likely mistakes of `config`, compiled from `document`, at `now_ms`: segments nothing
/// uses, experiment weights that do not sum to exactly 1, and content past its end date.
pub fn warnings(document: &Value, config: &Config, now_ms: u64) -> Vec<ConfigWarning> {
    let mut found = unused_segments(document, config);
    for (i, plan) in config.experiments.iter().enumerate() {
        let Some(weights) = &plan.spec.weights else {
            continue;
        };
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > WEIGHT_TOLERANCE {
            found.push(ConfigWarning {
                path: format!("experiments[{i}].weights"),
                message: if total < 1.0 {
                    format!(
                        "weights sum to {total}, not 1: visitors hashed into the last {:.6} of buckets get no variation",
                        1.0 - total
                    )
                } else {
                    format!("weights sum to {total}, not 1: the last variation's share is cut short")
                },
            });
        }
    }
    for expired in config.expired(now_ms) {
        let (path, message) = expired.split_once(": ").unwrap_or((&expired, "ended"));
        found.push(ConfigWarning {
            path: path.to_string(),
            message: format!("{message} (content past its end date can be retired)"),
        });
    }
    found
}

/// Segments that no slot content, experiment or other segment refers to: they match
/// visitors but change nothing.
fn unused_segments(document: &Value, config: &Config) -> Vec<ConfigWarning> {
    let other_conditions: Vec<(&str, &Value)> = document["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s.get("id")?.as_str()?, s.get("when")?)))
        .collect();
    let experiment_conditions: Vec<&Value> = document["experiments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("condition"))
        .collect();
    config
        .segments
        .iter()
        .enumerate()
        .filter(|(_, segment)| {
            let id = segment.id.as_str();
            let in_content = config
                .slots
                .iter()
                .any(|slot| slot.content.iter().any(|(s, _)| s == id));
            let targeted = config
                .experiments
                .iter()
                .any(|e| e.spec.segments.iter().any(|s| s == id));
            let in_conditions = other_conditions
                .iter()
                .filter(|(other, _)| *other != id)
                .map(|(_, when)| *when)
                .chain(experiment_conditions.iter().copied())
                .any(|when| mentions(when, id));
            !(in_content || targeted || in_conditions)
        })
        .map(|(i, segment)| ConfigWarning {
            path: format!("segments[{i}]"),
            message: format!(
                "segment {:?} is used by no slot content, experiment or other segment: it changes nothing",
                segment.id
            ),
        })
        .collect()
}

/// Whether `value` contains the string `text` anywhere.
fn mentions(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Array(items) => items.iter().any(|v| mentions(v, text)),
        Value::Object(fields) => fields.values().any(|v| mentions(v, text)),
        _ => false,
    }
}

/// Slots whose selector matches nothing in any of `pages` (name, bytes): the slot would never
/// change those pages.
pub fn unmatched_slots(
    config: &Config,
    pages: &[(String, Vec<u8>)],
) -> Result<Vec<ConfigWarning>, RewriteError> {
    let selectors: Vec<&str> = config.slots.iter().map(|s| s.selector.as_str()).collect();
    let mut matched = vec![false; selectors.len()];
    for (_, page) in pages {
        let found = matching_selectors(&selectors, page)?;
        for (seen, hit) in matched.iter_mut().zip(found) {
            *seen |= hit;
        }
    }
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    Ok(config
        .slots
        .iter()
        .zip(matched)
        .enumerate()
        .filter(|(_, (_, hit))| !hit)
        .map(|(i, (slot, _))| ConfigWarning {
            path: format!("slots[{i}].selector"),
            message: format!(
                "slot {:?}: {:?} matches nothing in {}",
                slot.id,
                slot.selector,
                names.join(", ")
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::check_selector;

    #[test]
    fn likely_mistakes_are_warned_about() {
        let text = r##"{"segments": [{"id": "vip", "when": {"vip": true}},
                         {"id": "unused", "when": {}},
                         {"id": "base", "when": {}},
                         {"id": "derived", "when": {"segments": "base"}}],
            "slots": [{"id": "hero", "selector": "h1", "action": "append",
                       "content": {"vip": "x", "derived": "y"}},
                      {"id": "gone", "selector": "#gone", "action": "remove",
                       "content": {"vip": {"template": "", "schedule": {"end": "2025-01-01"}}}}],
            "experiments": [{"key": "e", "weights": [0.3334, 0.6665],
                             "variations": [{}, {"content": {"hero": "z"}}]}]}"##;
        let document: Value = serde_json::from_str(text).expect("json");
        let config = Config::compile(&document, &check_selector).expect("valid");
        let found: Vec<String> = warnings(&document, &config, 1_795_000_000_000)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("segments[1]: segment \"unused\" is used by no"));
        assert!(found[1].starts_with("experiments[0].weights: weights sum to 0.9999"));
        assert!(found[2].starts_with("slots[1].content.vip: ended 2025-01-01"));

        let page = b"<h1>Hi</h1>".to_vec();
        let unmatched = unmatched_slots(&config, &[("index.html".into(), page)]).expect("ok");
        assert_eq!(
            unmatched
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["slots[1].selector: slot \"gone\": \"#gone\" matches nothing in index.html"]
        );
    }
}
