//! The capacity plan's Markdown against a golden file: `tests/golden/plan.md`, made from the
//! fixed run result `tests/golden/plan-result.json` (a real four-path run). Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p kinesis-crypto-bench --test plan_golden`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kcb::cli::plan::PlanArgs;
use kcb::cli::DocFormat;
use kcb::plan::{markdown, plan, PlanInput};
use kcb::result::RunResult;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn result() -> RunResult {
    match RunResult::read(&golden_dir().join("plan-result.json")) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

/// 8,000 records/s of 1 KiB, two consumers, eu-west-2 (KMS quota 20,000/s): the uncached
/// envelope path needs 8,000 + 2 × 8,000 = 24,000 KMS requests/s, 120 % of the quota.
fn input() -> PlanInput {
    PlanInput {
        records_per_sec: 8_000.0,
        record_bytes: 1_024,
        region: Some("eu-west-2".to_owned()),
        consumers: 2,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
    }
}

#[test]
fn plan_markdown_matches_the_golden_file() {
    let md = markdown(&plan(&result(), &input()));
    let golden = golden_dir().join("plan.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(&golden, &md) {
            panic!("{}: {e}", golden.display());
        }
        return;
    }
    let want = match std::fs::read_to_string(&golden) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e} (make it with UPDATE_GOLDEN=1)", golden.display()),
    };
    if md != want {
        let first = md
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| md.lines().count().min(want.lines().count()));
        panic!(
            "the plan differs from {} at line {}:\n  got:  {:?}\n  want: {:?}\nwhole output:\n{md}\n(regenerate with UPDATE_GOLDEN=1 if the change is intended)",
            golden.display(),
            first + 1,
            md.lines().nth(first),
            want.lines().nth(first)
        );
    }
}

#[test]
fn plan_json_carries_every_path_and_its_basis() {
    let p = plan(&result(), &input());
    let v = match serde_json::to_value(&p) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let kinds: Vec<&str> = v["paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["kms"]["basis"]["kind"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // plaintext: none; envelope (5 min / 100,000 cache at 8,000/s: 12.5 s per key, the run was
    // age-limited): modelled; uncached: per record; sse-kms: per window.
    assert_eq!(kinds, ["none", "modelled", "per-record", "per-window"]);
    // Uncached: 1,000 GenerateDataKey / 1,000 sent and 1,000 Decrypt / 1,000 read:
    // 8,000 × 1 + 2 × 8,000 × 1 = 24,000/s; 24,000 / 20,000 = 1.2.
    assert_eq!(v["paths"][2]["kms"]["requests_per_sec"], 24_000.0);
    assert_eq!(v["paths"][2]["kms"]["quota_share"], 1.2);
}

#[test]
fn plan_command_exit_codes() {
    let args = |result: PathBuf, n: f64| PlanArgs {
        result,
        records_per_sec: n,
        record_bytes: 1_024,
        region: None,
        consumers: 1,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
        format: DocFormat::Json,
    };
    let good = golden_dir().join("plan-result.json");
    assert_eq!(
        kcb::cli::plan::run(&args(good.clone(), 100.0)),
        ExitCode::SUCCESS
    );
    assert_eq!(kcb::cli::plan::run(&args(good, 0.0)), ExitCode::from(2));
    assert_eq!(
        kcb::cli::plan::run(&args(golden_dir().join("no-such-result.json"), 100.0)),
        ExitCode::from(2)
    );
}
