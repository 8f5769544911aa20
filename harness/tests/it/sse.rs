//! Server-side encryption for real: records sealed under KMS data keys, the data-key reuse
//! window counted exactly in the service's KMS call log, and every key problem surfacing under
//! the name Kinesis gives it (`KMSDisabledException`, `KMSInvalidStateException`,
//! `KMSNotFoundException`, `KMSThrottlingException`).

use std::time::Duration;

use crate::common::*;
use kcb::backend::Start;
use kcb::clock::Clock;
use kcb::emulator::iam::Statement;

const SHARD0: &str = "shardId-000000000000";

#[tokio::test]
async fn records_are_encrypted_only_while_encryption_is_on_and_read_back_unchanged() {
    let w = World::new();
    w.stream("sse", 2).await;
    let key = w.key("k").await;
    let put = |tag: &'static str, i: u64| {
        let p = w.producer.kinesis.clone();
        async move {
            let data = payload(i, 100 + i as usize * 13);
            let ack = p
                .put_record("sse", &format!("pk-{i}"), data.clone())
                .await
                .unwrap();
            (tag, ack.sequence, data)
        }
    };
    let mut sent = Vec::new();
    for i in 0..6 {
        sent.push(put("before", i).await);
    }
    w.admin
        .kinesis
        .start_encryption("sse", &key.id)
        .await
        .unwrap();
    for i in 6..12 {
        sent.push(put("during", i).await);
    }
    w.admin
        .kinesis
        .stop_encryption("sse", &key.id)
        .await
        .unwrap();
    for i in 12..18 {
        sent.push(put("after", i).await);
    }

    let read: Vec<_> = w.read_all("sse").await.into_values().flatten().collect();
    assert_eq!(read.len(), sent.len());
    for (tag, seq, data) in sent {
        let r = read
            .iter()
            .find(|r| r.sequence == seq)
            .expect("every record read back");
        assert_eq!(r.data, data, "{tag} record {seq}: same bytes");
        assert_eq!(
            r.encrypted,
            tag == "during",
            "{tag} record {seq}: encryption flag"
        );
    }
    // The producer's writes made exactly one data key; the consumer opened it once.
    assert_eq!(w.sse_calls("GenerateDataKey", "sse").len(), 1);
    assert_eq!(w.sse_calls("Decrypt", "sse").len(), 1);
}

#[tokio::test]
async fn put_records_batches_are_sealed_and_opened_too() {
    let w = World::new();
    w.sse_stream("batch", 3).await;
    let entries: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| (format!("k{i}"), payload(i, (i * 7 % 1500) as usize)))
        .collect();
    let acks = w
        .producer
        .kinesis
        .put_records("batch", entries.clone())
        .await
        .unwrap();
    let read: Vec<_> = w.read_all("batch").await.into_values().flatten().collect();
    assert_eq!(read.len(), 200);
    for ((pk, data), ack) in entries.iter().zip(acks) {
        let ack = ack.unwrap();
        let r = read
            .iter()
            .find(|r| r.sequence == ack.sequence && r.partition_key == *pk)
            .unwrap();
        assert!(r.encrypted);
        assert_eq!(&r.data, data);
    }
}

#[tokio::test]
async fn one_data_key_per_reuse_window_over_an_hour_of_puts() {
    let w = World::new();
    w.sse_stream("hour", 1).await;
    w.svc
        .control()
        .set_stream_reuse_period("hour", Duration::from_secs(300));
    let t0 = w.clock.now();
    let mut it = w
        .consumer
        .kinesis
        .shard_iterator("hour", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();

    // One put every 30 s for 60 minutes, the consumer following along.
    for i in 0..120u64 {
        let data = payload(i, 64);
        w.producer
            .kinesis
            .put_record("hour", "k", data.clone())
            .await
            .unwrap();
        let page = w.consumer.kinesis.get_records(&it, 100).await.unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.records[0].data, data);
        assert!(page.records[0].encrypted);
        it = page.next_iterator.unwrap();
        w.advance(Duration::from_secs(30));
    }

    let generated = w.sse_calls("GenerateDataKey", "hour");
    assert_eq!(generated.len(), 12, "one data key per 5-minute window");
    for (k, call) in generated.iter().enumerate() {
        assert_eq!(call.principal, PRODUCER);
        assert!(call.ok);
        assert_eq!(
            call.at - t0,
            Duration::from_secs(300 * k as u64),
            "window {k} opens on its first put"
        );
    }
    let decrypts = w.sse_calls("Decrypt", "hour");
    assert_eq!(
        decrypts.len(),
        12,
        "the consumer opens each data key once per window"
    );
    assert!(decrypts.iter().all(|c| c.principal == CONSUMER && c.ok));
    // Nothing else: no producer Decrypt, no consumer GenerateDataKey.
    assert_eq!(w.svc.control().kms_calls().len(), 24);
}

