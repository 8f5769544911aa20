//! IAM's inline role policies on the embedded service, in AWS's query protocol (a form POST
//! in, XML out): PutRolePolicy and DeleteRolePolicy. A role is one of the service's principals
//! (as for STS AssumeRole); an inline policy's statements join the principal's policy, and
//! deleting it removes exactly those. The caller needs `iam:PutRolePolicy` /
//! `iam:DeleteRolePolicy` on the role's ARN.

use std::collections::HashMap;

use super::iam::{Iam, Statement, StatementId};
use super::sts::respond_xml;
use super::wire::ApiError;

/// The XML namespace of IAM responses.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Whether `action` is one of IAM's this module serves.
pub fn serves(action: &str) -> bool {
    matches!(action, "PutRolePolicy" | "DeleteRolePolicy")
}

/// The inline policies put on roles, by (role, policy name): the statements each added.
#[derive(Debug, Default)]
pub struct InlinePolicies {
    by_name: HashMap<(String, String), Vec<StatementId>>,
}

impl InlinePolicies {
    /// How many inline policies are in place.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    form.get(name).map(String::as_str).ok_or_else(|| {
        ApiError::new("ValidationError", format!("{name} is required")).with_status(400)
    })
}

/// An IAM policy document's statements (Effect, Action, Resource; strings or lists).
fn statements(document: &str) -> Result<Vec<Statement>, ApiError> {
    let malformed = |why: &str| {
        ApiError::new(
            "MalformedPolicyDocument",
            format!("the policy document {why}"),
        )
    };
    let doc = crate::policy_doc::parse(document).map_err(|e| malformed(&e.to_string()))?;
    doc.statement
        .into_vec()
        .into_iter()
        .map(|st| {
            let actions = st.action.unwrap_or_default().0;
            let resources = st.resource.unwrap_or_default().0;
            if actions.is_empty() || resources.is_empty() {
                return Err(malformed("has a statement without Action or Resource"));
            }
            match st.effect.as_deref() {
                Some("Deny") => Ok(Statement::deny(actions, resources)),
                Some("Allow") => Ok(Statement::allow(actions, resources)),
                _ => Err(malformed(
                    "has a statement whose Effect is not Allow or Deny",
                )),
            }
        })
        .collect()
}

/// Answer one IAM action for `caller`.
pub fn handle(
    form: &HashMap<String, String>,
    caller: &str,
    account: &str,
    iam: &mut Iam,
    policies: &mut InlinePolicies,
) -> Result<String, ApiError> {
    let action = field(form, "Action")?;
    let role = field(form, "RoleName")?.to_owned();
    let name = field(form, "PolicyName")?.to_owned();
    let arn = format!("arn:aws:iam::{account}:role/{role}");
    if !iam
        .authorize(caller, &format!("iam:{action}"), &arn)
        .allowed()
    {
        return Err(ApiError::new(
            "AccessDenied",
            format!("User: arn:aws:iam::{account}:user/{caller} is not authorized to perform: iam:{action} on resource: role {role}"),
        )
        .with_status(403));
    }
    if iam.principal(&role).is_none() {
        return Err(ApiError::new(
            "NoSuchEntity",
            format!("The role with name {role} cannot be found."),
        )
        .with_status(404));
    }
    let key = (role.clone(), name.clone());
    match action {
        "PutRolePolicy" => {
            let new = statements(field(form, "PolicyDocument")?)?;
            // A policy put again replaces its statements.
            for id in policies.by_name.remove(&key).unwrap_or_default() {
                let _ = iam.detach(&role, id);
            }
            let mut ids = Vec::new();
            for st in new {
                ids.push(
                    iam.attach(&role, st)
                        .map_err(|e| ApiError::new("MalformedPolicyDocument", e.to_string()))?,
                );
            }
            policies.by_name.insert(key, ids);
            Ok(respond_xml(XMLNS, "PutRolePolicy", |_| {}))
        }
        "DeleteRolePolicy" => {
            let ids = policies.by_name.remove(&key).ok_or_else(|| {
                ApiError::new(
                    "NoSuchEntity",
                    format!("The role policy with name {name} cannot be found."),
                )
                .with_status(404)
            })?;
            for id in ids {
                let _ = iam.detach(&role, id);
            }
            Ok(respond_xml(XMLNS, "DeleteRolePolicy", |_| {}))
        }
        other => Err(ApiError::new(
            "InvalidAction",
            format!("the embedded IAM does not serve {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_inline_deny_joins_the_role_and_leaves_with_its_deletion() {
        let mut iam = Iam::with_defaults("111122223333");
        let mut policies = InlinePolicies::default();
        let key = "arn:aws:kms:us-east-1:111122223333:key/k";
        assert!(iam
            .authorize("producer", "kms:GenerateDataKey", key)
            .allowed());
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:GenerateDataKey","Resource":["*"]}]}"#;
        let put = form(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "producer"),
            ("PolicyName", "kcb-deny"),
            ("PolicyDocument", doc),
        ]);
        // Only a caller allowed iam:PutRolePolicy.
        let e = handle(&put, "consumer", "111122223333", &mut iam, &mut policies).unwrap_err();
        assert_eq!(e.code, "AccessDenied");
        handle(&put, "admin", "111122223333", &mut iam, &mut policies).unwrap();
        assert!(!iam
            .authorize("producer", "kms:GenerateDataKey", key)
            .allowed());
        // Put again: replaced, not doubled.
        handle(&put, "admin", "111122223333", &mut iam, &mut policies).unwrap();
        assert_eq!(policies.len(), 1);
        let del = form(&[
            ("Action", "DeleteRolePolicy"),
            ("RoleName", "producer"),
            ("PolicyName", "kcb-deny"),
        ]);
        handle(&del, "admin", "111122223333", &mut iam, &mut policies).unwrap();
        assert!(iam
            .authorize("producer", "kms:GenerateDataKey", key)
            .allowed());
        let e = handle(&del, "admin", "111122223333", &mut iam, &mut policies).unwrap_err();
        assert_eq!(e.code, "NoSuchEntity");
        let bad = form(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "producer"),
            ("PolicyName", "x"),
            ("PolicyDocument", "{}"),
        ]);
        let e = handle(&bad, "admin", "111122223333", &mut iam, &mut policies).unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
    }
}
