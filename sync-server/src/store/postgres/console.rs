//! What the console reads on PostgreSQL: reports with their surroundings, the device board,
//! intake health and conflicts; and its sign-in sessions (the same answers as the SQLite
//! store's `console`). Text sort keys use the `C` collation, SQLite's byte order.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use gridwalk_protocol::console::{
    CaseInfo, Conflict, ConsoleReport, DeviceRow, IntakeHealth, MissingPhotos, Person, Refusal,
    StateCount, UploadProgress,
};
use gridwalk_protocol::{
    CaseState, DeviceId, FieldConflict, Outcome, PhotoId, QueueStats, ReportId, UserId, Version,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{USER_COLUMNS, db, json, store_version, u64_of, user_from, write_feed};
use crate::store::{Author, ReportFilter, Resolution, StoreError, StoreResult, User};

const REPORT_COLUMNS: &str = "r.record, r.state, r.version, r.received_at, r.state_at, r.note,
    r.duplicate_of, r.merged_into, r.deleted_at,
    u.id, u.login, u.name, u.role, u.team,
    ARRAY(SELECT p.photo_id FROM report_photos p
           WHERE p.report_id = r.id AND p.arrived ORDER BY p.photo_id),
    c.case_no, c.registered_at, c.department, c.due_at, c.reworks, c.closed_at";

const REPORT_FROM: &str = "reports r JOIN users u ON u.id = r.reporter
    LEFT JOIN cases c ON c.report_id = r.id";

fn report_id(u: Option<Uuid>) -> StoreResult<Option<ReportId>> {
    u.map(ReportId::try_from).transpose().map_err(db)
}

/// The person in columns `at..at + 5` (id, login, name, role, team).
fn person_from(r: &Row, at: usize) -> StoreResult<Person> {
    Ok(Person {
        id: UserId::try_from(r.get::<_, Uuid>(at)).map_err(db)?,
        login: r.get(at + 1),
        name: r.get(at + 2),
        role: serde_json::from_value(serde_json::Value::String(r.get(at + 3))).map_err(db)?,
        team: r.get(at + 4),
    })
}

fn report_from(r: &Row) -> StoreResult<ConsoleReport> {
    let received_at: DateTime<Utc> = r.get(3);
    let case_no: Option<String> = r.get(15);
    let registered_at: Option<DateTime<Utc>> = r.get(16);
    Ok(ConsoleReport {
        report: serde_json::from_value(r.get(0)).map_err(db)?,
        state: r.get::<_, &str>(1).parse::<CaseState>().map_err(db)?,
        version: u64_of(r.get(2)),
        received_at,
        state_at: r.get::<_, Option<DateTime<Utc>>>(4).unwrap_or(received_at),
        note: r.get(5),
        duplicate_of: report_id(r.get(6))?,
        merged_into: report_id(r.get(7))?,
        deleted_at: r.get(8),
        reporter: person_from(r, 9)?,
        photos_arrived: r
            .get::<_, Vec<Uuid>>(14)
            .into_iter()
            .map(PhotoId::try_from)
            .collect::<Result<_, _>>()
            .map_err(db)?,
        case: match (case_no, registered_at) {
            (Some(case_no), Some(registered_at)) => Some(CaseInfo {
                case_no,
                registered_at,
                department: r.get(17),
                due_at: r.get(18),
                reworks: r
                    .get::<_, Option<i64>>(19)
                    .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                closed_at: r.get(20),
            }),
            _ => None,
        },
    })
}

pub(super) async fn console_reports(
    c: &impl GenericClient,
    f: &ReportFilter,
) -> StoreResult<Vec<ConsoleReport>> {
    let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
    c.query(
        &format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
              WHERE r.deleted_at IS NULL
                AND (cardinality($1::text[]) = 0 OR r.state = ANY($1))
                AND ($2::text IS NULL OR u.team = $2)
              ORDER BY COALESCE(r.state_at, r.received_at) DESC, r.id DESC
              LIMIT $3"
        ),
        &[
            &states,
            &f.team,
            &i64::try_from(f.limit.max(1)).unwrap_or(i64::MAX),
        ],
    )
    .await
    .map_err(db)?
    .iter()
    .map(report_from)
    .collect()
}

pub(super) async fn console_reports_by_id(
    c: &impl GenericClient,
    ids: &[ReportId],
) -> StoreResult<Vec<ConsoleReport>> {
    let ids: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
    c.query(
        &format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
              WHERE r.id = ANY($1) ORDER BY r.received_at, r.id"
        ),
        &[&ids],
    )
    .await
    .map_err(db)?
    .iter()
    .map(report_from)
    .collect()
}

