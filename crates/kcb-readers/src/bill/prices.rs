//! The price table: every unit price a pipeline's bill uses, for one region, as data. The
//! harness ships one file per region (`crates/kcb-readers/prices/<region>.toml`, each with the
//! date its prices were read and the AWS pricing pages they came from); `--prices FILE` reads a
//! user's own (negotiated rates, another region) in the same shape.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The shipped tables: (region, the file's text).
/// Only us-east-1 ships: the other regions' prices could not be read from here (their pages load
/// the figures by script); a run elsewhere says so and asks for `--prices`.
const SHIPPED: &[(&str, &str)] = &[("us-east-1", include_str!("../../prices/us-east-1.toml"))];

/// A price table as its file writes it. Prices are US dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The region the prices are for.
    pub region: String,
    /// When they were read from AWS's pages (YYYY-MM-DD).
    pub read_on: Option<String>,
    /// The pages they were read from.
    #[serde(default)]
    pub pages: Vec<String>,
    /// Kinesis Data Streams, provisioned mode.
    pub kinesis_provisioned: KinesisProvisioned,
    /// Kinesis Data Streams, on-demand mode.
    pub kinesis_on_demand: KinesisOnDemand,
    /// Amazon Data Firehose, Direct PUT.
    pub firehose: FirehosePrices,
    /// AWS KMS.
    pub kms: KmsPrices,
    /// Amazon S3 Standard.
    pub s3: S3Prices,
}

/// Provisioned streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisProvisioned {
    /// A shard-hour.
    pub shard_hour: f64,
    /// A million PUT payload units (25 KB of a record each).
    pub put_payload_units_per_million: f64,
    /// An enhanced fan-out consumer-shard-hour.
    pub efo_consumer_shard_hour: f64,
    /// A GB retrieved by enhanced fan-out.
    pub efo_retrieval_per_gb: f64,
}

/// On-demand streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisOnDemand {
    /// A stream-hour.
    pub stream_hour: f64,
    /// A GB written (each record rounded up to the next 1 KB).
    pub data_in_per_gb: f64,
    /// A GB read by shared-throughput (polling) consumers.
    pub data_out_per_gb: f64,
    /// A GB retrieved by enhanced fan-out.
    pub efo_retrieval_per_gb: f64,
    /// An enhanced fan-out consumer-stream-hour (0 where the region's page lists none).
    #[serde(default)]
    pub efo_consumer_stream_hour: f64,
}

/// Firehose Direct PUT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirehosePrices {
    /// Ingestion tiers over a month's GB (each record rounded up to the next 5 KB), in order;
    /// the last has no `up_to_gb`.
    pub ingestion: Vec<Tier>,
}

/// One tier of a price that falls with volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The month's GB this tier ends at (none: every GB beyond the tiers before).
    pub up_to_gb: Option<f64>,
    /// A GB in this tier.
    pub per_gb: f64,
}

/// KMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmsPrices {
    /// A customer-managed key a month.
    pub key_month: f64,
    /// Each of a key's first `rotations_billed` rotations, a month.
    pub rotation_month: f64,
    /// Rotations that add to a key's monthly price (later ones do not).
    pub rotations_billed: u32,
    /// 10,000 requests.
    pub per_10k_requests: f64,
    /// Requests free each month per account (not subtracted by the bills: it is the account's,
    /// not a path's).
    pub free_requests_per_month: f64,
}

/// S3 Standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Prices {
    /// 1,000 PUT requests.
    pub put_per_1000: f64,
    /// 1,000 GET requests.
    pub get_per_1000: f64,
    /// A GB stored for a month (the first tier).
    pub storage_gb_month: f64,
}

/// A price table that cannot be used; each names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a price table.
    #[error("{path}: not a price table: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML reader said, with the line.
        message: String,
    },
    /// A price is out of range.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `kms.key_month`.
        field: String,
        /// What would be valid.
        message: String,
    },
}

