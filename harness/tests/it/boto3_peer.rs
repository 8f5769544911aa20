//! boto3, the Python AWS SDK (installed by scripts/test.sh into target/peers/venv), against the
//! embedded service on a loopback port with SigV4 checked: `scripts/peers/boto3_peer.py` drives
//! its clients one JSON command at a time, so between two calls the test changes the world
//! through the service's control handle. Records round-trip byte for byte through a plain and
//! an SSE-KMS stream; and the errors a stream's key, a principal's policy and a shard's limits
//! cause reach boto3 under the codes botocore itself parses from the wire
//! (`KMSDisabledException`, `KMSInvalidStateException`, `AccessDeniedException`,
//! `ProvisionedThroughputExceededException`), each gone again once the cause is.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::peers::{python_with, repo};
use crate::common::{ADMIN, CONSUMER, PRODUCER};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kcb::clock::SystemClock;
use kcb::emulator::iam::Statement;
use kcb::emulator::kinesis::ShardLimits;
use kcb::emulator::server::{self, Running};
use kcb::emulator::{Service, ServiceConfig};
use serde_json::{json, Value};

/// Most PutRecord calls the throttling check makes.
const MAX_PUTS: usize = 200;
/// Most polls of DescribeStreamSummary while waiting for a stream to settle.
const MAX_POLLS: usize = 100;

/// `scripts/peers/boto3_peer.py` running, one command in, one answer out.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: PathBuf,
}

