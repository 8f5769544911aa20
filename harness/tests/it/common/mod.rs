//! Shared setup for the integration tests of the embedded Kinesis + KMS service.
//!
//! Every test builds a [`World`]: one embedded service on a [`ManualClock`] (so rate limits,
//! iterator expiry, reuse windows and key deletion move only when a test says so) and the four
//! default principals, each reaching the service through the real AWS SDK clients.

#![allow(dead_code)]

pub mod peers;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kcb::backend::{BackendError, KeyInfo, Principal, ReadRecord, Start, Target, TransportLog};
use kcb::clock::ManualClock;
use kcb::emulator::{Service, ServiceConfig};
use md5::{Digest, Md5};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// The default principals, by the names the service's IAM gives them.
pub const ADMIN: &str = "admin";
pub const PRODUCER: &str = "producer";
pub const CONSUMER: &str = "consumer";
pub const RESHARDER: &str = "resharder";

/// A shared config file with one profile per role (`kcb-admin`, `kcb-producer`, ...: their keys
/// are the service's principals') and a credentials file, in `d`: what `aws configure` would
/// have written.
pub fn aws_files(d: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    std::fs::create_dir_all(d).expect("dir");
    let config = d.join("config");
    let credentials = d.join("credentials");
    let mut c = String::new();
    let mut k = String::new();
    for role in [ADMIN, PRODUCER, CONSUMER, RESHARDER] {
        c.push_str(&format!("[profile kcb-{role}]\nregion = us-east-1\n\n"));
        k.push_str(&format!(
            "[kcb-{role}]\naws_access_key_id = {role}\naws_secret_access_key = {role}-secret\n\n"
        ));
    }
    std::fs::write(&config, c).expect("config");
    std::fs::write(&credentials, k).expect("credentials");
    (config, credentials)
}

