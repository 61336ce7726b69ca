//! The transport, end to end: the real `gridwalk-sync` binary serving HTTPS with a
//! certificate from a city CA made here (rcgen), and a real engine that trusts that CA
//! sending a report and its photo (tus) over it; HSTS and `Secure` cookies under HTTPS (the
//! server's own or a proxy's) and neither over plain loopback HTTP; a renewed certificate
//! served without a restart, a broken renewal not; and an engine that sends its token
//! neither to plain HTTP beyond this machine nor to an upload address off the centre.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_field::FieldConfig;
use gridwalk_field::sync::{SyncClient, SyncSettings, Transport};
use gridwalk_system_tests::*;
use rustls::pki_types::{CertificateDer, ServerName};

/// A city's own certificate authority.
struct Ca {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

/// A server certificate and its key, as PEM, and the certificate as DER.
struct Leaf {
    cert: String,
    key: String,
    der: Vec<u8>,
}

impl Ca {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Gridwalk test city CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        Self {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for this machine (`127.0.0.1`, `localhost`) signed by the CA.
    fn leaf(&self) -> Leaf {
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }
}

/// Where a test keeps the CA's certificate and the server's pair.
struct Files {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Files {
    fn write(dir: &Path, ca: &Ca, leaf: &Leaf) -> Self {
        let files = Self {
            ca: dir.join("city-ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server-key.pem"),
        };
        std::fs::write(&files.ca, ca.pem()).unwrap();
        files.replace(leaf);
        files
    }

    /// Puts a new pair in place the way a renewal tool does: written aside, then renamed.
    fn replace(&self, leaf: &Leaf) {
        for (path, text) in [(&self.cert, &leaf.cert), (&self.key, &leaf.key)] {
            let aside = path.with_extension("new");
            std::fs::write(&aside, text).unwrap();
            std::fs::rename(&aside, path).unwrap();
        }
    }

    fn tls_args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert.display().to_string(),
            "--tls-key".into(),
            self.key.display().to_string(),
        ]
    }
}

/// An engine signed in as the demo inspector that reaches the centre as `transport` says.
fn engine_with(dir: &Path, transport: Transport) -> gridwalk_field::Engine {
    signed_in_engine_from(
        FieldConfig {
            transport,
            ..FieldConfig::new(dir)
        },
        &fixtures(),
    )
}

/// A client trusting the city CA, for looking at the server's answers directly.
fn trusting(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .build()
        .unwrap()
}

async fn an_engine_trusting_the_city_ca_sends_a_report_and_its_photo_over_https(backend: Backend) {
    let (ca, dir) = (Ca::new(), tempfile::tempdir().unwrap());
    let files = Files::write(dir.path(), &ca, &ca.leaf());
    let centre = BinaryCentre::with_fixtures(backend).await;
    let (mut server, url) = centre.start("127.0.0.1:0", &files.tls_args()).await;
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let engine_dir = tempfile::tempdir().unwrap();
    let engine = engine_with(
        engine_dir.path(),
        Transport {
            allow_insecure_http: false,
            extra_ca: Some(files.ca.clone()),
        },
    );
    capture(&engine, &[fixtures().join("photos/orient-1.jpg")], RUBBISH);
    let token = centre
        .admin(&[
            "enroll-device",
            "--user",
            INSPECTOR,
            "--device",
            &engine.device_id().to_string(),
        ])
        .await;

    // Without the city's CA the centre's certificate is not trusted, and nothing goes.
    let untrusting =
        SyncClient::new(&SyncSettings::new(&url, &token, &Transport::default()).unwrap()).unwrap();
    let e = engine.sync_once(&untrusting, "test").await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert!(
        e.to_string().contains("certificate is not trusted")
            && e.to_string().contains("--centre-ca"),
        "the refusal names the certificate, not the network: {e}"
    );
    assert_eq!(engine.queue_summary().unwrap().pending_reports, 1);

    engine.configure_sync(&url, &token).unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!((done.sent, done.rejected), (1, 0));
    assert_eq!(done.photos.uploaded, 1, "the photo went by tus over HTTPS");
    let queue = engine.queue_summary().unwrap();
    assert_eq!((queue.pending_reports, queue.pending_photos), (0, 0));

    let health: serde_json::Value = trusting(&ca)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["reports"], 1);
    // The TLS port does not answer plain HTTP.
    let plain = reqwest::get(format!("{}/healthz", url.replace("https://", "http://"))).await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "{plain:?}"
    );
    server.kill().await.unwrap();
    centre.finish().await;
}

const LEADER: &str = "chenjianguo";
const PASSWORD: &str = "correct horse battery staple";

