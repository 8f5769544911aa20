//! The `[expect]` table: pass/fail checks on a run's metrics.
//!
//! Top-level keys apply to every path; a subtable named after a path applies to that path.
//! A value is a string `"<op> <number>"` (op: `<=`, `<`, `>=`, `>`, `==`), or a number when
//! the key is `max_<metric>` (means `<=`) or `min_<metric>` (means `>=`). Two metric families
//! take a name: `errors.<AwsErrorName>` and `fault.<fault-name>.<measure>`; written as quoted
//! keys (`"errors.X" = ">= 1"`) or as TOML dotted keys (`errors.X = ">= 1"`), they mean the same.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};
use toml::Value;

use super::error::{FieldPath, Problem};
use super::FaultSpec;
use kcb_result::result::generator::MIN_RATE_RATIO;

/// A metric an expectation can test. Units are in the name (`_us` = microseconds).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Records acknowledged by Kinesis but never read back (records).
    Lost,
    /// Records read back more than once (records).
    Duplicated,
    /// Records read back whose checksum or authentication failed (records).
    Corrupted,
    /// Records read back that could not be decrypted, e.g. the key was unusable (records).
    Unreadable,
    /// Records whose put failed after every retry (records).
    Failed,
    /// Records acknowledged by Kinesis (records).
    Acked,
    /// Records read back (records).
    Read,
    /// Records decrypted by the consumer (records).
    Decrypted,
    /// Put latency from intended send time, 50th percentile (µs).
    PutP50Us,
    /// Put latency from intended send time, 99th percentile (µs).
    PutP99Us,
    /// Intended send time to consumer read, 50th percentile (µs).
    E2eP50Us,
    /// Intended send time to consumer read, 99th percentile (µs).
    E2eP99Us,
    /// Added put latency over the plaintext path, 50th percentile (µs).
    OverheadP50Us,
    /// Added put latency over the plaintext path, 99th percentile (µs).
    OverheadP99Us,
    /// KMS requests per data key reuse window (calls).
    KmsCallsPerWindow,
    /// KMS requests over the run (calls).
    KmsCallsTotal,
    /// Bytes on the record over plaintext bytes (ratio).
    InflationRatio,
    /// Bytes on the record minus plaintext bytes, per record (bytes).
    OverheadBytes,
    /// Errors returned by any call, retried or not (errors).
    ErrorsTotal,
    /// How late sends started against the schedule, 99th percentile (µs).
    ScheduleLagP99Us,
    /// `schedule_kept`: the generator kept its schedule on the path (lag p99 within the bound
    /// and at least [`MIN_RATE_RATIO`] of the intended rate sent). Written `schedule_kept =
    /// true | false | "<duration>"` at the top of `[expect]`; on unless a scenario turns it off.
    ScheduleKept,
    /// `errors.<Name>`: errors with this AWS error name (`[A-Za-z]+`, e.g.
    /// `KMSAccessDeniedException`) returned to the path's calls, retried or not (errors).
    Errors(String),
    /// `fault.<fault>.<measure>`: how one fault showed on the path.
    Fault {
        /// The fault's name (`[[faults]] name`).
        fault: String,
        /// What is measured.
        measure: FaultMetric,
    },
}

impl Metric {
    /// Every metric without a name part, in the order reports list them.
    pub const ALL: [Metric; 20] = [
        Self::Lost,
        Self::Duplicated,
        Self::Corrupted,
        Self::Unreadable,
        Self::Failed,
        Self::Acked,
        Self::Read,
        Self::Decrypted,
        Self::PutP50Us,
        Self::PutP99Us,
        Self::E2eP50Us,
        Self::E2eP99Us,
        Self::OverheadP50Us,
        Self::OverheadP99Us,
        Self::KmsCallsPerWindow,
        Self::KmsCallsTotal,
        Self::InflationRatio,
        Self::OverheadBytes,
        Self::ErrorsTotal,
        Self::ScheduleLagP99Us,
    ];

