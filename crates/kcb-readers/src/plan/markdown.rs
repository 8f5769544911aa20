//! The plan as Markdown: a heading naming the load, one table each for records and shards, KMS,
//! and client-side CPU, then the recommendations and notes.

use std::fmt::Write as _;

use super::shards::RecordBasis;
use super::{Plan, MIB};
use crate::format::{count, number, percent, usd};

/// Render `plan` as Markdown (ends with a newline).
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let i = &plan.input;
    let consumers = if i.consumers == 1 {
        "1 consumer".to_owned()
    } else {
        format!("{} consumers", i.consumers)
    };
    let region = i.region.as_deref().unwrap_or("default region");
    let sizes = if i.record_sizes.is_empty() {
        format!("{} B", count(i.record_bytes))
    } else {
        let each: Vec<String> = i.record_sizes.iter().map(|s| count(*s)).collect();
        format!(
            "{} B in equal shares (mean {} B)",
            each.join(" / "),
            count(i.record_bytes)
        )
    };
    let _ = writeln!(
        out,
        "# Capacity plan: {} records/s of {sizes}, {consumers}, {region}\n",
        number(i.records_per_sec)
    );
    let s = &plan.source;
    let _ = writeln!(
        out,
        "From the run of `{}` (`{}`) started {}: {} records/s per path, {} clock, {} endpoint.\n",
        s.scenario,
        s.file,
        s.started_at,
        number(s.measured_records_per_sec),
        s.clock,
        s.endpoint
    );
    let _ = writeln!(
        out,
        "KMS request quota: {}/s ({}).\n",
        count(plan.kms_quota.per_sec.round() as u64),
        plan.kms_quota.source
    );

    out.push_str("## Records and shards\n\n");
    out.push_str("| path | kind | record bytes | record size from | fits 1 MiB | largest plaintext that fits | write MiB/s | read MiB/s | shards for write bytes / records / reads | shards |\n");
    out.push_str("| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for p in &plan.paths {
        let r = &p.record;
        let from = match r.basis {
            RecordBasis::MeasuredAtSize => format!("measured at {} B", count(r.plaintext_bytes)),
            RecordBasis::MeanOverhead { overhead_bytes } => {
                format!("mean overhead {} B", number(overhead_bytes))
            }
        };
        let sh = &p.shards;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {from} | {} | {} | {} | {} | {} / {} / {} | {} |",
            p.name,
            p.kind,
            count(r.record_bytes),
            if r.fits { "yes" } else { "**no**" },
            count(r.max_plaintext_that_fits),
            number(sh.write_bytes_per_sec / MIB),
            number(sh.read_bytes_per_sec / MIB),
            count(sh.for_write_bytes),
            count(sh.for_write_records),
            count(sh.for_read_bytes),
            count(sh.needed)
        );
    }

    let firehose: Vec<_> = plan
        .paths
        .iter()
        .filter_map(|p| p.delivery_streams.as_ref().map(|d| (p, d)))
        .collect();
    if !firehose.is_empty() {
        out.push_str("\n## Firehose delivery streams\n\n");
        out.push_str("(A Firehose path's shard columns above do not apply: a delivery stream has direct-put quotas instead.)\n\n");
        out.push_str("| path | quota region | quota records/s, MiB/s, calls/s a stream | PutRecordBatch calls/s | streams for records / bytes / calls | delivery streams | objects/s a stream |\n");
        out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (p, d) in firehose {
            let _ = writeln!(
                out,
                "| {} | {} | {} / {} / {} | {} | {} / {} / {} | {} | {} |",
                p.name,
                d.quota_region,
                count(d.quota_records_per_sec as u64),
                number(d.quota_bytes_per_sec / MIB),
                count(d.quota_calls_per_sec as u64),
                number(d.calls_per_sec),
                count(d.for_records),
                count(d.for_bytes),
                count(d.for_calls),
                count(d.needed),
                number(d.objects_per_sec_per_stream)
            );
        }
    }

    out.push_str("\n## KMS\n\n");
    out.push_str("| path | requests/s | requests/day | requests/30 days | requests $/month | keys $/month | total $/month | share of quota |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for p in &plan.paths {
        let k = &p.kms;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            p.name,
            number(k.requests_per_sec),
            number(k.requests_per_day),
            number(k.requests_per_month),
            usd(k.request_cost_usd_per_month),
            usd(k.key_cost_usd_per_month),
            usd(k.total_cost_usd_per_month),
            percent(k.quota_share)
        );
    }
    out.push_str("\nHow each rate was derived:\n\n");
    for p in &plan.paths {
        let _ = writeln!(out, "- {}: {}", p.name, p.kms.explanation);
    }

    let cpu: Vec<_> = plan
        .paths
        .iter()
        .filter_map(|p| p.cpu.as_ref().map(|c| (p, c)))
        .collect();
    if !cpu.is_empty() {
        out.push_str("\n## Client-side crypto CPU\n\n");
        out.push_str(
            "| path | seal ms/MiB | producer cores | open ms/MiB | cores per consumer | from |\n",
        );
        out.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
        for (p, c) in cpu {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                p.name,
                number(c.seal_ms_per_mib),
                number(c.producer_cores),
                number(c.open_ms_per_mib),
                number(c.consumer_cores_each),
                c.basis
            );
        }
    }

    bill(plan, &mut out);
    if let Some(t) = &plan.tenants {
        tenants(t, &mut out);
    }
    out.push_str("\n## Recommendations\n\n");
    let mut any = false;
    for p in &plan.paths {
        for r in &p.recommendations {
            any = true;
            let _ = writeln!(out, "- **{}**: {r}", p.name);
        }
    }
    if !any {
        out.push_str("- None: every path fits the limits at this load.\n");
    }

    out.push_str("\n## Notes\n\n");
    for n in &plan.notes {
        let _ = writeln!(out, "- {n}");
    }
    out
}

