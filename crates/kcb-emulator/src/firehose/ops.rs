//! The control plane of delivery streams, their encryption status, and the dispatcher for
//! `Firehose_20150804.*`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::delivery::S3Destination;
use super::{
    records, DeliveryStream, Encryption, KeyType, Quota, Received, Source, FIREHOSE_PRINCIPAL,
};
use crate::kms::grants::{new_id, Grant};
use crate::kms::{Caller, KmsFailure};
use crate::service::{Ctx, Inner};
use crate::wire::{self, check_len, epoch_seconds, required, ApiError, OpResult};

/// Delivery streams an account may have (AWS's default quota per region).
pub const MAX_DELIVERY_STREAMS: usize = 5_000;
/// Tags a delivery stream may carry.
const MAX_TAGS: usize = 50;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StreamIn {
    pub delivery_stream_name: Option<String>,
    delivery_stream_type: Option<String>,
    kinesis_stream_source_configuration: Option<KinesisSourceIn>,
    delivery_stream_encryption_configuration_input: Option<EncryptionIn>,
    extended_s3_destination_configuration: Option<S3DestinationIn>,
    s3_destination_configuration: Option<S3DestinationIn>,
    tags: Option<Vec<TagIn>>,
    tag_keys: Option<Vec<String>>,
    limit: Option<i64>,
    exclusive_start_delivery_stream_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct KinesisSourceIn {
    #[serde(rename = "KinesisStreamARN")]
    kinesis_stream_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct S3DestinationIn {
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    #[serde(rename = "BucketARN")]
    bucket_arn: Option<String>,
    prefix: Option<String>,
    buffering_hints: Option<HintsIn>,
    compression_format: Option<String>,
    encryption_configuration: Option<DestinationEncryptionIn>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct HintsIn {
    #[serde(rename = "SizeInMBs")]
    size_in_mbs: Option<i64>,
    interval_in_seconds: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct DestinationEncryptionIn {
    no_encryption_config: Option<String>,
    #[serde(rename = "KMSEncryptionConfig")]
    kms_encryption_config: Option<KmsConfigIn>,
}

#[derive(Deserialize, Default)]
struct KmsConfigIn {
    #[serde(rename = "AWSKMSKeyARN")]
    key_arn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct EncryptionIn {
    #[serde(rename = "KeyARN")]
    key_arn: Option<String>,
    key_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagIn {
    key: String,
    value: Option<String>,
}

/// Handle one `Firehose_20150804.<op>` request.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    match op {
        "PutRecord" => records::put_record(body, ctx),
        "PutRecordBatch" => records::put_record_batch(body, ctx),
        "CreateDeliveryStream" => create(&wire::parse(body)?, ctx),
        "DescribeDeliveryStream" => describe(&wire::parse(body)?, ctx),
        "ListDeliveryStreams" => list(&wire::parse(body)?, ctx),
        "DeleteDeliveryStream" => delete(&wire::parse(body)?, ctx),
        "StartDeliveryStreamEncryption" => start_encryption(&wire::parse(body)?, ctx),
        "StopDeliveryStreamEncryption" => stop_encryption(&wire::parse(body)?, ctx),
        "TagDeliveryStream" => tag(&wire::parse(body)?, ctx),
        "UntagDeliveryStream" => untag(&wire::parse(body)?, ctx),
        "ListTagsForDeliveryStream" => list_tags(&wire::parse(body)?, ctx),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Firehose operation {op} is not supported by the embedded service"),
        )),
    }
}

/// The ARN of delivery stream `name`.
pub fn arn_of(svc: &Inner, name: &str) -> String {
    format!(
        "arn:aws:firehose:{}:{}:deliverystream/{name}",
        svc.region(),
        svc.account()
    )
}

pub(super) fn not_found(svc: &Inner, name: &str) -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        format!("Firehose {name} under account {} not found.", svc.account()),
    )
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidArgumentException", message)
}

