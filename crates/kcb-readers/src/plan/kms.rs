//! KMS requests per second at the planned rate, what they cost, and their share of the
//! region's request quota.
//!
//! Prices and quotas from shared/reference/kinesis-kms-facts.md (KMS table: "price", "request
//! quota"; "Kinesis SSE-KMS": one data key per reuse window per caller credential).

use serde::Serialize;

use crate::metrics::{KMS_USD_PER_10K_REQUESTS, SECS_PER_30_DAY_MONTH};
use crate::result::{PathKind, PathResult, PathSettings};

/// The KMS request quota every region has unless listed in [`KMS_REGION_QUOTAS`], per second.
pub const KMS_DEFAULT_QUOTA_PER_SEC: f64 = 10_000.0;

/// KMS request quota per second shared by the symmetric cryptographic operations (Encrypt,
/// Decrypt, GenerateDataKey, …; calls Kinesis makes on a caller's behalf count), by region.
///
/// Source: shared/reference/kinesis-kms-facts.md, KMS table, row "request quota" (KMS developer
/// guide, "requests per second"): 10,000/s by default ([`KMS_DEFAULT_QUOTA_PER_SEC`]);
/// 100,000/s in us-east-1, us-west-2 and eu-west-1; 20,000/s "in some regions". The facts file
/// does not name those; the six 20,000/s regions below are the ones the KMS developer guide
/// lists on that page as this was written: check the guide, or the account's Service Quotas
/// (quotas can be raised), and pass the real figure with `--kms-quota-per-sec`.
pub const KMS_REGION_QUOTAS: &[(&str, f64)] = &[
    ("us-east-1", 100_000.0),
    ("us-west-2", 100_000.0),
    ("eu-west-1", 100_000.0),
    ("us-east-2", 20_000.0),
    ("ap-southeast-1", 20_000.0),
    ("ap-southeast-2", 20_000.0),
    ("ap-northeast-1", 20_000.0),
    ("eu-central-1", 20_000.0),
    ("eu-west-2", 20_000.0),
];

/// KMS requests free each month per account (not subtracted by the plan).
pub const KMS_FREE_REQUESTS_PER_MONTH: f64 = 20_000.0;

/// US dollars per customer-managed KMS key per month (AWS-managed keys cost nothing a month).
pub use crate::metrics::KMS_USD_PER_KEY_MONTH;

/// Seconds in a day.
pub const SECS_PER_DAY: f64 = 86_400.0;

/// The quota the plan measures KMS requests against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsQuota {
    /// Requests per second.
    pub per_sec: f64,
    /// Where the figure comes from, e.g. "us-east-1 default".
    pub source: String,
}

/// The quota for `region`, unless `override_per_sec` gives the account's own.
pub fn region_quota(region: Option<&str>, override_per_sec: Option<f64>) -> KmsQuota {
    if let Some(q) = override_per_sec {
        return KmsQuota {
            per_sec: q,
            source: "given with --kms-quota-per-sec".to_owned(),
        };
    }
    match region {
        None => KmsQuota {
            per_sec: KMS_DEFAULT_QUOTA_PER_SEC,
            source: "no region given: the default most regions have".to_owned(),
        },
        Some(r) => match KMS_REGION_QUOTAS.iter().find(|(name, _)| *name == r) {
            Some((_, q)) => KmsQuota {
                per_sec: *q,
                source: format!("{r} default"),
            },
            None => KmsQuota {
                per_sec: KMS_DEFAULT_QUOTA_PER_SEC,
                source: format!("{r}: the default for regions without a higher quota"),
            },
        },
    }
}

/// Which limit ends a data key's use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyLimit {
    /// The envelope cache's `max_age`.
    MaxAge,
    /// The envelope cache's `max_messages`.
    MaxMessages,
    /// The envelope cache's `max_bytes`.
    MaxBytes,
    /// The SSE data key reuse period.
    ReusePeriod,
}

impl KeyLimit {
    fn name(self) -> &'static str {
        match self {
            KeyLimit::MaxAge => "max_age",
            KeyLimit::MaxMessages => "max_messages",
            KeyLimit::MaxBytes => "max_bytes",
            KeyLimit::ReusePeriod => "reuse_period",
        }
    }
}

