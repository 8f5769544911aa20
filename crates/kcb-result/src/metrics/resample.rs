//! The uncertainty of an overhead (a path's latency percentile minus plaintext's), by bootstrap
//! from HDR histograms, in one of two ways:
//!
//! - **Blocks of time** ([`Blocks`]), when the run's interval log has enough intervals: the
//!   run's seconds are grouped into at most [`MAX_BLOCKS`] consecutive blocks, and a resample
//!   draws that many blocks with replacement, the *same* blocks for the path and for plaintext
//!   (the paths ran side by side, so a slow second slows both). The spread this gives includes
//!   the machine's drift over the run, not only the sampling of values, which is what makes two
//!   identical runs on a busy machine differ.
//! - **Values** ([`Values`]), when a log holds one histogram for the whole run: a resample draws
//!   `n = min(count, sample_size)` values from each histogram (Walker's alias method), as
//!   criterion resamples a benchmark.
//!
//! Either way each resample is a vector of counts over the histograms' buckets, whose
//! quantiles are read off as HdrHistogram reads its own; no list of samples is made.

use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};

use super::intervals::{sparse, Sparse};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, WeightedAliasIndex};
use rayon::prelude::*;

/// The quantiles an overhead is given at: p50, p99, p99.9.
pub const QUANTILES: [f64; 3] = [0.50, 0.99, 0.999];

/// At most this many blocks of time are resampled.
pub const MAX_BLOCKS: usize = 60;

/// Fewer blocks than this and the values are resampled instead.
pub const MIN_BLOCKS: usize = 8;

/// HdrHistogram's quantile rule over buckets: the first bucket whose running count reaches
/// `max(1, ceil(q × total))`.
fn quantiles_of(values: &[u64], counts: &[u64], total: u64) -> [u64; 3] {
    let mut out = [0u64; 3];
    if total == 0 {
        return out;
    }
    for (slot, q) in out.iter_mut().zip(QUANTILES) {
        let target = ((q * total as f64).ceil() as u64).max(1);
        let mut running = 0u64;
        for (v, c) in values.iter().zip(counts) {
            running += c;
            if running >= target {
                *slot = *v;
                break;
            }
        }
    }
    out
}

fn diff(a: [u64; 3], b: [u64; 3]) -> [f64; 3] {
    [
        a[0] as f64 - b[0] as f64,
        a[1] as f64 - b[1] as f64,
        a[2] as f64 - b[2] as f64,
    ]
}

/// One histogram's recorded buckets, ready to be drawn from value by value.
#[derive(Debug, Clone)]
pub struct Values {
    values: Vec<u64>,
    counts: Vec<u64>,
    total: u64,
    alias: WeightedAliasIndex<u64>,
}

impl Values {
    /// `None` for an empty histogram.
    pub fn new(h: &Histogram<u64>) -> Option<Values> {
        Self::from_sparse(&sparse(h))
    }

    /// From recorded buckets in ascending value; `None` when they are empty.
    pub fn from_sparse(buckets: &[(u64, u64)]) -> Option<Values> {
        let values: Vec<u64> = buckets.iter().map(|(v, _)| *v).collect();
        let counts: Vec<u64> = buckets.iter().map(|(_, c)| *c).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let alias = WeightedAliasIndex::new(counts.clone()).ok()?;
        Some(Values {
            values,
            counts,
            total,
            alias,
        })
    }

    /// Values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The quantiles of the whole histogram (equal to `Histogram::value_at_quantile`).
    pub fn quantiles(&self) -> [u64; 3] {
        quantiles_of(&self.values, &self.counts, self.total)
    }

    /// The quantiles of `n` values drawn with replacement; `buf` is scratch space.
    pub fn resample(&self, rng: &mut ChaCha8Rng, n: u64, buf: &mut Vec<u64>) -> [u64; 3] {
        buf.clear();
        buf.resize(self.values.len(), 0);
        for _ in 0..n {
            buf[self.alias.sample(rng)] += 1;
        }
        quantiles_of(&self.values, buf, n)
    }
}

