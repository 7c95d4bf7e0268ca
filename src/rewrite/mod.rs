//! The rewrite plan: which elements of the page to change and how, as data.
//!
//! The core computes a plan; an engine applies it while the page streams. In the worker the
//! engine is the Workers runtime's own `HTMLRewriter` (see `edge`); natively (tests, CLI) it is
//! the `lol_html` crate, the same parser. Both call [`apply_action`] on their element type, so
//! the two engines cannot drift apart in what an action means. (The worker hands the runtime
//! each write-only action as the method name and arguments [`Action::as_write`] gives, the
//! mapping [`apply_action`] itself uses.)

mod action;
#[cfg(not(target_arch = "wasm32"))]
mod native;

pub use action::{apply_action, Action, ElementOps, Write};
#[cfg(not(target_arch = "wasm32"))]
pub use native::{check_selector, matching_selectors, rewrite_page, NativeRewriter, RewriteError};

use serde::{Deserialize, Serialize};

/// One change: every element matching `selector` gets `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// A CSS selector, validated when the config was loaded.
    pub selector: String,
    /// What to do with each matching element.
    #[serde(flatten)]
    pub action: Action,
    /// Why: the slot and the segment (or default) that chose this edit.
    pub reason: String,
}

/// All the changes for one page view, in the order they are registered with the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewritePlan {
    /// The edits; an empty plan means the page is served exactly as the origin sent it.
    pub edits: Vec<Edit>,
}

impl RewritePlan {
    /// True when nothing on the page will change.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}
