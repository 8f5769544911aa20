//! Serde types mirroring the scenario TOML exactly as written.
//!
//! Every table denies unknown fields. A named option (`clock = "real"`) is read as [`Named`]
//! of its enum, so an unknown name and a wrong type both say what would be valid, at the
//! value's line; a duration is parsed as it is read. Numbers are read as `i64`/`f64` so that
//! `validate` can check their ranges. Nothing here has defaults applied.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use strum::{EnumString, IntoStaticStr, VariantNames};

use crate::faults::kinds::{Kind as FaultKindName, Principal, ReshardName};
use crate::{
    Aead, AeadBackendChoice, ClockMode, DestinationSse, EsdkSuiteChoice, FaultService, StreamMode,
    TargetKind, TenantKey,
};

/// One of an enum's names as written, e.g. `clock = "virtual"`: strum's `EnumString` parses it
/// and its `VariantNames` say what would be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Named<T>(pub T);

/// `"a", "b", "c"`: the names `T` is written as, for a message.
pub(crate) fn names<T: VariantNames>() -> String {
    let quoted: Vec<String> = T::VARIANTS.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

/// A `[[paths]]` entry's `kind`, before its settings are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum PathKind {
    Plaintext,
    Envelope,
    SseKms,
    Firehose,
}

/// `[workload] api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum ApiName {
    PutRecord,
    PutRecords,
}

/// An envelope path's `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum FormatName {
    Esdk,
    Compact,
}

impl<'de, T: FromStr + VariantNames> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(NamedVisitor(PhantomData))
    }
}

struct NamedVisitor<T>(PhantomData<T>);

impl<T: FromStr + VariantNames> Visitor<'_> for NamedVisitor<T> {
    type Value = Named<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {}", names::<T>())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Named<T>, E> {
        T::from_str(v)
            .map(Named)
            .map_err(|_| E::custom(format!("must be one of {} (got {v:?})", names::<T>())))
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    /// Scenario name, shown in reports.
    pub name: String,
    /// Measured run length after the warm-up, e.g. "10s".
    pub duration: RawDuration,
    /// Load before measuring starts, e.g. "2s".
    pub warmup: Option<RawDuration>,
    /// Seed for every random choice of the run.
    pub seed: Option<i64>,
    /// The instant every worker of a run split across machines starts its load, RFC 3339
    /// ("2026-12-03T02:00:00Z").
    pub start_at: Option<String>,
    /// "real" or "virtual".
    pub clock: Option<Named<ClockMode>>,
    /// Time consumers get to read everything after load stops, e.g. "10s".
    pub drain_timeout: Option<RawDuration>,
    /// `[stream]`.
    pub stream: Option<RawStream>,
    /// `[workload]`.
    pub workload: RawWorkload,
    /// `[[paths]]`.
    pub paths: Vec<RawPath>,
    /// `[kms]`.
    pub kms: Option<RawKms>,
    /// `[retry]`.
    pub retry: Option<RawRetry>,
    /// `[[faults]]`: timed faults, in the order written.
    #[serde(default)]
    pub faults: Vec<RawFault>,
    /// `[output]`.
    pub output: Option<RawOutput>,
    /// `[control]`.
    pub control: Option<RawControl>,
    /// `[expect]`: metric keys and per-path subtables, interpreted by `expect`.
    pub expect: Option<toml::Table>,
    /// `[target]`: where the run goes and how each role signs.
    pub target: Option<RawTarget>,
    /// `[tenants]`: every path replicated once per tenant.
    pub tenants: Option<RawTenants>,
}

/// `[tenants]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenants {
    /// Tenants; each path runs once per tenant.
    pub count: i64,
    /// "per-tenant" (default) or "shared": one key per tenant, or one for all.
    pub key: Option<Named<TenantKey>>,
    /// One weight per tenant: the tenants' load (`count` x `rate_per_sec`) split in these
    /// proportions.
    pub weights: Option<Vec<i64>>,
}

/// `[target]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    /// "embedded" (default) or "aws".
    pub kind: Option<Named<TargetKind>>,
    /// AWS region, e.g. "eu-west-1" (default: the AWS configuration's).
    pub region: Option<String>,
    /// An endpoint in place of AWS's (LocalStack, moto, `serve`).
    pub endpoint_url: Option<String>,
    /// Refuse to run in any other account (12 digits).
    pub expect_account: Option<String>,
    /// `[target.roles.<role>]`: each role's credentials.
    pub roles: Option<BTreeMap<String, RawRole>>,
    /// How long after the load the run waits for CloudTrail to deliver its KMS events.
    pub cloudtrail_wait: Option<RawDuration>,
}