    /// The name as written in TOML: `lost`, `errors.KMSDisabledException`,
    /// `fault.deny-0.recovery_ms`.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Lost => "lost",
            Self::Duplicated => "duplicated",
            Self::Corrupted => "corrupted",
            Self::Unreadable => "unreadable",
            Self::Failed => "failed",
            Self::Acked => "acked",
            Self::Read => "read",
            Self::Decrypted => "decrypted",
            Self::PutP50Us => "put_p50_us",
            Self::PutP99Us => "put_p99_us",
            Self::E2eP50Us => "e2e_p50_us",
            Self::E2eP99Us => "e2e_p99_us",
            Self::OverheadP50Us => "overhead_p50_us",
            Self::OverheadP99Us => "overhead_p99_us",
            Self::KmsCallsPerWindow => "kms_calls_per_window",
            Self::KmsCallsTotal => "kms_calls_total",
            Self::InflationRatio => "inflation_ratio",
            Self::OverheadBytes => "overhead_bytes",
            Self::ErrorsTotal => "errors_total",
            Self::ScheduleLagP99Us => "schedule_lag_p99_us",
            Self::ScheduleKept => "schedule_kept",
            Self::Errors(name) => return Cow::Owned(format!("errors.{name}")),
            Self::Fault { fault, measure } => {
                return Cow::Owned(format!("fault.{fault}.{}", measure.name()))
            }
        })
    }

    /// The metric with this TOML name. A `fault.<name>.<measure>` is read whatever the fault
    /// name; whether that fault exists is checked against the scenario when it is loaded.
    pub fn from_name(name: &str) -> Option<Metric> {
        if let Some(error) = name.strip_prefix("errors.") {
            return is_error_name(error).then(|| Self::Errors(error.to_owned()));
        }
        if let Some(rest) = name.strip_prefix("fault.") {
            let (fault, measure) = rest.rsplit_once('.')?;
            if fault.is_empty() || fault.contains('.') {
                return None;
            }
            let measure = FaultMetric::from_name(measure)?;
            let fault = fault.to_owned();
            return Some(Self::Fault { fault, measure });
        }
        if name == Self::ScheduleKept.name() {
            return Some(Self::ScheduleKept);
        }
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The schedule lag p99 a kept schedule allows unless `[expect] schedule_kept` names another.
pub const DEFAULT_SCHEDULE_LAG_P99: Duration = Duration::from_millis(10);

/// The key that turns the schedule check off, on, or sets its bound.
const SCHEDULE_KEPT: &str = "schedule_kept";

/// Bounds of `schedule_kept`'s duration.
const SCHEDULE_LAG_RANGE: (Duration, Duration) =
    (Duration::from_micros(100), Duration::from_secs(3600));

/// The `schedule_kept` check with a lag p99 bound of `bound`; `default` marks the one a
/// scenario gets without saying.
pub fn schedule_kept(bound: Duration, default: bool) -> Expectation {
    let text = format!(
        "schedule_kept: schedule lag p99 <= {} and >= {:.0} % of the intended rate{}",
        humantime::format_duration(bound),
        MIN_RATE_RATIO * 100.0,
        if default { " (default)" } else { "" }
    );
    Expectation {
        scope: None,
        metric: Metric::ScheduleKept,
        cmp: Cmp::Le,
        threshold: bound.as_micros() as f64,
        text,
    }
}

/// `schedule_kept = true | false | "<duration>"`: the check, or None when turned off.
fn schedule_kept_entry(field: &FieldPath, value: &Value) -> R<Option<Expectation>> {
    let usage = "write schedule_kept = true (schedule lag p99 <= 10ms, the default), a duration such as \"5ms\" (the lag p99 it allows, 100us to 1h), or false (not checked: the run still says when it fell behind)";
    match value {
        Value::Boolean(true) => Ok(Some(schedule_kept(DEFAULT_SCHEDULE_LAG_P99, false))),
        Value::Boolean(false) => Ok(None),
        Value::String(s) => {
            let d = humantime::parse_duration(s.trim())
                .map_err(|e| Problem::new(field, format!("{usage} (got {s:?}: {e})")))?;
            let (lo, hi) = SCHEDULE_LAG_RANGE;
            if d < lo || d > hi {
                return Err(Problem::new(field, format!("{usage} (got {s:?})")));
            }
            Ok(Some(schedule_kept(d, false)))
        }
        other => Err(Problem::new(
            field,
            format!("{usage} (got {})", other.type_str()),
        )),
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Serialized as its TOML name, e.g. `"lost"` or `"errors.ThrottlingException"`.
impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// What `fault.<fault>.<measure>` measures, on one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMetric {
    /// From the fault's start to the first error seen by the path's producers or consumers (ms).
    FirstErrorMs,
    /// From the fault's end to the first put acknowledged after it (ms).
    RecoveryMs,
    /// Errors on the path while the fault was active (errors).
    Errors,
    /// Puts acknowledged on the path while the fault was active (records).
    PutsOk,
    /// With `[tenants]`: tenants of the path's group that saw an error or gave up on a record
    /// while the fault was active (tenants).
    HitTenants,
    /// With `[tenants]`: of those, the tenants the fault did not target (tenants).
    CollateralTenants,
}

impl FaultMetric {
    /// Every fault measure.
    pub const ALL: [FaultMetric; 6] = [
        Self::FirstErrorMs,
        Self::RecoveryMs,
        Self::Errors,
        Self::PutsOk,
        Self::HitTenants,
        Self::CollateralTenants,
    ];

    /// The name as written after `fault.<fault>.`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FirstErrorMs => "first_error_ms",
            Self::RecoveryMs => "recovery_ms",
            Self::Errors => "errors",
            Self::PutsOk => "puts_ok",
            Self::HitTenants => "hit_tenants",
            Self::CollateralTenants => "collateral_tenants",
        }
    }

    /// The measure with this name.
    pub fn from_name(name: &str) -> Option<FaultMetric> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// An AWS error name: `[A-Za-z]+`.
fn is_error_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic())
}

