//! Webhook signatures: base64 (standard, padded) HMAC-SHA256 of the raw body, as Shopify sends
//! in `X-Shopify-Hmac-Sha256` and our generic format in `X-Tailor-Hmac-Sha256`.

use std::fmt;

use crate::crypto::{base64_decode, constant_time_eq, hmac_sha256};

/// Why a webhook's signature was refused. The messages name the problem, never a secret or
/// the expected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature header.
    Missing,
    /// The header is not standard base64 (hex, URL-safe, ...).
    NotBase64,
    /// The header decodes to something other than 32 bytes.
    WrongLength,
    /// No configured secret produces this signature.
    Mismatch,
    /// The worker has no webhook secret to check with.
    NoSecretConfigured,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "the signature header is missing",
            Self::NotBase64 => "the signature is not base64 (expected base64 of HMAC-SHA256)",
            Self::WrongLength => "the signature is not an HMAC-SHA256 (32 bytes)",
            Self::Mismatch => "the signature does not match the body",
            Self::NoSecretConfigured => "no webhook secret is configured",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Checks `header` (base64 HMAC-SHA256 of the raw `body`) against each of `secrets`; any match
/// passes, so a secret can be rotated by configuring the new one next to the previous one.
pub fn verify_signature(
    body: &[u8],
    header: Option<&str>,
    secrets: &[&[u8]],
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    // NOTE: 64 hex digits are also valid base64 (of 48 bytes); a signer that sent hex must
    // hear "wrong encoding", not "wrong length". Base64 of 32 bytes is 44 characters.
    if header.len() == 64 && header.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignatureError::NotBase64);
    }
    let given = base64_decode(header).ok_or(SignatureError::NotBase64)?;
    if given.len() != 32 {
        return Err(SignatureError::WrongLength);
    }
    // NOTE: empty secrets are ignored: an HMAC under an empty key is one anybody can forge.
    let mut secrets = secrets.iter().filter(|s| !s.is_empty()).peekable();
    if secrets.peek().is_none() {
        return Err(SignatureError::NoSecretConfigured);
    }
    // Every secret is tried, so the time taken does not tell which one matched.
    let matched = secrets.fold(false, |matched, secret| {
        constant_time_eq(&hmac_sha256(secret, body), &given) | matched
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::base64_encode;

    const BODY: &[u8] = br#"{"id":820982911946154508,"total_price":"129.00"}"#;
    const SECRET: &[u8] = b"shpss_current";
    const PREVIOUS: &[u8] = b"shpss_previous";

    fn sign(secret: &[u8], body: &[u8]) -> String {
        base64_encode(&hmac_sha256(secret, body))
    }

    #[test]
    fn a_valid_signature_passes() {
        assert_eq!(
            verify_signature(BODY, Some(&sign(SECRET, BODY)), &[SECRET]),
            Ok(())
        );
    }

    #[test]
    fn a_signature_under_another_secret_fails() {
        assert_eq!(
            verify_signature(BODY, Some(&sign(b"someone-else", BODY)), &[SECRET]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_body_changed_by_one_byte_fails() {
        let signature = sign(SECRET, BODY);
        let mut tampered = BODY.to_vec();
        tampered[BODY.len() - 3] = b'9';
        assert_eq!(
            verify_signature(&tampered, Some(&signature), &[SECRET]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_hex_signature_is_not_base64() {
        let hex: String = hmac_sha256(SECRET, BODY)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for hex in [hex.clone(), hex.to_uppercase()] {
            assert_eq!(
                verify_signature(BODY, Some(&hex), &[SECRET]),
                Err(SignatureError::NotBase64)
            );
        }
        assert_eq!(
            verify_signature(BODY, Some("not*base64!"), &[SECRET]),
            Err(SignatureError::NotBase64)
        );
        assert_eq!(
            verify_signature(BODY, Some(&base64_encode(b"short")), &[SECRET]),
            Err(SignatureError::WrongLength)
        );
    }

    #[test]
    fn a_missing_or_blank_header_is_missing() {
        for header in [None, Some(""), Some("  ")] {
            assert_eq!(
                verify_signature(BODY, header, &[SECRET]),
                Err(SignatureError::Missing)
            );
        }
    }

    #[test]
    fn the_previous_secret_still_passes_during_rotation() {
        let old = sign(PREVIOUS, BODY);
        assert_eq!(
            verify_signature(BODY, Some(&old), &[SECRET, PREVIOUS]),
            Ok(())
        );
        assert_eq!(
            verify_signature(BODY, Some(&old), &[SECRET]),
            Err(SignatureError::Mismatch),
            "once the old secret is removed, its signatures fail"
        );
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let header = format!(" {}\r\n", sign(SECRET, BODY));
        assert_eq!(verify_signature(BODY, Some(&header), &[SECRET]), Ok(()));
    }

    #[test]
    fn no_usable_secret_is_a_configuration_error() {
        let header = sign(b"", BODY);
        for secrets in [&[][..], &[&b""[..]][..]] {
            assert_eq!(
                verify_signature(BODY, Some(&header), secrets),
                Err(SignatureError::NoSecretConfigured)
            );
        }
    }

    #[test]
    fn messages_do_not_leak_the_expected_signature() {
        let expected = sign(SECRET, BODY);
        let message = SignatureError::Mismatch.to_string();
        assert!(!message.contains(&expected));
        assert_eq!(message, "the signature does not match the body");
    }
}
