//! The integration tests, one binary: the embedded Kinesis + KMS service through the real AWS SDK
//! clients, the built binary against loopback `serve`, the shipped and fault scenarios end to end,
//! the Python peers and the report's screenshot. One binary links once (each test file its own
//! binary would link the SDKs, the service and the harness some twenty-five times over, minutes of
//! build and tens of GiB of disk); `cargo test --test it MODULE::` runs one file's tests.

mod common;

mod audit;
mod aws_target;
mod boto3_peer;
mod calls;
mod cloudtrail;
mod crates;
mod docs;
mod drivers;
mod envelope_open;
mod esdk_peer;
mod fault_compose;
mod fault_pairs;
mod fault_scenarios;
mod firehose_delivery;
mod firehose_ops;
mod firehose_runs;
mod gate;
mod generator;
mod hlog_peer;
mod interrupt;
mod kinesis_ops;
mod kms_ops;
mod kpl_peer;
mod limits;
mod manifests;
mod moto_peer;
mod permissions;
mod plan_golden;
mod properties;
mod report;
mod reshard;
mod retention;
mod run_counts;
mod secrets;
mod serve;
mod shipped_scenarios;
mod sse;
mod tenants;
mod workers;