/// How a measured value is compared with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cmp {
    /// measured <= threshold.
    #[serde(rename = "<=")]
    Le,
    /// measured < threshold.
    #[serde(rename = "<")]
    Lt,
    /// measured >= threshold.
    #[serde(rename = ">=")]
    Ge,
    /// measured > threshold.
    #[serde(rename = ">")]
    Gt,
    /// measured == threshold (within 1e-9 relative).
    #[serde(rename = "==")]
    Eq,
}

impl Cmp {
    /// Every comparison; two-character symbols first so parsing can match by prefix.
    pub const ALL: [Cmp; 5] = [Self::Le, Self::Ge, Self::Eq, Self::Lt, Self::Gt];

    /// The operator as written: `<=`, `<`, `>=`, `>` or `==`.
    pub fn symbol(&self) -> &'static str {
        match self {
            Self::Le => "<=",
            Self::Lt => "<",
            Self::Ge => ">=",
            Self::Gt => ">",
            Self::Eq => "==",
        }
    }

    /// Whether `measured` passes against `threshold`; a NaN measurement never passes.
    pub fn holds(&self, measured: f64, threshold: f64) -> bool {
        match self {
            Self::Le => measured <= threshold,
            Self::Lt => measured < threshold,
            Self::Ge => measured >= threshold,
            Self::Gt => measured > threshold,
            Self::Eq => (measured - threshold).abs() <= 1e-9 * threshold.abs().max(1.0),
        }
    }
}

