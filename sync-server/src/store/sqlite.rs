//! The embedded SQLite case store: the default, for one office or a demo. One connection
//! behind a mutex, used from a blocking thread; WAL with `synchronous = FULL`, so an answer
//! sent to a device is never for a write that a power cut could undo.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{
    CellCode, DeviceId, MutationId, Outcome, QueueStats, Report, ReportId, UserId,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Applied, CaseStore, Device, Effect, Sequence, StoreError, StoreResult, StoredReport, User,
    forgotten, intake_state, resubmitted, sequence,
};

const MIGRATIONS: &[&str] = &[include_str!("../../migrations/sqlite/0001_init.sql")];

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
        conn.pragma_update(None, "foreign_keys", "on").map_err(db)?;
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
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            tx.pragma_update(None, "user_version", n + 1).map_err(db)?;
            tx.commit().map_err(db)?;
        }
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
        id: MutationId,
        effect: Effect,
        at: DateTime<Utc>,
    ) -> StoreResult<Applied> {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let dev = device.to_string();
            let last: MutationId = tx
                .query_row("SELECT last_applied FROM devices WHERE id = ?1", [&dev], |r| r.get(0))
                .map_err(db)?;
            if sequence(id, last) == Sequence::Repeat {
                let outcome: Option<String> = tx
                    .query_row(
                        "SELECT outcome FROM applied_mutations WHERE device_id = ?1 AND mutation_id = ?2",
                        params![dev, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db)?;
                let outcome = match outcome {
                    Some(o) => parse(&o)?,
                    None => forgotten(id),
                };
                return Ok(Applied::Answer(outcome));
            }
            if let Sequence::Gap { expected } = sequence(id, last) {
                return Ok(Applied::Gap { expected });
            }
            let outcome = match effect {
                Effect::Reject(reason) => Outcome::Rejected { reason },
                Effect::InsertReport(report) => insert_report(&tx, &dev, &report, at)?,
            };
            tx.execute(
                "INSERT INTO applied_mutations (device_id, mutation_id, outcome, applied_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![dev, id, json(&outcome), at],
            )
            .map_err(db)?;
            tx.execute("UPDATE devices SET last_applied = ?2 WHERE id = ?1", params![dev, id])
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(Applied::Answer(outcome))
        })
        .await
    }

    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()> {
        let (version, body) = (version.to_owned(), body.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT INTO code_tables (version, body, loaded_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (version) DO UPDATE SET body = excluded.body, loaded_at = excluded.loaded_at",
                params![version, body, Utc::now()],
            )
            .map_err(db)?;
            Ok(())
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
            tx.commit().map_err(db)?;
            Ok(cells.len())
        })
        .await
    }

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>> {
        self.call(move |c| {
            let row: Option<(String, String, i64, DateTime<Utc>)> = c
                .query_row(
                    "SELECT record, state, version, received_at FROM reports WHERE id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(|(record, state, version, received_at)| {
                Ok(StoredReport {
                    report: parse(&record)?,
                    state,
                    version,
                    received_at,
                })
            })
            .transpose()
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
}

fn insert_report(
    tx: &rusqlite::Transaction<'_>,
    device: &str,
    report: &Report,
    at: DateTime<Utc>,
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
    let state = intake_state(report);
    tx.execute(
        "INSERT INTO reports (id, device_id, reporter, version, state, kind, category, cell,
                              urgency, observed_at, record, received_at)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            report.id.to_string(),
            device,
            report.reporter.to_string(),
            state,
            enum_text(&report.kind),
            report.category.as_str(),
            report.cell.as_ref().map(CellCode::as_str),
            enum_text(&report.urgency),
            report.observed_at,
            record,
            at,
        ],
    )
    .map_err(db)?;
    Ok(Outcome::Applied)
}
