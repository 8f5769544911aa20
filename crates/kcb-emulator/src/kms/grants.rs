//! KMS grants (CreateGrant, ListGrants, RetireGrant, RevokeGrant): a grant lets its grantee
//! principal perform the listed operations on one key, whatever its IAM policies allow (an
//! explicit Deny still wins). Firehose takes one for a delivery stream encrypted with a
//! customer-managed key and uses it for its data keys; revoking it is what breaks the stream.

use serde::Deserialize;
use serde_json::{json, Value};

use super::ops::admin_key_of;
use crate::service::Ctx;
use crate::wire::{self, epoch_seconds, required, ApiError, OpResult};

/// Grants a key may have (KMS's quota per key is 50,000; the embedded service keeps fewer).
pub const MAX_GRANTS_PER_KEY: usize = 10_000;

/// Operations a grant may allow.
const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
];

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Its id.
    pub id: String,
    /// The token that retires it.
    pub token: String,
    /// The key's id.
    pub key_id: String,
    /// Who it lets act.
    pub grantee: String,
    /// Who may retire it, besides the grantee.
    pub retiring: Option<String>,
    /// What it lets the grantee do.
    pub operations: Vec<String>,
    /// Its name.
    pub name: Option<String>,
    /// When it was made.
    pub created: std::time::Duration,
    /// Who made it.
    pub issuer: String,
}

/// Every grant, in order made.
#[derive(Debug, Default)]
pub struct Grants {
    all: Vec<Grant>,
}

impl Grants {
    /// Make a grant; its id and token.
    pub fn create(&mut self, grant: Grant) -> Result<(String, String), ApiError> {
        if self.all.iter().filter(|g| g.key_id == grant.key_id).count() >= MAX_GRANTS_PER_KEY {
            return Err(ApiError::new(
                "LimitExceededException",
                format!("key {} has {MAX_GRANTS_PER_KEY} grants", grant.key_id),
            ));
        }
        let out = (grant.id.clone(), grant.token.clone());
        self.all.push(grant);
        Ok(out)
    }

    /// Whether a grant on `key_id` lets `grantee` perform `op`.
    pub fn allows(&self, key_id: &str, grantee: &str, op: &str) -> bool {
        self.all.iter().any(|g| {
            g.key_id == key_id && g.grantee == grantee && g.operations.iter().any(|o| o == op)
        })
    }

    /// Grant `id` of `key_id`, if it exists.
    pub fn get(&self, key_id: &str, id: &str) -> Option<&Grant> {
        self.all.iter().find(|g| g.key_id == key_id && g.id == id)
    }

    /// Remove grant `id`; whether it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.all.len();
        self.all.retain(|g| g.id != id);
        self.all.len() != before
    }

    /// Remove every grant of a key (the key is deleted).
    pub fn forget_key(&mut self, key_id: &str) {
        self.all.retain(|g| g.key_id != key_id);
    }

    /// The grants of `key_id`.
    pub fn of_key<'a>(&'a self, key_id: &'a str) -> impl Iterator<Item = &'a Grant> + 'a {
        self.all.iter().filter(move |g| g.key_id == key_id)
    }

    /// The grant whose token is `token`.
    pub fn by_token(&self, token: &str) -> Option<&Grant> {
        self.all.iter().find(|g| g.token == token)
    }
}

