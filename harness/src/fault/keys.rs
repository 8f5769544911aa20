//! Key states held by key faults, composed: a key is pending deletion while any deletion fault
//! holds it so, else disabled while any disable fault holds it, else as it was before the first
//! key fault touched it. Each hold's release moves the key, through KMS's own calls
//! (DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion), to what the holds still in
//! force say: so a disable that ends while a deletion is pending leaves the key pending, and the
//! deletion's cancel then leaves it disabled if the disable still holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

use super::error::FaultError;
use crate::backend::{BackendError, ErrorClass, KmsApi};

/// Attempts of one key change KMS throttles (its control operations have quotas of their own).
const ATTEMPTS: u32 = 6;

/// Run a KMS call, retrying what is worth retrying (throttling) with backoff from 100 ms.
async fn retried<T, F, Fut>(call: F) -> Result<T, BackendError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, BackendError>>,
{
    let mut wait = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if e.class() == ErrorClass::Retryable && attempt < ATTEMPTS => {
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// What a key fault holds a key in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHold {
    /// Disabled (DisableKey).
    Disabled,
    /// Pending deletion (ScheduleKeyDeletion with this waiting period, days).
    PendingDeletion {
        /// Waiting period, days (7..=30).
        days: u32,
    },
}

/// One hold on one key, to release it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyHoldId(u64);

/// A key's state as the coordinator knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Enabled,
    Disabled,
    /// Scheduled for deletion by this hold's waiting period.
    Pending(KeyHoldId),
    Deleted,
}

#[derive(Debug)]
struct Holds {
    /// The state before the first key fault (Enabled or Disabled).
    baseline: State,
    current: State,
    disabled: BTreeSet<KeyHoldId>,
    pending: BTreeMap<KeyHoldId, u32>,
}

impl Holds {
    fn desired(&self) -> State {
        if self.current == State::Deleted {
            return State::Deleted;
        }
        if let Some((&first, _)) = self.pending.iter().next() {
            return match self.current {
                State::Pending(by) if self.pending.contains_key(&by) => State::Pending(by),
                _ => State::Pending(first),
            };
        }
        if !self.disabled.is_empty() {
            return State::Disabled;
        }
        self.baseline
    }
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    keys: HashMap<String, Holds>,
}

/// The key states every key fault of a run shares.
#[derive(Debug, Default)]
pub struct KeyStates {
    inner: tokio::sync::Mutex<Inner>,
}

impl KeyStates {
    /// Hold `key` in `hold`, moving it there if no other hold already does; the id releases it.
    /// On failure nothing is held.
    pub async fn hold(
        &self,
        kms: &KmsApi,
        key: &str,
        hold: KeyHold,
    ) -> Result<(KeyHoldId, String), FaultError> {
        let mut inner = self.inner.lock().await;
        if !inner.keys.contains_key(key) {
            let info = retried(|| kms.describe_key(key_id(key))).await?;
            let baseline = match info.state.as_str() {
                "Enabled" => State::Enabled,
                "Disabled" => State::Disabled,
                other => {
                    return Err(FaultError::Unsupported(format!(
                        "key {key} is {other}; key faults start from an Enabled or Disabled key"
                    )))
                }
            };
            inner.keys.insert(
                key.to_owned(),
                Holds {
                    baseline,
                    current: baseline,
                    disabled: BTreeSet::new(),
                    pending: BTreeMap::new(),
                },
            );
        }
        inner.next += 1;
        let id = KeyHoldId(inner.next);
        let Some(h) = inner.keys.get_mut(key) else {
            return Err(FaultError::Service(format!("key {key} vanished")));
        };
        match hold {
            KeyHold::Disabled => h.disabled.insert(id),
            KeyHold::PendingDeletion { days } => h.pending.insert(id, days).is_none(),
        };
        match settle(kms, key, h).await {
            Ok(note) => Ok((id, note)),
            Err(e) => {
                h.disabled.remove(&id);
                h.pending.remove(&id);
                // Put the key back where the remaining holds say, as far as KMS lets us.
                let _ = settle(kms, key, h).await;
                Err(e)
            }
        }
    }

    /// Release a hold: the key moves to what the holds still in force say.
    pub async fn release(
        &self,
        kms: &KmsApi,
        key: &str,
        id: KeyHoldId,
    ) -> Result<String, FaultError> {
        let mut inner = self.inner.lock().await;
        let Some(h) = inner.keys.get_mut(key) else {
            return Ok(format!("{key}: nothing held"));
        };
        h.disabled.remove(&id);
        h.pending.remove(&id);
        settle(kms, key, h).await
    }

    /// Whether `key` was deleted by a fault of this run.
    pub async fn is_deleted(&self, key: &str) -> bool {
        let inner = self.inner.lock().await;
        inner
            .keys
            .get(key)
            .is_some_and(|h| h.current == State::Deleted)
    }

    /// `key` was deleted: no hold or release changes it any more.
    pub async fn deleted(&self, key: &str) {
        let mut inner = self.inner.lock().await;
        let h = inner.keys.entry(key.to_owned()).or_insert(Holds {
            baseline: State::Deleted,
            current: State::Deleted,
            disabled: BTreeSet::new(),
            pending: BTreeMap::new(),
        });
        h.current = State::Deleted;
    }
}

/// The key id of a key ARN (`...:key/<id>`), as the state calls name it: KMS takes either for a
/// key of the caller's account (every key a fault changes is the run's own), and moto only the id.
fn key_id(key: &str) -> &str {
    key.rsplit_once(":key/").map_or(key, |(_, id)| id)
}

/// Move `key` from its current state to the one its holds say, noting each KMS call made.
async fn settle(kms: &KmsApi, key: &str, h: &mut Holds) -> Result<String, FaultError> {
    let key = key_id(key);
    let want = h.desired();
    let mut notes: Vec<String> = Vec::new();
    while h.current != want {
        let next = match (h.current, want) {
            (State::Deleted, _) | (_, State::Deleted) => break,
            (State::Pending(_), _) => {
                retried(|| kms.cancel_key_deletion(key)).await?;
                notes.push("CancelKeyDeletion".into());
                State::Disabled
            }
            (State::Enabled | State::Disabled, State::Pending(by)) => {
                let days = h.pending.get(&by).copied().unwrap_or(30);
                retried(|| kms.schedule_key_deletion(key, days as i32)).await?;
                notes.push(format!("ScheduleKeyDeletion ({days} days)"));
                State::Pending(by)
            }
            (State::Enabled, State::Disabled) => {
                retried(|| kms.disable_key(key)).await?;
                notes.push("DisableKey".into());
                State::Disabled
            }
            (State::Disabled, State::Enabled) => {
                retried(|| kms.enable_key(key)).await?;
                notes.push("EnableKey".into());
                State::Enabled
            }
            (State::Enabled, State::Enabled) | (State::Disabled, State::Disabled) => break,
        };
        h.current = next;
    }
    Ok(if notes.is_empty() {
        format!("{key}: already as held, no call")
    } else {
        format!("{} {key}", notes.join(" + "))
    })
}
