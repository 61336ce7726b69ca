//! Report validation: every rule a submitted report must satisfy that its types cannot
//! express. Validation collects *all* problems, each naming the field by its path
//! (`photos[1].sha256`) and saying what is wrong in words, so an inspector fixes everything
//! in one pass and a support engineer can read the log.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::message::{Message, msg};
use crate::{ClipRef, CodeTable, Kind, Location, MutationBody, PhotoRef, PushRequest, Report};

/// How far into the future a device clock may run before a timestamp is called wrong.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(10);
/// How far back a time in a report may lie: a tablet may stay offline for weeks, never for
/// a year; an older time is a device clock that was reset (0001-01-01, 1970-01-01).
pub const MAX_AGE: Duration = Duration::days(366);
/// The longest description an inspector can write.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The longest address text.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// A body-cam clip longer than this is certainly a mistyped time.
pub const MAX_CLIP_HOURS: i64 = 12;
/// The most mutations one push may carry (the engine sends batches of exactly this many).
pub const MAX_MUTATIONS_PER_PUSH: usize = 100;
/// The most photos one report (or one verification) may carry.
pub const MAX_PHOTOS_PER_REPORT: usize = 20;
/// The most body-cam clip references one report may carry.
pub const MAX_CLIPS_PER_REPORT: usize = 20;
/// The largest photo any centre takes (a centre may set a lower limit of its own).
pub const MAX_PHOTO_BYTES: u64 = 64 * 1024 * 1024;
/// The widest or tallest photo, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 20_000;
/// The longest short label: an app version, a code table version, a file name.
pub const MAX_LABEL_CHARS: usize = 128;
/// The longest note an inspector writes with a verification.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most location flags a report may carry (there are three kinds).
pub const MAX_LOCATION_FLAGS: usize = 8;
/// The largest accuracy radius a fix may claim: beyond this it is no position at all.
pub const MAX_ACCURACY_M: f64 = 100_000.0;
/// The largest count a device may report of its queue: beyond what a JavaScript number
/// holds exactly, and so beyond what any tablet holds.
pub const MAX_QUEUE_COUNT: u64 = (1 << 53) - 1;

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub problem: Message,
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
    /// The problems as one message of `code` (whose sentence names `{problems}`), each
    /// field's problem with it.
    #[must_use]
    pub fn as_message(&self, code: &str) -> Message {
        self.0
            .iter()
            .fold(Message::new(code).with("problems", self), |m, e| {
                m.with_field(&e.field, e.problem.clone())
            })
    }

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
    fn push(&mut self, field: impl Into<String>, problem: Message) {
        self.0.push(FieldError {
            field: field.into(),
            problem,
        });
    }

    fn not_future(&mut self, field: impl Into<String>, t: DateTime<Utc>, now: DateTime<Utc>) {
        if t > now + MAX_CLOCK_SKEW {
            self.push(
                field,
                msg!(VALID_FUTURE, at = t.to_rfc3339(), now = now.to_rfc3339()),
            );
        }
    }

    fn not_ancient(&mut self, field: impl Into<String>, t: DateTime<Utc>, now: DateTime<Utc>) {
        if t < now - MAX_AGE {
            self.push(field, msg!(VALID_ANCIENT, at = t.to_rfc3339()));
        }
    }

    /// A text field: at most `max` characters, and no control character.
    fn at_most(&mut self, field: impl Into<String>, text: &str, max: usize) {
        let chars = text.chars().count();
        if chars > max {
            self.push(field, msg!(VALID_TOO_LONG, chars = chars, max = max));
        } else if let Some(c) = control_character(text) {
            self.push(field, msg!(VALID_CONTROL, char = char_name(c)));
        }
    }

    fn done(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

/// What is wrong with a whole push, before any mutation in it is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefusal {
    /// More mutations than one push may carry.
    #[error(
        "a push carries at most {MAX_MUTATIONS_PER_PUSH} mutations, this one {0}; send the rest in the next push"
    )]
    TooMany(usize),
    /// A field of the push itself is out of bounds.
    #[error("{0}")]
    Invalid(ValidationErrors),
}

