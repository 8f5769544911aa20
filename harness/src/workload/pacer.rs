//! The open-loop pacer: a pure schedule of intended send times. Producers send at these times
//! whether or not earlier sends have finished; latency is measured from them.
//!
//! The schedule is paired across a run's paths: round `i` (at `i / rate` seconds) sends one
//! record on every path, and each round puts the paths in a seeded random order, spread evenly
//! over the round (path in position `s` of `n` sends `s / n` of a round after the round's start).
//! So every path sees the same machine at the same moment, no path is favoured by always going
//! first, and the paths' sends do not queue behind one another at one instant.

use std::time::Duration;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Where one path stands among the run's paths, and the seed of the rounds' orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pairing {
    /// This path's index among the run's paths.
    pub index: usize,
    /// How many paths the run has (the round's positions).
    pub paths: usize,
    /// Seed of every round's order (the same for all the run's paths).
    pub seed: u64,
}

impl Pairing {
    /// A path alone: it sends at the round's start.
    pub const ALONE: Pairing = Pairing {
        index: 0,
        paths: 1,
        seed: 0,
    };

    /// The position of this path in round `round`'s order (0 goes first).
    pub fn position(&self, round: u64) -> usize {
        if self.paths <= 1 {
            return 0;
        }
        let mut order: Vec<usize> = (0..self.paths).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::derive(self.seed, "round", round));
        order.shuffle(&mut rng);
        order.iter().position(|&p| p == self.index).unwrap_or(0)
    }
}

/// Fixed-rate schedule: record `i` of a path is due in round `i`, at `i / rate` seconds after
/// the start plus its place in that round's order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacer {
    rate_per_sec: f64,
    duration: Duration,
    pairing: Pairing,
}

impl Pacer {
    /// `rate_per_sec` records a second for `duration`, for a path placed by `pairing`.
    pub fn new(rate_per_sec: f64, duration: Duration, pairing: Pairing) -> Self {
        Self {
            rate_per_sec,
            duration,
            pairing,
        }
    }

    /// How many records the schedule holds.
    pub fn total(&self) -> u64 {
        (self.duration.as_secs_f64() * self.rate_per_sec).floor() as u64
    }

    /// Intended send time of record `i`, since the start.
    pub fn due(&self, i: u64) -> Duration {
        let position = self.pairing.position(i) as f64 / self.pairing.paths.max(1) as f64;
        Duration::from_secs_f64((i as f64 + position) / self.rate_per_sec)
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
        let p = Pacer::new(4.0, Duration::from_secs(10), Pairing::ALONE);
        assert_eq!(p.total(), 40);
        assert_eq!(p.due(0), Duration::ZERO);
        assert_eq!(p.due(5), Duration::from_millis(1250));
        let mut all: Vec<u64> = (0..3).flat_map(|k| p.share(k, 3)).collect();
        all.sort();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
    }

    fn pacers(paths: usize, seed: u64) -> Vec<Pacer> {
        (0..paths)
            .map(|index| {
                Pacer::new(
                    200.0,
                    Duration::from_secs(60),
                    Pairing { index, paths, seed },
                )
            })
            .collect()
    }

    #[test]
    fn every_round_sends_each_path_once_in_its_own_slot_of_the_round() {
        let ps = pacers(4, 9);
        let round = Duration::from_millis(5);
        for i in 0..2_000u64 {
            let mut slots: Vec<Duration> = ps.iter().map(|p| p.due(i) - round * i as u32).collect();
            slots.sort();
            let want: Vec<Duration> = (0..4u32).map(|s| round * s / 4).collect();
            for (got, want) in slots.iter().zip(&want) {
                let off = got.as_nanos().abs_diff(want.as_nanos());
                assert!(off <= 1, "round {i}: slots {slots:?}, want {want:?}");
            }
        }
        // A path's own sends stay in order.
        for p in &ps {
            assert!((1..2_000).all(|i| p.due(i) > p.due(i - 1)));
        }
    }

    #[test]
    fn no_path_is_favoured_and_the_order_replays_from_the_seed() {
        let ps = pacers(4, 9);
        let rounds = 4_000u64;
        for p in &ps {
            let first = (0..rounds).filter(|&i| p.pairing.position(i) == 0).count();
            // Binomial(4000, 1/4): mean 1000, sd 27; six sd either side.
            assert!((838..=1162).contains(&first), "first in {first} rounds");
        }
        let again = pacers(4, 9);
        let other = pacers(4, 10);
        assert!((0..100).all(|i| ps[2].due(i) == again[2].due(i)));
        assert!((0..100).any(|i| ps[2].due(i) != other[2].due(i)));
    }
}
