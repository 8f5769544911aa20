//! Combining the workers' figures: what adds (counters, ledgers, errors, KMS calls per window,
//! the rate the month is projected from) is added; what is a distribution comes from the merged
//! histograms; what is the same for every worker (settings, resources) is worker 1's.
//!
//! Each worker accounts exactly the records it sent (its consumers pass over the others'), so
//! a record's ledger entry is in one worker's result only and the sums count it once.

use std::collections::BTreeMap;
use std::time::Duration;

use super::histograms::Merged;
use crate::metrics::kms_calls::{monthly_cost_usd, monthly_requests, KmsCalls};
use crate::metrics::{Ledger, TimelinePoint};
use crate::result::{
    Attempts, BlastRadius, CryptoCost, FaultPathResult, FaultResult, Inflation, KmsCallsResult,
    PathGenerator, PathKind, PathResult, PathSettings, RunResult,
};

fn add_maps(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

fn sum_maps<'a>(maps: impl Iterator<Item = &'a BTreeMap<String, u64>>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for m in maps {
        add_maps(&mut out, m);
    }
    out
}

/// The workers' KMS calls of one path as one count: totals, operations and each window summed
/// (the windows line up: every worker's run started at the common instant); the rate the month
/// is projected from is the sum of theirs (each is linear in the calls), and the month, its
/// cost and the mean recomputed from the sums. The peak in one second and the quota share are
/// the sums of the workers' peaks: an upper bound (their peaks need not fall in the same
/// second), which `cost_basis` says.
pub fn kms_calls(parts: &[&KmsCalls]) -> KmsCalls {
    let Some(first) = parts.first() else {
        return KmsCalls::default();
    };
    let windows = parts.iter().map(|p| p.per_window.len()).max().unwrap_or(0);
    let mut per_window = vec![0u64; windows];
    for p in parts {
        for (i, c) in p.per_window.iter().enumerate() {
            per_window[i] += c;
        }
    }
    let total: u64 = parts.iter().map(|p| p.total).sum();
    let calls_per_sec: f64 = parts.iter().map(|p| p.calls_per_sec).sum();
    let monthly = monthly_requests(calls_per_sec);
    KmsCalls {
        total,
        warmup_calls: parts.iter().map(|p| p.warmup_calls).sum(),
        warmup_by_operation: sum_maps(parts.iter().map(|p| &p.warmup_by_operation)),
        by_operation: sum_maps(parts.iter().map(|p| &p.by_operation)),
        by_principal: sum_maps(parts.iter().map(|p| &p.by_principal)),
        by_key: sum_maps(parts.iter().map(|p| &p.by_key)),
        window_secs: first.window_secs,
        max_per_window: per_window.iter().copied().max().unwrap_or(0),
        mean_per_window: if per_window.is_empty() {
            0.0
        } else {
            total as f64 / per_window.len() as f64
        },
        per_window,
        calls_per_sec,
        calls_per_window: calls_per_sec * first.window_secs,
        cost_basis: format!(
            "the sum of {} workers' rates (worker 1: {}); the peak second is the sum of theirs, an upper bound",
            parts.len(),
            first.cost_basis
        ),
        monthly_requests: monthly,
        monthly_cost_usd: monthly_cost_usd(monthly),
        peak_per_sec: parts.iter().map(|p| p.peak_per_sec).sum(),
        quota_share: parts.iter().map(|p| p.quota_share).sum(),
    }
}

fn kms_result(parts: &[&PathResult]) -> KmsCallsResult {
    let client: Vec<&KmsCalls> = parts.iter().map(|p| &p.kms_calls.client).collect();
    let service: Option<Vec<&KmsCalls>> =
        parts.iter().map(|p| p.kms_calls.service.as_ref()).collect();
    let keys = parts
        .first()
        .map_or(0, |p| p.kms_calls.customer_managed_keys);
    let mut merged = KmsCallsResult::new(kms_calls(&client), service.map(|s| kms_calls(&s)), keys);
    // The parts' source, when they agree (a worker's CloudTrail count is never summed: workers
    // do not look it up); one part not counted leaves the whole not counted.
    if let Some(first) = parts.first() {
        if parts
            .iter()
            .all(|p| p.kms_calls.counted_by == first.kms_calls.counted_by)
        {
            merged.counted_by = first.kms_calls.counted_by.clone();
        }
    }
    if let Some(why) = parts.iter().find_map(|p| p.kms_calls.not_counted.clone()) {
        merged = merged.uncounted(why);
    }
    merged.cache_concurrent_misses = parts
        .iter()
        .filter_map(|p| p.kms_calls.cache_concurrent_misses)
        .reduce(|a, b| a + b);
    merged
}

