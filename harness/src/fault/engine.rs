//! Applying a fault plan while a run goes on. On the embedded service faults change the
//! service's world through its control interface (policies, quotas, shard limits, key states);
//! against any other endpoint the same faults, but key changes, are applied at the transport.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use super::plan::{Action, Step};
use crate::backend::faults::{DelayFn, Effect, Rule, RuleId, Service as Svc};
use crate::backend::{Principal, TransportFaults};
use crate::emulator::iam::{Statement, StatementId};
use crate::emulator::kinesis::ShardLimits;
use crate::emulator::Service;
use crate::scenario::{DelaySpec, FaultKind, FaultService, FaultSpec};
use crate::workload::RunClock;

/// One path as faults see it.
#[derive(Debug, Clone)]
pub struct PathTarget {
    /// Path name.
    pub name: String,
    /// `plaintext`, `envelope` or `sse-kms`.
    pub kind: &'static str,
    /// Its stream.
    pub stream: String,
    /// Its KMS key (ARN, or an alias for the AWS-managed key).
    pub key: Option<String>,
    /// Its clients' transport fault rules.
    pub transport: Arc<TransportFaults>,
}

/// What applying one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// Fault index.
    pub fault: usize,
    /// Step.
    pub step: Step,
    /// When, since the start of the load.
    pub at: Duration,
    /// False if any part could not be applied.
    pub ok: bool,
    /// What was done, or why not.
    pub note: String,
}

#[derive(Default)]
struct Active {
    denies: Vec<(String, StatementId)>,
    rules: Vec<(usize, RuleId)>,
    old_quota: Option<f64>,
    limited: Vec<String>,
    disabled: Vec<String>,
    scheduled: Vec<String>,
    kms_delay: bool,
}

/// Applies a scenario's faults.
pub struct Engine {
    faults: Vec<FaultSpec>,
    targets: Vec<PathTarget>,
    service: Option<Service>,
    admin: Principal,
    seed: u64,
    active: Mutex<HashMap<usize, Active>>,
    applied: Mutex<Vec<Applied>>,
}

/// A delay drawn from its spec.
pub fn draw(spec: &DelaySpec, rng: &mut ChaCha8Rng) -> Duration {
    match spec {
        DelaySpec::Fixed(d) => *d,
        DelaySpec::Uniform { min, max } => {
            let (a, b) = (min.as_nanos() as u64, max.as_nanos() as u64);
            Duration::from_nanos(if b > a { rng.gen_range(a..=b) } else { a })
        }
        DelaySpec::LogNormal { median, sigma } => {
            let m = median.as_secs_f64().max(1e-9);
            let d = LogNormal::new(m.ln(), *sigma).ok();
            Duration::from_secs_f64(d.map(|d| d.sample(rng)).unwrap_or(m).min(60.0))
        }
    }
}

/// How a denied action shows at the transport, for one path kind: (service, operation, error).
fn deny_rules(action: &str, kind: &str) -> Vec<(Svc, Vec<String>, &'static str)> {
    let (service, op) = action.split_once(':').unwrap_or(("*", "*"));
    let op_list = |o: &str| {
        if o == "*" {
            vec![]
        } else {
            vec![o.to_string()]
        }
    };
    let mut out = Vec::new();
    if service == "kinesis" || service == "*" {
        out.push((Svc::Kinesis, op_list(op), "AccessDeniedException"));
    }
    if service == "kms" || service == "*" {
        out.push((Svc::Kms, op_list(op), "AccessDeniedException"));
        if kind == "sse-kms" {
            if op == "*" || op.starts_with("GenerateDataKey") {
                out.push((
                    Svc::Kinesis,
                    vec!["PutRecord".into(), "PutRecords".into()],
                    "KMSAccessDeniedException",
                ));
            }
            if op == "*" || op == "Decrypt" {
                out.push((
                    Svc::Kinesis,
                    vec!["GetRecords".into()],
                    "KMSAccessDeniedException",
                ));
            }
        }
    }
    out
}

impl Engine {
    /// An engine for these faults over these paths; `service` when the target is embedded.
    pub fn new(
        faults: Vec<FaultSpec>,
        targets: Vec<PathTarget>,
        service: Option<Service>,
        admin: Principal,
        seed: u64,
    ) -> Self {
        Self {
            faults,
            targets,
            service,
            admin,
            seed,
            active: Mutex::new(HashMap::new()),
            applied: Mutex::new(Vec::new()),
        }
    }

