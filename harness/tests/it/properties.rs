//! Properties of the embedded service over generated inputs:
//!
//! 1. whatever mix of PutRecord and PutRecords, sizes and partition keys, with encryption
//!    switched on and off mid-stream, every acknowledged record is read back exactly once per
//!    TRIM_HORIZON pass, in sequence order per shard, byte for byte, flagged encrypted exactly
//!    when encryption was on as it was written;
//! 2. arbitrary request bodies under arbitrary targets never panic the service, every non-200
//!    answer is a JSON body with `__type`, and stored records stay readable.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use crate::common::*;
use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
enum Op {
    /// PutRecord.
    Put { key: u16, size: usize, seed: u64 },
    /// PutRecords of these (key, size) entries.
    PutMany {
        entries: Vec<(u16, usize)>,
        seed: u64,
    },
    /// Start or stop stream encryption.
    Toggle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u16>(), 0..2048usize, any::<u64>()).prop_map(|(key, size, seed)| Op::Put { key, size, seed }),
        3 => (prop::collection::vec((any::<u16>(), 0..2048usize), 1..12), any::<u64>())
            .prop_map(|(entries, seed)| Op::PutMany { entries, seed }),
        1 => Just(Op::Toggle),
    ]
}

/// An acknowledged record: what was sent, and whether the stream was encrypted then.
#[derive(Debug, Clone)]
struct Sent {
    pk: String,
    data: Vec<u8>,
    encrypted: bool,
}

