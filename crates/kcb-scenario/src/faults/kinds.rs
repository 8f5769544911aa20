//! Each fault kind: its name in `kind`, the keys that belong to it, and their validation (a
//! deny's principal and actions, a throttle's share and limits, a key deletion's waiting
//! period, a latency's delay). A new kind is a variant here and in `FaultKind`; `check` applies
//! the rules every kind shares.

use std::time::Duration;

use super::check::{required, Reach, R};
use super::{DelaySpec, FaultKind, FaultService, KeyPolicyChange, ReshardAction};
use crate::error::{FieldPath, Problem};
use crate::raw::{names, RawDelay, RawDuration, RawFault};
use crate::validate::{fmt_dur, ints, Ints};
use crate::KmsSpec;
use strum::{EnumString, IntoStaticStr, VariantNames};

/// A deny's or a key policy's `principal`: the harness's roles, and Firehose's delivery role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Principal {
    Producer,
    Consumer,
    Admin,
    Resharder,
    Delivery,
}

const KINESIS_THROTTLE_OPS: &[&str] = &["PutRecord", "PutRecords", "GetRecords"];
const KMS_OPS: &[&str] = &["GenerateDataKey", "Decrypt", "Encrypt"];
const KINESIS_LATENCY_OPS: &[&str] = &[
    "PutRecord",
    "PutRecords",
    "GetRecords",
    "GetShardIterator",
    "ListShards",
    "DescribeStreamSummary",
];
const WAITING_DAYS: Ints = ints(7, 30, 7, " days");
const MAX_DELAY: Duration = Duration::from_secs(60);
const MIB: f64 = 1024.0 * 1024.0;

/// A fault kind as written in `kind`, in the order the documentation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Kind {
    Deny,
    Throttle,
    DisableKey,
    ScheduleKeyDeletion,
    DeleteKey,
    RotateKey,
    RevokeGrant,
    KeyPolicy,
    Latency,
    Reshard,
}

/// A reshard's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum ReshardName {
    Split,
    Merge,
    UpdateShardCount,
}

const TARGET_SHARDS: Ints = ints(1, 500, 1, " shards");
/// A kind, with a throttle's service: what decides which keys are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Deny,
    KinesisThrottle,
    KmsThrottle,
    DisableKey,
    ScheduleKeyDeletion,
    DeleteKey,
    RotateKey,
    RevokeGrant,
    KeyPolicy,
    Latency,
    Reshard,
}

impl Shape {
    pub(super) fn kind(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::KinesisThrottle | Self::KmsThrottle => "throttle",
            Self::DisableKey => "disable-key",
            Self::ScheduleKeyDeletion => "schedule-key-deletion",
            Self::DeleteKey => "delete-key",
            Self::RotateKey => "rotate-key",
            Self::RevokeGrant => "revoke-grant",
            Self::KeyPolicy => "key-policy",
            Self::Latency => "latency",
            Self::Reshard => "reshard",
        }
    }

    pub(super) fn describe(self) -> String {
        match self {
            Self::KinesisThrottle => "kind \"throttle\" with service = \"kinesis\"".into(),
            Self::KmsThrottle => "kind \"throttle\" with service = \"kms\"".into(),
            other => format!("kind {:?}", other.kind()),
        }
    }
}

/// The kind, refined by `service` where the kind has one.
pub(super) fn shape(field: &FieldPath, kind: Kind, f: &RawFault) -> R<Shape> {
    let service = || -> R<FaultService> {
        let Some(s) = f.service else {
            let msg = format!(
                "required for kind {:?}: \"kinesis\" or \"kms\"",
                if kind == Kind::Throttle {
                    "throttle"
                } else {
                    "latency"
                }
            );
            return Err(Problem::new(&field.key("service"), msg));
        };
        Ok(s.0)
    };
    Ok(match kind {
        Kind::Deny => Shape::Deny,
        Kind::Throttle => match service()? {
            FaultService::Kinesis => Shape::KinesisThrottle,
            FaultService::Kms => Shape::KmsThrottle,
        },
        Kind::DisableKey => Shape::DisableKey,
        Kind::ScheduleKeyDeletion => Shape::ScheduleKeyDeletion,
        Kind::DeleteKey => Shape::DeleteKey,
        Kind::RotateKey => Shape::RotateKey,
        Kind::RevokeGrant => Shape::RevokeGrant,
        Kind::KeyPolicy => Shape::KeyPolicy,
        Kind::Latency => {
            service()?;
            Shape::Latency
        }
        Kind::Reshard => Shape::Reshard,
    })
}

