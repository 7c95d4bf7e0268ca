//! The rewrite plan: which elements of the page to change and how, as data.
//!
//! The core computes a plan; an engine applies it while the page streams. In the worker the
//! engine is the Workers runtime's own `HTMLRewriter` (see `edge`); natively (tests, CLI) it is
//! the `lol_html` crate, the same parser. Natively [`apply_action`] performs each action; the
//! worker hands the runtime the whole plan at once, each action as the call [`Action::call`]
//! gives (the mapping [`apply_action`] itself uses), and `src/edge/runtime.js` performs those
//! calls. The golden pages check that both engines write the same bytes.

mod action;
#[cfg(not(target_arch = "wasm32"))]
mod native;

pub use action::{apply_action, Action, ElementOps, Method};
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

    /// The plan as the worker's `runtime.js` takes it, in one string: four fields per edit
    /// (selector, method, first and second argument, as [`Action::call`] gives them), each
    /// written as its length in UTF-16 code units (JavaScript's `length`), a colon, and the
    /// text. Lengths instead of an escaped format such as JSON: markup is copied as it is, not
    /// scanned character by character on either side, and may hold any character.
    pub fn encode_for_runtime(&self) -> String {
        let mut encoded = String::with_capacity(
            self.edits
                .iter()
                .map(|e| e.selector.len() + e.action.call().1.len() + 32)
                .sum(),
        );
        for edit in &self.edits {
            let (method, first, second) = edit.action.call();
            for field in [edit.selector.as_str(), method.name(), first, &second] {
                encoded.push_str(&utf16_len(field).to_string());
                encoded.push(':');
                encoded.push_str(field);
            }
        }
        encoded
    }
}

/// `text`'s length in UTF-16 code units: one per character, two for those beyond the Basic
/// Multilingual Plane (four bytes in UTF-8). Counted from the bytes, without decoding.
fn utf16_len(text: &str) -> usize {
    text.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `runtime.js` does with the encoding: lengths count UTF-16 code units.
    fn decode(encoded: &str) -> Vec<[String; 4]> {
        let units: Vec<u16> = encoded.encode_utf16().collect();
        let mut fields = Vec::new();
        let mut at = 0;
        while at < units.len() {
            let colon = at
                + units[at..]
                    .iter()
                    .position(|&u| u == u16::from(b':'))
                    .expect(":");
            let length: usize = String::from_utf16(&units[at..colon])
                .expect("digits")
                .parse()
                .expect("a length");
            let end = colon + 1 + length;
            fields.push(String::from_utf16(&units[colon + 1..end]).expect("whole characters"));
            at = end;
        }
        fields
            .chunks(4)
            .map(|call| [0, 1, 2, 3].map(|i| call[i].clone()))
            .collect()
    }

    #[test]
    fn utf16_lengths_count_code_units() {
        for text in [
            "",
            "abc",
            "é",
            "€",
            "😀",
            "a😀é€:12:",
            "\u{0}\u{ffff}\u{10000}",
        ] {
            assert_eq!(utf16_len(text), text.encode_utf16().count(), "{text:?}");
        }
    }

    #[test]
    fn the_runtime_gets_every_edit_as_one_call_in_order() {
        let edit = |selector: &str, action: Action| Edit {
            selector: selector.into(),
            action,
            reason: "test".into(),
        };
        let plan = RewritePlan {
            edits: vec![
                edit(
                    "#hero",
                    Action::SetInnerContent {
                        html: "<b>\"Hi\"</b>\n\u{0}".into(),
                    },
                ),
                edit(
                    "img[src]",
                    Action::SetAttribute {
                        name: "src".into(),
                        value: "/a?b=1&c=2".into(),
                    },
                ),
                edit(
                    "#offer",
                    Action::AddClass {
                        class: "vip".into(),
                    },
                ),
                edit("#ad", Action::Remove),
                edit(
                    "p:nth-child(2)",
                    Action::Append {
                        html: "😀 at 12:30, 5€ 3:".into(),
                    },
                ),
            ],
        };
        let expected = [
            ["#hero", "setInnerContent", "<b>\"Hi\"</b>\n\u{0}", ""],
            ["img[src]", "setAttribute", "src", "/a?b=1&amp;c=2"],
            ["#offer", "addClass", "vip", ""],
            ["#ad", "remove", "", ""],
            ["p:nth-child(2)", "append", "😀 at 12:30, 5€ 3:", ""],
        ];
        assert_eq!(
            decode(&plan.encode_for_runtime()),
            expected.map(|call| call.map(String::from))
        );
        assert_eq!(RewritePlan::default().encode_for_runtime(), "");
    }
}
