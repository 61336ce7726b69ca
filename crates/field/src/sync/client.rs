//! The HTTP side of sync: one `reqwest` client (rustls, no OpenSSL, so the same code builds
//! for Android), and the mapping from what the network or server said to an engine error
//! whose words an inspector can act on.
//!
//! Every request carries the device's token, so where requests may go is checked before
//! any is sent ([`Transport`]): the centre over HTTPS, trusting the public web roots and,
//! where a city runs its own certificate authority, that CA's certificate too; plain
//! `http://` only to this machine (loopback: a test, a demo) unless the installer allows it
//! explicitly for a closed test network. An upload's address comes from the centre's
//! answer (tus `Location`), so it is followed only when it has the centre's own origin
//! (scheme, host and port); redirects are never followed.

use std::path::PathBuf;
use std::time::Duration;

use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::tus::{self, header as h};
use gridwalk_protocol::{
    ApiError, ChangesPage, PhotoId, PhotoNeedsRequest, PhotoNeedsResponse, Profile, PushRequest,
    PushResponse, ReportId,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::{Error, Result};

/// The default size of one photo upload request: large enough that a typical photo goes
/// in one round trip (on a 200 ms link every request costs a fifth of a second), small
/// enough that a dropped connection costs little, since the server keeps what arrived.
pub const DEFAULT_CHUNK: usize = 1024 * 1024;

/// How this installation may reach the centre: set by whoever installs the app (the
/// engine's [`crate::FieldConfig`]), not by the inspector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transport {
    /// Send to a plain `http://` centre that is not on this machine. Tokens and reports
    /// then cross the network unencrypted: for a closed test network only.
    pub allow_insecure_http: bool,
    /// A PEM file of certificate authorities to trust besides the public ones (a city's
    /// own CA that signed the centre's certificate).
    pub extra_ca: Option<PathBuf>,
}

/// Where this device syncs: the centre's address and this device's token, and how the
/// installation lets it reach the centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub server_url: String,
    pub token: String,
    pub transport: Transport,
}

impl SyncSettings {
    /// The server address and token as they will be stored (trimmed, without a trailing
    /// slash), or why they cannot be (not an address, or plain HTTP where it is not
    /// allowed).
    pub fn new(server_url: &str, token: &str, transport: &Transport) -> Result<Self> {
        let url = server_url.trim().trim_end_matches('/');
        centre_url(url, transport)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::Refused(msg!(DEVICE_TOKEN_EMPTY)));
        }
        Ok(Self {
            server_url: url.to_owned(),
            token: token.to_owned(),
            transport: transport.clone(),
        })
    }
}

/// The centre's address parsed, if it is one this installation may send a token to.
fn centre_url(url: &str, transport: &Transport) -> Result<reqwest::Url> {
    let not_an_address = || Error::Refused(msg!(DEVICE_NOT_AN_ADDRESS, url = format!("{url:?}")));
    if url.contains(char::is_whitespace) {
        return Err(not_an_address());
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| not_an_address())?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(not_an_address());
    }
    if parsed.scheme() == "http" && !transport.allow_insecure_http && !is_loopback(&parsed) {
        return Err(Error::Insecure(msg!(DEVICE_PLAIN_HTTP, url = url)));
    }
    Ok(parsed)
}

/// Whether `url` names this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(url: &reqwest::Url) -> bool {
    // The URL parser has already written IP addresses in their plain form (`127.1` as
    // `127.0.0.1`), IPv6 ones in brackets.
    url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// A connection to one sync server with one device token.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    /// `base` parsed: uploads are followed only to its origin.
    origin: reqwest::Url,
    token: String,
    chunk: usize,
}

/// What the server says of an upload the device asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// It holds this many bytes.
    At(u64),
    /// It no longer exists (expired, terminated, or discarded after a bad checksum).
    Gone,
}

impl SyncClient {
    /// A client for `settings`, with timeouts suited to a slow mobile uplink. An address
    /// the installation may not send to (kept before the rule, or the rule changed since)
    /// is refused here, before any connection.
    pub fn new(settings: &SyncSettings) -> Result<Self> {
        let origin = centre_url(&settings.server_url, &settings.transport)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            // The centre never redirects; a redirect is someone else's idea.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gridwalk-field/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.transport.extra_ca {
            for ca in extra_roots(path)? {
                builder = builder.add_root_certificate(ca);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Network(Message::verbatim(e)))?;
        Ok(Self {
            http,
            origin,
            base: settings.server_url.clone(),
            token: settings.token.clone(),
            chunk: DEFAULT_CHUNK,
        })
    }

