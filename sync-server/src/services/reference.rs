//! Reference data, parsed once and shared by every request: the code tables, the case
//! rules and the grid with its spatial index ([`Reference`]). It is read from the store on
//! first use and again when it may have changed: when a device files a report under a
//! table version this copy does not know (an admin command or another server may have
//! loaded it since), when the rules are needed and not held, and at most [`FRESH_FOR`]
//! after the last read otherwise (so a table or the rules loaded again under the same
//! version take effect within that time). One read at a time: requests that find the copy
//! stale while another reads it wait for that read. The grid, the largest part, is parsed
//! again only when its cells changed since the last read ([`CellsStamp`]).

use gridwalk_protocol::message::msg;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use gridwalk_grid::Grid;

use crate::domain::reference::Reference;
use crate::error::AppError;
use crate::store::{CaseStore, CellsStamp};

/// How long a read of the reference data is trusted without asking the store again.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// A parsed copy and when it was read.
type Held = Option<(Arc<Reference>, Instant)>;

/// The grid as last parsed, and the state of the stored cells it was parsed from.
type HeldGrid = Option<(CellsStamp, Arc<Grid>)>;

/// The shared, parsed reference data.
#[derive(Debug, Clone, Default)]
pub struct ReferenceCache {
    held: Arc<RwLock<Held>>,
    /// Held while reading from the store; it keeps the grid last parsed.
    reading: Arc<tokio::sync::Mutex<HeldGrid>>,
}

impl ReferenceCache {
    fn held(&self) -> Held {
        self.held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The reference data, read from the store if not held or no longer fresh.
    pub async fn get(&self, store: &dyn CaseStore) -> Result<Arc<Reference>, AppError> {
        match self.held() {
            Some((r, at)) if at.elapsed() < FRESH_FOR => Ok(r),
            _ => self.read_after(store, Instant::now()).await,
        }
    }

    /// The reference data as read from the store after `asked` (by this request or by one
    /// that was reading when this one asked).
    #[tracing::instrument(skip_all)]
    async fn read_after(
        &self,
        store: &dyn CaseStore,
        asked: Instant,
    ) -> Result<Arc<Reference>, AppError> {
        let mut grid = self.reading.lock().await;
        if let Some((r, at)) = self.held()
            && at >= asked
        {
            return Ok(r);
        }
        let (tables, rules) = store.reference_texts().await?;
        let (stamp, cells) = store.all_cells(grid.as_ref().map(|(s, _)| *s)).await?;
        let parsed_grid = match (cells, grid.take()) {
            (None, Some((_, held))) => held,
            (cells, _) => Arc::new(
                Reference::parse_grid(&cells.unwrap_or_default()).map_err(AppError::Internal)?,
            ),
        };
        *grid = Some((stamp, Arc::clone(&parsed_grid)));
        let parsed = Arc::new(
            Reference::parse(&tables, rules.as_deref())
                .map_err(AppError::Internal)?
                .with_grid(parsed_grid),
        );
        tracing::debug!(
            tables = tables.len(),
            rules = rules.is_some(),
            cells = stamp.count,
            "reference data read"
        );
        *self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Arc::clone(&parsed), Instant::now()));
        Ok(parsed)
    }

    /// The reference data, read again if it lacks a code table of one of `versions`.
    pub async fn knowing<'a>(
        &self,
        store: &dyn CaseStore,
        mut versions: impl Iterator<Item = &'a str>,
    ) -> Result<Arc<Reference>, AppError> {
        let asked = Instant::now();
        let r = self.get(store).await?;
        if versions.any(|v| !r.knows(v)) {
            return self.read_after(store, asked).await;
        }
        Ok(r)
    }

    /// The same, with the case rules, which the loop's deadlines need: not loaded is
    /// `404` in words.
    pub async fn with_rules<'a>(
        &self,
        store: &dyn CaseStore,
        versions: impl Iterator<Item = &'a str>,
    ) -> Result<Arc<Reference>, AppError> {
        let asked = Instant::now();
        let mut r = self.knowing(store, versions).await?;
        if r.rules.is_none() {
            r = self.read_after(store, asked).await?;
        }
        if r.rules.is_none() {
            return Err(AppError::NotFound(msg!(RULES_NOT_LOADED)));
        }
        Ok(r)
    }
}
