//! Server-side verification of AWS Signature Version 4 on requests to the embedded service.
//!
//! The harness reaches the embedded Kinesis + KMS service through the real `aws-sdk-kinesis` and
//! `aws-sdk-kms` clients, which sign every request with SigV4 in the `Authorization` header. This
//! module checks those signatures the way AWS does, so that a principal (named by the access key
//! id) cannot be impersonated and a request altered in flight is refused.
//!
//! The signature is recomputed with the SDK's own signer, the `aws-sigv4` crate, over exactly the
//! headers the client listed in `SignedHeaders`, with the time from `x-amz-date` and the region
//! and service from the credential scope; the result is compared in constant time.
//!
//! # What the Rust SDK signs for an AWS JSON 1.1 request
//!
//! `aws-runtime`'s SigV4 signer passes every header present at signing time to `aws-sigv4`
//! with the default settings (double URI encoding, path normalization, no
//! `x-amz-content-sha256`, the body as `SignableBody::Bytes`). The default settings leave out
//! `authorization`, `user-agent`, `x-amzn-trace-id` and `transfer-encoding`, and
//! `amz-sdk-invocation-id` and `amz-sdk-request` are only added after signing (in
//! `modify_before_transmit`). So a Kinesis or KMS request carries
//!
//! ```text
//! SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent
//! ```
//!
//! plus `x-amz-security-token` when the credentials have a session token. `host` is the
//! endpoint's authority, with the port unless it is the scheme's default, e.g.
//! `127.0.0.1:PORT` for the embedded service; the HTTP client sends the same value.
//!
//! # Not supported
//!
//! Presigned (query-string) authentication, the `Date` header in place of `x-amz-date`,
//! SigV4a, and `UNSIGNED-PAYLOAD`: the SDK uses none of them for Kinesis or KMS. The request's
//! age is not checked here (the module has no clock); [`signed_time`] gives the caller the
//! signing time to compare with its own clock.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Uri};

/// The only signing algorithm accepted, as written at the start of the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The header carrying the signing time, `yyyyMMdd'T'HHmmss'Z'`.
pub const X_AMZ_DATE: &str = "x-amz-date";

/// The last element of every SigV4 credential scope.
const SCOPE_TERMINATOR: &str = "aws4_request";

/// Longest piece of client input echoed back in an error message.
const MAX_ECHO: usize = 80;

/// Provider name recorded on the credentials rebuilt for verification.
const PROVIDER_NAME: &str = "kcb-emulator-sigv4";

/// Why a request's authentication was refused. Each variant maps to the error AWS returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header: AWS answers `MissingAuthenticationTokenException`.
    #[error("Missing Authentication Token")]
    Missing,
    /// The `Authorization` or `x-amz-date` header cannot be parsed, or lacks a required part:
    /// AWS answers `IncompleteSignatureException`.
    #[error("{0}")]
    Malformed(String),
    /// The access key id names no principal: AWS answers `UnrecognizedClientException`.
    #[error("The security token included in the request is invalid. (access key id {0:?})")]
    UnknownAccessKey(String),
    /// The signature does not match the one recomputed from the request and the secret:
    /// AWS answers `InvalidSignatureException`.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method."
    )]
    BadSignature,
    /// A session's access key without its session token, or with another one: AWS answers
    /// `UnrecognizedClientException`.
    #[error("The security token included in the request is invalid.")]
    BadSessionToken,
    /// A session's credentials past their expiry: AWS answers `ExpiredTokenException`.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl AuthError {
    /// The error code AWS JSON services put in `__type` (and `x-amzn-ErrorType`).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::Malformed(_) => "IncompleteSignatureException",
            AuthError::UnknownAccessKey(_) => "UnrecognizedClientException",
            AuthError::BadSignature => "InvalidSignatureException",
            AuthError::BadSessionToken => "UnrecognizedClientException",
            AuthError::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// The HTTP status: 400 for all of them, as AWS JSON 1.1 services answer a JSON request
    /// (Kinesis reports `UnrecognizedClientException` with status 400, and kinesalite, which
    /// mimics Kinesis, sends every one of these as a 400 JSON error). The 403 that the generic
    /// "common errors" pages give for `MissingAuthenticationToken` belongs to the XML (query)
    /// front ends; kinesalite sends it only when the content type is not JSON.
    pub fn status(&self) -> u16 {
        400
    }
}

