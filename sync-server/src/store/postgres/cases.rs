//! The case loop on PostgreSQL: steps, their events, tasks, and the facts the evaluation
//! counts (the same rules as the SQLite store's `cases`).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use gridwalk_protocol::console::{CaseEvent, Task, TaskKind};
use gridwalk_protocol::{CaseState, DeviceId, ReportId, TaskId, UserId};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{db, json, u64_of, write_feed};
use crate::cases::{self, Action};
use crate::store::{Author, CaseFacts, FeedKind, Step, Stepped, StoreError, StoreResult, Touch};

/// Records one step of the loop in the audit trail.
#[allow(clippy::too_many_arguments)]
pub(super) async fn event(
    tx: &deadpool_postgres::Transaction<'_>,
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            report.as_uuid(),
            &action,
            &from,
            &to,
            &by.user.map(|u| *u.as_uuid()),
            &by.device.map(|d| *d.as_uuid()),
            &text,
            &due_at,
            &at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// The next case number of a local day: `20261121-0001`, `20261121-0002`, …
async fn next_case_no(tx: &deadpool_postgres::Transaction<'_>, day: &str) -> StoreResult<String> {
    let n: i64 = tx
        .query_one(
            "INSERT INTO case_numbers (day, last) VALUES ($1, 1)
             ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
            &[&day],
        )
        .await
        .map_err(db)?
        .get(0);
    Ok(cases::case_number(day, u64_of(n)))
}

/// Applies one step of the loop in one transaction, with the report's row locked (and, for
/// a merge, the target's too).
pub(super) async fn step(client: &mut deadpool_postgres::Client, s: &Step) -> StoreResult<Stepped> {
    let tx = client.transaction().await.map_err(db)?;
    let mut touches = Vec::new();
    let stepped = step_in(&tx, s, &mut touches).await?;
    if let Stepped::Done { .. } = stepped {
        // Last before commit: the feed's numbers are held only while committing.
        write_feed(&tx, touches, s.at).await?;
        tx.commit().await.map_err(db)?;
    }
    Ok(stepped)
}

/// Applies a step inside the caller's transaction (a console action's own, or a device's
/// push); the feed touches are the caller's to write.
pub(super) async fn step_in(
    tx: &deadpool_postgres::Transaction<'_>,
    s: &Step,
    touches: &mut Vec<Touch>,
) -> StoreResult<Stepped> {
    let id = *s.report.as_uuid();
    // A merge reads its target as well: both rows are locked, in ID order, so two reports
    // being merged into each other at once cannot deadlock.
    let mut lock = vec![id];
    if let Action::Merge { into } = &s.action {
        lock.push(*into.as_uuid());
    }
    let locked = tx
        .query(
            "SELECT id, state, reporter, deleted_at IS NOT NULL FROM reports
              WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&lock],
        )
        .await
        .map_err(db)?;
    let Some(held) = locked.iter().find(|r| r.get::<_, Uuid>(0) == id) else {
        return Err(StoreError::NotFound(format!("report {}", s.report)));
    };
    let state: CaseState = held.get::<_, &str>(1).parse().map_err(db)?;
    let reporter = UserId::try_from(held.get::<_, Uuid>(2)).map_err(db)?;
    if held.get::<_, bool>(3) {
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
            let case_no = next_case_no(tx, &s.day).await?;
            tx.execute(
                "INSERT INTO cases (report_id, case_no, registered_at) VALUES ($1, $2, $3)",
                &[&id, &case_no, &s.at],
            )
            .await
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
            let target = tx
                .query_opt(
                    "SELECT state, deleted_at IS NOT NULL,
                            (SELECT case_no FROM cases WHERE report_id = reports.id)
                       FROM reports WHERE id = $1",
                    &[into.as_uuid()],
                )
                .await
                .map_err(db)?
                .map(|r| {
                    let state: CaseState = r.get::<_, &str>(0).parse().map_err(db)?;
                    Ok::<_, StoreError>((state, r.get::<_, bool>(1), r.get::<_, Option<String>>(2)))
                })
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
                "UPDATE reports SET merged_into = $2 WHERE id = $1",
                &[&id, into.as_uuid()],
            )
            .await
            .map_err(db)?;
            note = Some(format!("merged into {label}"));
            text = Some(into.to_string());
        }
        Action::Dispatch { department } => {
            let due = s
                .due_at
                .ok_or_else(|| StoreError::Db("a dispatch needs a deadline".into()))?;
            tx.execute(
                "UPDATE cases SET department = $2, due_at = $3 WHERE report_id = $1",
                &[&id, &department.trim(), &due],
            )
            .await
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
                 VALUES ($1, $2, 'verify', $3, $4, $5)",
                &[task.as_uuid(), &id, reporter.as_uuid(), &s.at, &due],
            )
            .await
            .map_err(db)?;
            touches.push(task_touch(task, reporter));
            due_at = Some(due);
        }
        Action::Verify { passed } => {
            let open: Vec<(Uuid, Uuid)> = tx
                .query(
                    "SELECT id, assignee FROM tasks WHERE report_id = $1 AND done_at IS NULL
                      ORDER BY created_at, id",
                    &[&id],
                )
                .await
                .map_err(db)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if let Some(done) = &s.task {
                let Some((_, assignee)) = open.iter().find(|(t, _)| t == done.id.as_uuid()) else {
                    return Ok(Stepped::Refused(format!(
                        "task {} is not open for report {}",
                        done.id, s.report
                    )));
                };
                if s.by.user.map(|u| *u.as_uuid()) != Some(*assignee) {
                    return Ok(Stepped::Refused(format!(
                        "task {} was given to another inspector",
                        done.id
                    )));
                }
                for p in &done.photos {
                    tx.execute(
                        "INSERT INTO task_photos (task_id, photo_id, report_id, device_id, sha256,
                                                  bytes, arrived)
                         VALUES ($1, $2, $3, $4, $5, $6,
                                 EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = $5))
                         ON CONFLICT (task_id, photo_id) DO NOTHING",
                        &[
                            done.id.as_uuid(),
                            p.id.as_uuid(),
                            &id,
                            &s.by.device.map(|d| *d.as_uuid()),
                            &p.sha256,
                            &i64::try_from(p.bytes).map_err(db)?,
                        ],
                    )
                    .await
                    .map_err(db)?;
                }
            }
            tx.execute(
                "UPDATE tasks SET done_at = $2, passed = $3, note = $4, photos = $5,
                        by_device = $6
                  WHERE report_id = $1 AND done_at IS NULL",
                &[
                    &id,
                    &s.at,
                    passed,
                    &s.task.as_ref().and_then(|t| t.note.clone()),
                    &json(
                        &s.task
                            .as_ref()
                            .map(|t| t.photos.clone())
                            .unwrap_or_default(),
                    )?,
                    &s.by.device.map(|d| *d.as_uuid()),
                ],
            )
            .await
            .map_err(db)?;
            for (task, assignee) in open {
                touches.push(task_touch(
                    TaskId::try_from(task).map_err(db)?,
                    UserId::try_from(assignee).map_err(db)?,
                ));
            }
            if *passed {
                tx.execute(
                    "UPDATE cases SET closed_at = $2 WHERE report_id = $1",
                    &[&id, &s.at],
                )
                .await
                .map_err(db)?;
            } else {
                let due = s
                    .due_at
                    .ok_or_else(|| StoreError::Db("rework needs a deadline".into()))?;
                tx.execute(
                    "UPDATE cases SET reworks = reworks + 1, due_at = $2 WHERE report_id = $1",
                    &[&id, &due],
                )
                .await
                .map_err(db)?;
                due_at = Some(due);
            }
            text = s.task.as_ref().and_then(|t| t.note.clone());
        }
        Action::PhotosComplete | Action::Resubmit => {}
    }
    tx.execute(
        "UPDATE reports SET state = $2, state_at = $3, note = COALESCE($4, note) WHERE id = $1",
        &[&id, &to.as_str(), &s.at, &note],
    )
    .await
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
    )
    .await?;
    let case_no: Option<String> = tx
        .query_opt("SELECT case_no FROM cases WHERE report_id = $1", &[&id])
        .await
        .map_err(db)?
        .map(|r| r.get(0));
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

