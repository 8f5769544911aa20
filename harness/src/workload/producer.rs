//! A producer: sends its share of the schedule at the intended times, through the path, with
//! PutRecord or batched PutRecords, retrying as the policy says and recording every outcome.
//! Each send (a record sealed and put with PutRecord, or a batch with PutRecords) is a task of
//! its own, so a slow call never holds back the next intended instant: the load is open loop.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::context::{Attempts, PathRun, RunClock, SendCounters, Stopwatch};
use super::pacer::Pacer;
use super::{payload, sizes};
use crate::backend::Role;
use crate::backend::{BackendError, ErrorClass, OutRecord, PutAck};
use crate::scenario::{InFlightSpec, PutApi, MAX_IN_FLIGHT};

/// A record sealed and waiting to be put.
struct Pending {
    id: u64,
    intended: Duration,
    plaintext_len: usize,
    partition_key: String,
    data: Vec<u8>,
    busy: Duration,
}

/// Seed of producer `k` of a path (replayable, different per path and producer).
pub fn seed_for(seed: u64, path: &str, k: u64) -> u64 {
    crate::seed::derive(seed, path, k)
}

type Send = std::pin::Pin<Box<dyn std::future::Future<Output = u64> + std::marker::Send>>;

/// The in-flight window's floor under "auto", and its start: today's fixed default.
const AUTO_FLOOR: usize = 16;

/// How many sends may be in flight: fixed, or sized from the producer's intended send rate
/// and the send latency it observes (Little's law: in flight = rate × latency, here twice
/// over for headroom), up to the ceiling.
enum Window {
    Fixed(usize),
    Auto {
        limit: usize,
        /// Intended sends a second of this producer.
        sends_per_sec: f64,
        /// Mean send duration, seconds (exponentially weighted; 0 until a send ends).
        mean_secs: f64,
    },
}

/// A producer's sends in flight, driven by the producer's own task while it waits for its next
/// instant: the schedule never waits for a send to finish (open loop) unless its window is
/// full, and a PutRecord starts on the thread that reached its instant, with no hand-over to
/// another task or worker. A PutRecords batch is a task of its own on the real clock: in
/// process its call runs for milliseconds, and inline it held every instant due meanwhile
/// (`scripts/generator.sh`; the figures are in `docs/performance.md`). (With PutRecords a
/// record is sealed before it joins a batch, by the producer itself: while a seal waits for
/// KMS, the sends in flight wait too.)
struct InFlight {
    sends: FuturesUnordered<Send>,
    window: Window,
    clock: RunClock,
    /// Each send in flight: its number and when it started (in launch order: the first is the
    /// oldest).
    started: std::collections::BTreeMap<u64, Duration>,
    seed: u64,
    launched: u64,
    /// Sends are PutRecords batches: on the real clock each is a task of its own.
    batches: bool,
    high_water: usize,
    waits: u64,
}

impl InFlight {
    fn new(
        spec: InFlightSpec,
        api: &PutApi,
        records_per_sec: f64,
        clock: RunClock,
        seed: u64,
    ) -> Self {
        let sends_per_sec = sends_per_sec(records_per_sec, api);
        let window = match spec {
            InFlightSpec::Fixed(n) => Window::Fixed(n.max(1) as usize),
            InFlightSpec::Auto => Window::Auto {
                limit: AUTO_FLOOR,
                sends_per_sec,
                mean_secs: 0.0,
            },
        };
        Self {
            sends: FuturesUnordered::new(),
            window,
            clock,
            started: Default::default(),
            seed,
            launched: 0,
            batches: matches!(api, PutApi::PutRecords { .. }),
            high_water: 0,
            waits: 0,
        }
    }

    /// The window as it stands (under "auto" it only grows, so this is also the largest).
    fn limit(&self) -> usize {
        match self.window {
            Window::Fixed(n) => n,
            Window::Auto { limit, .. } => limit,
        }
    }

