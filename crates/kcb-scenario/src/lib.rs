//! Scenario files: TOML in, a validated [`Scenario`] out, before anything touches the network.
//!
//! `raw` mirrors the file (`deny_unknown_fields`; each named option an enum, each duration
//! parsed as it is read), `validate` fills defaults and checks every range, `faults` checks the `[[faults]]` entries, `expect` reads the `[expect]` table, `error`
//! says which file, line and field is wrong.
//! The format is documented field by field in `scenarios/README.md`.

mod error;
mod expect;
mod faults;
#[cfg(test)]
mod faults_tests;
mod raw;
pub mod target;
mod tenants;
#[cfg(test)]
mod tenants_tests;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};
use strum::{EnumString, IntoStaticStr, VariantNames};

pub use error::{FieldPath, ScenarioError, Segment};
pub use expect::{Cmp, Expectation, FaultMetric, Metric, DEFAULT_SCHEDULE_LAG_P99};
pub use faults::{
    kind_names as fault_kind_names, DelaySpec, FaultKind, FaultService, FaultSpec, KeyPolicyChange,
    ReshardAction,
};
pub use target::{RoleCredentials, TargetKind, TargetSpec};
pub use tenants::{TenantKey, TenantOf, TenantsSpec, MAX_TENANTS};
pub use validate::TWIN;

/// Smallest record, in plaintext bytes: each record carries a 32-byte id/time/checksum header.
pub const MIN_RECORD_BYTES: u64 = 32;
/// Largest record accepted, in plaintext bytes (10 MiB, Kinesis's raised record limit).
pub const MAX_RECORD_BYTES: u64 = 10 * 1024 * 1024;
/// Kinesis's default record limit (1 MiB, partition key + data); sizes above it are allowed
/// so a size sweep can show where each path stops fitting.
pub const KINESIS_RECORD_LIMIT_BYTES: u64 = 1024 * 1024;

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates scenario text; `source` names the file in errors and in the result.
pub fn parse(text: &str, source: &Path) -> Result<Scenario, ScenarioError> {
    let map = error::SourceMap::parse(text, source)?;
    let raw: raw::RawScenario =
        toml::from_str(text).map_err(|e| map.deserialize_error(source, &e))?;
    validate::scenario(raw, source, text).map_err(|p| map.invalid(source, p))
}

/// A validated scenario: every default applied, every range checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Name shown in reports.
    pub name: String,
    /// File the scenario was read from.
    pub source: PathBuf,
    /// The file's text, kept so a result can echo exactly what ran.
    pub raw_toml: String,
    /// Measured run length, after the warm-up.
    #[serde(serialize_with = "ser_duration")]
    pub duration: Duration,
    /// Load applied before measuring starts (may be zero); less than `duration`.
    #[serde(serialize_with = "ser_duration")]
    pub warmup: Duration,
    /// Seed for payloads, partition keys, size draws and fault timing.
    pub seed: u64,
    /// When every worker of a run split across machines starts its load (`start_at`).
    pub start_at: Option<std::time::SystemTime>,
    /// Wall clock or simulated clock.
    pub clock: ClockMode,
    /// The stream each path writes to.
    pub stream: StreamSpec,
    /// What producers send and how.
    pub workload: WorkloadSpec,
    /// Protection paths run side by side (at least one, unique names).
    pub paths: Vec<PathSpec>,
    /// KMS as modelled by the harness.
    pub kms: KmsSpec,
    /// The harness's own retry policy.
    pub retry: RetrySpec,
    /// How long consumers may take to read everything after load stops.
    #[serde(serialize_with = "ser_duration")]
    pub drain_timeout: Duration,
    /// Timed faults, in the order written (unique names).
    pub faults: Vec<FaultSpec>,
    /// Pass/fail checks on the run's metrics.
    pub expect: Vec<Expectation>,
    /// What the run writes besides its result.
    pub output: OutputSpec,
    /// Where the run goes, and how each role signs there.
    pub target: TargetSpec,
    /// `[tenants]`: each path of the file replicated per tenant (`paths` holds the copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenants: Option<TenantsSpec>,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputSpec {
    /// Length of one interval of `latency.hlog` (100ms..=1m).
    #[serde(serialize_with = "ser_duration")]
    pub interval: Duration,
}

impl Scenario {
    /// The path with this name.
    pub fn path(&self, name: &str) -> Option<&PathSpec> {
        self.paths.iter().find(|p| p.name == name)
    }

    /// The fault with this name.
    pub fn fault(&self, name: &str) -> Option<&FaultSpec> {
        self.faults.iter().find(|f| f.name == name)
    }

    /// Records a second `path` sends: `workload.rate_per_sec`, or a tenant's weighted share.
    pub fn rate_of(&self, path: &PathSpec) -> f64 {
        path.tenant
            .as_ref()
            .map_or(self.workload.rate_per_sec, |t| t.rate_per_sec)
    }
}

/// Which clock drives the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ClockMode {
    /// Wall-clock time (runs are capped at 1 h).
    Real,
    /// Simulated time: an hour of schedule runs as fast as the machine allows.
    Virtual,
}

/// `[stream]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamSpec {
    /// Shards per stream (1..=64); 4 for on-demand streams, whose capacity starts at 4 shards'.
    pub shards: u32,
    /// Capacity mode.
    pub mode: StreamMode,
    /// The embedded service only: how long it keeps records (1s..=24h; AWS keeps 24 h at
    /// least), so a long run's memory stays flat.
    #[serde(serialize_with = "ser_opt_duration")]
    pub retention: Option<Duration>,
}

