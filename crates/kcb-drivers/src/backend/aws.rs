//! The AWS configuration, loaded through `aws-config` as every AWS tool loads it: the region
//! from the flag, the scenario or the chain (environment, profile), and each role's credentials
//! from the standard chain, a named profile, or STS AssumeRole (with an external id, in a
//! session named after the harness and the run). Nothing here sends a request: providers
//! resolve lazily, and the run's first call (GetCallerIdentity, per role) is what proves them.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::meta::region::ProvideRegion as _;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use super::clients::{https_client, Target};
use super::credentials::{CredentialSource, Credentials, Role, RoleSource};

/// What to load for `--target aws`.
#[derive(Debug, Clone, Default)]
pub struct AwsSetup {
    /// An endpoint in place of AWS's (LocalStack, moto, `serve`).
    pub endpoint_url: Option<String>,
    /// The region, if given (else the chain's).
    pub region: Option<String>,
    /// Each role's source; a role not named uses the default chain.
    pub roles: BTreeMap<Role, RoleSource>,
    /// The STS session name for assumed roles (`kinesis-crypto-bench-<run>`).
    pub session_name: String,
    /// The roles the command gives no work: nothing is resolved for them (no chain is asked,
    /// so none reaches for instance metadata) and they are not identified.
    pub unused: BTreeSet<Role>,
}

/// Why the AWS configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AwsConfigError {
    /// No region anywhere.
    #[error("no AWS region: pass --region, set [target] region in the scenario, AWS_REGION, or a region in the profile")]
    NoRegion,
    /// No credentials provider for a role.
    #[error("no AWS credentials for the {role} role ({how}): set them in the environment, the shared credentials file or a profile")]
    NoCredentials {
        /// The role.
        role: Role,
        /// Where they were looked for.
        how: RoleSource,
    },
}

async fn load_base(setup: &AwsSetup, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_owned()));
    }
    if let Some(url) = &setup.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The target and every role's credentials for `setup`.
pub async fn load(setup: &AwsSetup) -> Result<(Target, Credentials), AwsConfigError> {
    // The region: given, else the admin's profile's (or the chain's).
    let admin_profile = match setup.roles.get(&Role::Admin) {
        Some(RoleSource::Profile(p)) => Some(p.as_str()),
        _ => None,
    };
    let region = match (&setup.region, admin_profile) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(p)) => ProfileFileRegionProvider::builder()
            .profile_name(p)
            .build()
            .region()
            .await
            .map(|r| r.as_ref().to_owned()),
        (None, None) => None,
    };
    let region = match region {
        Some(r) => r,
        None => load_base(setup, None)
            .await
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or(AwsConfigError::NoRegion)?,
    };
    let base = load_base(setup, Some(&region)).await;
    let provider_config = ProviderConfig::default()
        .with_http_client(https_client())
        .with_region(Some(aws_config::Region::new(region.clone())));
    let mut sources = BTreeMap::new();
    for role in Role::ALL {
        if setup.unused.contains(&role) {
            sources.insert(role, CredentialSource::Unused(role));
            continue;
        }
        let how = setup.roles.get(&role).cloned().unwrap_or(RoleSource::Chain);
        let provider = match &how {
            RoleSource::Chain => base.credentials_provider(),
            // The profile itself, not the chain that reads it after the environment's keys.
            RoleSource::Profile(p) => Some(SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .configure(&provider_config)
                    .profile_name(p)
                    .build(),
            )),
            RoleSource::AssumeRole {
                role_arn,
                external_id,
            } => {
                let mut b = AssumeRoleProvider::builder(role_arn)
                    .session_name(&setup.session_name)
                    .configure(&base);
                if let Some(x) = external_id {
                    b = b.external_id(x);
                }
                Some(SharedCredentialsProvider::new(b.build().await))
            }
        }
        .ok_or_else(|| AwsConfigError::NoCredentials {
            role,
            how: how.clone(),
        })?;
        sources.insert(role, CredentialSource::Resolved { how, provider });
    }
    let target = Target::Aws {
        endpoint_url: setup.endpoint_url.clone(),
        region,
    };
    Ok((target, Credentials::from_sources(sources)))
}

/// Parse `--role ROLE=profile:NAME` or `--role ROLE=arn:aws:iam::...:role/NAME`.
pub fn parse_role_flag(text: &str) -> Result<(Role, RoleSource), String> {
    let valid = "ROLE=profile:NAME or ROLE=arn:aws:iam::ACCOUNT:role/NAME, ROLE one of admin, producer, consumer, resharder";
    let (role, source) = text
        .split_once('=')
        .ok_or_else(|| format!("--role {text:?}: expected {valid}"))?;
    let role = Role::from_name(role.trim())
        .ok_or_else(|| format!("--role {text:?}: unknown role {role:?}; expected {valid}"))?;
    let source = source.trim();
    let how = if let Some(p) = source.strip_prefix("profile:") {
        if p.is_empty() {
            return Err(format!(
                "--role {text:?}: empty profile name; expected {valid}"
            ));
        }
        RoleSource::Profile(p.to_owned())
    } else if source.starts_with("arn:") && source.contains(":role/") {
        RoleSource::AssumeRole {
            role_arn: source.to_owned(),
            external_id: None,
        }
    } else {
        return Err(format!("--role {text:?}: expected {valid}"));
    };
    Ok((role, how))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_flags_name_a_profile_or_a_role_arn() {
        assert_eq!(
            parse_role_flag("producer=profile:kcb-producer").unwrap(),
            (Role::Producer, RoleSource::Profile("kcb-producer".into()))
        );
        assert_eq!(
            parse_role_flag("consumer=arn:aws:iam::123456789012:role/kcb-consumer").unwrap(),
            (
                Role::Consumer,
                RoleSource::AssumeRole {
                    role_arn: "arn:aws:iam::123456789012:role/kcb-consumer".into(),
                    external_id: None
                }
            )
        );
        for bad in [
            "producer",
            "mallory=profile:x",
            "producer=profile:",
            "producer=kcb",
            "producer=arn:aws:iam::1:user/x",
        ] {
            let e = parse_role_flag(bad).unwrap_err();
            assert!(
                e.contains("--role") && e.contains("ROLE=profile:NAME"),
                "{e}"
            );
        }
    }
}