    /// What was applied so far.
    pub fn applied(&self) -> Vec<Applied> {
        self.applied.lock().clone()
    }

    fn targets_of(&self, f: &FaultSpec) -> Vec<usize> {
        (0..self.targets.len())
            .filter(|&i| f.applies_to(&self.targets[i].name))
            .collect()
    }

    /// Run the plan on the run clock until it is done (the runner aborts it when the load ends
    /// and then calls [`Engine::lift_all`]).
    pub async fn run(self: Arc<Self>, actions: Vec<Action>, clock: RunClock) {
        for a in actions {
            clock.sleep_until(a.at).await;
            self.apply(a, clock.elapsed()).await;
        }
    }

    /// Lift every fault still in effect (the load has ended).
    pub async fn lift_all(&self, now: Duration) {
        let mut open: Vec<usize> = self.active.lock().keys().copied().collect();
        open.sort_unstable();
        for fault in open {
            self.apply(
                Action {
                    at: now,
                    fault,
                    step: Step::End,
                },
                now,
            )
            .await;
        }
    }

    /// Apply one step.
    pub async fn apply(&self, a: Action, now: Duration) {
        let Some(f) = self.faults.get(a.fault).cloned() else {
            return;
        };
        let result = match a.step {
            Step::Begin => self.begin(a.fault, &f).await,
            Step::Cancel => self.cancel(a.fault).await,
            Step::End => self.end(a.fault).await,
        };
        let (ok, note) = match result {
            Ok(n) => (true, n),
            Err(n) => (false, n),
        };
        if !ok {
            tracing::warn!(fault = %f.name, ?a.step, %note, "fault step not fully applied");
        }
        self.applied.lock().push(Applied {
            fault: a.fault,
            step: a.step,
            at: now,
            ok,
            note,
        });
    }

    fn rule(&self, fault: usize, target: usize, rule: Rule) {
        let id = self.targets[target].transport.add(rule);
        self.active
            .lock()
            .entry(fault)
            .or_default()
            .rules
            .push((target, id));
    }

    /// Answer `fraction` of the targets' calls of `operations` with AWS's error `(code, message)`
    /// at the transport; returns the note.
    fn refuse(
        &self,
        fault: usize,
        targets: &[usize],
        service: Svc,
        operations: &[String],
        (code, message): (&str, &str),
        fraction: f64,
    ) -> String {
        for &t in targets {
            let effect = Effect::Error {
                code: code.into(),
                message: message.into(),
                fraction,
            };
            let rule = Rule {
                service,
                operations: operations.to_vec(),
                principal: None,
                effect,
            };
            self.rule(fault, t, rule);
        }
        format!(
            "{:.0}% of {service:?} {operations:?} answered {code}",
            fraction * 100.0
        )
    }