/// A path's and plaintext's latencies in the same blocks of time.
#[derive(Debug, Clone)]
pub struct Blocks {
    /// Every bucket value either path recorded, ascending.
    values: Vec<u64>,
    /// Per block, the path's (bucket index, count) entries.
    path: Vec<Vec<(u32, u64)>>,
    /// Per block, plaintext's entries.
    plain: Vec<Vec<(u32, u64)>>,
}

impl Blocks {
    /// From the two paths' intervals (recorded buckets), interval `i` of both covering the
    /// same time. `None` when fewer than [`MIN_BLOCKS`] intervals hold values of both paths.
    pub fn new(path: &[Sparse], plain: &[Sparse]) -> Option<Blocks> {
        let both: Vec<(&Sparse, &Sparse)> = path
            .iter()
            .zip(plain)
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .collect();
        if both.len() < MIN_BLOCKS {
            return None;
        }
        let mut values: Vec<u64> = both
            .iter()
            .flat_map(|(a, b)| a.iter().chain(b.iter()))
            .map(|(v, _)| *v)
            .collect();
        values.sort_unstable();
        values.dedup();
        let index = |v: u64| values.binary_search(&v).unwrap_or(0) as u32;
        let blocks = both.len().min(MAX_BLOCKS);
        let mut out_path: Vec<Vec<(u32, u64)>> = vec![Vec::new(); blocks];
        let mut out_plain: Vec<Vec<(u32, u64)>> = vec![Vec::new(); blocks];
        // Consecutive intervals share a block: block k holds intervals [k·n/B, (k+1)·n/B).
        for (i, (a, b)) in both.iter().enumerate() {
            let k = i * blocks / both.len();
            out_path[k].extend(a.iter().map(|(v, c)| (index(*v), *c)));
            out_plain[k].extend(b.iter().map(|(v, c)| (index(*v), *c)));
        }
        Some(Blocks {
            values,
            path: out_path,
            plain: out_plain,
        })
    }

    /// How many blocks.
    pub fn len(&self) -> usize {
        self.path.len()
    }

    /// Whether there are no blocks (never, once built).
    pub fn is_empty(&self) -> bool {
        self.path.is_empty()
    }

    fn quantiles(
        &self,
        blocks: &[Vec<(u32, u64)>],
        pick: &[usize],
        buf: &mut Vec<u64>,
    ) -> [u64; 3] {
        buf.clear();
        buf.resize(self.values.len(), 0);
        let mut total = 0;
        for &k in pick {
            for &(i, c) in &blocks[k] {
                buf[i as usize] += c;
                total += c;
            }
        }
        quantiles_of(&self.values, buf, total)
    }

    /// The overheads of the whole run.
    pub fn point(&self) -> [f64; 3] {
        let all: Vec<usize> = (0..self.len()).collect();
        let mut buf = Vec::new();
        diff(
            self.quantiles(&self.path, &all, &mut buf),
            self.quantiles(&self.plain, &all, &mut buf),
        )
    }

    /// The overheads of one resample of the blocks.
    pub fn resample(&self, rng: &mut ChaCha8Rng, buf: &mut Vec<u64>) -> [f64; 3] {
        let pick: Vec<usize> = (0..self.len())
            .map(|_| rng.gen_range(0..self.len()))
            .collect();
        diff(
            self.quantiles(&self.path, &pick, buf),
            self.quantiles(&self.plain, &pick, buf),
        )
    }
}

/// A path's overhead over plaintext in one run, ready to be resampled.
#[derive(Debug, Clone)]
pub enum Overheads {
    /// By blocks of time.
    Blocks(Blocks),
    /// By values, at most `sample_size` drawn from each histogram.
    Values {
        /// The path.
        path: Values,
        /// Plaintext.
        plain: Values,
        /// The most values drawn per histogram.
        sample_size: u64,
    },
}

