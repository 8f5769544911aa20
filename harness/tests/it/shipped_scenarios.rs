//! Every shipped scenario, run as a user runs it (the binary, on the embedded service): it
//! exits 0 (its expectations hold), its result.json validates against the committed schema,
//! and its ledger balances with nothing lost, corrupted or unreadable.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The shipped scenario whose key deletion leaves records unreadable on purpose.
pub const TENANTS_SCENARIO: &str = "tenants-blast-radius.toml";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// The result schema, compiled.
pub fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("crates/kcb-result/schema/result.schema.json"))
        .expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn check_result(file: &Path, v: &jsonschema::Validator) {
    let text = std::fs::read_to_string(file).expect("result.json written");
    let json: Value = serde_json::from_str(&text).expect("result.json is JSON");
    let errors: Vec<String> = v
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    for p in json["paths"].as_array().expect("paths") {
        let l = &p["ledger"];
        let n = |k: &str| l[k].as_u64().expect("count");
        assert_eq!(
            n("sent"),
            n("acked") + n("failed"),
            "{}: {} ledger does not balance",
            file.display(),
            p["name"]
        );
        assert!(
            n("sent") > 0,
            "{}: {} sent nothing",
            file.display(),
            p["name"]
        );
        for k in ["lost", "corrupted", "unreadable"] {
            assert_eq!(n(k), 0, "{}: {} {k}", file.display(), p["name"]);
        }
    }
}

#[test]
fn every_shipped_scenario_runs_balances_and_matches_the_schema() {
    let v = schema();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // It deletes a tenant's key, so some records are unreadable by design; `tenants` runs
        // it and checks each tenant's figures.
        .filter(|p| !p.ends_with(TENANTS_SCENARIO))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let out = tempdir("shipped");
    for f in &files {
        let dir = out.join(f.file_stem().expect("stem"));
        let out = bin()
            .args(["run", "--no-progress", "--out"])
            .arg(&dir)
            .arg(f)
            .output()
            .expect("binary runs");
        let code = match kcb::result::RunResult::read(&dir.join("result.json")) {
            Ok(r) => crate::common::code_on_a_busy_machine(out.status.code(), &r),
            Err(_) => out.status.code(),
        };
        assert_eq!(
            code,
            Some(0),
            "{} did not pass its expectations:\n{}\n{}",
            f.display(),
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("FAIL")
                    || l.contains("BEHIND")
                    || l.starts_with("Expectations"))
                .collect::<Vec<_>>()
                .join("\n"),
            String::from_utf8_lossy(&out.stderr)
        );
        check_result(&dir.join("result.json"), &v);
        assert!(dir.join("latency.hlog").exists());
        assert!(dir.join("scenario.toml").exists());
    }
    quickstart_report_shows_the_kms_calls(&out.join("quickstart"));
    quickstart_bills_sealing_past_a_kilobyte(&out.join("quickstart"));
}

