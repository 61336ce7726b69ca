//! What the console reads on SQLite: reports with their surroundings, the device board,
//! intake health and conflicts; and its sign-in sessions.

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    CaseInfo, Conflict, ConsoleReport, DeviceRow, IntakeHealth, MissingPhotos, Person, Refusal,
    StateCount, UploadProgress,
};
use gridwalk_protocol::{
    CaseState, FieldConflict, MutationId, Outcome, QueueStats, ReportId, Version,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{USER_COLUMNS, db, json, parse, read_user, store_version, write_feed};
use crate::store::{Author, ReportFilter, Resolution, StoreError, StoreResult, User};

const REPORT_COLUMNS: &str = "r.record, r.state, r.version, r.received_at, r.state_at, r.note,
    r.duplicate_of, r.merged_into, r.deleted_at,
    u.id, u.login, u.name, u.role, u.team,
    (SELECT json_group_array(p.photo_id) FROM report_photos p
      WHERE p.report_id = r.id AND p.arrived),
    c.case_no, c.registered_at, c.department, c.due_at, c.reworks, c.closed_at";

const REPORT_FROM: &str = "reports r JOIN users u ON u.id = r.reporter
    LEFT JOIN cases c ON c.report_id = r.id";

fn id_opt<T: std::str::FromStr>(s: Option<String>) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|v| v.parse::<T>().map_err(db)).transpose()
}

fn read_report(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<ConsoleReport>> {
    let (record, state, version, received_at, state_at): (String, String, Version, _, Option<_>) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let (note, duplicate_of, merged_into, deleted_at): (_, Option<String>, Option<String>, _) =
        (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
    let (uid, login, name, role, team): (String, String, String, String, _) =
        (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?);
    let arrived: String = r.get(14)?;
    let case_no: Option<String> = r.get(15)?;
    let (registered_at, department, due_at, reworks, closed_at): (Option<_>, _, _, Option<u32>, _) =
        (r.get(16)?, r.get(17)?, r.get(18)?, r.get(19)?, r.get(20)?);
    Ok((|| {
        let received_at: DateTime<Utc> = received_at;
        Ok(ConsoleReport {
            report: parse(&record)?,
            state: state.parse::<CaseState>().map_err(db)?,
            version,
            received_at,
            state_at: state_at.unwrap_or(received_at),
            note,
            duplicate_of: id_opt(duplicate_of)?,
            merged_into: id_opt(merged_into)?,
            deleted_at,
            reporter: Person {
                id: uid.parse().map_err(db)?,
                login,
                name,
                role: parse(&json(&role))?,
                team,
            },
            photos_arrived: parse(&arrived)?,
            case: match (case_no, registered_at) {
                (Some(case_no), Some(registered_at)) => Some(CaseInfo {
                    case_no,
                    registered_at,
                    department,
                    due_at,
                    reworks: reworks.unwrap_or(0),
                    closed_at,
                }),
                _ => None,
            },
        })
    })())
}

pub(super) fn console_reports(c: &Connection, f: &ReportFilter) -> StoreResult<Vec<ConsoleReport>> {
    let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
    c.prepare(&format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
          WHERE r.deleted_at IS NULL
            AND (?1 = '[]' OR r.state IN (SELECT value FROM json_each(?1)))
            AND (?2 IS NULL OR u.team = ?2)
          ORDER BY COALESCE(r.state_at, r.received_at) DESC, r.id DESC
          LIMIT ?3"
    ))
    .map_err(db)?
    .query_map(
        params![
            json(&states),
            f.team,
            i64::try_from(f.limit.max(1)).unwrap_or(i64::MAX)
        ],
        read_report,
    )
    .map_err(db)?
    .map(|r| r.map_err(db)?)
    .collect()
}

pub(super) fn console_reports_by_id(
    c: &Connection,
    ids: &[ReportId],
) -> StoreResult<Vec<ConsoleReport>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    c.prepare(&format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
          WHERE r.id IN (SELECT value FROM json_each(?1)) ORDER BY r.received_at, r.id"
    ))
    .map_err(db)?
    .query_map([json(&ids)], read_report)
    .map_err(db)?
    .map(|r| r.map_err(db)?)
    .collect()
}

