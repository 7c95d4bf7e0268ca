//! The page Worker's request path: decide for the visitor, rewrite the storefront's page as it
//! streams, and hand `/__tailor/` requests to the admin Worker.

use std::rc::Rc;

use futures_util::future::{join, join3};
use serde_json::json;
use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{console_error, console_log, console_warn, Context, Env};

use super::origin::without_body;
use super::reply::reply;
use super::runtime::with_headers;
use super::settings::{self, Settings};
use super::{events, facts, html_rewriter, identify, origin, store};
use crate::admin::{check_token, Access, ADMIN_PREFIX};
use crate::assignment::Route;
use crate::config::Config;
use crate::content::Catalog;
use crate::decision::{decide, DecideOptions, Decision};
use crate::events::page_events;
use crate::preview::{self, debug_summary, Preview};
use crate::request::RequestFacts;
use crate::response::{
    check_origin_response, check_request, header_changes, likely_page, redirect_headers,
    server_timing, ResponsePlan, Timings,
};
use crate::visitor::{Profile, Visitor, VISITOR_ID_BYTES};

/// The service binding to the admin Worker (`tailor-admin`).
pub const ADMIN_BINDING: &str = "TAILOR_ADMIN";

/// One request to the page Worker: a storefront page (personalized when it can be, else the
/// origin's response as it is), or a `/__tailor/` route handed to the admin Worker.
pub async fn handle(request: Request, env: Env, ctx: Context) -> Response {
    let settings = Settings::of(&env);
    let (facts, routing) = facts::extract(&request, js_sys::Date::now());
    // NOTE: only a browser navigation (which asks for HTML) that is not personalized is worth a
    // log line; assets pass through silently.
    let wants_page = routing
        .accept
        .as_deref()
        .is_some_and(|accept| accept.contains("text/html"));

    if facts.path() == HEALTH_PATH && without_body(&facts.method) {
        return health(&env, &request);
    }
    if facts.path().starts_with(ADMIN_PREFIX) {
        return to_admin(&env, &request, &facts).await;
    }

    if let Err(reason) = check_request(
        &facts.method,
        routing.upgrade.as_deref(),
        routing.range.as_deref(),
    ) {
        if wants_page {
            console_log!("tailor: pass-through ({}) {}", reason.label(), facts.path());
        }
        return pass_through(&env, &settings, &request).await;
    }

    let mut fresh = [0u8; VISITOR_ID_BYTES];
    if let Err(e) = getrandom::fill(&mut fresh) {
        console_error!("tailor: no randomness ({e}): serving the origin unchanged");
        return pass_through(&env, &settings, &request).await;
    }
    // NOTE: consent decides whether the visitor's cookies may even be read, so the consent
    // policy (the config's) comes first. A warm isolate has it in memory; a cold one loads
    // the config before anything else.
    let started = js_sys::Date::now();
    let mut timings = Timings {
        config_cached: store::config_is_fresh(&settings, started),
        ..Timings::default()
    };
    let known_config = match store::last_config() {
        Some(config) => Some(config),
        None => store::config(&env, &settings, js_sys::Date::now()).await,
    };
    let mut visitor = identify(&env, &facts, known_config.as_deref(), fresh);
    let preview_state = preview::from_request(&facts, || settings::id_keys(&env));
    if let Some(rejected) = &preview_state.rejected {
        console_warn!("tailor: preview ignored: {rejected}");
    }
    let preview = preview_state.preview.as_ref();
    let page_like = likely_page(facts.path(), routing.accept.as_deref());

    // NOTE: the waits overlap; a warm isolate has the config cached, so the profile is the
    // only KV read, and new or anonymous visitors (no profile to read) make none. Assets
    // (images, styles) make none either: their profile read would only be thrown away.
    let profile_key = visitor.profile_key().filter(|_| page_like);
    let profile_read = async {
        match &profile_key {
            Some(key) => Some(timed(store::profile(&env, &settings, key)).await),
            None => None,
        }
    };
    let config_read = timed(store::config(&env, &settings, js_sys::Date::now()));

    // A split-URL experiment decides which page to fetch, so on the pages it targets (known
    // from the config this isolate already holds) the decision comes before the origin fetch.
    let routes_here = page_like && store::last_config().is_some_and(|c| c.routes(&facts.url));
    let (origin, config, profile, early) = if routes_here {
        let ((config, config_at), profile) = join(config_read, profile_read).await;
        timings.config_ms = elapsed(started, config_at);
        let profile = profile.map(|(profile, at)| {
            timings.profile_ms = Some(elapsed(started, at));
            profile
        });
        let profile = withdraw_if_opted_out(profile.flatten(), &mut visitor, fresh);
        let early = match &config {
            Some(config) => {
                let catalog = catalog_for(&env, &settings, config).await;
                let options = DecideOptions {
                    routable: true,
                    preview,
                };
                let decide_started = js_sys::Date::now();
                let decision = decide(
                    config,
                    &facts,
                    &visitor,
                    profile.as_ref(),
                    catalog.as_deref(),
                    options,
                );
                timings.decide_ms = elapsed(decide_started, js_sys::Date::now());
                Some(decision)
            }
            None => None,
        };
        let origin = match early.as_ref().map(|d| (d, &d.route)) {
            Some((decision, Some(Route::Redirect(location)))) => {
                send_events(&env, &ctx, &facts, &visitor, decision);
                return redirect(location, decision, &preview_state.set_cookie);
            }
            Some((_, Some(Route::OriginPath(path)))) => {
                match origin::fetch_path(&env, &settings, &request, path).await {
                    Ok(response) if response.status() == 200 => Ok(response),
                    // NOTE: a variation's page that is missing or failing must not cost the
                    // shopper their page: serve the one they asked for.
                    failed => {
                        let status = failed.map_or_else(|e| e, |r| r.status().to_string());
                        console_error!(
                            "tailor: split-URL page {path} answered {status}: serving {} instead",
                            facts.path()
                        );
                        origin::fetch(&env, &settings, &request).await
                    }
                }
            }
            _ => origin::fetch(&env, &settings, &request).await,
        };
        timings.origin_ms = elapsed(started, js_sys::Date::now());
        (origin, config, Some(profile), early)
    } else {
        let ((origin, origin_at), (config, config_at), profile) = join3(
            timed(origin::fetch(&env, &settings, &request)),
            config_read,
            profile_read,
        )
        .await;
        timings.origin_ms = elapsed(started, origin_at);
        timings.config_ms = elapsed(started, config_at);
        let profile = profile.map(|(profile, at)| {
            timings.profile_ms = Some(elapsed(started, at));
            profile
        });
        (origin, config, profile, None)
    };

    let origin = match origin {
        Ok(response) => response,
        Err(reason) => return origin_unreachable(&reason),
    };
    let origin_headers = origin.headers();
    let origin_header = |name: &str| origin_headers.get(name).ok().flatten();
    let content_type = origin_header("content-type");
    if let Err(reason) = check_origin_response(
        origin.status(),
        content_type.as_deref(),
        origin_header("content-range").as_deref(),
    ) {
        if wants_page {
            console_log!("tailor: pass-through ({}) {}", reason.label(), facts.path());
        }
        return origin;
    }
    let Some(config) = config else {
        return origin;
    };
    let decision = match early {
        Some(decision) => decision,
        None => {
            let profile = match (profile, visitor.profile_key()) {
                (Some(read), _) => read,
                // An HTML page that did not look like one: read the profile now.
                (None, Some(key)) => store::profile(&env, &settings, &key).await,
                (None, None) => None,
            };
            let profile = withdraw_if_opted_out(profile, &mut visitor, fresh);
            let catalog = catalog_for(&env, &settings, &config).await;
            let decide_started = js_sys::Date::now();
            let decision = decide(
                &config,
                &facts,
                &visitor,
                profile.as_ref(),
                catalog.as_deref(),
                DecideOptions {
                    preview,
                    ..DecideOptions::default()
                },
            );
            timings.decide_ms = elapsed(decide_started, js_sys::Date::now());
            decision
        }
    };
    send_events(&env, &ctx, &facts, &visitor, &decision);
    let mut decision = decision;
    decision
        .response
        .set_cookies
        .extend(preview_state.set_cookie.clone());
    let is_head = facts.method.eq_ignore_ascii_case("HEAD");
    respond(origin, decision, is_head, timings, preview)
}

