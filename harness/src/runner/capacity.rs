//! Capacity checked before the load: what the scenario asks of each stream, each Firehose
//! stream and KMS, against their limits. A scenario that will be throttled says so before the
//! first request, naming the numbers (`run --strict` refuses it instead), so a throttled run
//! is never read as the cost of encryption.
//!
//! Each path's records are its rate, their size what the path will put: the scenario's size
//! drawn for the first records of the schedule (the draw the producers make), sealed by the
//! path's format arithmetic (an envelope path's data key taken at KMS's sizes, within a few
//! bytes of the run's), plus the partition key. A stream's busiest shard is found by hashing the
//! run's partition keys into the even split of the hash space a new stream has, as Kinesis does.

use crate::plan::firehose::quotas as firehose_quotas;
use crate::plan::kms::region_quota;
use crate::plan::shards::{SHARD_WRITE_BYTES_PER_SEC, SHARD_WRITE_RECORDS_PER_SEC};
use crate::scenario::{PathSpec, Protection, PutApi, Scenario};
use crate::workload::sizes;

/// How many of the schedule's first records the mean size is taken over.
const SIZE_SAMPLE: u64 = 2_000;

/// What one path asks of its destination.
#[derive(Debug, Clone, PartialEq)]
struct Demand {
    /// Records a second.
    records_per_sec: f64,
    /// Mean bytes a record counts against a stream's limit (data blob + partition key).
    record_bytes: f64,
}

/// Every limit the scenario's rates pass, in words with their numbers; `region` is the one the
/// run goes to (AWS's quotas differ by region), `embedded` whether it is the embedded service
/// (whose KMS quota is the scenario's `[kms] quota_per_sec`).
pub fn check(scenario: &Scenario, region: &str, embedded: bool) -> Vec<String> {
    let mut out = Vec::new();
    for spec in &scenario.paths {
        let d = demand(scenario, spec);
        match &spec.protection {
            Protection::Firehose(_) => out.extend(firehose(scenario, spec, &d, region)),
            _ if spec.stream.is_some() => {} // an existing stream: its shards are its own
            _ => out.extend(stream(scenario, spec, &d)),
        }
    }
    out.extend(kms(scenario, region, embedded));
    out
}

/// The path's rate and the mean size of what it will put.
fn demand(scenario: &Scenario, spec: &PathSpec) -> Demand {
    let label = sizes::size_label(&spec.name);
    let keys = u64::from(scenario.workload.partition_keys.max(1));
    let total: u64 = (0..SIZE_SAMPLE)
        .map(|id| {
            let size = sizes::size_of(&scenario.workload.record_size, scenario.seed, &label, id);
            let key = format!("pk-{}", id % keys).len() as u64;
            crate::path::estimated_record_len(spec, size as u64) + key
        })
        .sum();
    Demand {
        records_per_sec: scenario.rate_of(spec),
        record_bytes: total as f64 / SIZE_SAMPLE as f64,
    }
}

/// The share of the records the busiest of `shards` takes when `keys` partition keys
/// (`pk-0` ..) are used in turn: each key's MD5 hash placed in the even split of the hash
/// space.
pub fn busiest_share(keys: u32, shards: u32) -> f64 {
    let shards = u128::from(shards.max(1));
    let width = u128::MAX / shards;
    let mut counts = vec![0u64; shards as usize];
    for k in 0..keys.max(1) {
        let hash = crate::emulator::kinesis::stream::hash_key(&format!("pk-{k}"));
        let i = (hash / width).min(shards - 1) as usize;
        counts[i] += 1;
    }
    counts.iter().copied().max().unwrap_or(0) as f64 / f64::from(keys.max(1))
}