/// The quickstart's bill: each path billed in both modes with its difference over plaintext,
/// the page's stacked bar, and its plan at 5,000 records/s of 1 KiB: the envelope path's
/// records (1,024 B sealed past 1 KB) make on-demand Data-In twice plaintext's.
fn quickstart_bills_sealing_past_a_kilobyte(run: &Path) {
    let text = std::fs::read_to_string(run.join("result.json")).expect("result.json");
    let r: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(r["bill"]["region"], "us-east-1");
    assert!(r["bill"]["missing"].is_null(), "{}", r["bill"]);
    for p in r["paths"].as_array().expect("paths") {
        let modes = p["bill"]["modes"].as_array().expect("a bill per path");
        assert_eq!(modes.len(), 2, "{}: provisioned and on-demand", p["name"]);
        let base = if matches!(p["kind"].as_str(), Some("envelope" | "sse-kms")) {
            serde_json::json!("plaintext")
        } else {
            serde_json::Value::Null
        };
        assert_eq!(p["bill"]["baseline"], base, "{}", p["name"]);
    }
    let html = std::fs::read_to_string(run.join("report").join("index.html")).expect("page");
    assert!(
        html.contains("data-plot=\"bill\""),
        "the page stacks the bill"
    );
    let out = bin()
        .args([
            "plan",
            "--records-per-sec",
            "5000",
            "--record-bytes",
            "1024",
            "--format",
            "json",
        ])
        .arg(run.join("result.json"))
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan json");
    let data_in = |name: &str| -> f64 {
        let path = plan["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"));
        let mode = path["bill"]["modes"]
            .as_array()
            .expect("modes")
            .iter()
            .find(|m| m["mode"] == "on-demand")
            .expect("on-demand");
        mode["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["item"] == "Data-In")
            .expect("Data-In")["usd"]
            .as_f64()
            .expect("usd")
    };
    let (plain, env) = (data_in("plaintext"), data_in("envelope"));
    assert!(plain > 0.0);
    assert!((env - 2.0 * plain).abs() < 1e-6 * env, "{env} vs {plain}");
    let envelope = plan["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .find(|p| p["name"] == "envelope")
        .expect("envelope");
    let boundaries = envelope["bill"]["boundaries"]
        .as_array()
        .expect("boundaries");
    assert!(
        boundaries.iter().any(|b| b
            .as_str()
            .is_some_and(|b| b.starts_with("sealing takes 1,024 B records to ")
                && b.contains("on-demand bills Data-In as 2 KB"))),
        "{boundaries:?}"
    );
}

/// The quickstart's page: a KMS row per path with its calls after the warm-up and in it, and
/// each encrypted path made some (the quickstart's fall in the warm-up: a table without its
/// rows, or a plot reading "no KMS calls", hid them).
fn quickstart_report_shows_the_kms_calls(run: &Path) {
    let page = run.join("report");
    let status = bin()
        .args(["report", "--out"])
        .arg(&page)
        .arg(run.join("result.json"))
        .status()
        .expect("binary runs");
    assert_eq!(status.code(), Some(0));
    let html = std::fs::read_to_string(page.join("index.html")).expect("index.html");
    let text = std::fs::read_to_string(run.join("result.json")).expect("result.json");
    let r: serde_json::Value = serde_json::from_str(&text).expect("json");
    for p in r["paths"].as_array().expect("paths") {
        let (name, k) = (p["name"].as_str().expect("name"), &p["kms_calls"]);
        let (total, warmup) = (
            k["total"].as_u64().unwrap(),
            k["warmup_calls"].as_u64().unwrap(),
        );
        if matches!(p["kind"].as_str(), Some("envelope" | "sse-kms")) {
            assert!(total + warmup > 0, "{name} made KMS calls");
        }
        let row = format!(
            "<tr><td>{name}</td><td class=\"num\">{total}</td><td class=\"num\">{warmup}</td>"
        );
        assert!(html.contains(&row), "{name}: no KMS row {row}");
    }
    assert!(
        !html.contains(">no KMS calls<"),
        "the KMS plot says the calls it has"
    );
}

#[test]
fn the_long_scenarios_validate() {
    // scenarios/long/ holds runs too long for the test suite (scripts/soak.sh runs them).
    let files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios/long"))
        .expect("scenarios/long/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert!(!files.is_empty());
    let out = bin()
        .arg("validate")
        .args(&files)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn invalid_scenario_exits_2_naming_file_and_field() {
    let dir = tempdir("invalid");
    let f = dir.join("bad.toml");
    std::fs::write(&f, "name = \"x\"\nduration = \"10s\"\n[workload]\nrate_per_sec = -1\nrecord_size = 100\n[[paths]]\nkind = \"plaintext\"\n").expect("write");
    for cmd in ["validate", "run"] {
        let out = bin().arg(cmd).arg(&f).output().expect("binary runs");
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bad.toml:4") && err.contains("workload.rate_per_sec"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_failed_expectation_exits_1_and_still_writes_the_result() {
    let dir = tempdir("failing");
    let f = dir.join("failing.toml");
    std::fs::write(
        &f,
        "name = \"failing\"\nduration = \"20s\"\nclock = \"virtual\"\n[workload]\nrate_per_sec = 2\nrecord_size = 64\n[[paths]]\nkind = \"plaintext\"\n[expect]\nmax_acked = 1\n",
    )
    .expect("write");
    let out_dir = dir.join("out");
    let out = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&out_dir)
        .arg(&f)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL") && stdout.contains("acked <= 1"),
        "{stdout}"
    );
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("result.json")).expect("written"),
    )
    .expect("json");
    assert_eq!(r["expectations"][0]["passed"], Value::Bool(false));
    assert_eq!(r["expectations"][0]["measured"].as_f64(), Some(40.0));
}

#[test]
fn json_flag_prints_the_result() {
    let dir = tempdir("json");
    let f = dir.join("j.toml");
    std::fs::write(&f, "name = \"j\"\nduration = \"5s\"\nclock = \"virtual\"\n[workload]\nrate_per_sec = 2\nrecord_size = 64\n[[paths]]\nkind = \"envelope\"\n").expect("write");
    let out = bin()
        .args(["run", "--format", "json", "--out"])
        .arg(dir.join("o"))
        .arg(&f)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is the result JSON");
    assert_eq!(v["paths"][0]["kind"], "envelope");
    assert_eq!(v["paths"][0]["ledger"]["decrypted"].as_u64(), Some(10));
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}