pub(super) async fn related_reports(
    c: &impl GenericClient,
    id: ReportId,
) -> StoreResult<Vec<ReportId>> {
    c.query(
        "SELECT id FROM reports
          WHERE id != $1 AND deleted_at IS NULL
            AND (id = (SELECT duplicate_of FROM reports WHERE id = $1)
                 OR id = (SELECT merged_into FROM reports WHERE id = $1)
                 OR duplicate_of = $1 OR merged_into = $1)
          ORDER BY received_at, id",
        &[id.as_uuid()],
    )
    .await
    .map_err(db)?
    .iter()
    .map(|r| ReportId::try_from(r.get::<_, Uuid>(0)).map_err(db))
    .collect()
}

pub(super) async fn device_board(c: &impl GenericClient) -> StoreResult<Vec<DeviceRow>> {
    c.query(
        "SELECT d.id, d.enrolled_at, d.last_seen, d.app_version, d.queue_reports,
                d.queue_photos, d.queue_bytes,
                (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id),
                (SELECT MAX(r.received_at) FROM reports r WHERE r.device_id = d.id),
                u.id, u.login, u.name, u.role, u.team
           FROM devices d JOIN users u ON u.id = d.user_id
          ORDER BY u.team COLLATE \"C\" NULLS FIRST, u.name COLLATE \"C\", d.enrolled_at, d.id",
        &[],
    )
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(DeviceRow {
            id: DeviceId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
            user: person_from(r, 9)?,
            enrolled_at: r.get(1),
            last_seen: r.get(2),
            app_version: r.get(3),
            queue: QueueStats {
                reports: u64_of(r.get(4)),
                photos: u64_of(r.get(5)),
                bytes: u64_of(r.get(6)),
            },
            reports_received: u64_of(r.get(7)),
            last_received_at: r.get(8),
        })
    })
    .collect()
}