/// One check: `metric cmp threshold` on one path or on every path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// The path it applies to; `None` = every path.
    pub scope: Option<String>,
    /// What is measured.
    pub metric: Metric,
    /// How the measurement is compared.
    pub cmp: Cmp,
    /// The bound, in the metric's unit.
    pub threshold: f64,
    /// Normalized text for printing, e.g. `sse-kms.overhead_p99_us <= 100`.
    pub text: String,
}

impl Expectation {
    /// Whether this expectation is checked on the path named `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        self.scope.as_deref().is_none_or(|s| s == path)
    }
}

type R<T> = Result<T, Problem>;

/// The names expectations may refer to.
pub(crate) struct Known<'a> {
    /// The scenario's path names.
    pub paths: &'a [&'a str],
    /// The scenario's faults.
    pub faults: &'a [FaultSpec],
    /// When the load ends (warm-up + duration).
    pub load_end: Duration,
    /// Whether the file has a `[tenants]` table.
    pub tenants: bool,
}

/// Reads the `[expect]` table at `field`.
pub(crate) fn expectations(
    field: &FieldPath,
    table: &toml::Table,
    known: &Known<'_>,
) -> R<Vec<Expectation>> {
    let mut out = Vec::new();
    let mut schedule = Some(schedule_kept(DEFAULT_SCHEDULE_LAG_P99, true));
    for (key, value) in table {
        let here = field.key(key);
        match value {
            _ if key == SCHEDULE_KEPT => schedule = schedule_kept_entry(&here, value)?,
            Value::Table(sub) if known.paths.contains(&key.as_str()) => {
                for (metric_key, v) in sub {
                    let at = here.key(metric_key);
                    if metric_key == SCHEDULE_KEPT {
                        let msg = "schedule_kept is checked on every path: set it at the top of [expect], not under a path";
                        return Err(Problem::new(&at, msg));
                    }
                    flatten(&at, Some(key), metric_key.clone(), v, known, &mut out)?;
                }
            }
            Value::Table(_) if family(key).is_some() => {
                flatten(&here, None, key.clone(), value, known, &mut out)?;
            }
            Value::Table(_) => check_path_name(&here, key, known.paths)?,
            _ => out.push(entry(&here, None, key, value, known)?),
        }
    }
    out.extend(schedule);
    out.sort_by(|a, b| (&a.scope, &a.metric).cmp(&(&b.scope, &b.metric)));
    Ok(out)
}

/// The named family a key belongs to (`errors` or `fault`), `max_`/`min_` aside.
fn family(key: &str) -> Option<&str> {
    let bare = key
        .strip_prefix("max_")
        .or_else(|| key.strip_prefix("min_"))
        .unwrap_or(key);
    let head = bare.split('.').next().unwrap_or(bare);
    matches!(head, "errors" | "fault").then_some(head)
}

/// A key and its value, where a table under `errors`/`fault` is a dotted key: its keys are
/// joined to `key` with dots (`fault.deny-0.recovery_ms`).
fn flatten(
    field: &FieldPath,
    scope: Option<&str>,
    key: String,
    value: &Value,
    known: &Known<'_>,
    out: &mut Vec<Expectation>,
) -> R<()> {
    match value {
        Value::Table(sub) if family(&key).is_some() => {
            for (k, v) in sub {
                flatten(&field.key(k), scope, format!("{key}.{k}"), v, known, out)?;
            }
            Ok(())
        }
        _ => {
            out.push(entry(field, scope, &key, value, known)?);
            Ok(())
        }
    }
}

fn check_path_name(field: &FieldPath, key: &str, paths: &[&str]) -> R<()> {
    if paths.contains(&key) {
        return Ok(());
    }
    let names: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    Err(Problem::new(
        field,
        format!(
            "a table under [expect] names a path, and no path is named {key:?}; paths: {}",
            names.join(", ")
        ),
    ))
}

