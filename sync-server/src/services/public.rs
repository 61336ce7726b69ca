//! The public's 随手拍 page's API (`/v1/public/…`, no account): what the page offers, a
//! citizen's submission filed through the intake exactly once, and how it stands
//! ([`crate::domain::public`] says what is checked).

use axum::body::Body;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use gridwalk_protocol::intake::{
    IntakeAnswer, MAX_PUBLIC_PHOTOS, MAX_PUBLIC_WORDS, PublicAnswer, PublicCategory, PublicForm,
    PublicReport, Source,
};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{ReportId, tus};

use super::{ports, uploads};
use crate::AppState;
use crate::domain::model::{Device, Role};
use crate::domain::ports::Filed;
use crate::domain::{public, uploads as upload_rules};
use crate::error::AppError;

/// The account the page files as, acting through the server: its own credential
/// ([`upload_rules::console_device`]), never a token anyone holds.
async fn port(state: &AppState) -> Result<Option<Device>, AppError> {
    let accounts = state.store.service_accounts(Source::Public).await?;
    Ok(public::account(&accounts).map(|user| Device {
        id: upload_rules::console_device(user),
        user,
        role: Role::Service,
    }))
}

/// What the page offers: whether the centre takes 随手拍 at all, and the problems a citizen
/// may pick (the newest code table's 小类).
pub async fn form(state: &AppState) -> Result<PublicForm, AppError> {
    let open = port(state).await?.is_some();
    let reference = state
        .reference
        .with_rules(state.store.as_ref(), std::iter::empty())
        .await?;
    let categories = reference
        .tables()
        .last()
        .map(|t| {
            t.iter()
                .map(|c| PublicCategory {
                    kind: c.kind,
                    code: c.code.clone(),
                    major_name: c.major_name.clone(),
                    name: c.name.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PublicForm {
        open,
        categories,
        max_photos: MAX_PUBLIC_PHOTOS as u32,
        max_words: MAX_PUBLIC_WORDS as u32,
        per_hour: state.public.per_hour(),
    })
}

/// Files a citizen's submission (its photos' bytes in order) exactly once per its key,
/// then puts the photos' bytes where a tablet's upload would; a retried submission gets
/// the first one's answer, and any photo the first left unfinished is finished now.
/// Returns whether this call made the report.
#[tracing::instrument(skip_all, fields(key = %report.key))]
pub async fn file(
    state: &AppState,
    report: &PublicReport,
    photos: Vec<Bytes>,
    now: DateTime<Utc>,
) -> Result<(bool, PublicAnswer), AppError> {
    let port = port(state)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(PUBLIC_CLOSED)))?;
    let ids = report.photo_ids.clone();
    if ids.len() != photos.len() {
        return Err(AppError::BadRequest(msg!(
            PUBLIC_PHOTO_COUNT,
            max = MAX_PUBLIC_PHOTOS,
            ids = ids.len(),
            photos = photos.len()
        )));
    }
    // The centre's own copy of each photo (decoded and encoded again), off the runtime.
    let copies = tokio::task::spawn_blocking(move || {
        photos
            .iter()
            .zip(ids)
            .enumerate()
            .map(|(i, (bytes, id))| public::photo(i + 1, id, bytes))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| AppError::Internal(format!("reading photos: {e}")))?
    .map_err(AppError::BadRequest)?;
    let read: Vec<_> = copies.iter().map(|(p, _)| p.clone()).collect();
    let req = public::request(report, read.clone(), now).map_err(AppError::BadRequest)?;
    let key = report.key.to_string();
    let (made, answer) = match ports::file(state, &port, Some(&key), &req, now).await? {
        Filed::Made(a) => (true, a),
        Filed::Replayed(a) => (false, a),
        Filed::KeyReused { .. } | Filed::CallerRefTaken { .. } => {
            return Err(AppError::Internal("a refusal was not answered".into()));
        }
    };
    for (photo, bytes) in copies {
        let meta = tus::encode_metadata([
            (tus::meta::REPORT, answer.report.to_string().as_str()),
            (tus::meta::PHOTO, photo.id.to_string().as_str()),
        ]);
        let length = photo.bytes.to_string();
        let creation = uploads::Creation {
            length: Some(&length),
            defer_length: false,
            metadata: Some(&meta),
        };
        let upload = uploads::create(state.upload_stores(), &port, &creation, now).await?;
        if upload.completed_at.is_none() {
            uploads::append(
                state.upload_stores(),
                &port,
                upload.id,
                0,
                None,
                Body::from(Bytes::from(bytes)),
                now,
            )
            .await?;
        }
    }
    Ok((made, shown(answer)))
}

/// How a citizen's report stands, by its ID (only reports the public page filed).
pub async fn report(state: &AppState, id: ReportId) -> Result<PublicAnswer, AppError> {
    let port = port(state)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(PUBLIC_CLOSED)))?;
    state
        .store
        .port_report(port.user, id)
        .await?
        .map(shown)
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))
}

/// What a citizen is told: where their report stands, nothing of who checks it.
fn shown(a: IntakeAnswer) -> PublicAnswer {
    PublicAnswer {
        report: a.report,
        state: a.state,
        case_no: a.case_no,
        received_at: a.received_at,
    }
}
