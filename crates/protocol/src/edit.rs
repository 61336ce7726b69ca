//! Edits to a report after it was submitted, and how two sides' edits combine.
//!
//! An edit says which version of the report it was made against and gives the new value of
//! each field group it changed — nothing for the groups it left alone. Photos and body-cam
//! clips change as sets: what was added, what was removed.
//!
//! [`merge`] combines an edit with what the centre holds now, field group by field group:
//! a group the centre has not touched since the base takes the edit's value; a group both
//! sides changed to the same value is simply agreed; a group both changed differently keeps
//! the centre's value and becomes a [`FieldConflict`] (base, centre, device) for an
//! operator to decide — the device's value is kept there, never dropped. Photos and clips
//! merge as sets, so they never conflict.

use serde::{Deserialize, Serialize};

use crate::{
    CategoryCode, CellCode, ClipRef, ComponentId, Kind, Location, LocationFlag, PhotoId, PhotoRef,
    Report, Urgency,
};

/// The category a report is filed under: changed together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Filing {
    pub kind: Kind,
    pub category: CategoryCode,
    pub code_table_version: String,
    pub component_id: Option<ComponentId>,
}

/// Where the problem is: the position and what follows from it, changed together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Place {
    pub location: Location,
    pub cell: Option<CellCode>,
    pub location_flags: Vec<LocationFlag>,
    pub address: String,
}

/// A clip's identity: the camera and when the clip starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClipKey {
    pub camera_serial: String,
    pub start: chrono::DateTime<chrono::FixedOffset>,
}

impl ClipKey {
    #[must_use]
    pub fn of(c: &ClipRef) -> Self {
        Self {
            camera_serial: c.camera_serial.clone(),
            start: c.start,
        }
    }
}

/// The changes of one edit; `None` leaves a group as it was.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<Filing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_on_spot: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos_added: Vec<PhotoRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos_removed: Vec<PhotoId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clips_added: Vec<ClipRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clips_removed: Vec<ClipKey>,
}

impl ReportPatch {
    /// The patch that turns `from` into `to` (their photos and clips compared as sets).
    #[must_use]
    pub fn between(from: &Report, to: &Report) -> Self {
        let filing = Some(filing_of(to)).filter(|f| *f != filing_of(from));
        let place = Some(place_of(to)).filter(|p| *p != place_of(from));
        Self {
            filing,
            place,
            description: Some(to.description.clone()).filter(|d| *d != from.description),
            urgency: Some(to.urgency).filter(|u| *u != from.urgency),
            handled_on_spot: Some(to.handled_on_spot).filter(|h| *h != from.handled_on_spot),
            photos_added: to
                .photos
                .iter()
                .filter(|p| !from.photos.iter().any(|q| q.id == p.id))
                .cloned()
                .collect(),
            photos_removed: from
                .photos
                .iter()
                .filter(|p| !to.photos.iter().any(|q| q.id == p.id))
                .map(|p| p.id)
                .collect(),
            clips_added: to
                .clips
                .iter()
                .filter(|c| !from.clips.iter().any(|d| ClipKey::of(d) == ClipKey::of(c)))
                .cloned()
                .collect(),
            clips_removed: from
                .clips
                .iter()
                .filter(|c| !to.clips.iter().any(|d| ClipKey::of(d) == ClipKey::of(c)))
                .map(ClipKey::of)
                .collect(),
        }
    }

    /// `report` with every change of this patch, as the device that made it sees it.
    #[must_use]
    pub fn apply_to(&self, report: &Report) -> Report {
        merge(report, report, self).merged
    }

    /// The patch that sets each named field group to the value given, as an operator's
    /// resolution of a conflict states them (`filing`, `place`, `description`, `urgency`,
    /// `handled_on_spot`, each in the shape a [`FieldConflict`] shows). Names the field
    /// whose value is not of its kind.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
    ) -> Result<Self, String> {
        fn take<T: serde::de::DeserializeOwned>(
            field: &str,
            v: &serde_json::Value,
        ) -> Result<T, String> {
            serde_json::from_value(v.clone())
                .map_err(|e| format!("{field}: the value is not one this field can take ({e})"))
        }
        let mut patch = Self::default();
        for (field, v) in fields {
            match field {
                "filing" => patch.filing = Some(take(field, v)?),
                "place" => patch.place = Some(take(field, v)?),
                "description" => patch.description = Some(take(field, v)?),
                "urgency" => patch.urgency = Some(take(field, v)?),
                "handled_on_spot" => patch.handled_on_spot = Some(take(field, v)?),
                other => return Err(format!("{other:?} is not a field a conflict can be about")),
            }
        }
        Ok(patch)
    }

    /// Whether the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn filing_of(r: &Report) -> Filing {
    Filing {
        kind: r.kind,
        category: r.category.clone(),
        code_table_version: r.code_table_version.clone(),
        component_id: r.component_id.clone(),
    }
}

fn place_of(r: &Report) -> Place {
    Place {
        location: r.location,
        cell: r.cell.clone(),
        location_flags: r.location_flags.clone(),
        address: r.address.clone(),
    }
}

/// One field group both sides changed differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldConflict {
    /// `filing`, `place`, `description`, `urgency` or `handled_on_spot`.
    pub field: String,
    pub base: serde_json::Value,
    pub central: serde_json::Value,
    pub device: serde_json::Value,
}