/// A provisioned or on-demand stream: its busiest shard against a shard's write limits.
fn stream(scenario: &Scenario, spec: &PathSpec, d: &Demand) -> Vec<String> {
    let shards = scenario.stream.shards;
    let keys = scenario.workload.partition_keys;
    let share = busiest_share(keys, shards);
    let (records, bytes) = (
        d.records_per_sec * share,
        d.records_per_sec * share * d.record_bytes,
    );
    let mut over = Vec::new();
    if records > SHARD_WRITE_RECORDS_PER_SEC {
        over.push(format!(
            "{} records/s, {:.1}x a shard's {} records/s",
            num(records),
            records / SHARD_WRITE_RECORDS_PER_SEC,
            num(SHARD_WRITE_RECORDS_PER_SEC)
        ));
    }
    if bytes > SHARD_WRITE_BYTES_PER_SEC {
        over.push(format!(
            "{}/s, {:.1}x a shard's {}/s",
            crate::format::binary_bytes(bytes as u64),
            bytes / SHARD_WRITE_BYTES_PER_SEC,
            crate::format::binary_bytes(SHARD_WRITE_BYTES_PER_SEC as u64)
        ));
    }
    if over.is_empty() {
        return Vec::new();
    }
    let even = (d.records_per_sec / SHARD_WRITE_RECORDS_PER_SEC)
        .max(d.records_per_sec * d.record_bytes / SHARD_WRITE_BYTES_PER_SEC)
        .ceil();
    vec![format!(
        "path {}: {} records/s of {} on average on {shards} shard{} with {keys} partition key{}: the busiest shard takes {} of the records ({}); expect ProvisionedThroughputExceeded. An even spread needs at least {} shards ([stream] shards), and as many partition keys or more",
        spec.name,
        num(d.records_per_sec),
        crate::format::bytes(d.record_bytes.round() as u64),
        if shards == 1 { "" } else { "s" },
        if keys == 1 { "" } else { "s" },
        crate::format::percent(share),
        over.join("; "),
        num(even),
    )]
}

/// A Firehose path: AWS's direct-put quotas of one Firehose stream in `region`.
fn firehose(scenario: &Scenario, spec: &PathSpec, d: &Demand, region: &str) -> Vec<String> {
    let (records_quota, bytes_quota, calls_quota) = firehose_quotas(Some(region));
    let calls = match &scenario.workload.api {
        PutApi::PutRecord => d.records_per_sec,
        PutApi::PutRecords {
            max_records,
            linger,
            ..
        } => {
            let per_call =
                (d.records_per_sec * linger.as_secs_f64()).clamp(1.0, f64::from(*max_records));
            d.records_per_sec / per_call
        }
    };
    let bytes = d.records_per_sec * d.record_bytes;
    let mut over = Vec::new();
    for (what, asked, quota, unit) in [
        ("records", d.records_per_sec, records_quota, "records/s"),
        ("calls", calls, calls_quota, "calls/s"),
    ] {
        if asked > quota {
            over.push(format!(
                "{} {unit} of {what} > {} {unit}",
                num(asked),
                num(quota)
            ));
        }
    }
    if bytes > bytes_quota {
        over.push(format!(
            "{}/s > {}/s",
            crate::format::binary_bytes(bytes as u64),
            crate::format::binary_bytes(bytes_quota as u64)
        ));
    }
    if over.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "path {}: past a Firehose stream's default direct-put quota in {region} ({}): AWS throttles it (ServiceUnavailableException) unless the account's quota was raised",
        spec.name,
        over.join("; ")
    )]
}

/// KMS requests a second the scenario's envelope paths ask for (each record's data key and
/// its decryption, or each cache refill's), against the quota they share.
fn kms(scenario: &Scenario, region: &str, embedded: bool) -> Vec<String> {
    let asked: f64 = scenario
        .paths
        .iter()
        .map(|spec| match &spec.protection {
            Protection::Envelope(e) => {
                let rate = scenario.rate_of(spec);
                let keys_per_sec = match &e.cache {
                    None => rate,
                    Some(c) => {
                        let by_count = c.max_messages.map_or(0.0, |m| rate / m as f64);
                        let by_age = c.max_age.map_or(0.0, |a| 1.0 / a.as_secs_f64().max(1e-3));
                        by_count.max(by_age).min(rate)
                    }
                };
                2.0 * keys_per_sec // GenerateDataKey to seal, Decrypt to open
            }
            _ => 0.0,
        })
        .sum();
    let (quota, source) = if embedded {
        (
            f64::from(scenario.kms.quota_per_sec),
            "the embedded service's, [kms] quota_per_sec".to_owned(),
        )
    } else {
        let q = region_quota(Some(region), None);
        (q.per_sec, q.source)
    };
    if asked <= quota {
        return Vec::new();
    }
    vec![format!(
        "KMS: the envelope paths ask for about {} requests/s (a GenerateDataKey and a Decrypt per data key), past the quota of {}/s ({source}): expect ThrottlingException; a data-key cache ([[paths]] cache) or a higher quota removes it",
        num(asked),
        num(quota)
    )]
}

