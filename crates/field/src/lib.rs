//! The Gridwalk field engine: everything the inspector's tablet does, without Tauri and
//! without the network.
//!
//! - [`Engine`] owns a local SQLite database (WAL, migrations on open) and a photo store
//!   under the app's data directory.
//! - Drafts are created, edited and deleted freely ([`drafts`]); **finalize** turns a draft
//!   into a queued report and its outbox mutation in one transaction ([`outbox`]); a
//!   submitted report can still be changed until it becomes a case ([`edits`]).
//! - The photo pipeline ([`photo`]) turns a camera JPEG into an upright, EXIF-free upload
//!   derivative and a thumbnail, content-addressed by SHA-256.
//! - Grid lookup ([`grid`], shared with the centre through `gridwalk-grid`) places a
//!   position in a 单元网格 through an R-tree and flags — never refuses — positions outside
//!   the grid or with a poor fix.
//! - [`enroll`] sets the device up against the centre (who the inspector is, where to
//!   sync), by a device token or by a one-time code scanned from the console's QR code
//!   ([`qr`]); [`settings`] keeps the inspector's own settings.
//! - [`secrets`] keeps the device token and signing key out of the database (the OS
//!   keyring, or an owner-only file); [`signing`] signs every outbox entry as it is queued.
//! - [`components`] holds the city's components (部件) in the inspector's cells, as the
//!   feed sends them: a 部件 report takes its ID by scanning the QR code on the component
//!   or by picking the nearest of its 小类.
//! - [`platform`] names the device's maker and model for the centre's device board.
//! - [`basemap`] installs and reads the offline basemap, a city's MBTiles package of streets.
//! - [`queue`] answers "what is still waiting to reach the centre".
//! - [`sync`] pushes the outbox to the centre, settles its answers, uploads the photos and
//!   pulls what changed at the centre.
//!
//! The app's commands are one line each over these methods; the same methods back the
//! `gridwalk-field` support CLI and the tests.

#![forbid(unsafe_code)]

pub mod basemap;
pub mod blobs;
pub mod components;
pub mod db;
pub mod drafts;
pub mod edits;
pub mod engine;
pub mod enroll;
pub mod error;
pub mod grid;
pub mod local;
pub mod map;
pub mod outbox;
pub mod photo;
pub mod platform;
pub mod qr;
pub mod queue;
pub mod reference;
pub mod secrets;
pub mod settings;
pub mod signing;
pub mod storage;
pub mod sync;
pub mod tasks;

pub use components::{NearComponent, TakenComponent};
pub use engine::{Engine, FieldConfig, Inspector};
pub use error::{Error, Result};
pub use local::{DraftPatch, LocalPhoto, LocalReport, ReportState};
pub use outbox::Finalized;
pub use queue::QueueSummary;
pub use reference::Reference;
pub use settings::{DeviceSettings, SettingsPatch};
pub use storage::{StoragePolicy, StorageStatus};
