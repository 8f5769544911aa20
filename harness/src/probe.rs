//! Bounded call loops against a Kinesis endpoint through the harness's own SDK clients: how
//! fast the service answers PutRecord, PutRecords or GetRecords, one call after another (or a
//! few callers at once), with nothing else of the harness in the way. `kinesis-crypto-bench
//! calls` prints it; `scripts/compare.sh` runs it against the embedded service in process, its
//! loopback `serve`, moto and kinesalite; `benches/service.rs` times the same calls under
//! criterion.
//!
//! Every loop is bounded twice: by a count of calls and by a wall-clock limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;

use crate::backend::{BackendError, Principal, Start, Target, TransportLog};
use crate::clock::{SharedClock, SystemClock};
use crate::emulator::{Service, ServiceConfig};
use crate::metrics::LatencyHistogram;

/// Which call a loop makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// PutRecord, one record a call.
    PutRecord,
    /// PutRecords, `batch` records a call.
    PutRecords,
    /// GetRecords of up to `batch` records a call, from records put before the loop starts.
    GetRecords,
}

impl Op {
    /// The API name.
    pub fn api(self) -> &'static str {
        match self {
            Op::PutRecord => "PutRecord",
            Op::PutRecords => "PutRecords",
            Op::GetRecords => "GetRecords",
        }
    }
}

/// What one loop does.
#[derive(Debug, Clone)]
pub struct LoopSpec {
    /// The call.
    pub op: Op,
    /// Timed calls (after the warm-up).
    pub calls: u64,
    /// Calls made first and not timed (connections opened, caches filled).
    pub warmup: u64,
    /// Bytes of each record's data.
    pub size: usize,
    /// Records a PutRecords call carries, or a GetRecords call asks for.
    pub batch: usize,
    /// Shards of the loop's stream.
    pub shards: u32,
    /// Callers at once (each its own loop over the shared count).
    pub concurrency: usize,
    /// Stop timing at this wall-clock limit even if calls remain.
    pub max_time: Duration,
    /// Server-side encryption on the stream (a KMS key created for the loop).
    pub sse: bool,
}

impl Default for LoopSpec {
    fn default() -> Self {
        Self {
            op: Op::PutRecord,
            calls: 2_000,
            warmup: 200,
            size: 256,
            batch: 500,
            shards: 1,
            concurrency: 1,
            max_time: Duration::from_secs(30),
            sse: false,
        }
    }
}

/// What a loop measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoopResult {
    /// The call.
    pub op: Op,
    /// Where the calls went.
    pub target: String,
    /// Server-side encryption on.
    pub sse: bool,
    /// Bytes a record.
    pub size: usize,
    /// Records a call.
    pub batch: usize,
    /// Callers at once.
    pub concurrency: usize,
    /// Timed calls that succeeded.
    pub calls: u64,
    /// Timed calls that failed (not in the latencies).
    pub failed: u64,
    /// Records the successful calls put or read (PutRecords entries that failed excluded).
    pub records: u64,
    /// Wall-clock seconds of the timed calls.
    pub seconds: f64,
    /// Successful calls a second.
    pub calls_per_sec: f64,
    /// Records a second.
    pub records_per_sec: f64,
    /// Median call latency, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Slowest call, µs.
    pub max_us: u64,
    /// The first failure, if any (API and error code).
    pub first_error: Option<String>,
    /// Whether the wall-clock limit ended the loop before its count.
    pub hit_time_limit: bool,
}

/// The embedded service as the harness's runs use it in process (signatures trusted), with
/// shard limits and the KMS request quota out of the way (a billion a second) so the figures
/// are the service's speed, not AWS's quotas.
pub fn embedded_service() -> Service {
    let config = ServiceConfig {
        verify_signatures: false,
        shard_limits: unlimited(),
        kms_quota_per_sec: 1e9,
        ..ServiceConfig::default()
    };
    Service::new(config, Arc::new(SystemClock))
}