    /// Whether the window is full: under "auto", only once resized from the latency so far,
    /// the oldest send in flight counting as at least its age.
    fn full(&mut self) -> bool {
        if self.sends.len() < self.limit() {
            return false;
        }
        let oldest = self.started.values().next().copied();
        let now = self.clock.elapsed();
        if let Window::Auto {
            limit,
            sends_per_sec,
            mean_secs,
        } = &mut self.window
        {
            let age = oldest.map_or(0.0, |at| now.saturating_sub(at).as_secs_f64());
            let want = (2.0 * *sends_per_sec * mean_secs.max(age)).ceil() as usize + 1;
            *limit = want.clamp(AUTO_FLOOR, MAX_IN_FLIGHT as usize).max(*limit);
        }
        self.sends.len() >= self.limit()
    }

    /// A send ended: forget it, and learn its duration.
    fn ended(&mut self, id: u64) {
        let Some(at) = self.started.remove(&id) else {
            return;
        };
        if let Window::Auto { mean_secs, .. } = &mut self.window {
            let took = self.clock.elapsed().saturating_sub(at).as_secs_f64();
            *mean_secs = if *mean_secs == 0.0 {
                took
            } else {
                0.9 * *mean_secs + 0.1 * took
            };
        }
    }

    /// Start a send, with a generator of its own for its retries' backoff (replayable). It
    /// makes progress whenever the producer waits.
    async fn launch<F, Fut>(&mut self, send: F)
    where
        F: FnOnce(ChaCha8Rng) -> Fut,
        Fut: std::future::Future<Output = ()> + std::marker::Send + 'static,
    {
        if self.full() {
            self.waits += 1;
            while self.full() {
                if let Some(id) = self.sends.next().await {
                    self.ended(id);
                }
            }
        }
        let id = self.launched;
        let rng = ChaCha8Rng::seed_from_u64(crate::seed::derive(self.seed, "send", id));
        self.launched += 1;
        let fut = send(rng);
        let mut send: Send = if self.batches && !self.clock.is_virtual() {
            // On the real clock a batch is a task of its own, so another core makes the call
            // (in process the whole call, milliseconds for 500 records, runs in its first
            // poll) while this producer goes on to its next instants.
            let task = tokio::spawn(fut);
            Box::pin(async move {
                let _ = task.await;
                id
            })
        } else {
            Box::pin(async move {
                fut.await;
                id
            })
        };
        // Go as far as it can now: with nothing to wait for, the call is made here and then.
        let waker = futures_util::task::noop_waker();
        let ready = send
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_ready();
        if !ready {
            self.started.insert(id, self.clock.elapsed());
            self.sends.push(send);
        }
        self.high_water = self.high_water.max(self.sends.len().max(1));
    }

    /// Wait until `at` (since the run's start), driving the sends in flight meanwhile.
    async fn wait_until(&mut self, at: Duration) {
        let clock = self.clock.clone();
        let sleep = clock.sleep_until(at);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                biased;
                _ = &mut sleep => return,
                Some(id) = self.sends.next(), if !self.sends.is_empty() => self.ended(id),
            }
        }
    }

    /// Wait for every send in flight, and hand the window's account to `counts`.
    async fn finish(mut self, counts: &SendCounters) {
        while let Some(id) = self.sends.next().await {
            self.ended(id);
        }
        counts.window(self.high_water as u64, self.limit() as u64, self.waits);
    }
}

/// Intended sends a second of one producer: its records a second, over the records a batch
/// holds (with PutRecords, as many as arrive within the linger, at most a batch's worth).
fn sends_per_sec(records_per_sec: f64, api: &PutApi) -> f64 {
    match api {
        PutApi::PutRecord => records_per_sec,
        PutApi::PutRecords {
            max_records,
            linger,
            ..
        } => {
            let per_batch =
                (records_per_sec * linger.as_secs_f64()).clamp(1.0, *max_records as f64);
            records_per_sec / per_batch
        }
    }
}

