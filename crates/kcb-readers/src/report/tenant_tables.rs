//! The console's tenant tables (runs with `[tenants]`): each path's tenants summed, and each
//! fault's blast radius, the tenants it reached against those it targeted.

use std::fmt::Write as _;

use super::table::{Align::Left, Align::Right, Table};
use crate::format;
use crate::result::RunResult;

/// Tenants as a short list: "3", "1-8", "1 2 4-8"; "-" for none.
pub(crate) fn list(tenants: &[u32]) -> String {
    let mut sorted = tenants.to_vec();
    sorted.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if j > i + 1 {
            format!("{}-{}", sorted[i], sorted[j])
        } else if j == i + 1 {
            format!("{} {}", sorted[i], sorted[j])
        } else {
            sorted[i].to_string()
        });
        i = j + 1;
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" ")
    }
}

/// One row per path as written: its tenants' keys, KMS calls and cost, and what befell them.
pub(super) fn tenants(r: &RunResult, out: &mut String) {
    let Some(t) = &r.tenants else { return };
    let _ = writeln!(
        out,
        "\nTenants ({} per path; KMS cost a month at the measured rate, key-months included)",
        t.count
    );
    let mut table = Table::new(&[
        ("path", Left),
        ("key", Left),
        ("keys", Right),
        ("KMS calls", Right),
        ("$/30 days", Right),
        ("per tenant", Right),
        ("quota", Right),
        ("with errors", Left),
        ("failed", Right),
        ("lost", Right),
        ("unreadable", Right),
    ]);
    for g in &t.groups {
        let n = g.tenants.len().max(1) as f64;
        let with_errors: Vec<u32> = g
            .tenants
            .iter()
            .filter(|x| x.errors > 0)
            .map(|x| x.tenant)
            .collect();
        let sum = |f: fn(&crate::result::TenantRow) -> u64| g.tenants.iter().map(f).sum::<u64>();
        table.row(vec![
            g.path.clone(),
            g.key.clone().unwrap_or_else(|| "-".to_owned()),
            format::count(u64::from(g.distinct_keys)),
            format::count(g.kms_calls),
            format::usd(g.kms_monthly_cost_usd),
            format::usd(g.kms_monthly_cost_usd / n),
            format::percent(g.kms_quota_share),
            list(&with_errors),
            format::count(sum(|x| x.ledger.failed)),
            format::count(sum(|x| x.ledger.lost)),
            format::count(sum(|x| x.ledger.unreadable)),
        ]);
    }
    table.render_into(out);
}

/// One row per fault and path whose tenants it watched.
pub(super) fn blast_radius(r: &RunResult, out: &mut String) {
    if r.faults.iter().all(|f| f.blast_radius.is_empty()) {
        return;
    }
    let _ = writeln!(
        out,
        "\nBlast radius (hit: an error or a give-up while the fault was in effect)"
    );
    let mut table = Table::new(&[
        ("fault", Left),
        ("path", Left),
        ("key", Left),
        ("targeted", Left),
        ("hit", Left),
        ("collateral", Left),
        ("errors on others", Right),
    ]);
    for f in &r.faults {
        for b in &f.blast_radius {
            let others: u64 = b
                .tenants
                .iter()
                .filter(|x| !x.targeted)
                .map(|x| x.errors_during)
                .sum();
            table.row(vec![
                f.name.clone(),
                b.path.clone(),
                b.key.clone().unwrap_or_else(|| "-".to_owned()),
                list(&b.targeted),
                list(&b.hit),
                list(&b.collateral),
                format::count(others),
            ]);
        }
    }
    table.render_into(out);
}

/// The HTML report's per-tenant table's head.
pub(crate) const TENANT_HEAD: [&str; 13] = [
    "path",
    "tenant",
    "key",
    "rate/s",
    "sent",
    "acked",
    "failed",
    "lost",
    "unreadable",
    "errors",
    "put p99",
    "KMS calls",
    "$/30 days",
];

/// One row per tenant of every path (the HTML report's).
pub(crate) fn tenant_rows(r: &RunResult) -> Vec<Vec<String>> {
    let Some(t) = &r.tenants else {
        return Vec::new();
    };
    t.groups
        .iter()
        .flat_map(|g| {
            g.tenants.iter().map(move |x| {
                vec![
                    g.path.clone(),
                    x.tenant.to_string(),
                    g.key.clone().unwrap_or_else(|| "-".to_owned()),
                    format::measured(Some(x.rate_per_sec)),
                    format::count(x.ledger.sent),
                    format::count(x.ledger.acked),
                    format::count(x.ledger.failed),
                    format::count(x.ledger.lost),
                    format::count(x.ledger.unreadable),
                    format::count(x.errors),
                    format::us(x.put_latency_us.p99),
                    format::count(x.kms_calls),
                    format::usd(x.kms_monthly_cost_usd),
                ]
            })
        })
        .collect()
}

/// The HTML report's blast-radius table's head.
pub(crate) const BLAST_HEAD: [&str; 6] = ["fault", "path", "key", "targeted", "hit", "collateral"];

/// One row per fault and path whose tenants it watched (the HTML report's).
pub(crate) fn blast_rows(r: &RunResult) -> Vec<Vec<String>> {
    r.faults
        .iter()
        .flat_map(|f| {
            f.blast_radius.iter().map(move |b| {
                vec![
                    f.name.clone(),
                    b.path.clone(),
                    b.key.clone().unwrap_or_else(|| "-".to_owned()),
                    list(&b.targeted),
                    list(&b.hit),
                    list(&b.collateral),
                ]
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn tenant_lists_run_together() {
        assert_eq!(list(&[]), "-");
        assert_eq!(list(&[3]), "3");
        assert_eq!(list(&[2, 1]), "1 2");
        assert_eq!(list(&[1, 2, 3, 4, 5, 6, 7, 8]), "1-8");
        assert_eq!(list(&[8, 1, 2, 4, 5, 6, 7]), "1 2 4-8");
    }
}
