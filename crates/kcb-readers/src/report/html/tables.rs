//! The tables beside the plots: each takes a result (or plot data) and gives an HTML table.

use std::fmt::Write;

use super::escape;
use crate::format;
use crate::report::series::{ReportRun, TrendPoint};
use crate::result::RunResult;

/// A table; cells that read as numbers are right-aligned, "failed" and "passed" coloured.
pub(super) fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let class = match cell.as_str() {
                "failed" | "no" => " class=\"bad\"",
                "passed" | "yes" => " class=\"good\"",
                c if c.starts_with(|ch: char| ch.is_ascii_digit() || "+-$".contains(ch)) => {
                    " class=\"num\""
                }
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

pub(super) fn overview(runs: &[ReportRun]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let x = &r.result;
            let failed = x.expectations.iter().filter(|e| !e.passed).count();
            vec![
                x.scenario.name.clone(),
                x.started_at.clone(),
                r.file.display().to_string(),
                x.harness_version.clone(),
                format!("{} / {}", x.endpoint, x.clock),
                format!(
                    "{} ({} CPUs, {})",
                    x.machine.hostname, x.machine.cpus, x.machine.cpu_model
                ),
                format!(
                    "{} of {}",
                    x.expectations.len() - failed,
                    x.expectations.len()
                ),
                if failed == 0 { "passed" } else { "failed" }.to_owned(),
            ]
        })
        .collect();
    table(
        &[
            "scenario",
            "started (UTC)",
            "file",
            "harness",
            "endpoint / clock",
            "machine",
            "expectations held",
            "result",
        ],
        &rows,
    )
}

/// Put and end-to-end percentiles per path.
pub(super) fn latency(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(|p| {
            let (u, e) = (&p.put_latency_us, &p.e2e_latency_us);
            vec![
                p.name.clone(),
                format::us(u.p50),
                format::us(u.p99),
                format::us(u.p999),
                format::us(u.max),
                format::us(e.p50),
                format::us(e.p99),
            ]
        })
        .collect();
    table(
        &[
            "path",
            "put p50",
            "put p99",
            "put p99.9",
            "put max",
            "e2e p50",
            "e2e p99",
        ],
        &rows,
    )
}

/// The read side per path: GetRecords call latency, its overhead over plaintext, the
/// consumer's CPU per record opened.
pub(super) fn read_side(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(crate::report::table::read_side_cells)
        .collect();
    table(
        &[
            "path",
            "get p50",
            "get p99",
            "+p50 vs plain",
            "+p99 vs plain",
            "open CPU/record",
        ],
        &rows,
    )
}

/// Put latency over time per path: intervals, and the lowest and highest p50 and p99 of an
/// interval.
pub(super) fn over_time(t: &crate::report::series::LatencyOverTime) -> String {
    let rows: Vec<Vec<String>> = t
        .paths
        .iter()
        .map(|p| {
            let p50 = p.points.iter().map(|q| q.1);
            let p99 = p.points.iter().map(|q| q.2);
            let span = |v: Vec<u64>| match (v.iter().min(), v.iter().max()) {
                (Some(lo), Some(hi)) => format!("{} – {}", format::us(*lo), format::us(*hi)),
                _ => "-".to_owned(),
            };
            vec![
                p.path.clone(),
                format::count(p.points.len() as u64),
                span(p50.collect()),
                span(p99.collect()),
            ]
        })
        .collect();
    table(&["path", "intervals", "p50 range", "p99 range"], &rows)
}

/// Overhead over plaintext per path.
pub(super) fn overhead(rows: &[crate::report::series::OverheadRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|o| {
            vec![
                o.path.clone(),
                format::overhead(o.p50_us, o.ci[0]),
                format::overhead(o.p99_us, o.ci[1]),
                format::overhead(o.p999_us, o.ci[2]),
            ]
        })
        .collect();
    table(&["path", "+p50 (95 % interval)", "+p99", "+p99.9"], &rows)
}

/// Put p50 over plaintext at each record size.
pub(super) fn size_overhead(series: &[crate::report::series::SizeOverhead]) -> String {
    let rows: Vec<Vec<String>> = series
        .iter()
        .flat_map(|s| {
            s.points.iter().map(|(size, d)| {
                vec![
                    s.path.clone(),
                    format!("{} B", crate::format::count(*size)),
                    format::signed_us(*d),
                ]
            })
        })
        .collect();
    table(&["path", "plaintext", "+p50"], &rows)
}

/// KMS calls, a row per path: its calls after the warm-up and in it, and who counted them.
pub(super) fn kms(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(|p| {
            let k = &p.kms_calls;
            if let Some(why) = &k.not_counted {
                let dash = || "-".to_owned();
                return vec![
                    p.name.clone(),
                    format!("not counted: {why}"),
                    dash(),
                    dash(),
                    format::secs(k.window_secs),
                    dash(),
                    dash(),
                    dash(),
                    k.counted_by.clone(),
                ];
            }
            let ops: Vec<String> = k
                .by_operation
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            vec![
                p.name.clone(),
                format::count(k.total),
                format::count(k.warmup_calls),
                ops.join(", "),
                format::secs(k.window_secs),
                format::number(k.calls_per_window),
                format::usd(k.monthly_cost_usd),
                format!(
                    "requests {} ({}) + keys {}",
                    format::usd(k.request_cost_usd_per_month),
                    k.cost_basis,
                    format::usd(k.key_cost_usd_per_month)
                ),
                k.counted_by.clone(),
            ]
        })
        .collect();
    table(
        &[
            "path",
            "calls",
            "warm-up calls",
            "by operation",
            "window",
            "per window",
            "$/30 days",
            "of which",
            "counted by",
        ],
        &rows,
    )
}

