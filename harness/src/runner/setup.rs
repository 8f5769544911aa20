//! Before the load: each path's driver provisions its destination and key (or checks the
//! existing ones a path names). After it: what the run made removed by the drivers, and on a
//! non-embedded endpoint the keys it made scheduled for deletion (never any other key or
//! stream). Between: each path's [`Path`], the protection its records go through.

use std::sync::Arc;

pub use crate::driver::kinesis::wait_for;
pub use crate::driver::{
    existing_key, run_tags, stream_name, Destination, Driver, Provisioned, CREATED_BY,
};

use crate::backend::Principal;
use crate::path::envelope::cache::CacheLimits;
use crate::path::envelope::format::Suite;
use crate::path::envelope::AeadBackend;
use crate::path::{EnvelopePath, Path, RecordFormat};
use crate::scenario::{Aead, AeadBackendChoice, EnvelopeFormat, PathSpec, Protection};

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

/// Remove what the run made, each path's by its driver; on a non-embedded endpoint also
/// schedule the deletion of the keys the harness created (7 days, the shortest waiting period).
pub async fn teardown(env: &super::RunEnv, drivers: &[Arc<dyn Driver>], made: &[Provisioned]) {
    let admin = env.admin();
    for (driver, p) in drivers.iter().zip(made) {
        driver.teardown(&admin, p).await;
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
