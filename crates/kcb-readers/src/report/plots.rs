//! The report's plots, drawn with `plotters`: one function per plot, each returning an SVG
//! string (and, through [`Plot::png`], a PNG of the same drawing).
//!
//! Every series gets a colour of its own within a plot, and the SVG is then tagged by colour:
//! each element of a series carries `data-series="<name>"`, each element of its legend entry
//! `data-legend="<name>"`, and each fault's shading and label `data-fault="<name>"`, so tests
//! (and anyone styling the page) can find a series by name rather than by colour.

mod audit;
mod bill;
mod bitmap;
mod blast;
mod draw;
mod parts;
mod time;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use bitmap::PngFont;

use super::audit::ProtectionCount;
use super::html::escape as escape_attr;
use super::series::{
    BlastPanel, Curve, KmsWindows, LatencyOverTime, OverheadRow, SizeOverhead, SizeSeries,
    Timeline, TrendPoint,
};

/// A plot that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("plot {plot}: {message}")]
pub struct PlotError {
    /// Which plot ([`Plot::id`]).
    pub plot: &'static str,
    /// What the drawing backend said.
    pub message: String,
}

/// One plot and the numbers it draws.
#[derive(Debug, Clone, Copy)]
pub enum Plot<'a> {
    /// 1: put and end-to-end latency against percentile, one line per path, log latency.
    Latency {
        /// Put latency curves.
        put: &'a [Curve],
        /// End-to-end latency curves.
        e2e: &'a [Curve],
    },
    /// 1b: put latency p50 and p99 over time, a line per path, each fault's window shaded.
    OverTime(&'a LatencyOverTime),
    /// 2a: p50 and p99 put latency over plaintext, a bar pair per path.
    Overhead(&'a [OverheadRow]),
    /// 2b: record bytes and inflation against plaintext size, with the 1 MiB record limit.
    Inflation(&'a [SizeSeries]),
    /// 2c: put p50 over plaintext against plaintext size, one line per encrypted path.
    SizeOverhead(&'a [SizeOverhead]),
    /// 3: KMS calls in each data-key reuse window, a panel per path, a bar per window.
    KmsWindows(&'a [KmsWindows]),
    /// 4: acknowledged records and errors per second, each fault's window shaded.
    FaultTimeline(&'a Timeline),
    /// 4b: each fault's blast radius, a panel per fault and path with tenants.
    BlastRadius(&'a [BlastPanel]),
    /// 7: an audit's streams by protection, compliant and falling short stacked.
    Audit(&'a [ProtectionCount]),
    /// 8: the monthly bill, a bar per path and capacity mode, stacked by service.
    Bill(&'a [super::bill::BillBar]),
    /// 5 and 6: overhead p50, p99 and KMS calls per window across runs or nights.
    Trend {
        /// What the points are ("runs of nightly", "nights").
        title: &'a str,
        /// One point per run or night, oldest first.
        points: &'a [TrendPoint],
    },
}

/// Plot 1 as SVG.
pub fn latency_svg(put: &[Curve], e2e: &[Curve]) -> Result<String, PlotError> {
    Plot::Latency { put, e2e }.svg()
}

/// Plot 1b as SVG.
pub fn over_time_svg(t: &LatencyOverTime) -> Result<String, PlotError> {
    Plot::OverTime(t).svg()
}

/// Plot 2a as SVG.
pub fn overhead_svg(rows: &[OverheadRow]) -> Result<String, PlotError> {
    Plot::Overhead(rows).svg()
}

/// Plot 2b as SVG.
pub fn inflation_svg(series: &[SizeSeries]) -> Result<String, PlotError> {
    Plot::Inflation(series).svg()
}

/// Plot 2c as SVG.
pub fn size_overhead_svg(series: &[SizeOverhead]) -> Result<String, PlotError> {
    Plot::SizeOverhead(series).svg()
}

/// Plot 3 as SVG.
pub fn kms_windows_svg(windows: &[KmsWindows]) -> Result<String, PlotError> {
    Plot::KmsWindows(windows).svg()
}

/// Plot 4 as SVG.
pub fn fault_timeline_svg(timeline: &Timeline) -> Result<String, PlotError> {
    Plot::FaultTimeline(timeline).svg()
}

/// Plot 5 (runs of one scenario) or 6 (nights of the history) as SVG.
pub fn trend_svg(title: &str, points: &[TrendPoint]) -> Result<String, PlotError> {
    Plot::Trend { title, points }.svg()
}

impl Plot<'_> {
    /// A short name, used in file names and errors.
    pub fn id(&self) -> &'static str {
        match self {
            Plot::Latency { .. } => "latency",
            Plot::OverTime(_) => "latency-over-time",
            Plot::Overhead(_) => "overhead",
            Plot::Inflation(_) => "inflation",
            Plot::SizeOverhead(_) => "size-overhead",
            Plot::KmsWindows(_) => "kms-windows",
            Plot::FaultTimeline(_) => "fault-timeline",
            Plot::BlastRadius(_) => "blast-radius",
            Plot::Audit(_) => "audit",
            Plot::Bill(_) => "bill",
            Plot::Trend { .. } => "trend",
        }
    }

    /// Width and height, pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Plot::Latency { .. } => (800, 400),
            Plot::OverTime(_) => (1000, 560),
            Plot::Overhead(_) => (760, 340),
            Plot::Inflation(_) => (800, 380),
            Plot::SizeOverhead(_) => (760, 340),
            Plot::KmsWindows(w) => (760, 44 + 190 * w.len().max(1) as u32),
            Plot::FaultTimeline(_) => (1000, 600),
            Plot::BlastRadius(p) => (760, 44 + 200 * p.len().max(1) as u32),
            Plot::Audit(_) => (640, 340),
            Plot::Bill(b) => {
                let widest = b.iter().map(|x| x.path.len()).max().unwrap_or(8) as u32;
                let per_panel = b.len() / bill::modes(b).len().max(1);
                (
                    (140 + (40 + 8 * widest) * per_panel.max(1) as u32).max(560),
                    44 + 300 * bill::modes(b).len().max(1) as u32,
                )
            }
            Plot::Trend { .. } => (760, 740),
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        tags: &mut Tags,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        match *self {
            Plot::Latency { put, e2e } => draw::latency(root, tags, put, e2e),
            Plot::OverTime(t) => time::over_time(root, tags, t),
            Plot::Overhead(rows) => draw::overhead(root, tags, rows),
            Plot::Inflation(series) => draw::inflation(root, tags, series),
            Plot::SizeOverhead(series) => draw::size_overhead(root, tags, series),
            Plot::KmsWindows(windows) => draw::kms_windows(root, tags, windows),
            Plot::FaultTimeline(t) => time::fault_timeline(root, tags, t),
            Plot::BlastRadius(p) => blast::blast_radius(root, tags, p),
            Plot::Audit(c) => audit::audit(root, tags, c),
            Plot::Bill(b) => bill::bill(root, tags, b),
            Plot::Trend { title, points } => time::trend(root, tags, title, points),
        }?;
        root.present().map_err(|e| e.to_string())
    }

    /// The plot as an SVG document, its series tagged by name.
    pub fn svg(&self) -> Result<String, PlotError> {
        let mut buf = String::new();
        let mut tags = Tags::default();
        {
            let root = SVGBackend::with_string(&mut buf, self.size()).into_drawing_area();
            self.draw(&root, &mut tags).map_err(|message| PlotError {
                plot: self.id(),
                message,
            })?;
        }
        Ok(tag_svg(&buf, &tags))
    }

    /// The plot as a PNG image, its text drawn with `font`.
    pub fn png(&self, font: &PngFont) -> Result<Vec<u8>, PlotError> {
        let (w, h) = self.size();
        let mut rgb = vec![255u8; w as usize * h as usize * 3];
        let err = |message| PlotError {
            plot: self.id(),
            message,
        };
        {
            let root = bitmap::TextBitmap::new(&mut rgb, (w, h), font).into_drawing_area();
            self.draw(&root, &mut Tags::default()).map_err(err)?;
        }
        bitmap::encode(&rgb, (w, h)).map_err(err)
    }
}

/// Fill of the legend's background: everything drawn after it, up to [`LEGEND_END`], is legend.
const LEGEND_START: RGBColor = RGBColor(254, 254, 254);
/// Colour of the marker drawn after each legend (dropped from the SVG).
const LEGEND_END: RGBColor = RGBColor(254, 254, 253);

/// Okabe–Ito's colour-blind-safe colours, then a few more; never black, white, grey or the
/// red of limits.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(140, 81, 10),
    RGBColor(117, 112, 179),
    RGBColor(27, 120, 55),
];

/// Shades for fault windows (drawn translucent).
const FAULT_SHADES: [RGBColor; 4] = [
    RGBColor(240, 60, 60),
    RGBColor(250, 170, 30),
    RGBColor(150, 90, 220),
    RGBColor(60, 170, 170),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Series,
    Fault,
}

/// The colour of every named thing in one plot, each colour used once.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    entries: Vec<(RGBColor, Role, String)>,
}

impl Tags {
    /// The colour of series `name` (the same each time it is asked for).
    pub(crate) fn series(&mut self, name: &str) -> RGBColor {
        let n = self.entries.iter().filter(|e| e.1 == Role::Series).count();
        self.colour(name, Role::Series, PALETTE[n % PALETTE.len()])
    }

    /// The colour of series `name`, `preferred` unless another name has it already.
    pub(crate) fn series_coloured(&mut self, name: &str, preferred: RGBColor) -> RGBColor {
        self.colour(name, Role::Series, preferred)
    }

    /// The shade of fault `name`.
    pub(crate) fn fault(&mut self, name: &str) -> RGBColor {
        let n = self.entries.iter().filter(|e| e.1 == Role::Fault).count();
        self.colour(name, Role::Fault, FAULT_SHADES[n % FAULT_SHADES.len()])
    }

    fn colour(&mut self, name: &str, role: Role, base: RGBColor) -> RGBColor {
        if let Some(e) = self.entries.iter().find(|e| e.1 == role && e.2 == name) {
            return e.0;
        }
        let mut c = base;
        while self.entries.iter().any(|e| e.0 == c) {
            c = RGBColor(c.0, c.1.wrapping_add(7), c.2.wrapping_add(3));
        }
        self.entries.push((c, role, name.to_owned()));
        c
    }

    fn find(&self, hex: &str) -> Option<(Role, &str)> {
        self.entries
            .iter()
            .find(|e| hex_of(e.0) == hex)
            .map(|e| (e.1, e.2.as_str()))
    }
}

fn hex_of(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The value of attribute `name` in the tag text `tag` (`<rect x="1" fill="#FFF"/>`).
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Add `data-series` / `data-legend` / `data-fault` to every element drawn in a tagged colour,
/// and drop the legend-end markers.
fn tag_svg(svg: &str, tags: &Tags) -> String {
    let mut out = String::with_capacity(svg.len() + svg.len() / 8);
    let mut in_legend = false;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = match after.find('>') {
            Some(c) => c + 1,
            None => break,
        };
        let tag = &after[..close];
        rest = &after[close..];
        let name_len = tag[1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(0);
        if name_len == 0 {
            out.push_str(tag);
            continue;
        }
        let colour = attr(tag, "fill")
            .filter(|f| *f != "none")
            .or_else(|| attr(tag, "stroke"));
        let label = match colour {
            Some(c) if c == hex_of(LEGEND_START) => {
                in_legend = true;
                None
            }
            Some(c) if c == hex_of(LEGEND_END) => {
                in_legend = false;
                continue;
            }
            Some(c) => match tags.find(c) {
                Some((Role::Fault, n)) => Some(("data-fault", n)),
                Some((Role::Series, n)) if in_legend => Some(("data-legend", n)),
                Some((Role::Series, n)) => Some(("data-series", n)),
                None => None,
            },
            None => None,
        };
        match label {
            Some((key, name)) => {
                let at = 1 + name_len;
                out.push_str(&tag[..at]);
                out.push_str(&format!(" {key}=\"{}\"", escape_attr(name)));
                out.push_str(&tag[at..]);
            }
            None => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
