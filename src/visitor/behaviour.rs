//! The visitor's browsing behaviour, kept in a first-party cookie: visits, the current session,
//! and the products and categories viewed recently, with when.
//!
//! NOTE: behaviour lives in a cookie rather than in KV so that a page view never writes KV
//! (writes are slow, rate-limited per key and eventually consistent). The price is size: the
//! history is capped in items, in view times per item and in encoded bytes, and times are
//! stored as small deltas. The cookie is client-controlled, so [`Behaviour::parse`] trusts
//! nothing: a forged value can only change what its own visitor sees.
//!
//! Format (version 1), every number lowercase base 36 without leading zeros:
//!
//! ```text
//! 1.<last seen ms>.<last seen − session start, ms>.<session start − first seen, ms>
//!  .<visit count>.<session page views>.<session product views>.<last purchase ms, or empty>
//!  .<products>.<categories>!
//! ```
//!
//! Each list holds items most recently viewed first, joined by `~`; an item is
//! `<handle>:<d0>:<d1>…` where `d0` is the seconds from its newest view to the last-seen
//! second and each further `dN` the seconds to the view before. The final `!` marks the end, so a
//! truncated value is rejected instead of read as a shorter history.

use super::page::PageKind;

/// Name of the cookie that carries the visitor's behaviour.
pub const BEHAVIOUR_COOKIE: &str = "tailor_b";

/// How long the behaviour cookie lives: 400 days, like the visitor id.
pub const BEHAVIOUR_COOKIE_MAX_AGE_SECS: u64 = 400 * 24 * 60 * 60;

/// A page view more than this long after the previous one starts a new session (visit).
///
/// NOTE: a gap of exactly 30 minutes is still the same session; 30 minutes and 1 ms is a new
/// one. This matches the common analytics definition ("more than 30 minutes of inactivity").
pub const SESSION_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// At most this many products are remembered (the least recently viewed is forgotten first).
pub const MAX_PRODUCTS: usize = 12;

/// At most this many categories are remembered (the least recently viewed is forgotten first).
pub const MAX_CATEGORIES: usize = 8;

/// At most this many view times are kept per product or category (the most recent ones).
pub const MAX_VIEWS_PER_ITEM: usize = 6;

/// Longest handle stored; longer ones are not recorded.
pub const MAX_HANDLE_LEN: usize = 64;

/// The encoded value never exceeds this many bytes, whatever the history.
///
/// NOTE: browsers cap a cookie at about 4 KB and the storefront has cookies of its own; the
/// least recently viewed items are forgotten until the value fits.
pub const MAX_ENCODED_LEN: usize = 1500;

const VERSION: &str = "1";
const END: char = '!';
const FIELD: char = '.';
const ITEM: char = '~';
const TIME: char = ':';
const FIELDS: usize = 10;

/// A product or category the visitor viewed, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemViews {
    handle: String,
    /// Newest first, at whole-second resolution (multiples of 1000 ms).
    views_ms: Vec<u64>,
}

impl ItemViews {
    /// The item's sanitized handle.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// When it was viewed, newest first, in milliseconds since the epoch rounded down to the
    /// second; at most [`MAX_VIEWS_PER_ITEM`].
    pub fn views_ms(&self) -> &[u64] {
        &self.views_ms
    }

    /// When it was last viewed (rounded down to the second).
    pub fn last_viewed_ms(&self) -> u64 {
        self.views_ms.first().copied().unwrap_or(0)
    }

