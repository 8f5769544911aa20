//! One scenario run: provision each path, run the open-loop load on every path side by side,
//! drain the consumers, collect a `RunResult`, tear down.

pub mod budget;
pub mod capacity;
pub mod collect;
pub mod expect;
pub mod lanes;
pub mod output;
mod phases;
pub mod setup;
pub mod target;
pub mod trail;
pub mod workers;

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;

use crate::backend::{
    BackendError, Credentials, Observation, Principal, Role, Target, TransportFaults, TransportLog,
};
use crate::clock::SharedClock;
use crate::driver::{Driver, PathCx, Provisioned};
use crate::emulator::Service;
use crate::fault::{self, Engine, FaultWindow, PathTarget, World};
use crate::metrics::ledger::LedgerTracker;
use crate::metrics::IntervalSeries;
use crate::metrics::Timeline;
use crate::result::{self, Machine, RunResult, ScenarioEcho};
use crate::scenario::{ClockMode, PathSpec, Scenario};
use crate::workload::context::Attempts;
use crate::workload::pacer::Pairing;
use crate::workload::{consumer, producer, PathRun, RetryPolicy, RunClock, WorkerShare};

/// Why a run could not be carried out (a measured failure is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Setting up a path's stream or key failed.
    #[error("setting up path '{path}': {error}")]
    Setup {
        /// The path.
        path: String,
        /// The cause.
        error: BackendError,
    },
    /// A task of the run failed to finish.
    #[error("a producer or consumer task failed: {0}")]
    Task(String),
    /// The scenario may not run on this target (checked before any request).
    #[error("refused before any request:\n  {}", .0.join("\n  "))]
    Refused(Vec<String>),
    /// The target or a role's credentials could not be used (before anything was created).
    #[error("{0}")]
    Target(String),
}

/// A finished run: the result and the histograms behind it.
pub struct RunOutput {
    /// The result.
    pub result: RunResult,
    /// Each path's runs state, kept for the histograms.
    pub paths: Vec<Arc<PathRun>>,
    /// When the load started (wall clock): the interval log's start.
    pub load_started: SystemTime,
    /// How long the run lasted on its clock from the start of the load (drain included).
    pub length: Duration,
    /// When measuring began, since the start of the load (the end of the warm-up).
    pub measured_from: Duration,
    /// What the run made and left in place (`keep`): every path's stream and key.
    pub kept: Vec<setup::Provisioned>,
}

/// Where the load goes and what clock it keeps.
pub struct RunEnv {
    /// Clients' target.
    pub target: Target,
    /// How each role's clients sign.
    pub credentials: Credentials,
    /// The embedded service, when that is the target (for its control interface and counts).
    pub service: Option<Service>,
    /// The clock (tokio's paused clock for virtual runs).
    pub clock: SharedClock,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
    /// Leave what the run made (streams, keys) in place at the end instead of removing it.
    pub keep: bool,
    /// Stops the run early when triggered (the binary's Ctrl-C / SIGTERM handler).
    pub interrupt: Arc<crate::interrupt::Interrupt>,
    /// Let key faults change the keys this run creates off the embedded service.
    pub allow_destructive: bool,
    /// Refuse a scenario whose rates pass a stream's, Firehose's or KMS's limits (`--strict`)
    /// instead of warning.
    pub strict: bool,
    /// Refuse any other account.
    pub expect_account: Option<String>,
    /// The run's tag: the last part of its resources' names, its `kcb-run` tag, its STS
    /// session name's.
    pub run_tag: String,
    /// This process's share of a run split across machines (1 of 1 on one).
    pub worker: WorkerShare,
    /// The common start every worker waits for (`--start-at`, or the scenario's `start_at`).
    pub start_at: Option<SystemTime>,
    /// Whether the services' KMS calls are counted from CloudTrail (on AWS), and how long the
    /// run waits for them.
    pub cloudtrail: trail::CloudTrail,
    /// The prices the run's bills use (`--prices`) and where they came from; `None`: the
    /// shipped table of the run's region, if there is one.
    pub prices: Option<(crate::bill::PriceTable, String)>,
}

