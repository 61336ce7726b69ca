//! Report validation: every rule a submitted report must satisfy that its types cannot
//! express. Validation collects *all* problems, each naming the field by its path
//! (`photos[1].sha256`) and saying what is wrong in words, so an inspector fixes everything
//! in one pass and a support engineer can read the log.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::{ClipRef, CodeTable, Kind, Location, Report};

/// How far into the future a device clock may run before a timestamp is called wrong.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(10);
/// The longest description an inspector can write.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The longest address text.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// A body-cam clip longer than this is certainly a mistyped time.
pub const MAX_CLIP_HOURS: i64 = 12;

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

/// Everything wrong with a report; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.problem)?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    /// Whether some error concerns this field (or a field below it).
    #[must_use]
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|e| {
            e.field == field
                || e.field.starts_with(&format!("{field}."))
                || e.field.starts_with(&format!("{field}["))
        })
    }
}

#[derive(Default)]
struct Collector(Vec<FieldError>);

impl Collector {
    fn push(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            problem: problem.into(),
        });
    }

    fn not_future(&mut self, field: impl Into<String>, t: DateTime<Utc>, now: DateTime<Utc>) {
        if t > now + MAX_CLOCK_SKEW {
            self.push(
                field,
                format!(
                    "{} is in the future (now {}); check the device clock",
                    t.to_rfc3339(),
                    now.to_rfc3339()
                ),
            );
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks `report` against `codes` (the table it claims to be filed under) at time `now`.
pub fn validate_report(
    report: &Report,
    codes: &CodeTable,
    now: DateTime<Utc>,
) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();

    if report.code_table_version != codes.version() {
        c.push(
            "code_table_version",
            format!(
                "filed under code table {:?} but this table is {:?}",
                report.code_table_version,
                codes.version()
            ),
        );
    } else if codes.get(report.kind, &report.category).is_none() {
        c.push(
            "category",
            format!(
                "{} code {} is not in code table {}",
                report.kind.name_zh(),
                report.category,
                codes.version()
            ),
        );
    }

    if let Some(component) = &report.component_id {
        if report.kind != Kind::Component {
            c.push(
                "component_id",
                "only 部件 (component) reports carry a component ID",
            );
        } else if component.category() != report.category.as_str() {
            c.push(
                "component_id",
                format!(
                    "component {component} is category {} but the report says {}",
                    component.category(),
                    report.category
                ),
            );
        }
    }

    let desc_chars = report.description.chars().count();
    if desc_chars > MAX_DESCRIPTION_CHARS {
        c.push(
            "description",
            format!("{desc_chars} characters; at most {MAX_DESCRIPTION_CHARS}"),
        );
    }
    let addr_chars = report.address.chars().count();
    if addr_chars > MAX_ADDRESS_CHARS {
        c.push(
            "address",
            format!("{addr_chars} characters; at most {MAX_ADDRESS_CHARS}"),
        );
    }

    check_location(&mut c, &report.location, now);
    c.not_future("observed_at", report.observed_at.to_utc(), now);

    let mut seen_photos = HashSet::new();
    for (i, p) in report.photos.iter().enumerate() {
        let at = |f: &str| format!("photos[{i}].{f}");
        if !seen_photos.insert(p.id) {
            c.push(at("id"), format!("photo {} is attached twice", p.id));
        }
        if !is_hex(&p.sha256, 64) {
            c.push(at("sha256"), "must be 64 lower-case hex digits");
        }
        if p.bytes == 0 {
            c.push(at("bytes"), "a photo cannot be empty");
        }
        if p.width == 0 || p.height == 0 {
            c.push(
                at("width"),
                format!("{}×{} is not an image size", p.width, p.height),
            );
        }
        if let Some(t) = p.taken_at {
            c.not_future(at("taken_at"), t.to_utc(), now);
        }
    }
    if report.handled_on_spot
        && !report
            .photos
            .iter()
            .any(|p| p.stage == crate::PhotoStage::After)
    {
        c.push(
            "handled_on_spot",
            "a problem handled on the spot (自处理) needs at least one after (处置后) photo",
        );
    }

    for (i, clip) in report.clips.iter().enumerate() {
        check_clip(&mut c, &format!("clips[{i}]"), clip, now);
    }

    if c.0.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(c.0))
    }
}

/// Whether `s` looks like a body-worn camera's product serial: 7 letters or digits.
#[must_use]
pub fn is_camera_serial(s: &str) -> bool {
    s.chars().count() == 7 && s.chars().all(|ch| ch.is_ascii_alphanumeric())
}

