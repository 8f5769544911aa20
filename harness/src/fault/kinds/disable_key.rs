//! `disable-key`: each path's key held Disabled for the fault's window (DisableKey, and
//! EnableKey when no other key fault still holds it).

use super::{hold_keys, FaultError, KeyHold, Undo, World};

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    undo: &mut Undo,
) -> Result<String, FaultError> {
    hold_keys(world, targets, KeyHold::Disabled, false, undo).await
}
