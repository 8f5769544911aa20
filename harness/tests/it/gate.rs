//! The regression gate on real runs: a pair of identical results passes; a current run whose
//! envelope PutRecord carries an injected 200 µs fails on exactly that path's p50 overhead;
//! repeated pairs of the same scenario on the real clock (a noisy, shared machine) raise no
//! false alarm. No test asserts a timing: only the gate's verdicts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use kcb::cli::gate::GateArgs;
use kcb::gate::{self, GateConfig, GateReport, GateRun, Metric, Verdict};
use kcb::runner::{self, output};
use kcb::scenario;

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-gate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    if let Err(e) = std::fs::create_dir_all(&d) {
        panic!("{}: {e}", d.display());
    }
    d
}

/// Run two virtual-clock scenarios interleaved on one runtime thread, so whatever else the
/// machine is doing weighs on both alike (on the virtual clock a latency is the real time the
/// calls took); returns their result files.
fn run_interleaved(a: &str, b: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let parse = |toml: &str, d: &Path| match scenario::parse(toml, &d.join("scenario.toml")) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("{e}"),
    };
    let (da, db) = (dir.join("base"), dir.join("cur"));
    let (sa, sb) = (parse(a, &da), parse(b, &db));
    let rt = match runner::runtime(true) {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let (oa, ob) = rt.block_on(async {
        tokio::join!(
            runner::run_scenario(sa, None, false),
            runner::run_scenario(sb, None, false)
        )
    });
    let write = |o: Result<runner::RunOutput, runner::RunError>, toml: &str, d: &Path| {
        let o = match o {
            Ok(o) => o,
            Err(e) => panic!("run: {e}"),
        };
        match output::write(&o, toml, d) {
            Ok(f) => f,
            Err(e) => panic!("output: {e}"),
        }
    };
    (write(oa, a, &da), write(ob, b, &db))
}

