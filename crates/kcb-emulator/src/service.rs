//! The service: one request in, one response out. Authentication, dispatch by `X-Amz-Target`,
//! AWS-shaped errors. Knows nothing of scenarios; the harness changes it through [`Control`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use super::control::Control;
use super::iam::Iam;
use super::kinesis::sse::SseKeys;
use super::kinesis::{ShardLimits, Stream, Streams};
use super::kms::Kms;
use super::overrides::Overrides;
use super::sigv4::{self, AuthError};
use super::sts::{self, Caller, Sessions};
use super::wire::{ApiError, MAX_BODY_BYTES};
use kcb_replay::clock::SharedClock;

/// Settings of one embedded service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Account id in ARNs.
    pub account_id: String,
    /// Region in ARNs.
    pub region: String,
    /// KMS requests per second shared by every operation (10,000 by default, as AWS's quota).
    pub kms_quota_per_sec: f64,
    /// How long Kinesis reuses an SSE data key per stream and caller (about 5 minutes on AWS).
    pub sse_reuse_period: Duration,
    /// The length of a "day" in KMS deletion waiting periods (24 h; shorter in tests).
    pub kms_day: Duration,
    /// How long a stream stays UPDATING after Start/StopStreamEncryption.
    pub encryption_update_delay: Duration,
    /// Check SigV4 signatures (the loopback server does; the in-process client may skip it).
    pub verify_signatures: bool,
    /// Per-shard limits of new streams.
    pub shard_limits: ShardLimits,
    /// How long after a KMS call CloudTrail's `LookupEvents` first returns it (AWS: minutes;
    /// here none unless set).
    pub cloudtrail_delay: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            kms_quota_per_sec: 10_000.0,
            sse_reuse_period: Duration::from_secs(300),
            kms_day: Duration::from_secs(86_400),
            encryption_update_delay: Duration::from_millis(500),
            verify_signatures: true,
            shard_limits: ShardLimits::default(),
            cloudtrail_delay: Duration::ZERO,
        }
    }
}

/// Shared state of the service.
pub struct Inner {
    account: String,
    region: String,
    pub(crate) config: RwLock<ServiceConfig>,
    clock: SharedClock,
    pub(crate) iam: RwLock<Iam>,
    pub(crate) kms: Mutex<Kms>,
    pub(crate) streams: Streams,
    pub(crate) sse: SseKeys,
    /// Firehose delivery streams.
    pub(crate) firehose: super::firehose::DeliveryStreams,
    /// S3 buckets (Firehose's destinations).
    pub(crate) s3: super::s3::Buckets,
    pub(crate) sse_reuse_by_stream: Mutex<std::collections::HashMap<String, Duration>>,
    /// KMS quotas lowered by the harness (the lowest, with the base, is in force).
    pub(crate) quota_overrides: Mutex<Overrides<f64>>,
    /// Per-stream shard limits lowered by the harness.
    pub(crate) shard_overrides: Mutex<std::collections::HashMap<String, Overrides<ShardLimits>>>,
    /// Latencies added to KMS operations by the harness (they add up).
    pub(crate) kms_delays: RwLock<Overrides<KmsDelay>>,
    /// The sessions STS AssumeRole handed out.
    pub(crate) sessions: Mutex<Sessions>,
    /// Requests received (any service, answered or refused).
    pub(crate) requests: std::sync::atomic::AtomicU64,
    /// Inline role policies IAM PutRolePolicy put.
    pub(crate) inline_policies: Mutex<super::iam_api::InlinePolicies>,
    /// CloudTrail's LookupEvents quota (2 requests a second per account and Region).
    pub(crate) cloudtrail_quota: Mutex<super::bucket::TokenBucket>,
}

