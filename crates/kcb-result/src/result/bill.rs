//! What a path would cost a month on AWS at the rate it ran (schema 12): the sizes of the
//! records it put as AWS rounds them, and its bill line by line in each capacity mode. The
//! arithmetic is `kcb-readers`' `bill`; these are the figures it leaves in the result.
//!
//! Rounding rules (shared/reference/kinesis-kms-facts.md, "Pricing"): a provisioned stream
//! bills PUT payload units of 25 KB a record; an on-demand stream bills Data-In with each record
//! rounded up to the next 1 KB; Firehose bills ingestion with each record rounded up to the next
//! 5 KB. A KB here is 1,024 bytes, a GB 2^30 bytes.

use serde::{Deserialize, Serialize};

/// Bytes in the KB AWS rounds records to.
pub const KB: u64 = 1_024;
/// An on-demand stream rounds each record up to this many bytes for Data-In.
pub const ON_DEMAND_ROUNDING_BYTES: u64 = KB;
/// A provisioned stream bills one PUT payload unit per this many bytes of a record.
pub const PUT_PAYLOAD_UNIT_BYTES: u64 = 25 * KB;
/// Firehose rounds each record up to this many bytes for ingestion.
pub const FIREHOSE_ROUNDING_BYTES: u64 = 5 * KB;
/// Bytes in a GB as the bill counts it.
pub const GB: f64 = 1_073_741_824.0;
/// Hours in the bill's month: 30 days, the month every monthly figure of the harness uses.
pub const HOURS_PER_MONTH: f64 = 720.0;
/// The month in words, for every output that prints a monthly figure.
pub const MONTH: &str = "a 30-day month (720 hours)";

/// The records a path put, as AWS's rounding rules count them: each record's data blob rounded
/// record by record, so a spread of sizes is billed as it was put, not at its mean. Partition
/// keys are not counted: AWS's pricing pages round "each record" without saying whether its key
/// is part of it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PutSizes {
    /// Records counted.
    pub records: u64,
    /// Their billed bytes in all.
    pub bytes: u64,
    /// Σ ceil(bytes / 1 KB): an on-demand stream's Data-In, in KB.
    pub on_demand_kb: u64,
    /// Σ ceil(bytes / 25 KB): a provisioned stream's PUT payload units.
    pub payload_units: u64,
    /// Σ ceil(bytes / 5 KB): Firehose's billed ingestion, in 5 KB units.
    pub firehose_5kb: u64,
}

impl PutSizes {
    /// `records` records of `bytes` billed bytes each.
    pub fn of(bytes: u64, records: u64) -> PutSizes {
        let mut s = PutSizes::default();
        s.add_many(bytes, records);
        s
    }

    /// Count one record of `bytes` billed bytes.
    pub fn add(&mut self, bytes: u64) {
        self.add_many(bytes, 1);
    }

    /// Count `n` records of `bytes` billed bytes each.
    pub fn add_many(&mut self, bytes: u64, n: u64) {
        let units = |per: u64| bytes.div_ceil(per).max(1).saturating_mul(n);
        self.records = self.records.saturating_add(n);
        self.bytes = self.bytes.saturating_add(bytes.saturating_mul(n));
        self.on_demand_kb = self
            .on_demand_kb
            .saturating_add(units(ON_DEMAND_ROUNDING_BYTES));
        self.payload_units = self
            .payload_units
            .saturating_add(units(PUT_PAYLOAD_UNIT_BYTES));
        self.firehose_5kb = self
            .firehose_5kb
            .saturating_add(units(FIREHOSE_ROUNDING_BYTES));
    }

    /// Both counts together (workers merged).
    pub fn merged(self, other: PutSizes) -> PutSizes {
        PutSizes {
            records: self.records.saturating_add(other.records),
            bytes: self.bytes.saturating_add(other.bytes),
            on_demand_kb: self.on_demand_kb.saturating_add(other.on_demand_kb),
            payload_units: self.payload_units.saturating_add(other.payload_units),
            firehose_5kb: self.firehose_5kb.saturating_add(other.firehose_5kb),
        }
    }

    /// Per record: (billed bytes, on-demand KB, payload units, Firehose 5 KB units); zeros
    /// when nothing was counted.
    pub fn per_record(&self) -> (f64, f64, f64, f64) {
        if self.records == 0 {
            return (0.0, 0.0, 0.0, 0.0);
        }
        let n = self.records as f64;
        (
            self.bytes as f64 / n,
            self.on_demand_kb as f64 / n,
            self.payload_units as f64 / n,
            self.firehose_5kb as f64 / n,
        )
    }
}

/// The service a line of the bill is paid to: the stacked bar's segments.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BillService {
    /// Kinesis Data Streams.
    Kinesis,
    /// AWS KMS.
    Kms,
    /// Amazon Data Firehose.
    Firehose,
    /// Amazon S3 (Firehose's destination).
    S3,
}

