//! Reading results written by earlier builds: each older `schema_version` is rewritten, as
//! JSON, into the current model before it is parsed. Version 2 wrote a path's settings as the
//! scenario echoed them (durations as text such as "5m", the cipher as "aes256-gcm"); version 3
//! writes them typed, durations in seconds.

use serde_json::{Map, Value};

/// The oldest version this build reads.
pub const OLDEST_READABLE: u64 = 2;

/// Rewrite `value`, a result of `version`, into the current version's shape.
pub fn upgrade(value: &mut Value, version: u64) -> Result<(), String> {
    if version == 2 {
        from_v2(value)?;
    }
    if let Some(v) = value.get_mut("schema_version") {
        *v = Value::from(super::SCHEMA_VERSION);
    }
    Ok(())
}

fn from_v2(value: &mut Value) -> Result<(), String> {
    let Some(paths) = value.get_mut("paths").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (i, path) in paths.iter_mut().enumerate() {
        let Some(settings) = path.get_mut("settings").and_then(Value::as_object_mut) else {
            continue;
        };
        settings_from_v2(settings).map_err(|e| format!("paths[{i}].settings: {e}"))?;
    }
    Ok(())
}

fn secs(text: &Value, key: &str) -> Result<Value, String> {
    match text {
        Value::Null => Ok(Value::Null),
        Value::String(s) => humantime::parse_duration(s)
            .map(|d| Value::from(d.as_secs_f64()))
            .map_err(|e| format!("{key} {s:?} is not a duration: {e}")),
        other => Err(format!("{key} is not a duration: {other}")),
    }
}

fn settings_from_v2(s: &mut Map<String, Value>) -> Result<(), String> {
    match s.get("kind").and_then(Value::as_str) {
        Some("envelope") => {
            if s.get("aead").and_then(Value::as_str) == Some("aes256-gcm") {
                s.insert("aead".into(), Value::from("aes-256-gcm"));
            }
            if let Some(cache) = s.get_mut("cache").and_then(Value::as_object_mut) {
                let age = cache.remove("max_age").unwrap_or(Value::Null);
                cache.insert("max_age_secs".into(), secs(&age, "cache.max_age")?);
            }
        }
        Some("sse-kms") => {
            let reuse = s.remove("reuse_period").unwrap_or(Value::Null);
            s.insert("reuse_period_secs".into(), secs(&reuse, "reuse_period")?);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_2_settings_become_typed() {
        let mut v = json!({"schema_version": 2, "paths": [
            {"settings": {"kind": "plaintext"}},
            {"settings": {"kind": "envelope", "aead": "aes256-gcm", "encryption_context": {},
                "cache": {"capacity": 100, "max_age": "5m", "max_bytes": null, "max_messages": 10}}},
            {"settings": {"kind": "sse-kms", "key": "customer-managed", "reuse_period": "1m 30s"}},
        ]});
        assert_eq!(upgrade(&mut v, 2), Ok(()));
        assert_eq!(v["schema_version"], json!(super::super::SCHEMA_VERSION));
        assert_eq!(v["paths"][1]["settings"]["aead"], json!("aes-256-gcm"));
        assert_eq!(
            v["paths"][1]["settings"]["cache"]["max_age_secs"],
            json!(300.0)
        );
        assert_eq!(v["paths"][1]["settings"]["cache"].get("max_age"), None);
        assert_eq!(v["paths"][2]["settings"]["reuse_period_secs"], json!(90.0));
        assert_eq!(v["paths"][2]["settings"].get("reuse_period"), None);
        let mut bad = json!({"paths": [{"settings": {"kind": "sse-kms", "reuse_period": "soon"}}]});
        let e = upgrade(&mut bad, 2).unwrap_err();
        assert!(
            e.starts_with("paths[0].settings: reuse_period \"soon\""),
            "{e}"
        );
    }
}
