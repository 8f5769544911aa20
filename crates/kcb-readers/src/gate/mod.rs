//! The regression gate: compare a current run with a baseline, path by path, and fail when a
//! metric got worse beyond its noise (habit 9, after criterion's `compare_to_threshold`).
//!
//! Metrics, per path present in both runs:
//! - `overhead p50` and `overhead p99`: the path's put latency over plaintext's, µs. The change
//!   (current − baseline) gets a bootstrap confidence interval from the runs' saved HDR
//!   histograms ([`bootstrap`]); it regresses only when the whole interval lies above the
//!   threshold. Without the histograms the point estimates from the results are compared and
//!   the row says "no histograms: no noise estimate".
//! - `kms calls/window`: KMS calls per data-key window at the rate the month is projected from
//!   (`kms_calls.calls_per_window`).
//! - `inflation`: mean bytes added per record (`inflation.overhead_bytes`).
//!   Counts are exact: they regress when current − baseline > threshold.
//!
//! Exit codes: 0 no regression, 1 a regression, 2 unusable input ([`GateError`]).

pub mod baseline;
pub mod bootstrap;
pub mod config;
pub mod table;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::metrics::resample::Overheads;
use crate::metrics::Sparse;
use crate::result::{PathResult, ResultError, RunResult};

pub use baseline::{hlog_beside, save_baseline, SavedBaseline, BASELINES_DIR};
pub use config::{BootstrapConfig, GateConfig, GateFile, Thresholds};
pub use table::render;

pub use crate::exit::Exit;

/// Slack on the exact comparisons of mean bytes, for floating-point rounding only.
const BYTES_EPSILON: f64 = 1e-6;

/// Why the gate cannot compare (missing file, unreadable schema version, bad gate file); every
/// variant exits [`Exit::BadInput`].
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// A result file is missing, unreadable, malformed, or of a schema version this build
    /// cannot read ([`ResultError::UnsupportedVersion`]).
    #[error(transparent)]
    Result(#[from] ResultError),
    /// The gate file is not valid TOML or has an unknown key.
    #[error("{path}: {source}")]
    GateFile {
        /// The gate file.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: toml::de::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A setting is out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// The setting (with the file or flag it came from).
        field: String,
        /// What would be valid.
        message: String,
    },
}

impl GateError {
    /// The process exit status for this error: always [`Exit::BadInput`].
    pub fn exit_code(&self) -> Exit {
        Exit::BadInput
    }
}

/// A run as the gate reads it: the result and, when found, its histograms.
#[derive(Debug, Clone)]
pub struct GateRun {
    /// The result file.
    pub file: PathBuf,
    /// The result.
    pub result: RunResult,
    /// The latency histograms by tag, interval by interval in time order (one for a log of
    /// whole-run histograms) as their recorded buckets, or why there are none.
    pub histograms: Result<Vec<(String, Vec<Sparse>)>, String>,
}

impl GateRun {
    /// Read the result at `path` and the interval log beside it ([`hlog_beside`]). A missing
    /// or unreadable log is not an error: the comparison falls back to point estimates.
    pub fn load(path: &Path) -> Result<GateRun, GateError> {
        let result = RunResult::read(path)?;
        let histograms = match hlog_beside(path) {
            None => Err(format!("no latency.hlog beside {}", path.display())),
            Some(h) => by_tag(&h).map_err(|e| e.to_string()),
        };
        Ok(GateRun {
            file: path.to_path_buf(),
            result,
            histograms,
        })
    }

    /// The intervals tagged `tag`, if the log holds it.
    fn intervals(&self, tag: &str) -> Option<&[Sparse]> {
        self.histograms
            .as_ref()
            .ok()?
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, h)| h.as_slice())
    }

    /// The first plaintext path.
    fn plaintext(&self) -> Option<&PathResult> {
        self.result.plaintext()
    }
}

/// A log's intervals grouped by tag, each tag's in time order, read one interval at a time.
fn by_tag(log: &Path) -> Result<Vec<(String, Vec<Sparse>)>, crate::metrics::MetricsError> {
    let mut out: Vec<(String, Vec<(std::time::Duration, Sparse)>)> = Vec::new();
    crate::metrics::visit_hlog_intervals(log, |i| {
        let buckets = crate::metrics::sparse(&i.histogram);
        match out.iter_mut().find(|(t, _)| *t == i.tag) {
            Some((_, v)) => v.push((i.start, buckets)),
            None => out.push((i.tag, vec![(i.start, buckets)])),
        }
    })?;
    Ok(out
        .into_iter()
        .map(|(t, mut v)| {
            v.sort_by_key(|(start, _)| *start);
            (t, v.into_iter().map(|(_, h)| h).collect())
        })
        .collect())
}

