//! The case loop on SQLite: steps, their events, tasks, and the facts the evaluation
//! counts.

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{CaseEvent, Task, TaskKind};
use gridwalk_protocol::{CaseState, ReportId, TaskId, UserId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{db, json, parse, write_feed};
use crate::cases::{self, Action};
use crate::store::{Author, CaseFacts, FeedKind, Step, Stepped, StoreError, StoreResult, Touch};

/// Records one step of the loop in the audit trail.
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
    tx: &rusqlite::Transaction<'_>,
    report: ReportId,
    action: &str,
    from: &str,
    to: &str,
    by: Author,
    text: Option<&str>,
    due_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO case_events (report_id, action, from_state, to_state, by_user, by_device,
                                  text, due_at, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            report.to_string(),
            action,
            from,
            to,
            by.user.map(|u| u.to_string()),
            by.device.map(|d| d.to_string()),
            text,
            due_at,
            at
        ],
    )
    .map_err(db)?;
    Ok(())
}

/// The next case number of a local day: `20261121-0001`, `20261121-0002`, …
fn next_case_no(tx: &rusqlite::Transaction<'_>, day: &str) -> StoreResult<String> {
    let n: u64 = tx
        .query_row(
            "INSERT INTO case_numbers (day, last) VALUES (?1, 1)
             ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last",
            [day],
            |r| r.get(0),
        )
        .map_err(db)?;
    Ok(cases::case_number(day, n))
}

pub(super) fn step(c: &mut Connection, s: &Step) -> StoreResult<Stepped> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut touches = Vec::new();
    let stepped = step_in(&tx, s, &mut touches)?;
    if let Stepped::Done { .. } = stepped {
        write_feed(&tx, touches, s.at)?;
        tx.commit().map_err(db)?;
    }
    Ok(stepped)
}

