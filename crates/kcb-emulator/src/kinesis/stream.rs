//! A stream's shards, their hash-key ranges, stored records and sequence numbers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};

use crate::bucket::TokenBucket;

/// Per-shard limits (developer guide, quotas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShardLimits {
    /// Write bytes per second (1 MiB on AWS).
    pub write_bytes_per_sec: f64,
    /// Write records per second (1,000 on AWS).
    pub write_records_per_sec: f64,
    /// Read bytes per second (2 MiB on AWS).
    pub read_bytes_per_sec: f64,
    /// GetRecords calls per second (5 on AWS).
    pub read_calls_per_sec: f64,
}

impl Default for ShardLimits {
    fn default() -> Self {
        Self {
            write_bytes_per_sec: 1024.0 * 1024.0,
            write_records_per_sec: 1000.0,
            read_bytes_per_sec: 2.0 * 1024.0 * 1024.0,
            read_calls_per_sec: 5.0,
        }
    }
}

/// An SSE data key as the stream holds it: the blob is stored with each record it sealed.
#[derive(Debug)]
pub struct SealedWith {
    /// CiphertextBlob of the data key.
    pub blob: Vec<u8>,
    /// ARN of the KMS key.
    pub key_arn: String,
}

/// A record's stored body.
#[derive(Debug, Clone)]
pub enum Body {
    /// Written while the stream was unencrypted.
    Plain(Bytes),
    /// Written under SSE-KMS: AES-256-GCM under a data key.
    Sealed {
        /// The data key's blob and KMS key.
        key: Arc<SealedWith>,
        /// GCM nonce.
        nonce: [u8; 12],
        /// Ciphertext and tag.
        ciphertext: Bytes,
    },
}

/// One stored record.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// Sequence number.
    pub sequence: String,
    /// Partition key.
    pub partition_key: String,
    /// Arrival time (since the epoch).
    pub arrival: Duration,
    /// Data bytes as the producer sent them (before SSE).
    pub data_len: usize,
    /// Stored body.
    pub body: Body,
}

/// One shard.
#[derive(Debug)]
pub struct Shard {
    /// `shardId-000000000000`.
    pub id: String,
    /// First hash key (inclusive).
    pub start_hash: u128,
    /// Last hash key (inclusive).
    pub end_hash: u128,
    /// Records in sequence order, from position `base` on (earlier ones were trimmed).
    records: std::collections::VecDeque<StoredRecord>,
    /// The position (0-based, as sequence numbers count) of `records[0]`.
    base: usize,
    /// The shard it was split from, or the first of the two it was merged from.
    pub parent: Option<String>,
    /// The second shard it was merged from.
    pub adjacent_parent: Option<String>,
    /// Closed by a reshard: it takes no more records, and its records stay readable.
    pub closed: bool,
    index: usize,
    pub(crate) write_bytes: TokenBucket,
    pub(crate) write_records: TokenBucket,
    pub(crate) read_bytes: TokenBucket,
    pub(crate) read_calls: TokenBucket,
}

/// Sequence number of the `n`th record (0-based) of shard `index`: 56 decimal digits, strictly
/// increasing within a shard.
pub fn sequence_number(index: usize, n: usize) -> String {
    format!("49{:04}{:050}", index, n + 1)
}

/// Parse a sequence number into (shard index, record position).
pub fn parse_sequence(seq: &str) -> Option<(usize, usize)> {
    if seq.len() != 56 || !seq.starts_with("49") || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index = seq[2..6].parse().ok()?;
    let n: usize = seq[6..].parse().ok()?;
    Some((index, n.checked_sub(1)?))
}

/// The 128-bit hash key of a partition key (MD5, big-endian), as Kinesis computes it.
pub fn hash_key(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    u128::from_be_bytes(digest.into())
}

impl Shard {
    pub(crate) fn new(index: usize, start_hash: u128, end_hash: u128, limits: ShardLimits) -> Self {
        Self {
            id: format!("shardId-{index:012}"),
            start_hash,
            end_hash,
            records: std::collections::VecDeque::new(),
            base: 0,
            parent: None,
            adjacent_parent: None,
            closed: false,
            index,
            write_bytes: TokenBucket::per_second(limits.write_bytes_per_sec),
            write_records: TokenBucket::per_second(limits.write_records_per_sec),
            read_bytes: TokenBucket::per_second(limits.read_bytes_per_sec),
            read_calls: TokenBucket::per_second(limits.read_calls_per_sec),
        }
    }

    /// Position of the shard in its stream.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The limits in force.
    pub fn limits(&self) -> ShardLimits {
        ShardLimits {
            write_bytes_per_sec: self.write_bytes.rate_per_sec(),
            write_records_per_sec: self.write_records.rate_per_sec(),
            read_bytes_per_sec: self.read_bytes.rate_per_sec(),
            read_calls_per_sec: self.read_calls.rate_per_sec(),
        }
    }

