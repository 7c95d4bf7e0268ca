//! The `tailor` command line, run as a user would: golden outputs in `tests/golden/cli/` for
//! `validate` and `explain` (text and `--json`), `render` against the golden pages of
//! `tests/golden/` (the same bytes the worker serves), the committed JSON Schema, exit codes,
//! and bad input that must be refused clearly, never with a panic.
//!
//! `UPDATE_GOLDEN=1 cargo test --test cli` rewrites the golden files (review the diff).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use tailor::config::schema::{config_schema, known_fields, EXEMPLARS};
use tailor::rewrite::check_selector;
use tailor::Config;

/// The fixed time of every golden run (2026-11-18T09:00:00Z is not NOW: any instant works).
const NOW: &str = "2026-11-18T09:00:00Z";

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn tailor(args: &[&str]) -> Run {
    tailor_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs the CLI from `dir` (its `.dev.vars`, if any, is the one read).
fn tailor_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(dir)
        .env_remove("TAILOR_ID_KEY")
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn golden_path(name: &str) -> PathBuf {
    common::root().join("tests/golden/cli").join(name)
}

/// Compares `actual` with the golden file `name` (or rewrites it with UPDATE_GOLDEN=1).
fn assert_golden(name: &str, actual: &[u8]) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("writes the golden file");
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|_| panic!("{name} missing: run UPDATE_GOLDEN=1 cargo test --test cli"));
    assert!(
        expected == actual,
        "{name} differs from the output:\n{}",
        String::from_utf8_lossy(actual)
    );
}

/// The options that make a persona's request at the fixed time, with the test key.
fn persona_args(persona: &str, url: &str) -> Vec<String> {
    [
        "--config",
        "fixtures/config.json",
        "--catalog",
        "fixtures/catalog.json",
        "--url",
        url,
        "--persona",
        &format!("fixtures/personas/{persona}.json"),
        "--now",
        NOW,
        "--id-key",
        common::ID_KEY,
        "--fixed-new-id",
    ]
    .map(String::from)
    .to_vec()
}

fn run_with(command: &str, args: &[String]) -> Run {
    let mut all = vec![command];
    all.extend(args.iter().map(String::as_str));
    tailor(&all)
}

#[test]
fn validate_outputs_match_the_goldens() {
    let cases: [(&str, &[&str], i32); 3] = [
        (
            "validate-fixtures.txt",
            &[
                "fixtures/config.json",
                "--catalog",
                "fixtures/catalog.json",
                "--page",
                "fixtures/storefront/index.html",
                "--page",
                "fixtures/storefront/cart.html",
            ],
            0,
        ),
        (
            "validate-warnings.txt",
            &[
                "tests/golden/cli/warnings.json",
                "--page",
                "fixtures/storefront/index.html",
            ],
            0,
        ),
        ("validate-broken.txt", &["tests/golden/cli/broken.json"], 1),
    ];
    for (name, args, expected_code) in cases {
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        all.extend(["--now", NOW]);
        let run = tailor(&all);
        assert_eq!(run.code, expected_code, "{name}: {}", run.stderr);
        assert_golden(name, &run.stdout);
    }
}

#[test]
fn explain_outputs_match_the_goldens_for_three_personas() {
    for (persona, url) in [
        ("vip", "https://shop.test/"),
        ("cart-abandoner", "https://shop.test/"),
        (
            "first-time",
            "https://shop.test/products/glacier-3-in-1-parka",
        ),
    ] {
        let args = persona_args(persona, url);
        let run = run_with("explain", &args);
        assert_eq!(run.code, 0, "{persona}: {}", run.stderr);
        assert_golden(&format!("explain-{persona}.txt"), &run.stdout);
        let mut json_args = args.clone();
        json_args.push("--json".into());
        let run = run_with("explain", &json_args);
        assert_eq!(run.code, 0, "{persona} --json: {}", run.stderr);
        let document: Value = serde_json::from_slice(&run.stdout).expect("one JSON document");
        assert!(document["segments"].is_array() && document["slots"].is_array());
        assert_golden(&format!("explain-{persona}.json"), &run.stdout);
    }
}

