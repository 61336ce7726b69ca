//! Sync: sending the outbox to the centre and settling what it answers.
//!
//! The order of work is fixed by the protocol: mutations go in the order they were made, in
//! batches; each answer is settled locally in one transaction (outbox entry removed, report
//! marked sent or rejected with the centre's reason). Nothing is deleted before the centre
//! has answered for it, so a dropped connection at any point only means the same batch is
//! sent again, and the centre answers a repeat exactly as before.
//!
//! After the records, the photos ([`photos`]): only once the centre holds a report does
//! it take that report's photos, so it can check each against the record's SHA-256.
//! Last, the device pulls what changed at the centre ([`pull`]): the state of its reports,
//! their versions (to base edits on), reference data.
//!
//! [`plan`] holds the pure decisions (backoff, settlement); [`client`] the HTTP exchange.

pub mod client;
pub mod photos;
pub mod plan;
pub mod pull;

use std::time::Duration;

use chrono::{DateTime, Utc};
use gridwalk_protocol::{MutationBody, PushRequest, PushResponse, QueueStats};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

pub use client::SyncClient;
pub use photos::{PendingPhoto, PhotoOutcome};
use plan::Settle;

use crate::engine::{Engine, from_json, to_json};
use crate::error::{Error, Result};

/// How many mutations go in one push.
pub const BATCH: usize = 100;

/// Where this device syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub server_url: String,
    pub token: String,
}

/// How syncing has gone, for the queue screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub configured: bool,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failure, in words an inspector understands; cleared by a success.
    pub last_error: Option<String>,
    /// Its kind ([`Error::kind`]), for the app to say it in the inspector's language.
    pub last_error_kind: Option<String>,
    /// Failed attempts since the last success.
    pub failures: u32,
}

/// How a device keeps trying when the network or the server fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait (before jitter); it doubles with each failure.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Give up after this many failed rounds in a row (`None`: never).
    pub max_failures: Option<u32>,
}

impl Default for RetryPolicy {
    /// One second doubling to five minutes: quick after a brief drop-out, gentle on the
    /// server when a whole district comes back online at once.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            max_failures: None,
        }
    }
}

/// What one successful sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncOutcome {
    /// Reports the centre applied.
    pub sent: usize,
    /// Reports the centre refused (each keeps the reason).
    pub rejected: usize,
    /// Changes to reports the centre took (as sent or merged with its own).
    pub edited: usize,
    /// Changes that met a different change at the centre: an operator decides.
    pub conflicts: usize,
    /// Changes the centre refused (the report keeps the centre's version and the reason).
    pub edits_refused: usize,
    /// Verification tasks the centre recorded.
    pub tasks: usize,
    /// Verification tasks the centre refused (each reopens with the reason).
    pub tasks_refused: usize,
    pub photos: PhotoOutcome,
    /// Changes pulled from the centre's feed.
    pub pulled: usize,
}

impl SyncOutcome {
    /// Mutations answered.
    #[must_use]
    pub fn settled(&self) -> usize {
        self.sent
            + self.rejected
            + self.edited
            + self.conflicts
            + self.edits_refused
            + self.tasks
            + self.tasks_refused
    }

    fn add_push(&mut self, o: &SyncOutcome) {
        self.sent += o.sent;
        self.rejected += o.rejected;
        self.edited += o.edited;
        self.conflicts += o.conflicts;
        self.edits_refused += o.edits_refused;
    }
}

impl Engine {
    /// Sets the server and this device's token without asking the centre (the support
    /// CLI; the app uses [`Engine::enroll`]).
    pub fn configure_sync(&self, server_url: &str, token: &str) -> Result<()> {
        let settings = crate::settings::check_server(server_url, token)?;
        self.db().execute(
            "UPDATE sync_state SET server_url = ?1, token = ?2",
            params![settings.server_url, settings.token],
        )?;
        Ok(())
    }

