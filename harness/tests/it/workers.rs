//! A run split across machines, on one: the same scenario as 1/1 and as three workers
//! (scripts/local-workers.sh, the environment an Indexed Job gives its pods) against one
//! `serve`, then merged, gives the same counts and histogram totals; the workers' data-key
//! caches make three times the GenerateDataKey calls and the merged result says so; HdrHistogram's
//! Python package reads the merged log; mismatched shares are refused.

use std::process::Command;

use kcb::result::RunResult;
use serde_json::Value;

use crate::common::peers::{free_port, python_with, repo, start_server};

const SCENARIO: &str = r#"
name = "workers-it"
duration = "3s"
warmup = "1s"
seed = 5
clock = "real"

[stream]
shards = 2

[workload]
rate_per_sec = 40
record_size = 256
consumers = 1

[[paths]]
kind = "plaintext"

[[paths]]
kind = "envelope"
# Single-flight: one data key a cache whatever the sends that miss together (a cold start
# on a loaded machine has many), so three caches make exactly three times one's calls.
cache = { max_age = "5m", max_messages = 100000, single_flight = true }

[[paths]]
name = "firehose"
kind = "firehose"
key = "customer-managed"
destination_sse = "customer-managed"
buffer_size_mib = 1
buffer_interval = "1s"
delivery_role = "arn:aws:iam::111122223333:role/delivery"
"#;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kinesis-crypto-bench")
}