#[test]
fn explain_says_why_a_segment_matched_or_not() {
    let run = run_with("explain", &persona_args("vip", "https://shop.test/"));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("match    vip (priority 90): all 1 clause(s) hold"),
        "{text}"
    );
    assert!(text.contains("orders.count = 7"), "{text}");
    assert!(
        text.contains("no match lapsed (priority 80): fails {\"orders.daysSinceLast\":{\"$gt\":90}}, where orders.daysSinceLast = 21"),
        "{text}"
    );
    // Without the key the signed cookie cannot be checked: anonymous, as in the worker.
    let mut args = persona_args("vip", "https://shop.test/");
    let at = args
        .iter()
        .position(|a| a == "--id-key")
        .expect("has --id-key");
    args.drain(at..at + 2);
    // NOTE: from a directory without a .dev.vars (a developer's checkout has one after
    // `npm run demo`, and the CLI would read the key from it), with the paths made absolute.
    let elsewhere = std::env::temp_dir().join(format!("tailor-cli-no-key-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).expect("temp dir");
    let root = common::root();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("fixtures/") {
                root.join(a).display().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let mut all = vec!["explain"];
    all.extend(args.iter().map(String::as_str));
    let run = tailor_in(&elsewhere, &all);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("no visitor-id key (TAILOR_ID_KEY)"), "{text}");
    assert!(text.contains("(anonymous)"), "{text}");
}

/// `tailor render` must produce exactly the golden pages of `tests/golden/` (which the native
/// pipeline and, end to end, the worker in workerd also produce) for every persona case.
#[test]
fn render_outputs_the_golden_pages_byte_for_byte() {
    let root = common::root().join("tests/golden");
    let mut rendered = 0;
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/golden")
        .map(|entry| entry.expect("entry").path())
        .collect();
    cases.sort();
    for case in cases {
        let Ok(text) = std::fs::read_to_string(case.join("request.json")) else {
            continue;
        };
        let request: Value = serde_json::from_str(&text).expect("request.json");
        let (Some(persona), Some(page), Some(url)) = (
            request["persona"].as_str(),
            request["page"].as_str(),
            request["url"].as_str(),
        ) else {
            continue;
        };
        let name = persona
            .trim_start_matches("fixtures/personas/")
            .trim_end_matches(".json");
        let mut args = persona_args(name, url);
        let at = args.iter().position(|a| a == "--now").expect("has --now");
        args[at + 1] = common::NOW.to_string();
        args.extend(["--page".into(), page.into()]);
        let run = run_with("render", &args);
        assert_eq!(run.code, 0, "{}: {}", case.display(), run.stderr);
        let expected = std::fs::read(case.join("expected.html")).expect("expected.html");
        assert!(
            run.stdout == expected,
            "{}: tailor render differs from expected.html",
            case.display()
        );
        rendered += 1;
    }
    assert!(rendered >= 5, "only {rendered} persona cases rendered");

    // Not HTML: passed through untouched, as the worker does.
    let mut args = persona_args("vip", "https://shop.test/");
    args.extend(
        [
            "--page",
            "fixtures/storefront/index.html",
            "--content-type",
            "text/plain",
        ]
        .map(String::from),
    );
    let run = run_with("render", &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read(common::root().join("fixtures/storefront/index.html")).expect("page");
    assert_eq!(run.stdout, page);
}

#[test]
fn bad_input_is_refused_clearly_without_a_panic() {
    let base = |extra: &[&str]| {
        let mut args = vec![
            "explain",
            "--config",
            "fixtures/config.json",
            "--url",
            "https://shop.test/",
        ];
        args.extend_from_slice(extra);
        tailor(&args)
    };
    let cases: [(&str, Run, &str); 7] = [
        (
            "missing config",
            tailor(&["validate", "no/such/config.json"]),
            "cannot read no/such/config.json",
        ),
        (
            "missing profile",
            base(&["--profile", "no/such/profile.json"]),
            "cannot read no/such/profile.json",
        ),
        (
            "invalid JSON profile",
            base(&["--profile", "tests/golden/cli/not-a-profile.json"]),
            "tests/golden/cli/not-a-profile.json is not a profile: ",
        ),
        (
            "malformed cookie",
            base(&["--cookie", "tailor_vid; =x"]),
            "--cookie: \"tailor_vid\" is not a name=value pair",
        ),
        (
            "bad time",
            base(&["--now", "yesterday"]),
            "--now \"yesterday\": expected RFC 3339",
        ),
        (
            "relative URL",
            tailor(&[
                "explain",
                "--config",
                "fixtures/config.json",
                "--url",
                "/products/x",
            ]),
            "give the page's full URL",
        ),
        (
            "invalid config",
            tailor(&[
                "render",
                "--config",
                "tests/golden/cli/broken.json",
                "--url",
                "https://shop.test/",
                "--page",
                "fixtures/storefront/index.html",
            ]),
            "is not a valid config (7 error(s)",
        ),
    ];
    for (name, run, message) in cases {
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{name}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
}

#[test]
fn usage_errors_exit_2_and_every_command_has_help() {
    assert_eq!(tailor(&["frobnicate"]).code, 2);
    assert_eq!(tailor(&["validate"]).code, 2, "the config is required");
    assert_eq!(
        tailor(&["explain", "--config", "x.json"]).code,
        2,
        "--url is required"
    );
    for command in ["validate", "explain", "render", "schema", "push"] {
        let run = tailor(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command} --help");
        assert!(String::from_utf8_lossy(&run.stdout).contains("Usage: tailor"));
    }
}

#[test]
fn the_committed_schema_is_what_tailor_schema_prints() {
    let run = tailor(&["schema"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let committed =
        std::fs::read(common::root().join("schema/config.schema.json")).expect("committed");
    assert!(
        committed == run.stdout,
        "schema/config.schema.json is stale: run `cargo run --bin tailor -- schema > schema/config.schema.json`"
    );
}

fn schema() -> Value {
    config_schema(&EXEMPLARS, &check_selector).expect("the exemplars compile")
}

/// The draft 2020-12 keywords the derived schema uses, checked as a validator would: the
/// errors found, as JSON paths.
fn schema_errors(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(kind) = schema["type"].as_str() {
        let fits = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            other => panic!("unexpected type {other}"),
        };
        if !fits {
            out.push(format!("{path}: not {kind}"));
            return;
        }
    }
    if let Some(options) = schema["anyOf"].as_array() {
        let any = options.iter().any(|option| {
            let mut errors = Vec::new();
            schema_errors(option, value, path, &mut errors);
            errors.is_empty()
        });
        if !any {
            out.push(format!("{path}: matches none of anyOf"));
        }
    }
    if schema.get("not").is_some() {
        let mut errors = Vec::new();
        schema_errors(&schema["not"], value, path, &mut errors);
        if errors.is_empty() {
            out.push(format!("{path}: matches `not`"));
        }
    }
    if let (Some(fields), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            if !fields.contains_key(required.as_str().unwrap_or_default()) {
                out.push(format!("{path}.{required}: required"));
            }
        }
        for (key, field) in fields {
            match properties.get(key) {
                Some(property) => schema_errors(property, field, &format!("{path}.{key}"), out),
                None if schema["additionalProperties"] == json!(false) => {
                    out.push(format!("{path}.{key}: not allowed"))
                }
                None => {}
            }
        }
    } else if let (Some(fields), Some(additional)) =
        (value.as_object(), schema.get("additionalProperties"))
    {
        if additional.is_object() {
            for (key, field) in fields {
                schema_errors(additional, field, &format!("{path}.{key}"), out);
            }
        }
    }
    if let (Some(items), Some(item_schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            schema_errors(item_schema, item, &format!("{path}[{i}]"), out);
        }
    }
}

#[test]
fn the_fixture_config_validates_against_the_schema() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for exemplar in EXEMPLARS {
        let document: Value = serde_json::from_str(exemplar).expect("json");
        let mut errors = Vec::new();
        schema_errors(&schema, &document, "", &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        // Editors point at the schema with `$schema`, which the reader accepts.
        let mut with_schema = document.clone();
        with_schema["$schema"] = json!("./schema/config.schema.json");
        assert!(Config::compile(&with_schema, &check_selector).is_ok());
    }
    // A mistake the schema can see is caught by both.
    let mut wrong: Value = serde_json::from_str(EXEMPLARS[0]).expect("json");
    wrong["slots"][0]["selector"] = json!(3);
    let mut errors = Vec::new();
    schema_errors(&schema, &wrong, "", &mut errors);
    assert_eq!(errors, [".slots[0].selector: not string"]);
    assert!(Config::compile(&wrong, &check_selector).is_err());
}

/// Every object the reader opens while compiling the fixture (by JSON path), with a value.
fn objects_at(document: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let generic = |p: &str| {
        let mut g = String::new();
        let mut skipping = false;
        for c in p.chars() {
            match c {
                '[' => {
                    skipping = true;
                    g.push_str("[]");
                }
                ']' => skipping = false,
                _ if skipping => {}
                c => g.push(c),
            }
        }
        g
    };
    match document {
        Value::Object(fields) => {
            out.push((path.to_string(), generic(path)));
            for (key, value) in fields {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                objects_at(value, &child, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                objects_at(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Sets `key` in the object at a concrete JSON path like `slots[2].content.vip`.
fn object_mut<'a>(document: &'a mut Value, path: &str) -> &'a mut Value {
    let mut at = document;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = part
            .split_once('[')
            .map_or((part, ""), |(n, rest)| (n, rest));
        at = &mut at[name];
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let i: usize = index.trim_end_matches(']').parse().expect("index");
            at = &mut at[i];
        }
    }
    at
}

/// The object schema describing a generic path (`slots[].content.vip`).
fn schema_at<'a>(schema: &'a Value, generic: &str) -> &'a Value {
    let unwrap = |node: &'a Value| node.get("anyOf").map_or(node, |options| &options[0]);
    let mut node = schema;
    for part in generic.split('.').filter(|p| !p.is_empty()) {
        let name = part.trim_end_matches("[]");
        node = match node["properties"].get(name) {
            Some(property) => unwrap(property),
            None => unwrap(&node["additionalProperties"]),
        };
        for _ in 0..part.matches("[]").count() {
            node = unwrap(&node["items"]);
        }
    }
    node
}

#[test]
fn the_schema_and_the_reader_accept_the_same_fields_for_every_object_kind() {
    let schema = schema();
    let known = known_fields(&EXEMPLARS, &check_selector).expect("the exemplars compile");
    let documents: Vec<Value> = EXEMPLARS
        .iter()
        .map(|text| serde_json::from_str(text).expect("json"))
        .collect();
    let mut checked = 0;
    for (generic, fields) in &known {
        let found = documents.iter().find_map(|document| {
            let mut objects = Vec::new();
            objects_at(document, "", &mut objects);
            let (concrete, _) = objects.into_iter().find(|(_, g)| g == generic)?;
            Some((document, concrete))
        });
        let Some((document, concrete)) = found else {
            continue;
        };
        let concrete = &concrete;
        // An unknown field: both the reader and the schema refuse it.
        let mut broken = document.clone();
        object_mut(&mut broken, concrete)["zzUnknown"] = json!(1);
        let reader_errors = Config::compile(&broken, &check_selector).expect_err("refused");
        let where_ = if concrete.is_empty() {
            "zzUnknown".to_string()
        } else {
            format!("{concrete}.zzUnknown")
        };
        assert!(
            reader_errors
                .iter()
                .any(|e| e.path == where_ && e.message.starts_with("unknown field")),
            "reader accepts zzUnknown at {concrete}: {reader_errors:?}"
        );
        let mut schema_found = Vec::new();
        schema_errors(&schema, &broken, "", &mut schema_found);
        assert!(
            !schema_found.is_empty(),
            "schema accepts zzUnknown at {concrete}"
        );
        // Both know exactly the same field names.
        let described = schema_at(&schema, generic);
        let mut in_schema: Vec<&str> = described["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut in_reader = fields.clone();
        in_schema.sort_unstable();
        in_reader.sort_unstable();
        assert_eq!(in_schema, in_reader, "fields of {generic}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} object kinds checked");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::process::Stdio;
    // The page is larger than a pipe's buffer, so writing it meets the closed pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .arg("render")
        .args(persona_args("vip", "https://shop.test/"))
        .args(["--page", "fixtures/storefront/index.html"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
