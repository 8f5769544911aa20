//! `audit --apply`: the findings' remediation carried out through the SDK clients (a new
//! customer-managed key with the restrictive policy and rotation, the stream switched to it; a
//! key re-enabled or its deletion cancelled; its policy replaced; rotation turned on), then a
//! record written to and read back from every stream it changed: the pipeline tested after the
//! change. Only where the caller says it may: everything on the embedded service, or with
//! `--allow-destructive` only streams and keys tagged `created-by=kinesis-crypto-bench`.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use super::classify::{Finding, Principals};
use super::StreamAudit;
use crate::backend::kinesis::Start;
use crate::backend::{BackendError, FirehoseKey, Principal};
use crate::driver::kinesis::wait_for;
use crate::driver::CREATED_BY;

/// What `--apply` may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything (the embedded service, built for this audit).
    Everything,
    /// Only resources tagged as the harness's.
    HarnessCreated,
}

/// One remediation carried out, refused or failed.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The stream.
    pub stream: String,
    /// The finding's rule.
    pub rule: &'static str,
    /// `applied`, `skipped` or `failed`.
    pub outcome: &'static str,
    /// What was done, or why not.
    pub detail: String,
}

/// A record written and read back after the change.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    /// The stream.
    pub stream: String,
    /// The record went through.
    pub ok: bool,
    /// How (or why not).
    pub detail: String,
}

/// The clients `apply` uses: the admin changes, the producer and consumer test the flow.
pub struct Clients<'a> {
    /// Changes keys and streams.
    pub admin: &'a Principal,
    /// Writes the test record.
    pub producer: &'a Principal,
    /// Reads it back.
    pub consumer: &'a Principal,
}

fn key_allowed(s: &StreamAudit, scope: Scope) -> bool {
    scope == Scope::Everything || s.key.as_ref().is_some_and(|k| k.harness_created)
}

