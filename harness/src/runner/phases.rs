//! The phases of one run and what each hands the next: [`target`] (refusals, who each role is)
//! gives [`Targeted`]; [`provision`] (each path's driver) gives [`Made`]; [`start`] (the common
//! start of a run split across machines) gives [`Started`]; [`load`] (producers, consumers, the
//! fault plan, the drain) gives [`Loaded`]; [`collect`] turns them into the `RunResult`;
//! [`teardown`] removes what the run made, or keeps it.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{
    budget, collect_all, engine, expect, path_runs, progress_bar, provision_all, setup, target,
    workers, RunEnv, RunError,
};
use crate::backend::{Principal, TransportLog};
use crate::driver::{Driver, Provisioned};
use crate::fault::world::DenyRoles;
use crate::result::{self, RunResult, TargetResult};
use crate::scenario::{ClockMode, Scenario};
use crate::workload::{PathRun, RunClock};

/// Where the run goes, checked before anything is made.
pub(super) struct Targeted {
    /// Who each role is.
    pub who: TargetResult,
    /// Where a deny fault goes off the embedded service.
    pub denies: DenyRoles,
    /// The limits the scenario's rates pass (warned about before the load).
    pub capacity: Vec<String>,
}

/// The target: what it refuses (before any request), the memory the run would need, who each
/// role is, and where denies go.
pub(super) async fn target(scenario: &Scenario, env: &RunEnv) -> Result<Targeted, RunError> {
    let mut refused = target::refusals(scenario, env.target.is_embedded(), env.allow_destructive);
    refused.extend(target::region_mismatches(scenario, env.target.region()));
    refused.extend(workers::refusals(env));
    if let Some(available) = budget::available_memory() {
        let budget = budget::estimate(scenario, env.target.is_embedded());
        for warning in budget::check(&budget, available) {
            eprintln!("{warning}");
        }
    }
    let capacity = super::capacity::check(scenario, env.target.region(), env.target.is_embedded());
    if env.strict {
        refused.extend(capacity.iter().map(|c| format!("{c} (--strict)")));
    } else {
        for c in &capacity {
            eprintln!("warning: {c}");
        }
    }
    if !refused.is_empty() {
        return Err(RunError::Refused(refused));
    }
    let who = target::identify(
        &env.target,
        &env.credentials,
        &env.clock,
        env.expect_account.as_deref(),
    )
    .await
    .map_err(RunError::Target)?;
    let denies = target::deny_roles(scenario, &env.target, &env.admin(), &who, &env.run_tag).await;
    if !env.target.is_embedded() {
        eprintln!("{}", target::describe(&who));
        let d = target::describe_denies(&denies);
        if !d.is_empty() {
            eprintln!("{d}");
        }
    }
    if let Some(svc) = &env.service {
        svc.control()
            .set_kms_quota(scenario.kms.quota_per_sec as f64);
    }
    Ok(Targeted {
        who,
        denies,
        capacity,
    })
}

/// What provisioning made (or found): each path's driver and its resources.
pub(super) struct Made {
    /// Each path's driver, in the scenario's order.
    pub drivers: Vec<Arc<dyn Driver>>,
    /// Each path's resources, in the same order.
    pub made: Vec<Provisioned>,
    /// The admin's clients whose transport log keeps answers' `Date` headers.
    pub watched: Principal,
    /// That log.
    pub dates: Arc<TransportLog>,
}

/// Provision: worker 1 (or a run on one machine) has each path's driver make its destination
/// and key; the other workers wait for them.
pub(super) async fn provision(scenario: &Scenario, env: &RunEnv) -> Result<Made, RunError> {
    let drivers: Vec<Arc<dyn Driver>> =
        scenario.paths.iter().map(crate::driver::for_path).collect();
    let (watched, dates) = workers::watched_admin(env);
    let made = if env.worker.index == 1 {
        provision_all(scenario, env, &drivers).await?
    } else {
        workers::await_provisioned(scenario, env, &watched, &drivers).await?
    };
    Ok(Made {
        drivers,
        made,
        watched,
        dates,
    })
}

/// When the load starts.
pub(super) struct Started {
    /// The run's clock, from the start of the load.
    pub clock: RunClock,
    /// The start, on the wall clock.
    pub load_started: SystemTime,
    /// How late this process woke for a common start.
    pub lag: Option<Duration>,
}

/// The start: now, or (a worker of a run split across machines) the common start, probing the
/// endpoint's clock while it waits.
pub(super) async fn start(scenario: &Scenario, env: &RunEnv, m: &Made) -> Started {
    let virtual_clock = scenario.clock == ClockMode::Virtual;
    match env.start_at {
        Some(at) if !virtual_clock => {
            // While waiting, answers' Date headers bound the endpoint's clock against this
            // machine's: a describe of the first path's destination will do.
            let first = m
                .drivers
                .first()
                .zip(m.made.first())
                .map(|(d, p)| d.sink(&m.watched, p));
            let lag = workers::wait_for_start(at, &m.dates, || async {
                if let Some(sink) = &first {
                    let _ = sink.describe().await;
                }
            })
            .await;
            let since_epoch = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            Started {
                clock: RunClock::starting_at(env.clock.clone(), false, since_epoch),
                load_started: at,
                lag: Some(lag),
            }
        }
        _ => Started {
            clock: RunClock::new(env.clock.clone(), virtual_clock),
            load_started: SystemTime::now(),
            lag: None,
        },
    }
}

/// What the load did.
pub(super) struct Loaded {
    /// Each path's run state (its histograms, ledger, timeline).
    pub runs: Vec<Arc<PathRun>>,
    /// When the load stopped (the faults were lifted), or why a task of it failed.
    pub stopped: Result<Duration, String>,
    /// The run's length on its clock, drain included.
    pub length: Duration,
    /// The fault engine's account of what it applied.
    pub applied: Vec<crate::fault::Applied>,
    /// The process's CPU time over the load's wall time (drain included): cores busy.
    pub cpu_cores: Option<f64>,
}

