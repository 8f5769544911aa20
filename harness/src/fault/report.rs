//! What a fault did to a path, from the path's timestamped events: time to the first error,
//! errors while it lasted, recovery, throughput back to its pre-fault level, latency before,
//! during and after. And the per-second timeline the report plots.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::result::{FaultPathResult, TimelinePoint};
use crate::workload::context::{Events, FaultWindow, Role};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn within(t: Duration, start: Duration, end: Option<Duration>) -> bool {
    t >= start && end.is_none_or(|e| t < e)
}

/// Mean acknowledgements per second over the `span` before `start` (not before `from`).
fn rate_before(acks: &[Duration], from: Duration, start: Duration, span: Duration) -> Option<f64> {
    let lo = start.saturating_sub(span).max(from);
    let secs = start.saturating_sub(lo).as_secs_f64();
    if secs < 1.0 {
        return None;
    }
    let n = acks.iter().filter(|t| **t >= lo && **t < start).count();
    Some(n as f64 / secs)
}

/// First whole second after `end` with at least 90 % of `pre` acknowledgements, as ms after `end`.
fn throughput_back(acks: &[Duration], end: Duration, pre: f64, until: Duration) -> Option<f64> {
    let mut k = 0u64;
    loop {
        let lo = end + Duration::from_secs(k);
        let hi = lo + Duration::from_secs(1);
        if hi > until {
            return None;
        }
        let n = acks.iter().filter(|t| **t >= lo && **t < hi).count() as f64;
        if n >= 0.9 * pre {
            return Some(ms(Duration::from_secs(k)));
        }
        k += 1;
    }
}

/// The fault's effect on one path. `measure_from` is the end of the warm-up; `until` the end
/// of the run (load and drain).
pub fn path_result(
    path: &str,
    w: &FaultWindow,
    ev: &Events,
    measure_from: Duration,
    until: Duration,
) -> FaultPathResult {
    let first = |role: Option<Role>| {
        ev.errors
            .iter()
            .filter(|(t, r, _)| *t >= w.start && role.is_none_or(|want| want == *r))
            .map(|(t, ..)| *t)
            .min()
            .map(|t| ms(t - w.start))
    };
    let mut errors_during = BTreeMap::new();
    for (_, _, code) in ev
        .errors
        .iter()
        .filter(|(t, ..)| within(*t, w.start, w.end))
    {
        *errors_during.entry(code.clone()).or_insert(0) += 1;
    }
    let recovery_ms = w.end.and_then(|end| {
        ev.acks
            .iter()
            .filter(|t| **t >= end)
            .min()
            .map(|t| ms(*t - end))
    });
    let pre = rate_before(&ev.acks, measure_from, w.start, Duration::from_secs(10));
    let throughput_recovery_ms = match (w.end, pre) {
        (Some(end), Some(pre)) if pre > 0.0 => throughput_back(&ev.acks, end, pre, until),
        _ => None,
    };
    FaultPathResult {
        path: path.to_string(),
        first_error_ms: first(None),
        first_producer_error_ms: first(Some(Role::Producer)),
        first_consumer_error_ms: first(Some(Role::Consumer)),
        errors_during,
        puts_ok_during: ev
            .acks
            .iter()
            .filter(|t| within(**t, w.start, w.end))
            .count() as u64,
        failed_during: ev
            .failures
            .iter()
            .filter(|t| within(**t, w.start, w.end))
            .count() as u64,
        recovery_ms,
        throughput_recovery_ms,
        latency_before_us: w.latency[0].summary(),
        latency_during_us: w.latency[1].summary(),
        latency_after_us: w.latency[2].summary(),
    }
}

/// Per second of the run: acknowledged, given up, errors by name.
pub fn timeline(ev: &Events) -> Vec<TimelinePoint> {
    let last = ev
        .acks
        .iter()
        .chain(ev.failures.iter())
        .chain(ev.errors.iter().map(|(t, ..)| t))
        .map(|t| t.as_secs())
        .max();
    let Some(last) = last else { return Vec::new() };
    let mut points: Vec<TimelinePoint> = (0..=last)
        .map(|second| TimelinePoint {
            second,
            acked: 0,
            failed: 0,
            errors: BTreeMap::new(),
        })
        .collect();
    for t in &ev.acks {
        points[t.as_secs() as usize].acked += 1;
    }
    for t in &ev.failures {
        points[t.as_secs() as usize].failed += 1;
    }
    for (t, _, code) in &ev.errors {
        *points[t.as_secs() as usize]
            .errors
            .entry(code.clone())
            .or_insert(0) += 1;
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::latency::SharedLatency;

    fn s(x: f64) -> Duration {
        Duration::from_secs_f64(x)
    }

    #[test]
    fn fault_report_measures_first_error_and_recovery() {
        let mut ev = Events::default();
        // 10 acks/s from 0 to 5 s, none while denied (5..8 s), back at 8.25 s.
        for i in 0..50 {
            ev.acks.push(s(i as f64 * 0.1));
        }
        for i in 0..40 {
            ev.acks.push(s(8.25 + i as f64 * 0.1));
        }
        ev.errors
            .push((s(5.002), Role::Producer, "KMSAccessDeniedException".into()));
        ev.errors
            .push((s(5.3), Role::Consumer, "KMSAccessDeniedException".into()));
        ev.errors.push((s(9.0), Role::Producer, "Other".into()));
        ev.failures.push(s(6.0));
        let w = FaultWindow {
            fault: 0,
            start: s(5.0),
            end: Some(s(8.0)),
            latency: [
                SharedLatency::new(),
                SharedLatency::new(),
                SharedLatency::new(),
            ],
        };
        let r = path_result("sse-kms", &w, &ev, Duration::ZERO, s(13.0));
        assert!((r.first_error_ms.unwrap() - 2.0).abs() < 1e-6);
        assert!((r.first_consumer_error_ms.unwrap() - 300.0).abs() < 1e-6);
        assert_eq!(r.errors_during.get("KMSAccessDeniedException"), Some(&2));
        assert_eq!(r.errors_during.get("Other"), None);
        assert_eq!(r.puts_ok_during, 0);
        assert_eq!(r.failed_during, 1);
        assert!((r.recovery_ms.unwrap() - 250.0).abs() < 1e-6);
        // 8..9 s holds 8 acks (< 90 % of 10), 9..10 s holds 10.
        assert_eq!(r.throughput_recovery_ms, Some(1000.0));
        let t = timeline(&ev);
        assert_eq!(t.len(), 13);
        assert_eq!(t[0].acked, 10);
        assert_eq!(t[6].acked, 0);
        assert_eq!(t[6].failed, 1);
        assert_eq!(t[5].errors.get("KMSAccessDeniedException"), Some(&2));
    }
}
