//! Photo uploads over tus: what each request does to the case store and the blob store.
//!
//! An upload carries one photo of one report the device has already pushed; its metadata
//! names both, and the report's record says how long the photo is and what its SHA-256
//! must be. Bytes arrive in parts; each accepted part is streamed to the blob store first
//! (never held whole in memory) and then recorded with the new offset in one transaction,
//! so the offset the server answers never counts bytes it does not hold. When a connection breaks in the middle of
//! a body, the bytes that did arrive are kept (unless the request carried a checksum,
//! which can then not be checked): the device resumes from there, not from the start of
//! its chunk.
//!
//! The request that brings the last byte assembles the photo piece by piece, checks it
//! against the report's SHA-256 and that it is a whole JPEG of the declared size, stores it
//! under that hash and records its arrival — after which the report moves on to review
//! once all its photos are in. A photo the centre already holds
//! (by SHA-256) is never asked for again ([`needs`]).

use axum::body::Body;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::TryStreamExt;
use gridwalk_protocol::message::msg;
use gridwalk_protocol::tus::{self, Checksum, Digesting};
use gridwalk_protocol::{
    CaseState, PhotoId, PhotoNeedAnswer, PhotoNeedsRequest, PhotoNeedsResponse, ReportId,
};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::hex;
use crate::blobs::{BlobStore, BlobWriter};
use crate::domain::model::{Appended, ArrivedPhoto, Device, Upload, UploadPart};
use crate::domain::photos::JpegCheck;
use crate::domain::uploads::{Crowded, OpenLimits};
use crate::error::AppError;
use crate::services::reference::ReferenceCache;
use crate::store::CaseStore;

/// Limits on uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// The largest upload accepted (`Tus-Max-Size`).
    pub max_size: u64,
    /// How long an unfinished upload is kept after its last request (`Upload-Expires`).
    pub ttl: TimeDelta,
    /// The most bytes one device's unfinished uploads may declare together (bytes in
    /// flight): what one tablet can make the centre keep on disk for photos that are not
    /// whole yet. [`UploadSettings::with_max_size`] makes it four of the largest photos.
    pub max_open_bytes: u64,
}

impl UploadSettings {
    /// Settings taking photos of up to `max_size` bytes, kept `ttl` while unfinished, with
    /// bytes in flight per device capped at four such photos.
    #[must_use]
    pub fn with_max_size(max_size: u64, ttl: TimeDelta) -> Self {
        Self {
            max_size,
            ttl,
            max_open_bytes: max_size.saturating_mul(4),
        }
    }
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self::with_max_size(32 * 1024 * 1024, TimeDelta::hours(24))
    }
}

/// The most photos one needs question may ask about.
pub const MAX_NEEDS: usize = 1000;

/// The most unfinished uploads one device may hold at once. The engine sends one photo at a
/// time; a few more cover uploads a crash left behind (they expire).
pub const MAX_OPEN_UPLOADS: usize = 16;

/// The most pieces one upload may arrive in. A photo cut by a bad link every few hundred
/// kilobytes takes tens; each piece is a stored object and a row until the photo is whole.
pub const MAX_PARTS: usize = 200;

/// What the blob and case stores are, for one request.
#[derive(Debug, Clone, Copy)]
pub struct Stores<'a> {
    pub cases: &'a dyn CaseStore,
    pub blobs: &'a BlobStore,
    pub settings: UploadSettings,
    /// The case rules, for the review deadline a completing photo starts.
    pub reference: &'a ReferenceCache,
}

/// What one request body left in the blob store.
#[derive(Debug)]
struct Stored {
    /// The new part object; `None` for an empty body.
    key: Option<String>,
    length: u64,
    /// The body's own SHA-256 and JPEG check, taken as it streamed past when it starts the
    /// photo: for a photo that arrives in one piece they are the photo's, and it is filed
    /// without a second pass. A later piece is checked when the pieces are joined.
    seen: Option<Seen>,
}