/// Whole milliseconds from `from` to `to` (`Date.now()` readings).
fn elapsed(from: f64, to: f64) -> u64 {
    (to - from).max(0.0) as u64
}

/// A future's output with the time it completed (the clock only moves across I/O, so this is
/// when its I/O finished).
async fn timed<T>(future: impl std::future::Future<Output = T>) -> (T, f64) {
    let value = future.await;
    (value, js_sys::Date::now())
}

/// A profile marked opted-out is not used: the visitor becomes anonymous for this page view,
/// and the browser is told to remember the choice.
fn withdraw_if_opted_out(
    profile: Option<Profile>,
    visitor: &mut Visitor,
    fresh: [u8; VISITOR_ID_BYTES],
) -> Option<Profile> {
    if profile.as_ref().is_some_and(Profile::opted_out) {
        *visitor = Visitor::opted_out(fresh);
        return None;
    }
    profile
}

/// Sends what this page view reports (exposures, the audit's daily record) off the page's
/// path. Crawlers report nothing (the decision has no events for them).
fn send_events(
    env: &Env,
    ctx: &Context,
    facts: &RequestFacts,
    visitor: &Visitor,
    decision: &Decision,
) {
    let events = page_events(decision, visitor.id.as_str(), facts.now_ms);
    events::send(env, ctx, events);
}