impl PriceTable {
    /// The shipped table for `region`.
    pub fn shipped(region: &str) -> Option<PriceTable> {
        SHIPPED.iter().find(|(r, _)| *r == region).map(|(r, text)| {
            let name = format!("shipped prices for {r}");
            // The shipped tables are checked by a test; a broken one is a build defect.
            PriceTable::parse(text, Path::new(&name)).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// The regions with a shipped table.
    pub fn shipped_regions() -> Vec<&'static str> {
        SHIPPED.iter().map(|(r, _)| *r).collect()
    }

    /// Read a table from `path`.
    pub fn read(path: &Path) -> Result<PriceTable, PriceError> {
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        PriceTable::parse(&text, path)
    }

    /// Parse and check a table's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<PriceTable, PriceError> {
        let table: PriceTable = toml::from_str(text).map_err(|e| PriceError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        table.check(path)?;
        Ok(table)
    }

    fn check(&self, path: &Path) -> Result<(), PriceError> {
        let bad = |field: &str, message: String| {
            Err(PriceError::Invalid {
                path: path.to_path_buf(),
                field: field.to_owned(),
                message,
            })
        };
        let k = &self.kinesis_provisioned;
        let o = &self.kinesis_on_demand;
        let prices = [
            ("kinesis_provisioned.shard_hour", k.shard_hour),
            (
                "kinesis_provisioned.put_payload_units_per_million",
                k.put_payload_units_per_million,
            ),
            (
                "kinesis_provisioned.efo_consumer_shard_hour",
                k.efo_consumer_shard_hour,
            ),
            (
                "kinesis_provisioned.efo_retrieval_per_gb",
                k.efo_retrieval_per_gb,
            ),
            ("kinesis_on_demand.stream_hour", o.stream_hour),
            ("kinesis_on_demand.data_in_per_gb", o.data_in_per_gb),
            ("kinesis_on_demand.data_out_per_gb", o.data_out_per_gb),
            (
                "kinesis_on_demand.efo_retrieval_per_gb",
                o.efo_retrieval_per_gb,
            ),
            (
                "kinesis_on_demand.efo_consumer_stream_hour",
                o.efo_consumer_stream_hour,
            ),
            ("kms.key_month", self.kms.key_month),
            ("kms.rotation_month", self.kms.rotation_month),
            ("kms.per_10k_requests", self.kms.per_10k_requests),
            (
                "kms.free_requests_per_month",
                self.kms.free_requests_per_month,
            ),
            ("s3.put_per_1000", self.s3.put_per_1000),
            ("s3.get_per_1000", self.s3.get_per_1000),
            ("s3.storage_gb_month", self.s3.storage_gb_month),
        ];
        for (field, p) in prices {
            if !(p.is_finite() && p >= 0.0) {
                return bad(field, format!("must be a price >= 0 (got {p})"));
            }
        }
        let tiers = &self.firehose.ingestion;
        if tiers.is_empty() {
            return bad(
                "firehose.ingestion",
                "must list at least one tier, e.g. [{ per_gb = 0.029 }]".to_owned(),
            );
        }
        let mut last = 0.0;
        for (i, t) in tiers.iter().enumerate() {
            let field = format!("firehose.ingestion[{i}]");
            if !(t.per_gb.is_finite() && t.per_gb >= 0.0) {
                return bad(
                    &format!("{field}.per_gb"),
                    format!("must be a price >= 0 (got {})", t.per_gb),
                );
            }
            match t.up_to_gb {
                Some(u) if !(u.is_finite() && u > last) => {
                    return bad(
                        &format!("{field}.up_to_gb"),
                        format!("must be greater than the tier before's ({last}) (got {u})"),
                    )
                }
                Some(u) => last = u,
                None if i + 1 != tiers.len() => {
                    return bad(
                        &format!("{field}.up_to_gb"),
                        "only the last tier may leave it out".to_owned(),
                    )
                }
                None => {}
            }
        }
        if self.region.is_empty() {
            return bad(
                "region",
                "must name the region, e.g. \"us-east-1\"".to_owned(),
            );
        }
        Ok(())
    }

    /// What `gb` GB of Firehose ingestion in a month costs, tier by tier.
    pub fn firehose_ingestion_usd(&self, gb: f64) -> f64 {
        let mut usd = 0.0;
        let mut from = 0.0;
        for t in &self.firehose.ingestion {
            let to = t.up_to_gb.unwrap_or(f64::INFINITY);
            if gb > from {
                usd += (gb.min(to) - from) * t.per_gb;
            }
            from = to;
        }
        usd
    }
}
