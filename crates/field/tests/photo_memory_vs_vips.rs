//! The photo pipeline's peak memory against libvips' on the 12 MP fixture, both as commands
//! measured in this test by GNU time (`%M`: the child's peak resident set, from `wait4`).
//! `vipsthumbnail` shrinks while it decodes, and so must we: a full-size decode alone is
//! 36 MB of RGB for this photo, and took `gridwalk-field photo inspect` to 71 MB against
//! vipsthumbnail's 51 MB. A memory comparison, not a timing one: it holds on a busy machine.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

mod common;

use std::ffi::OsStr;
use std::process::Command;

/// The median over three runs of a command's peak resident memory, in KiB.
fn peak_kib(program: &OsStr, args: &[&OsStr]) -> u64 {
    let mut kib: Vec<u64> = (0..3)
        .map(|_| {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(program)
                .args(args)
                .output()
                .expect("/usr/bin/time (apt-get install time)");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{program:?} {args:?}: {stderr}");
            stderr.lines().last().unwrap().trim().parse().unwrap()
        })
        .collect();
    kib.sort_unstable();
    kib[1]
}

#[test]
fn photo_inspect_needs_no_more_memory_than_vipsthumbnail() {
    let file = common::photo("street-4000x3000.jpg");
    let dir = tempfile::tempdir().unwrap();
    let out = format!("{}[Q=80,strip]", dir.path().join("vips.jpg").display());
    let vips = peak_kib(
        "vipsthumbnail".as_ref(),
        &[
            file.as_os_str(),
            "--size".as_ref(),
            "2048x1536".as_ref(),
            "-o".as_ref(),
            out.as_ref(),
        ],
    );
    let ours = peak_kib(
        env!("CARGO_BIN_EXE_gridwalk-field").as_ref(),
        &["photo".as_ref(), "inspect".as_ref(), file.as_os_str()],
    );
    assert!(
        ours <= vips,
        "gridwalk-field photo inspect peaked at {ours} KiB, vipsthumbnail at {vips} KiB"
    );
}
