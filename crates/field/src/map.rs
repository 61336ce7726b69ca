//! What the app's map and report screens read: the grid with the inspector's own cells
//! marked, every report on the device, and photo thumbnails.

use gridwalk_protocol::PhotoId;
use rusqlite::OptionalExtension;

use crate::blobs;
use crate::engine::{Engine, inspector};
use crate::error::{Error, Result};
use crate::grid::{CellOutline, outlines};
use crate::local::{LocalReport, ReportState};

impl Engine {
    /// The grid's cells, the signed-in inspector's own marked `mine`.
    pub fn my_grid(&self) -> Result<Vec<CellOutline>> {
        let mine = inspector(&self.db())?.map(|i| i.cells).unwrap_or_default();
        Ok(outlines(&self.grid(), &mine))
    }

    /// Every report on the device, newest first: drafts, queued, sent and rejected.
    pub fn all_reports(&self) -> Result<Vec<LocalReport>> {
        let mut all = Vec::new();
        for state in [
            ReportState::Draft,
            ReportState::Queued,
            ReportState::Rejected,
            ReportState::Sent,
        ] {
            all.extend(self.reports(state)?);
        }
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(all)
    }

    /// A photo's thumbnail (JPEG). A photo that reached this device through the centre's
    /// feed has no file here: that is [`Error::NoSuchPhoto`], and the app says the photo is
    /// held at the centre.
    pub fn thumbnail(&self, photo: PhotoId) -> Result<Vec<u8>> {
        let sha: String = self
            .db()
            .query_row(
                "SELECT sha256 FROM photos WHERE id = ?1
                 UNION ALL SELECT sha256 FROM centre_photos WHERE id = ?1 LIMIT 1",
                [photo.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(Error::NoSuchPhoto(photo))?;
        let path = self.blobs.path(blobs::Kind::Thumbnail, &sha);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoSuchPhoto(photo)),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}
