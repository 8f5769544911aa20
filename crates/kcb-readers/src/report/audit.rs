//! An audit in the report: the JSON `audit --format json` writes, read back (only the fields
//! the page shows; others are ignored), counted by protection for the plot, and rendered as
//! the streams' table and the findings with their remediation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The protections in the order the plot and the tables list them (weakest first).
pub const PROTECTIONS: [&str; 4] = ["none", "aws-owned", "aws-managed", "customer-managed"];

/// An audit as `audit --format json` wrote it.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditDoc {
    /// `embedded`, an endpoint URL, or `aws`.
    pub target: String,
    /// The account audited.
    pub account: String,
    /// The rules asked (empty: the baseline).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Compliant streams over all streams, percent.
    pub compliance_percent: f64,
    /// Findings counted by severity.
    #[serde(default)]
    pub findings_by_severity: BTreeMap<String, u64>,
    /// Every stream.
    pub streams: Vec<AuditStream>,
    /// Every finding, most severe first.
    #[serde(default)]
    pub findings: Vec<AuditFinding>,
    /// After `audit --apply`: the compliance before the changes, percent.
    #[serde(skip)]
    pub before_percent: Option<f64>,
}

/// One stream of the audit.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditStream {
    /// Its name.
    pub name: String,
    /// `kinesis` or `firehose`.
    pub service: String,
    /// `none`, `aws-owned`, `aws-managed` or `customer-managed`.
    pub protection: String,
    /// Its key, when a key of the account protects it.
    pub key: Option<AuditKey>,
    /// The source stream a delivery stream inherits its protection from.
    pub inherited_from: Option<String>,
    /// It meets the rules.
    pub compliant: bool,
    /// How it falls short.
    #[serde(default)]
    pub shortfalls: Vec<String>,
}

/// A stream's key.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditKey {
    /// Its ARN.
    pub arn: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
    /// Automatic rotation on.
    pub rotation: bool,
    /// The rotation period, days.
    pub rotation_period_days: Option<i32>,
    /// What makes its key policy overly permissive.
    #[serde(default)]
    pub policy_findings: Vec<String>,
}

/// One finding and the commands that would fix it.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditFinding {
    /// `critical`, `high`, `medium`, `low`.
    pub severity: String,
    /// `kinesis` or `firehose`.
    pub service: String,
    /// The stream.
    pub stream: String,
    /// The rule it breaks.
    pub rule: String,
    /// What is wrong.
    pub message: String,
    /// AWS CLI commands that would fix it.
    #[serde(default)]
    pub remediation: Vec<String>,
}

/// Streams of one protection: (protection, compliant, falling short).
pub type ProtectionCount = (&'static str, u64, u64);

impl AuditDoc {
    /// Read `file`, naming it in the error.
    pub fn load(file: &Path) -> Result<AuditDoc, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let bad = |e: serde_json::Error| {
            format!(
                "{}: not an audit (the JSON of `audit --format json`): {e}",
                file.display()
            )
        };
        let mut value: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
        // `audit --apply` writes the audit before and after its changes; the page shows after.
        let before = value
            .get("before")
            .and_then(|b| b.get("compliance_percent"))
            .and_then(serde_json::Value::as_f64);
        if let Some(after) = value.get_mut("after").map(serde_json::Value::take) {
            value = after;
        }
        let mut doc: AuditDoc = serde_json::from_value(value).map_err(bad)?;
        doc.before_percent = before;
        if let Some(s) = doc
            .streams
            .iter()
            .find(|s| !PROTECTIONS.contains(&s.protection.as_str()))
        {
            return Err(format!(
                "{}: stream {:?}: protection {:?} is none of {}",
                file.display(),
                s.name,
                s.protection,
                PROTECTIONS.join(", ")
            ));
        }
        Ok(doc)
    }

    /// Streams by protection, every protection listed (weakest first).
    pub fn by_protection(&self) -> Vec<ProtectionCount> {
        PROTECTIONS
            .iter()
            .map(|&p| {
                let of = self.streams.iter().filter(|s| s.protection == p);
                let ok = of.clone().filter(|s| s.compliant).count() as u64;
                (p, ok, of.count() as u64 - ok)
            })
            .collect()
    }

    /// The summary's section: compliance, streams by protection, findings by severity.
    pub fn summary(&self) -> String {
        let ok = self.streams.iter().filter(|s| s.compliant).count();
        let protections: Vec<String> = self
            .by_protection()
            .iter()
            .map(|(p, ok, short)| format!("{p} {}", ok + short))
            .collect();
        let severities: Vec<String> = self
            .findings_by_severity
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        format!(
            "\n#### Encryption audit: {} (account {})\n\nCompliance {:.1}% ({ok} of {} streams{}). Streams: {}. Findings: {}.\n",
            self.target,
            self.account,
            self.compliance_percent,
            self.streams.len(),
            self.before_text(),
            protections.join(", "),
            if severities.is_empty() {
                "none".to_owned()
            } else {
                severities.join(", ")
            }
        )
    }

    /// "; before --apply: X%" after an `audit --apply`, else nothing.
    pub fn before_text(&self) -> String {
        self.before_percent
            .map(|b| format!("; {b:.1}% before --apply"))
            .unwrap_or_default()
    }

    /// The streams' table rows.
    pub fn stream_rows(&self) -> Vec<Vec<String>> {
        self.streams
            .iter()
            .map(|s| {
                let (key, state, rotation, policy) = match &s.key {
                    Some(k) => (
                        k.arn.rsplit('/').next().unwrap_or(&k.arn).to_owned(),
                        k.state.clone(),
                        match (k.rotation, k.rotation_period_days) {
                            (true, Some(d)) => format!("on, {d} days"),
                            (true, None) => "on".to_owned(),
                            (false, _) => "off".to_owned(),
                        },
                        if s.protection != "customer-managed" {
                            "AWS's".to_owned()
                        } else if k.policy_findings.is_empty() {
                            "restrictive".to_owned()
                        } else {
                            format!("permissive: {}", k.policy_findings.join("; "))
                        },
                    ),
                    None => ("-".into(), "-".into(), "-".into(), "-".into()),
                };
                let protection = match &s.inherited_from {
                    Some(src) => format!("{} (from {src})", s.protection),
                    None => s.protection.clone(),
                };
                vec![
                    s.name.clone(),
                    s.service.clone(),
                    protection,
                    key,
                    state,
                    rotation,
                    policy,
                    if s.compliant { "yes" } else { "no" }.to_owned(),
                    s.shortfalls.join("; "),
                ]
            })
            .collect()
    }
}

