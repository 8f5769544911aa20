//! Every figure of the plan against cases worked by hand (the arithmetic is in the comments).

use super::kms::{region_quota, KeyLimit, KmsBasis};
use super::*;
use crate::metrics::KmsCalls;
use crate::result::{
    AeadBackendName, CacheSettings, Cipher, CryptoCost, EnvelopeSettings, KmsCallsResult,
    PathResult, PathSettings, RecordFormat, SizeInflation, SseKeyKind, SseSettings,
};

/// Envelope settings with a cache of (max_age seconds, max_messages, max_bytes), or none.
fn envelope(cache: Option<(Option<f64>, Option<u64>, Option<u64>)>) -> PathSettings {
    PathSettings::Envelope(EnvelopeSettings {
        aead: Cipher::Aes256Gcm,
        aead_backend: AeadBackendName::AwsLcRs,
        format: RecordFormat::Compact,
        suite: None,
        suite_id: None,
        frame_length: None,
        encryption_context: Default::default(),
        cache: cache.map(|(max_age_secs, max_messages, max_bytes)| CacheSettings {
            max_age_secs,
            max_messages,
            max_bytes,
            capacity: 100,
            single_flight: false,
        }),
    })
}

/// SSE-KMS settings under `key` with a reuse window of `reuse_period_secs`.
fn sse(key: SseKeyKind, reuse_period_secs: f64) -> PathSettings {
    PathSettings::SseKms(SseSettings {
        key,
        reuse_period_secs,
    })
}

const EPS: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPS * b.abs().max(1.0)
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b) = ($a as f64, $b as f64);
        assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
    }};
}

/// KMS counts: `ops` by operation, in windows of `window_secs`; the service's count when
/// `service`, else only the client's.
fn calls(
    ops: &[(&str, u64)],
    window_secs: f64,
    per_window: Vec<u64>,
    service: bool,
) -> KmsCallsResult {
    let total = ops.iter().map(|(_, n)| n).sum();
    let k = KmsCalls {
        total,
        by_operation: ops.iter().map(|(o, n)| ((*o).to_owned(), *n)).collect(),
        window_secs,
        max_per_window: per_window.iter().copied().max().unwrap_or(0),
        calls_per_window: per_window.iter().copied().max().unwrap_or(0) as f64,
        mean_per_window: total as f64 / per_window.len().max(1) as f64,
        per_window,
        ..KmsCalls::default()
    };
    if service {
        KmsCallsResult::new(KmsCalls::default(), Some(k), 0)
    } else {
        KmsCallsResult::new(k, None, 0)
    }
}

/// A path with `settings` measured at 1,024 B per record with `overhead` bytes added, 2,400 records
/// sent and read.
fn path(name: &str, settings: PathSettings, overhead: u64, kms: KmsCallsResult) -> PathResult {
    let mut p = crate::result::sample_run_result().paths[0].clone();
    p.name = name.to_owned();
    p.kind = settings.kind();
    p.settings = settings;
    p.kms_calls = kms;
    p.inflation.plaintext_bytes = 1_024.0;
    p.inflation.record_bytes = 1_024.0 + overhead as f64;
    p.inflation.overhead_bytes = overhead as f64;
    // 1 MiB - overhead - 5 B of partition key.
    p.inflation.max_plaintext_that_fits = 1_048_576 - overhead - 5;
    p.inflation.by_size = vec![SizeInflation::new(1_024, 1_024 + overhead, 0)];
    p.ledger.sent = 2_400;
    p.ledger.acked = 2_400;
    p.ledger.read = 2_400;
    p.ledger.decrypted = 2_400;
    p.crypto = CryptoCost::default();
    p
}

