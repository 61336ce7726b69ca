//! The public's 随手拍 page's API: no account, a budget per address
//! ([`crate::services::throttle::PublicThrottle`]). The page is `/public/` ([`super::pages`]).

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use gridwalk_protocol::intake::{
    MAX_PUBLIC_PHOTO_BYTES, MAX_PUBLIC_PHOTOS, PublicAnswer, PublicForm, PublicReport,
};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{ApiError, ReportId};

use super::{AppPath, ClientAddr, refuse_controls};
use crate::AppState;
use crate::error::AppError;
use crate::services::public;

/// The largest submission taken: its photos and a report part.
pub const MAX_BODY: usize = MAX_PUBLIC_PHOTOS * MAX_PUBLIC_PHOTO_BYTES as usize + 64 * 1024;

/// What the 随手拍 page offers: whether this centre takes reports from the public, and the
/// problems a citizen may pick.
#[utoipa::path(get, path = "/v1/public/form", tag = "public",
    responses((status = 200, description = "The form", body = PublicForm)))]
pub(crate) async fn form(State(state): State<AppState>) -> Result<Json<PublicForm>, AppError> {
    public::form(&state).await.map(Json)
}

/// The parts of a submission, for the API's description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct PublicSubmission {
    /// The report, as JSON.
    report: PublicReport,
    /// 1 to 3 JPEG photos (each at most 4 MiB and 2048 pixels a side), in the order of
    /// `report.photo_ids`.
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

/// A citizen's report (随手拍), without an account: a `report` part (JSON) and one `photo`
/// part per photo. Send it again with the same `key` if the answer did not arrive: the
/// first submission's report is answered (200), never a second one. It waits for the
/// inspector of its cell to check it on site (核实). Each address may send
/// `per_hour` (the form says) reports an hour.
#[utoipa::path(post, path = "/v1/public/reports", tag = "public",
    request_body(content = PublicSubmission, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Received", body = PublicAnswer),
        (status = 200, description = "The same submission again: its report as it stands", body = PublicAnswer),
        (status = 400, description = "Not a submission the centre takes (every problem named)", body = ApiError),
        (status = 403, description = "Posted by another site's page", body = ApiError),
        (status = 404, description = "This centre takes no reports from the public", body = ApiError),
        (status = 413, description = "Larger than three photos", body = ApiError),
        (status = 429, description = "This address sent its hour's reports, or the centre is taking many at once (Retry-After says when to come back)", body = ApiError),
    ))]
pub(crate) async fn file(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    if !same_site(&headers) {
        return Err(AppError::Forbidden(msg!(PUBLIC_CROSS_SITE)));
    }
    state.public.check(&address)?;
    // A few submissions read at once: each holds its photos in memory while it is checked.
    let _slot = state.public.slot()?;
    let mut form =
        form.map_err(|e| AppError::BadRequest(msg!(PUBLIC_FORM, why = e.body_text())))?;
    let mut report = None;
    let mut photos: Vec<Bytes> = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name().unwrap_or_default() {
            "report" if report.is_none() => {
                let bytes = part(field, "report", MAX_REPORT_PART).await?;
                refuse_controls(&bytes)?;
                report = Some(serde_json::from_slice::<PublicReport>(&bytes).map_err(|e| {
                    AppError::BadRequest(msg!(PUBLIC_REPORT_PART, why = e.to_string()))
                })?);
            }
            "photo" if photos.len() < MAX_PUBLIC_PHOTOS => {
                photos.push(part(field, "photo", MAX_PUBLIC_PHOTO_BYTES as usize).await?);
            }
            "photo" => {
                return Err(AppError::BadRequest(msg!(
                    PUBLIC_PHOTO_COUNT,
                    max = MAX_PUBLIC_PHOTOS,
                    ids = report
                        .as_ref()
                        .map_or(0, |r: &PublicReport| r.photo_ids.len()),
                    photos = format!("more than {MAX_PUBLIC_PHOTOS}")
                )));
            }
            other => {
                return Err(AppError::BadRequest(msg!(
                    PUBLIC_PART,
                    name = gridwalk_protocol::validate::shown(other)
                )));
            }
        }
    }
    let report = report.ok_or_else(|| {
        AppError::BadRequest(msg!(PUBLIC_REPORT_PART, why = "there is no report part"))
    })?;
    let (made, answer) = public::file(&state, &report, photos, Utc::now()).await?;
    Ok(if made {
        (StatusCode::CREATED, Json(answer)).into_response()
    } else {
        super::ports::replayed(answer)
    })
}

/// The largest `report` part taken.
const MAX_REPORT_PART: usize = 64 * 1024;

/// A multipart error in the API's words.
fn bad_form(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(msg!(BODY_TOO_LARGE, max = MAX_BODY))
    } else {
        AppError::BadRequest(msg!(PUBLIC_FORM, why = e.body_text()))
    }
}

/// One part's bytes, refused as soon as it passes `max` (a part is never held whole
/// beyond what the centre takes of it).
async fn part(mut field: Field<'_>, name: &str, max: usize) -> Result<Bytes, AppError> {
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
        if out.len() + chunk.len() > max {
            return Err(AppError::TooLarge(msg!(
                PUBLIC_PART_LARGE,
                name = name,
                max = max
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// Whether a submission comes from a page of this server (or from no page at all, as a
/// program's does): a browser says where a request comes from (`Sec-Fetch-Site`, or at
/// least `Origin`), and a form another site's page posts here is refused, so no site can
/// have its visitors' browsers file reports, each from its own address.
fn same_site(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

/// How a citizen's report stands.
#[utoipa::path(get, path = "/v1/public/reports/{id}", tag = "public",
    params(("id" = String, Path, description = "The report's ID, from the submission's answer")),
    responses(
        (status = 200, description = "The report now", body = PublicAnswer),
        (status = 404, description = "The public page filed no report with this ID", body = ApiError),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    AppPath(id): AppPath<ReportId>,
) -> Result<Json<PublicAnswer>, AppError> {
    public::report(&state, id).await.map(Json)
}