/// The longest public key or signature text (base64 of 32 and 64 bytes is 44 and 88).
pub const MAX_KEY_CHARS: usize = 100;

/// Checks the envelope of a push: how many mutations, the device's own account of itself,
/// and the sizes inside each mutation that no later rule looks at (a verification's note and
/// photos). A report's own rules are [`validate_report`]'s, applied per mutation.
pub fn validate_push(req: &PushRequest) -> Result<(), PushRefusal> {
    if req.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(PushRefusal::TooMany(req.mutations.len()));
    }
    let mut c = Collector::default();
    c.at_most("app_version", &req.app_version, MAX_LABEL_CHARS);
    if let Some(model) = &req.device_model {
        c.at_most("device_model", model, MAX_LABEL_CHARS);
    }
    for (field, n) in [
        ("queue.reports", req.queue.reports),
        ("queue.photos", req.queue.photos),
        ("queue.bytes", req.queue.bytes),
    ] {
        if n > MAX_QUEUE_COUNT {
            c.push(field, msg!(VALID_COUNT, n = n));
        }
    }
    if let Some(key) = &req.public_key {
        c.at_most("public_key", key, MAX_KEY_CHARS);
    }
    for (i, m) in req.mutations.iter().enumerate() {
        // A mutation is its device's alone: one carried in another device's push (a signed
        // entry copied off a lost tablet, say) is refused, signature or not.
        if m.device != req.device {
            c.push(
                format!("mutations[{i}].device"),
                msg!(
                    VALID_OTHER_DEVICE,
                    id = m.id,
                    made_on = m.device,
                    device = req.device
                ),
            );
        }
        if let Some(signature) = &m.signature {
            c.at_most(
                format!("mutations[{i}].signature"),
                signature,
                MAX_KEY_CHARS,
            );
        }
        if let MutationBody::CompleteTask { note, photos, .. } = &m.body {
            let at = |f: &str| format!("mutations[{i}].{f}");
            if let Some(note) = note {
                c.at_most(at("note"), note, MAX_NOTE_CHARS);
            }
            check_photo_list(&mut c, &at("photos"), photos);
        }
    }
    c.done().map_err(PushRefusal::Invalid)
}

/// The count and the sizes of a list of photo references (not their times, which need the
/// clock: see [`validate_report`]).
fn check_photo_list(c: &mut Collector, field: &str, photos: &[PhotoRef]) {
    if photos.len() > MAX_PHOTOS_PER_REPORT {
        c.push(
            field,
            msg!(
                VALID_TOO_MANY_PHOTOS,
                n = photos.len(),
                max = MAX_PHOTOS_PER_REPORT
            ),
        );
        return;
    }
    let mut seen = HashSet::new();
    for (i, p) in photos.iter().enumerate() {
        let at = |f: &str| format!("{field}[{i}].{f}");
        if !seen.insert(p.id) {
            c.push(at("id"), msg!(VALID_PHOTO_TWICE, photo = p.id));
        }
        if !is_hex(&p.sha256, 64) {
            c.push(at("sha256"), msg!(VALID_HEX, digits = 64));
        }
        if p.bytes == 0 {
            c.push(at("bytes"), msg!(VALID_PHOTO_EMPTY));
        } else if p.bytes > MAX_PHOTO_BYTES {
            c.push(
                at("bytes"),
                msg!(VALID_PHOTO_BYTES, bytes = p.bytes, max = MAX_PHOTO_BYTES),
            );
        }
        if p.width == 0 || p.height == 0 || p.width > MAX_PHOTO_SIDE || p.height > MAX_PHOTO_SIDE {
            c.push(
                at("width"),
                msg!(VALID_IMAGE_SIZE, width = p.width, height = p.height),
            );
        }
    }
}

