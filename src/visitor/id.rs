//! The visitor id: a random, opaque identifier kept in a first-party cookie, and the key under
//! which the visitor's profile is read from KV.

use std::fmt;

use crate::crypto::base64url_encode;

/// Name of the cookie that carries the visitor id.
pub const VISITOR_COOKIE: &str = "tailor_vid";

/// How long the visitor id cookie lives: 400 days, the longest lifetime browsers honour.
pub const VISITOR_COOKIE_MAX_AGE_SECS: u64 = 400 * 24 * 60 * 60;

/// Bytes of randomness in a visitor id (128 bits: collisions are not a concern).
pub const VISITOR_ID_BYTES: usize = 16;

const ENCODED_LEN: usize = 22;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A well-formed visitor id: 22 characters of unpadded base64url (128 random bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VisitorId(String);

impl VisitorId {
    /// Makes a new id from fresh random bytes supplied by the caller (the core has no RNG).
    pub fn from_random(bytes: [u8; VISITOR_ID_BYTES]) -> Self {
        Self(base64url_encode(&bytes))
    }

    /// Accepts a cookie value only if it has exactly the shape of an id we issue.
    ///
    /// NOTE: anything else (too long, other characters) is treated as no id at all, so a
    /// hostile cookie can never become a KV key of the attacker's choosing.
    pub fn parse(value: &str) -> Option<Self> {
        let well_formed = value.len() == ENCODED_LEN
            && value.bytes().all(|b| ALPHABET.contains(&b))
            // The last character encodes only 2 bits, so only a quarter of the alphabet fits.
            && value
                .bytes()
                .last()
                .and_then(|b| ALPHABET.iter().position(|&a| a == b))
                .is_some_and(|i| i % 16 == 0);
        well_formed.then(|| Self(value.to_string()))
    }

    /// The id as it appears in the cookie and in KV keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VisitorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_parse() {
        for seed in 0..=255u8 {
            let bytes = [seed; VISITOR_ID_BYTES].map(|b| b.wrapping_mul(31).wrapping_add(7));
            let id = VisitorId::from_random(bytes);
            assert_eq!(id.as_str().len(), 22);
            assert_eq!(VisitorId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn ids_are_base64url_of_their_bytes() {
        assert_eq!(
            VisitorId::from_random([0; 16]).as_str(),
            "AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            VisitorId::from_random([0xff; 16]).as_str(),
            "_____________________w"
        );
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "short",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAA/A",
            "AAAAAAAAAAAAAAAAAAAAAB",
            "../../../../profile:xx",
            "AAAAAAAAAAAAAAAAAAAAÀ",
        ] {
            assert_eq!(VisitorId::parse(bad), None, "{bad:?} must be rejected");
        }
    }
}
