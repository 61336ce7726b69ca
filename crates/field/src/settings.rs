//! The inspector's own settings on this device.
//!
//! They are the device's, not the centre's (setting the device up against the centre is
//! [`crate::enroll`]): the size photos are reduced to before upload (smaller sends faster
//! on a weak uplink; larger keeps more detail), and the body-worn camera last used, so the
//! next clip reference starts with it filled in, and how many days photos the centre holds
//! stay on the device ([`crate::storage`]). The photo pipeline reads the first, so this
//! module needs nothing but the local database.

use gridwalk_protocol::{FieldError, ValidationErrors, is_camera_serial};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::Result;
use crate::photo::PhotoOptions;
use crate::storage::KEEP_DAYS_RANGE;

/// The smallest and largest long edge an inspector may choose for photos, in pixels.
pub const PHOTO_EDGE_RANGE: std::ops::RangeInclusive<u32> = 800..=4096;

/// The device's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceSettings {
    /// Long edge of the photos sent to the centre, in pixels.
    pub photo_max_edge: u32,
    /// The body-worn camera last used (or issued), for the next clip reference.
    pub camera_serial: Option<String>,
    /// Days the files of photos the centre holds stay on the device.
    pub keep_days: u32,
}

/// Changes to the settings; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct SettingsPatch {
    pub photo_max_edge: Option<u32>,
    /// `Some(None)` forgets the camera.
    pub camera_serial: Option<Option<String>>,
    pub keep_days: Option<u32>,
}

/// What is wrong with a settings change, if anything (a pure check).
pub fn check_settings(patch: &SettingsPatch) -> std::result::Result<(), ValidationErrors> {
    let mut errors = Vec::new();
    if let Some(edge) = patch.photo_max_edge
        && !PHOTO_EDGE_RANGE.contains(&edge)
    {
        errors.push(FieldError {
            field: "photo_max_edge".into(),
            problem: gridwalk_protocol::message::msg!(
                VALID_PHOTO_EDGE,
                pixels = edge,
                min = PHOTO_EDGE_RANGE.start(),
                max = PHOTO_EDGE_RANGE.end()
            ),
        });
    }
    if let Some(Some(serial)) = &patch.camera_serial
        && !is_camera_serial(serial)
    {
        errors.push(FieldError {
            field: "camera_serial".into(),
            problem: gridwalk_protocol::message::msg!(
                VALID_CAMERA_SERIAL,
                value = format!("{serial:?}")
            ),
        });
    }
    if let Some(days) = patch.keep_days
        && !KEEP_DAYS_RANGE.contains(&days)
    {
        errors.push(FieldError {
            field: "keep_days".into(),
            problem: gridwalk_protocol::message::msg!(
                VALID_KEEP_DAYS,
                days = days,
                min = KEEP_DAYS_RANGE.start(),
                max = KEEP_DAYS_RANGE.end()
            ),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

impl Engine {
    /// The device's settings.
    pub fn settings(&self) -> Result<DeviceSettings> {
        let (edge, camera_serial, keep_days): (Option<u32>, Option<String>, Option<u32>) =
            self.db().query_row(
                "SELECT photo_max_edge, camera_serial, keep_days FROM device",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
        Ok(DeviceSettings {
            photo_max_edge: edge.unwrap_or(self.config.photo.max_edge),
            camera_serial,
            keep_days: keep_days.unwrap_or(self.config.storage.keep_days),
        })
    }

    /// Changes the settings; a bad value changes nothing.
    pub fn update_settings(&self, patch: &SettingsPatch) -> Result<DeviceSettings> {
        check_settings(patch)?;
        let mut conn = self.db();
        let tx = conn.transaction()?;
        if let Some(edge) = patch.photo_max_edge {
            tx.execute("UPDATE device SET photo_max_edge = ?1", [edge])?;
        }
        if let Some(serial) = &patch.camera_serial {
            tx.execute("UPDATE device SET camera_serial = ?1", [serial])?;
        }
        if let Some(days) = patch.keep_days {
            tx.execute("UPDATE device SET keep_days = ?1", [days])?;
        }
        tx.commit()?;
        drop(conn);
        self.settings()
    }

    /// The photo pipeline's options with the inspector's chosen size.
    pub(crate) fn photo_options(&self) -> Result<PhotoOptions> {
        Ok(PhotoOptions {
            max_edge: self.settings()?.photo_max_edge,
            ..self.config.photo
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_named() {
        let e = check_settings(&SettingsPatch {
            photo_max_edge: Some(100),
            camera_serial: Some(Some("JMC".into())),
            keep_days: Some(0),
        })
        .expect_err("all wrong");
        assert!(
            e.mentions("photo_max_edge") && e.mentions("camera_serial") && e.mentions("keep_days"),
            "{e}"
        );
        assert!(
            check_settings(&SettingsPatch {
                photo_max_edge: Some(1600),
                camera_serial: Some(None),
                keep_days: Some(7),
            })
            .is_ok()
        );
    }
}