pub(super) fn related_reports(c: &Connection, id: ReportId) -> StoreResult<Vec<ReportId>> {
    c.prepare(
        "SELECT id FROM reports
          WHERE id != ?1 AND deleted_at IS NULL
            AND (id = (SELECT duplicate_of FROM reports WHERE id = ?1)
                 OR id = (SELECT merged_into FROM reports WHERE id = ?1)
                 OR duplicate_of = ?1 OR merged_into = ?1)
          ORDER BY received_at, id",
    )
    .map_err(db)?
    .query_map([id.to_string()], |r| r.get::<_, String>(0))
    .map_err(db)?
    .map(|r| r.map_err(db)?.parse().map_err(db))
    .collect()
}

pub(super) fn device_board(c: &Connection) -> StoreResult<Vec<DeviceRow>> {
    c.prepare(
        "SELECT d.id, d.enrolled_at, d.last_seen, d.app_version, d.queue_reports,
                d.queue_photos, d.queue_bytes,
                (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id),
                (SELECT MAX(r.received_at) FROM reports r WHERE r.device_id = d.id),
                u.id, u.login, u.name, u.role, u.team
           FROM devices d JOIN users u ON u.id = d.user_id
          ORDER BY u.team, u.name, d.enrolled_at",
    )
    .map_err(db)?
    .query_map([], |r| {
        let head: (String, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let queue = QueueStats {
            reports: r.get(4)?,
            photos: r.get(5)?,
            bytes: r.get(6)?,
        };
        let received: (u64, Option<DateTime<Utc>>) = (r.get(7)?, r.get(8)?);
        let user: (String, String, String, String, Option<String>) =
            (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?);
        Ok((head, queue, received, user))
    })
    .map_err(db)?
    .map(|row| {
        let ((id, enrolled_at, last_seen, app_version), queue, received, user) = row.map_err(db)?;
        Ok(DeviceRow {
            id: id.parse().map_err(db)?,
            user: Person {
                id: user.0.parse().map_err(db)?,
                login: user.1,
                name: user.2,
                role: parse(&json(&user.3))?,
                team: user.4,
            },
            enrolled_at,
            last_seen,
            app_version,
            queue,
            reports_received: received.0,
            last_received_at: received.1,
        })
    })
    .collect()
}

pub(super) fn intake_health(c: &Connection) -> StoreResult<IntakeHealth> {
    let states = c
        .prepare(
            "SELECT state, COUNT(*) FROM reports WHERE deleted_at IS NULL
              GROUP BY state ORDER BY state",
        )
        .map_err(db)?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
        .map_err(db)?
        .map(|row| {
            let (state, count) = row.map_err(db)?;
            Ok(StateCount {
                state: state.parse().map_err(db)?,
                count,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let oldest_pending = c
        .query_row(
            "SELECT MIN(COALESCE(state_at, received_at)) FROM reports
              WHERE state = 'pending_review' AND deleted_at IS NULL",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let missing_photos = c
        .prepare(
            "SELECT r.id, u.name, r.device_id,
                    SUM(CASE WHEN p.arrived THEN 0 ELSE 1 END), COUNT(p.photo_id), r.received_at
               FROM reports r JOIN users u ON u.id = r.reporter
               JOIN report_photos p ON p.report_id = r.id
              WHERE r.state = 'awaiting_photos' AND r.deleted_at IS NULL
              GROUP BY r.id ORDER BY r.received_at LIMIT 200",
        )
        .map_err(db)?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u64>(3)?,
                r.get::<_, u64>(4)?,
                r.get::<_, DateTime<Utc>>(5)?,
            ))
        })
        .map_err(db)?
        .map(|row| {
            let (report, reporter, device, missing, photos, received_at) = row.map_err(db)?;
            Ok(MissingPhotos {
                report: report.parse().map_err(db)?,
                reporter,
                device: device.parse().map_err(db)?,
                missing,
                photos,
                received_at,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let uploads = c
        .prepare(
            "SELECT id, report_id, device_id, received, length, created_at, expires_at
               FROM uploads WHERE completed_at IS NULL ORDER BY created_at LIMIT 200",
        )
        .map_err(db)?
        .query_map([], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ),
                (r.get::<_, u64>(3)?, r.get::<_, u64>(4)?),
                (r.get::<_, DateTime<Utc>>(5)?, r.get::<_, DateTime<Utc>>(6)?),
            ))
        })
        .map_err(db)?
        .map(|row| {
            let ((id, report, device), (received, length), (created_at, expires_at)) =
                row.map_err(db)?;
            Ok(UploadProgress {
                id: id.parse().map_err(db)?,
                report: report.parse().map_err(db)?,
                device: device.parse().map_err(db)?,
                received,
                length,
                created_at,
                expires_at,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let refusals = c
        .prepare(
            "SELECT a.device_id, u.name, a.mutation_id, a.outcome, a.applied_at
               FROM applied_mutations a JOIN devices d ON d.id = a.device_id
               JOIN users u ON u.id = d.user_id
              WHERE json_extract(a.outcome, '$.outcome') = 'rejected'
              ORDER BY a.applied_at DESC LIMIT 50",
        )
        .map_err(db)?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, MutationId>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, DateTime<Utc>>(4)?,
            ))
        })
        .map_err(db)?
        .map(|row| {
            let (device, user, mutation, outcome, at) = row.map_err(db)?;
            let reason = match parse::<Outcome>(&outcome)? {
                Outcome::Rejected { reason } => reason,
                other => format!("{other:?}"),
            };
            Ok(Refusal {
                device: device.parse().map_err(db)?,
                user,
                mutation,
                reason,
                at,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let open_conflicts = c
        .query_row(
            "SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let devices_queue = c
        .query_row(
            "SELECT COALESCE(SUM(queue_reports), 0), COALESCE(SUM(queue_photos), 0),
                    COALESCE(SUM(queue_bytes), 0) FROM devices",
            [],
            |r| {
                Ok(QueueStats {
                    reports: r.get(0)?,
                    photos: r.get(1)?,
                    bytes: r.get(2)?,
                })
            },
        )
        .map_err(db)?;
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

/// A conflict row's fields, opening time, resolution time, resolution and resolver.
type ConflictTail = (
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
);

pub(super) fn conflicts_where(
    c: &Connection,
    clause: &str,
    arg: String,
) -> StoreResult<Vec<Conflict>> {
    c.prepare(&format!(
        "SELECT id, report_id, device_id, mutation_id, base_version, central_version, fields,
                opened_at, resolved_at, resolution, resolved_by
           FROM conflicts WHERE {clause} ORDER BY opened_at, id"
    ))
    .map_err(db)?
    .query_map([arg], |r| {
        let head: (String, String, String, MutationId, Version, Version) = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        );
        let tail: ConflictTail = (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?);
        Ok((head, tail))
    })
    .map_err(db)?
    .map(|row| {
        let (
            (id, report, device, mutation, base_version, central_version),
            (fields, opened_at, resolved_at, resolution, resolved_by),
        ) = row.map_err(db)?;
        Ok(Conflict {
            id: id.parse().map_err(db)?,
            report: report.parse().map_err(db)?,
            device: device.parse().map_err(db)?,
            mutation,
            base_version,
            central_version,
            fields: parse::<Vec<FieldConflict>>(&fields)?,
            opened_at,
            resolved_at,
            resolution: resolution.as_deref().map(parse).transpose()?,
            resolved_by: id_opt(resolved_by)?,
        })
    })
    .collect()
}

pub(super) fn resolve_conflict(c: &mut Connection, r: &Resolution) -> StoreResult<Version> {
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
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let open: Option<Option<DateTime<Utc>>> = tx
        .query_row(
            "SELECT resolved_at FROM conflicts WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    match open {
        None => return Err(StoreError::NotFound(format!("conflict {id}"))),
        Some(Some(_)) => {
            return Err(StoreError::Stale(format!(
                "conflict {id} is already resolved"
            )));
        }
        Some(None) => {}
    }
    let held: Version = tx
        .query_row(
            "SELECT version FROM reports WHERE id = ?1",
            [record.id.to_string()],
            |r| r.get(0),
        )
        .map_err(db)?;
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
        store_version(&tx, record, patch, author, at, false, &mut touches)?
    };
    tx.execute(
        "UPDATE conflicts SET resolved_at = ?2, resolution = ?3, resolved_by = ?4 WHERE id = ?1",
        params![id.to_string(), at, json(&choices), by.to_string()],
    )
    .map_err(db)?;
    write_feed(&tx, touches, at)?;
    tx.commit().map_err(db)?;
    Ok(version)
}

pub(super) fn password_hash(
    c: &Connection,
    login: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    c.query_row(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = ?1"),
        [login],
        |r| Ok((read_user(r)?, r.get::<_, Option<String>>(8)?)),
    )
    .optional()
    .map_err(db)?
    .map(|(u, h)| Ok((u?, h)))
    .transpose()
}

pub(super) fn session_user(
    c: &Connection,
    token_sha256: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<User>> {
    let cols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
    c.query_row(
        &format!(
            "SELECT {} FROM console_sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_sha256 = ?1 AND s.expires_at > ?2",
            cols.join(", ")
        ),
        params![token_sha256, now],
        read_user,
    )
    .optional()
    .map_err(db)?
    .transpose()
}
