//! The transport layer: the in-process connector that hands each request to the embedded
//! service without a socket, and the observing wrapper around any connector that counts KMS
//! calls and request bytes per operation. Cross-cutting work lives here, never at call sites.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use parking_lot::Mutex;

use super::clients::Observation;
use super::faults::status_of;
use crate::emulator::Service;
use crate::metrics::IntervalSeries;

/// Hands requests to an embedded [`Service`] in process.
#[derive(Debug, Clone)]
pub struct InProcess {
    service: Service,
}

impl InProcess {
    /// A connector for `service`.
    pub fn new(service: Service) -> Self {
        Self { service }
    }
}

fn to_http(request: &HttpRequest) -> Result<http::Request<Bytes>, String> {
    let mut b = http::Request::builder()
        .method(request.method())
        .uri(request.uri());
    for (name, value) in request.headers() {
        b = b.header(name, value);
    }
    let body = request
        .body()
        .bytes()
        .map(Bytes::copy_from_slice)
        .unwrap_or_default();
    b.body(body).map_err(|e| e.to_string())
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let service = self.service.clone();
        HttpConnectorFuture::new(async move {
            let req = to_http(&request).map_err(|e| {
                aws_smithy_runtime_api::client::result::ConnectorError::other(e.into(), None)
            })?;
            let (resp, delay) = service.handle_timed(req);
            let (parts, body) = resp.into_parts();
            let resp = http::Response::from_parts(parts, SdkBody::from(body));
            let mut resp = HttpResponse::try_from(resp).map_err(|e| {
                aws_smithy_runtime_api::client::result::ConnectorError::other(e.into(), None)
            })?;
            // The service's own added latency (injected KMS slowness) is waited by the
            // observing wrapper, which waits precisely.
            resp.add_extension(ServiceDelay(delay));
            Ok(resp)
        })
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// Latency the embedded service charged to a request (waited by [`Observed`]).
#[derive(Debug, Clone, Copy)]
struct ServiceDelay(Duration);

/// One KMS request seen at the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedKmsCall {
    /// Operation, e.g. `GenerateDataKey`.
    pub op: String,
    /// Who made it (the role the clients act as).
    pub principal: String,
    /// When the response came back, on the harness clock.
    pub at: Duration,
    /// HTTP 200.
    pub ok: bool,
}

/// What the transport saw, shared by the clients of one path.
#[derive(Debug, Default)]
pub struct TransportLog {
    kms: Mutex<Vec<ObservedKmsCall>>,
    request_bytes: Mutex<BTreeMap<String, (u64, u64)>>,
    timing: Mutex<Option<CallTiming>>,
    /// What the answers' `Date` headers say of the endpoint's clock against this machine's
    /// (for a worker's clock offset from the endpoint).
    date: Mutex<Option<OffsetBound>>,
    /// Whether answers' `Date` headers are kept (off on the load's clients: nothing is added
    /// to the calls the run times).
    watch_date: std::sync::atomic::AtomicBool,
}

pub use super::clock_offset::{DateSample, OffsetBound};

/// Which operations' successful attempts are timed, and from when.
#[derive(Debug)]
struct CallTiming {
    /// The start of the load, on the harness clock (intervals count from it).
    origin: Duration,
    /// Attempts that end before this (the warm-up) are not timed.
    measure_from: Duration,
    /// Each timed operation's attempt durations, whole and per interval.
    series: BTreeMap<String, Arc<IntervalSeries>>,
}

