//! The central case store: one trait, one implementation per database.
//!
//! Handlers see only `Arc<dyn CaseStore>`; the backend is chosen once, at start-up, from the
//! database URL. A device's push is applied in one transaction that also advances the
//! device's `last_applied` and records each answer, so a crash between the writes and the
//! bookkeeping cannot happen and a repeated mutation is answered from the record. (One
//! commit per push, not per report: that is what makes a backlog drain fast.)

pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    CaseEvent, Conflict, ConsoleReport, DeviceRow, FieldChoice, IntakeHealth, Person, Task,
};
use gridwalk_protocol::{
    CaseState, CellCode, CodeTable, DeviceId, MutationId, Outcome, PhotoId, PhotoNeed, QueueStats,
    Report, ReportId, ReportPatch, TaskId, UserId, Version,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::Action;

pub use gridwalk_protocol::console::Role;

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

impl User {
    /// How the console names this person.
    #[must_use]
    pub fn person(&self) -> Person {
        Person {
            id: self.id,
            login: self.login.clone(),
            name: self.name.clone(),
            role: self.role,
            team: self.team.clone(),
        }
    }
}

/// An enrolled device, as the auth extractor finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
}

/// The domain write a mutation asks for, decided before the store is touched (or, for an
/// edit, by [`crate::edits::plan`] once the store has read the report under lock).
#[derive(Debug, Clone)]
pub enum Effect {
    /// Insert a new report; if one with the same ID exists, the mutation is a repeat under
    /// another number and is answered as applied only when the record is identical.
    InsertReport(Box<Report>),
    /// Merge a device's edit into a held report.
    EditReport(Box<EditEffect>),
    /// A step of the case loop a device took (a verification done in the field); refused
    /// steps are answered as rejected, in words.
    Step(Box<Step>),
    /// Write nothing; answer with this reason.
    Reject(String),
}

/// A device's edit, with what [`crate::edits::plan`] needs besides the stored versions.
#[derive(Debug, Clone)]
pub struct EditEffect {
    pub report: ReportId,
    pub base_version: Version,
    pub patch: ReportPatch,
    pub device: Device,
    pub tables: Arc<Vec<CodeTable>>,
    pub now: DateTime<Utc>,
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
    pub state: CaseState,
    pub version: Version,
    pub received_at: DateTime<Utc>,
    /// The earlier report this one likely duplicates ([`crate::duplicates`]).
    pub duplicate_of: Option<ReportId>,
    /// When the report was removed at the centre (it stays, as a tombstone).
    pub deleted_at: Option<DateTime<Utc>>,
    /// The centre's word to the inspector (a return comment or a reject reason).
    pub note: Option<String>,
    pub merged_into: Option<ReportId>,
    pub case_no: Option<String>,
}

/// Who made a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Author {
    pub user: Option<UserId>,
    /// The device, for a version made by a device's edit.
    pub device: Option<DeviceId>,
    pub mutation: Option<MutationId>,
}

/// One version of a report: the audit trail, and the bases edits merge against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportVersion {
    pub version: Version,
    pub record: Report,
    /// The change that made it (none for version 1).
    pub patch: Option<ReportPatch>,
    pub by: Author,
    pub at: DateTime<Utc>,
}

/// What a feed row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    Report,
    CodeTable,
    Cell,
    Task,
}

impl FeedKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FeedKind::Report => "report",
            FeedKind::CodeTable => "code_table",
            FeedKind::Cell => "cell",
            FeedKind::Task => "task",
        }
    }

    pub(crate) fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "report" => Ok(FeedKind::Report),
            "code_table" => Ok(FeedKind::CodeTable),
            "cell" => Ok(FeedKind::Cell),
            "task" => Ok(FeedKind::Task),
            _ => Err(StoreError::Db(format!("unknown feed kind {s:?}"))),
        }
    }
}

/// One row of the change feed: the latest change of one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub seq: u64,
    pub kind: FeedKind,
    pub entity: String,
}