/// What the gate compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// p50 put latency over plaintext, µs.
    OverheadP50,
    /// p99 put latency over plaintext, µs.
    OverheadP99,
    /// KMS calls in the busiest window.
    KmsCallsPerWindow,
    /// Mean bytes added per record.
    InflationBytes,
    /// A path's monthly bill in one capacity mode, US dollars.
    MonthlyCost,
}

impl Metric {
    /// The metric's name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Metric::OverheadP50 => "overhead p50",
            Metric::OverheadP99 => "overhead p99",
            Metric::KmsCallsPerWindow => "kms calls/window",
            Metric::InflationBytes => "inflation",
            Metric::MonthlyCost => "monthly bill",
        }
    }

    /// The metric's unit.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::OverheadP50 | Metric::OverheadP99 => "µs",
            Metric::KmsCallsPerWindow => "calls",
            Metric::InflationBytes => "B",
            Metric::MonthlyCost => "USD",
        }
    }
}

/// One comparison's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not beyond the threshold (or within noise).
    Pass,
    /// Worse beyond the threshold and the noise.
    Regressed,
    /// Better beyond the threshold and the noise.
    Improved,
    /// Could not be compared (the row's note says why).
    Skipped,
    /// Not judged, and the gate fails: a run fell behind its schedule, so its latencies are
    /// the generator's backlog as much as the service's (`--allow-behind-schedule` judges
    /// them anyway).
    Refused,
}

/// How the change was judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A bootstrap interval on the change.
    Interval {
        /// Low end.
        low: f64,
        /// High end.
        high: f64,
    },
    /// Point estimates only: no noise estimate.
    Point,
    /// An exact count.
    Exact,
    /// Nothing compared.
    None,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The metric.
    pub metric: Metric,
    /// The path.
    pub path: String,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// current − baseline.
    pub change: Option<f64>,
    /// How the change was judged.
    pub evidence: Evidence,
    /// The threshold.
    pub threshold: f64,
    /// The outcome.
    pub verdict: Verdict,
    /// A remark ("no histograms: no noise estimate", a window-length mismatch, …).
    pub note: Option<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateReport {
    /// The baseline result file.
    pub baseline: String,
    /// The current result file.
    pub current: String,
    /// The settings used.
    pub config: GateConfig,
    /// One row per metric and path.
    pub rows: Vec<Row>,
    /// Remarks on the runs as a whole.
    pub notes: Vec<String>,
}

impl GateReport {
    /// Whether any metric regressed.
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.verdict == Verdict::Regressed)
    }

    /// Whether a row was refused (a run fell behind its schedule).
    pub fn refused(&self) -> bool {
        self.rows.iter().any(|r| r.verdict == Verdict::Refused)
    }

    /// The exit status: [`Exit::Failed`] when a metric regressed or was refused, else
    /// [`Exit::Ok`].
    pub fn exit_code(&self) -> Exit {
        if self.regressed() || self.refused() {
            Exit::Failed
        } else {
            Exit::Ok
        }
    }
}

/// Compare `current` with `baseline`. Pure apart from the seeded bootstrap (same inputs, same
/// report).
pub fn compare(baseline: &GateRun, current: &GateRun, cfg: &GateConfig) -> GateReport {
    let mut notes = Vec::new();
    let (b, c) = (&baseline.result, &current.result);
    if b.scenario.name != c.scenario.name {
        notes.push(format!(
            "the runs are of different scenarios ({} vs {})",
            b.scenario.name, c.scenario.name
        ));
    }
    if b.clock != c.clock {
        notes.push(format!(
            "the runs ran on different clocks ({} vs {})",
            b.clock, c.clock
        ));
    }
    for (which, r) in [("baseline", b), ("current", c)] {
        if r.interrupted {
            notes.push(format!("the {which} run: {}", crate::format::INTERRUPTED));
        }
        if !r.target.roles_separated {
            notes.push(format!(
                "the {which} run: {}",
                crate::format::ROLES_NOT_SEPARATED
            ));
        }
    }
    let behind: Vec<String> = [("baseline", b), ("current", c)]
        .into_iter()
        .filter(|(_, r)| crate::report::generator::behind(r))
        .map(|(which, _)| format!("the {which} run fell behind its schedule"))
        .collect();
    let refusal = (!behind.is_empty()).then(|| behind.join(" and "));
    if let Some(why) = &refusal {
        notes.push(if cfg.allow_behind_schedule {
            format!("{why}: its latency overheads are judged anyway (--allow-behind-schedule), though they include the generator's backlog")
        } else {
            format!("{why}: its latencies include the generator's backlog, so the latency overheads are not judged and the gate fails (--allow-behind-schedule judges them anyway)")
        });
    }
    let mut rows = Vec::new();
    for cp in &c.paths {
        let Some(bp) = b.path(&cp.name) else {
            notes.push(format!(
                "path {} is new: no baseline to compare with",
                cp.name
            ));
            continue;
        };
        if cp.kind != crate::result::PathKind::Plaintext {
            let judged = overhead_rows(baseline, current, bp, cp, cfg);
            rows.extend(judged.into_iter().map(|mut r| {
                if let (Some(why), false) = (&refusal, cfg.allow_behind_schedule) {
                    r.verdict = Verdict::Refused;
                    r.note = Some(format!("refused: {why}"));
                }
                r
            }));
        }
        rows.push(kms_row(bp, cp, cfg.thresholds.kms_calls));
        rows.push(inflation_row(bp, cp, cfg.thresholds.inflation_bytes));
        if let Some(limit) = cfg.thresholds.cost {
            rows.extend(cost_rows(bp, cp, limit));
        }
    }
    for bp in &b.paths {
        if c.path(&bp.name).is_none() {
            notes.push(format!(
                "path {} is in the baseline only: not compared",
                bp.name
            ));
        }
    }
    GateReport {
        baseline: baseline.file.display().to_string(),
        current: current.file.display().to_string(),
        config: *cfg,
        rows,
        notes,
    }
}

