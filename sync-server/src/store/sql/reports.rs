//! Every write to a report, in SQL both databases run: a device's push (new reports, edits,
//! verifications), the centre's own changes, steps of the case loop and conflict
//! resolutions. Each is one transaction that locks what it changes, loads what the
//! decision needs, asks [`crate::domain`] and writes the answer.

use gridwalk_protocol::message::msg;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::intake::Source;
use gridwalk_protocol::{
    CaseState, DeviceId, MutationId, Outcome, Report, ReportId, ReportPatch, UserId, Version,
};
use uuid::Uuid;

use super::chain::{last_version_hash, reseal, signature_of};
use super::feed::write_feed;
use super::search;
use super::steps::{held_photos, move_report, step_in};
use super::{Database, Mode, Row, Sql, Ty, Value, params, tag, tx};
use crate::domain::Denied;
use crate::domain::cases::{Action, StepRequest, Stepped};
use crate::domain::chain::{self, ReportRow, VersionFacts};
use crate::domain::conflicts::{self, Resolution};
use crate::domain::duplicates::{self, Candidate};
use crate::domain::edits::{self, Held, History, Plan};
use crate::domain::model::{Author, SignedMutation, StoredReport, Touch};
use crate::domain::photos;
use crate::domain::place::{self, ClaimChange, Placed};
use crate::domain::push::{self, Applied, EditEffect, Effect, Run};
use crate::domain::queue;
use crate::domain::reference::Reference;
use crate::store::{PushApplied, ReportStore, Seen, StoreError, StoreResult};
use gridwalk_evidence::chain::GENESIS;

/// The columns of a report as held ([`stored`] reads them).
pub(crate) const STORED_COLUMNS: &str = "record, state, version, received_at, duplicate_of, \
    deleted_at, note, merged_into, (SELECT case_no FROM cases WHERE cases.report_id = reports.id)";

/// A report as held, from a row of [`STORED_COLUMNS`].
pub(crate) fn stored(r: &Row) -> StoreResult<StoredReport> {
    Ok(StoredReport {
        report: r.json(0)?,
        state: r.get(1)?,
        version: r.get(2)?,
        received_at: r.get(3)?,
        duplicate_of: r.get(4)?,
        deleted_at: r.get(5)?,
        note: r.get(6)?,
        merged_into: r.get(7)?,
        case_no: r.get(8)?,
    })
}

