//! A team leader's correction at 立案: the category (小类), the description and the address
//! the inspector filed, put right by the person who registers the case ([`correct`]).
//!
//! **What a correction is.** The next version of the report, written in the same
//! transaction as the registration, and made by the leader: its `by_user` is the leader,
//! it names no device and no mutation, and carries no signature. It goes on the report's
//! versions hash chain like every other version (the chain covers the record, the patch,
//! who and when), and the report's row is sealed again over the new head, so the seal
//! stays verified. An inspector's versions are signed by the tablet's key because they
//! came over the network from a device the centre must not take on trust; a leader's
//! version is made at the centre by a signed-in person, and is attributed to them by the
//! chain itself (the evidence package checks device signatures only where a version names
//! a device's mutation, so a leader's version is neither a signed nor an unsigned device
//! entry). An operator's resolution of a conflict is the same kind of version.
//!
//! **What the inspector sees.** The corrected record reaches the tablet through the change
//! feed (the tablet takes the centre's record when nothing of the inspector's is queued),
//! with the report's note set to [`note`]: `note.corrected`, one field message per field
//! changed, each old → new (a category as `kind:code`, which each front end names from its
//! code table). The feed passes this note on in every state from then on
//! ([`is_correction_note`]): it is the centre's last word on the report.
//!
//! **Against the inspector's own edits.** A correction names the version the leader looked
//! at; if the inspector's edit arrived in between, the correction (and so the
//! registration) is refused in words (`case.version`) and the leader looks again. Once
//! registered, a report is no longer the inspector's to change ([`CaseState::editable`]):
//! an edit the tablet queued before it heard of the correction is refused as too late
//! (`edit.too_late`), and the tablet goes back to the centre's record, which holds the
//! correction. So a correction never meets an edit field by field, and there is no conflict
//! for an operator to resolve.
//!
//! [`CaseState::editable`]: gridwalk_protocol::CaseState::editable

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::Correction;
use gridwalk_protocol::message::{Message, code, msg};
use gridwalk_protocol::{CodeTable, Report, ReportPatch, Version, validate_report};

/// What a correction writes: the report's next version and the note to the inspector.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    pub record: Report,
    pub patch: ReportPatch,
    pub note: Message,
}

/// The correction `c` of report `held` (at `version`, filed under code table `table`), or
/// why it cannot be made. `None` when it changes nothing (the values given are those held).
pub fn correct(
    held: &Report,
    version: Version,
    c: &Correction,
    table: Option<&CodeTable>,
    now: DateTime<Utc>,
) -> Result<Option<Corrected>, Message> {
    if c.version != version {
        return Err(msg!(
            CASE_VERSION,
            report = held.id,
            held = version,
            expected = c.version
        ));
    }
    let mut record = held.clone();
    if let Some(choice) = &c.category {
        record.kind = choice.kind;
        record.category = choice.category.clone();
    }
    if let Some(d) = &c.description {
        d.trim().clone_into(&mut record.description);
    }
    if let Some(a) = &c.address {
        a.trim().clone_into(&mut record.address);
    }
    if record == *held {
        return Ok(None);
    }
    let Some(table) = table else {
        return Err(msg!(
            UNKNOWN_CODE_TABLE,
            version = gridwalk_protocol::validate::shown(&held.code_table_version)
        ));
    };
    validate_report(&record, table, now).map_err(|e| e.as_message(code::CORRECTION_INVALID))?;
    let patch = ReportPatch::between(held, &record);
    let note = note(held, &record);
    Ok(Some(Corrected {
        record,
        patch,
        note,
    }))
}

/// A category as a correction's note names it: `kind:code` (`event:0507`).
#[must_use]
pub fn category_key(r: &Report) -> String {
    format!("{}:{}", r.kind, r.category.as_str())
}

