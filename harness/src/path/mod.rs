//! How a record is protected: `plaintext`, `envelope` (client-side) or `sse-kms`
//! (server-side). One enum, so every producer and consumer loop is written once.

pub use kcb_envelope as envelope;
pub mod envelope_path;

use std::time::Duration;

pub use envelope_path::{Calibration, CryptoTotals, EnvelopePath, RecordFormat};

use crate::backend::{BackendError, ErrorClass, Principal};
use crate::result::PathKind;
use crate::scenario::{
    Aead, AeadBackendChoice, EnvelopeFormat, EsdkSuiteChoice, PathSpec, Protection,
};
use envelope::cache::CacheLimits;
use envelope::esdk::EsdkSuite;
use envelope::format::Suite;
use envelope::AeadBackend;

/// Why a record read back could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The bytes are not what was written (tag check failed, malformed envelope, context differs).
    #[error("corrupted: {0}")]
    Corrupted(String),
    /// The data key cannot be had any more (key disabled, pending deletion, deleted, denied).
    #[error("unreadable: {0}")]
    Unreadable(BackendError),
    /// KMS failed in a way worth retrying (throttled).
    #[error("retry: {0}")]
    Retry(BackendError),
}

impl OpenError {
    /// Sort a KMS error met while opening.
    pub fn from_kms(e: BackendError) -> Self {
        match e.class() {
            ErrorClass::Retryable => OpenError::Retry(e),
            ErrorClass::Fatal => OpenError::Unreadable(e),
        }
    }
}

/// A protection path, ready to seal and open records.
#[derive(Debug)]
pub enum Path {
    /// Records as they are.
    Plaintext,
    /// Client-side envelope encryption with KMS data keys.
    Envelope(Box<EnvelopePath>),
    /// Kinesis encrypts at rest; the client sends plaintext.
    SseKms,
    /// Firehose encrypts at rest (and the destination); the client sends plaintext.
    Firehose,
}

/// The record format an envelope path writes.
fn record_format(e: &crate::scenario::EnvelopeSpec) -> RecordFormat {
    match e.format {
        EnvelopeFormat::Esdk {
            suite,
            frame_length,
        } => RecordFormat::Esdk {
            suite: esdk_suite_of(suite),
            frame_length,
        },
        EnvelopeFormat::Compact { aead, aead_backend } => RecordFormat::Compact(
            match aead {
                Aead::Aes256Gcm => Suite::Aes256Gcm,
                Aead::Chacha20Poly1305 => Suite::ChaCha20Poly1305,
            },
            match aead_backend {
                AeadBackendChoice::AwsLcRs => AeadBackend::AwsLc,
                AeadBackendChoice::RustCrypto => AeadBackend::RustCrypto,
            },
        ),
    }
}

/// Bytes of the record that carries `plaintext_len` bytes on the path `spec` describes, before
/// any request: from the format's arithmetic, an envelope path's data key taken as KMS wraps
/// one (see [`envelope_path::STAND_IN_KEY`]). Within a few bytes of what the run will put.
pub fn estimated_record_len(spec: &PathSpec, plaintext_len: u64) -> u64 {
    match &spec.protection {
        Protection::Envelope(e) => envelope_path::record_len(
            record_format(e),
            &e.encryption_context,
            &envelope_path::stand_in_key(),
            plaintext_len,
        ),
        _ => plaintext_len,
    }
}

