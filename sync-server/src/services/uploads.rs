//! Photo uploads over tus: what each request does to the case store and the blob store.
//!
//! An upload carries one photo of one report the device has already pushed; its metadata
//! names both, and the report's record says how long the photo is and what its SHA-256
//! must be. Bytes arrive in parts; each accepted part is written to the blob store first
//! and then recorded with the new offset in one transaction, so the offset the server
//! answers never counts bytes it does not hold. When a connection breaks in the middle of
//! a body, the bytes that did arrive are kept (unless the request carried a checksum,
//! which can then not be checked): the device resumes from there, not from the start of
//! its chunk.
//!
//! The request that brings the last byte assembles the photo, checks it against the
//! report's SHA-256, stores it under that hash and records its arrival — after which the
//! report moves on to review once all its photos are in. A photo the centre already holds
//! (by SHA-256) is never asked for again ([`needs`]).

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, TimeDelta, Utc};
use gridwalk_protocol::tus::{self, Checksum};
use gridwalk_protocol::{
    PhotoId, PhotoNeedAnswer, PhotoNeedsRequest, PhotoNeedsResponse, ReportId,
};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::hex;
use crate::blobs::BlobStore;
use crate::domain::model::{Appended, ArrivedPhoto, Device, Upload, UploadPart};
use crate::error::AppError;
use crate::store::CaseStore;

/// Limits on uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// The largest upload accepted (`Tus-Max-Size`).
    pub max_size: u64,
    /// How long an unfinished upload is kept after its last request (`Upload-Expires`).
    pub ttl: TimeDelta,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            max_size: 32 * 1024 * 1024,
            ttl: TimeDelta::hours(24),
        }
    }
}

/// The most photos one needs question may ask about.
pub const MAX_NEEDS: usize = 1000;

/// What the blob and case stores are, for one request.
#[derive(Debug, Clone, Copy)]
pub struct Stores<'a> {
    pub cases: &'a dyn CaseStore,
    pub blobs: &'a BlobStore,
    pub settings: UploadSettings,
}

/// The body of one request, read as far as it came.
#[derive(Debug)]
pub struct Received {
    pub bytes: Bytes,
    /// The connection broke before the body ended.
    pub cut: bool,
}

/// Reads a body of at most `limit` bytes. More than that is refused before anything is
/// stored; a body that breaks off is returned as far as it came.
pub async fn read_body(body: Body, limit: u64) -> Result<Received, AppError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if (buf.len() + data.len()) as u64 > limit {
                        return Err(AppError::TooLarge(format!(
                            "the body is longer than the {limit} bytes this upload still needs"
                        )));
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                tracing::info!(error = %e, kept = buf.len(), "upload body broke off");
                return Ok(Received {
                    bytes: buf.freeze(),
                    cut: true,
                });
            }
        }
    }
    Ok(Received {
        bytes: buf.freeze(),
        cut: false,
    })
}

/// The facts of a creation request (`POST`).
#[derive(Debug, Clone, Default)]
pub struct Creation<'a> {
    pub length: Option<&'a str>,
    pub defer_length: bool,
    pub metadata: Option<&'a str>,
}

fn metadata_id<T: std::str::FromStr>(
    meta: &std::collections::BTreeMap<String, Vec<u8>>,
    key: &str,
) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    let raw = meta.get(key).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Upload-Metadata must name the {key:?} this photo belongs to"
        ))
    })?;
    let text = std::str::from_utf8(raw)
        .map_err(|_| AppError::BadRequest(format!("metadata {key:?} is not text")))?;
    text.parse()
        .map_err(|e| AppError::BadRequest(format!("metadata {key:?} {text:?}: {e}")))
}

