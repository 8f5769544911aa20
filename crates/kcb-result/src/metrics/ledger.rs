//! The ledger: a per-record account, by record id, of what was sent, acknowledged, given up
//! on, read back, decrypted, corrupted, unreadable or lost.
//!
//! [`LedgerTracker`] is shared by reference across producer and consumer threads (every method
//! takes `&self`; one short mutex section per event). [`LedgerTracker::finish`] folds the
//! events into a [`Ledger`] of counts.
//!
//! How an id is counted:
//! - `sent`, `acked` and `failed` count distinct ids. An ack or a give-up for an id never
//!   marked sent marks it sent too. An id both acked and given up on (a retry gave up, yet an
//!   earlier attempt's ack arrived) counts as acked only, so `sent == acked + failed` holds
//!   once every sent id has an outcome; ids still in flight make [`Ledger::balances`] false.
//! - `read` counts every read, duplicates included; `decrypted` and `corrupted` count reads
//!   (valid and failed-verification ones); `duplicated` counts reads of an id already read.
//! - `unreadable` and `lost` count distinct *acked* ids. An acked id's fate is its best read:
//!   valid, else corrupted, else unreadable (stored but not decryptable: the key is gone),
//!   else lost (never read at all).
//! - An id read but never acked (a put that timed out or was given up on, yet landed) is
//!   counted in `read` (and `decrypted` / `corrupted` / `duplicated` as its reads say), never
//!   in `lost` or `unreadable`.

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// What reading one record back found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadOutcome {
    /// Decrypted (or, on the plaintext path, parsed) and verified against what was sent.
    Valid,
    /// Bytes came back but failed verification (authentication tag, checksum or content).
    Corrupted,
    /// Stored but not decryptable: the key is disabled, denied or deleted.
    Unreadable,
}

const SENT: u8 = 1;
const ACKED: u8 = 1 << 1;
const FAILED: u8 = 1 << 2;
const READ_VALID: u8 = 1 << 3;
const READ_CORRUPTED: u8 = 1 << 4;
const READ_UNREADABLE: u8 = 1 << 5;
/// Read at least once (a later read is a duplicate).
const READ_ONCE: u8 = 1 << 6;

/// Ids below this are kept densely, a byte each (a run's ids count up from 0); others (the
/// consumer's stand-ins for records it cannot name) in a map.
const DENSE_IDS: u64 = 1 << 32;

/// The flags of a record whose account is complete: sent, acknowledged, read and verified.
/// Nothing that can happen to it later changes what it counts for (a further read is a
/// duplicate; a late give-up, a corrupted or an unreadable read leave its fate, valid).
const SETTLED: u8 = SENT | ACKED | READ_VALID | READ_ONCE;

/// A byte of flags per record id, but for the ids below `base`: those were all [`SETTLED`]
/// and are only counted. While the consumers keep up, the window is the records in flight
/// (seconds of the rate), so a long run's ledger stays small; a record never read (lost, or
/// unreadable while a key is gone) holds the window open behind it, a byte a record from there.
#[derive(Debug, Default)]
struct Flags {
    /// Every id below this is settled.
    base: u64,
    /// Flags of ids `base..`.
    window: VecDeque<u8>,
    sparse: HashMap<u64, u8>,
}

/// Where an id's flags are.
enum Slot<'a> {
    /// Below the window: settled.
    Settled,
    /// Its flags.
    Open(&'a mut u8),
}

