//! The merchant's config document: parsed, validated and compiled once per isolate.
//!
//! The document is JSON stored in KV under [`CONFIG_KEY`]. Compiling checks everything that
//! could fail later (selectors, conditions, references between segments and slots), so that
//! evaluating it per request cannot fail, only not match. Every problem is reported at once,
//! each with its JSON path.

mod error;
pub mod history;
#[cfg(not(target_arch = "wasm32"))]
pub mod lint;
pub(crate) mod read;
#[cfg(not(target_arch = "wasm32"))]
pub mod schema;

pub use error::{describe_json, ConfigError};

use serde_json::Value;

use crate::assignment::{ExperimentPlan, Holdout, HOLDOUT_KEY};
use crate::condition::SavedGroups;
use crate::content::{Slot, SlotCompiler, StoreOffset};
use crate::privacy::ConsentPolicy;
use crate::segment::Segment;
use crate::visitor::{CartSource, IdentitySource, PagePatterns};
use read::ObjectReader;

/// The KV key of the active config document.
pub const CONFIG_KEY: &str = "config";

/// A validated, compiled config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The merchant's label for this version of the document (shown in logs and headers).
    pub version: String,
    /// Segment definitions, in document order.
    pub segments: Vec<Segment>,
    /// Slots, in document order (also the order their edits are registered).
    pub slots: Vec<Slot>,
    /// Where the cart state comes from.
    pub cart: CartSource,
    /// Which paths are product, category, cart and order confirmation pages.
    pub pages: PagePatterns,
    /// The store's offset from UTC, for schedules written in local time.
    pub store_offset: StoreOffset,
    /// Experiments, in document order (earlier ones win a slot both change).
    pub experiments: Vec<ExperimentPlan>,
    /// The share of visitors who see no personalization, if any.
    pub holdout: Option<Holdout>,
    /// Whether GrowthBook's `?<experiment-key>=<variation>` forces a variation (QA; never
    /// counted or remembered).
    pub query_overrides: bool,
    /// When personal (identifying) personalization is allowed.
    pub consent: ConsentPolicy,
    /// Where the logged-in customer's signed identity comes from.
    pub identity: IdentitySource,
}

