//! Measurements kept whole while a run goes on: HDR latency histograms (microseconds), the
//! per-record ledger, the log of KMS calls, per-second timelines, and the HdrHistogram interval
//! log they are saved to.
//!
//! Nothing here knows about scenarios, paths or the SDK; the workload records into these types
//! and the run's end turns them into a [`crate::result::RunResult`].

pub mod hlog;
pub mod intervals;
pub mod kms_calls;
pub mod latency;
pub mod ledger;
pub mod resample;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod timeline;

use std::path::PathBuf;

pub use hlog::{
    read_hlog, read_hlog_intervals, visit_hlog_intervals, write_hlog, write_hlog_interval,
    write_hlog_series,
};
pub use intervals::{sparse, IntervalSeries, Sparse};
pub use kms_calls::{
    monthly_cost_usd, monthly_requests, KmsCallLog, KmsCalls, Span, KMS_DEFAULT_QUOTA_PER_SEC,
    KMS_USD_PER_10K_REQUESTS, KMS_USD_PER_KEY_MONTH, SECS_PER_30_DAY_MONTH,
};
pub use latency::{LatencyHistogram, LatencySummary, Overhead, SharedLatency};
pub use ledger::{Ledger, LedgerTracker, ReadOutcome};
pub use timeline::{Timeline, TimelinePoint};

/// Errors from the metrics module; each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A histogram tag contains a character an interval log forbids (',', ' ', '\r', '\n').
    #[error("{path}: histogram tag {tag:?} contains ',', ' ', '\\r' or '\\n', which an interval log cannot hold")]
    InvalidTag {
        /// The log being written.
        path: PathBuf,
        /// The rejected tag.
        tag: String,
    },
    /// Serializing a histogram into the interval log failed.
    #[error("{path}: writing histogram {tag:?} failed: {message}")]
    HlogWrite {
        /// The log being written.
        path: PathBuf,
        /// The histogram's tag.
        tag: String,
        /// What went wrong.
        message: String,
    },
    /// The interval log could not be parsed or one of its histograms could not be decoded.
    #[error("{path}: malformed interval log at byte {offset}: {message}")]
    HlogParse {
        /// The log being read.
        path: PathBuf,
        /// Byte offset into the file where the problem was found (0 when unknown).
        offset: usize,
        /// What went wrong.
        message: String,
    },
}
