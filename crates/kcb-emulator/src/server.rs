//! The same service on a loopback port, so the AWS CLI, boto3 or any SDK can reach it with an
//! endpoint URL. Binds 127.0.0.1 unless told otherwise.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::wire::{ApiError, MAX_BODY_BYTES};
use super::Service;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address is not a loopback address and `allow_non_loopback` was not set.
    #[error("refusing to listen on {0}: only loopback addresses (127.0.0.0/8, ::1) are allowed")]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A running server: its address and its accept loop.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The accept loop (abort it to stop).
    pub task: JoinHandle<()>,
}

impl Running {
    /// The endpoint URL clients use.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Start serving `service` on `addr` (loopback only).
pub async fn start(service: Service, addr: SocketAddr) -> Result<Running, ServerError> {
    if !addr.ip().is_loopback() {
        return Err(ServerError::NotLoopback(addr));
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let svc = service.clone();
            tokio::spawn(async move {
                let handler = service_fn(move |req| {
                    let svc = svc.clone();
                    async move { Ok::<_, Infallible>(answer(&svc, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .await;
            });
        }
    });
    Ok(Running { addr, task })
}

async fn answer(svc: &Service, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = ApiError::validation(format!("request body exceeds {MAX_BODY_BYTES} bytes"))
                .with_status(413);
            let mut r = http::Response::new(Full::new(e.body()));
            *r.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        }
    };
    let (resp, delay) = svc.handle_timed(http::Request::from_parts(parts, body));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (parts, body) = resp.into_parts();
    http::Response::from_parts(parts, Full::new(body))
}