/// `## Monthly bill`: each path per capacity mode, line by line, and what encryption adds.
fn bill(plan: &Plan, out: &mut String) {
    use crate::result::BillService;
    let p = &plan.prices;
    out.push_str("\n## Monthly bill\n\n");
    if let Some(why) = &p.missing {
        let _ = writeln!(out, "Not made: {why}.");
        return;
    }
    let _ = writeln!(
        out,
        "{} prices{} ({}), {}.\n",
        p.region,
        p.prices_read_on
            .as_deref()
            .map(|d| format!(" read {d}"))
            .unwrap_or_default(),
        p.prices_from,
        p.month
    );
    out.push_str("| path | mode | shards | Kinesis | KMS | Firehose | S3 | total $/month | over baseline |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for path in &plan.paths {
        let Some(b) = &path.bill else { continue };
        for m in &b.modes {
            let cheaper = if b.cheaper == Some(m.mode) {
                " (cheaper)"
            } else {
                ""
            };
            let services: Vec<String> = BillService::ALL
                .iter()
                .map(|s| {
                    if m.items.iter().any(|i| i.service == *s) {
                        usd(m.by_service(*s))
                    } else {
                        "-".to_owned()
                    }
                })
                .collect();
            let diff = b
                .differences
                .iter()
                .find(|d| d.mode == m.mode)
                .map_or("-".to_owned(), |d| {
                    format!("{} ({})", usd(d.added_usd), percent(d.share_of_bill))
                });
            let _ = writeln!(
                out,
                "| {} | {}{cheaper} | {} | {} | {} |",
                path.name,
                m.mode.label(),
                m.shards.map_or("-".to_owned(), count),
                services.join(" | "),
                format_args!("{} | {diff}", usd(m.total_usd))
            );
        }
    }
    out.push_str("\nLine by line:\n\n");
    for path in &plan.paths {
        let Some(b) = &path.bill else { continue };
        for m in &b.modes {
            for i in &m.items {
                let _ = writeln!(
                    out,
                    "- {} {}, {} {}: {} × {} at {} = {} ({})",
                    path.name,
                    m.mode.label(),
                    i.service.label(),
                    i.item,
                    number(i.quantity),
                    i.unit,
                    usd(i.unit_usd),
                    usd(i.usd),
                    i.how
                );
            }
        }
        for l in &b.boundaries {
            let _ = writeln!(out, "- **{}**: {l}", path.name);
        }
    }
    for n in &p.notes {
        let _ = writeln!(out, "- {n}");
    }
}

/// `## Tenants`: every path once per tenant, and the quota share as the count grows.
fn tenants(t: &crate::plan::tenants::TenantsPlan, out: &mut String) {
    let _ = writeln!(
        out,
        "\n## Tenants\n\n{} tenants, each running every path at the planned rate on streams of its own; the KMS request quota is the account's, one for all.\n",
        count(u64::from(t.tenants))
    );
    out.push_str("| path | tenant keys | requests/s a tenant | requests/s | keys | requests $/month | keys $/month | total $/month | $/month a tenant | share of quota | shards |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for p in &t.paths {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.name,
            p.key.as_str(),
            number(p.requests_per_sec_per_tenant),
            number(p.requests_per_sec),
            count(u64::from(p.customer_managed_keys)),
            usd(p.request_cost_usd_per_month),
            usd(p.key_cost_usd_per_month),
            usd(p.total_cost_usd_per_month),
            usd(p.cost_per_tenant_usd_per_month),
            percent(p.quota_share),
            count(p.shards)
        );
    }
    let _ = writeln!(
        out,
        "\nEvery path, every tenant: {} KMS requests/s, {} a month, {} of the quota.",
        number(t.requests_per_sec),
        usd(t.total_cost_usd_per_month),
        percent(t.quota_share)
    );
    if let Some(max) = t.max_tenants_within_quota {
        let _ = writeln!(
            out,
            "The quota holds at most {} tenants at this load.",
            count(max)
        );
    }
    out.push_str("\n| tenants | requests/s | share of quota | total $/month |\n| ---: | ---: | ---: | ---: |\n");
    for g in &t.growth {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            count(u64::from(g.tenants)),
            number(g.requests_per_sec),
            percent(g.quota_share),
            usd(g.total_cost_usd_per_month)
        );
    }
}
