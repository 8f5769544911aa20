//! `[[faults]]`: timed changes to the world a run goes through (a denied permission, a
//! throttle, a key disabled or deleted, added latency), validated before anything runs.
//!
//! A fault starts `at` a time since the start of the load and lasts `for` a while, or to the
//! end of the run; `paths` picks the paths it applies to. As with `[[paths]]`, a key belongs
//! to one kind (a throttle's keys to one `service`) and is an error on any other. The format
//! is documented in `scenarios/README.md`.

use std::time::Duration;

use serde::{Serialize, Serializer};
use strum::{EnumString, IntoStaticStr, VariantNames};

use super::{ser_duration, ser_opt_duration};

mod check;
pub(crate) mod kinds;

pub(crate) use check::{faults, Context};

/// The name of every fault kind a scenario may write (`kind = "..."`), in the order the
/// documentation lists them.
pub fn kind_names() -> impl Iterator<Item = &'static str> {
    <kinds::Kind as strum::VariantNames>::VARIANTS
        .iter()
        .copied()
}

/// One `[[faults]]` entry, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultSpec {
    /// Unique name (default "<kind>-<index>", index from 0): in reports and `fault.<name>.*` checks.
    pub name: String,
    /// When it starts, since the start of the load (warm-up included); before the load ends.
    #[serde(serialize_with = "ser_duration")]
    pub at: Duration,
    /// How long it lasts (TOML `for`); `None` = to the end of the run. A fault that would
    /// outlast the run is cut at its end.
    #[serde(rename = "for", serialize_with = "ser_opt_duration")]
    pub duration: Option<Duration>,
    /// Names of the paths it applies to; never empty: the paths listed, else every path it
    /// can apply to.
    pub paths: Vec<String>,
    /// With `[tenants]`: the tenants it names (empty: every tenant of those paths).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<u32>,
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
}

impl FaultSpec {
    /// Whether the fault applies to the path named `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// When it ends (`at` + `for`), since the start of the load; `None` = at the end of the run.
    pub fn end(&self) -> Option<Duration> {
        self.duration.and_then(|d| self.at.checked_add(d))
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// An explicit Deny statement attached to a principal for the fault's duration.
    Deny {
        /// "producer", "consumer", "admin" or "resharder".
        principal: String,
        /// IAM actions denied: "*" or "service:Action" (service kinesis or kms; `*`/`?` wildcards).
        actions: Vec<String>,
    },
    /// Kinesis throttling: a fraction of calls answered ProvisionedThroughputExceededException
    /// (like AWS FIS) and/or lowered per-shard limits. At least one of the two is set.
    KinesisThrottle {
        /// The calls `fraction` refuses: a subset of PutRecord, PutRecords, GetRecords (default all).
        operations: Vec<String>,
        /// Share of matching calls refused, in (0, 1].
        fraction: Option<f64>,
        /// Per-shard write limit while active, bytes/s (> 0, <= 1 MiB/s).
        write_bytes_per_sec: Option<f64>,
        /// Per-shard write limit while active, records/s (> 0, <= 1,000).
        write_records_per_sec: Option<f64>,
        /// Per-shard GetRecords limit while active, calls/s (> 0, <= 5).
        read_calls_per_sec: Option<f64>,
        /// Per-shard read limit while active, bytes/s (> 0, <= 2 MiB/s).
        read_bytes_per_sec: Option<f64>,
    },
    /// KMS throttling: the request quota lowered and/or a fraction of KMS calls answered
    /// ThrottlingException. At least one of the two is set.
    KmsThrottle {
        /// KMS request quota while active, requests/s (> 0, <= `[kms] quota_per_sec`).
        quota_per_sec: Option<f64>,
        /// Share of matching calls refused, in (0, 1].
        fraction: Option<f64>,
        /// The calls `fraction` refuses: a subset of GenerateDataKey, Decrypt, Encrypt (default all).
        operations: Vec<String>,
    },
    /// DisableKey on the key of each path (envelope key or SSE stream key); EnableKey when the
    /// fault ends (if it has a `for`).
    DisableKey,
    /// ScheduleKeyDeletion with a waiting period; CancelKeyDeletion after `cancel_after` (then
    /// EnableKey, since cancelling leaves the key Disabled).
    ScheduleKeyDeletion {
        /// Waiting period, days of `[kms] day_length` (7..=30).
        waiting_period_days: u32,
        /// From the schedule to the cancel (> 0, < `for`, < the waiting period).
        cancel_after: Option<Duration>,
    },
    /// The key deleted at once (its waiting period over): crypto-shredding. Never has `for`.
    DeleteKey,
    /// An event: the key rotated on demand (RotateKeyOnDemand: new material seals from then on,
    /// older data keys still decrypt). Never has `for`.
    RotateKey,
    /// Firehose's KMS grant on a Firehose path's customer-managed key revoked (RevokeGrant, as
    /// the admin): the delivery stream's encryption goes ENABLING_FAILED (KMS_ACCESS_DENIED),
    /// puts fail and what is buffered is not delivered. Its end does what an operator does:
    /// StartDeliveryStreamEncryption again with the key, which takes a new grant.
    RevokeGrant,
    /// The key policy of each path's key changed (GetKeyPolicy, PutKeyPolicy as the admin):
    /// a Deny statement added, or a statement removed (the root statement's removal stops the
    /// key delegating to IAM). Its end takes out exactly its Deny, or puts the statement back.
    KeyPolicy {
        /// What changes.
        change: KeyPolicyChange,
    },
    /// A delay added to each matching call.
    Latency {
        /// Which service's calls are delayed.
        service: FaultService,
        /// The calls delayed (default every operation listed for the service).
        operations: Vec<String>,
        /// How long each call is delayed.
        delay: DelaySpec,
    },
    /// An event, not undone: the resharder splits or merges the path's stream's shards (or
    /// changes their count) at `at`. Never has `for`.
    Reshard {
        /// What it does.
        action: ReshardAction,
    },
}

/// What a key-policy fault changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicyChange {
    /// A Deny of these KMS actions to this principal.
    Deny {
        /// The principal ("producer", "consumer", ...).
        principal: String,
        /// KMS actions.
        actions: Vec<String>,
    },
    /// The statement with this Sid removed.
    Remove {
        /// Its Sid.
        sid: String,
    },
}

