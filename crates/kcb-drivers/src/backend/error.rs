//! The one place errors are named and classified: every SDK error becomes a [`BackendError`]
//! carrying AWS's error name, and [`BackendError::class`] says whether to retry it.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What the harness does with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Back off and try again (throttling, transient failures).
    Retryable,
    /// Give up on this call: the world must change first (denied, key disabled or gone, bad input).
    Fatal,
}

/// An error from Kinesis or KMS, by AWS's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {code}: {message}")]
pub struct BackendError {
    /// The operation, e.g. `PutRecords`.
    pub op: &'static str,
    /// AWS's error name, e.g. `KMSAccessDeniedException`; or `TimeoutError` / `DispatchFailure`.
    pub code: String,
    /// The service's message.
    pub message: String,
}

/// Names that are worth retrying after a backoff.
const RETRYABLE: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "KMSThrottlingException",
    "ThrottlingException",
    "LimitExceededException",
    "InternalFailure",
    "InternalFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "KMSInternalException",
    "DependencyTimeoutException",
    "TimeoutError",
    "DispatchFailure",
    "ResponseError",
    "ExpiredIteratorException",
];

impl BackendError {
    /// A harness-made error (no SDK involved).
    pub fn new(op: &'static str, code: &str, message: impl Into<String>) -> Self {
        Self {
            op,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// Convert any SDK error, keeping AWS's error name.
    pub fn from_sdk<E, R>(op: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = err.code().map(str::to_string);
        let message = err.message().map(str::to_string);
        let fallback = match &err {
            SdkError::ConstructionFailure(_) => "ConstructionFailure",
            SdkError::TimeoutError(_) => "TimeoutError",
            SdkError::DispatchFailure(_) => "DispatchFailure",
            SdkError::ResponseError(_) => "ResponseError",
            SdkError::ServiceError(_) => "UnknownServiceError",
            _ => "SdkError",
        };
        let detail = message.unwrap_or_else(|| {
            let mut s = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(inner) = source {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                source = inner.source();
            }
            s
        });
        Self {
            op,
            code: code.unwrap_or_else(|| fallback.to_string()),
            message: detail,
        }
    }

    /// Retry or give up.
    pub fn class(&self) -> ErrorClass {
        classify(&self.code)
    }
}

/// Classify an error name.
pub fn classify(code: &str) -> ErrorClass {
    if RETRYABLE.contains(&code) {
        ErrorClass::Retryable
    } else {
        ErrorClass::Fatal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_retry_and_key_problems_do_not() {
        assert_eq!(classify("KMSThrottlingException"), ErrorClass::Retryable);
        assert_eq!(
            classify("ProvisionedThroughputExceededException"),
            ErrorClass::Retryable
        );
        assert_eq!(classify("KMSAccessDeniedException"), ErrorClass::Fatal);
        assert_eq!(classify("KMSDisabledException"), ErrorClass::Fatal);
        assert_eq!(classify("NotFoundException"), ErrorClass::Fatal);
    }
}
