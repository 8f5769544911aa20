//! A confidence interval on the change in a path's latency overhead over plaintext between two
//! runs, by bootstrap from the runs' saved HDR histograms (as criterion compares benchmarks):
//! each run's overhead is resampled on its own (by blocks of time when its log has intervals,
//! else by values; see [`crate::metrics::resample`]), and each resample's change is
//! `overhead(current) − overhead(baseline)`. The interval is the central `confidence` share of
//! those changes.

use super::config::BootstrapConfig;
use crate::metrics::resample::{self, Overheads};

/// The change in overhead at p50 and p99: the point estimates from the whole histograms and
/// the bootstrap interval.
#[derive(Debug, Clone, PartialEq)]
pub struct OverheadChange {
    /// Baseline overhead (path − plaintext), µs, at p50 and p99.
    pub baseline: [f64; 2],
    /// Current overhead, µs.
    pub current: [f64; 2],
    /// Low end of the interval on current − baseline, µs.
    pub low: [f64; 2],
    /// High end, µs.
    pub high: [f64; 2],
    /// How each run was resampled, baseline then current.
    pub methods: [String; 2],
}

/// Bootstrap the change in overhead between two runs.
pub fn overhead_change(
    base: &Overheads,
    cur: &Overheads,
    cfg: &BootstrapConfig,
    seed: u64,
) -> OverheadChange {
    let (b, c) = (base.point(), cur.point());
    let draws = resample::draws(cfg.resamples as usize, seed, |rng, buf| {
        let y = base.resample(rng, buf);
        let x = cur.resample(rng, buf);
        [x[0] - y[0], x[1] - y[1], x[2] - y[2]]
    });
    let ci = resample::intervals(&draws, cfg.confidence);
    OverheadChange {
        baseline: [b[0], b[1]],
        current: [c[0], c[1]],
        low: [ci[0].0, ci[1].0],
        high: [ci[0].1, ci[1].1],
        methods: [base.method(), cur.method()],
    }
}

/// A seed for one path's comparison: the gate's seed mixed with the path name, so each path's
/// draws do not depend on which other paths are compared.
pub fn path_seed(seed: u64, path: &str) -> u64 {
    crate::seed::derive(seed, path, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sparse;

    use crate::metrics::testing::{hist, lcg};

    fn cfg(resamples: u32) -> BootstrapConfig {
        BootstrapConfig {
            resamples,
            sample_size: 5_000,
            confidence: 0.95,
            seed: 1,
        }
    }

    fn whole(path: Vec<u64>, plain: Vec<u64>) -> Overheads {
        let (a, b) = (sparse(&hist(path)), sparse(&hist(plain)));
        Overheads::new(&[a], &[b], 5_000).unwrap_or_else(|| panic!("empty"))
    }

    #[test]
    fn same_runs_give_an_interval_around_zero() {
        let o = whole(lcg(5, 2_000, 1_000, 400), lcg(6, 2_000, 900, 400));
        let c = overhead_change(&o, &o, &cfg(500), path_seed(1, "envelope"));
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
        let plain = lcg(8, 3_000, 1_000, 400);
        let b = whole(base, plain.clone());
        let c = whole(shifted, plain);
        let ch = overhead_change(&b, &c, &cfg(1_000), 3);
        let change = ch.current[0] - ch.baseline[0];
        assert!((change - 200.0).abs() <= 3.0, "{ch:?}");
        assert!(
            ch.low[0] > 100.0 && ch.high[0] < 300.0 && ch.low[0] <= change && change <= ch.high[0],
            "{ch:?}"
        );
        assert_eq!(
            overhead_change(&b, &c, &cfg(1_000), 3),
            ch,
            "same seed, same interval"
        );
    }

    #[test]
    fn the_interval_does_not_depend_on_the_thread_count() {
        let b = whole(lcg(11, 3_000, 1_000, 400), lcg(12, 3_000, 950, 400));
        let c = whole(lcg(13, 3_000, 1_010, 400), lcg(14, 3_000, 950, 400));
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
            match pool {
                Ok(p) => p.install(|| overhead_change(&b, &c, &cfg(400), 5)),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(on(1), on(3));
    }
}
