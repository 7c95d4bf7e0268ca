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

mod audit;
mod experiment;
mod html;

pub use audit::{
    audit_report, AuditFlag, AuditInputs, AuditReport, AuditRow, FlagKind, NO_CONVERSION_VISITORS,
};
pub use experiment::{
    experiment_report, ArmReport, ExperimentReport, LiftReport, SampleRatio, DECISION_CHANCE,
    METHOD, MIN_CONVERSIONS, MIN_VISITORS, SRM_THRESHOLD,
};
pub use html::{audit_report_html, experiment_report_html};