/// Start putting `batch` (now empty) as one call.
async fn launch_batch(run: &Arc<PathRun>, batch: &mut Vec<Pending>, sends: &mut InFlight) {
    if batch.is_empty() {
        return;
    }
    let mut pending = std::mem::take(batch);
    let run = run.clone();
    sends
        .launch(|mut rng| async move { flush(&run, &mut pending, &mut rng).await })
        .await;
}

/// Run producer `k` of `n` to the end of the schedule.
pub async fn run(run: Arc<PathRun>, k: u64, n: u64) {
    let s = run.scenario.clone();
    let rate = s
        .path(&run.name)
        .map_or(s.workload.rate_per_sec, |p| s.rate_of(p));
    let pacer = Pacer::new(rate, s.warmup + s.duration, run.pairing);
    // This worker's producer k of n, as a producer of the whole run (itself on one machine).
    let (k, n) = run.worker.producer(k, n);
    let seed = seed_for(s.seed, &run.name, k);
    let size_label = sizes::size_label(&run.name);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sends = InFlight::new(
        s.workload.max_in_flight,
        &s.workload.api,
        rate / n as f64,
        run.clock.clone(),
        seed,
    );
    let (mut measured, mut last_lag) = (0u64, Duration::ZERO);
    let (max_records, max_bytes, linger) = match s.workload.api {
        PutApi::PutRecord => (1usize, u64::MAX, Duration::ZERO),
        PutApi::PutRecords {
            max_records,
            max_bytes,
            linger,
        } => (max_records as usize, max_bytes, linger),
    };
    let single = matches!(s.workload.api, PutApi::PutRecord);
    let mut batch: Vec<Pending> = Vec::new();
    for id in pacer.share(k, n) {
        if run.interrupt.is_set() {
            break;
        }
        let due = pacer.due(id);
        if let Some(first) = batch.first() {
            let deadline = first.intended + linger;
            if deadline <= due {
                sends.wait_until(deadline).await;
                launch_batch(&run, &mut batch, &mut sends).await;
            }
        }
        // Ctrl-C stops the load at once, not at the next instant (sends in flight go on).
        tokio::select! {
            _ = sends.wait_until(due) => {}
            _ = run.interrupt.wait() => break,
        }
        if run.measured(due) {
            let now = run.clock.elapsed();
            last_lag = now.saturating_sub(due);
            run.lag.record(now, last_lag);
            measured += 1;
        }
        // Drawn from the record's own seed: the same size for the same id however the
        // schedule is split among producers and workers.
        let size = sizes::size_of(&s.workload.record_size, s.seed, &size_label, id);
        if single {
            // One record, one call: sealed and put by a task of its own.
            let r = run.clone();
            sends
                .launch(|mut rng| async move {
                    if let Some(p) = seal(&r, id, due, size, &mut rng).await {
                        flush(&r, &mut vec![p], &mut rng).await;
                    }
                })
                .await;
            continue;
        }
        let Some(p) = seal(&run, id, due, size, &mut rng).await else {
            continue;
        };
        let bytes: u64 = batch.iter().map(|p| p.data.len() as u64).sum();
        if !batch.is_empty()
            && (batch.len() >= max_records || bytes + p.data.len() as u64 > max_bytes)
        {
            launch_batch(&run, &mut batch, &mut sends).await;
        }
        batch.push(p);
        if batch.len() >= max_records {
            launch_batch(&run, &mut batch, &mut sends).await;
        }
    }
    if let Some(first) = batch.first() {
        sends.wait_until(first.intended + linger).await;
        launch_batch(&run, &mut batch, &mut sends).await;
    }
    run.sends.started(measured, last_lag);
    sends.finish(&run.sends).await;
    run.producers_left.fetch_sub(1, Ordering::SeqCst);
}

