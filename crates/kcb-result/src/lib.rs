//! What a run measured, and the one contract its readers read: the HDR histograms, ledger and
//! counters a run keeps ([`metrics`]), the versioned [`result::RunResult`] with its committed
//! JSON schema (`schema/result.schema.json`), and [`format`], the one way every number is
//! printed. Knows nothing of scenarios, services or the workload.

pub mod exit;
pub mod format;
pub mod metrics;
pub mod result;
