//! The devices' signatures in an evidence package: that what a tablet sent is what the
//! centre recorded, checkable without the centre.
//!
//! Every mutation a device sends is signed on the tablet with its Ed25519 key
//! (`gridwalk_protocol::signing`), and the centre keeps the exact form that was signed, the
//! signature and the key it checked it against. A package carries those, one
//! [`SignedMutation`] per mutation that made a version or a case event of the case, in
//! `signatures.json`. [`check`] then shows, entry by entry:
//!
//! - the signature holds: it is the key's, over exactly the kept form;
//! - the form is that mutation: it names the device and the number the entry names, and
//!   the same report;
//! - the entry is what the form says: a version 1 holds the report as the tablet signed it
//!   (except its cell and location flags, which the centre decides from the position and
//!   keeps the device's claim of apart); a later version made by a device comes from an
//!   edit of that report, a device's case event from a verification of it;
//! - where the chain entry carries the signature (entries written since the chain covers
//!   it), it is the same signature.
//!
//! Entries a device made before devices signed have no kept form: they are counted as
//! unsigned, not as a fault. What the package cannot show by itself is that the key is the
//! tablet's: compare the key's fingerprint ([`fingerprint`]) with the one the tablet shows.

use std::collections::HashMap;

use gridwalk_protocol::signing::{SIGNED_PREFIX, decode_public_key, verify_form};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical;
use crate::chain::{Break, Entry, Link};

/// One signed mutation, as the centre kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedMutation {
    pub device: String,
    pub mutation: i64,
    /// The device's public key (base64, 32 bytes).
    pub public_key: String,
    /// The signature (base64, 64 bytes).
    pub signature: String,
    /// The exact form that was signed (the scheme's prefix line and canonical JSON).
    pub signed: String,
}

/// What the signatures of a sound package showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Entries whose device signature holds.
    pub signed: usize,
    /// Entries a device made with no signature kept: made before devices signed, or
    /// presented so by someone who rewrote the records. Each is listed with its time, so a
    /// recent one stands out.
    pub unsigned: Vec<Unsigned>,
    /// The fingerprint of each device key that signed, by device. One device with two
    /// keys (enrolled again with a new key, or a key put in its place) shows twice.
    pub keys: Vec<(String, String)>,
}

/// A device-made entry with no signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    pub label: String,
    pub device: String,
    pub at: String,
}

pub use gridwalk_protocol::signing::fingerprint;

fn broke(label: &str, what: impl Into<String>) -> Break {
    Break {
        label: label.to_owned(),
        what: what.into(),
    }
}

/// The mutation a kept form holds, after checking its signature.
fn signed_body(s: &SignedMutation, label: &str) -> Result<Value, Break> {
    let key = decode_public_key(&s.public_key)
        .ok_or_else(|| broke(label, "its device key is not an Ed25519 public key"))?;
    let id =
        u64::try_from(s.mutation).map_err(|_| broke(label, "its mutation number is negative"))?;
    verify_form(&key, id, s.signed.as_bytes(), Some(&s.signature)).map_err(|e| {
        broke(
            label,
            format!("the device signature does not hold ({e}): the signed form or the signature was changed"),
        )
    })?;
    let json = s
        .signed
        .as_bytes()
        .strip_prefix(SIGNED_PREFIX)
        .ok_or_else(|| {
            broke(
                label,
                "its signed form is not of a scheme this checker knows",
            )
        })?;
    let m: Value = serde_json::from_slice(json)
        .map_err(|e| broke(label, format!("its signed form is not JSON: {e}")))?;
    if m["device"].as_str() != Some(s.device.as_str()) || m["id"].as_i64() != Some(s.mutation) {
        return Err(broke(
            label,
            format!(
                "the signed form is of another mutation (device {}, number {})",
                m["device"], m["id"]
            ),
        ));
    }
    Ok(m)
}

/// A record without what the centre decides itself.
fn as_the_device_said(record: &Value) -> Value {
    let mut r = record.clone();
    if let Value::Object(members) = &mut r {
        members.remove("cell");
        members.remove("location_flags");
    }
    r
}

