//! Resharding: SplitShard, MergeShards and UpdateShardCount on the embedded service through the
//! SDK (parents closed and read to their end with no next iterator, children open with their
//! parents named, new records routed by MD5 to the children, an encrypted stream's children
//! sealed under the same key with no new data key, AWS's errors and the resharder's
//! permission), and `reshard` events in a run on the virtual clock: every path's consumers
//! follow the closed shards into their children, so nothing is lost or read twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kcb::backend::{Principal, ReadRecord, ShardInfo, Start};
use kcb::runner;
use kcb::scenario;

fn md5(pk: &str) -> u128 {
    kcb::emulator::kinesis::stream::hash_key(pk)
}

/// Every record of a shard from its start, and whether the shard ended (its last page gave no
/// next iterator).
async fn read_to_end(who: &Principal, stream: &str, shard: &str) -> (Vec<ReadRecord>, bool) {
    let mut it = who
        .kinesis
        .shard_iterator(stream, shard, &Start::TrimHorizon)
        .await
        .expect("iterator");
    let mut out = Vec::new();
    for _ in 0..100 {
        let page = who.kinesis.get_records(&it, 10_000).await.expect("records");
        let empty = page.records.is_empty();
        out.extend(page.records);
        match page.next_iterator {
            None => return (out, true),
            Some(next) if empty => {
                let _ = next;
                return (out, false);
            }
            Some(next) => it = next,
        }
    }
    (out, false)
}

async fn shards(w: &World, stream: &str) -> BTreeMap<String, ShardInfo> {
    w.resharder
        .kinesis
        .shards(stream)
        .await
        .expect("ListShards")
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect()
}

#[tokio::test]
async fn a_split_closes_the_parent_and_routes_new_records_to_its_children() {
    let w = World::new();
    let key = w.sse_stream("r", 1).await;
    let put = |i: u64| {
        let producer = w.producer.clone();
        async move {
            producer
                .kinesis
                .put_record("r", &format!("k-{}", i % 40), payload(i, 100))
                .await
                .expect("put")
        }
    };
    for i in 0..40 {
        put(i).await;
    }
    let parent = "shardId-000000000000";
    let mid = u128::MAX / 2 + 1;
    w.resharder
        .kinesis
        .split_shard("r", parent, mid)
        .await
        .expect("split");
    let s = shards(&w, "r").await;
    assert_eq!(s.len(), 3);
    assert!(!s[parent].open, "the parent is closed");
    let children: Vec<&ShardInfo> = s.values().filter(|x| x.id != parent).collect();
    for c in &children {
        assert!(c.open);
        assert_eq!(c.parents, [parent]);
    }
    assert_eq!((children[0].start_hash, children[0].end_hash), (0, mid - 1));
    assert_eq!(
        (children[1].start_hash, children[1].end_hash),
        (mid, u128::MAX)
    );
    assert_eq!(w.admin.kinesis.describe("r").await.unwrap().open_shards, 2);

    w.advance(Duration::from_secs(1));
    let mut after = Vec::new();
    for i in 40..80 {
        let ack = put(i).await;
        assert_ne!(ack.shard_id, parent, "a closed shard takes no records");
        let child = &s[&ack.shard_id];
        let h = md5(&format!("k-{}", i % 40));
        assert!((child.start_hash..=child.end_hash).contains(&h));
        after.push(ack);
    }

    // The parent holds the first 40, and ends; the children hold the rest, each key's records
    // in one shard, in order.
    w.advance(Duration::from_secs(1));
    let (old, ended) = read_to_end(&w.consumer, "r", parent).await;
    assert!(
        ended,
        "a closed shard read to its end gives no next iterator"
    );
    assert_eq!(old.len(), 40);
    let mut read = 0;
    for c in &children {
        let (records, ended) = read_to_end(&w.consumer, "r", &c.id).await;
        assert!(!ended, "an open shard always gives a next iterator");
        assert!(
            records.iter().all(|r| r.encrypted),
            "SSE goes on in the children"
        );
        read += records.len();
    }
    assert_eq!(read, 40);
    // Same key, same reuse window: no new data key for the children.
    let calls = w.sse_calls("GenerateDataKey", "r");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls.iter().all(|c| c.key_id == key.id));
}

