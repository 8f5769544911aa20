//! The seam to AWS: the only place SDK types appear. Everything above speaks these types.

pub mod clients;
pub mod error;
pub mod faults;
pub mod kinesis;
pub mod kms;
pub mod transport;

use std::sync::Arc;

pub use clients::{Clients, Observation, Target};
pub use error::{BackendError, ErrorClass};
pub use faults::TransportFaults;
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
    /// Clients signed as `name` with its default secret, logging into `log`, no faults.
    pub fn new(target: &Target, name: &str, log: Arc<TransportLog>, clock: SharedClock) -> Self {
        let faults = TransportFaults::new(0, false, None);
        Self::observed(
            target,
            name,
            &clients::default_secret(name),
            Observation { log, clock, faults },
        )
    }

    /// Clients signing as access key `name` with `secret` (tests of authentication).
    pub fn with_secret(
        target: &Target,
        name: &str,
        secret: &str,
        log: Arc<TransportLog>,
        clock: SharedClock,
    ) -> Self {
        let faults = TransportFaults::new(0, false, None);
        Self::observed(target, name, secret, Observation { log, clock, faults })
    }

    /// Clients signing as `name` with `secret`, observed and faulted as `obs` says.
    pub fn observed(target: &Target, name: &str, secret: &str, obs: Observation) -> Self {
        let c = clients::build(target, name, secret, obs);
        Self {
            kinesis: KinesisApi::new(c.kinesis),
            kms: KmsApi::new(c.kms),
        }
    }
}
