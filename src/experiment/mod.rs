//! Experiments, GrowthBook-compatible: definitions with GrowthBook's field names, and
//! GrowthBook's `run` order of checks, so the same visitor gets the same variation here as in
//! any GrowthBook SDK. Checked against GrowthBook's cross-SDK conformance cases
//! (`tests/conformance_experiments.rs`).

mod bucket;
mod sticky;
mod url;

use std::collections::BTreeMap;

use serde_json::Value;

pub use bucket::{
    bucket_ranges, choose_variation, equal_weights, hash, in_namespace, query_string_override,
    Namespace,
};
pub use sticky::{StickyAssignments, ASSIGNMENTS_COOKIE, ASSIGNMENTS_COOKIE_MAX_BYTES};
pub use url::{url_targeted, with_query_of, UrlMatcher, UrlPattern};

use crate::condition::evaluate::lookup;
use crate::condition::js::{to_js_string, truthy};
use crate::condition::{Condition, SavedGroups};
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::segment::check_id;

/// A hash filter (GrowthBook's `filters`): the visitor must hash into one of the ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Hash seed.
    pub seed: String,
    /// Accepted hash ranges.
    pub ranges: Vec<(f64, f64)>,
    /// Hash version (default 2).
    pub hash_version: u32,
    /// The attribute hashed (default the experiment's id attribute, `id`).
    pub attribute: Option<String>,
}

/// Thompson-sampling settings for an experiment run as a bandit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bandit {
    /// Visitors every arm needs before weights move.
    pub min_sample: u64,
    /// The least weight any arm keeps.
    pub floor: f64,
}

impl Default for Bandit {
    fn default() -> Self {
        Self {
            min_sample: 100,
            floor: 0.05,
        }
    }
}

/// An experiment definition.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Unique key: sticky entries, events and reports use it.
    pub key: String,
    /// Human name for reports.
    pub name: Option<String>,
    /// Each variation's raw payload (the config layer reads what it changes).
    pub variations: Vec<Value>,
    /// Each variation's key (GrowthBook's `meta[i].key`), what sticky assignments store.
    pub variation_keys: Vec<String>,
    /// Share of covered visitors per variation.
    pub weights: Option<Vec<f64>>,
    /// Share of eligible visitors included.
    pub coverage: Option<f64>,
    /// Who is eligible.
    pub condition: Option<Condition>,
    /// Target segments: the visitor must be in one (Tailor's addition).
    pub segments: Vec<String>,
    /// The attribute hashed (`id` in GrowthBook; Tailor's configs default to `visitor.id`).
    pub hash_attribute: String,
    /// Hashed when the hash attribute is empty (only with sticky assignment, as in GrowthBook).
    pub fallback_attribute: Option<String>,
    /// GrowthBook hash version, 1 or 2.
    pub hash_version: u32,
    /// Hash seed (the key by default).
    pub seed: Option<String>,
    /// Mutual exclusion with other experiments.
    pub namespace: Option<Namespace>,
    /// Hash filters (replace the namespace when present).
    pub filters: Vec<Filter>,
    /// Explicit bucket ranges (replace coverage and weights).
    pub ranges: Option<Vec<(f64, f64)>>,
    /// Whether it runs at all.
    pub active: bool,
    /// Bump to re-bucket everyone.
    pub bucket_version: u32,
    /// Visitors assigned at an older bucket version are excluded.
    pub min_bucket_version: u32,
    /// Informational.
    pub phase: Option<String>,
    /// Pages it runs on (all when empty).
    pub url_patterns: Vec<UrlPattern>,
    /// Keep the query string on split-URL redirects.
    pub persist_query_string: bool,
    /// A variation everyone in the experiment gets.
    pub force: Option<i64>,
    /// Never read or write sticky assignments.
    pub disable_sticky_bucketing: bool,
    /// Run as a bandit.
    pub bandit: Option<Bandit>,
}

impl Experiment {
    /// A bare experiment with GrowthBook's defaults.
    pub fn new(key: &str, variations: Vec<Value>) -> Self {
        Self {
            key: key.to_string(),
            name: None,
            variations,
            variation_keys: Vec::new(),
            weights: None,
            coverage: None,
            condition: None,
            segments: Vec::new(),
            hash_attribute: "id".to_string(),
            fallback_attribute: None,
            hash_version: 1,
            seed: None,
            namespace: None,
            filters: Vec::new(),
            ranges: None,
            active: true,
            bucket_version: 0,
            min_bucket_version: 0,
            phase: None,
            url_patterns: Vec::new(),
            persist_query_string: false,
            force: None,
            disable_sticky_bucketing: false,
            bandit: None,
        }
    }