/// How the planned KMS request rate was derived from the measured result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KmsBasis {
    /// The path made no KMS call.
    None,
    /// Measured calls per record, scaled to the planned rate:
    /// `N × producer_calls_per_record + C × N × consumer_calls_per_record`.
    PerRecord {
        /// GenerateDataKey (and any other non-Decrypt call) per record sent.
        producer_calls_per_record: f64,
        /// Decrypt per record read.
        consumer_calls_per_record: f64,
    },
    /// Measured calls per data-key window, independent of the record rate:
    /// `(producer_calls_per_window + C × consumer_calls_per_window) / window_secs`.
    PerWindow {
        /// Window length, seconds.
        window_secs: f64,
        /// Non-Decrypt calls in the busiest window (its calls split by the run's operation mix).
        producer_calls_per_window: f64,
        /// Decrypt calls in the busiest window.
        consumer_calls_per_window: f64,
    },
    /// From the data key's lifetime under its limit, when the run cannot show it:
    /// `(1 + C × decrypts_per_data_key) / key_lifetime_secs`.
    Modelled {
        /// The limit that ends a data key's use at the planned rate.
        limit: KeyLimit,
        /// Seconds one data key lives at the planned rate.
        key_lifetime_secs: f64,
        /// Decrypt calls per GenerateDataKey in the run (1 when it made none).
        decrypts_per_data_key: f64,
        /// Why the measured counts could not be scaled.
        reason: String,
    },
}

/// KMS at the planned rate for one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsPlan {
    /// How `requests_per_sec` was derived.
    pub basis: KmsBasis,
    /// The basis in words, for people.
    pub explanation: String,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// `requests_per_sec × 86,400`.
    pub requests_per_day: f64,
    /// `requests_per_sec × 2,592,000` (a 30-day month).
    pub requests_per_month: f64,
    /// `requests_per_month / 10,000 × $0.03` (the 20,000 free requests not subtracted).
    pub request_cost_usd_per_month: f64,
    /// Customer-managed keys the path uses (0 for plaintext and for SSE with the AWS-managed key).
    pub customer_managed_keys: u32,
    /// `customer_managed_keys × $1`.
    pub key_cost_usd_per_month: f64,
    /// Requests plus keys, US dollars a month.
    pub total_cost_usd_per_month: f64,
    /// `requests_per_sec / quota` (1.0 = at the quota).
    pub quota_share: f64,
}

/// The measured counts the estimate scales.
#[derive(Debug, Clone, Copy)]
struct Measured {
    total: f64,
    decrypt: f64,
    producer: f64,
    sent: f64,
    read: f64,
    calls_per_window: f64,
    window_secs: f64,
}

impl Measured {
    fn of(path: &PathResult) -> Self {
        let k = &path.kms_calls;
        // Per record over the whole run, warm-up included on both sides: every call over every
        // record sent (or read).
        let total = (k.total + k.warmup_calls) as f64;
        let op = |m: &std::collections::BTreeMap<String, u64>| m.get("Decrypt").copied();
        let decrypt =
            (op(&k.by_operation).unwrap_or(0) + op(&k.warmup_by_operation).unwrap_or(0)) as f64;
        Self {
            total,
            decrypt,
            producer: (total - decrypt).max(0.0),
            sent: path.ledger.sent as f64,
            read: path.ledger.read as f64,
            calls_per_window: k.calls_per_window,
            window_secs: k.window_secs,
        }
    }

    fn per_record(&self) -> KmsBasis {
        KmsBasis::PerRecord {
            producer_calls_per_record: ratio(self.producer, self.sent),
            consumer_calls_per_record: ratio(self.decrypt, self.read),
        }
    }

    fn per_window(&self) -> KmsBasis {
        KmsBasis::PerWindow {
            window_secs: self.window_secs,
            producer_calls_per_window: self.calls_per_window * ratio(self.producer, self.total),
            consumer_calls_per_window: self.calls_per_window * ratio(self.decrypt, self.total),
        }
    }

