//! `--target aws` for real, through the built binary against the embedded service on a
//! loopback port (SigV4 checked): the AWS credential chain as `aws-config` reads it (a shared
//! config and credentials file with a profile per role, one role assumed through STS
//! AssumeRole from the environment's credentials), each role's identity printed and recorded,
//! and every KMS call the run made appearing under the right principal in the service's own
//! log; `--expect-account` refusing another account before anything is created; a destructive
//! fault off the embedded service refused before the first request without
//! `--allow-destructive` (the service's request count proves it) and, with it, acting on the
//! run's own key; `--keep`, then `cleanup --run-id` removing what was kept, found by its tags.

use crate::common;
use crate::common::aws_binary as binary;
use crate::common::{output, text};

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use kcb::backend::credentials::UNUSED;
use kcb::clock::SystemClock;
use kcb::emulator::server::Running;
use kcb::emulator::Service;
use serde_json::Value;

const ACCOUNT: &str = "111122223333";

async fn serve() -> (Service, Running) {
    common::loopback().await
}

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("aws", name)
}

/// `run FILE --target aws --endpoint-url URL --region us-east-1 --no-progress EXTRA...` with the
/// environment's credentials `key` / `secret`, or (`None`) none at all.
async fn run_aws(
    d: &Path,
    file: &Path,
    url: &str,
    creds: Option<(&str, &str)>,
    extra: &[&str],
) -> Output {
    let env: Vec<(&str, &str)> = creds.map_or_else(Vec::new, |(key, secret)| {
        vec![
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ]
    });
    let mut cmd = binary(d, &env);
    cmd.arg("run").arg(file).args([
        "--target",
        "aws",
        "--endpoint-url",
        url,
        "--region",
        "us-east-1",
        "--no-progress",
    ]);
    cmd.args(extra);
    output(cmd).await
}

fn scenario(d: &Path, body: &str) -> PathBuf {
    let f = d.join("s.toml");
    std::fs::write(&f, body).expect("scenario");
    f
}

const SHORT: &str = "name = \"aws\"\nduration = \"2s\"\nwarmup = \"500ms\"\nseed = 3\n\
    drain_timeout = \"5s\"\n[workload]\nrate_per_sec = 20\nrecord_size = 200\n\
    [[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n";

