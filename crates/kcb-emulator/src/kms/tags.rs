//! KMS key tags (CreateKey's `Tags`, TagResource, UntagResource, ListResourceTags) and
//! DeleteAlias, with KMS's limits: at most 50 tags a key, keys of 1 to 128 characters not
//! starting with `aws:`, values of at most 256; `TagException` otherwise.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::ops::admin_key_of;
use crate::service::Ctx;
use crate::wire::{self, required, ApiError, OpResult};

/// Most tags on one key.
pub const MAX_TAGS: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Tag {
    tag_key: String,
    tag_value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct TagsIn {
    key_id: Option<String>,
    alias_name: Option<String>,
    tags: Option<Vec<Tag>>,
    tag_keys: Option<Vec<String>>,
    #[allow(dead_code)]
    limit: Option<i64>,
    #[allow(dead_code)]
    marker: Option<String>,
}

fn tag_error(message: impl Into<String>) -> ApiError {
    ApiError::new("TagException", message)
}

/// Check `tags` as KMS does, and merge them into `into` (a tag key given again is replaced).
pub(super) fn merge(into: &mut BTreeMap<String, String>, tags: Vec<Tag>) -> Result<(), ApiError> {
    let mut next = into.clone();
    for t in tags {
        if t.tag_key.is_empty() || t.tag_key.chars().count() > 128 {
            return Err(tag_error(format!(
                "tag key {:?} must be 1 to 128 characters",
                t.tag_key
            )));
        }
        if t.tag_key.starts_with("aws:") {
            return Err(tag_error(
                "tag keys starting with aws: are reserved for AWS",
            ));
        }
        if t.tag_value.chars().count() > 256 {
            return Err(tag_error(format!(
                "the value of tag {:?} is longer than 256 characters",
                t.tag_key
            )));
        }
        next.insert(t.tag_key, t.tag_value);
    }
    if next.len() > MAX_TAGS {
        return Err(ApiError::new(
            "LimitExceededException",
            format!("a key has at most {MAX_TAGS} tags"),
        ));
    }
    *into = next;
    Ok(())
}

/// Parse CreateKey's `Tags` member (a list of TagKey/TagValue).
pub(super) fn create_key_tags(body: &[u8]) -> Result<Vec<Tag>, ApiError> {
    let input: TagsIn = wire::parse(body)?;
    Ok(input.tags.unwrap_or_default())
}

/// Handle a tag operation or DeleteAlias; `None` when `op` is none of them.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> Option<OpResult> {
    let run = |f: fn(TagsIn, &Ctx<'_>) -> OpResult| Some(wire::parse(body).and_then(|i| f(i, ctx)));
    match op {
        "TagResource" => run(tag_resource),
        "UntagResource" => run(untag_resource),
        "ListResourceTags" => run(list_tags),
        "DeleteAlias" => run(delete_alias),
        _ => None,
    }
}

fn tag_resource(input: TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let tags = required(input.tags, "tags")?;
    let id = admin_key_of("TagResource", &key_ref, ctx)?;
    let mut kms = ctx.svc.kms.lock();
    let key = kms
        .store
        .key_mut(&id)
        .ok_or_else(|| ApiError::new("NotFoundException", format!("Invalid keyId {key_ref}")))?;
    merge(&mut key.tags, tags)?;
    Ok(json!({}))
}

fn untag_resource(input: TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let keys = required(input.tag_keys, "tagKeys")?;
    let id = admin_key_of("UntagResource", &key_ref, ctx)?;
    let mut kms = ctx.svc.kms.lock();
    if let Some(key) = kms.store.key_mut(&id) {
        for k in keys {
            key.tags.remove(&k);
        }
    }
    Ok(json!({}))
}

fn list_tags(input: TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let key_ref = required(input.key_id, "keyId")?;
    let id = admin_key_of("ListResourceTags", &key_ref, ctx)?;
    let kms = ctx.svc.kms.lock();
    let tags: Vec<Value> = kms
        .store
        .key(&id)
        .map(|k| {
            k.tags
                .iter()
                .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({ "Tags": tags, "Truncated": false }))
}

fn delete_alias(input: TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let alias = required(input.alias_name, "aliasName")?;
    if alias.starts_with("alias/aws/") {
        return Err(ApiError::new(
            "NotAuthorizedException",
            "alias/aws/ is reserved for AWS-managed keys",
        ));
    }
    if !ctx.allowed("kms:DeleteAlias", "*") {
        return Err(ApiError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: kms:DeleteAlias",
                ctx.principal
            ),
        ));
    }
    if ctx.svc.kms.lock().store.delete_alias(&alias) {
        Ok(json!({}))
    } else {
        Err(ApiError::new(
            "NotFoundException",
            format!("Alias {alias} is not found."),
        ))
    }
}
