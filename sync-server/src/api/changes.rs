//! `GET /v1/changes`: the change feed back to devices ([`crate::services::feed`]).

use axum::Json;
use axum::extract::State;
use gridwalk_protocol::{ApiError, ChangesPage};
use serde::Deserialize;

use super::AppQuery;
use crate::AppState;
use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::services::feed;

/// The query of a pull.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesQuery {
    /// The cursor of the last page (none: from the start).
    cursor: Option<String>,
    /// At most this many changes (1 to 1000; 200 if not given).
    limit: Option<usize>,
}

/// What the device's user may see that changed after the cursor, as it is now.
#[utoipa::path(get, path = "/v1/changes", tag = "sync", security(("device" = [])),
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes and the cursor to continue from", body = ChangesPage),
        (status = 400, description = "Not a cursor from this server, or a limit out of range", body = ApiError),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
        (status = 410, description = "`resync`: the cursor cannot continue; pull from the start", body = ApiError),
    ))]
pub(crate) async fn changes(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    AppQuery(q): AppQuery<ChangesQuery>,
) -> Result<Json<ChangesPage>, AppError> {
    feed::page(&state, &device, q.cursor.as_deref(), q.limit)
        .await
        .map(Json)
}
