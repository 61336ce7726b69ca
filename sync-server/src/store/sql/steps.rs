//! The case loop in SQL both databases run: a step locks its report, loads a
//! [`StepSnapshot`], asks [`cases::plan_step`], and writes what the plan says; a case event
//! records every change of state, whoever makes it.

use chrono::{DateTime, Utc};
use gridwalk_protocol::message::msg;
use std::collections::HashSet;
use uuid::Uuid;

use gridwalk_protocol::{CaseState, ReportId, UserId};

use super::chain::{link_event, reseal, signature_of};
use super::reports::store_version;
use super::{Sql, Ty, Value, params};
use crate::domain::cases::{
    self, Action, CaseChange, HeldCase, MergeTarget, NewEvent, StepPlan, StepRequest, StepSnapshot,
    Stepped,
};
use crate::domain::chain::{CHAIN_FORM, EventFacts};
use crate::domain::duplicates::Linked;
use crate::domain::model::Touch;
use crate::domain::place::ClaimChange;
use crate::domain::reference::Reference;
use crate::domain::uploads;
use crate::store::{StoreError, StoreResult};

/// Writes one step of the audit trail.
/// Writes one step of the audit trail, linked to its report's events chain; the caller
/// holds the report's row lock and re-seals the row after.
pub(crate) async fn insert_event(
    tx: &mut dyn Sql,
    report: ReportId,
    e: &NewEvent,
) -> StoreResult<()> {
    let signature = signature_of(tx, e.by.device, e.by.mutation).await?;
    let facts = EventFacts {
        report,
        action: e.action.to_owned(),
        from: e.from.as_str().to_owned(),
        to: e.to.as_str().to_owned(),
        by_user: e.by.user,
        by_device: e.by.device,
        text: e.text.clone(),
        due_at: e.due_at,
        mutation: e
            .by
            .mutation
            .map(i64::try_from)
            .transpose()
            .map_err(|_| StoreError::Invalid(msg!(VALUE_TOO_LARGE, n = "mutation")))?,
        signature: signature.clone(),
        at: e.at,
        form: CHAIN_FORM,
    };
    let (prev, hash) = link_event(tx, &facts).await?;
    tx.execute(
        "INSERT INTO case_events (report_id, action, from_state, to_state, by_user, by_device,
                                  text, due_at, at, mutation_id, prev_hash, hash, signature,
                                  chain_form, step_due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        params![
            report,
            e.action,
            e.from,
            e.to,
            e.by.user,
            e.by.device,
            e.text.clone(),
            e.due_at,
            e.at,
            e.by.mutation,
            prev,
            hash,
            signature,
            CHAIN_FORM,
            e.step_due
        ],
    )
    .await?;
    // A port hears of every step of its reports.
    super::ports::queue_delivery(tx, report, e.action, e.from, e.to, e.text.as_deref(), e.at).await
}

/// Moves a report to `to`, stamping when, with its event, and re-seals it.
pub(crate) async fn move_report(
    tx: &mut dyn Sql,
    report: ReportId,
    to: CaseState,
    event: &NewEvent,
) -> StoreResult<()> {
    // The step it waits on now is due when the event says (a review's 受理时限), or is
    // no one's (waiting for photos from the device).
    tx.execute(
        "UPDATE reports SET state = $2, state_at = $3, step_due_at = $4 WHERE id = $1",
        params![report, to, event.at, event.step_due],
    )
    .await?;
    insert_event(tx, report, event).await?;
    reseal(tx, report).await
}

/// Makes `user`'s [`uploads::console_device`] the first time it is needed: the credential a
/// person (or the server on an account's behalf, as for the 随手拍 page) uploads photos with
/// from a browser, reached through a session and never by a bearer token.
pub(super) async fn console_device(
    tx: &mut dyn Sql,
    user: UserId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO devices (id, user_id, token_sha256, enrolled_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING",
        params![
            uploads::console_device(user),
            user,
            uploads::console_device_marker(user),
            at
        ],
    )
    .await?;
    Ok(())
}

