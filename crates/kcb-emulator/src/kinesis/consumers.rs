//! Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer,
//! ListStreamConsumers and DeregisterStreamConsumer, as AWS answers them (API reference).
//!
//! A consumer is `CREATING` for the service's update delay after it is registered, then
//! `ACTIVE`; `DELETING` for the same delay after it is deregistered, then gone. A stream holds at
//! most [`MAX_CONSUMERS`]. Its ARN is the stream's, then `/consumer/<name>:<creation epoch
//! seconds>`. SubscribeToShard is not served yet.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::Stream;
use crate::service::Ctx;
use crate::wire::{self, epoch_seconds, required, ApiError, OpResult};

/// Consumers one stream may have registered at once (facts file, "Enhanced fan-out": 20, 50
/// with On-demand Advantage, which the embedded service does not model).
pub const MAX_CONSUMERS: usize = 20;

/// One registered consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// Its name, unique within the stream.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// When it was registered (the service's clock).
    pub created: Duration,
    /// `CREATING` until then.
    pub active_at: Duration,
    /// Deregistered: `DELETING` until then, then gone.
    pub gone_at: Option<Duration>,
}

impl Consumer {
    /// `CREATING`, `ACTIVE` or `DELETING` at `now`.
    pub fn status(&self, now: Duration) -> &'static str {
        if self.gone_at.is_some() {
            "DELETING"
        } else if now < self.active_at {
            "CREATING"
        } else {
            "ACTIVE"
        }
    }

    fn json(&self, now: Duration) -> Value {
        json!({
            "ConsumerName": self.name,
            "ConsumerARN": self.arn,
            "ConsumerStatus": self.status(now),
            "ConsumerCreationTimestamp": epoch_seconds(self.created),
        })
    }
}

/// Drop the consumers whose deregistration has finished.
pub fn refresh(stream: &mut Stream, now: Duration) {
    stream
        .consumers
        .retain(|c| c.gone_at.is_none_or(|t| now < t));
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ConsumerIn {
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    consumer_name: Option<String>,
    #[serde(rename = "ConsumerARN")]
    consumer_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    #[allow(dead_code)]
    stream_creation_timestamp: Option<f64>,
}

/// Handle one consumer operation (RegisterStreamConsumer, DescribeStreamConsumer,
/// ListStreamConsumers, DeregisterStreamConsumer).
pub fn handle(op: &str, body: &[u8], ctx: &Ctx<'_>) -> OpResult {
    let input: ConsumerIn = wire::parse(body)?;
    match op {
        "RegisterStreamConsumer" => register(&input, ctx),
        "DescribeStreamConsumer" => describe(&input, ctx),
        "ListStreamConsumers" => list(&input, ctx),
        "DeregisterStreamConsumer" => deregister(&input, ctx),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Kinesis_20131202.{op}"),
        )),
    }
}

type Shared = std::sync::Arc<parking_lot::Mutex<Stream>>;

/// The stream `arn` (a stream's ARN, or a consumer's, which begins with it).
fn lookup(arn: &str, ctx: &Ctx<'_>) -> Result<Shared, ApiError> {
    let name = arn
        .rsplit_once(":stream/")
        .map(|(_, n)| n.split('/').next().unwrap_or(n).to_owned())
        .ok_or_else(|| {
            ApiError::new(
                "InvalidArgumentException",
                format!("{arn} is not a stream or consumer ARN"),
            )
        })?;
    ctx.svc.streams.get(&name).ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!(
                "Stream {name} under account {} not found.",
                ctx.svc.account()
            ),
        )
    })
}

/// The stream a request names by `StreamARN`, the caller allowed `action` on it.
fn stream_of(arn: Option<&str>, action: &str, ctx: &Ctx<'_>) -> Result<Shared, ApiError> {
    let arn = required(arn, "streamARN")?;
    lookup(arn, ctx)?;
    ctx.authorize(action, arn)?;
    lookup(arn, ctx)
}