/// `[target.roles.<role>]`: a profile, or a role to assume.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRole {
    /// A profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// A role to assume with STS AssumeRole.
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for (only with role_arn).
    pub external_id: Option<String>,
}

/// `[stream]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStream {
    /// Shard count (provisioned mode only).
    pub shards: Option<i64>,
    /// "provisioned" or "on-demand".
    pub mode: Option<Named<StreamMode>>,
    /// The embedded service only: how long records are kept, e.g. "1m".
    pub retention: Option<RawDuration>,
}

/// `[workload]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    /// Records per second on each path.
    pub rate_per_sec: f64,
    /// Plaintext record size(s) in bytes.
    pub record_size: RawSize,
    /// "put-record" or "put-records".
    pub api: Option<Named<ApiName>>,
    /// `[workload.batch]`, only with api = "put-records".
    pub batch: Option<RawBatch>,
    /// Producer tasks per path.
    pub producers: Option<i64>,
    /// Consumer tasks per path.
    pub consumers: Option<i64>,
    /// Distinct partition keys.
    pub partition_keys: Option<i64>,
    /// Sends in flight per producer: a number or "auto".
    pub max_in_flight: Option<RawInFlight>,
}

/// `max_in_flight`: a number of sends, or "auto".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawInFlight {
    /// `max_in_flight = "auto"`.
    Auto,
    /// `max_in_flight = 16`.
    Fixed(i64),
}

impl<'de> Deserialize<'de> for RawInFlight {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InFlightVisitor)
    }
}

struct InFlightVisitor;

impl Visitor<'_> for InFlightVisitor {
    type Value = RawInFlight;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"auto\" or a number of sends (1 to 1024)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawInFlight, E> {
        Ok(RawInFlight::Fixed(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawInFlight, E> {
        Ok(RawInFlight::Fixed(i64::try_from(v).unwrap_or(i64::MAX)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawInFlight, E> {
        match v {
            "auto" => Ok(RawInFlight::Auto),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// `[workload.batch]`: how PutRecords batches are closed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBatch {
    /// Records per request.
    pub max_records: Option<i64>,
    /// Bytes per request (data + partition keys).
    pub max_bytes: Option<i64>,
    /// Longest wait after a batch's first record, e.g. "50ms".
    pub linger: Option<RawDuration>,
}

/// `record_size`: a number, an array of numbers, or a one-key distribution table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawSize {
    /// `record_size = 1024`.
    Fixed(i64),
    /// `record_size = [64, 1024]`.
    List(Vec<i64>),
    /// `record_size = { uniform = { min_bytes = .., max_bytes = .. } }`.
    Uniform(RawUniform),
    /// `record_size = { log_normal = { median_bytes = .., sigma = .., max_bytes = .. } }`.
    LogNormal(RawLogNormal),
}

/// `{ uniform = { ... } }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUniform {
    /// Smallest size, bytes.
    pub min_bytes: i64,
    /// Largest size, bytes.
    pub max_bytes: i64,
}

/// `{ log_normal = { ... } }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogNormal {
    /// Median size, bytes.
    pub median_bytes: i64,
    /// Standard deviation of ln(size).
    pub sigma: f64,
    /// Cap on a drawn size, bytes.
    pub max_bytes: i64,
}

/// The one-key table form of `record_size`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawSizeDist {
    Uniform(RawUniform),
    LogNormal(RawLogNormal),
}

/// One `[[paths]]` entry: every key any kind accepts; `validate` rejects keys foreign to `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPath {
    /// "plaintext", "envelope", "sse-kms" or "firehose".
    pub kind: Named<PathKind>,
    /// Unique path name; defaults to the kind.
    pub name: Option<String>,
    /// envelope: "esdk" (default) or "compact".
    pub format: Option<Named<FormatName>>,
    /// envelope, format esdk: the ESDK algorithm suite, by name or hex id.
    pub suite: Option<Named<EsdkSuiteChoice>>,
    /// envelope, format esdk: plaintext bytes per frame.
    pub frame_length: Option<i64>,
    /// envelope, format compact: "aes-256-gcm" or "chacha20-poly1305".
    pub aead: Option<Named<Aead>>,
    /// envelope, format compact: the AEAD's implementation, "aws-lc-rs" or "rustcrypto".
    pub aead_backend: Option<Named<AeadBackendChoice>>,
    /// envelope: encryption context (bound as AAD and sent to KMS).
    pub encryption_context: Option<BTreeMap<String, String>>,
    /// envelope: data-key cache.
    pub cache: Option<RawCache>,
    /// envelope: an existing KMS key (ARN or alias) in place of one the run creates; sse-kms:
    /// "customer-managed", "aws-managed", or an existing key's ARN or alias.
    pub key: Option<String>,
    /// An existing stream to use (never changed or deleted) in place of one the run creates.
    pub stream: Option<String>,
    /// sse-kms: data key reuse window, e.g. "5m".
    pub reuse_period: Option<RawDuration>,
    /// firehose: the destination bucket's encryption, "none", "aws-managed" or
    /// "customer-managed".
    pub destination_sse: Option<Named<DestinationSse>>,
    /// firehose: buffering hint, MiB (1 to 128).
    pub buffer_size_mib: Option<i64>,
    /// firehose: buffering hint, e.g. "60s" (0s to 900s).
    pub buffer_interval: Option<RawDuration>,
    /// firehose: an existing bucket to deliver to (the run writes under its own prefix and
    /// removes only what it wrote).
    pub bucket: Option<String>,
    /// firehose: the IAM role ARN Firehose delivers as (required off the embedded service).
    pub delivery_role: Option<String>,
    /// With `[tenants]`: "per-tenant" or "shared", overriding `[tenants] key` for this path.
    pub tenant_key: Option<Named<TenantKey>>,
}

/// `[paths.cache]` / `cache = { ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCache {
    /// Longest time one data key is served, e.g. "5m".
    pub max_age: Option<RawDuration>,
    /// Most records one data key encrypts.
    pub max_messages: Option<i64>,
    /// Most plaintext bytes one data key encrypts.
    pub max_bytes: Option<i64>,
    /// Cache entries.
    pub capacity: Option<i64>,
    /// Misses wait for one KMS call in flight instead of each making its own.
    pub single_flight: Option<bool>,
}

