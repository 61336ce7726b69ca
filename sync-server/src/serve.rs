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
//! Under HTTPS — served here with rustls ([`serve_tls`], [`crate::tls`]) or by a reverse
//! proxy in front — [`over_https`] adds `Strict-Transport-Security` and marks every cookie
//! `Secure`, so a browser never sends the console's session over plain HTTP. Over plain
//! HTTP (a loopback test, a demo) neither is sent: HSTS over HTTP would be ignored, and a
//! `Secure` cookie would never come back.
//!
//! Shutdown is graceful: on the signal the listener closes, requests in flight finish, and
//! idle connections are closed.

use gridwalk_protocol::message::msg;
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
use tokio_rustls::TlsAcceptor;
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
    /// Requests from one address handled at once; more are answered `429`. Generous, as
    /// many tablets share a mobile carrier's address (carrier-grade NAT).
    pub max_per_address: usize,
    /// The longest a request may take, whole, except a photo upload's (whose body may
    /// trickle in over a slow link for minutes, as long as it never pauses for
    /// `body_idle_timeout`): a request sending its body a byte every few seconds does not
    /// hold its slot for ever.
    pub request_timeout: Duration,
    /// What `Retry-After` says, in seconds.
    pub retry_after: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            body_idle_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            max_per_address: 64,
            request_timeout: Duration::from_secs(60),
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

/// What `Strict-Transport-Security` says under HTTPS: this host only over HTTPS, for a
/// year. Subdomains are not named: the city's other hosts are not the centre's to decide.
pub const HSTS: &str = "max-age=31536000";

/// The router with what every answer gets when clients reach the server over HTTPS (its
/// own TLS or a proxy's): HSTS, and `Secure` on every cookie it sets.
pub fn over_https(router: Router) -> Router {
    router.layer(middleware::map_response(https_headers))
}

async fn https_headers(mut resp: Response) -> Response {
    let headers = resp.headers_mut();
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    );
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(secure_cookie)
        .collect();
    if !cookies.is_empty() {
        headers.remove(header::SET_COOKIE);
        for c in cookies {
            headers.append(header::SET_COOKIE, c);
        }
    }
    resp
}

/// A `Set-Cookie` value with the `Secure` attribute.
fn secure_cookie(cookie: &HeaderValue) -> HeaderValue {
    let text = cookie.to_str().unwrap_or_default();
    let already = text
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("secure"));
    if already || text.is_empty() {
        return cookie.clone();
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| cookie.clone())
}

/// The router with what every request goes through: the body's idle timeout, the cap on
/// requests in flight and the security headers.
pub fn limited(router: Router, limits: Limits) -> Router {
    let gate = Arc::new(Gate {
        slots: Semaphore::new(limits.max_in_flight),
        by_address: std::sync::Mutex::new(std::collections::HashMap::new()),
        limits,
    });
    router
        .layer(RequestBodyTimeoutLayer::new(limits.body_idle_timeout))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let gate = Arc::clone(&gate);
            async move { admit(&gate, req, next).await }
        }))
        .layer(middleware::map_response(security_headers))
}

/// What admits a request: the slots for the whole server, and a count per address.
struct Gate {
    slots: Semaphore,
    by_address: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
    limits: Limits,
}

/// One request's place in its address's count, given back when the request ends.
struct AddressSlot<'g> {
    gate: &'g Gate,
    address: std::net::IpAddr,
}

impl Drop for AddressSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.gate.by_address.lock()
            && let Some(n) = counts.get_mut(&self.address)
        {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

impl Gate {
    /// Counts a request from `address`, unless that address already has its fill.
    fn take(&self, address: std::net::IpAddr) -> Option<AddressSlot<'_>> {
        let mut counts = self.by_address.lock().ok()?;
        let n = counts.entry(address).or_insert(0);
        if *n >= self.limits.max_per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            gate: self,
            address,
        })
    }
}

fn refusal(e: AppError, retry_after: u64) -> Response {
    let mut resp = e.into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// Runs the request if its address and the server have room for it, within its deadline;
/// else answers at once (`429` for one address's excess, `503` for the server's).
async fn admit(gate: &Gate, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/healthz" {
        return next.run(req).await;
    }
    let retry_after = gate.limits.retry_after;
    let address = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let _mine = match address {
        Some(a) => match gate.take(a) {
            Some(slot) => Some(slot),
            None => {
                tracing::warn!(%a, path, "request turned away: too many from this address");
                return refusal(
                    AppError::Throttled {
                        message: msg!(
                            THROTTLED_ADDRESS,
                            n = gate.limits.max_per_address,
                            seconds = retry_after
                        ),
                        retry_after,
                    },
                    retry_after,
                );
            }
        },
        None => None,
    };
    let Ok(_slot) = gate.slots.try_acquire() else {
        tracing::warn!(path, "busy: request turned away");
        return refusal(
            AppError::Busy(msg!(BUSY, seconds = retry_after)),
            retry_after,
        );
    };
    if path.starts_with("/v1/uploads") {
        return next.run(req).await;
    }
    let deadline = gate.limits.request_timeout;
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(path, "request timed out");
            AppError::TimedOut(msg!(TOO_SLOW, seconds = deadline.as_secs())).into_response()
        }
    }
}