/// What streaming a body learnt about it.
#[derive(Debug, Default, Clone)]
struct Seen {
    sha: Sha256,
    jpeg: JpegCheck,
}

/// Streams a request body of at most `limit` bytes into a new part of `upload` at `start`,
/// checking it against `checksum` as it arrives; memory holds a piece or two, not the
/// body. A body that breaks off is kept as far as it came (unless it carried a checksum,
/// which can then not be checked). A body that is too long or does not match its checksum
/// leaves nothing behind.
async fn receive(
    blobs: &BlobStore,
    upload: Uuid,
    start: u64,
    body: Body,
    limit: u64,
    checksum: Option<&Checksum>,
) -> Result<Stored, AppError> {
    let mut writer = blobs.part_writer(upload, start).await?;
    let mut digest = checksum.map(Checksum::digesting);
    let mut seen = (start == 0).then(Seen::default);
    let cut = match fill(&mut writer, body, limit, digest.as_mut(), seen.as_mut()).await {
        Ok(cut) => cut,
        Err(e) => {
            writer.abort().await?;
            return Err(e);
        }
    };
    let matches = match (checksum, digest) {
        (Some(c), Some(d)) => c.matched_by(d),
        _ => true,
    };
    let refusal = if checksum.is_some() && cut {
        Some(AppError::BadRequest(msg!(UPLOAD_BROKE_OFF)))
    } else if !matches {
        Some(AppError::ChecksumMismatch(msg!(UPLOAD_CHECKSUM)))
    } else {
        None
    };
    if let Some(e) = refusal {
        writer.abort().await?;
        return Err(e);
    }
    let length = writer.written();
    if length == 0 {
        writer.abort().await?;
        return Ok(Stored {
            key: None,
            length,
            seen,
        });
    }
    // A body that completes the photo is filed (and flushed) under the photo's name, or
    // read into it, before anything is answered; only a part that stays needs flushing now.
    let key = if length == limit {
        writer.finish_unflushed().await?
    } else {
        writer.finish().await?
    };
    Ok(Stored {
        key: Some(key),
        length,
        seen,
    })
}

