//! The hash chains in SQL both databases run ([`crate::domain::chain`]): appending a
//! version or a case event links it to its report's chain, every write to a report's row
//! re-seals it, and an administrative act takes the next number of the acts chain; reading
//! the chains back for `admin verify`, the console's seal and the evidence package.
//!
//! Appends to one chain never interleave: a report's chains are appended only by a
//! transaction that holds the report's row lock (every path updates or locks the row
//! first), and the acts chain only by one that holds the lock of its `chain_heads` row.

use std::collections::HashMap;

use async_trait::async_trait;
use gridwalk_evidence::chain::{GENESIS, Link};
use gridwalk_evidence::signatures::SignedMutation;
use gridwalk_protocol::ReportId;
use serde_json::Value as Json;

use super::{Database, Mode, Row, Sql, Value, params, tx};
use crate::domain::chain::{
    self as rules, CaseRow, EventFacts, ReportChains, ReportRow, VersionFacts,
};
use crate::domain::model::AdminAct;
use crate::store::{IntegrityStore, StoreError, StoreResult};

fn json_of(s: &str) -> StoreResult<Json> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("stored JSON: {e}")))
}

/// The head of one of a report's chains: the hash of the last row `sql` selects (the
/// report is `$1`), or [`GENESIS`] for an empty chain.
async fn head(tx: &mut dyn Sql, sql: &str, id: ReportId) -> StoreResult<String> {
    Ok(tx
        .opt(sql, params![id])
        .await?
        .map(|r| r.get::<Option<String>>(0))
        .transpose()?
        .flatten()
        .unwrap_or_else(|| GENESIS.to_owned()))
}

/// The hash of a report's latest version, if it has one.
pub(crate) async fn last_version_hash(tx: &mut dyn Sql, id: ReportId) -> StoreResult<String> {
    let sql = "SELECT hash FROM report_versions WHERE report_id = $1 ORDER BY version DESC LIMIT 1";
    head(tx, sql, id).await
}

/// The hash of a report's latest case event, if it has one.
pub(crate) async fn last_event_hash(tx: &mut dyn Sql, id: ReportId) -> StoreResult<String> {
    head(
        tx,
        "SELECT hash FROM case_events WHERE report_id = $1 ORDER BY id DESC LIMIT 1",
        id,
    )
    .await
}

/// The signature kept for `device`'s `mutation`, if a device made the row and signed it.
pub(crate) async fn signature_of(
    tx: &mut dyn Sql,
    device: Option<gridwalk_protocol::DeviceId>,
    mutation: Option<gridwalk_protocol::MutationId>,
) -> StoreResult<Option<String>> {
    let (Some(device), Some(mutation)) = (device, mutation) else {
        return Ok(None);
    };
    tx.opt(
        "SELECT signature FROM signed_mutations WHERE device_id = $1 AND mutation_id = $2",
        params![device, mutation],
    )
    .await?
    .map(|r| r.get(0))
    .transpose()
}

/// `(prev, hash)` of a new case event on its report's chain; the caller holds the report's
/// row lock.
pub(crate) async fn link_event(tx: &mut dyn Sql, e: &EventFacts) -> StoreResult<(String, String)> {
    let prev = last_event_hash(tx, e.report).await?;
    let hash = rules::event_entry(e).hash(&prev);
    Ok((prev, hash))
}

const ROW_COLUMNS: &str = "r.id, r.device_id, r.reporter, r.version, r.state, r.kind, \
    r.category, r.cell, r.urgency, r.observed_at, r.record, r.received_at, r.lon, r.lat, \
    r.duplicate_of, r.deleted_at, r.note, r.merged_into, r.state_at, c.case_no, \
    c.registered_at, c.department, c.due_at, c.reworks, c.closed_at, r.seal";