/// One `key = value` pair.
fn entry(
    field: &FieldPath,
    scope: Option<&str>,
    key: &str,
    value: &Value,
    known: &Known<'_>,
) -> R<Expectation> {
    let (metric, cmp, threshold, number) = if let Some(name) = key.strip_prefix("max_") {
        let (t, text) = bound_number(field, key, value)?;
        (metric(field, name, key, scope, known)?, Cmp::Le, t, text)
    } else if let Some(name) = key.strip_prefix("min_") {
        let (t, text) = bound_number(field, key, value)?;
        (metric(field, name, key, scope, known)?, Cmp::Ge, t, text)
    } else {
        let m = metric(field, key, key, scope, known)?;
        let (cmp, t, text) = comparison(field, &m, value)?;
        (m, cmp, t, text)
    };
    let prefix = scope.map(|s| format!("{s}.")).unwrap_or_default();
    let text = format!("{prefix}{metric} {} {number}", cmp.symbol());
    Ok(Expectation {
        scope: scope.map(str::to_owned),
        metric,
        cmp,
        threshold,
        text,
    })
}

fn metric(
    field: &FieldPath,
    name: &str,
    key: &str,
    scope: Option<&str>,
    known: &Known<'_>,
) -> R<Metric> {
    if let Some(error) = name.strip_prefix("errors.") {
        return error_metric(field, error);
    }
    if let Some(rest) = name.strip_prefix("fault.") {
        return fault_metric(field, rest, scope, known);
    }
    let plain = Metric::from_name(name).filter(|m| *m != Metric::ScheduleKept);
    plain.ok_or_else(|| {
        let valid: Vec<Cow<'_, str>> = Metric::ALL.iter().map(Metric::name).collect();
        let what = if name == key {
            format!("unknown metric `{name}`")
        } else {
            format!("unknown metric `{name}` in `{key}`")
        };
        Problem::new(
            field,
            format!(
                "{what}; valid metrics: {}, errors.<AwsErrorName>, fault.<fault>.<measure> (each as `metric = \"<= N\"`, `max_metric = N` or `min_metric = N`)",
                valid.join(", ")
            ),
        )
    })
}

fn error_metric(field: &FieldPath, error: &str) -> R<Metric> {
    if is_error_name(error) {
        return Ok(Metric::Errors(error.to_owned()));
    }
    let msg = format!(
        "`errors.` takes an AWS error name of letters only, e.g. errors.KMSAccessDeniedException or errors.ThrottlingException (got {error:?})"
    );
    Err(Problem::new(field, msg))
}

/// `<fault>.<measure>` after `fault.`, checked against the scenario's faults.
fn fault_metric(
    field: &FieldPath,
    rest: &str,
    scope: Option<&str>,
    known: &Known<'_>,
) -> R<Metric> {
    let measures: Vec<&str> = FaultMetric::ALL.iter().map(FaultMetric::name).collect();
    let faults: Vec<String> = known
        .faults
        .iter()
        .map(|f| format!("{:?}", f.name))
        .collect();
    let faults = if faults.is_empty() {
        "none; add a [[faults]] entry".to_owned()
    } else {
        faults.join(", ")
    };
    let usage = format!(
        "write fault.<fault>.<measure>, measure one of {} (faults: {faults})",
        measures.join(", ")
    );
    let Some((name, measure)) = rest.rsplit_once('.') else {
        return Err(Problem::new(
            field,
            format!("{usage} (got \"fault.{rest}\")"),
        ));
    };
    let Some(fault) = known.faults.iter().find(|f| f.name == name) else {
        let msg = format!("no fault is named {name:?}; faults: {faults}");
        return Err(Problem::new(field, msg));
    };
    let Some(measure) = FaultMetric::from_name(measure) else {
        let msg = format!("unknown fault measure `{measure}`; {usage}");
        return Err(Problem::new(field, msg));
    };
    check_fault_scope(field, fault, scope, known.paths)?;
    let blast = matches!(
        measure,
        FaultMetric::HitTenants | FaultMetric::CollateralTenants
    );
    if blast && !known.tenants {
        let msg = format!(
            "`{}` counts tenants: it needs a [tenants] table (count = N)",
            measure.name()
        );
        return Err(Problem::new(field, msg));
    }
    if measure == FaultMetric::RecoveryMs {
        check_fault_ends(field, fault, known.load_end)?;
    }
    Ok(Metric::Fault {
        fault: name.to_owned(),
        measure,
    })
}