/// Copies a body into `writer`; returns whether the connection broke before it ended.
async fn fill(
    writer: &mut BlobWriter,
    mut body: Body,
    limit: u64,
    mut digest: Option<&mut Digesting>,
    mut seen: Option<&mut Seen>,
) -> Result<bool, AppError> {
    loop {
        match body.frame().await {
            None => return Ok(false),
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if writer.written() + data.len() as u64 > limit {
                    return Err(AppError::TooLarge(msg!(UPLOAD_BODY_LONG, limit = limit)));
                }
                if let Some(d) = digest.as_deref_mut() {
                    d.update(&data);
                }
                if let Some(seen) = seen.as_deref_mut() {
                    seen.sha.update(&data);
                    seen.jpeg.feed(&data);
                }
                writer.write(&data).await?;
            }
            Some(Err(e)) => {
                tracing::info!(error = %e, kept = writer.written(), "upload body broke off");
                return Ok(true);
            }
        }
    }
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
    let raw = meta
        .get(key)
        .ok_or_else(|| AppError::BadRequest(msg!(UPLOAD_METADATA, key = format!("{key:?}"))))?;
    let text = std::str::from_utf8(raw).map_err(|_| {
        AppError::BadRequest(msg!(
            UPLOAD_METADATA_BAD,
            key = format!("{key:?}"),
            why = "not text"
        ))
    })?;
    text.parse().map_err(|e| {
        AppError::BadRequest(msg!(
            UPLOAD_METADATA_BAD,
            key = format!("{key:?}"),
            why = format!("{text:?}: {e}")
        ))
    })
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
        return Err(AppError::BadRequest(msg!(UPLOAD_DEFERRED)));
    }
    let length = tus::parse_size(
        "Upload-Length",
        req.length
            .ok_or_else(|| AppError::BadRequest(msg!(UPLOAD_HEADER, header = "Upload-Length")))?,
    )
    .map_err(|why| {
        AppError::BadRequest(msg!(UPLOAD_HEADER_BAD, header = "Upload-Length", why = why))
    })?;
    if length > s.settings.max_size {
        return Err(AppError::TooLarge(msg!(
            UPLOAD_TOO_LARGE,
            length = length,
            max = s.settings.max_size
        )));
    }
    let meta = tus::parse_metadata(req.metadata.unwrap_or_default()).map_err(|why| {
        AppError::BadRequest(msg!(
            UPLOAD_HEADER_BAD,
            header = "Upload-Metadata",
            why = why
        ))
    })?;
    let report: ReportId = metadata_id(&meta, tus::meta::REPORT)?;
    let photo: PhotoId = metadata_id(&meta, tus::meta::PHOTO)?;
    let slot = s
        .cases
        .photo_slot(device, report, photo)
        .await?
        .ok_or_else(|| {
            AppError::BadRequest(msg!(UPLOAD_NO_REPORT, report = report, photo = photo))
        })?;
    if slot.bytes != length {
        return Err(AppError::BadRequest(msg!(
            UPLOAD_LENGTH,
            photo = photo,
            bytes = slot.bytes,
            length = length
        )));
    }
    // Nothing to send when the bytes are here already (another photo of this inspector's
    // with the same bytes arrived while the device was asking): an upload born complete
    // says so in plain tus, `Upload-Offset` = `Upload-Length`, to this engine and any other
    // client.
    let done = slot.arrived;
    let upload = Upload {
        id: Uuid::now_v7(),
        device: device.id,
        report,
        photo,
        length,
        received: if done { length } else { 0 },
        metadata: req.metadata.map(str::to_owned),
        created_at: now,
        expires_at: now + s.settings.ttl,
        completed_at: done.then_some(now),
    };
    if done {
        s.cases.create_upload(&upload).await?;
        return Ok(upload);
    }
    let limits = OpenLimits {
        uploads: MAX_OPEN_UPLOADS,
        bytes: s.settings.max_open_bytes,
    };
    match s.cases.open_upload(&upload, limits, now).await? {
        Ok(replaced) => {
            for old in replaced {
                s.blobs.delete_parts(old).await?;
                tracing::info!(upload = %old, "unfinished upload replaced by a new one");
            }
        }
        Err(Crowded::Uploads(n)) => {
            return Err(AppError::TooMany(msg!(UPLOAD_TOO_MANY, n = n)));
        }
        Err(Crowded::Bytes(in_flight)) => {
            return Err(AppError::TooMany(msg!(
                UPLOAD_TOO_MANY_BYTES,
                in_flight = in_flight,
                length = length,
                max = s.settings.max_open_bytes
            )));
        }
    }
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
        .ok_or_else(|| AppError::NotFound(msg!(NO_UPLOAD, id = id)))?;
    if upload.completed_at.is_none() && upload.expires_at < now {
        return Err(AppError::Gone(msg!(
            UPLOAD_EXPIRED,
            id = id,
            at = upload.expires_at.to_rfc3339()
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
    let stored = receive(s.blobs, id, offset, body, upload.length - offset, checksum).await?;
    let Some(key) = stored.key else {
        return Ok(upload);
    };
    let part = UploadPart {
        start: offset,
        length: stored.length,
        key,
    };
    let expires_at = now + s.settings.ttl;
    let appended = if offset + part.length == upload.length {
        complete(s, device, &upload, part, stored.seen, expires_at, now).await?
    } else {
        let pieces = s.cases.upload_parts(id).await?.len() + 1;
        if pieces >= MAX_PARTS {
            s.blobs.delete(&part.key).await?;
            return Err(AppError::BadRequest(msg!(
                UPLOAD_PARTS,
                id = id,
                parts = pieces - 1,
                max = MAX_PARTS,
                left = upload.length - offset
            )));
        }
        let appended = s.cases.append_upload(id, &part, expires_at, None).await?;
        if !matches!(appended, Appended::Now { .. }) {
            s.blobs.delete(&part.key).await?;
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
        Appended::Gone => Err(AppError::NotFound(msg!(UPLOAD_TERMINATED, id = id))),
    }
}

/// Assembles the photo from the recorded parts and the last one, piece by piece, checks it
/// against its report (its SHA-256, and that it is a whole JPEG of the size the report
/// says), files it under its SHA-256 and records the arrival.
async fn complete(
    s: Stores<'_>,
    holder: &Device,
    upload: &Upload,
    last: UploadPart,
    last_seen: Option<Seen>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Appended, AppError> {
    let slot = s
        .cases
        .photo_slot(holder, upload.report, upload.photo)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(UPLOAD_REPORT_GONE, report = upload.report)))?;
    let earlier = s.cases.upload_parts(upload.id).await?;
    // In one piece, the last part is the photo; else the pieces are joined into one object.
    let (photo, seen) = if let (true, Some(seen)) = (earlier.is_empty(), last_seen) {
        (last.key.clone(), seen)
    } else {
        assemble(s, upload, earlier.iter().chain([&last])).await?
    };
    let sha256 = hex(&seen.sha.finalize());
    let check = seen.jpeg;
    let refusal = if sha256 == slot.sha256 {
        check
            .verdict(slot.width, slot.height)
            .err()
            .map(|e| format!("the photo is not what report {} says: {e}", upload.report))
    } else {
        Some(format!(
            "the photo's bytes do not match the SHA-256 in report {}",
            upload.report
        ))
    };
    if let Some(why) = refusal {
        s.cases.delete_upload(upload.id).await?;
        s.blobs.delete_parts(upload.id).await?;
        return Err(AppError::ChecksumMismatch(msg!(PHOTO_REFUSED, why = why)));
    }
    let bytes = upload.length;
    s.blobs.keep_photo(&photo, &sha256).await?;
    let review_due = s
        .reference
        .get(s.cases)
        .await?
        .rules
        .as_ref()
        .and_then(|r| r.step_due(CaseState::PendingReview, now, None));
    let arrived = ArrivedPhoto {
        sha256,
        bytes,
        at: now,
        holder: holder.user,
        review_due,
    };
    let appended = s
        .cases
        .append_upload(upload.id, &last, expires_at, Some(&arrived))
        .await?;
    if matches!(appended, Appended::Now { .. }) {
        s.blobs.delete_parts(upload.id).await?;
        tracing::info!(report = %upload.report, photo = %upload.photo, bytes, "photo arrived");
    } else {
        s.blobs.delete(&last.key).await?;
    }
    Ok(appended)
}

/// Joins an upload's parts, in order, into one object under the upload's name, learning
/// its SHA-256 and JPEG check on the way; returns the object's name.
async fn assemble<'p>(
    s: Stores<'_>,
    upload: &Upload,
    parts: impl Iterator<Item = &'p UploadPart>,
) -> Result<(String, Seen), AppError> {
    let mut writer = s.blobs.assembly_writer(upload.id).await?;
    let mut seen = Seen::default();
    for part in parts {
        if part.start != writer.written() {
            writer.abort().await?;
            return Err(AppError::Internal(format!(
                "upload {} has a hole at byte {}",
                upload.id, part.start
            )));
        }
        let mut pieces = std::pin::pin!(s.blobs.stream(&part.key).await?);
        while let Some(piece) = pieces.try_next().await? {
            seen.sha.update(&piece);
            seen.jpeg.feed(&piece);
            writer.write(&piece).await?;
        }
    }
    Ok((writer.finish_unflushed().await?, seen))
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
        return Err(AppError::NotFound(msg!(NO_UPLOAD, id = id)));
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
        return Err(AppError::BadRequest(msg!(
            NEEDS_LIMIT,
            max = MAX_NEEDS,
            n = req.photos.len()
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
