//! Extracting the request's facts from the runtime: headers, cookies, the clock, and
//! Cloudflare's `request.cf` (geography, timezone, bot signals; absent in local development).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Date, Intl, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Request;

use crate::request::{parse_cookie_header, RequestFacts};

/// The facts of `request` at `now_ms`.
pub fn extract(request: &Request, now_ms: f64) -> RequestFacts {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let cf = Reflect::get(request, &"cf".into())
        .ok()
        .filter(JsValue::is_object);
    let cf_text = |key: &str| {
        cf.as_ref()
            .and_then(|cf| Reflect::get(cf, &key.into()).ok())
            .and_then(|v| v.as_string())
            .filter(|v| !v.is_empty())
    };
    let bot = cf
        .as_ref()
        .and_then(|cf| Reflect::get(cf, &"botManagement".into()).ok())
        .filter(JsValue::is_object);
    let bot_field = |key: &str| bot.as_ref().and_then(|b| Reflect::get(b, &key.into()).ok());
    let timezone = cf_text("timezone");
    let (local_hour, local_weekday) = timezone
        .as_deref()
        .and_then(|tz| local_time(tz, now_ms))
        .unzip();
    RequestFacts {
        method: request.method(),
        url: request.url(),
        cookies: header("cookie")
            .map(|h| parse_cookie_header(&h))
            .unwrap_or_default(),
        user_agent: header("user-agent"),
        accept_language: header("accept-language"),
        referrer: header("referer"),
        now_ms: now_ms as u64,
        country: cf_text("country"),
        region: cf_text("region"),
        continent: cf_text("continent"),
        timezone,
        local_hour,
        local_weekday,
        sec_gpc: header("sec-gpc").is_some_and(|v| v.trim() == "1"),
        cf_bot_score: bot_field("score")
            .and_then(|v| v.as_f64())
            .filter(|s| (0.0..=100.0).contains(s))
            .map(|s| s as u8),
        cf_verified_bot: bot_field("verifiedBot")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    }
}

/// A timezone's formatter, and the local hour and weekday it gave until `until_ms`.
struct LocalClock {
    format: Intl::DateTimeFormat,
    known: Option<(u8, u8, f64)>,
}

thread_local! {
    // NOTE: building a DateTimeFormat is costly, and so is formatting with it on every request
    // (about a tenth of a page view's JS time, profiled); an isolate sees few timezones.
    static CLOCKS: RefCell<HashMap<String, LocalClock>> = RefCell::new(HashMap::new());
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
            .get(timezone)
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
        if clocks.len() >= MAX_CACHED_FORMATS && !clocks.contains_key(timezone) {
            clocks.clear();
        }
        clocks.insert(
            timezone.to_string(),
            LocalClock {
                format,
                known: Some((hour, weekday, until_ms)),
            },
        );
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
