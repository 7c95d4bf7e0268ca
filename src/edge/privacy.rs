//! The shopper's own routes: opting out of personalization (and back in), and the signed
//! visitor token the storefront puts on the cart so orders can be linked to the visitor. They
//! act only on the requester's own cookies, so they need no token; cross-site posts are refused.

use serde_json::json;
use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{console_error, Context, Env};

use super::profiles::enqueue;
use super::reply::{reply, respond};
use super::settings::{self, rotating_secret, Settings, IDENTITY_SECRET};
use super::store;
use crate::privacy::OPT_OUT_COOKIE;
use crate::profile_update::ProfileUpdate;
use crate::request::url::percent_decode;
use crate::request::RequestFacts;
use crate::response::{expired_cookie, opt_out_cookie, PERSONAL_COOKIES};
use crate::visitor::{IdentitySource, VISITOR_COOKIE, VISITOR_ID_BYTES};

/// The cookie Shopify keeps the cart token in (`<token>?key=<secret>`, percent-encoded).
pub const SHOPIFY_CART_COOKIE: &str = "cart";

/// Who the requester is, from their own signed cookies: visitor id and logged-in customer.
async fn requester(
    env: &Env,
    settings: &Settings,
    facts: &RequestFacts,
) -> (Option<crate::visitor::VisitorId>, Option<String>) {
    let visitor = settings::id_keys(env).and_then(|keys| {
        facts
            .cookie(VISITOR_COOKIE)
            .and_then(|value| keys.verify(value))
            .map(|v| v.into_id())
    });
    let secrets = rotating_secret(env, IDENTITY_SECRET);
    let customer = if secrets.is_empty() {
        None
    } else {
        let config = store::config(env, settings, facts.now_ms as f64).await;
        let source = config.map_or_else(IdentitySource::default, |c| c.identity.clone());
        let secrets: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
        source.customer(facts, &secrets).ok().flatten()
    };
    (visitor, customer)
}

/// Whether a state-changing request came from another site (a form on someone else's page):
/// browsers say so in `Sec-Fetch-Site`, or in an `Origin` that is not this site's.
fn cross_site(request: &Request, facts: &RequestFacts) -> bool {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site.as_str(), "same-origin" | "none");
    }
    match header("origin") {
        Some(origin) => !facts.url.starts_with(&format!("{origin}/")),
        None => false,
    }
}

/// `GET /__tailor/opt-out`: a page saying where the shopper stands, with the button.
pub fn opt_out_page(facts: &RequestFacts) -> Response {
    let opted_out = facts.cookie(OPT_OUT_COOKIE) == Some("1");
    let (state, action, label) = if opted_out {
        (
            "You have opted out: this store shows you the same pages as everyone, and keeps no browsing history or id for you.",
            "/__tailor/opt-in",
            "Personalize again",
        )
    } else {
        (
            "This store personalizes what it shows you (offers, recommendations) from your browsing and orders here. You can turn that off: your id and history cookies are deleted and your stored profile is marked opted-out.",
            "/__tailor/opt-out",
            "Turn off personalization",
        )
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Personalization</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem\">\
         <h1>Personalization</h1><p>{state}</p>\
         <form method=\"post\" action=\"{action}\"><button type=\"submit\">{label}</button></form>\
         <p><a href=\"/\">Back to the store</a></p></body></html>"
    );
    respond(200, "text/html; charset=utf-8", &body)
}

/// `POST /__tailor/opt-out` (`out`) or `/__tailor/opt-in`: clears (or restores) the browser's
/// state and marks (or unmarks) the shopper's stored profiles, then returns them to the store
/// (a form) or answers JSON (a script).
pub async fn set_opt_out(
    request: &Request,
    env: &Env,
    ctx: &Context,
    settings: &Settings,
    facts: &RequestFacts,
    out: bool,
) -> Response {
    if cross_site(request, facts) {
        return reply(403, &json!({"error": "cross-site requests are refused"}));
    }
    let (visitor, customer) = requester(env, settings, facts).await;
    if visitor.is_some() || customer.is_some() {
        let update = ProfileUpdate::Privacy {
            visitor,
            customer,
            opted_out: out,
            at_ms: facts.now_ms,
        };
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(problem) = enqueue(&env, &update).await {
                console_error!("tailor: the profile was not marked (opt-out {out}): {problem}");
            }
        });
    }
    let https = facts.is_https();
    let mut cookies: Vec<String> = Vec::new();
    if out {
        cookies.extend(
            PERSONAL_COOKIES
                .iter()
                .map(|name| expired_cookie(name, https)),
        );
        cookies.push(opt_out_cookie(https));
    } else {
        cookies.push(expired_cookie(OPT_OUT_COOKIE, https));
    }
    let wants_json = request
        .headers()
        .get("accept")
        .ok()
        .flatten()
        .is_some_and(|a| a.starts_with("application/json"));
    let built = (|| -> Result<Response, JsValue> {
        let headers = Headers::new()?;
        for cookie in &cookies {
            headers.append("set-cookie", cookie)?;
        }
        headers.set("cache-control", "no-store")?;
        let init = ResponseInit::new();
        let body = if wants_json {
            headers.set("content-type", "application/json; charset=utf-8")?;
            init.set_status(200);
            json!({"optedOut": out}).to_string()
        } else {
            headers.set("location", "/__tailor/opt-out")?;
            init.set_status(303);
            String::new()
        };
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(Some(&body), &init)
    })();
    built.unwrap_or_else(|_| Response::error())
}

/// `GET /__tailor/visitor`: the shopper's signed visitor token (`null` without consent or
/// before their first page view), for the storefront to store as a cart attribute. With
/// Shopify's cart cookie present, the cart is linked to the visitor, so cart webhooks reach
/// their profile.
pub async fn visitor_token(
    env: &Env,
    ctx: &Context,
    settings: &Settings,
    facts: &RequestFacts,
) -> Response {
    // NOTE: the same identification as a page view (consent first, then the signed cookie);
    // only a visitor who already holds an id gets a token, so the fresh bytes go unused.
    let config = store::config(env, settings, facts.now_ms as f64).await;
    let visitor = super::identify(env, facts, config.as_deref(), [0; VISITOR_ID_BYTES]);
    let (true, false, Some(keys)) = (visitor.personal, visitor.is_new, settings::id_keys(env))
    else {
        return reply(200, &json!({"visitorToken": null}));
    };
    let visitor = visitor.id;
    if let Some(cart) = facts.cookie(SHOPIFY_CART_COOKIE) {
        let decoded = percent_decode(cart);
        let token = decoded.split('?').next().unwrap_or_default();
        let well_formed = !token.is_empty()
            && token.len() <= 128
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            let update = ProfileUpdate::LinkCart {
                cart_token: token.to_string(),
                visitor: visitor.clone(),
                at_ms: facts.now_ms,
            };
            let env = env.clone();
            ctx.wait_until(async move {
                if let Err(problem) = enqueue(&env, &update).await {
                    console_error!("tailor: cart link dropped: {problem}");
                }
            });
        }
    }
    reply(200, &json!({"visitorToken": keys.sign(&visitor)}))
}
