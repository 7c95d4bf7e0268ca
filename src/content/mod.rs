//! Personalized content: slots on the storefront's pages and what each segment sees in them.

mod slot;

pub use slot::{ActionKind, Slot};