fn ledger(parts: &[&PathResult]) -> Ledger {
    parts.iter().map(|p| &p.ledger).sum()
}

fn attempts(parts: &[&PathResult]) -> Attempts {
    parts.iter().map(|p| &p.attempts).sum()
}

fn timeline(parts: &[&PathResult]) -> Vec<TimelinePoint> {
    let mut by: BTreeMap<u64, TimelinePoint> = BTreeMap::new();
    for t in parts.iter().flat_map(|p| &p.timeline) {
        let e = by.entry(t.second).or_insert_with(|| TimelinePoint {
            second: t.second,
            acked: 0,
            failed: 0,
            errors: BTreeMap::new(),
        });
        e.acked += t.acked;
        e.failed += t.failed;
        add_maps(&mut e.errors, &t.errors);
    }
    by.into_values().collect()
}

/// Means weighted by each worker's records sealed (sent, where nothing is sealed).
fn inflation(parts: &[&PathResult]) -> Inflation {
    let mut out = parts[0].inflation.clone();
    let weight = |p: &PathResult| match p.crypto.seal_records {
        0 => p.ledger.sent,
        n => n,
    } as f64;
    let total: f64 = parts.iter().map(|p| weight(p)).sum();
    if total <= 0.0 {
        return out;
    }
    let mean = |f: fn(&Inflation) -> f64| {
        parts
            .iter()
            .map(|p| f(&p.inflation) * weight(p))
            .sum::<f64>()
            / total
    };
    out.plaintext_bytes = mean(|i| i.plaintext_bytes);
    out.record_bytes = mean(|i| i.record_bytes);
    out.wire_bytes = mean(|i| i.wire_bytes);
    out.overhead_bytes = mean(|i| i.overhead_bytes);
    out.ratio = mean(|i| i.ratio);
    out
}

/// Each named size's put p50 and p99 from the workers' per-size histograms added (`sized`, from
/// their `sizes.hlog`); a size no worker measured keeps none.
pub fn size_latency(path: &mut PathResult, sized: &super::histograms::Merged) {
    for row in &mut path.inflation.by_size {
        let s = sized.summary(&format!("{}.put.{}", path.name, row.plaintext_bytes));
        (row.put_p50_us, row.put_p99_us) = match s.count {
            0 => (None, None),
            _ => (Some(s.p50), Some(s.p99)),
        };
    }
}

fn crypto(parts: &[&PathResult]) -> CryptoCost {
    let ns = |us: f64| (us * 1e3).round() as u64;
    let sum = |f: fn(&CryptoCost) -> u64| parts.iter().map(|p| f(&p.crypto)).sum::<u64>();
    let mut c = CryptoCost::from_totals(
        (
            sum(|c| c.seal_bytes),
            sum(|c| c.seal_records),
            parts.iter().map(|p| ns(p.crypto.seal_cpu_us)).sum(),
        ),
        (
            sum(|c| c.open_bytes),
            sum(|c| c.open_records),
            parts.iter().map(|p| ns(p.crypto.open_cpu_us)).sum(),
        ),
    );
    c.calibration = parts[0].crypto.calibration.clone();
    c
}

/// One path's result from every worker's (in worker order), its latencies from the merged
/// histograms; `plain` is the plaintext reference path's name (None: no overhead), `seed` the
/// scenario's.
pub fn path(parts: &[&PathResult], merged: &Merged, plain: Option<&str>, seed: u64) -> PathResult {
    let first = parts[0];
    let n = &first.name;
    let tag = |kind: &str| format!("{n}.{kind}");
    let overhead_seed = crate::seed::derive(seed, n, 0x0ae4);
    let overhead = |kind: &str| {
        let p = plain.filter(|p| *p != n.as_str())?;
        merged.overhead(&tag(kind), &format!("{p}.{kind}"), overhead_seed)
    };
    PathResult {
        put_latency_us: merged.summary(&tag("put")),
        e2e_latency_us: merged.summary(&tag("e2e")),
        schedule_lag_us: merged.summary(&tag("lag")),
        overhead_vs_plaintext_us: first
            .overhead_vs_plaintext_us
            .as_ref()
            .and_then(|_| overhead("put")),
        get_latency_us: merged.summary(&tag("get")),
        get_overhead_vs_plaintext_us: first
            .get_overhead_vs_plaintext_us
            .as_ref()
            .and_then(|_| overhead("get")),
        kms_calls: kms_result(parts),
        inflation: inflation(parts),
        errors: sum_maps(parts.iter().map(|p| &p.errors)),
        attempts: attempts(parts),
        ledger: ledger(parts),
        timeline: timeline(parts),
        crypto: crypto(parts),
        generator: generator(parts),
        put_sizes: parts
            .iter()
            .map(|p| p.put_sizes)
            .reduce(|a, b| Some(a?.merged(b?)))
            .flatten(),
        ..first.clone()
    }
}