/// The note to the inspector: each field the leader changed, old → new.
#[must_use]
pub fn note(from: &Report, to: &Report) -> Message {
    let mut changes: Vec<(&str, String, String)> = Vec::new();
    if (from.kind, &from.category) != (to.kind, &to.category) {
        changes.push(("category", category_key(from), category_key(to)));
    }
    if from.description != to.description {
        changes.push((
            "description",
            from.description.clone(),
            to.description.clone(),
        ));
    }
    if from.address != to.address {
        changes.push(("address", from.address.clone(), to.address.clone()));
    }
    let english = changes
        .iter()
        .map(|(field, a, b)| format!("{field}: {a} → {b}"))
        .collect::<Vec<_>>()
        .join("; ");
    changes
        .into_iter()
        .fold(msg!(CORRECTED, problems = english), |m, (field, a, b)| {
            m.with_field(field, msg!(CORRECTED_VALUE, from = a, to = b))
        })
}

/// Whether a report's stored note is a correction's, which the inspector keeps seeing
/// whatever the report's state (other notes say why a report was returned, rejected or
/// merged, and stop being news once it moves on).
#[must_use]
pub fn is_correction_note(note: &str) -> bool {
    Message::from_stored(note).code == code::CORRECTED
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use gridwalk_protocol::console::CategoryChoice;
    use gridwalk_protocol::{CategoryCode, Kind};

    use super::*;

    fn table() -> CodeTable {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codes.json");
        CodeTable::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn held() -> Report {
        let mut r = gridwalk_protocol::testing::report();
        r.component_id = None;
        r
    }

    fn correction(version: Version) -> Correction {
        Correction {
            version,
            category: None,
            description: None,
            address: None,
        }
    }

    #[test]
    fn a_correction_is_a_new_version_with_a_note_of_each_change() {
        let t = table();
        let r = held();
        let c = Correction {
            category: Some(CategoryChoice {
                kind: Kind::Event,
                category: "0504".parse::<CategoryCode>().unwrap(),
            }),
            description: Some("  店外占道经营  ".into()),
            address: Some("建设路 12 号".into()),
            ..correction(3)
        };
        let done = correct(&r, 3, &c, Some(&t), Utc::now()).unwrap().unwrap();
        assert_eq!(done.record.kind, Kind::Event);
        assert_eq!(done.record.category.as_str(), "0504");
        assert_eq!(done.record.description, "店外占道经营", "trimmed");
        assert_eq!(done.record.address, "建设路 12 号");
        assert_eq!(done.record.location, r.location, "the place stays");
        assert_eq!(done.patch.apply_to(&r), done.record);
        assert_eq!(done.note.code, code::CORRECTED);
        let fields: Vec<_> = done.note.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["category", "description", "address"]);
        assert_eq!(done.note.fields[0].params["from"], "event:0507");
        assert_eq!(done.note.fields[0].params["to"], "event:0504");
        assert_eq!(done.note.fields[1].params["from"], r.description);
        assert!(
            done.note.english().starts_with(
                "your team leader corrected the report when registering it: category: "
            ),
            "{}",
            done.note
        );
        assert!(is_correction_note(&done.note.to_json()));
        assert!(!is_correction_note("照片看不清"));
    }

    #[test]
    fn a_correction_of_another_version_or_to_nothing_new_or_to_no_category_is_refused() {
        let t = table();
        let r = held();
        let stale = correct(&r, 2, &correction(1), Some(&t), Utc::now()).unwrap_err();
        assert_eq!(stale.code, code::CASE_VERSION);
        let same = Correction {
            description: Some(r.description.clone()),
            ..correction(1)
        };
        assert_eq!(correct(&r, 1, &same, Some(&t), Utc::now()), Ok(None));
        let unknown = Correction {
            category: Some(CategoryChoice {
                kind: Kind::Event,
                category: "0999".parse::<CategoryCode>().unwrap(),
            }),
            ..correction(1)
        };
        let e = correct(&r, 1, &unknown, Some(&t), Utc::now()).unwrap_err();
        assert_eq!(e.code, code::CORRECTION_INVALID);
        assert_eq!(e.fields[0].field, "category", "{e}");
        let long = Correction {
            description: Some("长".repeat(5000)),
            ..correction(1)
        };
        let e = correct(&r, 1, &long, Some(&t), Utc::now()).unwrap_err();
        assert_eq!(e.fields[0].field, "description", "{e}");
        let e = correct(&r, 1, &long, None, Utc::now()).unwrap_err();
        assert_eq!(e.code, code::UNKNOWN_CODE_TABLE);
    }
}
