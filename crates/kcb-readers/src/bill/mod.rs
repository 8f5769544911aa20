//! The whole bill: what a path costs a month on AWS at a rate, line by line, in each capacity
//! mode it can be bought in, and what encryption adds over the unencrypted path beside it.
//!
//! Pure arithmetic over a [`Usage`] (what the path does each second: records, their sizes as
//! AWS rounds them, consumers, KMS requests, Firehose objects) and a [`PriceTable`]. The run
//! bills each path at its own rate ([`bill_run`], into `result.json`); the plan bills it at the
//! planned rate ([`crate::plan`]). Every month is [`MONTH`]. How each line is computed, with a
//! worked example: `docs/bill.md`.

pub mod prices;

#[cfg(test)]
mod tests;

pub use prices::{PriceError, PriceTable};

use crate::format::{count, number};
use crate::metrics::SECS_PER_30_DAY_MONTH;
use crate::result::bill::{
    BillMode, BillResult, BillService, ItemDifference, LineItem, ModeBill, ModeDifference,
    PathBill, PutSizes, FIREHOSE_ROUNDING_BYTES, GB, HOURS_PER_MONTH, MONTH,
    ON_DEMAND_ROUNDING_BYTES,
};
use crate::result::{PathKind, PathResult, PathSettings, RunResult};

/// What one path does, the bill's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Records a second.
    pub records_per_sec: f64,
    /// The records' sizes as AWS rounds them (per record means are taken from it).
    pub sizes: PutSizes,
    /// Consumer applications polling (GetRecords), each reading every record.
    pub consumers: u32,
    /// Enhanced fan-out consumers, each reading every record.
    pub efo_consumers: u32,
    /// KMS requests a month (`None`: they could not be counted), keys and rotations.
    pub kms: KmsUsage,
    /// A Firehose path: objects its destination receives a second.
    pub firehose_objects_per_sec: Option<f64>,
}

/// A path's KMS use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmsUsage {
    /// Requests a month, all callers together; `None` when they could not be counted.
    pub requests_per_month: Option<f64>,
    /// Customer-managed keys.
    pub keys: u32,
    /// Rotations of each key's material so far.
    pub rotations: u32,
}

impl Usage {
    fn secs(&self) -> f64 {
        self.records_per_sec * SECS_PER_30_DAY_MONTH
    }

    /// Records a month.
    pub fn records_per_month(&self) -> f64 {
        self.secs()
    }

    /// Bytes a record, on average, as put.
    pub fn bytes_per_record(&self) -> f64 {
        self.sizes.per_record().0
    }

    /// GB put a month, unrounded.
    pub fn gb_per_month(&self) -> f64 {
        self.secs() * self.bytes_per_record() / GB
    }
}

fn line(
    service: BillService,
    item: &str,
    quantity: f64,
    unit: &str,
    unit_usd: f64,
    how: String,
) -> LineItem {
    LineItem {
        service,
        item: item.to_owned(),
        quantity,
        unit: unit.to_owned(),
        unit_usd,
        usd: quantity * unit_usd,
        how,
    }
}

fn total(mode: BillMode, shards: Option<u64>, items: Vec<LineItem>) -> ModeBill {
    ModeBill {
        mode,
        shards,
        total_usd: items.iter().map(|i| i.usd).sum(),
        items,
    }
}

/// KMS's lines: requests, key-months, and each key's billed rotations.
fn kms_lines(u: &Usage, p: &PriceTable) -> Vec<LineItem> {
    let k = &u.kms;
    let mut out = Vec::new();
    if let Some(r) = k.requests_per_month.filter(|r| *r > 0.0) {
        out.push(line(
            BillService::Kms,
            "requests",
            r / 10_000.0,
            "10,000 requests",
            p.kms.per_10k_requests,
            format!(
                "{} requests a month at this rate (the free tier not subtracted)",
                count(r.round() as u64)
            ),
        ));
    }
    if k.keys > 0 {
        out.push(line(
            BillService::Kms,
            "key-months",
            f64::from(k.keys),
            "key-month",
            p.kms.key_month,
            format!("{} customer-managed key(s)", k.keys),
        ));
        let billed = k.rotations.min(p.kms.rotations_billed);
        if billed > 0 {
            out.push(line(
                BillService::Kms,
                "key rotations",
                f64::from(k.keys * billed),
                "rotation-month",
                p.kms.rotation_month,
                format!(
                    "{} key(s) × {billed} rotation(s) billed ({} made; only the first {} add to the price)",
                    k.keys, k.rotations, p.kms.rotations_billed
                ),
            ));
        }
    }
    out
}