impl Flags {
    fn get_mut(&mut self, id: u64) -> Slot<'_> {
        if id >= DENSE_IDS {
            return Slot::Open(self.sparse.entry(id).or_default());
        }
        let Some(i) = id.checked_sub(self.base) else {
            return Slot::Settled;
        };
        let i = i as usize;
        if i >= self.window.len() {
            self.window.resize(i + 1, 0);
        }
        Slot::Open(&mut self.window[i])
    }

    /// After `id` changed: if it is the window's first, move every settled id at the front
    /// below the window.
    fn settle_from(&mut self, id: u64) {
        if id != self.base {
            return;
        }
        while self.window.front() == Some(&SETTLED) {
            self.window.pop_front();
            self.base += 1;
        }
    }

    /// Ids settled and no longer held.
    fn settled(&self) -> u64 {
        self.base
    }

    fn values(&self) -> impl Iterator<Item = u8> + '_ {
        self.window
            .iter()
            .copied()
            .filter(|&f| f != 0)
            .chain(self.sparse.values().copied())
    }
}

#[derive(Debug, Default)]
struct Inner {
    records: Flags,
    /// Acked ids with no read outcome yet (what `lost` would count now), kept as events
    /// arrive so a drain can ask in O(1).
    awaiting: u64,
    reads: u64,
    valid_reads: u64,
    corrupted_reads: u64,
    duplicate_reads: u64,
}

/// Acked with no read outcome (valid, corrupted or unreadable) yet.
fn awaiting(flags: u8) -> bool {
    flags & ACKED != 0 && flags & (READ_VALID | READ_CORRUPTED | READ_UNREADABLE) == 0
}

impl Inner {
    fn adjust(&mut self, was: bool, now: bool) {
        match (was, now) {
            (false, true) => self.awaiting += 1,
            (true, false) => self.awaiting -= 1,
            _ => {}
        }
    }
}

/// Collects ledger events from any number of threads (`&self` methods behind one mutex).
#[derive(Debug, Default)]
pub struct LedgerTracker {
    inner: Mutex<Inner>,
}

impl LedgerTracker {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn mark(&self, id: u64, flags: u8) {
        // (sent, acked, failed, or unreadable-without-a-read)
        let mut inner = self.inner.lock();
        let Slot::Open(state) = inner.records.get_mut(id) else {
            return;
        };
        let was = awaiting(*state);
        *state |= flags;
        let now = awaiting(*state);
        inner.adjust(was, now);
        inner.records.settle_from(id);
    }

    /// Reads so far, duplicates included.
    pub fn reads(&self) -> u64 {
        self.inner.lock().reads
    }

    /// Acknowledged records with no read yet: what [`Ledger::lost`] would count now, in O(1).
    pub fn awaiting_read(&self) -> u64 {
        self.inner.lock().awaiting
    }

    /// Record `id` handed to the producer for sending (counted once however often resent).
    pub fn sent(&self, id: u64) {
        self.mark(id, SENT);
    }

    /// Record `id` acknowledged by the stream (it has a sequence number).
    pub fn acked(&self, id: u64) {
        self.mark(id, SENT | ACKED);
    }

    /// Record that the producer gave up on `id` after its retries.
    pub fn failed(&self, id: u64) {
        self.mark(id, SENT | FAILED);
    }

    /// Record one read of `id` and what it found.
    pub fn read(&self, id: u64, outcome: ReadOutcome) {
        let mut inner = self.inner.lock();
        let duplicate = match inner.records.get_mut(id) {
            Slot::Settled => true,
            Slot::Open(state) => {
                let duplicate = *state & READ_ONCE != 0;
                let was = awaiting(*state);
                *state |= READ_ONCE
                    | match outcome {
                        ReadOutcome::Valid => READ_VALID,
                        ReadOutcome::Corrupted => READ_CORRUPTED,
                        ReadOutcome::Unreadable => READ_UNREADABLE,
                    };
                let now = awaiting(*state);
                inner.adjust(was, now);
                inner.records.settle_from(id);
                duplicate
            }
        };
        inner.reads += 1;
        if duplicate {
            inner.duplicate_reads += 1;
        }
        match outcome {
            ReadOutcome::Valid => inner.valid_reads += 1,
            ReadOutcome::Corrupted => inner.corrupted_reads += 1,
            ReadOutcome::Unreadable => {}
        }
    }

