//! Fixture personas (`fixtures/personas/*.json`) as requests: the visitor cookie signed with
//! the given key, the browsing history replayed into the behaviour cookie, and the profile,
//! with relative times ("now-21d") resolved against the request's time. The demo's persona
//! switch and `scripts/fixtures.mjs` read the same files the same way.

use serde_json::Value;

use crate::config::Config;
use crate::decision::replay_page_views;
use crate::visitor::timestamp::{format_rfc3339, DAY_MS};
use crate::visitor::{IdKeys, Profile, VisitorId, BEHAVIOUR_COOKIE, VISITOR_COOKIE};

/// What a persona brings to a request: `Cookie` header pairs, and its profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaRequest {
    /// `name=value` pairs (visitor id, browsing history), to join with `; `.
    pub cookies: Vec<String>,
    /// The persona's profile, its relative times resolved.
    pub profile: Option<Profile>,
}

/// "now-95d" (also h, m) as milliseconds before `now_ms`.
pub fn relative_ms(text: &str, now_ms: u64) -> Option<u64> {
    let rest = text.strip_prefix("now-")?;
    let (n, unit) = rest.split_at(rest.len().checked_sub(1)?);
    let unit_ms = match unit {
        "d" => DAY_MS,
        "h" => 3_600_000,
        "m" => 60_000,
        _ => return None,
    };
    now_ms.checked_sub(n.parse::<u64>().ok()?.checked_mul(unit_ms)?)
}

/// Resolves every relative time in a JSON value to an RFC 3339 timestamp.
pub fn resolve_times(value: &Value, now_ms: u64) -> Value {
    match value {
        Value::String(s) => match relative_ms(s, now_ms) {
            Some(ms) => Value::String(format_rfc3339(ms)),
            None => value.clone(),
        },
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| resolve_times(v, now_ms)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_times(v, now_ms)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The request a persona makes at `now_ms`. Without `keys` its visitor id cannot be signed,
/// so no visitor cookie is sent (the worker would not believe an unsigned one).
pub fn persona_request(
    config: &Config,
    persona: &Value,
    keys: Option<&IdKeys>,
    now_ms: u64,
) -> Result<PersonaRequest, String> {
    if !persona.is_object() {
        return Err("a persona is a JSON object".into());
    }
    let mut views = Vec::new();
    for (i, view) in persona["pageViews"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = view["path"]
            .as_str()
            .ok_or_else(|| format!("pageViews[{i}].path: expected a path"))?;
        let at = view["at"]
            .as_str()
            .and_then(|at| relative_ms(at, now_ms))
            .ok_or_else(|| format!("pageViews[{i}].at: expected a time like \"now-3d\""))?;
        views.push((path, at));
    }
    let mut cookies = Vec::new();
    if let Some(id) = persona["visitorId"].as_str() {
        let id =
            VisitorId::parse(id).ok_or_else(|| format!("visitorId {id:?} is not a visitor id"))?;
        if let Some(keys) = keys {
            cookies.push(format!("{VISITOR_COOKIE}={}", keys.sign(&id)));
        }
    }
    if let Some(behaviour) = replay_page_views(config, views) {
        cookies.push(format!("{BEHAVIOUR_COOKIE}={}", behaviour.encode()));
    }
    let profile = match resolve_times(&persona["profile"], now_ms) {
        Value::Object(fields) => Some(Profile::from(fields)),
        Value::Null => None,
        _ => return Err("profile: expected an object".into()),
    };
    Ok(PersonaRequest { cookies, profile })
}
