//! The personalization audit: what the config holds against what happened in the last 30 days,
//! with a flag and a hint wherever the merchant should review or retire something.

use serde::Serialize;

use super::{ContentTotals, SegmentTotals};

/// Content shown to at least this many visitors without a single conversion is flagged.
pub const NO_CONVERSION_VISITORS: u64 = 100;

/// What the config says exists, for the audit to compare with what happened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditInputs {
    /// Segment ids in the config.
    pub segments: Vec<String>,
    /// Slot contents in the config: (slot, content key, end of its schedule in ms).
    pub contents: Vec<(String, String, Option<u64>)>,
    /// Now, in ms.
    pub now_ms: u64,
}

/// The personalization audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Per segment in the config, then retired ones still in the data.
    pub segments: Vec<AuditRow<SegmentTotals>>,
    /// Per slot content in the config, then retired ones still in the data.
    pub contents: Vec<AuditRow<ContentTotals>>,
}

/// One audited item and what to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow<T> {
    /// The totals (zeros for an item with no rows).
    #[serde(flatten)]
    pub totals: T,
    /// What to review (empty when all is well).
    pub flags: Vec<AuditFlag>,
}

/// Why an item is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FlagKind {
    /// A segment that matched no visitor in 30 days.
    NoVisitors,
    /// Content not served in 30 days.
    NeverServed,
    /// Content whose schedule has ended.
    Ended,
    /// Content seen by [`NO_CONVERSION_VISITORS`] or more visitors, none of whom ordered.
    NoConversions,
    /// Rows for a segment or content no longer in the config.
    Retired,
}

/// A flag: what was found and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFlag {
    /// The kind, for programs.
    pub kind: FlagKind,
    /// What was found, for people.
    pub message: String,
    /// What to do about it.
    pub hint: &'static str,
}

fn flag(kind: FlagKind, message: impl Into<String>, hint: &'static str) -> AuditFlag {
    AuditFlag {
        kind,
        message: message.into(),
        hint,
    }
}

fn retired() -> AuditFlag {
    flag(
        FlagKind::Retired,
        "No longer in the config.",
        "Nothing to do unless it should come back; its rows leave the 30-day window.",
    )
}

/// Builds the audit from the D1 totals and the config's inventory.
pub fn audit_report(
    segments: &[SegmentTotals],
    contents: &[ContentTotals],
    known: &AuditInputs,
) -> AuditReport {
    let mut segment_rows: Vec<AuditRow<SegmentTotals>> = known
        .segments
        .iter()
        .map(|id| {
            let totals = segments
                .iter()
                .find(|s| &s.segment == id)
                .cloned()
                .unwrap_or_else(|| SegmentTotals {
                    segment: id.clone(),
                    visitors_7d: 0,
                    visitors_30d: 0,
                });
            let mut flags = Vec::new();
            if totals.visitors_30d == 0 {
                flags.push(flag(
                    FlagKind::NoVisitors,
                    "No visitor matched it in 30 days.",
                    "Review its conditions, or retire it.",
                ));
            }
            AuditRow { totals, flags }
        })
        .collect();
    segment_rows.extend(
        segments
            .iter()
            .filter(|s| !known.segments.contains(&s.segment))
            .map(|s| AuditRow {
                totals: s.clone(),
                flags: vec![retired()],
            }),
    );
    let in_config = |c: &ContentTotals| {
        known
            .contents
            .iter()
            .any(|(slot, content, _)| *slot == c.slot && *content == c.content)
    };
    let mut content_rows: Vec<AuditRow<ContentTotals>> = known
        .contents
        .iter()
        .map(|(slot, content, ends_at)| {
            let totals = contents
                .iter()
                .find(|c| &c.slot == slot && &c.content == content)
                .cloned()
                .unwrap_or_else(|| ContentTotals {
                    slot: slot.clone(),
                    content: content.clone(),
                    served: 0,
                    visitors: 0,
                    conversions: 0,
                    revenue: 0.0,
                });
            // NOTE: one flag per content, the most pressing: ended content is also never
            // served, and saying so twice would only add noise.
            let mut flags = Vec::new();
            if ends_at.is_some_and(|end| end <= known.now_ms) {
                flags.push(flag(
                    FlagKind::Ended,
                    "Past its end date: it will not show again.",
                    "Retire it, or give it a new schedule.",
                ));
            } else if totals.served == 0 {
                flags.push(flag(
                    FlagKind::NeverServed,
                    "Not served in 30 days.",
                    "Check the slot's selector and the segment it targets, or retire it.",
                ));
            } else if totals.visitors >= NO_CONVERSION_VISITORS && totals.conversions == 0 {
                flags.push(flag(
                    FlagKind::NoConversions,
                    format!("No conversions after {} visitors saw it.", totals.visitors),
                    "Review the message and offer, or retire it.",
                ));
            }
            AuditRow { totals, flags }
        })
        .collect();
    content_rows.extend(contents.iter().filter(|c| !in_config(c)).map(|c| AuditRow {
        totals: c.clone(),
        flags: vec![retired()],
    }));
    AuditReport {
        segments: segment_rows,
        contents: content_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds<T>(rows: &[AuditRow<T>]) -> Vec<Vec<FlagKind>> {
        rows.iter()
            .map(|r| r.flags.iter().map(|f| f.kind).collect())
            .collect()
    }

    #[test]
    fn the_audit_flags_what_to_review() {
        let known = AuditInputs {
            segments: vec!["vip".into(), "ghost".into()],
            contents: vec![
                ("hero".into(), "vip".into(), None),
                ("hero".into(), "bf".into(), Some(10)),
                ("offer".into(), "vip".into(), None),
                ("offer".into(), "default".into(), Some(30)),
            ],
            now_ms: 20,
        };
        let segments = [
            SegmentTotals {
                segment: "vip".into(),
                visitors_7d: 3,
                visitors_30d: 9,
            },
            SegmentTotals {
                segment: "old".into(),
                visitors_7d: 0,
                visitors_30d: 2,
            },
        ];
        let content = |slot: &str, content: &str, visitors: u64, conversions: u64| ContentTotals {
            slot: slot.into(),
            content: content.into(),
            served: visitors * 2,
            visitors,
            conversions,
            revenue: conversions as f64 * 10.0,
        };
        let contents = [
            content("hero", "vip", 150, 0),
            content("hero", "bf", 40, 1),
            content("offer", "default", 99, 0),
            content("hero", "summer", 20, 2),
        ];
        let audit = audit_report(&segments, &contents, &known);
        use FlagKind::*;
        assert_eq!(
            kinds(&audit.segments),
            vec![vec![], vec![NoVisitors], vec![Retired]]
        );
        assert_eq!(audit.segments[1].totals.segment, "ghost");
        assert_eq!(
            kinds(&audit.contents),
            vec![
                vec![NoConversions],
                vec![Ended],
                vec![NeverServed],
                vec![],
                vec![Retired]
            ]
        );
        assert_eq!(
            audit.contents[0].flags[0].message,
            "No conversions after 150 visitors saw it."
        );
        let json = serde_json::to_value(&audit).expect("json");
        assert_eq!(json["segments"][0]["visitors30d"], 9);
        assert_eq!(json["contents"][1]["flags"][0]["kind"], "ended");
        assert!(json["contents"][1]["flags"][0]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("etire")));
    }
}