/// A department's after-photos at 处置完成, declared by the person acting, whose browser
/// uploads them over tus with its own credential ([`uploads::console_device`], made here
/// the first time).
async fn write_case_photos(
    tx: &mut dyn Sql,
    id: ReportId,
    photos: &[gridwalk_protocol::PhotoRef],
    req: &StepRequest,
) -> StoreResult<()> {
    let Some(user) = req.by.user else {
        return Ok(());
    };
    console_device(tx, user, req.at).await?;
    let device = uploads::console_device(user);
    let held = held_photos(
        tx,
        photos.iter().map(|p| p.sha256.clone()).collect(),
        Some(user),
    )
    .await?;
    let rows = photos
        .iter()
        .map(|p| {
            vec![
                Value::from(id),
                Value::from(p.id),
                Value::from(device),
                Value::from(user),
                Value::from(&p.sha256),
                Value::from(p.bytes),
                Value::from(p.width),
                Value::from(p.height),
                Value::from(p.taken_at),
                Value::from(held.contains(&p.sha256)),
                Value::from(req.at),
            ]
        })
        .collect();
    tx.insert_many(
        "case_photos",
        &[
            ("report_id", Ty::Uuid),
            ("photo_id", Ty::Uuid),
            ("device_id", Ty::Uuid),
            ("by_user", Ty::Uuid),
            ("sha256", Ty::Text),
            ("bytes", Ty::Int),
            ("width", Ty::Int),
            ("height", Ty::Int),
            ("taken_at", Ty::Time),
            ("arrived", Ty::Bool),
            ("created_at", Ty::Time),
        ],
        rows,
        "ON CONFLICT (report_id, photo_id) DO NOTHING",
    )
    .await?;
    Ok(())
}

/// The SHA-256s among `shas` whose photo the centre holds.
pub(crate) async fn held_photos(
    tx: &mut dyn Sql,
    list: Vec<String>,
    holder: Option<UserId>,
) -> StoreResult<HashSet<String>> {
    let Some(holder) = holder else {
        return Ok(HashSet::new());
    };
    if list.is_empty() {
        return Ok(HashSet::new());
    }
    let any = (tx.dialect().any)("sha256", 1);
    tx.query(
        &format!("SELECT sha256 FROM photo_holders WHERE {any} AND user_id = $2"),
        vec![Value::list(list), Value::from(holder)],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect()
}

async fn snapshot(tx: &mut dyn Sql, req: &StepRequest) -> StoreResult<Option<StepSnapshot>> {
    // A merge reads its target too: both rows are locked, in ID order, so two reports being
    // merged into each other at once are decided one after the other, and cannot deadlock.
    if let Action::Merge { into } = &req.action {
        let any = (tx.dialect().any)("id", 1);
        tx.query(
            &format!(
                "SELECT id FROM reports WHERE {any} ORDER BY id{lock}",
                lock = tx.dialect().lock
            ),
            vec![Value::list([req.report, *into])],
        )
        .await?;
    }
    let Some(row) = tx
        .opt(
            &format!(
                "SELECT state, record, deleted_at IS NOT NULL,
                        (SELECT case_no FROM cases WHERE cases.report_id = reports.id),
                        version, duplicate_of
                   FROM reports WHERE id = $1{lock}",
                lock = tx.dialect().lock
            ),
            params![req.report],
        )
        .await?
    else {
        return Ok(None);
    };
    let merge_target = match &req.action {
        Action::Merge { into } => tx
            .opt(
                "SELECT r.state, r.deleted_at IS NOT NULL,
                        (SELECT case_no FROM cases WHERE cases.report_id = r.id),
                        r.record, u.name
                   FROM reports r JOIN users u ON u.id = r.reporter WHERE r.id = $1",
                params![*into],
            )
            .await?
            .map(|t| {
                Ok::<_, StoreError>(MergeTarget {
                    state: t.get(0)?,
                    deleted: t.get(1)?,
                    case_no: t.get(2)?,
                    record: t.json(3)?,
                    reporter_name: t.get(4)?,
                })
            })
            .transpose()?,
        _ => None,
    };
    let open_tasks = match &req.action {
        Action::Verify { .. }
        | Action::Check { .. }
        | Action::Void { .. }
        | Action::CloseSpecial { .. } => tx
            .query(
                "SELECT id, assignee FROM tasks WHERE report_id = $1 AND done_at IS NULL
                  ORDER BY created_at, id",
                params![req.report],
            )
            .await?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<StoreResult<_>>()?,
        _ => Vec::new(),
    };
    let duplicate_of: Option<ReportId> = row.get(5)?;
    let linked = match &req.action {
        Action::Approve(_) => linked_duplicates(tx, req.report, duplicate_of, req.by.user).await?,
        _ => Vec::new(),
    };
    let case = held_case(tx, req.report).await?;
    Ok(Some(StepSnapshot {
        case,
        state: row.get(0)?,
        record: row.json(1)?,
        deleted: row.get(2)?,
        case_no: row.get(3)?,
        version: row.get(4)?,
        duplicate_of,
        linked,
        merge_target,
        open_tasks,
    }))
}

/// The case row of a registered report, with its extension request waiting, if any.
async fn held_case(tx: &mut dyn Sql, id: ReportId) -> StoreResult<Option<HeldCase>> {
    let Some(row) = tx
        .opt(
            "SELECT department, due_at, handled_at, suspended_from, suspended_at,
                    (SELECT hours FROM extensions x
                      WHERE x.report_id = cases.report_id AND x.decided_at IS NULL),
                    (SELECT t.assignee FROM tasks t
                      WHERE t.report_id = cases.report_id AND t.kind = 'check' AND t.passed
                      ORDER BY t.done_at DESC LIMIT 1)
               FROM cases WHERE report_id = $1",
            params![id],
        )
        .await?
    else {
        return Ok(None);
    };
    let from: Option<CaseState> = row.get(3)?;
    let at: Option<DateTime<Utc>> = row.get(4)?;
    let hours: Option<i64> = row.get(5)?;
    Ok(Some(HeldCase {
        department: row.get(0)?,
        due_at: row.get(1)?,
        handled_at: row.get(2)?,
        suspended: from.zip(at),
        extension_hours: hours
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Corrupt("an extension's hours are out of range".into()))?,
        checked_by: row.get(6)?,
    }))
}