/// `[kms]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKms {
    /// KMS requests per second before throttling.
    pub quota_per_sec: Option<i64>,
    /// Length of a "day" in key-deletion waiting periods on the embedded service, e.g. "1s".
    pub day_length: Option<RawDuration>,
}

/// `[control]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawControl {
    /// Run a second plaintext path, `plaintext-twin`, whose difference from the first is the
    /// run's measured noise floor.
    pub plaintext_twin: Option<bool>,
}

/// `[output]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    /// Length of one interval of `latency.hlog`, e.g. "1s".
    pub interval: Option<RawDuration>,
}

/// One `[[faults]]` entry: every key any kind accepts; `faults` rejects keys foreign to `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    /// "deny", "throttle", "disable-key", "schedule-key-deletion", "delete-key", "latency" or
    /// "reshard".
    pub kind: Named<FaultKindName>,
    /// Unique fault name; defaults to "<kind>-<index>".
    pub name: Option<String>,
    /// When the fault starts, since the start of the load, e.g. "5s".
    pub at: RawDuration,
    /// How long it lasts, e.g. "3s"; absent = to the end of the run.
    #[serde(rename = "for")]
    pub for_: Option<RawDuration>,
    /// Names of the paths it applies to; absent = every path it can apply to.
    pub paths: Option<Vec<String>>,
    /// With `[tenants]`: the tenants (1-based) whose copies of those paths it applies to.
    pub tenants: Option<Vec<i64>>,
    /// deny, key-policy: "producer", "consumer", "admin" or "resharder".
    pub principal: Option<Named<Principal>>,
    /// deny, key-policy: IAM actions, e.g. "kms:GenerateDataKey".
    pub actions: Option<Vec<String>>,
    /// throttle, latency: "kinesis" or "kms".
    pub service: Option<Named<FaultService>>,
    /// throttle, latency: API operations, e.g. "PutRecord".
    pub operations: Option<Vec<String>>,
    /// throttle: share of calls refused, in (0, 1].
    pub fraction: Option<f64>,
    /// throttle (kms): lowered KMS request quota, requests/s.
    pub quota_per_sec: Option<f64>,
    /// throttle (kinesis): lowered per-shard write limit, bytes/s.
    pub write_bytes_per_sec: Option<f64>,
    /// throttle (kinesis): lowered per-shard write limit, records/s.
    pub write_records_per_sec: Option<f64>,
    /// throttle (kinesis): lowered per-shard GetRecords limit, calls/s.
    pub read_calls_per_sec: Option<f64>,
    /// throttle (kinesis): lowered per-shard read limit, bytes/s.
    pub read_bytes_per_sec: Option<f64>,
    /// schedule-key-deletion: waiting period, days.
    pub waiting_period_days: Option<i64>,
    /// schedule-key-deletion: time from the schedule to CancelKeyDeletion, e.g. "3s".
    pub cancel_after: Option<RawDuration>,
    /// latency: the delay added to each matching call.
    pub delay: Option<RawDelay>,
    /// reshard: "split", "merge" or "update-shard-count".
    pub action: Option<Named<ReshardName>>,
    /// key-policy: the Sid of the key policy statement removed while the fault lasts.
    pub remove: Option<String>,
    /// reshard (update-shard-count): the open shards after it.
    pub target_shards: Option<i64>,
}