/// A page of feed rows a user may see, read in one snapshot with the feed's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// Names this database; a cursor from another one cannot continue.
    pub epoch: String,
    /// The newest sequence number of a pruned tombstone.
    pub horizon: u64,
    /// The newest sequence number handed out (every row up to it is visible here).
    pub last_seq: u64,
    pub rows: Vec<FeedRow>,
}

/// A change a write makes visible in the feed (written with the write, in its transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touch {
    pub kind: FeedKind,
    pub entity: String,
    /// Only this user sees it.
    pub user: Option<UserId>,
    /// Only users with this cell see it.
    pub cell: Option<String>,
    pub tombstone: bool,
}

impl Touch {
    pub(crate) fn report(id: ReportId, reporter: UserId) -> Self {
        Self {
            kind: FeedKind::Report,
            entity: id.to_string(),
            user: Some(reporter),
            cell: None,
            tombstone: false,
        }
    }
}

/// One step of the case loop to apply: the store reads the report's state under its lock,
/// asks [`crate::cases::next`], and writes the new state, the case event and what the step
/// leads to (a case number, a deadline, a verification task) in one transaction.
#[derive(Debug, Clone)]
pub struct Step {
    pub report: ReportId,
    pub action: Action,
    /// The state the person saw; another one means someone acted first.
    pub seen: Option<CaseState>,
    pub by: Author,
    pub at: DateTime<Utc>,
    /// For a dispatch or a failed verification: the deadline to handle it by.
    pub due_at: Option<DateTime<Utc>>,
    /// For `handled`: when the verification task is due.
    pub task_due: Option<DateTime<Utc>>,
    /// For an approval: the local date the case number runs under (`20261121`).
    pub day: String,
    /// For a verification from a device: which task, the inspector's note and photos.
    pub task: Option<TaskDone>,
}

/// A verification task as an inspector completed it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDone {
    pub id: TaskId,
    pub note: Option<String>,
    pub photos: Vec<gridwalk_protocol::PhotoRef>,
}

/// How a step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stepped {
    /// Done: the report is in this state now.
    Done {
        state: CaseState,
        case_no: Option<String>,
    },
    /// Not done, and why, in words for the person who tried.
    Refused(String),
}

/// An operator's resolution of a conflict, as the store writes it: the report's next
/// version (`record`, made by `patch` from `expected_version`) and the values chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub conflict: Uuid,
    pub record: Report,
    pub expected_version: Version,
    pub patch: ReportPatch,
    pub choices: Vec<FieldChoice>,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// Which reports a console list wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Any of these states (all, if empty).
    pub states: Vec<CaseState>,
    /// Only reports by members of this team.
    pub team: Option<String>,
    pub limit: usize,
}

/// The facts of one report the evaluation counts from ([`crate::evaluation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub report: ReportId,
    pub reporter: UserId,
    pub reporter_name: String,
    pub team: Option<String>,
    pub cell: Option<CellCode>,
    pub received_at: DateTime<Utc>,
    pub state: CaseState,
    pub events: Vec<CaseEvent>,
    pub tasks: Vec<Task>,
}