/// A checked delivery stream name (1 to 64 of `[a-zA-Z0-9_.-]`), with `firehose:<op>` on it
/// authorized.
pub(super) fn named(input: &StreamIn, op: &str, ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let name = required(input.delivery_stream_name.clone(), "deliveryStreamName")?;
    check_name(&name)?;
    ctx.authorize(&format!("firehose:{op}"), &arn_of(ctx.svc, &name))?;
    Ok(name)
}

pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    check_len(name, "deliveryStreamName", 1, 64)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

/// What is wrong with a customer-managed key for Firehose now, as AWS's failure type and
/// details; `None` when the key is usable and Firehose's grant on it stands.
pub(super) fn key_problem(
    svc: &Inner,
    key_arn: &str,
    grant: Option<&Result<String, String>>,
    now: Duration,
) -> Option<(&'static str, String)> {
    let mut kms = svc.kms.lock();
    let id = match kms.store.usable(key_arn, now) {
        Err(KmsFailure::NotFound(m)) => return Some(("KMS_KEY_NOT_FOUND", m)),
        Err(KmsFailure::Disabled(m)) => return Some(("DISABLED_KMS_KEY", m)),
        Err(KmsFailure::InvalidState(m)) => return Some(("INVALID_KMS_KEY", m)),
        Err(e) => return Some(("INVALID_KMS_KEY", e.direct().message)),
        Ok(id) => id,
    };
    match grant {
        None => Some(("CREATE_KMS_GRANT_FAILED", "no grant was taken".into())),
        Some(Err(why)) => Some(("CREATE_KMS_GRANT_FAILED", why.clone())),
        Some(Ok(grant_id)) if kms.grants.get(&id, grant_id).is_none() => Some((
            "KMS_ACCESS_DENIED",
            format!("Firehose's grant {grant_id} on {key_arn} was revoked or retired"),
        )),
        Some(Ok(_)) => None,
    }
}

/// Take Firehose's grant on `key_arn` for delivery stream `arn`, as the caller (who needs
/// `kms:CreateGrant`): the grant's id, or why it could not be made.
fn take_grant(ctx: &Ctx<'_>, key_arn: &str, arn: &str, name: &str) -> Result<String, String> {
    let auth = ctx.authorizer();
    let caller = Caller {
        principal: ctx.principal,
        via_stream: Some(arn),
    };
    let mut kms = ctx.svc.kms.lock();
    let id = kms
        .admit("CreateGrant", key_arn, caller, &auth, ctx.now)
        .map_err(|e| e.direct().message)?;
    kms.log_admitted("CreateGrant", &id, caller, ctx.now);
    kms.grants
        .create(Grant {
            id: new_id(),
            token: new_id(),
            key_id: id,
            grantee: FIREHOSE_PRINCIPAL.into(),
            retiring: Some(FIREHOSE_PRINCIPAL.into()),
            operations: vec!["GenerateDataKey".into(), "Decrypt".into()],
            name: Some(format!("firehose-{name}")),
            created: ctx.now,
            issuer: ctx.principal.to_string(),
        })
        .map(|(id, _)| id)
        .map_err(|e| e.message)
}

/// Retire the grant an encryption took, if any.
fn retire_grant(svc: &Inner, e: &Encryption) {
    if let Some(Ok(id)) = &e.grant {
        svc.kms.lock().grants.remove(id);
    }
}

/// The encryption a Start (or a CreateDeliveryStream with a key) sets: for a customer-managed
/// key, with the grant taken.
fn encryption_with(ctx: &Ctx<'_>, key: KeyType, arn: &str, name: &str) -> Encryption {
    let grant = match &key {
        KeyType::CustomerManaged(key_arn) => Some(take_grant(ctx, key_arn, arn, name)),
        KeyType::AwsOwned => None,
    };
    Encryption {
        key: Some(key),
        on: true,
        since: ctx.now,
        started_by: ctx.principal.to_string(),
        grant,
    }
}

