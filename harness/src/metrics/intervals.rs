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

    /// The histogram of interval `index`, `None` when nothing was recorded in it. Each call
    /// decompresses one interval: read a long run interval by interval, not all at once.
    pub fn histogram_at(&self, index: u64) -> Option<Histogram<u64>> {
        let s = self.inner.lock();
        if index == s.current_index && !s.current.is_empty() {
            return Some(s.current.inner().clone());
        }
        let bytes = s.closed.get(&index)?;
        Deserializer::new()
            .deserialize::<u64, _>(&mut bytes.as_slice())
            .ok()
    }

    /// Intervals `first` to `last` (inclusive), empty ones included, each as its recorded
    /// buckets (small, however wide the histogram).
    pub fn sparse_intervals(&self, first: u64, last: u64) -> Vec<Sparse> {
        (first..=last)
            .map(|i| self.histogram_at(i).map(|h| sparse(&h)).unwrap_or_default())
            .collect()
    }
}

/// A histogram's recorded buckets, `(value, count)` in ascending value (the value is each
/// bucket's highest equivalent, as HdrHistogram reports it).
pub type Sparse = Vec<(u64, u64)>;

/// The recorded buckets of `h`.
pub fn sparse(h: &Histogram<u64>) -> Sparse {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
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
        let all = s.sparse_intervals(0, 4);
        let counts: Vec<u64> = all.iter().map(|i| i.iter().map(|(_, c)| c).sum()).collect();
        assert_eq!(counts, vec![2, 0, 1, 2, 0]);
        assert_eq!(s.histogram_at(3).map(|h| h.max()), Some(50));
        assert!(s.histogram_at(1).is_none());
        assert_eq!(s.summary().count, 5);
        // Reading the intervals does not lose what comes after.
        s.record(ms(4_200), Duration::from_micros(60));
        assert_eq!(s.histogram_at(4).map(|h| h.len()), Some(1));
    }
}
