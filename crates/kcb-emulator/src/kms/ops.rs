//! KMS operations over JSON 1.1 (`TrentService.*`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::keys::{Key, KeyState};
use super::{Caller, KmsFailure};
use crate::service::Ctx;
use crate::wire::{self, blob, encode_blob, epoch_seconds, required, ApiError, OpResult};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct KeyIn {
    key_id: Option<String>,
    description: Option<String>,
    pending_window_in_days: Option<i64>,
    rotation_period_in_days: Option<i64>,
    alias_name: Option<String>,
    target_key_id: Option<String>,
    encryption_context: Option<BTreeMap<String, String>>,
    number_of_bytes: Option<i64>,
    key_spec: Option<String>,
    plaintext: Option<String>,
    ciphertext_blob: Option<String>,
    #[allow(dead_code)]
    tags: Option<Value>,
    #[allow(dead_code)]
    tag_keys: Option<Value>,
    #[allow(dead_code)]
    key_usage: Option<String>,
    #[allow(dead_code)]
    grant_tokens: Option<Value>,
    #[allow(dead_code)]
    encryption_algorithm: Option<String>,
    #[allow(dead_code)]
    limit: Option<i64>,
    #[allow(dead_code)]
    marker: Option<String>,
}

/// Handle one `TrentService.<op>` request.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    if let Some(answer) = super::tags::handle(op, body, ctx) {
        return answer;
    }
    if let Some(answer) = super::policy_ops::handle(op, body, ctx) {
        return answer;
    }
    if let Some(answer) = super::grants::handle(op, body, ctx) {
        return answer;
    }
    let input: KeyIn = wire::parse(body)?;
    match op {
        "CreateKey" => create_key(&input, body, ctx),
        "DescribeKey" => describe_key(&input, ctx),
        "ListKeys" => list_keys(ctx),
        "CreateAlias" => create_alias(&input, ctx),
        "ListAliases" => list_aliases(ctx),
        "GenerateDataKey" => generate_data_key(&input, ctx),
        "Encrypt" => encrypt(&input, ctx),
        "Decrypt" => decrypt(&input, ctx),
        "EnableKey" | "DisableKey" => set_enabled(op, &input, ctx),
        "ScheduleKeyDeletion" => schedule_deletion(&input, ctx),
        "CancelKeyDeletion" => cancel_deletion(&input, ctx),
        "EnableKeyRotation" => enable_rotation(&input, ctx),
        "DisableKeyRotation" => disable_rotation(&input, ctx),
        "RotateKeyOnDemand" => rotate_on_demand(&input, ctx),
        "ListKeyRotations" => list_rotations(&input, ctx),
        "GetKeyRotationStatus" => rotation_status(&input, ctx),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("TrentService.{op}"),
        )),
    }
}

/// Key metadata as DescribeKey and CreateKey return it.
pub fn metadata(key: &Key, account: &str) -> Value {
    let mut m = json!({
        "AWSAccountId": account,
        "KeyId": key.id,
        "Arn": key.arn,
        "CreationDate": epoch_seconds(key.created),
        "Enabled": key.state == KeyState::Enabled,
        "Description": key.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": key.state.name(),
        "Origin": "AWS_KMS",
        "KeyManager": if key.aws_managed { "AWS" } else { "CUSTOMER" },
        "KeySpec": "SYMMETRIC_DEFAULT",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false,
    });
    if let Some(d) = key.deletion_date {
        m["DeletionDate"] = epoch_seconds(d);
    }
    m
}

/// Admin-style call: quota, key, permission; no crypto.
fn admin_key(op: &str, input: &KeyIn, ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let key_ref = required(input.key_id.clone(), "keyId")?;
    admin_key_of(op, &key_ref, ctx)
}

/// [`admin_key`] for a key reference already read.
pub(super) fn admin_key_of(op: &str, key_ref: &str, ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let key_ref = key_ref.to_owned();
    let auth = ctx.authorizer();
    let caller = Caller {
        principal: ctx.principal,
        via_stream: None,
    };
    let mut kms = ctx.svc.kms.lock();
    let id = kms
        .admit(op, &key_ref, caller, &auth, ctx.now)
        .map_err(|e| e.direct())?;
    kms.log_admitted(op, &id, caller, ctx.now);
    Ok(id)
}