impl BillService {
    /// Every service, in the order bills print them.
    pub const ALL: [BillService; 4] = [
        BillService::Kinesis,
        BillService::Kms,
        BillService::Firehose,
        BillService::S3,
    ];

    /// The name bills print.
    pub fn label(self) -> &'static str {
        match self {
            BillService::Kinesis => "Kinesis",
            BillService::Kms => "KMS",
            BillService::Firehose => "Firehose",
            BillService::S3 => "S3",
        }
    }
}

/// How the path's AWS capacity is bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BillMode {
    /// A stream of provisioned shards.
    Provisioned,
    /// An on-demand stream.
    OnDemand,
    /// A Firehose stream with direct put (to S3).
    Firehose,
}

impl BillMode {
    /// The name bills print.
    pub fn label(self) -> &'static str {
        match self {
            BillMode::Provisioned => "provisioned",
            BillMode::OnDemand => "on-demand",
            BillMode::Firehose => "firehose",
        }
    }
}

/// One line of a bill: a quantity a month at a unit price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// Who is paid.
    pub service: BillService,
    /// What for, e.g. "shard-hours", "Data-In", "requests".
    pub item: String,
    /// How many units a month.
    pub quantity: f64,
    /// The unit, e.g. "shard-hour", "GB", "10,000 requests".
    pub unit: String,
    /// US dollars a unit.
    pub unit_usd: f64,
    /// `quantity × unit_usd`, US dollars a month.
    pub usd: f64,
    /// The arithmetic that gave the quantity, in words.
    pub how: String,
}

/// A path's bill in one capacity mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeBill {
    /// The capacity mode.
    pub mode: BillMode,
    /// Provisioned: the shards the rate needs (write bytes, records, reads).
    pub shards: Option<u64>,
    /// Each line.
    pub items: Vec<LineItem>,
    /// The sum of the lines, US dollars a month.
    pub total_usd: f64,
}

impl ModeBill {
    /// This mode's lines summed by service.
    pub fn by_service(&self, service: BillService) -> f64 {
        self.items
            .iter()
            .filter(|i| i.service == service)
            .map(|i| i.usd)
            .sum()
    }

    /// The line named `item` of `service`, if the bill has it.
    pub fn item(&self, service: BillService, item: &str) -> Option<&LineItem> {
        self.items
            .iter()
            .find(|i| i.service == service && i.item == item)
    }
}

/// What the path adds over its baseline in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeDifference {
    /// The capacity mode.
    pub mode: BillMode,
    /// This path's total less the baseline's, US dollars a month.
    pub added_usd: f64,
    /// `added_usd` over this path's total: the share of the pipeline's bill encryption makes.
    pub share_of_bill: f64,
    /// The lines that differ: (service, item, dollars added), largest first.
    pub items: Vec<ItemDifference>,
}

/// One line's difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDifference {
    /// Who is paid.
    pub service: BillService,
    /// The line.
    pub item: String,
    /// This path's dollars less the baseline's.
    pub added_usd: f64,
}

/// What one path would cost a month at the rate it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathBill {
    /// Records a second the bill is for (the path's intended rate).
    pub records_per_sec: f64,
    /// Each capacity mode the path can be bought in (a stream: provisioned and on-demand; a
    /// Firehose path: firehose).
    pub modes: Vec<ModeBill>,
    /// The path the difference is taken over (plaintext for a stream path, an unencrypted
    /// Firehose path for a Firehose path); null for the baseline itself or without one.
    pub baseline: Option<String>,
    /// Per mode, what this path adds over `baseline`.
    pub differences: Vec<ModeDifference>,
    /// A figure the bill could not make (e.g. KMS calls a service made that were not
    /// counted): the totals leave it out, and say so.
    pub incomplete: Option<String>,
}

impl PathBill {
    /// The bill in `mode`, if the path has it.
    pub fn mode(&self, mode: BillMode) -> Option<&ModeBill> {
        self.modes.iter().find(|m| m.mode == mode)
    }

    /// The difference in `mode`, if taken.
    pub fn difference(&self, mode: BillMode) -> Option<&ModeDifference> {
        self.differences.iter().find(|d| d.mode == mode)
    }
}

/// The price table a run's bills used, and what holds for all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BillResult {
    /// The region the prices are for.
    pub region: String,
    /// When the prices were read from AWS's pages (as the table says).
    pub prices_read_on: Option<String>,
    /// Where the prices came from: the shipped table's name, or the file given with `--prices`.
    pub prices_from: String,
    /// The pages the table's prices were read from.
    pub price_pages: Vec<String>,
    /// The month every figure is for ([`MONTH`]).
    pub month: String,
    /// Why no bill was made (no price table for the region), in which case every path's
    /// `bill` is null.
    pub missing: Option<String>,
    /// What the bills leave out or assume.
    pub notes: Vec<String>,
}
