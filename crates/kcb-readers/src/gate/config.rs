//! The gate's thresholds and bootstrap settings: defaults, overridden by a TOML gate file,
//! overridden by flags.
//!
//! ```toml
//! # gate.toml: every key optional
//! threshold_p50_us = 50          # p50 overhead over plaintext may rise this many µs
//! threshold_p99_us = 250         # p99 overhead over plaintext may rise this many µs
//! threshold_kms_calls = 0        # KMS calls in the busiest window may rise by this many
//! threshold_inflation_bytes = 0  # mean bytes added per record may rise by this many
//! resamples = 2000               # bootstrap resamples (100 ..= 100,000)
//! sample_size = 5000             # values drawn per histogram and resample, at most (100 ..= 1,000,000)
//! confidence = 0.95              # of the interval on the change (0.5 < c < 1)
//! seed = 7                       # of the bootstrap's random draws
//! max_cost_increase = "5%"       # a path's monthly bill (per capacity mode) may rise this much:
//!                                # dollars ("2.50", "$2.50") or a percent of the baseline's ("5%");
//!                                # unset: bills are not judged
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::GateError;

/// Default rise in p50 overhead over plaintext that still passes, µs.
pub const DEFAULT_P50_US: f64 = 50.0;
/// Default rise in p99 overhead over plaintext that still passes, µs (tails are noisier).
pub const DEFAULT_P99_US: f64 = 250.0;
/// Default rise in KMS calls per window that still passes: none (counts are exact).
pub const DEFAULT_KMS_CALLS: u64 = 0;
/// Default rise in mean overhead bytes per record that still passes: none (sizes are exact).
pub const DEFAULT_INFLATION_BYTES: f64 = 0.0;
/// Default bootstrap resamples.
pub const DEFAULT_RESAMPLES: u32 = 2_000;
/// Default cap on the values drawn from one histogram per resample.
pub const DEFAULT_SAMPLE_SIZE: u64 = 5_000;
/// Default confidence of the interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
/// Default seed of the bootstrap ("kcbg").
pub const DEFAULT_SEED: u64 = 0x6b63_6267;

/// A gate file: every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateFile {
    /// Largest rise in p50 overhead over plaintext that passes, µs.
    pub threshold_p50_us: Option<f64>,
    /// Largest rise in p99 overhead over plaintext that passes, µs.
    pub threshold_p99_us: Option<f64>,
    /// Largest rise in KMS calls in the busiest window that passes, calls.
    pub threshold_kms_calls: Option<u64>,
    /// Largest rise in mean bytes added per record that passes, bytes.
    pub threshold_inflation_bytes: Option<f64>,
    /// Bootstrap resamples, 100 ..= 100,000.
    pub resamples: Option<u32>,
    /// Most values drawn from one histogram per resample, 100 ..= 1,000,000.
    pub sample_size: Option<u64>,
    /// Confidence of the interval on the change, 0.5 < c < 1.
    pub confidence: Option<f64>,
    /// Seed of the bootstrap's random draws.
    pub seed: Option<u64>,
    /// Largest rise in a path's monthly bill that passes: dollars ("2.50", "$2.50") or a
    /// percent of the baseline's bill ("5%").
    pub max_cost_increase: Option<String>,
}

/// How far a path's monthly bill may rise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CostLimit {
    /// US dollars a month.
    Usd(f64),
    /// A share of the baseline's bill (0.05 = 5 %).
    Share(f64),
}

impl CostLimit {
    /// Read "2.50", "$2.50" or "5%"; the error says what would be valid.
    pub fn parse(text: &str) -> Result<CostLimit, String> {
        let t = text.trim();
        let bad = || {
            format!("must be dollars (\"2.50\", \"$2.50\") or a percent of the baseline's bill (\"5%\"), >= 0 (got {text:?})")
        };
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(bad)
        };
        match t.strip_suffix('%') {
            Some(p) => number(p).map(|p| CostLimit::Share(p / 100.0)),
            None => number(t.strip_prefix('$').unwrap_or(t)).map(CostLimit::Usd),
        }
    }

    /// The rise in dollars that passes over a baseline bill of `baseline_usd`.
    pub fn usd_over(self, baseline_usd: f64) -> f64 {
        match self {
            CostLimit::Usd(x) => x,
            CostLimit::Share(s) => s * baseline_usd,
        }
    }
}

