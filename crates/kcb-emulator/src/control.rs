//! The harness's handle on the service's world (not an AWS API): policies, quotas, shard limits,
//! added latency, key deletion, and a snapshot of all of it. Faults change the world only
//! through holds they later remove ([`Control::attach`] / [`Control::detach`],
//! [`Control::lower_kms_quota`] / [`Control::restore`], ...), so overlapping faults compose and
//! the world is exactly as before once every hold is gone ([`Control::snapshot`] shows it).

use std::collections::BTreeMap;
use std::time::Duration;

use super::iam::{IamError, Statement, StatementId};
use super::kinesis::ShardLimits;
use super::kms::{KeyState, KmsCallEvent};
use super::overrides::OverrideId;
use super::service::{Inner, KmsDelay};
use super::wire::ApiError;

/// The harness's handle on the service's world.
pub struct Control<'a> {
    inner: &'a Inner,
}

/// What a hold held, to remove it with [`Control::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// A lowered KMS request quota.
    KmsQuota(OverrideId),
    /// Lowered shard limits on a stream.
    ShardLimits {
        /// The stream.
        stream: String,
        /// The hold.
        id: OverrideId,
    },
    /// Latency added to KMS operations.
    KmsDelay(OverrideId),
}

/// Everything a fault can change, as it stands: two snapshots are equal when the world is the
/// same.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSnapshot {
    /// The KMS request quota in force, requests/s.
    pub kms_quota_per_sec: f64,
    /// Every stream's shards' limits in force.
    pub shard_limits: BTreeMap<String, Vec<ShardLimits>>,
    /// Every principal's statements (attached ones included).
    pub policies: BTreeMap<String, Vec<Statement>>,
    /// Latencies added to KMS operations.
    pub kms_delays: usize,
    /// Every key's state and, when pending deletion, when it is deleted (key id in order).
    pub keys: BTreeMap<String, (KeyState, Option<Duration>)>,
    /// Every key's policy document, parsed (so layout does not count, only content).
    pub key_policies: BTreeMap<String, serde_json::Value>,
}

impl<'a> Control<'a> {
    pub(super) fn new(inner: &'a Inner) -> Self {
        Self { inner }
    }

