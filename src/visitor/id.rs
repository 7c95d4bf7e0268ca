//! The visitor id: a random, opaque identifier kept in a first-party cookie, and the key under
//! which the visitor's profile is read from KV.
//!
//! The cookie carries the id signed with the worker's key (`<id>.<tag>`, the tag an HMAC of the
//! id): an id is only ever used to read a profile if this worker issued it, so nobody can read
//! another shopper's profile by typing their id into a cookie. The key rotates: a cookie
//! signed with the previous key is still accepted, and re-signed with the current one.

use std::fmt;

use crate::crypto::{base64url_decode, base64url_encode, constant_time_eq, hmac_sha256};

/// Name of the cookie that carries the visitor id.
pub const VISITOR_COOKIE: &str = "tailor_vid";

/// How long the visitor id cookie lives: 400 days, the longest lifetime browsers honour.
pub const VISITOR_COOKIE_MAX_AGE_SECS: u64 = 400 * 24 * 60 * 60;

/// Bytes of randomness in a visitor id (128 bits: collisions are not a concern).
pub const VISITOR_ID_BYTES: usize = 16;

/// Fewest bytes a signing key may have: shorter secrets are guessable offline from one cookie.
pub const MIN_KEY_BYTES: usize = 32;

const ENCODED_LEN: usize = 22;
/// Bytes of HMAC kept in a signed id: 128 bits cannot be forged by trial.
const TAG_BYTES: usize = 16;
/// Domain separation: a visitor-id tag can never pass for another signature made with the
/// same key.
const TAG_CONTEXT: &[u8] = b"tailor:visitor-id:";
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

/// The keys visitor ids are signed with: the current one, and the previous one while a
/// rotation is under way.
#[derive(Clone)]
pub struct IdKeys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

impl fmt::Debug for IdKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // NOTE: keys never reach a log line.
        f.write_str("IdKeys(..)")
    }
}

/// How a signed id checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Signed with the current key.
    Current(VisitorId),
    /// Signed with the previous key: valid, to be re-signed with the current one.
    Previous(VisitorId),
}

impl Verified {
    /// The verified id, whichever key signed it.
    pub fn into_id(self) -> VisitorId {
        match self {
            Self::Current(id) | Self::Previous(id) => id,
        }
    }
}

impl IdKeys {
    /// The keys from the worker's secrets; an empty previous key counts as none.
    pub fn new(current: &str, previous: Option<&str>) -> Result<Self, String> {
        let check = |name: &str, key: &str| {
            if key.len() < MIN_KEY_BYTES {
                Err(format!(
                    "{name} has {} bytes; use at least {MIN_KEY_BYTES} random bytes (e.g. `openssl rand -base64 32`)",
                    key.len()
                ))
            } else {
                Ok(key.as_bytes().to_vec())
            }
        };
        Ok(Self {
            current: check("the key", current)?,
            previous: match previous.map(str::trim).filter(|p| !p.is_empty()) {
                Some(previous) => Some(check("the previous key", previous)?),
                None => None,
            },
        })
    }

    /// The cookie value for `id`: `<id>.<tag>`.
    pub fn sign(&self, id: &VisitorId) -> String {
        format!("{id}.{}", base64url_encode(&tag(&self.current, id)))
    }

    /// The id in a signed cookie value, if one of our keys signed it. Anything else (unsigned,
    /// tampered, signed elsewhere, malformed) is `None`: the visitor is treated as new.
    pub fn verify(&self, value: &str) -> Option<Verified> {
        let (id, given) = value.split_once('.')?;
        let id = VisitorId::parse(id)?;
        let given = base64url_decode(given)?;
        if constant_time_eq(&given, &tag(&self.current, &id)) {
            return Some(Verified::Current(id));
        }
        let previous = self.previous.as_ref()?;
        constant_time_eq(&given, &tag(previous, &id)).then_some(Verified::Previous(id))
    }

    /// `<message>.<tag>` for another value we sign (preview links), under the current key; the
    /// `context` keeps its tags from ever verifying as a visitor id's, and vice versa.
    pub fn sign_message(&self, context: &[u8], message: &str) -> String {
        let tag = tag_of(&self.current, context, message.as_bytes());
        format!("{message}.{}", base64url_encode(&tag))
    }

