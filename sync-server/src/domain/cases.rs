//! The case loop (发现 → 立案 → 派遣 → 处置 → 核查 → 结案) as a pure state machine: which
//! action may follow which state, and what it leads to. Every change of a report's state,
//! whoever makes it, goes through [`next`] and is written with a case event.
//!
//! - `awaiting_photos` → `pending_review` when the last photo arrives (`photos_complete`),
//!   and back when a changed report lists a photo not yet held (`photos_added`);
//! - `pending_review` → `registered` (approve, 立案), `returned` (return, with a comment),
//!   `rejected` (reject, 作废, with a reason) or `merged` (into another report);
//! - `returned` → `pending_review` when the inspector resubmits, or `rejected`/`merged`;
//! - `registered` → `dispatched` (派遣, to a department) → `handled` (处置完成);
//! - `handled` → `closed` (核查 passed, 结案) or back to `dispatched` (核查 failed, 返工).
//!
//! `rejected` (作废), `merged` and `closed` (结案) are final.
//!
//! A step is applied in one transaction: the store locks the report and loads a
//! [`StepSnapshot`], [`plan_step`] decides everything the step writes ([`StepWrites`]: the
//! state, the case event, a case number to take, a dispatch with its deadline, tasks to open
//! or close, a leader's correction, the feed rows to touch), and the store writes exactly
//! that.
//!
//! A registration may carry the leader's correction of the report
//! ([`super::corrections`]), and is refused while the report is likely a duplicate of
//! another one still standing, unless the leader saw that ([`super::duplicates::warning`]).

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::Correction;
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{CaseState, DeviceId, PhotoRef, Report, ReportId, TaskId, UserId, Version};

use super::corrections::{self, Corrected};
use super::duplicates::{self, Linked};
use super::model::{Author, Touch};
use super::reference::Reference;

/// What someone does to a report or case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The last photo arrived (the centre does this itself).
    PhotosComplete,
    /// A changed report lists a photo the centre does not hold yet.
    PhotosAdded,
    /// A team leader accepts it as a case (立案).
    Approve(Approval),
    /// A team leader sends it back to the inspector to change.
    Return { comment: String },
    /// The inspector changed a returned report and sent it again.
    Resubmit,
    /// A team leader refuses it (作废).
    Reject { reason: String },
    /// A team leader folds it into another report of the same problem.
    Merge { into: ReportId },
    /// The case goes to a department to handle (派遣).
    Dispatch { department: String },
    /// The department says it is handled (处置完成); an inspector verifies next.
    Handled,
    /// The inspector's verification (核查): passed closes the case, failed sends it back
    /// to the department (返工).
    Verify { passed: bool },
}

/// How a report is registered: with the leader's correction, if any, and whether they
/// saw the likely-duplicate warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approval {
    pub correct: Option<Correction>,
    pub despite_duplicate: bool,
}

impl Action {
    /// A plain registration: nothing corrected, no warning seen.
    #[must_use]
    pub fn approve() -> Self {
        Action::Approve(Approval::default())
    }

    /// The action's name in the audit trail.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Action::PhotosComplete => "photos_complete",
            Action::PhotosAdded => "photos_added",
            Action::Approve(_) => "approve",
            Action::Return { .. } => "return",
            Action::Resubmit => "resubmit",
            Action::Reject { .. } => "reject",
            Action::Merge { .. } => "merge",
            Action::Dispatch { .. } => "dispatch",
            Action::Handled => "handled",
            Action::Verify { passed: true } => "verify_pass",
            Action::Verify { passed: false } => "verify_fail",
        }
    }
}

