//! The engine: one local database, one photo store, the reference data, and the operations
//! the app's commands call. Nothing here touches the network or waits on it.
//!
//! Every operation that must reach the centre is one SQLite transaction that also writes its
//! outbox entry (see [`crate::outbox`]); everything else is ordinary local state. The engine
//! is `Send + Sync`: the connection sits behind a mutex, and CPU-heavy photo work happens
//! outside it so the UI can keep reading while a photo is processed.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, Utc};
use gridwalk_protocol::{CellCode, DeviceId, UserId};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::blobs::{self, BlobStore};
use crate::error::{Error, Result};
use crate::photo::PhotoOptions;
use crate::reference::Reference;
use crate::secrets::{self, Secrets, SecretsChoice};
use crate::storage::StoragePolicy;
use crate::sync::Transport;

/// Settings for one engine.
#[derive(Debug, Clone)]
pub struct FieldConfig {
    /// Where the database and photo files live (the app's data directory).
    pub data_dir: PathBuf,
    pub photo: PhotoOptions,
    /// Keep camera originals until the centre accepts the report (evidence at full size).
    pub keep_originals: bool,
    /// A fix less accurate than this many metres is flagged for the inspector.
    pub max_accuracy_m: f64,
    /// The inspectors' local time zone: drafts are observed in it, and camera times written
    /// without an offset are read in it.
    pub utc_offset: FixedOffset,
    /// Where the token and signing key are kept ([`crate::secrets`]).
    pub secrets: SecretsChoice,
    /// How this installation may reach the centre (plain HTTP, an extra CA).
    pub transport: Transport,
    /// When photos are refused for want of room, and how long what the centre holds stays.
    pub storage: StoragePolicy,
}

impl FieldConfig {
    /// Defaults for a data directory.
    #[must_use]
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            photo: PhotoOptions::default(),
            keep_originals: true,
            max_accuracy_m: crate::grid::MAX_ACCURACY_M,
            utc_offset: crate::photo::CHINA_STANDARD_TIME,
            secrets: SecretsChoice::from_env(),
            transport: Transport::default(),
            storage: StoragePolicy::default(),
        }
    }
}

/// The inspector signed in on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Inspector {
    pub id: UserId,
    /// The 单元网格 they are responsible for: reports elsewhere are flagged, not refused.
    pub cells: Vec<CellCode>,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub team: Option<String>,
    /// Badge number (警号), the default for body-cam clip references.
    #[serde(default)]
    pub badge: Option<String>,
}

impl Inspector {
    /// An inspector known only by ID and cells (the support CLI, tests).
    #[must_use]
    pub fn new(id: UserId, cells: Vec<CellCode>) -> Self {
        Self {
            id,
            cells,
            login: String::new(),
            name: String::new(),
            team: None,
            badge: None,
        }
    }
}

/// The field engine.
#[derive(Debug)]
pub struct Engine {
    conn: Mutex<Connection>,
    pub(crate) config: FieldConfig,
    pub(crate) reference: Reference,
    /// The grid reports are placed in: the carried one with the centre's cells over it,
    /// built again when the feed brings cells.
    grid: std::sync::RwLock<Arc<crate::grid::Grid>>,
    pub(crate) blobs: BlobStore,
    pub(crate) secrets: Box<dyn Secrets>,
    /// The signing key, once read from (or made into) the secret store.
    pub(crate) signer: Mutex<Option<ed25519_dalek::SigningKey>>,
    device: DeviceId,
    /// Sync rounds started since the engine was opened (numbers them in the logs).
    pub(crate) sync_rounds: AtomicU64,
    /// The offline basemap, opened on first use ([`crate::basemap`]).
    basemap: Mutex<Option<crate::basemap::Package>>,
    _lock: File,
}

impl Engine {
    /// Opens the engine on `config.data_dir`, creating it on first use, private to its
    /// owner (0700, the database files 0600). Takes an exclusive lock on the directory (a
    /// second process gets [`Error::Locked`]), applies migrations, moves a token an older
    /// version kept in the database to the secret store, and removes photo files left
    /// unreferenced by a crash.
    pub fn open(config: FieldConfig, reference: Reference) -> Result<Self> {
        let dir = &config.data_dir;
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        secrets::restrict(dir, true).map_err(|e| Error::io(dir, e))?;
        let lock_path = dir.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.try_lock()
            .map_err(|_| Error::Locked(dir.display().to_string()))?;

        let conn = crate::db::open(&dir.join("field.db"))?;
        let device = device_id(&conn)?;
        let secrets = open_secrets(&conn, &config, device)?;
        move_token_out(&conn, secrets.as_ref())?;
        let blobs = BlobStore::open(dir)?;
        let grid = std::sync::RwLock::new(Arc::new(placing_grid(&reference, &conn)?));
        let engine = Self {
            conn: Mutex::new(conn),
            config,
            reference,
            grid,
            blobs,
            secrets,
            signer: Mutex::new(None),
            device,
            sync_rounds: AtomicU64::new(0),
            basemap: Mutex::new(None),
            _lock: lock,
        };
        engine.sweep_files()?;
        Ok(engine)
    }

