//! The `kinesis-crypto-bench` command: run scenarios, validate them, serve the embedded service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use kcb::clock::SystemClock;
use kcb::emulator::{server, Service, ServiceConfig};
use kcb::exit::Exit;
use kcb::runner::{self, output};
use kcb::scenario::{self, ClockMode, Scenario};

#[derive(Parser)]
#[command(
    name = "kinesis-crypto-bench",
    version,
    about = "What encryption costs a Kinesis pipeline, and what happens when keys and permissions fail",
    after_help = "Environment:\n  \
        KCB_LOG               log filter (e.g. debug, kcb=trace); warnings only when unset\n  \
        KCB_START_AT          run --start-at\n  \
        KCB_WORKERS           run --worker's N, with a Kubernetes Indexed Job's JOB_COMPLETION_INDEX\n  \
        AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ARRAY_SIZE   run --worker in an AWS Batch array job\n  \
        AWS_ENDPOINT_URL      the endpoint of --target aws, as the AWS SDKs read it\n  \
        KCB_FONT              the TrueType font of report --png's plots\n\n\
        Exit status, every command: 0 done; 1 a check failed; 2 unusable input; 3 could not be carried out; 130 interrupted."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print a table (exit 0: every expectation holds; 1: one failed;
    /// 2: the scenario is invalid; 3: the run could not be carried out).
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output directory (default reports/runs/<scenario>-<timestamp>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// `--format text|json`: a table, or result.json on stdout (`--json` is its older
        /// spelling).
        #[command(flatten)]
        output: kcb::cli::ResultFormatArgs,
        /// `--target`, `--endpoint-url`, `--region`, `--role`.
        #[command(flatten)]
        where_to: kcb::cli::target_args::TargetArgs,
        /// Refuse to run (before creating anything) unless the credentials are this account's.
        #[arg(long, value_name = "ACCOUNT_ID")]
        expect_account: Option<String>,
        /// Let key faults (disable-key, schedule-key-deletion) change the keys this run creates
        /// on a target other than the embedded service; without it such a scenario is refused
        /// before its first request.
        #[arg(long)]
        allow_destructive: bool,
        /// With --target aws: do not wait for CloudTrail to count the KMS calls services make
        /// for the run (Kinesis under SSE-KMS, Firehose, S3); those paths' calls then read
        /// "not counted".
        #[arg(long)]
        no_cloudtrail: bool,
        /// Refuse, before any request, a scenario whose rates pass a stream's shards, a
        /// Firehose stream's direct-put quota or the KMS request quota (without it: a warning).
        #[arg(long)]
        strict: bool,
        /// A price table for the run's bills (TOML, in the shape of
        /// crates/kcb-readers/prices/us-east-1.toml): negotiated rates, or another region.
        /// Without it: the shipped table of the run's region (us-east-1 only).
        #[arg(long, value_name = "FILE")]
        prices: Option<std::path::PathBuf>,
        /// Never draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Leave the streams and keys the run made (needs --endpoint-url or --target aws), and
        /// print how to remove them.
        #[arg(long)]
        keep: bool,
        /// Run share I of N of the scenario's schedule, one of N workers on as many machines
        /// against one shared endpoint (then `merge` their results). Without it: a Kubernetes
        /// Indexed Job's JOB_COMPLETION_INDEX with KCB_WORKERS, or an AWS Batch array job's
        /// AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE.
        #[arg(long, value_name = "I/N")]
        worker: Option<String>,
        /// The instant every worker starts its load, RFC 3339 in UTC (2026-12-03T02:00:00Z);
        /// default: the scenario's `start_at`.
        #[arg(long, value_name = "RFC3339", env = "KCB_START_AT")]
        start_at: Option<String>,
    },
    /// Combine the results of a run's workers (`run --worker I/N`) into one result directory:
    /// histograms added interval by interval, counters, ledgers and KMS calls summed, overheads
    /// and expectations evaluated on the whole (exit 1: an expectation failed; 2: the results
    /// are not one run's).
    Merge(kcb::cli::merge::MergeArgs),
    /// Check scenario files without running them (exit 2 if any is invalid).
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Render results as a self-contained HTML page with plots, and a Markdown summary.
    Report(kcb::cli::report::ReportArgs),
    /// Capacity plan from a result: shards, KMS requests and cost, CPU, what no longer fits.
    Plan(kcb::cli::plan::PlanArgs),
    /// Fail (exit 1) when encryption overhead, KMS calls or inflation regressed beyond noise.
    Gate(kcb::cli::gate::GateArgs),
    /// Remove what earlier runs left behind (by their created-by tag): streams, keys, aliases.
    Cleanup(kcb::cli::cleanup::CleanupArgs),
    /// Audit every Kinesis and Firehose stream's encryption: its protection (none, AWS-owned,
    /// AWS-managed, customer-managed), key state, rotation and key policy, with findings, the AWS
    /// CLI commands that fix them and `--apply` (exit 1: a stream falls short of --require).
    Audit(kcb::cli::audit::AuditArgs),
    /// Time a bounded loop of one Kinesis call (PutRecord, PutRecords, GetRecords) through the
    /// harness's SDK client, in process or against an endpoint: calls/s and p50/p99.
    Calls(kcb::cli::calls::CallsArgs),
    /// Serve the embedded Kinesis + KMS service on a loopback port (SigV4 checked).
    Serve {
        /// Port (0 = any free port).
        #[arg(long, default_value_t = 4567)]
        port: u16,
        /// Loopback address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The KMS request quota, requests per second (the name `plan` uses; `--kms-quota`
        /// still works).
        #[arg(
            long = "kms-quota-per-sec",
            alias = "kms-quota",
            value_name = "N",
            default_value_t = 10_000.0
        )]
        kms_quota: f64,
        /// SSE data-key reuse window (e.g. 5m, 30s).
        #[arg(long, default_value = "5m")]
        sse_reuse_period: humantime::Duration,
        /// Per-shard limits of new streams: `aws` (1,000 records and 1 MiB written, 5 reads
        /// and 2 MiB read a second) or `off` (never throttle: for timing the service itself).
        #[arg(long, default_value = "aws", value_parser = ["aws", "off"])]
        shard_limits: String,
        /// How long after a KMS call CloudTrail's LookupEvents first returns it (AWS: minutes
        /// on average; here none unless given, e.g. 30s).
        #[arg(long, default_value = "0s")]
        cloudtrail_delay: humantime::Duration,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            // The SDK logs an error when it would close the connection behind a transient
            // error (a throttle) and the in-process transport has none: not the user's concern.
            tracing_subscriber::EnvFilter::try_from_env("KCB_LOG").unwrap_or_else(|_| {
                "warn,aws_smithy_runtime::client::http::connection_poisoning=off".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Run {
            scenario,
            out,
            output,
            where_to,
            expect_account,
            allow_destructive,
            no_cloudtrail,
            strict,
            prices,
            no_progress,
            keep,
            worker,
            start_at,
        } => {
            let s = match scenario::load(&scenario) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Exit::BadInput.into();
                }
            };
            let prices = match prices.as_deref().map(kcb::bill::PriceTable::read) {
                Some(Ok(t)) => Some((t, prices.unwrap_or_default().display().to_string())),
                Some(Err(e)) => {
                    eprintln!("error: --prices {e}");
                    return Exit::BadInput.into();
                }
                None => None,
            };
            let mut flags = match where_to.flags() {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Exit::BadInput.into();
                }
            };
            // `--target embedded --endpoint-url URL`: the harness's principals at URL.
            flags.endpoint_url = where_to.endpoint_url.clone();
            if let Some(a) = &expect_account {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    eprintln!("error: --expect-account {a:?}: must be a 12-digit AWS account id");
                    return Exit::BadInput.into();
                }
            }
            let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let share = match worker.as_deref() {
                Some(w) => kcb::workload::WorkerShare::parse(w).map(Some),
                None => kcb::workload::WorkerShare::from_env(env),
            };
            let share = match share {
                Ok(w) => w.unwrap_or_default(),
                Err(e) => {
                    eprintln!("error: {e}");
                    return Exit::BadInput.into();
                }
            };
            let start_at = match start_at.filter(|t| !t.is_empty()) {
                Some(t) => match humantime::parse_rfc3339_weak(t.trim()) {
                    Ok(at) => Some(at),
                    Err(e) => {
                        eprintln!("error: --start-at (or KCB_START_AT) {t:?}: not an RFC 3339 instant in UTC ({e}); e.g. 2026-12-03T02:00:00Z");
                        return Exit::BadInput.into();
                    }
                },
                None => None,
            };
            if start_at.is_some() && s.clock == ClockMode::Virtual {
                eprintln!("error: --start-at: {} runs on the virtual clock, which has no wall-clock start", scenario.display());
                return Exit::BadInput.into();
            }
            let tag = match start_at.or(s.start_at) {
                Some(at) if !share.is_whole() => runner::workers::run_tag(&s, at),
                _ => runner::run_tag(&s),
            };
            let place = runner::target::choose(&s.target, &flags, &tag)
                .only(&runner::target::roles_used(&s));
            if !flags.roles.is_empty() && !matches!(place, runner::target::Where::Aws(_)) {
                eprintln!("error: --role: roles have their own credentials only with --target aws (or [target] kind = \"aws\"); without it the harness's principals sign");
                return Exit::BadInput.into();
            }
            if keep && matches!(place, runner::target::Where::Embedded) {
                eprintln!("error: --keep: the embedded service ends with the run, so there is nothing to keep; use --endpoint-url (a `serve`, LocalStack, moto) or --target aws");
                return Exit::BadInput.into();
            }
            let options = runner::RunOptions {
                progress: !no_progress,
                keep,
                expect_account,
                allow_destructive,
                run_tag: Some(tag),
                worker: share,
                start_at,
                no_cloudtrail,
                strict,
                prices,
                ..Default::default()
            };
            match run(s, out, output.is_json(), place, options) {
                Ok(code) => code,
                Err(e) => {
                    let code = match e.downcast_ref::<runner::RunError>() {
                        Some(runner::RunError::Refused(_)) => Exit::BadInput,
                        _ => Exit::CouldNotRun,
                    };
                    eprintln!("error: {e:#}");
                    code.into()
                }
            }
        }
        Command::Report(a) => kcb::cli::report::run(&a),
        Command::Merge(a) => kcb::cli::merge::run(&a),
        Command::Plan(a) => kcb::cli::plan::run(&a),
        Command::Gate(a) => kcb::cli::gate::run(&a),
        Command::Cleanup(a) => kcb::cli::cleanup::run(&a),
        Command::Audit(a) => kcb::cli::audit::run(&a),
        Command::Calls(a) => kcb::cli::calls::run(&a),
        Command::Serve {
            port,
            host,
            kms_quota,
            sse_reuse_period,
            shard_limits,
            cloudtrail_delay,
        } => match serve(
            SocketAddr::new(host, port),
            ServiceConfig {
                kms_quota_per_sec: kms_quota,
                sse_reuse_period: sse_reuse_period.into(),
                cloudtrail_delay: cloudtrail_delay.into(),
                ..ServiceConfig::default()
            },
            shard_limits == "off",
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                Exit::CouldNotRun.into()
            }
        },
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut bad = false;
    for f in files {
        match scenario::load(f) {
            Ok(s) => println!("ok: {} ({}, {} paths)", f.display(), s.name, s.paths.len()),
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
        }
    }
    if bad {
        Exit::BadInput.into()
    } else {
        ExitCode::SUCCESS
    }
}

