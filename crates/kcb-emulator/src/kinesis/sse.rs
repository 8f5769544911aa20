//! SSE-KMS as Kinesis does it: a data key per stream and caller, obtained from KMS with
//! GenerateDataKey on the producer's behalf and reused for a window (about five minutes on AWS);
//! consumers' reads decrypt it with KMS Decrypt on their behalf, cached for the same window.
//! Each record is sealed with AES-256-GCM under the window's data key.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use bytes::Bytes;
use parking_lot::Mutex;
use rand::RngCore;
use zeroize::Zeroizing;

use super::stream::{Body, SealedWith, StoredRecord};
use crate::kms::{Caller, KmsFailure};
use crate::service::Inner;
use crate::wire::ApiError;

struct WindowKey {
    created: Duration,
    sealed_with: Arc<SealedWith>,
    plaintext: Zeroizing<Vec<u8>>,
}

struct ReadKey {
    created: Duration,
    plaintext: Zeroizing<Vec<u8>>,
}

/// A read key's identity: its stream, its key and its encrypted data key.
type ReaderId = (String, String, Vec<u8>);

/// The data keys Kinesis holds for SSE streams.
#[derive(Default)]
pub struct SseKeys {
    writers: Mutex<HashMap<(String, String), WindowKey>>,
    readers: Mutex<HashMap<ReaderId, ReadKey>>,
}

impl std::fmt::Debug for SseKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SseKeys(<redacted>)")
    }
}

fn context(stream_arn: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("aws:kinesis:arn".to_string(), stream_arn.to_string())])
}

/// Kinesis's own check on each request: the caller's permission on the key and the key's state,
/// named as Kinesis names them. No KMS request is made (and none counted).
fn check(
    svc: &Inner,
    principal: &str,
    action: &str,
    key_ref: &str,
    now: Duration,
) -> Result<String, ApiError> {
    let mut kms = svc.kms.lock();
    let id = kms
        .store
        .usable(key_ref, now)
        .map_err(|e| e.via_kinesis())?;
    let arn = kms
        .store
        .key(&id)
        .map(|k| k.arn.clone())
        .unwrap_or_default();
    drop(kms);
    if !svc.allowed(principal, action, &arn) {
        return Err(KmsFailure::AccessDenied(format!(
            "User: {principal} is not authorized to perform: {action} on resource: {arn} (via kinesis.amazonaws.com)"
        ))
        .via_kinesis());
    }
    Ok(arn)
}

fn seal_one(key: &[u8], stream_arn: &str, data: &[u8]) -> Result<([u8; 12], Bytes), ApiError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| ApiError::internal("bad data key"))?;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: data,
                aad: stream_arn.as_bytes(),
            },
        )
        .map_err(|_| ApiError::internal("seal failed"))?;
    Ok((nonce, Bytes::from(ct)))
}

/// Seal records for a write by `principal` to an SSE stream under `key_ref`.
pub fn seal(
    svc: &Inner,
    stream_arn: &str,
    key_ref: &str,
    principal: &str,
    data: &[Bytes],
    now: Duration,
) -> Result<Vec<Body>, ApiError> {
    check(svc, principal, "kms:GenerateDataKey", key_ref, now)?;
    let reuse = svc.sse_reuse_period(stream_arn);
    let mut writers = svc.sse.writers.lock();
    let slot = (stream_arn.to_string(), principal.to_string());
    let fresh = writers
        .get(&slot)
        .is_some_and(|k| now.saturating_sub(k.created) < reuse && k.sealed_with.key_arn == key_ref);
    if !fresh {
        let auth = |action: &str, resource: &str| svc.decide(principal, action, resource);
        let caller = Caller {
            principal,
            via_stream: Some(stream_arn),
        };
        let generated = svc
            .kms
            .lock()
            .generate_data_key(key_ref, 32, &context(stream_arn), caller, &auth, now)
            .map_err(|e| e.via_kinesis())?;
        let sealed_with = Arc::new(SealedWith {
            blob: generated.blob,
            key_arn: generated.key_arn,
        });
        writers.insert(
            slot.clone(),
            WindowKey {
                created: now,
                sealed_with,
                plaintext: generated.plaintext,
            },
        );
    }
    let window = writers
        .get(&slot)
        .ok_or_else(|| ApiError::internal("data key vanished"))?;
    data.iter()
        .map(|d| {
            let (nonce, ciphertext) = seal_one(&window.plaintext, stream_arn, d)?;
            Ok(Body::Sealed {
                key: window.sealed_with.clone(),
                nonce,
                ciphertext,
            })
        })
        .collect()
}

/// Open stored records for a read by `principal`; plaintext bodies pass through.
pub fn open(
    svc: &Inner,
    stream_arn: &str,
    principal: &str,
    records: &[StoredRecord],
    now: Duration,
) -> Result<Vec<Bytes>, ApiError> {
    let reuse = svc.sse_reuse_period(stream_arn);
    let mut out = Vec::with_capacity(records.len());
    let mut checked: Vec<String> = Vec::new();
    for r in records {
        match &r.body {
            Body::Plain(b) => out.push(b.clone()),
            Body::Sealed {
                key,
                nonce,
                ciphertext,
            } => {
                if !checked.contains(&key.key_arn) {
                    check(svc, principal, "kms:Decrypt", &key.key_arn, now)?;
                    checked.push(key.key_arn.clone());
                }
                let plain_key = read_key(svc, stream_arn, principal, &key.blob, reuse, now)?;
                let cipher = Aes256Gcm::new_from_slice(&plain_key)
                    .map_err(|_| ApiError::internal("bad data key"))?;
                let data = cipher
                    .decrypt(
                        Nonce::from_slice(nonce),
                        Payload {
                            msg: ciphertext,
                            aad: stream_arn.as_bytes(),
                        },
                    )
                    .map_err(|_| KmsFailure::InvalidCiphertext.via_kinesis())?;
                out.push(Bytes::from(data));
            }
        }
    }
    Ok(out)
}

fn read_key(
    svc: &Inner,
    stream_arn: &str,
    principal: &str,
    blob: &[u8],
    reuse: Duration,
    now: Duration,
) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    let slot = (stream_arn.to_string(), principal.to_string(), blob.to_vec());
    let mut readers = svc.sse.readers.lock();
    if let Some(k) = readers.get(&slot) {
        if now.saturating_sub(k.created) < reuse {
            return Ok(k.plaintext.clone());
        }
    }
    let auth = |action: &str, resource: &str| svc.decide(principal, action, resource);
    let caller = Caller {
        principal,
        via_stream: Some(stream_arn),
    };
    let (plain, _) = svc
        .kms
        .lock()
        .decrypt(blob, &context(stream_arn), caller, &auth, now)
        .map_err(|e| e.via_kinesis())?;
    readers.insert(
        slot,
        ReadKey {
            created: now,
            plaintext: plain.clone(),
        },
    );
    Ok(plain)
}

impl SseKeys {
    /// Forget every cached data key of a stream (encryption stopped, stream deleted).
    pub fn forget(&self, stream_arn: &str) {
        self.writers.lock().retain(|(s, _), _| s != stream_arn);
        self.readers.lock().retain(|(s, _, _), _| s != stream_arn);
    }
}
