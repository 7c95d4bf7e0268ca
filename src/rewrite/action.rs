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

/// How an engine performs an action: a method on the matched element, named as the runtime's
/// `Element` names it, except the two class edits (which read `class` first, and which the
/// worker's `runtime.js` implements the way [`Method::apply`] does). Every action is one call,
/// so an engine can apply a plan without calling back into the code that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
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
    /// Adds a class to `class` unless a class of that name is there.
    AddClass,
    /// Removes every class of that name from `class`.
    RemoveClass,
}

impl Method {
    /// The method's name: the runtime `Element` method's, or `addClass` / `removeClass`.
    pub fn name(self) -> &'static str {
        match self {
            Method::SetInnerContent => "setInnerContent",
            Method::Replace => "replace",
            Method::Remove => "remove",
            Method::Before => "before",
            Method::After => "after",
            Method::Prepend => "prepend",
            Method::Append => "append",
            Method::SetAttribute => "setAttribute",
            Method::RemoveAttribute => "removeAttribute",
            Method::AddClass => "addClass",
            Method::RemoveClass => "removeClass",
        }
    }

    /// Calls the method on `element`: `first` is the markup, the attribute's name or the class,
    /// `second` the attribute's value (as the element should store it).
    pub fn apply(self, first: &str, second: &str, element: &mut impl ElementOps) {
        match self {
            Method::SetInnerContent => element.set_inner_html(first),
            Method::Replace => element.replace_html(first),
            Method::Remove => element.remove(),
            Method::Before => element.before_html(first),
            Method::After => element.after_html(first),
            Method::Prepend => element.prepend_html(first),
            Method::Append => element.append_html(first),
            Method::SetAttribute => element.set_attribute(first, second),
            Method::RemoveAttribute => element.remove_attribute(first),
            Method::AddClass => {
                let current = element.attribute("class").unwrap_or_default();
                if let Some(joined) = with_class(&current, first) {
                    element.set_attribute("class", &joined);
                }
            }
            Method::RemoveClass => {
                if let Some(current) = element.attribute("class") {
                    if let Some(kept) = without_class(&current, first) {
                        element.set_attribute("class", &kept);
                    }
                }
            }
        }
    }
}

/// `class` with `name` added at the end, or `None` when it holds that class already. Classes
/// are separated by ASCII whitespace, as HTML defines them: any other character (a
/// non-breaking space, say) is part of a class name and is kept.
fn with_class(class: &str, name: &str) -> Option<String> {
    let mut classes = class.split_ascii_whitespace();
    if classes.clone().any(|c| c == name) {
        return None;
    }
    Some(match classes.next() {
        None => name.to_string(),
        Some(_) => format!("{} {name}", class.trim_ascii_end()),
    })
}

/// `class` without any class called `name`, the rest joined by single spaces; `None` when it
/// holds no such class (the attribute is left as it is).
fn without_class(class: &str, name: &str) -> Option<String> {
    if !class.split_ascii_whitespace().any(|c| c == name) {
        return None;
    }
    let kept: Vec<&str> = class
        .split_ascii_whitespace()
        .filter(|c| *c != name)
        .collect();
    Some(kept.join(" "))
}

impl Action {
    /// The call that performs this action, with its two arguments (see [`Method::apply`]).
    pub fn call(&self) -> (Method, &str, Cow<'_, str>) {
        let none = || Cow::Borrowed("");
        match self {
            Action::SetInnerContent { html } => (Method::SetInnerContent, html, none()),
            Action::Replace { html } => (Method::Replace, html, none()),
            Action::Remove => (Method::Remove, "", none()),
            Action::Before { html } => (Method::Before, html, none()),
            Action::After { html } => (Method::After, html, none()),
            Action::Prepend { html } => (Method::Prepend, html, none()),
            Action::Append { html } => (Method::Append, html, none()),
            // NOTE: both engines escape only the quote character in attribute values, so `&`
            // is escaped here: the value is plain text and must read back exactly as written.
            Action::SetAttribute { name, value } => (
                Method::SetAttribute,
                name,
                if value.contains('&') {
                    Cow::Owned(value.replace('&', "&amp;"))
                } else {
                    Cow::Borrowed(value.as_str())
                },
            ),
            Action::RemoveAttribute { name } => (Method::RemoveAttribute, name, none()),
            Action::AddClass { class } => (Method::AddClass, class, none()),
            Action::RemoveClass { class } => (Method::RemoveClass, class, none()),
        }
    }
}

/// Performs `action` on `element`.
pub fn apply_action(action: &Action, element: &mut impl ElementOps) {
    let (method, first, second) = action.call();
    method.apply(first, &second, element);
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
            let (called, first, second) = action.call();
            assert_eq!(called.name(), method);
            let mut el = Recorder::default();
            called.apply(first, &second, &mut el);
            assert_eq!(el.calls, [call], "{method}");
            let mut through_apply = Recorder::default();
            apply_action(&action, &mut through_apply);
            assert_eq!(through_apply.calls, el.calls, "{method}");
        }
        let add = Action::AddClass { class: "a".into() };
        assert_eq!((add.call().0.name(), add.call().1), ("addClass", "a"));
        let remove = Action::RemoveClass { class: "a".into() };
        assert_eq!(
            (remove.call().0.name(), remove.call().1),
            ("removeClass", "a")
        );
    }

    #[test]
    fn classes_are_separated_by_ascii_whitespace_only() {
        let add = || Action::AddClass {
            class: "vip".into(),
        };
        // Tabs, newlines and form feeds separate classes; trailing ones go before the new class.
        assert_eq!(
            class_after(Some("a\tb\n\x0c"), add()).as_deref(),
            Some("a\tb vip")
        );
        assert_eq!(
            class_after(Some("a\tvip\r\n"), add()).as_deref(),
            Some("a\tvip\r\n")
        );
        // A non-breaking space is part of a class name: "vip\u{a0}" is not "vip", and it stays.
        assert_eq!(
            class_after(Some("vip\u{a0}"), add()).as_deref(),
            Some("vip\u{a0} vip")
        );
        assert_eq!(
            class_after(Some("\u{a0}"), add()).as_deref(),
            Some("\u{a0} vip")
        );
        let remove = || Action::RemoveClass {
            class: "vip".into(),
        };
        assert_eq!(
            class_after(Some("\tvip\x0cx\nvip "), remove()).as_deref(),
            Some("x")
        );
        assert_eq!(
            class_after(Some("vip\u{a0} x"), remove()).as_deref(),
            Some("vip\u{a0} x")
        );
        assert_eq!(class_after(Some("vip"), remove()).as_deref(), Some(""));
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
