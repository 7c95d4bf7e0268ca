//! The event store's SQL, run on real SQLite (D1 is SQLite): the migration, the consumer's
//! statements and the report queries, with Queue redelivery and out-of-order events.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use rusqlite::{params_from_iter, types::Value as Sql, Connection};
use serde_json::{json, Value};
use tailor::events::{
    arm_totals, content_totals, segment_totals, statements, Event, CONTENT_TOTALS_SQL,
    EXPERIMENT_TOTALS_SQL, SEGMENT_TOTALS_SQL,
};
use tailor::report::{ArmTotals, ContentTotals, SegmentTotals};

const DAY_MS: u64 = 86_400_000;

fn database() -> Connection {
    let db = Connection::open_in_memory().expect("sqlite");
    let schema = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/0001_events.sql"
    ))
    .expect("migration");
    db.execute_batch(&schema).expect("migration applies");
    db
}

fn sql_value(value: &Value) -> Sql {
    match value {
        Value::String(s) => Sql::Text(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            Sql::Integer(n.as_i64().unwrap_or(i64::MAX))
        }
        Value::Number(n) => Sql::Real(n.as_f64().unwrap_or(0.0)),
        _ => Sql::Null,
    }
}

/// Runs a batch as the consumer does: all statements in one transaction.
fn consume(db: &mut Connection, batch: &[Event]) {
    let tx = db.transaction().expect("tx");
    for statement in statements(batch) {
        tx.execute(
            statement.sql,
            params_from_iter(statement.params.iter().map(sql_value)),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", statement.sql));
    }
    tx.commit().expect("commit");
}

/// Runs a report query, rows as JSON objects (as D1 returns them).
fn query(db: &Connection, sql: &str, param: Value) -> Vec<Value> {
    let mut statement = db.prepare(sql).expect("prepare");
    let names: Vec<String> = statement
        .column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = statement
        .query_map([sql_value(&param)], |row| {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = match row.get::<_, Sql>(i)? {
                    Sql::Integer(n) => json!(n),
                    Sql::Real(x) => json!(x),
                    Sql::Text(s) => json!(s),
                    _ => Value::Null,
                };
                object.insert(name.clone(), value);
            }
            Ok(Value::Object(object))
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

fn exposure(visitor: &str, variant: u32, at: u64) -> Event {
    Event::Exposure {
        experiment: "cta".into(),
        variant,
        visitor: visitor.into(),
        at,
    }
}

fn order(visitor: &str, id: &str, revenue: f64, at: u64) -> Event {
    Event::Conversion {
        visitor: visitor.into(),
        order: id.into(),
        revenue,
        at,
    }
}

fn arms(db: &Connection) -> Vec<ArmTotals> {
    let names = ["Control".to_string(), "Bold".to_string()];
    arm_totals(&query(db, EXPERIMENT_TOTALS_SQL, json!("cta")), &names)
}

#[test]
fn conversions_are_attributed_to_the_variant_seen_before_the_order() {
    let mut db = database();
    let batch = [
        exposure("a", 0, 100),
        exposure("b", 1, 100),
        exposure("c", 1, 100),
        // b orders twice after exposure; c ordered before ever seeing the test.
        order("b", "o1", 30.0, 200),
        order("b", "o2", 10.0, 300),
        order("c", "o3", 99.0, 50),
        // Someone never exposed.
        order("z", "o4", 5.0, 200),
    ];
    consume(&mut db, &batch);
    assert_eq!(
        arms(&db),
        [
            ArmTotals {
                variant: 0,
                name: "Control".into(),
                visitors: 1,
                conversions: 0,
                revenue: 0.0,
                revenue_squares: 0.0
            },
            ArmTotals {
                variant: 1,
                name: "Bold".into(),
                visitors: 2,
                conversions: 1,
                revenue: 40.0,
                revenue_squares: 1600.0
            },
        ]
    );

    // The Queue redelivers the whole batch: nothing changes.
    consume(&mut db, &batch);
    assert_eq!(arms(&db)[1].visitors, 2);
    assert_eq!(arms(&db)[1].revenue, 40.0);
}

#[test]
fn the_first_exposure_wins_whatever_the_delivery_order() {
    let mut db = database();
    consume(&mut db, &[exposure("a", 1, 500)]);
    consume(&mut db, &[exposure("a", 0, 100)]);
    consume(&mut db, &[exposure("a", 1, 900)]);
    let totals = arms(&db);
    assert_eq!((totals[0].visitors, totals[1].visitors), (1, 0));
}

#[test]
fn the_audit_counts_distinct_visitors_in_windows() {
    let mut db = database();
    let today = 20_000u32;
    let seen = |visitor: &str, day: u32| Event::Seen {
        visitor: visitor.into(),
        day,
        segments: vec!["vip".into()],
        contents: vec![("hero".into(), "vip".into())],
    };
    consume(
        &mut db,
        &[
            seen("a", today),
            seen("a", today - 1),
            seen("b", today - 10),
            seen("c", today - 40),
        ],
    );
    consume(
        &mut db,
        &[order("b", "o1", 25.0, u64::from(today - 5) * DAY_MS)],
    );
    assert_eq!(
        segment_totals(&query(&db, SEGMENT_TOTALS_SQL, json!(today))),
        [SegmentTotals {
            segment: "vip".into(),
            visitors_7d: 1,
            visitors_30d: 2
        }]
    );
    assert_eq!(
        content_totals(&query(&db, CONTENT_TOTALS_SQL, json!(today))),
        [ContentTotals {
            slot: "hero".into(),
            content: "vip".into(),
            served: 3,
            visitors: 2,
            conversions: 1,
            revenue: 25.0
        }]
    );
}
