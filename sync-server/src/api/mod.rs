//! The HTTP API: which path goes to which handler.
//!
//! - `GET /healthz`, `GET /openapi.json` ([`openapi`])
//! - `POST /v1/push`: a device's outbox, in order ([`push`]).
//! - `POST /v1/photos/needed`: which photos the centre still needs ([`push`]).
//! - `POST /v1/device/key`: the device's signing key, bound on first use ([`me`]).
//! - `/v1/uploads/`: tus 1.0.0 ([`tus`]).
//! - `GET /v1/changes`: the change feed back to devices, and `GET /v1/photos/{sha256}` the
//!   photos its tasks name ([`changes`]).
//! - `GET /v1/me`: who the device's token belongs to ([`me`]).
//! - `POST /v1/enroll`: a tablet enrolls itself with a one-time code ([`me`]); the console
//!   makes the code at `POST /v1/console/enrollment-codes`.
//! - `/v1/intake/…`: the intake API for the centre's other ports (hotlines, the public
//!   page, video analysis): file a report exactly once, its state, the callback and its
//!   delivery log ([`ports`]).
//! - `/v1/public/…`: the public's 随手拍 page, no account: what it offers, a citizen's
//!   report with its photos, and how it stands ([`public`]).
//! - `/v1/console/…`: the console's JSON API: sign-in, review, the case loop, devices,
//!   intake health, conflicts, and for administrators people, devices and the audit trail
//!   ([`console`]); the evaluation and its exports ([`evaluation`]); the city map's points
//!   and grid and the overview screen ([`map`]). Who may call which
//!   is one rule, [`crate::domain::access`].
//! - `/console/`: the console's pages, and `/public/` the 随手拍 page, built from `ui/`
//!   ([`pages`]).
//!
//! Every request runs in a `request` span (method, path, and the device or user once the
//! auth extractor knows them), logged when it ends with its status and time. Bodies and
//! queries that are not what a route expects are answered `400` in the API's error shape
//! ([`AppJson`], [`AppQuery`]).

pub mod changes;
pub mod console;
pub mod evaluation;
pub mod map;
pub mod me;
pub mod openapi;
pub mod pages;
pub mod ports;
pub mod public;
pub mod push;
pub mod tus;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Json, Query, Request};
use axum::http::request::Parts;
use axum::routing::{get, post};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::validate::{char_name, control_character, shown};
use serde::de::DeserializeOwned;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;
use crate::error::AppError;

/// The largest JSON body any route takes (axum's default): a full push of 100 reports is
/// well under it.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// A JSON body; one that is not the JSON a route expects is a `400` in words, one larger
/// than [`MAX_JSON_BYTES`] a `413`, one with a control character in any text (U+0000, which
/// PostgreSQL cannot store, an escape sequence, a bell) a `400` naming the field: no route
/// stores or echoes such a text, whichever backend is behind it.
#[derive(Debug, Clone)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let refused =
            |status: axum::http::StatusCode, e: &(dyn std::error::Error + 'static), why: String| {
                if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge(msg!(BODY_TOO_LARGE, max = MAX_JSON_BYTES))
                } else if stopped(e) {
                    AppError::TimedOut(msg!(BODY_STOPPED))
                } else {
                    AppError::BadRequest(msg!(BODY_INVALID, why = why))
                }
            };
        if !json_content_type(req.headers()) {
            return Err(AppError::BadRequest(msg!(
                BODY_INVALID,
                why = "Expected request with `Content-Type: application/json`"
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| refused(e.status(), &e, e.body_text()))?;
        refuse_controls(&bytes)?;
        let Json(value) =
            Json::<T>::from_bytes(&bytes).map_err(|e| refused(e.status(), &e, e.body_text()))?;
        Ok(AppJson(value))
    }
}

/// Refuses a JSON text holding a control character in a key or a string, naming where.
pub(crate) fn refuse_controls(bytes: &[u8]) -> Result<(), AppError> {
    // A C0 control can only arrive escaped (`\u0000`): raw ones are not JSON; DEL and
    // the C1 controls may also come raw (0x7F; 0xC2 0x80–0x9F in UTF-8).
    let suspect = bytes.last() == Some(&0x7f)
        || bytes.windows(2).any(|w| {
            w == b"\\u" || w[0] == 0x7f || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
        });
    if suspect
        && let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some((field, c)) = control_in(&tree, String::new())
    {
        let field = if field.is_empty() {
            "the body".to_owned()
        } else {
            field
        };
        return Err(AppError::BadRequest(msg!(
            CONTROL_CHARACTER,
            field = field,
            char = char_name(c)
        )));
    }
    Ok(())
}

/// Whether a request says its body is JSON (`application/json`, or a `+json` type).
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The first text in a JSON tree (a key or a string) holding a control character, with
/// its path (`reasons.comment`, `items[2]`).
fn control_in(value: &serde_json::Value, path: String) -> Option<(String, char)> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) => control_character(s).map(|c| (path.clone(), c)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| match control_character(k) {
            Some(c) => Some((join(&shown(k)), c)),
            None => control_in(v, join(k)),
        }),
        _ => None,
    }
}

