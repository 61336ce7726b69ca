//! Serving the API over TCP so that no one client can hold the centre.
//!
//! A centre serves a whole city from one process, over links it does not control. Three
//! limits keep one slow or hostile client from costing the others:
//!
//! - **Header and idle time.** A connection must send a request's headers within
//!   [`Limits::header_timeout`] of being ready for one — which also closes a kept-alive
//!   connection that sits idle that long. A client that opens thousands of connections and
//!   sends half a request on each holds them for that long, not for ever.
//! - **Body time.** A request body that sends nothing for [`Limits::body_idle_timeout`] ends
//!   as if the connection broke (an upload keeps what arrived and is resumed from there).
//!   Slow links are fine: the clock restarts with every piece of the body.
//! - **Requests in flight.** At most [`Limits::max_in_flight`] requests are handled at once;
//!   beyond that a request is answered at once with `503 Service Unavailable` and
//!   `Retry-After`, in the project's error shape, instead of queueing (and holding its body
//!   in memory) behind the others. The engine treats a 503 like a dropped connection and
//!   tries again in its next round. `/healthz` is never turned away, so monitoring sees a
//!   busy centre as busy, not dead.
//!
//! Every answer carries the headers that keep a browser from being turned against the
//! console ([`SECURITY_HEADERS`]): no content sniffing (a photo is served as a JPEG and
//! never run as a page), a strict content security policy, no framing, no referrer.
//!
//! Shutdown is graceful: on the signal the listener closes, requests in flight finish, and
//! idle connections are closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::error::AppError;

/// How long a connection and a request may take, and how many requests run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers, counted from when the connection is ready for one.
    pub header_timeout: Duration,
    /// Longest pause inside a request body.
    pub body_idle_timeout: Duration,
    /// Requests handled at once; more are answered `503` with `Retry-After`.
    pub max_in_flight: usize,
    /// What `Retry-After` says, in seconds.
    pub retry_after: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            body_idle_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            retry_after: 2,
        }
    }
}

/// What every answer says to the browser. The console's pages load only their own scripts
/// and styles (style attributes are allowed: the components set them), talk only to this
/// server, show images from it (and `data:`/`blob:` ones, for photos picked before upload),
/// and may not be framed.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
    ),
];

async fn security_headers(mut resp: Response) -> Response {
    for (name, value) in SECURITY_HEADERS {
        resp.headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    resp
}

/// The router with what every request goes through: the body's idle timeout, the cap on
/// requests in flight and the security headers.
pub fn limited(router: Router, limits: Limits) -> Router {
    let slots = Arc::new(Semaphore::new(limits.max_in_flight));
    let retry_after = limits.retry_after;
    router
        .layer(RequestBodyTimeoutLayer::new(limits.body_idle_timeout))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let slots = Arc::clone(&slots);
            async move { admit(&slots, retry_after, req, next).await }
        }))
        .layer(middleware::map_response(security_headers))
}

/// Runs the request if a slot is free, else answers 503 at once.
async fn admit(slots: &Semaphore, retry_after: u64, req: Request, next: Next) -> Response {
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let Ok(_slot) = slots.try_acquire() else {
        tracing::warn!(path = %req.uri().path(), "busy: request turned away");
        let mut resp = AppError::Busy(format!(
            "the centre is handling as many requests as it can; try again in {retry_after} s"
        ))
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return resp;
    };
    next.run(req).await
}

/// Serves `router` (already [`limited`]) on `listener` until `shutdown` completes, then
/// lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // HTTP/1.1 only: every client (the engine, tus clients, browsers over plain HTTP) speaks
    // it, and a protocol-sniffing server would wait for a silent connection's first bytes
    // with no timeout at all.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Handlers that need the client's address (the sign-in limit) read it as
        // `ConnectInfo`.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        ));
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server whose `/slow` waits until `gate` has a permit.
    async fn start(limits: Limits, gate: Arc<Semaphore>) -> std::net::SocketAddr {
        let router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/slow",
                get(move || {
                    let gate = Arc::clone(&gate);
                    async move {
                        let _pass = gate.acquire().await;
                        "done"
                    }
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(
            listener,
            limited(router, limits),
            limits,
            std::future::pending(),
        ));
        addr
    }

    #[tokio::test]
    async fn a_full_centre_answers_503_with_retry_after_and_still_answers_health() {
        let limits = Limits {
            max_in_flight: 2,
            ..Limits::default()
        };
        let gate = Arc::new(Semaphore::new(0));
        let addr = start(limits, Arc::clone(&gate)).await;
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/slow");
        let held: Vec<_> = (0..2)
            .map(|_| tokio::spawn(client.get(&url).send()))
            .collect();
        // Until both hold their slots, a third may still get in (and wait at the gate).
        let mut turned_away = None;
        for _ in 0..500 {
            let r = client
                .get(&url)
                .timeout(Duration::from_millis(100))
                .send()
                .await;
            if let Ok(r) = r
                && r.status() == 503
            {
                turned_away = Some(r);
                break;
            }
        }
        let r = turned_away.expect("a request beyond the limit is turned away");
        assert_eq!(r.headers()["retry-after"], "2");
        let body: gridwalk_protocol::ApiError = r.json().await.unwrap();
        assert_eq!(body.error, "busy");
        assert!(
            body.message.contains("try again in 2 s"),
            "{}",
            body.message
        );
        let health = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "health is never turned away");
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(health.headers()[name], value);
        }

        gate.add_permits(1000);
        for h in held {
            assert_eq!(h.await.unwrap().unwrap().status(), 200);
        }
        let after = client.get(&url).send().await.unwrap();
        assert_eq!(after.status(), 200, "the slots are given back");
    }

    #[tokio::test]
    async fn half_sent_headers_and_idle_connections_are_closed() {
        let limits = Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let addr = start(limits, Arc::new(Semaphore::new(0))).await;
        let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        for conn in [&mut half, &mut idle] {
            let mut buf = Vec::new();
            // The server closes the connection (perhaps after a 408): read to the end. The
            // outer timeout only keeps a broken build from hanging the suite.
            tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut buf))
                .await
                .expect("the server closed the connection")
                .ok();
            let text = String::from_utf8_lossy(&buf);
            assert!(!text.contains("200 OK"), "{text}");
        }
    }
}
