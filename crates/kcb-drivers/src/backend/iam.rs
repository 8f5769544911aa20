//! IAM in the harness's types: the inline policies a `deny` fault puts on a role the harness
//! assumed and removes at the fault's end. The only file that names IAM SDK types.

use super::error::BackendError;

/// IAM for one principal.
#[derive(Debug, Clone)]
pub struct IamApi {
    client: aws_sdk_iam::Client,
}

impl IamApi {
    /// Wrap a client.
    pub fn new(client: aws_sdk_iam::Client) -> Self {
        Self { client }
    }

    /// PutRolePolicy: the inline policy `name` of `role` set to `document` (IAM policy JSON).
    pub async fn put_role_policy(
        &self,
        role: &str,
        name: &str,
        document: &str,
    ) -> Result<(), BackendError> {
        self.client
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("PutRolePolicy", e))?;
        Ok(())
    }

    /// DeleteRolePolicy: the inline policy `name` of `role` removed.
    pub async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), BackendError> {
        self.client
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| BackendError::from_sdk("DeleteRolePolicy", e))?;
        Ok(())
    }
}
