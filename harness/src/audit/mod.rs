//! `audit`: every Kinesis data stream and Firehose delivery stream of an account (or an
//! endpoint), classified by its protection (off, an AWS-owned key, an AWS-managed key, a
//! customer-managed key with its state, rotation and key policy), its findings by severity with
//! the AWS CLI commands that would fix each, and whether it meets the rules asked of it.
//!
//! `collect` only reads (ListStreams, DescribeStreamSummary, ListDeliveryStreams,
//! DescribeDeliveryStream, DescribeKey, GetKeyRotationStatus, GetKeyPolicy, the tag lists);
//! [`classify`] is pure; [`apply`] is the one part that changes anything.

pub mod apply;
pub mod classify;
pub mod fleet;
pub mod render;
pub mod rules;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backend::{BackendError, Principal};
use crate::driver::CREATED_BY;
use crate::keypolicy::KeyPolicy;

pub use classify::{Finding, Severity};
pub use rules::Rules;

/// How a stream's records are protected at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// Not encrypted.
    None,
    /// A key AWS owns and manages in its own accounts (Firehose's `AWS_OWNED_CMK`).
    AwsOwned,
    /// A key of the account that AWS manages (`alias/aws/kinesis`, KeyManager `AWS`).
    AwsManaged,
    /// A key of the account that the account manages (KeyManager `CUSTOMER`).
    CustomerManaged,
}

impl Protection {
    /// The name the JSON and the table use.
    pub fn name(self) -> &'static str {
        match self {
            Protection::None => "none",
            Protection::AwsOwned => "aws-owned",
            Protection::AwsManaged => "aws-managed",
            Protection::CustomerManaged => "customer-managed",
        }
    }
}

/// A KMS key as the audit found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAudit {
    /// Its ARN.
    pub arn: String,
    /// `AWS` or `CUSTOMER`.
    pub manager: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
    /// Automatic rotation on.
    pub rotation: bool,
    /// The rotation period, days, when rotation is on.
    pub rotation_period_days: Option<i32>,
    /// When a key pending deletion is deleted.
    pub deletion_date: Option<String>,
    /// What makes its key policy overly permissive (customer-managed keys only).
    pub policy_findings: Vec<String>,
    /// Why its key policy, rotation or tags could not be read, if they could not.
    pub unreadable: Vec<String>,
    /// Tagged `created-by=kinesis-crypto-bench`.
    pub harness_created: bool,
}

/// A delivery stream's S3 destination and its encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Destination {
    /// The bucket's ARN.
    pub bucket_arn: String,
    /// `none` (the bucket's default encryption), `aws-managed` (`alias/aws/s3`) or
    /// `customer-managed`.
    pub protection: Protection,
    /// The SSE-KMS key named, if any.
    pub key: Option<String>,
}

/// One stream as the audit found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamAudit {
    /// Its name.
    pub name: String,
    /// `kinesis` or `firehose`.
    pub service: &'static str,
    /// Its ARN.
    pub arn: Option<String>,
    /// Its protection (a stream-sourced delivery stream's is its source's).
    pub protection: Protection,
    /// Its key, when a key of the account protects it.
    pub key: Option<KeyAudit>,
    /// The source stream a delivery stream reads (and inherits its protection from).
    pub inherited_from: Option<String>,
    /// A delivery stream's destination.
    pub destination: Option<Destination>,
    /// Tagged `created-by=kinesis-crypto-bench`.
    pub harness_created: bool,
}

impl StreamAudit {
    /// The key's state, if a key of the account protects the stream.
    pub fn key_state(&self) -> Option<&str> {
        self.key.as_ref().map(|k| k.state.as_str())
    }
}

/// What to read with: the auditing principal and who counts as the account's administrators.
pub struct Reader<'a> {
    /// The principal that reads (the admin role).
    pub admin: &'a Principal,
    /// ARNs allowed `kms:*` in a key policy without a finding (besides the account).
    pub administrators: Vec<String>,
}

fn harness_tag(tags: &BTreeMap<String, String>) -> bool {
    tags.get(CREATED_BY.0).map(String::as_str) == Some(CREATED_BY.1)
}

