//! Key policies over JSON 1.1: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the policy a
//! CreateKey request gives, with KMS's checks: a document the service can read (at most 32 KiB),
//! no change to an AWS-managed key's policy, and the lockout safety check (the new policy must
//! still let the caller put a policy, unless `BypassPolicyLockoutSafetyCheck`).

use serde::Deserialize;
use serde_json::json;

use super::ops::admin_key_of;
use super::principal_arns;
use crate::iam::Decision;
use crate::keypolicy::{self, KeyPolicy, PolicyDecision, DEFAULT_POLICY_NAME};
use crate::service::Ctx;
use crate::wire::{self, required, ApiError, OpResult};

/// Longest key policy KMS accepts, bytes.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct PolicyIn {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
    #[allow(dead_code)]
    limit: Option<i64>,
    #[allow(dead_code)]
    marker: Option<String>,
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::new("MalformedPolicyDocumentException", message)
}

/// Handle the key policy operations; `None` for any other.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> Option<OpResult> {
    let run =
        |f: fn(PolicyIn, &Ctx<'_>) -> OpResult| Some(wire::parse(body).and_then(|i| f(i, ctx)));
    match op {
        "GetKeyPolicy" => run(get_policy),
        "PutKeyPolicy" => run(put_policy),
        "ListKeyPolicies" => run(list_policies),
        _ => None,
    }
}

fn check_name(input: &PolicyIn) -> Result<(), ApiError> {
    match input.policy_name.as_deref() {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(other) => Err(ApiError::new(
            "NotFoundException",
            format!(
                "no key policy named {other}: a key has one policy, named {DEFAULT_POLICY_NAME}"
            ),
        )),
    }
}

fn get_policy(input: PolicyIn, ctx: &Ctx<'_>) -> OpResult {
    check_name(&input)?;
    let id = admin_key_of("GetKeyPolicy", &required(input.key_id, "keyId")?, ctx)?;
    let kms = ctx.svc.kms.lock();
    let key = kms
        .store
        .key(&id)
        .ok_or_else(|| ApiError::internal("key vanished"))?;
    Ok(json!({ "Policy": key.policy_text, "PolicyName": DEFAULT_POLICY_NAME }))
}

fn list_policies(input: PolicyIn, ctx: &Ctx<'_>) -> OpResult {
    admin_key_of("ListKeyPolicies", &required(input.key_id, "keyId")?, ctx)?;
    Ok(json!({ "PolicyNames": [DEFAULT_POLICY_NAME], "Truncated": false }))
}

fn put_policy(input: PolicyIn, ctx: &Ctx<'_>) -> OpResult {
    check_name(&input)?;
    let text = required(input.policy, "policy")?;
    let id = admin_key_of("PutKeyPolicy", &required(input.key_id, "keyId")?, ctx)?;
    let key_arn = {
        let kms = ctx.svc.kms.lock();
        let key = kms
            .store
            .key(&id)
            .ok_or_else(|| ApiError::internal("key vanished"))?;
        if key.aws_managed {
            return Err(ApiError::new(
                "AccessDeniedException",
                format!(
                    "{} is an AWS managed key: its key policy cannot be changed",
                    key.arn
                ),
            ));
        }
        key.arn.clone()
    };
    let policy = checked(
        &text,
        &key_arn,
        input.bypass_policy_lockout_safety_check,
        ctx,
    )?;
    let mut kms = ctx.svc.kms.lock();
    let key = kms
        .store
        .key_mut(&id)
        .ok_or_else(|| ApiError::internal("key vanished"))?;
    key.policy = policy;
    key.policy_text = text;
    Ok(json!({}))
}

/// The policy CreateKey's `Policy` gives (checked as PutKeyPolicy checks it), if any.
pub(super) fn create_key_policy(
    body: &[u8],
    ctx: &Ctx<'_>,
) -> Result<Option<(String, KeyPolicy)>, ApiError> {
    let input: PolicyIn = wire::parse(body)?;
    let Some(text) = input.policy else {
        return Ok(None);
    };
    let key_arn = format!(
        "arn:aws:kms:{}:{}:key/*",
        ctx.svc.region(),
        ctx.svc.account()
    );
    let policy = checked(
        &text,
        &key_arn,
        input.bypass_policy_lockout_safety_check,
        ctx,
    )?;
    Ok(Some((text, policy)))
}

/// Parse `text` and refuse what KMS refuses; check the caller could put a policy after it.
fn checked(
    text: &str,
    key_arn: &str,
    bypass: Option<bool>,
    ctx: &Ctx<'_>,
) -> Result<KeyPolicy, ApiError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(malformed(format!(
            "the key policy is {} bytes; at most {MAX_POLICY_BYTES} are allowed",
            text.len()
        )));
    }
    let policy = KeyPolicy::parse(text).map_err(|e| malformed(e.0))?;
    let unsupported = policy.unsupported();
    if !unsupported.is_empty() {
        return Err(malformed(format!(
            "the embedded service does not evaluate {}",
            unsupported.join("; ")
        )));
    }
    if bypass != Some(true) {
        let account = ctx.svc.account().to_string();
        let arns = principal_arns(&account, ctx.principal);
        let request = keypolicy::Request {
            account: &account,
            principal_arns: &arns,
            action: "kms:PutKeyPolicy",
            via_service: None,
        };
        let by_iam = ctx.svc.decide(ctx.principal, "kms:PutKeyPolicy", key_arn);
        let keeps = match (policy.evaluate(&request), by_iam) {
            (PolicyDecision::Deny, _) | (_, Decision::ExplicitDeny) => false,
            (PolicyDecision::Allow, _) => true,
            (PolicyDecision::DelegateToIam, d) => d == Decision::Allow,
            (PolicyDecision::NoMatch, _) => false,
        };
        if !keeps {
            return Err(malformed(
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
    }
    Ok(policy)
}
