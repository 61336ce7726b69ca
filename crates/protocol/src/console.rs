//! What the console (the web pages team leaders and operators use) sends and receives, and
//! the tasks the centre gives inspectors.
//!
//! The console is a client of the same JSON API as anyone else: these records are its
//! answers. A report is shown with the facts around it ([`ConsoleReport`]): who made it,
//! which photos have arrived, and, once it is a case, the case ([`CaseInfo`]). Every step
//! of the loop is a [`CaseEvent`]; a verification is a [`Task`] for an inspector.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    CaseState, CategoryCode, CellCode, DeviceId, FieldConflict, Kind, LocationFlag, MutationId,
    PhotoId, PhotoRef, QueueStats, Report, ReportId, ReportPatch, TaskId, UserId, Version,
};

/// What a person does in the system (who may do what: the README's role table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// 网格员: reports from a tablet; never signs in to the console.
    Inspector,
    /// 网格长: works the case loop for their own team's inspectors.
    Leader,
    /// 监督指挥中心: works the case loop for every team, and alone resolves conflicts.
    Operator,
    /// A clerk of a 处置部门: sees the cases dispatched to their department and marks them
    /// handled.
    Department,
    /// Manages people and devices; never reviews or acts on cases.
    Administrator,
    /// Another port's system (a hotline, the public page, video analysis): files reports
    /// through the intake API and hears back through its callback; never signs in.
    Service,
}

/// A person, as the console names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    /// The department code of a department's clerk.
    pub department: Option<String>,
}

/// `POST /v1/console/session`: sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignIn {
    pub login: String,
    pub password: String,
}

/// A console session: send `token` as `Authorization: Bearer …` until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Session {
    pub token: String,
    pub user: Person,
    pub expires_at: DateTime<Utc>,
}

/// A registered case (立案): its number, where it was sent and by when it must be handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseInfo {
    /// 立案编号, e.g. `20261121-0007`.
    pub case_no: String,
    pub registered_at: DateTime<Utc>,
    /// The department code it is dispatched to.
    pub department: Option<String>,
    /// The deadline of the current dispatch (处置时限), in working time.
    pub due_at: Option<DateTime<Utc>>,
    /// How many times a verification failed and it went back (返工).
    pub reworks: u32,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the department accepted it (处理中).
    #[serde(default)]
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was last marked handled (处置完成).
    #[serde(default)]
    pub handled_at: Option<DateTime<Utc>>,
    /// How it was closed.
    #[serde(default)]
    pub closure: Option<Closure>,
    /// While suspended (缓办): the state it left, since when and the day to resume by.
    #[serde(default)]
    pub suspension: Option<Suspension>,
    /// The department's request for more time (延期) waiting for the centre.
    #[serde(default)]
    pub extension: Option<ExtensionRequest>,
    /// When it was voided after 立案 (作废).
    #[serde(default)]
    pub voided_at: Option<DateTime<Utc>>,
}

/// A case suspended by the centre (缓办).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suspension {
    /// The state it goes back to when resumed.
    pub from: CaseState,
    pub at: DateTime<Utc>,
    /// The local day it is to be resumed by.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub resume_on: chrono::NaiveDate,
}

/// A department's request for more working hours (延期申请) waiting for the centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtensionRequest {
    pub hours: u32,
    pub reason: String,
    pub requested_by: Option<UserId>,
    pub requested_at: DateTime<Utc>,
}

