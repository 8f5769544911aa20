//! The monthly bill in every report: a row per path and capacity mode (what each service is
//! paid), the headline of what encryption adds over the unencrypted path, and the bars the HTML
//! page stacks. Every figure is the result's own (`paths[].bill`); nothing is priced here.

use std::fmt::Write as _;

use crate::format::{percent, usd};
use crate::result::{BillService, ModeBill, PathBill, PathResult, RunResult};

/// The table's columns.
pub const HEAD: [&str; 8] = [
    "path",
    "mode",
    "Kinesis",
    "KMS",
    "Firehose",
    "S3",
    "total",
    "vs baseline",
];

/// One bar of the stacked plot: a path in one mode, dollars a month by service.
#[derive(Debug, Clone, PartialEq)]
pub struct BillBar {
    /// The path.
    pub path: String,
    /// The capacity mode (the plot's panel).
    pub mode: crate::result::BillMode,
    /// Dollars by [`BillService::ALL`].
    pub usd: [f64; 4],
}

fn billed(r: &RunResult) -> impl Iterator<Item = (&PathResult, &PathBill)> {
    r.paths
        .iter()
        .filter_map(|p| p.bill.as_ref().map(|b| (p, b)))
}

/// The title line: the prices and the month, or why there is no bill.
pub fn title(r: &RunResult) -> Option<String> {
    let b = r.bill.as_ref()?;
    Some(match &b.missing {
        Some(why) => format!("Monthly bill: not made: {why}"),
        None => format!(
            "Monthly bill at each path's rate ({} prices{}, {}; {})",
            b.region,
            b.prices_read_on
                .as_deref()
                .map(|d| format!(" read {d}"))
                .unwrap_or_default(),
            b.prices_from,
            b.month
        ),
    })
}

/// The rows: per path and mode, each service's dollars, the total and the difference.
pub fn rows(r: &RunResult) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (p, b) in billed(r) {
        for m in &b.modes {
            let mut row = vec![p.name.clone(), m.mode.label().to_owned()];
            row.extend(BillService::ALL.iter().map(|s| {
                let x = m.by_service(*s);
                if m.items.iter().any(|i| i.service == *s) {
                    usd(x)
                } else {
                    "-".to_owned()
                }
            }));
            row.push(usd(m.total_usd));
            row.push(match (b.difference(m.mode), &b.baseline) {
                (Some(d), Some(base)) => format!(
                    "{}{} over {base} ({})",
                    if d.added_usd >= 0.0 { "+" } else { "-" },
                    usd(d.added_usd.abs()),
                    percent(d.share_of_bill)
                ),
                _ => "-".to_owned(),
            });
            out.push(row);
        }
    }
    out
}

/// "envelope: encryption adds $33.45 a month provisioned (12.4% of its bill: shard-hours
/// +$32.40, key-months +$1.00); $1,288 on-demand (46.0%: Data-In +$988.77, ...)".
pub fn headlines(r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    for (p, b) in billed(r) {
        if let Some(why) = &b.incomplete {
            out.push(format!("{}: {why}", p.name));
        }
        let Some(base) = &b.baseline else {
            continue;
        };
        if b.differences.is_empty() {
            continue;
        }
        let parts: Vec<String> = b
            .differences
            .iter()
            .map(|d| {
                let items: Vec<String> = d
                    .items
                    .iter()
                    .take(3)
                    .map(|i| {
                        format!(
                            "{} {}{}",
                            i.item,
                            if i.added_usd >= 0.0 { "+" } else { "-" },
                            usd(i.added_usd.abs())
                        )
                    })
                    .collect();
                format!(
                    "{} {} ({} of its bill{}{})",
                    usd(d.added_usd),
                    d.mode.label(),
                    percent(d.share_of_bill),
                    if items.is_empty() { "" } else { ": " },
                    items.join(", ")
                )
            })
            .collect();
        let verb = if b.differences.iter().all(|d| d.added_usd >= 0.0) {
            "adds"
        } else {
            "changes the bill by"
        };
        out.push(format!(
            "{}: encryption {verb} {} a month over {base}",
            p.name,
            parts.join("; ")
        ));
    }
    out
}

