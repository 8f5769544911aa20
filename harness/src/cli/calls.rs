//! `kinesis-crypto-bench calls [--endpoint-url URL] --op put-record|put-records|get-records
//! [--calls N] [--size B] [--batch N] [--shards N] [--concurrency N] [--sse] [--format text|json]`: a
//! bounded loop of one Kinesis call through the harness's SDK client, against the embedded
//! service in process (the default) or an endpoint (`serve`, moto, kinesalite, LocalStack),
//! printing calls/s, records/s and p50/p99 (`probe`).
//!
//! Exit codes: 0 every timed call succeeded; 1 some failed; 2 bad flags; 3 the stream could not
//! be set up or every call failed.

use std::process::ExitCode;
use std::time::Duration;

use crate::backend::Target;
use crate::exit::Exit;
use crate::probe::{self, LoopSpec, Op};

/// Arguments of `calls`.
#[derive(Debug, Clone, clap::Args)]
pub struct CallsArgs {
    /// The call to make.
    #[arg(long, value_enum, default_value = "put-record")]
    pub op: Op,
    /// An endpoint (a `serve` on loopback, moto, kinesalite, LocalStack), signed with the
    /// harness's principals (admin, producer, consumer); default: the embedded service in
    /// process, shard limits off.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Region requests are signed for.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Timed calls (1 to 10,000,000).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub calls: u64,
    /// Untimed calls first.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub warmup: u64,
    /// Bytes of each record's data (1 to 1,048,576).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub size: u64,
    /// Records a PutRecords carries or a GetRecords asks for (1 to 500; GetRecords up to 10,000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch: u64,
    /// Shards of the loop's stream (1 to 1,000).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub shards: u32,
    /// Callers at once (1 to 64).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Stop timing after this long even if calls remain (e.g. 30s, 2m; at most 10m).
    #[arg(long, default_value = "30s")]
    pub max_time: humantime::Duration,
    /// Server-side encryption on the loop's stream, with a KMS key made for it.
    #[arg(long)]
    pub sse: bool,
    /// `--format text|json` (and its older spelling `--json`).
    #[command(flatten)]
    pub output: super::ResultFormatArgs,
}

/// Run `calls`.
pub fn run(args: &CallsArgs) -> ExitCode {
    let max_time: Duration = args.max_time.into();
    if max_time > Duration::from_secs(600) || max_time.is_zero() {
        eprintln!(
            "error: --max-time: give more than 0 and at most 10m (got {})",
            args.max_time
        );
        return Exit::BadInput.into();
    }
    if args.op == Op::PutRecords && args.batch > 500 {
        eprintln!(
            "error: --batch: PutRecords carries 1 to 500 records (got {})",
            args.batch
        );
        return Exit::BadInput.into();
    }
    let spec = LoopSpec {
        op: args.op,
        calls: args.calls,
        warmup: args.warmup,
        size: args.size as usize,
        batch: args.batch as usize,
        shards: args.shards,
        concurrency: args.concurrency as usize,
        max_time,
        sse: args.sse,
    };
    let rt = match crate::runner::runtime(false) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::CouldNotRun.into();
        }
    };
    let target = match &args.endpoint_url {
        Some(url) => Target::Endpoint {
            url: url.clone(),
            region: args.region.clone(),
        },
        None => {
            let _guard = rt.enter();
            Target::Embedded(probe::embedded_service())
        }
    };
    let r = match rt.block_on(probe::run(&target, &spec)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: {}: setting up the loop's stream failed: {e}",
                target.label()
            );
            return Exit::CouldNotRun.into();
        }
    };
    if args.output.is_json() {
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
    } else {
        println!(
            "{} {} x {} B{} against {}: {} calls in {:.2} s, {:.0} calls/s, {:.0} records/s, p50 {} µs, p99 {} µs, max {} µs{}",
            r.op.api(),
            r.batch,
            r.size,
            if r.sse { " (SSE)" } else { "" },
            r.target,
            r.calls,
            r.seconds,
            r.calls_per_sec,
            r.records_per_sec,
            r.p50_us,
            r.p99_us,
            r.max_us,
            if r.hit_time_limit { " (time limit reached)" } else { "" },
        );
    }
    if r.failed > 0 {
        eprintln!(
            "{} of {} calls failed; the first: {}",
            r.failed,
            r.failed + r.calls,
            r.first_error.as_deref().unwrap_or("?")
        );
        return if r.calls == 0 {
            Exit::CouldNotRun
        } else {
            Exit::Failed
        }
        .into();
    }
    ExitCode::SUCCESS
}
