//! `key-policy`: the key policy of each path's key changed as an operator would misconfigure it
//! (GetKeyPolicy, then PutKeyPolicy as the admin): a Deny statement added for a principal's KMS
//! actions, or a statement taken out (the root statement's removal stops the key delegating to
//! IAM, so every principal the policy does not name loses the key). KMS evaluates the key policy
//! with the caller's IAM policies, so this reaches SSE's calls on the caller's behalf too. The
//! end reads the policy again and takes out exactly its own Deny (by its Sid) or puts the removed
//! statement back, so overlapping key-policy faults compose.

use serde_json::{json, Value};

use super::{FaultError, Part, Undo, World};
use crate::keypolicy::with_statement;
use crate::scenario::KeyPolicyChange;

static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The account of a key ARN (`arn:aws:kms:<region>:<account>:key/<id>`).
fn account_of(key: &str) -> Result<&str, FaultError> {
    key.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| FaultError::Service(format!("{key} is not a key ARN")))
}

/// The ARN a key policy names `principal` by: its user on the embedded service, else the IAM
/// role the harness acts as for it.
fn principal_arn(world: &World, account: &str, principal: &str) -> Result<String, FaultError> {
    if world.service.is_some() {
        return Ok(format!("arn:aws:iam::{account}:user/{principal}"));
    }
    world
        .deny_roles
        .roles
        .get(principal)
        .map(|role| format!("arn:aws:iam::{account}:role/{role}"))
        .ok_or_else(|| {
            FaultError::Unsupported(format!(
                "a key-policy Deny for {principal} needs the IAM role it acts as (a role ARN in [target]); none is known"
            ))
        })
}

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    change: &KeyPolicyChange,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let mut notes = Vec::new();
    for key in world.keys_of(targets)? {
        let kms = &world.admin.kms;
        let text = kms
            .key_policy(&key)
            .await
            .map_err(|e| FaultError::Service(e.to_string()))?;
        let (new, part, note) = match change {
            KeyPolicyChange::Deny { principal, actions } => {
                let n = STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let sid = format!("kcb-fault-{}-{n}", std::process::id());
                let arn = principal_arn(world, account_of(&key)?, principal)?;
                let statement = json!({
                    "Sid": sid, "Effect": "Deny", "Principal": {"AWS": arn},
                    "Action": actions, "Resource": "*",
                });
                let (new, _) = with_statement(&text, Some(statement), None)
                    .map_err(|e| FaultError::Service(format!("{key}: {e}")))?;
                let note = format!("{key}: key policy Deny {actions:?} to {arn} (Sid {sid})");
                (
                    new,
                    Part::KeyPolicy {
                        key: key.clone(),
                        added: Some(sid),
                        removed: None,
                    },
                    note,
                )
            }
            KeyPolicyChange::Remove { sid } => {
                let (new, removed) = with_statement(&text, None, Some(sid))
                    .map_err(|e| FaultError::Service(format!("{key}: {e}")))?;
                let note = format!("{key}: key policy statement {sid:?} removed");
                (
                    new,
                    Part::KeyPolicy {
                        key: key.clone(),
                        added: None,
                        removed,
                    },
                    note,
                )
            }
        };
        kms.put_key_policy(&key, &new)
            .await
            .map_err(|e| FaultError::Service(format!("PutKeyPolicy on {key}: {e}")))?;
        undo.push(part);
        notes.push(note);
    }
    Ok(notes.join("; "))
}

/// The end: the fault's own Deny taken out, or the removed statement put back.
pub(crate) async fn restore(
    world: &World,
    key: &str,
    added: Option<&str>,
    removed: Option<Value>,
) -> Result<String, FaultError> {
    let kms = &world.admin.kms;
    let text = kms
        .key_policy(key)
        .await
        .map_err(|e| FaultError::Service(e.to_string()))?;
    let note = match (&added, &removed) {
        (Some(sid), _) => format!("{key}: key policy Deny {sid} taken out"),
        (None, Some(s)) => format!(
            "{key}: key policy statement {} put back",
            s.get("Sid").unwrap_or(&Value::Null)
        ),
        (None, None) => return Ok(format!("{key}: nothing to restore")),
    };
    let (new, _) = with_statement(&text, removed, added)
        .map_err(|e| FaultError::Service(format!("{key}: {e}")))?;
    kms.put_key_policy(key, &new)
        .await
        .map_err(|e| FaultError::Service(format!("PutKeyPolicy on {key}: {e}")))?;
    Ok(note)
}
