//! Fault injection, measured: every shipped fault scenario run as a user runs it, its outcome
//! asserted from the result with figures that would change if the fault did nothing; a known
//! injected latency reported at its size; faults against a non-embedded endpoint applied at
//! the transport.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kcb::result::RunResult;
use kcb::runner;
use kcb::scenario;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

fn run_file(file: &Path, out: &Path) -> (Option<i32>, RunResult) {
    let status = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["run", "--no-progress", "--out"])
        .arg(out)
        .arg(file)
        .status()
        .expect("binary runs");
    let r = RunResult::read(&out.join("result.json")).expect("result.json readable");
    (status.code(), r)
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("crates/kcb-result/schema/result.schema.json"))
        .expect("schema");
    jsonschema::validator_for(&serde_json::from_str::<Value>(&text).expect("json"))
        .expect("compiles")
}

fn errors(r: &RunResult, path: &str, name: &str) -> u64 {
    r.path(path)
        .and_then(|p| p.errors.get(name).copied())
        .unwrap_or(0)
}

#[test]
fn every_fault_scenario_shows_its_fault_and_loses_nothing_silently() {
    let v = schema();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios/faults"))
        .expect("scenarios/faults")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 11, "{files:?}");
    let out = tempdir("shipped");
    for f in &files {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let dir = out.join(&name);
        let (code, r) = run_file(f, &dir);
        let code = crate::common::code_on_a_busy_machine(code, &r);
        assert_eq!(code, Some(0), "{name}: an expectation failed");
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).expect("read"))
                .expect("json");
        let errs: Vec<String> = v
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errs.is_empty(), "{name}: {errs:#?}");
        assert!(!r.faults.is_empty(), "{name}: no fault reported");
        for fault in &r.faults {
            assert!(
                fault.applied,
                "{name}: {} not applied: {:?}",
                fault.name, fault.notes
            );
            assert!(
                !fault.paths.is_empty(),
                "{name}: {} applied to no path",
                fault.name
            );
        }
        for p in &r.paths {
            let l = &p.ledger;
            assert_eq!(
                l.sent,
                l.acked + l.failed,
                "{name}/{}: ledger does not balance",
                p.name
            );
            // Lost only where Firehose dropped what it could not deliver (a deleted key), and
            // then exactly what the service says it dropped.
            let dropped = p
                .firehose
                .as_ref()
                .and_then(|f| f.service.as_ref())
                .map_or(0, |s| s.dropped_records);
            assert_eq!(l.lost, dropped, "{name}/{}: records lost", p.name);
            assert_eq!(l.corrupted, 0, "{name}/{}", p.name);
        }
        check_outcome(&name, &r);
    }
}

