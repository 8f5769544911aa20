//! The seam to AWS: the only place SDK types appear. Everything above speaks these types.

pub mod clients;
pub mod error;
pub mod kinesis;
pub mod kms;
pub mod transport;

use std::sync::Arc;

pub use clients::{Clients, Target};
pub use error::{BackendError, ErrorClass};
pub use kinesis::{EntryFailure, KinesisApi, PutAck, ReadRecord, RecordsPage, Start, StreamInfo};
pub use kms::{DataKeyOut, KeyInfo, KmsApi};
pub use transport::{ObservedKmsCall, TransportLog};

use crate::clock::SharedClock;

/// Kinesis and KMS for one principal, observed by one transport log.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Kinesis.
    pub kinesis: KinesisApi,
    /// KMS.
    pub kms: KmsApi,
}

impl Principal {
    /// Clients signed as `name`, logging into `log`.
    pub fn new(target: &Target, name: &str, log: Arc<TransportLog>, clock: SharedClock) -> Self {
        let c = clients::build(target, name, log, clock);
        Self { kinesis: KinesisApi::new(c.kinesis), kms: KmsApi::new(c.kms) }
    }

    /// Clients signing as access key `name` with `secret` (tests of authentication).
    pub fn with_secret(target: &Target, name: &str, secret: &str, log: Arc<TransportLog>, clock: SharedClock) -> Self {
        let c = clients::build_with_secret(target, name, secret, log, clock);
        Self { kinesis: KinesisApi::new(c.kinesis), kms: KmsApi::new(c.kms) }
    }
}
