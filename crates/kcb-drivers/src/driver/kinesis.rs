//! Kinesis Data Streams: a stream per path (on-demand or provisioned with the scenario's
//! shards), its key, SSE-KMS switched on for an sse-kms path, or the existing stream a path
//! names, checked and never changed; producers put with PutRecord(s) and consumers read with
//! GetRecords.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::cleanup::{matches, outcome, Found, Leftovers, Selector};
use super::keys::{existing_key, own_key, run_tags};
use super::CREATED_BY;
use super::{
    poll_ready, Driver, DriverError, Logged, PathCx, Provisioned, Throttling, TransportService,
    Waiting,
};
use crate::backend::sink::kinesis::{KinesisSink, KinesisSource};
use crate::backend::sink::{Sink, Source};
use crate::backend::{BackendError, Principal, StreamInfo};
use crate::scenario::{PathSpec, Protection, SseKey, StreamMode};

/// The key Kinesis encrypts under when an sse-kms path asks for the AWS-managed one.
const AWS_MANAGED: &str = "alias/aws/kinesis";

/// Kinesis Data Streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct KinesisDriver;

/// Whether the path is under a key the run creates (when it names none).
fn creates_key(spec: &PathSpec) -> bool {
    match &spec.protection {
        Protection::Envelope(_) => true,
        Protection::SseKms(sse) => sse.key == SseKey::CustomerManaged,
        Protection::Plaintext | Protection::Firehose(_) => false,
    }
}

fn is_sse(spec: &PathSpec) -> bool {
    matches!(spec.protection, Protection::SseKms(_))
}

