//! `POST /__tailor/preview` (admin token): signs a preview link for QA on the real storefront.

use serde_json::{json, Value};
use web_sys::{Request, Response};
use worker::{console_log, Env};

use super::profiles::read_body;
use super::reply::reply;
use super::settings::{id_keys, Settings, ID_KEY};
use super::store;
use crate::config::ConfigError;
use crate::preview::{link, read_request};
use crate::request::RequestFacts;

/// Preview requests are a few forced ids: anything larger is not one.
const PREVIEW_REQUEST_MAX_BYTES: usize = 16 * 1024;

/// Checks the request against the active config (422 with every mistake), then answers `201`
/// with the link, its token and its expiry.
pub async fn create_link(
    request: &Request,
    env: &Env,
    settings: &Settings,
    facts: &RequestFacts,
) -> Response {
    let body = match read_body(request, PREVIEW_REQUEST_MAX_BYTES).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let body: Value = if body.trim().is_empty() {
        json!({})
    } else {
        match serde_json::from_str(&body) {
            Ok(value) => value,
            Err(e) => return reply(400, &json!({"error": format!("the body is not JSON: {e}")})),
        }
    };
    let Some(keys) = id_keys(env) else {
        return reply(
            503,
            &json!({"error": format!("preview links are signed with {ID_KEY}, which is not set")}),
        );
    };
    let Some(config) = store::config(env, settings, facts.now_ms as f64).await else {
        return reply(
            503,
            &json!({"error": "no valid config is active, so there is nothing to preview"}),
        );
    };
    match read_request(&body, &config, facts.now_ms) {
        Ok(granted) => {
            let token = granted.preview.sign(&keys);
            let url = link(&facts.url, &granted.path, &token);
            console_log!(
                "tailor: preview link issued (segments {:?}, variants {:?}, until {})",
                granted.preview.segments,
                granted.preview.variants,
                granted.preview.expires_at_ms
            );
            reply(
                201,
                &json!({
                    "url": url,
                    "token": token,
                    "expiresAt": granted.preview.expires_at_ms,
                    "segments": granted.preview.segments,
                    "variants": granted.preview.variants_json(),
                    "configVersion": config.version,
                }),
            )
        }
        Err(errors) => {
            let errors: Vec<Value> = errors.iter().map(ConfigError::to_json).collect();
            reply(422, &json!({ "errors": errors }))
        }
    }
}
