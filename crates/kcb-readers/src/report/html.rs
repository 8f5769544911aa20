//! The HTML report: one self-contained page (SVG plots and CSS inline; no script, font, image
//! or style sheet fetched from anywhere), each plot with a table of its numbers beside it.
//!
//! The page details the newest run of each scenario (plots 1 to 4), compares the runs of each
//! scenario given more than once (plot 5), draws the nightly trend from a history (plot 6), and
//! shows an encryption audit when one is given (plot 7).

use std::fmt::Write;

mod tables;

use super::audit::{AuditDoc, STREAM_HEAD};
use super::history::{history_points, HistoryLine};
use super::plots::{Plot, PlotError, PngFont};
use super::series::{self, LatencyKind, ReportRun};
use crate::format;

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
td.bad{color:#b2182b;font-weight:600}td.good{color:#1b7837}.scroll{overflow-x:auto}\
ul.findings{font-size:13px;padding-left:18px}ul.findings pre{background:#fff;border:1px solid #ddd;\
padding:4px 6px;margin:4px 0 8px;overflow-x:auto;font-size:12px}";

/// Text for HTML, in content and in attributes quoted either way: `&`, `<`, `>`, `"` and `'`
/// escaped (the one escape of the report: the page, its plots' SVG and their attributes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
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

/// Render the page for `runs` (and the nightly trend, when `history` is given, and the audit,
/// when `audit` is), and a PNG of every plot when `font` is given.
pub fn render(
    runs: &[ReportRun],
    history: Option<&[HistoryLine]>,
    audit: Option<&AuditDoc>,
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
    if !runs.is_empty() {
        let _ = write!(b.html, "<p class=\"meta\">{} result file(s); the newest run of each scenario is shown in detail, older ones in the comparisons.</p>", runs.len());
        b.html.push_str(&tables::overview(runs));
    }
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
            &tables::trend("run", &points),
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
                &tables::trend("night", &points),
                false,
            )?;
        }
    }
    if let Some(doc) = audit {
        audit_section(&mut b, doc)?;
    }
    b.html.push_str("</body></html>\n");
    Ok(Page {
        html: b.html,
        pngs: b.pngs,
    })
}

