//! The public's 随手拍 page's API: no account, a budget per address
//! ([`crate::services::throttle::PublicThrottle`]). The page is `/public/` ([`super::pages`]).

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode};
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
        (status = 404, description = "This centre takes no reports from the public", body = ApiError),
        (status = 413, description = "Larger than three photos", body = ApiError),
        (status = 429, description = "This address sent its hour's reports (Retry-After says when to come back)", body = ApiError),
    ))]
pub(crate) async fn file(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    state.public.check(&address)?;
    let mut form =
        form.map_err(|e| AppError::BadRequest(msg!(PUBLIC_FORM, why = e.body_text())))?;
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(msg!(BODY_TOO_LARGE, max = MAX_BODY))
        } else {
            AppError::BadRequest(msg!(PUBLIC_FORM, why = e.body_text()))
        }
    };
    let mut report = None;
    let mut photos: Vec<Bytes> = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name().unwrap_or_default() {
            "report" if report.is_none() => {
                let bytes = field.bytes().await.map_err(bad_form)?;
                refuse_controls(&bytes)?;
                report = Some(serde_json::from_slice::<PublicReport>(&bytes).map_err(|e| {
                    AppError::BadRequest(msg!(PUBLIC_REPORT_PART, why = e.to_string()))
                })?);
            }
            "photo" if photos.len() < MAX_PUBLIC_PHOTOS => {
                photos.push(field.bytes().await.map_err(bad_form)?);
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
                    name = format!("{other:?}")
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
        let mut r = Json(answer).into_response();
        r.headers_mut()
            .insert(super::ports::REPLAYED, HeaderValue::from_static("true"));
        r
    })
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
