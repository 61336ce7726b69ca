//! The PostgreSQL case store, for a city's whole workforce: tokio-postgres behind a
//! deadpool connection pool. (sqlx is avoided on purpose: even unused, its SQLite driver
//! claims the `sqlite3` native library, which rusqlite's bundled SQLite already links.)
//! Per-device ordering is enforced by locking the device's row (`SELECT … FOR UPDATE`) in
//! the transaction that applies a mutation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gridwalk_protocol::console::{
    CaseEvent, Conflict, ConsoleReport, DeviceRow, IntakeHealth, Task,
};
use gridwalk_protocol::{
    CaseState, CellCode, DeviceId, MutationId, Outcome, PhotoId, PhotoNeed, QueueStats, Report,
    ReportId, ReportPatch, TaskId, UserId, Version,
};
use std::collections::HashMap;

use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::{
    Appended, Applied, ArrivedPhoto, Author, CaseFacts, CaseStore, Device, EditEffect, Effect,
    FeedKind, FeedPage, FeedRow, PhotoSlot, ReportFilter, ReportVersion, Resolution, Sequence,
    Step, Stepped, StoreError, StoreResult, StoredReport, Touch, Upload, UploadPart, User,
    distinct, forgotten, resubmitted, sequence,
};
use crate::duplicates;
use crate::edits::{self, Held, History, Plan};

mod cases;
mod console;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_photos.sql"),
    include_str!("../../../migrations/postgres/0003_edits_feed.sql"),
    include_str!("../../../migrations/postgres/0004_cases.sql"),
];

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(v).map_err(db)
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies migrations. `schema`, if given, is
    /// created if needed and used by every connection (tests run side by side this way).
    pub async fn connect(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(db)?;
        if let Some(schema) = schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(StoreError::Db(format!(
                    "{schema:?} is not a plain schema name"
                )));
            }
            let (client, conn) = config.connect(NoTls).await.map_err(db)?;
            let task = tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await
                .map_err(db)?;
            drop(client);
            let _ = task.await;
            config.options(format!("-c search_path={schema}"));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(16).build().map_err(db)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(db)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // One migrator at a time, across server instances.
        tx.execute("SELECT pg_advisory_xact_lock(7402117)", &[])
            .await
            .map_err(db)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
        )
        .await
        .map_err(db)?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        for (n, sql) in (1i64..).zip(MIGRATIONS) {
            if n <= current {
                continue;
            }
            tx.batch_execute(sql).await.map_err(db)?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&n])
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}

fn user_from(row: &Row) -> StoreResult<User> {
    let role: String = row.try_get("role").map_err(db)?;
    let cells: serde_json::Value = row.try_get("cells").map_err(db)?;
    Ok(User {
        id: UserId::try_from(row.try_get::<_, Uuid>("id").map_err(db)?).map_err(db)?,
        login: row.try_get("login").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        role: serde_json::from_value(serde_json::Value::String(role)).map_err(db)?,
        team: row.try_get("team").map_err(db)?,
        cells: serde_json::from_value(cells).map_err(db)?,
        badge: row.try_get("badge").map_err(db)?,
        camera_serial: row.try_get("camera_serial").map_err(db)?,
    })
}

const USER_COLUMNS: &str = "id, login, name, role, team, cells, badge, camera_serial";

