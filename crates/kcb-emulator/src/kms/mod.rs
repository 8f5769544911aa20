//! The embedded KMS: keys and their states, the request quota, and a log of every call made,
//! directly by a client or by Kinesis on a caller's behalf.

pub mod failure;
pub mod grants;
pub mod keys;
pub mod ops;
pub mod policy_ops;
pub mod tags;

use std::collections::BTreeMap;
use std::time::Duration;

use zeroize::Zeroizing;

use super::bucket::TokenBucket;
use super::iam::Decision;
use crate::keypolicy::{self, PolicyDecision};
pub use failure::KmsFailure;
pub use keys::{KeyState, KeyStore};

/// One KMS request as the service saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsCallEvent {
    /// Operation name, e.g. `GenerateDataKey`.
    pub op: String,
    /// The key's id (empty where none was resolved).
    pub key_id: String,
    /// The principal the call was made by or for.
    pub principal: String,
    /// The stream ARN when Kinesis made the call on the principal's behalf (SSE).
    pub via_stream: Option<String>,
    /// When (since the epoch, on the service's clock).
    pub at: Duration,
    /// Whether it succeeded.
    pub ok: bool,
    /// [`context_fingerprint`] of the request's encryption context (0: none), as CloudTrail
    /// logs each call's encryption context: it tells apart callers of one key.
    pub context: u64,
    /// The request's encryption context as CloudTrail logs it (`requestParameters`).
    pub encryption_context: BTreeMap<String, String>,
    /// The caller's ARN as CloudTrail's `userIdentity.arn` names it (a user, or a role
    /// session); empty for a service acting on its own (Firehose under its grant).
    pub arn: String,
}

/// A fingerprint of an encryption context, the `aws-crypto-` pairs left out (the AWS
/// Encryption SDK adds its signing key there, different in every message): two requests made
/// with the same context have the same one. 0 for an empty context.
pub fn context_fingerprint(context: &BTreeMap<String, String>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut any = false;
    for (k, v) in context
        .iter()
        .filter(|(k, _)| !k.starts_with("aws-crypto-"))
    {
        (k, v).hash(&mut h);
        any = true;
    }
    if any {
        h.finish().max(1)
    } else {
        0
    }
}

thread_local! {
    /// The principal (name, ARN) whose request is being handled on this thread, so each KMS
    /// call it causes is logged under the ARN it signed as (a user, or an assumed role's
    /// session), as CloudTrail logs it.
    static REQUEST_CALLER: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
    /// KMS operations the request being handled on this thread has made (the service handles
    /// each request synchronously on one thread), so injected KMS latency can be charged to it.
    static REQUEST_KMS_OPS: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Forget the KMS operations recorded on this thread, and who called; call before handling a
/// request.
pub fn begin_request() {
    REQUEST_KMS_OPS.with(|ops| ops.borrow_mut().clear());
    REQUEST_CALLER.with(|c| c.borrow_mut().take());
}

/// The request on this thread was signed by `principal` as `arn`.
pub fn request_caller(principal: &str, arn: &str) {
    REQUEST_CALLER.with(|c| *c.borrow_mut() = Some((principal.to_owned(), arn.to_owned())));
}

/// The ARN CloudTrail names `principal` by: the one its request on this thread signed as,
/// else its user's; none for a service acting on its own.
fn caller_arn(account: &str, principal: &str) -> String {
    if principal.ends_with(".amazonaws.com") {
        return String::new();
    }
    REQUEST_CALLER.with(|c| match &*c.borrow() {
        Some((name, arn)) if name == principal => arn.clone(),
        _ => format!("arn:aws:iam::{account}:user/{principal}"),
    })
}

/// The KMS operations (operation, key id) made on this thread since [`begin_request`].
pub fn request_ops() -> Vec<(String, String)> {
    REQUEST_KMS_OPS.with(|ops| std::mem::take(&mut *ops.borrow_mut()))
}

/// Who is calling, and on whose behalf.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// Principal name.
    pub principal: &'a str,
    /// Stream ARN when Kinesis calls on the principal's behalf.
    pub via_stream: Option<&'a str>,
}

/// A fresh data key: plaintext (zeroized on drop), its blob, and the key ARN.
pub struct GeneratedKey {
    /// Plaintext data key.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// CiphertextBlob.
    pub blob: Vec<u8>,
    /// ARN of the KMS key.
    pub key_arn: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("plaintext", &"<redacted>")
            .field("key_arn", &self.key_arn)
            .finish()
    }
}