    /// Whether the experiment may run on `url` (no `urlPatterns` means every page).
    pub fn targets_url(&self, url: &str) -> bool {
        self.url_patterns.is_empty() || url_targeted(url, &self.url_patterns)
    }
}

/// What a run needs besides the experiment.
#[derive(Default)]
pub struct RunContext<'a> {
    /// The visitor's attributes.
    pub attributes: Option<&'a Value>,
    /// Segment ids the visitor is in.
    pub segments: &'a [String],
    /// The page's URL.
    pub url: &'a str,
    /// Sticky assignment documents (GrowthBook's `stickyBucketAssignmentDocs`); `None` turns
    /// sticky assignment off.
    pub sticky: Option<&'a StickyDocs>,
    /// Whether `?<key>=<n>` forces a variation.
    pub query_overrides: bool,
    /// Variations forced by the caller (GrowthBook's `forcedVariations`): experiment key and
    /// variation.
    pub forced: Option<&'a [(String, i64)]>,
    /// GrowthBook's QA mode: nobody is bucketed.
    pub qa_mode: bool,
    /// Experiments globally disabled (GrowthBook's `enabled: false`): everyone gets the
    /// control.
    pub disabled: bool,
    /// Saved groups for `$inGroup` conditions.
    pub saved_groups: Option<&'a SavedGroups>,
}

/// Sticky assignment documents by `"<attribute>||<value>"`, each `"<key>__<bucket version>"` →
/// variation key. A browser's cookie is one document that answers for any attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum StickyDocs {
    /// GrowthBook's model: one document per hash attribute value.
    PerAttribute(BTreeMap<String, BTreeMap<String, String>>),
    /// One browser's assignments (the `tailor_x` cookie).
    #[default]
    None,
    /// One browser's assignments (the `tailor_x` cookie), whatever the attribute.
    Browser(BTreeMap<String, String>),
}

impl StickyDocs {
    /// The browser document built from the cookie's assignments.
    pub fn browser(sticky: &StickyAssignments) -> Self {
        // NOTE: inserts rather than `collect()`, whose sort is another instantiation (Wasm size).
        let mut all = BTreeMap::new();
        for (key, version, variation) in sticky.entries() {
            all.insert(sticky_key(key, version), variation.to_string());
        }
        Self::Browser(all)
    }

    fn assignments(&self, hash_key: &str, fallback_key: Option<&str>) -> BTreeMap<String, String> {
        match self {
            Self::None => BTreeMap::new(),
            Self::Browser(all) => all.clone(),
            Self::PerAttribute(docs) => {
                let mut merged = BTreeMap::new();
                if let Some(doc) = fallback_key.and_then(|k| docs.get(k)) {
                    merged.extend(doc.clone());
                }
                if let Some(doc) = docs.get(hash_key) {
                    merged.extend(doc.clone());
                }
                merged
            }
        }
    }
}

/// GrowthBook's sticky key for an experiment at a bucket version.
pub fn sticky_key(key: &str, bucket_version: u32) -> String {
    format!("{key}__{bucket_version}")
}

/// The result of a run, as GrowthBook's `Result`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether the visitor is in the experiment.
    pub in_experiment: bool,
    /// The variation shown (0 when not in the experiment).
    pub variation_id: usize,
    /// The variation's key.
    pub key: String,
    /// Whether the hash decided (false when forced).
    pub hash_used: bool,
    /// The attribute hashed.
    pub hash_attribute: String,
    /// Its value.
    pub hash_value: String,
    /// The hash bucket, when drawn.
    pub bucket: Option<f64>,
    /// Whether a sticky assignment decided.
    pub sticky_used: bool,
    /// The sticky assignment to store: (`"<attribute>||<value>"`, sticky key, variation key).
    pub sticky_write: Option<(String, String, String)>,
    /// Why, for explanations.
    pub reason: &'static str,
}