#[tokio::test]
async fn data_keys_are_per_stream_and_per_writer() {
    let w = World::new();
    // A second writer: the resharder, given the producer's write permissions.
    w.svc
        .control()
        .attach(
            RESHARDER,
            Statement::allow(["kinesis:PutRecord", "kms:GenerateDataKey"], ["*"]),
        )
        .unwrap();
    w.sse_stream("a", 1).await;
    w.sse_stream("b", 1).await;
    w.svc
        .control()
        .set_stream_reuse_period("a", Duration::from_secs(300));
    w.svc
        .control()
        .set_stream_reuse_period("b", Duration::from_secs(600));

    // Both writers write to both streams once a minute for 20 minutes.
    for i in 0..20u8 {
        for stream in ["a", "b"] {
            w.producer
                .kinesis
                .put_record(stream, "k", vec![i])
                .await
                .unwrap();
            w.resharder
                .kinesis
                .put_record(stream, "k", vec![i])
                .await
                .unwrap();
        }
        w.advance(Duration::from_secs(60));
    }
    let count = |stream: &str, who: &str| {
        w.sse_calls("GenerateDataKey", stream)
            .iter()
            .filter(|c| c.principal == who)
            .count()
    };
    assert_eq!(count("a", PRODUCER), 4);
    assert_eq!(count("a", RESHARDER), 4);
    assert_eq!(count("b", PRODUCER), 2);
    assert_eq!(count("b", RESHARDER), 2);

    // Every record, from either writer, reads back.
    let records = w.read_shard("a", SHARD0).await.unwrap();
    assert_eq!(records.len(), 40);
    assert!(records.iter().all(|r| r.encrypted));
}

#[tokio::test]
async fn a_disabled_key_is_kms_disabled_for_writers_and_readers() {
    let w = World::new();
    let key = w.sse_stream("dis", 1).await;
    let ack = w
        .producer
        .kinesis
        .put_record("dis", "k", b"sealed".to_vec())
        .await
        .unwrap();

    w.admin.kms.disable_key(&key.id).await.unwrap();
    // Even inside the reuse window: Kinesis checks the key on every request.
    assert_code(
        w.producer
            .kinesis
            .put_record("dis", "k", b"x".to_vec())
            .await,
        "KMSDisabledException",
    );
    assert_code(
        w.producer
            .kinesis
            .put_records("dis", vec![("k".into(), b"x".to_vec())])
            .await,
        "KMSDisabledException",
    );
    assert_code(w.read_shard("dis", SHARD0).await, "KMSDisabledException");

    w.admin.kms.enable_key(&key.id).await.unwrap();
    w.producer
        .kinesis
        .put_record("dis", "k", b"again".to_vec())
        .await
        .unwrap();
    w.advance(Duration::from_secs(1));
    let records = w.read_shard("dis", SHARD0).await.unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| r.data.as_slice())
            .collect::<Vec<_>>(),
        [b"sealed".as_slice(), b"again"]
    );
    assert_eq!(records[0].sequence, ack.sequence);
}

