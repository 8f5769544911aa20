//! Where each role's credentials come from: the one place the harness decides how its clients
//! sign. A run acts as four roles (least privilege: admin, producer, consumer, resharder); each
//! role has a [`CredentialSource`]: a static access key (the harness's named principals, which
//! the embedded service, `serve`, moto and LocalStack expect: access key id = role name, secret
//! = `<name>-secret`), or what the AWS SDK's configuration resolves ([`RoleSource`]: the standard
//! chain, a named profile, or a role assumed through STS), loaded by `backend::aws`.

use std::collections::BTreeMap;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials as SdkCredentials;
use zeroize::Zeroizing;

/// A role the harness acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Creates, configures and deletes streams and keys; changes key states for faults.
    Admin,
    /// Writes records and asks KMS for data keys.
    Producer,
    /// Reads records and asks KMS to decrypt data keys.
    Consumer,
    /// Splits and merges shards.
    Resharder,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Producer, Role::Consumer, Role::Resharder];

    /// The role's name, as scenarios, results and the embedded service's principals spell it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Producer => "producer",
            Role::Consumer => "consumer",
            Role::Resharder => "resharder",
        }
    }

    /// The role named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a role's credentials come from in the AWS SDK's configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleSource {
    /// The standard chain: environment, the shared config and credentials files' default
    /// profile (or `AWS_PROFILE`), SSO, web identity, container and instance roles.
    Chain,
    /// A named profile of the shared config and credentials files (which may itself assume a
    /// role, use SSO or a credential process).
    Profile(String),
    /// A role assumed through STS AssumeRole with the chain's credentials, in a session named
    /// after the harness and the run.
    AssumeRole {
        /// The role's ARN.
        role_arn: String,
        /// The external id the role's trust policy asks for.
        external_id: Option<String>,
    },
}

impl fmt::Display for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleSource::Chain => f.write_str("the default credential chain"),
            RoleSource::Profile(p) => write!(f, "profile {p}"),
            RoleSource::AssumeRole {
                role_arn,
                external_id,
            } => {
                write!(f, "assumed role {role_arn}")?;
                if external_id.is_some() {
                    f.write_str(" (with an external id)")?;
                }
                Ok(())
            }
        }
    }
}

/// How one role's requests are signed.
#[derive(Clone)]
pub enum CredentialSource {
    /// A fixed access key; the secret is zeroized on drop and never printed.
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Zeroizing<String>,
    },
    /// What the SDK's configuration resolved for `how` (refreshed by the SDK as it expires).
    Resolved {
        /// Where the credentials come from.
        how: RoleSource,
        /// The SDK's provider for them.
        provider: SharedCredentialsProvider,
    },
    /// None: the command gives this role no work, so nothing was resolved for it (and no
    /// chain was asked); a request signed as it fails, naming the role.
    Unused(Role),
}

impl PartialEq for CredentialSource {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                CredentialSource::Static {
                    access_key_id: a,
                    secret_access_key: x,
                },
                CredentialSource::Static {
                    access_key_id: b,
                    secret_access_key: y,
                },
            ) => a == b && x == y,
            (
                CredentialSource::Resolved { how: a, .. },
                CredentialSource::Resolved { how: b, .. },
            ) => a == b,
            (CredentialSource::Unused(a), CredentialSource::Unused(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for CredentialSource {}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Static { access_key_id, .. } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .finish(),
            CredentialSource::Resolved { how, .. } => {
                f.debug_struct("Resolved").field("how", how).finish()
            }
            CredentialSource::Unused(role) => f.debug_tuple("Unused").field(role).finish(),
        }
    }
}

impl CredentialSource {
    /// A static access key.
    pub fn fixed(access_key_id: &str, secret_access_key: &str) -> Self {
        CredentialSource::Static {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: Zeroizing::new(secret_access_key.to_owned()),
        }
    }

