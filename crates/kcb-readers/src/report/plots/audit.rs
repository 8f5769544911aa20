//! Plot 7: an audit's streams by protection, a stacked bar per protection (weakest first):
//! the streams that meet the audit's rules in one colour, those that fall short in another.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{e, legend, nothing, swatch, whole, Drawn, KeyedAxis, CAPTION, LABEL};
use super::Tags;
use crate::report::audit::ProtectionCount;

/// Where one series' stretch of a bar starts and ends, from a protection's counts.
type Span = fn(&ProtectionCount) -> (u64, u64);

/// The series of the compliant streams.
pub(crate) const COMPLIANT: &str = "compliant";
/// The series of the streams that fall short.
pub(crate) const SHORT: &str = "falls short";

pub(super) fn audit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    counts: &[ProtectionCount],
) -> Drawn {
    let caption = "Streams by protection";
    if counts.iter().all(|c| c.1 + c.2 == 0) {
        return nothing(root, caption, "the audit found no stream");
    }
    let n = counts.len();
    let top = counts.iter().map(|c| c.1 + c.2).max().unwrap_or(0).max(1) as f64 * 1.3;
    let mut chart = ChartBuilder::on(root)
        .caption(caption, CAPTION)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            KeyedAxis {
                lo: 0.0,
                hi: n as f64,
                keys: (0..n).map(|i| i as f64 + 0.5).collect(),
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
        .y_labels(5)
        .x_desc("protection")
        .y_desc("streams")
        .x_label_formatter(&|x| {
            counts
                .get(x.floor().max(0.0) as usize)
                .map(|c| c.0.to_owned())
                .unwrap_or_default()
        })
        .y_label_formatter(&whole)
        .draw()
        .map_err(e)?;
    let ok = tags.series(COMPLIANT);
    let short = tags.series(SHORT);
    // Each series' stretch of the bar: compliant from 0, falling short on top of it.
    let spans: [(&str, RGBColor, Span); 2] = [
        (COMPLIANT, ok, |c| (0, c.1)),
        (SHORT, short, |c| (c.1, c.1 + c.2)),
    ];
    for (name, colour, span) in spans {
        chart
            .draw_series(counts.iter().enumerate().filter_map(|(j, c)| {
                let (lo, hi) = span(c);
                (hi > lo).then(|| {
                    Rectangle::new(
                        [(j as f64 + 0.2, lo as f64), (j as f64 + 0.8, hi as f64)],
                        colour.filled(),
                    )
                })
            }))
            .map_err(e)?
            .label(name)
            .legend(swatch(colour));
    }
    legend(root, &mut chart, SeriesLabelPosition::UpperLeft)
}
