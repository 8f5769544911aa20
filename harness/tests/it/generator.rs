//! The generator through the built binary: a run that cannot keep its schedule says so before
//! any latency and exits 1; a scenario past its shards' capacity is warned about (and refused
//! with `--strict`) before the first request; `report` says a run fell behind first too.

use std::process::Command;

use super::common::{fresh_dir, text};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
}

#[test]
fn a_run_behind_its_schedule_says_so_before_any_latency_and_exits_1() {
    let d = fresh_dir("generator", "behind");
    let file = d.join("behind.toml");
    // One send at a time while every PutRecord takes 30 ms, at 100 records/s.
    std::fs::write(&file, super::run_counts::slow_puts("1")).expect("scenario");
    let out = d.join("out");
    let o = binary()
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .expect("the binary runs");
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let behind = stdout
        .find("BEHIND SCHEDULE")
        .unwrap_or_else(|| panic!("{all}"));
    let latency = stdout
        .find("Latency, from the intended")
        .unwrap_or_else(|| panic!("{all}"));
    assert!(behind < latency, "{all}");
    assert!(
        stdout.contains("max_in_flight"),
        "what to do is said: {all}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains("schedule_kept"),
        "{all}"
    );
    // The report made from the result says it first too.
    let report = d.join("report");
    let r = binary()
        .args(["report", "--out"])
        .arg(&report)
        .arg(out.join("result.json"))
        .output()
        .expect("report runs");
    assert!(r.status.success(), "{}", text(&r));
    let summary = std::fs::read_to_string(report.join("summary.md")).expect("summary.md");
    let first_table = summary.find("| path |").unwrap_or(usize::MAX);
    let said = summary
        .find("BEHIND SCHEDULE")
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(said < first_table, "{summary}");
    let html = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(
        html.contains("class=\"behind\""),
        "the HTML report shows it"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// 2,500 records/s on one shard and one partition key: past a shard's 1,000 records/s (the
/// embedded service's shard lets a second's worth through at once, then throttles).
const OVER: &str = r#"
name = "over"
duration = "3s"
warmup = "0s"
seed = 4
clock = "virtual"
[stream]
shards = 1
[workload]
rate_per_sec = 2500
record_size = 64
partition_keys = 1
[[paths]]
kind = "plaintext"
[expect]
schedule_kept = false
"#;

#[test]
fn a_scenario_past_its_shards_is_warned_about_and_refused_with_strict() {
    let d = fresh_dir("generator", "over");
    let file = d.join("over.toml");
    std::fs::write(&file, OVER).expect("scenario");
    let strict = binary()
        .args(["run", "--no-progress", "--strict", "--out"])
        .arg(d.join("strict"))
        .arg(&file)
        .output()
        .expect("the binary runs");
    let all = text(&strict);
    assert_eq!(strict.status.code(), Some(2), "{all}");
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(stderr.contains("refused before any request"), "{all}");
    assert!(
        stderr.contains("2,500 records/s") && stderr.contains("a shard's 1,000 records/s"),
        "{all}"
    );
    assert!(!d.join("strict").join("result.json").exists(), "{all}");
    // Without --strict: the same numbers as a warning, and the run goes on (and is throttled).
    let warned = binary()
        .args(["run", "--no-progress", "--out"])
        .arg(d.join("warned"))
        .arg(&file)
        .output()
        .expect("the binary runs");
    let all = text(&warned);
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(
        stderr.contains("warning: path plaintext: 2,500 records/s"),
        "{all}"
    );
    let result = std::fs::read_to_string(d.join("warned").join("result.json")).expect("result");
    let json: serde_json::Value = serde_json::from_str(&result).expect("json");
    let warnings = json["generator"]["capacity_warnings"].as_array().cloned();
    assert_eq!(warnings.map(|w| w.len()), Some(1), "{result}");
    let throttled = json["paths"][0]["errors"]["ProvisionedThroughputExceededException"]
        .as_u64()
        .unwrap_or(0);
    assert!(throttled > 0, "the warning came true: {all}");
    let _ = std::fs::remove_dir_all(&d);
}
