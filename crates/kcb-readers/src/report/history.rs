//! The nightly history: one JSON line per night (`reports/nightly/history.jsonl`), holding each
//! path's overhead over plaintext and KMS calls per window, so the report can draw the trend
//! across nights without keeping every night's results.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::series::{trend_values, TrendPoint, TrendValues};
use crate::result::RunResult;

/// Errors reading or appending to a history file; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Reading or appending failed.
    #[error("{path}: {source}")]
    Io {
        /// The history file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a history entry.
    #[error("{path}:{line}: not a history line: {source}")]
    Line {
        /// The history file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
}

/// One night of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryLine {
    /// The night, "YYYY-MM-DD" (UTC): the date part of `started_at`.
    pub date: String,
    /// When the night's run started, RFC 3339 in UTC.
    pub started_at: String,
    /// Version of the harness that ran.
    pub harness_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Per path, in the scenario's order.
    pub paths: Vec<TrendValues>,
}

impl HistoryLine {
    /// The line for `result`.
    pub fn from_result(result: &RunResult) -> HistoryLine {
        HistoryLine {
            date: result
                .started_at
                .get(..10)
                .unwrap_or(&result.started_at)
                .to_owned(),
            started_at: result.started_at.clone(),
            harness_version: result.harness_version.clone(),
            scenario: result.scenario.name.clone(),
            paths: trend_values(result),
        }
    }
}

/// Every line of the history at `path` (blank lines skipped), in file order.
pub fn read_history(path: &Path) -> Result<Vec<HistoryLine>, HistoryError> {
    let text = std::fs::read_to_string(path).map_err(|source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| HistoryError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

/// Append `line` to the history at `path` (created when absent) as one JSON line.
pub fn append_history(path: &Path, line: &HistoryLine) -> Result<(), HistoryError> {
    let io = |source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string(line).map_err(|e| io(std::io::Error::other(e)))?;
    text.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// The history as points in time, labelled by date, oldest first.
pub fn history_points(lines: &[HistoryLine]) -> Vec<TrendPoint> {
    let mut sorted: Vec<&HistoryLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    sorted
        .into_iter()
        .map(|l| TrendPoint {
            label: l.date.clone(),
            paths: l.paths.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;

    #[test]
    fn append_then_read_round_trips() {
        let dir = std::env::temp_dir().join(format!("kcb-history-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("history.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut r = sample_run_result();
        let first = HistoryLine::from_result(&r);
        assert_eq!(first.date, "2025-01-31");
        assert_eq!(first.paths[1].overhead_p99_us, Some(470));
        assert_eq!(first.paths[1].kms_calls_per_window, 4);
        assert!(append_history(&path, &first).is_ok());
        r.started_at = "2025-01-30T12:00:00.000Z".to_owned();
        assert!(append_history(&path, &HistoryLine::from_result(&r)).is_ok());
        let back = read_history(&path).unwrap_or_default();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], first);
        let points = history_points(&back);
        assert_eq!(points[0].label, "2025-01-30");
        let _ = std::fs::write(&path, "{\"date\": 1}\n");
        match read_history(&path) {
            Err(e @ HistoryError::Line { line: 1, .. }) => {
                assert!(e.to_string().contains("history.jsonl:1"))
            }
            other => panic!("expected a line error, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