/// Signs the leader in at `url`; the session cookie, and the HSTS header of a health check,
/// a 404 and a 401 (what any answer carries).
async fn cookie_and_hsts(client: &reqwest::Client, url: &str) -> (String, Vec<Option<String>>) {
    let signed_in = client
        .post(format!("{url}/v1/console/session"))
        .json(&serde_json::json!({ "login": LEADER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let mut hsts = vec![
        signed_in
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .map(|v| v.to_str().unwrap().to_owned()),
    ];
    for (path, status) in [
        ("/healthz", StatusCode::OK),
        ("/no/such/page", StatusCode::NOT_FOUND),
        ("/v1/me", StatusCode::UNAUTHORIZED),
    ] {
        let r = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        hsts.push(
            r.headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap().to_owned()),
        );
    }
    (cookie, hsts)
}

fn is_secure(cookie: &str) -> bool {
    cookie.split(';').any(|a| a.trim() == "Secure")
}

async fn hsts_and_secure_cookies_under_https_and_neither_over_plain_loopback_http(
    backend: Backend,
) {
    let (ca, dir) = (Ca::new(), tempfile::tempdir().unwrap());
    let files = Files::write(dir.path(), &ca, &ca.leaf());
    let centre = BinaryCentre::with_fixtures(backend).await;
    let set = centre
        .run(
            &["admin", "set-password", "--user", LEADER],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert_eq!(set.ok(), "", "set-password prints nothing on stdout");

    let plain_client = reqwest::Client::new();
    let (mut server, url) = centre.start("127.0.0.1:0", &[]).await;
    assert!(url.starts_with("http://"), "{url}");
    let (cookie, hsts) = cookie_and_hsts(&plain_client, &url).await;
    assert!(
        cookie.contains("HttpOnly") && !is_secure(&cookie),
        "{cookie}"
    );
    assert!(hsts.iter().all(Option::is_none), "{hsts:?}");
    server.kill().await.unwrap();

    // Behind a proxy that ends TLS: the server itself is plain, its clients are not.
    let proxied = [
        "--public-url".to_owned(),
        "https://gridwalk.city.example".into(),
    ];
    let (mut server, url) = centre.start("127.0.0.1:0", &proxied).await;
    let (cookie, hsts) = cookie_and_hsts(&plain_client, &url).await;
    assert!(is_secure(&cookie), "{cookie}");
    assert!(
        hsts.iter()
            .all(|h| h.as_deref() == Some(gridwalk_sync::serve::HSTS)),
        "{hsts:?}"
    );
    server.kill().await.unwrap();

    let (mut server, url) = centre.start("127.0.0.1:0", &files.tls_args()).await;
    let (cookie, hsts) = cookie_and_hsts(&trusting(&ca), &url).await;
    assert!(
        is_secure(&cookie) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(cookie.matches("Secure").count(), 1, "{cookie}");
    assert!(
        hsts.iter()
            .all(|h| h.as_deref() == Some(gridwalk_sync::serve::HSTS)),
        "{hsts:?}"
    );
    server.kill().await.unwrap();
    centre.finish().await;
}

/// The certificate a new connection to `addr` is shown, verified against the city CA.
async fn certificate_served(addr: &str, ca: &Ca) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.issuer.der().to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let (ca, dir) = (Ca::new(), tempfile::tempdir().unwrap());
    let (first, second) = (ca.leaf(), ca.leaf());
    let files = Files::write(dir.path(), &ca, &first);
    let centre = BinaryCentre::with_fixtures(Backend::Sqlite).await;
    let (mut server, url) = centre.start("127.0.0.1:0", &files.tls_args()).await;
    let addr = url.strip_prefix("https://").unwrap().to_owned();
    assert_eq!(certificate_served(&addr, &ca).await, first.der);

    files.replace(&second);
    let wait = gridwalk_sync::tls::CHECK_EVERY * 5;
    let started = std::time::Instant::now();
    while certificate_served(&addr, &ca).await != second.der {
        assert!(
            started.elapsed() < wait,
            "the renewed certificate was not served within {wait:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A renewal caught halfway (a new certificate, the old key) is not served: the
    // certificate in force stays, and connections still verify.
    std::fs::write(&files.cert, ca.leaf().cert).unwrap();
    tokio::time::sleep(gridwalk_sync::tls::CHECK_EVERY * 2).await;
    for _ in 0..3 {
        assert_eq!(certificate_served(&addr, &ca).await, second.der);
    }
    server.kill().await.unwrap();
    centre.finish().await;
}

#[tokio::test]
async fn the_server_names_what_is_wrong_with_its_certificate_and_does_not_start() {
    let (ca, dir) = (Ca::new(), tempfile::tempdir().unwrap());
    let files = Files::write(dir.path(), &ca, &ca.leaf());
    std::fs::write(&files.key, ca.leaf().key).unwrap();
    let centre = BinaryCentre::with_fixtures(Backend::Sqlite).await;
    let missing = dir.path().join("nowhere.pem").display().to_string();
    let cases = [
        (files.tls_args(), "does not belong to the certificate"),
        (
            vec![
                "--tls-cert".into(),
                missing.clone(),
                "--tls-key".into(),
                missing,
            ],
            "nowhere.pem",
        ),
        (files.tls_args()[..2].to_vec(), "go together"),
    ];
    for (args, says) in cases {
        let serve: Vec<&str> = ["serve", "--listen", "127.0.0.1:0"]
            .into_iter()
            .chain(args.iter().map(String::as_str))
            .collect();
        let out = centre.run(&serve, "").await;
        assert_ne!(out.code, Some(0), "{args:?} started");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?} listened");
    }
    centre.finish().await;
}

#[tokio::test]
async fn plain_http_beyond_this_machine_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), Transport::default());
    // `.invalid` never resolves: had the engine tried, it would have failed to connect
    // (`network`), not refused.
    for url in ["http://centre.invalid:8750", "http://10.20.30.40:8750"] {
        let e = engine.configure_sync(url, "token").unwrap_err();
        assert_eq!(e.kind(), "insecure", "{url}: {e}");
        assert!(e.to_string().contains("unencrypted"), "{e}");
    }
    let e = engine
        .enroll("http://centre.invalid:8750", "token")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "insecure", "{e}");
    assert!(engine.sync_settings().unwrap().is_none(), "nothing kept");

    // The support CLI says so too, in words.
    drop(engine);
    let out = std::process::Command::new(binary("gridwalk-field"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--fixtures")
        .arg(fixtures())
        .args([
            "sync",
            "--server",
            "http://centre.invalid:8750",
            "--token",
            "t",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unencrypted"), "{stderr}");
    assert!(stderr.contains("--allow-insecure-http"), "{stderr}");
}

/// A fake centre in front of the real one: everything is passed through, except that an
/// upload's creation is answered with a `Location` on another server (`thief`).
#[derive(Clone)]
struct Fake {
    upstream: String,
    thief: String,
    client: reqwest::Client,
    hijacked: Arc<AtomicUsize>,
}

async fn pass_through(State(fake): State<Fake>, req: Request) -> Response {
    if req.method() == Method::POST && req.uri().path().starts_with("/v1/uploads") {
        fake.hijacked.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::CREATED,
            [
                ("location", format!("{}/v1/uploads/collected", fake.thief)),
                ("upload-offset", "0".into()),
                ("tus-resumable", "1.0.0".into()),
            ],
        )
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut headers = parts.headers;
    for h in [
        header::HOST,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ] {
        headers.remove(h);
    }
    let path = parts.uri.path_and_query().unwrap().as_str();
    let answer = fake
        .client
        .request(parts.method, format!("{}{path}", fake.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let mut headers: HeaderMap = answer.headers().clone();
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    (status, headers, answer.bytes().await.unwrap()).into_response()
}

async fn an_upload_location_off_the_centre_is_not_followed(backend: Backend) {
    let s = server(backend).await;
    // The other server counts every connection made to it.
    let thief = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let thief_url = format!("http://{}", thief.local_addr().unwrap());
    let visits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&visits);
    tokio::spawn(async move {
        while let Ok((_conn, _)) = thief.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let fake = Fake {
        upstream: s.url.clone(),
        thief: thief_url,
        client: reqwest::Client::new(),
        hijacked: Arc::new(AtomicUsize::new(0)),
    };
    let hijacked = Arc::clone(&fake.hijacked);
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_url = format!("http://{}", front.local_addr().unwrap());
    let router = axum::Router::new().fallback(pass_through).with_state(fake);
    tokio::spawn(async move { axum::serve(front, router).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);
    let token = enroll(&s, &engine).await;
    let client = connect(&engine, &front_url, &token);
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(
        done.sent, 1,
        "the report itself went through the fake centre"
    );
    assert_eq!(hijacked.load(Ordering::SeqCst), 1, "the upload was created");
    assert_eq!((done.photos.uploaded, done.photos.refused), (0, 1));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        visits.load(Ordering::SeqCst),
        0,
        "the other server never heard from the device"
    );
    let waiting = engine.photos_to_upload().unwrap();
    assert_eq!(waiting.len(), 1, "the photo still waits for the centre");
    let why = waiting[0].last_error.as_deref().unwrap_or_default();
    assert!(why.contains("not on the centre"), "{why}");
    assert_eq!(
        waiting[0].upload_url, None,
        "the other address was not kept"
    );
    s.finish().await;
}

on_every_backend!(
    an_engine_trusting_the_city_ca_sends_a_report_and_its_photo_over_https,
    hsts_and_secure_cookies_under_https_and_neither_over_plain_loopback_http,
    an_upload_location_off_the_centre_is_not_followed,
);