    /// Sends photos in requests of at most `bytes` (at least 1 KiB).
    #[must_use]
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = bytes.max(1024);
        self
    }

    /// The largest photo request body.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk
    }

    /// `POST /v1/photos/needed`.
    pub async fn photo_needs(&self, photos: &[PhotoId]) -> Result<PhotoNeedsResponse> {
        let body = PhotoNeedsRequest {
            photos: photos.to_vec(),
        };
        self.post_json("/v1/photos/needed", &body)
            .await?
            .map_err(|(status, err)| from_answer(status, err))
    }

    /// POSTs JSON with the device token: the decoded answer, or the error status and body.
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<std::result::Result<T, (StatusCode, Option<ApiError>)>> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map(Ok).map_err(network);
        }
        Ok(Err((status, resp.json().await.ok())))
    }

    /// A tus request with the token, if `url` has the centre's origin (an upload address
    /// comes from an answer, or from the local database where an earlier one was kept).
    fn tus(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder> {
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            Error::Insecure(Message::verbatim(format!("upload address {url:?}: {e}")))
        })?;
        self.same_origin(&parsed)?;
        Ok(self
            .http
            .request(method, parsed)
            .bearer_auth(&self.token)
            .header(h::TUS_RESUMABLE, tus::VERSION))
    }

    /// Refuses an upload address on another server, or the centre's host by another
    /// scheme or port: the device token goes only where the centre is.
    fn same_origin(&self, url: &reqwest::Url) -> Result<()> {
        if url.origin() == self.origin.origin() {
            return Ok(());
        }
        Err(Error::Insecure(msg!(
            DEVICE_UPLOAD_ELSEWHERE,
            upload = url.origin().ascii_serialization(),
            centre = self.origin.origin().ascii_serialization()
        )))
    }

    /// Creates the upload of a photo of `report` with its first bytes (tus
    /// creation-with-upload). Returns the upload's URL and the bytes the server kept.
    pub async fn create_upload(
        &self,
        report: ReportId,
        photo: PhotoId,
        length: u64,
        first: &[u8],
    ) -> Result<(String, u64)> {
        let (report, photo) = (report.to_string(), photo.to_string());
        let metadata = tus::encode_metadata([
            (tus::meta::REPORT, report.as_str()),
            (tus::meta::PHOTO, photo.as_str()),
            (tus::meta::FILETYPE, "image/jpeg"),
        ]);
        let resp = self
            .tus(reqwest::Method::POST, &format!("{}/v1/uploads/", self.base))?
            .header(h::UPLOAD_LENGTH, length)
            .header(h::UPLOAD_METADATA, metadata)
            .header(reqwest::header::CONTENT_TYPE, tus::OFFSET_OCTET_STREAM)
            .body(first.to_vec())
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status != StatusCode::CREATED {
            return Err(from_answer(status, resp.json().await.ok()));
        }
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Server("the upload was created without a Location".into()))?;
        let url = resp
            .url()
            .join(location)
            .map_err(|e| Error::Server(format!("upload Location {location:?}: {e}")))?;
        self.same_origin(&url)?;
        Ok((url.to_string(), offset(resp.headers())?))
    }

    /// Asks how many bytes of an upload the server holds (tus `HEAD`).
    pub async fn upload_state(&self, url: &str) -> Result<UploadState> {
        let resp = self
            .tus(reqwest::Method::HEAD, url)?
            .send()
            .await
            .map_err(network)?;
        match resp.status() {
            StatusCode::OK => Ok(UploadState::At(offset(resp.headers())?)),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(UploadState::Gone),
            s => Err(from_answer(s, None)),
        }
    }

    /// Appends `bytes` at `at` (tus `PATCH`); returns the new offset. An offset the server
    /// disagrees with, or an upload it no longer has, comes back as `UploadState`.
    pub async fn append_upload(
        &self,
        url: &str,
        at: u64,
        bytes: &[u8],
    ) -> Result<std::result::Result<u64, UploadState>> {
        let resp = self
            .tus(reqwest::Method::PATCH, url)?
            .header(h::UPLOAD_OFFSET, at)
            .header(reqwest::header::CONTENT_TYPE, tus::OFFSET_OCTET_STREAM)
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(network)?;
        match resp.status() {
            StatusCode::NO_CONTENT => Ok(Ok(offset(resp.headers())?)),
            StatusCode::CONFLICT => self.upload_state(url).await.map(Err),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Err(UploadState::Gone)),
            s if s.as_u16() == tus::CHECKSUM_MISMATCH => Ok(Err(UploadState::Gone)),
            s => Err(from_answer(s, resp.json().await.ok())),
        }
    }

    /// `GET /v1/changes`: the next page after `cursor`, or `None` when the centre answers
    /// that the cursor cannot continue (`resync`: pull again from the start).
    pub async fn changes(&self, cursor: Option<&str>, limit: usize) -> Result<Option<ChangesPage>> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_owned()));
        }
        let resp = self
            .http
            .get(format!("{}/v1/changes", self.base))
            .bearer_auth(&self.token)
            .query(&query)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map(Some).map_err(network);
        }
        let body: Option<ApiError> = resp.json().await.ok();
        if status == StatusCode::GONE
            && body
                .as_ref()
                .is_some_and(|b| b.error == gridwalk_protocol::feed::RESYNC)
        {
            return Ok(None);
        }
        Err(from_answer(status, body))
    }

    /// `GET /v1/photos/{sha256}`: a photo the centre names in a task (a department's
    /// after-photo); `None` while its bytes have not reached the centre.
    pub async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let resp = self
            .http
            .get(format!("{}/v1/photos/{sha256}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp
                .bytes()
                .await
                .map(|b| Some(b.to_vec()))
                .map_err(network);
        }
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Err(from_answer(status, resp.json().await.ok()))
    }

    /// `GET /v1/me`: who this device's token belongs to.
    pub async fn me(&self) -> Result<Profile> {
        let resp = self
            .http
            .get(format!("{}/v1/me", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map_err(network);
        }
        Err(from_answer(status, resp.json().await.ok()))
    }

    /// `POST /v1/enroll`: redeems a one-time enrollment code for this device's token. The
    /// only call without a token (this client's is not sent).
    pub async fn redeem_code(
        &self,
        request: &gridwalk_protocol::enrollment::EnrollRequest,
    ) -> Result<gridwalk_protocol::enrollment::Enrolled> {
        let resp = self
            .http
            .post(format!("{}/v1/enroll", self.base))
            .json(request)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map_err(network);
        }
        Err(from_answer(status, resp.json().await.ok()))
    }

    /// `POST /v1/device/key`: binds this device's public key to its token.
    pub async fn register_key(&self, public_key: &str) -> Result<()> {
        let body = gridwalk_protocol::DeviceKey {
            public_key: public_key.to_owned(),
        };
        self.post_json::<serde_json::Value>("/v1/device/key", &body)
            .await?
            .map(|_| ())
            .map_err(|(status, err)| from_answer(status, err))
    }

    /// `POST /v1/push`.
    pub async fn push(&self, request: &PushRequest) -> Result<PushResponse> {
        self.post_json("/v1/push", request)
            .await?
            .map_err(|(status, err)| from_status(status, err, request))
    }
}

