//! Checking a scenario's `[expect]` lines against the measured result.

use crate::result::{ExpectationResult, PathResult, RunResult};
use crate::scenario::{Expectation, FaultMetric, Metric};

/// The measured value of `metric` on one path of `run` (None where the metric has no value,
/// e.g. the overhead of the plaintext path itself, or a fault that did not apply to the path).
pub fn measure(metric: &Metric, p: &PathResult, run: &RunResult) -> Option<f64> {
    let l = &p.ledger;
    Some(match metric {
        Metric::Lost => l.lost as f64,
        Metric::Duplicated => l.duplicated as f64,
        Metric::Corrupted => l.corrupted as f64,
        Metric::Unreadable => l.unreadable as f64,
        Metric::Failed => l.failed as f64,
        Metric::Acked => l.acked as f64,
        Metric::Read => l.read as f64,
        Metric::Decrypted => l.decrypted as f64,
        Metric::PutP50Us => p.put_latency_us.p50 as f64,
        Metric::PutP99Us => p.put_latency_us.p99 as f64,
        Metric::E2eP50Us => p.e2e_latency_us.p50 as f64,
        Metric::E2eP99Us => p.e2e_latency_us.p99 as f64,
        Metric::OverheadP50Us => p.overhead_vs_plaintext_us.as_ref()?.p50 as f64,
        Metric::OverheadP99Us => p.overhead_vs_plaintext_us.as_ref()?.p99 as f64,
        // Calls that could not be counted are not measured (never 0).
        Metric::KmsCallsPerWindow => counted(p)?.calls_per_window,
        Metric::KmsCallsTotal => counted(p)?.total as f64,
        Metric::InflationRatio => p.inflation.ratio,
        Metric::OverheadBytes => p.inflation.overhead_bytes,
        Metric::ErrorsTotal => p.errors.values().sum::<u64>() as f64,
        // Judged only where the generator was (never on an older result).
        Metric::ScheduleLagP99Us => {
            p.generator.as_ref()?;
            p.schedule_lag_us.p99 as f64
        }
        // The lag percentile the verdict judged (the median with too few sends for a p99).
        Metric::ScheduleKept => {
            p.generator.as_ref()?;
            crate::result::generator::judged_lag(&p.schedule_lag_us).1 as f64
        }
        Metric::Errors(name) => p.errors.get(name).copied().unwrap_or(0) as f64,
        Metric::Fault { fault, measure } => {
            let f = run.faults.iter().find(|f| &f.name == fault)?;
            let fp = f.paths.iter().find(|fp| fp.path == p.name)?;
            match measure {
                FaultMetric::FirstErrorMs => fp.first_error_ms?,
                FaultMetric::RecoveryMs => fp.recovery_ms?,
                FaultMetric::Errors => fp.errors_during.values().sum::<u64>() as f64,
                FaultMetric::PutsOk => fp.puts_ok_during as f64,
                FaultMetric::HitTenants | FaultMetric::CollateralTenants => {
                    let group = &p.tenant.as_ref()?.group;
                    let b = f.blast_radius.iter().find(|b| &b.path == group)?;
                    match measure {
                        FaultMetric::HitTenants => b.hit.len() as f64,
                        _ => b.collateral.len() as f64,
                    }
                }
            }
        }
    })
}

/// A path's KMS calls, if they could be counted.
fn counted(p: &PathResult) -> Option<&crate::result::KmsCallsResult> {
    p.kms_calls.not_counted.is_none().then_some(&p.kms_calls)
}

/// Evaluate every expectation on every path it applies to. A metric with no value fails on a
/// path the line names; on an "every path" line that path is skipped.
pub fn evaluate(expect: &[Expectation], run: &RunResult) -> Vec<ExpectationResult> {
    let mut out = Vec::new();
    for e in expect {
        for p in run
            .paths
            .iter()
            .filter(|p| e.scope.as_deref().is_none_or(|s| s == p.name))
        {
            let measured = measure(&e.metric, p, run);
            if measured.is_none() && e.scope.is_none() {
                continue;
            }
            out.push(ExpectationResult {
                text: e.text.clone(),
                path: p.name.clone(),
                measured,
                passed: match e.metric {
                    // Kept: the lag within the bound *and* the rate sent (the path's verdict).
                    Metric::ScheduleKept => p.generator.as_ref().is_some_and(|g| g.kept),
                    _ => measured.is_some_and(|m| e.cmp.holds(m, e.threshold)),
                },
            });
        }
    }
    out
}