/// The catalog, when some content recommends products.
async fn catalog_for(env: &Env, settings: &Settings, config: &Config) -> Option<Rc<Catalog>> {
    if config.recommends() {
        store::catalog(env, settings, js_sys::Date::now()).await
    } else {
        None
    }
}

/// A split-URL test's redirect, with our cookies so the assignment sticks (and a preview's
/// cookie, so a preview link to a split page keeps previewing after the redirect).
fn redirect(location: &str, decision: &Decision, preview_cookie: &Option<String>) -> Response {
    let built = (|| -> Result<Response, JsValue> {
        let headers = Headers::new()?;
        for (name, value) in redirect_headers(location, &decision.response) {
            headers.append(name, &value)?;
        }
        if let Some(cookie) = preview_cookie {
            headers.append("set-cookie", cookie)?;
        }
        let init = ResponseInit::new();
        init.set_status(302);
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(None, &init)
    })();
    built.unwrap_or_else(|_| Response::error())
}

/// Builds the visitor's response from the origin's: rewritten as it streams when the plan
/// has edits, with our headers, or the origin's response itself when nothing changes.
fn respond(
    origin: Response,
    mut decision: Decision,
    is_head: bool,
    mut timings: Timings,
    preview: Option<&Preview>,
) -> Response {
    let body_changes = !decision.plan.is_empty();
    let rewrite_started = js_sys::Date::now();
    let rewritten =
        (body_changes && !is_head).then(|| html_rewriter::rewrite(&decision.plan, &origin));
    timings.rewrite_ms = elapsed(rewrite_started, js_sys::Date::now());
    decision.response.server_timing = Some(server_timing(&timings));
    if let Some(preview) = preview {
        let summary = debug_summary(&decision, preview);
        let timing = decision
            .response
            .server_timing
            .as_deref()
            .unwrap_or_default();
        decision.response.debug = Some(format!("{summary}; timings={timing}"));
    }
    let changes = header_changes(&decision.response, body_changes);
    if changes.is_empty() {
        return origin;
    }
    let encoded = match (changes.encode(), &rewritten) {
        (Ok(encoded), _) => encoded,
        (Err(reason), None) => {
            console_error!("tailor: {reason}: serving the origin unchanged");
            return origin;
        }
        (Err(reason), Some(_)) => {
            // NOTE: the origin's body already streams into the rewriter, so the origin's
            // response cannot be served any more. The page goes out rewritten and private,
            // without the header that was refused (nor our cookies).
            console_error!("tailor: {reason}: the page is served without our cookies");
            let safe = header_changes(&ResponsePlan::default(), true);
            match safe.encode() {
                Ok(encoded) => encoded,
                Err(_) => return origin,
            }
        }
    };
    let rebuilt = match rewritten {
        Some(Ok(rewritten)) => {
            // The rewriter's response is new, its headers mutable: changed where they are.
            with_headers(&rewritten, &encoded, true)
        }
        Some(Err(reason)) => {
            console_error!("tailor: rewriter unavailable ({reason}): serving the origin unchanged");
            return origin;
        }
        None => with_headers(&origin, &encoded, false),
    };
    match rebuilt.map_err(html_rewriter::describe) {
        Ok(response) => response,
        Err(reason) => {
            console_error!(
                "tailor: could not build the response ({reason}): serving the origin unchanged"
            );
            origin
        }
    }
}