/// How a run is carried out, beyond its scenario and target.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
    /// Leave the streams and keys the run made in place (listed in [`RunOutput::kept`]); meant
    /// for an endpoint that outlives the run.
    pub keep: bool,
    /// Stops the run early when triggered.
    pub interrupt: Arc<crate::interrupt::Interrupt>,
    /// Run against AWS (or `endpoint_url` in it) with the AWS configuration's credentials;
    /// the `endpoint` argument is then ignored.
    pub aws: Option<crate::backend::aws::AwsSetup>,
    /// Let key faults change the keys this run creates off the embedded service
    /// (`--allow-destructive`).
    pub allow_destructive: bool,
    /// Refuse a scenario whose rates pass a stream's, Firehose's or KMS's limits (`--strict`)
    /// instead of warning.
    pub strict: bool,
    /// Refuse to run in any account but this one (`--expect-account`, or `[target]
    /// expect_account`).
    pub expect_account: Option<String>,
    /// The run's tag ([`run_tag`]), when the caller chose it (for the STS session name).
    pub run_tag: Option<String>,
    /// This process's share of a run split across machines (`--worker I/N`).
    pub worker: WorkerShare,
    /// The common start to wait for (`--start-at`; else the scenario's `start_at`).
    pub start_at: Option<SystemTime>,
    /// The prices the run's bills use (`--prices`) and where they came from; `None`: the
    /// shipped table of the run's region, if there is one.
    pub prices: Option<(crate::bill::PriceTable, String)>,
    /// On AWS, do not look the services' KMS calls up in CloudTrail (`--no-cloudtrail`).
    pub no_cloudtrail: bool,
}

impl RunEnv {
    /// The admin role's clients (provisioning, key faults, teardown), unobserved.
    pub fn admin(&self) -> Principal {
        self.principal(Role::Admin)
    }

    /// A role's clients, unobserved (the control plane: provisioning, key faults, reshards).
    pub fn principal(&self, role: Role) -> Principal {
        let obs = Observation::plain(role.name(), TransportLog::new(), self.clock.clone());
        Principal::for_role(&self.target, &self.credentials, role, obs)
    }
}

/// The async runtime a run needs: a paused current-thread runtime for the virtual clock (time
/// moves only when every task waits), else two worker threads.
pub fn runtime(virtual_clock: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if virtual_clock {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
}

/// Run `scenario` on a fresh embedded service, or against `endpoint` (URL, region). Call inside
/// the runtime [`runtime`] made for the scenario's clock.
pub async fn run_scenario(
    scenario: Arc<Scenario>,
    endpoint: Option<(String, String)>,
    progress: bool,
) -> Result<RunOutput, RunError> {
    let options = RunOptions {
        progress,
        ..RunOptions::default()
    };
    run_scenario_with(scenario, endpoint, options).await
}

/// [`run_scenario`] with [`RunOptions`]: keep what the run made, stop it early on a trigger.
pub async fn run_scenario_with(
    scenario: Arc<Scenario>,
    endpoint: Option<(String, String)>,
    options: RunOptions,
) -> Result<RunOutput, RunError> {
    let virtual_clock = scenario.clock == ClockMode::Virtual;
    let clock: SharedClock = if virtual_clock {
        Arc::new(crate::clock::TokioClock::new())
    } else {
        Arc::new(crate::clock::SystemClock)
    };
    let mut credentials = Credentials::named_principals();
    let cloudtrail = match (&options.aws, options.no_cloudtrail) {
        (None, _) => trail::CloudTrail::Off,
        (Some(_), true) => trail::CloudTrail::Skipped,
        (Some(_), false) if !options.worker.is_whole() => trail::CloudTrail::Worker,
        (Some(_), false) => trail::CloudTrail::Wait(scenario.target.cloudtrail_wait),
    };
    let (target, service) = match (options.aws, endpoint) {
        (Some(setup), _) => {
            let (target, creds) = crate::backend::aws::load(&setup)
                .await
                .map_err(|e| RunError::Target(e.to_string()))?;
            credentials = creds;
            (target, None)
        }
        (None, Some((url, region))) => (Target::Endpoint { url, region }, None),
        (None, None) => {
            // In process the service trusts the access key the SDK signed with; the loopback
            // server checks signatures.
            // A "day" of the service: key-deletion waiting periods and Firehose's 24 h of
            // delivery retries (`[kms] day_length`).
            let config = crate::emulator::ServiceConfig {
                verify_signatures: false,
                kms_day: scenario.kms.day_length,
                ..Default::default()
            };
            let svc = Service::new(config, clock.clone());
            (Target::Embedded(svc.clone()), Some(svc))
        }
    };
    let expect_account = options
        .expect_account
        .or_else(|| scenario.target.expect_account.clone());
    let start_at = options.start_at.or(scenario.start_at);
    let tag = options.run_tag.unwrap_or_else(|| match start_at {
        // Every worker of a run names the same streams and keys.
        Some(at) if !options.worker.is_whole() => workers::run_tag(&scenario, at),
        _ => run_tag(&scenario),
    });
    run(
        scenario,
        RunEnv {
            target,
            credentials,
            service,
            clock,
            progress: options.progress,
            keep: options.keep,
            interrupt: options.interrupt,
            allow_destructive: options.allow_destructive,
            strict: options.strict,
            expect_account,
            run_tag: tag,
            worker: options.worker,
            start_at,
            cloudtrail,
            prices: options.prices,
        },
    )
    .await
}

/// A fresh tag for a run of `scenario`: 8 hex digits from the time and the seed.
pub fn run_tag(scenario: &Scenario) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    format!("{:08x}", (nanos ^ scenario.seed.rotate_left(17)) as u32)
}