/// What a reshard event does to a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReshardAction {
    /// SplitShard: the open shard with the lowest id, at the middle of its hash range.
    Split,
    /// MergeShards: the two adjacent open shards with the lowest hash keys.
    Merge,
    /// UpdateShardCount to this many open shards (uniform scaling; Kinesis allows half to
    /// double the open count).
    UpdateShardCount {
        /// Open shards after it (1..=500).
        target_shards: u32,
    },
}

impl ReshardAction {
    /// As the scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Split => "split",
            Self::Merge => "merge",
            Self::UpdateShardCount { .. } => "update-shard-count",
        }
    }
}

impl FaultKind {
    /// The kind as written in TOML (both throttles are "throttle").
    pub fn name(&self) -> &'static str {
        match self {
            Self::Deny { .. } => "deny",
            Self::KinesisThrottle { .. } | Self::KmsThrottle { .. } => "throttle",
            Self::DisableKey => "disable-key",
            Self::ScheduleKeyDeletion { .. } => "schedule-key-deletion",
            Self::DeleteKey => "delete-key",
            Self::RotateKey => "rotate-key",
            Self::RevokeGrant => "revoke-grant",
            Self::KeyPolicy { .. } => "key-policy",
            Self::Latency { .. } => "latency",
            Self::Reshard { .. } => "reshard",
        }
    }

    /// An instant event nothing undoes (delete-key, rotate-key, reshard): it has no `for` and
    /// no end.
    pub fn is_event(&self) -> bool {
        matches!(
            self,
            Self::DeleteKey | Self::RotateKey | Self::Reshard { .. }
        )
    }
}

/// The service a throttle or a latency fault acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum FaultService {
    /// Amazon Kinesis Data Streams.
    Kinesis,
    /// AWS KMS.
    Kms,
}

/// A latency fault's delay, each draw in 0..=1m.
#[derive(Debug, Clone, PartialEq)]
pub enum DelaySpec {
    /// Every call delayed this long (> 0).
    Fixed(Duration),
    /// Drawn uniformly from `min..=max`.
    Uniform {
        /// Shortest delay.
        min: Duration,
        /// Longest delay (>= min, > 0).
        max: Duration,
    },
    /// `median * exp(sigma * N(0,1))`.
    LogNormal {
        /// Median delay (> 0).
        median: Duration,
        /// Standard deviation of ln(delay), > 0 and <= 4.
        sigma: f64,
    },
}

