//! Data keys never reach a log, a report or a result file: a run with every log level on, its
//! output directory and its report are searched for the plaintext data keys KMS returned.
//!
//! The second test knows those keys: the run goes to a loopback `serve`-like endpoint through a
//! relay that keeps every byte the service answered, so each data key KMS handed the harness
//! (GenerateDataKey's and Decrypt's `Plaintext`) is read off the wire and searched for in every
//! output, raw, in hex and in base64. (SSE-KMS's data keys never leave the service: Kinesis
//! asks KMS for them itself.)

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common;

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-secrets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

/// Every file under `dir`, as bytes, one after another.
fn read_bytes(dir: &Path, out: &mut Vec<u8>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            read_bytes(&p, out);
        } else {
            out.extend(std::fs::read(&p).expect("file"));
        }
    }
}

/// Runs `run` (a `run` command whose `--out` is `dir/out`, logging at trace level), checks it
/// succeeded and logged, renders its report into `dir/report`, and returns every byte both
/// printed and wrote.
fn outputs_of(mut run: Command, dir: &Path) -> Vec<u8> {
    let out = run.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The trace log is not empty (the test would prove nothing if logging were off).
    assert!(
        out.stderr.len() > 1000,
        "expected a trace log, got {} bytes",
        out.stderr.len()
    );
    let report = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["report", "--out"])
        .arg(dir.join("report"))
        .arg(dir.join("out/result.json"))
        .output()
        .expect("report runs");
    assert_eq!(report.status.code(), Some(0));
    let mut everything = out.stdout;
    everything.extend(out.stderr);
    everything.extend(report.stdout);
    everything.extend(report.stderr);
    read_bytes(&dir.join("out"), &mut everything);
    read_bytes(&dir.join("report"), &mut everything);
    everything
}

/// A loopback relay to `upstream` that keeps every byte the upstream answered; returns its URL.
async fn recording_relay(upstream: std::net::SocketAddr, seen: Arc<Mutex<Vec<u8>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    seen.lock().expect("lock").extend_from_slice(&buf[..n]);
                }
                up.abort();
            });
        }
    });
    url
}

/// Every `"Plaintext":"<base64>"` member in `answers`, decoded.
fn plaintexts(answers: &[u8]) -> Vec<Vec<u8>> {
    const MEMBER: &[u8] = b"\"Plaintext\":\"";
    let mut keys = Vec::new();
    let mut i = 0;
    while let Some(at) = answers[i..].windows(MEMBER.len()).position(|w| w == MEMBER) {
        let start = i + at + MEMBER.len();
        let len = answers[start..]
            .iter()
            .position(|b| *b == b'"')
            .expect("a closed string");
        let b64 = &answers[start..start + len];
        keys.push(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64"),
        );
        i = start + len;
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The forms a key could be written in: raw, hex (both cases), base64 (standard and URL-safe,
/// padded or not).
fn spellings(key: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    vec![
        ("raw", key.to_vec()),
        ("hex", hex::encode(key).into_bytes()),
        ("HEX", hex::encode_upper(key).into_bytes()),
        ("base64", STANDARD.encode(key).into_bytes()),
        ("base64 unpadded", STANDARD_NO_PAD.encode(key).into_bytes()),
        ("base64url", URL_SAFE.encode(key).into_bytes()),
        (
            "base64url unpadded",
            URL_SAFE_NO_PAD.encode(key).into_bytes(),
        ),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_data_key_reaches_logs_results_or_reports() {
    let dir = tempdir("run");
    let f = dir.join("s.toml");
    std::fs::write(
        &f,
        "name = \"secrets\"\nduration = \"30s\"\nclock = \"virtual\"\n[workload]\nrate_per_sec = 2\nrecord_size = 64\n\
         [[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n",
    )
    .expect("write");
    let mut run = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"));
    run.env("KCB_LOG", "trace")
        .args(["run", "--no-progress", "--out"])
        .arg(dir.join("out"))
        .arg(&f);
    let everything = String::from_utf8_lossy(&outputs_of(run, &dir)).into_owned();
    // No KMS response body with a plaintext data key appears in the log or in any file.
    assert!(
        !everything.contains("\"Plaintext\""),
        "a KMS Plaintext member reached the output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_data_key_kms_returned_appears_raw_hex_or_base64_in_any_output() {
    let (_svc, running) = common::loopback().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = recording_relay(running.addr, seen.clone()).await;
    let dir = tempdir("keys");
    let f = dir.join("s.toml");
    // An uncached envelope path (a data key a record, each one read back with Decrypt) and an
    // ESDK-signed one with a cache, beside SSE-KMS.
    std::fs::write(
        &f,
        "name = \"secrets-keys\"\nduration = \"2s\"\nwarmup = \"500ms\"\nseed = 9\n\
         drain_timeout = \"5s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 64\n\
         [[paths]]\nname = \"uncached\"\nkind = \"envelope\"\nformat = \"compact\"\n\
         [[paths]]\nname = \"cached\"\nkind = \"envelope\"\ncache = { max_messages = 5 }\n\
         [[paths]]\nkind = \"sse-kms\"\n\
         [target]\nkind = \"aws\"\n[target.roles.admin]\nprofile = \"kcb-admin\"\n\
         [target.roles.producer]\nprofile = \"kcb-producer\"\n\
         [target.roles.consumer]\nprofile = \"kcb-consumer\"\n",
    )
    .expect("write");
    let mut cmd = common::aws_binary(
        &dir,
        &[
            ("AWS_ACCESS_KEY_ID", "admin"),
            ("AWS_SECRET_ACCESS_KEY", "admin-secret"),
            ("KCB_LOG", "trace"),
        ],
    );
    cmd.arg("run")
        .arg(&f)
        .args(["--target", "aws", "--endpoint-url", &url])
        .args(["--region", "us-east-1", "--no-progress", "--out"])
        .arg(dir.join("out"));
    let d = dir.clone();
    let everything = tokio::task::spawn_blocking(move || outputs_of(cmd, &d))
        .await
        .expect("join");
    let keys = plaintexts(&seen.lock().expect("lock"));
    // 20 uncached records at least, each sealed under its own key and opened with Decrypt.
    assert!(
        keys.len() >= 20 && keys.iter().all(|k| k.len() == 32),
        "expected the data keys KMS answered, read {} of lengths {:?}",
        keys.len(),
        keys.iter().map(Vec::len).collect::<Vec<_>>()
    );
    for key in &keys {
        for (form, spelled) in spellings(key) {
            assert!(
                !contains(&everything, &spelled),
                "a data key KMS returned reached the output ({form})"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
