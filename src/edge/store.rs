//! Workers KV: the merchant's config (compiled once per isolate and cached briefly) and the
//! visitor's profile (one read per page view, with a time budget).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen_futures::JsFuture;
#[cfg(feature = "admin-worker")]
use worker::KvStore;
use worker::{console_error, console_log, console_warn, Env};

use super::html_rewriter::{check_selector, describe};
use super::runtime::kv_text;
use super::settings::Settings;
use crate::assignment::{self, BANDIT_WEIGHTS_KEY};
use crate::config::{Config, CONFIG_KEY};
use crate::content::{Catalog, CATALOG_KEY};
#[cfg(not(feature = "admin-worker"))]
use crate::visitor::Profile;

/// A document as last loaded in this isolate; `None` means "missing or invalid" until the
/// next load.
struct Cached<T> {
    loaded_at_ms: f64,
    value: Option<Rc<T>>,
}

type Slot<T> = std::thread::LocalKey<RefCell<Option<Cached<T>>>>;

thread_local! {
    // NOTE: a Workers isolate is single-threaded; these live as long as the isolate.
    static CONFIG: RefCell<Option<Cached<Config>>> = const { RefCell::new(None) };
    static CATALOG: RefCell<Option<Cached<Catalog>>> = const { RefCell::new(None) };
}

/// A document from this isolate's cache while it is fresh, else loaded (parsed, validated and
/// compiled once) and cached, valid or not, for `ttl_ms`.
async fn cached<T>(
    slot: &'static Slot<T>,
    ttl_ms: f64,
    now_ms: f64,
    load: impl std::future::Future<Output = Option<T>>,
) -> Option<Rc<T>> {
    let fresh = slot.with_borrow(|cached| {
        cached
            .as_ref()
            .filter(|c| now_ms - c.loaded_at_ms < ttl_ms)
            .map(|c| c.value.clone())
    });
    if let Some(value) = fresh {
        return value;
    }
    let value = load.await.map(Rc::new);
    slot.with_borrow_mut(|cached| {
        *cached = Some(Cached {
            loaded_at_ms: now_ms,
            value: value.clone(),
        });
    });
    value
}

/// The active config (see [`cached`]); missing or invalid means pages are served unchanged.
pub async fn config(env: &Env, settings: &Settings, now_ms: f64) -> Option<Rc<Config>> {
    cached(
        &CONFIG,
        settings.config_ttl_ms,
        now_ms,
        load_config(env, settings),
    )
    .await
}

/// The product catalog (see [`cached`]), for recommendation slots; without it they leave the
/// page alone.
pub async fn catalog(env: &Env, settings: &Settings, now_ms: f64) -> Option<Rc<Catalog>> {
    cached(
        &CATALOG,
        settings.config_ttl_ms,
        now_ms,
        load_catalog(env, settings),
    )
    .await
}

async fn load_catalog(env: &Env, settings: &Settings) -> Option<Catalog> {
    let text = match read(env, CATALOG_KEY, settings.kv_timeout).await {
        Ok(Some(text)) => text,
        Ok(None) => {
            console_warn!("tailor: no catalog in KV under {CATALOG_KEY:?}: recommendation slots are left alone");
            return None;
        }
        Err(reason) => {
            console_error!(
                "tailor: catalog not loaded ({reason}): recommendation slots are left alone"
            );
            return None;
        }
    };
    match Catalog::parse(&text) {
        Ok(catalog) => {
            console_log!(
                "tailor: catalog loaded: {} products",
                catalog.products().len()
            );
            Some(catalog)
        }
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            console_error!(
                "tailor: catalog in KV is invalid, recommendation slots are left alone; {} error(s): {}",
                list.len(),
                list.join("; ")
            );
            None
        }
    }
}

async fn load_config(env: &Env, settings: &Settings) -> Option<Config> {
    let text = match read(env, CONFIG_KEY, settings.kv_timeout).await {
        Ok(Some(text)) => text,
        Ok(None) => {
            console_warn!(
                "tailor: no config in KV under {CONFIG_KEY:?}: pages are served unchanged"
            );
            return None;
        }
        Err(reason) => {
            console_error!("tailor: config not loaded ({reason}): pages are served unchanged");
            return None;
        }
    };
    match Config::parse(&text, &check_selector) {
        Ok(mut config) => {
            if config.experiments.iter().any(|e| e.spec.bandit.is_some()) {
                apply_bandit_weights(env, settings, &mut config).await;
            }
            console_log!(
                "tailor: config {} loaded: {} segments, {} slots",
                config.version,
                config.segments.len(),
                config.slots.len()
            );
            let expired = config.expired(js_sys::Date::now() as u64);
            if !expired.is_empty() {
                console_warn!(
                    "tailor: content past its end date (retire it): {}",
                    expired.join("; ")
                );
            }
            Some(config)
        }
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            console_error!(
                "tailor: config in KV is invalid, pages are served unchanged; {} error(s): {}",
                list.len(),
                list.join("; ")
            );
            None
        }
    }
}

