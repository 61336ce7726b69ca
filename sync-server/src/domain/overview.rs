//! The centre's overview screen (大屏): the few figures a 监督指挥中心 keeps on its wall.
//!
//! - **Today** is the centre's local day (its working calendar's UTC offset; UTC until the
//!   case rules are loaded), from local midnight to the next. Today's intake (今日上报) is the
//!   reports that *reached the centre* today — the work that arrived, whenever the problem
//!   was seen; 今日立案, 今日派遣 and 今日结案 are the loop's steps taken today (a case
//!   dispatched twice today counts once).
//! - **Open** is every report not yet settled, by state: from its photos arriving to 待核查.
//!   Closed, rejected and merged reports are settled.
//! - **By department**: the cases each department has on its desk (dispatched or accepted, not yet
//!   handled) and how many of them are past their deadline (超期), every department of the
//!   case rules shown, idle ones too.
//! - **Overdue**: dispatched cases past their deadline, those due within
//!   [`super::queue::DUE_SOON_HOURS`], and verification tasks past theirs — the same
//!   judgement as the queues' `due` filter and the map's colours, at the same moment.
//! - **This week's problems** (高发问题): the categories observed most over the last
//!   [`WEEK_DAYS`] local days, today included, by when the problem was seen (event time, as
//!   the evaluation counts reports). Rejected reports (not a problem) and reports merged into
//!   another (the same problem again) are not counted.
//!
//! The store counts ([`OverviewCounts`], in SQL on either database) over what the viewer
//! may oversee — a team leader's team, everything for an operator — and [`assemble`] puts
//! the counts in the screen's order.

use chrono::{DateTime, Days as CalendarDays, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use gridwalk_protocol::CaseState;
use gridwalk_protocol::console::{Department, StateCount};
use gridwalk_protocol::map::{CategoryCount, DepartmentLoad, OverdueCounts, Overview, TodayCounts};

use super::queue::DUE_SOON_HOURS;

/// How many local days "this week" is, today included.
pub const WEEK_DAYS: u64 = 7;
/// How many categories the screen lists.
pub const TOP_CATEGORIES: usize = 10;

/// The states of a report not yet settled, in the loop's order.
pub const OPEN_STATES: [CaseState; 9] = [
    CaseState::AwaitingCheck,
    CaseState::AwaitingPhotos,
    CaseState::PendingReview,
    CaseState::Returned,
    CaseState::Registered,
    CaseState::Dispatched,
    CaseState::InProgress,
    CaseState::Suspended,
    CaseState::Handled,
];

/// The local day an overview is of, and the instants its periods run between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub day: NaiveDate,
    pub today_from: DateTime<Utc>,
    pub today_to: DateTime<Utc>,
    pub week_from: DateTime<Utc>,
}

/// The local day at `now` in a centre `offset` from UTC, and its periods: today from local
/// midnight to the next, the week from midnight [`WEEK_DAYS`] − 1 days before today.
#[must_use]
pub fn days(now: DateTime<Utc>, offset: FixedOffset) -> Days {
    let day = now.with_timezone(&offset).date_naive();
    let midnight = |d: NaiveDate| {
        offset
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map_or(now, |t| t.to_utc())
    };
    let next = day.checked_add_days(CalendarDays::new(1)).unwrap_or(day);
    let first = day
        .checked_sub_days(CalendarDays::new(WEEK_DAYS - 1))
        .unwrap_or(day);
    Days {
        day,
        today_from: midnight(day),
        today_to: midnight(next),
        week_from: midnight(first),
    }
}

/// What the store is asked to count for an overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewAsk {
    /// Only the reports of this team's inspectors (a leader); all with `None`.
    pub team: Option<String>,
    /// The moment deadlines are judged at.
    pub now: DateTime<Utc>,
    /// Dispatched cases due in `now..due_soon_to` are due soon.
    pub due_soon_to: DateTime<Utc>,
    pub today_from: DateTime<Utc>,
    pub today_to: DateTime<Utc>,
    /// The week runs from here to `today_to`.
    pub week_from: DateTime<Utc>,
    /// At most this many categories.
    pub top: usize,
}

impl OverviewAsk {
    /// The counts of `days` at `now`, over `team` (all with `None`); due soon until
    /// `soon_to` (working time by the rules), or [`DUE_SOON_HOURS`] on.
    #[must_use]
    pub fn new(
        team: Option<&str>,
        days: &Days,
        now: DateTime<Utc>,
        soon_to: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            team: team.map(str::to_owned),
            now,
            due_soon_to: soon_to.unwrap_or(now + Duration::hours(DUE_SOON_HOURS)),
            today_from: days.today_from,
            today_to: days.today_to,
            week_from: days.week_from,
            top: TOP_CATEGORIES,
        }
    }
}

/// One department's dispatched cases as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentCounts {
    pub department: String,
    /// Dispatched, not yet handled.
    pub open: u64,
    /// Of those, past the deadline at `now`.
    pub overdue: u64,
    /// Of those, due within [`DUE_SOON_HOURS`].
    pub due_soon: u64,
}

/// What the store counted for an [`OverviewAsk`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewCounts {
    pub today: TodayCounts,
    /// Open reports by state (states with none may be missing).
    pub states: Vec<StateCount>,
    /// Departments with dispatched cases.
    pub departments: Vec<DepartmentCounts>,
    /// Verification tasks past their deadline, not done.
    pub overdue_verifications: u64,
    /// The week's categories, most first.
    pub categories: Vec<CategoryCount>,
}