/// Checks a creation request and creates the upload. The caller then appends the
/// creation body, if any, with [`append`] at offset 0.
#[tracing::instrument(skip_all, fields(device = %device.id))]
pub async fn create(
    s: Stores<'_>,
    device: &Device,
    req: &Creation<'_>,
    now: DateTime<Utc>,
) -> Result<Upload, AppError> {
    if req.defer_length {
        return Err(AppError::BadRequest(
            "deferred length is not supported: send Upload-Length".into(),
        ));
    }
    let length = tus::parse_size(
        "Upload-Length",
        req.length
            .ok_or_else(|| AppError::BadRequest("Upload-Length is required".into()))?,
    )
    .map_err(AppError::BadRequest)?;
    if length > s.settings.max_size {
        return Err(AppError::TooLarge(format!(
            "an upload of {length} bytes is larger than the {} this server accepts",
            s.settings.max_size
        )));
    }
    let meta =
        tus::parse_metadata(req.metadata.unwrap_or_default()).map_err(AppError::BadRequest)?;
    let report: ReportId = metadata_id(&meta, tus::meta::REPORT)?;
    let photo: PhotoId = metadata_id(&meta, tus::meta::PHOTO)?;
    let slot = s
        .cases
        .photo_slot(device.id, report, photo)
        .await?
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "no report {report} with photo {photo} has been received from this device; \
                 push the report before its photos"
            ))
        })?;
    if slot.bytes != length {
        return Err(AppError::BadRequest(format!(
            "photo {photo} is {} bytes in its report, but Upload-Length says {length}",
            slot.bytes
        )));
    }
    let upload = Upload {
        id: Uuid::now_v7(),
        device: device.id,
        report,
        photo,
        length,
        received: 0,
        metadata: req.metadata.map(str::to_owned),
        created_at: now,
        expires_at: now + s.settings.ttl,
        completed_at: None,
    };
    s.cases.create_upload(&upload).await?;
    Ok(upload)
}

/// The device's upload `id`, if it is still there.
pub async fn status(
    s: Stores<'_>,
    device: &Device,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Upload, AppError> {
    let upload = s
        .cases
        .upload(id)
        .await?
        .filter(|u| u.device == device.id)
        .ok_or_else(|| AppError::NotFound(format!("there is no upload {id}")))?;
    if upload.completed_at.is_none() && upload.expires_at < now {
        return Err(AppError::Gone(format!(
            "upload {id} expired at {}; create a new one",
            upload.expires_at
        )));
    }
    Ok(upload)
}

/// Appends a request body at `offset`: checks the offset and the body's checksum, stores
/// the bytes, and completes the photo when they are the last ones. Returns the upload as
/// it now stands.
#[tracing::instrument(skip_all, fields(device = %device.id, upload = %id, offset = offset))]
pub async fn append(
    s: Stores<'_>,
    device: &Device,
    id: Uuid,
    offset: u64,
    checksum: Option<&Checksum>,
    body: Body,
    now: DateTime<Utc>,
) -> Result<Upload, AppError> {
    let mut upload = status(s, device, id, now).await?;
    if offset != upload.received {
        return Err(AppError::OffsetMismatch {
            received: upload.received,
        });
    }
    let received = read_body(body, upload.length - offset).await?;
    if received.cut && checksum.is_some() {
        return Err(AppError::BadRequest(
            "the body broke off, so its checksum cannot be checked; nothing was kept".into(),
        ));
    }
    if let Some(c) = checksum
        && !c.matches(&received.bytes)
    {
        return Err(AppError::ChecksumMismatch(
            "the body does not match its Upload-Checksum; nothing was kept".into(),
        ));
    }
    let len = received.bytes.len() as u64;
    if len == 0 {
        return Ok(upload);
    }
    let expires_at = now + s.settings.ttl;
    let appended = if offset + len == upload.length {
        complete(s, &upload, received.bytes, expires_at, now).await?
    } else {
        let key = s.blobs.put_part(id, offset, received.bytes).await?;
        let part = UploadPart {
            start: offset,
            length: len,
            key: key.clone(),
        };
        let appended = s.cases.append_upload(id, &part, expires_at, None).await?;
        if !matches!(appended, Appended::Now { .. }) {
            s.blobs.delete(&key).await?;
        }
        appended
    };
    match appended {
        Appended::Now { received } => {
            upload.received = received;
            upload.expires_at = expires_at;
            if received == upload.length {
                upload.completed_at = Some(now);
            }
            Ok(upload)
        }
        Appended::Moved { received } => Err(AppError::OffsetMismatch { received }),
        Appended::Gone => Err(AppError::NotFound(format!("upload {id} was terminated"))),
    }
}

/// Assembles the photo from the recorded parts and the last bytes, checks it against its
/// report, stores it and records the arrival.
async fn complete(
    s: Stores<'_>,
    upload: &Upload,
    last: Bytes,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Appended, AppError> {
    let slot = s
        .cases
        .photo_slot(upload.device, upload.report, upload.photo)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("report {} is no longer held", upload.report)))?;
    let mut photo = BytesMut::with_capacity(usize::try_from(upload.length).unwrap_or(0));
    for part in s.cases.upload_parts(upload.id).await? {
        if part.start != photo.len() as u64 {
            return Err(AppError::Internal(format!(
                "upload {} has a hole at byte {}",
                upload.id,
                photo.len()
            )));
        }
        photo.extend_from_slice(&s.blobs.get(&part.key).await?);
    }
    photo.extend_from_slice(&last);
    let sha256 = hex(&Sha256::digest(&photo));
    if sha256 != slot.sha256 {
        s.cases.delete_upload(upload.id).await?;
        s.blobs.delete_parts(upload.id).await?;
        return Err(AppError::ChecksumMismatch(format!(
            "the photo's bytes do not match the SHA-256 in report {}; its upload was \
             discarded, start it again",
            upload.report
        )));
    }
    let bytes = photo.len() as u64;
    s.blobs.put_photo(&sha256, photo.freeze()).await?;
    let part = UploadPart {
        start: upload.received,
        length: last.len() as u64,
        key: BlobStore::photo_key(&sha256),
    };
    let arrived = ArrivedPhoto {
        sha256,
        bytes,
        at: now,
    };
    let appended = s
        .cases
        .append_upload(upload.id, &part, expires_at, Some(&arrived))
        .await?;
    if matches!(appended, Appended::Now { .. }) {
        s.blobs.delete_parts(upload.id).await?;
        tracing::info!(report = %upload.report, photo = %upload.photo, bytes, "photo arrived");
    }
    Ok(appended)
}