/// Applies a step inside the caller's transaction (a console action's own, or a device's
/// push); the feed touches are the caller's to write.
pub(super) fn step_in(
    tx: &rusqlite::Transaction<'_>,
    s: &Step,
    touches: &mut Vec<Touch>,
) -> StoreResult<Stepped> {
    let id = s.report.to_string();
    let held: Option<(String, String, bool)> = tx
        .query_row(
            "SELECT state, reporter, deleted_at IS NOT NULL FROM reports WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db)?;
    let Some((state, reporter, deleted)) = held else {
        return Err(StoreError::NotFound(format!("report {}", s.report)));
    };
    let state: CaseState = state.parse().map_err(db)?;
    let reporter: UserId = reporter.parse().map_err(db)?;
    if deleted {
        return Ok(Stepped::Refused(format!(
            "report {} was removed at the centre",
            s.report
        )));
    }
    if let Some(refusal) = cases::check_seen(s.report, s.seen, state) {
        return Ok(Stepped::Refused(refusal));
    }
    let to = match cases::next(s.report, state, &s.action) {
        Ok(to) => to,
        Err(why) => return Ok(Stepped::Refused(why)),
    };
    touches.push(Touch::report(s.report, reporter));
    let mut note: Option<String> = None;
    let mut text: Option<String> = None;
    let mut due_at = None;
    match &s.action {
        Action::Approve => {
            let case_no = next_case_no(tx, &s.day)?;
            tx.execute(
                "INSERT INTO cases (report_id, case_no, registered_at) VALUES (?1, ?2, ?3)",
                params![id, case_no, s.at],
            )
            .map_err(db)?;
            text = Some(case_no);
        }
        Action::Return { comment } => {
            note = Some(comment.trim().to_owned());
            text.clone_from(&note);
        }
        Action::Reject { reason } => {
            note = Some(reason.trim().to_owned());
            text.clone_from(&note);
        }
        Action::Merge { into } => {
            let target: Option<(String, bool, Option<String>)> = tx
                .query_row(
                    "SELECT state, deleted_at IS NOT NULL,
                            (SELECT case_no FROM cases WHERE report_id = reports.id)
                       FROM reports WHERE id = ?1",
                    [into.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db)?;
            let target = target
                .map(|(st, del, no)| Ok::<_, StoreError>((st.parse().map_err(db)?, del, no)))
                .transpose()?;
            if let Err(why) =
                cases::merge_target(*into, target.as_ref().map(|(st, del, _)| (*st, *del)))
            {
                return Ok(Stepped::Refused(why));
            }
            let label = target
                .and_then(|(_, _, no)| no)
                .unwrap_or_else(|| into.to_string());
            tx.execute(
                "UPDATE reports SET merged_into = ?2 WHERE id = ?1",
                params![id, into.to_string()],
            )
            .map_err(db)?;
            note = Some(format!("merged into {label}"));
            text = Some(into.to_string());
        }
        Action::Dispatch { department } => {
            let due = s
                .due_at
                .ok_or_else(|| StoreError::Db("a dispatch needs a deadline".into()))?;
            tx.execute(
                "UPDATE cases SET department = ?2, due_at = ?3 WHERE report_id = ?1",
                params![id, department.trim(), due],
            )
            .map_err(db)?;
            text = Some(department.trim().to_owned());
            due_at = Some(due);
        }
        Action::Handled => {
            let due = s
                .task_due
                .ok_or_else(|| StoreError::Db("a verification task needs a deadline".into()))?;
            let task = TaskId::new();
            tx.execute(
                "INSERT INTO tasks (id, report_id, kind, assignee, created_at, due_at)
                 VALUES (?1, ?2, 'verify', ?3, ?4, ?5)",
                params![task.to_string(), id, reporter.to_string(), s.at, due],
            )
            .map_err(db)?;
            touches.push(task_touch(task, reporter));
            due_at = Some(due);
        }
        Action::Verify { passed } => {
            let open: Vec<(String, String)> = tx
                .prepare("SELECT id, assignee FROM tasks WHERE report_id = ?1 AND done_at IS NULL")
                .map_err(db)?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            if let Some(done) = &s.task {
                let Some((_, assignee)) = open.iter().find(|(t, _)| *t == done.id.to_string())
                else {
                    return Ok(Stepped::Refused(format!(
                        "task {} is not open for report {}",
                        done.id, s.report
                    )));
                };
                if s.by.user.map(|u| u.to_string()).as_ref() != Some(assignee) {
                    return Ok(Stepped::Refused(format!(
                        "task {} was given to another inspector",
                        done.id
                    )));
                }
                for p in &done.photos {
                    tx.execute(
                        "INSERT INTO task_photos (task_id, photo_id, report_id, device_id, sha256,
                                                  bytes, arrived)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                                 EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = ?5))
                         ON CONFLICT (task_id, photo_id) DO NOTHING",
                        params![
                            done.id.to_string(),
                            p.id.to_string(),
                            id,
                            s.by.device.map(|d| d.to_string()),
                            p.sha256,
                            p.bytes
                        ],
                    )
                    .map_err(db)?;
                }
            }
            tx.execute(
                "UPDATE tasks SET done_at = ?2, passed = ?3, note = ?4, photos = ?5, by_device = ?6
                  WHERE report_id = ?1 AND done_at IS NULL",
                params![
                    id,
                    s.at,
                    passed,
                    s.task.as_ref().and_then(|t| t.note.clone()),
                    json(
                        &s.task
                            .as_ref()
                            .map(|t| t.photos.clone())
                            .unwrap_or_default()
                    ),
                    s.by.device.map(|d| d.to_string()),
                ],
            )
            .map_err(db)?;
            for (task, assignee) in open {
                touches.push(task_touch(
                    task.parse().map_err(db)?,
                    assignee.parse().map_err(db)?,
                ));
            }
            if *passed {
                tx.execute(
                    "UPDATE cases SET closed_at = ?2 WHERE report_id = ?1",
                    params![id, s.at],
                )
                .map_err(db)?;
            } else {
                let due = s
                    .due_at
                    .ok_or_else(|| StoreError::Db("rework needs a deadline".into()))?;
                tx.execute(
                    "UPDATE cases SET reworks = reworks + 1, due_at = ?2 WHERE report_id = ?1",
                    params![id, due],
                )
                .map_err(db)?;
                due_at = Some(due);
            }
            text = s.task.as_ref().and_then(|t| t.note.clone());
        }
        Action::PhotosComplete | Action::Resubmit => {}
    }
    tx.execute(
        "UPDATE reports SET state = ?2, state_at = ?3, note = COALESCE(?4, note) WHERE id = ?1",
        params![id, to.as_str(), s.at, note],
    )
    .map_err(db)?;
    event(
        tx,
        s.report,
        s.action.name(),
        state.as_str(),
        to.as_str(),
        s.by,
        text.as_deref(),
        due_at,
        s.at,
    )?;
    let case_no: Option<String> = tx
        .query_row(
            "SELECT case_no FROM cases WHERE report_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    Ok(Stepped::Done { state: to, case_no })
}

fn task_touch(task: TaskId, assignee: UserId) -> Touch {
    Touch {
        kind: FeedKind::Task,
        entity: task.to_string(),
        user: Some(assignee),
        cell: None,
        tombstone: false,
    }
}

const EVENT_COLUMNS: &str = "e.action, e.from_state, e.to_state, e.by_user, u.name, e.by_device,
    e.text, e.due_at, e.at, e.report_id";

fn read_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<(String, CaseEvent)>> {
    let (action, from, to): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
    let (by_user, by_name, by_device): (Option<String>, Option<String>, Option<String>) =
        (r.get(3)?, r.get(4)?, r.get(5)?);
    let (text, due_at, at, report) = (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?);
    Ok((|| {
        Ok((
            report,
            CaseEvent {
                action,
                from: from.parse().map_err(db)?,
                to: to.parse().map_err(db)?,
                by_user: by_user.map(|u| u.parse().map_err(db)).transpose()?,
                by_name,
                by_device: by_device.map(|d| d.parse().map_err(db)).transpose()?,
                text,
                due_at,
                at,
            },
        ))
    })())
}

