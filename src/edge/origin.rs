//! The origin: the merchant's storefront at `ORIGIN`, or the embedded demo storefront (Workers
//! Static Assets) when `ORIGIN` is unset. Requests are forwarded as they came, bodies as
//! streams, redirects handed back to the browser.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, RequestRedirect, Response, Url};
use worker::{console_warn, Env};

use super::html_rewriter::describe;
use super::runtime::fetch_origin;
use super::settings::Settings;

/// Name of the Workers Static Assets binding holding the demo storefront.
pub const ASSETS_BINDING: &str = "ASSETS";

#[wasm_bindgen]
extern "C" {
    /// A service binding: `ASSETS`, or the admin Worker.
    type FetcherBinding;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    fn fetch(this: &FetcherBinding, request: &Request) -> Result<Promise, JsValue>;
}

/// Fetches the origin's response for `request`; a `GET` or `HEAD` whose fetch fails is tried
/// once more.
///
/// NOTE: the runtime reuses kept-alive origin connections, and one the origin left unusable
/// (it sent more bytes than its `Content-Length`, or closed it as it was picked) fails the
/// *next* request at once with "Network connection lost": a 502 of ours for an origin that is
/// up (tests/e2e/faults.test.mjs). Like a browser, try a request without side effects again,
/// once, on a new connection.
pub async fn fetch(env: &Env, settings: &Settings, request: &Request) -> Result<Response, String> {
    match fetch_once(env, settings, request).await {
        Err(reason) if without_body(&request.method()) => {
            console_warn!("tailor: origin fetch failed ({reason}): trying once more");
            fetch_once(env, settings, request).await
        }
        result => result,
    }
}

/// `GET` and `HEAD`: no side effects at the origin, and no body to send.
pub fn without_body(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

async fn fetch_once(env: &Env, settings: &Settings, request: &Request) -> Result<Response, String> {
    let promise = match &settings.origin {
        // NOTE: one call into the runtime (`runtime.js`) builds the origin's request (same
        // method, headers and body stream, redirects handed back) and fetches it.
        Some(origin) => fetch_origin(origin, request).map_err(describe)?,
        None => {
            return fetch_binding(env, ASSETS_BINDING, request)
                .await
                .map_err(|e| format!("ORIGIN is unset and the demo storefront failed: {e}"))
        }
    };
    let response = JsFuture::from(promise).await.map_err(describe)?;
    Ok(response.unchecked_into())
}

/// Sends `request` as it is to the service binding `name` (another Worker, or Static Assets).
pub async fn fetch_binding(env: &Env, name: &str, request: &Request) -> Result<Response, String> {
    let binding = Reflect::get(env, &name.into())
        .ok()
        .filter(|b| !b.is_undefined())
        .ok_or_else(|| format!("there is no {name} binding"))?;
    let promise = binding
        .unchecked_into::<FetcherBinding>()
        .fetch(request)
        .map_err(describe)?;
    let response = JsFuture::from(promise).await.map_err(describe)?;
    Ok(response.unchecked_into())
}

/// Fetches another page of the same store in place of the requested one (a split-URL test's
/// `originPath`): same method, headers and query string, the address bar unchanged.
pub async fn fetch_path(
    env: &Env,
    settings: &Settings,
    request: &Request,
    path: &str,
) -> Result<Response, String> {
    let url = Url::new(&request.url()).map_err(describe)?;
    url.set_pathname(path);
    let init = RequestInit::new();
    init.set_method(&request.method());
    init.set_headers(&request.headers());
    init.set_redirect(RequestRedirect::Manual);
    let moved = Request::new_with_str_and_init(&url.href(), &init).map_err(describe)?;
    fetch(env, settings, &moved).await
}
