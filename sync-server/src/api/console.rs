//! `/v1/console/…`: the JSON API the console's pages use (and any other client may).
//! Handlers are thin: authenticate, parse, call [`crate::services::console`], answer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    Account, ActionAnswer, ActionRequest, AuditEntry, Department, DeviceRow, EnrolledDevice,
    ImportAnswer, ImportKind, IntakeHealth, MergeAnswer, MergeRequest, NewPassword, OpenConflict,
    Person, QueueSort, ReportDetail, ReportPage, Resolve, Session, SignIn, Team,
};
use gridwalk_protocol::enrollment::{CodeRequest, EnrollmentCode};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{ApiError, DeviceId, ReportId};
use serde::Deserialize;
use uuid::Uuid;

use super::{AppJson, AppPath, AppQuery, ClientAddr};
use crate::AppState;
use crate::auth::{ConsoleAuth, SESSION_COOKIE, SESSION_HOURS};
use crate::domain::queue;
use crate::error::AppError;
use crate::services::admin::{self, Actor};
use crate::services::console;

fn cookie(value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sign in with a login and password.
#[utoipa::path(post, path = "/v1/console/session", tag = "console", request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the token also comes as an HTTP-only cookie", body = Session),
        (status = 401, description = "The login or the password is wrong", body = ApiError),
        (status = 403, description = "Inspectors use the app, not the console", body = ApiError),
        (status = 429, description = "Too many failed sign-ins for this login or from this address", body = ApiError),
    ))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(req): AppJson<SignIn>,
) -> Result<Response, AppError> {
    let session = console::sign_in(&state, &req.login, &req.password, &address, Utc::now()).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie(&session.token, SESSION_HOURS * 3600),
    );
    Ok((headers, Json::<Session>(session)).into_response())
}

/// Sign out: the session ends.
#[utoipa::path(delete, path = "/v1/console/session", tag = "console", security(("console" = [])),
    responses((status = 204, description = "The session has ended")))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Response, AppError> {
    console::sign_out(&state, &auth.session).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie("", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Who is signed in.
#[utoipa::path(get, path = "/v1/console/me", tag = "console", security(("console" = [])),
    responses(
        (status = 200, description = "Who is signed in", body = Person),
        (status = 401, description = "No live session", body = ApiError),
    ))]
pub(crate) async fn me(auth: ConsoleAuth) -> Json<Person> {
    Json(auth.user.person())
}

/// The departments cases are dispatched to.
#[utoipa::path(get, path = "/v1/console/departments", tag = "console", security(("console" = [])),
    responses((status = 200, description = "The departments of the case rules", body = [Department])))]
pub(crate) async fn departments(
    State(state): State<AppState>,
    _auth: ConsoleAuth,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(console::departments(&state).await?))
}

/// The query of a work queue; see [`crate::domain::queue::Ask`] for each parameter.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    state: Option<String>,
    street: Option<String>,
    community: Option<String>,
    cell: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    component: Option<String>,
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
    after: Option<String>,
    limit: Option<usize>,
}

impl From<ListQuery> for queue::Ask {
    fn from(q: ListQuery) -> Self {
        queue::Ask {
            state: q.state,
            street: q.street,
            community: q.community,
            cell: q.cell,
            kind: q.kind,
            category: q.category,
            component: q.component,
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
            after: q.after,
            limit: q.limit,
        }
    }
}

/// The teams the signed-in person may name and filter by, each named after its leaders
/// with its people: a leader's own, every team for an operator or an administrator.
#[utoipa::path(get, path = "/v1/console/teams", tag = "console", security(("console" = [])),
    responses((status = 200, description = "The teams, by code, with their names and people", body = [Team])))]
pub(crate) async fn teams(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Vec<Team>>, AppError> {
    Ok(Json(console::teams(&state, &auth.user).await?))
}

/// The code tables the centre holds, as loaded (category names for the pages).
#[utoipa::path(get, path = "/v1/console/code-tables", tag = "console", security(("console" = [])),
    responses((status = 200, description = "Every code table file, as loaded", body = [Object])))]
pub(crate) async fn code_tables(
    State(state): State<AppState>,
    _auth: ConsoleAuth,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    Ok(Json(console::code_tables(&state).await?))
}

