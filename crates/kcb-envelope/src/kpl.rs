//! The Kinesis Producer Library's aggregated record: many user records in one Kinesis record.
//!
//! The format (awslabs `kinesis-aggregation`; the KPL's `aggregation-format.md`; facts file,
//! "KPL aggregation"): the 4 magic bytes `F3 89 9A C2`, a protobuf `AggregatedRecord` (a table
//! of partition keys, a table of explicit hash keys, the records, each naming its keys by index),
//! then the 16-byte MD5 of the protobuf bytes. The messages are proto2: a record's
//! `partition_key_index` and `data` are `required`, so they are written even when zero or empty
//! (the KPL's and the `aws-kinesis-agg` libraries' parsers refuse a record without them).
//!
//! [`Aggregator`] packs user records as the KPL does, up to a byte size and a record count;
//! [`decode`] splits an aggregate back and says, by cause, why one cannot be read.

use md5::{Digest, Md5};
use prost::Message;

/// The first four bytes of every aggregated record.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The MD5 digest at the end.
pub const DIGEST_BYTES: usize = 16;
/// The KPL's `AggregationMaxSize` default: the largest aggregate, bytes.
pub const DEFAULT_MAX_BYTES: usize = 51_200;
/// The KPL's `AggregationMaxCount` default: user records an aggregate holds at most.
pub const DEFAULT_MAX_RECORDS: usize = 4_294_967_295;

/// The protobuf `AggregatedRecord`.
#[derive(Clone, PartialEq, Message)]
pub struct AggregatedRecord {
    /// Every partition key the records use, once.
    #[prost(string, repeated, tag = "1")]
    pub partition_key_table: Vec<String>,
    /// Every explicit hash key the records use, once.
    #[prost(string, repeated, tag = "2")]
    pub explicit_hash_key_table: Vec<String>,
    /// The user records.
    #[prost(message, repeated, tag = "3")]
    pub records: Vec<Record>,
}

/// One user record in an aggregate.
#[derive(Clone, PartialEq, Message)]
pub struct Record {
    /// Its partition key's index in the table.
    #[prost(uint64, required, tag = "1")]
    pub partition_key_index: u64,
    /// Its explicit hash key's index, if it has one.
    #[prost(uint64, optional, tag = "2")]
    pub explicit_hash_key_index: Option<u64>,
    /// Its data.
    #[prost(bytes = "vec", required, tag = "3")]
    pub data: Vec<u8>,
    /// Tags (the harness writes none and keeps what it reads).
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<Tag>,
}

/// A record's tag.
#[derive(Clone, PartialEq, Message)]
pub struct Tag {
    /// The tag's key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Its value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// A user record, as put and as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its partition key.
    pub partition_key: String,
    /// Its explicit hash key, if any.
    pub explicit_hash_key: Option<String>,
    /// Its data.
    pub data: Vec<u8>,
}

/// Why a Kinesis record is not an aggregate that can be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregationError {
    /// It does not start with the magic bytes (a plain record, or one encrypted whole).
    #[error("no magic bytes: not an aggregated record")]
    NoMagic,
    /// Too short for the magic bytes, a message and a digest.
    #[error("truncated: {0} bytes cannot hold the magic bytes and a digest")]
    Truncated(usize),
    /// The MD5 at the end is not that of the message.
    #[error("the MD5 digest does not match the message")]
    BadDigest,
    /// The message is not an `AggregatedRecord`.
    #[error("not a protobuf AggregatedRecord: {0}")]
    BadMessage(String),
    /// A record names a key its table does not have.
    #[error("record {record} names {table} key {index}, of {len}")]
    BadKeyIndex {
        /// The record's position.
        record: usize,
        /// Which table.
        table: &'static str,
        /// The index it names.
        index: u64,
        /// The table's length.
        len: usize,
    },
}

impl AggregationError {
    /// The cause's name, as the ledger counts unreadable records by it.
    pub fn cause(&self) -> &'static str {
        match self {
            AggregationError::NoMagic => "AggregateNoMagic",
            AggregationError::Truncated(_) => "AggregateTruncated",
            AggregationError::BadDigest => "AggregateBadDigest",
            AggregationError::BadMessage(_) => "AggregateBadMessage",
            AggregationError::BadKeyIndex { .. } => "AggregateBadKeyIndex",
        }
    }
}

