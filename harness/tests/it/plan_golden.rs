//! The capacity plan's Markdown against a golden file: `tests/golden/plan.md`, made from the
//! fixed run result `tests/golden/plan-result.json` (a real four-path run). Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p kinesis-crypto-bench --test plan_golden`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kcb::cli::plan::PlanArgs;
use kcb::cli::DocFormat;
use kcb::plan::{markdown, plan, PlanInput};
use kcb::result::RunResult;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn result() -> RunResult {
    match RunResult::read(&golden_dir().join("plan-result.json")) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

/// 8,000 records/s of 1 KiB, two consumers, eu-west-2 (KMS quota 20,000/s): the uncached
/// envelope path needs 8,000 + 2 × 8,000 = 24,000 KMS requests/s, 120 % of the quota.
fn input() -> PlanInput {
    PlanInput {
        records_per_sec: 8_000.0,
        record_bytes: 1_024,
        record_sizes: Vec::new(),
        region: Some("eu-west-2".to_owned()),
        consumers: 2,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
        efo_consumers: 0,
    }
}

#[test]
fn plan_markdown_matches_the_golden_file() {
    let md = markdown(&plan(&result(), &input()));
    let golden = golden_dir().join("plan.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(&golden, &md) {
            panic!("{}: {e}", golden.display());
        }
        return;
    }
    let want = match std::fs::read_to_string(&golden) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e} (make it with UPDATE_GOLDEN=1)", golden.display()),
    };
    if md != want {
        let first = md
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| md.lines().count().min(want.lines().count()));
        panic!(
            "the plan differs from {} at line {}:\n  got:  {:?}\n  want: {:?}\nwhole output:\n{md}\n(regenerate with UPDATE_GOLDEN=1 if the change is intended)",
            golden.display(),
            first + 1,
            md.lines().nth(first),
            want.lines().nth(first)
        );
    }
}