    /// Apply new limits.
    pub fn set_limits(&mut self, l: ShardLimits) {
        self.write_bytes.set_rate(l.write_bytes_per_sec);
        self.write_records.set_rate(l.write_records_per_sec);
        self.read_bytes.set_rate(l.read_bytes_per_sec);
        self.read_calls.set_rate(l.read_calls_per_sec);
    }

    /// Take write capacity for one record of `bytes`, or refuse.
    pub fn admit_write(&mut self, bytes: usize, now: Duration) -> bool {
        let bytes_ok = self.write_bytes.has_tokens(now);
        let records_ok = self.write_records.has_tokens(now);
        if !(bytes_ok && records_ok) {
            return false;
        }
        self.write_bytes.take_with_debt(bytes as f64, now);
        self.write_records.take_with_debt(1.0, now);
        true
    }

    /// Append a record; returns its sequence number.
    pub fn append(
        &mut self,
        partition_key: String,
        data_len: usize,
        body: Body,
        now: Duration,
    ) -> String {
        let sequence = sequence_number(self.index, self.end_position());
        self.records.push_back(StoredRecord {
            sequence: sequence.clone(),
            partition_key,
            arrival: now,
            data_len,
            body,
        });
        sequence
    }

    /// Sequence number of the first record the shard could hold.
    pub fn starting_sequence(&self) -> String {
        sequence_number(self.index, 0)
    }

    /// The position the next record appended takes (every record ever appended, trimmed ones
    /// included).
    pub fn end_position(&self) -> usize {
        self.base + self.records.len()
    }

    /// The oldest position still stored (the trim horizon).
    pub fn start_position(&self) -> usize {
        self.base
    }

    /// Records stored from position `at` on (from the trim horizon if `at` was trimmed).
    pub fn records_from(&self, at: usize) -> impl Iterator<Item = &StoredRecord> {
        self.records
            .range(at.saturating_sub(self.base).min(self.records.len())..)
    }

    /// The first position whose record arrived at or after `t` (or the end).
    pub fn position_at(&self, t: Duration) -> usize {
        self.base + self.records.partition_point(|r| r.arrival < t)
    }

    /// The newest record stored.
    pub fn last_record(&self) -> Option<&StoredRecord> {
        self.records.back()
    }

    /// Records stored now.
    pub fn stored(&self) -> usize {
        self.records.len()
    }

    /// Drop the records before position `at`, and those that arrived before `cutoff` (the
    /// retention period); returns how many went.
    pub fn trim(&mut self, at: usize, cutoff: Duration) -> usize {
        let mut n = 0;
        while let Some(r) = self.records.front() {
            if self.base >= at && r.arrival >= cutoff {
                break;
            }
            self.records.pop_front();
            self.base += 1;
            n += 1;
        }
        n
    }

    /// Close the shard (a reshard made children of it).
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// The last sequence number a closed shard holds (its starting one if it holds none).
    pub fn ending_sequence(&self) -> Option<String> {
        self.closed.then(|| match self.end_position() {
            0 => self.starting_sequence(),
            n => sequence_number(self.index, n - 1),
        })
    }
}

/// Split the 128-bit hash space evenly across `n` shards.
pub fn make_shards(n: usize, limits: ShardLimits) -> Vec<Shard> {
    let n = n.max(1) as u128;
    let width = u128::MAX / n;
    (0..n)
        .map(|i| {
            let start = i * width;
            let end = if i == n - 1 {
                u128::MAX
            } else {
                (i + 1) * width - 1
            };
            Shard::new(i as usize, start, end, limits)
        })
        .collect()
}

/// The open shard whose range holds `hash`.
pub fn shard_for(shards: &[Shard], hash: u128) -> usize {
    shards
        .iter()
        .position(|s| !s.closed && s.start_hash <= hash && hash <= s.end_hash)
        .unwrap_or(shards.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_hash_space_without_gaps() {
        for n in 1..9 {
            let shards = make_shards(n, ShardLimits::default());
            assert_eq!(shards[0].start_hash, 0);
            assert_eq!(shards[n - 1].end_hash, u128::MAX);
            for w in shards.windows(2) {
                assert_eq!(w[0].end_hash + 1, w[1].start_hash);
            }
        }
    }

    #[test]
    fn md5_hash_key_matches_known_value() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key(""), 0xd41d8cd98f00b204e9800998ecf8427e);
    }

    #[test]
    fn sequence_numbers_increase_and_parse() {
        let a = sequence_number(3, 9);
        let b = sequence_number(3, 10);
        assert!(a < b);
        assert_eq!(a.len(), 56);
        assert_eq!(parse_sequence(&b), Some((3, 10)));
        assert_eq!(parse_sequence("garbage"), None);
    }
}
