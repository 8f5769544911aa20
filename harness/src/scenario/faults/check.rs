//! The rules every `[[faults]]` entry follows: its kind, the keys valid for that kind, its
//! name, its timing and the paths it applies to. Each kind's own keys are read in `kinds`.

use std::time::Duration;

use super::kinds;
use super::{FaultKind, FaultService, FaultSpec};
use crate::scenario::error::{FieldPath, Problem};
use crate::scenario::raw::{RawDuration, RawFault};
use crate::scenario::validate::{choice, dur, fmt_dur, path_name};
use crate::scenario::{KmsSpec, PathSpec, Protection, SseKey};

pub(super) type R<T> = Result<T, Problem>;

/// What validating faults needs from the rest of the file.
pub(crate) struct Context<'a> {
    /// The validated paths.
    pub paths: &'a [PathSpec],
    /// When the load ends: warm-up + duration.
    pub load_end: Duration,
    /// `[kms]`, for the quota and the length of a day.
    pub kms: &'a KmsSpec,
}

/// A fault kind as written in `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deny,
    Throttle,
    DisableKey,
    ScheduleKeyDeletion,
    DeleteKey,
    Latency,
}

const KINDS: &[(&str, Kind)] = &[
    ("deny", Kind::Deny),
    ("throttle", Kind::Throttle),
    ("disable-key", Kind::DisableKey),
    ("schedule-key-deletion", Kind::ScheduleKeyDeletion),
    ("delete-key", Kind::DeleteKey),
    ("latency", Kind::Latency),
];
pub(super) const SERVICES: &[(&str, FaultService)] = &[
    ("kinesis", FaultService::Kinesis),
    ("kms", FaultService::Kms),
];

/// A kind, with a throttle's service: what decides which keys are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Deny,
    KinesisThrottle,
    KmsThrottle,
    DisableKey,
    ScheduleKeyDeletion,
    DeleteKey,
    Latency,
}

impl Shape {
    fn kind(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::KinesisThrottle | Self::KmsThrottle => "throttle",
            Self::DisableKey => "disable-key",
            Self::ScheduleKeyDeletion => "schedule-key-deletion",
            Self::DeleteKey => "delete-key",
            Self::Latency => "latency",
        }
    }

    fn describe(self) -> String {
        match self {
            Self::KinesisThrottle => "kind \"throttle\" with service = \"kinesis\"".into(),
            Self::KmsThrottle => "kind \"throttle\" with service = \"kms\"".into(),
            other => format!("kind {:?}", other.kind()),
        }
    }
}

/// Which paths a fault can reach: a kind's validation says, `paths` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// Every path.
    Any,
    /// Paths that call KMS (envelope, sse-kms).
    Kms,
    /// Paths with a customer-managed key (envelope, sse-kms with key = "customer-managed").
    Key,
}

impl Reach {
    /// Why `path` is out of reach, if it is.
    pub(super) fn excludes(self, path: &PathSpec) -> Option<String> {
        let name = &path.name;
        match (self, &path.protection) {
            (Self::Any, _) => None,
            (Self::Kms, Protection::Plaintext) => Some(format!(
                "path {name:?} is kind \"plaintext\", which makes no KMS calls, and this fault acts on KMS only"
            )),
            (Self::Key, Protection::Plaintext) => Some(format!(
                "path {name:?} is kind \"plaintext\", which has no KMS key; key faults apply to envelope paths and to sse-kms paths with key = \"customer-managed\""
            )),
            (Self::Key, Protection::SseKms(s)) if s.key == SseKey::AwsManaged => Some(format!(
                "path {name:?} uses the AWS-managed key (alias/aws/kinesis), which cannot be disabled or deleted; key faults apply to envelope paths and to sse-kms paths with key = \"customer-managed\""
            )),
            _ => None,
        }
    }
}

/// Validates every `[[faults]]` entry at `field`.
pub(crate) fn faults(field: &FieldPath, raw: &[RawFault], cx: &Context<'_>) -> R<Vec<FaultSpec>> {
    let mut out: Vec<FaultSpec> = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let here = field.index(i);
        let spec = fault(&here, i, f, cx)?;
        if let Some(first) = out.iter().position(|o| o.name == spec.name) {
            let msg = format!(
                "{:?} is already the name of faults[{first}]; give each fault a unique `name`",
                spec.name
            );
            return Err(Problem::new(&here.key("name"), msg));
        }
        out.push(spec);
    }
    Ok(out)
}

fn fault(field: &FieldPath, index: usize, f: &RawFault, cx: &Context<'_>) -> R<FaultSpec> {
    let at = |key: &str| field.key(key);
    let kind = choice(&at("kind"), &f.kind, KINDS)?;
    let shape = shape(field, kind, f)?;
    reject_foreign_keys(field, f, shape)?;
    let name = match &f.name {
        Some(n) => path_name(&at("name"), n)?,
        None => format!("{}-{index}", shape.kind()),
    };
    let start = start(&at("at"), &f.at, cx.load_end)?;
    let duration = f.for_.as_ref().map(|d| length(&at("for"), d)).transpose()?;
    let (kind, reach) = match shape {
        Shape::Deny => kinds::deny(field, f)?,
        Shape::KinesisThrottle => (kinds::kinesis_throttle(field, f)?, Reach::Any),
        Shape::KmsThrottle => (kinds::kms_throttle(field, f, cx.kms)?, Reach::Kms),
        Shape::DisableKey => (FaultKind::DisableKey, Reach::Key),
        Shape::ScheduleKeyDeletion => (kinds::schedule(field, f, duration, cx.kms)?, Reach::Key),
        Shape::DeleteKey => (FaultKind::DeleteKey, Reach::Key),
        Shape::Latency => kinds::latency(field, f)?,
    };
    let paths = paths(field, f.paths.as_deref(), reach, cx.paths)?;
    Ok(FaultSpec {
        name,
        at: start,
        duration,
        paths,
        kind,
    })
}

