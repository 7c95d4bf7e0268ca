//! A slot: a CSS selector on the merchant's theme, an action, and the content each segment
//! (or everyone, by default) gets there.

use serde_json::Value;

use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::rewrite::{Action, Edit};
use crate::segment::{check_id, Membership};

/// The kind of change a slot makes; the per-segment content is its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// Content is markup that replaces the element's children.
    SetInnerContent,
    /// Content is markup that replaces the element.
    Replace,
    /// The element is removed; content is ignored.
    Remove,
    /// Content is markup inserted before the element.
    Before,
    /// Content is markup inserted after the element.
    After,
    /// Content is markup inserted as the first child.
    Prepend,
    /// Content is markup inserted as the last child.
    Append,
    /// Content is the new value of the slot's `attribute`.
    SetAttribute,
    /// The slot's `attribute` is removed; content is ignored.
    RemoveAttribute,
    /// Content is a class name to add.
    AddClass,
    /// Content is a class name to remove.
    RemoveClass,
}

impl ActionKind {
    const ALL: [(&'static str, ActionKind); 11] = [
        ("setInnerContent", Self::SetInnerContent),
        ("replace", Self::Replace),
        ("remove", Self::Remove),
        ("before", Self::Before),
        ("after", Self::After),
        ("prepend", Self::Prepend),
        ("append", Self::Append),
        ("setAttribute", Self::SetAttribute),
        ("removeAttribute", Self::RemoveAttribute),
        ("addClass", Self::AddClass),
        ("removeClass", Self::RemoveClass),
    ];

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    fn needs_attribute(self) -> bool {
        matches!(self, Self::SetAttribute | Self::RemoveAttribute)
    }

    fn takes_class(self) -> bool {
        matches!(self, Self::AddClass | Self::RemoveClass)
    }
}

/// A compiled slot.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Stable id, for reports and explanations.
    pub id: String,
    /// Where on the page, validated by the rewriter's own selector parser.
    pub selector: String,
    /// What to do there.
    pub action: ActionKind,
    /// The attribute for `setAttribute` / `removeAttribute`.
    pub attribute: Option<String>,
    /// Content per segment id, in config order.
    pub content: Vec<(String, String)>,
    /// Content for visitors in no segment that has any; `None` leaves the page alone.
    pub default: Option<String>,
}

impl Slot {
    /// Reads and compiles one slot at `path`. `check_selector` is the rewriter's own parser
    /// (lol_html natively, the runtime's HTMLRewriter in the worker).
    pub fn compile(
        value: &Value,
        path: &str,
        check_selector: &dyn Fn(&str) -> Result<(), String>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Self> {
        let before = errors.len();
        let mut reader = ObjectReader::new(value, path, errors);
        let id = reader.required_str("id", errors);
        check_id(&id, &reader.path_of("id"), errors);
        let selector = reader.required_str("selector", errors);
        if !selector.is_empty() {
            if let Err(reason) = check_selector(&selector) {
                errors.push(ConfigError::new(
                    reader.path_of("selector"),
                    format!("invalid CSS selector {selector:?}: {reason}"),
                ));
            }
        }
        let action_name = reader.required_str("action", errors);
        let action = ActionKind::parse(&action_name);
        if action.is_none() && !action_name.is_empty() {
            let names: Vec<&str> = ActionKind::ALL.iter().map(|(n, _)| *n).collect();
            errors.push(ConfigError::new(
                reader.path_of("action"),
                format!(
                    "unknown action {action_name:?}; expected one of: {}",
                    names.join(", ")
                ),
            ));
        }
        let attribute = reader.optional_str("attribute", errors);
        if let Some(kind) = action {
            match (&attribute, kind.needs_attribute()) {
                (None, true) => errors.push(ConfigError::new(
                    reader.path_of("attribute"),
                    format!("is required for the {action_name:?} action"),
                )),
                (Some(name), true) if !is_attribute_name(name) => errors.push(ConfigError::new(
                    reader.path_of("attribute"),
                    format!("{name:?} is not a valid attribute name"),
                )),
                (Some(_), false) => errors.push(ConfigError::new(
                    reader.path_of("attribute"),
                    format!(
                        "only applies to setAttribute and removeAttribute, not {action_name:?}"
                    ),
                )),
                _ => {}
            }
        }
        let content_path = reader.path_of("content");
        let content = match reader.value("content") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(entries)) => entries
                .iter()
                .filter_map(|(segment, payload)| {
                    let path = format!("{content_path}.{segment}");
                    read_payload(payload, &path, action, errors).map(|p| (segment.clone(), p))
                })
                .collect(),
            Some(other) => {
                errors.push(ConfigError::new(
                    &content_path,
                    format!(
                        "expected an object of segment id to content, found {}",
                        describe_json(other)
                    ),
                ));
                Vec::new()
            }
        };
        let default_path = reader.path_of("default");
        let default = match reader.value("default") {
            None | Some(Value::Null) => None,
            Some(payload) => read_payload(payload, &default_path, action, errors),
        };
        reader.finish(errors);
        (errors.len() == before).then_some(())?;
        Some(Self {
            id,
            selector,
            action: action?,
            attribute,
            content,
            default,
        })
    }

    /// The edit this slot makes for a visitor with these memberships (highest priority
    /// first), or `None` to leave the page's own content.
    pub fn decide(&self, memberships: &[Membership]) -> Option<Edit> {
        let (payload, why) = memberships
            .iter()
            .find_map(|m| {
                self.content
                    .iter()
                    .find(|(segment, _)| *segment == m.segment)
                    .map(|(_, payload)| (payload, format!("segment {}", m.segment)))
            })
            .or_else(|| self.default.as_ref().map(|p| (p, "default".to_string())))?;
        Some(Edit {
            selector: self.selector.clone(),
            action: self.action_for(payload),
            reason: format!("slot {}: {why}", self.id),
        })
    }

    fn action_for(&self, payload: &str) -> Action {
        let html = payload.to_string();
        let attribute = self.attribute.clone().unwrap_or_default();
        match self.action {
            ActionKind::SetInnerContent => Action::SetInnerContent { html },
            ActionKind::Replace => Action::Replace { html },
            ActionKind::Remove => Action::Remove,
            ActionKind::Before => Action::Before { html },
            ActionKind::After => Action::After { html },
            ActionKind::Prepend => Action::Prepend { html },
            ActionKind::Append => Action::Append { html },
            ActionKind::SetAttribute => Action::SetAttribute {
                name: attribute,
                value: html,
            },
            ActionKind::RemoveAttribute => Action::RemoveAttribute { name: attribute },
            ActionKind::AddClass => Action::AddClass { class: html },
            ActionKind::RemoveClass => Action::RemoveClass { class: html },
        }
    }
}

