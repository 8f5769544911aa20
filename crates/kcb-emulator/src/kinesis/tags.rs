//! Stream tags, with AWS's limits and errors: AddTagsToStream (at most 10 a call),
//! RemoveTagsFromStream (at most 10 keys a call), ListTagsForStream (pages of at most 50, in key
//! order), and the tags CreateStream takes. A stream holds at most 50 tags; a key is 1 to 128
//! characters, a value 0 to 256; keys starting with `aws:` are reserved.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::service::Ctx;
use crate::wire::{required, ApiError, OpResult};

/// Most tags one stream may carry.
pub const MAX_TAGS_PER_STREAM: usize = 50;
/// Most tags (or keys) one AddTagsToStream (or RemoveTagsFromStream) call may name.
pub const MAX_TAGS_PER_CALL: usize = 10;

/// The input of the three tag operations.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagsIn {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    tag_keys: Option<Vec<String>>,
    exclusive_start_tag_key: Option<String>,
    limit: Option<i64>,
}

/// Checks tags a CreateStream or AddTagsToStream names.
pub fn check(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (k, v) in tags {
        let klen = k.chars().count();
        if !(1..=128).contains(&klen) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{k}' at 'tags' failed to satisfy constraint: Map keys must have length between 1 and 128"
            )));
        }
        if v.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "1 validation error detected: the value of tag '{k}' failed to satisfy constraint: Member must have length less than or equal to 256"
            )));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::new(
                "InvalidArgumentException",
                format!("Tag key '{k}' uses the reserved prefix aws:"),
            ));
        }
    }
    Ok(())
}

fn too_many(name: &str) -> ApiError {
    ApiError::new(
        "InvalidArgumentException",
        format!("Failed to add tags to stream {name} because a given stream cannot have more than {MAX_TAGS_PER_STREAM} tags."),
    )
}

/// Adds `new` to `current` (existing keys take the new values), within the per-stream limit.
pub fn merge(
    name: &str,
    current: &mut BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    check(new)?;
    let added = new.keys().filter(|k| !current.contains_key(*k)).count();
    if current.len() + added > MAX_TAGS_PER_STREAM {
        return Err(too_many(name));
    }
    current.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(())
}

/// AddTagsToStream.
pub(super) fn add(input: &TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "AddTagsToStream",
    )?;
    let tags = required(input.tags.clone(), "tags")?;
    if tags.is_empty() || tags.len() > MAX_TAGS_PER_CALL {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length between 1 and {MAX_TAGS_PER_CALL}"
        )));
    }
    let mut s = stream.lock();
    let name = s.name.clone();
    merge(&name, &mut s.tags, &tags)?;
    Ok(json!({}))
}

/// RemoveTagsFromStream.
pub(super) fn remove(input: &TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "RemoveTagsFromStream",
    )?;
    let keys = required(input.tag_keys.clone(), "tagKeys")?;
    if keys.is_empty() || keys.len() > MAX_TAGS_PER_CALL {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and {MAX_TAGS_PER_CALL}"
        )));
    }
    let mut s = stream.lock();
    for k in keys {
        s.tags.remove(&k);
    }
    Ok(json!({}))
}

/// ListTagsForStream.
pub(super) fn list(input: &TagsIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = ctx.stream(
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        "ListTagsForStream",
    )?;
    let limit = match input.limit {
        None => MAX_TAGS_PER_STREAM,
        Some(n) if (1..=MAX_TAGS_PER_STREAM as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MAX_TAGS_PER_STREAM}"
            )))
        }
    };
    let s = stream.lock();
    let after: Vec<(&String, &String)> = s
        .tags
        .iter()
        .filter(|(k, _)| {
            input
                .exclusive_start_tag_key
                .as_ref()
                .is_none_or(|start| k.as_str() > start.as_str())
        })
        .collect();
    let page: Vec<Value> = after
        .iter()
        .take(limit)
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": page, "HasMoreTags": after.len() > limit}))
}
