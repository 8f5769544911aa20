//! `kinesis-crypto-bench merge DIR... --out DIR`: the result directories of a run's workers
//! (`run --worker I/N`) as one result directory (result.json, latency.hlog, scenario.toml).
//!
//! Exit codes: 0 merged, every expectation holds; 1 merged, an expectation failed; 2 the
//! directories could not be read or are not one run's shares; 3 the output could not be written.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit::Exit;
use crate::merge::{merge, MergeError};

/// Arguments of `merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// Each worker's result directory (the `--out` of its `run --worker I/N`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Directory to write the merged result to (created if absent).
    #[arg(long)]
    pub out: PathBuf,
}

/// Run `merge`.
pub fn run(a: &MergeArgs) -> ExitCode {
    match merge(&a.dirs, &a.out) {
        Ok(r) => {
            println!("{}", crate::report::render(&r));
            println!("result: {}", a.out.join("result.json").display());
            if r.expectations.iter().any(|e| !e.passed) {
                Exit::Failed.into()
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                MergeError::Output { .. } => Exit::CouldNotRun,
                _ => Exit::BadInput,
            }
            .into()
        }
    }
}
