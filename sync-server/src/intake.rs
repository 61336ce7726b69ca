//! What to do with each mutation, decided without touching storage. A submitted report is
//! checked here: it belongs to the device that sent it and obeys every rule of the code
//! table it was filed under. An edit depends on what the centre holds, so it is handed to
//! the store with what [`crate::edits::plan`] needs, to be decided under the store's lock.
//! The store applies a push's decisions in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gridwalk_protocol::{
    CodeTable, MutationBody, MutationId, MutationResult, PushRequest, PushResponse, Report,
    validate_report,
};

use crate::error::AppError;
use crate::store::{Applied, CaseStore, Device, EditEffect, Effect};

/// The effect of one mutation from `device`, given the code tables the centre knows.
#[must_use]
pub fn decide(
    body: &MutationBody,
    device: &Device,
    tables: &Arc<Vec<CodeTable>>,
    now: DateTime<Utc>,
) -> Effect {
    match body {
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
    let batch = req
        .mutations
        .iter()
        .map(|m| (m.id, decide(&m.body, device, &tables, now)))
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