fn result(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("result.json")).expect("result.json");
    serde_json::from_str(&text).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_and_an_assumed_role_sign_each_role_as_its_own_principal() {
    let (svc, running) = serve().await;
    let d = dir("chain");
    let body = format!(
        "{SHORT}[target]\nkind = \"aws\"\nexpect_account = \"{ACCOUNT}\"\n\
         [target.roles.admin]\nprofile = \"kcb-admin\"\n\
         [target.roles.producer]\nprofile = \"kcb-admin\"\n\
         [target.roles.consumer]\nrole_arn = \"arn:aws:iam::{ACCOUNT}:role/consumer\"\n\
         external_id = \"kcb-test\"\n"
    );
    let file = scenario(&d, &body);
    let out = d.join("out");
    let url = running.endpoint_url();
    let mut cmd = binary(
        &d,
        // The chain's credentials (the environment's): what the consumer's AssumeRole signs
        // with.
        &[
            ("AWS_ACCESS_KEY_ID", "resharder"),
            ("AWS_SECRET_ACCESS_KEY", "resharder-secret"),
        ],
    );
    cmd.arg("run")
        .arg(&file)
        .args(["--endpoint-url", &url, "--no-progress", "--out"])
        .arg(&out)
        // The command line overrides the scenario's producer.
        .args(["--role", "producer=profile:kcb-producer"]);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(&format!("account {ACCOUNT}")), "{stderr}");
    assert!(
        stderr.contains(&format!("arn:aws:iam::{ACCOUNT}:user/producer")),
        "{stderr}"
    );

    let r = result(&out);
    let t = &r["target"];
    assert_eq!(t["kind"], "aws");
    assert_eq!(t["account"], ACCOUNT);
    assert_eq!(t["endpoint_url"], url.as_str());
    assert_eq!(t["roles_separated"], true);
    let arn = |role: &str| {
        t["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["role"] == role)
            .map(|x| {
                (
                    x["arn"].as_str().unwrap_or("").to_owned(),
                    x["source"].clone(),
                )
            })
            .unwrap()
    };
    assert_eq!(arn("admin").0, format!("arn:aws:iam::{ACCOUNT}:user/admin"));
    assert_eq!(arn("admin").1, "profile kcb-admin");
    assert_eq!(
        arn("producer").0,
        format!("arn:aws:iam::{ACCOUNT}:user/producer")
    );
    // No reshard fault: the resharder has no work, so it is neither resolved nor identified.
    assert_eq!(arn("resharder"), (String::new(), Value::from(UNUSED)));
    let consumer = arn("consumer").0;
    assert!(
        consumer.starts_with(&format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/consumer/kinesis-crypto-bench-"
        )),
        "{consumer}"
    );
    assert!(svc.control().sessions() >= 1);
    for p in r["paths"].as_array().unwrap() {
        let l = &p["ledger"];
        assert_eq!(l["lost"], 0, "{}", p["name"]);
        assert_eq!(l["sent"], l["read"], "{}", p["name"]);
    }

    // The service's own log: every KMS call under the principal that should have made it.
    let calls = svc.control().kms_calls();
    let by = |op: &str| -> std::collections::BTreeSet<String> {
        calls
            .iter()
            .filter(|c| c.op == op)
            .map(|c| c.principal.clone())
            .collect()
    };
    // The teardown's (the admin's).
    assert_eq!(by("ScheduleKeyDeletion"), ["admin".to_owned()].into());
    // The envelope path's data keys (the producer's) and SSE's (Kinesis for the producer).
    assert_eq!(by("GenerateDataKey"), ["producer".to_owned()].into());
    // The envelope path's decrypts and SSE's reads: the consumer's assumed role acts as the
    // consumer principal.
    assert_eq!(by("Decrypt"), ["consumer".to_owned()].into());
    // Torn down: the streams are gone, the run's keys pending deletion.
    assert!(svc.control().snapshot().shard_limits.is_empty());
    let keys = svc.control().snapshot().keys;
    let created: Vec<_> = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["resources"]["key_created"] == true)
        .map(|p| {
            p["resources"]["key_arn"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(created.len(), 2, "the envelope and sse-kms paths' keys");
    for id in created {
        assert_eq!(
            keys[&id].0,
            kcb::emulator::kms::keys::KeyState::PendingDeletion,
            "{id}"
        );
    }
}

/// Profiles for the admin, the producer and the consumer, and no default chain at all (no keys
/// in the environment, no default profile, no instance metadata): the resharder, which no fault
/// gives work, needs none, and the run passes; with a reshard fault it would be identified, and
/// its missing credentials would end the run before anything is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_the_scenario_gives_no_work_needs_no_credentials() {
    let (svc, running) = serve().await;
    let d = dir("unused");
    let roles = "[target]\nkind = \"aws\"\n\
         [target.roles.admin]\nprofile = \"kcb-admin\"\n\
         [target.roles.producer]\nprofile = \"kcb-producer\"\n\
         [target.roles.consumer]\nprofile = \"kcb-consumer\"\n";
    let url = running.endpoint_url();
    // No credentials in the environment, no default profile, no instance metadata.
    let run = |body: String, out: PathBuf| {
        let file = scenario(&d, &body);
        let url = url.clone();
        let d = d.clone();
        async move {
            let out = out.to_string_lossy().into_owned();
            run_aws(&d, &file, &url, None, &["--out", &out]).await
        }
    };
    let out = d.join("out");
    let o = run(format!("{SHORT}{roles}"), out.clone()).await;
    assert!(o.status.success(), "{}", text(&o));
    let r = result(&out);
    for x in r["target"]["roles"].as_array().unwrap() {
        let role = x["role"].as_str().unwrap();
        if role == "resharder" {
            assert_eq!(
                (&x["source"], &x["arn"]),
                (&Value::from(UNUSED), &Value::Null)
            );
        } else {
            assert_eq!(
                x["arn"],
                format!("arn:aws:iam::{ACCOUNT}:user/{role}"),
                "{x}"
            );
        }
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("resharder  not identified"),
        "{}",
        text(&o)
    );

    // A reshard fault gives the resharder work: without credentials for it, nothing is made.
    let streams = svc.control().snapshot().shard_limits.len();
    let reshard = "[[faults]]\nkind = \"reshard\"\nat = \"1s\"\naction = \"split\"\n";
    let o = run(format!("{SHORT}{reshard}{roles}"), d.join("out2")).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("the resharder role (the default credential chain) cannot be identified"),
        "{}",
        text(&o)
    );
    assert_eq!(
        svc.control().snapshot().shard_limits.len(),
        streams,
        "nothing created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_is_refused_before_anything_is_created() {
    let (svc, running) = serve().await;
    let d = dir("account");
    let file = scenario(&d, SHORT);
    let admin = ("admin", "admin-secret");
    let url = running.endpoint_url();
    let o = run_aws(
        &d,
        &file,
        &url,
        Some(admin),
        &["--expect-account", "999999999999"],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("account {ACCOUNT}, not 999999999999")),
        "{stderr}"
    );
    assert!(stderr.lines().filter(|l| l.starts_with("error")).count() == 1);
    // Only the identity calls reached the service: no stream, no key.
    assert!(svc.control().snapshot().shard_limits.is_empty());
    assert!(svc.control().snapshot().keys.is_empty());

    // Bad credentials end the run in one line, not a retry storm.
    let before = svc.control().requests();
    let o = run_aws(&d, &file, &url, Some(("mallory", "nope")), &[]).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("InvalidClientTokenId"), "{stderr}");
    assert!(
        svc.control().requests() - before <= 1,
        "one GetCallerIdentity, no retries"
    );

    // Nothing listening: one line, at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let started = std::time::Instant::now();
    let o = run_aws(&d, &file, &nowhere, Some(admin), &[]).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("cannot be identified"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    // A key the scenario names in another region is refused before any request.
    let before = svc.control().requests();
    let other = scenario(
        &d,
        "name = \"r\"\nduration = \"2s\"\n[workload]\nrate_per_sec = 5\nrecord_size = 100\n\
         [[paths]]\nkind = \"envelope\"\nkey = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n",
    );
    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&other)
        .args(["--endpoint-url", &url, "--no-progress"]);
    let o = output(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("is in region eu-west-1, but the run's region is us-east-1"),
        "{}",
        text(&o)
    );
    assert_eq!(svc.control().requests(), before);
}

