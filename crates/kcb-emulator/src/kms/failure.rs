//! Why a KMS request failed, and the one place that names it: as KMS answers a direct caller,
//! and as Kinesis answers when it called KMS on a caller's behalf (SSE).

use crate::wire::ApiError;

/// A KMS failure, before it is named for a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsFailure {
    /// No such key, or the key was deleted.
    NotFound(String),
    /// The key is disabled.
    Disabled(String),
    /// The key's state forbids the request (pending deletion).
    InvalidState(String),
    /// The blob is not one of this service's, or the context differs.
    InvalidCiphertext,
    /// The request quota is spent.
    Throttled,
    /// The caller lacks the permission.
    AccessDenied(String),
    /// An input constraint failed.
    Validation(String),
    /// An alias that exists already.
    AlreadyExists(String),
    /// A bug in the service.
    Internal(String),
}

impl KmsFailure {
    /// As KMS answers a direct caller.
    pub fn direct(&self) -> ApiError {
        match self {
            KmsFailure::NotFound(m) => ApiError::new("NotFoundException", m.clone()),
            KmsFailure::Disabled(m) => ApiError::new("DisabledException", m.clone()),
            KmsFailure::InvalidState(m) => ApiError::new("KMSInvalidStateException", m.clone()),
            KmsFailure::InvalidCiphertext => ApiError::new("InvalidCiphertextException", ""),
            KmsFailure::Throttled => ApiError::new(
                "ThrottlingException",
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
            ),
            KmsFailure::AccessDenied(m) => ApiError::new("AccessDeniedException", m.clone()),
            KmsFailure::Validation(m) => ApiError::validation(m.clone()),
            KmsFailure::AlreadyExists(m) => ApiError::new("AlreadyExistsException", m.clone()),
            KmsFailure::Internal(m) => ApiError::new("KMSInternalException", m.clone()).with_status(500),
        }
    }

    /// As Kinesis answers PutRecord(s) / GetRecords on an SSE stream when its KMS call failed.
    pub fn via_kinesis(&self) -> ApiError {
        let (code, msg) = match self {
            KmsFailure::NotFound(m) => ("KMSNotFoundException", m.clone()),
            KmsFailure::Disabled(m) => ("KMSDisabledException", m.clone()),
            KmsFailure::InvalidState(m) => ("KMSInvalidStateException", m.clone()),
            KmsFailure::Throttled => (
                "KMSThrottlingException",
                "KMS throttled the request".to_string(),
            ),
            KmsFailure::AccessDenied(m) => ("KMSAccessDeniedException", m.clone()),
            KmsFailure::InvalidCiphertext => (
                "InternalFailureException",
                "stored record could not be decrypted".to_string(),
            ),
            KmsFailure::Validation(m) | KmsFailure::AlreadyExists(m) => {
                ("InvalidArgumentException", m.clone())
            }
            KmsFailure::Internal(m) => ("InternalFailureException", m.clone()),
        };
        let status = if code == "InternalFailureException" {
            500
        } else {
            400
        };
        ApiError::new(code, msg).with_status(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differ_by_caller() {
        let f = KmsFailure::Disabled("k".into());
        assert_eq!(f.direct().code, "DisabledException");
        assert_eq!(f.via_kinesis().code, "KMSDisabledException");
        assert_eq!(KmsFailure::Throttled.direct().code, "ThrottlingException");
        assert_eq!(
            KmsFailure::Throttled.via_kinesis().code,
            "KMSThrottlingException"
        );
        assert_eq!(
            KmsFailure::NotFound("x".into()).via_kinesis().code,
            "KMSNotFoundException"
        );
        assert_eq!(
            KmsFailure::InvalidState("x".into()).direct().code,
            "KMSInvalidStateException"
        );
        assert_eq!(
            KmsFailure::AccessDenied("x".into()).via_kinesis().code,
            "KMSAccessDeniedException"
        );
    }
}