fn with_key<T>(
    ctx: &Ctx<'_>,
    id: &str,
    f: impl FnOnce(&mut Key) -> Result<T, KmsFailure>,
) -> Result<T, ApiError> {
    let mut kms = ctx.svc.kms.lock();
    let key = kms
        .store
        .key_mut(id)
        .ok_or_else(|| KmsFailure::NotFound(format!("Invalid keyId {id}")).direct())?;
    f(key).map_err(|e| e.direct())
}

fn create_key(input: &KeyIn, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    if !ctx.allowed("kms:CreateKey", "*") {
        return Err(KmsFailure::AccessDenied(format!(
            "User: {} is not authorized to perform: kms:CreateKey",
            ctx.principal
        ))
        .direct());
    }
    let mut tags = BTreeMap::new();
    super::tags::merge(&mut tags, super::tags::create_key_tags(body)?)?;
    let policy = super::policy_ops::create_key_policy(body, ctx)?;
    let mut kms = ctx.svc.kms.lock();
    let desc = input.description.clone().unwrap_or_default();
    let id = kms.store.create_key(&desc, false, ctx.now);
    let key = kms
        .store
        .key_mut(&id)
        .ok_or_else(|| ApiError::internal("key vanished"))?;
    key.tags = tags;
    if let Some((text, parsed)) = policy {
        key.policy_text = text;
        key.policy = parsed;
    }
    let key = &*key;
    Ok(json!({ "KeyMetadata": metadata(key, ctx.svc.account()) }))
}

fn describe_key(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id.clone(), "keyId")?;
    if key_ref == "alias/aws/kinesis" {
        ctx.svc.kms.lock().store.aws_kinesis_key(ctx.now);
    }
    let id = admin_key("DescribeKey", input, ctx)?;
    let kms = ctx.svc.kms.lock();
    let key = kms
        .store
        .key(&id)
        .ok_or_else(|| ApiError::internal("key vanished"))?;
    Ok(json!({ "KeyMetadata": metadata(key, ctx.svc.account()) }))
}

fn list_keys(ctx: &Ctx<'_>) -> OpResult {
    if !ctx.allowed("kms:ListKeys", "*") {
        return Err(KmsFailure::AccessDenied(format!(
            "User: {} is not authorized to perform: kms:ListKeys",
            ctx.principal
        ))
        .direct());
    }
    let mut kms = ctx.svc.kms.lock();
    // Logged as CloudTrail logs it (a run's marker after its load is one).
    let caller = Caller {
        principal: ctx.principal,
        via_stream: None,
    };
    kms.log_admitted("ListKeys", "", caller, ctx.now);
    let mut keys: Vec<&Key> = kms.store.keys().collect();
    keys.sort_by_key(|k| (k.created, k.id.clone()));
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| json!({"KeyId": k.id, "KeyArn": k.arn}))
        .collect();
    Ok(json!({ "Keys": keys, "Truncated": false }))
}

fn create_alias(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let alias = required(input.alias_name.clone(), "aliasName")?;
    let target = required(input.target_key_id.clone(), "targetKeyId")?;
    if alias.starts_with("alias/aws/") {
        return Err(ApiError::new(
            "NotAuthorizedException",
            "alias/aws/ is reserved for AWS-managed keys",
        ));
    }
    let probe = KeyIn {
        key_id: Some(target),
        ..Default::default()
    };
    let id = admin_key("CreateAlias", &probe, ctx)?;
    ctx.svc
        .kms
        .lock()
        .store
        .create_alias(&alias, &id)
        .map_err(|e| e.direct())?;
    Ok(json!({}))
}

fn list_aliases(ctx: &Ctx<'_>) -> OpResult {
    if !ctx.allowed("kms:ListAliases", "*") {
        return Err(KmsFailure::AccessDenied(format!(
            "User: {} is not authorized to perform: kms:ListAliases",
            ctx.principal
        ))
        .direct());
    }
    let kms = ctx.svc.kms.lock();
    let (region, account) = (ctx.svc.region(), ctx.svc.account());
    let aliases: Vec<Value> = kms
        .store
        .aliases()
        .map(|(name, id)| {
            json!({"AliasName": name, "AliasArn": format!("arn:aws:kms:{region}:{account}:{name}"), "TargetKeyId": id})
        })
        .collect();
    Ok(json!({ "Aliases": aliases, "Truncated": false }))
}

