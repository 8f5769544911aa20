//! What undoes exactly one fault: the parts it applied, each removable on its own. Removing a
//! part removes only what that part added (a transport rule, a policy statement, a held quota
//! or limit or delay, a key hold), never what another fault holds, so overlapping faults
//! compose and the world is as before once every fault has ended.

use super::error::FaultError;
use super::keys::KeyHoldId;
use super::world::World;
use crate::backend::faults::RuleId;
use crate::emulator::iam::StatementId;
use crate::emulator::Hold;

/// One change a fault made.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A rule in a path's transport.
    Rule {
        /// The path, by index.
        target: usize,
        /// The rule.
        id: RuleId,
    },
    /// A statement attached to a principal's policy on the embedded service.
    Statement {
        /// The principal.
        principal: String,
        /// The statement.
        id: StatementId,
    },
    /// A quota, limit or delay held on the embedded service.
    Service(Hold),
    /// An inline Deny policy put on an IAM role (a deny off the embedded service).
    RolePolicy {
        /// The role's name.
        role: String,
        /// The policy's name.
        name: String,
    },
    /// A key held disabled or pending deletion.
    Key {
        /// The key ARN.
        key: String,
        /// The hold.
        id: KeyHoldId,
        /// Lifted by the fault's cancel step (a scheduled deletion's `cancel_after`).
        on_cancel: bool,
    },
    /// A key policy changed: the Deny statement it added (by Sid) or the statement it removed.
    KeyPolicy {
        /// The key ARN.
        key: String,
        /// The Sid of the Deny it added.
        added: Option<String>,
        /// The statement it removed, to put back.
        removed: Option<serde_json::Value>,
    },
    /// Firehose's grant on a key revoked: encryption started again with the key.
    Regrant {
        /// The delivery stream.
        delivery_stream: String,
        /// The key.
        key: String,
    },
}

impl Part {
    async fn undo(self, world: &World) -> Result<String, FaultError> {
        match self {
            Part::Rule { target, id } => {
                world.targets[target].transport.remove(id);
                Ok(format!("rule removed from {}", world.targets[target].name))
            }
            Part::Statement { principal, id } => {
                world
                    .embedded("policies change")?
                    .control()
                    .detach(&principal, id)?;
                Ok(format!("Deny detached from {principal}"))
            }
            Part::Service(hold) => {
                let control = world.embedded("holds are lifted")?.control();
                if !control.restore(&hold) {
                    return Err(FaultError::Service(format!("{hold:?} was not held")));
                }
                Ok(match hold {
                    Hold::KmsQuota(_) => format!("KMS quota {}/s in force", control.kms_quota()),
                    Hold::ShardLimits { stream, .. } => format!("{stream} shard limits restored"),
                    Hold::KmsDelay(_) => "KMS delay removed".to_owned(),
                })
            }
            Part::RolePolicy { role, name } => {
                world.admin.iam.delete_role_policy(&role, &name).await?;
                Ok(format!("inline policy {name} removed from role {role}"))
            }
            Part::Key { key, id, .. } => world.keys.release(&world.admin.kms, &key, id).await,
            Part::KeyPolicy {
                key,
                added,
                removed,
            } => super::kinds::key_policy::restore(world, &key, added.as_deref(), removed).await,
            Part::Regrant {
                delivery_stream,
                key,
            } => super::kinds::revoke_grant::regrant(world, &delivery_stream, &key).await,
        }
    }
}

/// Everything one fault applied, to undo it.
#[derive(Debug, Default)]
pub struct Undo {
    parts: Vec<Part>,
}

impl Undo {
    /// Note a change as applied.
    pub fn push(&mut self, part: Part) {
        self.parts.push(part);
    }

    /// The parts still applied.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The cancel step: undo the parts it lifts (newest first); the others stay.
    pub async fn cancel(&mut self, world: &World) -> Result<String, FaultError> {
        let (cancelled, kept): (Vec<Part>, Vec<Part>) =
            std::mem::take(&mut self.parts).into_iter().partition(|p| {
                matches!(
                    p,
                    Part::Key {
                        on_cancel: true,
                        ..
                    }
                )
            });
        self.parts = kept;
        undo_all(cancelled, world).await
    }

    /// Undo every part, newest first; a part that fails does not stop the others (the first
    /// failure is returned, the others' notes with it).
    pub async fn end(self, world: &World) -> Result<String, FaultError> {
        if self.parts.is_empty() {
            return Ok("nothing to lift".to_owned());
        }
        undo_all(self.parts, world).await
    }
}

async fn undo_all(parts: Vec<Part>, world: &World) -> Result<String, FaultError> {
    let mut notes = Vec::new();
    let mut failed = None;
    for part in parts.into_iter().rev() {
        match part.undo(world).await {
            Ok(n) => notes.push(n),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        None => Ok(notes.join("; ")),
        Some(e) if notes.is_empty() => Err(e),
        Some(e) => Err(FaultError::Partly {
            done: notes.join("; "),
            failed: Box::new(e),
        }),
    }
}
