//! The admin surface under `/__tailor/`: which route a request is for, and whether it carries
//! the admin token. Pure; the edge runs the routes.

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
    /// Anything else under the prefix.
    Unknown,
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
    let route = match rest.split_once('/') {
        None if rest == "conversion" && method.eq_ignore_ascii_case("POST") => {
            AdminRoute::Conversion
        }
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
        .unwrap_or_default()
        .as_bytes();
    let expected = expected.as_bytes();
    // NOTE: every byte of the expected token is compared, whatever was given; a length
    // mismatch is folded into the same accumulator rather than returned early.
    let mut difference = u8::from(given.len() != expected.len());
    for (i, byte) in expected.iter().enumerate() {
        let other = given.get(i).copied().unwrap_or(!byte);
        difference |= byte ^ other;
    }
    if difference == 0 {
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
