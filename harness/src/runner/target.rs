//! Before a run's first request: where it goes (the scenario's `[target]`, overridden by the
//! command line), whether its faults may run there (destructive faults act only on keys the
//! run creates, and off the embedded service only with `--allow-destructive`), and who each
//! role the scenario gives work is (STS GetCallerIdentity, printed, and checked against
//! `--expect-account`); a role it gives none is neither resolved nor identified.

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::aws::AwsSetup;
use crate::backend::credentials::UNUSED;
use crate::backend::{BackendError, TransportLog};
use crate::backend::{Credentials, Identity, Observation, Principal, Role, RoleSource, Target};
use crate::clock::SharedClock;
use crate::fault::world::DenyRoles;
use crate::result::{RoleResult, TargetResult};
use crate::scenario::{
    FaultKind, KeyPolicyChange, Protection, RoleCredentials, Scenario, SseKey, TargetKind,
    TargetSpec,
};

/// The command line's say over the target (each overrides the scenario's `[target]`).
#[derive(Debug, Clone, Default)]
pub struct TargetFlags {
    /// `--target aws`.
    pub aws: bool,
    /// `--target embedded` (the scenario's `kind = "aws"` overridden).
    pub embedded: bool,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--role ROLE=...`, in order (a later one for the same role wins).
    pub roles: Vec<(Role, RoleSource)>,
}

/// Where a run goes, decided.
#[derive(Debug, Clone)]
pub enum Where {
    /// The embedded service, in process.
    Embedded,
    /// An endpoint, signed as the harness's named principals.
    Endpoint {
        /// URL.
        url: String,
        /// Region.
        region: String,
    },
    /// AWS (or an endpoint) through the AWS configuration.
    Aws(AwsSetup),
}

/// The STS session name of a run's assumed roles.
pub fn session_name(run_tag: &str) -> String {
    format!("kinesis-crypto-bench-{run_tag}")
}

/// Decide where the run goes from the scenario's `[target]` and the flags.
pub fn choose(t: &TargetSpec, flags: &TargetFlags, run_tag: &str) -> Where {
    let aws = flags.aws || (t.kind == TargetKind::Aws && !flags.embedded);
    let endpoint_url = flags
        .endpoint_url
        .clone()
        .or_else(|| t.endpoint_url.clone());
    if !aws {
        return match endpoint_url {
            Some(url) => Where::Endpoint {
                url,
                region: flags
                    .region
                    .clone()
                    .unwrap_or_else(|| crate::backend::clients::EMBEDDED_REGION.into()),
            },
            None => Where::Embedded,
        };
    }
    let mut roles: BTreeMap<Role, RoleSource> = t
        .roles
        .iter()
        .filter_map(|(name, c)| {
            let how = match c {
                RoleCredentials::Profile(p) => RoleSource::Profile(p.clone()),
                RoleCredentials::RoleArn { arn, external_id } => RoleSource::AssumeRole {
                    role_arn: arn.clone(),
                    external_id: external_id.clone(),
                },
            };
            Role::from_name(name).map(|r| (r, how))
        })
        .collect();
    roles.extend(flags.roles.iter().cloned());
    Where::Aws(AwsSetup {
        endpoint_url: endpoint_url.or_else(configured_endpoint),
        region: flags.region.clone().or_else(|| t.region.clone()),
        roles,
        session_name: session_name(run_tag),
        unused: Default::default(),
    })
}

impl Where {
    /// The same place, with only the roles in `used` given credentials: on AWS the others
    /// are neither resolved nor identified (elsewhere every role is a named principal).
    pub fn only(self, used: &BTreeSet<Role>) -> Where {
        match self {
            Where::Aws(mut setup) => {
                setup.unused = Role::ALL
                    .into_iter()
                    .filter(|r| !used.contains(r))
                    .collect();
                Where::Aws(setup)
            }
            other => other,
        }
    }
}

/// The roles a scenario gives work: the admin (provisioning, faults, teardown), the producer
/// and the consumer (every path is put into and read back), and the resharder only for a
/// reshard fault (or a deny or key-policy fault that names it).
pub fn roles_used(scenario: &Scenario) -> BTreeSet<Role> {
    let mut used: BTreeSet<Role> = [Role::Admin, Role::Producer, Role::Consumer].into();
    for f in &scenario.faults {
        let named = match &f.kind {
            FaultKind::Reshard { .. } => Some(Role::Resharder),
            FaultKind::Deny { principal, .. }
            | FaultKind::KeyPolicy {
                change: KeyPolicyChange::Deny { principal, .. },
            } => Role::from_name(principal),
            _ => None,
        };
        used.extend(named);
    }
    used
}

/// The endpoint the AWS configuration names in place of AWS's own: `AWS_ENDPOINT_URL`, as the
/// AWS SDKs and CLI read it (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`). A pod given
/// this variable runs its manifest's `--target aws` command against a LocalStack or a `serve`.
fn configured_endpoint() -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !ignore && !u.trim().is_empty())
}

