//! kinesis-crypto-bench: what encryption costs a Kinesis pipeline, and what happens when keys
//! and permissions fail.
//!
//! The flow runs one way (see the project's style notes): scenario -> workload -> path ->
//! backend -> (embedded service | AWS endpoint) -> metrics -> result -> report.

pub mod audit;
pub mod backend;
pub mod cli;
pub mod clock;
pub mod emulator;
pub mod fault;
pub mod format;
pub mod gate;
pub mod interrupt;
pub mod keypolicy;
pub mod merge;
pub mod metrics;
pub mod path;
pub mod plan;
pub mod probe;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod seed;
pub mod ticker;
pub mod workload;
