//! Firehose delivery streams through the real `aws-sdk-firehose` client.

use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamEncryptionConfigurationInput,
    DeliveryStreamType, EncryptionConfiguration, ExtendedS3DestinationConfiguration, KeyType,
    KinesisStreamSourceConfiguration, KmsEncryptionConfig, NoEncryptionConfig, Record, Tag,
};

use super::BackendError;

/// Which key a delivery stream's encryption uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirehoseKey {
    /// AWS's own key (`AWS_OWNED_CMK`).
    AwsOwned,
    /// A key of the account (`CUSTOMER_MANAGED_CMK`), by ARN.
    CustomerManaged(String),
}

impl FirehoseKey {
    fn input(&self) -> Result<DeliveryStreamEncryptionConfigurationInput, BackendError> {
        let b = DeliveryStreamEncryptionConfigurationInput::builder();
        let b = match self {
            FirehoseKey::AwsOwned => b.key_type(KeyType::AwsOwnedCmk),
            FirehoseKey::CustomerManaged(arn) => {
                b.key_type(KeyType::CustomerManagedCmk).key_arn(arn)
            }
        };
        b.build().map_err(|e| {
            BackendError::new(
                "StartDeliveryStreamEncryption",
                "ConstructionFailure",
                e.to_string(),
            )
        })
    }
}

/// Where a delivery stream reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirehoseSource {
    /// PutRecord and PutRecordBatch.
    DirectPut,
    /// A Kinesis stream, read with a role.
    KinesisStream {
        /// The stream's ARN.
        stream_arn: String,
        /// The role's ARN.
        role_arn: String,
    },
}

/// An S3 destination for CreateDeliveryStream (ExtendedS3DestinationConfiguration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirehoseDestination {
    /// The bucket's ARN.
    pub bucket_arn: String,
    /// The role Firehose delivers as.
    pub role_arn: String,
    /// Object key prefix.
    pub prefix: String,
    /// Buffer size hint, MiB (1 to 128).
    pub size_mib: i32,
    /// Buffer interval hint, seconds (0 to 900).
    pub interval_secs: i32,
    /// The destination's SSE-KMS key (KMSEncryptionConfig), if any.
    pub kms_key_arn: Option<String>,
}

impl FirehoseDestination {
    fn input(&self) -> Result<ExtendedS3DestinationConfiguration, BackendError> {
        let fail = |e: aws_sdk_firehose::error::BuildError| {
            BackendError::new("CreateDeliveryStream", "ConstructionFailure", e.to_string())
        };
        let encryption = match &self.kms_key_arn {
            Some(k) => EncryptionConfiguration::builder()
                .kms_encryption_config(
                    KmsEncryptionConfig::builder()
                        .awskms_key_arn(k)
                        .build()
                        .map_err(fail)?,
                )
                .build(),
            None => EncryptionConfiguration::builder()
                .no_encryption_config(NoEncryptionConfig::NoEncryption)
                .build(),
        };
        ExtendedS3DestinationConfiguration::builder()
            .bucket_arn(&self.bucket_arn)
            .role_arn(&self.role_arn)
            .prefix(&self.prefix)
            .buffering_hints(
                BufferingHints::builder()
                    .size_in_mbs(self.size_mib)
                    .interval_in_seconds(self.interval_secs)
                    .build(),
            )
            .compression_format(CompressionFormat::Uncompressed)
            .encryption_configuration(encryption)
            .build()
            .map_err(fail)
    }
}

/// What DescribeDeliveryStream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStreamInfo {
    /// `CREATING`, `ACTIVE`, ...
    pub status: String,
    /// `DirectPut` or `KinesisStreamAsSource`.
    pub kind: String,
    /// Encryption status: `ENABLED`, `ENABLING`, `ENABLING_FAILED`, `DISABLED`, `DISABLING`.
    pub encryption: String,
    /// `AWS_OWNED_CMK` or `CUSTOMER_MANAGED_CMK`, when a key is set.
    pub key_type: Option<String>,
    /// The customer-managed key's ARN.
    pub key_arn: Option<String>,
    /// The failure type behind an `ENABLING_FAILED` (e.g. `DISABLED_KMS_KEY`).
    pub failure: Option<String>,
    /// The configuration's version.
    pub version: String,
    /// Its S3 destination, if it has one: bucket ARN, prefix, SSE-KMS key.
    pub destination: Option<(String, String, Option<String>)>,
    /// The source stream's ARN, when it reads a Kinesis stream.
    pub source_stream: Option<String>,
}

