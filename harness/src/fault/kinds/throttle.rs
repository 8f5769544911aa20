//! `throttle`: on Kinesis a share of calls answered ProvisionedThroughputExceededException (as
//! AWS FIS does) and/or lowered per-shard limits; on KMS a lowered request quota and/or a share
//! of calls answered ThrottlingException. Lowered limits are holds on the embedded service:
//! overlapping throttles each hold their own, the lowest is in force, and each one's end
//! removes only its own.

use super::{refuse, FaultError, Part, Undo, World};
use crate::backend::faults::Service as Svc;
use crate::emulator::kinesis::ShardLimits;
use crate::scenario::FaultKind;

pub(super) fn kinesis(
    world: &World,
    targets: &[usize],
    kind: &FaultKind,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let FaultKind::KinesisThrottle {
        operations,
        fraction,
        write_bytes_per_sec,
        write_records_per_sec,
        read_calls_per_sec,
        read_bytes_per_sec,
    } = kind
    else {
        return Err(FaultError::Unsupported("not a Kinesis throttle".into()));
    };
    let mut notes = Vec::new();
    // Each path's service, as its driver says a throttle reaches it (a delivery stream's puts
    // are refused as past its direct-put quota; it has no shards).
    let mut services: Vec<(crate::driver::Throttling, Vec<usize>)> = Vec::new();
    for &t in targets {
        let th = world.targets[t].throttling;
        match services.iter_mut().find(|(s, _)| s.service == th.service) {
            Some((_, ts)) => ts.push(t),
            None => services.push((th, vec![t])),
        }
    }
    for (th, ts) in &services {
        let Some(fr) = fraction else {
            if th.shard_limits {
                continue;
            }
            return Err(FaultError::Unsupported(format!(
                "{:?} has no shard limits to lower: throttle its paths with `fraction`",
                th.service
            )));
        };
        let ops: Vec<String> = operations
            .iter()
            .filter_map(|o| (th.operation)(o))
            .collect();
        // Operations named that the service does not have: nothing of it to refuse.
        if operations.is_empty() || !ops.is_empty() {
            notes.push(refuse(world, ts, th.service, &ops, th.error, *fr, undo));
        }
    }
    let targets: Vec<usize> = services
        .iter()
        .filter(|(th, _)| th.shard_limits)
        .flat_map(|(_, ts)| ts.iter().copied())
        .collect();
    let limits = [
        write_bytes_per_sec,
        write_records_per_sec,
        read_calls_per_sec,
        read_bytes_per_sec,
    ];
    if !targets.is_empty() && limits.iter().any(|l| l.is_some()) {
        let svc = world.embedded("shard limits can be lowered")?;
        let keep = f64::INFINITY;
        let lowered = ShardLimits {
            write_bytes_per_sec: write_bytes_per_sec.unwrap_or(keep),
            write_records_per_sec: write_records_per_sec.unwrap_or(keep),
            read_bytes_per_sec: read_bytes_per_sec.unwrap_or(keep),
            read_calls_per_sec: read_calls_per_sec.unwrap_or(keep),
        };
        for &t in &targets {
            let stream = &world.targets[t].stream;
            let hold = svc
                .control()
                .lower_shard_limits(stream, lowered)
                .ok_or_else(|| FaultError::Service(format!("no stream {stream}")))?;
            undo.push(Part::Service(hold));
        }
        notes.push(format!("shard limits lowered to {lowered:?}"));
    }
    Ok(notes.join("; "))
}

pub(super) fn kms(
    world: &World,
    targets: &[usize],
    kind: &FaultKind,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let FaultKind::KmsThrottle {
        quota_per_sec,
        fraction,
        operations,
    } = kind
    else {
        return Err(FaultError::Unsupported("not a KMS throttle".into()));
    };
    let mut notes = Vec::new();
    if let Some(q) = quota_per_sec {
        let svc = world.embedded("the KMS quota can be lowered")?;
        undo.push(Part::Service(svc.control().lower_kms_quota(*q)));
        notes.push(format!(
            "KMS quota lowered to {q}/s ({}/s in force)",
            svc.control().kms_quota()
        ));
    }
    if let Some(fr) = fraction {
        notes.push(refuse(
            world,
            targets,
            Svc::Kms,
            operations,
            (
                "ThrottlingException",
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls. (injected)",
            ),
            *fr,
            undo,
        ));
    }
    Ok(notes.join("; "))
}