/// A report with what the console shows around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsoleReport {
    pub report: Report,
    pub state: CaseState,
    pub version: Version,
    pub received_at: DateTime<Utc>,
    /// When it entered its state.
    pub state_at: DateTime<Utc>,
    /// The centre's word to the inspector: a return comment or a reject reason.
    pub note: Option<String>,
    /// The earlier report this one likely duplicates (marked on arrival).
    pub duplicate_of: Option<ReportId>,
    pub merged_into: Option<ReportId>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub reporter: Person,
    /// The photos whose bytes the centre holds.
    pub photos_arrived: Vec<PhotoId>,
    pub case: Option<CaseInfo>,
    /// What the device said of the place, when it differs from the centre's answer (the
    /// report's `cell` and `location_flags`).
    pub claim: Option<PlaceClaim>,
    /// The deadline of the step it waits on now (受理, 核实, 派遣, 处置 or 核查), in working
    /// time; none while it waits on no one at the centre.
    #[serde(default)]
    pub step_due_at: Option<DateTime<Utc>>,
    /// The working minutes left on that step when the centre answered (the countdown a
    /// department's queue shows); negative once it is overdue, by as many working minutes.
    #[serde(default)]
    pub step_left_minutes: Option<i64>,
    /// Where it came from (an inspector's tablet, a hotline, the public …).
    #[serde(default = "inspector")]
    pub source: crate::intake::Source,
    /// The port's own reference (its 工单号), for a report from another port.
    #[serde(default)]
    pub caller_ref: Option<String>,
}

fn inspector() -> crate::intake::Source {
    crate::intake::Source::Inspector
}

/// What a device said of a report's place, kept beside the centre's answer when the two
/// differ. The centre places every report it receives (and every edit that moves one) in
/// its own grid from the position, with the same lookup the device uses; the report's
/// `cell` and `location_flags` are the centre's, and only they count (lists, scopes, the
/// evaluation per cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlaceClaim {
    /// The cell the device named.
    pub cell: Option<CellCode>,
    /// The location flags the device raised.
    pub location_flags: Vec<LocationFlag>,
    /// How the claim disagrees with the centre, for the team leader; empty when it differs
    /// only in detail (a distance rounded otherwise).
    pub disputes: Vec<PlaceDispute>,
}

/// One way a device's claim about a report's place disagrees with the centre's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PlaceDispute {
    /// The device named a cell the centre's grid does not have (made up, or from a grid
    /// redrawn since).
    UnknownCell,
    /// The device named a cell, but the position lies in no cell of the centre's grid.
    PositionOutsideGrid,
    /// The device named another cell than the one the position lies in, or none.
    CellDisputed,
    /// The device's location flags differ from the centre's (one left out or added).
    FlagsDisputed,
}

/// One step of the case loop, as the audit trail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseEvent {
    /// `approve`, `return`, `reject`, `merge`, `dispatch`, `handled`, `verify_pass`,
    /// `verify_fail`, `resubmit`, `photos_complete`, `photos_added`.
    pub action: String,
    pub from: CaseState,
    pub to: CaseState,
    pub by_user: Option<UserId>,
    pub by_name: Option<String>,
    pub by_device: Option<DeviceId>,
    /// The comment, reason, department or merge target.
    pub text: Option<String>,
    /// The deadline this step set.
    pub due_at: Option<DateTime<Utc>>,
    /// The deadline of the step the report waits on after this one (its 受理, 核实, 派遣,
    /// 处置 or 核查 time limit); none when it waits on no one at the centre. Recorded since
    /// the per-step indicators; older events have none.
    #[serde(default)]
    pub step_due_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// What a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TaskKind {
    /// 核查: go back and check that the department fixed it.
    Verify,
    /// 核实: go and check that a problem reported by the hotline or the public is real.
    Check,
}

/// How a case was closed (结案类型), as the deployed platforms count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Closure {
    /// 正常结案: verified fixed, handled within its deadline.
    Normal,
    /// 超期结案: verified fixed, but handled after its deadline.
    Overdue,
    /// 自处理结案: fixed on the spot by the inspector, checked by the team leader.
    OnSpot,
    /// 特殊结案: closed by the centre without the loop (no department can fix it, the
    /// problem went away, a court order …), with a reason.
    Special,
}

impl Closure {
    /// The wire name, as stored in a text column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Normal => "normal",
            Closure::Overdue => "overdue",
            Closure::OnSpot => "on_spot",
            Closure::Special => "special",
        }
    }

    /// Every closure type.
    pub const ALL: [Closure; 4] = [
        Closure::Normal,
        Closure::Overdue,
        Closure::OnSpot,
        Closure::Special,
    ];
}