/// Shards a provisioned stream needs for `u`: write bytes, records and polling reads.
pub fn shards_needed(u: &Usage) -> u64 {
    crate::plan::shards::shards(
        u.records_per_sec,
        u.bytes_per_record().ceil() as u64,
        u.consumers,
    )
    .needed
}

/// A stream path in `mode`: provisioned, else on-demand (a stream has no Firehose mode).
pub fn stream_bill(mode: BillMode, u: &Usage, p: &PriceTable) -> ModeBill {
    let (bytes, kb, units, _) = u.sizes.per_record();
    let records = u.records_per_month();
    let rate = number(u.records_per_sec);
    let mut items = Vec::new();
    let efo = f64::from(u.efo_consumers);
    let shards = (mode == BillMode::Provisioned).then(|| shards_needed(u));
    match mode {
        BillMode::Provisioned => {
            let k = &p.kinesis_provisioned;
            let n = shards.unwrap_or(1);
            items.push(line(
                BillService::Kinesis,
                "shard-hours",
                n as f64 * HOURS_PER_MONTH,
                "shard-hour",
                k.shard_hour,
                format!(
                    "{n} shard(s) for {rate} records/s of {} B (the most that write bytes, records and reads need) × {} h",
                    number(bytes),
                    number(HOURS_PER_MONTH)
                ),
            ));
            items.push(line(
                BillService::Kinesis,
                "PUT payload units",
                records * units / 1e6,
                "million units",
                k.put_payload_units_per_million,
                format!(
                    "{rate} records/s × {} unit(s) a record (25 KB each, rounded up record by record)",
                    number(units)
                ),
            ));
            if u.efo_consumers > 0 {
                items.push(line(
                    BillService::Kinesis,
                    "enhanced fan-out consumer-shard-hours",
                    efo * n as f64 * HOURS_PER_MONTH,
                    "consumer-shard-hour",
                    k.efo_consumer_shard_hour,
                    format!(
                        "{} consumer(s) × {n} shard(s) × {} h",
                        u.efo_consumers,
                        number(HOURS_PER_MONTH)
                    ),
                ));
                items.push(efo_retrieval(u, k.efo_retrieval_per_gb));
            }
        }
        BillMode::OnDemand | BillMode::Firehose => {
            // On-demand.
            let k = &p.kinesis_on_demand;
            items.push(line(
                BillService::Kinesis,
                "stream-hours",
                HOURS_PER_MONTH,
                "stream-hour",
                k.stream_hour,
                format!("1 stream × {} h", number(HOURS_PER_MONTH)),
            ));
            items.push(line(
                BillService::Kinesis,
                "Data-In",
                records * kb * ON_DEMAND_ROUNDING_BYTES as f64 / GB,
                "GB",
                k.data_in_per_gb,
                format!(
                    "{rate} records/s × {} KB a record (each rounded up to the next 1 KB; {} B on average unrounded)",
                    number(kb),
                    number(bytes)
                ),
            ));
            if u.consumers > 0 {
                items.push(line(
                    BillService::Kinesis,
                    "Data-Out",
                    f64::from(u.consumers) * u.gb_per_month(),
                    "GB",
                    k.data_out_per_gb,
                    format!(
                        "{} polling consumer(s) × {rate} records/s × {} B",
                        u.consumers,
                        number(bytes)
                    ),
                ));
            }
            if u.efo_consumers > 0 {
                if k.efo_consumer_stream_hour > 0.0 {
                    items.push(line(
                        BillService::Kinesis,
                        "enhanced fan-out consumer-stream-hours",
                        efo * HOURS_PER_MONTH,
                        "consumer-stream-hour",
                        k.efo_consumer_stream_hour,
                        format!(
                            "{} consumer(s) × {} h",
                            u.efo_consumers,
                            number(HOURS_PER_MONTH)
                        ),
                    ));
                }
                items.push(efo_retrieval(u, k.efo_retrieval_per_gb));
            }
        }
    }
    items.extend(kms_lines(u, p));
    total(mode, shards, items)
}