/// The credential scope from the `Authorization` header:
/// `Credential=<access key id>/<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credential {
    /// The access key id, naming the principal.
    pub access_key_id: String,
    /// The scope date, `yyyyMMdd`.
    pub date: String,
    /// The region the request was signed for, e.g. `us-east-1`.
    pub region: String,
    /// The signing name of the service, e.g. `kinesis` or `kms`.
    pub service: String,
}

/// The parsed `Authorization` header.
#[derive(Debug)]
struct Authorization {
    credential: Credential,
    /// Lowercase, sorted, unique; always includes `host` and `x-amz-date`.
    signed_headers: Vec<String>,
    /// 64 lowercase hex digits.
    signature: String,
}

/// Parse only (cheap): the access key id, date, region and service from the `Authorization`
/// header's `Credential=`, after checking that the header is a well-formed SigV4 header.
///
/// No secret is looked up and no signature computed; use [`verify`] before trusting the result.
///
/// # Errors
///
/// [`AuthError::Missing`] without an `Authorization` header, [`AuthError::Malformed`] when it
/// is not `AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=<hex>`
/// with `host` and `x-amz-date` among the signed headers.
pub fn parse_credential(headers: &HeaderMap) -> Result<Credential, AuthError> {
    parse_authorization(headers).map(|auth| auth.credential)
}

/// The signing time from the `x-amz-date` header, for the caller to compare with its clock
/// (AWS refuses requests signed more than a few minutes away from its own time).
///
/// # Errors
///
/// [`AuthError::Malformed`] when the header is missing, repeated or not
/// `yyyyMMdd'T'HHmmss'Z'`.
pub fn signed_time(headers: &HeaderMap) -> Result<SystemTime, AuthError> {
    amz_date(headers).map(|(_, time)| time)
}

