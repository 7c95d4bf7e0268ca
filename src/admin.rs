//! Tailor's own routes under `/__tailor/`: which route a request is for, and how it must
//! prove itself (the admin token, a webhook signature, or nothing for the shopper's own
//! privacy routes). Pure; the edge runs the routes. None of them is ever personalized or
//! cached.

use crate::crypto::constant_time_eq;

/// Where admin routes live.
pub const ADMIN_PREFIX: &str = "/__tailor/";

/// An admin route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRoute {
    /// `POST /__tailor/conversion`: record an order for a visitor.
    Conversion,
    /// `GET /__tailor/report/<key>`: an experiment's results.
    Report {
        /// The experiment key (or `holdout`).
        key: String,
        /// JSON rather than the HTML page.
        json: bool,
    },
    /// `GET /__tailor/audit`: the personalization audit.
    Audit {
        /// JSON rather than the HTML page.
        json: bool,
    },
    /// `GET` or `DELETE /__tailor/profiles/visitor/<id>` or `.../customer/<id>`: read or erase
    /// a profile and everything linked to it.
    Profile {
        /// Whose profile.
        subject: Subject,
        /// `DELETE`: erase it.
        erase: bool,
    },
    /// `POST /__tailor/webhooks/shopify` or `/__tailor/webhooks/events`: a store event.
    Webhook(WebhookSource),
    /// `GET` (a page with the button) or `POST /__tailor/opt-out`: the shopper opts out.
    OptOut {
        /// `POST`: do it; `GET`: show the page.
        confirm: bool,
    },
    /// `POST /__tailor/opt-in`: the shopper takes their opt-out back.
    OptIn,
    /// `GET /__tailor/visitor`: the shopper's signed visitor token, for the storefront to put
    /// on the cart (so orders can be linked to the visitor).
    VisitorToken,
    /// `POST /__tailor/preview`: a signed, expiring preview link forcing segments and/or
    /// variants (see [`crate::preview`]).
    PreviewLink,
    /// `GET /__tailor/health`: the isolate's state (config version, Wasm memory), for load
    /// and soak tests and monitoring.
    Health,
    /// `/__tailor/config…`: the merchant's config and its versions.
    Config(ConfigRoute),
    /// Anything else under the prefix.
    Unknown,
}

/// The config routes (all behind the admin token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigRoute {
    /// `GET /__tailor/config`: the active config's text.
    Active,
    /// `PUT /__tailor/config`: upload a new version (validated first) and make it active.
    Upload,
    /// `GET /__tailor/config/versions`: the version index.
    Versions,
    /// `GET /__tailor/config/versions/<n>`: one kept version's text.
    Version(u64),
    /// `POST /__tailor/config/rollback`: make a kept version active again.
    Rollback,
}

/// Whose profile an admin route is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A visitor id (the `tailor_vid` cookie's id part).
    Visitor(String),
    /// A store customer id.
    Customer(String),
}

/// Who sends store events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSource {
    /// Shopify's webhooks, signed with `X-Shopify-Hmac-Sha256`.
    Shopify,
    /// Tailor's generic JSON events, signed with `X-Tailor-Hmac-Sha256`.
    Generic,
}

/// How a route authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// The admin bearer token.
    AdminToken,
    /// The body's HMAC signature (checked by the route).
    Signature,
    /// None: the shopper's own privacy routes act only on the requester's own cookies.
    Shopper,
}

impl AdminRoute {
    /// How this route must authenticate.
    pub fn guard(&self) -> Guard {
        match self {
            Self::Webhook(_) => Guard::Signature,
            Self::OptOut { .. } | Self::OptIn | Self::VisitorToken => Guard::Shopper,
            _ => Guard::AdminToken,
        }
    }
}

