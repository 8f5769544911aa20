//! Kinesis operations in the harness's own types. The only file that names Kinesis SDK types.

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    EncryptionType, PutRecordsRequestEntry, ShardIteratorType, StreamMode, StreamModeDetails,
};

use super::error::BackendError;
use super::sink::{EntryFailure, PutAck, ReadRecord};

/// One GetRecords answer.
#[derive(Debug, Clone)]
pub struct RecordsPage {
    /// Records in order.
    pub records: Vec<ReadRecord>,
    /// Where to continue (None: the shard is closed).
    pub next_iterator: Option<String>,
    /// How far behind the tip.
    pub millis_behind: i64,
}

/// Where an iterator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Oldest record.
    TrimHorizon,
    /// After the newest.
    Latest,
    /// At this sequence number.
    At(String),
    /// Just after this sequence number.
    After(String),
    /// The first record written at or after this time (since the Unix epoch).
    AtTimestamp(Duration),
}

/// One shard as ListShards describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    /// Shard id.
    pub id: String,
    /// The shards it came from (split: one; merge: two).
    pub parents: Vec<String>,
    /// First hash key.
    pub start_hash: u128,
    /// Last hash key.
    pub end_hash: u128,
    /// Still takes records (no ending sequence number).
    pub open: bool,
}

/// Stream status and encryption as DescribeStreamSummary gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// `ACTIVE`, `UPDATING`, `CREATING`, `DELETING`.
    pub status: String,
    /// `NONE` or `KMS`.
    pub encryption: String,
    /// Key id when encrypted.
    pub key_id: Option<String>,
    /// Open shards.
    pub open_shards: u32,
    /// The stream's ARN.
    pub arn: Option<String>,
}

/// An enhanced fan-out consumer, as DescribeStreamConsumer or ListStreamConsumers gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    /// Its name.
    pub name: String,
    /// Its ARN (what SubscribeToShard names).
    pub arn: String,
    /// `CREATING`, `ACTIVE` or `DELETING`.
    pub status: String,
}

impl ConsumerInfo {
    fn of(name: &str, arn: &str, status: &aws_sdk_kinesis::types::ConsumerStatus) -> Self {
        Self {
            name: name.to_owned(),
            arn: arn.to_owned(),
            status: status.as_str().to_owned(),
        }
    }
}

/// Kinesis, for one principal.
#[derive(Debug, Clone)]
pub struct KinesisApi {
    client: aws_sdk_kinesis::Client,
}

