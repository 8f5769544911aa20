//! The report (`kinesis-crypto-bench report`): every plot carries its series (checked in the SVG
//! text, by the `data-series` / `data-legend` / `data-fault` tags and legend labels), the
//! Markdown summary matches its golden file, the page is self-contained, bad inputs exit 2, and
//! the page renders in a real browser.
//!
//! Golden files: `harness/tests/golden/result.json` (a hand-made result with three paths, two
//! sizes, six KMS windows and two faults) and `harness/tests/golden/summary.md`, its summary.
//! After an intended change to the summary, regenerate and review the diff:
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test -p kinesis-crypto-bench --test report
//! ```
//!
//! The screenshot test uses Debian's `chromium`; it is skipped (with a notice) when `chromium`
//! is not on PATH, unless `KCB_REQUIRE_CHROMIUM=1`, when it fails instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kcb::cli::report::{write_report, ReportArgs, ReportFailure};
use kcb::report::history::{history_points, HistoryLine};
use kcb::report::plots::{self, Plot, PngFont};
use kcb::report::series::{self, LatencyKind, ReportRun};
use kcb::report::{html, summary};

const PATHS: [&str; 3] = ["plaintext", "envelope", "sse-kms"];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn golden_run() -> ReportRun {
    ReportRun::load(&golden_dir().join("result.json")).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kcb-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// The tags of `<element ...>` in `svg` that carry `key="value"`.
fn tagged<'a>(svg: &'a str, element: &str, key: &str, value: &str) -> Vec<&'a str> {
    let open = format!("<{element} ");
    let attr = format!(" {key}=\"{value}\"");
    svg.match_indices(&open)
        .filter_map(|(at, _)| svg[at..].find('>').map(|end| &svg[at..=at + end]))
        .filter(|tag| tag.contains(&attr))
        .collect()
}