    /// How many of its remembered views happened at or after `since_ms`.
    ///
    /// NOTE: view times are kept to the second, so the comparison is too: a view in the same
    /// second as `since_ms` counts, which makes every window inclusive at its start.
    pub fn views_since(&self, since_ms: u64) -> u32 {
        let since = floor_to_second(since_ms);
        let count = self.views_ms.iter().take_while(|&&v| v >= since).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// What the visitor has done on the storefront, as remembered by the behaviour cookie.
///
/// Values are made only by [`Behaviour::record_page_view`] and [`Behaviour::parse`], so they
/// always satisfy the cookie's invariants (times in order, caps respected, encoded size within
/// [`MAX_ENCODED_LEN`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    first_seen_ms: u64,
    visit_count: u32,
    last_seen_ms: u64,
    session_started_ms: u64,
    session_page_views: u32,
    session_product_views: u32,
    last_purchase_ms: Option<u64>,
    /// Most recently viewed first.
    products: Vec<ItemViews>,
    /// Most recently viewed first.
    categories: Vec<ItemViews>,
}

impl Behaviour {
    /// Reads a cookie value; anything that is not exactly a value [`Behaviour::encode`] could
    /// have produced (garbage, another version, truncated, out-of-range numbers) is `None`.
    ///
    /// NOTE: the caller treats `None` as a first visit, so a corrupt cookie costs the history,
    /// never the page.
    pub fn parse(cookie_value: &str) -> Option<Behaviour> {
        if cookie_value.len() > MAX_ENCODED_LEN {
            return None;
        }
        let body = cookie_value.strip_suffix(END)?;
        let fields: Vec<&str> = body.split(FIELD).collect();
        let [version, last_seen, session_age, before_session, visits, page_views, product_views, purchase, products, categories] =
            <[&str; FIELDS]>::try_from(fields).ok()?;
        if version != VERSION {
            return None;
        }
        let last_seen_ms = parse_number(last_seen)?;
        let session_started_ms = last_seen_ms.checked_sub(parse_number(session_age)?)?;
        let first_seen_ms = session_started_ms.checked_sub(parse_number(before_session)?)?;
        let visit_count = u32::try_from(parse_number(visits)?).ok()?;
        let session_page_views = u32::try_from(parse_number(page_views)?).ok()?;
        let session_product_views = u32::try_from(parse_number(product_views)?).ok()?;
        if visit_count == 0 || session_page_views == 0 || session_product_views > session_page_views
        {
            return None;
        }
        let last_purchase_ms = match purchase {
            "" => None,
            digits => Some(parse_number(digits)?),
        };
        let base = floor_to_second(last_seen_ms);
        Some(Behaviour {
            first_seen_ms,
            visit_count,
            last_seen_ms,
            session_started_ms,
            session_page_views,
            session_product_views,
            last_purchase_ms,
            products: parse_items(products, MAX_PRODUCTS, base)?,
            categories: parse_items(categories, MAX_CATEGORIES, base)?,
        })
    }

    /// The cookie value: cookie-safe (digits, lowercase letters and `-_.:~!` only) and at most
    /// [`MAX_ENCODED_LEN`] bytes.
    pub fn encode(&self) -> String {
        let encoded = self.encode_unbounded();
        if encoded.len() <= MAX_ENCODED_LEN {
            return encoded;
        }
        // NOTE: unreachable for values made by this module, which are fitted as they are made;
        // kept so the size bound holds by construction rather than by argument.
        let mut fitted = self.clone();
        fitted.fit();
        fitted.encode_unbounded()
    }

    /// The behaviour after one more page view at `now_ms`, given what the cookie held before
    /// (`None` for a first view or an unreadable cookie).
    ///
    /// NOTE: time never goes backwards in the cookie: a `now_ms` earlier than the last view
    /// (clock skew between edge machines) is taken as the last view's time, so it continues
    /// the session and keeps every stored time in order.
    pub fn record_page_view(
        previous: Option<&Behaviour>,
        page: &PageKind,
        now_ms: u64,
    ) -> Behaviour {
        let mut next = match previous {
            None => Behaviour {
                first_seen_ms: now_ms,
                visit_count: 1,
                last_seen_ms: now_ms,
                session_started_ms: now_ms,
                session_page_views: 1,
                session_product_views: 0,
                last_purchase_ms: None,
                products: Vec::new(),
                categories: Vec::new(),
            },
            Some(previous) => {
                let mut next = previous.clone();
                let now_ms = now_ms.max(previous.last_seen_ms);
                if now_ms.saturating_sub(previous.last_seen_ms) > SESSION_TIMEOUT_MS {
                    next.visit_count = next.visit_count.saturating_add(1);
                    next.session_started_ms = now_ms;
                    next.session_page_views = 1;
                    next.session_product_views = 0;
                } else {
                    next.session_page_views = next.session_page_views.saturating_add(1);
                }
                next.last_seen_ms = now_ms;
                next
            }
        };
        let at = floor_to_second(next.last_seen_ms);
        match page {
            PageKind::Product { handle } => {
                // NOTE: a product page counts as a product view even when its handle cannot be
                // stored; only the per-product history loses it.
                next.session_product_views = next.session_product_views.saturating_add(1);
                if let Some(handle) = sanitize_handle(handle) {
                    record_item(&mut next.products, handle, at, MAX_PRODUCTS);
                }
            }
            PageKind::Category { handle } => {
                if let Some(handle) = sanitize_handle(handle) {
                    record_item(&mut next.categories, handle, at, MAX_CATEGORIES);
                }
            }
            PageKind::Cart | PageKind::OrderConfirmation | PageKind::Other => {}
        }
        next.fit();
        next
    }

