//! Latency histograms in microseconds, kept whole (HdrHistogram, 4 significant figures,
//! auto-resizing), never a sorted vector of samples.
//!
//! Record, warm up, [`LatencyHistogram::reset`], measure; merge histograms from several
//! producers or machines with [`LatencyHistogram::add`]; summarise at the end.

use std::time::Duration;

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// Significant figures every latency histogram keeps: every value below 32,768 µs has a bucket
/// of its own (1 µs wide), so an overhead of a few µs shows at the latencies measured (put
/// latencies of tens of ms included); above that, buckets are within 0.01 % of their value.
pub const LATENCY_SIGFIG: u8 = 4;

/// A latency histogram whose unit is the microsecond.
///
/// Auto-resizing: any `u64` value of microseconds can be recorded; values past the largest
/// trackable one (about 2^62 µs) are clamped rather than dropped.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram: microseconds, [`LATENCY_SIGFIG`] significant figures, auto-resizing.
    pub fn new() -> Self {
        Self {
            hist: new_histogram_us(),
        }
    }

    /// Wrap an existing histogram of microseconds (one read back from an interval log, say).
    /// Auto-resizing is switched on so later recordings and additions never fail.
    pub fn from_histogram(mut hist: Histogram<u64>) -> Self {
        hist.auto(true);
        Self { hist }
    }

    /// Record one latency of `latency_us` microseconds.
    pub fn record_us(&mut self, latency_us: u64) {
        if self.hist.record(latency_us).is_err() {
            self.hist.saturating_record(latency_us);
        }
    }

    /// Record one latency, truncated to whole microseconds (saturating at `u64::MAX` µs).
    pub fn record(&mut self, latency: Duration) {
        self.record_us(duration_as_us(latency));
    }

    /// Forget every recorded value (the end of warm-up), keeping the histogram's shape.
    pub fn reset(&mut self) {
        self.hist.reset();
    }

    /// Add every value of `other` into this histogram (merging by addition).
    pub fn add(&mut self, other: &LatencyHistogram) {
        self.add_histogram(&other.hist);
    }

    /// Add every value of a raw histogram of microseconds into this one.
    ///
    /// Values beyond this histogram's range are clamped, never dropped.
    pub fn add_histogram(&mut self, other: &Histogram<u64>) {
        if self.hist.add(other).is_err() {
            for v in other.iter_recorded() {
                self.hist
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// The percentiles, maximum, count and mean; all zero for an empty histogram.
    pub fn summary(&self) -> LatencySummary {
        let h = &self.hist;
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            count: h.len(),
            mean: finite_or_zero(h.mean()),
        }
    }

    /// The underlying histogram (microseconds), to persist it whole in an interval log.
    pub fn inner(&self) -> &Histogram<u64> {
        &self.hist
    }
}

/// A new empty auto-resizing histogram of microseconds at [`LATENCY_SIGFIG`].
pub fn new_histogram_us() -> Histogram<u64> {
    match Histogram::<u64>::new(LATENCY_SIGFIG) {
        Ok(h) => h,
        // 4 significant figures is always a valid precision (the bound is 0..=5).
        Err(_) => unreachable!("4 significant figures is a valid HdrHistogram precision"),
    }
}

fn duration_as_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// A [`LatencyHistogram`] behind a mutex, for producers and consumers on several threads.
///
/// Each call locks briefly; a hot loop on one thread may prefer its own `LatencyHistogram`
/// and [`SharedLatency::add`] it in at intervals.
#[derive(Debug, Default)]
pub struct SharedLatency {
    inner: Mutex<LatencyHistogram>,
}

impl SharedLatency {
    /// An empty shared histogram of microseconds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one latency of `latency_us` microseconds.
    pub fn record_us(&self, latency_us: u64) {
        self.inner.lock().record_us(latency_us);
    }

    /// Record one latency, truncated to whole microseconds.
    pub fn record(&self, latency: Duration) {
        self.inner.lock().record(latency);
    }

    /// Add every value of `other` (merging by addition).
    pub fn add(&self, other: &LatencyHistogram) {
        self.inner.lock().add(other);
    }

    /// Forget every recorded value (the end of warm-up).
    pub fn reset(&self) {
        self.inner.lock().reset();
    }

    /// The summary of what has been recorded so far.
    pub fn summary(&self) -> LatencySummary {
        self.inner.lock().summary()
    }

    /// A copy of the histogram as it stands.
    pub fn snapshot(&self) -> LatencyHistogram {
        self.inner.lock().clone()
    }

    /// Take the histogram out, leaving an empty one in its place.
    pub fn take(&self) -> LatencyHistogram {
        std::mem::take(&mut *self.inner.lock())
    }
}

/// Percentiles of a latency histogram; every value is in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySummary {
    /// Median, µs.
    pub p50: u64,
    /// 90th percentile, µs.
    pub p90: u64,
    /// 99th percentile, µs.
    pub p99: u64,
    /// 99.9th percentile, µs.
    pub p999: u64,
    /// Largest value recorded, µs.
    pub max: u64,
    /// Number of values recorded.
    pub count: u64,
    /// Arithmetic mean, µs.
    pub mean: f64,
}