#[async_trait]
impl<D: Database> ReportStore for D {
    async fn apply(
        &self,
        device: DeviceId,
        batch: Vec<(MutationId, Effect)>,
        signed: Vec<SignedMutation>,
        seen: Seen,
        reference: Arc<Reference>,
    ) -> StoreResult<PushApplied> {
        tx!(self, Mode::Write, |tx| {
            apply(tx, device, batch, &signed, &seen, &reference).await
        })
    }

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>> {
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                &format!("SELECT {STORED_COLUMNS} FROM reports WHERE id = $1"),
                params![id],
            )
            .await?
            .as_ref()
            .map(stored)
            .transpose()
        })
    }

    async fn reports(&self, ids: &[ReportId]) -> StoreResult<Vec<StoredReport>> {
        let ids = Value::list(ids.iter().copied());
        tx!(self, Mode::Read, |tx| {
            let any = (tx.dialect().any)("id", 1);
            tx.query(
                &format!("SELECT {STORED_COLUMNS} FROM reports WHERE {any}"),
                vec![ids],
            )
            .await?
            .iter()
            .map(stored)
            .collect()
        })
    }

    async fn report_count(&self) -> StoreResult<u64> {
        tx!(self, Mode::Read, |tx| {
            tx.one("SELECT COUNT(*) FROM reports", vec![]).await?.get(0)
        })
    }

    async fn write_version(
        &self,
        record: &Report,
        expected_version: Version,
        patch: &ReportPatch,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Version> {
        let (record, patch) = (record.clone(), patch.clone());
        tx!(self, Mode::Write, |tx| {
            let held = tx
                .opt(
                    &format!(
                        "SELECT version, state FROM reports
                          WHERE id = $1 AND deleted_at IS NULL{lock}",
                        lock = tx.dialect().lock
                    ),
                    params![record.id],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(msg!(NO_REPORT, id = record.id)))?;
            let (v, state): (Version, CaseState) = (held.get(0)?, held.get(1)?);
            if v != expected_version {
                return Err(StoreError::Stale(msg!(
                    CASE_VERSION,
                    report = record.id,
                    held = v,
                    expected = expected_version
                )));
            }
            let mut touches = Vec::new();
            let version = store_version(
                tx,
                state,
                &record,
                &patch,
                ClaimChange::Keep,
                Author::person(by),
                at,
                false,
                None,
                &mut touches,
            )
            .await?;
            write_feed(tx, touches, at).await?;
            Ok(version)
        })
    }

    async fn delete_report(&self, id: ReportId, at: DateTime<Utc>) -> StoreResult<()> {
        tx!(self, Mode::Write, |tx| {
            let reporter: UserId = tx
                .opt(
                    "UPDATE reports SET deleted_at = COALESCE(deleted_at, $2) WHERE id = $1
                     RETURNING reporter",
                    params![id, at],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(msg!(NO_REPORT, id = id)))?
                .get(0)?;
            reseal(tx, id).await?;
            let touch = Touch {
                tombstone: true,
                ..Touch::report(id, reporter)
            };
            write_feed(tx, vec![touch], at).await
        })
    }

    async fn step(&self, step: &StepRequest, reference: Arc<Reference>) -> StoreResult<Stepped> {
        let step = step.clone();
        tx!(self, Mode::Write, |tx| {
            reference.rules.as_ref().ok_or_else(rules_missing)?;
            let mut touches = Vec::new();
            let stepped = step_in(tx, &step, &reference, &mut touches).await?;
            write_feed(tx, touches, step.at).await?;
            Ok(stepped)
        })
    }

    async fn steps(
        &self,
        steps: &[StepRequest],
        reference: Arc<Reference>,
    ) -> StoreResult<Vec<Stepped>> {
        let steps = steps.to_vec();
        tx!(self, Mode::Write, |tx| {
            reference.rules.as_ref().ok_or_else(rules_missing)?;
            // Every row the steps touch, locked in one order, so two units over the same
            // reports are decided one after the other and cannot deadlock.
            let mut ids: Vec<ReportId> = steps.iter().map(|s| s.report).collect();
            ids.extend(steps.iter().filter_map(|s| match &s.action {
                Action::Merge { into } => Some(*into),
                _ => None,
            }));
            let any = (tx.dialect().any)("id", 1);
            tx.query(
                &format!(
                    "SELECT id FROM reports WHERE {any} ORDER BY id{lock}",
                    lock = tx.dialect().lock
                ),
                vec![Value::list(ids)],
            )
            .await?;
            let mut touches = Vec::new();
            let mut done = Vec::with_capacity(steps.len());
            for step in &steps {
                match step_in(tx, step, &reference, &mut touches).await? {
                    Stepped::Refused(why) => return Err(StoreError::Refused(why)),
                    stepped => done.push(stepped),
                }
            }
            if let Some(at) = steps.first().map(|s| s.at) {
                write_feed(tx, touches, at).await?;
            }
            Ok(done)
        })
    }

    async fn resolve_conflict(&self, r: &Resolution) -> StoreResult<Version> {
        let r = r.clone();
        tx!(self, Mode::Write, |tx| {
            let resolved_at: Option<DateTime<Utc>> = tx
                .opt(
                    &format!(
                        "SELECT resolved_at FROM conflicts WHERE id = $1{lock}",
                        lock = tx.dialect().lock
                    ),
                    params![r.conflict],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(msg!(NO_CONFLICT, id = r.conflict)))?
                .get(0)?;
            let held = tx
                .one(
                    &format!(
                        "SELECT version, state FROM reports WHERE id = $1{lock}",
                        lock = tx.dialect().lock
                    ),
                    params![r.record.id],
                )
                .await?;
            let (version, state): (Version, CaseState) = (held.get(0)?, held.get(1)?);
            conflicts::check_write(
                r.conflict,
                resolved_at,
                r.record.id,
                version,
                r.expected_version,
            )
            .map_err(|d| match d {
                Denied::Refused(m) | Denied::Invalid(m) | Denied::Forbidden(m) => {
                    StoreError::Stale(m)
                }
                Denied::NotFound(m) => StoreError::NotFound(m),
            })?;
            let mut touches = Vec::new();
            let version = if r.patch.is_empty() {
                version
            } else {
                let by = Author::person(r.by);
                store_version(
                    tx,
                    state,
                    &r.record,
                    &r.patch,
                    r.claim.clone(),
                    by,
                    r.at,
                    false,
                    None,
                    &mut touches,
                )
                .await?
            };
            tx.execute(
                "UPDATE conflicts SET resolved_at = $2, resolution = $3, resolved_by = $4
                  WHERE id = $1",
                vec![
                    Value::from(r.conflict),
                    Value::from(r.at),
                    Value::json(&r.choices)?,
                    Value::from(r.by),
                ],
            )
            .await?;
            write_feed(tx, touches, r.at).await?;
            Ok(version)
        })
    }
}

