//! Overlapping faults compose: any random set of faults, applied and lifted in plan order on
//! the embedded service as its clock moves through the schedule, holds each fault's effect
//! exactly while that fault is in effect, whatever else overlaps it, and leaves the world
//! (quota, shard limits, policies, added delays, key states, transport rules) exactly as it
//! was before the first began.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::common::World as Svc;
use kcb::backend::TransportFaults;
use kcb::emulator::kinesis::ShardLimits;
use kcb::emulator::kms::KeyState;
use kcb::fault::{plan, Engine, PathTarget, Step, World};
use kcb::result::PathKind;
use kcb::scenario::{DelaySpec, FaultKind, FaultService, FaultSpec, KeyPolicyChange};
use proptest::prelude::*;

const BASE_QUOTA: f64 = 10_000.0;
const LOAD_END: Duration = Duration::from_secs(30);
const PATHS: [&str; 2] = ["envelope", "sse-kms"];

/// One fault kind of the palette, with its settings.
#[derive(Debug, Clone)]
enum Pick {
    Deny(&'static str, &'static str),
    KinesisFraction,
    KinesisLimit(f64),
    KmsQuota(f64),
    KmsFraction,
    Disable,
    Schedule { days: u32, cancel: Option<u64> },
    KmsLatency,
    KinesisLatency,
    KeyPolicyDeny(&'static str),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        prop_oneof![Just("producer"), Just("consumer")].prop_flat_map(|p| {
            prop_oneof![Just("kms:GenerateDataKey"), Just("kinesis:PutRecords")]
                .prop_map(move |a| Pick::Deny(p, a))
        }),
        Just(Pick::KinesisFraction),
        (1u32..1000).prop_map(|r| Pick::KinesisLimit(f64::from(r))),
        (1u32..100).prop_map(|q| Pick::KmsQuota(f64::from(q))),
        Just(Pick::KmsFraction),
        Just(Pick::Disable),
        (7u32..=30, proptest::option::of(1u64..4))
            .prop_map(|(days, cancel)| Pick::Schedule { days, cancel }),
        Just(Pick::KmsLatency),
        Just(Pick::KinesisLatency),
        prop_oneof![Just("producer"), Just("consumer")].prop_map(Pick::KeyPolicyDeny),
    ]
}

/// A fault: what, when (whole seconds), how long (None: to the end of the load), on which paths.
fn fault() -> impl Strategy<Value = (Pick, u64, Option<u64>, Vec<bool>)> {
    (
        pick(),
        0u64..25,
        proptest::option::of(4u64..12),
        prop_oneof![
            Just(vec![true, false]),
            Just(vec![false, true]),
            Just(vec![true, true])
        ],
    )
}

fn spec(i: usize, (p, at, len, on): &(Pick, u64, Option<u64>, Vec<bool>)) -> FaultSpec {
    let paths: Vec<String> = PATHS
        .iter()
        .zip(on)
        .filter(|(_, on)| **on)
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let kinesis_ops = vec!["PutRecord".to_owned(), "PutRecords".to_owned()];
    let kind = match p {
        Pick::Deny(principal, action) => FaultKind::Deny {
            principal: (*principal).to_owned(),
            actions: vec![(*action).to_owned()],
        },
        Pick::KinesisFraction => FaultKind::KinesisThrottle {
            operations: kinesis_ops,
            fraction: Some(0.5),
            write_bytes_per_sec: None,
            write_records_per_sec: None,
            read_calls_per_sec: None,
            read_bytes_per_sec: None,
        },
        Pick::KinesisLimit(r) => FaultKind::KinesisThrottle {
            operations: kinesis_ops,
            fraction: None,
            write_bytes_per_sec: None,
            write_records_per_sec: Some(*r),
            read_calls_per_sec: Some(2.0),
            read_bytes_per_sec: None,
        },
        Pick::KmsQuota(q) => FaultKind::KmsThrottle {
            quota_per_sec: Some(*q),
            fraction: None,
            operations: vec![],
        },
        Pick::KmsFraction => FaultKind::KmsThrottle {
            quota_per_sec: None,
            fraction: Some(0.3),
            operations: vec!["GenerateDataKey".to_owned()],
        },
        Pick::Disable => FaultKind::DisableKey,
        Pick::Schedule { days, cancel } => FaultKind::ScheduleKeyDeletion {
            waiting_period_days: *days,
            // A cancel inside the window (validation requires cancel_after < for).
            cancel_after: cancel
                .filter(|c| len.is_none_or(|l| *c < l))
                .map(Duration::from_secs),
        },
        Pick::KmsLatency => FaultKind::Latency {
            service: FaultService::Kms,
            operations: vec![],
            delay: DelaySpec::Fixed(Duration::from_millis(1)),
        },
        Pick::KinesisLatency => FaultKind::Latency {
            service: FaultService::Kinesis,
            operations: vec!["PutRecord".to_owned()],
            delay: DelaySpec::Fixed(Duration::from_millis(1)),
        },
        Pick::KeyPolicyDeny(principal) => FaultKind::KeyPolicy {
            change: KeyPolicyChange::Deny {
                principal: (*principal).to_owned(),
                actions: vec!["kms:Decrypt".to_owned()],
            },
        },
    };
    FaultSpec {
        name: format!("f{i}"),
        at: Duration::from_secs(*at),
        duration: len.map(Duration::from_secs),
        paths,
        tenants: Vec::new(),
        kind,
    }
}