/// Keys that belong to some kinds only: name, whether it is set, the shapes it belongs to.
pub(super) fn kind_keys(f: &RawFault) -> [(&'static str, bool, &'static [Shape]); 17] {
    use Shape::*;
    const THROTTLES: &[Shape] = &[KinesisThrottle, KmsThrottle];
    const SERVICED: &[Shape] = &[KinesisThrottle, KmsThrottle, Latency];
    // Events (delete-key, rotate-key, reshard) have no `for`.
    const NOT_DELETE: &[Shape] = &[
        Deny,
        KinesisThrottle,
        KmsThrottle,
        DisableKey,
        ScheduleKeyDeletion,
        RevokeGrant,
        KeyPolicy,
        Latency,
    ];
    [
        ("for", f.for_.is_some(), NOT_DELETE),
        ("principal", f.principal.is_some(), &[Deny, KeyPolicy]),
        ("actions", f.actions.is_some(), &[Deny, KeyPolicy]),
        ("remove", f.remove.is_some(), &[KeyPolicy]),
        ("service", f.service.is_some(), SERVICED),
        ("operations", f.operations.is_some(), SERVICED),
        ("fraction", f.fraction.is_some(), THROTTLES),
        ("quota_per_sec", f.quota_per_sec.is_some(), &[KmsThrottle]),
        (
            "write_bytes_per_sec",
            f.write_bytes_per_sec.is_some(),
            &[KinesisThrottle],
        ),
        (
            "write_records_per_sec",
            f.write_records_per_sec.is_some(),
            &[KinesisThrottle],
        ),
        (
            "read_calls_per_sec",
            f.read_calls_per_sec.is_some(),
            &[KinesisThrottle],
        ),
        (
            "read_bytes_per_sec",
            f.read_bytes_per_sec.is_some(),
            &[KinesisThrottle],
        ),
        (
            "waiting_period_days",
            f.waiting_period_days.is_some(),
            &[ScheduleKeyDeletion],
        ),
        (
            "cancel_after",
            f.cancel_after.is_some(),
            &[ScheduleKeyDeletion],
        ),
        ("delay", f.delay.is_some(), &[Latency]),
        ("action", f.action.is_some(), &[Reshard]),
        ("target_shards", f.target_shards.is_some(), &[Reshard]),
    ]
}

/// Validate the keys of a fault of `shape`: its kind and the paths it can reach.
pub(super) fn validate(
    shape: Shape,
    field: &FieldPath,
    f: &RawFault,
    duration: Option<Duration>,
    kms: &KmsSpec,
) -> R<(FaultKind, Reach)> {
    Ok(match shape {
        Shape::Deny => deny(field, f)?,
        Shape::KinesisThrottle => (kinesis_throttle(field, f)?, Reach::Any),
        Shape::KmsThrottle => (kms_throttle(field, f, kms)?, Reach::Kms),
        Shape::DisableKey => (FaultKind::DisableKey, Reach::Key),
        Shape::ScheduleKeyDeletion => (schedule(field, f, duration, kms)?, Reach::Key),
        Shape::DeleteKey => (FaultKind::DeleteKey, Reach::Key),
        Shape::RotateKey => (FaultKind::RotateKey, Reach::Key),
        Shape::RevokeGrant => (FaultKind::RevokeGrant, Reach::Grant),
        Shape::KeyPolicy => (key_policy(field, f)?, Reach::Key),
        Shape::Latency => latency(field, f)?,
        Shape::Reshard => (reshard(field, f)?, Reach::Any),
    })
}

fn reshard(field: &FieldPath, f: &RawFault) -> R<FaultKind> {
    let at = field.key("action");
    let action = required(
        &at,
        f.action.as_ref(),
        "reshard",
        "\"split\", \"merge\" or \"update-shard-count\"",
    )?;
    let action = match action.0 {
        ReshardName::Split => ReshardAction::Split,
        ReshardName::Merge => ReshardAction::Merge,
        ReshardName::UpdateShardCount => ReshardAction::UpdateShardCount {
            target_shards: {
                let t = field.key("target_shards");
                let n = required(
                    &t,
                    f.target_shards.as_ref(),
                    "reshard",
                    "the open shards after it, 1 to 500",
                )?;
                TARGET_SHARDS.check::<u32>(&t, *n)?
            },
        },
    };
    if f.target_shards.is_some() && !matches!(action, ReshardAction::UpdateShardCount { .. }) {
        return Err(Problem::new(
            &field.key("target_shards"),
            "only with action = \"update-shard-count\"",
        ));
    }
    Ok(FaultKind::Reshard { action })
}

