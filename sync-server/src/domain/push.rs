//! A device's push: what each mutation asks of the centre, in what order, and how new
//! reports are received.
//!
//! 1. [`decide`] turns each mutation into an [`Effect`] before anything is loaded. A
//!    submitted report is checked here: it belongs to the device that sent it and obeys
//!    every rule of the code table it was filed under; and it is placed in the centre's
//!    grid ([`crate::domain::place`]). An edit and a completed verification
//!    depend on what the centre holds, so they are decided in the store's transaction, by
//!    [`crate::domain::edits::plan`] and [`crate::domain::cases::plan_step`].
//! 2. [`sequence`] places the batch against the device's `last_applied`: numbers already
//!    applied are repeats (answered from the record, changing nothing), the next ones are
//!    applied in order, and a batch that skips ahead stops at the gap.
//! 3. [`runs`] groups the fresh mutations so that consecutive new reports are written
//!    together (one statement per table, not per report), while an edit or a step is
//!    applied alone, after the reports before it.
//! 4. [`receive`] decides how each new report is held: the earlier report it likely
//!    duplicates (among those held and those ahead of it in the same push), which of its
//!    photos the centre already holds, and so its first state.

use gridwalk_protocol::message::{Message, code, msg};
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::PlaceClaim;
use gridwalk_protocol::{
    CaseState, CellCode, Mutation, MutationBody, MutationId, Outcome, QueueStats, Report, ReportId,
    ReportPatch, Version, validate_report, validate_times,
};

use super::cases::{Action, StepRequest, TaskDone};
use super::duplicates::{self, Candidate};
use super::model::{Author, Device};
use super::place::{self, Placed};
use super::reference::Reference;

/// What a mutation asks of the store.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Insert a new report, as the centre placed it; if one with the same ID exists, the
    /// mutation is a repeat under another number and is answered as applied only when the
    /// record sent is identical.
    InsertReport(Box<Placed>),
    /// Merge a device's edit into a held report.
    EditReport(Box<EditEffect>),
    /// A step of the case loop a device took (a verification done in the field); refused
    /// steps are answered as rejected, in words.
    Step(Box<StepRequest>),
    /// Write nothing; answer with this reason.
    Reject(Message),
}

/// A device's edit, for [`crate::domain::edits::plan`].
#[derive(Debug, Clone)]
pub struct EditEffect {
    pub report: ReportId,
    pub base_version: Version,
    pub patch: ReportPatch,
    pub device: Device,
    /// The device's inspector's own cells, for placing a moved report.
    pub cells: Vec<CellCode>,
    pub now: DateTime<Utc>,
}

/// The answer to one mutation of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied now, or answered from the record of an earlier identical attempt.
    Answer(Outcome),
    /// The mutation number skips ahead; nothing was written.
    Gap { expected: MutationId },
    /// The push reuses numbers the centre applied with other content, from `from` on;
    /// nothing was written ([`first_reused`]).
    Reused {
        from: MutationId,
        expected: MutationId,
    },
}

/// The effect of one mutation from `device`, whose inspector has `cells`;
/// `max_photo_bytes` is the largest upload this centre takes, so a report naming a larger
/// photo (which could never arrive) is refused.
#[must_use]
pub fn decide(
    body: &MutationBody,
    device: &Device,
    cells: &[CellCode],
    reference: &Reference,
    max_photo_bytes: u64,
    now: DateTime<Utc>,
) -> Effect {
    match body {
        MutationBody::CompleteTask {
            task,
            report,
            passed,
            note,
            photos,
        } => Effect::Step(Box::new(StepRequest {
            report: *report,
            action: Action::Verify {
                passed: *passed,
                note: None,
            },
            seen: Some(CaseState::Handled),
            by: Author::device(device),
            at: now,
            task: Some(TaskDone {
                id: *task,
                note: note.clone().filter(|n| !n.trim().is_empty()),
                photos: photos.clone(),
            }),
            department_seen: None,
        })),
        MutationBody::SubmitReport { report } => {
            decide_submit(report, device, cells, reference, max_photo_bytes, now)
        }
        MutationBody::EditReport {
            report,
            base_version,
            patch,
        } => Effect::EditReport(Box::new(EditEffect {
            report: *report,
            base_version: *base_version,
            patch: (**patch).clone(),
            device: device.clone(),
            cells: cells.to_vec(),
            now,
        })),
    }
}

