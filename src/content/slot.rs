//! A slot: a CSS selector on the merchant's theme, an action, and the content each segment
//! (or everyone, by default) gets there.

use serde_json::Value;

use super::recommend::Recommendations;
use super::schedule::{Schedule, StoreOffset};
use super::template::{Template, TemplateMode};
use crate::config::read::ObjectReader;
use crate::config::{describe_json, ConfigError};
use crate::rewrite::{Action, Edit};
use crate::segment::{check_id, Membership};

/// What compiling a slot needs besides its JSON.
pub struct SlotCompiler<'a> {
    /// The rewriter's own selector parser (lol_html natively, the runtime's HTMLRewriter in
    /// the worker).
    pub check_selector: &'a dyn Fn(&str) -> Result<(), String>,
    /// The store's timezone, for schedules in local time.
    pub store_offset: StoreOffset,
}

/// One piece of content: a template (or a class name), when it is live, and the products it
/// shows.
#[derive(Debug, Clone)]
pub struct Content {
    /// The payload of the slot's action, rendered per visitor.
    pub template: Template,
    /// When this content is live (always, by default).
    pub schedule: Schedule,
    /// Products its template sees as `recommendations` (else the slot's own setting).
    pub recommendations: Option<Recommendations>,
}

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
    pub content: Vec<(String, Content)>,
    /// Content for visitors in no segment that has any; `None` leaves the page alone.
    pub default: Option<Content>,
    /// When the slot is live at all (always, by default).
    pub schedule: Schedule,
    /// Products to recommend for content without its own setting: templates see them as
    /// `recommendations`; when there are none (no catalog, nothing passes the filters) the
    /// slot leaves the page alone.
    pub recommendations: Option<Recommendations>,
}

/// Content an experiment variation puts in a slot in place of the segments' content.
#[derive(Debug, Clone)]
pub struct Override<'a> {
    /// The variation's content for the slot.
    pub content: &'a Content,
    /// The audit's key for it: `<experiment>:<variation>`.
    pub key: String,
    /// The reason shown in explanations.
    pub why: String,
}

/// Finds the recommended products (as template values) for a recommendation setting.
pub type Recommender<'a> = dyn Fn(&Recommendations) -> Vec<Value> + 'a;

impl Slot {
    /// Reads and compiles one slot at `path`, templates and schedules included.
    pub fn compile(
        value: &Value,
        path: &str,
        compiler: &SlotCompiler<'_>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Self> {
        let check_selector = compiler.check_selector;
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
        let payload_kind = action.map(|kind| PayloadKind::of(kind, attribute.as_deref()));
        let read = |value: &Value, path: &str, errors: &mut Vec<ConfigError>| {
            payload_kind
                .as_ref()
                .and_then(|kind| read_content(value, path, kind, compiler.store_offset, errors))
        };
        let content_path = reader.path_of("content");
        let content = match reader.value("content") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(entries)) => entries
                .iter()
                .filter_map(|(segment, payload)| {
                    let path = format!("{content_path}.{segment}");
                    read(payload, &path, errors).map(|c| (segment.clone(), c))
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
            Some(payload) => read(payload, &default_path, errors),
        };
        let schedule_path = reader.path_of("schedule");
        let schedule = reader
            .value("schedule")
            .map(|s| Schedule::compile(s, &schedule_path, compiler.store_offset, errors))
            .unwrap_or_default();
        let recommendations_path = reader.path_of("recommendations");
        let recommendations = reader
            .value("recommendations")
            .and_then(|r| Recommendations::compile(r, &recommendations_path, errors));
        reader.finish(errors);
        (errors.len() == before).then_some(())?;
        Some(Self {
            id,
            selector,
            action: action?,
            attribute,
            content,
            default,
            schedule,
            recommendations,
        })
    }

    /// The edit this slot makes at `now_ms` for a visitor with these memberships (highest
    /// priority first), its content rendered against `context` (the visitor's attributes, to
    /// which the content's recommended products are added), or `None` to leave the page's own
    /// content.
    ///
    /// `assigned` is content an experiment variant puts here: it wins over the segments'
    /// content while it is live, so a test compares exactly one change.
    pub fn decide(
        &self,
        memberships: &[Membership],
        assigned: Option<&Override<'_>>,
        context: &mut Value,
        now_ms: u64,
        recommend: &Recommender<'_>,
    ) -> Option<Edit> {
        self.decide_keyed(memberships, assigned, context, now_ms, recommend)
            .map(|(edit, _)| edit)
    }

