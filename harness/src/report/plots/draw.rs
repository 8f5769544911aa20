//! The drawing of each plot, generic over the plotters backend (SVG, or the PNG bitmap).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Tags, LEGEND_END, LEGEND_START};
use crate::report::format_us;
use crate::report::series::{
    format_secs as secs_label, Curve, KmsWindows, OverheadRow, SizeSeries, Timeline, TrendPoint,
    MAX_NINES,
};
use crate::result::KINESIS_MAX_RECORD_BYTES;

type Drawn = Result<(), String>;

/// A linear f64 axis whose labelled points are given (category centres, run indices), which
/// plotters' own `with_key_points` cannot format with a custom formatter.
#[derive(Debug, Clone)]
struct KeyedAxis {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        limit.0 + ((limit.1 - limit.0) as f64 * (v - self.lo) / span + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.keys.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A log10 axis whose marks are 1, 2 and 5 times powers of ten (plotters' own log axis marks
/// nothing below the first power of ten in its range).
#[derive(Debug, Clone)]
struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    fn new((lo, hi): (f64, f64)) -> LogAxis {
        let lo = lo.max(1e-9);
        LogAxis {
            lo,
            hi: hi.max(lo * 1.01),
        }
    }
}

impl Ranged for LogAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.lo.log10(), self.hi.log10());
        let x = v.max(1e-12).log10();
        limit.0 + ((limit.1 - limit.0) as f64 * (x - a) / (b - a) + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let most = hint.max_num_points();
        for steps in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
            let mut marks = Vec::new();
            let mut decade = 10f64.powf(self.lo.log10().floor());
            while decade <= self.hi {
                marks.extend(
                    steps
                        .iter()
                        .map(|m| m * decade)
                        .filter(|v| *v >= self.lo && *v <= self.hi),
                );
                decade *= 10.0;
            }
            if marks.len() <= most.max(2) || steps.len() == 1 {
                return marks;
            }
        }
        Vec::new()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

const CAPTION: (&str, u32) = ("sans-serif", 20);
const LABEL: (&str, u32) = ("sans-serif", 15);

/// A caption and a note where there is nothing to draw.
fn nothing<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, caption: &str, note: &str) -> Drawn {
    let inner = area.titled(caption, CAPTION).map_err(e)?;
    let (w, h) = inner.dim_in_pixel();
    let style = TextStyle::from(("sans-serif", 15).into_font()).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ),
    );
    inner
        .draw(&Text::new(
            note.to_owned(),
            (w as i32 / 2, h as i32 / 2),
            style,
        ))
        .map_err(e)
}

/// The chart's legend, followed by the marker that ends the legend in the tagged SVG.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(LEGEND_START.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    area.draw(&Rectangle::new([(0, 0), (1, 1)], LEGEND_END.filled()))
        .map_err(e)
}

fn swatch(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
}

/// "p0", "p90", "p99", "p99.9", "p99.99" for 0..4 nines.
pub(crate) fn percentile_label(nines: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-nines));
    let decimals = (nines.ceil() as i32 - 2).max(0) as usize;
    format!("p{p:.decimals$}")
}

/// A whole number for a count axis; nothing between whole numbers.
fn whole(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// Whether `v` is 1, 2 or 5 times a power of ten (the log-axis marks worth a label).
fn one_two_five(v: f64) -> bool {
    if v <= 0.0 {
        return false;
    }
    let mantissa = v / 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-6 * m)
}

/// Log-axis bounds around every value (at least 1, a decade at least).
fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = (lo * 0.8).max(1.0).min(hi.max(1.0));
    (lo, (hi * 1.3).max(lo * 10.0))
}

