//! The service on a loopback port with SigV4 verification on, reached over real HTTP by the SDK
//! clients: signed round trips (Kinesis and KMS, SSE included), and the authentication errors
//! AWS gives an unknown access key, a wrong secret and an unsigned request.

use std::sync::Arc;

use crate::common::*;
use kcb::backend::{Principal, Start, Target, TransportLog};
use kcb::clock::SystemClock;
use kcb::emulator::server::Running;
use kcb::emulator::Service;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A signature-checking service on 127.0.0.1 with an OS-chosen port.
async fn serve() -> (Service, Running, Target) {
    let (svc, running) = loopback().await;
    assert!(running.addr.ip().is_loopback());
    let target = Target::Endpoint {
        url: running.endpoint_url(),
        region: "us-east-1".into(),
    };
    (svc, running, target)
}

fn principal(target: &Target, name: &str) -> Principal {
    Principal::new(target, name, TransportLog::new(), Arc::new(SystemClock))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_round_trip_records_over_http() {
    let (_svc, running, target) = serve().await;
    let (admin, producer, consumer) = (
        principal(&target, ADMIN),
        principal(&target, PRODUCER),
        principal(&target, CONSUMER),
    );

    admin.kinesis.create_stream("wire", 2, false).await.unwrap();
    assert_eq!(admin.kinesis.list_streams().await.unwrap(), ["wire"]);
    let mut sent = Vec::new();
    for i in 0..20u64 {
        let data = payload(i, 1 + i as usize * 101);
        let ack = producer
            .kinesis
            .put_record("wire", &format!("pk-{i}"), data.clone())
            .await
            .unwrap();
        sent.push((ack, data));
    }
    let batch: Vec<(String, Vec<u8>)> = (20..40u64)
        .map(|i| (format!("pk-{i}"), payload(i, 333)))
        .collect();
    let acks = producer
        .kinesis
        .put_records("wire", batch.clone())
        .await
        .unwrap();
    for (ack, (_, data)) in acks.into_iter().zip(batch) {
        sent.push((ack.unwrap(), data));
    }

    let mut read = Vec::new();
    for shard in admin.kinesis.list_shards("wire").await.unwrap() {
        let records = read_from(&consumer, "wire", &shard, &Start::TrimHorizon)
            .await
            .unwrap();
        assert_strictly_increasing(&records);
        read.extend(records);
    }
    assert_eq!(read.len(), sent.len());
    for (ack, data) in &sent {
        let r = read
            .iter()
            .find(|r| r.sequence == ack.sequence)
            .expect("read back");
        assert_eq!(&r.data, data);
    }
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_kms_and_sse_work_over_http() {
    let (svc, running, target) = serve().await;
    let (admin, producer, consumer) = (
        principal(&target, ADMIN),
        principal(&target, PRODUCER),
        principal(&target, CONSUMER),
    );

    let key = admin.kms.create_key("over the wire").await.unwrap();
    let ctx = std::collections::BTreeMap::from([("purpose".to_string(), "test".to_string())]);
    let dk = producer.kms.generate_data_key(&key.id, &ctx).await.unwrap();
    let plain = consumer.kms.decrypt_data_key(&dk.blob, &ctx).await.unwrap();
    assert_eq!(plain.as_slice(), dk.plaintext.as_slice());

    admin
        .kinesis
        .create_stream("sealed", 1, false)
        .await
        .unwrap();
    admin
        .kinesis
        .start_encryption("sealed", &key.arn)
        .await
        .unwrap();
    producer
        .kinesis
        .put_record("sealed", "k", b"secret over http".to_vec())
        .await
        .unwrap();
    let records = read_from(
        &consumer,
        "sealed",
        "shardId-000000000000",
        &Start::TrimHorizon,
    )
    .await
    .unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].encrypted);
    assert_eq!(records[0].data, b"secret over http");
    // Kinesis asked KMS on the callers' behalf: one data key, one decrypt.
    let via: Vec<String> = svc
        .control()
        .kms_calls()
        .into_iter()
        .filter(|c| c.via_stream.is_some())
        .map(|c| c.op)
        .collect();
    assert_eq!(via, ["GenerateDataKey", "Decrypt"]);
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let (_svc, running, target) = serve().await;
    let stranger = principal(&target, "mallory");
    assert_code(
        stranger.kinesis.list_streams().await,
        "UnrecognizedClientException",
    );
    assert_code(
        stranger.kms.list_keys().await,
        "UnrecognizedClientException",
    );
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_an_invalid_signature() {
    let (_svc, running, target) = serve().await;
    principal(&target, ADMIN)
        .kinesis
        .create_stream("s", 1, false)
        .await
        .unwrap();
    let impostor = Principal::with_secret(
        &target,
        PRODUCER,
        "not-the-producer-secret",
        TransportLog::new(),
        Arc::new(SystemClock),
    );
    assert_code(
        impostor
            .kinesis
            .put_record("s", "k", b"forged".to_vec())
            .await,
        "InvalidSignatureException",
    );
    assert_code(impostor.kms.list_keys().await, "InvalidSignatureException");
    // Nothing was written under the producer's name.
    let records = read_from(
        &principal(&target, CONSUMER),
        "s",
        "shardId-000000000000",
        &Start::TrimHorizon,
    )
    .await
    .unwrap();
    assert!(records.is_empty());
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_request_is_missing_authentication() {
    let (_svc, running, _target) = serve().await;
    let mut conn = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let body = r#"{}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        running.addr,
        body.len()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    assert!((400..500).contains(&status), "{text}");
    let json_start = text.find("\r\n\r\n").expect("headers end") + 4;
    let body: serde_json::Value =
        serde_json::from_str(&text[json_start..]).expect("JSON error body");
    assert_eq!(
        body["__type"], "MissingAuthenticationTokenException",
        "{text}"
    );
    running.task.abort();
}

/// A run against an endpoint tags every stream it makes: who made it, the scenario, the path
/// and the run (kept with `keep` so the tags can be read back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_tags_the_streams_it_makes() {
    let (_svc, running, target) = serve().await;
    let toml = r#"
        name = "tags"
        duration = "1s"
        warmup = "200ms"
        [workload]
        rate_per_sec = 10
        record_size = 100
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        [[paths]]
        kind = "sse-kms"
        key = "aws-managed"
    "#;
    let s = kcb::scenario::parse(toml, std::path::Path::new("tags.toml")).expect("scenario");
    let out = kcb::runner::run_scenario_with(
        Arc::new(s),
        Some((running.endpoint_url(), "us-east-1".into())),
        kcb::runner::RunOptions {
            keep: true,
            ..Default::default()
        },
    )
    .await
    .expect("run");
    let stream = &out.kept[0].stream;
    let tags = principal(&target, "admin")
        .kinesis
        .list_tags(stream)
        .await
        .expect("ListTagsForStream");
    assert_eq!(
        tags.get("created-by").map(String::as_str),
        Some("kinesis-crypto-bench")
    );
    assert_eq!(tags.get("kcb-scenario").map(String::as_str), Some("tags"));
    assert_eq!(tags.get("kcb-path").map(String::as_str), Some("plaintext"));
    assert!(stream.ends_with(tags.get("kcb-run").expect("run tag").as_str()));
    // result.json names what the path used, as the service knows it.
    let res = &out.result.paths[0].resources;
    assert_eq!(res.stream.as_deref(), Some(stream.as_str()));
    assert_eq!(
        res.stream_arn,
        principal(&target, "admin")
            .kinesis
            .describe(stream)
            .await
            .expect("describe")
            .arn
    );
    assert!(res
        .stream_arn
        .as_deref()
        .is_some_and(|a| a.ends_with(&format!(":stream/{stream}"))));
    assert_eq!((res.key_arn.as_deref(), res.key_created), (None, false));
    // The envelope path's key is the run's own, named by ARN; the AWS-managed key by alias.
    let env = &out.result.paths[1].resources;
    assert!(
        env.key_created
            && env
                .key_arn
                .as_deref()
                .is_some_and(|a| a.starts_with("arn:aws:kms:"))
    );
    let sse = &out.result.paths[2].resources;
    assert_eq!(
        (sse.key_alias.as_deref(), sse.key_created),
        (Some("alias/aws/kinesis"), false)
    );
}
