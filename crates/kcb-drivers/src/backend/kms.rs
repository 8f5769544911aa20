//! KMS operations in the harness's own types. The only file that names KMS SDK types.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use zeroize::Zeroizing;

use super::error::BackendError;

/// A key's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id.
    pub id: String,
    /// Key ARN.
    pub arn: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
}

/// What DescribeKey says of a key beyond [`KeyInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDetails {
    /// Id, ARN and state.
    pub info: KeyInfo,
    /// `AWS` or `CUSTOMER`.
    pub manager: String,
    /// When a key pending deletion is deleted (RFC 3339).
    pub deletion_date: Option<String>,
}

/// A data key from GenerateDataKey. The plaintext is zeroized on drop and never printed.
pub struct DataKeyOut {
    /// 256-bit plaintext key.
    pub plaintext: Zeroizing<[u8; 32]>,
    /// CiphertextBlob.
    pub blob: Vec<u8>,
    /// ARN of the KMS key.
    pub key_arn: String,
}

impl std::fmt::Debug for DataKeyOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeyOut")
            .field("plaintext", &"<redacted>")
            .field("key_arn", &self.key_arn)
            .finish()
    }
}

fn context(ctx: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!ctx.is_empty()).then(|| ctx.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn key32(op: &'static str, bytes: Option<&Blob>) -> Result<Zeroizing<[u8; 32]>, BackendError> {
    let b = bytes.ok_or_else(|| BackendError::new(op, "ResponseError", "no plaintext"))?;
    let mut k = Zeroizing::new([0u8; 32]);
    if b.as_ref().len() != 32 {
        return Err(BackendError::new(
            op,
            "ResponseError",
            "plaintext is not 32 bytes",
        ));
    }
    k.copy_from_slice(b.as_ref());
    Ok(k)
}

fn key_info(
    op: &'static str,
    m: Option<&aws_sdk_kms::types::KeyMetadata>,
) -> Result<KeyInfo, BackendError> {
    let m = m.ok_or_else(|| BackendError::new(op, "ResponseError", "no metadata"))?;
    Ok(KeyInfo {
        id: m.key_id().to_string(),
        arn: m.arn().unwrap_or_default().to_string(),
        state: m
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    })
}

/// KMS, for one principal.
#[derive(Debug, Clone)]
pub struct KmsApi {
    client: aws_sdk_kms::Client,
}

impl KmsApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }

    /// CreateKey (symmetric).
    pub async fn create_key(&self, description: &str) -> Result<KeyInfo, BackendError> {
        let out = self
            .client
            .create_key()
            .description(description)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateKey", e))?;
        key_info("CreateKey", out.key_metadata())
    }

    /// GetKeyPolicy: the key's policy document (JSON text).
    pub async fn key_policy(&self, key: &str) -> Result<String, BackendError> {
        let out = self
            .client
            .get_key_policy()
            .key_id(key)
            .policy_name(crate::keypolicy::DEFAULT_POLICY_NAME)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetKeyPolicy", e))?;
        out.policy().map(str::to_owned).ok_or_else(|| {
            BackendError::new("GetKeyPolicy", "MissingPolicy", "no Policy in the answer")
        })
    }

    /// PutKeyPolicy (KMS's lockout safety check applies).
    pub async fn put_key_policy(&self, key: &str, policy: &str) -> Result<(), BackendError> {
        self.client
            .put_key_policy()
            .key_id(key)
            .policy_name(crate::keypolicy::DEFAULT_POLICY_NAME)
            .policy(policy)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutKeyPolicy", e))?;
        Ok(())
    }

    /// DescribeKey.
    pub async fn describe_key(&self, key: &str) -> Result<KeyInfo, BackendError> {
        self.key_details(key).await.map(|d| d.info)
    }

    /// DescribeKey, with who manages the key and when a pending deletion happens.
    pub async fn key_details(&self, key: &str) -> Result<KeyDetails, BackendError> {
        let out = self
            .client
            .describe_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DescribeKey", e))?;
        let info = key_info("DescribeKey", out.key_metadata())?;
        let m = out.key_metadata();
        Ok(KeyDetails {
            info,
            manager: m
                .and_then(|m| m.key_manager())
                .map(|k| k.as_str().to_string())
                .unwrap_or_default(),
            deletion_date: m
                .and_then(|m| m.deletion_date())
                .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        })
    }

    /// ListKeys, every page (at most 1,000): key ids.
    pub async fn list_keys(&self) -> Result<Vec<String>, BackendError> {
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..1000 {
            let out = self
                .client
                .list_keys()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListKeys", e))?;
            ids.extend(
                out.keys()
                    .iter()
                    .filter_map(|k| k.key_id().map(str::to_string)),
            );
            marker = out.next_marker().map(str::to_string);
            if !out.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(ids)
    }

    /// One ListKeys request of one key: a call CloudTrail logs like any other, so that, once it
    /// appears there, the calls before it have most likely been delivered too.
    pub async fn mark(&self) -> Result<(), BackendError> {
        self.client
            .list_keys()
            .limit(1)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListKeys", e))?;
        Ok(())
    }

    /// CreateKey (symmetric) with resource tags.
    pub async fn create_key_tagged(
        &self,
        description: &str,
        tags: &BTreeMap<String, String>,
        policy: Option<&str>,
    ) -> Result<KeyInfo, BackendError> {
        let mut req = self
            .client
            .create_key()
            .description(description)
            .set_policy(policy.map(str::to_owned));
        for (k, v) in tags {
            let tag = aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| BackendError::new("CreateKey", "InvalidTag", e.to_string()))?;
            req = req.tags(tag);
        }
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateKey", e))?;
        key_info("CreateKey", out.key_metadata())
    }

    /// ListResourceTags, every page (a key holds at most 50).
    pub async fn key_tags(&self, key: &str) -> Result<BTreeMap<String, String>, BackendError> {
        let mut tags = BTreeMap::new();
        let mut marker: Option<String> = None;
        for _ in 0..60 {
            let out = self
                .client
                .list_resource_tags()
                .key_id(key)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListResourceTags", e))?;
            for t in out.tags() {
                tags.insert(t.tag_key().to_string(), t.tag_value().to_string());
            }
            marker = out.next_marker().map(str::to_string);
            if !out.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(tags)
    }

    /// DeleteAlias.
    pub async fn delete_alias(&self, alias: &str) -> Result<(), BackendError> {
        self.client
            .delete_alias()
            .alias_name(alias)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteAlias", e))?;
        Ok(())
    }

    /// CreateAlias.
    pub async fn create_alias(&self, alias: &str, key: &str) -> Result<(), BackendError> {
        self.client
            .create_alias()
            .alias_name(alias)
            .target_key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateAlias", e))?;
        Ok(())
    }

    /// ListAliases, every page (at most 1,000): (alias, target key id).
    pub async fn list_aliases(&self) -> Result<Vec<(String, String)>, BackendError> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..1000 {
            let out = self
                .client
                .list_aliases()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| BackendError::from_sdk("ListAliases", e))?;
            all.extend(out.aliases().iter().map(|a| {
                (
                    a.alias_name().unwrap_or_default().to_string(),
                    a.target_key_id().unwrap_or_default().to_string(),
                )
            }));
            marker = out.next_marker().map(str::to_string);
            if !out.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// GenerateDataKey (AES_256) bound to `ctx`.
    pub async fn generate_data_key(
        &self,
        key: &str,
        ctx: &BTreeMap<String, String>,
    ) -> Result<DataKeyOut, BackendError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(key)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(context(ctx))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GenerateDataKey", e))?;
        Ok(DataKeyOut {
            plaintext: key32("GenerateDataKey", out.plaintext())?,
            blob: out
                .ciphertext_blob()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
            key_arn: out.key_id().unwrap_or_default().to_string(),
        })
    }

    /// Decrypt a data key blob bound to `ctx`.
    pub async fn decrypt_data_key(
        &self,
        blob: &[u8],
        ctx: &BTreeMap<String, String>,
    ) -> Result<Zeroizing<[u8; 32]>, BackendError> {
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.to_vec()))
            .set_encryption_context(context(ctx))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("Decrypt", e))?;
        key32("Decrypt", out.plaintext())
    }

    /// Encrypt up to 4 KiB.
    pub async fn encrypt(
        &self,
        key: &str,
        plaintext: &[u8],
        ctx: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, BackendError> {
        let out = self
            .client
            .encrypt()
            .key_id(key)
            .plaintext(Blob::new(plaintext.to_vec()))
            .set_encryption_context(context(ctx))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("Encrypt", e))?;
        Ok(out
            .ciphertext_blob()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default())
    }

    /// Decrypt arbitrary ciphertext.
    pub async fn decrypt(
        &self,
        blob: &[u8],
        ctx: &BTreeMap<String, String>,
    ) -> Result<Zeroizing<Vec<u8>>, BackendError> {
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.to_vec()))
            .set_encryption_context(context(ctx))
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("Decrypt", e))?;
        Ok(Zeroizing::new(
            out.plaintext()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
        ))
    }

    /// EnableKey.
    pub async fn enable_key(&self, key: &str) -> Result<(), BackendError> {
        self.client
            .enable_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("EnableKey", e))?;
        Ok(())
    }

    /// DisableKey.
    pub async fn disable_key(&self, key: &str) -> Result<(), BackendError> {
        self.client
            .disable_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DisableKey", e))?;
        Ok(())
    }

    /// ScheduleKeyDeletion with a waiting period in days (7..=30).
    pub async fn schedule_key_deletion(&self, key: &str, days: i32) -> Result<(), BackendError> {
        self.client
            .schedule_key_deletion()
            .key_id(key)
            .pending_window_in_days(days)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ScheduleKeyDeletion", e))?;
        Ok(())
    }

    /// CancelKeyDeletion (the key returns Disabled).
    pub async fn cancel_key_deletion(&self, key: &str) -> Result<(), BackendError> {
        self.client
            .cancel_key_deletion()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CancelKeyDeletion", e))?;
        Ok(())
    }

    /// EnableKeyRotation with a period in days.
    pub async fn enable_key_rotation(&self, key: &str, days: i32) -> Result<(), BackendError> {
        self.client
            .enable_key_rotation()
            .key_id(key)
            .rotation_period_in_days(days)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("EnableKeyRotation", e))?;
        Ok(())
    }

    /// GetKeyRotationStatus: (enabled, period days).
    pub async fn key_rotation_status(
        &self,
        key: &str,
    ) -> Result<(bool, Option<i32>), BackendError> {
        let out = self
            .client
            .get_key_rotation_status()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetKeyRotationStatus", e))?;
        Ok((out.key_rotation_enabled(), out.rotation_period_in_days()))
    }

    /// ListGrants of `key`: each grant's id, grantee and operations.
    pub async fn list_grants(
        &self,
        key: &str,
    ) -> Result<Vec<(String, String, Vec<String>)>, BackendError> {
        let out = self
            .client
            .list_grants()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListGrants", e))?;
        Ok(out
            .grants()
            .iter()
            .map(|g| {
                (
                    g.grant_id().unwrap_or_default().to_string(),
                    g.grantee_principal().unwrap_or_default().to_string(),
                    g.operations()
                        .iter()
                        .map(|o| o.as_str().to_string())
                        .collect(),
                )
            })
            .collect())
    }

    /// RevokeGrant.
    pub async fn revoke_grant(&self, key: &str, grant_id: &str) -> Result<(), BackendError> {
        self.client
            .revoke_grant()
            .key_id(key)
            .grant_id(grant_id)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("RevokeGrant", e))?;
        Ok(())
    }

    /// CreateGrant for `grantee` of `operations` on `key`: the grant's id and token.
    pub async fn create_grant(
        &self,
        key: &str,
        grantee: &str,
        operations: &[&str],
    ) -> Result<(String, String), BackendError> {
        let mut req = self
            .client
            .create_grant()
            .key_id(key)
            .grantee_principal(grantee);
        for op in operations {
            req = req.operations(aws_sdk_kms::types::GrantOperation::from(*op));
        }
        let out = req
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("CreateGrant", e))?;
        Ok((
            out.grant_id().unwrap_or_default().to_string(),
            out.grant_token().unwrap_or_default().to_string(),
        ))
    }

    /// RetireGrant by its token.
    pub async fn retire_grant(&self, token: &str) -> Result<(), BackendError> {
        self.client
            .retire_grant()
            .grant_token(token)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("RetireGrant", e))?;
        Ok(())
    }

    /// RotateKeyOnDemand.
    pub async fn rotate_on_demand(&self, key: &str) -> Result<(), BackendError> {
        self.client
            .rotate_key_on_demand()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("RotateKeyOnDemand", e))?;
        Ok(())
    }

    /// DisableKeyRotation.
    pub async fn disable_key_rotation(&self, key: &str) -> Result<(), BackendError> {
        self.client
            .disable_key_rotation()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DisableKeyRotation", e))?;
        Ok(())
    }

    /// ListKeyRotations: each rotation's date (seconds since the epoch) and type
    /// (`AUTOMATIC` or `ON_DEMAND`).
    pub async fn key_rotations(&self, key: &str) -> Result<Vec<(f64, String)>, BackendError> {
        let out = self
            .client
            .list_key_rotations()
            .key_id(key)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("ListKeyRotations", e))?;
        Ok(out
            .rotations()
            .iter()
            .map(|r| {
                (
                    r.rotation_date().map(|d| d.as_secs_f64()).unwrap_or(0.0),
                    r.rotation_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect())
    }
}
