//! Golden bills: every figure below is worked by hand in the comments, from us-east-1's shipped
//! prices (shard-hour $0.015, PUT payload units $0.014 a million, stream-hour $0.04, Data-In
//! $0.08/GB, Data-Out $0.04/GB, Firehose $0.029/GB, KMS $1 a key-month, $0.03 per 10,000
//! requests, EFO $0.015 a consumer-shard-hour and $0.013/GB). A month is 2,592,000 s (720 h);
//! a GB is 2^30 = 1,073,741,824 bytes.

use super::*;
use crate::result::bill::{BillMode, BillService};

fn prices() -> PriceTable {
    PriceTable::shipped("us-east-1").expect("us-east-1 ships")
}

fn usage(rate: f64, sizes: PutSizes, kms: Option<(f64, u32, u32)>) -> Usage {
    let (requests, keys, rotations) = kms.unwrap_or((0.0, 0, 0));
    Usage {
        records_per_sec: rate,
        sizes,
        consumers: 1,
        efo_consumers: 0,
        kms: KmsUsage {
            requests_per_month: Some(requests),
            keys,
            rotations,
        },
        firehose_objects_per_sec: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

fn usd(m: &ModeBill, service: BillService, item: &str) -> f64 {
    m.item(service, item)
        .unwrap_or_else(|| panic!("no {item} line in {m:?}"))
        .usd
}

/// The example: 5,000 records/s of 1 KiB; the ESDK's default suite makes each 1,642 B.
/// The envelope path makes 17,280 KMS requests a month (2 per 5-minute window) under one key.
fn example() -> (Vec<ModeBill>, Vec<ModeBill>) {
    let p = prices();
    let plain = usage(5_000.0, PutSizes::of(1_024, 1_000), None);
    let env = usage(5_000.0, PutSizes::of(1_642, 1_000), Some((17_280.0, 1, 0)));
    (
        modes(PathKind::Plaintext, &plain, &p),
        modes(PathKind::Envelope, &env, &p),
    )
}

#[test]
fn provisioned_shards_follow_the_sealed_bytes() {
    let (plain, env) = example();
    let (plain, env) = (&plain[0], &env[0]);
    assert_eq!(
        (plain.mode, env.mode),
        (BillMode::Provisioned, BillMode::Provisioned)
    );
    // plaintext: 5,000 × 1,024 = 5,120,000 B/s / 1,048,576 = 4.88 -> 5; records 5,000 / 1,000
    // = 5; reads 5,120,000 / 2,097,152 = 2.44 -> 3: 5 shards.
    // envelope: 5,000 × 1,642 = 8,210,000 B/s / 1,048,576 = 7.83 -> 8 shards.
    assert_eq!((plain.shards, env.shards), (Some(5), Some(8)));
    // 5 × 720 h × $0.015 = $54; 8 × 720 × $0.015 = $86.40 (60 % more shard-hours).
    assert!(close(usd(plain, BillService::Kinesis, "shard-hours"), 54.0));
    assert!(close(usd(env, BillService::Kinesis, "shard-hours"), 86.4));
    // PUT payload units: 5,000 × 2,592,000 = 12,960,000,000 records of 1 unit each (both under
    // 25 KB) = 12,960 million × $0.014 = $181.44, the same on both.
    assert!(close(
        usd(plain, BillService::Kinesis, "PUT payload units"),
        181.44
    ));
    assert!(close(
        usd(env, BillService::Kinesis, "PUT payload units"),
        181.44
    ));
    // KMS: 17,280 / 10,000 × $0.03 = $0.05184, plus $1 for the key.
    assert!(close(usd(env, BillService::Kms, "requests"), 0.05184));
    assert!(close(usd(env, BillService::Kms, "key-months"), 1.0));
    // Totals: $54 + $181.44 = $235.44; $86.40 + $181.44 + $1.05184 = $268.89184.
    assert!(close(plain.total_usd, 235.44));
    assert!(close(env.total_usd, 268.891_84));
    let d = differences(std::slice::from_ref(env), std::slice::from_ref(plain));
    // Encryption adds $33.45184, 12.4 % of the envelope pipeline's $268.89.
    assert!(close(d[0].added_usd, 33.451_84));
    assert!(close(d[0].share_of_bill, 33.451_84 / 268.891_84));
    // The shard-hours are the largest line of it: $32.40.
    assert_eq!(d[0].items[0].item, "shard-hours");
    assert!(close(d[0].items[0].added_usd, 32.4));
}

#[test]
fn on_demand_data_in_doubles_when_sealing_crosses_a_kilobyte() {
    let (plain, env) = example();
    let (plain, env) = (&plain[1], &env[1]);
    assert_eq!(plain.mode, BillMode::OnDemand);
    // plaintext: 12,960,000,000 records × 1 KB × 1,024 B / 2^30 = 12,359.619 GB × $0.08
    // = $988.77; envelope: each 1,642 B record is billed 2 KB: 24,719.238 GB = $1,977.54.
    let plain_in = plain.item(BillService::Kinesis, "Data-In").unwrap();
    let env_in = env.item(BillService::Kinesis, "Data-In").unwrap();
    assert!(close(plain_in.quantity, 12_359.619_140_625));
    assert!(close(plain_in.usd, 988.769_531_25));
    assert!(close(env_in.usd, 1_977.539_062_5));
    assert!(close(env_in.usd, 2.0 * plain_in.usd));
    // Data-Out is per byte read: 12,960,000,000 × 1,642 / 2^30 = 19,818.84 GB × $0.04 = $792.75.
    assert!(close(
        usd(env, BillService::Kinesis, "Data-Out"),
        792.753_696_441_650_4
    ));
    // Stream-hours: 720 × $0.04 = $28.80 each.
    assert!(close(
        usd(plain, BillService::Kinesis, "stream-hours"),
        28.8
    ));
    // Totals: $28.80 + $988.77 + $494.38 = $1,511.95; $28.80 + $1,977.54 + $792.75 + $1.05
    // = $2,800.14. On-demand is the dearer mode for both.
    assert!(close(plain.total_usd, 1_511.954_296_875));
    assert!(close(env.total_usd, 2_800.144_598_941_650_7));
}

#[test]
fn a_record_sealed_past_25_kb_pays_two_payload_units() {
    let p = prices();
    // 25,000 B is one 25 KB (25,600 B) unit; sealed with 603 B it is 25,603 B: two units.
    let plain = usage(100.0, PutSizes::of(25_000, 10), None);
    let env = usage(100.0, PutSizes::of(25_603, 10), None);
    let units = |u: &Usage| {
        stream_bill(BillMode::Provisioned, u, &p)
            .item(BillService::Kinesis, "PUT payload units")
            .unwrap()
            .quantity
    };
    // 100 × 2,592,000 = 259,200,000 records: 259.2 million units, or 518.4 million.
    assert!(close(units(&plain), 259.2));
    assert!(close(units(&env), 518.4));
}

#[test]
fn a_firehose_record_sealed_past_5_kb_is_billed_10_kb() {
    let p = prices();
    // 4.5 KB = 4,608 B is one 5 KB (5,120 B) unit; sealed with 603 B it is 5,211 B: two.
    let plain = usage(100.0, PutSizes::of(4_608, 10), None);
    let env = usage(100.0, PutSizes::of(5_211, 10), None);
    let ingest = |u: &Usage| {
        firehose_bill(u, &p)
            .item(BillService::Firehose, "ingestion")
            .cloned()
            .unwrap()
    };
    // 259,200,000 records × 5,120 B / 2^30 = 1,235.96 GB × $0.029 = $35.84; twice that sealed.
    let (a, b) = (ingest(&plain), ingest(&env));
    assert!(close(a.quantity, 1_235.961_914_062_5));
    assert!(close(a.usd, 35.842_895_507_812_5));
    assert!(close(b.quantity, 2.0 * a.quantity));
    assert!(close(b.usd, 71.685_791_015_625));
}

#[test]
fn firehose_tiers_price_each_gb_at_its_own_tier() {
    let p = prices();
    // 600,000 GB: 512,000 at $0.029 + 88,000 at $0.025 = $14,848 + $2,200 = $17,048.
    assert!(close(p.firehose_ingestion_usd(600_000.0), 17_048.0));
    // Past 2,048,000 GB: 512,000 × 0.029 + 1,536,000 × 0.025 + 1,000 × 0.020 = $53,268.
    assert!(close(p.firehose_ingestion_usd(2_049_000.0), 53_268.0));
}

#[test]
fn a_key_rotated_twice_costs_three_dollars_a_month_and_no_more_after() {
    let p = prices();
    let bill = |rotations| {
        let u = usage(1.0, PutSizes::of(100, 1), Some((0.0, 1, rotations)));
        let m = stream_bill(BillMode::OnDemand, &u, &p);
        m.by_service(BillService::Kms)
    };
    // $1 a key-month, +$1 for each of the first two rotations: $1, $2, $3, then $3.
    assert!(close(bill(0), 1.0));
    assert!(close(bill(1), 2.0));
    assert!(close(bill(2), 3.0));
    assert!(close(bill(5), 3.0));
}

#[test]
fn an_enhanced_fan_out_consumer_pays_consumer_shard_hours_and_retrieval() {
    let p = prices();
    let mut u = usage(5_000.0, PutSizes::of(1_024, 1), None);
    u.efo_consumers = 1;
    let m = stream_bill(BillMode::Provisioned, &u, &p);
    // 5 shards (as above; EFO reads do not share the shards' 2 MiB/s) × 720 h = 3,600
    // consumer-shard-hours × $0.015 = $54.
    assert_eq!(m.shards, Some(5));
    assert!(close(
        usd(
            &m,
            BillService::Kinesis,
            "enhanced fan-out consumer-shard-hours"
        ),
        54.0
    ));
    // 12,359.619 GB retrieved × $0.013 = $160.68.
    assert!(close(
        usd(&m, BillService::Kinesis, "enhanced fan-out retrieval"),
        160.675_048_828_125
    ));
    // On-demand: the retrieval at $0.05/GB = $617.98, no consumer-hours in us-east-1's table.
    let o = stream_bill(BillMode::OnDemand, &u, &p);
    assert!(close(
        usd(&o, BillService::Kinesis, "enhanced fan-out retrieval"),
        617.980_957_031_25
    ));
}

#[test]
fn a_size_spread_across_a_kilobyte_is_billed_record_by_record_not_at_its_mean() {
    let p = prices();
    // Half the records 1,000 B (1 KB each), half 1,100 B (2 KB each): 1.5 KB a record. At
    // the mean (1,050 B) every record would be billed 2 KB.
    let mut sizes = PutSizes::default();
    sizes.add_many(1_000, 500);
    sizes.add_many(1_100, 500);
    assert_eq!((sizes.records, sizes.on_demand_kb), (1_000, 1_500));
    let u = usage(1_000.0, sizes, None);
    let data_in = stream_bill(BillMode::OnDemand, &u, &p)
        .item(BillService::Kinesis, "Data-In")
        .unwrap()
        .quantity;
    // 1,000 × 2,592,000 × 1.5 × 1,024 / 2^30 = 3,707.886 GB (not 4,943.85 at 2 KB).
    assert!(close(data_in, 3_707.885_742_187_5));
}

#[test]
fn the_shipped_table_reads_and_a_bad_one_names_its_field() {
    assert_eq!(PriceTable::shipped_regions(), vec!["us-east-1"]);
    assert!(PriceTable::shipped("eu-north-1").is_none());
    let text = include_str!("../../prices/us-east-1.toml")
        .replace("shard_hour = 0.015", "shard_hour = -1");
    let e = PriceTable::parse(&text, std::path::Path::new("mine.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "mine.toml: kinesis_provisioned.shard_hour: must be a price >= 0 (got -1)"
    );
    let text =
        include_str!("../../prices/us-east-1.toml").replace("[s3]", "[s3]\nlist_per_1000 = 1");
    let e = PriceTable::parse(&text, std::path::Path::new("mine.toml")).unwrap_err();
    assert!(
        e.to_string().starts_with("mine.toml: not a price table:"),
        "{e}"
    );
    assert!(e.to_string().contains("list_per_1000"), "{e}");
}

#[test]
fn a_run_is_billed_per_path_with_its_difference_over_plaintext() {
    let mut r = crate::result::sample_run_result();
    let p = prices();
    bill_run(&mut r, Some((&p, "shipped prices for us-east-1")));
    let b = r.bill.as_ref().unwrap();
    assert_eq!((b.region.as_str(), b.missing.as_ref()), ("us-east-1", None));
    let plain = r.paths[0].bill.as_ref().unwrap();
    let env = r.paths[1].bill.as_ref().unwrap();
    assert_eq!(plain.baseline, None);
    assert_eq!(env.baseline.as_deref(), Some("plaintext"));
    // The sample's envelope records are 1,617 B, its plaintext 1,024 B: on-demand Data-In of
    // 2 KB against 1 KB, at 100 records/s.
    let d = env.difference(BillMode::OnDemand).unwrap();
    let data_in = d.items.iter().find(|i| i.item == "Data-In").unwrap();
    // 100 × 2,592,000 × 1 KB × 1,024 / 2^30 = 247.19 GB × $0.08 = $19.78 more.
    assert!(close(data_in.added_usd, 19.775_390_625));
    // Without a table: no bill, and why.
    bill_run(&mut r, None);
    assert!(r.paths.iter().all(|p| p.bill.is_none()));
    assert!(r.bill.unwrap().missing.unwrap().contains("--prices"));
}
