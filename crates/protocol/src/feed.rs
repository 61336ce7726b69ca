//! The change feed: what flows from the centre back to a device.
//!
//! A device asks `GET /v1/changes?cursor=…` and gets a page of [`Change`]s, each the
//! *current* state of something it may see — its user's reports (with the state the centre
//! gave them and the version to base edits on), the code tables, the grid cells of its
//! user's area — in the order they last changed, plus a new cursor. It stores the cursor
//! with the page, in one transaction, and asks again while `more` is set. An entity that
//! changed five times since the last pull comes once, as it is now.
//!
//! The cursor is opaque to the device. A device without one (new, or told to resync) gets
//! everything in its scope. A report removed at the centre arrives as a tombstone
//! ([`Change::ReportDeleted`]); tombstones are kept for a while, and a cursor older than
//! the oldest tombstone forgotten — or from another database — is answered `410 Gone` with
//! error code [`RESYNC`]: drop the cursor and pull from the start.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{CellCode, Report, ReportId, mutation::Version};

/// The error code of the answer to a cursor the centre can no longer continue from.
pub const RESYNC: &str = "resync";

/// Where a report stands at the centre. The first three are intake; the rest follow the
/// case-handling loop (发现 → 立案 → 派遣 → 处置 → 核查 → 结案) and its branches (回退,
/// 延期, 缓办, 作废 after 立案, 特殊结案).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CaseState {
    /// A report from the hotline, the public or another port, waiting for an inspector of
    /// its cell to check on site that the problem is real (待核实).
    AwaitingCheck,
    /// The record is in; some photos are not yet.
    AwaitingPhotos,
    /// Complete, waiting for a team leader (待受理).
    PendingReview,
    /// Sent back to the inspector with a comment, to edit and resubmit.
    Returned,
    /// Refused by a team leader, with a reason (作废).
    Rejected,
    /// Merged into another report of the same problem.
    Merged,
    /// Registered as a case (立案).
    Registered,
    /// Dispatched to a department (派遣), which has not accepted it yet.
    Dispatched,
    /// The department accepted it and is working on it (处理中).
    InProgress,
    /// The department reports it handled (处置完成); verification pending (核查).
    Handled,
    /// Suspended by the centre with a reason until a date (缓办); its clock stops.
    Suspended,
    /// Verified and closed (结案).
    Closed,
}

impl CaseState {
    /// Whether the inspector may still change the report: only before it becomes a case.
    #[must_use]
    pub fn editable(self) -> bool {
        matches!(
            self,
            CaseState::AwaitingPhotos | CaseState::PendingReview | CaseState::Returned
        )
    }

    /// Whether nothing more can happen to it: 作废, merged, 结案.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::Rejected | CaseState::Merged | CaseState::Closed
        )
    }

    /// The state's wire name, as stored in a text column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::AwaitingCheck => "awaiting_check",
            CaseState::AwaitingPhotos => "awaiting_photos",
            CaseState::PendingReview => "pending_review",
            CaseState::Returned => "returned",
            CaseState::Rejected => "rejected",
            CaseState::Merged => "merged",
            CaseState::Registered => "registered",
            CaseState::Dispatched => "dispatched",
            CaseState::InProgress => "in_progress",
            CaseState::Handled => "handled",
            CaseState::Suspended => "suspended",
            CaseState::Closed => "closed",
        }
    }

    /// Every state, in the order of the loop.
    pub const ALL: [CaseState; 12] = [
        CaseState::AwaitingCheck,
        CaseState::AwaitingPhotos,
        CaseState::PendingReview,
        CaseState::Returned,
        CaseState::Rejected,
        CaseState::Merged,
        CaseState::Registered,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Handled,
        CaseState::Suspended,
        CaseState::Closed,
    ];
}

impl std::str::FromStr for CaseState {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| crate::Error::Unknown(format!("{s:?} is not a case state")))
    }
}

/// A report as the centre holds it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CentralReport {
    pub report: Report,
    /// Base the next edit on this.
    pub version: Version,
    pub state: CaseState,
    pub received_at: DateTime<Utc>,
    /// The earlier report this one likely duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<ReportId>,
    /// The centre's word to the inspector: why it was returned or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Its case number, once registered (立案).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_no: Option<String>,
    /// The report it was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<ReportId>,
}

/// A task and the case it is about, as a device receives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskChange {
    pub task: crate::console::Task,
    /// The case's report: what to look at, and where.
    pub report: Report,
    /// The department that handled it.
    pub department: Option<String>,
    /// Where the report came from (a check's report is from another port: a hotline, the
    /// public …).
    #[serde(default)]
    pub source: Option<crate::intake::Source>,
    /// For a verification: what the department said it did (its 处置说明), to check on site.
    #[serde(default)]
    pub handling_note: Option<String>,
    /// For a verification: the department's after-photos (处置后), their bytes fetched by
    /// the device from `GET /v1/photos/{sha256}` once they reached the centre.
    #[serde(default)]
    pub handling_photos: Vec<crate::PhotoRef>,
}

/// One thing that changed, as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Change {
    /// One of the user's reports, new or changed.
    Report(Box<CentralReport>),
    /// A tombstone: the report was removed at the centre.
    ReportDeleted {
        id: ReportId,
        deleted_at: DateTime<Utc>,
    },
    /// A code table file, as loaded at the centre.
    CodeTable {
        version: String,
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        table: serde_json::Value,
    },
    /// A task for the user (a verification, 核查), with the case it is about as the
    /// centre holds it now.
    Task(Box<TaskChange>),
    /// A grid cell of the user's area (a GeoJSON Feature).
    Cell {
        code: CellCode,
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        feature: serde_json::Value,
    },
    /// A tombstone: the cell was retired from the city's grid (merged, redrawn under a new
    /// code). Reports already filed in it keep its code.
    CellRetired { code: CellCode },
    /// A component (部件) standing in one of the user's cells, new or changed.
    Component(Box<crate::component::ComponentInfo>),
    /// A tombstone: the component was taken out of the city's books.
    ComponentRetired { id: crate::ComponentId },
}

/// `GET /v1/changes`: one page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Ask with this next time (store it with the page).
    pub cursor: String,
    /// More changes wait beyond this page: ask again now.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for s in CaseState::ALL {
            assert_eq!(s.as_str().parse::<CaseState>().expect("parses"), s);
            assert_eq!(
                serde_json::to_string(&s).expect("json"),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!("lost".parse::<CaseState>().is_err());
        assert!(CaseState::Returned.editable());
        assert!(!CaseState::Registered.editable());
    }

    #[test]
    fn tombstones_have_a_flat_wire_form() {
        let id = ReportId::new();
        let at = "2026-11-21T08:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let c = Change::ReportDeleted { id, deleted_at: at };
        let text = serde_json::to_string(&c).expect("json");
        assert_eq!(
            text,
            format!(
                r#"{{"kind":"report_deleted","id":"{id}","deleted_at":"2026-11-21T08:00:00Z"}}"#
            )
        );
        assert_eq!(serde_json::from_str::<Change>(&text).expect("parses"), c);
    }
}