/// Bill the merged paths again with the prices the workers' bills used: the file they name if
/// it is still there, else the shipped table of the region (none: the merged result says why).
pub fn bill(r: &mut RunResult) {
    let from = r.bill.as_ref().map(|b| b.prices_from.clone());
    let file = from
        .as_deref()
        .filter(|f| !f.starts_with("shipped prices") && *f != "none")
        .and_then(|f| crate::bill::PriceTable::read(std::path::Path::new(f)).ok())
        .zip(from.clone());
    let table = file.or_else(|| {
        crate::bill::PriceTable::shipped(&r.target.region)
            .map(|t| (t, format!("shipped prices for {}", r.target.region)))
    });
    crate::bill::bill_run(r, table.as_ref().map(|(t, f)| (t, f.as_str())));
}

/// The path's generator over every worker: rates, records and waits summed, the window's
/// largest; kept only if every worker kept its share (each judged its own schedule).
fn generator(parts: &[&PathResult]) -> Option<PathGenerator> {
    let gs: Vec<&PathGenerator> = parts
        .iter()
        .map(|p| p.generator.as_ref())
        .collect::<Option<_>>()?;
    let behind: Vec<String> = gs
        .iter()
        .enumerate()
        .filter_map(|(i, g)| Some(format!("worker {}: {}", i + 1, g.behind.as_ref()?)))
        .collect();
    Some(PathGenerator {
        intended_rate_per_sec: gs.iter().map(|g| g.intended_rate_per_sec).sum(),
        achieved_rate_per_sec: gs.iter().map(|g| g.achieved_rate_per_sec).sum(),
        records: gs.iter().map(|g| g.records).sum(),
        lag_growth_us_per_sec: max_opt(gs.iter().map(|g| g.lag_growth_us_per_sec)),
        in_flight_high_water: gs.iter().map(|g| g.in_flight_high_water).max().unwrap_or(0),
        in_flight_limit: gs.iter().map(|g| g.in_flight_limit).max().unwrap_or(0),
        window_waits: gs.iter().map(|g| g.window_waits).sum(),
        kept: gs.iter().all(|g| g.kept),
        behind: (!behind.is_empty()).then(|| behind.join("; ")),
        ..gs[0].clone()
    })
}

/// The run's generator over every worker: kept if every path was; the CPU each used is in its
/// own result (the machines differ).
pub fn run_generator(
    parts: &[&RunResult],
    paths: &[PathResult],
) -> Option<crate::result::GeneratorResult> {
    let first = parts.first()?.generator.as_ref()?;
    Some(crate::result::GeneratorResult {
        kept: paths
            .iter()
            .all(|p| p.generator.as_ref().is_some_and(|g| g.kept)),
        cpu_cores_used: None,
        ..first.clone()
    })
}

fn min_opt(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    v.flatten().reduce(f64::min)
}

fn max_opt(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    v.flatten().reduce(f64::max)
}

