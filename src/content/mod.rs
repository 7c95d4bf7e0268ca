//! Personalized content: slots on the storefront's pages and what each segment sees in them.

mod schedule;
mod slot;
pub mod template;

pub use schedule::{Schedule, StoreOffset};
pub use slot::{ActionKind, Content, Slot, SlotCompiler};
pub use template::{Template, TemplateMode};