impl std::str::FromStr for Closure {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| crate::Error::Unknown(format!("{s:?} is not a closure type")))
    }
}

/// A task for an inspector. The device receives it in the change feed with the case it is
/// about, works it offline and answers with a `CompleteTask` mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Task {
    pub id: TaskId,
    pub kind: TaskKind,
    pub report: ReportId,
    /// The case number; none for an on-site check (核实), which comes before 立案.
    pub case_no: Option<String>,
    pub assignee: UserId,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub passed: Option<bool>,
    pub note: Option<String>,
    /// Photos taken at the verification (处置后).
    pub photos: Vec<PhotoRef>,
    pub by_device: Option<DeviceId>,
}

/// One version of a report, for the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionInfo {
    pub version: Version,
    pub record: Report,
    /// The change that made it (none for version 1).
    pub patch: Option<ReportPatch>,
    pub by_user: Option<UserId>,
    pub by_name: Option<String>,
    /// What the person who made it does (an inspector's device, a team leader's
    /// correction at 立案, an operator's resolution of a conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_role: Option<Role>,
    pub by_device: Option<DeviceId>,
    pub mutation: Option<MutationId>,
    pub at: DateTime<Utc>,
}

/// A conflict: fields a device and the centre changed differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    pub id: uuid::Uuid,
    pub report: ReportId,
    pub device: DeviceId,
    pub mutation: MutationId,
    pub base_version: Version,
    pub central_version: Version,
    pub fields: Vec<FieldConflict>,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The values chosen, by field.
    pub resolution: Option<Vec<FieldChoice>>,
    pub resolved_by: Option<UserId>,
}

/// A conflict waiting for an operator, with what the list names it by: the report (its
/// case number, or category, reporter and time) and the device's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenConflict {
    #[serde(flatten)]
    pub conflict: Conflict,
    /// The report it is about.
    pub subject: ConsoleReport,
    /// The maker and model of the device whose change conflicts, as it last said.
    pub device_model: Option<String>,
}

/// The value an operator chose for one field of a conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChoice {
    pub field: String,
    pub value: serde_json::Value,
}

/// `POST /v1/console/conflicts/{id}/resolve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Resolve {
    /// A value for every conflicting field.
    pub fields: Vec<FieldChoice>,
}

/// How a work queue is ordered (`sort=` of `GET /v1/console/reports`). Ties go to the
/// report that entered its state first, then to the report's ID, so the order is total and
/// a page's cursor names exactly where the next page starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum QueueSort {
    /// Oldest waiting first: by when each report entered its state (the default).
    #[default]
    Waiting,
    /// Open dispatched cases by their deadline, the most overdue first; the rest after.
    Overdue,
    /// Urgent reports first, each group oldest waiting first.
    Urgent,
    /// Newest received first.
    Newest,
}

impl QueueSort {
    /// Every order, as the query names them.
    pub const ALL: [QueueSort; 4] = [
        QueueSort::Waiting,
        QueueSort::Overdue,
        QueueSort::Urgent,
        QueueSort::Newest,
    ];

    /// The name the query and cursors use.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            QueueSort::Waiting => "waiting",
            QueueSort::Overdue => "overdue",
            QueueSort::Urgent => "urgent",
            QueueSort::Newest => "newest",
        }
    }
}

impl std::str::FromStr for QueueSort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not an order; use one of waiting, overdue, urgent, newest")
            })
    }
}

/// One page of a work queue (`GET /v1/console/reports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportPage {
    pub items: Vec<ConsoleReport>,
    /// Where the next page starts (pass it back as `after`); none when this page is the
    /// last.
    pub next: Option<String>,
    /// How many reports match the filter in all (every page together), counted up to a
    /// bound (see `total_capped`) when the first page was read; the pages after it repeat
    /// that count.
    pub total: u64,
    /// Counting stopped at the bound: at least `total` match.
    pub total_capped: bool,
}

