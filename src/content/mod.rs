//! Personalized content: slots on the storefront's pages and what each segment sees in them.

mod slot;
pub mod template;

pub use slot::{ActionKind, Slot};
pub use template::{Template, TemplateMode};