pub(super) fn deny(field: &FieldPath, f: &RawFault) -> R<(FaultKind, Reach)> {
    let at = field.key("principal");
    let principal = required(
        &at,
        f.principal.as_ref(),
        "deny",
        &format!("one of {}", names::<Principal>()),
    )?;
    let principal = <&str>::from(principal.0).to_owned();
    let at = field.key("actions");
    let usage =
        "\"*\" or \"service:Action\" with service kinesis or kms and an action of letters, \
                 `*` or `?` (e.g. \"kms:GenerateDataKey\", \"kinesis:PutRecords\", \"kms:*\")";
    let actions = required(
        &at,
        f.actions.as_ref(),
        "deny",
        &format!("a list of IAM actions, each {usage}"),
    )?;
    if actions.is_empty() {
        return Err(Problem::new(
            &at,
            format!("list at least one action, each {usage}"),
        ));
    }
    for (j, a) in actions.iter().enumerate() {
        if !is_action(a) {
            return Err(Problem::new(
                &at.index(j),
                format!("must be {usage} (got {a:?})"),
            ));
        }
    }
    let kms_only = actions.iter().all(|a| a.starts_with("kms:"));
    let reach = if kms_only { Reach::Kms } else { Reach::Any };
    let kind = FaultKind::Deny {
        principal,
        actions: actions.clone(),
    };
    Ok((kind, reach))
}

/// A key-policy change: a Deny of `actions` (kms only) to `principal`, or the statement with
/// Sid `remove` taken out; exactly one of the two.
fn key_policy(field: &FieldPath, f: &RawFault) -> R<FaultKind> {
    let change = match (&f.remove, f.principal.is_some() || f.actions.is_some()) {
        (Some(_), true) => {
            return Err(Problem::new(
                &field.key("remove"),
                "either `remove` (a statement's Sid) or `principal` and `actions` (a Deny added), not both",
            ))
        }
        (Some(sid), false) if sid.trim().is_empty() => {
            return Err(Problem::new(&field.key("remove"), "must be a statement's Sid, e.g. \"Enable IAM User Permissions\""))
        }
        (Some(sid), false) => KeyPolicyChange::Remove { sid: sid.clone() },
        (None, _) => {
            let (kind, _) = deny(field, f).map_err(|p| {
                if f.principal.is_none() && f.actions.is_none() {
                    Problem::new(field, "a key-policy fault needs `remove` (the Sid of a statement taken out) or `principal` and `actions` (a Deny statement added)")
                } else {
                    p
                }
            })?;
            let FaultKind::Deny { principal, actions } = kind else {
                unreachable!("deny() returns a Deny")
            };
            if let Some(j) = actions.iter().position(|a| !a.starts_with("kms:")) {
                return Err(Problem::new(
                    &field.key("actions").index(j),
                    format!("a key policy governs KMS actions only: \"kms:<Action>\" (got {:?})", actions[j]),
                ));
            }
            KeyPolicyChange::Deny { principal, actions }
        }
    };
    Ok(FaultKind::KeyPolicy { change })
}

/// `^(\*|(kinesis|kms):[A-Za-z*?]+)$`.
fn is_action(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((service, action)) = a.split_once(':') else {
        return false;
    };
    matches!(service, "kinesis" | "kms")
        && !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '*' || c == '?')
}

