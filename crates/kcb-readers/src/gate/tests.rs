//! The gate's verdicts on synthetic runs.

use super::*;
use crate::metrics::{LatencyHistogram, Overhead};
use crate::result::SCHEMA_VERSION;

use crate::metrics::testing::lcg;

/// The sample result (plaintext, envelope, sse-kms) with put latencies from `lat` (name ->
/// values), the summaries and overheads made consistent, and the histograms attached.
fn run(file: &str, lat: &[(&str, Vec<u64>)]) -> GateRun {
    let mut r = crate::result::sample_run_result();
    let mut hists = Vec::new();
    for (name, values) in lat {
        let mut h = LatencyHistogram::new();
        for v in values {
            h.record_us(*v);
        }
        if let Some(p) = r.paths.iter_mut().find(|p| p.name == *name) {
            p.put_latency_us = h.summary();
        }
        hists.push((
            format!("{name}.put"),
            vec![crate::metrics::sparse(h.inner())],
        ));
    }
    let plain = r.paths[0].put_latency_us;
    for p in r.paths.iter_mut().skip(1) {
        p.overhead_vs_plaintext_us = Some(Overhead::between(&p.put_latency_us, &plain));
    }
    GateRun {
        file: PathBuf::from(file),
        result: r,
        histograms: Ok(hists),
    }
}

/// The sample result with each path's put latencies as 30 one-second intervals: `slow` seconds
/// 300 µs slower for every path (a busy machine), envelope `extra` µs over plaintext.
fn run_in_seconds(file: &str, extra: u64, slow: std::ops::Range<u64>, seed: u64) -> GateRun {
    let mut r = crate::result::sample_run_result();
    let mut hists = Vec::new();
    for (k, name) in ["plaintext", "envelope", "sse-kms"].iter().enumerate() {
        let mut whole = LatencyHistogram::new();
        let mut intervals = Vec::new();
        for sec in 0..30u64 {
            let base = 1_000 + if slow.contains(&sec) { 300 } else { 0 };
            let add = if *name == "envelope" {
                extra
            } else {
                20 * k as u64
            };
            let mut h = LatencyHistogram::new();
            for v in lcg(seed * 1_000 + 31 * k as u64 + sec, 100, base + add, 300) {
                h.record_us(v);
                whole.record_us(v);
            }
            intervals.push(crate::metrics::sparse(h.inner()));
        }
        if let Some(p) = r.paths.iter_mut().find(|p| p.name == *name) {
            p.put_latency_us = whole.summary();
        }
        hists.push((format!("{name}.put"), intervals));
    }
    let plain = r.paths[0].put_latency_us;
    for p in r.paths.iter_mut().skip(1) {
        p.overhead_vs_plaintext_us = Some(Overhead::between(&p.put_latency_us, &plain));
    }
    GateRun {
        file: PathBuf::from(file),
        result: r,
        histograms: Ok(hists),
    }
}

#[test]
fn blocks_of_time_keep_a_busy_spell_from_passing_as_a_regression() {
    // The same paths; the busy spell falls in other seconds of each run.
    let base = run_in_seconds("base.json", 60, 10..20, 1);
    let cur = run_in_seconds("cur.json", 60, 0..10, 2);
    let report = compare(&base, &cur, &cfg());
    assert!(!report.regressed(), "{}", render(&report));
    // A real 200 µs regression still fails.
    let worse = run_in_seconds("worse.json", 260, 0..10, 3);
    let report = compare(&base, &worse, &cfg());
    assert!(
        regressions(&report).contains(&("envelope".to_owned(), Metric::OverheadP50)),
        "{}",
        render(&report)
    );
}

fn latencies(shift_envelope: u64, seed: u64) -> Vec<(&'static str, Vec<u64>)> {
    vec![
        ("plaintext", lcg(seed, 3_000, 1_000, 500)),
        (
            "envelope",
            lcg(seed + 1, 3_000, 1_060 + shift_envelope, 500),
        ),
        ("sse-kms", lcg(seed + 2, 3_000, 1_050, 500)),
    ]
}

fn cfg() -> GateConfig {
    let mut c = GateConfig::default();
    c.bootstrap.resamples = 500;
    c
}

fn verdicts(r: &GateReport) -> Vec<(String, Metric, Verdict)> {
    r.rows
        .iter()
        .map(|x| (x.path.clone(), x.metric, x.verdict))
        .collect()
}

fn regressions(r: &GateReport) -> Vec<(String, Metric)> {
    r.rows
        .iter()
        .filter(|x| x.verdict == Verdict::Regressed)
        .map(|x| (x.path.clone(), x.metric))
        .collect()
}

