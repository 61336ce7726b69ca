//! The HTTP API: which path goes to which handler.
//!
//! - `GET /healthz`, `GET /openapi.json` ([`openapi`])
//! - `POST /v1/push`: a device's outbox, in order ([`push`]).
//! - `POST /v1/photos/needed`: which photos the centre still needs ([`push`]).
//! - `/v1/uploads/`: tus 1.0.0 ([`tus`]).
//! - `GET /v1/changes`: the change feed back to devices ([`changes`]).
//! - `GET /v1/me`: who the device's token belongs to ([`me`]).
//! - `/v1/console/…`: the console's JSON API: sign-in, review, the case loop, devices,
//!   intake health, conflicts, evaluation ([`console`]).
//! - `/console/`: the console's pages, built from `ui/` ([`pages`]).

pub mod changes;
pub mod console;
pub mod me;
pub mod openapi;
pub mod pages;
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
        .route(
            "/v1/console/session",
            post(console::sign_in).delete(console::sign_out),
        )
        .route("/v1/console/me", get(console::me))
        .route("/v1/console/departments", get(console::departments))
        .route("/v1/console/code-tables", get(console::code_tables))
        .route("/v1/console/reports", get(console::reports))
        .route("/v1/console/reports/{id}", get(console::report))
        .route("/v1/console/reports/{id}/actions", post(console::act))
        .route("/v1/console/photos/{sha256}", get(console::photo))
        .route("/v1/console/devices", get(console::devices))
        .route("/v1/console/health", get(console::health))
        .route("/v1/console/conflicts", get(console::conflicts))
        .route("/v1/console/conflicts/{id}/resolve", post(console::resolve))
        .route("/v1/console/evaluation", get(console::evaluation))
        .route("/v1/console/evaluation.csv", get(console::evaluation_csv))
        .route(
            "/v1/console/evaluation.geojson",
            get(console::evaluation_geojson),
        )
        .merge(tus::routes())
        .with_state(state)
}
