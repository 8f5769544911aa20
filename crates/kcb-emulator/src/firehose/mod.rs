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
//! [`FIREHOSE_PRINCIPAL`]; a revoked grant is KMS_ACCESS_DENIED. Each delivery stream has AWS's
//! direct-put quotas ([`Quota`]): past them PutRecord is `ServiceUnavailableException` and
//! PutRecordBatch fails the entries past them one by one. A delivery stream with an S3
//! destination buffers what it accepts and delivers it to the embedded S3 ([`delivery`]),
//! retrying and at last dropping what a key or permission problem keeps from being written;
//! one without a destination counts its records and drops them.

pub mod delivery;
pub mod ops;
pub mod records;

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::bucket::TokenBucket;

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

/// A delivery stream's direct-put throughput quotas: requests (PutRecord and PutRecordBatch
/// calls), records and bytes a second, each a token bucket of one second's worth.
#[derive(Debug, Clone)]
pub struct Quota {
    /// Calls a second.
    pub requests: TokenBucket,
    /// Records a second.
    pub records: TokenBucket,
    /// Bytes a second.
    pub bytes: TokenBucket,
}

impl Quota {
    /// AWS's default quotas in `region`: 2,000 calls, 500,000 records and 5 MiB a second in
    /// us-east-1, us-west-2 and eu-west-1; 1,000 calls, 100,000 records and 1 MiB elsewhere.
    pub fn for_region(region: &str) -> Self {
        let (requests, records, mib) = match region {
            "us-east-1" | "us-west-2" | "eu-west-1" => (2_000.0, 500_000.0, 5.0),
            _ => (1_000.0, 100_000.0, 1.0),
        };
        Self {
            requests: TokenBucket::per_second(requests),
            records: TokenBucket::per_second(records),
            bytes: TokenBucket::per_second(mib * 1024.0 * 1024.0),
        }
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
    /// Its throughput quotas.
    pub quota: Quota,
    /// Where it delivers (none: records are counted and dropped).
    pub destination: Option<delivery::S3Destination>,
    /// Records waiting for delivery.
    pub buffer: delivery::Buffer,
    /// What deliveries have done.
    pub delivered: delivery::Delivered,
    /// A stream-sourced delivery stream: the position in each source shard taken up to.
    pub source_cursor: BTreeMap<String, usize>,
}

/// Every delivery stream, by name.
#[derive(Debug, Default)]
pub struct DeliveryStreams {
    /// The streams.
    pub by_name: Mutex<BTreeMap<String, DeliveryStream>>,
}
