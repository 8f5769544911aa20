//! The run result: the one contract between a run and everything that reads it (the report,
//! the capacity plan, the regression gate). Versioned JSON, described by the committed schema
//! `crates/kcb-result/schema/result.schema.json`, generated from these types ([`schema`]).
//!
//! Change a field here, write the schema again and raise [`SCHEMA_VERSION`] with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub mod bill;
pub mod generator;
pub mod schema;
mod settings;
mod tenants;
mod upgrade;
mod workers;

/// The name of the A/A twin path (`[control] plaintext_twin`): two identical plaintext paths
/// whose comparison is the run's noise floor.
pub const TWIN: &str = "plaintext-twin";

#[cfg(any(test, feature = "testing"))]
mod sample;
#[cfg(any(test, feature = "testing"))]
pub use sample::sample_run_result;

pub use crate::metrics::{KmsCalls, LatencySummary, Ledger, Overhead, TimelinePoint};
pub use bill::{
    BillMode, BillResult, BillService, ItemDifference, LineItem, ModeBill, ModeDifference,
    PathBill, PutSizes,
};
pub use generator::{GeneratorResult, PathGenerator};
pub use settings::{
    AeadBackendName, CacheSettings, Cipher, EnvelopeSettings, FirehoseSettings, PathKind,
    PathSettings, RecordFormat, SseKeyKind, SseSettings,
};
pub use tenants::{
    blast_radius, tenants, BlastRadius, PathTenant, TenantGroup, TenantImpact, TenantRow,
    TenantsResult,
};
pub use workers::{MergedWorkers, WorkerResult};

/// The version of the result format this build writes. It reads this one and every one from
/// [`upgrade::OLDEST_READABLE`] on (older ones are rewritten into this one's shape).
///
/// 3: a path's `settings` are typed: durations in seconds (`cache.max_age_secs`,
/// `reuse_period_secs`), the cipher as the scenario writes it ("aes-256-gcm").
/// 2: faults, timelines, crypto cost.
/// 8: `[tenants]`: a path's `tenant`, the run's `tenants`, a fault's `tenants` and
/// `blast_radius` (all optional).
/// 9: a worker's `worker` (its share, start and clock) and a merged result's `workers` (both
/// null otherwise).
/// 10: a path's `kms_calls` say who counted them (`counted_by`: service, cloudtrail, client)
/// and, when they could not be, why (`not_counted`); a data-key cache says whether it is
/// `single_flight` (every earlier one was) and `kms_calls.cache_concurrent_misses`.
/// 11: how the generator kept its schedule: the run's `generator` and each path's (null in
/// every earlier result: not judged).
/// 12: the bill: each path's `put_sizes` (its records as AWS rounds them) and `bill` (a month
/// at its rate, line by line, per capacity mode, and what it adds over its baseline), and the
/// run's `bill` (the prices used); null in every earlier result.
pub const SCHEMA_VERSION: u32 = 12;

/// Largest Kinesis record (partition key + data blob), bytes: 1 MiB.
pub const KINESIS_MAX_RECORD_BYTES: u64 = 1_048_576;

/// Largest PutRecords request, bytes: 5 MiB.
pub const PUT_RECORDS_MAX_BYTES: u64 = 5 * 1_048_576;

/// Most records in one PutRecords request.
pub const PUT_RECORDS_MAX_RECORDS: u64 = 500;

/// Errors reading or writing a result file; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    /// Reading, writing or renaming the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The result file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON or does not match the result model.
    #[error("{path}: not a valid run result: {source}")]
    Json {
        /// The result file.
        path: PathBuf,
        /// What the JSON parser said, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The file was written in a result format version this build cannot read.
    #[error("{path}: result schema_version {found} cannot be read; this build reads versions {oldest} to {supported}")]
    UnsupportedVersion {
        /// The result file.
        path: PathBuf,
        /// The version the file declares.
        found: u64,
        /// The oldest version this build reads.
        oldest: u64,
        /// The version this build writes ([`SCHEMA_VERSION`]).
        supported: u32,
    },
    /// A result of an older version could not be rewritten into this one's shape, or its
    /// parts disagree (a path's `kind` and its settings' `kind`).
    #[error("{path}: {message}")]
    Inconsistent {
        /// The result file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// A number in the result is NaN or infinite, which JSON cannot hold.
    #[error("{path}: refusing to write a result holding a NaN or infinite number: {message}")]
    NonFinite {
        /// The result file.
        path: PathBuf,
        /// Where the number is (line and column of the written JSON).
        message: String,
    },
}

/// Everything one run measured, for every path it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    /// Format version of this file ([`SCHEMA_VERSION`] when written by this build).
    pub schema_version: u32,
    /// Version of the harness that ran.
    pub harness_version: String,
    /// The scenario that ran, as validated.
    pub scenario: ScenarioEcho,
    /// The machine it ran on.
    pub machine: Machine,
    /// When the run started, RFC 3339 in UTC (see [`rfc3339_utc`]).
    pub started_at: String,
    /// Wall-clock length of the run, seconds (warm-up included).
    pub wall_secs: f64,
    /// Where Kinesis and KMS were reached: "embedded" or the endpoint URL.
    pub endpoint: String,
    /// "real" or "virtual" (a test clock that runs the schedule faster than time).
    pub clock: String,
    /// One result per protection path, in the scenario's order.
    pub paths: Vec<PathResult>,
    /// The scenario's expectations, each checked against what was measured.
    pub expectations: Vec<ExpectationResult>,
    /// Each declared fault and what it did to each path (schema 2).
    pub faults: Vec<FaultResult>,
    /// The run's measured noise floor: the A/A difference of `[control] plaintext_twin`'s
    /// second plaintext path over the first, with its intervals (None without a twin)
    /// (schema 3).
    pub noise_floor_us: Option<Overhead>,
    /// The run was stopped early (Ctrl-C, SIGTERM): its figures cover only what ran (schema 4).
    #[serde(default)]
    pub interrupted: bool,
    /// Where the run went and who each role was (schema 5).
    pub target: TargetResult,
    /// With `[tenants]`: each path's tenants side by side (schema 8; absent without tenants).
    #[serde(default)]
    pub tenants: Option<TenantsResult>,
    /// A worker's result (`run --worker I/N`): its share, start and clock (schema 9; null on
    /// one machine and in a merged result).
    #[serde(default)]
    pub worker: Option<WorkerResult>,
    /// A merged result (`merge`): the workers it combines (schema 9; null otherwise).
    #[serde(default)]
    pub workers: Option<MergedWorkers>,
    /// How the load generator kept its schedule, and the CPU it used (schema 11; null in
    /// earlier results).
    #[serde(default)]
    pub generator: Option<GeneratorResult>,
    /// The prices the paths' bills used, or why there are no bills (schema 12; null in
    /// earlier results).
    #[serde(default)]
    pub bill: Option<BillResult>,
}

