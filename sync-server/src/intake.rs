//! What to do with each mutation, decided without touching storage. A submitted report is
//! checked here: it belongs to the device that sent it and obeys every rule of the code
//! table it was filed under. An edit depends on what the centre holds, so it is handed to
//! the store with what [`crate::edits::plan`] needs, to be decided under the store's lock;
//! so is a completed verification task, a step of the case loop ([`crate::cases`]).
//! The store applies a push's decisions in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use gridwalk_protocol::{
    CaseState, CodeTable, MutationBody, MutationId, MutationResult, PushRequest, PushResponse,
    Report, ReportId, validate_report,
};

use crate::cases::Action;
use crate::error::AppError;
use crate::store::{Applied, Author, CaseStore, Device, EditEffect, Effect, Step, TaskDone};

/// The effect of one mutation from `device`, given the code tables the centre knows and,
/// for a verification that fails, the deadline of the rework (`rework_due`, by report).
#[must_use]
pub fn decide(
    body: &MutationBody,
    device: &Device,
    tables: &Arc<Vec<CodeTable>>,
    rework_due: &HashMap<ReportId, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Effect {
    match body {
        MutationBody::CompleteTask {
            task,
            report,
            passed,
            note,
            photos,
        } => Effect::Step(Box::new(Step {
            report: *report,
            action: Action::Verify { passed: *passed },
            seen: Some(CaseState::Handled),
            by: Author {
                user: Some(device.user),
                device: Some(device.id),
                mutation: None,
            },
            at: now,
            due_at: rework_due.get(report).copied(),
            task_due: None,
            day: String::new(),
            task: Some(TaskDone {
                id: *task,
                note: note.clone().filter(|n| !n.trim().is_empty()),
                photos: photos.clone(),
            }),
        })),
        MutationBody::SubmitReport { report } => decide_submit(report, device, tables, now),
        MutationBody::EditReport {
            report,
            base_version,
            patch,
        } => Effect::EditReport(Box::new(EditEffect {
            report: *report,
            base_version: *base_version,
            patch: (**patch).clone(),
            device: device.clone(),
            tables: Arc::clone(tables),
            now,
        })),
    }
}

fn decide_submit(
    report: &Report,
    device: &Device,
    tables: &[CodeTable],
    now: DateTime<Utc>,
) -> Effect {
    if report.device != device.id {
        return Effect::Reject(format!(
            "the report says it was made on device {}, but device {} sent it",
            report.device, device.id
        ));
    }
    if report.reporter != device.user {
        return Effect::Reject(format!(
            "the report names reporter {}, but this device is enrolled for {}",
            report.reporter, device.user
        ));
    }
    let Some(table) = tables
        .iter()
        .find(|t| t.version() == report.code_table_version)
    else {
        return Effect::Reject(format!(
            "the centre does not know code table {:?}",
            report.code_table_version
        ));
    };
    match validate_report(report, table, now) {
        Ok(()) => Effect::InsertReport(Box::new(report.clone())),
        Err(e) => Effect::Reject(e.to_string()),
    }
}

/// Checks that a batch's mutation numbers are consecutive and ascending.
pub fn check_batch(ids: impl IntoIterator<Item = MutationId>) -> Result<(), String> {
    let mut prev: Option<MutationId> = None;
    for id in ids {
        if id == 0 {
            return Err("mutation numbers start at 1".into());
        }
        if let Some(p) = prev
            && id != p + 1
        {
            return Err(format!(
                "mutation {id} follows {p}: a batch must be consecutive"
            ));
        }
        prev = Some(id);
    }
    Ok(())
}

/// Applies a device's batch in order, in one transaction, answering each mutation.
/// A batch that starts beyond the next expected number is refused whole.
pub async fn push(
    store: &dyn CaseStore,
    device: &Device,
    req: &PushRequest,
    now: DateTime<Utc>,
) -> Result<PushResponse, AppError> {
    if req.device != device.id {
        return Err(AppError::Forbidden(format!(
            "this token belongs to device {}, not {}",
            device.id, req.device
        )));
    }
    check_batch(req.mutations.iter().map(|m| m.id)).map_err(AppError::BadRequest)?;
    store
        .device_seen(device.id, &req.app_version, req.queue, now)
        .await?;
    let tables = Arc::new(code_tables(store).await?);
    let rework_due = rework_deadlines(store, req, now).await?;
    let batch = req
        .mutations
        .iter()
        .map(|m| (m.id, decide(&m.body, device, &tables, &rework_due, now)))
        .collect();
    let mut results = Vec::with_capacity(req.mutations.len());
    for (m, applied) in req
        .mutations
        .iter()
        .zip(store.apply(device.id, batch, now).await?)
    {
        match applied {
            Applied::Answer(outcome) => results.push(MutationResult { id: m.id, outcome }),
            // Only the first mutation of a consecutive batch can open a gap.
            Applied::Gap { expected } => return Err(AppError::Gap { expected }),
        }
    }
    Ok(PushResponse {
        last_applied: store.last_applied(device.id).await?,
        results,
    })
}

/// For each verification in the push: the deadline the case is handled by again should the
/// verification fail (返工), counted from now by the case rules. The case's category and
/// urgency cannot change once it is registered, so reading them before the push's
/// transaction is sound.
async fn rework_deadlines(
    store: &dyn CaseStore,
    req: &PushRequest,
    now: DateTime<Utc>,
) -> Result<HashMap<ReportId, DateTime<Utc>>, AppError> {
    let reports: Vec<ReportId> = req
        .mutations
        .iter()
        .filter_map(|m| match &m.body {
            MutationBody::CompleteTask {
                report,
                passed: false,
                ..
            } => Some(*report),
            _ => None,
        })
        .collect();
    let mut out = HashMap::new();
    if reports.is_empty() {
        return Ok(out);
    }
    let rules = crate::console::rules(store).await?;
    for s in store.reports(&reports).await? {
        out.insert(s.report.id, rules.handling_due(&s.report, now));
    }
    Ok(out)
}

/// The code tables the centre holds, parsed.
pub async fn code_tables(store: &dyn CaseStore) -> Result<Vec<CodeTable>, AppError> {
    store
        .code_tables()
        .await?
        .iter()
        .map(|(version, body)| {
            CodeTable::from_json(body).map_err(|e| {
                AppError::Store(crate::store::StoreError::Db(format!(
                    "code table {version}: {e}"
                )))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_must_be_consecutive() {
        assert!(check_batch([4, 5, 6]).is_ok());
        assert!(check_batch([]).is_ok());
        assert_eq!(
            check_batch([4, 6]).expect_err("gap"),
            "mutation 6 follows 4: a batch must be consecutive"
        );
        assert!(check_batch([0]).is_err());
        assert!(check_batch([5, 4]).is_err());
    }
}