/// Full verification: recompute the signature over the headers listed in `SignedHeaders`, the
/// method, path, query and body, with the `x-amz-date` timestamp and the credential scope's
/// region and service, using the secret that `secret_for` returns for the access key id, and
/// compare it with the request's signature in constant time.
///
/// `uri` may be in origin form (`/`, as a server receives it) or absolute; only its path and
/// query are signed. `host` is taken from the `Host` header, which SigV4 requires to be signed.
///
/// Checks run in the order AWS reports them: a missing header ([`AuthError::Missing`]), a
/// malformed one ([`AuthError::Malformed`]), an unknown key ([`AuthError::UnknownAccessKey`]),
/// then the signature itself ([`AuthError::BadSignature`]).
///
/// # Errors
///
/// - [`AuthError::Missing`]: no `Authorization` header.
/// - [`AuthError::Malformed`]: the `Authorization` header does not parse (see
///   [`parse_credential`]), or `x-amz-date` is missing, repeated or malformed, or a signed
///   header's value is not visible ASCII.
/// - [`AuthError::UnknownAccessKey`]: `secret_for` knows no secret for the access key id.
/// - [`AuthError::BadSignature`]: the signature differs from the recomputed one (another body,
///   method, path, query, signed header value or secret), a signed header is absent, or the
///   scope date is not the day of `x-amz-date`.
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<Credential, AuthError> {
    let auth = parse_authorization(headers)?;
    let (date_text, time) = amz_date(headers)?;
    let credential = auth.credential;
    let secret = secret_for(&credential.access_key_id)
        .ok_or_else(|| AuthError::UnknownAccessKey(credential.access_key_id.clone()))?;

    // The scope date must be the day of x-amz-date: the signer derives both from one time.
    if !date_text.starts_with(credential.date.as_str()) {
        return Err(AuthError::BadSignature);
    }

    // The signed headers, as received, in the order received.
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let before = signed.len();
        for value in headers.get_all(name.as_str()) {
            let value = value.to_str().map_err(|_| {
                AuthError::Malformed(format!("signed header {name} is not visible ASCII"))
            })?;
            signed.push((name.as_str(), value));
        }
        if signed.len() == before {
            // Signed by the client but not received: the request was altered on the way.
            return Err(AuthError::BadSignature);
        }
    }

    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    // S3 signs its path as sent (encoded once, not normalized) and states the body's hash in
    // `x-amz-content-sha256`, which must match the body unless it says UNSIGNED-PAYLOAD.
    let s3 = credential.service == "s3";
    let stated = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .filter(|_| s3);
    let signable_body = match stated {
        Some("UNSIGNED-PAYLOAD") => SignableBody::UnsignedPayload,
        Some(hash) => {
            use sha2::Digest as _;
            if !hash.eq_ignore_ascii_case(&hex::encode(sha2::Sha256::digest(body))) {
                return Err(AuthError::BadSignature);
            }
            SignableBody::Precomputed(hash.to_owned())
        }
        None => SignableBody::Bytes(body),
    };
    let request = SignableRequest::new(
        method.as_str(),
        path_and_query,
        signed.into_iter(),
        signable_body,
    )
    .map_err(|e| AuthError::Malformed(format!("cannot canonicalize the request: {e}")))?;

    let identity: Identity = Credentials::new(
        credential.access_key_id.as_str(),
        secret,
        None,
        None,
        PROVIDER_NAME,
    )
    .into();
    // The SDK's settings, except that nothing is excluded: the request is rebuilt from exactly
    // the headers the client says it signed, so every one of them must be signed again.
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    if s3 {
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode =
            aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(credential.region.as_str())
        .name(credential.service.as_str())
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AuthError::Malformed(format!("cannot build signing parameters: {e}")))?
        .into();
    let output = sign(request, &params)
        .map_err(|e| AuthError::Malformed(format!("cannot sign the request again: {e}")))?;

    if bool::from(subtle::ConstantTimeEq::ct_eq(
        output.signature().as_bytes(),
        auth.signature.as_bytes(),
    )) {
        Ok(credential)
    } else {
        Err(AuthError::BadSignature)
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(headers: &HeaderMap) -> Result<Authorization, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(malformed("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("the Authorization header is not visible ASCII"))?
        .trim();
    if value.is_empty() {
        return Err(AuthError::Missing);
    }

    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(AuthError::Malformed(format!(
            "unsupported AWS 'algorithm' {:?}; expected {ALGORITHM}",
            echo(algorithm)
        )));
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = part.split_once('=') else {
            return Err(AuthError::Malformed(format!(
                "Authorization component {:?} is not a key=value pair",
                echo(part)
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(AuthError::Malformed(format!(
                    "unknown Authorization component {:?}",
                    echo(other)
                )))
            }
        };
        if slot.replace(val.trim()).is_some() {
            return Err(AuthError::Malformed(format!(
                "Authorization component {key} appears more than once"
            )));
        }
    }
    let credential = parse_scope(required(credential, "Credential")?)?;
    let signed_headers = parse_signed_headers(required(signed_headers, "SignedHeaders")?)?;
    let signature = required(signature, "Signature")?;
    if signature.len() != 64
        || !signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(malformed("Signature must be 64 lowercase hex digits"));
    }
    Ok(Authorization {
        credential,
        signed_headers,
        signature: signature.to_string(),
    })
}

/// Parses `<access key id>/<yyyyMMdd>/<region>/<service>/aws4_request`.
fn parse_scope(text: &str) -> Result<Credential, AuthError> {
    let parts: Vec<&str> = text.split('/').collect();
    let bad = || {
        AuthError::Malformed(format!(
            "Credential {:?} is not <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request",
            echo(text)
        ))
    };
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(bad());
    };
    if access_key_id.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || region.is_empty()
        || service.is_empty()
        || *terminator != SCOPE_TERMINATOR
    {
        return Err(bad());
    }
    Ok(Credential {
        access_key_id: access_key_id.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    })
}

/// Parses `a;b;c`: lowercase header names in ascending order, with `host` and `x-amz-date`.
fn parse_signed_headers(text: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<&str> = text.split(';').collect();
    let token = |n: &str| {
        !n.is_empty()
            && n.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            })
    };
    if !names.iter().all(|n| token(n)) {
        return Err(AuthError::Malformed(format!(
            "SignedHeaders {:?} must be lowercase header names separated by ';'",
            echo(text)
        )));
    }
    if !names.windows(2).all(|w| w[0] < w[1]) {
        return Err(AuthError::Malformed(format!(
            "SignedHeaders {:?} must be sorted and without repeats",
            echo(text)
        )));
    }
    if !names.contains(&"host") {
        return Err(malformed(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization",
        ));
    }
    if !names.contains(&X_AMZ_DATE) {
        return Err(malformed("'x-amz-date' must be a 'SignedHeader'"));
    }
    Ok(names.into_iter().map(str::to_string).collect())
}

