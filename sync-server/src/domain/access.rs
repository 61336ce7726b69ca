//! Who may see and do what: one rule for every route of the console and the devices.
//!
//! [`reach`] is the table (the README's role table, row for row): for a person's role and
//! an [`Act`], how far they reach ([`Reach`]): everything, their own team's inspectors,
//! the cases dispatched to their own department, or nothing. [`decide`] holds a request's
//! subject (whose report or case it is) against that reach and answers allowed, or
//! forbidden with the reason in words. Every handler and service asks [`decide`] (or
//! narrows a list by [`reach`]); no other code looks at a role.
//!
//! - an inspector (网格员) works on a tablet: syncs, and holds a tablet; never the console;
//! - a team leader (网格长) reviews, dispatches and marks handled the reports of their own
//!   team's inspectors, and sees their team's devices, intake, conflicts and evaluation;
//! - an operator (监督指挥中心) does all that for every team, alone resolves conflicts, and
//!   alone decides a case's course: 作废 after 立案, 缓办 and resuming, 特殊结案, and a
//!   department's extension request (延期);
//! - a department's clerk (处置部门) sees the cases dispatched to their department (with their
//!   photos), accepts them (处理中), marks them handled (处置完成) with what was done, sends
//!   back what is not theirs (回退) and asks for more time (延期);
//! - another port's system (a hotline, the public page, video analysis; role `service`)
//!   files reports through the intake API, uploads their photos and hears back through its
//!   callback; nothing else;
//! - an administrator manages people and devices (lists, revokes devices, disables and
//!   enables people, sets passwords, reads the audit trail) and never sees or acts on cases;
//! - an administrator, or a team leader for their own team's inspectors, makes the one-time
//!   codes a tablet enrolls itself with ([`Act::Enroll`]).
//!
//! Signing in is limited: failed attempts are counted per login and per address over
//! [`SIGN_IN_WINDOW_MINUTES`], and past either limit the form is refused before the password
//! is even checked ([`sign_in_allowed`]). A session ends at its expiry, when its person's
//! password changes or they are disabled, and after [`SESSION_IDLE_MINUTES`] without use
//! ([`session_state`]).

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::console::CaseAction;
use gridwalk_protocol::message::msg;

use super::Denied;
use super::model::{Device, Role, User};

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
pub fn sign_in_allowed(by_login: u64, by_address: u64) -> Result<(), gridwalk_protocol::Message> {
    if by_login >= MAX_FAILURES_PER_LOGIN {
        return Err(msg!(SIGN_IN_LOCKED_LOGIN, minutes = SIGN_IN_WINDOW_MINUTES));
    }
    if by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(msg!(
            SIGN_IN_LOCKED_ADDRESS,
            minutes = SIGN_IN_WINDOW_MINUTES
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

/// What a request asks of the centre: one kind per route (a case action by its kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A tablet's sync: push, photos needed, the change feed, its profile.
    Sync,
    /// Uploading the photos of one's own reports (tus).
    Upload,
    /// Filing reports from another port through the intake API, and hearing back.
    FileReports,
    /// Being enrolled on a tablet.
    HoldTablet,
    /// Making a one-time enrollment code for an inspector's tablet (the console's QR code).
    Enroll,
    /// Signing in to the console, and what every console user reads there: who they are,
    /// the departments, the code tables.
    UseConsole,
    /// Reading reports and cases: lists, a report's story, its photos.
    SeeReports,
    /// Review: approve, return, reject, merge.
    Review,
    /// Dispatching a case to a department (派遣).
    Dispatch,
    /// Marking a dispatched case handled (处置完成).
    MarkHandled,
    /// A department's own steps on its cases: accept (处理中), send back (回退), ask for
    /// more time (延期).
    Handle,
    /// The centre's decisions on a case's course: 作废 after 立案, 缓办 and resuming,
    /// 特殊结案, deciding an extension.
    Supervise,
    /// The intake board: devices, intake health, open conflicts, the evaluation.
    Oversee,
    /// Resolving a conflict between a device's edit and the centre's.
    ResolveConflict,
    /// People and devices: listing, revoking, disabling and enabling, passwords, the
    /// administrative audit trail.
    Administer,
}

impl Act {
    /// Every act, for tables and tests.
    pub const ALL: [Act; 15] = [
        Act::Sync,
        Act::Upload,
        Act::FileReports,
        Act::HoldTablet,
        Act::Enroll,
        Act::UseConsole,
        Act::SeeReports,
        Act::Review,
        Act::Dispatch,
        Act::MarkHandled,
        Act::Handle,
        Act::Supervise,
        Act::Oversee,
        Act::ResolveConflict,
        Act::Administer,
    ];

    /// The act a case action is.
    #[must_use]
    pub fn of(action: &CaseAction) -> Act {
        match action {
            CaseAction::Approve { .. }
            | CaseAction::Return { .. }
            | CaseAction::Reject { .. }
            | CaseAction::Merge { .. }
            | CaseAction::Verify { .. } => Act::Review,
            CaseAction::Dispatch { .. } => Act::Dispatch,
            CaseAction::Handled { .. } => Act::MarkHandled,
            CaseAction::Accept
            | CaseAction::Bounce { .. }
            | CaseAction::RequestExtension { .. } => Act::Handle,
            CaseAction::DecideExtension { .. }
            | CaseAction::Suspend { .. }
            | CaseAction::Resume
            | CaseAction::Void { .. }
            | CaseAction::CloseSpecial { .. } => Act::Supervise,
        }
    }

    /// The act's code in refusals (the front ends and the message catalogue say it in
    /// words: `act` in [`gridwalk_protocol::message::VALUE_WORDS`]).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Act::Sync => "sync",
            Act::Upload => "upload",
            Act::FileReports => "file_reports",
            Act::HoldTablet => "hold_tablet",
            Act::Enroll => "enroll",
            Act::UseConsole => "use_console",
            Act::SeeReports => "see_reports",
            Act::Review => "review",
            Act::Dispatch => "dispatch",
            Act::MarkHandled => "mark_handled",
            Act::Handle => "handle",
            Act::Supervise => "supervise",
            Act::Oversee => "oversee",
            Act::ResolveConflict => "resolve_conflict",
            Act::Administer => "administer",
        }
    }
}