/// The state `action` leads to from `state` for report `id`, or why it cannot be done, in
/// words for the person who tried.
pub fn next(id: ReportId, state: CaseState, action: &Action) -> Result<CaseState, Message> {
    use Action as A;
    use CaseState as S;
    let blank = |s: &str| s.trim().is_empty();
    match action {
        A::Return { comment } if blank(comment) => {
            return Err(msg!(RETURN_NEEDS_COMMENT));
        }
        A::Reject { reason } if blank(reason) => {
            return Err(msg!(REJECT_NEEDS_REASON));
        }
        A::Dispatch { department } if blank(department) => {
            return Err(msg!(DEPARTMENT_NEEDED));
        }
        A::Merge { into } if *into == id => {
            return Err(msg!(MERGE_SELF));
        }
        _ => {}
    }
    let to = match (state, action) {
        (S::AwaitingPhotos, A::PhotosComplete) => S::PendingReview,
        (S::PendingReview, A::PhotosAdded) => S::AwaitingPhotos,
        (S::AwaitingPhotos, A::Approve(_)) => {
            return Err(msg!(PHOTOS_ARRIVING));
        }
        (S::AwaitingPhotos | S::PendingReview, A::Return { .. }) => S::Returned,
        (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Reject { .. }) => S::Rejected,
        (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Merge { .. }) => S::Merged,
        (S::PendingReview, A::Approve(_)) => S::Registered,
        (S::Returned, A::Resubmit) => S::PendingReview,
        (S::Registered, A::Dispatch { .. }) => S::Dispatched,
        (S::Dispatched, A::Handled) => S::Handled,
        (S::Handled, A::Verify { passed: true }) => S::Closed,
        (S::Handled, A::Verify { passed: false }) => S::Dispatched,
        (S::Rejected | S::Merged | S::Closed, _) => {
            return Err(msg!(CASE_FINISHED, report = id, state = state.as_str()));
        }
        (state, action) => {
            return Err(msg!(
                CASE_OUT_OF_TURN,
                report = id,
                state = state.as_str(),
                action = action.name()
            ));
        }
    };
    Ok(to)
}

/// Why acting now would be wrong when the person saw the report in `seen` and it is in
/// `state`: someone else acted on it in between.
#[must_use]
pub fn check_seen(id: ReportId, seen: Option<CaseState>, state: CaseState) -> Option<Message> {
    match seen {
        Some(seen) if seen != state => Some(msg!(
            CASE_STALE,
            report = id,
            state = state.as_str(),
            seen = seen.as_str()
        )),
        _ => None,
    }
}

/// Whether a report may be merged into `into`, which is in `target` (its state, and
/// whether it was removed), or does not exist (`None`).
pub fn merge_target(into: ReportId, target: Option<(CaseState, bool)>) -> Result<(), Message> {
    match target {
        None => Err(msg!(MERGE_NO_TARGET, into = into)),
        Some((_, true)) => Err(msg!(CASE_REMOVED, report = into)),
        Some((CaseState::Rejected | CaseState::Merged, _)) => {
            Err(msg!(MERGE_TARGET_CLOSED, into = into))
        }
        Some(_) => Ok(()),
    }
}

/// The case number (立案编号) of the `n`th case registered on local day `day` (`20261121`).
#[must_use]
pub fn case_number(day: &str, n: u64) -> String {
    format!("{day}-{n:04}")
}

/// A step someone asks for.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub report: ReportId,
    pub action: Action,
    /// The state the person saw; another one means someone acted first.
    pub seen: Option<CaseState>,
    pub by: Author,
    pub at: DateTime<Utc>,
    /// For a verification from a device: which task, the inspector's note and photos.
    pub task: Option<TaskDone>,
}

/// A verification task as an inspector completed it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDone {
    pub id: TaskId,
    pub note: Option<String>,
    pub photos: Vec<PhotoRef>,
}

/// The report another is to be merged into, as held, with its reporter's name.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeTarget {
    pub state: CaseState,
    pub deleted: bool,
    pub case_no: Option<String>,
    pub record: Report,
    pub reporter_name: String,
}

/// What a step is decided on, loaded under the report's lock.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSnapshot {
    pub state: CaseState,
    pub record: Report,
    pub version: Version,
    /// The report it is marked a likely duplicate of.
    pub duplicate_of: Option<ReportId>,
    /// For a registration: the reports linked to it by the likely-duplicate mark, either
    /// way ([`duplicates::warning`]).
    pub linked: Vec<Linked>,
    pub deleted: bool,
    pub case_no: Option<String>,
    /// For a merge: the target (`None`: there is no such report).
    pub merge_target: Option<MergeTarget>,
    /// The report's open tasks: (task, assignee).
    pub open_tasks: Vec<(TaskId, UserId)>,
}

/// A case event to write: one step of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub action: &'static str,
    pub from: CaseState,
    pub to: CaseState,
    pub by: Author,
    /// The comment, reason, department, merge target or note. For a registration the
    /// store writes the case number it takes.
    pub text: Option<String>,
    /// The deadline this step set.
    pub due_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// A verification task to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub id: TaskId,
    pub assignee: UserId,
    pub due_at: DateTime<Utc>,
}

