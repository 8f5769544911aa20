//! From one path's run state to its `PathResult`: latency summaries, KMS calls (client side
//! and, on the embedded service, server side) per reuse window, inflation, errors, ledger.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::driver::{Driver, Logged};
use crate::emulator::kms::KmsCallEvent;
use crate::metrics::kms_calls::{KmsCallLog, KmsCalls, Span};
use crate::metrics::latency::Overhead;
use crate::metrics::resample::{self, Overheads};
use crate::metrics::IntervalSeries;
use crate::path::envelope::esdk::EsdkSuite;
use crate::path::esdk_suite_of;
use crate::result::generator::{self, Schedule};
use crate::result::{
    AeadBackendName, Attempts, CacheSettings, Cipher, CryptoCalibration, CryptoCost,
    EnvelopeSettings, FaultResult, FirehoseSettings, Inflation, KmsCallsResult, PathGenerator,
    PathResources, PathResult, PathSettings, RecordFormat, SizeInflation, SseKeyKind, SseSettings,
    KINESIS_MAX_RECORD_BYTES,
};
use crate::scenario::{
    Aead, AeadBackendChoice, EnvelopeFormat, EnvelopeSpec, PathSpec, Protection, SseKey,
};
use crate::workload::{sizes, PathRun};

/// The path's settings as the result carries them.
pub fn settings(spec: &PathSpec) -> PathSettings {
    match &spec.protection {
        Protection::Plaintext => PathSettings::Plaintext,
        Protection::Envelope(e) => PathSettings::Envelope(EnvelopeSettings {
            format: match e.format {
                EnvelopeFormat::Esdk { .. } => RecordFormat::Esdk,
                EnvelopeFormat::Compact { .. } => RecordFormat::Compact,
            },
            aead: match e.format {
                EnvelopeFormat::Esdk { .. }
                | EnvelopeFormat::Compact {
                    aead: Aead::Aes256Gcm,
                    ..
                } => Cipher::Aes256Gcm,
                EnvelopeFormat::Compact {
                    aead: Aead::Chacha20Poly1305,
                    ..
                } => Cipher::Chacha20Poly1305,
            },
            aead_backend: match e.format {
                EnvelopeFormat::Esdk { .. }
                | EnvelopeFormat::Compact {
                    aead_backend: AeadBackendChoice::AwsLcRs,
                    ..
                } => AeadBackendName::AwsLcRs,
                EnvelopeFormat::Compact {
                    aead_backend: AeadBackendChoice::RustCrypto,
                    ..
                } => AeadBackendName::RustCrypto,
            },
            suite: esdk_suite(e).map(|s| s.name().to_owned()),
            suite_id: esdk_suite(e).map(|s| format!("0x{:04X}", s.id())),
            frame_length: match e.format {
                EnvelopeFormat::Esdk { frame_length, .. } => Some(frame_length),
                EnvelopeFormat::Compact { .. } => None,
            },
            encryption_context: e.encryption_context.clone(),
            cache: e.cache.as_ref().map(|c| CacheSettings {
                max_age_secs: c.max_age.map(|d| d.as_secs_f64()),
                max_messages: c.max_messages,
                max_bytes: c.max_bytes,
                capacity: c.capacity,
                single_flight: c.single_flight,
            }),
        }),
        Protection::SseKms(s) => PathSettings::SseKms(SseSettings {
            key: match s.key {
                SseKey::CustomerManaged => SseKeyKind::CustomerManaged,
                SseKey::AwsManaged => SseKeyKind::AwsManaged,
            },
            reuse_period_secs: s.reuse_period.as_secs_f64(),
        }),
        Protection::Firehose(f) => PathSettings::Firehose(FirehoseSettings {
            key: kebab(&f.key),
            destination_sse: kebab(&f.destination_sse),
            buffer_size_mib: f.buffer_size_mib,
            buffer_interval_secs: f.buffer_interval.as_secs_f64(),
        }),
    }
}

