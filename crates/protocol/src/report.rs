//! The problem report: what an inspector saw, where, when, with which evidence.
//!
//! A report is born on the device as a draft and becomes a [`Report`] when the inspector
//! submits it; from then on it is immutable on the device except through versioned edits.
//! Human-facing times (when the problem was observed, when a photo or clip was taken) keep
//! the UTC offset they were recorded with, because people read them as local time; machine
//! times (a GPS fix) are UTC.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::{CategoryCode, DeviceId, Error, Kind, PhotoId, ReportId, UserId};

macro_rules! digit_code {
    ($(#[$doc:meta])* $name:ident, $what:literal, $digits:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(String);

        impl $name {
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                if s.len() == $digits && s.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(Self(s))
                } else {
                    Err(Error::BadCode { what: $what, value: s, digits: stringify!($digits) })
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

digit_code!(
    /// A grid cell code (单元网格编码): 6-digit administrative division, 3-digit street,
    /// 3-digit community, 3-digit sequence.
    CellCode,
    "cell code",
    15
);
digit_code!(
    /// A component's own ID (部件编码): 6-digit administrative division, 2-digit 大类,
    /// 2-digit 小类, 6-digit sequence.
    ComponentId,
    "component ID",
    16
);

impl CellCode {
    /// The administrative division (GB/T 2260), e.g. 440703 for 江门市蓬江区.
    #[must_use]
    pub fn division(&self) -> &str {
        &self.0[..6]
    }
}

impl ComponentId {
    /// The category code embedded in the ID (digits 7-10).
    #[must_use]
    pub fn category(&self) -> &str {
        &self.0[6..10]
    }
}

/// The coordinate reference system a position is expressed in. Devices store WGS-84 (or
/// CGCS2000, equal within ~10 m for this work) and convert only for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Crs {
    #[serde(rename = "WGS84")]
    Wgs84,
    #[serde(rename = "CGCS2000")]
    Cgcs2000,
}

/// Where a position came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LocationProvider {
    /// The device's satellite fix.
    Gps,
    /// Cell towers or Wi-Fi.
    Network,
    /// Read from a photo's EXIF GPS block.
    PhotoExif,
    /// Placed or dragged by the inspector on the map.
    Manual,
}

/// A position with the facts needed to judge it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    pub crs: Crs,
    /// Horizontal accuracy (one standard deviation) in metres, as the provider states it.
    pub accuracy_m: f64,
    pub fix_time: DateTime<Utc>,
    pub provider: LocationProvider,
}

/// How urgent the inspector judges the problem (紧急程度).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
}

/// Whether a photo shows the problem (处置前) or the fix (处置后).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PhotoStage {
    #[default]
    Before,
    After,
}

/// A photo as the record knows it: the upload derivative's identity and shape. The bytes
/// travel separately and must hash to `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoRef {
    pub id: PhotoId,
    /// Lower-case hex SHA-256 of the upload derivative.
    pub sha256: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub stage: PhotoStage,
}

/// A reference to a body-worn camera (执法记录仪) clip. Video is far too large to upload from
/// the field; it is copied at a docking station later and matched by these facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClipRef {
    /// The camera's 7-character product serial.
    pub camera_serial: String,
    /// The officer's 6-character badge number (警号).
    pub officer_badge: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub file_name: Option<String>,
    /// MD5 as docking stations commonly record it, lower-case hex.
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

/// Something about a report's position the team leader should see; never a reason to refuse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LocationFlag {
    /// The point lies in no known cell; the nearest cell and its distance, if any.
    OutsideGrid {
        nearest_cell: Option<CellCode>,
        distance_m: Option<f64>,
    },
    /// The fix is less accurate than the configured limit.
    PoorAccuracy { accuracy_m: f64, limit_m: f64 },
    /// The cell is not one of the reporter's own.
    OutsideMyCells { cell: CellCode },
}

/// A submitted problem report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    pub id: ReportId,
    pub kind: Kind,
    pub category: CategoryCode,
    /// The version of the code table `category` was chosen from.
    pub code_table_version: String,
    /// For 部件 reports about one identified component (e.g. from its QR code).
    pub component_id: Option<ComponentId>,
    pub description: String,
    pub address: String,
    pub location: Location,
    /// The cell the location fell in at capture time; absent when it fell in none.
    pub cell: Option<CellCode>,
    pub location_flags: Vec<LocationFlag>,
    pub urgency: Urgency,
    pub observed_at: DateTime<FixedOffset>,
    pub reporter: UserId,
    pub device: DeviceId,
    pub photos: Vec<PhotoRef>,
    pub clips: Vec<ClipRef>,
    /// The inspector fixed it on the spot (自处理).
    pub handled_on_spot: bool,
}

impl Report {
    /// Whether the report jumps the sync queue: urgent ones and 突发事件 (event major 04).
    #[must_use]
    pub fn is_priority(&self) -> bool {
        self.urgency == Urgency::Urgent
            || (self.kind == Kind::Event && self.category.major() == "04")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_their_width() {
        let c: CellCode = "440703001002003".parse().expect("15 digits");
        assert_eq!(c.division(), "440703");
        let err = "44070300100200".parse::<CellCode>().expect_err("14 digits");
        assert_eq!(
            err.to_string(),
            "cell code \"44070300100200\" must be exactly 15 digits"
        );
        let id: ComponentId = "3205820102048188".parse().expect("16 digits");
        assert_eq!(id.category(), "0102");
        assert!("32058201020481x8".parse::<ComponentId>().is_err());
    }

    #[test]
    fn crs_and_flags_have_stable_wire_names() {
        assert_eq!(
            serde_json::to_string(&Crs::Wgs84).expect("json"),
            "\"WGS84\""
        );
        let f = LocationFlag::PoorAccuracy {
            accuracy_m: 45.0,
            limit_m: 30.0,
        };
        assert_eq!(
            serde_json::to_string(&f).expect("json"),
            r#"{"flag":"poor_accuracy","accuracy_m":45.0,"limit_m":30.0}"#
        );
    }
}
