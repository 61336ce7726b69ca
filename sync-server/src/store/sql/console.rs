//! What the console reads, in SQL both databases run: reports with their surroundings,
//! versions, case events, tasks, the facts the evaluation counts, the device board,
//! intake health and conflicts.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    CaseEvent, CaseInfo, Conflict, ConsoleReport, DeviceRow, ExtensionRequest, IntakeHealth,
    MissingPhotos, Person, QueueSort, Refusal, ReportPage, StateCount, Suspension, Task, TaskKind,
    UploadProgress,
};
use gridwalk_protocol::{Outcome, PhotoId, QueueStats, ReportId, TaskId};
use uuid::Uuid;

use super::{Database, Dialect, Mode, Row, Sql, Value, params, tag, tagged, tx};
use crate::domain::evaluation;
use crate::domain::model::{Author, CaseFacts, ReportFilter, ReportVersion};
use crate::domain::queue::{self, COUNT_CAP, Cursor, QueueFlag, SortKey};
use crate::store::{ConsoleStore, StoreError, StoreResult};

const REPORT_COLUMNS: &str = "r.id, r.record, r.state, r.version, r.received_at, r.state_at, \
    r.note, r.duplicate_of, r.merged_into, r.deleted_at, \
    u.id, u.login, u.name, u.role, u.team, u.department, \
    c.case_no, c.registered_at, c.department, c.due_at, c.reworks, c.closed_at, r.claim, \
    r.step_due_at, c.accepted_at, c.handled_at, c.closure, c.suspended_from, c.suspended_at, \
    c.resume_on, c.voided_at, x.hours, x.reason, x.requested_by, x.requested_at, r.source, \
    r.caller_ref";

pub(super) const REPORT_FROM: &str = "reports r JOIN users u ON u.id = r.reporter
    LEFT JOIN cases c ON c.report_id = r.id";

/// [`REPORT_FROM`] with the extension request waiting (at most one per case): what
/// [`REPORT_COLUMNS`] reads from.
const REPORT_FULL_FROM: &str = "reports r JOIN users u ON u.id = r.reporter
    LEFT JOIN cases c ON c.report_id = r.id
    LEFT JOIN extensions x ON x.report_id = r.id AND x.decided_at IS NULL";

fn person(r: &Row, at: usize) -> StoreResult<Person> {
    Ok(Person {
        id: r.get(at)?,
        login: r.get(at + 1)?,
        name: r.get(at + 2)?,
        role: tagged(r, at + 3)?,
        team: r.get(at + 4)?,
        department: r.get(at + 5)?,
    })
}

fn console_report(r: &Row) -> StoreResult<ConsoleReport> {
    let received_at: DateTime<Utc> = r.get(4)?;
    let case = match (r.get::<Option<String>>(16)?, r.get(17)?) {
        (Some(case_no), Some(registered_at)) => Some(CaseInfo {
            case_no,
            registered_at,
            department: r.get(18)?,
            due_at: r.get(19)?,
            reworks: r.get::<Option<u32>>(20)?.unwrap_or(0),
            closed_at: r.get(21)?,
            accepted_at: r.get(24)?,
            handled_at: r.get(25)?,
            closure: r
                .get::<Option<String>>(26)?
                .map(|c| c.parse())
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("a case's closure: {e}")))?,
            suspension: match (r.get(27)?, r.get(28)?, r.get::<Option<String>>(29)?) {
                (Some(from), Some(at), Some(day)) => Some(Suspension {
                    from,
                    at,
                    resume_on: day.parse().map_err(|e| {
                        StoreError::Corrupt(format!("a case's resume day {day:?}: {e}"))
                    })?,
                }),
                _ => None,
            },
            voided_at: r.get(30)?,
            extension: match (r.get::<Option<u32>>(31)?, r.get(34)?) {
                (Some(hours), Some(requested_at)) => Some(ExtensionRequest {
                    hours,
                    reason: r.get::<Option<String>>(32)?.unwrap_or_default(),
                    requested_by: r.get(33)?,
                    requested_at,
                }),
                _ => None,
            },
        }),
        _ => None,
    };
    Ok(ConsoleReport {
        report: r.json(1)?,
        state: r.get(2)?,
        version: r.get(3)?,
        received_at,
        state_at: r.get::<Option<_>>(5)?.unwrap_or(received_at),
        note: r.get(6)?,
        duplicate_of: r.get(7)?,
        merged_into: r.get(8)?,
        deleted_at: r.get(9)?,
        reporter: person(r, 10)?,
        photos_arrived: Vec::new(),
        case,
        claim: r.json_opt(22)?,
        step_due_at: r.get(23)?,
        step_left_minutes: None,
        source: r
            .get::<String>(35)?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("a report's source: {e}")))?,
        caller_ref: r.get(36)?,
    })
}