/// Who asks: a role, with the team and department it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who<'a> {
    pub role: Role,
    pub team: Option<&'a str>,
    pub department: Option<&'a str>,
}

impl<'a> From<&'a User> for Who<'a> {
    fn from(u: &'a User) -> Self {
        Who {
            role: u.role,
            team: u.team.as_deref(),
            department: u.department.as_deref(),
        }
    }
}

impl From<&Device> for Who<'static> {
    fn from(d: &Device) -> Self {
        Who {
            role: d.role,
            team: None,
            department: None,
        }
    }
}

/// How far someone reaches for an act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Everything.
    All,
    /// What is about this team's inspectors.
    Team(String),
    /// The cases dispatched to this department.
    Department(String),
    /// Nothing: the act is not theirs.
    Nothing,
}

impl Reach {
    /// The team a list is narrowed to, if it is.
    #[must_use]
    pub fn team(&self) -> Option<&str> {
        match self {
            Reach::Team(t) => Some(t),
            _ => None,
        }
    }

    /// The department a list is narrowed to, if it is.
    #[must_use]
    pub fn department(&self) -> Option<&str> {
        match self {
            Reach::Department(d) => Some(d),
            _ => None,
        }
    }
}

/// The table: how far `who` reaches for `act`. A leader without a team or a clerk without
/// a department reaches nothing.
#[must_use]
pub fn reach(who: &Who<'_>, act: Act) -> Reach {
    let team = || {
        who.team
            .map_or(Reach::Nothing, |t| Reach::Team(t.to_owned()))
    };
    let department = || {
        who.department
            .map_or(Reach::Nothing, |d| Reach::Department(d.to_owned()))
    };
    match (who.role, act) {
        (Role::Inspector, Act::Sync | Act::HoldTablet | Act::Upload)
        | (Role::Service, Act::FileReports | Act::Upload)
        | (
            Role::Leader | Role::Operator | Role::Department | Role::Administrator,
            Act::UseConsole,
        )
        | (
            Role::Operator,
            Act::SeeReports
            | Act::Review
            | Act::Dispatch
            | Act::MarkHandled
            | Act::Supervise
            | Act::Oversee
            | Act::ResolveConflict,
        )
        | (Role::Administrator, Act::Administer | Act::Enroll) => Reach::All,
        (
            Role::Leader,
            Act::SeeReports
            | Act::Review
            | Act::Dispatch
            | Act::MarkHandled
            | Act::Oversee
            | Act::Enroll,
        ) => team(),
        (Role::Department, Act::SeeReports | Act::MarkHandled | Act::Handle | Act::Upload) => {
            department()
        }
        _ => Reach::Nothing,
    }
}

/// Whose a request's subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// Nothing in particular: the act itself (a list, narrowed by [`reach`] afterwards).
    Any,
    /// A report or case: its reporter's team, and the department it is dispatched to.
    Case {
        team: Option<&'a str>,
        department: Option<&'a str>,
    },
}

