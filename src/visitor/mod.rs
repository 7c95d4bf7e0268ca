//! Who the visitor is: their id (from our cookie, or a new one), their stored profile, and the
//! attributes that segment conditions are evaluated against.

mod attributes;
pub mod behaviour;
mod cart;
mod customer;
pub(crate) mod id;
mod identity;
pub mod page;
mod profile;
pub mod timestamp;
mod visit;

pub use attributes::{attributes, VisitorContext};
pub use behaviour::{Behaviour, BEHAVIOUR_COOKIE, BEHAVIOUR_COOKIE_MAX_AGE_SECS};
pub use cart::{Cart, CartSource, ABANDONED_AFTER_MS};
pub use customer::{customer_attributes, last_order_ms};
pub use id::{
    IdKeys, Verified, VisitorId, MIN_KEY_BYTES, VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE_SECS,
    VISITOR_ID_BYTES,
};
pub use identity::{verify_identity, IdentityError, IdentitySource, IDENTITY_COOKIE};
pub use page::{PageKind, PagePatterns};
pub use profile::{customer_profile_key, profile_key, Profile, ProfileError};
pub use visit::{
    browse_attributes, page_kind_attributes, visit_attributes, BROWSE_ABANDON_VIEWS,
    BROWSE_WINDOW_MS,
};

use crate::request::RequestFacts;

/// The visitor behind one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    /// Their id: from a cookie this worker signed, or freshly issued (a throwaway one for an
    /// anonymous visitor).
    pub id: VisitorId,
    /// True when this request carried no valid id, so a new one was issued.
    pub is_new: bool,
    /// Whether personal data may be used (consent): an id that persists, the browsing history,
    /// the profile, experiments and events. Without it only the page itself personalizes.
    pub personal: bool,
    /// The logged-in customer, from a verified identity cookie.
    pub customer_id: Option<String>,
    /// The signed cookie value to set: a new id, or one signed with the previous key.
    pub issue_cookie: Option<String>,
    /// Their profile says they opted out (perhaps on another device): this browser is told
    /// to remember it.
    pub remember_opt_out: bool,
}

impl Visitor {
    /// Identifies the visitor from our signed cookie; `fresh` is used only when a new id is
    /// needed. An unsigned, tampered or foreign id is never believed: it gets a new one.
    pub fn identify(request: &RequestFacts, fresh: [u8; VISITOR_ID_BYTES], keys: &IdKeys) -> Self {
        let verified = request.cookie(VISITOR_COOKIE).and_then(|v| keys.verify(v));
        let (id, is_new, resign) = match verified {
            Some(Verified::Current(id)) => (id, false, false),
            Some(Verified::Previous(id)) => (id, false, true),
            None => (VisitorId::from_random(fresh), true, true),
        };
        Self {
            issue_cookie: resign.then(|| keys.sign(&id)),
            id,
            is_new,
            personal: true,
            customer_id: None,
            remember_opt_out: false,
        }
    }

    /// A visitor whose personal data may not be used (no consent, no signing key): a throwaway
    /// id that is never stored, never read from a cookie, and reads no profile.
    pub fn anonymous(fresh: [u8; VISITOR_ID_BYTES]) -> Self {
        Self {
            id: VisitorId::from_random(fresh),
            is_new: true,
            personal: false,
            customer_id: None,
            issue_cookie: None,
            remember_opt_out: false,
        }
    }

    /// A visitor whose profile is marked opted-out: anonymous, and their browser is told to
    /// remember the choice.
    pub fn opted_out(fresh: [u8; VISITOR_ID_BYTES]) -> Self {
        Self {
            remember_opt_out: true,
            ..Self::anonymous(fresh)
        }
    }

    /// The KV key of the profile to read: the logged-in customer's, else a returning
    /// visitor's; none for a new or anonymous visitor.
    pub fn profile_key(&self) -> Option<String> {
        if !self.personal {
            return None;
        }
        match &self.customer_id {
            Some(customer) => Some(customer_profile_key(customer)),
            None => (!self.is_new).then(|| profile_key(&self.id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k3y-for-tests-0123456789abcdefghijklmnop";

    #[test]
    fn a_signed_cookie_keeps_the_visitor_and_anything_else_gets_a_new_id() {
        let keys = IdKeys::new(KEY, None).expect("key");
        let known = VisitorId::from_random([9; VISITOR_ID_BYTES]);
        let cookie = format!("{VISITOR_COOKIE}={}", keys.sign(&known));
        let returning =
            Visitor::identify(&RequestFacts::get("/", Some(&cookie), 0), [1; 16], &keys);
        assert_eq!(returning.id, known);
        assert!(!returning.is_new);
        assert_eq!(returning.issue_cookie, None, "nothing to re-issue");
        assert_eq!(returning.profile_key(), Some(format!("profile:{known}")));

        let unsigned = format!("{VISITOR_COOKIE}={known}");
        for header in [
            None,
            Some("tailor_vid=../../etc"),
            Some("other=1"),
            Some(unsigned.as_str()),
        ] {
            let visitor = Visitor::identify(&RequestFacts::get("/", header, 0), [1; 16], &keys);
            assert!(visitor.is_new, "{header:?}");
            assert_eq!(visitor.id, VisitorId::from_random([1; 16]));
            assert_eq!(visitor.issue_cookie, Some(keys.sign(&visitor.id)));
            assert_eq!(
                visitor.profile_key(),
                None,
                "a new visitor has no profile to read"
            );
        }
    }

    #[test]
    fn a_cookie_signed_with_the_previous_key_is_re_signed() {
        let old = "old-key-for-tests-0123456789abcdefghijkl";
        let id = VisitorId::from_random([6; VISITOR_ID_BYTES]);
        let cookie = format!(
            "{VISITOR_COOKIE}={}",
            IdKeys::new(old, None).expect("key").sign(&id)
        );
        let keys = IdKeys::new(KEY, Some(old)).expect("keys");
        let visitor = Visitor::identify(&RequestFacts::get("/", Some(&cookie), 0), [1; 16], &keys);
        assert_eq!(visitor.id, id);
        assert!(!visitor.is_new);
        assert_eq!(visitor.issue_cookie, Some(keys.sign(&id)));
    }

    #[test]
    fn a_logged_in_customer_reads_the_customer_profile_and_anonymous_visitors_none() {
        let keys = IdKeys::new(KEY, None).expect("key");
        let mut visitor = Visitor::identify(&RequestFacts::get("/", None, 0), [2; 16], &keys);
        visitor.customer_id = Some("7421".into());
        assert_eq!(visitor.profile_key(), Some("profile:customer:7421".into()));
        let mut anonymous = Visitor::anonymous([3; 16]);
        anonymous.customer_id = Some("7421".into());
        assert_eq!(anonymous.profile_key(), None);
        assert_eq!(anonymous.issue_cookie, None);
    }
}
