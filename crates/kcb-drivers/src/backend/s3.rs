//! S3 through the real `aws-sdk-s3` client: the bucket a Firehose path delivers to, and the
//! objects a consumer lists and reads there.

use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::BackendError;

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// Its key.
    pub key: String,
    /// Bytes.
    pub size: i64,
    /// When it was written, since the Unix epoch (S3 lists milliseconds).
    pub last_modified: Duration,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPage {
    /// The objects, in key order.
    pub objects: Vec<ListedObject>,
    /// The token of the next page.
    pub next: Option<String>,
}

/// An object read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GotObject {
    /// Its bytes.
    pub body: Vec<u8>,
    /// `aws:kms` (or `AES256`) when encrypted at rest.
    pub sse: Option<String>,
    /// The KMS key, for `aws:kms`.
    pub kms_key: Option<String>,
}

/// S3 for one principal.
#[derive(Debug, Clone)]
pub struct S3Api {
    client: aws_sdk_s3::Client,
}

fn since_epoch(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Duration {
    t.and_then(|t| std::time::SystemTime::try_from(*t).ok())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default()
}

impl S3Api {
    /// Wrap a client.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// The region the client signs for.
    pub fn region(&self) -> String {
        self.client
            .config()
            .region()
            .map_or_else(|| "us-east-1".to_string(), ToString::to_string)
    }

    /// CreateBucket (in `region`; us-east-1 takes no location constraint).
    pub async fn create_bucket(&self, bucket: &str, region: &str) -> Result<(), BackendError> {
        let mut req = self.client.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateBucket", e))?;
        Ok(())
    }

    /// HeadBucket: whether it exists (and the caller may list it).
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, BackendError> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = BackendError::from_sdk("HeadBucket", e);
                if e.code == "NotFound" || e.code == "NoSuchBucket" {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// DeleteBucket (it must be empty).
    pub async fn delete_bucket(&self, bucket: &str) -> Result<(), BackendError> {
        self.client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteBucket", e))?;
        Ok(())
    }

    /// Delete every object under `prefix`; how many.
    pub async fn delete_objects_under(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<u64, BackendError> {
        let mut removed = 0;
        loop {
            // Each page is listed afresh: what was deleted is gone from the next listing.
            let page = self.list(bucket, prefix, None, None).await?;
            for o in &page.objects {
                self.delete_object(bucket, &o.key).await?;
                removed += 1;
            }
            if page.next.is_none() {
                return Ok(removed);
            }
        }
    }

    /// Every object in the bucket, then the bucket itself; how many objects.
    pub async fn empty_and_delete_bucket(&self, bucket: &str) -> Result<u64, BackendError> {
        let removed = self.delete_objects_under(bucket, "").await?;
        self.delete_bucket(bucket).await?;
        Ok(removed)
    }

    /// ListObjectsV2: one page of the objects under `prefix` after `start_after` (or from a
    /// continuation token).
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        continuation: Option<&str>,
    ) -> Result<ObjectPage, BackendError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_start_after(start_after.map(str::to_owned))
            .set_continuation_token(continuation.map(str::to_owned))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListObjectsV2", e))?;
        Ok(ObjectPage {
            objects: out
                .contents()
                .iter()
                .map(|o| ListedObject {
                    key: o.key().unwrap_or_default().to_string(),
                    size: o.size().unwrap_or_default(),
                    last_modified: since_epoch(o.last_modified()),
                })
                .collect(),
            next: out
                .is_truncated()
                .unwrap_or(false)
                .then(|| out.next_continuation_token().map(str::to_owned))
                .flatten(),
        })
    }

    /// GetObject: its bytes and encryption.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<GotObject, BackendError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetObject", e))?;
        let sse = out.server_side_encryption().map(|s| s.as_str().to_string());
        let kms_key = out.ssekms_key_id().map(str::to_string);
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| BackendError::new("GetObject", "ResponseError", e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(GotObject { body, sse, kms_key })
    }

    /// PutObject, with SSE-KMS under `kms_key` when given (`Some(None)`: the AWS-managed key).
    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        kms_key: Option<Option<&str>>,
    ) -> Result<(), BackendError> {
        let mut req = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body));
        if let Some(k) = kms_key {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(k.map(str::to_owned));
        }
        req.send()
            .await
            .map_err(|e| BackendError::from_sdk("PutObject", e))?;
        Ok(())
    }

    /// DeleteObject.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), BackendError> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteObject", e))?;
        Ok(())
    }
}