#[async_trait]
impl CaseStore for PgStore {
    async fn put_user(&self, u: &User) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO users (id, login, name, role, team, cells, badge, camera_serial)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,
                    team = excluded.team, cells = excluded.cells, badge = excluded.badge,
                    camera_serial = excluded.camera_serial",
                &[
                    u.id.as_uuid(),
                    &u.login,
                    &u.name,
                    &enum_text(&u.role),
                    &u.team,
                    &json(&u.cells)?,
                    &u.badge,
                    &u.camera_serial,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE login = $1"),
                &[&login],
            )
            .await
            .map_err(db)?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                &[id.as_uuid()],
            )
            .await
            .map_err(db)?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    async fn enroll_device(
        &self,
        device: DeviceId,
        user: UserId,
        token_sha256: &str,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO devices (id, user_id, token_sha256, enrolled_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
                    token_sha256 = excluded.token_sha256, enrolled_at = excluded.enrolled_at",
                &[device.as_uuid(), user.as_uuid(), &token_sha256, &Utc::now()],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id, user_id FROM devices WHERE token_sha256 = $1",
                &[&token_sha256],
            )
            .await
            .map_err(db)?;
        row.map(|r| {
            Ok(Device {
                id: DeviceId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                user: UserId::try_from(r.get::<_, Uuid>(1)).map_err(db)?,
            })
        })
        .transpose()
    }

    async fn device_seen(
        &self,
        device: DeviceId,
        app_version: &str,
        q: QueueStats,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE devices SET last_seen = $2, app_version = $3, queue_reports = $4,
                        queue_photos = $5, queue_bytes = $6 WHERE id = $1",
                &[
                    device.as_uuid(),
                    &at,
                    &app_version,
                    &i64_of(q.reports),
                    &i64_of(q.photos),
                    &i64_of(q.bytes),
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn last_applied(&self, device: DeviceId) -> StoreResult<MutationId> {
        self.client()
            .await?
            .query_opt(
                "SELECT last_applied FROM devices WHERE id = $1",
                &[device.as_uuid()],
            )
            .await
            .map_err(db)?
            .map(|r| u64_of(r.get(0)))
            .ok_or_else(|| StoreError::NotFound(format!("device {device}")))
    }

    async fn apply(
        &self,
        device: DeviceId,
        batch: Vec<(MutationId, Effect)>,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Applied>> {
        let dev = *device.as_uuid();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let first = u64_of(
            tx.query_one(
                "SELECT last_applied FROM devices WHERE id = $1 FOR UPDATE",
                &[&dev],
            )
            .await
            .map_err(db)?
            .get(0),
        );
        // Repeats are answered from the record; the new mutations are written together.
        let mut answers = Vec::with_capacity(batch.len());
        let mut fresh: Vec<(MutationId, Effect)> = Vec::new();
        let mut last = first;
        for (id, effect) in batch {
            match sequence(id, last) {
                Sequence::Repeat => {
                    let outcome = tx
                        .query_opt(
                            "SELECT outcome FROM applied_mutations
                              WHERE device_id = $1 AND mutation_id = $2",
                            &[&dev, &i64_of(id)],
                        )
                        .await
                        .map_err(db)?;
                    let outcome = match outcome {
                        Some(row) => serde_json::from_value(row.get(0)).map_err(db)?,
                        None => forgotten(id),
                    };
                    answers.push(Applied::Answer(outcome));
                }
                Sequence::Gap { expected } => {
                    answers.push(Applied::Gap { expected });
                    break;
                }
                Sequence::Next => {
                    last = id;
                    fresh.push((id, effect));
                }
            }
        }
        if fresh.is_empty() {
            tx.commit().await.map_err(db)?;
            return Ok(answers);
        }
        // Runs of new reports are written together; an edit is applied alone, in order,
        // so it sees the reports submitted before it in the same push.
        let mut touches = Vec::new();
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(fresh.len());
        let mut run: Vec<&Report> = Vec::new();
        for (id, effect) in &fresh {
            match effect {
                Effect::InsertReport(r) => {
                    run.push(r);
                    continue;
                }
                Effect::Reject(reason) => {
                    outcomes.extend(insert_reports(&tx, dev, &run, at, &mut touches).await?);
                    run.clear();
                    outcomes.push(Outcome::Rejected {
                        reason: reason.clone(),
                    });
                }
                Effect::EditReport(e) => {
                    outcomes.extend(insert_reports(&tx, dev, &run, at, &mut touches).await?);
                    run.clear();
                    outcomes.push(edit_report(&tx, *id, e, at, &mut touches).await?);
                }
                Effect::Step(step) => {
                    outcomes.extend(insert_reports(&tx, dev, &run, at, &mut touches).await?);
                    run.clear();
                    let mut step = (**step).clone();
                    step.by.mutation = Some(*id);
                    outcomes.push(match cases::step_in(&tx, &step, &mut touches).await? {
                        Stepped::Done { .. } => Outcome::Applied,
                        Stepped::Refused(reason) => Outcome::Rejected { reason },
                    });
                }
            }
        }
        outcomes.extend(insert_reports(&tx, dev, &run, at, &mut touches).await?);
        let ids: Vec<i64> = fresh.iter().map(|(id, _)| i64_of(*id)).collect();
        let recorded: Vec<serde_json::Value> =
            outcomes.iter().map(json).collect::<StoreResult<_>>()?;
        tx.execute(
            "INSERT INTO applied_mutations (device_id, mutation_id, outcome, applied_at)
             SELECT $1, m, o, $4 FROM unnest($2::bigint[], $3::jsonb[]) AS u(m, o)",
            &[&dev, &ids, &recorded, &at],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "UPDATE devices SET last_applied = $2 WHERE id = $1",
            &[&dev, &i64_of(last)],
        )
        .await
        .map_err(db)?;
        // Last before commit: the feed's numbers are held only while committing.
        write_feed(&tx, touches, at).await?;
        tx.commit().await.map_err(db)?;
        answers.extend(outcomes.into_iter().map(Applied::Answer));
        Ok(answers)
    }

    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "INSERT INTO code_tables (version, body, loaded_at) VALUES ($1, $2, $3)
             ON CONFLICT (version) DO UPDATE SET body = excluded.body, loaded_at = excluded.loaded_at",
            &[&version, &body, &Utc::now()],
        )
        .await
        .map_err(db)?;
        let touch = Touch {
            kind: FeedKind::CodeTable,
            entity: version.to_owned(),
            user: None,
            cell: None,
            tombstone: false,
        };
        write_feed(&tx, vec![touch], Utc::now()).await?;
        tx.commit().await.map_err(db)
    }

    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(self
            .client()
            .await?
            .query(
                "SELECT version, body FROM code_tables ORDER BY version",
                &[],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    async fn put_cells(&self, cells: &[(CellCode, String)]) -> StoreResult<usize> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let stmt = tx
            .prepare(
                "INSERT INTO cells (code, feature) VALUES ($1, $2)
                 ON CONFLICT (code) DO UPDATE SET feature = excluded.feature",
            )
            .await
            .map_err(db)?;
        for (code, feature) in cells {
            let feature: serde_json::Value = serde_json::from_str(feature).map_err(db)?;
            tx.execute(&stmt, &[&code.as_str(), &feature])
                .await
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
        write_feed(&tx, touches, Utc::now()).await?;
        tx.commit().await.map_err(db)?;
        Ok(cells.len())
    }

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {STORED_COLUMNS} FROM reports WHERE id = $1"),
                &[id.as_uuid()],
            )
            .await
            .map_err(db)?
            .as_ref()
            .map(stored_from)
            .transpose()
    }

    async fn reports(&self, ids: &[ReportId]) -> StoreResult<Vec<StoredReport>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        self.client()
            .await?
            .query(
                &format!("SELECT {STORED_COLUMNS} FROM reports WHERE id = ANY($1)"),
                &[&ids],
            )
            .await
            .map_err(db)?
            .iter()
            .map(stored_from)
            .collect()
    }

    async fn report_count(&self) -> StoreResult<u64> {
        let n: i64 = self
            .client()
            .await?
            .query_one("SELECT COUNT(*) FROM reports", &[])
            .await
            .map_err(db)?
            .get(0);
        Ok(u64_of(n))
    }

    async fn write_version(
        &self,
        record: &Report,
        expected_version: Version,
        patch: &ReportPatch,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Version> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let held = tx
            .query_opt(
                "SELECT version FROM reports WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
                &[record.id.as_uuid()],
            )
            .await
            .map_err(db)?
            .map(|r| u64_of(r.get(0)));
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
        let v = store_version(&tx, record, patch, author, at, false, &mut touches).await?;
        write_feed(&tx, touches, at).await?;
        tx.commit().await.map_err(db)?;
        Ok(v)
    }

    async fn delete_report(&self, id: ReportId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let reporter: Uuid = tx
            .query_opt(
                "UPDATE reports SET deleted_at = COALESCE(deleted_at, $2) WHERE id = $1
                 RETURNING reporter",
                &[id.as_uuid(), &at],
            )
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?
            .get(0);
        let touch = Touch {
            tombstone: true,
            ..Touch::report(id, UserId::try_from(reporter).map_err(db)?)
        };
        write_feed(&tx, vec![touch], at).await?;
        tx.commit().await.map_err(db)
    }

    async fn report_versions(&self, id: ReportId) -> StoreResult<Vec<ReportVersion>> {
        self.client()
            .await?
            .query(
                "SELECT version, record, patch, by_user, by_device, mutation_id, at
                   FROM report_versions WHERE report_id = $1 ORDER BY version",
                &[id.as_uuid()],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                Ok(ReportVersion {
                    version: u64_of(r.get(0)),
                    record: serde_json::from_value(r.get(1)).map_err(db)?,
                    patch: r
                        .get::<_, Option<serde_json::Value>>(2)
                        .map(serde_json::from_value)
                        .transpose()
                        .map_err(db)?,
                    by: Author {
                        user: r
                            .get::<_, Option<Uuid>>(3)
                            .map(UserId::try_from)
                            .transpose()
                            .map_err(db)?,
                        device: r
                            .get::<_, Option<Uuid>>(4)
                            .map(DeviceId::try_from)
                            .transpose()
                            .map_err(db)?,
                        mutation: r.get::<_, Option<i64>>(5).map(u64_of),
                    },
                    at: r.get(6),
                })
            })
            .collect()
    }

    async fn conflicts(&self, report: ReportId) -> StoreResult<Vec<Conflict>> {
        console::conflicts_where(&self.client().await?, "report_id = $1", &[report.as_uuid()]).await
    }

    async fn feed(
        &self,
        user: UserId,
        cells: &[CellCode],
        after: u64,
        limit: usize,
    ) -> StoreResult<FeedPage> {
        let cells: Vec<&str> = cells.iter().map(CellCode::as_str).collect();
        let mut client = self.client().await?;
        // One snapshot for the state and the rows: every number up to last_seq is visible.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db)?;
        let state = tx
            .query_one("SELECT epoch, last_seq, horizon FROM feed_state", &[])
            .await
            .map_err(db)?;
        let rows = tx
            .query(
                "SELECT seq, kind, entity FROM changes
                  WHERE seq > $1 AND (user_id = $2 OR (user_id IS NULL AND
                        (cell IS NULL OR cell = ANY($3))))
                  ORDER BY seq LIMIT $4",
                &[
                    &i64_of(after),
                    user.as_uuid(),
                    &cells,
                    &i64::try_from(limit).unwrap_or(i64::MAX),
                ],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                Ok(FeedRow {
                    seq: u64_of(r.get(0)),
                    kind: FeedKind::parse(r.get(1))?,
                    entity: r.get(2),
                })
            })
            .collect::<StoreResult<_>>()?;
        tx.commit().await.map_err(db)?;
        Ok(FeedPage {
            epoch: state.get(0),
            last_seq: u64_of(state.get(1)),
            horizon: u64_of(state.get(2)),
            rows,
        })
    }

    async fn cells(&self, codes: &[String]) -> StoreResult<Vec<(CellCode, String)>> {
        self.client()
            .await?
            .query(
                "SELECT code, feature::text FROM cells WHERE code = ANY($1)",
                &[&codes],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| Ok((r.get::<_, &str>(0).parse().map_err(db)?, r.get(1))))
            .collect()
    }

    async fn prune_feed(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let row = tx
            .query_one(
                "WITH gone AS (DELETE FROM changes WHERE tombstone AND at < $1 RETURNING seq)
                 SELECT COUNT(*), MAX(seq) FROM gone",
                &[&before],
            )
            .await
            .map_err(db)?;
        let (n, newest): (i64, Option<i64>) = (row.get(0), row.get(1));
        if let Some(newest) = newest {
            tx.execute(
                "UPDATE feed_state SET horizon = GREATEST(horizon, $1)",
                &[&newest],
            )
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(u64_of(n))
    }

    async fn photo_slot(
        &self,
        device: DeviceId,
        report: ReportId,
        photo: PhotoId,
    ) -> StoreResult<Option<PhotoSlot>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT p.sha256, p.bytes, p.arrived FROM report_photos p
                   JOIN reports r ON r.id = p.report_id
                  WHERE p.report_id = $1 AND p.photo_id = $2 AND r.device_id = $3
                 UNION ALL
                 SELECT t.sha256, t.bytes, t.arrived FROM task_photos t
                  WHERE t.report_id = $1 AND t.photo_id = $2 AND t.device_id = $3
                 LIMIT 1",
                &[report.as_uuid(), photo.as_uuid(), device.as_uuid()],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| PhotoSlot {
            sha256: r.get(0),
            bytes: u64_of(r.get(1)),
            arrived: r.get(2),
        }))
    }

    async fn photo_needs(
        &self,
        device: DeviceId,
        photos: &[PhotoId],
    ) -> StoreResult<Vec<(PhotoId, PhotoNeed)>> {
        let ids: Vec<Uuid> = photos.iter().map(|p| *p.as_uuid()).collect();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT photo_id, bool_and(arrived) FROM (
                    SELECT p.photo_id, p.arrived FROM report_photos p
                      JOIN reports r ON r.id = p.report_id
                     WHERE p.photo_id = ANY($1) AND r.device_id = $2
                    UNION ALL
                    SELECT t.photo_id, t.arrived FROM task_photos t
                     WHERE t.photo_id = ANY($1) AND t.device_id = $2) x
                  GROUP BY photo_id",
                &[&ids, device.as_uuid()],
            )
            .await
            .map_err(db)?;
        let known: HashMap<Uuid, bool> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(photos
            .iter()
            .map(|p| {
                let need = match known.get(p.as_uuid()) {
                    None => PhotoNeed::Unknown,
                    Some(true) => PhotoNeed::Arrived,
                    Some(false) => PhotoNeed::Needed,
                };
                (*p, need)
            })
            .collect())
    }

    async fn create_upload(&self, u: &Upload) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                &format!(
                    "INSERT INTO uploads ({UPLOAD_COLUMNS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                &[
                    &u.id,
                    u.device.as_uuid(),
                    u.report.as_uuid(),
                    u.photo.as_uuid(),
                    &i64_of(u.length),
                    &i64_of(u.received),
                    &u.metadata,
                    &u.created_at,
                    &u.expires_at,
                    &u.completed_at,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(db)?
            .as_ref()
            .map(upload_from)
            .transpose()
    }

    async fn upload_parts(&self, id: Uuid) -> StoreResult<Vec<UploadPart>> {
        parts_of(&self.client().await?, id).await
    }

    async fn append_upload(
        &self,
        id: Uuid,
        part: &UploadPart,
        expires_at: DateTime<Utc>,
        arrived: Option<&ArrivedPhoto>,
    ) -> StoreResult<Appended> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let Some(row) = tx
            .query_opt(
                "SELECT received FROM uploads WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await
            .map_err(db)?
        else {
            return Ok(Appended::Gone);
        };
        let received = u64_of(row.get(0));
        if received != part.start {
            return Ok(Appended::Moved { received });
        }
        let now_received = part.start + part.length;
        if part.length > 0 && arrived.is_none() {
            tx.execute(
                "INSERT INTO upload_parts (upload_id, start, length, object_key)
                 VALUES ($1, $2, $3, $4)",
                &[&id, &i64_of(part.start), &i64_of(part.length), &part.key],
            )
            .await
            .map_err(db)?;
        }
        tx.execute(
            "UPDATE uploads SET received = $2, expires_at = $3 WHERE id = $1",
            &[&id, &i64_of(now_received), &expires_at],
        )
        .await
        .map_err(db)?;
        if let Some(a) = arrived {
            tx.execute(
                "UPDATE uploads SET completed_at = $2 WHERE id = $1",
                &[&id, &a.at],
            )
            .await
            .map_err(db)?;
            tx.execute("DELETE FROM upload_parts WHERE upload_id = $1", &[&id])
                .await
                .map_err(db)?;
            tx.execute(
                "INSERT INTO photo_blobs (sha256, bytes, stored_at) VALUES ($1, $2, $3)
                 ON CONFLICT (sha256) DO NOTHING",
                &[&a.sha256, &i64_of(a.bytes), &a.at],
            )
            .await
            .map_err(db)?;
            tx.execute(
                "UPDATE report_photos SET arrived = TRUE WHERE sha256 = $1",
                &[&a.sha256],
            )
            .await
            .map_err(db)?;
            tx.execute(
                "UPDATE task_photos SET arrived = TRUE WHERE sha256 = $1",
                &[&a.sha256],
            )
            .await
            .map_err(db)?;
            let promoted = tx
                .query(
                    &format!(
                        "{PROMOTE} AND id IN (SELECT report_id FROM report_photos WHERE sha256 = $1)
                         RETURNING id, reporter"
                    ),
                    &[&a.sha256, &a.at],
                )
                .await
                .map_err(db)?
                .iter()
                .map(|r| {
                    Ok(Touch::report(
                        ReportId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                        UserId::try_from(r.get::<_, Uuid>(1)).map_err(db)?,
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            write_feed(&tx, promoted, a.at).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Appended::Now {
            received: now_received,
        })
    }

    async fn delete_upload(&self, id: Uuid) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("DELETE FROM upload_parts WHERE upload_id = $1", &[&id])
            .await
            .map_err(db)?;
        tx.execute("DELETE FROM uploads WHERE id = $1", &[&id])
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        Ok(self
            .client()
            .await?
            .query("SELECT id FROM uploads WHERE expires_at < $1", &[&now])
            .await
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn step(&self, step: &Step) -> StoreResult<Stepped> {
        cases::step(&mut self.client().await?, step).await
    }

    async fn console_reports(&self, filter: &ReportFilter) -> StoreResult<Vec<ConsoleReport>> {
        console::console_reports(&self.client().await?, filter).await
    }

    async fn console_reports_by_id(&self, ids: &[ReportId]) -> StoreResult<Vec<ConsoleReport>> {
        console::console_reports_by_id(&self.client().await?, ids).await
    }

    async fn related_reports(&self, id: ReportId) -> StoreResult<Vec<ReportId>> {
        console::related_reports(&self.client().await?, id).await
    }

    async fn case_events(&self, id: ReportId) -> StoreResult<Vec<CaseEvent>> {
        cases::case_events(&self.client().await?, id).await
    }

    async fn report_tasks(&self, id: ReportId) -> StoreResult<Vec<Task>> {
        cases::report_tasks(&self.client().await?, id).await
    }

    async fn task(&self, id: TaskId) -> StoreResult<Option<Task>> {
        cases::task(&self.client().await?, id).await
    }

    async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseFacts>> {
        cases::case_facts(&mut self.client().await?, from, to).await
    }

    async fn device_board(&self) -> StoreResult<Vec<DeviceRow>> {
        console::device_board(&self.client().await?).await
    }

    async fn intake_health(&self) -> StoreResult<IntakeHealth> {
        console::intake_health(&mut self.client().await?).await
    }

    async fn open_conflicts(&self) -> StoreResult<Vec<Conflict>> {
        console::conflicts_where(&self.client().await?, "resolved_at IS NULL", &[]).await
    }

    async fn conflict(&self, id: Uuid) -> StoreResult<Option<Conflict>> {
        Ok(
            console::conflicts_where(&self.client().await?, "id = $1", &[&id])
                .await?
                .pop(),
        )
    }

    async fn resolve_conflict(&self, r: &Resolution) -> StoreResult<Version> {
        console::resolve_conflict(&mut self.client().await?, r).await
    }

    async fn set_password(&self, user: UserId, hash: Option<&str>) -> StoreResult<()> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE users SET password_hash = $2 WHERE id = $1",
                &[user.as_uuid(), &hash],
            )
            .await
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
        Ok(())
    }

    async fn password_hash(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        console::password_hash(&self.client().await?, login).await
    }

    async fn create_session(
        &self,
        token_sha256: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM console_sessions WHERE expires_at <= $1",
                &[&at],
            )
            .await
            .map_err(db)?;
        client
            .execute(
                "INSERT INTO console_sessions (token_sha256, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&token_sha256, user.as_uuid(), &at, &expires_at],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        console::session_user(&self.client().await?, token_sha256, now).await
    }

    async fn end_session(&self, token_sha256: &str) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "DELETE FROM console_sessions WHERE token_sha256 = $1",
                &[&token_sha256],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn put_document(&self, name: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO documents (name, body, loaded_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body,
                    loaded_at = excluded.loaded_at",
                &[&name, &body, &at],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn document(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self
            .client()
            .await?
            .query_opt("SELECT body FROM documents WHERE name = $1", &[&name])
            .await
            .map_err(db)?
            .map(|r| r.get(0)))
    }
}

/// Writes a push's new reports with a fixed number of statements, however many there are
/// (arrays through `unnest`), and answers each. A report ID the centre already holds is a
/// resubmission: acknowledged if identical, refused if not, never overwritten.
async fn insert_reports(
    tx: &deadpool_postgres::Transaction<'_>,
    device: Uuid,
    reports: &[&Report],
    at: DateTime<Utc>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Vec<Outcome>> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = reports.iter().map(|r| *r.id.as_uuid()).collect();
    let mut held: HashMap<Uuid, Report> = HashMap::new();
    for row in tx
        .query("SELECT id, record FROM reports WHERE id = ANY($1)", &[&ids])
        .await
        .map_err(db)?
    {
        held.insert(row.get(0), serde_json::from_value(row.get(1)).map_err(db)?);
    }
    let mut outcomes = Vec::with_capacity(reports.len());
    let mut new: Vec<&Report> = Vec::new();
    for r in reports {
        match held.get(r.id.as_uuid()) {
            Some(same) => outcomes.push(resubmitted(same, r)),
            None => {
                held.insert(*r.id.as_uuid(), (*r).clone());
                outcomes.push(Outcome::Applied);
                new.push(r);
            }
        }
    }
    if new.is_empty() {
        return Ok(outcomes);
    }
    let dups = likely_duplicates(tx, &new).await?;
    let col = |f: &dyn Fn(&Report) -> String| -> Vec<String> { new.iter().map(|r| f(r)).collect() };
    let new_ids: Vec<Uuid> = new.iter().map(|r| *r.id.as_uuid()).collect();
    let reporters: Vec<Uuid> = new.iter().map(|r| *r.reporter.as_uuid()).collect();
    let kinds = col(&|r| enum_text(&r.kind));
    let categories = col(&|r| r.category.as_str().to_owned());
    let cells: Vec<Option<String>> = new
        .iter()
        .map(|r| r.cell.as_ref().map(|c| c.as_str().to_owned()))
        .collect();
    let urgencies = col(&|r| enum_text(&r.urgency));
    let observed: Vec<DateTime<Utc>> = new.iter().map(|r| r.observed_at.to_utc()).collect();
    let records: Vec<serde_json::Value> = new.iter().map(json).collect::<StoreResult<_>>()?;
    let lons: Vec<f64> = new.iter().map(|r| r.location.lon).collect();
    let lats: Vec<f64> = new.iter().map(|r| r.location.lat).collect();
    tx.execute(
        "INSERT INTO reports (id, device_id, reporter, version, state, kind, category, cell,
                              urgency, observed_at, record, received_at, lon, lat, duplicate_of,
                              state_at)
         SELECT id, $1, reporter, 1, 'awaiting_photos', kind, category, cell, urgency,
                observed_at, record, $2, lon, lat, duplicate_of, $2
           FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::timestamptz[], $10::jsonb[], $11::float8[], $12::float8[],
                       $13::uuid[])
             AS u(id, reporter, kind, category, cell, urgency, observed_at, record, lon, lat,
                  duplicate_of)",
        &[
            &device,
            &at,
            &new_ids,
            &reporters,
            &kinds,
            &categories,
            &cells,
            &urgencies,
            &observed,
            &records,
            &lons,
            &lats,
            &dups,
        ],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "INSERT INTO report_versions (report_id, version, record, by_user, by_device, at)
         SELECT id, 1, record, reporter, $1, $2
           FROM unnest($3::uuid[], $4::uuid[], $5::jsonb[]) AS u(id, reporter, record)",
        &[&device, &at, &new_ids, &reporters, &records],
    )
    .await
    .map_err(db)?;
    touches.extend(new.iter().map(|r| Touch::report(r.id, r.reporter)));
    let mut photo_reports = Vec::new();
    let mut photo_ids = Vec::new();
    let mut shas = Vec::new();
    let mut sizes = Vec::new();
    for r in &new {
        for p in &r.photos {
            photo_reports.push(*r.id.as_uuid());
            photo_ids.push(*p.id.as_uuid());
            shas.push(p.sha256.clone());
            sizes.push(i64_of(p.bytes));
        }
    }
    if !photo_ids.is_empty() {
        tx.execute(
            "INSERT INTO report_photos (report_id, photo_id, sha256, bytes, arrived)
             SELECT r, p, s, b, EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = s)
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[]) AS u(r, p, s, b)",
            &[&photo_reports, &photo_ids, &shas, &sizes],
        )
        .await
        .map_err(db)?;
    }
    tx.execute(&format!("{PROMOTE} AND id = ANY($1)"), &[&new_ids, &at])
        .await
        .map_err(db)?;
    Ok(outcomes)
}

