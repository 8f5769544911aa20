//! The endpoint's clock against this machine's, from answers' `Date` headers (whole seconds).
//!
//! One answer says the offset (the server's clock minus this machine's) lies in
//! `[Date − received, Date + 1 s − sent]`: the server stamped it at some instant of the
//! request's round trip, within the second `Date` names. Every further answer's interval holds
//! the offset too, so the bound is their intersection; a probe whose round trip straddles the
//! server's second boundary where the bound puts it halves the bound, so about ten probes take
//! ±0.5 s down to about half a round trip ([`OffsetBound::next_probe`] says when to send one).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An answer's `Date` (whole seconds, the server's clock) and this machine's wall clock when
/// its request left and its answer arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateSample {
    /// The request left.
    pub sent: SystemTime,
    /// The answer arrived.
    pub received: SystemTime,
    /// The answer's `Date`.
    pub server: SystemTime,
}

/// The offset's bound after every sample so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffsetBound {
    /// Lowest offset every sample allows, seconds.
    pub low_secs: f64,
    /// Highest, seconds.
    pub high_secs: f64,
    /// The latest sample's round trip, seconds.
    pub rtt_secs: f64,
    /// Samples intersected (a sample that contradicts the bound, as when a clock is stepped,
    /// starts it afresh and the count again from 1).
    pub samples: u32,
}

fn secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

impl OffsetBound {
    /// What one sample says.
    pub fn of(s: &DateSample) -> Self {
        Self {
            low_secs: secs(s.server) - secs(s.received),
            high_secs: secs(s.server) + 1.0 - secs(s.sent),
            rtt_secs: (secs(s.received) - secs(s.sent)).max(0.0),
            samples: 1,
        }
    }

    /// The bound narrowed by one more sample.
    pub fn narrow(self, s: &DateSample) -> Self {
        let one = Self::of(s);
        let (low, high) = (
            self.low_secs.max(one.low_secs),
            self.high_secs.min(one.high_secs),
        );
        if low > high {
            return one;
        }
        Self {
            low_secs: low,
            high_secs: high,
            rtt_secs: one.rtt_secs,
            samples: self.samples + 1,
        }
    }

    /// The server's clock minus this machine's, seconds: the bound's middle.
    pub fn offset_secs(&self) -> f64 {
        (self.low_secs + self.high_secs) / 2.0
    }

    /// How far [`Self::offset_secs`] may be off, seconds: half the bound's width.
    pub fn error_secs(&self) -> f64 {
        (self.high_secs - self.low_secs) / 2.0
    }

    /// When to send the next probe, at or after `now`, so that its round trip's middle falls
    /// where the bound puts a second boundary of the server's clock; `None` when a probe can no
    /// longer narrow the bound (it is within a round trip, plus 1 ms).
    pub fn next_probe(&self, now: SystemTime) -> Option<SystemTime> {
        if self.high_secs - self.low_secs <= self.rtt_secs + 1e-3 {
            return None;
        }
        let half = self.rtt_secs / 2.0;
        let mid = self.offset_secs();
        // The first boundary k (server seconds) whose local instant k - mid a probe sent now
        // or later can straddle.
        let k = (secs(now) + half + mid).ceil();
        let send = k - mid - half;
        Some(UNIX_EPOCH + Duration::from_secs_f64(send.max(secs(now))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs_f64(s)
    }

    /// A server `offset` seconds ahead that stamps each answer `rtt`/2 into its round trip.
    fn answer(sent: f64, offset: f64, rtt: f64) -> DateSample {
        DateSample {
            sent: at(sent),
            received: at(sent + rtt),
            server: at((sent + rtt / 2.0 + offset).floor()),
        }
    }

    #[test]
    fn one_answer_is_half_a_second_and_half_a_round_trip() {
        let s = answer(1_000.25, 0.0, 0.004);
        let b = OffsetBound::of(&s);
        assert!((b.error_secs() - (0.5 + 0.002)).abs() < 1e-9);
        assert!((b.offset_secs() - (1_000.5 - 1_000.252)).abs() < 1e-9);
        assert!(b.low_secs <= 0.0 && 0.0 <= b.high_secs);
    }

    #[test]
    fn probes_at_the_boundary_narrow_the_bound_to_about_a_round_trip() {
        for offset in [-0.731, -0.2, 0.0, 0.3172, 0.9999, 4.5] {
            let rtt = 0.003;
            let mut now = 2_000.1;
            let mut b = OffsetBound::of(&answer(now, offset, rtt));
            let mut probes = 0;
            while let Some(t) = b.next_probe(at(now)) {
                let sent = secs(t);
                assert!(sent >= now - 1e-9, "never in the past");
                b = b.narrow(&answer(sent, offset, rtt));
                assert!(
                    b.low_secs <= offset + 1e-9 && offset <= b.high_secs + 1e-9,
                    "{offset}: {b:?}"
                );
                now = sent + rtt;
                probes += 1;
                assert!(probes <= 20, "{offset}: converges ({b:?})");
            }
            assert!(b.error_secs() <= rtt / 2.0 + 1e-3, "{offset}: {b:?}");
            assert_eq!(b.samples, probes + 1);
        }
    }

    #[test]
    fn a_contradicting_answer_starts_afresh() {
        let b = OffsetBound::of(&answer(3_000.0, 0.0, 0.002));
        // The local clock stepped by 10 s: the old bound cannot hold the new offset.
        let stepped = b.narrow(&answer(3_001.0, 10.0, 0.002));
        assert_eq!(stepped.samples, 1);
        assert!(stepped.low_secs <= 10.0 && 10.0 <= stepped.high_secs);
    }
}
