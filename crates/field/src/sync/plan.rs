//! Pure decisions of the sync client, unit-tested without a network: how long to wait
//! before the next attempt, and what a push answer means for each local report.

use std::time::Duration;

use gridwalk_protocol::{MutationId, Outcome, PushResponse};

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

/// What to do locally with one answered mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// The centre has it: drop the outbox entry, mark the report sent.
    Sent { mutation: MutationId },
    /// The centre refused it: drop the entry, mark the report rejected with the reason.
    Rejected {
        mutation: MutationId,
        reason: String,
    },
}

/// Turns a push answer into local settlements, one per mutation answered.
#[must_use]
pub fn settle(response: &PushResponse) -> Vec<Settle> {
    response
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Applied | Outcome::Merged => Settle::Sent { mutation: r.id },
            Outcome::Conflict { conflict } => Settle::Rejected {
                mutation: r.id,
                reason: format!(
                    "changed at the centre too; an operator will decide (conflict {conflict})"
                ),
            },
            Outcome::Rejected { reason } => Settle::Rejected {
                mutation: r.id,
                reason: reason.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use gridwalk_protocol::MutationResult;

    use super::*;

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
    fn answers_settle_each_mutation() {
        let resp = PushResponse {
            last_applied: 3,
            results: vec![
                MutationResult {
                    id: 1,
                    outcome: Outcome::Applied,
                },
                MutationResult {
                    id: 2,
                    outcome: Outcome::Rejected {
                        reason: "category: no".into(),
                    },
                },
                MutationResult {
                    id: 3,
                    outcome: Outcome::Merged,
                },
            ],
        };
        assert_eq!(
            settle(&resp),
            vec![
                Settle::Sent { mutation: 1 },
                Settle::Rejected {
                    mutation: 2,
                    reason: "category: no".into()
                },
                Settle::Sent { mutation: 3 },
            ]
        );
    }
}
