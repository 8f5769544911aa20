//! The embedded S3 through the real `aws-sdk-s3` client, and Firehose's delivery to it: buffering
//! hints (interval and size) on the virtual clock, objects named as Firehose names them and
//! holding the records' bytes in order, the destination's SSE-KMS (data keys as the delivery
//! role, Decrypt as the reader, counted in the service's own KMS log), and a delivery that a key
//! or permission problem stops: retried every 5 s, delivered once the problem is gone, dropped
//! past a day of the service.

use std::time::Duration;

use crate::common::*;
use kcb::backend::{FirehoseDestination, FirehoseKey, FirehoseSource, Target, TransportLog};
use kcb::emulator::iam::Statement;

const DIRECT: FirehoseSource = FirehoseSource::DirectPut;
const ROLE: &str = "arn:aws:iam::111122223333:role/delivery";

fn destination(
    bucket: &str,
    size_mib: i32,
    interval_secs: i32,
    kms: Option<&str>,
) -> FirehoseDestination {
    FirehoseDestination {
        bucket_arn: format!("arn:aws:s3:::{bucket}"),
        role_arn: ROLE.into(),
        prefix: "run/".into(),
        size_mib,
        interval_secs,
        kms_key_arn: kms.map(str::to_owned),
    }
}

fn calls_by(w: &World, op: &str, principal: &str) -> usize {
    w.svc
        .control()
        .kms_calls()
        .iter()
        .filter(|c| c.op == op && c.principal == principal && c.ok)
        .count()
}

async fn key_arn(w: &World) -> String {
    w.admin.kms.create_key("destination").await.unwrap().arn
}

#[tokio::test]
async fn s3_buckets_and_objects_through_the_real_client() {
    let w = World::new();
    let s3 = &w.admin.s3;
    s3.create_bucket("dest", "us-east-1").await.unwrap();
    assert!(s3.bucket_exists("dest").await.unwrap());
    assert!(!s3.bucket_exists("nothere").await.unwrap());
    assert_code(
        s3.create_bucket("dest", "us-east-1").await,
        "BucketAlreadyOwnedByYou",
    );
    assert_code(
        s3.create_bucket("No_Such", "us-east-1").await,
        "InvalidBucketName",
    );

    // Only the delivery role may write; the consumer lists and reads.
    let writer = w.principal("delivery");
    for (i, k) in ["a/1", "a/2", "b/1"].iter().enumerate() {
        writer
            .s3
            .put("dest", k, vec![i as u8; 10 + i], None)
            .await
            .unwrap();
    }
    assert_code(
        w.consumer.s3.put("dest", "x", vec![1], None).await,
        "AccessDenied",
    );
    let all = w.consumer.s3.list("dest", "", None, None).await.unwrap();
    let keys: Vec<&str> = all.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/1", "a/2", "b/1"]);
    assert_eq!(all.objects[1].size, 11);
    let after = w
        .consumer
        .s3
        .list("dest", "a/", Some("a/1"), None)
        .await
        .unwrap();
    assert_eq!(after.objects.len(), 1);
    assert_eq!(after.objects[0].key, "a/2");
    let got = w.consumer.s3.get("dest", "b/1").await.unwrap();
    assert_eq!((got.body, got.sse), (vec![2u8; 12], None));
    assert_code(w.consumer.s3.get("dest", "zz").await, "NoSuchKey");
    assert_code(w.consumer.s3.get("gone", "zz").await, "NoSuchBucket");

    assert_code(s3.delete_bucket("dest").await, "BucketNotEmpty");
    assert_eq!(s3.empty_and_delete_bucket("dest").await.unwrap(), 3);
    assert!(!s3.bucket_exists("dest").await.unwrap());
}

#[tokio::test]
async fn an_sse_kms_object_takes_a_data_key_from_its_writer_and_a_decrypt_from_each_reader() {
    let w = World::new();
    w.admin.s3.create_bucket("enc", "us-east-1").await.unwrap();
    let key = key_arn(&w).await;
    let writer = w.principal("delivery");
    writer
        .s3
        .put("enc", "o", b"secret".to_vec(), Some(Some(&key)))
        .await
        .unwrap();
    writer
        .s3
        .put("enc", "m", b"managed".to_vec(), Some(None))
        .await
        .unwrap();
    assert_eq!(calls_by(&w, "GenerateDataKey", "delivery"), 2);
    let got = w.consumer.s3.get("enc", "o").await.unwrap();
    assert_eq!(got.body, b"secret");
    assert_eq!(
        (got.sse.as_deref(), got.kms_key.as_deref()),
        (Some("aws:kms"), Some(key.as_str()))
    );
    let managed = w.consumer.s3.get("enc", "m").await.unwrap();
    assert_ne!(managed.kms_key.as_deref(), Some(key.as_str()));
    assert_eq!(calls_by(&w, "Decrypt", "consumer"), 2);

    w.admin.kms.disable_key(&key).await.unwrap();
    assert_code(w.consumer.s3.get("enc", "o").await, "KMS.DisabledException");
    w.admin.kms.enable_key(&key).await.unwrap();
    let deny = Statement::deny(["kms:Decrypt"], ["*"]);
    let id = w.svc.control().attach("consumer", deny).unwrap();
    assert_code(w.consumer.s3.get("enc", "o").await, "AccessDenied");
    w.svc.control().detach("consumer", id).unwrap();
    assert_eq!(w.consumer.s3.get("enc", "o").await.unwrap().body, b"secret");
}

