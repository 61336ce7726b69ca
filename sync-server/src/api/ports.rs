//! The intake API for the centre's other ports (the 12345 and 12319 hotlines, 110/119,
//! WeChat, the public page, leaders' instructions, video analysis): file a report exactly
//! once, ask how it stands, upload its photos over tus (`/v1/uploads/`, as a tablet does),
//! and register a callback that hears every step. A port authenticates with its service
//! account's token (`gridwalk-sync admin port-token`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use gridwalk_protocol::intake::{
    CallbackInfo, CallbackSetting, Deliveries, IntakeAnswer, IntakeRequest,
};
use gridwalk_protocol::{ApiError, ReportId};
use serde::Deserialize;

use super::{AppJson, AppPath, AppQuery};
use crate::AppState;
use crate::auth::PortAuth;
use crate::domain::ports::Filed;
use crate::error::AppError;
use crate::services::ports;

/// The header a repeated call's answer carries.
pub const REPLAYED: &str = "idempotent-replayed";

/// The answer to a call made again with its key: what the first made, as it stands now
/// (`200`, `Idempotent-Replayed: true`).
pub(crate) fn replayed(answer: impl serde::Serialize) -> Response {
    let mut r = Json(answer).into_response();
    r.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    r
}

/// File a report from another port. Send the same `Idempotency-Key` on every retry of one
/// call: a retry gets the first call's report (200, `Idempotent-Replayed: true`), never a
/// second one. The report waits for the inspector of its cell to check it on site (核实).
#[utoipa::path(post, path = "/v1/intake/reports", tag = "intake", security(("port" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 255 printable ASCII characters, the same on every retry of this call")),
    request_body = IntakeRequest,
    responses(
        (status = 201, description = "A new report, waiting for its on-site check", body = IntakeAnswer),
        (status = 200, description = "The same call again: the report it made, as it stands now", body = IntakeAnswer),
        (status = 400, description = "No or a bad Idempotency-Key, or the report is not valid (every field's problem named)", body = ApiError),
        (status = 401, description = "Missing or unknown token", body = ApiError),
        (status = 403, description = "The token is not a port's (service account's)", body = ApiError),
        (status = 409, description = "This port already filed this caller_ref; `message` names the report", body = ApiError),
        (status = 422, description = "The Idempotency-Key was used for another request", body = ApiError),
    ))]
pub(crate) async fn file(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
    headers: HeaderMap,
    AppJson(req): AppJson<IntakeRequest>,
) -> Result<Response, AppError> {
    let keys = headers.get_all("idempotency-key").iter().count();
    if keys > 1 {
        return Err(AppError::BadRequest(gridwalk_protocol::message::msg!(
            KEY_TWICE,
            n = keys
        )));
    }
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{1}"));
    Ok(
        match ports::file(&state, &port, key, &req, Utc::now()).await? {
            Filed::Made(a) => (StatusCode::CREATED, Json(a)).into_response(),
            Filed::Replayed(a) => replayed(a),
            // Answered as errors by the service.
            Filed::KeyReused { .. } | Filed::CallerRefTaken { .. } => {
                return Err(AppError::Internal("a refusal was not answered".into()));
            }
        },
    )
}

/// One of this port's reports, as it stands.
#[utoipa::path(get, path = "/v1/intake/reports/{id}", tag = "intake", security(("port" = [])),
    params(("id" = String, Path, description = "The report's ID, from the filing's answer")),
    responses(
        (status = 200, description = "The report now", body = IntakeAnswer),
        (status = 404, description = "No report of this port has this ID", body = ApiError),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
    AppPath(id): AppPath<ReportId>,
) -> Result<Json<IntakeAnswer>, AppError> {
    ports::report(&state, &port, id).await.map(Json)
}

/// Where this port hears how its reports fare.
#[utoipa::path(get, path = "/v1/intake/callback", tag = "intake", security(("port" = [])),
    responses((status = 200, description = "The callback registered, if any (never its secret)", body = CallbackInfo)))]
pub(crate) async fn callback(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
) -> Result<Json<CallbackInfo>, AppError> {
    ports::callback(&state, &port).await.map(Json)
}

/// Register the callback: every step of this port's reports (from now on) is POSTed to it
/// as a `Progress`, signed `X-Gridwalk-Signature: sha256=<hex HMAC-SHA256 of the body under
/// the secret>` and numbered `X-Gridwalk-Delivery`; any 2xx takes it, anything else is
/// tried again later (1, 2, 4 … minutes, up to 12 attempts). One report's steps arrive in
/// order.
#[utoipa::path(put, path = "/v1/intake/callback", tag = "intake", security(("port" = [])),
    request_body = CallbackSetting,
    responses(
        (status = 200, description = "Registered", body = CallbackInfo),
        (status = 400, description = "Not an http(s) URL, or the secret is not 16 to 256 characters", body = ApiError),
    ))]
pub(crate) async fn set_callback(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
    AppJson(setting): AppJson<CallbackSetting>,
) -> Result<Json<CallbackInfo>, AppError> {
    ports::set_callback(&state, &port, Some(setting))
        .await
        .map(Json)
}

/// Stop the callbacks (deliveries already queued are still tried).
#[utoipa::path(delete, path = "/v1/intake/callback", tag = "intake", security(("port" = [])),
    responses((status = 200, description = "No callback now", body = CallbackInfo)))]
pub(crate) async fn remove_callback(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
) -> Result<Json<CallbackInfo>, AppError> {
    ports::set_callback(&state, &port, None).await.map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveriesQuery {
    /// How many, newest first (1 to 500; 50 when absent).
    limit: Option<u32>,
}

/// This port's delivery log: each step sent to the callback, its attempts and how the
/// last one went.
#[utoipa::path(get, path = "/v1/intake/deliveries", tag = "intake", security(("port" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "Newest first", body = Deliveries),
        (status = 400, description = "limit out of range", body = ApiError),
    ))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    PortAuth(port): PortAuth,
    AppQuery(q): AppQuery<DeliveriesQuery>,
) -> Result<Json<Deliveries>, AppError> {
    ports::deliveries(state.store.as_ref(), Some(port.user), q.limit)
        .await
        .map(Json)
}