fn report_row(r: &Row) -> StoreResult<(ReportRow, Option<String>)> {
    let case_no: Option<String> = r.get(19)?;
    let case = match case_no {
        Some(case_no) => Some(CaseRow {
            case_no,
            registered_at: r.get(20)?,
            department: r.get(21)?,
            due_at: r.get(22)?,
            reworks: r.get(23)?,
            closed_at: r.get(24)?,
        }),
        None => None,
    };
    Ok((
        ReportRow {
            id: r.get(0)?,
            device: r.get(1)?,
            reporter: r.get(2)?,
            version: r.get(3)?,
            state: r.get(4)?,
            kind: r.get(5)?,
            category: r.get(6)?,
            cell: r.get(7)?,
            urgency: r.get(8)?,
            observed_at: r.get(9)?,
            record: json_of(&r.get::<String>(10)?)?,
            received_at: r.get(11)?,
            lon: r.get(12)?,
            lat: r.get(13)?,
            duplicate_of: r.get(14)?,
            deleted_at: r.get(15)?,
            note: r.get(16)?,
            merged_into: r.get(17)?,
            state_at: r.get(18)?,
            case,
        },
        r.get(25)?,
    ))
}

/// Seals a report's row (with its case's) over its chains' heads, after a write to any of
/// them; the caller holds the report's row lock.
pub(crate) async fn reseal(tx: &mut dyn Sql, id: ReportId) -> StoreResult<()> {
    let row = tx
        .one(
            &format!(
                "SELECT {ROW_COLUMNS} FROM reports r LEFT JOIN cases c ON c.report_id = r.id
                  WHERE r.id = $1"
            ),
            params![id],
        )
        .await?;
    let (row, _) = report_row(&row)?;
    let versions = last_version_hash(tx, id).await?;
    let events = last_event_hash(tx, id).await?;
    tx.execute(
        "UPDATE reports SET seal = $2 WHERE id = $1",
        params![id, row.seal(Some(&versions), Some(&events))],
    )
    .await?;
    Ok(())
}

/// Rows of `report_versions` as chain links.
fn version_link(r: &Row) -> StoreResult<(ReportId, Link)> {
    let patch: Option<String> = r.get(3)?;
    let v = VersionFacts {
        report: r.get(0)?,
        version: r.get(1)?,
        record: json_of(&r.get::<String>(2)?)?,
        patch: patch.as_deref().map(json_of).transpose()?,
        by_user: r.get(4)?,
        by_device: r.get(5)?,
        mutation: r.get(6)?,
        at: r.get(7)?,
        signature: r.get(10)?,
        form: r.get(11)?,
    };
    Ok((
        v.report,
        Link {
            label: format!("version {}", v.version),
            prev: r.get(8)?,
            hash: r.get(9)?,
            entry: rules::version_entry(&v),
        },
    ))
}

const VERSION_COLUMNS: &str = "report_id, version, record, patch, by_user, by_device, \
    mutation_id, at, prev_hash, hash, signature, chain_form";

/// Rows of `case_events` as chain links.
fn event_link(r: &Row) -> StoreResult<(ReportId, i64, Link)> {
    let id: i64 = r.get(0)?;
    let facts = EventFacts {
        report: r.get(1)?,
        action: r.get(2)?,
        from: r.get(3)?,
        to: r.get(4)?,
        by_user: r.get(5)?,
        by_device: r.get(6)?,
        text: r.get(7)?,
        due_at: r.get(8)?,
        at: r.get(9)?,
        mutation: r.get(12)?,
        signature: r.get(13)?,
        form: r.get(14)?,
    };
    Ok((
        facts.report,
        id,
        Link {
            label: format!("case event {id}"),
            prev: r.get(10)?,
            hash: r.get(11)?,
            entry: rules::event_entry(&facts),
        },
    ))
}

const EVENT_COLUMNS: &str = "id, report_id, action, from_state, to_state, by_user, by_device, \
    text, due_at, at, prev_hash, hash, mutation_id, signature, chain_form";

