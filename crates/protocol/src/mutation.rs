//! Mutations: the unit a device sends to the centre.
//!
//! Each device numbers its mutations 1, 2, 3, … in the order they were made; the number is
//! assigned in the same local transaction as the change it describes, so the order is the
//! order of the device's history. The centre applies a device's mutations in that order,
//! exactly once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DeviceId, PhotoRef, Report, ReportId, ReportPatch, TaskId};

/// A report's version at the centre: 1 as submitted, one more with every change written.
pub type Version = u64;

/// A device-local, strictly increasing mutation number.
pub type MutationId = u64;

/// One change made on a device, waiting to reach the centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    pub id: MutationId,
    pub device: DeviceId,
    pub created_at: DateTime<Utc>,
    pub body: MutationBody,
    /// The device's Ed25519 signature over everything above, made when the mutation was
    /// made ([`crate::signing`]); the centre applies nothing unsigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// What the mutation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MutationBody {
    /// A new report, submitted from a draft.
    SubmitReport { report: Box<Report> },
    /// A change to a report already submitted, made against the version the device last
    /// knew (see [`crate::edit`] for how it combines with changes made at the centre).
    EditReport {
        report: ReportId,
        base_version: Version,
        patch: Box<ReportPatch>,
    },
    /// A verification task (核查) done in the field: whether the problem is fixed, the
    /// inspector's note, and the photos taken (处置后), whose bytes follow over tus.
    CompleteTask {
        task: TaskId,
        report: ReportId,
        passed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<PhotoRef>,
    },
}

impl MutationBody {
    /// The report the mutation is about.
    #[must_use]
    pub fn report_id(&self) -> ReportId {
        match self {
            MutationBody::SubmitReport { report } => report.id,
            MutationBody::EditReport { report, .. } | MutationBody::CompleteTask { report, .. } => {
                *report
            }
        }
    }

    /// The report a submission carries (`None` for other mutations).
    #[must_use]
    pub fn submitted(&self) -> Option<&Report> {
        match self {
            MutationBody::SubmitReport { report } => Some(report),
            MutationBody::EditReport { .. } | MutationBody::CompleteTask { .. } => None,
        }
    }
}