/// Kinesis capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum StreamMode {
    /// A fixed shard count.
    Provisioned,
    /// Kinesis scales the stream itself.
    OnDemand,
}

/// `[workload]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadSpec {
    /// Intended records per second on each path (open loop), > 0 and <= 50,000.
    pub rate_per_sec: f64,
    /// Plaintext record size(s), bytes.
    pub record_size: SizeSpec,
    /// The Kinesis put API producers use.
    pub api: PutApi,
    /// Producer tasks per path (1..=64).
    pub producers: u32,
    /// Consumer tasks per path (1..=16).
    pub consumers: u32,
    /// Distinct partition keys (1..=100,000).
    pub partition_keys: u32,
    /// Sends a producer may have in flight at once: the load is open loop up to it; past it
    /// the producer waits, and the wait shows as schedule lag.
    pub max_in_flight: InFlightSpec,
}

/// The most sends a producer may have in flight, and the ceiling of an "auto" window.
pub const MAX_IN_FLIGHT: u32 = 1024;

/// How many sends a producer may have in flight at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InFlightSpec {
    /// Each producer sizes its window from its intended send rate and the send latency it
    /// observes (Little's law, twice over for headroom), up to [`MAX_IN_FLIGHT`]: the same
    /// scenario keeps its schedule on the embedded service and against AWS.
    Auto,
    /// At most this many (1..=[`MAX_IN_FLIGHT`]).
    Fixed(u32),
}

/// Plaintext record sizes in bytes, each in `MIN_RECORD_BYTES..=MAX_RECORD_BYTES`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSpec {
    /// Every record has this many bytes.
    Fixed(u64),
    /// Records cycle through the list in order.
    List(Vec<u64>),
    /// Drawn uniformly from `min_bytes..=max_bytes`.
    Uniform {
        /// Smallest size, bytes.
        min_bytes: u64,
        /// Largest size, bytes.
        max_bytes: u64,
    },
    /// `median_bytes * exp(sigma * N(0,1))`, clamped to `MIN_RECORD_BYTES..=max_bytes`.
    LogNormal {
        /// Median size, bytes.
        median_bytes: u64,
        /// Standard deviation of ln(size), > 0 and <= 4.
        sigma: f64,
        /// Cap on a drawn size, bytes.
        max_bytes: u64,
    },
}

impl SizeSpec {
    /// The largest size this spec can produce, bytes.
    pub fn max_bytes(&self) -> u64 {
        match self {
            Self::Fixed(n) => *n,
            Self::List(sizes) => sizes.iter().copied().max().unwrap_or(MIN_RECORD_BYTES),
            Self::Uniform { max_bytes, .. } | Self::LogNormal { max_bytes, .. } => *max_bytes,
        }
    }
}

/// The Kinesis API producers put records with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PutApi {
    /// One record per request.
    PutRecord,
    /// Batches; a batch is sent when it holds `max_records` or `max_bytes`, or `linger`
    /// after its first record, whichever comes first.
    PutRecords {
        /// Records per request (1..=500).
        max_records: u32,
        /// Bytes per request, data plus partition keys (1..=5 MiB).
        max_bytes: u64,
        /// Longest a record waits for its batch to fill (0..=10s).
        #[serde(serialize_with = "ser_duration")]
        linger: Duration,
    },
}

/// One `[[paths]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSpec {
    /// Unique name; defaults to the kind's name ("plaintext", "envelope", "sse-kms").
    pub name: String,
    /// How records on this path are protected.
    pub protection: Protection,
    /// An existing stream the path uses (never changed or deleted), in place of one the run
    /// creates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// An existing KMS key (ARN or alias) the path uses (envelope, or sse-kms's customer-managed
    /// key), in place of one the run creates; never changed by a fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// With `[tenants]`: the path as written and the tenant this copy of it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantOf>,
}

/// How a record is protected.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Protection {
    /// Sent as is.
    Plaintext,
    /// Client-side envelope encryption with a KMS data key.
    Envelope(EnvelopeSpec),
    /// Kinesis server-side encryption with a KMS key.
    SseKms(SseKmsSpec),
    /// Records through a Firehose delivery stream (its own encryption at rest) to an S3
    /// destination (with its own).
    Firehose(FirehoseSpec),
}

impl Protection {
    /// The kind as written in TOML: "plaintext", "envelope", "sse-kms" or "firehose".
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Envelope(_) => "envelope",
            Self::SseKms(_) => "sse-kms",
            Self::Firehose(_) => "firehose",
        }
    }
}

/// A Firehose path: the delivery stream's key, its destination's encryption and buffering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirehoseSpec {
    /// What encrypts the records at rest in Firehose.
    pub key: FirehoseKeyChoice,
    /// What encrypts the objects in the destination bucket.
    pub destination_sse: DestinationSse,
    /// Buffering hint: a delivery when this many MiB are buffered (1..=128).
    pub buffer_size_mib: u32,
    /// Buffering hint: a delivery this long after the first record buffered (0..=900 s).
    #[serde(serialize_with = "ser_duration")]
    pub buffer_interval: Duration,
    /// An existing bucket to deliver to, in place of one the run creates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The role Firehose delivers as (the embedded service's `delivery` when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_role: Option<String>,
}

