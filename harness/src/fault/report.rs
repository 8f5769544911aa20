//! What a fault did to a path, from its window's tallies: time to the first error, errors
//! while it lasted, recovery, throughput back to its pre-fault level, latency before, during
//! and after.

use std::time::Duration;

use super::window::FaultWindow;
use crate::result::FaultPathResult;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The fault's effect on one path; `until` is the end of the run (load and drain).
pub fn path_result(path: &str, w: &FaultWindow, until: Duration) -> FaultPathResult {
    let t = w.tally.lock();
    let since_start = |x: Option<Duration>| x.map(|x| ms(x - w.start));
    let [producer, consumer] = t.first_error;
    let first = match (producer, consumer) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let pre_secs = w.start.saturating_sub(w.pre_from).as_secs_f64();
    let pre = (pre_secs >= 1.0).then(|| t.acks_before as f64 / pre_secs);
    // The first whole second after the end with at least 90 % of the pre-fault rate.
    let throughput_recovery_ms = match (w.end, pre) {
        (Some(end), Some(pre)) if pre > 0.0 => (0u64..)
            .take_while(|k| end + Duration::from_secs(k + 1) <= until)
            .find(|k| {
                let n = t.acks_after.get(*k as usize).copied().unwrap_or(0);
                n as f64 >= 0.9 * pre
            })
            .map(|k| ms(Duration::from_secs(k))),
        _ => None,
    };
    FaultPathResult {
        path: path.to_string(),
        first_error_ms: since_start(first),
        first_producer_error_ms: since_start(producer),
        first_consumer_error_ms: since_start(consumer),
        errors_during: t.errors_during.clone(),
        puts_ok_during: t.acks_during,
        failed_during: t.failures_during,
        recovery_ms: w
            .end
            .and_then(|end| t.first_ack_after_end.map(|a| ms(a - end))),
        throughput_recovery_ms,
        latency_before_us: w.latency[0].summary(),
        latency_during_us: w.latency[1].summary(),
        latency_after_us: w.latency[2].summary(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Role;

    fn s(x: f64) -> Duration {
        Duration::from_secs_f64(x)
    }

    #[test]
    fn fault_report_measures_first_error_and_recovery() {
        let w = FaultWindow::new(0, s(5.0), Some(s(8.0)), Duration::ZERO);
        // 10 acks/s from 0 to 5 s, none while denied (5..8 s), back at 8.25 s.
        for i in 0..50 {
            w.ack(s(i as f64 * 0.1));
        }
        for i in 0..40 {
            w.ack(s(8.25 + i as f64 * 0.1));
        }
        w.error(s(4.0), Role::Producer, "Before");
        w.error(s(5.002), Role::Producer, "KMSAccessDeniedException");
        w.error(s(5.3), Role::Consumer, "KMSAccessDeniedException");
        w.error(s(9.0), Role::Producer, "Other");
        w.failure(s(6.0));
        w.failure(s(9.0));
        let r = path_result("sse-kms", &w, s(13.0));
        assert!((r.first_error_ms.unwrap_or(0.0) - 2.0).abs() < 1e-6);
        assert!((r.first_consumer_error_ms.unwrap_or(0.0) - 300.0).abs() < 1e-6);
        assert_eq!(r.errors_during.get("KMSAccessDeniedException"), Some(&2));
        assert_eq!(r.errors_during.get("Other"), None);
        assert_eq!(r.errors_during.get("Before"), None);
        assert_eq!(r.puts_ok_during, 0);
        assert_eq!(r.failed_during, 1);
        assert!((r.recovery_ms.unwrap_or(0.0) - 250.0).abs() < 1e-6);
        // 8..9 s holds 8 acks (< 90 % of 10), 9..10 s holds 10.
        assert_eq!(r.throughput_recovery_ms, Some(1000.0));
        // Not enough run left after the end to see the rate come back.
        let short = path_result("sse-kms", &w, s(9.5));
        assert_eq!(short.throughput_recovery_ms, None);
    }

    #[test]
    fn pre_fault_rate_starts_after_the_warm_up() {
        // Warm-up to 4.5 s: only half a second before the fault, too short for a rate.
        let w = FaultWindow::new(0, s(5.0), Some(s(6.0)), s(4.5));
        for i in 0..70 {
            w.ack(s(i as f64 * 0.1));
        }
        let r = path_result("p", &w, s(10.0));
        assert_eq!(r.throughput_recovery_ms, None);
        assert!(r.recovery_ms.is_some_and(|x| x < 1e-6), "{r:?}");
    }
}
