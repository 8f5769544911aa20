//! Open-loop load: a pure pacer, producers that send at intended times, consumers that read
//! everything back, and the payload that lets the ledger account for every record.

pub mod consumer;
pub mod context;
pub mod pacer;
pub use kcb_drivers::payload;
pub mod producer;
pub mod retry;
pub mod share;
pub mod sizes;

pub use context::{PathRun, RunClock};
pub use retry::RetryPolicy;
pub use share::WorkerShare;
