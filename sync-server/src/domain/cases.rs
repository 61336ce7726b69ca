//! The case loop (发现 → 立案 → 派遣 → 处置 → 核查 → 结案) and its branches as a pure state
//! machine: which action may follow which state, and what it leads to. Every change of a
//! report's state, whoever makes it, goes through [`next`] and is written with a case event.
//!
//! Intake:
//! - `awaiting_check` (待核实): a report from the hotline, the public or another port waits
//!   for an inspector of its cell to check on site (核实, a task on the tablet): found
//!   real → `pending_review`; not found → `rejected`, with the inspector's words; the
//!   centre may also take it without the check (`registered`: no inspector covers its
//!   place), reject or merge it, and the check task is then withdrawn;
//! - `awaiting_photos` → `pending_review` when the last photo arrives (`photos_complete`),
//!   and back when a changed report lists a photo not yet held (`photos_added`);
//! - `pending_review` (待受理) → `registered` (approve, 立案), `returned` (return, with a
//!   comment), `rejected` (reject, 作废, with a reason) or `merged` (into another report);
//! - `returned` → `pending_review` when the inspector resubmits, or `rejected`/`merged`.
//!
//! The case:
//! - `registered` → `dispatched` (派遣, to a department, with its deadline in working time);
//! - `dispatched` → `in_progress` when the department accepts it (处理中); either →
//!   `handled` (处置完成, with the department's 处置说明), → `registered` when the department
//!   sends it back as not theirs (回退, with a reason: the centre dispatches it again), or →
//!   `dispatched` to another department (改派, `redispatch`);
//! - while `dispatched` or `in_progress` the department may ask for more working hours
//!   (延期): the centre approves (the deadline moves) or refuses (it does not); the state
//!   stays;
//! - `handled` → `closed` (核查 passed, 结案: 正常 or 超期 by the deadline) or back to
//!   `dispatched` (核查 failed, 返工);
//! - 自处理: a report the inspector fixed on the spot (`handled_on_spot`, with after-photos)
//!   goes from 立案 straight to `handled`, without a department, and the team leader
//!   verifies it from the photos at the console: passed → `closed` (自处理结案), failed →
//!   `registered`, to be dispatched like any case;
//! - the centre may suspend a case (缓办: `registered`, `dispatched` or `in_progress` →
//!   `suspended`, with a reason and a day to resume by; its clock stops) and resume it
//!   (back to the state it left, its deadline moved by the working time it was stopped);
//!   void it (作废 after 立案, with a reason: → `rejected`); or close it without the loop
//!   (特殊结案, with a reason: → `closed`).
//!
//! `rejected` (作废), `merged` and `closed` (结案) are final.
//!
//! A step is applied in one transaction: the store locks the report and loads a
//! [`StepSnapshot`], [`plan_step`] decides everything the step writes ([`StepWrites`]: the
//! state, the case event, a case number to take, a dispatch with its deadline, tasks to open
//! or close, a leader's correction, an extension, the deadline of the step it now waits on,
//! the feed rows to touch), and the store writes exactly that.
//!
//! A registration may carry the leader's correction of the report
//! ([`super::corrections`]), and is refused while the report is likely a duplicate of
//! another one still standing, unless the leader saw that ([`super::duplicates::warning`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gridwalk_protocol::console::{Closure, Correction};
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
    /// An inspector checked a hotline or public report on site (核实): `real` or not. From
    /// the tablet, as a task.
    Check { real: bool },
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
    /// The case goes to a department to handle (派遣); from a department that has it, to
    /// another one (改派).
    Dispatch { department: String },
    /// The department takes the case on (处理中).
    Accept,
    /// The department says it is handled (处置完成), with what it did and the after-photos
    /// it took (their bytes follow over tus); an inspector verifies next.
    Handled {
        note: Option<String>,
        photos: Vec<PhotoRef>,
    },
    /// The department sends the case back: not theirs (回退).
    Bounce { reason: String },
    /// The department asks for more working hours (延期申请).
    RequestExtension { hours: u32, reason: String },
    /// The centre decides the open extension request.
    DecideExtension {
        approve: bool,
        comment: Option<String>,
    },
    /// The centre suspends the case until a local day (缓办).
    Suspend { reason: String, until: NaiveDate },
    /// The centre resumes a suspended case.
    Resume,
    /// The centre voids a case (作废 after 立案).
    Void { reason: String },
    /// The centre closes a case without the loop (特殊结案).
    CloseSpecial { reason: String },
    /// The verification (核查): passed closes the case, failed sends it back to the
    /// department (返工). From the tablet as a task; at the console for a case fixed on
    /// the spot (自处理), which has no department, with the leader's note.
    Verify { passed: bool, note: Option<String> },
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
            Action::Check { real: true } => "check_real",
            Action::Check { real: false } => "check_false",
            Action::Approve(_) => "approve",
            Action::Return { .. } => "return",
            Action::Resubmit => "resubmit",
            Action::Reject { .. } => "reject",
            Action::Merge { .. } => "merge",
            Action::Dispatch { .. } => "dispatch",
            Action::Accept => "accept",
            Action::Handled { .. } => "handled",
            Action::Bounce { .. } => "bounce",
            Action::RequestExtension { .. } => "request_extension",
            Action::DecideExtension { approve: true, .. } => "approve_extension",
            Action::DecideExtension { approve: false, .. } => "refuse_extension",
            Action::Suspend { .. } => "suspend",
            Action::Resume => "resume",
            Action::Void { .. } => "void",
            Action::CloseSpecial { .. } => "close_special",
            Action::Verify { passed: true, .. } => "verify_pass",
            Action::Verify { passed: false, .. } => "verify_fail",
        }
    }

    /// The words the action needs, if it needs some: they must not be blank.
    fn words(&self) -> Option<&str> {
        match self {
            Action::Return { comment } => Some(comment),
            Action::Reject { reason }
            | Action::Bounce { reason }
            | Action::RequestExtension { reason, .. }
            | Action::Suspend { reason, .. }
            | Action::Void { reason }
            | Action::CloseSpecial { reason } => Some(reason),
            Action::Dispatch { department } => Some(department),
            _ => None,
        }
    }
}

