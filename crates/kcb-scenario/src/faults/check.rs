//! The rules every `[[faults]]` entry follows: its kind, the keys valid for that kind, its
//! name, its timing and the paths it applies to. Each kind's own keys are read in `kinds`.

use std::time::Duration;

use super::kinds::{self, Shape};
use super::FaultSpec;
use crate::error::{FieldPath, Problem};
use crate::raw::{RawDuration, RawFault};
use crate::tenants::fault_tenants;
use crate::validate::{fmt_dur, path_name};
use crate::{
    DestinationSse, FirehoseKeyChoice, KmsSpec, PathSpec, Protection, SseKey, TenantsSpec,
};

pub(super) type R<T> = Result<T, Problem>;

/// What validating faults needs from the rest of the file.
pub(crate) struct Context<'a> {
    /// The validated paths.
    pub paths: &'a [PathSpec],
    /// When the load ends: warm-up + duration.
    pub load_end: Duration,
    /// `[kms]`, for the quota and the length of a day.
    pub kms: &'a KmsSpec,
    /// `[tenants]`, if the file has it.
    pub tenants: Option<&'a TenantsSpec>,
}

/// Which paths a fault can reach: a kind's validation says, `paths` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// Every path.
    Any,
    /// Paths that call KMS (envelope, sse-kms).
    Kms,
    /// Paths with a customer-managed key (envelope, sse-kms with key = "customer-managed",
    /// firehose with it at rest or at the destination).
    Key,
    /// Firehose paths whose delivery stream is under a customer-managed key (Firehose holds a
    /// grant on it).
    Grant,
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
            (Self::Key, Protection::Firehose(f))
                if f.key != FirehoseKeyChoice::CustomerManaged
                    && f.destination_sse != DestinationSse::CustomerManaged =>
            {
                Some(format!(
                    "path {name:?} is a firehose path under no customer-managed key (key = \"customer-managed\" or destination_sse = \"customer-managed\" gives it one); key faults apply to customer-managed keys only"
                ))
            }
            (Self::Grant, Protection::Firehose(f)) if f.key == FirehoseKeyChoice::CustomerManaged => None,
            (Self::Grant, _) => Some(format!(
                "path {name:?} holds no Firehose grant: revoke-grant applies to firehose paths with key = \"customer-managed\""
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
    let kind = f.kind.0;
    let shape = kinds::shape(field, kind, f)?;
    reject_foreign_keys(field, f, shape)?;
    let name = match &f.name {
        Some(n) => path_name(&at("name"), n)?,
        None => format!("{}-{index}", shape.kind()),
    };
    let start = start(&at("at"), &f.at, cx.load_end)?;
    let duration = f.for_.as_ref().map(|d| length(&at("for"), d)).transpose()?;
    let (kind, reach) = kinds::validate(shape, field, f, duration, cx.kms)?;
    let tenants = f
        .tenants
        .as_deref()
        .map(|t| fault_tenants(&at("tenants"), t, cx.tenants))
        .transpose()?
        .unwrap_or_default();
    let mut paths = paths(field, f.paths.as_deref(), reach, cx.paths)?;
    if !tenants.is_empty() {
        paths.retain(|name| {
            let p = cx.paths.iter().find(|p| &p.name == name);
            p.and_then(|p| p.tenant.as_ref())
                .is_some_and(|t| tenants.contains(&t.index))
        });
        if paths.is_empty() {
            let msg = format!(
                "no path of tenants {tenants:?} is in this fault's reach (check `paths` and the fault's kind)"
            );
            return Err(Problem::new(&at("tenants"), msg));
        }
    }
    Ok(FaultSpec {
        name,
        at: start,
        duration,
        paths,
        tenants,
        kind,
    })
}

fn reject_foreign_keys(field: &FieldPath, f: &RawFault, shape: Shape) -> R<()> {
    let keys = kinds::kind_keys(f);
    let foreign = |(_, set, owners): &&(&str, bool, &[Shape])| *set && !owners.contains(&shape);
    let Some((key, _, owners)) = keys.iter().find(foreign) else {
        return Ok(());
    };
    if *key == "for" && shape == Shape::Reshard {
        let msg = "kind \"reshard\" is an event and cannot have `for`: a reshard is not undone; \
                   reshard back with a later event (e.g. action = \"merge\" after \"split\")";
        return Err(Problem::new(&field.key("for"), msg));
    }
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
    let mut valid = vec!["kind", "name", "at", "for", "paths", "tenants"];
    if matches!(shape, Shape::DeleteKey | Shape::Reshard) {
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
    let d = raw.value;
    if d >= load_end {
        let msg = format!(
            "must be before the load ends at {} (warmup + duration) (got {:?})",
            fmt_dur(load_end),
            raw.text
        );
        return Err(Problem::new(field, msg));
    }
    Ok(d)
}

fn length(field: &FieldPath, raw: &RawDuration) -> R<Duration> {
    let d = raw.value;
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
        // With [tenants], a path as written stands for every tenant's copy of it.
        let copies: Vec<&PathSpec> = all
            .iter()
            .filter(|p| p.tenant.as_ref().is_some_and(|t| t.group == *name))
            .collect();
        if !copies.is_empty() {
            for path in copies {
                if let Some(why) = reach.excludes(path) {
                    return Err(Problem::new(&here, why));
                }
                if out.contains(&path.name) {
                    return Err(Problem::new(&here, format!("{name:?} is listed twice")));
                }
                out.push(path.name.clone());
            }
            continue;
        }
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
