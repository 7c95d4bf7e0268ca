//! Events: what page views and orders report, the messages that carry them on the Queue, and
//! the SQL the consumer runs on D1. Pure: the edge only moves the messages and the rows.
//!
//! Queues deliver at least once, so every statement is idempotent: exposures keep one row per
//! (experiment, visitor), orders one row per order id, the audit one row per (segment or
//! content, visitor). Only `content_daily.served` is a counter, and may count a redelivered
//! message twice.

use serde_json::{json, Value};

use crate::decision::Decision;
use crate::report::{ArmTotals, ContentTotals, SegmentTotals};

/// What erasing a visitor deletes from the event store: every row keyed by their id
/// (`?1`). Aggregates (`content_daily`) hold no id and stay.
pub const ERASE_VISITOR_SQL: [&str; 4] = [
    "DELETE FROM exposures WHERE visitor = ?1",
    "DELETE FROM orders WHERE visitor = ?1",
    "DELETE FROM segment_visitors WHERE visitor = ?1",
    "DELETE FROM content_visitors WHERE visitor = ?1",
];

/// One event on the Queue (JSON text, one per message; see [`Event::encode`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A visitor was first served a variant of an experiment.
    Exposure {
        /// Experiment key.
        experiment: String,
        /// Variation index (0 is the control).
        variant: u32,
        /// Visitor id.
        visitor: String,
        /// When, in ms since the epoch.
        at: u64,
    },
    /// An order by a visitor.
    Conversion {
        /// Visitor id.
        visitor: String,
        /// The store's order id (one row per order, whatever the deliveries).
        order: String,
        /// Order revenue in the store's currency.
        revenue: f64,
        /// When, in ms since the epoch.
        at: u64,
    },
    /// What a visitor matched and was served, first time today.
    Seen {
        /// Visitor id.
        visitor: String,
        /// Days since the epoch (UTC).
        day: u32,
        /// Segment ids.
        segments: Vec<String>,
        /// (slot id, content key).
        contents: Vec<(String, String)>,
    },
}

impl Event {
    /// The message text: `{"type": "exposure" | "conversion" | "seen", ...fields}`.
    ///
    /// NOTE: written by hand over `serde_json::Value` (which the worker links anyway) rather
    /// than derived: serde's derives for this enum cost tens of KiB of Wasm.
    pub fn encode(&self) -> String {
        let value = match self {
            Self::Exposure {
                experiment,
                variant,
                visitor,
                at,
            } => json!({"type": "exposure", "experiment": experiment, "variant": variant,
                        "visitor": visitor, "at": at}),
            Self::Conversion {
                visitor,
                order,
                revenue,
                at,
            } => json!({"type": "conversion", "visitor": visitor, "order": order,
                        "revenue": revenue, "at": at}),
            Self::Seen {
                visitor,
                day,
                segments,
                contents,
            } => json!({"type": "seen", "visitor": visitor, "day": day, "segments": segments,
                        "contents": contents.iter().map(|(s, c)| json!([s, c])).collect::<Vec<_>>()}),
        };
        value.to_string()
    }

    /// Reads a message written by [`Event::encode`].
    pub fn decode(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let text_of = |key: &str| -> Result<String, String> {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("no {key}"))
        };
        let number = |key: &str| -> Result<u64, String> {
            value
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("no {key}"))
        };
        let strings = |item: &Value| -> Option<String> { item.as_str().map(str::to_string) };
        match value.get("type").and_then(Value::as_str) {
            Some("exposure") => Ok(Self::Exposure {
                experiment: text_of("experiment")?,
                variant: u32::try_from(number("variant")?).map_err(|e| e.to_string())?,
                visitor: text_of("visitor")?,
                at: number("at")?,
            }),
            Some("conversion") => Ok(Self::Conversion {
                visitor: text_of("visitor")?,
                order: text_of("order")?,
                revenue: value
                    .get("revenue")
                    .and_then(Value::as_f64)
                    .ok_or("no revenue")?,
                at: number("at")?,
            }),
            Some("seen") => {
                let list = |key: &str| {
                    value
                        .get(key)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                };
                Ok(Self::Seen {
                    visitor: text_of("visitor")?,
                    day: u32::try_from(number("day")?).map_err(|e| e.to_string())?,
                    segments: list("segments").iter().filter_map(strings).collect(),
                    contents: list("contents")
                        .iter()
                        .filter_map(|pair| Some((strings(pair.get(0)?)?, strings(pair.get(1)?)?)))
                        .collect(),
                })
            }
            other => Err(format!("unknown event type {other:?}")),
        }
    }
}