/// Runs an experiment for one visitor, in GrowthBook's order of checks.
pub fn run(experiment: &Experiment, context: &RunContext<'_>) -> Outcome {
    let n_variations = experiment.variations.len();
    let exclude = |reason| result(experiment, context, -1, false, None, false, reason);
    if n_variations < 2 {
        return exclude("fewer than two variations");
    }
    if context.disabled {
        return exclude("experiments disabled");
    }
    if !experiment.url_patterns.is_empty() && !url_targeted(context.url, &experiment.url_patterns) {
        return exclude("not this page");
    }
    if context.query_overrides {
        if let Some(forced) = query_string_override(&experiment.key, context.url, n_variations) {
            return result(
                experiment,
                context,
                forced as i64,
                false,
                None,
                false,
                "forced by query string",
            );
        }
    }
    let forced = context
        .forced
        .and_then(|all| all.iter().find(|(key, _)| *key == experiment.key));
    if let Some(&(_, forced)) = forced {
        return result(experiment, context, forced, false, None, false, "forced");
    }
    if !experiment.active {
        return exclude("inactive");
    }
    let sticky = context
        .sticky
        .filter(|_| !experiment.disable_sticky_bucketing);
    let fallback = sticky.and(experiment.fallback_attribute.as_deref());
    let (_, hash_value) = hash_attribute(context, &experiment.hash_attribute, fallback);
    if hash_value.is_empty() {
        return exclude("no hash attribute");
    }

    let mut assigned: Option<usize> = None;
    let mut blocked = false;
    if let Some(docs) = sticky {
        let (attribute, value) = hash_attribute(context, &experiment.hash_attribute, None);
        let hash_key = format!("{attribute}||{value}");
        let fallback_key = experiment.fallback_attribute.as_deref().and_then(|f| {
            let (attribute, value) = hash_attribute(context, f, None);
            (!value.is_empty()).then(|| format!("{attribute}||{value}"))
        });
        let assignments = docs.assignments(&hash_key, fallback_key.as_deref());
        if (0..experiment.min_bucket_version)
            .any(|v| assignments.contains_key(&sticky_key(&experiment.key, v)))
        {
            blocked = true;
        } else if let Some(variation) =
            assignments.get(&sticky_key(&experiment.key, experiment.bucket_version))
        {
            assigned = experiment
                .variation_keys
                .iter()
                .position(|k| k == variation);
        }
    }
    let sticky_found = assigned.is_some();

    if !sticky_found {
        if !experiment.filters.is_empty() {
            if filtered_out(&experiment.filters, context) {
                return exclude("filtered out");
            }
        } else if let Some(namespace) = &experiment.namespace {
            if !in_namespace(&hash_value, namespace) {
                return exclude("outside its namespace");
            }
        }
        if let Some(condition) = &experiment.condition {
            let attributes = context.attributes.unwrap_or(&Value::Null);
            let passes = match context.saved_groups {
                Some(groups) => condition.matches_with_groups(attributes, groups),
                None => condition.matches(attributes),
            };
            if !passes {
                return exclude("condition not met");
            }
        }
        if !experiment.segments.is_empty()
            && !experiment
                .segments
                .iter()
                .any(|s| context.segments.contains(s))
        {
            return exclude("not in a target segment");
        }
    }

    let seed = experiment.seed.as_deref().unwrap_or(&experiment.key);
    let Some(n) = hash(seed, &hash_value, experiment.hash_version) else {
        return exclude("unknown hash version");
    };
    if !sticky_found {
        let ranges = experiment.ranges.clone().unwrap_or_else(|| {
            bucket_ranges(
                n_variations,
                experiment.coverage.unwrap_or(1.0),
                experiment.weights.as_deref(),
            )
        });
        assigned = choose_variation(n, &ranges);
    }
    if blocked {
        return result(
            experiment,
            context,
            -1,
            false,
            None,
            true,
            "assigned before minBucketVersion",
        );
    }
    let Some(assigned) = assigned else {
        return exclude("not covered");
    };
    if let Some(forced) = experiment.force {
        return result(
            experiment,
            context,
            forced,
            false,
            None,
            false,
            "forced by the experiment",
        );
    }
    if context.qa_mode {
        return exclude("QA mode");
    }
    let reason = if sticky_found { "sticky" } else { "bucketed" };
    let mut outcome = result(
        experiment,
        context,
        assigned as i64,
        true,
        Some(n),
        sticky_found,
        reason,
    );
    if sticky.is_some() {
        outcome.sticky_write = Some((
            format!("{}||{}", outcome.hash_attribute, outcome.hash_value),
            sticky_key(&experiment.key, experiment.bucket_version),
            outcome.key.clone(),
        ));
    }
    outcome
}