    /// Like [`Slot::decide`], with the audit's key for the content chosen: a segment id,
    /// `default`, or the override's key.
    pub fn decide_keyed(
        &self,
        memberships: &[Membership],
        assigned: Option<&Override<'_>>,
        context: &mut Value,
        now_ms: u64,
        recommend: &Recommender<'_>,
    ) -> Option<(Edit, String)> {
        if !self.schedule.is_live(now_ms) {
            return None;
        }
        let live = |content: &&Content| content.schedule.is_live(now_ms);
        let (content, key, why) = assigned
            .filter(|o| live(&o.content))
            .map(|o| (o.content, o.key.clone(), o.why.clone()))
            .or_else(|| {
                memberships.iter().find_map(|m| {
                    self.content
                        .iter()
                        .find(|(segment, content)| *segment == m.segment && live(&content))
                        .map(|(_, content)| {
                            (content, m.segment.clone(), format!("segment {}", m.segment))
                        })
                })
            })
            .or_else(|| {
                self.default
                    .as_ref()
                    .filter(live)
                    .map(|c| (c, "default".to_string(), "default".to_string()))
            })?;
        if let Some(spec) = content
            .recommendations
            .as_ref()
            .or(self.recommendations.as_ref())
        {
            let products = recommend(spec);
            if products.is_empty() {
                return None;
            }
            if let Value::Object(fields) = context {
                fields.insert("recommendations".into(), Value::Array(products));
            }
        }
        let edit = Edit {
            selector: self.selector.clone(),
            action: self.action_for(content.template.render(context)),
            reason: format!("slot {}: {why}", self.id),
        };
        Some((edit, key))
    }