impl Config {
    /// Parses and compiles a config document. `check_selector` is the rewriter's selector
    /// parser: `lol_html` natively, the runtime's `HTMLRewriter` in the worker.
    pub fn parse(
        text: &str,
        check_selector: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<Self, Vec<ConfigError>> {
        let document: Value = serde_json::from_str(text).map_err(|e| {
            vec![ConfigError::new(
                "(document)",
                format!("not valid JSON: {e}"),
            )]
        })?;
        Self::compile(&document, check_selector)
    }

    /// Compiles an already parsed document.
    pub fn compile(
        document: &Value,
        check_selector: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut reader = ObjectReader::new(document, "", &mut errors);
        // NOTE: editors validate against the file `$schema` points at (schema/config.schema.json).
        let _editor_schema = reader.optional_str("$schema", &mut errors);
        let version = match reader.value("version") {
            None | Some(Value::Null) => "unversioned".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                errors.push(ConfigError::new(
                    "version",
                    format!(
                        "expected a string or number, found {}",
                        describe_json(other)
                    ),
                ));
                String::new()
            }
        };
        let store_offset = match reader.optional_str("storeUtcOffset", &mut errors) {
            None => StoreOffset::default(),
            Some(text) => StoreOffset::parse(&text).unwrap_or_else(|| {
                errors.push(ConfigError::new(
                    "storeUtcOffset",
                    format!("{text:?} is not a UTC offset; use e.g. \"-05:00\" or \"+01:00\""),
                ));
                StoreOffset::default()
            }),
        };
        // GrowthBook's saved groups, for `$inGroup` / `$notInGroup` in segments and experiments:
        // resolved now, so an unknown group id is an error rather than a silent empty group.
        let saved_groups = match reader.value("savedGroups") {
            None | Some(Value::Null) => SavedGroups::new(),
            Some(value) => {
                SavedGroups::from_json(value, "savedGroups").unwrap_or_else(|mut found| {
                    errors.append(&mut found);
                    SavedGroups::new()
                })
            }
        };
        let segment_values = reader.optional_array("segments", &mut errors);
        let segments: Vec<Segment> = segment_values
            .iter()
            .filter_map(|(path, value)| {
                Segment::compile(value, path, store_offset, &saved_groups, &mut errors)
            })
            .collect();
        let cart_path = reader.path_of("cart");
        let cart = match reader.value("cart") {
            Some(value) => CartSource::compile(value, &cart_path, &mut errors),
            None => CartSource::default(),
        };
        let pages_path = reader.path_of("pages");
        let pages = match reader.value("pages") {
            Some(value) => PagePatterns::compile(value, &pages_path, &mut errors),
            None => PagePatterns::default(),
        };
        let slot_values = reader.optional_array("slots", &mut errors);
        let slots: Vec<Slot> = slot_values
            .iter()
            .filter_map(|(path, value)| {
                let compiler = SlotCompiler {
                    check_selector,
                    store_offset,
                };
                Slot::compile(value, path, &compiler, &mut errors)
            })
            .collect();
        let experiment_values = reader.optional_array("experiments", &mut errors);
        let experiments: Vec<ExperimentPlan> = experiment_values
            .iter()
            .filter_map(|(path, value)| {
                ExperimentPlan::compile(
                    value,
                    path,
                    &slots,
                    store_offset,
                    &saved_groups,
                    &mut errors,
                )
            })
            .collect();
        let holdout_path = reader.path_of("holdout");
        let holdout = match reader.value("holdout") {
            None | Some(Value::Null) => None,
            Some(value) => Holdout::compile(value, &holdout_path, &mut errors),
        };
        let query_overrides = reader
            .optional_bool("queryStringOverrides", &mut errors)
            .unwrap_or(true);
        let consent_path = reader.path_of("consent");
        let consent = match reader.value("consent") {
            None | Some(Value::Null) => ConsentPolicy::default(),
            Some(value) => ConsentPolicy::compile(value, &consent_path, &mut errors),
        };
        let identity_path = reader.path_of("identity");
        let identity = match reader.value("identity") {
            None | Some(Value::Null) => IdentitySource::default(),
            Some(value) => IdentitySource::compile(value, &identity_path, &mut errors),
        };
        reader.finish(&mut errors);

        // NOTE: ids and references are checked on the document itself, so an entry that failed
        // to compile neither hides its neighbours' mistakes nor shifts their paths.
        check_unique(&segment_values, &mut errors);
        check_unique(&slot_values, &mut errors);
        check_experiment_keys(&experiment_values, &mut errors);
        let segment_ids: Vec<&str> = segment_values
            .iter()
            .filter_map(|(_, v)| v.get("id").and_then(Value::as_str))
            .collect();
        for (path, value) in &slot_values {
            let keys = value
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.keys());
            for segment in keys {
                if !segment_ids.contains(&segment.as_str()) {
                    errors.push(ConfigError::new(
                        format!("{path}.content.{segment}"),
                        format!("no segment has the id {segment:?}"),
                    ));
                }
            }
        }
        // NOTE: an experiment targeting a segment that does not exist would never run, and
        // nobody would be counted: say so instead.
        for (path, value) in &experiment_values {
            let targets = value.get("segments").and_then(Value::as_array);
            for (i, target) in targets.into_iter().flatten().enumerate() {
                if let Some(id) = target.as_str().filter(|id| !segment_ids.contains(id)) {
                    errors.push(ConfigError::new(
                        format!("{path}.segments[{i}]"),
                        format!("no segment has the id {id:?}, so the experiment would never run"),
                    ));
                }
            }
        }