/// A fault's account on one path from every worker's: counts during it summed, the first error
/// the earliest any worker saw, the first ack after it the earliest (`recovery_ms`), the
/// throughput's recovery the latest (every worker back to 90 % of its rate); latencies before,
/// during and after from the merged put histograms' whole intervals in each span.
fn fault_path(
    parts: &[&FaultPathResult],
    merged: &Merged,
    (warmup, at, end): (Duration, Duration, Option<Duration>),
) -> FaultPathResult {
    let first = parts[0];
    let tag = format!("{}.put", first.path);
    FaultPathResult {
        path: first.path.clone(),
        first_error_ms: min_opt(parts.iter().map(|p| p.first_error_ms)),
        first_producer_error_ms: min_opt(parts.iter().map(|p| p.first_producer_error_ms)),
        first_consumer_error_ms: min_opt(parts.iter().map(|p| p.first_consumer_error_ms)),
        errors_during: sum_maps(parts.iter().map(|p| &p.errors_during)),
        puts_ok_during: parts.iter().map(|p| p.puts_ok_during).sum(),
        failed_during: parts.iter().map(|p| p.failed_during).sum(),
        recovery_ms: min_opt(parts.iter().map(|p| p.recovery_ms)),
        throughput_recovery_ms: max_opt(parts.iter().map(|p| p.throughput_recovery_ms)),
        latency_before_us: merged.summary_within(&tag, warmup, Some(at)),
        latency_during_us: merged.summary_within(&tag, at, end),
        latency_after_us: match end {
            Some(e) => merged.summary_within(&tag, e, None),
            None => Default::default(),
        },
    }
}

/// Each fault as worker 1 (which carried it out) recorded it, its per-path accounts combined
/// over every worker's and its blast radius counted again from the sums and merged ledgers.
pub fn faults(
    workers: &[&[FaultResult]],
    merged: &Merged,
    warmup: Duration,
    paths: &[PathResult],
) -> Vec<FaultResult> {
    let Some(base) = workers.first() else {
        return Vec::new();
    };
    base.iter()
        .enumerate()
        .map(|(i, f)| {
            let span = (
                warmup,
                Duration::from_secs_f64(f.at_secs),
                f.end_secs.map(Duration::from_secs_f64),
            );
            let mut out = f.clone();
            out.paths = f
                .paths
                .iter()
                .map(|fp| {
                    let parts: Vec<&FaultPathResult> = workers
                        .iter()
                        .filter_map(|w| w.get(i))
                        .filter_map(|wf| wf.paths.iter().find(|p| p.path == fp.path))
                        .collect();
                    fault_path(&parts, merged, span)
                })
                .collect();
            out.blast_radius = f
                .blast_radius
                .iter()
                .map(|b| blast_radius(b, i, workers, paths))
                .collect();
            out
        })
        .collect()
}

fn blast_radius(
    b: &BlastRadius,
    fault: usize,
    workers: &[&[FaultResult]],
    paths: &[PathResult],
) -> BlastRadius {
    let mut out = BlastRadius::empty(b.path.clone(), b.key.clone());
    for t in &b.tenants {
        let mut impact = t.clone();
        let same: Vec<_> = workers
            .iter()
            .filter_map(|w| w.get(fault))
            .filter_map(|f| f.blast_radius.iter().find(|x| x.path == b.path))
            .filter_map(|x| x.tenants.iter().find(|y| y.tenant == t.tenant))
            .collect();
        impact.errors_during = same.iter().map(|y| y.errors_during).sum();
        impact.failed_during = same.iter().map(|y| y.failed_during).sum();
        impact.puts_ok_during = same.iter().map(|y| y.puts_ok_during).sum();
        if let Some(p) = paths.iter().find(|p| p.name == t.path) {
            impact.lost = p.ledger.lost;
            impact.unreadable = p.ledger.unreadable;
        }
        out.count(impact);
    }
    out
}

/// What a reader of the merged result must know that one machine's result would not say.
pub fn notes(paths: &[PathResult], count: u32, interval: Duration) -> Vec<String> {
    let mut out = vec![format!(
        "{count} workers each accounted the records they sent (their consumers passed over the others'), so each record counts once; end-to-end latency is measured on the sender's own clock"
    ), format!(
        "latency before, during and after a fault comes from the merged histograms' whole {} s intervals in each span",
        interval.as_secs_f64()
    )];
    for p in paths {
        if let PathSettings::Envelope(e) = &p.settings {
            if e.cache.is_some() {
                out.push(format!(
                    "{}: each of the {count} workers kept its own data-key cache, so GenerateDataKey calls are about {count} times one machine's ({} in all, warm-up included)",
                    p.name,
                    ["GenerateDataKey"]
                        .iter()
                        .map(|op| p.kms_calls.by_operation.get(*op).copied().unwrap_or(0)
                            + p.kms_calls.warmup_by_operation.get(*op).copied().unwrap_or(0))
                        .sum::<u64>()
                ));
            }
        }
        if p.kind == PathKind::SseKms && p.kms_calls.service.is_none() {
            out.push(format!(
                "{}: Kinesis's own KMS calls under SSE are not seen by the workers' clients off the embedded service",
                p.name
            ));
        }
    }
    out
}