/// The certificates in a PEM file of extra certificate authorities.
fn extra_roots(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::Insecure(msg!(
            DEVICE_CA_UNREADABLE,
            path = path.display(),
            detail = e
        ))
    };
    let pem = std::fs::read(path).map_err(|e| unreadable(&e))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unreadable(&e))?;
    if certs.is_empty() {
        return Err(Error::Insecure(msg!(
            DEVICE_CA_EMPTY,
            path = path.display()
        )));
    }
    Ok(certs)
}

fn offset(headers: &HeaderMap) -> Result<u64> {
    headers
        .get(h::UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Server("the answer has no Upload-Offset".into()))
        .and_then(|v| tus::parse_size("Upload-Offset", v).map_err(Error::Server))
}

/// An error answer that is not about mutation numbers.
fn from_answer(status: StatusCode, body: Option<ApiError>) -> Error {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
        // Busy, or this device is asking too fast: it goes through in a later round.
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            Error::Server(body.map_or_else(|| status.to_string(), |b| b.message))
        }
        _ => Error::Refused(said(status, body.as_ref())),
    }
}

/// What the centre said in an error answer, as its code (with its field problems and the
/// refusal it passes on) when this build knows the code; else (an older or a newer centre)
/// its English words, or the status.
fn said(status: StatusCode, body: Option<&ApiError>) -> Message {
    match body {
        Some(b) if gridwalk_protocol::message::template(&b.code).is_some() => {
            let mut m = Message::new(&b.code);
            m.params.clone_from(&b.params);
            m.fields.clone_from(&b.fields);
            m.cause.clone_from(&b.cause);
            m
        }
        Some(b) => Message::verbatim(&b.message),
        None => Message::verbatim(status),
    }
}

fn network(e: reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        msg!(DEVICE_TIMED_OUT)
    } else if let Some(why) = certificate_problem(&e) {
        msg!(DEVICE_UNTRUSTED_CERTIFICATE, detail = why)
    } else if e.is_connect() {
        msg!(DEVICE_NO_CONNECTION)
    } else {
        Message::verbatim(e)
    };
    Error::Network(what)
}

