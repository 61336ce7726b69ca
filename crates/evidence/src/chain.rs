//! The chains: what an entry is, how its hash is made, how a chain is walked, and the seal
//! of a report's current row.
//!
//! Three kinds of chain:
//! - **a report's versions**, in version order (version 1 is the record as submitted);
//! - **a report's case events** (every step of the loop, whoever made it), in the order
//!   they were written;
//! - **the administrative acts** of the whole centre, numbered from 1.
//!
//! An entry's hash is `SHA-256(prev ‖ canonical(entry))`, where `prev` is the previous
//! entry's hash as its 64 lower-case hex characters ([`GENESIS`] for the first entry) and
//! `canonical(entry)` is the canonical JSON ([`crate::canonical`]) of [`Entry`]'s serde
//! form. What each entry covers is exactly the fields of its struct below. A field added
//! later is an `Option` with `skip_serializing_if = "Option::is_none"`, so entries without
//! it keep their hashes and entries with it are covered: the device's `signature` of a
//! version or an event (and an event's `mutation`) came that way.
//!
//! A report's row (what the console shows as its present state) is sealed over the heads
//! of its two chains: `seal = SHA-256(canonical({row, versions_head, events_head}))`.
//! [`check_report`] walks both chains, checks that the row says what the chains end with
//! (the latest version's record and number, the last event's state), and checks the seal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{canonical, hex};

/// The `prev` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A time as it is hashed: UTC, to the microsecond (cut, not rounded), which both
/// databases keep exactly.
#[must_use]
pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// One version of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionEntry {
    pub report: String,
    pub version: i64,
    /// The record (protocol `Report`) as JSON.
    pub record: Value,
    /// The patch that made this version; none for version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation: Option<i64>,
    /// The device's signature of the mutation that made this version (base64 Ed25519 over
    /// its signed form; the form and key travel in the package's `signatures.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// [`time`].
    pub at: String,
}

/// One step of a report's case loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    pub report: String,
    pub action: String,
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// The device's mutation that took this step (a verification done in the field), and
    /// its signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub at: String,
}

/// One administrative act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActEntry {
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What is hashed: the entry's fields, tagged with its kind (so an entry of one chain can
/// never pass for one of another).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    ReportVersion(VersionEntry),
    CaseEvent(EventEntry),
    AdminAct(ActEntry),
}

impl Entry {
    /// The canonical bytes that are hashed.
    #[must_use]
    pub fn canonical(&self) -> Vec<u8> {
        canonical::to_bytes(&serde_json::to_value(self).unwrap_or(Value::Null))
    }

    /// This entry's hash after `prev`.
    #[must_use]
    pub fn hash(&self, prev: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(self.canonical());
        hex(&h.finalize())
    }
}

/// An entry as stored: where it is (for people: "version 3", "case event 17"), its
/// `prev` and `hash` as written, and what it says now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    /// As stored; `None` if the row has none (written around the server, or wiped).
    pub prev: Option<String>,
    pub hash: Option<String>,
    pub entry: Entry,
}

/// The first bad entry of a chain, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Break {
    /// Which entry ("version 3", "case event 17", "admin act 5 (…)", "the report row").
    pub label: String,
    /// What does not match.
    pub what: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.label, self.what)
    }
}

fn broke(label: &str, what: impl Into<String>) -> Break {
    Break {
        label: label.to_owned(),
        what: what.into(),
    }
}

/// Walks a chain from [`GENESIS`]: every entry must name the one before it as `prev` and
/// hash to its stored `hash`. Returns the head (the last hash; [`GENESIS`] for none).
///
/// # Errors
/// The first entry that does not.
pub fn walk(links: &[Link]) -> Result<String, Break> {
    let mut expected = GENESIS.to_owned();
    for l in links {
        let (Some(prev), Some(hash)) = (&l.prev, &l.hash) else {
            return Err(broke(
                &l.label,
                "has no hash: it was not written by the chain",
            ));
        };
        if *prev != expected {
            return Err(broke(
                &l.label,
                "does not follow the entry before it (an entry before it was removed, added \
                 or reordered)",
            ));
        }
        let computed = l.entry.hash(prev);
        if computed != *hash {
            return Err(broke(
                &l.label,
                "its content no longer matches its hash (it was changed after it was written)",
            ));
        }
        expected = computed;
    }
    Ok(expected)
}

