//! Principals and identity policies for the embedded service, evaluated the way IAM does.
//!
//! Every request reaching the embedded Kinesis + KMS service is SigV4-signed; the access key id
//! names a [`Principal`], and [`Iam::authorize`] decides whether that principal may perform an
//! action on a resource. Evaluation follows IAM's identity-policy logic:
//!
//! 1. a matching `Deny` statement is an [`Decision::ExplicitDeny`], whatever else matches;
//! 2. otherwise a matching `Allow` statement is an [`Decision::Allow`];
//! 3. otherwise the request is an [`Decision::ImplicitDeny`].
//!
//! Actions match case-insensitively (`kinesis:putrecords` is `kinesis:PutRecords`), resources
//! case-sensitively; both accept `*` (any run of characters, including none) and `?` (exactly
//! one character).
//!
//! [`Iam::with_defaults`] creates four least-privilege principals — [`ADMIN`], [`RESHARDER`],
//! [`PRODUCER`] and [`CONSUMER`] — whose access key id is their name and whose secret is
//! [`default_secret`]. A fault denies a permission by [`Iam::attach`]ing a `Deny` statement and
//! restores it by [`Iam::detach`]ing the returned [`StatementId`].

use std::collections::HashMap;
use std::fmt;

/// Name (and access key id) of the default control-plane principal: creates and configures
/// streams and keys, never reads or writes records.
pub const ADMIN: &str = "admin";
/// Name (and access key id) of the default principal allowed to split and merge shards.
pub const RESHARDER: &str = "resharder";
/// Name (and access key id) of the default principal that writes records and asks KMS for keys.
pub const PRODUCER: &str = "producer";
/// Name (and access key id) of the default principal that reads records and decrypts them.
pub const CONSUMER: &str = "consumer";

/// Name of the default role Firehose delivers as (`arn:aws:iam::<account>:role/delivery`):
/// writes to the S3 destination, with its KMS key.
pub const DELIVERY: &str = "delivery";

/// What every principal's secret access key ends with: the secret is `<name>-secret`.
pub const DEFAULT_SECRET_SUFFIX: &str = "-secret";

/// The secret access key of the principal named `name`: `"<name>-secret"`.
///
/// This holds for the default principals and for every principal made with
/// [`Iam::add_principal`]. (It is not a `const fn`: building a `String` is not possible in a
/// constant context; [`DEFAULT_SECRET_SUFFIX`] is the constant part.)
#[must_use]
pub fn default_secret(name: &str) -> String {
    format!("{name}{DEFAULT_SECRET_SUFFIX}")
}

/// Longest principal name accepted, as for IAM user names.
const MAX_NAME_LEN: usize = 64;

/// Control-plane actions of the default [`ADMIN`] principal.
const ADMIN_ACTIONS: &[&str] = &[
    "kinesis:CreateStream",
    "kinesis:DeleteStream",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListStreams",
    "kinesis:ListShards",
    "kinesis:AddTagsToStream",
    "kinesis:RemoveTagsFromStream",
    "kinesis:ListTagsForStream",
    "kinesis:StartStreamEncryption",
    "kinesis:StopStreamEncryption",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:DecreaseStreamRetentionPeriod",
    "kms:CreateKey",
    "kms:DescribeKey",
    "kms:ListKeys",
    "kms:CreateAlias",
    "kms:ListAliases",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:EnableKeyRotation",
    "kms:GetKeyRotationStatus",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ListResourceTags",
    "kms:DeleteAlias",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "firehose:CreateDeliveryStream",
    "firehose:DeleteDeliveryStream",
    "firehose:DescribeDeliveryStream",
    "firehose:ListDeliveryStreams",
    "firehose:StartDeliveryStreamEncryption",
    "firehose:StopDeliveryStreamEncryption",
    "firehose:TagDeliveryStream",
    "firehose:UntagDeliveryStream",
    "firehose:ListTagsForDeliveryStream",
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:ListKeyRotations",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:ListKeyPolicies",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:DeleteObject",
    "cloudtrail:LookupEvents",
];

/// Actions of the default [`RESHARDER`] principal.
const RESHARDER_ACTIONS: &[&str] = &[
    "kinesis:SplitShard",
    "kinesis:MergeShards",
    "kinesis:UpdateShardCount",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
];

/// Actions of the default [`PRODUCER`] principal.
const PRODUCER_ACTIONS: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kms:GenerateDataKey",
    "kms:Encrypt",
    "kms:DescribeKey",
    "firehose:DescribeDeliveryStream",
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
];