/// What merging an edit gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The report with every change that did not conflict.
    pub merged: Report,
    /// The groups left for an operator, each holding the device's value.
    pub conflicts: Vec<FieldConflict>,
}

fn value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Merges `patch`, made against `base`, into `central` (what the centre holds now).
#[must_use]
pub fn merge(base: &Report, central: &Report, patch: &ReportPatch) -> Merge {
    let mut merged = central.clone();
    let mut conflicts = Vec::new();
    let mut group = |field: &str,
                     base: serde_json::Value,
                     central: serde_json::Value,
                     device: Option<serde_json::Value>|
     -> bool {
        let Some(device) = device else { return false };
        if central == base {
            true
        } else if device == central {
            false
        } else {
            conflicts.push(FieldConflict {
                field: field.to_owned(),
                base,
                central,
                device,
            });
            false
        }
    };
    if group(
        "filing",
        value(&filing_of(base)),
        value(&filing_of(central)),
        patch.filing.as_ref().map(value),
    ) && let Some(f) = &patch.filing
    {
        merged.kind = f.kind;
        merged.category = f.category.clone();
        merged.code_table_version = f.code_table_version.clone();
        merged.component_id = f.component_id.clone();
    }
    if group(
        "place",
        value(&place_of(base)),
        value(&place_of(central)),
        patch.place.as_ref().map(value),
    ) && let Some(p) = &patch.place
    {
        merged.location = p.location;
        merged.cell = p.cell.clone();
        merged.location_flags = p.location_flags.clone();
        merged.address = p.address.clone();
    }
    if group(
        "description",
        value(&base.description),
        value(&central.description),
        patch.description.as_ref().map(value),
    ) && let Some(d) = &patch.description
    {
        merged.description = d.clone();
    }
    if group(
        "urgency",
        value(&base.urgency),
        value(&central.urgency),
        patch.urgency.as_ref().map(value),
    ) && let Some(u) = patch.urgency
    {
        merged.urgency = u;
    }
    if group(
        "handled_on_spot",
        value(&base.handled_on_spot),
        value(&central.handled_on_spot),
        patch.handled_on_spot.as_ref().map(value),
    ) && let Some(h) = patch.handled_on_spot
    {
        merged.handled_on_spot = h;
    }
    merged
        .photos
        .retain(|p| !patch.photos_removed.contains(&p.id));
    for p in &patch.photos_added {
        if !merged.photos.iter().any(|q| q.id == p.id) {
            merged.photos.push(p.clone());
        }
    }
    merged
        .clips
        .retain(|c| !patch.clips_removed.contains(&ClipKey::of(c)));
    for c in &patch.clips_added {
        if !merged
            .clips
            .iter()
            .any(|d| ClipKey::of(d) == ClipKey::of(c))
        {
            merged.clips.push(c.clone());
        }
    }
    Merge { merged, conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{photo, report};

    #[test]
    fn changes_on_different_fields_merge() {
        let base = report();
        let mut central = base.clone();
        central.urgency = Urgency::Urgent;
        let mut device = base.clone();
        device.description = "堆放建筑垃圾约3立方米".into();
        let m = merge(&base, &central, &ReportPatch::between(&base, &device));
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        assert_eq!(
            m.merged.urgency,
            Urgency::Urgent,
            "the centre's change stays"
        );
        assert_eq!(
            m.merged.description, "堆放建筑垃圾约3立方米",
            "the device's arrives"
        );
    }

    #[test]
    fn the_same_field_changed_differently_is_a_conflict_that_keeps_both() {
        let base = report();
        let mut central = base.clone();
        central.description = "centre".into();
        let mut device = base.clone();
        device.description = "device".into();
        device.urgency = Urgency::Urgent;
        let m = merge(&base, &central, &ReportPatch::between(&base, &device));
        assert_eq!(
            m.merged.description, "centre",
            "the centre's value holds until decided"
        );
        assert_eq!(
            m.merged.urgency,
            Urgency::Urgent,
            "other groups still merge"
        );
        assert_eq!(
            m.conflicts,
            vec![FieldConflict {
                field: "description".into(),
                base: "路边堆放建筑垃圾".into(),
                central: "centre".into(),
                device: "device".into(),
            }]
        );
    }

    #[test]
    fn the_same_change_on_both_sides_is_agreement() {
        let base = report();
        let mut both = base.clone();
        both.urgency = Urgency::Urgent;
        let m = merge(&base, &both, &ReportPatch::between(&base, &both));
        assert!(m.conflicts.is_empty());
        assert_eq!(m.merged, both);
    }

    #[test]
    fn photos_and_clips_merge_as_sets() {
        let base = report();
        let mut central = base.clone();
        central.photos.push(photo());
        let mut device = base.clone();
        device.photos.clear();
        device.photos.push(photo());
        let patch = ReportPatch::between(&base, &device);
        assert_eq!(
            (patch.photos_added.len(), patch.photos_removed.len()),
            (1, 1)
        );
        let m = merge(&base, &central, &patch);
        assert!(m.conflicts.is_empty());
        let ids: Vec<_> = m.merged.photos.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![central.photos[1].id, device.photos[0].id]);
    }

    #[test]
    fn an_empty_patch_changes_nothing_and_travels_small() {
        let base = report();
        let patch = ReportPatch::between(&base, &base);
        assert!(patch.is_empty());
        assert_eq!(serde_json::to_string(&patch).expect("json"), "{}");
        assert_eq!(merge(&base, &base, &patch).merged, base);
    }
}