impl KinesisApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_kinesis::Client) -> Self {
        Self { client }
    }

    /// CreateStream, provisioned with `shards` or on-demand.
    pub async fn create_stream(
        &self,
        name: &str,
        shards: u32,
        on_demand: bool,
    ) -> Result<(), BackendError> {
        let mut req = self.client.create_stream().stream_name(name);
        if on_demand {
            let details = StreamModeDetails::builder()
                .stream_mode(StreamMode::OnDemand)
                .build()
                .map_err(|e| {
                    BackendError::new("CreateStream", "ConstructionFailure", e.to_string())
                })?;
            req = req.stream_mode_details(details);
        } else {
            req = req.shard_count(shards as i32);
        }
        req.send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateStream", e))?;
        Ok(())
    }

    /// RegisterStreamConsumer: an enhanced fan-out consumer `name` of the stream `stream_arn`.
    pub async fn register_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> Result<ConsumerInfo, BackendError> {
        let op = "RegisterStreamConsumer";
        let out = self
            .client
            .register_stream_consumer()
            .stream_arn(stream_arn)
            .consumer_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk(op, e))?;
        let c = out
            .consumer()
            .ok_or_else(|| BackendError::new(op, "ResponseError", "no consumer"))?;
        Ok(ConsumerInfo::of(
            c.consumer_name(),
            c.consumer_arn(),
            c.consumer_status(),
        ))
    }

    /// DescribeStreamConsumer, by the consumer's ARN.
    pub async fn describe_consumer(&self, arn: &str) -> Result<ConsumerInfo, BackendError> {
        let op = "DescribeStreamConsumer";
        let out = self
            .client
            .describe_stream_consumer()
            .consumer_arn(arn)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk(op, e))?;
        let c = out
            .consumer_description()
            .ok_or_else(|| BackendError::new(op, "ResponseError", "no description"))?;
        Ok(ConsumerInfo::of(
            c.consumer_name(),
            c.consumer_arn(),
            c.consumer_status(),
        ))
    }

    /// ListStreamConsumers: every consumer of the stream `stream_arn`, page by page.
    pub async fn list_consumers(
        &self,
        stream_arn: &str,
    ) -> Result<Vec<ConsumerInfo>, BackendError> {
        let op = "ListStreamConsumers";
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_stream_consumers()
                .stream_arn(stream_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk(op, e))?;
            out.extend(page.consumers().iter().map(|c| {
                ConsumerInfo::of(c.consumer_name(), c.consumer_arn(), c.consumer_status())
            }));
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }

    /// DeregisterStreamConsumer, by the consumer's ARN.
    pub async fn deregister_consumer(&self, arn: &str) -> Result<(), BackendError> {
        self.client
            .deregister_stream_consumer()
            .consumer_arn(arn)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeregisterStreamConsumer", e))?;
        Ok(())
    }

    /// DeleteStream.
    pub async fn delete_stream(&self, name: &str) -> Result<(), BackendError> {
        self.client
            .delete_stream()
            .stream_name(name)
            .enforce_consumer_deletion(true)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteStream", e))?;
        Ok(())
    }

    /// DescribeStreamSummary.
    pub async fn describe(&self, name: &str) -> Result<StreamInfo, BackendError> {
        let out = self
            .client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DescribeStreamSummary", e))?;
        let d = out.stream_description_summary().ok_or_else(|| {
            BackendError::new("DescribeStreamSummary", "ResponseError", "no summary")
        })?;
        Ok(StreamInfo {
            status: d.stream_status().as_str().to_string(),
            encryption: d
                .encryption_type()
                .map(|e| e.as_str().to_string())
                .unwrap_or_else(|| "NONE".into()),
            key_id: d.key_id().map(str::to_string),
            open_shards: d.open_shard_count() as u32,
            arn: Some(d.stream_arn().to_string()).filter(|a| !a.is_empty()),
        })
    }

    /// StartStreamEncryption with a KMS key (id, ARN or alias, e.g. `alias/aws/kinesis`).
    pub async fn start_encryption(&self, name: &str, key_id: &str) -> Result<(), BackendError> {
        self.client
            .start_stream_encryption()
            .stream_name(name)
            .encryption_type(EncryptionType::Kms)
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("StartStreamEncryption", e))?;
        Ok(())
    }

    /// StopStreamEncryption.
    pub async fn stop_encryption(&self, name: &str, key_id: &str) -> Result<(), BackendError> {
        self.client
            .stop_stream_encryption()
            .stream_name(name)
            .encryption_type(EncryptionType::Kms)
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("StopStreamEncryption", e))?;
        Ok(())
    }

    /// ListStreams, every page (at most 1,000 pages).
    pub async fn list_streams(&self) -> Result<Vec<String>, BackendError> {
        let mut names: Vec<String> = Vec::new();
        for _ in 0..1000 {
            let out = self
                .client
                .list_streams()
                .set_exclusive_start_stream_name(names.last().cloned())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListStreams", e))?;
            let page = out.stream_names();
            names.extend(page.iter().cloned());
            if !out.has_more_streams() || page.is_empty() {
                break;
            }
        }
        Ok(names)
    }

    /// AddTagsToStream (at most 10 tags a call, as AWS allows).
    pub async fn add_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        let mut req = self.client.add_tags_to_stream().stream_name(name);
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        req.send()
            .await
            .map_err(|e| BackendError::from_sdk("AddTagsToStream", e))?;
        Ok(())
    }

    /// ListTagsForStream, every page (bounded by the 50 tags a stream may hold).
    pub async fn list_tags(
        &self,
        name: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, BackendError> {
        let mut tags = std::collections::BTreeMap::new();
        let mut start: Option<String> = None;
        for _ in 0..60 {
            let out = self
                .client
                .list_tags_for_stream()
                .stream_name(name)
                .set_exclusive_start_tag_key(start.clone())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListTagsForStream", e))?;
            for t in out.tags() {
                tags.insert(
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                );
            }
            start = out.tags().last().map(|t| t.key().to_string());
            if !out.has_more_tags() || start.is_none() {
                break;
            }
        }
        Ok(tags)
    }

    /// ListShards: shard ids.
    pub async fn list_shards(&self, name: &str) -> Result<Vec<String>, BackendError> {
        let out = self
            .client
            .list_shards()
            .stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListShards", e))?;
        Ok(out
            .shards()
            .iter()
            .map(|s| s.shard_id().to_string())
            .collect())
    }

    /// ListShards, every page: each shard, open or closed, with its parents and hash range.
    pub async fn shards(&self, name: &str) -> Result<Vec<ShardInfo>, BackendError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..1000 {
            let req = self.client.list_shards();
            let req = match token.take() {
                Some(t) => req.next_token(t),
                None => req.stream_name(name),
            };
            let out = req
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListShards", e))?;
            for s in out.shards() {
                let range = s.hash_key_range();
                let hash = |f: fn(&aws_sdk_kinesis::types::HashKeyRange) -> &str| {
                    range.and_then(|r| f(r).parse::<u128>().ok()).unwrap_or(0)
                };
                all.push(ShardInfo {
                    id: s.shard_id().to_string(),
                    parents: s
                        .parent_shard_id()
                        .into_iter()
                        .chain(s.adjacent_parent_shard_id())
                        .map(str::to_string)
                        .collect(),
                    start_hash: hash(|r| r.starting_hash_key()),
                    end_hash: hash(|r| r.ending_hash_key()),
                    open: s
                        .sequence_number_range()
                        .is_none_or(|r| r.ending_sequence_number().is_none()),
                });
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// SplitShard at `new_starting_hash`.
    pub async fn split_shard(
        &self,
        name: &str,
        shard: &str,
        new_starting_hash: u128,
    ) -> Result<(), BackendError> {
        self.client
            .split_shard()
            .stream_name(name)
            .shard_to_split(shard)
            .new_starting_hash_key(new_starting_hash.to_string())
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("SplitShard", e))?;
        Ok(())
    }

    /// MergeShards of two adjacent shards.
    pub async fn merge_shards(&self, name: &str, a: &str, b: &str) -> Result<(), BackendError> {
        self.client
            .merge_shards()
            .stream_name(name)
            .shard_to_merge(a)
            .adjacent_shard_to_merge(b)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("MergeShards", e))?;
        Ok(())
    }

    /// UpdateShardCount (uniform scaling).
    pub async fn update_shard_count(&self, name: &str, target: i32) -> Result<(), BackendError> {
        self.client
            .update_shard_count()
            .stream_name(name)
            .target_shard_count(target)
            .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("UpdateShardCount", e))?;
        Ok(())
    }

    /// DescribeStream: shard ids with their hash ranges (start, end as decimal strings).
    pub async fn describe_shards(
        &self,
        name: &str,
    ) -> Result<Vec<(String, String, String)>, BackendError> {
        let out = self
            .client
            .describe_stream()
            .stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DescribeStream", e))?;
        let d = out.stream_description().ok_or_else(|| {
            BackendError::new("DescribeStream", "ResponseError", "no description")
        })?;
        Ok(d.shards()
            .iter()
            .map(|s| {
                let r = s.hash_key_range();
                (
                    s.shard_id().to_string(),
                    r.map(|r| r.starting_hash_key().to_string())
                        .unwrap_or_default(),
                    r.map(|r| r.ending_hash_key().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect())
    }

    /// PutRecord.
    pub async fn put_record(
        &self,
        stream: &str,
        partition_key: &str,
        data: Vec<u8>,
    ) -> Result<PutAck, BackendError> {
        let out = self
            .client
            .put_record()
            .stream_name(stream)
            .partition_key(partition_key)
            .data(Blob::new(data))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutRecord", e))?;
        Ok(PutAck {
            shard_id: out.shard_id().to_string(),
            sequence: out.sequence_number().to_string(),
        })
    }

    /// PutRecords: per-entry outcome, in order.
    pub async fn put_records(
        &self,
        stream: &str,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<Result<PutAck, EntryFailure>>, BackendError> {
        let mut req = self.client.put_records().stream_name(stream);
        for (pk, data) in entries {
            let entry = PutRecordsRequestEntry::builder()
                .partition_key(pk)
                .data(Blob::new(data))
                .build()
                .map_err(|e| {
                    BackendError::new("PutRecords", "ConstructionFailure", e.to_string())
                })?;
            req = req.records(entry);
        }
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutRecords", e))?;
        Ok(out
            .records()
            .iter()
            .map(
                |r| match (r.sequence_number(), r.shard_id(), r.error_code()) {
                    (Some(seq), Some(shard), None) => Ok(PutAck {
                        shard_id: shard.to_string(),
                        sequence: seq.to_string(),
                    }),
                    _ => Err(EntryFailure {
                        code: r.error_code().unwrap_or("InternalFailure").to_string(),
                        message: r.error_message().unwrap_or_default().to_string(),
                    }),
                },
            )
            .collect())
    }

    /// GetShardIterator.
    pub async fn shard_iterator(
        &self,
        stream: &str,
        shard_id: &str,
        start: &Start,
    ) -> Result<String, BackendError> {
        let mut req = self
            .client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard_id);
        req = match start {
            Start::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Start::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            Start::At(s) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(s),
            Start::After(s) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(s),
            Start::AtTimestamp(t) => req
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(aws_smithy_types::DateTime::from_secs_f64(t.as_secs_f64())),
        };
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetShardIterator", e))?;
        out.shard_iterator()
            .map(str::to_string)
            .ok_or_else(|| BackendError::new("GetShardIterator", "ResponseError", "no iterator"))
    }

    /// GetShardIterator at a timestamp.
    pub async fn shard_iterator_at(
        &self,
        stream: &str,
        shard_id: &str,
        at: Duration,
    ) -> Result<String, BackendError> {
        let out = self
            .client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard_id)
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(aws_smithy_types::DateTime::from_secs_f64(at.as_secs_f64()))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetShardIterator", e))?;
        out.shard_iterator()
            .map(str::to_string)
            .ok_or_else(|| BackendError::new("GetShardIterator", "ResponseError", "no iterator"))
    }

    /// GetRecords.
    pub async fn get_records(
        &self,
        iterator: &str,
        limit: i32,
    ) -> Result<RecordsPage, BackendError> {
        let out = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(limit)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetRecords", e))?;
        let records = out
            .records()
            .iter()
            .map(|r| ReadRecord {
                sequence: r.sequence_number().to_string(),
                partition_key: r.partition_key().unwrap_or_default().to_string(),
                data: r.data().as_ref().to_vec(),
                encrypted: r.encryption_type() == Some(&EncryptionType::Kms),
                written_at: None,
            })
            .collect();
        Ok(RecordsPage {
            records,
            next_iterator: out.next_shard_iterator().map(str::to_string),
            millis_behind: out.millis_behind_latest().unwrap_or(0),
        })
    }
}