/// Latency added to each KMS operation the service performs (direct or on a caller's behalf):
/// operation name and key id in, delay out.
pub type KmsDelay = Arc<dyn Fn(&str, &str) -> Duration + Send + Sync>;

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("account", &self.account)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// The clock the service reads.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The ARN a stream of this name has.
    pub fn stream_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:stream/{}",
            self.region, self.account, name
        )
    }

    /// What `principal`'s IAM policies decide for `action` on `resource`.
    pub fn decide(&self, principal: &str, action: &str, resource: &str) -> super::iam::Decision {
        self.iam.read().authorize(principal, action, resource)
    }

    /// Whether `principal` may do `action` on `resource`.
    pub fn allowed(&self, principal: &str, action: &str, resource: &str) -> bool {
        self.iam
            .read()
            .authorize(principal, action, resource)
            .allowed()
    }

    /// The SSE data-key reuse window of a stream (its own if set, else the service's).
    pub fn sse_reuse_period(&self, stream_arn: &str) -> Duration {
        match self.sse_reuse_by_stream.lock().get(stream_arn) {
            Some(d) => *d,
            None => self.config.read().sse_reuse_period,
        }
    }

    /// Length of a KMS "day".
    pub fn kms_day(&self) -> Duration {
        self.config.read().kms_day
    }

    /// How long a stream stays UPDATING.
    pub fn encryption_update_delay(&self) -> Duration {
        self.config.read().encryption_update_delay
    }

    /// Limits for new shards.
    pub fn shard_limits(&self) -> ShardLimits {
        self.config.read().shard_limits
    }

    /// Resolve the key StartStreamEncryption names, creating the AWS-managed key on first use;
    /// key problems are named as Kinesis names them.
    pub fn resolve_stream_key(&self, key_id: &str, now: Duration) -> Result<String, ApiError> {
        let mut kms = self.kms.lock();
        if key_id == "alias/aws/kinesis" {
            kms.store.aws_kinesis_key(now);
        }
        let id = kms.store.usable(key_id, now).map_err(|e| e.via_kinesis())?;
        Ok(kms
            .store
            .key(&id)
            .map(|k| k.arn.clone())
            .unwrap_or_default())
    }
}

/// One request's context: who is calling, and when.
pub struct Ctx<'a> {
    /// The service.
    pub svc: &'a Inner,
    /// The calling principal's name.
    pub principal: &'a str,
    /// Time of the request on the service's clock.
    pub now: Duration,
}

impl Ctx<'_> {
    /// Whether the caller may do `action` on `resource`.
    pub fn allowed(&self, action: &str, resource: &str) -> bool {
        self.svc.allowed(self.principal, action, resource)
    }

    /// A permission check closure for KMS: what the caller's IAM policies decide.
    pub fn authorizer(&self) -> impl Fn(&str, &str) -> super::iam::Decision + '_ {
        move |action: &str, resource: &str| self.svc.decide(self.principal, action, resource)
    }

    /// Kinesis's `AccessDeniedException` unless allowed.
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), ApiError> {
        let decision = self
            .svc
            .iam
            .read()
            .authorize(self.principal, action, resource);
        let why = match decision {
            super::iam::Decision::Allow => return Ok(()),
            super::iam::Decision::ExplicitDeny => {
                "with an explicit deny in an identity-based policy".to_owned()
            }
            super::iam::Decision::ImplicitDeny => {
                format!("because no identity-based policy allows the {action} action")
            }
        };
        Err(ApiError::new(
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:user/{} is not authorized to perform: {action} on resource: {resource} {why}",
                self.svc.account, self.principal
            ),
        ))
    }

    /// Find a stream by name or ARN, and check `kinesis:<op>` on it.
    pub fn stream(
        &self,
        name: Option<&str>,
        arn: Option<&str>,
        op: &str,
    ) -> Result<Arc<Mutex<Stream>>, ApiError> {
        let name = match (name, arn) {
            (Some(n), _) => n.to_string(),
            (None, Some(a)) => a
                .rsplit_once(":stream/")
                .map(|(_, n)| n.to_string())
                .ok_or_else(|| {
                    ApiError::new(
                        "InvalidArgumentException",
                        format!("StreamARN {a} is not a stream ARN"),
                    )
                })?,
            (None, None) => {
                return Err(ApiError::new(
                    "InvalidArgumentException",
                    "StreamName or StreamARN is required",
                ))
            }
        };
        self.authorize(&format!("kinesis:{op}"), &self.svc.stream_arn(&name))?;
        self.svc.streams.get(&name).ok_or_else(|| {
            ApiError::new(
                "ResourceNotFoundException",
                format!(
                    "Stream {name} under account {} not found.",
                    self.svc.account
                ),
            )
        })
    }
}

/// The embedded Kinesis + KMS service. Cheap to clone; every clone is the same service.
#[derive(Debug, Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

/// A service answer: status, headers and body, as they go on the wire.
pub type ServiceResponse = http::Response<Bytes>;

fn respond(result: Result<serde_json::Value, ApiError>) -> ServiceResponse {
    let (status, body, error) = match result {
        Ok(v) => (200, Bytes::from(v.to_string()), None),
        Err(e) => (e.status, e.body(), Some(e.code)),
    };
    let mut b = http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id());
    if let Some(code) = error {
        b = b.header("x-amzn-errortype", code);
    }
    b.body(body)
        .unwrap_or_else(|_| http::Response::new(Bytes::new()))
}

fn request_id() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    hex::encode(b)
}

