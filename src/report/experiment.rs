//! An experiment's report: per arm its rates, and per variation its lift over the control with
//! the chance to beat it, a p-value and a plain-words verdict; plus the sample-ratio check.

use serde::Serialize;

use super::ArmTotals;
use crate::case;
use crate::stats::{lift, mean_of, normal_quantile, proportion, sample_ratio_p_value, Estimate};

/// Below this many visitors in an arm, a verdict says "not enough data yet" rather than guess.
pub const MIN_VISITORS: u64 = 100;
/// Below this many conversions in the control and the variation together, likewise.
pub const MIN_CONVERSIONS: u64 = 10;
/// A chance to beat control at or above this (or at or below 1 − it) is called likely better
/// (worse): GrowthBook's default "chance to win" threshold.
pub const DECISION_CHANCE: f64 = 0.95;
/// GrowthBook's default sample-ratio-mismatch threshold.
pub const SRM_THRESHOLD: f64 = 0.001;

/// The methods a report uses, stated in the report itself.
///
/// NOTE: the chance to beat control is the headline because it answers the merchant's question
/// ("how likely is B better?") directly; the p-value is shown beside it for those who work with
/// significance. Both come from the same lift and standard error, so they never disagree.
pub const METHOD: &str = "Relative lift (variation − control) / control with a 95% interval \
by the delta method on the ratio of means, as GrowthBook computes it. Chance to beat control: \
the normal approximation of the lift's posterior with a flat prior, Φ(lift / sd), as \
GrowthBook's Bayesian engine reports it; shown because it answers \"how likely is this \
variation better?\" directly. p-value: two-sided Welch z-test of the same lift. Sample-ratio \
mismatch: chi-square goodness of fit of visitors per arm against the weights, flagged below \
p = 0.001.";

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

/// One arm's results. Every rate is `null` in JSON where it cannot be computed (no visitors,
/// a control without conversions), never NaN.
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
    /// Conversions / visitors.
    pub conversion_rate: Option<f64>,
    /// 95% interval of the conversion rate (normal approximation).
    pub conversion_rate_interval: Option<[f64; 2]>,
    /// Attributed revenue.
    pub revenue: f64,
    /// Revenue / visitors.
    pub revenue_per_visitor: Option<f64>,
    /// 95% interval of the revenue per visitor (normal approximation; needs 2 visitors).
    pub revenue_per_visitor_interval: Option<[f64; 2]>,
    /// Conversion rate against the control (absent for the control).
    pub conversion_lift: Option<LiftReport>,
    /// Revenue per visitor against the control (absent for the control).
    pub revenue_lift: Option<LiftReport>,
    /// A plain-words reading (absent for the control).
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
    /// Chance to beat the control (0 to 1).
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

fn interval(estimate: Estimate) -> Option<[f64; 2]> {
    let half = normal_quantile(0.975) * estimate.variance.sqrt();
    Some([finite(estimate.mean - half)?, finite(estimate.mean + half)?])
}

fn compare(control: Option<Estimate>, variant: Option<Estimate>) -> Option<LiftReport> {
    let l = lift(control?, variant?)?;
    Some(LiftReport {
        relative: finite(l.relative)?,
        interval: [finite(l.interval.0)?, finite(l.interval.1)?],
        chance_to_beat_control: finite(l.chance_to_beat)?,
        p_value: finite(l.p_value)?,
    })
}

fn rate(arm: &ArmTotals) -> Option<Estimate> {
    proportion(arm.conversions.min(arm.visitors), arm.visitors)
}

fn revenue(arm: &ArmTotals) -> Option<Estimate> {
    mean_of(arm.revenue, arm.revenue_squares, arm.visitors)
}

