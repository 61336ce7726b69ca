//! Mutations: the unit a device sends to the centre.
//!
//! Each device numbers its mutations 1, 2, 3, … in the order they were made; the number is
//! assigned in the same local transaction as the change it describes, so the order is the
//! order of the device's history. The centre applies a device's mutations in that order,
//! exactly once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DeviceId, Report};

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
}

/// What the mutation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MutationBody {
    /// A new report, submitted from a draft.
    SubmitReport { report: Box<Report> },
}
