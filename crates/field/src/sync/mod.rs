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
//!
//! **Logs.** Every round runs in a `sync_round` span carrying the device ID and the round's
//! number in this process. A round ends with one `info` event counting what it did (or one
//! `warn` event with the failure's kind and cause); a retry says how long it waits. The
//! phases log at `debug`: each push batch and how the centre answered it, each photo, each
//! pulled page. Only IDs, counts and error kinds are logged: never a report's words, a
//! person's name or the device token.

pub mod centre_photos;
pub mod client;
pub mod photos;
pub mod plan;
pub mod pull;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gridwalk_protocol::message::Message;
use gridwalk_protocol::{MutationBody, PushRequest, PushResponse, QueueStats};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tracing::{Instrument, debug, error, info, warn};

pub use client::{SyncClient, SyncSettings, Transport};
pub use photos::{PendingPhoto, PhotoOutcome};
use plan::Settle;

use crate::engine::{Engine, from_json, to_json};
use crate::error::{Error, Result};

/// How many mutations go in one push: as many as the centre takes.
pub const BATCH: usize = gridwalk_protocol::validate::MAX_MUTATIONS_PER_PUSH;

/// How many times one sync round moves the queue's numbers when the centre says they were
/// used before ([`Error::NumberReused`]).
const MAX_RENUMBERS: u32 = 2;

/// How syncing has gone, for the queue screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub configured: bool,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failure, in English words; cleared by a success.
    pub last_error: Option<String>,
    /// Its kind ([`Error::kind`]).
    pub last_error_kind: Option<String>,
    /// The same failure as a message of the catalogue, for the app to say in the
    /// inspector's language (absent for a failure an older version recorded in words).
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Message>"))]
    pub last_said: Option<Message>,
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

    fn add(&mut self, o: &SyncOutcome) {
        self.sent += o.sent;
        self.rejected += o.rejected;
        self.edited += o.edited;
        self.conflicts += o.conflicts;
        self.edits_refused += o.edits_refused;
        self.tasks += o.tasks;
        self.tasks_refused += o.tasks_refused;
        self.photos.uploaded += o.photos.uploaded;
        self.photos.already_held += o.photos.already_held;
        self.photos.refused += o.photos.refused;
        self.photos.bytes_sent += o.photos.bytes_sent;
        self.pulled += o.pulled;
    }
}

