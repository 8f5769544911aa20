//! What one path's producers and consumers share while a run goes on: the path, the sink they
//! put into and the source they read from, the run clock, and the metrics they record into.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::backend::{Role, Sink, Source, TransportLog};
use crate::clock::SharedClock;
use crate::fault::window::FaultWindow;
use crate::metrics::intervals::IntervalSeries;
use crate::metrics::ledger::LedgerTracker;
use crate::metrics::timeline::Timeline;
use crate::path::Path;
use crate::scenario::Scenario;

use super::retry::RetryPolicy;

/// The run's clock: time since the run's start, on the injected clock, and sleeps on it.
#[derive(Debug, Clone)]
pub struct RunClock {
    clock: SharedClock,
    start: Duration,
    virtual_time: bool,
    ticker: Option<Arc<crate::ticker::Ticker>>,
}

impl RunClock {
    /// A run clock starting now. `virtual_time`: the clock is tokio's paused clock, so work
    /// takes no time on it and latencies add the real time each call took.
    pub fn new(clock: SharedClock, virtual_time: bool) -> Self {
        let start = clock.now();
        let ticker = (!virtual_time).then(crate::ticker::Ticker::start);
        Self {
            clock,
            start,
            virtual_time,
            ticker,
        }
    }

    /// A run clock whose start is `start` (since the epoch) rather than now: every worker of a
    /// run split across machines starts at the common instant, so their schedules line up
    /// (a worker that starts late sends its first records late, which its lag shows).
    pub fn starting_at(clock: SharedClock, virtual_time: bool, start: Duration) -> Self {
        let mut c = Self::new(clock, virtual_time);
        c.start = start;
        c
    }

    /// The run's start, since the epoch.
    pub fn start(&self) -> Duration {
        self.start
    }

    /// Time since the run's start.
    pub fn elapsed(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// Sleep until `at` (since the start): on the real clock to the microsecond (see
    /// [`crate::ticker`]), on the virtual clock on tokio's paused timer.
    pub async fn sleep_until(&self, at: Duration) {
        let now = self.elapsed();
        if at <= now {
            return;
        }
        match &self.ticker {
            Some(t) => t.sleep_until(Instant::now() + (at - now)).await,
            None => tokio::time::sleep(at - now).await,
        }
    }

    /// Latency of something intended at `intended` that finished now, having spent `busy` of
    /// real time in calls: on the virtual clock the calls' real time is added.
    pub fn latency_since(&self, intended: Duration, busy: Duration) -> Duration {
        let on_clock = self.elapsed().saturating_sub(intended);
        if self.virtual_time {
            on_clock + busy
        } else {
            on_clock
        }
    }

    /// True on the virtual clock.
    pub fn is_virtual(&self) -> bool {
        self.virtual_time
    }

    /// The precise wake-up thread (real clock only).
    pub fn ticker(&self) -> Option<Arc<crate::ticker::Ticker>> {
        self.ticker.clone()
    }
}

/// A real-time stopwatch for call durations.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Start.
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// Real time since start.
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Counters of calls and attempts.
#[derive(Debug, Default)]
pub struct Attempts {
    /// Put calls that ended (success or give-up).
    pub put_calls: AtomicU64,
    /// Put attempts, retries included.
    pub put_attempts: AtomicU64,
    /// Retries of any call.
    pub retries: AtomicU64,
    /// Records sent again after a partial PutRecords failure.
    pub records_resent: AtomicU64,
}

impl Attempts {
    /// Add one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a path's producers count about their schedule, for the generator's verdict.
#[derive(Debug, Default)]
pub struct SendCounters {
    records: AtomicU64,
    last_lag_us: AtomicU64,
    high_water: AtomicU64,
    limit: AtomicU64,
    window_waits: AtomicU64,
}

impl SendCounters {
    /// A producer started `records` measured sends, the last of them `last_lag` late.
    pub fn started(&self, records: u64, last_lag: Duration) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.last_lag_us
            .fetch_max(last_lag.as_micros() as u64, Ordering::Relaxed);
    }

