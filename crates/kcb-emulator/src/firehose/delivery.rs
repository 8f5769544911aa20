//! Delivery to an S3 destination: records buffer until the buffering hints' size or interval,
//! then go as one object (their bytes concatenated, as Firehose writes them uncompressed) under
//! `<prefix>YYYY/MM/DD/HH/<name>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>`, written as the delivery
//! role (its `s3:PutObject`, and with the destination's SSE-KMS its `kms:GenerateDataKey`).
//! A delivery that fails (the delivery stream's own key unusable, the role denied, the
//! destination's key disabled, the bucket gone) is retried every [`RETRY_EVERY`], as Firehose
//! does for S3, for one day of the service (`kms_day`: 24 h, shorter on a test's clock); past
//! that the buffer's records are dropped and counted.
//!
//! A delivery stream whose source is a Kinesis stream takes the stream's records as its
//! source role reads them (SSE records through the role's `kms:Decrypt`), each at its arrival.
//!
//! Deliveries happen when they fall due, computed from the service's clock whenever anything
//! looks (a put to the stream, a read of the bucket, [`run_due`]): an object's `LastModified`
//! is the instant its delivery was due, not the instant somebody looked.

use std::time::Duration;

use bytes::Bytes;

use super::ops::key_problem;
use super::{DeliveryStream, KeyType};
use crate::s3::{self, WriteSse};
use crate::service::Inner;
use crate::wire::ApiError;

/// How often Firehose retries a failed delivery to S3.
pub const RETRY_EVERY: Duration = Duration::from_secs(5);

/// An S3 destination, as CreateDeliveryStream configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Destination {
    /// Bucket name.
    pub bucket: String,
    /// The delivery role's ARN.
    pub role_arn: String,
    /// The principal the role is on this service (the ARN's last segment).
    pub role: String,
    /// Object key prefix.
    pub prefix: String,
    /// Buffer size that triggers a delivery, bytes (SizeInMBs).
    pub size_bytes: u64,
    /// Buffer interval that triggers a delivery (IntervalInSeconds).
    pub interval: Duration,
    /// The destination's SSE-KMS key (KMSEncryptionConfig), if any.
    pub kms_key: Option<String>,
}

/// Records waiting for delivery.
#[derive(Debug, Default)]
pub struct Buffer {
    /// Their data, in the order accepted.
    pub records: Vec<Bytes>,
    /// Their bytes.
    pub bytes: u64,
    /// When the first came.
    pub first_at: Option<Duration>,
    /// When the size hint was reached.
    pub full_at: Option<Duration>,
    /// Records sealed under the delivery stream's customer-managed key (which must be usable
    /// to deliver them).
    pub sealed_under: Option<String>,
    /// When the current run of failed attempts began.
    pub failing_since: Option<Duration>,
    /// The next retry, after a failure.
    pub next_attempt: Option<Duration>,
}

/// What deliveries have done, for the harness (CloudWatch's DeliveryToS3 metrics, in effect).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Objects written.
    pub objects: u64,
    /// Records in them.
    pub records: u64,
    /// Of them, records delivered after at least one failed attempt.
    pub retried_records: u64,
    /// Attempts that failed.
    pub failed_attempts: u64,
    /// Records dropped past the retry duration.
    pub dropped_records: u64,
    /// The last failure's error name and message.
    pub last_error: Option<(String, String)>,
}

/// Add an accepted record to the buffer (delivering at once if the size hint is reached).
pub fn buffer(svc: &Inner, ds: &mut DeliveryStream, data: Bytes, sealed: bool, now: Duration) {
    let Some(dest) = ds.destination.clone() else {
        return;
    };
    // What fell due before this record came goes first, without it (a buffer due at this very
    // instant takes it: a batch's records, or records of one instant, go together).
    deliver_buffer(svc, ds, now.saturating_sub(Duration::from_nanos(1)));
    let b = &mut ds.buffer;
    b.first_at.get_or_insert(now);
    b.bytes += data.len() as u64;
    b.records.push(data);
    if sealed {
        if let Some(KeyType::CustomerManaged(arn)) = &ds.encryption.key {
            b.sealed_under = Some(arn.clone());
        }
    }
    if b.bytes >= dest.size_bytes && b.full_at.is_none() {
        b.full_at = Some(now);
        deliver_buffer(svc, ds, now);
    }
}

