//! Experiments and the global holdout for one page view: which variant of each running
//! experiment the visitor gets (sticky across weight changes), what that changes (slot content,
//! or the page itself for split-URL tests), and which exposures to record.
//!
//! The bucketing itself is GrowthBook's ([`crate::experiment`]); this module ties it to the
//! rest of the config: variations are written as slot content, experiments can target
//! segments, and every decision is kept with its reason.

use serde::Serialize;
use serde_json::Value;

use crate::condition::SavedGroups;
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::content::{Content, Override, Slot, StoreOffset};
use crate::experiment::{
    hash, run, with_query_of, Experiment, Outcome, RunContext, StickyAssignments, StickyDocs,
};

/// The reserved experiment key under which the holdout is recorded: variant 0 sees
/// personalization, variant 1 is held out. Its report is the lift of personalization as a
/// whole.
pub const HOLDOUT_KEY: &str = "holdout";

/// A compiled experiment: GrowthBook's definition plus what each variation changes.
#[derive(Debug, Clone)]
pub struct ExperimentPlan {
    /// Bucketing and targeting, GrowthBook-compatible.
    pub spec: Experiment,
    /// What each variation does, in variation order (0 is the control).
    pub variations: Vec<Variation>,
}

/// What one variation changes.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The variation's name, for reports.
    pub name: String,
    /// Content overrides by slot index (into `Config::slots`).
    pub content: Vec<(usize, Content)>,
    /// A split-URL test: where this variation's page comes from.
    pub route: Option<Route>,
}

/// A split-URL variation: another page of the same site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Route {
    /// The browser is sent here (`302`), query string kept.
    Redirect(String),
    /// The page is fetched from this origin path instead; the address bar does not change.
    OriginPath(String),
}

/// A share of visitors who see no personalization at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holdout {
    /// The share held out, in [0, 1].
    pub share: f64,
}

impl ExperimentPlan {
    /// Reads one entry of the config's `experiments` at `path`; variation content is compiled
    /// against the slot it names, exactly like the slot's own content.
    pub fn compile(
        value: &Value,
        path: &str,
        slots: &[Slot],
        store_offset: StoreOffset,
        groups: &SavedGroups,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Self> {
        let before = errors.len();
        let spec = Experiment::compile(value, path, groups, errors);
        let list = value.get("variations").and_then(Value::as_array);
        let variations = list
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, variation)| {
                let path = format!("{path}.variations[{i}]");
                Variation::compile(variation, &path, i, slots, store_offset, errors)
            })
            .collect();
        (errors.len() == before).then_some(())?;
        Some(Self {
            spec: spec?,
            variations,
        })
    }

    /// Whether some variation changes the page's address or source.
    pub fn routes(&self) -> bool {
        self.variations.iter().any(|v| v.route.is_some())
    }
}

impl Variation {
    fn compile(
        value: &Value,
        path: &str,
        index: usize,
        slots: &[Slot],
        store_offset: StoreOffset,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| default_variation_name(index));
        let mut content = Vec::new();
        match value.get("content") {
            None | Some(Value::Null) => {}
            Some(Value::Object(entries)) => {
                for (slot_id, payload) in entries {
                    let entry_path = format!("{path}.content.{slot_id}");
                    match slots.iter().position(|s| &s.id == slot_id) {
                        Some(at) => {
                            if let Some(c) = slots[at].compile_content(
                                payload,
                                &entry_path,
                                store_offset,
                                errors,
                            ) {
                                content.push((at, c));
                            }
                        }
                        None => errors.push(ConfigError::new(
                            entry_path,
                            format!("no slot has the id {slot_id:?}"),
                        )),
                    }
                }
            }
            Some(other) => errors.push(ConfigError::new(
                format!("{path}.content"),
                format!(
                    "expected an object of slot id to content, found {}",
                    describe_json(other)
                ),
            )),
        }
        let route = route(value, "urlRedirect", path, errors)
            .map(Route::Redirect)
            .or_else(|| route(value, "originPath", path, errors).map(Route::OriginPath));
        if value.get("urlRedirect").is_some() && value.get("originPath").is_some() {
            errors.push(ConfigError::new(
                format!("{path}.originPath"),
                "a variation either redirects (urlRedirect) or fetches another page \
                 (originPath), not both",
            ));
        }
        Self {
            name,
            content,
            route,
        }
    }
}