fn run(
    s: Scenario,
    out: Option<PathBuf>,
    json: bool,
    place: runner::target::Where,
    mut options: runner::RunOptions,
) -> anyhow::Result<ExitCode> {
    let tag = options.run_tag.clone().unwrap_or_default();
    let (endpoint, aws_cli, cleanup) = match place {
        runner::target::Where::Embedded => (None, String::new(), String::new()),
        runner::target::Where::Endpoint { url, region } => {
            let cli = format!("aws --endpoint-url {url} --region {region}");
            let cleanup = format!("kinesis-crypto-bench cleanup --run-id {tag} --endpoint-url {url} --region {region}");
            (Some((url, region)), cli, cleanup)
        }
        runner::target::Where::Aws(setup) => {
            let mut flags = String::new();
            if let Some(url) = &setup.endpoint_url {
                flags.push_str(&format!(" --endpoint-url {url}"));
            }
            if let Some(r) = &setup.region {
                flags.push_str(&format!(" --region {r}"));
            }
            let mut cleanup =
                format!("kinesis-crypto-bench cleanup --run-id {tag} --target aws{flags}");
            match setup.roles.get(&kcb::backend::Role::Admin) {
                Some(kcb::backend::RoleSource::Profile(p)) => {
                    cleanup.push_str(&format!(" --role admin=profile:{p}"))
                }
                Some(kcb::backend::RoleSource::AssumeRole { role_arn, .. }) => {
                    cleanup.push_str(&format!(" --role admin={role_arn}"))
                }
                _ => {}
            }
            options.aws = Some(setup);
            (None, format!("aws{flags}"), cleanup)
        }
    };
    let rt =
        runner::runtime(s.clock == ClockMode::Virtual).context("cannot start the async runtime")?;
    let raw = s.raw_toml.clone();
    let interrupt = kcb::interrupt::Interrupt::new();
    rt.spawn(on_signals(interrupt.clone(), cleanup.clone()));
    options.interrupt = interrupt;
    let output = rt.block_on(runner::run_scenario_with(Arc::new(s), endpoint, options))?;
    let dir = out.unwrap_or_else(|| {
        output::default_dir(&output.result.scenario.name, &output.result.started_at)
    });
    let result_file = output::write(&output, &raw, &dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&output.result)?);
    } else {
        println!("{}", kcb::report::render(&output.result));
        println!("result: {}", result_file.display());
    }
    if !output.kept.is_empty() {
        // On stderr, so --json's stdout stays one JSON document.
        eprintln!("kept (--keep): remove with");
        for p in output.kept.iter().filter(|p| p.stream_created) {
            eprintln!(
                "  {aws_cli} kinesis delete-stream --stream-name {} --enforce-consumer-deletion",
                p.stream
            );
        }
        for p in output.kept.iter().filter(|p| !p.key_shared) {
            if let (Some(key), true) = (&p.key, p.key_created) {
                let id = key.rsplit_once(":key/").map_or(key.as_str(), |(_, id)| id);
                eprintln!("  {aws_cli} kms schedule-key-deletion --key-id {id} --pending-window-in-days 7");
                if let Some(alias) = &p.key_alias {
                    eprintln!("  {aws_cli} kms delete-alias --alias-name {alias}");
                }
            }
        }
        eprintln!("or all at once: {cleanup}");
    }
    if output.result.interrupted {
        eprintln!("{}", kcb::format::INTERRUPTED);
        return Ok(Exit::Interrupted.into());
    }
    let failed = output.result.expectations.iter().any(|e| !e.passed);
    Ok(if failed {
        Exit::Failed.into()
    } else {
        ExitCode::SUCCESS
    })
}