/// The one rule: whether `who` may do `act` to `subject`; the refusal says why.
pub fn decide(who: &Who<'_>, act: Act, subject: Subject<'_>) -> Result<(), Denied> {
    let role = match who.role {
        Role::Inspector => "inspector",
        Role::Leader => "leader",
        Role::Operator => "operator",
        Role::Department => "department",
        Role::Administrator => "administrator",
        Role::Service => "service",
    };
    match (reach(who, act), subject) {
        (Reach::Nothing, _) => Err(Denied::Forbidden(match (who.role, act) {
            (Role::Leader, _) if who.team.is_none() => {
                msg!(LEADER_WITHOUT_TEAM, act = act.code())
            }
            (Role::Department, _) if who.department.is_none() => {
                msg!(CLERK_WITHOUT_DEPARTMENT, act = act.code())
            }
            (Role::Inspector, Act::UseConsole) => msg!(INSPECTORS_USE_APP),
            _ => msg!(ROLE_MAY_NOT, role = role, act = act.code()),
        })),
        (Reach::All, _) | (Reach::Team(_) | Reach::Department(_), Subject::Any) => Ok(()),
        (Reach::Team(mine), Subject::Case { team, .. }) => {
            if team == Some(mine.as_str()) {
                Ok(())
            } else {
                Err(Denied::Forbidden(msg!(NOT_YOUR_TEAM)))
            }
        }
        (Reach::Department(mine), Subject::Case { department, .. }) => {
            if department == Some(mine.as_str()) {
                Ok(())
            } else {
                Err(Denied::Forbidden(msg!(NOT_YOUR_DEPARTMENT)))
            }
        }
    }
}

