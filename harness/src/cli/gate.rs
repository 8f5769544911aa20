//! `kinesis-crypto-bench gate CUR.json --baseline BASE.json [--gate-file GATE.toml]
//! [--threshold-p50-us X] [--threshold-p99-us Y] [--threshold-kms-calls Z]
//! [--threshold-inflation-bytes W] [--max-cost-increase 5%|2.50] [--save-baseline NAME]`:
//! compare a run with a baseline and fail when a metric regressed beyond its threshold and its
//! noise, or a path's monthly bill rose more than `--max-cost-increase` (unset: not judged).
//!
//! Thresholds: defaults (p50 +50 µs, p99 +250 µs, KMS calls +0 per window, inflation +0 bytes),
//! replaced by the gate file's keys, replaced by the flags. `--save-baseline NAME` copies the
//! current result (and its latency.hlog, as NAME.hlog) to reports/baselines/NAME.json instead of
//! comparing.
//!
//! Exit codes: 0 no regression (or baseline saved); 1 a metric regressed; 2 unusable input (a
//! missing file, a schema version this build cannot read, a bad gate file or flag).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::gate::{self, Exit, GateConfig, GateError, GateFile, GateRun};

/// Arguments of `gate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// The baseline's result.json (e.g. reports/baselines/main.json).
    #[arg(long, required_unless_present = "save_baseline")]
    pub baseline: Option<PathBuf>,
    /// The current run's result.json (positional, as `report` and `plan` take a result).
    #[arg(value_name = "RESULT", required_unless_present = "current_flag")]
    pub current: Option<PathBuf>,
    /// The same as the positional RESULT (its older spelling).
    #[arg(long = "current", value_name = "RESULT", conflicts_with = "current")]
    pub current_flag: Option<PathBuf>,
    /// TOML file of thresholds and bootstrap settings (unknown keys are refused).
    #[arg(long)]
    pub gate_file: Option<PathBuf>,
    /// Largest rise in p50 overhead over plaintext that passes, µs (default 50).
    #[arg(long)]
    pub threshold_p50_us: Option<f64>,
    /// Largest rise in p99 overhead over plaintext that passes, µs (default 250).
    #[arg(long)]
    pub threshold_p99_us: Option<f64>,
    /// Largest rise in KMS calls in the busiest window that passes (default 0).
    #[arg(long)]
    pub threshold_kms_calls: Option<u64>,
    /// Largest rise in mean bytes added per record that passes (default 0).
    #[arg(long)]
    pub threshold_inflation_bytes: Option<f64>,
    /// Largest rise in a path's monthly bill (per capacity mode) that passes: dollars ("2.50")
    /// or a percent of the baseline's bill ("5%"). Unset: bills are not judged.
    #[arg(long, value_name = "LIMIT")]
    pub max_cost_increase: Option<String>,
    /// Judge latency overheads even when the baseline or the current run fell behind its
    /// schedule (without it the gate refuses them and fails).
    #[arg(long)]
    pub allow_behind_schedule: bool,
    /// Save the current result as baseline NAME (reports/baselines/NAME.json) and exit 0.
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
}

impl GateArgs {
    /// The current run's result.json, however it was given.
    pub fn current(&self) -> &Path {
        self.current
            .as_deref()
            .or(self.current_flag.as_deref())
            .unwrap_or(Path::new("result.json"))
    }
}

/// Run `gate`.
pub fn run(args: &GateArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code().into()
        }
    }
}

fn run_inner(args: &GateArgs) -> Result<Exit, GateError> {
    if let Some(name) = &args.save_baseline {
        let saved = gate::save_baseline(args.current(), Path::new(gate::BASELINES_DIR), name)?;
        println!("baseline saved: {}", saved.json.display());
        match saved.hlog {
            Some(h) => println!("histograms saved: {}", h.display()),
            None => println!("no latency.hlog beside the result: the baseline has no histograms"),
        }
        return Ok(Exit::Ok);
    }
    let Some(baseline) = &args.baseline else {
        return Err(GateError::Invalid {
            field: "--baseline".to_owned(),
            message: "required unless --save-baseline is given".to_owned(),
        });
    };
    let config = config(args)?;
    let base = GateRun::load(baseline)?;
    let cur = GateRun::load(args.current())?;
    let report = gate::compare(&base, &cur, &config);
    print!("{}", gate::render(&report));
    Ok(report.exit_code())
}

/// Defaults, then the gate file, then the flags.
fn config(args: &GateArgs) -> Result<GateConfig, GateError> {
    let file = match &args.gate_file {
        Some(p) => GateFile::read(p)?,
        None => GateFile::default(),
    };
    let flags = GateFile {
        threshold_p50_us: args.threshold_p50_us,
        threshold_p99_us: args.threshold_p99_us,
        threshold_kms_calls: args.threshold_kms_calls,
        threshold_inflation_bytes: args.threshold_inflation_bytes,
        max_cost_increase: args.max_cost_increase.clone(),
        ..GateFile::default()
    };
    let origin = match &args.gate_file {
        Some(p) => format!("{} or flags", p.display()),
        None => "flags".to_owned(),
    };
    let mut config = GateConfig::from_file(&file.overridden_by(&flags), &origin)?;
    config.allow_behind_schedule = args.allow_behind_schedule;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use clap::{Args, Command, FromArgMatches};

    use super::GateArgs;

    fn parse(argv: &[&str]) -> Result<GateArgs, clap::Error> {
        let m = GateArgs::augment_args(Command::new("gate")).try_get_matches_from(argv)?;
        GateArgs::from_arg_matches(&m)
    }

    #[test]
    fn flags_parse() {
        GateArgs::augment_args(Command::new("gate")).debug_assert();
        match parse(&[
            "gate",
            "--baseline",
            "b.json",
            "--current",
            "c.json",
            "--threshold-p50-us",
            "20",
            "--threshold-kms-calls",
            "1",
        ]) {
            Ok(a) => {
                assert_eq!(a.threshold_p50_us, Some(20.0));
                assert_eq!(a.threshold_kms_calls, Some(1));
                assert_eq!(a.threshold_p99_us, None);
            }
            Err(e) => panic!("{e}"),
        }
        // --baseline may be left out only when saving one.
        assert!(parse(&["gate", "--current", "c.json"]).is_err());
        match parse(&["gate", "--current", "c.json", "--save-baseline", "main"]) {
            Ok(a) => assert_eq!(a.save_baseline.as_deref(), Some("main")),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_current_result_is_positional_as_for_report_and_plan_and_current_still_reads() {
        let current = |argv: &[&str]| parse(argv).map(|a| a.current().to_owned());
        let cur = std::path::Path::new("cur.json");
        assert_eq!(
            current(&["gate", "cur.json", "--baseline", "b.json"]).expect("positional"),
            cur
        );
        assert_eq!(
            current(&["gate", "--current", "cur.json", "--baseline", "b.json"]).expect("--current"),
            cur
        );
        assert!(
            current(&["gate", "--baseline", "b.json"]).is_err(),
            "a result is required"
        );
        assert!(current(&[
            "gate",
            "a.json",
            "--current",
            "b.json",
            "--baseline",
            "b.json"
        ])
        .is_err());
    }
}