/// A delivery stream's encryption status now, and the failure behind an ENABLING_FAILED.
pub(super) fn encryption_status(
    svc: &Inner,
    ds: &DeliveryStream,
    now: Duration,
) -> (&'static str, Option<(&'static str, String)>) {
    let e = &ds.encryption;
    let settled = now.saturating_sub(e.since) >= svc.encryption_update_delay();
    match (&e.key, e.on) {
        (None, _) => ("DISABLED", None),
        (Some(_), false) if settled => ("DISABLED", None),
        (Some(_), false) => ("DISABLING", None),
        (Some(KeyType::AwsOwned), true) if settled => ("ENABLED", None),
        (Some(KeyType::AwsOwned), true) => ("ENABLING", None),
        (Some(KeyType::CustomerManaged(arn)), true) => {
            match key_problem(svc, arn, e.grant.as_ref(), now) {
                Some(p) => ("ENABLING_FAILED", Some(p)),
                None if settled => ("ENABLED", None),
                None => ("ENABLING", None),
            }
        }
    }
}

/// A delivery stream's status: CREATING for the service's update delay, then ACTIVE.
pub(super) fn stream_status(svc: &Inner, ds: &DeliveryStream, now: Duration) -> &'static str {
    if now.saturating_sub(ds.created) < svc.encryption_update_delay() {
        "CREATING"
    } else {
        "ACTIVE"
    }
}

/// The key an encryption input names, checked as StartDeliveryStreamEncryption checks it:
/// a usable key of the account, its ARN returned.
fn key_of(input: &EncryptionIn, ctx: &Ctx<'_>) -> Result<KeyType, ApiError> {
    let key_type = input.key_type.as_deref().unwrap_or("AWS_OWNED_CMK");
    match (key_type, input.key_arn.as_deref()) {
        ("AWS_OWNED_CMK", None) => Ok(KeyType::AwsOwned),
        ("AWS_OWNED_CMK", Some(_)) => Err(invalid(
            "KeyARN must not be specified when KeyType is AWS_OWNED_CMK",
        )),
        ("CUSTOMER_MANAGED_CMK", None) => Err(invalid(
            "KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK",
        )),
        ("CUSTOMER_MANAGED_CMK", Some(arn)) => {
            if !arn.starts_with("arn:") {
                return Err(invalid(format!("KeyARN {arn} is not an ARN")));
            }
            let resolved = {
                let mut kms = ctx.svc.kms.lock();
                kms.store
                    .usable(arn, ctx.now)
                    .map(|id| kms.store.key(&id).map(|k| k.arn.clone()).unwrap_or_default())
            };
            let key_arn = resolved.map_err(|e| {
                let kind = match e {
                    KmsFailure::NotFound(_) => "NotFoundException",
                    KmsFailure::Disabled(_) => "DisabledException",
                    KmsFailure::InvalidState(_) => "KMSInvalidStateException",
                    _ => "InvalidKeyUsageException",
                };
                ApiError::new(
                    "InvalidKMSResourceException",
                    format!("{kind}: {}", e.direct().message),
                )
            })?;
            if !ctx.allowed("kms:DescribeKey", &key_arn) {
                return Err(ApiError::new(
                    "InvalidKMSResourceException",
                    format!(
                        "AccessDeniedException: {} is not authorized to perform kms:DescribeKey on {key_arn}",
                        ctx.principal
                    ),
                ));
            }
            Ok(KeyType::CustomerManaged(key_arn))
        }
        (other, _) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{other}' at 'deliveryStreamEncryptionConfigurationInput.keyType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_OWNED_CMK, CUSTOMER_MANAGED_CMK]"
        ))),
    }
}