fn auth_error(e: AuthError) -> ApiError {
    ApiError::new(e.code(), e.to_string()).with_status(e.status())
}

impl Service {
    /// A service with the given settings and clock, with the default principals.
    pub fn new(config: ServiceConfig, clock: SharedClock) -> Self {
        let kms = Kms::new(&config.account_id, &config.region, config.kms_quota_per_sec);
        let iam = Iam::with_defaults(&config.account_id);
        Self {
            inner: Arc::new(Inner {
                account: config.account_id.clone(),
                region: config.region.clone(),
                config: RwLock::new(config),
                clock,
                iam: RwLock::new(iam),
                kms: Mutex::new(kms),
                streams: Streams::default(),
                sse: SseKeys::default(),
                firehose: Default::default(),
                s3: Default::default(),
                sse_reuse_by_stream: Mutex::new(Default::default()),
                quota_overrides: Mutex::new(Overrides::default()),
                shard_overrides: Mutex::new(Default::default()),
                kms_delays: RwLock::new(Overrides::default()),
                sessions: Mutex::new(Sessions::default()),
                requests: std::sync::atomic::AtomicU64::new(0),
                inline_policies: Mutex::new(Default::default()),
                cloudtrail_quota: Mutex::new(super::bucket::TokenBucket::per_second(
                    super::cloudtrail::LOOKUPS_PER_SEC,
                )),
            }),
        }
    }

