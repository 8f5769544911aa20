//! A path's kind and settings as typed values, so the plan, the gate and the report read them
//! without matching strings or parsing durations out of JSON. The JSON keeps the shapes a
//! reader of `result.json` expects: `kind` is the scenario's kind name, `settings` an object
//! tagged with the same `kind`, durations in seconds (`*_secs`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How a path protects its records.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PathKind {
    /// Records as they are.
    Plaintext,
    /// Client-side envelope encryption with KMS data keys.
    Envelope,
    /// Kinesis server-side encryption with a KMS key.
    SseKms,
    /// Through a Firehose delivery stream to S3.
    Firehose,
}

impl PathKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [PathKind; 4] = [
        PathKind::Plaintext,
        PathKind::Envelope,
        PathKind::SseKms,
        PathKind::Firehose,
    ];

    /// The kind as the scenario and `result.json` write it: "plaintext", "envelope", "sse-kms".
    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::Plaintext => "plaintext",
            PathKind::Envelope => "envelope",
            PathKind::SseKms => "sse-kms",
            PathKind::Firehose => "firehose",
        }
    }
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path's settings, tagged with its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PathSettings {
    /// No settings.
    Plaintext,
    /// The envelope path's cipher, encryption context and data-key cache.
    Envelope(EnvelopeSettings),
    /// The SSE-KMS stream's key and data-key reuse window.
    SseKms(SseSettings),
    /// The Firehose delivery stream's key, its destination's encryption and buffering.
    Firehose(FirehoseSettings),
}

impl PathSettings {
    /// The kind these settings belong to.
    pub fn kind(&self) -> PathKind {
        match self {
            PathSettings::Plaintext => PathKind::Plaintext,
            PathSettings::Envelope(_) => PathKind::Envelope,
            PathSettings::SseKms(_) => PathKind::SseKms,
            PathSettings::Firehose(_) => PathKind::Firehose,
        }
    }

    /// The envelope path's data-key cache, if it has one.
    pub fn cache(&self) -> Option<&CacheSettings> {
        match self {
            PathSettings::Envelope(e) => e.cache.as_ref(),
            _ => None,
        }
    }

    /// Customer-managed KMS keys the path needs: one for envelope and for SSE under a
    /// customer-managed key; none for plaintext or the AWS-managed key.
    pub fn customer_managed_keys(&self) -> u32 {
        match self {
            PathSettings::Plaintext => 0,
            PathSettings::Envelope(_) => 1,
            PathSettings::SseKms(s) => match s.key {
                SseKeyKind::CustomerManaged => 1,
                SseKeyKind::AwsManaged => 0,
            },
            PathSettings::Firehose(f) => {
                u32::from(f.key == "customer-managed" || f.destination_sse == "customer-managed")
            }
        }
    }
}

/// A Firehose path's settings (the scenario's words for each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirehoseSettings {
    /// The delivery stream's encryption: `none`, `aws-owned` or `customer-managed`.
    pub key: String,
    /// The destination's: `none`, `aws-managed` or `customer-managed`.
    pub destination_sse: String,
    /// Buffering hint, MiB.
    pub buffer_size_mib: u32,
    /// Buffering hint, seconds.
    pub buffer_interval_secs: f64,
}

/// Client-side envelope settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSettings {
    /// The record format: an AWS Encryption SDK message or the compact one.
    pub format: RecordFormat,
    /// The record cipher (AES-256-GCM for every ESDK suite).
    pub aead: Cipher,
    /// The cipher's implementation (aws-lc-rs for every ESDK suite).
    pub aead_backend: AeadBackendName,
    /// Format "esdk": the algorithm suite's name (kebab case, as the scenario gives it).
    pub suite: Option<String>,
    /// Format "esdk": the hex id of the suite ("0x0578").
    pub suite_id: Option<String>,
    /// Format "esdk": plaintext bytes per frame.
    pub frame_length: Option<u32>,
    /// Pairs bound to every record and sent to KMS with each data-key call.
    pub encryption_context: BTreeMap<String, String>,
    /// The data-key cache (None: a data key per record).
    pub cache: Option<CacheSettings>,
}

/// The envelope path's record format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecordFormat {
    /// AWS Encryption SDK message format version 2.
    Esdk,
    /// The harness's compact single-frame format.
    Compact,
}

/// The envelope path's AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Cipher {
    /// AES-256-GCM.
    #[serde(rename = "aes-256-gcm")]
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    #[serde(rename = "chacha20-poly1305")]
    Chacha20Poly1305,
}

/// The implementation of the envelope path's AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum AeadBackendName {
    /// aws-lc-rs (AWS-LC).
    #[serde(rename = "aws-lc-rs")]
    AwsLcRs,
    /// RustCrypto's `aes-gcm` and `chacha20poly1305`.
    #[serde(rename = "rustcrypto")]
    RustCrypto,
}

/// Data-key cache limits (at least one of the three is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Longest a data key serves after it was generated, seconds.
    pub max_age_secs: Option<f64>,
    /// Most records one data key encrypts.
    pub max_messages: Option<u64>,
    /// Most plaintext bytes one data key encrypts.
    pub max_bytes: Option<u64>,
    /// Cache entries.
    pub capacity: u32,
    /// Misses wait for one KMS call in flight (true), or each makes its own, as the AWS
    /// Encryption SDK's caching CMM does (false).
    pub single_flight: bool,
}

/// SSE-KMS settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SseSettings {
    /// Which key the stream is encrypted under.
    pub key: SseKeyKind,
    /// How long Kinesis reuses one data key before it asks KMS again, seconds.
    pub reuse_period_secs: f64,
}

/// The KMS key of an SSE-KMS stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SseKeyKind {
    /// A key the run creates.
    CustomerManaged,
    /// `alias/aws/kinesis`.
    AwsManaged,
}
