//! Tests of `[[faults]]` and of the expectation metrics that name faults and errors.

use std::path::Path;
use std::time::Duration;

use super::*;

/// Four paths, then one `[[faults]]` header on line 17; a fault's first key is on line 18.
/// The load ends at 12 s (2 s warm-up + 10 s).
const BASE: &str = "name = \"f\"\nduration = \"10s\"\nwarmup = \"2s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n[[paths]]\nkind = \"sse-kms\"\nname = \"sse-aws\"\nkey = \"aws-managed\"\n[[faults]]\n";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn parse_text(text: &str) -> Result<Scenario, ScenarioError> {
    parse(text, Path::new("scenarios/x.toml"))
}

/// The one fault of `BASE` + `body`.
fn one(body: &str) -> FaultSpec {
    let s = parse_text(&format!("{BASE}{body}\n")).unwrap_or_else(|e| panic!("{e}\n{body}"));
    assert_eq!(s.faults.len(), 1);
    s.faults[0].clone()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn deny_parses_and_reaches_paths_by_its_actions() {
    let f = one("kind = \"deny\"\nat = \"5s\"\nfor = \"3s\"\nprincipal = \"producer\"\nactions = [\"kms:GenerateDataKey\", \"kinesis:Put*\"]");
    let want = FaultSpec {
        name: "deny-0".into(),
        at: secs(5),
        duration: Some(secs(3)),
        paths: strings(&["plaintext", "envelope", "sse-kms", "sse-aws"]),
        tenants: Vec::new(),
        kind: FaultKind::Deny {
            principal: "producer".into(),
            actions: strings(&["kms:GenerateDataKey", "kinesis:Put*"]),
        },
    };
    assert_eq!(f, want);
    assert_eq!((f.end(), f.kind.name()), (Some(secs(8)), "deny"));
    assert!(f.applies_to("plaintext") && !f.applies_to("nope"));
    // KMS actions only: a plaintext path makes no KMS call, so it is out of reach.
    let f = one("kind = \"deny\"\nat = \"0s\"\nprincipal = \"consumer\"\nactions = [\"kms:*\"]");
    assert_eq!(f.paths, strings(&["envelope", "sse-kms", "sse-aws"]));
    assert_eq!(f.end(), None);
    let f = one(
        "kind = \"deny\"\nat = \"0s\"\nprincipal = \"admin\"\nactions = [\"*\", \"kms:Re?ncrypt\"]",
    );
    assert_eq!(f.paths.len(), 4);
}

#[test]
fn throttles_parse_with_their_defaults() {
    let f = one(
        "kind = \"throttle\"\nservice = \"kinesis\"\nat = \"3s\"\nfor = \"5s\"\nfraction = 0.3",
    );
    assert_eq!(f.name, "throttle-0");
    assert_eq!(f.paths.len(), 4);
    let want = FaultKind::KinesisThrottle {
        operations: strings(&["PutRecord", "PutRecords", "GetRecords"]),
        fraction: Some(0.3),
        write_bytes_per_sec: None,
        write_records_per_sec: None,
        read_calls_per_sec: None,
        read_bytes_per_sec: None,
    };
    assert_eq!(f.kind, want);
    let f = one("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"3s\"\nwrite_records_per_sec = 50\nread_calls_per_sec = 1\nwrite_bytes_per_sec = 1048576\nread_bytes_per_sec = 1000.5");
    let FaultKind::KinesisThrottle {
        fraction,
        write_records_per_sec,
        read_calls_per_sec,
        write_bytes_per_sec,
        read_bytes_per_sec,
        ..
    } = f.kind
    else {
        panic!("{f:?}");
    };
    assert_eq!(
        (fraction, write_records_per_sec, read_calls_per_sec),
        (None, Some(50.0), Some(1.0))
    );
    assert_eq!(
        (write_bytes_per_sec, read_bytes_per_sec),
        (Some(1048576.0), Some(1000.5))
    );
    let f =
        one("kind = \"throttle\"\nservice = \"kms\"\nat = \"4s\"\nfor = \"4s\"\nquota_per_sec = 2");
    let want = FaultKind::KmsThrottle {
        quota_per_sec: Some(2.0),
        fraction: None,
        operations: strings(&["GenerateDataKey", "Decrypt", "Encrypt"]),
    };
    assert_eq!(
        (f.kind, f.paths),
        (want, strings(&["envelope", "sse-kms", "sse-aws"]))
    );
    let f = one("kind = \"throttle\"\nservice = \"kms\"\nat = \"4s\"\nfraction = 1\noperations = [\"Decrypt\", \"Decrypt\"]");
    let want = FaultKind::KmsThrottle {
        quota_per_sec: None,
        fraction: Some(1.0),
        operations: strings(&["Decrypt"]),
    };
    assert_eq!(f.kind, want);
}

#[test]
fn key_faults_reach_customer_managed_keys_only() {
    let f = one("kind = \"disable-key\"\nat = \"5s\"\nfor = \"3s\"");
    assert_eq!(
        (f.name.as_str(), &f.kind),
        ("disable-key-0", &FaultKind::DisableKey)
    );
    assert_eq!(f.paths, strings(&["envelope", "sse-kms"]));
    let f =
        one("kind = \"schedule-key-deletion\"\nat = \"5s\"\nfor = \"5s\"\ncancel_after = \"3s\"");
    let want = FaultKind::ScheduleKeyDeletion {
        waiting_period_days: 7,
        cancel_after: Some(secs(3)),
    };
    assert_eq!((f.kind.name(), f.kind), ("schedule-key-deletion", want));
    let f = one("kind = \"schedule-key-deletion\"\nat = \"5s\"\nwaiting_period_days = 30");
    let want = FaultKind::ScheduleKeyDeletion {
        waiting_period_days: 30,
        cancel_after: None,
    };
    assert_eq!((f.kind, f.duration), (want, None));
    let f = one("kind = \"delete-key\"\nname = \"shred\"\nat = \"8s\"\npaths = [\"sse-kms\"]");
    let want = FaultSpec {
        name: "shred".into(),
        at: secs(8),
        duration: None,
        paths: strings(&["sse-kms"]),
        tenants: Vec::new(),
        kind: FaultKind::DeleteKey,
    };
    assert_eq!(f, want);
}

#[test]
fn latency_parses_every_delay_form() {
    let f = one("kind = \"latency\"\nat = \"0s\"\nservice = \"kinesis\"\ndelay = \"200us\"");
    let FaultKind::Latency {
        service,
        operations,
        delay,
    } = &f.kind
    else {
        panic!("{f:?}");
    };
    assert_eq!(
        (*service, delay),
        (
            FaultService::Kinesis,
            &DelaySpec::Fixed(Duration::from_micros(200))
        )
    );
    assert!(
        operations.iter().any(|o| o == "GetShardIterator"),
        "{operations:?}"
    );
    assert_eq!(f.paths.len(), 4);
    let f = one("kind = \"latency\"\nat = \"1s\"\nservice = \"kms\"\noperations = [\"GenerateDataKey\", \"Decrypt\"]\ndelay = { uniform = { min = \"100us\", max = \"300us\" } }");
    let want = FaultKind::Latency {
        service: FaultService::Kms,
        operations: strings(&["GenerateDataKey", "Decrypt"]),
        delay: DelaySpec::Uniform {
            min: Duration::from_micros(100),
            max: Duration::from_micros(300),
        },
    };
    assert_eq!((f.kind, f.paths.len()), (want, 3));
    let f = one("kind = \"latency\"\nat = \"1s\"\nservice = \"kms\"\n[faults.delay.log_normal]\nmedian = \"1ms\"\nsigma = 0.5");
    let FaultKind::Latency { delay, .. } = f.kind else {
        panic!("not latency")
    };
    assert_eq!(
        delay,
        DelaySpec::LogNormal {
            median: Duration::from_millis(1),
            sigma: 0.5
        }
    );
}

#[test]
fn kms_day_length_defaults_to_a_day() {
    let s = parse_text(&BASE.replace("[[faults]]\n", "")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.kms.day_length, s.faults.len()), (secs(86_400), 0));
    let s = parse_text(&BASE.replace("[[faults]]\n", "[kms]\nday_length = \"1s\"\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.kms.day_length, secs(1));
}

#[test]
fn serializes_faults_as_the_toml_writes_them() {
    let text = format!("{BASE}kind = \"throttle\"\nservice = \"kms\"\nat = \"4s\"\nfor = \"1500ms\"\nquota_per_sec = 2\n[[faults]]\nkind = \"latency\"\nat = \"0s\"\nservice = \"kms\"\ndelay = {{ uniform = {{ min = \"0s\", max = \"1ms\" }} }}\n[[faults]]\nkind = \"delete-key\"\nat = \"1s\"\n");
    let s = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&s.faults).expect("serializes");
    assert_eq!(json[0]["kind"], "throttle");
    assert_eq!(json[0]["service"], "kms");
    assert_eq!(json[0]["for"], "1s 500ms");
    assert_eq!(json[0]["quota_per_sec"], 2.0);
    assert!(json[0].get("write_bytes_per_sec").is_none(), "{json}");
    assert_eq!(json[1]["delay"]["uniform"]["max"], "1ms");
    assert_eq!(json[2]["kind"], "delete-key");
    assert!(json[2]["for"].is_null());
    assert_eq!(json[2]["paths"], serde_json::json!(["envelope", "sse-kms"]));
}

#[test]
fn fault_expectations_name_the_fault() {
    let text = format!("{BASE}kind = \"deny\"\nat = \"5s\"\nfor = \"3s\"\nprincipal = \"producer\"\nactions = [\"kms:GenerateDataKey\"]\n[[faults]]\nkind = \"throttle\"\nservice = \"kinesis\"\nname = \"fis\"\nat = \"1s\"\nfor = \"2s\"\nfraction = 0.5\n[expect]\n\"fault.fis.errors\" = \">= 1\"\nfault.fis.puts_ok = \"> 0\"\nmax_fault.fis.first_error_ms = 500\n[expect.sse-kms]\n\"fault.deny-0.recovery_ms\" = \"<= 1000\"\nfault.deny-0.first_error_ms = \"< 100\"\n\"errors.KMSAccessDeniedException\" = \">= 1\"\n");
    let s = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<&str> = s
        .expect
        .iter()
        .filter(|e| e.metric != crate::Metric::ScheduleKept)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "fault.fis.first_error_ms <= 500",
            "fault.fis.errors >= 1",
            "fault.fis.puts_ok > 0",
            "sse-kms.errors.KMSAccessDeniedException >= 1",
            "sse-kms.fault.deny-0.first_error_ms < 100",
            "sse-kms.fault.deny-0.recovery_ms <= 1000",
        ]
    );
    let recovery = &s.expect[6]; // after the default schedule_kept, first
    let want = Metric::Fault {
        fault: "deny-0".into(),
        measure: FaultMetric::RecoveryMs,
    };
    assert_eq!(
        (&recovery.metric, recovery.cmp, recovery.threshold),
        (&want, Cmp::Le, 1000.0)
    );
    assert!(s.fault("fis").is_some() && s.fault("deny-0").is_some());
}

