//! A report for unit tests in this and other crates (feature `testing`): valid against the
//! fixture code table (`fixtures/codes.json`), an event 0507 乱堆物堆料 observed an hour
//! before `at`, with one photo.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    Crs, DeviceId, Kind, Location, LocationProvider, PhotoId, PhotoRef, PhotoStage, Report,
    ReportId, Urgency, UserId,
};

/// The fixture code table's version.
pub const FIXTURE_TABLE: &str = "CJT214-2024.1";

/// A valid report at (`lon`, `lat`), observed an hour before `at`.
#[must_use]
pub fn report_at(lon: f64, lat: f64, at: DateTime<Utc>) -> Report {
    let seen = at - TimeDelta::hours(1);
    Report {
        id: ReportId::new(),
        kind: Kind::Event,
        category: "0507".parse().unwrap_or_else(|e| unreachable!("{e}")),
        code_table_version: FIXTURE_TABLE.into(),
        component_id: None,
        description: "路边堆放建筑垃圾".into(),
        address: "建设路12号".into(),
        location: Location {
            lon,
            lat,
            crs: Crs::Wgs84,
            accuracy_m: 5.0,
            fix_time: seen,
            provider: LocationProvider::Gps,
        },
        cell: None,
        location_flags: vec![],
        urgency: Urgency::Normal,
        observed_at: seen.fixed_offset(),
        reporter: UserId::new(),
        device: DeviceId::new(),
        photos: vec![photo()],
        clips: vec![],
        handled_on_spot: false,
    }
}

/// A valid report in 江门 (Jiangmen), observed an hour ago.
#[must_use]
pub fn report() -> Report {
    report_at(113.0631, 22.5983, Utc::now())
}

/// A photo reference with made-up bytes.
#[must_use]
pub fn photo() -> PhotoRef {
    PhotoRef {
        id: PhotoId::new(),
        sha256: "ab".repeat(32),
        bytes: 10,
        width: 4,
        height: 3,
        taken_at: None,
        stage: PhotoStage::Before,
    }
}
