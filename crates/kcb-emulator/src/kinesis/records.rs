//! The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{json, Value};

use super::iterator::Position;
use super::stream::{hash_key, parse_sequence, shard_for, Body};
use super::{sse, Encryption, Stream};
use crate::service::Ctx;
use crate::wire::{
    self, blob, check_len, encode_blob, epoch_seconds, required, ApiError, OpResult,
};

/// Largest record: partition key + data (developer guide, limits).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Most records in one PutRecords call.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Largest PutRecords request: the sum of data and partition keys.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
/// Largest GetRecords answer.
const MAX_GET_BYTES: usize = 10 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    data: Option<String>,
    partition_key: Option<String>,
    explicit_hash_key: Option<String>,
    #[allow(dead_code)]
    sequence_number_for_ordering: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    data: Option<String>,
    partition_key: Option<String>,
    explicit_hash_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutManyIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    records: Option<Vec<Entry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IteratorIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    starting_sequence_number: Option<String>,
    timestamp: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetIn {
    shard_iterator: Option<String>,
    limit: Option<i64>,
    #[serde(rename = "StreamARN")]
    #[allow(dead_code)]
    stream_arn: Option<String>,
}

/// A record to write, validated.
struct Incoming {
    data: Bytes,
    partition_key: String,
    hash: u128,
}

fn incoming(
    data: Option<String>,
    pk: Option<String>,
    ehk: Option<String>,
) -> Result<Incoming, ApiError> {
    let pk = required(pk, "partitionKey")?;
    check_len(&pk, "partitionKey", 1, 256)?;
    let data = blob(&required(data, "data")?, "Data")?;
    if data.len() > MAX_RECORD_BYTES {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less than or equal to {MAX_RECORD_BYTES}"
        )));
    }
    if data.len() + pk.len() > MAX_RECORD_BYTES {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!(
                "Record size {} (data plus partition key) exceeds {MAX_RECORD_BYTES} bytes",
                data.len() + pk.len()
            ),
        ));
    }
    let hash = match ehk {
        Some(h) => h.parse::<u128>().map_err(|_| {
            ApiError::new(
                "InvalidArgumentException",
                format!("ExplicitHashKey {h} is not a 128-bit decimal"),
            )
        })?,
        None => hash_key(&pk),
    };
    Ok(Incoming {
        data: Bytes::from(data),
        partition_key: pk,
        hash,
    })
}

/// Encryption in force after applying any change whose time has come.
fn encryption_now(stream: &Arc<Mutex<Stream>>, now: Duration) -> (Encryption, String) {
    let mut s = stream.lock();
    s.refresh(now);
    (s.encryption.clone(), s.arn.clone())
}

fn bodies(
    ctx: &Ctx<'_>,
    stream: &Arc<Mutex<Stream>>,
    data: &[Bytes],
) -> Result<(Vec<Body>, &'static str), ApiError> {
    let (enc, arn) = encryption_now(stream, ctx.now);
    match enc {
        Encryption::None => Ok((data.iter().cloned().map(Body::Plain).collect(), "NONE")),
        Encryption::Kms { key_arn, .. } => Ok((
            sse::seal(ctx.svc, &arn, &key_arn, ctx.principal, data, ctx.now)?,
            "KMS",
        )),
    }
}

fn throttled(shard_id: &str, stream: &Stream, account: &str) -> ApiError {
    ApiError::new(
        "ProvisionedThroughputExceededException",
        format!(
            "Rate exceeded for shard {shard_id} in stream {} under account {account}.",
            stream.name
        ),
    )
}