/// The answer to a PutRecordBatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAck {
    /// Entries that failed.
    pub failed: i32,
    /// Whether the records are encrypted at rest.
    pub encrypted: bool,
    /// Each entry's record id, or its error code.
    pub entries: Vec<Result<String, String>>,
}

/// Firehose for one principal.
#[derive(Debug, Clone)]
pub struct FirehoseApi {
    client: aws_sdk_firehose::Client,
}

impl FirehoseApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_firehose::Client) -> Self {
        Self { client }
    }

    /// CreateDeliveryStream without a destination: its ARN.
    pub async fn create(
        &self,
        name: &str,
        source: &FirehoseSource,
        key: Option<&FirehoseKey>,
        tags: &[(&str, &str)],
    ) -> Result<String, BackendError> {
        self.create_to(name, source, key, None, tags).await
    }

    /// CreateDeliveryStream delivering to `destination`: its ARN.
    pub async fn create_to(
        &self,
        name: &str,
        source: &FirehoseSource,
        key: Option<&FirehoseKey>,
        destination: Option<&FirehoseDestination>,
        tags: &[(&str, &str)],
    ) -> Result<String, BackendError> {
        let mut req = self
            .client
            .create_delivery_stream()
            .delivery_stream_name(name);
        req = match source {
            FirehoseSource::DirectPut => req.delivery_stream_type(DeliveryStreamType::DirectPut),
            FirehoseSource::KinesisStream {
                stream_arn,
                role_arn,
            } => req
                .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
                .kinesis_stream_source_configuration(
                    KinesisStreamSourceConfiguration::builder()
                        .kinesis_stream_arn(stream_arn)
                        .role_arn(role_arn)
                        .build()
                        .map_err(|e| {
                            BackendError::new(
                                "CreateDeliveryStream",
                                "ConstructionFailure",
                                e.to_string(),
                            )
                        })?,
                ),
        };
        if let Some(k) = key {
            req = req.delivery_stream_encryption_configuration_input(k.input()?);
        }
        if let Some(d) = destination {
            req = req.extended_s3_destination_configuration(d.input()?);
        }
        for (k, v) in tags {
            req = req.tags(tag(k, v)?);
        }
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateDeliveryStream", e))?;
        Ok(out.delivery_stream_arn().unwrap_or_default().to_string())
    }

    /// DescribeDeliveryStream.
    pub async fn describe(&self, name: &str) -> Result<DeliveryStreamInfo, BackendError> {
        let out = self
            .client
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DescribeDeliveryStream", e))?;
        let d = out.delivery_stream_description().ok_or_else(|| {
            BackendError::new("DescribeDeliveryStream", "ResponseError", "no description")
        })?;
        let enc = d.delivery_stream_encryption_configuration();
        Ok(DeliveryStreamInfo {
            status: d.delivery_stream_status().as_str().to_string(),
            kind: d.delivery_stream_type().as_str().to_string(),
            encryption: enc
                .and_then(|e| e.status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "DISABLED".into()),
            key_type: enc
                .and_then(|e| e.key_type())
                .map(|k| k.as_str().to_string()),
            key_arn: enc.and_then(|e| e.key_arn()).map(str::to_string),
            failure: enc
                .and_then(|e| e.failure_description())
                .map(|f| f.r#type().as_str().to_string()),
            version: d.version_id().to_string(),
            source_stream: d
                .source()
                .and_then(|s| s.kinesis_stream_source_description())
                .and_then(|k| k.kinesis_stream_arn())
                .map(str::to_string),
            destination: d
                .destinations()
                .iter()
                .find_map(|x| x.extended_s3_destination_description())
                .map(|x| {
                    (
                        x.bucket_arn().to_string(),
                        x.prefix().unwrap_or_default().to_string(),
                        x.encryption_configuration()
                            .and_then(|e| e.kms_encryption_config())
                            .map(|k| k.awskms_key_arn().to_string()),
                    )
                }),
        })
    }

    /// One page of ListDeliveryStreams: at most `limit` names after `after`, and whether there
    /// are more.
    pub async fn list_page(
        &self,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), BackendError> {
        let out = self
            .client
            .list_delivery_streams()
            .limit(limit)
            .set_exclusive_start_delivery_stream_name(after.map(str::to_owned))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListDeliveryStreams", e))?;
        Ok((
            out.delivery_stream_names().to_vec(),
            out.has_more_delivery_streams(),
        ))
    }

    /// ListDeliveryStreams, every page (at most 100 pages of 10,000): the names.
    pub async fn list(&self) -> Result<Vec<String>, BackendError> {
        let mut names: Vec<String> = Vec::new();
        for _ in 0..100 {
            let (page, more) = self
                .list_page(10_000, names.last().map(String::as_str))
                .await?;
            let empty = page.is_empty();
            names.extend(page);
            if !more || empty {
                break;
            }
        }
        Ok(names)
    }

    /// DeleteDeliveryStream.
    pub async fn delete(&self, name: &str) -> Result<(), BackendError> {
        self.client
            .delete_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteDeliveryStream", e))?;
        Ok(())
    }

    /// StartDeliveryStreamEncryption.
    pub async fn start_encryption(
        &self,
        name: &str,
        key: &FirehoseKey,
    ) -> Result<(), BackendError> {
        self.client
            .start_delivery_stream_encryption()
            .delivery_stream_name(name)
            .delivery_stream_encryption_configuration_input(key.input()?)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("StartDeliveryStreamEncryption", e))?;
        Ok(())
    }

    /// StopDeliveryStreamEncryption.
    pub async fn stop_encryption(&self, name: &str) -> Result<(), BackendError> {
        self.client
            .stop_delivery_stream_encryption()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("StopDeliveryStreamEncryption", e))?;
        Ok(())
    }

    /// TagDeliveryStream.
    pub async fn tag(&self, name: &str, tags: &[(&str, &str)]) -> Result<(), BackendError> {
        let mut req = self.client.tag_delivery_stream().delivery_stream_name(name);
        for (k, v) in tags {
            req = req.tags(tag(k, v)?);
        }
        req.send()
            .await
            .map_err(|e| BackendError::from_sdk("TagDeliveryStream", e))?;
        Ok(())
    }

    /// ListTagsForDeliveryStream.
    pub async fn tags(&self, name: &str) -> Result<Vec<(String, String)>, BackendError> {
        let out = self
            .client
            .list_tags_for_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListTagsForDeliveryStream", e))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }

    /// PutRecord: its record id and whether it is encrypted at rest.
    pub async fn put_record(
        &self,
        name: &str,
        data: Vec<u8>,
    ) -> Result<(String, bool), BackendError> {
        let record = Record::builder()
            .data(Blob::new(data))
            .build()
            .map_err(|e| BackendError::new("PutRecord", "ConstructionFailure", e.to_string()))?;
        let out = self
            .client
            .put_record()
            .delivery_stream_name(name)
            .record(record)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutRecord", e))?;
        Ok((
            out.record_id().to_string(),
            out.encrypted().unwrap_or(false),
        ))
    }

    /// PutRecordBatch.
    pub async fn put_record_batch(
        &self,
        name: &str,
        records: Vec<Vec<u8>>,
    ) -> Result<BatchAck, BackendError> {
        let mut req = self.client.put_record_batch().delivery_stream_name(name);
        for data in records {
            req = req.records(
                Record::builder()
                    .data(Blob::new(data))
                    .build()
                    .map_err(|e| {
                        BackendError::new("PutRecordBatch", "ConstructionFailure", e.to_string())
                    })?,
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutRecordBatch", e))?;
        Ok(BatchAck {
            failed: out.failed_put_count(),
            encrypted: out.encrypted().unwrap_or(false),
            entries: out
                .request_responses()
                .iter()
                .map(|r| match (r.record_id(), r.error_code()) {
                    (Some(id), None) => Ok(id.to_string()),
                    (_, code) => Err(code.unwrap_or("InternalFailure").to_string()),
                })
                .collect(),
        })
    }
}

fn tag(k: &str, v: &str) -> Result<Tag, BackendError> {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .map_err(|e| BackendError::new("TagDeliveryStream", "ConstructionFailure", e.to_string()))
}
