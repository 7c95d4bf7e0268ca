//! Events off the page's path: page views and conversions go to a Queue, sent after the
//! response with `wait_until`. The admin Worker consumes the Queue into D1 (`event_store`).

use wasm_bindgen::JsValue;
use worker::{console_error, Context, Env, QueueContentType, RawMessageBuilder, SendMessage};

use crate::events::Event;

/// The Queue carrying events.
pub const QUEUE_BINDING: &str = "TAILOR_EVENTS";

/// Sends `events` as one Queue batch once the response is on its way; never delays or fails
/// the page. Without the binding, or if the send fails, the events are dropped and logged.
pub fn send(env: &Env, ctx: &Context, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        if let Err(problem) = send_now(&env, &events).await {
            console_error!("tailor: {} event(s) dropped: {problem}", events.len());
        }
    });
}

/// Sends `events` as one Queue batch and waits for the queue to take them.
pub async fn send_now(env: &Env, events: &[Event]) -> Result<(), String> {
    if events.is_empty() {
        return Ok(());
    }
    let queue = env
        .queue(QUEUE_BINDING)
        .map_err(|_| format!("no {QUEUE_BINDING} queue binding"))?;
    // NOTE: raw JS strings: the typed send would link a serde serializer just to copy text.
    let messages: Vec<SendMessage<JsValue>> = events
        .iter()
        .map(|event| {
            RawMessageBuilder::new(JsValue::from_str(&event.encode()))
                .build_with_content_type(QueueContentType::Text)
        })
        .collect();
    queue
        .send_raw_batch(messages)
        .await
        .map_err(|e| format!("the queue refused them: {e}"))
}
