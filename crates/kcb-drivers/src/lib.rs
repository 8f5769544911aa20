//! The drivers, one per service (`driver`: Kinesis Data Streams and Firehose), over the
//! backend (`backend`: the SDK clients, credentials, the transport every attempt passes
//! through, the service traits producers and consumers use), and the record's 32-byte header
//! (`payload`), which a service's source needs to split what it delivered back into records.
//!
//! Below the runner and the workload, above the emulator, the result and the scenario: a
//! driver reads a path's spec and writes the harness's types, and nothing here knows of a run.

// The crates below, under the names the harness has always used for them.
use kcb_emulator as emulator;
use kcb_emulator::keypolicy;
use kcb_replay::{clock, ticker};
use kcb_result::{metrics, result};
use kcb_scenario as scenario;

pub mod backend;
pub mod driver;
pub mod payload;
