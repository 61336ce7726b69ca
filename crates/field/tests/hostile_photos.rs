//! Hostile photo files, made in the test: real photos cut short with an end-of-image marker
//! glued on, tiny files whose frame header declares a huge image (baseline and progressive),
//! and such a header padded out to a size that could hold the image. The real fixture
//! photos, as they are and re-coded by libjpeg-turbo's `jpegtran` (progressive with
//! successive approximation, with restart markers), are still taken.
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::photo::{
    CHINA_STANDARD_TIME, FREE_PIXELS_PER_TARGET, PhotoError, PhotoOptions, jpeg, pixel_budget,
    process,
};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(common::photo(name)).unwrap()
}

fn with_end(cut: &[u8]) -> Vec<u8> {
    [cut, &[0xFF, 0xD9]].concat()
}

/// `jpegtran ARGS` on `bytes` (Debian's libjpeg-turbo-progs, installed by test-all.sh).
fn jpegtran(args: &[&str], bytes: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jpg");
    std::fs::write(&input, bytes).unwrap();
    let out = std::process::Command::new("jpegtran")
        .args(args)
        .arg(&input)
        .output()
        .expect("jpegtran (apt-get install libjpeg-turbo-progs)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_photo_cut_short_with_an_end_marker_glued_on_is_refused() {
    let o = PhotoOptions::default();
    for name in ["street-4000x3000.jpg", "orient-6.jpg", "no-exif.jpg"] {
        let bytes = read(name);
        for percent in [10, 50, 90, 99] {
            let cut = with_end(&bytes[..bytes.len() * percent / 100]);
            let err = process(&cut, &o, CHINA_STANDARD_TIME).expect_err(name);
            assert_eq!(err, PhotoError::Truncated, "{name} cut to {percent} %");
            assert!(err.to_string().contains("cut short"), "{err}");
        }
    }
    // Every cut of a small photo inside its image data, a few bytes apart.
    let bytes = read("orient-1.jpg");
    let first_scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    for end in (first_scan + 20..bytes.len() - 2).step_by(7) {
        let cut = with_end(&bytes[..end]);
        assert!(
            matches!(
                jpeg::verify(&cut, u64::MAX),
                Err(jpeg::Problem::ShortScan { scan: 1, .. })
            ),
            "cut at {end} of {}",
            bytes.len()
        );
    }
}

#[test]
fn junk_before_the_end_marker_is_refused() {
    let bytes = read("orient-1.jpg");
    let mut junk = bytes[..bytes.len() - 2].to_vec();
    junk.extend(b"<html><script>alert(1)</script></html>");
    junk.extend([0xFF, 0xD9]);
    let err = process(&junk, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap_err();
    assert!(
        matches!(&err, PhotoError::Corrupt(m) if m.contains("stray bytes")),
        "{err:?}"
    );
}

#[test]
fn a_tiny_file_declaring_a_huge_image_is_refused_by_the_budget() {
    let o = PhotoOptions::default();
    for (w, h, progressive) in [(10950, 10950, false), (10000, 10000, true)] {
        let bytes = common::declaring(w, h, progressive);
        assert!(bytes.len() < 1500, "{} bytes", bytes.len());
        let err = process(&bytes, &o, CHINA_STANDARD_TIME).unwrap_err();
        assert_eq!(
            err,
            PhotoError::OverBudget {
                width: u32::from(w),
                height: u32::from(h),
                bytes: bytes.len() as u64
            },
            "progressive: {progressive}"
        );
        assert!(err.to_string().contains("more than a file of"), "{err}");
    }
    let free = FREE_PIXELS_PER_TARGET * 2048 * 2048;
    assert_eq!(
        pixel_budget(677, &o),
        free,
        "a small file gets the free allowance"
    );
    assert_eq!(
        pixel_budget(1_000_000, &o),
        64_000_000,
        "a 1 MB file: 64 MP"
    );
    assert_eq!(
        pixel_budget(u64::MAX, &o),
        o.max_pixels,
        "never above the cap"
    );
    let street = read("street-4000x3000.jpg");
    assert!(pixel_budget(street.len() as u64, &o) >= 4000 * 3000);
}

#[test]
fn a_huge_frame_padded_to_a_plausible_size_is_refused_for_its_missing_data() {
    // 10950×10950 in a file of 2 MB: within the budget, so the walk of the image data is
    // what finds that the data for 120 MP is not there — before anything is decoded.
    let small = common::declaring(10950, 10950, false);
    let mut padded = small[..2].to_vec();
    for _ in 0..32 {
        padded.extend([0xFF, 0xE9, 0xFF, 0xFF]);
        padded.extend(std::iter::repeat_n(0u8, 0xFFFF - 2));
    }
    padded.extend(&small[2..]);
    let o = PhotoOptions::default();
    assert!(10950 * 10950 <= pixel_budget(padded.len() as u64, &o));
    assert_eq!(
        process(&padded, &o, CHINA_STANDARD_TIME).unwrap_err(),
        PhotoError::Truncated
    );
}

#[test]
fn real_photos_recoded_progressive_and_with_restart_markers_are_taken() {
    let o = PhotoOptions::default();
    for name in ["orient-6.jpg", "no-exif.jpg", "street-4000x3000.jpg"] {
        let original = read(name);
        let plain = process(&original, &o, CHINA_STANDARD_TIME).unwrap();
        for args in [
            &["-copy", "all", "-progressive"][..],
            &["-copy", "all", "-restart", "1"],
            &["-copy", "all", "-progressive", "-restart", "3"],
        ] {
            let recoded = jpegtran(args, &original);
            let s = jpeg::verify(&recoded, u64::MAX)
                .unwrap_or_else(|e| panic!("{name} {args:?}: {e:?}"));
            assert_eq!(s.progressive, args.contains(&"-progressive"), "{args:?}");
            let p = process(&recoded, &o, CHINA_STANDARD_TIME).unwrap();
            assert_eq!(
                (p.width, p.height, p.exif.orientation),
                (plain.width, plain.height, plain.exif.orientation),
                "{name} {args:?}"
            );
            for percent in [10, 30, 60] {
                let cut = with_end(&recoded[..recoded.len() * percent / 100]);
                assert_eq!(
                    process(&cut, &o, CHINA_STANDARD_TIME).unwrap_err(),
                    PhotoError::Truncated,
                    "{name} {args:?} cut to {percent} %"
                );
            }
        }
        // Progressive, cut exactly where its second scan starts: what came is whole, but
        // the first scans of the other coefficients never came.
        let progressive = jpegtran(&["-progressive"], &original);
        let scans: Vec<usize> = progressive
            .windows(2)
            .enumerate()
            .filter(|(_, w)| *w == [0xFF, 0xDA])
            .map(|(i, _)| i)
            .collect();
        assert!(scans.len() > 2, "{name}: {} scans", scans.len());
        let between = with_end(&progressive[..scans[1]]);
        assert_eq!(
            jpeg::verify(&between, u64::MAX),
            Err(jpeg::Problem::MissingScans),
            "{name}"
        );
    }
}

#[test]
fn the_encoders_own_progressive_and_subsampled_output_is_taken() {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let (w, h) = (203u16, 97u16);
    let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    for progressive in [false, true] {
        for sampling in [
            SamplingFactor::F_1_1,
            SamplingFactor::F_2_2,
            SamplingFactor::F_2_1,
        ] {
            for restart in [0, 5] {
                let mut out = Vec::new();
                let mut enc = Encoder::new(&mut out, 85);
                enc.set_progressive(progressive);
                enc.set_sampling_factor(sampling);
                enc.set_restart_interval(restart);
                enc.encode(&pixels, w, h, ColorType::Rgb).unwrap();
                let what = format!("progressive {progressive}, {sampling:?}, restart {restart}");
                let s = jpeg::verify(&out, u64::MAX).unwrap_or_else(|e| panic!("{what}: {e:?}"));
                assert_eq!((s.width, s.height), (203, 97), "{what}");
                let cut = with_end(&out[..out.len() / 2]);
                assert!(jpeg::verify(&cut, u64::MAX).is_err(), "{what}");
            }
        }
    }
}
