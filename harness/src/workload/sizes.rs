//! Record sizes from the scenario's size spec, drawn with the seeded RNG.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::scenario::SizeSpec;

/// The label of a path's record sizes' seeds.
pub fn size_label(path: &str) -> String {
    format!("{path}.size")
}

/// Size of record `id` in plaintext bytes, for the path whose [`size_label`] is `label`. Fixed
/// sizes and lists (which cycle in order) draw nothing; distributions draw from the record's own
/// generator, seeded from (`seed`, `label`, `id`): replayable, and the same whatever producer or
/// worker sends it.
pub fn size_of(spec: &SizeSpec, seed: u64, label: &str, id: u64) -> usize {
    use rand::SeedableRng;
    let rng = || ChaCha8Rng::seed_from_u64(crate::seed::derive(seed, label, id));
    match spec {
        SizeSpec::Fixed(n) => *n as usize,
        SizeSpec::List(v) => v[(id as usize) % v.len().max(1)] as usize,
        SizeSpec::Uniform {
            min_bytes,
            max_bytes,
        } => rng().gen_range(*min_bytes..=*max_bytes) as usize,
        SizeSpec::LogNormal {
            median_bytes,
            sigma,
            max_bytes,
        } => {
            let d = LogNormal::new((*median_bytes as f64).ln(), *sigma).ok();
            let x = d
                .map(|d| d.sample(&mut rng()))
                .unwrap_or(*median_bytes as f64);
            (x.round() as u64).clamp(crate::scenario::MIN_RECORD_BYTES, *max_bytes) as usize
        }
    }
}

/// The distinct sizes a spec names (for the inflation table); distributions give min and max.
pub fn named_sizes(spec: &SizeSpec) -> Vec<u64> {
    let mut v = match spec {
        SizeSpec::Fixed(n) => vec![*n],
        SizeSpec::List(v) => v.clone(),
        SizeSpec::Uniform {
            min_bytes,
            max_bytes,
        } => vec![*min_bytes, *max_bytes],
        SizeSpec::LogNormal {
            median_bytes,
            max_bytes,
            ..
        } => vec![*median_bytes, *max_bytes],
    };
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_lists_draw_nothing_and_distributions_replay_per_record() {
        let l = size_label("envelope");
        assert_eq!(size_of(&SizeSpec::Fixed(700), 1, &l, 9), 700);
        let list = SizeSpec::List(vec![100, 200, 300]);
        let got: Vec<usize> = (0..6).map(|id| size_of(&list, 1, &l, id)).collect();
        assert_eq!(got, [100, 200, 300, 100, 200, 300]);
        let uniform = SizeSpec::Uniform {
            min_bytes: 64,
            max_bytes: 4096,
        };
        let lognormal = SizeSpec::LogNormal {
            median_bytes: 1024,
            sigma: 1.0,
            max_bytes: 8192,
        };
        for spec in [&uniform, &lognormal] {
            let a: Vec<usize> = (0..200).map(|id| size_of(spec, 3, &l, id)).collect();
            // The same seed, label and id: the same size, in any order (a worker's share).
            let b: Vec<usize> = (0..200).rev().map(|id| size_of(spec, 3, &l, id)).collect();
            assert_eq!(a, b.into_iter().rev().collect::<Vec<_>>());
            assert!(a
                .iter()
                .all(|&n| (crate::scenario::MIN_RECORD_BYTES as usize..=8192).contains(&n)));
            let distinct: std::collections::BTreeSet<_> = a.iter().collect();
            assert!(distinct.len() > 50, "{spec:?} draws vary by record");
            // Another seed or another path's label: other sizes.
            let other: Vec<usize> = (0..200).map(|id| size_of(spec, 4, &l, id)).collect();
            assert_ne!(a, other);
            let other: Vec<usize> = (0..200)
                .map(|id| size_of(spec, 3, &size_label("sse"), id))
                .collect();
            assert_ne!(a, other);
        }
    }
}
