//! Pulling the centre's change feed, and taking in what it says.
//!
//! After its pushes and photos, a device asks the centre for what changed since its cursor
//! (`GET /v1/changes`) and applies each page in one transaction together with the page's
//! cursor, so a crash or a dropped connection between pages only means the next pull starts
//! where the last committed page ended.
//!
//! What a page says of a report is recorded as the centre's (`central_*` columns): its
//! version, which the next edit is based on; its state; its record. When the device has
//! nothing of its own still queued for that report, the local copy takes the centre's record
//! too — a change made at the centre, or on the inspector's other device, appears here.
//! While something is queued, the local copy stays as the inspector left it: their change
//! has not been answered yet.
//!
//! A tombstone removes the local copy (if nothing of it is still queued). A `resync` answer
//! means the cursor can no longer continue: the device pulls everything from the start, and
//! at the end removes the reports the centre no longer lists.

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::TaskKind;
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{CentralReport, Change, ChangesPage, Report, ReportId};
use rusqlite::{OptionalExtension, Transaction, params};
use tracing::{debug, info};

use super::client::SyncClient;
use crate::engine::{Engine, enum_str, from_json, to_json};
use crate::error::{Error, Result};
use crate::photo::ExifFacts;

/// How many changes one pull request asks for.
pub const PAGE: usize = 200;

impl Engine {
    /// Pulls pages until the centre has nothing newer; returns how many changes arrived.
    pub async fn pull(&self, client: &SyncClient) -> Result<usize> {
        let mut pulled = 0;
        let mut pages = 0;
        let mut resynced = false;
        loop {
            let (cursor, round) = self.feed_position()?;
            let full = cursor.is_none();
            let Some(page) = client.changes(cursor.as_deref(), PAGE).await? else {
                if resynced || full {
                    return Err(Error::Server(
                        "the centre asked to start again from the beginning twice".into(),
                    ));
                }
                info!("the centre asked for a full resync: pulling from the start");
                resynced = true;
                self.restart_feed()?;
                continue;
            };
            pulled += page.changes.len();
            pages += 1;
            let more = page.more;
            self.apply_changes(&page, round)?;
            debug!(
                page = pages,
                changes = page.changes.len(),
                more,
                "pulled a page"
            );
            if !more {
                if full || resynced {
                    self.forget_unlisted(round)?;
                }
                debug!(
                    pages,
                    changes = pulled,
                    full = full || resynced,
                    "pull done"
                );
                return Ok(pulled);
            }
        }
    }

    /// The stored cursor, and the round of full pulls (a new round starts without a cursor).
    fn feed_position(&self) -> Result<(Option<String>, i64)> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let (cursor, mut round): (Option<String>, i64) =
            tx.query_row("SELECT feed_cursor, feed_round FROM sync_state", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if cursor.is_none() {
            round += 1;
            tx.execute("UPDATE sync_state SET feed_round = ?1", [round])?;
        }
        tx.commit()?;
        Ok((cursor, round))
    }

    fn restart_feed(&self) -> Result<()> {
        self.db()
            .execute("UPDATE sync_state SET feed_cursor = NULL", [])?;
        Ok(())
    }