/// The rows and chains of these reports, as stored.
async fn load_chains(tx: &mut dyn Sql, ids: Vec<ReportId>) -> StoreResult<Vec<ReportChains>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = Value::list(ids.iter().copied());
    let any = (tx.dialect().any)("r.id", 1);
    let rows = tx
        .query(
            &format!(
                "SELECT {ROW_COLUMNS} FROM reports r LEFT JOIN cases c ON c.report_id = r.id
                  WHERE {any} ORDER BY r.id"
            ),
            vec![list.clone()],
        )
        .await?;
    let any = (tx.dialect().any)("report_id", 1);
    let mut versions: HashMap<ReportId, Vec<Link>> = HashMap::new();
    for r in tx
        .query(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM report_versions WHERE {any}
                  ORDER BY report_id, version"
            ),
            vec![list.clone()],
        )
        .await?
    {
        let (id, link) = version_link(&r)?;
        versions.entry(id).or_default().push(link);
    }
    let mut events: HashMap<ReportId, Vec<Link>> = HashMap::new();
    for r in tx
        .query(
            &format!("SELECT {EVENT_COLUMNS} FROM case_events WHERE {any} ORDER BY id"),
            vec![list],
        )
        .await?
    {
        let (id, _, link) = event_link(&r)?;
        events.entry(id).or_default().push(link);
    }
    rows.iter()
        .map(|r| {
            let (row, seal) = report_row(r)?;
            Ok(ReportChains {
                id: row.id,
                case_no: row.case.as_ref().map(|c| c.case_no.clone()),
                versions: versions.remove(&row.id).unwrap_or_default(),
                events: events.remove(&row.id).unwrap_or_default(),
                row,
                seal,
            })
        })
        .collect()
}

/// The administrative acts as chain links, in number order (acts without a number last).
fn act_link(r: &Row) -> StoreResult<Link> {
    let act = AdminAct {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        detail: r.get(5)?,
    };
    let seq: Option<i64> = r.get(6)?;
    Ok(Link {
        label: match seq {
            Some(n) => format!("admin act {n} ({} {})", act.action, act.subject),
            None => format!(
                "admin act {} ({} {}, unnumbered)",
                act.id, act.action, act.subject
            ),
        },
        prev: r.get(7)?,
        hash: r.get(8)?,
        entry: rules::act_entry(seq.unwrap_or(0), &act),
    })
}

/// Appends an administrative act to the acts chain.
pub(crate) async fn append_act(tx: &mut dyn Sql, act: &AdminAct) -> StoreResult<()> {
    let head = tx
        .one(
            &format!(
                "SELECT seq, hash FROM chain_heads WHERE name = 'admin_acts'{lock}",
                lock = tx.dialect().lock
            ),
            vec![],
        )
        .await?;
    let (seq, prev): (i64, String) = (head.get::<i64>(0)? + 1, head.get(1)?);
    let hash = rules::act_entry(seq, act).hash(&prev);
    tx.execute(
        "INSERT INTO admin_acts (id, at, actor, action, subject, detail, seq, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            act.id,
            act.at,
            &act.actor,
            &act.action,
            &act.subject,
            act.detail.as_deref(),
            seq,
            &prev,
            &hash
        ],
    )
    .await?;
    tx.execute(
        "UPDATE chain_heads SET seq = $1, hash = $2 WHERE name = 'admin_acts'",
        params![seq, hash],
    )
    .await?;
    Ok(())
}

/// Chains what was written before the chains existed, once, right after the migration
/// that added them (its `backfill` mark says it is still to do): each report's versions
/// in version order, its events in order, its seal, then the administrative acts by time.
pub async fn backfill<D: Database>(db: &D) -> StoreResult<()> {
    tx!(db, Mode::Write, |tx| {
        let pending = tx
            .opt(
                &format!(
                    "SELECT seq FROM chain_heads WHERE name = 'backfill'{lock}",
                    lock = tx.dialect().lock
                ),
                vec![],
            )
            .await?;
        if pending.is_none() {
            return Ok(());
        }
        let ids: Vec<ReportId> = tx
            .query("SELECT id FROM reports ORDER BY id", vec![])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect::<StoreResult<_>>()?;
        for id in ids {
            let mut prev = GENESIS.to_owned();
            let rows = tx
                .query(
                    &format!(
                        "SELECT {VERSION_COLUMNS} FROM report_versions WHERE report_id = $1
                          ORDER BY version"
                    ),
                    params![id],
                )
                .await?;
            for r in rows {
                let (_, link) = version_link(&r)?;
                let hash = link.entry.hash(&prev);
                let version: i64 = r.get(1)?;
                tx.execute(
                    "UPDATE report_versions SET prev_hash = $3, hash = $4
                      WHERE report_id = $1 AND version = $2",
                    params![id, version, &prev, &hash],
                )
                .await?;
                prev = hash;
            }
            let mut prev = GENESIS.to_owned();
            let rows = tx
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM case_events WHERE report_id = $1 ORDER BY id"
                    ),
                    params![id],
                )
                .await?;
            for r in rows {
                let (_, event, link) = event_link(&r)?;
                let hash = link.entry.hash(&prev);
                tx.execute(
                    "UPDATE case_events SET prev_hash = $2, hash = $3 WHERE id = $1",
                    params![event, &prev, &hash],
                )
                .await?;
                prev = hash;
            }
            reseal(tx, id).await?;
        }
        let acts = tx
            .query(
                "SELECT id, at, actor, action, subject, detail FROM admin_acts
                  WHERE seq IS NULL ORDER BY at, id",
                vec![],
            )
            .await?;
        for r in acts {
            let act = AdminAct {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
            };
            tx.execute("DELETE FROM admin_acts WHERE id = $1", params![act.id])
                .await?;
            append_act(tx, &act).await?;
        }
        tx.execute("DELETE FROM chain_heads WHERE name = 'backfill'", vec![])
            .await?;
        Ok(())
    })
}

