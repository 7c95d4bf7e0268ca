//! Events off the page's path: page views and conversions go to a Queue, sent after the
//! response with `wait_until`. The admin Worker consumes the Queue into D1 (`event_store`).

use wasm_bindgen_futures::JsFuture;
use worker::{console_error, Context, Env};

use super::html_rewriter::describe;
use super::runtime::queue_texts;
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
    // NOTE: one call into the runtime (`runtime.js`) with the encoded events as lines, instead
    // of workers-rs' Queue types, whose options go through a serde serializer into JavaScript.
    let lines: Vec<String> = events.iter().map(Event::encode).collect();
    send_lines(env, QUEUE_BINDING, &lines.join("\n")).await
}

/// Sends `lines`, one text message per line, to the Queue `binding` as one batch.
pub async fn send_lines(env: &Env, binding: &str, lines: &str) -> Result<(), String> {
    JsFuture::from(queue_texts(env, binding, lines))
        .await
        .map(drop)
        .map_err(describe)
}
