//! Setting the device up against the centre: who the inspector is, and where to sync.
//!
//! A team leader enrolls a tablet at the centre (`admin enroll-device`, naming the device
//! ID the app shows) and hands the inspector a device token. The app asks the centre once,
//! with signal, who that token belongs to (`GET /v1/me`); the answer signs the inspector in
//! (name, cells, badge, camera) and keeps the server and token for sync. From then on the
//! device works without the network. Nothing changes on the device unless the centre
//! recognised the token for this very device.
//!
//! Signing out forgets who is signed in, their camera and the device token (the server's
//! address stays, to sign in again), and deletes nothing: reports, photos, drafts and tasks
//! stay on the device. It is refused while the signed-in inspector's work has not reached
//! the centre ([`Error::Unsent`]), as is signing someone else in: without the token that
//! work could no longer be sent, and under another inspector's token the centre would
//! refuse it.
//!
//! A tablet can also enroll itself with a one-time code the console shows as a QR code
//! ([`Engine::enroll_with_picture`], [`Engine::enroll_with_code`]): the centre binds the
//! device's key and answers its token in one call (`POST /v1/enroll`), so no token is
//! ever typed or handed over.
//!
//! This sits above [`crate::sync`] (it asks the centre through its client) and beside
//! [`crate::settings`] (the inspector's own settings, which need no centre).

use gridwalk_protocol::enrollment;
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{Profile, is_camera_serial};
use rusqlite::{Connection, TransactionBehavior, params};

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

    /// Sets the device up with a one-time enrollment code (scanned from the console's QR
    /// code, or typed): the centre enrolls this device for the code's inspector with its
    /// public key bound and answers a token, which is kept as [`Engine::enroll`] keeps one.
    /// A code that is not one, a wrong address, a refused code or no connection change
    /// nothing. Refused with [`Error::Unsent`] before the code is spent while the
    /// signed-in inspector's work has not reached the centre (the code's inspector is known
    /// only once it is spent, so this holds even when it is the same person).
    pub async fn enroll_with_code(&self, server_url: &str, code: &str) -> Result<Inspector> {
        let code = enrollment::normalise_code(code)
            .ok_or_else(|| Error::Refused(msg!(ENROLL_CODE_MALFORMED)))?;
        // The client needs a token to be made; this one is never sent (`redeem_code`).
        let client = SyncClient::new(&SyncSettings::new(
            server_url,
            &code,
            &self.config.transport,
        )?)?;
        {
            let conn = self.db();
            if crate::engine::inspector(&conn)?.is_some() {
                refuse_if_unsent(&conn)?;
            }
        }
        let enrolled = client
            .redeem_code(&enrollment::EnrollRequest {
                code,
                device: self.device_id(),
                public_key: self.public_key()?,
            })
            .await?;
        let settings = SyncSettings::new(server_url, &enrolled.token, &self.config.transport)?;
        self.adopt_profile(&settings, &enrolled.profile)
    }

    /// Reads the enrollment QR code in a camera picture (a JPEG) and enrolls with it
    /// ([`Engine::enroll_with_code`]); the picture is not kept.
    pub async fn enroll_with_picture(&self, jpeg: &[u8]) -> Result<Inspector> {
        let (server, code) = crate::qr::read_enrollment(jpeg)?;
        self.enroll_with_code(&server, &code).await
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
        let mut conn = self.db();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = crate::engine::inspector(&tx)?.map(|i| i.id);
        let someone_else = before.is_some_and(|id| id != inspector.id);
        if someone_else {
            refuse_if_unsent(&tx)?;
        }
        self.secrets.set(name::TOKEN, &settings.token)?;
        sign_in(&tx, &inspector)?;
        keep_server(&tx, settings)?;
        // The camera the centre issued them fills the setting; the same inspector signing
        // in again keeps one they set by hand, someone else's is replaced.
        let issued = profile
            .camera_serial
            .as_deref()
            .filter(|s| is_camera_serial(s));
        if someone_else {
            tx.execute("UPDATE device SET camera_serial = ?1", [issued])?;
        } else if let Some(serial) = issued {
            tx.execute(
                "UPDATE device SET camera_serial = COALESCE(camera_serial, ?1)",
                [serial],
            )?;
        }
        tx.commit()?;
        Ok(inspector)
    }

    /// Signs the inspector out: forgets who they are, their camera and the device token,
    /// and keeps everything else (reports, photos, drafts, tasks, the server's address).
    /// Refused with [`Error::Unsent`], changing nothing, while any of their reports,
    /// changes, verifications or photos has not reached the centre. Signing out when
    /// nobody is signed in does nothing.
    pub fn sign_out(&self) -> Result<()> {
        let mut conn = self.db();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        refuse_if_unsent(&tx)?;
        tx.execute(
            "UPDATE device SET user_id = NULL, user_cells = '[]', user_login = '', user_name = '',
                               user_team = NULL, user_badge = NULL, camera_serial = NULL",
            [],
        )?;
        // The token goes while the database is still locked: no sync round can start in
        // between with a token whose inspector has gone.
        self.secrets.delete(name::TOKEN)?;
        tx.commit()?;
        Ok(())
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

    /// The server's address this device syncs with, or did before signing out.
    pub fn server_url(&self) -> Result<Option<String>> {
        Ok(self
            .db()
            .query_row("SELECT server_url FROM sync_state", [], |r| r.get(0))?)
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

/// [`Error::Unsent`] while reports, changes, verifications (the outbox) or photos of
/// submitted reports wait for the centre: the same backlog the queue screen counts.
fn refuse_if_unsent(conn: &Connection) -> Result<()> {
    let reports: u64 = conn.query_row("SELECT COUNT(DISTINCT report_id) FROM outbox", [], |r| {
        r.get(0)
    })?;
    let photos: u64 = conn.query_row(
        "SELECT COUNT(*) FROM photos p JOIN reports r ON r.id = p.report_id
          WHERE r.state IN ('queued', 'sent') AND p.uploaded_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    if reports + photos > 0 {
        return Err(Error::Unsent { reports, photos });
    }
    Ok(())
}