/// The overview as the screen shows it: every open state in the loop's order (zeros
/// included); every department of the case rules, then any other a case went to, the
/// busiest first (ties in the rules' order); the overdue totals; the top categories.
#[must_use]
pub fn assemble(
    counts: OverviewCounts,
    days: &Days,
    departments: &[Department],
    now: DateTime<Utc>,
) -> Overview {
    let open = OPEN_STATES
        .iter()
        .map(|&state| StateCount {
            state,
            count: counts
                .states
                .iter()
                .filter(|s| s.state == state)
                .map(|s| s.count)
                .sum(),
        })
        .collect();
    let mut loads: Vec<DepartmentLoad> = departments
        .iter()
        .map(|d| DepartmentLoad {
            department: d.code.clone(),
            open: 0,
            overdue: 0,
        })
        .collect();
    let mut overdue = OverdueCounts {
        verifications: counts.overdue_verifications,
        ..OverdueCounts::default()
    };
    for c in &counts.departments {
        overdue.cases += c.overdue;
        overdue.due_soon += c.due_soon;
        match loads.iter_mut().find(|l| l.department == c.department) {
            Some(l) => {
                l.open += c.open;
                l.overdue += c.overdue;
            }
            None => loads.push(DepartmentLoad {
                department: c.department.clone(),
                open: c.open,
                overdue: c.overdue,
            }),
        }
    }
    // A stable sort: ties keep the rules' order.
    loads.sort_by(|a, b| b.open.cmp(&a.open).then(b.overdue.cmp(&a.overdue)));
    let mut top_categories = counts.categories;
    top_categories.truncate(TOP_CATEGORIES);
    Overview {
        at: now,
        day: days.day,
        today: counts.today,
        open,
        departments: loads,
        overdue,
        top_categories,
        week_from: days.week_from,
        week_to: days.today_to,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use gridwalk_protocol::Kind;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn today_is_the_centres_local_day() {
        // 07:30 on the 22nd in Beijing is still the 21st in UTC.
        let d = days(at("2026-11-21T23:30:00Z"), beijing());
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(d.today_from, at("2026-11-21T16:00:00Z"), "local midnight");
        assert_eq!(d.today_to, at("2026-11-22T16:00:00Z"));
        assert_eq!(
            d.week_from,
            at("2026-11-15T16:00:00Z"),
            "seven days, today included"
        );
        // Without case rules the centre counts in UTC.
        let utc = days(
            at("2026-11-21T23:30:00Z"),
            FixedOffset::east_opt(0).unwrap(),
        );
        assert_eq!(utc.day, NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        assert_eq!(utc.today_from, at("2026-11-21T00:00:00Z"));
    }

    #[test]
    fn an_ask_judges_deadlines_at_now() {
        let now = at("2026-11-21T02:00:00Z");
        let d = days(now, beijing());
        let ask = OverviewAsk::new(Some("T1"), &d, now, None);
        assert_eq!(ask.team.as_deref(), Some("T1"));
        assert_eq!(ask.due_soon_to, at("2026-11-21T04:00:00Z"));
        assert_eq!((ask.today_from, ask.today_to), (d.today_from, d.today_to));
        assert_eq!(ask.top, TOP_CATEGORIES);
    }

    fn department(code: &str) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
        }
    }

    #[test]
    fn the_screen_shows_every_open_state_and_department_busiest_first() {
        let now = at("2026-11-21T02:00:00Z");
        let d = days(now, beijing());
        let counts = OverviewCounts {
            today: TodayCounts {
                received: 5,
                urgent: 1,
                registered: 2,
                dispatched: 2,
                closed: 1,
            },
            states: vec![
                StateCount {
                    state: CaseState::Dispatched,
                    count: 3,
                },
                StateCount {
                    state: CaseState::PendingReview,
                    count: 4,
                },
            ],
            departments: vec![
                DepartmentCounts {
                    department: "HW".into(),
                    open: 2,
                    overdue: 1,
                    due_soon: 1,
                },
                DepartmentCounts {
                    department: "XX".into(),
                    open: 1,
                    overdue: 1,
                    due_soon: 0,
                },
            ],
            overdue_verifications: 2,
            categories: (0..12)
                .map(|n| CategoryCount {
                    kind: Kind::Event,
                    category: format!("05{n:02}").parse().unwrap(),
                    count: 20 - n,
                })
                .collect(),
        };
        let rules = [department("SZ"), department("HW"), department("YL")];
        let o = assemble(counts, &d, &rules, now);
        assert_eq!(
            o.open
                .iter()
                .map(|s| (s.state, s.count))
                .collect::<Vec<_>>(),
            [
                (CaseState::AwaitingCheck, 0),
                (CaseState::AwaitingPhotos, 0),
                (CaseState::PendingReview, 4),
                (CaseState::Returned, 0),
                (CaseState::Registered, 0),
                (CaseState::Dispatched, 3),
                (CaseState::InProgress, 0),
                (CaseState::Suspended, 0),
                (CaseState::Handled, 0),
            ]
        );
        assert_eq!(
            o.departments
                .iter()
                .map(|l| (l.department.as_str(), l.open, l.overdue))
                .collect::<Vec<_>>(),
            [("HW", 2, 1), ("XX", 1, 1), ("SZ", 0, 0), ("YL", 0, 0)],
            "busiest first, an unknown department kept, idle ones in the rules' order"
        );
        assert_eq!(
            o.overdue,
            OverdueCounts {
                cases: 2,
                due_soon: 1,
                verifications: 2
            }
        );
        assert_eq!(o.top_categories.len(), TOP_CATEGORIES);
        assert_eq!(o.top_categories[0].count, 20);
        assert_eq!((o.day, o.week_to), (d.day, d.today_to));
        assert_eq!(o.today.received, 5);
    }
}