/// The reports linked to `id` by the likely-duplicate mark, either way (the one it is
/// marked a duplicate of, `duplicate_of`, and those marked duplicates of it), not removed,
/// that the person registering it (`by`) may see: an operator every one, a team leader
/// their team's. A warning names the other report, so one out of the person's reach is not
/// warned of (as the report's page does not list it); the operator, who sees both, is.
async fn linked_duplicates(
    tx: &mut dyn Sql,
    id: ReportId,
    duplicate_of: Option<ReportId>,
    by: Option<UserId>,
) -> StoreResult<Vec<Linked>> {
    tx.query(
        "SELECT r.record, r.state, r.duplicate_of,
                (SELECT case_no FROM cases WHERE cases.report_id = r.id), u.name
           FROM reports r JOIN users u ON u.id = r.reporter
          WHERE r.deleted_at IS NULL AND r.id <> $1 AND (r.id = $2 OR r.duplicate_of = $1)
            AND EXISTS (SELECT 1 FROM users a WHERE a.id = $3
                         AND (a.role = 'operator' OR a.team = u.team))
          ORDER BY r.observed_at, r.id",
        params![id, duplicate_of, by],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Linked {
            record: r.json(0)?,
            state: r.get(1)?,
            duplicate_of: r.get(2)?,
            case_no: r.get(3)?,
            reporter_name: r.get(4)?,
        })
    })
    .collect()
}

