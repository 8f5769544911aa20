//! Before a run: will its data fit in this machine's memory?
//!
//! Two figures, from the scenario alone: what the embedded service would hold if no consumer
//! read anything (every path's records within the stream's retention, 24 h unless `[stream]
//! retention` says less), and what the harness's ledger would keep if no record were read back
//! (a byte a record). The service trims what every consumer has read, and the ledger keeps a
//! byte only for the records from the first one not yet read back and verified, so both are
//! bounds a run reaches only when its consumers fall behind or records go unread: past the
//! memory available each is a warning.

use std::time::Duration;

use crate::format;
use crate::scenario::{Scenario, SizeSpec};

/// Bytes the embedded service keeps per stored record beyond its payload (the record's struct,
/// sequence number, partition key, arrival time, and the envelope's or SSE's own bytes), an
/// estimate on the generous side.
pub const PER_RECORD_BYTES: u64 = 512;
/// Bytes the ledger keeps per record from the first one not read back (one byte of flags; see
/// `metrics::ledger`).
pub const LEDGER_BYTES_PER_RECORD: u64 = 1;
/// AWS's default retention, which the embedded service keeps unless `[stream] retention` is set.
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// What a run would hold in memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Records the run sends, all paths.
    pub records: u64,
    /// What the embedded service holds if no record is read before its retention ends, bytes.
    pub unread_bytes: u64,
    /// What the ledger keeps if no record is read back, bytes.
    pub ledger_bytes: u64,
    /// Bytes the service stores a second at the scenario's rate (all paths).
    pub bytes_per_sec: f64,
}

/// The mean record size a size spec produces, bytes.
pub fn mean_size(size: &SizeSpec) -> f64 {
    match size {
        SizeSpec::Fixed(n) => *n as f64,
        SizeSpec::List(sizes) if sizes.is_empty() => 0.0,
        SizeSpec::List(sizes) => sizes.iter().sum::<u64>() as f64 / sizes.len() as f64,
        SizeSpec::Uniform {
            min_bytes,
            max_bytes,
        } => (*min_bytes + *max_bytes) as f64 / 2.0,
        // The log-normal's mean, median * exp(sigma^2 / 2), at most the cap.
        SizeSpec::LogNormal {
            median_bytes,
            sigma,
            max_bytes,
        } => (*median_bytes as f64 * (sigma * sigma / 2.0).exp()).min(*max_bytes as f64),
    }
}

/// The scenario's budget (for the embedded service: `unread_bytes` is 0 elsewhere).
pub fn estimate(scenario: &Scenario, embedded: bool) -> Budget {
    let secs = scenario.duration.as_secs_f64();
    let rate: f64 = scenario.paths.iter().map(|p| scenario.rate_of(p)).sum();
    let records = (rate * secs).ceil() as u64;
    let per_record = mean_size(&scenario.workload.record_size) + PER_RECORD_BYTES as f64;
    let retention = scenario.stream.retention.unwrap_or(DEFAULT_RETENTION);
    let kept_secs = secs.min(retention.as_secs_f64());
    let unread_bytes = if embedded {
        (rate * kept_secs * per_record).ceil() as u64
    } else {
        0
    };
    Budget {
        records,
        unread_bytes,
        ledger_bytes: records * LEDGER_BYTES_PER_RECORD,
        bytes_per_sec: if embedded { rate * per_record } else { 0.0 },
    }
}