    fn decrypts_per_data_key(&self) -> f64 {
        if self.producer > 0.0 {
            self.decrypt / self.producer
        } else {
            1.0
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The envelope cache's limits, from the path's settings as the result echoes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheLimits {
    /// `max_age`, seconds.
    pub max_age_secs: Option<f64>,
    /// `max_messages`, records.
    pub max_messages: Option<f64>,
    /// `max_bytes`, plaintext bytes.
    pub max_bytes: Option<f64>,
}

impl CacheLimits {
    /// The limit that ends a data key first at `rate` records/s of `bytes` each, and the key's
    /// lifetime in seconds under it (age wins a tie).
    pub fn binding(&self, rate: f64, bytes: f64) -> Option<(KeyLimit, f64)> {
        let mut best: Option<(KeyLimit, f64)> = None;
        let mut consider = |limit: KeyLimit, secs: f64| {
            if secs.is_finite() && secs > 0.0 && best.is_none_or(|(_, b)| secs < b) {
                best = Some((limit, secs));
            }
        };
        if let Some(a) = self.max_age_secs {
            consider(KeyLimit::MaxAge, a);
        }
        if let Some(m) = self.max_messages {
            consider(KeyLimit::MaxMessages, m / rate);
        }
        if let Some(b) = self.max_bytes {
            consider(KeyLimit::MaxBytes, b / (rate * bytes));
        }
        best
    }
}

/// The envelope path's cache limits, `None` without a cache (or with none of the three set).
pub fn cache_limits(settings: &PathSettings) -> Option<CacheLimits> {
    let c = settings.cache()?;
    let limits = CacheLimits {
        max_age_secs: c.max_age_secs.filter(|s| s.is_finite() && *s > 0.0),
        max_messages: c.max_messages.map(|m| m as f64),
        max_bytes: c.max_bytes.map(|b| b as f64),
    };
    let any = limits.max_age_secs.is_some()
        || limits.max_messages.is_some()
        || limits.max_bytes.is_some();
    any.then_some(limits)
}

/// Default SSE data key reuse period when the settings do not say: about 5 minutes (facts file,
/// "Kinesis SSE-KMS").
pub const SSE_DEFAULT_REUSE_SECS: f64 = 300.0;

/// The planned KMS requests for `path` at `rate` records/s of `bytes` plaintext bytes read by
/// `consumers` consumers, against `quota` requests/s.
pub fn kms_plan(
    path: &PathResult,
    rate: f64,
    bytes: u64,
    consumers: u32,
    quota: f64,
    measured_rate: f64,
) -> KmsPlan {
    let m = Measured::of(path);
    let basis = basis(path, &m, rate, bytes as f64, measured_rate);
    let c = f64::from(consumers);
    let requests_per_sec = match &basis {
        KmsBasis::None => 0.0,
        KmsBasis::PerRecord {
            producer_calls_per_record: p,
            consumer_calls_per_record: d,
        } => rate * p + c * rate * d,
        KmsBasis::PerWindow {
            window_secs,
            producer_calls_per_window: p,
            consumer_calls_per_window: d,
        } => ratio(p + c * d, *window_secs),
        KmsBasis::Modelled {
            key_lifetime_secs,
            decrypts_per_data_key: r,
            ..
        } => ratio(1.0 + c * r, *key_lifetime_secs),
    };
    let requests_per_month = requests_per_sec * SECS_PER_30_DAY_MONTH;
    let request_cost = requests_per_month / 10_000.0 * KMS_USD_PER_10K_REQUESTS;
    let keys = path.settings.customer_managed_keys();
    let key_cost = f64::from(keys) * KMS_USD_PER_KEY_MONTH;
    KmsPlan {
        explanation: match (&basis, path.kind) {
            (
                KmsBasis::PerWindow {
                    window_secs,
                    producer_calls_per_window: p,
                    consumer_calls_per_window: d,
                },
                PathKind::Firehose,
            ) => format!(
                "per delivered object, measured: {} delivery (and Firehose) + {} Decrypt calls an object, one object every {} s at this load (the buffer interval, or the buffer size filling first)",
                crate::format::number(*p),
                crate::format::number(*d),
                crate::format::number(*window_secs)
            ),
            _ => explain(&basis, rate, consumers),
        },
        basis,
        requests_per_sec,
        requests_per_day: requests_per_sec * SECS_PER_DAY,
        requests_per_month,
        request_cost_usd_per_month: request_cost,
        customer_managed_keys: keys,
        key_cost_usd_per_month: key_cost,
        total_cost_usd_per_month: request_cost + key_cost,
        quota_share: ratio(requests_per_sec, quota),
    }
}

fn basis(path: &PathResult, m: &Measured, rate: f64, bytes: f64, measured_rate: f64) -> KmsBasis {
    match path.kind {
        PathKind::SseKms => sse_basis(path, m),
        PathKind::Envelope => envelope_basis(path, m, rate, bytes, measured_rate),
        PathKind::Firehose => firehose_basis(path, m, rate, bytes),
        _ if m.total == 0.0 => KmsBasis::None,
        _ => m.per_record(),
    }
}

/// Firehose: the calls a delivered object costs (the delivery role's data key under the
/// destination's SSE-KMS, the reader's Decrypt, Firehose's data keys spread over the objects),
/// measured per object, at one object per buffer interval, or per buffer size at the planned
/// byte rate when that fills first.
fn firehose_basis(path: &PathResult, m: &Measured, rate: f64, bytes: f64) -> KmsBasis {
    let objects = path
        .firehose
        .as_ref()
        .and_then(|f| f.service.as_ref())
        .map_or(0, |s| s.objects) as f64;
    let PathSettings::Firehose(f) = &path.settings else {
        return KmsBasis::None;
    };
    if m.total == 0.0 || objects == 0.0 {
        return KmsBasis::None;
    }
    let fill_secs = f64::from(f.buffer_size_mib) * 1024.0 * 1024.0 / (rate * bytes).max(1e-9);
    let secs_per_object = if f.buffer_interval_secs > 0.0 {
        f.buffer_interval_secs.min(fill_secs)
    } else {
        fill_secs
    };
    KmsBasis::PerWindow {
        window_secs: secs_per_object.max(1e-3),
        producer_calls_per_window: m.producer / objects,
        consumer_calls_per_window: m.decrypt / objects,
    }
}

/// SSE-KMS: one data key per reuse window per caller credential, whatever the record rate.
fn sse_basis(path: &PathResult, m: &Measured) -> KmsBasis {
    if path.kms_calls.service.is_some() && m.total > 0.0 && m.window_secs > 0.0 {
        return m.per_window();
    }
    let reuse = match &path.settings {
        PathSettings::SseKms(s) if s.reuse_period_secs > 0.0 => s.reuse_period_secs,
        _ => SSE_DEFAULT_REUSE_SECS,
    };
    KmsBasis::Modelled {
        limit: KeyLimit::ReusePeriod,
        key_lifetime_secs: reuse,
        decrypts_per_data_key: 1.0,
        reason: "the calls Kinesis makes under SSE were not counted (no service-side count): one GenerateDataKey per producer credential and one Decrypt per consumer credential per reuse period".to_owned(),
    }
}

/// Envelope: per record without a cache or while a count limit binds; per window while the
/// age limit binds; from the cache's limit when the run could not show the planned regime.
fn envelope_basis(
    path: &PathResult,
    m: &Measured,
    rate: f64,
    bytes: f64,
    measured_rate: f64,
) -> KmsBasis {
    let Some(limits) = cache_limits(&path.settings) else {
        return m.per_record();
    };
    let Some((limit, lifetime)) = limits.binding(rate, bytes) else {
        return m.per_record();
    };
    let measured = limits.binding(measured_rate, path.inflation.plaintext_bytes);
    let same_regime = measured.is_some_and(|(l, _)| l == limit);
    let modelled = |reason: String| KmsBasis::Modelled {
        limit,
        key_lifetime_secs: lifetime,
        decrypts_per_data_key: m.decrypts_per_data_key(),
        reason,
    };
    let run_limit = measured.map(|(l, _)| l.name()).unwrap_or("none");
    match limit {
        KeyLimit::MaxAge | KeyLimit::ReusePeriod => {
            if same_regime && m.total > 0.0 && m.window_secs > 0.0 {
                m.per_window()
            } else {
                modelled(format!(
                    "the run's data keys ended by {run_limit}, not max_age"
                ))
            }
        }
        KeyLimit::MaxMessages | KeyLimit::MaxBytes => {
            let same_size = limit != KeyLimit::MaxBytes || path.inflation.plaintext_bytes == bytes;
            if same_regime && same_size && m.producer >= 2.0 {
                m.per_record()
            } else if !same_regime {
                modelled(format!(
                    "the run's data keys ended by {run_limit}, not {}",
                    limit.name()
                ))
            } else if !same_size {
                modelled("the run's records were of another size".to_owned())
            } else {
                modelled(format!(
                    "the run never used a data key up (one GenerateDataKey for {} records)",
                    m.sent
                ))
            }
        }
    }
}

fn explain(basis: &KmsBasis, rate: f64, consumers: u32) -> String {
    use crate::format::number;
    let consumers_text = if consumers == 1 {
        "1 consumer".to_owned()
    } else {
        format!("{consumers} consumers")
    };
    match basis {
        KmsBasis::None => "no KMS calls".to_owned(),
        KmsBasis::PerRecord {
            producer_calls_per_record: p,
            consumer_calls_per_record: d,
        } => format!(
            "per record, measured: {} producer + {} Decrypt calls per record, at {} records/s and {consumers_text}",
            number(*p),
            number(*d),
            number(rate)
        ),
        KmsBasis::PerWindow {
            window_secs,
            producer_calls_per_window: p,
            consumer_calls_per_window: d,
        } => format!(
            "per {} s window, measured (independent of the record rate): {} producer + {} Decrypt calls per window, Decrypt for each of {consumers_text}",
            number(*window_secs),
            number(*p),
            number(*d)
        ),
        KmsBasis::Modelled {
            limit,
            key_lifetime_secs,
            decrypts_per_data_key,
            reason,
        } => format!(
            "from {}: one data key per {} s, 1 GenerateDataKey + {} Decrypt per key for each of {consumers_text} ({reason})",
            limit.name(),
            number(*key_lifetime_secs),
            number(*decrypts_per_data_key)
        ),
    }
}
