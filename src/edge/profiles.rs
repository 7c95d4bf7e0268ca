//! Profiles in KV, kept by store webhooks: the webhook routes (verify, parse, queue, answer
//! fast), the profile Queue's consumer (one batch at a time, each key written once), and the
//! admin's read and erasure of a person's profile.

use futures_util::future::join_all;
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};
use worker::{console_error, console_log, console_warn, Env, MessageBatch};

use super::reply::reply;
use super::settings::{self, rotating_secret, Settings, SHOPIFY_SECRET, WEBHOOK_SECRET};
use super::store;
use super::{event_store, events};
use crate::admin::{Subject, WebhookSource};
use crate::events::ERASE_VISITOR_SQL;
use crate::profile_update::{
    apply_batch, erasure, keys_to_load, tombstones, webhook_record_key, Documents, Erasure,
    ProfileUpdate, Write,
};
use crate::store_event::{
    category_of, parse_generic, parse_shopify, verify_signature, Change, PayloadError,
    MAX_BODY_BYTES,
};
use crate::visitor::{customer_profile_key, profile_key, VisitorId};

/// The Queue carrying profile updates.
pub const QUEUE_BINDING: &str = "TAILOR_PROFILES";
/// Its name, as the consumer sees it.
pub const QUEUE_NAME: &str = "tailor-profiles";

/// Rounds of loading a batch may need (cart token → visitor → customer → tombstone).
const MAX_LOAD_ROUNDS: usize = 5;

/// `POST /__tailor/webhooks/<source>`: verified, parsed and queued before the answer, so a
/// 2xx means the event will be applied, and anything else means nothing was written (the
/// platform retries).
pub async fn webhook(
    request: &Request,
    env: &Env,
    settings: &Settings,
    source: WebhookSource,
    now_ms: u64,
) -> Response {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let (secret_name, signature_header) = match source {
        WebhookSource::Shopify => (SHOPIFY_SECRET, "x-shopify-hmac-sha256"),
        WebhookSource::Generic => (WEBHOOK_SECRET, "x-tailor-hmac-sha256"),
    };
    let secrets = rotating_secret(env, secret_name);
    if secrets.is_empty() {
        console_error!("tailor: a webhook arrived but {secret_name} is not set: refused");
        return reply(404, &json!({"error": "this webhook is not configured"}));
    }
    let body = match read_body(request, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let secrets: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
    if let Err(problem) = verify_signature(
        body.as_bytes(),
        header(signature_header).as_deref(),
        &secrets,
    ) {
        console_warn!("tailor: webhook refused: {problem}");
        return reply(401, &json!({"error": problem.to_string()}));
    }
    let parsed = match source {
        WebhookSource::Shopify => {
            let (Some(topic), Some(id)) =
                (header("x-shopify-topic"), header("x-shopify-webhook-id"))
            else {
                return reply(
                    400,
                    &json!({"error": "X-Shopify-Topic and X-Shopify-Webhook-Id are required"}),
                );
            };
            parse_shopify(&topic, &id, &body, now_ms)
        }
        WebhookSource::Generic => parse_generic(&body, now_ms),
    };
    let event = match parsed {
        Ok(event) => event,
        Err(PayloadError::UnsupportedTopic(topic)) => {
            // NOTE: 2xx, or the platform retries a topic we will never handle for two days.
            console_log!("tailor: webhook topic {topic} ignored");
            return reply(
                202,
                &json!({"ignored": format!("topic {topic} is not used")}),
            );
        }
        Err(problem) => {
            console_warn!("tailor: webhook refused: {problem}");
            return reply(400, &json!({"error": problem.to_string()}));
        }
    };
    let record = webhook_record_key(event.source, &event.id);
    if let Ok(Some(_)) = store::read(env, &record, settings.kv_timeout).await {
        return reply(200, &json!({"duplicate": true}));
    }
    let visitor = event.visitor_token.as_deref().and_then(|token| {
        let verified = settings::id_keys(env)?.verify(token);
        if verified.is_none() {
            console_warn!(
                "tailor: webhook {}: its visitor token does not verify; applied to the customer only",
                event.id
            );
        }
        verified.map(|v| v.into_id())
    });
    let id = event.id.clone();
    match enqueue(env, &ProfileUpdate::Store { event, visitor }).await {
        Ok(()) => reply(200, &json!({"accepted": id})),
        Err(problem) => {
            console_error!("tailor: webhook {id} not accepted: {problem}");
            reply(503, &json!({"error": "temporarily unavailable; retry"}))
        }
    }
}

/// Reads a request body of at most `limit` bytes, or the 4xx to answer.
pub async fn read_body(request: &Request, limit: usize) -> Result<String, Response> {
    let too_large = || {
        reply(
            413,
            &json!({"error": format!("the body is over {limit} bytes")}),
        )
    };
    let declared = request
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > limit) {
        return Err(too_large());
    }
    let body = match request.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string()),
        Err(_) => None,
    };
    match body {
        Some(body) if body.len() > limit => Err(too_large()),
        Some(body) => Ok(body),
        None => Err(reply(400, &json!({"error": "the body could not be read"}))),
    }
}

