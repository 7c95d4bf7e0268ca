//! The bandit cron: on each Cron Trigger, experiments run as bandits get new weights by
//! Thompson sampling over their D1 totals, written to KV for every isolate's next config load.

use serde_json::{json, Map, Value};
use worker::{console_error, console_log, Env};

use super::event_store::query;
use super::settings::Settings;
use super::store;
use crate::assignment::BANDIT_WEIGHTS_KEY;
use crate::events::{arm_totals, EXPERIMENT_TOTALS_SQL};
use crate::stats::thompson_weights;

/// Posterior draws per reallocation: enough for weights stable to about ±1%.
const DRAWS: u32 = 10_000;

/// Recomputes and stores the weights of every bandit experiment.
pub async fn reallocate(env: &Env, now_ms: f64) {
    let settings = Settings::of(env);
    let Some(config) = store::config(env, &settings, now_ms).await else {
        return;
    };
    let mut document = Map::new();
    for plan in config.experiments.iter().filter(|p| p.spec.active) {
        let Some(bandit) = plan.spec.bandit else {
            continue;
        };
        let key = &plan.spec.key;
        let rows = match query(env, EXPERIMENT_TOTALS_SQL, json!(key)).await {
            Ok(rows) => rows,
            Err(reason) => {
                console_error!("tailor: bandit {key}: totals unavailable ({reason})");
                continue;
            }
        };
        let names: Vec<String> = plan.variations.iter().map(|v| v.name.clone()).collect();
        let arms = arm_totals(&rows, &names);
        match thompson_weights(&arms, bandit.min_sample, bandit.floor, DRAWS, now_ms as u64) {
            Some(weights) => {
                console_log!("tailor: bandit {key}: new weights {weights:?}");
                document.insert(
                    key.clone(),
                    json!({"weights": weights, "updatedAt": now_ms as u64}),
                );
            }
            None => console_log!(
                "tailor: bandit {key}: waiting for {} visitors per arm before reallocating",
                bandit.min_sample
            ),
        }
    }
    if document.is_empty() {
        return;
    }
    let text = Value::Object(document).to_string();
    let written = match env.kv(super::KV_BINDING) {
        Ok(kv) => match kv.put(BANDIT_WEIGHTS_KEY, text) {
            Ok(put) => put.execute().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(reason) = written {
        console_error!("tailor: bandit weights not written ({reason})");
    }
}
