//! Firehose: a delivery stream per path (Direct PUT, under no key, an AWS-owned key or a
//! customer-managed one), delivering to an S3 bucket (created, or the one the path names, with
//! the destination's SSE as asked); producers put with PutRecord(Batch) and consumers read back
//! the objects it delivered.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::cleanup::{matches, outcome, Found, Leftovers, Selector};
use super::keys::{existing_key, own_key, run_tags, slug};
use super::{
    poll_ready, Destination, Driver, DriverError, Logged, PathCx, Provisioned, Throttling,
    TransportService, Waiting,
};
use crate::backend::sink::firehose::{FirehoseSink, S3Source};
use crate::backend::sink::{Sink, Source};
use crate::backend::{BackendError, FirehoseDestination, FirehoseKey, FirehoseSource, Principal};
use crate::emulator::Service;
use crate::result::FirehoseServiceDelivery;
use crate::scenario::{DestinationSse, FirehoseKeyChoice, FirehoseSpec, PathSpec, Protection};

/// Firehose, for one path's settings.
#[derive(Debug, Clone)]
pub struct FirehoseDriver {
    spec: FirehoseSpec,
}

impl FirehoseDriver {
    /// The driver of a path with these Firehose settings.
    pub fn new(spec: FirehoseSpec) -> Self {
        Self { spec }
    }

    /// Whether the delivery stream or its destination is under a customer-managed key.
    fn wants_key(&self) -> bool {
        self.spec.key == FirehoseKeyChoice::CustomerManaged
            || self.spec.destination_sse == DestinationSse::CustomerManaged
    }

    /// The encryption status a ready delivery stream shows.
    fn encryption(&self) -> &'static str {
        if self.spec.key == FirehoseKeyChoice::None {
            "DISABLED"
        } else {
            "ENABLED"
        }
    }

    fn key(&self, key: Option<&str>) -> Option<FirehoseKey> {
        match self.spec.key {
            FirehoseKeyChoice::None => None,
            FirehoseKeyChoice::AwsOwned => Some(FirehoseKey::AwsOwned),
            FirehoseKeyChoice::CustomerManaged => Some(FirehoseKey::CustomerManaged(
                key.unwrap_or_default().to_owned(),
            )),
        }
    }

    /// What the path's resources are called: the same for every worker of a run (`name` ends
    /// in the run tag), so worker 2 and on find what worker 1 made.
    fn names(&self, spec: &PathSpec, name: &str) -> Names {
        let run = name.rsplit('-').next().unwrap_or_default().to_owned();
        let short: String = format!("kcb-{}", slug(&spec.name))
            .chars()
            .take(50)
            .collect();
        let name = format!("{short}-{run}");
        let bucket = self.spec.bucket.clone().unwrap_or_else(|| {
            name.to_ascii_lowercase()
                .replace(['_', '.'], "-")
                .chars()
                .take(63)
                .collect()
        });
        Names {
            bucket,
            prefix: format!("kcb/{run}/{}/", slug(&spec.name)),
            name,
        }
    }

    /// Poll DescribeDeliveryStream until ACTIVE with its encryption (at most 5 minutes).
    async fn await_active(&self, admin: &Principal, name: &str) -> Result<(), BackendError> {
        let want = self.encryption();
        poll_ready(
            "DescribeDeliveryStream",
            &format!("delivery stream {name} (ACTIVE with encryption {want})"),
            || async {
                let d = admin.firehose.describe(name).await?;
                Ok(if d.status == "ACTIVE" && d.encryption == want {
                    Ok(())
                } else {
                    Err(format!("{} with encryption {}", d.status, d.encryption))
                })
            },
        )
        .await
    }

    fn destination(&self, names: Names, bucket_created: bool) -> Destination {
        Destination {
            bucket: names.bucket,
            bucket_created,
            prefix: names.prefix,
            interval: self.spec.buffer_interval,
        }
    }
}

/// A delivery stream's resources.
struct Names {
    /// The delivery stream.
    name: String,
    /// Its bucket: the one the scenario names, else the one the harness creates.
    bucket: String,
    /// The run's objects' key prefix.
    prefix: String,
}

