//! Who may see and do what in the console.
//!
//! - a team leader (网格长) reviews, dispatches and marks handled the reports of their own
//!   team's inspectors, and sees their team's devices and evaluation;
//! - an operator (监督指挥中心) may act on any report and alone resolves conflicts;
//! - inspectors use the app, not the console.

use super::Denied;
use super::model::{Role, User};

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
}