/// Actions of the default [`CONSUMER`] principal.
const CONSUMER_ACTIONS: &[&str] = &[
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:RegisterStreamConsumer",
    "kinesis:DescribeStreamConsumer",
    "kinesis:ListStreamConsumers",
    "kinesis:DeregisterStreamConsumer",
    "kms:Decrypt",
    "kms:DescribeKey",
    "s3:ListBucket",
    "s3:GetObject",
];

/// Actions of the default [`DELIVERY`] principal: Firehose's delivery role (the S3 destination,
/// its SSE-KMS key, and a source stream).
const DELIVERY_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "kms:GenerateDataKey",
    "kms:Decrypt",
    "kinesis:DescribeStream",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kinesis:ListShards",
];

/// Whether a statement grants or refuses what it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants the matched actions on the matched resources, unless a `Deny` also matches.
    Allow,
    /// Refuses the matched actions on the matched resources, overriding any `Allow`.
    Deny,
}

/// One statement of an identity policy: an effect over actions and resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Allow or deny.
    pub effect: Effect,
    /// Action patterns, `service:Action` or `*`, e.g. `"kinesis:PutRecords"`, `"kms:*"`,
    /// `"kinesis:Describe*"`; matched case-insensitively with `*` and `?` wildcards.
    pub actions: Vec<String>,
    /// Resource ARN patterns, e.g. `"arn:aws:kinesis:*:111122223333:stream/bench-*"` or `"*"`;
    /// matched case-sensitively with `*` and `?` wildcards.
    pub resources: Vec<String>,
}

impl Statement {
    /// An `Allow` statement over `actions` on `resources`.
    pub fn allow<A, R>(actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self::new(Effect::Allow, actions, resources)
    }

    /// A `Deny` statement over `actions` on `resources`, e.g. a fault's
    /// `Statement::deny(["kms:Decrypt"], ["*"])`.
    pub fn deny<A, R>(actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self::new(Effect::Deny, actions, resources)
    }

    fn new<A, R>(effect: Effect, actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self {
            effect,
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether this statement covers `action` on `resource_arn` (whatever its effect).
    #[must_use]
    pub fn matches(&self, action: &str, resource_arn: &str) -> bool {
        self.actions.iter().any(|a| action_matches(a, action))
            && self
                .resources
                .iter()
                .any(|r| wildcard_match(r, resource_arn))
    }

    /// Checks that the statement names at least one action and one resource and that every
    /// action is `*` or `service:pattern`.
    fn validate(&self) -> Result<(), IamError> {
        if self.actions.is_empty() {
            return Err(IamError::InvalidStatement("no actions".to_string()));
        }
        if self.resources.is_empty() {
            return Err(IamError::InvalidStatement("no resources".to_string()));
        }
        for action in &self.actions {
            if action == "*" {
                continue;
            }
            let valid = match action.split_once(':') {
                Some((service, name)) => {
                    !service.is_empty()
                        && service
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !name.is_empty()
                        && !name.contains(':')
                }
                None => false,
            };
            if !valid {
                return Err(IamError::InvalidStatement(format!(
                    "action {action:?} is neither \"*\" nor \"service:Action\" (e.g. \"kinesis:PutRecords\", \"kms:*\")"
                )));
            }
        }
        if let Some(resource) = self.resources.iter().find(|r| r.is_empty()) {
            return Err(IamError::InvalidStatement(format!(
                "empty resource {resource:?}; use \"*\" for every resource"
            )));
        }
        Ok(())
    }
}

/// A user of the embedded service: a name, a long-term access key and an ARN.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user name, e.g. `"producer"`.
    pub name: String,
    /// The access key id that signs this principal's requests (the name itself).
    pub access_key_id: String,
    /// The secret access key, `"<name>-secret"` (see [`default_secret`]).
    pub secret_access_key: String,
    /// `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("name", &self.name)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("arn", &self.arn)
            .finish()
    }
}

/// The outcome of [`Iam::authorize`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An `Allow` statement matched and no `Deny` did.
    Allow,
    /// Nothing matched (or the principal is unknown): denied by default.
    ImplicitDeny,
    /// A `Deny` statement matched; it overrides every `Allow`.
    ExplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    #[must_use]
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Identifies a statement attached to a principal, so that it can be detached again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatementId(pub u64);

