//! Results for merchants: experiment reports and the personalization audit, computed from the
//! aggregates the event consumer keeps in D1. Pure: the edge runs the queries and hands the rows
//! here.

use serde::{Deserialize, Serialize};

/// One experiment arm's totals, as the D1 queries return them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmTotals {
    /// Variation index (0 is the control).
    pub variant: u32,
    /// The variation's name from the config (or its index).
    pub name: String,
    /// Unique visitors exposed to this arm.
    pub visitors: u64,
    /// Exposed visitors with at least one attributed order.
    pub conversions: u64,
    /// Attributed revenue, summed over visitors.
    pub revenue: f64,
    /// Sum over visitors of the square of each visitor's attributed revenue (for its variance).
    pub revenue_squares: f64,
}

/// One segment's reach, for the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentTotals {
    /// Segment id.
    pub segment: String,
    /// Distinct visitors matched in the last 7 days.
    pub visitors_7d: u64,
    /// Distinct visitors matched in the last 30 days.
    pub visitors_30d: u64,
}

/// One piece of slot content's use, for the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentTotals {
    /// Slot id.
    pub slot: String,
    /// Which content of the slot: a segment id, `default`, or `<experiment>:<variant>`.
    pub content: String,
    /// Page views it was served on (last 30 days).
    pub served: u64,
    /// Distinct visitors it was served to (last 30 days).
    pub visitors: u64,
    /// Of those, visitors who ordered after first seeing it.
    pub conversions: u64,
    /// Revenue of those orders.
    pub revenue: f64,
}

mod html;

pub use html::{audit_html, experiment_html};

use crate::stats::{lift, mean_of, proportion, sample_ratio_p_value, Lift};

/// Below this many visitors per arm, or conversions in the control, a report says "not
/// enough data yet" rather than guess.
pub const MIN_VISITORS: u64 = 100;
/// See [`MIN_VISITORS`].
pub const MIN_CONVERSIONS: u64 = 10;
/// GrowthBook's sample-ratio-mismatch threshold.
pub const SRM_THRESHOLD: f64 = 0.001;

/// The methods a report uses, stated in the report itself.
pub const METHOD: &str = "Relative lift with a 95% interval by the delta method on the ratio \
of means; chance to beat control from the normal approximation of the lift's posterior (flat \
prior), as GrowthBook's Bayesian engine reports it, because it answers the merchant's question \
(how likely is B better?) directly; a two-sided Welch z-test p-value alongside for those who \
prefer it; sample-ratio mismatch by a chi-square goodness-of-fit test, flagged below p = 0.001.";

/// An experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentReport {
    /// Experiment key.
    pub key: String,
    /// Human name.
    pub name: String,
    /// Per arm, control first.
    pub arms: Vec<ArmReport>,
    /// The sample-ratio check.
    pub sample_ratio: SampleRatio,
    /// How the numbers are computed.
    pub method: &'static str,
}

/// One arm's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmReport {
    /// Variation index.
    pub variant: u32,
    /// Variation name.
    pub name: String,
    /// Exposed visitors.
    pub visitors: u64,
    /// Visitors who ordered after exposure.
    pub conversions: u64,
    /// Conversions / visitors (`null` without visitors).
    pub conversion_rate: Option<f64>,
    /// Attributed revenue.
    pub revenue: f64,
    /// Revenue / visitors.
    pub revenue_per_visitor: Option<f64>,
    /// Against the control (absent for the control).
    pub conversion_lift: Option<LiftReport>,
    /// Against the control (absent for the control).
    pub revenue_lift: Option<LiftReport>,
    /// A plain-language reading (absent for the control).
    pub verdict: Option<String>,
}

/// A lift over the control, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiftReport {
    /// Relative lift (0.1 = +10%).
    pub relative: f64,
    /// 95% interval of the relative lift.
    pub interval: [f64; 2],
    /// Chance to beat the control.
    pub chance_to_beat_control: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// The sample-ratio-mismatch check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatio {
    /// Expected share per arm.
    pub expected: Vec<f64>,
    /// Chi-square p-value (`null` without visitors).
    pub p_value: Option<f64>,
    /// True when p < 0.001: assignment or counting is broken; do not trust the results.
    pub mismatch: bool,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn lift_report(l: Lift) -> Option<LiftReport> {
    Some(LiftReport {
        relative: finite(l.relative)?,
        interval: [finite(l.interval.0)?, finite(l.interval.1)?],
        chance_to_beat_control: finite(l.chance_to_beat)?,
        p_value: finite(l.p_value)?,
    })
}

