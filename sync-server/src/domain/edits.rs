//! What a device's edit does to a report the centre holds, decided without touching
//! storage: the store reads what it needs under lock, asks [`plan`], and writes the answer.
//!
//! An edit names the version it was based on. What the device saw when it made the edit is
//! that version *plus its own earlier edits* that the centre has applied since (a device
//! that edits twice between pulls bases both edits on the same version): [`device_view`]
//! replays those. The edit is then merged field group by field group against what the
//! centre holds now ([`gridwalk_protocol::edit::merge`]). The result is checked against the
//! code table like a new report; a group both sides changed differently becomes a conflict
//! for an operator and keeps the centre's value until then. An edit to a report removed at
//! the centre changes nothing and opens a conflict, so the device's work is not lost.

use chrono::{DateTime, Utc};
use gridwalk_protocol::edit::merge;
use gridwalk_protocol::message::{Message, code, msg};
use gridwalk_protocol::{
    CaseState, FieldConflict, Outcome, Report, ReportPatch, Version, validate_patch_times,
    validate_report,
};

use super::model::Device;
use super::reference::Reference;

/// The report as the centre holds it, read under the transaction's lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub record: Report,
    pub version: Version,
    pub state: CaseState,
    pub deleted: bool,
}

/// The versions an edit is judged against.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// The record at the edit's base version, if kept.
    pub base: Option<&'a Report>,
    /// Patches of this device's own edits applied after the base version, in order.
    pub own_later: &'a [ReportPatch],
}

/// What the store does with an edit.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Write nothing; refuse with this reason.
    Reject(Message),
    /// Write `record` as the next version (if `Some`), open a conflict with `conflicts` (if
    /// any), and answer applied, merged or conflict accordingly.
    Settle {
        record: Option<Box<Report>>,
        conflicts: Vec<FieldConflict>,
        /// The device saw exactly what the centre holds: nothing needed merging.
        direct: bool,
        /// The version the edit was merged into.
        central_version: Version,
    },
}

/// The most of its own edits a device may have made to one report since the version it
/// last took from the centre. Each edit replays them ([`device_view`]), so this bounds the
/// work of one edit and keeps a push linear in its length; a real tablet takes the centre's
/// copy on every sync, so it edits a report a few times between takes, never this often.
pub const MAX_UNTAKEN_EDITS: usize = 32;

/// The most versions one report may reach through devices' edits.
pub const MAX_VERSIONS: Version = 500;

/// The field name of the conflict an edit to a removed report opens.
pub const DELETED_FIELD: &str = "deleted";

/// The report as the device saw it when it made an edit based on `history.base`.
#[must_use]
pub fn device_view(base: &Report, own_later: &[ReportPatch]) -> Report {
    own_later
        .iter()
        .fold(base.clone(), |view, patch| patch.apply_to(&view))
}

/// The answer to a settled edit, once written: `conflict` names the conflict record opened
/// for it, if any; otherwise `direct` tells applied (the device had seen the current
/// version) from merged.
#[must_use]
pub fn answer(direct: bool, conflict: Option<uuid::Uuid>) -> Outcome {
    match conflict {
        Some(id) => Outcome::Conflict {
            conflict: id.to_string(),
        },
        None if direct => Outcome::Applied,
        None => Outcome::Merged,
    }
}

