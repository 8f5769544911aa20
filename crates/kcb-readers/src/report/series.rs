//! What the report draws, taken out of run results (and the latency logs beside them) as plain
//! numbers, one type per plot, so the plots and tables never reach into a result themselves.
//!
//! The report reads result files only, never a live run: [`ReportRun::load`] reads a
//! `result.json` and, when present, the `latency.hlog` in the same directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use crate::format;
use crate::metrics::hlog::{visit_hlog_intervals, LoggedInterval};
use crate::metrics::LatencyHistogram;
use crate::result::{ResultError, RunResult};

/// The latency log a run writes beside its `result.json`.
pub const HLOG_FILE: &str = "latency.hlog";

/// Farthest a latency curve goes along the "nines" axis: 4 = the 99.99th percentile.
pub const MAX_NINES: f64 = 4.0;

/// One run as the report sees it: the result, and its histograms when the log could be read.
#[derive(Debug, Clone)]
pub struct ReportRun {
    /// The result file it was read from.
    pub file: PathBuf,
    /// The result.
    pub result: RunResult,
    /// Histograms from the latency log beside the result, by tag (`<path>.put`, `.e2e`, `.lag`);
    /// empty when there is no log.
    pub histograms: Vec<(String, Histogram<u64>)>,
    /// Why the log beside the result could not be used, when it could not.
    pub hlog_note: Option<String>,
    /// Put latency interval by interval, per path, from the log (empty without one).
    pub over_time: Vec<PathOverTime>,
}

/// One path's put latency over time: (interval start s, p50 µs, p99 µs) of each non-empty
/// interval of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOverTime {
    /// Path name.
    pub path: String,
    /// (start, p50, p99) per interval, in time order.
    pub points: Vec<(f64, u64, u64)>,
}

/// Put latency p50 and p99 over time per path, with the faults' windows: plot 1b.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyOverTime {
    /// The paths' series.
    pub paths: Vec<PathOverTime>,
    /// The faults' windows.
    pub faults: Vec<FaultWindow>,
    /// Where the time axis ends, s.
    pub end_secs: f64,
}

/// A log read interval by interval: each tag's intervals added up (in order of first
/// appearance), and each path's put percentiles per non-empty interval.
#[derive(Default)]
struct Merged {
    whole: Vec<(String, LatencyHistogram)>,
    over_time: Vec<PathOverTime>,
}

impl Merged {
    fn add(&mut self, i: LoggedInterval) {
        if let Some(path) = i
            .tag
            .strip_suffix(".put")
            .filter(|_| !i.histogram.is_empty())
        {
            let point = (
                i.start.as_secs_f64(),
                i.histogram.value_at_quantile(0.5),
                i.histogram.value_at_quantile(0.99),
            );
            match self.over_time.iter_mut().find(|p| p.path == path) {
                Some(p) => p.points.push(point),
                None => self.over_time.push(PathOverTime {
                    path: path.to_owned(),
                    points: vec![point],
                }),
            }
        }
        match self.whole.iter_mut().find(|(t, _)| *t == i.tag) {
            Some((_, h)) => h.add_histogram(&i.histogram),
            None => self
                .whole
                .push((i.tag, LatencyHistogram::from_histogram(i.histogram))),
        }
    }
}

/// Plot 1b's data, when the run's log has intervals.
pub fn latency_over_time(run: &ReportRun) -> Option<LatencyOverTime> {
    if run.over_time.is_empty() {
        return None;
    }
    let last = run
        .over_time
        .iter()
        .flat_map(|p| p.points.iter().map(|(t, ..)| *t))
        .fold(0.0, f64::max);
    let faults = fault_windows(&run.result);
    let last_fault = faults
        .iter()
        .map(|f| f.end_secs.unwrap_or(f.start_secs))
        .fold(0.0, f64::max);
    Some(LatencyOverTime {
        paths: run.over_time.clone(),
        faults,
        end_secs: last.max(last_fault) + 1.0,
    })
}

impl ReportRun {
    /// Read the result at `file` and the latency log beside it (an unreadable log is noted,
    /// not fatal: the curves then come from the result's summary percentiles).
    pub fn load(file: &Path) -> Result<ReportRun, ResultError> {
        let result = RunResult::read(file)?;
        let log = file.with_file_name(HLOG_FILE);
        let mut merged = Merged::default();
        let hlog_note = if log.is_file() {
            match visit_hlog_intervals(&log, |i| merged.add(i)) {
                Ok(()) => None,
                Err(e) => {
                    merged = Merged::default();
                    Some(format!("{e}; curves drawn from summary percentiles"))
                }
            }
        } else {
            None
        };
        Ok(ReportRun {
            file: file.to_path_buf(),
            result,
            histograms: merged
                .whole
                .into_iter()
                .map(|(t, h)| (t, h.inner().clone()))
                .collect(),
            hlog_note,
            over_time: merged.over_time,
        })
    }