async fn run_ops(shards: u32, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let w = World::new();
    w.stream("prop", shards).await;
    let key = w.key("prop").await;
    let mut encrypted = false;
    // Per shard: sequence number -> record.
    let mut sent: BTreeMap<String, BTreeMap<(usize, String), Sent>> = BTreeMap::new();
    let mut ack = |shard: String, seq: String, s: Sent| {
        let previous = sent.entry(shard).or_default().insert((seq.len(), seq), s);
        assert!(
            previous.is_none(),
            "a sequence number was acknowledged twice"
        );
    };

    for op in ops {
        match op {
            Op::Toggle => {
                if encrypted {
                    w.admin
                        .kinesis
                        .stop_encryption("prop", &key.id)
                        .await
                        .unwrap();
                } else {
                    w.admin
                        .kinesis
                        .start_encryption("prop", &key.id)
                        .await
                        .unwrap();
                }
                encrypted = !encrypted;
            }
            Op::Put { key: k, size, seed } => {
                let (pk, data) = (format!("pk-{k}"), payload(seed, size));
                let a = w
                    .producer
                    .kinesis
                    .put_record("prop", &pk, data.clone())
                    .await
                    .unwrap();
                ack(
                    a.shard_id,
                    a.sequence,
                    Sent {
                        pk,
                        data,
                        encrypted,
                    },
                );
            }
            Op::PutMany { entries, seed } => {
                let batch: Vec<(String, Vec<u8>)> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, size))| {
                        (
                            format!("pk-{k}"),
                            payload(seed.wrapping_add(i as u64), *size),
                        )
                    })
                    .collect();
                let results = w
                    .producer
                    .kinesis
                    .put_records("prop", batch.clone())
                    .await
                    .unwrap();
                prop_assert_eq!(results.len(), batch.len());
                for ((pk, data), r) in batch.into_iter().zip(results) {
                    // Only acknowledged entries count; under these rates none should fail.
                    if let Ok(a) = r {
                        ack(
                            a.shard_id,
                            a.sequence,
                            Sent {
                                pk,
                                data,
                                encrypted,
                            },
                        );
                    }
                }
            }
        }
        // Stay far below every per-shard rate.
        w.advance(Duration::from_secs(1));
    }

    for pass in 0..2 {
        let read = w.read_all("prop").await;
        prop_assert_eq!(read.len(), shards as usize);
        for (shard, records) in &read {
            let expected: Vec<_> = sent
                .get(shard)
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            prop_assert_eq!(
                records.len(),
                expected.len(),
                "pass {} shard {}",
                pass,
                shard
            );
            assert_strictly_increasing(records);
            for (r, ((_, seq), s)) in records.iter().zip(expected) {
                prop_assert_eq!(&r.sequence, seq);
                prop_assert_eq!(&r.partition_key, &s.pk);
                prop_assert_eq!(&r.data, &s.data);
                prop_assert_eq!(r.encrypted, s.encrypted, "record {}", seq);
            }
        }
        w.advance(Duration::from_secs(1));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn acknowledged_records_read_back_exactly_once_in_order(
        shards in 1u32..5,
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_ops(shards, ops))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary requests.

const STREAM: &str = "fuzzed";

const TARGETS: &[&str] = &[
    "Kinesis_20131202.CreateStream",
    "Kinesis_20131202.DeleteStream",
    "Kinesis_20131202.DescribeStream",
    "Kinesis_20131202.DescribeStreamSummary",
    "Kinesis_20131202.ListStreams",
    "Kinesis_20131202.ListShards",
    "Kinesis_20131202.PutRecord",
    "Kinesis_20131202.PutRecords",
    "Kinesis_20131202.GetShardIterator",
    "Kinesis_20131202.GetRecords",
    "Kinesis_20131202.StartStreamEncryption",
    "Kinesis_20131202.StopStreamEncryption",
    "Kinesis_20131202.SplitShard",
    "TrentService.CreateKey",
    "TrentService.DescribeKey",
    "TrentService.ListKeys",
    "TrentService.CreateAlias",
    "TrentService.ListAliases",
    "TrentService.GenerateDataKey",
    "TrentService.Encrypt",
    "TrentService.Decrypt",
    "TrentService.EnableKey",
    "TrentService.DisableKey",
    "TrentService.ScheduleKeyDeletion",
    "TrentService.CancelKeyDeletion",
    "TrentService.EnableKeyRotation",
    "TrentService.GetKeyRotationStatus",
];

const MEMBERS: &[&str] = &[
    "StreamName",
    "StreamARN",
    "ShardCount",
    "StreamModeDetails",
    "EncryptionType",
    "KeyId",
    "Limit",
    "Data",
    "PartitionKey",
    "ExplicitHashKey",
    "Records",
    "ShardId",
    "ShardIteratorType",
    "StartingSequenceNumber",
    "Timestamp",
    "ShardIterator",
    "Description",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "AliasName",
    "TargetKeyId",
    "EncryptionContext",
    "NumberOfBytes",
    "KeySpec",
    "Plaintext",
    "CiphertextBlob",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            STREAM,
            "other",
            "",
            "KMS",
            "NONE",
            "AES_256",
            "TRIM_HORIZON",
            "LATEST",
            "AT_TIMESTAMP",
            "AT_SEQUENCE_NUMBER",
            "alias/aws/kinesis",
            "alias/x",
            "ON_DEMAND",
            "shardId-000000000000",
            "AA==",
            "eyJzdHJlYW0iOiJmdXp6ZWQifQ",
            "49000000000000000000000000000000000000000000000000000001",
            "340282366920938463463374607431768211456",
        ])
        .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(MEMBERS.to_vec()), inner, 0..6)
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                )),
        ]
    })
}

/// Stand for the base64 of a real data-key blob (whole or cut short) and for a live shard
/// iterator; [`send`] fills them in.
const BLOB: &str = "@blob@";
const CUT_BLOB: &str = "@cut-blob@";
const ITERATOR: &str = "@iterator@";

/// Mostly present, mostly a value that fits.
fn likely<T: Clone + Debug + 'static>(good: T, others: Vec<T>) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(
        0.9,
        prop_oneof![3 => Just(good), 1 => prop::sample::select(others)],
    )
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        prop::sample::select(vec![0.0, -1.0, 1.7e9, 1.8e19, 1e300, -1e300, f64::MAX]),
    ]
}

