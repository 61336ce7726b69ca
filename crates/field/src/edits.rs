//! Changing a report after it was submitted.
//!
//! The inspector edits a submitted report the way they edit a draft, with a [`DraftPatch`];
//! the engine compares the record before and after and queues only what changed, as a
//! [`ReportPatch`] based on the centre's version of the report the device last knew. The
//! centre merges it with whatever changed there meanwhile (field by field; photos and clips
//! as sets) or opens a conflict for an operator — either way nothing the inspector typed is
//! dropped. Edit, outbox entry and the report's new local version commit together.
//!
//! A report can be changed from the device until it becomes a case (see
//! [`gridwalk_protocol::CaseState::editable`]); a report the centre refused outright never reached it, so
//! there is nothing there to change.

use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{MutationBody, ReportId, ReportPatch, validate_report};
use rusqlite::{TransactionBehavior, params};

use crate::drafts::load_tx;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::local::{DraftPatch, LocalReport, ReportState};

impl Engine {
    /// Changes a submitted report and queues the change for the centre. Refuses, changing
    /// nothing, a draft (edit it with [`Engine::update_draft`]), a report the centre refused
    /// or has made a case of, a new observation time, and any change that breaks a rule.
    /// A patch that changes nothing queues nothing.
    pub fn edit_report(&self, id: ReportId, patch: &DraftPatch) -> Result<LocalReport> {
        let mut conn = self.db();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = load_tx(&tx, id)?;
        editable(&current)?;
        if patch.observed_at.is_some_and(|t| t != current.observed_at) {
            return Err(Error::NotEditable(id, msg!(DEVICE_SEEN_AT_FIXED)));
        }
        let before = current.to_report(self.device_id())?;
        self.write_fields(&tx, &current, patch)?;
        let after = load_tx(&tx, id)?.to_report(self.device_id())?;
        if after.code_table_version == self.reference.codes.version() {
            validate_report(&after, &self.reference.codes, self.now())?;
        }
        let change = ReportPatch::between(&before, &after);
        if change.is_empty() {
            let unchanged = load_tx(&tx, id)?;
            tx.finish()?;
            return Ok(unchanged);
        }
        let body = MutationBody::EditReport {
            report: id,
            base_version: current.central_version.unwrap_or(1),
            patch: Box::new(change),
        };
        let version = current.version + 1;
        let now = self.now();
        tx.execute(
            "UPDATE reports SET state = 'queued', version = ?2, updated_at = ?3,
                    centre_note = NULL
             WHERE id = ?1",
            params![id.to_string(), version, now],
        )?;
        crate::signing::enqueue(
            &tx,
            &self.signing_key()?,
            self.device_id(),
            id,
            version,
            after.is_priority(),
            &body,
            now,
        )?;
        let edited = load_tx(&tx, id)?;
        tx.commit()?;
        Ok(edited)
    }
}

fn editable(report: &LocalReport) -> Result<()> {
    let refuse = |why: Message| Err(Error::NotEditable(report.id, why));
    match report.state {
        ReportState::Draft => refuse(msg!(DEVICE_STILL_DRAFT)),
        ReportState::Rejected => refuse(msg!(DEVICE_REFUSED_NOTHING)),
        ReportState::Queued | ReportState::Sent => match report.central_state {
            Some(s) if !s.editable() => refuse(msg!(DEVICE_CENTRE_MOVED_ON, state = s.as_str())),
            _ => Ok(()),
        },
    }
}
