//! Extracting the request's facts from the runtime: headers, cookies, the clock, and
//! Cloudflare's `request.cf` (geography, timezone, bot signals; absent in local development).

use std::cell::RefCell;

use js_sys::{Array, Date, Intl, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Request;
use worker::console_error;

use super::runtime::request_facts;
use crate::request::{parse_cookie_header, RequestFacts};

/// The request headers the page Worker routes on (read with the facts, in the same crossing).
#[derive(Debug, Default)]
#[cfg_attr(feature = "admin-worker", allow(dead_code))]
pub struct RoutingHeaders {
    /// `Accept`: does the browser ask for a page?
    pub accept: Option<String>,
    /// `Upgrade` (WebSockets pass through).
    pub upgrade: Option<String>,
    /// `Range` (partial content passes through).
    pub range: Option<String>,
}

/// The facts of `request` at `now_ms`, and the headers the page Worker routes on.
pub fn extract(request: &Request, now_ms: f64) -> (RequestFacts, RoutingHeaders) {
    let read = match request_facts(request) {
        Ok(read) => read,
        Err(e) => {
            // NOTE: cannot happen with our own script; the request is then treated as one
            // without headers (no cookies, no consent signals), which personalizes nothing.
            console_error!(
                "tailor: could not read the request ({})",
                super::html_rewriter::describe(e)
            );
            String::new()
        }
    };
    // "=value" or "" (absent), NUL-separated, in `requestFacts`' order.
    let mut fields = read
        .split('\0')
        .map(|f| f.strip_prefix('=').map(str::to_string));
    let mut next = || fields.next().flatten();
    let method = next().unwrap_or_else(|| request.method());
    let url = next().unwrap_or_else(|| request.url());
    let cookie = next();
    let user_agent = next();
    let accept_language = next();
    let referrer = next();
    let sec_gpc = next();
    let routing = RoutingHeaders {
        accept: next(),
        upgrade: next(),
        range: next(),
    };
    let country = next();
    let region = next();
    let continent = next();
    let timezone = next();
    let bot_score = next().and_then(|s| s.parse::<f64>().ok());
    let verified_bot = next().is_some();
    let (local_hour, local_weekday) = timezone
        .as_deref()
        .and_then(|tz| local_time(tz, now_ms))
        .unzip();
    let facts = RequestFacts {
        method,
        url,
        cookies: cookie.map(|h| parse_cookie_header(&h)).unwrap_or_default(),
        user_agent,
        accept_language,
        referrer,
        now_ms: now_ms as u64,
        country,
        region,
        continent,
        timezone,
        local_hour,
        local_weekday,
        sec_gpc: sec_gpc.is_some_and(|v| v.trim() == "1"),
        cf_bot_score: bot_score
            .filter(|s| (0.0..=100.0).contains(s))
            .map(|s| s as u8),
        cf_verified_bot: verified_bot,
    };
    (facts, routing)
}

/// A timezone's formatter, and the local hour and weekday it gave until `until_ms`.
struct LocalClock {
    timezone: String,
    format: Intl::DateTimeFormat,
    known: Option<(u8, u8, f64)>,
}

thread_local! {
    // NOTE: building a DateTimeFormat is costly, and so is formatting with it on every request
    // (about a tenth of a page view's JS time, profiled); an isolate sees few timezones, so a
    // list searched in order (no hash map's code in the Wasm for it).
    static CLOCKS: RefCell<Vec<LocalClock>> = const { RefCell::new(Vec::new()) };
}

/// Every timezone's offset is a whole number of quarter hours, and its changes (daylight
/// saving) happen on the hour, so a local hour and weekday hold until the next UTC quarter hour.
const QUARTER_HOUR_MS: f64 = 15.0 * 60.0 * 1000.0;

/// Most timezones whose formatter an isolate keeps.
const MAX_CACHED_FORMATS: usize = 64;

/// The visitor's local hour (0–23) and weekday (0 = Sunday), from an IANA timezone, using the
/// runtime's `Intl` (which carries the tz database; the Wasm does not).
fn local_time(timezone: &str, now_ms: f64) -> Option<(u8, u8)> {
    let cached = CLOCKS.with_borrow(|clocks| {
        clocks
            .iter()
            .find(|clock| clock.timezone == timezone)
            .map(|clock| (clock.format.clone(), clock.known))
    });
    let format = match cached {
        Some((_, Some((hour, weekday, until_ms)))) if now_ms < until_ms => {
            return Some((hour, weekday))
        }
        Some((format, _)) => format,
        None => new_format(timezone)?,
    };
    let (hour, weekday) = format_hour_and_weekday(&format, now_ms)?;
    let until_ms = ((now_ms / QUARTER_HOUR_MS).floor() + 1.0) * QUARTER_HOUR_MS;
    CLOCKS.with_borrow_mut(|clocks| {
        let known = Some((hour, weekday, until_ms));
        if let Some(clock) = clocks.iter_mut().find(|clock| clock.timezone == timezone) {
            clock.known = known;
            return;
        }
        if clocks.len() >= MAX_CACHED_FORMATS {
            clocks.clear();
        }
        clocks.push(LocalClock {
            timezone: timezone.to_string(),
            format,
            known,
        });
    });
    Some((hour, weekday))
}

fn format_hour_and_weekday(format: &Intl::DateTimeFormat, now_ms: f64) -> Option<(u8, u8)> {
    let parts = format.format_to_parts(&Date::new(&JsValue::from_f64(now_ms)));
    let mut hour = None;
    let mut weekday = None;
    for part in parts.iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        match kind.as_str() {
            "hour" => hour = value.parse::<u8>().ok(),
            "weekday" => {
                weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
                    .iter()
                    .position(|d| *d == value)
                    .map(|i| i as u8)
            }
            _ => {}
        }
    }
    Some((hour?, weekday?))
}

/// A formatter for the hour and weekday in `timezone`.
fn new_format(timezone: &str) -> Option<Intl::DateTimeFormat> {
    let options = Object::new();
    for (key, value) in [
        ("timeZone", timezone),
        ("hour", "numeric"),
        ("hourCycle", "h23"),
        ("weekday", "short"),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    // NOTE: constructed through `Reflect::construct`, which turns the exception an unknown
    // timezone raises into an `Err` (js_sys's own constructor would not catch it).
    let constructor: js_sys::Function = Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|intl| Reflect::get(&intl, &"DateTimeFormat".into()))
        .ok()?
        .dyn_into()
        .ok()?;
    let args = Array::of2(&Array::of1(&"en-US".into()), &options);
    Reflect::construct(&constructor, &args)
        .ok()?
        .dyn_into()
        .ok()
}