    /// The embedded service's principal `name`: access key id `name`, secret `<name>-secret`.
    pub fn named_principal(name: &str) -> Self {
        Self::fixed(name, &crate::emulator::iam::default_secret(name))
    }

    /// What the run's result and reports say about the source (never a secret).
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Static { access_key_id, .. } => {
                format!("static access key {access_key_id}")
            }
            CredentialSource::Resolved { how, .. } => how.to_string(),
            CredentialSource::Unused(_) => UNUSED.to_owned(),
        }
    }

    /// Whether the command gives this role no work (nothing resolved, nothing to identify).
    pub fn is_unused(&self) -> bool {
        matches!(self, CredentialSource::Unused(_))
    }

    /// The SDK's credentials provider for this source.
    pub(super) fn provider(&self) -> SharedCredentialsProvider {
        match self {
            CredentialSource::Static {
                access_key_id,
                secret_access_key,
            } => SharedCredentialsProvider::new(SdkCredentials::new(
                access_key_id,
                secret_access_key.as_str(),
                None,
                None,
                "kinesis-crypto-bench",
            )),
            CredentialSource::Resolved { provider, .. } => provider.clone(),
            CredentialSource::Unused(role) => SharedCredentialsProvider::new(NoWork(*role)),
        }
    }
}

/// How a role the command gives no work is described (in the result's `target.roles`).
pub const UNUSED: &str = "unused: the scenario gives this role no work";

/// The credentials of a role the command gives no work: every request signed as it fails.
#[derive(Debug)]
struct NoWork(Role);

impl ProvideCredentials for NoWork {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(format!(
            "the {} role was given no work, so no credentials were resolved for it",
            self.0
        ))))
    }
}

/// Each role's credentials for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    roles: BTreeMap<Role, CredentialSource>,
}

impl Credentials {
    /// The harness's named principals, one per role (what the embedded service, `serve` and
    /// moto expect).
    pub fn named_principals() -> Self {
        Self {
            roles: Role::ALL
                .into_iter()
                .map(|r| (r, CredentialSource::named_principal(r.name())))
                .collect(),
        }
    }

    /// Each role's source from `sources`.
    pub fn from_sources(sources: BTreeMap<Role, CredentialSource>) -> Self {
        let mut c = Self::named_principals();
        for (role, source) in sources {
            c = c.with(role, source);
        }
        c
    }

    /// The same source for `role`, replacing what it had.
    pub fn with(mut self, role: Role, source: CredentialSource) -> Self {
        self.roles.insert(role, source);
        self
    }

    /// The source of `role`.
    pub fn of(&self, role: Role) -> &CredentialSource {
        // Every constructor fills every role.
        &self.roles[&role]
    }

    /// Whether every role signs with one and the same source (the roles are not separated).
    pub fn shared(&self) -> bool {
        let mut sources = self.roles.values();
        let first = sources.next();
        sources.all(|s| Some(s) == first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_principals_separate_the_roles_and_never_print_secrets() {
        let c = Credentials::named_principals();
        assert!(!c.shared());
        assert_eq!(
            c.of(Role::Producer),
            &CredentialSource::named_principal("producer")
        );
        let text = format!("{c:?} {}", c.of(Role::Consumer).describe());
        assert!(!text.contains("-secret"), "{text}");
        let one = CredentialSource::fixed("AKIDEXAMPLE", "s3cr3t");
        let mut all = Credentials::named_principals();
        for r in Role::ALL {
            all = all.with(r, one.clone());
        }
        assert!(all.shared());
        assert!(!format!("{all:?}").contains("s3cr3t"));
        assert_eq!(Role::from_name("resharder"), Some(Role::Resharder));
        assert_eq!(Role::from_name("mallory"), None);
        let unused = Credentials::named_principals()
            .with(Role::Resharder, CredentialSource::Unused(Role::Resharder));
        assert!(unused.of(Role::Resharder).is_unused() && !unused.of(Role::Admin).is_unused());
        assert_eq!(unused.of(Role::Resharder).describe(), UNUSED);
    }
}