/// Whether reading a body failed because it stopped arriving (the body idle timeout of
/// [`crate::serve::limited`]), somewhere down the error's causes.
fn stopped(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A query string; one a route cannot read is a `400` in words.
#[derive(Debug, Clone)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let value = Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| AppQuery(v))
            .map_err(|e| AppError::BadRequest(msg!(QUERY_INVALID, why = e.body_text())))?;
        // A search text or a filter reaches the store: the same rule as for bodies.
        if let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
            for (key, text) in &pairs {
                if let Some(c) = control_character(text).or_else(|| control_character(key)) {
                    return Err(AppError::BadRequest(msg!(
                        CONTROL_CHARACTER,
                        field = shown(key),
                        char = char_name(c)
                    )));
                }
            }
        }
        Ok(value)
    }
}

/// A value in the path (a report's ID, a login); one a route cannot read is a `400` in
/// the project's error shape, not axum's plain text.
#[derive(Debug, Clone)]
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| AppPath(v))
            // The value is echoed in the answer and the log: a bounded part of it.
            .map_err(|e| AppError::BadRequest(msg!(PATH_INVALID, why = shown(&e.body_text()))))
    }
}

/// A request no route takes: nothing at its path (`404`), or not with its method (`405`),
/// said in the error shape like every other refusal.
async fn unrouted(
    method: axum::http::Method,
    uri: axum::http::Uri,
    wrong_method: bool,
) -> AppError {
    let (method, path) = (method.as_str(), shown(uri.path()));
    if wrong_method {
        AppError::MethodNotAllowed(msg!(METHOD_NOT_ALLOWED, method = method, path = path))
    } else {
        AppError::NotFound(msg!(NO_ROUTE, method = method, path = path))
    }
}

/// The address a request came from (its TCP peer), as text; `unknown` when the server was
/// not started through [`crate::serve::serve`] (as in tests that call the router directly).
/// Behind a reverse proxy this is the proxy's address: the sign-in limit per address then
/// counts the whole proxy, and the limit per login still holds.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// The span a request runs in; the auth extractors fill in `device` and `user`.
fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        device = tracing::field::Empty,
        user = tracing::field::Empty,
    )
}

/// The whole HTTP API over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(push::healthz))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/v1/push", post(push::push))
        .route("/v1/photos/needed", post(push::photos_needed))
        .route("/v1/changes", get(changes::changes))
        .route("/v1/photos/{sha256}", get(changes::photo))
        .route("/v1/me", get(me::me))
        .route("/v1/device/key", post(me::device_key))
        .route("/v1/enroll", post(me::enroll))
        .route("/v1/intake/reports", post(ports::file))
        .route("/v1/intake/reports/{id}", get(ports::report))
        .route(
            "/v1/intake/callback",
            get(ports::callback)
                .put(ports::set_callback)
                .delete(ports::remove_callback),
        )
        .route("/v1/intake/deliveries", get(ports::deliveries))
        .route("/v1/public/form", get(public::form))
        .route(
            "/v1/public/reports",
            post(public::file).layer(axum::extract::DefaultBodyLimit::max(public::MAX_BODY)),
        )
        .route("/v1/public/reports/{id}", get(public::report))
        .route(
            "/v1/console/session",
            post(console::sign_in).delete(console::sign_out),
        )
        .route("/v1/console/me", get(console::me))
        .route("/v1/console/departments", get(console::departments))
        .route("/v1/console/teams", get(console::teams))
        .route("/v1/console/code-tables", get(console::code_tables))
        .route("/v1/console/components/{id}", get(console::component))
        .route("/v1/console/reports", get(console::reports))
        .route("/v1/console/reports/{id}", get(console::report))
        .route("/v1/console/reports/{id}/actions", post(console::act))
        .route("/v1/console/reports/merge", post(console::merge))
        .route("/v1/console/photos/{sha256}", get(console::photo))
        .route("/v1/console/photos/{sha256}/thumb", get(console::thumb))
        .route("/v1/console/events", get(console::events))
        .route("/v1/console/devices", get(console::devices))
        .route(
            "/v1/console/enrollment-codes",
            post(console::enrollment_code),
        )
        .route("/v1/console/health", get(console::health))
        .route("/v1/console/conflicts", get(console::conflicts))
        .route("/v1/console/conflicts/{id}/resolve", post(console::resolve))
        .route("/v1/console/evaluation", get(evaluation::evaluation))
        .route("/v1/console/map", get(map::map))
        .route("/v1/console/grid", get(map::grid))
        .route("/v1/console/overview", get(map::overview))
        .route(
            "/v1/console/evaluation.csv",
            get(evaluation::evaluation_csv),
        )
        .route(
            "/v1/console/evaluation.geojson",
            get(evaluation::evaluation_geojson),
        )
        .route("/v1/console/admin/users", get(console::admin_users))
        .route("/v1/console/admin/devices", get(console::admin_devices))
        .route(
            "/v1/console/admin/devices/{id}/revoke",
            post(console::revoke_device),
        )
        .route(
            "/v1/console/admin/users/{login}/disable",
            post(console::disable_user),
        )
        .route(
            "/v1/console/admin/users/{login}/enable",
            post(console::enable_user),
        )
        .route(
            "/v1/console/admin/users/{login}/password",
            post(console::set_password),
        )
        .route("/v1/console/admin/audit", get(console::audit))
        .route(
            "/v1/console/admin/import",
            post(console::import).layer(axum::extract::DefaultBodyLimit::max(
                crate::services::import::MAX_UPLOAD,
            )),
        )
        .merge(tus::routes())
        // What no route answers is said in the error shape too, not as an empty body.
        .fallback(|m, u| unrouted(m, u, false))
        .method_not_allowed_fallback(|m, u| unrouted(m, u, true))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
