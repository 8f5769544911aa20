//! The open-loop pacer: a pure schedule of intended send times. Producers send at these times
//! whether or not earlier sends have finished; latency is measured from them.

use std::time::Duration;

/// Fixed-rate schedule: record `i` is due at `i / rate` seconds after the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacer {
    rate_per_sec: f64,
    duration: Duration,
}

impl Pacer {
    /// `rate_per_sec` records a second for `duration`.
    pub fn new(rate_per_sec: f64, duration: Duration) -> Self {
        Self {
            rate_per_sec,
            duration,
        }
    }

    /// How many records the schedule holds.
    pub fn total(&self) -> u64 {
        (self.duration.as_secs_f64() * self.rate_per_sec).floor() as u64
    }

    /// Intended send time of record `i`, since the start.
    pub fn due(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate_per_sec)
    }

    /// The ids producer `k` of `n` sends: every `n`th, starting at `k`.
    pub fn share(&self, k: u64, n: u64) -> impl Iterator<Item = u64> {
        (k..self.total()).step_by(n.max(1) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_evenly_spaced_and_split_without_overlap() {
        let p = Pacer::new(4.0, Duration::from_secs(10));
        assert_eq!(p.total(), 40);
        assert_eq!(p.due(0), Duration::ZERO);
        assert_eq!(p.due(5), Duration::from_millis(1250));
        let mut all: Vec<u64> = (0..3).flat_map(|k| p.share(k, 3)).collect();
        all.sort();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
    }
}