/// The bars of the stacked plot.
pub fn bars(r: &RunResult) -> Vec<BillBar> {
    billed(r)
        .flat_map(|(p, b)| {
            b.modes.iter().map(move |m: &ModeBill| BillBar {
                path: p.name.clone(),
                mode: m.mode,
                usd: BillService::ALL.map(|s| m.by_service(s)),
            })
        })
        .collect()
}

/// The console section.
pub fn console(r: &RunResult, out: &mut String) {
    use super::table::{Align::Left, Align::Right, Table};
    let Some(title) = title(r) else {
        return;
    };
    let _ = writeln!(out, "\n{title}");
    let rows = rows(r);
    if rows.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        (HEAD[0], Left),
        (HEAD[1], Left),
        (HEAD[2], Right),
        (HEAD[3], Right),
        (HEAD[4], Right),
        (HEAD[5], Right),
        (HEAD[6], Right),
        (HEAD[7], Left),
    ]);
    for row in rows {
        t.row(row);
    }
    t.render_into(out);
    for l in headlines(r) {
        let _ = writeln!(out, "  {l}");
    }
}

/// The summary.md section.
pub fn markdown(r: &RunResult) -> String {
    let mut out = String::new();
    let Some(title) = title(r) else {
        return out;
    };
    let md = super::summary::md;
    let _ = writeln!(out, "{}\n", md(&title));
    let rows = rows(r);
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| {} |", HEAD.join(" | "));
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
    for l in headlines(r) {
        let _ = writeln!(out, "- {}", md(&l));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn billed_sample() -> RunResult {
        let mut r = crate::result::sample_run_result();
        let p = crate::bill::PriceTable::shipped("us-east-1").unwrap();
        crate::bill::bill_run(&mut r, Some((&p, "shipped prices for us-east-1")));
        r
    }

    #[test]
    fn every_path_has_a_row_per_mode_and_encryption_its_headline() {
        let r = billed_sample();
        let rows = rows(&r);
        // Three paths, two modes each.
        assert_eq!(rows.len(), 6);
        assert_eq!(
            (rows[0][0].as_str(), rows[0][1].as_str()),
            ("plaintext", "provisioned")
        );
        assert_eq!(rows[0][7], "-");
        // The envelope path on-demand: over plaintext, by the sample's own bill.
        let env = r.paths[1].bill.as_ref().unwrap();
        let d = env.difference(crate::result::BillMode::OnDemand).unwrap();
        let row = rows
            .iter()
            .find(|r| r[0] == "envelope" && r[1] == "on-demand")
            .unwrap();
        assert_eq!(
            row[7],
            format!(
                "+{} over plaintext ({})",
                usd(d.added_usd),
                percent(d.share_of_bill)
            )
        );
        let lines = headlines(&r);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("envelope: encryption adds ") && l.contains("Data-In +")),
            "{lines:?}"
        );
        // The bars add up to each mode's total.
        for (bar, row) in bars(&r).iter().zip(&rows) {
            assert_eq!(
                (bar.path.as_str(), bar.mode.label()),
                (row[0].as_str(), row[1].as_str())
            );
        }
        let total: f64 = bars(&r)[0].usd.iter().sum();
        assert!((total - r.paths[0].bill.as_ref().unwrap().modes[0].total_usd).abs() < 1e-9);
    }

    #[test]
    fn the_plot_stacks_each_service_a_panel_per_mode() {
        let r = billed_sample();
        let svg = crate::report::plots::Plot::Bill(&bars(&r)).svg().unwrap();
        for s in ["Kinesis", "KMS"] {
            assert!(svg.contains(&format!("data-series=\"{s}\"")), "{s}");
        }
        // The sample has no Firehose path: no Firehose or S3 segment.
        assert!(!svg.contains("data-series=\"S3\""));
        assert!(svg.contains("\non-demand\n") && svg.contains("\nprovisioned\n"));
        let none = crate::report::plots::Plot::Bill(&[]).svg().unwrap();
        assert!(none.contains("no bill"), "{none}");
    }

    #[test]
    fn no_price_table_says_why_instead_of_a_figure() {
        let mut r = crate::result::sample_run_result();
        crate::bill::bill_run(&mut r, None);
        let mut out = String::new();
        console(&r, &mut out);
        assert!(
            out.contains("Monthly bill: not made: no price table for region us-east-1"),
            "{out}"
        );
        assert!(!out.contains('$'), "{out}");
    }
}
