//! `merge`: the result directories of a run's workers (`run --worker I/N`) as one result, which
//! report, plan and gate read like any other. The workers must be one run's: the same scenario
//! file, seed, run tag and worker count, each share exactly once.

pub mod combine;
pub mod histograms;

use std::path::{Path, PathBuf};

use crate::result::{MergedWorkers, PathKind, RunResult, WorkerResult};
use crate::scenario::Scenario;

/// Why the directories could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A directory's files could not be read or are not a run's.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The results are not the shares of one run.
    #[error("{0}")]
    Mismatch(String),
    /// The merged result could not be written.
    #[error("writing {path}: {message}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// One worker's result directory, read.
struct Part {
    dir: PathBuf,
    result: RunResult,
    worker: WorkerResult,
    scenario_text: String,
}

fn read_part(dir: &Path) -> Result<Part, MergeError> {
    let file = dir.join("result.json");
    let result = RunResult::read(&file).map_err(|e| MergeError::Input {
        path: file.clone(),
        message: e.to_string(),
    })?;
    let worker = result.worker.clone().ok_or_else(|| MergeError::Input {
        path: file.clone(),
        message: "not a worker's result (no `worker`: it was not run with --worker I/N); a result on one machine needs no merge".into(),
    })?;
    let scenario_file = dir.join("scenario.toml");
    let scenario_text = std::fs::read_to_string(&scenario_file).map_err(|e| MergeError::Input {
        path: scenario_file,
        message: e.to_string(),
    })?;
    Ok(Part {
        dir: dir.to_path_buf(),
        result,
        worker,
        scenario_text,
    })
}