/// `delay`: a duration string, or a one-key distribution table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawDelay {
    /// `delay = "200us"`.
    Fixed(RawDuration),
    /// `delay = { uniform = { min = "100us", max = "300us" } }`.
    Uniform(RawUniformDelay),
    /// `delay = { log_normal = { median = "1ms", sigma = 0.5 } }`.
    LogNormal(RawLogNormalDelay),
}

/// `{ uniform = { ... } }` of a delay.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUniformDelay {
    /// Shortest delay, e.g. "100us".
    pub min: RawDuration,
    /// Longest delay, e.g. "300us".
    pub max: RawDuration,
}

/// `{ log_normal = { ... } }` of a delay.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogNormalDelay {
    /// Median delay, e.g. "1ms".
    pub median: RawDuration,
    /// Standard deviation of ln(delay).
    pub sigma: f64,
}

/// The one-key table form of `delay`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawDelayDist {
    Uniform(RawUniformDelay),
    LogNormal(RawLogNormalDelay),
}

impl<'de> Deserialize<'de> for RawDelay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DelayVisitor)
    }
}

struct DelayVisitor;

impl<'de> Visitor<'de> for DelayVisitor {
    type Value = RawDelay;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            r#"a duration like "200us", { uniform = { min = "100us", max = "300us" } } or { log_normal = { median = "1ms", sigma = 0.5 } }"#,
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDelay, E> {
        DurationVisitor.visit_str(v).map(RawDelay::Fixed)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDelay, A::Error> {
        let dist = RawDelayDist::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(match dist {
            RawDelayDist::Uniform(u) => RawDelay::Uniform(u),
            RawDelayDist::LogNormal(l) => RawDelay::LogNormal(l),
        })
    }
}

/// `[retry]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    /// Attempts per request, the first included.
    pub max_attempts: Option<i64>,
    /// First backoff, e.g. "10ms".
    pub base_backoff: Option<RawDuration>,
    /// Longest backoff, e.g. "1s".
    pub max_backoff: Option<RawDuration>,
}

/// A duration as written, e.g. "30s", parsed by humantime as it is read: a bad one is refused
/// at its own line; `validate` checks the range and quotes `text` back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawDuration {
    /// As written.
    pub text: String,
    /// Parsed.
    pub value: Duration,
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = RawDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a duration string with a unit, like "250ms", "30s", "5m" or "1h""#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
        match humantime::parse_duration(v.trim()) {
            Ok(value) => Ok(RawDuration {
                text: v.to_owned(),
                value,
            }),
            Err(e) => Err(E::custom(format!(
                "{e}; write a number and a unit, like \"250ms\", \"30s\", \"5m\" or \"1h\" (got {v:?})"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SizeVisitor)
    }
}

struct SizeVisitor;

impl<'de> Visitor<'de> for SizeVisitor {
    type Value = RawSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a size in bytes (1024), a list of sizes ([64, 1024]), \
             { uniform = { min_bytes = .., max_bytes = .. } } or \
             { log_normal = { median_bytes = .., sigma = .., max_bytes = .. } }",
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSize, E> {
        Ok(RawSize::Fixed(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSize, E> {
        Ok(RawSize::Fixed(i64::try_from(v).unwrap_or(i64::MAX)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSize, A::Error> {
        let mut sizes = Vec::new();
        while let Some(SizeElement(size)) = seq.next_element()? {
            sizes.push(size);
        }
        Ok(RawSize::List(sizes))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSize, A::Error> {
        let dist = RawSizeDist::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(match dist {
            RawSizeDist::Uniform(u) => RawSize::Uniform(u),
            RawSizeDist::LogNormal(l) => RawSize::LogNormal(l),
        })
    }
}

/// One entry of a `record_size` list: an integer number of bytes.
struct SizeElement(i64);

impl<'de> Deserialize<'de> for SizeElement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(SizeElementVisitor)
    }
}

struct SizeElementVisitor;

impl Visitor<'_> for SizeElementVisitor {
    type Value = SizeElement;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size in bytes, e.g. 1024")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<SizeElement, E> {
        Ok(SizeElement(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<SizeElement, E> {
        Ok(SizeElement(i64::try_from(v).unwrap_or(i64::MAX)))
    }
}