const DISABLE: &str =
    "[[faults]]\nkind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\npaths = [\"envelope\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destructive_fault_off_the_embedded_service_needs_allow_destructive() {
    let (svc, running) = serve().await;
    let d = dir("destructive");
    let file = scenario(&d, &format!("{SHORT}{DISABLE}"));
    let url = running.endpoint_url();

    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&file)
        .args(["--endpoint-url", &url, "--no-progress"]);
    let o = output(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("faults[0] \"disable-key-0\" (disable-key)")
            && stderr.contains("--allow-destructive"),
        "{stderr}"
    );
    assert_eq!(svc.control().requests(), 0, "refused before any request");

    // With the flag it runs, on the run's own key only, and the key is back at the end.
    let out = d.join("out");
    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&file)
        .args([
            "--endpoint-url",
            &url,
            "--no-progress",
            "--allow-destructive",
            "--out",
        ])
        .arg(&out);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let r = result(&out);
    let f = &r["faults"][0];
    assert_eq!(f["applied"], true, "{f}");
    let envelope = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "envelope")
        .unwrap();
    assert!(
        envelope["errors"]
            .as_object()
            .is_some_and(|e| !e.is_empty()),
        "the disabled key showed: {}",
        envelope["errors"]
    );
    // DisableKey and EnableKey, by the admin, on the envelope path's key and no other.
    let key = envelope["resources"]["key_arn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let changed: Vec<_> = svc
        .control()
        .kms_calls()
        .into_iter()
        .filter(|c| c.op == "DisableKey" || c.op == "EnableKey")
        .collect();
    assert!(changed.len() >= 2, "{changed:?}");
    assert!(changed
        .iter()
        .all(|c| c.key_id == key && c.principal == "admin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_resources_are_found_by_their_tags_and_cleaned_up() {
    let (svc, running) = serve().await;
    let d = dir("cleanup");
    let file = scenario(&d, SHORT);
    let url = running.endpoint_url();
    let out = d.join("out");
    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&file)
        .args(["--endpoint-url", &url, "--no-progress", "--keep", "--out"])
        .arg(&out);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("cleanup --run-id"), "{stderr}");
    let r = result(&out);
    let streams: Vec<String> = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["resources"]["stream"].as_str().unwrap().to_owned())
        .collect();
    let run_id = streams[0].rsplit('-').next().unwrap().to_owned();
    assert_eq!(svc.control().snapshot().shard_limits.len(), 3, "kept");
    let aliases = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["resources"]["key_alias"].as_str())
        .filter(|a| a.starts_with("alias/kcb-"))
        .count();
    assert_eq!(
        aliases, 2,
        "the run's two keys are aliased after their streams"
    );

    // Another run's leftovers, which this cleanup must not touch.
    let admin = kcb::backend::Principal::new(
        &kcb::backend::Target::Endpoint {
            url: url.clone(),
            region: "us-east-1".into(),
        },
        "admin",
        kcb::backend::TransportLog::new(),
        Arc::new(SystemClock),
    );
    admin
        .kinesis
        .create_stream("kcb-someone-elses", 1, false)
        .await
        .unwrap();

    let mut cmd = binary(&d, &[]);
    cmd.args(["cleanup", "--run-id", &run_id, "--endpoint-url", &url]);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for s in &streams {
        assert!(stdout.contains(&format!("stream {s}  deleted")), "{stdout}");
    }
    assert_eq!(
        stdout.matches("scheduled for deletion in 7 days").count(),
        2,
        "{stdout}"
    );
    assert_eq!(
        admin.kinesis.list_streams().await.unwrap(),
        ["kcb-someone-elses"],
        "only the run's streams were removed"
    );
    assert!(admin
        .kms
        .list_aliases()
        .await
        .unwrap()
        .iter()
        .all(|(a, _)| !a.contains(&run_id)));

    // By prefix: an untagged stream is listed and left alone.
    let mut cmd = binary(&d, &[]);
    cmd.args(["cleanup", "--prefix", "kcb-", "--endpoint-url", &url]);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("kcb-someone-elses  skipped: not tagged created-by=kinesis-crypto-bench"),
        "{stdout}"
    );
    assert_eq!(admin.kinesis.list_streams().await.unwrap().len(), 1);
}

