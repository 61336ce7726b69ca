//! `GET /v1/changes`: the change feed back to devices, and `GET /v1/photos/{sha256}`: the
//! photos the feed's tasks name ([`crate::services::feed`]).

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

/// A photo the device's person may see: of a report they made, or have a task on (the
/// department's after-photos of a case they verify, named in the task's `handling_photos`).
#[utoipa::path(get, path = "/v1/photos/{sha256}", tag = "sync", security(("device" = [])),
    params(("sha256" = String, Path, description = "The photo's SHA-256, lower-case hex")),
    responses(
        (status = 200, description = "The photo's bytes (JPEG), checked against its name", content_type = "image/jpeg"),
        (status = 400, description = "Not a SHA-256 in lower-case hex", body = ApiError),
        (status = 401, description = "Missing or unknown device token", body = ApiError),
        (status = 404, description = "No such photo within the device's reach, or its bytes have not arrived", body = ApiError),
    ))]
pub(crate) async fn photo(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    super::AppPath(sha256): super::AppPath<String>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let bytes = feed::photo(&state, &device, &sha256).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}