/// The operations that share KMS's "cryptographic operations (symmetric) request rate" quota
/// (KMS developer guide, "Request quotas"). Key administration (DescribeKey, DisableKey,
/// ScheduleKeyDeletion, ...) has per-operation quotas of its own, which are not modelled.
pub const CRYPTOGRAPHIC_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "ReEncrypt",
    "VerifyMac",
];

/// KMS state: keys, quota, and the call log.
#[derive(Debug)]
pub struct Kms {
    /// Keys and aliases.
    pub store: KeyStore,
    /// Grants on the keys.
    pub grants: grants::Grants,
    quota: TokenBucket,
    calls: Vec<KmsCallEvent>,
}

/// A permission check the caller supplies (the service's IAM: what the caller's identity
/// policies decide for an action on a resource), so this module needs no IAM.
pub type Authorize<'a> = &'a dyn Fn(&str, &str) -> Decision;

/// The ARNs a principal of the embedded service is known by in a key policy: its user and its
/// role (`AssumeRole` of `role/<name>` acts as `<name>`), or a service principal as named.
pub fn principal_arns(account: &str, principal: &str) -> Vec<String> {
    if principal.ends_with(".amazonaws.com") {
        return vec![principal.to_string()];
    }
    vec![
        format!("arn:aws:iam::{account}:user/{principal}"),
        format!("arn:aws:iam::{account}:role/{principal}"),
    ]
}

/// `kms:ViaService` for a call a service makes for its caller on the resource `arn`
/// (a stream, a delivery stream, a bucket): `<service>.<region>.amazonaws.com`.
fn via_service(arn: &str, region: &str) -> Option<String> {
    let service = arn.strip_prefix("arn:aws:")?.split(':').next()?;
    Some(format!("{service}.{region}.amazonaws.com"))
}

impl Kms {
    /// A KMS with a request quota of `quota_per_sec` shared by every operation.
    pub fn new(account: &str, region: &str, quota_per_sec: f64) -> Self {
        Self {
            store: KeyStore::new(account, region),
            grants: grants::Grants::default(),
            quota: TokenBucket::per_second(quota_per_sec),
            calls: Vec::new(),
        }
    }

    /// Change the shared request quota.
    pub fn set_quota(&mut self, per_sec: f64) {
        self.quota.set_rate(per_sec);
    }

    /// The shared request quota.
    pub fn quota(&self) -> f64 {
        self.quota.rate_per_sec()
    }

    /// Every call so far.
    pub fn calls(&self) -> &[KmsCallEvent] {
        &self.calls
    }

    /// Log a call that [`Kms::admit`] admitted and that needed no cryptography (key
    /// administration), so every request is counted.
    pub fn log_admitted(&mut self, op: &str, key_id: &str, caller: Caller<'_>, now: Duration) {
        self.log(op, key_id, caller, now, (true, &BTreeMap::new()));
    }

    fn log(
        &mut self,
        op: &str,
        key_id: &str,
        caller: Caller<'_>,
        now: Duration,
        (ok, context): (bool, &BTreeMap<String, String>),
    ) {
        REQUEST_KMS_OPS.with(|ops| ops.borrow_mut().push((op.to_string(), key_id.to_string())));
        let arn = caller_arn(self.store.account(), caller.principal);
        self.calls.push(KmsCallEvent {
            op: op.to_string(),
            key_id: key_id.to_string(),
            principal: caller.principal.to_string(),
            via_stream: caller.via_stream.map(str::to_string),
            at: now,
            ok,
            context: context_fingerprint(context),
            encryption_context: context.clone(),
            arn,
        });
    }

    /// Admit one request against the quota, resolve the key and check the permission; logs the
    /// call whatever the outcome. Returns the key id.
    pub fn admit(
        &mut self,
        op: &str,
        key_ref: &str,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
    ) -> Result<String, KmsFailure> {
        self.admit_with(op, key_ref, caller, authorize, now, &BTreeMap::new())
    }

