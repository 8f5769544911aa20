//! The control plane: streams, shards and stream encryption; and the dispatcher for
//! `Kinesis_20131202.*`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::stream::{make_shards, Shard};
use super::tags;
use super::{records, Encryption, Stream, StreamMode};
use crate::service::Ctx;
use crate::wire::{self, check_len, epoch_seconds, required, ApiError, OpResult};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct StreamIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    shard_count: Option<i64>,
    stream_mode_details: Option<ModeIn>,
    encryption_type: Option<String>,
    key_id: Option<String>,
    enforce_consumer_deletion: Option<bool>,
    limit: Option<i64>,
    max_results: Option<i64>,
    exclusive_start_stream_name: Option<String>,
    #[allow(dead_code)]
    exclusive_start_shard_id: Option<String>,
    #[allow(dead_code)]
    next_token: Option<String>,
    tags: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ModeIn {
    stream_mode: Option<String>,
}

/// Handle one `Kinesis_20131202.<op>` request.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    match op {
        "PutRecord" => records::put_record(body, ctx),
        "PutRecords" => records::put_records(body, ctx),
        "GetShardIterator" => records::get_shard_iterator(body, ctx),
        "GetRecords" => records::get_records(body, ctx),
        "CreateStream" => create_stream(&wire::parse(body)?, ctx),
        "DeleteStream" => delete_stream(&wire::parse(body)?, ctx),
        "DescribeStream" => describe_stream(&wire::parse(body)?, ctx),
        "DescribeStreamSummary" => describe_summary(&wire::parse(body)?, ctx),
        "ListStreams" => list_streams(&wire::parse(body)?, ctx),
        "ListShards" => list_shards(&wire::parse(body)?, ctx),
        "StartStreamEncryption" => set_encryption(true, &wire::parse(body)?, ctx),
        "StopStreamEncryption" => set_encryption(false, &wire::parse(body)?, ctx),
        "AddTagsToStream" => tags::add(&wire::parse(body)?, ctx),
        "RemoveTagsFromStream" => tags::remove(&wire::parse(body)?, ctx),
        "ListTagsForStream" => tags::list(&wire::parse(body)?, ctx),
        "SplitShard" => super::reshard::split(&wire::parse(body)?, ctx),
        "MergeShards" => super::reshard::merge(&wire::parse(body)?, ctx),
        "UpdateShardCount" => super::reshard::update_count(&wire::parse(body)?, ctx),
        "RegisterStreamConsumer"
        | "DescribeStreamConsumer"
        | "ListStreamConsumers"
        | "DeregisterStreamConsumer" => super::consumers::handle(op, body, ctx),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Kinesis_20131202.{op}"),
        )),
    }
}

/// A stream's or consumer's name as Kinesis takes it: 1 to 128 of `[a-zA-Z0-9_.-]`; `member`
/// names the field in the ValidationException.
pub(super) fn check_name(name: &str, member: &str) -> Result<(), ApiError> {
    check_len(name, member, 1, 128)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

fn create_stream(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = required(input.stream_name.clone(), "streamName")?;
    check_name(&name, "streamName")?;
    let arn = ctx.svc.stream_arn(&name);
    ctx.authorize("kinesis:CreateStream", &arn)?;
    let mode = match input
        .stream_mode_details
        .as_ref()
        .and_then(|m| m.stream_mode.as_deref())
    {
        None | Some("PROVISIONED") => StreamMode::Provisioned,
        Some("ON_DEMAND") => StreamMode::OnDemand,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "StreamMode '{other}' is not PROVISIONED or ON_DEMAND"
            )))
        }
    };
    let shards = match (mode, input.shard_count) {
        (StreamMode::OnDemand, None) => 4,
        (StreamMode::OnDemand, Some(_)) => {
            return Err(ApiError::new(
                "InvalidArgumentException",
                "ShardCount is not accepted for ON_DEMAND streams",
            ))
        }
        (StreamMode::Provisioned, Some(n)) if (1..=500).contains(&n) => n as usize,
        (StreamMode::Provisioned, Some(n)) => {
            return Err(ApiError::new(
                "InvalidArgumentException",
                format!("ShardCount {n} must be between 1 and 500 here"),
            ))
        }
        (StreamMode::Provisioned, None) => {
            return Err(ApiError::new(
                "InvalidArgumentException",
                "ShardCount is required for PROVISIONED streams",
            ))
        }
    };
    let tags = input.tags.clone().unwrap_or_default();
    if !tags.is_empty() {
        ctx.authorize("kinesis:AddTagsToStream", &arn)?;
    }
    let mut tagged = std::collections::BTreeMap::new();
    tags::merge(&name, &mut tagged, &tags)?;
    let stream = Stream {
        name: name.clone(),
        arn,
        created: ctx.now,
        mode,
        shards: make_shards(shards, ctx.svc.shard_limits()),
        retention: Duration::from_secs(24 * 3600),
        encryption: Encryption::None,
        pending: None,
        epoch: 0,
        tags: tagged,
        resharding_until: None,
        consumers: Vec::new(),
    };
    if !ctx.svc.streams.insert(stream) {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!(
                "Stream {name} under account {} already exists.",
                ctx.svc.account()
            ),
        ));
    }
    Ok(json!({}))
}

