//! `deny`: an explicit Deny on a principal's actions for the fault's window. On the embedded
//! service a Deny statement is attached to the principal's policy (so the service itself
//! refuses, including the KMS calls Kinesis makes on the caller's behalf under SSE). Off it, an
//! inline Deny policy is put on the IAM role the harness assumed for the principal, where the
//! admin was found (before the run) to be allowed to; otherwise the transport answers the
//! denied calls with AWS's errors. The fault's note says which.

use super::{add_rule, FaultError, Part, Undo, World};
use crate::backend::faults::{Effect, Rule, Service as Svc};
use crate::emulator::iam::Statement;
use crate::result::PathKind;

pub(super) async fn begin(
    world: &World,
    targets: &[usize],
    principal: &str,
    actions: &[String],
    undo: &mut Undo,
) -> Result<String, FaultError> {
    if let Some(svc) = &world.service {
        for &t in targets {
            let tg = &world.targets[t];
            let mut resources = vec![svc.control().stream_arn(&tg.stream)];
            match &tg.key {
                Some(k) if k.starts_with("arn:") => resources.push(k.clone()),
                Some(_) => resources.push("*".into()),
                None => {}
            }
            let id = svc
                .control()
                .attach(principal, Statement::deny(actions.to_vec(), resources))?;
            undo.push(Part::Statement {
                principal: principal.to_owned(),
                id,
            });
        }
        return Ok(format!("explicit Deny {actions:?} attached to {principal}"));
    }
    if let Some(role) = world.deny_roles.roles.get(principal) {
        return inline_policy(world, targets, role, actions, undo).await;
    }
    for &t in targets {
        for a in actions {
            for (service, operations, code) in shows_as(a, world.targets[t].kind) {
                let effect = Effect::Error {
                    code: code.into(),
                    message: format!(
                        "User: {principal} is not authorized to perform: {a} (injected)"
                    ),
                    fraction: 1.0,
                };
                let rule = Rule {
                    service,
                    operations,
                    principal: Some(principal.to_owned()),
                    effect,
                };
                add_rule(world, t, rule, undo);
            }
        }
    }
    let why = world
        .deny_roles
        .at_transport
        .get(principal)
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    Ok(format!(
        "{principal} denied {actions:?} at the transport{why}"
    ))
}

static POLICIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An inline Deny policy on `role` for the targets' streams and keys.
async fn inline_policy(
    world: &World,
    targets: &[usize],
    role: &str,
    actions: &[String],
    undo: &mut Undo,
) -> Result<String, FaultError> {
    let mut resources = Vec::new();
    for &t in targets {
        let tg = &world.targets[t];
        resources.push(format!("arn:aws:kinesis:*:*:stream/{}", tg.stream));
        match &tg.key {
            Some(k) if k.starts_with("arn:") => resources.push(k.clone()),
            Some(_) => resources.push("*".into()),
            None => {}
        }
    }
    let n = POLICIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("kcb-deny-{}-{n}", world.deny_roles.run_tag);
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "KinesisCryptoBenchFault", "Effect": "Deny", "Action": actions, "Resource": resources}],
    })
    .to_string();
    world
        .admin
        .iam
        .put_role_policy(role, &name, &document)
        .await?;
    undo.push(Part::RolePolicy {
        role: role.to_owned(),
        name: name.clone(),
    });
    Ok(format!(
        "inline Deny policy {name} ({actions:?}) put on role {role}; IAM takes effect within seconds"
    ))
}

/// How a denied action shows at the transport, for one path kind: (service, operations, error).
fn shows_as(action: &str, kind: PathKind) -> Vec<(Svc, Vec<String>, &'static str)> {
    let (service, op) = action.split_once(':').unwrap_or(("*", "*"));
    let op_list = |o: &str| {
        if o == "*" {
            vec![]
        } else {
            vec![o.to_string()]
        }
    };
    let mut out = Vec::new();
    if service == "kinesis" || service == "*" {
        out.push((Svc::Kinesis, op_list(op), "AccessDeniedException"));
    }
    if service == "kms" || service == "*" {
        out.push((Svc::Kms, op_list(op), "AccessDeniedException"));
        if kind == PathKind::SseKms {
            if op == "*" || op.starts_with("GenerateDataKey") {
                out.push((
                    Svc::Kinesis,
                    vec!["PutRecord".into(), "PutRecords".into()],
                    "KMSAccessDeniedException",
                ));
            }
            if op == "*" || op == "Decrypt" {
                out.push((
                    Svc::Kinesis,
                    vec!["GetRecords".into()],
                    "KMSAccessDeniedException",
                ));
            }
        }
    }
    out
}
