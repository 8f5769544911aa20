//! With `[tenants]` (schema 8): which tenant each path is the copy for, each path's tenants side
//! by side (ledger, errors, latency, KMS calls and cost), and each fault's blast radius: the
//! tenants it reached against those it targeted. Computed from the paths and the faults'
//! windows, so every figure here is a regrouping of figures the result already holds.

use serde::{Deserialize, Serialize};

use super::{FaultResult, LatencySummary, Ledger, PathKind, PathResult};

/// Which tenant's copy of which path a path is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathTenant {
    /// The path as the scenario wrote it.
    pub group: String,
    /// The tenant, 1-based.
    pub index: u32,
    /// "per-tenant" or "shared"; null for a path with no key of the run's.
    pub key: Option<String>,
    /// Records a second it was to send: `rate_per_sec`, or its weight's share of the tenants'.
    pub rate_per_sec: f64,
}

/// Every path's tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantsResult {
    /// Tenants per path.
    pub count: u32,
    /// One per path as written, in the scenario's order.
    pub groups: Vec<TenantGroup>,
}

/// One path's tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantGroup {
    /// The path as the scenario wrote it.
    pub path: String,
    /// Its kind.
    pub kind: PathKind,
    /// "per-tenant" or "shared"; null for a path with no key of the run's.
    pub key: Option<String>,
    /// Distinct KMS keys its tenants used.
    pub distinct_keys: u32,
    /// Customer-managed keys billed: one per tenant, or one for all.
    pub customer_managed_keys: u32,
    /// KMS requests of all its tenants.
    pub kms_calls: u64,
    /// KMS cost a month at the measured rate, all tenants: requests and key-months, USD.
    pub kms_monthly_cost_usd: f64,
    /// Share of the KMS request quota all its tenants take.
    pub kms_quota_share: f64,
    /// Tenant by tenant.
    pub tenants: Vec<TenantRow>,
}

/// One tenant of one path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantRow {
    /// The tenant, 1-based.
    pub tenant: u32,
    /// Its copy of the path.
    pub path: String,
    /// Records a second it was to send.
    pub rate_per_sec: f64,
    /// What happened to its records.
    pub ledger: Ledger,
    /// Errors its producers and consumers saw.
    pub errors: u64,
    /// Put latency, µs.
    pub put_latency_us: LatencySummary,
    /// End-to-end latency, µs.
    pub e2e_latency_us: LatencySummary,
    /// KMS requests its clients (and, on the embedded service, the service for it) made.
    pub kms_calls: u64,
    /// Its KMS cost a month: its requests, plus its key-month (per-tenant) or its share of the
    /// one shared key-month, USD.
    pub kms_monthly_cost_usd: f64,
    /// Its share of the KMS request quota.
    pub kms_quota_share: f64,
}

/// What one fault did to one path's tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlastRadius {
    /// The path as the scenario wrote it.
    pub path: String,
    /// "per-tenant" or "shared"; null for a path with no key of the run's.
    pub key: Option<String>,
    /// Tenants whose copy the fault applied to.
    pub targeted: Vec<u32>,
    /// Tenants that saw an error or gave up on a record while the fault was in effect.
    pub hit: Vec<u32>,
    /// Hit but not targeted: how far the fault spread.
    pub collateral: Vec<u32>,
    /// Targeted tenants it did not hit.
    pub spared: Vec<u32>,
    /// Tenant by tenant.
    pub tenants: Vec<TenantImpact>,
}

/// One tenant under one fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantImpact {
    /// The tenant.
    pub tenant: u32,
    /// Its copy of the path.
    pub path: String,
    /// Whether the fault applied to it.
    pub targeted: bool,
    /// Errors while the fault was in effect.
    pub errors_during: u64,
    /// Records given up on while it was in effect.
    pub failed_during: u64,
    /// Records acknowledged while it was in effect.
    pub puts_ok_during: u64,
    /// The tenant's whole-run ledger: acknowledged records never read.
    pub lost: u64,
    /// The tenant's whole-run ledger: records read but never decryptable.
    pub unreadable: u64,
}

impl BlastRadius {
    /// A path's blast radius with no tenant counted yet.
    pub fn empty(path: String, key: Option<String>) -> Self {
        Self {
            path,
            key,
            targeted: Vec::new(),
            hit: Vec::new(),
            collateral: Vec::new(),
            spared: Vec::new(),
            tenants: Vec::new(),
        }
    }

    /// Count `impact`'s tenant as targeted and hit, targeted and spared, hit by collateral, or
    /// untouched, and keep it.
    pub fn count(&mut self, impact: TenantImpact) {
        let t = impact.tenant;
        match (impact.targeted, impact.hit()) {
            (true, true) => {
                self.targeted.push(t);
                self.hit.push(t);
            }
            (true, false) => {
                self.targeted.push(t);
                self.spared.push(t);
            }
            (false, true) => {
                self.hit.push(t);
                self.collateral.push(t);
            }
            (false, false) => {}
        }
        self.tenants.push(impact);
    }
}