#[async_trait]
impl<D: Database> IntegrityStore for D {
    async fn report_chains(
        &self,
        after: Option<ReportId>,
        limit: usize,
    ) -> StoreResult<Vec<ReportChains>> {
        tx!(self, Mode::Snapshot, |tx| {
            let rows = match after {
                Some(after) => {
                    tx.query(
                        "SELECT id FROM reports WHERE id > $1 ORDER BY id LIMIT $2",
                        params![after, limit],
                    )
                    .await?
                }
                None => {
                    tx.query(
                        "SELECT id FROM reports ORDER BY id LIMIT $1",
                        params![limit],
                    )
                    .await?
                }
            };
            let ids: Vec<ReportId> = rows.iter().map(|r| r.get(0)).collect::<StoreResult<_>>()?;
            load_chains(tx, ids).await
        })
    }

    async fn report_chain(&self, id: ReportId) -> StoreResult<Option<ReportChains>> {
        tx!(self, Mode::Snapshot, |tx| {
            Ok(load_chains(tx, vec![id]).await?.pop())
        })
    }

    async fn admin_chain(&self) -> StoreResult<(Vec<Link>, i64, String)> {
        tx!(self, Mode::Snapshot, |tx| {
            let acts = tx
                .query(
                    "SELECT id, at, actor, action, subject, detail, seq, prev_hash, hash
                       FROM admin_acts ORDER BY seq IS NULL, seq, at, id",
                    vec![],
                )
                .await?
                .iter()
                .map(act_link)
                .collect::<StoreResult<_>>()?;
            let head = tx
                .one(
                    "SELECT seq, hash FROM chain_heads WHERE name = 'admin_acts'",
                    vec![],
                )
                .await?;
            Ok((acts, head.get(0)?, head.get(1)?))
        })
    }

    async fn report_by_case(&self, case_no: &str) -> StoreResult<Option<ReportId>> {
        let case_no = case_no.to_owned();
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                "SELECT report_id FROM cases WHERE case_no = $1",
                params![case_no],
            )
            .await?
            .map(|r| r.get(0))
            .transpose()
        })
    }

    async fn report_signatures(&self, id: ReportId) -> StoreResult<Vec<SignedMutation>> {
        tx!(self, Mode::Read, |tx| {
            let rows = tx
                .query(
                    "SELECT s.device_id, s.mutation_id, s.public_key, s.signature, s.signed
                       FROM signed_mutations s
                      WHERE EXISTS (SELECT 1 FROM report_versions v
                                     WHERE v.report_id = $1 AND v.by_device = s.device_id
                                       AND v.mutation_id = s.mutation_id)
                         OR EXISTS (SELECT 1 FROM case_events e
                                     WHERE e.report_id = $1 AND e.by_device = s.device_id
                                       AND e.mutation_id = s.mutation_id)
                      ORDER BY s.device_id, s.mutation_id",
                    params![id],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(SignedMutation {
                        device: r.get::<gridwalk_protocol::DeviceId>(0)?.to_string(),
                        mutation: r.get(1)?,
                        public_key: r.get(2)?,
                        signature: r.get(3)?,
                        signed: r.get(4)?,
                    })
                })
                .collect()
        })
    }

    async fn held_blobs(&self) -> StoreResult<Vec<(String, u64)>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT sha256, bytes FROM photo_blobs ORDER BY sha256",
                vec![],
            )
            .await?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
    }
}