/// Console reports of `sql` (selecting [`REPORT_COLUMNS`]), with their arrived photos.
async fn console_reports(
    tx: &mut dyn Sql,
    sql: &str,
    params: Vec<Value>,
) -> StoreResult<Vec<ConsoleReport>> {
    let rows = tx.query(sql, params).await?;
    let mut out = rows
        .iter()
        .map(console_report)
        .collect::<StoreResult<Vec<_>>>()?;
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<ReportId> = rows.iter().map(|r| r.get(0)).collect::<StoreResult<_>>()?;
    let any = (tx.dialect().any)("report_id", 1);
    let mut arrived: HashMap<ReportId, Vec<PhotoId>> = HashMap::new();
    for r in tx
        .query(
            &format!(
                "SELECT report_id, photo_id FROM report_photos WHERE arrived AND {any}
                 UNION ALL
                 SELECT report_id, photo_id FROM case_photos WHERE arrived AND {any}
                  ORDER BY 1, 2"
            ),
            vec![Value::list(ids.iter().copied())],
        )
        .await?
    {
        arrived.entry(r.get(0)?).or_default().push(r.get(1)?);
    }
    for (report, id) in out.iter_mut().zip(&ids) {
        report.photos_arrived = arrived.remove(id).unwrap_or_default();
    }
    Ok(out)
}

const EVENT_COLUMNS: &str = "e.action, e.from_state, e.to_state, e.by_user, u.name, e.by_device, \
    e.text, e.due_at, e.at, e.report_id, e.step_due_at";

fn event(r: &Row) -> StoreResult<(ReportId, CaseEvent)> {
    Ok((
        r.get(9)?,
        CaseEvent {
            action: r.get(0)?,
            from: r.get(1)?,
            to: r.get(2)?,
            by_user: r.get(3)?,
            by_name: r.get(4)?,
            by_device: r.get(5)?,
            text: r.get(6)?,
            due_at: r.get(7)?,
            step_due_at: r.get(10)?,
            at: r.get(8)?,
        },
    ))
}

const TASK_COLUMNS: &str = "t.id, t.kind, t.report_id, c.case_no, t.assignee, t.created_at, \
    t.due_at, t.done_at, t.passed, t.note, t.photos, t.by_device";

fn task(r: &Row) -> StoreResult<Task> {
    Ok(Task {
        id: r.get(0)?,
        kind: match r.get::<String>(1)?.as_str() {
            "verify" => TaskKind::Verify,
            "check" => TaskKind::Check,
            other => return Err(StoreError::Corrupt(format!("unknown task kind {other:?}"))),
        },
        report: r.get(2)?,
        case_no: r.get(3)?,
        assignee: r.get(4)?,
        created_at: r.get(5)?,
        due_at: r.get(6)?,
        done_at: r.get(7)?,
        passed: r.get(8)?,
        note: r.get(9)?,
        photos: r.json(10)?,
        by_device: r.get(11)?,
    })
}

async fn tasks_where(tx: &mut dyn Sql, clause: &str, arg: Value) -> StoreResult<Vec<Task>> {
    tx.query(
        &format!(
            "SELECT {TASK_COLUMNS} FROM tasks t LEFT JOIN cases c ON c.report_id = t.report_id
              WHERE {clause} ORDER BY t.created_at, t.id"
        ),
        vec![arg],
    )
    .await?
    .iter()
    .map(task)
    .collect()
}

