//! The embedded SQLite case store: the default, for one office or a demo. One connection
//! behind a mutex, used from a blocking thread; WAL with `synchronous = FULL`, so an answer
//! sent to a device is never for a write that a power cut could undo.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    CaseEvent, Conflict, ConsoleReport, DeviceRow, IntakeHealth, Task,
};
use gridwalk_protocol::{
    CaseState, CellCode, DeviceId, MutationId, Outcome, PhotoId, PhotoNeed, QueueStats, Report,
    ReportId, ReportPatch, TaskId, UserId, Version,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::{
    Appended, Applied, ArrivedPhoto, Author, CaseFacts, CaseStore, Device, EditEffect, Effect,
    FeedKind, FeedPage, FeedRow, PhotoSlot, ReportFilter, ReportVersion, Resolution, Sequence,
    Step, Stepped, StoreError, StoreResult, StoredReport, Touch, Upload, UploadPart, User,
    distinct, forgotten, resubmitted, sequence,
};
use crate::duplicates;

mod cases;
mod console;
use crate::edits::{self, Held, History, Plan};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_photos.sql"),
    include_str!("../../../migrations/sqlite/0003_edits_feed.sql"),
    include_str!("../../../migrations/sqlite/0004_cases.sql"),
];

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"))
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Db(format!("unreadable row: {e}")))
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    json(v).trim_matches('"').to_owned()
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "full")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        let current: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        if current > MIGRATIONS.len() {
            return Err(StoreError::Db(format!(
                "the database has schema {current}, newer than this server's {}",
                MIGRATIONS.len()
            )));
        }
        // A migration may rebuild a table (SQLite's way to change a constraint), which needs
        // foreign keys off: they are checked by hand before it commits instead.
        conn.pragma_update(None, "foreign_keys", "off")
            .map_err(db)?;
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()
                .map_err(db)?;
            if let Some(table) = broken {
                return Err(StoreError::Db(format!(
                    "migration {} leaves a broken reference in {table}",
                    n + 1
                )));
            }
            tx.pragma_update(None, "user_version", n + 1).map_err(db)?;
            tx.commit().map_err(db)?;
        }
        conn.pragma_update(None, "foreign_keys", "on").map_err(db)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // SQLite rolls back an unfinished transaction, so a poisoned lock is still sound.
            let mut guard = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Db(format!("store task failed: {e}")))?
    }
}

fn read_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<User>> {
    let (id, role, cells): (String, String, String) = (r.get(0)?, r.get(3)?, r.get(5)?);
    let (login, name, team, badge, camera_serial) =
        (r.get(1)?, r.get(2)?, r.get(4)?, r.get(6)?, r.get(7)?);
    Ok((|| {
        Ok(User {
            id: id.parse().map_err(db)?,
            login,
            name,
            role: parse(&json(&role))?,
            team,
            cells: parse(&cells)?,
            badge,
            camera_serial,
        })
    })())
}

const USER_COLUMNS: &str = "id, login, name, role, team, cells, badge, camera_serial";