/// Shard limits that never throttle (for measuring the service itself).
pub fn unlimited() -> crate::emulator::kinesis::ShardLimits {
    crate::emulator::kinesis::ShardLimits {
        write_bytes_per_sec: f64::INFINITY,
        write_records_per_sec: f64::INFINITY,
        read_bytes_per_sec: f64::INFINITY,
        read_calls_per_sec: f64::INFINITY,
    }
}

/// The principals a loop uses: admin sets up, producer puts, consumer reads.
#[derive(Debug, Clone)]
pub struct Principals {
    admin: Principal,
    producer: Principal,
    consumer: Principal,
}

impl Principals {
    /// Sets streams and keys up.
    pub fn admin(&self) -> &Principal {
        &self.admin
    }

    /// Puts records.
    pub fn producer(&self) -> &Principal {
        &self.producer
    }

    /// Reads records.
    pub fn consumer(&self) -> &Principal {
        &self.consumer
    }

    /// The harness's named principals at `target`.
    pub fn new(target: &Target) -> Self {
        let log = TransportLog::new();
        let clock: SharedClock = Arc::new(SystemClock);
        let p = |name: &str| Principal::new(target, name, log.clone(), clock.clone());
        Self {
            admin: p("admin"),
            producer: p("producer"),
            consumer: p("consumer"),
        }
    }
}

/// A stream (and key) made for a loop; [`Fixture::remove`] deletes them.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The principals.
    pub who: Principals,
    /// Stream name.
    pub stream: String,
    /// Its shard ids.
    pub shards: Vec<String>,
    /// The SSE key, if any.
    pub key: Option<String>,
}

/// Create a stream of `shards` shards (SSE on with a new key when `sse`) and wait until it is
/// ACTIVE (at most 60 s).
pub async fn setup(target: &Target, shards: u32, sse: bool) -> Result<Fixture, BackendError> {
    let who = Principals::new(target);
    let stream = format!("kcb-calls-{:08x}", rand::random::<u32>());
    who.admin
        .kinesis
        .create_stream(&stream, shards, false)
        .await?;
    wait_active(&who.admin, &stream).await?;
    let key = if sse {
        let key = who
            .admin
            .kms
            .create_key("kinesis-crypto-bench calls")
            .await?;
        who.admin.kinesis.start_encryption(&stream, &key.id).await?;
        wait_active(&who.admin, &stream).await?;
        Some(key.id)
    } else {
        None
    };
    let shards = who.admin.kinesis.list_shards(&stream).await?;
    Ok(Fixture {
        who,
        stream,
        shards,
        key,
    })
}

