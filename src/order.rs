//! One stable sort for the Worker's orderings.
//!
//! NOTE: Wasm size: each `sort_by` on a new element type or closure instantiates the whole
//! standard stable sort (about 4 KB). Every ordering of the page path sorts indices through
//! [`stable_order`] instead, a plain merge sort of a few hundred bytes.

use std::cmp::Ordering;

/// The indices `0..len`, stably sorted by `compare` (equal elements keep their index order).
pub(crate) fn stable_order(
    len: usize,
    compare: &mut dyn FnMut(usize, usize) -> Ordering,
) -> Vec<usize> {
    // Bottom-up merge sort: merge runs of `width` from `order` into `merged`, doubling `width`.
    let mut order: Vec<usize> = (0..len).collect();
    let mut merged = order.clone();
    let mut width = 1;
    while width < len {
        let mut start = 0;
        while start < len {
            let mid = len.min(start + width);
            let end = len.min(start + 2 * width);
            let (mut left, mut right) = (start, mid);
            for slot in &mut merged[start..end] {
                // The left run wins ties: that keeps the sort stable.
                let take_right =
                    left == mid || (right < end && compare(order[right], order[left]).is_lt());
                if take_right {
                    *slot = order[right];
                    right += 1;
                } else {
                    *slot = order[left];
                    left += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_orders_like_the_standard_stable_sort() {
        let mut seed = 7u32;
        for len in 0..70 {
            let keys: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) % 9
                })
                .collect();
            let mut expected: Vec<usize> = (0..len).collect();
            expected.sort_by_key(|&i| keys[i]);
            let order = stable_order(len, &mut |a, b| keys[a].cmp(&keys[b]));
            assert_eq!(order, expected, "{keys:?}");
        }
    }

    #[test]
    fn equal_elements_keep_their_order() {
        let keys = [2, 1, 2, 0, 1];
        let order = stable_order(keys.len(), &mut |a, b| keys[a].cmp(&keys[b]));
        assert_eq!(order, [3, 1, 4, 0, 2]);
    }
}
