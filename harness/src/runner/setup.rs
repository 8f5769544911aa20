//! Before the load: a stream per path, the KMS keys the paths use, SSE switched on and ACTIVE;
//! or the existing stream and key a path names, checked and never changed. After it: the
//! streams the run made deleted, and on a non-embedded endpoint the keys it made scheduled for
//! deletion (never any other key or stream).

use std::time::Duration;

use crate::backend::{
    BackendError, FirehoseDestination, FirehoseKey, FirehoseSource, KmsApi, Principal,
};
use crate::path::envelope::cache::CacheLimits;
use crate::path::envelope::format::Suite;
use crate::path::envelope::AeadBackend;
use crate::path::{EnvelopePath, Path, RecordFormat};
use crate::scenario::{
    Aead, AeadBackendChoice, DestinationSse, EnvelopeFormat, FirehoseKeyChoice, FirehoseSpec,
    PathSpec, Protection, Scenario, SseKey, StreamMode,
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
    /// True when the key is another path's (tenants sharing one key): that path's teardown
    /// removes it.
    pub key_shared: bool,
    /// The stream's ARN (from DescribeStreamSummary).
    pub stream_arn: Option<String>,
    /// True if the harness created that stream (else the scenario named an existing one).
    pub stream_created: bool,
    /// A Firehose path's destination.
    pub destination: Option<Destination>,
}

/// Where a Firehose path's delivery stream (named as the path's `stream`) delivers.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The bucket.
    pub bucket: String,
    /// True if the harness created it (else only its objects under `prefix` are removed).
    pub bucket_created: bool,
    /// The run's objects' key prefix.
    pub prefix: String,
    /// The buffering interval, for what counts as a delayed delivery.
    pub interval: Duration,
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

/// Create the stream (and key, and SSE) for one path, or check the existing ones it names;
/// `shared` is the path whose created key this one uses in place of its own (a tenant's copy
/// of a path whose tenants share a key).
pub async fn provision(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
    shared: Option<&Provisioned>,
) -> Result<Provisioned, BackendError> {
    if let Protection::Firehose(f) = &spec.protection {
        return provision_firehose(admin, scenario, spec, f, stream, shared).await;
    }
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
        (Protection::Plaintext | Protection::Firehose(_), _) | (_, Some(_)) => false,
        (Protection::Envelope(_), None) => true,
        (Protection::SseKms(sse), None) => sse.key == SseKey::CustomerManaged,
    };
    let (key, key_created, key_alias) = match (&spec.protection, &spec.key) {
        (Protection::Plaintext, _) => (None, false, None),
        (_, Some(named)) => (Some(existing_key(&admin.kms, named).await?), false, None),
        _ if creates => match shared {
            Some(owner) => (owner.key.clone(), true, owner.key_alias.clone()),
            None => {
                let (arn, alias) = create_key(admin, scenario, spec, stream, &tags).await?;
                (Some(arn), true, alias)
            }
        },
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
        key_shared: shared.is_some() && key_created,
        stream_arn,
        stream_created: true,
        destination: None,
    })
}

/// What a Firehose path's resources are called: the same for every worker of a run (`stream`
/// ends in the run tag), so worker 2 and on find what worker 1 made.
pub(crate) struct FirehoseNames {
    /// The delivery stream.
    pub name: String,
    /// Its bucket: the one the scenario names, else the one the harness creates.
    pub bucket: String,
    /// The run's objects' key prefix.
    pub prefix: String,
}

pub(crate) fn firehose_names(spec: &PathSpec, f: &FirehoseSpec, stream: &str) -> FirehoseNames {
    let run = stream.rsplit('-').next().unwrap_or_default().to_owned();
    let short: String = format!("kcb-{}", slug(&spec.name))
        .chars()
        .take(50)
        .collect();
    let name = format!("{short}-{run}");
    let bucket = f.bucket.clone().unwrap_or_else(|| {
        name.to_ascii_lowercase()
            .replace(['_', '.'], "-")
            .chars()
            .take(63)
            .collect()
    });
    FirehoseNames {
        bucket,
        prefix: format!("kcb/{run}/{}/", slug(&spec.name)),
        name,
    }
}

/// Whether the delivery stream or its destination is under a customer-managed key.
pub(crate) fn firehose_wants_key(f: &FirehoseSpec) -> bool {
    f.key == FirehoseKeyChoice::CustomerManaged
        || f.destination_sse == DestinationSse::CustomerManaged
}

fn firehose_key(f: &FirehoseSpec, key: Option<&str>) -> Option<FirehoseKey> {
    match f.key {
        FirehoseKeyChoice::None => None,
        FirehoseKeyChoice::AwsOwned => Some(FirehoseKey::AwsOwned),
        FirehoseKeyChoice::CustomerManaged => Some(FirehoseKey::CustomerManaged(
            key.unwrap_or_default().to_owned(),
        )),
    }
}

/// The encryption status a ready delivery stream of `f` shows.
pub(crate) fn firehose_encryption(f: &FirehoseSpec) -> &'static str {
    if f.key == FirehoseKeyChoice::None {
        "DISABLED"
    } else {
        "ENABLED"
    }
}

