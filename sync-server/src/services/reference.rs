//! Reference data, parsed once and shared by every request: the code tables and the case
//! rules ([`Reference`]). It is read from the store on first use and again when it may have
//! changed: after a load through this server ([`ReferenceCache::invalidate`]), when a
//! device files a report under a table version this copy does not know (another server may
//! have loaded it), and at most [`FRESH_FOR`] after the last read otherwise.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::domain::reference::Reference;
use crate::error::AppError;
use crate::store::CaseStore;

/// How long a read of the reference data is trusted without asking the store again.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// A parsed copy and when it was read.
type Held = Option<(Arc<Reference>, Instant)>;

/// The shared, parsed reference data.
#[derive(Debug, Clone, Default)]
pub struct ReferenceCache {
    held: Arc<RwLock<Held>>,
}

impl ReferenceCache {
    /// The reference data, read from the store if not held or no longer fresh.
    pub async fn get(&self, store: &dyn CaseStore) -> Result<Arc<Reference>, AppError> {
        let held = self
            .held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match held {
            Some((r, at)) if at.elapsed() < FRESH_FOR => Ok(r),
            _ => self.reload(store).await,
        }
    }

    /// The reference data, read from the store now.
    #[tracing::instrument(skip_all)]
    pub async fn reload(&self, store: &dyn CaseStore) -> Result<Arc<Reference>, AppError> {
        let (tables, rules) = store.reference_texts().await?;
        let parsed =
            Arc::new(Reference::parse(&tables, rules.as_deref()).map_err(AppError::Internal)?);
        tracing::debug!(
            tables = tables.len(),
            rules = rules.is_some(),
            "reference data read"
        );
        *self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Arc::clone(&parsed), Instant::now()));
        Ok(parsed)
    }

    /// Forgets the held copy: the next use reads the store.
    pub fn invalidate(&self) {
        *self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The reference data, read again if it lacks a code table of one of `versions`.
    pub async fn knowing<'a>(
        &self,
        store: &dyn CaseStore,
        mut versions: impl Iterator<Item = &'a str>,
    ) -> Result<Arc<Reference>, AppError> {
        let r = self.get(store).await?;
        if versions.any(|v| !r.knows(v)) {
            return self.reload(store).await;
        }
        Ok(r)
    }

    /// The reference data with the case rules, which the loop's deadlines need.
    pub async fn with_rules(&self, store: &dyn CaseStore) -> Result<Arc<Reference>, AppError> {
        let mut r = self.get(store).await?;
        if r.rules.is_none() {
            r = self.reload(store).await?;
        }
        if r.rules.is_none() {
            return Err(AppError::NotFound(
                "the case rules are not loaded: run `gridwalk-sync admin load-fixtures`".into(),
            ));
        }
        Ok(r)
    }
}