    async fn begin(&self, fault: usize, f: &FaultSpec) -> Result<String, String> {
        self.active.lock().entry(fault).or_default();
        let targets = self.targets_of(f);
        match &f.kind {
            FaultKind::Deny { principal, actions } => {
                self.deny(fault, &targets, principal, actions)
            }
            FaultKind::KinesisThrottle {
                operations,
                fraction,
                write_bytes_per_sec,
                write_records_per_sec,
                read_calls_per_sec,
                read_bytes_per_sec,
            } => {
                let mut notes = Vec::new();
                if let Some(fr) = fraction {
                    notes.push(self.refuse(
                        fault,
                        &targets,
                        Svc::Kinesis,
                        operations,
                        (
                            "ProvisionedThroughputExceededException",
                            "Rate exceeded for shard (injected)",
                        ),
                        *fr,
                    ));
                }
                let any_limit = write_bytes_per_sec.is_some()
                    || write_records_per_sec.is_some()
                    || read_calls_per_sec.is_some()
                    || read_bytes_per_sec.is_some();
                if any_limit {
                    let Some(svc) = &self.service else {
                        return Err(
                            "shard limits can be lowered only on the embedded service".into()
                        );
                    };
                    let d = ShardLimits::default();
                    let limits = ShardLimits {
                        write_bytes_per_sec: write_bytes_per_sec.unwrap_or(d.write_bytes_per_sec),
                        write_records_per_sec: write_records_per_sec
                            .unwrap_or(d.write_records_per_sec),
                        read_bytes_per_sec: read_bytes_per_sec.unwrap_or(d.read_bytes_per_sec),
                        read_calls_per_sec: read_calls_per_sec.unwrap_or(d.read_calls_per_sec),
                    };
                    for &t in &targets {
                        let stream = self.targets[t].stream.clone();
                        svc.control().set_shard_limits(&stream, limits);
                        self.active
                            .lock()
                            .entry(fault)
                            .or_default()
                            .limited
                            .push(stream);
                    }
                    notes.push(format!("shard limits lowered to {limits:?}"));
                }
                Ok(notes.join("; "))
            }
            FaultKind::KmsThrottle {
                quota_per_sec,
                fraction,
                operations,
            } => {
                let mut notes = Vec::new();
                if let Some(q) = quota_per_sec {
                    let Some(svc) = &self.service else {
                        return Err(
                            "the KMS quota can be lowered only on the embedded service".into()
                        );
                    };
                    let old = svc.control().kms_quota();
                    svc.control().set_kms_quota(*q);
                    self.active.lock().entry(fault).or_default().old_quota = Some(old);
                    notes.push(format!("KMS quota {old}/s -> {q}/s"));
                }
                if let Some(fr) = fraction {
                    notes.push(self.refuse(
                        fault,
                        &targets,
                        Svc::Kms,
                        operations,
                        (
                            "ThrottlingException",
                            "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls. (injected)",
                        ),
                        *fr,
                    ));
                }
                Ok(notes.join("; "))
            }
            FaultKind::DisableKey => {
                let keys = self.keys(&targets)?;
                for k in &keys {
                    self.admin
                        .kms
                        .disable_key(k)
                        .await
                        .map_err(|e| e.to_string())?;
                    self.active
                        .lock()
                        .entry(fault)
                        .or_default()
                        .disabled
                        .push(k.clone());
                }
                Ok(format!("DisableKey {keys:?}"))
            }
            FaultKind::ScheduleKeyDeletion {
                waiting_period_days,
                ..
            } => {
                let keys = self.keys(&targets)?;
                for k in &keys {
                    self.admin
                        .kms
                        .schedule_key_deletion(k, *waiting_period_days as i32)
                        .await
                        .map_err(|e| e.to_string())?;
                    self.active
                        .lock()
                        .entry(fault)
                        .or_default()
                        .scheduled
                        .push(k.clone());
                }
                Ok(format!(
                    "ScheduleKeyDeletion {keys:?}, {waiting_period_days} days"
                ))
            }
            FaultKind::DeleteKey => {
                let keys = self.keys(&targets)?;
                let svc = self
                    .service
                    .as_ref()
                    .ok_or("keys are deleted only on the embedded service")?;
                for k in &keys {
                    svc.control().delete_key_now(k).map_err(|e| e.to_string())?;
                }
                Ok(format!("deleted {keys:?} (waiting period over)"))
            }
            FaultKind::Latency {
                service,
                operations,
                delay,
            } => self.latency(fault, &targets, *service, operations, delay),
        }
    }

    fn deny(
        &self,
        fault: usize,
        targets: &[usize],
        principal: &str,
        actions: &[String],
    ) -> Result<String, String> {
        if let Some(svc) = &self.service {
            for &t in targets {
                let tg = &self.targets[t];
                let mut resources = vec![svc.control().stream_arn(&tg.stream)];
                match &tg.key {
                    Some(k) if k.starts_with("arn:") => resources.push(k.clone()),
                    Some(_) => resources.push("*".into()),
                    None => {}
                }
                let id = svc
                    .control()
                    .attach(principal, Statement::deny(actions.to_vec(), resources))
                    .map_err(|e| e.to_string())?;
                self.active
                    .lock()
                    .entry(fault)
                    .or_default()
                    .denies
                    .push((principal.to_string(), id));
            }
            return Ok(format!("explicit Deny {actions:?} attached to {principal}"));
        }
        for &t in targets {
            for a in actions {
                for (service, operations, code) in deny_rules(a, self.targets[t].kind) {
                    let effect = Effect::Error {
                        code: code.into(),
                        message: format!(
                            "User: {principal} is not authorized to perform: {a} (injected)"
                        ),
                        fraction: 1.0,
                    };
                    self.rule(
                        fault,
                        t,
                        Rule {
                            service,
                            operations,
                            principal: Some(principal.to_string()),
                            effect,
                        },
                    );
                }
            }
        }
        Ok(format!("{principal} denied {actions:?} at the transport"))
    }