/// What each fault must have done: figures that would be zero (or different) had it done nothing.
fn check_outcome(name: &str, r: &RunResult) {
    let fault = &r.faults[0];
    let on = |path: &str| {
        fault
            .paths
            .iter()
            .find(|p| p.path == path)
            .unwrap_or_else(|| panic!("{name}: {path} not faulted"))
    };
    match name {
        "deny-producer-kms" => {
            // Every SSE put during the deny was refused (of ~300 due; a put already in flight
            // when the deny struck may still land), and puts came back after it.
            assert!(on("sse-kms").puts_ok_during <= 5, "{:?}", on("sse-kms"));
            assert!(
                on("sse-kms")
                    .errors_during
                    .get("KMSAccessDeniedException")
                    .copied()
                    .unwrap_or(0)
                    > 0
            );
            assert!(on("sse-kms").recovery_ms.is_some());
            assert!(errors(r, "envelope", "AccessDeniedException") > 0);
            assert_eq!(r.path("plaintext").map(|p| p.errors.len()), Some(0));
        }
        "deny-consumer-decrypt" => {
            assert!(errors(r, "sse-kms", "KMSAccessDeniedException") > 0);
            assert!(errors(r, "envelope", "AccessDeniedException") > 0);
            assert!(on("envelope").first_consumer_error_ms.is_some());
            // A temporary deny leaves nothing unreadable: consumers wait and read on.
            assert!(r
                .paths
                .iter()
                .all(|p| p.ledger.unreadable == 0 && p.ledger.decrypted == p.ledger.acked));
            assert!(on("sse-kms").first_consumer_error_ms.is_some());
            assert_eq!(
                on("sse-kms").first_producer_error_ms,
                None,
                "producers are not denied"
            );
        }
        "kms-throttle" => {
            assert!(errors(r, "envelope", "ThrottlingException") > 0);
            assert!(
                r.path("envelope").map(|p| p.attempts.retries).unwrap_or(0) > 0,
                "throttles are retried"
            );
        }
        "shard-throttle" => {
            for p in &r.paths {
                assert!(
                    p.errors
                        .get("ProvisionedThroughputExceededException")
                        .copied()
                        .unwrap_or(0)
                        > 0,
                    "{}",
                    p.name
                );
                assert!(p.attempts.retries > 0);
            }
        }
        "disable-key" => {
            assert!(errors(r, "sse-kms", "KMSDisabledException") > 0);
            assert!(errors(r, "envelope", "DisabledException") > 0);
            assert!(on("sse-kms").puts_ok_during <= 5, "{:?}", on("sse-kms"));
        }
        "key-deletion-cancelled" => {
            assert!(errors(r, "sse-kms", "KMSInvalidStateException") > 0);
            // Cancelled and re-enabled: nothing ends up unreadable.
            assert!(r.paths.iter().all(|p| p.ledger.unreadable == 0));
        }
        "key-deletion" => {
            let sse = r.path("sse-kms").expect("sse-kms");
            assert!(errors(r, "sse-kms", "KMSNotFoundException") > 0);
            // Crypto-shredding: the records under the deleted key are unreadable, not lost,
            // and every acknowledged record is accounted for one way or the other.
            assert!(sse.ledger.unreadable > 0);
            assert_eq!(
                sse.ledger.acked,
                sse.ledger.decrypted.min(sse.ledger.acked) + sse.ledger.unreadable
            );
            assert!(r.path("envelope").expect("envelope").ledger.unreadable > 0);
            assert_eq!(r.path("plaintext").expect("plaintext").ledger.unreadable, 0);
        }
        "key-policy" => {
            // The statement's removal stops the keys delegating to IAM: the producers' IAM
            // allows are not enough while it lasts; once it is back nothing is unreadable.
            assert!(errors(r, "sse-kms", "KMSAccessDeniedException") > 0);
            assert!(errors(r, "envelope", "AccessDeniedException") > 0);
            // Within the 1 s reuse window Kinesis asks KMS nothing: puts fail from the window's
            // end, not the policy change.
            let sse = on("sse-kms");
            assert!(sse.failed_during > sse.puts_ok_during * 5, "{sse:?}");
            assert!(sse.recovery_ms.is_some(), "{sse:?}");
            assert!(r
                .paths
                .iter()
                .all(|p| p.ledger.unreadable == 0 && p.ledger.decrypted == p.ledger.acked));
            assert!(
                fault.notes.iter().any(|n| n.contains("put back")),
                "{:?}",
                fault.notes
            );
        }
        "kms-latency" => {
            assert!(r.paths.iter().all(|p| p.errors.is_empty()));
        }
        "firehose-revoke-grant" => {
            let cmk = r.path("cmk").expect("cmk");
            let f = cmk.firehose.as_ref().expect("firehose section");
            let svc = f.service.as_ref().expect("service count");
            // Buffered under the revoked grant, delivered after the new one: late, not lost;
            // the harness's count of late records is the service's count of retried ones.
            assert!(f.delayed_records > 0, "{f:?}");
            assert_eq!(f.delayed_records, svc.retried_records, "{f:?}");
            assert!(svc.failed_attempts > 0);
            assert_eq!(svc.last_error.as_deref(), Some("KMS.AccessDeniedException"));
            assert_eq!(svc.records, cmk.ledger.acked);
            assert!(on("cmk").failed_during > 0, "{:?}", on("cmk"));
            assert!(on("cmk").recovery_ms.is_some(), "{:?}", on("cmk"));
            let control = r.path("aws-owned").expect("aws-owned");
            assert_eq!(
                control.firehose.as_ref().map(|f| f.delayed_records),
                Some(0)
            );
            assert_eq!(control.ledger.read, control.ledger.sent);
        }
        "firehose-delete-key" => {
            let cmk = r.path("cmk").expect("cmk");
            let svc = cmk
                .firehose
                .as_ref()
                .and_then(|f| f.service.clone())
                .expect("service count");
            assert!(svc.dropped_records > 0, "{svc:?}");
            assert_eq!(cmk.ledger.lost, svc.dropped_records);
            assert_eq!(cmk.ledger.read, svc.records);
            assert_eq!(svc.last_error.as_deref(), Some("KMS.NotFoundException"));
            assert!(errors(r, "cmk", "InvalidKMSResourceException") > 0);
            assert_eq!(r.path("aws-owned").map(|p| p.ledger.lost), Some(0));
        }
        other => panic!("no outcome check for {other}"),
    }
}