#[tokio::test]
async fn records_are_delivered_as_one_object_when_the_interval_or_the_size_is_reached() {
    let w = World::new();
    w.admin.s3.create_bucket("dest", "us-east-1").await.unwrap();
    let d = destination("dest", 1, 60, None);
    w.admin
        .firehose
        .create_to("ticks", &DIRECT, None, Some(&d), &[])
        .await
        .unwrap();
    let info = w.admin.firehose.describe("ticks").await.unwrap();
    assert_eq!(
        info.destination,
        Some(("arn:aws:s3:::dest".into(), "run/".into(), None))
    );
    let start = kcb::clock::Clock::now(w.clock.as_ref());
    let records: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 100]).collect();
    for r in &records {
        w.producer
            .firehose
            .put_record("ticks", r.clone())
            .await
            .unwrap();
    }
    w.advance(Duration::from_secs(59));
    assert!(w
        .consumer
        .s3
        .list("dest", "run/", None, None)
        .await
        .unwrap()
        .objects
        .is_empty());
    w.advance(Duration::from_secs(2));
    let page = w
        .consumer
        .s3
        .list("dest", "run/", None, None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    let o = &page.objects[0];
    // Delivered when due (60 s after the first record), whenever somebody looked.
    let since_epoch = start.as_millis();
    assert_eq!(o.last_modified.as_millis(), since_epoch + 60_000);
    assert!(o.key.starts_with("run/20"), "{}", o.key);
    assert!(o.key.contains("/ticks-1-20"), "{}", o.key);
    assert_eq!(
        w.consumer.s3.get("dest", &o.key).await.unwrap().body,
        records.concat()
    );

    // Past the size hint (1 MiB) a delivery goes at once.
    let big = vec![vec![7u8; 600 * 1024]; 2];
    let ack = w
        .producer
        .firehose
        .put_record_batch("ticks", big.clone())
        .await
        .unwrap();
    assert_eq!(ack.failed, 0);
    let page = w
        .consumer
        .s3
        .list("dest", "run/", None, None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 2);
    let delivered = w.svc.control().firehose_delivered("ticks").unwrap();
    assert_eq!(
        (
            delivered.objects,
            delivered.records,
            delivered.dropped_records
        ),
        (2, 12, 0)
    );
}

#[tokio::test]
async fn a_denied_delivery_role_delays_delivery_until_the_deny_is_lifted() {
    let w = World::new();
    w.admin.s3.create_bucket("dest", "us-east-1").await.unwrap();
    let key = key_arn(&w).await;
    let d = destination("dest", 1, 10, Some(&key));
    w.admin
        .firehose
        .create_to("sse", &DIRECT, None, Some(&d), &[])
        .await
        .unwrap();
    let deny = Statement::deny(["kms:GenerateDataKey"], ["*"]);
    let id = w.svc.control().attach("delivery", deny).unwrap();
    for i in 0..5u8 {
        w.producer
            .firehose
            .put_record("sse", vec![i; 64])
            .await
            .unwrap();
    }
    w.advance(Duration::from_secs(30));
    let held = w.svc.control().firehose_delivered("sse").unwrap();
    assert_eq!(held.objects, 0);
    assert!(held.failed_attempts >= 1, "{held:?}");
    assert_eq!(
        held.last_error.as_ref().map(|e| e.0.as_str()),
        Some("S3.KMS.AccessDenied")
    );
    w.svc.control().detach("delivery", id).unwrap();
    w.advance(Duration::from_secs(5));
    let done = w.svc.control().firehose_delivered("sse").unwrap();
    assert_eq!(
        (done.objects, done.records, done.retried_records),
        (1, 5, 5)
    );
    assert_eq!(calls_by(&w, "GenerateDataKey", "delivery"), 1);
    let o = &w
        .consumer
        .s3
        .list("dest", "run/", None, None)
        .await
        .unwrap()
        .objects[0];
    let got = w.consumer.s3.get("dest", &o.key).await.unwrap();
    assert_eq!(got.sse.as_deref(), Some("aws:kms"));
    assert_eq!(got.body.len(), 5 * 64);
}