/// Builds an experiment's report from its totals (control first) and its weights (equal
/// weights are assumed when they do not match the arms one for one).
pub fn experiment_report(
    key: &str,
    name: &str,
    arms: &[ArmTotals],
    weights: &[f64],
) -> ExperimentReport {
    let expected = if weights.len() == arms.len() {
        weights.to_vec()
    } else {
        vec![1.0 / arms.len().max(1) as f64; arms.len()]
    };
    let observed: Vec<u64> = arms.iter().map(|a| a.visitors).collect();
    let p_value = sample_ratio_p_value(&observed, &expected).and_then(finite);
    let mismatch = p_value.is_some_and(|p| p < SRM_THRESHOLD);
    let control = arms.first();
    let reports = arms
        .iter()
        .enumerate()
        .map(|(i, arm)| {
            let against = control.filter(|_| i > 0);
            let conversion_lift = against.and_then(|c| compare(rate(c), rate(arm)));
            let revenue_lift = against.and_then(|c| compare(revenue(c), revenue(arm)));
            let verdict = against.map(|c| verdict(c, arm, conversion_lift, revenue_lift, mismatch));
            ArmReport {
                variant: arm.variant,
                name: arm.name.clone(),
                visitors: arm.visitors,
                conversions: arm.conversions,
                conversion_rate: rate(arm).map(|e| e.mean),
                // NOTE: a rate cannot leave [0, 1], whatever the normal approximation says.
                conversion_rate_interval: rate(arm)
                    .and_then(interval)
                    .map(|[low, high]| [low.max(0.0), high.min(1.0)]),
                revenue: arm.revenue,
                revenue_per_visitor: (arm.visitors > 0)
                    .then(|| arm.revenue / arm.visitors as f64)
                    .and_then(finite),
                revenue_per_visitor_interval: revenue(arm).and_then(interval),
                conversion_lift,
                revenue_lift,
                verdict,
            }
        })
        .collect();
    ExperimentReport {
        key: key.to_string(),
        name: name.to_string(),
        arms: reports,
        sample_ratio: SampleRatio {
            expected,
            p_value,
            mismatch,
        },
        method: METHOD,
    }
}

/// A chance as a whole percentage, never rounded to a certainty it is not: ">99%", "<1%".
pub(super) fn percent_chance(chance: f64) -> String {
    if chance > 0.99 {
        ">99%".to_string()
    } else if chance < 0.01 {
        "<1%".to_string()
    } else {
        format!("{:.0}%", chance * 100.0)
    }
}

