//! Pure decisions of the sync client, unit-tested without a network: how long to wait
//! before the next attempt, and what a push answer means for each local report.

use gridwalk_protocol::message::{Message, msg};
use std::time::Duration;

use gridwalk_protocol::{MutationBody, Outcome};

/// Exponential backoff with "full jitter": the wait is a uniformly random fraction of
/// `min(cap, base · 2^attempt)`, so devices that lost the network together do not all
/// come back in the same second. `jitter` is that fraction, in `[0, 1)`.
#[must_use]
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    ceiling.mul_f64(jitter.clamp(0.0, 1.0))
}

/// What an answered mutation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Submit,
    Edit,
    Task,
}

impl Op {
    #[must_use]
    pub fn of(body: &MutationBody) -> Self {
        match body {
            MutationBody::SubmitReport { .. } => Op::Submit,
            MutationBody::EditReport { .. } => Op::Edit,
            MutationBody::CompleteTask { .. } => Op::Task,
        }
    }
}

/// What to do locally with one answered mutation (its outbox entry goes either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// The centre has the report now.
    Submitted,
    /// The centre refused the report: mark it rejected with the reason.
    SubmitRefused { reason: Message },
    /// The centre took the change, as sent or merged with its own.
    Edited,
    /// The centre took what it could; fields it had also changed wait for an operator.
    EditConflict { note: Message },
    /// The centre refused the change and keeps its version: show why and go back to it.
    EditRefused { note: Message },
    /// The centre recorded the verification.
    TaskDone,
    /// The centre refused the verification (the case moved on, or the task is someone
    /// else's): the task reopens with the reason.
    TaskRefused { note: Message },
}

/// Why the centre refused: its message, or its words from an older centre.
fn why(refusal: &Outcome) -> Message {
    refusal
        .refusal()
        .unwrap_or_else(|| Message::verbatim("refused"))
}

/// The local settlement of one mutation's answer.
#[must_use]
pub fn settle(op: Op, outcome: &Outcome) -> Settle {
    match (op, outcome) {
        (Op::Submit, r @ Outcome::Rejected { .. }) => Settle::SubmitRefused { reason: why(r) },
        (Op::Submit, _) => Settle::Submitted,
        (Op::Edit, Outcome::Applied | Outcome::Merged) => Settle::Edited,
        (Op::Edit, Outcome::Conflict { conflict }) => Settle::EditConflict {
            note: msg!(EDIT_CONFLICT, conflict = conflict),
        },
        (Op::Edit, r @ Outcome::Rejected { .. }) => Settle::EditRefused {
            note: msg!(EDIT_REFUSED).because(why(r)),
        },
        (Op::Task, r @ Outcome::Rejected { .. }) => Settle::TaskRefused {
            note: msg!(TASK_REFUSED).because(why(r)),
        },
        (Op::Task, _) => Settle::TaskDone,
    }
}

/// The furthest the centre may move the queue's numbers: far more than any tablet's lost
/// history, far less than the numbers a device can hand out.
pub const MAX_RENUMBER_DISTANCE: u64 = 1 << 40;

/// Whether a `number_reused` answer fits the push it answers (numbers `sent`): `from` is
/// one of them and `expected` lies after it, within [`MAX_RENUMBER_DISTANCE`]. Anything
/// else is not followed (a hostile or broken centre could otherwise make the queue skip
/// to the end of the numbers, or leave a hole in it).
pub fn fits_reuse(sent: impl IntoIterator<Item = u64>, from: u64, expected: u64) -> bool {
    sent.into_iter().any(|id| id == from)
        && expected > from
        && expected - from <= MAX_RENUMBER_DISTANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_reuse_answer_that_fits_the_push_is_followed() {
        assert!(fits_reuse([13, 14], 14, 15));
        assert!(fits_reuse([13, 14], 13, 40));
        assert!(!fits_reuse([13, 14], 12, 15), "a number not sent");
        assert!(!fits_reuse([13, 14], 14, 14), "not forward");
        assert!(
            !fits_reuse([1], 1, 9_223_372_036_854_775_796),
            "to the end of the numbers"
        );
        assert!(!fits_reuse([], 1, 2));
    }

    #[test]
    fn backoff_grows_then_caps_and_jitters() {
        let (b, c) = (Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(
            backoff(0, b, c, 0.999_999),
            Duration::from_secs(1).mul_f64(0.999_999)
        );
        assert_eq!(backoff(3, b, c, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(20, b, c, 1.0), c);
        assert_eq!(backoff(u32::MAX, b, c, 1.0), c, "no overflow");
        assert_eq!(backoff(5, b, c, 0.0), Duration::ZERO);
    }

    #[test]
    fn answers_settle_by_what_was_sent() {
        // From an older centre: words only.
        let refused = Outcome::Rejected {
            reason: "category: no".into(),
            message: None,
        };
        assert_eq!(settle(Op::Submit, &Outcome::Applied), Settle::Submitted);
        assert_eq!(
            settle(Op::Submit, &refused),
            Settle::SubmitRefused {
                reason: Message::verbatim("category: no")
            }
        );
        // From this one: the code, passed on to the inspector.
        let coded = Outcome::rejected(msg!(CASE_REMOVED, report = "r1"));
        let Settle::TaskRefused { note } = settle(Op::Task, &coded) else {
            panic!("a verification refused")
        };
        assert_eq!(note.code, gridwalk_protocol::message::code::TASK_REFUSED);
        assert_eq!(
            note.cause.as_deref(),
            Some(&msg!(CASE_REMOVED, report = "r1"))
        );
        assert_eq!(settle(Op::Edit, &Outcome::Merged), Settle::Edited);
        let Settle::EditRefused { note } = settle(Op::Edit, &refused) else {
            panic!("an edit refused")
        };
        assert!(note.english().ends_with("category: no"), "{note}");
        let conflict = Outcome::Conflict {
            conflict: "c1".into(),
        };
        let Settle::EditConflict { note } = settle(Op::Edit, &conflict) else {
            panic!("a conflict")
        };
        assert!(
            note.english().contains("operator") && note.english().contains("c1"),
            "{note}"
        );
    }
}