#[async_trait]
impl Driver for FirehoseDriver {
    fn service(&self) -> &'static str {
        "firehose"
    }

    fn destination_noun(&self) -> &'static str {
        "delivery stream"
    }

    fn refusals(&self, spec: &PathSpec, embedded: bool) -> Vec<String> {
        if embedded || self.spec.delivery_role.is_some() {
            return Vec::new();
        }
        vec![format!("path {:?} (firehose) names no delivery_role: off the embedded service Firehose delivers as an IAM role of yours (s3:PutObject on the bucket, and kms:GenerateDataKey on its key under SSE-KMS); set delivery_role = \"arn:aws:iam::<account>:role/<name>\"", spec.name)]
    }

    /// Its key (created, or the one `key` names, when the delivery stream or the destination is
    /// under a customer-managed key), its bucket (created, or the one `bucket` names) and its
    /// delivery stream, ACTIVE with its encryption ENABLED.
    async fn provision(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
    ) -> Result<Provisioned, BackendError> {
        let names = self.names(cx.spec, cx.name);
        let tags = run_tags(cx.scenario, cx.spec, &names.name);
        let (key, key_created, key_alias) = if self.wants_key() {
            own_key(admin, cx, &names.name, &tags).await?
        } else {
            (None, false, None)
        };
        let bucket_created = self.spec.bucket.is_none();
        if bucket_created {
            admin
                .s3
                .create_bucket(&names.bucket, &admin.s3.region())
                .await?;
        }
        let role_arn = match &self.spec.delivery_role {
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
            bucket_arn: format!("arn:aws:s3:::{}", names.bucket),
            role_arn,
            prefix: names.prefix.clone(),
            size_mib: self.spec.buffer_size_mib as i32,
            interval_secs: self.spec.buffer_interval.as_secs() as i32,
            kms_key_arn: match self.spec.destination_sse {
                DestinationSse::None => None,
                DestinationSse::AwsManaged => Some("alias/aws/s3".into()),
                DestinationSse::CustomerManaged => key.clone(),
            },
        };
        let tag_list: Vec<(&str, &str)> =
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let arn = admin
            .firehose
            .create_to(
                &names.name,
                &FirehoseSource::DirectPut,
                self.key(key.as_deref()).as_ref(),
                Some(&destination),
                &tag_list,
            )
            .await?;
        self.await_active(admin, &names.name).await?;
        Ok(Provisioned {
            stream: names.name.clone(),
            key,
            key_created,
            key_alias,
            key_shared: cx.shared.is_some() && key_created,
            stream_arn: Some(arn),
            stream_created: true,
            destination: Some(self.destination(names, bucket_created)),
        })
    }

    /// Worker 1's delivery stream ACTIVE with its encryption, its key (by alias, unless the
    /// scenario names one or another path's is shared), its bucket and the run's prefix.
    async fn await_ready(
        &self,
        admin: &Principal,
        cx: PathCx<'_>,
        waiting: &Waiting,
    ) -> Result<Provisioned, DriverError> {
        let names = self.names(cx.spec, cx.name);
        let want = self.encryption();
        let what = format!("delivery stream {}", names.name);
        loop {
            match admin.firehose.describe(&names.name).await {
                Ok(d) if d.status == "ACTIVE" && d.encryption == want => break,
                Ok(_) | Err(_) if waiting.more() => waiting.pause().await,
                Ok(d) => {
                    return Err(waiting.not_ready(
                        &what,
                        &format!("{} (encryption {}, want {want})", d.status, d.encryption),
                    ))
                }
                Err(e) => return Err(waiting.absent(&what, e)),
            }
        }
        let key = match (&cx.spec.key, self.wants_key(), cx.shared) {
            (_, false, _) => None,
            (Some(named), true, _) => Some(existing_key(&admin.kms, named).await?),
            (None, true, Some(owner)) => owner.key.clone(),
            (None, true, None) => Some(waiting.key(admin, &format!("alias/{}", names.name)).await?),
        };
        Ok(Provisioned {
            stream: names.name.clone(),
            key,
            key_created: false,
            key_alias: None,
            key_shared: false,
            stream_arn: None,
            stream_created: false,
            destination: Some(self.destination(names, false)),
        })
    }

    fn sink(&self, producer: &Principal, p: &Provisioned) -> Arc<dyn Sink> {
        Arc::new(FirehoseSink::new(producer.firehose.clone(), &p.stream))
    }

    /// The objects delivered under the run's prefix (all of them the run's: `from` is moot).
    fn source(
        &self,
        consumer: &Principal,
        p: &Provisioned,
        _from: Option<Duration>,
    ) -> Arc<dyn Source> {
        let (bucket, prefix) = p
            .destination
            .as_ref()
            .map(|d| (d.bucket.as_str(), d.prefix.as_str()))
            .unwrap_or_default();
        Arc::new(S3Source::new(consumer.s3.clone(), bucket, prefix))
    }

    fn delayed_after(&self) -> Option<Duration> {
        Some(crate::backend::sink::firehose::delayed_after(
            self.spec.buffer_interval,
        ))
    }

    /// The delivery stream (its own encryption) and the bucket (the destination's SSE-KMS).
    /// A customer-managed key on the delivery stream (Firehose's own data keys), or SSE-KMS
    /// on the destination (S3's, for Firehose's writes and the reads back).
    fn service_calls_kms(&self, _spec: &PathSpec) -> bool {
        self.spec.key == FirehoseKeyChoice::CustomerManaged
            || self.spec.destination_sse != DestinationSse::None
    }

    fn logged_resources(&self, p: &Provisioned) -> Vec<Logged> {
        let mut arns = vec![Logged {
            arn: p.stream_arn.clone().unwrap_or_default(),
            via: None,
        }];
        if let Some(d) = &p.destination {
            arns.push(Logged {
                arn: crate::emulator::s3::bucket_arn(&d.bucket),
                via: Some("s3"),
            });
        }
        arns
    }

    /// The whole run: a delivery, and the KMS calls it makes, may fall after the load.
    fn kms_window(&self, _spec: &PathSpec, _load: Duration, run_length: Duration) -> Duration {
        run_length
    }

    fn is_reference(&self, spec: &PathSpec) -> bool {
        matches!(&spec.protection, Protection::Firehose(f) if f.key == FirehoseKeyChoice::None)
    }

    /// Puts past the delivery stream's direct-put quota; it has no shards.
    fn throttling(&self) -> Throttling {
        Throttling {
            service: TransportService::Firehose,
            error: ("ServiceUnavailableException", "Slow down. (injected)"),
            shard_limits: false,
            operation: |op| match op {
                "PutRecord" => Some("PutRecord".into()),
                "PutRecords" => Some("PutRecordBatch".into()),
                _ => None,
            },
        }
    }

    fn delivery(&self, svc: &Service, p: &Provisioned) -> Option<FirehoseServiceDelivery> {
        svc.control()
            .firehose_delivered(&p.stream)
            .map(|d| FirehoseServiceDelivery {
                objects: d.objects,
                records: d.records,
                retried_records: d.retried_records,
                failed_attempts: d.failed_attempts,
                dropped_records: d.dropped_records,
                last_error: d.last_error.map(|e| e.0),
            })
    }

    /// The delivery stream the run created, and the bucket it created (else only the run's
    /// objects).
    async fn teardown(&self, admin: &Principal, p: &Provisioned) {
        if !p.stream_created {
            return; // worker 1's, which `cleanup --run-id` removes once every worker is done
        }
        if let Err(e) = admin.firehose.delete(&p.stream).await {
            tracing::warn!(delivery_stream = %p.stream, error = %e, "could not delete the delivery stream");
        }
        let Some(d) = &p.destination else {
            return;
        };
        let removed = if d.bucket_created {
            admin.s3.empty_and_delete_bucket(&d.bucket).await
        } else {
            admin.s3.delete_objects_under(&d.bucket, &d.prefix).await
        };
        if let Err(e) = removed {
            tracing::warn!(bucket = %d.bucket, error = %e, "could not remove the run's objects");
        }
    }
}

