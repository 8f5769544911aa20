//! The console report: a header naming the run, then three tables with one row per path
//! (latency; KMS calls and record size; the record ledger and errors), then the scenario's
//! expectations, each PASS or FAIL with the value measured. Plain text, no colours.

use std::fmt::Write as _;

use crate::format;
use crate::result::{PathResult, RunResult};
use Align::{Left, Right};

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

/// A plain-text table: headers, rows, columns padded to their widest cell.
pub(super) struct Table {
    headers: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn new(headers: &[(&'static str, Align)]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(super) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(super) fn render_into(&self, out: &mut String) {
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, (h, _))| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| width(c))
                    .chain(std::iter::once(width(h)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
            let mut text = String::new();
            for (i, cell) in cells.enumerate() {
                let (w, align) = (
                    widths.get(i).copied().unwrap_or(0),
                    self.headers.get(i).map(|h| h.1).unwrap_or(Align::Left),
                );
                if i > 0 {
                    text.push_str("  ");
                }
                let pad = " ".repeat(w.saturating_sub(width(cell)));
                match align {
                    Align::Left => {
                        text.push_str(cell);
                        text.push_str(&pad);
                    }
                    Align::Right => {
                        text.push_str(&pad);
                        text.push_str(cell);
                    }
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut self.headers.iter().map(|h| h.0), out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut rule.iter().map(String::as_str), out);
        for r in &self.rows {
            line(&mut r.iter().map(String::as_str), out);
        }
    }
}

/// The whole console report for `result`.
pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    header(result, &mut out);
    schedule(result, &mut out);
    latency_table(result, &mut out);
    read_table(result, &mut out);
    kms_size_table(result, &mut out);
    ledger_table(result, &mut out);
    firehose_table(result, &mut out);
    super::bill::console(result, &mut out);
    faults_table(result, &mut out);
    super::tenant_tables::tenants(result, &mut out);
    super::tenant_tables::blast_radius(result, &mut out);
    workers_lines(result, &mut out);
    expectations(result, &mut out);
    out
}

/// A run split across machines: its workers, and what the merged figures mean.
fn workers_lines(r: &RunResult, out: &mut String) {
    let lines = super::workers::lines(r);
    if lines.is_empty() {
        return;
    }
    out.push_str("\nWorkers\n");
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(x) if x < 10.0 => format!("{x:.2} ms"),
        Some(x) => format!("{x:.0} ms"),
        None => "-".to_owned(),
    }
}

/// One row per fault and path: when it struck, how fast it showed, what it did, how fast the
/// path recovered, and put p99 before, during and after.
fn faults_table(r: &RunResult, out: &mut String) {
    if r.faults.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "
Faults (times from the fault's start; recovery from its end)"
    );
    let mut t = Table::new(&[
        ("fault", Left),
        ("kind", Left),
        ("window", Left),
        ("path", Left),
        ("1st error", Right),
        ("puts ok", Right),
        ("failed", Right),
        ("recovery", Right),
        ("rate back", Right),
        ("p99 before", Right),
        ("p99 during", Right),
        ("p99 after", Right),
        ("errors during", Left),
    ]);
    for f in &r.faults {
        let window = match f.end_secs {
            Some(e) => format!("{:.1}-{:.1} s", f.at_secs, e),
            None => format!("{:.1} s-", f.at_secs),
        };
        let window = if f.applied {
            window
        } else {
            format!("{window} (not applied)")
        };
        for p in &f.paths {
            let errors = if p.errors_during.is_empty() {
                "-".to_owned()
            } else {
                p.errors_during
                    .iter()
                    .map(|(n, c)| format!("{}={c}", n.strip_suffix("Exception").unwrap_or(n)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            t.row(vec![
                f.name.clone(),
                f.kind.clone(),
                window.clone(),
                p.path.clone(),
                ms(p.first_error_ms),
                format::count(p.puts_ok_during),
                format::count(p.failed_during),
                ms(p.recovery_ms),
                ms(p.throughput_recovery_ms),
                format::us(p.latency_before_us.p99),
                format::us(p.latency_during_us.p99),
                format::us(p.latency_after_us.p99),
                errors,
            ]);
        }
    }
    t.render_into(out);
    for f in r.faults.iter().filter(|f| !f.applied) {
        for n in &f.notes {
            let _ = writeln!(out, "  {}: {n}", f.name);
        }
    }
}

fn header(r: &RunResult, out: &mut String) {
    let s = &r.scenario;
    let m = &r.machine;
    let _ = writeln!(
        out,
        "kinesis-crypto-bench {}  scenario {} ({})  seed {}",
        r.harness_version, s.name, s.file, s.seed
    );
    let _ = writeln!(
        out,
        "started {}  wall {} s  measured {} s after {} s warm-up  {} rec/s  {} shards",
        r.started_at,
        format::measured(Some(round_to(r.wall_secs, 1))),
        format::measured(Some(s.duration_secs)),
        format::measured(Some(s.warmup_secs)),
        format::measured(Some(s.rate_per_sec)),
        s.shards
    );
    let account = r
        .target
        .account
        .as_deref()
        .map(|a| format!("  account {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "endpoint {}{account}  clock {}  machine {} ({}, {}, {} cpus, {})",
        r.endpoint, r.clock, m.hostname, m.os, m.arch, m.cpus, m.cpu_model
    );
    if r.interrupted {
        let _ = writeln!(out, "{}", format::INTERRUPTED);
    }
    if !r.target.roles_separated {
        let _ = writeln!(out, "{}", format::ROLES_NOT_SEPARATED);
    }
}

/// Whether the generator kept its schedule: said before any latency.
fn schedule(r: &RunResult, out: &mut String) {
    let behind = super::generator::behind_lines(r);
    if !behind.is_empty() {
        out.push('\n');
        for l in behind {
            let _ = writeln!(out, "{l}");
        }
    } else if let Some(l) = super::generator::kept_line(r) {
        let _ = writeln!(out, "{l}");
    }
    for note in super::generator::lag_notes(r) {
        let _ = writeln!(out, "note: {note}");
    }
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

fn latency_table(r: &RunResult, out: &mut String) {
    let _ = writeln!(
        out,
        "\nLatency, from the intended send time (end to end includes up to 200 ms of polling: 5 GetRecords calls/s per shard)"
    );
    let mut t = Table::new(&[
        ("path", Left),
        ("kind", Left),
        ("put p50", Right),
        ("put p99", Right),
        ("e2e p50", Right),
        ("e2e p99", Right),
        ("+p50 vs plain", Right),
        ("+p99 vs plain", Right),
        ("lag p99", Right),
    ]);
    for p in &r.paths {
        let (d50, d99) = match p.overhead_vs_plaintext_us {
            Some(o) => (
                format::overhead(o.p50, o.p50_ci),
                format::overhead(o.p99, o.p99_ci),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        t.row(vec![
            p.name.clone(),
            p.kind.to_string(),
            format::us(p.put_latency_us.p50),
            format::us(p.put_latency_us.p99),
            format::us(p.e2e_latency_us.p50),
            format::us(p.e2e_latency_us.p99),
            d50,
            d99,
            format::us(p.schedule_lag_us.p99),
        ]);
    }
    t.render_into(out);
    noise_floor_line(r, out);
}

fn noise_floor_line(r: &RunResult, out: &mut String) {
    if let Some(o) = &r.noise_floor_us {
        let _ = writeln!(
            out,
            "Noise floor (A/A: {} over plaintext): {}",
            crate::result::TWIN,
            format::noise_floor(o, r.noise_floor_records())
        );
    }
}

/// The read side: GetRecords call latency, its overhead over plaintext, and the consumer's CPU
/// to open one record.
fn read_table(r: &RunResult, out: &mut String) {
    if r.paths.iter().all(|p| p.get_latency_us.count == 0) {
        return;
    }
    let _ = writeln!(out, "\nRead side: GetRecords calls, timed at the transport");
    let mut t = Table::new(&[
        ("path", Left),
        ("get p50", Right),
        ("get p99", Right),
        ("+p50 vs plain", Right),
        ("+p99 vs plain", Right),
        ("open CPU/record", Right),
    ]);
    for p in &r.paths {
        t.row(read_side_cells(p));
    }
    t.render_into(out);
}

/// The read-side row of a path, for the console and the HTML page alike: name, get p50 and
/// p99, their overheads over plaintext, and the CPU time to open one record.
pub(crate) fn read_side_cells(p: &PathResult) -> Vec<String> {
    // A percentile of too few calls for its interval is not printed: it says how many it needs.
    let calls = p.get_latency_us.count;
    let enough = |q: f64, text: String| format::enough(text, q, calls, "calls");
    let (d50, d99) = match p.get_overhead_vs_plaintext_us {
        Some(o) => (
            enough(0.5, format::overhead(o.p50, o.p50_ci)),
            enough(0.99, format::overhead(o.p99, o.p99_ci)),
        ),
        None => ("-".to_owned(), "-".to_owned()),
    };
    let c = &p.crypto;
    let open = if c.open_records > 0 {
        format!("{:.2} µs", c.open_cpu_us / c.open_records as f64)
    } else {
        "-".to_owned()
    };
    vec![
        p.name.clone(),
        enough(0.5, format::us(p.get_latency_us.p50)),
        enough(0.99, format::us(p.get_latency_us.p99)),
        d50,
        d99,
        open,
    ]
}

/// What a data-key cache's concurrent misses cost or saved, in words; `None` when there were
/// none.
pub fn concurrent_misses(p: &PathResult) -> Option<String> {
    let n = p.kms_calls.cache_concurrent_misses.filter(|n| *n > 0)?;
    let single_flight = match &p.settings {
        crate::result::PathSettings::Envelope(e) => e.cache.as_ref()?.single_flight,
        _ => return None,
    };
    let calls = format::count(n);
    Some(if single_flight {
        format!("{calls} data-key cache misses waited for a KMS call already in flight (single_flight: {calls} calls saved)")
    } else {
        format!("{calls} data-key cache misses met a KMS call already in flight and made their own, as the AWS Encryption SDK's caching CMM does (single_flight = true would save {calls} calls)")
    })
}

fn kms_size_table(r: &RunResult, out: &mut String) {
    let _ = writeln!(out, "\nKMS calls and record size");
    let mut t = Table::new(&[
        ("path", Left),
        ("KMS calls", Right),
        ("warm-up", Right),
        ("per window", Right),
        ("$/30 days", Right),
        ("counted by", Left),
        ("record", Right),
        ("ratio", Right),
        ("max plaintext that fits", Right),
        ("per 5 MiB batch", Right),
    ]);
    for p in &r.paths {
        let k = &p.kms_calls;
        // A count that could not be made reads so, once, where the count would be.
        let (total, warmup, per_window, usd) = match &k.not_counted {
            Some(why) => (
                format!("not counted: {}", why.split(':').next().unwrap_or(why)),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
            None => (
                format::count(k.total),
                format::count(k.warmup_calls),
                if k.window_secs > 0.0 {
                    format!(
                        "{} per {}",
                        format::number(k.calls_per_window),
                        format::secs(k.window_secs)
                    )
                } else {
                    format::number(k.calls_per_window)
                },
                format::usd(k.monthly_cost_usd),
            ),
        };
        t.row(vec![
            p.name.clone(),
            total,
            warmup,
            per_window,
            usd,
            k.counted_by.clone(),
            format::bytes(p.inflation.record_bytes.round().max(0.0) as u64),
            format!("{:.2}x", p.inflation.ratio),
            format::bytes(p.inflation.max_plaintext_that_fits),
            format::count(p.inflation.records_per_5mib_batch),
        ]);
    }
    t.render_into(out);
    for p in &r.paths {
        if let Some(why) = &p.kms_calls.not_counted {
            let _ = writeln!(out, "  {}: KMS calls not counted: {why}", p.name);
        }
        if let Some(line) = concurrent_misses(p) {
            let _ = writeln!(out, "  {}: {line}", p.name);
        }
    }
    // Where each month's figure comes from: requests at a rate that holds, and key-months.
    for p in r
        .paths
        .iter()
        .filter(|p| p.kms_calls.monthly_cost_usd > 0.0 && p.kms_calls.not_counted.is_none())
    {
        let k = &p.kms_calls;
        let _ = writeln!(
            out,
            "  {}: {} = requests {} ({}) + {} key-month{} {}",
            p.name,
            format::usd(k.monthly_cost_usd),
            format::usd(k.request_cost_usd_per_month),
            k.cost_basis,
            k.customer_managed_keys,
            if k.customer_managed_keys == 1 {
                ""
            } else {
                "s"
            },
            format::usd(k.key_cost_usd_per_month)
        );
    }
}

fn ledger_table(r: &RunResult, out: &mut String) {
    let _ = writeln!(out, "\nRecords and errors");
    let mut t = Table::new(&[
        ("path", Left),
        ("sent", Right),
        ("acked", Right),
        ("failed", Right),
        ("read", Right),
        ("lost", Right),
        ("dup", Right),
        ("corrupt", Right),
        ("unreadable", Right),
        ("retries", Right),
        ("errors", Left),
    ]);
    for p in &r.paths {
        let l = &p.ledger;
        t.row(vec![
            p.name.clone(),
            format::count(l.sent),
            format::count(l.acked),
            format::count(l.failed),
            format::count(l.read),
            format::count(l.lost),
            format::count(l.duplicated),
            format::count(l.corrupted),
            format::count(l.unreadable),
            format::count(p.attempts.retries),
            compact_errors(p),
        ]);
    }
    t.render_into(out);
}

/// The Firehose deliveries table's columns.
pub(crate) const FIREHOSE_HEAD: [&str; 10] = [
    "path",
    "delivered p50",
    "delivered p99",
    "objects",
    "records delivered",
    "delayed (read late)",
    "retried (service)",
    "dropped (service)",
    "failed attempts",
    "last delivery error",
];

/// One row per Firehose path: what the harness read late, and the service's own count (`-`
/// where the target gives none); empty when the run has no Firehose path.
pub(crate) fn firehose_rows(r: &RunResult) -> Vec<Vec<String>> {
    r.paths
        .iter()
        .filter_map(|p| p.firehose.as_ref().map(|f| (p, f)))
        .map(|(p, f)| {
            let svc = f.service.as_ref();
            let n = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), format::count);
            vec![
                p.name.clone(),
                format::us(f.delivery_latency_us.p50),
                format::us(f.delivery_latency_us.p99),
                n(svc.map(|s| s.objects)),
                n(svc.map(|s| s.records)),
                format!(
                    "{} (> {} after the first)",
                    format::count(f.delayed_records),
                    format::secs(f.delayed_after_secs)
                ),
                n(svc.map(|s| s.retried_records)),
                n(svc.map(|s| s.dropped_records)),
                n(svc.map(|s| s.failed_attempts)),
                svc.and_then(|s| s.last_error.clone())
                    .unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect()
}

fn firehose_table(r: &RunResult, out: &mut String) {
    let rows = firehose_rows(r);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nFirehose deliveries (delivered: from the intended send time to the object's write, buffering included; end to end adds the read)"
    );
    let mut t = Table::new(&[
        (FIREHOSE_HEAD[0], Left),
        (FIREHOSE_HEAD[1], Right),
        (FIREHOSE_HEAD[2], Right),
        (FIREHOSE_HEAD[3], Right),
        (FIREHOSE_HEAD[4], Right),
        (FIREHOSE_HEAD[5], Right),
        (FIREHOSE_HEAD[6], Right),
        (FIREHOSE_HEAD[7], Right),
        (FIREHOSE_HEAD[8], Right),
        (FIREHOSE_HEAD[9], Left),
    ]);
    for row in rows {
        t.row(row);
    }
    t.render_into(out);
}

/// "KMSThrottling=3 ProvisionedThroughputExceeded=12": names without the "Exception" suffix.
fn compact_errors(p: &PathResult) -> String {
    if p.errors.is_empty() {
        return "-".to_owned();
    }
    p.errors
        .iter()
        .map(|(name, count)| {
            let short = name.strip_suffix("Exception").unwrap_or(name);
            format!("{short}={count}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn expectations(r: &RunResult, out: &mut String) {
    if r.expectations.is_empty() {
        let _ = writeln!(out, "\nExpectations: none");
        return;
    }
    let passed = r.expectations.iter().filter(|e| e.passed).count();
    let _ = writeln!(
        out,
        "\nExpectations: {passed} of {} passed",
        r.expectations.len()
    );
    let mut t = Table::new(&[
        ("", Left),
        ("path", Left),
        ("expectation", Left),
        ("measured", Right),
    ]);
    for e in &r.expectations {
        t.row(vec![
            if e.passed { "PASS" } else { "FAIL" }.to_owned(),
            e.path.clone(),
            e.text.clone(),
            format::measured(e.measured),
        ]);
    }
    t.render_into(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;

    const GOLDEN: &str = "\
kinesis-crypto-bench 0.1.0  scenario steady-1k (scenarios/steady-1k.toml)  seed 42
started 2025-01-31T12:00:00.000Z  wall 65.4 s  measured 60 s after 5 s warm-up  100 rec/s  2 shards
endpoint embedded  clock real  machine bench-1 (linux 6.1.0, x86_64, 2 cpus, AMD EPYC 9R14)
Schedule kept on every path: schedule lag p99 at most 310 µs (allowed 10.0 ms), each path at its intended rate; CPU: 0.42 of 2 cores busy during the load

Latency, from the intended send time (end to end includes up to 200 ms of polling: 5 GetRecords calls/s per shard)
path       kind       put p50  put p99  e2e p50  e2e p99               +p50 vs plain               +p99 vs plain  lag p99
---------  ---------  -------  -------  -------  -------  --------------------------  --------------------------  -------
plaintext  plaintext  1.21 ms  2.95 ms  20.1 ms  48.9 ms                           -                           -   310 µs
envelope   envelope   1.48 ms  3.42 ms  20.7 ms  50.3 ms  +270 µs [+210 µs, +330 µs]  +470 µs [+300 µs, +640 µs]   310 µs
sse-kms    sse-kms    1.26 ms  3.01 ms  20.2 ms  49.0 ms      within noise (±120 µs)      within noise (±420 µs)   310 µs
Noise floor (A/A: plaintext-twin over plaintext): p50 within noise (±35 µs), p99 within noise (±260 µs), p99.9 within noise (±1.10 ms)

Read side: GetRecords calls, timed at the transport
path       get p50  get p99             +p50 vs plain              +p99 vs plain  open CPU/record
---------  -------  -------  ------------------------  -------------------------  ---------------
plaintext   180 µs   400 µs                         -                          -                -
envelope    185 µs   420 µs     within noise (±20 µs)      within noise (±90 µs)          0.42 µs
sse-kms     260 µs   520 µs  +80 µs [+60 µs, +100 µs]  +120 µs [+70 µs, +190 µs]                -

KMS calls and record size
path       KMS calls  warm-up      per window  $/30 days  counted by   record  ratio  max plaintext that fits  per 5 MiB batch
---------  ---------  -------  --------------  ---------  ----------  -------  -----  -----------------------  ---------------
plaintext          0        0               0         $0  client      1,024 B  1.00x              1,048,576 B              500
envelope          24        1      4 per 10 s      $4.11  client      1,617 B  1.58x              1,047,983 B              500
sse-kms            2        1  0.333 per 10 s      $1.26  service     1,024 B  1.00x              1,048,576 B              500
  envelope: $4.11 = requests $3.11 (over 6 whole windows measured) + 1 key-month $1.00
  sse-kms: $1.26 = requests $0.259 (over 6 whole windows measured) + 1 key-month $1.00

Records and errors
path        sent  acked  failed   read  lost  dup  corrupt  unreadable  retries  errors
---------  -----  -----  ------  -----  ----  ---  -------  ----------  -------  ------------------------------------------------
plaintext  6,000  6,000       0  6,000     0    0        0           0        0  -
envelope   6,000  6,000       0  6,001     2    3        1           0       15  KMSThrottling=3 ProvisionedThroughputExceeded=12
sse-kms    6,000  6,000       0  6,000     0    0        0           0        0  -

Faults (times from the fault's start; recovery from its end)
fault   kind  window     path     1st error  puts ok  failed  recovery  rate back  p99 before  p99 during  p99 after  errors during
------  ----  ---------  -------  ---------  -------  ------  --------  ---------  ----------  ----------  ---------  -------------------
deny-0  deny  5.0-8.0 s  sse-kms    1.50 ms        0     300   4.00 ms    1000 ms        0 µs        0 µs       0 µs  KMSAccessDenied=300

Expectations: 1 of 3 passed
      path      expectation              measured
----  --------  -----------------------  --------
PASS  envelope  put p99 overhead < 1 ms       470
FAIL  envelope  no record lost                  2
FAIL  sse-kms   kms calls per 10 s <= 1         -
";

    #[test]
    fn golden_report() {
        let got = render(&sample_run_result());
        if std::env::var_os("KCB_PRINT_GOLDEN").is_some() {
            println!("<<<{got}>>>");
        }
        if got != GOLDEN {
            for (i, (g, w)) in got.lines().zip(GOLDEN.lines()).enumerate() {
                assert_eq!(g, w, "line {} differs", i + 1);
            }
            assert_eq!(got, GOLDEN);
        }
    }

    #[test]
    fn empty_result_still_renders() {
        let mut r = sample_run_result();
        r.paths.clear();
        r.expectations.clear();
        let text = render(&r);
        assert!(text.contains("Expectations: none"));
        assert!(text.contains("path       kind") || text.contains("path  kind"));
    }

    /// 52 GetRecords calls (a short run's): p50 and its overhead are printed, p99 and its
    /// overhead say how many calls they need instead of a number.
    #[test]
    fn a_read_side_percentile_of_too_few_calls_says_what_it_needs() {
        let mut r = sample_run_result();
        let p = &mut r.paths[1];
        p.get_latency_us.count = 52;
        let cells = read_side_cells(p);
        assert_eq!(cells[1], format::us(p.get_latency_us.p50));
        assert_eq!(cells[2], "needs ≥ 368 calls (52 made)");
        assert_eq!(cells[4], "needs ≥ 368 calls (52 made)");
        assert!(!cells[3].starts_with("needs"), "{cells:?}");
    }

    #[test]
    fn cells_align_by_characters_not_bytes() {
        let mut t = Table::new(&[("a", Right), ("b", Left)]);
        t.row(vec!["1 µs".to_owned(), "x".to_owned()]);
        t.row(vec!["10 ms".to_owned(), "y".to_owned()]);
        let mut out = String::new();
        t.render_into(&mut out);
        assert_eq!(out, "    a  b\n-----  -\n 1 µs  x\n10 ms  y\n");
    }
}