    /// A producer's window: the most sends it had in flight, its largest size, and how often
    /// a send waited for it.
    pub fn window(&self, high_water: u64, limit: u64, waits: u64) {
        self.high_water.fetch_max(high_water, Ordering::Relaxed);
        self.limit.fetch_max(limit, Ordering::Relaxed);
        self.window_waits.fetch_add(waits, Ordering::Relaxed);
    }

    /// What the path's producers counted.
    pub fn counts(&self) -> crate::result::generator::SendCounts {
        crate::result::generator::SendCounts {
            records: self.records.load(Ordering::Relaxed),
            last_lag_secs: self.last_lag_us.load(Ordering::Relaxed) as f64 / 1e6,
            high_water: self.high_water.load(Ordering::Relaxed),
            limit: self.limit.load(Ordering::Relaxed),
            window_waits: self.window_waits.load(Ordering::Relaxed),
        }
    }
}

/// Sums over every sealed record.
#[derive(Debug, Default, Clone, Copy)]
pub struct SealTotals {
    /// Records sealed.
    pub records: u64,
    /// Plaintext bytes.
    pub plaintext_bytes: u64,
    /// Record (data blob) bytes.
    pub record_bytes: u64,
    /// The records' data blobs as AWS's rounding rules count them, record by record.
    pub billed: crate::result::PutSizes,
}

/// One path's run state.
pub struct PathRun {
    /// Path name from the scenario.
    pub name: String,
    /// The protection.
    pub path: Path,
    /// Where producers put records (the path's stream), as the producer role.
    pub sink: Arc<dyn Sink>,
    /// Where consumers read them back, as the consumer role.
    pub source: Arc<dyn Source>,
    /// The transport log of both roles' clients.
    pub log: Arc<TransportLog>,
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The run clock.
    pub clock: RunClock,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Per-record ledger.
    pub ledger: LedgerTracker,
    /// Put latency from the intended send time, µs (measured records only), whole and per
    /// interval.
    pub put_latency: IntervalSeries,
    /// End-to-end latency from the intended send time to verified read, µs.
    pub e2e_latency: IntervalSeries,
    /// How late sends started against the schedule, µs.
    pub lag: IntervalSeries,
    /// What the producers counted of their sends and windows.
    pub sends: SendCounters,
    /// Errors by AWS name.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Call counters.
    pub attempts: Attempts,
    /// Record bytes seen per plaintext size.
    pub sizes: Mutex<BTreeMap<u64, u64>>,
    /// Put latency per plaintext size (fixed sizes and size lists only: a distribution would
    /// make one histogram per distinct size).
    pub size_latency: Mutex<BTreeMap<u64, crate::metrics::latency::LatencyHistogram>>,
    /// What sealing and opening a record of each size costs, calibrated before the load.
    pub calibration: Vec<crate::path::Calibration>,
    /// Records sealed, and their plaintext and record bytes in all.
    pub sealed: Mutex<SealTotals>,
    /// (shard, sequence) -> record id, from acknowledgements (a Firehose path's: (`firehose`,
    /// the record id), since its destination numbers records its own way).
    pub acks: Mutex<HashMap<(String, String), u64>>,
    /// A Firehose path: how long after an object's first record its delivery counts as delayed.
    pub delayed_after: Option<Duration>,
    /// A Firehose path: records read from objects delivered later than `delayed_after`.
    pub delayed: AtomicU64,
    /// A Firehose path: from each record's intended send time to its object's write in the
    /// destination (buffering included; end to end adds the read).
    pub delivery_latency: IntervalSeries,
    /// Per second: acknowledged, given up, errors by name.
    pub timeline: Timeline,
    /// The faults that apply to this path, each tallying what happened in its window.
    pub fault_windows: Vec<FaultWindow>,
    /// Where this path sends in each round of the paired schedule.
    pub pairing: super::pacer::Pairing,
    /// This process's share of the run (1 of 1 on one machine).
    pub worker: super::WorkerShare,
    /// Transport fault rules of this path's clients.
    pub transport_faults: Arc<crate::backend::TransportFaults>,
    /// Producers still sending.
    pub producers_left: AtomicU64,
    /// Set when consumers must stop.
    pub stop: AtomicBool,
    /// The run's stop request (Ctrl-C): producers stop sending when it is triggered.
    pub interrupt: Arc<crate::interrupt::Interrupt>,
    /// Partitions read to their end (closed by a reshard), shared by the path's consumers so a
    /// child is read only after its parents.
    pub ended: ShardEnds,
    /// Per partition, the last record its consumer read and verified: what the embedded
    /// service may trim (the runner passes it on; nothing reads it again).
    pub checkpoints: Mutex<HashMap<String, String>>,
}

/// Closed partitions read to their end, and a count of changes to the partitions (a reshard
/// seen by one consumer makes every consumer list them again).
#[derive(Debug, Default)]
pub struct ShardEnds {
    ended: Mutex<std::collections::HashSet<String>>,
    changes: AtomicU64,
}

impl ShardEnds {
    /// `id` was read to its end.
    pub fn end(&self, id: &str) {
        if self.ended.lock().insert(id.to_owned()) {
            self.changes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Whether every one of `ids` was read to its end.
    pub fn all_ended(&self, ids: &[String]) -> bool {
        if ids.is_empty() {
            return true; // a shard with no parents (every shard until a reshard): no lock
        }
        let ended = self.ended.lock();
        ids.iter().all(|i| ended.contains(i))
    }

    /// Changes so far: list the partitions again when it moved.
    pub fn changes(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Note that the partitions changed (a reshard), so consumers list them again.
    pub fn changed(&self) {
        self.changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl PathRun {
    /// Whether acknowledgements are keyed by record id (a Firehose path: its destination
    /// numbers records its own way) rather than by the stream's sequence numbers.
    pub fn acks_by_record_id(&self) -> bool {
        self.sink.acks_by_record_id()
    }

    /// Partition `shard` was read through `sequence`.
    pub fn checkpoint(&self, shard: &str, sequence: &str) {
        self.checkpoints
            .lock()
            .insert(shard.to_owned(), sequence.to_owned());
    }

    /// The checkpoints so far, taken (each is passed on once).
    pub fn take_checkpoints(&self) -> HashMap<String, String> {
        std::mem::take(&mut *self.checkpoints.lock())
    }

    /// Note one sealed record's sizes: its plaintext and its data blob.
    pub fn sealed_sizes(&self, plaintext: usize, record: usize) {
        self.sizes.lock().insert(plaintext as u64, record as u64);
        let mut t = self.sealed.lock();
        t.records += 1;
        t.plaintext_bytes += plaintext as u64;
        t.record_bytes += record as u64;
        t.billed.add(record as u64);
    }

    /// Count one error by name, seen by `role`.
    pub fn error(&self, role: Role, code: &str) {
        *self.errors.lock().entry(code.to_string()).or_default() += 1;
        let at = self.clock.elapsed();
        self.timeline.error(at, code);
        for w in &self.fault_windows {
            w.error(at, role, code);
        }
    }

    /// Record `id` (of `plaintext_len` bytes) acknowledged; its put latency is `latency`.
    pub fn acked(&self, id: u64, intended: Duration, plaintext_len: usize, latency: Duration) {
        self.ledger.acked(id);
        let at = self.clock.elapsed();
        self.timeline.ack(at);
        if self.measured(intended) {
            self.put_latency.record(at, latency);
            if self.per_size_latency() {
                self.size_latency
                    .lock()
                    .entry(plaintext_len as u64)
                    .or_default()
                    .record(latency);
            }
        }
        for w in &self.fault_windows {
            w.ack(at);
            w.latency[w.phase(intended)].record(latency);
        }
    }

    /// Record that the producer gave up on `id`.
    pub fn failed(&self, id: u64) {
        self.ledger.failed(id);
        let at = self.clock.elapsed();
        self.timeline.failure(at);
        for w in &self.fault_windows {
            w.failure(at);
        }
    }

    /// Whether put latency is kept per record size (the scenario names its sizes).
    fn per_size_latency(&self) -> bool {
        matches!(
            self.scenario.workload.record_size,
            crate::scenario::SizeSpec::Fixed(_) | crate::scenario::SizeSpec::List(_)
        )
    }

    /// True if the record intended at `intended` is past the warm-up and so measured.
    pub fn measured(&self, intended: Duration) -> bool {
        intended >= self.scenario.warmup
    }
}
