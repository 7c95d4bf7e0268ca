//! Segments: named groups of visitors defined by a condition on their attributes. A visitor
//! can belong to several; content picks the highest-priority one that has something to show.

use serde::Serialize;
use serde_json::Value;

use crate::condition::{Condition, SavedGroups};
use crate::config::read::ObjectReader;
use crate::config::ConfigError;
use crate::content::{Schedule, StoreOffset};
use crate::order::stable_order;

/// A compiled segment definition.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Stable id, referenced by slot content.
    pub id: String,
    /// Human name for reports.
    pub name: String,
    /// What the merchant meant by it.
    pub description: String,
    /// Higher wins when several segments have content for the same slot.
    pub priority: i64,
    /// Who belongs.
    pub when: Condition,
    /// When the segment is in force (always, by default).
    pub schedule: Schedule,
}

/// One segment the visitor belongs to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The segment's id.
    pub segment: String,
    /// Its priority (copied so plans can be explained without the config).
    pub priority: i64,
}

impl Segment {
    /// Reads and compiles one segment at `path`, collecting every error.
    pub fn compile(
        value: &Value,
        path: &str,
        offset: StoreOffset,
        groups: &SavedGroups,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Self> {
        let before = errors.len();
        let mut reader = ObjectReader::new(value, path, errors);
        let id = reader.required_str("id", errors);
        check_id(&id, &reader.path_of("id"), errors);
        let name = reader
            .optional_str("name", errors)
            .unwrap_or_else(|| id.clone());
        let description = reader
            .optional_str("description", errors)
            .unwrap_or_default();
        let priority = reader.optional_i64("priority", errors).unwrap_or(0);
        let when_path = reader.path_of("when");
        let when = match reader.value("when") {
            Some(condition) => {
                match Condition::compile_with_groups(condition, &when_path, groups) {
                    Ok(c) => Some(c),
                    Err(mut found) => {
                        errors.append(&mut found);
                        None
                    }
                }
            }
            None => {
                errors.push(ConfigError::new(
                    when_path,
                    "is required (a condition object)",
                ));
                None
            }
        };
        let schedule_path = reader.path_of("schedule");
        let schedule = reader
            .value("schedule")
            .map(|s| Schedule::compile(s, &schedule_path, offset, errors))
            .unwrap_or_default();
        reader.finish(errors);
        (errors.len() == before).then_some(())?;
        Some(Self {
            id,
            name,
            description,
            priority,
            when: when?,
            schedule,
        })
    }
}

/// Ids are referenced from content and cookies: keep them short and plain.
pub fn check_id(id: &str, path: &str, errors: &mut Vec<ConfigError>) {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain {
        errors.push(ConfigError::new(
            path,
            format!("{id:?} is not a valid id: use 1 to 64 letters, digits, '-' or '_'"),
        ));
    }
}

/// The segments in force at `now_ms` whose condition the attributes satisfy, highest priority
/// first (config order breaks ties).
pub fn memberships(segments: &[Segment], attributes: &Value, now_ms: u64) -> Vec<Membership> {
    ranked(
        segments
            .iter()
            .filter(|s| s.schedule.is_live(now_ms) && s.when.matches(attributes)),
    )
}

/// The segments a preview link forces, whatever the visitor's attributes or the schedules say,
/// in the order [`memberships`] would give them.
pub fn forced_memberships(segments: &[Segment], ids: &[String]) -> Vec<Membership> {
    ranked(segments.iter().filter(|s| ids.contains(&s.id)))
}

fn ranked<'a>(segments: impl Iterator<Item = &'a Segment>) -> Vec<Membership> {
    let segments: Vec<&Segment> = segments.collect();
    // NOTE: a stable sort keeps config order among equal priorities.
    stable_order(segments.len(), &mut |a, b| {
        segments[b].priority.cmp(&segments[a].priority)
    })
    .into_iter()
    .map(|i| Membership {
        segment: segments[i].id.clone(),
        priority: segments[i].priority,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segment(doc: Value) -> Segment {
        let mut errors = Vec::new();
        Segment::compile(
            &doc,
            "segments[0]",
            StoreOffset::default(),
            &SavedGroups::new(),
            &mut errors,
        )
        .expect("valid segment")
    }

    #[test]
    fn memberships_are_ordered_by_priority_then_config_order() {
        let segments = [
            segment(json!({"id": "a", "priority": 1, "when": {"x": 1}})),
            segment(json!({"id": "b", "priority": 5, "when": {"x": 1}})),
            segment(json!({"id": "c", "priority": 1, "when": {"x": 1}})),
            segment(json!({"id": "d", "priority": 9, "when": {"x": 2}})),
        ];
        let ids: Vec<String> = memberships(&segments, &json!({"x": 1}), 0)
            .into_iter()
            .map(|m| m.segment)
            .collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn a_scheduled_segment_is_only_in_force_within_its_window() {
        let holiday = segment(json!({"id": "holiday", "when": {},
            "schedule": {"start": "2026-12-20T00:00:00Z", "end": "2026-12-27T00:00:00Z"}}));
        let start = 1_797_724_800_000; // 2026-12-20T00:00:00Z
        let segments = [holiday];
        assert!(memberships(&segments, &json!({}), start - 1).is_empty());
        assert_eq!(memberships(&segments, &json!({}), start).len(), 1);
        assert!(memberships(&segments, &json!({}), start + 7 * 86_400_000).is_empty());
    }

    #[test]
    fn invalid_segments_report_every_problem() {
        let mut errors = Vec::new();
        let doc = json!({"id": "bad id!", "priority": "x", "colour": 1});
        assert!(Segment::compile(
            &doc,
            "segments[1]",
            StoreOffset::default(),
            &SavedGroups::new(),
            &mut errors
        )
        .is_none());
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("segments[1].id: \"bad id!\" is not a valid id"));
        assert_eq!(
            messages[1],
            "segments[1].priority: expected a whole number, found \"x\""
        );
        assert_eq!(
            messages[2],
            "segments[1].when: is required (a condition object)"
        );
        assert!(messages[3].starts_with("segments[1].colour: unknown field"));
    }
}