fn run_inline(toml: &str, endpoint: Option<(String, String)>) -> RunResult {
    let s = scenario::parse(toml, Path::new("inline.toml")).expect("scenario validates");
    let virtual_clock = s.clock == kcb::scenario::ClockMode::Virtual;
    let rt = runner::runtime(virtual_clock).expect("runtime");
    rt.block_on(runner::run_scenario(Arc::new(s), endpoint, false))
        .expect("run")
        .result
}

#[test]
fn a_known_injected_latency_is_reported_at_its_size() {
    let r = run_inline(
        r#"
        name = "known-latency"
        duration = "2m"
        seed = 21
        clock = "virtual"
        [workload]
        rate_per_sec = 20
        record_size = 256
        [[paths]]
        kind = "plaintext"
        name = "base"
        [[paths]]
        kind = "plaintext"
        name = "slow"
        [[faults]]
        kind = "latency"
        service = "kinesis"
        operations = ["PutRecord"]
        delay = "200us"
        paths = ["slow"]
        at = "0s"
        "#,
        None,
    );
    let base = r.path("base").expect("base").put_latency_us.p50 as f64;
    let slow = r.path("slow").expect("slow").put_latency_us.p50 as f64;
    let added = slow - base;
    assert!(
        (added - 200.0).abs() <= 20.0,
        "injected 200 µs, measured {added} µs (base p50 {base}, slow p50 {slow})"
    );
}

#[test]
fn faults_against_another_endpoint_are_applied_at_the_transport() {
    // The harness's own server on loopback, with signatures checked and no service-side
    // faults: whatever fails here failed at the client's transport.
    let (r, _) = run_against_serve(
        r#"
            name = "endpoint-faults"
            duration = "4s"
            seed = 22
            [workload]
            rate_per_sec = 50
            record_size = 256
            [retry]
            max_attempts = 20
            max_backoff = "100ms"
            [[paths]]
            kind = "plaintext"
            [[paths]]
            kind = "sse-kms"
            [[faults]]
            name = "refusals"
            kind = "throttle"
            service = "kinesis"
            operations = ["PutRecord"]
            fraction = 0.5
            paths = ["plaintext"]
            at = "0s"
            [[faults]]
            name = "no-kms"
            kind = "deny"
            principal = "producer"
            actions = ["kms:GenerateDataKey"]
            paths = ["sse-kms"]
            at = "1s"
            for = "1s"
            "#,
    );
    assert_ne!(r.endpoint, "embedded");
    let plain = r.path("plaintext").expect("plaintext");
    // Half the puts were answered ProvisionedThroughputExceededException by the wrapper, parsed
    // by the SDK and retried by the harness: nothing failed for good, nothing was lost.
    assert!(
        plain
            .errors
            .get("ProvisionedThroughputExceededException")
            .copied()
            .unwrap_or(0)
            > 20,
        "{:?}",
        plain.errors
    );
    assert!(plain.attempts.retries > 20);
    assert_eq!(plain.ledger.failed, 0);
    assert_eq!(plain.ledger.lost, 0);
    // The deny, on a non-embedded endpoint, shows as Kinesis's KMSAccessDeniedException on the
    // SSE path's puts (from the wrapper), for the second it lasted.
    let sse = r.path("sse-kms").expect("sse-kms");
    assert!(
        sse.errors
            .get("KMSAccessDeniedException")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        sse.errors
    );
    assert!(
        !sse.errors
            .contains_key("ProvisionedThroughputExceededException"),
        "the throttle was scoped to plaintext"
    );
    let deny = r.faults.iter().find(|f| f.name == "no-kms").expect("fault");
    assert!(deny.applied);
    assert!(
        deny.notes.iter().any(|n| n.contains("at the transport")),
        "{:?}",
        deny.notes
    );
    assert!(sse.ledger.lost == 0 && sse.ledger.sent == sse.ledger.acked + sse.ledger.failed);
}

