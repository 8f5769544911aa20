//! Baselines are explicit files: `reports/baselines/NAME.json`, with the run's histograms
//! beside it as `NAME.hlog`.

use std::path::{Path, PathBuf};

use super::GateError;
use crate::result::RunResult;

/// Where `--save-baseline` puts baselines, relative to the working directory.
pub const BASELINES_DIR: &str = "reports/baselines";

/// The interval log that goes with the result at `result`: `<stem>.hlog` beside it (a saved
/// baseline, `NAME.json` + `NAME.hlog`), else `latency.hlog` in its directory (a run's
/// directory); `None` when neither exists.
pub fn hlog_beside(result: &Path) -> Option<PathBuf> {
    let dir = result.parent().unwrap_or(Path::new(""));
    let own = result.with_extension("hlog");
    let run_dir = dir.join("latency.hlog");
    [own, run_dir].into_iter().find(|p| p.is_file())
}

/// What [`save_baseline`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedBaseline {
    /// The result copy.
    pub json: PathBuf,
    /// The histograms' copy, when the run had them.
    pub hlog: Option<PathBuf>,
}

/// Copy the result at `current` (checked readable first) to `dir/NAME.json` and its interval
/// log to `dir/NAME.hlog`. A stale `NAME.hlog` is removed when the run has no log, so a
/// baseline never pairs with another run's histograms.
pub fn save_baseline(current: &Path, dir: &Path, name: &str) -> Result<SavedBaseline, GateError> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(GateError::Invalid {
            field: "--save-baseline".to_owned(),
            message: format!(
                "a baseline name is 1-100 of A-Z a-z 0-9 - _ . not starting with '.' (got {name:?})"
            ),
        });
    }
    RunResult::read(current)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GateError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = dir.join(format!("{name}.json"));
    let hlog_to = dir.join(format!("{name}.hlog"));
    let hlog = match hlog_beside(current) {
        Some(from) => {
            std::fs::copy(&from, &hlog_to).map_err(io(&hlog_to))?;
            Some(hlog_to)
        }
        None => {
            if hlog_to.exists() {
                std::fs::remove_file(&hlog_to).map_err(io(&hlog_to))?;
            }
            None
        }
    };
    std::fs::copy(current, &json).map_err(io(&json))?;
    Ok(SavedBaseline { json, hlog })
}