impl TransportLog {
    /// A fresh log.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Keep answers' `Date` headers from now on (see [`TransportLog::date`]).
    pub fn watch_date(&self) {
        self.watch_date
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The endpoint's clock offset as every answer's `Date` header bounds it (None: no answer
    /// carried one, or [`TransportLog::watch_date`] was not called).
    pub fn date(&self) -> Option<OffsetBound> {
        *self.date.lock()
    }

    /// Every KMS request seen.
    pub fn kms_calls(&self) -> Vec<ObservedKmsCall> {
        self.kms.lock().clone()
    }

    /// Requests and body bytes sent, by operation.
    pub fn request_bytes(&self) -> BTreeMap<String, (u64, u64)> {
        self.request_bytes.lock().clone()
    }

    /// Forget everything (after warm-up).
    pub fn reset(&self) {
        self.kms.lock().clear();
        self.request_bytes.lock().clear();
    }

    /// Time every successful attempt of `ops` that ends after `origin + warmup` (harness
    /// clock), in intervals of `interval` from `origin`: what one call costs, at the transport
    /// (injected delays included), apart from any intended send time.
    pub fn time_calls(&self, ops: &[&str], origin: Duration, warmup: Duration, interval: Duration) {
        *self.timing.lock() = Some(CallTiming {
            origin,
            measure_from: origin + warmup,
            series: ops
                .iter()
                .map(|op| ((*op).to_owned(), Arc::new(IntervalSeries::new(interval))))
                .collect(),
        });
    }

    /// The timed attempts of `op`, if it is timed.
    pub fn call_latency(&self, op: &str) -> Option<Arc<IntervalSeries>> {
        self.timing.lock().as_ref()?.series.get(op).cloned()
    }

    fn timed(&self, op: &str, ended: Duration, took: Duration) {
        let timing = self.timing.lock();
        let Some(t) = timing.as_ref() else { return };
        if ended < t.measure_from {
            return;
        }
        if let Some(s) = t.series.get(op) {
            s.record(ended.saturating_sub(t.origin), took);
        }
    }
}

/// Wraps any HTTP client; observes every attempt and applies the transport fault rules.
#[derive(Debug, Clone)]
pub struct Observed {
    inner: SharedHttpClient,
    obs: Observation,
}

impl Observed {
    /// Observe `inner` as `obs` says: log into its log, with times from its clock, apply its
    /// fault rules to the calls of `obs.who`.
    pub fn new(inner: SharedHttpClient, obs: Observation) -> Self {
        Self { inner, obs }
    }
}

#[derive(Debug)]
struct ObservedConnector {
    inner: SharedHttpConnector,
    obs: Observation,
}

/// AWS's error answer, as the service would send it.
fn error_response(code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "__type": code, "message": message }).to_string();
    let mut resp = HttpResponse::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(status_of(code)).unwrap_or_else(|_| {
            aws_smithy_runtime_api::http::StatusCode::try_from(400).expect("400 is a status")
        }),
        SdkBody::from(body),
    );
    resp.headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    resp.headers_mut()
        .insert("x-amzn-errortype", code.to_string());
    resp
}

impl HttpConnector for ObservedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request
            .headers()
            .get("x-amz-target")
            .unwrap_or("")
            .to_string();
        let principal = self.obs.who.clone();
        let body_len = request.body().content_length().unwrap_or(0);
        let (service, op) = target
            .split_once('.')
            .map(|(s, o)| (s.to_string(), o.to_string()))
            .unwrap_or_default();
        {
            let mut bytes = self.obs.log.request_bytes.lock();
            let e = bytes.entry(op.clone()).or_default();
            e.0 += 1;
            e.1 += body_len;
        }
        let decision = self.obs.faults.decide(&service, &op, &principal);
        let inner = self.inner.clone();
        let faults = self.obs.faults.clone();
        let log = self.obs.log.clone();
        let clock = self.obs.clock.clone();
        HttpConnectorFuture::new(async move {
            let began = std::time::Instant::now();
            faults.wait(decision.delay).await;
            let sent = std::time::SystemTime::now();
            let result = match decision.error {
                Some((code, message)) => Ok(error_response(&code, &message)),
                None => {
                    let r = inner.call(request).await;
                    let watched = log.watch_date.load(std::sync::atomic::Ordering::Relaxed);
                    let server = r
                        .as_ref()
                        .ok()
                        .filter(|_| watched)
                        .and_then(|r| r.headers().get("date"))
                        .and_then(|d| httpdate::parse_http_date(d).ok());
                    if let Some(server) = server {
                        let sample = DateSample {
                            sent,
                            received: std::time::SystemTime::now(),
                            server,
                        };
                        let mut bound = log.date.lock();
                        *bound = Some(match *bound {
                            Some(b) => b.narrow(&sample),
                            None => OffsetBound::of(&sample),
                        });
                    }
                    r
                }
            };
            if let Some(ServiceDelay(d)) = result
                .as_ref()
                .ok()
                .and_then(|r| r.extension::<ServiceDelay>())
                .copied()
            {
                faults.wait(d).await;
            }
            if matches!(&result, Ok(r) if r.status().is_success()) {
                log.timed(&op, clock.now(), began.elapsed());
            }
            if service == "TrentService" {
                let ok = matches!(&result, Ok(r) if r.status().is_success());
                log.kms.lock().push(ObservedKmsCall {
                    op,
                    principal: principal.clone(),
                    at: clock.now(),
                    ok,
                });
            }
            result
        })
    }
}

impl HttpClient for Observed {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ObservedConnector {
            inner: self.inner.http_connector(settings, components),
            obs: self.obs.clone(),
        })
    }
}
