//! What the regression gate's bootstrap costs for one path's comparison (2,000 resamples of at
//! most 5,000 values from each of four histograms, the gate's defaults), and what rendering the
//! HTML report of a result costs (SVG only, and with the PNG copies): `cargo bench --bench gate`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use hdrhistogram::Histogram;
use kcb::gate::bootstrap::{overhead_change, Quad, Sampler};
use kcb::gate::config::BootstrapConfig;
use kcb::metrics::LatencyHistogram;
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

fn sampler(h: &Histogram<u64>) -> Sampler {
    Sampler::new(h).unwrap_or_else(|| panic!("empty histogram"))
}

fn bootstrap(c: &mut Criterion) {
    let (bp, bq, cp, cq) = (
        sampler(&hist(1, 20_000, 700)),
        sampler(&hist(2, 20_000, 650)),
        sampler(&hist(3, 20_000, 710)),
        sampler(&hist(4, 20_000, 655)),
    );
    let quad = Quad {
        base_path: &bp,
        base_plain: &bq,
        cur_path: &cp,
        cur_plain: &cq,
    };
    let cfg = BootstrapConfig {
        resamples: 2_000,
        sample_size: 5_000,
        confidence: 0.95,
        seed: 1,
    };
    c.bench_function("gate/bootstrap one path (2,000 x 5,000)", |b| {
        b.iter(|| overhead_change(quad, &cfg, 7))
    });
}

fn report(c: &mut Criterion) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/result.json");
    let result = RunResult::read(&golden).unwrap_or_else(|e| panic!("{e}"));
    let runs = vec![ReportRun::from_result(&golden, result)];
    c.bench_function("report/render the golden result (SVG)", |b| {
        b.iter(|| html::render(&runs, None, None))
    });
    // With PNG copies of every plot (`report --png`), when the machine has a TrueType font.
    match kcb::report::plots::PngFont::find() {
        Ok(font) => {
            c.bench_function("report/render the golden result (SVG + PNG)", |b| {
                b.iter(|| html::render(&runs, None, Some(&font)))
            });
        }
        Err(e) => eprintln!("no PNG bench: {e}"),
    }
}

criterion_group!(benches, bootstrap, report);
criterion_main!(benches);