        if errors.is_empty() {
            Ok(Self {
                version,
                segments,
                slots,
                cart,
                pages,
                store_offset,
                experiments,
                holdout,
                query_overrides,
                consent,
                identity,
            })
        } else {
            Err(errors)
        }
    }
}

impl Config {
    /// Content, slots and segments whose schedule has ended by `now_ms`, with their paths:
    /// they can never show again, so merchants should retire them.
    pub fn expired(&self, now_ms: u64) -> Vec<String> {
        let mut found = Vec::new();
        let mut check = |path: String, schedule: &crate::content::Schedule| {
            if schedule.has_ended(now_ms) {
                let end = schedule.end_text().unwrap_or_default();
                found.push(format!("{path}: ended {end}"));
            }
        };
        for (i, segment) in self.segments.iter().enumerate() {
            check(format!("segments[{i}] ({})", segment.id), &segment.schedule);
        }
        for (i, slot) in self.slots.iter().enumerate() {
            check(format!("slots[{i}] ({})", slot.id), &slot.schedule);
            for (segment, content) in &slot.content {
                check(format!("slots[{i}].content.{segment}"), &content.schedule);
            }
            if let Some(default) = &slot.default {
                check(format!("slots[{i}].default"), &default.schedule);
            }
        }
        found
    }

    /// Whether any slot recommends products (then the catalog is needed).
    pub fn recommends(&self) -> bool {
        let mut variation_content = self
            .experiments
            .iter()
            .flat_map(|e| &e.variations)
            .flat_map(|v| v.content.iter().map(|(_, c)| c));
        self.slots.iter().any(|slot| {
            slot.recommendations.is_some()
                || slot
                    .default
                    .iter()
                    .chain(slot.content.iter().map(|(_, c)| c))
                    .any(|c| c.recommendations.is_some())
        }) || variation_content.any(|c| c.recommendations.is_some())
    }

    /// Whether a split-URL experiment may change which page this URL serves: then the edge
    /// decides before fetching the origin.
    pub fn routes(&self, url: &str) -> bool {
        self.experiments
            .iter()
            .any(|e| e.routes() && e.spec.targets_url(url))
    }

    /// What a report on experiment `key` needs from the config: its name, variation names and
    /// current weights. The holdout reports as `holdout`.
    pub fn experiment_arms(&self, key: &str) -> Option<(String, Vec<String>, Vec<f64>)> {
        if key == crate::assignment::HOLDOUT_KEY {
            let share = self.holdout?.share;
            return Some((
                "Holdout: personalization vs generic pages".to_string(),
                vec!["Personalized".to_string(), "Held out".to_string()],
                vec![1.0 - share, share],
            ));
        }
        let plan = self.experiments.iter().find(|e| e.spec.key == key)?;
        let names: Vec<String> = plan.variations.iter().map(|v| v.name.clone()).collect();
        let weights = match &plan.spec.weights {
            Some(w) => w.clone(),
            None => vec![1.0 / names.len().max(1) as f64; names.len()],
        };
        let name = plan.spec.name.clone().unwrap_or_else(|| key.to_string());
        Some((name, names, weights))
    }