/// Serves `router` (already [`limited`]) on `listener` until `shutdown` completes, then
/// lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_on(listener, None, router, limits, shutdown).await
}

/// [`serve`] over TLS: each connection's handshake must finish within
/// [`Limits::header_timeout`], then it is served exactly as a plain one (router [`limited`]
/// and [`over_https`]).
pub async fn serve_tls(
    listener: TcpListener,
    tls: TlsAcceptor,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_on(listener, Some(tls), router, limits, shutdown).await
}

async fn serve_on(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // HTTP/1.1 only: every client (the engine, tus clients, browsers) speaks it, and a
    // protocol-sniffing server would wait for a silent connection's first bytes with no
    // timeout at all.
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
        let Some(tls) = &tls else {
            let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
            });
            continue;
        };
        let (tls, builder, watcher) = (tls.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // A client that connects and never finishes the handshake is dropped as one
            // that never finishes its headers is.
            let stream = match tokio::time::timeout(limits.header_timeout, tls.accept(stream)).await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
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
                "/echo",
                axum::routing::post(|body: String| async move { body }),
            )
            .route(
                "/json",
                axum::routing::post(
                    |crate::api::AppJson(v): crate::api::AppJson<serde_json::Value>| async move {
                        v.to_string()
                    },
                ),
            )
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

    /// Asks `url` until it answers `status` (while the requests that fill the server are
    /// still on their way, it may let one more in, which then waits); `None` if it never does.
    async fn first_answer(
        client: &reqwest::Client,
        url: &str,
        status: u16,
    ) -> Option<reqwest::Response> {
        for _ in 0..500 {
            let answer = client
                .get(url)
                .timeout(Duration::from_millis(100))
                .send()
                .await;
            if let Ok(r) = answer
                && r.status() == status
            {
                return Some(r);
            }
        }
        None
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
        let r = first_answer(&client, &url, 503)
            .await
            .expect("a request beyond the limit is turned away");
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

    #[tokio::test]
    async fn one_address_gets_its_share_and_the_others_theirs() {
        let limits = Limits {
            max_per_address: 2,
            ..Limits::default()
        };
        let gate = Arc::new(Semaphore::new(0));
        let addr = start(limits, Arc::clone(&gate)).await;
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/slow");
        let held: Vec<_> = (0..2)
            .map(|_| tokio::spawn(client.get(&url).send()))
            .collect();
        let r = first_answer(&client, &url, 429)
            .await
            .expect("a third request from one address is turned away");
        assert!(r.headers().contains_key("retry-after"));
        let body: gridwalk_protocol::ApiError = r.json().await.unwrap();
        assert!(
            body.message.contains("this address has 2 requests"),
            "{}",
            body.message
        );
        gate.add_permits(1000);
        for h in held {
            assert_eq!(h.await.unwrap().unwrap().status(), 200);
        }
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn a_body_sent_a_byte_at_a_time_is_cut_at_the_deadline() {
        let limits = Limits {
            request_timeout: Duration::from_millis(400),
            ..Limits::default()
        };
        let addr = start(limits, Arc::new(Semaphore::new(0))).await;
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
        // A byte every 100 ms never trips the idle timeout; the whole-request deadline does.
        let mut answer = Vec::new();
        for _ in 0..100 {
            if conn.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut buf = [0u8; 4096];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(1), conn.read(&mut buf)).await
            {
                answer.extend_from_slice(&buf[..n]);
                if n == 0 || answer.windows(3).any(|w| w == b"408") {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("longer than the 0 s"), "{text}");
    }

    /// A body that stops arriving is cut after the body idle timeout, long before the
    /// whole-request deadline: the request is answered 408 and its connection freed.
    #[tokio::test]
    async fn a_body_that_stops_is_cut_after_the_idle_timeout() {
        let limits = Limits {
            body_idle_timeout: Duration::from_millis(300),
            request_timeout: Duration::from_secs(600),
            ..Limits::default()
        };
        let addr = start(limits, Arc::new(Semaphore::new(0))).await;
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(
            b"POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ten\": 1,",
        )
        .await
        .unwrap();
        // Then nothing more. The answer must come from the idle timeout: the request's
        // deadline is ten minutes away, and this waits at most one.
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(60), async {
            let mut buf = [0u8; 4096];
            loop {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        answer.extend_from_slice(&buf[..n]);
                        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                }
            }
        })
        .await;
        assert!(read.is_ok(), "the stalled body was not cut");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(
            text.contains("application/json"),
            "in the project's error shape: {text}"
        );
    }

    /// The headers themselves say what the policy requires, so a weakened one fails here
    /// (the tests of answers compare with [`SECURITY_HEADERS`]).
    #[test]
    fn the_security_headers_are_strict() {
        let h: std::collections::HashMap<&str, &str> = SECURITY_HEADERS.into_iter().collect();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
        let csp: std::collections::HashMap<&str, Vec<&str>> = h["content-security-policy"]
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace();
                Some((words.next()?, words.collect()))
            })
            .collect();
        for (directive, only) in [
            ("default-src", "'self'"),
            ("script-src", "'self'"),
            ("connect-src", "'self'"),
            ("form-action", "'self'"),
            ("object-src", "'none'"),
            ("base-uri", "'none'"),
            ("frame-ancestors", "'none'"),
        ] {
            assert_eq!(csp.get(directive), Some(&vec![only]), "{directive}");
        }
        for (directive, sources) in &csp {
            for s in sources {
                let loose = matches!(*s, "*" | "'unsafe-eval'" | "http:" | "https:")
                    || (directive.starts_with("script") && *s == "'unsafe-inline'");
                assert!(!loose, "{directive} allows {s}");
            }
        }
    }

    /// The real API and the "console not built" page behind [`limited`], under HTTPS if
    /// `https` (as the binary serves them), on a port of its own.
    async fn start_app(https: bool, console_dir: &std::path::Path) -> std::net::SocketAddr {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) =
            crate::testkit::case_store(crate::testkit::Backend::Sqlite, dir.path()).await;
        let blobs = crate::blobs::BlobStore::local(&dir.path().join("blobs")).unwrap();
        let state = crate::AppState::new(
            store,
            blobs,
            crate::services::uploads::UploadSettings::default(),
        );
        let router = crate::app(state).merge(crate::api::pages::routes(
            &crate::api::pages::Source::Dir(console_dir.to_path_buf()),
        ));
        let mut router = limited(router, Limits::default());
        if https {
            router = over_https(router);
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _dir = dir;
            serve(listener, router, Limits::default(), std::future::pending()).await
        });
        addr
    }

    #[tokio::test]
    async fn error_answers_carry_the_headers_and_name_no_server_path() {
        let console_dir = std::env::temp_dir().join("gridwalk-nowhere-console");
        let addr = start_app(false, &console_dir).await;
        let client = reqwest::Client::new();
        let url = |path: &str| format!("http://{addr}{path}");
        let answers = [
            client.get(url("/no/such/route")).send().await.unwrap(),
            client.get(url("/console/")).send().await.unwrap(),
            client
                .get(url("/v1/console/reports/not-an-id"))
                .send()
                .await
                .unwrap(),
            client
                .post(url("/v1/console/session"))
                .header("content-type", "application/json")
                .body("{\"login\": ")
                .send()
                .await
                .unwrap(),
            client
                .post(url("/v1/push"))
                .bearer_auth("x")
                .header("content-type", "application/json")
                .body(vec![b' '; crate::api::MAX_JSON_BYTES + 10])
                .send()
                .await
                .unwrap(),
            client
                .get(url("/v1/uploads/..%2F..%2Fetc"))
                .send()
                .await
                .unwrap(),
        ];
        let here = std::env::current_dir().unwrap().display().to_string();
        for r in answers {
            let status = r.status();
            assert!(status.is_client_error(), "{status}");
            for (name, value) in SECURITY_HEADERS {
                assert_eq!(r.headers()[name], value, "{status}");
            }
            assert!(!r.headers().contains_key("strict-transport-security"));
            let body = r.text().await.unwrap();
            for path in [
                console_dir.display().to_string(),
                here.clone(),
                "/tmp/".into(),
            ] {
                assert!(!body.contains(&path), "{status} names {path}: {body}");
            }
        }
    }

    #[tokio::test]
    async fn under_https_every_answer_has_hsts_and_every_cookie_is_secure() {
        let addr = start_app(true, std::path::Path::new("no-console")).await;
        let client = reqwest::Client::new();
        let signed_out = client
            .delete(format!("http://{addr}/v1/console/session"))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_out.headers()["strict-transport-security"], HSTS);
        for path in ["/healthz", "/nowhere", "/v1/me"] {
            let r = client
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["strict-transport-security"], HSTS, "{path}");
        }
        let cookie = secure_cookie(&HeaderValue::from_static("s=1; Path=/; HttpOnly"));
        assert_eq!(cookie, "s=1; Path=/; HttpOnly; Secure");
        assert_eq!(secure_cookie(&cookie), cookie, "marked once");
    }
}