fn rules_missing() -> StoreError {
    StoreError::NotFound(msg!(RULES_NOT_LOADED))
}

/// A device's push, in the caller's transaction.
async fn apply(
    tx: &mut dyn Sql,
    device: DeviceId,
    batch: Vec<(MutationId, Effect)>,
    signed: &[SignedMutation],
    seen: &Seen,
    reference: &Reference,
) -> StoreResult<PushApplied> {
    let at = seen.at;
    let first: MutationId = tx
        .opt(
            &format!(
                "SELECT last_applied FROM devices WHERE id = $1{lock}",
                lock = tx.dialect().lock
            ),
            params![device],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(msg!(NO_DEVICE, device = device)))?
        .get(0)?;
    let seq = push::sequence(batch, first);
    let sent: HashMap<MutationId, &str> = signed
        .iter()
        .filter(|s| s.id <= first)
        .map(|s| (s.id, s.form.as_str()))
        .collect();
    if !sent.is_empty() {
        let kept = kept_forms(tx, device, seq.repeats.clone()).await?;
        if let Some(from) = push::first_reused(&seq.repeats, &kept, &sent) {
            return Ok(PushApplied {
                answers: vec![Applied::Reused {
                    from,
                    expected: first + 1,
                }],
                last_applied: first,
            });
        }
    }
    let recorded = recorded_answers(tx, device, seq.repeats.clone()).await?;
    let review_due = review_due(reference, at);
    let mut touches = Vec::new();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(seq.fresh.len());
    let ids: Vec<MutationId> = seq.fresh.iter().map(|(id, _)| *id).collect();
    let signatures = keep_signatures(tx, device, &ids, signed).await?;
    for run in push::runs(seq.fresh.clone()) {
        match run {
            Run::Reports(list) => {
                let list = list.into_iter().map(|(m, p)| (Some(m), p)).collect();
                outcomes.extend(
                    receive_reports(
                        tx,
                        device,
                        list,
                        &signatures,
                        at,
                        review_due,
                        None,
                        &mut touches,
                    )
                    .await?,
                );
            }
            Run::One(_, Effect::Reject(reason)) => outcomes.push(Outcome::rejected(reason)),
            Run::One(id, Effect::InsertReport(placed)) => {
                outcomes.extend(
                    receive_reports(
                        tx,
                        device,
                        vec![(Some(id), *placed)],
                        &signatures,
                        at,
                        review_due,
                        None,
                        &mut touches,
                    )
                    .await?,
                );
            }
            Run::One(id, Effect::EditReport(e)) => {
                outcomes.push(edit_report(tx, id, &e, reference, at, &mut touches).await?);
            }
            Run::One(id, Effect::Step(step)) => {
                let mut step = *step;
                step.by.mutation = Some(id);
                reference.rules.as_ref().ok_or_else(rules_missing)?;
                outcomes.push(match step_in(tx, &step, reference, &mut touches).await? {
                    Stepped::Done { .. } => Outcome::Applied,
                    Stepped::Refused(reason) => Outcome::rejected(reason),
                });
            }
        }
    }
    if seq.gap.is_none() {
        let rows = ids
            .iter()
            .zip(&outcomes)
            .map(|(id, o)| {
                Ok(vec![
                    Value::from(device),
                    Value::from(*id),
                    Value::json(o)?,
                    Value::from(at),
                ])
            })
            .collect::<StoreResult<Vec<_>>>()?;
        tx.insert_many(
            "applied_mutations",
            &[
                ("device_id", Ty::Uuid),
                ("mutation_id", Ty::Int),
                ("outcome", Ty::Json),
                ("applied_at", Ty::Time),
            ],
            rows,
            "",
        )
        .await?;
        tx.execute(
            "UPDATE devices SET last_applied = $2, last_seen = $3, app_version = $4,
                    queue_reports = $5, queue_photos = $6, queue_bytes = $7,
                    model = COALESCE($8, model)
              WHERE id = $1",
            params![
                device,
                seq.last,
                at,
                &seen.app_version,
                seen.queue.reports,
                seen.queue.photos,
                seen.queue.bytes,
                seen.model.as_deref()
            ],
        )
        .await?;
    }
    // Last before commit: the feed's numbers are held only while committing.
    write_feed(tx, touches, at).await?;
    Ok(PushApplied {
        answers: push::answers(&seq, &recorded, outcomes),
        last_applied: seq.last,
    })
}

