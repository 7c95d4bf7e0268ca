//! The config routes of the admin API: the active config and its versions read, a new version
//! uploaded (validated with the same compiler as the page path, with the runtime's own selector
//! parser), a kept version restored. What to write is planned by [`crate::config::history`];
//! this module only reads and writes KV.
//!
//! The isolate that performs an upload or rollback forgets its cached config, so its next page
//! view uses the new one; other isolates pick it up when their cached copy expires
//! (`CONFIG_TTL_SECONDS`), plus KV's own propagation delay between locations.

use std::time::Duration;

use futures_util::future::join;
use serde_json::json;
use web_sys::{Request, Response};
use worker::{console_error, console_log, Env};

use super::html_rewriter::check_selector;
use super::profiles::read_body;
use super::reply::{reply, reply_typed, respond_with};
use super::store;
use crate::admin::ConfigRoute;
use crate::config::history::{
    self, etag, parse_if_match, parse_rollback_request, version_key, HistoryError, Plan, Source,
    Stored, Upload, VersionIndex, MAX_CONFIG_BYTES, VERSIONS_KEY,
};
use crate::config::CONFIG_KEY;
use crate::request::url::Query;
use crate::request::RequestFacts;

/// KV reads on these routes may take longer than on the page path: an admin waits.
const KV_TIMEOUT: Duration = Duration::from_secs(10);
/// A rollback's body is `{"to": n}` at most.
const ROLLBACK_MAX_BYTES: usize = 1024;
const JSON: &str = "application/json; charset=utf-8";

/// Answers a config route (the admin token is already checked).
pub async fn route(
    request: &Request,
    env: &Env,
    facts: &RequestFacts,
    route: ConfigRoute,
) -> Response {
    let result = match route {
        ConfigRoute::Active => active(env).await,
        ConfigRoute::Versions => versions(env).await,
        ConfigRoute::Version(number) => version(env, number).await,
        ConfigRoute::Upload => upload(request, env, facts).await,
        ConfigRoute::Rollback => rollback(request, env, facts).await,
    };
    result.unwrap_or_else(|response| response)
}

type Answer = Result<Response, Response>;

async fn read(env: &Env, key: &str) -> Result<Option<String>, Response> {
    store::read(env, key, KV_TIMEOUT).await.map_err(|reason| {
        console_error!("tailor: config API: {reason}");
        reply(
            503,
            &json!({"error": format!("KV is unavailable: {reason}")}),
        )
    })
}

/// The index and the active text, read together.
async fn read_stored(env: &Env) -> Result<(Option<String>, Option<String>), Response> {
    let (index, active) = join(read(env, VERSIONS_KEY), read(env, CONFIG_KEY)).await;
    Ok((index?, active?))
}

fn refuse(error: &HistoryError) -> Response {
    reply(error.status(), &error.to_json())
}

/// A version's text, with its number and `version` field in headers when the index knows it.
fn text_with_headers(text: &str, entry: Option<&history::VersionEntry>) -> Response {
    let headers: Vec<(&str, String)> = entry
        .map(|e| {
            vec![
                ("etag", etag(e.number)),
                ("x-tailor-config-number", e.number.to_string()),
                ("x-tailor-config-version", e.version.clone()),
            ]
        })
        .unwrap_or_default();
    respond_with(200, JSON, text, &headers)
}

/// `GET /__tailor/config`: the active text; headers name its version when the index records
/// it (a config written by other means has none until the next upload adopts it).
async fn active(env: &Env) -> Answer {
    let (index, active) = read_stored(env).await?;
    let Some(text) = active else {
        return Ok(reply(
            404,
            &json!({"error": "no config in KV under \"config\""}),
        ));
    };
    let index = VersionIndex::load(index.as_deref()).ok().flatten();
    let entry = index
        .as_ref()
        .and_then(VersionIndex::active_entry)
        .filter(|e| e.sha256 == history::sha256_hex(&text));
    Ok(text_with_headers(&text, entry))
}

