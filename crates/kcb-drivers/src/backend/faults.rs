//! Faults applied at the transport: a wrapper rule answers chosen operations with AWS's exact
//! error response (so the SDK parses it, and the harness retries it, as it would for real), or
//! delays them. Rules are harness types; the fault plan adds and removes them while a run goes on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which service a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `Kinesis_20131202.*`
    Kinesis,
    /// `TrentService.*` (KMS)
    Kms,
    /// `Firehose_20150804.*`
    Firehose,
}

impl Service {
    /// The X-Amz-Target prefix.
    pub fn target_prefix(self) -> &'static str {
        match self {
            Service::Kinesis => "Kinesis_20131202",
            Service::Kms => "TrentService",
            Service::Firehose => "Firehose_20150804",
        }
    }
}

/// How long to delay a call.
pub type DelayFn = Arc<dyn Fn(&mut ChaCha8Rng) -> Duration + Send + Sync>;

/// What a rule does to a matching call.
#[derive(Clone)]
pub enum Effect {
    /// Answer `fraction` of matching calls with this AWS error instead of sending them.
    Error {
        /// AWS error name (`__type`).
        code: String,
        /// Message.
        message: String,
        /// Share of matching calls, 0..=1.
        fraction: f64,
    },
    /// Delay each matching call by a drawn duration before sending it.
    Delay(DelayFn),
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Error { code, fraction, .. } => write!(f, "Error({code}, {fraction})"),
            Effect::Delay(_) => f.write_str("Delay"),
        }
    }
}

/// One transport fault rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Service matched.
    pub service: Service,
    /// Operations matched (empty: every operation of the service).
    pub operations: Vec<String>,
    /// Only calls made by this role (None: any).
    pub principal: Option<String>,
    /// What happens.
    pub effect: Effect,
}

impl Rule {
    fn matches(&self, service: &str, op: &str, principal: &str) -> bool {
        service == self.service.target_prefix()
            && (self.operations.is_empty() || self.operations.iter().any(|o| o == op))
            && self.principal.as_deref().is_none_or(|p| p == principal)
    }
}

/// A rule's handle, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleId(u64);

/// What the transport does to one call.
#[derive(Debug, Default)]
pub struct Decision {
    /// Delay before sending.
    pub delay: Duration,
    /// Answer with this error instead of sending: (code, message).
    pub error: Option<(String, String)>,
}

/// The rules in force for one set of clients, with the seeded RNG that draws fractions and
/// delays (so a run replays).
#[derive(Debug)]
pub struct TransportFaults {
    rules: RwLock<Vec<(RuleId, Rule)>>,
    next: Mutex<u64>,
    rng: Mutex<ChaCha8Rng>,
    virtual_time: bool,
    ticker: Option<Arc<crate::ticker::Ticker>>,
}

impl TransportFaults {
    /// No rules. `virtual_time`: delays are taken on tokio's paused clock; else on `ticker`
    /// (to the microsecond) when given, else on tokio's timer.
    pub fn new(
        seed: u64,
        virtual_time: bool,
        ticker: Option<Arc<crate::ticker::Ticker>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            rules: RwLock::new(Vec::new()),
            next: Mutex::new(0),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            virtual_time,
            ticker,
        })
    }

    /// Add a rule.
    pub fn add(&self, rule: Rule) -> RuleId {
        let mut n = self.next.lock();
        *n += 1;
        let id = RuleId(*n);
        self.rules.write().push((id, rule));
        id
    }

    /// Remove a rule.
    pub fn remove(&self, id: RuleId) {
        self.rules.write().retain(|(i, _)| *i != id);
    }

    /// Rules in force.
    pub fn len(&self) -> usize {
        self.rules.read().len()
    }

    /// True when no rule is in force.
    pub fn is_empty(&self) -> bool {
        self.rules.read().is_empty()
    }

    /// Decide what happens to a call of `service.op` made by `principal` (a role).
    pub fn decide(&self, service: &str, op: &str, principal: &str) -> Decision {
        let rules = self.rules.read();
        let mut d = Decision::default();
        if rules.is_empty() {
            return d;
        }
        let mut rng = self.rng.lock();
        for (_, r) in rules
            .iter()
            .filter(|(_, r)| r.matches(service, op, principal))
        {
            match &r.effect {
                Effect::Delay(f) => d.delay += f(&mut rng),
                Effect::Error {
                    code,
                    message,
                    fraction,
                } => {
                    if d.error.is_none() && rng.gen_bool(fraction.clamp(0.0, 1.0)) {
                        d.error = Some((code.clone(), message.clone()));
                    }
                }
            }
        }
        d
    }

    /// Wait `d`, to the microsecond. Tokio's timer ticks in whole milliseconds (its paused
    /// clock too), so: on the virtual clock the whole milliseconds pass on the paused clock and
    /// the rest is spent for real (a caller on the virtual clock adds the real time its calls
    /// took); on the real clock the ticker thread wakes the caller at the instant.
    pub async fn wait(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        if self.virtual_time {
            let whole = Duration::from_millis(d.as_millis() as u64);
            if !whole.is_zero() {
                tokio::time::sleep(whole).await;
            }
            let until = Instant::now() + (d - whole);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            return;
        }
        match &self.ticker {
            Some(t) => t.sleep_until(Instant::now() + d).await,
            None => tokio::time::sleep(d).await,
        }
    }
}

/// The status AWS answers an injected error with.
pub fn status_of(code: &str) -> u16 {
    match code {
        "InternalFailure" | "InternalFailureException" | "KMSInternalException" => 500,
        "ServiceUnavailable" | "ServiceUnavailableException" => 503,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_service_and_operation_and_replay() {
        let a = TransportFaults::new(7, true, None);
        let b = TransportFaults::new(7, true, None);
        for f in [&a, &b] {
            f.add(Rule {
                service: Service::Kinesis,
                operations: vec!["PutRecords".into()],
                principal: None,
                effect: Effect::Error {
                    code: "ProvisionedThroughputExceededException".into(),
                    message: "x".into(),
                    fraction: 0.5,
                },
            });
        }
        let pattern = |f: &TransportFaults| {
            (0..64)
                .map(|_| {
                    f.decide("Kinesis_20131202", "PutRecords", "producer")
                        .error
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        let (pa, pb) = (pattern(&a), pattern(&b));
        assert_eq!(pa, pb, "same seed, same faults");
        assert!(pa.iter().any(|e| *e) && pa.iter().any(|e| !*e));
        assert!(a
            .decide("Kinesis_20131202", "GetRecords", "consumer")
            .error
            .is_none());
        assert!(a
            .decide("TrentService", "PutRecords", "producer")
            .error
            .is_none());
    }

    #[test]
    fn removed_rules_stop_and_delays_add() {
        let f = TransportFaults::new(1, true, None);
        let id = f.add(Rule {
            service: Service::Kms,
            operations: vec![],
            principal: None,
            effect: Effect::Delay(Arc::new(|_| Duration::from_micros(200))),
        });
        f.add(Rule {
            service: Service::Kms,
            operations: vec!["Decrypt".into()],
            principal: None,
            effect: Effect::Delay(Arc::new(|_| Duration::from_micros(50))),
        });
        assert_eq!(
            f.decide("TrentService", "Decrypt", "consumer").delay,
            Duration::from_micros(250)
        );
        f.remove(id);
        assert_eq!(
            f.decide("TrentService", "Decrypt", "consumer").delay,
            Duration::from_micros(50)
        );
        assert_eq!(
            f.decide("TrentService", "GenerateDataKey", "producer")
                .delay,
            Duration::ZERO
        );
    }
}