/// The first control character in `text` that no text may hold: every C0 control but tab,
/// line feed and carriage return, DEL, and the C1 controls (U+0080–U+009F). PostgreSQL
/// cannot store U+0000 in a text column at all, and the others are never typed: they come
/// from broken encoders or from someone probing, and they would reach the console, the CSV
/// export and the case sheet.
pub fn control_character(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || ('\u{7f}'..='\u{9f}').contains(&c)
    })
}

/// A character as a refusal names it: `U+0000`.
pub fn char_name(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// A value as a refusal repeats it: quoted, and cut after 40 characters, so an answer (and
/// the record of it) stays small whatever was sent.
pub fn shown(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}… ({} characters)", value.chars().count())
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
            msg!(
                VALID_TABLE_MISMATCH,
                filed = shown(&report.code_table_version),
                table = codes.version()
            ),
        );
    } else if codes.get(report.kind, &report.category).is_none() {
        c.push(
            "category",
            msg!(
                VALID_UNKNOWN_CATEGORY,
                kind = report.kind.name_zh(),
                category = &report.category,
                table = codes.version()
            ),
        );
    }

    if let Some(component) = &report.component_id {
        if report.kind != Kind::Component {
            c.push("component_id", msg!(VALID_COMPONENT_ONLY));
        } else if component.category() != report.category.as_str() {
            c.push(
                "component_id",
                msg!(
                    VALID_COMPONENT_CATEGORY,
                    component = component,
                    its = component.category(),
                    category = &report.category
                ),
            );
        }
    }

    c.at_most(
        "code_table_version",
        &report.code_table_version,
        MAX_LABEL_CHARS,
    );
    c.at_most("description", &report.description, MAX_DESCRIPTION_CHARS);
    c.at_most("address", &report.address, MAX_ADDRESS_CHARS);

    check_location(&mut c, &report.location, now);
    if report.location_flags.len() > MAX_LOCATION_FLAGS {
        c.push(
            "location_flags",
            msg!(
                VALID_TOO_MANY_FLAGS,
                n = report.location_flags.len(),
                max = MAX_LOCATION_FLAGS
            ),
        );
    }
    c.not_future("observed_at", report.observed_at.to_utc(), now);

    check_photo_list(&mut c, "photos", &report.photos);
    if report.photos.len() <= MAX_PHOTOS_PER_REPORT {
        for (i, p) in report.photos.iter().enumerate() {
            if let Some(t) = p.taken_at {
                c.not_future(format!("photos[{i}].taken_at"), t.to_utc(), now);
            }
        }
    }
    if report.handled_on_spot
        && !report
            .photos
            .iter()
            .any(|p| p.stage == crate::PhotoStage::After)
    {
        c.push("handled_on_spot", msg!(VALID_HANDLED_NEEDS_AFTER));
    }

    if report.clips.len() > MAX_CLIPS_PER_REPORT {
        c.push(
            "clips",
            msg!(
                VALID_TOO_MANY_CLIPS,
                n = report.clips.len(),
                max = MAX_CLIPS_PER_REPORT
            ),
        );
    } else {
        for (i, clip) in report.clips.iter().enumerate() {
            check_clip(&mut c, &format!("clips[{i}]"), clip, now);
        }
    }

    c.done()
}

/// Checks that the times a new report carries are not from a device clock that was reset:
/// none lies more than [`MAX_AGE`] before `now`, the moment the centre receives it. Only at
/// submission: a report's times do not change afterwards, and a case may stay open long.
pub fn validate_times(report: &Report, now: DateTime<Utc>) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    c.not_ancient("observed_at", report.observed_at.to_utc(), now);
    c.not_ancient("location.fix_time", report.location.fix_time, now);
    for (i, p) in report.photos.iter().enumerate().take(MAX_PHOTOS_PER_REPORT) {
        if let Some(t) = p.taken_at {
            c.not_ancient(format!("photos[{i}].taken_at"), t.to_utc(), now);
        }
    }
    for (i, clip) in report.clips.iter().enumerate().take(MAX_CLIPS_PER_REPORT) {
        c.not_ancient(format!("clips[{i}].start"), clip.start.to_utc(), now);
    }
    c.done()
}

