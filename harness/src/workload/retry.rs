//! The harness's retry policy: capped exponential backoff with full jitter from the seeded RNG.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Max attempts and backoff bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt.
    pub base_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Backoff before attempt `attempt` (2, 3, ...): uniform in [0, min(max, base * 2^(attempt-2))].
    pub fn backoff(&self, attempt: u32, rng: &mut ChaCha8Rng) -> Duration {
        let exp = attempt.saturating_sub(2).min(20);
        let cap = self
            .base_backoff
            .saturating_mul(1 << exp)
            .min(self.max_backoff);
        let nanos = cap.as_nanos() as u64;
        Duration::from_nanos(if nanos == 0 {
            0
        } else {
            rng.gen_range(0..=nanos)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_is_capped_and_replayable() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
        };
        let mut a = ChaCha8Rng::seed_from_u64(1);
        let mut b = ChaCha8Rng::seed_from_u64(1);
        for attempt in 2..10 {
            let x = p.backoff(attempt, &mut a);
            assert_eq!(x, p.backoff(attempt, &mut b));
            assert!(x <= Duration::from_millis(50));
        }
    }
}