/// PutRecord.
pub fn put_record(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: PutIn = wire::parse(body)?;
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "PutRecord",
    )?;
    let rec = incoming(input.data, input.partition_key, input.explicit_hash_key)?;
    let (mut bodies, enc) = bodies(ctx, &stream, std::slice::from_ref(&rec.data))?;
    let body = bodies.pop().ok_or_else(|| ApiError::internal("no body"))?;
    let mut s = stream.lock();
    let i = shard_for(&s.shards, rec.hash);
    let size = rec.data.len() + rec.partition_key.len();
    if !s.shards[i].admit_write(size, ctx.now) {
        return Err(throttled(&s.shards[i].id.clone(), &s, ctx.svc.account()));
    }
    let seq = s.shards[i].append(rec.partition_key, rec.data.len(), body, ctx.now);
    s.expire(ctx.now);
    Ok(json!({ "ShardId": s.shards[i].id, "SequenceNumber": seq, "EncryptionType": enc }))
}

/// PutRecords: limits checked on the whole request; throughput per entry.
pub fn put_records(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: PutManyIn = wire::parse(body)?;
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "PutRecords",
    )?;
    let entries = required(input.records, "records")?;
    if entries.is_empty() || entries.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and {MAX_BATCH_RECORDS}"
        )));
    }
    let recs: Vec<Incoming> = entries
        .into_iter()
        .map(|e| incoming(e.data, e.partition_key, e.explicit_hash_key))
        .collect::<Result<_, _>>()?;
    let total: usize = recs
        .iter()
        .map(|r| r.data.len() + r.partition_key.len())
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("Records size {total} exceeds the {MAX_BATCH_BYTES}-byte limit of a PutRecords request"),
        ));
    }
    let data: Vec<Bytes> = recs.iter().map(|r| r.data.clone()).collect();
    let (bodies, enc) = bodies(ctx, &stream, &data)?;
    let mut s = stream.lock();
    let mut failed = 0;
    let mut results = Vec::with_capacity(recs.len());
    for (rec, body) in recs.into_iter().zip(bodies) {
        let i = shard_for(&s.shards, rec.hash);
        let size = rec.data.len() + rec.partition_key.len();
        if s.shards[i].admit_write(size, ctx.now) {
            let seq = s.shards[i].append(rec.partition_key, rec.data.len(), body, ctx.now);
            results.push(json!({ "SequenceNumber": seq, "ShardId": s.shards[i].id }));
        } else {
            failed += 1;
            let e = throttled(&s.shards[i].id.clone(), &s, ctx.svc.account());
            results.push(json!({ "ErrorCode": e.code, "ErrorMessage": e.message }));
        }
    }
    s.expire(ctx.now);
    Ok(json!({ "FailedRecordCount": failed, "Records": results, "EncryptionType": enc }))
}

/// GetShardIterator.
pub fn get_shard_iterator(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: IteratorIn = wire::parse(body)?;
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "GetShardIterator",
    )?;
    let shard_id = required(input.shard_id, "shardId")?;
    let kind = required(input.shard_iterator_type, "shardIteratorType")?;
    let s = stream.lock();
    let shard = s
        .shards
        .iter()
        .find(|sh| sh.id == shard_id)
        .ok_or_else(|| {
            ApiError::new(
                "ResourceNotFoundException",
                format!(
                    "Shard {shard_id} in stream {} under account {} does not exist",
                    s.name,
                    ctx.svc.account()
                ),
            )
        })?;
    let at_seq = |after: bool| -> Result<usize, ApiError> {
        let seq = required(
            input.starting_sequence_number.clone(),
            "startingSequenceNumber",
        )?;
        match parse_sequence(&seq) {
            Some((idx, n)) if idx == shard.index() => Ok(n + after as usize),
            _ => Err(ApiError::new("InvalidArgumentException", format!("StartingSequenceNumber {seq} used in GetShardIterator on shard {shard_id} in stream {} is invalid.", s.name))),
        }
    };
    let next = match kind.as_str() {
        "TRIM_HORIZON" => shard.start_position(),
        "LATEST" => shard.end_position(),
        "AT_SEQUENCE_NUMBER" => at_seq(false)?,
        "AFTER_SEQUENCE_NUMBER" => at_seq(true)?,
        "AT_TIMESTAMP" => {
            let ts = required(input.timestamp, "timestamp")?;
            let ts = Duration::try_from_secs_f64(ts.max(0.0)).unwrap_or(Duration::MAX);
            shard.position_at(ts)
        }
        other => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, LATEST]"
            )))
        }
    };
    let pos = Position {
        stream: s.name.clone(),
        epoch: s.epoch,
        shard: shard.index(),
        next,
        issued_ns: ctx.now.as_nanos() as u64,
    };
    Ok(json!({ "ShardIterator": pos.encode() }))
}

