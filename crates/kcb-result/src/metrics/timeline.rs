//! Per-second interval counts of one path's run: records acknowledged, records given up on, and
//! errors by name. Each event costs one short lock and an index; memory grows with the run's
//! seconds, not its records.

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// One second of a path's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelinePoint {
    /// Second since the start of the load.
    pub second: u64,
    /// Records acknowledged in it.
    pub acked: u64,
    /// Records given up on in it.
    pub failed: u64,
    /// Errors by name in it.
    pub errors: BTreeMap<String, u64>,
}

/// Counts per second, recorded as the run goes.
#[derive(Debug, Default)]
pub struct Timeline {
    seconds: Mutex<Vec<TimelinePoint>>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Self::default()
    }

    fn at<R>(&self, t: Duration, f: impl FnOnce(&mut TimelinePoint) -> R) -> R {
        let second = t.as_secs();
        let i = usize::try_from(second).unwrap_or(usize::MAX);
        let mut s = self.seconds.lock();
        while s.len() <= i {
            let second = s.len() as u64;
            s.push(TimelinePoint {
                second,
                acked: 0,
                failed: 0,
                errors: BTreeMap::new(),
            });
        }
        f(&mut s[i])
    }

    /// A record acknowledged at `t` (since the start of the load).
    pub fn ack(&self, t: Duration) {
        self.at(t, |p| p.acked += 1);
    }

    /// A record given up on at `t`.
    pub fn failure(&self, t: Duration) {
        self.at(t, |p| p.failed += 1);
    }

    /// An error named `code` at `t`.
    pub fn error(&self, t: Duration, code: &str) {
        self.at(t, |p| match p.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                p.errors.insert(code.to_owned(), 1);
            }
        });
    }

    /// Every second from the first to the last with an event.
    pub fn points(&self) -> Vec<TimelinePoint> {
        self.seconds.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_land_in_their_second() {
        let t = Timeline::new();
        assert!(t.points().is_empty());
        t.ack(Duration::from_millis(100));
        t.ack(Duration::from_millis(999));
        t.ack(Duration::from_millis(2_000));
        t.failure(Duration::from_millis(2_500));
        t.error(Duration::from_millis(2_500), "KMSDisabledException");
        t.error(Duration::from_millis(2_600), "KMSDisabledException");
        let p = t.points();
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].second, p[0].acked), (0, 2));
        assert_eq!((p[1].acked, p[1].failed), (0, 0));
        assert_eq!((p[2].acked, p[2].failed), (1, 1));
        assert_eq!(p[2].errors.get("KMSDisabledException"), Some(&2));
    }
}
