//! A worker's part in a run split across machines (`run --worker I/N`): what it refuses, the
//! run's tag every worker derives alike, waiting for the streams and keys worker 1 creates, the
//! common start, and the worker's account of its start and clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{RunEnv, RunError};
use crate::backend::{Observation, Principal, Role, TransportLog};
use crate::driver::{Driver, DriverError, PathCx, Provisioned, Waiting};
use crate::result::WorkerResult;
use crate::scenario::Scenario;

/// How long a worker waits for worker 1's streams and keys, past the common start.
pub const PROVISION_WAIT: Duration = Duration::from_secs(600);

/// How often it looks.
const POLL: Duration = Duration::from_millis(500);

/// The tag every worker of the run names its streams and keys with: from the scenario's name,
/// its seed and the common start, so workers that share those share the run.
pub fn run_tag(scenario: &Scenario, start_at: SystemTime) -> String {
    let secs = start_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let h = crate::seed::derive(scenario.seed, &scenario.name, secs);
    format!("{:08x}", h as u32)
}

/// Why this worker's run cannot go ahead (checked before any request): a worker needs a world
/// the others share and a common start.
pub fn refusals(env: &RunEnv) -> Vec<String> {
    let w = env.worker;
    if w.is_whole() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if env.target.is_embedded() {
        out.push(format!(
            "--worker {}: every worker would have an embedded service of its own; point all the workers at one shared endpoint (`kinesis-crypto-bench serve` on a host they reach, LocalStack, or --target aws)",
            w.label()
        ));
    }
    if env.start_at.is_none() {
        out.push(format!(
            "--worker {}: the workers need a common start: --start-at 2026-12-03T02:00:00Z (or KCB_START_AT, or `start_at` in the scenario)",
            w.label()
        ));
    }
    out
}

/// The admin's clients with a transport log that keeps answers' `Date` headers.
pub fn watched_admin(env: &RunEnv) -> (Principal, Arc<TransportLog>) {
    let log = TransportLog::new();
    log.watch_date();
    let obs = Observation::plain(Role::Admin.name(), log.clone(), env.clock.clone());
    (
        Principal::for_role(&env.target, &env.credentials, Role::Admin, obs),
        log,
    )
}

/// Worker 2 and on: wait until every destination worker 1 creates is ready and every key it
/// creates answers to its alias (each path's driver knows what ready is), then use them as a
/// run uses what it did not create (never changing or removing them).
pub async fn await_provisioned(
    scenario: &Scenario,
    env: &RunEnv,
    admin: &Principal,
    drivers: &[Arc<dyn Driver>],
) -> Result<Vec<Provisioned>, RunError> {
    let waiting = Waiting {
        deadline: tokio::time::Instant::now()
            + env
                .start_at
                .and_then(|t| t.duration_since(SystemTime::now()).ok())
                .unwrap_or_default()
            + PROVISION_WAIT,
        worker: env.worker.label(),
        wait: PROVISION_WAIT,
        poll: POLL,
    };
    let mut made: Vec<Provisioned> = Vec::new();
    for (spec, driver) in scenario.paths.iter().zip(drivers) {
        let name = crate::driver::stream_name(&scenario.name, &spec.name, &env.run_tag);
        let cx = PathCx {
            scenario,
            spec,
            name: &name,
            shared: super::shared_key_owner(scenario, spec, &made),
            embedded: None,
        };
        let p = driver
            .await_ready(admin, cx, &waiting)
            .await
            .map_err(|e| match e {
                DriverError::Backend(error) => RunError::Setup {
                    path: spec.name.clone(),
                    error,
                },
                DriverError::NotReady(why) => RunError::Target(why),
            })?;
        made.push(p);
    }
    Ok(made)
}

/// Most probes of the endpoint's clock while waiting for the start (about ten halve its bound
/// down to a round trip), and how near the start the last may go.
const CLOCK_PROBES: u32 = 12;
const PROBE_GUARD: Duration = Duration::from_millis(250);

/// Sleep (on the wall clock) until `at`, meanwhile sending `probe` (a request on clients whose
/// transport log watches `Date` headers: `log`) when [`OffsetBound::next_probe`] says it narrows
/// the clock offset's bound, at most [`CLOCK_PROBES`] times, never within [`PROBE_GUARD`] of the
/// start and never two within 500 ms (a shared account's control-plane quota); returns how late
/// this process was when it woke (zero if `at` was still ahead), by its own clock.
///
/// [`OffsetBound::next_probe`]: crate::backend::transport::OffsetBound::next_probe
pub async fn wait_for_start<F, Fut>(at: SystemTime, log: &TransportLog, probe: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut last: Option<SystemTime> = None;
    for _ in 0..CLOCK_PROBES {
        let now = SystemTime::now();
        let earliest = last.map_or(now, |l| (l + Duration::from_millis(500)).max(now));
        let next = match log.date() {
            Some(b) => match b.next_probe(earliest) {
                Some(t) => t,
                None => break,
            },
            None => earliest,
        };
        if next + PROBE_GUARD > at {
            break;
        }
        sleep_until(next).await;
        last = Some(SystemTime::now());
        probe().await;
    }
    sleep_until(at).await;
    SystemTime::now().duration_since(at).unwrap_or_default()
}

async fn sleep_until(t: SystemTime) {
    if let Ok(ahead) = t.duration_since(SystemTime::now()) {
        tokio::time::sleep(ahead).await;
    }
}

/// This worker's account of itself for its result.
pub fn account(
    env: &RunEnv,
    lag: Option<Duration>,
    date: Option<crate::backend::transport::OffsetBound>,
) -> Option<WorkerResult> {
    if env.worker.is_whole() && env.start_at.is_none() {
        return None;
    }
    Some(WorkerResult {
        index: env.worker.index,
        count: env.worker.count,
        run_tag: env.run_tag.clone(),
        start_at: env.start_at.map(crate::result::rfc3339_utc),
        start_lag_ms: lag.map(|l| l.as_secs_f64() * 1e3),
        clock_offset_ms: date.map(|d| d.offset_secs() * 1e3),
        clock_offset_error_ms: date.map(|d| d.error_secs() * 1e3),
        provisioned: env.worker.index == 1,
        carried_out_faults: env.worker.index == 1,
    })
}