/// A verdict that never claims more than the data shows: nothing before the minimums, nothing
/// but a warning when the split is broken, and "likely" only past [`DECISION_CHANCE`].
fn verdict(
    control: &ArmTotals,
    arm: &ArmTotals,
    conversion: Option<LiftReport>,
    revenue: Option<LiftReport>,
    mismatch: bool,
) -> String {
    if mismatch {
        return "Do not trust these numbers yet: visitors are not split as the weights say \
                (sample ratio mismatch)."
            .to_string();
    }
    if control.visitors.min(arm.visitors) < MIN_VISITORS
        || control.conversions + arm.conversions < MIN_CONVERSIONS
    {
        return format!(
            "Not enough data yet (each arm needs {MIN_VISITORS} visitors and the two together \
             {MIN_CONVERSIONS} conversions)."
        );
    }
    let reading = |metric: &str, lift: Option<LiftReport>| match lift {
        None => format!("no {metric} comparison (the control has none)"),
        Some(l) => {
            let chance = l.chance_to_beat_control;
            let words = if chance >= DECISION_CHANCE {
                "likely better on"
            } else if chance <= 1.0 - DECISION_CHANCE {
                "likely worse on"
            } else {
                "no clear difference yet in"
            };
            format!(
                "{words} {metric} ({} chance to beat control)",
                percent_chance(chance)
            )
        }
    };
    let text = format!(
        "{}; {}.",
        reading("conversion rate", conversion),
        reading("revenue per visitor", revenue)
    );
    case::upper_first(&text)
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

    fn report(arms: &[ArmTotals], weights: &[f64]) -> ExperimentReport {
        experiment_report("cta", "CTA", arms, weights)
    }

    /// The first variation's verdict.
    fn verdict(report: &ExperimentReport) -> &str {
        report.arms[1].verdict.as_deref().unwrap_or_default()
    }

    #[test]
    fn the_json_compares_each_arm_with_the_control() {
        // The totals of src/stats.rs's tests: 100 / 1000 buyers of 50 against 120 / 1000
        // of 55 (conversion lift checked with gbstats 0.8.0 there: +30%, chance 0.96728;
        // revenue: +32%, chance 0.97102, interval [-0.01081, 0.65081]).
        let report = report(
            &[
                arm(0, 1000, 100, 5000.0, 250_000.0),
                arm(1, 1000, 130, 6600.0, 363_000.0),
            ],
            &[0.5, 0.5],
        );
        let json = serde_json::to_value(&report).expect("json");
        let number = |v: &serde_json::Value| v.as_f64().expect("a number");
        assert_eq!(json["key"], "cta");
        assert_eq!(json["arms"][0]["conversionRate"], 0.1);
        assert_eq!(json["arms"][1]["revenuePerVisitor"], 6.6);
        assert!(json["arms"][0]["conversionLift"].is_null());
        assert!(json["arms"][0]["verdict"].is_null());
        let conversion = &json["arms"][1]["conversionLift"];
        assert!((number(&conversion["relative"]) - 0.3).abs() < 1e-12);
        assert!((number(&conversion["chanceToBeatControl"]) - 0.967_276_341_7).abs() < 1e-9);
        let revenue = &json["arms"][1]["revenueLift"];
        assert!((number(&revenue["relative"]) - 0.32).abs() < 1e-12);
        assert!((number(&revenue["interval"][0]) + 0.010_808_523_4).abs() < 1e-9);
        assert!((number(&revenue["pValue"]) - 0.057_969_832_5).abs() < 1e-9);
        // scipy.stats.norm.interval(0.95, loc=0.1, scale=math.sqrt(0.1 * 0.9 / 1000))
        // = (0.08140614903086316, 0.11859385096913685)
        let rate_interval = &json["arms"][0]["conversionRateInterval"];
        assert!((number(&rate_interval[0]) - 0.081_406_149_030_863_16).abs() < 1e-12);
        assert!((number(&rate_interval[1]) - 0.118_593_850_969_136_85).abs() < 1e-12);
        assert_eq!(json["sampleRatio"]["mismatch"], false);
        assert!(json["method"]
            .as_str()
            .expect("method")
            .contains("delta method"));
        assert_eq!(
            Some(verdict(&report)),
            Some(
                "Likely better on conversion rate (97% chance to beat control); \
                 likely better on revenue per visitor (97% chance to beat control)."
            )
        );
    }

    #[test]
    fn empty_arms_give_nulls_not_nan() {
        let report = report(
            &[arm(0, 0, 0, 0.0, 0.0), arm(1, 0, 0, 0.0, 0.0)],
            &[0.5, 0.5],
        );
        let json = serde_json::to_value(&report).expect("json");
        for field in [
            "conversionRate",
            "conversionRateInterval",
            "revenuePerVisitor",
            "revenuePerVisitorInterval",
            "conversionLift",
            "revenueLift",
        ] {
            assert!(json["arms"][1][field].is_null(), "{field}");
        }
        assert!(json["sampleRatio"]["pValue"].is_null());
        let text = json.to_string();
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        assert!(verdict(&report).starts_with("Not enough data"));
    }

    #[test]
    fn a_control_without_conversions_has_no_lift() {
        let report = report(
            &[arm(0, 500, 0, 0.0, 0.0), arm(1, 500, 12, 120.0, 1200.0)],
            &[],
        );
        assert_eq!(report.arms[1].conversion_lift, None);
        assert_eq!(report.sample_ratio.expected, vec![0.5, 0.5]);
        assert!(verdict(&report).starts_with("No conversion rate comparison"));
    }

    #[test]
    fn a_broken_split_is_flagged_and_no_winner_named() {
        let report = report(
            &[arm(0, 5200, 100, 0.0, 0.0), arm(1, 4800, 300, 0.0, 0.0)],
            &[0.5, 0.5],
        );
        assert!(report.sample_ratio.mismatch);
        assert!(verdict(&report).starts_with("Do not trust"));
    }
}
