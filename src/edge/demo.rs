//! Demo only (`DEMO = "true"`): `/__tailor/persona/<name>` lets a developer browse the demo
//! storefront as one of the fixture personas. The seeding stores each persona under
//! `demo:persona:<name>` as `{"visitorId": "...", "pageViews": [{"path": "/...", "agoMs": n}]}`;
//! the switch sets the visitor cookie to that id and replays the page views, through the same
//! code as real page views, into the behaviour cookie. `first-time` forgets the visitor.

use serde::Deserialize;
use web_sys::{Headers, Response, ResponseInit};
use worker::Env;

use super::settings::Settings;
use super::store;
use crate::replay_page_views;
use crate::request::RequestFacts;
use crate::response::{behaviour_cookie, visitor_cookie};
use crate::visitor::{VisitorId, BEHAVIOUR_COOKIE, VISITOR_COOKIE};

/// The path prefix of the persona switch.
pub const PERSONA_PATH: &str = "/__tailor/persona/";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Persona {
    visitor_id: String,
    #[serde(default)]
    page_views: Vec<PageView>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageView {
    path: String,
    ago_ms: u64,
}

/// Switches the browser to persona `name` and sends it to the home page.
pub async fn switch_persona(
    env: &Env,
    settings: &Settings,
    facts: &RequestFacts,
    name: &str,
) -> Response {
    let https = facts.is_https();
    let forget = |cookie: &str| format!("{cookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    let cookies = if name == "first-time" {
        Some(vec![forget(VISITOR_COOKIE), forget(BEHAVIOUR_COOKIE)])
    } else {
        let key = format!("demo:persona:{name}");
        let persona = match store::read(env, &key, settings.kv_timeout).await {
            Ok(Some(text)) => serde_json::from_str::<Persona>(&text).ok(),
            _ => None,
        };
        let config = store::config(env, settings, facts.now_ms as f64).await;
        let keys = super::settings::id_keys(env);
        persona.and_then(|persona| {
            let id = VisitorId::parse(&persona.visitor_id)?;
            let signed = keys?.sign(&id);
            let history = config.and_then(|config| {
                replay_page_views(
                    &config,
                    persona
                        .page_views
                        .iter()
                        .map(|view| (view.path.as_str(), facts.now_ms.saturating_sub(view.ago_ms))),
                )
            });
            Some(vec![
                visitor_cookie(&signed, https),
                match history {
                    Some(history) => behaviour_cookie(&history.encode(), https),
                    None => forget(BEHAVIOUR_COOKIE),
                },
            ])
        })
    };
    let Ok(headers) = Headers::new() else {
        return Response::error();
    };
    let init = ResponseInit::new();
    let body = match cookies {
        Some(cookies) => {
            for cookie in &cookies {
                let _ = headers.append("set-cookie", cookie);
            }
            let _ = headers.set("location", "/");
            let _ = headers.set("cache-control", "no-store");
            init.set_status(303);
            format!("Now browsing as {name}.")
        }
        None => {
            init.set_status(404);
            let _ = headers.set("content-type", "text/plain; charset=utf-8");
            format!("No persona named {name:?} (run the demo's seeding, npm run demo), or no TAILOR_ID_KEY to sign its id (see .dev.vars.example).")
        }
    };
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&body), &init).unwrap_or_else(|_| Response::error())
}