/// Whether `who` may do `act` to a case of `team`, dispatched to `department`.
#[must_use]
pub fn allows(who: &Who<'_>, act: Act, team: Option<&str>, department: Option<&str>) -> bool {
    decide(who, act, Subject::Case { team, department }).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_protocol::UserId;

    fn user(role: Role, team: Option<&str>, department: Option<&str>) -> User {
        User {
            id: UserId::new(),
            login: "x".into(),
            name: "x".into(),
            role,
            team: team.map(str::to_owned),
            department: department.map(str::to_owned),
            cells: vec![],
            badge: None,
            camera_serial: None,
            source: None,
        }
    }

    #[test]
    fn leaders_act_on_their_own_team_and_operators_on_all() {
        let leader = user(Role::Leader, Some("T1"), None);
        let leader = Who::from(&leader);
        for act in [
            Act::SeeReports,
            Act::Review,
            Act::Dispatch,
            Act::MarkHandled,
        ] {
            assert!(allows(&leader, act, Some("T1"), None), "{act:?}");
            assert!(!allows(&leader, act, Some("T2"), None), "{act:?}");
            assert!(!allows(&leader, act, None, None), "{act:?}");
        }
        assert!(
            decide(&leader, Act::ResolveConflict, Subject::Any).is_err(),
            "only an operator resolves conflicts"
        );
        assert_eq!(reach(&leader, Act::Oversee), Reach::Team("T1".into()));
        let teamless = user(Role::Leader, None, None);
        assert_eq!(
            reach(&Who::from(&teamless), Act::SeeReports),
            Reach::Nothing
        );
        let operator = user(Role::Operator, None, None);
        let operator = Who::from(&operator);
        for act in [
            Act::SeeReports,
            Act::Review,
            Act::Dispatch,
            Act::MarkHandled,
            Act::Oversee,
            Act::ResolveConflict,
        ] {
            assert!(allows(&operator, act, Some("T2"), Some("SZ")), "{act:?}");
        }
        assert!(decide(&operator, Act::Administer, Subject::Any).is_err());
    }

    #[test]
    fn case_actions_are_review_dispatch_or_handling() {
        assert_eq!(Act::of(&CaseAction::approve()), Act::Review);
        assert_eq!(
            Act::of(&CaseAction::Merge {
                into: gridwalk_protocol::ReportId::new()
            }),
            Act::Review
        );
        assert_eq!(
            Act::of(&CaseAction::Dispatch {
                department: "SZ".into()
            }),
            Act::Dispatch
        );
        assert_eq!(
            Act::of(&CaseAction::Handled {
                note: None,
                photos: vec![]
            }),
            Act::MarkHandled
        );
    }

    #[test]
    fn a_department_sees_and_handles_only_what_is_dispatched_to_it() {
        let clerk = user(Role::Department, None, Some("SZ"));
        let clerk = Who::from(&clerk);
        assert!(allows(&clerk, Act::SeeReports, Some("T1"), Some("SZ")));
        assert!(allows(&clerk, Act::MarkHandled, Some("T2"), Some("SZ")));
        let other = decide(
            &clerk,
            Act::SeeReports,
            Subject::Case {
                team: Some("T1"),
                department: Some("HW"),
            },
        );
        assert_eq!(other, Err(Denied::Forbidden(msg!(NOT_YOUR_DEPARTMENT))));
        assert!(!allows(&clerk, Act::SeeReports, Some("T1"), None));
        for act in [Act::Review, Act::Dispatch, Act::Oversee, Act::Administer] {
            assert!(!allows(&clerk, act, Some("T1"), Some("SZ")), "{act:?}");
        }
        let nowhere = user(Role::Department, None, None);
        assert!(
            decide(&Who::from(&nowhere), Act::SeeReports, Subject::Any)
                .expect_err("no department")
                .to_string()
                .contains("without a department")
        );
    }

    #[test]
    fn a_port_files_reports_and_uploads_their_photos_and_nothing_else() {
        let port = user(Role::Service, None, None);
        let port = Who::from(&port);
        assert_eq!(reach(&port, Act::FileReports), Reach::All);
        assert_eq!(reach(&port, Act::Upload), Reach::All);
        for act in Act::ALL {
            if !matches!(act, Act::FileReports | Act::Upload) {
                assert_eq!(reach(&port, act), Reach::Nothing, "{act:?}");
            }
        }
        let inspector = user(Role::Inspector, None, None);
        assert_eq!(
            reach(&Who::from(&inspector), Act::FileReports),
            Reach::Nothing
        );
        assert_eq!(reach(&Who::from(&inspector), Act::Upload), Reach::All);
    }

    #[test]
    fn an_administrator_manages_people_and_devices_and_never_cases() {
        let admin = user(Role::Administrator, None, None);
        let admin = Who::from(&admin);
        assert_eq!(decide(&admin, Act::Administer, Subject::Any), Ok(()));
        assert_eq!(decide(&admin, Act::UseConsole, Subject::Any), Ok(()));
        for act in [
            Act::SeeReports,
            Act::Review,
            Act::Dispatch,
            Act::MarkHandled,
            Act::Oversee,
            Act::ResolveConflict,
            Act::Sync,
            Act::HoldTablet,
        ] {
            assert_eq!(
                decide(&admin, act, Subject::Any),
                Err(Denied::Forbidden(msg!(
                    ROLE_MAY_NOT,
                    role = "administrator",
                    act = act.code()
                ))),
            );
        }
    }

    #[test]
    fn inspectors_use_tablets_and_only_inspectors_do() {
        let inspector = user(Role::Inspector, Some("T1"), None);
        let inspector = Who::from(&inspector);
        for act in Act::ALL {
            let expected = matches!(act, Act::Sync | Act::HoldTablet | Act::Upload);
            assert_eq!(
                decide(&inspector, act, Subject::Any).is_ok(),
                expected,
                "{act:?}"
            );
        }
        assert!(
            decide(&inspector, Act::UseConsole, Subject::Any)
                .expect_err("no console")
                .to_string()
                .contains("inspectors use the app")
        );
        for role in [
            Role::Leader,
            Role::Operator,
            Role::Department,
            Role::Administrator,
        ] {
            let who = Who {
                role,
                team: Some("T1"),
                department: Some("SZ"),
            };
            assert!(decide(&who, Act::Sync, Subject::Any).is_err(), "{role:?}");
            // A clerk uploads the department's after-photos from the browser.
            assert_eq!(
                decide(&who, Act::Upload, Subject::Any).is_ok(),
                role == Role::Department,
                "{role:?}"
            );
            assert!(
                decide(&who, Act::FileReports, Subject::Any).is_err(),
                "{role:?}"
            );
            assert!(
                decide(&who, Act::HoldTablet, Subject::Any).is_err(),
                "{role:?}"
            );
            assert!(
                decide(&who, Act::UseConsole, Subject::Any).is_ok(),
                "{role:?}"
            );
        }
    }

    #[test]
    fn sign_ins_are_limited_per_login_and_per_address() {
        assert_eq!(sign_in_allowed(4, 29), Ok(()));
        assert!(
            sign_in_allowed(5, 0)
                .expect_err("locked")
                .english()
                .contains("for this login")
        );
        assert!(
            sign_in_allowed(0, 30)
                .expect_err("locked")
                .english()
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