/// An S3 destination as CreateDeliveryStream takes it, checked as AWS checks it (hints in
/// range, uncompressed only here).
fn destination_of(d: &S3DestinationIn) -> Result<S3Destination, ApiError> {
    let role_arn = required(d.role_arn.clone(), "s3DestinationConfiguration.roleARN")?;
    let bucket_arn = required(d.bucket_arn.clone(), "s3DestinationConfiguration.bucketARN")?;
    let bucket = bucket_arn
        .strip_prefix("arn:aws:s3:::")
        .filter(|b| !b.is_empty() && !b.contains('/'))
        .ok_or_else(|| invalid(format!("BucketARN {bucket_arn} is not an S3 bucket ARN")))?
        .to_string();
    let role = role_arn
        .rsplit_once('/')
        .map(|(_, r)| r.to_string())
        .filter(|_| role_arn.starts_with("arn:aws:iam::"))
        .ok_or_else(|| invalid(format!("RoleARN {role_arn} is not an IAM role ARN")))?;
    let hints = d.buffering_hints.as_ref();
    let size = hints.and_then(|h| h.size_in_mbs).unwrap_or(5);
    if !(1..=128).contains(&size) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{size}' at 'bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value between 1 and 128"
        )));
    }
    let interval = hints.and_then(|h| h.interval_in_seconds).unwrap_or(300);
    if !(0..=900).contains(&interval) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{interval}' at 'bufferingHints.intervalInSeconds' failed to satisfy constraint: Member must have value between 0 and 900"
        )));
    }
    match d.compression_format.as_deref() {
        None | Some("UNCOMPRESSED") => {}
        Some(other) => {
            return Err(invalid(format!(
                "CompressionFormat {other}: the embedded Firehose delivers UNCOMPRESSED only"
            )))
        }
    }
    let kms_key =
        match &d.encryption_configuration {
            Some(DestinationEncryptionIn {
                kms_encryption_config: Some(k),
                no_encryption_config: None,
            }) => Some(required(
                k.key_arn.clone(),
                "encryptionConfiguration.kMSEncryptionConfig.aWSKMSKeyARN",
            )?),
            Some(DestinationEncryptionIn {
                kms_encryption_config: Some(_),
                no_encryption_config: Some(_),
            }) => return Err(invalid(
                "EncryptionConfiguration takes NoEncryptionConfig or KMSEncryptionConfig, not both",
            )),
            _ => None,
        };
    Ok(S3Destination {
        bucket,
        role_arn,
        role,
        prefix: d.prefix.clone().unwrap_or_default(),
        size_bytes: size as u64 * 1024 * 1024,
        interval: Duration::from_secs(interval as u64),
        kms_key,
    })
}

/// DescribeDeliveryStream's description of an S3 destination.
fn describe_destination(d: &S3Destination) -> Value {
    let encryption = match &d.kms_key {
        Some(k) => json!({ "KMSEncryptionConfig": { "AWSKMSKeyARN": k } }),
        None => json!({ "NoEncryptionConfig": "NoEncryption" }),
    };
    let s3 = json!({
        "RoleARN": d.role_arn,
        "BucketARN": crate::s3::bucket_arn(&d.bucket),
        "Prefix": d.prefix,
        "BufferingHints": {
            "SizeInMBs": d.size_bytes / (1024 * 1024),
            "IntervalInSeconds": d.interval.as_secs(),
        },
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": encryption,
    });
    json!({
        "DestinationId": "destinationId-000000000001",
        "S3DestinationDescription": s3,
        "ExtendedS3DestinationDescription": s3,
    })
}

fn tags_of(tags: &[TagIn]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for t in tags {
        check_len(&t.key, "tags.member.key", 1, 128)?;
        let v = t.value.clone().unwrap_or_default();
        check_len(&v, "tags.member.value", 0, 256)?;
        out.insert(t.key.clone(), v);
    }
    Ok(out)
}