/// The events a page view's decision reports.
pub fn page_events(decision: &Decision, visitor: &str, now_ms: u64) -> Vec<Event> {
    let mut events: Vec<Event> = decision
        .events
        .exposures
        .iter()
        .map(|(experiment, variant)| Event::Exposure {
            experiment: experiment.clone(),
            variant: *variant,
            visitor: visitor.to_string(),
            at: now_ms,
        })
        .collect();
    if let Some(seen) = &decision.events.seen {
        events.push(Event::Seen {
            visitor: visitor.to_string(),
            day: seen.day,
            segments: seen.segments.clone(),
            contents: seen.contents.clone(),
        });
    }
    events
}

/// The most a conversion request body may hold.
pub const CONVERSION_MAX_BYTES: usize = 16 * 1024;

/// Reads a conversion posted to the conversion endpoint:
/// `{"visitorId": "...", "orderId": "...", "revenue": 12.5, "at": <ms> | "<RFC 3339>"}`.
pub fn parse_conversion(body: &str, now_ms: u64) -> Result<Event, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let text = |key: &str| -> Result<String, String> {
        match value.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => Ok(s.clone()),
            Some(Value::Number(n)) if key == "orderId" => Ok(n.to_string()),
            _ => Err(format!(
                "{key} is required: a non-empty string of at most 200 characters"
            )),
        }
    };
    let visitor = text("visitorId")?;
    let order = text("orderId")?;
    let revenue = match value.get("revenue") {
        None | Some(Value::Null) => 0.0,
        Some(v) => v
            .as_f64()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or("revenue must be a number, 0 or more, in the store's currency")?,
    };
    let at = match value.get("at") {
        None | Some(Value::Null) => now_ms,
        Some(Value::Number(n)) => n.as_u64().ok_or("at must be ms since the epoch")?,
        Some(Value::String(s)) => crate::visitor::timestamp::parse_rfc3339(s)
            .ok_or("at must be ms since the epoch or an RFC 3339 time")?,
        Some(_) => return Err("at must be ms since the epoch or an RFC 3339 time".into()),
    };
    Ok(Event::Conversion {
        visitor,
        order,
        revenue,
        at,
    })
}

/// One SQL statement with its parameters (`?1`, `?2`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL.
    pub sql: &'static str,
    /// Its parameters: strings and numbers.
    pub params: Vec<Value>,
}

const INSERT_EXPOSURE: &str = "INSERT INTO exposures (experiment, visitor, variant, first_at) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (experiment, visitor) DO UPDATE SET \
     variant = excluded.variant, first_at = excluded.first_at \
     WHERE excluded.first_at < exposures.first_at";
const INSERT_ORDER: &str =
    "INSERT OR IGNORE INTO orders (order_id, visitor, revenue, at) VALUES (?1, ?2, ?3, ?4)";
const UPSERT_SEGMENT: &str =
    "INSERT INTO segment_visitors (segment, visitor, first_day, last_day) \
     VALUES (?1, ?2, ?3, ?3) ON CONFLICT (segment, visitor) DO UPDATE SET \
     first_day = min(first_day, excluded.first_day), last_day = max(last_day, excluded.last_day)";
const UPSERT_CONTENT: &str =
    "INSERT INTO content_visitors (slot, content, visitor, first_day, last_day) \
     VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (slot, content, visitor) DO UPDATE SET \
     first_day = min(first_day, excluded.first_day), last_day = max(last_day, excluded.last_day)";
const ADD_SERVED: &str = "INSERT INTO content_daily (day, slot, content, served) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (day, slot, content) DO UPDATE SET \
     served = served + excluded.served";

