//! Lowered limits held by several holders at once (overlapping faults): each holder adds its own
//! value and later removes exactly that one; what is in force is the base combined with every
//! value still held. So two throttles whose windows overlap each hold inside their own window,
//! and when the last is removed the base is in force again, whatever the order.

use std::collections::BTreeMap;

/// Identifies one held value, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OverrideId(u64);

/// The values held, by id.
#[derive(Debug)]
pub struct Overrides<T> {
    next: u64,
    held: BTreeMap<OverrideId, T>,
}

impl<T> Default for Overrides<T> {
    fn default() -> Self {
        Self {
            next: 0,
            held: BTreeMap::new(),
        }
    }
}

impl<T> Overrides<T> {
    /// Hold `value`; the id removes it.
    pub fn add(&mut self, value: T) -> OverrideId {
        self.next += 1;
        let id = OverrideId(self.next);
        self.held.insert(id, value);
        id
    }

    /// Remove the value held under `id`; false if it was not held.
    pub fn remove(&mut self, id: OverrideId) -> bool {
        self.held.remove(&id).is_some()
    }

    /// The values still held, oldest first.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.held.values()
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

impl Overrides<f64> {
    /// The lowest of `base` and every value held.
    pub fn lowest(&self, base: f64) -> f64 {
        self.values().copied().fold(base, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_holds_compose_and_unwind_in_any_order() {
        let mut o = Overrides::default();
        assert_eq!(o.lowest(100.0), 100.0);
        let a = o.add(2.0);
        let b = o.add(5.0);
        assert_eq!(o.lowest(100.0), 2.0);
        // The first one's end must not lift the second.
        assert!(o.remove(a));
        assert_eq!(o.lowest(100.0), 5.0);
        assert!(!o.remove(a), "removed once only");
        assert!(o.remove(b));
        assert_eq!(o.lowest(100.0), 100.0);
        assert!(o.is_empty());
    }
}
