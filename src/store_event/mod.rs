//! Store events: webhooks from the store platform (orders, carts, checkouts, customers),
//! verified ([`verify_signature`]) before anything else reads them.

mod signature;

pub use signature::{verify_signature, SignatureError};
