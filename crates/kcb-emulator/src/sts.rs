//! STS on the embedded service, as far as a run's credentials need it: `GetCallerIdentity`
//! (who signed this request) and `AssumeRole` (temporary credentials for a role), in AWS's
//! query protocol (a form-encoded POST in, XML out). A role is one of the service's principals:
//! `arn:aws:iam::<account>:role/<name>` acts with the policy of the principal `<name>`, and every
//! principal of the account may assume it (as a trust policy naming the account would allow).
//! The session's credentials sign like any access key, with `X-Amz-Security-Token` required.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use rand::Rng as _;

use super::wire::{ApiError, Xml};

/// The XML namespace of STS responses.
const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// AssumeRole's default session length (1 hour).
const DEFAULT_SESSION: Duration = Duration::from_secs(3600);
/// The shortest session AssumeRole grants (15 minutes).
const MIN_SESSION_SECS: u64 = 900;
/// The longest session AssumeRole grants (12 hours, the role's maximum at most).
const MAX_SESSION_SECS: u64 = 43_200;

/// One AssumeRole session.
#[derive(Clone)]
pub struct Session {
    /// The principal whose policy the session acts with (the role's name).
    pub principal: String,
    /// The session's secret access key.
    pub secret: String,
    /// The session token the requests must carry.
    pub token: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session name>`.
    pub arn: String,
    /// When the credentials expire (wall clock, as the SDK compares them).
    pub expires: SystemTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("principal", &self.principal)
            .field("arn", &self.arn)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The sessions AssumeRole has handed out, by access key id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_key: HashMap<String, Session>,
}

impl Sessions {
    /// The session whose access key id is `akid`.
    pub fn get(&self, akid: &str) -> Option<&Session> {
        self.by_key.get(akid)
    }

    /// How many sessions were handed out.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Whether a request is in the query protocol (STS), not JSON with an `X-Amz-Target`.
pub fn is_query(parts: &http::request::Parts) -> bool {
    parts.headers.get("x-amz-target").is_none()
        && parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The form's fields.
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Who is calling, as STS describes them.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal's name.
    pub principal: String,
    /// The user's ARN, or the session's assumed-role ARN.
    pub arn: String,
}

/// Answer one STS action.
pub fn handle(
    form: &HashMap<String, String>,
    caller: &Caller,
    account: &str,
    known: impl Fn(&str) -> bool,
    sessions: &mut Sessions,
) -> Result<String, ApiError> {
    let action = form.get("Action").map(String::as_str).unwrap_or_default();
    match action {
        "GetCallerIdentity" => Ok(respond("GetCallerIdentity", |x| {
            x.text("Arn", &caller.arn)
                .text("UserId", user_id(&caller.principal))
                .text("Account", account);
        })),
        "AssumeRole" => assume_role(form, account, known, sessions),
        "" => Err(ApiError::new("MissingAction", "no Action in the request")),
        other => Err(ApiError::new(
            "InvalidAction",
            format!("the embedded STS does not serve {other}; it serves GetCallerIdentity and AssumeRole"),
        )),
    }
}

fn user_id(principal: &str) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(principal.as_bytes());
    format!("AIDA{}", &hex::encode_upper(digest)[..17])
}

fn assume_role(
    form: &HashMap<String, String>,
    account: &str,
    known: impl Fn(&str) -> bool,
    sessions: &mut Sessions,
) -> Result<String, ApiError> {
    let arn = form
        .get("RoleArn")
        .ok_or_else(|| ApiError::new("ValidationError", "RoleArn is required"))?;
    let session_name = form
        .get("RoleSessionName")
        .ok_or_else(|| ApiError::new("ValidationError", "RoleSessionName is required"))?;
    if !(2..=64).contains(&session_name.len())
        || !session_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(ApiError::new(
            "ValidationError",
            format!("1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: 2 to 64 characters of [\\w+=,.@-]"),
        ));
    }
    let prefix = format!("arn:aws:iam::{account}:role/");
    let role = arn
        .strip_prefix(&prefix)
        .and_then(|r| r.rsplit('/').next())
        .filter(|r| known(r))
        .ok_or_else(|| {
            ApiError::new(
                "AccessDenied",
                format!("Not authorized to perform sts:AssumeRole on {arn}: the embedded service's roles are {prefix}<principal>"),
            )
            .with_status(403)
        })?;
    let secs = match form.get("DurationSeconds") {
        None => DEFAULT_SESSION.as_secs(),
        Some(d) => d
            .parse::<u64>()
            .ok()
            .filter(|d| (MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(d))
            .ok_or_else(|| {
                ApiError::new(
                    "ValidationError",
                    format!("DurationSeconds {d} is not between {MIN_SESSION_SECS} and {MAX_SESSION_SECS}"),
                )
            })?,
    };
    let expires = SystemTime::now() + Duration::from_secs(secs);
    let akid = random_text("ASIA", 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    let secret = random_text(
        "",
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    let token = random_text(
        "IQoJb3JpZ2luX2VjE",
        96,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    );
    let session = Session {
        principal: role.to_string(),
        secret: secret.clone(),
        token: token.clone(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{session_name}"),
        expires,
    };
    let body = |x: &mut Xml| {
        x.open("AssumedRoleUser", &[])
            .text("Arn", &session.arn)
            .text(
                "AssumedRoleId",
                format!("AROA{}:{session_name}", &user_id(role)[4..]),
            )
            .close("AssumedRoleUser")
            .open("Credentials", &[])
            .text("AccessKeyId", &akid)
            .text("SecretAccessKey", &secret)
            .text("SessionToken", &token)
            .text("Expiration", humantime::format_rfc3339_seconds(expires))
            .close("Credentials");
    };
    let answer = respond("AssumeRole", body);
    sessions.by_key.insert(akid, session);
    Ok(answer)
}

fn random_text(prefix: &str, len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    let mut s = prefix.to_string();
    s.extend((0..len).map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())])));
    s
}

fn respond(action: &str, result: impl FnOnce(&mut Xml)) -> String {
    respond_xml(XMLNS, action, result)
}

/// A query-protocol answer: `<ActionResponse><ActionResult>...` in namespace `xmlns`, the
/// result's elements written by `result`.
pub fn respond_xml(xmlns: &str, action: &str, result: impl FnOnce(&mut Xml)) -> String {
    let (response, inner) = (format!("{action}Response"), format!("{action}Result"));
    let mut x = Xml::fragment();
    x.open(&response, &[("xmlns", xmlns)]).open(&inner, &[]);
    result(&mut x);
    x.close(&inner)
        .open("ResponseMetadata", &[])
        .text("RequestId", request_id())
        .close("ResponseMetadata")
        .close(&response);
    x.finish()
}

fn request_id() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    hex::encode(b)
}

/// The XML error body STS sends.
pub fn error_body(e: &ApiError) -> String {
    let kind = if e.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    let mut x = Xml::fragment();
    x.open("ErrorResponse", &[("xmlns", XMLNS)])
        .open("Error", &[])
        .text("Type", kind)
        .text("Code", e.code)
        .text("Message", &e.message)
        .close("Error")
        .text("RequestId", request_id())
        .close("ErrorResponse");
    x.finish()
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
    fn assume_role_hands_out_a_session_of_a_known_principal_only() {
        let caller = Caller {
            principal: "admin".into(),
            arn: "arn:aws:iam::111122223333:user/admin".into(),
        };
        let known = |r: &str| r == "producer";
        let mut sessions = Sessions::default();
        let xml = handle(
            &form(&[
                ("Action", "AssumeRole"),
                ("RoleArn", "arn:aws:iam::111122223333:role/producer"),
                ("RoleSessionName", "kinesis-crypto-bench"),
            ]),
            &caller,
            "111122223333",
            known,
            &mut sessions,
        )
        .unwrap();
        assert_eq!(sessions.len(), 1);
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Credentials {
            access_key_id: String,
            session_token: String,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct AssumeRoleResult {
            credentials: Credentials,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct AssumeRoleResponse {
            assume_role_result: AssumeRoleResult,
        }
        let answer: AssumeRoleResponse =
            quick_xml::de::from_str(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        let creds = answer.assume_role_result.credentials;
        let s = sessions.get(&creds.access_key_id).unwrap();
        assert_eq!(s.principal, "producer");
        assert_eq!(creds.session_token, s.token);
        assert!(
            xml.contains("assumed-role/producer/kinesis-crypto-bench"),
            "{xml}"
        );
        assert!(!format!("{s:?}").contains(&s.secret));

        for (arn, name, code) in [
            (
                "arn:aws:iam::111122223333:role/mallory",
                "ok-name",
                "AccessDenied",
            ),
            (
                "arn:aws:iam::999999999999:role/producer",
                "ok-name",
                "AccessDenied",
            ),
            (
                "arn:aws:iam::111122223333:role/producer",
                "x",
                "ValidationError",
            ),
        ] {
            let e = handle(
                &form(&[
                    ("Action", "AssumeRole"),
                    ("RoleArn", arn),
                    ("RoleSessionName", name),
                ]),
                &caller,
                "111122223333",
                known,
                &mut sessions,
            )
            .unwrap_err();
            assert_eq!(e.code, code, "{arn} {name}");
        }
        assert_eq!(sessions.len(), 1);
        let who = handle(
            &form(&[("Action", "GetCallerIdentity")]),
            &caller,
            "111122223333",
            known,
            &mut sessions,
        )
        .unwrap();
        assert!(who.contains("<Account>111122223333</Account>"), "{who}");
        assert!(who.contains("<Arn>arn:aws:iam::111122223333:user/admin</Arn>"));
    }
}
