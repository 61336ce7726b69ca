//! `gridwalk-evidence verify <package directory>`: checks a case's evidence package with
//! nothing but its files (no database, no server) and prints `OK` with what it checked, or
//! the first bad item; exits 0 only when the package is sound.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use gridwalk_evidence::package::Summary;

/// What a sound package's check says, line by line.
fn report(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "OK: report {}{}: {} files, {} versions, {} case events and {} photos intact; \
         fingerprint (SHA-256 of manifest.json) {}",
        s.report,
        s.case_no
            .as_ref()
            .map(|c| format!(" (case {c})"))
            .unwrap_or_default(),
        s.files,
        s.versions,
        s.events,
        s.photos,
        s.fingerprint
    );
    let sig = &s.signatures;
    let _ = writeln!(
        out,
        "signatures: {} entries signed by their tablet and intact, {} made by a tablet without a signature",
        sig.signed,
        sig.unsigned.len()
    );
    for (device, key) in &sig.keys {
        let _ = writeln!(out, "  tablet {device}: key fingerprint {key}");
    }
    let mut devices: Vec<&str> = sig.keys.iter().map(|(d, _)| d.as_str()).collect();
    devices.sort_unstable();
    let mut twice: Vec<&str> = devices
        .windows(2)
        .filter(|p| p[0] == p[1])
        .map(|p| p[0])
        .collect();
    twice.dedup();
    for device in twice {
        let _ = writeln!(
            out,
            "  NOTE: tablet {device} signed with more than one key (enrolled again, or a key put in its place): check each fingerprint with the tablet"
        );
    }
    for u in &sig.unsigned {
        let _ = writeln!(
            out,
            "  UNSIGNED: {} by tablet {} at {}: made before tablets signed, or its signature was removed; one from after signing began is not sound",
            u.label, u.device, u.at
        );
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        eprintln!("usage: gridwalk-evidence verify <package directory>");
        ExitCode::from(2)
    };
    let [verb, dir] = args.as_slice() else {
        return usage();
    };
    if verb != "verify" {
        return usage();
    }
    let (text, code) = match gridwalk_evidence::package::check(Path::new(dir)) {
        Ok(s) => (report(&s), ExitCode::SUCCESS),
        Err(p) => (format!("BAD: {p}\n"), ExitCode::FAILURE),
    };
    // A reader that went away (`| head`) is not an error of the check.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    code
}
