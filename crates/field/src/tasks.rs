//! Tasks the centre gives the inspector: verifications (核查) of handled cases. They arrive
//! in the change feed with the case they are about ([`TaskChange`]) and stay on the device
//! until the centre records them done.
//!
//! A verification is done offline like a report: the inspector looks, takes photos (处置后)
//! and says whether the problem is fixed. The verdict, the note and the photos' records go
//! into the outbox as one `CompleteTask` mutation, committed with the photo rows; the
//! photos' bytes follow over tus once the centre has the mutation, as a report's do. The
//! photos belong to the case's report on the device but not to its record.

use std::path::Path;

use gridwalk_protocol::message::msg;
use gridwalk_protocol::{
    MutationBody, PhotoId, PhotoRef, PhotoStage, ReportId, TaskChange, TaskId,
};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::blobs;
use crate::engine::{Engine, enum_str, from_json, to_json};
use crate::error::{Error, Result};
use crate::photo;

/// The longest note an inspector can give with a verification.
pub const NOTE_MAX_CHARS: usize = 500;

impl Engine {
    /// The tasks still to do: open at the centre and not yet done here, the soonest due
    /// first.
    pub fn tasks(&self) -> Result<Vec<TaskChange>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT record FROM tasks WHERE centre_done_at IS NULL AND done_at IS NULL
              ORDER BY due_at, id",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(from_json(&r?)?);
        }
        Ok(out)
    }

    /// Records a verification done here: `passed` (the problem is fixed), a note, and the
    /// photos taken (files, run through the photo pipeline). Queued for the centre with the
    /// photos, in one transaction. Refuses, changing nothing, a task that is not open here,
    /// a failed verification without a note, and a note over [`NOTE_MAX_CHARS`].
    pub fn complete_task(
        &self,
        task: TaskId,
        passed: bool,
        note: Option<&str>,
        photos: &[&Path],
    ) -> Result<()> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let (report, check) = self.open_task(task)?;
        if !passed && note.is_none() {
            return Err(Error::Incomplete(if check {
                msg!(DEVICE_CHECK_NOTE)
            } else {
                msg!(DEVICE_VERIFY_NOTE)
            }));
        }
        if note.is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
            return Err(Error::Incomplete(msg!(
                DEVICE_NOTE_LONG,
                max = NOTE_MAX_CHARS
            )));
        }
        // The pipeline first, outside the lock: a bad photo refuses the whole completion.
        let options = self.photo_options()?;
        let mut processed = Vec::with_capacity(photos.len());
        for path in photos {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            processed.push(photo::process(&bytes, &options, self.config.utc_offset)?);
        }
        self.ensure_room(
            processed
                .iter()
                .map(|p| (p.derivative.len() + p.thumbnail.len()) as u64)
                .sum(),
        )?;
        let mut conn = self.db();
        for p in &processed {
            self.blobs
                .put(blobs::Kind::Derivative, &p.sha256, &p.derivative)?;
            self.blobs
                .put(blobs::Kind::Thumbnail, &p.sha256, &p.thumbnail)?;
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = self.now();
        let key = report.to_string();
        let mut refs = Vec::with_capacity(processed.len());
        for p in &processed {
            let id = PhotoId::new();
            tx.execute(
                "INSERT INTO photos (id, report_id, position, stage, sha256, bytes, width, height,
                                     thumb_bytes, taken_at, exif, created_at, task_id)
                 SELECT ?1, ?2, COALESCE(MAX(position), -1) + 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
                        ?10, ?11, ?12
                   FROM photos WHERE report_id = ?2",
                params![
                    id.to_string(),
                    key,
                    enum_str(&PhotoStage::After),
                    p.sha256,
                    p.derivative.len(),
                    p.width,
                    p.height,
                    p.thumbnail.len(),
                    p.exif.taken_at,
                    to_json(&p.exif),
                    now,
                    task.to_string(),
                ],
            )?;
            refs.push(PhotoRef {
                id,
                sha256: p.sha256.clone(),
                bytes: p.derivative.len() as u64,
                width: p.width,
                height: p.height,
                taken_at: p.exif.taken_at,
                stage: PhotoStage::After,
            });
        }
        let body = MutationBody::CompleteTask {
            task,
            report,
            passed,
            note: note.map(str::to_owned),
            photos: refs,
        };
        let version: i64 = tx.query_row(
            "UPDATE reports SET state = 'queued', updated_at = ?2 WHERE id = ?1 RETURNING version",
            params![key, now],
            |r| r.get(0),
        )?;
        crate::signing::enqueue(
            &tx,
            &self.signing_key()?,
            self.device_id(),
            report,
            version,
            true,
            &body,
            now,
        )?;
        tx.execute(
            "UPDATE tasks SET done_at = ?2, passed = ?3, note = ?4, refused = NULL WHERE id = ?1",
            params![task.to_string(), now, passed, note],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// [`Engine::complete_task`] with a photo as bytes (from the app's camera), or none.
    pub fn complete_task_bytes(
        &self,
        task: TaskId,
        passed: bool,
        note: Option<&str>,
        photo: Option<&[u8]>,
    ) -> Result<()> {
        let Some(bytes) = photo else {
            return self.complete_task(task, passed, note, &[]);
        };
        self.ensure_room(2 * bytes.len() as u64)?;
        let dir = self.config.data_dir.join("incoming");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = dir.join(format!("task-{}.jpg", PhotoId::new()));
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        let done = self.complete_task(task, passed, note, &[path.as_path()]);
        let _ = std::fs::remove_file(&path);
        done
    }

    /// The report an open task is about, and whether the task is an on-site check (核实,
    /// of a report from another port, which is not on the device) rather than a
    /// verification (核查); if the task is open here.
    fn open_task(&self, task: TaskId) -> Result<(ReportId, bool)> {
        let db = self.db();
        let found: Option<(String, String)> = db
            .query_row(
                "SELECT report_id, kind FROM tasks
                  WHERE id = ?1 AND centre_done_at IS NULL AND done_at IS NULL",
                [task.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (report, kind) = found.ok_or(Error::NoSuchTask(task))?;
        Ok((crate::drafts::parse_id(&report)?, kind == "check"))
    }
}