#[tokio::test]
async fn a_key_pending_deletion_is_kms_invalid_state_and_cancelling_leaves_it_disabled() {
    let w = World::new();
    let key = w.sse_stream("pend", 1).await;
    w.producer
        .kinesis
        .put_record("pend", "k", b"sealed".to_vec())
        .await
        .unwrap();

    w.admin
        .kms
        .schedule_key_deletion(&key.id, 30)
        .await
        .unwrap();
    assert_code(
        w.producer
            .kinesis
            .put_record("pend", "k", b"x".to_vec())
            .await,
        "KMSInvalidStateException",
    );
    assert_code(
        w.read_shard("pend", SHARD0).await,
        "KMSInvalidStateException",
    );

    w.admin.kms.cancel_key_deletion(&key.id).await.unwrap();
    w.advance(Duration::from_secs(1));
    assert_code(
        w.producer
            .kinesis
            .put_record("pend", "k", b"x".to_vec())
            .await,
        "KMSDisabledException",
    );
    assert_code(w.read_shard("pend", SHARD0).await, "KMSDisabledException");

    w.admin.kms.enable_key(&key.id).await.unwrap();
    w.advance(Duration::from_secs(1));
    w.producer
        .kinesis
        .put_record("pend", "k", b"y".to_vec())
        .await
        .unwrap();
    assert_eq!(w.read_shard("pend", SHARD0).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_deleted_key_shreds_its_records_for_ever() {
    let w = World::new();
    w.svc.control().set_kms_day(Duration::from_secs(1));
    w.stream("shred", 1).await;
    w.producer
        .kinesis
        .put_record("shred", "k", b"plain before".to_vec())
        .await
        .unwrap();
    let key = w.key("doomed").await;
    w.admin
        .kinesis
        .start_encryption("shred", &key.id)
        .await
        .unwrap();
    let mut sealed = Vec::new();
    for i in 0..5u64 {
        sealed.push(
            w.producer
                .kinesis
                .put_record("shred", "k", payload(i, 200))
                .await
                .unwrap()
                .sequence,
        );
    }
    // Readable now (and the consumer's data-key cache is warm).
    assert_eq!(w.read_shard("shred", SHARD0).await.unwrap().len(), 6);

    w.admin.kms.schedule_key_deletion(&key.id, 7).await.unwrap();
    w.advance(Duration::from_secs(8));
    assert_code(w.admin.kms.describe_key(&key.id).await, "NotFoundException");
    assert_code(
        w.producer
            .kinesis
            .put_record("shred", "k", b"x".to_vec())
            .await,
        "KMSNotFoundException",
    );
    assert_code(
        w.producer
            .kinesis
            .put_records("shred", vec![("k".into(), b"x".to_vec())])
            .await,
        "KMSNotFoundException",
    );

    // Every sealed record fails, every time, long after any cached data key would have expired.
    for round in 0..3 {
        for seq in &sealed {
            let it = w
                .consumer
                .kinesis
                .shard_iterator("shred", SHARD0, &Start::At(seq.clone()))
                .await
                .unwrap();
            assert_code(
                w.consumer.kinesis.get_records(&it, 1).await,
                "KMSNotFoundException",
            );
            w.advance(Duration::from_secs(1));
        }
        w.advance(Duration::from_secs(600 * round));
    }

    // The record written before encryption is still there, and so is anything written after
    // encryption is stopped; the shredded ones are never returned as anything.
    w.admin
        .kinesis
        .stop_encryption("shred", &key.id)
        .await
        .unwrap();
    w.producer
        .kinesis
        .put_record("shred", "k", b"plain after".to_vec())
        .await
        .unwrap();
    let first = w
        .consumer
        .kinesis
        .shard_iterator("shred", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    let page = w.consumer.kinesis.get_records(&first, 1).await.unwrap();
    assert_eq!(page.records[0].data, b"plain before");
    assert!(!page.records[0].encrypted);
    let after = read_from(
        &w.consumer,
        "shred",
        SHARD0,
        &Start::After(sealed[4].clone()),
    )
    .await
    .unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].data, b"plain after");
    w.advance(Duration::from_secs(1));
    assert_code(w.read_shard("shred", SHARD0).await, "KMSNotFoundException");
}

#[tokio::test]
async fn a_key_deleted_through_the_control_interface_is_kms_not_found() {
    let w = World::new();
    let key = w.sse_stream("gone", 1).await;
    w.producer
        .kinesis
        .put_record("gone", "k", b"sealed".to_vec())
        .await
        .unwrap();
    w.svc.control().delete_key_now(&key.id).unwrap();
    assert_code(
        w.producer
            .kinesis
            .put_record("gone", "k", b"x".to_vec())
            .await,
        "KMSNotFoundException",
    );
    assert_code(w.read_shard("gone", SHARD0).await, "KMSNotFoundException");
}

#[tokio::test]
async fn the_kms_quota_spent_during_sse_is_kms_throttling() {
    let w = World::new();
    w.sse_stream("thr", 1).await;
    // A data key per request, and one KMS request a second for everyone.
    w.svc
        .control()
        .set_stream_reuse_period("thr", Duration::ZERO);
    w.svc.control().set_kms_quota(1.0);

    w.producer
        .kinesis
        .put_record("thr", "k", b"a".to_vec())
        .await
        .unwrap();
    assert_code(
        w.producer
            .kinesis
            .put_record("thr", "k", b"b".to_vec())
            .await,
        "KMSThrottlingException",
    );
    w.advance(Duration::from_secs(1));
    w.producer
        .kinesis
        .put_record("thr", "k", b"b".to_vec())
        .await
        .unwrap();

    // The producer's put spent this second's request: the consumer's Decrypt is throttled too.
    let it = w
        .consumer
        .kinesis
        .shard_iterator("thr", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    assert_code(
        w.consumer.kinesis.get_records(&it, 1).await,
        "KMSThrottlingException",
    );
    w.advance(Duration::from_secs(1));
    let page = w.consumer.kinesis.get_records(&it, 1).await.unwrap();
    assert_eq!(page.records[0].data, b"a");

    let gdk = w.sse_calls("GenerateDataKey", "thr");
    assert_eq!(
        (
            gdk.iter().filter(|c| c.ok).count(),
            gdk.iter().filter(|c| !c.ok).count()
        ),
        (2, 1)
    );
    let dec = w.sse_calls("Decrypt", "thr");
    assert_eq!(
        (
            dec.iter().filter(|c| c.ok).count(),
            dec.iter().filter(|c| !c.ok).count()
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn the_aws_managed_key_works_through_its_alias() {
    let w = World::new();
    w.stream("managed", 2).await;
    w.admin
        .kinesis
        .start_encryption("managed", "alias/aws/kinesis")
        .await
        .unwrap();
    let info = w.admin.kinesis.describe("managed").await.unwrap();
    assert_eq!(info.encryption, "KMS");
    assert_eq!(info.key_id.as_deref(), Some("alias/aws/kinesis"));

    let aliases = w.admin.kms.list_aliases().await.unwrap();
    let (_, managed_id) = aliases
        .iter()
        .find(|(a, _)| a == "alias/aws/kinesis")
        .expect("created on first use");
    assert_eq!(
        w.admin
            .kms
            .describe_key("alias/aws/kinesis")
            .await
            .unwrap()
            .id,
        *managed_id
    );

    let ack = w
        .producer
        .kinesis
        .put_record("managed", "k", b"under the managed key".to_vec())
        .await
        .unwrap();
    let records = w.read_shard("managed", &ack.shard_id).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].encrypted);
    assert_eq!(records[0].data, b"under the managed key");
    let gdk = w.sse_calls("GenerateDataKey", "managed");
    assert_eq!(gdk.len(), 1);
    assert_eq!(gdk[0].key_id, *managed_id);
}

#[tokio::test]
async fn switching_keys_seals_new_records_under_the_new_key() {
    let w = World::new();
    w.stream("switch", 1).await;
    let a = w.key("a").await;
    let b = w.key("b").await;
    w.admin
        .kinesis
        .start_encryption("switch", &a.id)
        .await
        .unwrap();
    w.producer
        .kinesis
        .put_record("switch", "k", b"under a".to_vec())
        .await
        .unwrap();
    w.admin
        .kinesis
        .stop_encryption("switch", &a.id)
        .await
        .unwrap();
    w.admin
        .kinesis
        .start_encryption("switch", &b.id)
        .await
        .unwrap();
    // Well inside the first data key's reuse window.
    w.advance(Duration::from_secs(10));
    let under_b = w
        .producer
        .kinesis
        .put_record("switch", "k", b"under b".to_vec())
        .await
        .unwrap();

    let generated: Vec<String> = w
        .sse_calls("GenerateDataKey", "switch")
        .into_iter()
        .map(|c| c.key_id)
        .collect();
    assert_eq!(
        generated,
        [a.id.clone(), b.id.clone()],
        "a data key from each stream key"
    );

    // Losing key a must not take the record written under key b with it.
    w.admin.kms.disable_key(&a.id).await.unwrap();
    let records = read_from(&w.consumer, "switch", SHARD0, &Start::At(under_b.sequence))
        .await
        .unwrap();
    assert_eq!(records[0].data, b"under b");
}
