//! Reading results written by earlier builds: each older `schema_version` is rewritten, as
//! JSON, into the current model before it is parsed. Version 2 wrote a path's settings as the
//! scenario echoed them (durations as text such as "5m", the cipher as "aes256-gcm"); version 3
//! writes them typed, durations in seconds. Version 2 priced KMS requests only, from the rate
//! over the whole run (warm-up included); version 3 adds the key-months, the warm-up's calls
//! apart and the basis of the rate: a version 2 file gets its key-months from its settings and
//! a basis that says where its figures came from. Version 4 adds the envelope path's record
//! format (the ESDK's message or the compact one); every earlier envelope path was compact.
//! Version 5 adds the target (account, region, each role's identity); an earlier file gets the
//! harness's named principals at its endpoint, identities unknown. Version 6 names the AEAD's
//! implementation: earlier builds sealed the compact format with RustCrypto and the ESDK's with
//! aws-lc-rs. Version 7 adds the `firehose` path kind and each path's `firehose` section (null
//! on every earlier path). Version 8 adds what `[tenants]` runs write: a path's `tenant` and the
//! run's `tenants` (null earlier), a fault's `tenants` and `blast_radius` (empty earlier).

use serde_json::{Map, Value};

/// The oldest version this build reads.
pub const OLDEST_READABLE: u64 = 2;

/// Rewrite `value`, a result of `version`, into the current version's shape.
pub fn upgrade(value: &mut Value, version: u64) -> Result<(), String> {
    if version == 2 {
        from_v2(value)?;
        if let Some(obj) = value.as_object_mut() {
            obj.entry("noise_floor_us").or_insert(Value::Null);
        }
    }
    if version <= 3 {
        from_v3(value);
        if let Some(obj) = value.as_object_mut() {
            obj.entry("interrupted").or_insert(Value::Bool(false));
        }
        if let Some(paths) = value.get_mut("paths").and_then(Value::as_array_mut) {
            for p in paths.iter_mut().filter_map(Value::as_object_mut) {
                p.entry("resources").or_insert(serde_json::json!({
                    "stream": null, "stream_arn": null, "key_arn": null,
                    "key_alias": null, "key_created": false
                }));
            }
        }
    }
    if version <= 4 {
        if let Some(paths) = value.get_mut("paths").and_then(Value::as_array_mut) {
            for r in paths
                .iter_mut()
                .filter_map(|p| p.get_mut("resources"))
                .filter_map(Value::as_object_mut)
            {
                // Every earlier run created its streams.
                r.entry("stream_created").or_insert(Value::Bool(true));
            }
        }
        let endpoint = value["endpoint"].as_str().unwrap_or("embedded").to_owned();
        if let Some(obj) = value.as_object_mut() {
            let target = super::TargetResult::unknown(&endpoint);
            obj.entry("target")
                .or_insert(serde_json::to_value(target).map_err(|e| e.to_string())?);
        }
    }
    if version <= 5 {
        for s in value
            .get_mut("paths")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get_mut("settings"))
            .filter_map(Value::as_object_mut)
            .filter(|s| s.get("kind").and_then(Value::as_str) == Some("envelope"))
        {
            let backend = match s.get("format").and_then(Value::as_str) {
                Some("esdk") => "aws-lc-rs",
                _ => "rustcrypto",
            };
            s.entry("aead_backend").or_insert(Value::from(backend));
        }
    }
    if version <= 6 {
        // Version 7 adds Firehose paths; no earlier path was one.
        for p in paths(value) {
            p.entry("firehose").or_insert(Value::Null);
        }
    }
    if version <= 8 {
        // Version 9 adds what runs split across machines write; nothing earlier was one.
        if let Some(obj) = value.as_object_mut() {
            obj.entry("worker").or_insert(Value::Null);
            obj.entry("workers").or_insert(Value::Null);
        }
    }
    if version <= 9 {
        // Version 10 says who counted a path's KMS calls: the service's log where there was
        // one, else the client.
        for k in value
            .get_mut("paths")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get_mut("kms_calls"))
            .filter_map(Value::as_object_mut)
        {
            let by = if k.get("service").is_some_and(|s| !s.is_null()) {
                "service"
            } else {
                "client"
            };
            k.entry("counted_by").or_insert(Value::from(by));
            k.entry("not_counted").or_insert(Value::Null);
            k.entry("cache_concurrent_misses").or_insert(Value::Null);
        }
        // Every earlier data-key cache was single-flight.
        for c in value
            .get_mut("paths")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|p| p.pointer_mut("/settings/cache"))
            .filter_map(Value::as_object_mut)
        {
            c.entry("single_flight").or_insert(Value::Bool(true));
        }
    }
    if version <= 11 {
        // Version 12 bills each path; nothing earlier did.
        null_in_run_and_paths(value, "bill", "bill");
        for p in paths(value) {
            p.entry("put_sizes").or_insert(Value::Null);
        }
    }
    if version <= 10 {
        // Version 11 judges the generator's schedule; nothing earlier did.
        null_in_run_and_paths(value, "generator", "generator");
    }
    if version <= 7 {
        // Version 8 adds what [tenants] runs write; nothing earlier had tenants.
        null_in_run_and_paths(value, "tenants", "tenant");
        for f in value
            .get_mut("faults")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            f.entry("tenants").or_insert(Value::Array(Vec::new()));
            f.entry("blast_radius").or_insert(Value::Array(Vec::new()));
        }
    }
    if let Some(v) = value.get_mut("schema_version") {
        *v = Value::from(super::SCHEMA_VERSION);
    }
    Ok(())
}