fn result(
    experiment: &Experiment,
    context: &RunContext<'_>,
    variation: i64,
    hash_used: bool,
    bucket: Option<f64>,
    sticky_used: bool,
    reason: &'static str,
) -> Outcome {
    let valid = usize::try_from(variation)
        .ok()
        .filter(|v| *v < experiment.variations.len());
    let variation_id = valid.unwrap_or(0);
    let sticky = context
        .sticky
        .filter(|_| !experiment.disable_sticky_bucketing);
    let fallback = sticky.and(experiment.fallback_attribute.as_deref());
    let (hash_attribute, hash_value) =
        hash_attribute(context, &experiment.hash_attribute, fallback);
    Outcome {
        in_experiment: valid.is_some(),
        variation_id,
        key: experiment
            .variation_keys
            .get(variation_id)
            .cloned()
            .unwrap_or_else(|| variation_id.to_string()),
        hash_used,
        hash_attribute,
        hash_value,
        bucket,
        sticky_used,
        sticky_write: None,
        reason,
    }
}

/// The attribute to hash and its value as a string (`""` when missing or falsy), trying the
/// fallback when the first is empty.
fn hash_attribute(
    context: &RunContext<'_>,
    attribute: &str,
    fallback: Option<&str>,
) -> (String, String) {
    let value_of = |name: &str| -> String {
        let Some(attributes) = context.attributes else {
            return String::new();
        };
        // NOTE: GrowthBook reads a flat key; Tailor's attributes nest, so a dotted name is
        // looked up as a path when no flat key has it.
        let flat = attributes.get(name).cloned();
        let value = flat.unwrap_or_else(|| {
            let path: Vec<String> = name.split('.').map(str::to_string).collect();
            lookup(attributes, &path).into_owned()
        });
        if truthy(&value) {
            to_js_string(&value).into_owned()
        } else {
            String::new()
        }
    };
    let value = value_of(attribute);
    if value.is_empty() {
        if let Some(fallback) = fallback {
            let value = value_of(fallback);
            if !value.is_empty() {
                return (fallback.to_string(), value);
            }
        }
    }
    (attribute.to_string(), value)
}

fn filtered_out(filters: &[Filter], context: &RunContext<'_>) -> bool {
    filters.iter().any(|filter| {
        let attribute = filter.attribute.as_deref().unwrap_or("id");
        let (_, value) = hash_attribute(context, attribute, None);
        if value.is_empty() {
            return true;
        }
        match hash(&filter.seed, &value, filter.hash_version) {
            Some(n) => !filter.ranges.iter().any(|&(s, e)| n >= s && n < e),
            None => true,
        }
    })
}

