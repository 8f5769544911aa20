//! A short Markdown summary of runs, small enough for a CI comment: per run one table of paths
//! (put latency, overhead, KMS calls per window, inflation, the ledger's bad outcomes), the
//! expectations, and each fault on one line.

use std::fmt::Write;

use super::series::ReportRun;
use crate::format;
use crate::result::{FaultResult, PathResult, RunResult};

/// The summary of `runs` (the runs the report details), one section each.
pub fn render(runs: &[&ReportRun]) -> String {
    let mut out = String::from("### kinesis-crypto-bench report\n");
    for run in runs {
        out.push('\n');
        out.push_str(&render_result(&run.result));
    }
    out
}

/// One run's section.
pub fn render_result(r: &RunResult) -> String {
    let mut out = String::new();
    let s = &r.scenario;
    let _ = writeln!(out, "#### {} ({})\n", md(&s.name), md(&r.started_at));
    let _ = writeln!(
        out,
        "{} s at {} records/s on {} shard(s), {} clock, {}; harness {} on {} ({} CPUs)\n",
        format::measured(Some(s.duration_secs)),
        format::measured(Some(s.rate_per_sec)),
        s.shards,
        md(&r.clock),
        md(&r.endpoint),
        md(&r.harness_version),
        md(&r.machine.hostname),
        r.machine.cpus,
    );
    if r.interrupted {
        let _ = writeln!(out, "**{}**\n", md(format::INTERRUPTED));
    }
    if !r.target.roles_separated {
        let _ = writeln!(out, "**{}**\n", md(format::ROLES_NOT_SEPARATED));
    }
    let behind = super::generator::behind_lines(r);
    if let Some((head, rest)) = behind.split_first() {
        let _ = writeln!(out, "**{}**\n", md(head));
        for l in rest {
            let _ = writeln!(out, "- {}", md(l.trim()));
        }
        out.push('\n');
    } else if let Some(l) = super::generator::kept_line(r) {
        let _ = writeln!(out, "{}\n", md(&l));
    }
    out.push_str(
        "| path | put p50 | put p99 | overhead p50 / p99 | KMS calls/window | inflation | lost / corrupted / unreadable |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for p in &r.paths {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2}x | {} |",
            md(&p.name),
            format::us(p.put_latency_us.p50),
            format::us(p.put_latency_us.p99),
            overhead(p),
            kms_per_window(p),
            p.inflation.ratio,
            ledger(p),
        );
    }
    out.push('\n');
    if let Some(o) = &r.noise_floor_us {
        let _ = writeln!(
            out,
            "Noise floor (A/A, {} over plaintext): {}\n",
            crate::result::TWIN,
            md(&format::noise_floor(o, r.noise_floor_records()))
        );
    }
    out.push_str(&super::bill::markdown(r));
    let workers = super::workers::lines(r);
    if !workers.is_empty() {
        out.push_str("Workers:\n");
        for l in &workers {
            let _ = writeln!(out, "- {}", md(l));
        }
        out.push('\n');
    }
    out.push_str(&expectations(r));
    if !r.faults.is_empty() {
        out.push_str("\nFaults:\n");
        for f in &r.faults {
            let _ = writeln!(out, "- {}", fault_line(f));
        }
    }
    out
}

/// Text for a Markdown table cell: pipes escaped, line breaks removed.
pub(crate) fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn overhead(p: &PathResult) -> String {
    match p.overhead_vs_plaintext_us {
        Some(o) => format!(
            "{} / {}",
            format::overhead(o.p50, o.p50_ci),
            format::overhead(o.p99, o.p99_ci)
        ),
        None => "-".to_owned(),
    }
}

fn kms_per_window(p: &PathResult) -> String {
    let k = &p.kms_calls;
    if let Some(why) = &k.not_counted {
        return format!("not counted: {}", why.split(':').next().unwrap_or(why));
    }
    if k.total == 0 && k.warmup_calls > 0 {
        return format!(
            "0 after the warm-up ({} in it)",
            format::count(k.warmup_calls)
        );
    }
    if k.total == 0 {
        return "0".to_owned();
    }
    format!(
        "{} per {}",
        format::number(k.calls_per_window),
        format::secs(k.window_secs)
    )
}

fn ledger(p: &PathResult) -> String {
    let l = &p.ledger;
    let text = format!(
        "{} / {} / {}",
        format::count(l.lost),
        format::count(l.corrupted),
        format::count(l.unreadable)
    );
    if l.lost + l.corrupted + l.unreadable > 0 {
        format!("**{text}**")
    } else {
        text
    }
}