/// A case event, with the report it is about.
fn event_from(r: &Row) -> StoreResult<(Uuid, CaseEvent)> {
    Ok((
        r.get(9),
        CaseEvent {
            action: r.get(0),
            from: r.get::<_, &str>(1).parse().map_err(db)?,
            to: r.get::<_, &str>(2).parse().map_err(db)?,
            by_user: r
                .get::<_, Option<Uuid>>(3)
                .map(UserId::try_from)
                .transpose()
                .map_err(db)?,
            by_name: r.get(4),
            by_device: r
                .get::<_, Option<Uuid>>(5)
                .map(DeviceId::try_from)
                .transpose()
                .map_err(db)?,
            text: r.get(6),
            due_at: r.get(7),
            at: r.get(8),
        },
    ))
}

pub(super) async fn case_events(
    c: &impl GenericClient,
    id: ReportId,
) -> StoreResult<Vec<CaseEvent>> {
    c.query(
        &format!(
            "SELECT {EVENT_COLUMNS} FROM case_events e LEFT JOIN users u ON u.id = e.by_user
              WHERE e.report_id = $1 ORDER BY e.id"
        ),
        &[id.as_uuid()],
    )
    .await
    .map_err(db)?
    .iter()
    .map(|r| Ok(event_from(r)?.1))
    .collect()
}

