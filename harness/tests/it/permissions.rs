//! Who may do what: the default least-privilege principals, Kinesis's and KMS's
//! `AccessDeniedException`, and the explicit Deny a fault attaches, which on an encrypted stream
//! surfaces as `KMSAccessDeniedException` and lifts when it is detached.

use std::time::Duration;

use crate::common::*;
use kcb::backend::Start;
use kcb::emulator::iam::Statement;

const SHARD0: &str = "shardId-000000000000";

#[tokio::test]
async fn the_producer_cannot_read() {
    let w = World::new();
    w.stream("s", 1).await;
    w.producer
        .kinesis
        .put_record("s", "k", b"mine".to_vec())
        .await
        .unwrap();
    assert_code(
        w.producer
            .kinesis
            .shard_iterator("s", SHARD0, &Start::TrimHorizon)
            .await,
        "AccessDeniedException",
    );
    let it = w
        .consumer
        .kinesis
        .shard_iterator("s", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    assert_code(
        w.producer.kinesis.get_records(&it, 10).await,
        "AccessDeniedException",
    );
    // The iterator is still good for its rightful reader.
    assert_eq!(
        w.consumer
            .kinesis
            .get_records(&it, 10)
            .await
            .unwrap()
            .records
            .len(),
        1
    );
}

#[tokio::test]
async fn the_consumer_cannot_write() {
    let w = World::new();
    w.stream("s", 1).await;
    assert_code(
        w.consumer.kinesis.put_record("s", "k", b"x".to_vec()).await,
        "AccessDeniedException",
    );
    assert_code(
        w.consumer
            .kinesis
            .put_records("s", vec![("k".into(), b"x".to_vec())])
            .await,
        "AccessDeniedException",
    );
    assert!(
        w.read_shard("s", SHARD0).await.unwrap().is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn the_admin_has_no_data_plane() {
    let w = World::new();
    w.stream("s", 1).await;
    assert_code(
        w.admin.kinesis.put_record("s", "k", b"x".to_vec()).await,
        "AccessDeniedException",
    );
    assert_code(
        w.admin
            .kinesis
            .shard_iterator("s", SHARD0, &Start::TrimHorizon)
            .await,
        "AccessDeniedException",
    );
    let key = w.key("k").await;
    assert_code(
        w.admin
            .kms
            .generate_data_key(&key.id, &Default::default())
            .await,
        "AccessDeniedException",
    );
}

#[tokio::test]
async fn the_resharder_cannot_manage_streams() {
    let w = World::new();
    w.stream("s", 1).await;
    assert_code(
        w.resharder.kinesis.create_stream("new", 1, false).await,
        "AccessDeniedException",
    );
    assert_code(
        w.resharder.kinesis.delete_stream("s").await,
        "AccessDeniedException",
    );
    assert_code(
        w.resharder
            .kinesis
            .start_encryption("s", "alias/aws/kinesis")
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.resharder.kinesis.list_streams().await,
        "AccessDeniedException",
    );
    // What it may do, it can.
    assert_eq!(
        w.resharder.kinesis.list_shards("s").await.unwrap(),
        [SHARD0]
    );
    assert_eq!(
        w.admin.kinesis.list_streams().await.unwrap(),
        ["s"],
        "nothing created or deleted"
    );
}

#[tokio::test]
async fn direct_kms_calls_are_denied_by_kms() {
    let w = World::new();
    let key = w.key("k").await;
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &Default::default())
        .await
        .unwrap();
    assert_code(
        w.consumer
            .kms
            .generate_data_key(&key.id, &Default::default())
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.consumer
            .kms
            .encrypt(&key.id, b"x", &Default::default())
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.producer
            .kms
            .decrypt_data_key(&dk.blob, &Default::default())
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.producer.kms.disable_key(&key.id).await,
        "AccessDeniedException",
    );
    assert_code(
        w.resharder.kms.create_key("nope").await,
        "AccessDeniedException",
    );
    assert_code(w.consumer.kms.list_keys().await, "AccessDeniedException");
    assert_eq!(
        w.admin.kms.describe_key(&key.id).await.unwrap().state,
        "Enabled",
        "the denied DisableKey did nothing"
    );
    // The denied calls are in the service's log, as failures.
    let denied = w
        .svc
        .control()
        .kms_calls()
        .into_iter()
        .filter(|c| !c.ok)
        .count();
    assert_eq!(
        denied, 4,
        "GenerateDataKey, Encrypt, Decrypt and DisableKey reached a key and were refused"
    );
}

#[tokio::test]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let w = World::new();
    w.stream("s", 1).await;
    let stranger = w.principal("mallory");
    assert_code(
        stranger.kinesis.list_streams().await,
        "UnrecognizedClientException",
    );
    assert_code(
        stranger.kinesis.put_record("s", "k", b"x".to_vec()).await,
        "UnrecognizedClientException",
    );
    assert_code(
        stranger.kms.list_keys().await,
        "UnrecognizedClientException",
    );
}

#[tokio::test]
async fn a_deny_on_generate_data_key_fails_sse_writes_until_detached() {
    let w = World::new();
    w.sse_stream("enc", 1).await;
    w.stream("plain", 1).await;
    // A warm data key: the deny must bite inside the reuse window too.
    w.producer
        .kinesis
        .put_record("enc", "k", b"before".to_vec())
        .await
        .unwrap();

    let deny = w
        .svc
        .control()
        .attach(PRODUCER, Statement::deny(["kms:GenerateDataKey"], ["*"]))
        .unwrap();
    assert_code(
        w.producer
            .kinesis
            .put_record("enc", "k", b"x".to_vec())
            .await,
        "KMSAccessDeniedException",
    );
    assert_code(
        w.producer
            .kinesis
            .put_records("enc", vec![("k".into(), b"x".to_vec())])
            .await,
        "KMSAccessDeniedException",
    );
    // Unencrypted streams need no key.
    w.producer
        .kinesis
        .put_record("plain", "k", b"x".to_vec())
        .await
        .unwrap();

    w.svc.control().detach(PRODUCER, deny).unwrap();
    w.producer
        .kinesis
        .put_record("enc", "k", b"after".to_vec())
        .await
        .unwrap();
    let data: Vec<Vec<u8>> = w
        .read_shard("enc", SHARD0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.data)
        .collect();
    assert_eq!(
        data,
        [b"before".to_vec(), b"after".to_vec()],
        "the refused writes stored nothing"
    );
}

#[tokio::test]
async fn a_deny_on_decrypt_fails_sse_reads_until_detached() {
    let w = World::new();
    w.sse_stream("enc", 1).await;
    w.stream("plain", 1).await;
    w.producer
        .kinesis
        .put_record("enc", "k", b"secret".to_vec())
        .await
        .unwrap();
    w.producer
        .kinesis
        .put_record("plain", "k", b"open".to_vec())
        .await
        .unwrap();

    let deny = w
        .svc
        .control()
        .attach(CONSUMER, Statement::deny(["kms:Decrypt"], ["*"]))
        .unwrap();
    assert_code(
        w.read_shard("enc", SHARD0).await,
        "KMSAccessDeniedException",
    );
    assert_eq!(
        w.read_shard("plain", SHARD0).await.unwrap()[0].data,
        b"open"
    );

    w.svc.control().detach(CONSUMER, deny).unwrap();
    w.advance(Duration::from_secs(1));
    assert_eq!(
        w.read_shard("enc", SHARD0).await.unwrap()[0].data,
        b"secret"
    );

    // Once the consumer holds the data key, a new deny still bites: Kinesis checks every read.
    let deny = w
        .svc
        .control()
        .attach(CONSUMER, Statement::deny(["kms:Decrypt"], ["*"]))
        .unwrap();
    w.advance(Duration::from_secs(1));
    assert_code(
        w.read_shard("enc", SHARD0).await,
        "KMSAccessDeniedException",
    );
    w.svc.control().detach(CONSUMER, deny).unwrap();
}

#[tokio::test]
async fn a_deny_scoped_to_one_key_leaves_streams_under_other_keys_alone() {
    let w = World::new();
    let a = w.sse_stream("a", 1).await;
    w.sse_stream("b", 1).await;
    w.svc
        .control()
        .attach(
            PRODUCER,
            Statement::deny(["kms:GenerateDataKey"], [a.arn.as_str()]),
        )
        .unwrap();
    assert_code(
        w.producer.kinesis.put_record("a", "k", b"x".to_vec()).await,
        "KMSAccessDeniedException",
    );
    w.producer
        .kinesis
        .put_record("b", "k", b"x".to_vec())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deny_on_the_kinesis_action_is_kinesis_access_denied() {
    let w = World::new();
    w.sse_stream("enc", 1).await;
    let arn = w.svc.control().stream_arn("enc");
    let deny = w
        .svc
        .control()
        .attach(
            PRODUCER,
            Statement::deny(["kinesis:PutRecord"], [arn.as_str()]),
        )
        .unwrap();
    assert_code(
        w.producer
            .kinesis
            .put_record("enc", "k", b"x".to_vec())
            .await,
        "AccessDeniedException",
    );
    // PutRecords is another action, not covered by the deny.
    assert!(w
        .producer
        .kinesis
        .put_records("enc", vec![("k".into(), b"x".to_vec())])
        .await
        .unwrap()[0]
        .is_ok());
    w.svc.control().detach(PRODUCER, deny).unwrap();
    w.producer
        .kinesis
        .put_record("enc", "k", b"x".to_vec())
        .await
        .unwrap();
}