/// A scenario enum as the scenario writes it (its kebab-case serialization).
fn kebab<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What a path used, as the result names it.
pub fn resources(p: &super::setup::Provisioned) -> PathResources {
    let key = p.key.clone();
    let alias = key
        .as_ref()
        .filter(|k| k.starts_with("alias/"))
        .cloned()
        .or_else(|| p.key_alias.clone());
    PathResources {
        stream: Some(p.stream.clone()),
        stream_arn: p.stream_arn.clone(),
        stream_created: p.stream_created,
        key_arn: key.filter(|k| k.starts_with("arn:")),
        key_alias: alias,
        key_created: p.key_created,
    }
}

/// The ESDK suite an envelope path writes, if it writes ESDK messages.
pub fn esdk_suite(e: &EnvelopeSpec) -> Option<EsdkSuite> {
    match e.format {
        EnvelopeFormat::Esdk { suite, .. } => Some(esdk_suite_of(suite)),
        EnvelopeFormat::Compact { .. } => None,
    }
}

/// How a path's KMS calls are counted: its window (its driver's), the warm-up, the run's
/// length, the quota.
pub fn span(driver: &dyn Driver, spec: &PathSpec, run: &PathRun, length: Duration) -> Span {
    // The rate is the load's: windows end with it (calls in the drain after it still count
    // in the totals, in windows of their own), so a long drain does not dilute it.
    let load_end = run.scenario.warmup + run.scenario.duration;
    Span {
        window: driver
            .kms_window(spec, run.scenario.duration, length)
            .max(Duration::from_millis(1)),
        warmup: run.scenario.warmup,
        length: length.min(load_end),
        quota_per_sec: run.scenario.kms.quota_per_sec as f64,
    }
}

fn client_calls(run: &PathRun, span: Span) -> KmsCalls {
    let log = KmsCallLog::new();
    for c in run.log.kms_calls() {
        log.record(
            &c.op,
            &c.principal,
            "",
            c.at.saturating_sub(run.clock.start()),
        );
    }
    log.report(span)
}

/// Whose KMS log a run's events come from.
#[derive(Debug, Clone, Copy)]
pub struct LogSource<'a> {
    /// The admin as the log names it: its calls are the run's administration, not a path's.
    pub admin: &'a str,
    /// The log's times are whole seconds (CloudTrail's): a call in the second the load
    /// started in is the load's.
    pub whole_seconds: bool,
}

/// The service's own count of the calls this path caused: on its stream's behalf, or direct on
/// its key (`key`, with the path's encryption `context` where several paths share it) by
/// anyone but the admin, from the run's start.
pub fn service_calls(
    events: &[KmsCallEvent],
    run: &PathRun,
    logged: &[Logged],
    (key, context): (Option<&str>, Option<u64>),
    source: LogSource<'_>,
    span: Span,
) -> KmsCalls {
    let log = KmsCallLog::new();
    let admin = source.admin;
    let start = if source.whole_seconds {
        Duration::from_secs(run.clock.start().as_secs())
    } else {
        run.clock.start()
    };
    let key_matches =
        |e: &KmsCallEvent| key.is_some_and(|k| !e.key_id.is_empty() && k.ends_with(&e.key_id));
    // A key several paths share (tenants): each path's own calls are those made with its
    // encryption context.
    let context_matches = |e: &KmsCallEvent| context.is_none_or(|c| e.context == c);
    for e in events.iter().filter(|e| e.at >= start) {
        let via = match &e.via_stream {
            Some(s) => match logged.iter().find(|l| &l.arn == s) {
                Some(l) => Some(l.via),
                None => continue,
            },
            None if key_matches(e) && e.principal != admin && context_matches(e) => None,
            None => continue,
        };
        let who = match via.flatten() {
            Some(service) => format!("{} (via {service})", e.principal),
            None => e.principal.clone(),
        };
        log.record(&e.op, &who, &e.key_id, e.at.saturating_sub(start));
    }
    log.report(span)
}

/// Largest partition key the producers use, bytes (it counts against the 1 MiB record limit).
fn max_partition_key_bytes(partition_keys: u32) -> u64 {
    format!("pk-{}", partition_keys.saturating_sub(1)).len() as u64
}

