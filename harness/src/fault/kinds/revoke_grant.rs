//! `revoke-grant`: Firehose's KMS grant on each path's customer-managed key revoked
//! (ListGrants, RevokeGrant as the admin). The delivery stream's encryption goes
//! ENABLING_FAILED with KMS_ACCESS_DENIED, PutRecord(Batch) answers
//! InvalidKMSResourceException, and what it had buffered under the key waits. The end does
//! what an operator would: StartDeliveryStreamEncryption again with the same key, which takes a
//! new grant, and the buffered records are delivered late.

use super::{FaultError, Part, Undo, World};
use crate::backend::FirehoseKey;

/// Firehose's principal, as KMS names the grantee.
const GRANTEE: &str = "firehose.amazonaws.com";

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let mut notes = Vec::new();
    for &t in targets {
        let tg = &world.targets[t];
        let key = tg
            .key
            .clone()
            .ok_or_else(|| FaultError::Service(format!("path {} has no key", tg.name)))?;
        let grants = world
            .admin
            .kms
            .list_grants(&key)
            .await
            .map_err(|e| FaultError::Service(e.to_string()))?;
        let firehose: Vec<String> = grants
            .into_iter()
            .filter(|(_, grantee, _)| grantee == GRANTEE)
            .map(|(id, _, _)| id)
            .collect();
        if firehose.is_empty() {
            notes.push(format!("{}: no Firehose grant on {key}", tg.name));
            continue;
        }
        for id in &firehose {
            world
                .admin
                .kms
                .revoke_grant(&key, id)
                .await
                .map_err(|e| FaultError::Service(e.to_string()))?;
        }
        undo.push(Part::Regrant {
            delivery_stream: tg.stream.clone(),
            key: key.clone(),
        });
        notes.push(format!(
            "{}: Firehose's grant {} on {key} revoked",
            tg.name,
            firehose.join(", ")
        ));
    }
    Ok(notes.join("; "))
}

/// The end: encryption started again with the same key (a new grant).
pub(crate) async fn regrant(
    world: &World,
    delivery_stream: &str,
    key: &str,
) -> Result<String, FaultError> {
    world
        .admin
        .firehose
        .start_encryption(
            delivery_stream,
            &FirehoseKey::CustomerManaged(key.to_owned()),
        )
        .await
        .map_err(|e| FaultError::Service(e.to_string()))?;
    Ok(format!(
        "StartDeliveryStreamEncryption on {delivery_stream} with {key}: a new grant"
    ))
}