/// Everything about one report: the audit trail and the case around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportDetail {
    pub item: ConsoleReport,
    pub events: Vec<CaseEvent>,
    pub tasks: Vec<Task>,
    pub versions: Vec<VersionInfo>,
    pub conflicts: Vec<Conflict>,
    /// Other reports of likely the same problem: the one it duplicates, those that
    /// duplicate it or the same one, and those merged into it.
    pub related: Vec<ConsoleReport>,
    /// The report's grid cell (a GeoJSON Feature), for the map.
    pub cell: Option<serde_json::Value>,
    /// For a report outside the grid, the nearest cell (a GeoJSON Feature), so the map
    /// shows where the point lies against the grid.
    pub nearest_cell: Option<serde_json::Value>,
    /// The names of every cell this answer mentions (the report's, its location flags',
    /// the device's claim's, the related reports'), so none is shown as a bare code.
    pub cell_names: Vec<CellName>,
    /// Whether the report's records are intact.
    pub seal: Seal,
    /// After-photos the department declared with its 处置完成 (those whose bytes arrived
    /// are in `item.photos_arrived`).
    #[serde(default)]
    pub handling_photos: Vec<PhotoRef>,
}

/// A grid cell as people call it: the street (街道) and community (社区) it lies in, by
/// name, and its code (whose last three digits number it within the community).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellName {
    pub code: CellCode,
    pub street: Option<String>,
    pub community: Option<String>,
}

/// Whether a report's records are as written: its versions and case events hash chains
/// unbroken up to its present state, and its photos' bytes matching their SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Seal {
    pub verified: bool,
    /// Versions checked on their chain.
    pub versions: u32,
    /// Case events checked on their chain.
    pub events: u32,
    /// Photos re-hashed (those whose bytes the centre holds).
    pub photos: u32,
    /// Where the records are broken: the table, the entry and what does not match
    /// (`report_versions: version 2: its content no longer matches its hash`).
    pub broken: Option<String>,
    /// The report row's seal (SHA-256 over its state and its chains' heads), when verified.
    pub head: Option<String>,
}

/// What a team leader or the centre does to a report (the body of
/// `POST /v1/console/reports/{id}/actions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CaseAction {
    /// 立案, optionally correcting what the inspector filed, and saying the person saw the
    /// likely-duplicate warning.
    Approve {
        /// What the team leader corrects as they register it: a new version of the report,
        /// made by them, which reaches the inspector's tablet with a note of what changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correct: Option<Correction>,
        /// The person saw that the report is likely a duplicate of another one still open
        /// and registers it anyway. Without it such a report is refused
        /// (`case.likely_duplicate`), naming the other report.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        despite_duplicate: bool,
    },
    /// Back to the inspector, to change and resubmit.
    Return { comment: String },
    /// 作废.
    Reject { reason: String },
    /// Fold into another report of the same problem.
    Merge { into: ReportId },
    /// 派遣, to a department; for a case a department already has, to another one (改派).
    Dispatch { department: String },
    /// 处置完成: the department (or the centre for it) says it is done, and what was done
    /// (处置说明, required); a verification task goes to an inspector.
    Handled {
        #[serde(default)]
        note: Option<String>,
        /// After-photos (处置后) the department took: declared here, their bytes uploaded
        /// over tus afterwards (with the clerk's console session), as a tablet's are.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<PhotoRef>,
    },
    /// The department takes the case on (处理中).
    Accept,
    /// 回退: not the department's; back to the centre, which dispatches it again.
    Bounce { reason: String },
    /// 延期申请: the department asks for more working hours (at most the rules' limit).
    RequestExtension { hours: u32, reason: String },
    /// The centre approves or refuses the department's extension request; approved, the
    /// deadline moves on by the hours asked.
    DecideExtension {
        approve: bool,
        #[serde(default)]
        comment: Option<String>,
    },
    /// 缓办: the centre suspends the case until a local day; its clock stops.
    Suspend {
        reason: String,
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        until: chrono::NaiveDate,
    },
    /// The centre resumes a suspended case; its deadline moves on by the working time it
    /// was stopped.
    Resume,
    /// 作废 after 立案, with a reason.
    Void { reason: String },
    /// 特殊结案: the centre closes the case without the loop, with a reason.
    CloseSpecial { reason: String },
    /// 核查 at the console, for a case fixed on the spot (自处理): the team leader checks
    /// it from its photos.
    Verify {
        passed: bool,
        #[serde(default)]
        note: Option<String>,
    },
}