/// How the report's open tasks are closed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedTasks {
    pub passed: bool,
    pub note: Option<String>,
    pub photos: Vec<PhotoRef>,
    pub by_device: Option<DeviceId>,
}

/// What a step does to the case row.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseChange {
    /// Dispatched to a department, to be handled by `due_at`.
    Dispatch {
        department: String,
        due_at: DateTime<Utc>,
    },
    /// Verified: closed.
    Close { at: DateTime<Utc> },
    /// Verification failed: back to the department by a new deadline.
    Rework { due_at: DateTime<Utc> },
}

/// Everything a step writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StepWrites {
    pub to: CaseState,
    /// The leader's correction at 立案: the report's next version, written first.
    pub correction: Option<Corrected>,
    /// The centre's word to the inspector, if the step has one.
    pub note: Option<String>,
    /// Register the case: take the next case number of this local day (`20261121`).
    pub register_day: Option<String>,
    pub merged_into: Option<ReportId>,
    pub case: Option<CaseChange>,
    pub open_task: Option<NewTask>,
    pub close_tasks: Option<ClosedTasks>,
    /// After-photos of a device's verification, listed so their bytes can follow.
    pub task_photos: Vec<(TaskId, PhotoRef)>,
    pub event: NewEvent,
    pub touches: Vec<Touch>,
}

/// A step's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum StepPlan {
    /// Not done, and why, for the person who tried.
    Refused(Message),
    Write(Box<StepWrites>),
}

/// How a step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stepped {
    /// Done: the report is in this state now.
    Done {
        state: CaseState,
        case_no: Option<String>,
    },
    /// Not done, and why, for the person who tried.
    Refused(Message),
}