/// Every member at once, each present or not, with values an operation might accept: requests
/// that get past parsing and into the operations' own checks.
fn plausible_body() -> impl Strategy<Value = Vec<u8>> {
    let seq_max = format!("490000{:050}", u64::MAX);
    let text = |v: Vec<&'static str>| prop::option::weighted(0.8, prop::sample::select(v));
    (
        (
            likely(STREAM, vec!["other", ""]),
            likely(
                "shardId-000000000000",
                vec!["shardId-000000000001", "shard"],
            ),
            text(vec![
                "TRIM_HORIZON",
                "LATEST",
                "AT_SEQUENCE_NUMBER",
                "AFTER_SEQUENCE_NUMBER",
                "AT_TIMESTAMP",
                "BOGUS",
            ]),
            prop::option::weighted(0.9, finite_f64()),
            likely(ITERATOR, vec!["", "garbage", "eyJzdHJlYW0iOiJmdXp6ZWQifQ"]),
            prop::option::of(prop::sample::select(vec![
                "49000000000000000000000000000000000000000000000000000001".to_string(),
                "49000000000000000000000000000000000000000000000000000000".to_string(),
                seq_max,
                "4900".to_string(),
            ])),
            prop::option::of(prop_oneof![-5i64..20_000, any::<i64>()]),
        ),
        (
            prop::option::of(".{0,300}"),
            text(vec!["", "AA==", "cGxhaW4=", "not base64!", BLOB, CUT_BLOB]),
            prop::option::of(prop::collection::vec(
                (".{0,5}", text(vec!["AA==", "%%"])),
                0..4,
            )),
            text(vec![
                "alias/aws/kinesis",
                "alias/none",
                "00000000-0000-0000-0000-000000000000",
                "",
            ]),
            text(vec!["KMS", "NONE", "AES_256", "AES_128", "RSA"]),
            text(vec![
                "0",
                "340282366920938463463374607431768211455",
                "340282366920938463463374607431768211456",
                "-1",
                "x",
            ]),
        ),
    )
        .prop_map(
            |(
                (stream, shard, kind, ts, iterator, seq, n),
                (pk, data, records, key, spec, hash),
            )| {
                let mut m = serde_json::Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.to_string(), v);
                    }
                };
                put("StreamName", stream.map(Value::from));
                put("ShardId", shard.map(Value::from));
                put("ShardIteratorType", kind.map(Value::from));
                put("Timestamp", ts.map(Value::from));
                put("ShardIterator", iterator.map(Value::from));
                put("StartingSequenceNumber", seq.map(Value::from));
                for member in [
                    "Limit",
                    "ShardCount",
                    "PendingWindowInDays",
                    "RotationPeriodInDays",
                    "NumberOfBytes",
                ] {
                    put(member, n.map(Value::from));
                }
                put("PartitionKey", pk.map(Value::from));
                put("Data", data.map(Value::from));
                put("CiphertextBlob", data.map(Value::from));
                put("Plaintext", data.map(Value::from));
                put(
                    "Records",
                    records.map(|r| {
                        r.into_iter()
                            .map(|(pk, d)| json!({"PartitionKey": pk, "Data": d}))
                            .collect()
                    }),
                );
                put("KeyId", key.map(Value::from));
                put("TargetKeyId", key.map(Value::from));
                put("EncryptionType", spec.map(Value::from));
                put("KeySpec", spec.map(Value::from));
                put("ExplicitHashKey", hash.map(Value::from));
                serde_json::to_vec(&m).unwrap()
            },
        )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => prop::collection::btree_map(prop::sample::select(MEMBERS.to_vec()), json_value(), 0..8)
            .prop_map(|m| serde_json::to_vec(&m).unwrap()),
        3 => plausible_body(),
    ]
}

