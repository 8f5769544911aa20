//! Kinesis's limits, enforced on the injected clock: record and request sizes, iterator expiry,
//! and per-shard write and read throughput, with the error names AWS uses.

use std::time::Duration;

use crate::common::*;
use kcb::backend::Start;
use kcb::emulator::kinesis::ShardLimits;
use serde_json::json;

const MIB: usize = 1024 * 1024;
const SHARD0: &str = "shardId-000000000000";
const PTEE: &str = "ProvisionedThroughputExceededException";

/// A 2-shard stream and a partition key for each shard.
async fn two_shards(w: &World, name: &str) -> (String, String) {
    w.stream(name, 2).await;
    let r = w.shard_ranges(name).await;
    (
        key_in_range("zero", r[0].1, r[0].2),
        key_in_range("one", r[1].1, r[1].2),
    )
}

#[tokio::test]
async fn data_over_one_mib_is_a_validation_error() {
    let w = World::new();
    w.stream("big", 1).await;
    assert_code(
        w.producer
            .kinesis
            .put_record("big", "k", vec![0; MIB + 1])
            .await,
        "ValidationException",
    );
    assert_code(
        w.producer
            .kinesis
            .put_records(
                "big",
                vec![("k".into(), vec![1]), ("k".into(), vec![0; MIB + 1])],
            )
            .await,
        "ValidationException",
    );
    assert!(
        w.read_shard("big", SHARD0).await.unwrap().is_empty(),
        "a refused batch stores nothing"
    );
}

#[tokio::test]
async fn partition_key_plus_data_over_one_mib_is_an_invalid_argument() {
    let w = World::new();
    w.stream("big", 1).await;
    assert_code(
        w.producer
            .kinesis
            .put_record("big", "k", vec![0; MIB])
            .await,
        "InvalidArgumentException",
    );
    // Exactly 1 MiB together is a valid record.
    let ack = w
        .producer
        .kinesis
        .put_record("big", "k", vec![7; MIB - 1])
        .await
        .unwrap();
    let records = w.read_shard("big", SHARD0).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].sequence, ack.sequence);
    assert_eq!(records[0].data.len(), MIB - 1);
}

#[tokio::test]
async fn put_records_takes_at_most_500_records() {
    let w = World::new();
    w.stream("many", 1).await;
    let batch = |n: usize| {
        (0..n)
            .map(|i| (format!("k{i}"), vec![i as u8]))
            .collect::<Vec<_>>()
    };
    assert_code(
        w.producer.kinesis.put_records("many", batch(501)).await,
        "ValidationException",
    );
    assert_code(
        w.producer.kinesis.put_records("many", batch(0)).await,
        "ValidationException",
    );
    let acks = w
        .producer
        .kinesis
        .put_records("many", batch(500))
        .await
        .unwrap();
    assert_eq!(acks.iter().filter(|a| a.is_ok()).count(), 500);
}

#[tokio::test]
async fn put_records_over_five_mib_is_an_invalid_argument() {
    let w = World::new();
    w.stream("wide", 5).await;
    // One record of exactly 1 MiB (key + data) per shard: 5 MiB in all, the most a request takes.
    let keys: Vec<String> = w
        .shard_ranges("wide")
        .await
        .iter()
        .map(|(_, s, e)| key_in_range("w", *s, *e))
        .collect();
    let batch: Vec<(String, Vec<u8>)> = keys
        .iter()
        .map(|k| (k.clone(), vec![1u8; MIB - k.len()]))
        .collect();
    // One byte more, in a record of its own (each record is valid): the request is too big.
    let mut over = batch.clone();
    over.push((keys[0].clone(), Vec::new()));
    assert_code(
        w.producer.kinesis.put_records("wide", over).await,
        "InvalidArgumentException",
    );
    let acks = w.producer.kinesis.put_records("wide", batch).await.unwrap();
    assert!(acks.iter().all(|a| a.is_ok()), "{acks:?}");
}

