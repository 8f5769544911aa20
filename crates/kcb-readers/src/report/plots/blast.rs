//! Plot 4b: each fault's blast radius, a panel per fault and path with tenants: a bar per
//! tenant of the errors and give-ups it saw while the fault was in effect, the targeted
//! tenants in one colour and the others in another, so collateral stands out.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{e, legend, nothing, swatch, whole, Drawn, KeyedAxis, CAPTION, LABEL};
use super::Tags;
use crate::report::series::BlastPanel;

/// The series names (and legend entries).
pub(crate) const TARGETED: &str = "targeted tenant";
/// The series of the tenants the fault did not target.
pub(crate) const OTHERS: &str = "other tenants";

pub(super) fn blast_radius<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tags: &mut Tags,
    panels: &[BlastPanel],
) -> Drawn {
    let caption = "Blast radius: errors and give-ups per tenant while the fault was in effect";
    if panels.is_empty() {
        return nothing(root, caption, "no fault watched by tenants");
    }
    let inner = root.titled(caption, CAPTION).map_err(e)?;
    let targeted = tags.series(TARGETED);
    let others = tags.series(OTHERS);
    for (i, (area, p)) in inner
        .split_evenly((panels.len(), 1))
        .iter()
        .zip(panels)
        .enumerate()
    {
        let n = p.tenants.len();
        let top = p.tenants.iter().map(|t| t.1).max().unwrap_or(0).max(1) as f64 * 1.3;
        let keys: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{} on {} ({} key)", p.fault, p.path, p.key),
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
            .x_desc("tenant")
            .y_desc("errors + give-ups")
            .x_label_formatter(&|x| {
                p.tenants
                    .get(x.floor().max(0.0) as usize)
                    .map(|t| t.0.to_string())
                    .unwrap_or_default()
            })
            .y_label_formatter(&whole)
            .draw()
            .map_err(e)?;
        for (name, colour, want) in [(TARGETED, targeted, true), (OTHERS, others, false)] {
            let bars = chart
                .draw_series(
                    p.tenants
                        .iter()
                        .enumerate()
                        .filter(|(_, t)| t.2 == want)
                        .map(|(j, t)| {
                            Rectangle::new(
                                [(j as f64 + 0.15, 0.0), (j as f64 + 0.85, t.1 as f64)],
                                colour.filled(),
                            )
                        }),
                )
                .map_err(e)?;
            if i == 0 {
                bars.label(name).legend(swatch(colour));
            }
        }
        if i == 0 {
            legend(area, &mut chart, SeriesLabelPosition::UpperRight)?;
        }
    }
    Ok(())
}
