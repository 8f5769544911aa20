//! The seam to AWS: the only place SDK types appear. Everything above speaks these types.

pub mod aws;
pub mod clients;
pub mod clock_offset;
pub mod cloudtrail;
pub mod credentials;
pub mod error;
pub mod faults;
pub mod firehose;
pub mod iam;
pub mod kinesis;
pub mod kms;
pub mod s3;
pub mod sink;
pub mod sts;
pub mod transport;

use std::sync::Arc;

pub use clients::{Clients, Observation, Target};
pub use cloudtrail::{CloudTrailApi, TrailEvent};
pub use credentials::{CredentialSource, Credentials, Role, RoleSource};
pub use error::{BackendError, ErrorClass};
pub use faults::TransportFaults;
pub use firehose::{FirehoseApi, FirehoseDestination, FirehoseKey, FirehoseSource};
pub use iam::IamApi;
pub use kinesis::{KinesisApi, RecordsPage, ShardInfo, Start, StreamInfo};
pub use kms::{DataKeyOut, KeyDetails, KeyInfo, KmsApi};
pub use s3::{GotObject, ListedObject, ObjectPage, S3Api};
pub use sink::{
    EntryFailure, OutRecord, Partition, Position, PutAck, ReadRecord, Sink, SinkInfo, Source,
};
pub use sts::{Identity, StsApi};
pub use transport::{ObservedKmsCall, TransportLog};

use crate::clock::SharedClock;

/// Kinesis and KMS for one principal, observed by one transport log.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Kinesis.
    pub kinesis: KinesisApi,
    /// KMS.
    pub kms: KmsApi,
    /// STS.
    pub sts: StsApi,
    /// IAM.
    pub iam: IamApi,
    /// Firehose.
    pub firehose: FirehoseApi,
    /// S3.
    pub s3: S3Api,
    /// CloudTrail.
    pub cloudtrail: CloudTrailApi,
}

impl Principal {
    /// The embedded service's principal `name` (access key id `name`, its default secret),
    /// logging into `log`, no faults.
    pub fn new(target: &Target, name: &str, log: Arc<TransportLog>, clock: SharedClock) -> Self {
        let source = CredentialSource::named_principal(name);
        Self::signed(target, &source, Observation::plain(name, log, clock))
    }

    /// Clients signing as access key `name` with `secret` (tests of authentication).
    pub fn with_secret(
        target: &Target,
        name: &str,
        secret: &str,
        log: Arc<TransportLog>,
        clock: SharedClock,
    ) -> Self {
        let source = CredentialSource::fixed(name, secret);
        Self::signed(target, &source, Observation::plain(name, log, clock))
    }

    /// A role's clients for a run: signed as `credentials` say, observed as `obs` says.
    pub fn for_role(
        target: &Target,
        credentials: &Credentials,
        role: Role,
        obs: Observation,
    ) -> Self {
        Self::signed(target, credentials.of(role), obs)
    }

    /// Clients signing with `source`, observed and faulted as `obs` says.
    pub fn signed(target: &Target, source: &CredentialSource, obs: Observation) -> Self {
        let c = clients::build(target, source, obs);
        Self {
            kinesis: KinesisApi::new(c.kinesis),
            kms: KmsApi::new(c.kms),
            sts: StsApi::new(c.sts),
            iam: IamApi::new(c.iam),
            firehose: FirehoseApi::new(c.firehose),
            s3: S3Api::new(c.s3),
            cloudtrail: CloudTrailApi::new(c.cloudtrail),
        }
    }
}
