//! What every driver shares: the names a run gives its resources, their tags, and the key a
//! path creates (tagged and aliased as its destination) or names (checked, never changed).

use super::cleanup::{matches, outcome, Found, Selector};
use crate::backend::{BackendError, KmsApi, Principal};
use crate::scenario::{PathSpec, Scenario};

pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Stream name for a path of a run.
pub fn stream_name(scenario: &str, path: &str, run_tag: &str) -> String {
    let mut name = format!("kcb-{}-{}-{}", slug(scenario), slug(path), run_tag);
    name.truncate(128);
    name
}

/// A key the scenario names: it must exist and be enabled; its ARN.
pub async fn existing_key(kms: &KmsApi, named: &str) -> Result<String, BackendError> {
    let info = kms.describe_key(named).await?;
    if info.state != "Enabled" {
        return Err(BackendError::new(
            "DescribeKey",
            "KeyNotUsable",
            format!("the scenario's key {named} is {}; the run uses existing keys as they are and never changes them: enable it, or leave `key` out and the run creates one", info.state),
        ));
    }
    Ok(info.arn)
}

/// The tag every stream the harness makes carries, whatever else it does.
pub const CREATED_BY: (&str, &str) = ("created-by", "kinesis-crypto-bench");

/// The tags of a stream the run makes: who made it, for which scenario and path, and the run
/// (the last part of the stream's name).
pub fn run_tags(
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
) -> std::collections::BTreeMap<String, String> {
    let run = stream.rsplit('-').next().unwrap_or_default();
    [
        (CREATED_BY.0, CREATED_BY.1),
        ("kcb-scenario", scenario.name.as_str()),
        ("kcb-path", spec.name.as_str()),
        ("kcb-run", run),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.chars().take(256).collect()))
    .collect()
}

/// Create a path's key, tagged as its stream is, with the alias `alias/<stream name>`; its
/// ARN and the alias (None where the endpoint refused it: the tags still find the key). Its key
/// policy is KMS's default (the account delegates to IAM) plus a statement naming the admin as
/// the key's administrator, so a key-policy fault that takes the delegation out leaves the
/// admin able to put it back (without the admin's identity, KMS's default alone).
pub async fn create_key(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(String, Option<String>), BackendError> {
    let kms = &admin.kms;
    let description = format!("kinesis-crypto-bench {} {}", scenario.name, spec.name);
    let policy = match admin.sts.caller_identity().await {
        Ok(id) => Some(crate::keypolicy::restrictive_policy(
            &id.account,
            &[id.policy_principal()],
            &[],
        )),
        Err(e) => {
            tracing::warn!(error = %e, "no admin identity; the key gets KMS's default key policy");
            None
        }
    };
    let info = match kms
        .create_key_tagged(&description, tags, policy.as_deref())
        .await
    {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "could not create a tagged key; creating it untagged");
            kms.create_key(&description).await?
        }
    };
    let alias = format!("alias/{stream}");
    match kms.create_alias(&alias, &info.id).await {
        Ok(()) => Ok((info.arn, Some(alias))),
        Err(e) => {
            tracing::warn!(alias, error = %e, "could not alias the key");
            Ok((info.arn, None))
        }
    }
}

/// The key of a path that is under a key of its own: the one it names (checked), else the
/// shared one of its tenants' first copy, else one created for it, tagged with `tags` and
/// aliased after `name`. The key, whether the harness created it, and its alias.
pub(crate) async fn own_key(
    admin: &Principal,
    cx: super::PathCx<'_>,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(Option<String>, bool, Option<String>), BackendError> {
    match (&cx.spec.key, cx.shared) {
        (Some(named), _) => Ok((Some(existing_key(&admin.kms, named).await?), false, None)),
        (None, Some(owner)) => Ok((owner.key.clone(), true, owner.key_alias.clone())),
        (None, None) => {
            let (arn, alias) = create_key(admin, cx.scenario, cx.spec, name, tags).await?;
            Ok((Some(arn), true, alias))
        }
    }
}

/// The keys earlier runs left: scheduled for deletion (7 days, the shortest), their aliases
/// deleted.
pub(crate) async fn leftovers(
    admin: &Principal,
    sel: &Selector,
    dry_run: bool,
    found: &mut Vec<Found>,
) -> Result<(), BackendError> {
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
    Ok(())
}
