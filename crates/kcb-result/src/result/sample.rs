//! A fully populated result with three paths: the fixture of the unit tests here and of the
//! readers' (report, plan, gate), behind the `testing` feature.

use super::*;

/// A path whose generator kept its schedule: 100 records/s over 60 s.
fn kept() -> PathGenerator {
    PathGenerator {
        intended_rate_per_sec: 100.0,
        achieved_rate_per_sec: 100.0,
        records: 6_000,
        lag_growth_us_per_sec: Some(0.0),
        in_flight_high_water: 2,
        in_flight_limit: 16,
        in_flight_mode: "auto".to_owned(),
        window_waits: 0,
        kept: true,
        behind: None,
    }
}

/// A fully populated result with three paths, for tests here and in the report.
pub fn sample_run_result() -> RunResult {
    fn lat(
        p50: u64,
        p90: u64,
        p99: u64,
        p999: u64,
        max: u64,
        count: u64,
        mean: f64,
    ) -> LatencySummary {
        LatencySummary {
            p50,
            p90,
            p99,
            p999,
            max,
            count,
            mean,
        }
    }
    fn calls(total: u64, ops: &[(&str, u64)], per_window: Vec<u64>, run_secs: f64) -> KmsCalls {
        let per_sec = total as f64 / run_secs;
        let monthly = crate::metrics::monthly_requests(per_sec);
        KmsCalls {
            total,
            warmup_calls: 1,
            warmup_by_operation: [("GenerateDataKey".to_owned(), 1)].into_iter().collect(),
            by_operation: ops.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            by_principal: [("role/producer".to_owned(), total)].into_iter().collect(),
            by_key: [("alias/kcb".to_owned(), total)].into_iter().collect(),
            window_secs: 10.0,
            max_per_window: per_window.iter().copied().max().unwrap_or(0),
            mean_per_window: total as f64 / per_window.len().max(1) as f64,
            per_window,
            calls_per_sec: per_sec,
            calls_per_window: per_sec * 10.0,
            cost_basis: "over 6 whole windows measured".to_owned(),
            monthly_requests: monthly,
            monthly_cost_usd: crate::metrics::monthly_cost_usd(monthly),
            peak_per_sec: 3,
            quota_share: 3.0 / 10_000.0,
        }
    }
    let ledger = |sent, read, lost, dup, corrupt, unreadable| Ledger {
        sent,
        acked: sent,
        failed: 0,
        read,
        decrypted: read - corrupt - unreadable,
        lost,
        duplicated: dup,
        corrupted: corrupt,
        unreadable,
    };
    let plain_put = lat(1_210, 1_800, 2_950, 5_100, 9_800, 6_000, 1_302.5);
    let plain_e2e = lat(20_100, 31_000, 48_900, 61_000, 88_000, 6_000, 21_800.0);
    let env_put = lat(1_480, 2_100, 3_420, 12_800, 40_100, 6_000, 1_590.25);
    let env_e2e = lat(20_650, 31_900, 50_300, 70_000, 95_000, 5_998, 22_400.0);
    let sse_put = lat(1_260, 1_850, 3_010, 5_300, 10_200, 6_000, 1_340.0);
    let sse_e2e = lat(20_180, 31_100, 49_000, 62_000, 90_000, 6_000, 21_900.0);
    let lag = lat(45, 80, 310, 1_200, 2_400, 6_000, 60.5);
    let none = KmsCallsResult::new(KmsCalls::default(), None, 0);
    let envelope_calls = KmsCallsResult::new(
        calls(
            24,
            &[("Decrypt", 12), ("GenerateDataKey", 12)],
            vec![4, 4, 4, 4, 4, 4],
            60.0,
        ),
        None,
        1,
    );
    let sse_client = KmsCalls::default();
    let sse_service = calls(2, &[("GenerateDataKey", 2)], vec![1, 0, 0, 0, 0, 1], 60.0);
    let sse_calls = KmsCallsResult::new(sse_client, Some(sse_service), 1);
    let inflation = |record: f64, wire: f64, max_fit: u64, sizes: &[(u64, u64, u64)]| Inflation {
        plaintext_bytes: 1_024.0,
        record_bytes: record,
        wire_bytes: wire,
        overhead_bytes: record - 1_024.0,
        ratio: record / 1_024.0,
        max_plaintext_that_fits: max_fit,
        records_per_5mib_batch: Inflation::records_per_put_records_batch(record as u64),
        by_size: sizes
            .iter()
            .map(|(p, r, w)| SizeInflation::new(*p, *r, *w))
            .collect(),
    };
    RunResult {
        schema_version: SCHEMA_VERSION,
        harness_version: "0.1.0".to_owned(),
        scenario: ScenarioEcho {
            name: "steady-1k".to_owned(),
            file: "scenarios/steady-1k.toml".to_owned(),
            seed: 42,
            duration_secs: 60.0,
            warmup_secs: 5.0,
            rate_per_sec: 100.0,
            shards: 2,
        },
        machine: Machine {
            hostname: "bench-1".to_owned(),
            os: "linux 6.1.0".to_owned(),
            arch: "x86_64".to_owned(),
            cpus: 2,
            cpu_model: "AMD EPYC 9R14".to_owned(),
        },
        started_at: "2025-01-31T12:00:00.000Z".to_owned(),
        wall_secs: 65.4,
        endpoint: "embedded".to_owned(),
        clock: "real".to_owned(),
        paths: vec![
            PathResult {
                name: "plaintext".to_owned(),
                kind: PathKind::Plaintext,
                settings: PathSettings::Plaintext,
                put_latency_us: plain_put,
                e2e_latency_us: plain_e2e,
                schedule_lag_us: lag,
                overhead_vs_plaintext_us: None,
                get_latency_us: lat(180, 250, 400, 900, 1_500, 1_300, 190.0),
                get_overhead_vs_plaintext_us: None,
                kms_calls: none,
                inflation: inflation(
                    1_024.0,
                    1_400.0,
                    1_048_576,
                    &[(16, 16, 80), (1_024, 1_024, 1_400)],
                ),
                errors: BTreeMap::new(),
                attempts: Attempts {
                    put_calls: 120,
                    put_attempts: 120,
                    retries: 0,
                    get_calls: 1_300,
                    records_resent: 0,
                },
                ledger: ledger(6_000, 6_000, 0, 0, 0, 0),
                timeline: vec![TimelinePoint {
                    second: 0,
                    acked: 100,
                    failed: 0,
                    errors: BTreeMap::new(),
                }],
                crypto: CryptoCost::default(),
                resources: PathResources::default(),
                firehose: None,
                tenant: None,
                generator: Some(kept()),
                put_sizes: Some(PutSizes::of(1_024, 6_000)),
                bill: None,
            },
            PathResult {
                name: "envelope".to_owned(),
                kind: PathKind::Envelope,
                settings: PathSettings::Envelope(EnvelopeSettings {
                    aead: Cipher::Aes256Gcm,
                    aead_backend: AeadBackendName::AwsLcRs,
                    format: RecordFormat::Compact,
                    suite: None,
                    suite_id: None,
                    frame_length: None,
                    encryption_context: BTreeMap::from([("app".to_owned(), "bench".to_owned())]),
                    cache: Some(CacheSettings {
                        max_age_secs: Some(10.0),
                        max_messages: None,
                        max_bytes: None,
                        capacity: 10,
                        single_flight: false,
                    }),
                }),
                put_latency_us: env_put,
                e2e_latency_us: env_e2e,
                schedule_lag_us: lag,
                overhead_vs_plaintext_us: Some(
                    Overhead::between(&env_put, &plain_put).with_intervals([
                        (210.0, 330.0),
                        (300.0, 640.0),
                        (-1_000.0, 9_000.0),
                    ]),
                ),
                get_latency_us: lat(185, 260, 420, 950, 1_600, 1_310, 195.0),
                get_overhead_vs_plaintext_us: Some(
                    Overhead::between(
                        &lat(185, 260, 420, 950, 1_600, 1_310, 195.0),
                        &lat(180, 250, 400, 900, 1_500, 1_300, 190.0),
                    )
                    .with_intervals([
                        (-10.0, 20.0),
                        (-60.0, 90.0),
                        (-300.0, 400.0),
                    ]),
                ),
                kms_calls: envelope_calls,
                inflation: inflation(
                    1_617.0,
                    2_190.0,
                    1_047_983,
                    &[(16, 609, 864), (1_024, 1_617, 2_190)],
                ),
                errors: [
                    ("KMSThrottlingException".to_owned(), 3),
                    ("ProvisionedThroughputExceededException".to_owned(), 12),
                ]
                .into_iter()
                .collect(),
                attempts: Attempts {
                    put_calls: 120,
                    put_attempts: 135,
                    retries: 15,
                    get_calls: 1_310,
                    records_resent: 40,
                },
                ledger: ledger(6_000, 6_001, 2, 3, 1, 0),
                timeline: vec![TimelinePoint {
                    second: 3,
                    acked: 90,
                    failed: 1,
                    errors: BTreeMap::from([("KMSThrottlingException".to_owned(), 4)]),
                }],
                crypto: CryptoCost {
                    calibration: vec![CryptoCalibration::new(1_024, 20_000, 1_850.0, 1_700.0)],
                    ..CryptoCost::from_totals(
                        (6_144_000, 6_000, 3_000_000),
                        (6_144_000, 6_000, 2_500_000),
                    )
                },
                resources: PathResources::default(),
                firehose: None,
                tenant: None,
                generator: Some(kept()),
                put_sizes: Some(PutSizes::of(1_617, 6_000)),
                bill: None,
            },
            PathResult {
                name: "sse-kms".to_owned(),
                kind: PathKind::SseKms,
                settings: PathSettings::SseKms(SseSettings {
                    key: SseKeyKind::CustomerManaged,
                    reuse_period_secs: 300.0,
                }),
                put_latency_us: sse_put,
                e2e_latency_us: sse_e2e,
                schedule_lag_us: lag,
                overhead_vs_plaintext_us: Some(
                    Overhead::between(&sse_put, &plain_put).with_intervals([
                        (-20.0, 120.0),
                        (-300.0, 420.0),
                        (-800.0, 1_200.0),
                    ]),
                ),
                get_latency_us: lat(260, 340, 520, 1_000, 1_700, 1_300, 270.0),
                get_overhead_vs_plaintext_us: Some(
                    Overhead::between(
                        &lat(260, 340, 520, 1_000, 1_700, 1_300, 270.0),
                        &lat(180, 250, 400, 900, 1_500, 1_300, 190.0),
                    )
                    .with_intervals([
                        (60.0, 100.0),
                        (70.0, 190.0),
                        (-200.0, 400.0),
                    ]),
                ),
                kms_calls: sse_calls,
                inflation: inflation(
                    1_024.0,
                    1_400.0,
                    1_048_576,
                    &[(16, 16, 80), (1_024, 1_024, 1_400)],
                ),
                errors: BTreeMap::new(),
                attempts: Attempts {
                    put_calls: 120,
                    put_attempts: 120,
                    retries: 0,
                    get_calls: 1_300,
                    records_resent: 0,
                },
                ledger: ledger(6_000, 6_000, 0, 0, 0, 0),
                timeline: vec![TimelinePoint {
                    second: 0,
                    acked: 100,
                    failed: 0,
                    errors: BTreeMap::new(),
                }],
                crypto: CryptoCost::default(),
                resources: PathResources::default(),
                firehose: None,
                tenant: None,
                generator: Some(kept()),
                put_sizes: Some(PutSizes::of(1_024, 6_000)),
                bill: None,
            },
        ],
        expectations: vec![
            ExpectationResult {
                text: "put p99 overhead < 1 ms".to_owned(),
                path: "envelope".to_owned(),
                measured: Some(470.0),
                passed: true,
            },
            ExpectationResult {
                text: "no record lost".to_owned(),
                path: "envelope".to_owned(),
                measured: Some(2.0),
                passed: false,
            },
            ExpectationResult {
                text: "kms calls per 10 s <= 1".to_owned(),
                path: "sse-kms".to_owned(),
                measured: None,
                passed: false,
            },
        ],
        noise_floor_us: Some(Overhead::between(&plain_put, &plain_put).with_intervals([
            (-30.0, 35.0),
            (-260.0, 240.0),
            (-900.0, 1_100.0),
        ])),
        interrupted: false,
        target: TargetResult::unknown("embedded"),
        faults: vec![FaultResult {
            name: "deny-0".to_owned(),
            kind: "deny".to_owned(),
            at_secs: 5.0,
            end_secs: Some(8.0),
            applied: true,
            notes: vec!["explicit Deny attached".to_owned()],
            paths: vec![FaultPathResult {
                path: "sse-kms".to_owned(),
                first_error_ms: Some(1.5),
                first_producer_error_ms: Some(1.5),
                first_consumer_error_ms: None,
                errors_during: BTreeMap::from([("KMSAccessDeniedException".to_owned(), 300)]),
                puts_ok_during: 0,
                failed_during: 300,
                recovery_ms: Some(4.0),
                throughput_recovery_ms: Some(1000.0),
                latency_before_us: LatencySummary::default(),
                latency_during_us: LatencySummary::default(),
                latency_after_us: LatencySummary::default(),
            }],
            tenants: Vec::new(),
            blast_radius: Vec::new(),
        }],
        tenants: None,
        worker: None,
        workers: None,
        bill: None,
        generator: Some(GeneratorResult {
            max_lag_p99_us: 10_000,
            min_rate_ratio: super::generator::MIN_RATE_RATIO,
            checked: true,
            kept: true,
            cpu_cores_used: Some(0.42),
            cpus: 2,
            capacity_warnings: Vec::new(),
        }),
    }
}
