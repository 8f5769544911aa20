//! The readers of results: the [`report`] (console table, HTML page with plots, summary.md),
//! the capacity [`plan`] and the regression [`gate`]. Each reads a `RunResult` (and its interval
//! log) and nothing else: this crate depends on the result crate, never on the workload, the
//! runner or a service.

// The result crate's modules under the names the readers have always used for them.
pub(crate) use kcb_replay::seed;
pub(crate) use kcb_result::{exit, format, metrics, result};

pub mod bill;
pub mod gate;
pub mod plan;
pub mod report;
