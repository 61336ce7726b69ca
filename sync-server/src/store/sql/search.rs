//! The work queues' search index, written with the reports: each report's lower-cased text
//! (`reports.search_text`) and its n-grams (`report_grams`), as
//! [`crate::domain::queue`] defines them. A new report's rows go in with it, an edit
//! changes only the grams its text gained or lost, and a database from before the index
//! is indexed once when the server opens it ([`backfill`]).

use std::collections::BTreeSet;

use gridwalk_protocol::{Report, ReportId};

use super::{Database, Mode, Sql, Ty, Value, tx};
use crate::domain::queue::{grams, search_text};
use crate::store::StoreResult;

const GRAM_COLUMNS: &[(&str, Ty)] = &[("gram", Ty::Text), ("report_id", Ty::Uuid)];

/// The index rows of a report's text.
fn rows(id: ReportId, grams: impl IntoIterator<Item = String>) -> impl Iterator<Item = Vec<Value>> {
    grams
        .into_iter()
        .map(move |g| vec![Value::Text(g), Value::from(id)])
}

/// Indexes new reports (whose rows carry their `search_text` already): their grams, in as
/// few statements as the backend can.
pub(crate) async fn index_new(tx: &mut dyn Sql, reports: &[&Report]) -> StoreResult<()> {
    let all: Vec<Vec<Value>> = reports
        .iter()
        .flat_map(|r| rows(r.id, grams(&search_text(r))))
        .collect();
    tx.insert_many("report_grams", GRAM_COLUMNS, all, "").await
}

/// Indexes a report's new version: its text, and the grams it gained or lost since the
/// text held (all of them, for a report never indexed).
pub(crate) async fn reindex(tx: &mut dyn Sql, record: &Report) -> StoreResult<()> {
    let id = record.id;
    let text = search_text(record);
    let held: Option<String> = tx
        .one(
            "SELECT search_text FROM reports WHERE id = $1",
            vec![Value::from(id)],
        )
        .await?
        .get(0)?;
    if held.as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    let new = grams(&text);
    let old = held.as_deref().map(grams).unwrap_or_default();
    let gone: Vec<String> = old.difference(&new).cloned().collect();
    if !gone.is_empty() {
        let any = (tx.dialect().any)("gram", 2);
        tx.execute(
            &format!("DELETE FROM report_grams WHERE report_id = $1 AND {any}"),
            vec![Value::from(id), Value::list(gone)],
        )
        .await?;
    }
    let added: BTreeSet<String> = if held.is_some() {
        new.difference(&old).cloned().collect()
    } else {
        // Never indexed: whatever is there (nothing, normally) gives way.
        tx.execute(
            "DELETE FROM report_grams WHERE report_id = $1",
            vec![Value::from(id)],
        )
        .await?;
        new
    };
    tx.insert_many("report_grams", GRAM_COLUMNS, rows(id, added).collect(), "")
        .await?;
    tx.execute(
        "UPDATE reports SET search_text = $2 WHERE id = $1",
        vec![Value::from(id), Value::Text(text)],
    )
    .await?;
    Ok(())
}

/// How many reports one backfill transaction indexes.
const BACKFILL_BATCH: usize = 500;

/// Indexes every report not indexed yet (a database from before the index), a batch per
/// transaction; returns how many. Run when a server opens its database.
pub async fn backfill<D: Database>(db: &D) -> StoreResult<usize> {
    let mut total = 0;
    loop {
        let done: usize = tx!(db, Mode::Write, |tx| {
            let rows = tx
                .query(
                    &format!(
                        "SELECT record FROM reports WHERE search_text IS NULL
                          ORDER BY id LIMIT {BACKFILL_BATCH}"
                    ),
                    vec![],
                )
                .await?;
            for r in &rows {
                let record: Report = r.json(0)?;
                reindex(tx, &record).await?;
            }
            Ok(rows.len())
        })?;
        total += done;
        if done < BACKFILL_BATCH {
            break;
        }
    }
    if total > 0 {
        tracing::info!(reports = total, "indexed reports for search");
    }
    Ok(total)
}
