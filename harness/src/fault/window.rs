//! A fault's window as it applies to one path, and what happened in and around it, tallied as
//! events arrive (no per-record list is kept): the first error after it began, errors and
//! outcomes while it lasted, the first acknowledgement after it ended, acknowledgements per
//! second before and after it, and put latency before, during and after it.

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;

use crate::backend::Role;
use crate::metrics::latency::SharedLatency;

/// How far before a fault its pre-fault throughput is measured.
pub const PRE_FAULT_SPAN: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub(super) struct Tally {
    /// First error at or after the start: [by producers, by consumers].
    pub first_error: [Option<Duration>; 2],
    pub errors_during: BTreeMap<String, u64>,
    pub acks_during: u64,
    pub failures_during: u64,
    pub first_ack_after_end: Option<Duration>,
    /// Acknowledgements in the pre-fault span.
    pub acks_before: u64,
    /// Acknowledgements in each whole second after the end.
    pub acks_after: Vec<u64>,
}

/// One fault's window on one path.
#[derive(Debug)]
pub struct FaultWindow {
    /// Index of the fault in the scenario.
    pub fault: usize,
    /// Start, since the run's start.
    pub start: Duration,
    /// End (None: to the end of the run).
    pub end: Option<Duration>,
    /// Put latency of records intended before, during and after the window.
    pub latency: [SharedLatency; 3],
    /// Where the pre-fault span begins (not before the end of the warm-up).
    pub(super) pre_from: Duration,
    pub(super) tally: Mutex<Tally>,
}

fn min(slot: &mut Option<Duration>, t: Duration) {
    if slot.is_none_or(|s| t < s) {
        *slot = Some(t);
    }
}

impl FaultWindow {
    /// The window of fault `fault` from `start` to `end`; throughput before it is measured over
    /// [`PRE_FAULT_SPAN`], from `measure_from` (the end of the warm-up) at the earliest.
    pub fn new(
        fault: usize,
        start: Duration,
        end: Option<Duration>,
        measure_from: Duration,
    ) -> Self {
        Self {
            fault,
            start,
            end,
            latency: [
                SharedLatency::new(),
                SharedLatency::new(),
                SharedLatency::new(),
            ],
            pre_from: start.saturating_sub(PRE_FAULT_SPAN).max(measure_from),
            tally: Mutex::new(Tally::default()),
        }
    }

    /// 0 before, 1 during, 2 after.
    pub fn phase(&self, t: Duration) -> usize {
        if t < self.start {
            0
        } else if self.during(t) {
            1
        } else {
            2
        }
    }

    fn during(&self, t: Duration) -> bool {
        t >= self.start && self.end.is_none_or(|e| t < e)
    }

    /// An error named `code` seen by `role` at `t`.
    pub fn error(&self, t: Duration, role: Role, code: &str) {
        if t < self.start {
            return;
        }
        let mut tally = self.tally.lock();
        match role {
            Role::Producer => min(&mut tally.first_error[0], t),
            Role::Consumer => min(&mut tally.first_error[1], t),
            Role::Admin | Role::Resharder => {}
        }
        if self.during(t) {
            *tally.errors_during.entry(code.to_owned()).or_default() += 1;
        }
    }

    /// A record acknowledged at `t`.
    pub fn ack(&self, t: Duration) {
        let mut tally = self.tally.lock();
        if t >= self.pre_from && t < self.start {
            tally.acks_before += 1;
        }
        if self.during(t) {
            tally.acks_during += 1;
        }
        if let Some(end) = self.end.filter(|e| t >= *e) {
            min(&mut tally.first_ack_after_end, t);
            let k = usize::try_from((t - end).as_secs()).unwrap_or(usize::MAX);
            if tally.acks_after.len() <= k {
                tally.acks_after.resize(k + 1, 0);
            }
            tally.acks_after[k] += 1;
        }
    }

    /// A record given up on at `t`.
    pub fn failure(&self, t: Duration) {
        if self.during(t) {
            self.tally.lock().failures_during += 1;
        }
    }
}