#[tokio::test]
async fn records_sealed_under_a_disabled_key_are_retried_for_a_day_then_dropped() {
    let mut config = test_config();
    config.kms_day = Duration::from_secs(3_600);
    let w = World::with_config(config);
    w.admin.s3.create_bucket("dest", "us-east-1").await.unwrap();
    let key = key_arn(&w).await;
    w.admin
        .firehose
        .create_to(
            "cmk",
            &DIRECT,
            Some(&FirehoseKey::CustomerManaged(key.clone())),
            Some(&destination("dest", 5, 60, None)),
            &[],
        )
        .await
        .unwrap();
    for i in 0..3u8 {
        w.producer
            .firehose
            .put_record("cmk", vec![i; 32])
            .await
            .unwrap();
    }
    w.admin.kms.disable_key(&key).await.unwrap();
    w.advance(Duration::from_secs(1_800));
    let waiting = w.svc.control().firehose_delivered("cmk").unwrap();
    assert_eq!((waiting.objects, waiting.dropped_records), (0, 0));
    assert_eq!(
        waiting.last_error.as_ref().map(|e| e.0.as_str()),
        Some("KMS.DisabledException")
    );
    w.advance(Duration::from_secs(1_900));
    let gone = w.svc.control().firehose_delivered("cmk").unwrap();
    assert_eq!((gone.objects, gone.dropped_records), (0, 3));
    assert_eq!(w.svc.control().objects_in("dest"), Some(0));
}

#[tokio::test]
async fn the_loopback_server_answers_s3_with_signatures_checked() {
    let (_svc, running) = loopback().await;
    let target = Target::Endpoint {
        url: running.endpoint_url(),
        region: "us-east-1".into(),
    };
    let clock = std::sync::Arc::new(kcb::clock::SystemClock);
    let p = |n: &str| kcb::backend::Principal::new(&target, n, TransportLog::new(), clock.clone());
    let (admin, writer, reader) = (p("admin"), p("delivery"), p("consumer"));
    admin.s3.create_bucket("net", "us-east-1").await.unwrap();
    writer
        .s3
        .put("net", "2026/12/02/04/a b+c", vec![5u8; 2048], None)
        .await
        .unwrap();
    let page = reader
        .s3
        .list("net", "2026/", Some("2026/0"), None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    let got = reader.s3.get("net", &page.objects[0].key).await.unwrap();
    assert_eq!(got.body, vec![5u8; 2048]);
    let bad = kcb::backend::Principal::with_secret(
        &target,
        "consumer",
        "wrong",
        TransportLog::new(),
        clock.clone(),
    );
    assert_code(
        bad.s3.get("net", &page.objects[0].key).await,
        "SignatureDoesNotMatch",
    );
    running.task.abort();
}

#[tokio::test]
async fn a_stream_sourced_delivery_stream_delivers_the_stream_s_records_as_its_role_reads_them() {
    let w = World::new();
    w.admin.s3.create_bucket("dest", "us-east-1").await.unwrap();
    w.admin
        .kinesis
        .create_stream("src", 1, false)
        .await
        .unwrap();
    let key = key_arn(&w).await;
    w.admin.kinesis.start_encryption("src", &key).await.unwrap();
    let stream_arn = w.svc.control().stream_arn("src");
    let source = FirehoseSource::KinesisStream {
        stream_arn,
        role_arn: ROLE.into(),
    };
    w.admin
        .firehose
        .create_to(
            "from-src",
            &source,
            None,
            Some(&destination("dest", 1, 10, None)),
            &[],
        )
        .await
        .unwrap();
    let records: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 40]).collect();
    for r in &records {
        w.producer
            .kinesis
            .put_record("src", "pk", r.clone())
            .await
            .unwrap();
    }
    // The role may not decrypt the stream's SSE records: nothing is taken, nothing delivered.
    let deny = Statement::deny(["kms:Decrypt"], ["*"]);
    let id = w.svc.control().attach("delivery", deny).unwrap();
    w.advance(Duration::from_secs(11));
    let held = w.svc.control().firehose_delivered("from-src").unwrap();
    assert_eq!(held.objects, 0);
    assert!(held.last_error.is_some(), "{held:?}");
    w.svc.control().detach("delivery", id).unwrap();
    // Taken at their arrival (11 s ago): due at once.
    w.advance(Duration::from_millis(1));
    let page = w
        .consumer
        .s3
        .list("dest", "run/", None, None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    let got = w
        .consumer
        .s3
        .get("dest", &page.objects[0].key)
        .await
        .unwrap();
    assert_eq!(got.body, records.concat());
    let done = w.svc.control().firehose_delivered("from-src").unwrap();
    assert_eq!((done.objects, done.records), (1, 6));
}
