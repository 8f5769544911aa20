//! The run's directory: `result.json`, the scenario as run, and the HDR histograms as an
//! HdrHistogram interval log (one histogram per tag per interval) so runs from several
//! machines can be merged and latency followed over time.

use std::path::{Path, PathBuf};

use super::RunOutput;
use crate::metrics::hlog;

/// Why the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The result or the histograms could not be written.
    #[error("{0}")]
    Other(String),
}

/// Default output directory: `reports/runs/<scenario>-<UTC timestamp>/`.
pub fn default_dir(scenario: &str, started_at: &str) -> PathBuf {
    let stamp: String = started_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    PathBuf::from("reports")
        .join("runs")
        .join(format!("{scenario}-{stamp}"))
}

/// Write everything into `dir` (created if needed). Returns the result file's path.
pub fn write(out: &RunOutput, raw_toml: &str, dir: &Path) -> Result<PathBuf, OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let scenario = dir.join("scenario.toml");
    std::fs::write(&scenario, raw_toml).map_err(io(&scenario))?;
    // One histogram per tag per interval, from the end of the warm-up to the end of the run.
    let (first, last) = match out.paths.first() {
        Some(p) => (
            p.put_latency.index_of(out.measured_from),
            p.put_latency.index_of(out.length),
        ),
        None => (0, 0),
    };
    let tags: Vec<[String; 4]> = out
        .paths
        .iter()
        .map(|p| {
            let n = &p.name;
            [
                format!("{n}.put"),
                format!("{n}.e2e"),
                format!("{n}.lag"),
                format!("{n}.get"),
            ]
        })
        .collect();
    let gets: Vec<_> = out
        .paths
        .iter()
        .map(|p| super::collect::get_latency(p))
        .collect();
    let mut series = Vec::new();
    for ((p, [tp, te, tl, tg]), get) in out.paths.iter().zip(&tags).zip(&gets) {
        series.push((tp.as_str(), &p.put_latency));
        series.push((te.as_str(), &p.e2e_latency));
        series.push((tl.as_str(), &p.lag));
        if let Some(g) = get {
            series.push((tg.as_str(), g.as_ref()));
        }
    }
    let hlog_path = dir.join("latency.hlog");
    hlog::write_hlog_series(&hlog_path, out.load_started, (first, last), &series)
        .map_err(|e| OutputError::Other(e.to_string()))?;
    write_sizes_hlog(out, dir)?;
    let result = dir.join("result.json");
    out.result
        .write(&result)
        .map_err(|e| OutputError::Other(e.to_string()))?;
    Ok(result)
}

/// Put latency by record size over the whole measured run (`<path>.put.<bytes>`, one histogram
/// each) in `sizes.hlog`, for scenarios that name their sizes: what `merge` adds up for a
/// merged result's per-size p50 and p99. Nothing is written when no path kept any.
fn write_sizes_hlog(out: &RunOutput, dir: &Path) -> Result<(), OutputError> {
    let mut kept = Vec::new();
    for p in &out.paths {
        for (bytes, h) in p.size_latency.lock().iter() {
            if !h.is_empty() {
                kept.push((format!("{}.put.{bytes}", p.name), h.inner().clone()));
            }
        }
    }
    if kept.is_empty() {
        return Ok(());
    }
    let entries: Vec<(&str, &hdrhistogram::Histogram<u64>)> =
        kept.iter().map(|(t, h)| (t.as_str(), h)).collect();
    let path = dir.join(SIZES_HLOG);
    hlog::write_hlog_interval(
        &path,
        out.load_started + out.measured_from,
        out.length.saturating_sub(out.measured_from),
        &entries,
    )
    .map_err(|e| OutputError::Other(e.to_string()))
}

/// The file [`write_sizes_hlog`] writes beside `latency.hlog`.
pub const SIZES_HLOG: &str = "sizes.hlog";
