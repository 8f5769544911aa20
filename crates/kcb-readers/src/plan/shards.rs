//! Record size after a path's measured inflation, whether it fits, and the shards a rate needs.
//!
//! Limits from shared/reference/kinesis-kms-facts.md ("Kinesis Data Streams: limits"): a shard
//! takes 1 MB/s or 1,000 records/s of writes and gives 2 MB/s of reads; a record holds at most
//! 1 MiB. The plan counts a megabyte as a MiB (1,048,576 bytes), as the embedded service does.

use serde::Serialize;

use crate::result::{PathResult, KINESIS_MAX_RECORD_BYTES};

/// Bytes a shard accepts per second: 1 MiB.
pub const SHARD_WRITE_BYTES_PER_SEC: f64 = 1_048_576.0;
/// Records a shard accepts per second.
pub const SHARD_WRITE_RECORDS_PER_SEC: f64 = 1_000.0;
/// Bytes a shard serves per second to all its readers together: 2 MiB.
pub const SHARD_READ_BYTES_PER_SEC: f64 = 2_097_152.0;
/// GetRecords calls a shard serves per second to all its readers together.
pub const SHARD_READ_CALLS_PER_SEC: u32 = 5;
/// Shard count past which the plan advises a quota increase. Kinesis's per-account shard quota
/// is not in the facts file; 500 is the figure AWS gives for its largest regions (others have
/// fewer): check the account's Service Quotas.
pub const SHARDS_ADVICE_LIMIT: u64 = 500;

/// Where the record size at the planned plaintext size came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RecordBasis {
    /// The run measured records of exactly this plaintext size (`inflation.by_size`).
    MeasuredAtSize,
    /// The planned size plus the path's mean measured overhead (`inflation.overhead_bytes`),
    /// rounded up to a whole byte.
    MeanOverhead {
        /// Mean bytes the path added per record, as measured.
        overhead_bytes: f64,
    },
}

/// One record at the planned size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSize {
    /// Plaintext bytes per record (the plan's input).
    pub plaintext_bytes: u64,
    /// Bytes of the record's data blob after the path's inflation.
    pub record_bytes: u64,
    /// How `record_bytes` was found.
    pub basis: RecordBasis,
    /// Largest plaintext whose record still fits 1 MiB (partition key included), as measured.
    pub max_plaintext_that_fits: u64,
    /// Whether a record of `plaintext_bytes` fits: `plaintext_bytes <= max_plaintext_that_fits`
    /// (or `record_bytes <= 1 MiB` when the run did not measure the largest fit).
    pub fits: bool,
}

/// Shards one path needs at the planned rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shards {
    /// Bytes written per second: records/s × record bytes.
    pub write_bytes_per_sec: f64,
    /// Bytes read per second by all consumers together: consumers × write bytes.
    pub read_bytes_per_sec: f64,
    /// ceil(write bytes/s / 1 MiB).
    pub for_write_bytes: u64,
    /// ceil(records/s / 1,000).
    pub for_write_records: u64,
    /// ceil(read bytes/s / 2 MiB).
    pub for_read_bytes: u64,
    /// The largest of the three, at least 1.
    pub needed: u64,
}

/// The record size of `path` at `plaintext_bytes`.
pub fn record_size(path: &PathResult, plaintext_bytes: u64) -> RecordSize {
    let infl = &path.inflation;
    let (record_bytes, basis) = match infl
        .by_size
        .iter()
        .find(|s| s.plaintext_bytes == plaintext_bytes)
    {
        Some(s) => (s.record_bytes, RecordBasis::MeasuredAtSize),
        None => {
            let overhead = if infl.overhead_bytes.is_finite() {
                infl.overhead_bytes
            } else {
                0.0
            };
            let bytes = (plaintext_bytes as f64 + overhead).ceil().max(0.0);
            (
                bytes as u64,
                RecordBasis::MeanOverhead {
                    overhead_bytes: overhead,
                },
            )
        }
    };
    let fits = if infl.max_plaintext_that_fits > 0 {
        plaintext_bytes <= infl.max_plaintext_that_fits
    } else {
        record_bytes <= KINESIS_MAX_RECORD_BYTES
    };
    RecordSize {
        plaintext_bytes,
        record_bytes,
        basis,
        max_plaintext_that_fits: infl.max_plaintext_that_fits,
        fits,
    }
}

/// Shards for `records_per_sec` records of `record_bytes` read by `consumers` consumers.
pub fn shards(records_per_sec: f64, record_bytes: u64, consumers: u32) -> Shards {
    let write = records_per_sec * record_bytes as f64;
    let read = write * f64::from(consumers);
    let for_write_bytes = ceil_div(write, SHARD_WRITE_BYTES_PER_SEC);
    let for_write_records = ceil_div(records_per_sec, SHARD_WRITE_RECORDS_PER_SEC);
    let for_read_bytes = ceil_div(read, SHARD_READ_BYTES_PER_SEC);
    Shards {
        write_bytes_per_sec: write,
        read_bytes_per_sec: read,
        for_write_bytes,
        for_write_records,
        for_read_bytes,
        needed: for_write_bytes
            .max(for_write_records)
            .max(for_read_bytes)
            .max(1),
    }
}