/// Carry out `findings` on `streams`; then test the flow through every stream changed.
pub async fn apply(
    c: &Clients<'_>,
    streams: &[StreamAudit],
    findings: &[Finding],
    who: &Principals,
    scope: Scope,
) -> (Vec<Action>, Vec<Flow>) {
    let mut actions = Vec::new();
    let mut changed: BTreeSet<(String, &'static str)> = BTreeSet::new();
    let mut keys_done: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for f in findings {
        let Some(s) = streams
            .iter()
            .find(|s| s.name == f.stream && s.service == f.service)
        else {
            continue;
        };
        let mut act = |outcome, detail: String| {
            actions.push(Action {
                stream: f.stream.clone(),
                rule: f.rule,
                outcome,
                detail,
            })
        };
        if scope == Scope::HarnessCreated && !s.harness_created {
            act("skipped", format!("not tagged {}={}: --apply changes only the harness's resources off the embedded service", CREATED_BY.0, CREATED_BY.1));
            continue;
        }
        let key_rule = matches!(
            f.rule,
            "key-pending-deletion" | "key-disabled" | "key-policy-permissive" | "rotation-off"
        );
        if key_rule && !key_allowed(s, scope) {
            act(
                "skipped",
                "its key is not tagged as the harness's".to_owned(),
            );
            continue;
        }
        let key = s.key.as_ref().map(|k| k.arn.clone()).unwrap_or_default();
        if key_rule && !keys_done.insert((key.clone(), f.rule)) {
            act("applied", format!("{key}: done for another stream"));
            continue;
        }
        let kms = &c.admin.kms;
        let done: Result<String, BackendError> = match f.rule {
            "encryption-off" | "aws-owned-key" | "aws-managed-key" => {
                let r = switch_to_new_key(c.admin, s, who).await;
                if r.is_ok() {
                    changed.insert((s.name.clone(), s.service));
                }
                r
            }
            "key-pending-deletion" => {
                async {
                    kms.cancel_key_deletion(&key).await?;
                    kms.enable_key(&key).await?;
                    Ok(format!("{key}: deletion cancelled, key enabled"))
                }
                .await
            }
            "key-disabled" => kms
                .enable_key(&key)
                .await
                .map(|_| format!("{key}: enabled")),
            "key-policy-permissive" => kms
                .put_key_policy(&key, &who.policy())
                .await
                .map(|_| format!("{key}: key policy replaced by the restrictive one")),
            "rotation-off" => kms
                .enable_key_rotation(&key, 365)
                .await
                .map(|_| format!("{key}: rotation on, every 365 days")),
            other => {
                act(
                    "skipped",
                    format!("{other}: --apply does not carry this one out; run the commands shown"),
                );
                continue;
            }
        };
        if key_rule && done.is_ok() {
            for t in streams
                .iter()
                .filter(|t| t.key.as_ref().is_some_and(|k| k.arn == key))
            {
                changed.insert((t.name.clone(), t.service));
            }
        }
        match done {
            Ok(d) => act("applied", d),
            Err(e) => act("failed", e.to_string()),
        }
    }
    let mut flows = Vec::new();
    for (name, service) in changed {
        let inherited = streams
            .iter()
            .any(|s| s.name == name && s.inherited_from.is_some());
        if inherited {
            continue;
        }
        let r = if service == "kinesis" {
            kinesis_flow(c, &name).await
        } else {
            c.producer
                .firehose
                .put_record(&name, b"kcb audit: after the change".to_vec())
                .await
                .and_then(|(id, encrypted)| {
                    if encrypted {
                        Ok(format!("PutRecord accepted ({id}), encrypted at rest"))
                    } else {
                        Err(BackendError::new(
                            "PutRecord",
                            "NotEncrypted",
                            "the record was accepted but not encrypted at rest",
                        ))
                    }
                })
        };
        flows.push(match r {
            Ok(detail) => Flow {
                stream: name,
                ok: true,
                detail,
            },
            Err(e) => Flow {
                stream: name,
                ok: false,
                detail: e.to_string(),
            },
        });
    }
    (actions, flows)
}

async fn switch_to_new_key(
    admin: &Principal,
    s: &StreamAudit,
    who: &Principals,
) -> Result<String, BackendError> {
    let tags = [
        (CREATED_BY.0.to_owned(), CREATED_BY.1.to_owned()),
        ("kcb-audit-stream".to_owned(), s.name.clone()),
    ]
    .into_iter()
    .collect();
    let k = admin
        .kms
        .create_key_tagged(
            &format!("{} {}", s.service, s.name),
            &tags,
            Some(&who.policy()),
        )
        .await?;
    admin.kms.enable_key_rotation(&k.arn, 365).await?;
    if s.service == "kinesis" {
        admin.kinesis.start_encryption(&s.name, &k.arn).await?;
        let arn = k.arn.clone();
        wait_for(admin, &s.name, |i| {
            i.encryption == "KMS" && i.key_id.as_deref() == Some(arn.as_str())
        })
        .await?;
    } else {
        admin
            .firehose
            .start_encryption(&s.name, &FirehoseKey::CustomerManaged(k.arn.clone()))
            .await?;
        let mut last = String::new();
        for _ in 0..600 {
            let d = admin.firehose.describe(&s.name).await?;
            if d.encryption == "ENABLED" && d.key_arn.as_deref() == Some(k.arn.as_str()) {
                last.clear();
                break;
            }
            last = d.encryption;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !last.is_empty() {
            return Err(BackendError::new(
                "DescribeDeliveryStream",
                "Timeout",
                format!("{}: encryption stayed {last}", s.name),
            ));
        }
    }
    Ok(format!(
        "new key {} (restrictive policy, rotation every 365 days); the stream now uses it",
        k.arn
    ))
}

async fn kinesis_flow(c: &Clients<'_>, name: &str) -> Result<String, BackendError> {
    let data = format!("kcb audit: after the change of {name}").into_bytes();
    let ack = c
        .producer
        .kinesis
        .put_record(name, "kcb-audit", data.clone())
        .await?;
    let it = c
        .consumer
        .kinesis
        .shard_iterator(name, &ack.shard_id, &Start::At(ack.sequence.clone()))
        .await?;
    let page = c.consumer.kinesis.get_records(&it, 1).await?;
    match page.records.first() {
        Some(r) if r.data == data && r.encrypted => Ok(format!(
            "PutRecord {} read back, encrypted at rest",
            ack.sequence
        )),
        Some(r) if r.data == data => Err(BackendError::new(
            "GetRecords",
            "NotEncrypted",
            "read back, but not encrypted at rest",
        )),
        Some(_) => Err(BackendError::new(
            "GetRecords",
            "Mismatch",
            "read back a different record",
        )),
        None => Err(BackendError::new(
            "GetRecords",
            "Empty",
            "the record written was not read back",
        )),
    }
}