/// Ctrl-C or SIGTERM: the first stops the run (load, faults, a short drain, the result written
/// and marked); the second exits at once with what the run had made and not yet removed.
async fn on_signals(interrupt: Arc<kcb::interrupt::Interrupt>, cleanup: String) {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            r = tokio::signal::ctrl_c() => if r.is_err() { return },
            _ = terminated => {}
        }
        if interrupt.is_set() {
            eprintln!("interrupted again: exiting at once");
            let left = interrupt.left_behind();
            if !left.is_empty() {
                eprintln!("left behind:");
                for what in left {
                    eprintln!("  {what}");
                }
                if !cleanup.is_empty() {
                    eprintln!("remove with: {cleanup}");
                }
            }
            std::process::exit(i32::from(Exit::Interrupted.code()));
        }
        eprintln!(
            "interrupted: stopping the load, lifting faults, draining for at most {} s, writing the result (interrupt again to exit at once)",
            kcb::interrupt::INTERRUPTED_DRAIN.as_secs()
        );
        interrupt.trigger();
    }
}

fn serve(addr: SocketAddr, mut config: ServiceConfig, no_shard_limits: bool) -> anyhow::Result<()> {
    let rt = runner::runtime(false).context("cannot start the async runtime")?;
    rt.block_on(async move {
        if no_shard_limits {
            config.shard_limits = kcb::probe::unlimited();
        }
        let config_delay = config.cloudtrail_delay;
        let service = Service::new(config, Arc::new(SystemClock));
        let running = server::start(service, addr).await?;
        println!("kinesis-crypto-bench embedded Kinesis + KMS listening on {}", running.endpoint_url());
        if no_shard_limits {
            println!("shard limits: off (streams never throttle)");
        }
        if !config_delay.is_zero() {
            println!("CloudTrail: LookupEvents returns a KMS call {} after it", humantime::format_duration(config_delay));
        }
        println!("region: us-east-1   SigV4 required; principals (access key id / secret access key):");
        for p in ["admin", "producer", "consumer", "resharder"] {
            println!("  {p:<10} {p} / {}", kcb::emulator::iam::default_secret(p));
        }
        println!("example: AWS_ACCESS_KEY_ID=admin AWS_SECRET_ACCESS_KEY=admin-secret aws --endpoint-url {} --region us-east-1 kinesis list-streams", running.endpoint_url());
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        running.task.abort();
        Ok(())
    })
}
