//! The Gridwalk sync server: devices push their outboxes here and the centre's case store
//! receives each report exactly once, then each photo, byte for byte.
//!
//! Data flows one way: [`api`] (HTTP handlers: extract, call a service, map the error) →
//! [`services`] (who may ask, the cached reference data, the blob store, the store's
//! transactions) → [`store`] (lock, load, ask [`domain`], write) → the database. Every
//! decision is a pure function in [`domain`].
//!
//! - [`domain`]: the rules: push, case loop, edits, photos, conflicts, duplicates,
//!   evaluation, feed cursors, access, working time.
//! - [`services`]: what each request does, between handlers and the domain and store.
//! - [`store`]: the case store's traits by area, written once in SQL for both databases.
//! - [`blobs`]: photo bytes and upload parts, on disk or S3 (`object_store`).
//! - [`auth`]: device tokens (only their SHA-256 is stored), console passwords and
//!   sessions, and the extractors that check them.
//! - [`api`]: the HTTP routes, with a request span on each.
//! - [`config`], [`logging`]: settings and structured logs.
//! - [`serve`], [`tls`]: the connection loop, its limits and headers, and HTTPS.
//! - [`testkit`]: real case stores of either kind, for tests.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod blobs;
pub mod config;
pub mod domain;
pub mod error;
pub mod logging;
pub mod serve;
pub mod services;
pub mod store;
pub mod testkit;
pub mod tls;

use std::sync::Arc;

pub use api::app;

use crate::blobs::BlobStore;
use crate::services::reference::ReferenceCache;
use crate::services::throttle::{PublicThrottle, PushThrottle};
use crate::services::uploads::{Stores, UploadSettings};
use crate::store::CaseStore;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn CaseStore>,
    pub blobs: BlobStore,
    pub uploads: UploadSettings,
    /// Code tables and case rules, parsed once.
    pub reference: ReferenceCache,
    /// How much each device may push.
    pub pushes: PushThrottle,
    /// How many 随手拍 reports each address, and the public together, may send.
    pub public: PublicThrottle,
    /// Whether ports' callbacks may go to private, loopback and link-local addresses (a
    /// centre whose ports run on its own network; tests).
    pub private_callbacks: bool,
}

impl AppState {
    /// A state over these stores, with upload settings as given and nothing cached yet.
    #[must_use]
    pub fn new(store: Arc<dyn CaseStore>, blobs: BlobStore, uploads: UploadSettings) -> Self {
        Self {
            store,
            blobs,
            uploads,
            reference: ReferenceCache::default(),
            pushes: PushThrottle::default(),
            public: PublicThrottle::default(),
            private_callbacks: false,
        }
    }

    /// The same state letting ports' callbacks reach private addresses.
    #[must_use]
    pub fn with_private_callbacks(mut self, allowed: bool) -> Self {
        self.private_callbacks = allowed;
        self
    }

    /// The same state taking `per_hour` 随手拍 reports an hour from one address.
    #[must_use]
    pub fn with_public_rate(mut self, per_hour: u32) -> Self {
        self.public = PublicThrottle::new(per_hour, services::throttle::PUBLIC_PER_MINUTE);
        self
    }

    /// The same state with another per-device push rate (mutations a second, and a burst).
    #[must_use]
    pub fn with_push_rate(mut self, per_second: u32, burst: u32) -> Self {
        self.pushes = PushThrottle::new(per_second, burst);
        self
    }

    /// The stores an upload request works on.
    #[must_use]
    pub fn upload_stores(&self) -> Stores<'_> {
        Stores {
            cases: self.store.as_ref(),
            blobs: &self.blobs,
            settings: self.uploads,
            reference: &self.reference,
        }
    }
}
