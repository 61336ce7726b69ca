//! The standalone checker as a clerk runs it: `gridwalk-evidence verify <dir>` prints OK
//! and exits 0 for a sound package, names the first bad item and exits non-zero otherwise.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use gridwalk_evidence::chain::{Entry, EventEntry, VersionEntry, link, seal};
use gridwalk_evidence::package::{self, Records, ReportFile};
use gridwalk_evidence::sha256_hex;
use serde_json::json;

fn make(dir: &Path) -> String {
    let photo = b"\xFF\xD8 piled rubbish \xFF\xD9";
    let sha = sha256_hex(photo);
    let record = json!({"description": "乱堆物堆料", "photos": [{"sha256": sha}]});
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
            text: None,
            due_at: None,
            at: "2026-11-30T10:00:00.000000Z".into(),
        }),
    )]);
    let row = json!({"record": record, "version": 1, "state": "registered"});
    let s = seal(
        &row,
        versions[0].hash.as_deref().unwrap(),
        events[0].hash.as_deref().unwrap(),
    );
    let report = ReportFile {
        report: "r".into(),
        case_no: None,
        row,
        seal: Some(s),
        photos_absent: vec![],
    };
    package::write_records(
        dir,
        &Records {
            report: &report,
            versions: &versions,
            events: &events,
            tasks: &json!([]),
        },
    )
    .unwrap();
    std::fs::write(package::photo_path(dir, &sha), photo).unwrap();
    package::finish(dir, &report, "2026-11-30T11:00:00Z", "test").unwrap();
    sha
}

fn verify(dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gridwalk-evidence"))
        .arg("verify")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_sound_package_is_ok_and_a_changed_byte_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sha = make(dir.path());
    let (ok, text) = verify(dir.path());
    assert!(ok, "{text}");
    assert!(text.starts_with("OK: report r"), "{text}");
    assert!(
        text.contains("1 versions, 1 case events and 1 photos"),
        "{text}"
    );

    let photo = package::photo_path(dir.path(), &sha);
    let mut bytes = std::fs::read(&photo).unwrap();
    bytes[4] ^= 1;
    std::fs::write(&photo, bytes).unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok, "{text}");
    assert!(
        text.starts_with(&format!("BAD: photos/{sha}.jpg")),
        "{text}"
    );
}

#[test]
fn usage_is_explained() {
    let out = Command::new(env!("CARGO_BIN_EXE_gridwalk-evidence"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