/// What went wrong changing principals or policies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    /// No principal has this name.
    #[error("no principal named {0:?}")]
    UnknownPrincipal(String),
    /// A principal with this name (or access key id) already exists.
    #[error("a principal named {0:?} already exists")]
    DuplicatePrincipal(String),
    /// The name is not a valid IAM user name.
    #[error(
        "invalid principal name {0:?}: use 1 to 64 characters from A-Z a-z 0-9 and + = , . @ _ -"
    )]
    InvalidName(String),
    /// The statement cannot be evaluated as written.
    #[error("invalid statement: {0}")]
    InvalidStatement(String),
    /// The principal has no statement with this id (never attached, or already detached).
    #[error("principal {principal:?} has no statement {id}")]
    UnknownStatement {
        /// The principal named in the call.
        principal: String,
        /// The statement id that was not found.
        id: u64,
    },
}

/// One principal and its identity policy.
#[derive(Clone, Debug)]
struct Entry {
    principal: Principal,
    statements: Vec<(StatementId, Statement)>,
}

/// The principals of one account and their identity policies.
#[derive(Clone, Debug)]
pub struct Iam {
    account_id: String,
    /// Principals by name.
    entries: HashMap<String, Entry>,
    /// Principal names by access key id.
    names_by_key: HashMap<String, String>,
    next_statement: u64,
}

