//! Findings of an audit, by severity, each with the AWS CLI commands that would fix it. Pure:
//! from what `collect` read.

use serde::Serialize;

use super::{Protection, StreamAudit};
use crate::keypolicy::{restrictive_policy, DEFAULT_POLICY_NAME};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing.
    Low,
    /// The account does not control the key.
    Medium,
    /// Records unprotected, or the key open to anyone.
    High,
    /// The stream is about to stop working (its key disabled or being deleted).
    Critical,
}

impl Severity {
    /// The name the JSON and the table use.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One finding on one stream (or its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stream.
    pub stream: String,
    /// `kinesis` or `firehose`.
    pub service: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// Which rule: `encryption-off`, `aws-owned-key`, `aws-managed-key`, `key-disabled`,
    /// `key-pending-deletion`, `key-policy-permissive`, `rotation-off`,
    /// `destination-unencrypted`, `key-unreadable`.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
    /// The AWS CLI commands that would fix it, in order (`<new-key-arn>` stands for the key the
    /// first command creates).
    pub remediation: Vec<String>,
    /// The key policy document the remediation's `file://` names, when it names one.
    pub policy_document: Option<String>,
}

/// Who a remediation's key policy names.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    /// The account id.
    pub account: String,
    /// Key administrators' ARNs.
    pub administrators: Vec<String>,
    /// The roles that write and read the streams (key users).
    pub users: Vec<String>,
}

impl Principals {
    /// The restrictive key policy a remediation creates or puts.
    pub fn policy(&self) -> String {
        restrictive_policy(&self.account, &self.administrators, &self.users)
    }
}

/// The file name a remediation writes a stream's key policy to.
pub fn policy_file(stream: &str) -> String {
    format!("{stream}-key-policy.json")
}

fn new_key_commands(s: &StreamAudit) -> Vec<String> {
    let file = policy_file(&s.name);
    let mut c = vec![
        format!(
            "aws kms create-key --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT --description \"{} {}\" --policy file://{file} --query KeyMetadata.Arn --output text",
            s.service, s.name
        ),
        "aws kms enable-key-rotation --key-id <new-key-arn> --rotation-period-in-days 365".to_owned(),
    ];
    c.push(match s.service {
        "kinesis" => format!(
            "aws kinesis start-stream-encryption --stream-name {} --encryption-type KMS --key-id <new-key-arn>",
            s.name
        ),
        _ => format!(
            "aws firehose start-delivery-stream-encryption --delivery-stream-name {} --delivery-stream-encryption-configuration-input KeyType=CUSTOMER_MANAGED_CMK,KeyARN=<new-key-arn>",
            s.name
        ),
    });
    c
}

/// Every finding, most severe first (then by stream). A stream-sourced delivery stream's
/// protection findings are its source's, so they are listed once, on the source.
pub fn findings(streams: &[StreamAudit], who: &Principals) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in streams {
        let mut add = |severity, rule, message: String, remediation, policy_document| {
            out.push(Finding {
                stream: s.name.clone(),
                service: s.service,
                severity,
                rule,
                message,
                remediation,
                policy_document,
            })
        };
        if s.inherited_from.is_none() {
            match s.protection {
                Protection::None => add(
                    Severity::High,
                    "encryption-off",
                    "records are stored unencrypted".to_owned(),
                    new_key_commands(s),
                    Some(who.policy()),
                ),
                Protection::AwsOwned => add(
                    Severity::Medium,
                    "aws-owned-key",
                    "encrypted under a key AWS owns: the account cannot see its use, set its policy, rotate or revoke it".to_owned(),
                    new_key_commands(s),
                    Some(who.policy()),
                ),
                Protection::AwsManaged => add(
                    Severity::Medium,
                    "aws-managed-key",
                    format!(
                        "encrypted under the AWS-managed key {}: its policy cannot be changed, so access cannot be confined to the stream's roles",
                        s.key.as_ref().map_or("", |k| k.arn.as_str())
                    ),
                    new_key_commands(s),
                    Some(who.policy()),
                ),
                Protection::CustomerManaged => {}
            }
            if let (Protection::CustomerManaged, Some(k)) = (s.protection, &s.key) {
                match k.state.as_str() {
                    "PendingDeletion" => add(
                        Severity::Critical,
                        "key-pending-deletion",
                        format!(
                            "its key {} is pending deletion{}: from then on no record under it can be written or read",
                            k.arn,
                            k.deletion_date.as_deref().map(|d| format!(" (deleted at {d})")).unwrap_or_default()
                        ),
                        vec![
                            format!("aws kms cancel-key-deletion --key-id {}", k.arn),
                            format!("aws kms enable-key --key-id {}", k.arn),
                        ],
                        None,
                    ),
                    "Enabled" => {}
                    other => add(
                        Severity::Critical,
                        "key-disabled",
                        format!("its key {} is {other}: puts and reads fail", k.arn),
                        vec![format!("aws kms enable-key --key-id {}", k.arn)],
                        None,
                    ),
                }
                for f in &k.policy_findings {
                    add(
                        Severity::High,
                        "key-policy-permissive",
                        format!("key {}: {f}", k.arn),
                        vec![format!(
                            "aws kms put-key-policy --key-id {} --policy-name {DEFAULT_POLICY_NAME} --policy file://{}",
                            k.arn,
                            policy_file(&s.name)
                        )],
                        Some(who.policy()),
                    );
                }
                if !k.rotation {
                    add(
                        Severity::Low,
                        "rotation-off",
                        format!("its key {} does not rotate automatically", k.arn),
                        vec![format!(
                            "aws kms enable-key-rotation --key-id {} --rotation-period-in-days 365",
                            k.arn
                        )],
                        None,
                    );
                }
                for u in &k.unreadable {
                    add(
                        Severity::Low,
                        "key-unreadable",
                        format!("key {}: could not read its {u}", k.arn),
                        vec![format!(
                            "aws kms get-key-policy --key-id {} --policy-name {DEFAULT_POLICY_NAME} (as a principal the key policy allows)",
                            k.arn
                        )],
                        None,
                    );
                }
            }
        }
        if let Some(d) = s
            .destination
            .as_ref()
            .filter(|d| d.protection == Protection::None)
        {
            add(
                Severity::Low,
                "destination-unencrypted",
                format!(
                    "delivers to {} with no SSE-KMS key: objects get only the bucket's default encryption",
                    d.bucket_arn
                ),
                vec![format!(
                    "aws firehose update-destination --delivery-stream-name {} --current-delivery-stream-version-id <version> --destination-id destinationId-000000000001 --extended-s3-destination-update 'EncryptionConfiguration={{KMSEncryptionConfig={{AWSKMSKeyARN=<key-arn>}}}}'",
                    s.name
                )],
                None,
            );
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.stream.cmp(&b.stream))
    });
    out
}

/// Findings counted by severity, most severe first.
pub fn by_severity(findings: &[Finding]) -> Vec<(Severity, usize)> {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .into_iter()
    .map(|sev| (sev, findings.iter().filter(|f| f.severity == sev).count()))
    .collect()
}
