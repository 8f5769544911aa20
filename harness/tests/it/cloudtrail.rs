//! The KMS calls services make for a run, counted where AWS counts them: `--target aws` against
//! a loopback `serve` whose CloudTrail (`LookupEvents`, through the real `aws-sdk-cloudtrail`
//! client) delivers each call a second late. The sse-kms path's GenerateDataKey and Decrypt
//! (Kinesis's, for the producer and the consumer) and the Firehose path's (Firehose's own, under
//! its grant) are counted under each caller's ARN, `counted_by` "cloudtrail", equal to the
//! service's own log; with LookupEvents denied, or skipped, they read "not counted", never 0.

use crate::common;
use crate::common::aws_binary as binary;
use crate::common::{output, text};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use kcb::emulator::iam::Statement;
use serde_json::Value;

const ACCOUNT: &str = "111122223333";

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("trail", name)
}

/// A plaintext, an sse-kms and a Firehose path under a customer-managed key, each role its
/// own profile, CloudTrail waited for at most 30 s.
fn scenario(d: &Path) -> PathBuf {
    let body = format!(
        "name = \"trail\"\nduration = \"2s\"\nwarmup = \"500ms\"\nseed = 5\ndrain_timeout = \"10s\"\n\
         [workload]\nrate_per_sec = 20\nrecord_size = 200\n\
         [[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"sse-kms\"\n\
         [[paths]]\nname = \"fh\"\nkind = \"firehose\"\nkey = \"customer-managed\"\n\
         buffer_size_mib = 1\nbuffer_interval = \"1s\"\ndelivery_role = \"arn:aws:iam::{ACCOUNT}:role/delivery\"\n\
         [target]\nkind = \"aws\"\ncloudtrail_wait = \"30s\"\n\
         [target.roles.admin]\nprofile = \"kcb-admin\"\n\
         [target.roles.producer]\nprofile = \"kcb-producer\"\n\
         [target.roles.consumer]\nprofile = \"kcb-consumer\"\n"
    );
    let f = d.join("s.toml");
    std::fs::write(&f, body).expect("scenario");
    f
}

/// `run FILE --endpoint-url URL --no-progress --out D/out EXTRA...`: its output and result.
async fn run_file(d: &Path, file: &Path, url: &str, extra: &[&str]) -> (Output, Value) {
    let out = d.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let mut cmd = binary(d, &[]);
    cmd.arg("run")
        .arg(file)
        .args(["--endpoint-url", url, "--no-progress", "--out"])
        .arg(&out)
        .args(extra);
    let o = output(cmd).await;
    let r = std::fs::read_to_string(out.join("result.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (o, r)
}

async fn run(d: &Path, url: &str, extra: &[&str]) -> (Output, Value) {
    run_file(d, &scenario(d), url, extra).await
}

fn path<'a>(r: &'a Value, kind: &str) -> &'a Value {
    r["paths"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["kind"] == kind))
        .unwrap_or(&Value::Null)
}

