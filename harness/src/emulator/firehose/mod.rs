//! Amazon Data Firehose, embedded: delivery streams (`DirectPut`, or `KinesisStreamAsSource`
//! naming one of the service's streams), their server-side encryption with an AWS-owned or a
//! customer-managed KMS key, and the records put to them; dispatched as `Firehose_20150804.*`
//! on the same transport and `serve` port as Kinesis and KMS.
//!
//! What is modelled so far: the control plane (create, describe, list, delete, tags), PutRecord
//! and PutRecordBatch with AWS's limits and error names, and encryption's status (ENABLING →
//! ENABLED, DISABLING → DISABLED, ENABLING_FAILED with AWS's failure types while a
//! customer-managed key is unusable). With a customer-managed key, Firehose takes a KMS grant
//! (CreateGrant, with the caller's `kms:CreateGrant`; retired when the key changes, encryption
//! stops or the stream is deleted) and, through it, a data key per reuse window as
//! [`FIREHOSE_PRINCIPAL`]; a revoked grant is KMS_ACCESS_DENIED. Not yet: delivery to a
//! destination (the records are counted, then dropped) and per-stream throughput quotas.

pub mod ops;
pub mod records;

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;
use zeroize::Zeroizing;

/// The principal Firehose acts as through its grants (KMS logs its calls under this name).
pub const FIREHOSE_PRINCIPAL: &str = "firehose.amazonaws.com";

/// Where a delivery stream's records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// PutRecord and PutRecordBatch.
    DirectPut,
    /// A Kinesis stream (its encryption is the stream's own).
    KinesisStream {
        /// The source stream's ARN.
        stream_arn: String,
        /// The role Firehose reads it with.
        role_arn: String,
    },
}

impl Source {
    /// AWS's `DeliveryStreamType`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Source::DirectPut => "DirectPut",
            Source::KinesisStream { .. } => "KinesisStreamAsSource",
        }
    }
}

/// Which key encrypts a delivery stream's data at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyType {
    /// A key AWS owns: no KMS request in the account, nothing of the account can break it.
    AwsOwned,
    /// A key of the account, by ARN.
    CustomerManaged(String),
}

impl KeyType {
    /// AWS's `KeyType`.
    pub fn name(&self) -> &'static str {
        match self {
            KeyType::AwsOwned => "AWS_OWNED_CMK",
            KeyType::CustomerManaged(_) => "CUSTOMER_MANAGED_CMK",
        }
    }
}

/// A delivery stream's encryption, as last changed.
#[derive(Debug, Clone, Default)]
pub struct Encryption {
    /// The key, while encryption is on or being turned off.
    pub key: Option<KeyType>,
    /// On (Start) or off (Stop or never started).
    pub on: bool,
    /// When it last changed (ENABLING and DISABLING last the service's update delay).
    pub since: Duration,
    /// Who started it.
    pub started_by: String,
    /// The KMS grant Firehose took on a customer-managed key: its id, or why it could not.
    pub grant: Option<Result<String, String>>,
}

/// What the delivery stream has accepted (there is no destination yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    /// Records accepted.
    pub records: u64,
    /// Their data bytes.
    pub bytes: u64,
    /// Of them, records accepted while encryption was ENABLED (the `Encrypted` of the answer).
    pub encrypted: u64,
}

/// A data key held for a delivery stream's reuse window.
pub struct WindowKey {
    /// When it was generated.
    pub created: Duration,
    /// The key it was generated under.
    pub key_arn: String,
    /// The plaintext, wiped on drop; it would seal the buffered records at delivery.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for WindowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowKey")
            .field("created", &self.created)
            .field("key_arn", &self.key_arn)
            .finish_non_exhaustive()
    }
}

/// One delivery stream.
#[derive(Debug)]
pub struct DeliveryStream {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Source.
    pub source: Source,
    /// When it was created (CREATING for the service's update delay).
    pub created: Duration,
    /// Bumped by every change of its configuration.
    pub version: u64,
    /// Encryption at rest.
    pub encryption: Encryption,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// What it has accepted.
    pub received: Received,
    /// The data key of the current reuse window (customer-managed key only).
    pub window_key: Option<WindowKey>,
}

/// Every delivery stream, by name.
#[derive(Debug, Default)]
pub struct DeliveryStreams {
    /// The streams.
    pub by_name: Mutex<BTreeMap<String, DeliveryStream>>,
}
