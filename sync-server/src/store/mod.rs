//! The central case store: one trait, one implementation per database.
//!
//! Handlers see only `Arc<dyn CaseStore>`; the backend is chosen once, at start-up, from the
//! database URL. A device's push is applied in one transaction that also advances the
//! device's `last_applied` and records each answer, so a crash between the writes and the
//! bookkeeping cannot happen and a repeated mutation is answered from the record. (One
//! commit per push, not per report: that is what makes a backlog drain fast.)

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{
    CellCode, DeviceId, MutationId, Outcome, PhotoId, PhotoNeed, QueueStats, Report, ReportId,
    UserId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The earlier report this one likely duplicates ([`crate::duplicates`]).
    pub duplicate_of: Option<ReportId>,
}

/// A tus upload of one photo of one received report, as the store keeps it. Its bytes so
/// far are [`UploadPart`]s in the blob store; `received` is the tus offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: Uuid,
    pub device: DeviceId,
    pub report: ReportId,
    pub photo: PhotoId,
    pub length: u64,
    pub received: u64,
    /// The `Upload-Metadata` header as the client sent it, echoed on `HEAD`.
    pub metadata: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One accepted `PATCH` (or creation body) of an upload: bytes `start..start + length`,
/// held in the blob store under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart {
    pub start: u64,
    pub length: u64,
    pub key: String,
}

/// What a received report says one of its photos must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoSlot {
    pub sha256: String,
    pub bytes: u64,
    /// A blob with this SHA-256 is already held.
    pub arrived: bool,
}

/// A photo whose bytes have been stored and checked against its report's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedPhoto {
    pub sha256: String,
    pub bytes: u64,
    pub at: DateTime<Utc>,
}

/// The result of recording a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Recorded; the upload now holds this many bytes.
    Now { received: u64 },
    /// The part did not start where the upload stands (another request got there first).
    Moved { received: u64 },
    /// The upload no longer exists.
    Gone,
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

    /// Offers a device's consecutive mutations, each with its decided effect, in one
    /// transaction: the domain writes, the recorded answers and the device's new
    /// `last_applied` commit together or not at all. Answers come back in order and stop
    /// after the first gap.
    async fn apply(
        &self,
        device: DeviceId,
        batch: Vec<(MutationId, Effect)>,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Applied>>;

    /// Stores a code table file's text under its version.
    async fn put_code_table(&self, version: &str, body: &str) -> StoreResult<()>;
    /// Every stored code table file, by version.
    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>>;
    /// Stores grid cells (code, GeoJSON Feature text), replacing those with the same code.
    async fn put_cells(&self, cells: &[(CellCode, String)]) -> StoreResult<usize>;

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>>;
    async fn report_count(&self) -> StoreResult<u64>;

    // Photos and their uploads.

    /// What `device`'s report `report` says photo `photo` must be; `None` if no such report
    /// from this device lists it.
    async fn photo_slot(
        &self,
        device: DeviceId,
        report: ReportId,
        photo: PhotoId,
    ) -> StoreResult<Option<PhotoSlot>>;
    /// For each photo ID, whether the centre still needs its bytes from `device`.
    async fn photo_needs(
        &self,
        device: DeviceId,
        photos: &[PhotoId],
    ) -> StoreResult<Vec<(PhotoId, PhotoNeed)>>;
    async fn create_upload(&self, upload: &Upload) -> StoreResult<()>;
    async fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>>;
    /// The parts recorded so far, in order.
    async fn upload_parts(&self, id: Uuid) -> StoreResult<Vec<UploadPart>>;
    /// Records `part` if it starts where the upload stands, and renews its expiry, in one
    /// transaction. With `arrived`, the part completes the upload instead: its part records
    /// are dropped (the bytes are in the photo now), the blob is recorded as held, every
    /// report photo with its SHA-256 is marked arrived, and each report whose photos are
    /// now all in moves from `awaiting_photos` to `pending_review`.
    async fn append_upload(
        &self,
        id: Uuid,
        part: &UploadPart,
        expires_at: DateTime<Utc>,
        arrived: Option<&ArrivedPhoto>,
    ) -> StoreResult<Appended>;
    /// Deletes an upload and its part records (the caller removes the objects).
    async fn delete_upload(&self, id: Uuid) -> StoreResult<()>;
    /// Uploads whose expiry has passed, finished or not.
    async fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
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