/// Every stream of the target, read-only.
pub async fn collect(r: &Reader<'_>, account: &str) -> Result<Vec<StreamAudit>, BackendError> {
    let admin = r.admin;
    let mut keys: BTreeMap<String, KeyAudit> = BTreeMap::new();
    let mut out = Vec::new();
    for name in admin.kinesis.list_streams().await? {
        let info = admin.kinesis.describe(&name).await?;
        let tags = admin.kinesis.list_tags(&name).await?;
        let key = match (&info.encryption[..], &info.key_id) {
            ("KMS", Some(k)) => Some(key_audit(r, account, k, &mut keys).await?),
            _ => None,
        };
        let protection = match &key {
            None => Protection::None,
            Some(k) if k.manager == "AWS" => Protection::AwsManaged,
            Some(_) => Protection::CustomerManaged,
        };
        out.push(StreamAudit {
            name,
            service: "kinesis",
            arn: info.arn.clone(),
            protection,
            key,
            inherited_from: None,
            destination: None,
            harness_created: harness_tag(&tags),
        });
    }
    let names = admin.firehose.list().await?;
    for name in names {
        let d = admin.firehose.describe(&name).await?;
        let tags: BTreeMap<String, String> =
            admin.firehose.tags(&name).await?.into_iter().collect();
        let destination = match &d.destination {
            Some((bucket_arn, _, key)) => {
                let protection = match key.as_deref() {
                    None => Protection::None,
                    Some("alias/aws/s3") => Protection::AwsManaged,
                    Some(k) => match key_audit(r, account, k, &mut keys).await {
                        Ok(k) if k.manager == "AWS" => Protection::AwsManaged,
                        _ => Protection::CustomerManaged,
                    },
                };
                Some(Destination {
                    bucket_arn: bucket_arn.clone(),
                    protection,
                    key: key.clone(),
                })
            }
            None => None,
        };
        let (protection, key, inherited_from) = if let Some(source) = &d.source_stream {
            let stream = source.rsplit('/').next().unwrap_or(source).to_owned();
            match out
                .iter()
                .find(|s: &&StreamAudit| s.arn.as_deref() == Some(source))
            {
                Some(s) => (s.protection, s.key.clone(), Some(stream)),
                None => (Protection::None, None, Some(stream)),
            }
        } else {
            let on = matches!(&d.encryption[..], "ENABLED" | "ENABLING");
            match (on, d.key_type.as_deref(), &d.key_arn) {
                (true, Some("CUSTOMER_MANAGED_CMK"), Some(k)) => {
                    let k = key_audit(r, account, k, &mut keys).await?;
                    (Protection::CustomerManaged, Some(k), None)
                }
                (true, _, _) => (Protection::AwsOwned, None, None),
                (false, _, _) => (Protection::None, None, None),
            }
        };
        out.push(StreamAudit {
            name,
            service: "firehose",
            arn: None,
            protection,
            key,
            inherited_from,
            destination,
            harness_created: harness_tag(&tags),
        });
    }
    Ok(out)
}

/// A key's state, rotation and policy (read once per key). What cannot be read for lack of
/// permission is noted, not fatal: an auditor may see a key it may not manage.
async fn key_audit(
    r: &Reader<'_>,
    account: &str,
    key: &str,
    seen: &mut BTreeMap<String, KeyAudit>,
) -> Result<KeyAudit, BackendError> {
    if let Some(k) = seen.get(key) {
        return Ok(k.clone());
    }
    let kms = &r.admin.kms;
    let d = kms.key_details(key).await?;
    let mut unreadable = Vec::new();
    let (rotation, rotation_period_days) = match kms.key_rotation_status(&d.info.arn).await {
        Ok((on, days)) => (on, days.filter(|_| on)),
        Err(e) => {
            unreadable.push(format!("rotation: {e}"));
            (false, None)
        }
    };
    let mut policy_findings = Vec::new();
    if d.manager == "CUSTOMER" {
        match kms.key_policy(&d.info.arn).await {
            Ok(text) => match KeyPolicy::parse(&text) {
                Ok(p) => policy_findings = p.findings(account, &r.administrators),
                Err(e) => unreadable.push(format!("key policy: {e}")),
            },
            Err(e) => unreadable.push(format!("key policy: {e}")),
        }
    }
    let harness_created = match kms.key_tags(&d.info.arn).await {
        Ok(tags) => harness_tag(&tags),
        Err(e) => {
            if d.manager == "CUSTOMER" {
                unreadable.push(format!("tags: {e}"));
            }
            false
        }
    };
    let k = KeyAudit {
        arn: d.info.arn.clone(),
        manager: d.manager,
        state: d.info.state,
        rotation,
        rotation_period_days,
        deletion_date: d.deletion_date,
        policy_findings,
        unreadable,
        harness_created,
    };
    seen.insert(key.to_owned(), k.clone());
    seen.insert(k.arn.clone(), k.clone());
    Ok(k)
}
