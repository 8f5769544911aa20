//! A latency histogram kept whole for the run and also interval by interval (1 s by default),
//! so the run's `latency.hlog` holds one histogram per interval, with its true start and
//! length, as HdrHistogram's interval logs do. A closed interval is compressed (V2 deflate)
//! and written to an unnamed temporary file (which the system removes when the process ends),
//! so a series holds about 20 bytes of memory an interval however long the run; the report,
//! the gate and the interval log read the intervals back one at a time. Where no temporary
//! file can be made, closed intervals stay in memory, compressed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
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
    /// Closed, non-empty intervals by index: where each one's compressed bytes are in `store`.
    closed: BTreeMap<u64, (u64, u32)>,
    store: Store,
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
            if let Some(at) = self.store.put(&bytes) {
                self.closed.insert(self.current_index, at);
            }
        }
        self.current.reset();
    }
}

/// Append-only bytes: in an unnamed temporary file once one exists, else in memory.
#[derive(Debug, Default)]
struct Store {
    file: Option<File>,
    /// Bytes written to `file`.
    file_len: u64,
    /// A temporary file could not be made or written: use `memory` from here on.
    no_file: bool,
    memory: Vec<u8>,
    /// Where `memory` starts in the store's offsets (the file's length when it failed).
    memory_from: u64,
}

impl Store {
    /// Append `bytes`: their offset and length.
    fn put(&mut self, bytes: &[u8]) -> Option<(u64, u32)> {
        let len = u32::try_from(bytes.len()).ok()?;
        if !self.no_file {
            if self.file.is_none() {
                match tempfile::tempfile() {
                    Ok(f) => self.file = Some(f),
                    Err(e) => self.fall_back(&e),
                }
            }
            if let Some(f) = self.file.as_mut() {
                let at = self.file_len;
                let written = f.seek(SeekFrom::Start(at)).and_then(|_| f.write_all(bytes));
                match written {
                    Ok(()) => {
                        self.file_len += u64::from(len);
                        return Some((at, len));
                    }
                    Err(e) => self.fall_back(&e),
                }
            }
        }
        let at = self.memory_from + self.memory.len() as u64;
        self.memory.extend_from_slice(bytes);
        Some((at, len))
    }

    fn fall_back(&mut self, e: &std::io::Error) {
        tracing::warn!("latency intervals kept in memory: no temporary file ({e})");
        self.no_file = true;
        self.memory_from = self.file_len;
    }

    /// The bytes put at `(offset, len)`.
    fn get(&mut self, (at, len): (u64, u32)) -> Option<Vec<u8>> {
        let len = len as usize;
        if self.no_file && at >= self.memory_from {
            let from = usize::try_from(at - self.memory_from).ok()?;
            return self.memory.get(from..from + len).map(<[u8]>::to_vec);
        }
        let f = self.file.as_mut()?;
        let mut buf = vec![0; len];
        f.seek(SeekFrom::Start(at)).ok()?;
        f.read_exact(&mut buf).ok()?;
        Some(buf)
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
        let mut s = self.inner.lock();
        if index == s.current_index && !s.current.is_empty() {
            return Some(s.current.inner().clone());
        }
        let at = *s.closed.get(&index)?;
        let bytes = s.store.get(at)?;
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
    fn the_store_returns_what_was_put_from_the_file_and_after_falling_back_to_memory() {
        let mut st = Store::default();
        let a = st.put(b"first").unwrap();
        let b = st.put(b"second, longer").unwrap();
        assert!(st.file.is_some(), "a temporary file holds the bytes");
        assert!(st.memory.is_empty());
        st.fall_back(&std::io::Error::other("test"));
        let c = st.put(b"third").unwrap();
        assert_eq!(c.0, 5 + 14, "offsets continue past the file's bytes");
        assert_eq!(st.get(a).as_deref(), Some(&b"first"[..]));
        assert_eq!(st.get(b).as_deref(), Some(&b"second, longer"[..]));
        assert_eq!(st.get(c).as_deref(), Some(&b"third"[..]));
        assert_eq!(st.get((c.0 + 1, 5)), None, "past the end");
    }

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
