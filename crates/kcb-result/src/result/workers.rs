//! What a worker of a run split across machines (`run --worker I/N`) says about itself, and
//! what a merged result (`merge`) says about the workers it combined (schema 9).

use serde::{Deserialize, Serialize};

/// One worker's share, start and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerResult {
    /// This worker, from 1.
    pub index: u32,
    /// How many workers shared the run.
    pub count: u32,
    /// The run's tag: the last part of its streams' and keys' names, the same on every worker.
    pub run_tag: String,
    /// The common start every worker waited for, RFC 3339 in UTC (None: the load began when
    /// this worker was ready).
    pub start_at: Option<String>,
    /// How late this worker's load began after `start_at`, by its own clock, ms.
    pub start_lag_ms: Option<f64>,
    /// The endpoint's clock minus this machine's, ms, from an answer's `Date` header (None:
    /// no answer carried one).
    pub clock_offset_ms: Option<f64>,
    /// How far `clock_offset_ms` may be off, ms: half the width of what every answer's `Date`
    /// header allows (one answer: 500 ms and half its round trip; the probes sent while waiting
    /// for the start narrow it to about half a round trip).
    pub clock_offset_error_ms: Option<f64>,
    /// This worker created the shared streams and keys (worker 1); the others waited for them.
    pub provisioned: bool,
    /// This worker carried out the faults that change the shared world (worker 1); the others
    /// recorded them and applied only what acts on their own clients.
    pub carried_out_faults: bool,
}

/// The workers a merged result combines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergedWorkers {
    /// How many workers shared the run.
    pub count: u32,
    /// Each worker's own account, in order of its index.
    pub workers: Vec<WorkerResult>,
    /// The result directories merged, in order of the workers' index.
    pub sources: Vec<String>,
    /// What the merged figures mean that one machine's would not (e.g. each worker's own
    /// data-key cache).
    pub notes: Vec<String>,
}