/// The admin route for a request, or `None` for a storefront path. JSON is chosen by a
/// `.json` suffix or an `Accept` that prefers `application/json`.
pub fn admin_route(method: &str, path: &str, accept: Option<&str>) -> Option<AdminRoute> {
    let rest = path.strip_prefix(ADMIN_PREFIX)?;
    // NOTE: the demo's persona switch lives beside the admin routes but needs no token.
    if rest.starts_with("persona/") {
        return None;
    }
    let wants_json = |name: &str| {
        name.ends_with(".json") || accept.is_some_and(|a| a.starts_with("application/json"))
    };
    let get = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let post = method.eq_ignore_ascii_case("POST");
    let delete = method.eq_ignore_ascii_case("DELETE");
    let put = method.eq_ignore_ascii_case("PUT");
    let route = match rest.split_once('/') {
        None if rest == "opt-out" && (get || post) => AdminRoute::OptOut { confirm: post },
        None if rest == "opt-in" && post => AdminRoute::OptIn,
        None if rest == "visitor" && get => AdminRoute::VisitorToken,
        None if rest == "health" && get => AdminRoute::Health,
        None if rest == "preview" && post => AdminRoute::PreviewLink,
        None if rest == "config" && get => AdminRoute::Config(ConfigRoute::Active),
        None if rest == "config" && put => AdminRoute::Config(ConfigRoute::Upload),
        Some(("config", "versions")) if get => AdminRoute::Config(ConfigRoute::Versions),
        Some(("config", "rollback")) if post => AdminRoute::Config(ConfigRoute::Rollback),
        Some(("config", version)) if get => match version
            .strip_prefix("versions/")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(number) => AdminRoute::Config(ConfigRoute::Version(number)),
            None => AdminRoute::Unknown,
        },
        Some(("webhooks", "shopify")) if post => AdminRoute::Webhook(WebhookSource::Shopify),
        Some(("webhooks", "events")) if post => AdminRoute::Webhook(WebhookSource::Generic),
        Some(("profiles", subject)) if get || delete => match subject.split_once('/') {
            Some((kind, id)) if !id.is_empty() && !id.contains('/') => {
                let id = crate::request::url::percent_decode(id);
                let subject = match kind {
                    "visitor" => Some(Subject::Visitor(id)),
                    "customer" => Some(Subject::Customer(id)),
                    _ => None,
                };
                match subject {
                    Some(subject) => AdminRoute::Profile {
                        subject,
                        erase: delete,
                    },
                    None => AdminRoute::Unknown,
                }
            }
            _ => AdminRoute::Unknown,
        },
        None if rest == "conversion" && post => AdminRoute::Conversion,
        None if get && (rest == "audit" || rest == "audit.json") => AdminRoute::Audit {
            json: wants_json(rest),
        },
        Some(("report", key)) if get && !key.is_empty() && !key.contains('/') => {
            let json = wants_json(key);
            let key = key.strip_suffix(".json").unwrap_or(key);
            AdminRoute::Report {
                key: crate::request::url::percent_decode(key),
                json,
            }
        }
        _ => AdminRoute::Unknown,
    };
    Some(route)
}

/// Whether a request may use the admin routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No admin token is configured: the admin routes are off.
    Disabled,
    /// Missing or wrong token.
    Denied,
    /// The right token.
    Granted,
}