/// Builds an experiment's report from its totals (control first) and its weights.
pub fn experiment_report(
    key: &str,
    name: &str,
    arms: &[ArmTotals],
    weights: &[f64],
) -> ExperimentReport {
    let rate = |a: &ArmTotals| proportion(a.conversions, a.visitors);
    let revenue = |a: &ArmTotals| mean_of(a.revenue, a.revenue_squares, a.visitors);
    let control = arms.first();
    let reports = arms
        .iter()
        .enumerate()
        .map(|(i, arm)| {
            let compare = |estimate: &dyn Fn(&ArmTotals) -> Option<crate::stats::Estimate>| {
                let control = control.filter(|_| i > 0)?;
                lift(estimate(control)?, estimate(arm)?).and_then(lift_report)
            };
            let conversion_lift = compare(&rate);
            let revenue_lift = compare(&revenue);
            let verdict = (i > 0).then(|| verdict(control, arm, conversion_lift, revenue_lift));
            ArmReport {
                variant: arm.variant,
                name: arm.name.clone(),
                visitors: arm.visitors,
                conversions: arm.conversions,
                conversion_rate: rate(arm).map(|e| e.mean),
                revenue: arm.revenue,
                revenue_per_visitor: (arm.visitors > 0).then(|| arm.revenue / arm.visitors as f64),
                conversion_lift,
                revenue_lift,
                verdict,
            }
        })
        .collect();
    let expected = if weights.len() == arms.len() {
        weights.to_vec()
    } else {
        vec![1.0 / arms.len().max(1) as f64; arms.len()]
    };
    let observed: Vec<u64> = arms.iter().map(|a| a.visitors).collect();
    let p_value = sample_ratio_p_value(&observed, &expected);
    ExperimentReport {
        key: key.to_string(),
        name: name.to_string(),
        arms: reports,
        sample_ratio: SampleRatio {
            expected,
            mismatch: p_value.is_some_and(|p| p < SRM_THRESHOLD),
            p_value,
        },
        method: METHOD,
    }
}

fn verdict(
    control: Option<&ArmTotals>,
    arm: &ArmTotals,
    conversion: Option<LiftReport>,
    revenue: Option<LiftReport>,
) -> String {
    let enough = control.is_some_and(|c| {
        c.visitors >= MIN_VISITORS
            && arm.visitors >= MIN_VISITORS
            && c.conversions + arm.conversions >= MIN_CONVERSIONS
    });
    if !enough {
        return format!(
            "Not enough data yet (each arm needs {MIN_VISITORS} visitors and the test {MIN_CONVERSIONS} conversions)."
        );
    }
    let Some(lift) = revenue.or(conversion) else {
        return "No conversions in the control yet: no lift to compute.".to_string();
    };
    let metric = if revenue.is_some() {
        "revenue per visitor"
    } else {
        "conversion rate"
    };
    let chance = lift.chance_to_beat_control * 100.0;
    if chance >= 95.0 {
        format!("Likely better on {metric} ({chance:.0}% chance to beat control).")
    } else if chance <= 5.0 {
        format!("Likely worse on {metric} ({chance:.0}% chance to beat control).")
    } else {
        format!("Inconclusive on {metric} so far ({chance:.0}% chance to beat control).")
    }
}

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
    /// Per segment in the config (and retired ones still in the data).
    pub segments: Vec<AuditRow<SegmentTotals>>,
    /// Per slot content.
    pub contents: Vec<AuditRow<ContentTotals>>,
}