impl Iam {
    /// An account with no principals. Every request is implicitly denied until principals are
    /// added.
    pub fn new(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_string(),
            entries: HashMap::new(),
            names_by_key: HashMap::new(),
            next_statement: 0,
        }
    }

    /// An account with the four default least-privilege principals, each allowed its actions
    /// on every resource (`"*"`):
    ///
    /// - [`ADMIN`]: stream and key administration (create, delete, describe, list, tag,
    ///   encryption on/off, retention, key enable/disable/deletion/rotation); no data plane.
    /// - [`RESHARDER`]: `kinesis:SplitShard`, `MergeShards`, `DescribeStream`,
    ///   `DescribeStreamSummary`, `ListShards`.
    /// - [`PRODUCER`]: `kinesis:DescribeStream`, `DescribeStreamSummary`, `ListShards`,
    ///   `PutRecord`, `PutRecords`; `kms:GenerateDataKey`, `Encrypt`, `DescribeKey`.
    /// - [`CONSUMER`]: `kinesis:GetRecords`, `GetShardIterator`, `DescribeStream`,
    ///   `DescribeStreamSummary`, `ListShards`; `kms:Decrypt`, `DescribeKey`.
    ///
    /// Access key id = name, secret = [`default_secret`]`(name)`.
    pub fn with_defaults(account_id: &str) -> Self {
        let mut iam = Self::new(account_id);
        let defaults: [(&str, &[&str]); 5] = [
            (ADMIN, ADMIN_ACTIONS),
            (RESHARDER, RESHARDER_ACTIONS),
            (PRODUCER, PRODUCER_ACTIONS),
            (CONSUMER, CONSUMER_ACTIONS),
            (DELIVERY, DELIVERY_ACTIONS),
        ];
        for (name, actions) in defaults {
            iam.insert_principal(name, vec![Statement::allow(actions.iter().copied(), ["*"])]);
        }
        iam
    }

    /// The account id that principal ARNs are built from.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The principal whose access key id is `access_key_id`.
    pub fn principal_by_access_key(&self, access_key_id: &str) -> Option<&Principal> {
        let name = self.names_by_key.get(access_key_id)?;
        self.principal(name)
    }

    /// The principal named `name`.
    pub fn principal(&self, name: &str) -> Option<&Principal> {
        self.entries.get(name).map(|e| &e.principal)
    }

    /// Adds a principal named `name` with access key id `name`, secret
    /// [`default_secret`]`(name)` and the given statements.
    ///
    /// # Errors
    ///
    /// [`IamError::InvalidName`] for a name IAM would refuse, [`IamError::DuplicatePrincipal`]
    /// when the name (or access key id) is taken, [`IamError::InvalidStatement`] for a statement
    /// without actions or resources or with an action that is not `service:Action` or `*`.
    pub fn add_principal(
        &mut self,
        name: &str,
        statements: Vec<Statement>,
    ) -> Result<&Principal, IamError> {
        if !valid_name(name) {
            return Err(IamError::InvalidName(name.to_string()));
        }
        if self.entries.contains_key(name) || self.names_by_key.contains_key(name) {
            return Err(IamError::DuplicatePrincipal(name.to_string()));
        }
        for statement in &statements {
            statement.validate()?;
        }
        Ok(self.insert_principal(name, statements))
    }

    /// Attaches `statement` to the principal's policy (e.g. a `Deny` added by a fault) and
    /// returns the id that [`Iam::detach`] takes.
    ///
    /// # Errors
    ///
    /// [`IamError::UnknownPrincipal`] or [`IamError::InvalidStatement`]; nothing changes then.
    pub fn attach(
        &mut self,
        principal: &str,
        statement: Statement,
    ) -> Result<StatementId, IamError> {
        statement.validate()?;
        let id = StatementId(self.next_statement);
        let entry = self
            .entries
            .get_mut(principal)
            .ok_or_else(|| IamError::UnknownPrincipal(principal.to_string()))?;
        entry.statements.push((id, statement));
        self.next_statement += 1;
        Ok(id)
    }

    /// Removes the statement `id` from the principal's policy.
    ///
    /// # Errors
    ///
    /// [`IamError::UnknownPrincipal`], or [`IamError::UnknownStatement`] when the principal has
    /// no statement `id` (never attached there, or already detached).
    pub fn detach(&mut self, principal: &str, id: StatementId) -> Result<(), IamError> {
        let entry = self
            .entries
            .get_mut(principal)
            .ok_or_else(|| IamError::UnknownPrincipal(principal.to_string()))?;
        let before = entry.statements.len();
        entry.statements.retain(|(sid, _)| *sid != id);
        if entry.statements.len() == before {
            return Err(IamError::UnknownStatement {
                principal: principal.to_string(),
                id: id.0,
            });
        }
        Ok(())
    }

    /// Every principal's statements, by principal name.
    pub fn policies(&self) -> std::collections::BTreeMap<String, Vec<Statement>> {
        self.entries
            .iter()
            .map(|(name, e)| {
                let statements = e.statements.iter().map(|(_, s)| s.clone()).collect();
                (name.clone(), statements)
            })
            .collect()
    }

    /// The statements of the principal's policy, in the order they were attached.
    pub fn statements(
        &self,
        principal: &str,
    ) -> Option<impl Iterator<Item = (StatementId, &Statement)>> {
        self.entries
            .get(principal)
            .map(|e| e.statements.iter().map(|(id, s)| (*id, s)))
    }

    /// Whether the principal named `principal` may perform `action` (e.g.
    /// `"kinesis:PutRecords"`) on `resource_arn`. A matching `Deny` wins over any `Allow`;
    /// without a matching `Allow` (or for an unknown principal) the answer is
    /// [`Decision::ImplicitDeny`].
    #[must_use]
    pub fn authorize(&self, principal: &str, action: &str, resource_arn: &str) -> Decision {
        let Some(entry) = self.entries.get(principal) else {
            return Decision::ImplicitDeny;
        };
        let mut decision = Decision::ImplicitDeny;
        for (_, statement) in &entry.statements {
            if statement.matches(action, resource_arn) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => decision = Decision::Allow,
                }
            }
        }
        decision
    }

    /// Inserts a principal whose name and statements are known to be valid.
    fn insert_principal(&mut self, name: &str, statements: Vec<Statement>) -> &Principal {
        let principal = Principal {
            name: name.to_string(),
            access_key_id: name.to_string(),
            secret_access_key: default_secret(name),
            arn: format!("arn:aws:iam::{}:user/{name}", self.account_id),
        };
        let statements = statements
            .into_iter()
            .map(|s| {
                let id = StatementId(self.next_statement);
                self.next_statement += 1;
                (id, s)
            })
            .collect();
        self.names_by_key
            .insert(principal.access_key_id.clone(), name.to_string());
        let entry = self.entries.entry(name.to_string()).or_insert(Entry {
            principal,
            statements: Vec::new(),
        });
        entry.statements = statements;
        &entry.principal
    }
}

/// IAM user names: 1 to 64 of `A-Z a-z 0-9 + = , . @ _ -`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// Whether the action pattern matches the action, ignoring case, with `*` and `?` wildcards.
#[must_use]
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildmatch::WildMatch::new_case_insensitive(pattern).matches(action)
}

