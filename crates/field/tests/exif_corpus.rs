//! The EXIF GPS corpus: photos laid out the ways real cameras and phones write their
//! position, each read by the engine, and the whole corpus read again by exiftool (an
//! independent reader) to check that the two agree.
//!
//! Every file is made here byte by byte: a small real JPEG with an APP1 segment built by
//! [`Exif`], so a variant can use a field type, count, byte order or tag order that a
//! writing tool would "correct". The layouts come from what phones and cameras write:
//!
//! - the standard: three unsigned RATIONALs (degrees, minutes, seconds) and a reference
//!   letter, little-endian (Nikon, Samsung) or big-endian (Apple);
//! - three **signed** SRATIONALs, big-endian, GPS tags out of order (an HMD Nokia 8.3 5G);
//! - degrees and decimal minutes in the second rational, seconds 0/1 (Kodak, Nikon);
//! - seconds with denominators of 10^8 (Nikon Coolpix with GPS);
//! - decimal degrees in one rational, signed values without a reference (writers that
//!   follow neither the count nor the reference of the standard);
//! - a lower-case reference, a negative value with its reference, accuracy and time as
//!   SRATIONALs.
//!
//! And what must give no position: a zero denominator, 0°,0° (a phone with no fix), values
//! off the globe, a count of four, an ASCII latitude.
//!
//! The real sample collections (e.g. github.com/ianare/exif-samples) are read by
//! `scripts/exif-samples.sh DIR`, which compares the engine with exiftool on every photo of
//! a directory; their files are not copied here (they carry their own licences).
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use chrono::FixedOffset;
use gridwalk_field::photo::exif;

/// TIFF field types used here.
const BYTE: u16 = 1;
const ASCII: u16 = 2;
const RATIONAL: u16 = 5;
const SRATIONAL: u16 = 10;

const LAT_REF: u16 = 1;
const LAT: u16 = 2;
const LON_REF: u16 = 3;
const LON: u16 = 4;
const TIME: u16 = 7;
const DATE: u16 = 29;
const H_ERROR: u16 = 31;

/// One GPS IFD entry: tag, type, count, and its value bytes in the file's byte order.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    bytes: Vec<u8>,
}

/// A TIFF/EXIF block: IFD0 with a Make and the GPS IFD pointer, and the GPS IFD with its
/// entries in the order given (readers must not rely on order; some phones break it).
struct Exif {
    big_endian: bool,
    gps: Vec<Entry>,
}

impl Exif {
    fn new(big_endian: bool) -> Self {
        Self {
            big_endian,
            gps: Vec::new(),
        }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn ascii(mut self, tag: u16, s: &str) -> Self {
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        self.gps.push(Entry {
            tag,
            kind: ASCII,
            count: u32::try_from(bytes.len()).unwrap(),
            bytes,
        });
        self
    }

    /// Unsigned rationals, each (numerator, denominator).
    fn rational(mut self, tag: u16, values: &[(u32, u32)]) -> Self {
        let bytes = values
            .iter()
            .flat_map(|&(n, d)| [self.u32(n), self.u32(d)].concat())
            .collect();
        self.gps.push(Entry {
            tag,
            kind: RATIONAL,
            count: u32::try_from(values.len()).unwrap(),
            bytes,
        });
        self
    }

    /// Signed rationals, each (numerator, denominator).
    fn srational(mut self, tag: u16, values: &[(i32, i32)]) -> Self {
        let bytes = values
            .iter()
            .flat_map(|&(n, d)| {
                [
                    self.u32(u32::from_ne_bytes(n.to_ne_bytes())),
                    self.u32(u32::from_ne_bytes(d.to_ne_bytes())),
                ]
                .concat()
            })
            .collect();
        self.gps.push(Entry {
            tag,
            kind: SRATIONAL,
            count: u32::try_from(values.len()).unwrap(),
            bytes,
        });
        self
    }

    fn version(mut self) -> Self {
        self.gps.push(Entry {
            tag: 0,
            kind: BYTE,
            count: 4,
            bytes: vec![2, 2, 0, 0],
        });
        self
    }

    /// The APP1 payload: "Exif\0\0" and the TIFF structure.
    fn tiff(&self) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(if self.big_endian { b"MM" } else { b"II" });
        t.extend_from_slice(&self.u16(42));
        t.extend_from_slice(&self.u32(8));
        // IFD0 at 8: Make (ASCII, out of line) and the GPS IFD pointer.
        let make = b"Gridwalk corpus\0";
        let ifd0_len = 2 + 2 * 12 + 4;
        let make_at = 8 + ifd0_len;
        let gps_at = make_at + make.len();
        t.extend_from_slice(&self.u16(2));
        t.extend_from_slice(&self.u16(0x010f));
        t.extend_from_slice(&self.u16(ASCII));
        t.extend_from_slice(&self.u32(u32::try_from(make.len()).unwrap()));
        t.extend_from_slice(&self.u32(u32::try_from(make_at).unwrap()));
        t.extend_from_slice(&self.u16(0x8825));
        t.extend_from_slice(&self.u16(4)); // LONG
        t.extend_from_slice(&self.u32(1));
        t.extend_from_slice(&self.u32(u32::try_from(gps_at).unwrap()));
        t.extend_from_slice(&self.u32(0));
        t.extend_from_slice(make);
        // The GPS IFD, its long values after it.
        let gps_len = 2 + 12 * self.gps.len() + 4;
        let mut data_at = gps_at + gps_len;
        let mut data = Vec::new();
        t.extend_from_slice(&self.u16(u16::try_from(self.gps.len()).unwrap()));
        for e in &self.gps {
            t.extend_from_slice(&self.u16(e.tag));
            t.extend_from_slice(&self.u16(e.kind));
            t.extend_from_slice(&self.u32(e.count));
            if e.bytes.len() <= 4 {
                let mut inline = e.bytes.clone();
                inline.resize(4, 0);
                t.extend_from_slice(&inline);
            } else {
                t.extend_from_slice(&self.u32(u32::try_from(data_at).unwrap()));
                data.extend_from_slice(&e.bytes);
                data_at += e.bytes.len();
            }
        }
        t.extend_from_slice(&self.u32(0));
        t.extend_from_slice(&data);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&t);
        app1
    }

    /// A real 16×16 JPEG carrying this EXIF block as its first segment.
    fn jpeg(&self) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(16, 16, image::Rgb([120, 130, 140]));
        let mut plain = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
            .unwrap();
        let app1 = self.tiff();
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }
}

