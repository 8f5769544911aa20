//! Every pair of fault kinds (a kind with itself included), overlapping without nesting, run as
//! a scenario on the virtual clock. The kinds are the scenario's own list
//! (`scenario::fault_kind_names`): a kind added there fails this test until it has a template
//! here, and is then paired with every other. In each run each fault shows its own effect in its own window, nothing
//! is lost, no error appears before the first fault or after the last has ended (but for a
//! deleted key, which stays deleted), so the drain runs in the world as it was.

use std::path::Path;
use std::sync::Arc;

use kcb::result::RunResult;
use kcb::runner;
use kcb::scenario;

/// What a fault of a kind must show while it lasts.
#[derive(Debug, Clone, Copy)]
enum Effect {
    /// At least one of these errors on some path.
    Errors(&'static [&'static str]),
    /// Put latency p50 while it lasts of at least this much, µs, on some path.
    SlowerPuts(u64),
    /// An event: applied, with no effect of its own to show.
    Applied,
}

/// How long a fault of a template lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lasts {
    /// Its window (`for`), then it is undone.
    Window,
    /// From `at` on: nothing undoes it (a deleted key), so its errors may go on after it.
    Forever,
    /// An event at `at` (a rotation, a reshard): no window, and no error of its own.
    Instant,
}

/// A variant of a fault kind: the kind (as `kind = ...` names it), a name, its TOML (without `at`
/// and `for`), how long it lasts, whether its errors are fatal (the harness gives the record
/// up instead of retrying), its effect, and whether it acts on a Firehose path (the scenario then
/// has one under a customer-managed key, which only such faults name).
struct Template {
    kind: &'static str,
    name: &'static str,
    toml: &'static str,
    lasts: Lasts,
    fatal: bool,
    effect: Effect,
    firehose: bool,
}

const DENIED: &[&str] = &["AccessDeniedException", "KMSAccessDeniedException"];
const THROTTLED: &[&str] = &["ProvisionedThroughputExceededException"];
const KMS_THROTTLED: &[&str] = &["ThrottlingException", "KMSThrottlingException"];
const DISABLED: &[&str] = &["DisabledException", "KMSDisabledException"];
const PENDING: &[&str] = &["KMSInvalidStateException"];
const GONE: &[&str] = &["NotFoundException", "KMSNotFoundException"];
const GRANT_REVOKED: &[&str] = &["InvalidKMSResourceException"];