/// The statements that store a batch of events (run together, in one D1 batch).
pub fn statements(batch: &[Event]) -> Vec<Statement> {
    let mut out = Vec::new();
    // NOTE: served counts are summed per batch first: one statement per (day, slot, content).
    let mut served: Vec<((u32, String, String), u64)> = Vec::new();
    for event in batch {
        match event {
            Event::Exposure {
                experiment,
                variant,
                visitor,
                at,
            } => out.push(Statement {
                sql: INSERT_EXPOSURE,
                params: vec![json!(experiment), json!(visitor), json!(variant), json!(at)],
            }),
            Event::Conversion {
                visitor,
                order,
                revenue,
                at,
            } => out.push(Statement {
                sql: INSERT_ORDER,
                params: vec![json!(order), json!(visitor), json!(revenue), json!(at)],
            }),
            Event::Seen {
                visitor,
                day,
                segments,
                contents,
            } => {
                for segment in segments {
                    out.push(Statement {
                        sql: UPSERT_SEGMENT,
                        params: vec![json!(segment), json!(visitor), json!(day)],
                    });
                }
                for (slot, content) in contents {
                    out.push(Statement {
                        sql: UPSERT_CONTENT,
                        params: vec![json!(slot), json!(content), json!(visitor), json!(day)],
                    });
                    let key = (*day, slot.clone(), content.clone());
                    match served.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, n)) => *n += 1,
                        None => served.push((key, 1)),
                    }
                }
            }
        }
    }
    out.extend(
        served
            .into_iter()
            .map(|((day, slot, content), n)| Statement {
                sql: ADD_SERVED,
                params: vec![json!(day), json!(slot), json!(content), json!(n)],
            }),
    );
    out
}

/// Per variant of `experiment` (`?1`): exposed visitors, those who ordered at or after their
/// exposure, and that revenue (with the sum of each visitor's revenue squared, for variances).
pub const EXPERIMENT_TOTALS_SQL: &str = "WITH per_visitor AS (
  SELECT e.variant, e.visitor, COUNT(o.order_id) AS orders, COALESCE(SUM(o.revenue), 0) AS revenue
  FROM exposures e LEFT JOIN orders o ON o.visitor = e.visitor AND o.at >= e.first_at
  WHERE e.experiment = ?1
  GROUP BY e.variant, e.visitor)
SELECT variant, COUNT(*) AS visitors, SUM(orders > 0) AS conversions,
       SUM(revenue) AS revenue, SUM(revenue * revenue) AS revenue_squares
FROM per_visitor GROUP BY variant ORDER BY variant";

/// Per segment: distinct visitors matched in the 7 and 30 days up to day `?1`.
pub const SEGMENT_TOTALS_SQL: &str = "SELECT segment, SUM(last_day >= ?1 - 6) AS visitors_7d,
       COUNT(*) AS visitors_30d
FROM segment_visitors WHERE last_day >= ?1 - 29 GROUP BY segment ORDER BY segment";

/// Per slot content over the 30 days up to day `?1`: times served (visitor-days), distinct
/// visitors, and those who ordered on or after the day they first saw it, with that revenue.
pub const CONTENT_TOTALS_SQL: &str = "WITH reach AS (
  SELECT slot, content, visitor, first_day FROM content_visitors WHERE last_day >= ?1 - 29),
per_visitor AS (
  SELECT r.slot, r.content, r.visitor, COUNT(o.order_id) AS orders,
         COALESCE(SUM(o.revenue), 0) AS revenue
  FROM reach r LEFT JOIN orders o ON o.visitor = r.visitor AND o.at >= r.first_day * 86400000
  GROUP BY r.slot, r.content, r.visitor),
served AS (
  SELECT slot, content, SUM(served) AS served FROM content_daily WHERE day >= ?1 - 29
  GROUP BY slot, content)
SELECT p.slot, p.content, COALESCE(MAX(s.served), 0) AS served, COUNT(*) AS visitors,
       SUM(p.orders > 0) AS conversions, SUM(p.revenue) AS revenue
FROM per_visitor p LEFT JOIN served s ON s.slot = p.slot AND s.content = p.content
GROUP BY p.slot, p.content ORDER BY p.slot, p.content";