/// The streams' table head.
pub const STREAM_HEAD: [&str; 9] = [
    "stream",
    "service",
    "protection",
    "key",
    "key state",
    "rotation",
    "key policy",
    "compliant",
    "falls short",
];

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"target":"embedded","account":"111122223333","requirements":[],
      "compliance_percent":50.0,"findings_by_severity":{"high":1},
      "streams":[
        {"name":"a","service":"kinesis","protection":"none","key":null,"compliant":false,
         "shortfalls":["not customer-managed"],"harness_created":true},
        {"name":"b","service":"firehose","protection":"customer-managed","inherited_from":"s",
         "key":{"arn":"arn:aws:kms:us-east-1:111122223333:key/k1","state":"Enabled",
                "rotation":true,"rotation_period_days":90,"policy_findings":[]},
         "compliant":true,"shortfalls":[]}],
      "findings":[{"severity":"high","service":"kinesis","stream":"a","rule":"customer-managed",
        "message":"off","remediation":["aws kinesis start-stream-encryption --stream-name a"]}]}"#;

    #[test]
    fn reads_an_audit_and_counts_it_by_protection() {
        let dir = std::env::temp_dir().join(format!("kcb-audit-doc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("audit.json");
        std::fs::write(&file, DOC).expect("write");
        let doc = AuditDoc::load(&file).expect("reads");
        assert_eq!(
            doc.by_protection(),
            vec![
                ("none", 0, 1),
                ("aws-owned", 0, 0),
                ("aws-managed", 0, 0),
                ("customer-managed", 1, 0)
            ]
        );
        let rows = doc.stream_rows();
        assert_eq!(rows[1][2], "customer-managed (from s)");
        assert_eq!(rows[1][3], "k1");
        assert_eq!(rows[1][5], "on, 90 days");
        assert_eq!(rows[0][7], "no");
        let applied = format!("{{\"before\": {{\"compliance_percent\": 25.0}}, \"after\": {DOC}}}");
        std::fs::write(&file, applied).expect("write");
        let doc = AuditDoc::load(&file).expect("reads --apply's output");
        assert_eq!((doc.before_percent, doc.streams.len()), (Some(25.0), 2));
        assert!(
            doc.summary().contains("25.0% before --apply"),
            "{}",
            doc.summary()
        );
        std::fs::write(&file, DOC.replace("\"none\"", "\"weak\"")).expect("write");
        let err = AuditDoc::load(&file).expect_err("refused");
        assert!(
            err.contains("audit.json") && err.contains("\"weak\""),
            "{err}"
        );
        std::fs::write(&file, "{\"streams\": 3}").expect("write");
        let err = AuditDoc::load(&file).expect_err("refused");
        assert!(err.contains("not an audit"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
