//! One stable sort for the Worker's orderings.
//!
//! NOTE: Wasm size: each `sort_by` on a new element type or closure instantiates the whole
//! standard stable sort (about 4 KB). Every ordering of the page path sorts indices through
//! [`stable_order`] instead, so the Worker carries a single copy.

use std::cmp::Ordering;

/// The indices `0..len`, stably sorted by `compare` (equal elements keep their index order).
pub(crate) fn stable_order(
    len: usize,
    compare: &mut dyn FnMut(usize, usize) -> Ordering,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_elements_keep_their_order() {
        let keys = [2, 1, 2, 0, 1];
        let order = stable_order(keys.len(), &mut |a, b| keys[a].cmp(&keys[b]));
        assert_eq!(order, [3, 1, 4, 0, 2]);
    }
}
