//! The photo pipeline on the real fixture photos: orientation, size, EXIF, stripping, and
//! every kind of bad input.
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::photo::{CHINA_STANDARD_TIME, PhotoError, PhotoOptions, process};
use image::{GenericImageView, Rgb};
use sha2::{Digest, Sha256};

fn corner_colours(jpeg: &[u8]) -> [Rgb<u8>; 4] {
    let img = image::load_from_memory(jpeg).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let at = |x: u32, y: u32| *img.get_pixel(x, y);
    [
        at(w / 8, h / 8),
        at(w - w / 8, h / 8),
        at(w / 8, h - h / 8),
        at(w - w / 8, h - h / 8),
    ]
}

fn close(a: Rgb<u8>, b: [u8; 3]) -> bool {
    a.0.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 24)
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    for n in 1..=8 {
        let bytes = std::fs::read(common::photo(&format!("orient-{n}.jpg"))).unwrap();
        let p = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
        assert_eq!(p.exif.orientation, n, "orientation read for {n}");
        assert_eq!(
            (p.width, p.height),
            (1024, 768),
            "upright size for orientation {n}"
        );
        let [tl, tr, bl, br] = corner_colours(&p.derivative);
        assert!(
            close(tl, [255, 0, 0]),
            "orientation {n}: top-left {tl:?} should be red"
        );
        assert!(
            close(tr, [0, 255, 0]),
            "orientation {n}: top-right {tr:?} should be green"
        );
        assert!(
            close(bl, [0, 0, 255]),
            "orientation {n}: bottom-left {bl:?} should be blue"
        );
        assert!(
            close(br, [255, 255, 255]),
            "orientation {n}: bottom-right {br:?} should be white"
        );
        let [tl, ..] = corner_colours(&p.thumbnail);
        assert!(
            close(tl, [255, 0, 0]),
            "orientation {n}: thumbnail upright too"
        );
    }
}

#[test]
fn camera_photo_is_scaled_hashed_and_stripped() {
    let bytes = std::fs::read(common::photo("street-4000x3000.jpg")).unwrap();
    let p = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
    assert_eq!((p.source_width, p.source_height), (4000, 3000));
    assert_eq!((p.width, p.height), (2048, 1536));
    assert_eq!(
        image::load_from_memory(&p.derivative).unwrap().dimensions(),
        (2048, 1536)
    );
    assert_eq!((p.thumb_width, p.thumb_height), (320, 240));
    assert_eq!(
        image::load_from_memory(&p.thumbnail).unwrap().dimensions(),
        (320, 240)
    );
    assert_eq!(p.sha256, hex(&Sha256::digest(&p.derivative)));
    assert!(
        p.derivative.len() < bytes.len() / 4,
        "derivative {} bytes",
        p.derivative.len()
    );
    // No EXIF (or any APP1 segment) survives into the derivative.
    assert!(
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&p.derivative))
            .is_err()
    );
    assert!(!p.derivative.windows(6).any(|w| w == b"Exif\0\0"));
    // The same input always gives the same derivative: content addressing relies on it.
    let again = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
    assert_eq!(again.sha256, p.sha256);
}

#[test]
fn scaled_decode_looks_like_a_full_size_decode() {
    // The 12 MP fixture decodes at 5/8 (2500×1875) on its way to 2048×1536; hold its
    // derivative against the one a full-size decode with the same resize and encoder makes.
    let bytes = std::fs::read(common::photo("street-4000x3000.jpg")).unwrap();
    let o = PhotoOptions::default();
    let p = process(&bytes, &o, CHINA_STANDARD_TIME).unwrap();
    let reference = common::quality::full_decode_derivative(&bytes, (p.width, p.height), o.quality);
    let decoded = |jpeg: &[u8]| image::load_from_memory(jpeg).unwrap().to_rgb8();
    let (ours, full) = (decoded(&p.derivative), decoded(&reference));
    let psnr = common::quality::psnr(&ours, &full);
    let ssim = common::quality::ssim(&ours, &full);
    assert!(
        psnr > 40.0 && ssim > 0.97,
        "PSNR {psnr:.1} dB, SSIM {ssim:.4}"
    );
    // For scale: the reference against itself moved by one pixel is far further off.
    let moved = image::imageops::crop_imm(&full, 1, 0, p.width - 1, p.height).to_image();
    let cut = image::imageops::crop_imm(&full, 0, 0, p.width - 1, p.height).to_image();
    let moved_psnr = common::quality::psnr(&cut, &moved);
    assert!(
        moved_psnr < psnr - 6.0,
        "moved by a pixel: PSNR {moved_psnr:.1} dB; scaled decode {psnr:.1} dB"
    );
    assert!(common::quality::ssim(&full, &full) > 0.9999);
}

#[test]
fn portrait_photo_is_rotated() {
    let bytes = std::fs::read(common::photo("portrait-3000x4000-o6.jpg")).unwrap();
    let p = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
    assert_eq!((p.source_width, p.source_height), (4000, 3000));
    assert_eq!((p.width, p.height), (1536, 2048));
}

