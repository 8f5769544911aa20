//! Scenario runs on the virtual clock whose counts are exact: KMS calls per reuse window,
//! GenerateDataKey calls under a message-limited cache, envelope overhead to the byte, and a
//! plaintext path that inflates nothing.

use std::path::Path;
use std::sync::Arc;

use kcb::result::{AeadBackendName, PathResult, PathSettings, RunResult};
use kcb::runner;
use kcb::scenario;

fn run(toml: &str) -> RunResult {
    let s = scenario::parse(toml, Path::new("inline.toml")).expect("scenario validates");
    let rt = runner::runtime(true).expect("runtime");
    rt.block_on(runner::run_scenario(Arc::new(s), None, false))
        .expect("run")
        .result
}

fn path<'a>(r: &'a RunResult, name: &str) -> &'a PathResult {
    r.path(name).unwrap_or_else(|| panic!("no path {name}"))
}

fn op(p: &PathResult, op: &str) -> u64 {
    p.kms_calls.by_operation.get(op).copied().unwrap_or(0)
}

/// `op` calls of the whole run, the warm-up's included.
fn op_all(p: &PathResult, name: &str) -> u64 {
    op(p, name)
        + p.kms_calls
            .warmup_by_operation
            .get(name)
            .copied()
            .unwrap_or(0)
}

