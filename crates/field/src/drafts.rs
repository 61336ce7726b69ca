//! Drafts: creating, editing and deleting reports before they are submitted, and attaching
//! photos and body-cam clip references to them.
//!
//! A draft is only local state — nothing goes to the outbox until it is finalized — but it
//! is still saved at every step, so an inspector who is interrupted (a call, a dead battery)
//! finds the draft as they left it.

use std::path::Path;

use gridwalk_protocol::{
    ClipRef, Kind, Location, PhotoId, PhotoRef, PhotoStage, ReportId, ValidationErrors,
    validate::FieldError,
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::blobs;
use crate::engine::{Engine, enum_from, enum_str, from_json, inspector, to_json};
use crate::error::{Error, Result};
use crate::grid::CellAssignment;
use crate::local::{DraftPatch, LocalPhoto, LocalReport, ReportState};
use crate::photo::{self, ExifFacts};

impl Engine {
    /// Starts a new draft in the signed-in inspector's name, observed now.
    pub fn create_draft(&self) -> Result<LocalReport> {
        let mut conn = self.db();
        let reporter = inspector(&conn)?.ok_or(Error::NotSignedIn)?.id;
        let id = ReportId::new();
        let now = self.now();
        conn.execute(
            "INSERT INTO reports (id, state, reporter, code_table_version, observed_at,
                                  created_at, updated_at)
             VALUES (?1, 'draft', ?2, ?3, ?4, ?5, ?5)",
            params![
                id.to_string(),
                reporter.to_string(),
                self.reference.codes.version(),
                self.local_now(),
                now
            ],
        )?;
        load(&mut conn, id)
    }

    /// One report, draft or submitted.
    pub fn report(&self, id: ReportId) -> Result<LocalReport> {
        load(&mut self.db(), id)
    }

    /// Reports in a state, newest first.
    pub fn reports(&self, state: ReportState) -> Result<Vec<LocalReport>> {
        let mut conn = self.db();
        let ids: Vec<String> = conn
            .prepare(
                "SELECT id FROM reports WHERE state = ?1 AND others = 0
                  ORDER BY created_at DESC, id DESC",
            )?
            .query_map([state.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| load(&mut conn, parse_id(id)?))
            .collect()
    }

    /// Edits a draft's own fields. A category is checked against the code table at once,
    /// so the picker can never store a code that submission would refuse.
    pub fn update_draft(&self, id: ReportId, patch: &DraftPatch) -> Result<LocalReport> {
        let mut conn = self.db();
        let tx = draft_tx(&mut conn, id)?;
        let current = load_tx(&tx, id)?;
        self.write_fields(&tx, &current, patch)?;
        let updated = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Writes a report's own fields from `patch` (a category is checked against the code
    /// table at once).
    pub(crate) fn write_fields(
        &self,
        tx: &Transaction<'_>,
        current: &LocalReport,
        patch: &DraftPatch,
    ) -> Result<()> {
        let kind = patch.kind.or(current.kind);
        let category = patch.category.clone().or(current.category.clone());
        if let (Some(kind), Some(code)) = (kind, &category)
            && self.reference.codes.get(kind, code).is_none()
        {
            return Err(Error::Invalid(ValidationErrors(vec![FieldError {
                field: "category".into(),
                problem: gridwalk_protocol::message::msg!(
                    VALID_UNKNOWN_CATEGORY,
                    kind = kind.name_zh(),
                    category = code,
                    table = self.reference.codes.version()
                ),
            }])));
        }
        let component_id = patch
            .component_id
            .clone()
            .unwrap_or(current.component_id.clone());
        tx.execute(
            "UPDATE reports SET kind = ?2, category = ?3, component_id = ?4, description = ?5,
                    address = ?6, urgency = ?7, observed_at = ?8, handled_on_spot = ?9,
                    updated_at = ?10, code_table_version = ?11
             WHERE id = ?1",
            params![
                current.id.to_string(),
                kind.map(|k| enum_str(&k)),
                category.map(String::from),
                component_id.map(String::from),
                patch.description.as_ref().unwrap_or(&current.description),
                patch.address.as_ref().unwrap_or(&current.address),
                enum_str(&patch.urgency.unwrap_or(current.urgency)),
                patch.observed_at.unwrap_or(current.observed_at),
                patch.handled_on_spot.unwrap_or(current.handled_on_spot),
                self.now(),
                // A category picked now is picked from the table loaded now.
                if patch.kind.is_some() || patch.category.is_some() {
                    self.reference.codes.version()
                } else {
                    current.code_table_version.as_str()
                },
            ],
        )?;
        Ok(())
    }

    /// Sets the draft's position and places it in the grid. Never refuses a position that
    /// is merely outside the grid or imprecise: it is flagged instead.
    pub fn set_location(&self, id: ReportId, location: Location) -> Result<LocalReport> {
        gridwalk_protocol::validate_location(&location, self.now())?;
        let mut conn = self.db();
        let cells = inspector(&conn)?.map(|i| i.cells).unwrap_or_default();
        let tx = draft_tx(&mut conn, id)?;
        let assignment = self.assign(&location, &cells);
        store_location(&tx, id, &location, &assignment, self.now())?;
        let updated = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Places a position in the grid without saving anything (for the map's live preview).
    pub fn assign_cell(&self, location: &Location) -> Result<CellAssignment> {
        gridwalk_protocol::validate_location(location, self.now())?;
        let cells = self.inspector()?.map(|i| i.cells).unwrap_or_default();
        Ok(self.assign(location, &cells))
    }

    fn assign(&self, l: &Location, cells: &[gridwalk_protocol::CellCode]) -> CellAssignment {
        self.grid().assign(
            l.lon,
            l.lat,
            l.accuracy_m,
            self.config.max_accuracy_m,
            cells,
        )
    }

    /// Runs a camera file through the photo pipeline and attaches the result. If the draft
    /// has no position yet and the photo carries a GPS fix with a stated accuracy, that fix
    /// becomes the draft's position.
    pub fn add_photo(&self, id: ReportId, source: &Path, stage: PhotoStage) -> Result<LocalReport> {
        // Fail fast on a submitted report before spending a second on the pipeline.
        draft_state(&self.db(), id)?;
        let bytes = std::fs::read(source).map_err(|e| Error::io(source, e))?;
        // The original's copy, and the derivative and thumbnail (smaller than it).
        self.ensure_room(2 * bytes.len() as u64)?;
        let processed = photo::process(&bytes, &self.photo_options()?, self.config.utc_offset)?;
        let photo_id = PhotoId::new();

        // Files first, row second: a crash in between leaves only an orphan file. Both happen
        // under the connection lock, so a concurrent delete cannot remove a shared
        // content-addressed file between our write and our row.
        let mut conn = self.db();
        self.blobs.put(
            blobs::Kind::Derivative,
            &processed.sha256,
            &processed.derivative,
        )?;
        self.blobs.put(
            blobs::Kind::Thumbnail,
            &processed.sha256,
            &processed.thumbnail,
        )?;
        let original = if self.config.keep_originals {
            let name = photo_id.to_string();
            self.blobs.put(blobs::Kind::Original, &name, &bytes)?;
            Some(name)
        } else {
            None
        };

        let cells = inspector(&conn)?.map(|i| i.cells).unwrap_or_default();
        let tx = draft_tx(&mut conn, id)?;
        let position: i64 = tx.query_row(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM photos WHERE report_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO photos (id, report_id, position, stage, sha256, bytes, width, height,
                                 thumb_bytes, taken_at, exif, original, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                photo_id.to_string(),
                id.to_string(),
                position,
                enum_str(&stage),
                processed.sha256,
                processed.derivative.len(),
                processed.width,
                processed.height,
                processed.thumbnail.len(),
                processed.exif.taken_at,
                to_json(&processed.exif),
                original,
                self.now(),
            ],
        )?;
        let current = load_tx(&tx, id)?;
        if current.location.is_none()
            && let Some(location) = exif_location(&processed.exif, self.now())
        {
            let assignment = self.assign(&location, &cells);
            store_location(&tx, id, &location, &assignment, self.now())?;
        }
        let updated = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Detaches a photo from its draft and deletes its files unless another photo shares them.
    /// Adds a photo handed over as bytes (the app's camera input): staged as a file under
    /// the data directory's `incoming/`, processed like any photo file, then removed.
    pub fn add_photo_bytes(
        &self,
        id: ReportId,
        bytes: &[u8],
        stage: PhotoStage,
    ) -> Result<LocalReport> {
        // Staged, then copied and reduced: refused before the staging copy is written.
        self.ensure_room(3 * bytes.len() as u64)?;
        let dir = self.config.data_dir.join("incoming");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = dir.join(format!("camera-{}.jpg", PhotoId::new()));
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        let added = self.add_photo(id, &path, stage);
        let _ = std::fs::remove_file(&path);
        added
    }

    pub fn remove_photo(&self, photo: PhotoId) -> Result<LocalReport> {
        let mut conn = self.db();
        let (report, sha, original): (String, String, Option<String>) = conn
            .query_row(
                "SELECT report_id, sha256, original FROM photos WHERE id = ?1",
                [photo.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::NoSuchPhoto(photo))?;
        let id = parse_id(&report)?;
        let tx = draft_tx(&mut conn, id)?;
        tx.execute("DELETE FROM photos WHERE id = ?1", [photo.to_string()])?;
        touch(&tx, id, self)?;
        let updated = load_tx(&tx, id)?;
        let still_used: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)",
            [&sha],
            |r| r.get(0),
        )?;
        tx.commit()?;
        self.remove_files(&sha, still_used, original.as_deref());
        drop(conn);
        Ok(updated)
    }

    /// Adds a body-cam clip reference to a draft, checked on its own first.
    pub fn add_clip(&self, id: ReportId, clip: &ClipRef) -> Result<LocalReport> {
        gridwalk_protocol::validate_clip(clip, self.now())?;
        let mut conn = self.db();
        let tx = draft_tx(&mut conn, id)?;
        tx.execute(
            "INSERT INTO clips (report_id, position, clip)
             VALUES (?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM clips WHERE report_id = ?1), ?2)",
            params![id.to_string(), to_json(clip)],
        )?;
        // The camera is remembered for the next reference.
        tx.execute(
            "UPDATE device SET camera_serial = ?1",
            [&clip.camera_serial],
        )?;
        touch(&tx, id, self)?;
        let updated = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Removes the clip reference at `index` (as listed on the report).
    pub fn remove_clip(&self, id: ReportId, index: usize) -> Result<LocalReport> {
        let mut conn = self.db();
        let tx = draft_tx(&mut conn, id)?;
        let deleted = tx.execute(
            "DELETE FROM clips WHERE report_id = ?1 AND position =
               (SELECT position FROM clips WHERE report_id = ?1 ORDER BY position LIMIT 1 OFFSET ?2)",
            params![id.to_string(), i64::try_from(index).unwrap_or(i64::MAX)],
        )?;
        if deleted == 0 {
            return Err(Error::NoSuchClip(index + 1));
        }
        touch(&tx, id, self)?;
        let updated = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Deletes a draft with its photos and clips. Submitted reports cannot be deleted here.
    pub fn delete_draft(&self, id: ReportId) -> Result<()> {
        let mut conn = self.db();
        let tx = draft_tx(&mut conn, id)?;
        let photos: Vec<(String, Option<String>)> = tx
            .prepare("SELECT sha256, original FROM photos WHERE report_id = ?1")?
            .query_map([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM reports WHERE id = ?1", [id.to_string()])?;
        let mut files = Vec::new();
        for (sha, original) in photos {
            let still_used: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)",
                [&sha],
                |r| r.get(0),
            )?;
            files.push((sha, still_used, original));
        }
        tx.commit()?;
        for (sha, still_used, original) in files {
            self.remove_files(&sha, still_used, original.as_deref());
        }
        drop(conn);
        Ok(())
    }

    /// Removes the files of a photo whose row is already gone. Called with the connection
    /// lock held (see `add_photo`). The row's removal is committed, so a failure here is not
    /// the caller's failure: the file is left for the sweep on the next open.
    fn remove_files(&self, sha: &str, still_used: bool, original: Option<&str>) {
        if !still_used {
            let _ = self.blobs.remove(blobs::Kind::Derivative, sha);
            let _ = self.blobs.remove(blobs::Kind::Thumbnail, sha);
        }
        if let Some(name) = original {
            let _ = self.blobs.remove(blobs::Kind::Original, name);
        }
    }
}

/// A photo's EXIF GPS block as a position, if it is complete (a stated accuracy and a
/// GPS fix time, which is UTC by definition) and valid; damaged EXIF is ignored, not stored.
fn exif_location(exif: &ExifFacts, now: chrono::DateTime<chrono::Utc>) -> Option<Location> {
    let gps = exif.gps?;
    let location = Location {
        lon: gps.lon,
        lat: gps.lat,
        crs: gridwalk_protocol::Crs::Wgs84,
        accuracy_m: gps.accuracy_m?,
        fix_time: gps.fix_time?,
        provider: gridwalk_protocol::LocationProvider::PhotoExif,
    };
    gridwalk_protocol::validate_location(&location, now)
        .ok()
        .map(|()| location)
}

fn store_location(
    tx: &Transaction<'_>,
    id: ReportId,
    location: &Location,
    assignment: &CellAssignment,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE reports SET location = ?2, cell = ?3, location_flags = ?4, updated_at = ?5
         WHERE id = ?1",
        params![
            id.to_string(),
            to_json(location),
            assignment.cell.clone().map(String::from),
            to_json(&assignment.flags),
            now
        ],
    )?;
    Ok(())
}

fn touch(tx: &Transaction<'_>, id: ReportId, engine: &Engine) -> Result<()> {
    tx.execute(
        "UPDATE reports SET updated_at = ?2 WHERE id = ?1",
        params![id.to_string(), engine.now()],
    )?;
    Ok(())
}

pub(crate) fn parse_id(s: &str) -> Result<ReportId> {
    s.parse()
        .map_err(|e: gridwalk_protocol::Error| Error::Damaged(e.to_string()))
}

fn draft_state(conn: &Connection, id: ReportId) -> Result<()> {
    let state: Option<String> = conn
        .query_row(
            "SELECT state FROM reports WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    match state.as_deref() {
        None => Err(Error::NoSuchReport(id)),
        Some("draft") => Ok(()),
        Some(_) => Err(Error::NotADraft(id)),
    }
}

/// Opens a write transaction on a report that must exist and still be a draft.
pub(crate) fn draft_tx(conn: &mut Connection, id: ReportId) -> Result<Transaction<'_>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    draft_state(&tx, id)?;
    Ok(tx)
}

pub(crate) fn load(conn: &mut Connection, id: ReportId) -> Result<LocalReport> {
    let tx = conn.transaction()?;
    let report = load_tx(&tx, id)?;
    tx.finish()?;
    Ok(report)
}

/// Reads a report with its photos and clips, within one transaction so the three agree.
pub(crate) fn load_tx(tx: &Connection, id: ReportId) -> Result<LocalReport> {
    let key = id.to_string();
    let mut report = tx
        .query_row(
            "SELECT id, state, reporter, kind, category, code_table_version, component_id,
                    description, address, location, cell, location_flags, urgency, observed_at,
                    handled_on_spot, version, created_at, updated_at, finalized_at, centre_note,
                    central_version, central_state
             FROM reports WHERE id = ?1",
            [&key],
            |r| Ok(row_to_report(r)),
        )
        .optional()?
        .ok_or(Error::NoSuchReport(id))??;
    report.photos = tx
        .prepare(
            "SELECT id, sha256, bytes, width, height, taken_at, stage, thumb_bytes, exif, original,
                    released_at IS NULL
             FROM photos WHERE report_id = ?1 AND task_id IS NULL ORDER BY position",
        )?
        .query_map([&key], |r| Ok(row_to_photo(r)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .collect::<Result<_>>()?;
    report.clips = tx
        .prepare("SELECT clip FROM clips WHERE report_id = ?1 ORDER BY position")?
        .query_map([&key], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .iter()
        .map(|s| from_json(s))
        .collect::<Result<_>>()?;
    Ok(report)
}

fn row_to_report(r: &Row<'_>) -> Result<LocalReport> {
    let opt_parse = |i: usize| -> Result<Option<String>> { Ok(r.get::<_, Option<String>>(i)?) };
    let bad = |e: gridwalk_protocol::Error| Error::Damaged(e.to_string());
    Ok(LocalReport {
        id: parse_id(&r.get::<_, String>(0)?)?,
        state: ReportState::parse(&r.get::<_, String>(1)?)
            .ok_or_else(|| Error::Damaged("unknown report state".into()))?,
        reporter: r.get::<_, String>(2)?.parse().map_err(bad)?,
        kind: opt_parse(3)?.map(|s| enum_from::<Kind>(&s)).transpose()?,
        category: opt_parse(4)?.map(|s| s.parse()).transpose().map_err(bad)?,
        code_table_version: r.get(5)?,
        component_id: opt_parse(6)?.map(|s| s.parse()).transpose().map_err(bad)?,
        description: r.get(7)?,
        address: r.get(8)?,
        location: opt_parse(9)?.map(|s| from_json(&s)).transpose()?,
        cell: opt_parse(10)?.map(|s| s.parse()).transpose().map_err(bad)?,
        location_flags: from_json(&r.get::<_, String>(11)?)?,
        urgency: enum_from(&r.get::<_, String>(12)?)?,
        observed_at: r.get(13)?,
        handled_on_spot: r.get(14)?,
        version: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        finalized_at: r.get(18)?,
        centre_note: r
            .get::<_, Option<String>>(19)?
            .map(|n| gridwalk_protocol::Message::from_stored(&n)),
        central_version: r.get(20)?,
        central_state: opt_parse(21)?
            .map(|s| s.parse::<gridwalk_protocol::CaseState>())
            .transpose()
            .map_err(bad)?,
        photos: Vec::new(),
        clips: Vec::new(),
    })
}

fn row_to_photo(r: &Row<'_>) -> Result<LocalPhoto> {
    Ok(LocalPhoto {
        photo: PhotoRef {
            id: r
                .get::<_, String>(0)?
                .parse()
                .map_err(|e: gridwalk_protocol::Error| Error::Damaged(e.to_string()))?,
            sha256: r.get(1)?,
            bytes: r.get(2)?,
            width: r.get(3)?,
            height: r.get(4)?,
            taken_at: r.get(5)?,
            stage: enum_from(&r.get::<_, String>(6)?)?,
        },
        thumb_bytes: r.get(7)?,
        exif: from_json(&r.get::<_, String>(8)?)?,
        original_kept: r.get::<_, Option<String>>(9)?.is_some(),
        derivative_kept: r.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::photo::ExifGps;

    fn facts(lat: f64, fix: bool, accuracy: Option<f64>) -> ExifFacts {
        ExifFacts {
            gps: Some(ExifGps {
                lon: 113.08,
                lat,
                accuracy_m: accuracy,
                fix_time: fix.then(|| at(3, 1)),
            }),
            orientation: 1,
            ..ExifFacts::default()
        }
    }

    fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn exif_positions_must_be_complete_and_valid() {
        let now = at(3, 2);
        let ok = exif_location(&facts(22.59, true, Some(5.0)), now).expect("complete and valid");
        assert_eq!(ok.provider, gridwalk_protocol::LocationProvider::PhotoExif);
        assert!(
            exif_location(&facts(95.0, true, Some(5.0)), now).is_none(),
            "damaged latitude"
        );
        assert!(
            exif_location(&facts(22.59, false, Some(5.0)), now).is_none(),
            "no fix time"
        );
        assert!(
            exif_location(&facts(22.59, true, None), now).is_none(),
            "no accuracy"
        );
        let before_fix = at(2, 0);
        assert!(
            exif_location(&facts(22.59, true, Some(5.0)), before_fix).is_none(),
            "future fix"
        );
    }
}
