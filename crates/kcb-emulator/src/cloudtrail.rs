//! CloudTrail's event history, as far as a run reads it: `LookupEvents` answered from the
//! service's own KMS log, each call an event in CloudTrail's JSON (`CloudTrailEvent`) with the
//! caller's ARN, the service that called for it (`invokedBy`), the key and the encryption
//! context. As on AWS, an event is returned only once it is delivered (`cloudtrail_delay` after
//! the call), at most 50 a page, newest first, and lookups are limited to 2 a second.

use std::time::{Duration, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::kms::KmsCallEvent;
use crate::service::Ctx;
use crate::wire::{self, ApiError, OpResult};

/// LookupEvents requests a second an account may make in a Region (CloudTrail API reference).
pub const LOOKUPS_PER_SEC: f64 = 2.0;
/// Events in one page, at most (and by default).
pub const MAX_RESULTS: usize = 50;
/// The event source of every event this history holds.
pub const KMS_SOURCE: &str = "kms.amazonaws.com";

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct LookupIn {
    lookup_attributes: Option<Vec<AttributeIn>>,
    start_time: Option<f64>,
    end_time: Option<f64>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeIn {
    attribute_key: String,
    attribute_value: String,
}

/// Dispatch `CloudTrail_20131101.<op>`.
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    match op {
        "LookupEvents" => lookup_events(&wire::parse(body)?, ctx),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("the embedded service answers CloudTrail's LookupEvents only, not {op}"),
        )),
    }
}

fn lookup_events(input: &LookupIn, ctx: &Ctx<'_>) -> OpResult {
    if !ctx.allowed("cloudtrail:LookupEvents", "*") {
        return Err(ApiError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: cloudtrail:LookupEvents",
                ctx.principal
            ),
        ));
    }
    if !ctx.svc.cloudtrail_quota.lock().try_take(1.0, ctx.now) {
        return Err(ApiError::new("ThrottlingException", "Rate exceeded"));
    }
    let attributes = input.lookup_attributes.as_deref().unwrap_or_default();
    if attributes.len() > 1 {
        return Err(ApiError::new(
            "InvalidLookupAttributesException",
            "you can specify at most one lookup attribute",
        ));
    }
    let matches = |e: &KmsCallEvent| match attributes.first() {
        None => true,
        Some(a) => match a.attribute_key.as_str() {
            "EventSource" => a.attribute_value == KMS_SOURCE,
            "EventName" => a.attribute_value == e.op,
            "Username" => a.attribute_value == username(e),
            _ => false,
        },
    };
    if let Some(a) = attributes.first() {
        if !["EventSource", "EventName", "Username"].contains(&a.attribute_key.as_str()) {
            return Err(ApiError::new(
                "InvalidLookupAttributesException",
                format!(
                    "the embedded service looks events up by EventSource, EventName or Username, not {}",
                    a.attribute_key
                ),
            ));
        }
    }
    let page = match input.max_results {
        None => MAX_RESULTS,
        Some(n) if (1..=MAX_RESULTS as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::new(
                "InvalidMaxResultsException",
                format!("MaxResults must be between 1 and {MAX_RESULTS} (got {n})"),
            ))
        }
    };
    let seconds = |t: f64| Duration::from_secs_f64(t.max(0.0));
    let (from, to) = (input.start_time.map(seconds), input.end_time.map(seconds));
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::new(
                "InvalidTimeRangeException",
                "StartTime must be before EndTime",
            ));
        }
    }
    let skip = match &input.next_token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::new(
                "InvalidNextTokenException",
                format!("invalid NextToken {t:?}"),
            )
        })?,
    };
    let delivered_by = ctx
        .now
        .saturating_sub(ctx.svc.config.read().cloudtrail_delay);
    let kms = ctx.svc.kms.lock();
    // CloudTrail's times are whole seconds.
    let when = |e: &KmsCallEvent| Duration::from_secs(e.at.as_secs());
    let found: Vec<(usize, &KmsCallEvent)> = kms
        .calls()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at <= delivered_by)
        .filter(|(_, e)| from.is_none_or(|f| when(e) >= f) && to.is_none_or(|t| when(e) <= t))
        .filter(|(_, e)| matches(e))
        .collect();
    let account = ctx.svc.account();
    let region = ctx.svc.region();
    let events: Vec<Value> = found
        .iter()
        .rev()
        .skip(skip)
        .take(page)
        .map(|(i, e)| event(*i, e, account, region))
        .collect();
    let mut out = json!({ "Events": events });
    if skip + page < found.len() {
        out["NextToken"] = json!((skip + page).to_string());
    }
    Ok(out)
}

/// The service that called KMS for the caller, from the resource the call was made for.
fn invoked_by(e: &KmsCallEvent) -> Option<String> {
    if e.principal.ends_with(".amazonaws.com") {
        return Some(e.principal.clone());
    }
    let via = e.via_stream.as_deref()?;
    let service = via.strip_prefix("arn:aws:")?.split(':').next()?;
    Some(format!("{service}.amazonaws.com"))
}

/// The user's name, or the role session's, as the event history's `Username` gives it.
fn username(e: &KmsCallEvent) -> &str {
    e.arn
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(&e.principal)
}

/// One call as CloudTrail's event history lists it, `CloudTrailEvent` its record's JSON.
fn event(index: usize, e: &KmsCallEvent, account: &str, region: &str) -> Value {
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        index >> 32,
        index & 0xffff_ffff
    );
    let seconds = e.at.as_secs();
    let time = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds));
    let by = invoked_by(e);
    let identity = match (&by, e.arn.is_empty()) {
        (Some(service), true) => json!({ "type": "AWSService", "invokedBy": service }),
        _ => {
            let kind = if e.arn.contains(":assumed-role/") {
                "AssumedRole"
            } else {
                "IAMUser"
            };
            let mut u = json!({ "type": kind, "arn": e.arn, "accountId": account });
            if let Some(service) = &by {
                u["invokedBy"] = json!(service);
            }
            u
        }
    };
    let key_arn = if e.key_id.is_empty() || e.key_id.starts_with("arn:") {
        e.key_id.clone()
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{}", e.key_id)
    };
    let mut parameters = json!({ "keyId": key_arn });
    if !e.encryption_context.is_empty() {
        parameters["encryptionContext"] = json!(e.encryption_context);
    }
    let mut record = json!({
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": time.to_string(),
        "eventSource": KMS_SOURCE,
        "eventName": e.op,
        "awsRegion": region,
        "sourceIPAddress": by.clone().unwrap_or_else(|| "127.0.0.1".into()),
        "requestParameters": parameters,
        "responseElements": Value::Null,
        "eventID": id,
        "readOnly": e.op == "Decrypt" || e.op.starts_with("Describe") || e.op.starts_with("List") || e.op.starts_with("Get"),
        "resources": [{ "accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn }],
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
    });
    if !e.ok {
        // The service's log keeps whether a call succeeded, not why it failed.
        record["errorCode"] = json!("Failed");
    }
    json!({
        "EventId": id,
        "EventName": e.op,
        "ReadOnly": record["readOnly"].to_string(),
        "EventTime": seconds,
        "EventSource": KMS_SOURCE,
        "Username": username(e),
        "Resources": [{ "ResourceType": "AWS::KMS::Key", "ResourceName": key_arn }],
        "CloudTrailEvent": record.to_string(),
    })
}