/// The single `x-amz-date` header, as text and as a time.
fn amz_date(headers: &HeaderMap) -> Result<(&str, SystemTime), AuthError> {
    let mut values = headers.get_all(X_AMZ_DATE).iter();
    let value = values.next().ok_or_else(|| {
        malformed("Authorization header requires existence of a 'X-Amz-Date' header")
    })?;
    if values.next().is_some() {
        return Err(malformed("more than one X-Amz-Date header"));
    }
    let text = value
        .to_str()
        .map_err(|_| malformed("X-Amz-Date is not visible ASCII"))?;
    let time = parse_amz_date(text).ok_or_else(|| {
        AuthError::Malformed(format!(
            "X-Amz-Date {:?} must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'",
            echo(text)
        ))
    })?;
    Ok((text, time))
}

/// Parses `yyyyMMdd'T'HHmmss'Z'` (UTC, years 1970 to 9999) so that formatting the result again
/// gives back the same text, as the signer requires: the digits checked here, the calendar
/// (days in the month, leap years) by `humantime`'s RFC 3339 parser.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    if &text[13..15] > "59" {
        return None; // a leap second, which RFC 3339 allows and SigV4 does not
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

/// The value of a required `Authorization` component.
fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, AuthError> {
    value.ok_or_else(|| {
        AuthError::Malformed(format!("Authorization header requires '{name}' parameter"))
    })
}

/// An [`AuthError::Malformed`] with a fixed message.
fn malformed(message: &str) -> AuthError {
    AuthError::Malformed(message.to_string())
}