fn data_key_bytes(input: &KeyIn) -> Result<usize, ApiError> {
    match (input.number_of_bytes, input.key_spec.as_deref()) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "specify either KeySpec or NumberOfBytes, not both",
        )),
        (Some(n), None) if (1..=1024).contains(&n) => Ok(n as usize),
        (Some(_), None) => Err(ApiError::validation(
            "NumberOfBytes must be between 1 and 1024",
        )),
        (None, Some("AES_256")) => Ok(32),
        (None, Some("AES_128")) => Ok(16),
        (None, Some(other)) => Err(ApiError::validation(format!(
            "KeySpec '{other}' is not AES_256 or AES_128"
        ))),
        (None, None) => Err(ApiError::validation("KeySpec or NumberOfBytes is required")),
    }
}

fn generate_data_key(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id.clone(), "keyId")?;
    let bytes = data_key_bytes(input)?;
    let context = input.encryption_context.clone().unwrap_or_default();
    let auth = ctx.authorizer();
    let caller = Caller {
        principal: ctx.principal,
        via_stream: None,
    };
    let key = ctx
        .svc
        .kms
        .lock()
        .generate_data_key(&key_ref, bytes, &context, caller, &auth, ctx.now)
        .map_err(|e| e.direct())?;
    Ok(json!({
        "CiphertextBlob": encode_blob(&key.blob),
        "Plaintext": encode_blob(&key.plaintext),
        "KeyId": key.key_arn,
    }))
}

fn encrypt(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id.clone(), "keyId")?;
    let plaintext = blob(
        &required(input.plaintext.clone(), "plaintext")?,
        "Plaintext",
    )?;
    let plaintext = zeroize::Zeroizing::new(plaintext);
    if plaintext.is_empty() || plaintext.len() > 4096 {
        return Err(ApiError::validation(
            "Plaintext must be between 1 and 4096 bytes",
        ));
    }
    let context = input.encryption_context.clone().unwrap_or_default();
    let auth = ctx.authorizer();
    let caller = Caller {
        principal: ctx.principal,
        via_stream: None,
    };
    let (sealed, arn) = ctx
        .svc
        .kms
        .lock()
        .encrypt(&key_ref, &plaintext, &context, caller, &auth, ctx.now)
        .map_err(|e| e.direct())?;
    Ok(
        json!({ "CiphertextBlob": encode_blob(&sealed), "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT" }),
    )
}

fn decrypt(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let sealed = blob(
        &required(input.ciphertext_blob.clone(), "ciphertextBlob")?,
        "CiphertextBlob",
    )?;
    let context = input.encryption_context.clone().unwrap_or_default();
    let auth = ctx.authorizer();
    let caller = Caller {
        principal: ctx.principal,
        via_stream: None,
    };
    let (plain, arn) = ctx
        .svc
        .kms
        .lock()
        .decrypt(&sealed, &context, caller, &auth, ctx.now)
        .map_err(|e| e.direct())?;
    if let Some(expected) = &input.key_id {
        let mut kms = ctx.svc.kms.lock();
        let id = kms
            .store
            .resolve(expected, ctx.now)
            .map_err(|e| e.direct())?;
        if !arn.ends_with(&id) {
            return Err(ApiError::new(
                "IncorrectKeyException",
                "the ciphertext was not encrypted under the KeyId given",
            ));
        }
    }
    Ok(
        json!({ "Plaintext": encode_blob(&plain), "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT" }),
    )
}

fn set_enabled(op: &str, input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key(op, input, ctx)?;
    let enable = op == "EnableKey";
    with_key(ctx, &id, |key| {
        if key.state == KeyState::PendingDeletion {
            return Err(KmsFailure::InvalidState(format!(
                "{} is pending deletion.",
                key.arn
            )));
        }
        key.state = if enable {
            KeyState::Enabled
        } else {
            KeyState::Disabled
        };
        Ok(())
    })?;
    Ok(json!({}))
}

fn schedule_deletion(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let days = input.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(ApiError::validation(
            "PendingWindowInDays must be between 7 and 30",
        ));
    }
    let id = admin_key("ScheduleKeyDeletion", input, ctx)?;
    let day = ctx.svc.kms_day();
    let when = ctx.now + day * days as u32;
    let arn = with_key(ctx, &id, |key| {
        if key.aws_managed {
            return Err(KmsFailure::InvalidState(
                "AWS-managed keys cannot be deleted".into(),
            ));
        }
        if key.state == KeyState::PendingDeletion {
            return Err(KmsFailure::InvalidState(format!(
                "{} is pending deletion.",
                key.arn
            )));
        }
        key.state = KeyState::PendingDeletion;
        key.deletion_date = Some(when);
        Ok(key.arn.clone())
    })?;
    Ok(
        json!({ "KeyId": arn, "DeletionDate": epoch_seconds(when), "KeyState": "PendingDeletion", "PendingWindowInDays": days }),
    )
}