/// Drops repeated touches of the same thing (the last one wins), keeping their order.
pub(crate) fn distinct(touches: Vec<Touch>) -> Vec<Touch> {
    let mut out: Vec<Touch> = Vec::with_capacity(touches.len());
    for t in touches {
        out.retain(|o| !(o.kind == t.kind && o.entity == t.entity));
        out.push(t);
    }
    out
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
    /// The write expected another version than the one held (someone changed it first).
    #[error("{0}")]
    Stale(String),
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
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;

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
    /// The reports with these IDs that exist, in no particular order.
    async fn reports(&self, ids: &[ReportId]) -> StoreResult<Vec<StoredReport>>;
    async fn report_count(&self) -> StoreResult<u64>;

    // Versions, central changes and conflicts.

    /// Writes `record` as the next version of its report, if the report is at
    /// `expected_version` (else [`StoreError::Stale`]); `patch` is what changed. The
    /// report's photos follow the record. Returns the new version.
    async fn write_version(
        &self,
        record: &Report,
        expected_version: Version,
        patch: &ReportPatch,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Version>;
    /// Removes a report at the centre: it stays, marked deleted, and devices get a tombstone.
    async fn delete_report(&self, id: ReportId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Every version of a report, oldest first.
    async fn report_versions(&self, id: ReportId) -> StoreResult<Vec<ReportVersion>>;
    /// The conflicts opened on a report, oldest first.
    async fn conflicts(&self, report: ReportId) -> StoreResult<Vec<Conflict>>;

    // The change feed.

    /// Up to `limit` feed rows after `after` that `user` (with `cells`) may see, in order.
    async fn feed(
        &self,
        user: UserId,
        cells: &[CellCode],
        after: u64,
        limit: usize,
    ) -> StoreResult<FeedPage>;
    /// Grid cells (code, GeoJSON Feature text) with these codes.
    async fn cells(&self, codes: &[String]) -> StoreResult<Vec<(CellCode, String)>>;
    /// Forgets tombstones written before `before`; cursors older than the newest of them
    /// must then resync. Returns how many were forgotten.
    async fn prune_feed(&self, before: DateTime<Utc>) -> StoreResult<u64>;

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

    // The case loop.

    /// Applies one step of the case loop ([`Step`]) in one transaction.
    async fn step(&self, step: &Step) -> StoreResult<Stepped>;
    /// Reports with their reporter, arrived photos and case, newest state change first.
    async fn console_reports(&self, filter: &ReportFilter) -> StoreResult<Vec<ConsoleReport>>;
    /// These reports, as [`CaseStore::console_reports`] shows them.
    async fn console_reports_by_id(&self, ids: &[ReportId]) -> StoreResult<Vec<ConsoleReport>>;
    /// Reports related to this one: the one it likely duplicates, those that likely
    /// duplicate it, and those merged into it.
    async fn related_reports(&self, id: ReportId) -> StoreResult<Vec<ReportId>>;
    /// The steps of the loop a report went through, oldest first.
    async fn case_events(&self, id: ReportId) -> StoreResult<Vec<CaseEvent>>;
    /// The tasks about a report, oldest first.
    async fn report_tasks(&self, id: ReportId) -> StoreResult<Vec<Task>>;
    async fn task(&self, id: TaskId) -> StoreResult<Option<Task>>;
    /// What the evaluation counts, for reports received in `from..to`.
    async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseFacts>>;

    // The console.

    /// Every enrolled device with its owner, last contact and backlog.
    async fn device_board(&self) -> StoreResult<Vec<DeviceRow>>;
    /// How intake is going.
    async fn intake_health(&self) -> StoreResult<IntakeHealth>;
    /// Conflicts waiting for an operator, oldest first.
    async fn open_conflicts(&self) -> StoreResult<Vec<Conflict>>;
    async fn conflict(&self, id: Uuid) -> StoreResult<Option<Conflict>>;
    /// Writes `record` as the report's next version (it must be at `expected_version`, else
    /// [`StoreError::Stale`]) and marks the conflict resolved with `choices`, in one
    /// transaction. Returns the new version.
    async fn resolve_conflict(&self, r: &Resolution) -> StoreResult<Version>;
    /// Sets (or with `None` clears) a person's console password hash.
    async fn set_password(&self, user: UserId, hash: Option<&str>) -> StoreResult<()>;
    /// A person and their password hash, by login.
    async fn password_hash(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>>;
    async fn create_session(
        &self,
        token_sha256: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The person a live session belongs to.
    async fn session_user(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    async fn end_session(&self, token_sha256: &str) -> StoreResult<()>;
    /// Stores a named document (the case rules), replacing an older one.
    async fn put_document(&self, name: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn document(&self, name: &str) -> StoreResult<Option<String>>;
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
