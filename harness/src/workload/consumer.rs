//! A consumer: polls its shards with GetRecords (at most five calls a second per shard, the
//! AWS limit), opens each record through the path, verifies it and records it in the ledger,
//! until the producers are done and every acknowledged record has been read or the drain
//! deadline has passed.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::context::{Attempts, PathRun, Stopwatch};
use super::payload;
use crate::backend::Role;
use crate::backend::{Position, ReadRecord};
use crate::metrics::ledger::ReadOutcome;
use crate::path::OpenError;

/// Time between polls of one shard: 5 GetRecords calls a second per shard is AWS's limit.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

struct ShardCursor {
    shard_id: String,
    /// Read only once these were read to their end (a reshard's parents).
    parents: Vec<String>,
    position: Position,
    /// The key error Kinesis last refused a read of this shard with, until a read succeeds.
    blocked_by: Option<String>,
    /// A Firehose path: the object being read (when it was written) and when its first
    /// record was sent.
    object: Option<(Duration, Duration)>,
}

impl ShardCursor {
    /// When the first record of the object written at `written` was sent (`sent` if this
    /// record begins a new object).
    fn object_first(&mut self, written: Duration, sent: Duration) -> Duration {
        match self.object {
            Some((w, first)) if w == written => first,
            _ => {
                self.object = Some((written, sent));
                sent
            }
        }
    }
}

/// Errors with which Kinesis refuses a read because the stream's key cannot be used: the
/// records behind them are stored but unreadable while it lasts.
const KEY_ERRORS: &[&str] = &[
    "KMSNotFoundException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSAccessDeniedException",
    // An S3 destination's object under a key the reader cannot use.
    "KMS.NotFoundException",
    "KMS.DisabledException",
    "KMS.KMSInvalidStateException",
    "AccessDenied",
];

/// Consumer `k` of `of`: which of them reads partition `id` (by the number in a shard id, as
/// `shardId-000000000004`, so the children a reshard makes are shared out as the first shards
/// were).
pub fn owner(id: &str, of: u64) -> u64 {
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    let n = digits.parse::<u64>().unwrap_or_else(|_| {
        id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    });
    n % of.max(1)
}

/// Add a cursor for every partition consumer `k` of `of` owns and does not read yet; false if
/// they could not be listed (tried again on the next poll).
async fn discover(run: &PathRun, cursors: &mut Vec<ShardCursor>, k: u64, of: u64) -> bool {
    match run.source.partitions().await {
        Ok(parts) => {
            let ids: Vec<String> = parts.iter().map(|p| p.id.clone()).collect();
            for p in parts {
                if owner(&p.id, of) == k && !cursors.iter().any(|c| c.shard_id == p.id) {
                    cursors.push(ShardCursor {
                        shard_id: p.id,
                        // A parent past the retention period is no longer listed: nothing of
                        // it is left to read first.
                        parents: p.parents.into_iter().filter(|x| ids.contains(x)).collect(),
                        position: Position::default(),
                        blocked_by: None,
                        object: None,
                    });
                }
            }
            true
        }
        Err(e) => {
            run.error(Role::Consumer, &e.code);
            false
        }
    }
}

/// Run consumer `k` of `of` over the partitions it owns until told to stop, following closed
/// shards into their children as the KCL does (a child is read once its parents were read to
/// their end, so one key's records are read in order, none twice).
pub async fn run(run: Arc<PathRun>, k: u64, of: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(super::producer::seed_for(
        run.scenario.seed,
        &run.name,
        1000 + k,
    ));
    let mut cursors: Vec<ShardCursor> = Vec::new();
    let mut listed: Option<u64> = None;
    let polls = PollGrid::new(
        run.pairing.index,
        run.pairing.paths,
        k,
        run.scenario.workload.consumers,
    );
    run.clock.sleep_until(polls.first()).await;
    loop {
        let done = run.stop.load(Ordering::SeqCst);
        let changes = run.ended.changes();
        if listed != Some(changes) && discover(&run, &mut cursors, k, of).await {
            listed = Some(changes);
        }
        for c in cursors.iter_mut() {
            if c.position.ended || !run.ended.all_ended(&c.parents) {
                continue;
            }
            poll(&run, c, &mut rng).await;
            if c.position.ended {
                run.ended.end(&c.shard_id);
            }
        }
        if done {
            cursors.iter().for_each(|c| account_blocked(&run, c));
            break;
        }
        let next = polls.next_after(run.clock.elapsed());
        run.clock.sleep_until(next).await;
    }
}