/// What the world must be while exactly the faults in `on` (with `cancelled` deletions
/// cancelled) are in effect.
struct Expected {
    quota: f64,
    write_records: [f64; 2],
    statements: [usize; 2],
    delays: usize,
    rules: [usize; 2],
    keys: [KeyState; 2],
    key_statements: [usize; 2],
}

fn expected(faults: &[FaultSpec], on: &BTreeSet<usize>, cancelled: &BTreeSet<usize>) -> Expected {
    let mut e = Expected {
        quota: BASE_QUOTA,
        write_records: [1000.0; 2],
        statements: [0; 2],
        delays: 0,
        rules: [0; 2],
        keys: [KeyState::Enabled; 2],
        key_statements: [0; 2],
    };
    let mut disabled = [false; 2];
    let mut pending = [false; 2];
    for &i in on {
        let f = &faults[i];
        for (t, name) in PATHS.iter().enumerate() {
            if !f.applies_to(name) {
                continue;
            }
            match &f.kind {
                FaultKind::Deny { principal, .. } => {
                    e.statements[usize::from(principal == "consumer")] += 1
                }
                FaultKind::KinesisThrottle {
                    fraction,
                    write_records_per_sec,
                    ..
                } => {
                    e.rules[t] += usize::from(fraction.is_some());
                    if let Some(r) = write_records_per_sec {
                        e.write_records[t] = e.write_records[t].min(*r);
                    }
                }
                FaultKind::KmsThrottle { fraction, .. } => {
                    e.rules[t] += usize::from(fraction.is_some())
                }
                FaultKind::DisableKey => disabled[t] = true,
                FaultKind::KeyPolicy { .. } => e.key_statements[t] += 1,
                FaultKind::ScheduleKeyDeletion { .. } => pending[t] |= !cancelled.contains(&i),
                FaultKind::Latency { service, .. } => {
                    e.rules[t] += usize::from(*service == FaultService::Kinesis)
                }
                // Events: not generated here (nothing undoes them); nor revoke-grant (no
                // Firehose path in this world).
                FaultKind::DeleteKey
                | FaultKind::RotateKey
                | FaultKind::Reshard { .. }
                | FaultKind::RevokeGrant => {}
            }
        }
        match &f.kind {
            FaultKind::KmsThrottle {
                quota_per_sec: Some(q),
                ..
            } => e.quota = e.quota.min(*q),
            FaultKind::Latency {
                service: FaultService::Kms,
                ..
            } => e.delays += 1,
            _ => {}
        }
    }
    for t in 0..2 {
        e.keys[t] = if pending[t] {
            KeyState::PendingDeletion
        } else if disabled[t] {
            KeyState::Disabled
        } else {
            KeyState::Enabled
        };
    }
    e
}