async fn wait_active(admin: &Principal, stream: &str) -> Result<(), BackendError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = admin.kinesis.describe(stream).await?;
        if info.status == "ACTIVE" {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BackendError::new(
                "DescribeStream",
                "Timeout",
                format!("{stream} not ACTIVE after 60 s (status {})", info.status),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Fixture {
    /// Delete the stream and schedule the key's deletion (best effort).
    pub async fn remove(&self) {
        let _ = self.who.admin.kinesis.delete_stream(&self.stream).await;
        if let Some(k) = &self.key {
            let _ = self.who.admin.kms.schedule_key_deletion(k, 7).await;
        }
    }

    /// One PutRecord of `data`; records put.
    pub async fn put_record(&self, n: u64, data: &[u8]) -> Result<u64, BackendError> {
        self.who
            .producer
            .kinesis
            .put_record(&self.stream, &partition_key(n), data.to_vec())
            .await
            .map(|_| 1)
    }

    /// One PutRecords of `batch` copies of `data`; records acknowledged.
    pub async fn put_records(
        &self,
        n: u64,
        data: &[u8],
        batch: usize,
    ) -> Result<u64, BackendError> {
        let entries = (0..batch as u64)
            .map(|i| (partition_key(n * batch as u64 + i), data.to_vec()))
            .collect();
        let acks = self
            .who
            .producer
            .kinesis
            .put_records(&self.stream, entries)
            .await?;
        Ok(acks.iter().filter(|a| a.is_ok()).count() as u64)
    }

    /// A shard iterator at the trim horizon of shard `i` (modulo the shard count).
    pub async fn iterator(&self, i: usize) -> Result<String, BackendError> {
        let shard = &self.shards[i % self.shards.len()];
        self.who
            .consumer
            .kinesis
            .shard_iterator(&self.stream, shard, &Start::TrimHorizon)
            .await
    }

    /// One GetRecords of up to `limit` records at `iterator`: records read and the next
    /// iterator; none after a page short of `limit` or one that reached the shard's tip
    /// (`MillisBehindLatest` 0): start again at the trim horizon, so that every timed call
    /// reads a full page.
    pub async fn get_records(
        &self,
        iterator: &str,
        limit: usize,
    ) -> Result<(u64, Option<String>), BackendError> {
        let page = self
            .who
            .consumer
            .kinesis
            .get_records(iterator, limit as i32)
            .await?;
        let n = page.records.len() as u64;
        let more = n == limit as u64 && page.millis_behind > 0;
        Ok((n, page.next_iterator.filter(|_| more)))
    }
}

/// A partition key spreading calls over the shards.
fn partition_key(n: u64) -> String {
    format!("pk-{n}")
}

/// The record data a loop sends: `size` bytes that do not compress.
pub fn payload(size: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Run one loop against `target`: set up, warm up, time `calls` calls (or until `max_time`),
/// tear down.
pub async fn run(target: &Target, spec: &LoopSpec) -> Result<LoopResult, BackendError> {
    let fx = Arc::new(setup(target, spec.shards, spec.sse).await?);
    let out = run_on(&fx, target, spec).await;
    fx.remove().await;
    out
}

/// Run the loop on an existing fixture.
async fn run_on(
    fx: &Arc<Fixture>,
    target: &Target,
    spec: &LoopSpec,
) -> Result<LoopResult, BackendError> {
    let data: Arc<[u8]> = payload(spec.size).into();
    if spec.op == Op::GetRecords {
        // Records for the loop to read, put before the clock starts: up to 20 calls' worth
        // (10,000 records at most), read again from the trim horizon at each shard's end.
        let pages = (spec.calls + spec.warmup).min(20);
        for n in 0..pages {
            fx.put_records(n, &data, spec.batch.min(500)).await?;
        }
    }
    let concurrency = spec.concurrency.max(1);
    for n in 0..spec.warmup {
        one_call(fx, spec, &data, n, &mut None).await?;
    }
    let next = Arc::new(AtomicU64::new(0));
    let shared = Arc::new(Mutex::new(Totals::default()));
    let start = Instant::now();
    let deadline = start + spec.max_time;
    let mut tasks = Vec::with_capacity(concurrency);
    for c in 0..concurrency {
        let (fx, spec, data, next, shared) = (
            fx.clone(),
            spec.clone(),
            data.clone(),
            next.clone(),
            shared.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut mine = Totals::default();
            let mut iterator: Option<String> = None;
            if spec.op == Op::GetRecords {
                iterator = fx.iterator(c).await.ok();
            }
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= spec.calls {
                    break;
                }
                if Instant::now() >= deadline {
                    mine.hit_time_limit = true;
                    break;
                }
                let t0 = Instant::now();
                let r = one_call(&fx, &spec, &data, spec.warmup + n, &mut iterator).await;
                let took = t0.elapsed();
                match r {
                    Ok(records) => {
                        mine.latency.record(took);
                        mine.calls += 1;
                        mine.records += records;
                    }
                    Err(e) => {
                        mine.failed += 1;
                        mine.first_error
                            .get_or_insert_with(|| format!("{}: {}", e.op, e.code));
                    }
                }
                if spec.op == Op::GetRecords && iterator.is_none() {
                    iterator = fx.iterator(c).await.ok();
                }
            }
            shared.lock().merge(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let t = std::mem::take(&mut *shared.lock());
    let s = t.latency.summary();
    Ok(LoopResult {
        op: spec.op,
        target: target.label(),
        sse: spec.sse,
        size: spec.size,
        batch: if spec.op == Op::PutRecord {
            1
        } else {
            spec.batch
        },
        concurrency,
        calls: t.calls,
        failed: t.failed,
        records: t.records,
        seconds,
        calls_per_sec: t.calls as f64 / seconds,
        records_per_sec: t.records as f64 / seconds,
        p50_us: s.p50,
        p99_us: s.p99,
        max_us: s.max,
        first_error: t.first_error,
        hit_time_limit: t.hit_time_limit,
    })
}

/// One call of the loop's kind; records it moved.
async fn one_call(
    fx: &Fixture,
    spec: &LoopSpec,
    data: &[u8],
    n: u64,
    iterator: &mut Option<String>,
) -> Result<u64, BackendError> {
    match spec.op {
        Op::PutRecord => fx.put_record(n, data).await,
        Op::PutRecords => fx.put_records(n, data, spec.batch).await,
        Op::GetRecords => {
            let it = match iterator.take() {
                Some(it) => it,
                None => fx.iterator(n as usize).await?,
            };
            let (records, next) = fx.get_records(&it, spec.batch).await?;
            *iterator = next;
            Ok(records)
        }
    }
}

#[derive(Debug, Default)]
struct Totals {
    latency: LatencyHistogram,
    calls: u64,
    failed: u64,
    records: u64,
    first_error: Option<String>,
    hit_time_limit: bool,
}

impl Totals {
    fn merge(&mut self, o: Totals) {
        self.latency.add(&o.latency);
        self.calls += o.calls;
        self.failed += o.failed;
        self.records += o.records;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        self.hit_time_limit |= o.hit_time_limit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(op: Op) -> LoopSpec {
        LoopSpec {
            op,
            calls: 20,
            warmup: 2,
            size: 100,
            batch: 10,
            shards: 2,
            concurrency: 2,
            max_time: Duration::from_secs(20),
            sse: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn put_records_loop_counts_what_the_service_stored() {
        let service = embedded_service();
        let target = Target::Embedded(service.clone());
        let spec = spec(Op::PutRecords);
        let fx = Arc::new(setup(&target, spec.shards, false).await.unwrap());
        let r = run_on(&fx, &target, &spec).await.unwrap();
        assert_eq!((r.calls, r.failed), (20, 0));
        assert_eq!(r.records, 200);
        // The service holds the warm-up's and the timed calls' records, no more, no fewer.
        assert_eq!(service.control().stored_records(), (20 + 2) * 10);
        assert!(r.p50_us <= r.p99_us && r.p99_us <= r.max_us);
        fx.remove().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn get_records_loop_reads_records_and_sse_loop_encrypts() {
        let service = embedded_service();
        let target = Target::Embedded(service.clone());
        // 20 pages of 10 in one shard, read by 22 calls (2 of warm-up): past the shard's end
        // each caller starts again at the trim horizon, so every timed call reads a full page.
        let reads = LoopSpec {
            shards: 1,
            ..spec(Op::GetRecords)
        };
        let r = run(&target, &reads).await.unwrap();
        assert_eq!((r.calls, r.records, r.failed), (20, 200, 0), "{r:?}");
        let mut s = spec(Op::PutRecord);
        s.sse = true;
        let r = run(&target, &s).await.unwrap();
        assert_eq!((r.calls, r.records, r.failed), (20, 20, 0));
        let kms = service.control().kms_calls();
        assert!(kms
            .iter()
            .any(|c| c.op == "GenerateDataKey" && c.via_stream.is_some()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_are_counted_apart_and_named() {
        let service = embedded_service();
        let target = Target::Embedded(service.clone());
        let spec = spec(Op::PutRecord);
        let fx = Arc::new(setup(&target, 1, false).await.unwrap());
        service
            .control()
            .attach(
                "producer",
                crate::emulator::iam::Statement::deny(["kinesis:PutRecord"], ["*"]),
            )
            .unwrap();
        let r = run_on(&fx, &target, &LoopSpec { warmup: 0, ..spec })
            .await
            .unwrap();
        assert_eq!((r.calls, r.failed), (0, 20));
        assert_eq!(
            r.first_error.as_deref(),
            Some("PutRecord: AccessDeniedException")
        );
    }

    #[test]
    fn payload_is_the_size_asked_and_not_constant() {
        let p = payload(1024);
        assert_eq!(p.len(), 1024);
        assert!(p.iter().collect::<std::collections::BTreeSet<_>>().len() > 200);
    }
}