/// When a consumer polls: every [`POLL_INTERVAL`] on a fixed grid, the run's consumers spread
/// evenly over the interval, so the reads of different paths do not pile up on one instant
/// (and hold up the producers' sends) and no consumer drifts onto another's instants.
#[derive(Debug, Clone, Copy)]
pub struct PollGrid {
    offset: Duration,
}

impl PollGrid {
    /// Consumer `k` of `consumers` on path `index` of `paths`.
    pub fn new(index: usize, paths: usize, k: u64, consumers: u32) -> Self {
        let per_path = consumers.max(1) as u64;
        let slot = index as u64 * per_path + k.min(per_path - 1);
        let slots = paths.max(1) as u64 * per_path;
        Self {
            offset: POLL_INTERVAL * slot as u32 / slots as u32,
        }
    }

    /// The consumer's first poll (since the run's start).
    pub fn first(&self) -> Duration {
        self.offset
    }

    /// The first grid instant after `now`, for a consumer that polled at or after the previous
    /// one: never sooner than one interval after it, so a shard is read at most five times a
    /// second.
    pub fn next_after(&self, now: Duration) -> Duration {
        let since = now.saturating_sub(self.offset);
        let n = since.as_nanos() / POLL_INTERVAL.as_nanos() + 1;
        self.offset + POLL_INTERVAL * n as u32
    }
}

async fn poll(run: &PathRun, c: &mut ShardCursor, rng: &mut ChaCha8Rng) {
    match run.source.read(&c.shard_id, &mut c.position, 10_000).await {
        Ok(records) => {
            for record in &records {
                if !owns(run, record) {
                    // Another worker's: its own consumers account it (and open it).
                    c.position.commit(&record.sequence);
                    continue;
                }
                if let Err(code) = handle(run, c, record, rng).await {
                    // Its key cannot be had now: stay at this record and try it again on
                    // the next poll, as a consumer that must not skip data would.
                    c.blocked_by = Some(code);
                    c.position.rewind();
                    return;
                }
                c.position.commit(&record.sequence);
            }
            c.blocked_by = None;
            if let (false, Some(last)) = (records.is_empty(), &c.position.after) {
                run.checkpoint(&c.shard_id, last);
            }
        }
        Err(e) => {
            run.error(Role::Consumer, &e.code);
            if KEY_ERRORS.contains(&e.code.as_str()) {
                c.blocked_by = Some(e.code.clone());
            }
        }
    }
}

/// Whether a record read back is this worker's to account: by its partition key (before it is
/// opened, so another worker's record costs no KMS call), or, where the header is readable
/// (a Firehose object's records), by the worker it names.
fn owns(run: &PathRun, record: &ReadRecord) -> bool {
    if run.worker.is_whole() {
        return true;
    }
    if !run.worker.owns_key(&record.partition_key) {
        return false;
    }
    match payload::worker_of(&record.data) {
        0 => true,
        w => run.worker.owns_header(w),
    }
}

/// Sequence numbers compare as numbers: by length, then digits. (A Firehose path's
/// acknowledgements are keyed by record id; what is left of them at the end is all unread.)
fn after(seq: &str, last: Option<&str>) -> bool {
    if last.is_some_and(|l| l.contains('#')) {
        return true;
    }
    last.is_none_or(|l| (seq.len(), seq) > (l.len(), l))
}

/// At the end of the drain, a shard still blocked on a key error (Kinesis refusing the read,
/// or the consumer unable to get a record's data key) holds records that are stored but
/// unreadable (the crypto-shredding of a deleted key): every acknowledged record past the last
/// one read is counted unreadable, not lost.
fn account_blocked(run: &PathRun, c: &ShardCursor) {
    if c.blocked_by.is_none() {
        return;
    }
    let acks = run.acks.lock();
    for ((shard, seq), id) in acks.iter() {
        if *shard == c.shard_id && after(seq, c.position.after.as_deref()) {
            run.ledger.unreadable(*id);
        }
    }
}

/// The id the producer's acknowledgement gave this record, taken out of the map (a record read
/// and verified needs it no more, so the map holds only what is still unread); put it back
/// with [`keep_ack`] when the record is not consumed.
fn take_ack(run: &PathRun, shard: &str, sequence: &str) -> Option<u64> {
    run.acks
        .lock()
        .remove(&(shard.to_string(), sequence.to_string()))
}

