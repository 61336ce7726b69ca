//! The photo pipeline's memory on hostile files, measured: this test binary holds one test
//! so the process's peak resident memory (`VmHWM`) is the pipeline's alone. A 677-byte file
//! declaring 10950×10950 once made the decoder allocate 437 MB, a progressive 10000×10000
//! 595 MB; now they, and the same header padded to 2 MB, are refused before any decoding.
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::photo::{CHINA_STANDARD_TIME, PhotoOptions, process};

fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn hostile_frames_cost_no_memory_to_refuse() {
    let before = peak_resident_kib();
    let mut padded = vec![0xFF, 0xD8];
    for _ in 0..32 {
        padded.extend([0xFF, 0xE9, 0xFF, 0xFF]);
        padded.extend(std::iter::repeat_n(0u8, 0xFFFF - 2));
    }
    let baseline = common::declaring(10950, 10950, false);
    padded.extend(&baseline[2..]);
    for (what, bytes) in [
        ("baseline 10950×10950", baseline),
        (
            "progressive 10000×10000",
            common::declaring(10000, 10000, true),
        ),
        ("10950×10950 padded to 2 MB", padded),
    ] {
        let err = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap_err();
        let grown_mib = (peak_resident_kib() - before) / 1024;
        assert!(
            grown_mib < 32,
            "{what}: refused ({err}) but the peak grew by {grown_mib} MiB"
        );
    }
}