/// What the engine reads from `e`: (lat, lon), accuracy, fix time.
fn read(e: &Exif) -> Option<exif::ExifGps> {
    exif::read(&e.jpeg(), FixedOffset::east_opt(8 * 3600).unwrap()).gps
}

fn assert_at(e: &Exif, lat: f64, lon: f64) {
    let gps = read(e).expect("a position");
    assert!(
        (gps.lat - lat).abs() < 1e-7 && (gps.lon - lon).abs() < 1e-7,
        "read {},{} expected {lat},{lon}",
        gps.lat,
        gps.lon
    );
}

/// 22°35'24.8172"N 113°53'3.5"E (a street in Bao'an), in the standard layout.
fn standard(big_endian: bool) -> Exif {
    Exif::new(big_endian)
        .version()
        .ascii(LAT_REF, "N")
        .rational(LAT, &[(22, 1), (35, 1), (248_172, 10_000)])
        .ascii(LON_REF, "E")
        .rational(LON, &[(113, 1), (53, 1), (35, 10)])
}
const LAT_0: f64 = 22.0 + 35.0 / 60.0 + 24.8172 / 3600.0;
const LON_0: f64 = 113.0 + 53.0 / 60.0 + 3.5 / 3600.0;

/// A variant: its name, its EXIF, and the position it must give (lat, lon), if any.
type Variant = (&'static str, Exif, Option<(f64, f64)>);

/// Every variant, by name, for the per-variant tests and the exiftool cross-check.
fn corpus() -> Vec<Variant> {
    let deg = |d: f64| {
        #[allow(clippy::cast_possible_truncation)]
        let n = (d * 1e7).round() as i32;
        n
    };
    vec![
        (
            "standard_little_endian",
            standard(false),
            Some((LAT_0, LON_0)),
        ),
        (
            "standard_big_endian_apple",
            standard(true),
            Some((LAT_0, LON_0)),
        ),
        (
            "signed_rationals_big_endian_out_of_order_nokia",
            Exif::new(true)
                .ascii(LON_REF, "E")
                .ascii(LAT_REF, "N")
                .srational(LON, &[(113, 1), (53, 1), (350, 100)])
                .srational(LAT, &[(22, 1), (35, 1), (248_172, 10_000)]),
            Some((LAT_0, LON_0)),
        ),
        (
            "signed_rationals_little_endian",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .srational(LAT, &[(22, 1), (35, 1), (248_172, 10_000)])
                .ascii(LON_REF, "E")
                .srational(LON, &[(113, 1), (53, 1), (35, 10)]),
            Some((LAT_0, LON_0)),
        ),
        (
            "degrees_and_decimal_minutes_kodak",
            Exif::new(false)
                .ascii(LAT_REF, "S")
                .rational(LAT, &[(0, 1), (22_278, 1000), (0, 1)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(36, 1), (3385, 1000), (0, 1)]),
            Some((-22.278 / 60.0, 36.0 + 3.385 / 60.0)),
        ),
        (
            "seconds_over_ten_to_the_eighth_nikon",
            Exif::new(false)
                .version()
                .ascii(LAT_REF, "N")
                .rational(LAT, &[(43, 1), (28, 1), (281_400_000, 100_000_000)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(11, 1), (53, 1), (645_599_999, 100_000_000)]),
            Some((
                43.0 + 28.0 / 60.0 + 2.814 / 3600.0,
                11.0 + 53.0 / 60.0 + 6.455_999_99 / 3600.0,
            )),
        ),
        (
            "west_and_south_references",
            Exif::new(true)
                .ascii(LAT_REF, "S")
                .rational(LAT, &[(33, 1), (52, 1), (0, 1)])
                .ascii(LON_REF, "W")
                .rational(LON, &[(70, 1), (39, 1), (0, 1)]),
            Some((-(33.0 + 52.0 / 60.0), -(70.0 + 39.0 / 60.0))),
        ),
        (
            "lower_case_references",
            Exif::new(false)
                .ascii(LAT_REF, "s")
                .rational(LAT, &[(33, 1), (52, 1), (0, 1)])
                .ascii(LON_REF, "w")
                .rational(LON, &[(70, 1), (39, 1), (0, 1)]),
            Some((-(33.0 + 52.0 / 60.0), -(70.0 + 39.0 / 60.0))),
        ),
        (
            "no_references_unsigned_is_north_east",
            Exif::new(false)
                .rational(LAT, &[(22, 1), (35, 1), (248_172, 10_000)])
                .rational(LON, &[(113, 1), (53, 1), (35, 10)]),
            Some((LAT_0, LON_0)),
        ),
        (
            "no_references_signed_negative_is_south_west",
            Exif::new(true)
                .srational(LAT, &[(-33, 1), (52, 1), (0, 1)])
                .srational(LON, &[(-70, 1), (39, 1), (0, 1)]),
            Some((-(33.0 + 52.0 / 60.0), -(70.0 + 39.0 / 60.0))),
        ),
        (
            "negative_value_with_its_reference",
            Exif::new(false)
                .ascii(LAT_REF, "S")
                .srational(LAT, &[(-33, 1), (-52, 1), (0, 1)])
                .ascii(LON_REF, "W")
                .srational(LON, &[(-70, 1), (-39, 1), (0, 1)]),
            Some((-(33.0 + 52.0 / 60.0), -(70.0 + 39.0 / 60.0))),
        ),
        (
            "decimal_degrees_in_one_signed_rational",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .srational(LAT, &[(deg(LAT_0), 10_000_000)])
                .ascii(LON_REF, "E")
                .srational(LON, &[(deg(LON_0), 10_000_000)]),
            Some((f64::from(deg(LAT_0)) / 1e7, f64::from(deg(LON_0)) / 1e7)),
        ),
        (
            "zero_denominator_is_no_position",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .rational(LAT, &[(22, 1), (35, 0), (0, 1)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(113, 1), (53, 1), (35, 10)]),
            None,
        ),
        (
            "zero_zero_is_no_fix",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .rational(LAT, &[(0, 1), (0, 1), (0, 1)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(0, 1), (0, 1), (0, 1)]),
            None,
        ),
        (
            "off_the_globe_is_no_position",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .rational(LAT, &[(95, 1), (0, 1), (0, 1)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(113, 1), (53, 1), (35, 10)]),
            None,
        ),
        (
            "four_numbers_is_no_position",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .rational(LAT, &[(22, 1), (35, 1), (0, 1), (1, 1)])
                .ascii(LON_REF, "E")
                .rational(LON, &[(113, 1), (53, 1), (35, 10)]),
            None,
        ),
        (
            "ascii_latitude_is_no_position",
            Exif::new(false)
                .ascii(LAT_REF, "N")
                .ascii(LAT, "22.59")
                .ascii(LON_REF, "E")
                .rational(LON, &[(113, 1), (53, 1), (35, 10)]),
            None,
        ),
    ]
}

fn variant(name: &str) -> (Exif, Option<(f64, f64)>) {
    let (_, e, at) = corpus().into_iter().find(|(n, ..)| *n == name).unwrap();
    (e, at)
}

macro_rules! variants {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            match variant(stringify!($name)) {
                (e, Some((lat, lon))) => assert_at(&e, lat, lon),
                (e, None) => assert_eq!(read(&e), None),
            }
        }
    )*};
}

