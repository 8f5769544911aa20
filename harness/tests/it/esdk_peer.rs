//! The real AWS Encryption SDK reads the harness's envelope records and the harness reads the
//! ESDK's, byte for byte: the Python ESDK 4.x with the AWS KMS keyring (installed by
//! scripts/test.sh into target/peers/venv; `scripts/peers/esdk_peer.py` drives it), its boto3
//! KMS and Kinesis clients pointed at `serve` on a loopback port, commitment policy
//! REQUIRE_ENCRYPT_REQUIRE_DECRYPT. For each suite the harness's envelope path (the object the
//! run's producers and consumers use) and the Python ESDK seal the same plaintexts: the message
//! lengths are equal to the byte, each side opens the other's messages, and records go both ways
//! through a stream.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::common::peers::{python_with, repo};
use kcb::backend::{Principal, Start, Target, TransportLog};
use kcb::clock::SystemClock;
use kcb::emulator::server;
use kcb::emulator::{Service, ServiceConfig};
use kcb::path::envelope::cache::CacheLimits;
use kcb::path::envelope::esdk::EsdkSuite;
use kcb::path::{EnvelopePath, RecordFormat};
use serde_json::Value;

/// Plaintext sizes whose lengths are compared: below one frame, one KiB, many frames, 1 MiB (an
/// exact multiple of the frame length, so it ends with an empty final frame).
const SIZES: [usize; 4] = [64, 1024, 64 * 1024, 1024 * 1024];
/// Sizes sent through a stream (a record holds at most 1 MiB with its partition key).
const STREAM_SIZES: [usize; 3] = [64, 1024, 64 * 1024];

fn plaintext(size: usize, salt: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ salt)
        .collect()
}

fn write_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
}

fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

struct Peer {
    python: PathBuf,
    endpoint: String,
    key_arn: String,
    /// The service `endpoint` serves (its KMS log, its injected latencies).
    svc: Service,
}

impl Peer {
    /// Runs esdk_peer.py `command` with KMS (and Kinesis) as `principal`; returns stdout's JSON
    /// lines, failing the test with the peer's own error line.
    fn run(&self, command: &str, principal: &str, suite: u16, args: &[&str]) -> Vec<Value> {
        let secret = format!("{principal}-secret");
        let suite = format!("0x{suite:04x}");
        let out = Command::new(&self.python)
            .arg(repo().join("scripts/peers/esdk_peer.py"))
            .arg(command)
            .args(["--endpoint", &self.endpoint, "--region", "us-east-1"])
            .args(["--access-key", principal, "--secret-key", &secret])
            .args(["--key-arn", &self.key_arn, "--suite", &suite])
            .args(["--frame-length", "4096", "--context", "purpose=kcb"])
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "esdk_peer.py {command} as {principal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("the peer prints JSON lines"))
            .collect()
    }
}

