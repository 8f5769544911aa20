//! The gate's table: metric, path, baseline, current, change, interval, threshold, verdict;
//! then the notes and the overall outcome. Plain text.

use std::fmt::Write as _;

use super::{Evidence, GateReport, Row, Verdict};
use crate::format::{count, number};

/// Render the report.
pub fn render(report: &GateReport) -> String {
    let conf = report.config.bootstrap.confidence * 100.0;
    let headers = [
        "metric".to_owned(),
        "path".to_owned(),
        "baseline".to_owned(),
        "current".to_owned(),
        "change".to_owned(),
        format!("{conf:.0}% CI of change"),
        "threshold".to_owned(),
        "verdict".to_owned(),
    ];
    let rows: Vec<[String; 8]> = report.rows.iter().map(cells).collect();
    let mut widths = headers.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "baseline: {}", report.baseline);
    let _ = writeln!(out, "current:  {}\n", report.current);
    let line = |cells: &[String; 8], out: &mut String| {
        let mut text = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = w.saturating_sub(c.chars().count());
            // Text columns left, numbers right.
            if matches!(i, 0 | 1 | 7) {
                text.push_str(c);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(c);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&headers, &mut out);
    line(&widths.map(|w| "-".repeat(w)), &mut out);
    for r in &rows {
        line(r, &mut out);
    }
    let mut notes: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| {
            r.note
                .as_ref()
                .map(|n| format!("{} {}: {n}", r.path, r.metric.label()))
        })
        .collect();
    notes.extend(report.notes.iter().cloned());
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            let _ = writeln!(out, "note: {n}");
        }
    }
    let regressed: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Regressed)
        .map(|r| format!("{} {}", r.path, r.metric.label()))
        .collect();
    out.push('\n');
    if report.refused() {
        let _ = writeln!(
            out,
            "gate: FAIL, refused: a run fell behind its schedule, so its latency overheads cannot be judged (see the notes){}",
            if regressed.is_empty() {
                String::new()
            } else {
                format!("; regressed: {}", regressed.join(", "))
            }
        );
    } else if regressed.is_empty() {
        out.push_str("gate: pass (no metric regressed beyond its threshold and noise)\n");
    } else {
        let _ = writeln!(out, "gate: FAIL, regressed: {}", regressed.join(", "));
    }
    out
}

fn cells(r: &Row) -> [String; 8] {
    let unit = r.metric.unit();
    let value = |v: Option<f64>| match v {
        None => "-".to_owned(),
        Some(x) => with_unit(text(x), unit),
    };
    let change = match r.change {
        None => "-".to_owned(),
        Some(x) => with_unit(signed_text(x), unit),
    };
    let ci = match r.evidence {
        Evidence::Interval { low, high } => {
            format!("[{}, {}]", signed_text(low), signed_text(high))
        }
        Evidence::Exact => "exact".to_owned(),
        Evidence::Point => "no noise estimate".to_owned(),
        Evidence::None => "-".to_owned(),
    };
    let verdict = match r.verdict {
        Verdict::Pass => "pass",
        Verdict::Regressed => "REGRESSED",
        Verdict::Improved => "improved",
        Verdict::Skipped => "skipped",
        Verdict::Refused => "REFUSED",
    };
    let threshold = format!("+{}", with_unit(text(r.threshold), unit));
    [
        r.metric.label().to_owned(),
        r.path.clone(),
        value(r.baseline),
        value(r.current),
        change,
        ci,
        threshold,
        verdict.to_owned(),
    ]
}

fn with_unit(text: String, unit: &str) -> String {
    format!("{text} {unit}")
}

/// Whole numbers as integers with separators ("1,250", "-40"), others as [`number`] does.
fn text(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        let body = count(x.abs() as u64);
        if x < 0.0 {
            format!("-{body}")
        } else {
            body
        }
    } else {
        number(x)
    }
}

/// [`text`] with a '+' on positive values.
fn signed_text(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", text(x))
    } else {
        text(x)
    }
}
