//! Our own answers (admin routes, the health route, errors): JSON or text, never cached, never
//! sniffed.

use wasm_bindgen::JsValue;
use web_sys::{Headers, Response, ResponseInit};

/// A JSON answer.
///
/// NOTE: a `Value`, not any `Serialize`: the generic serializer would add to the page Worker's
/// Wasm, which has no other use for it.
pub fn reply(status: u16, body: &serde_json::Value) -> Response {
    respond(status, "application/json; charset=utf-8", &body.to_string())
}

/// A typed answer as JSON (the admin Worker's reports and plans).
#[cfg(feature = "admin-worker")]
pub fn reply_typed(status: u16, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    respond(status, "application/json; charset=utf-8", &text)
}

/// A text answer of `content_type`.
pub fn respond(status: u16, content_type: &str, body: &str) -> Response {
    respond_with(status, content_type, body, &[])
}

/// [`respond`] with extra headers.
pub fn respond_with(
    status: u16,
    content_type: &str,
    body: &str,
    extra: &[(&str, String)],
) -> Response {
    let built = (|| -> Result<Response, JsValue> {
        let headers = Headers::new()?;
        headers.set("content-type", content_type)?;
        headers.set("cache-control", "no-store")?;
        headers.set("x-content-type-options", "nosniff")?;
        for (name, value) in extra {
            headers.set(name, value)?;
        }
        let init = ResponseInit::new();
        init.set_status(status);
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(Some(body), &init)
    })();
    built.unwrap_or_else(|_| Response::error())
}