/// A city component (部件) as the centre holds it; its reports are the work queue's with
/// `component=ID`.
#[utoipa::path(get, path = "/v1/console/components/{id}", tag = "console", security(("console" = [])),
    params(("id" = String, Path, description = "The component's 16-digit ID (部件编码)")),
    responses(
        (status = 200, description = "The component", body = gridwalk_protocol::ComponentInfo),
        (status = 400, description = "Not a 16-digit ID", body = ApiError),
        (status = 404, description = "Not on the city's books (never imported, or retired)", body = ApiError),
    ))]
pub(crate) async fn component(
    State(state): State<AppState>,
    _auth: ConsoleAuth,
    AppPath(id): AppPath<String>,
) -> Result<Json<gridwalk_protocol::ComponentInfo>, AppError> {
    Ok(Json(console::component(&state, &id).await?))
}

/// A work queue, a page at a time: a leader sees their team's reports, a department its
/// cases, an operator all.
#[utoipa::path(get, path = "/v1/console/reports", tag = "console", security(("console" = [])),
    params(
        ("state" = Option<String>, Query, description = "Comma-separated case states; all if absent"),
        ("street" = Option<String>, Query, description = "A street (街道): the first 9 digits of its cells' codes"),
        ("community" = Option<String>, Query, description = "A community (社区): the first 12 digits"),
        ("cell" = Option<String>, Query, description = "One grid cell: 15 digits"),
        ("kind" = Option<String>, Query, description = "component (部件) or event (事件)"),
        ("category" = Option<String>, Query, description = "A 大类 (2 digits) or 小类 (4 digits)"),
        ("component" = Option<String>, Query, description = "Reports naming this component (its 16-digit ID)"),
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
        ("sort" = Option<QueueSort>, Query, description = "waiting (oldest waiting first, the default), overdue, urgent or newest"),
        ("after" = Option<String>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<usize>, Query, description = "Reports on a page, 1 to 200 (default 50)"),
    ),
    responses(
        (status = 200, description = "One page, where the next starts, and how many match (counted up to 10,000 on the first page; the pages after it carry that count)", body = ReportPage),
        (status = 400, description = "A filter, order or cursor it cannot take, in words", body = ApiError),
    ))]
pub(crate) async fn reports(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<ReportPage>, AppError> {
    let ask = queue::Ask::from(q);
    Ok(Json(
        console::reports(&state, &auth.user, &ask, Utc::now()).await?,
    ))
}

/// One report's whole story.
#[utoipa::path(get, path = "/v1/console/reports/{id}", tag = "console", security(("console" = [])),
    params(("id" = String, Path, description = "The report's ID")),
    responses(
        (status = 200, description = "The report with its versions, steps, tasks, conflicts and related reports", body = ReportDetail),
        (status = 403, description = "Another team's report", body = ApiError),
        (status = 404, description = "No such report", body = ApiError),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(id): AppPath<ReportId>,
) -> Result<Json<ReportDetail>, AppError> {
    Ok(Json(
        console::detail(&state, &auth.user, id, Utc::now()).await?,
    ))
}

/// One step of the case loop: review (approve, return, reject, merge), dispatch and
/// re-dispatch, the department's accept, handled, send back and ask for more time, the
/// operator's decision on it, suspend and resume, void, special closure, and the leader's
/// check of a case fixed on the spot; each as the person's role and the case's state allow.
#[utoipa::path(post, path = "/v1/console/reports/{id}/actions", tag = "console", security(("console" = [])),
    params(("id" = String, Path, description = "The report's ID")),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "Done; where the report stands now", body = ActionAnswer),
        (status = 400, description = "Not an action, an unknown department, a blank 处置说明, or a text too long", body = ApiError),
        (status = 403, description = "Another team's report, another department's case, or an act the role may not take", body = ApiError),
        (status = 409, description = "Refused in words: out of turn, someone acted first (the state or the department changed), a reason missing, more hours than a 延期 may ask, a 缓办 date out of range", body = ApiError),
    ))]
pub(crate) async fn act(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(id): AppPath<ReportId>,
    AppJson(req): AppJson<ActionRequest>,
) -> Result<Json<ActionAnswer>, AppError> {
    console::act(&state, &auth.user, id, req, Utc::now())
        .await
        .map(Json)
}

/// Merge a cluster of reports of one problem into one, all or none.
#[utoipa::path(post, path = "/v1/console/reports/merge", tag = "console", security(("console" = [])),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "Every report named was merged into the target", body = MergeAnswer),
        (status = 400, description = "No report named, too many, or one named twice", body = ApiError),
        (status = 403, description = "A report or the target is another team's", body = ApiError),
        (status = 404, description = "A report named does not exist", body = ApiError),
        (status = 409, description = "Refused in words, nothing merged: one report moved on since it was seen, or cannot be merged", body = ApiError),
    ))]