/// Each case: (fault body after `[[faults]]`, then anything else, the "file:line: field" the
/// error starts with, a phrase of what would be valid).
#[test]
fn rejects_bad_faults_naming_file_line_and_field() {
    let cases: Vec<(&str, &str, &str)> = vec![
        ("kind = \"flood\"\nat = \"1s\"", "x.toml:18: faults[0].kind", "one of \"deny\", \"throttle\", \"disable-key\", \"schedule-key-deletion\", \"delete-key\", \"rotate-key\", \"revoke-grant\", \"key-policy\", \"latency\", \"reshard\" (got \"flood\")"),
        ("at = \"1s\"", "x.toml:17: faults[0].kind", "required field `kind`"),
        ("kind = \"key-policy\"\nat = \"1s\"\nfor = \"1s\"\nremove = \"x\"\nprincipal = \"producer\"", "x.toml:21: faults[0].remove", "either `remove` (a statement's Sid) or `principal` and `actions`"),
        ("kind = \"key-policy\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [\"kinesis:PutRecord\"]", "x.toml:21: faults[0].actions[0]", "a key policy governs KMS actions only"),
        ("kind = \"key-policy\"\nat = \"1s\"", "x.toml:17: faults[0]", "needs `remove` (the Sid of a statement taken out) or `principal` and `actions`"),
        ("kind = \"deny\"\nprincipal = \"producer\"\nactions = [\"*\"]", "x.toml:17: faults[0].at", "required field `at`"),
        ("kind = \"deny\"\nat = \"1s\"\nbogus = 1", "x.toml:20: faults[0].bogus", "expected one of `kind`, `name`, `at`, `for`, `paths`"),
        ("kind = \"disable-key\"\nat = \"1s\"\ncancel_after = \"1s\"", "x.toml:20: faults[0].cancel_after", "not a setting of kind \"disable-key\" (it belongs to kind \"schedule-key-deletion\"); keys valid for kind \"disable-key\": kind, name, at, for, paths"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nquota_per_sec = 2", "x.toml:21: faults[0].quota_per_sec", "belongs to kind \"throttle\" with service = \"kms\"); keys valid for kind \"throttle\" with service = \"kinesis\": kind, name, at, for, paths, tenants, service, operations, fraction, write_bytes_per_sec"),
        ("kind = \"deny\"\nat = \"1s\"\noperations = [\"PutRecord\"]", "x.toml:20: faults[0].operations", "(it belongs to kinds \"throttle\", \"latency\"); keys valid for kind \"deny\": kind, name, at, for, paths, tenants, principal, actions"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\nfraction = 0.5\ndelay = \"1ms\"", "x.toml:21: faults[0].fraction", "belongs to kind \"throttle\")"),
        ("kind = \"delete-key\"\nat = \"1s\"\nfor = \"2s\"", "x.toml:20: faults[0].for", "deletion cannot be undone"),
        ("kind = \"reshard\"\nat = \"1s\"\naction = \"split\"\nfor = \"2s\"", "x.toml:21: faults[0].for", "kind \"reshard\" is an event and cannot have `for`"),
        ("kind = \"reshard\"\nat = \"1s\"", "x.toml:17: faults[0].action", "required for kind \"reshard\": \"split\", \"merge\" or \"update-shard-count\""),
        ("kind = \"reshard\"\nat = \"1s\"\naction = \"grow\"", "x.toml:20: faults[0].action", "must be one of \"split\", \"merge\", \"update-shard-count\" (got \"grow\")"),
        ("kind = \"reshard\"\nat = \"1s\"\naction = \"split\"\ntarget_shards = 2", "x.toml:21: faults[0].target_shards", "only with action = \"update-shard-count\""),
        ("kind = \"reshard\"\nat = \"1s\"\naction = \"update-shard-count\"\ntarget_shards = 501", "x.toml:21: faults[0].target_shards", "between 1 and 500 shards"),
        ("kind = \"reshard\"\nat = \"1s\"\naction = \"split\"\ndelay = \"1ms\"", "x.toml:21: faults[0].delay", "keys valid for kind \"reshard\": kind, name, at, paths, tenants, action, target_shards"),
        ("kind = \"disable-key\"\nat = \"1s\"\npaths = [\"plaintext\"]", "x.toml:20: faults[0].paths[0]", "path \"plaintext\" is kind \"plaintext\", which has no KMS key"),
        ("kind = \"delete-key\"\nat = \"1s\"\npaths = [\"sse-kms\", \"sse-aws\"]", "x.toml:20: faults[0].paths[1]", "uses the AWS-managed key (alias/aws/kinesis), which cannot be disabled or deleted"),
        ("kind = \"throttle\"\nservice = \"kms\"\nat = \"1s\"\nquota_per_sec = 1\npaths = [\"plaintext\"]", "x.toml:22: faults[0].paths[0]", "makes no KMS calls"),
        ("kind = \"deny\"\nat = \"1s\"\npaths = [\"nope\"]\nprincipal = \"producer\"\nactions = [\"*\"]", "x.toml:20: faults[0].paths[0]", "no path is named \"nope\"; paths: \"plaintext\", \"envelope\", \"sse-kms\", \"sse-aws\""),
        ("kind = \"deny\"\nat = \"1s\"\npaths = []\nprincipal = \"producer\"\nactions = [\"*\"]", "x.toml:20: faults[0].paths", "list at least one path name"),
        ("kind = \"deny\"\nat = \"1s\"\npaths = [\"envelope\", \"envelope\"]\nprincipal = \"producer\"\nactions = [\"*\"]", "x.toml:20: faults[0].paths[1]", "listed twice"),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [\"kms:Decrypt\", \"s3:GetObject\"]", "x.toml:21: faults[0].actions[1]", "with service kinesis or kms"),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [\"kms:\"]", "x.toml:21: faults[0].actions[0]", "(got \"kms:\")"),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [\"kms:Gen-Key\"]", "x.toml:21: faults[0].actions[0]", "e.g. \"kms:GenerateDataKey\""),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = []", "x.toml:21: faults[0].actions", "list at least one action"),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"", "x.toml:17: faults[0].actions", "required for kind \"deny\": a list of IAM actions"),
        ("kind = \"deny\"\nat = \"1s\"\nprincipal = \"root\"\nactions = [\"*\"]", "x.toml:20: faults[0].principal", "one of \"producer\", \"consumer\", \"admin\", \"resharder\", \"delivery\" (got \"root\")"),
        ("kind = \"deny\"\nat = \"1s\"\nactions = [\"*\"]", "x.toml:17: faults[0].principal", "required for kind \"deny\": one of \"producer\""),
        ("kind = \"schedule-key-deletion\"\nat = \"1s\"\nfor = \"3s\"\ncancel_after = \"3s\"", "x.toml:21: faults[0].cancel_after", "must be less than `for` (3s)"),
        ("kind = \"schedule-key-deletion\"\nat = \"1s\"\ncancel_after = \"0s\"", "x.toml:20: faults[0].cancel_after", "must be > 0"),
        ("kind = \"schedule-key-deletion\"\nat = \"1s\"\nwaiting_period_days = 6", "x.toml:20: faults[0].waiting_period_days", "between 7 and 30 days"),
        ("kind = \"schedule-key-deletion\"\nat = \"1s\"\ncancel_after = \"1s\"\n[kms]\nday_length = \"100ms\"", "x.toml:20: faults[0].cancel_after", "less than the waiting period, 7 days of kms.day_length 100ms = 700ms: the key would be deleted before the cancel"),
        ("kind = \"schedule-key-deletion\"\nat = \"1s\"\nfor = \"2s\"\n[kms]\nday_length = \"100ms\"", "x.toml:20: faults[0].for", "or set cancel_after"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nfraction = 1.5", "x.toml:21: faults[0].fraction", "must be > 0 and <= 1"),
        ("kind = \"throttle\"\nservice = \"kms\"\nat = \"1s\"\nfraction = 0", "x.toml:21: faults[0].fraction", "(got 0)"),
        ("kind = \"throttle\"\nservice = \"kms\"\nat = \"1s\"\nfraction = nan", "x.toml:21: faults[0].fraction", "(got NaN)"),
        ("kind = \"throttle\"\nat = \"1s\"\nfraction = 0.5", "x.toml:17: faults[0].service", "required for kind \"throttle\": \"kinesis\" or \"kms\""),
        ("kind = \"throttle\"\nservice = \"s3\"\nat = \"1s\"\nfraction = 0.5", "x.toml:19: faults[0].service", "one of \"kinesis\", \"kms\""),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"", "x.toml:17: faults[0]", "needs `fraction`"),
        ("kind = \"throttle\"\nservice = \"kms\"\nat = \"1s\"", "x.toml:17: faults[0]", "needs `quota_per_sec`"),
        ("kind = \"throttle\"\nservice = \"kms\"\nat = \"1s\"\nquota_per_sec = 20000", "x.toml:21: faults[0].quota_per_sec", "<= 10000 requests/s ([kms] quota_per_sec): a throttle can only lower"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nwrite_records_per_sec = 1001", "x.toml:21: faults[0].write_records_per_sec", "<= 1000 records/s"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nread_calls_per_sec = 0", "x.toml:21: faults[0].read_calls_per_sec", "must be > 0 and <= 5 calls/s"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nwrite_records_per_sec = 5\noperations = [\"PutRecord\"]", "x.toml:22: faults[0].operations", "set `fraction` or remove `operations`"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nfraction = 0.5\noperations = [\"DeleteStream\"]", "x.toml:22: faults[0].operations[0]", "one of \"PutRecord\", \"PutRecords\", \"GetRecords\" (got \"DeleteStream\")"),
        ("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nfraction = 0.5\noperations = []", "x.toml:22: faults[0].operations", "or leave `operations` out"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = \"1ms\"\noperations = [\"PutRecord\"]", "x.toml:22: faults[0].operations[0]", "one of \"GenerateDataKey\", \"Decrypt\", \"Encrypt\""),
        ("kind = \"latency\"\nat = \"1s\"\ndelay = \"1ms\"", "x.toml:17: faults[0].service", "required for kind \"latency\""),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"", "x.toml:17: faults[0].delay", "required for kind \"latency\": a duration like \"200us\""),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = 5", "x.toml:21: faults[0].delay", "expected a duration like \"200us\""),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = \"0s\"", "x.toml:21: faults[0].delay", "must be > 0 and <= 1m"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = \"2m\"", "x.toml:21: faults[0].delay", "(got \"2m\")"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = { uniform = { min = \"2ms\", max = \"1ms\" } }", "x.toml:21: faults[0].delay.uniform.max", "must be >= min (2ms)"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = { log_normal = { median = \"1ms\", sigma = 5 } }", "x.toml:21: faults[0].delay.log_normal.sigma", "> 0 and <= 4"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = { normal = { mean = \"1ms\" } }", "x.toml:21: faults[0].delay.normal", "expected `uniform` or `log_normal`"),
        ("kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = { uniform = { min = \"1ms\", max = \"2ms\", mode = \"1ms\" } }", "x.toml:21: faults[0].delay.uniform.mode", "expected `min` or `max`"),
        ("kind = \"disable-key\"\nat = \"12s\"", "x.toml:19: faults[0].at", "must be before the load ends at 12s (warmup + duration) (got \"12s\")"),
        ("kind = \"disable-key\"\nat = 5", "x.toml:19: faults[0].at", "expected a duration string with a unit"),
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"0s\"", "x.toml:20: faults[0].for", "must be > 0; leave `for` out"),
        ("kind = \"disable-key\"\nat = \"1s\"\nname = \"a b\"", "x.toml:20: faults[0].name", "ASCII letters, digits"),
        ("kind = \"disable-key\"\nat = \"1s\"\n[[faults]]\nkind = \"disable-key\"\nat = \"2s\"\nname = \"disable-key-0\"", "x.toml:23: faults[1].name", "already the name of faults[0]"),
        ("kind = \"disable-key\"\nat = \"1s\"\n[kms]\nday_length = \"25h\"", "x.toml:21: kms.day_length", "between 1ms and 24h"),
        // Expectations naming faults.
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\n[expect.sse-kms]\n\"fault.nope.errors\" = \">= 1\"", "x.toml:22: expect.sse-kms.\"fault.nope.errors\"", "no fault is named \"nope\"; faults: \"disable-key-0\""),
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\n[expect.sse-kms]\n\"fault.disable-key-0.lag\" = \">= 1\"", "x.toml:22: expect.sse-kms.\"fault.disable-key-0.lag\"", "unknown fault measure `lag`; write fault.<fault>.<measure>, measure one of first_error_ms, recovery_ms, errors, puts_ok"),
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\n[expect.sse-kms]\nfault.disable-key-0 = \">= 1\"", "x.toml:22: expect.sse-kms.fault.disable-key-0", "write fault.<fault>.<measure>"),
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\n[expect.plaintext]\n\"fault.disable-key-0.errors\" = \">= 1\"", "x.toml:22: expect.plaintext.\"fault.disable-key-0.errors\"", "does not apply to path \"plaintext\"; it applies to \"envelope\", \"sse-kms\""),
        ("kind = \"disable-key\"\nat = \"1s\"\nfor = \"1s\"\n[expect]\nmax_fault.disable-key-0.errors = 1", "x.toml:22: expect.max_fault.disable-key-0.errors", "put this check under [expect.<path>]"),
        ("kind = \"disable-key\"\nat = \"1s\"\n[expect.sse-kms]\n\"fault.disable-key-0.recovery_ms\" = \"<= 1\"", "x.toml:21: expect.sse-kms.\"fault.disable-key-0.recovery_ms\"", "has no `for`"),
        ("kind = \"disable-key\"\nat = \"10s\"\nfor = \"5s\"\n[expect.sse-kms]\n\"fault.disable-key-0.recovery_ms\" = \"<= 1\"", "x.toml:22: expect.sse-kms.\"fault.disable-key-0.recovery_ms\"", "ends at or after the end of the load"),
        ("kind = \"disable-key\"\nat = \"1s\"\n[expect]\n\"errors.Bad Name\" = \">= 1\"", "x.toml:21: expect.\"errors.Bad Name\"", "AWS error name of letters only"),
    ];
    for (body, prefix, phrase) in cases {
        let text = format!("{BASE}{body}\n");
        let err = parse_text(&text).expect_err(body);
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("scenarios/{prefix}: ")),
            "{shown}\n--- wanted prefix {prefix:?} for ---\n{body}"
        );
        assert!(
            shown.contains(phrase),
            "{shown}\n--- lacks {phrase:?} ---\n{body}"
        );
        assert_eq!(err.exit_code(), 2);
    }
}