fn decide_submit(
    report: &Report,
    device: &Device,
    cells: &[CellCode],
    reference: &Reference,
    max_photo_bytes: u64,
    now: DateTime<Utc>,
) -> Effect {
    if report.device != device.id {
        return Effect::Reject(msg!(
            DEVICE_MISMATCH,
            named = report.device,
            device = device.id
        ));
    }
    if report.reporter != device.user {
        return Effect::Reject(msg!(
            REPORTER_MISMATCH,
            reporter = report.reporter,
            enrolled = device.user
        ));
    }
    let Some(table) = reference.table(&report.code_table_version) else {
        return Effect::Reject(msg!(
            UNKNOWN_CODE_TABLE,
            version = gridwalk_protocol::validate::shown(&report.code_table_version)
        ));
    };
    if let Err(e) = validate_report(report, table, now).and(validate_times(report, now)) {
        return Effect::Reject(e.as_message(code::REPORT_INVALID));
    }
    if let Some(p) = report.photos.iter().find(|p| p.bytes > max_photo_bytes) {
        return Effect::Reject(msg!(
            PHOTO_TOO_LARGE,
            photo = p.id,
            bytes = p.bytes,
            max = max_photo_bytes
        ));
    }
    Effect::InsertReport(Box::new(place::settle(
        report.clone(),
        &reference.grid,
        cells,
    )))
}

/// Checks that a batch's mutation numbers are consecutive and ascending.
pub fn check_batch(ids: impl IntoIterator<Item = MutationId>) -> Result<(), String> {
    let mut prev: Option<MutationId> = None;
    for id in ids {
        if id == 0 {
            return Err("mutation numbers start at 1".into());
        }
        if let Some(p) = prev
            && id != p + 1
        {
            return Err(format!(
                "mutation {id} follows {p}: a batch must be consecutive"
            ));
        }
        prev = Some(id);
    }
    Ok(())
}

/// A batch placed against what the device already had applied.
#[derive(Debug, Clone)]
pub struct Sequenced {
    /// Mutations already applied: answer them from the record.
    pub repeats: Vec<MutationId>,
    /// Mutations to apply now, in order.
    pub fresh: Vec<(MutationId, Effect)>,
    /// Where the batch skips ahead, naming the number expected.
    pub gap: Option<MutationId>,
    /// The device's last applied number once the fresh ones are applied.
    pub last: MutationId,
}

/// Orders a device's mutations: each is applied once, in number order, with no holes.
#[must_use]
pub fn sequence(batch: Vec<(MutationId, Effect)>, last_applied: MutationId) -> Sequenced {
    let mut out = Sequenced {
        repeats: Vec::new(),
        fresh: Vec::new(),
        gap: None,
        last: last_applied,
    };
    for (id, effect) in batch {
        if id <= out.last {
            out.repeats.push(id);
        } else if id == out.last + 1 {
            out.last = id;
            out.fresh.push((id, effect));
        } else {
            out.gap = Some(out.last + 1);
            break;
        }
    }
    out
}

/// The first repeated number whose signed form differs from the one the centre kept when
/// it applied that number (`kept`, by number; `sent`, this push's signed forms).
///
/// A device numbers its mutations itself, one after the other. If its database goes back
/// in time (restored from a copy, or a power cut that lost its last commits after they were
/// sent), it hands out numbers the centre already applied to new work. Those are not
/// repeats: answering them from the record would make the device delete work the centre
/// never saw. A number whose kept form is missing (applied before devices signed) cannot
/// be compared and counts as a repeat, as before.
#[must_use]
pub fn first_reused(
    repeats: &[MutationId],
    kept: &std::collections::HashMap<MutationId, String>,
    sent: &std::collections::HashMap<MutationId, &str>,
) -> Option<MutationId> {
    repeats
        .iter()
        .copied()
        .find(|id| matches!((kept.get(id), sent.get(id)), (Some(k), Some(s)) if k != s))
}

