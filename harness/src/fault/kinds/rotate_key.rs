//! `rotate-key`: each path's key rotated on demand (RotateKeyOnDemand, as the admin role), on
//! any target: new material seals from then on and older data keys still decrypt, so nothing
//! is undone and nothing should become unreadable.

use super::{FaultError, World};

pub(super) async fn begin(world: &World, targets: &[usize]) -> Result<String, FaultError> {
    let keys = world.keys_of(targets)?;
    let mut notes = Vec::new();
    for k in &keys {
        if world.keys.is_deleted(k).await {
            notes.push(format!("{k} is deleted: not rotated"));
            continue;
        }
        world
            .admin
            .kms
            .rotate_on_demand(k)
            .await
            .map_err(|e| FaultError::Service(e.to_string()))?;
        notes.push(format!("rotated {k} (new key material)"));
    }
    Ok(notes.join("; "))
}