async fn check(faults: Vec<FaultSpec>) -> Result<(), TestCaseError> {
    let w = Svc::new();
    w.svc.control().set_kms_quota(BASE_QUOTA);
    let mut targets = Vec::new();
    let mut keys = Vec::new();
    for (i, name) in PATHS.iter().enumerate() {
        let stream = format!("s-{name}");
        let key = if i == 0 {
            w.stream(&stream, 1).await;
            w.key("envelope key").await
        } else {
            w.sse_stream(&stream, 1).await
        };
        keys.push(key.id.clone());
        targets.push(PathTarget {
            name: (*name).to_owned(),
            kind: if i == 0 {
                PathKind::Envelope
            } else {
                PathKind::SseKms
            },
            throttling: kcb::driver::Driver::throttling(&kcb::driver::kinesis::KinesisDriver),
            stream,
            key: Some(key.arn),
            key_created: true,
            transport: TransportFaults::new(7, true, None),
        });
    }
    let before = w.svc.control().snapshot();
    let transports: Vec<Arc<TransportFaults>> =
        targets.iter().map(|t| t.transport.clone()).collect();
    let world = World {
        targets,
        service: Some(w.svc.clone()),
        admin: w.admin.clone(),
        resharder: w.resharder.clone(),
        deny_roles: Default::default(),
        keys: Default::default(),
        seed: 1,
        carried_out_by: None,
    };
    let engine = Engine::new(faults.clone(), world);
    let mut on = BTreeSet::new();
    let mut cancelled = BTreeSet::new();
    // The service's clock moves through the schedule (a manual clock: the whole plan passes
    // in milliseconds).
    let mut now = Duration::ZERO;
    for a in plan(&faults, LOAD_END) {
        w.advance(a.at - now);
        now = a.at;
        engine.apply(a, a.at).await;
        match a.step {
            Step::Begin => on.insert(a.fault),
            Step::Cancel => cancelled.insert(a.fault),
            Step::End => on.remove(&a.fault),
        };
        let e = expected(&faults, &on, &cancelled);
        let now = w.svc.control().snapshot();
        let at = format!(
            "after {:?} of {} at {:?}",
            a.step, faults[a.fault].name, a.at
        );
        prop_assert_eq!(now.kms_quota_per_sec, e.quota, "quota {}", at);
        for t in 0..2 {
            let stream = format!("s-{}", PATHS[t]);
            let limits: &ShardLimits = &now.shard_limits[&stream][0];
            prop_assert_eq!(
                limits.write_records_per_sec,
                e.write_records[t],
                "{} {}",
                stream,
                at
            );
            prop_assert_eq!(
                now.keys[&keys[t]].0,
                e.keys[t],
                "key of {} {}",
                PATHS[t],
                at
            );
            let statements = |s: &kcb::emulator::WorldSnapshot| {
                s.key_policies[&keys[t]]["Statement"]
                    .as_array()
                    .map_or(0, Vec::len)
            };
            prop_assert_eq!(
                statements(&now),
                statements(&before) + e.key_statements[t],
                "key policy statements of {} {}",
                PATHS[t],
                at
            );
            prop_assert_eq!(
                transports[t].len(),
                e.rules[t],
                "rules of {} {}",
                PATHS[t],
                at
            );
        }
        let base = |p: &str| before.policies[p].len();
        prop_assert_eq!(
            now.policies["producer"].len(),
            base("producer") + e.statements[0],
            "{}",
            at
        );
        prop_assert_eq!(
            now.policies["consumer"].len(),
            base("consumer") + e.statements[1],
            "{}",
            at
        );
        prop_assert_eq!(now.kms_delays, e.delays, "{}", at);
    }
    w.advance(LOAD_END - now);
    engine.lift_all(LOAD_END).await;
    let failed: Vec<String> = engine
        .applied()
        .iter()
        .filter(|a| !a.ok())
        .map(|a| format!("{} {:?}: {}", faults[a.fault].name, a.step, a.note()))
        .collect();
    prop_assert!(failed.is_empty(), "steps failed: {:?}", failed);
    prop_assert_eq!(w.svc.control().snapshot(), before);
    prop_assert!(transports.iter().all(|t| t.is_empty()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn overlapping_faults_hold_in_their_windows_and_leave_the_world_as_it_was(
        picked in proptest::collection::vec(fault(), 1..7)
    ) {
        let faults: Vec<FaultSpec> = picked.iter().enumerate().map(|(i, f)| spec(i, f)).collect();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let rt = match rt {
            Ok(rt) => rt,
            Err(e) => return Err(TestCaseError::fail(format!("runtime: {e}"))),
        };
        rt.block_on(check(faults))?;
    }
}

/// The case: KMS throttles at 2–5 s and 4–7 s. The first one's end must not lift the
/// second, and after 7 s the quota is the base again.
#[tokio::test]
async fn two_kms_throttles_overlapping_without_nesting() {
    let faults: Vec<FaultSpec> = [(2, 3, 2.0), (4, 3, 5.0)]
        .iter()
        .enumerate()
        .map(|(i, (at, len, q))| spec(i, &(Pick::KmsQuota(*q), *at, Some(*len), vec![true, true])))
        .collect();
    let result = check(faults).await;
    assert!(result.is_ok(), "{result:?}");
}