    /// The length of what [`Self::sign_message`] makes of a message of `message_len` bytes
    /// (the tag's length does not depend on the key).
    pub fn signed_len(message_len: usize) -> usize {
        message_len + 1 + (TAG_BYTES * 4).div_ceil(3)
    }

    /// The message of a value [`Self::sign_message`] produced under either key, else `None`.
    pub fn verify_message<'a>(&self, context: &[u8], signed: &'a str) -> Option<&'a str> {
        let (message, given) = signed.rsplit_once('.')?;
        let given = base64url_decode(given)?;
        let valid =
            |key: &[u8]| constant_time_eq(&given, &tag_of(key, context, message.as_bytes()));
        (valid(&self.current) || self.previous.as_deref().is_some_and(valid)).then_some(message)
    }
}

/// The key unit tests sign with.
#[cfg(test)]
pub(crate) fn test_keys() -> IdKeys {
    match IdKeys::new("k3y-for-tests-0123456789abcdefghijklmnop", None) {
        Ok(keys) => keys,
        Err(e) => unreachable!("{e}"),
    }
}

fn tag(key: &[u8], id: &VisitorId) -> [u8; TAG_BYTES] {
    tag_of(key, TAG_CONTEXT, id.as_str().as_bytes())
}

fn tag_of(key: &[u8], context: &[u8], message: &[u8]) -> [u8; TAG_BYTES] {
    let mut signed = context.to_vec();
    signed.extend_from_slice(message);
    let mac = hmac_sha256(key, &signed);
    let mut tag = [0; TAG_BYTES];
    tag.copy_from_slice(&mac[..TAG_BYTES]);
    tag
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

    const KEY: &str = "k3y-for-tests-0123456789abcdefghijklmnop";
    const OLD_KEY: &str = "old-key-for-tests-0123456789abcdefghijkl";

    #[test]
    fn a_signed_id_verifies_and_any_change_to_it_does_not() {
        let keys = IdKeys::new(KEY, None).expect("key");
        let id = VisitorId::from_random([3; VISITOR_ID_BYTES]);
        let signed = keys.sign(&id);
        assert_eq!(signed.len(), 22 + 1 + 22);
        assert_eq!(keys.verify(&signed), Some(Verified::Current(id.clone())));

        // Another visitor's id with this visitor's tag, each character altered, unsigned.
        let other = VisitorId::from_random([4; VISITOR_ID_BYTES]);
        let (_, tag) = signed.split_once('.').expect("dot");
        assert_eq!(keys.verify(&format!("{other}.{tag}")), None);
        for at in 0..signed.len() {
            let mut bytes = signed.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).expect("ascii");
            if altered != signed {
                assert_eq!(keys.verify(&altered), None, "altered at {at}: {altered}");
            }
        }
        assert_eq!(keys.verify(id.as_str()), None, "unsigned");
        assert_eq!(keys.verify(&format!("{id}.")), None);
        assert_eq!(keys.verify(""), None);
    }

    #[test]
    fn rotation_accepts_the_previous_key_and_nothing_else() {
        let id = VisitorId::from_random([5; VISITOR_ID_BYTES]);
        let old = IdKeys::new(OLD_KEY, None).expect("key");
        let rotated = IdKeys::new(KEY, Some(OLD_KEY)).expect("keys");
        let signed_before = old.sign(&id);
        assert_eq!(
            rotated.verify(&signed_before),
            Some(Verified::Previous(id.clone()))
        );
        assert_eq!(
            rotated.verify(&rotated.sign(&id)),
            Some(Verified::Current(id.clone()))
        );
        // Once the previous key is dropped, its cookies no longer verify.
        let finished = IdKeys::new(KEY, Some("  ")).expect("blank previous is none");
        assert_eq!(finished.verify(&signed_before), None);
        let foreign = IdKeys::new("someone-elses-key-0123456789abcdefghijk", None).expect("key");
        assert_eq!(rotated.verify(&foreign.sign(&id)), None);
    }

    #[test]
    fn short_keys_are_refused_with_a_hint() {
        let error = IdKeys::new("hunter2", None).expect_err("too short");
        assert!(error.contains("at least 32"), "{error}");
        assert!(IdKeys::new(KEY, Some("short")).is_err());
        assert_eq!(
            format!("{:?}", IdKeys::new(KEY, None).expect("key")),
            "IdKeys(..)"
        );
    }
}