    /// A run without a latency log (for tests, and results given in memory).
    pub fn from_result(file: &Path, result: RunResult) -> ReportRun {
        ReportRun {
            file: file.to_path_buf(),
            result,
            histograms: Vec::new(),
            hlog_note: None,
            over_time: Vec::new(),
        }
    }

    fn histogram(&self, tag: &str) -> Option<&Histogram<u64>> {
        self.histograms
            .iter()
            .find(|(t, h)| t == tag && !h.is_empty())
            .map(|(_, h)| h)
    }
}

/// The newest run of each scenario (by `started_at`), in order of first appearance: the runs
/// the report details. Older runs of a scenario appear only in its comparison.
pub fn newest_per_scenario(runs: &[ReportRun]) -> Vec<&ReportRun> {
    let mut newest: Vec<&ReportRun> = Vec::new();
    for run in runs {
        match newest
            .iter_mut()
            .find(|r| r.result.scenario.name == run.result.scenario.name)
        {
            Some(slot) if slot.result.started_at < run.result.started_at => *slot = run,
            Some(_) => {}
            None => newest.push(run),
        }
    }
    newest
}

/// Runs grouped by scenario name, each group sorted by `started_at`; only scenarios with two
/// runs or more (a comparison needs at least two).
pub fn scenarios_with_several_runs(runs: &[ReportRun]) -> Vec<(String, Vec<&ReportRun>)> {
    let mut groups: Vec<(String, Vec<&ReportRun>)> = Vec::new();
    for run in runs {
        let name = &run.result.scenario.name;
        match groups.iter_mut().find(|(n, _)| n == name) {
            Some((_, g)) => g.push(run),
            None => groups.push((name.clone(), vec![run])),
        }
    }
    groups.retain(|(_, g)| g.len() >= 2);
    for (_, g) in &mut groups {
        g.sort_by(|a, b| a.result.started_at.cmp(&b.result.started_at));
    }
    groups
}

/// Which latency a curve shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyKind {
    /// Intended send time to acknowledgement.
    Put,
    /// Intended send time to a verified read.
    EndToEnd,
}

impl LatencyKind {
    /// The tag suffix in the latency log.
    pub fn tag(self) -> &'static str {
        match self {
            LatencyKind::Put => "put",
            LatencyKind::EndToEnd => "e2e",
        }
    }
}

/// One path's latency against percentile: points of (nines, µs), where nines is
/// `-log10(1 - percentile / 100)` (0 = p0, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Path name.
    pub path: String,
    /// (nines, latency µs), nines ascending.
    pub points: Vec<(f64, f64)>,
    /// True when drawn from the whole histogram, false when from the summary percentiles.
    pub from_log: bool,
}

/// `percentile` (0..100) on the nines axis.
pub fn nines(percentile: f64) -> f64 {
    -(1.0 - percentile / 100.0).max(1e-12).log10()
}

/// Each path's latency curve of `kind`: every quantile of the histogram from the log when the
/// log has it, else p50, p90, p99 and p99.9 from the result. Paths that measured nothing are
/// left out.
pub fn latency_curves(run: &ReportRun, kind: LatencyKind) -> Vec<Curve> {
    let mut curves = Vec::new();
    for path in &run.result.paths {
        let tag = format!("{}.{}", path.name, kind.tag());
        if let Some(h) = run.histogram(&tag) {
            let last = (h.len() as f64).log10().min(MAX_NINES);
            let steps = (last / 0.05).ceil().max(1.0) as usize;
            let points = (0..=steps)
                .map(|i| {
                    let x = (i as f64 * 0.05).min(last);
                    let q = 1.0 - 10f64.powf(-x);
                    (x, h.value_at_quantile(q).max(1) as f64)
                })
                .collect();
            curves.push(Curve {
                path: path.name.clone(),
                points,
                from_log: true,
            });
            continue;
        }
        let s = match kind {
            LatencyKind::Put => &path.put_latency_us,
            LatencyKind::EndToEnd => &path.e2e_latency_us,
        };
        if s.count == 0 {
            continue;
        }
        let points = [(50.0, s.p50), (90.0, s.p90), (99.0, s.p99), (99.9, s.p999)]
            .iter()
            .map(|(p, v)| (nines(*p), (*v).max(1) as f64))
            .collect();
        curves.push(Curve {
            path: path.name.clone(),
            points,
            from_log: false,
        });
    }
    curves
}

