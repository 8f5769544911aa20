//! The run's `latency.hlog` is a real interval log: one histogram per tag per interval, with
//! increasing start times, and HdrHistogram's own Python package (`hdrhistogram`, installed by
//! scripts/test.sh into target/peers/venv) reads it back with the same counts and percentiles.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::common::peers::{python_with, repo};
use kcb::metrics::hlog::{read_hlog, read_hlog_intervals};
use kcb::runner;
use kcb::scenario;
use serde_json::Value;

#[test]
fn the_interval_log_has_one_histogram_per_tag_per_second_and_python_reads_it() {
    let toml = r#"
        name = "hlog"
        duration = "4s"
        warmup = "1s"
        seed = 9
        clock = "virtual"
        [workload]
        rate_per_sec = 100
        record_size = 256
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        [output]
        interval = "1s"
    "#;
    let s = scenario::parse(toml, Path::new("hlog.toml")).expect("scenario");
    let rt = runner::runtime(true).expect("runtime");
    let out = rt
        .block_on(runner::run_scenario(Arc::new(s), None, false))
        .expect("run");
    let dir = std::env::temp_dir().join(format!("kcb-hlog-peer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    runner::output::write(&out, toml, &dir).expect("output written");
    let log = dir.join("latency.hlog");

    // One interval per tag per second, from the end of the warm-up to the end of the run.
    let intervals = read_hlog_intervals(&log).expect("log reads");
    let tags = [
        "plaintext.put",
        "plaintext.e2e",
        "plaintext.lag",
        "envelope.put",
        "envelope.e2e",
        "envelope.lag",
    ];
    let first = out.measured_from.as_secs();
    let last = out.length.as_secs();
    for tag in tags {
        let starts: Vec<u64> = intervals
            .iter()
            .filter(|i| i.tag == tag)
            .map(|i| i.start.as_secs())
            .collect();
        assert_eq!(starts, (first..=last).collect::<Vec<_>>(), "{tag}");
        assert!(intervals
            .iter()
            .filter(|i| i.tag == tag)
            .all(|i| i.length == Duration::from_secs(1)));
    }
    // The intervals add up to what the result reports.
    let merged = read_hlog(&log).expect("log reads");
    let count = |tag: &str| {
        merged
            .iter()
            .find(|(t, _)| t == tag)
            .map_or(0, |(_, h)| h.len())
    };
    for p in &out.result.paths {
        assert_eq!(
            count(&format!("{}.put", p.name)),
            p.put_latency_us.count,
            "{}",
            p.name
        );
        assert_eq!(
            count(&format!("{}.e2e", p.name)),
            p.e2e_latency_us.count,
            "{}",
            p.name
        );
        assert!(p.put_latency_us.count > 0, "{} measured nothing", p.name);
    }

    let Some(python) = python_with(&["hdrh"]) else {
        return;
    };
    let script = repo().join("scripts/peers/read_hlog.py");
    let run = Command::new(&python)
        .arg(&script)
        .arg(&log)
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    let peer: Value = serde_json::from_slice(&run.stdout).expect("python prints JSON");
    let peer_intervals = peer["intervals"].as_array().expect("intervals");
    assert_eq!(peer_intervals.len(), intervals.len());
    for (ours, theirs) in intervals.iter().zip(peer_intervals) {
        assert_eq!(theirs["tag"], ours.tag.as_str());
        assert_eq!(theirs["start"].as_f64(), Some(ours.start.as_secs_f64()));
        assert_eq!(
            theirs["count"].as_u64(),
            Some(ours.histogram.len()),
            "{}",
            ours.tag
        );
    }
    for (tag, h) in &merged {
        let t = &peer["tags"][tag.as_str()];
        assert_eq!(t["count"].as_u64(), Some(h.len()), "{tag}");
        if h.is_empty() {
            continue;
        }
        for (key, q) in [("p50", 0.5), ("p99", 0.99)] {
            assert_eq!(t[key].as_u64(), Some(h.value_at_quantile(q)), "{tag} {key}");
        }
        assert_eq!(t["max"].as_u64(), Some(h.max()), "{tag} max");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
