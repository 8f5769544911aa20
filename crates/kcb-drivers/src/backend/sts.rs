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

impl Identity {
    /// The ARN a policy names this identity by: an assumed role's session
    /// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) is its role
    /// (`arn:aws:iam::<account>:role/<role>`); anything else as it is.
    pub fn policy_principal(&self) -> String {
        match self.arn.split_once(":assumed-role/") {
            Some((head, rest)) => {
                let role = rest.split('/').next().unwrap_or(rest);
                let account = head.rsplit(':').next().unwrap_or(&self.account);
                format!("arn:aws:iam::{account}:role/{role}")
            }
            None => self.arn.clone(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::Identity;

    #[test]
    fn an_assumed_role_is_named_by_its_role() {
        let id = |arn: &str| Identity {
            account: "111122223333".into(),
            arn: arn.into(),
        };
        assert_eq!(
            id("arn:aws:sts::111122223333:assumed-role/kcb-admin/session-1").policy_principal(),
            "arn:aws:iam::111122223333:role/kcb-admin"
        );
        assert_eq!(
            id("arn:aws:iam::111122223333:user/admin").policy_principal(),
            "arn:aws:iam::111122223333:user/admin"
        );
    }
}