pub(super) fn kinesis_throttle(field: &FieldPath, f: &RawFault) -> R<FaultKind> {
    let at = |key: &str| field.key(key);
    let operations = refused_operations(field, f, KINESIS_THROTTLE_OPS)?;
    let fraction = f
        .fraction
        .map(|x| fraction(&at("fraction"), x))
        .transpose()?;
    let limit = |key: &str, v: Option<f64>, max: f64, unit: &str| {
        v.map(|x| lowered(&at(key), x, max, unit)).transpose()
    };
    let write_bytes_per_sec = limit(
        "write_bytes_per_sec",
        f.write_bytes_per_sec,
        MIB,
        " bytes/s (1 MiB/s)",
    )?;
    let write_records_per_sec = limit(
        "write_records_per_sec",
        f.write_records_per_sec,
        1000.0,
        " records/s",
    )?;
    let read_calls_per_sec = limit("read_calls_per_sec", f.read_calls_per_sec, 5.0, " calls/s")?;
    let read_bytes_per_sec = limit(
        "read_bytes_per_sec",
        f.read_bytes_per_sec,
        2.0 * MIB,
        " bytes/s (2 MiB/s)",
    )?;
    let limits = [
        write_bytes_per_sec,
        write_records_per_sec,
        read_calls_per_sec,
        read_bytes_per_sec,
    ];
    if fraction.is_none() && limits.iter().all(Option::is_none) {
        let msg = "a kinesis throttle needs `fraction` (the share of calls answered \
                   ProvisionedThroughputExceededException), a lowered shard limit \
                   (write_bytes_per_sec, write_records_per_sec, read_calls_per_sec, \
                   read_bytes_per_sec), or both";
        return Err(Problem::new(field, msg));
    }
    Ok(FaultKind::KinesisThrottle {
        operations,
        fraction,
        write_bytes_per_sec,
        write_records_per_sec,
        read_calls_per_sec,
        read_bytes_per_sec,
    })
}

pub(super) fn kms_throttle(field: &FieldPath, f: &RawFault, kms: &KmsSpec) -> R<FaultKind> {
    let at = |key: &str| field.key(key);
    let operations = refused_operations(field, f, KMS_OPS)?;
    let fraction = f
        .fraction
        .map(|x| fraction(&at("fraction"), x))
        .transpose()?;
    let quota = f64::from(kms.quota_per_sec);
    let unit = " requests/s ([kms] quota_per_sec)";
    let quota_per_sec = f
        .quota_per_sec
        .map(|x| lowered(&at("quota_per_sec"), x, quota, unit))
        .transpose()?;
    if fraction.is_none() && quota_per_sec.is_none() {
        let msg = "a kms throttle needs `quota_per_sec` (a lowered request quota), `fraction` \
                   (the share of calls answered ThrottlingException), or both";
        return Err(Problem::new(field, msg));
    }
    Ok(FaultKind::KmsThrottle {
        quota_per_sec,
        fraction,
        operations,
    })
}

/// A throttle's `operations`: only with `fraction`, which is what they select.
fn refused_operations(field: &FieldPath, f: &RawFault, valid: &[&str]) -> R<Vec<String>> {
    if f.operations.is_some() && f.fraction.is_none() {
        let msg = "`operations` picks the calls `fraction` refuses (lowered limits apply to \
                   every call they limit); set `fraction` or remove `operations`";
        return Err(Problem::new(&field.key("operations"), msg));
    }
    operations(&field.key("operations"), f.operations.as_deref(), valid)
}

/// A subset of `valid` (default all of it), in the order written, without repeats.
fn operations(field: &FieldPath, raw: Option<&[String]>, valid: &[&str]) -> R<Vec<String>> {
    let names: Vec<String> = valid.iter().map(|n| format!("{n:?}")).collect();
    let Some(ops) = raw else {
        return Ok(valid.iter().map(|s| (*s).to_owned()).collect());
    };
    if ops.is_empty() {
        let msg = format!(
            "list at least one of {}, or leave `operations` out for all of them",
            names.join(", ")
        );
        return Err(Problem::new(field, msg));
    }
    let mut out: Vec<String> = Vec::with_capacity(ops.len());
    for (j, op) in ops.iter().enumerate() {
        if !valid.contains(&op.as_str()) {
            let msg = format!("must be one of {} (got {op:?})", names.join(", "));
            return Err(Problem::new(&field.index(j), msg));
        }
        if !out.contains(op) {
            out.push(op.clone());
        }
    }
    Ok(out)
}

fn fraction(field: &FieldPath, x: f64) -> R<f64> {
    if x.is_finite() && x > 0.0 && x <= 1.0 {
        return Ok(x);
    }
    let msg = format!(
        "must be > 0 and <= 1: the share of matching calls refused, 1 = every call (got {x})"
    );
    Err(Problem::new(field, msg))
}

/// A limit lowered from `max`.
fn lowered(field: &FieldPath, x: f64, max: f64, unit: &str) -> R<f64> {
    if x.is_finite() && x > 0.0 && x <= max {
        return Ok(x);
    }
    let msg =
        format!("must be > 0 and <= {max}{unit}: a throttle can only lower the limit (got {x})");
    Err(Problem::new(field, msg))
}

