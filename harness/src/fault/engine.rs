//! Applying a fault plan while a run goes on: each step begins, cancels or ends one fault
//! through its kind's module (`kinds/`), and the fault's [`Undo`] lifts exactly what it applied.
//! On the embedded service faults change the service's world through its control interface
//! (policies, held quotas and limits, key states); against any other endpoint the same faults,
//! but key changes, are applied at the transport.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::error::FaultError;
use super::kinds;
use super::plan::{Action, Step};
use super::undo::Undo;
use super::world::World;
use crate::scenario::FaultSpec;
use crate::workload::RunClock;

/// What applying one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// Fault index.
    pub fault: usize,
    /// Step.
    pub step: Step,
    /// When, since the start of the load.
    pub at: Duration,
    /// What was done, or why not (wholly or in part).
    pub outcome: Result<String, FaultError>,
}

impl Applied {
    /// False if any part could not be applied.
    pub fn ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// What was done, or why not.
    pub fn note(&self) -> String {
        match &self.outcome {
            Ok(n) => n.clone(),
            Err(e) => e.to_string(),
        }
    }
}

/// Applies a scenario's faults.
pub struct Engine {
    faults: Vec<FaultSpec>,
    world: World,
    active: Mutex<BTreeMap<usize, Undo>>,
    applied: Mutex<Vec<Applied>>,
}

impl Engine {
    /// An engine for these faults over this world.
    pub fn new(faults: Vec<FaultSpec>, world: World) -> Self {
        Self {
            faults,
            world,
            active: Mutex::new(BTreeMap::new()),
            applied: Mutex::new(Vec::new()),
        }
    }

    /// What was applied so far.
    pub fn applied(&self) -> Vec<Applied> {
        self.applied.lock().clone()
    }

    /// The world the faults change.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The faults in effect, by index.
    pub fn active(&self) -> Vec<usize> {
        self.active.lock().keys().copied().collect()
    }

    /// Run the plan on the run clock until it is done (the runner aborts it when the load ends
    /// and then calls [`Engine::lift_all`]).
    pub async fn run(self: Arc<Self>, actions: Vec<Action>, clock: RunClock) {
        for a in actions {
            clock.sleep_until(a.at).await;
            self.apply(a, clock.elapsed()).await;
        }
    }

    /// Lift every fault still in effect (the load has ended).
    pub async fn lift_all(&self, now: Duration) {
        for fault in self.active() {
            let end = Action {
                at: now,
                fault,
                step: Step::End,
            };
            self.apply(end, now).await;
        }
    }

    /// Apply one step.
    pub async fn apply(&self, a: Action, now: Duration) {
        let Some(f) = self.faults.get(a.fault) else {
            return;
        };
        if let (Some(by), true) = (
            &self.world.carried_out_by,
            self.world.changes_shared_world(f),
        ) {
            // Another worker changes the shared world; this one records the step in its plan.
            self.applied.lock().push(Applied {
                fault: a.fault,
                step: a.step,
                at: now,
                outcome: Ok(format!("carried out by {by}")),
            });
            return;
        }
        let outcome = match a.step {
            Step::Begin => {
                let mut undo = Undo::default();
                let r = kinds::begin(&self.world, a.fault, f, &mut undo).await;
                // Whatever was applied, even in part, is lifted at the fault's end.
                self.active.lock().insert(a.fault, undo);
                r
            }
            Step::Cancel => {
                let taken = self.active.lock().remove(&a.fault);
                match taken {
                    Some(mut undo) => {
                        let r = undo.cancel(&self.world).await;
                        self.active.lock().insert(a.fault, undo);
                        r
                    }
                    None => Ok("not active".to_owned()),
                }
            }
            Step::End => {
                let taken = self.active.lock().remove(&a.fault);
                match taken {
                    Some(undo) => undo.end(&self.world).await,
                    None => Ok("not active".to_owned()),
                }
            }
        };
        if let Err(e) = &outcome {
            tracing::warn!(fault = %f.name, ?a.step, error = %e, "fault step not fully applied");
        }
        self.applied.lock().push(Applied {
            fault: a.fault,
            step: a.step,
            at: now,
            outcome,
        });
    }
}
