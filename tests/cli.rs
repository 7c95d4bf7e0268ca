//! The `tailor` command line: `validate` on the fixtures and on a broken config.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn tailor(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn the_fixtures_validate() {
    let (code, out) = tailor(&[
        "validate",
        "fixtures/config.json",
        "--catalog",
        "fixtures/catalog.json",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("fixtures/config.json: valid (version fixtures-1, 11 segments"),
        "{out}"
    );
    assert!(
        out.contains("fixtures/catalog.json: valid (36 products)"),
        "{out}"
    );
}

#[test]
fn a_broken_config_lists_every_error_and_expired_content_is_a_warning() {
    let dir = std::env::temp_dir().join(format!("tailor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let broken = dir.join("broken.json");
    std::fs::write(&broken, r#"{"segments": [{"id": "vip", "when": {"orders.count": {"$gt": "three"}}}],
        "slots": [{"id": "hero", "selector": "div[", "action": "setInnerContent"},
                  {"id": "offer", "selector": "p", "action": "append", "content": {"vipp": "x"}}]}"#).expect("write");
    let (code, out) = tailor(&["validate", broken.to_str().expect("path")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "error: segments[0].when.orders.count.$gt: expected a number, found \"three\""
        ),
        "{out}"
    );
    assert!(
        out.contains("error: slots[0].selector: invalid CSS selector \"div[\""),
        "{out}"
    );
    assert!(
        out.contains("error: slots[1].content.vipp: no segment has the id \"vipp\""),
        "{out}"
    );
    let expired = dir.join("expired.json");
    std::fs::write(
        &expired,
        r#"{"segments": [{"id": "bf", "when": {}}],
        "slots": [{"id": "s", "selector": "p", "action": "append",
                   "content": {"bf": {"template": "x", "schedule": {"end": "2025-11-30"}}}}]}"#,
    )
    .expect("write");
    let (code, out) = tailor(&["validate", expired.to_str().expect("path")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: slots[0].content.bf: ended 2025-11-30T00:00:00Z"),
        "{out}"
    );
    let (code, _) = tailor(&["frobnicate"]);
    assert_eq!(code, 2);
}
