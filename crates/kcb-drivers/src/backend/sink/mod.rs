//! The service seam: producers put records into a [`Sink`] and consumers read them back from a
//! [`Source`], never naming a service's API. Kinesis Data Streams is one implementation
//! ([`kinesis`]); Firehose ([`firehose`]) puts into a delivery stream and reads back what it
//! delivered to S3.

pub mod firehose;
pub mod kinesis;

use std::fmt::Debug;

use async_trait::async_trait;

use super::error::BackendError;

/// One record to put: its partition key and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    /// Partition key (decides the shard on Kinesis).
    pub partition_key: String,
    /// Data blob.
    pub data: Vec<u8>,
}

/// A record the service acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutAck {
    /// Where it went (a Kinesis shard id).
    pub shard_id: String,
    /// Its position there (a Kinesis sequence number).
    pub sequence: String,
}

/// One entry of a batch the service refused while accepting the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// AWS's name, e.g. `ProvisionedThroughputExceededException` or `InternalFailure`.
    pub code: String,
    /// Message.
    pub message: String,
}

/// A record read back.
#[derive(Debug, Clone)]
pub struct ReadRecord {
    /// Its position in its partition (a Kinesis sequence number).
    pub sequence: String,
    /// Partition key.
    pub partition_key: String,
    /// Data as returned.
    pub data: Vec<u8>,
    /// Server-side encrypted at rest.
    pub encrypted: bool,
    /// When the destination wrote it, since the Unix epoch (an S3 object's LastModified;
    /// `None` on a stream).
    pub written_at: Option<std::time::Duration>,
}

/// Status and encryption of a sink's destination, as the service describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkInfo {
    /// The service's status word (`ACTIVE`, `UPDATING`, ...).
    pub status: String,
    /// `NONE` or `KMS`.
    pub encryption: String,
    /// The key, when encrypted.
    pub key_id: Option<String>,
    /// Partitions open for writing (shards).
    pub partitions: u32,
}

/// One partition to read (a shard), and the ones it came from (a reshard's parents), which
/// must be read to their end first so records of one key are read in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Its id.
    pub id: String,
    /// Its parents.
    pub parents: Vec<String>,
}

/// Where a consumer is in one partition: after the last record it consumed, and the service's
/// own cursor (an iterator) if it holds one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// The last record consumed (None: from the oldest record).
    pub after: Option<String>,
    /// The service's cursor to continue from, when it has one.
    pub token: Option<String>,
    /// The partition is closed and was read to its end (the service gave no cursor to go on).
    pub ended: bool,
}

impl Position {
    /// Mark `sequence` consumed.
    pub fn commit(&mut self, sequence: &str) {
        self.after = Some(sequence.to_owned());
    }

    /// Forget the service's cursor: the next read starts just after the last record consumed
    /// (so a record that could not be consumed is read again).
    pub fn rewind(&mut self) {
        self.token = None;
        self.ended = false;
    }
}

/// Where producers put records: one destination (a stream) of one service, signed as the
/// producer role.
#[async_trait]
pub trait Sink: Send + Sync + Debug {
    /// The service's name in results: `kinesis`.
    fn service(&self) -> &'static str;

    /// The destination's name (the stream).
    fn destination(&self) -> &str;

    /// Whether its acknowledgements are keyed by the record's id (a destination that numbers
    /// records its own way, as Firehose does) rather than by where the record went (a stream's
    /// shard and sequence number).
    fn acks_by_record_id(&self) -> bool {
        false
    }

    /// Put one record.
    async fn put(&self, record: OutRecord) -> Result<PutAck, BackendError>;

    /// Put a batch: the outcome of each entry, in order; an error fails the whole call.
    async fn put_batch(
        &self,
        records: Vec<OutRecord>,
    ) -> Result<Vec<Result<PutAck, EntryFailure>>, BackendError>;

    /// The destination's status and encryption.
    async fn describe(&self) -> Result<SinkInfo, BackendError>;
}

/// Where consumers read records back from, signed as the consumer role.
#[async_trait]
pub trait Source: Send + Sync + Debug {
    /// The partitions to read (shards, open and closed), with their parents.
    async fn partitions(&self) -> Result<Vec<Partition>, BackendError>;

    /// The next records of `partition` after `position` (at most `limit`); moves the
    /// position's cursor, not its `after` (the consumer commits what it consumed).
    async fn read(
        &self,
        partition: &str,
        position: &mut Position,
        limit: u32,
    ) -> Result<Vec<ReadRecord>, BackendError>;
}