fn inflation(run: &PathRun) -> Inflation {
    let s = &run.scenario;
    let pk = max_partition_key_bytes(s.workload.partition_keys);
    let totals = *run.sealed.lock();
    let n = totals.records.max(1) as f64;
    let (plain, record) = (
        totals.plaintext_bytes as f64 / n,
        totals.record_bytes as f64 / n,
    );
    let requests = run.log.request_bytes();
    let put_request_bytes: u64 = ["PutRecord", "PutRecords"]
        .iter()
        .filter_map(|op| requests.get(*op))
        .map(|(_, bytes)| bytes)
        .sum();
    let wire = if totals.records > 0 {
        put_request_bytes as f64 / totals.records as f64
    } else {
        0.0
    };
    let framing = (wire - record * 4.0 / 3.0).max(0.0);
    let measured = run.sizes.lock().clone();
    let latency = run.size_latency.lock();
    let by_size = sizes::named_sizes(&s.workload.record_size)
        .into_iter()
        .map(|p| {
            let rec = measured
                .get(&p)
                .copied()
                .or_else(|| run.path.sealed_len(p))
                .unwrap_or(p);
            let wire = (rec.div_ceil(3) * 4) as f64 + framing;
            let mut row = SizeInflation::new(p, rec, wire.round() as u64);
            row.fits_1mib = rec + pk <= KINESIS_MAX_RECORD_BYTES;
            if let Some(h) = latency.get(&p).filter(|h| !h.is_empty()) {
                let summary = h.summary();
                row.put_p50_us = Some(summary.p50);
                row.put_p99_us = Some(summary.p99);
            }
            row
        })
        .collect();
    let limit = KINESIS_MAX_RECORD_BYTES.saturating_sub(pk);
    let max_fit = run.path.max_plaintext_within(limit).unwrap_or(limit);
    Inflation {
        plaintext_bytes: plain,
        record_bytes: record,
        wire_bytes: wire,
        overhead_bytes: record - plain,
        ratio: if plain > 0.0 { record / plain } else { 1.0 },
        max_plaintext_that_fits: max_fit,
        records_per_5mib_batch: Inflation::records_per_put_records_batch(
            (record + pk as f64).ceil() as u64,
        ),
        by_size,
    }
}

fn attempts(run: &PathRun) -> Attempts {
    let a = &run.attempts;
    Attempts {
        put_calls: a.put_calls.load(Ordering::Relaxed),
        put_attempts: a.put_attempts.load(Ordering::Relaxed),
        retries: a.retries.load(Ordering::Relaxed),
        // Counted where every attempt passes: the transport.
        get_calls: run
            .log
            .request_bytes()
            .get("GetRecords")
            .map_or(0, |(calls, _)| *calls),
        records_resent: a.records_resent.load(Ordering::Relaxed),
    }
}

/// Everything measured for one path.
pub struct Collected<'a> {
    /// The path's run state.
    pub run: &'a PathRun,
    /// Its spec.
    pub spec: &'a PathSpec,
    /// The service's KMS count, when the service is embedded.
    pub service: Option<KmsCalls>,
    /// Measured run length (load and drain).
    pub length: Duration,
    /// How its KMS calls are counted (`span`).
    pub span: Span,
}

/// Resamples of a run's overhead interval.
const OVERHEAD_RESAMPLES: usize = 1_000;

/// A path's GetRecords calls, timed at the transport.
pub fn get_latency(run: &PathRun) -> Option<std::sync::Arc<IntervalSeries>> {
    run.log.call_latency(super::GET_RECORDS)
}