/// At most [`MAX_ECHO`] characters of client input, for error messages.
fn echo(text: &str) -> String {
    text.chars().take(MAX_ECHO).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, HeaderValue, HOST};
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY_ID: &str = "producer";
    const SECRET: &str = "producer-secret";
    /// 2024-02-29T12:34:56Z.
    const WHEN: u64 = 1_709_210_096;
    const WHEN_TEXT: &str = "20240229T123456Z";
    const SDK_SIGNED: &str =
        "content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent";

    fn secrets(key: &str) -> Option<String> {
        match key {
            KEY_ID => Some(SECRET.to_string()),
            "AKIDEXAMPLE" => Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string()),
            _ => None,
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// A request as the server receives it.
    struct Received {
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    }

    impl Received {
        fn verify(&self) -> Result<Credential, AuthError> {
            verify(&self.method, &self.uri, &self.headers, &self.body, secrets)
        }

        fn set(&mut self, name: &'static str, value: &str) {
            self.headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }

        fn authorization(&self) -> String {
            self.headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .expect("signed request")
                .to_string()
        }
    }

    /// Builds an AWS JSON 1.1 request as the SDK's serializer and interceptors do, signs it
    /// exactly as `aws-runtime`'s `SigV4Signer` does (every header present, default settings,
    /// `SignableBody::Bytes`), adds the headers the SDK adds after signing, and shapes it as a
    /// server sees it (Host from the endpoint's authority, URI in origin form).
    fn sdk_request(
        credentials: Credentials,
        region: &str,
        service: &str,
        target: &str,
        body: &[u8],
        time: SystemTime,
    ) -> Received {
        let mut request = http::Request::builder()
            .method("POST")
            .uri("http://127.0.0.1:4567/")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .header("content-length", body.len().to_string())
            .header("user-agent", "aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0")
            .header(
                "x-amz-user-agent",
                "aws-sdk-rust/1.3.9 ua/2.1 api/kinesis/1.130.0 os/linux lang/rust/1.95.0",
            )
            .body(body.to_vec())
            .expect("request");
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri,
            request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().expect("ascii"))),
            SignableBody::Bytes(request.body()),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        instructions.apply_to_request_http1x(&mut request);

        let headers = request.headers_mut();
        headers.insert(
            "amz-sdk-invocation-id",
            HeaderValue::from_static("8a9f6c3e-7c1b-4e0a-9d51-3a6b2f1e0c77"),
        );
        headers.insert(
            "amz-sdk-request",
            HeaderValue::from_static("attempt=1; max=3"),
        );
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:4567"));
        let (parts, body) = request.into_parts();
        Received {
            method: parts.method,
            uri: Uri::from_static("/"),
            headers: parts.headers,
            body,
        }
    }

    fn put_record() -> Received {
        sdk_request(
            Credentials::new(KEY_ID, SECRET, None, None, "test"),
            "us-east-1",
            "kinesis",
            "Kinesis_20131202.PutRecord",
            br#"{"StreamName":"bench","Data":"aGVsbG8=","PartitionKey":"pk-1"}"#,
            at(WHEN),
        )
    }

    #[test]
    fn accepts_an_sdk_signed_kinesis_request() {
        let req = put_record();
        assert!(
            req.authorization()
                .contains(&format!("SignedHeaders={SDK_SIGNED},")),
            "{}",
            req.authorization()
        );
        assert_eq!(
            req.verify(),
            Ok(Credential {
                access_key_id: KEY_ID.to_string(),
                date: "20240229".to_string(),
                region: "us-east-1".to_string(),
                service: "kinesis".to_string(),
            })
        );
        assert_eq!(parse_credential(&req.headers), req.verify());
        assert_eq!(signed_time(&req.headers), Ok(at(WHEN)));
    }

    #[test]
    fn accepts_an_sdk_signed_kms_request_with_a_session_token() {
        let req = sdk_request(
            Credentials::new(KEY_ID, SECRET, Some("session-token".into()), None, "test"),
            "eu-west-1",
            "kms",
            "TrentService.GenerateDataKey",
            br#"{"KeyId":"alias/bench","KeySpec":"AES_256"}"#,
            at(WHEN + 86_399),
        );
        assert!(req
            .authorization()
            .contains("x-amz-date;x-amz-security-token;x-amz-target"));
        let credential = req.verify().expect("verifies");
        assert_eq!(credential.service, "kms");
        assert_eq!(credential.region, "eu-west-1");
    }

    #[test]
    fn accepts_an_absolute_uri_and_an_empty_body() {
        let mut req = sdk_request(
            Credentials::new(KEY_ID, SECRET, None, None, "test"),
            "us-east-1",
            "kinesis",
            "Kinesis_20131202.ListStreams",
            b"",
            at(WHEN),
        );
        req.uri = Uri::from_static("http://127.0.0.1:4567/");
        assert!(req.verify().is_ok());
    }

    #[test]
    fn headers_added_after_signing_may_change() {
        let mut req = put_record();
        req.set("amz-sdk-request", "attempt=2; max=3");
        req.set("user-agent", "something else");
        req.set(
            "x-amzn-trace-id",
            "Root=1-00000000-000000000000000000000000",
        );
        assert!(req.verify().is_ok());
    }

    #[test]
    fn rejects_a_tampered_body() {
        let mut req = put_record();
        req.body = br#"{"StreamName":"bench","Data":"aGVsbG9=","PartitionKey":"pk-1"}"#.to_vec();
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
    }

    #[test]
    fn rejects_a_tampered_signed_header() {
        for (name, value) in [
            ("x-amz-target", "Kinesis_20131202.DeleteStream"),
            ("content-type", "application/json"),
            ("host", "127.0.0.1:4568"),
            ("x-amz-user-agent", "curl"),
        ] {
            let mut req = put_record();
            req.set(name, value);
            assert_eq!(req.verify(), Err(AuthError::BadSignature), "{name}");
        }
        // A signed header removed altogether.
        let mut req = put_record();
        req.headers.remove("x-amz-target");
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
        // Another method or path.
        let mut req = put_record();
        req.method = Method::PUT;
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
        let mut req = put_record();
        req.uri = Uri::from_static("/other");
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
    }

    #[test]
    fn rejects_a_changed_time() {
        let mut req = put_record();
        req.set(X_AMZ_DATE, "20240229T123457Z");
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
        // A day that disagrees with the credential scope.
        let mut req = put_record();
        req.set(X_AMZ_DATE, "20240301T123456Z");
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
    }

    #[test]
    fn rejects_a_wrong_secret() {
        let req = sdk_request(
            Credentials::new(KEY_ID, "not-the-secret", None, None, "test"),
            "us-east-1",
            "kinesis",
            "Kinesis_20131202.PutRecord",
            b"{}",
            at(WHEN),
        );
        assert_eq!(req.verify(), Err(AuthError::BadSignature));
    }

    #[test]
    fn rejects_an_unknown_access_key() {
        let req = sdk_request(
            Credentials::new("stranger", "stranger-secret", None, None, "test"),
            "us-east-1",
            "kinesis",
            "Kinesis_20131202.PutRecord",
            b"{}",
            at(WHEN),
        );
        let err = req.verify().expect_err("unknown key");
        assert_eq!(err, AuthError::UnknownAccessKey("stranger".to_string()));
        assert_eq!(err.code(), "UnrecognizedClientException");
        // Parsing alone still names the key, so the caller can log who tried.
        assert_eq!(
            parse_credential(&req.headers).map(|c| c.access_key_id),
            Ok("stranger".to_string())
        );
    }

    #[test]
    fn rejects_a_missing_authorization_header() {
        let mut req = put_record();
        req.headers.remove(AUTHORIZATION);
        assert_eq!(req.verify(), Err(AuthError::Missing));
        assert_eq!(parse_credential(&req.headers), Err(AuthError::Missing));
        req.set("authorization", "   ");
        assert_eq!(req.verify(), Err(AuthError::Missing));
    }

    #[test]
    fn rejects_garbage_authorization_as_malformed() {
        let good = put_record().authorization();
        let sig = good
            .rsplit("Signature=")
            .next()
            .expect("signature")
            .to_string();
        let scope = "producer/20240229/us-east-1/kinesis/aws4_request";
        let garbage = [
            "garbage".to_string(),
            "Bearer abc".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
            "AWS4-ECDSA-P256-SHA256 Credential=x".to_string(),
            good.replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}"),
            format!("AWS4-HMAC-SHA256 SignedHeaders={SDK_SIGNED}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential=producer/20240229/us-east-1/kinesis, SignedHeaders={SDK_SIGNED}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential=producer/2024022/us-east-1/kinesis/aws4_request, SignedHeaders={SDK_SIGNED}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential=/20240229/us-east-1/kinesis/aws4_request, SignedHeaders={SDK_SIGNED}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}/extra, SignedHeaders={SDK_SIGNED}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=content-type;x-amz-date, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=content-type;host, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=x-amz-date;host, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=Host;x-amz-date, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;;x-amz-date, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}, Signature=abc"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}, Signature={}", sig.to_uppercase()),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}, Signature={sig}, Signature={sig}"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}, Signature={sig}, Extra=1"),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={SDK_SIGNED}, Signature"),
        ];
        for value in garbage {
            let mut req = put_record();
            req.set("authorization", &value);
            let err = req.verify().expect_err(&value);
            assert!(matches!(err, AuthError::Malformed(_)), "{value}: {err:?}");
            assert_eq!(err.code(), "IncompleteSignatureException");
            assert!(
                matches!(parse_credential(&req.headers), Err(AuthError::Malformed(_))),
                "{value}"
            );
        }
        // Two Authorization headers.
        let mut req = put_record();
        req.headers
            .append(AUTHORIZATION, HeaderValue::from_str(&good).expect("header"));
        assert!(matches!(req.verify(), Err(AuthError::Malformed(_))));
        // Not visible ASCII.
        let mut req = put_record();
        req.headers.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 Credential=\xff").expect("obs-text"),
        );
        assert!(matches!(req.verify(), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn rejects_a_missing_or_malformed_date_as_malformed() {
        let mut req = put_record();
        req.headers.remove(X_AMZ_DATE);
        assert!(matches!(req.verify(), Err(AuthError::Malformed(_))));
        for bad in [
            "",
            "2024-02-29T12:34:56Z",
            "20240229T123456",
            "20240230T123456Z",
            "20230229T123456Z",
            "20241301T123456Z",
            "20240229T243456Z",
            "20240229T126056Z",
            "20240229T123460Z",
            "19691231T235959Z",
            "2024022XT123456Z",
            "+0240229T123456Z",
        ] {
            let mut req = put_record();
            req.set(X_AMZ_DATE, bad);
            assert!(
                matches!(req.verify(), Err(AuthError::Malformed(_))),
                "{bad:?}"
            );
        }
        let mut req = put_record();
        req.headers
            .append(X_AMZ_DATE, HeaderValue::from_static(WHEN_TEXT));
        assert!(matches!(req.verify(), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn malformed_is_reported_before_an_unknown_key() {
        let mut req = sdk_request(
            Credentials::new("stranger", "s", None, None, "test"),
            "us-east-1",
            "kinesis",
            "Kinesis_20131202.PutRecord",
            b"{}",
            at(WHEN),
        );
        req.headers.remove(X_AMZ_DATE);
        assert!(matches!(req.verify(), Err(AuthError::Malformed(_))));
    }

    /// AWS's SigV4 test suite, `get-vanilla` and `post-vanilla`: signatures computed
    /// independently of `aws-sigv4`.
    #[test]
    fn accepts_the_aws_test_suite_vanilla_requests() {
        for (method, signature) in [
            (
                Method::GET,
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                Method::POST,
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(HOST, HeaderValue::from_static("example.amazonaws.com"));
            headers.insert(X_AMZ_DATE, HeaderValue::from_static("20150830T123600Z"));
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={signature}"
            );
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&authorization).expect("header"),
            );
            let uri = Uri::from_static("/");
            let credential = verify(&method, &uri, &headers, b"", secrets).expect("vanilla");
            assert_eq!(credential.service, "service");
            assert_eq!(
                verify(&method, &uri, &headers, b"x", secrets),
                Err(AuthError::BadSignature)
            );
        }
    }

    #[test]
    fn codes_and_statuses_follow_aws() {
        let all = [
            (AuthError::Missing, "MissingAuthenticationTokenException"),
            (malformed("x"), "IncompleteSignatureException"),
            (
                AuthError::UnknownAccessKey("k".into()),
                "UnrecognizedClientException",
            ),
            (AuthError::BadSignature, "InvalidSignatureException"),
        ];
        for (err, code) in all {
            assert_eq!(err.code(), code);
            assert_eq!(err.status(), 400);
            assert!(!err.to_string().is_empty());
        }
        let _: &dyn std::error::Error = &AuthError::BadSignature;
    }

    #[test]
    fn dates_parse_like_the_signer_formats_them() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_amz_date(WHEN_TEXT), Some(at(WHEN)));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(at(1_440_938_160)));
        assert_eq!(parse_amz_date("20000301T000000Z"), Some(at(951_868_800)));
        assert!(parse_amz_date("99991231T235959Z").is_some());
        assert!(parse_amz_date("21000229T000000Z").is_none());
    }

    /// A header value from arbitrary bytes, when the http crate accepts them at all.
    fn value(bytes: &[u8]) -> Option<HeaderValue> {
        HeaderValue::from_bytes(bytes).ok()
    }

    proptest! {
        #[test]
        fn arbitrary_header_bytes_never_panic(
            which in 0usize..8,
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            extra in proptest::collection::vec(("[a-z-]{1,12}", proptest::collection::vec(any::<u8>(), 0..40)), 0..4),
        ) {
            let mut req = put_record();
            let name = [
                "authorization", "x-amz-date", "host", "content-type",
                "x-amz-target", "content-length", "x-amz-user-agent", "x-amz-security-token",
            ][which];
            if let Some(v) = value(&bytes) {
                req.headers.insert(HeaderName::from_static(name), v);
            }
            for (n, b) in &extra {
                if let (Ok(n), Some(v)) = (HeaderName::from_bytes(n.as_bytes()), value(b)) {
                    req.headers.append(n, v);
                }
            }
            let _ = req.verify();
            let _ = parse_credential(&req.headers);
            let _ = signed_time(&req.headers);
        }

        #[test]
        fn arbitrary_authorization_fields_never_panic(
            credential in "[ -~]{0,60}",
            signed in "[ -~]{0,60}",
            signature in "[0-9a-f]{64}|[ -~]{0,70}",
            host in proptest::collection::vec(any::<u8>(), 0..40),
            path in "/[ -~]{0,30}",
        ) {
            let mut req = put_record();
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}"
            );
            if let Some(v) = value(authorization.as_bytes()) {
                req.headers.insert(AUTHORIZATION, v);
            }
            if let Some(v) = value(&host) {
                req.headers.insert(HOST, v);
            }
            if let Ok(uri) = path.parse::<Uri>() {
                req.uri = uri;
            }
            let _ = req.verify();
        }

        #[test]
        fn a_valid_scope_with_arbitrary_headers_never_panics(
            signed in proptest::collection::btree_set("[a-z0-9!#$%&'*+.^_`|~-]{1,10}", 0..5),
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 0..5),
        ) {
            let mut req = put_record();
            let mut names: std::collections::BTreeSet<String> = signed;
            names.insert("host".to_string());
            names.insert(X_AMZ_DATE.to_string());
            let list: Vec<&str> = names.iter().map(String::as_str).collect();
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential=producer/20240229/us-east-1/kinesis/aws4_request, SignedHeaders={}, Signature={}",
                list.join(";"),
                "0".repeat(64)
            );
            if let Some(v) = value(authorization.as_bytes()) {
                req.headers.insert(AUTHORIZATION, v);
            }
            for (name, bytes) in names.iter().zip(&values) {
                if name == X_AMZ_DATE {
                    continue;
                }
                if let (Ok(n), Some(v)) = (HeaderName::from_bytes(name.as_bytes()), value(bytes)) {
                    req.headers.insert(n, v);
                }
            }
            prop_assert!(req.verify().is_err());
        }
    }
}
