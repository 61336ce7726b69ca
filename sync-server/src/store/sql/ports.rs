//! Reports filed by the centre's other ports and their callbacks' deliveries, in SQL both
//! databases run ([`crate::domain::ports`] says what each is).
//!
//! Filing locks the port's credential row first, so one port's calls are filed one at a
//! time: a retried call that arrives while the first is still being written waits, then
//! finds the key the first one kept and gets its answer. A delivery is queued by
//! [`queue_delivery`] in the same transaction as the case event it tells of.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::intake::{
    CallbackInfo, CallbackSetting, Delivery, IntakeAnswer, Progress, Source,
};
use gridwalk_protocol::{CaseState, ReportId, TaskId, UserId};

use super::feed::write_feed;
use super::reports::{PortOrigin, receive_reports};
use super::{Database, Mode, Row, Sql, params, tx};
use crate::domain::model::Touch;
use crate::domain::ports::{Attempt, Checker, Filed, Filing, Outgoing, pick_inspector};
use crate::domain::reference::Reference;
use crate::store::{PortStore, StoreError, StoreResult};

#[async_trait]
impl<D: Database> PortStore for D {
    async fn file_report(&self, filing: Filing, reference: Arc<Reference>) -> StoreResult<Filed> {
        tx!(self, Mode::Write, |tx| {
            file(tx, filing, &reference).await
        })
    }

    async fn port_report(
        &self,
        account: UserId,
        report: ReportId,
    ) -> StoreResult<Option<IntakeAnswer>> {
        tx!(self, Mode::Read, |tx| {
            let mine = tx
                .opt(
                    "SELECT 1 FROM reports WHERE id = $1 AND reporter = $2",
                    params![report, account],
                )
                .await?
                .is_some();
            if !mine {
                return Ok(None);
            }
            answer(tx, report).await.map(Some)
        })
    }

    async fn set_callback(
        &self,
        account: UserId,
        setting: Option<CallbackSetting>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        tx!(self, Mode::Write, |tx| {
            match setting {
                Some(s) => {
                    tx.execute(
                        "INSERT INTO callbacks (account, url, secret, set_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (account) DO UPDATE SET url = excluded.url,
                            secret = excluded.secret, set_at = excluded.set_at",
                        params![account, s.url.trim(), s.secret, at],
                    )
                    .await?;
                }
                None => {
                    tx.execute("DELETE FROM callbacks WHERE account = $1", params![account])
                        .await?;
                }
            }
            Ok(())
        })
    }

    async fn callback(&self, account: UserId) -> StoreResult<CallbackInfo> {
        tx!(self, Mode::Read, |tx| {
            let row = tx
                .opt(
                    "SELECT url, set_at FROM callbacks WHERE account = $1",
                    params![account],
                )
                .await?;
            Ok(match row {
                Some(r) => CallbackInfo {
                    url: Some(r.get(0)?),
                    set_at: Some(r.get(1)?),
                },
                None => CallbackInfo {
                    url: None,
                    set_at: None,
                },
            })
        })
    }

