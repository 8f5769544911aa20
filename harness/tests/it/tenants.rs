//! `scenarios/tenants-blast-radius.toml` as a user runs it: eight tenants with a key each and
//! eight sharing one key, tenant 3's key deleted mid-run. With a key per tenant exactly tenant 3
//! is hit and the seven others lose nothing and see no error; with the shared key all eight are
//! hit. Each tenant's KMS calls are counted twice (its clients', and the service's log told apart
//! by the tenant's encryption context) and must agree; the run's tenant table, the report and
//! `plan --tenants` are checked against the paths' own figures.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::common::peers::repo;
use super::shipped_scenarios::{schema, TENANTS_SCENARIO};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-tenants-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn tenants_of(v: &Value) -> Vec<u64> {
    v.as_array().expect("list").iter().map(u).collect()
}

fn path<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no path {name}"))
}

#[test]
fn one_key_per_tenant_keeps_a_key_deletion_to_its_tenant() {
    let out = tempdir("blast");
    let run = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(repo().join("scenarios").join(TENANTS_SCENARIO))
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "expectations failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(out.join("result.json")).expect("result.json");
    let r: Value = serde_json::from_str(&text).expect("JSON");
    let errors: Vec<String> = schema().iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Sixteen paths: each path as written, once per tenant.
    assert_eq!(r["paths"].as_array().expect("paths").len(), 16);
    for p in r["paths"].as_array().expect("paths") {
        let l = &p["ledger"];
        assert_eq!(
            u(&l["sent"]),
            u(&l["acked"]) + u(&l["failed"]),
            "{}",
            p["name"]
        );
        assert!(u(&l["sent"]) > 0, "{}", p["name"]);
        // The service's count of the tenant's KMS calls (a shared key's told apart by the
        // tenant in the encryption context) is the clients' own count.
        let k = &p["kms_calls"];
        assert_eq!(
            u(&k["client"]["total"]),
            u(&k["service"]["total"]),
            "{}: clients and service disagree on KMS calls",
            p["name"]
        );
        assert_eq!(u(&k["total"]), u(&k["client"]["total"]), "{}", p["name"]);
    }

    // With a key per tenant, tenant 3 alone: its unread records unreadable, its puts refused.
    for t in 1..=8 {
        let p = path(&r, &format!("isolated-t{t}"));
        let (l, errors) = (&p["ledger"], p["errors"].as_object().expect("errors"));
        assert_eq!(p["tenant"]["group"], "isolated");
        assert_eq!(u(&p["tenant"]["index"]), t);
        assert_eq!(p["tenant"]["key"], "per-tenant");
        if t == 3 {
            assert!(
                u(&l["unreadable"]) > 0,
                "isolated-t3 lost no record to the deletion"
            );
            assert!(u(&l["failed"]) > 0, "isolated-t3's puts never failed");
        } else {
            assert!(errors.is_empty(), "isolated-t{t} saw {errors:?}");
            for k in ["lost", "unreadable", "failed", "corrupted"] {
                assert_eq!(u(&l[k]), 0, "isolated-t{t} {k}");
            }
            assert_eq!(u(&l["decrypted"]), u(&l["sent"]), "isolated-t{t}");
        }
    }
    // With one key for all, every tenant's puts fail once it is gone.
    let mut keys = Vec::new();
    for t in 1..=8 {
        let p = path(&r, &format!("pooled-t{t}"));
        assert_eq!(p["tenant"]["key"], "shared");
        assert!(u(&p["ledger"]["failed"]) > 0, "pooled-t{t} never failed");
        assert!(
            p["errors"].as_object().is_some_and(|e| !e.is_empty()),
            "pooled-t{t} saw no error"
        );
        keys.push(p["resources"]["key_arn"].as_str().expect("key").to_owned());
        // One key-month, billed to the tenant that created the key.
        assert_eq!(
            u(&p["kms_calls"]["customer_managed_keys"]),
            u64::from(t == 1),
            "pooled-t{t}"
        );
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "the pooled tenants used {keys:?}");

    // The tenants table regroups the paths' own figures.
    let tenants = &r["tenants"];
    assert_eq!(u(&tenants["count"]), 8);
    let groups = tenants["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    for (g, (name, key, distinct)) in groups
        .iter()
        .zip([("isolated", "per-tenant", 8), ("pooled", "shared", 1)])
    {
        assert_eq!(
            (g["path"].as_str(), g["key"].as_str()),
            (Some(name), Some(key))
        );
        assert_eq!(u(&g["distinct_keys"]), distinct, "{name}");
        assert_eq!(u(&g["customer_managed_keys"]), distinct, "{name}");
        let rows = g["tenants"].as_array().expect("rows");
        assert_eq!(rows.len(), 8);
        let mut calls = 0;
        let mut cost = 0.0;
        let mut key_months = 0.0;
        for (i, row) in rows.iter().enumerate() {
            let p = path(&r, &format!("{name}-t{}", i + 1));
            assert_eq!(row["ledger"], p["ledger"], "{name} tenant {}", i + 1);
            assert_eq!(u(&row["kms_calls"]), u(&p["kms_calls"]["total"]));
            let errors: u64 = p["errors"]
                .as_object()
                .expect("errors")
                .values()
                .map(u)
                .sum();
            assert_eq!(u(&row["errors"]), errors);
            let requests = p["kms_calls"]["request_cost_usd_per_month"]
                .as_f64()
                .expect("$");
            let own = row["kms_monthly_cost_usd"].as_f64().expect("$") - requests;
            key_months += own;
            calls += u(&row["kms_calls"]);
            cost += row["kms_monthly_cost_usd"].as_f64().expect("$");
        }
        assert_eq!(u(&g["kms_calls"]), calls, "{name}");
        let total = g["kms_monthly_cost_usd"].as_f64().expect("$");
        assert!((total - cost).abs() < 1e-6, "{name}: {total} != {cost}");
        // Each key-month at $1: eight with a key each, one shared by eight.
        assert!(
            (key_months - distinct as f64).abs() < 1e-9,
            "{name}: {key_months}"
        );
    }

    // The blast radius of the deletion.
    let fault = r["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .find(|f| f["name"] == "delete-tenant-3-key")
        .expect("the deletion");
    assert_eq!(tenants_of(&fault["tenants"]), vec![3]);
    let targeted: Vec<&str> = fault["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p["path"].as_str().expect("name"))
        .collect();
    assert_eq!(targeted, vec!["isolated-t3", "pooled-t3"]);
    let blast = fault["blast_radius"].as_array().expect("blast radius");
    assert_eq!(blast.len(), 2);
    let (isolated, pooled) = (&blast[0], &blast[1]);
    assert_eq!(isolated["path"], "isolated");
    assert_eq!(tenants_of(&isolated["targeted"]), vec![3]);
    assert_eq!(tenants_of(&isolated["hit"]), vec![3]);
    assert!(tenants_of(&isolated["collateral"]).is_empty());
    for t in isolated["tenants"].as_array().expect("tenants") {
        if u(&t["tenant"]) != 3 {
            assert_eq!(u(&t["errors_during"]) + u(&t["failed_during"]), 0, "{t}");
        }
    }
    assert_eq!(pooled["path"], "pooled");
    assert_eq!(tenants_of(&pooled["targeted"]), vec![3]);
    assert_eq!(tenants_of(&pooled["hit"]), (1..=8).collect::<Vec<_>>());
    assert_eq!(tenants_of(&pooled["collateral"]), vec![1, 2, 4, 5, 6, 7, 8]);

    // The console and the HTML report show both.
    assert!(stdout.contains("Blast radius"), "{stdout}");
    let line = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Blast radius"))
        .find(|l| l.starts_with("delete-tenant-3-key") && l.contains("pooled"))
        .expect("the pooled blast-radius row");
    assert!(line.contains("1-8") && line.contains("1 2 4-8"), "{line}");
    let report = out.join("report");
    let status = bin()
        .args(["report", "--out"])
        .arg(&report)
        .arg(out.join("result.json"))
        .status()
        .expect("report runs");
    assert!(status.success());
    let html = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(html.contains("<h3>Tenants</h3>") && html.contains("<h3>Blast radius</h3>"));
    // The blast-radius plot: a panel per fault and path, the targeted tenant's bars apart from
    // the others' (which the pooled path's deletion gives, and the isolated path's does not).
    assert!(html.contains("data-plot=\"blast-radius\""));
    assert!(html.contains("data-series=\"targeted tenant\""));
    assert!(html.contains("data-series=\"other tenants\""));

    // plan: the run's own tenants, then 16 tenants under one key.
    let plan = |extra: &[&str]| -> Value {
        let o = bin()
            .args(["plan", "--records-per-sec", "100", "--record-bytes", "1024"])
            .args(["--format", "json"])
            .args(extra)
            .arg(out.join("result.json"))
            .output()
            .expect("plan runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).expect("plan JSON")
    };
    let p = plan(&[]);
    let names: Vec<&str> = p["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|x| x["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        vec!["isolated", "pooled"],
        "one plan per path as written"
    );
    let t = &p["tenants"];
    assert_eq!(u(&t["tenants"]), 8);
    for (row, (keys, mode)) in t["paths"]
        .as_array()
        .expect("rows")
        .iter()
        .zip([(8, "per-tenant"), (1, "shared")])
    {
        let one = p["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .find(|x| x["name"] == row["name"])
            .expect("path");
        let per = one["kms"]["requests_per_sec"].as_f64().expect("rate");
        let all = row["requests_per_sec"].as_f64().expect("rate");
        assert!((all - 8.0 * per).abs() < 1e-9, "{row}");
        assert_eq!(
            (u(&row["customer_managed_keys"]), row["key"].as_str()),
            (keys, Some(mode))
        );
    }
    let shared = plan(&["--tenants", "16", "--tenant-key", "shared"]);
    assert_eq!(u(&shared["tenants"]["tenants"]), 16);
    let steps: Vec<u64> = shared["tenants"]["growth"]
        .as_array()
        .expect("growth")
        .iter()
        .map(|s| u(&s["tenants"]))
        .collect();
    assert_eq!(steps, vec![1, 2, 4, 8, 16]);
    for row in shared["tenants"]["paths"].as_array().expect("rows") {
        assert_eq!(u(&row["customer_managed_keys"]), 1, "{row}");
    }
    let bad = bin()
        .args([
            "plan",
            "--records-per-sec",
            "1",
            "--record-bytes",
            "1",
            "--tenants",
            "0",
        ])
        .arg(out.join("result.json"))
        .output()
        .expect("plan runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--tenants"));
}

/// SSE-KMS tenants on the virtual clock: Kinesis asks KMS for each tenant's stream's data key
/// once per reuse window whether the key is shared or not (so a shared key saves key-months,
/// never requests), and a disabled key reaches one tenant or all three.
#[test]
fn sse_kms_tenants_share_or_own_a_key_and_a_disable_reaches_as_far_as_the_key() {
    let dir = tempdir("sse");
    let file = dir.join("sse-tenants.toml");
    std::fs::write(
        &file,
        r#"name = "sse-tenants"
duration = "60s"
warmup = "10s"
seed = 7
clock = "virtual"

[workload]
rate_per_sec = 5
record_size = 256
api = "put-record"

[tenants]
count = 3

[[paths]]
kind = "sse-kms"
name = "own"
key = "customer-managed"
reuse_period = "10s"

[[paths]]
kind = "sse-kms"
name = "one"
key = "customer-managed"
reuse_period = "10s"
tenant_key = "shared"

[[faults]]
kind = "disable-key"
name = "off"
at = "30s"
for = "10s"
tenants = [2]

[expect]
max_lost = 0
max_unreadable = 0
"#,
    )
    .expect("write");
    let out = dir.join("run");
    let run = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .expect("binary runs");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).expect("result"))
            .expect("JSON");
    let groups = r["tenants"]["groups"].as_array().expect("groups");
    assert_eq!(u(&groups[0]["distinct_keys"]), 3);
    assert_eq!(u(&groups[1]["distinct_keys"]), 1);
    // Kinesis asks KMS in every reuse window before the fault, on every stream.
    for p in r["paths"].as_array().expect("paths") {
        let w = p["kms_calls"]["per_window"].as_array().expect("windows");
        assert!(w.iter().take(2).all(|c| u(c) > 0), "{}: {w:?}", p["name"]);
    }
    // One data key per stream per reuse window, whoever owns the key: every stream whose key
    // was off for the same ten seconds asked for as many data keys (own-t2 and the three that
    // share one key), and so did the two that kept theirs (own-t1, own-t3).
    let data_keys = |name: &str| u(&path(&r, name)["kms_calls"]["by_operation"]["GenerateDataKey"]);
    for t in [1, 2, 3] {
        assert_eq!(
            data_keys(&format!("one-t{t}")),
            data_keys("own-t2"),
            "one-t{t}"
        );
    }
    assert_eq!(data_keys("own-t1"), data_keys("own-t3"));
    let fault = &r["faults"][0];
    let blast = fault["blast_radius"].as_array().expect("blast radius");
    assert_eq!(tenants_of(&blast[0]["hit"]), vec![2], "own: {}", blast[0]);
    assert_eq!(
        tenants_of(&blast[1]["hit"]),
        vec![1, 2, 3],
        "one: {}",
        blast[1]
    );
    assert_eq!(tenants_of(&blast[1]["collateral"]), vec![1, 3]);
    // The disable ended: every tenant's records were read in the end.
    for p in r["paths"].as_array().expect("paths") {
        let l = &p["ledger"];
        assert_eq!(u(&l["decrypted"]), u(&l["acked"]), "{}", p["name"]);
    }
}

/// `[tenants] weights`: the tenants' load split in the weights' proportions, on the virtual
/// clock. Each tenant's sent count is its share of `count` x `rate_per_sec` x `duration`, an
/// uncached envelope path's GenerateDataKey calls follow it one for one, and the result, its
/// tenant table and the report carry each tenant's rate.
#[test]
fn weights_split_the_tenants_load() {
    let out = tempdir("weights");
    let f = out.join("weights.toml");
    std::fs::write(
        &f,
        "name = \"weights\"\nduration = \"20s\"\nclock = \"virtual\"\n[workload]\nrate_per_sec = 4\nrecord_size = 64\n\
         [tenants]\ncount = 3\nweights = [4, 1, 1]\n\
         [[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"plaintext\"\n",
    )
    .expect("write");
    let run = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(out.join("out"))
        .arg(&f)
        .output()
        .expect("binary runs");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("out/result.json")).expect("result.json"),
    )
    .expect("JSON");
    // 3 tenants x 4 records/s = 12 a second per path, split 4:1:1 = 8, 2, 2, for 20 s.
    let want = [(1, 8.0, 160), (2, 2.0, 40), (3, 2.0, 40)];
    for group in ["envelope", "plaintext"] {
        for (tenant, rate, sent) in want {
            let p = path(&r, &format!("{group}-t{tenant}"));
            assert_eq!(
                p["tenant"]["rate_per_sec"].as_f64(),
                Some(rate),
                "{group}-t{tenant}"
            );
            let l = &p["ledger"];
            assert_eq!(u(&l["sent"]), sent, "{group}-t{tenant}: {l}");
            assert_eq!(u(&l["decrypted"]), sent, "{group}-t{tenant}: {l}");
            if group == "envelope" {
                // No data-key cache: a data key per record.
                let k = &p["kms_calls"];
                let keys = u(&k["by_operation"]["GenerateDataKey"]);
                assert_eq!(keys, sent, "{group}-t{tenant}");
                // Its rate is over the load's 20 s, not the run's (drain included): every data
                // key falls in that one window, and a month is 2,592,000 s of that rate.
                assert_eq!(
                    k["window_secs"].as_f64(),
                    Some(20.0),
                    "{group}-t{tenant}: {k}"
                );
                let per_window = k["calls_per_window"].as_f64().expect("calls per window");
                assert!(per_window >= sent as f64, "{group}-t{tenant}: {k}");
                let monthly = k["monthly_requests"].as_f64().expect("monthly");
                let want = per_window / 20.0 * 2_592_000.0;
                assert!((monthly - want).abs() < 1e-6 * want, "{monthly} != {want}");
            }
        }
    }
    let rows = r["tenants"]["groups"][0]["tenants"]
        .as_array()
        .expect("tenant rows");
    let rates: Vec<f64> = rows
        .iter()
        .map(|x| x["rate_per_sec"].as_f64().expect("rate"))
        .collect();
    assert_eq!(rates, [8.0, 2.0, 2.0]);
    let report = out.join("report");
    let status = bin()
        .args(["report", "--out"])
        .arg(&report)
        .arg(out.join("out/result.json"))
        .status()
        .expect("report runs");
    assert!(status.success());
    let html = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(
        html.contains("<th>rate/s</th>"),
        "the tenant table's rate column"
    );
}