/// Keeps the signatures of the mutations applied now (`ids`), before what they produce is
/// written (whose rows copy their signature); returns them by mutation number.
async fn keep_signatures(
    tx: &mut dyn Sql,
    device: DeviceId,
    ids: &[MutationId],
    signed: &[SignedMutation],
) -> StoreResult<HashMap<MutationId, String>> {
    let fresh: Vec<&SignedMutation> = signed.iter().filter(|s| ids.contains(&s.id)).collect();
    if fresh.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = fresh
        .iter()
        .map(|s| {
            vec![
                Value::from(device),
                Value::from(s.id),
                Value::from(&s.public_key),
                Value::from(&s.signature),
                Value::from(&s.form),
            ]
        })
        .collect();
    tx.insert_many(
        "signed_mutations",
        &[
            ("device_id", Ty::Uuid),
            ("mutation_id", Ty::Int),
            ("public_key", Ty::Text),
            ("signature", Ty::Text),
            ("signed", Ty::Text),
        ],
        rows,
        "",
    )
    .await?;
    Ok(fresh
        .into_iter()
        .map(|s| (s.id, s.signature.clone()))
        .collect())
}

/// The signed forms kept for these mutations of `device`, by number.
async fn kept_forms(
    tx: &mut dyn Sql,
    device: DeviceId,
    ids: Vec<MutationId>,
) -> StoreResult<HashMap<MutationId, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let any = (tx.dialect().any)("mutation_id", 2);
    tx.query(
        &format!("SELECT mutation_id, signed FROM signed_mutations WHERE device_id = $1 AND {any}"),
        vec![Value::from(device), Value::list(ids)],
    )
    .await?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect()
}

/// The answers recorded for these mutations of `device`.
async fn recorded_answers(
    tx: &mut dyn Sql,
    device: DeviceId,
    ids: Vec<MutationId>,
) -> StoreResult<HashMap<MutationId, Outcome>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let any = (tx.dialect().any)("mutation_id", 2);
    tx.query(
        &format!(
            "SELECT mutation_id, outcome FROM applied_mutations WHERE device_id = $1 AND {any}"
        ),
        vec![Value::from(device), Value::list(ids)],
    )
    .await?
    .iter()
    .map(|r| Ok((r.get(0)?, r.json(1)?)))
    .collect()
}

/// How many duplicate-candidate searches go in one statement: the search is padded to a
/// power of two of them, so only a few statement texts exist to prepare.
fn padded(n: usize) -> usize {
    n.next_power_of_two()
}