    /// [`Kms::admit`] for a request made with an encryption context.
    fn admit_with(
        &mut self,
        op: &str,
        key_ref: &str,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
        context: &BTreeMap<String, String>,
    ) -> Result<String, KmsFailure> {
        let result = self.admit_inner(op, key_ref, caller, authorize, now);
        if result.is_err() {
            self.log(op, key_ref, caller, now, (false, context));
        }
        result
    }

    fn admit_inner(
        &mut self,
        op: &str,
        key_ref: &str,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
    ) -> Result<String, KmsFailure> {
        if CRYPTOGRAPHIC_OPERATIONS.contains(&op) && !self.quota.try_take(1.0, now) {
            return Err(KmsFailure::Throttled);
        }
        let id = self.store.resolve(key_ref, now)?;
        let arn = self
            .store
            .key(&id)
            .map(|k| k.arn.clone())
            .unwrap_or_default();
        let action = format!("kms:{op}");
        let account = self.store.account().to_string();
        let arns = principal_arns(&account, caller.principal);
        let via = caller
            .via_stream
            .and_then(|a| via_service(a, self.store.region()));
        let request = keypolicy::Request {
            account: &account,
            principal_arns: &arns,
            action: &action,
            via_service: via.as_deref(),
        };
        let by_key = self
            .store
            .key(&id)
            .map_or(PolicyDecision::NoMatch, |k| k.policy.evaluate(&request));
        let by_iam = authorize(&action, &arn);
        let allowed = match (by_key, by_iam) {
            (PolicyDecision::Deny, _) | (_, Decision::ExplicitDeny) => false,
            (PolicyDecision::Allow, _) | (PolicyDecision::DelegateToIam, Decision::Allow) => true,
            _ => self.grants.allows(&id, caller.principal, op),
        };
        if !allowed {
            let why = match (by_key, by_iam) {
                (PolicyDecision::Deny, _) => "with an explicit deny in a resource-based policy",
                (_, Decision::ExplicitDeny) => "with an explicit deny in an identity-based policy",
                (PolicyDecision::NoMatch, _) => {
                    "because no resource-based policy allows the action"
                }
                _ => "because no identity-based policy allows the action",
            };
            return Err(KmsFailure::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {arn} {why}",
                caller.principal
            )));
        }
        Ok(id)
    }

    /// GenerateDataKey: `bytes` of fresh key, sealed under the key, bound to `context`.
    pub fn generate_data_key(
        &mut self,
        key_ref: &str,
        bytes: usize,
        context: &BTreeMap<String, String>,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
    ) -> Result<GeneratedKey, KmsFailure> {
        let id = self.admit_with("GenerateDataKey", key_ref, caller, authorize, now, context)?;
        let mut plaintext = Zeroizing::new(vec![0u8; bytes]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, plaintext.as_mut_slice());
        let sealed = self.store.seal(&id, &plaintext, context, now);
        self.log(
            "GenerateDataKey",
            &id,
            caller,
            now,
            (sealed.is_ok(), context),
        );
        let (blob, key_arn) = sealed?;
        Ok(GeneratedKey {
            plaintext,
            blob,
            key_arn,
        })
    }

    /// Encrypt up to 4 KiB under the key.
    pub fn encrypt(
        &mut self,
        key_ref: &str,
        plaintext: &[u8],
        context: &BTreeMap<String, String>,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
    ) -> Result<(Vec<u8>, String), KmsFailure> {
        let id = self.admit_with("Encrypt", key_ref, caller, authorize, now, context)?;
        let sealed = self.store.seal(&id, plaintext, context, now);
        self.log("Encrypt", &id, caller, now, (sealed.is_ok(), context));
        sealed
    }

    /// Decrypt a blob; the key is the one the blob names.
    pub fn decrypt(
        &mut self,
        blob: &[u8],
        context: &BTreeMap<String, String>,
        caller: Caller<'_>,
        authorize: Authorize<'_>,
        now: Duration,
    ) -> Result<(Zeroizing<Vec<u8>>, String), KmsFailure> {
        let key_id = match KeyStore::blob_key_id(blob) {
            Ok(id) => id,
            Err(e) => {
                self.log("Decrypt", "", caller, now, (false, context));
                return Err(e);
            }
        };
        let id = self.admit_with("Decrypt", &key_id, caller, authorize, now, context)?;
        let opened = self.store.open(blob, context, now);
        self.log("Decrypt", &id, caller, now, (opened.is_ok(), context));
        opened
    }
}
