//! The capacity plan: what one measured run means at a planned load. For each path it gives
//! the shards the load needs, the KMS requests it makes (per second, day and 30-day month, with
//! their cost and share of the region's quota), the producer CPU client-side sealing takes, the
//! largest plaintext that still fits a record, and a one-line recommendation wherever a limit
//! would be breached.
//!
//! [`plan`] is a pure function of a [`RunResult`] and a [`PlanInput`]; [`markdown`] renders its
//! [`Plan`], which also serializes to JSON. Nothing here runs a workload (habit 8: the plan reads
//! the result and nothing else).

pub mod advice;
pub mod bill;
pub mod firehose;
pub mod kms;
pub mod markdown;
pub mod shards;
pub mod tenants;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::result::RunResult;

pub use kms::{KeyLimit, KmsBasis, KmsPlan, KmsQuota};
pub use markdown::markdown;
pub use shards::{RecordBasis, RecordSize, Shards};

/// Bytes in a MiB.
pub const MIB: f64 = 1_048_576.0;

/// Errors in the plan's input; each names the flag and what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A value is out of its range.
    #[error("{field}: {message}")]
    Invalid {
        /// The flag (`--records-per-sec`, …).
        field: &'static str,
        /// What would be valid, and what was given.
        message: String,
    },
}

/// The load to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Records per second each path must carry, > 0.
    pub records_per_sec: f64,
    /// Plaintext bytes per record, >= 1 (with `record_sizes`, their mean, rounded).
    pub record_bytes: u64,
    /// A spread of plaintext sizes, as many records of each (empty: every record
    /// `record_bytes`). The bill rounds each size on its own; shards, KMS and CPU, which grow
    /// with the bytes, use the mean.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_sizes: Vec<u64>,
    /// AWS region whose KMS request quota applies (`None`: the default quota, 10,000/s).
    pub region: Option<String>,
    /// Consumer applications, each reading every record, >= 1.
    pub consumers: u32,
    /// The account's own KMS request quota per second, overriding the region's default.
    pub kms_quota_per_sec: Option<f64>,
    /// Tenants, each running every path at `records_per_sec` (`None`: one, or the run's own
    /// tenant count for a run with `[tenants]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<u32>,
    /// The tenants' keys (`None`: each path's as the run had them, else a key per tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_key: Option<tenants::TenantKeyPlan>,
    /// Enhanced fan-out consumers, each reading every record, 0 to 20 (a stream's limit).
    #[serde(default)]
    pub efo_consumers: u32,
}

/// Most enhanced fan-out consumers a stream registers (facts file, "Enhanced fan-out").
pub const MAX_EFO_CONSUMERS: u32 = 20;

impl PlanInput {
    /// `sizes` as the plan takes them: one size, or a spread whose mean (rounded) stands for
    /// it where bytes add up and each of which the bill rounds on its own.
    pub fn sizes(sizes: &[u64]) -> (u64, Vec<u64>) {
        match sizes {
            [] => (0, Vec::new()),
            [one] => (*one, Vec::new()),
            many => {
                let sum: u128 = many.iter().map(|s| u128::from(*s)).sum();
                let n = many.len() as u128;
                (
                    u64::try_from((sum + n / 2) / n).unwrap_or(u64::MAX),
                    many.to_vec(),
                )
            }
        }
    }

    /// The plaintext sizes planned: `record_sizes`, else `record_bytes` alone.
    pub fn planned_sizes(&self) -> Vec<u64> {
        if self.record_sizes.is_empty() {
            vec![self.record_bytes]
        } else {
            self.record_sizes.clone()
        }
    }