/// Checks a body-cam clip reference alone (as the inspector adds it), at time `now`.
pub fn validate_clip(clip: &ClipRef, now: DateTime<Utc>) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    check_clip(&mut c, "clip", clip, now);
    if c.0.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(c.0))
    }
}

fn check_clip(c: &mut Collector, prefix: &str, clip: &ClipRef, now: DateTime<Utc>) {
    let at = |f: &str| format!("{prefix}.{f}");
    if !is_camera_serial(&clip.camera_serial) {
        c.push(
            at("camera_serial"),
            format!(
                "{:?} is not a 7-character camera serial",
                clip.camera_serial
            ),
        );
    }
    if clip.officer_badge.chars().count() != 6
        || !clip
            .officer_badge
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric())
    {
        c.push(
            at("officer_badge"),
            format!("{:?} is not a 6-character badge number", clip.officer_badge),
        );
    }
    if clip.end <= clip.start {
        c.push(
            at("end"),
            format!(
                "clip ends ({}) before it starts ({})",
                clip.end.to_rfc3339(),
                clip.start.to_rfc3339()
            ),
        );
    } else if clip.end - clip.start > Duration::hours(MAX_CLIP_HOURS) {
        c.push(
            at("end"),
            format!("clip is longer than {MAX_CLIP_HOURS} hours"),
        );
    }
    c.not_future(at("start"), clip.start.to_utc(), now);
    if let Some(md5) = &clip.md5
        && !is_hex(md5, 32)
    {
        c.push(at("md5"), "must be 32 lower-case hex digits");
    }
    if let Some(sha) = &clip.sha256
        && !is_hex(sha, 64)
    {
        c.push(at("sha256"), "must be 64 lower-case hex digits");
    }
    if let Some(name) = &clip.file_name
        && (name.is_empty() || name.contains(['/', '\\']))
    {
        c.push(at("file_name"), "must be a bare file name");
    }
}

/// Checks a position alone (what a map drag or a GPS callback produces), at time `now`.
pub fn validate_location(loc: &Location, now: DateTime<Utc>) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    check_location(&mut c, loc, now);
    if c.0.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(c.0))
    }
}