/// Writes what a step does to the case row (and its extension requests).
async fn write_case(
    tx: &mut dyn Sql,
    id: ReportId,
    change: &CaseChange,
    req: &StepRequest,
) -> StoreResult<()> {
    // A case that leaves its department, is handled or is suspended takes the request for
    // more time with it: only a case in the department's hands has a deadline to extend.
    let withdraw = matches!(
        change,
        CaseChange::Dispatch { .. }
            | CaseChange::Undispatch
            | CaseChange::Handled { .. }
            | CaseChange::Suspend { .. }
            | CaseChange::Void { .. }
            | CaseChange::Close { .. }
    );
    if withdraw {
        tx.execute(
            "UPDATE extensions SET decided_at = $2 WHERE report_id = $1 AND decided_at IS NULL",
            params![id, req.at],
        )
        .await?;
    }
    let (sql, values) = match change {
        CaseChange::Dispatch { department, due_at } => (
            "UPDATE cases SET department = $2, due_at = $3, accepted_at = NULL
              WHERE report_id = $1",
            params![id, department, *due_at],
        ),
        CaseChange::Accept { at } => (
            "UPDATE cases SET accepted_at = $2 WHERE report_id = $1",
            params![id, *at],
        ),
        CaseChange::Handled { at } => (
            "UPDATE cases SET handled_at = $2 WHERE report_id = $1",
            params![id, *at],
        ),
        CaseChange::Undispatch => (
            "UPDATE cases SET department = NULL, due_at = NULL, accepted_at = NULL,
                              handled_at = NULL
              WHERE report_id = $1",
            params![id],
        ),
        CaseChange::Close { at, closure } => (
            "UPDATE cases SET closed_at = $2, closure = $3 WHERE report_id = $1",
            params![id, *at, closure.as_str()],
        ),
        CaseChange::Rework { due_at } => (
            "UPDATE cases SET reworks = reworks + 1, due_at = $2 WHERE report_id = $1",
            params![id, *due_at],
        ),
        CaseChange::Suspend { from, at, until } => (
            "UPDATE cases SET suspended_from = $2, suspended_at = $3, resume_on = $4
              WHERE report_id = $1",
            params![id, *from, *at, until.to_string()],
        ),
        CaseChange::Resume { due_at } => (
            "UPDATE cases SET suspended_from = NULL, suspended_at = NULL, resume_on = NULL,
                              due_at = $2
              WHERE report_id = $1",
            params![id, *due_at],
        ),
        CaseChange::RequestExtension { hours, reason } => (
            "INSERT INTO extensions (id, report_id, hours, reason, requested_by, requested_at,
                                     due_before)
             SELECT $2, report_id, $3, $4, $5, $6, due_at FROM cases WHERE report_id = $1",
            params![id, Uuid::now_v7(), *hours, reason, req.by.user, req.at],
        ),
        CaseChange::DecideExtension {
            approved,
            comment,
            due_at,
        } => {
            if let Some(due) = due_at {
                tx.execute(
                    "UPDATE cases SET due_at = $2 WHERE report_id = $1",
                    params![id, *due],
                )
                .await?;
            }
            (
                "UPDATE extensions SET decided_at = $2, decided_by = $3, approved = $4,
                                       comment = $5, due_after = $6
                  WHERE report_id = $1 AND decided_at IS NULL",
                params![id, req.at, req.by.user, *approved, comment.clone(), *due_at],
            )
        }
        CaseChange::Void { at } => (
            "UPDATE cases SET voided_at = $2 WHERE report_id = $1",
            params![id, *at],
        ),
    };
    tx.execute(sql, values).await?;
    Ok(())
}