const TEMPLATES: &[Template] = &[
    Template {
        kind: "deny",
        name: "deny",
        toml: "kind = \"deny\"\nprincipal = \"producer\"\nactions = [\"kms:GenerateDataKey\"]",
        lasts: Lasts::Window,
        fatal: true,
        effect: Effect::Errors(DENIED),
        firehose: false,
    },
    Template {
        kind: "throttle",
        name: "kinesis-fraction",
        toml: "kind = \"throttle\"\nservice = \"kinesis\"\nfraction = 0.5\noperations = [\"PutRecord\"]",
        lasts: Lasts::Window,
        fatal: false,
        effect: Effect::Errors(THROTTLED),
        firehose: false,
    },
    Template {
        kind: "throttle",
        name: "kinesis-limit",
        toml: "kind = \"throttle\"\nservice = \"kinesis\"\nwrite_records_per_sec = 20",
        lasts: Lasts::Window,
        fatal: false,
        effect: Effect::Errors(THROTTLED),
        firehose: false,
    },
    Template {
        kind: "throttle",
        name: "kms-quota",
        toml: "kind = \"throttle\"\nservice = \"kms\"\nquota_per_sec = 2",
        lasts: Lasts::Window,
        fatal: false,
        effect: Effect::Errors(KMS_THROTTLED),
        firehose: false,
    },
    Template {
        kind: "throttle",
        name: "kms-fraction",
        toml: "kind = \"throttle\"\nservice = \"kms\"\nfraction = 0.5",
        lasts: Lasts::Window,
        fatal: false,
        effect: Effect::Errors(KMS_THROTTLED),
        firehose: false,
    },
    Template {
        kind: "disable-key",
        name: "disable-key",
        toml: "kind = \"disable-key\"",
        lasts: Lasts::Window,
        fatal: true,
        effect: Effect::Errors(DISABLED),
        firehose: false,
    },
    Template {
        kind: "schedule-key-deletion",
        name: "schedule-key-deletion",
        toml: "kind = \"schedule-key-deletion\"\nwaiting_period_days = 7\ncancel_after = \"3s\"",
        lasts: Lasts::Window,
        fatal: true,
        effect: Effect::Errors(PENDING),
        firehose: false,
    },
    Template {
        kind: "delete-key",
        name: "delete-key",
        toml: "kind = \"delete-key\"",
        lasts: Lasts::Forever,
        fatal: true,
        effect: Effect::Errors(GONE),
        firehose: false,
    },
    Template {
        kind: "rotate-key",
        name: "rotate-key",
        toml: "kind = \"rotate-key\"",
        lasts: Lasts::Instant,
        fatal: false,
        effect: Effect::Applied,
        firehose: false,
    },
    Template {
        kind: "revoke-grant",
        name: "revoke-grant",
        toml: "kind = \"revoke-grant\"\npaths = [\"firehose\"]",
        lasts: Lasts::Window,
        fatal: true,
        effect: Effect::Errors(GRANT_REVOKED),
        firehose: true,
    },
    Template {
        kind: "key-policy",
        name: "key-policy-deny",
        toml: "kind = \"key-policy\"\nprincipal = \"producer\"\nactions = [\"kms:GenerateDataKey\"]",
        lasts: Lasts::Window,
        fatal: true,
        effect: Effect::Errors(DENIED),
        firehose: false,
    },
    Template {
        kind: "latency",
        name: "latency",
        toml: "kind = \"latency\"\nservice = \"kinesis\"\noperations = [\"PutRecord\"]\ndelay = \"20ms\"",
        lasts: Lasts::Window,
        fatal: false,
        effect: Effect::SlowerPuts(20_000),
        firehose: false,
    },
    Template {
        kind: "reshard",
        name: "reshard",
        toml: "kind = \"reshard\"\naction = \"split\"",
        lasts: Lasts::Instant,
        fatal: false,
        effect: Effect::Applied,
        firehose: false,
    },
];

/// Fault windows: the first 3–7 s, the second 5–9 s (overlapping, neither inside the other).
const WINDOWS: [(u64, u64); 2] = [(3, 4), (5, 4)];
const LAST_END: u64 = 9;

fn scenario(a: &Template, b: &Template) -> String {
    let mut text = String::from(
        r#"
name = "pair"
duration = "11s"
warmup = "1s"
seed = 5
clock = "virtual"
drain_timeout = "5s"

[workload]
rate_per_sec = 50
record_size = 512
api = "put-record"
# One send at a time, so retries absorb every retryable fault (what `problems` checks).
max_in_flight = 1

[retry]
max_attempts = 20
max_backoff = "500ms"

[kms]
day_length = "1s"

[[paths]]
kind = "envelope"
cache = { max_messages = 10, max_age = "1m" }

[[paths]]
kind = "sse-kms"
key = "customer-managed"
"#,
    );
    let firehose = a.firehose || b.firehose;
    if firehose {
        // Firehose retries a delivery every 5 s: the drain waits for what a fault held back.
        text = text.replace("drain_timeout = \"5s\"", "drain_timeout = \"20s\"");
        text.push_str(
            "\n[[paths]]\nname = \"firehose\"\nkind = \"firehose\"\nkey = \"customer-managed\"\n\
             buffer_size_mib = 1\nbuffer_interval = \"1s\"\n",
        );
    }
    for (i, (t, (at, len))) in [a, b].into_iter().zip(WINDOWS).enumerate() {
        text.push_str(&format!(
            "\n[[faults]]\nname = \"f{i}-{}\"\nat = \"{at}s\"\n{}\n",
            t.name, t.toml
        ));
        if t.lasts == Lasts::Window {
            text.push_str(&format!("for = \"{len}s\"\n"));
        }
        // The stream faults keep to the streams' paths; only a Firehose template names the
        // Firehose path.
        if firehose && !t.firehose {
            text.push_str("paths = [\"envelope\", \"sse-kms\"]\n");
        }
    }
    text
}

fn run(toml: &str) -> RunResult {
    let s = match scenario::parse(toml, Path::new("pair.toml")) {
        Ok(s) => s,
        Err(e) => panic!("{e}\n{toml}"),
    };
    let rt = runner::runtime(true).expect("runtime");
    rt.block_on(runner::run_scenario(Arc::new(s), None, false))
        .expect("run")
        .result
}