/// ceil(x / per), forgiving a rounding error of a billionth of a shard (so 2,000/1,000 is 2).
fn ceil_div(x: f64, per: f64) -> u64 {
    if !(x.is_finite() && per > 0.0) || x <= 0.0 {
        return 0;
    }
    (x / per - 1e-9).ceil().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::SizeInflation;

    fn path_with(overhead: f64, sizes: &[(u64, u64)], max_fit: u64) -> PathResult {
        let mut p = crate::result::sample_run_result().paths[1].clone();
        p.inflation.overhead_bytes = overhead;
        p.inflation.max_plaintext_that_fits = max_fit;
        p.inflation.by_size = sizes
            .iter()
            .map(|(pt, r)| SizeInflation::new(*pt, *r, 0))
            .collect();
        p
    }

    #[test]
    fn record_size_prefers_the_size_measured() {
        // Measured at 1,024 B: 1,333 B on the record (309 B of envelope overhead).
        let p = path_with(309.0, &[(1_024, 1_333)], 1_048_262);
        let r = record_size(&p, 1_024);
        assert_eq!(r.record_bytes, 1_333);
        assert_eq!(r.basis, RecordBasis::MeasuredAtSize);
        assert!(r.fits);
        // Not measured at 4,096 B: 4,096 + 309 = 4,405 B.
        let r = record_size(&p, 4_096);
        assert_eq!(r.record_bytes, 4_405);
        assert_eq!(
            r.basis,
            RecordBasis::MeanOverhead {
                overhead_bytes: 309.0
            }
        );
        // A fractional mean rounds up: 100 + 12.25 = 112.25 -> 113 B.
        let p = path_with(12.25, &[], 0);
        assert_eq!(record_size(&p, 100).record_bytes, 113);
    }

    #[test]
    fn fit_uses_the_measured_largest_plaintext() {
        // 1 MiB - 309 B overhead - 5 B partition key = 1,048,262 B fits; one byte more does not.
        let p = path_with(309.0, &[], 1_048_262);
        assert!(record_size(&p, 1_048_262).fits);
        assert!(!record_size(&p, 1_048_263).fits);
        // No measured largest fit: the record itself against 1 MiB (1,048,576 - 309 = 1,048,267).
        let p = path_with(309.0, &[], 0);
        assert!(record_size(&p, 1_048_267).fits);
        assert!(!record_size(&p, 1_048_268).fits);
    }

    #[test]
    fn shards_by_hand() {
        // 5,000 records/s of 1,333 B, 2 consumers:
        //   write 5,000 × 1,333 = 6,665,000 B/s; / 1,048,576 = 6.356 -> 7 shards
        //   records 5,000 / 1,000 = 5 shards
        //   read 2 × 6,665,000 = 13,330,000 B/s; / 2,097,152 = 6.356 -> 7 shards
        let s = shards(5_000.0, 1_333, 2);
        assert_eq!(s.write_bytes_per_sec, 6_665_000.0);
        assert_eq!(s.read_bytes_per_sec, 13_330_000.0);
        assert_eq!(
            (
                s.for_write_bytes,
                s.for_write_records,
                s.for_read_bytes,
                s.needed
            ),
            (7, 5, 7, 7)
        );
        // 2,000 records/s of 100 B, 1 consumer: records bind, exactly 2 shards.
        //   write 200,000 B/s -> 1; records 2,000 / 1,000 = 2; read 200,000 / 2 MiB -> 1
        let s = shards(2_000.0, 100, 1);
        assert_eq!(
            (
                s.for_write_bytes,
                s.for_write_records,
                s.for_read_bytes,
                s.needed
            ),
            (1, 2, 1, 2)
        );
        // 100 records/s of 1,000 B read by 50 consumers: reads bind.
        //   write 100,000 B/s -> 1; records -> 1; read 5,000,000 / 2,097,152 = 2.38 -> 3
        let s = shards(100.0, 1_000, 50);
        assert_eq!((s.for_read_bytes, s.needed), (3, 3));
        // Exactly 1 MiB/s is one shard, a byte more is two.
        assert_eq!(shards(1.0, 1_048_576, 1).for_write_bytes, 1);
        assert_eq!(shards(1.0, 1_048_577, 1).for_write_bytes, 2);
        // Nothing to carry still needs one shard.
        assert_eq!(shards(0.0, 0, 1).needed, 1);
    }
}
