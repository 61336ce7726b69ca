//! `GET /v1/me`: who a device token belongs to, so the app can sign its inspector in; and
//! `POST /v1/device/key`: the device's signing key, bound to its enrollment; and
//! `POST /v1/enroll`: a tablet enrolls itself with a one-time code (no token yet).

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use gridwalk_protocol::{ApiError, DeviceKey, Profile};

use gridwalk_protocol::enrollment::{EnrollRequest, Enrolled};

use super::{AppJson, ClientAddr};
use crate::AppState;
use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::services::{admin, intake};

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

/// Redeems a one-time enrollment code (the console's QR code): enrolls the device for the
/// code's inspector with its key bound, and answers its token and profile.
#[utoipa::path(post, path = "/v1/enroll", tag = "sync",
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled: the device's token (shown once) and its inspector", body = Enrolled),
        (status = 400, description = "Not a code, or not an Ed25519 public key in base64", body = ApiError),
        (status = 404, description = "No such code", body = ApiError),
        (status = 409, description = "The code was used already", body = ApiError),
        (status = 410, description = "The code expired", body = ApiError),
        (status = 429, description = "Too many wrong codes from this address", body = ApiError),
    ))]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(req): AppJson<EnrollRequest>,
) -> Result<Json<Enrolled>, AppError> {
    admin::redeem_code(state.store.as_ref(), &req, &address, Utc::now())
        .await
        .map(Json)
}
