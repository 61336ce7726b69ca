//! `GET /v1/me`: who a device token belongs to, so the app can sign its inspector in; and
//! `POST /v1/device/key`: the device's signing key, bound to its enrollment.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use gridwalk_protocol::{ApiError, DeviceKey, Profile};

use super::AppJson;
use crate::AppState;
use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::services::intake;

/// The device's user as the centre knows them: name, cells, badge, camera.
#[utoipa::path(get, path = "/v1/me", tag = "sync", security(("device" = [])),
    responses(
        (status = 200, description = "The device and the person it is enrolled for", body = Profile),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
    ))]
pub(crate) async fn me(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
) -> Result<Json<Profile>, AppError> {
    intake::profile(&state, &device).await.map(Json)
}

/// Binds the device's Ed25519 public key to its enrollment (trust on first use): the same
/// key again is answered as before; another is refused until the device is enrolled again.
#[utoipa::path(post, path = "/v1/device/key", tag = "sync", security(("device" = [])),
    request_body = DeviceKey,
    responses(
        (status = 200, description = "This key is the device's", body = DeviceKey),
        (status = 400, description = "Not an Ed25519 public key in base64", body = ApiError),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
        (status = 409, description = "Another key is bound to this device; enroll it again", body = ApiError),
    ))]
pub(crate) async fn device_key(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    AppJson(req): AppJson<DeviceKey>,
) -> Result<Json<DeviceKey>, AppError> {
    intake::bind(&state, &device, &req.public_key, Utc::now()).await?;
    Ok(Json(DeviceKey {
        public_key: req.public_key.trim().to_owned(),
    }))
}