    /// Record that acked record `id` is stored but could not be read back at all because its
    /// key is gone (Kinesis refuses the read): counted unreadable, not as a read.
    pub fn unreadable(&self, id: u64) {
        self.mark(id, READ_UNREADABLE);
    }

    /// The counts as they stand. May be called mid-run for a snapshot; calling it again
    /// after more events gives the updated counts.
    pub fn finish(&self) -> Ledger {
        let inner = self.inner.lock();
        let settled = inner.records.settled();
        let mut ledger = Ledger {
            sent: settled,
            acked: settled,
            read: inner.reads,
            decrypted: inner.valid_reads,
            corrupted: inner.corrupted_reads,
            duplicated: inner.duplicate_reads,
            ..Ledger::default()
        };
        for f in inner.records.values() {
            if f & SENT != 0 {
                ledger.sent += 1;
            }
            if f & ACKED != 0 {
                ledger.acked += 1;
                if f & (READ_VALID | READ_CORRUPTED) != 0 {
                    // read back: its reads are already counted
                } else if f & READ_UNREADABLE != 0 {
                    ledger.unreadable += 1;
                } else {
                    ledger.lost += 1;
                }
            } else if f & FAILED != 0 {
                ledger.failed += 1;
            }
        }
        ledger
    }
}

/// Counts of what happened to the records of one path (see the module doc for each rule).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// Distinct records sent.
    pub sent: u64,
    /// Distinct records acknowledged by the stream.
    pub acked: u64,
    /// Distinct records given up on after retries and never acknowledged.
    pub failed: u64,
    /// Every read, duplicates included.
    pub read: u64,
    /// Reads that decrypted (or, for plaintext, parsed) and verified.
    pub decrypted: u64,
    /// Acknowledged records never read at all.
    pub lost: u64,
    /// Reads of a record already read before.
    pub duplicated: u64,
    /// Reads whose bytes failed verification.
    pub corrupted: u64,
    /// Acknowledged records read but never decryptable (the key was gone).
    pub unreadable: u64,
}

impl Ledger {
    /// Whether every sent record reached an outcome: `sent == acked + failed`.
    pub fn balances(&self) -> bool {
        self.sent == self.acked.saturating_add(self.failed)
    }

    /// Sent records with neither an ack nor a give-up (still in flight when counted).
    pub fn in_flight(&self) -> u64 {
        self.sent
            .saturating_sub(self.acked.saturating_add(self.failed))
    }

    /// Whether every acknowledged record was read back and verified, none corrupted.
    pub fn intact(&self) -> bool {
        self.lost == 0 && self.unreadable == 0 && self.corrupted == 0
    }
}