    async fn deliveries(&self, account: Option<UserId>, limit: u32) -> StoreResult<Vec<Delivery>> {
        tx!(self, Mode::Read, |tx| {
            let (clause, args) = match account {
                Some(a) => ("WHERE d.account = $2", params![limit, a]),
                None => ("", params![limit]),
            };
            tx.query(
                &format!(
                    "SELECT d.id, d.report_id, r.caller_ref, d.action, d.to_state, d.created_at,
                            d.attempts, d.delivered_at, d.next_at, d.last_status, d.last_error,
                            c.case_no, d.from_state, d.text
                       FROM deliveries d JOIN reports r ON r.id = d.report_id
                       LEFT JOIN cases c ON c.report_id = d.report_id
                       {clause} ORDER BY d.id DESC LIMIT $1"
                ),
                args,
            )
            .await?
            .iter()
            .map(delivery)
            .collect()
        })
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Outgoing>> {
        tx!(self, Mode::Write, |tx| {
            // Each report's deliveries go in order: one is due only when none before it
            // is still owed (delivered or given up, it is not).
            let rows = tx
                .query(
                    "SELECT d.id, d.next_at, k.url, k.secret, d.attempts, d.report_id,
                            r.caller_ref, c.case_no, d.action, d.from_state, d.to_state, d.text,
                            c.closure, d.at
                       FROM deliveries d
                       JOIN callbacks k ON k.account = d.account
                       JOIN reports r ON r.id = d.report_id
                       LEFT JOIN cases c ON c.report_id = d.report_id
                      WHERE d.next_at <= $1
                        AND NOT EXISTS (SELECT 1 FROM deliveries e
                                         WHERE e.report_id = d.report_id AND e.id < d.id
                                           AND e.next_at IS NOT NULL)
                      ORDER BY d.next_at, d.id LIMIT $2",
                    params![now, limit],
                )
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: i64 = r.get(0)?;
                let due: DateTime<Utc> = r.get(1)?;
                // Claimed only if no other server claimed it since it was read.
                let n = tx
                    .execute(
                        "UPDATE deliveries SET next_at = $3 WHERE id = $1 AND next_at = $2",
                        params![id, due, lease],
                    )
                    .await?;
                if n == 0 {
                    continue;
                }
                let to: CaseState = r.get(10)?;
                out.push(Outgoing {
                    url: r.get(2)?,
                    secret: r.get(3)?,
                    attempts: r.get(4)?,
                    progress: Progress {
                        delivery: id,
                        report: r.get(5)?,
                        caller_ref: r.get::<Option<String>>(6)?.unwrap_or_default(),
                        case_no: r.get(7)?,
                        action: r.get(8)?,
                        from: r.get(9)?,
                        state: to,
                        text: r.get(11)?,
                        closure: if to == CaseState::Closed {
                            r.get::<Option<String>>(12)?
                                .map(|c| c.parse())
                                .transpose()
                                .map_err(|e| StoreError::Corrupt(format!("a closure: {e}")))?
                        } else {
                            None
                        },
                        at: r.get(13)?,
                    },
                });
            }
            Ok(out)
        })
    }

    async fn record_attempt(&self, a: &Attempt) -> StoreResult<()> {
        let a = a.clone();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "UPDATE deliveries SET attempts = $2, delivered_at = $3, next_at = $4,
                        last_status = $5, last_error = $6
                  WHERE id = $1",
                params![
                    a.id,
                    a.attempts,
                    a.delivered_at,
                    a.next_at,
                    a.status.map(u32::from),
                    a.error
                ],
            )
            .await?;
            Ok(())
        })
    }
}

fn delivery(r: &Row) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        report: r.get(1)?,
        caller_ref: r.get::<Option<String>>(2)?.unwrap_or_default(),
        case_no: r.get(11)?,
        action: r.get(3)?,
        from: r.get(12)?,
        state: r.get(4)?,
        text: r.get(13)?,
        created_at: r.get(5)?,
        attempts: r.get(6)?,
        delivered_at: r.get(7)?,
        next_at: r.get(8)?,
        last_status: r
            .get::<Option<u32>>(9)?
            .map(|s| u16::try_from(s).unwrap_or(u16::MAX)),
        last_error: r.get(10)?,
    })
}

/// Queues a delivery of a case event of `report` to its port's callback, if its reporter
/// is a port with one; in the caller's transaction (the step's own).
pub(crate) async fn queue_delivery(
    tx: &mut dyn Sql,
    report: ReportId,
    action: &str,
    from: CaseState,
    to: CaseState,
    text: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(row) = tx
        .opt(
            "SELECT k.account FROM reports r JOIN callbacks k ON k.account = r.reporter
              WHERE r.id = $1",
            params![report],
        )
        .await?
    else {
        return Ok(());
    };
    let account: UserId = row.get(0)?;
    tx.execute(
        "INSERT INTO deliveries (account, report_id, action, from_state, to_state, text, at,
                                 created_at, next_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![account, report, action, from, to, text, at, at, at],
    )
    .await?;
    Ok(())
}