/// The reports the evaluation of the period `$1..$2` may count (a superset: the domain
/// decides exactly): those observed in it, and those whose case or verification task may
/// be judged in it. A case is judged at the earlier of its settling and its (latest)
/// deadline, so not before that deadline's period, nor before it was registered; a task
/// likewise with its own deadline and creation.
const FACTS_REPORTS: &str = "SELECT r.id FROM reports r
     WHERE r.deleted_at IS NULL
       AND ((r.observed_at >= $1 AND r.observed_at < $2)
            OR r.id IN (SELECT c.report_id FROM cases c
                         WHERE c.registered_at < $2 AND c.due_at >= $1
                           AND (c.closed_at IS NULL OR c.closed_at >= $1))
            OR r.id IN (SELECT t.report_id FROM tasks t
                         WHERE t.created_at < $2 AND t.due_at >= $1
                           AND (t.done_at IS NULL OR t.done_at >= $1)))";

fn conflict(r: &Row) -> StoreResult<Conflict> {
    Ok(Conflict {
        id: r.get(0)?,
        report: r.get(1)?,
        device: r.get(2)?,
        mutation: r.get(3)?,
        base_version: r.get(4)?,
        central_version: r.get(5)?,
        fields: r.json(6)?,
        opened_at: r.get(7)?,
        resolved_at: r.get(8)?,
        resolution: r.json_opt(9)?,
        resolved_by: r.get(10)?,
    })
}

async fn conflicts_where(
    tx: &mut dyn Sql,
    clause: &str,
    params: Vec<Value>,
) -> StoreResult<Vec<Conflict>> {
    tx.query(
        &format!(
            "SELECT id, report_id, device_id, mutation_id, base_version, central_version, fields,
                    opened_at, resolved_at, resolution, resolved_by
               FROM conflicts WHERE {clause} ORDER BY opened_at, id"
        ),
        params,
    )
    .await?
    .iter()
    .map(conflict)
    .collect()
}

#[async_trait]
impl<D: Database> ConsoleStore for D {
    async fn console_reports(&self, f: &ReportFilter) -> StoreResult<ReportPage> {
        let f = f.clone();
        tx!(self, Mode::Snapshot, |tx| { queue_page(tx, &f).await })
    }

    async fn change_mark(&self) -> StoreResult<u64> {
        tx!(self, Mode::Read, |tx| {
            tx.one("SELECT last_seq FROM feed_state", vec![])
                .await?
                .get(0)
        })
    }

    async fn console_reports_by_id(&self, ids: &[ReportId]) -> StoreResult<Vec<ConsoleReport>> {
        let ids = Value::list(ids.iter().copied());
        tx!(self, Mode::Snapshot, |tx| {
            let any = (tx.dialect().any)("r.id", 1);
            let sql = format!(
                "SELECT {REPORT_COLUMNS} FROM {REPORT_FULL_FROM} WHERE {any}
                  ORDER BY r.received_at, r.id"
            );
            console_reports(tx, &sql, vec![ids]).await
        })
    }

