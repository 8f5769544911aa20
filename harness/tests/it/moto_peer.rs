//! The harness against a Kinesis + KMS it did not write: moto's server mode (`moto_server`,
//! installed by scripts/test.sh into target/peers/venv) on a loopback port, driven by the built
//! binary's `run --endpoint-url`. The scenario is scenarios/quickstart.toml cut down to its
//! plaintext and envelope paths, a few seconds long: every call the run makes (CreateStream,
//! AddTagsToStream, DescribeStreamSummary, PutRecord, ListShards, GetShardIterator, GetRecords,
//! DeleteStream; KMS CreateKey, GenerateDataKey, Decrypt) is answered by moto, the ledger of
//! each path balances (every record sent is acknowledged and read back, decrypted for the
//! envelope path, none lost, duplicated or corrupted), the envelope path's data key came from
//! moto's KMS, and the run deleted its streams and scheduled its key's deletion.
//!
//! The run schedules its key's deletion by key id: moto 5.2.5 answers ScheduleKeyDeletion
//! (and DisableKey, EnableKey, CancelKeyDeletion) given a key ARN, which KMS accepts, with an
//! HTTP 500 (a KeyError on the ARN in its backend).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::common::peers::{python_with, repo, run_bounded, start_moto};
use serde_json::Value;

/// Longest a run of the cut-down scenario may take (1 s warm-up, 3 s measured, the drain).
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Records a second on each path: what moto's single Python process keeps up with (at the
/// quickstart's 200 it falls seconds behind).
const RATE_PER_SEC: i64 = 50;

/// scenarios/quickstart.toml with only its plaintext and envelope paths, no plaintext twin, a
/// 1 s warm-up and 3 s measured, at [`RATE_PER_SEC`]; its expectations kept.
fn scenario() -> String {
    let text = std::fs::read_to_string(repo().join("scenarios/quickstart.toml"))
        .expect("scenarios/quickstart.toml");
    let mut s: toml::Table = text.parse().expect("quickstart parses");
    s.insert("name".into(), "moto-peer".into());
    s.insert("duration".into(), "3s".into());
    s.insert("warmup".into(), "1s".into());
    s.remove("control");
    s.get_mut("workload")
        .and_then(toml::Value::as_table_mut)
        .expect("[workload]")
        .insert("rate_per_sec".into(), RATE_PER_SEC.into());
    let paths = s
        .get_mut("paths")
        .and_then(toml::Value::as_array_mut)
        .expect("[[paths]]");
    paths.retain(|p| {
        matches!(
            p.get("kind").and_then(toml::Value::as_str),
            Some("plaintext" | "envelope")
        )
    });
    assert_eq!(paths.len(), 2, "quickstart's plaintext and envelope paths");
    // Against moto a cold start's sends miss the cache together for a long while (each of its
    // KMS calls takes milliseconds), and each makes a data key of its own, as the AWS
    // Encryption SDK's caching CMM does; this test is of the ledger, so the cache is
    // single-flight: one data key.
    for p in paths.iter_mut() {
        if let Some(cache) = p.get_mut("cache").and_then(toml::Value::as_table_mut) {
            cache.insert("single_flight".into(), true.into());
        }
    }
    toml::to_string(&s).expect("the scenario serializes")
}

/// A count from result.json.
#[track_caller]
fn count(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what} is not a count: {v}"))
}

/// KMS calls of one operation a path's client made, warm-up included.
fn kms_calls(path: &Value, op: &str) -> u64 {
    let k = &path["kms_calls"];
    k["by_operation"][op].as_u64().unwrap_or(0) + k["warmup_by_operation"][op].as_u64().unwrap_or(0)
}

#[test]
fn a_quickstart_run_against_moto_balances_every_paths_ledger() {
    let Some(python) = python_with(&["moto.server", "boto3"]) else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("moto-peer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let moto = start_moto(&python, &dir);

    let scenario_file = dir.join("moto-peer.toml");
    std::fs::write(&scenario_file, scenario()).expect("write the scenario");
    let out = dir.join("out");
    let mut command = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"));
    command
        .arg("run")
        .arg(&scenario_file)
        .args(["--endpoint-url", &moto.url(), "--region", "us-east-1"])
        .arg("--no-progress")
        .arg("--out")
        .arg(&out);
    let (status, output) = run_bounded(command, &dir, RUN_LIMIT);
    assert!(
        status.success(),
        "run against moto: {status}\n{output}\nmoto_server:\n{}",
        moto.log()
    );

    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("result.json")).expect("result.json"),
    )
    .expect("result.json is JSON");
    assert_eq!(result["endpoint"], moto.url().as_str());
    assert_eq!(result["interrupted"], false);
    let paths = result["paths"].as_array().expect("paths");
    let kinds: Vec<&str> = paths.iter().filter_map(|p| p["kind"].as_str()).collect();
    assert_eq!(kinds, ["plaintext", "envelope"]);
    for e in result["expectations"].as_array().expect("expectations") {
        assert_eq!(e["passed"], true, "{e}");
    }

    for p in paths {
        let name = p["name"].as_str().expect("name");
        let l = &p["ledger"];
        let sent = count(&l["sent"], "sent");
        assert!(sent > 0, "{name}: nothing sent: {l}");
        for (field, want) in [
            ("acked", sent),
            ("read", sent),
            ("decrypted", sent),
            ("failed", 0),
            ("lost", 0),
            ("duplicated", 0),
            ("corrupted", 0),
            ("unreadable", 0),
        ] {
            assert_eq!(count(&l[field], field), want, "{name}: ledger {field}: {l}");
        }
        let errors = p["errors"].as_object().map_or(0, |e| e.len());
        assert_eq!(errors, 0, "{name}: errors: {}", p["errors"]);
        assert!(
            p["resources"]["stream"].is_string(),
            "{name}: {}",
            p["resources"]
        );
    }

    let (plain, envelope) = (&paths[0], &paths[1]);
    for op in ["GenerateDataKey", "Decrypt"] {
        assert_eq!(
            kms_calls(plain, op),
            0,
            "plaintext {op}: {}",
            plain["kms_calls"]
        );
        assert!(
            kms_calls(envelope, op) > 0,
            "envelope {op}: {}",
            envelope["kms_calls"]
        );
    }
    let key = envelope["resources"]["key_arn"].as_str().unwrap_or("");
    assert!(
        key.starts_with("arn:aws:kms:us-east-1:"),
        "the run's key: {key:?}"
    );
    assert_eq!(envelope["resources"]["key_created"], true);

    // The run deleted its streams (moto lists none) and scheduled its key's deletion.
    let list = Command::new(&python)
        .args([
            "-c",
            "import json, sys, boto3\n\
             kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1',\n\
                       aws_access_key_id='admin', aws_secret_access_key='admin-secret')\n\
             k = boto3.client('kinesis', **kw)\n\
             m = boto3.client('kms', **kw)\n\
             key = m.describe_key(KeyId=sys.argv[2])['KeyMetadata']['KeyState']\n\
             print(json.dumps([k.list_streams()['StreamNames'], key]))",
            &moto.url(),
            key.rsplit('/').next().unwrap_or_default(),
        ])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python runs");
    assert!(
        list.status.success(),
        "ListStreams on moto: {}",
        String::from_utf8_lossy(&list.stderr)
    );
    let left: Value = serde_json::from_slice(&list.stdout).expect("a JSON list");
    assert_eq!(left[0], serde_json::json!([]), "streams left on moto");
    assert_eq!(left[1], "PendingDeletion", "the run's key on moto");

    drop(moto);
    let _ = std::fs::remove_dir_all(&dir);
}
