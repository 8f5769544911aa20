//! Every Kinesis operation of the embedded service, through the real SDK: the control plane,
//! routing by MD5 of the partition key, sequence numbers, every iterator type, and the
//! not-found and in-use errors.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::*;
use kcb::backend::{PutAck, Start};

#[tokio::test]
async fn create_describe_list_and_delete_streams() {
    let w = World::new();
    w.admin
        .kinesis
        .create_stream("prov", 3, false)
        .await
        .unwrap();
    w.admin
        .kinesis
        .create_stream("demand", 0, true)
        .await
        .unwrap();

    let prov = w.admin.kinesis.describe("prov").await.unwrap();
    assert_eq!(prov.status, "ACTIVE");
    assert_eq!(prov.encryption, "NONE");
    assert_eq!(prov.key_id, None);
    assert_eq!(prov.open_shards, 3);
    assert_eq!(w.shard_ids("prov").await.len(), 3);

    // On-demand streams start with four shards, as AWS's do.
    let demand = w.admin.kinesis.describe("demand").await.unwrap();
    assert_eq!(demand.open_shards, 4);
    assert_eq!(
        w.shard_ids("demand").await,
        [
            "shardId-000000000000",
            "shardId-000000000001",
            "shardId-000000000002",
            "shardId-000000000003"
        ]
    );

    assert_eq!(
        w.admin.kinesis.list_streams().await.unwrap(),
        ["demand", "prov"]
    );

    w.admin.kinesis.delete_stream("prov").await.unwrap();
    assert_eq!(w.admin.kinesis.list_streams().await.unwrap(), ["demand"]);
    assert_code(
        w.admin.kinesis.describe("prov").await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.admin.kinesis.delete_stream("prov").await,
        "ResourceNotFoundException",
    );
}

#[tokio::test]
async fn shard_hash_ranges_cover_the_whole_128_bit_space() {
    let w = World::new();
    for shards in [1u32, 2, 3, 7] {
        let name = format!("s{shards}");
        w.stream(&name, shards).await;
        let ranges = w.shard_ranges(&name).await;
        assert_eq!(ranges.len(), shards as usize);
        assert_eq!(ranges[0].1, 0, "first shard starts at 0");
        assert_eq!(
            ranges.last().unwrap().2,
            u128::MAX,
            "last shard ends at 2^128-1"
        );
        for pair in ranges.windows(2) {
            assert!(pair[0].1 <= pair[0].2);
            assert_eq!(
                pair[0].2 + 1,
                pair[1].1,
                "no gap or overlap between {} and {}",
                pair[0].0,
                pair[1].0
            );
        }
    }
}

#[tokio::test]
async fn records_route_by_md5_and_round_trip_byte_for_byte() {
    let w = World::new();
    w.stream("route", 4).await;
    let ranges = w.shard_ranges("route").await;

    // What was acknowledged, per shard, in the order written.
    let mut sent: BTreeMap<String, Vec<(String, Vec<u8>, String)>> = BTreeMap::new();
    for i in 0..120u64 {
        let pk = format!("user-{i}");
        let data = payload(i, (i as usize * 37) % 3000);
        let ack = w
            .producer
            .kinesis
            .put_record("route", &pk, data.clone())
            .await
            .unwrap();
        sent.entry(ack.shard_id)
            .or_default()
            .push((pk, data, ack.sequence));
    }
    let batch: Vec<(String, Vec<u8>)> = (120..240u64)
        .map(|i| (format!("user-{i}"), payload(i, i as usize % 700)))
        .collect();
    let acks = w
        .producer
        .kinesis
        .put_records("route", batch.clone())
        .await
        .unwrap();
    for ((pk, data), ack) in batch.into_iter().zip(acks) {
        let ack = ack.expect("no entry fails under the limits");
        sent.entry(ack.shard_id)
            .or_default()
            .push((pk, data, ack.sequence));
    }

    // Every record went to the shard whose range holds MD5(partition key).
    for (shard, records) in &sent {
        let (_, start, end) = ranges
            .iter()
            .find(|(id, ..)| id == shard)
            .expect("known shard");
        for (pk, ..) in records {
            let h = md5_hash_key(pk);
            assert!(
                (*start..=*end).contains(&h),
                "{pk} (hash {h}) is not in {shard}"
            );
        }
    }
    assert!(sent.len() >= 3, "240 keys spread over most of the 4 shards");

    // Read back: per shard, in write order, strictly increasing sequence numbers, same bytes.
    let read = w.read_all("route").await;
    let total: usize = read.values().map(Vec::len).sum();
    assert_eq!(total, 240);
    for (shard, records) in &read {
        assert_strictly_increasing(records);
        let expected = sent.get(shard).cloned().unwrap_or_default();
        assert_eq!(records.len(), expected.len(), "{shard}");
        for (r, (pk, data, seq)) in records.iter().zip(expected) {
            assert_eq!(r.partition_key, pk);
            assert_eq!(r.sequence, seq);
            assert_eq!(r.data, data, "bytes of {seq}");
            assert!(!r.encrypted);
        }
    }
}

