//! A confidence interval on the change in a path's latency overhead over plaintext between two
//! runs, by bootstrap from the runs' saved HDR histograms (as criterion compares benchmarks).
//!
//! One resample draws `n = min(count, sample_size)` values from each of the four histograms
//! (baseline path, baseline plaintext, current path, current plaintext) by inverting the
//! histogram's distribution, and computes for each quantile q
//! `(q(current path) - q(current plaintext)) - (q(baseline path) - q(baseline plaintext))`.
//! The interval is the central `confidence` share of those changes. Draws never materialise a
//! list of samples: each resample is a vector of counts over the histogram's buckets, and its
//! quantile is read off the counts exactly as HdrHistogram reads its own.

use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, WeightedAliasIndex};
use rayon::prelude::*;

use super::config::BootstrapConfig;

/// Quantiles the gate compares: p50 and p99.
pub const QUANTILES: [f64; 2] = [0.50, 0.99];

/// A histogram's recorded buckets, ready to be drawn from in O(1) per value (Walker's alias
/// method, `rand_distr::WeightedAliasIndex`) and summarised like HdrHistogram.
#[derive(Debug, Clone)]
pub struct Sampler {
    /// Each recorded bucket's value (its highest equivalent value, as HdrHistogram reports).
    values: Vec<u64>,
    /// Each bucket's count.
    counts: Vec<u64>,
    /// Total count.
    total: u64,
    /// Draws bucket i with probability counts[i] / total.
    alias: WeightedAliasIndex<u64>,
}

impl Sampler {
    /// `None` for an empty histogram.
    pub fn new(h: &Histogram<u64>) -> Option<Sampler> {
        let mut values = Vec::new();
        let mut counts = Vec::new();
        for v in h.iter_recorded() {
            values.push(v.value_iterated_to());
            counts.push(v.count_at_value());
        }
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let alias = WeightedAliasIndex::new(counts.clone()).ok()?;
        Some(Sampler {
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
    pub fn quantiles(&self) -> [u64; 2] {
        quantiles_of(&self.values, &self.counts, self.total)
    }

    /// The quantiles of `n` values drawn with replacement; `buf` is scratch space.
    pub fn resample(&self, rng: &mut ChaCha8Rng, n: u64, buf: &mut Vec<u64>) -> [u64; 2] {
        buf.clear();
        buf.resize(self.values.len(), 0);
        for _ in 0..n {
            buf[self.alias.sample(rng)] += 1;
        }
        quantiles_of(&self.values, buf, n)
    }
}

/// HdrHistogram's quantile rule over buckets: the first bucket whose running count reaches
/// `max(1, ceil(q × total))`.
fn quantiles_of(values: &[u64], counts: &[u64], total: u64) -> [u64; 2] {
    let mut out = [0u64; 2];
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

/// The four histograms of one comparison.
#[derive(Debug, Clone, Copy)]
pub struct Quad<'a> {
    /// Baseline run, the path.
    pub base_path: &'a Sampler,
    /// Baseline run, plaintext.
    pub base_plain: &'a Sampler,
    /// Current run, the path.
    pub cur_path: &'a Sampler,
    /// Current run, plaintext.
    pub cur_plain: &'a Sampler,
}

/// The change in overhead at each of [`QUANTILES`]: the point estimate from the whole
/// histograms and the bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverheadChange {
    /// Baseline overhead (path − plaintext), µs, per quantile.
    pub baseline: [f64; 2],
    /// Current overhead, µs, per quantile.
    pub current: [f64; 2],
    /// Low end of the interval on current − baseline, µs, per quantile.
    pub low: [f64; 2],
    /// High end, µs, per quantile.
    pub high: [f64; 2],
}

/// Bootstrap the change in overhead between two runs.
pub fn overhead_change(q: Quad<'_>, cfg: &BootstrapConfig, seed: u64) -> OverheadChange {
    let overhead = |path: [u64; 2], plain: [u64; 2]| -> [f64; 2] {
        [
            path[0] as f64 - plain[0] as f64,
            path[1] as f64 - plain[1] as f64,
        ]
    };
    let baseline = overhead(q.base_path.quantiles(), q.base_plain.quantiles());
    let current = overhead(q.cur_path.quantiles(), q.cur_plain.quantiles());
    let b = cfg.resamples.max(1) as usize;
    let n = |s: &Sampler| s.total().min(cfg.sample_size.max(1));
    // Each resample draws from its own ChaCha stream of the seed, so the interval is the same
    // whatever the number of threads that share the resamples (rayon).
    let pairs: Vec<[f64; 2]> = (0..b)
        .into_par_iter()
        .map_init(Vec::new, |buf, i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64);
            let bp = q.base_path.resample(&mut rng, n(q.base_path), buf);
            let bq = q.base_plain.resample(&mut rng, n(q.base_plain), buf);
            let cp = q.cur_path.resample(&mut rng, n(q.cur_path), buf);
            let cq = q.cur_plain.resample(&mut rng, n(q.cur_plain), buf);
            let (base, cur) = (overhead(bp, bq), overhead(cp, cq));
            [cur[0] - base[0], cur[1] - base[1]]
        })
        .collect();
    let mut changes: [Vec<f64>; 2] = [
        pairs.iter().map(|c| c[0]).collect(),
        pairs.iter().map(|c| c[1]).collect(),
    ];
    let mut low = [0.0; 2];
    let mut high = [0.0; 2];
    for k in 0..2 {
        let (lo, hi) = interval(&mut changes[k], cfg.confidence);
        low[k] = lo;
        high[k] = hi;
    }
    OverheadChange {
        baseline,
        current,
        low,
        high,
    }
}

