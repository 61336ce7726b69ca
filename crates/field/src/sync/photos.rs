//! Photo uploads: after the records, the bytes.
//!
//! A photo is uploaded only once the centre holds its report (the report is `sent`), so
//! the centre can check every byte against the SHA-256 in the record. Urgent reports and
//! 突发事件 go first, then the oldest. Before sending anything the device asks which
//! photos the centre still needs: one it already holds (the same picture in two reports,
//! or an upload whose answer was lost) is marked done without sending a byte.
//!
//! Each photo is one tus upload. Its URL and the offset the centre confirmed are saved
//! after every request, so after a dropped connection, or the app being killed, the
//! upload goes on from the centre's offset (asked again with `HEAD`), not from zero. A
//! photo counts as uploaded only when the centre has answered for its last byte; the local
//! file is never removed here.

use gridwalk_protocol::message::msg;
use gridwalk_protocol::{PhotoId, PhotoNeed, ReportId};
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

use super::client::{SyncClient, UploadState};
use crate::blobs;
use crate::drafts::parse_id;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// A photo waiting to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingPhoto {
    pub id: PhotoId,
    pub report: ReportId,
    pub sha256: String,
    pub bytes: u64,
    /// The tus upload, once created.
    pub upload_url: Option<String>,
    /// Bytes the centre has confirmed.
    pub upload_offset: u64,
    pub attempts: u32,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// Its report is urgent or a 突发事件.
    pub priority: bool,
}

fn row_to_pending(r: &rusqlite::Row<'_>) -> Result<PendingPhoto> {
    Ok(PendingPhoto {
        id: r
            .get::<_, String>(0)?
            .parse()
            .map_err(|e: gridwalk_protocol::Error| Error::Damaged(e.to_string()))?,
        report: parse_id(&r.get::<_, String>(1)?)?,
        sha256: r.get(2)?,
        bytes: r.get(3)?,
        upload_url: r.get(4)?,
        upload_offset: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        priority: r.get(8)?,
    })
}

/// What one round of photo uploads did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoOutcome {
    /// Photos whose bytes were sent and confirmed.
    pub uploaded: usize,
    /// Photos the centre already held: nothing sent.
    pub already_held: usize,
    /// Photos refused (the reason is kept on each); they are tried again next round.
    pub refused: usize,
    /// Bytes sent in request bodies, including any sent again after a broken connection.
    pub bytes_sent: u64,
}

/// How many photos one "which do you need" question asks about.
const NEEDS_BATCH: usize = 500;

impl Engine {
    /// Photos of reports the centre holds whose bytes it has not confirmed, in upload order:
    /// priority reports first, then by when the report was submitted, then by position.
    pub fn photos_to_upload(&self) -> Result<Vec<PendingPhoto>> {
        let conn = self.db();
        let mut stmt = conn.prepare(
            "SELECT p.id, p.report_id, p.sha256, p.bytes, p.upload_url, p.upload_offset,
                    p.upload_attempts, p.upload_error,
                    (r.urgency = 'urgent' OR (r.kind = 'event' AND substr(r.category, 1, 2) = '04'))
                        AS priority
             FROM photos p JOIN reports r ON r.id = p.report_id
             WHERE r.state = 'sent' AND p.uploaded_at IS NULL
             ORDER BY priority DESC, r.finalized_at, r.id, p.position",
        )?;
        stmt.query_and_then([], row_to_pending)?.collect()
    }

    fn photo_progress(&self, photo: PhotoId, url: &str, offset: u64) -> Result<()> {
        self.db().execute(
            "UPDATE photos SET upload_url = ?2, upload_offset = ?3 WHERE id = ?1",
            params![photo.to_string(), url, offset],
        )?;
        Ok(())
    }

    fn photo_restart(&self, photo: PhotoId) -> Result<()> {
        self.db().execute(
            "UPDATE photos SET upload_url = NULL, upload_offset = 0 WHERE id = ?1",
            [photo.to_string()],
        )?;
        Ok(())
    }

    fn photo_done(&self, photo: PhotoId) -> Result<()> {
        self.db().execute(
            "UPDATE photos SET uploaded_at = ?2, upload_offset = bytes, upload_error = NULL
             WHERE id = ?1",
            params![photo.to_string(), self.now()],
        )?;
        Ok(())
    }

    fn photo_failed(&self, photo: PhotoId, error: &Error) -> Result<()> {
        self.db().execute(
            "UPDATE photos SET upload_attempts = upload_attempts + 1, upload_error = ?2
             WHERE id = ?1",
            params![photo.to_string(), error.to_string()],
        )?;
        Ok(())
    }

    /// The photo's upload derivative, checked against its SHA-256.
    fn photo_bytes(&self, p: &PendingPhoto) -> Result<Vec<u8>> {
        let path = self.blobs.path(blobs::Kind::Derivative, &p.sha256);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if sha != p.sha256 {
            return Err(Error::Damaged(format!(
                "photo file {} no longer matches its checksum",
                path.display()
            )));
        }
        Ok(bytes)
    }