/// Linear bounds including zero, with headroom.
fn linear_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((0f64, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = (hi - lo).max(1.0) * 0.15;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// A byte count for a log axis, whose marks fall on powers of ten: "16 B", "1 kB", "100 kB", "1 MB".
fn bytes_label(v: f64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.1}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    if v >= 1e6 {
        format!("{} MB", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{} kB", trim(v / 1e3))
    } else {
        format!("{} B", trim(v))
    }
}

pub(super) fn latency<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    put: &[Curve],
    e2e: &[Curve],
) -> Drawn {
    for c in put.iter().chain(e2e) {
        tags.series(&c.path);
    }
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(w / 2);
    latency_panel(&left, tags, "Put: intended send to acknowledged", put, true)?;
    latency_panel(
        &right,
        tags,
        "End to end: intended send to verified read",
        e2e,
        put.is_empty(),
    )
}

fn latency_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    caption: &str,
    curves: &[Curve],
    with_legend: bool,
) -> Drawn {
    if curves.is_empty() {
        return nothing(area, caption, "nothing measured");
    }
    let (lo, hi) = log_bounds(curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(caption, CAPTION)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..MAX_NINES, LogAxis::new((lo, hi)))
        .map_err(e)?;
    chart
        .configure_mesh()
        .label_style(LABEL)
        .axis_desc_style(LABEL)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .x_labels(5)
        .x_desc("percentile")
        .y_desc("latency (log)")
        .x_label_formatter(&|x| percentile_label(*x))
        .y_label_formatter(&|y| {
            if one_two_five(*y) {
                format_us(y.round() as u64)
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(e)?;
    for c in curves {
        let colour = tags.series(&c.path);
        chart
            .draw_series(LineSeries::new(
                c.points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(e)?
            .label(c.path.as_str())
            .legend(swatch(colour));
    }
    if with_legend {
        legend(area, &mut chart, SeriesLabelPosition::LowerRight)?;
    }
    Ok(())
}

pub(super) fn overhead<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    rows: &[OverheadRow],
) -> Drawn {
    let caption = "Put latency over plaintext";
    if rows.is_empty() {
        return nothing(root, caption, "no path to compare with plaintext");
    }
    let (lo, hi) = linear_bounds(rows.iter().flat_map(|r| [r.p50_us as f64, r.p99_us as f64]));
    // Room above the bars for the legend.
    let hi = hi + (hi - lo) * 0.25;
    let n = rows.len();
    let keys: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(caption, CAPTION)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(
            KeyedAxis {
                lo: 0.0,
                hi: n as f64,
                keys,
            },
            lo..hi,
        )
        .map_err(e)?;
    let name = |x: &f64| {
        rows.get(x.floor().max(0.0) as usize)
            .map(|r| r.path.clone())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .label_style(LABEL)
        .axis_desc_style(LABEL)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .disable_x_mesh()
        .x_label_formatter(&name)
        .y_desc("added latency")
        .y_label_formatter(&|y| crate::report::format_signed_us(y.round() as i64))
        .draw()
        .map_err(e)?;
    let bars = [
        ("p50 over plaintext", 0.12, false),
        ("p99 over plaintext", 0.52, true),
    ];
    for (label, offset, is_p99) in bars {
        let colour = tags.series(label);
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let v = if is_p99 { r.p99_us } else { r.p50_us } as f64;
                let x = i as f64 + offset;
                Rectangle::new([(x, 0.0), (x + 0.36, v)], colour.filled())
            }))
            .map_err(e)?
            .label(label)
            .legend(swatch(colour));
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (n as f64, 0.0)],
            BLACK.stroke_width(1),
        ))
        .map_err(e)?;
    legend(root, &mut chart, SeriesLabelPosition::UpperLeft)
}

