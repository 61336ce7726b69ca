//! Who may see and do what in the console.
//!
//! - a team leader (网格长) reviews, dispatches and marks handled the reports of their own
//!   team's inspectors, and sees their team's devices and evaluation;
//! - an operator (监督指挥中心) may act on any report and alone resolves conflicts;
//! - inspectors use the app, not the console.
//!
//! Signing in is limited: failed attempts are counted per login and per address over
//! [`SIGN_IN_WINDOW_MINUTES`], and past either limit the form is refused before the password
//! is even checked ([`sign_in_allowed`]). A session ends at its expiry, when its person's
//! password changes or they are disabled, and after [`SESSION_IDLE_MINUTES`] without use
//! ([`session_state`]).

use chrono::{DateTime, Duration, Utc};

use super::Denied;
use super::model::{Role, User};

/// The window failed sign-ins are counted over.
pub const SIGN_IN_WINDOW_MINUTES: i64 = 15;
/// Failed sign-ins for one login within the window before it is locked for the window.
pub const MAX_FAILURES_PER_LOGIN: u64 = 5;
/// Failed sign-ins from one address within the window (a centre's office shares one).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 30;
/// A console session unused this long is over.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// How stale a session's last use may be before it is written again (not on every request).
pub const SESSION_TOUCH_SECONDS: i64 = 60;

/// Whether another sign-in may be tried, given the failures in the window for the login
/// and from the address; the refusal says why and for how long.
pub fn sign_in_allowed(by_login: u64, by_address: u64) -> Result<(), String> {
    if by_login >= MAX_FAILURES_PER_LOGIN {
        return Err(format!(
            "too many failed sign-ins for this login; try again in {SIGN_IN_WINDOW_MINUTES} \
             minutes, or ask an administrator to set a new password"
        ));
    }
    if by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(format!(
            "too many failed sign-ins from this address; try again in \
             {SIGN_IN_WINDOW_MINUTES} minutes"
        ));
    }
    Ok(())
}

/// Where a live session stands at `now`, given when it was last used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// In use; `touch` says its last use should be written again.
    Live { touch: bool },
    /// Unused for too long: it is over.
    Idle,
}

/// Decides a session's state from its last use.
#[must_use]
pub fn session_state(now: DateTime<Utc>, last_used: DateTime<Utc>) -> SessionState {
    let quiet = now - last_used;
    if quiet > Duration::minutes(SESSION_IDLE_MINUTES) {
        SessionState::Idle
    } else {
        SessionState::Live {
            touch: quiet > Duration::seconds(SESSION_TOUCH_SECONDS),
        }
    }
}

/// Whether `user` may act on a report by someone of team `team`.
#[must_use]
pub fn may_act(user: &User, team: Option<&str>) -> bool {
    match user.role {
        Role::Operator => true,
        Role::Leader => user.team.is_some() && user.team.as_deref() == team,
        Role::Inspector => false,
    }
}

/// The team whose reports `user` sees: a leader's own; all (`None`) for an operator.
#[must_use]
pub fn team_scope(user: &User) -> Option<String> {
    match user.role {
        Role::Leader => Some(user.team.clone().unwrap_or_default()),
        Role::Operator | Role::Inspector => None,
    }
}

/// Refuses anyone but an operator.
pub fn operator_only(user: &User, what: &str) -> Result<(), Denied> {
    if user.role == Role::Operator {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!("only an operator {what}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_protocol::UserId;

    fn user(role: Role, team: Option<&str>) -> User {
        User {
            id: UserId::new(),
            login: "x".into(),
            name: "x".into(),
            role,
            team: team.map(str::to_owned),
            cells: vec![],
            badge: None,
            camera_serial: None,
        }
    }

    #[test]
    fn leaders_act_on_their_own_team_and_operators_on_all() {
        let leader = user(Role::Leader, Some("T1"));
        assert!(may_act(&leader, Some("T1")));
        assert!(!may_act(&leader, Some("T2")));
        assert!(!may_act(&leader, None));
        assert!(
            !may_act(&user(Role::Leader, None), None),
            "a leader without a team"
        );
        assert!(may_act(&user(Role::Operator, None), Some("T2")));
        assert!(!may_act(&user(Role::Inspector, Some("T1")), Some("T1")));
        assert_eq!(team_scope(&leader).as_deref(), Some("T1"));
        assert_eq!(team_scope(&user(Role::Operator, None)), None);
        assert!(operator_only(&leader, "resolves conflicts").is_err());
    }

    #[test]
    fn sign_ins_are_limited_per_login_and_per_address() {
        assert_eq!(sign_in_allowed(4, 29), Ok(()));
        assert!(
            sign_in_allowed(5, 0)
                .expect_err("locked")
                .contains("for this login")
        );
        assert!(
            sign_in_allowed(0, 30)
                .expect_err("locked")
                .contains("from this address")
        );
    }

    #[test]
    fn a_session_ends_after_half_an_hour_unused_and_is_touched_once_a_minute() {
        let now = Utc::now();
        assert_eq!(
            session_state(now, now - Duration::seconds(10)),
            SessionState::Live { touch: false }
        );
        assert_eq!(
            session_state(now, now - Duration::minutes(5)),
            SessionState::Live { touch: true }
        );
        assert_eq!(
            session_state(now, now - Duration::minutes(31)),
            SessionState::Idle
        );
    }
}