/// Whether `bytes` starts as an aggregate does.
pub fn is_aggregated(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn digest(message: &[u8]) -> [u8; DIGEST_BYTES] {
    Md5::digest(message).into()
}

/// The user records of the aggregate `bytes`, in order.
pub fn decode(bytes: &[u8]) -> Result<Vec<UserRecord>, AggregationError> {
    if bytes.len() < MAGIC.len() {
        return Err(AggregationError::Truncated(bytes.len()));
    }
    if !is_aggregated(bytes) {
        return Err(AggregationError::NoMagic);
    }
    if bytes.len() < MAGIC.len() + DIGEST_BYTES {
        return Err(AggregationError::Truncated(bytes.len()));
    }
    let (message, sum) = bytes[MAGIC.len()..].split_at(bytes.len() - MAGIC.len() - DIGEST_BYTES);
    if digest(message) != sum {
        return Err(AggregationError::BadDigest);
    }
    let ar = AggregatedRecord::decode(message)
        .map_err(|e| AggregationError::BadMessage(e.to_string()))?;
    let key = |table: &'static str, keys: &[String], record: usize, index: u64| {
        usize::try_from(index)
            .ok()
            .and_then(|i| keys.get(i))
            .cloned()
            .ok_or(AggregationError::BadKeyIndex {
                record,
                table,
                index,
                len: keys.len(),
            })
    };
    ar.records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(UserRecord {
                partition_key: key(
                    "partition",
                    &ar.partition_key_table,
                    i,
                    r.partition_key_index,
                )?,
                explicit_hash_key: r
                    .explicit_hash_key_index
                    .map(|x| key("explicit hash", &ar.explicit_hash_key_table, i, x))
                    .transpose()?,
                data: r.data,
            })
        })
        .collect()
}

/// Bytes a length-delimited field of `len` bytes takes, its one-byte key included (every tag
/// here is below 16).
fn field_len(len: usize) -> usize {
    1 + prost::encoding::encoded_len_varint(len as u64) + len
}

/// Packs user records into aggregates of at most `max_bytes` (magic and digest included) and
/// `max_records`, as the KPL does; each key is written once per aggregate.
#[derive(Debug, Clone)]
pub struct Aggregator {
    max_bytes: usize,
    max_records: usize,
    current: AggregatedRecord,
    /// The message's encoded length so far (kept exact, field by field).
    message_len: usize,
}

impl Aggregator {
    /// An aggregator with the KPL's limits ([`DEFAULT_MAX_BYTES`], [`DEFAULT_MAX_RECORDS`]).
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS)
    }

    /// An aggregator of at most `max_bytes` and `max_records` (each at least 1).
    pub fn with_limits(max_bytes: usize, max_records: usize) -> Self {
        Self {
            max_bytes: max_bytes.max(1),
            max_records: max_records.max(1),
            current: AggregatedRecord::default(),
            message_len: 0,
        }
    }

    /// User records waiting in the current aggregate.
    pub fn len(&self) -> usize {
        self.current.records.len()
    }

    /// Whether no user record is waiting.
    pub fn is_empty(&self) -> bool {
        self.current.records.is_empty()
    }

    /// The current aggregate's size as [`Aggregator::flush`] would write it, bytes.
    pub fn size_bytes(&self) -> usize {
        MAGIC.len() + self.message_len + DIGEST_BYTES
    }

    /// Bytes `record` would add to the current aggregate.
    fn growth(&self, record: &UserRecord) -> (usize, Record, bool, Option<bool>) {
        let table = &self.current.partition_key_table;
        let (pk_index, pk_new) = match table.iter().position(|k| *k == record.partition_key) {
            Some(i) => (i, false),
            None => (table.len(), true),
        };
        let ehk = record.explicit_hash_key.as_ref().map(|e| {
            let t = &self.current.explicit_hash_key_table;
            match t.iter().position(|k| k == e) {
                Some(i) => (i, false),
                None => (t.len(), true),
            }
        });
        let r = Record {
            partition_key_index: pk_index as u64,
            explicit_hash_key_index: ehk.map(|(i, _)| i as u64),
            data: record.data.clone(),
            tags: Vec::new(),
        };
        let mut grow = field_len(r.encoded_len());
        if pk_new {
            grow += field_len(record.partition_key.len());
        }
        if let (Some((_, true)), Some(e)) = (ehk, &record.explicit_hash_key) {
            grow += field_len(e.len());
        }
        (grow, r, pk_new, ehk.map(|(_, new)| new))
    }

    /// Add `record`. When it does not fit the current aggregate (by bytes or count), the
    /// current one is returned, finished, and `record` starts the next. A record too big for
    /// any aggregate is still put in one of its own (the caller's record limit applies).
    pub fn add(&mut self, record: UserRecord) -> Option<Vec<u8>> {
        let (grow, _, _, _) = self.growth(&record);
        let full = !self.is_empty()
            && (self.size_bytes() + grow > self.max_bytes || self.len() >= self.max_records);
        let done = if full { self.flush() } else { None };
        let (grow, r, pk_new, ehk_new) = self.growth(&record);
        if pk_new {
            self.current.partition_key_table.push(record.partition_key);
        }
        if let (Some(true), Some(e)) = (ehk_new, record.explicit_hash_key) {
            self.current.explicit_hash_key_table.push(e);
        }
        self.current.records.push(r);
        self.message_len += grow;
        done
    }

    /// The current aggregate, finished (magic, message, digest), and a fresh one begun; `None`
    /// when nothing is waiting.
    pub fn flush(&mut self) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let ar = std::mem::take(&mut self.current);
        self.message_len = 0;
        let message = ar.encode_to_vec();
        let mut out = Vec::with_capacity(MAGIC.len() + message.len() + DIGEST_BYTES);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&message);
        out.extend_from_slice(&digest(&message));
        Some(out)
    }
}