    /// The configured server, if any.
    pub fn sync_settings(&self) -> Result<Option<SyncSettings>> {
        let (url, token): (Option<String>, Option<String>) =
            self.db()
                .query_row("SELECT server_url, token FROM sync_state", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        Ok(url
            .zip(token)
            .map(|(server_url, token)| SyncSettings { server_url, token }))
    }

    /// How syncing has gone.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        Ok(self.db().query_row(
            "SELECT server_url IS NOT NULL AND token IS NOT NULL, last_attempt_at,
                    last_success_at, last_error, failures, last_error_kind FROM sync_state",
            [],
            |r| {
                Ok(SyncStatus {
                    configured: r.get(0)?,
                    last_attempt_at: r.get(1)?,
                    last_success_at: r.get(2)?,
                    last_error: r.get(3)?,
                    last_error_kind: r.get(5)?,
                    failures: r.get(4)?,
                })
            },
        )?)
    }

    /// The next batch to push (possibly empty: it still tells the centre this device's
    /// backlog and app version).
    pub fn push_request(&self, app_version: &str) -> Result<PushRequest> {
        let mutations = self.pending_mutations(BATCH)?;
        let q = self.queue_summary()?;
        Ok(PushRequest {
            device: self.device_id(),
            app_version: app_version.to_owned(),
            queue: QueueStats {
                reports: q.pending_reports,
                photos: q.pending_photos,
                bytes: q.pending_bytes,
            },
            mutations,
        })
    }

    /// Settles a push answer in one transaction.
    pub fn settle_push(&self, response: &PushResponse) -> Result<SyncOutcome> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let now = self.now();
        let mut outcome = SyncOutcome::default();
        for r in &response.results {
            let entry: Option<(String, String)> = tx
                .query_row(
                    "DELETE FROM outbox WHERE mutation_id = ?1 RETURNING report_id, body",
                    [r.id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            // An answer for an entry already settled (a repeat) changes nothing.
            let Some((report, body)) = entry else {
                continue;
            };
            let body: MutationBody = from_json(&body)?;
            // A report with more changes still queued stays queued.
            let next = "CASE WHEN state = 'rejected' THEN 'rejected'
                             WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.report_id = reports.id)
                             THEN 'queued' ELSE 'sent' END";
            let (state, note) = match plan::settle(plan::Op::of(&body), &r.outcome) {
                Settle::Submitted => {
                    outcome.sent += 1;
                    tx.execute(
                        "UPDATE reports SET central_version = COALESCE(central_version, 1),
                                central_record = COALESCE(central_record, ?2)
                         WHERE id = ?1",
                        params![report, body.submitted().map(to_json)],
                    )?;
                    (next, None)
                }
                Settle::SubmitRefused { reason } => {
                    outcome.rejected += 1;
                    ("'rejected'", Some(reason))
                }
                Settle::Edited => {
                    outcome.edited += 1;
                    (next, None)
                }
                Settle::EditConflict { note } => {
                    outcome.conflicts += 1;
                    (next, Some(note))
                }
                Settle::EditRefused { note } => {
                    outcome.edits_refused += 1;
                    pull::restore_central(&tx, &report)?;
                    (next, Some(note))
                }
                Settle::TaskDone => {
                    outcome.tasks += 1;
                    (next, None)
                }
                Settle::TaskRefused { note } => {
                    outcome.tasks_refused += 1;
                    if let MutationBody::CompleteTask { task, .. } = &body {
                        tx.execute(
                            "UPDATE tasks SET done_at = NULL, passed = NULL, refused = ?2
                              WHERE id = ?1",
                            params![task.to_string(), note],
                        )?;
                    }
                    (next, None)
                }
            };
            tx.execute(
                &format!(
                    "UPDATE reports SET state = {state}, centre_note = ?2, updated_at = ?3
                     WHERE id = ?1"
                ),
                params![report, note, now],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Records a sync round that finished.
    pub fn record_sync_success(&self) -> Result<()> {
        self.db().execute(
            "UPDATE sync_state SET last_attempt_at = ?1, last_success_at = ?1, last_error = NULL,
                    last_error_kind = NULL, failures = 0",
            [self.now()],
        )?;
        Ok(())
    }

    /// Records a failed attempt, in words, on the sync state and the entry it blocked.
    pub fn record_sync_failure(&self, error: &Error) -> Result<()> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let words = error.to_string();
        tx.execute(
            "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, last_error_kind = ?3,
                    failures = failures + 1",
            params![self.now(), words, error.kind()],
        )?;
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1
             WHERE mutation_id = (SELECT MIN(mutation_id) FROM outbox)",
            [&words],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One sync round: the whole outbox, batch by batch, each answer settled; then the
    /// photos the centre still needs. The round's success or failure is recorded for the
    /// queue screen (in words) and returned; whatever was settled stays settled.
    pub async fn sync_once(&self, client: &SyncClient, app_version: &str) -> Result<SyncOutcome> {
        let mut done = SyncOutcome::default();
        self.sync_recorded(client, app_version, &mut done)
            .await
            .map(|()| done)
    }

    /// A round whose success or failure is recorded; what it did before a failure is
    /// counted in `done` all the same.
    async fn sync_recorded(
        &self,
        client: &SyncClient,
        app_version: &str,
        done: &mut SyncOutcome,
    ) -> Result<()> {
        let result = self.sync_round(client, app_version, done).await;
        match &result {
            Ok(()) => self.record_sync_success()?,
            Err(e) => self.record_sync_failure(e)?,
        }
        result
    }

    /// Whether reports or photos still wait for the centre. A photo the centre refused
    /// waits for the inspector, not for another round, so it does not count.
    pub fn work_left(&self) -> Result<bool> {
        Ok(self.queue_summary()?.pending_reports > 0
            || self
                .photos_to_upload()?
                .iter()
                .any(|p| p.last_error.is_none()))
    }

    /// Sync rounds until one finishes with nothing left to send, waiting between failed
    /// rounds by [`plan::backoff`] (full jitter). A wait ends early when `wake` is
    /// notified (connectivity came back, the app resumed, the inspector pressed "sync
    /// now"). Errors that waiting cannot fix (the device is not enrolled, the centre lacks
    /// its history) end the loop at once.
    pub async fn sync_until_done(
        &self,
        client: &SyncClient,
        app_version: &str,
        policy: RetryPolicy,
        wake: Option<&tokio::sync::Notify>,
    ) -> Result<SyncOutcome> {
        let mut total = SyncOutcome::default();
        let mut failures: u32 = 0;
        loop {
            match self.sync_recorded(client, app_version, &mut total).await {
                Ok(()) => {
                    if !self.work_left()? {
                        return Ok(total);
                    }
                    failures = 0;
                }
                Err(e) if e.is_retryable() => {
                    failures += 1;
                    if policy.max_failures.is_some_and(|max| failures >= max) {
                        return Err(e);
                    }
                    let wait = plan::backoff(failures - 1, policy.base, policy.cap, rand::random());
                    match wake {
                        Some(w) => {
                            let _ = tokio::time::timeout(wait, w.notified()).await;
                        }
                        None => tokio::time::sleep(wait).await,
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn sync_round(
        &self,
        client: &SyncClient,
        app_version: &str,
        total: &mut SyncOutcome,
    ) -> Result<()> {
        loop {
            let request = self.push_request(app_version)?;
            let last = request.mutations.len() < BATCH;
            let response = client.push(&request).await?;
            let o = self.settle_push(&response)?;
            total.add_push(&o);
            if last || o.settled() == 0 {
                break;
            }
        }
        let before = total.photos.uploaded + total.photos.already_held;
        self.upload_photos_into(client, &mut total.photos).await?;
        if total.photos.uploaded + total.photos.already_held > before {
            // Tell the centre the backlog is smaller now.
            let request = self.push_request(app_version)?;
            if request.mutations.is_empty() {
                client.push(&request).await?;
            }
        }
        total.pulled += self.pull(client).await?;
        Ok(())
    }
}
