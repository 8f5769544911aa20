//! The `[expect]` table: pass/fail checks on a run's metrics.
//!
//! Top-level keys apply to every path; a subtable named after a path applies to that path.
//! A value is a string `"<op> <number>"` (op: `<=`, `<`, `>=`, `>`, `==`), or a number when
//! the key is `max_<metric>` (means `<=`) or `min_<metric>` (means `>=`).

use serde::Serialize;
use toml::Value;

use super::error::{FieldPath, Problem};

/// A metric an expectation can test. Units are in the name (`_us` = microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
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
}

impl Metric {
    /// Every metric, in the order reports list them.
    pub const ALL: [Metric; 19] = [
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
    ];

    /// The name as written in TOML (snake_case).
    pub fn name(&self) -> &'static str {
        match self {
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
        }
    }

    /// The metric with this TOML name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
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

/// Reads the `[expect]` table at `field`; `paths` are the scenario's path names.
pub(crate) fn expectations(
    field: &FieldPath,
    table: &toml::Table,
    paths: &[&str],
) -> R<Vec<Expectation>> {
    let mut out = Vec::new();
    for (key, value) in table {
        let here = field.key(key);
        match value {
            Value::Table(sub) => {
                check_path_name(&here, key, paths)?;
                for (metric_key, v) in sub {
                    out.push(entry(&here.key(metric_key), Some(key), metric_key, v)?);
                }
            }
            _ => out.push(entry(&here, None, key, value)?),
        }
    }
    out.sort_by(|a, b| (&a.scope, a.metric).cmp(&(&b.scope, b.metric)));
    Ok(out)
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
fn entry(field: &FieldPath, scope: Option<&str>, key: &str, value: &Value) -> R<Expectation> {
    let (metric, cmp, threshold, number) = if let Some(name) = key.strip_prefix("max_") {
        let (t, text) = bound_number(field, key, value)?;
        (metric(field, name, key)?, Cmp::Le, t, text)
    } else if let Some(name) = key.strip_prefix("min_") {
        let (t, text) = bound_number(field, key, value)?;
        (metric(field, name, key)?, Cmp::Ge, t, text)
    } else {
        let m = metric(field, key, key)?;
        let (cmp, t, text) = comparison(field, m, value)?;
        (m, cmp, t, text)
    };
    let prefix = scope.map(|s| format!("{s}.")).unwrap_or_default();
    Ok(Expectation {
        scope: scope.map(str::to_owned),
        metric,
        cmp,
        threshold,
        text: format!("{prefix}{} {} {number}", metric.name(), cmp.symbol()),
    })
}

fn metric(field: &FieldPath, name: &str, key: &str) -> R<Metric> {
    Metric::from_name(name).ok_or_else(|| {
        let valid: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
        let what = if name == key {
            format!("unknown metric `{name}`")
        } else {
            format!("unknown metric `{name}` in `{key}`")
        };
        Problem::new(
            field,
            format!(
                "{what}; valid metrics: {} (each as `metric = \"<= N\"`, `max_metric = N` or `min_metric = N`)",
                valid.join(", ")
            ),
        )
    })
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
fn comparison(field: &FieldPath, metric: Metric, value: &Value) -> R<(Cmp, f64, String)> {
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

    fn run(text: &str) -> R<Vec<Expectation>> {
        let table: toml::Table = toml::from_str(text).expect("test TOML parses");
        expectations(
            &FieldPath::root().key("expect"),
            &table,
            &["plaintext", "sse-kms"],
        )
    }

    fn problem(text: &str) -> Problem {
        run(text).expect_err("should be rejected")
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
            let json = serde_json::to_string(&m).expect("serializes");
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        assert_eq!(Metric::from_name("nope"), None);
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
