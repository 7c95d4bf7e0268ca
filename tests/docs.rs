//! Keeps the merchant's guide honest: the attribute reference in `docs/merchant-guide.md` lists
//! exactly the attributes the decision builds for the fixture personas (every key they produce
//! is documented, every documented attribute is produced), and every config example in the
//! guide compiles.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{config_at, identify, persona_at, persona_request, root, NOW};
use serde_json::{Map, Value};
use tailor::content::Catalog;
use tailor::rewrite::check_selector;
use tailor::visitor::{attributes, Behaviour, Visitor, VisitorContext, BEHAVIOUR_COOKIE};
use tailor::{record_page_view, Config, RequestFacts};

const GUIDE: &str = "docs/merchant-guide.md";

/// The heading of the guide's section whose tables list every attribute, one per row.
const REFERENCE: &str = "## Attribute reference";

fn guide() -> String {
    fs::read_to_string(root().join(GUIDE)).expect("the merchant guide")
}

/// The attribute names in the first column of the tables of the reference section.
fn documented_attributes(text: &str) -> BTreeSet<String> {
    let start = text
        .find(REFERENCE)
        .expect("the attribute reference section");
    let section = &text[start + REFERENCE.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

/// The attribute document a visitor gets on `url`, built as the decision builds it.
fn attributes_for(
    config: &Config,
    request: &RequestFacts,
    visitor: &Visitor,
    persona: &Value,
) -> Value {
    let (_, profile) = persona_request(config, persona, &request.url, request.now_ms);
    let previous = request
        .cookie(BEHAVIOUR_COOKIE)
        .filter(|_| visitor.personal)
        .and_then(Behaviour::parse);
    let (page, behaviour) = record_page_view(config, request.path(), previous.as_ref(), NOW);
    let context = VisitorContext {
        request,
        visitor,
        profile: profile.as_ref().filter(|_| visitor.personal),
        behaviour: &behaviour,
        page: &page,
    };
    attributes(&context, &config.cart)
}

/// Every attribute path of `value`: a documented path is a leaf (objects such as `page.query`
/// are documented whole), other objects are walked into.
fn paths(value: &Value, prefix: &str, documented: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) if !documented.contains(prefix) => {
            for (key, child) in fields {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                paths(child, &path, documented, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

/// Every persona (and near miss) on the home page and a product page, plus an anonymous
/// visitor and a crawler.
fn produced_attributes(documented: &BTreeSet<String>) -> BTreeSet<String> {
    let config = config_at("fixtures/config.json");
    let mut documents = Vec::new();
    for dir in ["fixtures/personas", "fixtures/personas/near-misses"] {
        let mut files: Vec<_> = fs::read_dir(root().join(dir))
            .expect("persona dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let relative = file.strip_prefix(root()).expect("under root");
            let persona = persona_at(&relative.to_string_lossy());
            for url in [
                "https://shop.test/",
                "https://shop.test/products/ridgeline-rain-shell?utm_source=mail",
            ] {
                let (request, _) = persona_request(&config, &persona, url, NOW);
                let visitor = identify(&request, [1; 16]);
                let document = attributes_for(&config, &request, &visitor, &persona);
                documents.push(document);
            }
        }
    }
    let anonymous = Visitor::anonymous([2; 16]);
    let request = RequestFacts::get("https://shop.test/collections/footwear", None, NOW);
    let document = attributes_for(&config, &request, &anonymous, &Value::Object(Map::new()));
    documents.push(document);

    let mut produced = BTreeSet::new();
    for document in &documents {
        paths(document, "", documented, &mut produced);
    }
    produced
}

#[test]
fn every_attribute_the_decision_builds_is_in_the_reference_and_back() {
    let documented = documented_attributes(&guide());
    assert!(
        documented.len() > 50,
        "the reference lists only {} attributes",
        documented.len()
    );
    let produced = produced_attributes(&documented);
    let undocumented: Vec<&String> = produced.difference(&documented).collect();
    let phantom: Vec<&String> = documented.difference(&produced).collect();
    assert!(
        undocumented.is_empty(),
        "attributes missing from {GUIDE} ({REFERENCE}): {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "attributes in {GUIDE} that no visitor has: {phantom:?}"
    );
}

/// The guide's table of which segments each persona matches on the home page.
const MEMBERSHIPS: &str = "| persona | segments matched | hero from |";

#[test]
fn the_personas_match_the_segments_the_guide_says() {
    let text = guide();
    let start = text
        .find(MEMBERSHIPS)
        .expect("the personas' memberships table");
    let rows: Vec<(String, String)> = text[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            Some((
                cells.get(1)?.trim_matches('`').to_string(),
                cells.get(2)?.to_string(),
            ))
        })
        .collect();
    assert_eq!(rows.len(), 10, "one row per persona: {rows:?}");
    let config = config_at("fixtures/config.json");
    let mut failures = Vec::new();
    for (persona, documented) in rows {
        let file = persona_at(&format!("fixtures/personas/{persona}.json"));
        let (request, _) = persona_request(&config, &file, "https://shop.test/", NOW);
        let visitor = identify(&request, [1; 16]);
        let document = attributes_for(&config, &request, &visitor, &file);
        let matched: Vec<String> = tailor::segment::memberships(&config.segments, &document, NOW)
            .into_iter()
            .map(|m| m.segment)
            .collect();
        if matched.join(", ") != documented {
            failures.push(format!(
                "{persona}: the guide says {documented:?}, the decision {matched:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The JSON examples of the guide: every ```json block parses; a catalog (it has "products")
/// is a valid catalog, a profile (it has "customerId") is an object, and anything else is a
/// config that compiles.
#[test]
fn every_json_example_in_the_guide_is_valid() {
    let text = guide();
    let mut configs = 0;
    let mut failures = Vec::new();
    for (i, block) in text.split("```json\n").skip(1).enumerate() {
        let body = block.split("\n```").next().unwrap_or_default();
        let fields = match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(fields)) => fields,
            other => {
                failures.push(format!("json block {i} is not a JSON object: {other:?}"));
                continue;
            }
        };
        let errors = if fields.contains_key("products") {
            Catalog::parse(body).err()
        } else if fields.contains_key("customerId") {
            None
        } else {
            configs += 1;
            Config::parse(body, &check_selector).err()
        };
        if let Some(errors) = errors {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            failures.push(format!("json block {i}:\n  {}", list.join("\n  ")));
        }
    }
    assert!(configs >= 10, "only {configs} config examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
