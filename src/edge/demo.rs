//! Demo only (`DEMO = "true"`): `/__tailor/persona/<name>` lets a developer browse the demo
//! storefront as one of the fixture personas, by setting the visitor cookie to that persona's
//! id (seeded in KV as `demo:persona:<name>`). `first-time` forgets the visitor.

use web_sys::{Headers, Response, ResponseInit};
use worker::Env;

use super::settings::Settings;
use super::store;
use crate::request::RequestFacts;
use crate::response::visitor_cookie;
use crate::visitor::{VisitorId, VISITOR_COOKIE};

/// The path prefix of the persona switch.
pub const PERSONA_PATH: &str = "/__tailor/persona/";

/// Switches the browser to persona `name` and sends it to the home page.
pub async fn switch_persona(
    env: &Env,
    settings: &Settings,
    facts: &RequestFacts,
    name: &str,
) -> Response {
    let cookie = if name == "first-time" {
        Some(format!(
            "{VISITOR_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        ))
    } else {
        let key = format!("demo:persona:{name}");
        match store::read(env, &key, settings.kv_timeout).await {
            Ok(Some(id)) => {
                VisitorId::parse(id.trim()).map(|id| visitor_cookie(&id, facts.is_https()))
            }
            _ => None,
        }
    };
    let Ok(headers) = Headers::new() else {
        return Response::error();
    };
    let init = ResponseInit::new();
    let body = match cookie {
        Some(cookie) => {
            let _ = headers.append("set-cookie", &cookie);
            let _ = headers.set("location", "/");
            let _ = headers.set("cache-control", "no-store");
            init.set_status(303);
            format!("Now browsing as {name}.")
        }
        None => {
            init.set_status(404);
            let _ = headers.set("content-type", "text/plain; charset=utf-8");
            format!("No persona named {name:?}; run the demo's seeding (npm run demo) first.")
        }
    };
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&body), &init).unwrap_or_else(|_| Response::error())
}
