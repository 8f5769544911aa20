//! Stopping a run early: on the virtual clock, an interrupt 20 s into an hour-long run stops the
//! load at once, lifts the fault in effect, drains briefly and marks the result; the binary,
//! sent SIGINT on the real clock, writes that result and exits 130.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kcb::interrupt::Interrupt;
use kcb::runner::{self, RunOptions};
use kcb::scenario;

const HOUR_WITH_A_FAULT: &str = r#"
    name = "interrupted"
    duration = "1h"
    warmup = "1s"
    seed = 4
    clock = "virtual"
    [workload]
    rate_per_sec = 10
    record_size = 256
    [[paths]]
    kind = "plaintext"
    [[paths]]
    kind = "envelope"
    cache = { max_messages = 100 }
    [[faults]]
    kind = "throttle"
    service = "kms"
    name = "long-throttle"
    at = "10s"
    for = "50m"
    quota_per_sec = 5
"#;

#[test]
fn an_interrupt_stops_the_load_lifts_faults_and_marks_the_result() {
    let s = scenario::parse(HOUR_WITH_A_FAULT, Path::new("interrupted.toml")).expect("scenario");
    let rt = runner::runtime(true).expect("runtime");
    let interrupt = Interrupt::new();
    let out = rt.block_on(async {
        let trigger = interrupt.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            trigger.trigger();
        });
        let options = RunOptions {
            interrupt: interrupt.clone(),
            ..Default::default()
        };
        runner::run_scenario_with(Arc::new(s), None, options)
            .await
            .expect("run")
    });
    let r = &out.result;
    assert!(r.interrupted);
    // The load stopped at 20 s, not at the end of the hour; the drain was short.
    assert!(out.length < Duration::from_secs(25), "{:?}", out.length);
    for p in &r.paths {
        let l = &p.ledger;
        assert!(
            (150..=210).contains(&l.sent),
            "{}: about 20 s at 10/s, got {}",
            p.name,
            l.sent
        );
        assert_eq!(l.sent, l.acked + l.failed, "{}", p.name);
        assert_eq!(l.lost, 0, "{}", p.name);
    }
    // The fault was lifted when the run stopped, 40 minutes before its planned end.
    let fault = &r.faults[0];
    let ended = fault.end_secs.expect("the fault ended");
    assert!(ended < 25.0, "fault ended at {ended} s");
    // Every reader says so.
    assert!(kcb::report::render(r).contains("INTERRUPTED"));
    assert!(kcb::report::summary::render_result(r).contains("INTERRUPTED"));
    // The resources it made were removed, so nothing is left to report on a second Ctrl-C.
    assert!(interrupt.left_behind().is_empty());
}

#[test]
fn sigint_writes_the_interrupted_result_and_exits_130() {
    let dir = std::env::temp_dir().join(format!("kcb-sigint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("long.toml");
    std::fs::write(
        &file,
        "name = \"sigint\"\nduration = \"60s\"\nwarmup = \"1s\"\n[workload]\nrate_per_sec = 50\n\
         record_size = 256\n[[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n",
    )
    .expect("write");
    let out = dir.join("out");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["run", file.to_str().unwrap(), "--no-progress", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    std::thread::sleep(Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    // Bounded: a run that ignored the signal would go on for a minute.
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            panic!("the run did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: stopping the load"),
        "{stderr}"
    );
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).expect("result"))
            .expect("JSON");
    assert_eq!(result["interrupted"], serde_json::json!(true));
    for p in result["paths"].as_array().expect("paths") {
        let l = &p["ledger"];
        assert_eq!(l["lost"], serde_json::json!(0), "{}", p["name"]);
        // Stopped about 4 s in: far fewer than the 3,000 the whole minute would send.
        assert!(l["sent"].as_u64().unwrap_or(0) < 50 * 30, "{}", p["name"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