/// Where a run went and who it acted as, from STS GetCallerIdentity (schema 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetResult {
    /// "embedded" (in process), "endpoint" (an endpoint URL, the harness's named principals)
    /// or "aws" (the AWS configuration's credentials, at AWS or an endpoint URL).
    pub kind: String,
    /// The region requests were signed for.
    pub region: String,
    /// The endpoint URL, if not AWS's own (None in process).
    pub endpoint_url: Option<String>,
    /// The account the credentials belong to (None where the endpoint has no STS).
    pub account: Option<String>,
    /// Each role: where its credentials came from and who they are.
    pub roles: Vec<RoleResult>,
    /// False when every role signed as one identity: least privilege was not exercised.
    pub roles_separated: bool,
}

/// One role of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleResult {
    /// admin, producer, consumer or resharder.
    pub role: String,
    /// Where its credentials came from (never a secret).
    pub source: String,
    /// Its ARN from GetCallerIdentity (None where unknown).
    pub arn: Option<String>,
}

impl TargetResult {
    /// What a result from before schema 5 implies: the endpoint label and the harness's
    /// separated principals, identities unknown.
    pub fn unknown(endpoint: &str) -> Self {
        Self {
            kind: if endpoint == "embedded" {
                "embedded"
            } else {
                "endpoint"
            }
            .to_owned(),
            // Every earlier build signed for us-east-1 unless told otherwise.
            region: "us-east-1".to_owned(),
            endpoint_url: (endpoint != "embedded").then(|| endpoint.to_owned()),
            account: None,
            roles: Vec::new(),
            roles_separated: true,
        }
    }
}

/// One declared fault: when it was in effect, what applying it did, how each path fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultResult {
    /// Name from the scenario.
    pub name: String,
    /// `deny`, `throttle`, `disable-key`, `schedule-key-deletion`, `delete-key`, `rotate-key`,
    /// `latency`, `reshard`.
    pub kind: String,
    /// Start, seconds since the start of the load.
    pub at_secs: f64,
    /// End, seconds since the start of the load (None: never lifted: a key deletion, or an
    /// event such as a reshard).
    pub end_secs: Option<f64>,
    /// False if any step could not be applied.
    pub applied: bool,
    /// What each step did, or why it could not.
    pub notes: Vec<String>,
    /// Per path it applied to.
    pub paths: Vec<FaultPathResult>,
    /// With `[tenants]`: the tenants the fault named (empty: it named none) (schema 8).
    #[serde(default)]
    pub tenants: Vec<u32>,
    /// With `[tenants]`: per path it applied to, the tenants it reached against those it
    /// targeted (schema 8).
    #[serde(default)]
    pub blast_radius: Vec<BlastRadius>,
}

/// How one path failed and recovered under one fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultPathResult {
    /// Path name.
    pub path: String,
    /// Fault start to the first error this path saw (producer or consumer), ms.
    pub first_error_ms: Option<f64>,
    /// Fault start to the first error a producer saw, ms.
    pub first_producer_error_ms: Option<f64>,
    /// Fault start to the first error a consumer saw, ms.
    pub first_consumer_error_ms: Option<f64>,
    /// Errors by name while the fault was in effect.
    pub errors_during: BTreeMap<String, u64>,
    /// Records acknowledged while the fault was in effect.
    pub puts_ok_during: u64,
    /// Records given up on while the fault was in effect.
    pub failed_during: u64,
    /// Fault end to the first record acknowledged after it, ms.
    pub recovery_ms: Option<f64>,
    /// Fault end to the first whole second with at least 90 % of the pre-fault throughput, ms.
    pub throughput_recovery_ms: Option<f64>,
    /// Put latency of records intended before the fault.
    pub latency_before_us: LatencySummary,
    /// Put latency of records intended while it was in effect.
    pub latency_during_us: LatencySummary,
    /// Put latency of records intended after it.
    pub latency_after_us: LatencySummary,
}

/// The scenario as it ran: enough to tell runs apart and replay one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioEcho {
    /// Scenario name.
    pub name: String,
    /// Scenario file it was read from.
    pub file: String,
    /// Seed of every random choice in the run.
    pub seed: u64,
    /// Measured length, seconds (after warm-up).
    pub duration_secs: f64,
    /// Warm-up before measuring, seconds.
    pub warmup_secs: f64,
    /// Target send rate, records per second.
    pub rate_per_sec: f64,
    /// Shards in the stream.
    pub shards: u32,
}

