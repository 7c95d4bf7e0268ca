//! Tailor: per-visitor storefront personalization at the edge.
//!
//! One page view flows through the modules in this order:
//! [`request`] (the facts the edge extracts) → [`visitor`] (id, profile, attributes) →
//! [`segment`] (who they are) → [`content`] (what each slot shows them) → [`decision`] (the
//! whole choice, with reasons) → [`rewrite`] (the plan applied as the page streams) →
//! [`response`] (headers and cookies). [`config`] is the merchant's document that drives it,
//! compiled once per isolate. Everything above is pure and runs natively; only `edge` (built
//! for `wasm32` alone) touches the Workers runtime.

pub mod admin;
pub mod assignment;
pub mod audit;
pub mod case;
pub mod condition;
pub mod config;
pub mod content;
pub mod crypto;
pub mod decision;
pub mod events;
pub mod experiment;
#[cfg(not(target_arch = "wasm32"))]
pub mod explain;
mod json;
mod order;
pub mod preview;
pub mod privacy;
pub mod profile_update;
pub mod report;
pub mod request;
pub mod response;
pub mod rewrite;
pub mod segment;
pub mod stats;
pub mod store_event;
pub mod visitor;

#[cfg(target_arch = "wasm32")]
mod edge;

pub use config::{Config, ConfigError};
pub use decision::{decide, record_page_view, replay_page_views, DecideOptions, Decision};
pub use request::RequestFacts;
pub use rewrite::{Action, Edit, RewritePlan};
pub use visitor::{Profile, Visitor};