#[test]
fn a_key_fault_needs_a_path_with_a_key() {
    let text = "name = \"p\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"plaintext\"\n[[faults]]\nkind = \"delete-key\"\nat = \"1s\"\n";
    let err = parse_text(text).expect_err("no key to delete");
    let shown = err.to_string();
    assert!(
        shown.starts_with("scenarios/x.toml:8: faults[0].paths: no path this fault can apply to: path \"plaintext\" is kind \"plaintext\", which has no KMS key"),
        "{shown}"
    );
}

#[test]
fn never_panics_on_fault_garbage() {
    let bodies = [
        "kind = 1",
        "kind = \"deny\"\nat = \"1s\"\nactions = \"kms:*\"",
        "kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [1]",
        "kind = \"throttle\"\nservice = \"kinesis\"\nat = \"99999999999999999999h\"",
        "kind = \"schedule-key-deletion\"\nat = \"1s\"\nwaiting_period_days = 9223372036854775807",
        "kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = { log_normal = { median = \"1ms\", sigma = inf } }",
        "kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = []",
        "kind = \"latency\"\nservice = \"kms\"\nat = \"1s\"\ndelay = {}",
        "kind = \"deny\"\nat = \"1s\"\nprincipal = \"producer\"\nactions = [\"\u{e9}:x\", \"kms:\u{e9}\", \":\", \"kms:GenerateDataKey:x\"]",
        "kind = \"disable-key\"\nat = \"1s\"\n[expect]\nfault = { x = { y = { z = 1 } } }",
        "kind = \"disable-key\"\nat = \"1s\"\n[expect]\nerrors = { \"\" = 1 }\n\"fault..\" = \"<= 1\"",
    ];
    for body in bodies {
        let text = format!("{BASE}{body}\n");
        assert!(parse_text(&text).is_err(), "{body}");
    }
    // A `for` past any run is cut at its end, even one too long to add to `at`.
    let f = one("kind = \"throttle\"\nservice = \"kinesis\"\nat = \"1s\"\nfor = \"18446744073709551615s\"\nfraction = 1");
    assert_eq!(
        (f.duration.map(|d| d.as_secs()), f.end()),
        (Some(u64::MAX), None)
    );
    let full = format!("{BASE}kind = \"schedule-key-deletion\"\nname = \"k\"\nat = \"5s\"\nfor = \"5s\"\ncancel_after = \"3s\"\n[[faults]]\nkind = \"latency\"\nat = \"0s\"\nservice = \"kms\"\ndelay = {{ uniform = {{ min = \"1ms\", max = \"2ms\" }} }}\n[expect.sse-kms]\n\"fault.k.recovery_ms\" = \"<= 1000\"\n");
    assert!(parse_text(&full).is_ok());
    for cut in (BASE.len()..full.len()).filter(|c| full.is_char_boundary(*c)) {
        let _ = parse_text(&full[..cut]);
    }
}