/// The answers to a batch, in its order: repeats from the record (`recorded`; a repeat
/// whose answer is no longer kept is [`forgotten`]), then the fresh ones, then the gap.
#[must_use]
pub fn answers(
    seq: &Sequenced,
    recorded: &std::collections::HashMap<MutationId, Outcome>,
    fresh: Vec<Outcome>,
) -> Vec<Applied> {
    let mut out: Vec<Applied> = seq
        .repeats
        .iter()
        .map(|id| Applied::Answer(recorded.get(id).cloned().unwrap_or_else(|| forgotten(*id))))
        .collect();
    out.extend(fresh.into_iter().map(Applied::Answer));
    if let Some(expected) = seq.gap {
        out.push(Applied::Gap { expected });
    }
    out
}

/// The answer to a repeated mutation whose recorded answer is gone (kept answers may be
/// pruned one day); it never re-applies anything.
#[must_use]
pub fn forgotten(id: MutationId) -> Outcome {
    Outcome::rejected(msg!(ANSWER_FORGOTTEN, id = id))
}

/// A report ID the centre already holds (`held`, as it was sent), sent again under another
/// mutation number: the same record is simply acknowledged; a different one is refused,
/// never overwritten.
#[must_use]
pub fn resubmitted(held: &Report, sent: &Report) -> Outcome {
    if held == sent {
        Outcome::Applied
    } else {
        Outcome::rejected(msg!(ALREADY_RECEIVED, report = sent.id))
    }
}

/// A stretch of a batch applied together.
#[derive(Debug, Clone)]
pub enum Run {
    /// Consecutive new reports.
    Reports(Vec<(MutationId, Placed)>),
    /// One mutation applied on its own.
    One(MutationId, Effect),
}

/// Groups fresh mutations into runs, keeping their order.
#[must_use]
pub fn runs(fresh: Vec<(MutationId, Effect)>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (id, effect) in fresh {
        match (effect, out.last_mut()) {
            (Effect::InsertReport(r), Some(Run::Reports(run))) => run.push((id, *r)),
            (Effect::InsertReport(r), _) => out.push(Run::Reports(vec![(id, *r)])),
            (other, _) => out.push(Run::One(id, other)),
        }
    }
    out
}

/// How a new report is held.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The record, with the centre's cell and flags.
    pub report: Report,
    /// What the device claimed of the place, where it differs.
    pub claim: Option<PlaceClaim>,
    pub duplicate_of: Option<ReportId>,
    /// Whether each photo (in the record's order) is already held.
    pub photos_held: Vec<bool>,
    pub state: CaseState,
}

/// Receives new reports: `candidates[i]` are the held reports that might duplicate
/// `new[i]` (same category, near in place and time), `held` the photo SHA-256s the centre
/// already holds. A report whose photos are all held goes straight to review.
#[must_use]
pub fn receive(
    new: Vec<Placed>,
    candidates: &[Vec<Candidate>],
    held: &HashSet<String>,
) -> Vec<Receipt> {
    let mut out: Vec<Receipt> = Vec::with_capacity(new.len());
    for (i, Placed { report, claim }) in new.into_iter().enumerate() {
        let mut list: Vec<Candidate> = candidates.get(i).cloned().unwrap_or_default();
        list.extend(out.iter().map(|e| Candidate::of(&e.report)));
        let duplicate_of = duplicates::likely_duplicate_of(&report, &list);
        let photos_held: Vec<bool> = report
            .photos
            .iter()
            .map(|p| held.contains(&p.sha256))
            .collect();
        let state = super::photos::intake_state(photos_held.iter().all(|h| *h));
        out.push(Receipt {
            report,
            claim,
            duplicate_of,
            photos_held,
            state,
        });
    }
    out
}