impl Path {
    /// The protection `spec` asks for, under `key` (an envelope path's), with the producer's
    /// and the consumer's clients.
    pub fn for_spec(
        spec: &PathSpec,
        key: Option<&str>,
        producer: &Principal,
        consumer: &Principal,
    ) -> Path {
        match &spec.protection {
            Protection::Plaintext => Path::Plaintext,
            Protection::SseKms(_) => Path::SseKms,
            Protection::Firehose(_) => Path::Firehose,
            Protection::Envelope(e) => {
                let format = record_format(e);
                let cache = e.cache.as_ref().map(|c| CacheLimits {
                    max_age: c.max_age,
                    max_messages: c.max_messages,
                    max_bytes: c.max_bytes,
                    capacity: c.capacity as usize,
                });
                let single_flight = e.cache.as_ref().is_some_and(|c| c.single_flight);
                Path::Envelope(Box::new(
                    EnvelopePath::new(
                        format,
                        key.unwrap_or_default().to_string(),
                        e.encryption_context.clone(),
                        cache,
                        producer.kms.clone(),
                        consumer.kms.clone(),
                    )
                    .single_flight(single_flight),
                ))
            }
        }
    }

    /// An envelope path with a data-key cache: its misses that met a KMS call in flight
    /// ([`EnvelopePath::concurrent_misses`]); `None` without a cache.
    pub fn cache_concurrent_misses(&self) -> Option<u64> {
        match self {
            Path::Envelope(e) if e.cached() => Some(e.concurrent_misses()),
            _ => None,
        }
    }

    /// The kind of protection.
    pub fn kind(&self) -> PathKind {
        match self {
            Path::Plaintext => PathKind::Plaintext,
            Path::Envelope(_) => PathKind::Envelope,
            Path::SseKms => PathKind::SseKms,
            Path::Firehose => PathKind::Firehose,
        }
    }

    /// Seal one payload into record data. `now` is the harness clock (data-key cache ages).
    pub async fn seal(&self, payload: &[u8], now: Duration) -> Result<Vec<u8>, BackendError> {
        match self {
            Path::Plaintext | Path::SseKms | Path::Firehose => Ok(payload.to_vec()),
            Path::Envelope(e) => e.seal(payload, now).await,
        }
    }

    /// Open record data back into the payload.
    pub async fn open(&self, data: &[u8], now: Duration) -> Result<Vec<u8>, OpenError> {
        match self {
            Path::Plaintext | Path::SseKms | Path::Firehose => Ok(data.to_vec()),
            Path::Envelope(e) => e.open(data, now).await,
        }
    }

    /// Client-side AEAD time and bytes (zero for paths without client-side crypto).
    pub fn crypto(&self) -> CryptoTotals {
        match self {
            Path::Envelope(e) => e.crypto(),
            _ => CryptoTotals::default(),
        }
    }

    /// What one record of each size costs to seal and open in CPU time, measured in a tight
    /// loop within about `budget` (nothing for paths without client-side crypto).
    pub fn calibrate(&self, sizes: &[u64], budget: Duration) -> Vec<Calibration> {
        match self {
            Path::Envelope(e) => e.calibrate(sizes, budget),
            _ => Vec::new(),
        }
    }

    /// Bytes of the record that carries `plaintext_len` bytes, from the format's arithmetic
    /// (`None` for the envelope path until its first data key has come).
    pub fn sealed_len(&self, plaintext_len: u64) -> Option<u64> {
        match self {
            Path::Plaintext | Path::SseKms | Path::Firehose => Some(plaintext_len),
            Path::Envelope(e) => e.sealed_len(plaintext_len),
        }
    }

    /// The largest plaintext whose record is at most `limit` bytes (`None` for the envelope
    /// path until its first data key has come).
    pub fn max_plaintext_within(&self, limit: u64) -> Option<u64> {
        match self {
            Path::Plaintext | Path::SseKms | Path::Firehose => Some(limit),
            Path::Envelope(e) => e.max_plaintext_within(limit),
        }
    }
}

/// The ESDK suite a scenario's choice names.
pub fn esdk_suite_of(choice: EsdkSuiteChoice) -> EsdkSuite {
    match choice {
        EsdkSuiteChoice::CommitKey => EsdkSuite::Commit,
        EsdkSuiteChoice::CommitKeyEcdsaP384 => EsdkSuite::CommitSign,
    }
}
