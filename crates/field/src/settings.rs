//! Setting the device up and the inspector's own settings.
//!
//! **Enrollment.** A team leader enrolls a tablet at the centre (`admin enroll-device`,
//! naming the device ID the app shows) and hands the inspector a device token. The app
//! asks the centre once, with signal, who that token belongs to (`GET /v1/me`); the answer
//! signs the inspector in (name, cells, badge, camera) and keeps the server and token for
//! sync. From then on the device works without the network. Nothing changes on the device
//! unless the centre recognised the token for this very device.
//!
//! **Settings** are the device's, not the centre's: the size photos are reduced to before
//! upload (smaller sends faster on a weak uplink; larger keeps more detail), and the
//! body-worn camera last used, so the next clip reference starts with it filled in.

use gridwalk_protocol::{FieldError, Profile, ValidationErrors, is_camera_serial};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Inspector, sign_in};
use crate::error::{Error, Result};
use crate::photo::PhotoOptions;
use crate::sync::{SyncClient, SyncSettings};

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
}

/// Changes to the settings; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct SettingsPatch {
    pub photo_max_edge: Option<u32>,
    /// `Some(None)` forgets the camera.
    pub camera_serial: Option<Option<String>>,
}

/// What is wrong with a settings change, if anything (a pure check).
pub fn check_settings(patch: &SettingsPatch) -> std::result::Result<(), ValidationErrors> {
    let mut errors = Vec::new();
    if let Some(edge) = patch.photo_max_edge
        && !PHOTO_EDGE_RANGE.contains(&edge)
    {
        errors.push(FieldError {
            field: "photo_max_edge".into(),
            problem: format!(
                "{edge} pixels is outside {}–{}",
                PHOTO_EDGE_RANGE.start(),
                PHOTO_EDGE_RANGE.end()
            ),
        });
    }
    if let Some(Some(serial)) = &patch.camera_serial
        && !is_camera_serial(serial)
    {
        errors.push(FieldError {
            field: "camera_serial".into(),
            problem: format!("{serial:?} is not a 7-character camera serial"),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

/// The server address and token as they will be stored, or why they cannot be.
pub fn check_server(server_url: &str, token: &str) -> Result<SyncSettings> {
    let url = server_url.trim().trim_end_matches('/');
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err(Error::Refused(format!(
            "{server_url:?} is not a server address (it should start with https://)"
        )));
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(Error::Refused(format!(
            "{server_url:?} is not a server address (it should start with https://)"
        )));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::Refused("the device token is empty".into()));
    }
    Ok(SyncSettings {
        server_url: url.to_owned(),
        token: token.to_owned(),
    })
}

impl Engine {
    /// The device's settings.
    pub fn settings(&self) -> Result<DeviceSettings> {
        let (edge, camera_serial): (Option<u32>, Option<String>) = self.db().query_row(
            "SELECT photo_max_edge, camera_serial FROM device",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(DeviceSettings {
            photo_max_edge: edge.unwrap_or(self.config.photo.max_edge),
            camera_serial,
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

    /// Sets the device up against a sync server: asks the centre who `token` belongs to,
    /// then keeps the server and token and signs that inspector in, in one transaction.
    /// A wrong address, an unknown token, a token issued for another device or no
    /// connection change nothing.
    pub async fn enroll(&self, server_url: &str, token: &str) -> Result<Inspector> {
        let settings = check_server(server_url, token)?;
        let profile = SyncClient::new(&settings)?.me().await?;
        self.adopt_profile(&settings, &profile)
    }

    /// Keeps what [`Engine::enroll`] learnt from the centre.
    pub fn adopt_profile(&self, settings: &SyncSettings, profile: &Profile) -> Result<Inspector> {
        if profile.device != self.device_id() {
            return Err(Error::Refused(format!(
                "this token was issued for device {}, but this device is {}; ask your team leader to enroll {}",
                profile.device,
                self.device_id(),
                self.device_id()
            )));
        }
        let inspector = Inspector {
            id: profile.user,
            cells: profile.cells.clone(),
            login: profile.login.clone(),
            name: profile.name.clone(),
            team: profile.team.clone(),
            badge: profile.badge.clone(),
        };
        let mut conn = self.db();
        let tx = conn.transaction()?;
        sign_in(&tx, &inspector)?;
        tx.execute(
            "UPDATE sync_state SET server_url = ?1, token = ?2",
            params![settings.server_url, settings.token],
        )?;
        if let Some(serial) = profile
            .camera_serial
            .as_deref()
            .filter(|s| is_camera_serial(s))
        {
            tx.execute(
                "UPDATE device SET camera_serial = COALESCE(camera_serial, ?1)",
                [serial],
            )?;
        }
        tx.commit()?;
        Ok(inspector)
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
        })
        .expect_err("both wrong");
        assert!(
            e.mentions("photo_max_edge") && e.mentions("camera_serial"),
            "{e}"
        );
        assert!(
            check_settings(&SettingsPatch {
                photo_max_edge: Some(1600),
                camera_serial: Some(None),
            })
            .is_ok()
        );
    }

    #[test]
    fn server_addresses_are_checked() {
        let ok = check_server(" https://centre.example/ ", " abc ").expect("fine");
        assert_eq!(ok.server_url, "https://centre.example");
        assert_eq!(ok.token, "abc");
        for bad in ["centre.example", "https://", "ftp://x", "https://a b"] {
            assert!(check_server(bad, "t").is_err(), "{bad}");
        }
        assert!(check_server("https://centre.example", "  ").is_err());
    }
}