/// Applies a step inside the caller's transaction (a console action's own, or a device's
/// push); the feed touches are the caller's to write.
pub(crate) async fn step_in(
    tx: &mut dyn Sql,
    req: &StepRequest,
    reference: &Reference,
    touches: &mut Vec<Touch>,
) -> StoreResult<Stepped> {
    // A step on a report the centre does not hold is refused in words, like any other
    // refusal: from a device's push it is that mutation's answer, and the device's queue
    // moves on (an error here would refuse the whole push, every time it is sent again).
    // A device answers every task alike; an on-site check (核实) is its own step.
    let answered;
    let req = match &req.task {
        Some(done) => {
            let kind: Option<String> = tx
                .opt(
                    "SELECT kind FROM tasks WHERE id = $1 AND report_id = $2",
                    params![done.id, req.report],
                )
                .await?
                .map(|r| r.get(0))
                .transpose()?;
            answered = cases::answering(req, kind.as_deref() == Some("check"));
            &answered
        }
        None => req,
    };
    let Some(snap) = snapshot(tx, req).await? else {
        return Ok(Stepped::Refused(msg!(NO_REPORT, id = req.report)));
    };
    let mut w = match cases::plan_step(req, &snap, reference) {
        StepPlan::Refused(why) => return Ok(Stepped::Refused(why)),
        StepPlan::Write(w) => *w,
    };
    let id = req.report;
    if let Some(c) = &w.correction {
        // The leader's version: the place does not move, so the device's claim stands.
        store_version(
            tx,
            snap.state,
            &c.record,
            &c.patch,
            ClaimChange::Keep,
            req.by,
            req.at,
            false,
            None,
            touches,
        )
        .await?;
    }
    let mut case_no = snap.case_no;
    if let Some(day) = &w.register_day {
        let n: u64 = tx
            .one(
                "INSERT INTO case_numbers (day, last) VALUES ($1, 1)
                 ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
                params![day],
            )
            .await?
            .get(0)?;
        let no = cases::case_number(day, n);
        tx.execute(
            "INSERT INTO cases (report_id, case_no, registered_at) VALUES ($1, $2, $3)",
            params![id, &no, req.at],
        )
        .await?;
        w.event.text = Some(no.clone());
        case_no = Some(no);
    }
    if let Some(change) = &w.case {
        write_case(tx, id, change, req).await?;
    }
    if let Some(into) = w.merged_into {
        tx.execute(
            "UPDATE reports SET merged_into = $2 WHERE id = $1",
            params![id, into],
        )
        .await?;
    }
    if let Some(t) = &w.open_task {
        tx.execute(
            "INSERT INTO tasks (id, report_id, kind, assignee, created_at, due_at)
             VALUES ($1, $2, 'verify', $3, $4, $5)",
            params![t.id, id, t.assignee, req.at, t.due_at],
        )
        .await?;
    }
    if !w.task_photos.is_empty() {
        let shas = w
            .task_photos
            .iter()
            .map(|(_, p)| p.sha256.clone())
            .collect();
        let held = held_photos(tx, shas, req.by.user).await?;
        let rows = w
            .task_photos
            .iter()
            .map(|(task, p)| {
                vec![
                    Value::from(*task),
                    Value::from(p.id),
                    Value::from(id),
                    Value::from(req.by.device),
                    Value::from(&p.sha256),
                    Value::from(p.bytes),
                    Value::from(held.contains(&p.sha256)),
                    Value::from(p.width),
                    Value::from(p.height),
                ]
            })
            .collect();
        tx.insert_many(
            "task_photos",
            &[
                ("task_id", Ty::Uuid),
                ("photo_id", Ty::Uuid),
                ("report_id", Ty::Uuid),
                ("device_id", Ty::Uuid),
                ("sha256", Ty::Text),
                ("bytes", Ty::Int),
                ("arrived", Ty::Bool),
                ("width", Ty::Int),
                ("height", Ty::Int),
            ],
            rows,
            "ON CONFLICT (task_id, photo_id) DO NOTHING",
        )
        .await?;
    }
    if !w.case_photos.is_empty() {
        write_case_photos(tx, id, &w.case_photos, req).await?;
    }
    if let Some(c) = &w.close_tasks {
        tx.execute(
            "UPDATE tasks SET done_at = $2, passed = $3, note = $4, photos = $5, by_device = $6
              WHERE report_id = $1 AND done_at IS NULL",
            vec![
                Value::from(id),
                Value::from(req.at),
                Value::from(c.passed),
                Value::from(c.note.clone()),
                Value::json(&c.photos)?,
                Value::from(c.by_device),
            ],
        )
        .await?;
    }
    if w.cancel_tasks {
        // Done without a verdict: the case left the loop while the inspector had it.
        tx.execute(
            "UPDATE tasks SET done_at = $2 WHERE report_id = $1 AND done_at IS NULL",
            params![id, req.at],
        )
        .await?;
    }
    tx.execute(
        "UPDATE reports SET state = $2, state_at = $3, note = COALESCE($4, note),
                            step_due_at = $5
          WHERE id = $1",
        params![id, w.to, req.at, w.note.clone(), w.step_due],
    )
    .await?;
    insert_event(tx, id, &w.event).await?;
    reseal(tx, id).await?;
    touches.append(&mut w.touches);
    Ok(Stepped::Done {
        state: w.to,
        case_no,
    })
}