    /// Check every field; the error names the flag.
    pub fn validate(&self) -> Result<(), PlanError> {
        let bad = |field, message: String| Err(PlanError::Invalid { field, message });
        if !(self.records_per_sec.is_finite() && self.records_per_sec > 0.0) {
            return bad(
                "--records-per-sec",
                format!("must be a number > 0 (got {})", self.records_per_sec),
            );
        }
        if self.record_bytes == 0 || self.record_sizes.contains(&0) {
            return bad("--record-bytes", "must be >= 1 byte (got 0)".to_owned());
        }
        if self.consumers == 0 {
            return bad("--consumers", "must be >= 1 (got 0)".to_owned());
        }
        if self.efo_consumers > MAX_EFO_CONSUMERS {
            return bad(
                "--efo-consumers",
                format!(
                    "must be 0 to {MAX_EFO_CONSUMERS}, a stream's enhanced fan-out consumers (got {})",
                    self.efo_consumers
                ),
            );
        }
        if let Some(t) = self.tenants {
            if !(1..=1_000_000).contains(&t) {
                return bad(
                    "--tenants",
                    format!("must be 1 to 1,000,000 tenants (got {t})"),
                );
            }
        }
        if let Some(q) = self.kms_quota_per_sec {
            if !(q.is_finite() && q > 0.0) {
                return bad(
                    "--kms-quota-per-sec",
                    format!("must be a number > 0 (got {q})"),
                );
            }
        }
        if let Some(r) = &self.region {
            let ok = !r.is_empty()
                && r.len() <= 32
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return bad(
                    "--region",
                    format!("must be an AWS region name such as us-east-1 (got {r:?})"),
                );
            }
        }
        Ok(())
    }
}

/// The run a plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSource {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub file: String,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// "real" or "virtual".
    pub clock: String,
    /// "embedded" or the endpoint URL.
    pub endpoint: String,
    /// The run's record rate on each path, records/s.
    pub measured_records_per_sec: f64,
}

/// Client-side crypto CPU at the planned rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuPlan {
    /// Where the figures come from: the calibration nearest the planned size, or the run.
    pub basis: String,
    /// Producer CPU to seal one MiB of plaintext, ms.
    pub seal_ms_per_mib: f64,
    /// `seal_ms_per_mib × (records/s × bytes / 1 MiB) / 1,000`: producer cores busy sealing.
    pub producer_cores: f64,
    /// Consumer CPU to open one MiB, ms.
    pub open_ms_per_mib: f64,
    /// `open_ms_per_mib × (records/s × bytes / 1 MiB) / 1,000`: cores each consumer spends opening.
    pub consumer_cores_each: f64,
}

/// The crypto CPU at `mib_per_sec` of `bytes`-byte records: from the calibration nearest
/// `bytes` (CPU per record in a tight loop before the load), else from the run's own seals
/// (CPU per MiB over every record sealed); `None` for a path without client-side crypto.
fn cpu_plan(c: &crate::result::CryptoCost, bytes: u64, mib_per_sec: f64) -> Option<CpuPlan> {
    let (basis, seal, open) = match c.calibrated_at(bytes) {
        Some(k) => (
            format!(
                "calibrated at {} B before the run ({} records)",
                crate::format::count(k.plaintext_bytes),
                crate::format::count(k.records)
            ),
            k.seal_ms_per_mib,
            k.open_ms_per_mib,
        ),
        None if c.seal_bytes > 0 => (
            "measured over the run's records".to_owned(),
            c.seal_ms_per_mib,
            c.open_ms_per_mib,
        ),
        None => return None,
    };
    Some(CpuPlan {
        basis,
        seal_ms_per_mib: seal,
        producer_cores: seal * mib_per_sec / 1_000.0,
        open_ms_per_mib: open,
        consumer_cores_each: open * mib_per_sec / 1_000.0,
    })
}

/// One path at the planned load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathPlan {
    /// Path name.
    pub name: String,
    /// How the path protects records.
    pub kind: crate::result::PathKind,
    /// A record at the planned size.
    pub record: RecordSize,
    /// Shards needed.
    pub shards: Shards,
    /// KMS requests and their cost.
    pub kms: KmsPlan,
    /// Client-side crypto CPU (`None` for paths that seal nothing on the client).
    pub cpu: Option<CpuPlan>,
    /// One line per limit the path would breach (or come near), empty when none.
    pub recommendations: Vec<String>,
    /// A Firehose path: delivery streams its direct-put quotas need (its `shards` do not apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_streams: Option<firehose::DeliveryStreams>,
    /// What the path costs a month at the planned load, per capacity mode (null without a
    /// price table: see the plan's `prices`).
    pub bill: Option<bill::PlanBill>,
}

/// The capacity plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The load planned for.
    pub input: PlanInput,
    /// The run it was derived from.
    pub source: PlanSource,
    /// The KMS request quota requests are measured against.
    pub kms_quota: KmsQuota,
    /// One plan per path, in the result's order.
    pub paths: Vec<PathPlan>,
    /// What holds for every path (limits used, what is not counted).
    pub notes: Vec<String>,
    /// With tenants (`--tenants`, or a run with `[tenants]`): every path once per tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenants: Option<tenants::TenantsPlan>,
    /// The prices the bills used (or why there are none), the month, and what they assume.
    pub prices: crate::result::BillResult,
}

