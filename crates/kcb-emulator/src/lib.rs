//! The embedded Kinesis + KMS + Firehose service, with the S3 a delivery writes to (and the STS a run's credentials need): AWS JSON 1.1 (S3: REST-XML) with AWS's error names, reached in process
//! through the real SDK clients or on a loopback port. It knows nothing of scenarios.

pub mod bucket;
pub mod cloudtrail;
pub mod control;
pub mod firehose;
pub mod iam;
pub mod iam_api;
pub mod keypolicy;
pub mod kinesis;
pub mod kms;
pub mod overrides;
pub mod policy_doc;
pub mod s3;
pub mod server;
pub mod service;
pub mod sigv4;
pub mod sts;
pub mod wire;

pub use control::{Control, Hold, WorldSnapshot};
pub use service::{Service, ServiceConfig};