/// One path's latency over plaintext, µs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverheadRow {
    /// Path name.
    pub path: String,
    /// Median over plaintext's, µs.
    pub p50_us: i64,
    /// 99th percentile over plaintext's, µs.
    pub p99_us: i64,
    /// 99.9th percentile over plaintext's, µs.
    pub p999_us: i64,
    /// 95 % intervals of p50, p99, p99.9 (None: not estimated).
    pub ci: [Option<[i64; 2]>; 3],
}

/// Every path with an overhead over plaintext (plaintext itself has none).
pub fn overheads(result: &RunResult) -> Vec<OverheadRow> {
    result
        .paths
        .iter()
        .filter_map(|p| {
            p.overhead_vs_plaintext_us.map(|o| OverheadRow {
                path: p.name.clone(),
                p50_us: o.p50,
                p99_us: o.p99,
                p999_us: o.p999,
                ci: [o.p50_ci, o.p99_ci, o.p999_ci],
            })
        })
        .collect()
}

/// One path's record size at each plaintext size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeSeries {
    /// Path name.
    pub path: String,
    /// (plaintext bytes, record bytes), plaintext ascending.
    pub points: Vec<(u64, u64)>,
}

/// Record size against plaintext size per path, when some path ran two sizes or more.
pub fn size_sweep(result: &RunResult) -> Option<Vec<SizeSeries>> {
    let series: Vec<SizeSeries> = result
        .paths
        .iter()
        .map(|p| {
            let mut points: Vec<(u64, u64)> = p
                .inflation
                .by_size
                .iter()
                .map(|s| (s.plaintext_bytes, s.record_bytes))
                .collect();
            points.sort_unstable();
            points.dedup_by_key(|(plain, _)| *plain);
            SizeSeries {
                path: p.name.clone(),
                points,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    series.iter().any(|s| s.points.len() >= 2).then_some(series)
}

/// One encrypted path's put p50 over the plaintext path's, at each plaintext size both measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeOverhead {
    /// Path name.
    pub path: String,
    /// (plaintext bytes, p50 put latency over plaintext in µs), plaintext ascending.
    pub points: Vec<(u64, i64)>,
}

/// Put p50 over plaintext by record size, per path, when the run has a plaintext path and some
/// other path was measured at two sizes or more.
pub fn size_overhead(result: &RunResult) -> Option<Vec<SizeOverhead>> {
    let plain = result.plaintext()?;
    let base = |size: u64| {
        plain
            .inflation
            .by_size
            .iter()
            .find(|s| s.plaintext_bytes == size)
            .and_then(|s| s.put_p50_us)
    };
    let series: Vec<SizeOverhead> = result
        .paths
        .iter()
        .filter(|p| p.kind != crate::result::PathKind::Plaintext)
        .map(|p| {
            let mut points: Vec<(u64, i64)> = p
                .inflation
                .by_size
                .iter()
                .filter_map(|s| {
                    Some((
                        s.plaintext_bytes,
                        s.put_p50_us? as i64 - base(s.plaintext_bytes)? as i64,
                    ))
                })
                .collect();
            points.sort_unstable();
            SizeOverhead {
                path: p.name.clone(),
                points,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    series.iter().any(|s| s.points.len() >= 2).then_some(series)
}

/// One path's KMS requests in each data-key reuse window.
#[derive(Debug, Clone, PartialEq)]
pub struct KmsWindows {
    /// Path name.
    pub path: String,
    /// Length of one window, seconds.
    pub window_secs: f64,
    /// Requests in window `i`.
    pub per_window: Vec<u64>,
    /// Requests during the warm-up (before the first window).
    pub warmup_calls: u64,
    /// The measured length of the run, seconds.
    pub measured_secs: f64,
}

impl KmsWindows {
    /// When there are no bars to draw (no calls after the warm-up), what to say instead: the
    /// warm-up's calls, and a measured run shorter than one window.
    pub fn in_words(&self) -> Option<String> {
        if self.per_window.iter().any(|&n| n > 0) {
            return None;
        }
        let warmup = match self.warmup_calls {
            0 => "no KMS calls".to_owned(),
            1 => "1 KMS call in the warm-up".to_owned(),
            n => format!("{} KMS calls in the warm-up", format::count(n)),
        };
        let shorter = if self.measured_secs < self.window_secs {
            format!(
                "; the measured {} is shorter than one {} window",
                format::secs(self.measured_secs),
                format::secs(self.window_secs)
            )
        } else {
            String::new()
        };
        Some(format!("{warmup}, none after it{shorter}"))
    }
}

/// One fault's blast radius on one path's tenants (plot 4b).
#[derive(Debug, Clone, PartialEq)]
pub struct BlastPanel {
    /// The fault.
    pub fault: String,
    /// The path as written.
    pub path: String,
    /// "per-tenant", "shared" or "-".
    pub key: String,
    /// Per tenant: its number, its errors and give-ups while the fault was in effect, and
    /// whether the fault targeted it.
    pub tenants: Vec<(u32, u64, bool)>,
}

/// Every fault's blast radius, a panel per fault and path with tenants.
pub fn blast_panels(result: &RunResult) -> Vec<BlastPanel> {
    result
        .faults
        .iter()
        .flat_map(|f| {
            f.blast_radius.iter().map(move |b| BlastPanel {
                fault: f.name.clone(),
                path: b.path.clone(),
                key: b.key.clone().unwrap_or_else(|| "-".to_owned()),
                tenants: b
                    .tenants
                    .iter()
                    .map(|t| (t.tenant, t.errors_during + t.failed_during, t.targeted))
                    .collect(),
            })
        })
        .collect()
}

/// Every path that made KMS requests, in the warm-up or after it, with its requests per
/// window (a path whose calls all fell in the warm-up is said in words: `in_words`).
pub fn kms_windows(result: &RunResult) -> Vec<KmsWindows> {
    result
        .paths
        .iter()
        // A count that could not be made is no zero to plot (the table says why).
        .filter(|p| p.kms_calls.total + p.kms_calls.warmup_calls > 0)
        .filter(|p| p.kms_calls.not_counted.is_none())
        .map(|p| KmsWindows {
            path: p.name.clone(),
            window_secs: p.kms_calls.window_secs,
            per_window: p.kms_calls.per_window.clone(),
            warmup_calls: p.kms_calls.warmup_calls,
            measured_secs: result.scenario.duration_secs,
        })
        .collect()
}

/// One fault's window on the timeline, seconds since the start of the load.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultWindow {
    /// Fault name.
    pub name: String,
    /// Fault kind.
    pub kind: String,
    /// Start, s.
    pub start_secs: f64,
    /// End, s (None: never lifted).
    pub end_secs: Option<f64>,
}

/// Per second: records acknowledged per path and errors per path and name, with the faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Seconds 0..=`last_second` (missing seconds of a path count zero).
    pub last_second: u64,
    /// (path, acknowledged records in each second).
    pub acked: Vec<(String, Vec<u64>)>,
    /// ("path: ErrorName", errors in each second), for every error seen.
    pub errors: Vec<(String, Vec<u64>)>,
    /// The faults' windows.
    pub faults: Vec<FaultWindow>,
}

/// The run's faults' windows.
fn fault_windows(result: &RunResult) -> Vec<FaultWindow> {
    result
        .faults
        .iter()
        .map(|f| FaultWindow {
            name: f.name.clone(),
            kind: f.kind.clone(),
            start_secs: f.at_secs,
            end_secs: f.end_secs,
        })
        .collect()
}

/// The run's timeline, when it declared faults.
pub fn fault_timeline(result: &RunResult) -> Option<Timeline> {
    if result.faults.is_empty() {
        return None;
    }
    let last_point = result
        .paths
        .iter()
        .flat_map(|p| p.timeline.iter().map(|t| t.second))
        .max();
    let last_fault = result
        .faults
        .iter()
        .map(|f| f.end_secs.unwrap_or(f.at_secs).ceil() as u64)
        .max()
        .unwrap_or(0);
    let last_second = last_point.unwrap_or(0).max(last_fault);
    let len = last_second as usize + 1;
    let mut acked = Vec::new();
    let mut errors: Vec<(String, Vec<u64>)> = Vec::new();
    for path in &result.paths {
        let mut counts = vec![0; len];
        let mut by_name: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for point in &path.timeline {
            let i = point.second as usize;
            counts[i] += point.acked;
            for (name, n) in &point.errors {
                by_name.entry(name).or_insert_with(|| vec![0; len])[i] += n;
            }
        }
        acked.push((path.name.clone(), counts));
        errors.extend(
            by_name
                .into_iter()
                .map(|(n, v)| (format!("{}: {n}", path.name), v)),
        );
    }
    let faults = fault_windows(result);
    Some(Timeline {
        last_second,
        acked,
        errors,
        faults,
    })
}

/// One path's headline numbers at one point in time (a run, or a night of the history).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendValues {
    /// Path name.
    pub path: String,
    /// Median put latency over plaintext's, µs (None for plaintext).
    pub overhead_p50_us: Option<i64>,
    /// 99th percentile put latency over plaintext's, µs (None for plaintext).
    pub overhead_p99_us: Option<i64>,
    /// The most KMS requests in one data-key reuse window.
    pub kms_calls_per_window: u64,
}

/// Every path's headline numbers at one point in time, labelled for the x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Label under the point (a date and time, or a date).
    pub label: String,
    /// Per path.
    pub paths: Vec<TrendValues>,
}

/// `result`'s headline numbers per path.
pub fn trend_values(result: &RunResult) -> Vec<TrendValues> {
    result
        .paths
        .iter()
        .map(|p| TrendValues {
            path: p.name.clone(),
            overhead_p50_us: p.overhead_vs_plaintext_us.map(|o| o.p50),
            overhead_p99_us: p.overhead_vs_plaintext_us.map(|o| o.p99),
            kms_calls_per_window: p.kms_calls.calls_per_window.round() as u64,
        })
        .collect()
}

/// Runs as points in time, labelled "MM-DD HH:MM" from `started_at`.
pub fn run_points(runs: &[&ReportRun]) -> Vec<TrendPoint> {
    runs.iter()
        .map(|r| TrendPoint {
            label: short_time(&r.result.started_at),
            paths: trend_values(&r.result),
        })
        .collect()
}

/// "2025-01-31T12:00:00.000Z" as "01-31 12:00"; other text as it is.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(5..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.as_bytes().get(10) == Some(&b'T') => {
            format!("{date} {time}")
        }
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;

    fn run() -> ReportRun {
        ReportRun::from_result(Path::new("r.json"), sample_run_result())
    }

    #[test]
    fn nines_axis() {
        assert!(nines(0.0).abs() < 1e-12);
        assert!((nines(90.0) - 1.0).abs() < 1e-9);
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
        assert!(nines(100.0) > 11.0);
    }

    #[test]
    fn curves_from_summaries_and_from_histograms() {
        let mut r = run();
        let put = latency_curves(&r, LatencyKind::Put);
        assert_eq!(put.len(), 3);
        assert!(!put[0].from_log);
        let (x, y) = put[1].points[2];
        assert!((x - 2.0).abs() < 1e-9 && y == 3_420.0, "{x} {y}");
        let mut h = crate::metrics::latency::new_histogram_us();
        for v in 1..=10_000u64 {
            let _ = h.record(v);
        }
        r.histograms.push(("envelope.put".to_owned(), h));
        let put = latency_curves(&r, LatencyKind::Put);
        assert!(put[1].from_log && !put[0].from_log);
        let last = put[1].points.last().copied().unwrap_or_default();
        assert!((last.0 - MAX_NINES).abs() < 1e-9, "{last:?}");
        assert!(put[1].points.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn per_plot_data_from_the_sample() {
        let r = sample_run_result();
        let o = overheads(&r);
        assert_eq!(
            o.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(),
            ["envelope", "sse-kms"]
        );
        assert_eq!((o[0].p50_us, o[0].p99_us), (270, 470));
        assert_eq!(size_sweep(&r).map(|s| s.len()), Some(3));
        let k = kms_windows(&r);
        assert_eq!(
            k.iter().map(|k| k.per_window.len()).collect::<Vec<_>>(),
            [6, 6]
        );
        let t = fault_timeline(&r).unwrap_or_else(|| panic!("the sample has a fault"));
        assert_eq!(t.last_second, 8);
        assert_eq!(t.acked[1].1[3], 90);
        assert_eq!(
            t.errors,
            vec![("envelope: KMSThrottlingException".to_owned(), {
                let mut v = vec![0; 9];
                v[3] = 4;
                v
            })]
        );
        assert_eq!(short_time("2025-01-31T12:00:00.000Z"), "01-31 12:00");
        assert_eq!(short_time("yesterday"), "yesterday");
        let secs: Vec<String> = [10.0, 300.0, 5_400.0, 7_200.0, 0.25]
            .iter()
            .map(|s| crate::format::secs(*s))
            .collect();
        assert_eq!(secs, ["10 s", "5 min", "1.5 h", "2 h", "0.3 s"]);
    }

    #[test]
    fn newest_runs_and_groups() {
        let mut older = run();
        older.result.started_at = "2025-01-30T12:00:00.000Z".to_owned();
        let mut other = run();
        other.result.scenario.name = "other".to_owned();
        let runs = vec![older, run(), other];
        let newest = newest_per_scenario(&runs);
        assert_eq!(newest.len(), 2);
        assert_eq!(newest[0].result.started_at, "2025-01-31T12:00:00.000Z");
        let groups = scenarios_with_several_runs(&runs);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1[0].result.started_at, "2025-01-30T12:00:00.000Z");
    }
}