impl Experiment {
    /// Reads one entry of the config's `experiments` at `path`, reporting every mistake with
    /// its path. Variation payloads (`content`, `urlRedirect`, `originPath`) are read by the
    /// caller; only their shape (an object) is checked here.
    /// `$inGroup` ids are resolved against `groups` (the config's `savedGroups`).
    pub fn compile(
        value: &Value,
        path: &str,
        groups: &SavedGroups,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Self> {
        let before = errors.len();
        let mut reader = ObjectReader::new(value, path, errors);
        let key = reader.required_str("key", errors);
        check_id(&key, &reader.path_of("key"), errors);
        let name = reader.optional_str("name", errors);
        let variations_path = reader.path_of("variations");
        let variations: Vec<Value> = reader
            .optional_array("variations", errors)
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        if variations.len() < 2 {
            errors.push(ConfigError::new(
                &variations_path,
                "an experiment needs at least two variations (the first is the control)",
            ));
        }
        for (i, variation) in variations.iter().enumerate() {
            let at = format!("{variations_path}[{i}]");
            match variation.as_object() {
                Some(fields) => {
                    for field in fields.keys() {
                        if !["name", "content", "urlRedirect", "originPath"]
                            .contains(&field.as_str())
                        {
                            errors.push(ConfigError::new(
                                format!("{at}.{field}"),
                                "unknown field; a variation has name, content, urlRedirect or originPath",
                            ));
                        }
                    }
                }
                None => errors.push(ConfigError::new(
                    &at,
                    format!(
                        "expected an object like {{\"name\": ..., \"content\": {{...}}}}, found {}",
                        describe_json(variation)
                    ),
                )),
            }
        }
        let weights = numbers(&mut reader, "weights", errors);
        if let Some(weights) = &weights {
            let at = reader.path_of("weights");
            let total: f64 = weights.iter().sum();
            if weights.len() != variations.len() {
                errors.push(ConfigError::new(
                    &at,
                    format!(
                        "{} weights for {} variations; give one per variation",
                        weights.len(),
                        variations.len()
                    ),
                ));
            } else if weights.iter().any(|w| *w < 0.0) {
                errors.push(ConfigError::new(&at, "weights cannot be negative"));
            } else if (total - 1.0).abs() > 0.001 {
                errors.push(ConfigError::new(
                    &at,
                    format!(
                        "weights sum to {}; they must sum to 1 (e.g. [0.5, 0.5])",
                        crate::condition::js::number_to_string(total)
                    ),
                ));
            }
        }
        let coverage = share(&mut reader, "coverage", errors);
        let condition_path = reader.path_of("condition");
        let condition = match reader.value("condition") {
            None | Some(Value::Null) => None,
            Some(json) => match Condition::compile_with_groups(json, &condition_path, groups) {
                Ok(condition) => Some(condition),
                Err(mut found) => {
                    errors.append(&mut found);
                    None
                }
            },
        };
        let segments = strings(&mut reader, "segments", errors);
        let hash_attribute = reader
            .optional_str("hashAttribute", errors)
            .unwrap_or_else(|| "visitor.id".to_string());
        let fallback_attribute = reader.optional_str("fallbackAttribute", errors);
        let hash_version = reader.optional_i64("hashVersion", errors).unwrap_or(1);
        if !(1..=2).contains(&hash_version) {
            errors.push(ConfigError::new(
                reader.path_of("hashVersion"),
                format!("hashVersion {hash_version} does not exist; use 1 or 2 (2 is better distributed)"),
            ));
        }
        let seed = reader.optional_str("seed", errors);
        let namespace = namespace(&mut reader, errors);
        let active = reader.optional_bool("active", errors).unwrap_or(true);
        let bucket_version = version(&mut reader, "bucketVersion", errors);
        let min_bucket_version = version(&mut reader, "minBucketVersion", errors);
        if min_bucket_version > bucket_version {
            errors.push(ConfigError::new(
                reader.path_of("minBucketVersion"),
                format!("minBucketVersion {min_bucket_version} is above bucketVersion {bucket_version}: nobody could be assigned"),
            ));
        }
        let phase = match reader.value("phase") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                errors.push(ConfigError::new(
                    reader.path_of("phase"),
                    format!("expected a string, found {}", describe_json(other)),
                ));
                None
            }
        };
        let url_patterns = url_patterns(&mut reader, errors);
        let persist_query_string = reader
            .optional_bool("persistQueryString", errors)
            .unwrap_or(true);
        let bandit = bandit(&mut reader, errors);
        reader.finish(errors);
        (errors.len() == before).then_some(())?;
        let variation_keys = (0..variations.len()).map(|i| i.to_string()).collect();
        Some(Self {
            key,
            name,
            variations,
            variation_keys,
            weights,
            coverage,
            condition,
            segments,
            hash_attribute,
            fallback_attribute,
            hash_version: hash_version as u32,
            seed,
            namespace,
            filters: Vec::new(),
            ranges: None,
            active,
            bucket_version,
            min_bucket_version,
            phase,
            url_patterns,
            persist_query_string,
            force: None,
            disable_sticky_bucketing: false,
            bandit,
        })
    }
}

fn numbers(
    reader: &mut ObjectReader<'_>,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<Vec<f64>> {
    let at = reader.path_of(key);
    match reader.value(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.iter().all(Value::is_number) => {
            Some(items.iter().filter_map(Value::as_f64).collect())
        }
        Some(other) => {
            errors.push(ConfigError::new(
                at,
                format!(
                    "expected an array of numbers, found {}",
                    describe_json(other)
                ),
            ));
            None
        }
    }
}