    async fn related_reports(&self, id: ReportId) -> StoreResult<Vec<ReportId>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT id FROM reports
                  WHERE id != $1 AND deleted_at IS NULL
                    AND (id = (SELECT duplicate_of FROM reports WHERE id = $1)
                         OR id = (SELECT merged_into FROM reports WHERE id = $1)
                         OR duplicate_of = $1 OR merged_into = $1
                         OR duplicate_of = (SELECT duplicate_of FROM reports WHERE id = $1))
                  ORDER BY received_at, id",
                params![id],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }

    async fn report_versions(&self, id: ReportId) -> StoreResult<Vec<ReportVersion>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT version, record, patch, by_user, by_device, mutation_id, at
                   FROM report_versions WHERE report_id = $1 ORDER BY version",
                params![id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(ReportVersion {
                    version: r.get(0)?,
                    record: r.json(1)?,
                    patch: r.json_opt(2)?,
                    by: Author {
                        user: r.get(3)?,
                        device: r.get(4)?,
                        mutation: r.get(5)?,
                    },
                    at: r.get(6)?,
                })
            })
            .collect()
        })
    }

    async fn case_events(&self, id: ReportId) -> StoreResult<Vec<CaseEvent>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM case_events e
                       LEFT JOIN users u ON u.id = e.by_user
                      WHERE e.report_id = $1 ORDER BY e.id"
                ),
                params![id],
            )
            .await?
            .iter()
            .map(|r| Ok(event(r)?.1))
            .collect()
        })
    }

    async fn report_tasks(&self, id: ReportId) -> StoreResult<Vec<Task>> {
        tx!(self, Mode::Read, |tx| {
            tasks_where(tx, "t.report_id = $1", Value::from(id)).await
        })
    }

    async fn task(&self, id: TaskId) -> StoreResult<Option<Task>> {
        tx!(self, Mode::Read, |tx| {
            Ok(tasks_where(tx, "t.id = $1", Value::from(id)).await?.pop())
        })
    }

    async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseFacts>> {
        tx!(self, Mode::Snapshot, |tx| {
            let period = params![from, to];
            let facts = tx
                .query(
                    &format!(
                        "SELECT r.id, r.reporter, u.name, u.team, r.cell, r.kind, r.category,
                                c.department, r.observed_at, r.state, r.source,
                                r.received_at, r.entry_due_at
                           FROM reports r JOIN users u ON u.id = r.reporter
                           LEFT JOIN cases c ON c.report_id = r.id
                          WHERE r.id IN ({FACTS_REPORTS})
                          ORDER BY r.observed_at, r.id"
                    ),
                    period.clone(),
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(CaseFacts {
                        report: r.get(0)?,
                        reporter: r.get(1)?,
                        reporter_name: r.get(2)?,
                        team: r.get(3)?,
                        cell: r.get(4)?,
                        kind: tagged(r, 5)?,
                        category: tagged(r, 6)?,
                        department: r.get(7)?,
                        observed_at: r.get(8)?,
                        state: r.get(9)?,
                        source: r
                            .get::<String>(10)?
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("a report's source: {e}")))?,
                        received_at: r.get(11)?,
                        entry_due: r.get(12)?,
                        events: Vec::new(),
                        tasks: Vec::new(),
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let events = tx
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM case_events e
                           LEFT JOIN users u ON u.id = e.by_user
                          WHERE e.report_id IN ({FACTS_REPORTS})
                          ORDER BY e.id"
                    ),
                    period.clone(),
                )
                .await?
                .iter()
                .map(event)
                .collect::<StoreResult<Vec<_>>>()?;
            let tasks = tx
                .query(
                    &format!(
                        "SELECT {TASK_COLUMNS} FROM tasks t
                           LEFT JOIN cases c ON c.report_id = t.report_id
                          WHERE t.report_id IN ({FACTS_REPORTS})
                          ORDER BY t.created_at, t.id"
                    ),
                    period,
                )
                .await?
                .iter()
                .map(task)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(evaluation::gather(facts, events, tasks))
        })
    }

    async fn device_board(&self) -> StoreResult<Vec<DeviceRow>> {
        tx!(self, Mode::Snapshot, |tx| {
            let sql = format!(
                "SELECT d.id, d.enrolled_at, d.last_seen, d.app_version, d.queue_reports,
                        d.queue_photos, d.queue_bytes,
                        (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id),
                        (SELECT MAX(r.received_at) FROM reports r WHERE r.device_id = d.id),
                        u.id, u.login, u.name, u.role, u.team, u.department, d.model
                   FROM devices d JOIN users u ON u.id = d.user_id
                  ORDER BY u.team{c} NULLS FIRST, u.name{c}, d.enrolled_at, d.id",
                c = tx.dialect().bytewise
            );
            tx.query(&sql, vec![])
                .await?
                .iter()
                .map(|r| {
                    Ok(DeviceRow {
                        id: r.get(0)?,
                        enrolled_at: r.get(1)?,
                        last_seen: r.get(2)?,
                        app_version: r.get(3)?,
                        queue: QueueStats {
                            reports: r.get(4)?,
                            photos: r.get(5)?,
                            bytes: r.get(6)?,
                        },
                        reports_received: r.get(7)?,
                        last_received_at: r.get(8)?,
                        user: person(r, 9)?,
                        model: r.get(15)?,
                    })
                })
                .collect()
        })
    }

    async fn intake_health(&self, team: Option<&str>) -> StoreResult<IntakeHealth> {
        let team = team.map(str::to_owned);
        tx!(self, Mode::Snapshot, |tx| { intake_health(tx, team).await })
    }

    async fn handling_photos(&self, id: ReportId) -> StoreResult<Vec<gridwalk_protocol::PhotoRef>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT photo_id, sha256, bytes, width, height, taken_at FROM case_photos
                  WHERE report_id = $1 ORDER BY created_at, photo_id",
                params![id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(gridwalk_protocol::PhotoRef {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    bytes: r.get(2)?,
                    width: r.get(3)?,
                    height: r.get(4)?,
                    taken_at: r.get::<Option<DateTime<Utc>>>(5)?.map(|t| t.fixed_offset()),
                    stage: gridwalk_protocol::PhotoStage::After,
                })
            })
            .collect()
        })
    }

    async fn reports_with_photo(&self, sha256: &str) -> StoreResult<Vec<ReportId>> {
        let sha = sha256.to_owned();
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT report_id FROM report_photos WHERE sha256 = $1 AND arrived
                 UNION SELECT report_id FROM task_photos WHERE sha256 = $1 AND arrived
                 UNION SELECT report_id FROM case_photos WHERE sha256 = $1 AND arrived",
                params![sha],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }

    async fn conflicts(&self, report: ReportId) -> StoreResult<Vec<Conflict>> {
        tx!(self, Mode::Read, |tx| {
            conflicts_where(tx, "report_id = $1", params![report]).await
        })
    }

    async fn open_conflicts(&self) -> StoreResult<Vec<Conflict>> {
        tx!(self, Mode::Read, |tx| {
            conflicts_where(tx, "resolved_at IS NULL", vec![]).await
        })
    }

    async fn conflict(&self, id: Uuid) -> StoreResult<Option<Conflict>> {
        tx!(self, Mode::Read, |tx| {
            Ok(conflicts_where(tx, "id = $1", params![id]).await?.pop())
        })
    }
}