    /// Applies one page and stores its cursor, in one transaction.
    pub fn apply_changes(&self, page: &ChangesPage, round: i64) -> Result<()> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let now = self.now();
        for change in &page.changes {
            match change {
                Change::Report(c) => take_report(&tx, c, round, now)?,
                Change::Task(t) => {
                    hold_others_report(&tx, &t.report, now)?;
                    if t.task.done_at.is_some() {
                        // Its after-photos were only to look at while it was open (the files
                        // go with the next start's sweep).
                        tx.execute(
                            "DELETE FROM centre_photos WHERE task_id = ?1",
                            [t.task.id.to_string()],
                        )?;
                    }
                    tx.execute(
                        "INSERT INTO tasks (id, report_id, kind, case_no, due_at, record,
                                            centre_done_at, received_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at,
                            record = excluded.record, centre_done_at = excluded.centre_done_at,
                            received_at = excluded.received_at",
                        params![
                            t.task.id.to_string(),
                            t.task.report.to_string(),
                            match t.task.kind {
                                TaskKind::Verify => "verify",
                                TaskKind::Check => "check",
                            },
                            // Kept whole in `record`; the column predates checks (核实),
                            // which have no case number yet.
                            t.task.case_no.as_deref().unwrap_or(""),
                            t.task.due_at,
                            to_json(&**t),
                            t.task.done_at,
                            now
                        ],
                    )?;
                }
                Change::ReportDeleted { id, .. } => forget_report(&tx, *id)?,
                Change::CodeTable { version, table } => {
                    tx.execute(
                        "INSERT INTO centre_code_tables (version, body, received_at)
                         VALUES (?1, ?2, ?3)
                         ON CONFLICT (version) DO UPDATE SET body = excluded.body,
                            received_at = excluded.received_at",
                        params![version, table.to_string(), now],
                    )?;
                }
                Change::Cell { code, feature } => {
                    tx.execute(
                        "INSERT INTO centre_cells (code, feature, received_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (code) DO UPDATE SET feature = excluded.feature,
                            received_at = excluded.received_at",
                        params![code.as_str(), feature.to_string(), now],
                    )?;
                    tx.execute(
                        "DELETE FROM centre_retired_cells WHERE code = ?1",
                        [code.as_str()],
                    )?;
                }
                Change::CellRetired { code } => {
                    // Reports filed in it keep its code; the grid and the components go.
                    tx.execute("DELETE FROM centre_cells WHERE code = ?1", [code.as_str()])?;
                    tx.execute(
                        "DELETE FROM centre_components WHERE cell = ?1",
                        [code.as_str()],
                    )?;
                    tx.execute(
                        "INSERT INTO centre_retired_cells (code, received_at) VALUES (?1, ?2)
                         ON CONFLICT (code) DO UPDATE SET received_at = excluded.received_at",
                        params![code.as_str(), now],
                    )?;
                }
                Change::Component(c) => {
                    tx.execute(
                        "INSERT INTO centre_components (id, category, cell, lon, lat, record,
                                                        received_at, central_round)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET category = excluded.category,
                            cell = excluded.cell, lon = excluded.lon, lat = excluded.lat,
                            record = excluded.record, received_at = excluded.received_at,
                            central_round = excluded.central_round",
                        params![
                            c.id.as_str(),
                            c.category.as_str(),
                            c.cell.as_str(),
                            c.lon,
                            c.lat,
                            to_json(&**c),
                            now,
                            round
                        ],
                    )?;
                }
                Change::ComponentRetired { id } => {
                    tx.execute("DELETE FROM centre_components WHERE id = ?1", [id.as_str()])?;
                }
            }
        }
        tx.execute(
            "UPDATE sync_state SET feed_cursor = ?1, last_pull_at = ?2",
            params![page.cursor, now],
        )?;
        tx.commit()?;
        drop(conn);
        if page
            .changes
            .iter()
            .any(|c| matches!(c, Change::Cell { .. } | Change::CellRetired { .. }))
        {
            // From now on reports are placed in the cells the centre sent, and not in those
            // it retired.
            self.refresh_grid()?;
        }
        Ok(())
    }

    /// After a full pull: reports the centre knew but no longer lists were removed there.
    fn forget_unlisted(&self, round: i64) -> Result<()> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let gone: Vec<String> = tx
            .prepare(
                "SELECT id FROM reports
                  WHERE central_version IS NOT NULL AND central_round < ?1 AND state = 'sent'",
            )?
            .query_map([round], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in gone {
            forget_report(&tx, crate::drafts::parse_id(&id)?)?;
        }
        // Components the centre no longer sends: the inspector's cells changed.
        tx.execute(
            "DELETE FROM centre_components WHERE central_round < ?1",
            [round],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Code tables the centre has sent, by version (the file's text).
    pub fn centre_code_tables(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .db()
            .prepare("SELECT version, body FROM centre_code_tables ORDER BY version")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Grid cells the centre has sent (code, GeoJSON Feature text).
    pub fn centre_cells(&self) -> Result<Vec<(String, String)>> {
        centre_cells(&self.db())
    }

    /// The stored feed cursor and when the last page arrived.
    pub fn feed_cursor(&self) -> Result<(Option<String>, Option<DateTime<Utc>>)> {
        Ok(self.db().query_row(
            "SELECT feed_cursor, last_pull_at FROM sync_state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}

fn queued(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE report_id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

/// Records what the centre holds of a report; takes its record if nothing is queued.
fn take_report(
    tx: &Transaction<'_>,
    c: &CentralReport,
    round: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = c.report.id.to_string();
    let record = to_json(&c.report);
    let local: Option<String> = tx
        .query_row("SELECT state FROM reports WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .optional()?;
    match local.as_deref() {
        None => {
            // Made on another device of this inspector's: kept here as sent.
            tx.execute(
                "INSERT INTO reports (id, state, reporter, code_table_version, observed_at,
                                      version, created_at, updated_at, finalized_at)
                 VALUES (?1, 'sent', ?2, ?3, ?4, 1, ?5, ?6, ?5)",
                params![
                    id,
                    c.report.reporter.to_string(),
                    c.report.code_table_version,
                    c.report.observed_at,
                    c.received_at,
                    now
                ],
            )?;
        }
        // A draft with the same ID cannot be the centre's; leave it alone.
        Some("draft") => return Ok(()),
        Some(_) => {}
    }
    tx.execute(
        "UPDATE reports SET central_version = ?2, central_state = ?3, central_record = ?4,
                central_round = ?5
          WHERE id = ?1",
        params![id, c.version, c.state.as_str(), record, round],
    )?;
    // The centre's word on why it was returned or rejected reaches the inspector.
    if let Some(note) = &c.note {
        tx.execute(
            "UPDATE reports SET centre_note = ?2 WHERE id = ?1",
            params![id, Message::from_stored(note).to_json()],
        )?;
    }
    if !queued(tx, &id)? {
        adopt(tx, &c.report, true)?;
        tx.execute(
            "UPDATE reports SET state = 'sent', updated_at = ?2 WHERE id = ?1 AND state = 'queued'",
            params![id, now],
        )?;
    }
    Ok(())
}

/// Puts the centre's record back after it refused a change, if nothing else is queued.
/// Photos the inspector added stay on the device.
pub(crate) fn restore_central(tx: &Transaction<'_>, id: &str) -> Result<()> {
    if queued(tx, id)? {
        return Ok(());
    }
    let record: Option<String> = tx
        .query_row(
            "SELECT central_record FROM reports WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(record) = record {
        adopt(tx, &from_json::<Report>(&record)?, false)?;
    }
    Ok(())
}

/// Makes the local copy of a report say what `r` says. With `photos`, photos the centre
/// lists are added (held there, not here: nothing to upload) and uploaded ones it no longer
/// lists are dropped; photos never uploaded are kept.
fn adopt(tx: &Transaction<'_>, r: &Report, photos: bool) -> Result<()> {
    let id = r.id.to_string();
    tx.execute(
        "UPDATE reports SET kind = ?2, category = ?3, code_table_version = ?4,
                component_id = ?5, description = ?6, address = ?7, location = ?8, cell = ?9,
                location_flags = ?10, urgency = ?11, observed_at = ?12, handled_on_spot = ?13
          WHERE id = ?1",
        params![
            id,
            enum_str(&r.kind),
            r.category.as_str(),
            r.code_table_version,
            r.component_id.as_ref().map(|c| c.as_str().to_owned()),
            r.description,
            r.address,
            to_json(&r.location),
            r.cell.as_ref().map(|c| c.as_str().to_owned()),
            to_json(&r.location_flags),
            enum_str(&r.urgency),
            r.observed_at,
            r.handled_on_spot
        ],
    )?;
    tx.execute("DELETE FROM clips WHERE report_id = ?1", [&id])?;
    for (i, c) in r.clips.iter().enumerate() {
        tx.execute(
            "INSERT INTO clips (report_id, position, clip) VALUES (?1, ?2, ?3)",
            params![id, i, to_json(c)],
        )?;
    }
    if !photos {
        return Ok(());
    }
    let listed: Vec<String> = r.photos.iter().map(|p| p.id.to_string()).collect();
    tx.execute(
        "DELETE FROM photos WHERE report_id = ?1 AND uploaded_at IS NOT NULL AND task_id IS NULL
            AND id NOT IN (SELECT value FROM json_each(?2))",
        params![id, to_json(&listed)],
    )?;
    for p in &r.photos {
        tx.execute(
            "INSERT INTO photos (id, report_id, position, stage, sha256, bytes, width, height,
                                 thumb_bytes, taken_at, exif, created_at, uploaded_at)
             SELECT ?1, ?2, COALESCE(MAX(position), -1) + 1, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9,
                    ?10, ?10
               FROM photos WHERE report_id = ?2
             ON CONFLICT (id) DO NOTHING",
            params![
                p.id.to_string(),
                id,
                enum_str(&p.stage),
                p.sha256,
                p.bytes,
                p.width,
                p.height,
                p.taken_at,
                to_json(&ExifFacts::default()),
                Utc::now()
            ],
        )?;
    }
    Ok(())
}

/// Removes a report the centre removed, unless something of it is still queued (the
/// centre will answer that with a conflict, and the inspector's work stays here).
fn forget_report(tx: &Transaction<'_>, id: ReportId) -> Result<()> {
    let key = id.to_string();
    if queued(tx, &key)? {
        tx.execute(
            "UPDATE reports SET centre_note = ?2 WHERE id = ?1",
            [&key, &msg!(REMOVED_AT_CENTRE).to_json()],
        )?;
        return Ok(());
    }
    tx.execute(
        "DELETE FROM reports WHERE id = ?1 AND state IN ('sent', 'rejected')",
        [&key],
    )?;
    Ok(())
}

/// Keeps the report a task is about when it is not the inspector's own (one from another
/// port, for an on-site check): a row marked `others`, sent, so the task's answer queues
/// like a verification of an own report. An own report, already held, is left alone.
fn hold_others_report(tx: &Transaction<'_>, r: &Report, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO reports (id, state, reporter, kind, category, code_table_version,
                              description, address, location, cell, urgency, observed_at,
                              created_at, updated_at, finalized_at, others)
         VALUES (?1, 'sent', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?12, 1)
         ON CONFLICT (id) DO NOTHING",
        params![
            r.id.to_string(),
            r.reporter.to_string(),
            enum_str(&r.kind),
            r.category.as_str(),
            r.code_table_version,
            r.description,
            r.address,
            to_json(&r.location),
            r.cell.as_ref().map(|c| c.as_str().to_owned()),
            enum_str(&r.urgency),
            r.observed_at,
            now
        ],
    )?;
    Ok(())
}

/// Grid cells the centre has retired, by code.
pub(crate) fn retired_cells(conn: &rusqlite::Connection) -> Result<Vec<String>> {
    Ok(conn
        .prepare("SELECT code FROM centre_retired_cells ORDER BY code")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Grid cells the centre has sent (code, GeoJSON Feature text), by code.
pub(crate) fn centre_cells(conn: &rusqlite::Connection) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare("SELECT code, feature FROM centre_cells ORDER BY code")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}