/// Firehose's part of `cleanup`: the delivery streams earlier runs left, and what they
/// delivered.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirehoseLeftovers;

#[async_trait]
impl Leftovers for FirehoseLeftovers {
    async fn leftovers(
        &self,
        admin: &Principal,
        sel: &Selector,
        dry_run: bool,
        found: &mut Vec<Found>,
    ) -> Result<(), BackendError> {
        let names = match admin.firehose.list().await {
            Ok(names) => names,
            Err(e) => {
                tracing::info!(error = %e, "cannot list delivery streams; none removed");
                return Ok(());
            }
        };
        for name in names {
            let Ok(tags) = admin.firehose.tags(&name).await else {
                continue;
            };
            let tags: std::collections::BTreeMap<String, String> = tags.into_iter().collect();
            if !matches(sel, &name, &tags) {
                continue;
            }
            let destination = admin
                .firehose
                .describe(&name)
                .await
                .ok()
                .and_then(|d| d.destination);
            let r = if dry_run {
                Ok(())
            } else {
                admin.firehose.delete(&name).await
            };
            found.push(Found {
                kind: "delivery stream",
                name: name.clone(),
                outcome: outcome(dry_run, "deleted", r),
            });
            let Some((bucket_arn, prefix, _)) = destination else {
                continue;
            };
            let bucket = bucket_arn.trim_start_matches("arn:aws:s3:::").to_string();
            if bucket == name.to_ascii_lowercase() {
                let r = if dry_run {
                    Ok(())
                } else {
                    admin.s3.empty_and_delete_bucket(&bucket).await.map(|_| ())
                };
                found.push(Found {
                    kind: "bucket",
                    name: bucket,
                    outcome: outcome(dry_run, "emptied and deleted", r),
                });
            } else if !prefix.is_empty() {
                let r = if dry_run {
                    Ok(())
                } else {
                    admin
                        .s3
                        .delete_objects_under(&bucket, &prefix)
                        .await
                        .map(|_| ())
                };
                found.push(Found {
                    kind: "objects",
                    name: format!("s3://{bucket}/{prefix}"),
                    outcome: outcome(dry_run, "deleted", r),
                });
            }
        }
        Ok(())
    }
}