/// The stream and consumer a request names: by `ConsumerARN`, or by `StreamARN` and
/// `ConsumerName` (exactly one of the two ways); the caller allowed `action` on the consumer.
fn find(input: &ConsumerIn, action: &str, ctx: &Ctx<'_>) -> Result<(Shared, String), ApiError> {
    let (stream, arn) = match (&input.consumer_arn, &input.stream_arn, &input.consumer_name) {
        (Some(arn), None, None) => (lookup(arn, ctx).map_err(|_| not_found(arn))?, arn.clone()),
        (None, Some(stream_arn), Some(name)) => {
            let stream = lookup(stream_arn, ctx)?;
            let arn = stream
                .lock()
                .consumers
                .iter()
                .find(|c| &c.name == name)
                .map(|c| c.arn.clone())
                .ok_or_else(|| not_found(&format!("{stream_arn}/consumer/{name}")))?;
            (stream, arn)
        }
        _ => {
            return Err(ApiError::new(
                "InvalidArgumentException",
                "name the consumer by ConsumerARN, or by StreamARN and ConsumerName",
            ))
        }
    };
    ctx.authorize(action, &arn)?;
    Ok((stream, arn))
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        format!("Consumer {what} not found."),
    )
}

fn register(input: &ConsumerIn, ctx: &Ctx<'_>) -> OpResult {
    let name = required(input.consumer_name.clone(), "consumerName")?;
    super::ops::check_name(&name, "consumerName")?;
    let stream = stream_of(
        input.stream_arn.as_deref(),
        "kinesis:RegisterStreamConsumer",
        ctx,
    )?;
    let mut s = stream.lock();
    refresh(&mut s, ctx.now);
    if s.consumers.iter().any(|c| c.name == name) {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!("Consumer {name} under stream {} already exists.", s.arn),
        ));
    }
    if s.consumers.len() >= MAX_CONSUMERS {
        return Err(ApiError::new(
            "LimitExceededException",
            format!(
                "Stream {} already has {MAX_CONSUMERS} registered consumers, the most a stream may have.",
                s.arn
            ),
        ));
    }
    let consumer = Consumer {
        arn: format!("{}/consumer/{name}:{}", s.arn, ctx.now.as_secs()),
        name,
        created: ctx.now,
        active_at: ctx.now + ctx.svc.encryption_update_delay(),
        gone_at: None,
    };
    let out = consumer.json(ctx.now);
    s.consumers.push(consumer);
    Ok(json!({ "Consumer": out }))
}

fn describe(input: &ConsumerIn, ctx: &Ctx<'_>) -> OpResult {
    let (stream, arn) = find(input, "kinesis:DescribeStreamConsumer", ctx)?;
    let mut s = stream.lock();
    refresh(&mut s, ctx.now);
    let c = s
        .consumers
        .iter()
        .find(|c| c.arn == arn)
        .ok_or_else(|| not_found(&arn))?;
    let mut d = c.json(ctx.now);
    d["StreamARN"] = json!(s.arn);
    Ok(json!({ "ConsumerDescription": d }))
}

fn list(input: &ConsumerIn, ctx: &Ctx<'_>) -> OpResult {
    let stream = stream_of(
        input.stream_arn.as_deref(),
        "kinesis:ListStreamConsumers",
        ctx,
    )?;
    let max = input.max_results.unwrap_or(100);
    if !(1..=10_000).contains(&max) {
        return Err(ApiError::new(
            "InvalidArgumentException",
            format!("MaxResults {max} must be between 1 and 10000"),
        ));
    }
    let from = match &input.next_token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::new(
                "ExpiredNextTokenException",
                format!("NextToken {t} is not valid"),
            )
        })?,
    };
    let mut s = stream.lock();
    refresh(&mut s, ctx.now);
    let page: Vec<Value> = s
        .consumers
        .iter()
        .skip(from)
        .take(max as usize)
        .map(|c| c.json(ctx.now))
        .collect();
    let next = from + page.len();
    let mut out = json!({ "Consumers": page });
    if next < s.consumers.len() {
        out["NextToken"] = json!(next.to_string());
    }
    Ok(out)
}

fn deregister(input: &ConsumerIn, ctx: &Ctx<'_>) -> OpResult {
    let (stream, arn) = find(input, "kinesis:DeregisterStreamConsumer", ctx)?;
    let mut s = stream.lock();
    refresh(&mut s, ctx.now);
    let gone = ctx.now + ctx.svc.encryption_update_delay();
    let c = s
        .consumers
        .iter_mut()
        .find(|c| c.arn == arn)
        .ok_or_else(|| not_found(&arn))?;
    c.gone_at.get_or_insert(gone);
    refresh(&mut s, ctx.now);
    Ok(json!({}))
}