fn cancel_deletion(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key("CancelKeyDeletion", input, ctx)?;
    let arn = with_key(ctx, &id, |key| {
        if key.state != KeyState::PendingDeletion {
            return Err(KmsFailure::InvalidState(format!(
                "{} is not pending deletion.",
                key.arn
            )));
        }
        key.state = KeyState::Disabled;
        key.deletion_date = None;
        Ok(key.arn.clone())
    })?;
    Ok(json!({ "KeyId": arn }))
}

fn enable_rotation(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let days = input.rotation_period_in_days.unwrap_or(365);
    if !(90..=2560).contains(&days) {
        return Err(ApiError::validation(
            "RotationPeriodInDays must be between 90 and 2560",
        ));
    }
    let id = admin_key("EnableKeyRotation", input, ctx)?;
    let (day, now) = (ctx.svc.kms_day(), ctx.now);
    with_key(ctx, &id, |key| {
        if key.state != KeyState::Enabled {
            return Err(KmsFailure::InvalidState(format!(
                "{} is {}.",
                key.arn,
                key.state.name()
            )));
        }
        key.rotation_enabled = true;
        key.rotation_period_days = days as u32;
        key.rotation_period = day * days as u32;
        key.next_rotation = Some(now + key.rotation_period);
        Ok(())
    })?;
    Ok(json!({}))
}

fn disable_rotation(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key("DisableKeyRotation", input, ctx)?;
    with_key(ctx, &id, |key| {
        if key.aws_managed {
            return Err(KmsFailure::Validation(format!(
                "{} is AWS managed: its rotation cannot be turned off",
                key.arn
            )));
        }
        key.rotation_enabled = false;
        key.next_rotation = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// KMS's limit on on-demand rotations of one key.
pub const MAX_ON_DEMAND_ROTATIONS: usize = 10;

fn rotate_on_demand(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key("RotateKeyOnDemand", input, ctx)?;
    let now = ctx.now;
    let arn = with_key(ctx, &id, |key| {
        if key.state != KeyState::Enabled {
            return Err(KmsFailure::InvalidState(format!(
                "{} is {}.",
                key.arn,
                key.state.name()
            )));
        }
        let on_demand = key.rotations.iter().filter(|r| r.1 == "ON_DEMAND").count();
        if on_demand >= MAX_ON_DEMAND_ROTATIONS {
            return Err(KmsFailure::Validation(format!(
                "LimitExceeded: {} has had {MAX_ON_DEMAND_ROTATIONS} on-demand rotations",
                key.arn
            )));
        }
        key.rotations.push((now, "ON_DEMAND"));
        Ok(key.arn.clone())
    })
    .map_err(|e| {
        if e.message.starts_with("LimitExceeded: ") {
            ApiError::new(
                "LimitExceededException",
                e.message.trim_start_matches("LimitExceeded: "),
            )
        } else {
            e
        }
    })?;
    ctx.svc.kms.lock().store.rotate(&id);
    Ok(json!({ "KeyId": arn }))
}

fn list_rotations(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key("ListKeyRotations", input, ctx)?;
    let rotations = with_key(ctx, &id, |key| {
        Ok(key
            .rotations
            .iter()
            .map(|(at, kind)| {
                json!({ "KeyId": key.arn, "RotationDate": epoch_seconds(*at), "RotationType": kind })
            })
            .collect::<Vec<_>>())
    })?;
    Ok(json!({ "Rotations": rotations, "Truncated": false }))
}

fn rotation_status(input: &KeyIn, ctx: &Ctx<'_>) -> OpResult {
    let id = admin_key("GetKeyRotationStatus", input, ctx)?;
    let (enabled, days, arn) = with_key(ctx, &id, |key| {
        Ok((
            key.rotation_enabled,
            key.rotation_period_days,
            key.arn.clone(),
        ))
    })?;
    let next = with_key(ctx, &id, |key| Ok(key.next_rotation))?;
    let mut out = json!({ "KeyRotationEnabled": enabled, "KeyId": arn });
    if let Some(at) = next {
        out["NextRotationDate"] = json!(epoch_seconds(at));
    }
    if enabled {
        out["RotationPeriodInDays"] = json!(days);
    }
    Ok(out)
}
