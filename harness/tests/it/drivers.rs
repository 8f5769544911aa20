//! One compliance suite every driver passes, on the embedded service through the real SDK
//! clients: provision (ready, under the key asked for), put, read back what was put, describe,
//! and teardown (the destination gone, and nothing it did not create touched). A new service's
//! driver is added to `paths()` and must pass the same checks.

use std::time::Duration;

use crate::common::*;
use kcb::backend::sink::{OutRecord, Position};
use kcb::driver::{for_path, Driver, PathCx, Provisioned};
use kcb::scenario::Scenario;

const SCENARIO: &str = r#"
name = "drivers"
duration = "10s"
seed = 3

[stream]
shards = 2

[workload]
rate_per_sec = 10
record_size = 200

[[paths]]
kind = "plaintext"

[[paths]]
kind = "envelope"

[[paths]]
kind = "sse-kms"
key = "customer-managed"

[[paths]]
name = "fh-plain"
kind = "firehose"
key = "none"
buffer_size_mib = 1
buffer_interval = "2s"

[[paths]]
name = "fh-cmk"
kind = "firehose"
key = "customer-managed"
destination_sse = "customer-managed"
buffer_size_mib = 1
buffer_interval = "2s"
"#;

fn scenario() -> Scenario {
    kcb::scenario::parse(SCENARIO, std::path::Path::new("drivers.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Read every partition of `p`'s source until `want` records are back (advancing the clock
/// for a destination that buffers), at most 200 rounds.
async fn read_back(
    w: &World,
    driver: &dyn Driver,
    p: &Provisioned,
    want: usize,
) -> Vec<kcb::backend::sink::ReadRecord> {
    let source = driver.source(&w.consumer, p, None);
    let mut got = Vec::new();
    let mut positions = std::collections::BTreeMap::<String, Position>::new();
    for _ in 0..200 {
        for part in source.partitions().await.expect("partitions") {
            let pos = positions.entry(part.id.clone()).or_default();
            let records = source.read(&part.id, pos, 100).await.expect("read");
            if let Some(last) = records.last() {
                pos.commit(&last.sequence.clone());
            }
            got.extend(records);
        }
        if got.len() >= want {
            break;
        }
        w.advance(Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    got
}

#[tokio::test]
async fn every_driver_provisions_puts_reads_back_describes_and_tears_down() {
    let w = World::new();
    let s = scenario();
    let mut made: Vec<Provisioned> = Vec::new();
    let mut services = std::collections::BTreeSet::new();
    for (i, spec) in s.paths.iter().enumerate() {
        let driver = for_path(spec);
        services.insert(driver.service());
        let name = kcb::driver::stream_name(&s.name, &spec.name, "0000abcd");
        let cx = PathCx {
            scenario: &s,
            spec,
            name: &name,
            shared: None,
            embedded: Some(&w.svc),
        };
        let p = driver
            .provision(&w.admin, cx)
            .await
            .unwrap_or_else(|e| panic!("{}: provision: {e}", spec.name));
        assert!(p.stream_created, "{}", spec.name);
        assert!(
            driver.refusals(spec, true).is_empty(),
            "{}: the embedded service refuses nothing",
            spec.name
        );

        // Ready, encrypted as asked.
        let sink = driver.sink(&w.producer, &p);
        let info = sink.describe().await.expect("describe");
        assert_eq!(info.status, "ACTIVE", "{}", spec.name);
        let encrypted = !matches!(info.encryption.as_str(), "NONE" | "DISABLED");
        let wants_encryption = matches!(spec.name.as_str(), "sse-kms" | "fh-cmk");
        assert_eq!(encrypted, wants_encryption, "{}: {info:?}", spec.name);
        assert_eq!(
            p.key.is_some(),
            matches!(spec.name.as_str(), "envelope" | "sse-kms" | "fh-cmk"),
            "{}: {:?}",
            spec.name,
            p.key
        );

        // Put three records (one alone, two in a batch) and read the same bytes back.
        let records: Vec<Vec<u8>> = (0..3)
            .map(|k| kcb::workload::payload::build(9, i as u64 * 10 + k, Duration::ZERO, 200, 0))
            .collect();
        let out = |d: &Vec<u8>| OutRecord {
            partition_key: format!("pk-{}", d[11]),
            data: d.clone(),
        };
        sink.put(out(&records[0])).await.expect("put");
        let batch = sink
            .put_batch(records[1..].iter().map(out).collect())
            .await
            .expect("put batch");
        assert!(batch.iter().all(Result::is_ok), "{}: {batch:?}", spec.name);
        let back = read_back(&w, driver.as_ref(), &p, 3).await;
        let mut back: Vec<Vec<u8>> = back.into_iter().map(|r| r.data).collect();
        back.sort();
        let mut want = records.clone();
        want.sort();
        assert_eq!(back, want, "{}: read back what was put", spec.name);

        // What its KMS calls name in the service's log, and the reference it is measured against.
        assert!(
            driver
                .logged_resources(&p)
                .iter()
                .all(|r| r.arn.starts_with("arn:aws:")),
            "{}",
            spec.name
        );
        let logged = driver.logged_resources(&p);
        let arn = p.stream_arn.as_deref().expect("the destination's ARN");
        assert!(
            logged.iter().any(|l| l.arn == arn),
            "{}: its destination {arn} is among {logged:?}",
            spec.name
        );
        // The window its KMS calls are counted in: the reuse period (sse-kms, 5 min by
        // default), the load (an envelope path without a cache asks per record), else the run.
        let (load, run) = (Duration::from_secs(10), Duration::from_secs(17));
        let window = match spec.name.as_str() {
            "sse-kms" => Duration::from_secs(300),
            "envelope" => load,
            _ => run,
        };
        assert_eq!(driver.kms_window(spec, load, run), window, "{}", spec.name);
        assert_eq!(
            driver.is_reference(spec),
            matches!(spec.name.as_str(), "plaintext" | "fh-plain"),
            "{}",
            spec.name
        );
        assert!(
            (driver.throttling().operation)("PutRecord").is_some(),
            "{}: a throttle reaches its puts",
            spec.name
        );
        made.push(p);
    }
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        ["firehose", "kinesis"]
    );

    // Teardown: each destination gone; the keys are the runner's to schedule for deletion.
    for (spec, p) in s.paths.iter().zip(&made) {
        let driver = for_path(spec);
        driver.teardown(&w.admin, p).await;
        let gone = driver.sink(&w.admin, p).describe().await;
        assert!(gone.is_err(), "{}: still there after teardown", spec.name);
        if let Some(d) = &p.destination {
            assert!(
                !w.admin.s3.bucket_exists(&d.bucket).await.expect("head"),
                "{}: the bucket it created is gone",
                spec.name
            );
        }
    }
}

/// A destination the path names (not created by the run) is checked and never removed.
#[tokio::test]
async fn teardown_leaves_what_the_path_named() {
    let w = World::new();
    w.stream("theirs", 1).await;
    let text = SCENARIO.replace(
        "[[paths]]\nkind = \"plaintext\"\n",
        "[[paths]]\nkind = \"plaintext\"\nstream = \"theirs\"\n",
    );
    let s = kcb::scenario::parse(&text, std::path::Path::new("drivers.toml")).expect("valid");
    let spec = &s.paths[0];
    let driver = for_path(spec);
    let cx = PathCx {
        scenario: &s,
        spec,
        name: "unused",
        shared: None,
        embedded: Some(&w.svc),
    };
    let p = driver.provision(&w.admin, cx).await.expect("provision");
    assert!(!p.stream_created);
    assert_eq!(p.stream, "theirs");
    driver.teardown(&w.admin, &p).await;
    let info = driver
        .sink(&w.admin, &p)
        .describe()
        .await
        .expect("still there");
    assert_eq!(info.status, "ACTIVE");
}