#[async_trait]
impl Driver for KinesisDriver {
    fn service(&self) -> &'static str {
        "kinesis"
    }

    fn destination_noun(&self) -> &'static str {
        "stream"
    }

    async fn provision(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
    ) -> Result<Provisioned, BackendError> {
        let (scenario, spec) = (cx.scenario, cx.spec);
        if let (Some(svc), Protection::SseKms(s)) = (cx.embedded, &spec.protection) {
            // The embedded service's data-key reuse window (fixed at 5 minutes on AWS).
            svc.control()
                .set_stream_reuse_period(cx.name, s.reuse_period);
        }
        let p = match &spec.stream {
            Some(existing) => existing_stream(admin, spec, existing).await?,
            None => {
                let stream = cx.name;
                let on_demand = scenario.stream.mode == StreamMode::OnDemand;
                admin
                    .kinesis
                    .create_stream(stream, scenario.stream.shards, on_demand)
                    .await?;
                wait_for(admin, stream, |_| true).await?;
                let tags = run_tags(scenario, spec, stream);
                if let Err(e) = admin.kinesis.add_tags(stream, &tags).await {
                    // Tags find a run's leftovers; an endpoint without them still runs, named
                    // by prefix.
                    tracing::warn!(stream, error = %e, "could not tag the stream");
                }
                let (key, key_created, key_alias) = match &spec.protection {
                    Protection::Plaintext => (None, false, None),
                    _ if creates_key(spec) || spec.key.is_some() => {
                        own_key(admin, cx, stream, &tags).await?
                    }
                    _ => (Some(AWS_MANAGED.to_string()), false, None),
                };
                if let (true, Some(k)) = (is_sse(spec), &key) {
                    admin.kinesis.start_encryption(stream, k).await?;
                    wait_for(admin, stream, |i| i.encryption == "KMS").await?;
                }
                Provisioned {
                    stream: stream.to_string(),
                    key,
                    key_created,
                    key_alias,
                    key_shared: cx.shared.is_some() && key_created,
                    stream_arn: admin.kinesis.describe(stream).await?.arn,
                    stream_created: true,
                    destination: None,
                }
            }
        };
        if let (Some(svc), Some(r)) = (cx.embedded, scenario.stream.retention) {
            svc.control().set_retention(&p.stream, r);
        }
        Ok(p)
    }

    async fn await_ready(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
        waiting: &Waiting,
    ) -> Result<Provisioned, DriverError> {
        let spec = cx.spec;
        if let Some(existing) = &spec.stream {
            // An existing stream the scenario names: checked, as on one machine.
            return Ok(existing_stream(admin, spec, existing).await?);
        }
        let stream = cx.name;
        let sse = is_sse(spec);
        let info = loop {
            match admin.kinesis.describe(stream).await {
                Ok(i) if i.status == "ACTIVE" && (!sse || i.encryption == "KMS") => break i,
                Ok(_) | Err(_) if waiting.more() => waiting.pause().await,
                Ok(i) => {
                    return Err(waiting.not_ready(
                        &format!("stream {stream}"),
                        &format!("{} (encryption {})", i.status, i.encryption),
                    ))
                }
                Err(e) => return Err(waiting.absent(&format!("stream {stream}"), e)),
            }
        };
        let key = match (&spec.protection, &spec.key, cx.shared) {
            (Protection::Plaintext | Protection::Firehose(_), _, _) => None,
            (_, Some(named), _) => Some(existing_key(&admin.kms, named).await?),
            (Protection::SseKms(s), None, _) if s.key != SseKey::CustomerManaged => {
                Some(AWS_MANAGED.to_string())
            }
            (Protection::SseKms(_), None, _) => info.key_id.clone(),
            (Protection::Envelope(_), None, Some(owner)) => owner.key.clone(),
            (Protection::Envelope(_), None, None) => {
                Some(waiting.key(admin, &format!("alias/{stream}")).await?)
            }
        };
        Ok(Provisioned {
            stream: stream.to_owned(),
            key,
            key_created: false,
            key_alias: None,
            key_shared: false,
            stream_arn: info.arn,
            stream_created: false,
            destination: None,
        })
    }

    fn sink(&self, producer: &Principal, p: &Provisioned) -> Arc<dyn Sink> {
        Arc::new(KinesisSink::new(producer.kinesis.clone(), &p.stream))
    }

    fn source(
        &self,
        consumer: &Principal,
        p: &Provisioned,
        from: Option<Duration>,
    ) -> Arc<dyn Source> {
        Arc::new(KinesisSource::new(consumer.kinesis.clone(), &p.stream).starting_at(from))
    }

    fn logged_resources(&self, p: &Provisioned) -> Vec<Logged> {
        vec![Logged {
            arn: p.stream_arn.clone().unwrap_or_default(),
            via: Some("kinesis"),
        }]
    }

    /// Under SSE-KMS, Kinesis asks KMS for the stream's data keys.
    fn service_calls_kms(&self, spec: &PathSpec) -> bool {
        matches!(spec.protection, Protection::SseKms(_))
    }

    /// An envelope path's cache age (per record without one: the load), an sse-kms path's
    /// reuse period; a plaintext path makes no calls (the whole run).
    fn kms_window(
        &self,
        spec: &PathSpec,
        measured_load: Duration,
        run_length: Duration,
    ) -> Duration {
        match &spec.protection {
            Protection::Envelope(e) => e
                .cache
                .as_ref()
                .and_then(|c| c.max_age)
                .unwrap_or(measured_load),
            Protection::SseKms(s) => s.reuse_period,
            Protection::Plaintext | Protection::Firehose(_) => run_length,
        }
    }

    fn is_reference(&self, spec: &PathSpec) -> bool {
        matches!(spec.protection, Protection::Plaintext)
    }

    fn throttling(&self) -> Throttling {
        Throttling {
            service: TransportService::Kinesis,
            error: (
                "ProvisionedThroughputExceededException",
                "Rate exceeded for shard (injected)",
            ),
            shard_limits: true,
            operation: |op| Some(op.to_owned()),
        }
    }

    async fn teardown(&self, admin: &Principal, p: &Provisioned) {
        if p.stream_created {
            if let Err(e) = admin.kinesis.delete_stream(&p.stream).await {
                tracing::warn!(stream = %p.stream, error = %e, "could not delete stream");
            }
        }
    }
}

