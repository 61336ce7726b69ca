//! Push and the questions around it.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use gridwalk_protocol::{
    ApiError, PhotoNeedsRequest, PhotoNeedsResponse, PushRequest, PushResponse,
};

use super::AppJson;
use crate::AppState;
use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::services::{intake, uploads};

/// Liveness and a count of the reports held.
#[utoipa::path(get, path = "/healthz", tag = "server",
    responses((status = 200, description = "The server and its case store answer", body = Object)))]
pub(crate) async fn healthz(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, AppError> {
    let reports = intake::held(&state).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "reports": reports }),
    ))
}

/// A device's outbox, in order; each mutation applied exactly once.
#[utoipa::path(post, path = "/v1/push", tag = "sync", security(("device" = [])),
    request_body = PushRequest,
    responses(
        (status = 200, description = "One result per mutation, in order", body = PushResponse),
        (status = 400, description = "Not a push, or the batch is not consecutive", body = ApiError),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
        (status = 403, description = "The token belongs to another device", body = ApiError),
        (status = 409, description = "The batch skips ahead; `expected` names the next number", body = ApiError),
    ))]
pub(crate) async fn push(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    AppJson(req): AppJson<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    intake::push(&state, &device, &req, Utc::now())
        .await
        .map(Json)
}

/// Which of these photos the centre still needs from this device.
#[utoipa::path(post, path = "/v1/photos/needed", tag = "sync", security(("device" = [])),
    request_body = PhotoNeedsRequest,
    responses(
        (status = 200, description = "One answer per photo, in order", body = PhotoNeedsResponse),
        (status = 400, description = "More than 1000 photos, or not a question", body = ApiError),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
    ))]
pub(crate) async fn photos_needed(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    AppJson(req): AppJson<PhotoNeedsRequest>,
) -> Result<Json<PhotoNeedsResponse>, AppError> {
    uploads::needs(&state, &device, &req).await.map(Json)
}