/// GetRecords: per-shard call and byte limits, SSE decryption on the consumer's behalf.
pub fn get_records(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: GetIn = wire::parse(body)?;
    let token = required(input.shard_iterator, "shardIterator")?;
    let limit = input.limit.unwrap_or(10_000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::validation("Limit must be between 1 and 10000"));
    }
    let pos = Position::decode(&token, ctx.now)?;
    let stream = ctx.stream(Some(&pos.stream), None, "GetRecords")?;
    let (records, arn, behind, start, children) = {
        let mut s = stream.lock();
        s.refresh(ctx.now);
        if s.epoch != pos.epoch {
            return Err(ApiError::new(
                "ResourceNotFoundException",
                format!("Stream {} was deleted and re-created", s.name),
            ));
        }
        let account = ctx.svc.account().to_string();
        let shard = s
            .shards
            .get_mut(pos.shard)
            .ok_or_else(|| ApiError::new("InvalidArgumentException", "Invalid ShardIterator."))?;
        if !shard.read_calls.try_take(1.0, ctx.now) || !shard.read_bytes.has_tokens(ctx.now) {
            let id = shard.id.clone();
            return Err(throttled(&id, &s, &account));
        }
        // A position trimmed away reads from the trim horizon, as past AWS's retention.
        let start = pos.next.clamp(shard.start_position(), shard.end_position());
        let mut bytes = 0usize;
        let mut taken = Vec::new();
        for r in shard.records_from(start).take(limit as usize) {
            if bytes + r.data_len > MAX_GET_BYTES && !taken.is_empty() {
                break;
            }
            bytes += r.data_len;
            taken.push(r.clone());
        }
        shard.read_bytes.take_with_debt(bytes as f64, ctx.now);
        let behind = match (taken.last(), shard.last_record()) {
            (Some(_), Some(tip)) if start + taken.len() < shard.end_position() => {
                ctx.now.saturating_sub(tip.arrival).as_millis() as u64
            }
            _ => 0,
        };
        // A closed shard read to its end: no next iterator, and its children named.
        let ended = shard.closed && start + taken.len() >= shard.end_position();
        let id = shard.id.clone();
        let children = ended.then(|| super::reshard::child_shards(&s, &id));
        (taken, s.arn.clone(), behind, start, children)
    };
    let data = sse::open(ctx.svc, &arn, ctx.principal, &records, ctx.now)?;
    let out: Vec<Value> = records
        .iter()
        .zip(&data)
        .map(|(r, d)| {
            json!({
                "SequenceNumber": r.sequence,
                "ApproximateArrivalTimestamp": epoch_seconds(r.arrival),
                "Data": encode_blob(d),
                "PartitionKey": r.partition_key,
                "EncryptionType": if matches!(r.body, Body::Sealed { .. }) { "KMS" } else { "NONE" },
            })
        })
        .collect();
    let next = Position {
        next: start + records.len(),
        issued_ns: ctx.now.as_nanos() as u64,
        ..pos
    };
    if let Some(children) = children {
        return Ok(
            json!({ "Records": out, "MillisBehindLatest": behind, "ChildShards": children }),
        );
    }
    Ok(json!({ "Records": out, "NextShardIterator": next.encode(), "MillisBehindLatest": behind }))
}
