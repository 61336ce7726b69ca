//! The central case store: one trait, one implementation per database.
//!
//! Handlers see only `Arc<dyn CaseStore>`; the backend is chosen once, at start-up, from the
//! database URL. Every write that answers a device mutation is one transaction that also
//! advances the device's `last_applied` and records the answer, so a crash between the two
//! cannot happen and a repeated mutation is answered from the record.

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{CellCode, DeviceId, MutationId, Outcome, QueueStats, Report, UserId};
use serde::{Deserialize, Serialize};

/// What a person does in the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Inspector,
    Leader,
    Operator,
}

/// A person, as the admin commands create them (fields as in `fixtures/users.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub cells: Vec<CellCode>,
    #[serde(default)]
    pub badge: Option<String>,
    #[serde(default)]
    pub camera_serial: Option<String>,
}

/// An enrolled device, as the auth extractor finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
}

/// The domain write a mutation asks for, decided before the store is touched.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Insert a new report; if one with the same ID exists, the mutation is a repeat under
    /// another number and is answered as applied only when the record is identical.
    InsertReport(Box<Report>),
    /// Write nothing; answer with this reason.
    Reject(String),
}

/// The result of offering one mutation to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied now, or answered from the record of an earlier identical attempt.
    Answer(Outcome),
    /// The mutation number skips ahead; nothing was written.
    Gap { expected: MutationId },
}

/// A report as the centre holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredReport {
    pub report: Report,
    pub state: String,
    pub version: i64,
    pub received_at: DateTime<Utc>,
}

/// Storage errors: the database failed, or what it holds cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(String),
    #[error("not found: {0}")]
    NotFound(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Where mutation `id` stands against the device's last applied number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sequence {
    /// Already applied: answer from the record.
    Repeat,
    /// The next one: apply it.
    Next,
    /// Skips ahead: refuse, naming the number expected.
    Gap { expected: MutationId },
}

/// Orders a device's mutations: each is applied once, in number order, with no holes.
pub(crate) fn sequence(id: MutationId, last_applied: MutationId) -> Sequence {
    if id <= last_applied {
        Sequence::Repeat
    } else if id == last_applied + 1 {
        Sequence::Next
    } else {
        Sequence::Gap {
            expected: last_applied + 1,
        }
    }
}

/// The answer to a repeated mutation whose recorded answer is gone (kept answers may be
/// pruned one day); it never re-applies anything.
pub(crate) fn forgotten(id: MutationId) -> Outcome {
    Outcome::Rejected {
        reason: format!("mutation {id} was applied long ago and its answer is no longer kept"),
    }
}

/// A report ID the centre already holds, sent again under another mutation number: the
/// same record is simply acknowledged; a different one is refused, never overwritten.
pub(crate) fn resubmitted(held: &Report, sent: &Report) -> Outcome {
    if held == sent {
        Outcome::Applied
    } else {
        Outcome::Rejected {
            reason: format!(
                "report {} was already received with different content",
                sent.id
            ),
        }
    }
}

/// The state a newly received report starts in: complete only once its photos are in.
pub(crate) fn intake_state(report: &Report) -> &'static str {
    if report.photos.is_empty() {
        "pending_review"
    } else {
        "awaiting_photos"
    }
}

/// Everything the server persists.
#[async_trait]
pub trait CaseStore: Send + Sync + std::fmt::Debug {
    /// Creates or updates a user by login.
    async fn put_user(&self, user: &User) -> StoreResult<()>;
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;

    /// Enrolls (or re-enrolls, replacing its token) a device for a user.
    async fn enroll_device(
        &self,
        device: DeviceId,
        user: UserId,
        token_sha256: &str,
    ) -> StoreResult<()>;
    async fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>>;
    /// Records that a device was seen, with its app version and backlog.
    async fn device_seen(
        &self,
        device: DeviceId,
        app_version: &str,
        queue: QueueStats,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The highest mutation number applied for a device.
    async fn last_applied(&self, device: DeviceId) -> StoreResult<MutationId>;

    /// Offers mutation `id` of `device` with its decided effect, in one transaction.
    async fn apply(
        &self,
        device: DeviceId,
        id: MutationId,
        effect: Effect,
        at: DateTime<Utc>,
    ) -> StoreResult<Applied>;

    /// Stores a code table file's text under its version.
    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()>;
    /// Every stored code table file, by version.
    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>>;
    /// Stores grid cells (code, GeoJSON Feature text), replacing those with the same code.
    async fn put_cells(&self, cells: &[(CellCode, String)]) -> StoreResult<usize>;

    async fn report(&self, id: gridwalk_protocol::ReportId) -> StoreResult<Option<StoredReport>>;
    async fn report_count(&self) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_sequenced_without_holes() {
        assert_eq!(sequence(1, 0), Sequence::Next);
        assert_eq!(sequence(5, 5), Sequence::Repeat);
        assert_eq!(sequence(2, 5), Sequence::Repeat);
        assert_eq!(sequence(6, 5), Sequence::Next);
        assert_eq!(sequence(8, 5), Sequence::Gap { expected: 6 });
        assert_eq!(sequence(1, u64::MAX - 1), Sequence::Repeat);
    }
}