const DENY: &str = "[[faults]]\nkind = \"deny\"\nprincipal = \"producer\"\nactions = [\"kms:GenerateDataKey\"]\nat = \"1s\"\nfor = \"800ms\"\npaths = [\"envelope\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_off_the_embedded_service_is_an_inline_policy_on_the_assumed_role() {
    let (svc, running) = serve().await;
    let d = dir("deny");
    let url = running.endpoint_url();
    let statements = |svc: &Service| svc.control().snapshot().policies["producer"].len();
    let before = statements(&svc);

    // The producer assumes its role: the deny is an inline policy put on it, and removed.
    let body = format!(
        "{SHORT}{DENY}[target]\nkind = \"aws\"\n[target.roles.producer]\nrole_arn = \"arn:aws:iam::{ACCOUNT}:role/producer\"\n[target.roles.consumer]\nprofile = \"kcb-consumer\"\n"
    );
    let file = scenario(&d, &body);
    let out = d.join("out");
    let mut cmd = binary(
        &d,
        &[
            ("AWS_ACCESS_KEY_ID", "admin"),
            ("AWS_SECRET_ACCESS_KEY", "admin-secret"),
        ],
    );
    cmd.arg("run")
        .arg(&file)
        .args([
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--no-progress",
            "--out",
        ])
        .arg(&out);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("deny faults on producer: an inline Deny policy on IAM role producer"),
        "{}",
        text(&o)
    );
    let r = result(&out);
    let f = &r["faults"][0];
    assert_eq!(f["applied"], true, "{f}");
    let notes = f["notes"].to_string();
    assert!(notes.contains("inline Deny policy kcb-deny-"), "{notes}");
    assert!(notes.contains("removed from role producer"), "{notes}");
    let envelope = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "envelope")
        .unwrap();
    assert!(
        envelope["errors"]["AccessDeniedException"].as_u64() > Some(0),
        "the service refused the producer: {}",
        envelope["errors"]
    );
    assert_eq!(
        svc.control().inline_policies(),
        0,
        "every inline policy removed"
    );
    assert_eq!(
        statements(&svc),
        before,
        "the producer's policy is as it was"
    );

    // A producer that is an IAM user (a profile's keys): the transport denies instead, and says
    // why.
    let out = d.join("out-user");
    let body = format!("{SHORT}{DENY}");
    let file = scenario(&d, &body);
    let o = run_aws(
        &d,
        &file,
        &url,
        Some(("admin", "admin-secret")),
        &[
            "--role",
            "producer=profile:kcb-producer",
            "--role",
            "consumer=profile:kcb-consumer",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let notes = result(&out)["faults"][0]["notes"].to_string();
    assert!(
        notes.contains("at the transport (its identity arn:aws:iam::111122223333:user/producer is not an assumed IAM role)"),
        "{notes}"
    );
    assert_eq!(svc.control().inline_policies(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firehose_path_against_an_endpoint_delivers_reads_back_and_its_leftovers_clean_up() {
    let (svc, running) = serve().await;
    let d = dir("firehose");
    let url = running.endpoint_url();
    // Without a delivery role, refused before anything is created.
    let body = "name = \"fh\"\nduration = \"2s\"\nwarmup = \"500ms\"\nseed = 4\ndrain_timeout = \"10s\"\n\
        [workload]\nrate_per_sec = 20\nrecord_size = 200\n[[paths]]\nkind = \"firehose\"\nkey = \"customer-managed\"\n\
        buffer_size_mib = 1\nbuffer_interval = \"1s\"\n";
    let file = scenario(&d, body);
    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&file)
        .args(["--endpoint-url", &url, "--no-progress", "--out"])
        .arg(d.join("refused"));
    let before = svc.control().requests();
    let o = output(cmd).await;
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("delivery_role"),
        "{}",
        text(&o)
    );
    assert_eq!(
        svc.control().requests(),
        before,
        "nothing was asked of the service"
    );

    let body = format!("{body}delivery_role = \"arn:aws:iam::{ACCOUNT}:role/delivery\"\n");
    let file = scenario(&d, &body);
    let out = d.join("out");
    let mut cmd = binary(&d, &[]);
    cmd.arg("run")
        .arg(&file)
        .args(["--endpoint-url", &url, "--no-progress", "--keep", "--out"])
        .arg(&out);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let r = result(&out);
    let p = &r["paths"][0];
    assert_eq!(p["ledger"]["read"], p["ledger"]["sent"], "{p}");
    assert_eq!(p["ledger"]["lost"], 0);
    let name = p["resources"]["stream"]
        .as_str()
        .expect("stream")
        .to_owned();
    let run_id = name.rsplit('-').next().expect("run id").to_owned();
    let bucket = name.to_ascii_lowercase();
    assert_eq!(
        svc.control().firehose_received(&name).map(|x| x.records),
        p["ledger"]["acked"].as_u64()
    );
    assert!(svc.control().objects_in(&bucket).is_some_and(|n| n > 0));

    let mut cmd = binary(&d, &[]);
    cmd.args(["cleanup", "--run-id", &run_id, "--endpoint-url", &url]);
    let o = output(cmd).await;
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!("delivery stream {name}  deleted")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("bucket {bucket}  emptied and deleted")),
        "{stdout}"
    );
    assert_eq!(svc.control().firehose_received(&name), None);
    assert_eq!(svc.control().objects_in(&bucket), None);
}