#[tokio::test]
async fn sequence_numbers_strictly_increase_per_shard_across_calls() {
    let w = World::new();
    w.stream("seq", 1).await;
    let mut last: Option<String> = None;
    for i in 0..50 {
        let PutAck { sequence, .. } = w
            .producer
            .kinesis
            .put_record("seq", &format!("k{i}"), vec![i as u8])
            .await
            .unwrap();
        if let Some(prev) = &last {
            assert!(seq_lt(prev, &sequence), "{prev} then {sequence}");
        }
        last = Some(sequence);
    }
}

/// One shard with five records `r0..r4`, written one second apart.
async fn five_records(w: &World) -> (String, Vec<PutAck>) {
    w.stream("it", 1).await;
    let shard = w.shard_ids("it").await.remove(0);
    let mut acks = Vec::new();
    for i in 0..5 {
        acks.push(
            w.producer
                .kinesis
                .put_record("it", "same-key", format!("r{i}").into_bytes())
                .await
                .unwrap(),
        );
        w.advance(Duration::from_secs(1));
    }
    (shard, acks)
}

fn texts(records: &[kcb::backend::ReadRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.data.clone()).unwrap())
        .collect()
}

#[tokio::test]
async fn iterators_trim_horizon_at_and_after_sequence_number() {
    let w = World::new();
    let (shard, acks) = five_records(&w).await;
    let c = &w.consumer;

    let all = read_from(c, "it", &shard, &Start::TrimHorizon)
        .await
        .unwrap();
    assert_eq!(texts(&all), ["r0", "r1", "r2", "r3", "r4"]);

    w.advance(Duration::from_secs(1)); // each pass is two GetRecords; five a second per shard
    let at = read_from(c, "it", &shard, &Start::At(acks[2].sequence.clone()))
        .await
        .unwrap();
    assert_eq!(texts(&at), ["r2", "r3", "r4"]);
    assert_eq!(at[0].sequence, acks[2].sequence);

    w.advance(Duration::from_secs(1));
    let after = read_from(c, "it", &shard, &Start::After(acks[2].sequence.clone()))
        .await
        .unwrap();
    assert_eq!(texts(&after), ["r3", "r4"]);

    // A sequence number of another shard, or not a sequence number at all, is refused.
    w.stream("other", 2).await;
    let other_seq = w
        .producer
        .kinesis
        .put_record(
            "other",
            &key_in_range("o", u128::MAX / 2 + 1, u128::MAX),
            vec![1],
        )
        .await
        .unwrap();
    assert_eq!(other_seq.shard_id, "shardId-000000000001");
    assert_code(
        c.kinesis
            .shard_iterator("it", &shard, &Start::At(other_seq.sequence))
            .await,
        "InvalidArgumentException",
    );
    assert_code(
        c.kinesis
            .shard_iterator("it", &shard, &Start::After("12345".into()))
            .await,
        "InvalidArgumentException",
    );
    assert_code(
        c.kinesis
            .shard_iterator("it", "shardId-000000000009", &Start::TrimHorizon)
            .await,
        "ResourceNotFoundException",
    );
}