impl CaseAction {
    /// A plain 立案: nothing corrected, no warning seen.
    #[must_use]
    pub fn approve() -> Self {
        CaseAction::Approve {
            correct: None,
            despite_duplicate: false,
        }
    }
}

/// What a team leader corrects at 立案: the category (小类), the description and the
/// address, each only if given. `version` is the version the leader looked at: if the
/// inspector changed the report since, the correction is refused (`case.version`) and
/// nothing is registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Correction {
    pub version: Version,
    /// The category, with its kind (部件/事件), from the report's own code table version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A category as chosen: its kind and its code (大类 + 小类).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryChoice {
    pub kind: Kind,
    pub category: CategoryCode,
}

/// The most reports one bulk merge folds in.
pub const MAX_MERGE: usize = 50;

/// `POST /v1/console/reports/merge`: fold a cluster of reports of one problem into one
/// report, all or none. Each report comes with the state the person saw it in; if any has
/// moved on (or cannot be merged), nothing is merged and the answer says which and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeRequest {
    /// The report the others are folded into (it stays).
    pub into: ReportId,
    /// The reports to fold in, at most [`MAX_MERGE`], each with the state the person saw.
    pub reports: Vec<SeenReport>,
}

/// A report and the state the person saw it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeenReport {
    pub id: ReportId,
    pub seen_state: CaseState,
}

/// The answer to a bulk merge: the reports folded in, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeAnswer {
    pub into: ReportId,
    pub merged: Vec<ReportId>,
}

/// `POST /v1/console/reports/{id}/actions`: the action, and the state the person saw (so
/// two people acting on one report at once do not both succeed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionRequest {
    #[serde(flatten)]
    pub action: CaseAction,
    pub seen_state: CaseState,
}

/// A department cases are dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// A team (班组) of inspectors under its leaders (网格长), named the way the centre says
/// it: after its leaders ("陈建国组"), or by its code while it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Team {
    /// Its code (`T440703001-01`), as people's records name it.
    pub code: String,
    pub name: String,
    /// Its people who are not disabled: leaders first, then by name.
    pub members: Vec<Person>,
}

/// A device, as the board shows it: whose it is, when it was last heard from, and what it
/// still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceRow {
    pub id: DeviceId,
    pub user: Person,
    pub enrolled_at: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    pub app_version: Option<String>,
    /// Its maker and model, as it last said ("HUAWEI BAH3-W09").
    pub model: Option<String>,
    /// What the device said it still held when last seen.
    pub queue: QueueStats,
    pub reports_received: u64,
    pub last_received_at: Option<DateTime<Utc>>,
}

/// How many reports are in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StateCount {
    pub state: CaseState,
    pub count: u64,
}

/// A received report whose photos have not all arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissingPhotos {
    pub report: ReportId,
    pub reporter: String,
    pub device: DeviceId,
    pub missing: u64,
    pub photos: u64,
    pub received_at: DateTime<Utc>,
}

/// A photo upload not yet finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadProgress {
    pub id: uuid::Uuid,
    pub report: ReportId,
    pub device: DeviceId,
    pub received: u64,
    pub length: u64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A mutation the centre refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refusal {
    pub device: DeviceId,
    pub user: String,
    pub mutation: MutationId,
    /// Why, in English.
    pub reason: String,
    /// Why, as a message of the catalogue (absent for refusals recorded before messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<crate::message::Message>,
    pub at: DateTime<Utc>,
}

