//! One module per fault kind: `begin` applies the fault to its paths and notes in its [`Undo`]
//! every part it applied, so the engine can lift exactly this fault (see `undo.rs`). A part
//! applied before a later part failed is still noted, so a half-applied fault is still lifted
//! whole.

mod delete_key;
mod deny;
mod disable_key;
pub(crate) mod key_policy;
mod latency;
mod reshard;
pub(crate) mod revoke_grant;
mod rotate_key;
mod schedule_key_deletion;
mod throttle;

pub use latency::draw;

use super::error::FaultError;
use super::keys::KeyHold;
use super::undo::{Part, Undo};
use super::world::World;
use crate::backend::faults::{Effect, Rule, Service as Svc};
use crate::scenario::{FaultKind, FaultSpec};

/// Apply fault number `fault` (`spec`), noting its parts in `undo`; returns what was done.
pub async fn begin(
    world: &World,
    fault: usize,
    spec: &FaultSpec,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let targets = world.targets_of(spec);
    match &spec.kind {
        FaultKind::Deny { principal, actions } => {
            deny::begin(world, &targets, principal, actions, undo).await
        }
        FaultKind::KinesisThrottle { .. } => throttle::kinesis(world, &targets, &spec.kind, undo),
        FaultKind::KmsThrottle { .. } => throttle::kms(world, &targets, &spec.kind, undo),
        FaultKind::DisableKey => disable_key::begin(world, &targets, undo).await,
        FaultKind::ScheduleKeyDeletion {
            waiting_period_days,
            cancel_after,
        } => {
            let cancels = cancel_after.is_some();
            schedule_key_deletion::begin(world, &targets, *waiting_period_days, cancels, undo).await
        }
        FaultKind::DeleteKey => delete_key::begin(world, &targets).await,
        FaultKind::RotateKey => rotate_key::begin(world, &targets).await,
        FaultKind::RevokeGrant => revoke_grant::begin(world, &targets, undo).await,
        FaultKind::KeyPolicy { change } => key_policy::begin(world, &targets, change, undo).await,
        FaultKind::Latency {
            service,
            operations,
            delay,
        } => latency::begin(world, fault, &targets, *service, operations, delay, undo),
        FaultKind::Reshard { action } => reshard::begin(world, &targets, *action).await,
    }
}

/// Hold the key of each of the targets in `hold`, noted in `undo` (lifted by the fault's cancel
/// step when `on_cancel`).
async fn hold_keys(
    world: &World,
    targets: &[usize],
    hold: KeyHold,
    on_cancel: bool,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let mut notes = Vec::new();
    for key in world.keys_of(targets)? {
        let (id, note) = world.keys.hold(&world.admin.kms, &key, hold).await?;
        undo.push(Part::Key { key, id, on_cancel });
        notes.push(note);
    }
    Ok(notes.join("; "))
}

/// Add `rule` to path `target`'s transport, noted in `undo`.
fn add_rule(world: &World, target: usize, rule: Rule, undo: &mut Undo) {
    let id = world.targets[target].transport.add(rule);
    undo.push(Part::Rule { target, id });
}

/// Answer `fraction` of the targets' calls of `operations` with AWS's error `(code, message)`
/// at the transport; returns the note.
fn refuse(
    world: &World,
    targets: &[usize],
    service: Svc,
    operations: &[String],
    (code, message): (&str, &str),
    fraction: f64,
    undo: &mut Undo,
) -> String {
    for &t in targets {
        let effect = Effect::Error {
            code: code.into(),
            message: message.into(),
            fraction,
        };
        let rule = Rule {
            service,
            operations: operations.to_vec(),
            principal: None,
            effect,
        };
        add_rule(world, t, rule, undo);
    }
    format!(
        "{:.0}% of {service:?} {operations:?} answered {code}",
        fraction * 100.0
    )
}