/// The held reports that might duplicate each of `new` (same category, in its search box
/// and time window), in one statement.
async fn duplicate_candidates(
    tx: &mut dyn Sql,
    new: &[&Report],
) -> StoreResult<Vec<Vec<Candidate>>> {
    let mut out = vec![Vec::new(); new.len()];
    if new.is_empty() {
        return Ok(out);
    }
    let window = duplicates::WINDOW.num_seconds();
    let mut values = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for i in 0..padded(new.len()) {
        let n = params.len();
        values.push(format!(
            "(CAST(${} AS BIGINT), CAST(${} AS TEXT), CAST(${} AS BIGINT), CAST(${} AS BIGINT), \
              CAST(${} AS DOUBLE PRECISION), CAST(${} AS DOUBLE PRECISION), \
              CAST(${} AS DOUBLE PRECISION), CAST(${} AS DOUBLE PRECISION), CAST(${} AS TEXT))",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7,
            n + 8,
            n + 9
        ));
        match new.get(i) {
            Some(r) => {
                let (lon0, lon1, lat0, lat1) =
                    duplicates::search_box(r.location.lon, r.location.lat);
                let t = r.observed_at.timestamp();
                params.extend([
                    Value::from(i as u64),
                    Value::from(r.category.as_str()),
                    Value::from(t - window),
                    Value::from(t + window),
                    Value::from(lon0),
                    Value::from(lon1),
                    Value::from(lat0),
                    Value::from(lat1),
                    Value::from(tag(&r.kind)),
                ]);
            }
            // Padding: an empty category matches no report.
            None => params.extend([
                Value::from(i as u64),
                Value::from(""),
                Value::Int(0),
                Value::Int(-1),
                Value::Real(0.0),
                Value::Real(0.0),
                Value::Real(0.0),
                Value::Real(0.0),
                Value::from(""),
            ]),
        }
    }
    let rows = tx
        .query(
            &format!(
                "WITH q (i, cat, s0, s1, lon0, lon1, lat0, lat1, kind) AS (VALUES {})
                 SELECT q.i, r.id, r.lon, r.lat, r.observed_s FROM q
                   JOIN reports r ON r.category = q.cat AND r.kind = q.kind
                                 AND r.observed_s BETWEEN q.s0 AND q.s1
                                 AND r.lon BETWEEN q.lon0 AND q.lon1
                                 AND r.lat BETWEEN q.lat0 AND q.lat1",
                values.join(", ")
            ),
            params,
        )
        .await?;
    for row in rows {
        let i: u64 = row.get(0)?;
        let s: i64 = row.get(4)?;
        let i = usize::try_from(i).unwrap_or(usize::MAX);
        if let (Some(list), Some(of)) = (out.get_mut(i), new.get(i)) {
            // Same kind and 小类 as the report it is a candidate for (the join says so).
            list.push(Candidate {
                id: row.get(1)?,
                kind: of.kind,
                category: of.category.clone(),
                lon: row.get(2)?,
                lat: row.get(3)?,
                observed_at: DateTime::from_timestamp(s, 0).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// The deadline of a team leader's review (受理) starting at `at`, by the case rules; none
/// for a centre without them.
fn review_due(reference: &Reference, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    reference
        .rules
        .as_ref()
        .and_then(|r| r.step_due(CaseState::PendingReview, at, None))
}

/// A report filed by another port ([`crate::domain::ports`]): where it came from, the
/// port's reference, and the deadline of its on-site check (核实), which it waits on.
#[derive(Debug, Clone)]
pub(crate) struct PortOrigin {
    pub source: Source,
    pub caller_ref: String,
    pub check_due: Option<DateTime<Utc>>,
}

/// Receives a run of new reports from `device` (by its mutations, or filed by a port with
/// `port` and no mutation): repeats of reports already held are answered by
/// [`push::resubmitted`]; the rest are written together.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn receive_reports(
    tx: &mut dyn Sql,
    device: DeviceId,
    list: Vec<(Option<MutationId>, Placed)>,
    signatures: &HashMap<MutationId, String>,
    at: DateTime<Utc>,
    review_due: Option<DateTime<Utc>>,
    port: Option<&PortOrigin>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Vec<Outcome>> {
    let mutation_of: HashMap<ReportId, MutationId> = list
        .iter()
        .filter_map(|(m, p)| m.map(|m| (p.report.id, m)))
        .collect();
    let any = (tx.dialect().any)("id", 1);
    // Each held report as its device sent it: the record with the claim put back.
    let held: HashMap<ReportId, Report> = tx
        .query(
            &format!("SELECT id, record, claim FROM reports WHERE {any}"),
            vec![Value::list(list.iter().map(|(_, p)| p.report.id))],
        )
        .await?
        .iter()
        .map(|r| {
            let claim = r.json_opt(2)?;
            Ok((r.get(0)?, place::as_sent(&r.json(1)?, claim.as_ref())))
        })
        .collect::<StoreResult<_>>()?;
    let mut outcomes = Vec::with_capacity(list.len());
    let mut new: Vec<Placed> = Vec::new();
    for (_, placed) in list {
        let sent = placed.as_sent();
        let earlier = held.get(&sent.id).cloned().or_else(|| {
            new.iter()
                .find(|n| n.report.id == sent.id)
                .map(Placed::as_sent)
        });
        match earlier {
            Some(e) => outcomes.push(push::resubmitted(&e, &sent)),
            None => {
                outcomes.push(Outcome::Applied);
                new.push(placed);
            }
        }
    }
    if new.is_empty() {
        return Ok(outcomes);
    }
    let candidates =
        duplicate_candidates(tx, &new.iter().map(|p| &p.report).collect::<Vec<_>>()).await?;
    let shas = new
        .iter()
        .flat_map(|p| p.report.photos.iter().map(|p| p.sha256.clone()))
        .collect();
    // Every new report of one push has the device's inspector as its reporter (a report
    // naming another is refused before it gets here).
    let holder = new.first().map(|p| p.report.reporter);
    let held_shas = held_photos(tx, shas, holder).await?;
    let mut receipts = push::receive(new, &candidates, &held_shas);
    if port.is_some() {
        // A port's report waits for the on-site check first, whatever its photos.
        for rc in &mut receipts {
            rc.state = CaseState::AwaitingCheck;
        }
    }
    let step_due = |state: CaseState| match (state, port) {
        (CaseState::AwaitingCheck, Some(p)) => p.check_due,
        (CaseState::PendingReview, _) => review_due,
        _ => None,
    };

    let mut reports = Vec::with_capacity(receipts.len());
    let mut photos = Vec::new();
    let mut versions = Vec::with_capacity(receipts.len());
    for rc in &receipts {
        let r = &rc.report;
        let record = Value::json(r)?;
        let record_json = to_json(r)?;
        let mutation = mutation_of.get(&r.id).copied();
        let signature = mutation.and_then(|m| signatures.get(&m)).cloned();
        let version = chain::version_entry(&VersionFacts {
            report: r.id,
            version: 1,
            record: record_json.clone(),
            patch: None,
            by_user: Some(r.reporter),
            by_device: Some(device),
            mutation: mutation.and_then(|m| i64::try_from(m).ok()),
            signature: signature.clone(),
            at,
            form: chain::CHAIN_FORM,
        })
        .hash(GENESIS);
        let row = ReportRow {
            id: r.id,
            device,
            reporter: r.reporter,
            version: 1,
            state: rc.state.as_str().to_owned(),
            kind: tag(&r.kind),
            category: r.category.as_str().to_owned(),
            cell: r.cell.as_ref().map(|c| c.as_str().to_owned()),
            urgency: tag(&r.urgency),
            observed_at: r.observed_at.to_utc(),
            record: record_json,
            received_at: at,
            lon: Some(r.location.lon),
            lat: Some(r.location.lat),
            duplicate_of: rc.duplicate_of,
            deleted_at: None,
            note: None,
            merged_into: None,
            state_at: Some(at),
            case: None,
        };
        let seal = row.seal(Some(&version), None);
        reports.push(vec![
            Value::from(r.id),
            Value::from(device),
            Value::from(r.reporter),
            Value::Int(1),
            Value::from(rc.state),
            Value::from(tag(&r.kind)),
            Value::from(r.category.as_str()),
            Value::from(r.cell.as_ref()),
            Value::from(tag(&r.urgency)),
            Value::from(r.observed_at),
            record.clone(),
            Value::from(at),
            Value::from(r.location.lon),
            Value::from(r.location.lat),
            Value::from(r.observed_at.timestamp()),
            Value::from(at),
            Value::from(rc.duplicate_of),
            Value::from(seal),
            rc.claim.as_ref().map_or(Ok(Value::Null), Value::json)?,
            Value::Text(queue::search_text(r)),
            Value::from(step_due(rc.state)),
            Value::from(port.map_or(Source::Inspector, |p| p.source).as_str()),
            Value::from(port.map(|p| p.caller_ref.clone())),
            Value::from(step_due(rc.state)),
        ]);
        for (p, held) in r.photos.iter().zip(&rc.photos_held) {
            photos.push(vec![
                Value::from(r.id),
                Value::from(p.id),
                Value::from(&p.sha256),
                Value::from(p.bytes),
                Value::from(*held),
                Value::from(p.width),
                Value::from(p.height),
            ]);
        }
        versions.push(vec![
            Value::from(r.id),
            Value::Int(1),
            record,
            Value::from(r.reporter),
            Value::from(device),
            Value::from(mutation),
            Value::from(signature),
            Value::from(at),
            Value::from(GENESIS),
            Value::from(version),
            Value::Int(chain::CHAIN_FORM),
        ]);
        touches.push(Touch::report(r.id, r.reporter));
    }
    tx.insert_many(
        "reports",
        &[
            ("id", Ty::Uuid),
            ("device_id", Ty::Uuid),
            ("reporter", Ty::Uuid),
            ("version", Ty::Int),
            ("state", Ty::Text),
            ("kind", Ty::Text),
            ("category", Ty::Text),
            ("cell", Ty::Text),
            ("urgency", Ty::Text),
            ("observed_at", Ty::Time),
            ("record", Ty::Json),
            ("received_at", Ty::Time),
            ("lon", Ty::Real),
            ("lat", Ty::Real),
            ("observed_s", Ty::Int),
            ("state_at", Ty::Time),
            ("duplicate_of", Ty::Uuid),
            ("seal", Ty::Text),
            ("claim", Ty::Json),
            ("search_text", Ty::Text),
            ("step_due_at", Ty::Time),
            ("source", Ty::Text),
            ("caller_ref", Ty::Text),
            ("entry_due_at", Ty::Time),
        ],
        reports,
        "",
    )
    .await?;
    search::index_new(
        tx,
        &receipts.iter().map(|rc| &rc.report).collect::<Vec<_>>(),
    )
    .await?;
    tx.insert_many("report_photos", PHOTO_COLUMNS, photos, "")
        .await?;
    tx.insert_many(
        "report_versions",
        &[
            ("report_id", Ty::Uuid),
            ("version", Ty::Int),
            ("record", Ty::Json),
            ("by_user", Ty::Uuid),
            ("by_device", Ty::Uuid),
            ("mutation_id", Ty::Int),
            ("signature", Ty::Text),
            ("at", Ty::Time),
            ("prev_hash", Ty::Text),
            ("hash", Ty::Text),
            ("chain_form", Ty::Int),
        ],
        versions,
        "",
    )
    .await?;
    Ok(outcomes)
}

/// A value as JSON, to be hashed.
fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(v)
        .map_err(|e| StoreError::Corrupt(format!("a value does not serialise: {e}")))
}

const PHOTO_COLUMNS: &[(&str, Ty)] = &[
    ("report_id", Ty::Uuid),
    ("photo_id", Ty::Uuid),
    ("sha256", Ty::Text),
    ("bytes", Ty::Int),
    ("arrived", Ty::Bool),
    ("width", Ty::Int),
    ("height", Ty::Int),
];

/// Merges a device's edit ([`edits::plan`]) and writes what it decides.
async fn edit_report(
    tx: &mut dyn Sql,
    mutation: MutationId,
    e: &EditEffect,
    reference: &Reference,
    at: DateTime<Utc>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Outcome> {
    let held: Option<Held> = tx
        .opt(
            &format!(
                "SELECT record, version, state, deleted_at IS NOT NULL FROM reports
                  WHERE id = $1{lock}",
                lock = tx.dialect().lock
            ),
            params![e.report],
        )
        .await?
        .map(|r| {
            Ok::<_, StoreError>(Held {
                record: r.json(0)?,
                version: r.get(1)?,
                state: r.get(2)?,
                deleted: r.get(3)?,
            })
        })
        .transpose()?;
    let base: Option<Report> = tx
        .opt(
            "SELECT record FROM report_versions WHERE report_id = $1 AND version = $2",
            params![e.report, e.base_version],
        )
        .await?
        .map(|r| r.json(0))
        .transpose()?;
    let own_later: Vec<ReportPatch> = tx
        .query(
            // One more than the most that are replayed, so `plan` can tell there are more.
            &format!(
                "SELECT patch FROM report_versions
                  WHERE report_id = $1 AND version > $2 AND by_device = $3
                    AND patch IS NOT NULL
                  ORDER BY version LIMIT {}",
                edits::MAX_UNTAKEN_EDITS + 1
            ),
            params![e.report, e.base_version, e.device.id],
        )
        .await?
        .iter()
        .map(|r| r.json(0))
        .collect::<StoreResult<_>>()?;
    let history = History {
        base: base.as_ref(),
        own_later: &own_later,
    };
    let plan = edits::plan(
        &e.device,
        held.as_ref(),
        e.base_version,
        history,
        &e.patch,
        reference,
        e.now,
    );
    let (record, conflicts, direct, central_version) = match plan {
        Plan::Reject(reason) => return Ok(Outcome::rejected(reason)),
        Plan::Settle {
            record,
            conflicts,
            direct,
            central_version,
        } => (record, conflicts, direct, central_version),
    };
    if let (Some(record), Some(held)) = (record, &held) {
        let author = Author {
            mutation: Some(mutation),
            ..Author::device(&e.device)
        };
        let (record, claim) = place::after_edit(*record, &e.patch, &reference.grid, &e.cells);
        let review_due = review_due(reference, at);
        store_version(
            tx, held.state, &record, &e.patch, claim, author, at, true, review_due, touches,
        )
        .await?;
    }
    if conflicts.is_empty() {
        return Ok(edits::answer(direct, None));
    }
    let conflict = Uuid::now_v7();
    tx.execute(
        "INSERT INTO conflicts (id, report_id, device_id, mutation_id, base_version,
                                central_version, fields, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            Value::from(conflict),
            Value::from(e.report),
            Value::from(e.device.id),
            Value::from(mutation),
            Value::from(e.base_version),
            Value::from(central_version),
            Value::json(&conflicts)?,
            Value::from(at),
        ],
    )
    .await?;
    Ok(edits::answer(direct, Some(conflict)))
}

/// Writes `record` as its report's next version, with its photos and what it does to the
/// device's claim about the place, and moves the report as its photos say
/// ([`photos::after_version`]); `state` is the report's state, read under its lock by the
/// caller; with `resubmit` (an inspector's own edit) a returned report goes back to intake,
/// its review due by `review_due`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_version(
    tx: &mut dyn Sql,
    state: CaseState,
    record: &Report,
    patch: &ReportPatch,
    claim: ClaimChange,
    by: Author,
    at: DateTime<Utc>,
    resubmit: bool,
    review_due: Option<DateTime<Utc>>,
    touches: &mut Vec<Touch>,
) -> StoreResult<Version> {
    let id = record.id;
    let body = Value::json(record)?;
    let row = tx
        .one(
            "UPDATE reports SET record = $2, version = version + 1, kind = $3, category = $4,
                    cell = $5, urgency = $6, observed_at = $7, lon = $8, lat = $9,
                    observed_s = $10
              WHERE id = $1 RETURNING version, reporter",
            vec![
                Value::from(id),
                body.clone(),
                Value::from(tag(&record.kind)),
                Value::from(record.category.as_str()),
                Value::from(record.cell.as_ref()),
                Value::from(tag(&record.urgency)),
                Value::from(record.observed_at),
                Value::from(record.location.lon),
                Value::from(record.location.lat),
                Value::from(record.observed_at.timestamp()),
            ],
        )
        .await?;
    let (version, reporter): (Version, UserId) = (row.get(0)?, row.get(1)?);
    search::reindex(tx, record).await?;
    if let ClaimChange::Set(claim) = claim {
        tx.execute(
            "UPDATE reports SET claim = $2 WHERE id = $1",
            vec![
                Value::from(id),
                claim.as_ref().map_or(Ok(Value::Null), Value::json)?,
            ],
        )
        .await?;
    }
    let prev = last_version_hash(tx, id).await?;
    let number = i64::try_from(version)
        .map_err(|_| StoreError::Invalid(msg!(VALUE_TOO_LARGE, n = version)))?;
    let mutation = by
        .mutation
        .map(i64::try_from)
        .transpose()
        .map_err(|_| StoreError::Invalid(msg!(VALUE_TOO_LARGE, n = "mutation")))?;
    let signature = signature_of(tx, by.device, by.mutation).await?;
    let hash = chain::version_entry(&VersionFacts {
        report: id,
        version: number,
        record: to_json(record)?,
        patch: Some(to_json(patch)?),
        by_user: by.user,
        by_device: by.device,
        mutation,
        signature: signature.clone(),
        at,
        form: chain::CHAIN_FORM,
    })
    .hash(&prev);
    tx.execute(
        "INSERT INTO report_versions (report_id, version, record, patch, by_user, by_device,
                                      mutation_id, at, prev_hash, hash, signature, chain_form)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            Value::from(id),
            Value::from(version),
            body,
            Value::json(patch)?,
            Value::from(by.user),
            Value::from(by.device),
            Value::from(by.mutation),
            Value::from(at),
            Value::from(prev),
            Value::from(hash),
            Value::from(signature),
            Value::Int(chain::CHAIN_FORM),
        ],
    )
    .await?;
    let any = (tx.dialect().any)("photo_id", 2);
    tx.execute(
        &format!("DELETE FROM report_photos WHERE report_id = $1 AND NOT ({any})"),
        vec![
            Value::from(id),
            Value::list(record.photos.iter().map(|p| p.id)),
        ],
    )
    .await?;
    let shas = record.photos.iter().map(|p| p.sha256.clone()).collect();
    let held = held_photos(tx, shas, Some(reporter)).await?;
    let rows = record
        .photos
        .iter()
        .map(|p| {
            vec![
                Value::from(id),
                Value::from(p.id),
                Value::from(&p.sha256),
                Value::from(p.bytes),
                Value::from(held.contains(&p.sha256)),
                Value::from(p.width),
                Value::from(p.height),
            ]
        })
        .collect();
    tx.insert_many(
        "report_photos",
        PHOTO_COLUMNS,
        rows,
        "ON CONFLICT (report_id, photo_id) DO NOTHING",
    )
    .await?;
    let all_held = record.photos.iter().all(|p| held.contains(&p.sha256));
    if let Some(m) = photos::after_version(id, state, all_held, resubmit, by, at, review_due) {
        move_report(tx, id, m.to, &m.event).await?;
    } else {
        reseal(tx, id).await?;
    }
    touches.push(Touch::report(id, reporter));
    Ok(version)
}