#[async_trait]
impl CaseStore for SqliteStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.call(move |c| {
            c.execute(
                "INSERT INTO users (id, login, name, role, team, cells, badge, camera_serial)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,
                    team = excluded.team, cells = excluded.cells, badge = excluded.badge,
                    camera_serial = excluded.camera_serial",
                params![
                    u.id.to_string(),
                    u.login,
                    u.name,
                    enum_text(&u.role),
                    u.team,
                    json(&u.cells),
                    u.badge,
                    u.camera_serial
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let login = login.to_owned();
        self.call(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE login = ?1"),
                [login],
                read_user,
            )
            .optional()
            .map_err(db)?
            .transpose()
        })
        .await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.call(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id.to_string()],
                read_user,
            )
            .optional()
            .map_err(db)?
            .transpose()
        })
        .await
    }

    async fn enroll_device(
        &self,
        device: DeviceId,
        user: UserId,
        token_sha256: &str,
    ) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        self.call(move |c| {
            c.execute(
                "INSERT INTO devices (id, user_id, token_sha256, enrolled_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
                    token_sha256 = excluded.token_sha256, enrolled_at = excluded.enrolled_at",
                params![device.to_string(), user.to_string(), token, Utc::now()],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>> {
        let token = token_sha256.to_owned();
        self.call(move |c| {
            let row: Option<(String, String)> = c
                .query_row(
                    "SELECT id, user_id FROM devices WHERE token_sha256 = ?1",
                    [token],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(|(id, user)| {
                Ok(Device {
                    id: id.parse().map_err(db)?,
                    user: user.parse().map_err(db)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn device_seen(
        &self,
        device: DeviceId,
        app_version: &str,
        queue: QueueStats,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let version = app_version.to_owned();
        self.call(move |c| {
            c.execute(
                "UPDATE devices SET last_seen = ?2, app_version = ?3, queue_reports = ?4,
                        queue_photos = ?5, queue_bytes = ?6 WHERE id = ?1",
                params![
                    device.to_string(),
                    at,
                    version,
                    queue.reports,
                    queue.photos,
                    queue.bytes
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn last_applied(&self, device: DeviceId) -> StoreResult<MutationId> {
        self.call(move |c| {
            c.query_row(
                "SELECT last_applied FROM devices WHERE id = ?1",
                [device.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("device {device}")))
        })
        .await
    }

    async fn apply(
        &self,
        device: DeviceId,
        batch: Vec<(MutationId, Effect)>,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Applied>> {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let dev = device.to_string();
            let first: MutationId = tx
                .query_row("SELECT last_applied FROM devices WHERE id = ?1", [&dev], |r| r.get(0))
                .map_err(db)?;
            let mut last = first;
            let mut answers = Vec::with_capacity(batch.len());
            let mut touches = Vec::new();
            for (id, effect) in batch {
                match sequence(id, last) {
                    Sequence::Repeat => {
                        let outcome: Option<String> = tx
                            .query_row(
                                "SELECT outcome FROM applied_mutations
                                  WHERE device_id = ?1 AND mutation_id = ?2",
                                params![dev, id],
                                |r| r.get(0),
                            )
                            .optional()
                            .map_err(db)?;
                        let outcome = match outcome {
                            Some(o) => parse(&o)?,
                            None => forgotten(id),
                        };
                        answers.push(Applied::Answer(outcome));
                    }
                    Sequence::Gap { expected } => {
                        answers.push(Applied::Gap { expected });
                        break;
                    }
                    Sequence::Next => {
                        let outcome = match effect {
                            Effect::Reject(reason) => Outcome::Rejected { reason },
                            Effect::InsertReport(report) => {
                                insert_report(&tx, &dev, &report, at, &mut touches)?
                            }
                            Effect::EditReport(edit) => {
                                edit_report(&tx, id, &edit, at, &mut touches)?
                            }
                            Effect::Step(step) => {
                                let mut step = *step;
                                step.by.mutation = Some(id);
                                match cases::step_in(&tx, &step, &mut touches)? {
                                    Stepped::Done { .. } => Outcome::Applied,
                                    Stepped::Refused(reason) => Outcome::Rejected { reason },
                                }
                            }
                        };
                        tx.execute(
                            "INSERT INTO applied_mutations (device_id, mutation_id, outcome, applied_at)
                             VALUES (?1, ?2, ?3, ?4)",
                            params![dev, id, json(&outcome), at],
                        )
                        .map_err(db)?;
                        last = id;
                        answers.push(Applied::Answer(outcome));
                    }
                }
            }
            if last != first {
                tx.execute(
                    "UPDATE devices SET last_applied = ?2 WHERE id = ?1",
                    params![dev, last],
                )
                .map_err(db)?;
            }
            write_feed(&tx, touches, at)?;
            tx.commit().map_err(db)?;
            Ok(answers)
        })
        .await
    }

    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()> {
        let (version, body) = (version.to_owned(), body.to_owned());
        self.call(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO code_tables (version, body, loaded_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (version) DO UPDATE SET body = excluded.body, loaded_at = excluded.loaded_at",
                params![version, body, Utc::now()],
            )
            .map_err(db)?;
            write_feed(
                &tx,
                vec![Touch {
                    kind: FeedKind::CodeTable,
                    entity: version,
                    user: None,
                    cell: None,
                    tombstone: false,
                }],
                Utc::now(),
            )?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>> {
        self.call(|c| {
            c.prepare("SELECT version, body FROM code_tables ORDER BY version")
                .map_err(db)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)
        })
        .await
    }

    async fn put_cells(&self, cells: &[(CellCode, String)]) -> StoreResult<usize> {
        let cells = cells.to_vec();
        self.call(move |c| {
            let tx = c.transaction().map_err(db)?;
            for (code, feature) in &cells {
                tx.execute(
                    "INSERT INTO cells (code, feature) VALUES (?1, ?2)
                     ON CONFLICT (code) DO UPDATE SET feature = excluded.feature",
                    params![code.as_str(), feature],
                )
                .map_err(db)?;
            }
            let touches = cells
                .iter()
                .map(|(code, _)| Touch {
                    kind: FeedKind::Cell,
                    entity: code.as_str().to_owned(),
                    user: None,
                    cell: Some(code.as_str().to_owned()),
                    tombstone: false,
                })
                .collect();
            write_feed(&tx, touches, Utc::now())?;
            tx.commit().map_err(db)?;
            Ok(cells.len())
        })
        .await
    }

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>> {
        self.call(move |c| stored_report(c, id)).await
    }

    async fn reports(&self, ids: &[ReportId]) -> StoreResult<Vec<StoredReport>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.call(move |c| {
            c.prepare(&format!(
                "SELECT {STORED_COLUMNS} FROM reports WHERE id IN (SELECT value FROM json_each(?1))"
            ))
            .map_err(db)?
            .query_map([json(&ids)], read_stored)
            .map_err(db)?
            .map(|r| r.map_err(db)?)
            .collect()
        })
        .await
    }

    async fn report_count(&self) -> StoreResult<u64> {
        self.call(|c| {
            c.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
                .map_err(db)
        })
        .await
    }

    async fn write_version(
        &self,
        record: &Report,
        expected_version: Version,
        patch: &ReportPatch,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Version> {
        let (record, patch) = (record.clone(), patch.clone());
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let held: Option<Version> = tx
                .query_row(
                    "SELECT version FROM reports WHERE id = ?1 AND deleted_at IS NULL",
                    [record.id.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            match held {
                None => return Err(StoreError::NotFound(format!("report {}", record.id))),
                Some(v) if v != expected_version => {
                    return Err(StoreError::Stale(format!(
                        "report {} is at version {v}, not {expected_version}",
                        record.id
                    )));
                }
                Some(_) => {}
            }
            let author = Author {
                user: Some(by),
                device: None,
                mutation: None,
            };
            let mut touches = Vec::new();
            let v = store_version(&tx, &record, &patch, author, at, false, &mut touches)?;
            write_feed(&tx, touches, at)?;
            tx.commit().map_err(db)?;
            Ok(v)
        })
        .await
    }

    async fn delete_report(&self, id: ReportId, at: DateTime<Utc>) -> StoreResult<()> {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let reporter: Option<String> = tx
                .query_row(
                    "UPDATE reports SET deleted_at = COALESCE(deleted_at, ?2) WHERE id = ?1
                     RETURNING reporter",
                    params![id.to_string(), at],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            let reporter = reporter.ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
            let touch = Touch {
                tombstone: true,
                ..Touch::report(id, reporter.parse().map_err(db)?)
            };
            write_feed(&tx, vec![touch], at)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn report_versions(&self, id: ReportId) -> StoreResult<Vec<ReportVersion>> {
        self.call(move |c| {
            c.prepare(
                "SELECT version, record, patch, by_user, by_device, mutation_id, at
                   FROM report_versions WHERE report_id = ?1 ORDER BY version",
            )
            .map_err(db)?
            .query_map([id.to_string()], |r| {
                let row: (
                    Version,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                ) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                Ok((row, r.get::<_, Option<MutationId>>(5)?, r.get(6)?))
            })
            .map_err(db)?
            .map(|row| {
                let ((version, record, patch, user, device), mutation, at) = row.map_err(db)?;
                Ok(ReportVersion {
                    version,
                    record: parse(&record)?,
                    patch: patch.as_deref().map(parse).transpose()?,
                    by: Author {
                        user: user.map(|u| u.parse().map_err(db)).transpose()?,
                        device: device.map(|d| d.parse().map_err(db)).transpose()?,
                        mutation,
                    },
                    at,
                })
            })
            .collect()
        })
        .await
    }

    async fn conflicts(&self, report: ReportId) -> StoreResult<Vec<Conflict>> {
        self.call(move |c| console::conflicts_where(c, "report_id = ?1", report.to_string()))
            .await
    }

    async fn feed(
        &self,
        user: UserId,
        cells: &[CellCode],
        after: u64,
        limit: usize,
    ) -> StoreResult<FeedPage> {
        let cells: Vec<&str> = cells.iter().map(CellCode::as_str).collect();
        let cells = json(&cells);
        self.call(move |c| {
            let tx = c.transaction().map_err(db)?;
            let (epoch, last_seq, horizon) = tx
                .query_row("SELECT epoch, last_seq, horizon FROM feed_state", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(db)?;
            let rows = tx
                .prepare(
                    "SELECT seq, kind, entity FROM changes
                      WHERE seq > ?1 AND (user_id = ?2 OR (user_id IS NULL AND
                            (cell IS NULL OR cell IN (SELECT value FROM json_each(?3)))))
                      ORDER BY seq LIMIT ?4",
                )
                .map_err(db)?
                .query_map(params![after, user.to_string(), cells, limit], |r| {
                    Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })
                .map_err(db)?
                .map(|row| {
                    let (seq, kind, entity) = row.map_err(db)?;
                    Ok(FeedRow {
                        seq,
                        kind: FeedKind::parse(&kind)?,
                        entity,
                    })
                })
                .collect::<StoreResult<_>>()?;
            tx.commit().map_err(db)?;
            Ok(FeedPage {
                epoch,
                horizon,
                last_seq,
                rows,
            })
        })
        .await
    }

    async fn cells(&self, codes: &[String]) -> StoreResult<Vec<(CellCode, String)>> {
        let codes = json(&codes);
        self.call(move |c| {
            c.prepare(
                "SELECT code, feature FROM cells WHERE code IN (SELECT value FROM json_each(?1))",
            )
            .map_err(db)?
            .query_map([codes], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))
            .map_err(db)?
            .map(|row| {
                let (code, feature) = row.map_err(db)?;
                Ok((code.parse().map_err(db)?, feature))
            })
            .collect()
        })
        .await
    }

    async fn prune_feed(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let (n, newest): (u64, Option<u64>) = tx
                .query_row(
                    "SELECT COUNT(*), MAX(seq) FROM changes WHERE tombstone AND at < ?1",
                    [before],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(db)?;
            if let Some(newest) = newest {
                tx.execute("DELETE FROM changes WHERE tombstone AND at < ?1", [before])
                    .map_err(db)?;
                tx.execute("UPDATE feed_state SET horizon = MAX(horizon, ?1)", [newest])
                    .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(n)
        })
        .await
    }

    async fn photo_slot(
        &self,
        device: DeviceId,
        report: ReportId,
        photo: PhotoId,
    ) -> StoreResult<Option<PhotoSlot>> {
        self.call(move |c| {
            c.query_row(
                "SELECT p.sha256, p.bytes, p.arrived FROM report_photos p
                   JOIN reports r ON r.id = p.report_id
                  WHERE p.report_id = ?1 AND p.photo_id = ?2 AND r.device_id = ?3
                 UNION ALL
                 SELECT t.sha256, t.bytes, t.arrived FROM task_photos t
                  WHERE t.report_id = ?1 AND t.photo_id = ?2 AND t.device_id = ?3
                 LIMIT 1",
                params![report.to_string(), photo.to_string(), device.to_string()],
                |r| {
                    Ok(PhotoSlot {
                        sha256: r.get(0)?,
                        bytes: r.get(1)?,
                        arrived: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn photo_needs(
        &self,
        device: DeviceId,
        photos: &[PhotoId],
    ) -> StoreResult<Vec<(PhotoId, PhotoNeed)>> {
        let photos = photos.to_vec();
        self.call(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT MIN(arrived) FROM (
                        SELECT p.arrived FROM report_photos p
                          JOIN reports r ON r.id = p.report_id
                         WHERE p.photo_id = ?1 AND r.device_id = ?2
                        UNION ALL
                        SELECT t.arrived FROM task_photos t
                         WHERE t.photo_id = ?1 AND t.device_id = ?2)",
                )
                .map_err(db)?;
            let dev = device.to_string();
            photos
                .into_iter()
                .map(|photo| {
                    let arrived: Option<bool> = stmt
                        .query_row(params![photo.to_string(), dev], |r| r.get(0))
                        .map_err(db)?;
                    let need = match arrived {
                        None => PhotoNeed::Unknown,
                        Some(true) => PhotoNeed::Arrived,
                        Some(false) => PhotoNeed::Needed,
                    };
                    Ok((photo, need))
                })
                .collect()
        })
        .await
    }

    async fn create_upload(&self, u: &Upload) -> StoreResult<()> {
        let u = u.clone();
        self.call(move |c| {
            c.execute(
                &format!("INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![
                    u.id.to_string(),
                    u.device.to_string(),
                    u.report.to_string(),
                    u.photo.to_string(),
                    u.length,
                    u.received,
                    u.metadata,
                    u.created_at,
                    u.expires_at,
                    u.completed_at
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>> {
        self.call(move |c| {
            c.query_row(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"),
                [id.to_string()],
                read_upload,
            )
            .optional()
            .map_err(db)?
            .transpose()
        })
        .await
    }

    async fn upload_parts(&self, id: Uuid) -> StoreResult<Vec<UploadPart>> {
        self.call(move |c| parts_of(c, &id.to_string())).await
    }

    async fn append_upload(
        &self,
        id: Uuid,
        part: &UploadPart,
        expires_at: DateTime<Utc>,
        arrived: Option<&ArrivedPhoto>,
    ) -> StoreResult<Appended> {
        let (part, arrived) = (part.clone(), arrived.cloned());
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let id = id.to_string();
            let received: Option<u64> = tx
                .query_row("SELECT received FROM uploads WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(db)?;
            let Some(received) = received else {
                return Ok(Appended::Gone);
            };
            if received != part.start {
                return Ok(Appended::Moved { received });
            }
            let now_received = part.start + part.length;
            if part.length > 0 && arrived.is_none() {
                tx.execute(
                    "INSERT INTO upload_parts (upload_id, start, length, object_key)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, part.start, part.length, part.key],
                )
                .map_err(db)?;
            }
            tx.execute(
                "UPDATE uploads SET received = ?2, expires_at = ?3 WHERE id = ?1",
                params![id, now_received, expires_at],
            )
            .map_err(db)?;
            if let Some(a) = arrived {
                tx.execute(
                    "UPDATE uploads SET completed_at = ?2 WHERE id = ?1",
                    params![id, a.at],
                )
                .map_err(db)?;
                tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1", [&id])
                    .map_err(db)?;
                tx.execute(
                    "INSERT INTO photo_blobs (sha256, bytes, stored_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (sha256) DO NOTHING",
                    params![a.sha256, a.bytes, a.at],
                )
                .map_err(db)?;
                tx.execute(
                    "UPDATE report_photos SET arrived = 1 WHERE sha256 = ?1",
                    [&a.sha256],
                )
                .map_err(db)?;
                tx.execute(
                    "UPDATE task_photos SET arrived = 1 WHERE sha256 = ?1",
                    [&a.sha256],
                )
                .map_err(db)?;
                let promoted = tx
                    .prepare(&format!(
                        "{PROMOTE} AND id IN (SELECT report_id FROM report_photos WHERE sha256 = ?1)
                         RETURNING id, reporter"
                    ))
                    .map_err(db)?
                    .query_map(params![&a.sha256, a.at], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(db)?
                    .map(|row| {
                        let (id, reporter) = row.map_err(db)?;
                        Ok(Touch::report(
                            id.parse().map_err(db)?,
                            reporter.parse().map_err(db)?,
                        ))
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                write_feed(&tx, promoted, a.at)?;
            }
            tx.commit().map_err(db)?;
            Ok(Appended::Now {
                received: now_received,
            })
        })
        .await
    }

    async fn delete_upload(&self, id: Uuid) -> StoreResult<()> {
        self.call(move |c| {
            let tx = c.transaction().map_err(db)?;
            let id = id.to_string();
            tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1", [&id])
                .map_err(db)?;
            tx.execute("DELETE FROM uploads WHERE id = ?1", [&id])
                .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        self.call(move |c| {
            let ids: Vec<String> = c
                .prepare("SELECT id FROM uploads WHERE expires_at < ?1")
                .map_err(db)?
                .query_map([now], |r| r.get(0))
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            ids.iter().map(|s| s.parse().map_err(db)).collect()
        })
        .await
    }

    async fn step(&self, step: &Step) -> StoreResult<Stepped> {
        let step = step.clone();
        self.call(move |c| cases::step(c, &step)).await
    }

    async fn console_reports(&self, filter: &ReportFilter) -> StoreResult<Vec<ConsoleReport>> {
        let filter = filter.clone();
        self.call(move |c| console::console_reports(c, &filter))
            .await
    }

    async fn console_reports_by_id(&self, ids: &[ReportId]) -> StoreResult<Vec<ConsoleReport>> {
        let ids = ids.to_vec();
        self.call(move |c| console::console_reports_by_id(c, &ids))
            .await
    }

    async fn related_reports(&self, id: ReportId) -> StoreResult<Vec<ReportId>> {
        self.call(move |c| console::related_reports(c, id)).await
    }

    async fn case_events(&self, id: ReportId) -> StoreResult<Vec<CaseEvent>> {
        self.call(move |c| cases::case_events(c, id)).await
    }

    async fn report_tasks(&self, id: ReportId) -> StoreResult<Vec<Task>> {
        self.call(move |c| cases::report_tasks(c, id)).await
    }

    async fn task(&self, id: TaskId) -> StoreResult<Option<Task>> {
        self.call(move |c| cases::task(c, id)).await
    }

    async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseFacts>> {
        self.call(move |c| cases::case_facts(c, from, to)).await
    }

    async fn device_board(&self) -> StoreResult<Vec<DeviceRow>> {
        self.call(|c| console::device_board(c)).await
    }

    async fn intake_health(&self) -> StoreResult<IntakeHealth> {
        self.call(|c| console::intake_health(c)).await
    }

    async fn open_conflicts(&self) -> StoreResult<Vec<Conflict>> {
        self.call(|c| console::conflicts_where(c, "resolved_at IS NULL AND ?1 = ''", String::new()))
            .await
    }

    async fn conflict(&self, id: Uuid) -> StoreResult<Option<Conflict>> {
        self.call(move |c| Ok(console::conflicts_where(c, "id = ?1", id.to_string())?.pop()))
            .await
    }

    async fn resolve_conflict(&self, r: &Resolution) -> StoreResult<Version> {
        let r = r.clone();
        self.call(move |c| console::resolve_conflict(c, &r)).await
    }

    async fn set_password(&self, user: UserId, hash: Option<&str>) -> StoreResult<()> {
        let hash = hash.map(str::to_owned);
        self.call(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                    params![user.to_string(), hash],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
            Ok(())
        })
        .await
    }

    async fn password_hash(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let login = login.to_owned();
        self.call(move |c| console::password_hash(c, &login)).await
    }

    async fn create_session(
        &self,
        token_sha256: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        self.call(move |c| {
            c.execute("DELETE FROM console_sessions WHERE expires_at <= ?1", [at])
                .map_err(db)?;
            c.execute(
                "INSERT INTO console_sessions (token_sha256, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token, user.to_string(), at, expires_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn session_user(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        let token = token_sha256.to_owned();
        self.call(move |c| console::session_user(c, &token, now))
            .await
    }

    async fn end_session(&self, token_sha256: &str) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        self.call(move |c| {
            c.execute(
                "DELETE FROM console_sessions WHERE token_sha256 = ?1",
                [token],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn put_document(&self, name: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let (name, body) = (name.to_owned(), body.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT INTO documents (name, body, loaded_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body,
                    loaded_at = excluded.loaded_at",
                params![name, body, at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn document(&self, name: &str) -> StoreResult<Option<String>> {
        let name = name.to_owned();
        self.call(move |c| {
            c.query_row("SELECT body FROM documents WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
        })
        .await
    }
}

fn insert_report(
    tx: &rusqlite::Transaction<'_>,
    device: &str,
    report: &Report,
    at: DateTime<Utc>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Outcome> {
    let record = json(report);
    let existing: Option<String> = tx
        .query_row(
            "SELECT record FROM reports WHERE id = ?1",
            [report.id.to_string()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if let Some(existing) = existing {
        let same: Report = parse(&existing)?;
        return Ok(resubmitted(&same, report));
    }
    let id = report.id.to_string();
    tx.execute(
        "INSERT INTO reports (id, device_id, reporter, version, state, kind, category, cell,
                              urgency, observed_at, record, received_at, lon, lat, observed_s,
                              state_at)
         VALUES (?1, ?2, ?3, 1, 'awaiting_photos', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                 ?10)",
        params![
            id,
            device,
            report.reporter.to_string(),
            enum_text(&report.kind),
            report.category.as_str(),
            report.cell.as_ref().map(CellCode::as_str),
            enum_text(&report.urgency),
            report.observed_at,
            record,
            at,
            report.location.lon,
            report.location.lat,
            report.observed_at.timestamp(),
        ],
    )
    .map_err(db)?;
    mark_duplicate(tx, report)?;
    for p in &report.photos {
        tx.execute(
            "INSERT INTO report_photos (report_id, photo_id, sha256, bytes, arrived)
             VALUES (?1, ?2, ?3, ?4, EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = ?3))",
            params![id, p.id.to_string(), p.sha256, p.bytes],
        )
        .map_err(db)?;
    }
    tx.execute(&format!("{PROMOTE} AND id = ?1"), params![&id, at])
        .map_err(db)?;
    tx.execute(
        "INSERT INTO report_versions (report_id, version, record, by_user, by_device, at)
         VALUES (?1, 1, ?2, ?3, ?4, ?5)",
        params![id, record, report.reporter.to_string(), device, at],
    )
    .map_err(db)?;
    touches.push(Touch::report(report.id, report.reporter));
    Ok(Outcome::Applied)
}

/// Merges a device's edit ([`edits::plan`]) and writes what it decides.
fn edit_report(
    tx: &rusqlite::Transaction<'_>,
    mutation: MutationId,
    e: &EditEffect,
    at: DateTime<Utc>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Outcome> {
    let id = e.report.to_string();
    let held: Option<Held> = tx
        .query_row(
            "SELECT record, version, state, deleted_at IS NOT NULL FROM reports WHERE id = ?1",
            [&id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Version>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            },
        )
        .optional()
        .map_err(db)?
        .map(|(record, version, state, deleted)| {
            Ok::<_, StoreError>(Held {
                record: parse(&record)?,
                version,
                state: state.parse().map_err(db)?,
                deleted,
            })
        })
        .transpose()?;
    let base: Option<Report> = tx
        .query_row(
            "SELECT record FROM report_versions WHERE report_id = ?1 AND version = ?2",
            params![id, e.base_version],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db)?
        .as_deref()
        .map(parse)
        .transpose()?;
    let own_later: Vec<ReportPatch> = tx
        .prepare(
            "SELECT patch FROM report_versions
              WHERE report_id = ?1 AND version > ?2 AND by_device = ?3 AND patch IS NOT NULL
              ORDER BY version",
        )
        .map_err(db)?
        .query_map(params![id, e.base_version, e.device.id.to_string()], |r| {
            r.get::<_, String>(0)
        })
        .map_err(db)?
        .map(|p| parse(&p.map_err(db)?))
        .collect::<StoreResult<_>>()?;
    let history = History {
        base: base.as_ref(),
        own_later: &own_later,
    };
    let plan = edits::plan(
        &e.device,
        held.as_ref(),
        e.base_version,
        history,
        &e.patch,
        &e.tables,
        e.now,
    );
    let (record, conflicts, direct, central_version) = match plan {
        Plan::Reject(reason) => return Ok(Outcome::Rejected { reason }),
        Plan::Settle {
            record,
            conflicts,
            direct,
            central_version,
        } => (record, conflicts, direct, central_version),
    };
    if let Some(record) = record {
        let author = Author {
            user: Some(e.device.user),
            device: Some(e.device.id),
            mutation: Some(mutation),
        };
        store_version(tx, &record, &e.patch, author, at, true, touches)?;
    }
    if conflicts.is_empty() {
        return Ok(edits::answer(direct, None));
    }
    let conflict = Uuid::now_v7();
    tx.execute(
        "INSERT INTO conflicts (id, report_id, device_id, mutation_id, base_version,
                                central_version, fields, opened_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            conflict.to_string(),
            id,
            e.device.id.to_string(),
            mutation,
            e.base_version,
            central_version,
            json(&conflicts),
            at
        ],
    )
    .map_err(db)?;
    Ok(edits::answer(direct, Some(conflict)))
}

/// Writes `record` as its report's next version, with its photos. A report still in
/// intake moves between awaiting photos and review by whether all its photos are in; with
/// `resubmit` (an inspector's own edit), a returned report goes back to intake too.
fn store_version(
    tx: &rusqlite::Transaction<'_>,
    record: &Report,
    patch: &ReportPatch,
    by: Author,
    at: DateTime<Utc>,
    resubmit: bool,
    touches: &mut Vec<Touch>,
) -> StoreResult<Version> {
    let id = record.id.to_string();
    let (version, reporter): (Version, String) = tx
        .query_row(
            "UPDATE reports SET record = ?2, version = version + 1, kind = ?3, category = ?4,
                    cell = ?5, urgency = ?6, observed_at = ?7, lon = ?8, lat = ?9,
                    observed_s = ?10
              WHERE id = ?1 RETURNING version, reporter",
            params![
                id,
                json(record),
                enum_text(&record.kind),
                record.category.as_str(),
                record.cell.as_ref().map(CellCode::as_str),
                enum_text(&record.urgency),
                record.observed_at,
                record.location.lon,
                record.location.lat,
                record.observed_at.timestamp(),
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db)?;
    tx.execute(
        "INSERT INTO report_versions (report_id, version, record, patch, by_user, by_device,
                                      mutation_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            version,
            json(record),
            json(patch),
            by.user.map(|u| u.to_string()),
            by.device.map(|d| d.to_string()),
            by.mutation,
            at
        ],
    )
    .map_err(db)?;
    let photo_ids: Vec<String> = record.photos.iter().map(|p| p.id.to_string()).collect();
    tx.execute(
        "DELETE FROM report_photos
          WHERE report_id = ?1 AND photo_id NOT IN (SELECT value FROM json_each(?2))",
        params![id, json(&photo_ids)],
    )
    .map_err(db)?;
    for p in &record.photos {
        tx.execute(
            "INSERT INTO report_photos (report_id, photo_id, sha256, bytes, arrived)
             VALUES (?1, ?2, ?3, ?4, EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = ?3))
             ON CONFLICT (report_id, photo_id) DO NOTHING",
            params![id, p.id.to_string(), p.sha256, p.bytes],
        )
        .map_err(db)?;
    }
    let before: String = tx
        .query_row("SELECT state FROM reports WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .map_err(db)?;
    let after: String = tx
        .query_row(
            "UPDATE reports SET state = CASE WHEN EXISTS (SELECT 1 FROM report_photos p
                    WHERE p.report_id = reports.id AND NOT p.arrived)
                THEN 'awaiting_photos' ELSE 'pending_review' END
          WHERE id = ?1 AND (state IN ('awaiting_photos', 'pending_review')
                             OR (?2 AND state = 'returned'))
          RETURNING state",
            params![id, resubmit],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?
        .unwrap_or_else(|| before.clone());
    if after != before {
        tx.execute(
            "UPDATE reports SET state_at = ?2 WHERE id = ?1",
            params![id, at],
        )
        .map_err(db)?;
        if before == CaseState::Returned.as_str() {
            cases::event(
                tx, record.id, "resubmit", &before, &after, by, None, None, at,
            )?;
        }
    }
    touches.push(Touch::report(record.id, reporter.parse().map_err(db)?));
    Ok(version)
}

/// Makes `touches` visible in the feed, numbered after everything before them.
fn write_feed(
    tx: &rusqlite::Transaction<'_>,
    touches: Vec<Touch>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let touches = distinct(touches);
    if touches.is_empty() {
        return Ok(());
    }
    let n = u64::try_from(touches.len()).map_err(db)?;
    let last: u64 = tx
        .query_row(
            "UPDATE feed_state SET last_seq = last_seq + ?1 RETURNING last_seq",
            [n],
            |r| r.get(0),
        )
        .map_err(db)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO changes (kind, entity, seq, user_id, cell, tombstone, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (kind, entity) DO UPDATE SET seq = excluded.seq,
                user_id = excluded.user_id, cell = excluded.cell,
                tombstone = excluded.tombstone, at = excluded.at",
        )
        .map_err(db)?;
    for (seq, t) in (last + 1 - n..).zip(touches) {
        stmt.execute(params![
            t.kind.as_str(),
            t.entity,
            seq,
            t.user.map(|u| u.to_string()),
            t.cell,
            t.tombstone,
            at
        ])
        .map_err(db)?;
    }
    Ok(())
}

const STORED_COLUMNS: &str = "record, state, version, received_at, duplicate_of, deleted_at,
    note, merged_into, (SELECT case_no FROM cases WHERE cases.report_id = reports.id)";

fn read_stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<StoredReport>> {
    let (record, state): (String, String) = (r.get(0)?, r.get(1)?);
    let (version, received_at, duplicate_of, deleted_at): (_, _, Option<String>, _) =
        (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
    let (note, merged_into, case_no): (_, Option<String>, _) = (r.get(6)?, r.get(7)?, r.get(8)?);
    Ok((|| {
        Ok(StoredReport {
            report: parse(&record)?,
            state: state.parse::<CaseState>().map_err(db)?,
            version,
            received_at,
            duplicate_of: duplicate_of.map(|d| d.parse().map_err(db)).transpose()?,
            deleted_at,
            note,
            merged_into: merged_into.map(|d| d.parse().map_err(db)).transpose()?,
            case_no,
        })
    })())
}

fn stored_report(c: &Connection, id: ReportId) -> StoreResult<Option<StoredReport>> {
    c.query_row(
        &format!("SELECT {STORED_COLUMNS} FROM reports WHERE id = ?1"),
        [id.to_string()],
        read_stored,
    )
    .optional()
    .map_err(db)?
    .transpose()
}

/// Points a new report at the earlier one it likely duplicates, if any.
fn mark_duplicate(tx: &rusqlite::Transaction<'_>, report: &Report) -> StoreResult<()> {
    let (lon0, lon1, lat0, lat1) = duplicates::search_box(report.location.lon, report.location.lat);
    let t = report.observed_at.timestamp();
    let window = duplicates::WINDOW.num_seconds();
    let candidates = tx
        .prepare_cached(
            "SELECT id, lon, lat, observed_s FROM reports
              WHERE category = ?1 AND observed_s BETWEEN ?2 AND ?3
                AND lon BETWEEN ?4 AND ?5 AND lat BETWEEN ?6 AND ?7 AND id != ?8",
        )
        .map_err(db)?
        .query_map(
            params![
                report.category.as_str(),
                t - window,
                t + window,
                lon0,
                lon1,
                lat0,
                lat1,
                report.id.to_string()
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .map_err(db)?
        .map(|row| {
            let (id, lon, lat, s) = row.map_err(db)?;
            Ok(duplicates::Candidate {
                id: id.parse().map_err(db)?,
                lon,
                lat,
                observed_at: DateTime::from_timestamp(s, 0).unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if let Some(original) = duplicates::likely_duplicate_of(report, &candidates) {
        tx.execute(
            "UPDATE reports SET duplicate_of = ?2 WHERE id = ?1",
            params![report.id.to_string(), original.to_string()],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// Moves reports whose photos have all arrived on to review (callers narrow it down).
const PROMOTE: &str = "UPDATE reports SET state = 'pending_review', state_at = ?2
    WHERE state = 'awaiting_photos'
      AND NOT EXISTS (SELECT 1 FROM report_photos p WHERE p.report_id = reports.id AND NOT p.arrived)";

const UPLOAD_COLUMNS: &str = "id, device_id, report_id, photo_id, length, received, metadata,
    created_at, expires_at, completed_at";

fn read_upload(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<Upload>> {
    let (id, device, report, photo): (String, String, String, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    let (length, received, metadata, created_at, expires_at, completed_at) = (
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    );
    Ok((|| {
        Ok(Upload {
            id: id.parse().map_err(db)?,
            device: device.parse().map_err(db)?,
            report: report.parse().map_err(db)?,
            photo: photo.parse().map_err(db)?,
            length,
            received,
            metadata,
            created_at,
            expires_at,
            completed_at,
        })
    })())
}

fn parts_of(c: &Connection, id: &str) -> StoreResult<Vec<UploadPart>> {
    c.prepare(
        "SELECT start, length, object_key FROM upload_parts WHERE upload_id = ?1 ORDER BY start",
    )
    .map_err(db)?
    .query_map([id], |r| {
        Ok(UploadPart {
            start: r.get(0)?,
            length: r.get(1)?,
            key: r.get(2)?,
        })
    })
    .map_err(db)?
    .collect::<rusqlite::Result<_>>()
    .map_err(db)
}