#[test]
fn plan_json_carries_every_path_and_its_basis() {
    let p = plan(&result(), &input());
    let v = match serde_json::to_value(&p) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let kinds: Vec<&str> = v["paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["kms"]["basis"]["kind"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // plaintext: none; envelope (5 min / 100,000 cache at 8,000/s: 12.5 s per key, the run was
    // age-limited): modelled; uncached: per record; sse-kms: per window.
    assert_eq!(kinds, ["none", "modelled", "per-record", "per-window"]);
    // Uncached: 1,000 GenerateDataKey / 1,000 sent and 1,000 Decrypt / 1,000 read:
    // 8,000 × 1 + 2 × 8,000 × 1 = 24,000/s; 24,000 / 20,000 = 1.2.
    assert_eq!(v["paths"][2]["kms"]["requests_per_sec"], 24_000.0);
    assert_eq!(v["paths"][2]["kms"]["quota_share"], 1.2);
}

#[test]
fn plan_command_exit_codes() {
    let args = |result: PathBuf, n: f64| PlanArgs {
        result,
        records_per_sec: n,
        record_bytes: vec![1_024],
        region: None,
        consumers: 1,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
        efo_consumers: 0,
        prices: None,
        format: DocFormat::Json,
    };
    let good = golden_dir().join("plan-result.json");
    assert_eq!(
        kcb::cli::plan::run(&args(good.clone(), 100.0)),
        ExitCode::SUCCESS
    );
    // A price table that is not one: exit 2, before anything is printed.
    let dir = std::env::temp_dir().join(format!("kcb-plan-prices-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("prices.toml");
    std::fs::write(&bad, "region = \"us-east-1\"\n").expect("write");
    let with_bad_prices = PlanArgs {
        prices: Some(bad),
        ..args(good.clone(), 100.0)
    };
    assert_eq!(kcb::cli::plan::run(&with_bad_prices), ExitCode::from(2));
    assert_eq!(kcb::cli::plan::run(&args(good, 0.0)), ExitCode::from(2));
    assert_eq!(
        kcb::cli::plan::run(&args(golden_dir().join("no-such-result.json"), 100.0)),
        ExitCode::from(2)
    );
}

/// The bill of each planned path, by hand, at 5,000 records/s of 1,024 B in us-east-1 (the
/// shipped prices): the run measured the envelope path's 1,024 B records at 1,317 B.
#[test]
fn plan_bills_each_path_per_mode_with_its_difference_over_plaintext() {
    let input = PlanInput {
        records_per_sec: 5_000.0,
        region: Some("us-east-1".to_owned()),
        consumers: 1,
        ..input()
    };
    let p = plan(&result(), &input);
    assert!(p.prices.missing.is_none(), "{:?}", p.prices.missing);
    let json = serde_json::to_value(&p).expect("plan json");
    let path = |name: &str| {
        json["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let mode = |name: &str, mode: &str| {
        path(name)["bill"]["modes"]
            .as_array()
            .expect("modes")
            .iter()
            .find(|m| m["mode"] == mode)
            .unwrap_or_else(|| panic!("{name}: no {mode}"))
            .clone()
    };
    let item = |name: &str, m: &str, item: &str| {
        mode(name, m)["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["item"] == item)
            .unwrap_or_else(|| panic!("{name} {m}: no {item}"))["usd"]
            .as_f64()
            .expect("usd")
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
    // Provisioned: plaintext 5,000 × 1,024 = 5,120,000 B/s -> 5 shards (records: 5); envelope
    // 5,000 × 1,317 = 6,585,000 B/s / 1,048,576 = 6.28 -> 7 shards: 3,600 and 5,040
    // shard-hours at $0.015 = $54 and $75.60.
    assert_eq!(mode("plaintext", "provisioned")["shards"], 5);
    assert_eq!(mode("envelope", "provisioned")["shards"], 7);
    assert!(close(item("plaintext", "provisioned", "shard-hours"), 54.0));
    assert!(close(item("envelope", "provisioned", "shard-hours"), 75.6));
    // On-demand Data-In: 12,960,000,000 records a month × 1 KB = 12,359.62 GB × $0.08 =
    // $988.77; the envelope's 1,317 B records are billed 2 KB each: $1,977.54.
    assert!(close(
        item("plaintext", "on-demand", "Data-In"),
        988.769_531_25
    ));
    assert!(close(
        item("envelope", "on-demand", "Data-In"),
        1_977.539_062_5
    ));
    // Each mode's difference over plaintext is its total less plaintext's, and provisioned is
    // the cheaper mode at this load.
    let env = path("envelope");
    assert_eq!(env["bill"]["baseline"], "plaintext");
    assert_eq!(env["bill"]["cheaper"], "provisioned");
    for d in env["bill"]["differences"].as_array().expect("differences") {
        let m = d["mode"].as_str().expect("mode");
        let want = mode("envelope", m)["total_usd"].as_f64().unwrap()
            - mode("plaintext", m)["total_usd"].as_f64().unwrap();
        assert!(close(d["added_usd"].as_f64().unwrap(), want), "{m}");
    }
    assert!(env["bill"]["boundaries"][0]
        .as_str()
        .is_some_and(|b| b.contains("on-demand bills Data-In as 2 KB")));
    assert!(path("plaintext")["bill"]["baseline"].is_null());
}

/// A spread of planned sizes is billed size by size: half the records 1,000 B (1 KB on-demand),
/// half 1,100 B (2 KB): 1.5 KB a record, where the mean (1,050 B) would bill every record 2 KB.
#[test]
fn a_planned_spread_of_sizes_is_billed_size_by_size_not_at_its_mean() {
    let (record_bytes, record_sizes) = PlanInput::sizes(&[1_000, 1_100]);
    assert_eq!(
        (record_bytes, record_sizes.as_slice()),
        (1_050, [1_000, 1_100].as_slice())
    );
    let input = PlanInput {
        records_per_sec: 5_000.0,
        record_bytes,
        record_sizes,
        region: Some("us-east-1".to_owned()),
        consumers: 1,
        ..input()
    };
    let p = plan(&result(), &input);
    let data_in = |name: &str| {
        let path = p.paths.iter().find(|x| x.name == name).expect("path");
        let bill = path.bill.as_ref().expect("bill");
        let m = bill
            .modes
            .iter()
            .find(|m| m.mode == kcb::result::BillMode::OnDemand)
            .expect("on-demand");
        (
            m.item(kcb::result::BillService::Kinesis, "Data-In")
                .expect("Data-In")
                .quantity,
            bill.boundaries.clone(),
        )
    };
    // 5,000 × 2,592,000 × 1.5 KB × 1,024 / 2^30 = 18,539.43 GB.
    let (plain, _) = data_in("plaintext");
    assert!((plain - 18_539.428_710_937_5).abs() < 1e-6, "{plain}");
    // The envelope's records (+293 B) are 1,293 B and 1,393 B: 2 KB each, 24,719.24 GB; only
    // the 1,000 B records cross a boundary plaintext's do not.
    let (env, boundaries) = data_in("envelope");
    assert!((env - 24_719.238_281_25).abs() < 1e-6, "{env}");
    assert_eq!(boundaries.len(), 1, "{boundaries:?}");
    assert!(
        boundaries[0].starts_with("sealing takes 1,000 B records to 1,293 B"),
        "{boundaries:?}"
    );
}
