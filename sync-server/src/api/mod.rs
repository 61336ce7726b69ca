//! The HTTP API: which path goes to which handler.
//!
//! - `GET /healthz`, `GET /openapi.json` ([`openapi`])
//! - `POST /v1/push`: a device's outbox, in order ([`push`]).
//! - `POST /v1/photos/needed`: which photos the centre still needs ([`push`]).
//! - `/v1/uploads/`: tus 1.0.0 ([`tus`]).
//! - `GET /v1/changes`: the change feed back to devices ([`changes`]).
//! - `GET /v1/me`: who the device's token belongs to ([`me`]).

pub mod changes;
pub mod me;
pub mod openapi;
pub mod push;
pub mod tus;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The whole HTTP API over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(push::healthz))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/v1/push", post(push::push))
        .route("/v1/photos/needed", post(push::photos_needed))
        .route("/v1/changes", get(changes::changes))
        .route("/v1/me", get(me::me))
        .merge(tus::routes())
        .with_state(state)
}