/// How intake is going, read in one snapshot.
pub(super) async fn intake_health(
    client: &mut deadpool_postgres::Client,
) -> StoreResult<IntakeHealth> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db)?;
    let states = tx
        .query(
            "SELECT state, COUNT(*) FROM reports WHERE deleted_at IS NULL
              GROUP BY state ORDER BY state COLLATE \"C\"",
            &[],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(StateCount {
                state: r.get::<_, &str>(0).parse().map_err(db)?,
                count: u64_of(r.get(1)),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let oldest_pending = tx
        .query_one(
            "SELECT MIN(COALESCE(state_at, received_at)) FROM reports
              WHERE state = 'pending_review' AND deleted_at IS NULL",
            &[],
        )
        .await
        .map_err(db)?
        .get(0);
    let missing_photos = tx
        .query(
            "SELECT r.id, u.name, r.device_id,
                    SUM(CASE WHEN p.arrived THEN 0 ELSE 1 END), COUNT(p.photo_id), r.received_at
               FROM reports r JOIN users u ON u.id = r.reporter
               JOIN report_photos p ON p.report_id = r.id
              WHERE r.state = 'awaiting_photos' AND r.deleted_at IS NULL
              GROUP BY r.id, u.id ORDER BY r.received_at, r.id LIMIT 200",
            &[],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(MissingPhotos {
                report: ReportId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                reporter: r.get(1),
                device: DeviceId::try_from(r.get::<_, Uuid>(2)).map_err(db)?,
                missing: u64_of(r.get(3)),
                photos: u64_of(r.get(4)),
                received_at: r.get(5),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let uploads = tx
        .query(
            "SELECT id, report_id, device_id, received, length, created_at, expires_at
               FROM uploads WHERE completed_at IS NULL ORDER BY created_at, id LIMIT 200",
            &[],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(UploadProgress {
                id: r.get(0),
                report: ReportId::try_from(r.get::<_, Uuid>(1)).map_err(db)?,
                device: DeviceId::try_from(r.get::<_, Uuid>(2)).map_err(db)?,
                received: u64_of(r.get(3)),
                length: u64_of(r.get(4)),
                created_at: r.get(5),
                expires_at: r.get(6),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // Newest first; a push's refusals share a time and keep their order.
    let refusals = tx
        .query(
            "SELECT a.device_id, u.name, a.mutation_id, a.outcome, a.applied_at
               FROM applied_mutations a JOIN devices d ON d.id = a.device_id
               JOIN users u ON u.id = d.user_id
              WHERE a.outcome ->> 'outcome' = 'rejected'
              ORDER BY a.applied_at DESC, a.device_id, a.mutation_id LIMIT 50",
            &[],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            let reason = match serde_json::from_value::<Outcome>(r.get(3)).map_err(db)? {
                Outcome::Rejected { reason } => reason,
                other => format!("{other:?}"),
            };
            Ok(Refusal {
                device: DeviceId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                user: r.get(1),
                mutation: u64_of(r.get(2)),
                reason,
                at: r.get(4),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let open_conflicts = u64_of(
        tx.query_one(
            "SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL",
            &[],
        )
        .await
        .map_err(db)?
        .get(0),
    );
    let queue = tx
        .query_one(
            "SELECT COALESCE(SUM(queue_reports), 0)::bigint, COALESCE(SUM(queue_photos), 0)::bigint,
                    COALESCE(SUM(queue_bytes), 0)::bigint FROM devices",
            &[],
        )
        .await
        .map_err(db)?;
    let devices_queue = QueueStats {
        reports: u64_of(queue.get(0)),
        photos: u64_of(queue.get(1)),
        bytes: u64_of(queue.get(2)),
    };
    tx.commit().await.map_err(db)?;
    Ok(IntakeHealth {
        states,
        oldest_pending,
        missing_photos,
        uploads,
        refusals,
        open_conflicts,
        devices_queue,
    })
}

/// The conflicts matching `clause` (over `params`), oldest first.
pub(super) async fn conflicts_where(
    c: &impl GenericClient,
    clause: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Conflict>> {
    c.query(
        &format!(
            "SELECT id, report_id, device_id, mutation_id, base_version, central_version, fields,
                    opened_at, resolved_at, resolution, resolved_by
               FROM conflicts WHERE {clause} ORDER BY opened_at, id"
        ),
        params,
    )
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(Conflict {
            id: r.get(0),
            report: ReportId::try_from(r.get::<_, Uuid>(1)).map_err(db)?,
            device: DeviceId::try_from(r.get::<_, Uuid>(2)).map_err(db)?,
            mutation: u64_of(r.get(3)),
            base_version: u64_of(r.get(4)),
            central_version: u64_of(r.get(5)),
            fields: serde_json::from_value::<Vec<FieldConflict>>(r.get(6)).map_err(db)?,
            opened_at: r.get(7),
            resolved_at: r.get(8),
            resolution: r
                .get::<_, Option<serde_json::Value>>(9)
                .map(serde_json::from_value)
                .transpose()
                .map_err(db)?,
            resolved_by: r
                .get::<_, Option<Uuid>>(10)
                .map(UserId::try_from)
                .transpose()
                .map_err(db)?,
        })
    })
    .collect()
}

/// Writes the operator's choice as the report's next version and closes the conflict, in
/// one transaction with the conflict's and the report's rows locked.
pub(super) async fn resolve_conflict(
    client: &mut deadpool_postgres::Client,
    r: &Resolution,
) -> StoreResult<Version> {
    let Resolution {
        conflict: id,
        record,
        expected_version,
        patch,
        choices,
        by,
        at,
    } = r;
    let (id, expected_version, by, at) = (*id, *expected_version, *by, *at);
    let tx = client.transaction().await.map_err(db)?;
    let open: Option<Option<DateTime<Utc>>> = tx
        .query_opt(
            "SELECT resolved_at FROM conflicts WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(db)?
        .map(|r| r.get(0));
    match open {
        None => return Err(StoreError::NotFound(format!("conflict {id}"))),
        Some(Some(_)) => {
            return Err(StoreError::Stale(format!(
                "conflict {id} is already resolved"
            )));
        }
        Some(None) => {}
    }
    let held = u64_of(
        tx.query_one(
            "SELECT version FROM reports WHERE id = $1 FOR UPDATE",
            &[record.id.as_uuid()],
        )
        .await
        .map_err(db)?
        .get(0),
    );
    if held != expected_version {
        return Err(StoreError::Stale(format!(
            "report {} changed (version {held}, not {expected_version}) while you chose; look again",
            record.id
        )));
    }
    let author = Author {
        user: Some(by),
        device: None,
        mutation: None,
    };
    let mut touches = Vec::new();
    let version = if patch.is_empty() {
        held
    } else {
        store_version(&tx, record, patch, author, at, false, &mut touches).await?
    };
    tx.execute(
        "UPDATE conflicts SET resolved_at = $2, resolution = $3, resolved_by = $4 WHERE id = $1",
        &[&id, &at, &json(choices)?, by.as_uuid()],
    )
    .await
    .map_err(db)?;
    // Last before commit: the feed's numbers are held only while committing.
    write_feed(&tx, touches, at).await?;
    tx.commit().await.map_err(db)?;
    Ok(version)
}

pub(super) async fn password_hash(
    c: &impl GenericClient,
    login: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    c.query_opt(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1"),
        &[&login],
    )
    .await
    .map_err(db)?
    .map(|r| Ok((user_from(&r)?, r.try_get("password_hash").map_err(db)?)))
    .transpose()
}

pub(super) async fn session_user(
    c: &impl GenericClient,
    token_sha256: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<User>> {
    let cols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
    c.query_opt(
        &format!(
            "SELECT {} FROM console_sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_sha256 = $1 AND s.expires_at > $2",
            cols.join(", ")
        ),
        &[&token_sha256, &now],
    )
    .await
    .map_err(db)?
    .as_ref()
    .map(user_from)
    .transpose()
}