impl Overheads {
    /// By blocks when the intervals (recorded buckets, interval `i` of both paths covering the
    /// same time) allow it, else by values of the whole run; `None` when a path recorded
    /// nothing.
    pub fn new(path: &[Sparse], plain: &[Sparse], sample_size: u64) -> Option<Overheads> {
        if let Some(b) = Blocks::new(path, plain) {
            return Some(Overheads::Blocks(b));
        }
        Some(Overheads::Values {
            path: Values::from_sparse(&merge(path))?,
            plain: Values::from_sparse(&merge(plain))?,
            sample_size: sample_size.max(1),
        })
    }

    /// How the spread is drawn, for notes: "blocks of time" or "values".
    pub fn method(&self) -> String {
        match self {
            Overheads::Blocks(b) => format!("{} blocks of time", b.len()),
            Overheads::Values { .. } => "values (the log has too few intervals)".to_owned(),
        }
    }

    /// The overheads of the whole run.
    pub fn point(&self) -> [f64; 3] {
        match self {
            Overheads::Blocks(b) => b.point(),
            Overheads::Values { path, plain, .. } => diff(path.quantiles(), plain.quantiles()),
        }
    }

    /// The overheads of one resample.
    pub fn resample(&self, rng: &mut ChaCha8Rng, buf: &mut Vec<u64>) -> [f64; 3] {
        match self {
            Overheads::Blocks(b) => b.resample(rng, buf),
            Overheads::Values {
                path,
                plain,
                sample_size,
            } => {
                let n = |v: &Values| v.total().min(*sample_size);
                let a = path.resample(rng, n(path), buf);
                let b = plain.resample(rng, n(plain), buf);
                diff(a, b)
            }
        }
    }
}

/// Intervals' recorded buckets added up, in ascending value.
fn merge(intervals: &[Sparse]) -> Sparse {
    let mut all: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    for (v, c) in intervals.iter().flatten() {
        *all.entry(*v).or_default() += c;
    }
    all.into_iter().collect()
}

/// `resamples` draws of `f` (resample `i` on its own ChaCha stream of `seed`, so the draws do
/// not depend on how many threads share them), spread over the machine's cores.
pub fn draws<F>(resamples: usize, seed: u64, f: F) -> Vec<[f64; 3]>
where
    F: Fn(&mut ChaCha8Rng, &mut Vec<u64>) -> [f64; 3] + Sync,
{
    (0..resamples.max(1))
        .into_par_iter()
        .map_init(Vec::new, |buf, i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64);
            f(&mut rng, buf)
        })
        .collect()
}

/// The central `confidence` share of the draws, quantile by quantile: (low, high).
pub fn intervals(draws: &[[f64; 3]], confidence: f64) -> [(f64, f64); 3] {
    let mut out = [(0.0, 0.0); 3];
    for (k, slot) in out.iter_mut().enumerate() {
        let mut xs: Vec<f64> = draws.iter().map(|d| d[k]).collect();
        *slot = interval(&mut xs, confidence);
    }
    out
}

/// The central `confidence` share of `xs` (sorted in place): the values at ranks
/// floor(α/2 × B) and ceil((1 − α/2) × B) − 1, α = 1 − confidence.
pub fn interval(xs: &mut [f64], confidence: f64) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    xs.sort_by(f64::total_cmp);
    let b = xs.len() as f64;
    let alpha = 1.0 - confidence;
    let lo = ((alpha / 2.0 * b).floor() as usize).min(xs.len() - 1);
    let hi = (((1.0 - alpha / 2.0) * b).ceil() as usize)
        .saturating_sub(1)
        .min(xs.len() - 1);
    (xs[lo], xs[hi.max(lo)])
}