/// One audited item with what to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow<T> {
    /// The totals.
    #[serde(flatten)]
    pub totals: T,
    /// Flags for the merchant (empty when all is well).
    pub flags: Vec<String>,
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
                .unwrap_or(SegmentTotals {
                    segment: id.clone(),
                    visitors_7d: 0,
                    visitors_30d: 0,
                });
            let flags = if totals.visitors_30d == 0 {
                vec!["No visitors matched in 30 days: check its condition, or retire it.".into()]
            } else {
                Vec::new()
            };
            AuditRow { totals, flags }
        })
        .collect();
    segment_rows.extend(
        segments
            .iter()
            .filter(|s| !known.segments.contains(&s.segment))
            .map(|s| AuditRow {
                totals: s.clone(),
                flags: vec!["Retired: no longer in the config.".into()],
            }),
    );
    let mut content_rows: Vec<AuditRow<ContentTotals>> = known
        .contents
        .iter()
        .map(|(slot, content, ends_at)| {
            let totals = contents
                .iter()
                .find(|c| &c.slot == slot && &c.content == content)
                .cloned()
                .unwrap_or(ContentTotals {
                    slot: slot.clone(),
                    content: content.clone(),
                    served: 0,
                    visitors: 0,
                    conversions: 0,
                    revenue: 0.0,
                });
            let mut flags = Vec::new();
            if ends_at.is_some_and(|end| end <= known.now_ms) {
                flags.push("Past its end date: it can never show again; retire it.".into());
            } else if totals.served == 0 {
                flags
                    .push("Never served in 30 days: check the slot's selector and segment.".into());
            } else if totals.visitors >= MIN_VISITORS && totals.conversions == 0 {
                flags.push(format!(
                    "No conversions after {} visitors: review the message.",
                    totals.visitors
                ));
            }
            AuditRow { totals, flags }
        })
        .collect();
    content_rows.extend(
        contents
            .iter()
            .filter(|c| {
                !known
                    .contents
                    .iter()
                    .any(|(slot, content, _)| *slot == c.slot && *content == c.content)
            })
            .map(|c| AuditRow {
                totals: c.clone(),
                flags: vec!["Retired: no longer in the config.".into()],
            }),
    );
    AuditReport {
        segments: segment_rows,
        contents: content_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(variant: u32, visitors: u64, conversions: u64, revenue: f64, squares: f64) -> ArmTotals {
        ArmTotals {
            variant,
            name: format!("arm {variant}"),
            visitors,
            conversions,
            revenue,
            revenue_squares: squares,
        }
    }

    #[test]
    fn a_report_compares_each_arm_with_the_control() {
        let report = experiment_report(
            "cta",
            "CTA",
            &[
                arm(0, 1000, 100, 5000.0, 500_000.0),
                arm(1, 1000, 130, 6500.0, 650_000.0),
            ],
            &[0.5, 0.5],
        );
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["arms"][0]["conversionRate"], 0.1);
        assert_eq!(json["arms"][1]["revenuePerVisitor"], 6.5);
        let lift = &json["arms"][1]["conversionLift"];
        assert!((lift["relative"].as_f64().expect("lift") - 0.3).abs() < 1e-12);
        assert!((lift["chanceToBeatControl"].as_f64().expect("chance") - 0.967_276).abs() < 1e-5);
        assert!(json["arms"][0]["conversionLift"].is_null());
        assert_eq!(json["sampleRatio"]["mismatch"], false);
        assert!(report.arms[1]
            .verdict
            .as_deref()
            .expect("verdict")
            .contains("chance to beat control"));
    }

    #[test]
    fn empty_arms_give_nulls_not_nan() {
        let report = experiment_report(
            "cta",
            "CTA",
            &[arm(0, 0, 0, 0.0, 0.0), arm(1, 0, 0, 0.0, 0.0)],
            &[0.5, 0.5],
        );
        let text = serde_json::to_string(&report).expect("json");
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        assert!(report.arms[1]
            .verdict
            .as_deref()
            .expect("verdict")
            .starts_with("Not enough data"));
    }

    #[test]
    fn a_broken_split_is_flagged() {
        let report = experiment_report(
            "cta",
            "CTA",
            &[arm(0, 5200, 0, 0.0, 0.0), arm(1, 4800, 0, 0.0, 0.0)],
            &[0.5, 0.5],
        );
        assert!(report.sample_ratio.mismatch);
    }

    #[test]
    fn the_audit_flags_what_to_review() {
        let known = AuditInputs {
            segments: vec!["vip".into(), "ghost".into()],
            contents: vec![
                ("hero".into(), "vip".into(), None),
                ("hero".into(), "bf".into(), Some(10)),
                ("offer".into(), "vip".into(), None),
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
        let contents = [ContentTotals {
            slot: "hero".into(),
            content: "vip".into(),
            served: 300,
            visitors: 150,
            conversions: 0,
            revenue: 0.0,
        }];
        let audit = audit_report(&segments, &contents, &known);
        let segment_flags: Vec<String> = audit.segments.iter().map(|r| r.flags.join(" ")).collect();
        assert_eq!(segment_flags[0], "");
        assert!(segment_flags[1].starts_with("No visitors matched"));
        assert!(segment_flags[2].starts_with("Retired"));
        let content_flags: Vec<String> = audit.contents.iter().map(|r| r.flags.join(" ")).collect();
        assert!(content_flags[0].starts_with("No conversions after 150 visitors"));
        assert!(content_flags[1].starts_with("Past its end date"));
        assert!(content_flags[2].starts_with("Never served"));
    }
}