/// Decides a step on report `req.report`, held as `snap`, with deadlines counted by the
/// case rules of `reference` (and a correction checked against its code tables).
#[must_use]
pub fn plan_step(req: &StepRequest, snap: &StepSnapshot, reference: &Reference) -> StepPlan {
    let id = req.report;
    let Some(rules) = reference.rules.as_ref() else {
        return StepPlan::Refused(msg!(RULES_NOT_LOADED));
    };
    if snap.deleted {
        return StepPlan::Refused(msg!(CASE_REMOVED, report = id));
    }
    if let Some(refusal) = check_seen(id, req.seen, snap.state) {
        return StepPlan::Refused(refusal);
    }
    let to = match next(id, snap.state, &req.action) {
        Ok(to) => to,
        Err(why) => return StepPlan::Refused(why),
    };
    let reporter = snap.record.reporter;
    let mut w = StepWrites {
        to,
        correction: None,
        note: None,
        register_day: None,
        merged_into: None,
        case: None,
        open_task: None,
        close_tasks: None,
        task_photos: Vec::new(),
        event: NewEvent {
            action: req.action.name(),
            from: snap.state,
            to,
            by: req.by,
            text: None,
            due_at: None,
            at: req.at,
        },
        touches: vec![Touch::report(id, reporter)],
    };
    match &req.action {
        Action::Approve(approval) => {
            let tables = |r: &Report| reference.table(&r.code_table_version);
            if approval.despite_duplicate {
                // The trail keeps what the person registered it despite.
                w.event.text = duplicates::registered_despite(
                    &snap.record,
                    snap.duplicate_of,
                    &snap.linked,
                    tables,
                )
                .map(|m| m.to_json());
            } else if let Some(warning) =
                duplicates::warning(&snap.record, snap.duplicate_of, &snap.linked, tables)
            {
                return StepPlan::Refused(warning);
            }
            if let Some(c) = &approval.correct {
                let table = reference.table(&snap.record.code_table_version);
                match corrections::correct(&snap.record, snap.version, c, table, req.at) {
                    Err(why) => return StepPlan::Refused(why),
                    Ok(Some(done)) => {
                        w.note = Some(done.note.to_json());
                        w.correction = Some(done);
                    }
                    Ok(None) => {}
                }
            }
            w.register_day = Some(rules.case_day(req.at));
        }
        Action::Return { comment: words } | Action::Reject { reason: words } => {
            w.note = Some(words.trim().to_owned());
            w.event.text.clone_from(&w.note);
        }
        Action::Merge { into } => {
            let target = snap.merge_target.as_ref().map(|t| (t.state, t.deleted));
            if let Err(why) = merge_target(*into, target) {
                return StepPlan::Refused(why);
            }
            // The inspector's tablet knows only its own reports: the target is named by its
            // case number, or by what it is, who made it and when.
            let note = match &snap.merge_target {
                Some(MergeTarget {
                    case_no: Some(case_no),
                    ..
                }) => msg!(MERGED_INTO, into = case_no),
                Some(t) => msg!(
                    MERGED_INTO_REPORT,
                    category = duplicates::category_words(
                        &t.record,
                        reference.table(&t.record.code_table_version)
                    ),
                    reporter = &t.reporter_name,
                    observed_at = t.record.observed_at.format("%Y-%m-%d %H:%M")
                ),
                None => msg!(MERGED_INTO, into = into),
            };
            w.merged_into = Some(*into);
            w.note = Some(note.to_json());
            w.event.text = Some(into.to_string());
        }
        Action::Dispatch { department } => {
            let due_at = rules.handling_due(&snap.record, req.at);
            w.case = Some(CaseChange::Dispatch {
                department: department.trim().to_owned(),
                due_at,
            });
            w.event.text = Some(department.trim().to_owned());
            w.event.due_at = Some(due_at);
        }
        Action::Handled => {
            let due_at = rules.verify_due(req.at);
            let task = TaskId::new();
            w.open_task = Some(NewTask {
                id: task,
                assignee: reporter,
                due_at,
            });
            w.touches.push(Touch::task(task, reporter));
            w.event.due_at = Some(due_at);
        }
        Action::Verify { passed } => {
            if let Some(done) = &req.task {
                let Some((_, assignee)) = snap.open_tasks.iter().find(|(t, _)| *t == done.id)
                else {
                    return StepPlan::Refused(msg!(TASK_NOT_OPEN, task = done.id, report = id));
                };
                if req.by.user != Some(*assignee) {
                    return StepPlan::Refused(msg!(TASK_OTHERS, task = done.id));
                }
                w.task_photos = done.photos.iter().map(|p| (done.id, p.clone())).collect();
            }
            w.close_tasks = Some(ClosedTasks {
                passed: *passed,
                note: req.task.as_ref().and_then(|t| t.note.clone()),
                photos: req
                    .task
                    .as_ref()
                    .map(|t| t.photos.clone())
                    .unwrap_or_default(),
                by_device: req.by.device,
            });
            w.touches.extend(
                snap.open_tasks
                    .iter()
                    .map(|(task, assignee)| Touch::task(*task, *assignee)),
            );
            if *passed {
                w.case = Some(CaseChange::Close { at: req.at });
            } else {
                let due_at = rules.handling_due(&snap.record, req.at);
                w.case = Some(CaseChange::Rework { due_at });
                w.event.due_at = Some(due_at);
            }
            w.event.text = req.task.as_ref().and_then(|t| t.note.clone());
        }
        Action::PhotosComplete | Action::PhotosAdded | Action::Resubmit => {}
    }
    StepPlan::Write(Box::new(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    fn go(state: CaseState, action: Action) -> Result<CaseState, String> {
        next(ReportId::new(), state, &action).map_err(|m| m.english())
    }

    #[test]
    fn the_loop_goes_round_to_closed_and_back_to_rework() {
        let mut s = S::AwaitingPhotos;
        for (action, expect) in [
            (Action::PhotosComplete, S::PendingReview),
            (
                Action::Return {
                    comment: "照片看不清".into(),
                },
                S::Returned,
            ),
            (Action::Resubmit, S::PendingReview),
            (Action::approve(), S::Registered),
            (
                Action::Dispatch {
                    department: "环卫所".into(),
                },
                S::Dispatched,
            ),
            (Action::Handled, S::Handled),
            (Action::Verify { passed: false }, S::Dispatched),
            (Action::Handled, S::Handled),
            (Action::Verify { passed: true }, S::Closed),
        ] {
            s = go(s, action.clone()).unwrap_or_else(|e| panic!("{action:?}: {e}"));
            assert_eq!(s, expect, "{action:?}");
        }
    }

    #[test]
    fn final_states_take_nothing_more() {
        for s in [S::Rejected, S::Merged, S::Closed] {
            for a in [
                Action::approve(),
                Action::Resubmit,
                Action::Handled,
                Action::Verify { passed: true },
            ] {
                let e = go(s, a).expect_err("final");
                assert!(e.contains("nothing more can be done"), "{e}");
            }
        }
    }

    #[test]
    fn out_of_turn_actions_are_refused_in_words() {
        let e = go(S::AwaitingPhotos, Action::approve()).expect_err("photos first");
        assert!(e.contains("photos are still arriving"), "{e}");
        let e = go(S::PendingReview, Action::Handled).expect_err("not dispatched");
        assert!(
            e.contains("is pending review; it cannot be marked handled now"),
            "{e}"
        );
        let e = go(
            S::Registered,
            Action::Return {
                comment: "x".into(),
            },
        )
        .expect_err("a case");
        assert!(e.contains("cannot be returned now"), "{e}");
        assert!(go(S::Dispatched, Action::Verify { passed: true }).is_err());
    }

    #[test]
    fn decisions_need_their_words() {
        let blank = "  ".to_owned();
        assert!(
            go(
                S::PendingReview,
                Action::Return {
                    comment: blank.clone()
                }
            )
            .is_err()
        );
        assert!(
            go(
                S::PendingReview,
                Action::Reject {
                    reason: blank.clone()
                }
            )
            .is_err()
        );
        assert!(go(S::Registered, Action::Dispatch { department: blank }).is_err());
        let id = ReportId::new();
        assert!(next(id, S::PendingReview, &Action::Merge { into: id }).is_err());
        assert_eq!(
            next(
                id,
                S::PendingReview,
                &Action::Merge {
                    into: ReportId::new()
                }
            ),
            Ok(S::Merged)
        );
    }

    fn actions() -> Vec<Action> {
        vec![
            Action::PhotosComplete,
            Action::PhotosAdded,
            Action::approve(),
            Action::Return {
                comment: "补拍".into(),
            },
            Action::Resubmit,
            Action::Reject {
                reason: "非职责".into(),
            },
            Action::Merge {
                into: ReportId::new(),
            },
            Action::Dispatch {
                department: "SZ".into(),
            },
            Action::Handled,
            Action::Verify { passed: true },
            Action::Verify { passed: false },
        ]
    }

    const STATES: [CaseState; 9] = [
        S::AwaitingPhotos,
        S::PendingReview,
        S::Returned,
        S::Rejected,
        S::Merged,
        S::Registered,
        S::Dispatched,
        S::Handled,
        S::Closed,
    ];

    /// The whole table, as the module doc states it.
    fn allowed(state: CaseState, action: &Action) -> Option<CaseState> {
        use Action as A;
        match (state, action) {
            (S::AwaitingPhotos, A::PhotosComplete) => Some(S::PendingReview),
            (S::PendingReview, A::PhotosAdded) => Some(S::AwaitingPhotos),
            (S::PendingReview, A::Approve(_)) => Some(S::Registered),
            (S::AwaitingPhotos | S::PendingReview, A::Return { .. }) => Some(S::Returned),
            (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Reject { .. }) => {
                Some(S::Rejected)
            }
            (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Merge { .. }) => {
                Some(S::Merged)
            }
            (S::Returned, A::Resubmit) => Some(S::PendingReview),
            (S::Registered, A::Dispatch { .. }) => Some(S::Dispatched),
            (S::Dispatched, A::Handled) => Some(S::Handled),
            (S::Handled, A::Verify { passed: true }) => Some(S::Closed),
            (S::Handled, A::Verify { passed: false }) => Some(S::Dispatched),
            _ => None,
        }
    }

    #[test]
    fn every_state_takes_exactly_the_actions_the_loop_allows() {
        for state in STATES {
            for action in actions() {
                let got = go(state, action.clone());
                match allowed(state, &action) {
                    Some(to) => assert_eq!(got, Ok(to), "{state:?} + {action:?}"),
                    None => {
                        let why = got.expect_err("refused");
                        let final_state = matches!(state, S::Rejected | S::Merged | S::Closed);
                        assert!(
                            why.contains(if final_state {
                                "nothing more can be done"
                            } else if state == S::AwaitingPhotos && action == Action::approve() {
                                "photos are still arriving"
                            } else {
                                "cannot be"
                            }),
                            "{state:?} + {action:?}: {why}"
                        );
                    }
                }
            }
        }
    }

    fn reference() -> Reference {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).expect(f);
        let rules =
            crate::domain::rules::CaseRules::from_json(&read("case-rules.json")).expect("rules");
        let table = gridwalk_protocol::CodeTable::from_json(&read("codes.json")).expect("table");
        Reference::new([table], Some(rules))
    }

    fn snapshot(state: CaseState) -> StepSnapshot {
        StepSnapshot {
            state,
            record: gridwalk_protocol::testing::report(),
            version: 1,
            duplicate_of: None,
            linked: vec![],
            deleted: false,
            case_no: None,
            merge_target: None,
            open_tasks: vec![],
        }
    }

    fn request(action: Action, seen: CaseState) -> StepRequest {
        StepRequest {
            report: ReportId::new(),
            action,
            seen: Some(seen),
            by: Author::person(UserId::new()),
            at: "2026-11-23T02:00:00Z".parse().expect("time"),
            task: None,
        }
    }

    fn writes(plan: StepPlan) -> StepWrites {
        match plan {
            StepPlan::Write(w) => *w,
            StepPlan::Refused(why) => panic!("refused: {why}"),
        }
    }

    #[test]
    fn a_step_plans_everything_it_writes() {
        let reference = reference();
        let snap = snapshot(S::PendingReview);
        let approve = writes(plan_step(
            &request(Action::approve(), S::PendingReview),
            &snap,
            &reference,
        ));
        assert_eq!(approve.to, S::Registered);
        assert_eq!(
            approve.register_day.as_deref(),
            Some("20261123"),
            "the local day"
        );
        assert_eq!(approve.event.action, "approve");
        assert_eq!(
            approve.touches,
            vec![Touch::report(
                approve_report(&approve),
                snap.record.reporter
            )]
        );

        let back = writes(plan_step(
            &request(
                Action::Return {
                    comment: "  补拍编号 ".into(),
                },
                S::PendingReview,
            ),
            &snap,
            &reference,
        ));
        assert_eq!(back.note.as_deref(), Some("补拍编号"));
        assert_eq!(back.event.text.as_deref(), Some("补拍编号"));

        let registered = snapshot(S::Registered);
        let dispatch = writes(plan_step(
            &request(
                Action::Dispatch {
                    department: "SZ".into(),
                },
                S::Registered,
            ),
            &registered,
            &reference,
        ));
        let Some(CaseChange::Dispatch { department, due_at }) = &dispatch.case else {
            panic!("no dispatch: {dispatch:?}")
        };
        assert_eq!(department, "SZ");
        assert!(*due_at > dispatch.event.at);
        assert_eq!(dispatch.event.due_at, Some(*due_at));

        let dispatched = snapshot(S::Dispatched);
        let handled = writes(plan_step(
            &request(Action::Handled, S::Dispatched),
            &dispatched,
            &reference,
        ));
        let task = handled.open_task.clone().expect("a verification task");
        assert_eq!(
            task.assignee, dispatched.record.reporter,
            "the reporting inspector verifies"
        );
        assert!(
            handled
                .touches
                .contains(&Touch::task(task.id, task.assignee))
        );
    }

    fn approve_report(w: &StepWrites) -> ReportId {
        w.touches[0].entity.parse().expect("a report")
    }

    #[test]
    fn steps_that_cannot_be_done_say_why() {
        let reference = reference();
        let mut gone = snapshot(S::PendingReview);
        gone.deleted = true;
        let refused = |plan: StepPlan| match plan {
            StepPlan::Refused(why) => why.english(),
            StepPlan::Write(w) => panic!("done: {w:?}"),
        };
        assert!(
            refused(plan_step(
                &request(Action::approve(), S::PendingReview),
                &gone,
                &reference
            ))
            .contains("removed at the centre")
        );
        let merge = request(
            Action::Merge {
                into: ReportId::new(),
            },
            S::PendingReview,
        );
        assert!(
            refused(plan_step(&merge, &snapshot(S::PendingReview), &reference))
                .contains("no report")
        );

        let mut handled = snapshot(S::Handled);
        let assignee = UserId::new();
        let task = TaskId::new();
        handled.open_tasks = vec![(task, assignee)];
        let mut verify = request(Action::Verify { passed: false }, S::Handled);
        verify.task = Some(TaskDone {
            id: task,
            note: Some("还有垃圾".into()),
            photos: vec![],
        });
        assert!(refused(plan_step(&verify, &handled, &reference)).contains("another inspector"));
        verify.by = Author {
            user: Some(assignee),
            device: Some(DeviceId::new()),
            mutation: Some(7),
        };
        let fail = writes(plan_step(&verify, &handled, &reference));
        assert_eq!(fail.to, S::Dispatched);
        assert!(matches!(fail.case, Some(CaseChange::Rework { .. })));
        assert_eq!(fail.event.text.as_deref(), Some("还有垃圾"));
        assert!(fail.touches.contains(&Touch::task(task, assignee)));
        let mut other = verify.clone();
        other.task = Some(TaskDone {
            id: TaskId::new(),
            note: None,
            photos: vec![],
        });
        assert!(refused(plan_step(&other, &handled, &reference)).contains("is not open"));
    }

    #[test]
    fn a_registration_corrects_the_report_and_waits_on_a_likely_duplicate() {
        use gridwalk_protocol::console::{CategoryChoice, Correction};

        let reference = reference();
        let mut snap = snapshot(S::PendingReview);
        // Observed before the step (its time), as a report being registered is.
        snap.record = gridwalk_protocol::testing::report_at(
            113.0631,
            22.5983,
            "2026-11-23T02:00:00Z".parse().expect("time"),
        );
        let correct = Correction {
            version: 1,
            category: Some(CategoryChoice {
                kind: gridwalk_protocol::Kind::Event,
                category: "0504".parse().expect("code"),
            }),
            description: None,
            address: Some("建设路 14 号".into()),
        };
        let approve = |correct: Option<Correction>, despite_duplicate| {
            request(
                Action::Approve(Approval {
                    correct,
                    despite_duplicate,
                }),
                S::PendingReview,
            )
        };
        let w = writes(plan_step(
            &approve(Some(correct.clone()), false),
            &snap,
            &reference,
        ));
        let c = w.correction.expect("a version by the leader");
        assert_eq!(c.record.category.as_str(), "0504");
        assert_eq!(c.record.address, "建设路 14 号");
        assert_eq!(w.note, Some(c.note.to_json()), "the inspector is told");
        assert_eq!(w.register_day.as_deref(), Some("20261123"));

        // Marked a likely duplicate of a report still waiting: refused, naming it, until
        // the leader says they saw it.
        let first = gridwalk_protocol::testing::report();
        let mut dup = snap.clone();
        dup.duplicate_of = Some(first.id);
        dup.linked = vec![Linked {
            record: first,
            state: S::PendingReview,
            duplicate_of: None,
            case_no: None,
            reporter_name: "李晓明".into(),
        }];
        let StepPlan::Refused(why) =
            plan_step(&approve(Some(correct.clone()), false), &dup, &reference)
        else {
            panic!("registered a likely duplicate unwarned")
        };
        assert_eq!(why.code, "case.likely_duplicate");
        let w = writes(plan_step(&approve(Some(correct), true), &dup, &reference));
        assert!(w.correction.is_some());
        assert_eq!(w.to, S::Registered);
        // The trail keeps what it was registered despite.
        let kept = Message::from_stored(w.event.text.as_deref().expect("a text"));
        assert_eq!(kept.code, "case.registered_despite");
        assert_eq!(
            kept.params.get("reporter").map(String::as_str),
            Some("李晓明")
        );
        // Without a warning standing, the confirmation leaves nothing to keep.
        let w = writes(plan_step(&approve(None, true), &snap, &reference));
        assert_eq!(w.event.text, None);
    }

    #[test]
    fn a_merge_tells_the_inspector_what_it_went_into_without_an_id() {
        let reference = reference();
        let mut snap = snapshot(S::PendingReview);
        let target = gridwalk_protocol::testing::report();
        let mut into = MergeTarget {
            state: S::PendingReview,
            deleted: false,
            case_no: None,
            record: target.clone(),
            reporter_name: "王芳".into(),
        };
        snap.merge_target = Some(into.clone());
        let merge = request(Action::Merge { into: target.id }, S::PendingReview);
        let w = writes(plan_step(&merge, &snap, &reference));
        let note = Message::from_stored(w.note.as_deref().expect("a note"));
        assert_eq!(note.code, "case.merged_into_report");
        assert_eq!(
            note.params.get("reporter").map(String::as_str),
            Some("王芳")
        );
        let words = note.english();
        assert!(!words.contains(&target.id.to_string()), "{words}");
        assert!(words.contains(target.category.as_str()), "{words}");
        // A case is named by its number.
        into.case_no = Some("20261123001".into());
        snap.merge_target = Some(into);
        let w = writes(plan_step(&merge, &snap, &reference));
        let note = Message::from_stored(w.note.as_deref().expect("a note"));
        assert_eq!(note.code, "case.merged_into");
        assert_eq!(note.params["into"], "20261123001");
    }
}