/// What the TLS layer said of the centre's certificate, if that is why the connection
/// failed (the words of the innermost cause that names a certificate).
fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut found = None;
    let mut cause = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.to_ascii_lowercase().contains("certificate") {
            found = Some(text);
        }
        cause = c.source();
    }
    found
}

fn from_status(status: StatusCode, body: Option<ApiError>, request: &PushRequest) -> Error {
    let message = body
        .as_ref()
        .map_or_else(|| status.to_string(), |b| b.message.clone());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
        StatusCode::CONFLICT => match body.as_ref().and_then(|b| b.expected) {
            Some(expected)
                if body
                    .as_ref()
                    .is_some_and(|b| b.error == gridwalk_protocol::sync::NUMBER_REUSED) =>
            {
                match body.as_ref().and_then(|b| b.reused) {
                    Some(from) if from < expected => Error::NumberReused { from, expected },
                    _ => Error::Server(message),
                }
            }
            Some(expected) if request.mutations.first().is_some_and(|m| m.id > expected) => {
                Error::MissingAtCentre { expected }
            }
            // Another key is bound to this device's token: only enrolling it again helps.
            _ if body
                .as_ref()
                .is_some_and(|b| b.error == gridwalk_protocol::signing::KEY_MISMATCH) =>
            {
                Error::Refused(said(status, body.as_ref()))
            }
            _ => Error::Server(message),
        },
        _ => from_answer(status, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_checked() {
        let strict = Transport::default();
        let ok = SyncSettings::new(" https://centre.example/ ", " abc ", &strict).expect("fine");
        assert_eq!(ok.server_url, "https://centre.example");
        assert_eq!(ok.token, "abc");
        for bad in ["centre.example", "https://", "ftp://x", "https://a b"] {
            assert!(SyncSettings::new(bad, "t", &strict).is_err(), "{bad}");
        }
        assert!(SyncSettings::new("https://centre.example", "  ", &strict).is_err());
    }

    #[test]
    fn plain_http_only_to_this_machine_unless_allowed() {
        let strict = Transport::default();
        for here in [
            "http://127.0.0.1:8750",
            "http://127.8.9.10",
            "http://[::1]:8750",
            "http://localhost:8750",
            "http://LOCALHOST",
        ] {
            assert!(SyncSettings::new(here, "t", &strict).is_ok(), "{here}");
        }
        for away in [
            "http://192.168.1.20:8750",
            "http://centre.example",
            "http://[2001:db8::1]",
            "http://localhost.example.com",
            "http://128.0.0.1",
        ] {
            let e = SyncSettings::new(away, "t", &strict).expect_err(away);
            assert_eq!(e.kind(), "insecure", "{away}");
            assert!(e.to_string().contains("unencrypted"), "{e}");
            assert!(!e.is_retryable());
        }
        let allowed = Transport {
            allow_insecure_http: true,
            extra_ca: None,
        };
        assert!(SyncSettings::new("http://192.168.1.20:8750", "t", &allowed).is_ok());

        // A plain address kept while it was allowed is refused before any connection.
        let kept = SyncSettings {
            server_url: "http://192.168.1.20:8750".into(),
            token: "t".into(),
            transport: strict,
        };
        let e = SyncClient::new(&kept).expect_err("refused");
        assert_eq!(e.kind(), "insecure");
    }

    #[test]
    fn uploads_are_followed_only_on_the_centres_origin() {
        let settings = SyncSettings::new("https://centre.example:8443", "t", &Transport::default())
            .expect("settings");
        let client = SyncClient::new(&settings).expect("client");
        let same = reqwest::Url::parse("https://centre.example:8443/v1/uploads/x").expect("a url");
        assert!(client.same_origin(&same).is_ok());
        for other in [
            "https://elsewhere.example:8443/v1/uploads/x",
            "http://centre.example:8443/v1/uploads/x",
            "https://centre.example:9443/v1/uploads/x",
            "https://centre.example/v1/uploads/x",
        ] {
            let e = client
                .same_origin(&reqwest::Url::parse(other).expect("a url"))
                .expect_err(other);
            assert_eq!(e.kind(), "insecure", "{other}");
            assert!(
                client.tus(reqwest::Method::PATCH, other).is_err(),
                "a kept upload address is checked too: {other}"
            );
        }
    }

    #[test]
    fn an_extra_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate\n").expect("written");
        for path in [empty, dir.path().join("missing.pem")] {
            let settings = SyncSettings::new(
                "https://centre.example",
                "t",
                &Transport {
                    allow_insecure_http: false,
                    extra_ca: Some(path.clone()),
                },
            )
            .expect("settings");
            let e = SyncClient::new(&settings).expect_err("no CA");
            assert!(
                e.to_string().contains("ca.pem") || e.to_string().contains("missing.pem"),
                "{e}"
            );
        }
    }
}