/// What a protection path adds to latency over the plaintext path, in microseconds
/// (negative when the path measured faster), with the 95 % interval of each figure.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Overhead {
    /// Median of the path minus median of plaintext, µs.
    pub p50: i64,
    /// 99th percentile of the path minus that of plaintext, µs.
    pub p99: i64,
    /// 99.9th percentile of the path minus that of plaintext, µs.
    pub p999: i64,
    /// 95 % interval of `p50`, [low, high] µs (None: not estimated).
    pub p50_ci: Option<[i64; 2]>,
    /// 95 % interval of `p99`.
    pub p99_ci: Option<[i64; 2]>,
    /// 95 % interval of `p999`.
    pub p999_ci: Option<[i64; 2]>,
}

impl Overhead {
    /// `path` minus `plaintext`, percentile by percentile (saturating at the `i64` range), with
    /// no interval.
    pub fn between(path: &LatencySummary, plaintext: &LatencySummary) -> Overhead {
        Overhead {
            p50: signed_diff(path.p50, plaintext.p50),
            p99: signed_diff(path.p99, plaintext.p99),
            p999: signed_diff(path.p999, plaintext.p999),
            p50_ci: None,
            p99_ci: None,
            p999_ci: None,
        }
    }

    /// The same with the intervals of p50, p99 and p99.9 (µs, as (low, high)).
    pub fn with_intervals(self, ci: [(f64, f64); 3]) -> Overhead {
        let whole = |(lo, hi): (f64, f64)| Some([lo.floor() as i64, hi.ceil() as i64]);
        Overhead {
            p50_ci: whole(ci[0]),
            p99_ci: whole(ci[1]),
            p999_ci: whole(ci[2]),
            ..self
        }
    }

    /// The same without the intervals of the percentiles that `count` samples (the fewer of
    /// the two sides') are too few for ([`crate::format::min_samples`]: 6 for p50, 368 for
    /// p99, 3,688 for p99.9). From fewer, the percentile is near the largest sample, and a
    /// bootstrap of it mostly redraws that one value: its interval would not cover as it says.
    pub fn enough_for(self, count: u64) -> Overhead {
        let keep =
            |q: f64, ci: Option<[i64; 2]>| ci.filter(|_| count >= crate::format::min_samples(q));
        Overhead {
            p50_ci: keep(0.50, self.p50_ci),
            p99_ci: keep(0.99, self.p99_ci),
            p999_ci: keep(0.999, self.p999_ci),
            ..self
        }
    }

    /// Whether the p50's interval holds zero (the overhead cannot be told from noise).
    pub fn p50_within_noise(&self) -> bool {
        within(self.p50_ci)
    }
}

/// Whether an interval holds zero.
pub fn within(ci: Option<[i64; 2]>) -> bool {
    ci.is_some_and(|[lo, hi]| lo <= 0 && 0 <= hi)
}