variants!(
    standard_little_endian,
    standard_big_endian_apple,
    signed_rationals_big_endian_out_of_order_nokia,
    signed_rationals_little_endian,
    degrees_and_decimal_minutes_kodak,
    seconds_over_ten_to_the_eighth_nikon,
    west_and_south_references,
    lower_case_references,
    no_references_unsigned_is_north_east,
    no_references_signed_negative_is_south_west,
    negative_value_with_its_reference,
    decimal_degrees_in_one_signed_rational,
    zero_denominator_is_no_position,
    zero_zero_is_no_fix,
    off_the_globe_is_no_position,
    four_numbers_is_no_position,
    ascii_latitude_is_no_position,
);

#[test]
fn every_variant_has_its_own_test() {
    let source = include_str!("exif_corpus.rs");
    for (name, ..) in corpus() {
        assert!(
            source.contains(&format!("    {name},\n")),
            "{name} is in the corpus but has no test"
        );
    }
}

/// Accuracy and fix time are read from signed rationals as well as unsigned ones.
#[test]
fn accuracy_and_fix_time_in_signed_rationals() {
    for signed in [false, true] {
        let mut e = standard(true).ascii(DATE, "2026:11:03");
        e = if signed {
            e.srational(TIME, &[(3, 1), (5, 1), (3350, 100)])
                .srational(H_ERROR, &[(48, 10)])
        } else {
            e.rational(TIME, &[(3, 1), (5, 1), (3350, 100)])
                .rational(H_ERROR, &[(48, 10)])
        };
        let gps = read(&e).unwrap();
        assert_eq!(gps.accuracy_m, Some(4.8), "signed {signed}");
        assert_eq!(
            gps.fix_time.unwrap().to_rfc3339(),
            "2026-11-03T03:05:33+00:00",
            "signed {signed}"
        );
    }
    let negative = standard(false).srational(H_ERROR, &[(-5, 1)]);
    assert_eq!(read(&negative).unwrap().accuracy_m, None);
}