/// The run: 200 records/s of 1,024 B on four paths.
///   plaintext: no KMS call, no overhead.
///   envelope: cache 5 min or 100,000 records; 1 GenerateDataKey + 1 Decrypt in one 300 s
///     window; 309 B overhead; sealing 2 ms/MiB, opening 3 ms/MiB.
///   envelope-uncached: 2,400 GenerateDataKey + 2,400 Decrypt (one each per record).
///   sse-kms: customer-managed key, 1 GenerateDataKey + 1 Decrypt in one 300 s window.
pub(super) fn run() -> RunResult {
    let mut r = crate::result::sample_run_result();
    r.scenario.rate_per_sec = 200.0;
    let plain = path(
        "plaintext",
        PathSettings::Plaintext,
        0,
        calls(&[], 12.0, vec![0], true),
    );
    let mut env = path(
        "envelope",
        envelope(Some((Some(300.0), Some(100_000), None))),
        309,
        calls(
            &[("GenerateDataKey", 1), ("Decrypt", 1)],
            300.0,
            vec![2],
            true,
        ),
    );
    env.crypto = CryptoCost {
        seal_bytes: 2_457_600,
        seal_ms_per_mib: 2.0,
        open_bytes: 2_457_600,
        open_ms_per_mib: 3.0,
        ..CryptoCost::default()
    };
    let uncached = path(
        "envelope-uncached",
        envelope(None),
        309,
        calls(
            &[("GenerateDataKey", 2_400), ("Decrypt", 2_400)],
            12.0,
            vec![4_800],
            true,
        ),
    );
    let sse = path(
        "sse-kms",
        sse(SseKeyKind::CustomerManaged, 300.0),
        0,
        calls(
            &[("GenerateDataKey", 1), ("Decrypt", 1)],
            300.0,
            vec![2],
            true,
        ),
    );
    r.paths = vec![plain, env, uncached, sse];
    r
}

pub(super) fn input(n: f64, b: u64, c: u32, region: Option<&str>) -> PlanInput {
    PlanInput {
        records_per_sec: n,
        record_bytes: b,
        record_sizes: Vec::new(),
        region: region.map(str::to_owned),
        consumers: c,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
        efo_consumers: 0,
    }
}

fn path_plan<'a>(p: &'a Plan, name: &str) -> &'a PathPlan {
    match p.paths.iter().find(|x| x.name == name) {
        Some(x) => x,
        None => panic!("no path {name}"),
    }
}

#[test]
fn plaintext_at_5000_per_sec() {
    let p = plan(&run(), &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "plaintext");
    // Record: measured at 1,024 B -> 1,024 B.
    assert_eq!(x.record.record_bytes, 1_024);
    assert_eq!(x.record.basis, RecordBasis::MeasuredAtSize);
    assert!(x.record.fits);
    assert_eq!(x.record.max_plaintext_that_fits, 1_048_571);
    // write 5,000 × 1,024 = 5,120,000 B/s / 1,048,576 = 4.88 -> 5
    // records 5,000 / 1,000 = 5
    // read 2 × 5,120,000 = 10,240,000 / 2,097,152 = 4.88 -> 5
    assert_close!(x.shards.write_bytes_per_sec, 5_120_000.0);
    assert_close!(x.shards.read_bytes_per_sec, 10_240_000.0);
    assert_eq!(
        (
            x.shards.for_write_bytes,
            x.shards.for_write_records,
            x.shards.for_read_bytes,
            x.shards.needed
        ),
        (5, 5, 5, 5)
    );
    // No KMS, no key, no cost, no CPU, no advice.
    assert_eq!(x.kms.basis, KmsBasis::None);
    assert_close!(x.kms.requests_per_sec, 0.0);
    assert_close!(x.kms.total_cost_usd_per_month, 0.0);
    assert_eq!(x.kms.customer_managed_keys, 0);
    assert_eq!(x.cpu, None);
    assert!(x.recommendations.is_empty());
}