/// The audit: its compliance, the streams by protection (plot 7), every stream, every finding
/// with the commands that would fix it.
fn audit_section(b: &mut Builder<'_>, doc: &AuditDoc) -> Result<(), PlotError> {
    let _ = write!(
        b.html,
        "<h2 id=\"audit\">Encryption audit: {} (account {})</h2>",
        escape(&doc.target),
        escape(&doc.account)
    );
    let ok = doc.streams.iter().filter(|s| s.compliant).count();
    let rules = if doc.requirements.is_empty() {
        "baseline: customer-managed, Enabled, restrictive key policy".to_owned()
    } else {
        doc.requirements.join(", ")
    };
    let severities: Vec<String> = doc
        .findings_by_severity
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let _ = write!(
        b.html,
        "<p class=\"meta\">Compliance {:.1}% ({ok} of {} streams; {}{}). Findings: {}.</p>",
        doc.compliance_percent,
        doc.streams.len(),
        escape(&rules),
        escape(&doc.before_text()),
        escape(&if severities.is_empty() {
            "none".to_owned()
        } else {
            severities.join(", ")
        })
    );
    let counts = doc.by_protection();
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(p, ok, short)| vec![(*p).to_owned(), ok.to_string(), short.to_string()])
        .collect();
    b.figure(
        "audit",
        Plot::Audit(&counts),
        "Every Kinesis and Firehose stream the audit found, by how its records are protected at rest.",
        &tables::table(&["protection", "compliant", "falls short"], &rows),
        false,
    )?;
    b.html.push_str("<h3>Streams</h3>");
    b.html
        .push_str(&tables::table(&STREAM_HEAD, &doc.stream_rows()));
    b.html.push_str("<h3>Findings and remediation</h3>");
    if doc.findings.is_empty() {
        b.html.push_str("<p class=\"meta\">No finding.</p>");
    }
    b.html.push_str("<ul class=\"findings\">");
    for f in &doc.findings {
        let _ = write!(
            b.html,
            "<li><b>{}</b> {} <code>{}</code> ({}): {}",
            escape(&f.severity),
            escape(&f.service),
            escape(&f.stream),
            escape(&f.rule),
            escape(&f.message)
        );
        if !f.remediation.is_empty() {
            let _ = write!(b.html, "<pre>{}</pre>", escape(&f.remediation.join("\n")));
        }
        b.html.push_str("</li>");
    }
    b.html.push_str("</ul>");
    Ok(())
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
        format::measured(Some(s.duration_secs)),
        format::measured(Some(s.warmup_secs)),
        format::measured(Some(s.rate_per_sec)),
        s.shards,
        s.seed,
        escape(&r.clock),
        escape(&r.endpoint)
    );
    if r.interrupted {
        let _ = write!(
            b.html,
            "<p class=\"meta\"><strong>{}</strong></p>",
            escape(format::INTERRUPTED)
        );
    }
    if !r.target.roles_separated {
        let _ = write!(
            b.html,
            "<p class=\"meta\"><strong>{}</strong></p>",
            escape(format::ROLES_NOT_SEPARATED)
        );
    }
    let behind = super::generator::behind_lines(r);
    if let Some((head, rest)) = behind.split_first() {
        let _ = write!(
            b.html,
            "<div class=\"behind\" style=\"border:2px solid #b00;padding:0.5em\"><p><strong>{}</strong></p><ul>",
            escape(head)
        );
        for l in rest {
            let _ = write!(b.html, "<li>{}</li>", escape(l.trim()));
        }
        b.html.push_str("</ul></div>");
    } else if let Some(l) = super::generator::kept_line(r) {
        let _ = write!(b.html, "<p class=\"meta\">{}</p>", escape(&l));
    }
    for note in super::generator::lag_notes(r) {
        let _ = write!(b.html, "<p class=\"meta\">note: {}</p>", escape(&note));
    }
    if let Some(note) = &run.hlog_note {
        let _ = write!(
            b.html,
            "<p class=\"meta\">latency.hlog: {}</p>",
            escape(note)
        );
    }
    let put = series::latency_curves(run, LatencyKind::Put);
    let e2e = series::latency_curves(run, LatencyKind::EndToEnd);
    let numbers = tables::latency(r);
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

    if r.paths.iter().any(|p| p.get_latency_us.count > 0) {
        b.html
            .push_str("<h3>Read side: GetRecords calls, timed at the transport</h3>");
        b.html.push_str(&tables::read_side(r));
    }
    if let Some(over_time) = series::latency_over_time(run) {
        b.figure(
            slug_,
            Plot::OverTime(&over_time),
            "Put latency p50 and p99 in each interval of latency.hlog; shaded: each fault's window.",
            &tables::over_time(&over_time),
            true,
        )?;
    }

    if let Some(o) = &r.noise_floor_us {
        let _ = write!(
            b.html,
            "<p class=\"meta\">Noise floor of this run (A/A, {} over plaintext): {}. An overhead inside it cannot be told from noise.</p>",
            crate::result::TWIN,
            escape(&format::noise_floor(o, r.noise_floor_records()))
        );
    }
    let overheads = series::overheads(r);
    b.figure(
        slug_,
        Plot::Overhead(&overheads),
        "Put latency added over the plaintext path.",
        &tables::overhead(&overheads),
        false,
    )?;

    let sizes = tables::size(r);
    match series::size_sweep(r) {
        Some(sweep) => b.figure(slug_, Plot::Inflation(&sweep), "Record bytes and inflation by plaintext size; the red line is Kinesis's 1 MiB record limit.", &sizes, false)?,
        None => {
            let _ = write!(b.html, "<h3>Record size</h3>{sizes}");
        }
    }

    if let Some(by_size) = series::size_overhead(r) {
        b.figure(
            slug_,
            Plot::SizeOverhead(&by_size),
            "Put latency p50 added over the plaintext path at each record size.",
            &tables::size_overhead(&by_size),
            false,
        )?;
    }

    let windows = series::kms_windows(r);
    let numbers = tables::kms(r);
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
            &tables::fault(r),
            true,
        )?;
    }
    b.html.push_str("<h3>Records and errors</h3>");
    b.html.push_str(&tables::ledger(r));
    let firehose = super::table::firehose_rows(r);
    if !firehose.is_empty() {
        b.html
            .push_str("<h3>Firehose deliveries</h3><p>End-to-end latency includes buffering.</p>");
        b.html
            .push_str(&tables::table(&super::table::FIREHOSE_HEAD, &firehose));
    }
    if let Some(title) = super::bill::title(r) {
        let _ = write!(b.html, "<h3>Monthly bill</h3><p>{}</p>", escape(&title));
        let bars = super::bill::bars(r);
        if !bars.is_empty() {
            let mut numbers = tables::table(&super::bill::HEAD, &super::bill::rows(r));
            for l in super::bill::headlines(r) {
                let _ = write!(numbers, "<p>{}</p>", escape(&l));
            }
            b.figure(
                slug_,
                Plot::Bill(&bars),
                "What each path would cost a month at its rate, per capacity mode, stacked by service.",
                &numbers,
                true,
            )?;
        }
    }
    if r.tenants.is_some() {
        let _ = write!(
            b.html,
            "<h3>Tenants</h3><p>Each path ran once per tenant; KMS cost a month at the measured rate, each tenant's key-month (or its share of the one shared key) included.</p>{}",
            tables::table(
                &super::tenant_tables::TENANT_HEAD,
                &super::tenant_tables::tenant_rows(r)
            )
        );
        let blast = super::tenant_tables::blast_rows(r);
        if !blast.is_empty() {
            b.html.push_str("<h3>Blast radius</h3>");
            b.figure(
                slug_,
                Plot::BlastRadius(&series::blast_panels(r)),
                "Errors and give-ups per tenant while each fault was in effect, targeted tenants apart. Hit: the tenant saw an error or gave up on a record; collateral: hit but not targeted.",
                &tables::table(&super::tenant_tables::BLAST_HEAD, &blast),
                false,
            )?;
        }
    }
    let workers = super::workers::lines(r);
    if let Some((head, rest)) = workers.split_first() {
        let _ = write!(b.html, "<h3>Workers</h3><p>{}</p><ul>", escape(head));
        for l in rest {
            let _ = write!(b.html, "<li>{}</li>", escape(l));
        }
        b.html.push_str("</ul>");
    }
    b.html.push_str("<h3>Expectations</h3>");
    b.html.push_str(&tables::expectations(r));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;
    use std::path::Path;

    #[test]
    fn escape_covers_text_and_attributes_quoted_either_way() {
        assert_eq!(
            escape(r#"<a href='x' title="y">&</a>"#),
            "&lt;a href=&#39;x&#39; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn page_is_self_contained_and_holds_every_plot() {
        let mut older = sample_run_result();
        older.started_at = "2025-01-30T12:00:00.000Z".to_owned();
        let runs = vec![
            ReportRun::from_result(Path::new("a/result.json"), older),
            ReportRun::from_result(Path::new("b/result.json"), sample_run_result()),
        ];
        let page = render(&runs, None, None, None).unwrap_or_else(|e| panic!("{e}"));
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

    /// A run shorter than one reuse window whose calls all fell in the warm-up (the
    /// quickstart's): the KMS table still has a row per path with those calls, and the plot says
    /// in words what happened instead of "no KMS calls".
    #[test]
    fn calls_only_in_the_warm_up_are_shown_not_hidden() {
        let mut r = sample_run_result();
        r.scenario.duration_secs = 10.0;
        for p in &mut r.paths {
            let k = &mut p.kms_calls;
            k.warmup_calls = k.total.min(2);
            k.total = 0;
            k.per_window = vec![0];
            k.window_secs = 300.0;
        }
        let callers: Vec<String> = r
            .paths
            .iter()
            .filter(|p| p.kms_calls.warmup_calls > 0)
            .map(|p| p.name.clone())
            .collect();
        assert!(!callers.is_empty(), "the sample has paths that call KMS");
        let table = tables::kms(&r);
        for p in &r.paths {
            assert!(
                table.contains(&format!("<td>{}</td>", escape(&p.name))),
                "{}: {table}",
                p.name
            );
        }
        let windows = series::kms_windows(&r);
        assert_eq!(
            windows.iter().map(|w| w.path.clone()).collect::<Vec<_>>(),
            callers
        );
        let svg = crate::report::plots::kms_windows_svg(&windows).unwrap_or_else(|e| panic!("{e}"));
        assert!(!svg.contains("no KMS calls<"), "{svg}");
        assert!(
            svg.contains("2 KMS calls in the warm-up, none after it; the measured 10 s is shorter than one 5 min window"),
            "{svg}"
        );
    }

    /// Calls a service made that nobody could count: the row says why, no figure, and the plot
    /// leaves the path out rather than draw a 0.
    #[test]
    fn calls_not_counted_say_why_instead_of_a_number() {
        let mut r = sample_run_result();
        let sse = r
            .paths
            .iter_mut()
            .find(|p| p.name == "sse-kms")
            .expect("the sample's sse-kms path");
        sse.kms_calls.not_counted = Some("AccessDeniedException: no LookupEvents".into());
        let table = tables::kms(&r);
        assert!(
            table.contains("<td>not counted: AccessDeniedException: no LookupEvents</td>"),
            "{table}"
        );
        assert!(series::kms_windows(&r).iter().all(|w| w.path != "sse-kms"));
    }
}