#[test]
fn one_simulated_hour_of_sse_makes_twelve_generate_data_key_calls() {
    let r = run(r#"
        name = "sse-hour"
        duration = "1h"
        seed = 11
        clock = "virtual"
        [workload]
        rate_per_sec = 1
        record_size = 256
        [[paths]]
        kind = "sse-kms"
        reuse_period = "5m"
    "#);
    let sse = path(&r, "sse-kms");
    // 60 minutes / 5-minute reuse window = 12 data keys for the one producer credential.
    assert_eq!(op(sse, "GenerateDataKey"), 12, "{:?}", sse.kms_calls);
    // The one consumer credential decrypts each window's key once: 12 more.
    assert_eq!(op(sse, "Decrypt"), 12, "{:?}", sse.kms_calls);
    assert_eq!(sse.kms_calls.per_window, vec![2; 12]);
    // The client itself made no KMS call: Kinesis made them on its behalf.
    assert_eq!(sse.kms_calls.client.total, 0);
    assert_eq!(sse.ledger.sent, 3600);
    assert_eq!(sse.ledger.lost, 0);
}

#[test]
fn message_limited_cache_needs_ceil_records_over_limit_keys() {
    let r = run(r#"
        name = "cache-msgs"
        duration = "5m"
        seed = 12
        clock = "virtual"
        [workload]
        rate_per_sec = 10
        record_size = 128
        [[paths]]
        kind = "envelope"
        name = "msgs100"
        cache = { max_messages = 100 }
        [[paths]]
        kind = "envelope"
        name = "msgs7"
        cache = { max_messages = 7 }
        [[paths]]
        kind = "envelope"
        name = "nocache"
    "#);
    let records = 3000u64;
    for (name, per_key) in [("msgs100", 100u64), ("msgs7", 7)] {
        let p = path(&r, name);
        assert_eq!(p.ledger.sent, records);
        assert_eq!(
            op(p, "GenerateDataKey"),
            records.div_ceil(per_key),
            "{name}"
        );
        // Client and service agree on the count.
        assert_eq!(
            p.kms_calls.client.by_operation.get("GenerateDataKey"),
            Some(&records.div_ceil(per_key))
        );
    }
    assert_eq!(op(path(&r, "nocache"), "GenerateDataKey"), records);
    assert_eq!(op(path(&r, "nocache"), "Decrypt"), records);
}

#[test]
fn envelope_overhead_matches_the_documented_format_to_the_byte() {
    let r = run(r#"
        name = "overhead"
        duration = "10s"
        seed = 13
        clock = "virtual"
        [workload]
        rate_per_sec = 1
        record_size = [32, 100, 1000, 65536, 1048300]
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        format = "compact"
        aead = "chacha20-poly1305"
        encryption_context = { purpose = "bench", team = "streaming" }
        cache = { max_age = "5m" }
        [[paths]]
        kind = "envelope"
        name = "envelope-rustcrypto"
        format = "compact"
        aead_backend = "rustcrypto"
        encryption_context = { purpose = "bench", team = "streaming" }
        cache = { max_age = "5m" }
    "#);
    // docs/envelope-format.md: 38 fixed bytes; 4 + |k| + |v| per context pair; one KMS key of
    // 6 + |"aws-kms"| + |key ARN| + |blob|. The embedded KMS's key ARN is
    // arn:aws:kms:us-east-1:111122223333:key/<36-char uuid> (75 bytes) and its blob 167 bytes.
    let pairs = (4 + "purpose".len() + "bench".len()) + (4 + "team".len() + "streaming".len());
    let key = 6 + "aws-kms".len() + 75 + 167;
    let expected = (38 + pairs + key) as i64;
    let env = path(&r, "envelope");
    assert_eq!(env.inflation.by_size.len(), 5);
    for row in &env.inflation.by_size {
        assert_eq!(row.overhead_bytes, expected, "size {}", row.plaintext_bytes);
        assert_eq!(
            row.record_bytes as i64,
            row.plaintext_bytes as i64 + expected
        );
    }
    // The other backend writes the same format: the same bytes per record, every one read back.
    let rc = path(&r, "envelope-rustcrypto");
    for row in &rc.inflation.by_size {
        assert_eq!(row.overhead_bytes, expected, "size {}", row.plaintext_bytes);
    }
    assert_eq!((rc.ledger.corrupted, rc.ledger.unreadable), (0, 0));
    assert_eq!(rc.ledger.decrypted, rc.ledger.acked);
    assert_eq!(rc.ledger.acked, env.ledger.acked);
    let backend = |p: &PathResult| match &p.settings {
        PathSettings::Envelope(e) => Some(e.aead_backend),
        _ => None,
    };
    assert_eq!(backend(env), Some(AeadBackendName::AwsLcRs));
    assert_eq!(backend(rc), Some(AeadBackendName::RustCrypto));
    let fits = 1_048_576 - expected as u64 - "pk-63".len() as u64;
    assert_eq!(env.inflation.max_plaintext_that_fits, fits);
    let plain = path(&r, "plaintext");
    for row in &plain.inflation.by_size {
        assert_eq!(row.overhead_bytes, 0);
        assert_eq!(row.record_bytes, row.plaintext_bytes);
    }
    assert_eq!(plain.inflation.overhead_bytes, 0.0);
    assert_eq!(plain.inflation.ratio, 1.0);
    // 1,048,300 bytes plus the envelope no longer fits; on the plaintext path it does.
    let big = |p: &PathResult| {
        p.inflation
            .by_size
            .iter()
            .find(|s| s.plaintext_bytes == 1_048_300)
            .map(|s| s.fits_1mib)
    };
    assert_eq!(big(env), Some(false));
    assert_eq!(big(plain), Some(true));
    // Every record was accounted for; the ones too big to fit failed, none was lost.
    for p in &r.paths {
        assert_eq!(
            p.ledger.sent,
            p.ledger.acked + p.ledger.failed,
            "{}",
            p.name
        );
        assert_eq!(p.ledger.lost, 0, "{}", p.name);
    }
    assert_eq!(env.ledger.failed, 2);
    assert_eq!(plain.ledger.failed, 0);
    // Put latency is kept per size: every size that was acknowledged has one, the size that
    // never fit the envelope path has none.
    for p in [env, plain] {
        for row in &p.inflation.by_size {
            let acked = p.name == "plaintext" || row.plaintext_bytes != 1_048_300;
            assert_eq!(
                row.put_p50_us.is_some(),
                acked,
                "{} at {}",
                p.name,
                row.plaintext_bytes
            );
        }
    }
}

#[test]
fn esdk_record_sizes_match_the_specification_arithmetic_to_the_byte() {
    let r = run(r#"
        name = "esdk-sizes"
        duration = "10s"
        seed = 13
        clock = "virtual"
        [workload]
        rate_per_sec = 1
        record_size = [32, 4095, 4096, 65536, 1048300]
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        name = "signed"
        encryption_context = { purpose = "bench" }
        cache = { max_age = "5m" }
        [[paths]]
        kind = "envelope"
        name = "unsigned"
        suite = "0x0478"
        frame_length = 1000
        encryption_context = { purpose = "bench" }
    "#);
    // docs/envelope-format.md, written out here by hand: header 1 + 2 + 32 + 2 + |context| + 2
    // + one KMS key (6 + |"aws-kms"| + 75-byte ARN + 167-byte blob) + 1 + 4 + 32, header tag 16,
    // floor(P / F) regular frames of F + 32 bytes, a final frame of 40 + (P mod F), and for the
    // signing suite the public key pair (4 + 21 + 68) in the context and a 105-byte footer.
    let spec = |p: u64, frame: u64, signed: bool| {
        let pairs = 4 + "purpose".len() as u64 + "bench".len() as u64;
        let context = 2 + pairs + if signed { 4 + 21 + 68 } else { 0 };
        let key = 6 + "aws-kms".len() as u64 + 75 + 167;
        let header = 1 + 2 + 32 + 2 + context + 2 + key + 1 + 4 + 32 + 16;
        let body = (p / frame) * (frame + 32) + 40 + p % frame;
        header + body + if signed { 105 } else { 0 }
    };
    for (name, frame, signed) in [("signed", 4096, true), ("unsigned", 1000, false)] {
        let env = path(&r, name);
        assert_eq!(env.inflation.by_size.len(), 5);
        for row in &env.inflation.by_size {
            assert_eq!(
                row.record_bytes,
                spec(row.plaintext_bytes, frame, signed),
                "{name} at {} bytes",
                row.plaintext_bytes
            );
        }
        // The largest plaintext that fits one record with the longest partition key.
        let limit = 1_048_576 - "pk-63".len() as u64;
        let fits = (0..=limit)
            .rev()
            .find(|&p| spec(p, frame, signed) <= limit)
            .expect("something fits");
        assert_eq!(env.inflation.max_plaintext_that_fits, fits, "{name}");
        // 1,048,300 bytes does not fit with either suite: those records failed, none was lost.
        assert_eq!(env.ledger.failed, 2, "{name}");
        assert_eq!(env.ledger.lost, 0, "{name}");
        assert_eq!(
            env.ledger.sent,
            env.ledger.acked + env.ledger.failed,
            "{name}"
        );
        assert_eq!(env.ledger.corrupted, 0, "{name}");
    }
    // One GenerateDataKey for the cached signing path (one public key for all its records);
    // one per record for the uncached one, each record read back with its own Decrypt.
    assert_eq!(op(path(&r, "signed"), "GenerateDataKey"), 1);
    let unsigned = path(&r, "unsigned");
    assert_eq!(op(unsigned, "GenerateDataKey"), unsigned.ledger.sent);
    assert_eq!(op(unsigned, "Decrypt"), unsigned.ledger.acked);
}

#[test]
fn a_short_runs_monthly_cost_is_the_per_window_arithmetic_and_the_warm_up_is_apart() {
    let r = run(r#"
        name = "short"
        duration = "10s"
        warmup = "2s"
        seed = 14
        clock = "virtual"
        [workload]
        rate_per_sec = 20
        record_size = 256
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        cache = { max_age = "5m" }
        [[paths]]
        kind = "sse-kms"
        key = "customer-managed"
        reuse_period = "5m"
    "#);
    for name in ["envelope", "sse-kms"] {
        let k = &path(&r, name).kms_calls;
        // One data key for the whole run, fetched (and decrypted once) in the warm-up.
        assert_eq!(k.warmup_calls, 2, "{name}: {k:?}");
        assert_eq!(
            k.warmup_by_operation.get("GenerateDataKey"),
            Some(&1),
            "{name}"
        );
        assert_eq!(k.total, 0, "{name}: the warm-up's calls are counted apart");
        assert!(k.by_operation.is_empty(), "{name}");
        // Shorter than one 300 s window: 2 calls per window, from the load's first window.
        assert_eq!(k.calls_per_window, 2.0, "{name}");
        assert!(
            k.cost_basis.contains("first window"),
            "{name}: {}",
            k.cost_basis
        );
        // 2 / 300 s × 2,592,000 s = 17,280 requests; × $0.03 / 10,000 = $0.05184; + 1 key-month.
        assert!((k.monthly_requests - 17_280.0).abs() < 1e-6, "{name}");
        let cents = |usd: f64| (usd * 100.0).round() as i64;
        assert_eq!(cents(k.request_cost_usd_per_month), 5, "{name}");
        assert_eq!(k.customer_managed_keys, 1, "{name}");
        assert_eq!(cents(k.monthly_cost_usd), 105, "{name}");
    }
    let plain = &path(&r, "plaintext").kms_calls;
    assert_eq!(
        (plain.total, plain.warmup_calls, plain.customer_managed_keys),
        (0, 0, 0)
    );
    assert_eq!(plain.monthly_cost_usd, 0.0);
}

#[test]
fn a_plaintext_twin_gives_the_run_its_noise_floor_with_intervals() {
    let r = run(r#"
        name = "aa"
        duration = "12s"
        warmup = "1s"
        seed = 15
        clock = "virtual"
        [workload]
        rate_per_sec = 50
        record_size = 256
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        [control]
        plaintext_twin = true
    "#);
    let twin = path(&r, kcb::scenario::TWIN);
    assert_eq!(twin.kind, kcb::result::PathKind::Plaintext);
    assert_eq!(twin.ledger.lost, 0);
    let floor = r.noise_floor_us.unwrap_or_else(|| panic!("no noise floor"));
    assert_eq!(Some(floor), twin.overhead_vs_plaintext_us);
    // Every overhead carries its 95 % interval (12 one-second intervals: blocks of time), and
    // each interval holds its estimate.
    for p in [twin, path(&r, "envelope")] {
        let o = p
            .overhead_vs_plaintext_us
            .unwrap_or_else(|| panic!("{}", p.name));
        for (est, ci) in [(o.p50, o.p50_ci), (o.p99, o.p99_ci)] {
            let [lo, hi] = ci.unwrap_or_else(|| panic!("{}: no interval", p.name));
            assert!(lo <= hi, "{}: {o:?}", p.name);
            let _ = est;
        }
    }
    assert!(path(&r, "plaintext").overhead_vs_plaintext_us.is_none());
}

#[test]
fn crypto_is_costed_record_by_record_and_calibrated_before_the_load() {
    let r = run(r#"
        name = "crypto"
        duration = "5s"
        seed = 16
        clock = "virtual"
        [workload]
        rate_per_sec = 40
        record_size = [512, 4096]
        [[paths]]
        kind = "plaintext"
        [[paths]]
        kind = "envelope"
        cache = { max_age = "5m" }
    "#);
    let env = path(&r, "envelope");
    let c = &env.crypto;
    // Every record sealed once and opened once, each timed on its thread's CPU clock.
    assert_eq!(c.seal_records, env.ledger.sent);
    assert_eq!(c.open_records, env.ledger.read);
    assert!(c.seal_cpu_us > 0.0 && c.open_cpu_us > 0.0, "{c:?}");
    // Calibrated at both sizes before the load, many records each.
    let sizes: Vec<u64> = c.calibration.iter().map(|k| k.plaintext_bytes).collect();
    assert_eq!(sizes, vec![512, 4096]);
    for k in &c.calibration {
        assert!(
            k.records >= 20 && k.seal_ns > 0.0 && k.open_ns > 0.0,
            "{k:?}"
        );
        let per_mib = k.seal_ns / 1e6 / (k.plaintext_bytes as f64 / 1_048_576.0);
        assert!((k.seal_ms_per_mib - per_mib).abs() < 1e-9);
    }
    // Plaintext does no client-side crypto.
    let plain = &path(&r, "plaintext").crypto;
    assert!(plain.calibration.is_empty() && plain.seal_records == 0);
    // The plan uses the calibration nearest the planned size, and says so.
    let input = kcb::plan::PlanInput {
        records_per_sec: 1_000.0,
        record_bytes: 4_000,
        record_sizes: Vec::new(),
        region: None,
        consumers: 1,
        kms_quota_per_sec: None,
        tenants: None,
        tenant_key: None,
        efo_consumers: 0,
    };
    let plan = kcb::plan::plan(&r, &input);
    let cpu = plan
        .paths
        .iter()
        .find(|p| p.name == "envelope")
        .and_then(|p| p.cpu.clone())
        .unwrap_or_else(|| panic!("no cpu plan"));
    assert!(cpu.basis.contains("calibrated at 4,096 B"), "{}", cpu.basis);
    assert_eq!(cpu.seal_ms_per_mib, c.calibration[1].seal_ms_per_mib);
}

/// 100 records/s while every PutRecord takes 30 ms: three sends' worth of time per interval.
/// `max_in_flight` as the scenario writes it (`16`, `"auto"`).
pub(crate) fn slow_puts(max_in_flight: &str) -> String {
    format!(
        r#"
        name = "open-loop"
        duration = "5s"
        seed = 21
        clock = "virtual"
        [workload]
        rate_per_sec = 100
        record_size = 256
        max_in_flight = {max_in_flight}
        [[paths]]
        kind = "plaintext"
        [[faults]]
        kind = "latency"
        service = "kinesis"
        operations = ["PutRecord"]
        delay = "30ms"
        at = "0s"
    "#
    )
}

#[test]
fn a_slow_put_never_holds_back_the_next_send_up_to_max_in_flight() {
    // Open loop: three or four sends in flight at once, each 30 ms, none waiting for another.
    let open = run(&slow_puts("16"));
    let p = path(&open, "plaintext");
    assert_eq!(p.ledger.acked, 500, "{:?}", p.ledger);
    assert!(p.put_latency_us.p50 >= 30_000, "{:?}", p.put_latency_us);
    assert!(p.put_latency_us.max < 60_000, "{:?}", p.put_latency_us);
    assert!(p.schedule_lag_us.max < 1_000, "{:?}", p.schedule_lag_us);
    let g = p.generator.as_ref().expect("judged");
    assert!(g.kept, "{g:?}");
    assert!((3..=16).contains(&g.in_flight_high_water), "{g:?}");
    assert_eq!((g.window_waits, g.in_flight_limit), (0, 16), "{g:?}");
    // One send at a time: each record waits for the one before. By the end of the load (when
    // the fault is lifted) only about 5 s / 30 ms = 166 records have gone, the 166th intended
    // at 1.66 s, so the backlog reaches about 3.3 s. The wait shows as schedule lag, and
    // latency still counts from the intended time.
    let closed = run(&slow_puts("1"));
    let c = path(&closed, "plaintext");
    assert_eq!(c.ledger.acked, 500, "{:?}", c.ledger);
    assert!(c.put_latency_us.max > 3_000_000, "{:?}", c.put_latency_us);
    assert!(c.schedule_lag_us.p99 > 1_000_000, "{:?}", c.schedule_lag_us);
}

/// A service slower than the in-flight window allows: the run says it fell behind (the rate
/// it sent, the window full), and the default `schedule_kept` fails it; with "auto" the window
/// grows to what the latency needs and the same scenario keeps its schedule.
#[test]
fn a_window_too_small_for_the_service_is_behind_schedule_and_auto_keeps_it() {
    let closed = run(&slow_puts("1"));
    let g = path(&closed, "plaintext")
        .generator
        .clone()
        .expect("judged");
    assert!(!g.kept, "{g:?}");
    assert_eq!((g.in_flight_mode.as_str(), g.in_flight_limit), ("fixed", 1));
    // While the fault lasts (5 s) one 30 ms send at a time: about 166 sends each waited for the
    // one before. Once it is lifted the backlog goes at once, so the rate over the whole load
    // is nearly kept: the lag's p99 (3.3 s) is what shows the generator fell behind.
    assert!((150..=180).contains(&g.window_waits), "{g:?}");
    assert!(
        g.behind
            .as_deref()
            .unwrap_or("")
            .contains("schedule lag p99"),
        "{g:?}"
    );
    let growth = g.lag_growth_us_per_sec.expect("a growth");
    assert!(growth > 100_000.0, "{growth}");
    let failed: Vec<_> = closed
        .expectations
        .iter()
        .filter(|e| !e.passed)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", closed.expectations);
    assert!(failed[0].starts_with("schedule_kept"), "{failed:?}");
    assert!(closed
        .generator
        .as_ref()
        .is_some_and(|g| !g.kept && g.checked));

    let auto = run(&slow_puts("\"auto\""));
    let a = path(&auto, "plaintext");
    let g = a.generator.clone().expect("judged");
    assert!(g.kept, "{g:?} {:?}", a.schedule_lag_us);
    assert_eq!(g.in_flight_mode, "auto");
    assert!(a.schedule_lag_us.max < 1_000, "{:?}", a.schedule_lag_us);
    assert!(
        auto.expectations.iter().all(|e| e.passed),
        "{:?}",
        auto.expectations
    );

    // Turned off, the run still says it fell behind, but does not fail for it.
    let off = run(&format!(
        "{}\n[expect]\nschedule_kept = false\n",
        slow_puts("1")
    ));
    assert!(off
        .generator
        .as_ref()
        .is_some_and(|g| !g.kept && !g.checked));
    assert!(off.expectations.is_empty(), "{:?}", off.expectations);
}

/// A data-key cache whose KMS calls take 100 ms, at 100 records/s: every refill, the ten or so
/// sends that miss while the first call is in flight each make a call of their own by default,
/// as the AWS Encryption SDK's caching CMM does, and wait for the first one's key with
/// `single_flight`. Both paths refill as often; the default's GenerateDataKey calls are its
/// refills plus its concurrent misses, the single-flight path's its refills alone.
#[test]
fn concurrent_misses_each_call_kms_unless_the_cache_is_single_flight() {
    let r = run(r#"
        name = "misses"
        duration = "10s"
        warmup = "0s"
        seed = 22
        clock = "virtual"
        [workload]
        rate_per_sec = 100
        record_size = 256
        [[paths]]
        kind = "envelope"
        name = "esdk-like"
        cache = { max_age = "2s" }
        [[paths]]
        kind = "envelope"
        name = "single-flight"
        cache = { max_age = "2s", single_flight = true }
        [[faults]]
        kind = "latency"
        service = "kms"
        operations = ["GenerateDataKey"]
        delay = "100ms"
        at = "0s"
    "#);
    let calls = |p: &PathResult| op_all(p, "GenerateDataKey");
    let (esdk, single) = (path(&r, "esdk-like"), path(&r, "single-flight"));
    let esdk_misses = esdk.kms_calls.cache_concurrent_misses.expect("a cache");
    let single_misses = single.kms_calls.cache_concurrent_misses.expect("a cache");
    assert!(esdk_misses >= 5, "{:?}", esdk.kms_calls);
    assert!(single_misses >= 5, "{:?}", single.kms_calls);
    // Refills: one each 2 s of the 10 s load.
    let refills = calls(single);
    assert!((5..=6).contains(&refills), "{:?}", single.kms_calls);
    assert_eq!(calls(esdk), refills + esdk_misses, "{:?}", esdk.kms_calls);
    // The console says what single-flight would save.
    let text = kcb::report::table::render(&r);
    assert!(text.contains("single_flight = true would save"), "{text}");
}

/// Records of 1,000 and 1,100 bytes straddle on-demand's 1 KB rounding: a run bills each as it
/// was put (1 KB and 2 KB), not every record at the mean's 2 KB; and the path's bill prices
/// exactly those units.
#[test]
fn sizes_straddling_a_kilobyte_are_billed_record_by_record() {
    let r = run(r#"
        name = "straddle"
        duration = "60s"
        seed = 5
        clock = "virtual"
        [workload]
        rate_per_sec = 50
        record_size = [1000, 1100]
        [[paths]]
        kind = "plaintext"
    "#);
    let p = path(&r, "plaintext");
    let s = p.put_sizes.expect("put sizes");
    assert_eq!(s.records, p.ledger.sent, "every record sealed is counted");
    // bytes = 1,000 × n1000 + 1,100 × n1100, so n1100 = (bytes − 1,000 × records) / 100.
    let n1100 = (s.bytes - 1_000 * s.records) / 100;
    let n1000 = s.records - n1100;
    assert!(n1000 > 0 && n1100 > 0, "{s:?}");
    assert_eq!(s.on_demand_kb, n1000 + 2 * n1100, "{s:?}");
    assert!(s.on_demand_kb < 2 * s.records, "not rounded at the mean");
    // The bill's Data-In is those KB at the path's rate: 50 records/s × 2,592,000 s × (KB a
    // record) × 1,024 B / 2^30 GB.
    let bill = p.bill.as_ref().expect("us-east-1 prices ship");
    let od = bill
        .mode(kcb::result::BillMode::OnDemand)
        .expect("on-demand");
    let data_in = od
        .item(kcb::result::BillService::Kinesis, "Data-In")
        .expect("Data-In");
    let want =
        50.0 * 2_592_000.0 * (s.on_demand_kb as f64 / s.records as f64) * 1_024.0 / 1_073_741_824.0;
    assert!(
        (data_in.quantity - want).abs() < 1e-9 * want,
        "{} vs {want}",
        data_in.quantity
    );
}
