//! The embedded Firehose through the real `aws-sdk-firehose` client: delivery streams' control
//! plane, PutRecord and PutRecordBatch with AWS's limits, encryption's status through ENABLING
//! and DISABLING, the KMS data keys a customer-managed key gives each reuse window (counted in
//! the service's own KMS log), and each key problem as the status and error AWS reports.

use std::time::Duration;

use crate::common::*;
use kcb::backend::{FirehoseKey, FirehoseSource, Target, TransportLog};
use kcb::emulator::iam::Statement;

const DIRECT: FirehoseSource = FirehoseSource::DirectPut;

fn firehose_calls(w: &World, op: &str, name: &str) -> usize {
    let arn = format!("arn:aws:firehose:us-east-1:111122223333:deliverystream/{name}");
    w.svc
        .control()
        .kms_calls()
        .iter()
        .filter(|c| c.op == op && c.via_stream.as_deref() == Some(arn.as_str()))
        .count()
}

#[tokio::test]
async fn a_delivery_stream_is_created_described_listed_tagged_and_deleted() {
    let w = World::new();
    let fh = &w.admin.firehose;
    let arn = fh
        .create("orders", &DIRECT, None, &[("team", "payments")])
        .await
        .unwrap();
    assert_eq!(
        arn,
        "arn:aws:firehose:us-east-1:111122223333:deliverystream/orders"
    );
    let d = fh.describe("orders").await.unwrap();
    assert_eq!(
        (d.status.as_str(), d.kind.as_str(), d.encryption.as_str()),
        ("ACTIVE", "DirectPut", "DISABLED")
    );
    assert_eq!(
        (d.key_type, d.failure, d.version.as_str()),
        (None, None, "1")
    );
    fh.create("clicks", &DIRECT, None, &[]).await.unwrap();
    assert_eq!(
        fh.list_page(10, None).await.unwrap(),
        (vec!["clicks".to_string(), "orders".to_string()], false)
    );
    assert_eq!(
        fh.list_page(1, None).await.unwrap(),
        (vec!["clicks".to_string()], true)
    );
    assert_eq!(
        fh.list_page(1, Some("clicks")).await.unwrap(),
        (vec!["orders".to_string()], false)
    );
    assert_eq!(
        fh.list().await.unwrap(),
        vec!["clicks".to_string(), "orders".to_string()]
    );
    fh.tag("orders", &[("env", "bench")]).await.unwrap();
    assert_eq!(
        fh.tags("orders").await.unwrap(),
        vec![
            ("env".to_string(), "bench".to_string()),
            ("team".to_string(), "payments".to_string())
        ]
    );
    assert_code(
        fh.create("orders", &DIRECT, None, &[]).await,
        "ResourceInUseException",
    );
    assert_code(
        fh.create("bad name!", &DIRECT, None, &[]).await,
        "ValidationException",
    );
    fh.delete("orders").await.unwrap();
    assert_code(fh.describe("orders").await, "ResourceNotFoundException");
    assert_code(fh.delete("orders").await, "ResourceNotFoundException");
    assert_code(
        w.producer
            .firehose
            .put_record("orders", b"x".to_vec())
            .await,
        "ResourceNotFoundException",
    );
}

#[tokio::test]
async fn encryption_goes_through_enabling_and_disabling_and_only_enabled_records_are_encrypted() {
    let w = World::with_config(kcb::emulator::ServiceConfig {
        encryption_update_delay: Duration::from_secs(2),
        ..test_config()
    });
    let fh = &w.admin.firehose;
    let put = || w.producer.firehose.put_record("s", vec![1u8; 100]);
    fh.create("s", &DIRECT, None, &[]).await.unwrap();
    assert_eq!(fh.describe("s").await.unwrap().status, "CREATING");
    assert_code(put().await, "ResourceInUseException");
    w.advance(Duration::from_secs(2));
    assert_eq!(fh.describe("s").await.unwrap().status, "ACTIVE");
    assert!(!put().await.unwrap().1, "not encrypted before Start");
    fh.start_encryption("s", &FirehoseKey::AwsOwned)
        .await
        .unwrap();
    let d = fh.describe("s").await.unwrap();
    assert_eq!(
        (
            d.encryption.as_str(),
            d.key_type.as_deref(),
            d.version.as_str()
        ),
        ("ENABLING", Some("AWS_OWNED_CMK"), "2")
    );
    assert!(
        !put().await.unwrap().1,
        "records written while ENABLING are not encrypted"
    );
    assert_code(fh.stop_encryption("s").await, "ResourceInUseException");
    w.advance(Duration::from_secs(2));
    assert_eq!(fh.describe("s").await.unwrap().encryption, "ENABLED");
    assert!(put().await.unwrap().1);
    let batch = w
        .producer
        .firehose
        .put_record_batch("s", vec![vec![2u8; 10]; 3])
        .await
        .unwrap();
    assert!(batch.encrypted);
    fh.stop_encryption("s").await.unwrap();
    assert_eq!(fh.describe("s").await.unwrap().encryption, "DISABLING");
    w.advance(Duration::from_secs(2));
    assert_eq!(fh.describe("s").await.unwrap().encryption, "DISABLED");
    assert!(!put().await.unwrap().1);
    // The AWS-owned key makes no KMS request in the account.
    assert_eq!(firehose_calls(&w, "GenerateDataKey", "s"), 0);
}