fn delete_stream(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "DeleteStream",
    )?;
    let (name, arn) = {
        let mut s = stream.lock();
        s.refresh(ctx.now);
        if !s.consumers.is_empty() && input.enforce_consumer_deletion != Some(true) {
            return Err(ApiError::new(
                "ResourceInUseException",
                format!(
                    "Stream {} has {} registered consumer(s): deregister them, or delete it with EnforceConsumerDeletion",
                    s.name,
                    s.consumers.len()
                ),
            ));
        }
        (s.name.clone(), s.arn.clone())
    };
    ctx.svc.streams.remove(&name);
    ctx.svc.sse.forget(&arn);
    Ok(json!({}))
}

fn shard_json(shard: &Shard) -> Value {
    let mut range = json!({ "StartingSequenceNumber": shard.starting_sequence() });
    if let Some(end) = shard.ending_sequence() {
        range["EndingSequenceNumber"] = json!(end);
    }
    let mut j = json!({
        "ShardId": shard.id,
        "HashKeyRange": { "StartingHashKey": shard.start_hash.to_string(), "EndingHashKey": shard.end_hash.to_string() },
        "SequenceNumberRange": range,
    });
    if let Some(p) = &shard.parent {
        j["ParentShardId"] = json!(p);
    }
    if let Some(p) = &shard.adjacent_parent {
        j["AdjacentParentShardId"] = json!(p);
    }
    j
}

fn encryption_fields(s: &Stream) -> (String, Option<String>) {
    match &s.encryption {
        Encryption::None => ("NONE".into(), None),
        Encryption::Kms { key_id, .. } => ("KMS".into(), Some(key_id.clone())),
    }
}

fn describe_stream(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "DescribeStream",
    )?;
    let mut s = stream.lock();
    s.refresh(ctx.now);
    let (enc, key) = encryption_fields(&s);
    let limit = input.limit.unwrap_or(100).clamp(1, 10_000) as usize;
    let shards: Vec<Value> = s.shards.iter().take(limit).map(shard_json).collect();
    let mut d = json!({
        "StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status(),
        "StreamModeDetails": { "StreamMode": s.mode.name() },
        "Shards": shards, "HasMoreShards": s.shards.len() > limit,
        "RetentionPeriodHours": s.retention_hours(),
        "StreamCreationTimestamp": epoch_seconds(s.created),
        "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
        "EncryptionType": enc,
    });
    if let Some(k) = key {
        d["KeyId"] = json!(k);
    }
    Ok(json!({ "StreamDescription": d }))
}

fn describe_summary(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "DescribeStreamSummary",
    )?;
    let mut s = stream.lock();
    s.refresh(ctx.now);
    let (enc, key) = encryption_fields(&s);
    let mut d = json!({
        "StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status(),
        "StreamModeDetails": { "StreamMode": s.mode.name() },
        "RetentionPeriodHours": s.retention_hours(),
        "StreamCreationTimestamp": epoch_seconds(s.created),
        "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
        "EncryptionType": enc, "OpenShardCount": s.open_shards(),
        "ConsumerCount": s.consumers.iter().filter(|c| c.gone_at.is_none()).count(),
    });
    if let Some(k) = key {
        d["KeyId"] = json!(k);
    }
    Ok(json!({ "StreamDescriptionSummary": d }))
}

fn list_streams(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    ctx.authorize("kinesis:ListStreams", "*")?;
    let limit = input.limit.unwrap_or(100).clamp(1, 10_000) as usize;
    let names: Vec<String> = ctx
        .svc
        .streams
        .names()
        .into_iter()
        .filter(|n| {
            input
                .exclusive_start_stream_name
                .as_ref()
                .is_none_or(|start| n > start)
        })
        .collect();
    let page: Vec<&String> = names.iter().take(limit).collect();
    let summaries: Vec<Value> = page
        .iter()
        .filter_map(|n| ctx.svc.streams.get(n))
        .map(|st| {
            let s = st.lock();
            json!({"StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status(),
                   "StreamModeDetails": {"StreamMode": s.mode.name()}, "StreamCreationTimestamp": epoch_seconds(s.created)})
        })
        .collect();
    Ok(
        json!({ "StreamNames": page, "HasMoreStreams": names.len() > limit, "StreamSummaries": summaries }),
    )
}

fn list_shards(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "ListShards",
    )?;
    let s = stream.lock();
    let max = input.max_results.unwrap_or(1000).clamp(1, 10_000) as usize;
    let shards: Vec<Value> = s.shards.iter().take(max).map(shard_json).collect();
    Ok(json!({ "Shards": shards }))
}

fn set_encryption(start: bool, input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let op = if start {
        "StartStreamEncryption"
    } else {
        "StopStreamEncryption"
    };
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        op,
    )?;
    let kind = required(input.encryption_type.clone(), "encryptionType")?;
    if kind != "KMS" {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("EncryptionType '{kind}' is not KMS"),
        ));
    }
    let key_id = required(input.key_id.clone(), "keyId")?;
    let target = if start {
        let key_arn = ctx.svc.resolve_stream_key(&key_id, ctx.now)?;
        Encryption::Kms { key_id, key_arn }
    } else {
        Encryption::None
    };
    let mut s = stream.lock();
    s.refresh(ctx.now);
    if s.pending.is_some() {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!("Stream {} is UPDATING", s.name),
        ));
    }
    let delay: Duration = ctx.svc.encryption_update_delay();
    s.pending = Some((target, ctx.now + delay));
    s.refresh(ctx.now);
    Ok(json!({}))
}