/// Refuse results that are not the N shares of one run.
fn check(parts: &[Part]) -> Result<(), MergeError> {
    let first = &parts[0];
    let n = first.worker.count;
    for p in &parts[1..] {
        let (a, b) = (&first.result.scenario, &p.result.scenario);
        if a.name != b.name || p.scenario_text != first.scenario_text {
            return Err(MergeError::Mismatch(format!(
                "{} ran scenario {:?} and {} ran {:?} (or another version of its file): only the workers of one run merge",
                first.dir.display(), a.name, p.dir.display(), b.name
            )));
        }
        if a.seed != b.seed {
            return Err(MergeError::Mismatch(format!(
                "{} ran seed {} and {} seed {}: the workers of one run share the seed",
                first.dir.display(),
                a.seed,
                p.dir.display(),
                b.seed
            )));
        }
        if p.worker.count != n || p.worker.run_tag != first.worker.run_tag {
            return Err(MergeError::Mismatch(format!(
                "{} is worker {}/{} of run {} and {} worker {}/{} of run {}: not one run's shares",
                first.dir.display(),
                first.worker.index,
                n,
                first.worker.run_tag,
                p.dir.display(),
                p.worker.index,
                p.worker.count,
                p.worker.run_tag
            )));
        }
    }
    for (i, a) in parts.iter().enumerate() {
        if let Some(b) = parts[i + 1..]
            .iter()
            .find(|b| b.worker.index == a.worker.index)
        {
            return Err(MergeError::Mismatch(format!(
                "{} and {} are both share {}/{n}: their records overlap (merge each share once)",
                a.dir.display(),
                b.dir.display(),
                a.worker.index
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !parts.iter().any(|p| p.worker.index == *i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "missing share{} {} of run {}: merge every worker's result directory",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            first.worker.run_tag
        )));
    }
    Ok(())
}

/// Merge the workers' result directories `dirs` into `out` (result.json, latency.hlog,
/// scenario.toml); returns the merged result.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<RunResult, MergeError> {
    if dirs.is_empty() {
        return Err(MergeError::Mismatch(
            "no result directories given".to_owned(),
        ));
    }
    let mut parts = dirs
        .iter()
        .map(|d| read_part(d))
        .collect::<Result<Vec<_>, _>>()?;
    check(&parts)?;
    parts.sort_by_key(|p| p.worker.index);
    let scenario_file = parts[0].dir.join("scenario.toml");
    let scenario: Scenario =
        crate::scenario::load(&scenario_file).map_err(|e| MergeError::Input {
            path: scenario_file.clone(),
            message: e.to_string(),
        })?;
    let mut merged = histograms::Merged::new(scenario.output.interval);
    for p in &parts {
        let log = p.dir.join("latency.hlog");
        merged.add_log(&log).map_err(|e| MergeError::Input {
            path: log.clone(),
            message: e.to_string(),
        })?;
    }
    // Put latency by record size, where the workers kept it: added, for by_size's p50 and p99.
    let mut sized = histograms::Merged::new(scenario.duration);
    for p in &parts {
        let log = p.dir.join(crate::runner::output::SIZES_HLOG);
        if log.is_file() {
            sized.add_log(&log).map_err(|e| MergeError::Input {
                path: log.clone(),
                message: e.to_string(),
            })?;
        }
    }
    let base = &parts[0].result;
    let plain = base
        .paths
        .iter()
        .find(|p| p.kind == PathKind::Plaintext)
        .map(|p| p.name.clone());
    let paths: Vec<_> = base
        .paths
        .iter()
        .map(|bp| {
            let same: Vec<_> = parts
                .iter()
                .filter_map(|p| p.result.path(&bp.name))
                .collect();
            let mut path = combine::path(&same, &merged, plain.as_deref(), scenario.seed);
            combine::size_latency(&mut path, &sized);
            path
        })
        .collect();
    let faults: Vec<&[crate::result::FaultResult]> =
        parts.iter().map(|p| p.result.faults.as_slice()).collect();
    let count = parts[0].worker.count;
    let mut r = RunResult {
        faults: combine::faults(&faults, &merged, scenario.warmup, &paths),
        tenants: crate::result::tenants(&paths),
        wall_secs: parts.iter().map(|p| p.result.wall_secs).fold(0.0, f64::max),
        interrupted: parts.iter().any(|p| p.result.interrupted),
        worker: None,
        workers: Some(MergedWorkers {
            count,
            workers: parts.iter().map(|p| p.worker.clone()).collect(),
            sources: parts.iter().map(|p| p.dir.display().to_string()).collect(),
            notes: combine::notes(&paths, count, scenario.output.interval),
        }),
        generator: combine::run_generator(
            &parts.iter().map(|p| &p.result).collect::<Vec<_>>(),
            &paths,
        ),
        paths,
        expectations: Vec::new(),
        schema_version: crate::result::SCHEMA_VERSION,
        ..base.clone()
    };
    r.noise_floor_us = r
        .path(crate::scenario::TWIN)
        .filter(|p| p.kind == PathKind::Plaintext)
        .and_then(|p| p.overhead_vs_plaintext_us);
    combine::bill(&mut r);
    r.expectations = crate::runner::expect::evaluate(&scenario.expect, &r);
    let sized = (!sized.is_empty()).then_some((&sized, scenario.warmup));
    write(out, &r, &merged, sized, &parts[0])?;
    Ok(r)
}

/// Write the merged directory: scenario.toml, latency.hlog, sizes.hlog (`sized`: the per-size
/// histograms and the warm-up their measured run starts after, when any worker kept them) and
/// result.json last.
fn write(
    out: &Path,
    r: &RunResult,
    merged: &histograms::Merged,
    sized: Option<(&histograms::Merged, std::time::Duration)>,
    first: &Part,
) -> Result<(), MergeError> {
    let err = |path: &Path, e: &dyn std::fmt::Display| MergeError::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| err(out, &e))?;
    let scenario = out.join("scenario.toml");
    std::fs::write(&scenario, &first.scenario_text).map_err(|e| err(&scenario, &e))?;
    let start = first
        .worker
        .start_at
        .as_deref()
        .and_then(|s| humantime::parse_rfc3339_weak(s).ok())
        .unwrap_or_else(std::time::SystemTime::now);
    let hlog = out.join("latency.hlog");
    merged.write(&hlog, start).map_err(|e| err(&hlog, &e))?;
    if let Some((sized, warmup)) = sized {
        let log = out.join(crate::runner::output::SIZES_HLOG);
        sized
            .write(&log, start + warmup)
            .map_err(|e| err(&log, &e))?;
    }
    let result = out.join("result.json");
    r.write(&result).map_err(|e| err(&result, &e))
}
