//! Before the load: a stream per path, the KMS keys the paths use, SSE switched on and ACTIVE.
//! After it: streams deleted, and on a non-embedded endpoint the keys the harness made
//! scheduled for deletion (never any other key).

use std::time::Duration;

use crate::backend::{BackendError, KmsApi, Principal, Target};
use crate::path::envelope::cache::CacheLimits;
use crate::path::envelope::format::Suite;
use crate::path::{EnvelopePath, Path, RecordFormat};
use crate::scenario::{Aead, EnvelopeFormat, PathSpec, Protection, Scenario, SseKey, StreamMode};

/// What setup made for one path.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// Stream name.
    pub stream: String,
    /// The KMS key the path uses (envelope or SSE), as an id, ARN or alias.
    pub key: Option<String>,
    /// True if the harness created that key.
    pub key_created: bool,
    /// The stream's ARN (from DescribeStreamSummary).
    pub stream_arn: Option<String>,
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Stream name for a path of a run.
pub fn stream_name(scenario: &str, path: &str, run_tag: &str) -> String {
    let mut name = format!("kcb-{}-{}-{}", slug(scenario), slug(path), run_tag);
    name.truncate(128);
    name
}

/// Create the stream (and key, and SSE) for one path.
pub async fn provision(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
) -> Result<Provisioned, BackendError> {
    let on_demand = scenario.stream.mode == StreamMode::OnDemand;
    admin
        .kinesis
        .create_stream(stream, scenario.stream.shards, on_demand)
        .await?;
    wait_for(admin, stream, |_| true).await?;
    let tags = run_tags(scenario, spec, stream);
    if let Err(e) = admin.kinesis.add_tags(stream, &tags).await {
        // Tags find a run's leftovers; an endpoint without them still runs, named by prefix.
        tracing::warn!(stream, error = %e, "could not tag the stream");
    }
    let (key, key_created) = match &spec.protection {
        Protection::Plaintext => (None, false),
        Protection::Envelope(_) => (Some(create_key(&admin.kms, scenario, spec).await?), true),
        Protection::SseKms(sse) => match sse.key {
            SseKey::AwsManaged => (Some("alias/aws/kinesis".to_string()), false),
            SseKey::CustomerManaged => (Some(create_key(&admin.kms, scenario, spec).await?), true),
        },
    };
    if let (Protection::SseKms(_), Some(k)) = (&spec.protection, &key) {
        admin.kinesis.start_encryption(stream, k).await?;
        wait_for(admin, stream, |i| i.encryption == "KMS").await?;
    }
    let stream_arn = admin.kinesis.describe(stream).await?.arn;
    Ok(Provisioned {
        stream: stream.to_string(),
        key,
        key_created,
        stream_arn,
    })
}

/// The tag every stream the harness makes carries, whatever else it does.
pub const CREATED_BY: (&str, &str) = ("created-by", "kinesis-crypto-bench");

/// The tags of a stream the run makes: who made it, for which scenario and path, and the run
/// (the last part of the stream's name).
pub fn run_tags(
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
) -> std::collections::BTreeMap<String, String> {
    let run = stream.rsplit('-').next().unwrap_or_default();
    [
        (CREATED_BY.0, CREATED_BY.1),
        ("kcb-scenario", scenario.name.as_str()),
        ("kcb-path", spec.name.as_str()),
        ("kcb-run", run),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.chars().take(256).collect()))
    .collect()
}

async fn create_key(
    kms: &KmsApi,
    scenario: &Scenario,
    spec: &PathSpec,
) -> Result<String, BackendError> {
    let info = kms
        .create_key(&format!(
            "kinesis-crypto-bench {} {}",
            scenario.name, spec.name
        ))
        .await?;
    Ok(info.arn)
}

/// Poll DescribeStreamSummary until ACTIVE and `also` holds (at most 5 minutes on the clock).
async fn wait_for(
    admin: &Principal,
    stream: &str,
    also: impl Fn(&crate::backend::StreamInfo) -> bool,
) -> Result<(), BackendError> {
    for _ in 0..3000 {
        let info = admin.kinesis.describe(stream).await?;
        if info.status == "ACTIVE" && also(&info) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(BackendError::new(
        "DescribeStreamSummary",
        "Timeout",
        format!("stream {stream} did not become ACTIVE"),
    ))
}

/// The path object for a spec, with its clients.
pub fn make_path(
    spec: &PathSpec,
    key: Option<&str>,
    producer: &Principal,
    consumer: &Principal,
) -> Path {
    match &spec.protection {
        Protection::Plaintext => Path::Plaintext,
        Protection::SseKms(_) => Path::SseKms,
        Protection::Envelope(e) => {
            let format = match (e.format, super::collect::esdk_suite(e)) {
                (EnvelopeFormat::Esdk { frame_length, .. }, Some(suite)) => RecordFormat::Esdk {
                    suite,
                    frame_length,
                },
                (
                    EnvelopeFormat::Compact {
                        aead: Aead::Chacha20Poly1305,
                    },
                    _,
                ) => RecordFormat::Compact(Suite::ChaCha20Poly1305),
                _ => RecordFormat::Compact(Suite::Aes256Gcm),
            };
            let cache = e.cache.as_ref().map(|c| CacheLimits {
                max_age: c.max_age,
                max_messages: c.max_messages,
                max_bytes: c.max_bytes,
                capacity: c.capacity as usize,
            });
            Path::Envelope(Box::new(EnvelopePath::new(
                format,
                key.unwrap_or_default().to_string(),
                e.encryption_context.clone(),
                cache,
                producer.kms.clone(),
                consumer.kms.clone(),
            )))
        }
    }
}

/// Delete the run's streams; on a non-embedded endpoint also schedule the deletion of the keys
/// the harness created (7 days, the shortest waiting period).
pub async fn teardown(env: &super::RunEnv, made: &[Provisioned]) {
    let admin = env.admin();
    for p in made {
        if let Err(e) = admin.kinesis.delete_stream(&p.stream).await {
            tracing::warn!(stream = %p.stream, error = %e, "could not delete stream");
        }
        if matches!(env.target, Target::Endpoint { .. }) && p.key_created {
            if let Some(k) = &p.key {
                if let Err(e) = admin.kms.schedule_key_deletion(k, 7).await {
                    tracing::warn!(key = %k, error = %e, "could not schedule deletion of a key the harness created");
                }
            }
        }
    }
}