/// Each path's destination and key, made by its driver in the scenario's order (a tenant's copy
/// sharing its first copy's key comes after it); on a failure, what was made is removed.
async fn provision_all(
    scenario: &Scenario,
    env: &RunEnv,
    drivers: &[Arc<dyn Driver>],
) -> Result<Vec<Provisioned>, RunError> {
    let admin = env.admin();
    let mut made = Vec::new();
    for (spec, driver) in scenario.paths.iter().zip(drivers) {
        let name = crate::driver::stream_name(&scenario.name, &spec.name, &env.run_tag);
        let cx = PathCx {
            scenario,
            spec,
            name: &name,
            shared: shared_key_owner(scenario, spec, &made),
            embedded: env.service.as_ref(),
        };
        match driver.provision(&admin, cx).await {
            Ok(p) => {
                env.interrupt
                    .made(format!("{} {}", driver.destination_noun(), p.stream));
                if let (Some(key), true, false) = (&p.key, p.key_created, p.key_shared) {
                    env.interrupt.made(format!("key {key}"));
                }
                made.push(p)
            }
            Err(source) => {
                setup::teardown(env, drivers, &made).await;
                env.interrupt.removed_all();
                return Err(RunError::Setup {
                    path: spec.name.clone(),
                    error: source,
                });
            }
        }
    }
    Ok(made)
}

/// For a tenant's copy of a path whose tenants share one key: what setup made for the first
/// tenant's copy, whose key it uses (the first tenant's copy creates it).
fn shared_key_owner<'a>(
    scenario: &Scenario,
    spec: &PathSpec,
    made: &'a [Provisioned],
) -> Option<&'a Provisioned> {
    let t = spec.tenant.as_ref()?;
    if t.key != Some(crate::scenario::TenantKey::Shared) || t.index == 1 {
        return None;
    }
    let first = crate::scenario::TenantOf::path_name(&t.group, 1);
    let at = scenario.paths.iter().position(|p| p.name == first)?;
    made.get(at)
}

/// The end of the load (warm-up and measured duration), since its start.
fn load_end(scenario: &Scenario) -> Duration {
    scenario.warmup + scenario.duration
}