    /// This installation's ID, generated on first open.
    #[must_use]
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    #[must_use]
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The grid reports are placed in and the map draws: the carried grid with the cells
    /// the centre sent over it.
    #[must_use]
    pub fn grid(&self) -> Arc<crate::grid::Grid> {
        Arc::clone(
            &self
                .grid
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Builds the placing grid again from the carried one and the centre's cells.
    pub(crate) fn refresh_grid(&self) -> Result<()> {
        let grid = placing_grid(&self.reference, &self.db())?;
        *self
            .grid
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(grid);
        Ok(())
    }

    /// Records who is using the device; drafts are created in their name.
    pub fn sign_in(&self, inspector: &Inspector) -> Result<()> {
        sign_in(&self.db(), inspector)
    }

    /// The signed-in inspector, if any.
    pub fn inspector(&self) -> Result<Option<Inspector>> {
        inspector(&self.db())
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the database inconsistent (SQLite
        // rolls back an unfinished transaction), so a poisoned lock is safe to reuse.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn basemap_lock(&self) -> MutexGuard<'_, Option<crate::basemap::Package>> {
        // A read-only package cannot be left inconsistent by a panic either.
        self.basemap
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    pub(crate) fn local_now(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&self.config.utc_offset)
    }

    /// Deletes photo files no row refers to (left by a crash between file and row, or
    /// between a row saying its file was released and the file's removal).
    fn sweep_files(&self) -> Result<()> {
        let conn = self.db();
        let shas: HashSet<String> = conn
            .prepare("SELECT sha256 FROM photos UNION SELECT sha256 FROM centre_photos")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let derivatives: HashSet<String> = conn
            .prepare(
                "SELECT sha256 FROM photos WHERE released_at IS NULL
                 UNION SELECT sha256 FROM centre_photos",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let originals: HashSet<String> = conn
            .prepare("SELECT original FROM photos WHERE original IS NOT NULL")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.blobs.sweep(blobs::Kind::Derivative, &derivatives)?;
        self.blobs.sweep(blobs::Kind::Thumbnail, &shas)?;
        self.blobs.sweep(blobs::Kind::Original, &originals)?;
        Ok(())
    }
}

/// The device's secret store: the one it used before, else the one the configuration
/// finds (remembered from now on).
fn open_secrets(
    conn: &Connection,
    config: &FieldConfig,
    device: DeviceId,
) -> Result<Box<dyn Secrets>> {
    let remembered: Option<String> =
        conn.query_row("SELECT secrets_store FROM device", [], |r| r.get(0))?;
    let store = secrets::open(
        config.secrets,
        remembered.as_deref(),
        &config.data_dir,
        &device.to_string(),
    )?;
    if remembered.is_none() {
        conn.execute("UPDATE device SET secrets_store = ?1", [store.kind()])?;
    }
    Ok(store)
}

/// Moves a token kept in the database (before secrets had a store of their own) into the
/// secret store, then erases it from the database and its WAL (`secure_delete` overwrites
/// the old row; the checkpoint empties the log that still held it).
fn move_token_out(conn: &Connection, secrets: &dyn Secrets) -> Result<()> {
    let token: Option<String> = conn.query_row("SELECT token FROM sync_state", [], |r| r.get(0))?;
    let Some(token) = token else { return Ok(()) };
    secrets.set(secrets::name::TOKEN, &token)?;
    conn.execute("UPDATE sync_state SET token = NULL", [])?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn device_id(conn: &Connection) -> Result<DeviceId> {
    let existing: Option<String> = conn
        .query_row("SELECT device_id FROM device", [], |r| r.get(0))
        .optional()?;
    if let Some(s) = existing {
        return s
            .parse()
            .map_err(|e: gridwalk_protocol::Error| Error::Damaged(e.to_string()));
    }
    let id = DeviceId::new();
    conn.execute(
        "INSERT INTO device (singleton, device_id, created_at) VALUES (1, ?1, ?2)",
        params![id.to_string(), Utc::now()],
    )?;
    Ok(id)
}

pub(crate) fn sign_in(conn: &Connection, inspector: &Inspector) -> Result<()> {
    conn.execute(
        "UPDATE device SET user_id = ?1, user_cells = ?2, user_login = ?3, user_name = ?4,
                           user_team = ?5, user_badge = ?6",
        params![
            inspector.id.to_string(),
            to_json(&inspector.cells),
            inspector.login,
            inspector.name,
            inspector.team,
            inspector.badge
        ],
    )?;
    Ok(())
}

pub(crate) fn inspector(conn: &Connection) -> Result<Option<Inspector>> {
    type Row = (
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let (id, cells, login, name, team, badge): Row = conn.query_row(
        "SELECT user_id, user_cells, user_login, user_name, user_team, user_badge FROM device",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some(Inspector {
        id: id
            .parse()
            .map_err(|e: gridwalk_protocol::Error| Error::Damaged(e.to_string()))?,
        cells: from_json(&cells)?,
        login,
        name,
        team,
        badge,
    }))
}

/// JSON text for a column.
pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"))
}

/// A column's JSON text back into a value; a failure means the file was damaged or edited.
pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Damaged(format!("{e} in {s:?}")))
}

/// A unit enum's wire name (`"component"`), as stored in a text column.
pub(crate) fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("not a unit enum: {other:?}"),
    }
}

/// A text column back into a unit enum.
pub(crate) fn enum_from<T: DeserializeOwned>(s: &str) -> Result<T> {
    from_json(&to_json(s))
}

/// The carried grid with the centre's cells over it. Cells from the centre that do not
/// make a grid (a damaged row) leave the carried grid in use, with a warning in the log.
fn placing_grid(reference: &Reference, conn: &Connection) -> Result<crate::grid::Grid> {
    let centre = crate::sync::pull::centre_cells(conn)?;
    let retired = crate::sync::pull::retired_cells(conn)?;
    reference.grid_with(&centre, &retired).or_else(|e| {
        tracing::warn!(error = %e, "the centre's cells do not make a grid; using the app's own");
        reference.grid_with(&[], &retired)
    })
}
