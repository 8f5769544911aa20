//! `kinesis-crypto-bench cleanup (--run-id ID | --result PATH | --prefix P) [--dry-run] [--endpoint-url URL]
//! [--target aws] [--region R] [--role admin=...]`: remove what earlier runs left behind
//! (interrupted twice, `--keep`, a crash), found by their `created-by=kinesis-crypto-bench` tag.
//!
//! Exit codes: 0 done (or nothing found); 2 bad flags; 3 the target could not be reached or a
//! removal failed.

use std::process::ExitCode;
use std::sync::Arc;

use super::target_args::TargetArgs;
use crate::backend::{Observation, Principal, Role, TransportLog};
use crate::clock::SystemClock;
use crate::driver::cleanup::{self, Selector};
use crate::exit::Exit;
use crate::runner::target;

/// Arguments of `cleanup`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["run_id", "result", "prefix"])))]
pub struct CleanupArgs {
    /// The run whose resources to remove (its `kcb-run` tag: the last part of its stream names,
    /// printed when it was interrupted or kept them).
    #[arg(long)]
    pub run_id: Option<String>,
    /// The run whose resources to remove, by its result (a worker's or a merged `result.json`,
    /// or its directory): the run tag its workers shared (worker 1 of a run split across
    /// machines leaves the streams and keys for the others).
    #[arg(long, value_name = "PATH")]
    pub result: Option<std::path::PathBuf>,
    /// Remove the harness's resources whose stream name or key alias starts with this (e.g.
    /// `kcb-quickstart-`); resources without the harness's tag are listed and left alone.
    #[arg(long)]
    pub prefix: Option<String>,
    /// List what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Run `cleanup`.
pub fn run(args: &CleanupArgs) -> ExitCode {
    let sel = match (&args.run_id, &args.result, &args.prefix) {
        (Some(id), _, _) => Selector::RunId(id.clone()),
        (None, Some(path), _) => match run_tag_of(path) {
            Ok(tag) => Selector::RunId(tag),
            Err(e) => {
                eprintln!("error: --result {}: {e}", path.display());
                return Exit::BadInput.into();
            }
        },
        (None, None, Some(p)) if p.len() >= 4 => Selector::Prefix(p.clone()),
        _ => {
            eprintln!("error: --prefix: give at least 4 characters (e.g. kcb-), so a slip cannot match everything");
            return Exit::BadInput.into();
        }
    };
    let flags = match args.target.flags() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput.into();
        }
    };
    // Only the admin acts: the other roles need no credentials.
    let place = target::choose(&Default::default(), &flags, "cleanup").only(&[Role::Admin].into());
    let rt = match crate::runner::runtime(false) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::CouldNotRun.into();
        }
    };
    let found = rt.block_on(async {
        let (target, credentials) = target::connect(&place).await?;
        let obs = Observation::plain("admin", TransportLog::new(), Arc::new(SystemClock));
        let admin = Principal::for_role(&target, &credentials, Role::Admin, obs);
        cleanup::cleanup(&admin, &sel, args.dry_run)
            .await
            .map_err(|e| format!("at {}: {e}", target.label()))
    });
    match found {
        Err(e) => {
            eprintln!("error: {e}");
            Exit::CouldNotRun.into()
        }
        Ok(found) => {
            if found.is_empty() {
                println!("nothing of the harness's found");
            }
            for f in &found {
                println!("{:<6} {}  {}", f.kind, f.name, f.outcome);
            }
            if found.iter().any(|f| f.outcome.starts_with("failed")) {
                Exit::CouldNotRun.into()
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// The run tag a result names: a worker's own, or the one a merged result's workers shared.
fn run_tag_of(path: &std::path::Path) -> Result<String, String> {
    let file = if path.is_dir() {
        path.join("result.json")
    } else {
        path.to_path_buf()
    };
    let r = crate::result::RunResult::read(&file).map_err(|e| e.to_string())?;
    r.worker
        .as_ref()
        .map(|w| w.run_tag.clone())
        .or_else(|| r.workers.as_ref().and_then(|m| m.workers.first()).map(|w| w.run_tag.clone()))
        .ok_or_else(|| {
            format!(
                "{} is a one-machine run's result, which names no run tag (its run removed what it made, \
                 or printed `cleanup --run-id` when it kept them)",
                file.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_names_its_run_tag_or_says_why_not() {
        let dir = std::env::temp_dir().join(format!("kcb-cleanup-result-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut r = crate::result::sample_run_result();
        r.write(&dir.join("result.json")).expect("write");
        let e = run_tag_of(&dir).expect_err("a one-machine result");
        assert!(e.contains("one-machine run's result"), "{e}");
        r.worker = Some(crate::result::WorkerResult {
            index: 2,
            count: 3,
            run_tag: "0a1b2c3d".into(),
            start_at: None,
            start_lag_ms: None,
            clock_offset_ms: None,
            clock_offset_error_ms: None,
            provisioned: false,
            carried_out_faults: false,
        });
        r.write(&dir.join("result.json")).expect("write");
        assert_eq!(
            run_tag_of(&dir.join("result.json")),
            Ok("0a1b2c3d".to_owned())
        );
        assert!(run_tag_of(&dir.join("missing.json")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
