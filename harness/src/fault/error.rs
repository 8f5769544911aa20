//! Why a fault (or part of one) could not be applied or lifted.

use crate::backend::BackendError;
use crate::emulator::iam::IamError;

/// A fault step that did not fully happen; the step's note in the result says which.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    /// The target cannot do this (e.g. lower a quota on an endpoint that is not the embedded
    /// service, or change the keys of an endpoint).
    #[error("{0}")]
    Unsupported(String),
    /// Kinesis or KMS refused a call the fault made (DisableKey, CancelKeyDeletion, ...).
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// The embedded service's IAM refused a policy change.
    #[error("{0}")]
    Iam(#[from] IamError),
    /// The embedded service refused a control change.
    #[error("{0}")]
    Service(String),
    /// Some parts of a step were done, one was not.
    #[error("{done}; failed: {failed}")]
    Partly {
        /// What was done.
        done: String,
        /// The first part that failed.
        failed: Box<FaultError>,
    },
    /// None of the fault's paths has a key the fault may change.
    #[error("no customer-managed key among the fault's paths")]
    NoKey,
}