/// What to say about `budget` given `available` bytes of memory: a warning for each bound past
/// it (the service's unread records, naming the lag its consumers may fall to; the ledger's
/// byte a record, were none read back).
pub fn check(budget: &Budget, available: u64) -> Vec<String> {
    let mut warnings = Vec::new();
    if budget.unread_bytes > available && budget.bytes_per_sec > 0.0 {
        let lag = Duration::from_secs_f64(available as f64 / budget.bytes_per_sec);
        warnings.push(format!(
            "warning: the embedded service would hold {} if the consumers read nothing within the stream's retention, and {} of memory is available: the run fits only while its consumers stay within {} of the producers (the service drops what every consumer has read); set `[stream] retention` shorter, or lower the rate or the duration",
            format::binary_bytes(budget.unread_bytes),
            format::binary_bytes(available),
            humantime::format_duration(Duration::from_secs(lag.as_secs().max(1))),
        ));
    }
    if budget.ledger_bytes > available {
        warnings.push(format!(
            "warning: this run sends {} records, and the harness's ledger keeps {} byte for each from the first one not read back ({} were none read); {} of memory is available: the run fits only while its records are read back (a lost record, or one unreadable while its key is gone, holds the ledger open behind it); shorten `duration` or lower `workload.rate_per_sec`",
            format::count(budget.records),
            LEDGER_BYTES_PER_RECORD,
            format::binary_bytes(budget.ledger_bytes),
            format::binary_bytes(available),
        ));
    }
    warnings
}

/// The memory this machine has available (`MemAvailable` in /proc/meminfo), bytes; `None`
/// where that cannot be read.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "name = \"b\"\nduration = \"10m\"\n[workload]\nrate_per_sec = 2000\nrecord_size = 1000\n[[paths]]\nkind = \"plaintext\"\n[[paths]]\nkind = \"envelope\"\n{extra}"
        );
        scenario::parse(&text, std::path::Path::new("b.toml")).expect("scenario")
    }

    #[test]
    fn the_estimate_is_the_arithmetic_of_rate_duration_size_and_retention() {
        let s = scenario("");
        let b = estimate(&s, true);
        // 2 paths x 2,000/s x 600 s; (1,000 + 512) bytes each, all within 24 h.
        assert_eq!(b.records, 2_400_000);
        assert_eq!(b.unread_bytes, 2_400_000 * 1512);
        assert_eq!(b.ledger_bytes, 2_400_000);
        // A retention of 1 minute keeps a tenth of the ten minutes.
        let short = scenario("[stream]\nretention = \"1m\"\n");
        assert_eq!(estimate(&short, true).unread_bytes, 240_000 * 1512);
        // Off the embedded service the service's memory is not ours.
        assert_eq!(estimate(&s, false).unread_bytes, 0);
        assert_eq!(estimate(&s, false).ledger_bytes, 2_400_000);
    }

    #[test]
    fn mean_sizes() {
        assert_eq!(mean_size(&SizeSpec::List(vec![100, 300])), 200.0);
        let u = SizeSpec::Uniform {
            min_bytes: 100,
            max_bytes: 200,
        };
        assert_eq!(mean_size(&u), 150.0);
        let ln = SizeSpec::LogNormal {
            median_bytes: 1000,
            sigma: 1.0,
            max_bytes: 1_000_000,
        };
        assert!((mean_size(&ln) - 1000.0 * 0.5f64.exp()).abs() < 1e-9);
        let capped = SizeSpec::LogNormal {
            median_bytes: 1000,
            sigma: 4.0,
            max_bytes: 2000,
        };
        assert_eq!(mean_size(&capped), 2000.0);
    }

    #[test]
    fn what_fits_passes_and_what_might_not_warns() {
        let b = estimate(&scenario(""), true);
        assert_eq!(check(&b, b.unread_bytes), Vec::<String>::new());
        let warning = check(&b, b.unread_bytes - 1);
        assert_eq!(warning.len(), 1);
        assert!(warning[0].contains("[stream] retention"), "{warning:?}");
        // 2 paths x 2,000/s x 1,512 B = 6,048,000 B/s; 3,628,800,000 B available last 600 s.
        let half = check(&b, b.unread_bytes / 2);
        assert!(half[0].contains("within 5m"), "{half:?}");
        let both = check(&b, b.ledger_bytes - 1);
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[1].contains("2,400,000 records"), "{both:?}");
        assert!(both[1].contains("duration"), "{both:?}");
    }
}
