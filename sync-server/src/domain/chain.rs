//! The centre's side of the hash chains ([`gridwalk_evidence::chain`]): what of each stored
//! row is chained, and how the chains of the whole store are judged.
//!
//! - A report's **versions** chain covers, per version: the report, the version number, the
//!   record, the patch, who made it (person, device, mutation number) and when
//!   ([`version_entry`]).
//! - A report's **case events** chain covers, per step: the action, the states from and to,
//!   who (person, device), the text (comment, reason, department, case number), the
//!   deadline set and when ([`event_entry`]).
//! - The **administrative acts** chain covers each act's number, ID, time, actor, action,
//!   subject and detail ([`act_entry`]).
//! - A report's **row** (with its case row) is sealed over both chains' heads
//!   ([`ReportRow`]): its record, version, state, classification, place, note, merge and
//!   deletion marks, and the case's number, department, deadline and closing.
//!
//! A version or an event a device made also covers the device's signature of the mutation
//! that made it (and an event, that mutation's number), in rows written since the chain
//! covers them: a row's `chain_form` says which ([`CHAIN_FORM`]). Rows written before, in
//! form 1, hash as they always did; their signature is still checked against its signed
//! form in an evidence package, but the chain does not cover it. Changing a row's form
//! changes what its hash is computed over, so it breaks the chain like any other change.
//!
//! To chain a new column, add it to the entry struct in `gridwalk_evidence::chain` as an
//! `Option` skipped when absent, fill it here for a new form, and keep older forms as they
//! were.

use chrono::{DateTime, Utc};
use gridwalk_evidence::chain::{self, ActEntry, Break, Entry, EventEntry, Link, VersionEntry};
use gridwalk_protocol::{DeviceId, ReportId, UserId};
use serde_json::{Value, json};

use crate::domain::model::AdminAct;

/// The form of the chain entries written now: 2 covers the device's signature (and an
/// event's mutation number); 1 did not.
pub const CHAIN_FORM: i64 = 2;

/// A report version as the chain covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionFacts {
    pub report: ReportId,
    pub version: i64,
    pub record: Value,
    pub patch: Option<Value>,
    pub by_user: Option<UserId>,
    pub by_device: Option<DeviceId>,
    pub mutation: Option<i64>,
    /// The device's signature of `mutation`.
    pub signature: Option<String>,
    pub at: DateTime<Utc>,
    /// [`CHAIN_FORM`] for a new row; as stored for one read back.
    pub form: i64,
}

/// The chain entry of a report version.
#[must_use]
pub fn version_entry(v: &VersionFacts) -> Entry {
    Entry::ReportVersion(VersionEntry {
        report: v.report.to_string(),
        version: v.version,
        record: v.record.clone(),
        patch: v.patch.clone(),
        by_user: v.by_user.map(|u| u.to_string()),
        by_device: v.by_device.map(|d| d.to_string()),
        mutation: v.mutation,
        signature: v.signature.clone().filter(|_| v.form >= 2),
        at: chain::time(&v.at),
    })
}

/// A case event as the chain covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    pub report: ReportId,
    pub action: String,
    pub from: String,
    pub to: String,
    pub by_user: Option<UserId>,
    pub by_device: Option<DeviceId>,
    pub text: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// The device's mutation that took the step, and its signature.
    pub mutation: Option<i64>,
    pub signature: Option<String>,
    pub at: DateTime<Utc>,
    /// [`CHAIN_FORM`] for a new row; as stored for one read back.
    pub form: i64,
}

/// The chain entry of a case event.
#[must_use]
pub fn event_entry(e: &EventFacts) -> Entry {
    Entry::CaseEvent(EventEntry {
        report: e.report.to_string(),
        action: e.action.clone(),
        from: e.from.clone(),
        to: e.to.clone(),
        by_user: e.by_user.map(|u| u.to_string()),
        by_device: e.by_device.map(|d| d.to_string()),
        text: e.text.clone(),
        due_at: e.due_at.as_ref().map(chain::time),
        mutation: e.mutation.filter(|_| e.form >= 2),
        signature: e.signature.clone().filter(|_| e.form >= 2),
        at: chain::time(&e.at),
    })
}

/// The chain entry of administrative act number `seq`.
#[must_use]
pub fn act_entry(seq: i64, a: &AdminAct) -> Entry {
    Entry::AdminAct(ActEntry {
        seq,
        id: a.id.to_string(),
        at: chain::time(&a.at),
        actor: a.actor.clone(),
        action: a.action.clone(),
        subject: a.subject.clone(),
        detail: a.detail.clone(),
    })
}

/// A report's row and its case's, as sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub id: ReportId,
    pub device: DeviceId,
    pub reporter: UserId,
    pub version: i64,
    pub state: String,
    pub kind: String,
    pub category: String,
    pub cell: Option<String>,
    pub urgency: String,
    pub observed_at: DateTime<Utc>,
    pub record: Value,
    pub received_at: DateTime<Utc>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub duplicate_of: Option<ReportId>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub merged_into: Option<ReportId>,
    pub state_at: Option<DateTime<Utc>>,
    pub case: Option<CaseRow>,
}

/// A case's row, as sealed with its report's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub case_no: String,
    pub registered_at: DateTime<Utc>,
    pub department: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub reworks: i64,
    pub closed_at: Option<DateTime<Utc>>,
}

