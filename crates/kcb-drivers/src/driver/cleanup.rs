//! What earlier runs left behind, found by the tags every run puts on what it makes
//! (`created-by=kinesis-crypto-bench`, `kcb-run=<run id>`), and removed: streams deleted, keys
//! scheduled for deletion with the shortest waiting period (7 days) and their aliases deleted;
//! a Firehose path's delivery stream deleted, with what it delivered (the bucket itself when the
//! run made it: named as the delivery stream; else only the objects under the run's prefix).
//! Nothing without the `created-by` tag is ever touched, whatever its name.
//!
//! Each service's driver finds its own ([`Leftovers`], listed by [`super::every_service`]); the
//! keys, which every driver creates alike, come last, once nothing is left under them.

use async_trait::async_trait;

use super::CREATED_BY;
use crate::backend::{BackendError, Principal};

/// Which leftovers.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Those of one run (its `kcb-run` tag, the last part of its resources' names).
    RunId(String),
    /// Those whose stream name, or key alias (without `alias/`), starts with this.
    Prefix(String),
}

/// One thing found, and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// "stream", "delivery stream", "objects", "bucket", "key" or "alias".
    pub kind: &'static str,
    /// Its name, ARN or alias.
    pub name: String,
    /// What was done: "deleted", "scheduled for deletion in 7 days", "would be removed" (dry
    /// run), "skipped: ...", or the error.
    pub outcome: String,
}

pub(crate) fn matches(
    sel: &Selector,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> bool {
    if tags.get(CREATED_BY.0).map(String::as_str) != Some(CREATED_BY.1) {
        return false;
    }
    match sel {
        Selector::RunId(id) => tags.get("kcb-run") == Some(id),
        Selector::Prefix(p) => name.starts_with(p.as_str()),
    }
}

pub(crate) fn outcome(dry_run: bool, done: &str, r: Result<(), BackendError>) -> String {
    match (dry_run, r) {
        (true, _) => "would be removed (dry run)".into(),
        (false, Ok(())) => done.into(),
        (false, Err(e)) => format!("failed: {e}"),
    }
}

/// The part of a service's driver that belongs to no one path: what earlier runs left of that
/// service's resources.
#[async_trait]
pub trait Leftovers: Send + Sync {
    /// Find, and unless `dry_run` remove, what `sel` names of this service's resources,
    /// appending each to `found`. An endpoint without the service has none.
    async fn leftovers(
        &self,
        admin: &Principal,
        sel: &Selector,
        dry_run: bool,
        found: &mut Vec<Found>,
    ) -> Result<(), BackendError>;
}

/// Find (and unless `dry_run`, remove) the leftovers `sel` names, as `admin`: every service's,
/// then the keys.
pub async fn cleanup(
    admin: &Principal,
    sel: &Selector,
    dry_run: bool,
) -> Result<Vec<Found>, BackendError> {
    let mut found = Vec::new();
    for service in super::every_service() {
        service.leftovers(admin, sel, dry_run, &mut found).await?;
    }
    super::keys::leftovers(admin, sel, dry_run, &mut found).await?;
    Ok(found)
}
