//! The request's part of the attribute document: everything a segment condition can know about
//! the page view itself, as one JSON object.

use serde_json::{json, Map, Value};

use super::RequestFacts;

/// Builds the request part of the attribute document (mounted as `page` in the visitor's
/// attributes, so conditions say `page.device.type`, `page.geo.country`...).
///
/// Every attribute below is always present; what the request does not tell is JSON `null`
/// (never a missing key), so `{"geo.country": {"$exists": true}}` is the test for "we know".
/// Strings from the URL and headers are decoded but otherwise kept as sent; the fixed
/// vocabularies (`device.*`, `language.*`) are lower case.
///
/// | Attribute | Type | Source |
/// |---|---|---|
/// | `path` | string | URL path as sent (not percent-decoded), `/` when none |
/// | `url` | string | The full request URL |
/// | `query` | object of strings | Query parameters, percent- and `+`-decoded; the first value of a repeated name |
/// | `utm.source`, `utm.medium`, `utm.campaign`, `utm.term`, `utm.content` | string or null | `utm_*` query parameters; empty values are null |
/// | `referrer.host` | string or null | `Referer` header's host: lower case, no port, no leading `www.` |
/// | `referrer.internal` | boolean | `Referer` is this site (same host, ignoring scheme, port and `www.`) |
/// | `device.type` | `mobile` \| `tablet` \| `desktop` \| `bot` \| `unknown` | `User-Agent`; `bot` whenever `device.isBot` |
/// | `device.browser` | `chrome` \| `safari` \| `firefox` \| `edge` \| `samsung` \| `opera` \| `other` | `User-Agent` |
/// | `device.os` | `ios` \| `android` \| `windows` \| `macos` \| `linux` \| `chromeos` \| `other` | `User-Agent` |
/// | `device.isBot` | boolean | `User-Agent` (crawlers, monitors, headless browsers, HTTP libraries), or Cloudflare: verified bot or bot score below 30 |
/// | `geo.country` | string or null | `request.cf.country`, ISO 3166-1 alpha-2 (`FR`) |
/// | `geo.region` | string or null | `request.cf.region` (`Île-de-France`) |
/// | `geo.continent` | string or null | `request.cf.continent` (`EU`) |
/// | `geo.timezone` | string or null | `request.cf.timezone`, IANA (`Europe/Paris`) |
/// | `language.primary` | string or null | `Accept-Language`: primary subtag of the preferred language (`de`) |
/// | `language.tag` | string or null | `Accept-Language`: the whole preferred tag (`de-ch`) |
/// | `time.localHour` | integer 0–23 or null | Visitor's local hour, from `request.cf.timezone` |
/// | `time.localWeekday` | integer 0–6 or null | Visitor's local day of week, 0 = Sunday |
/// | `gpc` | boolean | `Sec-GPC: 1` header (Global Privacy Control) |
///
/// Geography and local time come from Cloudflare; without `request.cf` they are null (local
/// `wrangler dev` and Miniflare supply a placeholder: Austin, US, `America/Chicago`).
///
/// Example (an iPhone from Paris, arriving from a Google search with a newsletter link):
///
/// ```json
/// { "path": "/products/boot", "url": "https://shop.test/products/boot?utm_source=mail",
///   "query": {"utm_source": "mail"},
///   "utm": {"source": "mail", "medium": null, "campaign": null, "term": null, "content": null},
///   "referrer": {"host": "google.com", "internal": false},
///   "device": {"type": "mobile", "browser": "safari", "os": "ios", "isBot": false},
///   "geo": {"country": "FR", "region": "Île-de-France", "continent": "EU", "timezone": "Europe/Paris"},
///   "language": {"primary": "fr", "tag": "fr-fr"},
///   "time": {"localHour": 14, "localWeekday": 3},
///   "gpc": false }
/// ```
pub fn request_attributes(facts: &RequestFacts) -> Value {
    let query = facts.query();
    let mut query_object = Map::new();
    for (name, value) in query.pairs() {
        if !query_object.contains_key(name) {
            query_object.insert(name.clone(), Value::String(value.clone()));
        }
    }
    let utm = query.utm();
    let device = facts.device();
    let language = facts.language();
    // NOTE: the shell computes these; a value out of range would make conditions lie, so it
    // reads as unknown instead.
    let local_hour = facts.local_hour.filter(|h| *h <= 23);
    let local_weekday = facts.local_weekday.filter(|d| *d <= 6);
    let mut page = json!({
        "path": facts.path(),
        "url": facts.url,
        "utm": {
            "source": utm.source,
            "medium": utm.medium,
            "campaign": utm.campaign,
            "term": utm.term,
            "content": utm.content,
        },
        "referrer": {
            "host": facts.referrer_host(),
            "internal": facts.is_internal_referrer(),
        },
        "device": {
            "type": device.device_type.as_str(),
            "browser": device.browser.as_str(),
            "os": device.os.as_str(),
            "isBot": device.is_bot,
        },
        "geo": {
            "country": facts.country,
            "region": facts.region,
            "continent": facts.continent,
            "timezone": facts.timezone,
        },
        "language": {
            "primary": language.as_ref().map(|l| l.primary.as_str()),
            "tag": language.as_ref().map(|l| l.tag.as_str()),
        },
        "time": {
            "localHour": local_hour,
            "localWeekday": local_weekday,
        },
        "gpc": facts.sec_gpc,
    });
    // NOTE: moved in; through `json!` the query would be copied.
    if let Value::Object(fields) = &mut page {
        fields.insert("query".into(), Value::Object(query_object));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn a_full_request_gives_the_documented_document() {
        let facts = RequestFacts {
            user_agent: Some(IPHONE.into()),
            accept_language: Some("fr-FR,fr;q=0.9,en;q=0.8".into()),
            referrer: Some("https://www.google.com/".into()),
            country: Some("FR".into()),
            region: Some("Île-de-France".into()),
            continent: Some("EU".into()),
            timezone: Some("Europe/Paris".into()),
            local_hour: Some(14),
            local_weekday: Some(3),
            ..RequestFacts::get(
                "https://shop.test/products/boot?utm_source=mail&utm_campaign=spring+sale&color=red&color=blue",
                None,
                0,
            )
        };
        assert_eq!(
            request_attributes(&facts),
            json!({
                "path": "/products/boot",
                "url": "https://shop.test/products/boot?utm_source=mail&utm_campaign=spring+sale&color=red&color=blue",
                "query": {"utm_source": "mail", "utm_campaign": "spring sale", "color": "red"},
                "utm": {"source": "mail", "medium": null, "campaign": "spring sale", "term": null, "content": null},
                "referrer": {"host": "google.com", "internal": false},
                "device": {"type": "mobile", "browser": "safari", "os": "ios", "isBot": false},
                "geo": {"country": "FR", "region": "Île-de-France", "continent": "EU", "timezone": "Europe/Paris"},
                "language": {"primary": "fr", "tag": "fr-fr"},
                "time": {"localHour": 14, "localWeekday": 3},
                "gpc": false,
            })
        );
    }

    #[test]
    fn a_bare_local_request_has_every_key_with_nulls() {
        let facts = RequestFacts::get("http://127.0.0.1:8787/", None, 0);
        assert_eq!(
            request_attributes(&facts),
            json!({
                "path": "/",
                "url": "http://127.0.0.1:8787/",
                "query": {},
                "utm": {"source": null, "medium": null, "campaign": null, "term": null, "content": null},
                "referrer": {"host": null, "internal": false},
                "device": {"type": "unknown", "browser": "other", "os": "other", "isBot": false},
                "geo": {"country": null, "region": null, "continent": null, "timezone": null},
                "language": {"primary": null, "tag": null},
                "time": {"localHour": null, "localWeekday": null},
                "gpc": false,
            })
        );
    }

    #[test]
    fn internal_navigation_gpc_bots_and_bad_times() {
        let facts = RequestFacts {
            referrer: Some("https://www.shop.test/cart".into()),
            user_agent: Some(IPHONE.into()),
            cf_bot_score: Some(5),
            sec_gpc: true,
            local_hour: Some(24),
            local_weekday: Some(7),
            ..RequestFacts::get("https://shop.test/checkout", None, 0)
        };
        let page = request_attributes(&facts);
        assert_eq!(
            page["referrer"],
            json!({"host": "shop.test", "internal": true})
        );
        assert_eq!(page["device"]["type"], "bot");
        assert_eq!(page["device"]["isBot"], true);
        assert_eq!(page["device"]["os"], "ios");
        assert_eq!(page["gpc"], true);
        assert_eq!(
            page["time"],
            json!({"localHour": null, "localWeekday": null})
        );
    }
}
