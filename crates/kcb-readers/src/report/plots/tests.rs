use super::*;
use crate::report::series::{self, LatencyKind, ReportRun};
use crate::result::sample_run_result;

/// Elements `<element ... key="name"` in `svg`.
fn count(svg: &str, element: &str, key: &str, name: &str) -> usize {
    let needle = format!("<{element} {key}=\"{name}\"");
    svg.matches(&needle).count()
}

#[test]
fn colours_are_unique_and_stable_per_name() {
    let mut tags = Tags::default();
    let a = tags.series("a");
    assert_eq!(tags.series("a"), a);
    let colours: Vec<RGBColor> = (0..25).map(|i| tags.series(&format!("s{i}"))).collect();
    let f = tags.fault("a");
    for (i, c) in colours.iter().chain([&a, &f]).enumerate() {
        let same = colours.iter().chain([&a, &f]).filter(|d| *d == c).count();
        assert_eq!(same, 1, "colour {i} used twice");
        assert_ne!(*c, LEGEND_START);
    }
}

#[test]
fn tagging_marks_series_legends_and_faults() {
    let mut tags = Tags::default();
    let s = hex_of(tags.series("env \"x\""));
    let f = hex_of(tags.fault("deny-0"));
    let legend = hex_of(LEGEND_START);
    let end = hex_of(LEGEND_END);
    let svg = format!(
        "<svg><polyline fill=\"none\" stroke=\"{s}\" points=\"1,2\"/><rect x=\"0\" fill=\"{f}\" stroke=\"none\"/>\
         <rect fill=\"{legend}\" stroke=\"none\"/><text fill=\"#000000\">env</text><rect fill=\"{s}\" stroke=\"none\"/>\
         <rect fill=\"{end}\" stroke=\"none\"/><circle fill=\"{s}\"/></svg>"
    );
    let out = tag_svg(&svg, &tags);
    assert_eq!(
        count(&out, "polyline", "data-series", "env &quot;x&quot;"),
        1
    );
    assert_eq!(count(&out, "circle", "data-series", "env &quot;x&quot;"), 1);
    assert_eq!(count(&out, "rect", "data-legend", "env &quot;x&quot;"), 1);
    assert_eq!(count(&out, "rect", "data-fault", "deny-0"), 1);
    assert!(!out.contains(&end), "the legend-end marker is dropped");
    assert!(out.contains("<text fill=\"#000000\">env</text>"));
}

#[test]
fn percentile_labels() {
    let labels: Vec<String> = (0..=4).map(|n| parts::percentile_label(n as f64)).collect();
    assert_eq!(labels, ["p0", "p90", "p99", "p99.9", "p99.99"]);
}

#[test]
fn every_plot_of_the_sample_draws_its_series() {
    let result = sample_run_result();
    let run = ReportRun::from_result(std::path::Path::new("r.json"), result.clone());
    let put = series::latency_curves(&run, LatencyKind::Put);
    let e2e = series::latency_curves(&run, LatencyKind::EndToEnd);
    let svg = latency_svg(&put, &e2e).unwrap_or_else(|e| panic!("{e}"));
    for path in ["plaintext", "envelope", "sse-kms"] {
        assert_eq!(
            count(&svg, "polyline", "data-series", path),
            2,
            "{path}: one line per panel"
        );
        assert_eq!(
            count(&svg, "rect", "data-legend", path),
            1,
            "{path}: one legend entry"
        );
    }
    let svg = kms_windows_svg(&series::kms_windows(&result)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&svg, "rect", "data-series", "envelope"), 6);
    assert_eq!(count(&svg, "rect", "data-series", "sse-kms"), 6);
    let timeline = series::fault_timeline(&result).unwrap_or_else(|| panic!("no timeline"));
    let svg = fault_timeline_svg(&timeline).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&svg, "rect", "data-fault", "deny-0"), 2);
    assert_eq!(count(&svg, "text", "data-fault", "deny-0"), 1);
}

#[test]
fn nothing_to_draw_is_said_not_failed() {
    let svg = overhead_svg(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("no path to compare with plaintext"));
    let svg = kms_windows_svg(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("no KMS calls"));
    let svg = trend_svg("nights", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("no runs"));
}
