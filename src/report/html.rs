//! Reports as self-contained HTML pages: inline CSS and SVG, no scripts, no external assets,
//! every merchant-written name escaped.

use std::fmt::Write;

use super::experiment::percent_chance;
use super::{ArmReport, AuditFlag, AuditReport, ExperimentReport, LiftReport};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;\
padding:0 1rem;color:#1f2328}h1{font-size:1.5rem}table{border-collapse:collapse;width:100%;\
margin:1rem 0}th,td{text-align:right;padding:.4rem .6rem;border-bottom:1px solid #d0d7de}\
th:first-child,td:first-child{text-align:left}.flag{color:#9a3412}.ok{color:#166534}\
.note{color:#57606a;font-size:.85rem}.verdict{font-size:.85rem}.good{color:#166534}\
.bad{color:#9a3412}.alert{background:#fff1e5;border:1px solid #9a3412;padding:.6rem .8rem}\
th{background:#f6f8fa}.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;flex:1 1 24rem}\
figcaption{font-weight:600;margin-bottom:.3rem}svg{width:100%;height:auto}";

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

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

fn lift_cell(lift: Option<LiftReport>) -> String {
    lift.map_or("–".to_string(), |l| {
        let class = if l.interval[0] > 0.0 {
            "good"
        } else if l.interval[1] < 0.0 {
            "bad"
        } else {
            "even"
        };
        format!(
            "<span class=\"{class}\">{:+.1}%</span> <span class=\"note\">[{:+.1}%, {:+.1}%]</span>\
             <br>{} chance to beat<br><span class=\"note\">{}</span>",
            l.relative * 100.0,
            l.interval[0] * 100.0,
            l.interval[1] * 100.0,
            percent_chance(l.chance_to_beat_control),
            p_text(l.p_value)
        )
    })
}

/// The experiment report page: a chart per metric (bars with 95% interval whiskers), then a
/// table with every number and a verdict per variation.
pub fn experiment_report_html(report: &ExperimentReport) -> String {
    let mut body = format!(
        "<h1>{}</h1><p class=\"note\">Experiment <code>{}</code></p>",
        escape(&report.name),
        escape(&report.key)
    );
    let srm = &report.sample_ratio;
    if srm.mismatch {
        let _ = write!(
            body,
            "<p class=\"alert\"><strong>Sample ratio mismatch</strong> ({}): visitors are not \
             split as the weights say. Assignment or counting is broken; do not trust these \
             results until it is fixed.</p>",
            p_text(srm.p_value.unwrap_or(0.0))
        );
    }
    let bars = |metric: fn(&ArmReport) -> Bar| report.arms.iter().map(metric).collect::<Vec<_>>();
    body.push_str("<div class=\"charts\"><figure><figcaption>Conversion rate</figcaption>");
    body.push_str(&chart(
        "Conversion rate per variation with 95% intervals",
        &bars(|a| Bar {
            name: &a.name,
            value: a.conversion_rate,
            interval: a.conversion_rate_interval,
        }),
        |x| format!("{:.2}%", x * 100.0),
    ));
    body.push_str("</figure><figure><figcaption>Revenue per visitor</figcaption>");
    body.push_str(&chart(
        "Revenue per visitor per variation with 95% intervals",
        &bars(|a| Bar {
            name: &a.name,
            value: a.revenue_per_visitor,
            interval: a.revenue_per_visitor_interval,
        }),
        |x| format!("{x:.2}"),
    ));
    body.push_str(
        "</figure></div><p class=\"note\">Grey: the control. The line across each bar is its 95% \
         interval.</p><table><thead><tr><th>Variation</th><th>Visitors</th><th>Conversions</th>\
         <th>Conversion rate</th><th>Revenue</th><th>Revenue / visitor</th>\
         <th>Conversion rate lift</th><th>Revenue / visitor lift</th></tr></thead><tbody>",
    );
    for arm in &report.arms {
        let _ = write!(
            body,
            "<tr><td><strong>{}</strong>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&arm.name),
            arm.verdict
                .as_ref()
                .map(|v| format!("<br><span class=\"verdict\">{}</span>", escape(v)))
                .unwrap_or_else(|| "<br><span class=\"note\">control</span>".to_string()),
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
        "</tbody></table><p class=\"note\">Sample ratio check: {}{}.</p>\
         <p class=\"note\">{}</p>",
        srm.p_value.map_or("no visitors yet".to_string(), p_text),
        if srm.mismatch {
            " (mismatch)"
        } else {
            " (no mismatch)"
        },
        escape(report.method)
    );
    page(&format!("{} – Tailor experiment", report.name), &body)
}

/// One bar of a chart.
struct Bar<'a> {
    name: &'a str,
    value: Option<f64>,
    interval: Option<[f64; 2]>,
}

/// Horizontal bars from 0, one per arm (the control grey), each with its interval as a
/// whisker and its value written after it; arms without a value get a dash.
fn chart(label: &str, bars: &[Bar], format: fn(f64) -> String) -> String {
    const WIDTH: f64 = 420.0;
    const LEFT: f64 = 130.0;
    const PLOT: f64 = 220.0;
    const ROW: f64 = 30.0;
    let top = bars
        .iter()
        .filter_map(|b| b.interval.map(|i| i[1]).or(b.value))
        .fold(0.0_f64, f64::max);
    let scale = if top > 0.0 { PLOT / top } else { 0.0 };
    let x = |v: f64| LEFT + v.clamp(0.0, top) * scale;
    let height = ROW * bars.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"{}\"><line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"0\" y2=\"{height}\" \
         stroke=\"#8c959f\"/>",
        escape(label)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let name: String = if bar.name.chars().count() > 18 {
            bar.name.chars().take(17).chain(['…']).collect()
        } else {
            bar.name.to_string()
        };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 15.0,
            escape(&name)
        );
        let Some(value) = bar.value else {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">–</text>",
                LEFT + 6.0,
                y + 15.0
            );
            continue;
        };
        let fill = if i == 0 { "#8c959f" } else { "#2f81f7" };
        let _ = write!(
            svg,
            "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"20\" fill=\"{fill}\"/>",
            x(value) - LEFT
        );
        let mut end = x(value);
        if let Some([low, high]) = bar.interval {
            let mid = y + 10.0;
            end = end.max(x(high));
            let _ = write!(
                svg,
                "<path d=\"M{:.1} {mid:.1}H{:.1}M{:.1} {:.1}v10M{:.1} {:.1}v10\" \
                 stroke=\"#1f2328\" stroke-width=\"1.5\" fill=\"none\"/>",
                x(low),
                x(high),
                x(low),
                mid - 5.0,
                x(high),
                mid - 5.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            end + 6.0,
            y + 15.0,
            escape(&format(value))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The audit page: segments and content, each flag with its hint.
pub fn audit_report_html(audit: &AuditReport) -> String {
    let flags = |flags: &[AuditFlag]| {
        if flags.is_empty() {
            return "<span class=\"ok\">ok</span>".to_string();
        }
        flags
            .iter()
            .map(|f| {
                format!(
                    "<span class=\"flag\">{}</span><br><span class=\"note\">{}</span>",
                    escape(&f.message),
                    escape(f.hint)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let flagged = audit
        .segments
        .iter()
        .filter(|r| !r.flags.is_empty())
        .count()
        + audit
            .contents
            .iter()
            .filter(|r| !r.flags.is_empty())
            .count();
    let mut body = format!(
        "<h1>Personalization audit</h1><p class=\"note\">Review every 30–60 days: retire what no \
         longer reaches anyone or no longer converts. {flagged} item{} to review.</p>\
         <h2>Segments</h2><table><thead><tr><th>Segment</th><th>Visitors, 7 days</th>\
         <th>Visitors, 30 days</th><th>Review</th></tr></thead><tbody>",
        if flagged == 1 { "" } else { "s" }
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
    use super::super::{audit_report, experiment_report, ArmTotals, AuditInputs, SegmentTotals};
    use super::*;

    /// The tags inside the first `<svg>…</svg>` nest properly (self-closing ones aside).
    fn svg_is_balanced(html: &str) -> bool {
        let (Some(start), Some(end)) = (html.find("<svg"), html.find("</svg>")) else {
            return false;
        };
        let mut open: Vec<&str> = Vec::new();
        for tag in html[start..end + 6].split('<').skip(1) {
            let Some((inside, _)) = tag.split_once('>') else {
                return false;
            };
            if inside.ends_with('/') {
                continue;
            }
            if let Some(name) = inside.strip_prefix('/') {
                if open.pop() != Some(name) {
                    return false;
                }
            } else {
                open.push(inside.split_whitespace().next().unwrap_or(""));
            }
        }
        open.is_empty()
    }

    fn arm(variant: u32, name: &str, visitors: u64) -> ArmTotals {
        ArmTotals {
            variant,
            name: name.into(),
            visitors,
            conversions: visitors / 10,
            revenue: visitors as f64 * 2.0,
            revenue_squares: visitors as f64 * 40.0,
        }
    }

    #[test]
    fn names_are_escaped_and_the_charts_are_inline() {
        let report = experiment_report(
            "x\"y",
            "<script>alert(1)</script>",
            &[
                arm(0, "Control", 500),
                arm(1, "\"><img src=x onerror=alert(1)>", 520),
                arm(2, "Nobody yet", 0),
            ],
            &[0.4, 0.4, 0.2],
        );
        let html = experiment_report_html(&report);
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("x&quot;y"));
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("</svg>").count(), 2);
        for chart in html.split("<figure>").skip(1) {
            assert!(svg_is_balanced(chart), "{chart}");
        }
        assert!(!html.contains("NaN") && !html.contains("inf"), "{html}");
        assert!(!html.contains("http:") || !html.contains("src=\"http"));
        assert!(!html.contains("href=") && !html.contains("<link"));
        assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>"));
        assert!(
            html.contains("Sample ratio mismatch"),
            "520 of 1020 against 0.4: p ≈ 0"
        );
    }

    #[test]
    fn the_audit_page_escapes_and_hints() {
        let audit = audit_report(
            &[SegmentTotals {
                segment: "<b>old</b>".into(),
                visitors_7d: 0,
                visitors_30d: 4,
            }],
            &[],
            &AuditInputs::default(),
        );
        let html = audit_report_html(&audit);
        assert!(html.contains("&lt;b&gt;old&lt;/b&gt;") && !html.contains("<b>old"));
        assert!(html.contains("No longer in the config.") && html.contains("1 item to review"));
    }
}