/// Checks the times an edit brings in (a new position's fix, added photos and clips) as
/// [`validate_times`] checks a new report's: none more than [`MAX_AGE`] before `now`.
pub fn validate_patch_times(
    patch: &crate::ReportPatch,
    now: DateTime<Utc>,
) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    if let Some(place) = &patch.place {
        c.not_ancient("place.location.fix_time", place.location.fix_time, now);
    }
    for (i, p) in patch
        .photos_added
        .iter()
        .enumerate()
        .take(MAX_PHOTOS_PER_REPORT)
    {
        if let Some(t) = p.taken_at {
            c.not_ancient(format!("photos_added[{i}].taken_at"), t.to_utc(), now);
        }
    }
    for (i, clip) in patch
        .clips_added
        .iter()
        .enumerate()
        .take(MAX_CLIPS_PER_REPORT)
    {
        c.not_ancient(format!("clips_added[{i}].start"), clip.start.to_utc(), now);
    }
    c.done()
}

/// A list of photo references on its own (a department's after-photos at 处置完成): their
/// count, IDs, hashes and sizes, each problem under `field[i]`; and all of them 处置后.
pub fn validate_after_photos(field: &str, photos: &[PhotoRef]) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    check_photo_list(&mut c, field, photos);
    for (i, p) in photos.iter().enumerate() {
        if p.stage != crate::PhotoStage::After {
            c.push(format!("{field}[{i}].stage"), msg!(VALID_AFTER_ONLY));
        }
    }
    c.done()
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
    c.done()
}

fn check_clip(c: &mut Collector, prefix: &str, clip: &ClipRef, now: DateTime<Utc>) {
    let at = |f: &str| format!("{prefix}.{f}");
    if !is_camera_serial(&clip.camera_serial) {
        c.push(
            at("camera_serial"),
            msg!(VALID_CAMERA_SERIAL, value = shown(&clip.camera_serial)),
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
            msg!(VALID_BADGE, value = shown(&clip.officer_badge)),
        );
    }
    if clip.end <= clip.start {
        c.push(
            at("end"),
            msg!(
                VALID_CLIP_ORDER,
                end = clip.end.to_rfc3339(),
                start = clip.start.to_rfc3339()
            ),
        );
    } else if clip.end - clip.start > Duration::hours(MAX_CLIP_HOURS) {
        c.push(at("end"), msg!(VALID_CLIP_LONG, hours = MAX_CLIP_HOURS));
    }
    c.not_future(at("start"), clip.start.to_utc(), now);
    if let Some(md5) = &clip.md5
        && !is_hex(md5, 32)
    {
        c.push(at("md5"), msg!(VALID_HEX, digits = 32));
    }
    if let Some(sha) = &clip.sha256
        && !is_hex(sha, 64)
    {
        c.push(at("sha256"), msg!(VALID_HEX, digits = 64));
    }
    if let Some(name) = &clip.file_name
        && (name.is_empty() || name.contains(['/', '\\']))
    {
        c.push(at("file_name"), msg!(VALID_FILE_NAME));
    }
    if let Some(name) = &clip.file_name {
        c.at_most(at("file_name"), name, MAX_LABEL_CHARS);
    }
}

/// Checks a position alone (what a map drag or a GPS callback produces), at time `now`.
pub fn validate_location(loc: &Location, now: DateTime<Utc>) -> Result<(), ValidationErrors> {
    let mut c = Collector::default();
    check_location(&mut c, loc, now);
    c.done()
}