/// Puts an update on the profile queue and waits for the queue to take it.
pub async fn enqueue(env: &Env, update: &ProfileUpdate) -> Result<(), String> {
    super::events::send_lines(env, QUEUE_BINDING, &update.encode()).await
}

/// The profile queue's consumer: loads what the batch touches, applies every update in
/// memory, writes each changed key once, then records orders as conversions. Any KV failure
/// retries the whole batch (every update is idempotent); a message that is not an update is
/// logged and acknowledged.
pub async fn consume(batch: MessageBatch<JsValue>, env: Env) {
    let settings = Settings::of(&env);
    let mut updates = Vec::new();
    for message in batch.raw_iter() {
        match message
            .body()
            .as_string()
            .and_then(|t| ProfileUpdate::decode(&t))
        {
            Some(update) => updates.push(update),
            None => console_error!("tailor: dropping a profile message that is not an update"),
        }
    }
    let mut docs = Documents::default();
    for _ in 0..MAX_LOAD_ROUNDS {
        let keys = keys_to_load(&updates, &docs);
        if keys.is_empty() {
            break;
        }
        let reads = join_all(
            keys.iter()
                .map(|k| store::read(&env, k, settings.kv_timeout)),
        )
        .await;
        for (key, read) in keys.into_iter().zip(reads) {
            match read {
                Ok(text) => docs.insert_loaded(key, text.as_deref()),
                Err(problem) => {
                    console_error!("tailor: profile updates postponed ({problem}); the queue will redeliver them");
                    batch.retry_all();
                    return;
                }
            }
        }
    }
    let orders = updates.iter().any(|u| {
        matches!(u, ProfileUpdate::Store { event, .. } if matches!(event.change, Change::Order(_)))
    });
    let catalog = if orders {
        store::catalog(&env, &settings, js_sys::Date::now()).await
    } else {
        None
    };
    let categories = |product: &str| catalog.as_deref().and_then(|c| category_of(c, product));
    let outcome = apply_batch(&updates, &mut docs, &categories);
    let writes = docs.writes();
    let env = &env;
    let results = join_all(writes.iter().map(|write| execute(env, write))).await;
    if let Some(problem) = results.into_iter().find_map(Result::err) {
        console_error!(
            "tailor: profile updates not all written ({problem}); the queue will redeliver them"
        );
        batch.retry_all();
        return;
    }
    for line in &outcome.skipped {
        console_log!("tailor: profile update skipped: {line}");
    }
    console_log!(
        "tailor: {} profile update(s) applied, {} key(s) written",
        updates.len(),
        writes.len()
    );
    if !outcome.conversions.is_empty() {
        if let Err(problem) = events::send_now(env, &outcome.conversions).await {
            console_error!(
                "tailor: {} order conversion(s) dropped: {problem}",
                outcome.conversions.len()
            );
        }
    }
    batch.ack_all();
}