/// The conditions of a work queue's filter (without its cursor), and their parameters
/// from `$1` on.
pub(super) fn conditions(f: &ReportFilter, d: Dialect) -> (Vec<String>, Vec<Value>) {
    let mut clauses = vec!["r.deleted_at IS NULL".to_owned()];
    let mut params: Vec<Value> = Vec::new();
    // Binds a parameter; its number.
    let mut arg = |v: Value| {
        params.push(v);
        params.len()
    };
    if !f.states.is_empty() {
        let n = arg(Value::list(f.states.iter().copied()));
        clauses.push((d.any)("r.state", n));
    }
    if let Some(team) = &f.team {
        clauses.push(format!("u.team = ${}", arg(Value::from(team))));
    }
    if let Some(department) = &f.department {
        clauses.push(format!("c.department = ${}", arg(Value::from(department))));
    }
    if let Some(place) = &f.place {
        clauses.push(prefix_range("r.cell", place, &mut arg));
    }
    if let Some(kind) = &f.kind {
        clauses.push(format!("r.kind = ${}", arg(Value::from(tag(kind)))));
    }
    if let Some(category) = &f.category {
        clauses.push(prefix_range("r.category", category, &mut arg));
    }
    if let Some(id) = &f.component {
        clauses.push(format!(
            "{} = ${}",
            (d.json_text)("r.record", "component_id"),
            arg(Value::from(id))
        ));
    }
    if let Some(login) = &f.inspector {
        clauses.push(format!("u.login = ${}", arg(Value::from(login))));
    }
    if let Some(urgency) = &f.urgency {
        clauses.push(format!("r.urgency = ${}", arg(Value::from(tag(urgency)))));
    }
    if let Some(source) = f.source {
        clauses.push(format!("r.source = ${}", arg(Value::from(source.as_str()))));
    }
    for flag in &f.flags {
        clauses.push(match flag {
            QueueFlag::Duplicate => "r.duplicate_of IS NOT NULL".to_owned(),
            QueueFlag::PlaceDisputed => format!(
                "r.claim IS NOT NULL AND {} <> '[]'",
                (d.json_text)("r.claim", "disputes")
            ),
            QueueFlag::OutsideGrid => "r.cell IS NULL".to_owned(),
            QueueFlag::ExtensionAsked => "EXISTS (SELECT 1 FROM extensions x \
                 WHERE x.report_id = r.id AND x.decided_at IS NULL)"
                .to_owned(),
            QueueFlag::Bounced => "r.state = 'registered' AND EXISTS (SELECT 1 FROM case_events e \
                 WHERE e.report_id = r.id AND e.action = 'bounce')"
                .to_owned(),
        });
    }
    if let Some(due) = f.due {
        let (from, to) = queue::due_window(due, f.now, f.soon_to);
        // The deadline of the step each report waits on (受理, 派遣, 处置, 核查): every
        // step can be overdue, not only the department's. Overdue is past `now`; due soon
        // runs up to and with its end, as the badge's "2 working hours or less" does (over
        // a lunch break a deadline and the window's end can be the same instant).
        let upto = if from.is_some() { "<=" } else { "<" };
        let mut c = format!("r.step_due_at {upto} ${}", arg(Value::from(to)));
        if let Some(from) = from {
            c.push_str(&format!(
                " AND r.step_due_at >= ${}",
                arg(Value::from(from))
            ));
        }
        clauses.push(c);
    }
    if let Some(from) = f.received_from {
        clauses.push(format!("r.received_at >= ${}", arg(Value::from(from))));
    }
    if let Some(to) = f.received_to {
        clauses.push(format!("r.received_at < ${}", arg(Value::from(to))));
    }
    for term in &f.search {
        // Candidates hold every gram of the word; the substring check makes it exact.
        let lookups: Vec<String> = term
            .grams
            .iter()
            .map(|g| {
                format!(
                    "SELECT report_id FROM report_grams WHERE gram = ${}",
                    arg(Value::from(g))
                )
            })
            .collect();
        let text = format!(
            "r.id IN ({}) AND r.search_text LIKE ${}",
            lookups.join(" INTERSECT "),
            arg(Value::from(&term.like))
        );
        // Twelve hex digits may also be a report's short reference (its ID's last group,
        // which the 随手拍 page gives the citizen to read out).
        let word = term.like.trim_matches('%');
        if word.len() == 12 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
            let id = arg(Value::from(format!("%-{word}")));
            clauses.push(format!("(({text}) OR CAST(r.id AS TEXT) LIKE ${id})"));
        } else {
            clauses.push(text);
        }
    }
    (clauses, params)
}

