//! `delete-key`: each path's key deleted at once, as if its waiting period had passed
//! (crypto-shredding). Nothing undoes it: no part is noted, and no later key fault changes a
//! deleted key.

use super::{FaultError, World};

pub(super) async fn begin(world: &World, targets: &[usize]) -> Result<String, FaultError> {
    let keys = world.keys_of(targets)?;
    let svc = world.embedded("keys are deleted")?;
    let mut notes = Vec::new();
    for k in &keys {
        if world.keys.is_deleted(k).await {
            // An earlier delete-key of this run holds already: the key stays deleted.
            notes.push(format!("{k} already deleted"));
            continue;
        }
        svc.control()
            .delete_key_now(k)
            .map_err(|e| FaultError::Service(e.to_string()))?;
        world.keys.deleted(k).await;
        notes.push(format!("deleted {k} (waiting period over)"));
    }
    Ok(notes.join("; "))
}
