//! The change feed in SQL both databases run: a write makes what it changed visible by
//! numbering it after everything before it ([`write_feed`], last in its transaction), and a
//! device reads the rows after its cursor that its user may see.
//!
//! Numbers come from the one `feed_state` row. On PostgreSQL the `UPDATE` that takes them
//! holds that row's lock until the write commits, so numbers commit in order and a reader
//! never skips one still in flight; on SQLite writers are one at a time anyway.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{CellCode, UserId};

use super::{Database, Mode, Sql, Ty, Value, params, tx};
use crate::domain::model::{FeedKind, FeedPage, FeedRow, Touch, distinct};
use crate::store::{FeedStore, StoreError, StoreResult};

/// Makes `touches` visible in the feed, numbered after everything before them. Call it
/// last before commit (see the module doc).
pub(crate) async fn write_feed(
    tx: &mut dyn Sql,
    touches: Vec<Touch>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let touches = distinct(touches);
    if touches.is_empty() {
        return Ok(());
    }
    let n = touches.len() as u64;
    let last: u64 = tx
        .one(
            "UPDATE feed_state SET last_seq = last_seq + $1 RETURNING last_seq",
            params![n],
        )
        .await?
        .get(0)?;
    let rows = (last + 1 - n..)
        .zip(touches)
        .map(|(seq, t)| {
            vec![
                Value::from(t.kind.as_str()),
                Value::from(t.entity),
                Value::from(seq),
                Value::from(t.user),
                Value::from(t.cell),
                Value::from(t.tombstone),
                Value::from(at),
            ]
        })
        .collect();
    tx.insert_many(
        "changes",
        &[
            ("kind", Ty::Text),
            ("entity", Ty::Text),
            ("seq", Ty::Int),
            ("user_id", Ty::Uuid),
            ("cell", Ty::Text),
            ("tombstone", Ty::Bool),
            ("at", Ty::Time),
        ],
        rows,
        "ON CONFLICT (kind, entity) DO UPDATE SET seq = excluded.seq,
            user_id = excluded.user_id, cell = excluded.cell,
            tombstone = excluded.tombstone, at = excluded.at",
    )
    .await
}

#[async_trait]
impl<D: Database> FeedStore for D {
    async fn feed(
        &self,
        user: UserId,
        cells: &[CellCode],
        after: u64,
        limit: usize,
    ) -> StoreResult<FeedPage> {
        let cells = Value::list(cells.iter().map(CellCode::as_str));
        // One snapshot for the state and the rows: every number up to last_seq is visible.
        tx!(self, Mode::Snapshot, |tx| {
            let state = tx
                .one("SELECT epoch, last_seq, horizon FROM feed_state", vec![])
                .await?;
            let any = (tx.dialect().any)("cell", 3);
            let rows = tx
                .query(
                    &format!(
                        "SELECT seq, kind, entity, tombstone FROM changes
                          WHERE seq > $1 AND (user_id = $2 OR (user_id IS NULL AND
                                (cell IS NULL OR {any})))
                          ORDER BY seq LIMIT $4"
                    ),
                    vec![
                        Value::from(after),
                        Value::from(user),
                        cells,
                        Value::from(limit),
                    ],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(FeedRow {
                        seq: r.get(0)?,
                        kind: FeedKind::parse(&r.get::<String>(1)?).map_err(StoreError::Corrupt)?,
                        entity: r.get(2)?,
                        tombstone: r.get(3)?,
                    })
                })
                .collect::<StoreResult<_>>()?;
            Ok(FeedPage {
                epoch: state.get(0)?,
                last_seq: state.get(1)?,
                horizon: state.get(2)?,
                rows,
            })
        })
    }

    async fn prune_feed(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        tx!(self, Mode::Write, |tx| {
            let row = tx
                .one(
                    "SELECT COUNT(*), MAX(seq) FROM changes WHERE tombstone AND at < $1",
                    params![before],
                )
                .await?;
            let (n, newest): (u64, Option<u64>) = (row.get(0)?, row.get(1)?);
            if let Some(newest) = newest {
                tx.execute(
                    "DELETE FROM changes WHERE tombstone AND at < $1",
                    params![before],
                )
                .await?;
                tx.execute(
                    "UPDATE feed_state SET horizon = CASE WHEN horizon > $1 THEN horizon ELSE $1 END",
                    params![newest],
                )
                .await?;
            }
            Ok(n)
        })
    }
}