/// The machine a run ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Host name ("unknown" when it cannot be read).
    pub hostname: String,
    /// Operating system, with the kernel release where known (e.g. "linux 6.1.0").
    pub os: String,
    /// CPU architecture (e.g. "x86_64").
    pub arch: String,
    /// Logical CPUs available to the process.
    pub cpus: u32,
    /// CPU model name from /proc/cpuinfo ("unknown" when absent).
    pub cpu_model: String,
}

impl Machine {
    /// Describe this machine. Reads /proc where present; never fails or panics.
    pub fn detect() -> Machine {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let hostname = read("/proc/sys/kernel/hostname")
            .or_else(|| read("/etc/hostname"))
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unknown".to_owned());
        let os = match read("/proc/sys/kernel/osrelease") {
            Some(release) => format!("{} {}", std::env::consts::OS, release),
            None => std::env::consts::OS.to_owned(),
        };
        let cpus = std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
            .unwrap_or(1);
        let cpu_model = read("/proc/cpuinfo")
            .and_then(|text| cpu_model_from_cpuinfo(&text))
            .unwrap_or_else(|| "unknown".to_owned());
        Machine {
            hostname,
            os,
            arch: std::env::consts::ARCH.to_owned(),
            cpus,
            cpu_model,
        }
    }
}

/// The first "model name" (x86) or "Model" / "cpu model" (Arm, others) in /proc/cpuinfo text.
fn cpu_model_from_cpuinfo(text: &str) -> Option<String> {
    for wanted in ["model name", "Model", "cpu model", "cpu"] {
        for line in text.lines() {
            if let Some((key, value)) = line.split_once(':') {
                let value = value.trim();
                if key.trim() == wanted && !value.is_empty() {
                    return Some(value.to_owned());
                }
            }
        }
    }
    None
}

/// What one protection path measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathResult {
    /// The path's name in the scenario.
    pub name: String,
    /// How the path protects records: "plaintext", "envelope" or "sse-kms".
    pub kind: PathKind,
    /// The path's settings, tagged with the same kind (schema 3: typed, durations in seconds).
    pub settings: PathSettings,
    /// From intended send time to acknowledgement, µs.
    pub put_latency_us: LatencySummary,
    /// From intended send time to a verified read, µs.
    pub e2e_latency_us: LatencySummary,
    /// How far behind its intended time each send started, µs.
    pub schedule_lag_us: LatencySummary,
    /// Latency added over the plaintext path (`None` for plaintext itself, or when no
    /// plaintext path ran), µs.
    pub overhead_vs_plaintext_us: Option<Overhead>,
    /// GetRecords call latency (each successful attempt, timed at the transport: the read
    /// side's own cost, Kinesis's SSE decrypt included), µs (schema 3).
    pub get_latency_us: LatencySummary,
    /// GetRecords latency added over the plaintext path's, with its intervals (schema 3).
    pub get_overhead_vs_plaintext_us: Option<Overhead>,
    /// KMS requests this path caused.
    pub kms_calls: KmsCallsResult,
    /// How much bigger records got.
    pub inflation: Inflation,
    /// Errors by AWS error name (e.g. "KMSDisabledException").
    pub errors: BTreeMap<String, u64>,
    /// Calls and attempts made.
    pub attempts: Attempts,
    /// What happened to each record.
    pub ledger: Ledger,
    /// Per second: acknowledged, given up, errors by name (schema 2).
    pub timeline: Vec<TimelinePoint>,
    /// What client-side crypto cost (the AEAD alone, KMS calls excluded; zero for paths
    /// without client-side crypto) (schema 2).
    pub crypto: CryptoCost,
    /// The stream and key the path used, so later tools and people can find them (schema 4).
    #[serde(default)]
    pub resources: PathResources,
    /// A Firehose path's deliveries (null for the other kinds) (schema 6, optional in older).
    #[serde(default)]
    pub firehose: Option<FirehoseDelivery>,
    /// With `[tenants]`: the tenant this path is the copy for (schema 8).
    #[serde(default)]
    pub tenant: Option<PathTenant>,
    /// How the generator kept this path's schedule (schema 11; null in earlier results).
    #[serde(default)]
    pub generator: Option<PathGenerator>,
    /// The records this path put, as AWS's rounding rules count them (schema 12; null in
    /// earlier results).
    #[serde(default)]
    pub put_sizes: Option<PutSizes>,
    /// What this path would cost a month at its rate (schema 12; null in earlier results, or
    /// without a price table for the run's region).
    #[serde(default)]
    pub bill: Option<PathBill>,
}

/// A Firehose path's deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirehoseDelivery {
    /// Records read from objects written later than `delayed_after_secs` after their first
    /// record was sent (a delivery held up by a failed attempt).
    pub delayed_records: u64,
    /// The buffer interval plus half of Firehose's 5 s retry.
    pub delayed_after_secs: f64,
    /// From each record's intended send time to the write of its object in the destination:
    /// buffering (and retries) included, the consumer's read not (end to end adds it), µs.
    pub delivery_latency_us: crate::metrics::latency::LatencySummary,
    /// The embedded service's own count (absent elsewhere: CloudWatch has it on AWS).
    #[serde(default)]
    pub service: Option<FirehoseServiceDelivery>,
}

/// What the embedded service's Firehose says it delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirehoseServiceDelivery {
    /// Objects written.
    pub objects: u64,
    /// Records in them.
    pub records: u64,
    /// Of them, delivered after at least one failed attempt.
    pub retried_records: u64,
    /// Attempts that failed.
    pub failed_attempts: u64,
    /// Records dropped past the retry duration.
    pub dropped_records: u64,
    /// The last failed attempt's error name.
    pub last_error: Option<String>,
}