pub(crate) async fn merge(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppJson(req): AppJson<MergeRequest>,
) -> Result<Json<MergeAnswer>, AppError> {
    console::merge(&state, &auth.user, req, Utc::now())
        .await
        .map(Json)
}

/// A photo's bytes, by its SHA-256.
#[utoipa::path(get, path = "/v1/console/photos/{sha256}", tag = "console", security(("console" = [])),
    params(("sha256" = String, Path, description = "The photo's lower-case hex SHA-256")),
    responses(
        (status = 200, description = "The photo (JPEG)", content_type = "image/jpeg"),
        (status = 404, description = "Not arrived", body = ApiError),
    ))]
pub(crate) async fn photo(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(sha256): AppPath<String>,
) -> Result<Response, AppError> {
    Ok(jpeg(console::photo(&state, &auth.user, &sha256).await?))
}

/// A JPEG named by its content's hash: the same bytes for good, for this person's browser
/// only.
fn jpeg(bytes: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A photo's thumbnail for the lists: a small JPEG made from the photo and kept.
#[utoipa::path(get, path = "/v1/console/photos/{sha256}/thumb", tag = "console", security(("console" = [])),
    params(("sha256" = String, Path, description = "The photo's lower-case hex SHA-256")),
    responses(
        (status = 200, description = "A JPEG of at most 240 pixels a side", content_type = "image/jpeg"),
        (status = 404, description = "Not arrived", body = ApiError),
    ))]
pub(crate) async fn thumb(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(sha256): AppPath<String>,
) -> Result<Response, AppError> {
    Ok(jpeg(console::thumbnail(&state, &auth.user, &sha256).await?))
}

/// A stream of server-sent events, `changed` with the centre's change mark whenever
/// reports, cases or tasks change (the first at once): a console reads its lists again.
/// Each stream lasts about 25 s and asks the browser to reconnect after a second.
#[utoipa::path(get, path = "/v1/console/events", tag = "console", security(("console" = [])),
    responses(
        (status = 200, description = "Server-sent events: `changed`, data the change mark", content_type = "text/event-stream"),
        (status = 401, description = "No live session", body = ApiError),
    ))]
pub(crate) async fn events(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Response, AppError> {
    use futures_util::StreamExt;
    let marks = console::watch(&state, &auth.user).await?;
    let events = marks.map(|mark| {
        Ok::<_, std::convert::Infallible>(
            Event::default()
                .event("changed")
                .data(mark.to_string())
                .retry(std::time::Duration::from_secs(1)),
        )
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Every device, its owner, when it was last heard from and what it still holds.
#[utoipa::path(get, path = "/v1/console/devices", tag = "console", security(("console" = [])),
    responses((status = 200, description = "Every device: owner, last sync, what it still holds", body = [DeviceRow])))]
pub(crate) async fn devices(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Vec<DeviceRow>>, AppError> {
    Ok(Json(console::devices(&state, &auth.user).await?))
}

/// How intake is going.
#[utoipa::path(get, path = "/v1/console/health", tag = "console", security(("console" = [])),
    responses((status = 200, description = "How intake is going", body = IntakeHealth)))]
pub(crate) async fn health(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<IntakeHealth>, AppError> {
    Ok(Json(console::health(&state, &auth.user).await?))
}

/// Conflicts waiting for an operator.
#[utoipa::path(get, path = "/v1/console/conflicts", tag = "console", security(("console" = [])),
    responses((status = 200, description = "Conflicts waiting for an operator, oldest first, each with its report and the device's model", body = [OpenConflict])))]
pub(crate) async fn conflicts(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Vec<OpenConflict>>, AppError> {
    Ok(Json(console::conflicts(&state, &auth.user).await?))
}

/// Resolve a conflict: the report's next version takes the chosen values.
#[utoipa::path(post, path = "/v1/console/conflicts/{id}/resolve", tag = "console", security(("console" = [])),
    params(("id" = String, Path, description = "The conflict's ID")),
    request_body = Resolve,
    responses(
        (status = 200, description = "Resolved: the report's new version", body = Object),
        (status = 400, description = "A field missing, not in the conflict, or a value it cannot take", body = ApiError),
        (status = 403, description = "Only operators resolve conflicts", body = ApiError),
        (status = 409, description = "Already resolved, or the report changed meanwhile", body = ApiError),
    ))]
