//! An operator's resolution of a conflict: the same field changed differently on a device
//! and at the centre ([`crate::domain::edits`]). The operator picks a value for every field
//! in the conflict; the report's next version takes them (checked against its code table
//! like any report) and reaches the devices through the feed. A report removed at the
//! centre stays removed: the device's change is kept in the conflict record.

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{Conflict, FieldChoice, Resolve};
use gridwalk_protocol::message::{code, msg};
use gridwalk_protocol::{Report, ReportPatch, UserId, Version, validate_report};
use uuid::Uuid;

use super::Denied;
use super::edits::DELETED_FIELD;
use super::model::StoredReport;
use super::place::{self, ClaimChange};
use super::reference::Reference;

/// A resolution as the store writes it: the report's next version (`record`, made by
/// `patch` from `expected_version`, placed again in the centre's grid if it moves the
/// report) and the values chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub conflict: Uuid,
    pub record: Report,
    pub expected_version: Version,
    pub patch: ReportPatch,
    /// What the version does to the device's claim about the place.
    pub claim: ClaimChange,
    pub choices: Vec<FieldChoice>,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// Decides a resolution of `conflict` on the report `held`, as `req` chooses; a chosen
/// place is placed again, judged with the reporter's own cells (`reporter_cells`).
pub fn resolve(
    conflict: &Conflict,
    held: &StoredReport,
    req: &Resolve,
    reference: &Reference,
    reporter_cells: &[gridwalk_protocol::CellCode],
    by: UserId,
    now: DateTime<Utc>,
) -> Result<Resolution, Denied> {
    let id = conflict.id;
    if conflict.resolved_at.is_some() {
        return Err(Denied::Refused(msg!(CONFLICT_RESOLVED, id = id)));
    }
    let wanted: Vec<&str> = conflict.fields.iter().map(|f| f.field.as_str()).collect();
    for f in &req.fields {
        if !wanted.contains(&f.field.as_str()) {
            return Err(Denied::Invalid(msg!(
                CONFLICT_NOT_FIELD,
                field = format!("{:?}", f.field),
                fields = wanted.join(", ")
            )));
        }
    }
    if let Some(missing) = wanted
        .iter()
        .find(|w| !req.fields.iter().any(|f| f.field == **w))
    {
        return Err(Denied::Invalid(msg!(CONFLICT_CHOOSE, field = missing)));
    }
    if let Some(d) = req.fields.iter().find(|f| f.field == DELETED_FIELD)
        && d.value != serde_json::Value::Bool(true)
    {
        return Err(Denied::Invalid(msg!(CONFLICT_NO_REVIVE)));
    }
    let fields: Vec<(&str, &serde_json::Value)> = req
        .fields
        .iter()
        .filter(|f| f.field != DELETED_FIELD)
        .map(|f| (f.field.as_str(), &f.value))
        .collect();
    let patch = ReportPatch::from_fields(fields)
        .map_err(|why| Denied::Invalid(msg!(BODY_INVALID, why = why)))?;
    let merged = patch.apply_to(&held.report);
    let patch = ReportPatch::between(&held.report, &merged);
    if !patch.is_empty() {
        let table = reference.table(&merged.code_table_version).ok_or_else(|| {
            Denied::Invalid(msg!(
                UNKNOWN_CODE_TABLE,
                version = gridwalk_protocol::validate::shown(&merged.code_table_version)
            ))
        })?;
        validate_report(&merged, table, now)
            .map_err(|e| Denied::Invalid(e.as_message(code::CONFLICT_INVALID)))?;
    }
    let (record, claim) = place::after_edit(merged, &patch, &reference.grid, reporter_cells);
    Ok(Resolution {
        conflict: id,
        record,
        expected_version: held.version,
        patch,
        claim,
        choices: req.fields.clone(),
        by,
        at: now,
    })
}

