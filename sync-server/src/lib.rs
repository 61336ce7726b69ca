//! The Gridwalk sync server: devices push their outboxes here and the centre's case store
//! receives each report exactly once.
//!
//! - [`store`]: the `CaseStore` trait and its backends (embedded SQLite by default).
//! - [`intake`]: the pure decision for each mutation and the ordered, exactly-once push.
//! - [`auth`]: device tokens (only their SHA-256 is stored) and the `DeviceAuth` extractor.
//! - [`admin`]: loading fixtures and enrolling devices, shared by the CLI and the tests.
//!
//! [`app`] builds the router over an [`AppState`]; handlers are thin: parse, call the
//! domain, map the error.

#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod error;
pub mod intake;
pub mod store;

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use gridwalk_protocol::{PushRequest, PushResponse};

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::store::CaseStore;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn CaseStore>,
}

/// The HTTP API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/push", post(push))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let reports = state.store.report_count().await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "reports": reports }),
    ))
}

async fn push(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, AppError> {
    let Json(req) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    intake::push(state.store.as_ref(), &device, &req, Utc::now())
        .await
        .map(Json)
}
