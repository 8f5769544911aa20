//! PutRecord and PutRecordBatch: AWS's limits, and the data key a customer-managed key gives
//! each reuse window.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::ops::{arn_of, encryption_status, stream_status};
use super::{DeliveryStream, KeyType, Source, WindowKey, FIREHOSE_PRINCIPAL};
use crate::kms::{Caller, KmsFailure};
use crate::service::Ctx;
use crate::wire::{self, blob, required, ApiError, OpResult};

/// Largest record, before base64 (1,000 KiB).
pub const MAX_RECORD_BYTES: usize = 1_024_000;
/// Records a PutRecordBatch carries at most.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Bytes a PutRecordBatch carries at most (4 MiB).
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct PutIn {
    delivery_stream_name: Option<String>,
    record: Option<RecordIn>,
    records: Option<Vec<RecordIn>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RecordIn {
    data: Option<String>,
}

fn record_id() -> String {
    format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    )
}

/// The delivery stream `input` names, with `firehose:<op>` on it authorized.
fn target(input: &PutIn, op: &str, ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let name = required(input.delivery_stream_name.clone(), "deliveryStreamName")?;
    super::ops::check_name(&name)?;
    ctx.authorize(&format!("firehose:{op}"), &arn_of(ctx.svc, &name))?;
    Ok(name)
}

fn data_of(r: &RecordIn, member: &str) -> Result<Vec<u8>, ApiError> {
    let data = blob(&required(r.data.clone(), member)?, member)?;
    if data.len() > MAX_RECORD_BYTES {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {MAX_RECORD_BYTES}"
        )));
    }
    Ok(data)
}

fn slow_down() -> ApiError {
    ApiError::new("ServiceUnavailableException", "Slow down.").with_status(400)
}

/// Take `sizes` (bytes of each record) into `ds`: whether they are encrypted at rest, and which
/// entries the throughput quotas let in (the call itself is refused past the request quota).
fn accept(
    ds: &mut DeliveryStream,
    datas: Vec<Vec<u8>>,
    ctx: &Ctx<'_>,
) -> Result<(bool, Vec<bool>), ApiError> {
    let sizes: Vec<usize> = datas.iter().map(Vec::len).collect();
    if let Source::KinesisStream { .. } = ds.source {
        return Err(ApiError::new(
            "InvalidArgumentException",
            "This operation is not permitted on KinesisStreamAsSource DeliveryStream type.",
        ));
    }
    let status = stream_status(ctx.svc, ds, ctx.now);
    if status != "ACTIVE" {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!("Firehose {} is {status}, not ACTIVE", ds.name),
        ));
    }
    let (encryption, failure) = encryption_status(ctx.svc, ds, ctx.now);
    if let Some((kind, details)) = failure {
        return Err(ApiError::new(
            "InvalidKMSResourceException",
            format!("{kind}: {details}"),
        ));
    }
    if !ds.quota.requests.try_take(1.0, ctx.now) {
        return Err(slow_down());
    }
    let encrypted = encryption == "ENABLED";
    if encrypted {
        if let Some(KeyType::CustomerManaged(key_arn)) = ds.encryption.key.clone() {
            window_key(ds, &key_arn, ctx)?;
        }
    }
    let admitted: Vec<bool> = sizes
        .iter()
        .map(|&n| {
            ds.quota.bytes.try_take(n as f64, ctx.now) && ds.quota.records.try_take(1.0, ctx.now)
        })
        .collect();
    for (data, _) in datas.into_iter().zip(&admitted).filter(|(_, &ok)| ok) {
        ds.received.records += 1;
        ds.received.bytes += data.len() as u64;
        if encrypted {
            ds.received.encrypted += 1;
        }
        super::delivery::buffer(ctx.svc, ds, data.into(), encrypted, ctx.now);
    }
    Ok((encrypted, admitted))
}

/// The data key of the delivery stream's reuse window: a GenerateDataKey under its
/// customer-managed key, as Firehose through its grant, when the window has none or it expired.
fn window_key(ds: &mut DeliveryStream, key_arn: &str, ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let reuse = ctx.svc.sse_reuse_period(&ds.arn);
    let fresh = ds
        .window_key
        .as_ref()
        .is_some_and(|k| ctx.now.saturating_sub(k.created) < reuse && k.key_arn == key_arn);
    if fresh {
        return Ok(());
    }
    // Only the grant authorizes Firehose (it has no IAM policy in the account).
    let no_policy = |_: &str, _: &str| crate::iam::Decision::ImplicitDeny;
    let context = BTreeMap::from([("aws:firehose:arn".to_string(), ds.arn.clone())]);
    let caller = Caller {
        principal: FIREHOSE_PRINCIPAL,
        via_stream: Some(&ds.arn),
    };
    let generated = ctx
        .svc
        .kms
        .lock()
        .generate_data_key(key_arn, 32, &context, caller, &no_policy, ctx.now)
        .map_err(|e| match e {
            KmsFailure::Throttled => ApiError::new(
                "ServiceUnavailableException",
                "Slow down: KMS throttled the delivery stream's data-key request",
            ),
            other => ApiError::new("InvalidKMSResourceException", other.direct().message),
        })?;
    ds.window_key = Some(WindowKey {
        created: ctx.now,
        key_arn: generated.key_arn,
        plaintext: generated.plaintext,
    });
    Ok(())
}

/// PutRecord.
pub fn put_record(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: PutIn = wire::parse(body)?;
    let name = target(&input, "PutRecord", ctx)?;
    let record = required(input.record.as_ref(), "record")?;
    let data = data_of(record, "record.data")?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| super::ops::not_found(ctx.svc, &name))?;
    let (encrypted, admitted) = accept(ds, vec![data], ctx)?;
    if admitted != [true] {
        return Err(slow_down());
    }
    Ok(json!({ "RecordId": record_id(), "Encrypted": encrypted }))
}

/// PutRecordBatch: each entry accepted, or failed with `ServiceUnavailableException` past the
/// stream's record or byte quota (`FailedPutCount` says how many).
pub fn put_record_batch(body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: PutIn = wire::parse(body)?;
    let name = target(&input, "PutRecordBatch", ctx)?;
    let records = required(input.records.as_ref(), "records")?;
    if records.is_empty() || records.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and {MAX_BATCH_RECORDS}"
        )));
    }
    let datas = records
        .iter()
        .map(|r| data_of(r, "records.member.data"))
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = datas.iter().map(Vec::len).sum();
    if total > MAX_BATCH_BYTES {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("The batch carries {total} bytes: at most {MAX_BATCH_BYTES} a PutRecordBatch"),
        ));
    }
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| super::ops::not_found(ctx.svc, &name))?;
    let (encrypted, admitted) = accept(ds, datas, ctx)?;
    let failed = admitted.iter().filter(|ok| !**ok).count();
    let responses: Vec<Value> = admitted
        .iter()
        .map(|&ok| {
            if ok {
                json!({ "RecordId": record_id() })
            } else {
                json!({ "ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down." })
            }
        })
        .collect();
    Ok(json!({
        "FailedPutCount": failed,
        "Encrypted": encrypted,
        "RequestResponses": responses,
    }))
}