fn read_payload(
    payload: &Value,
    path: &str,
    action: Option<ActionKind>,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let Value::String(text) = payload else {
        errors.push(ConfigError::new(
            path,
            format!("expected a string, found {}", describe_json(payload)),
        ));
        return None;
    };
    if action.is_some_and(ActionKind::takes_class)
        && (text.is_empty() || text.chars().any(|c| c.is_ascii_whitespace()))
    {
        errors.push(ConfigError::new(
            path,
            format!("{text:?} is not a single class name"),
        ));
        return None;
    }
    Some(text.clone())
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'>' | b'/' | b'=' | b'<'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn accept_any(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn member(id: &str, priority: i64) -> Membership {
        Membership {
            segment: id.into(),
            priority,
        }
    }

    fn slot(doc: Value) -> Slot {
        let mut errors = Vec::new();
        let slot = Slot::compile(&doc, "slots[0]", &accept_any, &mut errors);
        assert_eq!(errors, []);
        slot.expect("valid slot")
    }

    #[test]
    fn the_highest_priority_segment_with_content_wins_else_the_default() {
        let hero = slot(json!({
            "id": "hero", "selector": "#hero", "action": "setInnerContent",
            "content": {"vip": "<h1>VIP</h1>", "returning": "<h1>Back</h1>"},
            "default": "<h1>Hi</h1>"
        }));
        let vip_and_returning = [member("vip", 9), member("returning", 1)];
        let edit = hero.decide(&vip_and_returning).expect("edit");
        assert_eq!(
            edit.action,
            Action::SetInnerContent {
                html: "<h1>VIP</h1>".into()
            }
        );
        assert_eq!(edit.reason, "slot hero: segment vip");

        let edit = hero
            .decide(&[member("other", 5), member("returning", 1)])
            .expect("edit");
        assert_eq!(edit.reason, "slot hero: segment returning");

        let edit = hero.decide(&[]).expect("default");
        assert_eq!(edit.reason, "slot hero: default");
    }

    #[test]
    fn without_a_default_an_unmatched_slot_leaves_the_page_alone() {
        let hero = slot(json!({
            "id": "hero", "selector": "#hero", "action": "remove", "content": {"vip": ""}
        }));
        assert_eq!(hero.decide(&[member("returning", 1)]), None);
        assert_eq!(
            hero.decide(&[member("vip", 1)]).expect("edit").action,
            Action::Remove
        );
    }

    #[test]
    fn attribute_actions_carry_the_attribute_name() {
        let image = slot(json!({
            "id": "img", "selector": "img", "action": "setAttribute", "attribute": "src",
            "default": "/vip.svg"
        }));
        assert_eq!(
            image.decide(&[]).expect("edit").action,
            Action::SetAttribute {
                name: "src".into(),
                value: "/vip.svg".into()
            }
        );
    }

    #[test]
    fn mistakes_are_reported_with_paths() {
        let reject = |s: &str| -> Result<(), String> { Err(format!("bad {s}")) };
        let cases = [
            (
                json!({"id": "a", "selector": "x[", "action": "remove"}),
                "slots[0].selector: invalid CSS selector \"x[\": bad x[",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "explode"}),
                "slots[0].action: unknown action \"explode\"",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "setAttribute"}),
                "slots[0].attribute: is required for the \"setAttribute\" action",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "setAttribute", "attribute": "on click"}),
                "slots[0].attribute: \"on click\" is not a valid attribute name",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "remove", "attribute": "src"}),
                "slots[0].attribute: only applies to",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "addClass", "default": "two words"}),
                "slots[0].default: \"two words\" is not a single class name",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "append", "content": {"vip": 3}}),
                "slots[0].content.vip: expected a string, found 3",
            ),
            (
                json!({"id": "a", "selector": "x", "action": "append", "content": []}),
                "slots[0].content: expected an object of segment id to content",
            ),
        ];
        for (doc, expected) in cases {
            let mut errors = Vec::new();
            let check: &dyn Fn(&str) -> Result<(), String> = if expected.contains("selector") {
                &reject
            } else {
                &accept_any
            };
            assert!(
                Slot::compile(&doc, "slots[0]", check, &mut errors).is_none(),
                "{doc}"
            );
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(
                all.iter().any(|m| m.starts_with(expected)),
                "expected {expected:?} in {all:#?}"
            );
        }
    }
}
