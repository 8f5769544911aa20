//! A Firehose path at the planned load: delivery streams its direct-put quotas need (records,
//! bytes and PutRecordBatch calls a second per stream, by region), and objects a second at its
//! buffering hints (what the destination's per-object KMS calls follow).

use serde::Serialize;

use crate::result::{PathResult, PathSettings};

/// PutRecordBatch's limits: records and bytes a call.
const BATCH_RECORDS: f64 = 500.0;
const BATCH_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// What one Firehose path needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryStreams {
    /// Region whose default quotas apply (`default` when none was given: the lower quotas).
    pub quota_region: String,
    /// Per stream: records, bytes and calls a second.
    pub quota_records_per_sec: f64,
    /// Bytes a second a stream takes.
    pub quota_bytes_per_sec: f64,
    /// PutRecordBatch calls a second a stream takes.
    pub quota_calls_per_sec: f64,
    /// PutRecordBatch calls a second at the load, full batches.
    pub calls_per_sec: f64,
    /// Streams for the records, the bytes and the calls.
    pub for_records: u64,
    /// Streams for the bytes.
    pub for_bytes: u64,
    /// Streams for the calls.
    pub for_calls: u64,
    /// Delivery streams needed (or a quota increase).
    pub needed: u64,
    /// Objects a second each stream delivers at its buffering hints.
    pub objects_per_sec_per_stream: f64,
}

/// AWS's default direct-put quotas in `region`: (records, bytes, calls) a second.
pub fn quotas(region: Option<&str>) -> (f64, f64, f64) {
    match region {
        Some("us-east-1" | "us-west-2" | "eu-west-1") => {
            (500_000.0, 5.0 * 1024.0 * 1024.0, 2_000.0)
        }
        _ => (100_000.0, 1024.0 * 1024.0, 1_000.0),
    }
}

fn ceil(x: f64, per: f64) -> u64 {
    if !(x.is_finite() && per > 0.0) || x <= 0.0 {
        return 0;
    }
    (x / per - 1e-9).ceil().max(0.0) as u64
}

/// The plan for a Firehose path at `records_per_sec` records of `record_bytes`; `None` for the
/// other kinds.
pub fn delivery_streams(
    path: &PathResult,
    region: Option<&str>,
    records_per_sec: f64,
    record_bytes: u64,
) -> Option<DeliveryStreams> {
    let PathSettings::Firehose(f) = &path.settings else {
        return None;
    };
    let (q_records, q_bytes, q_calls) = quotas(region);
    let bytes = records_per_sec * record_bytes as f64;
    let per_call = BATCH_RECORDS.min((BATCH_BYTES / record_bytes.max(1) as f64).floor().max(1.0));
    let calls = records_per_sec / per_call;
    let (for_records, for_bytes, for_calls) = (
        ceil(records_per_sec, q_records),
        ceil(bytes, q_bytes),
        ceil(calls, q_calls),
    );
    let needed = for_records.max(for_bytes).max(for_calls).max(1);
    let per_stream_bytes = bytes / needed as f64;
    let fill = f64::from(f.buffer_size_mib) * 1024.0 * 1024.0 / per_stream_bytes.max(1e-9);
    let secs = if f.buffer_interval_secs > 0.0 {
        f.buffer_interval_secs.min(fill)
    } else {
        fill
    };
    Some(DeliveryStreams {
        quota_region: region.unwrap_or("default").to_string(),
        quota_records_per_sec: q_records,
        quota_bytes_per_sec: q_bytes,
        quota_calls_per_sec: q_calls,
        calls_per_sec: calls,
        for_records,
        for_bytes,
        for_calls,
        needed,
        objects_per_sec_per_stream: if secs > 0.0 { 1.0 / secs } else { 0.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_aws_defaults_by_region() {
        assert_eq!(quotas(Some("us-east-1")).1, 5.0 * 1024.0 * 1024.0);
        assert_eq!(
            quotas(Some("ap-south-1")),
            (100_000.0, 1_048_576.0, 1_000.0)
        );
        assert_eq!(ceil(10.0 * 1_048_576.0, 5.0 * 1_048_576.0), 2);
        assert_eq!(ceil(10.5 * 1_048_576.0, 5.0 * 1_048_576.0), 3);
    }
}
