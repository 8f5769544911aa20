//! What the regression gate's bootstrap costs for one path's comparison (2,000 resamples, the
//! gate's default: of at most 5,000 values from each of four histograms, or of 60 blocks of time
//! from each run's interval log), and what rendering the HTML report of a result costs (SVG
//! only, and with the PNG copies): `cargo bench --bench gate`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use hdrhistogram::Histogram;
use kcb::gate::bootstrap::overhead_change;
use kcb::gate::config::BootstrapConfig;
use kcb::metrics::resample::Overheads;
use kcb::metrics::{sparse, LatencyHistogram, Sparse};
use kcb::report::html;
use kcb::report::series::ReportRun;
use kcb::result::RunResult;

/// `n` latencies around `base` µs with a long tail (a fixed LCG, so every run draws the same).
fn hist(seed: u64, n: usize, base: u64) -> Histogram<u64> {
    let mut h = LatencyHistogram::new();
    let mut x = seed;
    for _ in 0..n {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        h.record_us(base + (-(1.0 - u).ln() * 150.0) as u64);
    }
    h.inner().clone()
}

fn bootstrap(c: &mut Criterion) {
    let cfg = BootstrapConfig {
        resamples: 2_000,
        sample_size: 5_000,
        confidence: 0.95,
        seed: 1,
    };
    let whole = |a: u64, b: u64| {
        let (p, q) = (sparse(&hist(a, 20_000, 700)), sparse(&hist(b, 20_000, 650)));
        Overheads::new(&[p], &[q], 5_000).unwrap_or_else(|| panic!("empty"))
    };
    let (base, cur) = (whole(1, 2), whole(3, 4));
    c.bench_function("gate/bootstrap one path by values (2,000 x 5,000)", |b| {
        b.iter(|| overhead_change(&base, &cur, &cfg, 7))
    });
    // The same 20,000 values a path, as 100 one-second intervals of 200 (60 blocks).
    let blocks = |a: u64, b: u64| {
        let path: Vec<Sparse> = (0..100)
            .map(|s| sparse(&hist(a * 1_000 + s, 200, 700)))
            .collect();
        let plain: Vec<Sparse> = (0..100)
            .map(|s| sparse(&hist(b * 1_000 + s, 200, 650)))
            .collect();
        Overheads::new(&path, &plain, 5_000).unwrap_or_else(|| panic!("empty"))
    };
    let (base, cur) = (blocks(1, 2), blocks(3, 4));
    c.bench_function(
        "gate/bootstrap one path by blocks of time (2,000 x 60 blocks)",
        |b| b.iter(|| overhead_change(&base, &cur, &cfg, 7)),
    );
}

fn report(c: &mut Criterion) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/result.json");
    let result = RunResult::read(&golden).unwrap_or_else(|e| panic!("{e}"));
    let runs = vec![ReportRun::from_result(&golden, result)];
    c.bench_function("report/render the golden result (SVG)", |b| {
        b.iter(|| html::render(&runs, None, None, None))
    });
    // With PNG copies of every plot (`report --png`), when the machine has a TrueType font.
    match kcb::report::plots::PngFont::find() {
        Ok(font) => {
            c.bench_function("report/render the golden result (SVG + PNG)", |b| {
                b.iter(|| html::render(&runs, None, None, Some(&font)))
            });
        }
        Err(e) => eprintln!("no PNG bench: {e}"),
    }
}

criterion_group!(benches, bootstrap, report);
criterion_main!(benches);