    fn latency(
        &self,
        fault: usize,
        targets: &[usize],
        service: FaultService,
        operations: &[String],
        delay: &DelaySpec,
    ) -> Result<String, String> {
        let spec = delay.clone();
        match (service, &self.service) {
            (FaultService::Kms, Some(svc)) => {
                // The service charges the delay to every KMS operation on these paths' keys,
                // direct (envelope) or on a caller's behalf (SSE).
                let keys: Vec<String> = targets
                    .iter()
                    .filter_map(|&t| self.targets[t].key.clone())
                    .collect();
                let ops = operations.to_vec();
                let rng = Mutex::new(ChaCha8Rng::seed_from_u64(self.seed ^ fault as u64));
                svc.control()
                    .set_kms_delay(Some(Arc::new(move |op: &str, key_id: &str| {
                        let key_ok = key_id.is_empty()
                            || keys
                                .iter()
                                .any(|k| k.ends_with(key_id) || k.starts_with("alias/"));
                        if key_ok && (ops.is_empty() || ops.iter().any(|o| o == op)) {
                            draw(&spec, &mut rng.lock())
                        } else {
                            Duration::ZERO
                        }
                    })));
                self.active.lock().entry(fault).or_default().kms_delay = true;
            }
            _ => {
                let svc = match service {
                    FaultService::Kinesis => Svc::Kinesis,
                    FaultService::Kms => Svc::Kms,
                };
                for &t in targets {
                    let spec = spec.clone();
                    let f: DelayFn = Arc::new(move |rng: &mut ChaCha8Rng| draw(&spec, rng));
                    self.rule(
                        fault,
                        t,
                        Rule {
                            service: svc,
                            operations: operations.to_vec(),
                            principal: None,
                            effect: Effect::Delay(f),
                        },
                    );
                }
            }
        }
        Ok(format!("{delay:?} added to {service:?} {operations:?}"))
    }

    fn keys(&self, targets: &[usize]) -> Result<Vec<String>, String> {
        if self.service.is_none() {
            return Err("key faults run only on the embedded service (the harness never changes an endpoint's keys)".into());
        }
        let keys: Vec<String> = targets
            .iter()
            .filter_map(|&t| self.targets[t].key.clone())
            .filter(|k| k.starts_with("arn:"))
            .collect();
        if keys.is_empty() {
            return Err("no customer-managed key among the fault's paths".into());
        }
        Ok(keys)
    }

    /// CancelKeyDeletion, then EnableKey (a cancelled key is left Disabled).
    async fn restore(&self, key: &str) -> Result<(), String> {
        self.admin
            .kms
            .cancel_key_deletion(key)
            .await
            .map_err(|e| e.to_string())?;
        self.admin
            .kms
            .enable_key(key)
            .await
            .map_err(|e| e.to_string())
    }

    async fn cancel(&self, fault: usize) -> Result<String, String> {
        let keys = std::mem::take(&mut self.active.lock().entry(fault).or_default().scheduled);
        for k in &keys {
            self.restore(k).await?;
        }
        Ok(format!("CancelKeyDeletion + EnableKey {keys:?}"))
    }

    /// Lift a fault: every part is undone even if another part fails (the failures are
    /// reported), so a fault never outlives its end by half.
    async fn end(&self, fault: usize) -> Result<String, String> {
        let Some(a) = self.active.lock().remove(&fault) else {
            return Ok("not active".into());
        };
        let mut notes = Vec::new();
        let mut failed = Vec::new();
        if let Some(svc) = &self.service {
            for (p, id) in &a.denies {
                if let Err(e) = svc.control().detach(p, *id) {
                    failed.push(e.to_string());
                }
            }
            if let Some(q) = a.old_quota {
                svc.control().set_kms_quota(q);
                notes.push(format!("KMS quota back to {q}/s"));
            }
            for s in &a.limited {
                svc.control().reset_shard_limits(s);
            }
            if a.kms_delay {
                svc.control().set_kms_delay(None);
            }
        }
        for (t, id) in &a.rules {
            self.targets[*t].transport.remove(*id);
        }
        for k in &a.disabled {
            match self.admin.kms.enable_key(k).await {
                Ok(()) => notes.push(format!("EnableKey {k}")),
                Err(e) => failed.push(e.to_string()),
            }
        }
        for k in &a.scheduled {
            match self.restore(k).await {
                Ok(()) => notes.push(format!("CancelKeyDeletion + EnableKey {k}")),
                Err(e) => failed.push(e),
            }
        }
        if !failed.is_empty() {
            return Err(failed.join("; "));
        }
        Ok(if notes.is_empty() {
            "lifted".into()
        } else {
            notes.join("; ")
        })
    }
}
