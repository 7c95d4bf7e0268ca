//! Reports as self-contained HTML pages: inline CSS and SVG, no scripts, no external assets,
//! every merchant-written name escaped.

use std::fmt::Write;

use super::{AuditReport, ExperimentReport, LiftReport};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;\
padding:0 1rem;color:#1f2328}h1{font-size:1.5rem}table{border-collapse:collapse;width:100%;\
margin:1rem 0}th,td{text-align:right;padding:.4rem .6rem;border-bottom:1px solid #d0d7de}\
th:first-child,td:first-child{text-align:left}.flag{color:#9a3412}.ok{color:#166534}\
.note{color:#57606a;font-size:.85rem}svg{max-width:100%;height:auto}";

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |x| format!("{:.2}%", x * 100.0))
}

fn money(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |x| format!("{x:.2}"))
}

fn lift_cell(lift: Option<LiftReport>) -> String {
    lift.map_or("–".to_string(), |l| {
        format!(
            "{:+.1}% <span class=\"note\">[{:+.1}%, {:+.1}%]</span><br>{:.0}% chance to beat<br>\
             <span class=\"note\">p = {:.3}</span>",
            l.relative * 100.0,
            l.interval[0] * 100.0,
            l.interval[1] * 100.0,
            l.chance_to_beat_control * 100.0,
            l.p_value
        )
    })
}

/// The experiment report page: a table and a chart of conversion rate per arm with 95%
/// intervals.
pub fn experiment_html(report: &ExperimentReport) -> String {
    let mut body = format!(
        "<h1>{}</h1><p class=\"note\">Experiment <code>{}</code></p>",
        escape(&report.name),
        escape(&report.key)
    );
    let srm = &report.sample_ratio;
    if srm.mismatch {
        let _ = write!(
            body,
            "<p class=\"flag\"><strong>Sample ratio mismatch</strong> (p = {:.5}): visitors are not \
             split as the weights say. Assignment or counting is broken; do not trust these results.</p>",
            srm.p_value.unwrap_or(0.0)
        );
    }
    body.push_str(
        "<p class=\"note\">Conversion rate per variation; the line across each bar is its 95% \
         interval.</p>",
    );
    body.push_str(&chart(report));
    body.push_str(
        "<table><thead><tr><th>Variation</th><th>Visitors</th><th>Conversions</th>\
         <th>Conversion rate</th><th>Revenue</th><th>Revenue / visitor</th>\
         <th>Conversion lift</th><th>Revenue lift</th></tr></thead><tbody>",
    );
    for arm in &report.arms {
        let _ = write!(
            body,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&arm.name),
            arm.verdict
                .as_ref()
                .map(|v| format!("<br><span class=\"note\">{}</span>", escape(v)))
                .unwrap_or_default(),
            arm.visitors,
            arm.conversions,
            percent(arm.conversion_rate),
            arm.revenue,
            money(arm.revenue_per_visitor),
            lift_cell(arm.conversion_lift),
            lift_cell(arm.revenue_lift),
        );
    }
    let _ = write!(
        body,
        "</tbody></table><p class=\"note\">Sample ratio check: p = {}. {}</p>",
        srm.p_value.map_or("–".to_string(), |p| format!("{p:.4}")),
        escape(report.method)
    );
    page(&format!("{} – Tailor experiment", report.name), &body)
}

/// Conversion rate per arm as bars, each with its 95% interval as a whisker.
fn chart(report: &ExperimentReport) -> String {
    const WIDTH: f64 = 640.0;
    const ROW: f64 = 44.0;
    const LEFT: f64 = 160.0;
    let bars: Vec<(String, f64, f64, f64)> = report
        .arms
        .iter()
        .map(|arm| {
            let rate = arm.conversion_rate.unwrap_or(0.0);
            let half = if arm.visitors > 0 {
                1.96 * (rate * (1.0 - rate) / arm.visitors as f64).sqrt()
            } else {
                0.0
            };
            (
                arm.name.clone(),
                rate,
                (rate - half).max(0.0),
                (rate + half).min(1.0),
            )
        })
        .collect();
    let top = bars.iter().map(|b| b.3).fold(0.0_f64, f64::max).max(0.01);
    let scale = (WIDTH - LEFT - 70.0) / top;
    let height = ROW * bars.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"Conversion rate per variation with 95% intervals\">"
    );
    for (i, (name, rate, low, high)) in bars.iter().enumerate() {
        let y = 10.0 + ROW * i as f64;
        let fill = if i == 0 { "#8c959f" } else { "#2f81f7" };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\">{}</text>\
             <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"24\" fill=\"{fill}\"/>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1f2328\" stroke-width=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{:.2}%</text>",
            y + 17.0,
            escape(name),
            rate * scale,
            LEFT + low * scale,
            LEFT + high * scale,
            y + 12.0,
            y + 12.0,
            LEFT + high * scale + 6.0,
            y + 17.0,
            rate * 100.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The audit page: segments and content, with what to review.
pub fn audit_html(audit: &AuditReport) -> String {
    let flags = |flags: &[String]| {
        if flags.is_empty() {
            "<span class=\"ok\">ok</span>".to_string()
        } else {
            format!("<span class=\"flag\">{}</span>", escape(&flags.join(" ")))
        }
    };
    let mut body = String::from(
        "<h1>Personalization audit</h1><p class=\"note\">Review every 30–60 days: retire what no \
         longer reaches anyone or no longer converts.</p><h2>Segments</h2><table><thead><tr>\
         <th>Segment</th><th>Visitors, 7 days</th><th>Visitors, 30 days</th><th>Review</th></tr>\
         </thead><tbody>",
    );
    for row in &audit.segments {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.totals.segment),
            row.totals.visitors_7d,
            row.totals.visitors_30d,
            flags(&row.flags)
        );
    }
    body.push_str(
        "</tbody></table><h2>Content (30 days)</h2><table><thead><tr><th>Slot / content</th>\
         <th>Served (visitor-days)</th><th>Visitors</th><th>Converted after</th><th>Revenue</th>\
         <th>Review</th></tr></thead><tbody>",
    );
    for row in &audit.contents {
        let _ = write!(
            body,
            "<tr><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
            escape(&row.totals.slot),
            escape(&row.totals.content),
            row.totals.served,
            row.totals.visitors,
            row.totals.conversions,
            row.totals.revenue,
            flags(&row.flags)
        );
    }
    body.push_str("</tbody></table>");
    page("Personalization audit – Tailor", &body)
}

#[cfg(test)]
mod tests {
    use super::super::{experiment_report, ArmTotals};
    use super::*;

    #[test]
    fn names_are_escaped_and_the_chart_is_inline() {
        let arm = |variant: u32, name: &str| ArmTotals {
            variant,
            name: name.into(),
            visitors: 500,
            conversions: 50,
            revenue: 100.0,
            revenue_squares: 400.0,
        };
        let report = experiment_report(
            "x",
            "<script>alert(1)</script>",
            &[arm(0, "Control"), arm(1, "\"><img src=x onerror=alert(1)>")],
            &[0.5, 0.5],
        );
        let html = experiment_html(&report);
        assert!(
            !html.contains("<script>") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
        assert_eq!(html.matches("<svg").count(), 1);
        assert_eq!(html.matches("</svg>").count(), 1);
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    }
}
