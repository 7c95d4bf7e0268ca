//! Our own bindings to the Workers runtime's `HTMLRewriter` (workers-rs has none), and the
//! engine that applies a rewrite plan with it.
//!
//! The body never enters the Wasm: the runtime streams it through its native lol-html, with
//! content decided before `transform`. Matched elements get plain JavaScript handlers
//! (`runtime.js`'s `onWrite`); only the class edits, which read the element, call back into
//! Rust.
// The admin Worker only checks selectors with the runtime's parser (config uploads).
#![cfg_attr(feature = "admin-worker", allow(dead_code))]

use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

use super::runtime::on_write;
use crate::rewrite::{apply_action, ElementOps, RewritePlan};

#[wasm_bindgen]
extern "C" {
    /// The runtime's global `HTMLRewriter` class.
    #[wasm_bindgen(js_name = HTMLRewriter)]
    pub type JsHtmlRewriter;

    #[wasm_bindgen(constructor, js_class = "HTMLRewriter", catch)]
    fn new() -> Result<JsHtmlRewriter, JsValue>;

    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn on(
        this: &JsHtmlRewriter,
        selector: &str,
        handlers: &Object,
    ) -> Result<JsHtmlRewriter, JsValue>;

    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn transform(
        this: &JsHtmlRewriter,
        response: &web_sys::Response,
    ) -> Result<web_sys::Response, JsValue>;

    /// An element handed to a handler by the runtime's rewriter.
    pub type JsElement;

    #[wasm_bindgen(method, catch, js_name = setInnerContent)]
    fn set_inner_content(this: &JsElement, content: &str, options: &JsValue)
        -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn replace(this: &JsElement, content: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn remove(this: &JsElement) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn before(this: &JsElement, content: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn after(this: &JsElement, content: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn prepend(this: &JsElement, content: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn append(this: &JsElement, content: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = getAttribute)]
    fn get_attribute(this: &JsElement, name: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setAttribute)]
    fn set_attribute(this: &JsElement, name: &str, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeAttribute)]
    fn remove_attribute(this: &JsElement, name: &str) -> Result<(), JsValue>;
}

/// A runtime element plus the `{ html: true }` options object for markup insertions.
///
/// NOTE: every call swallows errors. A handler that throws inside the runtime's rewriter
/// breaks a response whose status has already gone out; leaving one element unchanged is
/// the fail-open choice.
struct RuntimeElement<'a> {
    element: &'a JsElement,
    as_html: &'a JsValue,
}

impl ElementOps for RuntimeElement<'_> {
    fn set_inner_html(&mut self, html: &str) {
        let _ = self.element.set_inner_content(html, self.as_html);
    }
    fn replace_html(&mut self, html: &str) {
        let _ = self.element.replace(html, self.as_html);
    }
    fn remove(&mut self) {
        let _ = self.element.remove();
    }
    fn before_html(&mut self, html: &str) {
        let _ = self.element.before(html, self.as_html);
    }
    fn after_html(&mut self, html: &str) {
        let _ = self.element.after(html, self.as_html);
    }
    fn prepend_html(&mut self, html: &str) {
        let _ = self.element.prepend(html, self.as_html);
    }
    fn append_html(&mut self, html: &str) {
        let _ = self.element.append(html, self.as_html);
    }
    fn attribute(&self, name: &str) -> Option<String> {
        self.element.get_attribute(name).ok().flatten()
    }
    fn set_attribute(&mut self, name: &str, value: &str) {
        let _ = self.element.set_attribute(name, value);
    }
    fn remove_attribute(&mut self, name: &str) {
        let _ = self.element.remove_attribute(name);
    }
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
///
/// Write-only edits (most of them) are registered with handlers in JavaScript, which get their
/// markup once, here; only the class edits, which read the element, call back into Rust.
pub fn rewrite(
    plan: &RewritePlan,
    response: &web_sys::Response,
) -> Result<web_sys::Response, String> {
    let rewriter = JsHtmlRewriter::new().map_err(describe)?;
    let mut as_html: Option<JsValue> = None;
    for edit in &plan.edits {
        if let Some((write, first, second)) = edit.action.as_write() {
            on_write(&rewriter, &edit.selector, write.method(), first, &second)
                .map_err(describe)?;
            continue;
        }
        let action = edit.action.clone();
        let as_html = match &as_html {
            Some(options) => options.clone(),
            None => {
                let options = Object::new();
                Reflect::set(&options, &"html".into(), &JsValue::TRUE).map_err(describe)?;
                as_html.insert(options.into()).clone()
            }
        };
        // NOTE: the runtime calls handlers after this function has returned, while the body
        // streams. A `Closure` dropped here would make every call throw (an empty 200 body);
        // `into_js_value` hands it to the JS garbage collector, which frees the Rust side
        // once the rewriter lets go of it.
        let handler = Closure::<dyn FnMut(JsElement)>::new(move |element: JsElement| {
            apply_action(
                &action,
                &mut RuntimeElement {
                    element: &element,
                    as_html: &as_html,
                },
            );
        })
        .into_js_value();
        let handlers = Object::new();
        Reflect::set(&handlers, &"element".into(), &handler).map_err(describe)?;
        rewriter.on(&edit.selector, &handlers).map_err(describe)?;
    }
    rewriter.transform(response).map_err(describe)
}

/// A JS exception as text for a log line.
pub fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