/// A path's calls, warm-up included, by operation.
fn calls(p: &Value) -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    for part in ["by_operation", "warmup_by_operation"] {
        for (op, n) in p["kms_calls"][part].as_object().into_iter().flatten() {
            *all.entry(op.clone()).or_insert(0) += n.as_u64().unwrap_or(0);
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudtrail_counts_the_calls_services_make_under_each_callers_arn() {
    let (svc, running) = common::loopback().await;
    svc.control().set_cloudtrail_delay(Duration::from_secs(1));
    // Kinesis asks for a data key every half second, so calls fall after the warm-up too.
    svc.control()
        .set_sse_reuse_period(Duration::from_millis(500));
    let d = dir("counted");
    let (o, r) = run(&d, &running.endpoint_url(), &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("counting the services' KMS calls from CloudTrail"),
        "{stderr}"
    );

    let log = svc.control().kms_calls();
    // The service's own count of what it did for a resource: the calls made for it (the
    // admin's, provisioning it before the load, are the run's administration).
    let logged = |arn: &str| -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for e in log
            .iter()
            .filter(|e| e.via_stream.as_deref() == Some(arn) && e.principal != "admin")
        {
            *m.entry(e.op.clone()).or_insert(0) += 1;
        }
        m
    };

    let sse = path(&r, "sse-kms");
    let k = &sse["kms_calls"];
    assert_eq!(k["counted_by"], "cloudtrail", "{k}");
    assert_eq!(k["not_counted"], Value::Null);
    let stream = sse["resources"]["stream_arn"].as_str().expect("stream arn");
    let counted = calls(sse);
    assert!(
        counted.get("GenerateDataKey").is_some_and(|n| *n > 0),
        "{k}"
    );
    assert!(counted.get("Decrypt").is_some_and(|n| *n > 0), "{k}");
    assert_eq!(
        counted,
        logged(stream),
        "CloudTrail's count is the service's"
    );
    // Under each caller's ARN, Kinesis calling for it.
    let principals: Vec<&str> = k["service"]["by_principal"]
        .as_object()
        .expect("by principal")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        principals,
        [
            format!("arn:aws:iam::{ACCOUNT}:user/consumer (via kinesis)"),
            format!("arn:aws:iam::{ACCOUNT}:user/producer (via kinesis)"),
        ],
        "{k}"
    );

    let fh = path(&r, "firehose");
    let k = &fh["kms_calls"];
    assert_eq!(k["counted_by"], "cloudtrail", "{k}");
    let delivery = fh["resources"]["stream_arn"]
        .as_str()
        .expect("delivery stream arn");
    let counted = calls(fh);
    assert!(
        counted.get("GenerateDataKey").is_some_and(|n| *n > 0),
        "{k}"
    );
    assert_eq!(counted, logged(delivery), "{k}");

    // The plaintext path caused none, and says CloudTrail counted that.
    let plain = path(&r, "plaintext");
    assert_eq!(plain["kms_calls"]["counted_by"], "cloudtrail");
    assert!(calls(plain).is_empty(), "{}", plain["kms_calls"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cloudtrail_cannot_count_read_not_counted_never_zero() {
    let (svc, running) = common::loopback().await;
    let d = dir("denied");
    svc.control()
        .attach("admin", Statement::deny(["cloudtrail:LookupEvents"], ["*"]))
        .expect("deny");
    let (o, r) = run(&d, &running.endpoint_url(), &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    for kind in ["sse-kms", "firehose"] {
        let k = &path(&r, kind)["kms_calls"];
        let why = k["not_counted"].as_str().unwrap_or_default();
        assert!(why.starts_with("AccessDeniedException"), "{kind}: {k}");
    }
    // The client's count of a path no service calls KMS for still stands.
    let plain = &path(&r, "plaintext")["kms_calls"];
    assert_eq!(plain["counted_by"], "client");
    assert_eq!(plain["not_counted"], Value::Null);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("not counted: AccessDeniedException"),
        "{stdout}"
    );

    // Skipped: said so, and no lookup made.
    let (o, r) = run(&d, &running.endpoint_url(), &["--no-cloudtrail"]).await;
    assert!(o.status.success(), "{}", text(&o));
    let k = &path(&r, "sse-kms")["kms_calls"];
    assert!(
        k["not_counted"]
            .as_str()
            .is_some_and(|w| w.contains("--no-cloudtrail")),
        "{k}"
    );
}

/// CloudTrail gives 100 events a second at most (50 a lookup, 2 lookups a second): a run whose
/// KMS events take longer than `cloudtrail_wait` to read stops reading at the bound and says
/// so, and the envelope path, whose calls its own client sees, keeps the client's count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_cloudtrail_stops_at_the_wait_and_says_so() {
    let (_svc, running) = common::loopback().await;
    let d = dir("bounded");
    let body = "name = \"trail-bounded\"\nduration = \"2s\"\nwarmup = \"0s\"\nseed = 6\ndrain_timeout = \"10s\"\n\
         [workload]\nrate_per_sec = 100\nrecord_size = 200\n\
         [[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n\
         [target]\nkind = \"aws\"\ncloudtrail_wait = \"2s\"\n\
         [target.roles.admin]\nprofile = \"kcb-admin\"\n\
         [target.roles.producer]\nprofile = \"kcb-producer\"\n\
         [target.roles.consumer]\nprofile = \"kcb-consumer\"\n";
    let file = d.join("s.toml");
    std::fs::write(&file, body).expect("scenario");
    let (o, r) = run_file(&d, &file, &running.endpoint_url(), &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let sse = &path(&r, "sse-kms")["kms_calls"];
    let why = sse["not_counted"].as_str().unwrap_or_default();
    assert!(why.starts_with("TooManyEvents"), "{sse}");
    let envelope = &path(&r, "envelope")["kms_calls"];
    assert_eq!(envelope["counted_by"], "client", "{envelope}");
    assert_eq!(envelope["not_counted"], Value::Null);
    assert!(
        calls(path(&r, "envelope"))["GenerateDataKey"] >= 150,
        "{envelope}"
    );
}