fn keep_ack(run: &PathRun, shard: &str, sequence: &str, id: Option<u64>) {
    if let Some(id) = id {
        run.acks
            .lock()
            .insert((shard.to_string(), sequence.to_string()), id);
    }
}

/// Open, verify and account one record. `Err(code)`: the record's data key cannot be had now
/// (denied, disabled, pending deletion, deleted, or still throttled after the retries); the
/// record is not consumed, and counts as unreadable only if that still holds when the drain ends.
async fn handle(
    run: &PathRun,
    c: &mut ShardCursor,
    record: &ReadRecord,
    rng: &mut ChaCha8Rng,
) -> Result<(), String> {
    let watch = Stopwatch::start();
    let mut attempt = 1;
    let opened = loop {
        match run
            .path
            .open(&record.data, run.clock.start() + run.clock.elapsed())
            .await
        {
            Err(OpenError::Retry(e)) if attempt < run.retry.max_attempts => {
                run.error(Role::Consumer, &e.code);
                attempt += 1;
                Attempts::bump(&run.attempts.retries);
                let now = run.clock.elapsed();
                run.clock
                    .sleep_until(now + run.retry.backoff(attempt, rng))
                    .await;
            }
            other => break other,
        }
    };
    // Verified once: the ledger needs the stamp, and a Firehose record's acknowledgement is
    // keyed by the id in it.
    let verified = opened.as_ref().ok().map(|p| payload::verify(p));
    let known = if run.acks_by_record_id() {
        verified
            .as_ref()
            .and_then(|v| v.as_ref().ok())
            .and_then(|s| take_ack(run, &c.shard_id, &s.id.to_string()))
    } else {
        take_ack(run, &c.shard_id, &record.sequence)
    };
    let fallback = || known.unwrap_or(u64::MAX - run.ledger.reads());
    if matches!(
        opened,
        Err(OpenError::Unreadable(_)) | Err(OpenError::Retry(_))
    ) {
        // Not consumed: read again later, or counted unreadable at the drain's end.
        keep_ack(run, &c.shard_id, &record.sequence, known);
    }
    match (opened, verified) {
        (Ok(_), Some(v)) => match v {
            Ok(stamp) => {
                run.ledger.read(stamp.id, ReadOutcome::Valid);
                if let (Some(limit), Some(written)) = (run.delayed_after, record.written_at) {
                    let sent = run.clock.start() + stamp.intended;
                    let first = c.object_first(written, sent);
                    if written.saturating_sub(first) > limit {
                        run.delayed.fetch_add(1, Ordering::Relaxed);
                    }
                    if run.measured(stamp.intended) {
                        run.delivery_latency
                            .record(run.clock.elapsed(), written.saturating_sub(sent));
                    }
                }
                if run.measured(stamp.intended) {
                    let latency = run.clock.latency_since(stamp.intended, watch.elapsed());
                    run.e2e_latency.record(run.clock.elapsed(), latency);
                }
            }
            Err(_) => run.ledger.read(fallback(), ReadOutcome::Corrupted),
        },
        (Ok(_), None) | (Err(OpenError::Corrupted(_)), _) => {
            run.ledger.read(fallback(), ReadOutcome::Corrupted)
        }
        (Err(OpenError::Unreadable(e)), _) | (Err(OpenError::Retry(e)), _) => {
            run.error(Role::Consumer, &e.code);
            return Err(e.code);
        }
    }
    Ok(())
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    #[test]
    fn consumers_poll_on_their_own_instants_at_most_five_times_a_second() {
        let grids: Vec<PollGrid> = (0..4).map(|i| PollGrid::new(i, 4, 0, 1)).collect();
        let firsts: Vec<Duration> = grids.iter().map(|g| g.first()).collect();
        let ms = |m: u64| Duration::from_millis(m);
        assert_eq!(firsts, vec![ms(0), ms(50), ms(100), ms(150)]);
        let g = grids[1];
        // A poll that ends late skips to the next instant of its own grid.
        assert_eq!(g.next_after(ms(50)), ms(250));
        assert_eq!(g.next_after(ms(249)), ms(250));
        assert_eq!(g.next_after(ms(251)), ms(450));
        // Two consumers of one path share it out between them.
        let (a, b) = (PollGrid::new(0, 1, 0, 2), PollGrid::new(0, 1, 1, 2));
        assert_eq!(b.first() - a.first(), ms(100));
    }
}
