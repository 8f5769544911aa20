//! Each path's bill at the planned load, per capacity mode, with the cheaper mode and the
//! rounding boundaries sealing pushes the planned records over.

use serde::Serialize;

use super::PathPlan;
use crate::bill::{self, KmsUsage, PriceTable, Usage};
use crate::format::count;
use crate::result::bill::{
    BillMode, ModeBill, ModeDifference, PutSizes, FIREHOSE_ROUNDING_BYTES,
    ON_DEMAND_ROUNDING_BYTES, PUT_PAYLOAD_UNIT_BYTES,
};
use crate::result::{PathKind, PathResult, RunResult};

/// One path's bill at the planned load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanBill {
    /// Per capacity mode: each line and the total, US dollars a month.
    pub modes: Vec<ModeBill>,
    /// The cheaper of the stream's two modes (none for a Firehose path).
    pub cheaper: Option<BillMode>,
    /// The path the difference is over (none for the baseline itself).
    pub baseline: Option<String>,
    /// Per mode, what this path adds over the baseline.
    pub differences: Vec<ModeDifference>,
    /// The rounding boundaries the path's records cross that the baseline's do not, in words.
    pub boundaries: Vec<String>,
}

/// The usage of `plan`'s path at the planned load: its records at each planned size, sealed
/// as the run measured the path.
pub fn usage(
    plan: &PathPlan,
    path: &PathResult,
    result: &RunResult,
    input: &super::PlanInput,
) -> Usage {
    let mut sizes = PutSizes::default();
    for s in input.planned_sizes() {
        sizes.add(super::shards::record_size(path, s).record_bytes);
    }
    Usage {
        records_per_sec: input.records_per_sec,
        sizes,
        consumers: input.consumers,
        efo_consumers: input.efo_consumers,
        kms: KmsUsage {
            requests_per_month: Some(plan.kms.requests_per_month),
            keys: plan.kms.customer_managed_keys,
            rotations: bill::rotations(result, &path.name),
        },
        firehose_objects_per_sec: plan
            .delivery_streams
            .as_ref()
            .map(|d| d.objects_per_sec_per_stream * d.needed as f64),
    }
}

/// The boundaries a record of `bytes` crosses that one of `base_bytes` does not, for `kind`.
pub fn boundaries(
    kind: PathKind,
    plaintext: u64,
    bytes: u64,
    base: &str,
    base_bytes: u64,
) -> Vec<String> {
    let rules: &[(u64, &str)] = match kind {
        PathKind::Firehose => &[(FIREHOSE_ROUNDING_BYTES, "Firehose bills ingestion")],
        _ => &[
            (ON_DEMAND_ROUNDING_BYTES, "on-demand bills Data-In"),
            (
                PUT_PAYLOAD_UNIT_BYTES,
                "provisioned bills PUT payload units",
            ),
        ],
    };
    rules
        .iter()
        .filter_map(|(per, what)| {
            let units = bytes.div_ceil(*per).max(1);
            let base_units = base_bytes.div_ceil(*per).max(1);
            (units > base_units).then(|| {
                let kb = per / 1_024;
                format!(
                    "sealing takes {} B records to {} B: {what} as {} KB ({base}'s {} B as {} KB)",
                    count(plaintext),
                    count(bytes),
                    count(units * kb),
                    count(base_bytes),
                    count(base_units * kb)
                )
            })
        })
        .collect()
}

/// The bill of every planned path (`paths[i]` planned from `measured[i]`) with `prices`.
pub fn bills(
    paths: &mut [PathPlan],
    measured: &[&PathResult],
    result: &RunResult,
    input: &super::PlanInput,
    prices: &PriceTable,
) {
    let modes: Vec<Vec<ModeBill>> = paths
        .iter()
        .zip(measured)
        .map(|(plan, p)| {
            let u = usage(plan, p, result, input);
            bill::modes(p.kind, &u, prices)
        })
        .collect();
    for i in 0..paths.len() {
        let base = bill::baseline_of(measured[i], measured.iter().copied())
            .and_then(|b| measured.iter().position(|q| q.name == b.name));
        let (baseline, differences, boundaries) = match base {
            Some(j) => (
                Some(paths[j].name.clone()),
                bill::differences(&modes[i], &modes[j]),
                {
                    let mut all: Vec<String> = Vec::new();
                    for size in input.planned_sizes() {
                        let at = |q: &PathResult| super::shards::record_size(q, size).record_bytes;
                        for b in boundaries(
                            paths[i].kind,
                            size,
                            at(measured[i]),
                            &paths[j].name,
                            at(measured[j]),
                        ) {
                            if !all.contains(&b) {
                                all.push(b);
                            }
                        }
                    }
                    all
                },
            ),
            None => (None, Vec::new(), Vec::new()),
        };
        let cheaper = match (
            modes[i].iter().find(|m| m.mode == BillMode::Provisioned),
            modes[i].iter().find(|m| m.mode == BillMode::OnDemand),
        ) {
            (Some(p), Some(o)) => Some(if p.total_usd <= o.total_usd {
                BillMode::Provisioned
            } else {
                BillMode::OnDemand
            }),
            _ => None,
        };
        paths[i].bill = Some(PlanBill {
            modes: modes[i].clone(),
            cheaper,
            baseline,
            differences,
            boundaries,
        });
    }
}

/// "provisioned $268.89, on-demand $2,766 (cheaper: provisioned)".
pub fn summary(b: &PlanBill) -> String {
    let mut parts: Vec<String> = b
        .modes
        .iter()
        .map(|m| format!("{} {}", m.mode.label(), crate::format::usd(m.total_usd)))
        .collect();
    if let Some(c) = b.cheaper {
        parts.push(format!("(cheaper: {})", c.label()));
    }
    parts.join(", ")
}
