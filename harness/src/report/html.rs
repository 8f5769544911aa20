//! The HTML report: one self-contained page (SVG plots and CSS inline; no script, font, image
//! or style sheet fetched from anywhere), each plot with a table of its numbers beside it.
//!
//! The page details the newest run of each scenario (plots 1 to 4), compares the runs of each
//! scenario given more than once (plot 5), and draws the nightly trend from a history (plot 6).

use std::fmt::Write;

use super::history::{history_points, HistoryLine};
use super::plots::{Plot, PlotError, PngFont};
use super::series::{self, format_secs, LatencyKind, ReportRun, TrendPoint};
use super::{format_bytes, format_count, format_measured, format_signed_us, format_us, format_usd};
use crate::result::RunResult;

/// A rendered page and the PNG copies of its plots (when a font was given).
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The page's HTML.
    pub html: String,
    /// (file name, PNG bytes) of each plot.
    pub pngs: Vec<(String, Vec<u8>)>,
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0 auto;\
max-width:1500px;padding:16px 24px;color:#1d1d1f;background:#fafafa}\
h1{font-size:24px;margin:8px 0}h2{font-size:20px;margin:28px 0 6px;border-bottom:2px solid #0072B2}\
h3{font-size:16px;margin:18px 0 6px}p.meta{color:#555;margin:4px 0 10px;font-size:13px}\
.pair{display:grid;grid-template-columns:minmax(0,1.3fr) minmax(0,1fr);gap:16px;align-items:start;margin:10px 0}\
.pair.wide{grid-template-columns:minmax(0,1fr)}.pair.wide figure{max-width:1100px}\
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:4px;padding:4px}\
figure svg{width:100%;height:auto;display:block}figcaption{font-size:12px;color:#555;padding:4px}\
table{border-collapse:collapse;font-size:12.5px;background:#fff;margin:4px 0}\
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}\
th{background:#eef3f8}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
td.bad{color:#b2182b;font-weight:600}td.good{color:#1b7837}.scroll{overflow-x:auto}";

/// Text for HTML: `&`, `<`, `>` and `"` escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table; cells that read as numbers are right-aligned, "failed" and "passed" coloured.
fn table(head: &[&str], rows: &[Vec<String>]) -> String {
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

struct Builder<'f> {
    html: String,
    font: Option<&'f PngFont>,
    pngs: Vec<(String, Vec<u8>)>,
}

impl Builder<'_> {
    /// A plot (inline SVG) with `numbers` beside it (or below it when `wide`).
    fn figure(
        &mut self,
        slug: &str,
        plot: Plot<'_>,
        caption: &str,
        numbers: &str,
        wide: bool,
    ) -> Result<(), PlotError> {
        let svg = plot.svg()?;
        let id = format!("{slug}-{}", plot.id());
        if let Some(font) = self.font {
            let name = format!("{:02}-{id}.png", self.pngs.len() + 1);
            self.pngs.push((name, plot.png(font)?));
        }
        let class = if wide { "pair wide" } else { "pair" };
        let _ = write!(
            self.html,
            "<div class=\"{class}\"><figure id=\"{}\" data-plot=\"{}\">{svg}<figcaption>{}</figcaption></figure><div class=\"numbers\">{numbers}</div></div>",
            escape(&id),
            plot.id(),
            escape(caption)
        );
        Ok(())
    }
}

/// A name safe in an id and a file name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Render the page for `runs` (and the nightly trend, when `history` is given), and a PNG of
/// every plot when `font` is given.
pub fn render(
    runs: &[ReportRun],
    history: Option<&[HistoryLine]>,
    font: Option<&PngFont>,
) -> Result<Page, PlotError> {
    let mut b = Builder {
        html: String::new(),
        font,
        pngs: Vec::new(),
    };
    let _ = write!(
        b.html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>kinesis-crypto-bench report</title><style>{STYLE}</style></head><body>\n<h1>kinesis-crypto-bench report</h1>"
    );
    let detailed = series::newest_per_scenario(runs);
    let _ = write!(b.html, "<p class=\"meta\">{} result file(s); the newest run of each scenario is shown in detail, older ones in the comparisons.</p>", runs.len());
    b.html.push_str(&overview(runs));
    for (i, run) in detailed.iter().enumerate() {
        run_section(&mut b, &format!("run{}", i + 1), run)?;
    }
    for (name, group) in series::scenarios_with_several_runs(runs) {
        let points = series::run_points(&group);
        let _ = write!(
            b.html,
            "<h2 id=\"compare-{}\">{}: {} runs compared</h2>",
            slug(&name),
            escape(&name),
            group.len()
        );
        let title = format!("{name}: runs by start time (UTC)");
        b.figure(
            &format!("compare-{}", slug(&name)),
            Plot::Trend {
                title: &title,
                points: &points,
            },
            "Overhead over plaintext and KMS calls in the busiest window, run by run.",
            &trend_table("run", &points),
            false,
        )?;
    }
    if let Some(lines) = history {
        let mut scenarios: Vec<&str> = Vec::new();
        for l in lines {
            if !scenarios.contains(&l.scenario.as_str()) {
                scenarios.push(&l.scenario);
            }
        }
        b.html.push_str("<h2 id=\"trend\">Nightly trend</h2>");
        if scenarios.is_empty() {
            b.html
                .push_str("<p class=\"meta\">The history file holds no night yet.</p>");
        }
        for scenario in scenarios {
            let nights: Vec<HistoryLine> = lines
                .iter()
                .filter(|l| l.scenario == scenario)
                .cloned()
                .collect();
            let points = history_points(&nights);
            let title = format!("{scenario}: {} night(s) of the history", points.len());
            let caption = "One point per night, from the history file: overhead over plaintext and KMS calls in the busiest window.";
            b.figure(
                &format!("trend-{}", slug(scenario)),
                Plot::Trend {
                    title: &title,
                    points: &points,
                },
                caption,
                &trend_table("night", &points),
                false,
            )?;
        }
    }
    b.html.push_str("</body></html>\n");
    Ok(Page {
        html: b.html,
        pngs: b.pngs,
    })
}

fn overview(runs: &[ReportRun]) -> String {
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

fn run_section(b: &mut Builder<'_>, slug_: &str, run: &ReportRun) -> Result<(), PlotError> {
    let r = &run.result;
    let s = &r.scenario;
    let _ = write!(
        b.html,
        "<h2 id=\"{slug_}\">{} <small>{}</small></h2><p class=\"meta\">{} · {} s after {} s warm-up at {} records/s, {} shard(s), seed {} · {} clock · {}</p>",
        escape(&s.name),
        escape(&r.started_at),
        escape(&s.file),
        format_measured(Some(s.duration_secs)),
        format_measured(Some(s.warmup_secs)),
        format_measured(Some(s.rate_per_sec)),
        s.shards,
        s.seed,
        escape(&r.clock),
        escape(&r.endpoint)
    );
    if let Some(note) = &run.hlog_note {
        let _ = write!(
            b.html,
            "<p class=\"meta\">latency.hlog: {}</p>",
            escape(note)
        );
    }
    let put = series::latency_curves(run, LatencyKind::Put);
    let e2e = series::latency_curves(run, LatencyKind::EndToEnd);
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(|p| {
            let (u, e) = (&p.put_latency_us, &p.e2e_latency_us);
            vec![
                p.name.clone(),
                format_us(u.p50),
                format_us(u.p99),
                format_us(u.p999),
                format_us(u.max),
                format_us(e.p50),
                format_us(e.p99),
            ]
        })
        .collect();
    let numbers = table(
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
    );
    let from_log = put.iter().chain(&e2e).filter(|c| c.from_log).count();
    let source = match (from_log, put.len() + e2e.len()) {
        (0, _) => {
            "curves through p50, p90, p99 and p99.9 of the result (no latency.hlog beside it)"
        }
        (n, all) if n == all => "curves from the whole histograms in latency.hlog",
        _ => "curves from latency.hlog where it has the path, else from the result's percentiles",
    };
    let caption =
        format!("Latency from the intended send time against percentile (log scale); {source}.");
    b.figure(
        slug_,
        Plot::Latency {
            put: &put,
            e2e: &e2e,
        },
        &caption,
        &numbers,
        false,
    )?;

    let overheads = series::overheads(r);
    let rows: Vec<Vec<String>> = overheads
        .iter()
        .map(|o| {
            vec![
                o.path.clone(),
                format_signed_us(o.p50_us),
                format_signed_us(o.p99_us),
            ]
        })
        .collect();
    b.figure(
        slug_,
        Plot::Overhead(&overheads),
        "Put latency added over the plaintext path.",
        &table(&["path", "+p50", "+p99"], &rows),
        false,
    )?;

    let sizes = size_table(r);
    match series::size_sweep(r) {
        Some(sweep) => b.figure(slug_, Plot::Inflation(&sweep), "Record bytes and inflation by plaintext size; the red line is Kinesis's 1 MiB record limit.", &sizes, false)?,
        None => {
            let _ = write!(b.html, "<h3>Record size</h3>{sizes}");
        }
    }

    let windows = series::kms_windows(r);
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .filter(|p| p.kms_calls.total > 0)
        .map(|p| {
            let k = &p.kms_calls;
            let ops: Vec<String> = k
                .by_operation
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            vec![
                p.name.clone(),
                format_count(k.total),
                ops.join(", "),
                format_secs(k.window_secs),
                format_count(k.max_per_window),
                format_usd(k.monthly_cost_usd),
                if k.service.is_some() {
                    "service"
                } else {
                    "client"
                }
                .to_owned(),
            ]
        })
        .collect();
    let numbers = table(
        &[
            "path",
            "calls",
            "by operation",
            "window",
            "max/ window",
            "$/30 days",
            "counted by",
        ],
        &rows,
    );
    b.figure(
        slug_,
        Plot::KmsWindows(&windows),
        "KMS requests in each data-key reuse window, a panel per path.",
        &numbers,
        false,
    )?;

    if let Some(timeline) = series::fault_timeline(r) {
        b.figure(
            slug_,
            Plot::FaultTimeline(&timeline),
            "Throughput and errors per second; shaded: each fault's window.",
            &fault_table(r),
            true,
        )?;
    }
    b.html.push_str("<h3>Records and errors</h3>");
    b.html.push_str(&ledger_table(r));
    b.html.push_str("<h3>Expectations</h3>");
    let rows: Vec<Vec<String>> = r
        .expectations
        .iter()
        .map(|e| {
            vec![
                e.path.clone(),
                e.text.clone(),
                format_measured(e.measured),
                if e.passed { "passed" } else { "failed" }.to_owned(),
            ]
        })
        .collect();
    b.html.push_str(&table(
        &["path", "expectation", "measured", "result"],
        &rows,
    ));
    Ok(())
}

fn size_table(r: &RunResult) -> String {
    let mut rows = Vec::new();
    for p in &r.paths {
        let i = &p.inflation;
        if i.by_size.len() > 1 {
            for s in &i.by_size {
                let fits = if s.fits_1mib { "yes" } else { "no" };
                rows.push(vec![
                    p.name.clone(),
                    format_bytes(s.plaintext_bytes),
                    format_bytes(s.record_bytes),
                    format!("{:.3}x", s.ratio),
                    fits.to_owned(),
                ]);
            }
        }
        let mean = format!("mean {}", format_bytes(i.plaintext_bytes.round() as u64));
        let fits = format!("{} fits", format_bytes(i.max_plaintext_that_fits));
        rows.push(vec![
            p.name.clone(),
            mean,
            format_bytes(i.record_bytes.round() as u64),
            format!("{:.3}x", i.ratio),
            fits,
        ]);
    }
    table(
        &["path", "plaintext", "record", "ratio", "fits 1 MiB"],
        &rows,
    )
}

fn fault_table(r: &RunResult) -> String {
    let ms = |v: Option<f64>| {
        v.map(|ms| format_us((ms * 1_000.0).round().max(0.0) as u64))
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut rows = Vec::new();
    for f in &r.faults {
        let window = match f.end_secs {
            Some(end) => format!("{} to {}", format_secs(f.at_secs), format_secs(end)),
            None => format!("from {}", format_secs(f.at_secs)),
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
                    format_count(p.puts_ok_during),
                    format_count(p.failed_during)
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

fn ledger_table(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .paths
        .iter()
        .map(|p| {
            let l = &p.ledger;
            let errors: Vec<String> = p.errors.iter().map(|(n, c)| format!("{n} {c}")).collect();
            let n = |v: u64| format_count(v);
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

fn trend_table(what: &str, points: &[TrendPoint]) -> String {
    let opt = |v: Option<i64>| v.map(format_signed_us).unwrap_or_else(|| "-".to_owned());
    let rows: Vec<Vec<String>> = points
        .iter()
        .flat_map(|p| {
            p.paths.iter().map(move |v| {
                vec![
                    p.label.clone(),
                    v.path.clone(),
                    opt(v.overhead_p50_us),
                    opt(v.overhead_p99_us),
                    format_count(v.kms_calls_per_window),
                ]
            })
        })
        .collect();
    table(
        &[what, "path", "+p50", "+p99", "KMS calls/window (max)"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;
    use std::path::Path;

    #[test]
    fn page_is_self_contained_and_holds_every_plot() {
        let mut older = sample_run_result();
        older.started_at = "2025-01-30T12:00:00.000Z".to_owned();
        let runs = vec![
            ReportRun::from_result(Path::new("a/result.json"), older),
            ReportRun::from_result(Path::new("b/result.json"), sample_run_result()),
        ];
        let page = render(&runs, None, None).unwrap_or_else(|e| panic!("{e}"));
        for plot in [
            "latency",
            "overhead",
            "inflation",
            "kms-windows",
            "fault-timeline",
            "trend",
        ] {
            assert!(
                page.html.contains(&format!("data-plot=\"{plot}\"")),
                "{plot} missing"
            );
        }
        assert_eq!(
            page.html.matches("data-plot=\"latency\"").count(),
            1,
            "older runs are not detailed"
        );
        for banned in ["<script", "<link", "src=", "url(", "@import"] {
            assert!(!page.html.contains(banned), "{banned}");
        }
        assert!(page.pngs.is_empty());
        assert_eq!(escape("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