    /// Sets (or clears) when the visitor last bought something, in ms since the epoch.
    pub fn set_last_purchase_ms(&mut self, at_ms: Option<u64>) {
        self.last_purchase_ms = at_ms;
        self.fit();
    }

    /// When the visitor was first seen (the first page view this cookie recorded).
    pub fn first_seen_ms(&self) -> u64 {
        self.first_seen_ms
    }

    /// How many visits (sessions) the visitor has made, this one included; at least 1.
    pub fn visit_count(&self) -> u32 {
        self.visit_count
    }

    /// When the latest page view happened.
    pub fn last_seen_ms(&self) -> u64 {
        self.last_seen_ms
    }

    /// When the current session started.
    pub fn session_started_ms(&self) -> u64 {
        self.session_started_ms
    }

    /// Page views in the current session, the latest included; at least 1.
    pub fn session_page_views(&self) -> u32 {
        self.session_page_views
    }

    /// Product page views in the current session, exact even for products no longer
    /// remembered individually.
    pub fn session_product_views(&self) -> u32 {
        self.session_product_views
    }

    /// True when the latest page view started a new session.
    pub fn is_session_start(&self) -> bool {
        self.session_page_views == 1
    }

    /// When the visitor last bought something, if known.
    pub fn last_purchase_ms(&self) -> Option<u64> {
        self.last_purchase_ms
    }

    /// Remembered products, most recently viewed first.
    pub fn products(&self) -> &[ItemViews] {
        &self.products
    }

    /// Remembered categories, most recently viewed first.
    pub fn categories(&self) -> &[ItemViews] {
        &self.categories
    }

    /// Handles of the remembered products, most recently viewed first.
    pub fn recent_product_handles(&self) -> impl Iterator<Item = &str> {
        self.products.iter().map(ItemViews::handle)
    }

    /// Handles of the remembered categories, most recently viewed first.
    pub fn recent_category_handles(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(ItemViews::handle)
    }

    /// Remembered views of one product at or after `since_ms` (see [`ItemViews::views_since`]);
    /// `handle` is sanitized like a stored one, so `"Red-Boot"` finds `red-boot`.
    pub fn views_of_product_since(&self, handle: &str, since_ms: u64) -> u32 {
        views_of(&self.products, handle, since_ms)
    }

    /// Remembered views of one category at or after `since_ms` (see [`ItemViews::views_since`]);
    /// `handle` is sanitized like a stored one.
    pub fn views_of_category_since(&self, handle: &str, since_ms: u64) -> u32 {
        views_of(&self.categories, handle, since_ms)
    }

    /// Remembered product views, all products together, at or after `since_ms`.
    pub fn product_views_since(&self, since_ms: u64) -> u32 {
        total_views(&self.products, since_ms)
    }

    /// Remembered category views, all categories together, at or after `since_ms`.
    pub fn category_views_since(&self, since_ms: u64) -> u32 {
        total_views(&self.categories, since_ms)
    }

    /// The product with the most remembered views at or after `since_ms`, and that count; ties
    /// go to the most recently viewed. `None` when no product was viewed in the window.
    pub fn most_viewed_product_since(&self, since_ms: u64) -> Option<(&str, u32)> {
        most_viewed(&self.products, since_ms)
    }

    /// The category with the most remembered views at or after `since_ms`, and that count;
    /// ties go to the most recently viewed. `None` when no category was viewed in the window.
    pub fn most_viewed_category_since(&self, since_ms: u64) -> Option<(&str, u32)> {
        most_viewed(&self.categories, since_ms)
    }