/// The photos a version's record must hold: the previous version's, less those the patch
/// removed, then those it added that were not there (how the centre merges an edit's
/// photos, whoever made it).
fn photos_after(previous: &Value, patch: &Value) -> Vec<Value> {
    let removed: Vec<&Value> = patch["photos_removed"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut out: Vec<Value> = previous["photos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| !removed.contains(&&p["id"]))
        .cloned()
        .collect();
    for p in patch["photos_added"].as_array().into_iter().flatten() {
        if !out.iter().any(|q| q["id"] == p["id"]) {
            out.push(p.clone());
        }
    }
    out
}

/// Checks that each version after the first holds exactly the photos its patch leaves: a
/// photo put into a record, or swapped for other bytes, without a patch that adds it is
/// named, whoever made the version.
fn check_photos(versions: &[Link]) -> Result<(), Break> {
    let mut previous: Option<&Value> = None;
    for l in versions {
        let Entry::ReportVersion(v) = &l.entry else {
            continue;
        };
        if let (Some(prev), Some(patch)) = (previous, &v.patch) {
            let expected = Value::Array(photos_after(prev, patch));
            let actual = v
                .record
                .get("photos")
                .cloned()
                .unwrap_or(Value::Array(vec![]));
            if !canonical::same(&expected, &actual) {
                return Err(broke(
                    &l.label,
                    "its photos are not the previous version's with its patch applied (a \
                     photo was put in or swapped without a change that adds it)",
                ));
            }
        }
        previous = Some(&v.record);
    }
    Ok(())
}

/// Whether a device-made entry says what its signed mutation `body` says.
fn fits(entry: &Entry, body: &Value) -> bool {
    match entry {
        Entry::ReportVersion(v) => match &v.patch {
            None => {
                body["op"] == "submit_report"
                    && canonical::same(
                        &as_the_device_said(&v.record),
                        &as_the_device_said(&body["report"]),
                    )
            }
            Some(patch) => body["op"] == "edit_report" && canonical::same(patch, &body["patch"]),
        },
        Entry::CaseEvent(e) => {
            body["op"] == "complete_task"
                && match body["passed"].as_bool() {
                    Some(true) => e.action == "verify_pass",
                    Some(false) => e.action == "verify_fail",
                    None => false,
                }
        }
        Entry::AdminAct(_) => false,
    }
}

/// Checks every version and case event a device made against the signed mutations kept
/// for them (see the module docs), and every later version's photos against its patch.
///
/// # Errors
/// The first entry whose signature does not hold or does not say what the entry says.
pub fn check(
    versions: &[Link],
    events: &[Link],
    signed: &[SignedMutation],
) -> Result<Checked, Break> {
    check_photos(versions)?;
    let by_number: HashMap<(&str, i64), &SignedMutation> = signed
        .iter()
        .map(|s| ((s.device.as_str(), s.mutation), s))
        .collect();
    let mut out = Checked::default();
    for l in versions.iter().chain(events) {
        let (device, mutation, signature, report, at) = match &l.entry {
            Entry::ReportVersion(v) => (&v.by_device, v.mutation, &v.signature, &v.report, &v.at),
            Entry::CaseEvent(e) => (&e.by_device, e.mutation, &e.signature, &e.report, &e.at),
            Entry::AdminAct(_) => continue,
        };
        // Every report so far comes from a tablet: its first version names the tablet
        // and the mutation that submitted it.
        if let Entry::ReportVersion(v) = &l.entry
            && v.patch.is_none()
            && let Some(tablet) = v.record["device"].as_str()
            && (device.as_deref() != Some(tablet) || mutation.is_none())
        {
            return Err(broke(
                &l.label,
                format!(
                    "the report was submitted by tablet {tablet}, but this version does not name that tablet's mutation"
                ),
            ));
        }
        let (Some(device), Some(mutation)) = (device, mutation) else {
            if signature.is_some() {
                return Err(broke(
                    &l.label,
                    "carries a signature but names no device mutation",
                ));
            }
            continue;
        };
        let Some(kept) = by_number.get(&(device.as_str(), mutation)) else {
            if signature.is_some() {
                return Err(broke(
                    &l.label,
                    format!("its signed mutation {mutation} is not in signatures.json"),
                ));
            }
            out.unsigned.push(Unsigned {
                label: l.label.clone(),
                device: device.clone(),
                at: at.clone(),
            });
            continue;
        };
        if signature.as_ref().is_some_and(|s| *s != kept.signature) {
            return Err(broke(
                &l.label,
                "its signature differs from the one kept with the signed form",
            ));
        }
        let m = signed_body(kept, &l.label)?;
        let body = &m["body"];
        let body_report = match body["op"].as_str() {
            Some("submit_report") => &body["report"]["id"],
            _ => &body["report"],
        };
        if body_report.as_str() != Some(report.as_str()) {
            return Err(broke(
                &l.label,
                format!("its signed mutation is about report {body_report}"),
            ));
        }
        if !fits(&l.entry, body) {
            return Err(broke(
                &l.label,
                format!(
                    "says something other than its signed mutation ({}): the record was changed after the device signed it",
                    body["op"]
                ),
            ));
        }
        out.signed += 1;
        let key = (device.clone(), fingerprint(&kept.public_key));
        if !out.keys.contains(&key) {
            out.keys.push(key);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{EventEntry, VersionEntry, link};
    use crate::sample;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    fn version(
        n: i64,
        record: Value,
        patch: Option<Value>,
        signed: Option<&SignedMutation>,
    ) -> (String, Entry) {
        (
            format!("version {n}"),
            Entry::ReportVersion(VersionEntry {
                report: "r".into(),
                version: n,
                record,
                patch,
                by_user: Some("inspector".into()),
                by_device: signed.map(|s| s.device.clone()),
                mutation: signed.map(|s| s.mutation),
                signature: signed.map(|s| s.signature.clone()),
                at: format!("2026-11-30T09:0{n}:00.000000Z"),
            }),
        )
    }

    /// A report submitted (1) and edited (2) by the tablet: the chain and the kept forms.
    fn edited() -> (Value, Value, Value, Vec<SignedMutation>) {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut v1 = sample::record(&"a".repeat(64));
        v1["device"] = json!("tablet");
        let patch = json!({"description": "乱堆物堆料, 已清理一半",
                           "photos_added": [{"id": "p2", "sha256": "b".repeat(64)}]});
        let mut v2 = v1.clone();
        v2["description"] = patch["description"].clone();
        v2["photos"]
            .as_array_mut()
            .expect("photos")
            .push(patch["photos_added"][0].clone());
        let signed = vec![
            sample::signed(&key, 1, &json!({"op": "submit_report", "report": v1})),
            sample::signed(
                &key,
                2,
                &json!({"op": "edit_report", "report": "r", "patch": patch}),
            ),
        ];
        (v1, v2, patch, signed)
    }

    fn chain(v1: &Value, v2: &Value, patch: &Value, signed: &[SignedMutation]) -> Vec<Link> {
        link(vec![
            version(1, v1.clone(), None, signed.first()),
            version(2, v2.clone(), Some(patch.clone()), signed.get(1)),
        ])
    }

    #[test]
    fn a_submission_and_an_edit_check_against_what_the_tablet_signed() {
        let (v1, v2, patch, signed) = edited();
        let c = check(&chain(&v1, &v2, &patch, &signed), &[], &signed).expect("sound");
        assert_eq!((c.signed, c.unsigned.len(), c.keys.len()), (2, 0, 1));
    }

    #[test]
    fn an_edit_rewritten_with_its_patch_is_named() {
        let (v1, mut v2, mut patch, signed) = edited();
        patch["description"] = json!("无问题");
        v2["description"] = json!("无问题");
        let b = check(&chain(&v1, &v2, &patch, &signed), &[], &signed).expect_err("rewritten");
        assert_eq!(b.label, "version 2");
        assert!(b.what.contains("changed after the device signed it"), "{b}");
    }

    #[test]
    fn a_photo_put_in_without_a_patch_that_adds_it_is_named() {
        let (v1, mut v2, patch, signed) = edited();
        v2["photos"][1]["sha256"] = json!("c".repeat(64));
        let b = check(&chain(&v1, &v2, &patch, &signed), &[], &signed).expect_err("swapped");
        assert_eq!(b.label, "version 2");
        assert!(b.what.contains("photos"), "{b}");
    }

    #[test]
    fn a_submission_stripped_of_its_tablet_mutation_is_named_and_an_unsigned_one_listed() {
        let (v1, v2, patch, signed) = edited();
        let mut stripped = chain(&v1, &v2, &patch, &signed);
        if let Entry::ReportVersion(v) = &mut stripped[0].entry {
            v.by_device = None;
            v.mutation = None;
            v.signature = None;
        }
        let b = check(&stripped, &[], &signed).expect_err("stripped");
        assert_eq!(b.label, "version 1");
        assert!(b.what.contains("submitted by tablet tablet"), "{b}");
        // Its signature (and the kept form) removed but the tablet named: listed as unsigned.
        let mut unsigned = chain(&v1, &v2, &patch, &signed);
        if let Entry::ReportVersion(v) = &mut unsigned[0].entry {
            v.signature = None;
        }
        let c = check(&unsigned, &[], &signed[1..]).expect("listed, not refused");
        assert_eq!(c.unsigned.len(), 1);
        assert_eq!(c.unsigned[0].label, "version 1");
        assert_eq!(c.unsigned[0].at, "2026-11-30T09:01:00.000000Z");
    }

    #[test]
    fn a_verification_says_what_the_tablet_signed() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let done = sample::signed(
            &key,
            3,
            &json!({"op": "complete_task", "task": "t", "report": "r", "passed": false}),
        );
        let event = |action: &str| {
            link(vec![(
                "case event 9".into(),
                Entry::CaseEvent(EventEntry {
                    report: "r".into(),
                    action: action.into(),
                    from: "handled".into(),
                    to: "closed".into(),
                    by_user: None,
                    by_device: Some("tablet".into()),
                    text: None,
                    due_at: None,
                    mutation: Some(3),
                    signature: Some(done.signature.clone()),
                    at: "2026-11-30T12:00:00.000000Z".into(),
                }),
            )])
        };
        let signed = [done.clone()];
        assert_eq!(
            check(&[], &event("verify_fail"), &signed)
                .expect("sound")
                .signed,
            1
        );
        let b = check(&[], &event("verify_pass"), &signed).expect_err("passed instead");
        assert_eq!(b.label, "case event 9");
    }
}
