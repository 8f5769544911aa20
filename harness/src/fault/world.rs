//! What faults act on: the paths (each with its stream, key and transport rules), the embedded
//! service when that is the target, the admin role's clients for key changes, and the key
//! states every key fault shares.

use std::sync::Arc;

use super::error::FaultError;
use super::keys::KeyStates;
use crate::backend::{Principal, TransportFaults};
use crate::emulator::Service;
use crate::result::PathKind;
use crate::scenario::FaultSpec;

/// One path as faults see it.
#[derive(Debug, Clone)]
pub struct PathTarget {
    /// Path name.
    pub name: String,
    /// How the path protects records.
    pub kind: PathKind,
    /// How a `throttle` fault reaches the path's service (its driver's answer).
    pub throttling: crate::driver::Throttling,
    /// Its stream.
    pub stream: String,
    /// Its KMS key (ARN, or an alias for the AWS-managed key).
    pub key: Option<String>,
    /// Whether the run created that key (key faults act on no other).
    pub key_created: bool,
    /// Its clients' transport fault rules.
    pub transport: Arc<TransportFaults>,
}

/// Where a deny off the embedded service goes, per principal, decided before the run.
#[derive(Debug, Clone, Default)]
pub struct DenyRoles {
    /// Principal -> the IAM role an inline Deny policy goes on.
    pub roles: std::collections::BTreeMap<String, String>,
    /// Principal -> why its denies are answered at the transport instead.
    pub at_transport: std::collections::BTreeMap<String, String>,
    /// The run's tag, in the policies' names (`kcb-deny-<run>-<n>`).
    pub run_tag: String,
}

/// The world faults change.
pub struct World {
    /// The paths.
    pub targets: Vec<PathTarget>,
    /// The embedded service, when it is the target.
    pub service: Option<Service>,
    /// The admin role's clients (key state changes).
    pub admin: Principal,
    /// The resharder role's clients (reshard events).
    pub resharder: Principal,
    /// Off the embedded service: the IAM role each principal was found to act as, where the
    /// admin may put an inline policy on it (checked before the run); a deny there is an
    /// inline Deny policy. Principals absent are denied at the transport.
    pub deny_roles: DenyRoles,
    /// Key states held by key faults.
    pub keys: KeyStates,
    /// Seed of drawn delays.
    pub seed: u64,
    /// In a run split across machines, the worker that changes the shared world (keys, key
    /// policies, grants, shards, IAM denies), when it is not this one (`"worker 1 of 3"`): this
    /// worker then only notes those steps and applies what acts on its own clients (the
    /// transport's throttles, delays and denies). `None`: this process carries out every step.
    pub carried_out_by: Option<String>,
}

impl World {
    /// Whether fault `f`'s step changes the world every worker shares (so one worker alone
    /// carries it out), rather than this process's clients' transport.
    pub fn changes_shared_world(&self, f: &FaultSpec) -> bool {
        use crate::scenario::FaultKind as K;
        match &f.kind {
            K::KinesisThrottle { .. } | K::KmsThrottle { .. } | K::Latency { .. } => {
                self.service.is_some()
            }
            K::Deny { principal, .. } => {
                self.service.is_some() || self.deny_roles.roles.contains_key(principal)
            }
            K::DisableKey
            | K::ScheduleKeyDeletion { .. }
            | K::DeleteKey
            | K::RotateKey
            | K::RevokeGrant
            | K::KeyPolicy { .. }
            | K::Reshard { .. } => true,
        }
    }

    /// The paths fault `f` applies to, by index.
    pub fn targets_of(&self, f: &FaultSpec) -> Vec<usize> {
        (0..self.targets.len())
            .filter(|&i| f.applies_to(&self.targets[i].name))
            .collect()
    }

    /// The embedded service, or why `what` cannot be done without it.
    pub fn embedded(&self, what: &str) -> Result<&Service, FaultError> {
        self.service
            .as_ref()
            .ok_or_else(|| FaultError::Unsupported(format!("{what} only on the embedded service")))
    }

    /// The keys (ARNs) of these paths that the run created: the only keys a fault changes
    /// (the runner refuses, before any request, a key fault off the embedded service without
    /// `--allow-destructive`).
    pub fn keys_of(&self, targets: &[usize]) -> Result<Vec<String>, FaultError> {
        let mut keys: Vec<String> = Vec::new();
        let created = targets
            .iter()
            .filter(|&&t| self.targets[t].key_created)
            .filter_map(|&t| self.targets[t].key.as_ref());
        for k in created {
            if k.starts_with("arn:") && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        if keys.is_empty() {
            return Err(FaultError::NoKey);
        }
        Ok(keys)
    }
}