/// Build and seal one record, retrying KMS errors worth retrying.
async fn seal(
    run: &PathRun,
    id: u64,
    due: Duration,
    size: usize,
    rng: &mut ChaCha8Rng,
) -> Option<Pending> {
    let s = &run.scenario;
    let body = payload::build(s.seed, id, due, size, run.worker.header());
    run.ledger.sent(id);
    let partition_key = run.worker.partition_key(id, s.workload.partition_keys);
    let watch = Stopwatch::start();
    let mut attempt = 1;
    loop {
        match run
            .path
            .seal(&body, run.clock.start() + run.clock.elapsed())
            .await
        {
            Ok(data) => {
                run.sealed_sizes(body.len(), data.len());
                return Some(Pending {
                    id,
                    intended: due,
                    plaintext_len: body.len(),
                    partition_key,
                    data,
                    busy: watch.elapsed(),
                });
            }
            Err(e) => {
                run.error(Role::Producer, &e.code);
                if !retry_after(run, &e, &mut attempt, rng).await {
                    run.failed(id);
                    return None;
                }
            }
        }
    }
}

/// After an error: back off and return true if another attempt is due.
async fn retry_after(
    run: &PathRun,
    e: &BackendError,
    attempt: &mut u32,
    rng: &mut ChaCha8Rng,
) -> bool {
    if e.class() == ErrorClass::Fatal || *attempt >= run.retry.max_attempts {
        return false;
    }
    *attempt += 1;
    Attempts::bump(&run.attempts.retries);
    let wait = run.retry.backoff(*attempt, rng);
    let now = run.clock.elapsed();
    run.clock.sleep_until(now + wait).await;
    true
}

fn acked(run: &PathRun, p: &Pending, ack: PutAck, busy: std::time::Duration) {
    let key = if run.acks_by_record_id() {
        (ack.shard_id, p.id.to_string())
    } else {
        (ack.shard_id, ack.sequence)
    };
    run.acks.lock().insert(key, p.id);
    run.acked(
        p.id,
        p.intended,
        p.plaintext_len,
        run.clock.latency_since(p.intended, p.busy + busy),
    );
}

/// Put a batch (one record with PutRecord, else PutRecords), resending failed entries.
async fn flush(run: &PathRun, batch: &mut Vec<Pending>, rng: &mut ChaCha8Rng) {
    if batch.is_empty() {
        return;
    }
    let single = matches!(run.scenario.workload.api, PutApi::PutRecord);
    let mut pending: Vec<Pending> = std::mem::take(batch);
    let watch = Stopwatch::start();
    let mut attempt = 1;
    loop {
        Attempts::bump(&run.attempts.put_attempts);
        let records = pending
            .iter()
            .map(|p| OutRecord {
                partition_key: p.partition_key.clone(),
                data: p.data.clone(),
            })
            .collect::<Vec<_>>();
        let outcome = if single {
            match records.into_iter().next() {
                Some(r) => run.sink.put(r).await.map(|a| vec![Ok(a)]),
                None => Ok(Vec::new()),
            }
        } else {
            run.sink.put_batch(records).await
        };
        let (retry_code, err) = match outcome {
            Ok(results) => {
                let mut failed = Vec::new();
                let mut code = None;
                for (p, r) in pending.into_iter().zip(results) {
                    match r {
                        Ok(ack) => acked(run, &p, ack, watch.elapsed()),
                        Err(f) => {
                            run.error(Role::Producer, &f.code);
                            code = Some(f.code.clone());
                            failed.push(p);
                        }
                    }
                }
                pending = failed;
                if pending.is_empty() {
                    break;
                }
                run.attempts
                    .records_resent
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                (code.unwrap_or_default(), None)
            }
            Err(e) => {
                run.error(Role::Producer, &e.code);
                (e.code.clone(), Some(e))
            }
        };
        let e =
            err.unwrap_or_else(|| BackendError::new("PutRecords", &retry_code, "entries failed"));
        if !retry_after(run, &e, &mut attempt, rng).await {
            pending.iter().for_each(|p| run.failed(p.id));
            break;
        }
    }
    Attempts::bump(&run.attempts.put_calls);
}
