//! The public's 随手拍 (全民城管): a citizen on a phone web page sends a photo or three, the
//! phone's position, a problem type and a few words, without an account. The centre files
//! it through its intake like any other port's report ([`super::ports`]), as the service
//! account whose source is `public`, so it is filed exactly once per submission key, waits
//! for the inspector of its cell to check it on site (核实), and then for 受理.
//!
//! A stranger's bytes are checked harder than a tablet's: a tablet's engine made its photo
//! (re-encoded, sized, hashed); a citizen's page should have, but anyone may post anything.
//! So each photo must be a whole JPEG (its start and end markers, headers that read), no
//! larger than [`MAX_PUBLIC_PHOTO_BYTES`] and [`MAX_PUBLIC_PHOTO_SIDE`] pixels a side, that
//! decodes; and what the centre keeps is its own copy, encoded again from the decoded
//! picture, so nothing rides along (EXIF, bytes after the image's end, a scan structure
//! that makes a thumbnailer fail). Its hash, size and dimensions are the copy's, never the
//! sender's word. The copy then reaches the blob store through the same tus service a
//! tablet's photos do, which checks it again.

use chrono::{DateTime, Utc};
use gridwalk_protocol::intake::{
    IntakeRequest, MAX_PUBLIC_PHOTO_BYTES, MAX_PUBLIC_PHOTO_SIDE, MAX_PUBLIC_PHOTOS,
    MAX_PUBLIC_WORDS, PublicReport, Source,
};
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{PhotoId, PhotoRef, PhotoStage, Urgency, UserId};
use image::ImageFormat;
use sha2::{Digest, Sha256};

use super::model::{Role, User};
use super::photos::JpegCheck;

/// The account the page files as: the one enabled service account whose source is the
/// public (the first by login, if a centre made several).
#[must_use]
pub fn account(users: &[(User, Option<DateTime<Utc>>)]) -> Option<UserId> {
    users
        .iter()
        .filter(|(u, disabled)| {
            disabled.is_none() && u.role == Role::Service && u.source == Some(Source::Public)
        })
        .min_by(|a, b| a.0.login.cmp(&b.0.login))
        .map(|(u, _)| u.id)
}

/// The JPEG quality a citizen's photo is re-encoded at.
pub const REENCODE_QUALITY: u8 = 88;

/// How old a citizen's position fix may be, in hours (and how far ahead of the centre's
/// clock, in minutes, a phone's clock may run).
pub const FIX_HOURS: i64 = 24;
pub const FIX_AHEAD_MINUTES: i64 = 5;

/// Checks the `n`th photo (from 1) of a submission and makes the centre's own copy of it:
/// decoded (within the size limits) and encoded again, so what is kept is a plain JPEG of
/// the picture and nothing else (no EXIF, no bytes after its end, no scans a thumbnailer
/// chokes on). Returns the copy and how the centre describes it. The same bytes make the
/// same copy, so a retried submission is the same request.
///
/// # Errors
/// Why it is not taken, in words: too large, not a JPEG, cut short, unreadable headers,
/// too many pixels, or a picture that does not decode.
pub fn photo(n: usize, id: PhotoId, bytes: &[u8]) -> Result<(PhotoRef, Vec<u8>), Message> {
    let bad = |why: String| msg!(PUBLIC_PHOTO_BAD, n = n, why = why);
    let len = bytes.len() as u64;
    if len > MAX_PUBLIC_PHOTO_BYTES {
        return Err(bad(format!(
            "it is {len} bytes, more than the {MAX_PUBLIC_PHOTO_BYTES} the centre takes"
        )));
    }
    let mut check = JpegCheck::default();
    check.feed(bytes);
    check.verdict(None, None).map_err(bad)?;
    let (width, height) =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), ImageFormat::Jpeg)
            .into_dimensions()
            .map_err(|e| bad(format!("its JPEG headers cannot be read: {e}")))?;
    if width > MAX_PUBLIC_PHOTO_SIDE || height > MAX_PUBLIC_PHOTO_SIDE {
        return Err(bad(format!(
            "it is {width}×{height}, larger than {MAX_PUBLIC_PHOTO_SIDE} pixels a side"
        )));
    }
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), ImageFormat::Jpeg);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PUBLIC_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PUBLIC_PHOTO_SIDE);
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|e| bad(format!("it does not decode: {e}")))?
        .into_rgb8();
    let mut copy = Vec::with_capacity(bytes.len());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut copy, REENCODE_QUALITY)
        .encode_image(&picture)
        .map_err(|e| bad(format!("it could not be encoded again: {e}")))?;
    let described = PhotoRef {
        id,
        sha256: Sha256::digest(&copy)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes: copy.len() as u64,
        width: picture.width(),
        height: picture.height(),
        taken_at: None,
        stage: PhotoStage::Before,
    };
    Ok((described, copy))
}