/// The ```toml blocks of `scenarios/README.md` that hold `needle`.
fn readme_blocks(needle: &str) -> Vec<String> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/README.md");
    let text = std::fs::read_to_string(&readme).expect("scenarios/README.md");
    text.split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .filter(|block| block.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_fault_examples_validate() {
    let base = "name = \"r\"\nduration = \"12s\"\nwarmup = \"2s\"\n[workload]\nrate_per_sec = 100\nrecord_size = 1024\n[[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n[[paths]]\nname = \"cmk\"\nkind = \"firehose\"\nkey = \"customer-managed\"\n";
    let blocks = readme_blocks("[[faults]]");
    assert!(blocks.len() >= 6, "{} fault examples", blocks.len());
    let mut kinds = Vec::new();
    for block in &blocks {
        let s = parse_text(&format!("{base}{block}")).unwrap_or_else(|e| panic!("{e}\n{block}"));
        kinds.extend(s.faults.iter().map(|f| f.kind.name()));
    }
    // The `[tenants]` example stands alone (its paths become copies); the rest share `base`.
    let blocks: Vec<&String> = blocks.iter().filter(|b| !b.contains("[tenants]")).collect();
    for kind in [
        "deny",
        "throttle",
        "disable-key",
        "schedule-key-deletion",
        "delete-key",
        "revoke-grant",
        "key-policy",
        "latency",
    ] {
        assert!(kinds.contains(&kind), "no README example of {kind}");
    }
    let deny = &blocks[0];
    let checks = readme_blocks("[expect.sse-kms]\n\"errors.");
    assert_eq!(checks.len(), 1);
    let s = parse_text(&format!("{base}{deny}{}", checks[0])).unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<&str> = s.expect.iter().map(|e| e.text.as_str()).collect();
    assert!(
        texts.contains(&"sse-kms.errors.KMSThrottlingException <= 10"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"sse-kms.fault.deny-0.first_error_ms <= 500"),
        "{texts:?}"
    );
    let delays = readme_blocks("delay = \"200us\"");
    let forms: Vec<&str> = delays[0].lines().collect();
    assert_eq!(forms.len(), 3);
    for form in forms {
        let body =
            format!("[[faults]]\nkind = \"latency\"\nat = \"0s\"\nservice = \"kms\"\n{form}\n");
        parse_text(&format!("{base}{body}")).unwrap_or_else(|e| panic!("{e}\n{form}"));
    }
}