/// The overhead of `series` (a path's) over `plain_series` (plaintext's) with its 95 %
/// intervals: by blocks of the run's seconds, the two paths' same seconds together (see
/// [`crate::metrics::resample`]).
fn overhead_with_intervals(
    run: &PathRun,
    series: &IntervalSeries,
    plain_series: &IntervalSeries,
    length: Duration,
) -> Overhead {
    let (ours, theirs) = (series.summary(), plain_series.summary());
    let point = Overhead::between(&ours, &theirs);
    let samples = ours.count.min(theirs.count);
    let (first, last) = (
        series.index_of(run.scenario.warmup),
        series.index_of(length),
    );
    let path = series.sparse_intervals(first, last);
    let plain = plain_series.sparse_intervals(first, last);
    match Overheads::new(&path, &plain, 5_000) {
        Some(o) => {
            let seed = crate::seed::derive(run.scenario.seed, &run.name, 0x0ae4);
            let (_, ci) = resample::overhead_intervals(&o, OVERHEAD_RESAMPLES, 0.95, seed);
            point.with_intervals(ci).enough_for(samples)
        }
        None => point,
    }
}

/// Build the path's result; `plaintext` is the plaintext path's run, if one ran.
pub fn path_result(c: Collected<'_>, plaintext: Option<&PathRun>) -> PathResult {
    let run = c.run;
    let client = client_calls(run, c.span);
    let put = run.put_latency.summary();
    let e2e = run.e2e_latency.summary();
    // Every path but the plaintext reference itself (a plaintext twin included: its overhead
    // is the run's A/A noise floor).
    let overhead = match plaintext {
        Some(p) if p.name != run.name => Some(overhead_with_intervals(
            run,
            &run.put_latency,
            &p.put_latency,
            c.length,
        )),
        _ => None,
    };
    let get = get_latency(run);
    let get_overhead = match (plaintext, &get) {
        (Some(p), Some(g)) if p.name != run.name => {
            get_latency(p).map(|pg| overhead_with_intervals(run, g, &pg, c.length))
        }
        _ => None,
    };
    PathResult {
        name: run.name.clone(),
        kind: settings(c.spec).kind(),
        settings: settings(c.spec),
        put_latency_us: put,
        e2e_latency_us: e2e,
        schedule_lag_us: run.lag.summary(),
        overhead_vs_plaintext_us: overhead,
        get_latency_us: get.map(|g| g.summary()).unwrap_or_default(),
        get_overhead_vs_plaintext_us: get_overhead,
        kms_calls: KmsCallsResult {
            cache_concurrent_misses: run.path.cache_concurrent_misses(),
            ..KmsCallsResult::new(client, c.service, billed_keys(c.spec))
        },
        inflation: inflation(run),
        errors: run.errors.lock().clone(),
        attempts: attempts(run),
        ledger: run.ledger.finish(),
        timeline: run.timeline.points(),
        crypto: {
            let c = run.path.crypto();
            CryptoCost {
                calibration: run
                    .calibration
                    .iter()
                    .map(|k| {
                        CryptoCalibration::new(k.plaintext_bytes, k.records, k.seal_ns, k.open_ns)
                    })
                    .collect(),
                ..CryptoCost::from_totals(
                    (c.seal_bytes, c.seal_records, c.seal_ns),
                    (c.open_bytes, c.open_records, c.open_ns),
                )
            }
        },
        resources: PathResources::default(),
        firehose: None,
        generator: Some(generator(run, c.spec)),
        put_sizes: Some(run.sealed.lock().billed),
        // Priced once every path is collected (`crate::bill::bill_run`).
        bill: None,
        tenant: c.spec.tenant.as_ref().map(|t| crate::result::PathTenant {
            group: t.group.clone(),
            index: t.index,
            key: t.key.map(|k| k.as_str().to_owned()),
            rate_per_sec: t.rate_per_sec,
        }),
    }
}

/// The schedule lag p99 a kept schedule allows: `[expect] schedule_kept`'s, or the default
/// where the scenario turned the check off (the verdict is still made and shown).
pub fn schedule_bound(scenario: &crate::scenario::Scenario) -> Duration {
    scenario
        .expect
        .iter()
        .find(|e| e.metric == crate::scenario::Metric::ScheduleKept)
        .map_or(crate::scenario::DEFAULT_SCHEDULE_LAG_P99, |e| {
            Duration::from_micros(e.threshold as u64)
        })
}

