//! A scenario's faults as a timeline of steps: pure, so a test can check an hour of schedule
//! without running anything.

use std::time::Duration;

use crate::scenario::{FaultKind, FaultSpec};

/// What happens to a fault at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The fault takes effect.
    Begin,
    /// A scheduled key deletion is cancelled (the key returns to Enabled).
    Cancel,
    /// The fault is lifted.
    End,
}

/// One step of one fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// When, since the start of the load.
    pub at: Duration,
    /// Index of the fault in the scenario.
    pub fault: usize,
    /// What happens.
    pub step: Step,
}

/// Every step of every fault, in time order. Faults are lifted at `load_end` at the latest
/// (so the drain measures what is recoverable), except a key deletion, which cannot be undone.
pub fn plan(faults: &[FaultSpec], load_end: Duration) -> Vec<Action> {
    let mut out = Vec::new();
    for (i, f) in faults.iter().enumerate() {
        if f.at >= load_end {
            continue;
        }
        out.push(Action {
            at: f.at,
            fault: i,
            step: Step::Begin,
        });
        if let FaultKind::ScheduleKeyDeletion {
            cancel_after: Some(c),
            ..
        } = &f.kind
        {
            let at = f.at + *c;
            if at < load_end {
                out.push(Action {
                    at,
                    fault: i,
                    step: Step::Cancel,
                });
            }
        }
        if !f.kind.is_event() {
            let end = f.end().unwrap_or(load_end).min(load_end);
            out.push(Action {
                at: end,
                fault: i,
                step: Step::End,
            });
        }
    }
    out.sort_by_key(|a| (a.at, a.step, a.fault));
    out
}

/// When a fault is in effect, cut at `load_end`: (start, end).
pub fn window(f: &FaultSpec, load_end: Duration) -> (Duration, Option<Duration>) {
    let end = if f.kind.is_event() {
        None
    } else {
        Some(f.end().unwrap_or(load_end).min(load_end))
    };
    (f.at, end)
}