/// The AWS resources one path used (schema 4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathResources {
    /// The stream's name.
    pub stream: Option<String>,
    /// The stream's ARN, as DescribeStreamSummary gave it.
    pub stream_arn: Option<String>,
    /// Whether the run created the stream (and so removes it at its end); false for an
    /// existing stream the scenario named (schema 5).
    pub stream_created: bool,
    /// The KMS key's ARN (envelope, or SSE under a customer-managed key).
    pub key_arn: Option<String>,
    /// The key's alias: the one the path names (`alias/aws/kinesis` for the AWS-managed key),
    /// or the one the run gave the key it created.
    pub key_alias: Option<String>,
    /// Whether the run created the key (and so removes it at its end).
    pub key_created: bool,
}

/// Client-side crypto cost of one path (the record format and its AEAD, KMS calls excluded),
/// as CPU time on the thread that did it: measured record by record in the run, and calibrated
/// in a tight loop at the run's record sizes before the load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CryptoCost {
    /// Plaintext bytes sealed by producers.
    pub seal_bytes: u64,
    /// Records sealed.
    pub seal_records: u64,
    /// CPU time producers spent sealing, µs.
    pub seal_cpu_us: f64,
    /// Plaintext bytes opened by consumers.
    pub open_bytes: u64,
    /// Records opened.
    pub open_records: u64,
    /// CPU time consumers spent opening, µs.
    pub open_cpu_us: f64,
    /// Sealing CPU per MiB of plaintext in the run, ms; 0 when nothing was sealed.
    pub seal_ms_per_mib: f64,
    /// Opening CPU per MiB in the run, ms.
    pub open_ms_per_mib: f64,
    /// Per record size, before the load: CPU per seal and per open (the plan uses these).
    pub calibration: Vec<CryptoCalibration>,
}

/// What one record of a size costs to seal and open, calibrated before the load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CryptoCalibration {
    /// Plaintext bytes.
    pub plaintext_bytes: u64,
    /// Records sealed and opened.
    pub records: u64,
    /// CPU per seal, ns.
    pub seal_ns: f64,
    /// CPU per open, ns.
    pub open_ns: f64,
    /// Sealing CPU per MiB of plaintext at this size, ms.
    pub seal_ms_per_mib: f64,
    /// Opening CPU per MiB at this size, ms.
    pub open_ms_per_mib: f64,
}

fn per_mib(ns: f64, bytes: f64) -> f64 {
    if bytes <= 0.0 {
        0.0
    } else {
        ns / 1e6 / (bytes / 1_048_576.0)
    }
}

impl CryptoCalibration {
    /// From CPU per record at `plaintext_bytes`.
    pub fn new(plaintext_bytes: u64, records: u64, seal_ns: f64, open_ns: f64) -> Self {
        let b = plaintext_bytes as f64;
        Self {
            plaintext_bytes,
            records,
            seal_ns,
            open_ns,
            seal_ms_per_mib: per_mib(seal_ns, b),
            open_ms_per_mib: per_mib(open_ns, b),
        }
    }
}

impl CryptoCost {
    /// From totals: bytes, records and CPU ns of seals and of opens.
    pub fn from_totals(seal: (u64, u64, u64), open: (u64, u64, u64)) -> Self {
        let (seal_bytes, seal_records, seal_ns) = seal;
        let (open_bytes, open_records, open_ns) = open;
        Self {
            seal_bytes,
            seal_records,
            seal_cpu_us: seal_ns as f64 / 1e3,
            open_bytes,
            open_records,
            open_cpu_us: open_ns as f64 / 1e3,
            seal_ms_per_mib: per_mib(seal_ns as f64, seal_bytes as f64),
            open_ms_per_mib: per_mib(open_ns as f64, open_bytes as f64),
            calibration: Vec::new(),
        }
    }

    /// The calibration nearest `plaintext_bytes` (in ratio), if there is one.
    pub fn calibrated_at(&self, plaintext_bytes: u64) -> Option<&CryptoCalibration> {
        let want = plaintext_bytes.max(1) as f64;
        self.calibration.iter().min_by(|a, b| {
            let d = |c: &CryptoCalibration| (c.plaintext_bytes.max(1) as f64 / want).ln().abs();
            d(a).total_cmp(&d(b))
        })
    }
}

/// KMS requests one path caused. The counts are those of `service` when the service's own
/// count is known (the embedded KMS, or CloudTrail), else those of `client`; the warm-up's
/// calls are counted apart. The month's cost is projected from a rate that holds (the calls per
/// reuse window over the window, see `cost_basis`) and includes the path's key-months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KmsCallsResult {
    /// Requests measured (after the warm-up).
    pub total: u64,
    /// Requests during the warm-up (not in any other figure here).
    pub warmup_calls: u64,
    /// The warm-up's requests by operation name.
    pub warmup_by_operation: BTreeMap<String, u64>,
    /// Requests by operation name.
    pub by_operation: BTreeMap<String, u64>,
    /// Requests in each window of `window_secs`, from the end of the warm-up.
    pub per_window: Vec<u64>,
    /// Length of one window, seconds.
    pub window_secs: f64,
    /// The most requests in one window.
    pub max_per_window: u64,
    /// Requests per window on average.
    pub mean_per_window: f64,
    /// Calls per window at the rate the month is projected from: the figure the gate compares.
    pub calls_per_window: f64,
    /// Where the month's request rate comes from.
    pub cost_basis: String,
    /// KMS requests of a 30-day month at that rate.
    pub monthly_requests: f64,
    /// Those requests at $0.03 per 10,000, before the free tier, US dollars.
    pub request_cost_usd_per_month: f64,
    /// Customer-managed keys the path uses.
    pub customer_managed_keys: u32,
    /// Those keys at $1 a key-month, US dollars.
    pub key_cost_usd_per_month: f64,
    /// What KMS costs this path in a 30-day month: requests and key-months, US dollars.
    pub monthly_cost_usd: f64,
    /// Peak requests in one second over the KMS request quota per second.
    pub quota_share: f64,
    /// Requests counted by the harness's own KMS client.
    pub client: KmsCalls,
    /// Requests counted by the KMS service's own log (including those Kinesis makes under
    /// SSE-KMS): the embedded service's, or CloudTrail's on AWS; when known.
    pub service: Option<KmsCalls>,
    /// Who counted the figures above: `service` (the embedded service's log), `cloudtrail`
    /// (AWS's log of the account's KMS calls), `client` (the harness's own KMS client, which
    /// never sees the calls a service makes for the path).
    pub counted_by: String,
    /// Why the calls this path caused could not be counted (CloudTrail denied, unreachable,
    /// not yet delivered, or not looked up), when a service makes calls for it that the client
    /// never sees: the figures above are then not its calls, and readers say so instead.
    pub not_counted: Option<String>,
    /// An envelope path with a data-key cache: misses that met a KMS call for the cache
    /// already in flight. With `single_flight` each waited for that call's key (calls saved);
    /// without, as the AWS Encryption SDK's caching CMM does, each made a call of its own
    /// (calls single-flight would save). Null without a cache.
    pub cache_concurrent_misses: Option<u64>,
}

