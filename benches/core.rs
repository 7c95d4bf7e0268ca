//! The functional core's cost, natively (criterion): what an isolate pays once (parsing and
//! compiling the config) and what every page view pays (the decision: visitor context,
//! segments, experiments, content, recommendations), plus the same rewrite plan applied by
//! `lol_html` against a do-nothing plan on the same page, as the baseline.
//!
//! `cargo bench --bench core`. The worker applies plans with the runtime's own HTMLRewriter,
//! not this code; the rewrite figures show the plan's cost relative to parsing alone.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fs;
    use std::hint::black_box;

    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use tailor::rewrite::{check_selector, rewrite_page};
    use tailor::{decide, Action, Config, DecideOptions, Edit, RewritePlan};

    use super::common::{catalog, identify, persona_at, persona_request, root, NOW};

    const PERSONAS: [&str; 4] = ["vip", "cart-abandoner", "first-time", "browse-abandoner"];

    fn config_load(c: &mut Criterion) {
        let text = fs::read_to_string(root().join("fixtures/config.json")).expect("config");
        c.bench_function(
            "config: parse, validate and compile the fixture config",
            |b| b.iter(|| Config::parse(black_box(&text), &check_selector).expect("valid")),
        );
    }

    fn decisions(c: &mut Criterion) {
        let config = Config::parse(
            &fs::read_to_string(root().join("fixtures/config.json")).expect("config"),
            &check_selector,
        )
        .expect("valid");
        let catalog = catalog();
        let mut group = c.benchmark_group("decide: one page view");
        for name in PERSONAS {
            let persona = persona_at(&format!("fixtures/personas/{name}.json"));
            let (request, profile) = persona_request(&config, &persona, "https://shop.test/", NOW);
            let visitor = identify(&request, [1; 16]);
            group.bench_with_input(BenchmarkId::from_parameter(name), &request, |b, request| {
                b.iter(|| {
                    decide(
                        &config,
                        black_box(request),
                        &visitor,
                        profile.as_ref(),
                        Some(&catalog),
                        DecideOptions::default(),
                    )
                })
            });
        }
        group.finish();
    }

    fn rewrites(c: &mut Criterion) {
        let config = Config::parse(
            &fs::read_to_string(root().join("fixtures/config.json")).expect("config"),
            &check_selector,
        )
        .expect("valid");
        let page = fs::read(root().join("fixtures/storefront/index.html")).expect("home page");
        let persona = persona_at("fixtures/personas/vip.json");
        let (request, profile) = persona_request(&config, &persona, "https://shop.test/", NOW);
        let visitor = identify(&request, [1; 16]);
        let vip = decide(
            &config,
            &request,
            &visitor,
            profile.as_ref(),
            Some(&catalog()),
            DecideOptions::default(),
        )
        .plan;
        // NOTE: the baseline must still parse the page: one handler that matches nothing.
        let nothing = RewritePlan {
            edits: vec![Edit {
                selector: "[data-never-present]".into(),
                action: Action::Remove,
                reason: "baseline".into(),
            }],
        };
        let mut group = c.benchmark_group("lol_html: the 122 KB home page");
        group.throughput(Throughput::Bytes(page.len() as u64));
        group.bench_function("parse only (baseline)", |b| {
            b.iter(|| rewrite_page(&nothing, black_box(&page), Some("utf-8")).expect("rewrite"))
        });
        group.bench_function(format!("the VIP's plan ({} edits)", vip.edits.len()), |b| {
            b.iter(|| rewrite_page(&vip, black_box(&page), Some("utf-8")).expect("rewrite"))
        });
        group.finish();
    }

    /// What identity adds to every page view: verifying the signed visitor cookie (one
    /// HMAC-SHA256) and deciding consent, against the decision it precedes.
    fn identity(c: &mut Criterion) {
        let config = Config::parse(
            &fs::read_to_string(root().join("fixtures/config.json")).expect("config"),
            &check_selector,
        )
        .expect("valid");
        let persona = persona_at("fixtures/personas/vip.json");
        let (request, _) = persona_request(&config, &persona, "https://shop.test/", NOW);
        let mut group = c.benchmark_group("identity: per page view");
        group.bench_function("verify the signed visitor cookie", |b| {
            b.iter(|| identify(black_box(&request), [1; 16]))
        });
        group.bench_function("decide consent", |b| {
            b.iter(|| tailor::privacy::decide_consent(&config.consent, black_box(&request)))
        });
        group.finish();
    }

    /// The decision's largest part: the visitor's attributes (the object conditions and
    /// templates read), for the VIP on the home page.
    fn attributes(c: &mut Criterion) {
        use tailor::visitor::{attributes, Behaviour, VisitorContext, BEHAVIOUR_COOKIE};
        let config = Config::parse(
            &fs::read_to_string(root().join("fixtures/config.json")).expect("config"),
            &check_selector,
        )
        .expect("valid");
        let persona = persona_at("fixtures/personas/vip.json");
        let (request, profile) = persona_request(&config, &persona, "https://shop.test/", NOW);
        let visitor = identify(&request, [1; 16]);
        let page = config.pages.classify(request.path());
        let previous = request.cookie(BEHAVIOUR_COOKIE).and_then(Behaviour::parse);
        let behaviour = Behaviour::record_page_view(previous.as_ref(), &page, NOW);
        let context = VisitorContext {
            request: &request,
            visitor: &visitor,
            profile: profile.as_ref(),
            behaviour: &behaviour,
            page: &page,
        };
        c.bench_function("attributes: the VIP on the home page", |b| {
            b.iter(|| attributes(black_box(&context), &config.cart))
        });
    }

    criterion_group!(
        benches,
        config_load,
        decisions,
        rewrites,
        identity,
        attributes
    );
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
