//! An audit's report: one object per stream (its protection, key state and rotation, whether it
//! meets the rules), the compliance percentage, the findings by severity with their
//! remediation; as JSON or as a Markdown table.

use std::fmt::Write as _;

use serde::Serialize;

use super::classify::{by_severity, Finding, Principals};
use super::{classify, Rules, StreamAudit};

/// One stream in the report.
#[derive(Debug, Clone, Serialize)]
pub struct StreamRow {
    /// What the audit found.
    #[serde(flatten)]
    pub stream: StreamAudit,
    /// It meets the rules (or, with none, the baseline: customer-managed, Enabled, a
    /// restrictive key policy).
    pub compliant: bool,
    /// How it falls short.
    pub shortfalls: Vec<String>,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Where it ran: `embedded`, an endpoint URL, or `aws`.
    pub target: String,
    /// The account.
    pub account: String,
    /// The rules asked (empty: the baseline).
    pub requirements: Vec<String>,
    /// Compliant streams over all streams, percent (100 with no streams).
    pub compliance_percent: f64,
    /// Findings counted by severity.
    pub findings_by_severity: serde_json::Map<String, serde_json::Value>,
    /// Every stream.
    pub streams: Vec<StreamRow>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// The report of `streams` under `rules`.
    pub fn new(target: &str, who: &Principals, streams: Vec<StreamAudit>, rules: &Rules) -> Self {
        let findings = classify::findings(&streams, who);
        let rows: Vec<StreamRow> = streams
            .into_iter()
            .map(|s| {
                let shortfalls = rules.shortfalls(&s);
                StreamRow {
                    compliant: shortfalls.is_empty(),
                    shortfalls,
                    stream: s,
                }
            })
            .collect();
        let ok = rows.iter().filter(|r| r.compliant).count();
        let compliance_percent = if rows.is_empty() {
            100.0
        } else {
            100.0 * ok as f64 / rows.len() as f64
        };
        let findings_by_severity = by_severity(&findings)
            .into_iter()
            .map(|(s, n)| (s.name().to_owned(), n.into()))
            .collect();
        AuditReport {
            target: target.to_owned(),
            account: who.account.clone(),
            requirements: rules.names(),
            compliance_percent,
            findings_by_severity,
            streams: rows,
            findings,
        }
    }

    /// Streams that fall short.
    pub fn failing(&self) -> usize {
        self.streams.iter().filter(|r| !r.compliant).count()
    }

    /// As JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// As Markdown: the table, the compliance, the findings and their commands.
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(
            m,
            "# Encryption audit: {} (account {})\n",
            self.target, self.account
        );
        let _ = writeln!(
            m,
            "| stream | service | protection | key | key state | rotation | key policy | destination | compliant |"
        );
        let _ = writeln!(m, "|---|---|---|---|---|---|---|---|---|");
        for r in &self.streams {
            let s = &r.stream;
            let (key, state, rotation, policy) = match &s.key {
                Some(k) => (
                    k.arn.rsplit('/').next().unwrap_or(&k.arn).to_owned(),
                    match &k.deletion_date {
                        Some(d) => format!("{} (deleted at {d})", k.state),
                        None => k.state.clone(),
                    },
                    match (k.rotation, k.rotation_period_days) {
                        (true, Some(d)) => format!("on, {d} days"),
                        (true, None) => "on".to_owned(),
                        (false, _) => "off".to_owned(),
                    },
                    if k.manager != "CUSTOMER" {
                        "AWS's".to_owned()
                    } else if k.policy_findings.is_empty() {
                        "restrictive".to_owned()
                    } else {
                        format!("permissive ({})", k.policy_findings.len())
                    },
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let protection = match &s.inherited_from {
                Some(src) => format!("{} (from {src})", s.protection.name()),
                None => s.protection.name().to_owned(),
            };
            let destination = s.destination.as_ref().map_or("-".to_owned(), |d| {
                format!(
                    "{} {}",
                    d.bucket_arn.trim_start_matches("arn:aws:s3:::"),
                    d.protection.name()
                )
            });
            let compliant = if r.compliant {
                "yes".to_owned()
            } else {
                format!("no: {}", r.shortfalls.join("; "))
            };
            let _ = writeln!(
                m,
                "| {} | {} | {protection} | {key} | {state} | {rotation} | {policy} | {destination} | {compliant} |",
                s.name, s.service
            );
        }
        let rules = if self.requirements.is_empty() {
            "baseline: customer-managed, Enabled, restrictive key policy".to_owned()
        } else {
            self.requirements.join(", ")
        };
        let _ = writeln!(
            m,
            "\nCompliance: {:.1}% ({} of {} streams; {rules})\n",
            self.compliance_percent,
            self.streams.len() - self.failing(),
            self.streams.len()
        );
        let counts: Vec<String> = by_severity(&self.findings)
            .into_iter()
            .map(|(s, n)| format!("{} {n}", s.name()))
            .collect();
        let _ = writeln!(m, "Findings: {}\n", counts.join(", "));
        for f in &self.findings {
            let _ = writeln!(
                m,
                "- **{}** {} `{}` ({}): {}",
                f.severity.name(),
                f.service,
                f.stream,
                f.rule,
                f.message
            );
            for c in &f.remediation {
                let _ = writeln!(m, "  - `{c}`");
            }
        }
        let mut policies: Vec<(String, &str)> = Vec::new();
        for f in &self.findings {
            if let Some(doc) = &f.policy_document {
                let file = classify::policy_file(&f.stream);
                if !policies.iter().any(|(n, _)| *n == file) {
                    policies.push((file, doc));
                }
            }
        }
        if let Some((_, doc)) = policies.first() {
            let names: Vec<&str> = policies.iter().map(|(n, _)| n.as_str()).collect();
            let _ = writeln!(
                m,
                "\nThe key policy the remediation names ({}):\n\n```json\n{doc}\n```",
                names.join(", ")
            );
        }
        m
    }
}
