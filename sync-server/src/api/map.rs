//! `/v1/console/map`, `/v1/console/grid` and `/v1/console/overview`: the city map's reports
//! (a work queue's filter, as points) and grid, and the centre's overview screen. Handlers
//! are thin: authenticate, parse, call [`crate::services::map`], answer.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use gridwalk_protocol::ApiError;
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::map::{CaseMap, GridCells, Overview};
use serde::Deserialize;

use super::AppQuery;
use crate::AppState;
use crate::auth::ConsoleAuth;
use crate::domain::queue;
use crate::error::AppError;
use crate::services::map as service;

/// The map's query: a work queue's filters and order (see [`crate::domain::queue::Ask`]),
/// without its paging.
#[derive(Debug, Deserialize)]
pub(crate) struct MapQuery {
    state: Option<String>,
    street: Option<String>,
    community: Option<String>,
    cell: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    inspector: Option<String>,
    team: Option<String>,
    department: Option<String>,
    urgency: Option<String>,
    source: Option<String>,
    flags: Option<String>,
    due: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    q: Option<String>,
    sort: Option<String>,
}

impl From<MapQuery> for queue::Ask {
    fn from(q: MapQuery) -> Self {
        queue::Ask {
            state: q.state,
            street: q.street,
            community: q.community,
            cell: q.cell,
            kind: q.kind,
            category: q.category,
            component: None,
            inspector: q.inspector,
            team: q.team,
            department: q.department,
            urgency: q.urgency,
            source: q.source,
            flags: q.flags,
            due: q.due,
            from: q.from,
            to: q.to,
            q: q.q,
            sort: q.sort,
            after: None,
            limit: None,
        }
    }
}

/// The city map's reports: every report with a position a work queue's filter matches, as
/// a point (at most 20,000, in the filter's order): a leader's team's, a department's cases,
/// all for an operator.
#[utoipa::path(get, path = "/v1/console/map", tag = "console", security(("console" = [])),
    params(
        ("state" = Option<String>, Query, description = "Comma-separated case states; all if absent"),
        ("street" = Option<String>, Query, description = "A street (街道): the first 9 digits of its cells' codes"),
        ("community" = Option<String>, Query, description = "A community (社区): the first 12 digits"),
        ("cell" = Option<String>, Query, description = "One grid cell: 15 digits"),
        ("kind" = Option<String>, Query, description = "component (部件) or event (事件)"),
        ("category" = Option<String>, Query, description = "A 大类 (2 digits) or 小类 (4 digits)"),
        ("inspector" = Option<String>, Query, description = "The reporting inspector's login"),
        ("team" = Option<String>, Query, description = "The reporting inspector's team (a leader's own only)"),
        ("department" = Option<String>, Query, description = "The department a case is dispatched to (a clerk's own only)"),
        ("urgency" = Option<String>, Query, description = "normal or urgent"),
        ("source" = Option<String>, Query, description = "Where reports come from: inspector, hotline_12345, hotline_12319, police_110, fire_119, wechat, public, leader or video"),
        ("flags" = Option<String>, Query, description = "Comma-separated, all must hold: duplicate, place_disputed, outside_grid, extension_asked (a 延期 request waiting), bounced (回退, waiting for 改派)"),
        ("due" = Option<String>, Query, description = "Open dispatched cases: overdue, or due_soon (within 2 hours)"),
        ("from" = Option<String>, Query, description = "Received at or after (RFC 3339)"),
        ("to" = Option<String>, Query, description = "Received before (RFC 3339)"),
        ("q" = Option<String>, Query, description = "Words that must all be in the description or the address"),
        ("sort" = Option<QueueSort>, Query, description = "Which reports a full map keeps first: waiting (the default), overdue, urgent or newest"),
    ),
    responses(
        (status = 200, description = "The matching reports as points, how many match, and whether the map was cut off", body = CaseMap),
        (status = 400, description = "A filter or order it cannot take, in words", body = ApiError),
    ))]
pub(crate) async fn map(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<MapQuery>,
) -> Result<Json<CaseMap>, AppError> {
    let ask = queue::Ask::from(q);
    Ok(Json(
        service::points(&state, &auth.user, &ask, Utc::now()).await?,
    ))
}

/// The centre's grid cells as GeoJSON, each with its street's and community's names.
#[utoipa::path(get, path = "/v1/console/grid", tag = "console", security(("console" = [])),
    responses((status = 200, description = "A GeoJSON FeatureCollection of the grid's cells, by code", body = GridCells)))]
pub(crate) async fn grid(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<GridCells>, AppError> {
    Ok(Json(service::grid(&state, &auth.user).await?))
}

/// The centre's overview screen (大屏): today's intake and steps, open reports by state and
/// cases by department, what is overdue, and this week's most reported problems, over a
/// leader's team or, for an operator, everything.
#[utoipa::path(get, path = "/v1/console/overview", tag = "console", security(("console" = [])),
    responses(
        (status = 200, description = "The overview's figures, counted now", body = Overview),
        (status = 403, description = "Not a team leader or an operator", body = ApiError),
    ))]
pub(crate) async fn overview(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Overview>, AppError> {
    Ok(Json(
        service::overview(&state, &auth.user, Utc::now()).await?,
    ))
}
