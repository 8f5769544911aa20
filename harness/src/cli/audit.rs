//! `kinesis-crypto-bench audit [--endpoint-url URL --region R | --target aws] [--format
//! markdown|json] [--require customer-managed|rotation|restrictive-policy]... [--rules FILE]
//! [--apply [--allow-destructive]] [--sample-fleet]`: every Kinesis data stream and Firehose
//! delivery stream classified by its protection, with findings, remediation and compliance.
//!
//! With no endpoint and no `--target aws` it audits the embedded service, which starts empty,
//! so it first builds a sample fleet there (one stream of each protection); `--sample-fleet`
//! builds the same fleet at an endpoint (a `serve`, never AWS).
//!
//! Exit codes: 0 every stream meets the rules asked (or none were asked); 1 a stream falls
//! short; 2 bad flags or rules file; 3 the target could not be reached, or `--apply` failed or
//! left a stream whose test record did not go through.

use std::process::ExitCode;
use std::sync::Arc;

use super::target_args::TargetArgs;
use super::DocFormat;
use crate::audit::apply::{self, Clients, Scope};
use crate::audit::classify::Principals;
use crate::audit::render::AuditReport;
use crate::audit::{self as au, Reader, Rules};
use crate::backend::{Credentials, Observation, Principal, Role, Target, TransportLog};
use crate::clock::SystemClock;
use crate::exit::Exit;
use crate::runner::target::{self, Where};

/// Arguments of `audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Where (read-only unless --apply); with --target aws, `--role producer=...` and
    /// `consumer=...` test the flow after --apply.
    #[command(flatten)]
    pub target: TargetArgs,
    /// `markdown` (a table, the findings and their commands) or `json`.
    #[arg(long, value_enum, default_value_t = DocFormat::Markdown)]
    pub format: DocFormat,
    /// Exit 1 when a stream falls short: customer-managed, rotation, restrictive-policy.
    #[arg(long, value_name = "RULE")]
    pub require: Vec<String>,
    /// A TOML file of rules: `require = ["customer-managed", "rotation"]`,
    /// `max_rotation_period_days = 365`.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<String>,
    /// Carry out the remediation, then write and read a record through every stream changed.
    #[arg(long)]
    pub apply: bool,
    /// With --apply off the embedded service: change the harness's tagged resources only.
    #[arg(long)]
    pub allow_destructive: bool,
    /// Build the sample fleet at --endpoint-url first (the embedded service always gets it).
    #[arg(long)]
    pub sample_fleet: bool,
    /// An ARN the audit counts as one of the account's key administrators (default: the
    /// auditing identity).
    #[arg(long = "administrator", value_name = "ARN")]
    pub administrators: Vec<String>,
    /// An ARN the remediation's key policy names as a key user (default: the producer and
    /// consumer identities, and on the embedded service the delivery role).
    #[arg(long = "key-user", value_name = "ARN")]
    pub key_users: Vec<String>,
    /// Also write the report (in --format) to this file.
    #[arg(long)]
    pub out: Option<String>,
}

fn rules_of(args: &AuditArgs) -> Result<Rules, String> {
    let mut rules = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Rules::from_file(path, &text)?
        }
        None => Rules::default(),
    };
    let mut flags = Rules::default();
    for r in &args.require {
        flags.require(r).map_err(|e| format!("--require: {e}"))?;
    }
    rules.merge(&flags);
    Ok(rules)
}

/// Run `audit`.
pub fn run(args: &AuditArgs) -> ExitCode {
    let rules = match rules_of(args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput.into();
        }
    };
    let flags = match args.target.flags() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput.into();
        }
    };
    let place = target::choose(&Default::default(), &flags, "audit");
    let in_process = matches!(place, Where::Embedded);
    if args.sample_fleet && matches!(place, Where::Aws(_)) {
        eprintln!("error: --sample-fleet builds streams and keys: only at an --endpoint-url (a serve), never with --target aws");
        return Exit::BadInput.into();
    }
    if args.apply && !in_process && !args.allow_destructive {
        eprintln!("error: --apply changes keys and streams: off the embedded service it needs --allow-destructive, and then changes only resources tagged created-by=kinesis-crypto-bench");
        return Exit::BadInput.into();
    }
    let rt = match crate::runner::runtime(false) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::CouldNotRun.into();
        }
    };
    rt.block_on(audit(args, &rules, place))
}

async fn connect(place: &Where) -> Result<(Target, Credentials), String> {
    match place {
        Where::Embedded => Ok((
            Target::Embedded(crate::probe::embedded_service()),
            Credentials::named_principals(),
        )),
        other => target::connect(other).await,
    }
}

fn emit(args: &AuditArgs, text: &str) -> Result<(), String> {
    println!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, text).map_err(|e| format!("--out {path}: {e}"))?;
    }
    Ok(())
}

