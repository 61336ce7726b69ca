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
    /// Entries a device made before devices signed.
    pub unsigned: usize,
    /// The fingerprint of each device key that signed, by device.
    pub keys: Vec<(String, String)>,
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

/// Checks every version and case event a device made against the signed mutations kept
/// for them (see the module docs).
///
/// # Errors
/// The first entry whose signature does not hold or does not say what the entry says.
pub fn check(
    versions: &[Link],
    events: &[Link],
    signed: &[SignedMutation],
) -> Result<Checked, Break> {
    let by_number: HashMap<(&str, i64), &SignedMutation> = signed
        .iter()
        .map(|s| ((s.device.as_str(), s.mutation), s))
        .collect();
    let mut out = Checked::default();
    for l in versions.iter().chain(events) {
        let (device, mutation, signature, report) = match &l.entry {
            Entry::ReportVersion(v) => (&v.by_device, v.mutation, &v.signature, &v.report),
            Entry::CaseEvent(e) => (&e.by_device, e.mutation, &e.signature, &e.report),
            Entry::AdminAct(_) => continue,
        };
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
            out.unsigned += 1;
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
        let fits = match &l.entry {
            Entry::ReportVersion(v) if v.patch.is_none() => {
                body["op"] == "submit_report"
                    && canonical::same(
                        &as_the_device_said(&v.record),
                        &as_the_device_said(&body["report"]),
                    )
            }
            Entry::ReportVersion(_) => body["op"] == "edit_report",
            _ => body["op"] == "complete_task",
        };
        if !fits {
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
