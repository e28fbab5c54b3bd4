//! The health and metrics endpoint (`metrics_addr`): `GET /healthz` → 200 `ok`, or 503 with a
//! one-line reason; `GET /metrics` → Prometheus text. A minimal HTTP/1.1 server (hyper).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::health::Health;
use super::metrics::Metrics;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::{Store, maintenance};

/// What the endpoint reads.
#[derive(Clone)]
pub struct Observed {
    pub store: Store,
    pub health: Arc<Health>,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
}

/// Binds `addr` now, so a taken port fails the start with a clear message.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        Error::user(format!(
            "cannot listen on metrics_addr `{addr}`: {e} — pick a free port or leave metrics_addr empty."
        ))
    })
}

/// Serves /healthz and /metrics on `listener` until `shutdown` turns true.
pub async fn serve(listener: TcpListener, observed: Observed, shutdown: watch::Receiver<bool>) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving /healthz and /metrics");
    }
    accept(listener, shutdown, "metrics endpoint", move |req| {
        let observed = observed.clone();
        async move { answer(&observed, &req).await }
    })
    .await
}

/// Accepts HTTP/1.1 connections on `listener` until `shutdown` turns true, answering each request
/// with `handle` (`what` names the server in the debug log).
pub async fn accept<H, F>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    what: &'static str,
    handle: H,
) where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "{what}: accept failed");
                    continue;
                }
            },
            r = shutdown.changed() => if r.is_err() || *shutdown.borrow() { return } else { continue },
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let answer = handle(req);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "{what}: connection ended");
            }
        });
    }
}

async fn answer(o: &Observed, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    match req.uri().path() {
        "/healthz" => match healthz(o).await {
            None => text(StatusCode::OK, "ok\n"),
            Some(reason) => text(StatusCode::SERVICE_UNAVAILABLE, &format!("{reason}\n")),
        },
        "/metrics" => match o
            .metrics
            .render(&o.store, &o.health, o.clock.now().timestamp())
            .await
        {
            Ok(body) => {
                let mut r = text(StatusCode::OK, &body);
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                r
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("metrics: {e}\n")),
        },
        _ => text(StatusCode::NOT_FOUND, "not found: try /healthz or /metrics\n"),
    }
}

/// Why the bot is unhealthy, in one line; None when it is healthy.
pub async fn healthz(o: &Observed) -> Option<String> {
    let db = tokio::time::timeout(std::time::Duration::from_secs(5), maintenance::ping(&o.store)).await;
    match db {
        Ok(Ok(())) => o.health.problem(),
        Ok(Err(e)) => Some(format!("database: {e}")),
        Err(_) => Some("database: no answer within 5 s".into()),
    }
}

/// A plain-text answer.
pub fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
