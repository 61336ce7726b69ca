//! `gridwalk-evidence verify <package directory>`: checks a case's evidence package with
//! nothing but its files (no database, no server) and prints `OK` with what it checked, or
//! the first bad item; exits 0 only when the package is sound.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [verb, dir] = args.as_slice() else {
        eprintln!("usage: gridwalk-evidence verify <package directory>");
        return ExitCode::from(2);
    };
    if verb != "verify" {
        eprintln!("usage: gridwalk-evidence verify <package directory>");
        return ExitCode::from(2);
    }
    match gridwalk_evidence::package::check(Path::new(dir)) {
        Ok(s) => {
            println!(
                "OK: report {}{}: {} files, {} versions, {} case events and {} photos intact; \
                 fingerprint (SHA-256 of manifest.json) {}",
                s.report,
                s.case_no
                    .map(|c| format!(" (case {c})"))
                    .unwrap_or_default(),
                s.files,
                s.versions,
                s.events,
                s.photos,
                s.fingerprint
            );
            let sig = &s.signatures;
            println!(
                "signatures: {} entries signed by their tablet and intact, {} made before tablets signed",
                sig.signed, sig.unsigned
            );
            for (device, key) in &sig.keys {
                println!("  tablet {device}: key fingerprint {key}");
            }
            ExitCode::SUCCESS
        }
        Err(p) => {
            println!("BAD: {p}");
            ExitCode::FAILURE
        }
    }
}
