//! Before the load: a stream per path, the KMS keys the paths use, SSE switched on and ACTIVE;
//! or the existing stream and key a path names, checked and never changed. After it: the
//! streams the run made deleted, and on a non-embedded endpoint the keys it made scheduled for
//! deletion (never any other key or stream).

use std::time::Duration;

use crate::backend::{BackendError, KmsApi, Principal};
use crate::path::envelope::cache::CacheLimits;
use crate::path::envelope::format::Suite;
use crate::path::envelope::AeadBackend;
use crate::path::{EnvelopePath, Path, RecordFormat};
use crate::scenario::{
    Aead, AeadBackendChoice, EnvelopeFormat, PathSpec, Protection, Scenario, SseKey, StreamMode,
};

/// What setup made for one path.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// Stream name.
    pub stream: String,
    /// The KMS key the path uses (envelope or SSE), as an id, ARN or alias.
    pub key: Option<String>,
    /// True if the harness created that key.
    pub key_created: bool,
    /// The alias the harness gave the key it created (`alias/kcb-...`).
    pub key_alias: Option<String>,
    /// The stream's ARN (from DescribeStreamSummary).
    pub stream_arn: Option<String>,
    /// True if the harness created that stream (else the scenario named an existing one).
    pub stream_created: bool,
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

/// Create the stream (and key, and SSE) for one path, or check the existing ones it names.
pub async fn provision(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
) -> Result<Provisioned, BackendError> {
    if let Some(existing) = &spec.stream {
        return existing_stream(admin, scenario, spec, existing).await;
    }
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
    let creates = match (&spec.protection, &spec.key) {
        (Protection::Plaintext, _) | (_, Some(_)) => false,
        (Protection::Envelope(_), None) => true,
        (Protection::SseKms(sse), None) => sse.key == SseKey::CustomerManaged,
    };
    let (key, key_created, key_alias) = match (&spec.protection, &spec.key) {
        (Protection::Plaintext, _) => (None, false, None),
        (_, Some(named)) => (Some(existing_key(&admin.kms, named).await?), false, None),
        _ if creates => {
            let (arn, alias) = create_key(&admin.kms, scenario, spec, stream, &tags).await?;
            (Some(arn), true, alias)
        }
        _ => (Some("alias/aws/kinesis".to_string()), false, None),
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
        key_alias,
        stream_arn,
        stream_created: true,
    })
}

/// A key the scenario names: it must exist and be enabled; its ARN.
async fn existing_key(kms: &KmsApi, named: &str) -> Result<String, BackendError> {
    let info = kms.describe_key(named).await?;
    if info.state != "Enabled" {
        return Err(BackendError::new(
            "DescribeKey",
            "KeyNotUsable",
            format!("the scenario's key {named} is {}; the run uses existing keys as they are and never changes them: enable it, or leave `key` out and the run creates one", info.state),
        ));
    }
    Ok(info.arn)
}

/// A stream the scenario names: ACTIVE, and encrypted as the path expects (an sse-kms path
/// needs SSE on, with the named key if any; the others need it off), since the run never
/// changes a stream it did not create.
async fn existing_stream(
    admin: &Principal,
    _scenario: &Scenario,
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
    let sse = matches!(spec.protection, Protection::SseKms(_));
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
        (Protection::Plaintext, _) => None,
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
        key,
        stream_arn: info.arn,
        stream_created: false,
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

/// Create a path's key, tagged as its stream is, with the alias `alias/<stream name>`; its
/// ARN and the alias (None where the endpoint refused it: the tags still find the key).
async fn create_key(
    kms: &KmsApi,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(String, Option<String>), BackendError> {
    let description = format!("kinesis-crypto-bench {} {}", scenario.name, spec.name);
    let info = match kms.create_key_tagged(&description, tags).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "could not create a tagged key; creating it untagged");
            kms.create_key(&description).await?
        }
    };
    let alias = format!("alias/{stream}");
    match kms.create_alias(&alias, &info.id).await {
        Ok(()) => Ok((info.arn, Some(alias))),
        Err(e) => {
            tracing::warn!(alias, error = %e, "could not alias the key");
            Ok((info.arn, None))
        }
    }
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
            let format = match e.format {
                EnvelopeFormat::Esdk {
                    suite,
                    frame_length,
                } => RecordFormat::Esdk {
                    suite: super::collect::esdk_suite_of(suite),
                    frame_length,
                },
                EnvelopeFormat::Compact { aead, aead_backend } => RecordFormat::Compact(
                    match aead {
                        Aead::Aes256Gcm => Suite::Aes256Gcm,
                        Aead::Chacha20Poly1305 => Suite::ChaCha20Poly1305,
                    },
                    match aead_backend {
                        AeadBackendChoice::AwsLcRs => AeadBackend::AwsLc,
                        AeadBackendChoice::RustCrypto => AeadBackend::RustCrypto,
                    },
                ),
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
        if p.stream_created {
            if let Err(e) = admin.kinesis.delete_stream(&p.stream).await {
                tracing::warn!(stream = %p.stream, error = %e, "could not delete stream");
            }
        }
        if !env.target.is_embedded() && p.key_created {
            if let Some(k) = &p.key {
                // By key id: KMS takes an ARN too, but moto looks keys up by id only.
                let id = k.rsplit_once(":key/").map_or(k.as_str(), |(_, id)| id);
                if let Err(e) = admin.kms.schedule_key_deletion(id, 7).await {
                    tracing::warn!(key = %k, error = %e, "could not schedule deletion of a key the harness created");
                }
                if let Some(alias) = &p.key_alias {
                    if let Err(e) = admin.kms.delete_alias(alias).await {
                        tracing::warn!(alias, error = %e, "could not delete the alias of a key the harness created");
                    }
                }
            }
        }
    }
}