/// How the path's producers kept their schedule, in this process.
fn generator(run: &PathRun, spec: &PathSpec) -> PathGenerator {
    let s = &run.scenario;
    let schedule = Schedule {
        rate_per_sec: s.rate_of(spec) / f64::from(run.worker.count.max(1)),
    };
    let counts = run.sends.counts();
    // Each interval's median lag, by when the sends started, over the measured period.
    let (first, last) = (
        run.lag.index_of(s.warmup),
        run.lag
            .index_of(s.warmup + s.duration + Duration::from_secs_f64(counts.last_lag_secs)),
    );
    let step = run.lag.interval().as_secs_f64();
    let points: Vec<(f64, f64)> = (first..=last)
        .filter_map(|i| {
            let h = run.lag.histogram_at(i)?;
            Some((i as f64 * step, h.value_at_quantile(0.5) as f64))
        })
        .collect();
    PathGenerator::judge(
        schedule,
        counts,
        (&run.lag.summary(), generator::slope(&points)),
        schedule_bound(s).as_micros() as u64,
        s.workload.max_in_flight == crate::scenario::InFlightSpec::Auto,
    )
}

/// The encryption context that tells a tenant's own KMS calls from its path's other tenants'
/// on one key: an envelope path's, with its tenant in it (None for any other path).
pub fn tenant_context(spec: &PathSpec) -> Option<u64> {
    match (&spec.tenant, &spec.protection) {
        (Some(_), crate::scenario::Protection::Envelope(e)) => Some(
            crate::emulator::kms::context_fingerprint(&e.encryption_context),
        ),
        _ => None,
    }
}

/// Customer-managed keys a path is billed for: a tenant sharing its path's key counts none
/// (the first tenant's copy, which created it, counts the one).
fn billed_keys(spec: &PathSpec) -> u32 {
    match &spec.tenant {
        Some(t) if t.key == Some(crate::scenario::TenantKey::Shared) && t.index > 1 => 0,
        _ => settings(spec).customer_managed_keys(),
    }
}

/// What each fault did: its steps' notes and, per path it applied to, the fault report.
pub fn faults(
    scenario: &crate::scenario::Scenario,
    runs: &[std::sync::Arc<PathRun>],
    applied: &[crate::fault::engine::Applied],
    length: Duration,
    load_stopped: Duration,
    results: &[crate::result::PathResult],
) -> Vec<FaultResult> {
    scenario
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let steps: Vec<_> = applied.iter().filter(|a| a.fault == i).collect();
            let (start, end) = crate::fault::plan::window(f, scenario.warmup + scenario.duration);
            // Every fault still in effect was lifted when the load stopped (early, if the run
            // was interrupted); one that never began keeps its planned window.
            let end = end.map(|e| {
                if start < load_stopped {
                    e.min(load_stopped)
                } else {
                    e
                }
            });
            // Every path that watched the fault: those it applied to and, with [tenants], the
            // other tenants' copies of them (their blast radius).
            let watched: Vec<_> = runs
                .iter()
                .filter_map(|r| {
                    let w = r.fault_windows.iter().find(|w| w.fault == i)?;
                    Some(crate::fault::report::path_result(&r.name, w, length))
                })
                .collect();
            let paths = watched
                .iter()
                .filter(|fp| f.applies_to(&fp.path))
                .cloned()
                .collect();
            let mut result = FaultResult {
                name: f.name.clone(),
                kind: f.kind.name().to_string(),
                at_secs: start.as_secs_f64(),
                end_secs: end.map(|e| e.as_secs_f64()),
                applied: !steps.is_empty() && steps.iter().all(|a| a.ok()),
                notes: steps
                    .iter()
                    .map(|a| format!("{:?} at {:.3} s: {}", a.step, a.at.as_secs_f64(), a.note()))
                    .collect(),
                paths,
                tenants: f.tenants.clone(),
                blast_radius: Vec::new(),
            };
            result.blast_radius = crate::result::blast_radius(&result, &watched, results);
            result
        })
        .collect()
}
