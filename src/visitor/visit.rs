//! What this browser's own history says, as attributes: visits and sessions, recently viewed
//! products and categories, browse abandonment, and what kind of page this is. Read from the
//! behaviour cookie after this page view was recorded, so it is current without any KV write.

use serde_json::{json, Value};

use super::behaviour::Behaviour;
use super::page::PageKind;
use super::timestamp::{format_rfc3339, whole_days_between, DAY_MS};

/// A category viewed this many times within [`BROWSE_WINDOW_MS`], not bought from, makes the
/// visitor a browse abandoner.
pub const BROWSE_ABANDON_VIEWS: u32 = 3;
/// The window for browse abandonment: 7 days.
pub const BROWSE_WINDOW_MS: u64 = 7 * DAY_MS;

/// The `visit` attributes.
pub fn visit_attributes(behaviour: &Behaviour, now_ms: u64) -> Value {
    let week_ago = now_ms.saturating_sub(BROWSE_WINDOW_MS);
    json!({
        "count": behaviour.visit_count(),
        "isFirst": behaviour.visit_count() <= 1,
        "firstSeenAt": format_rfc3339(behaviour.first_seen_ms()),
        "daysSinceFirstSeen": whole_days_between(behaviour.first_seen_ms(), now_ms),
        "sessionStartedAt": format_rfc3339(behaviour.session_started_ms()),
        "sessionPageViews": behaviour.session_page_views(),
        "sessionProductViews": behaviour.session_product_views(),
        "recentProducts": behaviour.recent_product_handles().collect::<Vec<_>>(),
        "recentCategories": behaviour.recent_category_handles().collect::<Vec<_>>(),
        "productViews7d": behaviour.product_views_since(week_ago),
        "categoryViews7d": behaviour.category_views_since(week_ago),
        "lastPurchaseAt": behaviour.last_purchase_ms().map(format_rfc3339),
    })
}

/// The `browse` attributes: the category this visitor keeps coming back to without buying from
/// it (`purchased_categories` from their profile, and nothing since a purchase this browser
/// made), if any.
pub fn browse_attributes(
    behaviour: &Behaviour,
    purchased_categories: &[&str],
    now_ms: u64,
) -> Value {
    let since = behaviour
        .last_purchase_ms()
        .map_or(0, |purchase| purchase.saturating_add(1))
        .max(now_ms.saturating_sub(BROWSE_WINDOW_MS));
    let top = behaviour
        .most_viewed_category_since(since)
        .filter(|(handle, _)| !purchased_categories.contains(handle));
    let abandoned = top.filter(|(_, views)| *views >= BROWSE_ABANDON_VIEWS);
    json!({
        "abandoned": abandoned.is_some(),
        "category": abandoned.map(|(handle, _)| handle),
        "categoryViews": top.map_or(0, |(_, views)| views),
    })
}

/// `page.kind` and the handle of the product or category this page shows.
pub fn page_kind_attributes(page: &PageKind) -> [(&'static str, Value); 3] {
    let (kind, product, category) = match page {
        PageKind::Product { handle } => ("product", Some(handle.as_str()), None),
        PageKind::Category { handle } => ("category", None, Some(handle.as_str())),
        PageKind::Cart => ("cart", None, None),
        PageKind::OrderConfirmation => ("orderConfirmation", None, None),
        PageKind::Other => ("other", None, None),
    };
    [
        ("kind", json!(kind)),
        ("product", json!(product)),
        ("category", json!(category)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::timestamp::MINUTE_MS;

    const NOW: u64 = 1_793_613_600_000;

    fn category(handle: &str) -> PageKind {
        PageKind::Category {
            handle: handle.into(),
        }
    }

    fn browse(views: &[(PageKind, u64)], purchased: &[&str]) -> Value {
        let mut behaviour: Option<Behaviour> = None;
        for (page, at) in views {
            behaviour = Some(Behaviour::record_page_view(behaviour.as_ref(), page, *at));
        }
        let behaviour = behaviour.expect("at least one view");
        browse_attributes(&behaviour, purchased, NOW)
    }

    #[test]
    fn three_views_of_one_category_within_seven_days_is_browse_abandonment() {
        let views = [
            (category("outerwear"), NOW - 3 * DAY_MS),
            (category("outerwear"), NOW - DAY_MS),
            (category("outerwear"), NOW - MINUTE_MS),
        ];
        let b = browse(&views, &[]);
        assert_eq!(b["abandoned"], true);
        assert_eq!(b["category"], "outerwear");
        assert_eq!(b["categoryViews"], 3);
    }

    #[test]
    fn the_window_is_seven_days_inclusive() {
        let at_edge = [
            (category("boots"), NOW - 7 * DAY_MS),
            (category("boots"), NOW - DAY_MS),
            (category("boots"), NOW - MINUTE_MS),
        ];
        assert_eq!(
            browse(&at_edge, &[])["abandoned"],
            true,
            "exactly 7 days ago counts"
        );
        let outside = [
            (category("boots"), NOW - 7 * DAY_MS - 1000),
            (category("boots"), NOW - DAY_MS),
            (category("boots"), NOW - MINUTE_MS),
        ];
        assert_eq!(
            browse(&outside, &[])["abandoned"],
            false,
            "7 days and a second does not"
        );
    }

    #[test]
    fn buying_from_the_category_or_buying_since_is_not_abandonment() {
        let views = [
            (category("outerwear"), NOW - 3 * DAY_MS),
            (category("outerwear"), NOW - DAY_MS),
            (category("outerwear"), NOW - MINUTE_MS),
        ];
        assert_eq!(browse(&views, &["outerwear"])["abandoned"], false);
        let mut behaviour: Option<Behaviour> = None;
        for (page, at) in &views[..2] {
            behaviour = Some(Behaviour::record_page_view(behaviour.as_ref(), page, *at));
        }
        let mut behaviour = Behaviour::record_page_view(
            behaviour.as_ref(),
            &PageKind::OrderConfirmation,
            NOW - 2 * MINUTE_MS,
        );
        behaviour.set_last_purchase_ms(Some(NOW - 2 * MINUTE_MS));
        let behaviour = Behaviour::record_page_view(Some(&behaviour), &views[2].0, NOW - MINUTE_MS);
        let b = browse_attributes(&behaviour, &[], NOW);
        assert_eq!(
            b["abandoned"], false,
            "views before a purchase do not count"
        );
        assert_eq!(b["categoryViews"], 1);
    }

    #[test]
    fn visits_count_sessions() {
        let first = Behaviour::record_page_view(None, &PageKind::Other, NOW - 2 * DAY_MS);
        assert_eq!(visit_attributes(&first, NOW - 2 * DAY_MS)["isFirst"], true);
        let later = Behaviour::record_page_view(Some(&first), &PageKind::Other, NOW);
        let v = visit_attributes(&later, NOW);
        assert_eq!(v["count"], 2);
        assert_eq!(v["isFirst"], false);
        assert_eq!(v["daysSinceFirstSeen"], 2);
        assert_eq!(v["sessionPageViews"], 1);
    }
}
