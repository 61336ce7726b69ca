//! The HTTP side of sync: one `reqwest` client (rustls, no OpenSSL, so the same code builds
//! for Android), and the mapping from what the network or server said to an engine error
//! whose words an inspector can act on.

use std::time::Duration;

use gridwalk_protocol::{ApiError, PushRequest, PushResponse};
use reqwest::StatusCode;

use crate::error::{Error, Result};
use crate::sync::SyncSettings;

/// A connection to one sync server with one device token.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: String,
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
        })
    }

    /// `POST /v1/push`.
    pub async fn push(&self, request: &PushRequest) -> Result<PushResponse> {
        let resp = self
            .http
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return resp.json().await.map_err(network);
        }
        let body: Option<ApiError> = resp.json().await.ok();
        Err(from_status(status, body, request))
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
        StatusCode::CONFLICT => match body.and_then(|b| b.expected) {
            Some(expected) if request.mutations.first().is_some_and(|m| m.id > expected) => {
                Error::MissingAtCentre { expected }
            }
            _ => Error::Server(message),
        },
        s if s.is_server_error() => Error::Server(message),
        _ => Error::Refused(message),
    }
}
