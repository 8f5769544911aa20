//! The drawing of the per-run plots (latency, overhead, inflation, KMS windows), generic over
//! the plotters backend (SVG, or the PNG bitmap).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{
    bytes_label, e, legend, linear_bounds, log_bounds, nothing, one_two_five, swatch, whole, Drawn,
    KeyedAxis, LogAxis, CAPTION, LABEL,
};
use super::Tags;
use crate::format;
use crate::report::series::{Curve, KmsWindows, OverheadRow, SizeOverhead, SizeSeries, MAX_NINES};
use crate::result::KINESIS_MAX_RECORD_BYTES;

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
    // Room above the curves for the legend.
    let hi = hi * 2.5;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, CAPTION)
        .margin(10)
        .margin_right(26)
        .x_label_area_size(40)
        .y_label_area_size(82)
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
        .x_label_formatter(&|x| super::parts::percentile_label(*x))
        .y_label_formatter(&|y| {
            if one_two_five(*y) {
                format::us(y.round() as u64)
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
        legend(area, &mut chart, SeriesLabelPosition::UpperLeft)?;
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
    let ends = |r: &OverheadRow| {
        let mut v = vec![r.p50_us as f64, r.p99_us as f64];
        for ci in r.ci.iter().take(2).flatten() {
            v.extend([ci[0] as f64, ci[1] as f64]);
        }
        v
    };
    let (lo, hi) = linear_bounds(rows.iter().flat_map(ends));
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
        .y_label_formatter(&|y| crate::format::signed_us(y.round() as i64))
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
                // A bar whose interval holds zero is drawn pale: within noise.
                let ci = r.ci[usize::from(is_p99)];
                let fill = if crate::metrics::latency::within(ci) {
                    colour.mix(0.3).filled()
                } else {
                    colour.filled()
                };
                Rectangle::new([(x, 0.0), (x + 0.36, v)], fill)
            }))
            .map_err(e)?
            .label(label)
            .legend(swatch(colour));
        // The 95 % interval as a whisker through the bar.
        let whisker = tags.series_coloured(&format!("{label} 95 % interval"), RGBColor(40, 40, 40));
        chart
            .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                let [lo, hi] = r.ci[usize::from(is_p99)]?;
                let x = i as f64 + offset + 0.18;
                Some(PathElement::new(
                    vec![(x, lo as f64), (x, hi as f64)],
                    whisker.stroke_width(2),
                ))
            }))
            .map_err(e)?;
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
        .x_labels(6)
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
        .x_labels(6)
        .x_desc("plaintext (log)")
        .y_desc("ratio (log)")
        .x_label_formatter(&|x| bytes_label(*x))
        .y_label_formatter(&|y| format!("{}x", crate::format::measured(Some(*y))))
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

/// Put p50 over plaintext against plaintext size (log), one line per encrypted path.
pub(super) fn size_overhead<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    series: &[SizeOverhead],
) -> Drawn {
    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0 as f64));
    let (x_lo, x_hi) = log_bounds(xs);
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1 as f64));
    let (lo, hi) = ys.fold((0f64, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.15).max(10.0);
    let mut chart = ChartBuilder::on(root)
        .caption("Put p50 over plaintext, by record size", CAPTION)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(LogAxis::new((x_lo, x_hi)), (lo - pad)..(hi + pad))
        .map_err(e)?;
    chart
        .configure_mesh()
        .label_style(LABEL)
        .axis_desc_style(LABEL)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .x_labels(6)
        .x_desc("plaintext (log)")
        .y_desc("added put p50")
        .x_label_formatter(&|x| {
            if one_two_five(*x) {
                bytes_label(*x)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| crate::format::signed_us(y.round() as i64))
        .draw()
        .map_err(e)?;
    for s in series {
        let colour = tags.series(&s.path);
        let points = || s.points.iter().map(|(p, d)| (*p as f64, *d as f64));
        chart
            .draw_series(LineSeries::new(points(), colour.stroke_width(2)))
            .map_err(e)?
            .label(s.path.as_str())
            .legend(swatch(colour));
        chart
            .draw_series(points().map(|p| Circle::new(p, 3, colour.filled())))
            .map_err(e)?;
    }
    legend(root, &mut chart, SeriesLabelPosition::UpperLeft)
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
        if let Some(words) = w.in_words() {
            nothing(area, &w.path, &words)?;
            continue;
        }
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
                    format::secs(w.window_secs)
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
            .x_label_formatter(&|x| format::secs(x.floor() * w.window_secs))
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