async fn audit(args: &AuditArgs, rules: &Rules, place: Where) -> ExitCode {
    let in_process = matches!(place, Where::Embedded);
    let (t, credentials) = match connect(&place).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::CouldNotRun.into();
        }
    };
    let principal = |role: Role, name: &str| {
        let obs = Observation::plain(name, TransportLog::new(), Arc::new(SystemClock));
        Principal::for_role(&t, &credentials, role, obs)
    };
    let admin = principal(Role::Admin, "admin");
    let producer = principal(Role::Producer, "producer");
    let consumer = principal(Role::Consumer, "consumer");
    let fail = |e: String| {
        eprintln!("error: at {}: {e}", t.label());
        Exit::CouldNotRun.into()
    };
    let who = match principals(
        args,
        &admin,
        &producer,
        &consumer,
        in_process || args.sample_fleet,
    )
    .await
    {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    if in_process || args.sample_fleet {
        if let Err(e) = au::fleet::build(&admin, t.region(), &who.users).await {
            return fail(format!("building the sample fleet: {e}"));
        }
    }
    let reader = Reader {
        admin: &admin,
        administrators: who.administrators.clone(),
    };
    let streams = match au::collect(&reader, &who.account).await {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let before = AuditReport::new(&t.label(), &who, streams.clone(), rules);
    if !args.apply {
        let text = if args.format == DocFormat::Json {
            before.json()
        } else {
            before.markdown()
        };
        if let Err(e) = emit(args, &text) {
            eprintln!("error: {e}");
            return Exit::CouldNotRun.into();
        }
        return verdict(&before, rules);
    }
    let scope = if in_process {
        Scope::Everything
    } else {
        Scope::HarnessCreated
    };
    let clients = Clients {
        admin: &admin,
        producer: &producer,
        consumer: &consumer,
    };
    let (actions, flows) = apply::apply(&clients, &streams, &before.findings, &who, scope).await;
    let after = match au::collect(&reader, &who.account).await {
        Ok(s) => AuditReport::new(&t.label(), &who, s, rules),
        Err(e) => return fail(format!("reading back after --apply: {e}")),
    };
    let text = if args.format == DocFormat::Json {
        serde_json::to_string_pretty(&serde_json::json!({
            "before": before, "actions": actions, "flows": flows, "after": after,
        }))
        .unwrap_or_default()
    } else {
        let mut m = before.markdown();
        m.push_str("\n## Applied\n\n");
        for a in &actions {
            m.push_str(&format!(
                "- {} `{}` ({}): {}\n",
                a.outcome, a.stream, a.rule, a.detail
            ));
        }
        m.push_str("\n## Records after the change\n\n");
        for f in &flows {
            m.push_str(&format!(
                "- `{}`: {} {}\n",
                f.stream,
                if f.ok { "ok" } else { "FAILED" },
                f.detail
            ));
        }
        m.push('\n');
        m.push_str(
            &after
                .markdown()
                .replacen("# Encryption audit", "# After --apply", 1),
        );
        m
    };
    if let Err(e) = emit(args, &text) {
        eprintln!("error: {e}");
        return Exit::CouldNotRun.into();
    }
    if actions.iter().any(|a| a.outcome == "failed") || flows.iter().any(|f| !f.ok) {
        eprintln!("error: --apply: a change failed or a record did not go through (see above)");
        return Exit::CouldNotRun.into();
    }
    verdict(&after, rules)
}

fn verdict(r: &AuditReport, rules: &Rules) -> ExitCode {
    if !rules.is_empty() && r.failing() > 0 {
        eprintln!(
            "{} of {} streams fall short of: {}",
            r.failing(),
            r.streams.len(),
            rules.names().join(", ")
        );
        return Exit::Failed.into();
    }
    ExitCode::SUCCESS
}

async fn principals(
    args: &AuditArgs,
    admin: &Principal,
    producer: &Principal,
    consumer: &Principal,
    embedded_roles: bool,
) -> Result<Principals, String> {
    let me = admin
        .sts
        .caller_identity()
        .await
        .map_err(|e| e.to_string())?;
    let mut administrators = vec![me.policy_principal()];
    administrators.extend(args.administrators.iter().cloned());
    let mut users = args.key_users.clone();
    if users.is_empty() {
        for p in [producer, consumer] {
            if let Ok(id) = p.sts.caller_identity().await {
                users.push(id.policy_principal());
            }
        }
        if embedded_roles {
            users.push(format!(
                "arn:aws:iam::{}:role/{}",
                me.account,
                crate::emulator::iam::DELIVERY
            ));
        }
    }
    users.dedup();
    Ok(Principals {
        account: me.account,
        administrators,
        users,
    })
}