/// The central `confidence` share of `xs` (sorted in place): the values at ranks
/// floor(α/2 × B) and ceil((1 − α/2) × B) − 1, α = 1 − confidence.
fn interval(xs: &mut [f64], confidence: f64) -> (f64, f64) {
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

/// A seed for one path's comparison: the gate's seed mixed with the path name, so each path's
/// draws do not depend on which other paths are compared.
pub fn path_seed(seed: u64, path: &str) -> u64 {
    crate::seed::derive(seed, path, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::LatencyHistogram;

    fn hist(values: impl IntoIterator<Item = u64>) -> Histogram<u64> {
        let mut h = LatencyHistogram::new();
        for v in values {
            h.record_us(v);
        }
        h.inner().clone()
    }

    fn lcg(seed: u64, n: usize, lo: u64, span: u64) -> Vec<u64> {
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

    fn cfg(resamples: u32) -> BootstrapConfig {
        BootstrapConfig {
            resamples,
            sample_size: 5_000,
            confidence: 0.95,
            seed: 1,
        }
    }

    fn sampler(h: &Histogram<u64>) -> Sampler {
        match Sampler::new(h) {
            Some(s) => s,
            None => panic!("empty"),
        }
    }

    #[test]
    fn quantiles_match_hdrhistogram() {
        for (seed, n) in [(1, 1), (2, 7), (3, 1_000), (4, 20_000)] {
            let h = hist(lcg(seed, n, 100, 50_000));
            let s = sampler(&h);
            assert_eq!(
                s.quantiles(),
                [h.value_at_quantile(0.5), h.value_at_quantile(0.99)],
                "n = {n}"
            );
        }
        assert!(Sampler::new(&hist([])).is_none());
    }

    #[test]
    fn draws_follow_the_histogram() {
        // Buckets 1 (count 1), 2 (count 3): about a quarter of draws are 1.
        let h = hist([1, 2, 2, 2]);
        let s = sampler(&h);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut buf = Vec::new();
        let _ = s.resample(&mut rng, 100_000, &mut buf);
        let ones = buf[0] as f64 / 100_000.0;
        assert!((ones - 0.25).abs() < 0.01, "{ones}");
        assert_eq!(buf.iter().sum::<u64>(), 100_000);
    }

    #[test]
    fn same_runs_give_an_interval_around_zero() {
        let path = hist(lcg(5, 2_000, 1_000, 400));
        let plain = hist(lcg(6, 2_000, 900, 400));
        let (a, b) = (sampler(&path), sampler(&plain));
        let c = overhead_change(
            Quad {
                base_path: &a,
                base_plain: &b,
                cur_path: &a,
                cur_plain: &b,
            },
            &cfg(500),
            path_seed(1, "envelope"),
        );
        for k in 0..2 {
            assert_eq!(c.baseline[k], c.current[k]);
            assert!(c.low[k] <= 0.0 && c.high[k] >= 0.0, "{c:?}");
        }
    }

    #[test]
    fn a_shift_is_inside_its_interval_and_replays() {
        // Current path 200 µs slower than baseline path; plaintext unchanged.
        let base = lcg(7, 3_000, 1_000, 400);
        let shifted: Vec<u64> = base.iter().map(|v| v + 200).collect();
        let plain = hist(lcg(8, 3_000, 1_000, 400));
        let (bp, cp, pl) = (
            sampler(&hist(base)),
            sampler(&hist(shifted)),
            sampler(&plain),
        );
        let quad = Quad {
            base_path: &bp,
            base_plain: &pl,
            cur_path: &cp,
            cur_plain: &pl,
        };
        let c = overhead_change(quad, &cfg(1_000), 3);
        // p50 change 200 µs (within the histogram's 0.1 % bucket width).
        let change = c.current[0] - c.baseline[0];
        assert!((change - 200.0).abs() <= 3.0, "{c:?}");
        assert!(
            c.low[0] > 100.0 && c.high[0] < 300.0 && c.low[0] <= change && change <= c.high[0],
            "{c:?}"
        );
        assert_eq!(
            overhead_change(quad, &cfg(1_000), 3),
            c,
            "same seed, same interval"
        );
    }

    #[test]
    fn the_interval_does_not_depend_on_the_thread_count() {
        let path = hist(lcg(11, 3_000, 1_000, 400));
        let plain = hist(lcg(12, 3_000, 950, 400));
        let (a, b) = (sampler(&path), sampler(&plain));
        let quad = Quad {
            base_path: &a,
            base_plain: &b,
            cur_path: &b,
            cur_plain: &a,
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
            match pool {
                Ok(p) => p.install(|| overhead_change(quad, &cfg(400), 5)),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(on(1), on(3));
    }

    #[test]
    fn interval_by_hand() {
        // B = 40, 95 %: ranks floor(0.025 × 40) = 1 and ceil(0.975 × 40) − 1 = 38.
        let mut xs: Vec<f64> = (0..40).rev().map(f64::from).collect();
        assert_eq!(interval(&mut xs, 0.95), (1.0, 38.0));
        assert_eq!(interval(&mut [5.0], 0.95), (5.0, 5.0));
    }
}