/// Where exiftool reads a file otherwise, on purpose: signed degrees, minutes and seconds
/// with no reference letter. exiftool adds the signed parts (-33, 52, 0 → -32.13°) and
/// then reports the magnitude; the engine reads -33°52' as a person would, south.
const EXIFTOOL_READS_OTHERWISE: &[&str] = &["no_references_signed_negative_is_south_west"];

/// exiftool, an independent reader, finds the same position in every file of the corpus
/// that has one (the engine's reading is not just agreeing with the test's own arithmetic),
/// except the few listed in [`EXIFTOOL_READS_OTHERWISE`] (where it must indeed differ, so
/// the list stays true).
#[test]
fn exiftool_reads_the_same_positions() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus();
    for (name, e, _) in &corpus {
        std::fs::write(dir.path().join(format!("{name}.jpg")), e.jpeg()).unwrap();
    }
    let out = std::process::Command::new("exiftool")
        .args([
            "-n",
            "-json",
            "-GPSLatitude",
            "-GPSLongitude",
            "-ext",
            "jpg",
        ])
        .arg(dir.path())
        .output()
        .expect("exiftool (Debian: libimage-exiftool-perl) runs");
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut compared = 0;
    let mut differ = Vec::new();
    for (name, _, expected) in &corpus {
        let Some((lat, lon)) = expected else { continue };
        let row = listed
            .iter()
            .find(|r| {
                r["SourceFile"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}.jpg"))
            })
            .unwrap_or_else(|| panic!("{name} not listed by exiftool"));
        let (Some(tool_lat), Some(tool_lon)) =
            (row["GPSLatitude"].as_f64(), row["GPSLongitude"].as_f64())
        else {
            panic!("exiftool found no position in {name}: {row}");
        };
        let agrees = (tool_lat - lat).abs() < 1e-6 && (tool_lon - lon).abs() < 1e-6;
        if EXIFTOOL_READS_OTHERWISE.contains(name) {
            assert!(!agrees, "{name}: exiftool now agrees; take it off the list");
            continue;
        }
        if !agrees {
            differ.push(format!(
                "{name}: exiftool {tool_lat},{tool_lon}, expected {lat},{lon}"
            ));
        }
        compared += 1;
    }
    assert!(differ.is_empty(), "{differ:#?}");
    assert!(compared >= 10, "{compared}");
}