/// The JSON form of a [`FaultKind`]: the TOML keys, `kind` and a throttle's `service` included.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum KindOut<'a> {
    Deny {
        principal: &'a str,
        actions: &'a [String],
    },
    Throttle {
        service: FaultService,
        operations: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        fraction: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        quota_per_sec: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        write_bytes_per_sec: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        write_records_per_sec: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        read_calls_per_sec: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        read_bytes_per_sec: Option<f64>,
    },
    DisableKey,
    ScheduleKeyDeletion {
        waiting_period_days: u32,
        #[serde(serialize_with = "ser_opt_duration")]
        cancel_after: Option<Duration>,
    },
    DeleteKey,
    RotateKey,
    RevokeGrant,
    KeyPolicy {
        #[serde(skip_serializing_if = "Option::is_none")]
        principal: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        actions: Option<&'a [String]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        remove: Option<&'a str>,
    },
    Latency {
        service: FaultService,
        operations: &'a [String],
        delay: &'a DelaySpec,
    },
    Reshard {
        action: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        target_shards: Option<u32>,
    },
}

impl Serialize for FaultKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let out = match self {
            Self::Deny { principal, actions } => KindOut::Deny { principal, actions },
            Self::KinesisThrottle {
                operations,
                fraction,
                write_bytes_per_sec,
                write_records_per_sec,
                read_calls_per_sec,
                read_bytes_per_sec,
            } => KindOut::Throttle {
                service: FaultService::Kinesis,
                operations,
                fraction: *fraction,
                quota_per_sec: None,
                write_bytes_per_sec: *write_bytes_per_sec,
                write_records_per_sec: *write_records_per_sec,
                read_calls_per_sec: *read_calls_per_sec,
                read_bytes_per_sec: *read_bytes_per_sec,
            },
            Self::KmsThrottle {
                quota_per_sec,
                fraction,
                operations,
            } => KindOut::Throttle {
                service: FaultService::Kms,
                operations,
                fraction: *fraction,
                quota_per_sec: *quota_per_sec,
                write_bytes_per_sec: None,
                write_records_per_sec: None,
                read_calls_per_sec: None,
                read_bytes_per_sec: None,
            },
            Self::DisableKey => KindOut::DisableKey,
            Self::ScheduleKeyDeletion {
                waiting_period_days,
                cancel_after,
            } => KindOut::ScheduleKeyDeletion {
                waiting_period_days: *waiting_period_days,
                cancel_after: *cancel_after,
            },
            Self::DeleteKey => KindOut::DeleteKey,
            Self::RotateKey => KindOut::RotateKey,
            Self::RevokeGrant => KindOut::RevokeGrant,
            Self::KeyPolicy { change } => match change {
                KeyPolicyChange::Deny { principal, actions } => KindOut::KeyPolicy {
                    principal: Some(principal),
                    actions: Some(actions),
                    remove: None,
                },
                KeyPolicyChange::Remove { sid } => KindOut::KeyPolicy {
                    principal: None,
                    actions: None,
                    remove: Some(sid),
                },
            },
            Self::Latency {
                service,
                operations,
                delay,
            } => KindOut::Latency {
                service: *service,
                operations,
                delay,
            },
            Self::Reshard { action } => KindOut::Reshard {
                action: action.name(),
                target_shards: match action {
                    ReshardAction::UpdateShardCount { target_shards } => Some(*target_shards),
                    _ => None,
                },
            },
        };
        out.serialize(s)
    }
}

/// The JSON form of a distribution [`DelaySpec`], as the TOML writes it.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum DelayOut {
    Uniform { min: String, max: String },
    LogNormal { median: String, sigma: f64 },
}

impl Serialize for DelaySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = |d: &Duration| humantime::format_duration(*d).to_string();
        match self {
            Self::Fixed(d) => ser_duration(d, s),
            Self::Uniform { min, max } => DelayOut::Uniform {
                min: text(min),
                max: text(max),
            }
            .serialize(s),
            Self::LogNormal { median, sigma } => DelayOut::LogNormal {
                median: text(median),
                sigma: *sigma,
            }
            .serialize(s),
        }
    }
}
