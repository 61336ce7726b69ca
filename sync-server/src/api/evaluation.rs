//! `/v1/console/evaluation…`: the 考核评价 indicators of a period, grouped by cell,
//! community, street, team, inspector, department or category, as JSON, as CSV, and (by
//! place) as GeoJSON. Exports are named by their grouping and days
//! (`evaluation-inspectors-2026-11-01_2026-11-30.csv`). Handlers are thin: authenticate,
//! parse, call [`crate::services::evaluation`], answer.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gridwalk_protocol::ApiError;
use gridwalk_protocol::console::{Evaluation, GroupBy};
use serde::Deserialize;

use super::AppQuery;
use crate::AppState;
use crate::auth::ConsoleAuth;
use crate::domain::evaluation;
use crate::error::AppError;
use crate::services::evaluation as service;

#[derive(Debug, Deserialize)]
pub(crate) struct EvalQuery {
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// The GeoJSON export's query: the grouping is by cell unless it names another place.
#[derive(Debug, Deserialize)]
pub(crate) struct PlaceQuery {
    by: Option<GroupBy>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

/// The evaluation indicators per group over a period.
#[utoipa::path(get, path = "/v1/console/evaluation", tag = "console", security(("console" = [])),
    params(
        ("by" = GroupBy, Query, description = "cell, community, street, team, inspector, department or category"),
        ("from" = String, Query, description = "Start of the period (RFC 3339)"),
        ("to" = String, Query, description = "End of the period (RFC 3339, exclusive)"),
    ),
    responses(
        (status = 200, description = "The indicators per group and in total", body = Evaluation),
        (status = 400, description = "A bad period or grouping", body = ApiError),
    ))]
pub(crate) async fn evaluation(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<EvalQuery>,
) -> Result<Json<Evaluation>, AppError> {
    let e = service::evaluation(&state, &auth.user, q.by, q.from, q.to, Utc::now()).await?;
    Ok(Json(e))
}

/// The same, as CSV, named `evaluation-<groups>-<first day>_<last day>.csv`.
#[utoipa::path(get, path = "/v1/console/evaluation.csv", tag = "console", security(("console" = [])),
    params(
        ("by" = GroupBy, Query, description = "cell, community, street, team, inspector, department or category"),
        ("from" = String, Query, description = "Start of the period (RFC 3339)"),
        ("to" = String, Query, description = "End of the period (RFC 3339, exclusive)"),
    ),
    responses(
        (status = 200, description = "The indicators as CSV (UTF-8 with BOM)", content_type = "text/csv"),
        (status = 400, description = "A bad period or grouping", body = ApiError),
    ))]
pub(crate) async fn evaluation_csv(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<EvalQuery>,
) -> Result<Response, AppError> {
    let e = service::evaluation(&state, &auth.user, q.by, q.from, q.to, Utc::now()).await?;
    let name = service::file_name(&state, &e, "csv").await;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
        ],
        evaluation::to_csv(&e.rows, &e.total, e.by),
    )
        .into_response())
}

/// By cell, community or street as GeoJSON: each place's outline with its indicators.
#[utoipa::path(get, path = "/v1/console/evaluation.geojson", tag = "console", security(("console" = [])),
    params(
        ("by" = Option<GroupBy>, Query, description = "cell (the default), community or street"),
        ("from" = String, Query, description = "Start of the period (RFC 3339)"),
        ("to" = String, Query, description = "End of the period (RFC 3339, exclusive)"),
    ),
    responses(
        (status = 200, description = "Each place's outline with its indicators", content_type = "application/geo+json"),
        (status = 400, description = "A bad period, or a grouping that is not by place", body = ApiError),
    ))]
pub(crate) async fn evaluation_geojson(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<PlaceQuery>,
) -> Result<Response, AppError> {
    let by = q.by.unwrap_or(GroupBy::Cell);
    let (e, doc) =
        service::evaluation_geojson(&state, &auth.user, by, q.from, q.to, Utc::now()).await?;
    let name = service::file_name(&state, &e, "geojson").await;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
        ],
        doc.to_string(),
    )
        .into_response())
}
