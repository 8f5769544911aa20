//! The log of KMS calls one path caused, and what they cost.
//!
//! The transport-layer wrapper (or the embedded KMS, for calls Kinesis makes on a caller's
//! behalf under SSE-KMS) calls [`KmsCallLog::record`] once per request; at the run's end
//! [`KmsCallLog::report`] counts them by operation, principal, key and time window, projects
//! them to a 30-day month and prices them.
//!
//! Price: $0.03 per 10,000 requests, before the 20,000 free requests a month (KMS pricing
//! page, via shared/reference/kinesis-kms-facts.md). Quota: 10,000 requests/s shared by every
//! cryptographic operation by default (KMS developer guide, "requests per second").

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// KMS price in US dollars per 10,000 requests (free tier not deducted).
pub const KMS_USD_PER_10K_REQUESTS: f64 = 0.03;

/// KMS price in US dollars of one customer-managed key for a month.
pub const KMS_USD_PER_KEY_MONTH: f64 = 1.0;

/// Seconds in the 30-day month the cost projection uses.
pub const SECS_PER_30_DAY_MONTH: f64 = 30.0 * 24.0 * 3_600.0;

/// The default KMS request quota per second shared by cryptographic operations.
pub const KMS_DEFAULT_QUOTA_PER_SEC: f64 = 10_000.0;

/// Requests in a 30-day month at a steady `calls_per_sec`.
pub fn monthly_requests(calls_per_sec: f64) -> f64 {
    calls_per_sec * SECS_PER_30_DAY_MONTH
}

/// US dollars for `requests_per_month` KMS requests at $0.03 per 10,000, before the free tier.
pub fn monthly_cost_usd(requests_per_month: f64) -> f64 {
    requests_per_month / 10_000.0 * KMS_USD_PER_10K_REQUESTS
}

#[derive(Debug, Clone, Copy)]
struct Call {
    op: u32,
    principal: u32,
    key: u32,
    at_ns: u64,
}

#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    fn name(&self, i: u32) -> &str {
        self.names
            .get(i as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }
}

#[derive(Debug, Default)]
struct Inner {
    strings: Interner,
    calls: Vec<Call>,
}

/// Thread-safe log of every KMS request: operation, calling principal, key and time since
/// the run started. Names are interned, so one call costs 20 bytes however long its strings.
#[derive(Debug, Default)]
pub struct KmsCallLog {
    inner: Mutex<Inner>,
}

