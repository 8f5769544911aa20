//! Plot 8: the monthly bill, a panel per capacity mode and a stacked bar per path in it: what
//! Kinesis, KMS, Firehose and S3 are each paid.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{e, legend, nothing, swatch, KeyedAxis, CAPTION, LABEL};
use super::Tags;
use crate::report::bill::BillBar;
use crate::result::{BillMode, BillService};

/// The panels, in order: the modes the bars have.
pub(super) fn modes(bars: &[BillBar]) -> Vec<BillMode> {
    let mut out: Vec<BillMode> = Vec::new();
    for b in bars {
        if !out.contains(&b.mode) {
            out.push(b.mode);
        }
    }
    out
}

pub(super) fn bill<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    bars: &[BillBar],
) -> super::parts::Drawn {
    let caption = "Monthly bill by service";
    let total = |b: &BillBar| b.usd.iter().sum::<f64>();
    if bars.is_empty() || bars.iter().all(|b| total(b) <= 0.0) {
        return nothing(
            root,
            caption,
            "no bill: no price table for the run's region",
        );
    }
    let modes = modes(bars);
    let titled = root.titled(caption, CAPTION).map_err(e)?;
    let panels = titled.split_evenly((modes.len(), 1));
    // One scale for every panel, so the modes compare by height; room above for the legend.
    let top = bars.iter().map(total).fold(0.0, f64::max) * 1.35;
    // Each service's colour, the same in every panel.
    let colours: Vec<_> = BillService::ALL
        .iter()
        .map(|s| tags.series(s.label()))
        .collect();
    for (panel, mode) in panels.iter().zip(&modes) {
        let these: Vec<&BillBar> = bars.iter().filter(|b| b.mode == *mode).collect();
        let n = these.len();
        let mut chart = ChartBuilder::on(panel)
            .caption(mode.label(), LABEL)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(80)
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
            .y_desc("US dollars a month")
            .x_label_formatter(&|x| {
                these
                    .get(x.floor().max(0.0) as usize)
                    .map(|b| b.path.clone())
                    .unwrap_or_default()
            })
            .y_label_formatter(&|y| crate::format::usd(*y))
            .draw()
            .map_err(e)?;
        for (k, service) in BillService::ALL.iter().enumerate() {
            if bars.iter().all(|b| b.usd[k] <= 0.0) {
                continue;
            }
            let colour = colours[k];
            chart
                .draw_series(these.iter().enumerate().filter_map(|(j, b)| {
                    let lo: f64 = b.usd[..k].iter().sum();
                    let hi = lo + b.usd[k];
                    (hi > lo).then(|| {
                        Rectangle::new(
                            [(j as f64 + 0.2, lo), (j as f64 + 0.8, hi)],
                            colour.filled(),
                        )
                    })
                }))
                .map_err(e)?
                .label(service.label())
                .legend(swatch(colour));
        }
        legend(panel, &mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    Ok(())
}