impl Default for Aggregator {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(pk: &str, data: &[u8]) -> UserRecord {
        UserRecord {
            partition_key: pk.to_owned(),
            explicit_hash_key: None,
            data: data.to_vec(),
        }
    }

    #[test]
    fn an_aggregate_by_hand() {
        // Two records under one key: "pk" once in the table.
        let mut a = Aggregator::new();
        assert!(a.add(user("pk", b"ab")).is_none());
        assert!(a.add(user("pk", b"")).is_none());
        let bytes = a.flush().expect("two records");
        // message: table entry 0A 02 'p' 'k' (4 bytes);
        //   record 1: 1A 06 [08 00 | 1A 02 'a' 'b'] (8 bytes)
        //   record 2: 1A 04 [08 00 | 1A 00] (6 bytes): the required index 0 and empty data
        //   are written, as proto2 requires.
        let message = [
            0x0A, 0x02, b'p', b'k', 0x1A, 0x06, 0x08, 0x00, 0x1A, 0x02, b'a', b'b', 0x1A, 0x04,
            0x08, 0x00, 0x1A, 0x00,
        ];
        assert_eq!(&bytes[..4], &MAGIC);
        assert_eq!(&bytes[4..bytes.len() - 16], &message);
        assert_eq!(&bytes[bytes.len() - 16..], &digest(&message));
        assert_eq!(bytes.len(), 4 + 18 + 16);
        assert_eq!(
            decode(&bytes).unwrap(),
            vec![user("pk", b"ab"), user("pk", b"")]
        );
        assert!(a.flush().is_none(), "nothing left");
    }

    #[test]
    fn size_is_exact_and_the_limit_is_kept() {
        let mut a = Aggregator::with_limits(200, usize::MAX);
        let mut out = Vec::new();
        for i in 0..50u32 {
            let predicted = {
                let mut b = a.clone();
                b.add(user(&format!("pk-{}", i % 7), &[i as u8; 20]));
                b.size_bytes()
            };
            if let Some(done) = a.add(user(&format!("pk-{}", i % 7), &[i as u8; 20])) {
                assert!(done.len() <= 200, "{}", done.len());
                out.push(done);
            } else {
                assert_eq!(a.size_bytes(), predicted);
            }
            // The running size is the encoded size.
            let finished = a.clone().flush().unwrap();
            assert_eq!(finished.len(), a.size_bytes());
        }
        out.extend(a.flush());
        let records: Vec<UserRecord> = out.iter().flat_map(|b| decode(b).unwrap()).collect();
        assert_eq!(records.len(), 50);
        assert!(records.iter().enumerate().all(
            |(i, r)| r.data == vec![i as u8; 20] && r.partition_key == format!("pk-{}", i % 7)
        ));
        // And a count limit.
        let mut a = Aggregator::with_limits(DEFAULT_MAX_BYTES, 3);
        let done: Vec<_> = (0..7).filter_map(|i| a.add(user("k", &[i]))).collect();
        assert_eq!(done.len(), 2);
        assert_eq!(decode(&done[0]).unwrap().len(), 3);
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        let mut a = Aggregator::new();
        a.add(UserRecord {
            explicit_hash_key: Some("123".to_owned()),
            ..user("pk", b"data")
        });
        let good = a.flush().unwrap();
        assert_eq!(
            decode(&good).unwrap()[0].explicit_hash_key.as_deref(),
            Some("123")
        );
        let cause = |b: &[u8]| decode(b).unwrap_err().cause();
        assert_eq!(cause(b"plain record"), "AggregateNoMagic");
        assert_eq!(cause(&MAGIC[..2]), "AggregateTruncated");
        assert_eq!(cause(&good[..10]), "AggregateTruncated");
        let mut flipped = good.clone();
        flipped[6] ^= 1;
        assert_eq!(cause(&flipped), "AggregateBadDigest");
        // A message that is not an AggregatedRecord, with a digest that matches it.
        let junk = [0xFF, 0xFF, 0xFF];
        let mut bad = MAGIC.to_vec();
        bad.extend_from_slice(&junk);
        bad.extend_from_slice(&digest(&junk));
        assert_eq!(cause(&bad), "AggregateBadMessage");
        // A record naming a key the table lacks.
        let ar = AggregatedRecord {
            partition_key_table: vec!["a".into()],
            explicit_hash_key_table: Vec::new(),
            records: vec![Record {
                partition_key_index: 3,
                explicit_hash_key_index: None,
                data: vec![1],
                tags: Vec::new(),
            }],
        };
        let m = ar.encode_to_vec();
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&m);
        b.extend_from_slice(&digest(&m));
        assert_eq!(cause(&b), "AggregateBadKeyIndex");
    }
}
