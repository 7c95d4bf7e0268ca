//! Golden pages: each case in `tests/golden/<case>/` is a config, a request (URL, cookies,
//! profile, content type) and an origin page; the whole pipeline must produce exactly
//! `expected.html`. Every case is replayed with the page split at random chunk boundaries (the
//! seed is printed on failure). The end-to-end suite replays the same cases through the
//! runtime's HTMLRewriter in workerd, so both engines are held to the same bytes.
//!
//! `request.json` may instead name a config file (`"config": "fixtures/config.json"`), a page
//! (`"page": "fixtures/storefront/index.html"`) and a persona whose cookies, history and
//! profile make the request (`"persona": "fixtures/personas/vip.json"`).
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expected files (review the diff).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tailor::response::charset;
use tailor::rewrite::{check_selector, NativeRewriter};
use tailor::{decide, Config, DecideOptions, Profile, RequestFacts};

const SPLITS_PER_CASE: u64 = 25;

struct Case {
    name: String,
    dir: PathBuf,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<Case> = fs::read_dir(&root)
        .expect("tests/golden exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.join("request.json").exists())
        .map(|dir| Case {
            name: dir
                .file_name()
                .expect("named")
                .to_string_lossy()
                .into_owned(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Small deterministic generator for chunk boundaries (xorshift64*).
struct Splitter(u64);

impl Splitter {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Splits `input` into chunks of 1 to 64 bytes, with an occasional large one.
    fn split<'a>(&mut self, input: &'a [u8]) -> Vec<&'a [u8]> {
        let mut chunks = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let max = if self.next() % 8 == 0 { 4096 } else { 64 };
            let len = (1 + self.next() % max) as usize;
            let (chunk, tail) = rest.split_at(len.min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        chunks
    }
}

fn request_spec(case: &Case) -> Value {
    let text = fs::read_to_string(case.dir.join("request.json")).expect("request.json");
    serde_json::from_str(&text).expect("request.json is JSON")
}

/// The origin page of a case: its `input.html`, or the page `request.json` names.
fn input(case: &Case) -> Vec<u8> {
    match request_spec(case)["page"].as_str() {
        Some(page) => fs::read(common::root().join(page)).expect("page"),
        None => fs::read(case.dir.join("input.html")).expect("input.html"),
    }
}

/// Runs the pipeline for one case: what the worker would serve for that request.
fn render(case: &Case, chunks: &[&[u8]]) -> Vec<u8> {
    let request = request_spec(case);
    let config = match request["config"].as_str() {
        Some(path) => common::config_at(path),
        None => {
            let text = fs::read_to_string(case.dir.join("config.json")).expect("config.json");
            Config::parse(&text, &check_selector)
                .unwrap_or_else(|errors| panic!("case {}: invalid config: {errors:#?}", case.name))
        }
    };
    let url = request["url"].as_str().expect("request.url");
    let (facts, profile) = match request["persona"].as_str() {
        Some(persona) => {
            common::persona_request(&config, &common::persona_at(persona), url, common::NOW)
        }
        None => (
            RequestFacts::get(
                url,
                request["cookie"]
                    .as_str()
                    .map(common::sign_visitor_cookies)
                    .as_deref(),
                common::NOW,
            ),
            request["profile"].as_object().cloned().map(Profile::from),
        ),
    };
    let visitor = common::identify(&facts, [42; 16]);
    let decision = decide(
        &config,
        &facts,
        &visitor,
        profile.as_ref(),
        Some(&common::catalog()),
        DecideOptions::default(),
    );
    let content_type = request["contentType"]
        .as_str()
        .unwrap_or("text/html; charset=utf-8");
    if decision.plan.is_empty() {
        // The worker hands the origin's stream back untouched.
        return chunks.concat();
    }
    let mut rewriter =
        NativeRewriter::new(&decision.plan, charset(content_type)).expect("plan compiles");
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(rewriter.write(chunk).expect("rewrites"));
    }
    out.extend(rewriter.end().expect("ends"));
    out
}

#[test]
fn golden_pages_come_out_exactly_as_expected_in_any_chunking() {
    let cases = cases();
    assert!(cases.len() >= 14, "golden cases missing: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let input = input(case);
        let whole = render(case, &[&input]);
        let expected_path = case.dir.join("expected.html");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            fs::write(&expected_path, &whole).expect("writes expected.html");
        }
        let expected = fs::read(&expected_path).unwrap_or_else(|_| {
            panic!(
                "case {}: expected.html missing (UPDATE_GOLDEN=1)",
                case.name
            )
        });
        if whole != expected {
            failures.push(format!(
                "{}: whole page differs from expected.html",
                case.name
            ));
            continue;
        }
        for seed in 1..=SPLITS_PER_CASE {
            let mut splitter = Splitter(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let chunks = splitter.split(&input);
            if render(case, &chunks) != expected {
                failures.push(format!(
                    "{}: differs when split into {} chunks (seed {seed})",
                    case.name,
                    chunks.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_case_where_nothing_applies_is_byte_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/nothing-applies");
    assert_eq!(
        fs::read(root.join("input.html")).expect("input"),
        fs::read(root.join("expected.html")).expect("expected")
    );
}
