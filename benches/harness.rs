//! What the harness itself costs per record, with the service and the crypto taken out:
//! `cargo bench --bench harness`. One record's own work, in the order a run does it: its send time
//! from the pacer (three paths, so the round's order is drawn), its size (fixed: no draw), its
//! payload built and stamped,
//! the ledger's sent and acked marks, the put latency recorded in the interval series, then on
//! the consumer's side the payload verified, the ledger's read mark and the end-to-end latency
//! recorded. Each part is benchmarked apart too, so a regression names its part.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kcb::metrics::ledger::{LedgerTracker, ReadOutcome};
use kcb::metrics::IntervalSeries;
use kcb::scenario::SizeSpec;
use kcb::workload::pacer::{Pacer, Pairing};
use kcb::workload::{payload, sizes};

const SIZE: usize = 1024;

fn per_record(c: &mut Criterion) {
    let pacer = Pacer::new(
        2_000.0,
        Duration::from_secs(3_600),
        Pairing {
            index: 1,
            paths: 3,
            seed: 7,
        },
    );
    let ledger = LedgerTracker::new();
    let put = IntervalSeries::new(Duration::from_secs(1));
    let e2e = IntervalSeries::new(Duration::from_secs(1));
    let mut g = c.benchmark_group("harness");
    g.throughput(Throughput::Elements(1));
    let fixed = SizeSpec::Fixed(SIZE as u64);
    let label = sizes::size_label("envelope");
    let mut i = 0u64;
    g.bench_function("record (1 KiB, all parts)", |b| {
        b.iter(|| {
            i += 1;
            let due = pacer.due(i);
            let size = sizes::size_of(&fixed, 7, &label, i);
            let p = payload::build(7, i, due, size, 0);
            ledger.sent(i);
            ledger.acked(i);
            put.record(due, Duration::from_micros(900 + i % 500));
            let stamp = payload::verify(&p).expect("valid");
            ledger.read(stamp.id, ReadOutcome::Valid);
            e2e.record(due, Duration::from_micros(20_000 + i % 5_000));
        })
    });
    let mut j = 0u64;
    g.bench_function("pacer.due (3 paths)", |b| {
        b.iter(|| {
            j += 1;
            pacer.due(j)
        })
    });
    let lognormal = SizeSpec::LogNormal {
        median_bytes: SIZE as u64,
        sigma: 0.5,
        max_bytes: 65_536,
    };
    let mut m = 0u64;
    g.bench_function("sizes::size_of (fixed)", |b| {
        b.iter(|| {
            m += 1;
            sizes::size_of(&fixed, 7, &label, m)
        })
    });
    g.bench_function(
        "sizes::size_of (log-normal: the record's own generator)",
        |b| {
            b.iter(|| {
                m += 1;
                sizes::size_of(&lognormal, 7, &label, m)
            })
        },
    );
    g.bench_function("payload::build (1 KiB)", |b| {
        b.iter(|| payload::build(7, 42, Duration::from_millis(5), SIZE, 0))
    });
    let built = payload::build(7, 42, Duration::from_millis(5), SIZE, 0);
    g.bench_function("payload::verify (1 KiB)", |b| {
        b.iter(|| payload::verify(&built).expect("valid"))
    });
    let marks = LedgerTracker::new();
    let mut k = 0u64;
    g.bench_function("ledger sent+acked+read", |b| {
        b.iter(|| {
            k += 1;
            marks.sent(k);
            marks.acked(k);
            marks.read(k, ReadOutcome::Valid);
        })
    });
    let series = IntervalSeries::new(Duration::from_secs(1));
    let mut n = 0u64;
    g.bench_function("interval series record", |b| {
        b.iter_batched(
            || {
                n += 1;
                Duration::from_micros(n * 500)
            },
            |at| series.record(at, Duration::from_micros(1_234)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, per_record);
criterion_main!(benches);
