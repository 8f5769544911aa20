//! Before the load: each path's driver provisions its destination and key (or checks the
//! existing ones a path names). After it: what the run made removed by the drivers, and on a
//! non-embedded endpoint the keys it made scheduled for deletion (never any other key or
//! stream). (Each path's protection, its `Path`, is `path::Path::for_spec`.)

use std::sync::Arc;

pub use crate::driver::kinesis::wait_for;
pub use crate::driver::{
    existing_key, run_tags, stream_name, Destination, Driver, Provisioned, CREATED_BY,
};

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
