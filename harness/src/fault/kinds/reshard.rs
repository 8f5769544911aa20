//! `reshard`: an event, not undone. The resharder splits the open shard with the lowest id at
//! the middle of its hash range, merges the two adjacent open shards with the lowest hash keys,
//! or changes the open shard count (uniform scaling), on each path's stream. Producers go on
//! putting (new records go to the children); consumers follow the closed parents into their
//! children.

use super::{FaultError, World};
use crate::backend::ShardInfo;
use crate::scenario::ReshardAction;

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    action: ReshardAction,
) -> Result<String, FaultError> {
    let api = &world.resharder.kinesis;
    let mut notes = Vec::new();
    for &t in targets {
        let stream = &world.targets[t].stream;
        let mut open: Vec<ShardInfo> = api
            .shards(stream)
            .await?
            .into_iter()
            .filter(|s| s.open)
            .collect();
        open.sort_by_key(|s| s.start_hash);
        match action {
            ReshardAction::Split => {
                let Some(s) = open.iter().min_by(|a, b| a.id.cmp(&b.id)) else {
                    return Err(FaultError::Unsupported(format!(
                        "{stream} has no open shard"
                    )));
                };
                let mid = s.start_hash + (s.end_hash - s.start_hash) / 2 + 1;
                api.split_shard(stream, &s.id, mid).await?;
                notes.push(format!("{stream}: split {} at hash key {mid}", s.id));
            }
            ReshardAction::Merge => {
                let pair = open
                    .windows(2)
                    .find(|w| w[0].end_hash.checked_add(1) == Some(w[1].start_hash));
                let Some([a, b]) = pair else {
                    return Err(FaultError::Unsupported(format!(
                        "{stream} has no two adjacent open shards to merge"
                    )));
                };
                api.merge_shards(stream, &a.id, &b.id).await?;
                notes.push(format!("{stream}: merged {} and {}", a.id, b.id));
            }
            ReshardAction::UpdateShardCount { target_shards } => {
                api.update_shard_count(stream, target_shards as i32).await?;
                notes.push(format!(
                    "{stream}: {} open shards to {target_shards}",
                    open.len()
                ));
            }
        }
    }
    Ok(notes.join("; "))
}
