//! How well the load generator kept its schedule (schema 11). Latency is measured from each
//! record's intended send time, so it is the service's only while sends start on time: once the
//! generator falls behind, every figure includes its own backlog. A run says which it was.

use serde::{Deserialize, Serialize};

use crate::metrics::LatencySummary;

/// The share of its intended rate a path must send at for its schedule to count as kept: below
/// it the generator fell behind for good (its lag grows), whatever its p99.
pub const MIN_RATE_RATIO: f64 = 0.99;

/// How one path's producers kept their schedule (in this process: a worker's share of it).
/// The lag itself (p50, p99, max) is the path's `schedule_lag_us`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathGenerator {
    /// Records a second the schedule asked of this process on this path, measured period.
    pub intended_rate_per_sec: f64,
    /// Records a second it started: the measured period's sends over the time they took to
    /// start, which is the time the schedule gave them plus how late the last of them started.
    pub achieved_rate_per_sec: f64,
    /// Sends started in the measured period (records).
    pub records: u64,
    /// How fast the lag grew: the least-squares slope of each interval's median lag over the
    /// measured period, µs of lag per second of run (about 0 while the schedule is kept;
    /// 1,000,000 × (1 − achieved / intended) once the generator falls behind for good). Null
    /// with fewer than three intervals.
    pub lag_growth_us_per_sec: Option<f64>,
    /// Most sends one producer of the path had in flight at once.
    pub in_flight_high_water: u64,
    /// The in-flight window: `max_in_flight` as written, or with "auto" the largest window a
    /// producer sized for itself.
    pub in_flight_limit: u64,
    /// "auto" or "fixed": how the window was set.
    pub in_flight_mode: String,
    /// Times a producer held a send back because its window was full.
    pub window_waits: u64,
    /// Whether the path kept its schedule: lag p99 within the run's bound and at least
    /// [`MIN_RATE_RATIO`] of the intended rate sent.
    pub kept: bool,
    /// Why not, in words (null when kept).
    pub behind: Option<String>,
}

/// The generator as a whole: the bound it was judged against, the CPU the process used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratorResult {
    /// The schedule lag p99 a kept schedule allows, µs (`[expect] schedule_kept`).
    pub max_lag_p99_us: u64,
    /// The share of the intended rate a kept schedule sends ([`MIN_RATE_RATIO`]).
    pub min_rate_ratio: f64,
    /// Whether `schedule_kept` was an expectation of the run (false: the scenario turned it
    /// off; the verdict is still made and shown).
    pub checked: bool,
    /// Whether every path kept its schedule.
    pub kept: bool,
    /// CPU time the process used from the load's start to the drain's end, over that wall
    /// time: cores busy on average (null where it could not be read).
    pub cpu_cores_used: Option<f64>,
    /// The machine's cores, for scale.
    pub cpus: u32,
    /// What the capacity check found before the load: each a requested rate past a limit,
    /// with its numbers.
    pub capacity_warnings: Vec<String>,
}

/// What a path's producers counted while sending.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SendCounts {
    /// Sends started in the measured period (records).
    pub records: u64,
    /// How late the last of them started (of each producer's last, the latest), seconds.
    pub last_lag_secs: f64,
    /// Most sends in flight at once in one producer.
    pub high_water: u64,
    /// The largest window a producer used.
    pub limit: u64,
    /// Sends held back by a full window.
    pub window_waits: u64,
}

/// The schedule a path was asked to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Records a second asked of this process on the path.
    pub rate_per_sec: f64,
}

