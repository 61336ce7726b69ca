//! A report as the device holds it: the fields of the wire [`Report`], any of which may
//! still be missing while it is a draft, plus the device-only facts about its photos.

use chrono::{DateTime, FixedOffset, Utc};
use gridwalk_protocol::message::{code, msg};
use gridwalk_protocol::report::LocationFlag;
use gridwalk_protocol::{
    CaseState, CategoryCode, CellCode, ClipRef, ComponentId, DeviceId, FieldError, Kind, Location,
    PhotoRef, Report, ReportId, Urgency, UserId, ValidationErrors,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::photo::ExifFacts;

/// Where a report is in its life on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReportState {
    /// Being written; editable, not yet bound for the centre.
    Draft,
    /// Submitted or changed: its mutations waiting in the outbox.
    Queued,
    /// The centre has everything the device sent of it.
    Sent,
    /// The centre refused it; `centre_note` says why.
    Rejected,
}

impl ReportState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportState::Draft => "draft",
            ReportState::Queued => "queued",
            ReportState::Sent => "sent",
            ReportState::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ReportState::Draft),
            "queued" => Some(ReportState::Queued),
            "sent" => Some(ReportState::Sent),
            "rejected" => Some(ReportState::Rejected),
            _ => None,
        }
    }
}

/// A photo on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalPhoto {
    #[serde(flatten)]
    pub photo: PhotoRef,
    pub thumb_bytes: u64,
    /// What the original's EXIF said.
    pub exif: ExifFacts,
    /// Whether the camera original is still kept on the device.
    pub original_kept: bool,
    /// Whether the upload derivative is still kept on the device (the centre has held it
    /// for the kept days once it is not; the thumbnail stays).
    pub derivative_kept: bool,
}

/// A report on the device, draft or submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalReport {
    pub id: ReportId,
    pub state: ReportState,
    pub reporter: UserId,
    pub kind: Option<Kind>,
    pub category: Option<CategoryCode>,
    pub code_table_version: String,
    pub component_id: Option<ComponentId>,
    pub description: String,
    pub address: String,
    pub location: Option<Location>,
    pub cell: Option<CellCode>,
    pub location_flags: Vec<LocationFlag>,
    pub urgency: Urgency,
    pub observed_at: DateTime<FixedOffset>,
    pub handled_on_spot: bool,
    pub photos: Vec<LocalPhoto>,
    pub clips: Vec<ClipRef>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finalized_at: Option<DateTime<Utc>>,
    /// What the centre said when it refused the report (or a change to it).
    pub centre_note: Option<gridwalk_protocol::Message>,
    /// The centre's version of the report, once it has said (edits are based on it).
    pub central_version: Option<u64>,
    /// Where the report stands at the centre, once the feed has said.
    pub central_state: Option<CaseState>,
}

/// Changes to a draft's own fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct DraftPatch {
    pub kind: Option<Kind>,
    pub category: Option<CategoryCode>,
    /// `Some(None)` clears the component ID: in JSON, `null` clears it and a missing field
    /// leaves it.
    #[serde(deserialize_with = "present")]
    pub component_id: Option<Option<ComponentId>>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub urgency: Option<Urgency>,
    pub observed_at: Option<DateTime<FixedOffset>>,
    pub handled_on_spot: Option<bool>,
}

/// A field that is present, `null` included: plain serde reads `null` as absent (`None`)
/// for an `Option<Option<_>>`, which would make a cleared value impossible to send.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl LocalReport {
    /// The wire record, if every required field is present. Content rules are checked
    /// separately by `gridwalk_protocol::validate_report`.
    pub fn to_report(&self, device: DeviceId) -> Result<Report> {
        let mut missing = Vec::new();
        if self.kind.is_none() {
            missing.push("kind");
        }
        if self.category.is_none() {
            missing.push("category");
        }
        if self.location.is_none() {
            missing.push("location");
        }
        let (Some(kind), Some(category), Some(location)) =
            (self.kind, self.category.clone(), self.location)
        else {
            let missing = ValidationErrors(
                missing
                    .into_iter()
                    .map(|field| FieldError {
                        field: field.to_owned(),
                        problem: msg!(VALID_REQUIRED),
                    })
                    .collect(),
            );
            return Err(Error::Incomplete(
                missing.as_message(code::DEVICE_INCOMPLETE),
            ));
        };
        Ok(Report {
            id: self.id,
            kind,
            category,
            code_table_version: self.code_table_version.clone(),
            component_id: self.component_id.clone(),
            description: self.description.clone(),
            address: self.address.clone(),
            location,
            cell: self.cell.clone(),
            location_flags: self.location_flags.clone(),
            urgency: self.urgency,
            observed_at: self.observed_at,
            reporter: self.reporter,
            device,
            photos: self.photos.iter().map(|p| p.photo.clone()).collect(),
            clips: self.clips.clone(),
            handled_on_spot: self.handled_on_spot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_component_id_clears_it_and_a_missing_one_leaves_it() {
        let patch = |json: &str| serde_json::from_str::<DraftPatch>(json).expect("patch");
        assert_eq!(patch(r#"{"component_id": null}"#).component_id, Some(None));
        assert_eq!(patch(r#"{"description": "x"}"#).component_id, None);
        assert_eq!(
            patch(r#"{"component_id": "4407030102000001"}"#).component_id,
            Some(Some("4407030102000001".parse().expect("id")))
        );
    }
}