pub(super) fn inflation<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    series: &[SizeSeries],
) -> Drawn {
    for s in series {
        tags.series(&s.path);
    }
    let limit = tags.series_coloured("1 MiB record limit", RGBColor(178, 24, 43));
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(w / 2);
    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0 as f64));
    let (x_lo, x_hi) = log_bounds(xs);
    let limit_bytes = KINESIS_MAX_RECORD_BYTES as f64;
    let (y_lo, y_hi) = log_bounds(
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1 as f64))
            .chain([limit_bytes * 3.0]),
    );
    let mut chart = ChartBuilder::on(&left)
        .caption("Record size against plaintext size", CAPTION)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(LogAxis::new((x_lo, x_hi)), LogAxis::new((y_lo, y_hi)))
        .map_err(e)?;
    chart
        .configure_mesh()
        .label_style(LABEL)
        .axis_desc_style(LABEL)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .x_desc("plaintext (log)")
        .y_desc("record (log)")
        .x_label_formatter(&|x| {
            if one_two_five(*x) {
                bytes_label(*x)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if one_two_five(*y) {
                bytes_label(*y)
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(
            [(x_lo, limit_bytes), (x_hi, limit_bytes)],
            limit.stroke_width(2),
        ))
        .map_err(e)?
        .label("1 MiB record limit")
        .legend(swatch(limit));
    for s in series {
        let colour = tags.series(&s.path);
        let points = || s.points.iter().map(|(p, r)| (*p as f64, *r as f64));
        chart
            .draw_series(LineSeries::new(points(), colour.stroke_width(2)))
            .map_err(e)?
            .label(s.path.as_str())
            .legend(swatch(colour));
        chart
            .draw_series(points().map(|p| Circle::new(p, 3, colour.filled())))
            .map_err(e)?;
    }
    legend(&left, &mut chart, SeriesLabelPosition::UpperLeft)?;

    let ratio = |(p, r): &(u64, u64)| *r as f64 / (*p).max(1) as f64;
    let ratios = series.iter().flat_map(|s| s.points.iter().map(ratio));
    let (r_lo, r_hi) = ratios.fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (r_lo, r_hi) = ((r_lo / 1.3).max(0.01), (r_hi * 1.3).max(r_lo * 2.0));
    let mut chart = ChartBuilder::on(&right)
        .caption("Inflation (record / plaintext)", CAPTION)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(LogAxis::new((x_lo, x_hi)), LogAxis::new((r_lo, r_hi)))
        .map_err(e)?;
    chart
        .configure_mesh()
        .label_style(LABEL)
        .axis_desc_style(LABEL)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .x_desc("plaintext (log)")
        .y_desc("ratio (log)")
        .x_label_formatter(&|x| bytes_label(*x))
        .y_label_formatter(&|y| format!("{}x", crate::report::format_measured(Some(*y))))
        .draw()
        .map_err(e)?;
    for s in series {
        let colour = tags.series(&s.path);
        let points = || s.points.iter().map(|pr| (pr.0 as f64, ratio(pr)));
        chart
            .draw_series(LineSeries::new(points(), colour.stroke_width(2)))
            .map_err(e)?;
        chart
            .draw_series(points().map(|p| Circle::new(p, 3, colour.filled())))
            .map_err(e)?;
    }
    Ok(())
}

pub(super) fn kms_windows<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    windows: &[KmsWindows],
) -> Drawn {
    let caption = "KMS calls per data-key reuse window";
    if windows.is_empty() {
        return nothing(root, caption, "no KMS calls");
    }
    let inner = root.titled(caption, CAPTION).map_err(e)?;
    for (area, w) in inner.split_evenly((windows.len(), 1)).iter().zip(windows) {
        let colour = tags.series(&w.path);
        let n = w.per_window.len();
        let top = w.per_window.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.2;
        let step = n.div_ceil(12).max(1);
        let keys: Vec<f64> = (0..n).step_by(step).map(|i| i as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "{}: one bar per {} window",
                    w.path,
                    secs_label(w.window_secs)
                ),
                ("sans-serif", 14),
            )
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(60)
            .build_cartesian_2d(
                KeyedAxis {
                    lo: 0.0,
                    hi: n as f64,
                    keys,
                },
                0f64..top,
            )
            .map_err(e)?;
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .disable_x_mesh()
            .y_labels(4)
            .x_desc("window start")
            .y_desc("calls")
            .x_label_formatter(&|x| secs_label(x.floor() * w.window_secs))
            .y_label_formatter(&whole)
            .draw()
            .map_err(e)?;
        chart
            .draw_series(w.per_window.iter().enumerate().map(|(i, v)| {
                Rectangle::new(
                    [(i as f64 + 0.1, 0.0), (i as f64 + 0.9, *v as f64)],
                    colour.filled(),
                )
            }))
            .map_err(e)?;
    }
    Ok(())
}