/// The state `action` leads to from `state` for report `id`, or why it cannot be done, in
/// words for the person who tried. Two steps depend on more than the state, and
/// [`plan_step`] settles them: registering a report fixed on the spot leads to `handled`,
/// and a failed verification of one to `registered`; resuming returns to the state the
/// case was suspended from.
pub fn next(id: ReportId, state: CaseState, action: &Action) -> Result<CaseState, Message> {
    use Action as A;
    use CaseState as S;
    if action.words().is_some_and(|w| w.trim().is_empty()) {
        return Err(match action {
            A::Return { .. } => msg!(RETURN_NEEDS_COMMENT),
            A::Reject { .. } => msg!(REJECT_NEEDS_REASON),
            A::Dispatch { .. } => msg!(DEPARTMENT_NEEDED),
            _ => msg!(REASON_NEEDED, action = action.name()),
        });
    }
    if let A::Merge { into } = action
        && *into == id
    {
        return Err(msg!(MERGE_SELF));
    }
    let to = match (state, action) {
        (S::AwaitingCheck, A::Check { real: true }) => S::PendingReview,
        (S::AwaitingCheck, A::Check { real: false }) => S::Rejected,
        (S::AwaitingPhotos, A::PhotosComplete) => S::PendingReview,
        (S::PendingReview, A::PhotosAdded) => S::AwaitingPhotos,
        (S::AwaitingPhotos, A::Approve(_)) => {
            return Err(msg!(PHOTOS_ARRIVING));
        }
        (S::AwaitingPhotos | S::PendingReview, A::Return { .. }) => S::Returned,
        (
            S::AwaitingCheck | S::AwaitingPhotos | S::PendingReview | S::Returned,
            A::Reject { .. },
        ) => S::Rejected,
        (
            S::AwaitingCheck | S::AwaitingPhotos | S::PendingReview | S::Returned,
            A::Merge { .. },
        ) => S::Merged,
        // A port's report the centre takes without the on-site check (no inspector covers
        // its place, or the call speaks for itself).
        (S::PendingReview | S::AwaitingCheck, A::Approve(_)) => S::Registered,
        (S::Returned, A::Resubmit) => S::PendingReview,
        (S::Registered | S::Dispatched | S::InProgress, A::Dispatch { .. }) => S::Dispatched,
        (S::Dispatched, A::Accept) => S::InProgress,
        (S::Dispatched | S::InProgress, A::Handled { .. }) => S::Handled,
        (S::Dispatched | S::InProgress, A::Bounce { .. }) => S::Registered,
        (S::Dispatched | S::InProgress, A::RequestExtension { .. } | A::DecideExtension { .. }) => {
            state
        }
        (S::Registered | S::Dispatched | S::InProgress, A::Suspend { .. }) => S::Suspended,
        // The state it goes back to is the case's own (plan_step).
        (S::Suspended, A::Resume) => S::Registered,
        (
            S::Registered | S::Dispatched | S::InProgress | S::Handled | S::Suspended,
            A::Void { .. },
        ) => S::Rejected,
        (
            S::Registered | S::Dispatched | S::InProgress | S::Handled | S::Suspended,
            A::CloseSpecial { .. },
        ) => S::Closed,
        (S::Handled, A::Verify { passed: true, .. }) => S::Closed,
        (S::Handled, A::Verify { passed: false, .. }) => S::Dispatched,
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
    /// The department the case was with when the person decided (a clerk's own, or the one
    /// the page showed): a case moved to another meanwhile (改派, 回退) is refused, as a
    /// changed state is, since 改派 keeps the state and the person's right to act on it
    /// was judged by the department.
    pub department_seen: Option<String>,
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
    /// The case, once registered.
    pub case: Option<HeldCase>,
}

/// What a step needs to know of a registered case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeldCase {
    /// The department it is dispatched to (none before 派遣, after 回退, or when it was
    /// fixed on the spot).
    pub department: Option<String>,
    /// The handling deadline in force.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was last marked handled (处置完成).
    pub handled_at: Option<DateTime<Utc>>,
    /// While suspended (缓办): the state it left and when.
    pub suspended: Option<(CaseState, DateTime<Utc>)>,
    /// The department's extension request waiting for the centre: working hours asked.
    pub extension_hours: Option<u32>,
    /// For a report from another port (a hotline, the public): the inspector who found it
    /// real on site (核实), who also goes to verify the fix (核查); the reporter is a port.
    pub checked_by: Option<UserId>,
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
    /// The deadline of the step the report waits on after it (see [`StepWrites::step_due`]).
    pub step_due: Option<DateTime<Utc>>,
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
    /// Dispatched to a department (or to another one: 改派), to be handled by `due_at`.
    Dispatch {
        department: String,
        due_at: DateTime<Utc>,
    },
    /// The department accepted it (处理中).
    Accept { at: DateTime<Utc> },
    /// The department says it is handled, at `at`.
    Handled { at: DateTime<Utc> },
    /// Sent back by its department (回退): no department, no deadline, until dispatched
    /// again; an extension request still waiting goes with it.
    Undispatch,
    /// Closed (结案), and how.
    Close { at: DateTime<Utc>, closure: Closure },
    /// Verification failed: back to the department by a new deadline.
    Rework { due_at: DateTime<Utc> },
    /// Suspended (缓办) from `from` until the local day `until`.
    Suspend {
        from: CaseState,
        at: DateTime<Utc>,
        until: NaiveDate,
    },
    /// Resumed, with the handling deadline moved on (if it had one).
    Resume { due_at: Option<DateTime<Utc>> },
    /// The department asks for `hours` more working hours.
    RequestExtension { hours: u32, reason: String },
    /// The centre decided the waiting request; approved, the deadline is `due_at` now.
    DecideExtension {
        approved: bool,
        comment: Option<String>,
        due_at: Option<DateTime<Utc>>,
    },
    /// Voided after 立案 (作废).
    Void { at: DateTime<Utc> },
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
    /// After-photos the department declared with its 处置完成, by the person acting.
    pub case_photos: Vec<PhotoRef>,
    /// Close the report's open tasks as cancelled: the case left the loop (作废,
    /// 特殊结案) while an inspector still had one.
    pub cancel_tasks: bool,
    /// The deadline of the step the report waits on now (受理, 核实, 派遣, 处置 or 核查);
    /// none while it waits on no one at the centre.
    pub step_due: Option<DateTime<Utc>>,
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

/// The longest 缓办: a case is suspended until a day at most this many days ahead.
pub const MAX_SUSPEND_DAYS: u64 = 366;

/// A device's answer to one of its tasks as the step it is: a verification (核查) as sent;
/// for an on-site check (`check`, 核实) the same verdict as [`Action::Check`], made on a
/// report awaiting it.
#[must_use]
pub fn answering(req: &StepRequest, check: bool) -> StepRequest {
    let mut req = req.clone();
    if let (true, Action::Verify { passed, .. }) = (check, &req.action) {
        req.action = Action::Check { real: *passed };
        req.seen = Some(CaseState::AwaitingCheck);
    }
    req
}

/// Decides a step on report `req.report`, held as `snap`, with deadlines counted by the
/// case rules of `reference` (and a correction checked against its code tables).
#[must_use]
pub fn plan_step(req: &StepRequest, snap: &StepSnapshot, reference: &Reference) -> StepPlan {
    match plan(req, snap, reference) {
        Ok(w) => StepPlan::Write(Box::new(w)),
        Err(why) => StepPlan::Refused(why),
    }
}

fn plan(
    req: &StepRequest,
    snap: &StepSnapshot,
    reference: &Reference,
) -> Result<StepWrites, Message> {
    let id = req.report;
    let Some(rules) = reference.rules.as_ref() else {
        return Err(msg!(RULES_NOT_LOADED));
    };
    if snap.deleted {
        return Err(msg!(CASE_REMOVED, report = id));
    }
    if let Some(refusal) = check_seen(id, req.seen, snap.state) {
        return Err(refusal);
    }
    let case = snap.case.clone().unwrap_or_default();
    if let Some(seen) = &req.department_seen
        && case.department.as_deref() != Some(seen.as_str())
    {
        return Err(msg!(
            DEPARTMENT_CHANGED,
            report = id,
            seen = seen,
            now = case.department.as_deref().unwrap_or("-")
        ));
    }
    let mut to = next(id, snap.state, &req.action)?;
    let on_spot = case.department.is_none();
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
        case_photos: Vec::new(),
        cancel_tasks: false,
        step_due: None,
        event: NewEvent {
            action: req.action.name(),
            from: snap.state,
            to,
            by: req.by,
            text: None,
            due_at: None,
            step_due: None,
            at: req.at,
        },
        touches: vec![Touch::report(id, reporter)],
    };
    // Leaving 待核实 any other way than by the check itself withdraws the check task.
    if snap.state == CaseState::AwaitingCheck && !matches!(req.action, Action::Check { .. }) {
        w.cancel_tasks = true;
    }
    let words = |s: &str| Some(s.trim().to_owned());
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
                return Err(warning);
            }
            if let Some(c) = &approval.correct {
                let table = reference.table(&snap.record.code_table_version);
                if let Some(done) =
                    corrections::correct(&snap.record, snap.version, c, table, req.at)?
                {
                    w.note = Some(done.note.to_json());
                    w.correction = Some(done);
                }
            }
            w.register_day = Some(rules.case_day(req.at));
            // 自处理: fixed on the spot, so nothing to dispatch; the leader verifies it
            // from its photos.
            if snap.record.handled_on_spot {
                to = CaseState::Handled;
                w.case = Some(CaseChange::Handled { at: req.at });
            }
        }
        Action::Return { comment: text } | Action::Reject { reason: text } => {
            w.note = words(text);
            w.event.text.clone_from(&w.note);
        }
        Action::Merge { into } => {
            let target = snap.merge_target.as_ref().map(|t| (t.state, t.deleted));
            merge_target(*into, target)?;
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
            let department = department.trim();
            if snap.state != CaseState::Registered {
                if case.department.as_deref() == Some(department) {
                    return Err(msg!(SAME_DEPARTMENT, report = id, department = department));
                }
                w.event.action = "redispatch";
            }
            let due_at = rules.handling_due(&snap.record, req.at);
            w.case = Some(CaseChange::Dispatch {
                department: department.to_owned(),
                due_at,
            });
            w.event.text = Some(department.to_owned());
            w.event.due_at = Some(due_at);
        }
        Action::Accept => w.case = Some(CaseChange::Accept { at: req.at }),
        Action::Handled { note, photos } => {
            w.case_photos.clone_from(photos);
            w.event.text = note.as_deref().and_then(words).filter(|n| !n.is_empty());
            // The reporting inspector, who goes to check it, is told what the department did.
            if let (Some(text), Some(code)) = (w.event.text.as_deref(), case.department.as_deref())
            {
                let department = rules.department(code).map_or(code, |d| d.name.as_str());
                w.note = Some(msg!(HANDLED_NOTE, department = department, note = text).to_json());
            }
            w.case = Some(CaseChange::Handled { at: req.at });
            let due_at = rules.verify_due(req.at);
            let task = TaskId::new();
            let assignee = case.checked_by.unwrap_or(reporter);
            w.open_task = Some(NewTask {
                id: task,
                assignee,
                due_at,
            });
            w.touches.push(Touch::task(task, assignee));
            w.event.due_at = Some(due_at);
        }
        Action::Bounce { reason } => {
            w.event.text = words(reason);
            w.case = Some(CaseChange::Undispatch);
        }
        Action::RequestExtension { hours, reason } => {
            let max = rules.max_extension.num_hours();
            if *hours == 0 || i64::from(*hours) > max {
                return Err(msg!(EXTENSION_HOURS, max = max, hours = hours));
            }
            if case.extension_hours.is_some() {
                return Err(msg!(EXTENSION_OPEN, report = id));
            }
            w.event.text = words(reason);
            w.case = Some(CaseChange::RequestExtension {
                hours: *hours,
                reason: reason.trim().to_owned(),
            });
        }
        Action::DecideExtension { approve, comment } => {
            let Some(hours) = case.extension_hours else {
                return Err(msg!(EXTENSION_NONE, report = id));
            };
            let comment = comment.as_deref().and_then(words).filter(|c| !c.is_empty());
            let due_at = match (approve, case.due_at) {
                (true, Some(due)) => Some(rules.extended(due, Duration::hours(i64::from(hours)))),
                _ => None,
            };
            w.event.text.clone_from(&comment);
            w.event.due_at = due_at;
            w.case = Some(CaseChange::DecideExtension {
                approved: *approve,
                comment,
                due_at,
            });
        }
        Action::Suspend { reason, until } => {
            let today = rules.calendar.local_date(req.at);
            // 缓办 is a pause with a date to look again, never a way to shelve a case: a
            // year at most (a longer wait is suspended again, on the record).
            let latest = today + chrono::Days::new(MAX_SUSPEND_DAYS);
            if *until <= today || *until > latest {
                return Err(msg!(
                    SUSPEND_UNTIL,
                    today = today,
                    latest = latest,
                    until = until
                ));
            }
            w.event.text = words(reason);
            w.case = Some(CaseChange::Suspend {
                from: snap.state,
                at: req.at,
                until: *until,
            });
        }
        Action::Resume => {
            let Some((from, at)) = case.suspended else {
                // A suspended case always says what it left; the state machine let the
                // step through, so this is a store out of step with itself.
                return Err(msg!(
                    CASE_OUT_OF_TURN,
                    report = id,
                    state = snap.state.as_str(),
                    action = "resume"
                ));
            };
            to = from;
            let due_at = case.due_at.map(|d| rules.resumed(d, at, req.at));
            w.event.due_at = due_at;
            w.case = Some(CaseChange::Resume { due_at });
        }
        Action::Void { reason } => {
            w.note = words(reason);
            w.event.text.clone_from(&w.note);
            w.cancel_tasks = true;
            w.case = Some(CaseChange::Void { at: req.at });
        }
        Action::CloseSpecial { reason } => {
            w.event.text = words(reason);
            w.cancel_tasks = true;
            w.case = Some(CaseChange::Close {
                at: req.at,
                closure: Closure::Special,
            });
        }
        Action::Check { real } => {
            let Some(done) = &req.task else {
                return Err(msg!(CHECK_BY_TASK, report = id));
            };
            close_task(req, snap, &mut w, *real, done)?;
            if !*real {
                let why = done.note.clone().unwrap_or_default();
                w.note = Some(msg!(CHECK_FALSE, reason = why).to_json());
            }
        }
        Action::Verify { passed, note } => {
            w.event.text = note.as_deref().and_then(words).filter(|n| !n.is_empty());
            match &req.task {
                Some(done) => close_task(req, snap, &mut w, *passed, done)?,
                // At the console only a case fixed on the spot: a dispatched one is the
                // inspector's to check on site.
                None if !on_spot => return Err(msg!(VERIFY_BY_TASK, report = id)),
                None => {}
            }
            if *passed {
                let closure = match (on_spot, case.handled_at, case.due_at) {
                    (true, _, _) => Closure::OnSpot,
                    (false, Some(handled), Some(due)) if handled > due => Closure::Overdue,
                    _ => Closure::Normal,
                };
                w.case = Some(CaseChange::Close {
                    at: req.at,
                    closure,
                });
            } else if on_spot {
                // The spot fix did not hold: a case like any other, to dispatch, with no
                // handling on record.
                to = CaseState::Registered;
                w.case = Some(CaseChange::Undispatch);
            } else {
                let due_at = rules.handling_due(&snap.record, req.at);
                w.case = Some(CaseChange::Rework { due_at });
                w.event.due_at = Some(due_at);
            }
        }
        Action::PhotosComplete | Action::PhotosAdded | Action::Resubmit => {}
    }
    if w.cancel_tasks {
        w.touches.extend(
            snap.open_tasks
                .iter()
                .map(|(task, assignee)| Touch::task(*task, *assignee)),
        );
    }
    w.to = to;
    w.event.to = to;
    let handling_due = match &w.case {
        Some(
            CaseChange::Dispatch { due_at, .. }
            | CaseChange::Rework { due_at }
            | CaseChange::DecideExtension {
                due_at: Some(due_at),
                ..
            },
        ) => Some(*due_at),
        Some(CaseChange::Resume { due_at }) => *due_at,
        _ => case.due_at,
    };
    w.step_due = rules.step_due(to, req.at, handling_due);
    w.event.step_due = w.step_due;
    Ok(w)
}

