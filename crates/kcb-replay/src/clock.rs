//! The injected clock. Everything that depends on time (the service's rate limits, iterator
//! expiry, data-key reuse windows, key deletion, the pacer) reads a [`Clock`], so a test can run
//! an hour of schedule in milliseconds and a failing run can be replayed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time, as a duration since the Unix epoch.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time now, since the Unix epoch.
    fn now(&self) -> Duration;
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that moves only when told to: the virtual clock of long-horizon runs and tests.
#[derive(Debug)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A manual clock standing at `start` (since the Unix epoch).
    pub fn new(start: Duration) -> Arc<Self> {
        Arc::new(Self {
            nanos: AtomicU64::new(start.as_nanos() as u64),
        })
    }

    /// A manual clock starting at the system's current time.
    pub fn starting_now() -> Arc<Self> {
        Self::new(SystemClock.now())
    }

    /// Move the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    /// Move the clock to `to`; never backwards.
    pub fn advance_to(&self, to: Duration) {
        self.nanos.fetch_max(to.as_nanos() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward() {
        let c = ManualClock::new(Duration::from_secs(100));
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), Duration::from_secs(105));
        c.advance_to(Duration::from_secs(50));
        assert_eq!(c.now(), Duration::from_secs(105));
        c.advance_to(Duration::from_secs(3600));
        assert_eq!(c.now(), Duration::from_secs(3600));
    }
}

/// Tokio's clock, anchored to the wall clock at creation: under a paused runtime
/// (`start_paused`), time moves only when every task waits, so a run covers an hour of
/// schedule in seconds: the virtual clock.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base: Duration,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// Anchor now. Must be called inside a tokio runtime.
    pub fn new() -> Self {
        Self {
            base: SystemClock.now(),
            start: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.base + self.start.elapsed()
    }
}
