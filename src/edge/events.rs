//! Events off the page's path: page views and conversions go to a Queue (sent after the
//! response, with `wait_until`), and the Queue's consumer, in this same worker, writes them to
//! D1 in one atomic batch. Reports read D1.

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{console_error, console_warn, Context, D1Database, Env, MessageBatch};

use crate::events::{statements, Event};

/// The Queue carrying events.
pub const QUEUE_BINDING: &str = "TAILOR_EVENTS";
/// The D1 database holding them.
pub const DB_BINDING: &str = "TAILOR_DB";

/// Sends `events` as one Queue batch once the response is on its way; never delays or fails
/// the page. Without the binding, or if the send fails, the events are dropped and logged.
pub fn send(env: &Env, ctx: &Context, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let count = events.len();
    let queue = match env.queue(QUEUE_BINDING) {
        Ok(queue) => queue,
        Err(_) => {
            console_warn!("tailor: no {QUEUE_BINDING} queue binding: {count} event(s) dropped");
            return;
        }
    };
    let messages: Vec<String> = events
        .iter()
        .filter_map(|event| serde_json::to_string(event).ok())
        .collect();
    ctx.wait_until(async move {
        if let Err(e) = queue.send_batch(messages).await {
            console_error!("tailor: {count} event(s) dropped: the queue refused them: {e}");
        }
    });
}

/// The Queue consumer: decodes the batch and stores it in D1 in one atomic batch; acks on
/// success, asks for redelivery when D1 fails. A message that is not an event is logged and
/// acknowledged, so it can never block the queue.
pub async fn consume(batch: MessageBatch<String>, env: Env) {
    let mut events = Vec::new();
    for message in batch.raw_iter() {
        let body = message.body();
        match body
            .as_string()
            .map(|text| serde_json::from_str::<Event>(&text))
        {
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

/// Runs a report query with one parameter, rows as JSON objects.
pub async fn query(env: &Env, sql: &str, param: Value) -> Result<Vec<Value>, String> {
    let db = database(env)?;
    let statement = db
        .prepare(sql)
        .bind(&params(&[param]))
        .map_err(|e| format!("could not prepare: {e}"))?;
    let result = statement
        .all()
        .await
        .map_err(|e| format!("D1 query failed: {e}"))?;
    result
        .results::<Value>()
        .map_err(|e| format!("unreadable D1 rows: {e}"))
}
