//! tus 1.0.0 at `/v1/uploads/`: core (`HEAD`, `PATCH`), creation and creation-with-upload
//! (`POST`), termination (`DELETE`), checksum (`Upload-Checksum`, sha1 and sha256) and
//! expiration (`Upload-Expires`), advertised by `OPTIONS`. Every request but `OPTIONS`
//! must say `Tus-Resumable: 1.0.0` and carry the device's bearer token; every answer says
//! `Tus-Resumable: 1.0.0`. A client that cannot send `PATCH` or `DELETE` may `POST` with
//! `X-HTTP-Method-Override`.
//!
//! The handlers only translate headers; [`crate::services::uploads`] does the work.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, post};
use chrono::{DateTime, Utc};
use gridwalk_protocol::ApiError;
use gridwalk_protocol::message::msg;
use gridwalk_protocol::tus::{self, Checksum, header as h};
use uuid::Uuid;

use super::AppPath;
use crate::AppState;
use crate::auth::UploaderAuth;
use crate::domain::model::{Device, Upload};
use crate::error::AppError;
use crate::services::uploads::{self, Creation};

/// The tus routes, with the `Tus-Resumable` check around them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/uploads", post(create).options(options))
        .route("/v1/uploads/", post(create).options(options))
        .route(
            "/v1/uploads/{id}",
            head(status)
                .patch(append)
                .delete(terminate)
                .post(overridden)
                .options(options),
        )
        .layer(middleware::from_fn(tus_resumable))
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    headers.insert(HeaderName::from_static(name), hv(value));
}

/// An HTTP date, as `Upload-Expires` wants it.
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Refuses requests that do not speak tus 1.0.0 and labels every answer.
async fn tus_resumable(req: Request, next: Next) -> Response {
    let speaks = req
        .headers()
        .get(h::TUS_RESUMABLE)
        .is_some_and(|v| v.as_bytes() == tus::VERSION.as_bytes());
    let mut resp = if speaks || req.method() == Method::OPTIONS {
        next.run(req).await
    } else {
        let mut resp =
            AppError::BadRequest(msg!(TUS_VERSION, version = tus::VERSION)).into_response();
        *resp.status_mut() = StatusCode::PRECONDITION_FAILED;
        set(resp.headers_mut(), h::TUS_VERSION, tus::VERSION);
        resp
    };
    set(resp.headers_mut(), h::TUS_RESUMABLE, tus::VERSION);
    resp
}

/// tus discovery: version, extensions, checksum algorithms, maximum size.
#[utoipa::path(options, path = "/v1/uploads/", tag = "uploads",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm")))]
async fn options(State(state): State<AppState>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let headers = resp.headers_mut();
    set(headers, h::TUS_VERSION, tus::VERSION);
    set(headers, h::TUS_EXTENSION, tus::EXTENSIONS);
    set(
        headers,
        h::TUS_MAX_SIZE,
        &state.uploads.max_size.to_string(),
    );
    set(headers, h::TUS_CHECKSUM_ALGORITHM, tus::CHECKSUM_ALGORITHMS);
    resp
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn upload_id(raw: &str) -> Result<Uuid, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound(msg!(NO_UPLOAD, id = format!("{raw:?}"))))
}

fn carries_bytes(headers: &HeaderMap) -> bool {
    text(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(tus::OFFSET_OCTET_STREAM))
}

fn checksum(headers: &HeaderMap) -> Result<Option<Checksum>, AppError> {
    text(headers, h::UPLOAD_CHECKSUM)
        .map(|v| {
            Checksum::parse(v).map_err(|e| {
                AppError::BadRequest(msg!(UPLOAD_HEADER_BAD, header = "Upload-Checksum", why = e))
            })
        })
        .transpose()
}

/// `Upload-Offset` and, while unfinished, `Upload-Expires`.
fn progress(headers: &mut HeaderMap, upload: &Upload) {
    set(headers, h::UPLOAD_OFFSET, &upload.received.to_string());
    if upload.completed_at.is_none() {
        set(headers, h::UPLOAD_EXPIRES, &http_date(upload.expires_at));
    }
}

