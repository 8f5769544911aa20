//! Pieces every plot is made of: the axes plotters lacks, bounds, axis labels, the legend.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{LEGEND_END, LEGEND_START};

pub(super) type Drawn = Result<(), String>;

/// A linear f64 axis whose labelled points are given (category centres, run indices), which
/// plotters' own `with_key_points` cannot format with a custom formatter.
#[derive(Debug, Clone)]
pub(super) struct KeyedAxis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) keys: Vec<f64>,
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
pub(super) struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    pub(super) fn new((lo, hi): (f64, f64)) -> LogAxis {
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

pub(super) fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

pub(super) const CAPTION: (&str, u32) = ("sans-serif", 20);
pub(super) const LABEL: (&str, u32) = ("sans-serif", 15);

/// A caption and a note where there is nothing to draw.
pub(super) fn nothing<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    note: &str,
) -> Drawn {
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
pub(super) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
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

pub(super) fn swatch(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
}

/// "p0", "p90", "p99", "p99.9", "p99.99" for 0..4 nines.
pub(crate) fn percentile_label(nines: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-nines));
    let decimals = (nines.ceil() as i32 - 2).max(0) as usize;
    format!("p{p:.decimals$}")
}

/// A whole number for a count axis; nothing between whole numbers.
pub(super) fn whole(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// Whether `v` is 1, 2 or 5 times a power of ten (the log-axis marks worth a label).
pub(super) fn one_two_five(v: f64) -> bool {
    if v <= 0.0 {
        return false;
    }
    let mantissa = v / 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-6 * m)
}

/// Log-axis bounds around every value (at least 1, a decade at least).
pub(super) fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = (lo * 0.8).max(1.0).min(hi.max(1.0));
    (lo, (hi * 1.3).max(lo * 10.0))
}

/// Linear bounds including zero, with headroom.
pub(super) fn linear_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((0f64, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = (hi - lo).max(1.0) * 0.15;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// A byte count for a log axis, whose marks fall on powers of ten: "16 B", "1 kB", "100 kB", "1 MB".
pub(super) fn bytes_label(v: f64) -> String {
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
