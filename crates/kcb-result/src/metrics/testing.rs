//! Synthetic latencies for the unit tests of the metrics, the gate and the report.

use hdrhistogram::Histogram;

use super::LatencyHistogram;

/// Deterministic pseudo-random latencies in `lo .. lo + span` µs.
pub fn lcg(seed: u64, n: usize, lo: u64, span: u64) -> Vec<u64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (x >> 33) % span
        })
        .collect()
}

/// A histogram at the harness's resolution holding `values` (µs).
pub fn hist(values: impl IntoIterator<Item = u64>) -> Histogram<u64> {
    let mut h = LatencyHistogram::new();
    for v in values {
        h.record_us(v);
    }
    h.inner().clone()
}
