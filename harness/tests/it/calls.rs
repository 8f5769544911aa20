//! `kinesis-crypto-bench calls`, the bounded call loops `scripts/compare.sh` times, run by the
//! built binary against the embedded service in process and against two Kinesis servers the
//! harness did not write (kinesalite from npm, moto from PyPI, each on a loopback port): every
//! timed call succeeds there, the counts of calls and records are the ones asked for, and the
//! latencies are ordered. Bad flags exit 2 naming the flag.

use std::process::Command;
use std::time::Duration;

use crate::common::peers::{
    kinesalite_dir, python_with, run_bounded, start_kinesalite, start_moto,
};
use serde_json::Value;

/// Longest one loop may take (its own limit is 20 s; setup and teardown on top).
const LIMIT: Duration = Duration::from_secs(60);

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-calls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Run `calls --format json` with `args` (bounded): its exit code, its JSON result and its output.
fn calls(dir: &std::path::Path, args: &[&str]) -> (i32, Option<Value>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"));
    c.args(["calls", "--format", "json", "--max-time", "20s"])
        .args(args);
    let (status, output) = run_bounded(c, dir, LIMIT);
    let json = output
        .lines()
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok());
    (status.code().unwrap_or(-1), json, output)
}

/// The three loops against one target: PutRecord, PutRecords and GetRecords all succeed with
/// the counts asked for.
fn three_loops(dir: &std::path::Path, endpoint: &[&str], sse: &[&str]) {
    let cases: [(&[&str], u64, u64); 3] = [
        (
            &["--op", "put-record", "--calls", "40", "--warmup", "3"],
            40,
            40,
        ),
        (
            &[
                "--op",
                "put-records",
                "--batch",
                "50",
                "--shards",
                "2",
                "--calls",
                "6",
                "--warmup",
                "1",
            ],
            6,
            300,
        ),
        (
            &[
                "--op",
                "get-records",
                "--batch",
                "20",
                "--calls",
                "8",
                "--warmup",
                "1",
            ],
            8,
            160,
        ),
    ];
    for (args, want_calls, want_records) in cases {
        let all: Vec<&str> = endpoint.iter().chain(sse).chain(args).copied().collect();
        let (code, json, output) = calls(dir, &all);
        assert_eq!(code, 0, "calls {all:?}: {output}");
        let r = json.unwrap_or_else(|| panic!("calls {all:?} printed no JSON: {output}"));
        assert_eq!(r["failed"], 0, "{r}");
        assert_eq!(r["calls"], want_calls, "{r}");
        assert_eq!(r["records"], want_records, "{r}");
        assert_eq!(r["sse"], !sse.is_empty(), "{r}");
        let (p50, p99, max) = (
            r["p50_us"].as_u64(),
            r["p99_us"].as_u64(),
            r["max_us"].as_u64(),
        );
        assert!(p50 > Some(0) && p50 <= p99 && p99 <= max, "{r}");
        assert!(r["calls_per_sec"].as_f64() > Some(0.0), "{r}");
    }
}

#[test]
fn loops_in_process_with_and_without_sse_count_what_they_were_asked() {
    let d = dir("embedded");
    three_loops(&d, &[], &[]);
    three_loops(&d, &[], &["--sse"]);
}

#[test]
fn loops_against_kinesalite_succeed_through_the_harness_client() {
    let Some(npm) = kinesalite_dir() else {
        return;
    };
    let d = dir("kinesalite");
    let server = start_kinesalite(&npm, &d);
    three_loops(&d, &["--endpoint-url", &server.url()], &[]);
}

#[test]
fn loops_against_moto_succeed_through_the_harness_client() {
    let Some(python) = python_with(&["moto.server"]) else {
        return;
    };
    let d = dir("moto");
    let server = start_moto(&python, &d);
    three_loops(&d, &["--endpoint-url", &server.url()], &[]);
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let d = dir("flags");
    for (args, flag) in [
        (&["--max-time", "11m"][..], "--max-time"),
        (&["--op", "put-records", "--batch", "501"][..], "--batch"),
        (&["--calls", "0"][..], "--calls"),
    ] {
        let (code, _, output) = calls(&d, args);
        assert_eq!(code, 2, "{args:?}: {output}");
        assert!(
            output.contains(flag),
            "{args:?} should name {flag}: {output}"
        );
    }
}

#[test]
fn an_unreachable_endpoint_exits_3_in_one_line() {
    let d = dir("closed");
    let port = crate::common::peers::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, output) = calls(&d, &["--endpoint-url", &url, "--calls", "5"]);
    assert_eq!(code, 3, "{output}");
    assert!(
        output.contains(&url) && output.contains("setting up"),
        "{output}"
    );
}