    fn encode_unbounded(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str(VERSION);
        let numbers = [
            self.last_seen_ms,
            self.last_seen_ms.saturating_sub(self.session_started_ms),
            self.session_started_ms.saturating_sub(self.first_seen_ms),
            u64::from(self.visit_count),
            u64::from(self.session_page_views),
            u64::from(self.session_product_views),
        ];
        for number in numbers {
            out.push(FIELD);
            push_number(&mut out, number);
        }
        out.push(FIELD);
        if let Some(at) = self.last_purchase_ms {
            push_number(&mut out, at);
        }
        let base = floor_to_second(self.last_seen_ms);
        for list in [&self.products, &self.categories] {
            out.push(FIELD);
            push_items(&mut out, list, base);
        }
        out.push(END);
        out
    }

    /// Forgets the least recently viewed items until the encoded value fits.
    fn fit(&mut self) {
        while self.encode_unbounded().len() > MAX_ENCODED_LEN {
            let oldest_product = self.products.last().map(ItemViews::last_viewed_ms);
            let oldest_category = self.categories.last().map(ItemViews::last_viewed_ms);
            // NOTE: on a tie the product goes: there are more of them, each worth less.
            let evicted = match (oldest_product, oldest_category) {
                (Some(p), Some(c)) if c < p => self.categories.pop(),
                (Some(_), _) => self.products.pop(),
                (None, Some(_)) => self.categories.pop(),
                (None, None) => None,
            };
            if evicted.is_none() {
                break;
            }
        }
    }
}

/// A handle as the cookie stores it: lowercased, then only `a-z`, `0-9`, `-` and `_`, 1 to
/// [`MAX_HANDLE_LEN`] bytes. Anything else is `None` and is not recorded.
///
/// NOTE: a handle comes from the URL, which anyone can craft. Dropping rather than stripping
/// odd characters keeps two different handles from being merged into one.
pub fn sanitize_handle(handle: &str) -> Option<String> {
    let handle = handle.to_ascii_lowercase();
    let plain = !handle.is_empty()
        && handle.len() <= MAX_HANDLE_LEN
        && handle
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    plain.then_some(handle)
}

fn floor_to_second(ms: u64) -> u64 {
    ms - ms % 1000
}

fn record_item(list: &mut Vec<ItemViews>, handle: String, at_ms: u64, cap: usize) {
    let item = match list.iter().position(|item| item.handle == handle) {
        Some(index) => {
            let mut item = list.remove(index);
            item.views_ms.insert(0, at_ms);
            item.views_ms.truncate(MAX_VIEWS_PER_ITEM);
            item
        }
        None => ItemViews {
            handle,
            views_ms: vec![at_ms],
        },
    };
    list.insert(0, item);
    list.truncate(cap);
}

fn views_of(list: &[ItemViews], handle: &str, since_ms: u64) -> u32 {
    let Some(handle) = sanitize_handle(handle) else {
        return 0;
    };
    list.iter()
        .find(|item| item.handle == handle)
        .map_or(0, |item| item.views_since(since_ms))
}

fn total_views(list: &[ItemViews], since_ms: u64) -> u32 {
    list.iter().fold(0u32, |sum, item| {
        sum.saturating_add(item.views_since(since_ms))
    })
}

fn most_viewed(list: &[ItemViews], since_ms: u64) -> Option<(&str, u32)> {
    list.iter()
        .map(|item| (item.handle(), item.views_since(since_ms)))
        .fold(None, |best, (handle, count)| match best {
            Some((_, best_count)) if best_count >= count => best,
            _ if count > 0 => Some((handle, count)),
            _ => best,
        })
}

fn push_items(out: &mut String, list: &[ItemViews], base_ms: u64) {
    for (index, item) in list.iter().enumerate() {
        if index > 0 {
            out.push(ITEM);
        }
        out.push_str(&item.handle);
        let mut previous = base_ms;
        for &view in &item.views_ms {
            out.push(TIME);
            push_number(out, previous.saturating_sub(view) / 1000);
            previous = view;
        }
    }
}

fn parse_items(text: &str, cap: usize, base_ms: u64) -> Option<Vec<ItemViews>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut items: Vec<ItemViews> = Vec::new();
    for item in text.split(ITEM) {
        if items.len() == cap {
            return None;
        }
        let mut parts = item.split(TIME);
        let handle = parts.next()?;
        if sanitize_handle(handle).as_deref() != Some(handle)
            || items.iter().any(|other| other.handle == handle)
        {
            return None;
        }
        let mut views_ms = Vec::new();
        let mut previous = base_ms;
        for delta in parts {
            if views_ms.len() == MAX_VIEWS_PER_ITEM {
                return None;
            }
            previous = previous.checked_sub(parse_number(delta)?.checked_mul(1000)?)?;
            views_ms.push(previous);
        }
        let newest = *views_ms.first()?;
        // Most recently viewed first, as `record_item` keeps them.
        if items
            .last()
            .is_some_and(|before| before.last_viewed_ms() < newest)
        {
            return None;
        }
        items.push(ItemViews {
            handle: handle.to_string(),
            views_ms,
        });
    }
    Some(items)
}