/// The windows of the faults that apply to `path` and, with `[tenants]`, of those that apply to
/// another tenant's copy of it: a tenant's path watches every fault on its group, so the result
/// can say which tenants a fault reached (its blast radius) against those it targeted.
fn fault_windows(scenario: &Scenario, path: &str) -> Vec<FaultWindow> {
    let group = scenario
        .path(path)
        .and_then(|p| p.tenant.as_ref())
        .map(|t| t.group.as_str());
    let on_group = |f: &crate::scenario::FaultSpec| {
        group.is_some_and(|g| {
            f.paths.iter().any(|name| {
                scenario
                    .path(name)
                    .and_then(|p| p.tenant.as_ref())
                    .is_some_and(|t| t.group == g)
            })
        })
    };
    scenario
        .faults
        .iter()
        .enumerate()
        .filter(|(_, f)| f.applies_to(path) || on_group(f))
        .map(|(i, f)| {
            let (start, end) = fault::plan::window(f, load_end(scenario));
            FaultWindow::new(i, start, end, scenario.warmup)
        })
        .collect()
}

/// The read-side call timed at the transport.
pub const GET_RECORDS: &str = "GetRecords";

/// How long the crypto calibration of one path may take, before the load.
const CALIBRATION_BUDGET: Duration = Duration::from_millis(100);

/// The record sizes the crypto is calibrated at: the scenario's named sizes (at most 8, spread
/// over them).
fn calibration_sizes(scenario: &Scenario) -> Vec<u64> {
    let all = crate::workload::sizes::named_sizes(&scenario.workload.record_size);
    if all.len() <= 8 {
        return all;
    }
    (0..8).map(|i| all[i * (all.len() - 1) / 7]).collect()
}

fn path_runs(
    scenario: &Arc<Scenario>,
    env: &RunEnv,
    drivers: &[Arc<dyn Driver>],
    made: &[Provisioned],
    clock: &RunClock,
) -> Vec<Arc<PathRun>> {
    let retry = RetryPolicy {
        max_attempts: scenario.retry.max_attempts,
        base_backoff: scenario.retry.base_backoff,
        max_backoff: scenario.retry.max_backoff,
    };
    scenario
        .paths
        .iter()
        .zip(made)
        .zip(drivers)
        .enumerate()
        .map(|(index, ((spec, p), driver))| {
            let log = TransportLog::new();
            // GetRecords calls are timed at the transport: the read side's own latency.
            log.time_calls(
                &[GET_RECORDS],
                clock.start(),
                scenario.warmup,
                scenario.output.interval,
            );
            let seed = producer::seed_for(scenario.seed, &spec.name, u64::MAX);
            let transport_faults = TransportFaults::new(seed, clock.is_virtual(), clock.ticker());
            let role = |role: Role| {
                let obs = Observation {
                    who: role.name().to_owned(),
                    log: log.clone(),
                    clock: env.clock.clone(),
                    faults: transport_faults.clone(),
                };
                Principal::for_role(&env.target, &env.credentials, role, obs)
            };
            let (producer, consumer) = (role(Role::Producer), role(Role::Consumer));
            let path = crate::path::Path::for_spec(spec, p.key.as_deref(), &producer, &consumer);
            let calibration = path.calibrate(&calibration_sizes(scenario), CALIBRATION_BUDGET);
            Arc::new(PathRun {
                name: spec.name.clone(),
                path,
                calibration,
                sink: driver.sink(&producer, p),
                source: driver.source(&consumer, p, reads_from(env, p)),
                delayed_after: driver.delayed_after(),
                delayed: AtomicU64::new(0),
                delivery_latency: IntervalSeries::new(scenario.output.interval),
                log,
                scenario: scenario.clone(),
                clock: clock.clone(),
                retry,
                ledger: LedgerTracker::new(),
                put_latency: IntervalSeries::new(scenario.output.interval),
                e2e_latency: IntervalSeries::new(scenario.output.interval),
                lag: IntervalSeries::new(scenario.output.interval),
                sends: Default::default(),
                errors: Mutex::new(BTreeMap::new()),
                attempts: Attempts::default(),
                sizes: Mutex::new(BTreeMap::new()),
                size_latency: Mutex::new(BTreeMap::new()),
                sealed: Mutex::new(Default::default()),
                acks: Mutex::new(HashMap::new()),
                timeline: Timeline::new(),
                fault_windows: fault_windows(scenario, &spec.name),
                worker: env.worker,
                pairing: Pairing {
                    index,
                    paths: scenario.paths.len(),
                    seed: producer::seed_for(scenario.seed, "rounds", 0),
                },
                transport_faults,
                producers_left: AtomicU64::new(scenario.workload.producers as u64),
                stop: AtomicBool::new(false),
                interrupt: env.interrupt.clone(),
                ended: Default::default(),
                checkpoints: Default::default(),
            })
        })
        .collect()
}

