//! The worker's settings, from `wrangler.toml` vars (overridable per environment).

use std::time::Duration;

use worker::Env;

/// Deployment settings read from vars on every request (cheap: plain JS properties).
pub struct Settings {
    /// The storefront to proxy (`ORIGIN`); `None` serves the embedded demo storefront.
    pub origin: Option<String>,
    /// How long an isolate keeps a loaded config before reading KV again.
    pub config_ttl_ms: f64,
    /// How long a KV read may take before the page is served without it.
    pub kv_timeout: Duration,
    /// Whether the demo's persona switch routes are on (`DEMO = "true"`).
    pub demo: bool,
}

impl Settings {
    /// Reads the vars, falling back to safe defaults for anything missing or malformed.
    pub fn from_env(env: &Env) -> Self {
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
            origin: var("ORIGIN").map(|o| o.trim().trim_end_matches('/').to_string()),
            config_ttl_ms: number("CONFIG_TTL_SECONDS", 30.0) * 1000.0,
            kv_timeout: Duration::from_millis(number("KV_TIMEOUT_MS", 500.0) as u64),
            demo: var("DEMO").is_some_and(|v| v == "true"),
        }
    }
}
