//! Firehose as a [`Sink`] (PutRecord, PutRecordBatch, DescribeDeliveryStream) and its S3
//! destination as a [`Source`] (ListObjectsV2, GetObject): one partition, the delivery
//! stream's objects under the run's prefix, each split back into the records Firehose wrote
//! back to back (by the length each record's header states).

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::{
    EntryFailure, OutRecord, Partition, Position, PutAck, ReadRecord, Sink, SinkInfo, Source,
};
use crate::backend::{BackendError, FirehoseApi, S3Api};
use crate::payload;

/// The one partition a Firehose path's source has.
pub const PARTITION: &str = "firehose";

/// A delivery stream written as the producer role.
#[derive(Debug, Clone)]
pub struct FirehoseSink {
    api: FirehoseApi,
    name: String,
}

impl FirehoseSink {
    /// Put into delivery stream `name` with the producer's client.
    pub fn new(api: FirehoseApi, name: &str) -> Self {
        Self {
            api,
            name: name.to_owned(),
        }
    }
}

#[async_trait]
impl Sink for FirehoseSink {
    fn service(&self) -> &'static str {
        "firehose"
    }

    fn destination(&self) -> &str {
        &self.name
    }

    fn acks_by_record_id(&self) -> bool {
        true
    }

    async fn put(&self, record: OutRecord) -> Result<PutAck, BackendError> {
        let (id, _) = self.api.put_record(&self.name, record.data).await?;
        Ok(PutAck {
            shard_id: PARTITION.into(),
            sequence: id,
        })
    }

    async fn put_batch(
        &self,
        records: Vec<OutRecord>,
    ) -> Result<Vec<Result<PutAck, EntryFailure>>, BackendError> {
        let ack = self
            .api
            .put_record_batch(&self.name, records.into_iter().map(|r| r.data).collect())
            .await?;
        Ok(ack
            .entries
            .into_iter()
            .map(|e| match e {
                Ok(id) => Ok(PutAck {
                    shard_id: PARTITION.into(),
                    sequence: id,
                }),
                Err(code) => Err(EntryFailure {
                    message: format!("PutRecordBatch entry failed: {code}"),
                    code,
                }),
            })
            .collect())
    }

    async fn describe(&self) -> Result<SinkInfo, BackendError> {
        let d = self.api.describe(&self.name).await?;
        Ok(SinkInfo {
            status: d.status,
            encryption: if d.encryption == "ENABLED" {
                "KMS".into()
            } else {
                "NONE".into()
            },
            key_id: d.key_arn,
            partitions: 1,
        })
    }
}

/// The objects a delivery stream wrote, read as the consumer role.
#[derive(Debug)]
pub struct S3Source {
    api: S3Api,
    bucket: String,
    prefix: String,
    /// Objects read whole (a listing returns every object; these are skipped).
    done: Mutex<HashSet<String>>,
}

impl S3Source {
    /// Read the objects under `prefix` in `bucket` with the consumer's client.
    pub fn new(api: S3Api, bucket: &str, prefix: &str) -> Self {
        Self {
            api,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            done: Mutex::new(HashSet::new()),
        }
    }
}

/// `<object key>#<index>`: a record's place in its object.
fn sequence(key: &str, index: usize) -> String {
    format!("{key}#{index:06}")
}

#[async_trait]
impl Source for S3Source {
    async fn partitions(&self) -> Result<Vec<Partition>, BackendError> {
        Ok(vec![Partition {
            id: PARTITION.into(),
            parents: Vec::new(),
        }])
    }

    /// Every object not yet read whole, oldest key first (Firehose's keys begin with the hour
    /// and end in a random id, so a listing is read whole, not from a start-after key). Within
    /// the object the consumer last stopped in, records up to `position.after` are skipped.
    async fn read(
        &self,
        _partition: &str,
        position: &mut Position,
        limit: u32,
    ) -> Result<Vec<ReadRecord>, BackendError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .api
                .list(&self.bucket, &self.prefix, None, token.as_deref())
                .await?;
            let done = self.done.lock();
            keys.extend(
                page.objects
                    .into_iter()
                    .filter(|o| !done.contains(&o.key))
                    .map(|o| (o.last_modified, o.key)),
            );
            drop(done);
            match page.next {
                Some(n) => token = Some(n),
                None => break,
            }
        }
        // In the order they were written.
        keys.sort();
        let mut out = Vec::new();
        for (written, key) in keys {
            if out.len() >= limit as usize {
                break;
            }
            let object = match self.api.get(&self.bucket, &key).await {
                Ok(o) => o,
                // What was read stands; the object that failed is read again next time.
                Err(_) if !out.is_empty() => break,
                Err(e) => return Err(e),
            };
            let skip = position
                .after
                .as_deref()
                .and_then(|a| a.rsplit_once('#'))
                .filter(|(k, _)| *k == key)
                .and_then(|(_, i)| i.parse::<usize>().ok())
                .map_or(0, |i| i + 1);
            let encrypted = object.sse.is_some();
            let mut at = 0;
            let mut index = 0;
            while at < object.body.len() {
                let len = payload::framed_len(&object.body[at..])
                    .unwrap_or(object.body.len() - at)
                    .min(object.body.len() - at);
                if index >= skip {
                    out.push(ReadRecord {
                        sequence: sequence(&key, index),
                        partition_key: String::new(),
                        data: object.body[at..at + len].to_vec(),
                        encrypted,
                        written_at: Some(written),
                    });
                }
                at += len;
                index += 1;
            }
            self.done.lock().insert(key);
        }
        position.token = None;
        Ok(out)
    }
}

/// How long after its first record an object's delivery counts as delayed: its buffer interval
/// and half a retry (Firehose retries a failed delivery every 5 s).
pub fn delayed_after(interval: Duration) -> Duration {
    interval + Duration::from_millis(2_500)
}
