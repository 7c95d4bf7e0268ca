//! Personalized content: slots on the storefront's pages and what each segment sees in them.

pub mod catalog;
pub mod recommend;
mod schedule;
mod slot;
pub mod template;

pub use catalog::{Catalog, Product, CATALOG_KEY};
pub use recommend::{Recommendations, Signals, Strategy};
pub use schedule::{Schedule, StoreOffset};
pub use slot::{ActionKind, Content, Override, Slot, SlotCompiler};
pub use template::{Template, TemplateMode};