/// The device's backlog once this push is answered: its queue as it counted it before
/// sending (`queue`), less the reports this push carries (a new report or a change to
/// one). Each of those leaves the tablet's queue with its answer, taken or refused, so a
/// device whose reports were all refused does not go on showing them as waiting. Photos
/// travel after the push and are counted again at the next one.
#[must_use]
pub fn backlog_after(queue: QueueStats, mutations: &[Mutation]) -> QueueStats {
    let carried: HashSet<ReportId> = mutations
        .iter()
        .filter(|m| !matches!(m.body, MutationBody::CompleteTask { .. }))
        .map(|m| m.body.report_id())
        .collect();
    QueueStats {
        reports: queue.reports.saturating_sub(carried.len() as u64),
        ..queue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn batches_must_be_consecutive() {
        assert!(check_batch([4, 5, 6]).is_ok());
        assert!(check_batch([]).is_ok());
        assert_eq!(
            check_batch([4, 6]).expect_err("gap"),
            "mutation 6 follows 4: a batch must be consecutive"
        );
        assert!(check_batch([0]).is_err());
        assert!(check_batch([5, 4]).is_err());
    }

    #[test]
    fn a_devices_backlog_leaves_with_the_reports_its_push_carried() {
        let r = gridwalk_protocol::testing::report();
        let m = |id: MutationId, body: MutationBody| Mutation {
            id,
            device: r.device,
            created_at: Utc::now(),
            body,
            signature: None,
        };
        let submit = m(
            1,
            MutationBody::SubmitReport {
                report: Box::new(r.clone()),
            },
        );
        let edit = m(
            2,
            MutationBody::EditReport {
                report: r.id,
                base_version: 1,
                patch: Box::default(),
            },
        );
        let queue = QueueStats {
            reports: 12,
            photos: 30,
            bytes: 9_000_000,
        };
        // A new report and a change to it are one report leaving the queue; the photos stay.
        assert_eq!(
            backlog_after(queue, &[submit.clone(), edit]),
            QueueStats {
                reports: 11,
                ..queue
            }
        );
        assert_eq!(backlog_after(queue, &[]), queue);
        let small = QueueStats {
            reports: 0,
            ..queue
        };
        assert_eq!(
            backlog_after(small, &[submit]).reports,
            0,
            "never below nothing"
        );
    }

    fn reject(n: MutationId) -> (MutationId, Effect) {
        (n, Effect::Reject(Message::verbatim(format!("r{n}"))))
    }

    #[test]
    fn mutations_are_sequenced_without_holes() {
        let s = sequence(vec![reject(4), reject(5), reject(6), reject(7)], 5);
        assert_eq!(s.repeats, vec![4, 5]);
        assert_eq!(
            s.fresh.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vec![6, 7]
        );
        assert_eq!((s.gap, s.last), (None, 7));

        let s = sequence(vec![reject(8), reject(9)], 5);
        assert!(s.repeats.is_empty() && s.fresh.is_empty());
        assert_eq!((s.gap, s.last), (Some(6), 5));

        let s = sequence(vec![reject(1)], u64::MAX - 1);
        assert_eq!(s.repeats, vec![1]);
    }

    #[test]
    fn answers_come_in_batch_order_and_forgotten_repeats_say_so() {
        let s = sequence(vec![reject(1), reject(2), reject(3)], 2);
        let recorded = HashMap::from([(1, Outcome::Applied)]);
        let out = answers(&s, &recorded, vec![Outcome::Merged]);
        assert_eq!(out[0], Applied::Answer(Outcome::Applied));
        assert_eq!(out[1], Applied::Answer(forgotten(2)));
        assert_eq!(out[2], Applied::Answer(Outcome::Merged));
        let s = sequence(vec![reject(9)], 2);
        assert_eq!(
            answers(&s, &recorded, vec![]),
            vec![Applied::Gap { expected: 3 }]
        );
    }

    #[test]
    fn a_repeat_counts_only_if_it_is_the_same_mutation() {
        let kept = HashMap::from([
            (4, "a".to_owned()),
            (5, "b".to_owned()),
            (6, "c".to_owned()),
        ]);
        let same = HashMap::from([(4, "a"), (5, "b"), (6, "c")]);
        assert_eq!(first_reused(&[4, 5, 6], &kept, &same), None);
        let restored = HashMap::from([(4, "a"), (5, "B"), (6, "C")]);
        assert_eq!(first_reused(&[4, 5, 6], &kept, &restored), Some(5));
        // Kept before devices signed, or sent unsigned: nothing to compare, a repeat.
        assert_eq!(
            first_reused(&[3, 4], &kept, &HashMap::from([(3, "x")])),
            None
        );
        assert_eq!(first_reused(&[5], &kept, &HashMap::new()), None);
        assert_eq!(first_reused(&[], &kept, &restored), None);
    }

    #[test]
    fn new_reports_run_together_and_other_mutations_alone() {
        let r = gridwalk_protocol::testing::report();
        let insert = |n| (n, Effect::InsertReport(Box::new(r.clone().into())));
        let runs = runs(vec![insert(1), insert(2), reject(3), insert(4)]);
        let shape: Vec<String> = runs
            .iter()
            .map(|r| match r {
                Run::Reports(v) => {
                    format!("reports{:?}", v.iter().map(|x| x.0).collect::<Vec<_>>())
                }
                Run::One(id, _) => format!("one{id}"),
            })
            .collect();
        assert_eq!(shape, ["reports[1, 2]", "one3", "reports[4]"]);
    }

    #[test]
    fn a_submitted_report_is_placed_in_the_centres_grid() {
        use gridwalk_protocol::console::PlaceDispute;
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let read = |p: &str| std::fs::read_to_string(format!("{fixtures}/{p}")).expect(p);
        let table = gridwalk_protocol::CodeTable::from_json(&read("codes.json")).expect("table");
        let grid = gridwalk_grid::Grid::from_geojson(&read("grid/440703-pengjiang.geojson"))
            .expect("grid");
        let reference = Reference::new([table], None).with_grid(std::sync::Arc::new(grid));
        let mut r = gridwalk_protocol::testing::report();
        r.cell = Some("999999999999999".parse().expect("code"));
        let device = Device {
            id: r.device,
            user: r.reporter,
            role: crate::domain::model::Role::Inspector,
        };
        let body = MutationBody::SubmitReport {
            report: Box::new(r.clone()),
        };
        let own = "440703001001003".parse().expect("code");
        let Effect::InsertReport(placed) =
            decide(&body, &device, &[own], &reference, u64::MAX, Utc::now())
        else {
            panic!("not inserted");
        };
        assert_eq!(
            placed.report.cell.as_ref().map(|c| c.as_str()),
            Some("440703001001003")
        );
        assert!(placed.report.location_flags.is_empty());
        let claim = placed.claim.clone().expect("a claim");
        assert_eq!(claim.disputes, vec![PlaceDispute::UnknownCell]);
        assert_eq!(placed.as_sent(), r);
    }

    #[test]
    fn a_resubmission_is_acknowledged_only_when_identical() {
        let r = gridwalk_protocol::testing::report();
        assert_eq!(resubmitted(&r, &r), Outcome::Applied);
        let mut other = r.clone();
        other.description = "另一个".into();
        assert!(matches!(resubmitted(&r, &other), Outcome::Rejected { .. }));
    }

    #[test]
    fn received_reports_wait_for_photos_the_centre_lacks_and_see_their_push_mates() {
        let t = "2026-11-20T09:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let first = gridwalk_protocol::testing::report_at(113.0631, 22.5983, t);
        let mut second = gridwalk_protocol::testing::report_at(113.0631, 22.5984, t);
        second.photos[0].sha256 = "cd".repeat(32);
        let held: HashSet<String> = first.photos.iter().map(|p| p.sha256.clone()).collect();
        let got = receive(
            vec![first.clone().into(), second.clone().into()],
            &[vec![], vec![]],
            &held,
        );
        assert_eq!(got[0].state, CaseState::PendingReview);
        assert_eq!(got[0].duplicate_of, None);
        assert_eq!(
            got[1].duplicate_of,
            Some(first.id),
            "the earlier one in the same push"
        );
        assert_eq!(got[1].state, CaseState::AwaitingPhotos);
        assert_eq!(got[1].photos_held, vec![false]);
    }
}
