//! The Workers' settings, from their wrangler config's vars (overridable per environment), and
//! their secrets.

use std::cell::OnceCell;
use std::rc::Rc;
use std::time::Duration;

use worker::{console_error, Env};

use crate::visitor::IdKeys;

/// Deployment settings, read from the vars once per isolate ([`Settings::of`]).
pub struct Settings {
    /// The storefront to proxy (`ORIGIN`); `None` serves the embedded demo storefront.
    #[cfg(not(feature = "admin-worker"))]
    pub origin: Option<String>,
    /// How long an isolate keeps a loaded config before reading KV again.
    pub config_ttl_ms: f64,
    /// How long a KV read may take before the page is served without it.
    pub kv_timeout: Duration,
    /// Whether the demo's persona switch routes are on (`DEMO = "true"`; admin Worker).
    #[cfg(feature = "admin-worker")]
    pub demo: bool,
}

thread_local! {
    // NOTE: vars and secrets are fixed for an isolate's life (changing one deploys a new
    // version, served by new isolates), so they are read once per isolate, not per request.
    static SETTINGS: OnceCell<Rc<Settings>> = const { OnceCell::new() };
    static ID_KEYS: OnceCell<Option<IdKeys>> = const { OnceCell::new() };
    static IDENTITY_SECRETS: OnceCell<Rc<[Vec<u8>]>> = const { OnceCell::new() };
}

impl Settings {
    /// This isolate's settings, read from the vars on its first request.
    pub fn of(env: &Env) -> Rc<Self> {
        SETTINGS.with(|cell| cell.get_or_init(|| Rc::new(Self::from_env(env))).clone())
    }

    /// Reads the vars, falling back to safe defaults for anything missing or malformed.
    fn from_env(env: &Env) -> Self {
        let var = |name: &str| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.trim().is_empty())
        };
        let number = |name: &str, default: f64| {
            var(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .unwrap_or(default)
        };
        Self {
            #[cfg(not(feature = "admin-worker"))]
            origin: var("ORIGIN").map(|o| o.trim().trim_end_matches('/').to_string()),
            config_ttl_ms: number("CONFIG_TTL_SECONDS", 30.0) * 1000.0,
            kv_timeout: Duration::from_millis(number("KV_TIMEOUT_MS", 500.0) as u64),
            #[cfg(feature = "admin-worker")]
            demo: var("DEMO").is_some_and(|v| v == "true"),
        }
    }
}

/// A secret (`wrangler secret put`), or a var of that name in local development; `None` when
/// unset or blank.
pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A secret and its `<NAME>_PREVIOUS` (during a rotation), as byte strings.
pub fn rotating_secret(env: &Env, name: &str) -> Vec<Vec<u8>> {
    [secret(env, name), secret(env, &format!("{name}_PREVIOUS"))]
        .into_iter()
        .flatten()
        .map(String::into_bytes)
        .collect()
}

/// The storefront's identity-cookie secrets ([`rotating_secret`] of [`IDENTITY_SECRET`]),
/// read once per isolate.
pub fn identity_secrets(env: &Env) -> Rc<[Vec<u8>]> {
    IDENTITY_SECRETS.with(|cell| {
        cell.get_or_init(|| rotating_secret(env, IDENTITY_SECRET).into())
            .clone()
    })
}

/// The admin routes' bearer token (the page Worker checks it for its health route only).
pub const ADMIN_TOKEN: &str = "TAILOR_ADMIN_TOKEN";
/// The secret visitor ids are signed with.
pub const ID_KEY: &str = "TAILOR_ID_KEY";
/// The secret the storefront signs the identity cookie with.
pub const IDENTITY_SECRET: &str = "TAILOR_IDENTITY_SECRET";
/// Shopify's webhook signing secret (the app's API secret, or the one shown under
/// Settings → Notifications → Webhooks).
#[cfg(feature = "admin-worker")]
pub const SHOPIFY_SECRET: &str = "SHOPIFY_WEBHOOK_SECRET";
/// The secret generic store events are signed with.
#[cfg(feature = "admin-worker")]
pub const WEBHOOK_SECRET: &str = "TAILOR_WEBHOOK_SECRET";

/// The visitor-id keys (read once per isolate), or `None` (logged once per isolate): then every
/// visitor is anonymous, since an id that cannot be signed cannot be trusted.
pub fn id_keys(env: &Env) -> Option<IdKeys> {
    ID_KEYS.with(|cell| cell.get_or_init(|| read_id_keys(env)).clone())
}

fn read_id_keys(env: &Env) -> Option<IdKeys> {
    let result = match secret(env, ID_KEY) {
        Some(current) => IdKeys::new(
            &current,
            secret(env, &format!("{ID_KEY}_PREVIOUS")).as_deref(),
        ),
        None => Err(format!("the {ID_KEY} secret is not set")),
    };
    match result {
        Ok(keys) => Some(keys),
        Err(problem) => {
            console_error!(
                "tailor: {problem}: visitors get contextual personalization only (no id, no profile); `npx wrangler secret put {ID_KEY}`"
            );
            None
        }
    }
}