async fn pass_through(env: &Env, settings: &Settings, request: &Request) -> Response {
    match origin::fetch(env, settings, request).await {
        Ok(response) => response,
        Err(reason) => origin_unreachable(&reason),
    }
}

/// The origin could not be reached at all: there are no origin bytes to fall back to, so
/// answer as a gateway does.
fn origin_unreachable(reason: &str) -> Response {
    console_error!("tailor: origin unreachable: {reason}");
    let init = ResponseInit::new();
    init.set_status(502);
    Response::new_with_opt_str_and_init(
        Some("Bad gateway: the storefront could not be reached."),
        &init,
    )
    .unwrap_or_else(|_| Response::error())
}

/// Hands a `/__tailor/` request to the admin Worker as it came (method, headers, body stream)
/// and its answer back as it comes. Without the binding, or when the admin Worker fails, the
/// caller gets a 503 that says so: these routes are never the storefront's.
async fn to_admin(env: &Env, request: &Request, facts: &RequestFacts) -> Response {
    let answer = origin::fetch_binding(env, ADMIN_BINDING, request).await;
    // NOTE: a config upload or rollback happened in the admin Worker's isolate; this isolate
    // forgets its cached config too, so the admin's next page shows the change at once (other
    // isolates follow within CONFIG_TTL_SECONDS). Forgetting costs one KV read, so any change
    // attempt, successful or not, is reason enough.
    if facts.path().starts_with(CONFIG_ROUTES) && !without_body(&facts.method) {
        store::forget_config();
    }
    match answer {
        Ok(response) => response,
        Err(reason) => {
            console_error!(
                "tailor: {} not answered: the admin Worker ({ADMIN_BINDING}) failed: {reason}",
                facts.path()
            );
            reply(
                503,
                &json!({"error": "the tailor-admin Worker is unavailable (TAILOR_ADMIN binding); see the page Worker's logs"}),
            )
        }
    }
}

/// The admin API's config routes (upload, rollback).
const CONFIG_ROUTES: &str = "/__tailor/config";

/// The page Worker answers its own health route (not the admin Worker): it is this isolate's
/// state a soak test samples.
const HEALTH_PATH: &str = "/__tailor/health";

/// This isolate's state, behind the admin token: the config it holds and its Wasm linear
/// memory, which only grows; a soak test samples it to see that page views leak nothing.
fn health(env: &Env, request: &Request) -> Response {
    let authorization = request.headers().get("authorization").ok().flatten();
    let token = settings::secret(env, settings::ADMIN_TOKEN);
    match check_token(authorization.as_deref(), token.as_deref()) {
        Access::Disabled => reply(
            404,
            &json!({"error": "the admin API is disabled: set the TAILOR_ADMIN_TOKEN secret"}),
        ),
        Access::Denied => reply(401, &json!({"error": "unauthorized"})),
        Access::Granted => {
            let pages = core::arch::wasm32::memory_size::<0>();
            let config = store::last_config();
            reply(
                200,
                &json!({
                    "worker": "page",
                    "wasmMemoryBytes": pages * 65_536,
                    "configVersion": config.as_ref().map(|c| c.version.clone()),
                }),
            )
        }
    }
}