impl KmsCallsResult {
    /// Combine the client's and (when known) the service's counts, copying the service's to
    /// the top level when present, else the client's, and price the month with `keys`
    /// customer-managed keys.
    pub fn new(client: KmsCalls, service: Option<KmsCalls>, keys: u32) -> KmsCallsResult {
        let top = service.as_ref().unwrap_or(&client);
        let key_cost = f64::from(keys) * crate::metrics::KMS_USD_PER_KEY_MONTH;
        KmsCallsResult {
            total: top.total,
            warmup_calls: top.warmup_calls,
            warmup_by_operation: top.warmup_by_operation.clone(),
            by_operation: top.by_operation.clone(),
            per_window: top.per_window.clone(),
            window_secs: top.window_secs,
            max_per_window: top.max_per_window,
            mean_per_window: top.mean_per_window,
            calls_per_window: top.calls_per_window,
            cost_basis: top.cost_basis.clone(),
            monthly_requests: top.monthly_requests,
            request_cost_usd_per_month: top.monthly_cost_usd,
            customer_managed_keys: keys,
            key_cost_usd_per_month: key_cost,
            monthly_cost_usd: top.monthly_cost_usd + key_cost,
            quota_share: top.quota_share,
            counted_by: if service.is_some() {
                "service"
            } else {
                "client"
            }
            .into(),
            client,
            service,
            not_counted: None,
            cache_concurrent_misses: None,
        }
    }

    /// These figures are CloudTrail's (the service's count came from AWS's log).
    pub fn from_cloudtrail(mut self) -> KmsCallsResult {
        self.counted_by = "cloudtrail".into();
        self
    }

    /// The path's calls could not be counted, for `why`.
    pub fn uncounted(mut self, why: String) -> KmsCallsResult {
        self.not_counted = Some(why);
        self
    }
}

/// How much bigger records are than their plaintext, on average and size by size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inflation {
    /// Mean plaintext payload, bytes.
    pub plaintext_bytes: f64,
    /// Mean record data blob as stored, bytes.
    pub record_bytes: f64,
    /// Mean bytes per record in the request body on the wire (JSON + base64 included).
    pub wire_bytes: f64,
    /// Mean `record_bytes - plaintext_bytes`.
    pub overhead_bytes: f64,
    /// Mean `record_bytes / plaintext_bytes`.
    pub ratio: f64,
    /// Largest plaintext whose record still fits in a 1 MiB Kinesis record, bytes.
    pub max_plaintext_that_fits: u64,
    /// Records of the mean size that fit one PutRecords call (5 MiB, at most 500).
    pub records_per_5mib_batch: u64,
    /// Inflation measured at each plaintext size.
    pub by_size: Vec<SizeInflation>,
}

impl Inflation {
    /// Records of `record_bytes` each that fit one PutRecords call: 5 MiB, at most 500.
    pub fn records_per_put_records_batch(record_bytes: u64) -> u64 {
        (PUT_RECORDS_MAX_BYTES / record_bytes.max(1)).min(PUT_RECORDS_MAX_RECORDS)
    }
}

/// Inflation at one plaintext size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SizeInflation {
    /// Plaintext payload, bytes.
    pub plaintext_bytes: u64,
    /// Record data blob as stored, bytes.
    pub record_bytes: u64,
    /// Bytes of this record in the request body on the wire.
    pub wire_bytes: u64,
    /// `record_bytes - plaintext_bytes` (negative if the path compresses).
    pub overhead_bytes: i64,
    /// `record_bytes / max(plaintext_bytes, 1)`.
    pub ratio: f64,
    /// Whether the record fits the 1 MiB Kinesis record limit.
    pub fits_1mib: bool,
    /// Put latency p50 of the records of this size (µs); None when none was measured (sizes
    /// drawn from a distribution, or records that never fit).
    #[serde(default)]
    pub put_p50_us: Option<u64>,
    /// Put latency p99 of the records of this size (µs).
    #[serde(default)]
    pub put_p99_us: Option<u64>,
}

impl SizeInflation {
    /// Derive the overhead, ratio and fit from the three measured sizes.
    pub fn new(plaintext_bytes: u64, record_bytes: u64, wire_bytes: u64) -> SizeInflation {
        let overhead = i128::from(record_bytes) - i128::from(plaintext_bytes);
        SizeInflation {
            plaintext_bytes,
            record_bytes,
            wire_bytes,
            overhead_bytes: i64::try_from(overhead).unwrap_or(if overhead < 0 {
                i64::MIN
            } else {
                i64::MAX
            }),
            ratio: record_bytes as f64 / plaintext_bytes.max(1) as f64,
            fits_1mib: record_bytes <= KINESIS_MAX_RECORD_BYTES,
            put_p50_us: None,
            put_p99_us: None,
        }
    }
}

