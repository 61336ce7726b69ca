//! Setting the device up against the centre: who the inspector is, and where to sync.
//!
//! A team leader enrolls a tablet at the centre (`admin enroll-device`, naming the device
//! ID the app shows) and hands the inspector a device token. The app asks the centre once,
//! with signal, who that token belongs to (`GET /v1/me`); the answer signs the inspector in
//! (name, cells, badge, camera) and keeps the server and token for sync. From then on the
//! device works without the network. Nothing changes on the device unless the centre
//! recognised the token for this very device.
//!
//! This sits above [`crate::sync`] (it asks the centre through its client) and beside
//! [`crate::settings`] (the inspector's own settings, which need no centre).

use gridwalk_protocol::message::msg;
use gridwalk_protocol::{Profile, is_camera_serial};
use rusqlite::{Connection, params};

use crate::engine::{Engine, Inspector, sign_in};
use crate::error::{Error, Result};
use crate::secrets::name;
use crate::sync::{SyncClient, SyncSettings};

impl Engine {
    /// Sets the device up against a sync server: asks the centre who `token` belongs to,
    /// then keeps the server and token and signs that inspector in, in one transaction.
    /// A wrong address, an unknown token, a token issued for another device or no
    /// connection change nothing.
    ///
    /// The device's signing key is made now if it has none, and its public half is
    /// registered with the token (the centre binds one key per enrollment).
    pub async fn enroll(&self, server_url: &str, token: &str) -> Result<Inspector> {
        let settings = SyncSettings::new(server_url, token, &self.config.transport)?;
        let client = SyncClient::new(&settings)?;
        let profile = client.me().await?;
        let inspector = self.adopt_profile(&settings, &profile)?;
        client.register_key(&self.public_key()?).await?;
        Ok(inspector)
    }

    /// Keeps what [`Engine::enroll`] learnt from the centre.
    pub fn adopt_profile(&self, settings: &SyncSettings, profile: &Profile) -> Result<Inspector> {
        if profile.device != self.device_id() {
            return Err(Error::Refused(msg!(
                DEVICE_TOKEN_OTHER_DEVICE,
                token_device = profile.device,
                device = self.device_id()
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
        self.signing_key()?;
        self.secrets.set(name::TOKEN, &settings.token)?;
        let mut conn = self.db();
        let tx = conn.transaction()?;
        sign_in(&tx, &inspector)?;
        keep_server(&tx, settings)?;
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

    /// Sets the server and this device's token without asking the centre (the support
    /// CLI; the app uses [`Engine::enroll`]).
    /// The token goes to the secret store, the address to the database.
    pub fn configure_sync(&self, server_url: &str, token: &str) -> Result<()> {
        let settings = SyncSettings::new(server_url, token, &self.config.transport)?;
        self.signing_key()?;
        self.secrets.set(name::TOKEN, &settings.token)?;
        keep_server(&self.db(), &settings)
    }

    /// The configured server, if any (its address from the database, the token from the
    /// secret store), with how this installation may reach it.
    pub fn sync_settings(&self) -> Result<Option<SyncSettings>> {
        let url: Option<String> =
            self.db()
                .query_row("SELECT server_url FROM sync_state", [], |r| r.get(0))?;
        let Some(server_url) = url else {
            return Ok(None);
        };
        Ok(self.secrets.get(name::TOKEN)?.map(|token| SyncSettings {
            server_url,
            token,
            transport: self.config.transport.clone(),
        }))
    }
}

fn keep_server(conn: &Connection, settings: &SyncSettings) -> Result<()> {
    conn.execute(
        "UPDATE sync_state SET server_url = ?1",
        params![settings.server_url],
    )?;
    Ok(())
}
