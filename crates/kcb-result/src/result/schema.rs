//! The committed schema of `result.json` (`schema/result.schema.json`), generated from the
//! types with `schemars`: the test `the_committed_schema_is_the_generated_one` fails when they
//! differ, and `cargo run -p kcb-result --example schema > crates/kcb-result/schema/result.schema.json`
//! writes it again.
//!
//! Beyond what the derive gives, every property of every object is required and no other is
//! allowed (this build writes
//! every field, null when it has no value; an older result missing some is read by
//! `RunResult::read`, which rewrites it into the current shape, not by the schema), and
//! `schema_version` is the one this build writes.

use serde_json::{json, Value};

use super::{RunResult, SCHEMA_VERSION};

/// What each version of the format added (the schema's description of `schema_version`).
const VERSIONS: &str = "Version of this format. 
/// 10: a path's `kms_calls` say who counted them (`counted_by`: \"service\", the embedded service's log; \"cloudtrail\", AWS's; \"client\", the harness's own KMS client) and, when a service made calls for the path that could not be counted, why (`not_counted`); an envelope path's data-key cache says whether it is `single_flight` (every earlier one was) and its `kms_calls.cache_concurrent_misses` (misses that met a KMS call in flight). 9: a worker of a run split across machines (`run --worker I/N`) writes its `worker` (share, run tag, common start, start lag, clock offset from the endpoint, whether it provisioned and carried out the faults), and a merged result (`merge`) its `workers` (both null otherwise). 8: with [tenants], a path names its `tenant`, the run has `tenants` (each path's tenants side by side) and a fault its `tenants` and `blast_radius` (all absent without tenants). 7: a path may be of kind \"firehose\" (its settings: the delivery stream's `key`, `destination_sse`, buffering hints), and each path has a `firehose` section (null for the other kinds). 6: an envelope path's settings name the AEAD's implementation (`aead_backend`, \"aws-lc-rs\" or \"rustcrypto\"). 5: `target` says where the run went (kind, region, endpoint, account) and who each role was (from STS GetCallerIdentity), and whether the roles were separated; a path's `resources` say whether the run created its stream (`stream_created`). 4: an envelope path's settings name its record `format` (\"esdk\" or \"compact\") and, for the ESDK's, its `suite`, `suite_id` and `frame_length`; each path names its `resources`; `interrupted` says the run was stopped early. 3: a path's `settings` are typed (durations in seconds: `cache.max_age_secs`, `reuse_period_secs`; the cipher as the scenario writes it, \"aes-256-gcm\"). 2 added `faults` and each path's `timeline`. This build reads versions 2 to 10 (an older file is rewritten into version 10's shape as it is read; an earlier compact path used RustCrypto, an earlier ESDK path aws-lc-rs).";

/// The JSON schema of the results this build writes.
pub fn generate() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let root = generator.into_root_schema_for::<RunResult>();
    let mut v = serde_json::to_value(root).unwrap_or(Value::Null);
    require_every_property(&mut v);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("$id".into(), json!("urn:kinesis-crypto-bench:result:v1"));
        obj.insert(
            "title".into(),
            json!(format!(
                "kinesis-crypto-bench RunResult, schema_version {SCHEMA_VERSION}"
            )),
        );
        obj.insert(
            "description".into(),
            json!("The result of one kinesis-crypto-bench run (result.json)."),
        );
    }
    if let Some(p) = v.pointer_mut("/properties/schema_version") {
        *p = json!({
            "type": "integer",
            "const": SCHEMA_VERSION,
            "description": format!("Version of this format. {VERSIONS}"),
        });
    }
    sorted(v)
}

/// Keys in order at every level, whatever map `serde_json` was built with (a crate elsewhere in
/// the build may turn on its `preserve_order`), so the text does not depend on the build.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(obj) => {
            let mut entries: Vec<(String, Value)> = obj.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The schema as committed: pretty-printed, one newline at the end.
pub fn generate_text() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).unwrap_or_default();
    text.push('\n');
    text
}

/// Every object's properties required and no others allowed, and descriptions as paragraphs (the doc comments' line
/// breaks are the source's wrapping, not the text's).
fn require_every_property(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            if let Some(Value::String(d)) = obj.get_mut("description") {
                *d = d
                    .split("\n\n")
                    .map(|para| para.split('\n').collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            if let Some(Value::Object(props)) = obj.get("properties") {
                let all: Vec<Value> = props.keys().map(|k| json!(k)).collect();
                obj.insert("required".into(), Value::Array(all));
                // Closed, as `deny_unknown_fields` closes the rest (a unit variant of a tagged
                // enum has no such attribute).
                obj.entry("additionalProperties")
                    .or_insert(Value::Bool(false));
            }
            obj.values_mut().for_each(require_every_property);
        }
        Value::Array(items) => items.iter_mut().for_each(require_every_property),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_schema_is_the_generated_one() {
        let committed = include_str!("../../schema/result.schema.json");
        let generated = super::generate_text();
        assert!(
            committed == generated,
            "schema/result.schema.json differs from the types: write it again with `cargo run -p kcb-result --example schema > crates/kcb-result/schema/result.schema.json` (and raise SCHEMA_VERSION if a field changed)"
        );
    }
}