fn push_number(out: &mut String, mut number: u64) {
    let mut digits = [0u8; 13];
    let mut start = digits.len();
    loop {
        start -= 1;
        let digit = u32::try_from(number % 36).unwrap_or(0);
        digits[start] = char::from_digit(digit, 36).map_or(b'0', |c| c as u8);
        number /= 36;
        if number == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// A canonical base-36 number: lowercase, no sign, no leading zeros, fits in a `u64`.
fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.bytes().try_fold(0u64, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            _ => return None,
        };
        acc.checked_mul(36)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60 * 1000;
    const DAY: u64 = 24 * 60 * MINUTE;
    /// 2024-01-01T00:00:00Z, a realistic epoch time on a whole second.
    const T0: u64 = 1_704_067_200_000;

    fn product(handle: &str) -> PageKind {
        PageKind::Product {
            handle: handle.to_string(),
        }
    }

    fn category(handle: &str) -> PageKind {
        PageKind::Category {
            handle: handle.to_string(),
        }
    }

    fn replay(views: &[(PageKind, u64)]) -> Behaviour {
        let mut behaviour: Option<Behaviour> = None;
        for (page, at) in views {
            let next = Behaviour::record_page_view(behaviour.as_ref(), page, *at);
            assert_eq!(
                Behaviour::parse(&next.encode()).as_ref(),
                Some(&next),
                "round trip"
            );
            behaviour = Some(next);
        }
        behaviour.expect("at least one view")
    }

    #[test]
    fn the_first_view_starts_the_first_visit() {
        let b = Behaviour::record_page_view(None, &product("boot"), T0 + 123);
        assert_eq!(b.visit_count(), 1);
        assert_eq!(b.first_seen_ms(), T0 + 123);
        assert_eq!(b.session_started_ms(), T0 + 123);
        assert_eq!(b.last_seen_ms(), T0 + 123);
        assert_eq!(b.session_page_views(), 1);
        assert_eq!(b.session_product_views(), 1);
        assert!(b.is_session_start());
        assert_eq!(
            b.products()[0].views_ms(),
            [T0],
            "view times are kept to the second"
        );
        assert_eq!(b.last_purchase_ms(), None);
    }

    #[test]
    fn a_session_ends_after_more_than_thirty_minutes() {
        let first = Behaviour::record_page_view(None, &product("a"), T0 + 500);
        let exactly =
            Behaviour::record_page_view(Some(&first), &product("b"), T0 + 500 + SESSION_TIMEOUT_MS);
        assert_eq!(exactly.visit_count(), 1, "exactly 30 minutes: same session");
        assert_eq!(exactly.session_page_views(), 2);
        assert_eq!(exactly.session_product_views(), 2);
        assert_eq!(exactly.session_started_ms(), T0 + 500);

        let later = Behaviour::record_page_view(
            Some(&first),
            &PageKind::Other,
            T0 + 500 + SESSION_TIMEOUT_MS + 1,
        );
        assert_eq!(later.visit_count(), 2, "30 minutes and 1 ms: a new session");
        assert_eq!(later.session_page_views(), 1);
        assert_eq!(later.session_product_views(), 0);
        assert_eq!(later.session_started_ms(), T0 + 501 + SESSION_TIMEOUT_MS);
        assert_eq!(later.first_seen_ms(), T0 + 500);
        assert!(later.is_session_start());
        assert_eq!(later.products().len(), 1, "history outlives the session");
    }

    #[test]
    fn a_session_slides_with_activity_and_visits_are_counted() {
        let mut views: Vec<(PageKind, u64)> = (0..10)
            .map(|i| (PageKind::Other, T0 + i * 20 * MINUTE))
            .collect();
        let b = replay(&views);
        assert_eq!(b.visit_count(), 1, "3 hours, never 30 minutes idle");
        assert_eq!(b.session_page_views(), 10);
        views.push((PageKind::Cart, T0 + 2 * DAY));
        views.push((PageKind::Other, T0 + 5 * DAY));
        views.push((product("x"), T0 + 5 * DAY + MINUTE));
        let b = replay(&views);
        assert_eq!(b.visit_count(), 3);
        assert_eq!(b.session_page_views(), 2);
        assert_eq!(b.session_product_views(), 1);
        assert_eq!(b.session_started_ms(), T0 + 5 * DAY);
    }

    #[test]
    fn a_clock_going_backwards_continues_the_session_without_reordering_time() {
        let first = Behaviour::record_page_view(None, &product("a"), T0 + 10 * MINUTE);
        let skewed = Behaviour::record_page_view(Some(&first), &product("b"), T0);
        assert_eq!(skewed.visit_count(), 1);
        assert_eq!(skewed.last_seen_ms(), T0 + 10 * MINUTE);
        assert_eq!(skewed.products()[0].handle(), "b");
        assert_eq!(skewed.products()[0].views_ms(), [T0 + 10 * MINUTE]);
        let zero = Behaviour::record_page_view(Some(&skewed), &category("c"), 0);
        assert_eq!(zero.session_page_views(), 3);
        assert_eq!(Behaviour::parse(&zero.encode()), Some(zero.clone()));

        let end = Behaviour::record_page_view(Some(&zero), &product("a"), u64::MAX);
        assert_eq!(end.visit_count(), 2);
        let after_end = Behaviour::record_page_view(Some(&end), &product("a"), u64::MAX);
        assert_eq!(after_end.session_page_views(), 2);
        assert_eq!(
            Behaviour::parse(&after_end.encode()),
            Some(after_end.clone())
        );
        assert_eq!(after_end.views_of_product_since("a", u64::MAX), 2);
    }

    #[test]
    fn the_least_recently_viewed_product_is_forgotten_first() {
        let mut views: Vec<(PageKind, u64)> = (0..MAX_PRODUCTS as u64)
            .map(|i| (product(&format!("p{i}")), T0 + i * 1000))
            .collect();
        // Viewing p0 again makes p1 the least recently viewed.
        views.push((product("p0"), T0 + 100_000));
        views.push((product("new"), T0 + 101_000));
        let b = replay(&views);
        let handles: Vec<&str> = b.recent_product_handles().collect();
        assert_eq!(handles.len(), MAX_PRODUCTS);
        assert_eq!(&handles[..3], ["new", "p0", "p11"]);
        assert_eq!(handles.last(), Some(&"p2"));
        assert!(!handles.contains(&"p1"));
        assert_eq!(b.products()[1].views_ms(), [T0 + 100_000, T0]);

        let categories: Vec<(PageKind, u64)> = (0..20)
            .map(|i| (category(&format!("c{i}")), T0 + i * 1000))
            .collect();
        let b = replay(&categories);
        let handles: Vec<&str> = b.recent_category_handles().collect();
        assert_eq!(
            handles,
            ["c19", "c18", "c17", "c16", "c15", "c14", "c13", "c12"]
        );
    }

    #[test]
    fn only_the_most_recent_views_of_an_item_are_kept() {
        let views: Vec<(PageKind, u64)> =
            (0..10).map(|i| (category("shoes"), T0 + i * DAY)).collect();
        let b = replay(&views);
        let kept = b.categories()[0].views_ms();
        assert_eq!(kept.len(), MAX_VIEWS_PER_ITEM);
        assert_eq!(kept[0], T0 + 9 * DAY);
        assert_eq!(kept[5], T0 + 4 * DAY);
    }

    #[test]
    fn view_windows_include_their_start_to_the_second() {
        let now = T0 + 30 * DAY;
        let b = replay(&[
            (category("shoes"), now - 7 * DAY - 1000),
            (category("shoes"), now - 7 * DAY),
            (category("hats"), now - 3 * DAY),
            (category("shoes"), now - DAY),
            (category("hats"), now - 2 * DAY + 500),
            (category("shoes"), now),
        ]);
        let week_ago = now - 7 * DAY;
        assert_eq!(
            b.views_of_category_since("shoes", week_ago),
            3,
            "exactly 7 days counts"
        );
        assert_eq!(b.views_of_category_since("shoes", week_ago - 1000), 4);
        assert_eq!(b.views_of_category_since("shoes", week_ago + 1000), 2);
        // Within the second of the window's start still counts: times are kept to the second.
        assert_eq!(b.views_of_category_since("shoes", week_ago + 999), 3);
        assert_eq!(
            b.views_of_category_since("SHOES", week_ago),
            3,
            "handles are sanitized"
        );
        assert_eq!(b.views_of_category_since("nope", 0), 0);
        assert_eq!(b.views_of_category_since("bad handle!", 0), 0);
        assert_eq!(b.category_views_since(week_ago), 5);
        assert_eq!(b.most_viewed_category_since(week_ago), Some(("shoes", 3)));
        assert_eq!(b.most_viewed_category_since(now + 1000), None);
        assert_eq!(b.most_viewed_product_since(0), None);
    }

    #[test]
    fn most_viewed_ties_go_to_the_most_recent() {
        let b = replay(&[
            (product("a"), T0),
            (product("b"), T0 + 1000),
            (product("a"), T0 + 2000),
            (product("b"), T0 + 3000),
            (product("c"), T0 + 4000),
        ]);
        assert_eq!(b.most_viewed_product_since(0), Some(("b", 2)));
        assert_eq!(b.most_viewed_product_since(T0 + 3000), Some(("c", 1)));
        assert_eq!(b.product_views_since(T0 + 2000), 3);
        assert_eq!(b.views_of_product_since("a", T0), 2);
        let recent: Vec<&str> = b.recent_product_handles().collect();
        assert_eq!(recent, ["c", "b", "a"]);
    }

    #[test]
    fn handles_are_sanitized_or_dropped() {
        let long = "a".repeat(MAX_HANDLE_LEN);
        let too_long = "a".repeat(MAX_HANDLE_LEN + 1);
        let cases: [(&str, &str, Option<&str>); 10] = [
            ("plain", "red-boot_2", Some("red-boot_2")),
            ("lowercased", "Red-Boot", Some("red-boot")),
            ("longest", &long, Some(&long)),
            ("too long", &too_long, None),
            ("empty", "", None),
            ("space", "red boot", None),
            ("cookie separators", "a;b=c", None),
            ("format separators", "a.b:c~d!", None),
            ("non-ascii", "café", None),
            ("kelvin sign does not lowercase to k", "\u{212A}", None),
        ];
        for (name, raw, expected) in cases {
            assert_eq!(sanitize_handle(raw).as_deref(), expected, "case {name:?}");
        }
        let b = Behaviour::record_page_view(None, &product("a\"b"), T0);
        assert_eq!(b.session_product_views(), 1, "still a product view");
        assert!(b.products().is_empty(), "but not remembered");
    }

    #[test]
    fn a_heavy_history_stays_within_the_size_budget() {
        let mut behaviour: Option<Behaviour> = None;
        for i in 0..500u64 {
            let page = match i % 3 {
                0 => category(&format!("{:0>64}", i % 8)),
                _ => product(&format!("{:z>64}", i % 12)),
            };
            let now = T0.saturating_add(i.saturating_mul(DAY + 12_345));
            let next = Behaviour::record_page_view(behaviour.as_ref(), &page, now);
            let encoded = next.encode();
            assert!(encoded.len() <= MAX_ENCODED_LEN, "{} bytes", encoded.len());
            assert_eq!(Behaviour::parse(&encoded).as_ref(), Some(&next));
            behaviour = Some(next);
        }
        let b = behaviour.expect("views");
        assert!(b.products().len() + b.categories().len() < MAX_PRODUCTS + MAX_CATEGORIES);
        assert_eq!(
            b.products()[0].handle().len(),
            64,
            "the newest item is kept"
        );
    }

    #[test]
    fn purchases_round_trip() {
        let mut b = Behaviour::record_page_view(None, &PageKind::OrderConfirmation, T0);
        b.set_last_purchase_ms(Some(T0 + 1));
        assert_eq!(Behaviour::parse(&b.encode()), Some(b.clone()));
        b.set_last_purchase_ms(Some(u64::MAX));
        assert_eq!(Behaviour::parse(&b.encode()), Some(b.clone()));
        let next = Behaviour::record_page_view(Some(&b), &PageKind::Other, T0 + DAY);
        assert_eq!(next.last_purchase_ms(), Some(u64::MAX));
    }

    #[test]
    fn the_encoding_is_compact_and_documented() {
        let b = replay(&[
            (category("boots"), T0),
            (product("red-boot"), T0 + 61_000),
            (product("red-boot"), T0 + 2 * DAY),
        ]);
        // 1.<last seen>.<session age>.<before session>.<visits>.<views>.<product views>.
        //   <purchase>.<products>.<categories>!
        assert_eq!(
            b.encode(),
            "1.lqx0hs00.0.2uvpc0.2.1.1..red-boot:0:3pab.boots:3pc0!"
        );
    }

    #[test]
    fn garbage_is_not_a_behaviour() {
        let valid = replay(&[(product("boot"), T0), (category("hats"), T0 + 5000)]).encode();
        assert!(Behaviour::parse(&valid).is_some());
        let cases: &[(&str, String)] = &[
            ("empty", String::new()),
            ("end marker only", "!".into()),
            ("version only", "1.".into()),
            ("other version", valid.replacen('1', "2", 1)),
            ("no version", valid[2..].to_string()),
            ("no end marker", valid.trim_end_matches('!').to_string()),
            ("two end markers", format!("{valid}!")),
            ("extra field", valid.replacen("..", "...", 1)),
            ("uppercase digits", valid.to_uppercase()),
            ("random", "x9$%^&*()".into()),
            ("binary", "\u{0}\u{1}\u{ff}\u{fffd}".into()),
            ("negative number", "1.-1.0.0.1.1.0...!".into()),
            ("leading zero", "1.01.0.0.1.1.0...!".into()),
            ("u64 overflow", "1.3w5e11264sgsg.0.0.1.1.0...!".into()),
            ("huge number", format!("1.{}.0.0.1.1.0...!", "z".repeat(40))),
            ("u32 overflow in visits", "1.1.0.0.1z141z4.1.0...!".into()),
            ("zero visits", "1.1.0.0.0.1.0...!".into()),
            ("zero page views", "1.1.0.0.1.0.0...!".into()),
            ("more product views than views", "1.1.0.0.1.1.2...!".into()),
            ("session before epoch", "1.5.6.0.1.1.0...!".into()),
            ("first seen before epoch", "1.5.5.1.1.1.0...!".into()),
            ("view before epoch", "1.rs.0.0.1.1.0..a:2..!".into()),
            ("item without views", "1.rs.0.0.1.1.0..a..!".into()),
            ("empty item", "1.rs.0.0.1.1.0..a:0~..!".into()),
            ("bad handle", "1.rs.0.0.1.1.0..A:0..!".into()),
            ("duplicate handle", "1.rs.0.0.1.1.0..a:0~a:0..!".into()),
            ("items out of order", "1.rs.0.0.1.1.0..a:1~b:0..!".into()),
            (
                "too many views",
                "1.rs.0.0.1.1.0..a:0:0:0:0:0:0:0..!".into(),
            ),
            (
                "too long",
                format!("1.0.0.0.1.1.0...{}!", "a:0~".repeat(400)),
            ),
        ];
        for (name, text) in cases {
            assert_eq!(Behaviour::parse(text), None, "case {name:?}: {text:?}");
        }
        let minimal = "1.rs.0.0.1.1.0..a:0:0:0:0:0:0.!";
        assert!(
            Behaviour::parse(minimal).is_some(),
            "the near misses above are near"
        );
        for end in 0..valid.len() {
            assert_eq!(
                Behaviour::parse(&valid[..end]),
                None,
                "truncated to {end} bytes"
            );
        }
    }

    #[test]
    fn base36_numbers_round_trip_at_the_extremes() {
        for n in [0, 1, 35, 36, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            let mut text = String::new();
            push_number(&mut text, n);
            assert_eq!(parse_number(&text), Some(n), "{n} as {text}");
        }
        let mut max = String::new();
        push_number(&mut max, u64::MAX);
        assert_eq!(max, "3w5e11264sgsf");
    }
}
