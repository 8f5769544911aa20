//! What earlier runs left behind, found by the tags every run puts on what it makes
//! (`created-by=kinesis-crypto-bench`, `kcb-run=<run id>`), and removed: streams deleted, keys
//! scheduled for deletion with the shortest waiting period (7 days) and their aliases deleted;
//! a Firehose path's delivery stream deleted, with what it delivered (the bucket itself when the
//! run made it: named as the delivery stream; else only the objects under the run's prefix).
//! Nothing without the `created-by` tag is ever touched, whatever its name.

use crate::backend::{BackendError, Principal};

use crate::driver::CREATED_BY;

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

fn matches(sel: &Selector, name: &str, tags: &std::collections::BTreeMap<String, String>) -> bool {
    if tags.get(CREATED_BY.0).map(String::as_str) != Some(CREATED_BY.1) {
        return false;
    }
    match sel {
        Selector::RunId(id) => tags.get("kcb-run") == Some(id),
        Selector::Prefix(p) => name.starts_with(p.as_str()),
    }
}

fn outcome(dry_run: bool, done: &str, r: Result<(), BackendError>) -> String {
    match (dry_run, r) {
        (true, _) => "would be removed (dry run)".into(),
        (false, Ok(())) => done.into(),
        (false, Err(e)) => format!("failed: {e}"),
    }
}

/// Find (and unless `dry_run`, remove) the leftovers `sel` names, as `admin`.
pub async fn cleanup(
    admin: &Principal,
    sel: &Selector,
    dry_run: bool,
) -> Result<Vec<Found>, BackendError> {
    let mut found = Vec::new();
    for stream in admin.kinesis.list_streams().await? {
        if let Selector::Prefix(p) = sel {
            if !stream.starts_with(p.as_str()) {
                continue;
            }
        }
        let tags = match admin.kinesis.list_tags(&stream).await {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(stream, error = %e, "cannot read the stream's tags; leaving it");
                continue;
            }
        };
        if !matches(sel, &stream, &tags) {
            if matches!(sel, Selector::Prefix(_)) {
                found.push(Found {
                    kind: "stream",
                    name: stream,
                    outcome: format!("skipped: not tagged {}={}", CREATED_BY.0, CREATED_BY.1),
                });
            }
            continue;
        }
        let r = if dry_run {
            Ok(())
        } else {
            admin.kinesis.delete_stream(&stream).await
        };
        found.push(Found {
            kind: "stream",
            name: stream,
            outcome: outcome(dry_run, "deleted", r),
        });
    }
    firehose_leftovers(admin, sel, dry_run, &mut found).await;
    let aliases = admin.kms.list_aliases().await?;
    for id in admin.kms.list_keys().await? {
        let Ok(tags) = admin.kms.key_tags(&id).await else {
            continue; // AWS-managed and others' keys may not be readable
        };
        let mine: Vec<&String> = aliases
            .iter()
            .filter(|(_, target)| *target == id)
            .map(|(a, _)| a)
            .collect();
        let name = mine
            .iter()
            .find_map(|a| a.strip_prefix("alias/"))
            .unwrap_or(&id)
            .to_owned();
        if !matches(sel, &name, &tags) {
            continue;
        }
        let info = admin.kms.describe_key(&id).await?;
        if info.state == "PendingDeletion" {
            found.push(Found {
                kind: "key",
                name: info.arn,
                outcome: "already pending deletion".into(),
            });
        } else {
            let r = if dry_run {
                Ok(())
            } else {
                admin.kms.schedule_key_deletion(&id, 7).await
            };
            found.push(Found {
                kind: "key",
                name: info.arn,
                outcome: outcome(dry_run, "scheduled for deletion in 7 days", r),
            });
        }
        for alias in mine {
            let r = if dry_run {
                Ok(())
            } else {
                admin.kms.delete_alias(alias).await
            };
            found.push(Found {
                kind: "alias",
                name: alias.clone(),
                outcome: outcome(dry_run, "deleted", r),
            });
        }
    }
    Ok(found)
}

/// The delivery streams earlier runs left (an endpoint without Firehose has none), and what
/// they delivered.
async fn firehose_leftovers(
    admin: &Principal,
    sel: &Selector,
    dry_run: bool,
    found: &mut Vec<Found>,
) {
    let names = match admin.firehose.list().await {
        Ok(names) => names,
        Err(e) => {
            tracing::info!(error = %e, "cannot list delivery streams; none removed");
            return;
        }
    };
    for name in names {
        let Ok(tags) = admin.firehose.tags(&name).await else {
            continue;
        };
        let tags: std::collections::BTreeMap<String, String> = tags.into_iter().collect();
        if !matches(sel, &name, &tags) {
            continue;
        }
        let destination = admin
            .firehose
            .describe(&name)
            .await
            .ok()
            .and_then(|d| d.destination);
        let r = if dry_run {
            Ok(())
        } else {
            admin.firehose.delete(&name).await
        };
        found.push(Found {
            kind: "delivery stream",
            name: name.clone(),
            outcome: outcome(dry_run, "deleted", r),
        });
        let Some((bucket_arn, prefix, _)) = destination else {
            continue;
        };
        let bucket = bucket_arn.trim_start_matches("arn:aws:s3:::").to_string();
        if bucket == name.to_ascii_lowercase() {
            let r = if dry_run {
                Ok(())
            } else {
                admin.s3.empty_and_delete_bucket(&bucket).await.map(|_| ())
            };
            found.push(Found {
                kind: "bucket",
                name: bucket,
                outcome: outcome(dry_run, "emptied and deleted", r),
            });
        } else if !prefix.is_empty() {
            let r = if dry_run {
                Ok(())
            } else {
                admin
                    .s3
                    .delete_objects_under(&bucket, &prefix)
                    .await
                    .map(|_| ())
            };
            found.push(Found {
                kind: "objects",
                name: format!("s3://{bucket}/{prefix}"),
                outcome: outcome(dry_run, "deleted", r),
            });
        }
    }
}
