//! One line of advice per limit a path would breach (or come near) at the planned load, and the
//! notes that hold for every path.

use super::kms::{KeyLimit, KmsBasis, KmsQuota};
use super::shards::{SHARDS_ADVICE_LIMIT, SHARD_READ_CALLS_PER_SEC};
use super::{PathPlan, PlanInput};
use crate::format::{count, number, percent};
use crate::result::{PathKind, PathResult};

/// Share of the KMS request quota from which the plan advises (80 %).
pub const KMS_SHARE_ADVICE: f64 = 0.8;

/// Producer cores busy sealing from which the plan points the cost out.
pub const CORES_ADVICE: f64 = 1.0;

/// The recommendations for one planned path.
pub fn recommendations(
    plan: &PathPlan,
    path: &PathResult,
    input: &PlanInput,
    quota: &KmsQuota,
) -> Vec<String> {
    let mut out = Vec::new();
    let b = count(input.record_bytes);
    let r = &plan.record;
    if !r.fits {
        let largest = if r.max_plaintext_that_fits > 0 {
            format!(
                "; the largest that fits is {} bytes",
                count(r.max_plaintext_that_fits)
            )
        } else {
            String::new()
        };
        let what = if path.kind == PathKind::Envelope {
            format!(
                "plaintext records of {b} bytes no longer fit 1 MiB after envelope inflation ({} bytes on the record){largest}",
                count(r.record_bytes)
            )
        } else {
            format!("records of {b} bytes do not fit Kinesis's 1 MiB record{largest}")
        };
        out.push(format!(
            "{what}: split records, or raise the stream's record limit (up to 10 MiB)"
        ));
    }
    if plan.shards.needed > SHARDS_ADVICE_LIMIT {
        out.push(format!(
            "needs {} shards, more than {SHARDS_ADVICE_LIMIT}: ask for a higher shard quota or spread the load over several streams",
            count(plan.shards.needed)
        ));
    }
    let share = plan.kms.quota_share;
    if share >= KMS_SHARE_ADVICE {
        let region = input.region.as_deref().unwrap_or("default");
        let throttled = if share > 1.0 {
            " (ThrottlingException)"
        } else {
            ""
        };
        let fix = match (&plan.kms.basis, path.kind) {
            (KmsBasis::PerRecord { .. }, PathKind::Envelope) if path.settings.cache().is_none() => {
                "enable a data-key cache".to_owned()
            }
            (
                KmsBasis::PerRecord { .. }
                | KmsBasis::Modelled {
                    limit: KeyLimit::MaxMessages | KeyLimit::MaxBytes,
                    ..
                },
                PathKind::Envelope,
            ) => "raise the data-key cache's max_messages / max_bytes".to_owned(),
            (_, PathKind::SseKms) => {
                "use fewer distinct producer and consumer credentials, or ask for a higher KMS quota"
                    .to_owned()
            }
            _ => "ask for a higher KMS request quota".to_owned(),
        };
        let verb = if share > 1.0 {
            "would be throttled"
        } else {
            "near the limit"
        };
        out.push(format!(
            "KMS at {} of the {region} quota ({}/s), {verb}{throttled}: {fix}",
            percent(share),
            count(quota.per_sec.round() as u64)
        ));
    }
    if let Some(cpu) = &plan.cpu {
        if cpu.producer_cores >= CORES_ADVICE {
            out.push(format!(
                "sealing alone needs {} producer cores at {} records/s of {b} bytes: plan producer CPU for it",
                number(cpu.producer_cores),
                number(input.records_per_sec)
            ));
        }
    }
    out
}

/// Notes that hold for every path.
pub fn notes(input: &PlanInput) -> Vec<String> {
    let mut notes = vec![
        format!(
            "Shards: 1 MiB/s or 1,000 records/s of writes and 2 MiB/s of reads per shard; reads are {} × the write bytes (each consumer reads every record); partition keys are not counted.",
            input.consumers
        ),
        "KMS: $0.03 per 10,000 requests (the 20,000 free requests a month are not subtracted) and $1 per customer-managed key-month (none for the AWS-managed key).".to_owned(),
        "KMS calls per window are per caller as measured: each further producer process (with its own data-key cache) or credential adds its own.".to_owned(),
    ];
    if input.consumers > SHARD_READ_CALLS_PER_SEC {
        notes.push(format!(
            "{} consumers share a shard's {SHARD_READ_CALLS_PER_SEC} GetRecords calls/s: each can poll a shard only {} times a second.",
            input.consumers,
            number(f64::from(SHARD_READ_CALLS_PER_SEC) / f64::from(input.consumers))
        ));
    }
    notes
}
