//! Finalize and the outbox: how a report becomes bound for the centre.
//!
//! Finalizing is one SQLite transaction that (1) checks the draft is complete and valid,
//! (2) marks it queued, and (3) appends its mutation to the outbox, whose `AUTOINCREMENT`
//! key is the device's mutation number. Either all three happen or none: after a crash at any
//! instant the report is either still a draft with no outbox entry, or queued with exactly
//! one. `UNIQUE (report_id, report_version)` makes a second entry for the same version
//! impossible even through a bug. When `finalize` returns, the transaction has been fsynced.

use gridwalk_protocol::{Mutation, MutationBody, MutationId, Report, ReportId, validate_report};
use rusqlite::params;
use serde::Serialize;

use crate::drafts::{draft_tx, load_tx};
use crate::engine::{Engine, from_json};
use crate::error::{Error, Result};

/// The result of submitting a draft.
#[derive(Debug, Clone, Serialize)]
pub struct Finalized {
    pub report: Report,
    pub mutation_id: MutationId,
}

impl Engine {
    /// Submits a draft to the queue. Refuses, changing nothing, if a required field is
    /// missing or any field breaks a rule (every problem is named).
    pub fn finalize(&self, id: ReportId) -> Result<Finalized> {
        let mut conn = self.db();
        let tx = draft_tx(&mut conn, id)?;
        let local = load_tx(&tx, id)?;
        let report = local.to_report(self.device_id())?;
        let now = self.now();
        validate_report(&report, &self.reference.codes, now)?;
        tx.execute(
            "UPDATE reports SET state = 'queued', version = 1, finalized_at = ?2, updated_at = ?2
             WHERE id = ?1",
            params![id.to_string(), now],
        )?;
        let body = MutationBody::SubmitReport {
            report: Box::new(report.clone()),
        };
        let mutation_id = crate::signing::enqueue(
            &tx,
            &self.signing_key()?,
            self.device_id(),
            id,
            1,
            report.is_priority(),
            &body,
            now,
        )?;
        tx.commit()?;
        Ok(Finalized {
            report,
            mutation_id,
        })
    }

    /// Outbox entries in mutation order, oldest first, each with the signature it was
    /// queued with. An entry queued by a version that did not sign is signed now, once; so
    /// is one whose signature is not this device's present key's: the key was lost (a
    /// wiped keyring or secret file) and a new one made, and after the device is enrolled
    /// again the centre knows only the new key. Without this, those entries would be
    /// refused for ever and stop everything queued after them.
    pub fn pending_mutations(&self, limit: usize) -> Result<Vec<Mutation>> {
        let conn = self.db();
        let mut stmt = conn.prepare(
            "SELECT mutation_id, created_at, body, signature FROM outbox
             ORDER BY mutation_id LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, created_at, body, signature) in rows {
            let mut m = Mutation {
                id: u64::try_from(id)
                    .map_err(|_| Error::Damaged("negative mutation number".into()))?,
                device: self.device_id(),
                created_at,
                body: from_json(&body)?,
                signature,
            };
            let key = self.signing_key()?.verifying_key();
            if m.signature.is_none() || gridwalk_protocol::signing::verify(&key, &m).is_err() {
                self.sign(&mut m)?;
                conn.execute(
                    "UPDATE outbox SET signature = ?2 WHERE mutation_id = ?1",
                    params![id, m.signature],
                )?;
            }
            out.push(m);
        }
        Ok(out)
    }

    /// Moves the queue's entries numbered `from` and after so that `from` becomes `to`
    /// (`to > from`), keeping their order, when the centre says those numbers were already
    /// applied with other work ([`Error::NumberReused`]). The moved entries lose their
    /// signature (it covers the number) and are signed again when next sent
    /// ([`Engine::pending_mutations`]); later entries are numbered after them. Returns how
    /// many moved.
    pub(crate) fn renumber_outbox(&self, from: MutationId, to: MutationId) -> Result<usize> {
        let (Ok(from), Ok(to)) = (i64::try_from(from), i64::try_from(to)) else {
            return Err(Error::Damaged("mutation number out of range".into()));
        };
        if to <= from {
            return Err(Error::Damaged(format!(
                "the queue can only move forward, not from {from} to {to}"
            )));
        }
        let mut conn = self.db();
        let tx = conn.transaction()?;
        // Through negative numbers, so no row meets another on the way. Entries before
        // `from` must have been settled first: moving the rest past them would leave a
        // hole the centre never lets the queue cross.
        let before: i64 = tx.query_row(
            "SELECT COUNT(*) FROM outbox WHERE mutation_id < ?1",
            [from],
            |r| r.get(0),
        )?;
        if before > 0 {
            return Err(Error::Damaged(format!(
                "{before} queued changes before number {from} are not settled; the queue was not moved"
            )));
        }
        let moved = tx.execute(
            "UPDATE outbox SET mutation_id = -(mutation_id + ?2), signature = NULL
              WHERE mutation_id >= ?1",
            params![from, to - from],
        )?;
        tx.execute(
            "UPDATE outbox SET mutation_id = -mutation_id WHERE mutation_id < 0",
            [],
        )?;
        // New entries continue after the moved ones.
        tx.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(mutation_id) FROM outbox), seq))
              WHERE name = 'outbox'",
            [],
        )?;
        tx.commit()?;
        Ok(moved)
    }
}