/// A null `run_key` on the run and `path_key` on each path, where absent: a section an older
/// version never wrote.
fn null_in_run_and_paths(value: &mut Value, run_key: &str, path_key: &str) {
    if let Some(obj) = value.as_object_mut() {
        obj.entry(run_key).or_insert(Value::Null);
    }
    for p in paths(value) {
        p.entry(path_key).or_insert(Value::Null);
    }
}

/// Each path's object in a result.
fn paths(value: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    value
        .get_mut("paths")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn from_v2(value: &mut Value) -> Result<(), String> {
    let plain_p999 = value
        .get("paths")
        .and_then(Value::as_array)
        .and_then(|ps| ps.iter().find(|p| p["kind"] == "plaintext"))
        .and_then(|p| p["put_latency_us"]["p999"].as_i64());
    let Some(paths) = value.get_mut("paths").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (i, path) in paths.iter_mut().enumerate() {
        let p999 = path["put_latency_us"]["p999"].as_i64();
        if let Some(o) = path
            .get_mut("overhead_vs_plaintext_us")
            .and_then(Value::as_object_mut)
        {
            // Version 2 gave p50 and p99 only, without intervals.
            let over = match (p999, plain_p999) {
                (Some(a), Some(b)) => a - b,
                _ => 0,
            };
            o.entry("p999").or_insert(Value::from(over));
            for ci in ["p50_ci", "p99_ci", "p999_ci"] {
                o.entry(ci).or_insert(Value::Null);
            }
        }
        let Some(settings) = path.get_mut("settings").and_then(Value::as_object_mut) else {
            continue;
        };
        settings_from_v2(settings).map_err(|e| format!("paths[{i}].settings: {e}"))?;
        if let Some(p) = path.as_object_mut() {
            // Version 2 did not time GetRecords calls.
            let zero = serde_json::json!({"p50": 0, "p90": 0, "p99": 0, "p999": 0, "max": 0, "count": 0, "mean": 0.0});
            p.entry("get_latency_us").or_insert(zero);
            p.entry("get_overhead_vs_plaintext_us")
                .or_insert(Value::Null);
        }
        if let Some(c) = path.get_mut("crypto").and_then(Value::as_object_mut) {
            // Version 2 timed crypto by wall time and counted no records; no calibration.
            c.entry("seal_records").or_insert(Value::from(0));
            c.entry("open_records").or_insert(Value::from(0));
            c.entry("calibration").or_insert(Value::Array(Vec::new()));
        }
        let keys = customer_managed_keys(path.get("settings"));
        if let Some(kms) = path.get_mut("kms_calls").and_then(Value::as_object_mut) {
            kms_calls_from_v2(kms, keys);
        }
    }
    Ok(())
}

/// Version 3 had one envelope format, the compact one (version 4 adds the ESDK's).
fn from_v3(value: &mut Value) {
    let Some(paths) = value.get_mut("paths").and_then(Value::as_array_mut) else {
        return;
    };
    for path in paths {
        let Some(s) = path.get_mut("settings").and_then(Value::as_object_mut) else {
            continue;
        };
        if s.get("kind").and_then(Value::as_str) == Some("envelope") {
            s.entry("format").or_insert(Value::from("compact"));
            for key in ["suite", "suite_id", "frame_length"] {
                s.entry(key).or_insert(Value::Null);
            }
        }
    }
}

/// The customer-managed keys a (version 3) settings object needs.
fn customer_managed_keys(settings: Option<&Value>) -> u32 {
    match (
        settings.and_then(|s| s.get("kind")).and_then(Value::as_str),
        settings.and_then(|s| s.get("key")).and_then(Value::as_str),
    ) {
        (Some("envelope"), _) => 1,
        (Some("sse-kms"), Some("aws-managed")) => 0,
        (Some("sse-kms"), _) => 1,
        _ => 0,
    }
}

const V2_BASIS: &str = "version 2 result: the rate over the whole run, warm-up included";

fn kms_calls_from_v2(k: &mut Map<String, Value>, keys: u32) {
    for nested in ["client", "service"] {
        if let Some(c) = k.get_mut(nested).and_then(Value::as_object_mut) {
            c.entry("warmup_calls").or_insert(Value::from(0));
            c.entry("warmup_by_operation")
                .or_insert(Value::Object(Map::new()));
            let max = c.get("max_per_window").cloned().unwrap_or(Value::from(0));
            c.entry("calls_per_window").or_insert(max);
            c.entry("cost_basis").or_insert(Value::from(V2_BASIS));
        }
    }
    let counted = match k.get("service") {
        Some(Value::Object(s)) => s.get("monthly_requests").cloned(),
        _ => k
            .get("client")
            .and_then(|c| c.get("monthly_requests"))
            .cloned(),
    };
    let requests_usd = k
        .get("monthly_cost_usd")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let key_usd = f64::from(keys) * crate::metrics::KMS_USD_PER_KEY_MONTH;
    k.insert("warmup_calls".into(), Value::from(0));
    k.insert("warmup_by_operation".into(), Value::Object(Map::new()));
    // Version 2's gate compared the busiest window.
    let max = k.get("max_per_window").cloned().unwrap_or(Value::from(0));
    k.insert("calls_per_window".into(), max);
    k.insert("cost_basis".into(), Value::from(V2_BASIS));
    k.insert(
        "monthly_requests".into(),
        counted.unwrap_or(Value::from(0.0)),
    );
    k.insert(
        "request_cost_usd_per_month".into(),
        Value::from(requests_usd),
    );
    k.insert("customer_managed_keys".into(), Value::from(keys));
    k.insert("key_cost_usd_per_month".into(), Value::from(key_usd));
    k.insert(
        "monthly_cost_usd".into(),
        Value::from(requests_usd + key_usd),
    );
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
    fn version_5_envelope_paths_name_the_backend_they_used() {
        let mut v = json!({"schema_version": 5, "paths": [
            {"settings": {"kind": "envelope", "format": "esdk"}},
            {"settings": {"kind": "envelope", "format": "compact"}},
            {"settings": {"kind": "sse-kms"}},
        ]});
        assert_eq!(upgrade(&mut v, 5), Ok(()));
        assert_eq!(
            v["paths"][0]["settings"]["aead_backend"],
            json!("aws-lc-rs")
        );
        assert_eq!(
            v["paths"][1]["settings"]["aead_backend"],
            json!("rustcrypto")
        );
        assert_eq!(v["paths"][2]["settings"].get("aead_backend"), None);
    }

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
        assert_eq!(v["paths"][1]["settings"]["format"], json!("compact"));
        assert_eq!(v["paths"][1]["settings"]["frame_length"], json!(null));
        assert_eq!(
            v["paths"][1]["settings"]["aead_backend"],
            json!("rustcrypto")
        );
        assert_eq!(v["paths"][0]["settings"].get("format"), None);
        assert_eq!(v["paths"][0]["settings"].get("aead_backend"), None);
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
