//! `[tenants]`: each path replicated once per tenant, each copy with its own stream and, with
//! `key = "per-tenant"`, its own KMS key, or with `"shared"` one key for every tenant of the
//! path (the anti-pattern, to compare). Faults name tenants (`tenants = [3]`); reports group
//! the copies back by path.

use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantNames};

use super::error::{FieldPath, Problem};
use super::raw::{RawPath, RawTenants};
use super::validate::MAX_RATE_PER_SEC as MAX_RATE;
use super::{DestinationSse, FirehoseKeyChoice, PathSpec, Protection, SseKey};

type R<T> = Result<T, Problem>;

/// Most tenants a scenario may have: each is a stream (and a key) per path.
pub const MAX_TENANTS: u32 = 64;

/// Largest weight a tenant may have (weights are relative: 1 to this).
pub const MAX_WEIGHT: i64 = 10_000;

/// Longest path name that can carry tenants: the copies are named `<path>-t<N>` within the
/// 64 characters a path name may have.
const MAX_GROUP_NAME: usize = 64 - "-t64".len();

/// The encryption-context key that binds an envelope record (and its KMS calls) to its
/// tenant, as AWS advises for tenants under one key: KMS logs it with every call, so a shared
/// key's calls can be told apart by tenant, and a key policy can condition on it.
pub const TENANT_CONTEXT_KEY: &str = "tenant";

/// Whose KMS key a tenant's copy of a path uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum TenantKey {
    /// One CMK per tenant: a key's fault reaches that tenant only.
    PerTenant,
    /// One CMK for every tenant of the path: a key's fault reaches them all.
    Shared,
}

impl TenantKey {
    /// As written in TOML.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `[tenants]`, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantsSpec {
    /// Tenants (1..=64); each path runs once per tenant, at `rate_per_sec` each unless
    /// `weights` split the load.
    pub count: u32,
    /// The key arrangement of paths that do not say (`tenant_key`).
    pub key: TenantKey,
    /// One weight per tenant, or empty for equal load: the tenants' load (`count` x
    /// `rate_per_sec` records a second per path) split in these proportions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<u32>,
}

impl TenantsSpec {
    /// Records a second tenant `index` (1-based) sends on each path, at `rate` per tenant
    /// when unweighted.
    pub fn rate_of(&self, index: u32, rate: f64) -> f64 {
        let total: u64 = self.weights.iter().map(|&w| u64::from(w)).sum();
        let at = (index as usize).checked_sub(1);
        match at.and_then(|i| self.weights.get(i)) {
            Some(&w) if total > 0 => rate * f64::from(self.count) * f64::from(w) / total as f64,
            _ => rate,
        }
    }
}

/// Which tenant a path is the copy for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantOf {
    /// The path as the scenario wrote it (`name`), whose copy this is.
    pub group: String,
    /// The tenant, 1-based.
    pub index: u32,
    /// How the copies of the group share a key; `None` for a path with no key the run
    /// creates (plaintext, the AWS-managed key, a Firehose path under no customer-managed key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<TenantKey>,
    /// Records a second this copy sends (`rate_per_sec`, or its weight's share).
    pub rate_per_sec: f64,
}

impl TenantOf {
    /// The name of tenant `index`'s copy of `group`.
    pub fn path_name(group: &str, index: u32) -> String {
        format!("{group}-t{index}")
    }
}

/// `[tenants]` at `field`, for `rate` records a second per path.
pub(super) fn tenants(field: &FieldPath, raw: &RawTenants, rate: f64) -> R<TenantsSpec> {
    let count = u32::try_from(raw.count)
        .ok()
        .filter(|c| (1..=MAX_TENANTS).contains(c))
        .ok_or_else(|| {
            Problem::new(
                &field.key("count"),
                format!(
                    "must be 1 to {MAX_TENANTS} tenants (got {}); each tenant is a stream, and with key = \"per-tenant\" a key, per path",
                    raw.count
                ),
            )
        })?;
    let key = raw.key.map_or(TenantKey::PerTenant, |k| k.0);
    let weights = match &raw.weights {
        Some(w) => weights(&field.key("weights"), w, count, rate)?,
        None => Vec::new(),
    };
    Ok(TenantsSpec {
        count,
        key,
        weights,
    })
}

/// `weights` at `field`: one for each of `count` tenants, each 1..=MAX_WEIGHT, no tenant's
/// share of the load above the harness's rate limit.
fn weights(field: &FieldPath, raw: &[i64], count: u32, rate: f64) -> R<Vec<u32>> {
    if raw.len() != count as usize {
        let msg = format!(
            "must give one weight per tenant: {count} tenants, {} weights",
            raw.len()
        );
        return Err(Problem::new(field, msg));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, &w) in raw.iter().enumerate() {
        let ok = u32::try_from(w)
            .ok()
            .filter(|w| (1..=MAX_WEIGHT).contains(&i64::from(*w)));
        match ok {
            Some(w) => out.push(w),
            None => {
                let msg = format!(
                    "must be a whole number from 1 to {MAX_WEIGHT} (got {w}); weights are relative, so [2, 1] gives tenant 1 twice tenant 2's records"
                );
                return Err(Problem::new(&field.index(i), msg));
            }
        }
    }
    let spec = TenantsSpec {
        count,
        key: TenantKey::PerTenant,
        weights: out,
    };
    if let Some(i) = (1..=count).find(|&i| spec.rate_of(i, rate) > MAX_RATE) {
        let msg = format!(
            "tenant {i}'s share is {:.0} records/s, above the {MAX_RATE} a path may send: lower its weight or workload.rate_per_sec",
            spec.rate_of(i, rate)
        );
        return Err(Problem::new(&field.index(i as usize - 1), msg));
    }
    Ok(spec.weights)
}

