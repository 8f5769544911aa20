//! A latency histogram kept whole for the run and also interval by interval (1 s by default),
//! so the run's `latency.hlog` holds one histogram per interval, with its true start and
//! length, as HdrHistogram's interval logs do. A closed interval is kept compressed (V2
//! deflate), so an hour of one-second intervals costs a few hundred bytes a second, not a
//! histogram a second.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::latency::{LatencyHistogram, LatencySummary};

#[derive(Debug, Default)]
struct Series {
    whole: LatencyHistogram,
    current: LatencyHistogram,
    current_index: u64,
    /// Closed, non-empty intervals by index, compressed.
    closed: BTreeMap<u64, Vec<u8>>,
}

impl Series {
    fn close_current(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let mut bytes = Vec::new();
        // Serializing into memory cannot fail but for a histogram too large for the format.
        if V2DeflateSerializer::new()
            .serialize(self.current.inner(), &mut bytes)
            .is_ok()
        {
            self.closed.insert(self.current_index, bytes);
        }
        self.current.reset();
    }
}

/// A latency series: the whole run's histogram and one per interval.
#[derive(Debug)]
pub struct IntervalSeries {
    interval: Duration,
    inner: Mutex<Series>,
}

impl IntervalSeries {
    /// Empty, with intervals `interval` long (at least 1 ms).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval: interval.max(Duration::from_millis(1)),
            inner: Mutex::new(Series::default()),
        }
    }

    /// The interval length.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The interval a time falls in.
    pub fn index_of(&self, at: Duration) -> u64 {
        u64::try_from(at.as_nanos() / self.interval.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Record `latency`, observed at `at` (since the start of the load). A value that arrives
    /// after a later interval has begun (another thread was quicker) goes into that one.
    pub fn record(&self, at: Duration, latency: Duration) {
        let index = self.index_of(at);
        let mut s = self.inner.lock();
        if index > s.current_index {
            s.close_current();
            s.current_index = index;
        }
        s.current.record(latency);
        s.whole.record(latency);
    }

    /// The whole run's summary.
    pub fn summary(&self) -> LatencySummary {
        self.inner.lock().whole.summary()
    }

    /// The whole run's histogram.
    pub fn snapshot(&self) -> LatencyHistogram {
        self.inner.lock().whole.clone()
    }

    /// Every interval from `first` to `last` (inclusive), empty ones included, as
    /// `(index, histogram)`.
    pub fn intervals(&self, first: u64, last: u64) -> Vec<(u64, Histogram<u64>)> {
        let s = self.inner.lock();
        let mut de = Deserializer::new();
        (first..=last)
            .map(|i| {
                let h = if i == s.current_index && !s.current.is_empty() {
                    s.current.inner().clone()
                } else {
                    s.closed
                        .get(&i)
                        .and_then(|b| de.deserialize::<u64, _>(&mut b.as_slice()).ok())
                        .unwrap_or_else(|| LatencyHistogram::new().inner().clone())
                };
                (i, h)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_their_interval_and_in_the_whole() {
        let s = IntervalSeries::new(Duration::from_secs(1));
        let ms = Duration::from_millis;
        s.record(ms(100), Duration::from_micros(10));
        s.record(ms(900), Duration::from_micros(20));
        s.record(ms(2_500), Duration::from_micros(30));
        // Late: observed in second 2 after second 3 began, counted in second 3.
        s.record(ms(3_100), Duration::from_micros(40));
        s.record(ms(2_999), Duration::from_micros(50));
        let all = s.intervals(0, 4);
        let counts: Vec<u64> = all.iter().map(|(_, h)| h.len()).collect();
        assert_eq!(counts, vec![2, 0, 1, 2, 0]);
        assert_eq!(
            all.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..5).collect::<Vec<_>>()
        );
        assert_eq!(all[3].1.max(), 50);
        assert_eq!(s.summary().count, 5);
        // Reading the intervals does not lose what comes after.
        s.record(ms(4_200), Duration::from_micros(60));
        assert_eq!(s.intervals(4, 4)[0].1.len(), 1);
    }
}