/// A Firehose delivery stream's encryption at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum FirehoseKeyChoice {
    /// Off: the baseline other Firehose paths are measured against.
    None,
    /// `AWS_OWNED_CMK`: no KMS request in the account.
    AwsOwned,
    /// `CUSTOMER_MANAGED_CMK`: the path's key (one the run creates, or `key` names).
    CustomerManaged,
}

/// A Firehose destination's server-side encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DestinationSse {
    /// Objects not encrypted by a KMS key.
    None,
    /// SSE-KMS under `aws/s3`.
    AwsManaged,
    /// SSE-KMS under the path's key.
    CustomerManaged,
}

/// Client-side envelope encryption settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvelopeSpec {
    /// The record format and its cipher.
    pub format: EnvelopeFormat,
    /// Key/value pairs bound to every record as AAD and sent to KMS with each data-key call.
    pub encryption_context: BTreeMap<String, String>,
    /// Data-key cache; `None` asks KMS for a data key per record.
    pub cache: Option<CacheSpec>,
}

/// How the envelope path writes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "format", rename_all = "kebab-case")]
pub enum EnvelopeFormat {
    /// An AWS Encryption SDK message, format version 2 (the default).
    Esdk {
        /// The algorithm suite.
        suite: EsdkSuiteChoice,
        /// Plaintext bytes per frame (1..=2^31-1; default 4,096).
        frame_length: u32,
    },
    /// The harness's compact format: one frame, no signature, no commitment.
    Compact {
        /// The record cipher.
        aead: Aead,
        /// Which implementation of it (default aws-lc-rs).
        aead_backend: AeadBackendChoice,
    },
}

/// The implementation of the compact format's AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
pub enum AeadBackendChoice {
    /// aws-lc-rs (AWS-LC), the default.
    #[serde(rename = "aws-lc-rs")]
    #[strum(serialize = "aws-lc-rs")]
    AwsLcRs,
    /// RustCrypto's `aes-gcm` and `chacha20poly1305`.
    #[serde(rename = "rustcrypto")]
    #[strum(serialize = "rustcrypto")]
    RustCrypto,
}

/// The AWS Encryption SDK algorithm suites the envelope path writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
pub enum EsdkSuiteChoice {
    /// `0x0578`, the ESDK's default: key commitment and an ECDSA P-384 signature.
    #[serde(rename = "aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384")]
    #[strum(
        to_string = "aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384",
        serialize = "0x0578"
    )]
    CommitKeyEcdsaP384,
    /// `0x0478`: key commitment, no signature.
    #[serde(rename = "aes-256-gcm-hkdf-sha512-commit-key")]
    #[strum(to_string = "aes-256-gcm-hkdf-sha512-commit-key", serialize = "0x0478")]
    CommitKey,
}

/// The AEAD cipher of the envelope path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
pub enum Aead {
    /// AES-256-GCM (the AWS Encryption SDK's family).
    #[serde(rename = "aes-256-gcm")]
    #[strum(serialize = "aes-256-gcm")]
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    #[serde(rename = "chacha20-poly1305")]
    #[strum(serialize = "chacha20-poly1305")]
    Chacha20Poly1305,
}

/// Data-key cache limits, like the AWS Encryption SDK's caching CMM; at least one limit is set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheSpec {
    /// Longest a data key is served after it was generated (> 0, <= 24h).
    #[serde(serialize_with = "ser_opt_duration")]
    pub max_age: Option<Duration>,
    /// Most records one data key encrypts (1..=2^32).
    pub max_messages: Option<u64>,
    /// Most plaintext bytes one data key encrypts (>= 1).
    pub max_bytes: Option<u64>,
    /// Cache entries (1..=100,000).
    pub capacity: u32,
    /// Sends that miss while a KMS call for the cache is in flight wait for its key (one
    /// call), instead of each making its own as the AWS Encryption SDK's caching CMM does
    /// (the default, false).
    pub single_flight: bool,
}

/// Kinesis server-side encryption settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseKmsSpec {
    /// Which KMS key the stream uses.
    pub key: SseKey,
    /// Data key reuse window: how long one data key serves before Kinesis asks KMS again
    /// (1s..=24h).
    #[serde(serialize_with = "ser_duration")]
    pub reuse_period: Duration,
}

/// The KMS key of an SSE-KMS stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames, IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SseKey {
    /// A key the user creates and owns.
    CustomerManaged,
    /// `alias/aws/kinesis`.
    AwsManaged,
}

/// `[kms]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsSpec {
    /// Requests per second (all operations together) before KMS throttles (1..=100,000).
    pub quota_per_sec: u32,
    /// The length of a "day" in key-deletion waiting periods on the embedded service
    /// (1ms..=24h), so a 7-day waiting period can pass in 7 s.
    #[serde(serialize_with = "ser_duration")]
    pub day_length: Duration,
}

/// `[retry]`: the harness's retry policy (exponential backoff from base to max).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrySpec {
    /// Attempts per request, the first included (1..=20).
    pub max_attempts: u32,
    /// Backoff before the second attempt (1ms..=1m).
    #[serde(serialize_with = "ser_duration")]
    pub base_backoff: Duration,
    /// Cap on any backoff (>= base_backoff, <= 5m).
    #[serde(serialize_with = "ser_duration")]
    pub max_backoff: Duration,
}

/// Serializes a duration as the humantime text a scenario file would hold ("1m 30s").
fn ser_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_duration(*d))
}

