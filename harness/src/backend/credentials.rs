//! Where each role's credentials come from: the one place the harness decides how its clients
//! sign. A run acts as four roles (least privilege: admin, producer, consumer, resharder); each
//! role has a [`CredentialSource`]. Today the only source is a static access key, which is what
//! the embedded service, `serve`, moto and LocalStack expect (the harness's named principals:
//! access key id = role name, secret = `<name>-secret`); the AWS credential chain, profiles and
//! assumed roles are further sources of this enum.

use std::collections::BTreeMap;
use std::fmt;

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

/// How one role's requests are signed.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A fixed access key; the secret is zeroized on drop and never printed.
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Zeroizing<String>,
    },
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Static { access_key_id, .. } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .finish(),
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
        }
    }

    /// The SDK's credentials provider for this source.
    pub(super) fn provider(&self) -> SdkCredentials {
        match self {
            CredentialSource::Static {
                access_key_id,
                secret_access_key,
            } => SdkCredentials::new(
                access_key_id,
                secret_access_key.as_str(),
                None,
                None,
                "kinesis-crypto-bench",
            ),
        }
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
    }
}