pub(super) fn fault_timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    t: &Timeline,
) -> Drawn {
    let panels = root.split_evenly((2, 1));
    let end = t.last_second as f64 + 1.0;
    let shown = [
        ("Records acknowledged per second", "records/s", &t.acked),
        ("Errors per second, by path and name", "errors/s", &t.errors),
    ];
    for (i, (area, (caption, unit, lines))) in panels.iter().zip(shown).enumerate() {
        for (name, _) in lines.iter() {
            tags.series(name);
        }
        let top = lines
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1) as f64
            * 1.25;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, CAPTION)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..end, 0f64..top)
            .map_err(e)?;
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .x_desc("second of the load")
            .y_desc(unit)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&whole)
            .draw()
            .map_err(e)?;
        for f in &t.faults {
            let shade = tags.fault(&f.name);
            let until = f.end_secs.unwrap_or(end).min(end);
            chart
                .draw_series([Rectangle::new(
                    [(f.start_secs, 0.0), (until, top)],
                    shade.mix(0.2).filled(),
                )])
                .map_err(e)?;
            if i == 0 {
                let label = format!("{} ({})", f.name, f.kind);
                let style = ("sans-serif", 13).into_font().color(&shade);
                chart
                    .draw_series([Text::new(label, (f.start_secs, top * 0.97), style)])
                    .map_err(e)?;
            }
        }
        if lines.is_empty() {
            let style = ("sans-serif", 15).into_font();
            chart
                .draw_series([Text::new(
                    "no errors".to_owned(),
                    (end * 0.45, top * 0.5),
                    style,
                )])
                .map_err(e)?;
            continue;
        }
        for (name, values) in lines.iter() {
            let colour = tags.series(name);
            let points = values
                .iter()
                .enumerate()
                .map(|(s, v)| (s as f64 + 0.5, *v as f64));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(e)?
                .label(name.as_str())
                .legend(swatch(colour));
        }
        legend(area, &mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

type Pick = fn(&crate::report::series::TrendValues) -> Option<f64>;

pub(super) fn trend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    title: &str,
    points: &[TrendPoint],
) -> Drawn {
    if points.is_empty() {
        return nothing(root, title, "no runs");
    }
    let mut paths: Vec<&str> = Vec::new();
    for p in points.iter().flat_map(|p| &p.paths) {
        if !paths.contains(&p.path.as_str()) {
            paths.push(&p.path);
            tags.series(&p.path);
        }
    }
    let inner = root.titled(title, CAPTION).map_err(e)?;
    let panels: [(&str, bool, Pick); 3] = [
        ("Put p50 over plaintext", true, |v| {
            v.overhead_p50_us.map(|x| x as f64)
        }),
        ("Put p99 over plaintext", true, |v| {
            v.overhead_p99_us.map(|x| x as f64)
        }),
        ("KMS calls in the busiest reuse window", false, |v| {
            Some(v.kms_calls_per_window as f64)
        }),
    ];
    let n = points.len();
    let step = n.div_ceil(10).max(1);
    let keys: Vec<f64> = (0..n).step_by(step).map(|i| i as f64).collect();
    let mut legend_drawn = false;
    for (area, (caption, is_latency, pick)) in inner.split_evenly((3, 1)).iter().zip(panels) {
        let value = |point: &TrendPoint, path: &str| {
            point.paths.iter().find(|v| v.path == path).and_then(pick)
        };
        let (lo, hi) = linear_bounds(
            points
                .iter()
                .flat_map(|p| paths.iter().filter_map(|path| value(p, path))),
        );
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(
                KeyedAxis {
                    lo: -0.5,
                    hi: n as f64 - 0.5,
                    keys: keys.clone(),
                },
                lo..hi,
            )
            .map_err(e)?;
        let label = |x: &f64| {
            points
                .get(x.round().max(0.0) as usize)
                .map(|p| p.label.clone())
                .unwrap_or_default()
        };
        let y_label = |y: &f64| {
            if is_latency {
                crate::report::format_signed_us(y.round() as i64)
            } else {
                whole(y)
            }
        };
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .y_labels(5)
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(e)?;
        let mut drew_any = false;
        for path in &paths {
            let colour = tags.series(path);
            let line: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| value(p, path).map(|v| (i as f64, v)))
                .collect();
            // A path that never called KMS (plaintext) would only draw a line along zero.
            if line.is_empty() || (!is_latency && line.iter().all(|p| p.1 == 0.0)) {
                continue;
            }
            drew_any = true;
            chart
                .draw_series(LineSeries::new(
                    line.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(e)?
                .label(*path)
                .legend(swatch(colour));
            chart
                .draw_series(line.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(e)?;
        }
        if drew_any && !legend_drawn {
            legend(area, &mut chart, SeriesLabelPosition::UpperLeft)?;
            legend_drawn = true;
        }
    }
    Ok(())
}