impl PathGenerator {
    /// Judge a path: `lag` its schedule lag, `growth` the lag's slope, `bound_us` the lag p99
    /// a kept schedule allows, `auto` whether the window sized itself.
    pub fn judge(
        schedule: Schedule,
        counts: SendCounts,
        (lag, growth): (&LatencySummary, Option<f64>),
        bound_us: u64,
        auto: bool,
    ) -> Self {
        let intended = schedule.rate_per_sec;
        let achieved = achieved_rate(schedule, counts);
        let mut behind = Vec::new();
        if intended > 0.0 && counts.records > 0 && achieved < MIN_RATE_RATIO * intended {
            behind.push(format!(
                "sent {} of {} records/s ({})",
                crate::format::number(achieved),
                crate::format::number(intended),
                crate::format::percent(achieved / intended)
            ));
        }
        let (name, value) = judged_lag(lag);
        if lag.count > 0 && value > bound_us {
            behind.push(format!(
                "schedule lag {name} {} > {}",
                crate::format::us(value),
                crate::format::us(bound_us)
            ));
        }
        Self {
            intended_rate_per_sec: intended,
            achieved_rate_per_sec: achieved,
            records: counts.records,
            lag_growth_us_per_sec: growth,
            in_flight_high_water: counts.high_water,
            in_flight_limit: counts.limit,
            in_flight_mode: if auto { "auto" } else { "fixed" }.to_owned(),
            window_waits: counts.window_waits,
            kept: behind.is_empty(),
            behind: (!behind.is_empty()).then(|| behind.join("; ")),
        }
    }
}

/// The schedule lag percentile a verdict judges, by name and in µs: the p99 where there are
/// sends enough for one ([`crate::format::min_samples`]), else the median.
pub fn judged_lag(lag: &LatencySummary) -> (&'static str, u64) {
    if lag.count >= crate::format::min_samples(0.99) {
        ("p99", lag.p99)
    } else {
        ("p50", lag.p50)
    }
}

/// Records a second the path started: its sends over the time the schedule gave them plus how
/// late the last of them started (a schedule kept exactly gives its rate; a generator that fell
/// behind for good started its last sends late by all its backlog).
pub fn achieved_rate(schedule: Schedule, counts: SendCounts) -> f64 {
    if counts.records == 0 || schedule.rate_per_sec <= 0.0 {
        return 0.0;
    }
    let span = counts.records as f64 / schedule.rate_per_sec + counts.last_lag_secs.max(0.0);
    counts.records as f64 / span
}

/// The least-squares slope of `(seconds, lag µs)` points, µs per second: None with fewer than
/// three points or no spread in time.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            rate_per_sec: 100.0,
        }
    }

    fn lag(p99: u64) -> LatencySummary {
        LatencySummary {
            p99,
            count: 1000,
            ..Default::default()
        }
    }

    #[test]
    fn a_schedule_kept_exactly_sends_at_its_rate() {
        // 1,000 sends, the last started on time.
        let counts = SendCounts {
            records: 1000,
            ..Default::default()
        };
        assert!((achieved_rate(schedule(), counts) - 100.0).abs() < 1e-9);
        let g = PathGenerator::judge(schedule(), counts, (&lag(900), Some(0.0)), 1_000, true);
        assert!(g.kept, "{g:?}");
        assert_eq!(g.behind, None);
    }

    #[test]
    fn falling_behind_or_a_long_lag_is_not_kept_and_says_which() {
        // 1,000 sends of 10 s, the last started 10 s late: half the rate.
        let late = SendCounts {
            records: 1000,
            last_lag_secs: 10.0,
            ..Default::default()
        };
        let g = PathGenerator::judge(schedule(), late, (&lag(900), None), 1_000, false);
        assert!(!g.kept);
        let why = g.behind.unwrap_or_default();
        assert!(why.contains("(50.0%)"), "{why}");
        assert!(!why.contains("lag p99"), "{why}");
        // On rate, but the lag's p99 is past the bound.
        let on_rate = SendCounts {
            records: 1000,
            ..Default::default()
        };
        let g = PathGenerator::judge(schedule(), on_rate, (&lag(1_001), None), 1_000, false);
        assert!(!g.kept);
        assert!(g.behind.unwrap_or_default().contains("lag p99"));
        // Too few sends for a p99 (40): the median is judged instead, and it was on time.
        let few = LatencySummary {
            p50: 3,
            p99: 5_000,
            count: 40,
            ..Default::default()
        };
        let g = PathGenerator::judge(schedule(), on_rate, (&few, None), 1_000, false);
        assert!(g.kept, "{g:?}");
    }

    #[test]
    fn the_slope_of_a_growing_lag_is_its_growth() {
        let points: Vec<(f64, f64)> = (0..10)
            .map(|s| (s as f64, 5.0 + 250.0 * s as f64))
            .collect();
        assert!((slope(&points).unwrap_or_default() - 250.0).abs() < 1e-9);
        assert_eq!(slope(&points[..2]), None);
        assert_eq!(slope(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }
}
