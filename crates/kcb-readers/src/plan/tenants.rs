//! `plan --tenants N`: every path once per tenant, each at the planned rate. KMS requests grow
//! N-fold whatever the keys; key-months N-fold with a key per tenant, or one with a shared key;
//! the account's KMS request quota is one for all of them, so its share grows N-fold too and
//! there is a largest N it holds.

use serde::Serialize;

use super::PathPlan;
use crate::metrics::KMS_USD_PER_KEY_MONTH;

/// How tenants' keys are arranged in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TenantKeyPlan {
    /// A customer-managed key per tenant.
    PerTenant,
    /// One customer-managed key for every tenant.
    Shared,
}

impl TenantKeyPlan {
    /// As the scenario writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerTenant => "per-tenant",
            Self::Shared => "shared",
        }
    }
}

/// One path with N tenants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantPathPlan {
    /// Path name (as written, for a result of a tenants run).
    pub name: String,
    /// Its tenants' keys.
    pub key: TenantKeyPlan,
    /// KMS requests a second of one tenant.
    pub requests_per_sec_per_tenant: f64,
    /// Of all N tenants.
    pub requests_per_sec: f64,
    /// Customer-managed keys billed: N, 1 (shared) or 0 (no customer-managed key).
    pub customer_managed_keys: u32,
    /// KMS requests a month of all tenants, USD.
    pub request_cost_usd_per_month: f64,
    /// Key-months, USD.
    pub key_cost_usd_per_month: f64,
    /// Both.
    pub total_cost_usd_per_month: f64,
    /// `total_cost_usd_per_month / N`.
    pub cost_per_tenant_usd_per_month: f64,
    /// Share of the account's KMS request quota all tenants take.
    pub quota_share: f64,
    /// Shards of all tenants' streams (each tenant its own stream).
    pub shards: u64,
}

/// The KMS quota share of every path together at a tenant count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantStep {
    /// Tenants.
    pub tenants: u32,
    /// KMS requests a second, every path.
    pub requests_per_sec: f64,
    /// Share of the quota.
    pub quota_share: f64,
    /// KMS cost a month, every path, USD.
    pub total_cost_usd_per_month: f64,
}

/// The plan's tenants section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantsPlan {
    /// Tenants planned for.
    pub tenants: u32,
    /// Per path.
    pub paths: Vec<TenantPathPlan>,
    /// KMS requests a second, every path and tenant.
    pub requests_per_sec: f64,
    /// KMS cost a month, every path and tenant, USD.
    pub total_cost_usd_per_month: f64,
    /// Share of the account's KMS request quota, every path and tenant.
    pub quota_share: f64,
    /// The most tenants the quota holds at this load (None: no KMS requests).
    pub max_tenants_within_quota: Option<u64>,
    /// The quota share as the tenant count grows: 1, 2, 4, ... up to N.
    pub growth: Vec<TenantStep>,
}

/// Every path of `paths` (each planned for one tenant) with `n` tenants, path `i`'s under
/// `keys[i]`.
pub fn tenants_plan(paths: &[PathPlan], keys: &[TenantKeyPlan], n: u32, quota: f64) -> TenantsPlan {
    let at = |n: u32| -> (Vec<TenantPathPlan>, f64, f64, f64) {
        let f = f64::from(n);
        let rows: Vec<TenantPathPlan> = paths
            .iter()
            .zip(keys)
            .map(|(p, &key)| {
                let k = &p.kms;
                let keys = match (k.customer_managed_keys, key) {
                    (0, _) => 0,
                    (_, TenantKeyPlan::Shared) => k.customer_managed_keys,
                    (per, TenantKeyPlan::PerTenant) => per * n,
                };
                let request_cost = k.request_cost_usd_per_month * f;
                let key_cost = f64::from(keys) * KMS_USD_PER_KEY_MONTH;
                let total = request_cost + key_cost;
                TenantPathPlan {
                    name: p.name.clone(),
                    key,
                    requests_per_sec_per_tenant: k.requests_per_sec,
                    requests_per_sec: k.requests_per_sec * f,
                    customer_managed_keys: keys,
                    request_cost_usd_per_month: request_cost,
                    key_cost_usd_per_month: key_cost,
                    total_cost_usd_per_month: total,
                    cost_per_tenant_usd_per_month: total / f.max(1.0),
                    quota_share: k.quota_share * f,
                    shards: p.shards.needed * u64::from(n),
                }
            })
            .collect();
        let rps: f64 = rows.iter().map(|r| r.requests_per_sec).sum();
        let cost: f64 = rows.iter().map(|r| r.total_cost_usd_per_month).sum();
        let share = if quota > 0.0 { rps / quota } else { 0.0 };
        (rows, rps, cost, share)
    };
    let mut growth = Vec::new();
    let mut step = 1u32;
    loop {
        let m = step.min(n);
        let (_, rps, cost, share) = at(m);
        growth.push(TenantStep {
            tenants: m,
            requests_per_sec: rps,
            quota_share: share,
            total_cost_usd_per_month: cost,
        });
        if m == n {
            break;
        }
        step = step.saturating_mul(2);
    }
    let (rows, rps, cost, share) = at(n);
    let per_tenant: f64 = paths.iter().map(|p| p.kms.requests_per_sec).sum();
    TenantsPlan {
        tenants: n,
        paths: rows,
        requests_per_sec: rps,
        total_cost_usd_per_month: cost,
        quota_share: share,
        max_tenants_within_quota: (per_tenant > 0.0).then(|| (quota / per_tenant).floor() as u64),
        growth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_multiply_requests_and_key_months_as_their_keys_say() {
        let r = crate::plan::plan(
            &crate::plan::tests::run(),
            &crate::plan::tests::input(2_000.0, 1_024, 2, None),
        );
        let one = &r.paths;
        let keyed: Vec<&PathPlan> = one
            .iter()
            .filter(|p| p.kms.customer_managed_keys > 0)
            .collect();
        assert!(!keyed.is_empty());
        let quota = r.kms_quota.per_sec;
        for (key, n) in [(TenantKeyPlan::PerTenant, 5), (TenantKeyPlan::Shared, 5)] {
            let keys = vec![key; one.len()];
            let t = tenants_plan(one, &keys, n, quota);
            for (row, p) in t.paths.iter().zip(one) {
                let k = &p.kms;
                assert!((row.requests_per_sec - 5.0 * k.requests_per_sec).abs() < 1e-9);
                assert!((row.quota_share - 5.0 * k.quota_share).abs() < 1e-12);
                let want_keys = match (k.customer_managed_keys, key) {
                    (0, _) => 0,
                    (c, TenantKeyPlan::Shared) => c,
                    (c, TenantKeyPlan::PerTenant) => 5 * c,
                };
                assert_eq!(row.customer_managed_keys, want_keys, "{}", row.name);
                let want = 5.0 * k.request_cost_usd_per_month + f64::from(want_keys);
                assert!((row.total_cost_usd_per_month - want).abs() < 1e-6);
                assert!((row.cost_per_tenant_usd_per_month * 5.0 - want).abs() < 1e-6);
                assert_eq!(row.shards, 5 * p.shards.needed);
            }
            let steps: Vec<u32> = t.growth.iter().map(|s| s.tenants).collect();
            assert_eq!(steps, [1, 2, 4, 5]);
            let per: f64 = one.iter().map(|p| p.kms.requests_per_sec).sum();
            assert_eq!(
                t.max_tenants_within_quota,
                Some((quota / per).floor() as u64)
            );
            assert!((t.quota_share - 5.0 * per / quota).abs() < 1e-12);
        }
    }
}
