//! Building the real SDK clients for one principal, against the embedded service or any
//! endpoint, with the SDK's own retries off (the harness owns retries) and the observing
//! transport in place.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;
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
    /// AWS itself (HTTPS, the region's standard endpoints), or `endpoint_url` when given, signed
    /// with what the AWS configuration resolves (`backend::aws`).
    Aws {
        /// An endpoint that replaces AWS's (LocalStack, moto, `serve`).
        endpoint_url: Option<String>,
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
            Target::Aws {
                endpoint_url: Some(url),
                region,
            } => format!("aws {region} via {url}"),
            Target::Aws { region, .. } => format!("aws {region}"),
        }
    }

    /// Whether this is the embedded service (whose world a run may change at will: it ends
    /// with the run).
    pub fn is_embedded(&self) -> bool {
        matches!(self, Target::Embedded(_))
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        match self {
            Target::Embedded(_) => EMBEDDED_REGION,
            Target::Endpoint { region, .. } | Target::Aws { region, .. } => region,
        }
    }

    /// The endpoint URL the clients use, if not AWS's own.
    pub fn endpoint_url(&self) -> Option<&str> {
        match self {
            Target::Embedded(_) => Some(EMBEDDED_ENDPOINT),
            Target::Endpoint { url, .. } => Some(url),
            Target::Aws { endpoint_url, .. } => endpoint_url.as_deref(),
        }
    }

    fn base_http(&self) -> SharedHttpClient {
        match self {
            Target::Embedded(service) => SharedHttpClient::new(InProcess::new(service.clone())),
            Target::Endpoint { .. } | Target::Aws { .. } => https_client(),
        }
    }
}

/// The HTTP client for a network target: the SDK's own, TLS through aws-lc.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

/// Kinesis, KMS and STS clients signed as one principal.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
    /// KMS.
    pub kms: aws_sdk_kms::Client,
    /// STS (who the principal is).
    pub sts: aws_sdk_sts::Client,
    /// IAM (a deny fault's inline policies).
    pub iam: aws_sdk_iam::Client,
    /// Firehose.
    pub firehose: aws_sdk_firehose::Client,
    /// S3 (a Firehose destination).
    pub s3: aws_sdk_s3::Client,
    /// CloudTrail (the KMS calls services made for the run, as AWS logged them).
    pub cloudtrail: aws_sdk_cloudtrail::Client,
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

/// Build the clients signing with `source`.
pub fn build(target: &Target, source: &CredentialSource, obs: Observation) -> Clients {
    let http = SharedHttpClient::new(Observed::new(target.base_http(), obs));
    let url = target.endpoint_url().map(str::to_owned);
    let region = target.region().to_owned();
    let creds = source.provider();
    // An in-process body is in memory and cannot stall: the SDK's stalled-stream checks (a
    // timer per body) are only work there.
    let stalled = if target.is_embedded() {
        StalledStreamProtectionConfig::disabled()
    } else {
        StalledStreamProtectionConfig::enabled().build()
    };
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(10))
        .build();
    // Every client alike: the region, the credentials, the observing transport, the SDK's
    // retries off, the timeouts; each then pointed at the endpoint, if any.
    macro_rules! config {
        ($sdk:ident) => {{
            let mut c = $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .stalled_stream_protection(stalled.clone())
                .region($sdk::config::Region::new(region.clone()))
                .credentials_provider(creds.clone())
                .http_client(http.clone())
                .retry_config(RetryConfig::disabled())
                .timeout_config(timeouts.clone());
            c.set_endpoint_url(url.clone());
            c
        }};
    }
    // Path-style off AWS (an endpoint's host is no bucket's); checksums only where an
    // operation requires them, so a PutObject's body goes whole, not aws-chunked.
    let s3 = config!(aws_sdk_s3)
        .force_path_style(url.is_some())
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    Clients {
        kinesis: aws_sdk_kinesis::Client::from_conf(config!(aws_sdk_kinesis).build()),
        kms: aws_sdk_kms::Client::from_conf(config!(aws_sdk_kms).build()),
        sts: aws_sdk_sts::Client::from_conf(config!(aws_sdk_sts).build()),
        iam: aws_sdk_iam::Client::from_conf(config!(aws_sdk_iam).build()),
        firehose: aws_sdk_firehose::Client::from_conf(config!(aws_sdk_firehose).build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        cloudtrail: aws_sdk_cloudtrail::Client::from_conf(config!(aws_sdk_cloudtrail).build()),
    }
}
