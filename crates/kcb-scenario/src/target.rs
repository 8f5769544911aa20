//! `[target]`: where a run goes (the embedded service, or AWS through the standard AWS
//! configuration, optionally at another endpoint) and how each role signs there (a profile, or
//! a role to assume). Pure data: nothing is resolved or contacted here.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantNames};

use super::error::{FieldPath, Problem};
use super::raw::{RawRole, RawTarget};

type R<T> = Result<T, Problem>;

/// The roles a run acts as, as scenarios name them.
pub const ROLES: [&str; 4] = ["admin", "producer", "consumer", "resharder"];

/// Where the run goes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, EnumString, VariantNames, IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum TargetKind {
    /// The embedded Kinesis + KMS service (or `--endpoint-url` with the harness's principals).
    #[default]
    Embedded,
    /// AWS, with credentials from the AWS configuration.
    Aws,
}

/// How one role signs on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleCredentials {
    /// A profile of the shared config and credentials files.
    Profile(String),
    /// A role assumed with STS AssumeRole.
    RoleArn {
        /// The role's ARN.
        arn: String,
        /// The external id its trust policy asks for.
        external_id: Option<String>,
    },
}

/// `[target]`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetSpec {
    /// Where the run goes.
    pub kind: TargetKind,
    /// The region, if the scenario names one.
    pub region: Option<String>,
    /// An endpoint in place of AWS's.
    pub endpoint_url: Option<String>,
    /// The only account the run may act in.
    pub expect_account: Option<String>,
    /// Each named role's credentials, by role name (the rest use the default chain).
    pub roles: BTreeMap<String, RoleCredentials>,
    /// On AWS, how long after the load the run waits at most for CloudTrail to deliver the
    /// KMS events it counts the services' calls from.
    pub cloudtrail_wait: Duration,
}

impl Default for TargetSpec {
    fn default() -> Self {
        Self {
            kind: TargetKind::default(),
            region: None,
            endpoint_url: None,
            expect_account: None,
            roles: BTreeMap::new(),
            cloudtrail_wait: DEFAULT_CLOUDTRAIL_WAIT,
        }
    }
}

/// CloudTrail delivers an event about 5 minutes after the call on average, with no bound
/// (CloudTrail user guide): a run waits three times that at most, and stops sooner once a
/// call it made after the load has been delivered.
pub const DEFAULT_CLOUDTRAIL_WAIT: Duration = Duration::from_secs(15 * 60);
/// `cloudtrail_wait`'s range and default.
const CLOUDTRAIL_WAIT: super::validate::Durs = super::validate::durs(
    Duration::from_secs(1),
    Duration::from_secs(2 * 3600),
    DEFAULT_CLOUDTRAIL_WAIT,
);

/// Validate `[target]`.
pub(crate) fn target(field: &FieldPath, raw: &RawTarget) -> R<TargetSpec> {
    let kind = raw.kind.map_or(TargetKind::Embedded, |k| k.0);
    let region = raw
        .region
        .as_deref()
        .map(|r| region(&field.key("region"), r))
        .transpose()?;
    let endpoint_url = raw
        .endpoint_url
        .as_deref()
        .map(|u| endpoint_url(&field.key("endpoint_url"), u))
        .transpose()?;
    let expect_account = raw
        .expect_account
        .as_deref()
        .map(|a| account(&field.key("expect_account"), a))
        .transpose()?;
    let mut roles = BTreeMap::new();
    for (name, r) in raw.roles.iter().flatten() {
        let at = field.key("roles").key(name);
        if !ROLES.contains(&name.as_str()) {
            return Err(Problem::new(
                &at,
                format!("not a role; roles are {}", quoted(&ROLES)),
            ));
        }
        roles.insert(name.clone(), role(&at, r)?);
    }
    let cloudtrail_wait =
        CLOUDTRAIL_WAIT.get(&field.key("cloudtrail_wait"), raw.cloudtrail_wait.as_ref())?;
    if kind == TargetKind::Embedded
        && (!roles.is_empty() || region.is_some() || raw.cloudtrail_wait.is_some())
    {
        let key = if !roles.is_empty() {
            "roles"
        } else if region.is_some() {
            "region"
        } else {
            "cloudtrail_wait"
        };
        return Err(Problem::new(
            &field.key(key),
            "only with kind = \"aws\" (the embedded service has one region and signs as the harness's principals); set kind = \"aws\" or remove it",
        ));
    }
    Ok(TargetSpec {
        kind,
        region,
        endpoint_url,
        expect_account,
        roles,
        cloudtrail_wait,
    })
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn role(field: &FieldPath, r: &RawRole) -> R<RoleCredentials> {
    match (&r.profile, &r.role_arn) {
        (Some(p), None) => {
            if r.external_id.is_some() {
                return Err(Problem::new(
                    &field.key("external_id"),
                    "only with role_arn (a profile that assumes a role sets external_id in the shared config file)",
                ));
            }
            if p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Problem::new(
                    &field.key("profile"),
                    format!("must be a profile name without spaces (got {p:?})"),
                ));
            }
            Ok(RoleCredentials::Profile(p.clone()))
        }
        (None, Some(arn)) => {
            if !is_role_arn(arn) {
                return Err(Problem::new(
                    &field.key("role_arn"),
                    format!("must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name> (got {arn:?})"),
                ));
            }
            if let Some(x) = &r.external_id {
                let ok = (2..=1224).contains(&x.len())
                    && x.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
                if !ok {
                    return Err(Problem::new(
                        &field.key("external_id"),
                        "must be 2 to 1,224 characters of letters, digits and +=,.@:/-_",
                    ));
                }
            }
            Ok(RoleCredentials::RoleArn {
                arn: arn.clone(),
                external_id: r.external_id.clone(),
            })
        }
        _ => Err(Problem::new(
            field,
            "set exactly one of profile = \"<name>\" or role_arn = \"arn:aws:iam::<account>:role/<name>\"",
        )),
    }
}

/// `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

fn region(field: &FieldPath, r: &str) -> R<String> {
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok();
    if ok {
        Ok(r.to_owned())
    } else {
        Err(Problem::new(
            field,
            format!("must be an AWS region such as \"us-east-1\" or \"eu-west-1\" (got {r:?})"),
        ))
    }
}

fn endpoint_url(field: &FieldPath, u: &str) -> R<String> {
    if (u.starts_with("http://") || u.starts_with("https://")) && u.parse::<http::Uri>().is_ok() {
        Ok(u.to_owned())
    } else {
        Err(Problem::new(
            field,
            format!(
                "must be an http:// or https:// URL, e.g. \"http://127.0.0.1:4566\" (got {u:?})"
            ),
        ))
    }
}

/// A 12-digit AWS account id.
pub(crate) fn account(field: &FieldPath, a: &str) -> R<String> {
    if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
        Ok(a.to_owned())
    } else {
        Err(Problem::new(
            field,
            format!("must be a 12-digit AWS account id (got {a:?})"),
        ))
    }
}