impl KmsCallLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one request: `op` (e.g. "GenerateDataKey"), the calling `principal`, the
    /// `key_id` used, and `at`, the time since the run started.
    pub fn record(&self, op: &str, principal: &str, key_id: &str, at: Duration) {
        let at_ns = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        let mut inner = self.inner.lock();
        let call = Call {
            op: inner.strings.intern(op),
            principal: inner.strings.intern(principal),
            key: inner.strings.intern(key_id),
            at_ns,
        };
        inner.calls.push(call);
    }

    /// Number of requests recorded.
    pub fn len(&self) -> u64 {
        self.inner.lock().calls.len() as u64
    }

    /// Whether no request has been recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.lock().calls.is_empty()
    }

    /// Forget every request (the end of warm-up).
    pub fn reset(&self) {
        self.inner.lock().calls.clear();
    }

    /// Count and price the requests of a run as `span` says: the measured part (after the
    /// warm-up) in windows of `span.window` from the end of the warm-up, the warm-up's calls
    /// apart, and the month projected from a rate that holds ([`KmsCalls::cost_basis`]).
    ///
    /// Window `i` holds the measured calls made in `[warmup + i * window, warmup + (i + 1) *
    /// window)`. There are `ceil(measured / window)` windows, more if calls were recorded after
    /// the run's length, so `per_window` always sums to `total`. A zero `window` means one window
    /// spanning the measured run. `quota_share` is the most measured calls in any sliding
    /// one-second span over `quota_per_sec` (0 when the quota is not positive).
    ///
    /// The rate: with at least one whole window measured, the calls of the whole windows over
    /// their length (the calls per reuse window divided by the window; over many windows, the
    /// measured rate). A run shorter than one window cannot see a whole one: then the calls of
    /// the load's first window, warm-up included (where a data key's first GenerateDataKey
    /// falls), over the window, and `cost_basis` says so.
    pub fn report(&self, span: Span) -> KmsCalls {
        let inner = self.inner.lock();
        let names = &inner.strings;
        let warmup_ns = u64::try_from(span.warmup.as_nanos()).unwrap_or(u64::MAX);
        let mut all: Vec<u64> = inner.calls.iter().map(|c| c.at_ns).collect();
        all.sort_unstable();
        let times: Vec<u64> = all
            .iter()
            .filter(|t| **t >= warmup_ns)
            .map(|t| t - warmup_ns)
            .collect();
        let warmup_calls = (all.len() - times.len()) as u64;

        let mut by_operation = BTreeMap::new();
        let mut by_principal = BTreeMap::new();
        let mut by_key = BTreeMap::new();
        let mut warmup_by_operation = BTreeMap::new();
        for c in inner.calls.iter().filter(|c| c.at_ns < warmup_ns) {
            *warmup_by_operation
                .entry(names.name(c.op).to_owned())
                .or_insert(0) += 1;
        }
        for c in inner.calls.iter().filter(|c| c.at_ns >= warmup_ns) {
            *by_operation.entry(names.name(c.op).to_owned()).or_insert(0) += 1;
            *by_principal
                .entry(names.name(c.principal).to_owned())
                .or_insert(0) += 1;
            *by_key.entry(names.name(c.key).to_owned()).or_insert(0) += 1;
        }
        drop(inner);

        let total = times.len() as u64;
        let measured = span.length.saturating_sub(span.warmup);
        let run_ns = u64::try_from(measured.as_nanos()).unwrap_or(u64::MAX);
        let window_ns = match u64::try_from(span.window.as_nanos()).unwrap_or(u64::MAX) {
            0 => run_ns.max(1),
            w => w,
        };
        let per_window = count_windows(&times, window_ns, run_ns);
        let max_per_window = per_window.iter().copied().max().unwrap_or(0);
        let mean_per_window = if per_window.is_empty() {
            0.0
        } else {
            total as f64 / per_window.len() as f64
        };
        let window_secs = window_ns as f64 / 1e9;
        let whole = usize::try_from(run_ns / window_ns).unwrap_or(usize::MAX);
        let (calls_per_sec, cost_basis) = if whole >= 1 {
            let calls: u64 = per_window.iter().take(whole).sum();
            let per = calls as f64 / whole as f64;
            let basis = format!(
                "{} calls per {} window, over {whole} whole window{} measured",
                crate::format::number(per),
                crate::format::secs(window_secs),
                if whole == 1 { "" } else { "s" }
            );
            (per / window_secs, basis)
        } else {
            let first = all.iter().filter(|t| **t < window_ns).count() as u64;
            let basis = format!(
                "the run measured {} of one {} window: {first} calls in the load's first window (warm-up included) per window",
                crate::format::secs(measured.as_secs_f64()),
                crate::format::secs(window_secs)
            );
            (first as f64 / window_secs, basis)
        };
        let monthly = monthly_requests(calls_per_sec);
        let peak = peak_in_span(&times, 1_000_000_000);
        let quota_share = if span.quota_per_sec > 0.0 && span.quota_per_sec.is_finite() {
            peak as f64 / span.quota_per_sec
        } else {
            0.0
        };
        KmsCalls {
            total,
            warmup_calls,
            warmup_by_operation,
            by_operation,
            by_principal,
            by_key,
            window_secs,
            per_window,
            max_per_window,
            mean_per_window,
            calls_per_sec,
            calls_per_window: calls_per_sec * window_secs,
            cost_basis,
            monthly_requests: monthly,
            monthly_cost_usd: monthly_cost_usd(monthly),
            peak_per_sec: peak,
            quota_share,
        }
    }
}

/// How a log's calls are counted: the window, the warm-up left out, the run's length (from
/// the start of the load, drain included), and the quota the peak is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// One window's length (zero: the whole measured run).
    pub window: Duration,
    /// The warm-up, whose calls are counted apart.
    pub warmup: Duration,
    /// The run's length from the start of the load.
    pub length: Duration,
    /// KMS requests per second before throttling.
    pub quota_per_sec: f64,
}

impl Span {
    /// No warm-up.
    pub fn new(window: Duration, length: Duration, quota_per_sec: f64) -> Self {
        Self {
            window,
            warmup: Duration::ZERO,
            length,
            quota_per_sec,
        }
    }
}

/// Counts per window of `window_ns`, over `[0, run_ns)` and any later calls. `times` sorted.
fn count_windows(times: &[u64], window_ns: u64, run_ns: u64) -> Vec<u64> {
    let mut n = run_ns.div_ceil(window_ns);
    if let Some(last) = times.last() {
        n = n.max(last / window_ns + 1);
    }
    // A window count past memory means nonsense input; cap rather than abort.
    let n = usize::try_from(n.min(10_000_000)).unwrap_or(10_000_000);
    let mut counts = vec![0u64; n];
    for t in times {
        let i = usize::try_from(t / window_ns).unwrap_or(usize::MAX);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        } else if let Some(c) = counts.last_mut() {
            *c += 1;
        }
    }
    counts
}