/// Performs one KV write of a batch or an erasure.
async fn execute(env: &Env, write: &Write) -> Result<(), String> {
    match write {
        Write::Put {
            key,
            value,
            ttl_secs,
        } => store::put(env, key, value, *ttl_secs).await,
        Write::Delete(key) => store::delete(env, key).await,
    }
}

/// `GET /__tailor/profiles/<kind>/<id>`: the stored profile, as is.
pub async fn read_profile(env: &Env, settings: &Settings, subject: &Subject) -> Response {
    let key = match subject {
        Subject::Customer(id) => customer_profile_key(id),
        Subject::Visitor(id) => match VisitorId::parse(id) {
            Some(id) => profile_key(&id),
            None => return reply(400, &json!({"error": "not a visitor id"})),
        },
    };
    match store::read(env, &key, settings.kv_timeout).await {
        Ok(Some(text)) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(profile) => reply(200, &json!({"key": key, "profile": profile})),
            Err(e) => reply(200, &json!({"key": key, "unreadable": e.to_string()})),
        },
        Ok(None) => reply(404, &json!({"error": format!("no profile under {key}")})),
        Err(problem) => reply(503, &json!({"error": problem})),
    }
}

/// `DELETE /__tailor/profiles/<kind>/<id>`: erases the person: every KV key linked to them
/// (their profile, the customer's, each linked browser's copy, cart links) and their event
/// rows in D1. Synchronous, so the answer lists what is gone.
pub async fn erase(env: &Env, settings: &Settings, subject: &Subject, now_ms: u64) -> Response {
    let (visitor, customer) = match subject {
        Subject::Customer(id) => (None, Some(id.as_str())),
        Subject::Visitor(id) => match VisitorId::parse(id) {
            Some(id) => (Some(id), None),
            None => return reply(400, &json!({"error": "not a visitor id"})),
        },
    };
    let mut docs = Documents::default();
    let mut plan = erasure(visitor.as_ref(), customer, &docs);
    for _ in 0..MAX_LOAD_ROUNDS {
        let Erasure::Need(keys) = &plan else { break };
        for key in keys {
            match store::read(env, key, settings.kv_timeout).await {
                Ok(text) => docs.insert_loaded(key.clone(), text.as_deref()),
                Err(problem) => return reply(503, &json!({"error": problem, "erased": false})),
            }
        }
        plan = erasure(visitor.as_ref(), customer, &docs);
    }
    let Erasure::Erase { keys, visitor_ids } = plan else {
        return reply(
            503,
            &json!({"error": "the profile links could not be resolved", "erased": false}),
        );
    };
    let deleted = join_all(keys.iter().map(|key| store::delete(env, key))).await;
    if let Some(problem) = deleted.into_iter().find_map(Result::err) {
        return reply(
            503,
            &json!({"error": problem, "erased": false, "retry": true}),
        );
    }
    // NOTE: updates already on the queue from before now must not recreate what was erased.
    let marks = tombstones(&keys, now_ms);
    let marked = join_all(marks.iter().map(|write| execute(env, write))).await;
    if let Some(problem) = marked.into_iter().find_map(Result::err) {
        return reply(
            503,
            &json!({"error": problem, "erased": true, "retry": true}),
        );
    }
    let rows = match event_store::erase_visitors(env, ERASE_VISITOR_SQL, &visitor_ids).await {
        Ok(rows) => rows,
        Err(problem) => {
            console_error!("tailor: erasure: event rows not deleted: {problem}");
            return reply(
                503,
                &json!({"error": "profile keys deleted, event rows not; retry", "keys": keys}),
            );
        }
    };
    console_log!(
        "tailor: erased {} key(s), and event rows in {rows} statement(s), for {} visitor(s)",
        keys.len(),
        visitor_ids.len()
    );
    reply(
        200,
        &json!({"erased": true, "keys": keys, "visitors": visitor_ids.len(), "eventStatements": rows}),
    )
}