/// A fresh, empty directory for one test: `kcb-<prefix>-<name>-<pid>` in the temporary directory.
pub fn fresh_dir(prefix: &str, name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// Run a command of the binary off the test's runtime threads (a loopback `serve` in the same
/// process answers it meanwhile): its output.
pub async fn output(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join")
}

/// A command's status, stdout and stderr, for an assertion's message.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The binary with an environment that holds only what the test gives it of AWS's.
pub fn aws_binary(d: &std::path::Path, env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let (config, credentials) = aws_files(d);
    cmd.env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A signature-checking service on 127.0.0.1 with an OS-chosen port, on the system clock, its
/// stream encryption changes taking effect at once.
pub async fn loopback() -> (Service, kcb::emulator::server::Running) {
    let config = ServiceConfig {
        verify_signatures: true,
        encryption_update_delay: Duration::ZERO,
        ..Default::default()
    };
    let svc = Service::new(config, Arc::new(kcb::clock::SystemClock));
    let running = kcb::emulator::server::start(svc.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("listen on loopback");
    (svc, running)
}

/// One embedded service, its clock, and a client set per default principal.
pub struct World {
    pub clock: Arc<ManualClock>,
    pub svc: Service,
    pub admin: Principal,
    pub producer: Principal,
    pub consumer: Principal,
    pub resharder: Principal,
}

/// The configuration the tests use: no signature checks in process (the loopback tests in
/// `serve.rs` check them), and stream encryption changes that take effect at once.
pub fn test_config() -> ServiceConfig {
    ServiceConfig {
        verify_signatures: false,
        encryption_update_delay: Duration::ZERO,
        ..Default::default()
    }
}

impl World {
    /// A fresh service with [`test_config`].
    pub fn new() -> Self {
        Self::with_config(test_config())
    }

    /// A fresh service with `config`, on a manual clock starting now.
    pub fn with_config(config: ServiceConfig) -> Self {
        let clock = ManualClock::starting_now();
        let svc = Service::new(config, clock.clone());
        let target = Target::Embedded(svc.clone());
        let p = |name: &str| Principal::new(&target, name, TransportLog::new(), clock.clone());
        Self {
            admin: p(ADMIN),
            producer: p(PRODUCER),
            consumer: p(CONSUMER),
            resharder: p(RESHARDER),
            clock,
            svc,
        }
    }

    /// Clients for any principal name (a default one, one added by a test, or an unknown one).
    pub fn principal(&self, name: &str) -> Principal {
        Principal::new(
            &Target::Embedded(self.svc.clone()),
            name,
            TransportLog::new(),
            self.clock.clone(),
        )
    }

    /// Move the service's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Create a provisioned stream (as admin).
    pub async fn stream(&self, name: &str, shards: u32) {
        self.admin
            .kinesis
            .create_stream(name, shards, false)
            .await
            .expect("CreateStream");
    }

    /// Create a symmetric KMS key (as admin).
    pub async fn key(&self, description: &str) -> KeyInfo {
        self.admin
            .kms
            .create_key(description)
            .await
            .expect("CreateKey")
    }

    /// Create a stream encrypted with a fresh key; returns the key.
    pub async fn sse_stream(&self, name: &str, shards: u32) -> KeyInfo {
        self.stream(name, shards).await;
        let key = self.key(&format!("key of {name}")).await;
        self.admin
            .kinesis
            .start_encryption(name, &key.arn)
            .await
            .expect("StartStreamEncryption");
        key
    }

    /// Shard ids of a stream, in order.
    pub async fn shard_ids(&self, stream: &str) -> Vec<String> {
        self.admin
            .kinesis
            .list_shards(stream)
            .await
            .expect("ListShards")
    }

    /// Shard ids with their hash-key ranges, parsed.
    pub async fn shard_ranges(&self, stream: &str) -> Vec<(String, u128, u128)> {
        self.admin
            .kinesis
            .describe_shards(stream)
            .await
            .expect("DescribeStream")
            .into_iter()
            .map(|(id, start, end)| {
                (
                    id,
                    start.parse().expect("start hash"),
                    end.parse().expect("end hash"),
                )
            })
            .collect()
    }

    /// Every record of one shard from TRIM_HORIZON, as the consumer. Reads until a page comes
    /// back empty: two GetRecords calls for fewer than 10,000 records, so two passes fit in one
    /// second of the shard's five-calls-a-second budget.
    pub async fn read_shard(
        &self,
        stream: &str,
        shard: &str,
    ) -> Result<Vec<ReadRecord>, BackendError> {
        read_from(&self.consumer, stream, shard, &Start::TrimHorizon).await
    }

    /// Every record of every shard, by shard id.
    pub async fn read_all(&self, stream: &str) -> BTreeMap<String, Vec<ReadRecord>> {
        let mut out = BTreeMap::new();
        for shard in self.shard_ids(stream).await {
            let records = self.read_shard(stream, &shard).await.expect("read shard");
            out.insert(shard, records);
        }
        out
    }

    /// The service's KMS calls of one operation made on a stream's behalf.
    pub fn sse_calls(&self, op: &str, stream: &str) -> Vec<kcb::emulator::kms::KmsCallEvent> {
        let arn = self.svc.control().stream_arn(stream);
        self.svc
            .control()
            .kms_calls()
            .into_iter()
            .filter(|c| c.op == op && c.via_stream.as_deref() == Some(arn.as_str()))
            .collect()
    }
}

/// Every record from `start` until a page comes back empty, as `who`.
pub async fn read_from(
    who: &Principal,
    stream: &str,
    shard: &str,
    start: &Start,
) -> Result<Vec<ReadRecord>, BackendError> {
    let mut iterator = who.kinesis.shard_iterator(stream, shard, start).await?;
    let mut out = Vec::new();
    loop {
        let page = who.kinesis.get_records(&iterator, 10_000).await?;
        if page.records.is_empty() {
            return Ok(out);
        }
        out.extend(page.records);
        iterator = page
            .next_iterator
            .expect("an open shard always gives a next iterator");
    }
}

/// The error name of a failed call; panics (naming the caller's line) if it succeeded.
#[track_caller]
pub fn err_code<T: Debug>(result: Result<T, BackendError>) -> String {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.code,
    }
}

/// Assert a call failed with exactly `code`.
#[track_caller]
pub fn assert_code<T: Debug>(result: Result<T, BackendError>, code: &str) {
    match result {
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.code, code, "wrong error: {e}"),
    }
}

/// The 128-bit hash key Kinesis derives from a partition key: MD5, big-endian.
pub fn md5_hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// A partition key (`prefix-N`) whose hash lies in `[start, end]`.
pub fn key_in_range(prefix: &str, start: u128, end: u128) -> String {
    (0..100_000)
        .map(|i| format!("{prefix}-{i}"))
        .find(|k| (start..=end).contains(&md5_hash_key(k)))
        .expect("a partition key for the range")
}

/// Sequence numbers are decimal strings longer than u128 holds: compare by length, then digits.
pub fn seq_lt(a: &str, b: &str) -> bool {
    (a.len(), a) < (b.len(), b)
}

/// Assert sequence numbers strictly increase.
#[track_caller]
pub fn assert_strictly_increasing(records: &[ReadRecord]) {
    for w in records.windows(2) {
        assert!(
            seq_lt(&w[0].sequence, &w[1].sequence),
            "{} then {}",
            w[0].sequence,
            w[1].sequence
        );
    }
}

/// Deterministic bytes: `len` of them from `seed`.
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

/// An `Authorization` header naming `principal` (enough when signatures are not verified).
pub fn authorization(principal: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={principal}/20250101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        "0".repeat(64)
    )
}

/// Send one raw JSON 1.1 request straight to the service (no SDK): status and parsed body.
pub fn raw(svc: &Service, principal: &str, target: &str, body: &Value) -> (u16, Value) {
    let request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header("authorization", authorization(principal))
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let response = svc.handle(request);
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body()).expect("the service always answers JSON");
    (status, body)
}

/// A run's exit status, with a run that failed nothing but `schedule_kept` taken as passed: a
/// real-clock scenario run while the other tests load the machine can fall behind its schedule,
/// and then says so (its generator's verdict, exit 1). The tests that use this judge what the
/// run did to its records and faults, not the generator (tests/it/generator.rs does that); any
/// other failed expectation keeps its exit 1.
pub fn code_on_a_busy_machine(code: Option<i32>, r: &kcb::result::RunResult) -> Option<i32> {
    let failed: Vec<&kcb::result::ExpectationResult> =
        r.expectations.iter().filter(|e| !e.passed).collect();
    let only_schedule =
        !failed.is_empty() && failed.iter().all(|e| e.text.starts_with("schedule_kept"));
    if code == Some(1) && only_schedule {
        eprintln!(
            "note: {} fell behind its schedule on this busy machine and said so; judged on the rest",
            r.scenario.name
        );
        return Some(0);
    }
    code
}