    /// How many requests the service has received (any service, answered or refused).
    pub fn requests(&self) -> u64 {
        self.inner
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many inline role policies IAM PutRolePolicy put and DeleteRolePolicy did not remove.
    pub fn inline_policies(&self) -> usize {
        self.inner.inline_policies.lock().len()
    }

    /// How many sessions STS AssumeRole has handed out.
    pub fn sessions(&self) -> usize {
        self.inner.sessions.lock().len()
    }

    /// Add a statement to a principal's policy (e.g. an explicit Deny).
    pub fn attach(&self, principal: &str, statement: Statement) -> Result<StatementId, IamError> {
        self.inner.iam.write().attach(principal, statement)
    }

    /// Remove a statement added by [`Control::attach`].
    pub fn detach(&self, principal: &str, id: StatementId) -> Result<(), IamError> {
        self.inner.iam.write().detach(principal, id)
    }

    /// Set the base KMS request quota (lowered quotas held by faults still apply under it).
    pub fn set_kms_quota(&self, per_sec: f64) {
        self.inner.config.write().kms_quota_per_sec = per_sec;
        self.apply_kms_quota();
    }

    /// Hold a lowered KMS request quota: the lowest held (and the base) is in force.
    pub fn lower_kms_quota(&self, per_sec: f64) -> Hold {
        let id = self.inner.quota_overrides.lock().add(per_sec);
        self.apply_kms_quota();
        Hold::KmsQuota(id)
    }

    fn apply_kms_quota(&self) {
        let base = self.inner.config.read().kms_quota_per_sec;
        let quota = self.inner.quota_overrides.lock().lowest(base);
        let mut kms = self.inner.kms.lock();
        if kms.quota() != quota {
            kms.set_quota(quota);
        }
    }

    /// The KMS request quota in force.
    pub fn kms_quota(&self) -> f64 {
        self.inner.kms.lock().quota()
    }

    /// Set a stream's per-shard limits outright (false: no such stream).
    pub fn set_shard_limits(&self, stream: &str, limits: ShardLimits) -> bool {
        match self.inner.streams.get(stream) {
            Some(s) => {
                s.lock()
                    .shards
                    .iter_mut()
                    .for_each(|sh| sh.set_limits(limits));
                true
            }
            None => false,
        }
    }

    /// Hold lowered per-shard limits on a stream (a field of `INFINITY` leaves that limit
    /// alone): each limit in force is the lowest held, or the service's default. None: no such
    /// stream.
    pub fn lower_shard_limits(&self, stream: &str, limits: ShardLimits) -> Option<Hold> {
        self.inner.streams.get(stream)?;
        let id = self
            .inner
            .shard_overrides
            .lock()
            .entry(stream.to_owned())
            .or_default()
            .add(limits);
        self.apply_shard_limits(stream);
        Some(Hold::ShardLimits {
            stream: stream.to_owned(),
            id,
        })
    }

    fn apply_shard_limits(&self, stream: &str) {
        let base = self.inner.shard_limits();
        let limits = match self.inner.shard_overrides.lock().get(stream) {
            Some(o) => o.values().fold(base, |l, h| ShardLimits {
                write_bytes_per_sec: l.write_bytes_per_sec.min(h.write_bytes_per_sec),
                write_records_per_sec: l.write_records_per_sec.min(h.write_records_per_sec),
                read_bytes_per_sec: l.read_bytes_per_sec.min(h.read_bytes_per_sec),
                read_calls_per_sec: l.read_calls_per_sec.min(h.read_calls_per_sec),
            }),
            None => base,
        };
        self.set_shard_limits(stream, limits);
    }

    /// Hold latency added to every KMS operation the service performs (operation name and key
    /// id in, delay out); held latencies add up.
    pub fn add_kms_delay(&self, delay: KmsDelay) -> Hold {
        Hold::KmsDelay(self.inner.kms_delays.write().add(delay))
    }

    /// Remove a hold; false if it was not held (already removed).
    pub fn restore(&self, hold: &Hold) -> bool {
        match hold {
            Hold::KmsQuota(id) => {
                let removed = self.inner.quota_overrides.lock().remove(*id);
                self.apply_kms_quota();
                removed
            }
            Hold::ShardLimits { stream, id } => {
                let removed = {
                    let mut all = self.inner.shard_overrides.lock();
                    let removed = all.get_mut(stream).is_some_and(|o| o.remove(*id));
                    if all.get(stream).is_some_and(|o| o.is_empty()) {
                        all.remove(stream);
                    }
                    removed
                };
                self.apply_shard_limits(stream);
                removed
            }
            Hold::KmsDelay(id) => self.inner.kms_delays.write().remove(*id),
        }
    }

    /// Keep a stream's records for `retention` only (shorter than AWS's 24 h minimum: the
    /// embedded service's departure, so a long run's memory stays flat). False if no such stream.
    pub fn set_retention(&self, stream: &str, retention: Duration) -> bool {
        let Some(s) = self.inner.streams.get(stream) else {
            return false;
        };
        let mut s = s.lock();
        s.retention = retention;
        true
    }

    /// Drop a shard's records up to and including `sequence`, which every consumer of the run
    /// has read and checkpointed (the embedded service's departure from AWS, which keeps them
    /// for the retention period); returns how many went.
    pub fn trim_read(&self, stream: &str, shard: &str, sequence: &str) -> usize {
        let (Some(s), Some((_, n))) = (
            self.inner.streams.get(stream),
            super::kinesis::stream::parse_sequence(sequence),
        ) else {
            return 0;
        };
        let now = self.inner.clock().now();
        let mut s = s.lock();
        let cutoff = now.saturating_sub(s.retention);
        s.shards
            .iter_mut()
            .find(|sh| sh.id == shard)
            .map_or(0, |sh| sh.trim(n + 1, cutoff))
    }

    /// Records the service holds, in every stream.
    pub fn stored_records(&self) -> usize {
        self.inner
            .streams
            .names()
            .iter()
            .filter_map(|n| self.inner.streams.get(n))
            .map(|s| s.lock().shards.iter().map(|sh| sh.stored()).sum::<usize>())
            .sum()
    }

    /// Change the SSE data-key reuse window.
    pub fn set_sse_reuse_period(&self, period: Duration) {
        self.inner.config.write().sse_reuse_period = period;
    }

    /// Set one stream's SSE data-key reuse window.
    pub fn set_stream_reuse_period(&self, stream: &str, period: Duration) {
        let arn = self.inner.stream_arn(stream);
        self.inner.sse_reuse_by_stream.lock().insert(arn, period);
    }

    /// The ARN of a stream of this name.
    pub fn stream_arn(&self, stream: &str) -> String {
        self.inner.stream_arn(stream)
    }

    /// Change how long Start/StopStreamEncryption keep a stream UPDATING.
    pub fn set_encryption_update_delay(&self, delay: Duration) {
        self.inner.config.write().encryption_update_delay = delay;
    }

    /// Change how long after a KMS call CloudTrail's `LookupEvents` first returns it.
    pub fn set_cloudtrail_delay(&self, delay: Duration) {
        self.inner.config.write().cloudtrail_delay = delay;
    }

    /// Change the length of a KMS "day" (deletion waiting periods).
    pub fn set_kms_day(&self, day: Duration) {
        self.inner.config.write().kms_day = day;
    }

    /// Delete a key at once, as if its waiting period had passed.
    pub fn delete_key_now(&self, key_ref: &str) -> Result<(), ApiError> {
        let now = self.inner.clock().now();
        let mut kms = self.inner.kms.lock();
        let id = kms.store.resolve(key_ref, now).map_err(|e| e.direct())?;
        kms.store.delete_now(&id);
        Ok(())
    }

    /// What Firehose delivery stream `name` has accepted, if it exists.
    pub fn firehose_received(&self, name: &str) -> Option<super::firehose::Received> {
        self.inner
            .firehose
            .by_name
            .lock()
            .get(name)
            .map(|d| d.received)
    }

    /// What Firehose delivery stream `name` has delivered (and retried, and dropped) by now,
    /// deliveries due by now carried out first; `None` if it does not exist.
    pub fn firehose_delivered(&self, name: &str) -> Option<super::firehose::delivery::Delivered> {
        let now = self.inner.clock().now();
        super::firehose::delivery::run_due(self.inner, now);
        self.inner
            .firehose
            .by_name
            .lock()
            .get(name)
            .map(|d| d.delivered.clone())
    }

    /// Objects in bucket `bucket` (`None`: no such bucket).
    pub fn objects_in(&self, bucket: &str) -> Option<usize> {
        self.inner
            .s3
            .by_name
            .lock()
            .get(bucket)
            .map(|b| b.objects.len())
    }

    /// Key material versions of key `id` (1 + its rotations; 0 for no such key).
    pub fn key_material_versions(&self, id: &str) -> usize {
        self.inner.kms.lock().store.material_versions(id)
    }

    /// Every KMS request the service has handled.
    pub fn kms_calls(&self) -> Vec<KmsCallEvent> {
        self.inner.kms.lock().calls().to_vec()
    }

    /// Turn signature checking on or off.
    pub fn set_verify_signatures(&self, on: bool) {
        self.inner.config.write().verify_signatures = on;
    }

    /// The world as it stands.
    pub fn snapshot(&self) -> WorldSnapshot {
        let shard_limits = self
            .inner
            .streams
            .names()
            .into_iter()
            .filter_map(|name| {
                let s = self.inner.streams.get(&name)?;
                let limits = s.lock().shards.iter().map(|sh| sh.limits()).collect();
                Some((name, limits))
            })
            .collect();
        let policies = self.inner.iam.read().policies();
        let kms = self.inner.kms.lock();
        let keys = kms
            .store
            .keys()
            .map(|k| (k.id.clone(), (k.state, k.deletion_date)))
            .collect();
        let key_policies = kms
            .store
            .keys()
            .map(|k| {
                let doc = serde_json::from_str(&k.policy_text)
                    .unwrap_or_else(|_| serde_json::Value::String(k.policy_text.clone()));
                (k.id.clone(), doc)
            })
            .collect();
        drop(kms);
        WorldSnapshot {
            kms_quota_per_sec: self.kms_quota(),
            shard_limits,
            policies,
            kms_delays: self.inner.kms_delays.read().len(),
            keys,
            key_policies,
        }
    }
}
