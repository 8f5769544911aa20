//! kinesis-crypto-bench: what encryption costs a Kinesis pipeline, and what happens when keys
//! and permissions fail.
//!
//! The flow runs one way (see the project's style notes): scenario -> workload -> path ->
//! backend -> (embedded service | AWS endpoint) -> metrics -> result -> report.

// The crates below the harness, under the names the harness has always used for them.
pub use kcb_drivers::{backend, driver};
pub use kcb_emulator as emulator;
pub use kcb_emulator::keypolicy;
pub use kcb_readers::{bill, gate, plan, report};
pub use kcb_replay::{clock, seed, ticker};
pub use kcb_result::{exit, format, metrics, result};
pub use kcb_scenario as scenario;

pub mod audit;
pub mod cli;
pub mod fault;
pub mod interrupt;
pub mod merge;
pub mod path;
pub mod probe;
pub mod runner;
pub mod workload;