/// A stream the scenario names: ACTIVE, and encrypted as the path expects (an sse-kms path
/// needs SSE on, with the named key if any; the others need it off), since the run never
/// changes a stream it did not create.
async fn existing_stream(
    admin: &Principal,
    spec: &PathSpec,
    stream: &str,
) -> Result<Provisioned, BackendError> {
    let info = admin.kinesis.describe(stream).await?;
    let refuse = |why: String| {
        Err(BackendError::new(
            "DescribeStreamSummary",
            "StreamNotUsable",
            format!("the scenario's stream {stream} {why}; the run never changes a stream it did not create (leave `stream` out and the run creates one)"),
        ))
    };
    if info.status != "ACTIVE" {
        return refuse(format!("is {}, not ACTIVE", info.status));
    }
    let sse = is_sse(spec);
    match (sse, info.encryption.as_str()) {
        (true, "KMS") | (false, "NONE") => {}
        (true, _) => return refuse("is not encrypted (an sse-kms path needs SSE-KMS on)".into()),
        (false, e) => {
            return refuse(format!(
                "is encrypted ({e}), so a {} path on it would measure SSE too",
                spec.protection.kind()
            ))
        }
    }
    let key = match (&spec.protection, &spec.key) {
        (Protection::Plaintext | Protection::Firehose(_), _) => None,
        (Protection::SseKms(_), named) => {
            let in_use = info.key_id.clone().unwrap_or_default();
            if let Some(n) = named {
                let want = existing_key(&admin.kms, n).await?;
                let have = admin.kms.describe_key(&in_use).await?.arn;
                if want != have {
                    return refuse(format!("is encrypted with {have}, not the path's key {n}"));
                }
            }
            Some(in_use)
        }
        (Protection::Envelope(_), Some(n)) => Some(existing_key(&admin.kms, n).await?),
        (Protection::Envelope(_), None) => None,
    };
    Ok(Provisioned {
        stream: stream.to_string(),
        key_created: false,
        key_alias: None,
        key_shared: false,
        key,
        stream_arn: info.arn,
        stream_created: false,
        destination: None,
    })
}

/// Poll DescribeStreamSummary until ACTIVE and `also` holds (at most 5 minutes on the clock).
pub async fn wait_for(
    admin: &Principal,
    stream: &str,
    also: impl Fn(&StreamInfo) -> bool,
) -> Result<(), BackendError> {
    poll_ready(
        "DescribeStreamSummary",
        &format!("stream {stream}"),
        || async {
            let info = admin.kinesis.describe(stream).await?;
            Ok(if info.status == "ACTIVE" && also(&info) {
                Ok(())
            } else {
                Err(format!(
                    "{} with encryption {}",
                    info.status, info.encryption
                ))
            })
        },
    )
    .await
}

#[async_trait]
impl Leftovers for KinesisDriver {
    /// The streams earlier runs left.
    async fn leftovers(
        &self,
        admin: &Principal,
        sel: &Selector,
        dry_run: bool,
        found: &mut Vec<Found>,
    ) -> Result<(), BackendError> {
        for stream in admin.kinesis.list_streams().await? {
            if let Selector::Prefix(p) = sel {
                if !stream.starts_with(p.as_str()) {
                    continue;
                }
            }
            let tags = match admin.kinesis.list_tags(&stream).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::info!(stream, error = %e, "cannot read the stream's tags; leaving it");
                    continue;
                }
            };
            if !matches(sel, &stream, &tags) {
                if matches!(sel, Selector::Prefix(_)) {
                    found.push(Found {
                        kind: "stream",
                        name: stream,
                        outcome: format!("skipped: not tagged {}={}", CREATED_BY.0, CREATED_BY.1),
                    });
                }
                continue;
            }
            let r = if dry_run {
                Ok(())
            } else {
                admin.kinesis.delete_stream(&stream).await
            };
            found.push(Found {
                kind: "stream",
                name: stream,
                outcome: outcome(dry_run, "deleted", r),
            });
        }
        Ok(())
    }
}