/// The codes in `column` that begin with `prefix`, as a range of codes (both databases
/// estimate a range from their statistics of the column, and can read it from an index;
/// neither can for `substr`), its bounds bound by `arg`.
fn prefix_range(column: &str, prefix: &str, arg: &mut impl FnMut(Value) -> usize) -> String {
    let mut c = format!("{column} >= ${}", arg(Value::from(prefix)));
    if let Some(end) = queue::prefix_end(prefix) {
        c.push_str(&format!(" AND {column} < ${}", arg(Value::from(end))));
    }
    c
}

/// The sort keys of an order before the report's ID (`far` is the parameter holding
/// [`queue::no_deadline`]), and whether it runs downwards.
pub(super) fn sort_keys(sort: QueueSort, far: &str) -> (Vec<String>, bool) {
    match sort {
        QueueSort::Waiting => (vec!["r.state_at".into()], false),
        QueueSort::Newest => (vec!["r.received_at".into()], true),
        QueueSort::Urgent => (
            vec![
                "CASE WHEN r.urgency = 'urgent' THEN 0 ELSE 1 END".into(),
                "r.state_at".into(),
            ],
            false,
        ),
        QueueSort::Overdue => (
            vec![
                format!("COALESCE(r.step_due_at, {far})"),
                "r.state_at".into(),
            ],
            false,
        ),
    }
}