/// The scenario's expectations, each with what was measured.
pub(super) fn expectations(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .expectations
        .iter()
        .map(|e| {
            let result = if e.passed { "passed" } else { "failed" };
            vec![
                e.path.clone(),
                e.text.clone(),
                format::measured(e.measured),
                result.to_owned(),
            ]
        })
        .collect();
    table(&["path", "expectation", "measured", "result"], &rows)
}

pub(super) fn size(r: &RunResult) -> String {
    let mut rows = Vec::new();
    for p in &r.paths {
        let i = &p.inflation;
        if i.by_size.len() > 1 {
            for s in &i.by_size {
                let fits = if s.fits_1mib { "yes" } else { "no" };
                rows.push(vec![
                    p.name.clone(),
                    format::bytes(s.plaintext_bytes),
                    format::bytes(s.record_bytes),
                    format!("{:.3}x", s.ratio),
                    fits.to_owned(),
                ]);
            }
        }
        let mean = format!("mean {}", format::bytes(i.plaintext_bytes.round() as u64));
        let fits = format!("{} fits", format::bytes(i.max_plaintext_that_fits));
        rows.push(vec![
            p.name.clone(),
            mean,
            format::bytes(i.record_bytes.round() as u64),
            format!("{:.3}x", i.ratio),
            fits,
        ]);
    }
    table(
        &["path", "plaintext", "record", "ratio", "fits 1 MiB"],
        &rows,
    )
}

pub(super) fn fault(r: &RunResult) -> String {
    let ms = |v: Option<f64>| {
        v.map(|ms| format::us((ms * 1_000.0).round().max(0.0) as u64))
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut rows = Vec::new();
    for f in &r.faults {
        let window = match f.end_secs {
            Some(end) => format!("{} to {}", format::secs(f.at_secs), format::secs(end)),
            None => format!("from {}", format::secs(f.at_secs)),
        };
        let applied = if f.applied { "yes" } else { "no" }.to_owned();
        if f.paths.is_empty() {
            rows.push(vec![
                f.name.clone(),
                f.kind.clone(),
                window.clone(),
                applied.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        }
        for p in &f.paths {
            let errors: Vec<String> = p
                .errors_during
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            rows.push(vec![
                f.name.clone(),
                f.kind.clone(),
                window.clone(),
                applied.clone(),
                p.path.clone(),
                ms(p.first_error_ms),
                if errors.is_empty() {
                    "0".to_owned()
                } else {
                    errors.join(", ")
                },
                format!(
                    "{} / {}",
                    format::count(p.puts_ok_during),
                    format::count(p.failed_during)
                ),
                ms(p.recovery_ms),
                ms(p.throughput_recovery_ms),
            ]);
        }
    }
    table(
        &[
            "fault",
            "kind",
            "window",
            "applied",
            "path",
            "first error",
            "errors during",
            "acked / failed during",
            "recovery",
            "throughput back",
        ],
        &rows,
    )
}

pub(super) fn ledger(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(|p| {
            let l = &p.ledger;
            let errors: Vec<String> = p.errors.iter().map(|(n, c)| format!("{n} {c}")).collect();
            let n = |v: u64| format::count(v);
            vec![
                p.name.clone(),
                n(l.sent),
                n(l.acked),
                n(l.failed),
                n(l.read),
                n(l.lost),
                n(l.duplicated),
                n(l.corrupted),
                n(l.unreadable),
                n(p.attempts.retries),
                if errors.is_empty() {
                    "-".to_owned()
                } else {
                    errors.join(", ")
                },
            ]
        })
        .collect();
    table(
        &[
            "path",
            "sent",
            "acked",
            "failed",
            "read",
            "lost",
            "dup",
            "corrupt",
            "unreadable",
            "retries",
            "errors",
        ],
        &rows,
    )
}

pub(super) fn trend(what: &str, points: &[TrendPoint]) -> String {
    let opt = |v: Option<i64>| v.map(format::signed_us).unwrap_or_else(|| "-".to_owned());
    let rows: Vec<Vec<String>> = points
        .iter()
        .flat_map(|p| {
            p.paths.iter().map(move |v| {
                vec![
                    p.label.clone(),
                    v.path.clone(),
                    opt(v.overhead_p50_us),
                    opt(v.overhead_p99_us),
                    format::count(v.kms_calls_per_window),
                ]
            })
        })
        .collect();
    table(
        &[what, "path", "+p50", "+p99", "KMS calls/window (max)"],
        &rows,
    )
}