/// Where a path's consumers start reading: a stream the run created from its first record; an
/// existing stream from now (its older records are not the run's) or, for a worker, from a
/// minute before the common start (its clock may be ahead of the stream's). A worker reads the
/// streams worker 1 created from their first record, whatever its clock says.
fn reads_from(env: &RunEnv, p: &Provisioned) -> Option<Duration> {
    if p.stream_created {
        return None;
    }
    if env.worker.is_whole() {
        return Some(env.clock.now());
    }
    if p.stream.ends_with(&env.run_tag) {
        return None; // worker 1 made it for this run
    }
    let start = env.start_at.unwrap_or_else(SystemTime::now);
    let since_epoch = start
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Some(since_epoch.saturating_sub(Duration::from_secs(60)))
}

fn progress_bar(
    scenario: &Scenario,
    clock: &RunClock,
    show: bool,
) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    if !show
        || !std::io::stdout().is_terminal()
        || !std::io::stderr().is_terminal()
        || scenario.clock == ClockMode::Virtual
    {
        return None;
    }
    let total = scenario.duration.as_millis() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {elapsed}/{duration}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(scenario.name.clone());
    let (b, c) = (bar.clone(), clock.clone());
    let task = tokio::spawn(async move {
        loop {
            b.set_position((c.elapsed().as_millis() as u64).min(total));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Some((bar, task))
}

/// Drain: wait until every acknowledged record is read (or unreadable) or the drain time is up.
async fn drain(runs: &[Arc<PathRun>], clock: &RunClock, drain_timeout: Duration) {
    let deadline = clock.elapsed() + drain_timeout;
    loop {
        let drained = runs.iter().all(|r| r.ledger.awaiting_read() == 0);
        if drained || clock.elapsed() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    runs.iter()
        .for_each(|r| r.stop.store(true, Ordering::SeqCst));
}

fn engine(
    scenario: &Scenario,
    env: &RunEnv,
    runs: &[Arc<PathRun>],
    (drivers, made): (&[Arc<dyn Driver>], &[Provisioned]),
    deny_roles: crate::fault::world::DenyRoles,
) -> Arc<Engine> {
    let targets = runs
        .iter()
        .zip(made)
        .zip(drivers)
        .map(|((r, p), d)| PathTarget {
            name: r.name.clone(),
            kind: r.path.kind(),
            throttling: d.throttling(),
            stream: p.stream.clone(),
            key: p.key.clone(),
            key_created: p.key_created,
            transport: r.transport_faults.clone(),
        })
        .collect();
    let world = World {
        targets,
        service: env.service.clone(),
        admin: env.admin(),
        resharder: env.principal(Role::Resharder),
        deny_roles,
        keys: Default::default(),
        seed: producer::seed_for(scenario.seed, "faults", 0),
        carried_out_by: (env.worker.index != 1)
            .then(|| format!("worker 1 of {}", env.worker.count)),
    };
    Arc::new(Engine::new(scenario.faults.clone(), world))
}

/// How often the embedded service is told what the consumers have read, to trim it.
const TRIM_EVERY: Duration = Duration::from_secs(1);

/// On the embedded service: every [`TRIM_EVERY`], drop what every path's consumers have read
/// and verified (the service's departure from AWS's retention, which keeps a long run's memory
/// flat; no consumer of the run reads a record twice).
fn trimmer(service: Option<Service>, runs: &[Arc<PathRun>]) -> Option<tokio::task::JoinHandle<()>> {
    let svc = service?;
    let runs = runs.to_vec();
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(TRIM_EVERY).await;
            for r in &runs {
                let stream = r.sink.destination().to_owned();
                for (shard, seq) in r.take_checkpoints() {
                    svc.control().trim_read(&stream, &shard, &seq);
                }
            }
        }
    }))
}