/// Calls and attempts one path made against Kinesis.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Attempts {
    /// PutRecord / PutRecords calls, each counted once however often retried.
    pub put_calls: u64,
    /// HTTP attempts of those calls (first tries plus retries).
    pub put_attempts: u64,
    /// Retries (attempts beyond the first).
    pub retries: u64,
    /// GetRecords calls.
    pub get_calls: u64,
    /// Records sent again after a partial PutRecords failure or a retried call.
    pub records_resent: u64,
}

/// Attempts of disjoint shares of one run (workers' results), added count by count.
impl<'a> std::iter::Sum<&'a Attempts> for Attempts {
    fn sum<I: Iterator<Item = &'a Attempts>>(iter: I) -> Attempts {
        iter.fold(Attempts::default(), |a, p| Attempts {
            put_calls: a.put_calls + p.put_calls,
            put_attempts: a.put_attempts + p.put_attempts,
            retries: a.retries + p.retries,
            get_calls: a.get_calls + p.get_calls,
            records_resent: a.records_resent + p.records_resent,
        })
    }
}

/// One expectation of the scenario, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectationResult {
    /// The expectation as written in the scenario.
    pub text: String,
    /// The path it concerns.
    pub path: String,
    /// The value measured, in the expectation's own unit (`None` when nothing was measured).
    pub measured: Option<f64>,
    /// Whether the expectation held.
    pub passed: bool,
}