fn strings(
    reader: &mut ObjectReader<'_>,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Vec<String> {
    let at = reader.path_of(key);
    match reader.value(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(other) => {
            errors.push(ConfigError::new(
                at,
                format!(
                    "expected an array of segment ids, found {}",
                    describe_json(other)
                ),
            ));
            Vec::new()
        }
    }
}

fn share(
    reader: &mut ObjectReader<'_>,
    key: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<f64> {
    let at = reader.path_of(key);
    match reader.value(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => Some(x),
            _ => {
                errors.push(ConfigError::new(
                    at,
                    format!("expected a share from 0 to 1, found {}", describe_json(v)),
                ));
                None
            }
        },
    }
}

fn version(reader: &mut ObjectReader<'_>, key: &'static str, errors: &mut Vec<ConfigError>) -> u32 {
    let at = reader.path_of(key);
    match reader.optional_i64(key, errors) {
        None => 0,
        Some(v) => u32::try_from(v).unwrap_or_else(|_| {
            errors.push(ConfigError::new(
                at,
                format!("{v} is not a version; use 0, 1, 2, ..."),
            ));
            0
        }),
    }
}

fn namespace(reader: &mut ObjectReader<'_>, errors: &mut Vec<ConfigError>) -> Option<Namespace> {
    let at = reader.path_of("namespace");
    let value = reader.value("namespace")?;
    if value.is_null() {
        return None;
    }
    let parsed = value.as_array().and_then(|items| match items.as_slice() {
        [Value::String(id), start, end] => {
            let (start, end) = (start.as_f64()?, end.as_f64()?);
            (0.0 <= start && start < end && end <= 1.0).then(|| Namespace {
                id: id.clone(),
                start,
                end,
            })
        }
        _ => None,
    });
    if parsed.is_none() {
        errors.push(ConfigError::new(
            at,
            format!(
                "expected [\"name\", start, end] with 0 <= start < end <= 1, found {}",
                describe_json(value)
            ),
        ));
    }
    parsed
}

fn url_patterns(reader: &mut ObjectReader<'_>, errors: &mut Vec<ConfigError>) -> Vec<UrlPattern> {
    let list = reader.optional_array("urlPatterns", errors);
    list.into_iter()
        .filter_map(|(at, item)| {
            let kind = item.get("type").and_then(Value::as_str).unwrap_or("simple");
            let include = item.get("include").and_then(Value::as_bool).unwrap_or(true);
            let Some(pattern) = item.get("pattern").and_then(Value::as_str) else {
                errors.push(ConfigError::new(
                    format!("{at}.pattern"),
                    "required: the URL pattern, e.g. \"/collections/*\"",
                ));
                return None;
            };
            UrlPattern::compile(kind, pattern, include)
                .map_err(|reason| errors.push(ConfigError::new(format!("{at}.pattern"), reason)))
                .ok()
        })
        .collect()
}

