//! The drawing of the plots over time: the fault timeline, and the trend across runs or nights.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{
    e, legend, linear_bounds, nothing, swatch, whole, Drawn, KeyedAxis, CAPTION, LABEL,
};
use super::Tags;
use crate::report::series::{FaultWindow, LatencyOverTime, Timeline, TrendPoint, TrendValues};

/// Which of an interval's percentiles (time, p50, p99) a panel draws.
type Percentile = fn(&(f64, u64, u64)) -> u64;

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
        let mut chart = seconds_chart(area, caption, (end, top), (60, unit), &whole)?;
        shade_faults(&mut chart, tags, &t.faults, (end, 0.0, top), i == 0)?;
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

/// Each fault's window shaded on `chart`, labelled when `label` is set.
fn shade_faults<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    tags: &mut Tags,
    faults: &[FaultWindow],
    (end, bottom, top): (f64, f64, f64),
    label: bool,
) -> Drawn {
    for f in faults {
        let shade = tags.fault(&f.name);
        let until = f.end_secs.unwrap_or(end).min(end);
        chart
            .draw_series([Rectangle::new(
                [(f.start_secs, bottom), (until, top)],
                shade.mix(0.2).filled(),
            )])
            .map_err(e)?;
        if label {
            let text = format!("{} ({})", f.name, f.kind);
            let style = ("sans-serif", 13).into_font().color(&shade);
            chart
                .draw_series([Text::new(text, (f.start_secs, top * 0.97), style)])
                .map_err(e)?;
        }
    }
    Ok(())
}

pub(super) fn over_time<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    t: &LatencyOverTime,
) -> Drawn {
    let panels = root.split_evenly((2, 1));
    let shown: [(&str, Percentile); 2] = [
        ("Put latency p50 per interval", |p| p.1),
        ("Put latency p99 per interval", |p| p.2),
    ];
    for (i, (area, (caption, pick))) in panels.iter().zip(shown).enumerate() {
        for p in &t.paths {
            tags.series(&p.path);
        }
        let top = t
            .paths
            .iter()
            .flat_map(|p| p.points.iter().map(pick))
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.25;
        let us = |y: &f64| crate::format::us(y.round() as u64);
        let mut chart = seconds_chart(area, caption, (t.end_secs, top), (70, "µs"), &us)?;
        shade_faults(&mut chart, tags, &t.faults, (t.end_secs, 0.0, top), i == 0)?;
        for p in &t.paths {
            let colour = tags.series(&p.path);
            let points = p.points.iter().map(|q| (q.0 + 0.5, pick(q) as f64));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(e)?
                .label(p.path.as_str())
                .legend(swatch(colour));
        }
        legend(area, &mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

/// A chart over the seconds of the load, `0..end` by `0..top`, its mesh drawn: the y axis
/// `y_area` pixels wide, described as `unit`, labelled by `y_label`.
fn seconds_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    (end, top): (f64, f64),
    (y_area, unit): (u32, &str),
    y_label: &dyn Fn(&f64) -> String,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, CAPTION)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(y_area)
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
        .y_label_formatter(y_label)
        .draw()
        .map_err(e)?;
    Ok(chart)
}

type Pick = fn(&TrendValues) -> Option<f64>;

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
                crate::format::signed_us(y.round() as i64)
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