/// The load: each path's producers and consumers on the paired schedule, the fault plan beside
/// them, the faults lifted at the load's end, the drain.
pub(super) async fn load(
    scenario: &Arc<Scenario>,
    env: &RunEnv,
    m: &Made,
    s: &Started,
    denies: DenyRoles,
) -> Loaded {
    let runs = path_runs(scenario, env, &m.drivers, &m.made, &s.clock);
    let engine = engine(scenario, env, &runs, (&m.drivers, &m.made), denies);
    let bar = progress_bar(scenario, &s.clock, env.progress);
    let (cpu, wall) = (cpu_time::ProcessTime::try_now().ok(), Instant::now());
    let stopped = super::load(&runs, scenario, &engine, env.service.clone()).await;
    let cpu_cores = cpu
        .and_then(|c| c.try_elapsed().ok())
        .map(|used| used.as_secs_f64() / wall.elapsed().as_secs_f64().max(1e-9));
    if let Some((bar, task)) = bar {
        task.abort();
        bar.finish_and_clear();
    }
    Loaded {
        runs,
        stopped,
        length: s.clock.elapsed(),
        applied: engine.applied(),
        cpu_cores,
    }
}

/// CloudTrail (on AWS): the KMS calls services made for the run, once AWS has delivered them;
/// `None` where the run does not look (the embedded service has its own log).
pub(super) async fn trail(
    env: &RunEnv,
    s: &Started,
    who: &TargetResult,
) -> Option<super::trail::Trail> {
    let super::trail::CloudTrail::Wait(wait) = env.cloudtrail else {
        return None;
    };
    eprintln!(
        "counting the services' KMS calls from CloudTrail: waiting up to {} for AWS to deliver them ([target] cloudtrail_wait; --no-cloudtrail skips it)",
        humantime::format_duration(wait)
    );
    let trail =
        super::trail::count(&env.admin(), who, (s.load_started, wait), &env.interrupt).await;
    match &trail {
        super::trail::Trail::Counted {
            events,
            waited,
            lookups,
            ..
        } => eprintln!(
            "CloudTrail: {} KMS events from the load's start, delivered after {:.0} s ({lookups} lookups)",
            events.len(),
            waited.as_secs_f64()
        ),
        super::trail::Trail::NotCounted(why) => {
            eprintln!("CloudTrail: the services' KMS calls are not counted: {why}");
        }
    }
    Some(trail)
}

/// Collect: the result of a load that ran (its faults, tenants, noise floor, worker's account,
/// expectations).
pub(super) fn collect(
    scenario: &Scenario,
    env: &RunEnv,
    (m, s, l): (&Made, &Started, &Loaded),
    trail: Option<super::trail::Trail>,
    (started, wall): (SystemTime, Instant),
    (who, capacity): (TargetResult, Vec<String>),
) -> Result<RunResult, RunError> {
    let stopped = l.stopped.clone().map_err(RunError::Task)?;
    let mut r = collect_all(
        scenario,
        env,
        &l.runs,
        (&m.drivers, &m.made),
        l.length,
        (started, wall.elapsed()),
        (who, trail),
    );
    r.faults = super::collect::faults(scenario, &l.runs, &l.applied, l.length, stopped, &r.paths);
    r.tenants = result::tenants(&r.paths);
    r.noise_floor_us = r
        .path(crate::scenario::TWIN)
        .filter(|p| p.kind == crate::result::PathKind::Plaintext)
        .and_then(|p| p.overhead_vs_plaintext_us);
    r.interrupted = env.interrupt.is_set();
    r.worker = workers::account(env, s.lag, m.dates.date());
    r.generator = Some(generator(scenario, &r, l.cpu_cores, capacity));
    let shipped = crate::bill::PriceTable::shipped(&r.target.region)
        .map(|t| (t, format!("shipped prices for {}", r.target.region)));
    let prices = env.prices.as_ref().or(shipped.as_ref());
    crate::bill::bill_run(&mut r, prices.map(|(t, from)| (t, from.as_str())));
    r.expectations = expect::evaluate(&scenario.expect, &r);
    Ok(r)
}

/// The run's generator: the bound its paths were judged by, whether all kept it, the CPU used.
fn generator(
    scenario: &Scenario,
    r: &RunResult,
    cpu_cores_used: Option<f64>,
    capacity_warnings: Vec<String>,
) -> result::GeneratorResult {
    result::GeneratorResult {
        max_lag_p99_us: super::collect::schedule_bound(scenario).as_micros() as u64,
        min_rate_ratio: result::generator::MIN_RATE_RATIO,
        checked: scenario
            .expect
            .iter()
            .any(|e| e.metric == crate::scenario::Metric::ScheduleKept),
        kept: r
            .paths
            .iter()
            .all(|p| p.generator.as_ref().is_none_or(|g| g.kept)),
        cpu_cores_used,
        cpus: r.machine.cpus,
        capacity_warnings,
    }
}

/// Teardown: each driver removes what it made (and the keys the run created are scheduled for
/// deletion off the embedded service), unless the run keeps it (`keep`, or worker 1 of several,
/// whose streams the others still read: `cleanup --run-id` removes them); what was kept.
pub(super) async fn teardown(env: &RunEnv, m: Made) -> Vec<Provisioned> {
    if env.keep || (env.worker.index == 1 && !env.worker.is_whole()) {
        return m.made;
    }
    setup::teardown(env, &m.drivers, &m.made).await;
    env.interrupt.removed_all();
    Vec::new()
}