impl RunResult {
    /// Write the result to `path` as pretty JSON (through a temporary file renamed into
    /// place, so a reader never sees half a result). Refuses NaN and infinite numbers.
    pub fn write(&self, path: &Path) -> Result<(), ResultError> {
        let json_err = |source| ResultError::Json {
            path: path.to_path_buf(),
            source,
        };
        let io_err = |source| ResultError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).map_err(json_err)?;
        text.push('\n');
        // serde_json writes NaN and infinities as null, which would not read back.
        if let Err(e) = serde_json::from_str::<RunResult>(&text) {
            return Err(ResultError::NonFinite {
                path: path.to_path_buf(),
                message: e.to_string(),
            });
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text).map_err(io_err)?;
        std::fs::rename(&tmp, path).map_err(io_err)
    }

    /// Read a result from `path`; an error when its `schema_version` is not
    /// [`SCHEMA_VERSION`] or it does not match the model.
    pub fn read(path: &Path) -> Result<RunResult, ResultError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResultError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parse a result from JSON text; `origin` names where it came from in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<RunResult, ResultError> {
        let json_err = |source| ResultError::Json {
            path: origin.to_path_buf(),
            source,
        };
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
        if let Some(found) = value.get("schema_version").and_then(|v| v.as_u64()) {
            if !(upgrade::OLDEST_READABLE..=u64::from(SCHEMA_VERSION)).contains(&found) {
                return Err(ResultError::UnsupportedVersion {
                    path: origin.to_path_buf(),
                    found,
                    oldest: upgrade::OLDEST_READABLE,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < u64::from(SCHEMA_VERSION) {
                upgrade::upgrade(&mut value, found).map_err(|message| {
                    ResultError::Inconsistent {
                        path: origin.to_path_buf(),
                        message,
                    }
                })?;
            }
        }
        let result: RunResult = serde_json::from_value(value).map_err(json_err)?;
        if let Some((i, p)) = result
            .paths
            .iter()
            .enumerate()
            .find(|(_, p)| p.kind != p.settings.kind())
        {
            return Err(ResultError::Inconsistent {
                path: origin.to_path_buf(),
                message: format!(
                    "paths[{i}] ({}): kind {:?} but settings of kind {:?}",
                    p.name,
                    p.kind.as_str(),
                    p.settings.kind().as_str()
                ),
            });
        }
        Ok(result)
    }

    /// The plaintext path's result, if one ran.
    pub fn plaintext(&self) -> Option<&PathResult> {
        self.paths.iter().find(|p| p.kind == PathKind::Plaintext)
    }

    /// The path result named `name`.
    pub fn path(&self, name: &str) -> Option<&PathResult> {
        self.paths.iter().find(|p| p.name == name)
    }

    /// The records the noise floor's two plaintext paths each put (the fewer of the two): what
    /// its percentiles are read from.
    pub fn noise_floor_records(&self) -> u64 {
        self.paths
            .iter()
            .filter(|p| p.kind == PathKind::Plaintext)
            .map(|p| p.put_latency_us.count)
            .min()
            .unwrap_or(0)
    }
}

/// `time` as RFC 3339 in UTC with millisecond precision, e.g. "2025-01-31T12:00:00.250Z".
/// Times before 1970 are written as the epoch (and times past 9999 as its last millisecond).
pub fn rfc3339_utc(time: SystemTime) -> String {
    let last = UNIX_EPOCH + std::time::Duration::from_millis(253_402_300_799_999);
    humantime::format_rfc3339_millis(time.clamp(UNIX_EPOCH, last)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SCHEMA: &str = include_str!("../../schema/result.schema.json");

    fn schema() -> Value {
        match serde_json::from_str(SCHEMA) {
            Ok(v) => v,
            Err(e) => panic!("schema is not JSON: {e}"),
        }
    }

    fn validator() -> jsonschema::Validator {
        match jsonschema::validator_for(&schema()) {
            Ok(v) => v,
            Err(e) => panic!("schema does not compile: {e}"),
        }
    }

    fn sample_json() -> Value {
        match serde_json::to_value(sample_run_result()) {
            Ok(v) => v,
            Err(e) => panic!("sample does not serialize: {e}"),
        }
    }

    fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
        v.iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect()
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kcb-result-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir.join(name)
    }

    #[test]
    fn sample_validates_against_the_schema() {
        let v = validator();
        let instance = sample_json();
        assert_eq!(errors(&v, &instance), Vec::<String>::new());
    }

    #[test]
    fn missing_required_fields_fail_the_schema() {
        let v = validator();
        for pointer in [
            "/clock",
            "/scenario/seed",
            "/machine/cpu_model",
            "/paths/0/ledger",
            "/paths/1/ledger/lost",
            "/paths/1/put_latency_us/p99",
            "/paths/1/overhead_vs_plaintext_us",
            "/paths/2/kms_calls/service",
            "/paths/2/kms_calls/client/by_key",
            "/paths/1/inflation/by_size/0/fits_1mib",
            "/paths/1/attempts/retries",
            "/expectations/0/measured",
        ] {
            let mut instance = sample_json();
            let (parent, key) = match pointer.rsplit_once('/') {
                Some(split) => split,
                None => panic!("bad pointer {pointer}"),
            };
            match instance.pointer_mut(parent).and_then(Value::as_object_mut) {
                Some(obj) => assert!(obj.remove(key).is_some(), "{pointer} not in the sample"),
                None => panic!("{parent} is not an object in the sample"),
            }
            assert!(
                !v.is_valid(&instance),
                "schema accepted a result without {pointer}"
            );
        }
    }

    #[test]
    fn unknown_fields_and_wrong_types_fail_the_schema() {
        let v = validator();
        let mut extra = sample_json();
        if let Some(obj) = extra
            .pointer_mut("/paths/0/ledger")
            .and_then(Value::as_object_mut)
        {
            obj.insert("misplaced".to_owned(), Value::from(1));
        }
        assert!(!v.is_valid(&extra));
        let mut wrong = sample_json();
        if let Some(x) = wrong.pointer_mut("/paths/0/ledger/sent") {
            *x = Value::from(-1);
        }
        assert!(!v.is_valid(&wrong));
        let mut kind = sample_json();
        if let Some(x) = kind.pointer_mut("/paths/0/kind") {
            *x = Value::from("rot13");
        }
        assert!(!v.is_valid(&kind));
    }

    /// Every object the schema closes lists each property as required, and the sample has
    /// exactly those keys: the schema and the Rust model cannot drift apart silently.
    #[test]
    fn schema_properties_match_the_model() {
        fn check(schema_node: &Value, instance: &Value, defs: &Value, at: &str) {
            let node = match schema_node.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.trim_start_matches("#/$defs/");
                    match defs.get(name) {
                        Some(d) => d,
                        None => panic!("{at}: dangling $ref {r}"),
                    }
                }
                None => schema_node,
            };
            if let Some(variants) = node.get("oneOf").and_then(Value::as_array) {
                // Tagged variants: check the one whose `kind` is the instance's.
                let resolve = |v: &'_ Value| -> Value {
                    match v.get("$ref").and_then(Value::as_str) {
                        Some(r) => defs
                            .get(r.trim_start_matches("#/$defs/"))
                            .cloned()
                            .unwrap_or(Value::Null),
                        None => v.clone(),
                    }
                };
                let kind = instance.get("kind");
                let chosen = variants
                    .iter()
                    .map(resolve)
                    .find(|v| v.pointer("/properties/kind/const") == kind);
                match chosen {
                    Some(v) => check(&v, instance, defs, at),
                    None => panic!("{at}: no variant for kind {kind:?}"),
                }
                return;
            }
            if let Some(variants) = node.get("anyOf").and_then(Value::as_array) {
                if instance.is_null() {
                    return;
                }
                for variant in variants {
                    if variant.get("type").and_then(Value::as_str) != Some("null") {
                        check(variant, instance, defs, at);
                    }
                }
                return;
            }
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                let mut declared: Vec<&str> = props.keys().map(String::as_str).collect();
                declared.sort_unstable();
                let mut required: Vec<&str> = node
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                required.sort_unstable();
                assert_eq!(declared, required, "{at}: every property must be required");
                assert_eq!(
                    node.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{at}: must be closed"
                );
                let obj = match instance.as_object() {
                    Some(o) => o,
                    None => panic!("{at}: sample is not an object"),
                };
                let mut present: Vec<&str> = obj.keys().map(String::as_str).collect();
                present.sort_unstable();
                assert_eq!(declared, present, "{at}: schema and model differ");
                for (k, sub) in props {
                    if let Some(value) = obj.get(k) {
                        check(sub, value, defs, &format!("{at}/{k}"));
                    }
                }
            } else if let Some(items) = node.get("items") {
                for (i, value) in instance.as_array().into_iter().flatten().enumerate() {
                    check(items, value, defs, &format!("{at}/{i}"));
                }
            }
        }
        let schema = schema();
        let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
        check(&schema, &sample_json(), &defs, "");
    }

    #[test]
    fn write_then_read_round_trips() {
        let path = temp_path("round-trip.json");
        let sample = sample_run_result();
        assert!(sample.write(&path).is_ok());
        match RunResult::read(&path) {
            Ok(back) => assert_eq!(back, sample),
            Err(e) => panic!("{e}"),
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn other_versions_are_refused() {
        for version in [1, u64::from(SCHEMA_VERSION) + 1] {
            let mut value = sample_json();
            value["schema_version"] = Value::from(version);
            let e = RunResult::from_json(&value.to_string(), Path::new("r.json"));
            match e {
                Err(ResultError::UnsupportedVersion {
                    found, supported, ..
                }) => assert_eq!((found, supported), (version, SCHEMA_VERSION)),
                other => panic!("expected UnsupportedVersion, got {other:?}"),
            }
        }
        let missing = temp_path("missing.json");
        assert!(matches!(
            RunResult::read(&missing),
            Err(ResultError::Io { .. })
        ));
        let e = RunResult::from_json("{\"schema_version\": 2}", Path::new("short.json"));
        match e {
            Err(err @ ResultError::Json { .. }) => assert!(err.to_string().contains("short.json")),
            other => panic!("expected a Json error, got {other:?}"),
        }
    }

    #[test]
    fn version_2_results_read_as_version_3() {
        let golden =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../harness/tests/golden/result.json");
        let text = std::fs::read_to_string(&golden).unwrap_or_default();
        let v2: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            v2["schema_version"],
            Value::from(2),
            "the golden file is version 2"
        );
        let read = match RunResult::read(&golden) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(read.schema_version, SCHEMA_VERSION);
        let envelope = read.paths.iter().find(|p| p.kind == PathKind::Envelope);
        let cache = envelope.and_then(|p| p.settings.cache());
        let v2_age = v2["paths"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["kind"] == "envelope"))
            .map(|p| p["settings"]["cache"]["max_age"].clone());
        match (cache, v2_age) {
            (Some(c), Some(Value::String(text))) => {
                let secs = humantime::parse_duration(&text)
                    .map(|d| d.as_secs_f64())
                    .ok();
                assert_eq!(c.max_age_secs, secs, "max_age {text:?}");
            }
            other => panic!("the golden file's envelope path has a cache with max_age: {other:?}"),
        }
        // What this build writes from it validates against the schema and reads back equal.
        let v3 = match serde_json::to_value(&read) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(errors(&validator(), &v3), Vec::<String>::new());
        let path = temp_path("upgraded.json");
        assert!(read.write(&path).is_ok());
        assert!(matches!(RunResult::read(&path), Ok(back) if back == read));
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_kind_that_disagrees_with_its_settings_is_refused() {
        let mut value = sample_json();
        value["paths"][0]["kind"] = Value::from("sse-kms");
        match RunResult::from_json(&value.to_string(), Path::new("r.json")) {
            Err(e @ ResultError::Inconsistent { .. }) => {
                assert!(e.to_string().contains("paths[0] (plaintext)"), "{e}")
            }
            other => panic!("expected Inconsistent, got {other:?}"),
        }
        let mut value = sample_json();
        value["paths"][2]["settings"]["reuse_period_secs"] = Value::from("5m");
        assert!(!validator().is_valid(&value));
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        let mut r = sample_run_result();
        r.wall_secs = f64::NAN;
        let path = temp_path("nan.json");
        assert!(matches!(r.write(&path), Err(ResultError::NonFinite { .. })));
        assert!(!path.exists());
    }

    #[test]
    fn kms_calls_result_prefers_the_service_count() {
        let client = KmsCalls {
            total: 5,
            ..Default::default()
        };
        let service = KmsCalls {
            total: 7,
            max_per_window: 3,
            ..Default::default()
        };
        let both = KmsCallsResult::new(client.clone(), Some(service), 1);
        assert_eq!(
            (both.total, both.max_per_window, both.client.total),
            (7, 3, 5)
        );
        let only = KmsCallsResult::new(client, None, 0);
        assert_eq!((only.total, only.service), (5, None));
    }

    #[test]
    fn the_month_adds_key_months_to_the_requests() {
        let calls = KmsCalls {
            monthly_requests: 17_280.0,
            monthly_cost_usd: crate::metrics::monthly_cost_usd(17_280.0),
            ..Default::default()
        };
        let r = KmsCallsResult::new(calls, None, 1);
        // 17,280 requests at $0.03 per 10,000 = $0.05184, plus one key-month.
        assert!((r.request_cost_usd_per_month - 0.05184).abs() < 1e-12);
        assert_eq!(r.key_cost_usd_per_month, 1.0);
        assert!((r.monthly_cost_usd - 1.05184).abs() < 1e-12);
    }

    #[test]
    fn size_inflation_by_hand() {
        let s = SizeInflation::new(16, 609, 864);
        assert_eq!(s.overhead_bytes, 593);
        assert!((s.ratio - 609.0 / 16.0).abs() < 1e-12);
        assert!(s.fits_1mib);
        assert!(!SizeInflation::new(1_048_576, 1_048_577, 0).fits_1mib);
        assert_eq!(SizeInflation::new(0, 10, 10).ratio, 10.0);
        assert_eq!(Inflation::records_per_put_records_batch(1_024), 500);
        assert_eq!(Inflation::records_per_put_records_batch(1_048_576), 5);
        assert_eq!(Inflation::records_per_put_records_batch(0), 500);
    }

    #[test]
    fn rfc3339_by_hand() {
        let at = |s: u64, ms: u64| UNIX_EPOCH + std::time::Duration::from_millis(s * 1_000 + ms);
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(
            rfc3339_utc(at(1_738_324_800, 250)),
            "2025-01-31T12:00:00.250Z"
        );
        assert_eq!(
            rfc3339_utc(at(4_107_542_399, 999)),
            "2100-02-28T23:59:59.999Z"
        );
    }

    #[test]
    fn machine_detect_never_fails() {
        let m = Machine::detect();
        assert!(m.cpus >= 1);
        assert!(!m.hostname.is_empty() && !m.os.is_empty() && !m.cpu_model.is_empty());
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 17\nmodel name\t: AMD EPYC 9R14\n";
        assert_eq!(
            cpu_model_from_cpuinfo(text).as_deref(),
            Some("AMD EPYC 9R14")
        );
        assert_eq!(
            cpu_model_from_cpuinfo("Model : Raspberry Pi 4").as_deref(),
            Some("Raspberry Pi 4")
        );
        assert_eq!(cpu_model_from_cpuinfo("nothing here"), None);
    }
}
