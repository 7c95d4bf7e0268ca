//! The fuzz targets' properties on stable Rust, cheaply: every check in `fuzz/checks.rs` runs
//! over its target's seed files (`fuzz/seeds/<target>/`) and over a few hundred generated
//! inputs. The coverage-guided runs themselves need nightly: see `fuzz/README.md`.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

#[path = "../fuzz/checks.rs"]
mod checks;

use proptest::prelude::*;
use std::path::Path;

/// A fuzz target's check: any bytes in, a panic when a property fails.
type Check = fn(&[u8]);

/// Each fuzz target's name (its seeds are in `fuzz/seeds/<name>/`) and check.
const TARGETS: &[(&str, Check)] = &[
    ("cookies", checks::cookies),
    ("config", checks::config),
    ("conditions", checks::conditions),
    ("templates", checks::templates),
    ("webhooks", checks::webhooks),
    ("user_agent", checks::user_agent),
    ("consent", checks::consent),
    ("preview", checks::preview),
];

#[test]
fn every_target_passes_on_its_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, check) in TARGETS {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut count = 0;
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("{target}: {}", path.display());
            check(&data);
            count += 1;
        }
        assert!(count > 0, "no seeds in {}", dir.display());
    }
}

#[test]
fn tag_names_are_what_opens_or_closes() {
    assert_eq!(
        checks::tag_names("<p a=1>x</P><!-- c --> a < b <br/><my-el>"),
        ["p", "p", "br", "my-el"]
    );
    assert_eq!(
        checks::opened_tags("<p a=\"</x>\" b='<y'>t</P><!-- <z> --> a < b <br/>"),
        ["p", "p", "br"]
    );
    // A quote opens a value only after `=`: here `="x` is an attribute's name, and `</q` is
    // inside the quoted value of `b`.
    assert_eq!(
        checks::opened_tags("<p =\"x b=\"</q\" c=d\"e>t</p>"),
        ["p", "p"]
    );
    // A `/` ends a tag's name: `b="…"` after it is an attribute with a quoted value.
    assert_eq!(
        checks::opened_tags("<i'x\"4/b=\">\"</q\">t</i>"),
        ["i", "i"]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cookie_values(value in prop_oneof![
        any::<String>(),
        "1\\.[0-9a-z]{1,8}\\.[0-9a-z]{0,3}\\.[0-9a-z]{0,3}\\.[1-9]\\.[1-9]\\.[0-9]\\.[0-9a-z]{0,3}\\.[a-z:0-9-]{0,20}\\.[a-z:0-9-]{0,12}!",
        "1(\\.[a-z%0-9]{1,6}~[0-9]{1,3}~[a-z0-9%]{1,4}){0,4}",
        "1\\.20000(\\.[0-9a-z+]{1,7}){0,5}",
        "[a-z_]{1,8}=[^;]{0,12}(; [a-z_]{1,8}=[^;]{0,12}){0,3}",
        "cart_count= ?[0-9]{1,21} ?; cart_ts= ?[0-9]{1,21}",
        "[0-9]{4}-[0-1][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9](:[0-6][0-9](\\.[0-9]{1,4})?)?(Z|[+-][0-2][0-9]:[0-5][0-9])?)?",
    ]) {
        checks::cookies(value.as_bytes());
    }

    #[test]
    fn user_agents_and_urls(value in prop_oneof![
        any::<String>(),
        "[a-z_%+=&?#:/.0-9]{0,40}",
        "Mozilla/5\\.0 \\([A-Za-z0-9 ;._]{0,30}\\) [A-Za-z/0-9. ]{0,30}",
    ]) {
        checks::user_agent(value.as_bytes());
    }

    #[test]
    fn consent_cookie_headers(value in prop_oneof![
        any::<String>(),
        "(_tracking_consent|tailor_optout)=[\"{}m:01%A-F ]{0,16}(; [a-z_]{1,17}=[^;]{0,8}){0,2}",
    ]) {
        checks::consent(value.as_bytes());
    }

    #[test]
    fn preview_tokens_and_requests(value in prop_oneof![
        any::<Vec<u8>>(),
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,24}".prop_map(String::into_bytes),
        "\\{\"(segment|segments|variants|ttlSeconds|path)\":(\"vip\"|\\[\"new\"\\]|\\{\"cta\":1\\}|600|\"/p\")\\}"
            .prop_map(String::into_bytes),
    ]) {
        checks::preview(value.as_ref());
    }

    #[test]
    fn webhook_bodies(value in prop_oneof![
        any::<Vec<u8>>(),
        "\\{\"id\":\"[a-z0-9]{0,4}\",\"type\":\"(order|cart|customer)\"(,\"[a-zA-Z]{1,10}\":(\\[\\]|\\{\\}|1|\"x\"|null))?\\}"
            .prop_map(String::into_bytes),
    ]) {
        checks::webhooks(value.as_ref());
    }

    #[test]
    fn condition_documents(
        condition in "\\{\"[a-z$.]{1,8}\":(1|\"a\"|\\[1,\"a\"\\]|\\{\"\\$[a-z]{2,6}\":(1|\"1\\.2\"|\\[\\]|null)\\})\\}",
        attributes in "\\{\"[a-z]{1,3}\":(1|\"a\"|\\[1\\]|null|\\{\\})\\}",
    ) {
        checks::conditions(format!("{condition}\0{attributes}").as_bytes());
    }

    #[test]
    fn template_sources(source in "[{}%|:a-z \"'<>=./0-9-]{0,48}", text in "[<>&\"'a-z:/ ]{0,16}") {
        checks::templates(format!("{source}\0{text}").as_bytes());
    }
}