pub(super) fn schedule(
    field: &FieldPath,
    f: &RawFault,
    length: Option<Duration>,
    kms: &KmsSpec,
) -> R<FaultKind> {
    let at = |key: &str| field.key(key);
    let days: u32 = WAITING_DAYS.get(&at("waiting_period_days"), f.waiting_period_days)?;
    let waiting = kms.day_length.checked_mul(days).unwrap_or(Duration::MAX);
    let waiting_text = format!(
        "the waiting period, {days} days of kms.day_length {} = {}",
        fmt_dur(kms.day_length),
        fmt_dur(waiting)
    );
    let cancel_after = match &f.cancel_after {
        None => None,
        Some(raw) => {
            let field = at("cancel_after");
            let c = raw.value;
            let problem = if c.is_zero() {
                Some("must be > 0".to_owned())
            } else if length.is_some_and(|l| c >= l) {
                let l = length.map(fmt_dur).unwrap_or_default();
                Some(format!("must be less than `for` ({l}): the deletion is cancelled while the fault lasts"))
            } else if c >= waiting {
                Some(format!(
                    "must be less than {waiting_text}: the key would be deleted before the cancel"
                ))
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(Problem::new(&field, format!("{p} (got {:?})", raw.text)));
            }
            Some(c)
        }
    };
    if let (Some(l), None) = (length, cancel_after) {
        if l >= waiting {
            let msg = format!(
                "must be less than {waiting_text}, or set cancel_after: the deletion is cancelled \
                 when the fault ends, and by then the key would be deleted"
            );
            return Err(Problem::new(&at("for"), msg));
        }
    }
    Ok(FaultKind::ScheduleKeyDeletion {
        waiting_period_days: days,
        cancel_after,
    })
}

pub(super) fn latency(field: &FieldPath, f: &RawFault) -> R<(FaultKind, Reach)> {
    let Some(service) = f.service.map(|s| s.0) else {
        let msg = format!(
            "required for kind \"latency\": one of {}",
            names::<FaultService>()
        );
        return Err(Problem::new(&field.key("service"), msg));
    };
    let (valid, reach) = match service {
        FaultService::Kinesis => (KINESIS_LATENCY_OPS, Reach::Any),
        FaultService::Kms => (KMS_OPS, Reach::Kms),
    };
    let operations = operations(&field.key("operations"), f.operations.as_deref(), valid)?;
    let at = field.key("delay");
    let what = r#"a duration like "200us", { uniform = { min = "100us", max = "300us" } } or { log_normal = { median = "1ms", sigma = 0.5 } }"#;
    let delay = delay(&at, required(&at, f.delay.as_ref(), "latency", what)?)?;
    let kind = FaultKind::Latency {
        service,
        operations,
        delay,
    };
    Ok((kind, reach))
}

fn delay(field: &FieldPath, raw: &RawDelay) -> R<DelaySpec> {
    match raw {
        RawDelay::Fixed(d) => Ok(DelaySpec::Fixed(delay_bound(field, d, false)?)),
        RawDelay::Uniform(u) => {
            let at = |key: &str| field.key("uniform").key(key);
            let min = delay_bound(&at("min"), &u.min, true)?;
            let max = delay_bound(&at("max"), &u.max, false)?;
            if max < min {
                let msg = format!("must be >= min ({}) (got {:?})", fmt_dur(min), u.max.text);
                return Err(Problem::new(&at("max"), msg));
            }
            Ok(DelaySpec::Uniform { min, max })
        }
        RawDelay::LogNormal(l) => {
            let at = |key: &str| field.key("log_normal").key(key);
            let median = delay_bound(&at("median"), &l.median, false)?;
            let sigma = l.sigma;
            if !(sigma.is_finite() && sigma > 0.0 && sigma <= 4.0) {
                let msg = format!("must be > 0 and <= 4 (got {sigma})");
                return Err(Problem::new(&at("sigma"), msg));
            }
            Ok(DelaySpec::LogNormal { median, sigma })
        }
    }
}

/// A delay in 0..=1m (`> 0` unless `zero_ok`).
fn delay_bound(field: &FieldPath, raw: &RawDuration, zero_ok: bool) -> R<Duration> {
    let d = raw.value;
    if (d.is_zero() && !zero_ok) || d > MAX_DELAY {
        let lo = if zero_ok { ">= 0" } else { "> 0" };
        let msg = format!("must be {lo} and <= 1m (got {:?})", raw.text);
        return Err(Problem::new(field, msg));
    }
    Ok(d)
}
