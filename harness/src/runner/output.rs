//! The run's directory: `result.json`, the scenario as run, and the HDR histograms as an
//! HdrHistogram interval log so runs from several machines can be merged.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
    let mut entries = Vec::new();
    let snapshots: Vec<_> = out
        .paths
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.put_latency.snapshot(),
                p.e2e_latency.snapshot(),
                p.lag.snapshot(),
            )
        })
        .collect();
    let tags: Vec<(String, String, String)> = snapshots
        .iter()
        .map(|(n, ..)| (format!("{n}.put"), format!("{n}.e2e"), format!("{n}.lag")))
        .collect();
    for ((_, put, e2e, lag), (tp, te, tl)) in snapshots.iter().zip(&tags) {
        entries.push((tp.as_str(), put.inner()));
        entries.push((te.as_str(), e2e.inner()));
        entries.push((tl.as_str(), lag.inner()));
    }
    let hlog_path = dir.join("latency.hlog");
    hlog::write_hlog(&hlog_path, SystemTime::now(), &entries)
        .map_err(|e| OutputError::Other(e.to_string()))?;
    let result = dir.join("result.json");
    out.result
        .write(&result)
        .map_err(|e| OutputError::Other(e.to_string()))?;
    Ok(result)
}
