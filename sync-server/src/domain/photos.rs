//! What photos do to a report's state. A report is reviewed only once the centre holds
//! every photo it lists: it waits in `awaiting_photos` until then. Photos arrive on their
//! own (over tus, after the report), and a new version of a report may add or remove
//! photos; either may move the report, and every move is a step of the case loop
//! ([`crate::domain::cases::next`]) written with its case event.

use chrono::{DateTime, Utc};
use gridwalk_protocol::{CaseState, ReportId};

use super::cases::{self, Action, NewEvent};
use super::model::Author;

/// The state a report takes on intake: review when every photo it lists is held, else
/// waiting for them.
#[must_use]
pub fn intake_state(all_held: bool) -> CaseState {
    if all_held {
        CaseState::PendingReview
    } else {
        CaseState::AwaitingPhotos
    }
}

/// A change of state with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub to: CaseState,
    pub event: NewEvent,
}

fn step(
    id: ReportId,
    from: CaseState,
    action: &Action,
    by: Author,
    at: DateTime<Utc>,
) -> Option<Move> {
    let to = cases::next(id, from, action).ok()?;
    Some(Move {
        to,
        event: NewEvent {
            action: action.name(),
            from,
            to,
            by,
            text: None,
            due_at: None,
            at,
        },
    })
}

/// What a new version of report `id`, in `state`, does to it: `all_held` says whether the
/// centre holds every photo the version lists, `resubmit` whether its inspector made it
/// (which sends a returned report back to intake).
#[must_use]
pub fn after_version(
    id: ReportId,
    state: CaseState,
    all_held: bool,
    resubmit: bool,
    by: Author,
    at: DateTime<Utc>,
) -> Option<Move> {
    match state {
        CaseState::Returned if resubmit => {
            let mut m = step(id, state, &Action::Resubmit, by, at)?;
            // Resubmitted with a photo not held yet: it waits for it before review.
            m.to = intake_state(all_held);
            m.event.to = m.to;
            Some(m)
        }
        CaseState::AwaitingPhotos if all_held => step(id, state, &Action::PhotosComplete, by, at),
        CaseState::PendingReview if !all_held => step(id, state, &Action::PhotosAdded, by, at),
        _ => None,
    }
}

/// What a photo's arrival does to a report waiting in `state`, now that `all_held` says
/// whether every photo it lists is held. The centre itself makes the move.
#[must_use]
pub fn on_arrival(
    id: ReportId,
    state: CaseState,
    all_held: bool,
    at: DateTime<Utc>,
) -> Option<Move> {
    if state == CaseState::AwaitingPhotos && all_held {
        step(id, state, &Action::PhotosComplete, Author::default(), at)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    #[test]
    fn the_last_photo_moves_a_waiting_report_to_review_with_an_event() {
        let id = ReportId::new();
        let at = Utc::now();
        let m = on_arrival(id, S::AwaitingPhotos, true, at).expect("moves");
        assert_eq!(m.to, S::PendingReview);
        assert_eq!(m.event.action, "photos_complete");
        assert_eq!(
            (m.event.from, m.event.to),
            (S::AwaitingPhotos, S::PendingReview)
        );
        assert_eq!(m.event.by, Author::default(), "the centre moved it");
        assert_eq!(
            on_arrival(id, S::AwaitingPhotos, false, at),
            None,
            "one still missing"
        );
        for s in [S::PendingReview, S::Registered, S::Returned, S::Closed] {
            assert_eq!(
                on_arrival(id, s, true, at),
                None,
                "{s:?} does not wait for photos"
            );
        }
    }

    #[test]
    fn a_new_version_moves_the_report_by_its_photos() {
        let (id, at, by) = (ReportId::new(), Utc::now(), Author::default());
        let added = after_version(id, S::PendingReview, false, true, by, at).expect("moves");
        assert_eq!(
            (added.to, added.event.action),
            (S::AwaitingPhotos, "photos_added")
        );
        let removed = after_version(id, S::AwaitingPhotos, true, false, by, at).expect("moves");
        assert_eq!(
            (removed.to, removed.event.action),
            (S::PendingReview, "photos_complete")
        );
        assert_eq!(
            after_version(id, S::PendingReview, true, true, by, at),
            None
        );
        assert_eq!(
            after_version(id, S::AwaitingPhotos, false, true, by, at),
            None
        );
    }

    #[test]
    fn an_inspectors_resubmission_sends_a_returned_report_back_to_intake() {
        let (id, at, by) = (ReportId::new(), Utc::now(), Author::default());
        let back = after_version(id, S::Returned, true, true, by, at).expect("moves");
        assert_eq!((back.to, back.event.action), (S::PendingReview, "resubmit"));
        let waits = after_version(id, S::Returned, false, true, by, at).expect("moves");
        assert_eq!(
            (waits.to, waits.event.to),
            (S::AwaitingPhotos, S::AwaitingPhotos)
        );
        assert_eq!(
            after_version(id, S::Returned, true, false, by, at),
            None,
            "the centre's own change leaves a returned report with the inspector"
        );
        for s in [
            S::Registered,
            S::Dispatched,
            S::Handled,
            S::Closed,
            S::Rejected,
            S::Merged,
        ] {
            assert_eq!(after_version(id, s, false, true, by, at), None, "{s:?}");
        }
    }
}