impl GateFile {
    /// Read and parse a gate file.
    pub fn read(path: &Path) -> Result<GateFile, GateError> {
        let text = std::fs::read_to_string(path).map_err(|source| GateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| GateError::GateFile {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Each key set in `over` replaces this file's.
    pub fn overridden_by(self, over: &GateFile) -> GateFile {
        GateFile {
            threshold_p50_us: over.threshold_p50_us.or(self.threshold_p50_us),
            threshold_p99_us: over.threshold_p99_us.or(self.threshold_p99_us),
            threshold_kms_calls: over.threshold_kms_calls.or(self.threshold_kms_calls),
            threshold_inflation_bytes: over
                .threshold_inflation_bytes
                .or(self.threshold_inflation_bytes),
            resamples: over.resamples.or(self.resamples),
            sample_size: over.sample_size.or(self.sample_size),
            confidence: over.confidence.or(self.confidence),
            seed: over.seed.or(self.seed),
            max_cost_increase: over.max_cost_increase.clone().or(self.max_cost_increase),
        }
    }
}

/// Per-metric thresholds: a metric regresses when its change lies wholly beyond its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// p50 overhead over plaintext, µs.
    pub p50_us: f64,
    /// p99 overhead over plaintext, µs.
    pub p99_us: f64,
    /// KMS calls in the busiest window.
    pub kms_calls: u64,
    /// Mean bytes added per record.
    pub inflation_bytes: f64,
    /// A path's monthly bill, per capacity mode (`None`: bills are not judged).
    pub cost: Option<CostLimit>,
}

/// How the bootstrap resamples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapConfig {
    /// Resamples.
    pub resamples: u32,
    /// Values drawn per histogram and resample: min(count, sample_size).
    pub sample_size: u64,
    /// Confidence of the interval.
    pub confidence: f64,
    /// Seed.
    pub seed: u64,
}

/// Everything the gate compares with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GateConfig {
    /// Thresholds.
    pub thresholds: Thresholds,
    /// Bootstrap settings.
    pub bootstrap: BootstrapConfig,
    /// Judge latency overheads even when a run fell behind its schedule
    /// (`--allow-behind-schedule`); the report then says it did.
    pub allow_behind_schedule: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            thresholds: Thresholds {
                p50_us: DEFAULT_P50_US,
                p99_us: DEFAULT_P99_US,
                kms_calls: DEFAULT_KMS_CALLS,
                inflation_bytes: DEFAULT_INFLATION_BYTES,
                cost: None,
            },
            bootstrap: BootstrapConfig {
                resamples: DEFAULT_RESAMPLES,
                sample_size: DEFAULT_SAMPLE_SIZE,
                confidence: DEFAULT_CONFIDENCE,
                seed: DEFAULT_SEED,
            },
            allow_behind_schedule: false,
        }
    }
}

impl GateConfig {
    /// The defaults with every key `file` sets, validated; `origin` names the source in errors.
    pub fn from_file(file: &GateFile, origin: &str) -> Result<GateConfig, GateError> {
        let d = GateConfig::default();
        let bad = |field: &str, message: String| GateError::Invalid {
            field: format!("{origin}: {field}"),
            message,
        };
        let non_negative = |field: &str, v: Option<f64>, default: f64| match v {
            None => Ok(default),
            Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
            Some(x) => Err(bad(
                field,
                format!("must be a finite number >= 0 (got {x})"),
            )),
        };
        let thresholds = Thresholds {
            p50_us: non_negative(
                "threshold_p50_us",
                file.threshold_p50_us,
                d.thresholds.p50_us,
            )?,
            p99_us: non_negative(
                "threshold_p99_us",
                file.threshold_p99_us,
                d.thresholds.p99_us,
            )?,
            kms_calls: file.threshold_kms_calls.unwrap_or(d.thresholds.kms_calls),
            inflation_bytes: non_negative(
                "threshold_inflation_bytes",
                file.threshold_inflation_bytes,
                d.thresholds.inflation_bytes,
            )?,
            cost: file
                .max_cost_increase
                .as_deref()
                .map(CostLimit::parse)
                .transpose()
                .map_err(|m| bad("max_cost_increase", m))?,
        };
        let resamples = file.resamples.unwrap_or(d.bootstrap.resamples);
        if !(100..=100_000).contains(&resamples) {
            return Err(bad(
                "resamples",
                format!("must be 100 ..= 100000 (got {resamples})"),
            ));
        }
        let sample_size = file.sample_size.unwrap_or(d.bootstrap.sample_size);
        if !(100..=1_000_000).contains(&sample_size) {
            return Err(bad(
                "sample_size",
                format!("must be 100 ..= 1000000 (got {sample_size})"),
            ));
        }
        let confidence = file.confidence.unwrap_or(d.bootstrap.confidence);
        if !(confidence > 0.5 && confidence < 1.0) {
            return Err(bad(
                "confidence",
                format!("must be > 0.5 and < 1 (got {confidence})"),
            ));
        }
        Ok(GateConfig {
            thresholds,
            bootstrap: BootstrapConfig {
                resamples,
                sample_size,
                confidence,
                seed: file.seed.unwrap_or(d.bootstrap.seed),
            },
            allow_behind_schedule: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_file_and_flags_in_that_order() {
        let d = GateConfig::default();
        assert_eq!(
            (
                d.thresholds.p50_us,
                d.thresholds.p99_us,
                d.thresholds.kms_calls,
                d.thresholds.inflation_bytes
            ),
            (50.0, 250.0, 0, 0.0)
        );
        let file: GateFile = match toml::from_str("threshold_p50_us = 80\nresamples = 500\n") {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let flags = GateFile {
            threshold_p50_us: Some(20.0),
            threshold_kms_calls: Some(2),
            ..GateFile::default()
        };
        let merged = file.overridden_by(&flags);
        let c = match GateConfig::from_file(&merged, "gate.toml") {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.thresholds.p50_us, 20.0);
        assert_eq!(c.thresholds.p99_us, 250.0);
        assert_eq!(c.thresholds.kms_calls, 2);
        assert_eq!(c.bootstrap.resamples, 500);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<GateFile>("threshold_p50 = 3\n").is_err());
        for (file, field) in [
            (
                GateFile {
                    threshold_p99_us: Some(-1.0),
                    ..GateFile::default()
                },
                "threshold_p99_us",
            ),
            (
                GateFile {
                    resamples: Some(10),
                    ..GateFile::default()
                },
                "resamples",
            ),
            (
                GateFile {
                    confidence: Some(1.0),
                    ..GateFile::default()
                },
                "confidence",
            ),
            (
                GateFile {
                    sample_size: Some(5),
                    ..GateFile::default()
                },
                "sample_size",
            ),
        ] {
            match GateConfig::from_file(&file, "g.toml") {
                Err(GateError::Invalid { field: f, .. }) => {
                    assert_eq!(f, format!("g.toml: {field}"))
                }
                other => panic!("expected Invalid for {field}, got {other:?}"),
            }
        }
    }
}
