//! Prints, as JSON, the rewrite plan a fixture persona gets on a page: what the benchmark's
//! JavaScript `HTMLRewriter` worker applies, so it makes exactly the edits Tailor makes.
//!
//! `cargo run --example plan -- vip /` (persona name, path).

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let mut args = std::env::args().skip(1);
    let persona = args.next().unwrap_or_else(|| "vip".to_string());
    let path = args.next().unwrap_or_else(|| "/".to_string());
    let config = common::config_at("fixtures/config.json");
    let persona_json = common::persona_at(&format!("fixtures/personas/{persona}.json"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(common::NOW, |d| d.as_millis() as u64);
    let url = format!("https://shop.test{path}");
    let (request, profile) = common::persona_request(&config, &persona_json, &url, now);
    let visitor = common::identify(&request, [1; 16]);
    let decision = tailor::decide(
        &config,
        &request,
        &visitor,
        profile.as_ref(),
        Some(&common::catalog()),
        tailor::DecideOptions::default(),
    );
    match serde_json::to_string_pretty(&decision.plan) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("plan: {e}"),
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
