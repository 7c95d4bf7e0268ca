//! A logged-in customer, from a cookie the storefront sets and signs with a secret it shares
//! with the worker. With it, the worker reads the customer's profile (`profile:customer:<id>`)
//! instead of the browser's, so a shopper is recognised on every device they log in from.
//!
//! The cookie's value is `<customerId>.<issuedAt>.<signature>`: `issuedAt` in Unix seconds,
//! `signature` the lowercase hex HMAC-SHA256 of `<customerId>.<issuedAt>` under the shared
//! secret. Hex because Shopify's Liquid `hmac_sha256` filter writes hex, so a theme can issue
//! the cookie without an app (see the README).

use std::fmt;

use serde_json::Value;

use crate::config::read::ObjectReader;
use crate::config::ConfigError;
use crate::crypto::{constant_time_eq, hmac_sha256};
use crate::request::RequestFacts;

/// The default name of the identity cookie.
pub const IDENTITY_COOKIE: &str = "tailor_customer";

/// How long a signed identity stays valid by default: a theme re-issues it on every page while
/// the customer is logged in, so a stolen copy is only good for this long.
pub const IDENTITY_MAX_AGE_DAYS: u64 = 30;

/// How far in the future an `issuedAt` may be (clock skew between storefront and edge).
const ALLOWED_SKEW_MS: u64 = 5 * 60 * 1000;

/// Longest customer id accepted.
pub const CUSTOMER_ID_MAX_LEN: usize = 64;

/// Where the worker finds the logged-in customer: the config's `identity` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySource {
    /// The cookie's name.
    pub cookie: String,
    /// How old a signature may be, in milliseconds.
    pub max_age_ms: u64,
}

impl Default for IdentitySource {
    fn default() -> Self {
        Self {
            cookie: IDENTITY_COOKIE.to_string(),
            max_age_ms: IDENTITY_MAX_AGE_DAYS * 24 * 60 * 60 * 1000,
        }
    }
}

/// Why an identity cookie was not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// Not `<customerId>.<issuedAt>.<hex signature>`.
    Malformed,
    /// The signature is not the shared secret's.
    BadSignature,
    /// Signed longer ago than the configured maximum age (or in the future).
    Expired,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "identity cookie is not <customerId>.<issuedAt>.<hex signature>",
            Self::BadSignature => "identity cookie's signature does not match the secret",
            Self::Expired => "identity cookie has expired",
        })
    }
}

impl IdentitySource {
    /// Reads the config's `identity` object: `{"cookie": "tailor_customer", "maxAgeDays": 30}`.
    pub fn compile(value: &Value, path: &str, errors: &mut Vec<ConfigError>) -> Self {
        let mut reader = ObjectReader::new(value, path, errors);
        let defaults = Self::default();
        let cookie = reader
            .optional_str("cookie", errors)
            .unwrap_or(defaults.cookie);
        if cookie.is_empty() || !cookie.bytes().all(|b| b.is_ascii_graphic() && b != b'=') {
            errors.push(ConfigError::new(
                reader.path_of("cookie"),
                format!("{cookie:?} is not a cookie name"),
            ));
        }
        let max_age_ms = match reader.optional_i64("maxAgeDays", errors) {
            None => defaults.max_age_ms,
            Some(days) if (1..=400).contains(&days) => days as u64 * 24 * 60 * 60 * 1000,
            Some(days) => {
                errors.push(ConfigError::new(
                    reader.path_of("maxAgeDays"),
                    format!("{days} is out of range; use 1 to 400 days"),
                ));
                defaults.max_age_ms
            }
        };
        reader.finish(errors);
        Self { cookie, max_age_ms }
    }

    /// The logged-in customer's id, if the request carries an identity cookie signed with one
    /// of `secrets` (current and, during a rotation, previous). `Ok(None)`: no cookie.
    pub fn customer(
        &self,
        request: &RequestFacts,
        secrets: &[&[u8]],
    ) -> Result<Option<String>, IdentityError> {
        match request.cookie(&self.cookie) {
            None | Some("") => Ok(None),
            Some(value) => {
                verify_identity(value, secrets, request.now_ms, self.max_age_ms).map(Some)
            }
        }
    }
}