/// Why KMS refuses the second fault of a pair, where the first left the key unfit for it: a key
/// is rotated only while it is enabled, and a deleted key has no policy to change. The second
/// fault is then not applied, and its notes say what the key was.
fn refused(first: &Template, second: &Template) -> Option<&'static str> {
    match (first.kind, second.kind) {
        ("disable-key", "rotate-key") => Some("is Disabled"),
        ("schedule-key-deletion", "rotate-key") => Some("is PendingDeletion"),
        ("delete-key", "key-policy") => Some("does not exist"),
        _ => None,
    }
}

/// What is wrong with the run of pair (a, b), if anything.
fn problems(a: &Template, b: &Template, r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    let deleted = a.lasts == Lasts::Forever || b.lasts == Lasts::Forever;
    let fatal = a.fatal || b.fatal;
    for (k, (f, t)) in r.faults.iter().zip([a, b]).enumerate() {
        if let Some(state) = refused(a, b).filter(|_| k == 1) {
            if f.applied || !f.notes.iter().any(|n| n.contains(state)) {
                out.push(format!(
                    "{} should be refused (the key {state}): applied {}, {:?}",
                    f.name, f.applied, f.notes
                ));
            }
            continue;
        }
        if !f.applied {
            out.push(format!("{} not applied: {:?}", f.name, f.notes));
        }
        let shown = match t.effect {
            Effect::Applied => true,
            Effect::Errors(names) => f.paths.iter().any(|p| {
                names
                    .iter()
                    .any(|n| p.errors_during.get(*n).is_some_and(|c| *c > 0))
            }),
            // Unobservable when no put succeeds while it lasts (a deleted key fails them all).
            Effect::SlowerPuts(us) => f
                .paths
                .iter()
                .any(|p| p.latency_during_us.p50 >= us || (deleted && p.puts_ok_during == 0)),
        };
        if !shown {
            out.push(format!(
                "{} showed no {:?} while it lasted",
                f.name, t.effect
            ));
        }
    }
    for p in &r.paths {
        let l = &p.ledger;
        // Retryable errors are retried until they pass; fatal ones give records up.
        if l.lost > 0
            || l.corrupted > 0
            || (l.failed > 0 && !fatal)
            || (l.unreadable > 0 && !deleted)
            || !l.balances()
        {
            out.push(format!("{}: ledger {l:?}", p.name));
        }
        for s in &p.timeline {
            let outside = s.second < WINDOWS[0].0 || (s.second > LAST_END && !deleted);
            if outside && !s.errors.is_empty() {
                out.push(format!(
                    "{}: errors outside the faults at second {}: {:?}",
                    p.name, s.second, s.errors
                ));
            }
        }
    }
    out
}

#[test]
fn every_fault_kind_has_a_template() {
    let kinds: Vec<&str> = scenario::fault_kind_names().collect();
    for kind in &kinds {
        assert!(
            TEMPLATES.iter().any(|t| t.kind == *kind),
            "the fault kind {kind:?} has no template in fault_pairs.rs, so it is paired with none"
        );
    }
    for t in TEMPLATES {
        assert!(
            kinds.contains(&t.kind),
            "{}: no such kind {:?}",
            t.name,
            t.kind
        );
        assert!(
            t.toml.starts_with(&format!("kind = \"{}\"", t.kind)),
            "{}: its TOML is not of its kind",
            t.name
        );
    }
}

#[test]
fn every_pair_of_overlapping_fault_kinds_composes() {
    let mut pairs = Vec::new();
    for i in 0..TEMPLATES.len() {
        for j in i..TEMPLATES.len() {
            pairs.push((i, j));
        }
    }
    // Two threads share the pairs (each run has its own runtime and service).
    let chunks: Vec<Vec<(usize, usize)>> = (0..2)
        .map(|k| pairs.iter().copied().skip(k).step_by(2).collect())
        .collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut bad = Vec::new();
                    for &(i, j) in chunk {
                        let (a, b) = (&TEMPLATES[i], &TEMPLATES[j]);
                        let r = run(&scenario(a, b));
                        for p in problems(a, b, &r) {
                            bad.push(format!("{} + {}: {p}", a.name, b.name));
                        }
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["a run panicked".into()]))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