/// A random id (64 hex digits, as KMS's grant ids are).
pub fn new_id() -> String {
    format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct GrantIn {
    key_id: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    operations: Option<Vec<String>>,
    name: Option<String>,
    grant_id: Option<String>,
    grant_token: Option<String>,
    #[allow(dead_code)]
    limit: Option<i64>,
    #[allow(dead_code)]
    marker: Option<String>,
    #[allow(dead_code)]
    constraints: Option<Value>,
    #[allow(dead_code)]
    grant_tokens: Option<Value>,
}

/// Handle a grant operation; `None` when `op` is none of them.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> Option<OpResult> {
    let run =
        |f: fn(GrantIn, &Ctx<'_>) -> OpResult| Some(wire::parse(body).and_then(|i| f(i, ctx)));
    match op {
        "CreateGrant" => run(create_grant),
        "ListGrants" => run(list_grants),
        "RetireGrant" => run(retire_grant),
        "RevokeGrant" => run(revoke_grant),
        _ => None,
    }
}

fn create_grant(input: GrantIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let grantee = required(input.grantee_principal, "granteePrincipal")?;
    let operations = required(input.operations, "operations")?;
    if operations.is_empty() {
        return Err(ApiError::validation(
            "operations must name at least one operation",
        ));
    }
    if let Some(bad) = operations
        .iter()
        .find(|o| !GRANT_OPERATIONS.contains(&o.as_str()))
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{bad}' at 'operations' failed to satisfy constraint: Member must satisfy enum value set: {GRANT_OPERATIONS:?}"
        )));
    }
    let id = admin_key_of("CreateGrant", &key_ref, ctx)?;
    let mut kms = ctx.svc.kms.lock();
    kms.store.usable(&id, ctx.now).map_err(|e| e.direct())?;
    let (grant_id, token) = kms.grants.create(Grant {
        id: new_id(),
        token: new_id(),
        key_id: id,
        grantee,
        retiring: input.retiring_principal,
        operations,
        name: input.name,
        created: ctx.now,
        issuer: ctx.principal.to_string(),
    })?;
    Ok(json!({ "GrantId": grant_id, "GrantToken": token }))
}

fn list_grants(input: GrantIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let id = admin_key_of("ListGrants", &key_ref, ctx)?;
    let kms = ctx.svc.kms.lock();
    let arn = kms
        .store
        .key(&id)
        .map(|k| k.arn.clone())
        .unwrap_or_default();
    let grants: Vec<Value> = kms
        .grants
        .of_key(&id)
        .filter(|g| input.grant_id.as_deref().is_none_or(|w| w == g.id))
        .map(|g| {
            let mut v = json!({
                "KeyId": arn,
                "GrantId": g.id,
                "GranteePrincipal": g.grantee,
                "IssuingAccount": format!("arn:aws:iam::{}:root", ctx.svc.account()),
                "Operations": g.operations,
                "CreationDate": epoch_seconds(g.created),
            });
            if let Some(n) = &g.name {
                v["Name"] = json!(n);
            }
            if let Some(r) = &g.retiring {
                v["RetiringPrincipal"] = json!(r);
            }
            v
        })
        .collect();
    Ok(json!({ "Grants": grants, "Truncated": false }))
}

fn retire_grant(input: GrantIn, ctx: &Ctx<'_>) -> OpResult {
    let mut kms = ctx.svc.kms.lock();
    let grant = match (&input.grant_token, &input.key_id, &input.grant_id) {
        (Some(t), _, _) => kms.grants.by_token(t).cloned(),
        (None, Some(k), Some(g)) => {
            let id = kms.store.resolve(k, ctx.now).map_err(|e| e.direct())?;
            kms.grants.get(&id, g).cloned()
        }
        _ => {
            return Err(ApiError::validation(
                "give GrantToken, or KeyId and GrantId",
            ))
        }
    }
    .ok_or_else(|| ApiError::new("NotFoundException", "Grant not found"))?;
    let may = grant.grantee == ctx.principal
        || grant.retiring.as_deref() == Some(ctx.principal)
        || ctx.allowed("kms:RetireGrant", &grant.key_id);
    if !may {
        return Err(ApiError::new(
            "AccessDeniedException",
            format!(
                "User: {} may not retire grant {} (neither its grantee nor its retiring principal)",
                ctx.principal, grant.id
            ),
        ));
    }
    kms.grants.remove(&grant.id);
    Ok(json!({}))
}

fn revoke_grant(input: GrantIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let grant_id = required(input.grant_id, "grantId")?;
    let id = admin_key_of("RevokeGrant", &key_ref, ctx)?;
    let mut kms = ctx.svc.kms.lock();
    if kms.grants.get(&id, &grant_id).is_none() {
        return Err(ApiError::new(
            "NotFoundException",
            format!("Grant {grant_id} of key {id} is not found."),
        ));
    }
    kms.grants.remove(&grant_id);
    Ok(json!({}))
}