/// Terminates the device's upload and removes its bytes.
#[tracing::instrument(skip_all, fields(device = %device.id, upload = %id))]
pub async fn terminate(s: Stores<'_>, device: &Device, id: Uuid) -> Result<(), AppError> {
    let exists = s
        .cases
        .upload(id)
        .await?
        .is_some_and(|u| u.device == device.id);
    if !exists {
        return Err(AppError::NotFound(format!("there is no upload {id}")));
    }
    s.cases.delete_upload(id).await?;
    s.blobs.delete_parts(id).await?;
    Ok(())
}

/// Removes uploads past their expiry, with their bytes; returns how many.
#[tracing::instrument(skip_all)]
pub async fn sweep(s: Stores<'_>, now: DateTime<Utc>) -> Result<usize, AppError> {
    let expired = s.cases.expired_uploads(now).await?;
    for id in &expired {
        s.cases.delete_upload(*id).await?;
        s.blobs.delete_parts(*id).await?;
    }
    Ok(expired.len())
}

/// Which of the device's photos the centre still needs.
#[tracing::instrument(skip_all, fields(device = %device.id, asked = req.photos.len()))]
pub async fn needs(
    state: &crate::AppState,
    device: &Device,
    req: &PhotoNeedsRequest,
) -> Result<PhotoNeedsResponse, AppError> {
    if req.photos.len() > MAX_NEEDS {
        return Err(AppError::BadRequest(format!(
            "ask about at most {MAX_NEEDS} photos at a time, not {}",
            req.photos.len()
        )));
    }
    let photos = state.store.photo_needs(device.id, &req.photos).await?;
    Ok(PhotoNeedsResponse {
        photos: photos
            .into_iter()
            .map(|(photo, need)| PhotoNeedAnswer { photo, need })
            .collect(),
    })
}
