//! Push and the questions around it.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use chrono::Utc;
use gridwalk_protocol::{PhotoNeedsRequest, PhotoNeedsResponse, PushRequest, PushResponse};

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::{AppState, intake, uploads};

pub(crate) async fn healthz(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, AppError> {
    let reports = state.store.report_count().await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "reports": reports }),
    ))
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(v)| v)
        .map_err(|e| AppError::BadRequest(e.body_text()))
}

pub(crate) async fn push(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, AppError> {
    let req = json_body(body)?;
    intake::push(state.store.as_ref(), &device, &req, Utc::now())
        .await
        .map(Json)
}

pub(crate) async fn photos_needed(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    body: Result<Json<PhotoNeedsRequest>, JsonRejection>,
) -> Result<Json<PhotoNeedsResponse>, AppError> {
    let req = json_body(body)?;
    uploads::needs(state.store.as_ref(), &device, &req)
        .await
        .map(Json)
}