/// The intake request a submission makes, with its photos as the centre read them.
///
/// # Errors
/// Why the submission is not taken: a position fixed more than [`FIX_HOURS`] ago (or
/// ahead of `now`), no or too many photos, IDs not one per photo, or no words (the report
/// itself is judged afterwards like any port's).
pub fn request(
    report: &PublicReport,
    photos: Vec<PhotoRef>,
    now: DateTime<Utc>,
) -> Result<IntakeRequest, Message> {
    let fixed = report.location.fix_time;
    if fixed < now - chrono::Duration::hours(FIX_HOURS)
        || fixed > now + chrono::Duration::minutes(FIX_AHEAD_MINUTES)
    {
        return Err(msg!(
            PUBLIC_WHEN,
            at = fixed.to_rfc3339(),
            hours = FIX_HOURS
        ));
    }
    let words = report.description.trim();
    if words.is_empty() || words.chars().count() > MAX_PUBLIC_WORDS {
        return Err(msg!(PUBLIC_WORDS, max = MAX_PUBLIC_WORDS));
    }
    let count_ok = (1..=MAX_PUBLIC_PHOTOS).contains(&photos.len());
    if !count_ok || photos.len() != report.photo_ids.len() {
        return Err(msg!(
            PUBLIC_PHOTO_COUNT,
            max = MAX_PUBLIC_PHOTOS,
            ids = report.photo_ids.len(),
            photos = photos.len()
        ));
    }
    Ok(IntakeRequest {
        caller_ref: report.key.to_string(),
        kind: report.kind,
        category: report.category.clone(),
        code_table_version: None,
        description: words.to_owned(),
        address: report.address.trim().to_owned(),
        location: report.location,
        // When the phone placed the citizen there: what they saw, then. (Not the time of
        // sending, which a retry would change, and with it the submission.)
        observed_at: report.location.fix_time.fixed_offset(),
        urgency: Urgency::Normal,
        photos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([90, 120, 60]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).expect("encodes");
        out.into_inner()
    }

    #[test]
    fn the_centre_keeps_its_own_copy_of_a_photo_and_describes_the_copy() {
        // A picture with EXIF (an APP1 segment after SOI) and bytes after its end marker.
        let plain = jpeg(64, 48);
        let exif = b"\xFF\xE1\x00\x10Exif\x00\x00GPSDATA!";
        let mut sent = [&plain[..2], &exif[..], &plain[2..]].concat();
        sent.extend_from_slice(b"<script>alert(1)</script>\xFF\xD9");
        let id = PhotoId::new();
        let (p, copy) = photo(1, id, &sent).expect("taken");
        assert_eq!((p.id, p.width, p.height), (id, 64, 48));
        assert_eq!(p.bytes, copy.len() as u64);
        let sha: String = Sha256::digest(&copy)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(p.sha256, sha);
        assert_eq!(p.stage, PhotoStage::Before);
        assert!(copy.starts_with(&[0xFF, 0xD8]) && copy.ends_with(&[0xFF, 0xD9]));
        let has = |needle: &[u8]| copy.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"Exif") && !has(b"script"), "nothing rides along");
        assert_eq!(
            photo(1, id, &sent).expect("taken").1,
            copy,
            "the same copy again"
        );
    }

    #[test]
    fn a_photo_that_is_not_a_whole_small_jpeg_is_refused_in_words() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let whole = jpeg(64, 48);
        let headless = [&whole[..20], &[0xFF, 0xD9]].concat();
        let cases: [(&[u8], &str); 5] = [
            (&png, "not a JPEG"),
            (&whole[..whole.len() / 2], "cut short"),
            (&headless, "headers cannot be read"),
            (&jpeg(2100, 8), "larger than 2048 pixels"),
            (&vec![0xFF; 5 * 1024 * 1024], "more than the"),
        ];
        for (bytes, why) in cases {
            let e = photo(2, PhotoId::new(), bytes).expect_err(why);
            let words = e.english();
            assert!(
                words.contains("photo 2") && words.contains(why),
                "{why}: {words}"
            );
        }
    }

    #[test]
    fn a_submission_needs_words_and_one_id_per_photo() {
        let (p, _) = photo(1, PhotoId::new(), &jpeg(8, 8)).expect("taken");
        let now = Utc::now();
        let report = PublicReport {
            key: uuid::Uuid::now_v7(),
            kind: gridwalk_protocol::Kind::Event,
            category: "0101".parse().unwrap_or_else(|_| unreachable!()),
            description: "  路边堆了很多垃圾  ".into(),
            address: " 中山路 ".into(),
            location: gridwalk_protocol::Location {
                lon: 113.08,
                lat: 22.58,
                crs: gridwalk_protocol::Crs::Wgs84,
                accuracy_m: 20.0,
                fix_time: now - chrono::Duration::minutes(2),
                provider: gridwalk_protocol::LocationProvider::Network,
            },
            photo_ids: vec![p.id],
        };
        let req = request(&report, vec![p.clone()], now).expect("taken");
        assert_eq!(
            req.caller_ref,
            report.key.to_string(),
            "the key is the reference"
        );
        assert_eq!(
            (req.description.as_str(), req.address.as_str()),
            ("路边堆了很多垃圾", "中山路")
        );
        assert_eq!(req.photos, vec![p.clone()]);
        assert_eq!(
            req.observed_at,
            report.location.fix_time.fixed_offset(),
            "seen when the phone placed it: the same request however late it is sent again"
        );
        let later = now + chrono::Duration::hours(3);
        assert_eq!(
            request(&report, vec![p.clone()], later),
            Ok(req.clone()),
            "sent again later"
        );
        for (fix, why) in [
            (now - chrono::Duration::hours(25), "a day-old fix"),
            (
                now + chrono::Duration::minutes(10),
                "a fix ahead of the clock",
            ),
        ] {
            let mut old = report.clone();
            old.location.fix_time = fix;
            let e = request(&old, vec![p.clone()], now).expect_err(why);
            assert!(e.english().contains("last 24 hours"), "{why}: {e}");
        }
        let e = request(&report, vec![], now).expect_err("no photo");
        assert!(e.english().contains("1 to 3 photos"), "{e}");
        let e = request(&report, vec![p.clone(), p.clone()], now).expect_err("two photos, one ID");
        assert!(e.english().contains("1 IDs, 2 photos"), "{e}");
        let quiet = PublicReport {
            description: " \n ".into(),
            ..report.clone()
        };
        assert!(request(&quiet, vec![p], now).is_err(), "no words");
    }

    #[test]
    fn the_page_files_as_the_enabled_public_service_account() {
        let user = |login: &str, role, source| User {
            id: UserId::new(),
            login: login.into(),
            name: login.into(),
            role,
            team: None,
            department: None,
            cells: vec![],
            badge: None,
            camera_serial: None,
            source,
        };
        let hotline = user("hotline", Role::Service, Some(Source::Hotline12345));
        let off = user("a-public", Role::Service, Some(Source::Public));
        let on = user("b-public", Role::Service, Some(Source::Public));
        let inspector = user("c", Role::Inspector, None);
        assert_eq!(
            account(&[(hotline.clone(), None), (inspector.clone(), None)]),
            None
        );
        let users = [
            (hotline, None),
            (off, Some(Utc::now())),
            (on.clone(), None),
            (inspector, None),
        ];
        assert_eq!(account(&users), Some(on.id));
    }
}
