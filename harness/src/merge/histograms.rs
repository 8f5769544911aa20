//! The workers' interval logs added interval by interval, as HdrHistogram's own tools merge
//! logs: every worker's load started at the common instant, so interval `i` of each covers the
//! same span of the run, and a tag's interval `i` in the merged log is the sum of theirs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::metrics::hlog;
use crate::metrics::intervals::{sparse, Sparse};
use crate::metrics::latency::{new_histogram_us, LatencyHistogram, LatencySummary};
use crate::metrics::resample::{self, Overheads};
use crate::metrics::{MetricsError, Overhead};

/// Every tag's histograms by interval index, summed over the logs read.
#[derive(Debug, Default)]
pub struct Merged {
    /// tag -> interval index -> histogram.
    pub tags: BTreeMap<String, BTreeMap<u64, Histogram<u64>>>,
    /// The tags in the order the first log wrote them.
    pub order: Vec<String>,
    /// One interval's length (the scenario's `[output] interval`).
    pub interval: Duration,
}

impl Merged {
    /// An empty merge of intervals of `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            ..Self::default()
        }
    }

    /// Add every interval of the log at `path`. A histogram whose values do not fit the
    /// merged one's range is added value by value.
    pub fn add_log(&mut self, path: &Path) -> Result<(), MetricsError> {
        let step = self.interval.as_secs_f64().max(1e-9);
        hlog::visit_hlog_intervals(path, |i| {
            let index = (i.start.as_secs_f64() / step).round() as u64;
            if !self.tags.contains_key(&i.tag) {
                self.order.push(i.tag.clone());
            }
            let slot = self
                .tags
                .entry(i.tag.clone())
                .or_default()
                .entry(index)
                .or_insert_with(new_histogram_us);
            if slot.add(&i.histogram).is_err() {
                for v in i.histogram.iter_recorded() {
                    slot.saturating_record_n(v.value_iterated_to(), v.count_at_value());
                }
            }
        })
    }

    /// Write the merged log to `path`, the log's start being the common start.
    pub fn write(&self, path: &Path, start: SystemTime) -> Result<(), MetricsError> {
        let indices: std::collections::BTreeSet<u64> = self
            .tags
            .values()
            .flat_map(|by| by.keys().copied())
            .collect();
        let mut out = Vec::new();
        for index in indices {
            for tag in &self.order {
                if let Some(h) = self.tags.get(tag).and_then(|by| by.get(&index)) {
                    out.push((index, tag.as_str(), h));
                }
            }
        }
        hlog::write_hlog_indexed(path, start, self.interval, &out)
    }

    /// Whether no log added anything.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The whole of `tag`: every interval added.
    pub fn whole(&self, tag: &str) -> Option<LatencyHistogram> {
        let by = self.tags.get(tag)?;
        let mut h = LatencyHistogram::new();
        for i in by.values() {
            h.add_histogram(i);
        }
        Some(h)
    }

    /// The summary of `tag` (empty when the logs hold none of it).
    pub fn summary(&self, tag: &str) -> LatencySummary {
        self.whole(tag).map(|h| h.summary()).unwrap_or_default()
    }

    /// The summary of `tag` over the intervals that lie wholly in `[from, to)` since the start
    /// (`to` None: to the end).
    pub fn summary_within(
        &self,
        tag: &str,
        from: Duration,
        to: Option<Duration>,
    ) -> LatencySummary {
        let Some(by) = self.tags.get(tag) else {
            return LatencySummary::default();
        };
        let mut h = LatencyHistogram::new();
        for (index, i) in by {
            let start = self.interval.saturating_mul(*index as u32);
            let end = start + self.interval;
            if start >= from && to.is_none_or(|t| end <= t) {
                h.add_histogram(i);
            }
        }
        h.summary()
    }

    fn sparse_intervals(&self, tag: &str, first: u64, last: u64) -> Vec<Sparse> {
        let by = self.tags.get(tag);
        (first..=last)
            .map(|i| by.and_then(|b| b.get(&i)).map(sparse).unwrap_or_default())
            .collect()
    }

    /// `tag`'s overhead over `plain_tag`'s with the 95 % intervals a run computes (blocks of
    /// the merged intervals, the two tags' same intervals together), `seed` as the run's.
    pub fn overhead(&self, tag: &str, plain_tag: &str, seed: u64) -> Option<Overhead> {
        if !self.tags.contains_key(tag) || !self.tags.contains_key(plain_tag) {
            return None;
        }
        let (ours, theirs) = (self.summary(tag), self.summary(plain_tag));
        let point = Overhead::between(&ours, &theirs);
        let samples = ours.count.min(theirs.count);
        let keys = |t: &str| {
            self.tags
                .get(t)
                .into_iter()
                .flat_map(|b| b.keys().copied())
                .collect::<Vec<_>>()
        };
        let all: Vec<u64> = keys(tag).into_iter().chain(keys(plain_tag)).collect();
        let (Some(first), Some(last)) = (all.iter().min(), all.iter().max()) else {
            return Some(point);
        };
        let path = self.sparse_intervals(tag, *first, *last);
        let plain = self.sparse_intervals(plain_tag, *first, *last);
        Some(match Overheads::new(&path, &plain, 5_000) {
            Some(o) => {
                let (_, ci) = resample::overhead_intervals(&o, OVERHEAD_RESAMPLES, 0.95, seed);
                point.with_intervals(ci).enough_for(samples)
            }
            None => point,
        })
    }
}

/// Resamples of a merged overhead's intervals: as many as a run's.
const OVERHEAD_RESAMPLES: usize = 1_000;