fn efo_retrieval(u: &Usage, per_gb: f64) -> LineItem {
    line(
        BillService::Kinesis,
        "enhanced fan-out retrieval",
        f64::from(u.efo_consumers) * u.gb_per_month(),
        "GB",
        per_gb,
        format!(
            "{} consumer(s) × {} records/s × {} B",
            u.efo_consumers,
            number(u.records_per_sec),
            number(u.bytes_per_record())
        ),
    )
}

/// A Firehose path (direct put to S3).
pub fn firehose_bill(u: &Usage, p: &PriceTable) -> ModeBill {
    let (bytes, _, _, units5) = u.sizes.per_record();
    let records = u.records_per_month();
    let ingested_gb = records * units5 * FIREHOSE_ROUNDING_BYTES as f64 / GB;
    let mut items = vec![LineItem {
        usd: p.firehose_ingestion_usd(ingested_gb),
        unit_usd: p.firehose.ingestion.first().map_or(0.0, |t| t.per_gb),
        ..line(
            BillService::Firehose,
            "ingestion",
            ingested_gb,
            "GB",
            0.0,
            format!(
                "{} records/s × {} × 5 KB a record (each rounded up to the next 5 KB; {} B on average unrounded), priced by the month's tiers",
                number(u.records_per_sec),
                number(units5),
                number(bytes)
            ),
        )
    }];
    let objects = u.firehose_objects_per_sec.unwrap_or(0.0) * SECS_PER_30_DAY_MONTH;
    items.push(line(
        BillService::S3,
        "PUT requests",
        objects / 1_000.0,
        "1,000 requests",
        p.s3.put_per_1000,
        format!(
            "{} objects a month (one per buffer interval, or per buffer size when that fills first)",
            count(objects.round() as u64)
        ),
    ));
    if u.consumers > 0 {
        items.push(line(
            BillService::S3,
            "GET requests",
            f64::from(u.consumers) * objects / 1_000.0,
            "1,000 requests",
            p.s3.get_per_1000,
            format!("{} reader(s) × each object once", u.consumers),
        ));
    }
    items.push(line(
        BillService::S3,
        "storage",
        u.gb_per_month(),
        "GB-month",
        p.s3.storage_gb_month,
        "one month's deliveries kept for a month".to_owned(),
    ));
    items.extend(kms_lines(u, p));
    total(BillMode::Firehose, None, items)
}

/// Every mode `kind` can be bought in.
pub fn modes(kind: PathKind, u: &Usage, p: &PriceTable) -> Vec<ModeBill> {
    match kind {
        PathKind::Firehose => vec![firehose_bill(u, p)],
        _ => vec![
            stream_bill(BillMode::Provisioned, u, p),
            stream_bill(BillMode::OnDemand, u, p),
        ],
    }
}