/// The region whose prices a plan uses: `--region`, else us-east-1.
pub fn price_region(input: &PlanInput) -> &str {
    input.region.as_deref().unwrap_or("us-east-1")
}

/// The plan for `input` from the measured `result`, billed with the shipped prices of
/// [`price_region`] (none shipped: no bills, and the plan says why).
pub fn plan(result: &RunResult, input: &PlanInput) -> Plan {
    let table = crate::bill::PriceTable::shipped(price_region(input));
    let from = format!("shipped prices for {}", price_region(input));
    plan_priced(result, input, table.as_ref().map(|t| (t, from.as_str())))
}

/// The plan for `input` from the measured `result`, billed with `prices` (a table and where it
/// came from). Pure; never fails (validate the input with [`PlanInput::validate`] first:
/// degenerate values give zeros, never a panic).
pub fn plan_priced(
    result: &RunResult,
    input: &PlanInput,
    prices: Option<(&crate::bill::PriceTable, &str)>,
) -> Plan {
    let quota = kms::region_quota(input.region.as_deref(), input.kms_quota_per_sec);
    let n = input.records_per_sec;
    let b = input.record_bytes;
    let mib_per_sec = n * b as f64 / MIB;
    // A run with [tenants]: each path's first tenant stands for one tenant of it.
    let measured: Vec<&crate::result::PathResult> = result
        .paths
        .iter()
        .filter(|p| p.tenant.as_ref().is_none_or(|t| t.index == 1))
        .collect();
    let mut paths: Vec<PathPlan> = measured
        .iter()
        .map(|p| {
            let record = shards::record_size(p, b);
            let shards = shards::shards(n, record.record_bytes, input.consumers);
            let kms = kms::kms_plan(
                p,
                n,
                b,
                input.consumers,
                quota.per_sec,
                // The rate it was measured at: a weighted tenant's own.
                p.tenant
                    .as_ref()
                    .map_or(result.scenario.rate_per_sec, |t| t.rate_per_sec),
            );
            let cpu = cpu_plan(&p.crypto, input.record_bytes, mib_per_sec);
            let delivery_streams =
                firehose::delivery_streams(p, input.region.as_deref(), n, record.record_bytes);
            let mut plan = PathPlan {
                name: p
                    .tenant
                    .as_ref()
                    .map_or_else(|| p.name.clone(), |t| t.group.clone()),
                kind: p.kind,
                record,
                shards,
                kms,
                cpu,
                recommendations: Vec::new(),
                delivery_streams,
                bill: None,
            };
            plan.recommendations = advice::recommendations(&plan, p, input, &quota);
            plan
        })
        .collect();
    if let Some((table, _)) = prices {
        bill::bills(&mut paths, &measured, result, input, table);
    }
    Plan {
        prices: crate::bill::prices_used(prices, price_region(input), input.consumers),
        input: input.clone(),
        source: PlanSource {
            scenario: result.scenario.name.clone(),
            file: result.scenario.file.clone(),
            started_at: result.started_at.clone(),
            clock: result.clock.clone(),
            endpoint: result.endpoint.clone(),
            measured_records_per_sec: result.scenario.rate_per_sec,
        },
        notes: advice::notes(input),
        tenants: tenant_count(result, input).map(|n| {
            let keys: Vec<tenants::TenantKeyPlan> = measured
                .iter()
                .map(|p| match (input.tenant_key, p.tenant.as_ref()) {
                    (Some(k), _) => k,
                    (None, Some(t)) if t.key.as_deref() == Some("shared") => {
                        tenants::TenantKeyPlan::Shared
                    }
                    _ => tenants::TenantKeyPlan::PerTenant,
                })
                .collect();
            tenants::tenants_plan(&paths, &keys, n, quota.per_sec)
        }),
        kms_quota: quota,
        paths,
    }
}

/// Tenants to plan for: `--tenants`, else a tenants run's own count; None for one tenant of a
/// run without them.
fn tenant_count(result: &RunResult, input: &PlanInput) -> Option<u32> {
    input
        .tenants
        .or_else(|| result.tenants.as_ref().map(|t| t.count))
}
