//! The PostgreSQL case store, for a city's whole workforce: tokio-postgres behind a
//! deadpool connection pool. (sqlx is avoided on purpose: even unused, its SQLite driver
//! claims the `sqlite3` native library, which rusqlite's bundled SQLite already links.)
//! Per-device ordering is enforced by locking the device's row (`SELECT … FOR UPDATE`) in
//! the transaction that applies a mutation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gridwalk_protocol::{
    CellCode, DeviceId, MutationId, Outcome, PhotoId, PhotoNeed, QueueStats, Report, ReportId,
    UserId,
};
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::{
    Appended, Applied, ArrivedPhoto, CaseStore, Device, Effect, PhotoSlot, Sequence, StoreError,
    StoreResult, StoredReport, Upload, UploadPart, User, forgotten, resubmitted, sequence,
};
use crate::duplicates;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_photos.sql"),
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
        let mut last = first;
        let mut answers = Vec::with_capacity(batch.len());
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
                    let outcome = match effect {
                        Effect::Reject(reason) => Outcome::Rejected { reason },
                        Effect::InsertReport(report) => {
                            insert_report(&tx, dev, &report, at).await?
                        }
                    };
                    tx.execute(
                        "INSERT INTO applied_mutations (device_id, mutation_id, outcome, applied_at)
                         VALUES ($1, $2, $3, $4)",
                        &[&dev, &i64_of(id), &json(&outcome)?, &at],
                    )
                    .await
                    .map_err(db)?;
                    last = id;
                    answers.push(Applied::Answer(outcome));
                }
            }
        }
        if last != first {
            tx.execute(
                "UPDATE devices SET last_applied = $2 WHERE id = $1",
                &[&dev, &i64_of(last)],
            )
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(answers)
    }

    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO code_tables (version, body, loaded_at) VALUES ($1, $2, $3)
                 ON CONFLICT (version) DO UPDATE SET body = excluded.body, loaded_at = excluded.loaded_at",
                &[&version, &body, &Utc::now()],
            )
            .await
            .map_err(db)?;
        Ok(())
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
        tx.commit().await.map_err(db)?;
        Ok(cells.len())
    }

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT record, state, version, received_at, duplicate_of
                   FROM reports WHERE id = $1",
                &[id.as_uuid()],
            )
            .await
            .map_err(db)?;
        row.map(|r| {
            Ok(StoredReport {
                report: serde_json::from_value(r.get(0)).map_err(db)?,
                state: r.get(1),
                version: r.get(2),
                received_at: r.get(3),
                duplicate_of: r
                    .get::<_, Option<Uuid>>(4)
                    .map(ReportId::try_from)
                    .transpose()
                    .map_err(db)?,
            })
        })
        .transpose()
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
                  WHERE p.report_id = $1 AND p.photo_id = $2 AND r.device_id = $3",
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
                "SELECT p.photo_id, bool_and(p.arrived) FROM report_photos p
                   JOIN reports r ON r.id = p.report_id
                  WHERE p.photo_id = ANY($1) AND r.device_id = $2
                  GROUP BY p.photo_id",
                &[&ids, device.as_uuid()],
            )
            .await
            .map_err(db)?;
        let known: std::collections::HashMap<Uuid, bool> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
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
                &format!(
                    "{PROMOTE} AND id IN (SELECT report_id FROM report_photos WHERE sha256 = $1)"
                ),
                &[&a.sha256],
            )
            .await
            .map_err(db)?;
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
}

async fn insert_report(
    tx: &deadpool_postgres::Transaction<'_>,
    device: Uuid,
    report: &Report,
    at: DateTime<Utc>,
) -> StoreResult<Outcome> {
    let record = json(report)?;
    let inserted = tx
        .execute(
            "INSERT INTO reports (id, device_id, reporter, version, state, kind, category, cell,
                                  urgency, observed_at, record, received_at, lon, lat)
             VALUES ($1, $2, $3, 1, 'awaiting_photos', $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO NOTHING",
            &[
                report.id.as_uuid(),
                &device,
                report.reporter.as_uuid(),
                &enum_text(&report.kind),
                &report.category.as_str(),
                &report.cell.as_ref().map(CellCode::as_str),
                &enum_text(&report.urgency),
                &report.observed_at.to_utc(),
                &record,
                &at,
                &report.location.lon,
                &report.location.lat,
            ],
        )
        .await
        .map_err(db)?;
    if inserted == 1 {
        mark_duplicate(tx, report).await?;
        for p in &report.photos {
            tx.execute(
                "INSERT INTO report_photos (report_id, photo_id, sha256, bytes, arrived)
                 VALUES ($1, $2, $3, $4, EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = $3))",
                &[
                    report.id.as_uuid(),
                    p.id.as_uuid(),
                    &p.sha256,
                    &i64_of(p.bytes),
                ],
            )
            .await
            .map_err(db)?;
        }
        tx.execute(&format!("{PROMOTE} AND id = $1"), &[report.id.as_uuid()])
            .await
            .map_err(db)?;
        return Ok(Outcome::Applied);
    }
    let existing: serde_json::Value = tx
        .query_one(
            "SELECT record FROM reports WHERE id = $1",
            &[report.id.as_uuid()],
        )
        .await
        .map_err(db)?
        .get(0);
    let same: Report = serde_json::from_value(existing).map_err(db)?;
    Ok(resubmitted(&same, report))
}

/// Points a new report at the earlier one it likely duplicates, if any.
async fn mark_duplicate(
    tx: &deadpool_postgres::Transaction<'_>,
    report: &Report,
) -> StoreResult<()> {
    let (lon0, lon1, lat0, lat1) = duplicates::search_box(report.location.lon, report.location.lat);
    let t = report.observed_at.to_utc();
    let stmt = tx
        .prepare_cached(
            "SELECT id, lon, lat, observed_at FROM reports
              WHERE category = $1 AND observed_at BETWEEN $2 AND $3
                AND lon BETWEEN $4 AND $5 AND lat BETWEEN $6 AND $7 AND id != $8",
        )
        .await
        .map_err(db)?;
    let candidates = tx
        .query(
            &stmt,
            &[
                &report.category.as_str(),
                &(t - duplicates::WINDOW),
                &(t + duplicates::WINDOW),
                &lon0,
                &lon1,
                &lat0,
                &lat1,
                report.id.as_uuid(),
            ],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(duplicates::Candidate {
                id: ReportId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                lon: r.get(1),
                lat: r.get(2),
                observed_at: r.get(3),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if let Some(original) = duplicates::likely_duplicate_of(report, &candidates) {
        tx.execute(
            "UPDATE reports SET duplicate_of = $2 WHERE id = $1",
            &[report.id.as_uuid(), original.as_uuid()],
        )
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Moves reports whose photos have all arrived on to review (callers narrow it down).
const PROMOTE: &str = "UPDATE reports SET state = 'pending_review'
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
