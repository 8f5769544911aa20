//! Amazon S3, embedded, as much as a Firehose destination needs: buckets, objects put (by a
//! delivery, or PutObject), listed (ListObjectsV2) and read (GetObject), with server-side
//! encryption under a KMS key (`aws:kms`: a data key per object from KMS as the writer, its
//! Decrypt as the reader on every read, so a disabled key or a missing `kms:Decrypt` makes an
//! object unreadable as on AWS). Reached through the real `aws-sdk-s3` client, path-style, on
//! the same transport and `serve` port as the other services (a request with no
//! `X-Amz-Target` signed for `s3`).

pub mod ops;
pub mod xml;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use super::kms::{Caller, KmsFailure};
use super::service::Inner;
use super::wire::ApiError;

/// An object's server-side encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectSse {
    /// Not encrypted at rest.
    None,
    /// `aws:kms`: under this key (ARN), its data key sealed as `blob`.
    Kms {
        /// The KMS key's ARN.
        key_arn: String,
        /// The data key's ciphertext blob, decrypted (as the reader) on every read.
        blob: Vec<u8>,
    },
}

/// One object.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its bytes.
    pub body: Bytes,
    /// When it was written (the service's clock).
    pub last_modified: Duration,
    /// Quoted MD5 of the body.
    pub etag: String,
    /// Encryption at rest.
    pub sse: ObjectSse,
}

/// One bucket.
#[derive(Debug, Default)]
pub struct Bucket {
    /// When it was created.
    pub created: Duration,
    /// Its objects, by key (listed in key order, as S3 lists them).
    pub objects: BTreeMap<String, Object>,
}

/// Every bucket, by name.
#[derive(Debug, Default)]
pub struct Buckets {
    /// The buckets.
    pub by_name: Mutex<BTreeMap<String, Bucket>>,
}

/// How an object is to be encrypted when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteSse {
    /// Not at all.
    None,
    /// `aws:kms` under a key: an ARN, key id or alias; `None` for the AWS-managed `aws/s3`.
    Kms(Option<String>),
}

/// `arn:aws:s3:::<bucket>`.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::<bucket>/<key>`.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// S3's error for a KMS failure met on a write or a read, as S3 names them.
fn kms_error(e: &KmsFailure) -> ApiError {
    match e {
        KmsFailure::AccessDenied(m) => ApiError::new("AccessDenied", m.clone()).with_status(403),
        KmsFailure::Disabled(m) => ApiError::new("KMS.DisabledException", m.clone()),
        KmsFailure::InvalidState(m) => ApiError::new("KMS.KMSInvalidStateException", m.clone()),
        KmsFailure::NotFound(m) => ApiError::new("KMS.NotFoundException", m.clone()),
        KmsFailure::Throttled => {
            ApiError::new("SlowDown", "KMS throttled the request").with_status(503)
        }
        other => ApiError::new("KMS.InvalidCiphertextException", other.direct().message),
    }
}

fn no_such_bucket(bucket: &str) -> ApiError {
    ApiError::new(
        "NoSuchBucket",
        format!("The specified bucket does not exist: {bucket}"),
    )
    .with_status(404)
}

/// The encryption context S3 gives KMS for an object's data key.
fn context(bucket: &str, key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("aws:s3:arn".to_string(), object_arn(bucket, key))])
}

/// Write an object as `principal` (PutObject's work, and a Firehose delivery's): for `aws:kms`
/// a data key from KMS as the writer (`kms:GenerateDataKey` on the key, by its IAM policy).
/// Authorization for `s3:PutObject` is the caller's to check.
///
/// # Errors
///
/// `NoSuchBucket`, or S3's name for the KMS failure (`KMS.DisabledException`, `AccessDenied`).
pub fn put(
    svc: &Inner,
    principal: &str,
    bucket: &str,
    key: &str,
    body: Bytes,
    sse: &WriteSse,
    now: Duration,
) -> Result<ObjectSse, ApiError> {
    if !svc.s3.by_name.lock().contains_key(bucket) {
        return Err(no_such_bucket(bucket));
    }
    let sse = match sse {
        WriteSse::None => ObjectSse::None,
        WriteSse::Kms(key_ref) => {
            let auth = |action: &str, resource: &str| svc.decide(principal, action, resource);
            let arn = bucket_arn(bucket);
            let caller = Caller {
                principal,
                via_stream: Some(&arn),
            };
            let mut kms = svc.kms.lock();
            let key_ref = match key_ref {
                Some(k) => k.clone(),
                None => kms.store.aws_managed_key("s3", "S3", now),
            };
            let generated = kms
                .generate_data_key(&key_ref, 32, &context(bucket, key), caller, &auth, now)
                .map_err(|e| kms_error(&e))?;
            ObjectSse::Kms {
                key_arn: generated.key_arn.clone(),
                blob: generated.blob.clone(),
            }
        }
    };
    let etag = format!("\"{}\"", hex::encode(md5_of(&body)));
    let mut all = svc.s3.by_name.lock();
    let b = all.get_mut(bucket).ok_or_else(|| no_such_bucket(bucket))?;
    b.objects.insert(
        key.to_string(),
        Object {
            body,
            last_modified: now,
            etag,
            sse: sse.clone(),
        },
    );
    Ok(sse)
}

/// Read an object as `principal`: for `aws:kms`, KMS Decrypt of its data key as the reader.
///
/// # Errors
///
/// `NoSuchBucket`, `NoSuchKey`, or S3's name for the KMS failure.
pub fn get(
    svc: &Inner,
    principal: &str,
    bucket: &str,
    key: &str,
    now: Duration,
) -> Result<Object, ApiError> {
    let object = {
        let all = svc.s3.by_name.lock();
        let b = all.get(bucket).ok_or_else(|| no_such_bucket(bucket))?;
        b.objects.get(key).cloned().ok_or_else(|| {
            ApiError::new("NoSuchKey", "The specified key does not exist.").with_status(404)
        })?
    };
    if let ObjectSse::Kms { blob, .. } = &object.sse {
        let auth = |action: &str, resource: &str| svc.decide(principal, action, resource);
        let arn = bucket_arn(bucket);
        let caller = Caller {
            principal,
            via_stream: Some(&arn),
        };
        svc.kms
            .lock()
            .decrypt(blob, &context(bucket, key), caller, &auth, now)
            .map_err(|e| kms_error(&e))?;
    }
    Ok(object)
}

fn md5_of(body: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(body).into()
}