/// Whether a resolution planned against `expected` may be written to a report now at
/// `held`, with the conflict's resolution time `resolved_at` as it stands.
pub fn check_write(
    conflict: Uuid,
    resolved_at: Option<DateTime<Utc>>,
    report: gridwalk_protocol::ReportId,
    held: Version,
    expected: Version,
) -> Result<(), Denied> {
    if resolved_at.is_some() {
        return Err(Denied::Refused(msg!(CONFLICT_RESOLVED, id = conflict)));
    }
    if held != expected {
        return Err(Denied::Refused(msg!(
            CONFLICT_CHANGED,
            report = report,
            held = held,
            expected = expected
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use gridwalk_protocol::{CaseState, CodeTable, DeviceId, FieldConflict, ReportId, UserId};

    use super::*;

    fn reference() -> Reference {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codes.json");
        let t = CodeTable::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        Reference::new([t], None)
    }

    fn setup(field: &str) -> (Conflict, StoredReport) {
        let report = gridwalk_protocol::testing::report();
        let conflict = Conflict {
            id: Uuid::now_v7(),
            report: report.id,
            device: DeviceId::new(),
            mutation: 3,
            base_version: 1,
            central_version: 2,
            fields: vec![FieldConflict {
                field: field.into(),
                base: "a".into(),
                central: "b".into(),
                device: "c".into(),
            }],
            opened_at: Utc::now(),
            resolved_at: None,
            resolution: None,
            resolved_by: None,
        };
        let held = StoredReport {
            report,
            state: CaseState::PendingReview,
            version: 2,
            received_at: Utc::now(),
            duplicate_of: None,
            deleted_at: None,
            note: None,
            merged_into: None,
            case_no: None,
        };
        (conflict, held)
    }

    fn choose(field: &str, value: serde_json::Value) -> Resolve {
        Resolve {
            fields: vec![FieldChoice {
                field: field.into(),
                value,
            }],
        }
    }

    #[test]
    fn the_chosen_value_makes_the_next_version() {
        let (c, held) = setup("description");
        let by = UserId::new();
        let r = resolve(
            &c,
            &held,
            &choose("description", "定了".into()),
            &reference(),
            &[],
            by,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(r.record.description, "定了");
        assert_eq!(r.expected_version, 2);
        assert_eq!(r.patch.description.as_deref(), Some("定了"));
        assert_eq!(r.by, by);
    }

    #[test]
    fn a_resolution_must_answer_the_conflict_exactly() {
        let (c, held) = setup("description");
        let by = UserId::new();
        let refusal =
            |req: Resolve| resolve(&c, &held, &req, &reference(), &[], by, Utc::now()).unwrap_err();
        assert!(
            matches!(refusal(choose("urgency", "urgent".into())), Denied::Invalid(m) if m.english().contains("not in this conflict"))
        );
        assert!(
            matches!(refusal(Resolve { fields: vec![] }), Denied::Invalid(m) if m.english().contains("choose a value for description"))
        );
        let mut done = c.clone();
        done.resolved_at = Some(Utc::now());
        assert!(matches!(
            resolve(
                &done,
                &held,
                &choose("description", "x".into()),
                &reference(),
                &[],
                by,
                Utc::now()
            ),
            Err(Denied::Refused(_))
        ));
        let (gone, held) = setup(DELETED_FIELD);
        assert!(matches!(
            resolve(&gone, &held, &choose(DELETED_FIELD, false.into()), &reference(), &[], by, Utc::now()),
            Err(Denied::Invalid(m)) if m.english().contains("cannot be brought back")
        ));
        let kept = resolve(
            &gone,
            &held,
            &choose(DELETED_FIELD, true.into()),
            &reference(),
            &[],
            by,
            Utc::now(),
        )
        .unwrap();
        assert!(kept.patch.is_empty(), "keeping it removed changes nothing");
    }

    #[test]
    fn a_resolution_is_written_only_on_the_version_it_was_chosen_against() {
        let (c, r) = (Uuid::now_v7(), ReportId::new());
        assert!(check_write(c, None, r, 2, 2).is_ok());
        assert!(
            matches!(check_write(c, None, r, 3, 2), Err(Denied::Refused(m)) if m.english().contains("while you chose"))
        );
        assert!(
            matches!(check_write(c, Some(Utc::now()), r, 2, 2), Err(Denied::Refused(m)) if m.english().contains("already resolved"))
        );
    }
}