fn signed_diff(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_uniform_values() {
        let mut h = LatencyHistogram::new();
        for us in 1..=10_000u64 {
            h.record_us(us);
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        // 4 significant figures: exact below 32,768 µs.
        assert!((s.p50 as f64 - 5_000.0).abs() <= 5.0, "{s:?}");
        assert!((s.p90 as f64 - 9_000.0).abs() <= 9.0, "{s:?}");
        assert!((s.p99 as f64 - 9_900.0).abs() <= 10.0, "{s:?}");
        assert!((s.p999 as f64 - 9_990.0).abs() <= 10.0, "{s:?}");
        assert!((s.max as f64 - 10_000.0).abs() <= 10.0, "{s:?}");
        assert!((s.mean - 5_000.5).abs() < 5.0, "{s:?}");
    }

    #[test]
    fn buckets_are_one_microsecond_wide_up_to_32_ms() {
        let h = LatencyHistogram::new();
        for us in [1u64, 999, 16_000, 20_017, 32_767] {
            assert_eq!(h.inner().lowest_equivalent(us), us, "{us}");
            assert_eq!(h.inner().highest_equivalent(us), us, "{us}");
        }
        // Past 32,768 µs a bucket is 2 µs wide: still within 0.01 %.
        assert_eq!(
            h.inner().highest_equivalent(40_000) - h.inner().lowest_equivalent(40_000),
            1
        );
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(LatencyHistogram::new().summary(), LatencySummary::default());
    }

    #[test]
    fn durations_are_microseconds() {
        let mut h = LatencyHistogram::new();
        h.record(Duration::from_millis(3));
        h.record(Duration::from_nanos(1_999));
        assert_eq!(h.len(), 2);
        assert_eq!(h.inner().min(), 1);
        assert!(h.inner().equivalent(h.inner().max(), 3_000));
    }

    #[test]
    fn huge_values_are_clamped_not_lost() {
        let mut h = LatencyHistogram::new();
        h.record_us(u64::MAX);
        h.record(Duration::MAX);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn reset_forgets_warm_up() {
        let mut h = LatencyHistogram::new();
        h.record_us(1_000_000);
        h.reset();
        h.record_us(10);
        let s = h.summary();
        assert_eq!((s.count, s.max), (1, 10));
    }

    #[test]
    fn add_merges_by_addition() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        a.record_us(100);
        b.record_us(10_000_000);
        b.record_us(200);
        a.add(&b);
        assert_eq!(a.len(), 3);
        assert!(a.inner().equivalent(a.summary().max, 10_000_000));
    }

    #[test]
    fn shared_latency_across_threads() {
        let shared = std::sync::Arc::new(SharedLatency::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let s = shared.clone();
                std::thread::spawn(move || {
                    for i in 0..1_000u64 {
                        s.record_us(t * 1_000 + i + 1);
                    }
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        assert_eq!(shared.summary().count, 4_000);
        let taken = shared.take();
        assert_eq!(taken.len(), 4_000);
        assert_eq!(shared.summary().count, 0);
    }

    #[test]
    fn overhead_is_signed() {
        let path = LatencySummary {
            p50: 1_100,
            p99: 2_000,
            ..Default::default()
        };
        let plain = LatencySummary {
            p50: 1_000,
            p99: 2_500,
            ..Default::default()
        };
        let o = Overhead::between(&path, &plain);
        assert_eq!((o.p50, o.p99, o.p50_ci), (100, -500, None));
        let o = o.with_intervals([(-20.4, 210.2), (-900.0, -100.0), (0.0, 0.0)]);
        assert_eq!(o.p50_ci, Some([-21, 211]));
        assert!(o.p50_within_noise());
        assert!(!within(o.p99_ci));
        let huge = LatencySummary {
            p50: u64::MAX,
            ..Default::default()
        };
        assert_eq!(Overhead::between(&huge, &plain).p50, i64::MAX);
    }

    /// 52 calls give a p50 interval, not a p99 one (368 needed); 2,000 records give p99's,
    /// not p99.9's (3,688).
    #[test]
    fn intervals_need_enough_samples_for_their_percentile() {
        let o = Overhead::between(&LatencySummary::default(), &LatencySummary::default())
            .with_intervals([(-1.0, 1.0), (-2.0, 2.0), (-3.0, 3.0)]);
        let few = o.enough_for(52);
        assert_eq!(
            (few.p50_ci, few.p99_ci, few.p999_ci),
            (Some([-1, 1]), None, None)
        );
        let some = o.enough_for(2_000);
        assert_eq!((some.p99_ci, some.p999_ci), (Some([-2, 2]), None));
        assert_eq!(o.enough_for(3_688), o);
        assert_eq!(o.enough_for(5).p50_ci, None);
    }
}
