//! A token bucket on the injected clock: the service's per-shard throughput limits and the KMS
//! request quota.

use std::time::Duration;

/// Tokens refill at `rate_per_sec` up to `burst`; a request takes tokens or is refused.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_sec: f64,
    burst: f64,
    tokens: f64,
    last: Option<Duration>,
}

impl TokenBucket {
    /// A full bucket of one second's worth (`burst = rate`).
    pub fn per_second(rate_per_sec: f64) -> Self {
        Self {
            rate_per_sec,
            burst: rate_per_sec,
            tokens: rate_per_sec,
            last: None,
        }
    }

    /// The refill rate.
    pub fn rate_per_sec(&self) -> f64 {
        self.rate_per_sec
    }

    /// Change the rate (and burst); the tokens held are capped at the new burst.
    pub fn set_rate(&mut self, rate_per_sec: f64) {
        self.rate_per_sec = rate_per_sec;
        self.burst = rate_per_sec;
        self.tokens = self.tokens.min(self.burst);
    }

    fn refill(&mut self, now: Duration) {
        if let Some(last) = self.last {
            let dt = now.saturating_sub(last).as_secs_f64();
            self.tokens = (self.tokens + dt * self.rate_per_sec).min(self.burst);
        }
        self.last = Some(now);
    }

    /// Take `n` tokens if the bucket holds them.
    pub fn try_take(&mut self, n: f64, now: Duration) -> bool {
        self.refill(now);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }

    /// True if the bucket is not in debt.
    pub fn has_tokens(&mut self, now: Duration) -> bool {
        self.refill(now);
        self.tokens > 0.0
    }

    /// Take `n` tokens even past empty (reads: the call that goes over is served, the next ones wait).
    pub fn take_with_debt(&mut self, n: f64, now: Duration) {
        self.refill(now);
        self.tokens -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_rate_and_refills_with_time() {
        let mut b = TokenBucket::per_second(5.0);
        let t0 = Duration::from_secs(10);
        for _ in 0..5 {
            assert!(b.try_take(1.0, t0));
        }
        assert!(!b.try_take(1.0, t0));
        assert!(b.try_take(1.0, t0 + Duration::from_millis(200)));
        assert!(!b.try_take(1.0, t0 + Duration::from_millis(200)));
    }

    #[test]
    fn debt_blocks_until_repaid() {
        let mut b = TokenBucket::per_second(2.0);
        let t0 = Duration::from_secs(1);
        b.take_with_debt(6.0, t0);
        assert!(!b.has_tokens(t0 + Duration::from_secs(1)));
        assert!(b.has_tokens(t0 + Duration::from_millis(2100)));
    }
}