pub(crate) async fn resolve(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<Resolve>,
) -> Result<Json<serde_json::Value>, AppError> {
    let version = console::resolve(&state, &auth.user, id, &req, Utc::now()).await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// Everyone: what they may do, and whether they are disabled (administrators).
#[utoipa::path(get, path = "/v1/console/admin/users", tag = "admin", security(("console" = [])),
    responses(
        (status = 200, description = "Every person, by login", body = [Account]),
        (status = 403, description = "Only administrators manage people", body = ApiError),
    ))]
pub(crate) async fn admin_users(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Vec<Account>>, AppError> {
    Ok(Json(
        admin::accounts(state.store.as_ref(), Actor::Person(&auth.user)).await?,
    ))
}

/// Every enrolled device, with its inspector, and whether it is revoked (administrators).
#[utoipa::path(get, path = "/v1/console/admin/devices", tag = "admin", security(("console" = [])),
    responses(
        (status = 200, description = "Every enrolled device", body = [EnrolledDevice]),
        (status = 403, description = "Only administrators manage devices", body = ApiError),
    ))]
pub(crate) async fn admin_devices(
    State(state): State<AppState>,
    auth: ConsoleAuth,
) -> Result<Json<Vec<EnrolledDevice>>, AppError> {
    Ok(Json(
        admin::devices(state.store.as_ref(), Actor::Person(&auth.user)).await?,
    ))
}

/// A one-time enrollment code for an inspector's tablet, as text and as a QR code (an
/// administrator for anyone, a team leader for their own team's inspectors).
#[utoipa::path(post, path = "/v1/console/enrollment-codes", tag = "console", security(("console" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "The code, shown once; only its hash is kept", body = EnrollmentCode),
        (status = 400, description = "No address a tablet can reach, or minutes out of bounds", body = ApiError),
        (status = 403, description = "Not an administrator or the inspector's team leader, not an inspector, or disabled", body = ApiError),
        (status = 404, description = "No such person", body = ApiError),
    ))]
pub(crate) async fn enrollment_code(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppJson(req): AppJson<CodeRequest>,
) -> Result<Json<EnrollmentCode>, AppError> {
    Ok(Json(
        admin::enrollment_code(
            state.store.as_ref(),
            Actor::Person(&auth.user),
            &req,
            Utc::now(),
        )
        .await?,
    ))
}

/// Revoke a device: its token stops working at once (a lost or retired tablet).
#[utoipa::path(post, path = "/v1/console/admin/devices/{id}/revoke", tag = "admin", security(("console" = [])),
    params(("id" = String, Path, description = "The device's ID")),
    responses(
        (status = 204, description = "Revoked; recorded in the audit trail"),
        (status = 403, description = "Only administrators manage devices", body = ApiError),
        (status = 404, description = "No such device is enrolled", body = ApiError),
    ))]
pub(crate) async fn revoke_device(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(id): AppPath<DeviceId>,
) -> Result<StatusCode, AppError> {
    admin::revoke_device_as(state.store.as_ref(), Actor::Person(&auth.user), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable a person: their devices and console sessions stop working at once.
#[utoipa::path(post, path = "/v1/console/admin/users/{login}/disable", tag = "admin", security(("console" = [])),
    params(("login" = String, Path, description = "The person's login")),
    responses(
        (status = 204, description = "Disabled; recorded in the audit trail"),
        (status = 403, description = "Only administrators manage people", body = ApiError),
        (status = 404, description = "No such person", body = ApiError),
        (status = 409, description = "You cannot disable yourself", body = ApiError),
    ))]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(login): AppPath<String>,
) -> Result<StatusCode, AppError> {
    admin::disable_user_as(state.store.as_ref(), Actor::Person(&auth.user), &login).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enable a disabled person again.
#[utoipa::path(post, path = "/v1/console/admin/users/{login}/enable", tag = "admin", security(("console" = [])),
    params(("login" = String, Path, description = "The person's login")),
    responses(
        (status = 204, description = "Enabled; recorded in the audit trail"),
        (status = 403, description = "Only administrators manage people", body = ApiError),
        (status = 404, description = "No such person", body = ApiError),
    ))]
