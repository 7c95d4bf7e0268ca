//! The runtime's `HTMLRewriter` (workers-rs has no bindings to it): the engine that applies a
//! rewrite plan in the worker, and the selector check the config uses.
//!
//! The body never enters the Wasm: the runtime streams it through its native lol-html, with
//! content decided before the response starts. The whole plan crosses into JavaScript once
//! (`runtime.js`'s `rewritePage`), whose handlers perform each call without calling back into
//! Rust.
// The admin Worker only checks selectors with the runtime's parser (config uploads).
#![cfg_attr(feature = "admin-worker", allow(dead_code))]

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::runtime::rewrite_page;
use crate::rewrite::RewritePlan;

#[wasm_bindgen]
extern "C" {
    /// The runtime's global `HTMLRewriter` class.
    #[wasm_bindgen(js_name = HTMLRewriter)]
    type JsHtmlRewriter;

    #[wasm_bindgen(constructor, js_class = "HTMLRewriter", catch)]
    fn new() -> Result<JsHtmlRewriter, JsValue>;

    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn on(
        this: &JsHtmlRewriter,
        selector: &str,
        handlers: &Object,
    ) -> Result<JsHtmlRewriter, JsValue>;
}

/// Checks a selector with the runtime's own parser (used when compiling the config).
pub fn check_selector(selector: &str) -> Result<(), String> {
    let rewriter = JsHtmlRewriter::new().map_err(describe)?;
    rewriter
        .on(selector, &Object::new())
        .map(|_| ())
        .map_err(describe)
}

/// Wraps `response` so that its body is rewritten by `plan` as it streams.
pub fn rewrite(
    plan: &RewritePlan,
    response: &web_sys::Response,
) -> Result<web_sys::Response, String> {
    rewrite_page(response, &plan.encode_for_runtime()).map_err(describe)
}

/// A JS exception as text for a log line.
pub fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
