//! `latency`: a fixed or drawn delay added to matching calls. KMS latency on the embedded
//! service is held by the service and charged to every KMS operation on the paths' keys,
//! direct (envelope) or on a caller's behalf (SSE); otherwise it is a transport rule. Delays
//! held by overlapping latency faults add up.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use super::{add_rule, FaultError, Part, Undo, World};
use crate::backend::faults::{DelayFn, Effect, Rule, Service as Svc};
use crate::scenario::{DelaySpec, FaultService};

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

pub(super) fn begin(
    world: &World,
    fault: usize,
    targets: &[usize],
    service: FaultService,
    operations: &[String],
    delay: &DelaySpec,
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let spec = delay.clone();
    match (service, &world.service) {
        (FaultService::Kms, Some(svc)) => {
            let keys: Vec<String> = targets
                .iter()
                .filter_map(|&t| world.targets[t].key.clone())
                .collect();
            let ops = operations.to_vec();
            let rng = Mutex::new(ChaCha8Rng::seed_from_u64(world.seed ^ fault as u64));
            let hold = svc
                .control()
                .add_kms_delay(Arc::new(move |op: &str, key_id: &str| {
                    let key_ok = key_id.is_empty()
                        || keys
                            .iter()
                            .any(|k| k.ends_with(key_id) || k.starts_with("alias/"));
                    if key_ok && (ops.is_empty() || ops.iter().any(|o| o == op)) {
                        draw(&spec, &mut rng.lock())
                    } else {
                        Duration::ZERO
                    }
                }));
            undo.push(Part::Service(hold));
        }
        _ => {
            let svc = match service {
                FaultService::Kinesis => Svc::Kinesis,
                FaultService::Kms => Svc::Kms,
            };
            for &t in targets {
                let spec = spec.clone();
                let f: DelayFn = Arc::new(move |rng: &mut ChaCha8Rng| draw(&spec, rng));
                let rule = Rule {
                    service: svc,
                    operations: operations.to_vec(),
                    principal: None,
                    effect: Effect::Delay(f),
                };
                add_rule(world, t, rule, undo);
            }
        }
    }
    Ok(format!("{delay:?} added to {service:?} {operations:?}"))
}
