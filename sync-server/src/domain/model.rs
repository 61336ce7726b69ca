//! What the centre keeps: people and their devices, reports as the centre holds them with
//! every version, photo uploads in progress, and the rows of the change feed. These are
//! the values the store loads and writes and the decisions in [`crate::domain`] take; the
//! wire types devices and the console see are in `gridwalk_protocol`.

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::console::{CaseEvent, Person, Task};
use gridwalk_protocol::{
    CaseState, CategoryCode, CellCode, DeviceId, Kind, MutationId, PhotoId, Report, ReportId,
    ReportPatch, Urgency, UserId, Version,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::queue::{Cursor, Due, QueueFlag, SearchTerm};

pub use gridwalk_protocol::console::{AuditEntry as AdminAct, EnrolledDevice as DeviceEntry, Role};

/// A person, as the admin commands create them (fields as in `fixtures/users.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub team: Option<String>,
    /// The department (its code in the case rules) a department's clerk works for.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub cells: Vec<CellCode>,
    #[serde(default)]
    pub badge: Option<String>,
    #[serde(default)]
    pub camera_serial: Option<String>,
    /// The port a service account files for (12345 hotline, the public page, …).
    #[serde(default)]
    pub source: Option<gridwalk_protocol::intake::Source>,
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
            department: self.department.clone(),
        }
    }
}

/// An enrolled device, as the auth extractor finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
    /// The role of the person it is enrolled for (an inspector, unless that changed since).
    pub role: Role,
}

/// A mutation's signature as the centre keeps it ([`crate::domain::signatures`]): the key
/// it was checked against, the signature, and the canonical form that was signed (text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMutation {
    pub id: MutationId,
    pub public_key: String,
    pub signature: String,
    pub form: String,
}

/// A report as the centre holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredReport {
    pub report: Report,
    pub state: CaseState,
    pub version: Version,
    pub received_at: DateTime<Utc>,
    /// The earlier report this one likely duplicates ([`crate::domain::duplicates`]).
    pub duplicate_of: Option<ReportId>,
    /// When the report was removed at the centre (it stays, as a tombstone).
    pub deleted_at: Option<DateTime<Utc>>,
    /// The centre's word to the inspector (a return comment or a reject reason).
    pub note: Option<String>,
    pub merged_into: Option<ReportId>,
    pub case_no: Option<String>,
}

/// Who did something: a person, from a device, by one of its mutations; the centre itself
/// when all are empty (a photo's arrival).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Author {
    pub user: Option<UserId>,
    /// The device, for a version made by a device's edit.
    pub device: Option<DeviceId>,
    pub mutation: Option<MutationId>,
}

impl Author {
    /// A person at the console.
    #[must_use]
    pub fn person(user: UserId) -> Self {
        Self {
            user: Some(user),
            ..Self::default()
        }
    }

    /// An inspector's device.
    #[must_use]
    pub fn device(device: &Device) -> Self {
        Self {
            user: Some(device.user),
            device: Some(device.id),
            mutation: None,
        }
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    Report,
    CodeTable,
    Cell,
    Task,
    Component,
}

impl FeedKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Report => "report",
            FeedKind::CodeTable => "code_table",
            FeedKind::Cell => "cell",
            FeedKind::Task => "task",
            FeedKind::Component => "component",
        }
    }

    /// The kind a stored feed row names.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "report" => Ok(FeedKind::Report),
            "code_table" => Ok(FeedKind::CodeTable),
            "cell" => Ok(FeedKind::Cell),
            "task" => Ok(FeedKind::Task),
            "component" => Ok(FeedKind::Component),
            _ => Err(format!("unknown feed kind {s:?}")),
        }
    }
}

/// One row of the change feed: the latest change of one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub seq: u64,
    pub kind: FeedKind,
    pub entity: String,
    /// The thing is gone (a retired cell or component); reports carry their own removal.
    pub tombstone: bool,
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
pub struct Touch {
    pub kind: FeedKind,
    pub entity: String,
    /// Only this user sees it.
    pub user: Option<UserId>,
    /// Only users with this cell see it.
    pub cell: Option<String>,
    pub tombstone: bool,
}

impl Touch {
    /// A report changed: its reporter sees it.
    #[must_use]
    pub fn report(id: ReportId, reporter: UserId) -> Self {
        Self {
            kind: FeedKind::Report,
            entity: id.to_string(),
            user: Some(reporter),
            cell: None,
            tombstone: false,
        }
    }

    /// A task changed: its assignee sees it.
    #[must_use]
    pub fn task(id: gridwalk_protocol::TaskId, assignee: UserId) -> Self {
        Self {
            kind: FeedKind::Task,
            entity: id.to_string(),
            user: Some(assignee),
            cell: None,
            tombstone: false,
        }
    }

    /// Reference data changed that everyone sees (a code table), or the users with `cell`.
    #[must_use]
    pub fn reference(kind: FeedKind, entity: &str, cell: Option<&str>) -> Self {
        Self {
            kind,
            entity: entity.to_owned(),
            user: None,
            cell: cell.map(str::to_owned),
            tombstone: false,
        }
    }

    /// Reference data was retired (a cell, a component): the users with `cell` are told.
    #[must_use]
    pub fn retired(kind: FeedKind, entity: &str, cell: &str) -> Self {
        Self {
            tombstone: true,
            ..Self::reference(kind, entity, Some(cell))
        }
    }
}