/// For each new report, the earlier report it likely duplicates: candidates from the store
/// in one query, plus the reports ahead of it in the same push.
async fn likely_duplicates(
    tx: &deadpool_postgres::Transaction<'_>,
    new: &[&Report],
) -> StoreResult<Vec<Option<Uuid>>> {
    let mut cats = Vec::new();
    let (mut t0, mut t1) = (Vec::new(), Vec::new());
    let (mut lon0, mut lon1, mut lat0, mut lat1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in new {
        let (a, b, c, d) = duplicates::search_box(r.location.lon, r.location.lat);
        cats.push(r.category.as_str().to_owned());
        t0.push(r.observed_at.to_utc() - duplicates::WINDOW);
        t1.push(r.observed_at.to_utc() + duplicates::WINDOW);
        lon0.push(a);
        lon1.push(b);
        lat0.push(c);
        lat1.push(d);
    }
    let rows = tx
        .query(
            "SELECT q.i, r.id, r.lon, r.lat, r.observed_at
               FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::float8[],
                           $5::float8[], $6::float8[], $7::float8[])
                    WITH ORDINALITY AS q(cat, t0, t1, lon0, lon1, lat0, lat1, i)
               JOIN reports r ON r.category = q.cat AND r.observed_at BETWEEN q.t0 AND q.t1
                             AND r.lon BETWEEN q.lon0 AND q.lon1
                             AND r.lat BETWEEN q.lat0 AND q.lat1",
            &[&cats, &t0, &t1, &lon0, &lon1, &lat0, &lat1],
        )
        .await
        .map_err(db)?;
    let mut candidates: Vec<Vec<duplicates::Candidate>> = vec![Vec::new(); new.len()];
    for row in rows {
        let i = usize::try_from(row.get::<_, i64>(0) - 1).map_err(db)?;
        if let Some(list) = candidates.get_mut(i) {
            list.push(duplicates::Candidate {
                id: ReportId::try_from(row.get::<_, Uuid>(1)).map_err(db)?,
                lon: row.get(2),
                lat: row.get(3),
                observed_at: row.get(4),
            });
        }
    }
    Ok(new
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut list = std::mem::take(&mut candidates[i]);
            list.extend(new[..i].iter().map(|e| duplicates::Candidate {
                id: e.id,
                lon: e.location.lon,
                lat: e.location.lat,
                observed_at: e.observed_at.to_utc(),
            }));
            duplicates::likely_duplicate_of(r, &list).map(|d| *d.as_uuid())
        })
        .collect())
}