/// The kind, refined by `service` where the kind has one.
fn shape(field: &FieldPath, kind: Kind, f: &RawFault) -> R<Shape> {
    let service = || -> R<FaultService> {
        let Some(s) = f.service.as_deref() else {
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
        choice(&field.key("service"), s, SERVICES)
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
        Kind::Latency => {
            service()?;
            Shape::Latency
        }
    })
}

/// Keys that belong to some kinds only: name, whether it is set, the shapes it belongs to.
fn kind_keys(f: &RawFault) -> [(&'static str, bool, &'static [Shape]); 14] {
    use Shape::*;
    const THROTTLES: &[Shape] = &[KinesisThrottle, KmsThrottle];
    const SERVICED: &[Shape] = &[KinesisThrottle, KmsThrottle, Latency];
    const NOT_DELETE: &[Shape] = &[
        Deny,
        KinesisThrottle,
        KmsThrottle,
        DisableKey,
        ScheduleKeyDeletion,
        Latency,
    ];
    [
        ("for", f.for_.is_some(), NOT_DELETE),
        ("principal", f.principal.is_some(), &[Deny]),
        ("actions", f.actions.is_some(), &[Deny]),
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
    ]
}

fn reject_foreign_keys(field: &FieldPath, f: &RawFault, shape: Shape) -> R<()> {
    let keys = kind_keys(f);
    let foreign = |(_, set, owners): &&(&str, bool, &[Shape])| *set && !owners.contains(&shape);
    let Some((key, _, owners)) = keys.iter().find(foreign) else {
        return Ok(());
    };
    if *key == "for" {
        let msg = "kind \"delete-key\" cannot have `for`: deletion cannot be undone; for a key \
                   fault that ends use kind = \"disable-key\", or \"schedule-key-deletion\" with \
                   cancel_after";
        return Err(Problem::new(&field.key("for"), msg));
    }
    let mut kinds: Vec<String> = Vec::new();
    for owner in owners.iter() {
        let text = if owner.kind() == shape.kind() {
            owner.describe()
        } else {
            format!("{:?}", owner.kind())
        };
        if !kinds.contains(&text) {
            kinds.push(text);
        }
    }
    let owner_text = match kinds.as_slice() {
        [one] if one.starts_with("kind ") => one.clone(),
        [one] => format!("kind {one}"),
        many => format!("kinds {}", many.join(", ")),
    };
    let mut valid = vec!["kind", "name", "at", "for", "paths"];
    if shape == Shape::DeleteKey {
        valid.retain(|k| *k != "for");
    }
    valid.extend(
        keys.iter()
            .filter(|(k, _, o)| *k != "for" && o.contains(&shape))
            .map(|(k, _, _)| *k),
    );
    let here = shape.describe();
    let msg = format!(
        "not a setting of {here} (it belongs to {owner_text}); keys valid for {here}: {}",
        valid.join(", ")
    );
    Err(Problem::new(&field.key(key), msg))
}

fn start(field: &FieldPath, raw: &RawDuration, load_end: Duration) -> R<Duration> {
    let d = dur(field, raw)?;
    if d >= load_end {
        let msg = format!(
            "must be before the load ends at {} (warmup + duration) (got {:?})",
            fmt_dur(load_end),
            raw.0
        );
        return Err(Problem::new(field, msg));
    }
    Ok(d)
}

fn length(field: &FieldPath, raw: &RawDuration) -> R<Duration> {
    let d = dur(field, raw)?;
    if d.is_zero() {
        let msg = "must be > 0; leave `for` out for a fault that lasts to the end of the run";
        return Err(Problem::new(field, msg));
    }
    Ok(d)
}

/// The named paths (each in reach), or every path in reach when `raw` is absent.
fn paths(
    field: &FieldPath,
    raw: Option<&[String]>,
    reach: Reach,
    all: &[PathSpec],
) -> R<Vec<String>> {
    let field = field.key("paths");
    let Some(names) = raw else {
        let out: Vec<String> = all
            .iter()
            .filter(|p| reach.excludes(p).is_none())
            .map(|p| p.name.clone())
            .collect();
        if out.is_empty() {
            let why: Vec<String> = all.iter().filter_map(|p| reach.excludes(p)).collect();
            let msg = format!("no path this fault can apply to: {}", why.join("; "));
            return Err(Problem::new(&field, msg));
        }
        return Ok(out);
    };
    if names.is_empty() {
        let msg = "list at least one path name, or leave `paths` out for every path the fault can apply to";
        return Err(Problem::new(&field, msg));
    }
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let here = field.index(j);
        let Some(path) = all.iter().find(|p| p.name == *name) else {
            let valid: Vec<String> = all.iter().map(|p| format!("{:?}", p.name)).collect();
            let msg = format!("no path is named {name:?}; paths: {}", valid.join(", "));
            return Err(Problem::new(&here, msg));
        };
        if let Some(why) = reach.excludes(path) {
            return Err(Problem::new(&here, why));
        }
        if out.contains(name) {
            return Err(Problem::new(&here, format!("{name:?} is listed twice")));
        }
        out.push(name.clone());
    }
    Ok(out)
}

/// A key some kind requires.
pub(super) fn required<'a, T>(
    field: &FieldPath,
    value: Option<&'a T>,
    kind: &str,
    what: &str,
) -> R<&'a T> {
    value.ok_or_else(|| Problem::new(field, format!("required for kind {kind:?}: {what}")))
}
