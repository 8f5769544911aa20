//! Amazon Data Firehose, embedded: delivery streams (`DirectPut`, or `KinesisStreamAsSource`
//! naming one of the service's streams), their server-side encryption with an AWS-owned or a
//! customer-managed KMS key, and the records put to them; dispatched as `Firehose_20150804.*`
//! on the same transport and `serve` port as Kinesis and KMS.
//!
//! What is modelled so far: the control plane (create, describe, list, delete, tags), PutRecord
//! and PutRecordBatch with AWS's limits and error names, and encryption's status (ENABLING →
//! ENABLED, DISABLING → DISABLED, ENABLING_FAILED with AWS's failure types while a
//! customer-managed key is unusable). With a customer-managed key the service takes a data key
//! from KMS per reuse window, on behalf of the principal that started encryption; that
//! principal's `kms:CreateGrant` on the key stands in for Firehose's grant (a Deny of it is what
//! a revoked grant does). Not yet: delivery to a destination (the records are counted, then
//! dropped), per-stream throughput quotas, and KMS grants themselves.

pub mod ops;
pub mod records;

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;
use zeroize::Zeroizing;

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
    /// Who started it: the principal Firehose acts for with a customer-managed key.
    pub started_by: String,
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