#[test]
fn cached_envelope_turns_message_limited_at_5000_per_sec() {
    let p = plan(&run(), &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    // Record: measured 1,024 + 309 = 1,333 B.
    assert_eq!(x.record.record_bytes, 1_333);
    // write 5,000 × 1,333 = 6,665,000 / 1,048,576 = 6.36 -> 7
    // records -> 5; read 13,330,000 / 2,097,152 = 6.36 -> 7
    assert_eq!(
        (
            x.shards.for_write_bytes,
            x.shards.for_write_records,
            x.shards.for_read_bytes,
            x.shards.needed
        ),
        (7, 5, 7, 7)
    );
    // KMS: at 5,000/s, 100,000 messages last 20 s < max_age 300 s: max_messages binds.
    // The run (200/s: 100,000 / 200 = 500 s > 300 s) was age-limited, so the per-record count
    // cannot be scaled: modelled, 1 GenerateDataKey + (1 Decrypt / 1 GenerateDataKey = 1)
    // Decrypt per consumer per 20 s key: (1 + 2 × 1) / 20 = 0.15 requests/s.
    match &x.kms.basis {
        KmsBasis::Modelled {
            limit,
            key_lifetime_secs,
            decrypts_per_data_key,
            ..
        } => {
            assert_eq!(*limit, KeyLimit::MaxMessages);
            assert_close!(*key_lifetime_secs, 20.0);
            assert_close!(*decrypts_per_data_key, 1.0);
        }
        other => panic!("expected a modelled basis, got {other:?}"),
    }
    assert_close!(x.kms.requests_per_sec, 0.15);
    // per day 0.15 × 86,400 = 12,960; per month 0.15 × 2,592,000 = 388,800
    assert_close!(x.kms.requests_per_day, 12_960.0);
    assert_close!(x.kms.requests_per_month, 388_800.0);
    // $: 388,800 / 10,000 × 0.03 = 1.1664; + $1 key-month = 2.1664
    assert_close!(x.kms.request_cost_usd_per_month, 1.1664);
    assert_eq!(x.kms.customer_managed_keys, 1);
    assert_close!(x.kms.key_cost_usd_per_month, 1.0);
    assert_close!(x.kms.total_cost_usd_per_month, 2.1664);
    // share of us-east-1's 100,000/s: 0.15 / 100,000 = 1.5e-6
    assert_close!(x.kms.quota_share, 1.5e-6);
    // CPU: 5,000 × 1,024 = 5,120,000 B/s = 4.8828125 MiB/s;
    //   sealing 2 ms/MiB × 4.8828125 = 9.765625 ms/s = 0.009765625 cores
    //   opening 3 ms/MiB × 4.8828125 = 14.6484375 ms/s = 0.0146484375 cores per consumer
    let cpu = match &x.cpu {
        Some(c) => c,
        None => panic!("envelope seals on the client"),
    };
    assert_close!(cpu.seal_ms_per_mib, 2.0);
    assert_close!(cpu.producer_cores, 0.009_765_625);
    assert_close!(cpu.open_ms_per_mib, 3.0);
    assert_close!(cpu.consumer_cores_each, 0.014_648_437_5);
    assert!(x.recommendations.is_empty(), "{:?}", x.recommendations);
}

#[test]
fn cached_envelope_at_the_run_rate_is_per_window() {
    // 200/s: 100,000 messages last 500 s > 300 s, so max_age binds, as in the run.
    // Busiest window: 2 calls, split 1 GenerateDataKey : 1 Decrypt -> 1 producer + 1 Decrypt.
    // (1 + 2 consumers × 1) / 300 s = 0.01 requests/s, whatever the record rate.
    let p = plan(&run(), &input(200.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    assert_eq!(
        x.kms.basis,
        KmsBasis::PerWindow {
            window_secs: 300.0,
            producer_calls_per_window: 1.0,
            consumer_calls_per_window: 1.0
        }
    );
    assert_close!(x.kms.requests_per_sec, 0.01);
    // month 0.01 × 2,592,000 = 25,920 -> $0.07776; + $1
    assert_close!(x.kms.requests_per_month, 25_920.0);
    assert_close!(x.kms.request_cost_usd_per_month, 0.077_76);
    assert_close!(x.kms.total_cost_usd_per_month, 1.077_76);
    assert!(
        x.kms.explanation.starts_with("per 300 s window, measured"),
        "{}",
        x.kms.explanation
    );
}

#[test]
fn uncached_envelope_scales_per_record() {
    let p = plan(&run(), &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope-uncached");
    // 2,400 GenerateDataKey / 2,400 sent = 1; 2,400 Decrypt / 2,400 read = 1.
    assert_eq!(
        x.kms.basis,
        KmsBasis::PerRecord {
            producer_calls_per_record: 1.0,
            consumer_calls_per_record: 1.0
        }
    );
    // 5,000 × 1 + 2 consumers × 5,000 × 1 = 15,000 requests/s
    assert_close!(x.kms.requests_per_sec, 15_000.0);
    // day 15,000 × 86,400 = 1,296,000,000; month × 2,592,000 = 38,880,000,000
    assert_close!(x.kms.requests_per_day, 1_296_000_000.0);
    assert_close!(x.kms.requests_per_month, 38_880_000_000.0);
    // $: 38,880,000,000 / 10,000 × 0.03 = 116,640; + $1 = 116,641
    assert_close!(x.kms.request_cost_usd_per_month, 116_640.0);
    assert_close!(x.kms.total_cost_usd_per_month, 116_641.0);
    // 15,000 / 100,000 = 15 %: no advice in us-east-1.
    assert_close!(x.kms.quota_share, 0.15);
    assert!(x.recommendations.is_empty(), "{:?}", x.recommendations);
    // The same load against the default 10,000/s: 150 %, throttled: enable a cache.
    let p = plan(&run(), &input(5_000.0, 1_024, 2, None));
    let x = path_plan(&p, "envelope-uncached");
    assert_close!(x.kms.quota_share, 1.5);
    assert_eq!(
        x.recommendations,
        vec!["KMS at 150.0% of the default quota (10,000/s), would be throttled (ThrottlingException): enable a data-key cache".to_owned()]
    );
    // 6,000/s against eu-west-2's 20,000/s: 6,000 × 1 + 2 × 6,000 × 1 = 18,000 -> 90 %:
    // near the limit.
    let p = plan(&run(), &input(6_000.0, 1_024, 2, Some("eu-west-2")));
    let x = path_plan(&p, "envelope-uncached");
    assert_close!(x.kms.quota_share, 0.9);
    assert_eq!(
        x.recommendations,
        vec!["KMS at 90.0% of the eu-west-2 quota (20,000/s), near the limit: enable a data-key cache".to_owned()]
    );
}

#[test]
fn sse_kms_is_per_window_and_independent_of_the_rate() {
    for n in [10.0, 5_000.0, 50_000.0] {
        let p = plan(&run(), &input(n, 1_024, 2, Some("us-east-1")));
        let x = path_plan(&p, "sse-kms");
        // (1 GenerateDataKey + 2 consumers × 1 Decrypt) / 300 s = 0.01 requests/s
        assert_close!(x.kms.requests_per_sec, 0.01);
        // day 864, month 25,920 -> $0.07776; customer-managed key $1 -> $1.07776
        assert_close!(x.kms.requests_per_day, 864.0);
        assert_close!(x.kms.requests_per_month, 25_920.0);
        assert_close!(x.kms.total_cost_usd_per_month, 1.077_76);
        // 0.01 / 100,000 = 1e-7
        assert_close!(x.kms.quota_share, 1e-7);
        // SSE seals nothing on the client; the record is the plaintext.
        assert_eq!(x.cpu, None);
        assert_eq!(x.record.record_bytes, 1_024);
    }
}

#[test]
fn sse_kms_with_the_aws_managed_key_has_no_key_month() {
    let mut r = run();
    r.paths[3].settings = sse(SseKeyKind::AwsManaged, 300.0);
    let p = plan(&r, &input(100.0, 1_024, 1, Some("us-east-1")));
    let x = path_plan(&p, "sse-kms");
    // (1 + 1 × 1) / 300 = 0.00667/s; month 2/300 × 2,592,000 = 17,280 -> $0.05184; no key.
    assert_close!(x.kms.requests_per_sec, 2.0 / 300.0);
    assert_close!(x.kms.requests_per_month, 17_280.0);
    assert_eq!(x.kms.customer_managed_keys, 0);
    assert_close!(x.kms.key_cost_usd_per_month, 0.0);
    assert_close!(x.kms.total_cost_usd_per_month, 0.051_84);
}

#[test]
fn sse_kms_without_a_service_count_is_modelled_from_the_reuse_period() {
    let mut r = run();
    // Against an endpoint the client sees none of Kinesis's KMS calls.
    r.paths[3].kms_calls = calls(&[], 300.0, vec![0], false);
    r.paths[3].settings = sse(SseKeyKind::CustomerManaged, 60.0);
    let p = plan(&r, &input(100.0, 1_024, 3, Some("us-east-1")));
    let x = path_plan(&p, "sse-kms");
    // (1 + 3 consumers × 1) / 60 s = 0.0667/s
    assert!(matches!(
        x.kms.basis,
        KmsBasis::Modelled {
            limit: KeyLimit::ReusePeriod,
            ..
        }
    ));
    assert_close!(x.kms.requests_per_sec, 4.0 / 60.0);
}

#[test]
fn message_limited_cache_measured_per_record() {
    let mut r = run();
    // Cache of 100 messages, no age: 2,400 records used 24 data keys, each decrypted once.
    r.paths[1].settings = envelope(Some((None, Some(100), None)));
    r.paths[1].kms_calls = calls(
        &[("GenerateDataKey", 24), ("Decrypt", 24)],
        12.0,
        vec![48],
        true,
    );
    let p = plan(&r, &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    // 24 / 2,400 = 0.01 per record each side: 5,000 × 0.01 + 2 × 5,000 × 0.01 = 50 + 100 = 150/s
    assert_eq!(
        x.kms.basis,
        KmsBasis::PerRecord {
            producer_calls_per_record: 0.01,
            consumer_calls_per_record: 0.01
        }
    );
    assert_close!(x.kms.requests_per_sec, 150.0);
    // 150 / 100,000 = 0.15 %
    assert_close!(x.kms.quota_share, 0.0015);
}

#[test]
fn message_limit_never_reached_is_modelled_from_the_limit() {
    let mut r = run();
    // 100,000 messages, no age: the run's 2,400 records used one data key.
    r.paths[1].settings = envelope(Some((None, Some(100_000), None)));
    let p = plan(&r, &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    // One key per 100,000 / 5,000 = 20 s: (1 + 2 × 1) / 20 = 0.15/s
    match &x.kms.basis {
        KmsBasis::Modelled {
            limit,
            key_lifetime_secs,
            reason,
            ..
        } => {
            assert_eq!(*limit, KeyLimit::MaxMessages);
            assert_close!(*key_lifetime_secs, 20.0);
            assert!(reason.contains("never used a data key up"), "{reason}");
        }
        other => panic!("expected modelled, got {other:?}"),
    }
    assert_close!(x.kms.requests_per_sec, 0.15);
}

#[test]
fn byte_limited_cache_at_another_size_is_modelled() {
    let mut r = run();
    // 1 MiB per data key, no age; 2,400 × 1,024 B = 2.34 MiB used 3 keys.
    r.paths[1].settings = envelope(Some((None, None, Some(1_048_576))));
    r.paths[1].kms_calls = calls(
        &[("GenerateDataKey", 3), ("Decrypt", 3)],
        12.0,
        vec![6],
        true,
    );
    // Same size as measured: per record, 3 / 2,400 = 0.00125 each side:
    // 5,000 × 0.00125 + 2 × 5,000 × 0.00125 = 6.25 + 12.5 = 18.75/s
    let p = plan(&r, &input(5_000.0, 1_024, 2, Some("us-east-1")));
    assert_close!(path_plan(&p, "envelope").kms.requests_per_sec, 18.75);
    // 4,096 B records: a key lasts 1,048,576 / (5,000 × 4,096) = 0.0512 s:
    // (1 + 2 × 1) / 0.0512 = 58.59375/s
    let p = plan(&r, &input(5_000.0, 4_096, 2, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    assert!(matches!(
        x.kms.basis,
        KmsBasis::Modelled {
            limit: KeyLimit::MaxBytes,
            ..
        }
    ));
    assert_close!(x.kms.requests_per_sec, 58.593_75);
    // Record at 4,096 B was not measured: 4,096 + 309 = 4,405 B.
    assert_eq!(x.record.record_bytes, 4_405);
    assert_eq!(
        x.record.basis,
        RecordBasis::MeanOverhead {
            overhead_bytes: 309.0
        }
    );
}

#[test]
fn records_that_no_longer_fit() {
    // 1,048,400 B: plaintext fits (<= 1,048,571), envelope does not (> 1,048,262);
    // the envelope record is 1,048,400 + 309 = 1,048,709 B.
    let p = plan(&run(), &input(1.0, 1_048_400, 1, Some("us-east-1")));
    assert!(path_plan(&p, "plaintext").record.fits);
    let x = path_plan(&p, "envelope");
    assert!(!x.record.fits);
    assert_eq!(x.record.record_bytes, 1_048_709);
    assert_eq!(
        x.recommendations,
        vec!["plaintext records of 1,048,400 bytes no longer fit 1 MiB after envelope inflation (1,048,709 bytes on the record); the largest that fits is 1,048,262 bytes: split records, or raise the stream's record limit (up to 10 MiB)".to_owned()]
    );
    // 2 MiB records fit no path.
    let p = plan(&run(), &input(1.0, 2_097_152, 1, Some("us-east-1")));
    assert_eq!(
        path_plan(&p, "plaintext").recommendations,
        vec!["records of 2,097,152 bytes do not fit Kinesis's 1 MiB record; the largest that fits is 1,048,571 bytes: split records, or raise the stream's record limit (up to 10 MiB)".to_owned()]
    );
}

#[test]
fn more_than_500_shards() {
    // 600,000 records/s of 100 B: records bind, 600,000 / 1,000 = 600 shards.
    //   write 60,000,000 B/s / 1 MiB = 57.2 -> 58; read 60,000,000 / 2 MiB = 28.6 -> 29
    let p = plan(&run(), &input(600_000.0, 100, 1, Some("us-east-1")));
    let x = path_plan(&p, "plaintext");
    assert_eq!(
        (
            x.shards.for_write_bytes,
            x.shards.for_write_records,
            x.shards.for_read_bytes,
            x.shards.needed
        ),
        (58, 600, 29, 600)
    );
    assert_eq!(
        x.recommendations,
        vec!["needs 600 shards, more than 500: ask for a higher shard quota or spread the load over several streams".to_owned()]
    );
}

#[test]
fn sealing_cores_advice() {
    // 50,000 records/s of 65,536 B = 3,276,800,000 B/s = 3,125 MiB/s;
    // 2 ms/MiB × 3,125 = 6,250 ms/s = 6.25 producer cores; 3 × 3,125 / 1,000 = 9.375 per consumer.
    let p = plan(&run(), &input(50_000.0, 65_536, 1, Some("us-east-1")));
    let x = path_plan(&p, "envelope");
    let cpu = match &x.cpu {
        Some(c) => c,
        None => panic!("no cpu"),
    };
    assert_close!(cpu.producer_cores, 6.25);
    assert_close!(cpu.consumer_cores_each, 9.375);
    assert!(x
        .recommendations
        .contains(&"sealing alone needs 6.25 producer cores at 50,000 records/s of 65,536 bytes: plan producer CPU for it".to_owned()));
}

#[test]
fn region_quotas_by_the_table() {
    let q = |r: Option<&str>| region_quota(r, None).per_sec;
    assert_close!(q(Some("us-east-1")), 100_000.0);
    assert_close!(q(Some("us-west-2")), 100_000.0);
    assert_close!(q(Some("eu-west-1")), 100_000.0);
    assert_close!(q(Some("eu-west-2")), 20_000.0);
    assert_close!(q(Some("ap-south-1")), 10_000.0);
    assert_close!(q(None), 10_000.0);
    assert_close!(
        region_quota(Some("us-east-1"), Some(250_000.0)).per_sec,
        250_000.0
    );
}

#[test]
fn input_is_validated() {
    assert!(input(1.0, 1, 1, Some("us-east-1")).validate().is_ok());
    for (bad, field) in [
        (input(0.0, 1, 1, None), "--records-per-sec"),
        (input(f64::NAN, 1, 1, None), "--records-per-sec"),
        (input(1.0, 0, 1, None), "--record-bytes"),
        (input(1.0, 1, 0, None), "--consumers"),
        (input(1.0, 1, 1, Some("US East")), "--region"),
        (
            PlanInput {
                kms_quota_per_sec: Some(0.0),
                tenants: None,
                tenant_key: None,
                efo_consumers: 0,
                ..input(1.0, 1, 1, None)
            },
            "--kms-quota-per-sec",
        ),
    ] {
        match bad.validate() {
            Err(PlanError::Invalid { field: f, .. }) => assert_eq!(f, field),
            Ok(()) => panic!("{bad:?} validated"),
        }
    }
}

#[test]
fn many_consumers_share_getrecords() {
    let p = plan(&run(), &input(10.0, 100, 10, None));
    assert!(p
        .notes
        .iter()
        .any(|n| n.starts_with("10 consumers share a shard's 5 GetRecords calls/s: each can poll a shard only 0.5 times a second")), "{:?}", p.notes);
}

#[test]
fn plan_serializes_with_its_basis() {
    let p = plan(&run(), &input(5_000.0, 1_024, 2, Some("us-east-1")));
    let v = match serde_json::to_value(&p) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(v["paths"][1]["kms"]["basis"]["kind"], "modelled");
    assert_eq!(v["paths"][1]["kms"]["basis"]["limit"], "max_messages");
    assert_eq!(v["paths"][2]["kms"]["basis"]["kind"], "per-record");
    assert_eq!(v["paths"][3]["kms"]["basis"]["kind"], "per-window");
    assert_eq!(v["paths"][0]["record"]["basis"]["kind"], "measured-at-size");
    assert_eq!(v["input"]["records_per_sec"], 5_000.0);
    assert_eq!(v["kms_quota"]["per_sec"], 100_000.0);
    let md = markdown(&p);
    assert!(
        md.starts_with("# Capacity plan: 5,000 records/s of 1,024 B, 2 consumers, us-east-1\n"),
        "{md}"
    );
    assert!(md.contains("| envelope-uncached | 15,000 | 1,296,000,000 | 38,880,000,000 | $116,640 | $1.00 | $116,641 | 15.0% |"), "{md}");
}