fn check_location(c: &mut Collector, loc: &Location, now: DateTime<Utc>) {
    if !loc.lon.is_finite() || !(-180.0..=180.0).contains(&loc.lon) {
        c.push("location.lon", msg!(VALID_LON, value = loc.lon));
    }
    if !loc.lat.is_finite() || !(-90.0..=90.0).contains(&loc.lat) {
        c.push("location.lat", msg!(VALID_LAT, value = loc.lat));
    }
    if loc.lon == 0.0 && loc.lat == 0.0 {
        c.push("location", msg!(VALID_NO_FIX));
    }
    if !loc.accuracy_m.is_finite() || !(0.0..=MAX_ACCURACY_M).contains(&loc.accuracy_m) {
        c.push(
            "location.accuracy_m",
            msg!(VALID_ACCURACY, value = loc.accuracy_m),
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
        assert_eq!(
            e.0[0].problem.english(),
            "部件 code 0199 is not in code table T1"
        );
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
                .english()
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
        assert!(e.0[0].problem.english().contains("in the future"));
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

    #[test]
    fn control_characters_are_refused_where_they_sit_and_line_breaks_are_not() {
        let mut r = good();
        r.description = "井盖缺失\r\n\t东侧".into();
        validate_report(&r, &table(), now()).expect("line breaks and tabs are text");
        r.description = "井盖\u{0}缺失".into();
        r.address = "东风路\u{7f}".into();
        let e = errors(&r);
        assert!(
            e.to_string()
                .contains("description: holds the control character U+0000"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("address: holds the control character U+007F"),
            "{e}"
        );
        assert_eq!(control_character("\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(control_character("零宽\u{200b}空格"), None);
        assert_eq!(control_character("next\u{85}line"), Some('\u{85}'));
        assert_eq!(control_character("中文标点，。；"), None);
    }

    #[test]
    fn echoed_values_are_cut_and_an_accuracy_is_a_distance_on_earth() {
        let mut r = good();
        r.clips[0].camera_serial = "序".repeat(100_000);
        r.location.accuracy_m = 1e300;
        let e = errors(&r).to_string();
        assert!(e.len() < 1000, "{} bytes", e.len());
        assert!(
            e.contains("(100000 characters) is not a 7-character camera serial"),
            "{e}"
        );
        assert!(e.contains("location.accuracy_m"), "{e}");
    }

    #[test]
    fn an_edit_brings_no_time_from_a_reset_clock() {
        let mut patch = crate::ReportPatch::default();
        validate_patch_times(&patch, now()).expect("nothing to check");
        let mut place = crate::edit::Place {
            location: good().location,
            cell: None,
            location_flags: vec![],
            address: String::new(),
        };
        place.location.fix_time = "0001-01-01T00:00:00Z".parse().expect("time");
        patch.place = Some(place);
        let mut clip = good().clips[0].clone();
        clip.start = "1970-01-01T08:00:00+08:00".parse().expect("time");
        patch.clips_added = vec![clip];
        let e = validate_patch_times(&patch, now()).expect_err("a reset clock");
        assert!(e.mentions("place.location.fix_time"), "{e}");
        assert!(e.mentions("clips_added[0].start"), "{e}");
    }

    #[test]
    fn times_from_a_reset_clock_are_refused() {
        let mut r = good();
        r.observed_at = "0001-01-01T00:00:00+08:00".parse().expect("time");
        r.photos[0].taken_at = Some("1970-01-01T08:00:00+08:00".parse().expect("time"));
        validate_report(&r, &table(), now()).expect("the rules of the table hold");
        let e = validate_times(&r, now()).expect_err("a reset clock");
        assert!(e.mentions("observed_at"), "{e}");
        assert!(e.mentions("photos[0].taken_at"), "{e}");
        assert!(!e.mentions("clips"), "{e}");
        assert!(e.to_string().contains("more than a year ago"), "{e}");
        // Weeks offline is normal.
        let mut r = good();
        r.observed_at = (now() - Duration::days(60)).fixed_offset();
        r.location.fix_time = now() - Duration::days(60);
        validate_times(&r, now()).expect("two months old is plausible");
    }

    #[test]
    fn counts_and_sizes_are_bounded() {
        let mut r = good();
        let photo = r.photos[0].clone();
        r.photos = (0..9000)
            .map(|_| PhotoRef {
                id: PhotoId::new(),
                ..photo.clone()
            })
            .collect();
        let e = errors(&r);
        assert_eq!(
            e.to_string(),
            "photos: 9000 photos; at most 20",
            "one line, not 9000"
        );

        let mut r = good();
        r.photos[0].bytes = 1_000_000_000_000;
        r.photos[0].width = 50_000;
        let e = errors(&r);
        assert!(e.mentions("photos[0].bytes"), "{e}");
        assert!(e.mentions("photos[0].width"), "{e}");

        let mut r = good();
        let clip = r.clips[0].clone();
        r.clips = vec![clip; MAX_CLIPS_PER_REPORT + 1];
        assert!(errors(&r).to_string().starts_with("clips: 21 clips"));

        let mut r = good();
        r.code_table_version = "v".repeat(100_000);
        r.clips[0].file_name = Some("a".repeat(1000));
        let e = errors(&r);
        assert!(e.mentions("clips[0].file_name"), "{e}");
        assert!(
            e.to_string()
                .contains("code_table_version: 100000 characters; at most 128"),
            "{e}"
        );
    }

    /// A push of `mutations`, all from its device.
    fn push(mut mutations: Vec<crate::Mutation>) -> PushRequest {
        let device = DeviceId::new();
        for m in &mut mutations {
            m.device = device;
        }
        PushRequest {
            device,
            app_version: "1.0".into(),
            device_model: None,
            queue: crate::QueueStats::default(),
            mutations,
            public_key: None,
        }
    }

    fn submit(n: u64) -> crate::Mutation {
        crate::Mutation {
            id: n,
            device: DeviceId::new(),
            created_at: now(),
            body: MutationBody::SubmitReport {
                report: Box::new(good()),
            },
            signature: None,
        }
    }

    #[test]
    fn a_push_carries_only_its_own_devices_mutations() {
        let mut p = push((1..=3).map(submit).collect());
        validate_push(&p).expect("all its own");
        let elsewhere = DeviceId::new();
        p.mutations[1].device = elsewhere;
        let Err(PushRefusal::Invalid(e)) = validate_push(&p) else {
            panic!("another device's mutation should be refused")
        };
        assert!(e.mentions("mutations[1].device"), "{e}");
        assert!(e.to_string().contains(&elsewhere.to_string()), "{e}");
    }

    #[test]
    fn a_push_is_bounded_before_its_mutations_are_read() {
        validate_push(&push((1..=100).map(submit).collect())).expect("100 is the batch size");
        assert_eq!(
            validate_push(&push((1..=101).map(submit).collect())),
            Err(PushRefusal::TooMany(101))
        );

        let mut p = push(vec![]);
        p.app_version = "x".repeat(2_000_000);
        p.device_model = Some("x".repeat(129));
        p.queue.bytes = u64::MAX;
        let Err(PushRefusal::Invalid(e)) = validate_push(&p) else {
            panic!("should be refused")
        };
        assert!(
            e.mentions("app_version") && e.mentions("device_model") && e.mentions("queue.bytes"),
            "{e}"
        );

        let mut task = submit(1);
        task.body = MutationBody::CompleteTask {
            task: crate::TaskId::new(),
            report: ReportId::new(),
            passed: true,
            note: Some("好".repeat(MAX_NOTE_CHARS + 1)),
            photos: vec![good().photos[0].clone(); 2],
        };
        let Err(PushRefusal::Invalid(e)) = validate_push(&push(vec![task])) else {
            panic!("should be refused")
        };
        assert!(e.mentions("mutations[0].note"), "{e}");
        assert!(
            e.mentions("mutations[0].photos[1].id"),
            "the same photo twice: {e}"
        );
    }
}