async fn load(
    runs: &[Arc<PathRun>],
    scenario: &Scenario,
    engine: &Arc<Engine>,
    service: Option<Service>,
) -> Result<Duration, String> {
    let Some(clock) = runs.first().map(|r| r.clock.clone()) else {
        return Ok(Duration::ZERO);
    };
    let trim = trimmer(service, runs);
    let actions = fault::plan(&scenario.faults, load_end(scenario));
    let faults = tokio::spawn(engine.clone().run(actions, clock.clone()));
    let readers = lanes::Lane::readers(clock.is_virtual());
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    for run in runs {
        let n = scenario.workload.producers as u64;
        for k in 0..n {
            producers.push(tokio::spawn(producer::run(run.clone(), k, n)));
        }
        let shards =
            run.source.partitions().await.map_err(|e| {
                format!("listing the partitions of {}: {e}", run.sink.destination())
            })?;
        let c = scenario.workload.consumers.max(1) as usize;
        let of = c.min(shards.len().max(1)) as u64;
        for k in 0..of {
            consumers.push(readers.spawn(consumer::run(run.clone(), k, of)));
        }
    }
    for p in producers {
        p.await.map_err(|e| e.to_string())?;
    }
    // The load is over: every fault still in effect is lifted before the drain (a deleted key
    // stays deleted), so the drain measures what is recoverable. An interrupted run stops
    // waiting for the load's end and drains briefly.
    let interrupt = runs[0].interrupt.clone();
    tokio::select! {
        _ = clock.sleep_until(load_end(scenario)) => {}
        _ = interrupt.wait() => {}
    }
    let stopped = clock.elapsed();
    faults.abort();
    engine.lift_all(stopped).await;
    let drain_for = if interrupt.is_set() {
        scenario
            .drain_timeout
            .min(crate::interrupt::INTERRUPTED_DRAIN)
    } else {
        scenario.drain_timeout
    };
    drain(runs, &clock, drain_for).await;
    for c in consumers {
        c.await.map_err(|e| e.to_string())?;
    }
    if let Some(t) = trim {
        t.abort();
    }
    Ok(stopped)
}

/// Run a scenario, phase by phase, each handing the next what it made: the target (refusals,
/// identities) -> provision (each path's driver) -> the start -> load (with the faults) and
/// drain -> collect -> teardown.
pub async fn run(scenario: Arc<Scenario>, env: RunEnv) -> Result<RunOutput, RunError> {
    let began = (SystemTime::now(), Instant::now());
    let targeted = phases::target(&scenario, &env).await?;
    let made = phases::provision(&scenario, &env).await?;
    let start = phases::start(&scenario, &env, &made).await;
    let loaded = phases::load(&scenario, &env, &made, &start, targeted.denies).await;
    let trail = phases::trail(&env, &start, &targeted.who).await;
    let result = phases::collect(
        &scenario,
        &env,
        (&made, &start, &loaded),
        trail,
        began,
        (targeted.who, targeted.capacity),
    );
    let kept = phases::teardown(&env, made).await;
    Ok(RunOutput {
        result: result?,
        paths: loaded.runs,
        load_started: start.load_started,
        length: loaded.length,
        measured_from: scenario.warmup,
        kept,
    })
}

/// The KMS log a run's service calls are counted from.
enum ServiceLog {
    /// Read: its events, the admin as it names it, whether it was CloudTrail's.
    Read {
        events: Vec<crate::emulator::kms::KmsCallEvent>,
        admin: String,
        cloudtrail: bool,
    },
    /// Not read, and why: a path a service calls KMS for is not counted.
    Unread(String),
}