/// Merges a device's edit ([`edits::plan`]) and writes what it decides.
async fn edit_report(
    tx: &deadpool_postgres::Transaction<'_>,
    mutation: MutationId,
    e: &EditEffect,
    at: DateTime<Utc>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Outcome> {
    let id = *e.report.as_uuid();
    let held = tx
        .query_opt(
            "SELECT record, version, state, deleted_at IS NOT NULL FROM reports
              WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(db)?
        .map(|r| {
            Ok::<_, StoreError>(Held {
                record: serde_json::from_value(r.get(0)).map_err(db)?,
                version: u64_of(r.get(1)),
                state: r.get::<_, &str>(2).parse().map_err(db)?,
                deleted: r.get(3),
            })
        })
        .transpose()?;
    let base: Option<Report> = tx
        .query_opt(
            "SELECT record FROM report_versions WHERE report_id = $1 AND version = $2",
            &[&id, &i64_of(e.base_version)],
        )
        .await
        .map_err(db)?
        .map(|r| serde_json::from_value(r.get(0)).map_err(db))
        .transpose()?;
    let own_later: Vec<ReportPatch> = tx
        .query(
            "SELECT patch FROM report_versions
              WHERE report_id = $1 AND version > $2 AND by_device = $3 AND patch IS NOT NULL
              ORDER BY version",
            &[&id, &i64_of(e.base_version), e.device.id.as_uuid()],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| serde_json::from_value(r.get(0)).map_err(db))
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
        store_version(tx, &record, &e.patch, author, at, true, touches).await?;
    }
    if conflicts.is_empty() {
        return Ok(edits::answer(direct, None));
    }
    let conflict = Uuid::now_v7();
    tx.execute(
        "INSERT INTO conflicts (id, report_id, device_id, mutation_id, base_version,
                                central_version, fields, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &conflict,
            &id,
            e.device.id.as_uuid(),
            &i64_of(mutation),
            &i64_of(e.base_version),
            &i64_of(central_version),
            &json(&conflicts)?,
            &at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(edits::answer(direct, Some(conflict)))
}

/// Writes `record` as its report's next version, with its photos (see the SQLite store's
/// `store_version` for the state rule). A state change stamps `state_at`; a returned
/// report coming back to intake is a `resubmit` case event. The caller holds the report's
/// row lock.
async fn store_version(
    tx: &deadpool_postgres::Transaction<'_>,
    record: &Report,
    patch: &ReportPatch,
    by: Author,
    at: DateTime<Utc>,
    resubmit: bool,
    touches: &mut Vec<Touch>,
) -> StoreResult<Version> {
    let id = *record.id.as_uuid();
    let body = json(record)?;
    let row = tx
        .query_one(
            "UPDATE reports SET record = $2, version = version + 1, kind = $3, category = $4,
                    cell = $5, urgency = $6, observed_at = $7, lon = $8, lat = $9
              WHERE id = $1 RETURNING version, reporter, state",
            &[
                &id,
                &body,
                &enum_text(&record.kind),
                &record.category.as_str(),
                &record.cell.as_ref().map(CellCode::as_str),
                &enum_text(&record.urgency),
                &record.observed_at.to_utc(),
                &record.location.lon,
                &record.location.lat,
            ],
        )
        .await
        .map_err(db)?;
    // The first update leaves the state alone: this is the state before.
    let (version, reporter, before): (i64, Uuid, String) = (row.get(0), row.get(1), row.get(2));
    tx.execute(
        "INSERT INTO report_versions (report_id, version, record, patch, by_user, by_device,
                                      mutation_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &id,
            &version,
            &body,
            &json(patch)?,
            &by.user.map(|u| *u.as_uuid()),
            &by.device.map(|d| *d.as_uuid()),
            &by.mutation.map(i64_of),
            &at,
        ],
    )
    .await
    .map_err(db)?;
    let photo_ids: Vec<Uuid> = record.photos.iter().map(|p| *p.id.as_uuid()).collect();
    let shas: Vec<String> = record.photos.iter().map(|p| p.sha256.clone()).collect();
    let sizes: Vec<i64> = record.photos.iter().map(|p| i64_of(p.bytes)).collect();
    tx.execute(
        "DELETE FROM report_photos WHERE report_id = $1 AND NOT (photo_id = ANY($2))",
        &[&id, &photo_ids],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "INSERT INTO report_photos (report_id, photo_id, sha256, bytes, arrived)
         SELECT $1, p, s, b, EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = s)
           FROM unnest($2::uuid[], $3::text[], $4::bigint[]) AS u(p, s, b)
         ON CONFLICT (report_id, photo_id) DO NOTHING",
        &[&id, &photo_ids, &shas, &sizes],
    )
    .await
    .map_err(db)?;
    let after: String = tx
        .query_opt(
            "UPDATE reports SET state = CASE WHEN EXISTS (SELECT 1 FROM report_photos p
                    WHERE p.report_id = reports.id AND NOT p.arrived)
                THEN 'awaiting_photos' ELSE 'pending_review' END
          WHERE id = $1 AND (state IN ('awaiting_photos', 'pending_review')
                             OR ($2 AND state = 'returned'))
          RETURNING state",
            &[&id, &resubmit],
        )
        .await
        .map_err(db)?
        .map_or_else(|| before.clone(), |r| r.get(0));
    if after != before {
        tx.execute(
            "UPDATE reports SET state_at = $2 WHERE id = $1",
            &[&id, &at],
        )
        .await
        .map_err(db)?;
        if before == CaseState::Returned.as_str() {
            cases::event(
                tx, record.id, "resubmit", &before, &after, by, None, None, at,
            )
            .await?;
        }
    }
    touches.push(Touch::report(
        record.id,
        UserId::try_from(reporter).map_err(db)?,
    ));
    Ok(u64_of(version))
}