/// The data plane is where records live: weighted so the deep paths are reached often.
const DATA_PLANE: &[&str] = &[
    "Kinesis_20131202.PutRecord",
    "Kinesis_20131202.PutRecords",
    "Kinesis_20131202.GetShardIterator",
    "Kinesis_20131202.GetRecords",
];

fn target() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => prop::sample::select(DATA_PLANE.to_vec()).prop_map(|t| Some(t.to_string())),
        3 => prop::sample::select(TARGETS.to_vec()).prop_map(|t| Some(t.to_string())),
        1 => "[ -~]{0,40}".prop_map(Some),
        1 => Just(None),
    ]
}

/// Who signs: the principal allowed the operation (so requests get past IAM), or anyone.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Entitled,
    As(Option<&'static str>),
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        3 => Just(Caller::Entitled),
        1 => prop::sample::select(vec![Some(ADMIN), Some(PRODUCER), Some(CONSUMER), Some(RESHARDER), Some("mallory"), None])
            .prop_map(Caller::As),
    ]
}

/// The default principal allowed `target`.
fn entitled(target: Option<&str>) -> &'static str {
    let op = target
        .and_then(|t| t.split_once('.'))
        .map(|(_, op)| op)
        .unwrap_or_default();
    match op {
        "PutRecord" | "PutRecords" | "GenerateDataKey" | "Encrypt" => PRODUCER,
        "GetShardIterator" | "GetRecords" | "Decrypt" => CONSUMER,
        "SplitShard" => RESHARDER,
        _ => ADMIN,
    }
}

/// What the fuzzed requests run against: a stream holding a plaintext record and an encrypted
/// one (set up without the SDK), and a real data-key blob.
struct Fuzzed {
    w: World,
    plain_seq: String,
    sealed_seq: String,
    blob: String,
    iterator: String,
}

fn fuzz_world() -> Fuzzed {
    let w = World::new();
    let ok = |(status, body): (u16, Value)| {
        assert_eq!(status, 200, "{body}");
        body
    };
    ok(raw(
        &w.svc,
        ADMIN,
        "Kinesis_20131202.CreateStream",
        &json!({"StreamName": STREAM, "ShardCount": 1}),
    ));
    let plain = ok(raw(
        &w.svc,
        PRODUCER,
        "Kinesis_20131202.PutRecord",
        &json!({"StreamName": STREAM, "PartitionKey": "k", "Data": "cGxhaW4="}),
    ));
    let key = ok(raw(&w.svc, ADMIN, "TrentService.CreateKey", &json!({})));
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    ok(raw(
        &w.svc,
        ADMIN,
        "Kinesis_20131202.StartStreamEncryption",
        &json!({"StreamName": STREAM, "EncryptionType": "KMS", "KeyId": key_id}),
    ));
    let sealed = ok(raw(
        &w.svc,
        PRODUCER,
        "Kinesis_20131202.PutRecord",
        &json!({"StreamName": STREAM, "PartitionKey": "k", "Data": "c2VhbGVk"}),
    ));
    let seq = |v: &Value| v["SequenceNumber"].as_str().unwrap().to_string();
    let dk = ok(raw(
        &w.svc,
        PRODUCER,
        "TrentService.GenerateDataKey",
        &json!({"KeyId": key_id, "KeySpec": "AES_256"}),
    ));
    let blob = dk["CiphertextBlob"].as_str().unwrap().to_string();
    let it = ok(raw(
        &w.svc,
        CONSUMER,
        "Kinesis_20131202.GetShardIterator",
        &json!({
            "StreamName": STREAM, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON",
        }),
    ));
    let iterator = it["ShardIterator"].as_str().unwrap().to_string();
    Fuzzed {
        plain_seq: seq(&plain),
        sealed_seq: seq(&sealed),
        blob,
        iterator,
        w,
    }
}

