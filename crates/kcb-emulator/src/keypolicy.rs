//! KMS key policy documents: parsed, evaluated for one request, and read for what makes a
//! policy too permissive. Pure data: the embedded KMS evaluates a key's policy together with
//! the caller's IAM policy (as KMS does), and `audit` reads policies from any account.
//!
//! KMS's rule (developer guide, "Key policies" and "Policy evaluation logic"): no principal may
//! use a key unless its key policy allows it, directly or by naming the account (the "root"
//! principal), which delegates to the account's IAM policies; an explicit `Deny` anywhere wins.

use serde_json::{json, Value};

use crate::policy_doc::{self, DocumentError, Principal};

/// The only policy name KMS has.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// The statement id of the default key policy's delegation to IAM.
pub const ROOT_SID: &str = "Enable IAM User Permissions";

/// Condition keys the embedded service evaluates.
const KNOWN_CONDITION_KEYS: &[&str] = &["kms:calleraccount", "kms:viaservice", "aws:principalarn"];

/// Condition keys that confine a `*` principal to one account or service.
const CONFINING_KEYS: &[&str] = &[
    "kms:calleraccount",
    "kms:viaservice",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:sourceaccount",
];

/// A parsed key policy.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPolicy {
    /// Its statements, in order.
    pub statements: Vec<PolicyStatement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect` is `Allow` (else `Deny`).
    pub allow: bool,
    /// `Principal`: `None` for `"*"` (or `{"AWS": "*"}`), else the named principals (AWS ARNs,
    /// account ids and service principals alike).
    pub principals: Option<Vec<String>>,
    /// `Action` patterns.
    pub actions: Vec<String>,
    /// `Condition` tests.
    pub conditions: Vec<Condition>,
    /// Elements present that the embedded service does not evaluate (`NotAction`,
    /// `NotPrincipal`, an unknown condition operator or key).
    pub unsupported: Vec<String>,
}

/// One condition test: `operator` on `key` against any of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `StringEquals` or `StringLike` (others are kept as unsupported).
    pub operator: String,
    /// The condition key, lower case.
    pub key: String,
    /// The values, any of which may match.
    pub values: Vec<String>,
}

/// What a request is, for a key policy.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The key's account.
    pub account: &'a str,
    /// The ARNs the caller is known by (its user and role ARNs, or a service principal).
    pub principal_arns: &'a [String],
    /// The action, `kms:<Operation>`.
    pub action: &'a str,
    /// `kms:ViaService` (`kinesis.<region>.amazonaws.com`) when a service calls for the caller.
    pub via_service: Option<&'a str>,
}

/// What the key policy says of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDecision {
    /// A `Deny` statement matches: refused, whatever else allows.
    Deny,
    /// An `Allow` statement names the caller (or `*`): allowed without IAM.
    Allow,
    /// An `Allow` statement names the account: allowed if the caller's IAM policy allows.
    DelegateToIam,
    /// Nothing matches: refused.
    NoMatch,
}

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl KeyPolicy {
    /// Read a policy document (JSON text).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let doc = policy_doc::parse(text).map_err(|e| match e {
            DocumentError::NotJson(e) => PolicyError(format!("the policy is not JSON: {e}")),
            DocumentError::Shape(e) => PolicyError(format!(
                "the policy {e} (it needs a Statement: an object or a list of objects)"
            )),
        })?;
        let statements = doc
            .statement
            .into_vec()
            .into_iter()
            .map(statement)
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// Every element of the policy the embedded service cannot evaluate, by statement.
    pub fn unsupported(&self) -> Vec<String> {
        self.statements
            .iter()
            .flat_map(|s| {
                let sid = s.sid.clone().unwrap_or_else(|| "(no Sid)".into());
                s.unsupported
                    .iter()
                    .map(move |u| format!("statement {sid}: {u}"))
            })
            .collect()
    }

    /// What the policy says of `request`.
    pub fn evaluate(&self, request: &Request<'_>) -> PolicyDecision {
        let (mut allow, mut delegate) = (false, false);
        for s in &self.statements {
            if !s
                .actions
                .iter()
                .any(|a| crate::iam::action_matches(a, request.action))
                || !s.conditions.iter().all(|c| c.holds(request))
            {
                continue;
            }
            let (direct, account) = s.names(request);
            if !s.allow && (direct || account) {
                return PolicyDecision::Deny;
            }
            allow |= s.allow && direct;
            delegate |= s.allow && account;
        }
        if allow {
            PolicyDecision::Allow
        } else if delegate {
            PolicyDecision::DelegateToIam
        } else {
            PolicyDecision::NoMatch
        }
    }

    /// What makes the policy overly permissive: an `Allow` to any principal (`*`) that no
    /// condition confines to an account or a service, and `kms:*` (or `*`) allowed to a
    /// principal other than the account and `administrators` (ARNs).
    pub fn findings(&self, account: &str, administrators: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.statements.iter().filter(|s| s.allow) {
            let sid = s.sid.clone().unwrap_or_else(|| "(no Sid)".into());
            let everything = s
                .actions
                .iter()
                .any(|a| a == "*" || a.eq_ignore_ascii_case("kms:*"));
            match &s.principals {
                None if !s
                    .conditions
                    .iter()
                    .any(|c| CONFINING_KEYS.contains(&c.key.as_str())) =>
                {
                    out.push(format!(
                        "statement {sid} allows {} to any principal (\"*\") with no condition on the caller's account",
                        s.actions.join(", ")
                    ));
                }
                None => {}
                Some(names) if everything => {
                    for p in names.iter().filter(|p| {
                        !is_account(p, account) && !administrators.iter().any(|a| a == *p)
                    }) {
                        out.push(format!(
                            "statement {sid} allows kms:* to {p}, who is not one of the account's administrators"
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        out
    }
}

fn is_account(principal: &str, account: &str) -> bool {
    principal == account || principal == format!("arn:aws:iam::{account}:root")
}

impl PolicyStatement {
    /// Whether the statement names the caller directly (or `*`), and whether it names the
    /// caller's account.
    fn names(&self, request: &Request<'_>) -> (bool, bool) {
        let Some(names) = &self.principals else {
            return (true, false);
        };
        let direct = names
            .iter()
            .any(|p| p == "*" || request.principal_arns.iter().any(|a| a == p));
        let account = names.iter().any(|p| is_account(p, request.account));
        (direct, account)
    }
}

impl Condition {
    fn holds(&self, request: &Request<'_>) -> bool {
        let actual: Vec<&str> = match self.key.as_str() {
            "kms:calleraccount" => vec![request.account],
            "kms:viaservice" => request.via_service.into_iter().collect(),
            "aws:principalarn" => request.principal_arns.iter().map(String::as_str).collect(),
            _ => return false,
        };
        let like = self.operator == "StringLike";
        actual.iter().any(|a| {
            self.values.iter().any(|v| {
                if like {
                    crate::iam::wildcard_match(v, a)
                } else {
                    v == a
                }
            })
        })
    }
}

fn statement(st: policy_doc::Statement) -> Result<PolicyStatement, PolicyError> {
    let sid = st.sid;
    let name = sid.clone().unwrap_or_else(|| "(no Sid)".into());
    let allow = match st.effect.as_deref() {
        Some("Allow") => true,
        Some("Deny") => false,
        _ => {
            return Err(PolicyError(format!(
                "statement {name}: Effect must be \"Allow\" or \"Deny\""
            )))
        }
    };
    let mut unsupported = Vec::new();
    for (element, present) in [
        ("NotAction", st.not_action.is_some()),
        ("NotPrincipal", st.not_principal.is_some()),
        ("NotResource", st.not_resource.is_some()),
    ] {
        if present {
            unsupported.push(element.to_owned());
        }
    }
    let principals = match st.principal {
        Some(Principal::Bare(s)) if s == "*" => None,
        Some(Principal::By(m)) => {
            let mut names = Vec::new();
            for (kind, v) in m {
                if !matches!(kind.as_str(), "AWS" | "Service") {
                    unsupported.push(format!("Principal {kind}"));
                }
                names.extend(v.0);
            }
            if names.iter().any(|n| n == "*") {
                None
            } else {
                Some(names)
            }
        }
        None if st.not_principal.is_some() => Some(Vec::new()),
        _ => {
            return Err(PolicyError(format!(
                "statement {name}: Principal must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::<account>:root\"}}"
            )))
        }
    };
    let actions = match st.action {
        Some(v) => v.0,
        None if st.not_action.is_some() => Vec::new(),
        None => return Err(PolicyError(format!("statement {name}: Action is required"))),
    };
    let mut conditions = Vec::new();
    for (operator, tests) in st.condition.unwrap_or_default() {
        for (key, values) in tests {
            let key = key.to_ascii_lowercase();
            if !matches!(operator.as_str(), "StringEquals" | "StringLike") {
                unsupported.push(format!("Condition operator {operator}"));
            } else if !KNOWN_CONDITION_KEYS.contains(&key.as_str()) {
                unsupported.push(format!("Condition key {key}"));
            }
            conditions.push(Condition {
                operator: operator.clone(),
                key,
                values: values.0,
            });
        }
    }
    Ok(PolicyStatement {
        sid,
        allow,
        principals,
        actions,
        conditions,
        unsupported,
    })
}

/// The key policy KMS gives a key created without one: the account may do everything, through
/// its IAM policies.
pub fn default_policy(account: &str) -> String {
    pretty(&json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [root_statement(account)],
    }))
}

/// The default policy's one statement.
pub fn root_statement(account: &str) -> Value {
    json!({
        "Sid": ROOT_SID,
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*",
    })
}

/// The policy of the AWS-managed key `aws/<service>`: any principal of the account may use it
/// through the service; the account may read its metadata.
pub fn aws_managed_policy(account: &str, region: &str, service: &str) -> String {
    pretty(&json!({
        "Version": "2012-10-17",
        "Id": format!("auto-{service}-1"),
        "Statement": [
            {
                "Sid": format!("Allow access through {service} for all principals in the account that are authorized to use {service}"),
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account,
                    "kms:ViaService": format!("{service}.{region}.amazonaws.com"),
                }},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
        ],
    }))
}

/// A restrictive key policy for a stream's key: the account delegates to IAM, as the default
/// does, and names the key's administrators and users (ARNs) for exactly what they do.
pub fn restrictive_policy(account: &str, administrators: &[String], users: &[String]) -> String {
    let mut statements = vec![root_statement(account)];
    if !administrators.is_empty() {
        statements.push(json!({
            "Sid": "Allow key administrators",
            "Effect": "Allow",
            "Principal": {"AWS": administrators},
            "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:PutKeyPolicy", "kms:EnableKeyRotation",
                       "kms:DisableKeyRotation", "kms:TagResource", "kms:UntagResource", "kms:CreateGrant",
                       "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
            "Resource": "*",
        }));
    }
    if !users.is_empty() {
        statements.push(json!({
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": users},
            "Action": ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        }));
    }
    pretty(&json!({"Version": "2012-10-17", "Id": "kcb-restrictive-1", "Statement": statements}))
}

/// `text` with a statement added (a fault's Deny) or the statement with `sid` removed; the
/// removed statement is returned so it can be put back.
pub fn with_statement(
    text: &str,
    add: Option<Value>,
    remove: Option<&str>,
) -> Result<(String, Option<Value>), PolicyError> {
    let mut doc: Value = serde_json::from_str(text)
        .map_err(|e| PolicyError(format!("the policy is not JSON: {e}")))?;
    let statements = match doc.get_mut("Statement") {
        Some(Value::Array(items)) => items,
        Some(one @ Value::Object(_)) => {
            let single = one.take();
            *one = Value::Array(vec![single]);
            one.as_array_mut()
                .ok_or_else(|| PolicyError("no Statement".into()))?
        }
        _ => return Err(PolicyError("the policy has no Statement".into())),
    };
    let mut removed = None;
    if let Some(sid) = remove {
        let at = statements
            .iter()
            .position(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
            .ok_or_else(|| {
                PolicyError(format!(
                    "the key policy has no statement with Sid \"{sid}\""
                ))
            })?;
        removed = Some(statements.remove(at));
    }
    if let Some(s) = add {
        statements.push(s);
    }
    Ok((pretty(&doc), removed))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";

    fn request<'a>(arns: &'a [String], action: &'a str, via: Option<&'a str>) -> Request<'a> {
        Request {
            account: ACCOUNT,
            principal_arns: arns,
            action,
            via_service: via,
        }
    }

    fn producer() -> Vec<String> {
        vec![format!("arn:aws:iam::{ACCOUNT}:user/producer")]
    }

    #[test]
    fn the_default_policy_delegates_everything_to_iam() {
        let p = KeyPolicy::parse(&default_policy(ACCOUNT)).unwrap();
        assert!(p.unsupported().is_empty());
        let arns = producer();
        assert_eq!(
            p.evaluate(&request(&arns, "kms:GenerateDataKey", None)),
            PolicyDecision::DelegateToIam
        );
        assert!(p.findings(ACCOUNT, &[]).is_empty());
    }

    #[test]
    fn an_aws_managed_policy_allows_through_the_service_only() {
        let p = KeyPolicy::parse(&aws_managed_policy(ACCOUNT, "us-east-1", "kinesis")).unwrap();
        assert!(p.unsupported().is_empty());
        let arns = producer();
        let via = Some("kinesis.us-east-1.amazonaws.com");
        assert_eq!(
            p.evaluate(&request(&arns, "kms:GenerateDataKey", via)),
            PolicyDecision::Allow
        );
        assert_eq!(
            p.evaluate(&request(
                &arns,
                "kms:GenerateDataKey",
                Some("s3.us-east-1.amazonaws.com")
            )),
            PolicyDecision::NoMatch
        );
        assert_eq!(
            p.evaluate(&request(&arns, "kms:GenerateDataKey", None)),
            PolicyDecision::NoMatch
        );
        assert_eq!(
            p.evaluate(&request(&arns, "kms:DescribeKey", None)),
            PolicyDecision::DelegateToIam
        );
        assert!(
            p.findings(ACCOUNT, &[]).is_empty(),
            "the star is confined by conditions"
        );
    }

    #[test]
    fn a_deny_wins_and_removing_the_root_statement_stops_delegation() {
        let deny = json!({"Sid": "fault", "Effect": "Deny", "Principal": {"AWS": producer()},
                          "Action": "kms:GenerateDataKey", "Resource": "*"});
        let (text, removed) = with_statement(&default_policy(ACCOUNT), Some(deny), None).unwrap();
        assert!(removed.is_none());
        let p = KeyPolicy::parse(&text).unwrap();
        let arns = producer();
        assert_eq!(
            p.evaluate(&request(&arns, "kms:GenerateDataKey", None)),
            PolicyDecision::Deny
        );
        assert_eq!(
            p.evaluate(&request(&arns, "kms:Decrypt", None)),
            PolicyDecision::DelegateToIam
        );
        let (text, removed) = with_statement(&text, None, Some(ROOT_SID)).unwrap();
        assert_eq!(removed.unwrap()["Sid"], ROOT_SID);
        let p = KeyPolicy::parse(&text).unwrap();
        assert_eq!(
            p.evaluate(&request(&arns, "kms:Decrypt", None)),
            PolicyDecision::NoMatch
        );
        assert!(with_statement(&text, None, Some("nope")).is_err());
    }

    #[test]
    fn findings_name_stars_and_kms_star_beyond_administrators() {
        let admin = format!("arn:aws:iam::{ACCOUNT}:role/admin");
        let text = json!({"Statement": [
            {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
            {"Sid": "all", "Effect": "Allow", "Principal": {"AWS": [admin.clone(), format!("arn:aws:iam::{ACCOUNT}:user/producer")]},
             "Action": "kms:*", "Resource": "*"},
        ]})
        .to_string();
        let p = KeyPolicy::parse(&text).unwrap();
        let f = p.findings(ACCOUNT, &[admin]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("statement open"));
        assert!(f[1].contains("user/producer"));
        let restrictive = restrictive_policy(
            ACCOUNT,
            &[format!("arn:aws:iam::{ACCOUNT}:user/admin")],
            &producer(),
        );
        let p = KeyPolicy::parse(&restrictive).unwrap();
        assert!(p.findings(ACCOUNT, &[]).is_empty());
        assert_eq!(
            p.evaluate(&request(&producer(), "kms:Decrypt", None)),
            PolicyDecision::Allow
        );
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        assert!(KeyPolicy::parse("{").unwrap_err().0.contains("not JSON"));
        assert!(KeyPolicy::parse("{}").unwrap_err().0.contains("Statement"));
        let e = KeyPolicy::parse(
            r#"{"Statement":[{"Sid":"x","Effect":"Maybe","Principal":"*","Action":"kms:*"}]}"#,
        );
        assert!(e.unwrap_err().0.contains("statement x: Effect"));
        let p = KeyPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"kms:Decrypt","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
        )
        .unwrap();
        assert_eq!(p.unsupported().len(), 2, "{:?}", p.unsupported());
    }
}