    /// Uploads every photo the centre still needs, in order. A network or server failure
    /// stops the round (it is recorded on the photo and returned); a photo the centre
    /// refuses keeps the reason and the round goes on to the next.
    pub async fn upload_photos(&self, client: &SyncClient) -> Result<PhotoOutcome> {
        let mut outcome = PhotoOutcome::default();
        self.upload_photos_into(client, &mut outcome).await?;
        Ok(outcome)
    }

    /// [`Engine::upload_photos`], counting into `outcome` as it goes, so what was done
    /// before a failure is still counted.
    pub(crate) async fn upload_photos_into(
        &self,
        client: &SyncClient,
        outcome: &mut PhotoOutcome,
    ) -> Result<()> {
        let pending = self.photos_to_upload()?;
        let mut needed = Vec::new();
        for batch in pending.chunks(NEEDS_BATCH) {
            let ids: Vec<PhotoId> = batch.iter().map(|p| p.id).collect();
            let answer = client.photo_needs(&ids).await?;
            for (p, a) in batch.iter().zip(answer.photos) {
                if p.id != a.photo {
                    return Err(Error::Server(
                        "the photo answer does not match the question".into(),
                    ));
                }
                match a.need {
                    PhotoNeed::Arrived => {
                        self.photo_done(p.id)?;
                        outcome.already_held += 1;
                    }
                    PhotoNeed::Needed => needed.push(p.clone()),
                    PhotoNeed::Unknown => {
                        self.photo_failed(
                            p.id,
                            &Error::Refused(msg!(PHOTO_NOT_LISTED, report = p.report)),
                        )?;
                        outcome.refused += 1;
                    }
                }
            }
        }
        debug!(
            pending = pending.len(),
            needed = needed.len(),
            already_held = outcome.already_held,
            "photos the centre still needs"
        );
        let mut resumed = 0;
        for p in &needed {
            match self.upload_photo(client, p, &mut outcome.bytes_sent).await {
                Ok(from) => {
                    self.photo_done(p.id)?;
                    outcome.uploaded += 1;
                    resumed += usize::from(from > 0);
                    debug!(photo = %p.id, bytes = p.bytes, resumed_from = from, "photo uploaded");
                }
                Err(e) if e.is_retryable() => {
                    self.photo_failed(p.id, &e)?;
                    return Err(e);
                }
                Err(e @ Error::Unauthorized) => return Err(e),
                Err(e) => {
                    self.photo_failed(p.id, &e)?;
                    self.photo_restart(p.id)?;
                    outcome.refused += 1;
                    warn!(photo = %p.id, kind = e.kind(), error = %e, "photo refused");
                }
            }
        }
        debug!(
            uploaded = outcome.uploaded,
            already_held = outcome.already_held,
            refused = outcome.refused,
            bytes_sent = outcome.bytes_sent,
            resumed,
            "photos done"
        );
        Ok(())
    }

    /// Sends one photo from wherever the centre's copy stands; returns the offset it went
    /// on from (0 for a photo sent from its first byte).
    async fn upload_photo(
        &self,
        client: &SyncClient,
        p: &PendingPhoto,
        sent: &mut u64,
    ) -> Result<u64> {
        let bytes = self.photo_bytes(p)?;
        let len = bytes.len() as u64;
        let chunk = client.chunk_size();
        let slice = |from: u64| {
            let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
            &bytes[from..(from + chunk).min(bytes.len())]
        };
        let mut at = match &p.upload_url {
            Some(url) => match client.upload_state(url).await? {
                UploadState::At(offset) => {
                    info!(photo = %p.id, offset, bytes = len, "photo upload resumed");
                    Some((url.clone(), offset))
                }
                UploadState::Gone => {
                    self.photo_restart(p.id)?;
                    None
                }
            },
            None => None,
        };
        // A fresh upload twice at most: once normally, once if the first one vanished.
        for _ in 0..2 {
            let (url, mut offset, from) = match at.take() {
                Some((url, offset)) => (url, offset, offset),
                None => {
                    let first = slice(0);
                    *sent += first.len() as u64;
                    let (url, offset) = client.create_upload(p.report, p.id, len, first).await?;
                    (url, offset, 0)
                }
            };
            self.photo_progress(p.id, &url, offset)?;
            loop {
                if offset >= len {
                    return Ok(from);
                }
                let body = slice(offset);
                *sent += body.len() as u64;
                match client.append_upload(&url, offset, body).await? {
                    Ok(now) => offset = now,
                    Err(UploadState::At(now)) => offset = now,
                    Err(UploadState::Gone) => {
                        self.photo_restart(p.id)?;
                        break;
                    }
                }
                self.photo_progress(p.id, &url, offset)?;
            }
        }
        Err(Error::Refused(msg!(PHOTO_DISCARDED_TWICE)))
    }
}
