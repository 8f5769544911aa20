//! Record sizes from the scenario's size spec, drawn with the seeded RNG.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::scenario::SizeSpec;

/// The label of a path's record sizes' seeds, for [`rng_for`].
pub fn size_label(path: &str) -> String {
    format!("{path}.size")
}

/// The generator record `id` draws its size from (`label` from [`size_label`]): replayable,
/// and the same whatever producer or worker sends it.
pub fn rng_for(seed: u64, label: &str, id: u64) -> ChaCha8Rng {
    use rand::SeedableRng;
    ChaCha8Rng::seed_from_u64(crate::seed::derive(seed, label, id))
}

/// Size of record `id` in plaintext bytes. Lists cycle in order; distributions draw from `rng`.
pub fn size_of(spec: &SizeSpec, id: u64, rng: &mut ChaCha8Rng) -> usize {
    match spec {
        SizeSpec::Fixed(n) => *n as usize,
        SizeSpec::List(v) => v[(id as usize) % v.len().max(1)] as usize,
        SizeSpec::Uniform {
            min_bytes,
            max_bytes,
        } => rng.gen_range(*min_bytes..=*max_bytes) as usize,
        SizeSpec::LogNormal {
            median_bytes,
            sigma,
            max_bytes,
        } => {
            let d = LogNormal::new((*median_bytes as f64).ln(), *sigma).ok();
            let x = d.map(|d| d.sample(rng)).unwrap_or(*median_bytes as f64);
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