    /// Everything the audit looks for: segment ids, and each slot content (segment content,
    /// default, experiment variations) with its end date.
    pub fn audit_inventory(&self, now_ms: u64) -> crate::report::AuditInputs {
        let mut contents = Vec::new();
        for (at, slot) in self.slots.iter().enumerate() {
            let slot_end = slot.schedule.end_ms();
            let end = |own: Option<u64>| match (own, slot_end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            for (segment, content) in &slot.content {
                contents.push((
                    slot.id.clone(),
                    segment.clone(),
                    end(content.schedule.end_ms()),
                ));
            }
            if let Some(default) = &slot.default {
                contents.push((
                    slot.id.clone(),
                    "default".to_string(),
                    end(default.schedule.end_ms()),
                ));
            }
            for plan in &self.experiments {
                for (i, variation) in plan.variations.iter().enumerate() {
                    if let Some((_, content)) = variation.content.iter().find(|(s, _)| *s == at) {
                        let key = format!("{}:{i}", plan.spec.key);
                        contents.push((slot.id.clone(), key, end(content.schedule.end_ms())));
                    }
                }
            }
        }
        crate::report::AuditInputs {
            segments: self.segments.iter().map(|s| s.id.clone()).collect(),
            contents,
            now_ms,
        }
    }

    /// Whether an experiment with this key is running (else its sticky entries are dropped).
    pub fn runs_experiment(&self, key: &str) -> bool {
        (key == crate::assignment::HOLDOUT_KEY && self.holdout.is_some())
            || self
                .experiments
                .iter()
                .any(|e| e.spec.key == key && e.spec.active)
    }
}

/// Experiment keys name rows in D1 and entries in the sticky cookie: unique, and not the
/// holdout's.
fn check_experiment_keys(entries: &[(String, &Value)], errors: &mut Vec<ConfigError>) {
    let mut seen: Vec<&str> = Vec::new();
    for (path, value) in entries {
        let Some(key) = value.get("key").and_then(Value::as_str) else {
            continue;
        };
        if key == HOLDOUT_KEY {
            errors.push(ConfigError::new(
                format!("{path}.key"),
                format!("{key:?} is reserved for the holdout's report; choose another key"),
            ));
        } else if seen.contains(&key) {
            errors.push(ConfigError::new(
                format!("{path}.key"),
                format!("{key:?} is used by another experiment"),
            ));
        }
        seen.push(key);
    }
}

/// Reports ids used by more than one entry of a list (at the later entries).
fn check_unique(entries: &[(String, &Value)], errors: &mut Vec<ConfigError>) {
    let mut seen: Vec<&str> = Vec::new();
    for (path, value) in entries {
        let Some(id) = value.get("id").and_then(Value::as_str) else {
            continue;
        };
        if seen.contains(&id) {
            let list = path.split('[').next().unwrap_or_default();
            errors.push(ConfigError::new(
                format!("{path}.id"),
                format!("{id:?} is used by another entry of {list}"),
            ));
        }
        seen.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept_any(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn errors_of(text: &str) -> Vec<String> {
        match Config::parse(text, &accept_any) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_minimal_document_compiles() {
        let config = Config::parse(
            r#"{"version": 3, "segments": [{"id": "returning", "when": {"visitor.isReturning": true}}],
                "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent",
                           "content": {"returning": "Welcome back"}}]}"#,
            &accept_any,
        )
        .expect("valid");
        assert_eq!(config.version, "3");
        assert_eq!(config.segments.len(), 1);
        assert_eq!(config.slots.len(), 1);
    }

    #[test]
    fn ended_schedules_are_reported_for_retirement() {
        let config = Config::parse(
            r#"{"segments": [{"id": "bf", "when": {}, "schedule": {"end": "2025-12-01"}}],
                "slots": [{"id": "s", "selector": "p", "action": "append",
                           "content": {"bf": {"template": "x", "schedule": {"start": "2025-11-27", "end": "2025-11-30"}}},
                           "default": "y"}]}"#,
            &accept_any,
        )
        .expect("valid");
        let now = 1_795_000_000_000; // 2026-11-18
        assert_eq!(
            config.expired(now),
            [
                "segments[0] (bf): ended 2025-12-01T00:00:00Z",
                "slots[0].content.bf: ended 2025-11-30T00:00:00Z",
            ]
        );
        assert!(
            config.expired(1_764_000_000_000).is_empty(),
            "before the end, nothing to report"
        );
    }