/// The seal of a report's row over its chains' heads.
#[must_use]
pub fn seal(row: &Value, versions_head: &str, events_head: &str) -> String {
    let v = json!({
        "entry": "report_row",
        "row": row,
        "versions_head": versions_head,
        "events_head": events_head,
    });
    crate::sha256_hex(&canonical::to_bytes(&v))
}

/// What a report's checked chains end with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub versions: usize,
    pub events: usize,
    pub versions_head: String,
    pub events_head: String,
}

/// Checks one report: its versions chain (numbered 1, 2, … without a gap), its events
/// chain, its row against what they end with, and the row's seal. `row` is the report's
/// row as [`seal`] covers it (it holds at least `record`, `version` and `state`).
///
/// # Errors
/// The first bad entry, or the row.
pub fn check_report(
    row: &Value,
    stored_seal: Option<&str>,
    versions: &[Link],
    events: &[Link],
) -> Result<Checked, Break> {
    for (n, l) in (1i64..).zip(versions) {
        let Entry::ReportVersion(v) = &l.entry else {
            return Err(broke(&l.label, "is not a report version"));
        };
        if v.version != n {
            return Err(broke(
                &l.label,
                format!(
                    "version {n} is missing (the versions go from {} to {})",
                    n - 1,
                    v.version
                ),
            ));
        }
    }
    let versions_head = walk(versions)?;
    let events_head = walk(events)?;
    let row_label = "the report row";
    if let Some(Link {
        entry: Entry::ReportVersion(last),
        ..
    }) = versions.last()
    {
        if !canonical::same(&row["record"], &last.record) {
            return Err(broke(
                row_label,
                format!(
                    "its record differs from version {}, the latest in the chain",
                    last.version
                ),
            ));
        }
        if row["version"].as_i64() != Some(last.version) {
            return Err(broke(
                row_label,
                format!(
                    "it says version {}, the chain ends at version {}",
                    row["version"], last.version
                ),
            ));
        }
    } else {
        return Err(broke(row_label, "the report has no versions"));
    }
    if let Some(Link {
        entry: Entry::CaseEvent(last),
        label,
        ..
    }) = events.last()
        && row["state"].as_str() != Some(last.to.as_str())
    {
        return Err(broke(
            row_label,
            format!(
                "its state is {}, the last case event ({label}) left it {}",
                row["state"], last.to
            ),
        ));
    }
    match stored_seal {
        None => return Err(broke(row_label, "has no seal")),
        Some(s) if s != seal(row, &versions_head, &events_head) => {
            return Err(broke(
                row_label,
                "its seal does not match the row and its chains (the row was changed, or \
                 the last entry of a chain removed)",
            ));
        }
        Some(_) => {}
    }
    Ok(Checked {
        versions: versions.len(),
        events: events.len(),
        versions_head,
        events_head,
    })
}