/// A fault check is made on paths the fault applies to: the named one, or (top level) all.
fn check_fault_scope(
    field: &FieldPath,
    fault: &FaultSpec,
    scope: Option<&str>,
    paths: &[&str],
) -> R<()> {
    let applies: Vec<String> = fault.paths.iter().map(|p| format!("{p:?}")).collect();
    let (name, applies) = (&fault.name, applies.join(", "));
    match scope {
        Some(path) if !fault.applies_to(path) => Err(Problem::new(
            field,
            format!("fault {name:?} does not apply to path {path:?}; it applies to {applies}"),
        )),
        None if paths.iter().any(|p| !fault.applies_to(p)) => Err(Problem::new(
            field,
            format!(
                "fault {name:?} applies only to {applies}; put this check under [expect.<path>] for one of them"
            ),
        )),
        _ => Ok(()),
    }
}

/// `recovery_ms` needs a fault that ends before the load does.
fn check_fault_ends(field: &FieldPath, fault: &FaultSpec, load_end: Duration) -> R<()> {
    let name = &fault.name;
    let why = match fault.end() {
        None if fault.duration.is_none() => {
            format!("fault {name:?} has no `for`: it lasts to the end of the run")
        }
        Some(end) if end < load_end => return Ok(()),
        _ => format!("fault {name:?} ends at or after the end of the load"),
    };
    let msg = format!("{why}, so no put follows it; recovery_ms needs a fault that ends before the load does (give it a shorter `for`)");
    Err(Problem::new(field, msg))
}

/// The number of a `max_`/`min_` key, with its text as written.
fn bound_number(field: &FieldPath, key: &str, value: &Value) -> R<(f64, String)> {
    let (n, text) = match value {
        Value::Integer(i) => (*i as f64, i.to_string()),
        Value::Float(f) => (*f, f.to_string()),
        other => {
            return Err(Problem::new(
                field,
                format!(
                    "`{key}` takes a number, e.g. {key} = 0 (got {}); to write the operator yourself use `{} = \"<= 0\"`",
                    other.type_str(),
                    key.get(4..).unwrap_or(key)
                ),
            ))
        }
    };
    threshold(field, n, &text).map(|t| (t, text))
}

/// A `"<op> <number>"` string.
fn comparison(field: &FieldPath, metric: &Metric, value: &Value) -> R<(Cmp, f64, String)> {
    let name = metric.name();
    let usage = format!(
        "write {name} = \"<op> <number>\" with op one of <=, <, >=, >, == (e.g. {name} = \"<= 100\"), or max_{name} = N / min_{name} = N"
    );
    let Value::String(s) = value else {
        return Err(Problem::new(
            field,
            format!("{usage} (got {})", value.type_str()),
        ));
    };
    let s = s.trim();
    let Some(cmp) = Cmp::ALL.into_iter().find(|c| s.starts_with(c.symbol())) else {
        return Err(Problem::new(field, format!("{usage} (got {s:?})")));
    };
    let number = s[cmp.symbol().len()..].trim();
    let Ok(n) = number.parse::<f64>() else {
        return Err(Problem::new(field, format!("{usage} (got {s:?})")));
    };
    threshold(field, n, number).map(|t| (cmp, t, number.to_owned()))
}

