//! The KPL's aggregated record, checked against the format's own Python library
//! (`aws-kinesis-agg`, installed by scripts/test.sh into target/peers/venv): what the harness
//! aggregates it de-aggregates record for record, what it aggregates the harness reads, and a
//! record the harness cannot read it passes through as not aggregated.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::common::peers::{python_with, repo};
use kcb_envelope::kpl::{decode, Aggregator, UserRecord, DEFAULT_MAX_BYTES};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn peer(command: &str, input: &Value) -> Option<Value> {
    let python = python_with(&["aws_kinesis_agg"])?;
    let mut child = Command::new(python)
        .arg(repo().join("scripts/peers/kpl_peer.py"))
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python ends");
    assert!(
        out.status.success(),
        "kpl_peer.py {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

/// 2,000 user records of 1 to 300 bytes under 50 keys: several aggregates of the KPL's size.
fn users() -> Vec<UserRecord> {
    (0..2_000u32)
        .map(|i| UserRecord {
            partition_key: format!("pk-{}", i % 50),
            explicit_hash_key: None,
            data: (0..(i * 37 % 300 + 1)).map(|b| (b ^ i) as u8).collect(),
        })
        .collect()
}

#[test]
fn the_format_s_own_library_reads_what_the_harness_aggregates_and_the_other_way() {
    let users = users();
    let mut agg = Aggregator::new();
    let mut aggregates: Vec<Vec<u8>> = users.iter().cloned().filter_map(|u| agg.add(u)).collect();
    aggregates.extend(agg.flush());
    assert!(aggregates.len() > 1, "several aggregates");
    assert!(aggregates.iter().all(|a| a.len() <= DEFAULT_MAX_BYTES));
    let datas: Vec<String> = aggregates.iter().map(|a| B64.encode(a)).collect();
    let Some(read) = peer("deaggregate", &json!(datas)) else {
        return;
    };
    let read = read.as_array().expect("records");
    assert_eq!(read.len(), users.len(), "every user record, once");
    for (r, u) in read.iter().zip(&users) {
        assert_eq!(r["aggregated"], true);
        assert_eq!(r["pk"], u.partition_key.as_str());
        assert_eq!(B64.decode(r["data"].as_str().unwrap()).unwrap(), u.data);
    }

    // The other way: the library aggregates, the harness reads.
    let given: Vec<Value> = users
        .iter()
        .map(|u| json!({"pk": u.partition_key, "data": B64.encode(&u.data)}))
        .collect();
    let theirs = peer("aggregate", &json!(given)).expect("peer ran once already");
    let ours: Vec<UserRecord> = theirs
        .as_array()
        .expect("aggregates")
        .iter()
        .flat_map(|a| decode(&B64.decode(a.as_str().unwrap()).unwrap()).expect("readable"))
        .collect();
    assert_eq!(ours.len(), users.len());
    for (o, u) in ours.iter().zip(&users) {
        assert_eq!((&o.partition_key, &o.data), (&u.partition_key, &u.data));
    }

    // A damaged digest: the library passes the record through as not aggregated (silently);
    // the harness names the cause.
    let mut bad = aggregates[0].clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let read = peer("deaggregate", &json!([B64.encode(&bad)])).expect("peer");
    assert_eq!(read[0]["aggregated"], false);
    assert_eq!(decode(&bad).unwrap_err().cause(), "AggregateBadDigest");
}