#[test]
fn identical_runs_pass() {
    let a = run("a.json", &latencies(0, 1));
    let report = compare(&a, &a, &cfg());
    assert_eq!(report.exit_code(), Exit::Ok, "{}", render(&report));
    // plaintext: kms + inflation; envelope and sse-kms: p50, p99, kms, inflation.
    assert_eq!(report.rows.len(), 10);
    assert!(
        report.rows.iter().all(|r| r.verdict == Verdict::Pass),
        "{report:?}"
    );
    for r in report
        .rows
        .iter()
        .filter(|r| matches!(r.metric, Metric::OverheadP50 | Metric::OverheadP99))
    {
        match r.evidence {
            Evidence::Interval { low, high } => assert!(low <= 0.0 && 0.0 <= high, "{r:?}"),
            other => panic!("expected an interval, got {other:?}"),
        }
    }
}

#[test]
fn a_200us_slower_envelope_fails_its_p50_only() {
    let base = run("base.json", &latencies(0, 1));
    let cur = run("cur.json", &latencies(200, 11));
    let report = compare(&base, &cur, &cfg());
    assert_eq!(
        regressions(&report),
        vec![("envelope".to_owned(), Metric::OverheadP50)],
        "{}",
        render(&report)
    );
    assert_eq!(report.exit_code(), Exit::Failed);
    let text = render(&report);
    assert!(
        text.contains("gate: FAIL, regressed: envelope overhead p50"),
        "{text}"
    );
}

#[test]
fn without_histograms_point_estimates_are_compared_and_said_so() {
    let mut base = run("base.json", &latencies(0, 1));
    let mut cur = run("cur.json", &latencies(200, 11));
    base.histograms = Err("no latency.hlog beside base.json".to_owned());
    cur.histograms = Err("no latency.hlog beside cur.json".to_owned());
    let report = compare(&base, &cur, &cfg());
    let env_p50 = report
        .rows
        .iter()
        .find(|r| r.path == "envelope" && r.metric == Metric::OverheadP50);
    match env_p50 {
        Some(r) => {
            assert_eq!(r.evidence, Evidence::Point);
            assert_eq!(r.verdict, Verdict::Regressed);
            assert!(
                r.note
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("no histograms: no noise estimate"),
                "{r:?}"
            );
        }
        None => panic!("no envelope p50 row"),
    }
    assert!(render(&report).contains("no histograms: no noise estimate"));
}

#[test]
fn a_log_of_another_run_is_not_used() {
    let base = run("base.json", &latencies(0, 1));
    let mut cur = run("cur.json", &latencies(0, 2));
    // The result says 3,000 envelope puts; pretend it said 2,999.
    cur.result.paths[1].put_latency_us.count = 2_999;
    let report = compare(&base, &cur, &cfg());
    let notes: Vec<&str> = report
        .rows
        .iter()
        .filter_map(|r| r.note.as_deref())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("the log belongs to another run")),
        "{notes:?}"
    );
}

#[test]
fn counts_are_exact() {
    let base = run("base.json", &latencies(0, 1));
    let mut cur = base.clone();
    // One KMS call more per window on sse-kms, one byte more per envelope record.
    cur.result.paths[2].kms_calls.calls_per_window += 1.0;
    cur.result.paths[1].inflation.overhead_bytes += 1.0;
    let report = compare(&base, &cur, &cfg());
    assert_eq!(
        regressions(&report),
        vec![
            ("envelope".to_owned(), Metric::InflationBytes),
            ("sse-kms".to_owned(), Metric::KmsCallsPerWindow)
        ]
    );
    // Within a threshold of 1 call and 1 byte they pass.
    let mut loose = cfg();
    loose.thresholds.kms_calls = 1;
    loose.thresholds.inflation_bytes = 1.0;
    assert_eq!(compare(&base, &cur, &loose).exit_code(), Exit::Ok);
    // Fewer calls is an improvement, not a failure.
    let report = compare(&cur, &base, &cfg());
    assert_eq!(report.exit_code(), Exit::Ok);
    assert!(verdicts(&report).contains(&(
        "sse-kms".to_owned(),
        Metric::KmsCallsPerWindow,
        Verdict::Improved
    )));
}

#[test]
fn paths_in_one_run_only_are_noted() {
    let base = run("base.json", &latencies(0, 1));
    let mut cur = base.clone();
    cur.result.paths[2].name = "sse-kms-2".to_owned();
    let report = compare(&base, &cur, &cfg());
    assert!(report
        .notes
        .contains(&"path sse-kms-2 is new: no baseline to compare with".to_owned()));
    assert!(report
        .notes
        .contains(&"path sse-kms is in the baseline only: not compared".to_owned()));
    assert_eq!(report.exit_code(), Exit::Ok);
}