pub(super) fn case_events(c: &Connection, id: ReportId) -> StoreResult<Vec<CaseEvent>> {
    c.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM case_events e LEFT JOIN users u ON u.id = e.by_user
          WHERE e.report_id = ?1 ORDER BY e.id"
    ))
    .map_err(db)?
    .query_map([id.to_string()], read_event)
    .map_err(db)?
    .map(|r| r.map_err(db)?.map(|(_, e)| e))
    .collect()
}

const TASK_COLUMNS: &str = "t.id, t.kind, t.report_id, c.case_no, t.assignee, t.created_at,
    t.due_at, t.done_at, t.passed, t.note, t.photos, t.by_device";

fn read_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<Task>> {
    let (id, kind, report, case_no, assignee): (String, String, String, Option<String>, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let (created_at, due_at, done_at, passed, note) =
        (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?);
    let (photos, by_device): (String, Option<String>) = (r.get(10)?, r.get(11)?);
    Ok((|| {
        Ok(Task {
            id: id.parse().map_err(db)?,
            kind: match kind.as_str() {
                "verify" => TaskKind::Verify,
                other => return Err(StoreError::Db(format!("unknown task kind {other:?}"))),
            },
            report: report.parse().map_err(db)?,
            case_no: case_no.unwrap_or_default(),
            assignee: assignee.parse().map_err(db)?,
            created_at,
            due_at,
            done_at,
            passed,
            note,
            photos: parse(&photos)?,
            by_device: by_device.map(|d| d.parse().map_err(db)).transpose()?,
        })
    })())
}

fn tasks_where(c: &Connection, clause: &str, arg: String) -> StoreResult<Vec<Task>> {
    c.prepare(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks t LEFT JOIN cases c ON c.report_id = t.report_id
          WHERE {clause} ORDER BY t.created_at, t.id"
    ))
    .map_err(db)?
    .query_map([arg], read_task)
    .map_err(db)?
    .map(|r| r.map_err(db)?)
    .collect()
}

pub(super) fn report_tasks(c: &Connection, id: ReportId) -> StoreResult<Vec<Task>> {
    tasks_where(c, "t.report_id = ?1", id.to_string())
}

pub(super) fn task(c: &Connection, id: TaskId) -> StoreResult<Option<Task>> {
    Ok(tasks_where(c, "t.id = ?1", id.to_string())?.pop())
}

pub(super) fn case_facts(
    c: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<CaseFacts>> {
    let mut facts: Vec<CaseFacts> = c
        .prepare(
            "SELECT r.id, r.reporter, u.name, u.team, r.cell, r.received_at, r.state
               FROM reports r JOIN users u ON u.id = r.reporter
              WHERE r.deleted_at IS NULL AND r.received_at >= ?1 AND r.received_at < ?2
              ORDER BY r.received_at, r.id",
        )
        .map_err(db)?
        .query_map(params![from, to], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, DateTime<Utc>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .map_err(db)?
        .map(|row| {
            let (id, reporter, reporter_name, team, cell, received_at, state) = row.map_err(db)?;
            Ok(CaseFacts {
                report: id.parse().map_err(db)?,
                reporter: reporter.parse().map_err(db)?,
                reporter_name,
                team,
                cell: cell.map(|c| c.parse().map_err(db)).transpose()?,
                received_at,
                state: state.parse().map_err(db)?,
                events: Vec::new(),
                tasks: Vec::new(),
            })
        })
        .collect::<StoreResult<_>>()?;
    let index: std::collections::HashMap<String, usize> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.report.to_string(), i))
        .collect();
    let events = c
        .prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM case_events e LEFT JOIN users u ON u.id = e.by_user
               JOIN reports r ON r.id = e.report_id
              WHERE r.deleted_at IS NULL AND r.received_at >= ?1 AND r.received_at < ?2
              ORDER BY e.id"
        ))
        .map_err(db)?
        .query_map(params![from, to], read_event)
        .map_err(db)?
        .map(|r| r.map_err(db)?)
        .collect::<StoreResult<Vec<_>>>()?;
    for (report, e) in events {
        if let Some(&i) = index.get(&report) {
            facts[i].events.push(e);
        }
    }
    let tasks = c
        .prepare(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t LEFT JOIN cases c ON c.report_id = t.report_id
               JOIN reports r ON r.id = t.report_id
              WHERE r.deleted_at IS NULL AND r.received_at >= ?1 AND r.received_at < ?2
              ORDER BY t.created_at, t.id"
        ))
        .map_err(db)?
        .query_map(params![from, to], read_task)
        .map_err(db)?
        .map(|r| r.map_err(db)?)
        .collect::<StoreResult<Vec<_>>>()?;
    for t in tasks {
        if let Some(&i) = index.get(&t.report.to_string()) {
            facts[i].tasks.push(t);
        }
    }
    Ok(facts)
}