impl Engine {
    /// How syncing has gone.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let configured = self.sync_settings()?.is_some();
        Ok(self.db().query_row(
            "SELECT ?1, last_attempt_at,
                    last_success_at, last_error, failures, last_error_kind FROM sync_state",
            [configured],
            |r| {
                // Kept as the message's JSON; older versions kept English words.
                let stored: Option<String> = r.get(3)?;
                let said = stored
                    .as_deref()
                    .and_then(|s| serde_json::from_str::<Message>(s).ok());
                Ok(SyncStatus {
                    configured: r.get(0)?,
                    last_attempt_at: r.get(1)?,
                    last_success_at: r.get(2)?,
                    last_error: said.as_ref().map(Message::english).or(stored),
                    last_error_kind: r.get(5)?,
                    last_said: said,
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
            device_model: crate::platform::device_model(),
            queue: QueueStats {
                reports: q.pending_reports,
                photos: q.pending_photos,
                bytes: q.pending_bytes,
            },
            mutations,
            public_key: Some(self.public_key()?),
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
                    ("'rejected'", Some(reason.to_json()))
                }
                Settle::Edited => {
                    outcome.edited += 1;
                    (next, None)
                }
                Settle::EditConflict { note } => {
                    outcome.conflicts += 1;
                    (next, Some(note.to_json()))
                }
                Settle::EditRefused { note } => {
                    outcome.edits_refused += 1;
                    pull::restore_central(&tx, &report)?;
                    (next, Some(note.to_json()))
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
                            params![task.to_string(), note.to_json()],
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
        let said = serde_json::to_string(&error.message())
            .map_err(|e| Error::Damaged(format!("an error that cannot be kept: {e}")))?;
        tx.execute(
            "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, last_error_kind = ?3,
                    failures = failures + 1",
            params![self.now(), said, error.kind()],
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
            .instrument(self.round_span())
            .await
            .map(|()| done)
    }

    /// The span of the next sync round: this device, and the round's number since the
    /// engine was opened, so a round's events can be told from the next one's.
    fn round_span(&self) -> tracing::Span {
        let round = self.sync_rounds.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info_span!("sync_round", device = %self.device_id(), round)
    }

    /// A round whose success or failure is recorded and logged; what it did before a
    /// failure is added to `done` all the same.
    async fn sync_recorded(
        &self,
        client: &SyncClient,
        app_version: &str,
        done: &mut SyncOutcome,
    ) -> Result<()> {
        let started = Instant::now();
        let mut this = SyncOutcome::default();
        let result = self.sync_round(client, app_version, &mut this).await;
        done.add(&this);
        let elapsed_ms = millis(started.elapsed());
        match &result {
            Ok(()) => {
                self.record_sync_success()?;
                // Room back from photos the centre has held long enough; a failure here
                // is the storage's, not the sync's.
                match self.release_held_photos() {
                    Ok(r) if r.originals + r.derivatives > 0 => info!(
                        originals = r.originals,
                        derivatives = r.derivatives,
                        bytes = r.bytes,
                        "photo files the centre holds removed"
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        warn!(kind = e.kind(), error = %e, "removing held photo files failed")
                    }
                }
                info!(
                    sent = this.sent,
                    rejected = this.rejected,
                    edited = this.edited,
                    conflicts = this.conflicts,
                    edits_refused = this.edits_refused,
                    tasks = this.tasks,
                    tasks_refused = this.tasks_refused,
                    photos_uploaded = this.photos.uploaded,
                    photos_already_held = this.photos.already_held,
                    photos_refused = this.photos.refused,
                    photo_bytes_sent = this.photos.bytes_sent,
                    pulled = this.pulled,
                    elapsed_ms,
                    "sync round finished"
                );
            }
            Err(e) => {
                self.record_sync_failure(e)?;
                warn!(
                    kind = e.kind(),
                    error = %e,
                    settled = this.settled(),
                    photos_uploaded = this.photos.uploaded,
                    elapsed_ms,
                    "sync round failed"
                );
            }
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
            let span = self.round_span();
            match self
                .sync_recorded(client, app_version, &mut total)
                .instrument(span.clone())
                .await
            {
                Ok(()) => {
                    if !self.work_left()? {
                        return Ok(total);
                    }
                    failures = 0;
                }
                Err(e) if e.is_retryable() => {
                    failures += 1;
                    if policy.max_failures.is_some_and(|max| failures >= max) {
                        span.in_scope(|| {
                            error!(failures, kind = e.kind(), error = %e, "sync gave up");
                        });
                        return Err(e);
                    }
                    let wait = plan::backoff(failures - 1, policy.base, policy.cap, rand::random());
                    span.in_scope(|| {
                        info!(
                            failures,
                            retry_in_ms = millis(wait),
                            kind = e.kind(),
                            "sync round will be retried"
                        );
                    });
                    match wake {
                        Some(w) => {
                            let _ = tokio::time::timeout(wait, w.notified()).await;
                        }
                        None => tokio::time::sleep(wait).await,
                    }
                }
                Err(e) => {
                    span.in_scope(|| {
                        error!(kind = e.kind(), error = %e, "sync stopped: waiting cannot fix this");
                    });
                    return Err(e);
                }
            }
        }
    }

    /// The round itself, counting into `round` as it goes.
    async fn sync_round(
        &self,
        client: &SyncClient,
        app_version: &str,
        round: &mut SyncOutcome,
    ) -> Result<()> {
        let mut moves = 0;
        loop {
            let request = self.push_request(app_version)?;
            let last = request.mutations.len() < BATCH;
            debug!(
                mutations = request.mutations.len(),
                queued_reports = request.queue.reports,
                queued_photos = request.queue.photos,
                "push"
            );
            let response = match client.push(&request).await {
                // This database went back in time: move the queue to where the centre's
                // numbers continue, and send again. Once is what a restore needs; a
                // centre that keeps asking is not followed far.
                Err(Error::NumberReused { from, expected }) if moves < MAX_RENUMBERS => {
                    moves += 1;
                    self.move_reused(client, &request, from, expected, round)
                        .await?;
                    continue;
                }
                r => r?,
            };
            let o = self.settle_push(&response)?;
            debug!(
                answers = response.results.len(),
                applied = o.sent,
                rejected = o.rejected,
                edited = o.edited,
                conflicts = o.conflicts,
                edits_refused = o.edits_refused,
                tasks = o.tasks,
                tasks_refused = o.tasks_refused,
                repeats = response.results.len().saturating_sub(o.settled()),
                "push answered"
            );
            round.add(&o);
            if last || o.settled() == 0 {
                break;
            }
        }
        self.upload_photos_into(client, &mut round.photos).await?;
        if round.photos.uploaded + round.photos.already_held > 0 {
            // Tell the centre the backlog is smaller now.
            let request = self.push_request(app_version)?;
            if request.mutations.is_empty() {
                debug!(
                    queued_photos = request.queue.photos,
                    "push of the smaller backlog"
                );
                client.push(&request).await?;
            }
        }
        round.pulled += self.pull(client).await?;
        // The department's after-photos the tasks name: worth having, never worth failing
        // a round for (they are asked for again next time).
        match self.fetch_centre_photos(client).await {
            Ok(0) => {}
            Ok(n) => debug!(n, "after-photos fetched"),
            Err(e) => warn!(error = %e, "after-photos not fetched this round"),
        }
        Ok(())
    }
}

impl Engine {
    /// Answers the centre's `number_reused` for the push `sent`: the entries before
    /// `from` are repeats of what the centre applied, so they are sent alone first and
    /// settled from its record (moving them would apply them twice); then the rest of the
    /// queue moves from `from` to `expected`, leaving no hole. An answer that does not fit
    /// the push (a number it did not hold, a move far beyond any backlog) is not followed.
    async fn move_reused(
        &self,
        client: &SyncClient,
        sent: &PushRequest,
        from: u64,
        expected: u64,
        round: &mut SyncOutcome,
    ) -> Result<()> {
        if !plan::fits_reuse(sent.mutations.iter().map(|m| m.id), from, expected) {
            return Err(Error::Server(format!(
                "the centre asked to move this device's changes from number {from} to {expected}, which does not fit what was sent; nothing was moved"
            )));
        }
        let before: Vec<_> = sent
            .mutations
            .iter()
            .filter(|m| m.id < from)
            .cloned()
            .collect();
        if !before.is_empty() {
            let repeats = PushRequest {
                mutations: before,
                ..sent.clone()
            };
            let o = self.settle_push(&client.push(&repeats).await?)?;
            round.add(&o);
        }
        let moved = self.renumber_outbox(from, expected)?;
        warn!(from, expected, moved, "queue renumbered for the centre");
        Ok(())
    }
}

/// Whole milliseconds, for a log field.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
