//! Actions on a matched element, and the one function that performs them on any engine's
//! element type.

use std::borrow::Cow;

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

/// An element method that only writes (it needs nothing read from the element), named as the
/// runtime's `Element` names it. Most actions are one of these, so an engine can apply them
/// without calling back into the code that decided them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// `setInnerContent(html, {html: true})`.
    SetInnerContent,
    /// `replace(html, {html: true})`.
    Replace,
    /// `remove()`.
    Remove,
    /// `before(html, {html: true})`.
    Before,
    /// `after(html, {html: true})`.
    After,
    /// `prepend(html, {html: true})`.
    Prepend,
    /// `append(html, {html: true})`.
    Append,
    /// `setAttribute(name, value)`.
    SetAttribute,
    /// `removeAttribute(name)`.
    RemoveAttribute,
}

impl Write {
    /// The runtime `Element` method's name.
    pub fn method(self) -> &'static str {
        match self {
            Write::SetInnerContent => "setInnerContent",
            Write::Replace => "replace",
            Write::Remove => "remove",
            Write::Before => "before",
            Write::After => "after",
            Write::Prepend => "prepend",
            Write::Append => "append",
            Write::SetAttribute => "setAttribute",
            Write::RemoveAttribute => "removeAttribute",
        }
    }

    /// Calls the method on `element`: `first` is the markup or the attribute's name, `second`
    /// the attribute's value (as the element should store it).
    pub fn apply(self, first: &str, second: &str, element: &mut impl ElementOps) {
        match self {
            Write::SetInnerContent => element.set_inner_html(first),
            Write::Replace => element.replace_html(first),
            Write::Remove => element.remove(),
            Write::Before => element.before_html(first),
            Write::After => element.after_html(first),
            Write::Prepend => element.prepend_html(first),
            Write::Append => element.append_html(first),
            Write::SetAttribute => element.set_attribute(first, second),
            Write::RemoveAttribute => element.remove_attribute(first),
        }
    }
}

impl Action {
    /// The write this action is, with its two arguments (see [`Write::apply`]); `None` for the
    /// class actions, which read the element's `class` first.
    pub fn as_write(&self) -> Option<(Write, &str, Cow<'_, str>)> {
        let none = || Cow::Borrowed("");
        Some(match self {
            Action::SetInnerContent { html } => (Write::SetInnerContent, html, none()),
            Action::Replace { html } => (Write::Replace, html, none()),
            Action::Remove => (Write::Remove, "", none()),
            Action::Before { html } => (Write::Before, html, none()),
            Action::After { html } => (Write::After, html, none()),
            Action::Prepend { html } => (Write::Prepend, html, none()),
            Action::Append { html } => (Write::Append, html, none()),
            // NOTE: both engines escape only the quote character in attribute values, so `&`
            // is escaped here: the value is plain text and must read back exactly as written.
            Action::SetAttribute { name, value } => (
                Write::SetAttribute,
                name,
                if value.contains('&') {
                    Cow::Owned(value.replace('&', "&amp;"))
                } else {
                    Cow::Borrowed(value.as_str())
                },
            ),
            Action::RemoveAttribute { name } => (Write::RemoveAttribute, name, none()),
            Action::AddClass { .. } | Action::RemoveClass { .. } => return None,
        })
    }
}

/// Performs `action` on `element`.
pub fn apply_action(action: &Action, element: &mut impl ElementOps) {
    if let Some((write, first, second)) = action.as_write() {
        write.apply(first, &second, element);
        return;
    }
    match action {
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
        // Every other action is a write, applied above.
        _ => {}
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
    fn every_write_calls_the_runtime_method_of_its_name_with_the_value_escaped() {
        let html = || "<b>Hi</b>".to_string();
        let cases = [
            (
                Action::SetInnerContent { html: html() },
                "setInnerContent",
                "inner <b>Hi</b>",
            ),
            (
                Action::Replace { html: html() },
                "replace",
                "replace <b>Hi</b>",
            ),
            (Action::Remove, "remove", "remove"),
            (
                Action::Before { html: html() },
                "before",
                "before <b>Hi</b>",
            ),
            (Action::After { html: html() }, "after", "after <b>Hi</b>"),
            (
                Action::Prepend { html: html() },
                "prepend",
                "prepend <b>Hi</b>",
            ),
            (
                Action::Append { html: html() },
                "append",
                "append <b>Hi</b>",
            ),
            (
                Action::SetAttribute {
                    name: "title".into(),
                    value: "Tom & \"Jerry\"".into(),
                },
                "setAttribute",
                "set title=Tom &amp; \"Jerry\"",
            ),
            (
                Action::RemoveAttribute {
                    name: "hidden".into(),
                },
                "removeAttribute",
                "unset hidden",
            ),
        ];
        for (action, method, call) in cases {
            let (write, first, second) = action.as_write().expect("a write");
            assert_eq!(write.method(), method);
            let mut el = Recorder::default();
            write.apply(first, &second, &mut el);
            assert_eq!(el.calls, [call], "{method}");
            let mut through_apply = Recorder::default();
            apply_action(&action, &mut through_apply);
            assert_eq!(through_apply.calls, el.calls, "{method}");
        }
        for class_action in [
            Action::AddClass { class: "a".into() },
            Action::RemoveClass { class: "a".into() },
        ] {
            assert!(
                class_action.as_write().is_none(),
                "{class_action:?} reads the element"
            );
        }
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