impl ReportRow {
    /// The row as JSON, as [`chain::seal`] covers it.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let t = |t: &Option<DateTime<Utc>>| t.as_ref().map(chain::time);
        json!({
            "id": self.id.to_string(),
            "device": self.device.to_string(),
            "reporter": self.reporter.to_string(),
            "version": self.version,
            "state": self.state,
            "kind": self.kind,
            "category": self.category,
            "cell": self.cell,
            "urgency": self.urgency,
            "observed_at": chain::time(&self.observed_at),
            "record": self.record,
            "received_at": chain::time(&self.received_at),
            "lon": self.lon,
            "lat": self.lat,
            "duplicate_of": self.duplicate_of.map(|r| r.to_string()),
            "deleted_at": t(&self.deleted_at),
            "note": self.note,
            "merged_into": self.merged_into.map(|r| r.to_string()),
            "state_at": t(&self.state_at),
            "case": self.case.as_ref().map(|c| json!({
                "case_no": c.case_no,
                "registered_at": chain::time(&c.registered_at),
                "department": c.department,
                "due_at": t(&c.due_at),
                "reworks": c.reworks,
                "closed_at": t(&c.closed_at),
            })),
        })
    }

    /// The seal of this row over its chains' heads.
    #[must_use]
    pub fn seal(&self, versions_head: Option<&str>, events_head: Option<&str>) -> String {
        chain::seal(
            &self.to_json(),
            versions_head.unwrap_or(chain::GENESIS),
            events_head.unwrap_or(chain::GENESIS),
        )
    }
}

/// One report's row and chains as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportChains {
    pub id: ReportId,
    pub case_no: Option<String>,
    pub row: ReportRow,
    pub seal: Option<String>,
    pub versions: Vec<Link>,
    pub events: Vec<Link>,
}

/// The table a break of a report's chains is in.
#[must_use]
pub fn table_of(b: &Break) -> &'static str {
    if b.label.starts_with("version") {
        "report_versions"
    } else if b.label.starts_with("case event") {
        "case_events"
    } else {
        "reports"
    }
}

/// What checking one report found: its counts, or its first bad entry.
///
/// # Errors
/// The first bad entry of its versions, then its events, then its row.
pub fn check(r: &ReportChains) -> Result<chain::Checked, Break> {
    chain::check_report(&r.row.to_json(), r.seal.as_deref(), &r.versions, &r.events)
}

/// Checks the administrative acts chain: numbered 1, 2, … without a gap, each linked to the
/// one before, ending where the recorded head says. Returns how many acts it holds.
///
/// # Errors
/// The first bad act, or the head.
pub fn check_acts(acts: &[Link], head_seq: i64, head_hash: &str) -> Result<usize, Break> {
    for (n, l) in (1i64..).zip(acts) {
        match &l.entry {
            Entry::AdminAct(a) if a.seq == n => {}
            Entry::AdminAct(a) => {
                return Err(Break {
                    label: l.label.clone(),
                    what: format!(
                        "act {n} is missing (the acts go from {} to {})",
                        n - 1,
                        a.seq
                    ),
                });
            }
            _ => {
                return Err(Break {
                    label: l.label.clone(),
                    what: "is not an administrative act".into(),
                });
            }
        }
    }
    let head = chain::walk(acts)?;
    let last = i64::try_from(acts.len()).unwrap_or(i64::MAX);
    if head != head_hash || last != head_seq {
        return Err(Break {
            label: "the chain's head".into(),
            what: format!(
                "the centre recorded {head_seq} acts ending in {}, the table holds {last} \
                 ending in {} (acts at the end were removed)",
                short(head_hash),
                short(&head)
            ),
        });
    }
    Ok(acts.len())
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn act(n: i64) -> (String, Entry) {
        let a = AdminAct {
            id: Uuid::now_v7(),
            at: Utc::now(),
            actor: "cli".into(),
            action: "create_user".into(),
            subject: format!("user{n}"),
            detail: None,
        };
        (format!("admin act {n}"), act_entry(n, &a))
    }

    #[test]
    fn the_acts_chain_checks_and_names_what_is_wrong() {
        let links = chain::link((1..=3).map(act).collect());
        let head = links[2].hash.clone().unwrap_or_default();
        assert_eq!(check_acts(&links, 3, &head), Ok(3));
        let mut cut = links.clone();
        cut.pop();
        let b = check_acts(&cut, 3, &head).expect_err("cut short");
        assert_eq!(b.label, "the chain's head");
        let mut gap = links.clone();
        gap.remove(1);
        let b = check_acts(&gap, 3, &head).expect_err("gap");
        assert_eq!(b.label, "admin act 3");
        assert!(b.what.contains("act 2 is missing"), "{b}");
        let mut edited = links;
        if let Entry::AdminAct(a) = &mut edited[1].entry {
            a.actor = "someone".into();
        }
        assert_eq!(
            check_acts(&edited, 3, &head).expect_err("edited").label,
            "admin act 2"
        );
    }

    #[test]
    fn a_row_seals_over_its_heads_and_its_every_field() {
        let row = ReportRow {
            id: ReportId::new(),
            device: DeviceId::new(),
            reporter: UserId::new(),
            version: 1,
            state: "pending_review".into(),
            kind: "event".into(),
            category: "0102".into(),
            cell: None,
            urgency: "normal".into(),
            observed_at: Utc::now(),
            record: json!({"description": "x"}),
            received_at: Utc::now(),
            lon: Some(113.08),
            lat: Some(22.58),
            duplicate_of: None,
            deleted_at: None,
            note: None,
            merged_into: None,
            state_at: Some(Utc::now()),
            case: None,
        };
        let s = row.seal(Some("a"), None);
        assert_ne!(s, row.seal(Some("b"), None));
        let mut moved = row.clone();
        moved.lat = Some(22.581);
        assert_ne!(s, moved.seal(Some("a"), None));
        let mut cased = row;
        cased.case = Some(CaseRow {
            case_no: "20261130-0001".into(),
            registered_at: Utc::now(),
            department: None,
            due_at: None,
            reworks: 0,
            closed_at: None,
        });
        assert_ne!(s, cased.seal(Some("a"), None));
    }
}