/// Links `entries` into a chain from [`GENESIS`] (what the server writes).
#[must_use]
pub fn link(entries: Vec<(String, Entry)>) -> Vec<Link> {
    let mut prev = GENESIS.to_owned();
    entries
        .into_iter()
        .map(|(label, entry)| {
            let hash = entry.hash(&prev);
            let l = Link {
                label,
                prev: Some(prev.clone()),
                hash: Some(hash.clone()),
                entry,
            };
            prev = hash;
            l
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: i64, text: &str) -> (String, Entry) {
        (
            format!("version {n}"),
            Entry::ReportVersion(VersionEntry {
                report: "r1".into(),
                version: n,
                record: json!({"description": text, "photos": []}),
                patch: None,
                by_user: Some("u1".into()),
                by_device: None,
                mutation: None,
                signature: None,
                at: "2026-11-30T09:00:00.000000Z".into(),
            }),
        )
    }

    fn event(to: &str, by: &str) -> (String, Entry) {
        (
            format!("case event {to}"),
            Entry::CaseEvent(EventEntry {
                report: "r1".into(),
                action: "approve".into(),
                from: "pending_review".into(),
                to: to.into(),
                by_user: Some(by.into()),
                by_device: None,
                text: None,
                due_at: None,
                mutation: None,
                signature: None,
                at: "2026-11-30T10:00:00.000000Z".into(),
            }),
        )
    }

    fn report() -> (Value, String, Vec<Link>, Vec<Link>) {
        let versions = link(vec![version(1, "井盖缺失"), version(2, "井盖缺失, 已围挡")]);
        let events = link(vec![event("registered", "leader")]);
        let row = json!({"record": {"description": "井盖缺失, 已围挡", "photos": []},
                         "version": 2, "state": "registered"});
        let head = |l: &[Link]| l.last().and_then(|l| l.hash.clone()).unwrap_or_default();
        let s = seal(&row, &head(&versions), &head(&events));
        (row, s, versions, events)
    }

    #[test]
    fn an_intact_report_checks() {
        let (row, s, versions, events) = report();
        let c = check_report(&row, Some(&s), &versions, &events).expect("intact");
        assert_eq!((c.versions, c.events), (2, 1));
    }

    #[test]
    fn an_edited_version_is_named() {
        let (row, s, mut versions, events) = report();
        if let Entry::ReportVersion(v) = &mut versions[0].entry {
            v.record["description"] = json!("TAMPERED");
        }
        let b = check_report(&row, Some(&s), &versions, &events).expect_err("edited");
        assert_eq!(b.label, "version 1");
        assert!(b.what.contains("changed"), "{b}");
    }

    #[test]
    fn a_reattributed_event_is_named() {
        let (row, s, versions, mut events) = report();
        if let Entry::CaseEvent(e) = &mut events[0].entry {
            e.by_user = Some("someone else".into());
        }
        let b = check_report(&row, Some(&s), &versions, &events).expect_err("edited");
        assert_eq!(b.label, "case event registered");
    }

    #[test]
    fn a_removed_version_is_named() {
        let (row, s, mut versions, events) = report();
        let mut three = link(vec![version(1, "a"), version(2, "b"), version(3, "c")]);
        three.remove(1);
        let b = check_report(&row, Some(&s), &three, &events).expect_err("gap");
        assert_eq!(b.label, "version 3");
        assert!(b.what.contains("version 2 is missing"), "{b}");
        // The last one removed: the row and its seal say so.
        versions.pop();
        let b = check_report(&row, Some(&s), &versions, &events).expect_err("cut");
        assert_eq!(b.label, "the report row");
    }

    #[test]
    fn an_edited_row_or_reordered_chain_is_named() {
        let (mut row, s, versions, events) = report();
        row["state"] = json!("closed");
        let b = check_report(&row, Some(&s), &versions, &events).expect_err("row");
        assert!(b.what.contains("state"), "{b}");
        let (mut row, s, versions, events) = report();
        row["note"] = json!("added");
        let b = check_report(&row, Some(&s), &versions, &events).expect_err("row");
        assert!(b.what.contains("seal"), "{b}");
        let (_, _, mut versions, _) = report();
        versions.swap(0, 1);
        assert!(walk(&versions).is_err());
    }

    #[test]
    fn a_field_added_later_keeps_old_hashes() {
        let (_, e) = event("registered", "leader");
        let mut v = serde_json::to_value(&e).expect("json");
        v["signature"] = Value::Null;
        assert_eq!(canonical::to_bytes(&v), e.canonical());
    }

    #[test]
    fn times_are_cut_to_the_microsecond() {
        let t = DateTime::parse_from_rfc3339("2026-11-30T09:00:00.123456789+08:00")
            .expect("time")
            .to_utc();
        assert_eq!(time(&t), "2026-11-30T01:00:00.123456Z");
    }
}