fn count(svg: &str, element: &str, key: &str, value: &str) -> usize {
    tagged(svg, element, key, value).len()
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.match_indices("<text")
        .filter_map(|(at, _)| {
            let body = &svg[at..];
            let start = body.find('>')? + 1;
            let end = body.find("</text>")?;
            Some(
                body[start..end]
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

/// Number of points in a `<polyline points="x,y x,y ...">` tag.
fn point_count(tag: &str) -> usize {
    let start = tag.find("points=\"").map(|i| i + 8).unwrap_or(tag.len());
    tag[start..]
        .split('"')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .count()
}

fn number(tag: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let start = tag
        .find(&key)
        .map(|i| i + key.len())
        .unwrap_or_else(|| panic!("{name} in {tag}"));
    tag[start..]
        .split('"')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {tag}"))
}

#[test]
fn latency_plot_draws_a_curve_per_path_in_each_panel_with_a_legend() {
    let run = golden_run();
    let put = series::latency_curves(&run, LatencyKind::Put);
    let e2e = series::latency_curves(&run, LatencyKind::EndToEnd);
    let svg = plots::latency_svg(&put, &e2e).unwrap_or_else(|e| panic!("{e}"));
    let labels = texts(&svg);
    for path in PATHS {
        let lines = tagged(&svg, "polyline", "data-series", path);
        assert_eq!(lines.len(), 2, "{path}: a put and an end-to-end curve");
        // No latency.hlog beside the golden result: p50, p90, p99 and p99.9 from the summary.
        assert!(
            lines.iter().all(|l| point_count(l) == 4),
            "{path}: {lines:?}"
        );
        assert_eq!(
            count(&svg, "rect", "data-legend", path),
            1,
            "{path}: one legend entry"
        );
        assert!(labels.iter().any(|t| t == path), "{path}: legend label");
    }
    for axis in ["p90", "p99", "p99.9"] {
        assert!(labels.iter().any(|t| t == axis), "nines axis label {axis}");
    }
}

#[test]
fn latency_curves_come_from_the_histogram_log_when_one_is_beside_the_result() {
    let dir = scratch("hlog");
    let file = dir.join("result.json");
    std::fs::copy(golden_dir().join("result.json"), &file).unwrap_or_else(|e| panic!("{e}"));
    let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|e| panic!("{e}"));
    for us in 1..=20_000u64 {
        hist.record(500 + us / 4).unwrap_or_else(|e| panic!("{e}"));
    }
    let entries = [("envelope.put", &hist), ("envelope.e2e", &hist)];
    kcb::metrics::write_hlog_interval(
        &dir.join("latency.hlog"),
        std::time::SystemTime::now(),
        Duration::from_secs(60),
        &entries,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = ReportRun::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let put = series::latency_curves(&run, LatencyKind::Put);
    let env = put
        .iter()
        .find(|c| c.path == "envelope")
        .unwrap_or_else(|| panic!("no envelope curve"));
    assert!(
        env.from_log && env.points.len() > 40,
        "{} points",
        env.points.len()
    );
    assert!(!put
        .iter()
        .find(|c| c.path == "plaintext")
        .is_some_and(|c| c.from_log));
    let svg = plots::latency_svg(&put, &[]).unwrap_or_else(|e| panic!("{e}"));
    let line = tagged(&svg, "polyline", "data-series", "envelope");
    assert_eq!(line.len(), 1);
    assert!(point_count(line[0]) > 40);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn overhead_plot_draws_a_p50_and_a_p99_bar_per_path() {
    let rows = series::overheads(&golden_run().result);
    let svg = plots::overhead_svg(&rows).unwrap_or_else(|e| panic!("{e}"));
    for name in ["p50 over plaintext", "p99 over plaintext"] {
        assert_eq!(
            count(&svg, "rect", "data-series", name),
            2,
            "{name}: envelope and sse-kms"
        );
        assert_eq!(count(&svg, "rect", "data-legend", name), 1);
    }
    let labels = texts(&svg);
    assert!(labels.iter().any(|t| t == "envelope") && labels.iter().any(|t| t == "sse-kms"));
    assert!(
        !labels.iter().any(|t| t == "plaintext"),
        "plaintext has no overhead over itself"
    );
}

#[test]
fn inflation_plot_draws_each_path_and_the_1_mib_limit() {
    let sweep = series::size_sweep(&golden_run().result).unwrap_or_else(|| panic!("two sizes"));
    let svg = plots::inflation_svg(&sweep).unwrap_or_else(|e| panic!("{e}"));
    for path in PATHS {
        assert_eq!(
            count(&svg, "polyline", "data-series", path),
            2,
            "{path}: record bytes and ratio"
        );
        assert_eq!(
            count(&svg, "circle", "data-series", path),
            4,
            "{path}: two sizes in two panels"
        );
        assert_eq!(count(&svg, "rect", "data-legend", path), 1);
    }
    assert_eq!(
        count(&svg, "polyline", "data-series", "1 MiB record limit"),
        1
    );
    assert!(texts(&svg).iter().any(|t| t == "1 MiB record limit"));
}

#[test]
fn size_overhead_plot_draws_each_encrypted_path_against_plaintext() {
    let mut result = golden_run().result;
    // Give every path a put p50 at each size: plaintext 100 µs, envelope +40, sse-kms +15.
    for p in &mut result.paths {
        let added = match p.kind {
            kcb::result::PathKind::Envelope => 40,
            kcb::result::PathKind::SseKms => 15,
            kcb::result::PathKind::Plaintext | kcb::result::PathKind::Firehose => 0,
        };
        for row in &mut p.inflation.by_size {
            row.put_p50_us = Some(100 + added + row.plaintext_bytes / 1_000_000);
        }
    }
    let by_size = series::size_overhead(&result).unwrap_or_else(|| panic!("two sizes"));
    assert!(
        by_size.iter().all(|s| s.path != "plaintext"),
        "plaintext is the baseline"
    );
    let envelope = by_size
        .iter()
        .find(|s| s.path == "envelope")
        .expect("envelope");
    assert!(
        envelope.points.iter().all(|(_, d)| *d == 40),
        "{envelope:?}"
    );
    let svg = plots::size_overhead_svg(&by_size).unwrap_or_else(|e| panic!("{e}"));
    for path in ["envelope", "sse-kms"] {
        assert_eq!(count(&svg, "polyline", "data-series", path), 1, "{path}");
        assert_eq!(
            count(&svg, "circle", "data-series", path),
            2,
            "{path}: two sizes"
        );
        assert_eq!(count(&svg, "rect", "data-legend", path), 1);
    }
    assert_eq!(count(&svg, "polyline", "data-series", "plaintext"), 0);
    // Without per-size latencies there is nothing to draw.
    assert!(series::size_overhead(&golden_run().result).is_none());
}

#[test]
fn kms_plot_draws_a_bar_per_window_per_path() {
    let windows = series::kms_windows(&golden_run().result);
    let svg = plots::kms_windows_svg(&windows).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&svg, "rect", "data-series", "envelope"), 6);
    assert_eq!(count(&svg, "rect", "data-series", "sse-kms"), 6);
    assert_eq!(
        count(&svg, "rect", "data-series", "plaintext"),
        0,
        "plaintext made no KMS call"
    );
    let labels = texts(&svg);
    assert!(
        labels
            .iter()
            .any(|t| t.starts_with("envelope: one bar per 10 s window")),
        "{labels:?}"
    );
    // Envelope's bars are all 4 calls high; sse-kms's are 1, 0, 0, 0, 0, 1.
    let heights: Vec<f64> = tagged(&svg, "rect", "data-series", "sse-kms")
        .iter()
        .map(|t| number(t, "height"))
        .collect();
    assert!(
        heights[0] > 0.0 && heights[1..5].iter().all(|h| *h == 0.0) && heights[5] > 0.0,
        "{heights:?}"
    );
}

#[test]
fn latency_over_time_draws_each_interval_of_the_log_per_path_with_faults_shaded() {
    let dir = scratch("over-time");
    let file = dir.join("result.json");
    std::fs::copy(golden_dir().join("result.json"), &file).unwrap_or_else(|e| panic!("{e}"));
    // 12 one-second intervals per path; envelope's p50 steps from 500 to 900 µs at 6 s.
    let series: Vec<(String, kcb::metrics::IntervalSeries)> = PATHS
        .iter()
        .map(|p| {
            let s = kcb::metrics::IntervalSeries::new(Duration::from_secs(1));
            for i in 0..12u64 {
                let p50 = if *p == "envelope" && i >= 6 { 900 } else { 500 };
                for k in 0..100u64 {
                    s.record(Duration::from_secs(i), Duration::from_micros(p50 - 50 + k));
                }
            }
            (format!("{p}.put"), s)
        })
        .collect();
    let refs: Vec<(&str, &kcb::metrics::IntervalSeries)> =
        series.iter().map(|(t, s)| (t.as_str(), s)).collect();
    kcb::metrics::write_hlog_series(
        &dir.join("latency.hlog"),
        std::time::SystemTime::now(),
        (0, 11),
        &refs,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = ReportRun::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let t = series::latency_over_time(&run).unwrap_or_else(|| panic!("intervals in the log"));
    let env = t
        .paths
        .iter()
        .find(|p| p.path == "envelope")
        .unwrap_or_else(|| panic!("envelope"));
    assert_eq!(env.points.len(), 12);
    assert_eq!((env.points[0].1, env.points[11].1), (499, 899));
    let svg = plots::over_time_svg(&t).unwrap_or_else(|e| panic!("{e}"));
    for path in PATHS {
        let lines = tagged(&svg, "polyline", "data-series", path);
        assert_eq!(lines.len(), 2, "{path}: a p50 and a p99 line");
        assert!(lines.iter().all(|l| point_count(l) == 12), "{path}");
    }
    assert_eq!(
        tagged(&svg, "rect", "data-fault", "deny-0").len(),
        2,
        "shaded in both panels"
    );
    // The merged histograms the latency curves use still add every interval up.
    let whole = run
        .histograms
        .iter()
        .find(|(t, _)| t == "envelope.put")
        .map_or(0, |(_, h)| h.len());
    assert_eq!(whole, 1_200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fault_timeline_shades_each_fault_and_draws_throughput_and_errors() {
    let timeline = series::fault_timeline(&golden_run().result).unwrap_or_else(|| panic!("faults"));
    let svg = plots::fault_timeline_svg(&timeline).unwrap_or_else(|e| panic!("{e}"));
    for path in PATHS {
        assert_eq!(
            count(&svg, "polyline", "data-series", path),
            1,
            "{path}: acked per second"
        );
    }
    for errors in [
        "envelope: KMSThrottlingException",
        "sse-kms: KMSAccessDeniedException",
    ] {
        assert_eq!(
            count(&svg, "polyline", "data-series", errors),
            1,
            "{errors}"
        );
        assert!(
            texts(&svg).iter().any(|t| t == errors),
            "{errors}: legend label"
        );
    }
    let deny = tagged(&svg, "rect", "data-fault", "deny-0");
    let throttle = tagged(&svg, "rect", "data-fault", "throttle-1");
    assert_eq!(
        (deny.len(), throttle.len()),
        (2, 2),
        "one shaded window per panel"
    );
    // deny-0 lasts 3 s (5 to 8), throttle-1 1 s (9 to 10).
    let ratio = number(deny[0], "width") / number(throttle[0], "width");
    assert!((ratio - 3.0).abs() < 0.1, "{ratio}");
    assert!(number(deny[0], "x") < number(throttle[0], "x"));
    assert_eq!(
        count(&svg, "text", "data-fault", "deny-0"),
        1,
        "the fault is named on the plot"
    );
}

fn night(date: &str, p99: i64) -> HistoryLine {
    let mut line = HistoryLine::from_result(&golden_run().result);
    line.date = date.to_owned();
    line.started_at = format!("{date}T02:00:00.000Z");
    line.scenario = "nightly".to_owned();
    for p in &mut line.paths {
        p.overhead_p99_us = p.overhead_p99_us.map(|_| p99);
    }
    line
}

#[test]
fn trend_plot_draws_one_series_per_path_in_each_panel() {
    let lines = vec![
        night("2025-02-02", 500),
        night("2025-02-01", 450),
        night("2025-02-03", 480),
    ];
    let points = history_points(&lines);
    assert_eq!(
        points.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
        ["2025-02-01", "2025-02-02", "2025-02-03"]
    );
    let svg = plots::trend_svg("nightly", &points).unwrap_or_else(|e| panic!("{e}"));
    for path in ["envelope", "sse-kms"] {
        let lines = tagged(&svg, "polyline", "data-series", path);
        assert_eq!(lines.len(), 3, "{path}: overhead p50, p99 and KMS calls");
        assert!(
            lines.iter().all(|l| point_count(l) == 3),
            "{path}: a point per night"
        );
        assert_eq!(count(&svg, "rect", "data-legend", path), 1);
    }
    assert_eq!(
        count(&svg, "polyline", "data-series", "plaintext"),
        0,
        "no overhead, no KMS calls"
    );
    assert!(texts(&svg).iter().any(|t| t == "2025-02-03"));
}

#[test]
fn summary_matches_the_golden_file() {
    let run = golden_run();
    let text = summary::render(&[&run]);
    let golden = golden_dir().join("summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
    }
    let want = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", golden.display()));
    assert_eq!(
        text,
        want,
        "summary differs from {} (UPDATE_GOLDEN=1 rewrites it)",
        golden.display()
    );
}

/// Writes the report for the golden result (and an older copy of it, so the comparison is
/// drawn) plus a history, into `dir`.
fn write_golden_report(dir: &Path) -> PathBuf {
    let mut older = golden_run().result;
    older.started_at = "2025-01-30T12:00:00.000Z".to_owned();
    let older_file = dir.join("older").join("result.json");
    std::fs::create_dir_all(dir.join("older")).unwrap_or_else(|e| panic!("{e}"));
    older.write(&older_file).unwrap_or_else(|e| panic!("{e}"));
    let history = dir.join("history.jsonl");
    let _ = std::fs::write(&history, "");
    let args = ReportArgs {
        results: vec![golden_dir().join("result.json"), older_file],
        out: dir.join("out"),
        png: false,
        history: Some(history.clone()),
        append_history: Some(history),
        audit: None,
    };
    write_report(&args).unwrap_or_else(|e| panic!("{e}")).index
}

#[test]
fn the_page_is_self_contained_and_holds_every_plot_and_table() {
    let dir = scratch("page");
    let index = write_golden_report(&dir);
    let page = std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{e}"));
    for plot in [
        "latency",
        "overhead",
        "inflation",
        "kms-windows",
        "fault-timeline",
    ] {
        assert_eq!(
            page.matches(&format!("data-plot=\"{plot}\"")).count(),
            1,
            "{plot}: the newest run only"
        );
    }
    assert_eq!(
        page.matches("data-plot=\"trend\"").count(),
        2,
        "the comparison and the nightly trend"
    );
    assert_eq!(
        page.matches("<svg ").count(),
        page.matches("<figure ").count()
    );
    assert_eq!(
        page.matches("<table>").count(),
        10,
        "overview; latency, overhead, sizes, KMS, faults, ledger, expectations; comparison; trend"
    );
    for banned in [
        "<script",
        "<link",
        "<img",
        " src=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(
            !page.contains(banned),
            "the page must not fetch anything: {banned}"
        );
    }
    let outside = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!outside.contains("http://") && !outside.contains("https://"));
    assert!(dir.join("out").join("summary.md").is_file());
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap_or_default();
    assert_eq!(
        history.lines().count(),
        1,
        "--append-history adds the first result's night"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_inputs_exit_2_naming_the_file() {
    let dir = scratch("bad");
    let args = |results: Vec<PathBuf>, history: Option<PathBuf>| ReportArgs {
        results,
        out: dir.join("out"),
        png: false,
        history,
        append_history: None,
        audit: None,
    };
    let missing = dir.join("missing.json");
    let old = dir.join("old.json");
    let text = std::fs::read_to_string(golden_dir().join("result.json")).unwrap_or_default();
    std::fs::write(
        &old,
        text.replacen("\"schema_version\": 2", "\"schema_version\": 1", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let garbled = dir.join("history.jsonl");
    std::fs::write(&garbled, "not json\n").unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (args(vec![missing.clone()], None), "missing.json".to_owned()),
        (
            args(vec![old.clone()], None),
            "old.json: result schema_version 1 cannot be read".to_owned(),
        ),
        (
            args(vec![golden_dir().join("result.json")], Some(garbled)),
            "history.jsonl:1".to_owned(),
        ),
    ];
    for (a, want) in cases {
        match write_report(&a) {
            Err(e @ ReportFailure::Input(_)) => {
                assert_eq!(e.exit_code(), kcb::exit::Exit::BadInput);
                assert!(e.to_string().contains(&want), "{e} should name {want}");
            }
            other => panic!("expected an input error naming {want}, got {other:?}"),
        }
    }
    assert!(!dir.join("out").exists(), "nothing written on bad input");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Width, height and the distinct colours of the PNG at `path`.
fn png_facts(path: &Path) -> (u32, u32, usize, f64) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let step = info.color_type.samples();
    assert!(step >= 3, "{:?}", info.color_type);
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(step).collect();
    let colours: HashSet<[u8; 3]> = pixels.iter().map(|p| [p[0], p[1], p[2]]).collect();
    let inked = pixels
        .iter()
        .filter(|p| p[..3].iter().any(|c| *c < 200))
        .count() as f64
        / pixels.len() as f64;
    (info.width, info.height, colours.len(), inked)
}

#[test]
fn png_copies_draw_shapes_and_text_when_a_font_is_found() {
    let font = match PngFont::find() {
        Ok(f) => f,
        Err(why) => {
            skip_notice(&format!(
                "SKIPPED png_copies_draw_shapes_and_text_when_a_font_is_found: {why}"
            ));
            return;
        }
    };
    let timeline = series::fault_timeline(&golden_run().result).unwrap_or_else(|| panic!("faults"));
    let plot = Plot::FaultTimeline(&timeline);
    let dir = scratch("png");
    let file = dir.join("timeline.png");
    std::fs::write(&file, plot.png(&font).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let (w, h, colours, inked) = png_facts(&file);
    assert_eq!((w, h), plot.size());
    assert!(
        colours > 20,
        "{colours} colours: lines, shading and anti-aliased text"
    );
    assert!(inked > 0.01, "{inked}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A notice on the test process's own stderr, which the test harness does not capture, so a
/// skipped check is visible in a plain `cargo test` run.
fn skip_notice(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let required = std::env::var("KCB_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
    let Some(chromium) = on_path("chromium") else {
        assert!(
            !required,
            "KCB_REQUIRE_CHROMIUM=1 but `chromium` is not on PATH"
        );
        skip_notice("SKIPPED the_page_renders_in_headless_chromium: `chromium` is not on PATH (apt-get install chromium)");
        return;
    };
    let dir = scratch("chromium");
    let index = write_golden_report(&dir);
    let shot = dir.join("shot.png");
    let profile = dir.join("profile");
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", index.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", chromium.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish its screenshot within 120 s");
            }
        }
    };
    assert!(status.success(), "chromium exited {status}");
    assert!(shot.is_file(), "no screenshot written");
    let (w, h, colours, inked) = png_facts(&shot);
    assert_eq!((w, h), (1280, 2000));
    assert!(colours >= 8, "only {colours} colours: a blank page?");
    assert!(
        inked > 0.02,
        "only {:.1}% of the page is drawn on",
        inked * 100.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn html_render_of_the_golden_run_alone_has_no_comparison() {
    let page = html::render(&[golden_run()], None, None, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(page.html.contains("data-plot=\"fault-timeline\""));
    assert!(!page.html.contains("data-plot=\"trend\""));
}