/// What `bill` adds over `baseline`, mode by mode.
pub fn differences(bill: &[ModeBill], baseline: &[ModeBill]) -> Vec<ModeDifference> {
    bill.iter()
        .filter_map(|m| {
            let b = baseline.iter().find(|b| b.mode == m.mode)?;
            let mut items: Vec<ItemDifference> = Vec::new();
            let mut keys: Vec<(BillService, &str)> = m
                .items
                .iter()
                .chain(&b.items)
                .map(|i| (i.service, i.item.as_str()))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            for (service, item) in keys {
                let usd = |x: &ModeBill| x.item(service, item).map_or(0.0, |i| i.usd);
                let added = usd(m) - usd(b);
                if added.abs() > 1e-9 {
                    items.push(ItemDifference {
                        service,
                        item: item.to_owned(),
                        added_usd: added,
                    });
                }
            }
            items.sort_by(|a, b| b.added_usd.abs().total_cmp(&a.added_usd.abs()));
            let added_usd = m.total_usd - b.total_usd;
            Some(ModeDifference {
                mode: m.mode,
                added_usd,
                share_of_bill: if m.total_usd > 0.0 {
                    added_usd / m.total_usd
                } else {
                    0.0
                },
                items,
            })
        })
        .collect()
}

/// The path a path's bill is compared with: for a stream path, the plaintext path (of the same
/// tenant); for a Firehose path, a Firehose path encrypting nothing. `None` for the baseline
/// itself and when the run has none.
pub fn baseline_of<'a>(
    path: &PathResult,
    paths: impl IntoIterator<Item = &'a PathResult>,
) -> Option<&'a PathResult> {
    let same_tenant = |q: &PathResult| {
        path.tenant.as_ref().map(|t| t.index) == q.tenant.as_ref().map(|t| t.index)
    };
    let unencrypted = |q: &PathResult| match (&q.settings, path.kind) {
        (PathSettings::Plaintext, k) => k != PathKind::Firehose,
        (PathSettings::Firehose(f), PathKind::Firehose) => {
            f.key == "none" && f.destination_sse == "none"
        }
        _ => false,
    };
    if unencrypted(path) {
        return None;
    }
    paths
        .into_iter()
        .find(|q| q.name != crate::result::TWIN && same_tenant(q) && unencrypted(q))
}

/// Firehose objects a second at `u`'s rate for `path`'s buffering hints (none for a stream).
fn firehose_objects(path: &PathResult, region: &str, rate: f64, bytes: f64) -> Option<f64> {
    crate::plan::firehose::delivery_streams(path, Some(region), rate, bytes.ceil() as u64)
        .map(|d| d.objects_per_sec_per_stream * d.needed as f64)
}