/// Decides an edit from `device`, based on `base_version`, to the report `held`.
#[must_use]
pub fn plan(
    device: &Device,
    held: Option<&Held>,
    base_version: Version,
    history: History<'_>,
    patch: &ReportPatch,
    reference: &Reference,
    now: DateTime<Utc>,
) -> Plan {
    let Some(held) = held else {
        return Plan::Reject(msg!(EDIT_NO_REPORT));
    };
    if held.record.reporter != device.user {
        return Plan::Reject(msg!(EDIT_NOT_YOURS, report = held.record.id));
    }
    if held.deleted {
        let device_value = serde_json::to_value(patch).unwrap_or(serde_json::Value::Null);
        return Plan::Settle {
            record: None,
            conflicts: vec![FieldConflict {
                field: DELETED_FIELD.into(),
                base: false.into(),
                central: true.into(),
                device: device_value,
            }],
            direct: false,
            central_version: held.version,
        };
    }
    if !held.state.editable() {
        return Plan::Reject(msg!(
            EDIT_TOO_LATE,
            report = held.record.id,
            state = held.state.as_str()
        ));
    }
    if base_version == 0 || base_version > held.version {
        return Plan::Reject(msg!(EDIT_BASE, base = base_version, held = held.version));
    }
    let Some(base) = history.base else {
        return Plan::Reject(msg!(
            EDIT_BASE_GONE,
            base = base_version,
            report = held.record.id
        ));
    };
    if history.own_later.len() > MAX_UNTAKEN_EDITS {
        return Plan::Reject(msg!(
            EDIT_TOO_MANY,
            report = held.record.id,
            max = MAX_UNTAKEN_EDITS,
            base = base_version
        ));
    }
    if held.version >= MAX_VERSIONS {
        return Plan::Reject(msg!(
            EDIT_MAX_VERSIONS,
            report = held.record.id,
            versions = held.version
        ));
    }
    if let Err(e) = validate_patch_times(patch, now) {
        return Plan::Reject(e.as_message(code::EDIT_IMPLAUSIBLE));
    }
    let view = device_view(base, history.own_later);
    let m = merge(&view, &held.record, patch);
    let record = (m.merged != held.record).then_some(m.merged);
    if let Some(r) = &record {
        let Some(table) = reference.table(&r.code_table_version) else {
            return Plan::Reject(msg!(
                UNKNOWN_CODE_TABLE,
                version = gridwalk_protocol::validate::shown(&r.code_table_version)
            ));
        };
        if let Err(e) = validate_report(r, table, now) {
            return Plan::Reject(e.as_message(code::EDIT_INVALID));
        }
    }
    Plan::Settle {
        record: record.map(Box::new),
        conflicts: m.conflicts,
        direct: view == held.record,
        central_version: held.version,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use gridwalk_protocol::{CodeTable, DeviceId, Urgency, UserId};

    use crate::domain::model::Role;

    use super::*;

    fn table() -> CodeTable {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codes.json");
        CodeTable::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn held(table: &CodeTable) -> (Device, Held) {
        let user = UserId::new();
        let device = Device {
            id: DeviceId::new(),
            user,
            role: Role::Inspector,
        };
        let mut record = gridwalk_protocol::testing::report();
        assert_eq!(record.code_table_version, table.version());
        record.reporter = user;
        record.device = device.id;
        (
            device,
            Held {
                record,
                version: 1,
                state: CaseState::PendingReview,
                deleted: false,
            },
        )
    }

    fn edited(r: &Report, f: impl FnOnce(&mut Report)) -> Report {
        let mut e = r.clone();
        f(&mut e);
        e
    }

    #[test]
    fn answers_name_the_conflict_or_say_how_the_edit_went_in() {
        assert_eq!(answer(true, None), Outcome::Applied);
        assert_eq!(answer(false, None), Outcome::Merged);
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            answer(true, Some(id)),
            Outcome::Conflict {
                conflict: id.to_string()
            }
        );
    }

    #[test]
    fn an_edit_on_the_current_version_applies_directly() {
        let t = table();
        let (device, held) = held(&t);
        let to = edited(&held.record, |r| r.urgency = Urgency::Urgent);
        let patch = ReportPatch::between(&held.record, &to);
        let history = History {
            base: Some(&held.record),
            own_later: &[],
        };
        let plan = plan(
            &device,
            Some(&held),
            1,
            history,
            &patch,
            &Reference::new([t], None),
            Utc::now(),
        );
        assert_eq!(
            plan,
            Plan::Settle {
                record: Some(Box::new(to)),
                conflicts: vec![],
                direct: true,
                central_version: 1,
            }
        );
    }

    #[test]
    fn a_second_edit_on_the_same_base_sees_the_devices_first() {
        let t = table();
        let (device, mut held) = held(&t);
        let v1 = held.record.clone();
        let first = ReportPatch::between(&v1, &edited(&v1, |r| r.description = "一".into()));
        // The centre applied the first edit (version 2) and changed the urgency (version 3).
        held.record = edited(&first.apply_to(&v1), |r| r.urgency = Urgency::Urgent);
        held.version = 3;
        let mine = first.apply_to(&v1);
        let second = ReportPatch::between(&mine, &edited(&mine, |r| r.description = "二".into()));
        let history = History {
            base: Some(&v1),
            own_later: std::slice::from_ref(&first),
        };
        let Plan::Settle {
            record, conflicts, ..
        } = plan(
            &device,
            Some(&held),
            1,
            history,
            &second,
            &Reference::new([t], None),
            Utc::now(),
        )
        else {
            panic!("not settled")
        };
        assert!(conflicts.is_empty(), "{conflicts:?}");
        let record = record.unwrap();
        assert_eq!(record.description, "二");
        assert_eq!(record.urgency, Urgency::Urgent);
    }

    #[test]
    fn edit_work_is_bounded() {
        let t = table();
        let (device, mut held) = held(&t);
        let v1 = held.record.clone();
        let patch = ReportPatch {
            description: Some("又改".into()),
            ..ReportPatch::default()
        };
        let reference = Reference::new([t], None);
        let own = vec![patch.clone(); MAX_UNTAKEN_EDITS + 1];
        held.version = 40;
        let decide = |held: &Held, own: &[ReportPatch]| {
            let history = History {
                base: Some(&v1),
                own_later: own,
            };
            plan(
                &device,
                Some(held),
                1,
                history,
                &patch,
                &reference,
                Utc::now(),
            )
        };
        let Plan::Reject(reason) = decide(&held, &own) else {
            panic!("33 untaken edits are refused")
        };
        assert!(
            reason
                .english()
                .contains("more than 32 times since version 1"),
            "{reason}"
        );
        assert!(matches!(decide(&held, &own[1..]), Plan::Settle { .. }));

        held.version = MAX_VERSIONS;
        let Plan::Reject(reason) = decide(&held, &[]) else {
            panic!("a report at its last version is refused")
        };
        assert!(reason.english().contains("has 500 versions"), "{reason}");
    }

    #[test]
    fn edits_that_cannot_apply_say_why() {
        let t = table();
        let (device, mut held) = held(&t);
        let patch = ReportPatch {
            description: Some("x".into()),
            ..ReportPatch::default()
        };
        let h = History {
            base: Some(&held.record.clone()),
            own_later: &[],
        };
        let tables = Reference::new([t], None);
        let reason = |p: Plan| match p {
            Plan::Reject(r) => r.english(),
            other => panic!("not refused: {other:?}"),
        };
        assert!(
            reason(plan(&device, None, 1, h, &patch, &tables, Utc::now()))
                .contains("no such report")
        );
        assert!(
            reason(plan(
                &device,
                Some(&held),
                2,
                h,
                &patch,
                &tables,
                Utc::now()
            ))
            .contains("versions 1 to 1")
        );
        let stranger = Device {
            id: device.id,
            user: UserId::new(),
            role: Role::Inspector,
        };
        assert!(
            reason(plan(
                &stranger,
                Some(&held),
                1,
                h,
                &patch,
                &tables,
                Utc::now()
            ))
            .contains("another inspector")
        );
        let bad = ReportPatch {
            urgency: None,
            description: Some("x".repeat(5000)),
            ..ReportPatch::default()
        };
        assert!(
            reason(plan(&device, Some(&held), 1, h, &bad, &tables, Utc::now())).contains("invalid")
        );
        held.state = CaseState::Registered;
        assert!(
            reason(plan(
                &device,
                Some(&held),
                1,
                h,
                &patch,
                &tables,
                Utc::now()
            ))
            .contains("already registered")
        );
    }

    #[test]
    fn an_edit_to_a_removed_report_is_a_conflict_holding_the_edit() {
        let t = table();
        let (device, mut held) = held(&t);
        held.deleted = true;
        let patch = ReportPatch {
            description: Some("还在".into()),
            ..ReportPatch::default()
        };
        let h = History {
            base: Some(&held.record.clone()),
            own_later: &[],
        };
        let Plan::Settle {
            record, conflicts, ..
        } = plan(
            &device,
            Some(&held),
            1,
            h,
            &patch,
            &Reference::new([t], None),
            Utc::now(),
        )
        else {
            panic!("not a conflict")
        };
        assert!(record.is_none(), "nothing is written to a removed report");
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].field, DELETED_FIELD);
        assert_eq!(conflicts[0].device["description"], "还在");
    }
}
