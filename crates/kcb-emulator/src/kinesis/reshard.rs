//! Resharding as Kinesis does it: SplitShard, MergeShards and UpdateShardCount (uniform
//! scaling). The parent shards close (their records stay readable, a closed shard's last
//! GetRecords returns no next iterator and names its children), child shards open with the
//! parents' hash ranges, new records go to the children, and the stream is UPDATING for a while,
//! refusing another reshard until it is ACTIVE again. An encrypted stream keeps its key: the
//! children's records are sealed under the same KMS key.

use serde::Deserialize;
use serde_json::{json, Value};

use super::stream::Shard;
use super::Stream;
use crate::service::Ctx;
use crate::wire::{required, ApiError, OpResult};

/// Open shards a stream may have here (the account's shard quota on AWS is higher).
const MAX_OPEN_SHARDS: usize = 500;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReshardIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    shard_to_split: Option<String>,
    new_starting_hash_key: Option<String>,
    shard_to_merge: Option<String>,
    adjacent_shard_to_merge: Option<String>,
    target_shard_count: Option<i64>,
    scaling_type: Option<String>,
}

fn in_use(s: &Stream) -> ApiError {
    ApiError::new(
        "ResourceInUseException",
        format!(
            "Stream {} under account is not ACTIVE: it is {}",
            s.name,
            s.status()
        ),
    )
}

fn open_shard<'a>(s: &'a Stream, id: &str, account: &str) -> Result<&'a Shard, ApiError> {
    let shard = s.shards.iter().find(|sh| sh.id == id).ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!(
                "Could not find shard {id} in stream {} under account {account}.",
                s.name
            ),
        )
    })?;
    if shard.closed {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("Shard {id} in stream {} is closed.", s.name),
        ));
    }
    Ok(shard)
}

fn begin(
    ctx: &Ctx<'_>,
    input: &ReshardIn,
    op: &str,
) -> Result<std::sync::Arc<parking_lot::Mutex<Stream>>, ApiError> {
    ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        op,
    )
}

/// Close `parents` and open `children` (hash ranges, parent and adjacent parent), marking the
/// stream UPDATING.
fn reshape(
    s: &mut Stream,
    children: Vec<(u128, u128, String, Option<String>)>,
    parents: &[String],
    ctx: &Ctx<'_>,
) {
    for sh in s.shards.iter_mut().filter(|sh| parents.contains(&sh.id)) {
        sh.close();
    }
    let limits = ctx.svc.shard_limits();
    for (start, end, parent, adjacent) in children {
        let index = s.shards.len();
        let mut child = Shard::new(index, start, end, limits);
        child.parent = Some(parent);
        child.adjacent_parent = adjacent;
        s.shards.push(child);
    }
    s.resharding_until = Some(ctx.now + ctx.svc.encryption_update_delay());
    s.refresh(ctx.now);
}

/// SplitShard: one open shard into two at `NewStartingHashKey`.
pub(super) fn split(input: &ReshardIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = begin(ctx, input, "SplitShard")?;
    let id = required(input.shard_to_split.clone(), "shardToSplit")?;
    let at = required(input.new_starting_hash_key.clone(), "newStartingHashKey")?;
    let at: u128 = at.parse().map_err(|_| {
        ApiError::validation(format!(
            "NewStartingHashKey {at} is not a decimal number between 0 and 2^128 - 1"
        ))
    })?;
    let mut s = stream.lock();
    s.refresh(ctx.now);
    if s.status() != "ACTIVE" {
        return Err(in_use(&s));
    }
    if s.open_shards() + 1 > MAX_OPEN_SHARDS {
        return Err(ApiError::new(
            "LimitExceededException",
            format!("a stream has at most {MAX_OPEN_SHARDS} open shards here"),
        ));
    }
    let shard = open_shard(&s, &id, ctx.svc.account())?;
    let (lo, hi) = (shard.start_hash, shard.end_hash);
    if at <= lo || at > hi {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!(
                "NewStartingHashKey {at} is not within shard {id}'s range ({}, {hi}]",
                lo
            ),
        ));
    }
    let children = vec![(lo, at - 1, id.clone(), None), (at, hi, id.clone(), None)];
    reshape(&mut s, children, &[id], ctx);
    Ok(json!({}))
}