fn check_location(c: &mut Collector, loc: &Location, now: DateTime<Utc>) {
    if !loc.lon.is_finite() || !(-180.0..=180.0).contains(&loc.lon) {
        c.push(
            "location.lon",
            format!("{} is not a longitude (-180 to 180)", loc.lon),
        );
    }
    if !loc.lat.is_finite() || !(-90.0..=90.0).contains(&loc.lat) {
        c.push(
            "location.lat",
            format!("{} is not a latitude (-90 to 90)", loc.lat),
        );
    }
    if loc.lon == 0.0 && loc.lat == 0.0 {
        c.push("location", "0, 0 means the device had no fix");
    }
    if !loc.accuracy_m.is_finite() || loc.accuracy_m < 0.0 {
        c.push(
            "location.accuracy_m",
            format!("{} is not a distance in metres", loc.accuracy_m),
        );
    }
    c.not_future("location.fix_time", loc.fix_time, now);
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;
    use crate::codes::tests::SMALL;
    use crate::{
        ClipRef, Crs, DeviceId, LocationProvider, PhotoId, PhotoRef, PhotoStage, ReportId, Urgency,
        UserId,
    };

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0)
            .single()
            .expect("valid")
    }

    fn beijing(h: u32, m: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(8 * 3600)
            .expect("offset")
            .with_ymd_and_hms(2026, 11, 3, h, m, 0)
            .single()
            .expect("valid")
    }

    fn good() -> Report {
        Report {
            id: ReportId::new(),
            kind: Kind::Component,
            category: "0102".parse().expect("code"),
            code_table_version: "T1".into(),
            component_id: Some("4407030102000017".parse().expect("id")),
            description: "污水井盖缺失".into(),
            address: "建设二路 12 号".into(),
            location: Location {
                lon: 113.08,
                lat: 22.59,
                crs: Crs::Wgs84,
                accuracy_m: 6.0,
                fix_time: now(),
                provider: LocationProvider::Gps,
            },
            cell: Some("440703001001001".parse().expect("cell")),
            location_flags: vec![],
            urgency: Urgency::Normal,
            observed_at: beijing(9, 55),
            reporter: UserId::new(),
            device: DeviceId::new(),
            photos: vec![PhotoRef {
                id: PhotoId::new(),
                sha256: "a".repeat(64),
                bytes: 1000,
                width: 2048,
                height: 1536,
                taken_at: Some(beijing(9, 54)),
                stage: PhotoStage::Before,
            }],
            clips: vec![ClipRef {
                camera_serial: "JMC0001".into(),
                officer_badge: "440123".into(),
                start: beijing(9, 50),
                end: beijing(9, 58),
                file_name: Some("20261103_0950.mp4".into()),
                md5: None,
                sha256: None,
            }],
            handled_on_spot: false,
        }
    }

    fn table() -> CodeTable {
        CodeTable::from_json(SMALL).expect("table")
    }

    fn errors(r: &Report) -> ValidationErrors {
        validate_report(r, &table(), now()).expect_err("should be invalid")
    }

    #[test]
    fn a_good_report_passes() {
        validate_report(&good(), &table(), now()).expect("valid");
    }

    #[test]
    fn unknown_code_is_named() {
        let mut r = good();
        r.category = "0199".parse().expect("code");
        r.component_id = None;
        let e = errors(&r);
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].field, "category");
        assert_eq!(e.0[0].problem, "部件 code 0199 is not in code table T1");
    }

    #[test]
    fn kind_matters_for_codes() {
        let mut r = good();
        r.kind = Kind::Event;
        let e = errors(&r);
        assert!(e.mentions("category"), "{e}");
        assert!(e.mentions("component_id"), "{e}");
    }

    #[test]
    fn wrong_table_version_is_named() {
        let mut r = good();
        r.code_table_version = "T0".into();
        assert!(
            errors(&r)
                .to_string()
                .contains("filed under code table \"T0\"")
        );
    }

    #[test]
    fn component_id_must_match_category() {
        let mut r = good();
        r.component_id = Some("4407030101000017".parse().expect("id"));
        let e = errors(&r);
        assert!(
            e.to_string()
                .contains("is category 0101 but the report says 0102"),
            "{e}"
        );
    }

    #[test]
    fn coordinates_out_of_range() {
        let mut r = good();
        r.location.lon = 191.0;
        r.location.lat = f64::NAN;
        r.location.accuracy_m = -1.0;
        let e = errors(&r);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["location.lon", "location.lat", "location.accuracy_m"]
        );
        let mut r = good();
        r.location.lon = 0.0;
        r.location.lat = 0.0;
        assert!(errors(&r).to_string().contains("no fix"));
    }

    #[test]
    fn clip_end_before_start() {
        let mut r = good();
        r.clips[0].end = beijing(9, 40);
        let e = errors(&r);
        assert_eq!(e.0[0].field, "clips[0].end");
        assert!(
            e.0[0]
                .problem
                .starts_with("clip ends (2026-11-03T09:40:00+08:00) before it starts")
        );
    }

    #[test]
    fn bad_clip_identity() {
        let mut r = good();
        r.clips[0].camera_serial = "JM1".into();
        r.clips[0].officer_badge = "44 123".into();
        r.clips[0].md5 = Some("XYZ".into());
        let e = errors(&r);
        assert!(e.mentions("clips[0].camera_serial"));
        assert!(e.mentions("clips[0].officer_badge"));
        assert!(e.mentions("clips[0].md5"));
    }

    #[test]
    fn observed_far_in_the_future() {
        let mut r = good();
        r.observed_at = beijing(12, 0);
        let e = errors(&r);
        assert_eq!(e.0[0].field, "observed_at");
        assert!(e.0[0].problem.contains("in the future"));
        // within the clock-skew allowance is fine
        let mut r = good();
        r.observed_at = beijing(10, 5);
        validate_report(&r, &table(), now()).expect("skew tolerated");
    }

    #[test]
    fn photo_problems_are_indexed() {
        let mut r = good();
        let mut second = r.photos[0].clone();
        second.sha256 = "ABC".into();
        second.width = 0;
        r.photos.push(second);
        let e = errors(&r);
        assert!(e.mentions("photos[1].id"), "{e}");
        assert!(e.mentions("photos[1].sha256"), "{e}");
        assert!(e.mentions("photos[1].width"), "{e}");
        assert!(!e.mentions("photos[0]"), "{e}");
    }

    #[test]
    fn handled_on_spot_needs_after_photo() {
        let mut r = good();
        r.handled_on_spot = true;
        assert!(errors(&r).mentions("handled_on_spot"));
        r.photos[0].stage = PhotoStage::After;
        validate_report(&r, &table(), now()).expect("valid with after photo");
    }

    #[test]
    fn overlong_text() {
        let mut r = good();
        r.description = "井".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(
            errors(&r)
                .to_string()
                .starts_with("description: 2001 characters")
        );
    }
}