const TASK_COLUMNS: &str = "t.id, t.kind, t.report_id, c.case_no, t.assignee, t.created_at,
    t.due_at, t.done_at, t.passed, t.note, t.photos, t.by_device";

fn task_from(r: &Row) -> StoreResult<Task> {
    Ok(Task {
        id: TaskId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
        kind: match r.get::<_, &str>(1) {
            "verify" => TaskKind::Verify,
            other => return Err(StoreError::Db(format!("unknown task kind {other:?}"))),
        },
        report: ReportId::try_from(r.get::<_, Uuid>(2)).map_err(db)?,
        case_no: r.get::<_, Option<String>>(3).unwrap_or_default(),
        assignee: UserId::try_from(r.get::<_, Uuid>(4)).map_err(db)?,
        created_at: r.get(5),
        due_at: r.get(6),
        done_at: r.get(7),
        passed: r.get(8),
        note: r.get(9),
        photos: serde_json::from_value(r.get(10)).map_err(db)?,
        by_device: r
            .get::<_, Option<Uuid>>(11)
            .map(DeviceId::try_from)
            .transpose()
            .map_err(db)?,
    })
}

async fn tasks_where(
    c: &impl GenericClient,
    clause: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Task>> {
    c.query(
        &format!(
            "SELECT {TASK_COLUMNS} FROM tasks t LEFT JOIN cases c ON c.report_id = t.report_id
              WHERE {clause} ORDER BY t.created_at, t.id"
        ),
        params,
    )
    .await
    .map_err(db)?
    .iter()
    .map(task_from)
    .collect()
}

pub(super) async fn report_tasks(c: &impl GenericClient, id: ReportId) -> StoreResult<Vec<Task>> {
    tasks_where(c, "t.report_id = $1", &[id.as_uuid()]).await
}

pub(super) async fn task(c: &impl GenericClient, id: TaskId) -> StoreResult<Option<Task>> {
    Ok(tasks_where(c, "t.id = $1", &[id.as_uuid()]).await?.pop())
}

/// The facts of the reports received in `from..to`, read in one snapshot.
pub(super) async fn case_facts(
    client: &mut deadpool_postgres::Client,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<CaseFacts>> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db)?;
    let mut facts: Vec<CaseFacts> = tx
        .query(
            "SELECT r.id, r.reporter, u.name, u.team, r.cell, r.received_at, r.state
               FROM reports r JOIN users u ON u.id = r.reporter
              WHERE r.deleted_at IS NULL AND r.received_at >= $1 AND r.received_at < $2
              ORDER BY r.received_at, r.id",
            &[&from, &to],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(CaseFacts {
                report: ReportId::try_from(r.get::<_, Uuid>(0)).map_err(db)?,
                reporter: UserId::try_from(r.get::<_, Uuid>(1)).map_err(db)?,
                reporter_name: r.get(2),
                team: r.get(3),
                cell: r
                    .get::<_, Option<&str>>(4)
                    .map(|c| c.parse().map_err(db))
                    .transpose()?,
                received_at: r.get(5),
                state: r.get::<_, &str>(6).parse().map_err(db)?,
                events: Vec::new(),
                tasks: Vec::new(),
            })
        })
        .collect::<StoreResult<_>>()?;
    let index: std::collections::HashMap<Uuid, usize> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| (*f.report.as_uuid(), i))
        .collect();
    let events = tx
        .query(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM case_events e LEFT JOIN users u ON u.id = e.by_user
                   JOIN reports r ON r.id = e.report_id
                  WHERE r.deleted_at IS NULL AND r.received_at >= $1 AND r.received_at < $2
                  ORDER BY e.id"
            ),
            &[&from, &to],
        )
        .await
        .map_err(db)?;
    for row in &events {
        let (report, e) = event_from(row)?;
        if let Some(&i) = index.get(&report) {
            facts[i].events.push(e);
        }
    }
    let tasks = tx
        .query(
            &format!(
                "SELECT {TASK_COLUMNS} FROM tasks t LEFT JOIN cases c ON c.report_id = t.report_id
                   JOIN reports r ON r.id = t.report_id
                  WHERE r.deleted_at IS NULL AND r.received_at >= $1 AND r.received_at < $2
                  ORDER BY t.created_at, t.id"
            ),
            &[&from, &to],
        )
        .await
        .map_err(db)?;
    for row in &tasks {
        let t = task_from(row)?;
        if let Some(&i) = index.get(t.report.as_uuid()) {
            facts[i].tasks.push(t);
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(facts)
}