/// A stream-sourced delivery stream: the source stream's records not yet taken, read as the
/// source role (SSE records opened with its `kms:Decrypt`, as Kinesis opens them for any
/// reader), each buffered at its arrival time. A read the role may not make leaves the
/// records in the stream, and the error as the delivery's last.
fn pull_source(svc: &Inner, ds: &mut DeliveryStream, now: Duration) {
    let super::Source::KinesisStream {
        stream_arn,
        role_arn,
    } = ds.source.clone()
    else {
        return;
    };
    let Some(name) = stream_arn
        .rsplit_once(":stream/")
        .map(|(_, n)| n.to_string())
    else {
        return;
    };
    let Some(stream) = svc.streams.get(&name) else {
        return;
    };
    let role = role_arn.rsplit('/').next().unwrap_or_default().to_string();
    if !svc.allowed(&role, "kinesis:GetRecords", &stream_arn) {
        ds.delivered.last_error = Some((
            "Kinesis.AccessDeniedException".into(),
            format!("{role_arn} may not kinesis:GetRecords on {stream_arn}"),
        ));
        return;
    }
    let taken: Vec<(String, usize, Vec<crate::kinesis::stream::StoredRecord>)> = {
        let st = stream.lock();
        st.shards
            .iter()
            .map(|sh| {
                let from = ds
                    .source_cursor
                    .get(&sh.id)
                    .copied()
                    .unwrap_or(0)
                    .max(sh.start_position());
                let recs: Vec<_> = sh
                    .records_from(from)
                    .filter(|r| r.arrival <= now)
                    .cloned()
                    .collect();
                (sh.id.clone(), from, recs)
            })
            .filter(|(_, _, r)| !r.is_empty())
            .collect()
    };
    let mut all: Vec<(Duration, Bytes)> = Vec::new();
    for (shard, from, recs) in taken {
        match crate::kinesis::sse::open(svc, &stream_arn, &role, &recs, now) {
            Ok(datas) => {
                ds.source_cursor.insert(shard, from + recs.len());
                all.extend(recs.iter().map(|r| r.arrival).zip(datas));
            }
            Err(e) => {
                ds.delivered.last_error = Some((e.code.to_string(), e.message));
            }
        }
    }
    all.sort_by_key(|(at, _)| *at);
    for (at, data) in all {
        ds.received.records += 1;
        ds.received.bytes += data.len() as u64;
        buffer(svc, ds, data, false, at);
    }
}

/// Deliver whatever is due in every delivery stream by `now`.
pub fn run_due(svc: &Inner, now: Duration) {
    let mut all = svc.firehose.by_name.lock();
    for ds in all.values_mut() {
        deliver_due(svc, ds, now);
    }
}

/// When the buffer's next attempt falls due, if it holds anything.
fn due(ds: &DeliveryStream) -> Option<Duration> {
    let dest = ds.destination.as_ref()?;
    let b = &ds.buffer;
    let first = b.first_at?;
    let by_hints = match b.full_at {
        Some(full) => full.min(first + dest.interval),
        None => first + dest.interval,
    };
    Some(b.next_attempt.map_or(by_hints, |n| n.max(by_hints)))
}

/// Take what a source stream has for `ds`, then deliver its buffer if it is due by `now`.
pub fn deliver_due(svc: &Inner, ds: &mut DeliveryStream, now: Duration) {
    pull_source(svc, ds, now);
    deliver_buffer(svc, ds, now);
}

