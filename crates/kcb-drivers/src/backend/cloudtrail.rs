//! CloudTrail in the harness's types: the KMS calls of a time span as AWS logged them
//! (`LookupEvents`, EventSource `kms.amazonaws.com`, paged, within CloudTrail's 2 requests a
//! second). The only file that names CloudTrail SDK types.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;
use serde_json::Value;

use super::error::BackendError;

/// The event source of KMS's events.
pub const KMS_EVENT_SOURCE: &str = "kms.amazonaws.com";
/// The least time between two lookups: CloudTrail answers 2 a second per account and Region.
pub const LOOKUP_SPACING: Duration = Duration::from_millis(500);
/// Lookups refused with ThrottlingException that are tried again, each after twice the wait.
const THROTTLED_TRIES: u32 = 5;

/// One KMS call as CloudTrail logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvent {
    /// CloudTrail's id of the event.
    pub id: String,
    /// The operation (`GenerateDataKey`, `Decrypt`, ...).
    pub op: String,
    /// When, since the Unix epoch (CloudTrail's times are whole seconds).
    pub at: Duration,
    /// The caller's ARN (`userIdentity.arn`: a user or a role session); empty for a service
    /// acting on its own.
    pub caller_arn: String,
    /// The service that called KMS for the caller (`userIdentity.invokedBy`), if one did.
    pub invoked_by: Option<String>,
    /// The key's ARN (or id, as logged).
    pub key: String,
    /// The request's encryption context.
    pub context: BTreeMap<String, String>,
    /// `errorCode`, when the call failed.
    pub error: Option<String>,
}

/// CloudTrail for one principal.
#[derive(Debug, Clone)]
pub struct CloudTrailApi {
    client: aws_sdk_cloudtrail::Client,
}

impl CloudTrailApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_cloudtrail::Client) -> Self {
        Self { client }
    }

    /// Every KMS event CloudTrail holds from `from` to `to` (inclusive, whole seconds), every
    /// page, lookups at least [`LOOKUP_SPACING`] apart; a throttled lookup is tried again.
    /// Also returns the lookups made. Paging stops at `until` (50 events a lookup, 2 lookups a
    /// second: 100 events a second at most), with `TooManyEvents`.
    pub async fn kms_events(
        &self,
        (from, to): (SystemTime, SystemTime),
        until: std::time::Instant,
    ) -> Result<(Vec<TrailEvent>, u32), BackendError> {
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventSource)
            .attribute_value(KMS_EVENT_SOURCE)
            .build()
            .map_err(|e| BackendError::new("LookupEvents", "ConstructionFailure", e.to_string()))?;
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        let mut lookups = 0u32;
        loop {
            let mut wait = LOOKUP_SPACING;
            let page = loop {
                if lookups > 0 {
                    tokio::time::sleep(wait).await;
                }
                lookups += 1;
                let sent = self
                    .client
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(DateTime::from(from))
                    .end_time(DateTime::from(to))
                    .max_results(50)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| BackendError::from_sdk("LookupEvents", e));
                match sent {
                    Err(e)
                        if e.code == "ThrottlingException"
                            && wait < LOOKUP_SPACING * (1 << THROTTLED_TRIES) =>
                    {
                        wait *= 2;
                    }
                    other => break other?,
                }
            };
            for e in page.events() {
                events.push(parse(
                    e.event_id().unwrap_or_default(),
                    e.event_name().unwrap_or_default(),
                    e.event_time().map_or(0, |t| t.secs().max(0) as u64),
                    e.cloud_trail_event().unwrap_or("{}"),
                ));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok((events, lookups));
            }
            if std::time::Instant::now() >= until {
                return Err(BackendError::new(
                    "LookupEvents",
                    "TooManyEvents",
                    format!(
                        "{} KMS events read in {lookups} lookups and more left when the wait ended (CloudTrail gives 100 a second at most)",
                        events.len()
                    ),
                ));
            }
        }
    }
}

/// An event from its listing and its record's JSON (`CloudTrailEvent`).
fn parse(id: &str, op: &str, secs: u64, record: &str) -> TrailEvent {
    let json: Value = serde_json::from_str(record).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let identity = &json["userIdentity"];
    let parameters = &json["requestParameters"];
    let key = json["resources"]
        .as_array()
        .and_then(|r| r.iter().find_map(|r| text(&r["ARN"])))
        .or_else(|| text(&parameters["keyId"]))
        .unwrap_or_default();
    let context = parameters["encryptionContext"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    TrailEvent {
        id: id.to_owned(),
        op: op.to_owned(),
        at: Duration::from_secs(secs),
        caller_arn: text(&identity["arn"]).unwrap_or_default(),
        invoked_by: text(&identity["invokedBy"]),
        key,
        context,
        error: text(&json["errorCode"]),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn an_event_names_its_caller_service_key_and_context() {
        let record = r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/producer/s-1","invokedBy":"kinesis.amazonaws.com"},
            "eventName":"GenerateDataKey","requestParameters":{"keyId":"alias/x","encryptionContext":{"aws:kinesis:arn":"arn:aws:kinesis:us-east-1:111122223333:stream/s"}},
            "resources":[{"type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/k-1"}]}"#;
        let e = parse("id-1", "GenerateDataKey", 1_700_000_000, record);
        assert_eq!(
            e.caller_arn,
            "arn:aws:sts::111122223333:assumed-role/producer/s-1"
        );
        assert_eq!(e.invoked_by.as_deref(), Some("kinesis.amazonaws.com"));
        assert_eq!(e.key, "arn:aws:kms:us-east-1:111122223333:key/k-1");
        assert_eq!(
            e.context["aws:kinesis:arn"],
            "arn:aws:kinesis:us-east-1:111122223333:stream/s"
        );
        assert_eq!(e.at.as_secs(), 1_700_000_000);
        assert_eq!(e.error, None);
        // A record that is not JSON keeps what the listing says.
        let bare = parse("id-2", "Decrypt", 5, "not json");
        assert_eq!((bare.op.as_str(), bare.key.as_str()), ("Decrypt", ""));
    }
}