#[tokio::test]
async fn iterators_expire_after_five_minutes() {
    let w = World::new();
    w.stream("exp", 1).await;
    w.producer
        .kinesis
        .put_record("exp", "k", b"x".to_vec())
        .await
        .unwrap();
    let it = w
        .consumer
        .kinesis
        .shard_iterator("exp", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    w.advance(Duration::from_secs(300));
    let page = w
        .consumer
        .kinesis
        .get_records(&it, 10)
        .await
        .expect("still valid at exactly 5 minutes");
    w.advance(Duration::from_millis(1));
    assert_code(
        w.consumer.kinesis.get_records(&it, 10).await,
        "ExpiredIteratorException",
    );

    // Each answer's next iterator is fresh: a reader calling every 4 minutes never expires.
    let mut next = page.next_iterator.unwrap();
    for _ in 0..5 {
        w.advance(Duration::from_secs(240));
        next = w
            .consumer
            .kinesis
            .get_records(&next, 10)
            .await
            .unwrap()
            .next_iterator
            .unwrap();
    }
    w.advance(Duration::from_secs(301));
    assert_code(
        w.consumer.kinesis.get_records(&next, 10).await,
        "ExpiredIteratorException",
    );
}

#[tokio::test]
async fn put_record_past_1000_records_a_second_on_one_shard_is_throttled() {
    let w = World::new();
    let (k0, k1) = two_shards(&w, "rate").await;
    for i in 0..1000u32 {
        w.producer
            .kinesis
            .put_record("rate", &k0, i.to_be_bytes().to_vec())
            .await
            .unwrap();
    }
    assert_code(
        w.producer
            .kinesis
            .put_record("rate", &k0, b"one too many".to_vec())
            .await,
        PTEE,
    );
    // The other shard has its own budget.
    w.producer
        .kinesis
        .put_record("rate", &k1, b"elsewhere".to_vec())
        .await
        .unwrap();
    // A second later the shard takes writes again.
    w.advance(Duration::from_secs(1));
    w.producer
        .kinesis
        .put_record("rate", &k0, b"next second".to_vec())
        .await
        .unwrap();
    assert_eq!(w.read_shard("rate", SHARD0).await.unwrap().len(), 1001);
}

#[tokio::test]
async fn put_record_past_one_mib_a_second_on_one_shard_is_throttled() {
    let w = World::new();
    w.stream("bytes", 1).await;
    w.producer
        .kinesis
        .put_record("bytes", "k", vec![0; MIB - 1])
        .await
        .unwrap();
    assert_code(
        w.producer.kinesis.put_record("bytes", "k", vec![1]).await,
        PTEE,
    );
    w.advance(Duration::from_millis(500));
    w.producer
        .kinesis
        .put_record("bytes", "k", vec![2])
        .await
        .unwrap();
    w.producer
        .kinesis
        .put_record("bytes", "k", vec![0; 600 * 1024])
        .await
        .unwrap();
    assert_code(
        w.producer.kinesis.put_record("bytes", "k", vec![3]).await,
        PTEE,
    );
}

#[tokio::test]
async fn put_records_fails_only_the_entries_of_a_saturated_shard() {
    let w = World::new();
    let (k0, k1) = two_shards(&w, "partial").await;
    for _ in 0..2 {
        let fill: Vec<(String, Vec<u8>)> = (0..500).map(|_| (k0.clone(), vec![0])).collect();
        assert!(w
            .producer
            .kinesis
            .put_records("partial", fill)
            .await
            .unwrap()
            .iter()
            .all(|a| a.is_ok()));
    }

    // Shard 0 has spent its second; shard 1 has not.
    let mixed: Vec<(String, Vec<u8>)> = (0..10u8)
        .map(|i| (if i % 2 == 0 { k0.clone() } else { k1.clone() }, vec![i]))
        .collect();
    let results = w
        .producer
        .kinesis
        .put_records("partial", mixed)
        .await
        .unwrap();
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(ack) => {
                assert_eq!(i % 2, 1, "entry {i} should have failed");
                assert_eq!(ack.shard_id, "shardId-000000000001");
            }
            Err(e) => {
                assert_eq!(i % 2, 0, "entry {i} should have succeeded");
                assert_eq!(e.code, PTEE);
                assert!(e.message.contains(SHARD0), "{}", e.message);
            }
        }
    }

    // On the wire: FailedRecordCount and per-entry ErrorCode, as AWS sends them.
    let records: Vec<_> = [&k0, &k1, &k0]
        .iter()
        .map(|k| json!({"PartitionKey": k, "Data": "AA=="}))
        .collect();
    let (status, body) = raw(
        &w.svc,
        PRODUCER,
        "Kinesis_20131202.PutRecords",
        &json!({"StreamName": "partial", "Records": records}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["FailedRecordCount"], 2);
    assert_eq!(body["Records"][0]["ErrorCode"], PTEE);
    assert_eq!(body["Records"][1]["ShardId"], "shardId-000000000001");
    assert!(body["Records"][1]["SequenceNumber"].is_string());
    assert_eq!(body["Records"][2]["ErrorCode"], PTEE);

    // Failed entries were not stored.
    assert_eq!(w.read_shard("partial", SHARD0).await.unwrap().len(), 1000);
    assert_eq!(
        w.read_shard("partial", "shardId-000000000001")
            .await
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn get_records_past_five_calls_a_second_per_shard_is_throttled() {
    let w = World::new();
    let (k0, k1) = two_shards(&w, "reads").await;
    w.producer
        .kinesis
        .put_record("reads", &k0, b"a".to_vec())
        .await
        .unwrap();
    w.producer
        .kinesis
        .put_record("reads", &k1, b"b".to_vec())
        .await
        .unwrap();
    let c = &w.consumer.kinesis;
    let it0 = c
        .shard_iterator("reads", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    let it1 = c
        .shard_iterator("reads", "shardId-000000000001", &Start::TrimHorizon)
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(c.get_records(&it0, 10).await.unwrap().records.len(), 1);
    }
    assert_code(c.get_records(&it0, 10).await, PTEE);
    // The other shard has its own five.
    c.get_records(&it1, 10).await.unwrap();
    // One call's worth comes back every 200 ms.
    w.advance(Duration::from_millis(200));
    c.get_records(&it0, 10).await.unwrap();
    assert_code(c.get_records(&it0, 10).await, PTEE);
}

#[tokio::test]
async fn get_records_past_two_mib_a_second_waits_until_the_debt_is_repaid() {
    let w = World::new();
    w.stream("rbytes", 1).await;
    for i in 0..3u8 {
        w.producer
            .kinesis
            .put_record("rbytes", "k", vec![i; MIB - 1])
            .await
            .unwrap();
        w.advance(Duration::from_secs(1));
    }
    let c = &w.consumer.kinesis;
    let it = c
        .shard_iterator("rbytes", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    // One call may take 3 MiB (up to 10 MiB); the shard then owes about 1 MiB at 2 MiB/s.
    let page = c.get_records(&it, 10).await.unwrap();
    assert_eq!(page.records.len(), 3);
    let next = page.next_iterator.unwrap();
    w.advance(Duration::from_millis(400));
    assert_code(c.get_records(&next, 10).await, PTEE);
    w.advance(Duration::from_millis(200));
    assert!(c.get_records(&next, 10).await.unwrap().records.is_empty());
}

#[tokio::test]
async fn shard_limits_can_be_changed_per_stream() {
    let w = World::new();
    w.stream("tight", 1).await;
    w.stream("loose", 1).await;
    let tight = ShardLimits {
        write_records_per_sec: 10.0,
        read_calls_per_sec: 1.0,
        ..Default::default()
    };
    assert!(w.svc.control().set_shard_limits("tight", tight));
    assert!(!w.svc.control().set_shard_limits("absent", tight));

    let batch: Vec<(String, Vec<u8>)> = (0..15).map(|i| ("k".to_string(), vec![i])).collect();
    let results = w
        .producer
        .kinesis
        .put_records("tight", batch.clone())
        .await
        .unwrap();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(results[10..]
        .iter()
        .all(|r| matches!(r, Err(e) if e.code == PTEE)));
    assert!(w
        .producer
        .kinesis
        .put_records("loose", batch)
        .await
        .unwrap()
        .iter()
        .all(|r| r.is_ok()));

    let it = w
        .consumer
        .kinesis
        .shard_iterator("tight", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    w.consumer.kinesis.get_records(&it, 100).await.unwrap();
    assert_code(w.consumer.kinesis.get_records(&it, 100).await, PTEE);
}

#[tokio::test]
async fn get_records_limit_must_be_between_1_and_10000() {
    let w = World::new();
    w.stream("lim", 1).await;
    let it = w
        .consumer
        .kinesis
        .shard_iterator("lim", SHARD0, &Start::TrimHorizon)
        .await
        .unwrap();
    assert_code(
        w.consumer.kinesis.get_records(&it, 0).await,
        "ValidationException",
    );
    assert_code(
        w.consumer.kinesis.get_records(&it, 10_001).await,
        "ValidationException",
    );
    assert_code(
        w.consumer.kinesis.get_records("not-an-iterator", 10).await,
        "InvalidArgumentException",
    );
}