fn num(x: f64) -> String {
    crate::format::number(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        let text = format!("duration = \"10s\"\n{text}");
        crate::scenario::parse(&text, std::path::Path::new("capacity.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_key_puts_every_record_on_one_shard_and_many_spread_them() {
        assert_eq!(busiest_share(1, 8), 1.0);
        let spread = busiest_share(10_000, 8);
        assert!(spread > 0.125 && spread < 0.14, "{spread}");
    }

    #[test]
    fn a_rate_past_its_shards_is_named_with_its_numbers() {
        let s = scenario(
            r#"
            name = "over"
            [stream]
            shards = 8
            [workload]
            rate_per_sec = 20000
            record_size = 256
            partition_keys = 1000
            [[paths]]
            kind = "plaintext"
            "#,
        );
        let w = check(&s, "us-east-1", true);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("path plaintext: 20,000 records/s"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("a shard's 1,000 records/s"), "{}", w[0]);
        assert!(w[0].contains("at least 20 shards"), "{}", w[0]);
        // Within its shards: nothing to say.
        let fits = scenario(
            r#"
            name = "fits"
            [stream]
            shards = 8
            [workload]
            rate_per_sec = 2000
            record_size = 256
            partition_keys = 1000
            [[paths]]
            kind = "plaintext"
            "#,
        );
        assert_eq!(check(&fits, "us-east-1", true), Vec::<String>::new());
    }

    #[test]
    fn the_estimate_of_a_sealed_record_is_within_a_few_bytes_of_the_format() {
        // The quickstart's envelope path puts 1,642 B for each 1,024 B (measured by its runs,
        // and its brief): the ESDK's default suite, its encryption context, a key from us-east-1.
        let s = scenario(
            r#"
            name = "len"
            [workload]
            rate_per_sec = 1
            record_size = 1024
            [[paths]]
            kind = "envelope"
            encryption_context = { purpose = "kinesis-crypto-bench" }
            "#,
        );
        assert_eq!(crate::path::estimated_record_len(&s.paths[0], 1024), 1_642);
    }

    #[test]
    fn sealing_counts_against_the_bytes_limit() {
        // 600 records/s of 1,500 B fit a shard (879 KiB/s) in plaintext; sealed with the ESDK's
        // default suite (about 600 B more each) they do not.
        let text = |kind: &str| {
            format!(
                r#"
                name = "bytes"
                [workload]
                rate_per_sec = 600
                record_size = 1500
                [[paths]]
                kind = "{kind}"
                "#
            )
        };
        assert!(check(&scenario(&text("plaintext")), "us-east-1", true).is_empty());
        let w = check(&scenario(&text("envelope")), "us-east-1", true);
        assert!(w.iter().any(|w| w.contains("a shard's 1 MiB/s")), "{w:?}");
    }

    #[test]
    fn envelope_paths_without_a_cache_are_checked_against_the_kms_quota() {
        let s = scenario(
            r#"
            name = "kms"
            [stream]
            shards = 16
            [kms]
            quota_per_sec = 1000
            [workload]
            rate_per_sec = 600
            record_size = 64
            partition_keys = 1000
            [[paths]]
            kind = "envelope"
            "#,
        );
        let w = check(&s, "us-east-1", true);
        assert!(
            w.iter()
                .any(|w| w.contains("about 1,200 requests/s") && w.contains("1,000/s")),
            "{w:?}"
        );
    }
}