fn expectations(r: &RunResult) -> String {
    let total = r.expectations.len();
    if total == 0 {
        return "Expectations: none declared\n".to_owned();
    }
    let failed: Vec<_> = r.expectations.iter().filter(|e| !e.passed).collect();
    let mut out = format!(
        "Expectations: {} of {total} passed, {} failed\n",
        total - failed.len(),
        failed.len()
    );
    for e in failed {
        let _ = writeln!(
            out,
            "- failed: {}: {} (measured {})",
            md(&e.path),
            md(&e.text),
            format::measured(e.measured)
        );
    }
    out
}

/// "deny-0 (deny, 5 s to 8 s): sse-kms first error after 1.5 ms, 300 errors
/// (KMSAccessDeniedException 300), 0 acked, recovered 4 ms after".
fn fault_line(f: &FaultResult) -> String {
    let until = match f.end_secs {
        Some(end) => format!("{} to {}", format::secs(f.at_secs), format::secs(end)),
        None if f.kind == "reshard" => format!("at {}, an event", format::secs(f.at_secs)),
        None => format!("from {}, never lifted", format::secs(f.at_secs)),
    };
    let mut line = format!("`{}` ({}, {until})", f.name, md(&f.kind));
    if !f.applied {
        line.push_str(", **not applied**");
    }
    let ms = |v: Option<f64>| v.map(|ms| format::us((ms * 1_000.0).round().max(0.0) as u64));
    let paths: Vec<String> = f
        .paths
        .iter()
        .map(|p| {
            let errors: u64 = p.errors_during.values().sum();
            let mut text = format!("{} ", md(&p.path));
            match ms(p.first_error_ms) {
                Some(t) => {
                    let _ = write!(text, "first error after {t}, ");
                }
                None => text.push_str("no error, "),
            }
            let names: Vec<String> = p
                .errors_during
                .iter()
                .map(|(n, c)| format!("{n} {}", format::count(*c)))
                .collect();
            let _ = write!(text, "{} errors", format::count(errors));
            if !names.is_empty() {
                let _ = write!(text, " ({})", md(&names.join(", ")));
            }
            let _ = write!(
                text,
                ", {} acked, {} failed during",
                format::count(p.puts_ok_during),
                format::count(p.failed_during)
            );
            match ms(p.recovery_ms) {
                Some(t) => {
                    let _ = write!(text, ", recovered {t} after");
                }
                None if f.end_secs.is_some() => text.push_str(", **no recovery seen**"),
                None => {}
            }
            text
        })
        .collect();
    if !paths.is_empty() {
        line.push_str(": ");
        line.push_str(&paths.join("; "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_run_result;

    #[test]
    fn sample_summary_names_every_path_expectation_and_fault() {
        let text = render_result(&sample_run_result());
        // An overhead whose interval holds zero is never a bare number.
        assert!(
            text.contains(
                "| sse-kms | 1.26 ms | 3.01 ms | within noise (±120 µs) / within noise (±420 µs) |"
            ),
            "{text}"
        );
        assert!(text.contains("| envelope | 1.48 ms | 3.42 ms | +270 µs [+210 µs, +330 µs] / +470 µs [+300 µs, +640 µs] | 4 per 10 s | 1.58x | **2 / 1 / 0** |"), "{text}");
        assert!(
            text.contains("| plaintext | 1.21 ms | 2.95 ms | - | 0 | 1.00x | 0 / 0 / 0 |"),
            "{text}"
        );
        assert!(text.contains("Expectations: 1 of 3 passed, 2 failed"));
        assert!(text.contains("- failed: sse-kms: kms calls per 10 s <= 1 (measured -)"));
        assert!(text.contains(
            "- `deny-0` (deny, 5 s to 8 s): sse-kms first error after 1.50 ms, 300 errors (KMSAccessDeniedException 300), 0 acked, 300 failed during, recovered 4.00 ms after"
        ), "{text}");
        assert_eq!(md("a|b\nc"), "a\\|b c");
        // Calls only in the warm-up are not a bare 0.
        let mut warm = sample_run_result();
        let p = warm.paths.iter_mut().find(|p| p.name == "envelope");
        let k = &mut p.expect("the sample's envelope path").kms_calls;
        (k.total, k.warmup_calls) = (0, 2);
        let text = render_result(&warm);
        assert!(text.contains("| 0 after the warm-up (2 in it) |"), "{text}");
        // Calls nobody could count are not a 0 either.
        let mut denied = sample_run_result();
        let p = denied.paths.iter_mut().find(|p| p.name == "sse-kms");
        let k = &mut p.expect("the sample's sse-kms path").kms_calls;
        k.not_counted = Some("AccessDeniedException: not authorized".into());
        let text = render_result(&denied);
        assert!(
            text.contains("| not counted: AccessDeniedException |"),
            "{text}"
        );
    }
}