    /// Compiles content written for this slot elsewhere (an experiment variant's override at
    /// `path`), exactly as the slot's own content is compiled.
    pub fn compile_content(
        &self,
        value: &Value,
        path: &str,
        store_offset: StoreOffset,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Content> {
        let kind = PayloadKind::of(self.action, self.attribute.as_deref());
        read_content(value, path, &kind, store_offset, errors)
    }

    fn action_for(&self, html: String) -> Action {
        let attribute = || self.attribute.clone().unwrap_or_default();
        match self.action {
            ActionKind::SetInnerContent => Action::SetInnerContent { html },
            ActionKind::Replace => Action::Replace { html },
            ActionKind::Remove => Action::Remove,
            ActionKind::Before => Action::Before { html },
            ActionKind::After => Action::After { html },
            ActionKind::Prepend => Action::Prepend { html },
            ActionKind::Append => Action::Append { html },
            ActionKind::SetAttribute => Action::SetAttribute {
                name: attribute(),
                value: html,
            },
            ActionKind::RemoveAttribute => Action::RemoveAttribute { name: attribute() },
            ActionKind::AddClass => Action::AddClass { class: html },
            ActionKind::RemoveClass => Action::RemoveClass { class: html },
        }
    }
}

/// How a slot's payloads are compiled, from its action.
enum PayloadKind {
    /// Markup: an HTML template.
    Html,
    /// An attribute's value: an attribute-value template.
    Attribute(String),
    /// A class name: literal text.
    Class,
    /// Ignored (`remove`, `removeAttribute`).
    Ignored,
}

impl PayloadKind {
    fn of(kind: ActionKind, attribute: Option<&str>) -> Self {
        match kind {
            ActionKind::SetAttribute => Self::Attribute(attribute.unwrap_or_default().to_string()),
            ActionKind::AddClass | ActionKind::RemoveClass => Self::Class,
            ActionKind::Remove | ActionKind::RemoveAttribute => Self::Ignored,
            _ => Self::Html,
        }
    }
}

/// A content entry: a string, or `{"template": "...", "schedule": {...}}`.
fn read_content(
    value: &Value,
    path: &str,
    kind: &PayloadKind,
    offset: StoreOffset,
    errors: &mut Vec<ConfigError>,
) -> Option<Content> {
    let (text, text_path, schedule, recommendations) = match value {
        Value::String(text) => (text.clone(), path.to_string(), Schedule::default(), None),
        Value::Object(_) => {
            let mut reader = ObjectReader::new(value, path, errors);
            let text = reader.required_str("template", errors);
            let text_path = reader.path_of("template");
            let schedule_path = reader.path_of("schedule");
            let schedule = reader
                .value("schedule")
                .map(|s| Schedule::compile(s, &schedule_path, offset, errors))
                .unwrap_or_default();
            let recommendations_path = reader.path_of("recommendations");
            let recommendations = reader
                .value("recommendations")
                .and_then(|r| Recommendations::compile(r, &recommendations_path, errors));
            reader.finish(errors);
            (text, text_path, schedule, recommendations)
        }
        other => {
            errors.push(ConfigError::new(
                path,
                format!(
                    "expected a string or {{\"template\": ..., \"schedule\": ..., \"recommendations\": ...}}, found {}",
                    describe_json(other)
                ),
            ));
            return None;
        }
    };
    let mode = match kind {
        PayloadKind::Html => TemplateMode::Html,
        PayloadKind::Attribute(attribute) => TemplateMode::AttributeValue {
            attribute: attribute.clone(),
        },
        PayloadKind::Ignored => {
            // NOTE: `remove` and `removeAttribute` take no payload; whatever was written is
            // not compiled, so it can neither fail nor be silently dropped.
            return Template::compile("", TemplateMode::Html, &text_path)
                .ok()
                .map(|template| Content {
                    template,
                    schedule,
                    recommendations,
                });
        }
        PayloadKind::Class => {
            let forbidden = |c: char| c.is_ascii_whitespace() || "{}<>\"'&".contains(c);
            if text.is_empty() || text.chars().any(forbidden) {
                errors.push(ConfigError::new(
                    text_path,
                    format!("{text:?} is not a single class name"),
                ));
                return None;
            }
            // NOTE: a validated class name is plain text: as a template it renders as itself.
            TemplateMode::Html
        }
    };
    match Template::compile(&text, mode, &text_path) {
        Ok(template) => Some(Content {
            template,
            schedule,
            recommendations,
        }),
        Err(mut found) => {
            errors.append(&mut found);
            None
        }
    }
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

    fn no_products(_: &Recommendations) -> Vec<Value> {
        Vec::new()
    }

    fn member(id: &str, priority: i64) -> Membership {
        Membership {
            segment: id.into(),
            priority,
        }
    }

    fn compile(
        doc: &Value,
        check: &dyn Fn(&str) -> Result<(), String>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Slot> {
        let compiler = SlotCompiler {
            check_selector: check,
            store_offset: StoreOffset::default(),
        };
        Slot::compile(doc, "slots[0]", &compiler, errors)
    }

    fn slot(doc: Value) -> Slot {
        let mut errors = Vec::new();
        let slot = compile(&doc, &accept_any, &mut errors);
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
        let edit = hero
            .decide(&vip_and_returning, None, &mut json!({}), 0, &no_products)
            .expect("edit");
        assert_eq!(
            edit.action,
            Action::SetInnerContent {
                html: "<h1>VIP</h1>".into()
            }
        );
        assert_eq!(edit.reason, "slot hero: segment vip");

        let edit = hero
            .decide(
                &[member("other", 5), member("returning", 1)],
                None,
                &mut json!({}),
                0,
                &no_products,
            )
            .expect("edit");
        assert_eq!(edit.reason, "slot hero: segment returning");

        let edit = hero
            .decide(&[], None, &mut json!({}), 0, &no_products)
            .expect("default");
        assert_eq!(edit.reason, "slot hero: default");
    }

    #[test]
    fn without_a_default_an_unmatched_slot_leaves_the_page_alone() {
        let hero = slot(json!({
            "id": "hero", "selector": "#hero", "action": "remove", "content": {"vip": ""}
        }));
        assert_eq!(
            hero.decide(
                &[member("returning", 1)],
                None,
                &mut json!({}),
                0,
                &no_products
            ),
            None
        );
        assert_eq!(
            hero.decide(&[member("vip", 1)], None, &mut json!({}), 0, &no_products)
                .expect("edit")
                .action,
            Action::Remove
        );
    }

    #[test]
    fn ignored_payloads_are_never_compiled_or_dropped() {
        let remove = slot(json!({
            "id": "gone", "selector": "#x", "action": "remove", "default": "<div {% endraw %}"
        }));
        assert_eq!(
            remove
                .decide(&[], None, &mut json!({}), 0, &no_products)
                .expect("edit")
                .action,
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
            image
                .decide(&[], None, &mut json!({}), 0, &no_products)
                .expect("edit")
                .action,
            Action::SetAttribute {
                name: "src".into(),
                value: "/vip.svg".into()
            }
        );
    }

    #[test]
    fn content_is_rendered_per_visitor_and_escaped() {
        let greeting = slot(json!({
            "id": "greeting", "selector": "h1", "action": "setInnerContent",
            "default": "Welcome back, {{ customer.firstName | default: \"friend\" }}!"
        }));
        let render = |mut context: Value| match greeting
            .decide(&[], None, &mut context, 0, &no_products)
            .expect("edit")
            .action
        {
            Action::SetInnerContent { html } => html,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            render(json!({"customer": {"firstName": "Ada"}})),
            "Welcome back, Ada!"
        );
        assert_eq!(render(json!({})), "Welcome back, friend!");
        assert_eq!(
            render(json!({"customer": {"firstName": "<script>alert(1)</script>"}})),
            "Welcome back, &lt;script&gt;alert(1)&lt;/script&gt;!"
        );
    }

    #[test]
    fn attribute_templates_are_plain_text_with_safe_urls() {
        let link = slot(json!({
            "id": "cta", "selector": "a", "action": "setAttribute", "attribute": "href",
            "default": "{{ profile.link }}"
        }));
        let href = |mut context: Value| match link
            .decide(&[], None, &mut context, 0, &no_products)
            .expect("edit")
            .action
        {
            Action::SetAttribute { value, .. } => value,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            href(json!({"profile": {"link": "/cart?a=1&b=2"}})),
            "/cart?a=1&b=2"
        );
        assert_eq!(
            href(json!({"profile": {"link": "javascript:alert(1)"}})),
            "#"
        );
    }

    #[test]
    fn each_content_entry_can_recommend_its_own_way_and_none_leaves_the_page_alone() {
        let recs = slot(json!({
            "id": "recs", "selector": "#recs", "action": "setInnerContent",
            "recommendations": {"strategy": "bestSellers"},
            "content": {"vip": {"template": "{% for p in recommendations %}[{{ p }}]{% endfor %}",
                                "recommendations": {"strategy": "newArrivals", "maxCount": 2}}},
            "default": "{% for p in recommendations %}({{ p }}){% endfor %}"
        }));
        let by_strategy = |spec: &Recommendations| -> Vec<Value> {
            vec![json!(format!("{:?}", spec.strategy)); spec.max_count]
        };
        let html = |edit: Option<Edit>| match edit.expect("edit").action {
            Action::SetInnerContent { html } => html,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            html(recs.decide(&[member("vip", 1)], None, &mut json!({}), 0, &by_strategy)),
            "[NewArrivals][NewArrivals]"
        );
        assert_eq!(
            html(recs.decide(&[], None, &mut json!({}), 0, &by_strategy)),
            "(BestSellers)".repeat(4)
        );
        assert_eq!(
            recs.decide(&[], None, &mut json!({}), 0, &no_products),
            None,
            "no products: origin content stays"
        );
    }

    #[test]
    fn scheduled_content_and_slots_switch_themselves_on_and_off() {
        let campaign = slot(json!({
            "id": "banner", "selector": "h1", "action": "setInnerContent",
            "schedule": {"end": "2026-12-01T00:00:00Z"},
            "content": {"vip": {"template": "Black Friday", "schedule": {"start": "2026-11-27T00:00:00Z"}}},
            "default": "Hello"
        }));
        let vip = [member("vip", 1)];
        let friday = 1_795_737_600_000; // 2026-11-27T00:00:00Z
        let before = campaign
            .decide(&vip, None, &mut json!({}), friday - 1, &no_products)
            .expect("edit");
        assert_eq!(
            before.reason, "slot banner: default",
            "vip content not live yet"
        );
        let during = campaign
            .decide(&vip, None, &mut json!({}), friday, &no_products)
            .expect("edit");
        assert_eq!(during.reason, "slot banner: segment vip");
        let after = campaign.decide(&vip, None, &mut json!({}), 1_796_083_200_000, &no_products);
        assert_eq!(after, None, "the whole slot ended on 2026-12-01");
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
                "slots[0].content.vip: expected a string or {\"template\": ..., \"schedule\": ..., \"recommendations\": ...}, found 3",
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
            assert!(compile(&doc, check, &mut errors).is_none(), "{doc}");
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(
                all.iter().any(|m| m.starts_with(expected)),
                "expected {expected:?} in {all:#?}"
            );
        }
    }
}