/// Closes the inspector's task a device's step answers (核查 or 核实): it must be open on
/// this report and theirs; its note and photos go with it.
fn close_task(
    req: &StepRequest,
    snap: &StepSnapshot,
    w: &mut StepWrites,
    passed: bool,
    done: &TaskDone,
) -> Result<(), Message> {
    let Some((_, assignee)) = snap.open_tasks.iter().find(|(t, _)| *t == done.id) else {
        return Err(msg!(TASK_NOT_OPEN, task = done.id, report = req.report));
    };
    if req.by.user != Some(*assignee) {
        return Err(msg!(TASK_OTHERS, task = done.id));
    }
    w.task_photos = done.photos.iter().map(|p| (done.id, p.clone())).collect();
    w.close_tasks = Some(ClosedTasks {
        passed,
        note: done.note.clone(),
        photos: done.photos.clone(),
        by_device: req.by.device,
    });
    w.touches.extend(
        snap.open_tasks
            .iter()
            .map(|(task, assignee)| Touch::task(*task, *assignee)),
    );
    w.event.text.clone_from(&done.note);
    Ok(())
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
            (
                Action::Handled {
                    note: None,
                    photos: vec![],
                },
                S::Handled,
            ),
            (
                Action::Verify {
                    passed: false,
                    note: None,
                },
                S::Dispatched,
            ),
            (
                Action::Handled {
                    note: None,
                    photos: vec![],
                },
                S::Handled,
            ),
            (
                Action::Verify {
                    passed: true,
                    note: None,
                },
                S::Closed,
            ),
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
                Action::Handled {
                    note: None,
                    photos: vec![],
                },
                Action::Verify {
                    passed: true,
                    note: None,
                },
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
        let e = go(
            S::PendingReview,
            Action::Handled {
                note: None,
                photos: vec![],
            },
        )
        .expect_err("not dispatched");
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
        assert!(
            go(
                S::Dispatched,
                Action::Verify {
                    passed: true,
                    note: None
                }
            )
            .is_err()
        );
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
            Action::Handled {
                note: None,
                photos: vec![],
            },
            Action::Verify {
                passed: true,
                note: None,
            },
            Action::Verify {
                passed: false,
                note: None,
            },
            Action::Check { real: true },
            Action::Check { real: false },
            Action::Accept,
            Action::Bounce {
                reason: "非本单位职责".into(),
            },
            Action::RequestExtension {
                hours: 7,
                reason: "需采购井盖".into(),
            },
            Action::DecideExtension {
                approve: true,
                comment: None,
            },
            Action::Suspend {
                reason: "待规划批复".into(),
                until: NaiveDate::from_ymd_opt(2026, 12, 10).expect("day"),
            },
            Action::Resume,
            Action::Void {
                reason: "重复立案".into(),
            },
            Action::CloseSpecial {
                reason: "已纳入改造工程".into(),
            },
        ]
    }

    const STATES: [CaseState; 12] = CaseState::ALL;

    /// The whole table, as the module doc states it.
    fn allowed(state: CaseState, action: &Action) -> Option<CaseState> {
        use Action as A;
        match (state, action) {
            (S::AwaitingPhotos, A::PhotosComplete) => Some(S::PendingReview),
            (S::PendingReview, A::PhotosAdded) => Some(S::AwaitingPhotos),
            (S::PendingReview, A::Approve(_)) => Some(S::Registered),
            (S::AwaitingPhotos | S::PendingReview, A::Return { .. }) => Some(S::Returned),
            (
                S::AwaitingCheck | S::AwaitingPhotos | S::PendingReview | S::Returned,
                A::Reject { .. },
            ) => Some(S::Rejected),
            (
                S::AwaitingCheck | S::AwaitingPhotos | S::PendingReview | S::Returned,
                A::Merge { .. },
            ) => Some(S::Merged),
            (S::AwaitingCheck, A::Check { real }) => {
                Some(if *real { S::PendingReview } else { S::Rejected })
            }
            (S::Returned, A::Resubmit) => Some(S::PendingReview),
            (S::AwaitingCheck, A::Approve(_)) => Some(S::Registered),
            (S::Registered | S::Dispatched | S::InProgress, A::Dispatch { .. }) => {
                Some(S::Dispatched)
            }
            (S::Dispatched, A::Accept) => Some(S::InProgress),
            (S::Dispatched | S::InProgress, A::Handled { .. }) => Some(S::Handled),
            (S::Dispatched | S::InProgress, A::Bounce { .. }) => Some(S::Registered),
            (
                S::Dispatched | S::InProgress,
                A::RequestExtension { .. } | A::DecideExtension { .. },
            ) => Some(state),
            (S::Registered | S::Dispatched | S::InProgress, A::Suspend { .. }) => {
                Some(S::Suspended)
            }
            (S::Suspended, A::Resume) => Some(S::Registered),
            (
                S::Registered | S::Dispatched | S::InProgress | S::Handled | S::Suspended,
                A::Void { .. },
            ) => Some(S::Rejected),
            (
                S::Registered | S::Dispatched | S::InProgress | S::Handled | S::Suspended,
                A::CloseSpecial { .. },
            ) => Some(S::Closed),
            (S::Handled, A::Verify { passed: true, .. }) => Some(S::Closed),
            (S::Handled, A::Verify { passed: false, .. }) => Some(S::Dispatched),
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
            case: None,
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
            department_seen: None,
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
            &request(
                Action::Handled {
                    note: None,
                    photos: vec![],
                },
                S::Dispatched,
            ),
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

        // A report from another port (a hotline): the inspector who checked it on site
        // verifies it, not the port that filed it.
        let mut from_port = snapshot(S::Dispatched);
        let checker = UserId::new();
        from_port.case = Some(HeldCase {
            checked_by: Some(checker),
            ..from_port.case.clone().unwrap_or_default()
        });
        let handled = writes(plan_step(
            &request(
                Action::Handled {
                    note: None,
                    photos: vec![],
                },
                S::Dispatched,
            ),
            &from_port,
            &reference,
        ));
        let task = handled.open_task.expect("a verification task");
        assert_eq!(task.assignee, checker);
        assert!(handled.touches.contains(&Touch::task(task.id, checker)));
    }

    #[test]
    fn a_devices_answer_to_a_check_is_the_check_step() {
        let mut req = request(
            Action::Verify {
                passed: true,
                note: None,
            },
            S::Handled,
        );
        let verify = answering(&req, false);
        assert_eq!((verify.action, verify.seen), (req.action.clone(), req.seen));
        let check = answering(&req, true);
        assert_eq!(check.action, Action::Check { real: true });
        assert_eq!(check.seen, Some(S::AwaitingCheck));
        req.action = Action::Verify {
            passed: false,
            note: None,
        };
        assert_eq!(answering(&req, true).action, Action::Check { real: false });
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
        handled.case = Some(dispatched_to("HW"));
        let assignee = UserId::new();
        let task = TaskId::new();
        handled.open_tasks = vec![(task, assignee)];
        let mut verify = request(
            Action::Verify {
                passed: false,
                note: None,
            },
            S::Handled,
        );
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

    fn dispatched_to(department: &str) -> HeldCase {
        HeldCase {
            department: Some(department.into()),
            // Monday 2026-11-23 17:00 local.
            due_at: Some("2026-11-23T09:00:00Z".parse().expect("time")),
            ..HeldCase::default()
        }
    }

    fn with_case(state: CaseState, case: HeldCase) -> StepSnapshot {
        StepSnapshot {
            case: Some(case),
            ..snapshot(state)
        }
    }

    #[test]
    fn a_department_accepts_sends_back_and_asks_for_time() {
        let reference = reference();
        let snap = with_case(S::Dispatched, dispatched_to("HW"));
        let accept = writes(plan_step(
            &request(Action::Accept, S::Dispatched),
            &snap,
            &reference,
        ));
        assert_eq!(accept.to, S::InProgress);
        assert!(matches!(accept.case, Some(CaseChange::Accept { .. })));
        // Still the handling deadline in force.
        assert_eq!(accept.step_due, snap.case.as_ref().and_then(|c| c.due_at));

        let back = writes(plan_step(
            &request(
                Action::Bounce {
                    reason: " 属供水公司管辖 ".into(),
                },
                S::Dispatched,
            ),
            &snap,
            &reference,
        ));
        assert_eq!(back.to, S::Registered);
        assert_eq!(back.case, Some(CaseChange::Undispatch));
        assert_eq!(back.event.text.as_deref(), Some("属供水公司管辖"));
        // Waiting for the centre to dispatch it again: 派遣 is 1 working hour, from
        // 10:00 local.
        assert_eq!(
            back.step_due,
            Some("2026-11-23T03:00:00Z".parse().expect("time"))
        );

        let redispatch = writes(plan_step(
            &request(
                Action::Dispatch {
                    department: "GS".into(),
                },
                S::Dispatched,
            ),
            &snap,
            &reference,
        ));
        assert_eq!(redispatch.event.action, "redispatch");
        assert_eq!(redispatch.to, S::Dispatched);
        let same = plan_step(
            &request(
                Action::Dispatch {
                    department: "HW".into(),
                },
                S::Dispatched,
            ),
            &snap,
            &reference,
        );
        assert!(matches!(same, StepPlan::Refused(m) if m.code == "case.same_department"));

        let ask = |hours| {
            plan_step(
                &request(
                    Action::RequestExtension {
                        hours,
                        reason: "需采购井盖".into(),
                    },
                    S::Dispatched,
                ),
                &snap,
                &reference,
            )
        };
        let asked = writes(ask(7));
        assert_eq!(asked.to, S::Dispatched, "the state stays");
        assert_eq!(
            asked.case,
            Some(CaseChange::RequestExtension {
                hours: 7,
                reason: "需采购井盖".into()
            })
        );
        for hours in [0, 36] {
            assert!(matches!(ask(hours), StepPlan::Refused(m) if m.code == "case.extension_hours"));
        }
        let mut waiting = snap.clone();
        if let Some(c) = waiting.case.as_mut() {
            c.extension_hours = Some(7);
        }
        assert!(matches!(
            plan_step(
                &request(
                    Action::RequestExtension {
                        hours: 2,
                        reason: "再延".into()
                    },
                    S::Dispatched
                ),
                &waiting,
                &reference
            ),
            StepPlan::Refused(m) if m.code == "case.extension_open"
        ));
        let decide = |approve, snap: &StepSnapshot| {
            plan_step(
                &request(
                    Action::DecideExtension {
                        approve,
                        comment: Some("同意".into()),
                    },
                    S::Dispatched,
                ),
                snap,
                &reference,
            )
        };
        assert!(
            matches!(decide(true, &snap), StepPlan::Refused(m) if m.code == "case.extension_none")
        );
        // Due Monday 17:00 local; 7 working hours more: 0.5 h Monday, then Tuesday 3.5 h
        // before noon and 3 after → 17:00.
        let approved = writes(decide(true, &waiting));
        let moved: DateTime<Utc> = "2026-11-24T09:00:00Z".parse().expect("time");
        assert_eq!(
            approved.case,
            Some(CaseChange::DecideExtension {
                approved: true,
                comment: Some("同意".into()),
                due_at: Some(moved)
            })
        );
        assert_eq!(approved.step_due, Some(moved));
        assert_eq!(approved.event.action, "approve_extension");
        let refused = writes(decide(false, &waiting));
        assert_eq!(refused.event.action, "refuse_extension");
        assert_eq!(
            refused.step_due,
            waiting.case.as_ref().and_then(|c| c.due_at)
        );
    }

    #[test]
    fn the_centre_suspends_resumes_voids_and_closes() {
        let reference = reference();
        let mut snap = with_case(S::InProgress, dispatched_to("HW"));
        snap.open_tasks = vec![(TaskId::new(), UserId::new())];
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("day");
        let suspend = |until| {
            plan_step(
                &request(
                    Action::Suspend {
                        reason: "待规划批复".into(),
                        until,
                    },
                    S::InProgress,
                ),
                &snap,
                &reference,
            )
        };
        // The step is on the 23rd (local): a day to resume by must be later.
        assert!(matches!(suspend(day(23)), StepPlan::Refused(m) if m.code == "case.suspend_until"));
        let suspended = writes(suspend(day(25)));
        assert_eq!(suspended.to, S::Suspended);
        assert_eq!(suspended.step_due, None, "the clock stops");
        let Some(CaseChange::Suspend { from, .. }) = suspended.case else {
            panic!("{:?}", suspended.case)
        };
        assert_eq!(from, S::InProgress);

        // Suspended Monday 10:00 local with due 17:00: 5 working hours left (2 + 3). Resumed
        // Wednesday 10:00 local (the request's day + 2) → 2 h before noon, 3 after: 17:00.
        let mut held = with_case(
            S::Suspended,
            HeldCase {
                suspended: Some((S::InProgress, "2026-11-23T02:00:00Z".parse().expect("t"))),
                ..dispatched_to("HW")
            },
        );
        held.open_tasks = vec![];
        let mut resume = request(Action::Resume, S::Suspended);
        resume.at = "2026-11-25T02:00:00Z".parse().expect("time");
        let resumed = writes(plan_step(&resume, &held, &reference));
        assert_eq!(resumed.to, S::InProgress, "back where it was");
        assert_eq!(resumed.event.to, S::InProgress);
        let due: DateTime<Utc> = "2026-11-25T09:00:00Z".parse().expect("time");
        assert_eq!(resumed.case, Some(CaseChange::Resume { due_at: Some(due) }));
        assert_eq!(resumed.step_due, Some(due));

        let void = writes(plan_step(
            &request(
                Action::Void {
                    reason: "重复立案".into(),
                },
                S::InProgress,
            ),
            &snap,
            &reference,
        ));
        assert_eq!(void.to, S::Rejected);
        assert!(void.cancel_tasks);
        assert_eq!(
            void.note.as_deref(),
            Some("重复立案"),
            "the inspector is told why"
        );
        assert!(void.touches.len() == 2, "the report and its open task");

        let special = writes(plan_step(
            &request(
                Action::CloseSpecial {
                    reason: "已纳入改造工程".into(),
                },
                S::InProgress,
            ),
            &snap,
            &reference,
        ));
        assert_eq!(special.to, S::Closed);
        assert!(matches!(
            special.case,
            Some(CaseChange::Close {
                closure: Closure::Special,
                ..
            })
        ));
        let blank = plan_step(
            &request(
                Action::CloseSpecial {
                    reason: "  ".into(),
                },
                S::InProgress,
            ),
            &snap,
            &reference,
        );
        assert!(matches!(blank, StepPlan::Refused(m) if m.code == "case.reason_needed"));
    }

    #[test]
    fn a_report_fixed_on_the_spot_goes_to_the_leader_and_closes_as_such() {
        let reference = reference();
        let mut snap = snapshot(S::PendingReview);
        snap.record.handled_on_spot = true;
        let approve = writes(plan_step(
            &request(Action::approve(), S::PendingReview),
            &snap,
            &reference,
        ));
        assert_eq!(approve.to, S::Handled, "no department");
        assert!(approve.open_task.is_none(), "the leader checks, not a task");
        assert!(approve.step_due.is_some(), "核查 has its limit");

        let on_spot = with_case(S::Handled, HeldCase::default());
        let pass = writes(plan_step(
            &request(
                Action::Verify {
                    passed: true,
                    note: None,
                },
                S::Handled,
            ),
            &on_spot,
            &reference,
        ));
        assert!(matches!(
            pass.case,
            Some(CaseChange::Close {
                closure: Closure::OnSpot,
                ..
            })
        ));
        let fail = writes(plan_step(
            &request(
                Action::Verify {
                    passed: false,
                    note: None,
                },
                S::Handled,
            ),
            &on_spot,
            &reference,
        ));
        assert_eq!(fail.to, S::Registered, "to dispatch like any case");
        assert_eq!(
            fail.case,
            Some(CaseChange::Undispatch),
            "its handling is off the record"
        );

        // A dispatched case is not verified at the console.
        let dispatched = with_case(S::Handled, dispatched_to("HW"));
        assert!(matches!(
            plan_step(
                &request(Action::Verify { passed: true, note: None }, S::Handled),
                &dispatched,
                &reference
            ),
            StepPlan::Refused(m) if m.code == "case.verify_by_task"
        ));
    }

    #[test]
    fn a_case_handled_late_closes_overdue() {
        let reference = reference();
        let assignee = UserId::new();
        let task = TaskId::new();
        let close = |handled_at: &str| {
            let mut snap = with_case(
                S::Handled,
                HeldCase {
                    handled_at: Some(handled_at.parse().expect("time")),
                    ..dispatched_to("HW")
                },
            );
            snap.open_tasks = vec![(task, assignee)];
            let mut req = request(
                Action::Verify {
                    passed: true,
                    note: None,
                },
                S::Handled,
            );
            req.by = Author::person(assignee);
            req.task = Some(TaskDone {
                id: task,
                note: None,
                photos: vec![],
            });
            match writes(plan_step(&req, &snap, &reference)).case {
                Some(CaseChange::Close { closure, .. }) => closure,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(close("2026-11-23T08:00:00Z"), Closure::Normal);
        assert_eq!(close("2026-11-23T09:30:00Z"), Closure::Overdue);
    }

    #[test]
    fn a_hotline_report_is_checked_on_site_from_the_tablet() {
        let reference = reference();
        let inspector = UserId::new();
        let task = TaskId::new();
        let mut snap = snapshot(S::AwaitingCheck);
        snap.open_tasks = vec![(task, inspector)];
        let mut req = request(Action::Check { real: false }, S::AwaitingCheck);
        assert!(matches!(
            plan_step(&req, &snap, &reference),
            StepPlan::Refused(m) if m.code == "case.check_by_task"
        ));
        req.by = Author::person(inspector);
        req.task = Some(TaskDone {
            id: task,
            note: Some("现场未见积水".into()),
            photos: vec![],
        });
        let not_found = writes(plan_step(&req, &snap, &reference));
        assert_eq!(not_found.to, S::Rejected);
        assert!(
            not_found
                .note
                .as_deref()
                .is_some_and(|n| n.contains("现场未见积水"))
        );
        req.action = Action::Check { real: true };
        let real = writes(plan_step(&req, &snap, &reference));
        assert_eq!(real.to, S::PendingReview);
        assert_eq!(real.close_tasks.map(|c| c.passed), Some(true));
        assert!(real.step_due.is_some(), "受理 has its limit");
    }
}