fn create(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "CreateDeliveryStream", ctx)?;
    let source = match input.delivery_stream_type.as_deref().unwrap_or("DirectPut") {
        "DirectPut" => {
            if input.kinesis_stream_source_configuration.is_some() {
                return Err(invalid(
                    "KinesisStreamSourceConfiguration is only for a KinesisStreamAsSource delivery stream",
                ));
            }
            Source::DirectPut
        }
        "KinesisStreamAsSource" => {
            let src = input.kinesis_stream_source_configuration.as_ref().ok_or_else(|| {
                invalid("KinesisStreamSourceConfiguration is required for KinesisStreamAsSource")
            })?;
            let stream_arn = required(src.kinesis_stream_arn.clone(), "kinesisStreamARN")?;
            let role_arn = required(src.role_arn.clone(), "roleARN")?;
            let stream = stream_arn
                .rsplit_once(":stream/")
                .map(|(_, n)| n.to_string())
                .ok_or_else(|| invalid(format!("{stream_arn} is not a Kinesis stream ARN")))?;
            if ctx.svc.streams.get(&stream).is_none() {
                return Err(invalid(format!(
                    "Kinesis stream {stream_arn} does not exist"
                )));
            }
            if input
                .delivery_stream_encryption_configuration_input
                .is_some()
            {
                return Err(invalid(
                    "Server-side encryption is not supported for a delivery stream whose source is a Kinesis stream: the stream's own encryption applies",
                ));
            }
            Source::KinesisStream {
                stream_arn,
                role_arn,
            }
        }
        other => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource]"
            )))
        }
    };
    let destination = match (
        &input.extended_s3_destination_configuration,
        &input.s3_destination_configuration,
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid("Only one destination configuration may be given"))
        }
        (Some(d), None) | (None, Some(d)) => Some(destination_of(d)?),
        (None, None) => None,
    };
    let tags = tags_of(input.tags.as_deref().unwrap_or_default())?;
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("at most {MAX_TAGS} tags")));
    }
    let key = match &input.delivery_stream_encryption_configuration_input {
        Some(e) => Some(key_of(e, ctx)?),
        None => None,
    };
    let arn = arn_of(ctx.svc, &name);
    let mut all = ctx.svc.firehose.by_name.lock();
    if all.contains_key(&name) {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!(
                "Firehose {name} under accountId {} already exists",
                ctx.svc.account()
            ),
        ));
    }
    if all.len() >= MAX_DELIVERY_STREAMS {
        return Err(ApiError::new(
            "LimitExceededException",
            format!("at most {MAX_DELIVERY_STREAMS} delivery streams"),
        ));
    }
    let encryption = match key {
        Some(k) => encryption_with(ctx, k, &arn, &name),
        None => Encryption {
            since: ctx.now,
            started_by: ctx.principal.to_string(),
            ..Encryption::default()
        },
    };
    all.insert(
        name.clone(),
        DeliveryStream {
            name,
            arn: arn.clone(),
            source,
            created: ctx.now,
            version: 1,
            encryption,
            tags,
            received: Received::default(),
            window_key: None,
            quota: Quota::for_region(ctx.svc.region()),
            destination,
            buffer: Default::default(),
            delivered: Default::default(),
            source_cursor: Default::default(),
        },
    );
    Ok(json!({ "DeliveryStreamARN": arn }))
}

fn describe(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "DescribeDeliveryStream", ctx)?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    super::delivery::deliver_due(ctx.svc, ds, ctx.now);
    let ds = &*ds;
    let (status, failure) = encryption_status(ctx.svc, ds, ctx.now);
    let mut enc = json!({ "Status": status });
    if let Some(key) = &ds.encryption.key {
        enc["KeyType"] = json!(key.name());
        if let KeyType::CustomerManaged(arn) = key {
            enc["KeyARN"] = json!(arn);
        }
    }
    if let Some((kind, details)) = failure {
        enc["FailureDescription"] = json!({ "Type": kind, "Details": details });
    }
    let mut d = json!({
        "DeliveryStreamName": ds.name,
        "DeliveryStreamARN": ds.arn,
        "DeliveryStreamStatus": stream_status(ctx.svc, ds, ctx.now),
        "DeliveryStreamType": ds.source.type_name(),
        "VersionId": ds.version.to_string(),
        "CreateTimestamp": epoch_seconds(ds.created),
        "DeliveryStreamEncryptionConfiguration": enc,
        "Destinations": ds.destination.iter().map(describe_destination).collect::<Vec<_>>(),
        "HasMoreDestinations": false,
    });
    if let Source::KinesisStream {
        stream_arn,
        role_arn,
    } = &ds.source
    {
        d["Source"] = json!({ "KinesisStreamSourceDescription": {
            "KinesisStreamARN": stream_arn,
            "RoleARN": role_arn,
            "DeliveryStartTimestamp": epoch_seconds(ds.created),
        }});
    }
    Ok(json!({ "DeliveryStreamDescription": d }))
}