/// Reads a same-site path (`/…`) at `key`: split-URL tests never send shoppers off the store.
fn route(value: &Value, key: &str, path: &str, errors: &mut Vec<ConfigError>) -> Option<String> {
    let field = value.get(key)?;
    let at = format!("{path}.{key}");
    let Some(text) = field.as_str() else {
        errors.push(ConfigError::new(
            at,
            format!(
                "expected a path like \"/landing-b\", found {}",
                describe_json(field)
            ),
        ));
        return None;
    };
    // NOTE: `//host` and `/\host` are protocol-relative to browsers; control characters
    // could split the Location header.
    let same_site = text.starts_with('/')
        && !text.starts_with("//")
        && !text.starts_with("/\\")
        && !text.chars().any(|c| c.is_control() || c == ' ');
    if !same_site {
        errors.push(ConfigError::new(
            at,
            format!("{text:?} is not a path on this store; write it as \"/path\" (no scheme or host, no spaces)"),
        ));
        return None;
    }
    Some(text.to_string())
}

fn default_variation_name(index: usize) -> String {
    if index == 0 {
        "Control".to_string()
    } else {
        format!("Variation {index}")
    }
}

impl Holdout {
    /// Reads the config's `holdout`: `{"share": 0.05}`.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let mut reader = ObjectReader::new(value, path, errors);
        let share = reader.value("share");
        let share_path = reader.path_of("share");
        reader.finish(errors);
        match share.and_then(Value::as_f64) {
            Some(share) if (0.0..=1.0).contains(&share) => Some(Self { share }),
            _ => {
                errors.push(ConfigError::new(
                    share_path,
                    "expected the share of visitors held out, a number from 0 to 1 (e.g. 0.05)",
                ));
                None
            }
        }
    }

    /// Whether this visitor is held out: a hash of their id, independent of every experiment's.
    pub fn holds_out(&self, visitor_id: &str) -> bool {
        hash(HOLDOUT_KEY, visitor_id, 2).is_some_and(|n| n < self.share)
    }
}

/// One experiment's decision for this page view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assigned {
    /// The experiment's key.
    pub key: String,
    /// The variation shown (0, the control, when not in the experiment).
    pub variation: usize,
    /// Its name.
    pub name: String,
    /// Whether the visitor is in the experiment (else they see the control, uncounted).
    pub in_experiment: bool,
    /// The hash bucket, when one was drawn.
    pub bucket: Option<f64>,
    /// Why: "sticky", "bucketed", "condition failed", …
    pub reason: String,
}

/// Everything experiments decide for one page view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assignments {
    /// The visitor is in the global holdout: no personalization at all.
    pub held_out: bool,
    /// Per running experiment, in config order.
    pub experiments: Vec<Assigned>,
    /// Exposures to record (experiment key, variant): first assignments only.
    pub exposures: Vec<(String, u32)>,
    /// The updated sticky assignments, to write back.
    pub sticky: StickyAssignments,
    /// A split-URL variation for this page.
    pub route: Option<Route>,
}

impl Assignments {
    /// The content experiments put in slot `slot`, if any (the first running experiment in
    /// config order that changes it).
    pub fn content_for<'a>(
        &self,
        plans: &'a [ExperimentPlan],
        slot: usize,
    ) -> Option<Override<'a>> {
        self.experiments
            .iter()
            .zip(plans)
            .filter(|(assigned, _)| assigned.in_experiment)
            .find_map(|(assigned, plan)| {
                let variation = plan.variations.get(assigned.variation)?;
                let (_, content) = variation.content.iter().find(|(at, _)| *at == slot)?;
                let key = format!("{}:{}", assigned.key, assigned.variation);
                Some(Override {
                    content,
                    why: format!("experiment {key} ({})", assigned.name),
                    key,
                })
            })
    }
}

/// What the visitor brings to assignment.
pub struct AssignInput<'a> {
    /// The visitor's attributes (hash attributes and conditions read them).
    pub attributes: &'a Value,
    /// Segment ids the visitor is in.
    pub segments: &'a [String],
    /// The page's full URL.
    pub url: &'a str,
    /// The visitor's id (for the holdout).
    pub visitor_id: &'a str,
    /// The sticky assignments cookie, as sent.
    pub sticky_cookie: Option<&'a str>,
    /// Crawlers: always the control, never counted, nothing written.
    pub is_bot: bool,
    /// Whether split-URL experiments may run on this request (the edge decided before
    /// fetching the origin).
    pub routable: bool,
    /// Variations forced by a preview link (GrowthBook's `forcedVariations`): shown, never
    /// counted.
    pub forced: Option<&'a [(String, i64)]>,
    /// The holdout forced by a preview link, instead of the visitor's own hash.
    pub held_out: Option<bool>,
}