/// Drops repeated touches of the same thing (the last one wins), keeping their order: a
/// write shows each thing in the feed once.
#[must_use]
pub fn distinct(touches: Vec<Touch>) -> Vec<Touch> {
    // The position of each thing's last touch: one pass, however many there are (an
    // import touches a hundred thousand components in one write).
    let mut last: std::collections::HashMap<(FeedKind, &str), usize> =
        std::collections::HashMap::with_capacity(touches.len());
    for (i, t) in touches.iter().enumerate() {
        last.insert((t.kind, t.entity.as_str()), i);
    }
    let keep: Vec<bool> = touches
        .iter()
        .enumerate()
        .map(|(i, t)| last.get(&(t.kind, t.entity.as_str())) == Some(&i))
        .collect();
    touches
        .into_iter()
        .zip(keep)
        .filter_map(|(t, keep)| keep.then_some(t))
        .collect()
}

/// Which reports a console list wants, in which order, from where
/// ([`crate::domain::queue`] makes it from a request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Any of these states (all, if empty).
    pub states: Vec<CaseState>,
    /// Only reports by members of this team.
    pub team: Option<String>,
    /// Only cases dispatched to this department.
    pub department: Option<String>,
    /// Only reports whose cell code starts with this (a street's 9 digits, a community's
    /// 12, a cell's 15).
    pub place: Option<String>,
    pub kind: Option<Kind>,
    /// A category code or its first two digits (the 大类).
    pub category: Option<String>,
    /// Only reports naming this component (its 16-digit ID).
    pub component: Option<String>,
    /// The reporting inspector's login.
    pub inspector: Option<String>,
    pub urgency: Option<Urgency>,
    /// Only reports from this port (an inspector's tablet, a hotline, the public …).
    pub source: Option<gridwalk_protocol::intake::Source>,
    /// A report must have every one.
    pub flags: Vec<QueueFlag>,
    /// Only reports whose current step is past, or near, its deadline at `now`.
    pub due: Option<Due>,
    /// Where "near" ends: [`crate::domain::queue::DUE_SOON_HOURS`] of working time on from
    /// `now` by the case rules (as the console's badge counts); clock hours when `None`.
    pub soon_to: Option<DateTime<Utc>>,
    /// Received at or after.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    pub received_to: Option<DateTime<Utc>>,
    /// Every word must be in the description or the address.
    pub search: Vec<SearchTerm>,
    pub sort: QueueSort,
    /// Only reports after this one, in `sort`'s order.
    pub after: Option<Cursor>,
    /// The moment deadlines are judged at.
    pub now: DateTime<Utc>,
    /// At most this many.
    pub limit: usize,
}

/// The facts of one report the evaluation counts from ([`crate::domain::evaluation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub report: ReportId,
    pub reporter: UserId,
    pub reporter_name: String,
    pub team: Option<String>,
    /// The centre's cell (`None`: outside the grid).
    pub cell: Option<CellCode>,
    pub kind: Kind,
    pub category: CategoryCode,
    /// The department the case is (last) dispatched to.
    pub department: Option<String>,
    /// Where it came from.
    pub source: gridwalk_protocol::intake::Source,
    /// When the inspector saw the problem: what puts a report in a period.
    pub observed_at: DateTime<Utc>,
    /// When the centre received it, and the deadline of the step it then waited on (受理,
    /// or 核实 for a port's report; none while its photos were still coming).
    pub received_at: DateTime<Utc>,
    pub entry_due: Option<DateTime<Utc>>,
    pub state: CaseState,
    /// The case loop's steps, oldest first.
    pub events: Vec<CaseEvent>,
    /// The verification tasks, oldest first.
    pub tasks: Vec<Task>,
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
    /// The size the report says (unknown for photos received before it was kept).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The centre holds these bytes from this photo's inspector.
    pub arrived: bool,
}

/// A photo whose bytes have been stored and checked against its report's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedPhoto {
    pub sha256: String,
    pub bytes: u64,
    pub at: DateTime<Utc>,
    /// The inspector whose device uploaded the bytes: the photo counts as arrived for
    /// their reports and verifications only.
    pub holder: UserId,
    /// The deadline of a review a report starts because this photo completes it (受理时限,
    /// from the case rules at `at`); none for a centre without rules.
    pub review_due: Option<DateTime<Utc>>,
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

/// Whether a part starting at `start` may be appended to an upload holding `received`
/// bytes (`None`: the upload is gone).
#[must_use]
pub fn check_append(received: Option<u64>, start: u64, length: u64) -> Appended {
    match received {
        None => Appended::Gone,
        Some(r) if r != start => Appended::Moved { received: r },
        Some(_) => Appended::Now {
            received: start + length,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_appends_only_where_the_upload_stands() {
        assert_eq!(check_append(None, 0, 5), Appended::Gone);
        assert_eq!(
            check_append(Some(10), 0, 5),
            Appended::Moved { received: 10 }
        );
        assert_eq!(
            check_append(Some(10), 10, 5),
            Appended::Now { received: 15 }
        );
    }

    #[test]
    fn a_write_touches_each_thing_once_the_last_way() {
        let id = ReportId::new();
        let user = UserId::new();
        let gone = Touch {
            tombstone: true,
            ..Touch::report(id, user)
        };
        let cell = Touch::reference(FeedKind::Cell, "440703001001001", Some("440703001001001"));
        let out = distinct(vec![Touch::report(id, user), cell.clone(), gone.clone()]);
        assert_eq!(out, vec![cell, gone]);
    }

    #[test]
    fn a_hundred_thousand_touches_keep_each_things_last_in_order() {
        let touches: Vec<Touch> = (0..100_000)
            .map(|i| Touch::reference(FeedKind::Component, &format!("{}", i % 50_000), None))
            .collect();
        let out = distinct(touches);
        assert_eq!(out.len(), 50_000);
        // The last touch of each comes in the order of those last touches: 0..50 000 again.
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, t)| t.entity == i.to_string())
        );
    }
}