/// The most elements of the sorted `times` in any half-open span `[t, t + span_ns)`.
fn peak_in_span(times: &[u64], span_ns: u64) -> u64 {
    let mut best = 0usize;
    let mut lo = 0usize;
    for (hi, t) in times.iter().enumerate() {
        while times[lo].saturating_add(span_ns) <= *t {
            lo += 1;
        }
        best = best.max(hi + 1 - lo);
    }
    best as u64
}

/// The KMS requests one path caused, counted, projected to a month and priced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KmsCalls {
    /// Requests measured (after the warm-up).
    pub total: u64,
    /// Requests made during the warm-up, counted apart from everything else here.
    pub warmup_calls: u64,
    /// The warm-up's requests by operation name.
    pub warmup_by_operation: BTreeMap<String, u64>,
    /// Requests by operation name (GenerateDataKey, Decrypt, …).
    pub by_operation: BTreeMap<String, u64>,
    /// Requests by calling principal (a role session, or the Kinesis service under SSE).
    pub by_principal: BTreeMap<String, u64>,
    /// Requests by key id or ARN.
    pub by_key: BTreeMap<String, u64>,
    /// Length of one window, seconds.
    pub window_secs: f64,
    /// Requests in window `i`, which spans `[i * window_secs, (i + 1) * window_secs)`.
    pub per_window: Vec<u64>,
    /// The most requests in one window.
    pub max_per_window: u64,
    /// Requests per window on average.
    pub mean_per_window: f64,
    /// The request rate the month is projected from, requests/s (see `cost_basis`).
    pub calls_per_sec: f64,
    /// Calls per window at that rate (`calls_per_sec × window_secs`): the steady figure the
    /// gate and `kms_calls_per_window` expectations compare.
    pub calls_per_window: f64,
    /// Where `calls_per_sec` comes from: the calls per whole window measured, or, for a run
    /// shorter than one window, the load's first window.
    pub cost_basis: String,
    /// `calls_per_sec` over a 30-day month.
    pub monthly_requests: f64,
    /// `monthly_requests` at $0.03 per 10,000, in US dollars, before the free tier.
    pub monthly_cost_usd: f64,
    /// The most requests in any sliding one-second span.
    pub peak_per_sec: u64,
    /// `peak_per_sec` over the KMS request quota per second (1.0 = at the quota).
    pub quota_share: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn cost_by_hand() {
        // 10,000 requests cost three cents.
        assert!((monthly_cost_usd(10_000.0) - 0.03).abs() < 1e-12);
        // SSE-KMS: one GenerateDataKey per 5 minutes per stream is 8,640 a month, $0.02592.
        let per_sec = 1.0 / 300.0;
        assert!((monthly_requests(per_sec) - 8_640.0).abs() < 1e-6);
        assert!((monthly_cost_usd(8_640.0) - 0.02592).abs() < 1e-12);
        // 1,000 Decrypt/s all month: 2.592e9 requests, $7,776.
        assert!((monthly_cost_usd(monthly_requests(1_000.0)) - 7_776.0).abs() < 1e-6);
    }

    #[test]
    fn report_counts_windows_and_names() {
        let log = KmsCallLog::new();
        log.record("GenerateDataKey", "producer", "k1", secs(0.0));
        log.record("GenerateDataKey", "producer", "k1", secs(9.999));
        log.record("Decrypt", "consumer", "k1", secs(10.0));
        log.record("Decrypt", "consumer", "k2", secs(25.0));
        let r = log.report(Span::new(secs(10.0), secs(30.0), 10_000.0));
        assert_eq!(r.total, 4);
        assert_eq!(r.per_window, vec![2, 1, 1]);
        assert_eq!(r.max_per_window, 2);
        assert!((r.mean_per_window - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.window_secs, 10.0);
        assert_eq!(r.by_operation.get("GenerateDataKey"), Some(&2));
        assert_eq!(r.by_operation.get("Decrypt"), Some(&2));
        assert_eq!(r.by_principal.get("consumer"), Some(&2));
        assert_eq!(r.by_key.get("k2"), Some(&1));
        // Three whole windows measured: 4 calls over 30 s.
        assert!((r.calls_per_sec - 4.0 / 30.0).abs() < 1e-12);
        assert!((r.monthly_requests - 4.0 / 30.0 * 2_592_000.0).abs() < 1e-6);
        assert!(
            r.cost_basis.contains("over 3 whole windows"),
            "{}",
            r.cost_basis
        );
        assert!((r.monthly_cost_usd - monthly_cost_usd(r.monthly_requests)).abs() < 1e-12);
        // 9.999 and 10.0 fall in one sliding second.
        assert_eq!(r.peak_per_sec, 2);
        assert!((r.quota_share - 2.0 / 10_000.0).abs() < 1e-15);
    }

    #[test]
    fn the_warm_up_is_counted_apart_and_windows_start_after_it() {
        let log = KmsCallLog::new();
        // The data key of a 300 s window is fetched in the 2 s warm-up; a 10 s run follows.
        log.record("GenerateDataKey", "producer", "k", secs(0.01));
        log.record("Decrypt", "consumer", "k", secs(0.2));
        log.record("Decrypt", "consumer", "k", secs(2.5));
        let r = log.report(Span {
            window: secs(300.0),
            warmup: secs(2.0),
            length: secs(12.0),
            quota_per_sec: 10_000.0,
        });
        assert_eq!((r.total, r.warmup_calls), (1, 2));
        assert_eq!(r.per_window, vec![1]);
        assert_eq!(r.by_operation.get("GenerateDataKey"), None);
        assert_eq!(r.warmup_by_operation.get("GenerateDataKey"), Some(&1));
        // Shorter than one window: the load's first window (3 calls) per 300 s.
        assert!((r.calls_per_sec - 3.0 / 300.0).abs() < 1e-15);
        assert!((r.calls_per_window - 3.0).abs() < 1e-12);
        // 3 / 300 × 2,592,000 = 25,920 requests a month: $0.07776, to the cent $0.08.
        assert!((r.monthly_requests - 25_920.0).abs() < 1e-6);
        assert_eq!((r.monthly_cost_usd * 100.0).round() / 100.0, 0.08);
        assert!(r.cost_basis.contains("first window"), "{}", r.cost_basis);
    }

    #[test]
    fn late_calls_extend_the_windows() {
        let log = KmsCallLog::new();
        log.record("Decrypt", "c", "k", secs(1.0));
        log.record("Decrypt", "c", "k", secs(45.0));
        let r = log.report(Span::new(secs(10.0), secs(20.0), 0.0));
        assert_eq!(r.per_window, vec![1, 0, 0, 0, 1]);
        assert_eq!(r.per_window.iter().sum::<u64>(), r.total);
        assert_eq!(r.quota_share, 0.0);
    }

    #[test]
    fn empty_and_degenerate_reports() {
        let log = KmsCallLog::new();
        let r = log.report(Span::new(secs(10.0), Duration::ZERO, 10_000.0));
        assert_eq!(r.total, 0);
        assert!(r.per_window.is_empty());
        assert_eq!(
            (r.calls_per_sec, r.mean_per_window, r.quota_share),
            (0.0, 0.0, 0.0)
        );
        log.record("Decrypt", "c", "k", secs(3.0));
        let one = log.report(Span::new(Duration::ZERO, secs(60.0), 10_000.0));
        assert_eq!(one.per_window, vec![1]);
        assert_eq!(one.window_secs, 60.0);
        log.reset();
        assert!(log.is_empty());
    }

    #[test]
    fn peak_uses_a_sliding_second() {
        let log = KmsCallLog::new();
        for i in 0..100u64 {
            // 100 calls within 0.5 .. 1.49 s: two aligned seconds, one sliding second.
            log.record("Decrypt", "c", "k", Duration::from_millis(500 + i * 10));
        }
        let r = log.report(Span::new(secs(1.0), secs(2.0), 50.0));
        assert_eq!(r.per_window, vec![50, 50]);
        assert_eq!(r.peak_per_sec, 100);
        assert!((r.quota_share - 2.0).abs() < 1e-12);
    }

    #[test]
    fn log_is_shared_across_threads() {
        let log = std::sync::Arc::new(KmsCallLog::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..250u64 {
                        log.record("Decrypt", &format!("p{t}"), "k", Duration::from_millis(i));
                    }
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        let r = log.report(Span::new(secs(1.0), secs(1.0), KMS_DEFAULT_QUOTA_PER_SEC));
        assert_eq!(r.total, 1_000);
        assert_eq!(r.by_principal.len(), 4);
        assert_eq!(r.per_window, vec![1_000]);
    }
}
