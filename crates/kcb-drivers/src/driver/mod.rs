//! One driver per service (OpenMessaging Benchmark's `BenchmarkDriver`): what a path needs of
//! the service it writes to, from provisioning to teardown. Kinesis Data Streams
//! ([`kinesis::KinesisDriver`]) and Firehose ([`firehose::FirehoseDriver`]) are its two
//! implementations; the runner asks [`for_path`] for a path's driver and never names a service.
//!
//! A driver offers, for one path:
//! - what the target refuses before any request ([`Driver::refusals`]);
//! - provisioning: its destination made ready (and the key it is under), or the existing one a
//!   path names checked ([`Driver::provision`]); on a worker of a run split across machines,
//!   worker 1's waited for ([`Driver::await_ready`]);
//! - the [`Sink`] producers put into and the [`Source`] consumers read back from;
//! - what its KMS calls name in the service's log, so a path's own calls are counted;
//! - the fault targets it offers ([`Driver::throttling`]);
//! - its cost inputs: the service's own account of delivery ([`Driver::delivery`]) and which
//!   path is the reference its overhead is measured against ([`Driver::is_reference`]);
//! - teardown of what it made ([`Driver::teardown`]), and what earlier runs left of its
//!   resources, for `cleanup` ([`cleanup::Leftovers`], one per service: [`every_service`]).
//!
//! The key a path creates, its tags and alias are shared by every driver (`keys.rs`).

pub mod cleanup;
pub mod firehose;
mod keys;
pub mod kinesis;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::faults::Service as TransportService;
use crate::backend::sink::{Sink, Source};
use crate::backend::{BackendError, Principal};
use crate::emulator::Service;
use crate::result::FirehoseServiceDelivery;
use crate::scenario::{PathSpec, Protection, Scenario};

pub use keys::{create_key, existing_key, run_tags, stream_name, CREATED_BY};

/// A resource the service's KMS calls name in its log (its ARN), and how the KMS-call table
/// names a principal's calls made through it (`producer (via kinesis)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// Its ARN, as the log gives it.
    pub arn: String,
    /// The service that called KMS on the principal's behalf, if the table names it.
    pub via: Option<&'static str>,
}

/// What provisioning made, or found, for one path.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The path's destination: a stream, or a delivery stream.
    pub stream: String,
    /// The KMS key the path uses (envelope or SSE), as an id, ARN or alias.
    pub key: Option<String>,
    /// True if the harness created that key.
    pub key_created: bool,
    /// The alias the harness gave the key it created (`alias/kcb-...`).
    pub key_alias: Option<String>,
    /// True when the key is another path's (tenants sharing one key): that path's teardown
    /// removes it.
    pub key_shared: bool,
    /// The destination's ARN.
    pub stream_arn: Option<String>,
    /// True if the harness created the destination (else the scenario named an existing one).
    pub stream_created: bool,
    /// Where a delivery stream delivers (a Firehose path).
    pub destination: Option<Destination>,
}

/// Where a Firehose path's delivery stream (named as the path's `stream`) delivers.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The bucket.
    pub bucket: String,
    /// True if the harness created it (else only its objects under `prefix` are removed).
    pub bucket_created: bool,
    /// The run's objects' key prefix.
    pub prefix: String,
    /// The buffering interval, for what counts as a delayed delivery.
    pub interval: Duration,
}

/// One path as a driver sees it.
#[derive(Clone, Copy)]
pub struct PathCx<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The path.
    pub spec: &'a PathSpec,
    /// The name the run gives the path's resources (`kcb-<scenario>-<path>-<run tag>`).
    pub name: &'a str,
    /// The path whose created key this one uses in place of its own (a tenant's copy of a path
    /// whose tenants share a key).
    pub shared: Option<&'a Provisioned>,
    /// The embedded service, when it is the target (for its settings that AWS fixes).
    pub embedded: Option<&'a Service>,
}

/// How a worker of a run split across machines waits for worker 1's resources.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// When it gives up.
    pub deadline: tokio::time::Instant,
    /// This worker, as the messages name it (`2/3`).
    pub worker: String,
    /// How long it waits past the common start, for the messages.
    pub wait: Duration,
    /// How often it looks.
    pub poll: Duration,
}

impl Waiting {
    /// Whether there is still time.
    pub fn more(&self) -> bool {
        tokio::time::Instant::now() < self.deadline
    }

    /// Wait for the next look.
    pub async fn pause(&self) {
        tokio::time::sleep(self.poll).await
    }

    /// "did not appear" for `what`, with the last error.
    pub fn absent(&self, what: &str, e: impl std::fmt::Display) -> DriverError {
        DriverError::NotReady(format!(
            "worker {}: {what} did not appear while waiting {} s for worker 1 to create it ({e}); is worker 1 running against the same endpoint, scenario and --start-at?",
            self.worker,
            self.wait.as_secs()
        ))
    }

    /// "is <state>" for `what`, after the wait.
    pub fn not_ready(&self, what: &str, state: &str) -> DriverError {
        DriverError::NotReady(format!(
            "worker {}: {what} is {state} after waiting {} s for worker 1 to create it",
            self.worker,
            self.wait.as_secs()
        ))
    }