fn bandit(reader: &mut ObjectReader<'_>, errors: &mut Vec<ConfigError>) -> Option<Bandit> {
    let at = reader.path_of("bandit");
    match reader.value("bandit") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(Bandit::default()),
        Some(value @ Value::Object(_)) => {
            let mut inner = ObjectReader::new(value, &at, errors);
            let defaults = Bandit::default();
            let min_sample = inner.optional_i64("minSample", errors);
            let floor_at = inner.path_of("floor");
            let floor = inner.value("floor").map(|f| f.as_f64());
            inner.finish(errors);
            let floor = match floor {
                None => defaults.floor,
                Some(Some(f)) if (0.0..0.5).contains(&f) => f,
                Some(_) => {
                    errors.push(ConfigError::new(
                        floor_at,
                        "expected the least weight an arm keeps, from 0 to below 0.5 (e.g. 0.05)",
                    ));
                    defaults.floor
                }
            };
            Some(Bandit {
                min_sample: min_sample.map_or(defaults.min_sample, |n| n.max(1) as u64),
                floor,
            })
        }
        Some(other) => {
            errors.push(ConfigError::new(
                at,
                format!(
                    "expected true or {{\"minSample\": 100, \"floor\": 0.05}}, found {}",
                    describe_json(other)
                ),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(value: Value) -> Vec<String> {
        let mut errors = Vec::new();
        Experiment::compile(&value, "experiments[0]", &SavedGroups::new(), &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn mistakes_are_reported_with_paths() {
        let table = [
            (json!({"key": "t", "variations": [{}]}), "experiments[0].variations: an experiment needs at least two variations (the first is the control)"),
            (json!({"key": "t", "variations": [{}, {}], "weights": [0.5]}), "experiments[0].weights: 1 weights for 2 variations; give one per variation"),
            (json!({"key": "t", "variations": [{}, {}], "weights": [0.5, 0.6]}), "experiments[0].weights: weights sum to 1.1; they must sum to 1 (e.g. [0.5, 0.5])"),
            (json!({"key": "t", "variations": [{}, {}], "coverage": 2}), "experiments[0].coverage: expected a share from 0 to 1, found 2"),
            (json!({"key": "t", "variations": [{}, {}], "hashVersion": 3}), "experiments[0].hashVersion: hashVersion 3 does not exist; use 1 or 2 (2 is better distributed)"),
            (json!({"key": "t", "variations": [{}, {}], "namespace": ["n", 0.5, 0.2]}), "experiments[0].namespace: expected [\"name\", start, end] with 0 <= start < end <= 1, found an array of 3 items"),
            (json!({"key": "t", "variations": [{}, {}], "bucketVersion": 1, "minBucketVersion": 2}), "experiments[0].minBucketVersion: minBucketVersion 2 is above bucketVersion 1: nobody could be assigned"),
            (json!({"key": "t", "variations": [{}, 3]}), "experiments[0].variations[1]: expected an object like {\"name\": ..., \"content\": {...}}, found 3"),
            (json!({"key": "t", "variations": [{}, {"colour": 1}]}), "experiments[0].variations[1].colour: unknown field; a variation has name, content, urlRedirect or originPath"),
            (json!({"key": "t", "variations": [{}, {}], "urlPatterns": [{"type": "regex", "pattern": "("}]}), "experiments[0].urlPatterns[0].pattern: invalid regular expression"),
            (json!({"key": "t", "variations": [{}, {}], "bandit": {"floor": 0.7}}), "experiments[0].bandit.floor: expected the least weight an arm keeps, from 0 to below 0.5 (e.g. 0.05)"),
        ];
        for (value, expected) in table {
            let errors = errors_of(value.clone());
            assert!(
                errors.iter().any(|e| e.starts_with(expected)),
                "{value}: expected {expected:?}, got {errors:?}"
            );
        }
    }

    #[test]
    fn a_tailor_experiment_buckets_on_the_visitor_id_and_sticks() {
        let mut errors = Vec::new();
        let experiment = Experiment::compile(
            &json!({"key": "cta", "hashVersion": 2, "variations": [{}, {}], "segments": ["vip"]}),
            "e",
            &SavedGroups::new(),
            &mut errors,
        )
        .expect("valid");
        let attributes = json!({"visitor": {"id": "abc"}});
        let vip = vec!["vip".to_string()];
        let docs = StickyDocs::default();
        let context = RunContext {
            attributes: Some(&attributes),
            segments: &vip,
            sticky: Some(&docs),
            ..RunContext::default()
        };
        let first = run(&experiment, &context);
        assert!(first.in_experiment);
        assert_eq!(first.hash_value, "abc");
        assert_eq!(first.bucket, hash("cta", "abc", 2));

        // Stored, the assignment holds even when the weights would now say otherwise.
        let other = 1 - first.variation_id;
        let mut sticky = StickyAssignments::default();
        sticky.assign("cta", 0, &other.to_string());
        let docs = StickyDocs::browser(&sticky);
        let mut skewed = experiment.clone();
        skewed.weights = Some(if first.variation_id == 0 {
            vec![1.0, 0.0]
        } else {
            vec![0.0, 1.0]
        });
        let again = run(
            &skewed,
            &RunContext {
                sticky: Some(&docs),
                ..context
            },
        );
        assert_eq!((again.variation_id, again.reason), (other, "sticky"));

        let outsider = run(
            &experiment,
            &RunContext {
                segments: &[],
                ..RunContext {
                    attributes: Some(&attributes),
                    ..RunContext::default()
                }
            },
        );
        assert_eq!(
            (outsider.in_experiment, outsider.reason),
            (false, "not in a target segment")
        );
    }
}