    /// The clock the service reads.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The harness's control interface (not an AWS API).
    pub fn control(&self) -> Control<'_> {
        Control::new(&self.inner)
    }

    /// Handle one HTTP request.
    pub fn handle(&self, request: http::Request<Bytes>) -> ServiceResponse {
        self.handle_timed(request).0
    }

    /// Handle one HTTP request; also returns the latency injected into the KMS operations it
    /// made, which the caller (the in-process connector, the loopback server) waits before
    /// answering.
    pub fn handle_timed(&self, request: http::Request<Bytes>) -> (ServiceResponse, Duration) {
        self.inner
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (parts, body) = request.into_parts();
        if sts::is_query(&parts) {
            return (self.handle_sts(&parts, &body), Duration::ZERO);
        }
        // S3 (REST, no X-Amz-Target) by the service its signature is scoped to.
        let s3 = !parts.headers.contains_key("x-amz-target")
            && parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("/s3/aws4_request"));
        let request = http::Request::from_parts(parts, body);
        super::kms::begin_request();
        let response = if s3 {
            self.handle_s3(request)
        } else {
            respond(self.handle_inner(request))
        };
        let ops = super::kms::request_ops();
        let delays = self.inner.kms_delays.read();
        let delay = if ops.is_empty() || delays.is_empty() {
            Duration::ZERO
        } else {
            delays
                .values()
                .flat_map(|f| ops.iter().map(move |(op, key)| f(op, key)))
                .sum()
        };
        (response, delay)
    }

    fn handle_inner(&self, request: http::Request<Bytes>) -> Result<serde_json::Value, ApiError> {
        let (parts, body) = request.into_parts();
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::validation(format!(
                "request body of {} bytes exceeds {MAX_BODY_BYTES}",
                body.len()
            ))
            .with_status(413));
        }
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::new("UnknownOperationException", "missing X-Amz-Target"))?;
        let (service, op) = target.split_once('.').ok_or_else(|| {
            ApiError::new(
                "UnknownOperationException",
                format!("unknown target {target}"),
            )
        })?;
        let caller = self.authenticate(&parts, &body).map_err(auth_error)?;
        super::kms::request_caller(&caller.principal, &caller.arn);
        let ctx = Ctx {
            svc: &self.inner,
            principal: &caller.principal,
            now: self.inner.clock.now(),
        };
        match service {
            "Kinesis_20131202" => super::kinesis::ops::handle(op, &body, &ctx),
            "TrentService" => super::kms::ops::handle(op, &body, &ctx),
            "Firehose_20150804" => super::firehose::ops::handle(op, &body, &ctx),
            "CloudTrail_20131101" => super::cloudtrail::handle(op, &body, &ctx),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("unknown target {target}"),
            )),
        }
    }

    /// An S3 request (REST-XML, no `X-Amz-Target`, signed for `s3`): authenticated like the
    /// others.
    fn handle_s3(&self, request: http::Request<Bytes>) -> ServiceResponse {
        let (parts, body) = request.into_parts();
        let id = request_id();
        let caller = if body.len() > MAX_BODY_BYTES {
            Err(ApiError::new("EntityTooLarge", "request body too large").with_status(413))
        } else {
            self.authenticate(&parts, &body).map_err(|e| {
                let code = match e {
                    AuthError::Missing => "AccessDenied",
                    AuthError::Malformed(_) => "AuthorizationHeaderMalformed",
                    AuthError::UnknownAccessKey(_) => "InvalidAccessKeyId",
                    AuthError::BadSignature => "SignatureDoesNotMatch",
                    AuthError::BadSessionToken => "InvalidToken",
                    AuthError::ExpiredToken => "ExpiredToken",
                };
                ApiError::new(code, e.to_string()).with_status(403)
            })
        };
        let req = super::s3::ops::Request {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            body,
        };
        match caller {
            Ok(caller) => {
                super::kms::request_caller(&caller.principal, &caller.arn);
                super::s3::ops::handle(
                    &self.inner,
                    &caller.principal,
                    req,
                    self.inner.clock.now(),
                    &id,
                )
            }
            Err(e) => http::Response::builder()
                .status(e.status)
                .header("content-type", "application/xml")
                .header("x-amz-request-id", id.as_str())
                .body(Bytes::from(super::s3::xml::error(
                    &e,
                    parts.uri.path(),
                    &id,
                )))
                .unwrap_or_else(|_| http::Response::new(Bytes::new())),
        }
    }

    /// An STS or IAM request (query protocol): authenticated like the others, answered in XML.
    fn handle_sts(&self, parts: &http::request::Parts, body: &[u8]) -> ServiceResponse {
        let answer = if body.len() > MAX_BODY_BYTES {
            Err(ApiError::new("ValidationError", "request body too large").with_status(413))
        } else {
            self.authenticate(parts, body)
                .map_err(|e| {
                    let code = match e {
                        AuthError::Missing => "MissingAuthenticationToken",
                        AuthError::Malformed(_) => "IncompleteSignature",
                        AuthError::UnknownAccessKey(_) => "InvalidClientTokenId",
                        AuthError::BadSignature => "SignatureDoesNotMatch",
                        AuthError::BadSessionToken => "InvalidClientTokenId",
                        AuthError::ExpiredToken => "ExpiredToken",
                    };
                    ApiError::new(code, e.to_string()).with_status(403)
                })
                .and_then(|caller| {
                    let form = sts::parse_form(body);
                    let action = form.get("Action").map(String::as_str).unwrap_or_default();
                    if super::iam_api::serves(action) {
                        return super::iam_api::handle(
                            &form,
                            &caller.principal,
                            &self.inner.account,
                            &mut self.inner.iam.write(),
                            &mut self.inner.inline_policies.lock(),
                        );
                    }
                    let iam = self.inner.iam.read();
                    let known = |name: &str| iam.principal(name).is_some();
                    sts::handle(
                        &form,
                        &caller,
                        &self.inner.account,
                        known,
                        &mut self.inner.sessions.lock(),
                    )
                })
        };
        let (status, body) = match answer {
            Ok(xml) => (200, xml),
            Err(e) => (e.status, sts::error_body(&e)),
        };
        http::Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .header("x-amzn-requestid", request_id())
            .body(Bytes::from(body))
            .unwrap_or_else(|_| http::Response::new(Bytes::new()))
    }

    /// Who signed the request: a principal by its access key, or an STS session (whose token
    /// must come with it, unexpired).
    fn authenticate(&self, parts: &http::request::Parts, body: &[u8]) -> Result<Caller, AuthError> {
        let verify = self.inner.config.read().verify_signatures;
        let iam = self.inner.iam.read();
        let sessions = self.inner.sessions.lock();
        let credential = if verify {
            sigv4::verify(&parts.method, &parts.uri, &parts.headers, body, |akid| {
                iam.principal_by_access_key(akid)
                    .map(|p| p.secret_access_key.clone())
                    .or_else(|| sessions.get(akid).map(|s| s.secret.clone()))
            })
        } else {
            sigv4::parse_credential(&parts.headers)
        }?;
        let akid = credential.access_key_id;
        if let Some(p) = iam.principal_by_access_key(&akid) {
            return Ok(Caller {
                principal: p.name.clone(),
                arn: p.arn.clone(),
            });
        }
        let session = sessions
            .get(&akid)
            .ok_or_else(|| AuthError::UnknownAccessKey(akid.clone()))?;
        let token = parts
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok());
        if token != Some(session.token.as_str()) {
            return Err(AuthError::BadSessionToken);
        }
        if std::time::SystemTime::now() > session.expires {
            return Err(AuthError::ExpiredToken);
        }
        Ok(Caller {
            principal: session.principal.clone(),
            arn: session.arn.clone(),
        })
    }
}