#[test]
fn judge_by_hand() {
    let i = |low, high| Evidence::Interval { low, high };
    // Whole interval above +50: regressed; touching or straddling it: pass.
    assert_eq!(judge(120.0, i(60.0, 180.0), 50.0), Verdict::Regressed);
    assert_eq!(judge(120.0, i(50.0, 180.0), 50.0), Verdict::Pass);
    assert_eq!(judge(120.0, i(-10.0, 250.0), 50.0), Verdict::Pass);
    // Whole interval below -50: improved.
    assert_eq!(judge(-120.0, i(-180.0, -60.0), 50.0), Verdict::Improved);
    // Points and exact counts against the threshold.
    assert_eq!(judge(51.0, Evidence::Point, 50.0), Verdict::Regressed);
    assert_eq!(judge(50.0, Evidence::Point, 50.0), Verdict::Pass);
    assert_eq!(judge(1.0, Evidence::Exact, 0.0), Verdict::Regressed);
    assert_eq!(judge(0.0, Evidence::Exact, 0.0), Verdict::Pass);
    assert_eq!(judge(1e-9, Evidence::Exact, 0.0), Verdict::Pass);
    assert_eq!(judge(0.0, Evidence::None, 0.0), Verdict::Skipped);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kcb-gate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn loading_maps_unreadable_input_to_errors() {
    let dir = temp_dir("load");
    let missing = dir.join("missing.json");
    assert!(matches!(
        GateRun::load(&missing),
        Err(GateError::Result(ResultError::Io { .. }))
    ));
    let mut v = match serde_json::to_value(crate::result::sample_run_result()) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    v["schema_version"] = serde_json::Value::from(u64::from(SCHEMA_VERSION) + 1);
    let future = dir.join("future.json");
    let _ = std::fs::write(&future, v.to_string());
    match GateRun::load(&future) {
        Err(e @ GateError::Result(ResultError::UnsupportedVersion { .. })) => {
            assert_eq!(e.exit_code(), Exit::BadInput);
            assert!(e.to_string().contains("future.json"), "{e}");
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
    // A result without a log loads, with the reason the histograms are missing.
    let ok = dir.join("result.json");
    assert!(crate::result::sample_run_result().write(&ok).is_ok());
    match GateRun::load(&ok) {
        Ok(r) => assert!(r.histograms.is_err()),
        Err(e) => panic!("{e}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_baseline_copies_the_result_and_its_log() {
    let dir = temp_dir("save");
    let run_dir = dir.join("run");
    let _ = std::fs::create_dir_all(&run_dir);
    let result = run_dir.join("result.json");
    assert!(crate::result::sample_run_result().write(&result).is_ok());
    let h = LatencyHistogram::new();
    let log = run_dir.join("latency.hlog");
    assert!(crate::metrics::write_hlog(
        &log,
        std::time::SystemTime::now(),
        &[("plaintext.put", h.inner())]
    )
    .is_ok());
    let baselines = dir.join("baselines");
    let saved = match save_baseline(&result, &baselines, "main-2025") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(saved.json, baselines.join("main-2025.json"));
    assert_eq!(saved.hlog, Some(baselines.join("main-2025.hlog")));
    assert_eq!(std::fs::read(&saved.json).ok(), std::fs::read(&result).ok());
    // The saved baseline finds its own log.
    assert_eq!(
        hlog_beside(&saved.json),
        Some(baselines.join("main-2025.hlog"))
    );
    // Without a log the stale copy goes.
    let _ = std::fs::remove_file(&log);
    match save_baseline(&result, &baselines, "main-2025") {
        Ok(s) => assert_eq!(s.hlog, None),
        Err(e) => panic!("{e}"),
    }
    assert!(!baselines.join("main-2025.hlog").exists());
    for bad in ["", "../x", ".hidden", "a b"] {
        assert!(
            matches!(
                save_baseline(&result, &baselines, bad),
                Err(GateError::Invalid { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        save_baseline(&dir.join("nope.json"), &baselines, "x"),
        Err(GateError::Result(ResultError::Io { .. }))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_has_every_column() {
    let base = run("base.json", &latencies(0, 1));
    let report = compare(&base, &base, &cfg());
    let text = render(&report);
    let header = text.lines().find(|l| l.starts_with("metric")).unwrap_or("");
    for col in [
        "metric",
        "path",
        "baseline",
        "current",
        "change",
        "95% CI of change",
        "threshold",
        "verdict",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(text.contains("kms calls/window  sse-kms"), "{text}");
    assert!(text.contains("gate: pass"), "{text}");
}

/// `a` with its first path fallen behind its schedule.
fn behind(mut a: GateRun) -> GateRun {
    if let Some(g) = a.result.paths[0].generator.as_mut() {
        g.kept = false;
    }
    if let Some(g) = a.result.generator.as_mut() {
        g.kept = false;
    }
    a
}

#[test]
fn a_run_behind_its_schedule_is_refused_unless_allowed_and_then_said() {
    let a = run("a.json", &latencies(0, 1));
    let late = behind(run("b.json", &latencies(0, 1)));
    for (base, cur) in [(&a, &late), (&late, &a)] {
        let report = compare(base, cur, &cfg());
        let text = render(&report);
        assert_eq!(report.exit_code(), Exit::Failed, "{text}");
        let refused: Vec<_> = report
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Refused)
            .map(|r| r.metric)
            .collect();
        // The latency overheads of envelope and sse-kms; counts and bytes are still judged.
        assert_eq!(refused.len(), 4, "{text}");
        assert!(refused
            .iter()
            .all(|m| matches!(m, Metric::OverheadP50 | Metric::OverheadP99)));
        assert!(text.contains("gate: FAIL, refused"), "{text}");
    }
    let allowed = GateConfig {
        allow_behind_schedule: true,
        ..cfg()
    };
    let report = compare(&a, &late, &allowed);
    let text = render(&report);
    assert_eq!(report.exit_code(), Exit::Ok, "{text}");
    assert!(
        text.contains("judged anyway (--allow-behind-schedule)"),
        "{text}"
    );
}

/// `run` with each path billed at us-east-1's prices, the envelope path's records `envelope`
/// bytes each.
fn billed(file: &str, envelope: u64) -> GateRun {
    let mut a = run(file, &latencies(0, 1));
    a.result.paths[1].put_sizes = Some(crate::result::PutSizes::of(envelope, 6_000));
    let p = crate::bill::PriceTable::shipped("us-east-1").expect("us-east-1 ships");
    crate::bill::bill_run(&mut a.result, Some((&p, "shipped prices for us-east-1")));
    a
}

#[test]
fn a_change_that_seals_records_past_a_kilobyte_boundary_fails_max_cost_increase() {
    // Baseline envelope records 2,000 B (2 KB on-demand); current 2,100 B (3 KB). At the
    // sample's 100 records/s: 259,200,000 records a month, 1 KB more each = 247.19 GB more
    // Data-In × $0.08 = $19.78, plus 100 B more read each (24.14 GB × $0.04 = $0.97).
    let (base, cur) = (billed("base.json", 2_000), billed("cur.json", 2_100));
    let mut c = cfg();
    c.thresholds.cost = Some(config::CostLimit::parse("5%").unwrap());
    let r = compare(&base, &cur, &c);
    let row = |path: &str| {
        r.rows
            .iter()
            .find(|x| x.metric == Metric::MonthlyCost && x.path == path)
            .unwrap_or_else(|| panic!("no {path} row in {:?}", r.rows))
    };
    let od = row("envelope (on-demand)");
    assert_eq!(od.verdict, Verdict::Regressed, "{od:?}");
    let change = od.change.unwrap();
    assert!(
        (change - (19.775_390_625 + 0.965_595_245_361_328_1)).abs() < 1e-6,
        "{change}"
    );
    // Provisioned: 100 records/s of 2,100 B still fit one shard and one payload unit each.
    assert_eq!(row("envelope (provisioned)").verdict, Verdict::Pass);
    assert_eq!(row("plaintext (on-demand)").verdict, Verdict::Pass);
    assert_eq!(r.exit_code(), Exit::Failed);
    // $25 a month passes it; without the rule no bill is judged.
    c.thresholds.cost = Some(config::CostLimit::parse("$25").unwrap());
    assert_eq!(compare(&base, &cur, &c).exit_code(), Exit::Ok);
    assert!(compare(&base, &cur, &cfg())
        .rows
        .iter()
        .all(|x| x.metric != Metric::MonthlyCost));
}

#[test]
fn cost_limits_read_dollars_and_percents_and_refuse_the_rest() {
    assert_eq!(
        config::CostLimit::parse("2.50"),
        Ok(config::CostLimit::Usd(2.5))
    );
    assert_eq!(
        config::CostLimit::parse("$3"),
        Ok(config::CostLimit::Usd(3.0))
    );
    assert_eq!(
        config::CostLimit::parse(" 5% "),
        Ok(config::CostLimit::Share(0.05))
    );
    for bad in ["", "five", "-1", "%", "$-2"] {
        let e = config::CostLimit::parse(bad).unwrap_err();
        assert!(e.starts_with("must be dollars"), "{bad}: {e}");
    }
    let file = GateFile {
        max_cost_increase: Some("lots".to_owned()),
        ..GateFile::default()
    };
    let e = GateConfig::from_file(&file, "gate.toml").unwrap_err();
    assert!(
        e.to_string().contains("gate.toml: max_cost_increase"),
        "{e}"
    );
}
