//! The standalone checker as a clerk runs it: `gridwalk-evidence verify <dir>` prints OK
//! and exits 0 for a sound package, names the first bad item and exits non-zero otherwise.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use gridwalk_evidence::{package, sample};

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
    let sha = sample::write(dir.path()).photo_sha256;
    let (ok, text) = verify(dir.path());
    assert!(ok, "{text}");
    assert!(text.starts_with("OK: report r"), "{text}");
    assert!(
        text.contains("1 versions, 1 case events and 1 photos"),
        "{text}"
    );
    assert!(
        text.contains("signatures: 1 entries signed by their tablet and intact, 0 made by a tablet without a signature"),
        "{text}"
    );
    assert!(text.contains("tablet tablet: key fingerprint "), "{text}");

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