/// Ledgers of disjoint shares of one run (workers' results), added count by count.
impl<'a> std::iter::Sum<&'a Ledger> for Ledger {
    fn sum<I: Iterator<Item = &'a Ledger>>(iter: I) -> Ledger {
        iter.fold(Ledger::default(), |l, p| Ledger {
            sent: l.sent + p.sent,
            acked: l.acked + p.acked,
            failed: l.failed + p.failed,
            read: l.read + p.read,
            decrypted: l.decrypted + p.decrypted,
            lost: l.lost + p.lost,
            duplicated: l.duplicated + p.duplicated,
            corrupted: l.corrupted + p.corrupted,
            unreadable: l.unreadable + p.unreadable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn happy_path_balances() {
        let t = LedgerTracker::new();
        for id in 0..10 {
            t.sent(id);
            t.acked(id);
            t.read(id, ReadOutcome::Valid);
        }
        let l = t.finish();
        assert_eq!(
            l,
            Ledger {
                sent: 10,
                acked: 10,
                read: 10,
                decrypted: 10,
                ..Default::default()
            }
        );
        assert!(l.balances());
        assert!(l.intact());
    }

    #[test]
    fn each_fate_is_counted() {
        let t = LedgerTracker::new();
        for id in 0..8 {
            t.sent(id);
        }
        for id in 0..6 {
            t.acked(id);
        }
        t.failed(6);
        // 7 stays in flight
        t.read(0, ReadOutcome::Valid);
        t.read(0, ReadOutcome::Valid); // duplicate
        t.read(1, ReadOutcome::Corrupted);
        t.read(2, ReadOutcome::Unreadable);
        t.read(2, ReadOutcome::Unreadable); // duplicate, still one unreadable id
        t.read(3, ReadOutcome::Unreadable);
        t.read(3, ReadOutcome::Valid); // key came back: not unreadable
                                       // 4 and 5 are never read: lost
        t.read(6, ReadOutcome::Valid); // given up on, yet landed: read, not lost
        let l = t.finish();
        assert_eq!(
            l,
            Ledger {
                sent: 8,
                acked: 6,
                failed: 1,
                read: 8,
                decrypted: 4,
                lost: 2,
                duplicated: 3,
                corrupted: 1,
                unreadable: 1,
            }
        );
        assert!(!l.balances());
        assert_eq!(l.in_flight(), 1);
        assert!(!l.intact());
    }

    #[test]
    fn settled_records_leave_the_window_and_still_count() {
        let t = LedgerTracker::new();
        for i in 0..10_000 {
            t.sent(i);
            t.acked(i);
            // Read out of order by one: the window holds what is in flight.
            if i > 0 {
                t.read(i - 1, ReadOutcome::Valid);
            }
        }
        assert_eq!(t.inner.lock().records.window.len(), 1);
        // A record read after it settled is a duplicate.
        t.read(5, ReadOutcome::Corrupted);
        // Record 10,000 is never read: the window stays open from there.
        t.sent(10_000);
        t.acked(10_000);
        for i in 10_001..10_100 {
            t.sent(i);
            t.acked(i);
            t.read(i, ReadOutcome::Valid);
        }
        t.read(9_999, ReadOutcome::Valid);
        assert_eq!(t.inner.lock().records.settled(), 10_000);
        assert_eq!(t.inner.lock().records.window.len(), 100);
        let l = t.finish();
        assert_eq!((l.sent, l.acked, l.lost), (10_100, 10_100, 1));
        assert_eq!(
            (l.read, l.decrypted, l.corrupted, l.duplicated),
            (10_100, 10_099, 1, 1)
        );
    }

    #[test]
    fn unacked_reads_are_never_lost() {
        let t = LedgerTracker::new();
        t.sent(1); // timed out, never acked, never given up on
        t.read(1, ReadOutcome::Valid);
        t.read(2, ReadOutcome::Unreadable); // never even marked sent
        let l = t.finish();
        assert_eq!((l.lost, l.unreadable, l.read, l.decrypted), (0, 0, 2, 1));
    }

    #[test]
    fn ack_after_give_up_counts_as_acked() {
        let t = LedgerTracker::new();
        t.failed(9);
        t.acked(9);
        let l = t.finish();
        assert_eq!((l.sent, l.acked, l.failed), (1, 1, 0));
        assert!(l.balances());
    }

    #[test]
    fn tracker_is_shared_across_threads() {
        let t = std::sync::Arc::new(LedgerTracker::new());
        let handles: Vec<_> = (0..4u64)
            .map(|k| {
                let t = t.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let id = k * 1_000 + i;
                        t.sent(id);
                        t.acked(id);
                        t.read(id, ReadOutcome::Valid);
                    }
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        let l = t.finish();
        assert_eq!(
            (l.sent, l.acked, l.decrypted, l.lost),
            (2_000, 2_000, 2_000, 0)
        );
    }

    #[derive(Debug, Clone)]
    enum Event {
        Sent(u64),
        Acked(u64),
        Failed(u64),
        Read(u64, ReadOutcome),
    }

    fn event() -> impl Strategy<Value = Event> {
        // Dense ids (a run's, counting from 0) and sparse ones (the consumer's stand-ins for
        // records it cannot name, counting down from u64::MAX).
        let id = prop_oneof![4 => 0u64..24, 1 => (u64::MAX - 8)..=u64::MAX];
        let outcome = prop_oneof![
            Just(ReadOutcome::Valid),
            Just(ReadOutcome::Corrupted),
            Just(ReadOutcome::Unreadable)
        ];
        prop_oneof![
            id.clone().prop_map(Event::Sent),
            id.clone().prop_map(Event::Acked),
            id.clone().prop_map(Event::Failed),
            (id, outcome).prop_map(|(i, o)| Event::Read(i, o)),
        ]
    }

    /// The ledger recomputed from the event list by a slow, obvious model.
    fn model(events: &[Event]) -> Ledger {
        let mut sent = BTreeSet::new();
        let mut acked = BTreeSet::new();
        let mut failed = BTreeSet::new();
        let mut reads: BTreeMap<u64, Vec<ReadOutcome>> = BTreeMap::new();
        for e in events {
            match *e {
                Event::Sent(i) => {
                    sent.insert(i);
                }
                Event::Acked(i) => {
                    sent.insert(i);
                    acked.insert(i);
                }
                Event::Failed(i) => {
                    sent.insert(i);
                    failed.insert(i);
                }
                Event::Read(i, o) => reads.entry(i).or_default().push(o),
            }
        }
        let all: Vec<ReadOutcome> = reads.values().flatten().copied().collect();
        let count = |o: ReadOutcome| all.iter().filter(|x| **x == o).count() as u64;
        let fate = |i: &u64| reads.get(i).cloned().unwrap_or_default();
        Ledger {
            sent: sent.len() as u64,
            acked: acked.len() as u64,
            failed: failed.difference(&acked).count() as u64,
            read: all.len() as u64,
            decrypted: count(ReadOutcome::Valid),
            corrupted: count(ReadOutcome::Corrupted),
            duplicated: reads.values().map(|v| v.len() as u64 - 1).sum(),
            lost: acked.iter().filter(|i| fate(i).is_empty()).count() as u64,
            unreadable: acked
                .iter()
                .filter(|i| {
                    let f = fate(i);
                    !f.is_empty() && f.iter().all(|o| *o == ReadOutcome::Unreadable)
                })
                .count() as u64,
        }
    }

    proptest! {
        #[test]
        fn invariants_hold_for_any_events(events in proptest::collection::vec(event(), 0..200)) {
            let t = LedgerTracker::new();
            for e in &events {
                match *e {
                    Event::Sent(i) => t.sent(i),
                    Event::Acked(i) => t.acked(i),
                    Event::Failed(i) => t.failed(i),
                    Event::Read(i, o) => t.read(i, o),
                }
            }
            let l = t.finish();
            prop_assert_eq!(l, model(&events));
            // The drain's O(1) count is the walk's `lost`.
            prop_assert_eq!(t.awaiting_read(), l.lost);
            // Structural invariants, whatever the order of events.
            prop_assert!(l.acked + l.failed <= l.sent);
            prop_assert_eq!(l.balances(), l.in_flight() == 0);
            prop_assert!(l.decrypted + l.corrupted <= l.read);
            prop_assert!(l.duplicated <= l.read);
            prop_assert!(l.lost + l.unreadable <= l.acked);
            // Every acked id read validly or corrupted is one distinct id read.
            let distinct_reads = l.read - l.duplicated;
            prop_assert!(l.acked - l.lost <= distinct_reads);
            // Once every sent id has an outcome, the ledger balances.
            let ids: BTreeSet<u64> = events.iter().map(|e| match *e {
                Event::Sent(i) | Event::Acked(i) | Event::Failed(i) | Event::Read(i, _) => i,
            }).collect();
            for i in &ids { t.acked(*i); }
            let closed = t.finish();
            prop_assert!(closed.balances());
            prop_assert_eq!(closed.read, l.read);
        }
    }
}
