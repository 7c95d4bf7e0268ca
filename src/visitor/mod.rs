//! Who the visitor is: their id (from our cookie, or a new one), their stored profile, and the
//! attributes that segment conditions are evaluated against.

mod attributes;
pub mod behaviour;
mod cart;
mod customer;
mod id;
pub mod page;
mod profile;
pub mod timestamp;
mod visit;

pub use attributes::{attributes, VisitorContext};
pub use behaviour::{Behaviour, BEHAVIOUR_COOKIE, BEHAVIOUR_COOKIE_MAX_AGE_SECS};
pub use cart::{Cart, CartSource, ABANDONED_AFTER_MS};
pub use customer::{customer_attributes, last_order_ms};
pub use id::{VisitorId, VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE_SECS, VISITOR_ID_BYTES};
pub use page::{PageKind, PagePatterns};
pub use profile::{profile_key, Profile, ProfileError};
pub use visit::{
    browse_attributes, page_kind_attributes, visit_attributes, BROWSE_ABANDON_VIEWS,
    BROWSE_WINDOW_MS,
};

use crate::request::RequestFacts;

/// The visitor behind one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    /// Their id: from a well-formed cookie, or freshly issued.
    pub id: VisitorId,
    /// True when this request carried no valid id, so a new one was issued.
    pub is_new: bool,
}

impl Visitor {
    /// Identifies the visitor from our cookie; `fresh` is used only when a new id is needed.
    pub fn identify(request: &RequestFacts, fresh: [u8; VISITOR_ID_BYTES]) -> Self {
        match request.cookie(VISITOR_COOKIE).and_then(VisitorId::parse) {
            Some(id) => Self { id, is_new: false },
            None => Self {
                id: VisitorId::from_random(fresh),
                is_new: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_cookie_keeps_the_visitor_and_garbage_gets_a_new_id() {
        let known = VisitorId::from_random([9; VISITOR_ID_BYTES]);
        let cookie = format!("{VISITOR_COOKIE}={known}");
        let returning = Visitor::identify(&RequestFacts::get("/", Some(&cookie), 0), [1; 16]);
        assert_eq!(returning.id, known);
        assert!(!returning.is_new);

        for header in [None, Some("tailor_vid=../../etc"), Some("other=1")] {
            let visitor = Visitor::identify(&RequestFacts::get("/", header, 0), [1; 16]);
            assert!(visitor.is_new, "{header:?}");
            assert_eq!(visitor.id, VisitorId::from_random([1; 16]));
        }
    }
}
