//! Firehose paths run as a user runs them (`scenarios/firehose-cmk.toml`): every record put is
//! read back from the objects in the bucket, the service's own count of deliveries agrees with
//! the ledger, and the KMS calls per principal are what the delivery path makes (the delivery
//! role's GenerateDataKey and the reader's Decrypt once per object, none for the AWS-owned key);
//! a Firehose path's overhead is measured against the Firehose path without encryption.

use std::path::{Path, PathBuf};
use std::process::Command;

use kcb::result::RunResult;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

#[test]
fn firehose_cmk_reads_back_every_record_and_counts_kms_calls_per_object() {
    let out = std::env::temp_dir().join(format!("kcb-firehose-cmk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(repo().join("scenarios/firehose-cmk.toml"))
        .status()
        .expect("binary runs");
    assert_eq!(status.code(), Some(0));
    let r = RunResult::read(&out.join("result.json")).expect("result");
    for p in &r.paths {
        let l = &p.ledger;
        assert_eq!((l.read, l.lost, l.failed), (l.sent, 0, 0), "{}", p.name);
        let f = p.firehose.as_ref().expect("firehose section");
        let svc = f.service.as_ref().expect("service count");
        assert_eq!(svc.records, l.acked, "{}", p.name);
        assert_eq!(
            (svc.dropped_records, f.delayed_records),
            (0, 0),
            "{}",
            p.name
        );
        assert!(svc.objects > 1, "{}: {svc:?}", p.name);
        // Buffering: from its intended send no record waits longer than its put took plus the
        // 2 s interval for its object's write (the clock is virtual: exact), and the read comes
        // after the write.
        let d = f.delivery_latency_us;
        let bound = 2_000_000 + p.put_latency_us.max;
        assert!(d.count > 0 && d.max <= bound, "{}: {d:?} > {bound}", p.name);
        assert!(d.mean > 100_000.0, "{}: {d:?}", p.name);
        assert!(p.e2e_latency_us.p50 >= d.p50, "{}", p.name);
    }
    let none = r.path("firehose-none").expect("none");
    let owned = r.path("firehose-aws-owned").expect("aws-owned");
    let cmk = r.path("firehose-cmk").expect("cmk");
    assert!(none.overhead_vs_plaintext_us.is_none());
    assert!(owned.overhead_vs_plaintext_us.is_some());
    assert!(cmk.overhead_vs_plaintext_us.is_some());
    let service = |p: &kcb::result::PathResult| p.kms_calls.service.clone().expect("service calls");
    assert_eq!(service(owned).total + service(owned).warmup_calls, 0);
    // One data key per object as the delivery role, one Decrypt per object read; the warm-up's
    // calls counted apart.
    let objects = cmk
        .firehose
        .as_ref()
        .and_then(|f| f.service.as_ref())
        .expect("svc")
        .objects;
    let s = service(cmk);
    let by = |who: &str| s.by_principal.get(who).copied().unwrap_or(0);
    let warm_gdk = s
        .warmup_by_operation
        .get("GenerateDataKey")
        .copied()
        .unwrap_or(0);
    let warm_dec = s.warmup_by_operation.get("Decrypt").copied().unwrap_or(0);
    // Firehose's own data key for its reuse window came in the warm-up (first put).
    assert_eq!(by("delivery (via s3)") + warm_gdk - 1, objects, "{s:?}");
    assert_eq!(by("consumer (via s3)") + warm_dec, objects, "{s:?}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_throttled_delivery_stream_and_a_denied_delivery_role_delay_but_lose_nothing() {
    let dir = std::env::temp_dir().join(format!("kcb-firehose-faults-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("fh-faults.toml");
    std::fs::write(
        &file,
        r#"name = "fh-faults"
duration = "40s"
warmup = "2s"
seed = 7
clock = "virtual"
[workload]
rate_per_sec = 50
record_size = 256
api = "put-records"
batch = { max_records = 25, linger = "100ms" }
[[paths]]
name = "fh"
kind = "firehose"
key = "customer-managed"
destination_sse = "customer-managed"
buffer_size_mib = 1
buffer_interval = "5s"
[[faults]]
kind = "throttle"
service = "kinesis"
fraction = 0.5
at = "5s"
for = "5s"
[[faults]]
kind = "deny"
principal = "delivery"
actions = ["kms:GenerateDataKey"]
at = "15s"
for = "10s"
"#,
    )
    .expect("write");
    let out = dir.join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(&file)
        .status()
        .expect("binary runs");
    assert_eq!(status.code(), Some(0));
    let r = RunResult::read(&out.join("result.json")).expect("result");
    let p = r.path("fh").expect("fh");
    // The throttle: Firehose's own error for a stream past its quota, retried by the producer.
    assert!(
        p.errors
            .get("ServiceUnavailableException")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        p.errors
    );
    assert!(p.attempts.retries > 0);
    // The deny: objects under the destination key wait while the role may not get a data key,
    // then arrive; the harness's late records are the service's retried ones.
    let f = p.firehose.as_ref().expect("firehose");
    let svc = f.service.as_ref().expect("service");
    assert!(f.delayed_records > 0, "{f:?}");
    assert_eq!(f.delayed_records, svc.retried_records);
    assert_eq!(svc.dropped_records, 0);
    assert_eq!((p.ledger.lost, p.ledger.read), (0, p.ledger.acked));
    assert!(r.faults.iter().all(|x| x.applied), "{:?}", r.faults);
    let _ = std::fs::remove_dir_all(&dir);
}
