//! What the embedded service's calls cost through the real SDK clients, and what the envelope
//! path costs a record end to end: `cargo bench --bench service`.
//!
//! - `service/<where>/<call>/<plaintext|sse>`: PutRecord (256 B), PutRecords (500 × 1 KiB,
//!   8 shards) and GetRecords (full pages of 500 × 1 KiB, one shard) signed by the harness's principals,
//!   `<where>` being `in-process` (the connector the harness's runs use) or `loopback` (the
//!   `serve` HTTP server on 127.0.0.1, signatures checked). Shard limits are off: the figures
//!   are the service's speed, not AWS's per-shard quotas. Each iteration is one call.
//! - `envelope-path/1KiB/<cache-hit|no-cache>`: one record sealed by the envelope path (compact
//!   AES-256-GCM, aws-lc-rs) against the in-process KMS: from a cached data key, and with no
//!   cache (a GenerateDataKey per record, as a run without a data-key cache makes). And opened
//!   (a Decrypt per record without a cache).
//!
//! `kinesis-crypto-bench calls` and `scripts/compare.sh` time the same loops from the command
//! line, against moto and kinesalite too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kcb::backend::Target;
use kcb::emulator::server;
use kcb::path::envelope::aead::AeadBackend;
use kcb::path::envelope::cache::CacheLimits;
use kcb::path::envelope::format::Suite;
use kcb::path::envelope_path::{EnvelopePath, RecordFormat};
use kcb::probe::{self, Fixture};

fn runtime() -> tokio::runtime::Runtime {
    kcb::runner::runtime(false).expect("runtime")
}

/// Time `iters` awaits of `call`, one after another, inside the runtime.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let t = Instant::now();
        for i in 0..iters {
            call(i).await;
        }
        t.elapsed()
    })
}

fn service_calls(c: &mut Criterion) {
    let rt = runtime();
    let small = probe::payload(256);
    let kib = probe::payload(1024);
    for place in ["in-process", "loopback"] {
        let (target, _server) = rt.block_on(async {
            let service = probe::embedded_service();
            if place == "in-process" {
                (Target::Embedded(service), None)
            } else {
                service.control().set_verify_signatures(true);
                let running = server::start(service, "127.0.0.1:0".parse().unwrap())
                    .await
                    .expect("loopback server");
                let url = running.endpoint_url();
                (
                    Target::Endpoint {
                        url,
                        region: "us-east-1".into(),
                    },
                    Some(running),
                )
            }
        });
        for sse in [false, true] {
            let fx: Fixture = rt.block_on(probe::setup(&target, 8, sse)).expect("stream");
            let label = if sse { "sse" } else { "plaintext" };
            let mut g = c.benchmark_group(format!("service/{place}"));
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("put-record-256B/{label}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let (fx, small) = (&fx, &small);
                        async move {
                            fx.put_record(i, small).await.expect("PutRecord");
                        }
                    })
                })
            });
            g.throughput(Throughput::Elements(500));
            g.bench_function(format!("put-records-500x1KiB/{label}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let (fx, kib) = (&fx, &kib);
                        async move {
                            let n = fx.put_records(i, kib, 500).await.expect("PutRecords");
                            assert_eq!(n, 500);
                        }
                    })
                })
            });
            // Pages to read, on a stream of their own with one shard: 20 full pages of
            // 500 x 1 KiB, read again from the trim horizon after the last.
            let reads: Fixture = rt.block_on(probe::setup(&target, 1, sse)).expect("stream");
            rt.block_on(async {
                for i in 0..20 {
                    reads.put_records(i, &kib, 500).await.expect("fill");
                }
            });
            g.bench_function(format!("get-records-500x1KiB/{label}"), |b| {
                let it = std::cell::RefCell::new(None::<String>);
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let (fx, it) = (&reads, &it);
                        async move {
                            let held = it.borrow_mut().take();
                            let cur = match held {
                                Some(cur) => cur,
                                None => fx.iterator(i as usize).await.expect("iterator"),
                            };
                            let (n, next) = fx.get_records(&cur, 500).await.expect("GetRecords");
                            assert_eq!(n, 500);
                            *it.borrow_mut() = next;
                        }
                    })
                })
            });
            rt.block_on(reads.remove());
            g.finish();
            rt.block_on(fx.remove());
        }
    }
}

fn envelope_path(c: &mut Criterion) {
    let rt = runtime();
    let target = Target::Embedded(probe::embedded_service());
    let fx = rt
        .block_on(probe::setup(&target, 1, false))
        .expect("stream");
    let who = fx.who.clone();
    let key = rt
        .block_on(who.admin().kms.create_key("bench envelope"))
        .expect("key");
    let record = probe::payload(1024);
    let limits = CacheLimits {
        max_age: None,
        max_messages: None,
        max_bytes: None,
        capacity: 16,
    };
    let mut g = c.benchmark_group("envelope-path/1KiB");
    g.throughput(Throughput::Bytes(1024));
    for (name, cache) in [("cache-hit", Some(limits)), ("no-cache", None)] {
        let path = EnvelopePath::new(
            RecordFormat::Compact(Suite::Aes256Gcm, AeadBackend::AwsLc),
            key.arn.clone(),
            [("purpose".to_string(), "bench".to_string())].into(),
            cache,
            who.producer().kms.clone(),
            who.consumer().kms.clone(),
        );
        let path = Arc::new(path);
        let sealed = rt
            .block_on(path.seal(&record, Duration::ZERO))
            .expect("seal");
        g.bench_function(format!("seal/{name}"), |b| {
            b.iter_custom(|iters| {
                timed(&rt, iters, |_| {
                    let (path, record) = (&path, &record);
                    async move {
                        path.seal(record, Duration::ZERO).await.expect("seal");
                    }
                })
            })
        });
        g.bench_function(format!("open/{name}"), |b| {
            b.iter_custom(|iters| {
                timed(&rt, iters, |_| {
                    let (path, sealed) = (&path, &sealed);
                    async move {
                        path.open(sealed, Duration::ZERO).await.expect("open");
                    }
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, service_calls, envelope_path);
criterion_main!(benches);