    /// Worker 1's key, by the alias it gave it.
    pub async fn key(&self, admin: &Principal, alias: &str) -> Result<String, DriverError> {
        loop {
            match existing_key(&admin.kms, alias).await {
                Ok(arn) => return Ok(arn),
                Err(_) if self.more() => self.pause().await,
                Err(e) => {
                    return Err(DriverError::NotReady(format!(
                        "worker {}: key {alias} did not appear while waiting {} s for worker 1 to create it ({e})",
                        self.worker,
                        self.wait.as_secs()
                    )))
                }
            }
        }
    }
}

/// Why a driver could not make a path ready.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// A request failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Worker 1's resources did not become ready in time.
    #[error("{0}")]
    NotReady(String),
}

/// How a service answers a `throttle` fault.
#[derive(Debug, Clone, Copy)]
pub struct Throttling {
    /// The service whose calls a `fraction` refuses, at the transport.
    pub service: TransportService,
    /// The error it answers with: code and message.
    pub error: (&'static str, &'static str),
    /// Whether it has per-shard limits a throttle can lower.
    pub shard_limits: bool,
    /// A scenario's operation name (`PutRecord`, `PutRecords`, ...) as this service calls it;
    /// `None`: the service has no such call.
    pub operation: fn(&str) -> Option<String>,
}

/// One service, as a path uses it.
#[async_trait]
pub trait Driver: Send + Sync + Debug {
    /// The service's name in results: `kinesis`, `firehose`.
    fn service(&self) -> &'static str;

    /// What its destination is called in messages: `stream`, `delivery stream`.
    fn destination_noun(&self) -> &'static str;

    /// Why this path cannot run on this target, checked before any request.
    fn refusals(&self, _spec: &PathSpec, _embedded: bool) -> Vec<String> {
        Vec::new()
    }

    /// Make the path's destination ready (and its key), or check the existing one it names.
    async fn provision(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
    ) -> Result<Provisioned, BackendError>;

    /// Worker 2 and on: worker 1's destination and key once ready, used as a run uses what it
    /// did not create (never changed or removed).
    async fn await_ready(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
        waiting: &Waiting,
    ) -> Result<Provisioned, DriverError>;

    /// Where the producers put, signed as `producer`.
    fn sink(&self, producer: &Principal, p: &Provisioned) -> Arc<dyn Sink>;

    /// Where the consumers read back from, signed as `consumer`; from `from` (since the Unix
    /// epoch) where the destination holds records that are not the run's.
    fn source(
        &self,
        consumer: &Principal,
        p: &Provisioned,
        from: Option<Duration>,
    ) -> Arc<dyn Source>;

    /// When a record read back counts as delayed (a service that buffers); `None`: never.
    fn delayed_after(&self) -> Option<Duration> {
        None
    }

    /// The resources the service's KMS calls for this path name, as its log (CloudTrail's
    /// encryption context) gives them.
    fn logged_resources(&self, p: &Provisioned) -> Vec<Logged>;

    /// Whether the service calls KMS for this path itself (calls its client never sees, that
    /// only the service's log counts).
    fn service_calls_kms(&self, spec: &PathSpec) -> bool;

    /// The window this path's KMS calls are counted in (`measured_load`: the scenario's
    /// duration; `run_length`: the whole run, drain included): how often the path asks KMS
    /// for a data key at most, so "calls per window" is the figure to compare.
    fn kms_window(
        &self,
        spec: &PathSpec,
        measured_load: Duration,
        run_length: Duration,
    ) -> Duration;

    /// Whether `spec` (a path of this service) is the reference this service's paths are
    /// measured against: the same service without encryption.
    fn is_reference(&self, spec: &PathSpec) -> bool;

    /// How a `throttle` fault reaches this service.
    fn throttling(&self) -> Throttling;

    /// The service's own account of what it delivered (a service that delivers on its own).
    fn delivery(&self, _svc: &Service, _p: &Provisioned) -> Option<FirehoseServiceDelivery> {
        None
    }

    /// Remove what provisioning made (never what the path named); keys are the runner's.
    async fn teardown(&self, admin: &Principal, p: &Provisioned);
}

/// The driver of the service a path writes to.
pub fn for_path(spec: &PathSpec) -> Arc<dyn Driver> {
    match &spec.protection {
        Protection::Firehose(f) => Arc::new(firehose::FirehoseDriver::new(f.clone())),
        Protection::Plaintext | Protection::Envelope(_) | Protection::SseKms(_) => {
            Arc::new(kinesis::KinesisDriver)
        }
    }
}

/// Every service's driver, as `cleanup` asks each for what earlier runs left of its resources
/// (a new service adds its own here).
pub fn every_service() -> [&'static dyn cleanup::Leftovers; 2] {
    [&kinesis::KinesisDriver, &firehose::FirehoseLeftovers]
}

/// Poll `ready` every 100 ms until it says yes (at most 5 minutes on the clock); the last state
/// seen names the timeout.
pub(crate) async fn poll_ready<F, Fut>(
    operation: &'static str,
    what: &str,
    mut ready: F,
) -> Result<(), BackendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Result<(), String>, BackendError>>,
{
    let mut last = String::new();
    for _ in 0..3000 {
        match ready().await? {
            Ok(()) => return Ok(()),
            Err(state) => last = state,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(BackendError::new(
        operation,
        "Timeout",
        format!("{what} did not become ready (last {last})"),
    ))
}
