//! The event store (admin Worker): the events Queue's consumer writes each batch to D1 in one
//! atomic batch; reports, the bandit and erasure read and delete rows.

use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{console_error, D1Database, Env, MessageBatch};

use crate::events::{statements, Event};

/// The D1 database holding the events.
pub const DB_BINDING: &str = "TAILOR_DB";

/// The Queue consumer: decodes the batch and stores it in D1 in one atomic batch; acks on
/// success, asks for redelivery when D1 fails. A message that is not an event is logged and
/// acknowledged, so it can never block the queue.
pub async fn consume(batch: MessageBatch<JsValue>, env: Env) {
    let mut events = Vec::new();
    for message in batch.raw_iter() {
        let body = message.body();
        match body.as_string().map(|text| Event::decode(&text)) {
            Some(Ok(event)) => events.push(event),
            Some(Err(e)) => console_error!("tailor: dropping a message that is not an event: {e}"),
            None => console_error!("tailor: dropping a message that is not text"),
        }
    }
    match store(&env, &events).await {
        Ok(()) => batch.ack_all(),
        Err(reason) => {
            console_error!(
                "tailor: {} event(s) not stored ({reason}); the queue will redeliver them",
                events.len()
            );
            batch.retry_all();
        }
    }
}

async fn store(env: &Env, events: &[Event]) -> Result<(), String> {
    let statements = statements(events);
    if statements.is_empty() {
        return Ok(());
    }
    let db = database(env)?;
    let prepared = statements
        .iter()
        .map(|s| db.prepare(s.sql).bind(&params(&s.params)))
        .collect::<worker::Result<Vec<_>>>()
        .map_err(|e| format!("could not prepare: {e}"))?;
    db.batch(prepared)
        .await
        .map(|_| ())
        .map_err(|e| format!("D1 batch failed: {e}"))
}

fn database(env: &Env) -> Result<D1Database, String> {
    env.d1(DB_BINDING)
        .map_err(|_| format!("no {DB_BINDING} D1 binding"))
}

fn params(values: &[Value]) -> Vec<JsValue> {
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => JsValue::from_str(s),
            Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
            Value::Bool(b) => JsValue::from_bool(*b),
            _ => JsValue::NULL,
        })
        .collect()
}

/// Deletes every event row of `visitors` (each statement of `sql` run once per visitor id),
/// in one atomic batch; returns the number of statements run.
pub async fn erase_visitors(
    env: &Env,
    sql: [&str; 4],
    visitors: &[String],
) -> Result<usize, String> {
    if visitors.is_empty() {
        return Ok(0);
    }
    let db = database(env)?;
    let prepared = visitors
        .iter()
        .flat_map(|visitor| sql.iter().map(move |s| (s, visitor)))
        .map(|(s, visitor)| db.prepare(*s).bind(&[JsValue::from_str(visitor)]))
        .collect::<worker::Result<Vec<_>>>()
        .map_err(|e| format!("could not prepare: {e}"))?;
    let count = prepared.len();
    db.batch(prepared)
        .await
        .map(|_| count)
        .map_err(|e| format!("D1 batch failed: {e}"))
}

/// Runs a report query with one parameter, rows as JSON objects.
pub async fn query(env: &Env, sql: &str, param: Value) -> Result<Vec<Value>, String> {
    let db = database(env)?;
    let statement = db
        .prepare(sql)
        .bind(&params(&[param]))
        .map_err(|e| format!("could not prepare: {e}"))?;
    // NOTE: the rows go through JSON text (serde_json is linked anyway) rather than a typed
    // serde_wasm_bindgen deserializer, which would add its own code for `Value`.
    let promise = statement
        .inner()
        .all()
        .map_err(|e| format!("D1 query failed: {}", describe(&e)))?;
    let result = JsFuture::from(promise)
        .await
        .map_err(|e| format!("D1 query failed: {}", describe(&e)))?;
    let text = js_sys::JSON::stringify(&result)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or("unreadable D1 result")?;
    let document: Value =
        serde_json::from_str(&text).map_err(|e| format!("unreadable D1 rows: {e}"))?;
    match document.get("results") {
        Some(Value::Array(rows)) => Ok(rows.clone()),
        _ => Err("D1 returned no rows array".to_string()),
    }
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(error, &"message".into())
                .ok()?
                .as_string()
        })
        .unwrap_or_else(|| "unknown error".to_string())
}