async fn wait_active(admin: &Principal, stream: &str) {
    for _ in 0..200 {
        if admin
            .kinesis
            .describe(stream)
            .await
            .expect("describe")
            .status
            == "ACTIVE"
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("stream {stream} never became ACTIVE");
}

/// Every record of a one-shard stream, oldest first (bounded).
async fn read_all(consumer: &Principal, stream: &str) -> Vec<Vec<u8>> {
    let shard = consumer.kinesis.list_shards(stream).await.expect("shards")[0].clone();
    let mut it = consumer
        .kinesis
        .shard_iterator(stream, &shard, &Start::TrimHorizon)
        .await
        .expect("iterator");
    let mut out = Vec::new();
    for _ in 0..50 {
        let page = consumer.kinesis.get_records(&it, 1000).await.expect("get");
        let empty = page.records.is_empty();
        out.extend(page.records.into_iter().map(|r| r.data.to_vec()));
        match page.next_iterator {
            Some(next) if !(empty && page.millis_behind == 0) => it = next,
            _ => break,
        }
    }
    out
}

/// `serve` on a loopback port with SigV4 checked, its admin, producer and consumer, a key, and
/// the Python peer; `None` (the test skipped, or failed on CI) when the peer is missing.
async fn world() -> Option<(server::Running, [Principal; 3], Peer)> {
    let python = python_with(&[
        "aws_encryption_sdk",
        "aws_cryptographic_material_providers",
        "boto3",
    ])?;
    let config = ServiceConfig {
        verify_signatures: true,
        encryption_update_delay: Duration::ZERO,
        ..Default::default()
    };
    let svc = Service::new(config, Arc::new(SystemClock));
    let running = server::start(svc.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("listen on loopback");
    let target = Target::Endpoint {
        url: running.endpoint_url(),
        region: "us-east-1".into(),
    };
    let principal =
        |name: &str| Principal::new(&target, name, TransportLog::new(), Arc::new(SystemClock));
    let roles = [
        principal("admin"),
        principal("producer"),
        principal("consumer"),
    ];
    let key = roles[0].kms.create_key("esdk peer").await.expect("key");
    let peer = Peer {
        python,
        endpoint: running.endpoint_url(),
        key_arn: key.arn,
        svc,
    };
    Some((running, roles, peer))
}

fn esdk_path(
    peer: &Peer,
    suite: EsdkSuite,
    producer: &Principal,
    consumer: &Principal,
) -> EnvelopePath {
    EnvelopePath::new(
        RecordFormat::Esdk {
            suite,
            frame_length: 4096,
        },
        peer.key_arn.clone(),
        [("purpose".to_string(), "kcb".to_string())].into(),
        None,
        producer.kms.clone(),
        consumer.kms.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_esdk_and_the_harness_read_each_others_records_byte_for_byte() {
    let Some((_running, [admin, producer, consumer], peer)) = world().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kcb-esdk-peer-{}", std::process::id()));

    for suite in EsdkSuite::WRITABLE {
        let tag = format!("{:04x}", suite.id());
        let path = esdk_path(&peer, suite, &producer, &consumer);
        let plain: Vec<(String, Vec<u8>)> = SIZES
            .iter()
            .map(|&n| (format!("{n:08}"), plaintext(n, suite.id() as u8)))
            .collect();
        let mut ours = Vec::new();
        for (name, p) in &plain {
            ours.push((
                name.clone(),
                path.seal(p, Duration::ZERO).await.expect("seal"),
            ));
        }
        let (plain_dir, ours_dir) = (
            dir.join(format!("{tag}/plain")),
            dir.join(format!("{tag}/ours")),
        );
        let (theirs_dir, back_dir) = (
            dir.join(format!("{tag}/theirs")),
            dir.join(format!("{tag}/back")),
        );
        write_dir(&plain_dir, &plain);
        write_dir(&ours_dir, &ours);
        std::fs::create_dir_all(&theirs_dir).expect("mkdir");
        std::fs::create_dir_all(&back_dir).expect("mkdir");

        // The same plaintexts through the real ESDK: the same length, to the byte.
        let lines = peer.run(
            "encrypt",
            "producer",
            suite.id(),
            &[
                "--in",
                plain_dir.to_str().unwrap(),
                "--out",
                theirs_dir.to_str().unwrap(),
            ],
        );
        assert_eq!(lines.len(), SIZES.len());
        for ((name, sealed), line) in ours.iter().zip(&lines) {
            assert_eq!(line["name"].as_str(), Some(name.as_str()));
            assert_eq!(
                line["message_len"].as_u64(),
                Some(sealed.len() as u64),
                "{suite}: {name} plaintext bytes: the ESDK's message length against ours"
            );
            assert_eq!(
                path.sealed_len(name.parse().unwrap()),
                Some(sealed.len() as u64),
                "the formula"
            );
        }

        // The ESDK opens ours, as the consumer principal.
        peer.run(
            "decrypt",
            "consumer",
            suite.id(),
            &[
                "--in",
                ours_dir.to_str().unwrap(),
                "--out",
                back_dir.to_str().unwrap(),
            ],
        );
        let back = read_dir(&back_dir);
        for (name, p) in &plain {
            assert_eq!(
                back.get(name),
                Some(p),
                "{suite}: the ESDK's plaintext of our {name}"
            );
        }

        // We open theirs.
        for (name, m) in read_dir(&theirs_dir) {
            let opened = path
                .open(&m, Duration::ZERO)
                .await
                .unwrap_or_else(|e| panic!("{suite}: our open of the ESDK's {name}: {e}"));
            let want = &plain
                .iter()
                .find(|(n, _)| *n == name)
                .expect("known file")
                .1;
            assert_eq!(&opened, want, "{suite}: {name}");
        }

        // Through streams: ours read back and decrypted by the ESDK with boto3; the ESDK's put
        // with boto3, read and opened by the harness.
        let to_peer = format!("esdk-to-peer-{tag}");
        let from_peer = format!("esdk-from-peer-{tag}");
        for s in [&to_peer, &from_peer] {
            admin
                .kinesis
                .create_stream(s, 1, false)
                .await
                .expect("create");
            wait_active(&admin, s).await;
        }
        let small: Vec<(String, Vec<u8>)> = plain
            .iter()
            .filter(|(_, p)| STREAM_SIZES.contains(&p.len()))
            .cloned()
            .collect();
        for (name, p) in &small {
            let data = path.seal(p, Duration::ZERO).await.expect("seal");
            producer
                .kinesis
                .put_record(&to_peer, name, data)
                .await
                .expect("put");
        }
        let read_dir_path = dir.join(format!("{tag}/read"));
        std::fs::create_dir_all(&read_dir_path).expect("mkdir");
        let summary = peer.run(
            "read-stream",
            "consumer",
            suite.id(),
            &[
                "--stream",
                &to_peer,
                "--out",
                read_dir_path.to_str().unwrap(),
            ],
        );
        assert_eq!(summary[0]["records"].as_u64(), Some(small.len() as u64));
        let mut got: Vec<Vec<u8>> = read_dir(&read_dir_path).into_values().collect();
        let mut want: Vec<Vec<u8>> = small.iter().map(|(_, p)| p.clone()).collect();
        got.sort();
        want.sort();
        assert_eq!(
            got, want,
            "{suite}: what the ESDK decrypted from the stream"
        );

        let small_dir = dir.join(format!("{tag}/small"));
        write_dir(&small_dir, &small);
        let put = peer.run(
            "put-stream",
            "producer",
            suite.id(),
            &["--stream", &from_peer, "--in", small_dir.to_str().unwrap()],
        );
        assert_eq!(put[0]["records"].as_u64(), Some(small.len() as u64));
        let mut opened = Vec::new();
        for data in read_all(&consumer, &from_peer).await {
            opened.push(
                path.open(&data, Duration::ZERO)
                    .await
                    .unwrap_or_else(|e| panic!("{suite}: the ESDK's record: {e}")),
            );
        }
        opened.sort();
        assert_eq!(
            opened, want,
            "{suite}: what the harness opened from the ESDK's records"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_messages_of_older_esdks_are_read() {
    let Some((_running, [_admin, producer, consumer], peer)) = world().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kcb-esdk-v1-{}", std::process::id()));
    let plain: Vec<(String, Vec<u8>)> = [64usize, 5000, 8192]
        .iter()
        .map(|&n| (format!("{n:08}"), plaintext(n, 9)))
        .collect();
    let (plain_dir, theirs_dir) = (dir.join("plain"), dir.join("theirs"));
    write_dir(&plain_dir, &plain);
    std::fs::create_dir_all(&theirs_dir).expect("mkdir");
    // The path reads every suite whatever it writes.
    let path = esdk_path(&peer, EsdkSuite::CommitSign, &producer, &consumer);
    for suite in [EsdkSuite::V1Hkdf, EsdkSuite::V1HkdfSign] {
        peer.run(
            "encrypt",
            "producer",
            suite.id(),
            &[
                "--in",
                plain_dir.to_str().unwrap(),
                "--out",
                theirs_dir.to_str().unwrap(),
            ],
        );
        for (name, m) in read_dir(&theirs_dir) {
            assert_eq!(m[0], 1, "{suite}: a version 1 message");
            let parsed = kcb::path::envelope::esdk::header::parse(&m).expect("parses");
            assert_eq!(parsed.header.suite, suite);
            let opened = path
                .open(&m, Duration::ZERO)
                .await
                .unwrap_or_else(|e| panic!("{suite}: {name}: {e}"));
            let want = &plain.iter().find(|(n, _)| *n == name).expect("known").1;
            assert_eq!(&opened, want, "{suite}: {name}");
            // One flipped bit in the last frame is refused.
            let mut bad = m.clone();
            let at = bad.len() - if suite.signed() { 120 } else { 10 };
            bad[at] ^= 1;
            assert!(
                path.open(&bad, Duration::ZERO).await.is_err(),
                "{suite}: {name} altered"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_run_against_serve_is_decrypted_record_by_record_by_the_python_esdk() {
    let Some((_running, _roles, peer)) = world().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kcb-esdk-run-{}", std::process::id()));
    for suite in ["aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384", "0x0478"] {
        let toml = format!(
            r#"
            name = "esdk-peer"
            duration = "2s"
            warmup = "500ms"
            seed = 3
            [workload]
            rate_per_sec = 25
            record_size = [100, 5000]
            [[paths]]
            kind = "envelope"
            suite = "{suite}"
            encryption_context = {{ purpose = "kcb" }}
            cache = {{ max_messages = 10 }}
            "#
        );
        let s = kcb::scenario::parse(&toml, Path::new("esdk-peer.toml")).expect("scenario");
        let out = kcb::runner::run_scenario_with(
            Arc::new(s),
            Some((peer.endpoint.clone(), "us-east-1".into())),
            kcb::runner::RunOptions {
                keep: true,
                ..Default::default()
            },
        )
        .await
        .expect("run");
        let p = &out.result.paths[0];
        assert!(
            p.ledger.acked > 0 && p.ledger.lost == 0,
            "{suite}: {:?}",
            p.ledger
        );
        // The run kept its stream; the run's own key is the keyring's key.
        let kept = &out.kept[0];
        let read = dir.join(suite);
        std::fs::create_dir_all(&read).expect("mkdir");
        let key_arn = kept.key.clone().expect("the run's key");
        let peer = Peer {
            key_arn,
            python: peer.python.clone(),
            endpoint: peer.endpoint.clone(),
            svc: peer.svc.clone(),
        };
        let id = kcb::path::envelope::esdk::EsdkSuite::parse(suite)
            .expect("suite")
            .id();
        let summary = peer.run(
            "read-stream",
            "consumer",
            id,
            &["--stream", &kept.stream, "--out", read.to_str().unwrap()],
        );
        assert_eq!(
            summary[0]["records"].as_u64(),
            Some(p.ledger.acked),
            "{suite}"
        );
        // Every plaintext the ESDK returned is a harness payload whose checksum holds, each
        // record once.
        let mut ids: Vec<u64> = read_dir(&read)
            .values()
            .map(|b| {
                kcb::workload::payload::verify(b)
                    .unwrap_or_else(|e| panic!("{suite}: {e}"))
                    .id
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len() as u64,
            p.ledger.acked,
            "{suite}: distinct records"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Threads (or sends) that miss a cold data-key cache together.
const CONCURRENT_MISSES: usize = 8;

/// The AWS Encryption SDK's caching CMM (Python, `CachingCryptoMaterialsManager` over a
/// `LocalCryptoMaterialsCache`) is not single-flight: 8 threads released together on a cold
/// cache, while each GenerateDataKey takes 300 ms, make 8 data keys, and one more message on the
/// warm cache none. The harness's envelope path with a cache makes the same 8 by default (7 of its
/// misses met a call in flight: the calls single-flight would save) and, with `single_flight`,
/// one (the other 7 waited for it), counted in the service's own log both times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_make_as_many_data_keys_as_the_python_esdks_caching_cmm() {
    let Some((_running, [_admin, producer, consumer], peer)) = world().await else {
        return;
    };
    let _slow = peer
        .svc
        .control()
        .add_kms_delay(Arc::new(|op: &str, _key: &str| {
            if op == "GenerateDataKey" {
                Duration::from_millis(300)
            } else {
                Duration::ZERO
            }
        }));
    let data_keys = || {
        peer.svc
            .control()
            .kms_calls()
            .iter()
            .filter(|c| c.op == "GenerateDataKey")
            .count()
    };
    let before = data_keys();
    let threads = CONCURRENT_MISSES.to_string();
    let out = peer.run(
        "cached-encrypt",
        "producer",
        0x0578,
        &["--threads", &threads],
    );
    assert_eq!(out[0]["messages"], CONCURRENT_MISSES + 1, "{out:?}");
    let python = data_keys() - before;
    assert_eq!(python, CONCURRENT_MISSES, "the Python ESDK's caching CMM");

    for single_flight in [false, true] {
        let path = EnvelopePath::new(
            RecordFormat::Esdk {
                suite: EsdkSuite::CommitSign,
                frame_length: 4096,
            },
            peer.key_arn.clone(),
            [("purpose".to_string(), "kcb".to_string())].into(),
            Some(CacheLimits {
                max_age: Some(Duration::from_secs(300)),
                max_messages: None,
                max_bytes: None,
                capacity: 100,
            }),
            producer.kms.clone(),
            consumer.kms.clone(),
        )
        .single_flight(single_flight);
        let before = data_keys();
        let payload = vec![0u8; 1024];
        let sealed = futures_util::future::join_all(
            (0..CONCURRENT_MISSES).map(|_| path.seal(&payload, Duration::ZERO)),
        )
        .await;
        assert!(sealed.iter().all(Result::is_ok), "{sealed:?}");
        path.seal(&payload, Duration::from_secs(1))
            .await
            .expect("a message on the warm cache");
        let made = data_keys() - before;
        let expected = if single_flight { 1 } else { python };
        assert_eq!(made, expected, "single_flight = {single_flight}");
        assert_eq!(
            path.concurrent_misses(),
            (CONCURRENT_MISSES - 1) as u64,
            "single_flight = {single_flight}"
        );
    }
}
