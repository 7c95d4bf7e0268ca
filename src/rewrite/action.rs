//! Actions on a matched element, and the one function that performs them on any engine's
//! element type.

use serde::{Deserialize, Serialize};

/// What to do with a matched element. Markup (`html`) is inserted as HTML; it was decided
/// (and its variables escaped) before the response started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    /// Replace the element's children.
    SetInnerContent {
        /// The new children.
        html: String,
    },
    /// Replace the whole element.
    Replace {
        /// What stands in its place.
        html: String,
    },
    /// Remove the element and its children.
    Remove,
    /// Insert markup just before the element.
    Before {
        /// The markup to insert.
        html: String,
    },
    /// Insert markup just after the element.
    After {
        /// The markup to insert.
        html: String,
    },
    /// Insert markup as the element's first child.
    Prepend {
        /// The markup to insert.
        html: String,
    },
    /// Insert markup as the element's last child.
    Append {
        /// The markup to insert.
        html: String,
    },
    /// Set an attribute to a plain-text value (escaped for the attribute).
    SetAttribute {
        /// Attribute name.
        name: String,
        /// New value, as plain text.
        value: String,
    },
    /// Remove an attribute.
    RemoveAttribute {
        /// Attribute name.
        name: String,
    },
    /// Add a class to the `class` attribute (once).
    AddClass {
        /// A single class name.
        class: String,
    },
    /// Remove a class from the `class` attribute.
    RemoveClass {
        /// A single class name.
        class: String,
    },
}

/// The element operations an engine offers. Implementations must not fail: an error inside
/// the runtime's rewriter would break a response that has already started.
pub trait ElementOps {
    /// Replaces the children with markup.
    fn set_inner_html(&mut self, html: &str);
    /// Replaces the element with markup.
    fn replace_html(&mut self, html: &str);
    /// Removes the element.
    fn remove(&mut self);
    /// Inserts markup before the element.
    fn before_html(&mut self, html: &str);
    /// Inserts markup after the element.
    fn after_html(&mut self, html: &str);
    /// Inserts markup as the first child.
    fn prepend_html(&mut self, html: &str);
    /// Inserts markup as the last child.
    fn append_html(&mut self, html: &str);
    /// Reads an attribute.
    fn attribute(&self, name: &str) -> Option<String>;
    /// Sets an attribute to a plain-text value.
    fn set_attribute(&mut self, name: &str, value: &str);
    /// Removes an attribute.
    fn remove_attribute(&mut self, name: &str);
}

/// Performs `action` on `element`.
pub fn apply_action(action: &Action, element: &mut impl ElementOps) {
    match action {
        Action::SetInnerContent { html } => element.set_inner_html(html),
        Action::Replace { html } => element.replace_html(html),
        Action::Remove => element.remove(),
        Action::Before { html } => element.before_html(html),
        Action::After { html } => element.after_html(html),
        Action::Prepend { html } => element.prepend_html(html),
        Action::Append { html } => element.append_html(html),
        // NOTE: both engines escape only the quote character in attribute values, so `&` is
        // escaped here: the value is plain text and must read back exactly as written.
        Action::SetAttribute { name, value } => {
            element.set_attribute(name, &value.replace('&', "&amp;"))
        }
        Action::RemoveAttribute { name } => element.remove_attribute(name),
        Action::AddClass { class } => {
            let current = element.attribute("class").unwrap_or_default();
            if !current.split_ascii_whitespace().any(|c| c == class) {
                let joined = if current.trim().is_empty() {
                    class.clone()
                } else {
                    format!("{} {class}", current.trim_end())
                };
                element.set_attribute("class", &joined);
            }
        }
        Action::RemoveClass { class } => {
            if let Some(current) = element.attribute("class") {
                if current.split_ascii_whitespace().any(|c| c == class) {
                    let kept: Vec<&str> = current
                        .split_ascii_whitespace()
                        .filter(|c| c != class)
                        .collect();
                    element.set_attribute("class", &kept.join(" "));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        class: Option<String>,
        calls: Vec<String>,
    }

    impl ElementOps for Recorder {
        fn set_inner_html(&mut self, html: &str) {
            self.calls.push(format!("inner {html}"));
        }
        fn replace_html(&mut self, html: &str) {
            self.calls.push(format!("replace {html}"));
        }
        fn remove(&mut self) {
            self.calls.push("remove".into());
        }
        fn before_html(&mut self, html: &str) {
            self.calls.push(format!("before {html}"));
        }
        fn after_html(&mut self, html: &str) {
            self.calls.push(format!("after {html}"));
        }
        fn prepend_html(&mut self, html: &str) {
            self.calls.push(format!("prepend {html}"));
        }
        fn append_html(&mut self, html: &str) {
            self.calls.push(format!("append {html}"));
        }
        fn attribute(&self, name: &str) -> Option<String> {
            (name == "class").then(|| self.class.clone()).flatten()
        }
        fn set_attribute(&mut self, name: &str, value: &str) {
            if name == "class" {
                self.class = Some(value.to_string());
            }
            self.calls.push(format!("set {name}={value}"));
        }
        fn remove_attribute(&mut self, name: &str) {
            self.calls.push(format!("unset {name}"));
        }
    }

    fn class_after(initial: Option<&str>, action: Action) -> Option<String> {
        let mut el = Recorder {
            class: initial.map(str::to_string),
            ..Recorder::default()
        };
        apply_action(&action, &mut el);
        el.class
    }

    #[test]
    fn add_class_adds_once_and_keeps_the_rest() {
        let add = || Action::AddClass {
            class: "vip".into(),
        };
        assert_eq!(class_after(None, add()).as_deref(), Some("vip"));
        assert_eq!(class_after(Some("  "), add()).as_deref(), Some("vip"));
        assert_eq!(
            class_after(Some("hero big"), add()).as_deref(),
            Some("hero big vip")
        );
        assert_eq!(
            class_after(Some("vip hero"), add()).as_deref(),
            Some("vip hero")
        );
    }

    #[test]
    fn remove_class_removes_every_occurrence_and_leaves_others() {
        let remove = || Action::RemoveClass {
            class: "hidden".into(),
        };
        assert_eq!(
            class_after(Some("a hidden b hidden"), remove()).as_deref(),
            Some("a b")
        );
        assert_eq!(class_after(Some("a b"), remove()).as_deref(), Some("a b"));
        assert_eq!(class_after(None, remove()), None);
    }

    #[test]
    fn actions_are_serialized_with_an_action_tag() {
        let action: Action =
            serde_json::from_str(r#"{"action":"setAttribute","name":"src","value":"/a.svg"}"#)
                .expect("valid action");
        assert_eq!(
            action,
            Action::SetAttribute {
                name: "src".into(),
                value: "/a.svg".into()
            }
        );
        let mut el = Recorder::default();
        apply_action(&Action::Remove, &mut el);
        assert_eq!(el.calls, ["remove"]);
    }
}
