//! What the queue screen shows: how much is waiting to reach the centre and for how long.
//! One read transaction, so the numbers agree with each other.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;

/// The device's backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueSummary {
    /// Drafts not yet submitted (they are not in the queue, but an inspector should see them).
    pub drafts: u64,
    /// Submitted reports not yet acknowledged by the centre.
    pub pending_reports: u64,
    /// Of those, how many are urgent or 突发事件.
    pub pending_priority: u64,
    /// Photos of submitted reports whose bytes the centre has not yet confirmed (a report
    /// the centre has applied can still be waiting for its photos).
    pub pending_photos: u64,
    /// Bytes still to upload: the records plus their photo derivatives.
    pub pending_bytes: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub oldest_pending_age_s: Option<i64>,
}

impl Engine {
    /// The backlog now.
    pub fn queue_summary(&self) -> Result<QueueSummary> {
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let drafts: u64 = tx.query_row(
            "SELECT COUNT(*) FROM reports WHERE state = 'draft'",
            [],
            |r| r.get(0),
        )?;
        let (pending_reports, pending_priority, record_bytes): (u64, u64, u64) = tx.query_row(
            "SELECT COUNT(DISTINCT report_id), COUNT(DISTINCT CASE WHEN priority THEN report_id END),
                    COALESCE(SUM(LENGTH(CAST(body AS BLOB))), 0)
             FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let (pending_photos, photo_bytes): (u64, u64) = tx.query_row(
            "SELECT COUNT(*), COALESCE(SUM(p.bytes), 0)
             FROM photos p JOIN reports r ON r.id = p.report_id
             WHERE r.state IN ('queued', 'sent') AND p.uploaded_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest: Option<DateTime<Utc>> = tx
            .query_row("SELECT MIN(created_at) FROM outbox", [], |r| r.get(0))
            .optional()?
            .flatten();
        tx.finish()?;
        Ok(QueueSummary {
            drafts,
            pending_reports,
            pending_priority,
            pending_photos,
            pending_bytes: record_bytes + photo_bytes,
            oldest_pending_at: oldest,
            oldest_pending_age_s: oldest.map(|t| (self.now() - t).num_seconds().max(0)),
        })
    }
}