/// Rotations the run made of `path`'s key: its `rotate-key` faults that applied.
pub fn rotations(result: &RunResult, path: &str) -> u32 {
    let n = result
        .faults
        .iter()
        .filter(|f| f.kind == "rotate-key" && f.applied && f.paths.iter().any(|p| p.path == path))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What `path` did in the run, as a bill's input: its own rate, the sizes it put, one polling
/// consumer, its KMS requests a month as measured (`None` when not counted) and its rotations.
pub fn run_usage(result: &RunResult, path: &PathResult) -> Option<Usage> {
    let sizes = path.put_sizes?;
    let rate = path
        .tenant
        .as_ref()
        .map_or(result.scenario.rate_per_sec, |t| t.rate_per_sec);
    let k = &path.kms_calls;
    Some(Usage {
        records_per_sec: rate,
        sizes,
        consumers: 1,
        efo_consumers: 0,
        kms: KmsUsage {
            requests_per_month: k.not_counted.is_none().then_some(k.monthly_requests),
            keys: k.customer_managed_keys,
            rotations: rotations(result, &path.name),
        },
        firehose_objects_per_sec: firehose_objects(
            path,
            &result.target.region,
            rate,
            sizes.per_record().0,
        ),
    })
}

/// Why a bill leaves KMS out, when it must.
fn incomplete(u: &Usage, path: &PathResult) -> Option<String> {
    u.kms.requests_per_month.is_none().then(|| {
        format!(
            "KMS requests left out: {}",
            path.kms_calls
                .not_counted
                .clone()
                .unwrap_or_else(|| "they could not be counted".to_owned())
        )
    })
}

/// The notes every bill carries, for `consumers` polling consumer applications.
pub fn notes(consumers: u32) -> Vec<String> {
    vec![
        format!("Every figure is for {MONTH}, US dollars, at the path's own rate, continuously."),
        "Records are rounded record by record as put (1 KB on-demand Data-In, 25 KB PUT payload units, 5 KB Firehose ingestion; a KB is 1,024 bytes, a GB 2^30); partition keys are not counted.".to_owned(),
        "Provisioned: the shards the rate needs (1 MiB/s or 1,000 records/s of writes, 2 MiB/s of reads each), not the run's own; on-demand: one stream, Standard (not Advantage).".to_owned(),
        format!("{consumers} polling consumer application(s) a path, each reading every record; no extended retention; KMS's 20,000 free requests a month are the account's and are not subtracted; data transfer out of AWS is not billed here."),
    ]
}

/// What a set of bills says of its prices: the table's region, date, source and pages, the
/// month and the notes; or, without a table (`None`), why there are no bills for `region`.
pub fn prices_used(
    prices: Option<(&PriceTable, &str)>,
    region: &str,
    consumers: u32,
) -> BillResult {
    match prices {
        Some((table, from)) => BillResult {
            region: table.region.clone(),
            prices_read_on: table.read_on.clone(),
            prices_from: from.to_owned(),
            price_pages: table.pages.clone(),
            month: MONTH.to_owned(),
            missing: None,
            notes: {
                let mut n = notes(consumers);
                if table.region != region {
                    n.push(format!(
                        "The prices are {}'s; the load is in {region}.",
                        table.region
                    ));
                }
                n
            },
        },
        None => BillResult {
            region: region.to_owned(),
            prices_read_on: None,
            prices_from: "none".to_owned(),
            price_pages: Vec::new(),
            month: MONTH.to_owned(),
            missing: Some(format!(
                "no price table for region {region} (shipped: {}): pass --prices FILE, in the shape of crates/kcb-readers/prices/us-east-1.toml",
                PriceTable::shipped_regions().join(", ")
            )),
            notes: Vec::new(),
        },
    }
}

/// Bill every path of `result` at its own rate with `prices` (a table and where it came from,
/// named in the result), or say why there is no bill (`None`: no table for the run's region).
pub fn bill_run(result: &mut RunResult, prices: Option<(&PriceTable, &str)>) {
    let region = result.target.region.clone();
    result.bill = Some(prices_used(prices, &region, 1));
    let Some((table, _)) = prices else {
        for p in &mut result.paths {
            p.bill = None;
        }
        return;
    };
    let mut bills: Vec<Option<PathBill>> = result
        .paths
        .iter()
        .map(|p| {
            let u = run_usage(result, p)?;
            Some(PathBill {
                records_per_sec: u.records_per_sec,
                modes: modes(p.kind, &u, table),
                baseline: None,
                differences: Vec::new(),
                incomplete: incomplete(&u, p),
            })
        })
        .collect();
    for i in 0..result.paths.len() {
        let Some(j) = baseline_of(&result.paths[i], &result.paths)
            .and_then(|b| result.paths.iter().position(|q| q.name == b.name))
        else {
            continue;
        };
        let base = bills[j].as_ref().map(|b| b.modes.clone());
        if let (Some(bill), Some(base)) = (bills[i].as_mut(), base) {
            bill.differences = differences(&bill.modes, &base);
            bill.baseline = Some(result.paths[j].name.clone());
        }
    }
    for (p, b) in result.paths.iter_mut().zip(bills.drain(..)) {
        p.bill = b;
    }
}

/// The table a run or plan uses: the file given (`--prices`), else the shipped one for
/// `region`; with where it came from, in words. `Ok(None)`: none shipped for `region`.
pub fn table_for(
    file: Option<&std::path::Path>,
    region: &str,
) -> Result<Option<(PriceTable, String)>, PriceError> {
    match file {
        Some(f) => PriceTable::read(f).map(|t| Some((t, f.display().to_string()))),
        None => {
            Ok(PriceTable::shipped(region).map(|t| (t, format!("shipped prices for {region}"))))
        }
    }
}
