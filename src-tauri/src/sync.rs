//! The sync worker: sends the queue whenever it can, without anyone pressing a button.
//!
//! One task runs for the life of the app. It does a round (push, photos, pull) when the
//! app starts, and whenever it is woken: a report was submitted or changed, the WebView saw the network come back
//! (`online`), the app came back to the front (`visibilitychange`), or the inspector
//! pressed "sync now". Between wakes it waits [`next_wait`]: straight on while work is
//! left after a good round, by exponential backoff with full jitter after failures (a
//! whole district coming back online at once must not stampede the centre), and otherwise
//! a few minutes, so decisions from the centre (a returned report) still arrive.
//!
//! Rounds never overlap: "sync now" and the worker take the same lock, so the outbox is
//! pushed by one round at a time. After each round the UI is told (`sync` event) to
//! refresh what it shows.

use std::time::Duration;

use gridwalk_field::sync::{RetryPolicy, SyncClient, SyncOutcome, plan};
use gridwalk_field::{Engine, Error};
use tauri::{AppHandle, Emitter};
use tokio::sync::{Mutex, Notify};

/// How long the worker rests when nothing is waiting.
pub const IDLE: Duration = Duration::from_secs(300);

/// The event the UI listens to; its payload is the round's outcome, or null after a
/// failure (the failure is in the sync status, in words).
pub const EVENT: &str = "sync";

/// How a round ended, as far as the next wait is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Nothing left to send.
    Done,
    /// Good, but more is waiting (submitted during the round, or over a batch).
    MoreLeft,
    /// Failed; trying again later may help. The number of such failures in a row.
    Retryable(u32),
    /// Failed in a way waiting cannot fix (not set up, not recognised).
    Stuck,
}

/// How long to wait before the next round (a pure function of how the last one ended;
/// `jitter` in `[0, 1)`).
#[must_use]
pub fn next_wait(ended: Ended, policy: &RetryPolicy, jitter: f64) -> Duration {
    match ended {
        Ended::MoreLeft => Duration::ZERO,
        Ended::Retryable(n) => plan::backoff(n.saturating_sub(1), policy.base, policy.cap, jitter),
        Ended::Done | Ended::Stuck => IDLE,
    }
}

/// The worker's shared half: the wake signal and the round lock.
#[derive(Debug)]
pub struct SyncWorker {
    wake: Notify,
    round: Mutex<()>,
    app: AppHandle,
}

impl SyncWorker {
    #[must_use]
    pub fn new(app: AppHandle) -> Self {
        Self {
            wake: Notify::new(),
            round: Mutex::new(()),
            app,
        }
    }

    /// Asks for a round as soon as possible (a wake while a round runs gives another).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// One round now, after any round already running.
    pub async fn round_now(&self, engine: &Engine) -> Result<SyncOutcome, Error> {
        let _one_at_a_time = self.round.lock().await;
        let settings = engine.sync_settings()?.ok_or(Error::SyncNotConfigured)?;
        let client = SyncClient::new(&settings)?;
        let result = engine.sync_once(&client, env!("CARGO_PKG_VERSION")).await;
        // The UI refreshes on this; if it cannot be told, it refreshes on its own timer.
        let _ = self.app.emit(EVENT, result.as_ref().ok());
        result
    }

    /// The worker loop; never returns.
    pub async fn run(&self, engine: &Engine) {
        let policy = RetryPolicy::default();
        let mut failures = 0;
        // A round at once on start: yesterday's queue goes as soon as there is signal.
        let mut ended = Ended::MoreLeft;
        loop {
            let wait = next_wait(ended, &policy, rand::random());
            if !wait.is_zero() {
                let _ = tokio::time::timeout(wait, self.wake.notified()).await;
            }
            ended = match self.round_now(engine).await {
                Ok(_) => {
                    failures = 0;
                    if engine.work_left().unwrap_or(false) {
                        Ended::MoreLeft
                    } else {
                        Ended::Done
                    }
                }
                Err(e) if e.is_retryable() => {
                    failures += 1;
                    Ended::Retryable(failures)
                }
                Err(_) => {
                    failures = 0;
                    Ended::Stuck
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_follow_how_the_round_ended() {
        let p = RetryPolicy::default();
        assert_eq!(next_wait(Ended::MoreLeft, &p, 0.5), Duration::ZERO);
        assert_eq!(next_wait(Ended::Done, &p, 0.5), IDLE);
        assert_eq!(next_wait(Ended::Stuck, &p, 0.5), IDLE);
        // Full jitter: never more than the doubled base, capped.
        let first = next_wait(Ended::Retryable(1), &p, 0.999);
        let tenth = next_wait(Ended::Retryable(10), &p, 0.999);
        assert!(first <= p.base, "{first:?}");
        assert!(tenth > first && tenth <= p.cap, "{tenth:?}");
    }
}
