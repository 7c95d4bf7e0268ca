//! The edge shell: the only code that touches the Workers runtime.
//!
//! Two Workers are built from it (scripts/build.sh):
//! - **the page Worker** (the default build, [`page`]) stands in front of the storefront. For
//!   each request it extracts the facts, starts the origin fetch, the config load (cached per
//!   isolate) and the profile read together, asks the core to decide, and hands the origin's
//!   body stream to the runtime's `HTMLRewriter` with the plan. Every failure serves the
//!   origin's response unchanged. Requests under `/__tailor/` go to the admin Worker as they
//!   came, over the `TAILOR_ADMIN` service binding.
//! - **the admin Worker** (`--features admin-worker`, [`admin`]) answers `/__tailor/`: the
//!   admin API, store webhooks, the shopper's opt-out, the demo's persona switch; and it
//!   consumes the event and profile Queues and runs the bandit's cron.
//!
//! Keeping them apart keeps the page Worker's Wasm to the page path: every isolate that serves
//! pages downloads, compiles and instantiates only that (about 30% less code).

// The floor build (a benchmark) leaves the page path unused.
#![cfg_attr(feature = "wasm-floor", allow(dead_code, unused_imports))]

#[cfg(feature = "admin-worker")]
mod admin;
#[cfg(feature = "admin-worker")]
mod bandit;
#[cfg(feature = "admin-worker")]
mod demo;
#[cfg(feature = "admin-worker")]
mod event_store;
mod events;
mod facts;
mod html_rewriter;
#[cfg(not(feature = "admin-worker"))]
mod origin;
#[cfg(not(feature = "admin-worker"))]
mod page;
#[cfg(feature = "admin-worker")]
mod preview_link;
#[cfg(feature = "admin-worker")]
mod privacy;
#[cfg(feature = "admin-worker")]
mod profiles;
mod reply;
mod runtime;
mod settings;
mod store;
#[cfg(feature = "admin-worker")]
mod versions;

use web_sys::{Request, Response};
use worker::{console_warn, event, Context, Env};

use crate::config::Config;
use crate::request::RequestFacts;
use crate::visitor::{Visitor, VISITOR_ID_BYTES};

/// The Wasm's heap (see Cargo.toml): Talc, which grows the memory as dlmalloc did and never
/// hands it back (WebAssembly memory cannot shrink).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Name of the Workers KV binding holding config and profiles.
pub const KV_BINDING: &str = "TAILOR_KV";

/// The page Worker: every storefront request.
#[cfg(not(any(feature = "admin-worker", feature = "wasm-floor")))]
#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    start();
    Ok(page::handle(request, env, ctx).await)
}

/// Benchmark only (`--features wasm-floor`): the origin's response, fetched beside the KV read
/// of `FLOOR_PROFILE_KEY`, with nothing decided.
#[cfg(all(feature = "wasm-floor", not(feature = "admin-worker")))]
#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let settings = settings::Settings::of(&env);
    let key = env
        .var("FLOOR_PROFILE_KEY")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let (origin, _profile) = futures_util::future::join(
        origin::fetch(&env, &settings, &request),
        store::read(&env, &key, settings.kv_timeout),
    )
    .await;
    Ok(origin.unwrap_or_else(|_| Response::error()))
}

/// The admin Worker: requests under `/__tailor/`, forwarded by the page Worker.
#[cfg(feature = "admin-worker")]
#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    start();
    Ok(admin::handle(request, env, ctx).await)
}

/// The Queue consumers (admin Worker): events into D1, profile updates into KV.
#[cfg(feature = "admin-worker")]
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<wasm_bindgen::JsValue>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    start();
    if batch.queue() == profiles::QUEUE_NAME {
        profiles::consume(batch, env).await;
    } else {
        event_store::consume(batch, env).await;
    }
    Ok(())
}

/// The Cron Trigger (admin Worker): bandit experiments get new weights.
#[cfg(feature = "admin-worker")]
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    start();
    bandit::reallocate(&env, js_sys::Date::now()).await;
}

/// What every entry point does first: the core's case mapping uses the runtime's.
fn start() {
    crate::case::use_runtime_mapping(runtime::map_case);
}

/// Who the visitor is, as far as consent and our keys allow: anonymous without consent or
/// without a signing key; else their signed id, and the logged-in customer when the storefront's
/// identity cookie verifies.
pub(super) fn identify(
    env: &Env,
    facts: &RequestFacts,
    config: Option<&Config>,
    fresh: [u8; VISITOR_ID_BYTES],
) -> Visitor {
    let (visitor, problem) = crate::decision::identify(
        config,
        facts,
        fresh,
        || settings::id_keys(env),
        || settings::identity_secrets(env),
    );
    if let Some(problem) = problem {
        console_warn!("tailor: {problem}: the visitor is not treated as logged in");
    }
    visitor
}