fn list(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    ctx.authorize("firehose:ListDeliveryStreams", &arn_of(ctx.svc, "*"))?;
    let limit = input.limit.unwrap_or(10);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000"
        )));
    }
    let kind = input.delivery_stream_type.as_deref();
    let after = input.exclusive_start_delivery_stream_name.as_deref();
    let all = ctx.svc.firehose.by_name.lock();
    let names: Vec<&String> = all
        .values()
        .filter(|d| kind.is_none_or(|k| d.source.type_name() == k))
        .map(|d| &d.name)
        .filter(|n| after.is_none_or(|a| n.as_str() > a))
        .collect();
    let more = names.len() > limit as usize;
    let shown: Vec<&String> = names.into_iter().take(limit as usize).collect();
    Ok(json!({ "DeliveryStreamNames": shown, "HasMoreDeliveryStreams": more }))
}

fn delete(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "DeleteDeliveryStream", ctx)?;
    let gone = ctx
        .svc
        .firehose
        .by_name
        .lock()
        .remove(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    retire_grant(ctx.svc, &gone.encryption);
    Ok(json!({}))
}

/// A DirectPut stream's encryption status, refused while a change is still settling (Start and
/// Stop both need this).
fn settled_encryption(ds: &DeliveryStream, ctx: &Ctx<'_>) -> Result<&'static str, ApiError> {
    let name = &ds.name;
    if ds.source != Source::DirectPut {
        return Err(invalid(format!(
            "Firehose {name} reads a Kinesis stream: encryption at rest is the stream's own"
        )));
    }
    let (status, _) = encryption_status(ctx.svc, ds, ctx.now);
    if matches!(status, "ENABLING" | "DISABLING") {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!("Firehose {name} encryption is {status}: try again when it settles"),
        ));
    }
    Ok(status)
}

fn start_encryption(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "StartDeliveryStreamEncryption", ctx)?;
    let requested = input
        .delivery_stream_encryption_configuration_input
        .as_ref()
        .map_or(Ok(KeyType::AwsOwned), |e| key_of(e, ctx))?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    let status = settled_encryption(ds, ctx)?;
    let unchanged = ds.encryption.on && ds.encryption.key.as_ref() == Some(&requested);
    if !unchanged || status == "ENABLING_FAILED" {
        retire_grant(ctx.svc, &ds.encryption);
        let (arn, name) = (ds.arn.clone(), ds.name.clone());
        ds.encryption = encryption_with(ctx, requested, &arn, &name);
        ds.window_key = None;
        ds.version += 1;
    }
    Ok(json!({}))
}

fn stop_encryption(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "StopDeliveryStreamEncryption", ctx)?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    settled_encryption(ds, ctx)?;
    if ds.encryption.on {
        retire_grant(ctx.svc, &ds.encryption);
        ds.encryption.grant = None;
        ds.encryption.on = false;
        ds.encryption.since = ctx.now;
        ds.window_key = None;
        ds.version += 1;
    }
    Ok(json!({}))
}

fn tag(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "TagDeliveryStream", ctx)?;
    let tags = tags_of(required(input.tags.as_deref(), "tags")?)?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    let mut merged = ds.tags.clone();
    merged.extend(tags);
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            "LimitExceededException",
            format!(
                "Firehose {name} would have {} tags; at most {MAX_TAGS}",
                merged.len()
            ),
        ));
    }
    ds.tags = merged;
    Ok(json!({}))
}

fn untag(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "UntagDeliveryStream", ctx)?;
    let keys = required(input.tag_keys.as_deref(), "tagKeys")?;
    let mut all = ctx.svc.firehose.by_name.lock();
    let ds = all
        .get_mut(&name)
        .ok_or_else(|| not_found(ctx.svc, &name))?;
    for k in keys {
        ds.tags.remove(k);
    }
    Ok(json!({}))
}

fn list_tags(input: &StreamIn, ctx: &Ctx<'_>) -> OpResult {
    let name = named(input, "ListTagsForDeliveryStream", ctx)?;
    let all = ctx.svc.firehose.by_name.lock();
    let ds = all.get(&name).ok_or_else(|| not_found(ctx.svc, &name))?;
    let tags: Vec<Value> = ds
        .tags
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    Ok(json!({ "Tags": tags, "HasMoreTags": false }))
}