pub(crate) async fn enable_user(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(login): AppPath<String>,
) -> Result<StatusCode, AppError> {
    admin::enable_user_as(state.store.as_ref(), Actor::Person(&auth.user), &login).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a person's console password; their sessions end.
#[utoipa::path(post, path = "/v1/console/admin/users/{login}/password", tag = "admin", security(("console" = [])),
    params(("login" = String, Path, description = "The person's login")),
    request_body = NewPassword,
    responses(
        (status = 204, description = "Set; recorded in the audit trail"),
        (status = 400, description = "Too short or too long, or an inspector (who has no console)", body = ApiError),
        (status = 403, description = "Only administrators manage people", body = ApiError),
        (status = 404, description = "No such person", body = ApiError),
    ))]
pub(crate) async fn set_password(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppPath(login): AppPath<String>,
    AppJson(req): AppJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    admin::set_password_as(
        state.store.as_ref(),
        Actor::Person(&auth.user),
        &login,
        &req.password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// grid, components, codes or people.
    what: ImportKind,
    /// The file's name (its extension says how to read it: .geojson, .gpkg, a .zip of a
    /// Shapefile's parts; .csv, .xlsx).
    name: String,
    /// Check and report only; store nothing.
    check: Option<bool>,
    /// The code table's version (codes).
    version: Option<String>,
    title: Option<String>,
    /// The file's CRS when it names none or names it wrongly (grid, components).
    crs: Option<String>,
    /// The grid is a new area of the city, away from the stored cells (grid).
    new_area: Option<bool>,
    tolerance_m2: Option<f64>,
    /// The file is the whole grid, or its districts' whole component layer: what is stored
    /// and not in the file is retired (grid, components).
    retire_missing: Option<bool>,
}

/// Import a city's grid, components, code table or people: checked as `gridwalk-sync admin import-…`
/// checks it, and stored in one step when it has no problem (unless only checked).
#[utoipa::path(post, path = "/v1/console/admin/import", tag = "admin", security(("console" = [])),
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, description = "The report; `stored` when it was stored", body = ImportAnswer),
        (status = 400, description = "A file that cannot be read at all, in words", body = ApiError),
        (status = 403, description = "Only administrators import", body = ApiError),
        (status = 413, description = "Larger than 64 MB", body = ApiError),
        (status = 415, description = "Not sent as application/octet-stream", body = ApiError),
    ))]
pub(crate) async fn import(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    query: Result<AppQuery<ImportQuery>, AppError>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportAnswer>, AppError> {
    // Who may import is said before what was sent.
    Actor::Person(&auth.user).may()?;
    let AppQuery(q) = query?;
    // Not a type a plain HTML form can send: no page elsewhere can post a list here.
    let octets = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/octet-stream"));
    if !octets {
        return Err(AppError::UnsupportedMediaType(msg!(IMPORT_CONTENT_TYPE)));
    }
    // A file past the limit, or one that stopped arriving, is refused in the API's words.
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(msg!(
                BODY_TOO_LARGE,
                max = crate::services::import::MAX_UPLOAD
            ))
        } else {
            AppError::BadRequest(msg!(BODY_INVALID, why = e.body_text()))
        }
    })?;
    let request = crate::services::import::ImportRequest {
        name: q.name,
        check_only: q.check.unwrap_or(false),
        version: q.version,
        title: q.title,
        crs: q.crs,
        new_area: q.new_area.unwrap_or(false),
        tolerance_m2: q.tolerance_m2,
        retire_missing: q.retire_missing.unwrap_or(false),
    };
    Ok(Json(
        crate::services::import::import(
            state.store.as_ref(),
            Actor::Person(&auth.user),
            q.what,
            &request,
            &body,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    limit: Option<u32>,
}

/// The administrative audit trail, newest first.
#[utoipa::path(get, path = "/v1/console/admin/audit", tag = "admin", security(("console" = [])),
    params(("limit" = Option<u32>, Query, description = "At most this many (default 200)")),
    responses(
        (status = 200, description = "Administrative acts, newest first", body = [AuditEntry]),
        (status = 403, description = "Only administrators read the audit trail", body = ApiError),
    ))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    let limit = q.limit.unwrap_or(200).min(5000);
    Ok(Json(
        admin::audit(state.store.as_ref(), Actor::Person(&auth.user), limit).await?,
    ))
}

/// The console's TypeScript client, generated from a route table over these handlers (and
/// the evaluation's, [`super::evaluation`]).
#[cfg(test)]
#[path = "typescript.rs"]
mod typescript;
#[cfg(test)]
use super::evaluation::{evaluation, evaluation_csv, evaluation_geojson};
#[cfg(test)]
use super::map::{grid, map, overview};
