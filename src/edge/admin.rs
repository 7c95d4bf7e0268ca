//! The admin routes under `/__tailor/`: conversions in, reports and the audit out. Every route
//! needs the `TAILOR_ADMIN_TOKEN` bearer token; none is ever personalized or cached.

use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{console_error, Context, Env};

use super::events::{self, query};
use super::settings::Settings;
use super::store;
use crate::admin::{admin_route, check_token, Access, AdminRoute};
use crate::audit::day_of;
use crate::events::{
    arm_totals, content_totals, parse_conversion, segment_totals, CONTENT_TOTALS_SQL,
    CONVERSION_MAX_BYTES, EXPERIMENT_TOTALS_SQL, SEGMENT_TOTALS_SQL,
};
use crate::report::{audit_report, audit_report_html, experiment_report, experiment_report_html};

/// The secret holding the admin token.
pub const TOKEN_BINDING: &str = "TAILOR_ADMIN_TOKEN";

/// Answers an admin route, or `None` when the path is the storefront's.
pub async fn route(
    request: &Request,
    env: &Env,
    ctx: &Context,
    settings: &Settings,
    path: &str,
    now_ms: f64,
) -> Option<Response> {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let route = admin_route(&request.method(), path, header("accept").as_deref())?;
    let token = env
        .secret(TOKEN_BINDING)
        .map(|s| s.to_string())
        .or_else(|_| env.var(TOKEN_BINDING).map(|v| v.to_string()))
        .ok();
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
    let now = now_ms as u64;
    Some(match route {
        AdminRoute::Conversion => conversion(request, env, ctx, now).await,
        AdminRoute::Report { key, json } => report(env, settings, &key, json, now_ms).await,
        AdminRoute::Audit { json } => audit(env, settings, json, now_ms).await,
        AdminRoute::Unknown => reply(404, &json!({"error": "no such admin route"})),
    })
}

async fn conversion(request: &Request, env: &Env, ctx: &Context, now: u64) -> Response {
    let declared = request
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > CONVERSION_MAX_BYTES) {
        return too_large();
    }
    let body = match request.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let Some(body) = body else {
        return reply(400, &json!({"error": "the body could not be read"}));
    };
    if body.len() > CONVERSION_MAX_BYTES {
        return too_large();
    }
    match parse_conversion(&body, now) {
        Ok(event) => {
            events::send(env, ctx, vec![event]);
            reply(202, &json!({"accepted": true}))
        }
        Err(reason) => reply(400, &json!({"error": reason})),
    }
}

fn too_large() -> Response {
    reply(
        413,
        &json!({"error": format!("the body is over {CONVERSION_MAX_BYTES} bytes")}),
    )
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
        reply(200, &report)
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
        reply(200, &audit)
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

fn reply(status: u16, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    respond(status, "application/json; charset=utf-8", &text)
}

fn html(body: &str) -> Response {
    respond(200, "text/html; charset=utf-8", body)
}

fn respond(status: u16, content_type: &str, body: &str) -> Response {
    let built = (|| -> Result<Response, JsValue> {
        let headers = Headers::new()?;
        headers.set("content-type", content_type)?;
        headers.set("cache-control", "no-store")?;
        headers.set("x-content-type-options", "nosniff")?;
        let init = ResponseInit::new();
        init.set_status(status);
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(Some(body), &init)
    })();
    built.unwrap_or_else(|_| Response::error())
}