/// One page of a work queue ([`crate::domain::queue`]): the reports after the cursor, one
/// more than the page to know whether there is a next, and the bounded count.
async fn queue_page(tx: &mut dyn Sql, f: &ReportFilter) -> StoreResult<ReportPage> {
    let d = tx.dialect();
    let (clauses, filter_params) = conditions(f, d);
    // Counted on the first page; the pages after it carry that count in their cursor.
    let (total, capped) = match f.after.as_ref().and_then(|a| a.total) {
        Some(carried) => carried,
        None => {
            let count = tx
                .one(
                    &format!(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM {REPORT_FROM} WHERE {} LIMIT {}) x",
                        clauses.join(" AND "),
                        COUNT_CAP + 1
                    ),
                    filter_params.clone(),
                )
                .await?
                .get::<u64>(0)?;
            (count.min(COUNT_CAP), count > COUNT_CAP)
        }
    };

    let mut params = filter_params;
    let mut clauses = clauses;
    // Only the overdue order names the far deadline (PostgreSQL must see every parameter
    // used, to know its type).
    let far = if f.sort == QueueSort::Overdue {
        params.push(Value::from(queue::no_deadline()));
        format!("${}", params.len())
    } else {
        String::new()
    };
    let (keys, down) = sort_keys(f.sort, &far);
    if let Some(after) = &f.after {
        let mut slots = Vec::new();
        for k in &after.keys {
            params.push(match *k {
                SortKey::Time(t) => Value::from(t),
                SortKey::Rank(n) => Value::Int(n),
                SortKey::Id(id) => Value::from(id),
            });
            slots.push(format!("${}", params.len()));
        }
        clauses.push(format!(
            "({}, r.id) {} ({})",
            keys.join(", "),
            if down { "<" } else { ">" },
            slots.join(", ")
        ));
    }
    let dir = if down { "DESC" } else { "ASC" };
    let order = keys
        .iter()
        .chain(std::iter::once(&"r.id".to_owned()))
        .map(|k| format!("{k} {dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    params.push(Value::from(f.limit + 1));
    // The page's IDs and sort keys first (narrow rows, so sorting many candidates stays
    // cheap), then those reports whole.
    let sql = format!(
        "SELECT r.id, {} FROM {REPORT_FROM} WHERE {} ORDER BY {order} LIMIT ${}",
        keys.join(", "),
        clauses.join(" AND "),
        params.len()
    );
    let rows = tx.query(&sql, params).await?;
    let more = rows.len() > f.limit;
    let shown = &rows[..rows.len().min(f.limit)];
    let next = match shown.last() {
        Some(last) if more => {
            let mut cursor_keys = Vec::new();
            for i in 0..keys.len() {
                cursor_keys.push(if f.sort == QueueSort::Urgent && i == 0 {
                    SortKey::Rank(last.get(1 + i)?)
                } else {
                    SortKey::Time(last.get(1 + i)?)
                });
            }
            cursor_keys.push(SortKey::Id(last.get(0)?));
            Some(
                Cursor {
                    sort: f.sort,
                    keys: cursor_keys,
                    total: Some((total, capped)),
                }
                .encode(),
            )
        }
        _ => None,
    };
    let ids: Vec<ReportId> = shown.iter().map(|r| r.get(0)).collect::<StoreResult<_>>()?;
    let any = (d.any)("r.id", 1);
    let mut items = console_reports(
        tx,
        &format!("SELECT {REPORT_COLUMNS} FROM {REPORT_FULL_FROM} WHERE {any}"),
        vec![Value::list(ids.iter().copied())],
    )
    .await?;
    let place: HashMap<ReportId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    items.sort_by_key(|r| place.get(&r.report.id).copied().unwrap_or(usize::MAX));
    Ok(ReportPage {
        items,
        next,
        total,
        total_capped: capped,
    })
}

/// Rows of `(state, COUNT(*))` as counts per state.
pub(super) fn state_counts(rows: &[Row]) -> StoreResult<Vec<StateCount>> {
    rows.iter()
        .map(|r| {
            Ok(StateCount {
                state: r.get(0)?,
                count: r.get(1)?,
            })
        })
        .collect()
}

/// How intake is going, over the reports, devices and people of `team` (all with `None`).
async fn intake_health(tx: &mut dyn Sql, team: Option<String>) -> StoreResult<IntakeHealth> {
    // The team's condition on the people table `u`, and its one parameter.
    let in_team = if team.is_some() {
        " AND u.team = $1"
    } else {
        ""
    };
    let args = || team.iter().map(Value::from).collect::<Vec<_>>();
    let states = tx
        .query(
            &format!(
                "SELECT r.state, COUNT(*) FROM reports r JOIN users u ON u.id = r.reporter
                  WHERE r.deleted_at IS NULL{in_team} GROUP BY r.state"
            ),
            args(),
        )
        .await?;
    let mut states = state_counts(&states)?;
    states.sort_by_key(|s| s.state.as_str());
    let oldest_pending = tx
        .one(
            &format!(
                "SELECT MIN(COALESCE(r.state_at, r.received_at))
                   FROM reports r JOIN users u ON u.id = r.reporter
                  WHERE r.state = 'pending_review' AND r.deleted_at IS NULL{in_team}"
            ),
            args(),
        )
        .await?
        .get(0)?;
    let missing_photos = tx
        .query(
            &format!(
                "SELECT r.id, u.name, r.device_id,
                        SUM(CASE WHEN p.arrived THEN 0 ELSE 1 END), COUNT(p.photo_id),
                        r.received_at
                   FROM reports r JOIN users u ON u.id = r.reporter
                   JOIN report_photos p ON p.report_id = r.id
                  WHERE r.state = 'awaiting_photos' AND r.deleted_at IS NULL{in_team}
                  GROUP BY r.id, u.id ORDER BY r.received_at, r.id LIMIT 200"
            ),
            args(),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(MissingPhotos {
                report: r.get(0)?,
                reporter: r.get(1)?,
                device: r.get(2)?,
                missing: r.get(3)?,
                photos: r.get(4)?,
                received_at: r.get(5)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let uploads = tx
        .query(
            &format!(
                "SELECT x.id, x.report_id, x.device_id, x.received, x.length, x.created_at,
                        x.expires_at
                   FROM uploads x JOIN devices d ON d.id = x.device_id
                   JOIN users u ON u.id = d.user_id
                  WHERE x.completed_at IS NULL{in_team}
                  ORDER BY x.created_at, x.id LIMIT 200"
            ),
            args(),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(UploadProgress {
                id: r.get(0)?,
                report: r.get(1)?,
                device: r.get(2)?,
                received: r.get(3)?,
                length: r.get(4)?,
                created_at: r.get(5)?,
                expires_at: r.get(6)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let rejected = (tx.dialect().json_text)("a.outcome", "outcome");
    let refusals = tx
        .query(
            &format!(
                "SELECT a.device_id, u.name, a.mutation_id, a.outcome, a.applied_at
                   FROM applied_mutations a JOIN devices d ON d.id = a.device_id
                   JOIN users u ON u.id = d.user_id
                  WHERE {rejected} = 'rejected'{in_team}
                  ORDER BY a.applied_at DESC, a.device_id, a.mutation_id LIMIT 50"
            ),
            args(),
        )
        .await?
        .iter()
        .map(|r| {
            let (reason, message) = match r.json::<Outcome>(3)? {
                Outcome::Rejected { reason, message } => (reason, message),
                other => (format!("{other:?}"), None),
            };
            Ok(Refusal {
                device: r.get(0)?,
                user: r.get(1)?,
                mutation: r.get(2)?,
                reason,
                message,
                at: r.get(4)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let open_conflicts = tx
        .one(
            &format!(
                "SELECT COUNT(*) FROM conflicts c JOIN reports r ON r.id = c.report_id
                   JOIN users u ON u.id = r.reporter
                  WHERE c.resolved_at IS NULL{in_team}"
            ),
            args(),
        )
        .await?
        .get(0)?;
    let q = tx
        .one(
            &format!(
                "SELECT CAST(COALESCE(SUM(d.queue_reports), 0) AS BIGINT),
                        CAST(COALESCE(SUM(d.queue_photos), 0) AS BIGINT),
                        CAST(COALESCE(SUM(d.queue_bytes), 0) AS BIGINT)
                   FROM devices d JOIN users u ON u.id = d.user_id WHERE TRUE{in_team}"
            ),
            args(),
        )
        .await?;
    Ok(IntakeHealth {
        states,
        oldest_pending,
        missing_photos,
        uploads,
        refusals,
        open_conflicts,
        devices_queue: QueueStats {
            reports: q.get(0)?,
            photos: q.get(1)?,
            bytes: q.get(2)?,
        },
    })
}