fn send(
    f: &Fuzzed,
    target: Option<&str>,
    who: Option<&str>,
    body: Vec<u8>,
) -> http::Response<Bytes> {
    let body = String::from_utf8(body)
        .map(|text| {
            text.replace(BLOB, &f.blob)
                .replace(CUT_BLOB, &f.blob[..f.blob.len() / 2])
                .replace(ITERATOR, &f.iterator)
                .into_bytes()
        })
        .unwrap_or_else(|e| e.into_bytes());
    let w = &f.w;
    let mut b = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.1");
    if let Some(t) = target.and_then(|t| http::HeaderValue::from_str(t).ok()) {
        b = b.header("x-amz-target", t);
    }
    if let Some(p) = who {
        b = b.header("authorization", authorization(p));
    }
    w.svc.handle(b.body(Bytes::from(body)).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_requests_never_panic_and_always_answer_aws_json(
        requests in prop::collection::vec((target(), caller(), body()), 1..12),
    ) {
        let f = fuzz_world();
        let w = &f.w;
        for (target, who, body) in requests {
            let who = match who {
                Caller::Entitled => Some(entitled(target.as_deref())),
                Caller::As(who) => who,
            };
            // The admin may legitimately delete the stream; that is not what this tests.
            let who = match (who, target.as_deref()) {
                (Some(ADMIN), Some("Kinesis_20131202.DeleteStream")) => Some(RESHARDER),
                _ => who,
            };
            let response = send(&f, target.as_deref(), who, body);
            let status = response.status().as_u16();
            let parsed: Result<Value, _> = serde_json::from_slice(response.body());
            prop_assert!(parsed.is_ok(), "status {} with a body that is not JSON: {:?}", status, response.body());
            let parsed = parsed.unwrap();
            if status != 200 {
                prop_assert!((400..600).contains(&status), "status {}", status);
                let kind = parsed["__type"].as_str().unwrap_or_default();
                prop_assert!(!kind.is_empty(), "non-200 without __type: {}", parsed);
                prop_assert_eq!(
                    response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()),
                    Some(kind)
                );
            }
            w.advance(Duration::from_millis(250));
        }

        // The stored records are still there and still read back as written.
        w.advance(Duration::from_secs(2));
        for (seq, text) in [(&f.plain_seq, "plain"), (&f.sealed_seq, "sealed")] {
            let (status, it) = raw(&w.svc, CONSUMER, "Kinesis_20131202.GetShardIterator", &json!({
                "StreamName": STREAM, "ShardId": "shardId-000000000000",
                "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": seq,
            }));
            prop_assert_eq!(status, 200, "{}", it);
            let (status, page) = raw(&w.svc, CONSUMER, "Kinesis_20131202.GetRecords", &json!({
                "ShardIterator": it["ShardIterator"], "Limit": 1,
            }));
            prop_assert_eq!(status, 200, "{}", page);
            let data = base64_decode(page["Records"][0]["Data"].as_str().unwrap_or_default());
            prop_assert_eq!(data, text.as_bytes());
        }
    }
}

/// Found by the property above: a timestamp past what a `Duration` holds panicked the service.
#[test]
fn far_timestamps_are_answered_not_panicked() {
    let f = fuzz_world();
    for ts in [1.8e19, 1e300, f64::MAX, -1e300] {
        let (status, body) = raw(
            &f.w.svc,
            CONSUMER,
            "Kinesis_20131202.GetShardIterator",
            &json!({
                "StreamName": STREAM, "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ts,
            }),
        );
        assert_eq!(status, 200, "{ts}: {body}");
        let (_, page) = raw(
            &f.w.svc,
            CONSUMER,
            "Kinesis_20131202.GetRecords",
            &json!({"ShardIterator": body["ShardIterator"]}),
        );
        let n = page["Records"].as_array().map(Vec::len);
        // Far future: past the tip; far past: from the oldest record.
        assert_eq!(n, Some(if ts > 0.0 { 0 } else { 2 }), "{ts}: {page}");
        f.w.advance(Duration::from_secs(1));
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}
