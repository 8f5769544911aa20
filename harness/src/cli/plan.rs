//! `kinesis-crypto-bench plan RESULT.json --records-per-sec N --record-bytes B [--region R]
//! [--consumers C] [--kms-quota-per-sec Q] [--tenants N [--tenant-key per-tenant|shared]]
//! [--efo-consumers N] [--prices FILE] [--format markdown|json]`: what a measured run means
//! at a planned load (shards, KMS requests and cost, client CPU, record fit, and each path's
//! monthly bill per capacity mode), printed to stdout.
//!
//! Exit codes: 0 printed; 2 the result cannot be read or a flag is out of range.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit::Exit;
use crate::plan::{self, PlanInput};
use crate::result::RunResult;

use super::DocFormat;

/// Arguments of `plan`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// A run's result.json.
    pub result: PathBuf,
    /// Records per second each path must carry.
    #[arg(long)]
    pub records_per_sec: f64,
    /// Plaintext bytes per record; a comma-separated list ("1000,1100") plans a spread of
    /// sizes, as many records of each: the bill rounds each size on its own, the rest uses
    /// their mean.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub record_bytes: Vec<u64>,
    /// AWS region whose KMS request quota applies (default: the 10,000/s most regions have).
    #[arg(long)]
    pub region: Option<String>,
    /// Consumer applications, each reading every record.
    #[arg(long, default_value_t = 1)]
    pub consumers: u32,
    /// The account's own KMS request quota per second (from Service Quotas), overriding the
    /// region's default.
    #[arg(long)]
    pub kms_quota_per_sec: Option<f64>,
    /// Tenants, each running every path at --records-per-sec on a stream of its own (default:
    /// one, or the run's own count for a run with [tenants]).
    #[arg(long)]
    pub tenants: Option<u32>,
    /// The tenants' keys: a key per tenant, or one shared by all (default: each path's as the
    /// run had them, else per-tenant).
    #[arg(long, value_enum)]
    pub tenant_key: Option<crate::plan::tenants::TenantKeyPlan>,
    /// Enhanced fan-out consumers, each reading every record (billed per consumer-shard-hour
    /// and GB retrieved), 0 to 20.
    #[arg(long, default_value_t = 0)]
    pub efo_consumers: u32,
    /// A price table for the bills (TOML, in the shape of
    /// crates/kcb-readers/prices/us-east-1.toml). Without it: the shipped table of --region
    /// (us-east-1 when no region is given; only us-east-1 ships).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Markdown)]
    pub format: DocFormat,
}

/// Run `plan`.
pub fn run(args: &PlanArgs) -> ExitCode {
    let (record_bytes, record_sizes) = PlanInput::sizes(&args.record_bytes);
    let input = PlanInput {
        records_per_sec: args.records_per_sec,
        record_bytes,
        record_sizes,
        region: args.region.clone(),
        consumers: args.consumers,
        kms_quota_per_sec: args.kms_quota_per_sec,
        tenants: args.tenants,
        tenant_key: args.tenant_key,
        efo_consumers: args.efo_consumers,
    };
    if let Err(e) = input.validate() {
        eprintln!("error: {e}");
        return Exit::BadInput.into();
    }
    let result = match RunResult::read(&args.result) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput.into();
        }
    };
    let prices = match crate::bill::table_for(args.prices.as_deref(), plan::price_region(&input)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --prices {e}");
            return Exit::BadInput.into();
        }
    };
    let p = plan::plan_priced(
        &result,
        &input,
        prices.as_ref().map(|(t, from)| (t, from.as_str())),
    );
    match args.format {
        DocFormat::Markdown => print!("{}", plan::markdown(&p)),
        DocFormat::Json => match serde_json::to_string_pretty(&p) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: the plan does not serialize: {e}");
                return Exit::BadInput.into();
            }
        },
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use clap::{Args, Command, FromArgMatches};

    use super::{DocFormat, PlanArgs, PlanInput};

    fn parse(argv: &[&str]) -> Result<PlanArgs, clap::Error> {
        let m = PlanArgs::augment_args(Command::new("plan")).try_get_matches_from(argv)?;
        PlanArgs::from_arg_matches(&m)
    }

    #[test]
    fn flags_parse() {
        PlanArgs::augment_args(Command::new("plan")).debug_assert();
        match parse(&[
            "plan",
            "r.json",
            "--records-per-sec",
            "5000",
            "--record-bytes",
            "1024",
        ]) {
            Ok(a) => {
                assert_eq!(
                    (a.records_per_sec, a.record_bytes.as_slice(), a.consumers),
                    (5_000.0, [1_024].as_slice(), 1)
                );
                assert_eq!((a.region, a.format), (None, DocFormat::Markdown));
            }
            Err(e) => panic!("{e}"),
        }
        match parse(&[
            "plan",
            "r.json",
            "--records-per-sec",
            "1",
            "--record-bytes",
            "1",
            "--region",
            "eu-west-1",
            "--consumers",
            "3",
            "--format",
            "json",
        ]) {
            Ok(a) => {
                assert_eq!(a.region.as_deref(), Some("eu-west-1"));
                assert_eq!((a.consumers, a.format), (3, DocFormat::Json));
            }
            Err(e) => panic!("{e}"),
        }
        assert!(parse(&["plan", "r.json", "--record-bytes", "1"]).is_err());
        match parse(&[
            "plan",
            "r.json",
            "--records-per-sec",
            "1",
            "--record-bytes",
            "1000,1100,1201",
        ]) {
            Ok(a) => {
                assert_eq!(a.record_bytes, vec![1_000, 1_100, 1_201]);
                // The mean, rounded: 3,301 / 3 = 1,100.33 -> 1,100.
                assert_eq!(
                    PlanInput::sizes(&a.record_bytes),
                    (1_100, vec![1_000, 1_100, 1_201])
                );
            }
            Err(e) => panic!("{e}"),
        }
    }
}