/// A Firehose path: its key (created, or the one `key` names, when the delivery stream or the
/// destination is under a customer-managed key), its bucket (created, or the one `bucket`
/// names) and its delivery stream, ACTIVE with its encryption ENABLED.
async fn provision_firehose(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    f: &FirehoseSpec,
    stream: &str,
    shared: Option<&Provisioned>,
) -> Result<Provisioned, BackendError> {
    let FirehoseNames {
        name,
        bucket,
        prefix,
    } = firehose_names(spec, f, stream);
    let tags = run_tags(scenario, spec, &name);
    let (key, key_created, key_alias) = match (&spec.key, firehose_wants_key(f)) {
        (_, false) => (None, false, None),
        (Some(named), true) => (Some(existing_key(&admin.kms, named).await?), false, None),
        (None, true) => match shared {
            Some(owner) => (owner.key.clone(), true, owner.key_alias.clone()),
            None => {
                let (arn, alias) = create_key(admin, scenario, spec, &name, &tags).await?;
                (Some(arn), true, alias)
            }
        },
    };
    let region = admin.s3.region();
    let bucket_created = f.bucket.is_none();
    if bucket_created {
        admin.s3.create_bucket(&bucket, &region).await?;
    }
    let role_arn = match &f.delivery_role {
        Some(r) => r.clone(),
        None => {
            let account = admin.sts.caller_identity().await?.account;
            format!(
                "arn:aws:iam::{account}:role/{}",
                crate::emulator::iam::DELIVERY
            )
        }
    };
    let destination = FirehoseDestination {
        bucket_arn: format!("arn:aws:s3:::{bucket}"),
        role_arn,
        prefix: prefix.clone(),
        size_mib: f.buffer_size_mib as i32,
        interval_secs: f.buffer_interval.as_secs() as i32,
        kms_key_arn: match f.destination_sse {
            DestinationSse::None => None,
            DestinationSse::AwsManaged => Some("alias/aws/s3".into()),
            DestinationSse::CustomerManaged => key.clone(),
        },
    };
    let fh_key = firehose_key(f, key.as_deref());
    let tag_list: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let arn = admin
        .firehose
        .create_to(
            &name,
            &FirehoseSource::DirectPut,
            fh_key.as_ref(),
            Some(&destination),
            &tag_list,
        )
        .await?;
    let want = firehose_encryption(f);
    let mut last = String::new();
    for _ in 0..3000 {
        let d = admin.firehose.describe(&name).await?;
        if d.status == "ACTIVE" && d.encryption == want {
            return Ok(Provisioned {
                stream: name,
                key,
                key_created,
                key_alias,
                key_shared: shared.is_some() && key_created,
                stream_arn: Some(arn),
                stream_created: true,
                destination: Some(Destination {
                    bucket,
                    bucket_created,
                    prefix,
                    interval: f.buffer_interval,
                }),
            });
        }
        last = format!("{} with encryption {}", d.status, d.encryption);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(BackendError::new(
        "DescribeDeliveryStream",
        "Timeout",
        format!(
            "delivery stream {name} did not become ACTIVE with encryption {want} (last {last})"
        ),
    ))
}

/// A key the scenario names: it must exist and be enabled; its ARN.
pub(crate) async fn existing_key(kms: &KmsApi, named: &str) -> Result<String, BackendError> {
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
/// ARN and the alias (None where the endpoint refused it: the tags still find the key). Its key
/// policy is KMS's default (the account delegates to IAM) plus a statement naming the admin as
/// the key's administrator, so a key-policy fault that takes the delegation out leaves the
/// admin able to put it back (without the admin's identity, KMS's default alone).
async fn create_key(
    admin: &Principal,
    scenario: &Scenario,
    spec: &PathSpec,
    stream: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(String, Option<String>), BackendError> {
    let kms = &admin.kms;
    let description = format!("kinesis-crypto-bench {} {}", scenario.name, spec.name);
    let policy = match admin.sts.caller_identity().await {
        Ok(id) => Some(crate::keypolicy::restrictive_policy(
            &id.account,
            &[id.policy_principal()],
            &[],
        )),
        Err(e) => {
            tracing::warn!(error = %e, "no admin identity; the key gets KMS's default key policy");
            None
        }
    };
    let info = match kms
        .create_key_tagged(&description, tags, policy.as_deref())
        .await
    {
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
pub(crate) async fn wait_for(
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
        Protection::Firehose(_) => Path::Firehose,
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
        if let Some(d) = &p.destination {
            if let Err(e) = admin.firehose.delete(&p.stream).await {
                tracing::warn!(delivery_stream = %p.stream, error = %e, "could not delete the delivery stream");
            }
            let removed = if d.bucket_created {
                admin.s3.empty_and_delete_bucket(&d.bucket).await
            } else {
                // A bucket the run did not create: only its own objects.
                admin.s3.delete_objects_under(&d.bucket, &d.prefix).await
            };
            if let Err(e) = removed {
                tracing::warn!(bucket = %d.bucket, error = %e, "could not remove the run's objects");
            }
        } else if p.stream_created {
            if let Err(e) = admin.kinesis.delete_stream(&p.stream).await {
                tracing::warn!(stream = %p.stream, error = %e, "could not delete stream");
            }
        }
        if !env.target.is_embedded() && p.key_created && !p.key_shared {
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
