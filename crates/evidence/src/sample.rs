//! A small sound evidence package, for this crate's tests and the checker's: one report
//! submitted by a tablet (signed), registered by its leader, with one photo.

use std::path::Path;

use ed25519_dalek::{Signer, SigningKey};
use gridwalk_protocol::signing::{SIGNED_PREFIX, encode_public_key};
use serde_json::{Value, json};

use crate::chain::{Entry, EventEntry, VersionEntry, link, seal};
use crate::package::{self, Records, ReportFile};
use crate::signatures::SignedMutation;
use crate::{canonical, sha256_hex};

/// What [`write`] made.
#[derive(Debug, Clone)]
pub struct Sample {
    pub photo_sha256: String,
    /// The tablet's key, for a test that forges with another.
    pub key: SigningKey,
}

/// The report's record as the tablet sent it.
#[must_use]
pub fn record(photo_sha256: &str) -> Value {
    json!({"id": "r", "description": "乱堆物堆料", "cell": "440703001001002",
           "photos": [{"sha256": photo_sha256}]})
}

/// A signed mutation of `body` by `key`, as the centre keeps it.
#[must_use]
pub fn signed(key: &SigningKey, mutation: i64, body: &Value) -> SignedMutation {
    let form = json!({"id": mutation, "device": "tablet",
                      "created_at": "2026-11-30T09:00:00Z", "body": body});
    let mut bytes = SIGNED_PREFIX.to_vec();
    bytes.extend(canonical::to_bytes(&form));
    SignedMutation {
        device: "tablet".into(),
        mutation,
        public_key: encode_public_key(&key.verifying_key()),
        signature: base64_of(&key.sign(&bytes).to_bytes()),
        signed: String::from_utf8(bytes).unwrap_or_default(),
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes the sample package into `dir`.
///
/// # Panics
/// If `dir` cannot be written.
#[must_use]
pub fn write(dir: &Path) -> Sample {
    let photo = b"\xFF\xD8 piled rubbish \xFF\xD9";
    let sha = sha256_hex(photo);
    let key = SigningKey::from_bytes(&[7; 32]);
    let record = record(&sha);
    let kept = signed(
        &key,
        1,
        &json!({"op": "submit_report", "report": record.clone()}),
    );
    let versions = link(vec![(
        "version 1".into(),
        Entry::ReportVersion(VersionEntry {
            report: "r".into(),
            version: 1,
            record: record.clone(),
            patch: None,
            by_user: Some("inspector".into()),
            by_device: Some("tablet".into()),
            mutation: Some(1),
            signature: Some(kept.signature.clone()),
            at: "2026-11-30T09:00:00.000000Z".into(),
        }),
    )]);
    let events = link(vec![(
        "case event 1".into(),
        Entry::CaseEvent(EventEntry {
            report: "r".into(),
            action: "approve".into(),
            from: "pending_review".into(),
            to: "registered".into(),
            by_user: Some("leader".into()),
            by_device: None,
            text: Some("20261130-0001".into()),
            due_at: None,
            mutation: None,
            signature: None,
            at: "2026-11-30T10:00:00.000000Z".into(),
        }),
    )]);
    let row = json!({"record": record, "version": 1, "state": "registered"});
    let s = seal(
        &row,
        versions[0].hash.as_deref().unwrap_or_default(),
        events[0].hash.as_deref().unwrap_or_default(),
    );
    let report = ReportFile {
        report: "r".into(),
        case_no: Some("20261130-0001".into()),
        row,
        seal: Some(s),
        photos_absent: Vec::new(),
    };
    #[allow(clippy::expect_used)]
    {
        package::write_records(
            dir,
            &Records {
                report: &report,
                versions: &versions,
                events: &events,
                tasks: &json!([]),
                signatures: &[kept],
            },
        )
        .expect("records");
        std::fs::write(package::photo_path(dir, &sha), photo).expect("photo");
        package::finish(dir, &report, "2026-11-30T11:00:00Z", "test").expect("manifest");
    }
    Sample {
        photo_sha256: sha,
        key,
    }
}
