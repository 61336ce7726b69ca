//! The HTTP side of sync: one `reqwest` client (rustls, no OpenSSL, so the same code builds
//! for Android), and the mapping from what the network or server said to an engine error
//! whose words an inspector can act on.

use std::time::Duration;

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

/// Where this device syncs: the centre's address and this device's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub server_url: String,
    pub token: String,
}

impl SyncSettings {
    /// The server address and token as they will be stored (trimmed, without a trailing
    /// slash), or why they cannot be.
    pub fn new(server_url: &str, token: &str) -> Result<Self> {
        let url = server_url.trim().trim_end_matches('/');
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        else {
            return Err(Error::Refused(format!(
                "{server_url:?} is not a server address (it should start with https://)"
            )));
        };
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(Error::Refused(format!(
                "{server_url:?} is not a server address (it should start with https://)"
            )));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::Refused("the device token is empty".into()));
        }
        Ok(Self {
            server_url: url.to_owned(),
            token: token.to_owned(),
        })
    }
}

/// A connection to one sync server with one device token.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
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
    /// A client for `settings`, with timeouts suited to a slow mobile uplink.
    pub fn new(settings: &SyncSettings) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("gridwalk-field/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok(Self {
            http,
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

    fn tus(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(&self.token)
            .header(h::TUS_RESUMABLE, tus::VERSION)
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
            .tus(reqwest::Method::POST, &format!("{}/v1/uploads/", self.base))
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
            .map_err(|e| Error::Server(format!("upload Location {location:?}: {e}")))?
            .to_string();
        Ok((url, offset(resp.headers())?))
    }

    /// Asks how many bytes of an upload the server holds (tus `HEAD`).
    pub async fn upload_state(&self, url: &str) -> Result<UploadState> {
        let resp = self
            .tus(reqwest::Method::HEAD, url)
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
            .tus(reqwest::Method::PATCH, url)
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

fn offset(headers: &HeaderMap) -> Result<u64> {
    headers
        .get(h::UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Server("the answer has no Upload-Offset".into()))
        .and_then(|v| tus::parse_size("Upload-Offset", v).map_err(Error::Server))
}

/// An error answer that is not about mutation numbers.
fn from_answer(status: StatusCode, body: Option<ApiError>) -> Error {
    let message = body.map_or_else(|| status.to_string(), |b| b.message);
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
        // Busy, or this device is asking too fast: it goes through in a later round.
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => Error::Server(message),
        _ => Error::Refused(message),
    }
}

fn network(e: reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        "the connection timed out".to_owned()
    } else if e.is_connect() {
        "no connection".to_owned()
    } else {
        e.to_string()
    };
    Error::Network(what)
}

fn from_status(status: StatusCode, body: Option<ApiError>, request: &PushRequest) -> Error {
    let message = body
        .as_ref()
        .map_or_else(|| status.to_string(), |b| b.message.clone());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
        StatusCode::CONFLICT => match body.as_ref().and_then(|b| b.expected) {
            Some(expected) if request.mutations.first().is_some_and(|m| m.id > expected) => {
                Error::MissingAtCentre { expected }
            }
            // Another key is bound to this device's token: only enrolling it again helps.
            _ if body
                .as_ref()
                .is_some_and(|b| b.error == gridwalk_protocol::signing::KEY_MISMATCH) =>
            {
                Error::Refused(message)
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
        let ok = SyncSettings::new(" https://centre.example/ ", " abc ").expect("fine");
        assert_eq!(ok.server_url, "https://centre.example");
        assert_eq!(ok.token, "abc");
        for bad in ["centre.example", "https://", "ftp://x", "https://a b"] {
            assert!(SyncSettings::new(bad, "t").is_err(), "{bad}");
        }
        assert!(SyncSettings::new("https://centre.example", "  ").is_err());
    }
}