/// The embedded service's KMS log, CloudTrail's, or why there is none.
fn service_log(env: &RunEnv, trail: Option<trail::Trail>) -> ServiceLog {
    if let Some(svc) = &env.service {
        return ServiceLog::Read {
            events: svc.control().kms_calls(),
            admin: crate::emulator::iam::ADMIN.to_owned(),
            cloudtrail: false,
        };
    }
    match (trail, env.cloudtrail) {
        (Some(trail::Trail::Counted { events, admin, .. }), _) => ServiceLog::Read {
            events,
            admin,
            cloudtrail: true,
        },
        (Some(trail::Trail::NotCounted(why)), _) => ServiceLog::Unread(why),
        (None, trail::CloudTrail::Skipped) => {
            ServiceLog::Unread("CloudTrail was not looked up (--no-cloudtrail)".into())
        }
        (None, trail::CloudTrail::Worker) => ServiceLog::Unread(
            "a worker of a run split across machines does not look CloudTrail up (its count is the whole run's)".into(),
        ),
        (None, _) => ServiceLog::Unread(
            "the endpoint's own KMS log is not read (only the embedded service's, and CloudTrail's with --target aws)".into(),
        ),
    }
}

fn collect_all(
    scenario: &Scenario,
    env: &RunEnv,
    runs: &[Arc<PathRun>],
    (drivers, made): (&[Arc<dyn Driver>], &[Provisioned]),
    length: Duration,
    (started, wall): (SystemTime, Duration),
    (target, trail): (crate::result::TargetResult, Option<trail::Trail>),
) -> RunResult {
    let log = service_log(env, trail);
    // A path's reference: the first path of its service without encryption (its driver says
    // which that is).
    let reference = |d: &Arc<dyn Driver>| {
        scenario
            .paths
            .iter()
            .zip(drivers)
            .zip(runs)
            .find(|((spec, other), _)| other.service() == d.service() && other.is_reference(spec))
            .map(|(_, run)| run.clone())
    };
    let paths: Vec<_> = runs
        .iter()
        .zip(&scenario.paths)
        .zip(made)
        .zip(drivers)
        .map(|(((run, spec), p), driver)| {
            let span = collect::span(driver.as_ref(), spec, run, length);
            let service = match &log {
                ServiceLog::Read {
                    events,
                    admin,
                    cloudtrail,
                } => Some(collect::service_calls(
                    events,
                    run,
                    &driver.logged_resources(p),
                    (p.key.as_deref(), collect::tenant_context(spec)),
                    collect::LogSource {
                        admin,
                        whole_seconds: *cloudtrail,
                    },
                    span,
                )),
                ServiceLog::Unread(_) => None,
            };
            let c = collect::Collected {
                run,
                spec,
                service,
                length,
                span,
            };
            let mut r = collect::path_result(c, reference(driver).as_deref());
            match &log {
                ServiceLog::Read {
                    cloudtrail: true, ..
                } => {
                    r.kms_calls = r.kms_calls.from_cloudtrail();
                }
                ServiceLog::Unread(why) if driver.service_calls_kms(spec) => {
                    r.kms_calls = r.kms_calls.uncounted(why.clone());
                }
                _ => {}
            }
            r.resources = collect::resources(p);
            r.firehose = run
                .delayed_after
                .map(|after| crate::result::FirehoseDelivery {
                    delayed_records: run.delayed.load(std::sync::atomic::Ordering::Relaxed),
                    delayed_after_secs: after.as_secs_f64(),
                    delivery_latency_us: run.delivery_latency.summary(),
                    service: env.service.as_ref().and_then(|s| driver.delivery(s, p)),
                });
            r
        })
        .collect();
    RunResult {
        schema_version: result::SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: ScenarioEcho {
            name: scenario.name.clone(),
            file: scenario.source.display().to_string(),
            seed: scenario.seed,
            duration_secs: scenario.duration.as_secs_f64(),
            warmup_secs: scenario.warmup.as_secs_f64(),
            rate_per_sec: scenario.workload.rate_per_sec,
            shards: scenario.stream.shards,
        },
        machine: Machine::detect(),
        started_at: result::rfc3339_utc(started),
        wall_secs: wall.as_secs_f64(),
        endpoint: env.target.label(),
        clock: match scenario.clock {
            ClockMode::Real => "real".into(),
            ClockMode::Virtual => "virtual".into(),
        },
        paths,
        expectations: Vec::new(),
        faults: Vec::new(),
        noise_floor_us: None,
        interrupted: false,
        target,
        tenants: None,
        worker: None,
        workers: None,
        generator: None,
        bill: None,
    }
}