/// The target and credentials for `place`, without the embedded service (for commands that
/// act on resources that outlive a run: `cleanup`).
pub async fn connect(place: &Where) -> Result<(Target, Credentials), String> {
    match place {
        Where::Embedded => Err("the embedded service ends with each run, so nothing of it is left to find: give --endpoint-url or --target aws".into()),
        Where::Endpoint { url, region } => Ok((
            Target::Endpoint {
                url: url.clone(),
                region: region.clone(),
            },
            Credentials::named_principals(),
        )),
        Where::Aws(setup) => crate::backend::aws::load(setup)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Faults the target does not allow, each in one line naming the fault, why, and what would
/// allow it; empty when every fault may run. Pure: decided before any request.
pub fn refusals(scenario: &Scenario, embedded: bool, allow_destructive: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let (false, Some(r)) = (embedded, scenario.stream.retention) {
        out.push(format!("[stream] retention = {:?}: the embedded service keeps records shorter than AWS's 24 h minimum; remove it for another target", humantime::format_duration(r).to_string()));
    }
    for p in &scenario.paths {
        out.extend(crate::driver::for_path(p).refusals(p, embedded));
    }
    for (i, f) in scenario.faults.iter().enumerate() {
        let who = format!("faults[{i}] {:?} ({})", f.name, f.kind.name());
        let key_fault = matches!(
            f.kind,
            FaultKind::DisableKey | FaultKind::ScheduleKeyDeletion { .. } | FaultKind::DeleteKey
        );
        // Rotation destroys nothing (older material still decrypts) but cannot be undone and
        // spends one of the key's ten on-demand rotations: the run's own keys only, too.
        if key_fault || matches!(f.kind, FaultKind::RotateKey) {
            for p in scenario.paths.iter().filter(|p| f.applies_to(&p.name)) {
                let named = p.key.as_deref().or(match &p.protection {
                    Protection::SseKms(s) if s.key == SseKey::AwsManaged => {
                        Some("alias/aws/kinesis")
                    }
                    _ => None,
                });
                if let Some(k) = named {
                    out.push(format!("{who} would change path {:?}'s key {k}, which this run does not create; destructive faults act only on keys the run creates (leave out the path's key, or the fault's path)", p.name));
                }
            }
        }
        if matches!(f.kind, FaultKind::Reshard { .. }) {
            for p in scenario.paths.iter().filter(|p| f.applies_to(&p.name)) {
                if let Some(st) = &p.stream {
                    out.push(format!("{who} would reshard path {:?}'s stream {st}, which this run does not create; the run never changes a stream it did not create", p.name));
                }
            }
        }
        if embedded {
            continue;
        }
        if matches!(&f.kind, FaultKind::Deny { principal, .. } if principal == "delivery") {
            out.push(format!("{who} denies the Firehose delivery role, which only the embedded service's Firehose acts as here; off it, deny the role with an IAM policy of your own (the run's calls do not pass through the harness)"));
        }
        let lowers = match &f.kind {
            FaultKind::KmsThrottle { quota_per_sec, .. } => quota_per_sec.is_some(),
            FaultKind::KinesisThrottle {
                write_bytes_per_sec,
                write_records_per_sec,
                read_calls_per_sec,
                read_bytes_per_sec,
                ..
            } => [
                write_bytes_per_sec,
                write_records_per_sec,
                read_calls_per_sec,
                read_bytes_per_sec,
            ]
            .iter()
            .any(|x| x.is_some()),
            _ => false,
        };
        if lowers {
            out.push(format!("{who} lowers a quota or shard limit, which only the embedded service lets a run do; use `fraction` (calls refused at the transport) against other endpoints"));
        } else if matches!(f.kind, FaultKind::DeleteKey) {
            out.push(format!("{who}: KMS deletes a key only after a waiting period of 7 to 30 days, so delete-key runs on the embedded service only; use schedule-key-deletion"));
        } else if key_fault && !allow_destructive {
            out.push(format!("{who} changes the state of KMS keys off the embedded service; pass --allow-destructive to let it act on the keys this run creates (and only those)"));
        }
    }
    out
}

/// Keys the scenario names by ARN in another region than the run's: each a line (KMS keys are
/// regional; Kinesis can use only a key of its own region).
pub fn region_mismatches(scenario: &Scenario, region: &str) -> Vec<String> {
    scenario
        .paths
        .iter()
        .filter_map(|p| {
            let key = p.key.as_deref()?;
            let key_region = key.strip_prefix("arn:")?.split(':').nth(2)?;
            (key_region != region).then(|| {
                format!("path {:?}'s key {key} is in region {key_region}, but the run's region is {region}: KMS keys are regional", p.name)
            })
        })
        .collect()
}

/// Each role's identity (GetCallerIdentity), and the target as the result records it. Against
/// AWS a role whose credentials fail ends the run; an endpoint without STS (moto, LocalStack
/// have one) leaves the identities unknown.
pub async fn identify(
    target: &Target,
    credentials: &Credentials,
    clock: &SharedClock,
    expect_account: Option<&str>,
) -> Result<TargetResult, String> {
    let strict = matches!(target, Target::Aws { .. }) || expect_account.is_some();
    let mut roles = Vec::new();
    let mut account: Option<String> = None;
    for role in Role::ALL {
        let source = credentials.of(role).describe();
        if credentials.of(role).is_unused() {
            roles.push(RoleResult {
                role: role.name().to_owned(),
                source,
                arn: None,
            });
            continue;
        }
        let obs = Observation::plain(role.name(), TransportLog::new(), clock.clone());
        let p = Principal::for_role(target, credentials, role, obs);
        let id: Result<Identity, BackendError> = p.sts.caller_identity().await;
        let arn = match id {
            Ok(id) => {
                if let Some(a) = &account {
                    if *a != id.account {
                        return Err(format!("the {role} role is in account {} but the admin's is {a}: every role of a run acts in one account", id.account));
                    }
                }
                account = Some(id.account.clone());
                Some(id.arn)
            }
            Err(e) if strict => {
                return Err(format!(
                    "the {role} role ({source}) cannot be identified at {}: {}: {}",
                    target.label(),
                    e.code,
                    first_line(&e.message)
                ));
            }
            Err(e) => {
                tracing::info!(role = %role, error = %e, "GetCallerIdentity failed; identities unknown");
                None
            }
        };
        roles.push(RoleResult {
            role: role.name().to_owned(),
            source,
            arn,
        });
    }
    if let (Some(want), Some(got)) = (expect_account, &account) {
        if want != got {
            return Err(format!(
                "the credentials are for account {got}, not {want} (--expect-account): nothing was created"
            ));
        }
    }
    let arns: std::collections::BTreeSet<_> = roles.iter().filter_map(|r| r.arn.as_ref()).collect();
    let roles_separated = if arns.is_empty() {
        !credentials.shared()
    } else {
        arns.len() > 1
    };
    Ok(TargetResult {
        kind: match target {
            Target::Embedded(_) => "embedded",
            Target::Endpoint { .. } => "endpoint",
            Target::Aws { .. } => "aws",
        }
        .to_owned(),
        region: target.region().to_owned(),
        endpoint_url: match target {
            Target::Embedded(_) => None,
            _ => target.endpoint_url().map(str::to_owned),
        },
        account,
        roles,
        roles_separated,
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The IAM role an assumed-role session ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`)
/// belongs to.
fn assumed_role(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":assumed-role/")?.1;
    rest.split('/').next().filter(|r| !r.is_empty())
}

/// Where each deny fault's principal is denied off the embedded service: an inline Deny policy
/// on the IAM role its identity is a session of, when the admin may put and delete one there
/// (tried with a policy that denies nothing any run touches), else the transport, with why.
pub async fn deny_roles(
    scenario: &Scenario,
    target: &Target,
    admin: &Principal,
    who: &TargetResult,
    run_tag: &str,
) -> DenyRoles {
    let mut out = DenyRoles {
        run_tag: run_tag.to_owned(),
        ..DenyRoles::default()
    };
    if target.is_embedded() {
        return out;
    }
    let principals: std::collections::BTreeSet<&str> = scenario
        .faults
        .iter()
        .filter_map(|f| match &f.kind {
            FaultKind::Deny { principal, .. } => Some(principal.as_str()),
            _ => None,
        })
        .collect();
    for p in principals {
        let arn = who
            .roles
            .iter()
            .find(|r| r.role == p)
            .and_then(|r| r.arn.clone());
        let Some(role) = arn.as_deref().and_then(assumed_role) else {
            let what = arn.as_deref().unwrap_or("unknown");
            out.at_transport.insert(
                p.to_owned(),
                format!("its identity {what} is not an assumed IAM role"),
            );
            continue;
        };
        let name = format!("kcb-check-{run_tag}");
        let document = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "kinesis:PutRecord",
                           "Resource": format!("arn:aws:kinesis:*:*:stream/kcb-permission-check-{run_tag}")}],
        })
        .to_string();
        let tried = match admin.iam.put_role_policy(role, &name, &document).await {
            Ok(()) => admin.iam.delete_role_policy(role, &name).await,
            Err(e) => Err(e),
        };
        match tried {
            Ok(()) => {
                out.roles.insert(p.to_owned(), role.to_owned());
            }
            Err(e) => {
                out.at_transport.insert(
                    p.to_owned(),
                    format!(
                        "the admin may not put and delete an inline policy on role {role}: {}",
                        e.code
                    ),
                );
            }
        }
    }
    out
}

/// What the run prints before it creates anything (on stderr, so `--json` stays one document).
pub fn describe(t: &TargetResult) -> String {
    let mut s = format!(
        "target {}  region {}  account {}",
        t.endpoint_url
            .as_deref()
            .map_or(t.kind.clone(), |u| format!("{} {u}", t.kind)),
        t.region,
        t.account.as_deref().unwrap_or("unknown")
    );
    for r in &t.roles {
        s.push_str(&format!(
            "\n  {:<10} {}  ({})",
            r.role,
            r.arn.as_deref().unwrap_or(if r.source == UNUSED {
                "not identified"
            } else {
                "identity unknown"
            }),
            r.source
        ));
    }
    if !t.roles_separated {
        s.push_str(&format!("\n  {}", crate::format::ROLES_NOT_SEPARATED));
    }
    s
}

/// One line per deny fault principal: where its denies go.
pub fn describe_denies(d: &DenyRoles) -> String {
    let mut lines: Vec<String> = d
        .roles
        .iter()
        .map(|(p, role)| format!("  deny faults on {p}: an inline Deny policy on IAM role {role}"))
        .collect();
    lines.extend(
        d.at_transport
            .iter()
            .map(|(p, why)| format!("  deny faults on {p}: at the transport ({why})")),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_assumed_role_session_names_its_role() {
        assert_eq!(
            super::assumed_role(
                "arn:aws:sts::111122223333:assumed-role/kcb-producer/kinesis-crypto-bench-1a2b"
            ),
            Some("kcb-producer")
        );
        assert_eq!(
            super::assumed_role("arn:aws:iam::111122223333:user/producer"),
            None
        );
    }

    #[test]
    fn a_firehose_path_off_the_embedded_service_needs_its_delivery_role() {
        let text = |role: &str| {
            format!("name = \"f\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"firehose\"\n{role}\n")
        };
        let parse = |t: &str| {
            crate::scenario::parse(t, std::path::Path::new("f.toml"))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let s = parse(&text(""));
        assert!(super::refusals(&s, true, false).is_empty());
        let refused = super::refusals(&s, false, false);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("delivery_role"), "{refused:?}");
        let s = parse(&text(
            "delivery_role = \"arn:aws:iam::111122223333:role/fh\"",
        ));
        assert!(super::refusals(&s, false, false).is_empty());
    }

    #[test]
    fn rotate_key_acts_only_on_keys_the_run_creates_and_needs_no_destructive_flag() {
        let scenario = |key_line: &str| {
            let text = format!(
                "name = \"r\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"envelope\"\n{key_line}\n[[faults]]\nkind = \"rotate-key\"\nat = \"1s\"\n"
            );
            crate::scenario::parse(&text, std::path::Path::new("r.toml")).expect("valid")
        };
        // The run's own key: allowed on any target without --allow-destructive.
        assert!(super::refusals(&scenario(""), false, false).is_empty());
        // A key the run did not create: refused, naming it.
        let named = scenario("key = \"alias/theirs\"");
        let refused = super::refusals(&named, true, true);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("alias/theirs"), "{refused:?}");
    }
}