impl TenantImpact {
    /// Whether the fault reached the tenant: an error or a give-up while it was in effect.
    pub fn hit(&self) -> bool {
        self.errors_during > 0 || self.failed_during > 0
    }
}

impl PathResult {
    /// Customer-managed keys this path is billed for: a tenant sharing its path's key counts
    /// none (the first tenant's copy counts the one).
    pub fn billed_keys(&self) -> u32 {
        match &self.tenant {
            Some(t) if t.key.as_deref() == Some("shared") && t.index > 1 => 0,
            _ => self.settings.customer_managed_keys(),
        }
    }
}

/// The paths' tenants, grouped by the path as written (None without tenants).
pub fn tenants(paths: &[PathResult]) -> Option<TenantsResult> {
    let mut groups: Vec<TenantGroup> = Vec::new();
    let mut count = 0;
    for p in paths {
        let Some(t) = &p.tenant else { continue };
        count = count.max(t.index);
        let at = match groups.iter().position(|g| g.path == t.group) {
            Some(at) => at,
            None => {
                groups.push(TenantGroup {
                    path: t.group.clone(),
                    kind: p.kind,
                    key: t.key.clone(),
                    distinct_keys: 0,
                    customer_managed_keys: 0,
                    kms_calls: 0,
                    kms_monthly_cost_usd: 0.0,
                    kms_quota_share: 0.0,
                    tenants: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let k = &p.kms_calls;
        let g = &mut groups[at];
        g.customer_managed_keys += p.billed_keys();
        g.kms_calls += k.total;
        g.kms_monthly_cost_usd += k.request_cost_usd_per_month;
        g.kms_quota_share += k.quota_share;
        g.tenants.push(TenantRow {
            tenant: t.index,
            path: p.name.clone(),
            rate_per_sec: t.rate_per_sec,
            ledger: p.ledger,
            errors: p.errors.values().sum(),
            put_latency_us: p.put_latency_us,
            e2e_latency_us: p.e2e_latency_us,
            kms_calls: k.total,
            kms_monthly_cost_usd: k.request_cost_usd_per_month,
            kms_quota_share: k.quota_share,
        });
    }
    for g in &mut groups {
        let members: Vec<&PathResult> = paths
            .iter()
            .filter(|p| p.tenant.as_ref().is_some_and(|t| t.group == g.path))
            .collect();
        let mut keys: Vec<&str> = members
            .iter()
            .filter_map(|p| p.resources.key_arn.as_deref())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        g.distinct_keys = keys.len() as u32;
        let key_cost = f64::from(g.customer_managed_keys) * crate::metrics::KMS_USD_PER_KEY_MONTH;
        g.kms_monthly_cost_usd += key_cost;
        let n = g.tenants.len().max(1) as f64;
        for (row, p) in g.tenants.iter_mut().zip(&members) {
            row.kms_monthly_cost_usd += if g.key.as_deref() == Some("shared") {
                key_cost / n
            } else {
                f64::from(p.billed_keys()) * crate::metrics::KMS_USD_PER_KEY_MONTH
            };
        }
    }
    (!groups.is_empty()).then_some(TenantsResult { count, groups })
}

/// `fault`'s blast radius on each path whose tenants it watched: `paths` are the run's paths
/// and `watched` the fault's report for every tenant's copy of a targeted path (its own
/// `paths` lists only the targeted ones).
pub fn blast_radius(
    fault: &FaultResult,
    watched: &[super::FaultPathResult],
    paths: &[PathResult],
) -> Vec<BlastRadius> {
    let mut out: Vec<BlastRadius> = Vec::new();
    for w in watched {
        let Some(p) = paths.iter().find(|p| p.name == w.path) else {
            continue;
        };
        let Some(t) = &p.tenant else { continue };
        let at = match out.iter().position(|b| b.path == t.group) {
            Some(at) => at,
            None => {
                out.push(BlastRadius::empty(t.group.clone(), t.key.clone()));
                out.len() - 1
            }
        };
        let targeted = fault.paths.iter().any(|fp| fp.path == p.name);
        let impact = TenantImpact {
            tenant: t.index,
            path: p.name.clone(),
            targeted,
            errors_during: w.errors_during.values().sum(),
            failed_during: w.failed_during,
            puts_ok_during: w.puts_ok_during,
            lost: p.ledger.lost,
            unreadable: p.ledger.unreadable,
        };
        out[at].count(impact);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{sample_run_result, FaultPathResult, RunResult};

    /// The sample's envelope path as three tenants of `group`, keys `key` ("shared": one key).
    fn tenant_run(key: &str) -> RunResult {
        let mut r = sample_run_result();
        let envelope = r
            .paths
            .iter()
            .find(|p| p.kind == PathKind::Envelope)
            .cloned()
            .expect("the sample has an envelope path");
        r.paths = (1..=3)
            .map(|i| {
                let mut p = envelope.clone();
                p.name = format!("g-t{i}");
                p.tenant = Some(PathTenant {
                    group: "g".into(),
                    index: i,
                    key: Some(key.into()),
                    rate_per_sec: 100.0,
                });
                p.resources.key_arn = Some(if key == "shared" {
                    "arn:aws:kms:eu-west-1:111122223333:key/shared".into()
                } else {
                    format!("arn:aws:kms:eu-west-1:111122223333:key/k{i}")
                });
                p.kms_calls.total = u64::from(i) * 10;
                p.kms_calls.request_cost_usd_per_month = f64::from(i);
                p.kms_calls.customer_managed_keys = p.billed_keys();
                p
            })
            .collect();
        r
    }

    fn window(path: &str, errors: u64, failed: u64) -> FaultPathResult {
        let mut w = sample_run_result().faults[0].paths[0].clone();
        w.path = path.into();
        w.errors_during = if errors > 0 {
            [("KMSNotFoundException".to_owned(), errors)].into()
        } else {
            Default::default()
        };
        w.failed_during = failed;
        w
    }

    #[test]
    fn tenants_regroup_the_paths_and_bill_a_shared_key_once() {
        for (key, keys) in [("per-tenant", 3), ("shared", 1)] {
            let r = tenant_run(key);
            let t = tenants(&r.paths).expect("tenants");
            assert_eq!(t.count, 3);
            let g = &t.groups[0];
            assert_eq!((g.path.as_str(), g.key.as_deref()), ("g", Some(key)));
            assert_eq!((g.distinct_keys, g.customer_managed_keys), (keys, keys));
            assert_eq!(g.kms_calls, 60);
            // $1 + $2 + $3 of requests, and $1 a key-month.
            assert!((g.kms_monthly_cost_usd - (6.0 + f64::from(keys))).abs() < 1e-9);
            let rows: f64 = g.tenants.iter().map(|r| r.kms_monthly_cost_usd).sum();
            assert!((rows - g.kms_monthly_cost_usd).abs() < 1e-9);
            // A shared key-month is split evenly; a tenant's own is its own.
            let first = g.tenants[0].kms_monthly_cost_usd - 1.0;
            let want = if key == "shared" { 1.0 / 3.0 } else { 1.0 };
            assert!((first - want).abs() < 1e-9, "{key}: {first}");
        }
        assert_eq!(tenants(&sample_run_result().paths), None);
    }

    #[test]
    fn blast_radius_tells_hit_from_targeted() {
        let r = tenant_run("shared");
        let mut fault = sample_run_result().faults[0].clone();
        fault.paths = vec![window("g-t2", 5, 0)];
        let watched = [
            window("g-t1", 0, 0),
            window("g-t2", 5, 0),
            window("g-t3", 0, 2),
        ];
        let b = blast_radius(&fault, &watched, &r.paths);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].targeted, [2]);
        assert_eq!(b[0].hit, [2, 3]);
        assert_eq!(b[0].collateral, [3]);
        assert!(b[0].spared.is_empty());
        assert_eq!(b[0].tenants.len(), 3);
        // A targeted tenant that saw nothing is spared.
        fault.paths = vec![window("g-t1", 0, 0)];
        let b = blast_radius(&fault, &watched, &r.paths);
        assert_eq!(
            (b[0].spared.as_slice(), b[0].collateral.as_slice()),
            (&[1][..], &[2, 3][..])
        );
        // Paths without tenants have no blast radius.
        let plain = sample_run_result();
        assert!(blast_radius(&fault, &watched, &plain.paths).is_empty());
    }

    #[test]
    fn a_tenants_result_validates_against_the_schema() {
        let mut r = tenant_run("per-tenant");
        let mut fault = r.faults[0].clone();
        fault.paths = vec![window("g-t2", 5, 0)];
        fault.tenants = vec![2];
        fault.blast_radius = blast_radius(
            &fault,
            &[window("g-t1", 0, 0), window("g-t2", 5, 0)],
            &r.paths,
        );
        r.faults = vec![fault];
        r.tenants = tenants(&r.paths);
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/result.schema.json")).expect("JSON");
        let v = jsonschema::validator_for(&schema).expect("compiles");
        let json = serde_json::to_value(&r).expect("serializes");
        let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(json["tenants"]["groups"][0]["tenants"][1]["ledger"]["sent"].is_u64());
        assert_eq!(
            json["faults"][0]["blast_radius"][0]["hit"],
            serde_json::json!([2])
        );
        // And it reads back whole.
        let back: RunResult = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, r);
    }
}