/// Makes `touches` visible in the feed, numbered after everything before them. Call it
/// last before commit: the `UPDATE` of `feed_state` holds its row lock until then, so
/// numbers commit in order.
async fn write_feed(
    tx: &deadpool_postgres::Transaction<'_>,
    touches: Vec<Touch>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let touches = distinct(touches);
    if touches.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(touches.len()).map_err(db)?;
    let last: i64 = tx
        .query_one(
            "UPDATE feed_state SET last_seq = last_seq + $1 RETURNING last_seq",
            &[&n],
        )
        .await
        .map_err(db)?
        .get(0);
    let kinds: Vec<&str> = touches.iter().map(|t| t.kind.as_str()).collect();
    let entities: Vec<&str> = touches.iter().map(|t| t.entity.as_str()).collect();
    let users: Vec<Option<Uuid>> = touches
        .iter()
        .map(|t| t.user.map(|u| *u.as_uuid()))
        .collect();
    let cells: Vec<Option<&str>> = touches.iter().map(|t| t.cell.as_deref()).collect();
    let tombstones: Vec<bool> = touches.iter().map(|t| t.tombstone).collect();
    tx.execute(
        "INSERT INTO changes (kind, entity, seq, user_id, cell, tombstone, at)
         SELECT k, e, $1 + i, u, c, t, $2
           FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::bool[])
                WITH ORDINALITY AS x(k, e, u, c, t, i)
         ON CONFLICT (kind, entity) DO UPDATE SET seq = excluded.seq,
            user_id = excluded.user_id, cell = excluded.cell,
            tombstone = excluded.tombstone, at = excluded.at",
        &[
            &(last - n),
            &at,
            &kinds,
            &entities,
            &users,
            &cells,
            &tombstones,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

const STORED_COLUMNS: &str = "record, state, version, received_at, duplicate_of, deleted_at,
    note, merged_into, (SELECT case_no FROM cases WHERE cases.report_id = reports.id)";

fn stored_from(r: &Row) -> StoreResult<StoredReport> {
    Ok(StoredReport {
        report: serde_json::from_value(r.get(0)).map_err(db)?,
        state: r.get::<_, &str>(1).parse::<CaseState>().map_err(db)?,
        version: u64_of(r.get(2)),
        received_at: r.get(3),
        duplicate_of: r
            .get::<_, Option<Uuid>>(4)
            .map(ReportId::try_from)
            .transpose()
            .map_err(db)?,
        deleted_at: r.get(5),
        note: r.get(6),
        merged_into: r
            .get::<_, Option<Uuid>>(7)
            .map(ReportId::try_from)
            .transpose()
            .map_err(db)?,
        case_no: r.get(8),
    })
}

/// Moves reports whose photos have all arrived on to review (callers narrow it down).
const PROMOTE: &str = "UPDATE reports SET state = 'pending_review', state_at = $2
    WHERE state = 'awaiting_photos'
      AND NOT EXISTS (SELECT 1 FROM report_photos p WHERE p.report_id = reports.id AND NOT p.arrived)";

const UPLOAD_COLUMNS: &str = "id, device_id, report_id, photo_id, length, received, metadata,
    created_at, expires_at, completed_at";

fn upload_from(r: &Row) -> StoreResult<Upload> {
    Ok(Upload {
        id: r.try_get("id").map_err(db)?,
        device: DeviceId::try_from(r.try_get::<_, Uuid>("device_id").map_err(db)?).map_err(db)?,
        report: ReportId::try_from(r.try_get::<_, Uuid>("report_id").map_err(db)?).map_err(db)?,
        photo: PhotoId::try_from(r.try_get::<_, Uuid>("photo_id").map_err(db)?).map_err(db)?,
        length: u64_of(r.try_get("length").map_err(db)?),
        received: u64_of(r.try_get("received").map_err(db)?),
        metadata: r.try_get("metadata").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        expires_at: r.try_get("expires_at").map_err(db)?,
        completed_at: r.try_get("completed_at").map_err(db)?,
    })
}

async fn parts_of(
    c: &impl deadpool_postgres::GenericClient,
    id: Uuid,
) -> StoreResult<Vec<UploadPart>> {
    Ok(c.query(
        "SELECT start, length, object_key FROM upload_parts WHERE upload_id = $1 ORDER BY start",
        &[&id],
    )
    .await
    .map_err(db)?
    .iter()
    .map(|r| UploadPart {
        start: u64_of(r.get(0)),
        length: u64_of(r.get(1)),
        key: r.get(2),
    })
    .collect())
}