fn number(row: &Value, key: &str) -> f64 {
    row.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn count(row: &Value, key: &str) -> u64 {
    number(row, key).max(0.0) as u64
}

fn text(row: &Value, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Rows of [`EXPERIMENT_TOTALS_SQL`], named from `names` (the config's variation names); every
/// variation appears, with zeros when nobody saw it yet.
pub fn arm_totals(rows: &[Value], names: &[String]) -> Vec<ArmTotals> {
    let arms = names.len().max(
        rows.iter()
            .map(|r| count(r, "variant") as usize + 1)
            .max()
            .unwrap_or(0),
    );
    (0..arms)
        .map(|variant| {
            let row = rows
                .iter()
                .find(|r| count(r, "variant") as usize == variant)
                .cloned()
                .unwrap_or(Value::Null);
            ArmTotals {
                variant: variant as u32,
                name: names
                    .get(variant)
                    .cloned()
                    .unwrap_or_else(|| format!("Variation {variant}")),
                visitors: count(&row, "visitors"),
                conversions: count(&row, "conversions"),
                revenue: number(&row, "revenue"),
                revenue_squares: number(&row, "revenue_squares"),
            }
        })
        .collect()
}

/// Rows of [`SEGMENT_TOTALS_SQL`].
pub fn segment_totals(rows: &[Value]) -> Vec<SegmentTotals> {
    rows.iter()
        .map(|row| SegmentTotals {
            segment: text(row, "segment"),
            visitors_7d: count(row, "visitors_7d"),
            visitors_30d: count(row, "visitors_30d"),
        })
        .collect()
}

/// Rows of [`CONTENT_TOTALS_SQL`].
pub fn content_totals(rows: &[Value]) -> Vec<ContentTotals> {
    rows.iter()
        .map(|row| ContentTotals {
            slot: text(row, "slot"),
            content: text(row, "content"),
            served: count(row, "served"),
            visitors: count(row, "visitors"),
            conversions: count(row, "conversions"),
            revenue: number(row, "revenue"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_event_is_one_line_whatever_its_text_holds() {
        // The Workers send a batch of events to the Queue as lines of one string.
        let events = [
            Event::Exposure {
                experiment: "hero\ncta".into(),
                variant: 0,
                visitor: "v\r\n".into(),
                at: 1,
            },
            Event::Seen {
                visitor: "v".into(),
                day: 20_428,
                segments: vec!["vip\n".into(), "\u{2028}".into()],
                contents: vec![("hero\n".into(), "a\nb".into())],
            },
        ];
        for event in &events {
            let line = event.encode();
            assert!(!line.contains(['\n', '\r']), "{line}");
            assert_eq!(Event::decode(&line).as_ref(), Ok(event));
        }
    }

    #[test]
    fn events_travel_as_json() {
        let event = Event::Exposure {
            experiment: "cta".into(),
            variant: 1,
            visitor: "v".into(),
            at: 5,
        };
        let text = event.encode();
        assert_eq!(
            text,
            r#"{"at":5,"experiment":"cta","type":"exposure","variant":1,"visitor":"v"}"#
        );
        assert_eq!(Event::decode(&text), Ok(event));
        let seen = Event::Seen {
            visitor: "v".into(),
            day: 3,
            segments: vec!["vip".into()],
            contents: vec![("hero".into(), "cta:1".into())],
        };
        assert_eq!(Event::decode(&seen.encode()), Ok(seen));
        let order = Event::Conversion {
            visitor: "v".into(),
            order: "o".into(),
            revenue: 12.5,
            at: 9,
        };
        assert_eq!(Event::decode(&order.encode()), Ok(order));
        assert!(Event::decode(r#"{"type":"party"}"#).is_err());
        assert!(Event::decode("][").is_err());
    }

    #[test]
    fn conversions_are_checked_field_by_field() {
        let ok = parse_conversion(r#"{"visitorId": "v", "orderId": 1001, "revenue": 42.5}"#, 7);
        assert_eq!(
            ok,
            Ok(Event::Conversion {
                visitor: "v".into(),
                order: "1001".into(),
                revenue: 42.5,
                at: 7
            })
        );
        let at = parse_conversion(
            r#"{"visitorId": "v", "orderId": "a", "at": "2026-11-24T00:00:00Z"}"#,
            7,
        );
        assert!(
            matches!(
                at,
                Ok(Event::Conversion {
                    at: 1_795_478_400_000,
                    ..
                })
            ),
            "{at:?}"
        );
        for (body, error) in [
            ("nope", "the body is not JSON"),
            (r#"{"orderId": "a"}"#, "visitorId is required"),
            (r#"{"visitorId": "v"}"#, "orderId is required"),
            (
                r#"{"visitorId": "v", "orderId": "a", "revenue": -1}"#,
                "revenue must be",
            ),
            (
                r#"{"visitorId": "v", "orderId": "a", "at": "yesterday"}"#,
                "at must be",
            ),
        ] {
            let got = parse_conversion(body, 0).expect_err(body);
            assert!(got.starts_with(error), "{body}: {got}");
        }
    }

    #[test]
    fn served_counts_are_summed_within_a_batch() {
        let seen = |visitor: &str| Event::Seen {
            visitor: visitor.into(),
            day: 3,
            segments: vec!["vip".into()],
            contents: vec![("hero".into(), "vip".into())],
        };
        let statements = statements(&[seen("a"), seen("b")]);
        let served: Vec<_> = statements.iter().filter(|s| s.sql == ADD_SERVED).collect();
        assert_eq!(served.len(), 1);
        assert_eq!(served[0].params[3], json!(2));
    }
}