impl Driver {
    fn start(python: &Path, endpoint: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let stderr = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "boto3-peer-{}-{}.stderr",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = Command::new(python)
            .arg(repo().join("scripts/peers/boto3_peer.py"))
            .args(["--endpoint", endpoint, "--region", "us-east-1"])
            // Only the credentials each command names: no profile or config of the machine's.
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr).expect("the peer's stderr file"))
            .spawn()
            .expect("python runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// One boto3 call as `principal`: the peer's answer line.
    fn call(&mut self, principal: &str, service: &str, op: &str, params: Value) -> Value {
        let command = json!({
            "principal": principal,
            "service": service,
            "op": op,
            "params": params,
        });
        if let Err(e) = writeln!(self.stdin, "{command}").and_then(|()| self.stdin.flush()) {
            panic!("boto3_peer.py took no command ({e}): {}", self.stderr());
        }
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("read the answer");
        assert!(
            n > 0,
            "boto3_peer.py exited before answering {op}: {}",
            self.stderr()
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// A call that must succeed: its result.
    #[track_caller]
    fn ok(&mut self, principal: &str, service: &str, op: &str, params: Value) -> Value {
        let answer = self.call(principal, service, op, params);
        assert_eq!(answer["ok"], true, "{principal} {op}: {answer}");
        answer["result"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service (SigV4 checked, encryption changes at once) serving on loopback from its own
/// runtime, and boto3's driver pointed at it. Fields drop in order: the driver, the accept
/// loop, then the runtime.
struct World {
    driver: Driver,
    svc: Service,
    running: Running,
    _rt: tokio::runtime::Runtime,
}

impl Drop for World {
    fn drop(&mut self) {
        self.running.task.abort();
    }
}

/// The world, or `None` (the test skipped, or failed under `KCB_REQUIRE_PEERS`) without boto3.
fn world() -> Option<World> {
    let python = python_with(&["boto3"])?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = ServiceConfig {
        verify_signatures: true,
        encryption_update_delay: Duration::ZERO,
        ..Default::default()
    };
    let svc = Service::new(config, Arc::new(SystemClock));
    let running = rt
        .block_on(server::start(svc.clone(), "127.0.0.1:0".parse().unwrap()))
        .expect("listen on loopback");
    let driver = Driver::start(&python, &running.endpoint_url());
    Some(World {
        driver,
        svc,
        running,
        _rt: rt,
    })
}

/// JSON for bytes, as the driver takes them.
fn bytes(data: &[u8]) -> Value {
    json!({ "$bytes": STANDARD.encode(data) })
}

/// Assert a boto3 call failed with ClientError `code`, HTTP 400.
#[track_caller]
fn assert_code(answer: &Value, code: &str) {
    assert_eq!(answer["ok"], false, "expected {code}, got {answer}");
    assert_eq!(answer["code"], code, "{answer}");
    assert_eq!(answer["status"], 400, "{answer}");
}

impl World {
    /// Poll DescribeStreamSummary (as admin) until the stream is ACTIVE with `encryption`.
    fn wait_stream(&mut self, stream: &str, encryption: &str) -> Value {
        for _ in 0..MAX_POLLS {
            let summary = self.driver.ok(
                ADMIN,
                "kinesis",
                "describe_stream_summary",
                json!({ "StreamName": stream }),
            )["StreamDescriptionSummary"]
                .clone();
            if summary["StreamStatus"] == "ACTIVE" && summary["EncryptionType"] == encryption {
                return summary;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{stream} never became ACTIVE with EncryptionType {encryption}");
    }

    /// A one-shard stream, created by admin, ACTIVE.
    fn stream(&mut self, stream: &str) {
        self.driver.ok(
            ADMIN,
            "kinesis",
            "create_stream",
            json!({ "StreamName": stream, "ShardCount": 1 }),
        );
        self.wait_stream(stream, "NONE");
    }

    /// A one-shard stream encrypted under a fresh key (both made by admin); the key's id.
    fn sse_stream(&mut self, stream: &str) -> String {
        self.stream(stream);
        let key = self.driver.ok(
            ADMIN,
            "kms",
            "create_key",
            json!({ "Description": format!("key of {stream}") }),
        )["KeyMetadata"]
            .clone();
        let arn = key["Arn"].as_str().expect("the key's ARN").to_string();
        self.driver.ok(
            ADMIN,
            "kinesis",
            "start_stream_encryption",
            json!({ "StreamName": stream, "EncryptionType": "KMS", "KeyId": arn }),
        );
        let summary = self.wait_stream(stream, "KMS");
        assert_eq!(summary["KeyId"], arn.as_str(), "{summary}");
        key["KeyId"].as_str().expect("the key's id").to_string()
    }

    /// PutRecord as the producer: boto3's answer.
    fn put(&mut self, stream: &str, data: &[u8]) -> Value {
        self.driver.call(
            PRODUCER,
            "kinesis",
            "put_record",
            json!({ "StreamName": stream, "PartitionKey": "pk", "Data": bytes(data) }),
        )
    }

    /// A PutRecord that must succeed: its result.
    #[track_caller]
    fn put_ok(&mut self, stream: &str, data: &[u8]) -> Value {
        let answer = self.put(stream, data);
        assert_eq!(answer["ok"], true, "PutRecord: {answer}");
        answer["result"].clone()
    }

    /// A key operation as admin (KeyId plus `params`).
    fn key_op(&mut self, op: &str, key_id: &str, mut params: Value) -> Value {
        params["KeyId"] = json!(key_id);
        self.driver.ok(ADMIN, "kms", op, params)
    }

    /// Every record of shard 0 from TRIM_HORIZON as the consumer: (data, EncryptionType).
    fn read_all(&mut self, stream: &str) -> Vec<(Vec<u8>, String)> {
        let mut iterator = self.driver.ok(
            CONSUMER,
            "kinesis",
            "get_shard_iterator",
            json!({
                "StreamName": stream,
                "ShardId": "shardId-000000000000",
                "ShardIteratorType": "TRIM_HORIZON",
            }),
        )["ShardIterator"]
            .clone();
        let mut out = Vec::new();
        for _ in 0..10 {
            let page = self.driver.ok(
                CONSUMER,
                "kinesis",
                "get_records",
                json!({ "ShardIterator": iterator, "Limit": 1000 }),
            );
            let records = page["Records"].as_array().expect("Records").clone();
            if records.is_empty() {
                return out;
            }
            for r in records {
                let data = STANDARD
                    .decode(r["Data"].as_str().expect("Data"))
                    .expect("base64 Data");
                let enc = r["EncryptionType"].as_str().unwrap_or("NONE").to_string();
                out.push((data, enc));
            }
            iterator = page["NextShardIterator"].clone();
        }
        panic!("{stream}: more pages than a handful of records fill");
    }
}

#[test]
fn boto3_round_trips_records_through_a_plain_and_an_sse_stream() {
    let Some(mut w) = world() else {
        return;
    };
    // Plain: the bytes put are the bytes read, at the sequence number PutRecord gave.
    w.stream("boto3-plain");
    let data = b"boto3 \x00\xff plaintext".to_vec();
    let ack = w.put_ok("boto3-plain", &data);
    assert_eq!(ack["ShardId"], "shardId-000000000000", "{ack}");
    assert_eq!(ack["EncryptionType"], "NONE", "{ack}");
    let iterator = w.driver.ok(
        CONSUMER,
        "kinesis",
        "get_shard_iterator",
        json!({
            "StreamName": "boto3-plain",
            "ShardId": ack["ShardId"],
            "ShardIteratorType": "AT_SEQUENCE_NUMBER",
            "StartingSequenceNumber": ack["SequenceNumber"],
        }),
    )["ShardIterator"]
        .clone();
    let page = w.driver.ok(
        CONSUMER,
        "kinesis",
        "get_records",
        json!({ "ShardIterator": iterator, "Limit": 1 }),
    );
    let record = &page["Records"][0];
    assert_eq!(record["SequenceNumber"], ack["SequenceNumber"], "{page}");
    assert_eq!(record["PartitionKey"], "pk", "{page}");
    assert_eq!(
        STANDARD
            .decode(record["Data"].as_str().expect("Data"))
            .unwrap(),
        data
    );

    // SSE-KMS: sealed by the service, read back unchanged.
    w.sse_stream("boto3-sse");
    let sealed = b"boto3 under KMS".to_vec();
    let ack = w.put_ok("boto3-sse", &sealed);
    assert_eq!(ack["EncryptionType"], "KMS", "{ack}");
    assert_eq!(
        w.read_all("boto3-sse"),
        [(sealed, "KMS".to_string())],
        "what the consumer read"
    );
}

#[test]
fn boto3_sees_each_key_state_of_an_sse_stream_as_kinesis_names_it() {
    let Some(mut w) = world() else {
        return;
    };
    let key = w.sse_stream("boto3-keys");
    let mut written = vec![b"0 enabled".to_vec()];
    w.put_ok("boto3-keys", &written[0]);

    w.key_op("disable_key", &key, json!({}));
    let answer = w.put("boto3-keys", b"disabled");
    assert_code(&answer, "KMSDisabledException");
    w.key_op("enable_key", &key, json!({}));
    written.push(b"1 enabled again".to_vec());
    w.put_ok("boto3-keys", &written[1]);

    let scheduled = w.key_op(
        "schedule_key_deletion",
        &key,
        json!({ "PendingWindowInDays": 7 }),
    );
    assert_eq!(scheduled["KeyState"], "PendingDeletion", "{scheduled}");
    assert_eq!(scheduled["PendingWindowInDays"], 7, "{scheduled}");
    let answer = w.put("boto3-keys", b"pending deletion");
    assert_code(&answer, "KMSInvalidStateException");

    // CancelKeyDeletion leaves the key disabled, as KMS does; enabling it lets puts through.
    w.key_op("cancel_key_deletion", &key, json!({}));
    let described = w.key_op("describe_key", &key, json!({}));
    assert_eq!(
        described["KeyMetadata"]["KeyState"], "Disabled",
        "{described}"
    );
    let answer = w.put("boto3-keys", b"cancelled, still disabled");
    assert_code(&answer, "KMSDisabledException");
    w.key_op("enable_key", &key, json!({}));
    written.push(b"2 after the cancelled deletion".to_vec());
    w.put_ok("boto3-keys", &written[2]);

    // Only the accepted puts are in the stream, each sealed, each read back unchanged.
    let read = w.read_all("boto3-keys");
    let want: Vec<(Vec<u8>, String)> = written
        .into_iter()
        .map(|d| (d, "KMS".to_string()))
        .collect();
    assert_eq!(read, want);
}

#[test]
fn boto3_sees_an_attached_deny_and_lowered_shard_limits_until_they_are_removed() {
    let Some(mut w) = world() else {
        return;
    };
    w.stream("boto3-limits");
    w.put_ok("boto3-limits", b"before");

    // An explicit Deny of PutRecord for the producer, attached between two calls.
    let deny = w
        .svc
        .control()
        .attach(PRODUCER, Statement::deny(["kinesis:PutRecord"], ["*"]))
        .expect("attach");
    let answer = w.put("boto3-limits", b"denied");
    assert_code(&answer, "AccessDeniedException");
    // Only PutRecord is denied: PutRecords still writes.
    let batch = w.driver.ok(
        PRODUCER,
        "kinesis",
        "put_records",
        json!({
            "StreamName": "boto3-limits",
            "Records": [{ "PartitionKey": "pk", "Data": bytes(b"batched") }],
        }),
    );
    assert_eq!(batch["FailedRecordCount"], 0, "{batch}");
    w.svc.control().detach(PRODUCER, deny).expect("detach");
    w.put_ok("boto3-limits", b"allowed again");

    // One record a second per shard: back-to-back puts are throttled within a few calls.
    let hold = w
        .svc
        .control()
        .lower_shard_limits(
            "boto3-limits",
            ShardLimits {
                write_records_per_sec: 1.0,
                write_bytes_per_sec: f64::INFINITY,
                read_bytes_per_sec: f64::INFINITY,
                read_calls_per_sec: f64::INFINITY,
            },
        )
        .expect("the stream exists");
    let mut throttled = None;
    for i in 0..MAX_PUTS {
        let answer = w.put("boto3-limits", format!("fast {i}").as_bytes());
        if answer["ok"] == false {
            throttled = Some((i, answer));
            break;
        }
    }
    let (i, answer) = throttled.expect("no throttling within MAX_PUTS back-to-back puts");
    assert_code(&answer, "ProvisionedThroughputExceededException");
    assert!(i >= 1, "the first put after lowering had a token: {answer}");

    // Limits restored: puts go through again (the bucket refills at the default rate).
    assert!(w.svc.control().restore(&hold), "the hold was held");
    let mut last = Value::Null;
    for _ in 0..20 {
        last = w.put("boto3-limits", b"after the limits");
        if last["ok"] == true {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(last["ok"], true, "after restoring the limits: {last}");
}

#[test]
fn boto3_creates_a_cmk_delivery_stream_puts_a_batch_and_sees_the_error_after_disable_key() {
    let Some(mut w) = world() else {
        return;
    };
    let key = w.driver.ok(
        ADMIN,
        "kms",
        "create_key",
        json!({ "Description": "firehose" }),
    );
    let key_arn = key["KeyMetadata"]["Arn"].as_str().expect("Arn").to_string();
    let key_id = key["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_string();
    let created = w.driver.ok(
        ADMIN,
        "firehose",
        "create_delivery_stream",
        json!({
            "DeliveryStreamName": "boto3-cmk",
            "DeliveryStreamType": "DirectPut",
            "DeliveryStreamEncryptionConfigurationInput": {
                "KeyType": "CUSTOMER_MANAGED_CMK",
                "KeyARN": key_arn,
            },
        }),
    );
    assert!(
        created["DeliveryStreamARN"]
            .as_str()
            .is_some_and(|a| a.ends_with(":deliverystream/boto3-cmk")),
        "{created}"
    );
    let described = w.driver.ok(
        ADMIN,
        "firehose",
        "describe_delivery_stream",
        json!({ "DeliveryStreamName": "boto3-cmk" }),
    );
    let enc = &described["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"];
    assert_eq!(enc["Status"], "ENABLED", "{described}");
    assert_eq!(enc["KeyType"], "CUSTOMER_MANAGED_CMK", "{described}");
    assert_eq!(enc["KeyARN"], key_arn.as_str(), "{described}");
    let records: Vec<Value> = (0..25u8)
        .map(|i| json!({ "Data": bytes(&[i; 40]) }))
        .collect();
    let batch = w.driver.ok(
        PRODUCER,
        "firehose",
        "put_record_batch",
        json!({ "DeliveryStreamName": "boto3-cmk", "Records": records }),
    );
    assert_eq!(batch["FailedPutCount"], 0, "{batch}");
    assert_eq!(batch["Encrypted"], true, "{batch}");
    assert_eq!(
        batch["RequestResponses"].as_array().map(Vec::len),
        Some(25),
        "{batch}"
    );
    w.key_op("disable_key", &key_id, json!({}));
    let refused = w.driver.call(
        PRODUCER,
        "firehose",
        "put_record_batch",
        json!({ "DeliveryStreamName": "boto3-cmk", "Records": [{ "Data": bytes(b"x") }] }),
    );
    assert_code(&refused, "InvalidKMSResourceException");
    let failed = w.driver.ok(
        ADMIN,
        "firehose",
        "describe_delivery_stream",
        json!({ "DeliveryStreamName": "boto3-cmk" }),
    );
    let enc = &failed["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"];
    assert_eq!(enc["Status"], "ENABLING_FAILED", "{failed}");
    assert_eq!(
        enc["FailureDescription"]["Type"], "DISABLED_KMS_KEY",
        "{failed}"
    );
    assert_eq!(
        w.svc
            .control()
            .firehose_received("boto3-cmk")
            .map(|r| r.records),
        Some(25)
    );
}

#[test]
fn boto3_reads_what_a_delivery_stream_delivered_to_its_bucket_under_sse_kms() {
    let Some(mut w) = world() else {
        return;
    };
    let key = w
        .driver
        .ok(ADMIN, "kms", "create_key", json!({ "Description": "dest" }));
    let key_arn = key["KeyMetadata"]["Arn"].as_str().expect("Arn").to_string();
    w.driver.ok(
        ADMIN,
        "s3",
        "create_bucket",
        json!({ "Bucket": "boto3-dest" }),
    );
    w.driver.ok(
        ADMIN,
        "firehose",
        "create_delivery_stream",
        json!({
            "DeliveryStreamName": "boto3-to-s3",
            "DeliveryStreamType": "DirectPut",
            "ExtendedS3DestinationConfiguration": {
                "RoleARN": "arn:aws:iam::111122223333:role/delivery",
                "BucketARN": "arn:aws:s3:::boto3-dest",
                "Prefix": "in/",
                "BufferingHints": { "SizeInMBs": 1, "IntervalInSeconds": 0 },
                "EncryptionConfiguration": { "KMSEncryptionConfig": { "AWSKMSKeyARN": key_arn } },
            },
        }),
    );
    let described = w.driver.ok(
        ADMIN,
        "firehose",
        "describe_delivery_stream",
        json!({ "DeliveryStreamName": "boto3-to-s3" }),
    );
    let dest = &described["DeliveryStreamDescription"]["Destinations"][0]
        ["ExtendedS3DestinationDescription"];
    assert_eq!(dest["BucketARN"], "arn:aws:s3:::boto3-dest", "{described}");
    let records: Vec<Value> = (0..10u8)
        .map(|i| json!({ "Data": bytes(&[i; 30]) }))
        .collect();
    let batch = w.driver.ok(
        PRODUCER,
        "firehose",
        "put_record_batch",
        json!({ "DeliveryStreamName": "boto3-to-s3", "Records": records }),
    );
    assert_eq!(batch["FailedPutCount"], 0, "{batch}");
    let listed = w.driver.ok(
        CONSUMER,
        "s3",
        "list_objects_v2",
        json!({ "Bucket": "boto3-dest", "Prefix": "in/" }),
    );
    let contents = listed["Contents"].as_array().expect("Contents");
    assert_eq!(contents.len(), 1, "{listed}");
    let object_key = contents[0]["Key"].as_str().expect("Key").to_string();
    assert!(object_key.contains("/boto3-to-s3-1-"), "{object_key}");
    let got = w.driver.ok(
        CONSUMER,
        "s3",
        "get_object",
        json!({ "Bucket": "boto3-dest", "Key": object_key }),
    );
    assert_eq!(got["ServerSideEncryption"], "aws:kms", "{got}");
    assert_eq!(got["SSEKMSKeyId"], key_arn.as_str(), "{got}");
    let want: Vec<u8> = (0..10u8).flat_map(|i| [i; 30]).collect();
    assert_eq!(got["Body"], bytes(&want)["$bytes"], "{got}");
    // The producer may not read the bucket.
    let refused = w.driver.call(
        PRODUCER,
        "s3",
        "get_object",
        json!({ "Bucket": "boto3-dest", "Key": object_key }),
    );
    assert_eq!(
        (
            refused["ok"].clone(),
            refused["code"].clone(),
            refused["status"].clone()
        ),
        (json!(false), json!("AccessDenied"), json!(403)),
        "{refused}"
    );
}

/// `audit --sample-fleet` against the service on loopback (SigV4 checked), then boto3 reads
/// back what the audit saw: each customer-managed key's policy (whose findings, computed again
/// from boto3's copy, are the audit's), who manages each key, and the harness's tags on every
/// key and stream the audit calls the harness's.
#[test]
fn boto3_reads_back_the_key_policies_and_tags_the_audit_saw() {
    let Some(mut w) = world() else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args([
            "audit",
            "--endpoint-url",
            &w.running.endpoint_url(),
            "--sample-fleet",
            "--format",
            "json",
        ])
        .env_remove("AWS_PROFILE")
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let account = r["account"].as_str().unwrap().to_owned();
    let admins = vec![format!("arn:aws:iam::{account}:user/{ADMIN}")];
    let streams = r["streams"].as_array().unwrap();
    assert_eq!(streams.len(), kcb::audit::fleet::STREAMS.len());
    let mut keys_read = 0;
    for s in streams {
        assert_eq!(s["harness_created"], true, "{s}");
        let name = s["name"].as_str().unwrap();
        let tags = if s["service"] == "kinesis" {
            w.driver.ok(
                ADMIN,
                "kinesis",
                "list_tags_for_stream",
                json!({ "StreamName": name }),
            )["Tags"]
                .clone()
        } else {
            w.driver.ok(
                ADMIN,
                "firehose",
                "list_tags_for_delivery_stream",
                json!({ "DeliveryStreamName": name }),
            )["Tags"]
                .clone()
        };
        assert!(
            tags.as_array()
                .unwrap()
                .iter()
                .any(|t| t["Key"] == "created-by" && t["Value"] == "kinesis-crypto-bench"),
            "{name}: {tags}"
        );
        let Some(arn) = s["key"]["arn"].as_str() else {
            continue;
        };
        let meta = w
            .driver
            .ok(ADMIN, "kms", "describe_key", json!({ "KeyId": arn }))["KeyMetadata"]
            .clone();
        assert_eq!(meta["KeyManager"], s["key"]["manager"], "{name}");
        assert_eq!(meta["KeyState"], s["key"]["state"], "{name}");
        let rotation = w.driver.ok(
            ADMIN,
            "kms",
            "get_key_rotation_status",
            json!({ "KeyId": arn }),
        );
        assert_eq!(
            rotation["KeyRotationEnabled"], s["key"]["rotation"],
            "{name}"
        );
        if s["key"]["manager"] != "CUSTOMER" {
            continue;
        }
        let policy = w.driver.ok(
            ADMIN,
            "kms",
            "get_key_policy",
            json!({ "KeyId": arn, "PolicyName": "default" }),
        );
        let parsed = kcb::keypolicy::KeyPolicy::parse(policy["Policy"].as_str().unwrap())
            .expect("a policy boto3 read");
        let findings: Vec<Value> = parsed
            .findings(&account, &admins)
            .into_iter()
            .map(Value::from)
            .collect();
        assert_eq!(Value::from(findings), s["key"]["policy_findings"], "{name}");
        let tags = w
            .driver
            .ok(ADMIN, "kms", "list_resource_tags", json!({ "KeyId": arn }))["Tags"]
            .clone();
        assert!(
            tags.as_array()
                .unwrap()
                .iter()
                .any(|t| t["TagKey"] == "created-by" && t["TagValue"] == "kinesis-crypto-bench"),
            "{name}: {tags}"
        );
        keys_read += 1;
    }
    // Six streams under customer-managed keys (one of them through its source stream).
    assert_eq!(keys_read, 6);
    let open = streams
        .iter()
        .find(|s| s["name"] == "kcb-audit-cmk-open-policy")
        .unwrap();
    assert_eq!(open["key"]["policy_findings"].as_array().unwrap().len(), 1);
}
