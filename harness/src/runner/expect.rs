//! Checking a scenario's `[expect]` lines against the measured result.

use crate::result::{ExpectationResult, PathResult};
use crate::scenario::{Expectation, Metric};

/// The measured value of `metric` on one path (None where the metric has no value, e.g. the
/// overhead of the plaintext path itself).
pub fn measure(metric: Metric, p: &PathResult) -> Option<f64> {
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
        Metric::KmsCallsPerWindow => p.kms_calls.max_per_window as f64,
        Metric::KmsCallsTotal => p.kms_calls.total as f64,
        Metric::InflationRatio => p.inflation.ratio,
        Metric::OverheadBytes => p.inflation.overhead_bytes,
        Metric::ErrorsTotal => p.errors.values().sum::<u64>() as f64,
    })
}

/// Evaluate every expectation on every path it applies to. A metric with no value on a path it
/// names explicitly fails; on an "every path" line it is skipped for that path.
pub fn evaluate(expect: &[Expectation], paths: &[PathResult]) -> Vec<ExpectationResult> {
    let mut out = Vec::new();
    for e in expect {
        for p in paths.iter().filter(|p| e.scope.as_deref().is_none_or(|s| s == p.name)) {
            let measured = measure(e.metric, p);
            if measured.is_none() && e.scope.is_none() {
                continue;
            }
            out.push(ExpectationResult {
                text: e.text.clone(),
                path: p.name.clone(),
                measured,
                passed: measured.is_some_and(|m| e.cmp.holds(m, e.threshold)),
            });
        }
    }
    out
}
