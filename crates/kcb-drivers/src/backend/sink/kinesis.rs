//! Kinesis Data Streams as a [`Sink`] (PutRecord, PutRecords, DescribeStreamSummary) and a
//! [`Source`] (ListShards, GetShardIterator, GetRecords): the iterator is the position's
//! cursor, taken again after the last consumed record when it is missing or has expired.

use async_trait::async_trait;

use super::{
    EntryFailure, OutRecord, Partition, Position, PutAck, ReadRecord, Sink, SinkInfo, Source,
};
use crate::backend::{BackendError, KinesisApi, Start};

/// A stream written as the producer role.
#[derive(Debug, Clone)]
pub struct KinesisSink {
    api: KinesisApi,
    stream: String,
}

impl KinesisSink {
    /// Put into `stream` with the producer's client.
    pub fn new(api: KinesisApi, stream: &str) -> Self {
        Self {
            api,
            stream: stream.to_owned(),
        }
    }
}

#[async_trait]
impl Sink for KinesisSink {
    fn service(&self) -> &'static str {
        "kinesis"
    }

    fn destination(&self) -> &str {
        &self.stream
    }

    async fn put(&self, record: OutRecord) -> Result<PutAck, BackendError> {
        self.api
            .put_record(&self.stream, &record.partition_key, record.data)
            .await
    }

    async fn put_batch(
        &self,
        records: Vec<OutRecord>,
    ) -> Result<Vec<Result<PutAck, EntryFailure>>, BackendError> {
        let entries = records
            .into_iter()
            .map(|r| (r.partition_key, r.data))
            .collect();
        self.api.put_records(&self.stream, entries).await
    }

    async fn describe(&self) -> Result<SinkInfo, BackendError> {
        let i = self.api.describe(&self.stream).await?;
        Ok(SinkInfo {
            status: i.status,
            encryption: i.encryption,
            key_id: i.key_id,
            partitions: i.open_shards,
        })
    }
}

/// A stream read as the consumer role.
#[derive(Debug, Clone)]
pub struct KinesisSource {
    api: KinesisApi,
    stream: String,
    /// Where a shard is first read: its oldest record, or (an existing stream, which holds
    /// records of others) the first written at or after this time since the Unix epoch.
    from: Option<std::time::Duration>,
}

impl KinesisSource {
    /// Read `stream` with the consumer's client, from each shard's oldest record.
    pub fn new(api: KinesisApi, stream: &str) -> Self {
        Self {
            api,
            stream: stream.to_owned(),
            from: None,
        }
    }

    /// Read from the first record written at or after `t` (since the Unix epoch).
    pub fn starting_at(mut self, t: Option<std::time::Duration>) -> Self {
        self.from = t;
        self
    }
}

#[async_trait]
impl Source for KinesisSource {
    async fn partitions(&self) -> Result<Vec<Partition>, BackendError> {
        Ok(self
            .api
            .shards(&self.stream)
            .await?
            .into_iter()
            .map(|s| Partition {
                id: s.id,
                parents: s.parents,
            })
            .collect())
    }

    async fn read(
        &self,
        partition: &str,
        position: &mut Position,
        limit: u32,
    ) -> Result<Vec<ReadRecord>, BackendError> {
        let iterator = match &position.token {
            Some(it) => it.clone(),
            None => {
                let start = match &position.after {
                    Some(seq) => Start::After(seq.clone()),
                    None => match self.from {
                        Some(t) => Start::AtTimestamp(t),
                        None => Start::TrimHorizon,
                    },
                };
                let it = self
                    .api
                    .shard_iterator(&self.stream, partition, &start)
                    .await?;
                position.token = Some(it.clone());
                it
            }
        };
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        match self.api.get_records(&iterator, limit).await {
            Ok(page) => {
                position.ended = page.next_iterator.is_none();
                position.token = page.next_iterator;
                Ok(page.records)
            }
            Err(e) => {
                if e.code == "ExpiredIteratorException" {
                    position.rewind();
                }
                Err(e)
            }
        }
    }
}