/// tus creation (and creation-with-upload): one upload per photo of a pushed report.
#[utoipa::path(post, path = "/v1/uploads/", tag = "uploads", security(("device" = []), ("port" = [])),
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The photo's size, as in its report"),
        ("Upload-Metadata" = String, Header, description = "`report <base64 id>,photo <base64 id>` (more keys allowed)"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1|sha256 <base64>` of the body, if any"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "Optional first bytes"),
    responses(
        (status = 201, description = "Created; Location names the upload, Upload-Offset the bytes kept"),
        (status = 400, description = "No length, bad metadata, or no such report photo from this device", body = ApiError),
        (status = 412, description = "Not tus 1.0.0", body = ApiError),
        (status = 413, description = "Larger than Tus-Max-Size", body = ApiError),
        (status = 460, description = "The body does not match its checksum, or the photo its SHA-256", body = ApiError),
    ))]
async fn create(
    State(state): State<AppState>,
    UploaderAuth(device): UploaderAuth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let creation = Creation {
        length: text(&headers, h::UPLOAD_LENGTH),
        defer_length: headers.contains_key(h::UPLOAD_DEFER_LENGTH),
        metadata: text(&headers, h::UPLOAD_METADATA),
    };
    let with_bytes = carries_bytes(&headers);
    let sum = if with_bytes {
        checksum(&headers)?
    } else {
        None
    };
    let s = state.upload_stores();
    let mut upload = uploads::create(s, &device, &creation, now).await?;
    let location = format!("/v1/uploads/{}", upload.id);
    let complete = upload.completed_at.is_some();
    let mut resp = if complete {
        // The centre already holds this photo from this inspector: the upload is born
        // complete, and any bytes sent with it are not needed.
        let mut resp = StatusCode::CREATED.into_response();
        progress(resp.headers_mut(), &upload);
        resp
    } else if with_bytes {
        match detached_append(&state, &device, upload.id, 0, sum, body).await {
            Ok(u) => {
                upload = u;
                let mut resp = StatusCode::CREATED.into_response();
                progress(resp.headers_mut(), &upload);
                resp
            }
            // The upload exists: say where, so the client can resume it.
            Err(e) => e.into_response(),
        }
    } else {
        let mut resp = StatusCode::CREATED.into_response();
        set(
            resp.headers_mut(),
            h::UPLOAD_EXPIRES,
            &http_date(upload.expires_at),
        );
        resp
    };
    set(resp.headers_mut(), "location", &location);
    Ok(resp)
}

/// Runs an append in a task of its own. When a client's connection breaks, the server
/// stops polling that request's handler; the bytes that did arrive must still be stored
/// and recorded, so the work must not belong to the connection.
async fn detached_append(
    state: &AppState,
    device: &Device,
    id: Uuid,
    offset: u64,
    sum: Option<Checksum>,
    body: Body,
) -> Result<Upload, AppError> {
    let (state, device) = (state.clone(), device.clone());
    tokio::spawn(async move {
        uploads::append(
            state.upload_stores(),
            &device,
            id,
            offset,
            sum.as_ref(),
            body,
            Utc::now(),
        )
        .await
    })
    .await
    .map_err(|e| AppError::Internal(format!("upload task: {e}")))?
}

/// tus core: how many bytes the server holds.
#[utoipa::path(head, path = "/v1/uploads/{id}", tag = "uploads", security(("device" = []), ("port" = [])),
    params(("id" = String, Path, description = "The upload")),
    responses(
        (status = 200, description = "Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires"),
        (status = 404, description = "No such upload for this device"),
        (status = 410, description = "Expired"),
    ))]
async fn status(
    State(state): State<AppState>,
    UploaderAuth(device): UploaderAuth,
    AppPath(id): AppPath<String>,
) -> Result<Response, AppError> {
    let upload =
        uploads::status(state.upload_stores(), &device, upload_id(&id)?, Utc::now()).await?;
    let mut resp = StatusCode::OK.into_response();
    let headers = resp.headers_mut();
    progress(headers, &upload);
    set(headers, h::UPLOAD_LENGTH, &upload.length.to_string());
    if let Some(m) = &upload.metadata {
        set(headers, h::UPLOAD_METADATA, m);
    }
    set(headers, "cache-control", "no-store");
    Ok(resp)
}

/// tus core: bytes at Upload-Offset.
#[utoipa::path(patch, path = "/v1/uploads/{id}", tag = "uploads", security(("device" = []), ("port" = [])),
    params(
        ("id" = String, Path, description = "The upload"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1|sha256 <base64>` of the body"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Kept; Upload-Offset is the new offset"),
        (status = 409, description = "Upload-Offset is not where the upload stands", body = ApiError),
        (status = 410, description = "Expired", body = ApiError),
        (status = 413, description = "More bytes than the upload has left", body = ApiError),
        (status = 415, description = "Not application/offset+octet-stream", body = ApiError),
        (status = 460, description = "Checksum mismatch; nothing kept", body = ApiError),
    ))]
async fn append(
    State(state): State<AppState>,
    UploaderAuth(device): UploaderAuth,
    AppPath(id): AppPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let id = upload_id(&id)?;
    if !carries_bytes(&headers) {
        return Err(AppError::UnsupportedMediaType(msg!(
            UPLOAD_CONTENT_TYPE,
            content_type = tus::OFFSET_OCTET_STREAM
        )));
    }
    let offset = tus::parse_size(
        "Upload-Offset",
        text(&headers, h::UPLOAD_OFFSET)
            .ok_or_else(|| AppError::BadRequest(msg!(UPLOAD_HEADER, header = "Upload-Offset")))?,
    )
    .map_err(|why| {
        AppError::BadRequest(msg!(UPLOAD_HEADER_BAD, header = "Upload-Offset", why = why))
    })?;
    let sum = checksum(&headers)?;
    let upload = detached_append(&state, &device, id, offset, sum, body).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    progress(resp.headers_mut(), &upload);
    Ok(resp)
}

/// tus termination.
#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "uploads", security(("device" = []), ("port" = [])),
    params(("id" = String, Path, description = "The upload")),
    responses((status = 204, description = "Gone, with its bytes"), (status = 404, description = "No such upload")))]
async fn terminate(
    State(state): State<AppState>,
    UploaderAuth(device): UploaderAuth,
    AppPath(id): AppPath<String>,
) -> Result<StatusCode, AppError> {
    uploads::terminate(state.upload_stores(), &device, upload_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST` with `X-HTTP-Method-Override: PATCH | DELETE`.
async fn overridden(
    state: State<AppState>,
    device: UploaderAuth,
    id: AppPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    match text(&headers, h::X_HTTP_METHOD_OVERRIDE).map(str::to_ascii_uppercase) {
        Some(m) if m == "PATCH" => append(state, device, id, headers, body).await,
        Some(m) if m == "DELETE" => terminate(state, device, id)
            .await
            .map(IntoResponse::into_response),
        _ => Err(AppError::BadRequest(msg!(UPLOAD_OVERRIDE))),
    }
}