/// `GET /v1/console/health`: how intake is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeHealth {
    pub states: Vec<StateCount>,
    /// The oldest report waiting for review.
    pub oldest_pending: Option<DateTime<Utc>>,
    pub missing_photos: Vec<MissingPhotos>,
    pub uploads: Vec<UploadProgress>,
    /// The latest refusals, newest first.
    pub refusals: Vec<Refusal>,
    pub open_conflicts: u64,
    /// What devices say they still hold, summed.
    pub devices_queue: QueueStats,
}

/// What the evaluation's (考核评价) rows are per. How each indicator is counted is in the
/// sync server's `evaluation` module and the README's section on evaluation indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum GroupBy {
    /// 单元网格, by the centre's cell of each report.
    Cell,
    /// 社区: the cell code's first 12 digits.
    Community,
    /// 街道: the cell code's first 9 digits.
    Street,
    /// 班组: the reporting inspector's team.
    Team,
    /// 网格员: the reporting inspector.
    Inspector,
    /// 处置部门: the department the case is dispatched to.
    Department,
    /// 问题类别 (高发问题): the report's 部件/事件 category.
    Category,
    /// 案件来源: where the report came from (an inspector, a hotline, the public …).
    Source,
}

impl GroupBy {
    /// Every grouping, in the order the console offers them.
    pub const ALL: [GroupBy; 8] = [
        GroupBy::Cell,
        GroupBy::Community,
        GroupBy::Street,
        GroupBy::Team,
        GroupBy::Inspector,
        GroupBy::Department,
        GroupBy::Category,
        GroupBy::Source,
    ];

    /// The grouping's name in the API (`cell`, `community`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Cell => "cell",
            GroupBy::Community => "community",
            GroupBy::Street => "street",
            GroupBy::Team => "team",
            GroupBy::Inspector => "inspector",
            GroupBy::Department => "department",
            GroupBy::Category => "category",
            GroupBy::Source => "source",
        }
    }

    /// Whether its groups are places with an outline (cells, communities, streets), which
    /// the GeoJSON export can draw.
    #[must_use]
    pub fn is_place(self) -> bool {
        matches!(self, GroupBy::Cell | GroupBy::Community | GroupBy::Street)
    }
}

