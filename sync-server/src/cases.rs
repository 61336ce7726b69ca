//! The case loop (发现 → 立案 → 派遣 → 处置 → 核查 → 结案) as a pure state machine: which
//! action may follow which state, and what it leads to. The store applies a step
//! ([`crate::store::Step`]) in one transaction: it reads the state under its lock, asks
//! [`next`], and writes the new state, the case event and what follows (a case number, a
//! deadline, a verification task for an inspector).
//!
//! - `awaiting_photos` → `pending_review` when the last photo arrives;
//! - `pending_review` → `registered` (approve, 立案), `returned` (return, with a comment),
//!   `rejected` (reject, 作废, with a reason) or `merged` (into another report);
//! - `returned` → `pending_review` when the inspector resubmits, or `rejected`/`merged`;
//! - `registered` → `dispatched` (派遣, to a department) → `handled` (处置完成);
//! - `handled` → `closed` (核查 passed, 结案) or back to `dispatched` (核查 failed, 返工).
//!
//! `rejected` (作废), `merged` and `closed` (结案) are final.

use gridwalk_protocol::{CaseState, ReportId};

/// What someone does to a report or case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The last photo arrived (the centre does this itself).
    PhotosComplete,
    /// A team leader accepts it as a case (立案).
    Approve,
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

impl Action {
    /// The action's name in the audit trail.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Action::PhotosComplete => "photos_complete",
            Action::Approve => "approve",
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
pub fn next(id: ReportId, state: CaseState, action: &Action) -> Result<CaseState, String> {
    use Action as A;
    use CaseState as S;
    let blank = |s: &str| s.trim().is_empty();
    match action {
        A::Return { comment } if blank(comment) => {
            return Err("say what the inspector should change".into());
        }
        A::Reject { reason } if blank(reason) => {
            return Err("give the reason for rejecting it".into());
        }
        A::Dispatch { department } if blank(department) => {
            return Err("name the department to dispatch it to".into());
        }
        A::Merge { into } if *into == id => {
            return Err("a report cannot be merged into itself".into());
        }
        _ => {}
    }
    let to = match (state, action) {
        (S::AwaitingPhotos, A::PhotosComplete) => S::PendingReview,
        (S::AwaitingPhotos, A::Approve) => {
            return Err("its photos are still arriving; approve it once they are in".into());
        }
        (S::AwaitingPhotos | S::PendingReview, A::Return { .. }) => S::Returned,
        (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Reject { .. }) => S::Rejected,
        (S::AwaitingPhotos | S::PendingReview | S::Returned, A::Merge { .. }) => S::Merged,
        (S::PendingReview, A::Approve) => S::Registered,
        (S::Returned, A::Resubmit) => S::PendingReview,
        (S::Registered, A::Dispatch { .. }) => S::Dispatched,
        (S::Dispatched, A::Handled) => S::Handled,
        (S::Handled, A::Verify { passed: true }) => S::Closed,
        (S::Handled, A::Verify { passed: false }) => S::Dispatched,
        (S::Rejected | S::Merged | S::Closed, _) => {
            return Err(format!(
                "report {id} is {}: nothing more can be done",
                state.as_str()
            ));
        }
        (state, action) => {
            return Err(format!(
                "report {id} is {}; it cannot be {} now",
                state.as_str(),
                action.name()
            ));
        }
    };
    Ok(to)
}

/// Why acting now would be wrong when the person saw the report in `seen` and it is in
/// `state`: someone else acted on it in between.
#[must_use]
pub fn check_seen(id: ReportId, seen: Option<CaseState>, state: CaseState) -> Option<String> {
    match seen {
        Some(seen) if seen != state => Some(format!(
            "report {id} is {} now, not {}: someone else acted on it first; look again",
            state.as_str(),
            seen.as_str()
        )),
        _ => None,
    }
}

/// Whether a report may be merged into `into`, which is in `target` (its state, and
/// whether it was removed), or does not exist (`None`).
pub fn merge_target(into: ReportId, target: Option<(CaseState, bool)>) -> Result<(), String> {
    match target {
        None => Err(format!("there is no report {into} to merge into")),
        Some((_, true)) => Err(format!("report {into} was removed at the centre")),
        Some((CaseState::Rejected | CaseState::Merged, _)) => Err(format!(
            "report {into} was itself rejected or merged; merge into the report that stands"
        )),
        Some(_) => Ok(()),
    }
}

/// The case number (立案编号) of the `n`th case registered on local day `day` (`20261121`).
#[must_use]
pub fn case_number(day: &str, n: u64) -> String {
    format!("{day}-{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    fn go(state: CaseState, action: Action) -> Result<CaseState, String> {
        next(ReportId::new(), state, &action)
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
            (Action::Approve, S::Registered),
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
                Action::Approve,
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
        let e = go(S::AwaitingPhotos, Action::Approve).expect_err("photos first");
        assert!(e.contains("photos are still arriving"), "{e}");
        let e = go(S::PendingReview, Action::Handled).expect_err("not dispatched");
        assert!(
            e.contains("is pending_review; it cannot be handled now"),
            "{e}"
        );
        let e = go(
            S::Registered,
            Action::Return {
                comment: "x".into(),
            },
        )
        .expect_err("a case");
        assert!(e.contains("cannot be return now"), "{e}");
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
}
