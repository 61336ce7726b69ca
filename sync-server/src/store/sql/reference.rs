//! Reference data in SQL both databases run: code tables and grid cells (which devices get
//! through the feed) and named documents (the case rules).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{CellCode, ComponentId, ComponentInfo};

use super::feed::write_feed;
use super::{Database, Mode, Value, params, tx};
use crate::domain::model::{FeedKind, Touch};
use crate::domain::rules;
use crate::store::{CellsPut, CellsStamp, ReferenceStore, StoreResult};

#[async_trait]
impl<D: Database> ReferenceStore for D {
    async fn put_code_table(
        &self,
        version: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (version, body) = (version.to_owned(), body.to_owned());
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO code_tables (version, body, loaded_at) VALUES ($1, $2, $3)
                 ON CONFLICT (version) DO UPDATE SET body = excluded.body,
                    loaded_at = excluded.loaded_at",
                params![&version, body, at],
            )
            .await?;
            let touch = Touch::reference(FeedKind::CodeTable, &version, None);
            write_feed(tx, vec![touch], at).await
        })
    }

    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>> {
        tx!(self, Mode::Read, |tx| { code_tables(tx).await })
    }

    async fn put_cells(
        &self,
        cells: &[(CellCode, String)],
        retire: &[CellCode],
        at: DateTime<Utc>,
    ) -> StoreResult<CellsPut> {
        // A code given twice takes its last feature (one statement cannot upsert a row twice).
        let last: std::collections::BTreeMap<&CellCode, &String> =
            cells.iter().map(|(c, f)| (c, f)).collect();
        let rows: Vec<Vec<Value>> = last
            .iter()
            .map(|(code, feature)| vec![Value::from(*code), Value::Json((*feature).clone())])
            .collect();
        let mut touches: Vec<Touch> = last
            .keys()
            .map(|code| Touch::reference(FeedKind::Cell, code.as_str(), Some(code.as_str())))
            .collect();
        let stored = last.len();
        let retire = Value::list(retire.iter().map(CellCode::as_str));
        tx!(self, Mode::Write, |tx| {
            let mut put = CellsPut {
                stored,
                ..CellsPut::default()
            };
            let any = (tx.dialect().any)("cell", 1);
            for r in tx
                .query(
                    &format!("DELETE FROM components WHERE {any} RETURNING id, cell"),
                    vec![retire.clone()],
                )
                .await?
            {
                let (id, cell): (String, String) = (r.get(0)?, r.get(1)?);
                touches.push(Touch::retired(FeedKind::Component, &id, &cell));
                put.components_retired += 1;
            }
            let any = (tx.dialect().any)("code", 1);
            for r in tx
                .query(
                    &format!("DELETE FROM cells WHERE {any} RETURNING code"),
                    vec![retire],
                )
                .await?
            {
                let code: String = r.get(0)?;
                touches.push(Touch::retired(FeedKind::Cell, &code, &code));
                put.retired += 1;
            }
            tx.insert_many(
                "cells",
                &[("code", super::Ty::Text), ("feature", super::Ty::Json)],
                rows,
                "ON CONFLICT (code) DO UPDATE SET feature = excluded.feature",
            )
            .await?;
            write_feed(tx, touches, at).await?;
            Ok(put)
        })
    }

    async fn cells(&self, codes: &[String]) -> StoreResult<Vec<(CellCode, String)>> {
        let codes = Value::list(codes.iter().cloned());
        tx!(self, Mode::Read, |tx| {
            let any = (tx.dialect().any)("code", 1);
            tx.query(
                &format!("SELECT code, feature FROM cells WHERE {any}"),
                vec![codes],
            )
            .await?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
    }

    async fn all_cells(
        &self,
        unless: Option<CellsStamp>,
    ) -> StoreResult<(CellsStamp, Option<Vec<(CellCode, String)>>)> {
        tx!(self, Mode::Snapshot, |tx| {
            let row = tx
                .one(
                    "SELECT (SELECT COUNT(*) FROM cells),
                            (SELECT COALESCE(MAX(seq), 0) FROM changes WHERE kind = 'cell')",
                    vec![],
                )
                .await?;
            let stamp = CellsStamp {
                count: row.get(0)?,
                last_change: row.get(1)?,
            };
            if unless == Some(stamp) {
                return Ok((stamp, None));
            }
            let cells = tx
                .query("SELECT code, feature FROM cells ORDER BY code", vec![])
                .await?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((stamp, Some(cells)))
        })
    }

    async fn put_components(
        &self,
        components: &[ComponentInfo],
        retire: &[ComponentId],
        at: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let rows = components
            .iter()
            .map(|c| {
                Ok(vec![
                    Value::from(c.id.as_str()),
                    Value::from(c.category.as_str()),
                    Value::from(c.cell.as_str()),
                    Value::json(c)?,
                    Value::from(at),
                ])
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut touches: Vec<Touch> = components
            .iter()
            .map(|c| Touch::reference(FeedKind::Component, c.id.as_str(), Some(c.cell.as_str())))
            .collect();
        let retire = Value::list(retire.iter().map(|id| id.as_str().to_owned()));
        let n = components.len();
        tx!(self, Mode::Write, |tx| {
            let any = (tx.dialect().any)("id", 1);
            for r in tx
                .query(
                    &format!("DELETE FROM components WHERE {any} RETURNING id, cell"),
                    vec![retire],
                )
                .await?
            {
                let (id, cell): (String, String) = (r.get(0)?, r.get(1)?);
                touches.push(Touch::retired(FeedKind::Component, &id, &cell));
            }
            tx.insert_many(
                "components",
                &[
                    ("id", super::Ty::Text),
                    ("category", super::Ty::Text),
                    ("cell", super::Ty::Text),
                    ("record", super::Ty::Json),
                    ("loaded_at", super::Ty::Time),
                ],
                rows,
                "ON CONFLICT (id) DO UPDATE SET category = excluded.category,
                    cell = excluded.cell, record = excluded.record,
                    loaded_at = excluded.loaded_at",
            )
            .await?;
            write_feed(tx, touches, at).await?;
            Ok(n)
        })
    }

    async fn components(&self, ids: &[String]) -> StoreResult<Vec<ComponentInfo>> {
        let ids = Value::list(ids.iter().cloned());
        tx!(self, Mode::Read, |tx| {
            let any = (tx.dialect().any)("id", 1);
            tx.query(
                &format!("SELECT record FROM components WHERE {any} ORDER BY id"),
                vec![ids],
            )
            .await?
            .iter()
            .map(|r| r.json(0))
            .collect()
        })
    }

    async fn component_ids(&self, prefixes: &[String]) -> StoreResult<Vec<String>> {
        let prefixes = Value::list(prefixes.iter().cloned());
        tx!(self, Mode::Read, |tx| {
            let any = (tx.dialect().any)("substr(id, 1, 6)", 1);
            tx.query(
                &format!("SELECT id FROM components WHERE {any} ORDER BY id"),
                vec![prefixes],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }

    async fn put_document(&self, name: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let (name, body) = (name.to_owned(), body.to_owned());
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO documents (name, body, loaded_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body,
                    loaded_at = excluded.loaded_at",
                params![name, body, at],
            )
            .await?;
            Ok(())
        })
    }

    async fn document(&self, name: &str) -> StoreResult<Option<String>> {
        let name = name.to_owned();
        tx!(self, Mode::Read, |tx| { document(tx, &name).await })
    }

    async fn reference_texts(&self) -> StoreResult<(Vec<(String, String)>, Option<String>)> {
        tx!(self, Mode::Snapshot, |tx| {
            let tables = code_tables(tx).await?;
            let rules = document(tx, rules::DOCUMENT).await?;
            Ok((tables, rules))
        })
    }
}

async fn code_tables(tx: &mut dyn super::Sql) -> StoreResult<Vec<(String, String)>> {
    tx.query(
        "SELECT version, body FROM code_tables ORDER BY version",
        vec![],
    )
    .await?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect()
}

async fn document(tx: &mut dyn super::Sql, name: &str) -> StoreResult<Option<String>> {
    tx.opt("SELECT body FROM documents WHERE name = $1", params![name])
        .await?
        .map(|r| r.get(0))
        .transpose()
}