/// Checks `Authorization: Bearer <token>` against the configured token, in time that depends
/// only on the configured token's length (never on where the first wrong byte is).
pub fn check_token(authorization: Option<&str>, configured: Option<&str>) -> Access {
    let Some(expected) = configured.filter(|t| !t.is_empty()) else {
        return Access::Disabled;
    };
    let given = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Access::Granted
    } else {
        Access::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_recognised() {
        assert_eq!(admin_route("GET", "/products/x", None), None);
        assert_eq!(admin_route("GET", "/__tailor/persona/vip", None), None);
        assert_eq!(
            admin_route("POST", "/__tailor/conversion", None),
            Some(AdminRoute::Conversion)
        );
        assert_eq!(
            admin_route("GET", "/__tailor/conversion", None),
            Some(AdminRoute::Unknown)
        );
        assert_eq!(
            admin_route("GET", "/__tailor/report/vip-cta", None),
            Some(AdminRoute::Report {
                key: "vip-cta".into(),
                json: false
            })
        );
        assert_eq!(
            admin_route("GET", "/__tailor/report/vip-cta.json", None),
            Some(AdminRoute::Report {
                key: "vip-cta".into(),
                json: true
            })
        );
        assert_eq!(
            admin_route("GET", "/__tailor/audit", Some("application/json")),
            Some(AdminRoute::Audit { json: true })
        );
    }

    #[test]
    fn privacy_webhook_and_profile_routes_are_recognised_with_their_guards() {
        let route = |method, path| admin_route(method, path, None).expect("ours");
        assert_eq!(
            route("POST", "/__tailor/webhooks/shopify"),
            AdminRoute::Webhook(WebhookSource::Shopify)
        );
        assert_eq!(
            route("POST", "/__tailor/webhooks/events").guard(),
            Guard::Signature
        );
        assert_eq!(
            route("GET", "/__tailor/webhooks/shopify"),
            AdminRoute::Unknown
        );
        assert_eq!(
            route("GET", "/__tailor/opt-out"),
            AdminRoute::OptOut { confirm: false }
        );
        assert_eq!(route("POST", "/__tailor/opt-out").guard(), Guard::Shopper);
        assert_eq!(route("POST", "/__tailor/opt-in"), AdminRoute::OptIn);
        assert_eq!(route("GET", "/__tailor/visitor").guard(), Guard::Shopper);
        assert_eq!(
            route("DELETE", "/__tailor/profiles/customer/7421"),
            AdminRoute::Profile {
                subject: Subject::Customer("7421".into()),
                erase: true
            }
        );
        let read = route("GET", "/__tailor/profiles/visitor/abc");
        assert_eq!(read.guard(), Guard::AdminToken);
        assert_eq!(
            read,
            AdminRoute::Profile {
                subject: Subject::Visitor("abc".into()),
                erase: false
            }
        );
        assert_eq!(
            route("DELETE", "/__tailor/profiles/other/1"),
            AdminRoute::Unknown
        );
        assert_eq!(
            route("DELETE", "/__tailor/profiles/customer/"),
            AdminRoute::Unknown
        );
        assert_eq!(route("GET", "/__tailor/nothing").guard(), Guard::AdminToken);
        assert_eq!(route("GET", "/__tailor/health").guard(), Guard::AdminToken);
        assert_eq!(route("POST", "/__tailor/preview"), AdminRoute::PreviewLink);
        assert_eq!(
            route("POST", "/__tailor/preview").guard(),
            Guard::AdminToken
        );
        assert_eq!(route("GET", "/__tailor/preview"), AdminRoute::Unknown);
    }

    #[test]
    fn config_routes_are_recognised_and_need_the_admin_token() {
        let cases = [
            ("GET", "/__tailor/config", Some(ConfigRoute::Active)),
            ("HEAD", "/__tailor/config", Some(ConfigRoute::Active)),
            ("PUT", "/__tailor/config", Some(ConfigRoute::Upload)),
            (
                "GET",
                "/__tailor/config/versions",
                Some(ConfigRoute::Versions),
            ),
            (
                "GET",
                "/__tailor/config/versions/12",
                Some(ConfigRoute::Version(12)),
            ),
            (
                "POST",
                "/__tailor/config/rollback",
                Some(ConfigRoute::Rollback),
            ),
            ("POST", "/__tailor/config", None),
            ("DELETE", "/__tailor/config", None),
            ("PUT", "/__tailor/config/versions", None),
            ("GET", "/__tailor/config/rollback", None),
            ("GET", "/__tailor/config/versions/x", None),
            ("GET", "/__tailor/config/versions/-1", None),
            ("GET", "/__tailor/config/versions/1/2", None),
            ("GET", "/__tailor/config/other", None),
        ];
        for (method, path, expected) in cases {
            let route = admin_route(method, path, None).expect("ours");
            let expected = expected.map_or(AdminRoute::Unknown, AdminRoute::Config);
            assert_eq!(route, expected, "{method} {path}");
            assert_eq!(route.guard(), Guard::AdminToken, "{method} {path}");
        }
    }

    #[test]
    fn only_the_exact_token_is_granted() {
        assert_eq!(
            check_token(Some("Bearer s3cret"), Some("s3cret")),
            Access::Granted
        );
        assert_eq!(
            check_token(Some("Bearer s3cre"), Some("s3cret")),
            Access::Denied
        );
        assert_eq!(
            check_token(Some("Bearer s3cret!"), Some("s3cret")),
            Access::Denied
        );
        assert_eq!(check_token(Some("s3cret"), Some("s3cret")), Access::Denied);
        assert_eq!(check_token(None, Some("s3cret")), Access::Denied);
        assert_eq!(check_token(Some("Bearer "), Some("")), Access::Disabled);
        assert_eq!(check_token(Some("Bearer x"), None), Access::Disabled);
    }
}