fn ser_opt_duration<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_duration(d, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scenarios/` beside the crate (in the workspace), or beside this file's workspace.
    fn shipped_dir() -> PathBuf {
        let by_manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let by_file = Path::new(file!())
            .ancestors()
            .nth(4)
            .map(|r| r.join("scenarios"));
        [Some(by_manifest), by_file]
            .into_iter()
            .flatten()
            .find(|d| d.is_dir())
            .expect("scenarios/ next to the crate")
    }

    /// The `.toml` files directly in `dir`, sorted.
    fn toml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    fn stems(files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .filter_map(|f| f.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn every_shipped_scenario_validates() {
        let files = toml_files(&shipped_dir());
        let names = stems(&files);
        for want in [
            "quickstart",
            "size-sweep",
            "key-cache",
            "rotation-hour",
            "nightly",
        ] {
            assert!(names.iter().any(|n| n == want), "missing {want}.toml");
        }
        let fault_files = toml_files(&shipped_dir().join("faults"));
        let fault_names = stems(&fault_files);
        for want in [
            "deny-producer-kms",
            "deny-consumer-decrypt",
            "kms-throttle",
            "shard-throttle",
            "disable-key",
            "key-deletion-cancelled",
            "key-deletion",
            "kms-latency",
        ] {
            assert!(
                fault_names.iter().any(|n| n == want),
                "missing faults/{want}.toml"
            );
        }
        for file in files.iter().chain(&fault_files) {
            let s = load(file).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !s.paths.is_empty() && !s.expect.is_empty(),
                "{}",
                file.display()
            );
            assert_eq!(s.source, *file);
        }
        for file in &fault_files {
            let s = load(file).unwrap_or_else(|e| panic!("{e}"));
            let text = std::fs::read_to_string(file).expect("readable");
            assert!(text.starts_with("# "), "{}: header comment", file.display());
            assert!(!s.faults.is_empty(), "{}: no faults", file.display());
            // Firehose's buffering and day of retries pass on the virtual clock; the others
            // run on the real one, briefly.
            let firehose = s
                .paths
                .iter()
                .any(|p| matches!(p.protection, Protection::Firehose(_)));
            let load = (s.warmup + s.duration).as_secs();
            if firehose {
                assert_eq!(s.clock, ClockMode::Virtual, "{}", file.display());
                assert!(load <= 60, "{}: {load} s", file.display());
            } else {
                assert_eq!(s.clock, ClockMode::Real, "{}", file.display());
                assert!((11..=22).contains(&load), "{}: {load} s", file.display());
            }
            assert_eq!(s.workload.rate_per_sec, 100.0, "{}", file.display());
            assert!(
                s.expect.iter().any(|e| e.metric == Metric::Lost),
                "{}: max_lost",
                file.display()
            );
        }
    }

    #[test]
    fn fault_scenarios_state_their_outcomes() {
        let dir = shipped_dir().join("faults");
        let texts = |name: &str| -> Vec<String> {
            let s = load(&dir.join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
            s.expect.iter().map(|e| e.text.clone()).collect()
        };
        let wants: [(&str, &[&str]); 8] = [
            (
                "deny-producer-kms",
                &[
                    "sse-kms.errors.KMSAccessDeniedException >= 1",
                    "envelope.errors.AccessDeniedException >= 1",
                    "plaintext.errors_total <= 0",
                    "sse-kms.fault.deny-0.recovery_ms <= 1500",
                    "corrupted <= 0",
                ],
            ),
            (
                "deny-consumer-decrypt",
                &[
                    "sse-kms.errors.KMSAccessDeniedException >= 1",
                    "envelope.errors.AccessDeniedException >= 1",
                    "lost <= 0",
                    "unreadable <= 0",
                ],
            ),
            (
                "kms-throttle",
                &["envelope.errors.ThrottlingException >= 1", "failed <= 0"],
            ),
            (
                "shard-throttle",
                &[
                    "errors.ProvisionedThroughputExceededException >= 1",
                    "failed <= 0",
                ],
            ),
            (
                "disable-key",
                &[
                    "sse-kms.errors.KMSDisabledException >= 1",
                    "envelope.errors.DisabledException >= 1",
                ],
            ),
            (
                "key-deletion-cancelled",
                &["sse-kms.errors.KMSInvalidStateException >= 1"],
            ),
            (
                "key-deletion",
                &[
                    "sse-kms.errors.KMSNotFoundException >= 1",
                    "sse-kms.unreadable >= 50",
                    "envelope.unreadable >= 50",
                    "envelope.errors.NotFoundException >= 1",
                ],
            ),
            ("kms-latency", &["lost <= 0"]),
        ];
        for (name, want) in wants {
            let got = texts(name);
            for w in want {
                assert!(got.iter().any(|g| g == w), "{name}: no {w:?} in {got:?}");
            }
        }

        let s = load(&dir.join("key-deletion-cancelled.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.kms.day_length, Duration::from_secs(86_400));
        let s = load(&dir.join("shard-throttle.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.faults.len(), s.retry.max_attempts), (2, 20));
    }

    #[test]
    fn readme_example_validates() {
        let readme = std::fs::read_to_string(shipped_dir().join("README.md")).expect("README");
        let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let len = readme[start..].find("```").expect("block end");
        let s = parse(&readme[start..start + len], Path::new("README.md"));
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        // Its four checks and the default schedule_kept.
        assert_eq!((s.paths.len(), s.expect.len()), (3, 5));
    }

    #[test]
    fn quickstart_matches_the_brief() {
        let s = load(&shipped_dir().join("quickstart.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.clock, ClockMode::Real);
        assert_eq!(s.stream.shards, 1);
        assert_eq!(s.workload.record_size, SizeSpec::Fixed(1024));
        assert_eq!(s.workload.api, PutApi::PutRecord);
        let kinds: Vec<_> = s.paths.iter().map(|p| p.protection.kind()).collect();
        // The three paths and the plaintext twin that measures the noise floor.
        assert_eq!(kinds, ["plaintext", "envelope", "sse-kms", "plaintext"]);
        let Protection::Envelope(env) = &s.path("envelope").expect("envelope").protection else {
            panic!("envelope path is not envelope");
        };
        let cache = env.cache.as_ref().expect("cache");
        assert_eq!(cache.max_age, Some(Duration::from_secs(300)));
        assert_eq!(cache.max_messages, Some(100_000));
        let texts: Vec<_> = s.expect.iter().map(|e| e.text.as_str()).collect();
        assert!(
            texts.contains(&"envelope.kms_calls_per_window <= 2"),
            "{texts:?}"
        );
    }

    #[test]
    fn a_plaintext_twin_is_a_second_plaintext_path_after_the_others() {
        let text =
            format!("{BASE}[[paths]]\nkind = \"envelope\"\n[control]\nplaintext_twin = true\n");
        let s = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = s.paths.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["plaintext", "envelope", TWIN]);
        assert!(matches!(s.paths[2].protection, Protection::Plaintext));
        assert_eq!(s.output.interval, Duration::from_secs(1));
    }

    #[test]
    fn rotation_hour_fits_a_small_machine() {
        let s = load(&shipped_dir().join("rotation-hour.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.clock, ClockMode::Virtual);
        assert_eq!(s.duration, Duration::from_secs(3600));
        let records = s.workload.rate_per_sec * 3600.0 * s.paths.len() as f64;
        assert!(records <= 60_000.0, "{records} records");
    }

    /// Smallest valid file; lines: 1 name, 2 duration, 3 [workload], 4 rate, 5 size, 6 [[paths]], 7 kind.
    const BASE: &str = "name = \"t\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"plaintext\"\n";

    fn parse_text(text: &str) -> Result<Scenario, ScenarioError> {
        parse(text, Path::new("scenarios/x.toml"))
    }

    #[test]
    fn applies_defaults() {
        let s = parse_text(BASE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.warmup, s.seed, s.clock),
            (Duration::ZERO, 0, ClockMode::Real)
        );
        assert_eq!(s.drain_timeout, Duration::from_secs(10));
        assert_eq!(
            s.stream,
            StreamSpec {
                shards: 1,
                mode: StreamMode::Provisioned,
                retention: None,
            }
        );
        let w = &s.workload;
        assert_eq!((w.producers, w.consumers, w.partition_keys), (1, 1, 64));
        assert_eq!(w.api, PutApi::PutRecord);
        assert_eq!(s.kms.quota_per_sec, 10_000);
        assert_eq!(s.kms.day_length, Duration::from_secs(24 * 3600));
        assert!(s.faults.is_empty());
        let r = &s.retry;
        assert_eq!(r.max_attempts, 5);
        assert_eq!(
            (r.base_backoff, r.max_backoff),
            (Duration::from_millis(10), Duration::from_secs(1))
        );
        assert_eq!(s.paths[0].name, "plaintext");
        // No [expect]: only the schedule check every run has.
        let metrics: Vec<&Metric> = s.expect.iter().map(|e| &e.metric).collect();
        assert_eq!(metrics, [&Metric::ScheduleKept]);
        assert_eq!(s.workload.max_in_flight, InFlightSpec::Auto);
    }

    #[test]
    fn applies_kind_defaults() {
        let text = format!("{BASE}[[paths]]\nkind = \"envelope\"\ncache = {{ max_bytes = 1 }}\n[[paths]]\nkind = \"sse-kms\"\n[stream]\nmode = \"on-demand\"\n");
        let text = text.replace("[workload]", "[workload]\napi = \"put-records\"");
        let s = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
        let Protection::Envelope(env) = &s.paths[1].protection else {
            panic!("not envelope")
        };
        assert_eq!(
            (env.format, env.encryption_context.len()),
            (
                EnvelopeFormat::Esdk {
                    suite: EsdkSuiteChoice::CommitKeyEcdsaP384,
                    frame_length: 4096
                },
                0
            )
        );
        let cache = CacheSpec {
            max_age: None,
            max_messages: None,
            max_bytes: Some(1),
            capacity: 100,
            single_flight: false,
        };
        assert_eq!(env.cache, Some(cache));
        let sse = SseKmsSpec {
            key: SseKey::CustomerManaged,
            reuse_period: Duration::from_secs(300),
        };
        assert_eq!(s.paths[2].protection, Protection::SseKms(sse));
        let batch = PutApi::PutRecords {
            max_records: 500,
            max_bytes: 5 << 20,
            linger: Duration::from_millis(50),
        };
        assert_eq!(s.workload.api, batch);
        assert_eq!(
            s.stream,
            StreamSpec {
                shards: 4,
                mode: StreamMode::OnDemand,
                retention: None,
            }
        );
    }

    #[test]
    fn reads_every_size_form() {
        let cases = [
            ("[64, 1024]", SizeSpec::List(vec![64, 1024])),
            (
                "{ uniform = { min_bytes = 32, max_bytes = 64 } }",
                SizeSpec::Uniform {
                    min_bytes: 32,
                    max_bytes: 64,
                },
            ),
            (
                "{ log_normal = { median_bytes = 100, sigma = 1, max_bytes = 200 } }",
                SizeSpec::LogNormal {
                    median_bytes: 100,
                    sigma: 1.0,
                    max_bytes: 200,
                },
            ),
            ("10485760", SizeSpec::Fixed(MAX_RECORD_BYTES)),
        ];
        for (toml, want) in cases {
            let s = parse_text(&BASE.replace("= 100", &format!("= {toml}")))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.workload.record_size, want, "{toml}");
        }
    }

    /// Each case: (text, the error's "file:line: field" prefix, a phrase of what would be valid).
    #[test]
    fn rejects_bad_input_naming_file_line_and_field() {
        let with = |from: &str, to: &str| BASE.replace(from, to);
        let plus = |tail: &str| format!("{BASE}{tail}");
        let cases: Vec<(String, &str, &str)> = vec![
            (with("rate_per_sec = 10", "rate_per_sec = -1"), "x.toml:4: workload.rate_per_sec", "must be > 0 and <= 50000 records/s (got -1)"),
            (with("rate_per_sec = 10", "rate_per_sec = 50001"), "x.toml:4: workload.rate_per_sec", "<= 50000"),
            (with("rate_per_sec = 10", "rate_per_sec = nan"), "x.toml:4: workload.rate_per_sec", "got NaN"),
            (with("name = \"t\"\n", ""), "x.toml: name", "required field `name` is missing"),
            (with("name = \"t\"", "name = \" \""), "x.toml:1: name", "1 to 128 printable"),
            (with("\"10s\"", "10"), "x.toml:2: duration", "expected a duration string with a unit"),
            (with("\"10s\"", "\"10 parsecs\""), "x.toml:2: duration", "like \"250ms\""),
            (with("\"10s\"", "\"0s\""), "x.toml:2: duration", "must be > 0"),
            (with("\"10s\"", "\"2h\""), "x.toml:2: duration", "use clock = \"virtual\""),
            (with("\"10s\"", "\"25h\"\nclock = \"virtual\""), "x.toml:2: duration", "<= 24h"),
            (with("\"10s\"", "\"10s\"\nwarmup = \"10s\""), "x.toml:3: warmup", "less than duration (10s)"),
            (with("\"10s\"", "\"10s\"\nclock = \"wall\""), "x.toml:3: clock", "one of \"real\", \"virtual\""),
            (with("\"10s\"", "\"10s\"\nclock = 5"), "x.toml:3: clock", "expected one of \"real\", \"virtual\""),
            (plus("[[paths]]\nkind = 3\n"), "x.toml:9: paths[1].kind", "expected one of \"plaintext\", \"envelope\", \"sse-kms\", \"firehose\""),
            (plus("[[paths]]\nkind = \"sse-kms\"\nreuse_period = \"5 fortnights\"\n"), "x.toml:10: paths[1].reuse_period", "like \"250ms\""),
            (with("\"10s\"", "\"10s\"\nseed = -1"), "x.toml:3: seed", "between 0 and"),
            (with("\"10s\"", "\"10s\"\ndrain_timeout = \"2h\""), "x.toml:3: drain_timeout", "between 1ms and 1h"),
            (plus("bogus = 1\n"), "x.toml:8: paths[0].bogus", "expected one of `kind`, `name`"),
            (with("[workload]", "colour = 1\n[workload]"), "x.toml:3: colour", "expected one of `name`"),
            (plus("[expect.sse-kms]\nmax_lost = 0\n").replace("[expect.", "[expct."), "x.toml:8: expct", "expected one of `name`"),
            (plus("[workload.batch]\nbatch = 1\n"), "x.toml:9: workload.batch.batch", "expected one of `max_records`"),
            (plus("aead = \"aes-256-gcm\"\n"), "x.toml:8: paths[0].aead", "not a setting of kind \"plaintext\""),
            (plus("[[paths]]\nkind = \"sse-kms\"\naead = \"aes-256-gcm\"\n"), "x.toml:10: paths[1].aead", "keys valid for \"sse-kms\": kind, name, stream, key, reuse_period"),
            (plus("[[paths]]\nkind = \"envelope\"\nreuse_period = \"5m\"\n"), "x.toml:10: paths[1].reuse_period", "belongs to kind \"sse-kms\""),
            (plus("[[paths]]\nname = \"p\"\n"), "x.toml:8: paths[1].kind", "required field `kind`"),
            (plus("[[paths]]\nkind = \"tls\"\n"), "x.toml:9: paths[1].kind", "one of \"plaintext\", \"envelope\", \"sse-kms\", \"firehose\""),
            (plus("[[paths]]\nkind = \"firehose\"\ndestination_sse = \"sse-s3\"\n"), "x.toml:10: paths[1].destination_sse", "one of \"none\", \"aws-managed\", \"customer-managed\""),
            (plus("[[paths]]\nkind = \"firehose\"\nbuffer_size_mib = 129\n"), "x.toml:10: paths[1].buffer_size_mib", "128"),
            (plus("[[paths]]\nkind = \"firehose\"\nbuffer_interval = \"901s\"\n"), "x.toml:10: paths[1].buffer_interval", "15m"),
            (plus("[[paths]]\nkind = \"firehose\"\nbucket = \"Bad_Bucket\"\n"), "x.toml:10: paths[1].bucket", "S3 bucket name"),
            (plus("[[paths]]\nkind = \"firehose\"\ndelivery_role = \"admin\"\n"), "x.toml:10: paths[1].delivery_role", "IAM role ARN"),
            (plus("[[paths]]\nkind = \"firehose\"\nkey = \"aws-managed\"\n"), "x.toml:10: paths[1].key", "\"aws-owned\""),
            (plus("[[paths]]\nkind = \"firehose\"\nstream = \"s\"\n"), "x.toml:10: paths[1].stream", "the run makes the path's delivery stream"),
            (plus("[[paths]]\nkind = \"sse-kms\"\nbuffer_size_mib = 1\n"), "x.toml:10: paths[1].buffer_size_mib", "belongs to kind \"firehose\""),
            (plus("[[paths]]\nkind = \"plaintext\"\n"), "x.toml:8: paths[1].name", "unique `name`"),
            (plus("[target]\ncloudtrail_wait = \"5m\"\n"), "x.toml:9: target.cloudtrail_wait", "only with kind = \"aws\""),
            (plus("[target]\nkind = \"aws\"\ncloudtrail_wait = \"3h\"\n"), "x.toml:10: target.cloudtrail_wait", "between 1s and 2h"),
            (plus("[control]\nplaintext_twin = true\n[[paths]]\nkind = \"envelope\"\nname = \"plaintext-twin\"\n"), "x.toml:9: control.plaintext_twin", "already is; rename that path"),
            (with("kind = \"plaintext\"", "kind = \"envelope\"\n[control]\nplaintext_twin = true"), "x.toml:9: control.plaintext_twin", "add a [[paths]] entry with kind = \"plaintext\""),
            (plus("[output]\ninterval = \"10ms\"\n"), "x.toml:9: output.interval", "between 100ms and 1m"),
            (plus("[[paths]]\nkind = \"envelope\"\nname = \"a.b\"\n"), "x.toml:10: paths[1].name", "ASCII letters, digits"),
            (plus("[[paths]]\nkind = \"envelope\"\nformat = \"compact\"\naead = \"des\"\n"), "x.toml:11: paths[1].aead", "\"chacha20-poly1305\""),
            (plus("[[paths]]\nkind = \"envelope\"\naead = \"aes-256-gcm\"\n"), "x.toml:10: paths[1].aead", "set format = \"compact\""),
            (plus("[[paths]]\nkind = \"envelope\"\nformat = \"compact\"\naead_backend = \"openssl\"\n"), "x.toml:11: paths[1].aead_backend", "one of \"aws-lc-rs\", \"rustcrypto\""),
            (plus("[[paths]]\nkind = \"envelope\"\naead_backend = \"rustcrypto\"\n"), "x.toml:10: paths[1].aead_backend", "set format = \"compact\" to use \"rustcrypto\""),
            (plus("[[paths]]\nkind = \"sse-kms\"\naead_backend = \"rustcrypto\"\n"), "x.toml:10: paths[1].aead_backend", "belongs to kind \"envelope\""),
            (plus("[[paths]]\nkind = \"envelope\"\nformat = \"jwe\"\n"), "x.toml:10: paths[1].format", "one of \"esdk\", \"compact\""),
            (plus("[[paths]]\nkind = \"envelope\"\nsuite = \"0x0014\"\n"), "x.toml:10: paths[1].suite", "\"aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384\""),
            (plus("[[paths]]\nkind = \"envelope\"\nframe_length = 0\n"), "x.toml:10: paths[1].frame_length", "between 1 and 2147483647"),
            (plus("[[paths]]\nkind = \"envelope\"\nformat = \"compact\"\nframe_length = 4096\n"), "x.toml:11: paths[1].frame_length", "belongs to format \"esdk\""),
            (plus("[[paths]]\nkind = \"envelope\"\n[paths.cache]\ncapacity = 3\n"), "x.toml:10: paths[1].cache", "at least one limit"),
            (plus("[[paths]]\nkind = \"envelope\"\ncache = { max_messages = 0 }\n"), "x.toml:10: paths[1].cache.max_messages", "between 1 and 4294967296"),
            (plus("[[paths]]\nkind = \"envelope\"\ncache = { max_age = \"5m\", ttl = 1 }\n"), "x.toml:10: paths[1].cache.ttl", "expected one of `max_age`"),
            (plus("[[paths]]\nkind = \"envelope\"\nencryption_context = { aws-crypto-x = \"y\" }\n"), "x.toml:10: paths[1].encryption_context.aws-crypto-x", "reserved"),
            (plus("[[paths]]\nkind = \"sse-kms\"\nkey = \"mine\"\n"), "x.toml:10: paths[1].key", "\"customer-managed\", \"aws-managed\""),
            (plus("[[paths]]\nkind = \"sse-kms\"\nreuse_period = \"500ms\"\n"), "x.toml:10: paths[1].reuse_period", "between 1s and 24h"),
            (with("[[paths]]\nkind = \"plaintext\"\n", "").replace("\"t\"", "\"t\"\npaths = []"), "x.toml:2: paths", "at least one [[paths]]"),
            (with("= 100", "= 16"), "x.toml:5: workload.record_size", "between 32 and 10485760 bytes"),
            (with("= 100", "= 10485761"), "x.toml:5: workload.record_size", "(got 10485761)"),
            (with("= 100", "= [64, 16]"), "x.toml:5: workload.record_size[1]", "(got 16)"),
            (with("= 100", "= [64, \"x\"]"), "x.toml:5: workload.record_size[1]", "expected a size in bytes"),
            (with("= 100", "= []"), "x.toml:5: workload.record_size", "1 to 1000 sizes"),
            (with("= 100", "= \"big\""), "x.toml:5: workload.record_size", "a list of sizes"),
            (with("= 100", "= { normal = {} }"), "x.toml:5: workload.record_size.normal", "expected `uniform` or `log_normal`"),
            (with("= 100", "= { uniform = { min_bytes = 100 } }"), "x.toml:5: workload.record_size.uniform.max_bytes", "missing"),
            (with("= 100", "= { uniform = { min_bytes = 100, max_bytes = 50 } }"), "x.toml:5: workload.record_size.uniform.max_bytes", ">= min_bytes (100)"),
            (with("= 100", "= { log_normal = { median_bytes = 100, sigma = 0, max_bytes = 500 } }"), "x.toml:5: workload.record_size.log_normal.sigma", "> 0 and <= 4"),
            (with("= 100", "= { log_normal = { median_bytes = 900, sigma = 1, max_bytes = 500 } }"), "x.toml:5: workload.record_size.log_normal.median_bytes", "<= max_bytes (500)"),
            (with("= 100", "= 100\napi = \"put-batch\""), "x.toml:6: workload.api", "\"put-record\", \"put-records\""),
            (with("= 100", "= 100\nbatch = { max_records = 10 }"), "x.toml:6: workload.batch", "only valid with api = \"put-records\""),
            (with("= 100", "= 100\napi = \"put-records\"\nbatch = { max_records = 501 }"), "x.toml:7: workload.batch.max_records", "between 1 and 500"),
            (with("= 100", "= 100\napi = \"put-records\"\nbatch = { max_bytes = 5242881 }"), "x.toml:7: workload.batch.max_bytes", "5 MiB"),
            (with("= 100", "= 100\nproducers = 65"), "x.toml:6: workload.producers", "between 1 and 64"),
            (with("= 100", "= 100\nconsumers = 0"), "x.toml:6: workload.consumers", "between 1 and 16"),
            (with("= 100", "= 100\npartition_keys = 100001"), "x.toml:6: workload.partition_keys", "between 1 and 100000"),
            (plus("[stream]\nshards = 65\n"), "x.toml:9: stream.shards", "between 1 and 64 shards"),
            (plus("[stream]\nretention = \"2d\"\n"), "x.toml:9: stream.retention", "must be between 1s and 24h"),
            (plus("[stream]\nmode = \"on-demand\"\nshards = 2\n"), "x.toml:10: stream.shards", "not settable with mode = \"on-demand\""),
            (plus("[kms]\nquota_per_sec = 0\n"), "x.toml:9: kms.quota_per_sec", "between 1 and 100000"),
            (plus("[retry]\nmax_attempts = 21\n"), "x.toml:9: retry.max_attempts", "between 1 and 20"),
            (plus("[retry]\nbase_backoff = \"2s\"\nmax_backoff = \"1s\"\n"), "x.toml:10: retry.max_backoff", ">= retry.base_backoff (2s)"),
            (plus("[expect]\nmax_lots = 0\n"), "x.toml:9: expect.max_lots", "valid metrics: lost, duplicated"),
            (plus("[expect.envelope]\nmax_lost = 0\n"), "x.toml:8: expect.envelope", "paths: \"plaintext\""),
            (plus("[expect]\nlost = 0\n"), "x.toml:9: expect.lost", "max_lost = N"),
        ];
        for (text, prefix, phrase) in cases {
            let err = parse_text(&text).expect_err(&text);
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("scenarios/{prefix}: ")),
                "{shown}\n--- for ---\n{text}"
            );
            assert!(
                shown.contains(phrase),
                "{shown}\n--- lacks {phrase:?} ---\n{text}"
            );
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let inputs = [
            "",
            "\u{0}",
            "[",
            "[[paths]]",
            "name = 1",
            "workload = 3",
            "expect = 1",
            "x = [[[",
            "\u{feff}name = \"é\"",
        ];
        for text in inputs {
            assert!(parse_text(text).is_err(), "{text:?}");
        }
        for cut in 0..BASE.len() {
            let _ = parse_text(&BASE[..cut]);
        }
    }

    #[test]
    fn load_names_a_missing_file() {
        let err = load(Path::new("scenarios/no-such.toml")).expect_err("missing file");
        assert!(matches!(err, ScenarioError::Read { .. }));
        assert!(err
            .to_string()
            .starts_with("scenarios/no-such.toml: cannot read"));
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn serializes_durations_as_text() {
        let s = load(&shipped_dir().join("quickstart.toml")).unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_value(&s).expect("serializes");
        assert_eq!(json["duration"], "10s");
        assert_eq!(json["paths"][1]["protection"]["kind"], "envelope");
        assert_eq!(json["paths"][1]["protection"]["cache"]["max_age"], "5m");
        assert_eq!(json["workload"]["api"]["kind"], "put-record");
        assert_eq!(json["expect"][0]["metric"], "lost");
    }
}
