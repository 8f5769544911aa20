//! `schedule-key-deletion`: each path's key held pending deletion (ScheduleKeyDeletion with the
//! fault's waiting period) until `cancel_after` or the fault's end, then CancelKeyDeletion and
//! EnableKey (cancelling leaves a key Disabled), unless another key fault still holds it.

use super::{hold_keys, FaultError, KeyHold, Undo, World};

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    days: u32,
    cancelled_early: bool,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let hold = KeyHold::PendingDeletion { days };
    hold_keys(world, targets, hold, cancelled_early, undo).await
}
