//! Tailor: per-visitor storefront personalization at the edge.

pub mod condition;
pub mod config;