/// MergeShards: two adjacent open shards into one.
pub(super) fn merge(input: &ReshardIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = begin(ctx, input, "MergeShards")?;
    let a = required(input.shard_to_merge.clone(), "shardToMerge")?;
    let b = required(
        input.adjacent_shard_to_merge.clone(),
        "adjacentShardToMerge",
    )?;
    let mut s = stream.lock();
    s.refresh(ctx.now);
    if s.status() != "ACTIVE" {
        return Err(in_use(&s));
    }
    let account = ctx.svc.account().to_owned();
    let (sa, sb) = (open_shard(&s, &a, &account)?, open_shard(&s, &b, &account)?);
    let (lo, hi) = if sa.end_hash.checked_add(1) == Some(sb.start_hash) {
        (sa.start_hash, sb.end_hash)
    } else if sb.end_hash.checked_add(1) == Some(sa.start_hash) {
        (sb.start_hash, sa.end_hash)
    } else {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("Shards {a} and {b} in stream {} are not adjacent.", s.name),
        ));
    };
    reshape(
        &mut s,
        vec![(lo, hi, a.clone(), Some(b.clone()))],
        &[a, b],
        ctx,
    );
    Ok(json!({}))
}

/// UpdateShardCount with UNIFORM_SCALING: every open shard closes and `TargetShardCount` new
/// ones split the hash space evenly; each new shard's parents are the old shards its range
/// overlaps (the first two named, as ListShards can). As on AWS, the target is at most double
/// and at least half the open count.
pub(super) fn update_count(input: &ReshardIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = begin(ctx, input, "UpdateShardCount")?;
    let target = required(input.target_shard_count, "targetShardCount")?;
    match input.scaling_type.as_deref() {
        Some("UNIFORM_SCALING") => {}
        other => {
            return Err(ApiError::validation(format!(
                "ScalingType {other:?} must be UNIFORM_SCALING"
            )))
        }
    }
    let mut s = stream.lock();
    s.refresh(ctx.now);
    if s.status() != "ACTIVE" {
        return Err(in_use(&s));
    }
    let open: Vec<(String, u128, u128)> = s
        .shards
        .iter()
        .filter(|sh| !sh.closed)
        .map(|sh| (sh.id.clone(), sh.start_hash, sh.end_hash))
        .collect();
    let n = open.len() as i64;
    if target < 1 || target > 2 * n || 2 * target < n || target as usize > MAX_OPEN_SHARDS {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("TargetShardCount {target} must be between half ({}) and double ({}) the {n} open shards", (n + 1) / 2, 2 * n),
        ));
    }
    let width = u128::MAX / target as u128;
    let children = (0..target as u128)
        .map(|i| {
            let start = i * width;
            let end = if i == target as u128 - 1 {
                u128::MAX
            } else {
                (i + 1) * width - 1
            };
            let mut over = open
                .iter()
                .filter(|(_, lo, hi)| *lo <= end && start <= *hi)
                .map(|(id, _, _)| id.clone());
            let parent = over.next().unwrap_or_default();
            (start, end, parent, over.next())
        })
        .collect();
    let parents: Vec<String> = open.into_iter().map(|(id, _, _)| id).collect();
    reshape(&mut s, children, &parents, ctx);
    Ok(
        json!({ "StreamName": s.name, "StreamARN": s.arn, "CurrentShardCount": n, "TargetShardCount": target }),
    )
}

/// The children of a closed shard, as GetRecords names them at its end.
pub fn child_shards(s: &Stream, parent: &str) -> Vec<Value> {
    s.shards
        .iter()
        .filter(|c| {
            c.parent.as_deref() == Some(parent) || c.adjacent_parent.as_deref() == Some(parent)
        })
        .map(|c| {
            let parents: Vec<&String> = c.parent.iter().chain(c.adjacent_parent.iter()).collect();
            json!({
                "ShardId": c.id,
                "ParentShards": parents,
                "HashKeyRange": { "StartingHashKey": c.start_hash.to_string(), "EndingHashKey": c.end_hash.to_string() },
            })
        })
        .collect()
}