/// Verifies a signed identity (see the module docs) and returns the customer id.
pub fn verify_identity(
    value: &str,
    secrets: &[&[u8]],
    now_ms: u64,
    max_age_ms: u64,
) -> Result<String, IdentityError> {
    let mut parts = value.splitn(3, '.');
    let (Some(customer), Some(issued), Some(signature)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentityError::Malformed);
    };
    let well_formed = !customer.is_empty()
        && customer.len() <= CUSTOMER_ID_MAX_LEN
        && customer
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !issued.is_empty()
        && issued.len() <= 12
        && issued.bytes().all(|b| b.is_ascii_digit());
    let signature = decode_hex(signature).filter(|s| s.len() == 32);
    let (true, Some(signature)) = (well_formed, signature) else {
        return Err(IdentityError::Malformed);
    };
    let signed = &value[..customer.len() + 1 + issued.len()];
    let matches = secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .any(|secret| constant_time_eq(&signature, &hmac_sha256(secret, signed.as_bytes())));
    if !matches {
        return Err(IdentityError::BadSignature);
    }
    let issued_ms = issued
        .parse::<u64>()
        .unwrap_or(u64::MAX)
        .saturating_mul(1000);
    if issued_ms > now_ms.saturating_add(ALLOWED_SKEW_MS)
        || now_ms.saturating_sub(issued_ms) > max_age_ms
    {
        return Err(IdentityError::Expired);
    }
    Ok(customer.to_string())
}

/// Lowercase or uppercase hex; `None` for anything else.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"shared-with-the-theme-0123456789";
    const NOW: u64 = 1_793_613_600_000;

    fn sign(customer: &str, issued_secs: u64, secret: &[u8]) -> String {
        let payload = format!("{customer}.{issued_secs}");
        let hex: String = hmac_sha256(secret, payload.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{payload}.{hex}")
    }

    #[test]
    fn a_cookie_signed_with_the_shared_secret_names_the_customer() {
        let cookie = sign("7421", NOW / 1000 - 60, SECRET);
        assert_eq!(
            verify_identity(&cookie, &[SECRET], NOW, 86_400_000),
            Ok("7421".to_string())
        );
        // Uppercase hex verifies too.
        assert_eq!(
            verify_identity(&cookie.to_uppercase(), &[SECRET], NOW, 86_400_000),
            Ok("7421".to_string())
        );
    }

    #[test]
    fn another_customer_id_or_secret_is_refused() {
        let cookie = sign("7421", NOW / 1000, SECRET);
        let (_, rest) = cookie.split_once('.').expect("dot");
        let forged = format!("7422.{rest}");
        assert_eq!(
            verify_identity(&forged, &[SECRET], NOW, 86_400_000),
            Err(IdentityError::BadSignature)
        );
        let elsewhere = sign("7421", NOW / 1000, b"not-the-shared-secret-0123456789");
        assert_eq!(
            verify_identity(&elsewhere, &[SECRET], NOW, 86_400_000),
            Err(IdentityError::BadSignature)
        );
        // During a rotation the previous secret still verifies.
        assert!(verify_identity(
            &elsewhere,
            &[SECRET, b"not-the-shared-secret-0123456789"],
            NOW,
            86_400_000
        )
        .is_ok());
        assert_eq!(
            verify_identity(&cookie, &[], NOW, 86_400_000),
            Err(IdentityError::BadSignature),
            "no secret configured: nobody is identified"
        );
    }

    #[test]
    fn old_and_future_signatures_expire() {
        let day = 86_400_000;
        let old = sign("7421", (NOW - 2 * day) / 1000, SECRET);
        assert_eq!(
            verify_identity(&old, &[SECRET], NOW, day),
            Err(IdentityError::Expired)
        );
        let future = sign("7421", (NOW + day) / 1000, SECRET);
        assert_eq!(
            verify_identity(&future, &[SECRET], NOW, day),
            Err(IdentityError::Expired)
        );
        let skewed = sign("7421", (NOW + 60_000) / 1000, SECRET);
        assert!(verify_identity(&skewed, &[SECRET], NOW, day).is_ok());
    }

    #[test]
    fn malformed_cookies_are_refused() {
        for bad in [
            "",
            "7421",
            "7421.123",
            "7421.123.zz",
            "7421.12a.00",
            "../x.1.00",
            &format!("{}.1.{}", "9".repeat(65), "0".repeat(64)),
            &format!("7421.1.{}", "0".repeat(62)),
        ] {
            assert_eq!(
                verify_identity(bad, &[SECRET], NOW, 1),
                Err(IdentityError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_config_section_names_the_cookie_and_the_age() {
        let mut errors = Vec::new();
        let source = IdentitySource::compile(
            &serde_json::json!({"cookie": "customer_sig", "maxAgeDays": 7}),
            "identity",
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(source.cookie, "customer_sig");
        assert_eq!(source.max_age_ms, 7 * 86_400_000);
        let request = RequestFacts::get(
            "https://shop.test/",
            Some(&format!("customer_sig={}", sign("c-9", NOW / 1000, SECRET))),
            NOW,
        );
        assert_eq!(source.customer(&request, &[SECRET]), Ok(Some("c-9".into())));
        assert_eq!(
            IdentitySource::default().customer(&request, &[SECRET]),
            Ok(None)
        );

        IdentitySource::compile(
            &serde_json::json!({"cookie": "a=b", "maxAgeDays": 0, "extra": 1}),
            "identity",
            &mut errors,
        );
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["identity.cookie", "identity.maxAgeDays", "identity.extra"]
        );
    }
}