#[tokio::test]
async fn iterators_latest_and_at_timestamp() {
    let w = World::new();
    let t0 = kcb::clock::Clock::now(&*w.clock);
    let (shard, _) = five_records(&w).await;
    let c = &w.consumer;

    // LATEST sees only what is written after it was issued.
    let latest = c
        .kinesis
        .shard_iterator("it", &shard, &Start::Latest)
        .await
        .unwrap();
    let page = c.kinesis.get_records(&latest, 100).await.unwrap();
    assert!(page.records.is_empty());
    w.producer
        .kinesis
        .put_record("it", "same-key", b"r5".to_vec())
        .await
        .unwrap();
    let page = c
        .kinesis
        .get_records(&page.next_iterator.unwrap(), 100)
        .await
        .unwrap();
    assert_eq!(texts(&page.records), ["r5"]);
    let fresh = c
        .kinesis
        .shard_iterator("it", &shard, &Start::Latest)
        .await
        .unwrap();
    assert!(c
        .kinesis
        .get_records(&fresh, 100)
        .await
        .unwrap()
        .records
        .is_empty());

    // AT_TIMESTAMP: records r0..r4 arrived at t0, t0+1s, ..., t0+4s. Halfway between r2 and r3.
    w.advance(Duration::from_secs(1));
    let from = c
        .kinesis
        .shard_iterator_at("it", &shard, t0 + Duration::from_millis(2500))
        .await
        .unwrap();
    let page = c.kinesis.get_records(&from, 100).await.unwrap();
    assert_eq!(texts(&page.records), ["r3", "r4", "r5"]);
    let from_start = c
        .kinesis
        .shard_iterator_at("it", &shard, t0 - Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        c.kinesis
            .get_records(&from_start, 100)
            .await
            .unwrap()
            .records
            .len(),
        6
    );
    let future = c
        .kinesis
        .shard_iterator_at("it", &shard, t0 + Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(c
        .kinesis
        .get_records(&future, 100)
        .await
        .unwrap()
        .records
        .is_empty());
}

#[tokio::test]
async fn get_records_pages_with_limit_and_continues_from_the_next_iterator() {
    let w = World::new();
    w.stream("pages", 1).await;
    let shard = w.shard_ids("pages").await.remove(0);
    for i in 0..7 {
        w.producer
            .kinesis
            .put_record("pages", "k", vec![i])
            .await
            .unwrap();
    }
    let mut it = w
        .consumer
        .kinesis
        .shard_iterator("pages", &shard, &Start::TrimHorizon)
        .await
        .unwrap();
    let mut seen = Vec::new();
    for expected in [3usize, 3, 1] {
        let page = w.consumer.kinesis.get_records(&it, 3).await.unwrap();
        assert_eq!(page.records.len(), expected);
        seen.extend(page.records.iter().map(|r| r.data[0]));
        it = page.next_iterator.unwrap();
    }
    assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn missing_streams_are_resource_not_found() {
    let w = World::new();
    assert_code(
        w.admin.kinesis.describe("ghost").await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.admin.kinesis.describe_shards("ghost").await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.admin.kinesis.list_shards("ghost").await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.producer.kinesis.put_record("ghost", "k", vec![1]).await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.producer
            .kinesis
            .put_records("ghost", vec![("k".into(), vec![1])])
            .await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.consumer
            .kinesis
            .shard_iterator("ghost", "shardId-000000000000", &Start::TrimHorizon)
            .await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.admin
            .kinesis
            .start_encryption("ghost", "alias/aws/kinesis")
            .await,
        "ResourceNotFoundException",
    );
    assert_code(
        w.admin
            .kinesis
            .stop_encryption("ghost", "alias/aws/kinesis")
            .await,
        "ResourceNotFoundException",
    );
}

#[tokio::test]
async fn iterators_of_a_deleted_and_recreated_stream_are_not_found() {
    let w = World::new();
    w.stream("again", 1).await;
    w.producer
        .kinesis
        .put_record("again", "k", b"old".to_vec())
        .await
        .unwrap();
    let it = w
        .consumer
        .kinesis
        .shard_iterator("again", "shardId-000000000000", &Start::TrimHorizon)
        .await
        .unwrap();
    w.admin.kinesis.delete_stream("again").await.unwrap();
    assert_code(
        w.consumer.kinesis.get_records(&it, 10).await,
        "ResourceNotFoundException",
    );

    w.stream("again", 1).await;
    assert_code(
        w.consumer.kinesis.get_records(&it, 10).await,
        "ResourceNotFoundException",
    );
    // The new stream is empty: the old records went with the old stream.
    assert!(w
        .read_shard("again", "shardId-000000000000")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn creating_an_existing_stream_is_resource_in_use() {
    let w = World::new();
    w.stream("dup", 1).await;
    assert_code(
        w.admin.kinesis.create_stream("dup", 2, false).await,
        "ResourceInUseException",
    );
    // The original is untouched.
    assert_eq!(
        w.admin.kinesis.describe("dup").await.unwrap().open_shards,
        1
    );
}

#[tokio::test]
async fn encryption_in_progress_makes_a_second_change_resource_in_use() {
    let w = World::with_config(kcb::emulator::ServiceConfig {
        encryption_update_delay: Duration::from_secs(5),
        ..test_config()
    });
    w.stream("upd", 1).await;
    let key = w.key("k").await;
    w.admin
        .kinesis
        .start_encryption("upd", &key.id)
        .await
        .unwrap();
    let info = w.admin.kinesis.describe("upd").await.unwrap();
    assert_eq!(info.status, "UPDATING");
    assert_eq!(info.encryption, "NONE", "the change is not in force yet");
    assert_code(
        w.admin.kinesis.stop_encryption("upd", &key.id).await,
        "ResourceInUseException",
    );
    // The stream stays writable while UPDATING.
    w.producer
        .kinesis
        .put_record("upd", "k", vec![1])
        .await
        .unwrap();

    w.advance(Duration::from_secs(5));
    let info = w.admin.kinesis.describe("upd").await.unwrap();
    assert_eq!(info.status, "ACTIVE");
    assert_eq!(info.encryption, "KMS");
    assert_eq!(info.key_id.as_deref(), Some(key.id.as_str()));
}

#[tokio::test]
async fn start_and_stop_stream_encryption_show_in_the_summary() {
    let w = World::new();
    w.stream("enc", 2).await;
    let key = w.key("k").await;
    w.admin
        .kinesis
        .start_encryption("enc", &key.arn)
        .await
        .unwrap();
    let info = w.admin.kinesis.describe("enc").await.unwrap();
    assert_eq!(
        (info.status.as_str(), info.encryption.as_str()),
        ("ACTIVE", "KMS")
    );
    assert_eq!(info.key_id.as_deref(), Some(key.arn.as_str()));

    w.admin
        .kinesis
        .stop_encryption("enc", &key.arn)
        .await
        .unwrap();
    let info = w.admin.kinesis.describe("enc").await.unwrap();
    assert_eq!(info.encryption, "NONE");
    assert_eq!(info.key_id, None);

    // A key that does not exist cannot be applied.
    assert_code(
        w.admin
            .kinesis
            .start_encryption("enc", "alias/nothing")
            .await,
        "KMSNotFoundException",
    );
}

#[tokio::test]
async fn stream_tags_with_aws_limits() {
    let w = World::new();
    w.stream("tagged", 1).await;
    let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let k = &w.admin.kinesis;
    k.add_tags("tagged", &tags(&[("team", "streaming"), ("cost", "7")]))
        .await
        .expect("AddTagsToStream");
    // An existing key takes the new value.
    k.add_tags("tagged", &tags(&[("cost", "8")]))
        .await
        .expect("overwrite");
    assert_eq!(
        k.list_tags("tagged").await.expect("ListTagsForStream"),
        tags(&[("cost", "8"), ("team", "streaming")])
    );
    // At most 10 a call, 50 a stream; keys 1..=128, values <= 256; aws: is reserved.
    let eleven: BTreeMap<String, String> =
        (0..11).map(|i| (format!("k{i:02}"), "v".into())).collect();
    assert_code(k.add_tags("tagged", &eleven).await, "ValidationException");
    for batch in 0..4 {
        let ten: BTreeMap<String, String> = (0..10)
            .map(|i| (format!("b{batch}-{i}"), "v".into()))
            .collect();
        k.add_tags("tagged", &ten).await.expect("up to 42 tags");
    }
    let eight: BTreeMap<String, String> = (0..8).map(|i| (format!("c{i}"), "v".into())).collect();
    k.add_tags("tagged", &eight).await.expect("exactly 50 tags");
    assert_code(
        k.add_tags("tagged", &tags(&[("one-more", "v")])).await,
        "InvalidArgumentException",
    );
    assert_code(
        k.add_tags("tagged", &tags(&[("aws:owner", "me")])).await,
        "InvalidArgumentException",
    );
    let long_key = "k".repeat(129);
    assert_code(
        k.add_tags("tagged", &tags(&[(long_key.as_str(), "v")]))
            .await,
        "ValidationException",
    );
    // Every page is read back: 50 tags come in one page of 50.
    let all = k.list_tags("tagged").await.expect("list");
    assert_eq!(all.len(), 50);
    // The producer may not tag.
    assert_code(
        w.producer
            .kinesis
            .add_tags("tagged", &tags(&[("x", "y")]))
            .await,
        "AccessDeniedException",
    );
    assert_code(
        k.add_tags("missing", &tags(&[("x", "y")])).await,
        "ResourceNotFoundException",
    );
}

/// Enhanced fan-out consumers through the real SDK, as AWS answers them: CREATING then ACTIVE
/// over the service's update delay, a name once per stream, 20 a stream, DELETING then gone,
/// a stream with consumers deleted only with EnforceConsumerDeletion, and the consumer role's
/// actions (not the producer's).
#[tokio::test]
async fn enhanced_fan_out_consumers_register_list_describe_and_deregister() {
    let w = World::with_config(kcb::emulator::ServiceConfig {
        encryption_update_delay: Duration::from_secs(5),
        ..test_config()
    });
    w.admin
        .kinesis
        .create_stream("efo", 1, false)
        .await
        .unwrap();
    let arn = w
        .admin
        .kinesis
        .describe("efo")
        .await
        .unwrap()
        .arn
        .expect("arn");
    let k = &w.consumer.kinesis;
    let c = k.register_consumer(&arn, "app-1").await.unwrap();
    assert_eq!(c.status, "CREATING");
    assert!(
        c.arn.starts_with(&format!("{arn}/consumer/app-1:")),
        "{}",
        c.arn
    );
    w.advance(Duration::from_secs(5));
    assert_eq!(k.describe_consumer(&c.arn).await.unwrap().status, "ACTIVE");
    assert_code(
        k.register_consumer(&arn, "app-1").await,
        "ResourceInUseException",
    );
    for i in 2..=20 {
        k.register_consumer(&arn, &format!("app-{i}"))
            .await
            .unwrap();
    }
    assert_code(
        k.register_consumer(&arn, "app-21").await,
        "LimitExceededException",
    );
    let listed = k.list_consumers(&arn).await.unwrap();
    assert_eq!(listed.len(), 20);
    assert_eq!(listed[0], k.describe_consumer(&c.arn).await.unwrap());
    // A stream with consumers is deleted only with EnforceConsumerDeletion.
    let (status, body) = raw(
        &w.svc,
        ADMIN,
        "Kinesis_20131202.DeleteStream",
        &serde_json::json!({"StreamName": "efo"}),
    );
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ResourceInUseException"))
    );
    // Deregistered: DELETING for the delay, then gone, and its place free again.
    k.deregister_consumer(&c.arn).await.unwrap();
    assert_eq!(
        k.describe_consumer(&c.arn).await.unwrap().status,
        "DELETING"
    );
    w.advance(Duration::from_secs(5));
    assert_code(
        k.describe_consumer(&c.arn).await,
        "ResourceNotFoundException",
    );
    assert_eq!(k.list_consumers(&arn).await.unwrap().len(), 19);
    k.register_consumer(&arn, "app-21").await.unwrap();
    // Not the producer's to do; not a stream that is not there; not a name AWS refuses.
    assert_code(
        w.producer.kinesis.register_consumer(&arn, "mine").await,
        "AccessDeniedException",
    );
    let missing = arn.replace(":stream/efo", ":stream/nope");
    assert_code(
        k.register_consumer(&missing, "x").await,
        "ResourceNotFoundException",
    );
    assert_code(
        k.register_consumer(&arn, "no spaces").await,
        "ValidationException",
    );
    // The harness's own DeleteStream enforces consumer deletion.
    w.admin.kinesis.delete_stream("efo").await.unwrap();
}