/// `GET /__tailor/config/versions`: the index (empty before the first upload).
async fn versions(env: &Env) -> Answer {
    let index = read(env, VERSIONS_KEY).await?;
    match VersionIndex::load(index.as_deref()) {
        Ok(Some(index)) => Ok(reply_typed(200, &index)),
        Ok(None) => Ok(reply(
            200,
            &json!({"active": null, "versions": [], "log": []}),
        )),
        Err(error) => Err(refuse(&error)),
    }
}

/// `GET /__tailor/config/versions/<n>`: a kept version's text.
async fn version(env: &Env, number: u64) -> Answer {
    let (index, text) = join(read(env, VERSIONS_KEY), read(env, &version_key(number))).await;
    let Some(text) = text? else {
        return Err(refuse(&HistoryError::UnknownVersion(number)));
    };
    let index = VersionIndex::load(index?.as_deref()).ok().flatten();
    Ok(text_with_headers(
        &text,
        index.as_ref().and_then(|i| i.entry(number)),
    ))
}

/// `PUT /__tailor/config[?note=...]`, optionally `If-Match: "<n>"`: 201 with the new version,
/// 200 when identical to the active one, 422 with every error (nothing written).
async fn upload(request: &Request, env: &Env, facts: &RequestFacts) -> Answer {
    let text = read_body(request, MAX_CONFIG_BYTES).await?;
    let if_active = match request.headers().get("if-match").ok().flatten() {
        Some(header) => {
            Some(parse_if_match(&header).map_err(|reason| reply(400, &json!({"error": reason})))?)
        }
        None => None,
    };
    let query = Query::from_url(&facts.url);
    let (index, active) = read_stored(env).await?;
    let plan = history::upload(
        Stored::of(&index, &active),
        Upload {
            text: &text,
            source: Source::Api,
            note: query.get("note"),
            now_ms: facts.now_ms,
            if_active,
        },
        &check_selector,
    )
    .map_err(|error| refuse(&error))?;
    let status = if plan.outcome.changed { 201 } else { 200 };
    apply(env, &plan).await?;
    Ok(reply_typed(status, &plan.outcome))
}

/// `POST /__tailor/config/rollback` with `{"to": n}`, or no body for the previous version.
async fn rollback(request: &Request, env: &Env, facts: &RequestFacts) -> Answer {
    let body = read_body(request, ROLLBACK_MAX_BYTES).await?;
    let to =
        parse_rollback_request(&body).map_err(|reason| reply(400, &json!({"error": reason})))?;
    let (index, active) = read_stored(env).await?;
    let target = history::rollback_target(index.as_deref(), to).map_err(|e| refuse(&e))?;
    let text = read(env, &version_key(target)).await?;
    let plan = history::rollback(
        Stored::of(&index, &active),
        target,
        text.as_deref(),
        facts.now_ms,
        &check_selector,
    )
    .map_err(|error| refuse(&error))?;
    apply(env, &plan).await?;
    Ok(reply_typed(200, &plan.outcome))
}

/// Performs a plan's writes in order (stopping at the first failure: the order keeps what was
/// written consistent), then its deletes; this isolate then reloads the config.
async fn apply(env: &Env, plan: &Plan) -> Result<(), Response> {
    for (key, value) in &plan.writes {
        if let Err(reason) = store::put(env, key, value, None).await {
            console_error!("tailor: config API: {reason}");
            store::forget_config();
            return Err(reply(
                503,
                &json!({"error": format!("{reason}; retry: the next attempt completes it")}),
            ));
        }
    }
    for key in &plan.deletes {
        if let Err(reason) = store::delete(env, key).await {
            console_error!("tailor: config API: old version not deleted: {reason}");
        }
    }
    if plan.outcome.changed {
        store::forget_config();
        console_log!(
            "tailor: config version {} ({}) is now active",
            plan.outcome.number,
            plan.outcome.version
        );
    }
    Ok(())
}