/// The indicators of one group (or of all of them: the total). Every rate is its
/// numerator over its denominator, both given; `None` (shown as "—") when the denominator
/// is 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Indicators {
    /// The group's code: cell, community or street code, team code, user ID, department
    /// code, category (`event:0102`). `""` for the reports outside the grid (by place),
    /// without a team, or not dispatched, and for the total.
    pub key: String,
    /// What people call it: street · community · cell, the team, the inspector's name, the
    /// department's name, kind · major · minor class of the category.
    pub label: String,
    /// 上报数: reports observed in the period.
    pub reports: u64,
    /// Of those, 立案数: registered as cases (valid).
    pub registered: u64,
    /// Of those, rejected (作废) or merged into another report (invalid).
    pub invalid: u64,
    /// 有效上报率 = registered / (registered + invalid); undecided reports count in neither.
    pub valid_rate: Option<f64>,
    /// 应处置数: cases whose handling fell due in the period.
    pub due: u64,
    /// Of those, handled by the department (its latest round).
    pub handled: u64,
    /// 处置率 = handled / due.
    pub handled_rate: Option<f64>,
    /// Of those due, handled with every round by its deadline.
    pub handled_on_time: u64,
    /// 按期处置率 = handled on time / due.
    pub handled_on_time_rate: Option<f64>,
    /// Of those due, past their deadline and still waiting for the department.
    pub overdue: u64,
    /// 超期待处置率 = overdue / due.
    pub overdue_rate: Option<f64>,
    /// 应结案数: cases due to close in the period.
    pub due_to_close: u64,
    /// Of those, closed (结案).
    pub closed: u64,
    /// 结案率 = closed / due to close.
    pub closed_rate: Option<f64>,
    /// Of those due to close, closed with the last handling and the closing 核查 on time.
    pub closed_on_time: u64,
    /// 按期结案率 = closed on time / due to close.
    pub closed_on_time_rate: Option<f64>,
    /// Of those due to close, sent back at least once (返工).
    pub reworked: u64,
    /// 返工率 = reworked / due to close.
    pub rework_rate: Option<f64>,
    /// Verification tasks (核查) due in the period.
    pub verifications_due: u64,
    /// Of those, done by their deadline.
    pub verified_on_time: u64,
    /// 按期核查率 = verified on time / verifications due.
    pub verified_on_time_rate: Option<f64>,
    /// 自处理数: of the registered, fixed on the spot by the inspector (no department).
    #[serde(default)]
    pub on_spot: u64,
    /// 自处理率 = on the spot / registered.
    #[serde(default)]
    pub on_spot_rate: Option<f64>,
    /// 延期数: cases whose handling deadline an approved 延期 moved in the period.
    #[serde(default)]
    pub extended: u64,
    /// 核实超期数: of the reports observed in the period, on-site checks (核实) done after
    /// their time limit, or still waiting past it.
    #[serde(default)]
    pub check_late: u64,
    /// 受理超期数: of the reports observed in the period, reviews (受理) decided after their
    /// time limit, or still waiting past it.
    #[serde(default)]
    pub review_late: u64,
    /// 派遣超期数: of the reports observed in the period, registered cases dispatched (派遣)
    /// after their time limit, or still waiting past it.
    #[serde(default)]
    pub dispatch_late: u64,
    /// 处置超期数 = due − handled on time: cases whose handling was late or is overdue.
    #[serde(default)]
    pub handling_late: u64,
    /// 核查超期数 = verifications due − verified on time.
    #[serde(default)]
    pub verify_late: u64,
}

/// `GET /v1/console/evaluation`: the indicators per group over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evaluation {
    pub by: GroupBy,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<Indicators>,
    pub total: Indicators,
}

/// The answer to a console action: where the report stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionAnswer {
    pub state: CaseState,
    pub case_no: Option<String>,
}

/// A person as an administrator sees them: who, and whether they are disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub person: Person,
    /// When they were disabled; `None` while they may work.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// An enrolled device as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnrolledDevice {
    pub id: DeviceId,
    /// The login of the inspector it is enrolled for.
    pub login: String,
    pub enrolled_at: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    /// When its token was revoked; `None` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its maker and model, as it last said.
    pub model: Option<String>,
}

/// What an administrator imports from the console: a city's grid or its component layer
/// (GeoJSON, GeoPackage, or a Shapefile with its parts in one `.zip`), its code table, its
/// list of people, or its list of departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ImportKind {
    Grid,
    Components,
    Codes,
    People,
    Departments,
}

/// One problem an import found: its row in the file (0 for the whole file or a gap between
/// cells), the cell code when there is one, what is wrong, and where (lon, lat in WGS-84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportProblem {
    pub row: u32,
    pub code: Option<String>,
    pub message: String,
    pub at: Option<(f64, f64)>,
}

/// What an import did, or would do (a check): `stored` only when the file had no problem
/// and was not only checked; `summary` in words, as the command line says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportAnswer {
    pub stored: bool,
    pub summary: String,
    pub problems: Vec<ImportProblem>,
}

/// One administrative act in the audit trail: who did what to whom, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    /// The login of the person who acted, or `cli` for the server's command line.
    pub actor: String,
    /// What was done: `create_user`, `set_password`, `enroll_device`, `revoke_device`,
    /// `disable_user`, `enable_user`, `load_reference`.
    pub action: String,
    /// Whom or what it was done to (a login, a device ID, a directory).
    pub subject: String,
    pub detail: Option<String>,
}

/// `POST /v1/console/admin/users/{login}/password`: a new console password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewPassword {
    pub password: String,
}
