//! What every report says first: whether the load generator kept its schedule. Latency is
//! measured from the intended send time, so once the generator falls behind every latency
//! includes its own backlog; the console, the summary and the HTML page say so before any
//! latency, and the gate refuses to judge such a run.

use crate::format;
use crate::result::{PathResult, RunResult};

/// The headline of a run that fell behind.
pub const BEHIND: &str = "BEHIND SCHEDULE: the load generator did not keep its schedule, so the latencies below include its own backlog, not only the service's";

/// Whether the run fell behind its schedule (a result from before schema 11 was not judged).
pub fn behind(r: &RunResult) -> bool {
    r.generator.as_ref().is_some_and(|g| !g.kept)
}

/// The lines that say a run fell behind, with each path's figures and what would help: empty
/// when it kept its schedule.
pub fn behind_lines(r: &RunResult) -> Vec<String> {
    let Some(g) = r.generator.as_ref().filter(|g| !g.kept) else {
        return Vec::new();
    };
    let mut out = vec![BEHIND.to_owned()];
    for p in &r.paths {
        if let Some(pg) = p.generator.as_ref().filter(|pg| !pg.kept) {
            out.push(format!("{}: {}", p.name, path_figures(p)));
            if let Some(why) = &pg.behind {
                out.push(format!("  {why}"));
            }
        }
    }
    if let Some(cpu) = cpu(r) {
        out.push(cpu);
    }
    out.extend(advice(r));
    if !g.checked {
        out.push("([expect] schedule_kept = false: the run does not fail for it)".to_owned());
    }
    out
}

/// One line for a run that kept its schedule, or None (not judged, or behind).
pub fn kept_line(r: &RunResult) -> Option<String> {
    let g = r.generator.as_ref().filter(|g| g.kept)?;
    let worst = r
        .paths
        .iter()
        .filter(|p| p.generator.is_some())
        .map(|p| p.schedule_lag_us.p99)
        .max()?;
    let cpu = cpu(r).map(|c| format!("; {c}")).unwrap_or_default();
    Some(format!(
        "Schedule kept on every path: schedule lag p99 at most {} (allowed {}), each path at its intended rate{cpu}",
        format::us(worst),
        format::us(g.max_lag_p99_us)
    ))
}

/// Paths whose put p99 is mostly the generator's lag (kept or not): a note for each.
pub fn lag_notes(r: &RunResult) -> Vec<String> {
    r.paths
        .iter()
        .filter(|p| p.generator.is_some() && p.put_latency_us.count > 0)
        .filter(|p| 2 * p.schedule_lag_us.p99 > p.put_latency_us.p99)
        .map(|p| {
            format!(
                "{}: the schedule lag p99 ({}) is {} of the put p99 ({}): that percentile is much the generator's, not the service's",
                p.name,
                format::us(p.schedule_lag_us.p99),
                format::percent(p.schedule_lag_us.p99 as f64 / p.put_latency_us.p99.max(1) as f64),
                format::us(p.put_latency_us.p99)
            )
        })
        .collect()
}

/// A path's generator figures: rate sent, lag, its growth, the window.
pub fn path_figures(p: &PathResult) -> String {
    let Some(g) = &p.generator else {
        return "not judged (a result from before the generator was)".to_owned();
    };
    let lag = &p.schedule_lag_us;
    let growth = g
        .lag_growth_us_per_sec
        .map(|s| format!(", growing {} a second", format::us(s.max(0.0) as u64)))
        .unwrap_or_default();
    let waits = if g.window_waits > 0 {
        format!(", full {} times", format::count(g.window_waits))
    } else {
        String::new()
    };
    format!(
        "sent {} of {} records/s; schedule lag p50 {}, p99 {}, max {}{growth}; in flight at most {} of a window of {} ({}){waits}",
        format::number(g.achieved_rate_per_sec),
        format::number(g.intended_rate_per_sec),
        format::us(lag.p50),
        format::us(lag.p99),
        format::us(lag.max),
        format::count(g.in_flight_high_water),
        format::count(g.in_flight_limit),
        g.in_flight_mode,
    )
}

/// "CPU: 1.06 of 2 cores busy during the load".
fn cpu(r: &RunResult) -> Option<String> {
    let g = r.generator.as_ref()?;
    let used = g.cpu_cores_used?;
    Some(format!(
        "CPU: {} of {} cores busy during the load",
        format::number(used),
        g.cpus
    ))
}

/// What would let the run keep its schedule, from what held it back.
fn advice(r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    let fixed_full = r
        .paths
        .iter()
        .filter_map(|p| p.generator.as_ref())
        .any(|g| !g.kept && g.in_flight_mode == "fixed" && g.window_waits > 0);
    if fixed_full {
        out.push("fix: the in-flight window was full: raise [workload] max_in_flight, or set it to \"auto\" (sized from the rate and the latency)".to_owned());
    }
    let g = r.generator.as_ref();
    let busy = g.and_then(|g| Some((g.cpu_cores_used?, g.cpus)));
    if let Some((used, cpus)) = busy {
        if used >= 0.8 * f64::from(cpus) {
            out.push("fix: the machine's cores were busy: split the run over machines (run --worker I/N, then merge), or lower the rate".to_owned());
        } else if used >= 0.8 {
            out.push("fix: about one core was busy and the others idle: more producers ([workload] producers) spread the sends over the cores; or split the run over machines (run --worker I/N, then merge)".to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behind_run() -> RunResult {
        let mut r = crate::result::sample_run_result();
        let p = &mut r.paths[0];
        p.schedule_lag_us.p99 = 5_520_000;
        if let Some(g) = p.generator.as_mut() {
            g.kept = false;
            g.achieved_rate_per_sec = 42.0;
            g.in_flight_mode = "fixed".to_owned();
            g.window_waits = 3_000;
            g.behind = Some("sent 42 of 100 records/s (42.0%)".to_owned());
        }
        if let Some(g) = r.generator.as_mut() {
            g.kept = false;
        }
        r
    }

    #[test]
    fn a_run_behind_says_so_with_its_figures_and_what_to_do() {
        let r = behind_run();
        assert!(behind(&r));
        let lines = behind_lines(&r);
        assert_eq!(lines[0], BEHIND);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("plaintext: sent 42 of 100")),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("p99 5.52 s")), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("max_in_flight")),
            "{lines:?}"
        );
        assert_eq!(kept_line(&r), None);
    }

    #[test]
    fn a_run_that_kept_its_schedule_says_that_in_one_line() {
        let r = crate::result::sample_run_result();
        assert!(!behind(&r));
        assert!(behind_lines(&r).is_empty());
        let line = kept_line(&r).unwrap_or_default();
        assert!(line.starts_with("Schedule kept on every path"), "{line}");
        // An older result was not judged: nothing either way.
        let mut old = r.clone();
        old.generator = None;
        old.paths.iter_mut().for_each(|p| p.generator = None);
        assert!(!behind(&old) && kept_line(&old).is_none());
    }
}