#[test]
fn exif_gps_and_time_are_read() {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixtures().join("photos/manifest.json")).unwrap(),
    )
    .unwrap();
    let m = &manifest["orient-1.jpg"];
    let bytes = std::fs::read(common::photo("orient-1.jpg")).unwrap();
    let p = process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
    let gps = p.exif.gps.unwrap();
    assert!(
        (gps.lat - m["lat"].as_f64().unwrap()).abs() < 1e-6,
        "{gps:?}"
    );
    assert!(
        (gps.lon - m["lon"].as_f64().unwrap()).abs() < 1e-6,
        "{gps:?}"
    );
    assert_eq!(gps.accuracy_m, Some(5.0));
    assert_eq!(
        p.exif.taken_at.unwrap().to_rfc3339(),
        "2026-11-03T09:15:06+08:00"
    );
    assert!(!p.exif.offset_assumed);

    let none = process(
        &std::fs::read(common::photo("no-exif.jpg")).unwrap(),
        &PhotoOptions::default(),
        CHINA_STANDARD_TIME,
    )
    .unwrap();
    assert!(none.exif.gps.is_none() && none.exif.taken_at.is_none());
    assert_eq!(none.exif.orientation, 1);
}

#[test]
fn bad_inputs_get_clear_errors() {
    let o = PhotoOptions::default();
    type IsExpected = fn(&PhotoError) -> bool;
    let cases: [(&str, IsExpected, &str); 6] = [
        (
            "not-an-image.jpg",
            |e| matches!(e, PhotoError::NotJpeg { detected: "text" }),
            "the file is text, not a JPEG photo",
        ),
        (
            "empty.jpg",
            |e| *e == PhotoError::Empty,
            "the file is empty",
        ),
        (
            "truncated.jpg",
            |e| *e == PhotoError::Truncated,
            "cut short",
        ),
        (
            "bomb.jpg",
            |e| {
                matches!(
                    e,
                    PhotoError::TooManyPixels {
                        width: 60000,
                        height: 60000,
                        ..
                    }
                )
            },
            "declares 60000×60000 pixels",
        ),
        (
            "image.png",
            |e| matches!(e, PhotoError::NotJpeg { detected: "png" }),
            "the file is a PNG image, not a JPEG photo",
        ),
        (
            "garbage-after-soi.jpg",
            |e| matches!(e, PhotoError::Corrupt(_) | PhotoError::Truncated),
            "JPEG",
        ),
    ];
    for (name, expected, words) in cases {
        let bytes = std::fs::read(common::bad(name)).unwrap();
        let err = process(&bytes, &o, CHINA_STANDARD_TIME).expect_err(name);
        assert!(expected(&err), "{name}: unexpected error {err:?}");
        assert!(
            err.to_string().contains(words),
            "{name}: message {err:?} lacks {words:?}"
        );
    }
    let small = PhotoOptions {
        max_file_bytes: 1024,
        ..o
    };
    let err = process(
        &std::fs::read(common::photo("orient-1.jpg")).unwrap(),
        &small,
        CHINA_STANDARD_TIME,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("more than the 1024 allowed"),
        "{err}"
    );
}

/// A frame of four flat quadrants, each pixel made by `pixel` from its quadrant (0 top left,
/// 1 top right, 2 bottom left, 3 bottom right).
fn quadrants(w: u16, h: u16, channels: usize, pixel: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::from(w) * usize::from(h) * channels);
    for y in 0..h {
        for x in 0..w {
            out.extend(pixel(usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2)));
        }
    }
    out
}

#[test]
fn grey_and_cmyk_photos_are_taken_in_colour() {
    use jpeg_encoder::{ColorType, Encoder};
    // 2600×1950 decodes at 7/8 (2275×1707) on its way to 2048×1536.
    let (w, h) = (2600u16, 1950u16);
    let encode = |pixels: &[u8], colour: ColorType| {
        let mut out = Vec::new();
        Encoder::new(&mut out, 90)
            .encode(pixels, w, h, colour)
            .unwrap();
        out
    };
    let greys = [30u8, 100, 170, 240];
    let grey = encode(&quadrants(w, h, 1, |q| vec![greys[q]]), ColorType::Luma);
    // Ink amounts (0 = none) for red, green, blue and white.
    let inks = [
        [0u8, 255, 255, 0],
        [255, 0, 255, 0],
        [255, 255, 0, 0],
        [0, 0, 0, 0],
    ];
    let cmyk = encode(&quadrants(w, h, 4, |q| inks[q].to_vec()), ColorType::Cmyk);
    for (name, file, expected) in [
        ("grey", grey, greys.map(|g| [g; 3])),
        (
            "CMYK",
            cmyk,
            [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
        ),
    ] {
        let p = process(&file, &PhotoOptions::default(), CHINA_STANDARD_TIME).unwrap();
        assert_eq!((p.width, p.height), (2048, 1536), "{name}");
        let got = corner_colours(&p.derivative);
        let full = corner_colours(&file);
        for q in 0..4 {
            assert!(
                close(got[q], expected[q]),
                "{name} quadrant {q}: {:?}, not {:?}",
                got[q],
                expected[q]
            );
            assert!(
                close(got[q], full[q].0),
                "{name} quadrant {q}: {:?}; a full-size decode gives {:?}",
                got[q],
                full[q]
            );
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
