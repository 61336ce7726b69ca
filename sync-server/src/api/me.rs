//! `GET /v1/me`: who a device token belongs to, so the app can sign its inspector in.

use axum::Json;
use axum::extract::State;
use gridwalk_protocol::{ApiError, Profile};

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