#[tokio::test]
async fn merges_and_shard_count_updates_with_aws_errors_and_permissions() {
    let w = World::with_config(kcb::emulator::ServiceConfig {
        encryption_update_delay: Duration::from_secs(2),
        ..test_config()
    });
    w.stream("m", 2).await;
    let code = |r: Result<(), kcb::backend::BackendError>| r.expect_err("refused").code;
    let (a, b) = ("shardId-000000000000", "shardId-000000000001");

    // Only the resharder may; a producer is denied.
    assert_eq!(
        code(w.producer.kinesis.merge_shards("m", a, b).await),
        "AccessDeniedException"
    );
    w.resharder
        .kinesis
        .merge_shards("m", a, b)
        .await
        .expect("merge");
    // UPDATING for a while: another reshard is refused until ACTIVE.
    assert_eq!(
        w.admin.kinesis.describe("m").await.unwrap().status,
        "UPDATING"
    );
    assert_eq!(
        code(w.resharder.kinesis.update_shard_count("m", 2).await),
        "ResourceInUseException"
    );
    w.advance(Duration::from_secs(3));
    assert_eq!(
        w.admin.kinesis.describe("m").await.unwrap().status,
        "ACTIVE"
    );
    let s = shards(&w, "m").await;
    let merged = &s["shardId-000000000002"];
    assert_eq!(merged.parents, [a, b]);
    assert_eq!((merged.start_hash, merged.end_hash), (0, u128::MAX));
    // A closed shard cannot be split; a hash key outside the shard cannot split it.
    assert_eq!(
        code(w.resharder.kinesis.split_shard("m", a, 5).await),
        "InvalidArgumentException"
    );
    assert_eq!(
        code(w.resharder.kinesis.split_shard("m", &merged.id, 0).await),
        "InvalidArgumentException"
    );
    // Uniform scaling: at most double.
    assert_eq!(
        code(w.resharder.kinesis.update_shard_count("m", 3).await),
        "InvalidArgumentException"
    );
    w.resharder
        .kinesis
        .update_shard_count("m", 2)
        .await
        .expect("1 -> 2");
    w.advance(Duration::from_secs(3));
    let s = shards(&w, "m").await;
    let open: Vec<&ShardInfo> = s.values().filter(|x| x.open).collect();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|x| x.parents == [merged.id.clone()]));
    assert_eq!(open[0].end_hash.checked_add(1), Some(open[1].start_hash));
    // Two shards that do not touch cannot merge.
    w.resharder
        .kinesis
        .split_shard("m", &open[0].id, open[0].end_hash / 2)
        .await
        .expect("split");
    w.advance(Duration::from_secs(3));
    let s = shards(&w, "m").await;
    let mut open: Vec<&ShardInfo> = s.values().filter(|x| x.open).collect();
    open.sort_by_key(|x| x.start_hash);
    assert_eq!(
        code(
            w.resharder
                .kinesis
                .merge_shards("m", &open[0].id, &open[2].id)
                .await
        ),
        "InvalidArgumentException"
    );
}

const RESHARDED: &str = r#"
    name = "resharded"
    duration = "60s"
    warmup = "2s"
    seed = 12
    clock = "virtual"
    [stream]
    shards = 2
    [workload]
    rate_per_sec = 50
    record_size = 300
    consumers = 2
    partition_keys = 64
    [[paths]]
    kind = "plaintext"
    [[paths]]
    kind = "envelope"
    cache = { max_messages = 100 }
    [[paths]]
    kind = "sse-kms"
    [[faults]]
    kind = "reshard"
    action = "split"
    at = "12s"
    [[faults]]
    kind = "reshard"
    action = "merge"
    at = "27s"
    [[faults]]
    kind = "reshard"
    action = "update-shard-count"
    target_shards = 4
    at = "42s"
"#;

#[test]
fn a_run_follows_its_shards_through_splits_and_merges_and_loses_nothing() {
    let s = scenario::parse(RESHARDED, Path::new("resharded.toml")).expect("scenario");
    let rt = runner::runtime(true).expect("runtime");
    let out = rt
        .block_on(runner::run_scenario(Arc::new(s), None, false))
        .expect("run");
    let r = &out.result;
    for f in &r.faults {
        assert!(f.applied, "{}: {:?}", f.name, f.notes);
        assert_eq!(f.kind, "reshard");
        assert_eq!(f.end_secs, None, "an event has no end");
    }
    assert!(r.faults[0].notes.join(" ").contains("split shardId-"));
    assert!(r.faults[1].notes.join(" ").contains("merged shardId-"));
    assert!(r.faults[2].notes.join(" ").contains("open shards to 4"));
    for p in &r.paths {
        let l = &p.ledger;
        assert!(l.sent > 2_900, "{}: {}", p.name, l.sent);
        assert_eq!(l.acked, l.sent, "{}", p.name);
        assert_eq!(
            l.read, l.acked,
            "{}: every record read, through the children",
            p.name
        );
        assert_eq!((l.lost, l.duplicated, l.corrupted), (0, 0, 0), "{}", p.name);
    }
    // SSE: the new shards use the stream's key in the same reuse window, so one data key for
    // the producer's puts over the whole minute.
    let sse = r.path("sse-kms").expect("sse path");
    let service = sse.kms_calls.service.as_ref().expect("the service's count");
    let gdk = service
        .by_operation
        .get("GenerateDataKey")
        .copied()
        .unwrap_or(0)
        + service
            .warmup_by_operation
            .get("GenerateDataKey")
            .copied()
            .unwrap_or(0);
    assert_eq!(gdk, 1, "{service:?}");
}