/// Deliver `ds`'s buffer if it is due by `now` (retrying, or dropping past the retry duration).
fn deliver_buffer(svc: &Inner, ds: &mut DeliveryStream, now: Duration) {
    let retry_for = svc.kms_day();
    while let Some(at) = due(ds).filter(|&at| at <= now) {
        match attempt(svc, ds, at) {
            Ok(()) => {
                let n = ds.buffer.records.len() as u64;
                ds.delivered.objects += 1;
                ds.delivered.records += n;
                if ds.buffer.failing_since.is_some() {
                    ds.delivered.retried_records += n;
                }
                ds.buffer = Buffer::default();
            }
            Err(e) => {
                ds.delivered.failed_attempts += 1;
                ds.delivered.last_error = Some((e.code.to_string(), e.message));
                let since = *ds.buffer.failing_since.get_or_insert(at);
                if now.saturating_sub(since) >= retry_for {
                    ds.delivered.dropped_records += ds.buffer.records.len() as u64;
                    ds.buffer = Buffer::default();
                } else {
                    // Attempts between `at` and now failed as this one did (the state is
                    // known only now); the next is the first retry instant after now.
                    let missed = now.saturating_sub(at).as_nanos() / RETRY_EVERY.as_nanos();
                    let next = at + RETRY_EVERY * (missed as u32 + 1);
                    ds.buffer.next_attempt = Some(next);
                    break;
                }
            }
        }
    }
}

/// One attempt to write the buffer as one object at `at`.
fn attempt(svc: &Inner, ds: &DeliveryStream, at: Duration) -> Result<(), ApiError> {
    let dest = ds
        .destination
        .as_ref()
        .ok_or_else(|| ApiError::internal("no destination"))?;
    if let Some(key_arn) = &ds.buffer.sealed_under {
        let grant = ds.encryption.grant.as_ref();
        if let Some((kind, details)) = key_problem(svc, key_arn, grant, at) {
            return Err(ApiError::new(
                match kind {
                    "DISABLED_KMS_KEY" => "KMS.DisabledException",
                    "KMS_KEY_NOT_FOUND" => "KMS.NotFoundException",
                    "KMS_ACCESS_DENIED" => "KMS.AccessDeniedException",
                    _ => "KMS.InvalidStateException",
                },
                details,
            ));
        }
    }
    let key = object_key(ds, dest, at);
    if !svc.allowed(
        &dest.role,
        "s3:PutObject",
        &s3::object_arn(&dest.bucket, &key),
    ) {
        return Err(ApiError::new(
            "S3.AccessDenied",
            format!("{} may not s3:PutObject", dest.role_arn),
        )
        .with_status(403));
    }
    let mut body = Vec::with_capacity(ds.buffer.bytes as usize);
    for r in &ds.buffer.records {
        body.extend_from_slice(r);
    }
    let sse = match &dest.kms_key {
        Some(k) => WriteSse::Kms(Some(k.clone())),
        None => WriteSse::None,
    };
    s3::put(
        svc,
        &dest.role,
        &dest.bucket,
        &key,
        Bytes::from(body),
        &sse,
        at,
    )
    .map(|_| ())
    .map_err(|e| ApiError {
        code: match e.code {
            "NoSuchBucket" => "S3.NoSuchBucket",
            "AccessDenied" => "S3.KMS.AccessDenied",
            other => other,
        },
        ..e
    })
}

/// `<prefix>YYYY/MM/DD/HH/<name>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>` at `at` (UTC).
fn object_key(ds: &DeliveryStream, dest: &S3Destination, at: Duration) -> String {
    let stamp = s3::xml::iso8601(at); // YYYY-MM-DDTHH:MM:SS.mmmZ
    let (date, time) = (&stamp[..10], &stamp[11..19]);
    let hour_path = format!("{}/{}", date.replace('-', "/"), &time[..2]);
    let mut uuid = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut uuid);
    let u = hex::encode(uuid);
    format!(
        "{}{hour_path}/{}-{}-{date}-{}-{}-{}-{}-{}-{}",
        dest.prefix,
        ds.name,
        ds.version,
        time.replace(':', "-"),
        &u[..8],
        &u[8..12],
        &u[12..16],
        &u[16..20],
        &u[20..]
    )
}