/// Whether `text` matches `pattern`, case-sensitively, where `*` matches any run of characters
/// (including none) and `?` exactly one character.
#[must_use]
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACCOUNT: &str = "111122223333";
    const STREAM: &str = "arn:aws:kinesis:us-east-1:111122223333:stream/bench";
    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /// Every action these tests know of: the Kinesis and KMS operations the harness uses and
    /// a few more from each service.
    const ALL_ACTIONS: &[&str] = &[
        "kinesis:AddTagsToStream",
        "kinesis:CreateStream",
        "kinesis:DecreaseStreamRetentionPeriod",
        "kinesis:DeleteStream",
        "kinesis:DeregisterStreamConsumer",
        "kinesis:DescribeLimits",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamConsumer",
        "kinesis:DescribeStreamSummary",
        "kinesis:DisableEnhancedMonitoring",
        "kinesis:EnableEnhancedMonitoring",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:IncreaseStreamRetentionPeriod",
        "kinesis:ListShards",
        "kinesis:ListStreamConsumers",
        "kinesis:ListStreams",
        "kinesis:ListTagsForStream",
        "kinesis:MergeShards",
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:RegisterStreamConsumer",
        "kinesis:RemoveTagsFromStream",
        "kinesis:SplitShard",
        "kinesis:StartStreamEncryption",
        "kinesis:StopStreamEncryption",
        "kinesis:SubscribeToShard",
        "kinesis:UpdateShardCount",
        "kms:CancelKeyDeletion",
        "kms:CreateAlias",
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:RevokeGrant",
        "kms:RetireGrant",
        "kms:RotateKeyOnDemand",
        "kms:ListKeyRotations",
        "kms:CreateKey",
        "kms:Decrypt",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:DisableKey",
        "kms:DisableKeyRotation",
        "kms:EnableKey",
        "kms:EnableKeyRotation",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListAliases",
        "kms:ListKeyPolicies",
        "kms:ListKeys",
        "kms:PutKeyPolicy",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ListResourceTags",
        "kms:DeleteAlias",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "firehose:CreateDeliveryStream",
        "firehose:DeleteDeliveryStream",
        "firehose:DescribeDeliveryStream",
        "firehose:ListDeliveryStreams",
        "firehose:StartDeliveryStreamEncryption",
        "firehose:StopDeliveryStreamEncryption",
        "firehose:TagDeliveryStream",
        "firehose:UntagDeliveryStream",
        "firehose:ListTagsForDeliveryStream",
        "firehose:PutRecord",
        "firehose:PutRecordBatch",
    ];

    /// Asserts that `name` is allowed exactly `expected` among [`ALL_ACTIONS`], on any resource.
    fn assert_exactly(iam: &Iam, name: &str, expected: &[&str]) {
        for action in ALL_ACTIONS {
            for resource in [STREAM, KEY, "*"] {
                let got = iam.authorize(name, action, resource);
                let want = if expected.contains(action) {
                    Decision::Allow
                } else {
                    Decision::ImplicitDeny
                };
                assert_eq!(got, want, "{name} {action} on {resource}");
            }
        }
        for action in expected {
            assert!(ALL_ACTIONS.contains(action), "test list lacks {action}");
        }
    }

    #[test]
    fn admin_is_allowed_exactly_the_control_plane() {
        let iam = Iam::with_defaults(ACCOUNT);
        assert_exactly(
            &iam,
            ADMIN,
            &[
                "kinesis:CreateStream",
                "kinesis:DeleteStream",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListStreams",
                "kinesis:ListShards",
                "kinesis:AddTagsToStream",
                "kinesis:RemoveTagsFromStream",
                "kinesis:ListTagsForStream",
                "kinesis:StartStreamEncryption",
                "kinesis:StopStreamEncryption",
                "kinesis:IncreaseStreamRetentionPeriod",
                "kinesis:DecreaseStreamRetentionPeriod",
                "kms:CreateKey",
                "kms:DescribeKey",
                "kms:ListKeys",
                "kms:CreateAlias",
                "kms:ListAliases",
                "kms:EnableKey",
                "kms:DisableKey",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:EnableKeyRotation",
                "kms:GetKeyRotationStatus",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ListResourceTags",
                "kms:DeleteAlias",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "firehose:CreateDeliveryStream",
                "firehose:DeleteDeliveryStream",
                "firehose:DescribeDeliveryStream",
                "firehose:ListDeliveryStreams",
                "firehose:StartDeliveryStreamEncryption",
                "firehose:StopDeliveryStreamEncryption",
                "firehose:TagDeliveryStream",
                "firehose:UntagDeliveryStream",
                "firehose:ListTagsForDeliveryStream",
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:RevokeGrant",
                "kms:DisableKeyRotation",
                "kms:RotateKeyOnDemand",
                "kms:ListKeyRotations",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:ListKeyPolicies",
            ],
        );
        // No data plane.
        assert_eq!(
            iam.authorize(ADMIN, "kinesis:PutRecords", STREAM),
            Decision::ImplicitDeny
        );
        assert_eq!(
            iam.authorize(ADMIN, "kms:Decrypt", KEY),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn resharder_is_allowed_exactly_resharding() {
        let iam = Iam::with_defaults(ACCOUNT);
        assert_exactly(
            &iam,
            RESHARDER,
            &[
                "kinesis:SplitShard",
                "kinesis:MergeShards",
                "kinesis:UpdateShardCount",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
            ],
        );
    }

    #[test]
    fn producer_is_allowed_exactly_writing() {
        let iam = Iam::with_defaults(ACCOUNT);
        assert_exactly(
            &iam,
            PRODUCER,
            &[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
                "kinesis:PutRecord",
                "kinesis:PutRecords",
                "kms:GenerateDataKey",
                "kms:Encrypt",
                "firehose:DescribeDeliveryStream",
                "firehose:PutRecord",
                "firehose:PutRecordBatch",
                "kms:DescribeKey",
            ],
        );
        assert!(!iam.authorize(PRODUCER, "kms:Decrypt", KEY).allowed());
        assert!(!iam
            .authorize(PRODUCER, "kinesis:GetRecords", STREAM)
            .allowed());
    }

    #[test]
    fn consumer_is_allowed_exactly_reading() {
        let iam = Iam::with_defaults(ACCOUNT);
        assert_exactly(
            &iam,
            CONSUMER,
            &[
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
                // An enhanced fan-out consumer registers itself, as the KCL does.
                "kinesis:RegisterStreamConsumer",
                "kinesis:DescribeStreamConsumer",
                "kinesis:ListStreamConsumers",
                "kinesis:DeregisterStreamConsumer",
                "kms:Decrypt",
                "kms:DescribeKey",
            ],
        );
        assert!(!iam
            .authorize(CONSUMER, "kinesis:PutRecords", STREAM)
            .allowed());
        assert!(!iam
            .authorize(CONSUMER, "kms:GenerateDataKey", KEY)
            .allowed());
    }

    #[test]
    fn default_principals_have_documented_keys_and_arns() {
        let iam = Iam::with_defaults(ACCOUNT);
        for name in [ADMIN, RESHARDER, PRODUCER, CONSUMER] {
            let p = iam.principal(name).expect("default principal");
            assert_eq!(p.name, name);
            assert_eq!(p.access_key_id, name);
            assert_eq!(p.secret_access_key, format!("{name}-secret"));
            assert_eq!(p.secret_access_key, default_secret(name));
            assert_eq!(p.arn, format!("arn:aws:iam::{ACCOUNT}:user/{name}"));
            assert_eq!(iam.principal_by_access_key(name), Some(p));
            assert!(
                !format!("{p:?}").contains("-secret"),
                "Debug leaks the secret"
            );
        }
        assert_eq!(iam.principal("nobody"), None);
        assert_eq!(iam.principal_by_access_key("AKIDEXAMPLE"), None);
        assert_eq!(iam.account_id(), ACCOUNT);
    }

    #[test]
    fn unknown_principal_is_implicitly_denied() {
        let iam = Iam::with_defaults(ACCOUNT);
        assert_eq!(
            iam.authorize("nobody", "kinesis:ListShards", STREAM),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn explicit_deny_beats_allow_and_detach_restores_it() {
        let mut iam = Iam::with_defaults(ACCOUNT);
        assert_eq!(iam.authorize(CONSUMER, "kms:Decrypt", KEY), Decision::Allow);
        let id = iam
            .attach(CONSUMER, Statement::deny(["kms:Decrypt"], ["*"]))
            .expect("attach");
        assert_eq!(
            iam.authorize(CONSUMER, "kms:Decrypt", KEY),
            Decision::ExplicitDeny
        );
        assert!(!iam.authorize(CONSUMER, "kms:Decrypt", KEY).allowed());
        // Other permissions are untouched.
        assert_eq!(
            iam.authorize(CONSUMER, "kinesis:GetRecords", STREAM),
            Decision::Allow
        );
        // Another principal is untouched.
        assert_eq!(iam.authorize(PRODUCER, "kms:Encrypt", KEY), Decision::Allow);

        iam.detach(CONSUMER, id).expect("detach");
        assert_eq!(iam.authorize(CONSUMER, "kms:Decrypt", KEY), Decision::Allow);
        assert_eq!(
            iam.detach(CONSUMER, id),
            Err(IamError::UnknownStatement {
                principal: CONSUMER.to_string(),
                id: id.0
            })
        );
    }

    #[test]
    fn deny_order_does_not_matter_and_allow_does_not_undo_deny() {
        let mut iam = Iam::with_defaults(ACCOUNT);
        let deny = iam
            .attach(PRODUCER, Statement::deny(["kinesis:Put*"], [STREAM]))
            .expect("attach deny");
        let allow = iam
            .attach(PRODUCER, Statement::allow(["kinesis:*"], ["*"]))
            .expect("attach allow");
        assert_ne!(deny, allow);
        assert_eq!(
            iam.authorize(PRODUCER, "kinesis:PutRecords", STREAM),
            Decision::ExplicitDeny
        );
        // The deny is scoped to one stream.
        assert_eq!(
            iam.authorize(
                PRODUCER,
                "kinesis:PutRecords",
                "arn:aws:kinesis:us-east-1:111122223333:stream/other"
            ),
            Decision::Allow
        );
        // The extra allow widened the producer.
        assert_eq!(
            iam.authorize(PRODUCER, "kinesis:UpdateShardCount", STREAM),
            Decision::Allow
        );
        iam.detach(PRODUCER, allow).expect("detach allow");
        assert_eq!(
            iam.authorize(PRODUCER, "kinesis:UpdateShardCount", STREAM),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn attach_and_detach_report_unknown_principals_and_bad_statements() {
        let mut iam = Iam::with_defaults(ACCOUNT);
        assert_eq!(
            iam.attach("nobody", Statement::deny(["kms:*"], ["*"])),
            Err(IamError::UnknownPrincipal("nobody".to_string()))
        );
        assert_eq!(
            iam.detach("nobody", StatementId(0)),
            Err(IamError::UnknownPrincipal("nobody".to_string()))
        );
        for bad in [
            Statement::deny(Vec::<String>::new(), ["*"]),
            Statement::deny(["kms:Decrypt"], Vec::<String>::new()),
            Statement::deny(["Decrypt"], ["*"]),
            Statement::deny([":Decrypt"], ["*"]),
            Statement::deny(["kms:"], ["*"]),
            Statement::deny(["kms:Decrypt"], [""]),
        ] {
            assert!(
                matches!(
                    iam.attach(CONSUMER, bad.clone()),
                    Err(IamError::InvalidStatement(_))
                ),
                "{bad:?}"
            );
        }
        // A rejected statement changed nothing.
        assert_eq!(iam.authorize(CONSUMER, "kms:Decrypt", KEY), Decision::Allow);
    }

    #[test]
    fn add_principal_gives_name_keys_and_policy() {
        let mut iam = Iam::with_defaults(ACCOUNT);
        let p = iam
            .add_principal(
                "auditor",
                vec![Statement::allow(
                    ["kinesis:Describe*", "kinesis:List*"],
                    ["*"],
                )],
            )
            .expect("add")
            .clone();
        assert_eq!(p.access_key_id, "auditor");
        assert_eq!(p.secret_access_key, "auditor-secret");
        assert_eq!(p.arn, "arn:aws:iam::111122223333:user/auditor");
        assert_eq!(iam.principal_by_access_key("auditor"), Some(&p));
        assert!(iam
            .authorize("auditor", "kinesis:ListShards", STREAM)
            .allowed());
        assert!(iam
            .authorize("auditor", "kinesis:DescribeStreamSummary", STREAM)
            .allowed());
        assert!(!iam
            .authorize("auditor", "kinesis:PutRecord", STREAM)
            .allowed());
        assert_eq!(iam.statements("auditor").map(|s| s.count()), Some(1));

        assert_eq!(
            iam.add_principal("auditor", vec![]).map(|p| p.name.clone()),
            Err(IamError::DuplicatePrincipal("auditor".to_string()))
        );
        assert_eq!(
            iam.add_principal(ADMIN, vec![]).map(|p| p.name.clone()),
            Err(IamError::DuplicatePrincipal(ADMIN.to_string()))
        );
        for bad in ["", "has space", "slash/name", &"x".repeat(65)] {
            assert_eq!(
                iam.add_principal(bad, vec![]).map(|p| p.name.clone()),
                Err(IamError::InvalidName(bad.to_string()))
            );
        }
        assert!(matches!(
            iam.add_principal("broken", vec![Statement::allow(["PutRecord"], ["*"])]),
            Err(IamError::InvalidStatement(_))
        ));
        assert_eq!(iam.principal("broken"), None);
    }

    #[test]
    fn action_wildcards_ignore_case() {
        let mut iam = Iam::new(ACCOUNT);
        iam.add_principal(
            "ops",
            vec![
                Statement::allow(["kinesis:Describe*"], ["*"]),
                Statement::allow(["KMS:*"], ["*"]),
                Statement::allow(["kinesis:?etRecords"], ["*"]),
            ],
        )
        .expect("add");
        assert!(iam
            .authorize("ops", "kinesis:DescribeStream", STREAM)
            .allowed());
        assert!(iam
            .authorize("ops", "Kinesis:describestreamsummary", STREAM)
            .allowed());
        assert!(iam.authorize("ops", "kms:Decrypt", KEY).allowed());
        assert!(iam.authorize("ops", "kms:GenerateDataKey", KEY).allowed());
        assert!(iam.authorize("ops", "kinesis:GetRecords", STREAM).allowed());
        assert!(!iam.authorize("ops", "kinesis:ListShards", STREAM).allowed());
        assert!(!iam.authorize("ops", "kinesis:PutRecords", STREAM).allowed());
        assert!(action_matches("*", "kinesis:PutRecords"));
        assert!(action_matches("kinesis:putrecord?", "kinesis:PutRecords"));
        assert!(!action_matches("kinesis:PutRecord", "kinesis:PutRecords"));
        assert!(!action_matches("kms:Put*", "kinesis:PutRecords"));
    }

    #[test]
    fn resource_wildcards_respect_case() {
        let mut iam = Iam::new(ACCOUNT);
        iam.add_principal(
            "writer",
            vec![Statement::allow(
                ["kinesis:PutRecords"],
                ["arn:aws:kinesis:*:111122223333:stream/bench-?"],
            )],
        )
        .expect("add");
        let ok = "arn:aws:kinesis:eu-west-1:111122223333:stream/bench-1";
        assert!(iam.authorize("writer", "kinesis:PutRecords", ok).allowed());
        for denied in [
            "arn:aws:kinesis:eu-west-1:111122223333:stream/bench-12",
            "arn:aws:kinesis:eu-west-1:111122223333:stream/Bench-1",
            "arn:aws:kinesis:eu-west-1:444455556666:stream/bench-1",
            "arn:aws:kinesis:eu-west-1:111122223333:stream/bench-",
        ] {
            assert_eq!(
                iam.authorize("writer", "kinesis:PutRecords", denied),
                Decision::ImplicitDeny,
                "{denied}"
            );
        }
    }

    #[test]
    fn wildcard_match_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything", true),
            ("?", "", false),
            ("?", "a", true),
            ("a*b", "ab", true),
            ("a*b", "axxxb", true),
            ("a*b", "axxxbc", false),
            ("a*b*c", "abxbc", true),
            (
                "*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("**", "x", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("stream/é*", "stream/éte", true),
            ("stream/?", "stream/é", true),
            ("ABC", "abc", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(wildcard_match(pattern, text), *want, "{pattern:?} {text:?}");
        }
    }

    /// A direct recursive definition of the wildcard language, for comparison.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && reference(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
        }
    }

    proptest! {
        #[test]
        fn wildcard_match_agrees_with_reference(
            pattern in "[ab*?]{0,8}",
            text in "[ab]{0,10}",
        ) {
            let p: Vec<char> = pattern.chars().collect();
            let t: Vec<char> = text.chars().collect();
            prop_assert_eq!(wildcard_match(&pattern, &text), reference(&p, &t));
        }

        #[test]
        fn action_match_ignores_case_like_the_reference(
            pattern in "[aAbB*?]{0,8}",
            text in "[aAbB]{0,10}",
        ) {
            let p: Vec<char> = pattern.to_lowercase().chars().collect();
            let t: Vec<char> = text.to_lowercase().chars().collect();
            prop_assert_eq!(action_matches(&pattern, &text), reference(&p, &t));
        }

        #[test]
        fn matchers_never_panic(pattern in any::<String>(), text in any::<String>()) {
            let _ = wildcard_match(&pattern, &text);
            let _ = action_matches(&pattern, &text);
        }

        #[test]
        fn a_literal_matches_itself(text in "[a-zA-Z0-9:/_.-]{0,40}") {
            prop_assert!(wildcard_match(&text, &text));
            prop_assert!(action_matches(&text, &text.to_uppercase()));
        }
    }
}