/// Judge a change against `threshold` (lower is better): regressed when the evidence lies
/// wholly above it, improved when wholly below −threshold.
fn judge(change: f64, evidence: Evidence, threshold: f64) -> Verdict {
    let (low, high) = match evidence {
        Evidence::Interval { low, high } => (low, high),
        Evidence::Exact => (change - BYTES_EPSILON, change + BYTES_EPSILON),
        Evidence::Point => (change, change),
        Evidence::None => return Verdict::Skipped,
    };
    if low > threshold {
        Verdict::Regressed
    } else if high < -threshold {
        Verdict::Improved
    } else {
        Verdict::Pass
    }
}

fn row(
    metric: Metric,
    path: &str,
    base: f64,
    cur: f64,
    evidence: Evidence,
    threshold: f64,
    note: Option<String>,
) -> Row {
    let change = cur - base;
    Row {
        metric,
        path: path.to_owned(),
        baseline: Some(base),
        current: Some(cur),
        change: Some(change),
        verdict: judge(change, evidence, threshold),
        evidence,
        threshold,
        note,
    }
}

fn skipped(metric: Metric, path: &str, threshold: f64, note: String) -> Row {
    Row {
        metric,
        path: path.to_owned(),
        baseline: None,
        current: None,
        change: None,
        evidence: Evidence::None,
        threshold,
        verdict: Verdict::Skipped,
        note: Some(note),
    }
}

/// The p50 and p99 overhead rows of one path.
fn overhead_rows(
    base: &GateRun,
    cur: &GateRun,
    bp: &PathResult,
    cp: &PathResult,
    cfg: &GateConfig,
) -> Vec<Row> {
    let t = &cfg.thresholds;
    let metrics = [
        (Metric::OverheadP50, t.p50_us),
        (Metric::OverheadP99, t.p99_us),
    ];
    let (Some(b_plain), Some(c_plain)) = (base.plaintext(), cur.plaintext()) else {
        return metrics
            .iter()
            .map(|(m, th)| {
                skipped(
                    *m,
                    &cp.name,
                    *th,
                    "no plaintext path to measure overhead against".to_owned(),
                )
            })
            .collect();
    };
    let overheads = |run: &GateRun, p: &PathResult, plain: &PathResult| {
        overheads(run, p, plain, cfg.bootstrap.sample_size)
    };
    match overheads(base, bp, b_plain).and_then(|b| Ok((b, overheads(cur, cp, c_plain)?))) {
        Ok((b, c)) => {
            let ch = bootstrap::overhead_change(
                &b,
                &c,
                &cfg.bootstrap,
                bootstrap::path_seed(cfg.bootstrap.seed, &cp.name),
            );
            let note = (ch.methods[0] != ch.methods[1]).then(|| {
                format!(
                    "baseline resampled by {}, current by {}",
                    ch.methods[0], ch.methods[1]
                )
            });
            metrics
                .iter()
                .enumerate()
                .map(|(k, (m, th))| {
                    let ev = Evidence::Interval {
                        low: ch.low[k],
                        high: ch.high[k],
                    };
                    row(
                        *m,
                        &cp.name,
                        ch.baseline[k],
                        ch.current[k],
                        ev,
                        *th,
                        note.clone(),
                    )
                })
                .collect()
        }
        Err(why) => {
            let note = format!("no histograms: no noise estimate ({why})");
            let point = |o: Option<crate::result::Overhead>, k: usize| {
                o.map(|o| if k == 0 { o.p50 } else { o.p99 } as f64)
            };
            metrics
                .iter()
                .enumerate()
                .map(|(k, (m, th))| {
                    match (
                        point(bp.overhead_vs_plaintext_us, k),
                        point(cp.overhead_vs_plaintext_us, k),
                    ) {
                        (Some(b), Some(c)) => {
                            row(*m, &cp.name, b, c, Evidence::Point, *th, Some(note.clone()))
                        }
                        _ => skipped(
                            *m,
                            &cp.name,
                            *th,
                            "no overhead over plaintext in the results".to_owned(),
                        ),
                    }
                })
                .collect()
        }
    }
}

