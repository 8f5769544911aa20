//! Building the real SDK clients for one principal, against the embedded service or any
//! endpoint, with the SDK's own retries off (the harness owns retries) and the observing
//! transport in place.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::credentials::CredentialSource;
use super::faults::TransportFaults;
use super::transport::{InProcess, Observed, TransportLog};
use crate::clock::SharedClock;
use crate::emulator::Service;

/// Region the embedded service and its ARNs use.
pub const EMBEDDED_REGION: &str = "us-east-1";
/// The endpoint name in-process requests are signed for (never resolved: no socket is opened).
pub const EMBEDDED_ENDPOINT: &str = "http://embedded.kinesis-crypto-bench.invalid";

/// Where the clients go.
#[derive(Debug, Clone)]
pub enum Target {
    /// The embedded service, in process.
    Embedded(Service),
    /// Any AWS-compatible endpoint (the harness's own `serve`, LocalStack, moto), with the
    /// harness's named principals as static credentials.
    Endpoint {
        /// Endpoint URL.
        url: String,
        /// Region.
        region: String,
    },
}

impl Target {
    /// A label for results: `embedded` or the URL.
    pub fn label(&self) -> String {
        match self {
            Target::Embedded(_) => "embedded".into(),
            Target::Endpoint { url, .. } => url.clone(),
        }
    }

    fn base_http(&self) -> SharedHttpClient {
        match self {
            Target::Embedded(service) => SharedHttpClient::new(InProcess::new(service.clone())),
            Target::Endpoint { .. } => aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .build_https(),
        }
    }

    fn url_and_region(&self) -> (String, String) {
        match self {
            Target::Embedded(_) => (EMBEDDED_ENDPOINT.into(), EMBEDDED_REGION.into()),
            Target::Endpoint { url, region } => (url.clone(), region.clone()),
        }
    }
}

/// Kinesis and KMS clients signed as one principal.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
    /// KMS.
    pub kms: aws_sdk_kms::Client,
}

/// What the observing transport of a set of clients records into and applies.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Who the clients act as (a role's name): the name the transport logs calls under and
    /// matches fault rules against.
    pub who: String,
    /// Where calls are logged.
    pub log: Arc<TransportLog>,
    /// Timestamps.
    pub clock: SharedClock,
    /// Fault rules in force.
    pub faults: Arc<TransportFaults>,
}

impl Observation {
    /// Observed by `log` with times from `clock`, no faults.
    pub fn plain(who: &str, log: Arc<TransportLog>, clock: SharedClock) -> Self {
        Self {
            who: who.to_owned(),
            log,
            clock,
            faults: TransportFaults::new(0, false, None),
        }
    }
}

/// Build both clients signing with `source`.
pub fn build(target: &Target, source: &CredentialSource, obs: Observation) -> Clients {
    let http = SharedHttpClient::new(Observed::new(target.base_http(), obs));
    let (url, region) = target.url_and_region();
    let creds = source.provider();
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(10))
        .build();
    let kinesis = aws_sdk_kinesis::Config::builder()
        .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
        .region(aws_sdk_kinesis::config::Region::new(region.clone()))
        .credentials_provider(creds.clone())
        .endpoint_url(url.clone())
        .http_client(http.clone())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts.clone())
        .build();
    let kms = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(region))
        .credentials_provider(creds)
        .endpoint_url(url)
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts)
        .build();
    Clients {
        kinesis: aws_sdk_kinesis::Client::from_conf(kinesis),
        kms: aws_sdk_kms::Client::from_conf(kms),
    }
}
