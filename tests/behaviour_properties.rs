//! Property tests for the behaviour cookie: any history of page views encodes to a cookie-safe
//! value of at most 1,500 bytes that parses back exactly, and parsing never panics.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use proptest::prelude::*;
use tailor::visitor::behaviour::{
    sanitize_handle, Behaviour, MAX_CATEGORIES, MAX_ENCODED_LEN, MAX_PRODUCTS, MAX_VIEWS_PER_ITEM,
    SESSION_TIMEOUT_MS,
};
use tailor::visitor::PageKind;

/// One thing that happens to the cookie.
#[derive(Debug, Clone)]
enum Step {
    /// A page view, `gap_ms` after the previous one (negative: the clock went backwards).
    View { page: PageKind, gap_ms: i64 },
    /// The later purchase feature sets the last purchase time.
    Purchase(Option<u64>),
}

/// Handles: small pools of short and of longest valid handles (so items are viewed again and
/// evicted, and the size budget bites), other long ones, and hostile strings (which must never
/// reach the cookie).
fn handle() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-e]",
        4 => "[a-p]".prop_map(|c| c.repeat(64)),
        2 => "[a-z0-9_-]{60,64}",
        1 => "[A-Za-z0-9_-]{1,70}",
        1 => any::<String>(),
        1 => "[ ;,\"\\\\=.:~!%]{1,8}",
    ]
}

fn page() -> impl Strategy<Value = PageKind> {
    prop_oneof![
        4 => handle().prop_map(|handle| PageKind::Product { handle }),
        3 => handle().prop_map(|handle| PageKind::Category { handle }),
        1 => Just(PageKind::Cart),
        1 => Just(PageKind::OrderConfirmation),
        1 => Just(PageKind::Other),
    ]
}

fn gap_ms() -> impl Strategy<Value = i64> {
    let timeout = i64::try_from(SESSION_TIMEOUT_MS).unwrap_or(i64::MAX);
    prop_oneof![
        4 => 0i64..120_000,
        2 => 0i64..3 * timeout,
        1 => (timeout - 2)..(timeout + 2),
        1 => 0i64..40 * 24 * 3_600_000,
        1 => -3_600_000i64..0,
        1 => any::<i64>(),
    ]
}

/// Only products and categories with the longest handles, from pools just the size of the
/// caps: every item soon holds its full view history, so only the byte budget limits growth.
fn heavy_page() -> impl Strategy<Value = PageKind> {
    prop_oneof![
        3 => "[a-l]".prop_map(|c| PageKind::Product { handle: c.repeat(64) }),
        2 => "[a-h]".prop_map(|c| PageKind::Category { handle: c.repeat(64) }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    steps_of(page())
}

fn steps_of(page: impl Strategy<Value = PageKind>) -> impl Strategy<Value = Step> {
    prop_oneof![
        20 => (page, gap_ms()).prop_map(|(page, gap_ms)| Step::View { page, gap_ms }),
        1 => proptest::option::of(any::<u64>()).prop_map(Step::Purchase),
    ]
}

fn start_ms() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1_600_000_000_000u64..1_900_000_000_000,
        1 => Just(0u64),
        1 => any::<u64>(),
    ]
}

fn cookie_safe(value: &str) -> bool {
    // RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
    value
        .bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

/// Replays `steps`, checking the encoding's contract after each one.
fn replay(start: u64, steps: &[Step]) -> Result<Option<Behaviour>, TestCaseError> {
    let mut now = start;
    let mut behaviour: Option<Behaviour> = None;
    for step in steps {
        match step {
            Step::View { page, gap_ms } => {
                now = now.saturating_add_signed(*gap_ms);
                behaviour = Some(Behaviour::record_page_view(behaviour.as_ref(), page, now));
            }
            Step::Purchase(at) => {
                if let Some(b) = behaviour.as_mut() {
                    b.set_last_purchase_ms(*at);
                }
            }
        }
        let Some(b) = behaviour.as_ref() else {
            continue;
        };
        let encoded = b.encode();
        prop_assert!(encoded.len() <= MAX_ENCODED_LEN, "{} bytes", encoded.len());
        prop_assert!(cookie_safe(&encoded), "not cookie-safe: {encoded:?}");
        prop_assert_eq!(Behaviour::parse(&encoded), Some(b.clone()), "{}", encoded);
        check_invariants(b)?;
    }
    Ok(behaviour)
}

fn check_invariants(b: &Behaviour) -> Result<(), TestCaseError> {
    prop_assert!(b.visit_count() >= 1);
    prop_assert!(b.session_page_views() >= 1);
    prop_assert!(b.session_product_views() <= b.session_page_views());
    prop_assert!(b.first_seen_ms() <= b.session_started_ms());
    prop_assert!(b.session_started_ms() <= b.last_seen_ms());
    prop_assert!(b.products().len() <= MAX_PRODUCTS);
    prop_assert!(b.categories().len() <= MAX_CATEGORIES);
    for item in b.products().iter().chain(b.categories()) {
        let sanitized = sanitize_handle(item.handle());
        prop_assert_eq!(sanitized.as_deref(), Some(item.handle()));
        prop_assert!(!item.views_ms().is_empty() && item.views_ms().len() <= MAX_VIEWS_PER_ITEM);
        prop_assert!(item.views_ms().windows(2).all(|w| w[0] >= w[1]));
        prop_assert!(item.last_viewed_ms() <= b.last_seen_ms());
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_history_round_trips_exactly(start in start_ms(), steps in prop::collection::vec(step(), 1..80)) {
        replay(start, &steps)?;
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        if let Some(b) = Behaviour::parse(&text) {
            prop_assert_eq!(b.encode(), text, "only canonical values are accepted");
        }
    }

    #[test]
    fn parse_never_panics_on_near_misses(text in "1\\.[0-9a-z]{0,14}(\\.[0-9a-z]{0,8}){0,6}\\.[0-9a-z~:_-]{0,40}\\.[0-9a-z~:_-]{0,40}!?") {
        if let Some(b) = Behaviour::parse(&text) {
            prop_assert_eq!(b.encode(), text, "only canonical values are accepted");
            check_invariants(&b)?;
        }
    }

    #[test]
    fn parse_never_panics_on_damaged_cookies(
        start in start_ms(),
        steps in prop::collection::vec(step(), 1..40),
        cut in any::<prop::sample::Index>(),
        splice in "[0-9a-z.:~!_-]{0,3}",
    ) {
        if let Some(b) = replay(start, &steps)? {
            let encoded = b.encode();
            let at = cut.index(encoded.len() + 1);
            let truncated = &encoded[..at];
            if at < encoded.len() {
                prop_assert_eq!(Behaviour::parse(truncated), None, "truncated at {}", at);
            }
            let damaged = format!("{truncated}{splice}{}", &encoded[at..]);
            if let Some(parsed) = Behaviour::parse(&damaged) {
                prop_assert_eq!(parsed.encode(), damaged);
                check_invariants(&parsed)?;
            }
        }
    }
}

proptest! {
    // NOTE: thousands of views per case, so fewer cases: each one replays a long history.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn long_histories_stay_within_the_budget_and_cookie_safe(
        start in start_ms(),
        steps in prop::collection::vec(step(), 1000..3000),
    ) {
        replay(start, &steps)?;
    }

    #[test]
    fn heavy_histories_are_trimmed_to_the_budget(
        start in start_ms(),
        steps in prop::collection::vec(steps_of(heavy_page()), 300..1000),
    ) {
        replay(start, &steps)?;
    }
}