#[test]
fn a_rotated_key_keeps_records_before_and_after_readable_on_both_encrypted_paths() {
    let (r, svc) = run_against_serve(
        r#"
            name = "rotate"
            duration = "4s"
            seed = 23
            [workload]
            rate_per_sec = 40
            record_size = 256
            [[paths]]
            kind = "envelope"
            [[paths]]
            kind = "sse-kms"
            [[faults]]
            name = "rotation"
            kind = "rotate-key"
            at = "2s"
            "#,
    );
    let fault = &r.faults[0];
    assert_eq!(fault.kind, "rotate-key");
    assert_eq!(
        fault
            .notes
            .iter()
            .map(|n| n.matches("rotated ").count())
            .sum::<usize>(),
        2,
        "{:?}",
        fault.notes
    );
    // Both keys rotated once, on demand, by the admin.
    let rotations: Vec<_> = svc
        .control()
        .kms_calls()
        .into_iter()
        .filter(|c| c.op == "RotateKeyOnDemand" && c.ok)
        .collect();
    assert_eq!(rotations.len(), 2);
    for c in &rotations {
        assert_eq!(c.principal, "admin");
        assert_eq!(svc.control().key_material_versions(&c.key_id), 2);
    }
    for name in ["envelope", "sse-kms"] {
        let p = r.path(name).expect(name);
        let l = &p.ledger;
        assert!(l.acked > 100, "{name}: {l:?}");
        assert_eq!(
            (l.lost, l.unreadable, l.corrupted, l.decrypted),
            (0, 0, 0, l.acked),
            "{name}: every record before and after the rotation read back"
        );
    }
    // The envelope path (no cache) took data keys after the rotation too: sealed under the new
    // material, opened by Decrypt.
    let envelope_after = svc
        .control()
        .kms_calls()
        .into_iter()
        .filter(|c| c.op == "GenerateDataKey" && c.ok && c.via_stream.is_none())
        .filter(|c| c.at > rotations[0].at)
        .count();
    assert!(envelope_after > 0);
}

/// Run `toml` (real clock) against the harness's own `serve` on loopback, signatures checked,
/// encryption changes at once: the result and the service, to read its own log.
fn run_against_serve(toml: &str) -> (RunResult, kcb::emulator::Service) {
    let rt = runner::runtime(false).expect("runtime");
    rt.block_on(async {
        let svc = kcb::emulator::Service::new(
            kcb::emulator::ServiceConfig {
                encryption_update_delay: std::time::Duration::ZERO,
                ..Default::default()
            },
            Arc::new(kcb::clock::SystemClock),
        );
        let server =
            kcb::emulator::server::start(svc.clone(), "127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("serve");
        let s = scenario::parse(toml, Path::new("inline.toml")).expect("scenario validates");
        let url = server.endpoint_url();
        let out = runner::run_scenario(Arc::new(s), Some((url, "us-east-1".into())), false)
            .await
            .expect("run");
        server.task.abort();
        (out.result, svc)
    })
}