fn load(file: &Path) -> GateRun {
    match GateRun::load(file) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn regressions(r: &GateReport) -> Vec<(String, Metric)> {
    r.rows
        .iter()
        .filter(|x| x.verdict == Verdict::Regressed)
        .map(|x| (x.path.clone(), x.metric))
        .collect()
}

/// Three paths on the virtual clock: 10 s at 200 records/s of 1 KiB after 1 s of warm-up.
const VIRTUAL: &str = r#"
name = "gate-virtual"
duration = "10s"
warmup = "1s"
seed = 11
clock = "virtual"

[workload]
rate_per_sec = 200
record_size = 1024

[[paths]]
kind = "plaintext"

[[paths]]
kind = "envelope"
cache = { max_age = "5m", max_messages = 100000 }

[[paths]]
kind = "sse-kms"
key = "customer-managed"
reuse_period = "5m"
"#;

/// The fault the slower run carries: 200 µs on every envelope PutRecord, from the start.
const SLOW_ENVELOPE_PUT: &str = r#"
[[faults]]
kind = "latency"
name = "slow-envelope-put"
service = "kinesis"
operations = ["PutRecord"]
delay = "200us"
paths = ["envelope"]
at = "0s"
"#;

#[test]
fn identical_scenarios_run_twice_pass() {
    // Two separate runs of one scenario (an A/A comparison), interleaved so the machine weighs
    // on both alike: what differs between them is noise, which the gate must not call a
    // regression. (A result compared with itself would pass whatever the gate did.)
    let dir = tempdir("identical");
    let (base, file) = run_interleaved(VIRTUAL, VIRTUAL, &dir);
    let (a, b) = (load(&base), load(&file));
    assert_ne!(
        a.result.paths[0].put_latency_us, b.result.paths[0].put_latency_us,
        "two runs measured the very same latencies: they were not two runs"
    );
    let report = gate::compare(&a, &b, &GateConfig::default());
    assert_eq!(regressions(&report), vec![], "{}", gate::render(&report));
    assert_eq!(report.exit_code(), gate::Exit::Ok);
    // Every latency row had histograms to bootstrap from.
    assert!(
        report.rows.iter().all(|r| r.note.is_none()),
        "{}",
        gate::render(&report)
    );
    // And through the command, with a saved baseline: exit 0.
    let saved = match gate::save_baseline(&base, &dir.join("baselines"), "virtual") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let args = GateArgs {
        baseline: Some(saved.json),
        current: Some(file),
        current_flag: None,
        gate_file: None,
        threshold_p50_us: None,
        threshold_p99_us: None,
        threshold_kms_calls: None,
        threshold_inflation_bytes: None,
        save_baseline: None,
        allow_behind_schedule: false,
        max_cost_increase: None,
    };
    assert_eq!(kcb::cli::gate::run(&args), ExitCode::SUCCESS);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn injected_200us_on_envelope_put_fails_exactly_its_p50_overhead() {
    let dir = tempdir("injected");
    let slow = format!("{VIRTUAL}{SLOW_ENVELOPE_PUT}");
    // Interleaved: on the virtual clock a latency is the real time the calls took, so a
    // machine busier during one run than the other would shift every path's overhead.
    let (base, cur) = run_interleaved(VIRTUAL, &slow, &dir);
    let (b, c) = (load(&base), load(&cur));
    assert_eq!(c.result.faults.len(), 1, "the fault was not reported");
    assert!(c.result.faults[0].applied, "{:?}", c.result.faults[0].notes);
    let report = gate::compare(&b, &c, &GateConfig::default());
    let text = gate::render(&report);
    println!("{text}");
    assert_eq!(
        regressions(&report),
        vec![("envelope".to_owned(), Metric::OverheadP50)],
        "{text}"
    );
    assert_eq!(report.exit_code(), gate::Exit::Failed);
    // The command exits 1.
    let args = GateArgs {
        baseline: Some(base),
        current: Some(cur),
        current_flag: None,
        gate_file: None,
        threshold_p50_us: None,
        threshold_p99_us: None,
        threshold_kms_calls: None,
        threshold_inflation_bytes: None,
        save_baseline: None,
        allow_behind_schedule: false,
        max_cost_increase: None,
    };
    assert_eq!(kcb::cli::gate::run(&args), ExitCode::from(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempdir("unusable");
    let args = |baseline: PathBuf, current: PathBuf, gate_file: Option<PathBuf>| GateArgs {
        baseline: Some(baseline),
        current: Some(current),
        current_flag: None,
        gate_file,
        threshold_p50_us: None,
        threshold_p99_us: None,
        threshold_kms_calls: None,
        threshold_inflation_bytes: None,
        save_baseline: None,
        allow_behind_schedule: false,
        max_cost_increase: None,
    };
    // A missing file.
    let missing = dir.join("missing.json");
    assert_eq!(
        kcb::cli::gate::run(&args(missing.clone(), missing.clone(), None)),
        ExitCode::from(2)
    );
    // A result of a schema version this build cannot read.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/plan-result.json");
    let text = match std::fs::read_to_string(&golden) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let mut v: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    v["schema_version"] = serde_json::Value::from(99);
    let future = dir.join("future.json");
    let _ = std::fs::write(&future, v.to_string());
    assert_eq!(
        kcb::cli::gate::run(&args(golden.clone(), future, None)),
        ExitCode::from(2)
    );
    // A gate file with an unknown key.
    let gate_file = dir.join("gate.toml");
    let _ = std::fs::write(&gate_file, "threshold_p50 = 10\n");
    assert_eq!(
        kcb::cli::gate::run(&args(
            golden.clone(),
            golden.clone(),
            Some(gate_file.clone())
        )),
        ExitCode::from(2)
    );
    // A good gate file and an identical pair without histograms: exit 0.
    let _ = std::fs::write(&gate_file, "threshold_p50_us = 10\nresamples = 200\n");
    assert_eq!(
        kcb::cli::gate::run(&args(golden.clone(), golden, Some(gate_file))),
        ExitCode::SUCCESS
    );
    let _ = std::fs::remove_dir_all(&dir);
}
