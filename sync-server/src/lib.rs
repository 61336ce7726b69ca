//! The Gridwalk sync server: devices push their outboxes here and the centre's case store
//! receives each report exactly once, then each photo, byte for byte.
//!
//! - [`store`]: the `CaseStore` trait and its backends (embedded SQLite by default).
//! - [`blobs`]: photo bytes and upload parts, on disk or S3 (`object_store`).
//! - [`intake`]: the pure decision for each mutation and the ordered, exactly-once push.
//! - [`edits`]: how a device's edit merges with the centre's changes, or conflicts.
//! - [`feed`]: the change feed back to devices: cursors, scope, tombstones, resync.
//! - [`uploads`]: tus uploads of photos, checked against their reports.
//! - [`auth`]: device tokens (only their SHA-256 is stored) and the `DeviceAuth` extractor.
//! - [`cases`]: the case loop (立案 → 派遣 → 处置 → 核查 → 结案) as a pure state machine.
//! - [`calendar`], [`rules`]: working time, departments and time limits (处置时限).
//! - [`console`]: what the console does: sign-in, review and loop steps, conflicts.
//! - [`evaluation`]: the 考核评价 indicators, counted from the loop's events.
//! - [`admin`]: loading fixtures and enrolling devices, shared by the CLI and the tests.
//! - [`api`]: the HTTP routes; handlers are thin: parse, call the domain, map the error.

#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod cases;
pub mod config;
pub mod console;
pub mod duplicates;
pub mod edits;
pub mod error;
pub mod evaluation;
pub mod feed;
pub mod intake;
pub mod rules;
pub mod store;
pub mod uploads;

use std::sync::Arc;

pub use api::app;

use crate::blobs::BlobStore;
use crate::store::CaseStore;
use crate::uploads::{Stores, UploadSettings};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn CaseStore>,
    pub blobs: BlobStore,
    pub uploads: UploadSettings,
}

impl AppState {
    /// The stores an upload request works on.
    #[must_use]
    pub fn upload_stores(&self) -> Stores<'_> {
        Stores {
            cases: self.store.as_ref(),
            blobs: &self.blobs,
            settings: self.uploads,
        }
    }
}