/// Files one call, in the caller's transaction.
async fn file(tx: &mut dyn Sql, f: Filing, reference: &Reference) -> StoreResult<Filed> {
    let account = f.port.user;
    if f.port.id == crate::domain::uploads::console_device(account) {
        // The server filing on the account's behalf (the 随手拍 page): its credential is
        // made the first time, as a clerk's is.
        super::steps::console_device(tx, account, f.at).await?;
    }
    // One port's calls one at a time (see the module's words).
    tx.opt(
        &format!(
            "SELECT id FROM devices WHERE id = $1{lock}",
            lock = tx.dialect().lock
        ),
        params![f.port.id],
    )
    .await?;
    if let Some(row) = tx
        .opt(
            "SELECT request_sha256, report_id FROM intake_keys WHERE account = $1 AND key = $2",
            params![account, f.key.as_str()],
        )
        .await?
    {
        let sha: String = row.get(0)?;
        let report: ReportId = row.get(1)?;
        if sha != f.request_sha256 {
            return Ok(Filed::KeyReused { report });
        }
        return Ok(Filed::Replayed(answer(tx, report).await?));
    }
    if let Some(row) = tx
        .opt(
            "SELECT id FROM reports WHERE reporter = $1 AND caller_ref = $2",
            params![account, f.caller_ref.as_str()],
        )
        .await?
    {
        return Ok(Filed::CallerRefTaken {
            report: row.get(0)?,
        });
    }
    let id = f.placed.report.id;
    let cell = f.placed.report.cell.clone();
    let check_due = reference
        .rules
        .as_ref()
        .and_then(|r| r.step_due(CaseState::AwaitingCheck, f.at, None));
    let origin = PortOrigin {
        source: f.source,
        caller_ref: f.caller_ref.clone(),
        check_due,
    };
    let mut touches = Vec::new();
    receive_reports(
        tx,
        f.port.id,
        vec![(None, f.placed)],
        &HashMap::new(),
        f.at,
        None,
        Some(&origin),
        &mut touches,
    )
    .await?;
    // The on-site check, for the least busy inspector of the cell.
    let checker = match &cell {
        Some(cell) => {
            let candidates = tx
                .query(
                    "SELECT u.id, u.login,
                            (SELECT count(*) FROM tasks t
                              WHERE t.assignee = u.id AND t.done_at IS NULL)
                       FROM users u
                      WHERE u.role = 'inspector' AND u.disabled_at IS NULL
                        AND CAST(u.cells AS TEXT) LIKE $1",
                    params![format!("%\"{}\"%", cell.as_str())],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(Checker {
                        user: r.get(0)?,
                        login: r.get(1)?,
                        open_tasks: r.get(2)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            pick_inspector(&candidates)
        }
        None => None,
    };
    if let (Some(assignee), Some(due)) = (checker, check_due) {
        let task = TaskId::new();
        tx.execute(
            "INSERT INTO tasks (id, report_id, kind, assignee, created_at, due_at)
             VALUES ($1, $2, 'check', $3, $4, $5)",
            params![task, id, assignee, f.at, due],
        )
        .await?;
        touches.push(Touch::task(task, assignee));
    }
    tx.execute(
        "INSERT INTO intake_keys (account, key, request_sha256, report_id, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        params![account, f.key, f.request_sha256, id, f.at],
    )
    .await?;
    write_feed(tx, touches, f.at).await?;
    Ok(Filed::Made(answer(tx, id).await?))
}

/// What a port is told of its report (now).
async fn answer(tx: &mut dyn Sql, report: ReportId) -> StoreResult<IntakeAnswer> {
    let row = tx
        .one(
            "SELECT r.id, r.caller_ref, r.source, r.state, r.cell,
                    (SELECT t.id FROM tasks t WHERE t.report_id = r.id AND t.kind = 'check'
                      ORDER BY t.created_at DESC LIMIT 1),
                    COALESCE((SELECT t.due_at FROM tasks t
                               WHERE t.report_id = r.id AND t.kind = 'check'
                               ORDER BY t.created_at DESC LIMIT 1),
                             CASE WHEN r.state = 'awaiting_check' THEN r.step_due_at END),
                    c.case_no, r.received_at
               FROM reports r LEFT JOIN cases c ON c.report_id = r.id WHERE r.id = $1",
            params![report],
        )
        .await?;
    let source: String = row.get(2)?;
    Ok(IntakeAnswer {
        report: row.get(0)?,
        caller_ref: row.get::<Option<String>>(1)?.unwrap_or_default(),
        source: source
            .parse::<Source>()
            .map_err(|e| StoreError::Corrupt(format!("a report's source: {e}")))?,
        state: row.get(3)?,
        check_task: row.get(5)?,
        check_due_at: row.get(6)?,
        cell: row.get(4)?,
        case_no: row.get(7)?,
        received_at: row.get(8)?,
    })
}