/// Whether a path has a key the run creates, which its tenants may share or each have.
fn creates_key(spec: &PathSpec) -> bool {
    if spec.key.is_some() {
        return false;
    }
    match &spec.protection {
        Protection::Plaintext => false,
        Protection::Envelope(_) => true,
        Protection::SseKms(s) => s.key == SseKey::CustomerManaged,
        Protection::Firehose(f) => {
            f.key == FirehoseKeyChoice::CustomerManaged
                || f.destination_sse == DestinationSse::CustomerManaged
        }
    }
}

/// Each path replaced by its `count` copies, tenant by tenant in the order written.
pub(super) fn expand(
    field: &FieldPath,
    raw: &[RawPath],
    paths: Vec<PathSpec>,
    spec: &TenantsSpec,
    rate: f64,
) -> R<Vec<PathSpec>> {
    let mut out = Vec::with_capacity(paths.len() * spec.count as usize);
    for (i, (p, r)) in paths.into_iter().zip(raw).enumerate() {
        let here = field.index(i);
        if p.name.len() > MAX_GROUP_NAME {
            let msg = format!(
                "must be at most {MAX_GROUP_NAME} characters with [tenants]: each tenant's copy is named \"{}\"",
                TenantOf::path_name(&p.name, spec.count)
            );
            return Err(Problem::new(&here.key("name"), msg));
        }
        if p.stream.is_some() {
            let msg = "not a setting with [tenants]: each tenant's copy of the path has a stream of its own, which the run creates";
            return Err(Problem::new(&here.key("stream"), msg));
        }
        if p.key.is_some() {
            let msg = "not a setting with [tenants]: the run creates each tenant's key (tenant_key = \"per-tenant\") or one key for all (\"shared\"); leave `key` out, or set it to \"customer-managed\" (sse-kms)";
            return Err(Problem::new(&here.key("key"), msg));
        }
        let key = match (&r.tenant_key, creates_key(&p)) {
            (Some(k), true) => Some(k.0),
            (Some(_), false) => {
                let msg = format!(
                    "path {:?} has no key the run creates, so there is none for its tenants to share or to have each: tenant_key applies to envelope paths, sse-kms paths with key = \"customer-managed\" and firehose paths under a customer-managed key",
                    p.name
                );
                return Err(Problem::new(&here.key("tenant_key"), msg));
            }
            (None, true) => Some(spec.key),
            (None, false) => None,
        };
        if let Protection::Envelope(e) = &p.protection {
            if e.encryption_context.contains_key(TENANT_CONTEXT_KEY) {
                let msg = format!(
                    "{TENANT_CONTEXT_KEY:?} is set by [tenants] (each tenant's copy binds its tenant number); use another key"
                );
                return Err(Problem::new(&here.key("encryption_context"), msg));
            }
        }
        for index in 1..=spec.count {
            let mut protection = p.protection.clone();
            if let Protection::Envelope(e) = &mut protection {
                e.encryption_context
                    .insert(TENANT_CONTEXT_KEY.to_owned(), index.to_string());
            }
            out.push(PathSpec {
                name: TenantOf::path_name(&p.name, index),
                protection,
                tenant: Some(TenantOf {
                    group: p.name.clone(),
                    index,
                    key,
                    rate_per_sec: spec.rate_of(index, rate),
                }),
                ..p.clone()
            });
        }
    }
    Ok(out)
}

/// `tenant_key` without `[tenants]`.
pub(super) fn reject_tenant_key(field: &FieldPath, raw: &[RawPath]) -> R<()> {
    match raw.iter().position(|p| p.tenant_key.is_some()) {
        Some(i) => Err(Problem::new(
            &field.index(i).key("tenant_key"),
            "only with a [tenants] table (count = N): it says whether the path's tenants each have a key (\"per-tenant\") or share one (\"shared\")",
        )),
        None => Ok(()),
    }
}

/// A fault's `tenants = [..]` at `field`: each in 1..=count, none twice.
pub(super) fn fault_tenants(
    field: &FieldPath,
    raw: &[i64],
    spec: Option<&TenantsSpec>,
) -> R<Vec<u32>> {
    let Some(spec) = spec else {
        let msg = "only with a [tenants] table (count = N): it names the tenants (1 to N) the fault applies to";
        return Err(Problem::new(field, msg));
    };
    if raw.is_empty() {
        let msg = "list at least one tenant (1 to the [tenants] count), or leave `tenants` out for every tenant";
        return Err(Problem::new(field, msg));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (j, &t) in raw.iter().enumerate() {
        let here = field.index(j);
        let Some(t) = u32::try_from(t)
            .ok()
            .filter(|t| (1..=spec.count).contains(t))
        else {
            let msg = format!("must be a tenant from 1 to {} (got {t})", spec.count);
            return Err(Problem::new(&here, msg));
        };
        if out.contains(&t) {
            return Err(Problem::new(&here, format!("tenant {t} is listed twice")));
        }
        out.push(t);
    }
    Ok(out)
}