fn threshold(field: &FieldPath, n: f64, text: &str) -> R<f64> {
    if n.is_finite() && n >= 0.0 {
        Ok(n)
    } else {
        Err(Problem::new(
            field,
            format!("the threshold must be a finite number >= 0, as every metric is (got {text})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every check an `[expect]` table makes, the default `schedule_kept` included.
    fn all(text: &str) -> R<Vec<Expectation>> {
        let table: toml::Table = toml::from_str(text).expect("test TOML parses");
        let known = Known {
            paths: &["plaintext", "sse-kms"],
            faults: &[],
            load_end: Duration::from_secs(10),
            tenants: false,
        };
        expectations(&FieldPath::root().key("expect"), &table, &known)
    }

    /// The checks a table makes, `schedule_kept` aside.
    fn run(text: &str) -> R<Vec<Expectation>> {
        let checks = all(text)?.into_iter();
        Ok(checks
            .filter(|e| e.metric != Metric::ScheduleKept)
            .collect())
    }

    /// The `schedule_kept` check a table makes, if any.
    fn schedule(text: &str) -> R<Option<Expectation>> {
        Ok(all(text)?
            .into_iter()
            .find(|e| e.metric == Metric::ScheduleKept))
    }

    #[test]
    fn schedule_kept_is_on_unless_turned_off_and_takes_a_bound() {
        let default = schedule("max_lost = 0")
            .expect("valid")
            .expect("on by default");
        assert_eq!((default.cmp, default.threshold), (Cmp::Le, 10_000.0));
        assert!(default.text.ends_with("(default)"), "{}", default.text);
        let on = schedule("schedule_kept = true")
            .expect("valid")
            .expect("on");
        assert_eq!(on.threshold, 10_000.0);
        assert!(!on.text.ends_with("(default)"));
        let tight = schedule("schedule_kept = \"2ms\"")
            .expect("valid")
            .expect("on");
        assert_eq!(tight.threshold, 2_000.0);
        assert_eq!(schedule("schedule_kept = false").expect("valid"), None);
        for bad in [
            "schedule_kept = 5",
            "schedule_kept = \"fast\"",
            "schedule_kept = \"2h\"",
        ] {
            let p = schedule(bad).expect_err(bad);
            assert_eq!(p.field.to_string(), "expect.schedule_kept", "{bad}");
            assert!(
                p.message.contains("write schedule_kept = true"),
                "{}",
                p.message
            );
        }
        let p = schedule("[sse-kms]\nschedule_kept = true").expect_err("per path");
        assert!(p.message.contains("every path"), "{}", p.message);
        let p = schedule("max_schedule_kept = 1").expect_err("not a bound");
        assert!(p.message.contains("unknown metric"), "{}", p.message);
    }

    fn problem(text: &str) -> Problem {
        run(text).expect_err("should be rejected")
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        let named = [
            Metric::Errors("ThrottlingException".into()),
            Metric::Fault {
                fault: "deny-0".into(),
                measure: FaultMetric::RecoveryMs,
            },
        ];
        for m in Metric::ALL.into_iter().chain(named) {
            assert_eq!(Metric::from_name(&m.name()), Some(m.clone()));
            let json = serde_json::to_string(&m).expect("serializes");
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        for bad in [
            "nope",
            "errors.",
            "errors.A1",
            "fault.x",
            "fault..errors",
            "fault.a.b.errors",
            "fault.x.nope",
        ] {
            assert_eq!(Metric::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn cmp_holds() {
        assert!(Cmp::Le.holds(1.0, 1.0) && !Cmp::Lt.holds(1.0, 1.0));
        assert!(Cmp::Ge.holds(2.0, 1.0) && Cmp::Gt.holds(2.0, 1.0));
        assert!(Cmp::Eq.holds(0.1 + 0.2, 0.3) && !Cmp::Eq.holds(1.0, 2.0));
        assert!(Cmp::ALL.iter().all(|c| !c.holds(f64::NAN, 1.0)));
    }

    #[test]
    fn reads_every_form() {
        let got = run(
            "max_lost = 0\nmin_read = 1.5\n[sse-kms]\noverhead_p99_us = \"<= 100\"\nkms_calls_total = \">3\"\nacked = \"== 7\"",
        )
        .expect("valid");
        let texts: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "lost <= 0",
                "read >= 1.5",
                "sse-kms.acked == 7",
                "sse-kms.overhead_p99_us <= 100",
                "sse-kms.kms_calls_total > 3",
            ]
        );
        assert!(got[0].applies_to("anything") && !got[2].applies_to("plaintext"));
        assert_eq!((got[4].cmp, got[4].threshold), (Cmp::Gt, 3.0));
    }

    #[test]
    fn rejects_unknown_metric_listing_valid_ones() {
        let p = problem("max_lots = 0");
        assert_eq!(p.field.to_string(), "expect.max_lots");
        assert!(
            p.message.contains("unknown metric `lots` in `max_lots`"),
            "{}",
            p.message
        );
        assert!(p.message.contains("kms_calls_per_window"), "{}", p.message);
    }

    #[test]
    fn reads_error_names_quoted_or_dotted() {
        let got = run(
            "\"max_errors.ThrottlingException\" = 3\nmin_errors.AccessDeniedException = 1\n[sse-kms]\n\"errors.KMSDisabledException\" = \">= 1\"\nerrors.KMSNotFoundException = \"> 0\"",
        )
        .expect("valid");
        let texts: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "errors.AccessDeniedException >= 1",
                "errors.ThrottlingException <= 3",
                "sse-kms.errors.KMSDisabledException >= 1",
                "sse-kms.errors.KMSNotFoundException > 0",
            ]
        );
        assert_eq!(got[2].metric, Metric::Errors("KMSDisabledException".into()));
        let p = problem("[sse-kms]\n\"errors.KMS-Denied\" = \">= 1\"");
        assert_eq!(p.field.to_string(), "expect.sse-kms.\"errors.KMS-Denied\"");
        assert!(p.message.contains("letters only"), "{}", p.message);
        let p = problem("[sse-kms]\nerrors = \">= 1\"");
        assert!(p.message.contains("errors.<AwsErrorName>"), "{}", p.message);
    }

    #[test]
    fn serializes_metrics_by_name() {
        let m = Metric::Fault {
            fault: "deny-0".into(),
            measure: FaultMetric::PutsOk,
        };
        let json = serde_json::to_string(&m).expect("serializes");
        assert_eq!(json, "\"fault.deny-0.puts_ok\"");
        assert_eq!(m.to_string(), "fault.deny-0.puts_ok");
    }

    #[test]
    fn rejects_unknown_path() {
        let p = problem("[envelope]\nmax_lost = 0");
        assert_eq!(p.field.to_string(), "expect.envelope");
        assert!(
            p.message.contains("\"plaintext\", \"sse-kms\""),
            "{}",
            p.message
        );
    }

    #[test]
    fn rejects_bad_values() {
        let cases = [
            ("lost = 0", "expect.lost", "or max_lost = N"),
            ("max_lost = \"<= 0\"", "expect.max_lost", "takes a number"),
            ("lost = \"= 0\"", "expect.lost", "op one of"),
            ("lost = \"<= lots\"", "expect.lost", "got \"<= lots\""),
            ("lost = \"<= nan\"", "expect.lost", "finite number >= 0"),
            ("max_lost = -1", "expect.max_lost", "finite number >= 0"),
            ("max_lost = inf", "expect.max_lost", "got inf"),
            (
                "[plaintext]\n[plaintext.x]\na = 1",
                "expect.plaintext.x",
                "unknown metric `x`",
            ),
        ];
        for (text, field, needle) in cases {
            let p = problem(text);
            assert_eq!(p.field.to_string(), field, "{text}");
            assert!(p.message.contains(needle), "{text}: {}", p.message);
        }
    }
}