/// A path's overhead at [`QUANTILES`] with its `confidence` interval, from `resamples` draws.
pub fn overhead_intervals(
    o: &Overheads,
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> ([f64; 3], [(f64, f64); 3]) {
    let d = draws(resamples, seed, |rng, buf| o.resample(rng, buf));
    (o.point(), intervals(&d, confidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::metrics::testing::{hist, lcg};

    /// 30 one-second intervals; the path is `extra` µs slower; in seconds 10..20 the machine
    /// is 300 µs slower for both.
    fn seconds(extra: u64, seed: u64) -> (Vec<Sparse>, Vec<Sparse>) {
        (0..30u64)
            .map(|s| {
                let slow = if (10..20).contains(&s) { 300 } else { 0 };
                (
                    sparse(&hist(lcg(seed + s, 200, 1_000 + slow + extra, 200))),
                    sparse(&hist(lcg(seed + 100 + s, 200, 1_000 + slow, 200))),
                )
            })
            .unzip()
    }

    #[test]
    fn blocks_pair_the_paths_in_time_and_find_a_known_overhead() {
        let (path, plain) = seconds(50, 1);
        let o = Overheads::new(&path, &plain, 5_000).unwrap_or_else(|| panic!("built"));
        assert!(matches!(o, Overheads::Blocks(ref b) if b.len() == 30));
        let (point, ci) = overhead_intervals(&o, 400, 0.95, 3);
        assert!((point[0] - 50.0).abs() <= 12.0, "{point:?}");
        assert!(ci[0].0 <= point[0] && point[0] <= ci[0].1, "{ci:?}");
        assert!(
            ci[0].0 > 0.0,
            "a 50 µs overhead is not within noise: {ci:?}"
        );
        // Same inputs, same interval.
        assert_eq!(overhead_intervals(&o, 400, 0.95, 3), (point, ci));
    }

    #[test]
    fn identical_paths_give_an_interval_around_zero() {
        let (a, _) = seconds(0, 7);
        let (b, _) = seconds(0, 7);
        let o = Overheads::new(&a, &b, 5_000).unwrap_or_else(|| panic!("built"));
        let (point, ci) = overhead_intervals(&o, 400, 0.95, 5);
        for k in 0..3 {
            assert_eq!(point[k], 0.0);
            assert!(ci[k].0 <= 0.0 && ci[k].1 >= 0.0, "{k}: {ci:?}");
        }
    }

    #[test]
    fn few_intervals_fall_back_to_values() {
        let (path, plain) = seconds(40, 9);
        let o = Overheads::new(&path[..3], &plain[..3], 5_000).unwrap_or_else(|| panic!("built"));
        assert!(matches!(o, Overheads::Values { .. }));
        let (point, ci) = overhead_intervals(&o, 300, 0.95, 1);
        assert!((point[0] - 40.0).abs() <= 15.0, "{point:?}");
        assert!(ci[0].0 <= point[0] && point[0] <= ci[0].1);
        assert!(Overheads::new(&[], &[], 10).is_none());
    }

    #[test]
    fn quantiles_match_hdrhistogram() {
        for (seed, n) in [(1, 1), (2, 7), (3, 1_000), (4, 20_000)] {
            let h = hist(lcg(seed, n, 100, 50_000));
            let v = Values::new(&h).unwrap_or_else(|| panic!("values"));
            assert_eq!(
                v.quantiles(),
                [
                    h.value_at_quantile(0.5),
                    h.value_at_quantile(0.99),
                    h.value_at_quantile(0.999)
                ],
                "n = {n}"
            );
        }
    }

    #[test]
    fn interval_by_hand() {
        // B = 40, 95 %: ranks floor(0.025 × 40) = 1 and ceil(0.975 × 40) − 1 = 38.
        let mut xs: Vec<f64> = (0..40).rev().map(f64::from).collect();
        assert_eq!(interval(&mut xs, 0.95), (1.0, 38.0));
        assert_eq!(interval(&mut [5.0], 0.95), (5.0, 5.0));
    }
}
