//! Bindings to `runtime.js`: the page path's calls into the Workers runtime, each one a small
//! JavaScript function that does in one crossing what would otherwise take many (every call
//! between the Wasm and JavaScript costs, and strings are copied each way).
// The admin Worker reads KV and request facts through these, but builds no pages.
#![cfg_attr(feature = "admin-worker", allow(dead_code))]

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};
use worker::Env;

#[wasm_bindgen(module = "/src/edge/runtime.js")]
extern "C" {
    /// What Tailor reads of a request, in one string: `"=value"` or `""` (absent) per field,
    /// NUL-separated, in the order `facts::extract` reads them.
    #[wasm_bindgen(catch, js_name = requestFacts)]
    pub fn request_facts(request: &Request) -> Result<String, JsValue>;

    /// A KV value as text, or null; rejects with the reason Tailor logs (failed, or slower
    /// than `timeout_ms`).
    #[wasm_bindgen(js_name = kvText)]
    pub fn kv_text(env: &Env, binding: &str, key: &str, timeout_ms: f64) -> Promise;

    /// Text messages (one per line) sent to the Queue `env[binding]` as one batch; rejects
    /// with the reason Tailor logs (no such binding, or the Queue refused them).
    #[wasm_bindgen(js_name = queueTexts)]
    pub fn queue_texts(env: &Env, binding: &str, lines: &str) -> Promise;

    /// `request` fetched from the origin at `origin`, redirects handed back to the browser.
    #[wasm_bindgen(catch, js_name = fetchOrigin)]
    pub fn fetch_origin(origin: &str, request: &Request) -> Result<Promise, JsValue>;

    /// `source` with Tailor's header changes (as `HeaderChanges::encode` writes them):
    /// `source` itself when `in_place` and its headers may change (the rewriter's response),
    /// else a new response with its status and body stream.
    #[wasm_bindgen(catch, js_name = withHeaders)]
    pub fn with_headers(
        source: &Response,
        changes: &str,
        in_place: bool,
    ) -> Result<Response, JsValue>;

    /// `response` with its body rewritten by a plan as it streams (the plan as
    /// `RewritePlan::encode_for_runtime` writes it). The handlers are plain JavaScript:
    /// elements stream through without calling back into the Wasm.
    #[wasm_bindgen(catch, js_name = rewritePage)]
    pub fn rewrite_page(response: &Response, plan: &str) -> Result<Response, JsValue>;
}

/// Unicode case mapping by the JavaScript runtime (`crate::case` maps ASCII itself): the same
/// mapping GrowthBook's JavaScript SDKs apply, without the standard library's tables in the Wasm.
pub fn map_case(text: &str, case: crate::case::Case) -> String {
    let text = js_sys::JsString::from(text);
    match case {
        crate::case::Case::Lower => text.to_lower_case(),
        crate::case::Case::Upper => text.to_upper_case(),
    }
    .into()
}