/// Bandit experiments take the weights the cron last computed (read with the config, so once
/// per isolate and TTL, never per page view); without them, the config's own weights.
async fn apply_bandit_weights(env: &Env, settings: &Settings, config: &mut Config) {
    let document = match read(env, BANDIT_WEIGHTS_KEY, settings.kv_timeout).await {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_else(|e| {
            console_error!(
                "tailor: {BANDIT_WEIGHTS_KEY} is not JSON ({e}): configured weights used"
            );
            serde_json::Value::Null
        }),
        Ok(None) => return,
        Err(reason) => {
            console_warn!(
                "tailor: {BANDIT_WEIGHTS_KEY} not read ({reason}): configured weights used"
            );
            return;
        }
    };
    for problem in assignment::apply_bandit_weights(&mut config.experiments, &document) {
        console_warn!("tailor: {problem}: configured weights used");
    }
}

/// Whether this isolate holds a config loaded less than the TTL ago (the page view will not
/// wait for KV).
#[cfg(not(feature = "admin-worker"))]
pub fn config_is_fresh(settings: &Settings, now_ms: f64) -> bool {
    CONFIG.with_borrow(|cached| {
        cached
            .as_ref()
            .is_some_and(|c| now_ms - c.loaded_at_ms < settings.config_ttl_ms)
    })
}

/// The config this isolate loaded last, fresh or not, without waiting: whether a page may need
/// deciding before its origin fetch (a split-URL experiment).
#[cfg(not(feature = "admin-worker"))]
pub fn last_config() -> Option<Rc<Config>> {
    CONFIG.with_borrow(|cached| cached.as_ref().and_then(|c| c.value.clone()))
}

/// Drops this isolate's cached config, so its next page view loads the config from KV (after
/// an upload or a rollback through the admin API).
pub fn forget_config() {
    CONFIG.with_borrow_mut(|cached| *cached = None);
}

/// The profile under `key` (the visitor's or the logged-in customer's), or `None` (none
/// stored, unreadable, malformed or too slow: all logged except the first).
#[cfg(not(feature = "admin-worker"))]
pub async fn profile(env: &Env, settings: &Settings, key: &str) -> Option<Profile> {
    match read(env, key, settings.kv_timeout).await {
        Ok(None) => None,
        Ok(Some(text)) => match Profile::parse(&text) {
            Ok(profile) => Some(profile),
            Err(reason) => {
                console_warn!("tailor: ignoring profile {key}: {reason}");
                None
            }
        },
        Err(reason) => {
            console_warn!(
                "tailor: profile {key} not read ({reason}): visitor treated as anonymous"
            );
            None
        }
    }
}

/// Reads a text value from the `TAILOR_KV` namespace within `timeout`.
pub async fn read(env: &Env, key: &str, timeout: Duration) -> Result<Option<String>, String> {
    // NOTE: one call into the runtime (`runtime.js`), which races the read against the
    // budget and clears its timer, instead of a dozen crossings through workers-rs' KV and
    // timer types on every page view.
    let read = kv_text(env, super::KV_BINDING, key, timeout.as_millis() as f64);
    match JsFuture::from(read).await {
        Ok(text) => Ok(text.as_string()),
        Err(reason) => Err(describe(reason)),
    }
}

/// Writes a text value to the `TAILOR_KV` namespace, expiring after `ttl_secs` if given
/// (admin Worker: the page path never writes KV).
#[cfg(feature = "admin-worker")]
pub async fn put(env: &Env, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), String> {
    let kv = namespace(env)?;
    let mut put = kv
        .put(key, value)
        .map_err(|e| format!("KV put failed: {e}"))?;
    if let Some(ttl) = ttl_secs {
        put = put.expiration_ttl(ttl);
    }
    put.execute()
        .await
        .map_err(|e| format!("KV put of {key} failed: {e}"))
}

/// Deletes a key from the `TAILOR_KV` namespace.
#[cfg(feature = "admin-worker")]
pub async fn delete(env: &Env, key: &str) -> Result<(), String> {
    namespace(env)?
        .delete(key)
        .await
        .map_err(|e| format!("KV delete of {key} failed: {e}"))
}

#[cfg(feature = "admin-worker")]
fn namespace(env: &Env) -> Result<KvStore, String> {
    env.kv(super::KV_BINDING)
        .map_err(|e| format!("KV binding {} unavailable: {e}", super::KV_BINDING))
}