#[test]
fn three_workers_merged_count_what_one_machine_counts() {
    let dir = std::env::temp_dir().join(format!("kcb-workers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let scenario = dir.join("workers.toml");
    std::fs::write(&scenario, SCENARIO).expect("scenario");
    let port = free_port();
    let mut serve = Command::new(bin());
    serve.args(["serve", "--port", &port.to_string()]);
    let serve = start_server("serve", serve, port, &dir);
    let url = serve.url();

    // Refused on the embedded service, before any request.
    let refused = Command::new(bin())
        .args([
            "run",
            "--worker",
            "1/3",
            "--start-at",
            "2026-12-03T02:00:00Z",
        ])
        .arg(&scenario)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("shared endpoint"));

    let one = dir.join("one");
    let s = Command::new(bin())
        .args(["run", "--no-progress", "--endpoint-url", &url, "--out"])
        .arg(&one)
        .arg(&scenario)
        .status()
        .expect("run 1/1");
    assert!(s.success());
    let out = dir.join("workers");
    let s = Command::new(repo().join("scripts/local-workers.sh"))
        .arg("3")
        .arg(&scenario)
        .arg(&out)
        .env("KCB_BIN", bin())
        .env("KCB_ENDPOINT_URL", &url)
        .env("KCB_START_IN", "3")
        .status()
        .expect("local-workers.sh");
    assert!(s.success(), "local-workers.sh failed");

    let whole = RunResult::read(&one.join("result.json")).expect("1/1 result");
    let merged = RunResult::read(&out.join("merged/result.json")).expect("merged result");
    let w = merged
        .workers
        .as_ref()
        .expect("a merged result names its workers");
    assert_eq!(w.count, 3);
    assert_eq!(
        w.workers.iter().map(|w| w.index).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(w
        .workers
        .iter()
        .all(|x| x.start_lag_ms.is_some() && x.clock_offset_ms.is_some()));
    // One machine, one clock: the true offset is zero, and every worker's bound must hold it.
    for x in &w.workers {
        let (offset, error) = (
            x.clock_offset_ms.expect("offset"),
            x.clock_offset_error_ms.expect("bound"),
        );
        assert!(
            offset.abs() <= error + 1.0,
            "worker {}: {offset} ± {error} ms",
            x.index
        );
    }
    for p in &whole.paths {
        let m = merged.path(&p.name).expect("path merged");
        assert_eq!(m.ledger.sent, p.ledger.sent, "{}", p.name);
        assert_eq!(m.ledger.acked, p.ledger.acked, "{}", p.name);
        assert_eq!(m.ledger.decrypted, p.ledger.decrypted, "{}", p.name);
        assert_eq!(m.ledger.lost, 0, "{}", p.name);
        assert_eq!(m.put_latency_us.count, p.put_latency_us.count, "{}", p.name);
        assert_eq!(m.e2e_latency_us.count, p.e2e_latency_us.count, "{}", p.name);
        let shares: u64 = (1..=3)
            .map(|i| {
                let r =
                    RunResult::read(&out.join(format!("worker-{i}/result.json"))).expect("worker");
                assert_eq!(r.worker.as_ref().map(|w| w.index), Some(i));
                r.path(&p.name).expect("path").ledger.sent
            })
            .sum();
        assert_eq!(shares, p.ledger.sent, "the shares add up to the whole");
        // The sizes billed add up too, and the merged path is billed again, as the whole was.
        let (ms, ps) = (
            m.put_sizes.expect("merged sizes"),
            p.put_sizes.expect("sizes"),
        );
        assert_eq!((ms.records, ms.bytes), (ps.records, ps.bytes), "{}", p.name);
        let total = |r: &kcb::result::PathResult| {
            r.bill
                .as_ref()
                .map(|b| b.modes.iter().map(|m| m.total_usd).collect::<Vec<_>>())
        };
        assert!(total(m).is_some(), "{}: merged bill", p.name);
        if p.kind == kcb::result::PathKind::Plaintext {
            assert_eq!(
                total(m),
                total(p),
                "{}: the same records, the same bill",
                p.name
            );
        }
    }
    // One data-key cache: one GenerateDataKey; three workers, three caches: three.
    let gdk = |r: &RunResult| {
        let k = &r.path("envelope").expect("envelope").kms_calls;
        k.by_operation.get("GenerateDataKey").copied().unwrap_or(0)
            + k.warmup_by_operation
                .get("GenerateDataKey")
                .copied()
                .unwrap_or(0)
    };
    assert_eq!(gdk(&merged), 3 * gdk(&whole));
    assert!(w.notes.iter().any(|n| n.contains("own data-key cache")));

    // report, plan and gate read the merged result like any other; the report names the
    // workers and the merge's notes.
    let report = Command::new(bin())
        .arg("report")
        .arg(out.join("merged/result.json"))
        .arg("--out")
        .arg(dir.join("report"))
        .output()
        .expect("report");
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    for page in ["index.html", "summary.md"] {
        let text = std::fs::read_to_string(dir.join("report").join(page)).expect("page");
        assert!(text.contains("merged from 3 workers of run"), "{page}");
        assert!(text.contains("own data-key cache"), "{page}");
    }
    let plan = Command::new(bin())
        .arg("plan")
        .arg(out.join("merged/result.json"))
        .args(["--records-per-sec", "1000", "--record-bytes", "256"])
        .output()
        .expect("plan");
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(String::from_utf8_lossy(&plan.stdout).contains("envelope"));
    let gate = Command::new(bin())
        .arg("gate")
        .arg(out.join("merged/result.json"))
        .arg("--baseline")
        .arg(one.join("result.json"))
        .output()
        .expect("gate");
    // Three caches make three times one machine's data-key calls: a regression against a
    // one-machine baseline, which the gate must see (exit 1), not a file it cannot read (2).
    assert_eq!(
        gate.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&gate.stderr)
    );
    assert!(String::from_utf8_lossy(&gate.stdout).contains("envelope kms calls/window"));

    // Not one run's shares: refused, exit 2.
    let bad = Command::new(bin())
        .arg("merge")
        .arg(out.join("worker-1"))
        .arg(out.join("worker-1"))
        .arg(out.join("worker-2"))
        .arg("--out")
        .arg(dir.join("bad"))
        .output()
        .expect("merge");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("overlap"));

    let Some(python) = python_with(&["hdrh"]) else {
        return;
    };
    let read = Command::new(&python)
        .arg(repo().join("scripts/peers/read_hlog.py"))
        .arg(out.join("merged/latency.hlog"))
        .output()
        .expect("python runs");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let peer: Value = serde_json::from_slice(&read.stdout).expect("JSON");
    let sizes = Command::new(&python)
        .arg(repo().join("scripts/peers/read_hlog.py"))
        .arg(out.join("merged/sizes.hlog"))
        .output()
        .expect("python runs");
    assert!(
        sizes.status.success(),
        "{}",
        String::from_utf8_lossy(&sizes.stderr)
    );
    let sizes: Value = serde_json::from_slice(&sizes.stdout).expect("JSON");
    for p in &merged.paths {
        let t = &peer["tags"][format!("{}.put", p.name).as_str()];
        assert_eq!(
            t["count"].as_u64(),
            Some(p.put_latency_us.count),
            "{}",
            p.name
        );
        // One size: the workers' per-size histograms added hold every measured put, so the
        // size's p50 and p99 are the path's.
        let s = &sizes["tags"][format!("{}.put.256", p.name).as_str()];
        assert_eq!(
            s["count"].as_u64(),
            Some(p.put_latency_us.count),
            "{}",
            p.name
        );
        let row = &p.inflation.by_size[0];
        assert_eq!(
            (row.put_p50_us, row.put_p99_us),
            (Some(p.put_latency_us.p50), Some(p.put_latency_us.p99)),
            "{}",
            p.name
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
