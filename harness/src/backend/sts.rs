//! STS in the harness's types: who a role's credentials are (GetCallerIdentity). The only file
//! that names STS SDK types.

use super::error::BackendError;

/// Who signed: STS GetCallerIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account id.
    pub account: String,
    /// The caller's ARN (a user, or an assumed role's session).
    pub arn: String,
}

/// STS for one principal.
#[derive(Debug, Clone)]
pub struct StsApi {
    client: aws_sdk_sts::Client,
}

impl StsApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_sts::Client) -> Self {
        Self { client }
    }

    /// GetCallerIdentity: the account and ARN the credentials belong to (needs no permission).
    pub async fn caller_identity(&self) -> Result<Identity, BackendError> {
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("GetCallerIdentity", e))?;
        Ok(Identity {
            account: out.account.unwrap_or_default(),
            arn: out.arn.unwrap_or_default(),
        })
    }
}