#[tokio::test]
async fn a_customer_managed_key_gives_one_data_key_per_reuse_window() {
    let w = World::new();
    let key = w.key("firehose").await;
    let fh = &w.admin.firehose;
    fh.create(
        "cmk",
        &DIRECT,
        Some(&FirehoseKey::CustomerManaged(key.arn.clone())),
        &[],
    )
    .await
    .unwrap();
    let d = fh.describe("cmk").await.unwrap();
    assert_eq!(
        (
            d.encryption.as_str(),
            d.key_type.as_deref(),
            d.key_arn.as_deref()
        ),
        (
            "ENABLED",
            Some("CUSTOMER_MANAGED_CMK"),
            Some(key.arn.as_str())
        )
    );
    for i in 0..10 {
        let (_, encrypted) = w
            .producer
            .firehose
            .put_record("cmk", vec![i; 64])
            .await
            .unwrap();
        assert!(encrypted);
    }
    w.producer
        .firehose
        .put_record_batch("cmk", vec![vec![0u8; 64]; 100])
        .await
        .unwrap();
    assert_eq!(firehose_calls(&w, "GenerateDataKey", "cmk"), 1);
    // The next window (5 minutes by default) takes the next data key.
    w.advance(Duration::from_secs(299));
    w.producer
        .firehose
        .put_record("cmk", vec![1])
        .await
        .unwrap();
    assert_eq!(firehose_calls(&w, "GenerateDataKey", "cmk"), 1);
    w.advance(Duration::from_secs(1));
    w.producer
        .firehose
        .put_record("cmk", vec![1])
        .await
        .unwrap();
    assert_eq!(firehose_calls(&w, "GenerateDataKey", "cmk"), 2);
    // As Firehose, through the grant the creator took (its CreateGrant logged under it).
    let calls: Vec<(String, String)> = w
        .svc
        .control()
        .kms_calls()
        .iter()
        .filter(|c| c.via_stream.is_some())
        .map(|c| (c.op.clone(), c.principal.clone()))
        .collect();
    let firehose = "firehose.amazonaws.com".to_string();
    assert_eq!(
        calls,
        vec![
            ("CreateGrant".to_string(), "admin".to_string()),
            ("GenerateDataKey".to_string(), firehose.clone()),
            ("GenerateDataKey".to_string(), firehose.clone()),
        ]
    );
    let grants = w.admin.kms.list_grants(&key.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].1, firehose);
    assert_eq!(grants[0].2, vec!["GenerateDataKey", "Decrypt"]);
    // Stopping encryption retires the grant.
    fh.stop_encryption("cmk").await.unwrap();
    assert!(w.admin.kms.list_grants(&key.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_broken_key_fails_the_encryption_status_and_the_puts_until_it_is_usable_again() {
    let w = World::new();
    let key = w.key("firehose").await;
    let fh = &w.admin.firehose;
    let cmk = FirehoseKey::CustomerManaged(key.arn.clone());
    fh.create("k", &DIRECT, Some(&cmk), &[]).await.unwrap();
    let put = || w.producer.firehose.put_record("k", vec![7u8; 32]);
    put().await.unwrap();
    let failure = || async { fh.describe("k").await.unwrap() };

    w.admin.kms.disable_key(&key.id).await.unwrap();
    let d = failure().await;
    assert_eq!(
        (d.encryption.as_str(), d.failure.as_deref()),
        ("ENABLING_FAILED", Some("DISABLED_KMS_KEY"))
    );
    assert_code(put().await, "InvalidKMSResourceException");
    assert_code(
        w.producer
            .firehose
            .put_record_batch("k", vec![vec![1u8]; 2])
            .await,
        "InvalidKMSResourceException",
    );
    w.admin.kms.enable_key(&key.id).await.unwrap();
    assert_eq!(failure().await.encryption, "ENABLED");
    put().await.unwrap();

    // A revoked grant: Firehose may no longer use the key, until encryption is started again.
    let grants = w.admin.kms.list_grants(&key.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    w.admin
        .kms
        .revoke_grant(&key.id, &grants[0].0)
        .await
        .unwrap();
    assert_eq!(
        failure().await.failure.as_deref(),
        Some("KMS_ACCESS_DENIED")
    );
    assert_code(put().await, "InvalidKMSResourceException");
    fh.start_encryption("k", &cmk).await.unwrap();
    assert_eq!(failure().await.encryption, "ENABLED");
    put().await.unwrap();

    w.admin.kms.schedule_key_deletion(&key.id, 7).await.unwrap();
    assert_eq!(failure().await.failure.as_deref(), Some("INVALID_KMS_KEY"));
    assert_code(put().await, "InvalidKMSResourceException");
    w.svc.control().delete_key_now(&key.id).unwrap();
    assert_eq!(
        failure().await.failure.as_deref(),
        Some("KMS_KEY_NOT_FOUND")
    );
    // Nothing was accepted while the key was broken: 3 puts succeeded in all.
    assert_eq!(
        w.svc.control().firehose_received("k").map(|r| r.records),
        Some(3)
    );
    // A caller without kms:CreateGrant leaves the stream without its grant.
    let key2 = w.key("no grant").await;
    w.svc
        .control()
        .attach("admin", Statement::deny(["kms:CreateGrant"], ["*"]))
        .unwrap();
    fh.create(
        "g",
        &DIRECT,
        Some(&FirehoseKey::CustomerManaged(key2.arn)),
        &[],
    )
    .await
    .unwrap();
    let d = fh.describe("g").await.unwrap();
    assert_eq!(
        (d.encryption.as_str(), d.failure.as_deref()),
        ("ENABLING_FAILED", Some("CREATE_KMS_GRANT_FAILED"))
    );
    assert_code(
        w.producer.firehose.put_record("g", vec![1]).await,
        "InvalidKMSResourceException",
    );
}

#[tokio::test]
async fn starting_encryption_checks_the_key_and_the_input() {
    let w = World::new();
    let key = w.key("firehose").await;
    let fh = &w.admin.firehose;
    fh.create("s", &DIRECT, None, &[]).await.unwrap();
    w.admin.kms.disable_key(&key.id).await.unwrap();
    assert_code(
        fh.start_encryption("s", &FirehoseKey::CustomerManaged(key.arn.clone()))
            .await,
        "InvalidKMSResourceException",
    );
    assert_code(
        fh.start_encryption(
            "s",
            &FirehoseKey::CustomerManaged(
                "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
                    .into(),
            ),
        )
        .await,
        "InvalidKMSResourceException",
    );
    assert_code(
        fh.start_encryption("s", &FirehoseKey::CustomerManaged("not-an-arn".into()))
            .await,
        "InvalidArgumentException",
    );
    assert_eq!(fh.describe("s").await.unwrap().encryption, "DISABLED");
    w.admin.kms.enable_key(&key.id).await.unwrap();
    fh.start_encryption("s", &FirehoseKey::CustomerManaged(key.arn.clone()))
        .await
        .unwrap();
    assert_eq!(fh.describe("s").await.unwrap().encryption, "ENABLED");
}

#[tokio::test]
async fn put_record_batch_keeps_aws_limits() {
    let w = World::new();
    w.admin
        .firehose
        .create("b", &DIRECT, None, &[])
        .await
        .unwrap();
    let p = &w.producer.firehose;
    let ack = p
        .put_record_batch("b", vec![vec![3u8; 100]; 500])
        .await
        .unwrap();
    assert_eq!(
        (ack.failed, ack.encrypted, ack.entries.len()),
        (0, false, 500)
    );
    let ids: std::collections::BTreeSet<_> =
        ack.entries.iter().map(|e| e.clone().unwrap()).collect();
    assert_eq!(ids.len(), 500, "every record id is distinct");
    assert_code(
        p.put_record_batch("b", vec![vec![3u8; 10]; 501]).await,
        "ValidationException",
    );
    // Five records of 1,000 KiB: each within the record limit, 5 MB over the batch's 4 MiB.
    assert_code(
        p.put_record_batch("b", vec![vec![0u8; 1_024_000]; 5]).await,
        "InvalidArgumentException",
    );
    assert_code(
        p.put_record("b", vec![0u8; 1_024_001]).await,
        "ValidationException",
    );
    p.put_record("b", vec![0u8; 1_024_000]).await.unwrap();
    assert_eq!(
        w.svc
            .control()
            .firehose_received("b")
            .map(|r| (r.records, r.bytes)),
        Some((501, 500 * 100 + 1_024_000))
    );
}

#[tokio::test]
async fn a_stream_sourced_delivery_stream_refuses_puts_and_its_own_encryption() {
    let w = World::new();
    w.stream("src", 1).await;
    let key = w.key("k").await;
    let fh = &w.admin.firehose;
    let source = FirehoseSource::KinesisStream {
        stream_arn: "arn:aws:kinesis:us-east-1:111122223333:stream/src".into(),
        role_arn: "arn:aws:iam::111122223333:role/firehose".into(),
    };
    assert_code(
        fh.create(
            "f",
            &source,
            Some(&FirehoseKey::CustomerManaged(key.arn)),
            &[],
        )
        .await,
        "InvalidArgumentException",
    );
    fh.create("f", &source, None, &[]).await.unwrap();
    assert_eq!(
        fh.describe("f").await.unwrap().kind,
        "KinesisStreamAsSource"
    );
    assert_code(
        w.producer.firehose.put_record("f", vec![1]).await,
        "InvalidArgumentException",
    );
    assert_code(
        fh.start_encryption("f", &FirehoseKey::AwsOwned).await,
        "InvalidArgumentException",
    );
    let missing = FirehoseSource::KinesisStream {
        stream_arn: "arn:aws:kinesis:us-east-1:111122223333:stream/none".into(),
        role_arn: "arn:aws:iam::111122223333:role/firehose".into(),
    };
    assert_code(
        fh.create("g", &missing, None, &[]).await,
        "InvalidArgumentException",
    );
}

#[tokio::test]
async fn permissions_are_checked_per_principal() {
    let w = World::new();
    w.admin
        .firehose
        .create("p", &DIRECT, None, &[])
        .await
        .unwrap();
    assert_code(
        w.consumer.firehose.put_record("p", vec![1]).await,
        "AccessDeniedException",
    );
    assert_code(
        w.producer.firehose.create("q", &DIRECT, None, &[]).await,
        "AccessDeniedException",
    );
    w.producer.firehose.put_record("p", vec![1]).await.unwrap();
}

#[tokio::test]
async fn the_loopback_server_answers_firehose_with_signatures_checked() {
    let svc = kcb::emulator::Service::new(
        kcb::emulator::ServiceConfig {
            encryption_update_delay: Duration::ZERO,
            ..Default::default()
        },
        std::sync::Arc::new(kcb::clock::SystemClock),
    );
    let running = kcb::emulator::server::start(svc.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = Target::Endpoint {
        url: running.endpoint_url(),
        region: "us-east-1".into(),
    };
    let clock = std::sync::Arc::new(kcb::clock::SystemClock);
    let admin = kcb::backend::Principal::new(&target, "admin", TransportLog::new(), clock.clone());
    let producer = kcb::backend::Principal::new(&target, "producer", TransportLog::new(), clock);
    admin
        .firehose
        .create("net", &DIRECT, None, &[])
        .await
        .unwrap();
    let ack = producer
        .firehose
        .put_record_batch("net", vec![vec![9u8; 256]; 20])
        .await
        .unwrap();
    assert_eq!((ack.failed, ack.entries.len()), (0, 20));
    assert_eq!(
        svc.control().firehose_received("net").map(|r| r.records),
        Some(20)
    );
    running.task.abort();
}

#[tokio::test]
async fn past_the_throughput_quotas_puts_slow_down_and_batch_entries_fail_one_by_one() {
    let w = World::new();
    w.admin
        .firehose
        .create("q", &DIRECT, None, &[])
        .await
        .unwrap();
    let p = &w.producer.firehose;
    // us-east-1: 5 MiB a second. Two batches of 4 x 1,000 KiB in the same instant: the first
    // fits, the second's first entry takes the 1,146,880 bytes left, its other three fail.
    let big = vec![vec![0u8; 1_024_000]; 4];
    let first = p.put_record_batch("q", big.clone()).await.unwrap();
    assert_eq!(first.failed, 0);
    let second = p.put_record_batch("q", big).await.unwrap();
    assert_eq!(second.failed, 3);
    assert!(second.entries[0].is_ok());
    assert_eq!(
        second.entries[1..].to_vec(),
        vec![Err("ServiceUnavailableException".to_string()); 3]
    );
    assert_code(
        p.put_record("q", vec![0u8; 200_000]).await,
        "ServiceUnavailableException",
    );
    assert_eq!(
        w.svc.control().firehose_received("q").map(|r| r.records),
        Some(5)
    );
    // A second later the bucket has refilled.
    w.advance(Duration::from_secs(1));
    p.put_record("q", vec![0u8; 200_000]).await.unwrap();
    // 2,000 calls a second: the 2,001st in the same instant is refused.
    w.advance(Duration::from_secs(1));
    for _ in 0..2_000 {
        p.put_record("q", vec![1]).await.unwrap();
    }
    assert_code(
        p.put_record("q", vec![1]).await,
        "ServiceUnavailableException",
    );
}