/// Assigns the visitor to every running experiment (and the holdout).
pub fn assign(
    plans: &[ExperimentPlan],
    holdout: Option<&Holdout>,
    query_overrides: bool,
    input: &AssignInput<'_>,
) -> Assignments {
    let previous = input
        .sticky_cookie
        .map(StickyAssignments::parse)
        .unwrap_or_default();
    let mut sticky = previous.clone();
    let mut exposures = Vec::new();
    let held_out = match input.held_out {
        Some(forced) => forced,
        None => !input.is_bot && holdout.is_some_and(|h| h.holds_out(input.visitor_id)),
    };
    if let Some(_holdout) = holdout.filter(|_| !input.is_bot && input.held_out.is_none()) {
        let variant = u32::from(held_out);
        if previous.get(HOLDOUT_KEY, 0).is_none() {
            exposures.push((HOLDOUT_KEY.to_string(), variant));
        }
        sticky.assign(HOLDOUT_KEY, 0, &variant.to_string());
    }
    let docs = StickyDocs::browser(&previous);
    let mut experiments = Vec::new();
    let mut route = None;
    for plan in plans {
        let spec = &plan.spec;
        if plan.routes() && !input.routable {
            continue;
        }
        let outcome = if input.is_bot || held_out {
            None
        } else {
            let context = RunContext {
                attributes: Some(input.attributes),
                segments: input.segments,
                url: input.url,
                sticky: Some(&docs),
                query_overrides,
                forced: input.forced,
                ..RunContext::default()
            };
            Some(run(spec, &context))
        };
        let assigned = match outcome {
            Some(outcome) => record(plan, &outcome, &mut sticky, &mut exposures),
            None => Assigned {
                key: spec.key.clone(),
                variation: 0,
                name: plan
                    .variations
                    .first()
                    .map(|v| v.name.clone())
                    .unwrap_or_default(),
                in_experiment: false,
                bucket: None,
                reason: if held_out { "held out" } else { "bot" }.to_string(),
            },
        };
        if assigned.in_experiment && route.is_none() {
            route = plan
                .variations
                .get(assigned.variation)
                .and_then(|v| v.route.clone())
                .map(|route| match route {
                    Route::Redirect(path) if spec.persist_query_string => {
                        Route::Redirect(with_query_of(&path, input.url))
                    }
                    other => other,
                });
        }
        experiments.push(assigned);
    }
    Assignments {
        held_out,
        experiments,
        exposures,
        sticky,
        route,
    }
}

/// Turns GrowthBook's outcome into our decision, keeping first assignments sticky and
/// recording their exposure.
fn record(
    plan: &ExperimentPlan,
    outcome: &Outcome,
    sticky: &mut StickyAssignments,
    exposures: &mut Vec<(String, u32)>,
) -> Assigned {
    let spec = &plan.spec;
    let variation = outcome.variation_id;
    // NOTE: a forced variation (query string) is for QA: neither remembered nor counted.
    let counted = outcome.in_experiment && outcome.hash_used;
    if counted {
        // NOTE: sticky means the cookie decided: this visitor was counted when first assigned.
        if !outcome.sticky_used {
            exposures.push((spec.key.clone(), variation as u32));
        }
        sticky.assign(&spec.key, spec.bucket_version, &outcome.key);
    }
    Assigned {
        key: spec.key.clone(),
        variation,
        name: plan
            .variations
            .get(variation)
            .map(|v| v.name.clone())
            .unwrap_or_default(),
        in_experiment: outcome.in_experiment,
        bucket: outcome.bucket,
        reason: outcome.reason.to_string(),
    }
}

/// The KV key where the bandit cron keeps reallocated weights:
/// `{"<experiment key>": {"weights": [..], "updatedAt": <ms>}}`.
pub const BANDIT_WEIGHTS_KEY: &str = "bandit-weights";

/// Applies the bandit cron's weights to the experiments that run as bandits; returns what was
/// ignored and why (a stale document must never break the config).
///
/// NOTE: sticky assignments are looked up before bucketing, so new weights only move visitors
/// who were not yet assigned.
pub fn apply_bandit_weights(plans: &mut [ExperimentPlan], document: &Value) -> Vec<String> {
    let mut ignored = Vec::new();
    for plan in plans.iter_mut().filter(|p| p.spec.bandit.is_some()) {
        let Some(entry) = document.get(&plan.spec.key) else {
            continue;
        };
        let weights: Option<Vec<f64>> = entry
            .get("weights")
            .and_then(Value::as_array)
            .and_then(|list| list.iter().map(Value::as_f64).collect());
        let arms = plan.variations.len();
        match weights {
            Some(w)
                if w.len() == arms
                    && w.iter().all(|x| x.is_finite() && *x >= 0.0)
                    && (w.iter().sum::<f64>() - 1.0).abs() < 1e-6 =>
            {
                plan.spec.weights = Some(w);
            }
            _ => ignored.push(format!(
                "{}: bandit weights are not {arms} non-negative numbers summing to 1",
                plan.spec.key
            )),
        }
    }
    ignored
}