/// The overheads of `path` over `plain` in `run`, ready to resample, when its log holds both,
/// non-empty and matching the result's counts; else why not.
fn overheads(
    run: &GateRun,
    path: &PathResult,
    plain: &PathResult,
    sample_size: u64,
) -> Result<Overheads, String> {
    if let Err(e) = &run.histograms {
        return Err(e.clone());
    }
    let one = |p: &PathResult| -> Result<&[Sparse], String> {
        let tag = format!("{}.put", p.name);
        let h = run
            .intervals(&tag)
            .ok_or_else(|| format!("{} has no {tag} histogram", run.file.display()))?;
        let count: u64 = h.iter().flatten().map(|(_, c)| c).sum();
        if count != p.put_latency_us.count {
            return Err(format!(
                "{tag} holds {count} values but {} says {}: the log belongs to another run",
                run.file.display(),
                p.put_latency_us.count
            ));
        }
        Ok(h)
    };
    let (a, b) = (one(path)?, one(plain)?);
    Overheads::new(a, b, sample_size).ok_or_else(|| {
        format!(
            "{}.put or {}.put in {} is empty",
            path.name,
            plain.name,
            run.file.display()
        )
    })
}

fn kms_row(bp: &PathResult, cp: &PathResult, threshold: u64) -> Row {
    if let Some(why) = cp
        .kms_calls
        .not_counted
        .as_ref()
        .or(bp.kms_calls.not_counted.as_ref())
    {
        return skipped(
            Metric::KmsCallsPerWindow,
            &cp.name,
            threshold as f64,
            format!("not counted: {why}"),
        );
    }
    let (bw, cw) = (bp.kms_calls.window_secs, cp.kms_calls.window_secs);
    let note = (bp.kms_calls.calls_per_window + cp.kms_calls.calls_per_window > 0.0
        && (bw - cw).abs() > 0.01 * bw.max(cw))
    .then(|| format!("windows differ: {bw:.1} s vs {cw:.1} s"));
    row(
        Metric::KmsCallsPerWindow,
        &cp.name,
        bp.kms_calls.calls_per_window,
        cp.kms_calls.calls_per_window,
        Evidence::Exact,
        threshold as f64,
        note,
    )
}

fn inflation_row(bp: &PathResult, cp: &PathResult, threshold: f64) -> Row {
    row(
        Metric::InflationBytes,
        &cp.name,
        bp.inflation.overhead_bytes,
        cp.inflation.overhead_bytes,
        Evidence::Exact,
        threshold,
        None,
    )
}

/// A path's monthly bill, mode by mode: exact figures from each result's own bill, so a change
/// that pushes records over a rounding boundary shows as dollars.
fn cost_rows(bp: &PathResult, cp: &PathResult, limit: config::CostLimit) -> Vec<Row> {
    let (Some(bb), Some(cb)) = (&bp.bill, &cp.bill) else {
        return vec![skipped(
            Metric::MonthlyCost,
            &cp.name,
            0.0,
            "no bill in both results (a result before schema 12, or no price table for its region)"
                .to_owned(),
        )];
    };
    cb.modes
        .iter()
        .filter_map(|cm| {
            let bm = bb.mode(cm.mode)?;
            let threshold = limit.usd_over(bm.total_usd);
            let note = [
                (bb.records_per_sec != cb.records_per_sec).then(|| {
                    format!(
                        "billed at different rates ({} vs {} records/s)",
                        crate::format::number(bb.records_per_sec),
                        crate::format::number(cb.records_per_sec)
                    )
                }),
                cb.incomplete.clone().or_else(|| bb.incomplete.clone()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
            Some(row(
                Metric::MonthlyCost,
                &format!("{} ({})", cp.name, cm.mode.label()),
                bm.total_usd,
                cm.total_usd,
                Evidence::Point,
                threshold,
                (!note.is_empty()).then(|| note.join("; ")),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