    #[test]
    fn broken_documents_are_explained() {
        assert_eq!(
            errors_of("{oops"),
            ["(document): not valid JSON: key must be a string at line 1 column 2"]
        );
        assert_eq!(
            errors_of("[]"),
            ["(document): expected an object, found an array of 0 items"]
        );
        assert_eq!(
            errors_of(r#"{"segments": {}, "slots": [], "extra": 1}"#),
            [
                "segments: expected an array, found an object",
                "extra: unknown field; expected one of: $schema, version, storeUtcOffset, savedGroups, segments, cart, pages, slots, experiments, holdout, queryStringOverrides, consent, identity",
            ]
        );
    }

    #[test]
    fn experiments_are_checked_against_the_slots() {
        let errors = errors_of(
            r#"{"segments": [], "slots": [{"id": "hero", "selector": "h1", "action": "setInnerContent"}],
                "holdout": {"share": 2},
                "experiments": [
                  {"key": "a", "variations": [{}, {"content": {"ghost": "x", "hero": "{{ oops"}}]},
                  {"key": "holdout", "variations": [{}, {"urlRedirect": "https://evil.test/"}]},
                  {"key": "a", "variations": [{}, {"originPath": "//evil.test/x", "urlRedirect": "/b"}]}
                ]}"#,
        );
        let expected = [
            "experiments[0].variations[1].content.ghost: no slot has the id \"ghost\"",
            "experiments[0].variations[1].content.hero",
            "experiments[1].variations[1].urlRedirect: \"https://evil.test/\" is not a path on this store",
            "experiments[2].variations[1].originPath: a variation either redirects",
            "holdout.share: expected the share of visitors held out",
            "experiments[1].key: \"holdout\" is reserved",
            "experiments[2].key: \"a\" is used by another experiment",
        ];
        for prefix in expected {
            assert!(
                errors.iter().any(|e| e.starts_with(prefix)),
                "missing {prefix:?} in {errors:#?}"
            );
        }
    }

    #[test]
    fn references_and_duplicates_are_checked() {
        let errors = errors_of(
            r#"{"segments": [{"id": "a", "when": {}}, {"id": "a", "when": {}}],
                "slots": [{"id": "s", "selector": "p", "action": "append", "content": {"ghost": "x"}}]}"#,
        );
        assert_eq!(
            errors,
            [
                "segments[1].id: \"a\" is used by another entry of segments",
                "slots[0].content.ghost: no segment has the id \"ghost\"",
            ]
        );
    }

    #[test]
    fn saved_groups_resolve_in_segments_and_experiments_and_unknown_ids_are_errors() {
        let config = Config::parse(
            r#"{"savedGroups": {"staff": ["c-1", "c-2"]},
                "segments": [{"id": "staff", "when": {"customer.id": {"$inGroup": "staff"}}},
                             {"id": "shoppers", "when": {"customer.id": {"$notInGroup": "staff"}}}],
                "experiments": [{"key": "cta", "variations": [{}, {}],
                                 "condition": {"customer.id": {"$notInGroup": "staff"}}}]}"#,
            &|_| Ok(()),
        )
        .expect("valid");
        let staff = serde_json::json!({"customer": {"id": "c-2"}});
        let ids: Vec<String> = crate::segment::memberships(&config.segments, &staff, 0)
            .into_iter()
            .map(|m| m.segment)
            .collect();
        assert_eq!(ids, ["staff"]);
        let errors = errors_of(
            r#"{"savedGroups": {"staff": "c-1"},
                "segments": [{"id": "a", "when": {"customer.id": {"$inGroup": "staf"}}}]}"#,
        );
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].starts_with("savedGroups.staff: expected an array of members"));
        assert!(errors[1].starts_with("segments[0].when"), "{errors:#?}");
        assert!(errors[1].contains("staf"), "{errors:#?}");
    }

    #[test]
    fn an_experiment_targeting_a_missing_segment_is_an_error() {
        let errors = errors_of(
            r#"{"segments": [{"id": "vip", "when": {}}],
                "experiments": [{"key": "cta", "segments": ["vip", "vips"], "variations": [{}, {}]}]}"#,
        );
        assert_eq!(
            errors,
            ["experiments[0].segments[1]: no segment has the id \"vips\", so the experiment would never run"]
        );
    }
}
