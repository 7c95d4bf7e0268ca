//! The admin Worker's routes under `/__tailor/`: conversions in, reports and the audit out,
//! profiles read and erased, config versions and preview links (all behind the
//! `TAILOR_ADMIN_TOKEN` bearer token); store webhooks (behind their signatures); the shopper's
//! opt-out and visitor token; the demo's persona switch. None is ever personalized or cached.

use serde_json::json;
use web_sys::{Request, Response};
use worker::{console_error, Context, Env};

use super::event_store::query;
use super::events;
use super::reply::{reply, reply_typed, respond};
use super::settings::{secret, Settings, ADMIN_TOKEN};
use super::{demo, facts, preview_link, privacy, profiles, store, versions};
use crate::admin::{admin_route, check_token, Access, AdminRoute, Guard};
use crate::audit::day_of;
use crate::events::{
    arm_totals, content_totals, parse_conversion, segment_totals, CONTENT_TOTALS_SQL,
    CONVERSION_MAX_BYTES, EXPERIMENT_TOTALS_SQL, SEGMENT_TOTALS_SQL,
};
use crate::report::{audit_report, audit_report_html, experiment_report, experiment_report_html};
use crate::request::RequestFacts;

/// Answers a request the page Worker forwarded (anything under `/__tailor/`).
pub async fn handle(request: Request, env: Env, ctx: Context) -> Response {
    let settings = Settings::of(&env);
    let (facts, _) = facts::extract(&request, js_sys::Date::now());
    if let Some(response) = route(&request, &env, &ctx, &settings, &facts).await {
        return response;
    }
    match facts.path().strip_prefix(demo::PERSONA_PATH) {
        Some(name) if settings.demo => demo::switch_persona(&env, &settings, &facts, name).await,
        _ => reply(404, &json!({"error": "no such route"})),
    }
}

/// Answers one of our routes, or `None` for the persona switch (not an admin route).
async fn route(
    request: &Request,
    env: &Env,
    ctx: &Context,
    settings: &Settings,
    facts: &RequestFacts,
) -> Option<Response> {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let route = admin_route(&request.method(), facts.path(), header("accept").as_deref())?;
    if route.guard() == Guard::AdminToken {
        let token = secret(env, ADMIN_TOKEN);
        match check_token(header("authorization").as_deref(), token.as_deref()) {
            Access::Disabled => {
                return Some(reply(
                    404,
                    &json!({"error": "the admin API is disabled: set the TAILOR_ADMIN_TOKEN secret"}),
                ))
            }
            Access::Denied => return Some(reply(401, &json!({"error": "unauthorized"}))),
            Access::Granted => {}
        }
    }
    let now_ms = facts.now_ms as f64;
    let now = facts.now_ms;
    Some(match route {
        AdminRoute::Conversion => conversion(request, env, ctx, now).await,
        AdminRoute::Report { key, json } => report(env, settings, &key, json, now_ms).await,
        AdminRoute::Audit { json } => audit(env, settings, json, now_ms).await,
        AdminRoute::Profile { subject, erase } => {
            if erase {
                profiles::erase(env, settings, &subject, now).await
            } else {
                profiles::read_profile(env, settings, &subject).await
            }
        }
        AdminRoute::Webhook(source) => profiles::webhook(request, env, settings, source, now).await,
        AdminRoute::OptOut { confirm: false } => privacy::opt_out_page(facts),
        AdminRoute::OptOut { confirm: true } => {
            privacy::set_opt_out(request, env, ctx, settings, facts, true).await
        }
        AdminRoute::OptIn => privacy::set_opt_out(request, env, ctx, settings, facts, false).await,
        AdminRoute::VisitorToken => privacy::visitor_token(env, ctx, settings, facts).await,
        AdminRoute::PreviewLink => preview_link::create_link(request, env, settings, facts).await,
        AdminRoute::Config(route) => versions::route(request, env, facts, route).await,
        // NOTE: the page Worker answers the health route itself (its isolate is the one a soak
        // samples), so it never arrives here.
        AdminRoute::Health | AdminRoute::Unknown => {
            reply(404, &json!({"error": "no such admin route"}))
        }
    })
}

async fn conversion(request: &Request, env: &Env, ctx: &Context, now: u64) -> Response {
    let body = match profiles::read_body(request, CONVERSION_MAX_BYTES).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    match parse_conversion(&body, now) {
        Ok(event) => {
            events::send(env, ctx, vec![event]);
            reply(202, &json!({"accepted": true}))
        }
        Err(reason) => reply(400, &json!({"error": reason})),
    }
}

async fn report(env: &Env, settings: &Settings, key: &str, as_json: bool, now_ms: f64) -> Response {
    let Some(config) = store::config(env, settings, now_ms).await else {
        return reply(503, &json!({"error": "no valid config is loaded"}));
    };
    let Some((name, names, weights)) = config.experiment_arms(key) else {
        return reply(
            404,
            &json!({"error": format!("no experiment has the key {key:?}")}),
        );
    };
    let rows = match query(env, EXPERIMENT_TOTALS_SQL, json!(key)).await {
        Ok(rows) => rows,
        Err(reason) => return unavailable(&reason),
    };
    let report = experiment_report(key, &name, &arm_totals(&rows, &names), &weights);
    if as_json {
        reply_typed(200, &report)
    } else {
        html(&experiment_report_html(&report))
    }
}

async fn audit(env: &Env, settings: &Settings, as_json: bool, now_ms: f64) -> Response {
    let Some(config) = store::config(env, settings, now_ms).await else {
        return reply(503, &json!({"error": "no valid config is loaded"}));
    };
    let today = day_of(now_ms as u64);
    let rows = futures_util::future::join(
        query(env, SEGMENT_TOTALS_SQL, json!(today)),
        query(env, CONTENT_TOTALS_SQL, json!(today)),
    )
    .await;
    let (segments, contents) = match rows {
        (Ok(s), Ok(c)) => (segment_totals(&s), content_totals(&c)),
        (Err(reason), _) | (_, Err(reason)) => return unavailable(&reason),
    };
    let audit = audit_report(&segments, &contents, &config.audit_inventory(now_ms as u64));
    if as_json {
        reply_typed(200, &audit)
    } else {
        html(&audit_report_html(&audit))
    }
}

fn unavailable(reason: &str) -> Response {
    console_error!("tailor: report unavailable: {reason}");
    reply(
        503,
        &json!({"error": "the event store is unavailable; see the worker's logs"}),
    )
}

fn html(body: &str) -> Response {
    respond(200, "text/html; charset=utf-8", body)
}
