//! The embedded service's departures from AWS that keep a long run's memory flat: a stream's
//! retention shorter than 24 h, and the trimming of what the run's consumers have read. A
//! trimmed record is gone from every read (the trim horizon moves), the records after it read
//! as before with their sequence numbers unchanged, and an iterator into what was trimmed reads
//! from the horizon.

use std::time::Duration;

use crate::common::*;
use kcb::backend::Start;

#[tokio::test]
async fn trimmed_and_expired_records_leave_the_rest_readable() {
    let w = World::new();
    w.stream("t", 1).await;
    let shard = "shardId-000000000000";
    let mut acks = Vec::new();
    for i in 0..10u64 {
        acks.push(
            w.producer
                .kinesis
                .put_record("t", "k", payload(i, 64))
                .await
                .expect("put"),
        );
    }
    let early = w
        .consumer
        .kinesis
        .shard_iterator("t", shard, &Start::TrimHorizon)
        .await
        .expect("iterator");
    // The consumers read the first four: they go.
    assert_eq!(w.svc.control().trim_read("t", shard, &acks[3].sequence), 4);
    assert_eq!(w.svc.control().stored_records(), 6);
    w.advance(Duration::from_secs(1));
    let rest = read_from(&w.consumer, "t", shard, &Start::TrimHorizon)
        .await
        .expect("read");
    let seqs: Vec<&str> = rest.iter().map(|r| r.sequence.as_str()).collect();
    let want: Vec<&str> = acks[4..].iter().map(|a| a.sequence.as_str()).collect();
    assert_eq!(seqs, want, "the horizon moved; sequence numbers did not");
    // An iterator taken before the trim reads from the horizon.
    w.advance(Duration::from_secs(1));
    let page = w
        .consumer
        .kinesis
        .get_records(&early, 100)
        .await
        .expect("read");
    assert_eq!(page.records[0].sequence, acks[4].sequence);

    // A 30 s retention: what is older goes with the next put.
    assert!(w.svc.control().set_retention("t", Duration::from_secs(30)));
    w.advance(Duration::from_secs(31));
    let last = w
        .producer
        .kinesis
        .put_record("t", "k", payload(99, 64))
        .await
        .expect("put");
    assert_eq!(w.svc.control().stored_records(), 1);
    w.advance(Duration::from_secs(1));
    let left = read_from(&w.consumer, "t", shard, &Start::TrimHorizon)
        .await
        .expect("read");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].sequence, last.sequence);
    assert_eq!(
        w.admin
            .kinesis
            .describe("t")
            .await
            .expect("describe")
            .status,
        "ACTIVE"
    );
}
