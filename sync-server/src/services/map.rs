//! The city map and the centre's overview screen for the console: who may see what (the
//! map a work queue's reach, the overview the intake board's), what they are read from (the
//! store's points and counts, the reference data's grid, departments and calendar), and
//! the moment deadlines and "today" are judged at. The rules are
//! [`crate::domain::map`] and [`crate::domain::overview`].

use chrono::{DateTime, Offset, Utc};
use gridwalk_protocol::map::{CaseMap, GridCells, Overview};

use crate::AppState;
use crate::domain::access::{Act, Subject, Who, decide, reach};
use crate::domain::model::User;
use crate::domain::overview::{self, OverviewAsk};
use crate::domain::{map, queue};
use crate::error::AppError;

/// Every report with a position that `ask` (a work queue's filter) matches within `user`'s
/// reach, as map points, deadlines judged at `now`.
pub async fn points(
    state: &AppState,
    user: &User,
    ask: &queue::Ask,
    now: DateTime<Utc>,
) -> Result<CaseMap, AppError> {
    let who = Who::from(user);
    decide(&who, Act::SeeReports, Subject::Any)?;
    let reach = reach(&who, Act::SeeReports);
    let scope = queue::Scope::of(&reach);
    let Some(mut filter) = map::filter(ask, scope, now)? else {
        return Ok(CaseMap {
            points: Vec::new(),
            total: 0,
            truncated: false,
        });
    };
    filter.soon_to = super::console::with_rules(state)
        .await?
        .rules
        .as_ref()
        .map(|r| r.due_soon_to(now));
    let (points, total) = state.store.map_points(&filter).await?;
    Ok(CaseMap {
        truncated: total > points.len() as u64,
        points,
        total,
    })
}

/// The centre's grid cells with their names, for anyone who uses the console (reference
/// data, like the code tables).
pub async fn grid(state: &AppState, user: &User) -> Result<GridCells, AppError> {
    decide(&Who::from(user), Act::UseConsole, Subject::Any)?;
    let reference = state.reference.get(state.store.as_ref()).await?;
    Ok(map::grid_cells(&reference.grid))
}

/// The overview screen at `now` over what `user` oversees (a leader's team; all for an
/// operator), today being the centre's local day.
pub async fn overview(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
) -> Result<Overview, AppError> {
    let who = Who::from(user);
    decide(&who, Act::Oversee, Subject::Any)?;
    let team = reach(&who, Act::Oversee).team().map(str::to_owned);
    let reference = super::console::with_rules(state).await?;
    let rules = reference.rules.as_ref();
    // Without the case rules' calendar, days are counted in UTC (as exports name them).
    let offset = rules.map_or(Utc.fix(), |r| r.calendar.offset());
    let days = overview::days(now, offset);
    let counts = state
        .store
        .overview_counts(&OverviewAsk::new(
            team.as_deref(),
            &days,
            now,
            rules.map(|r| r.due_soon_to(now)),
        ))
        .await?;
    let departments = rules.map(|r| r.departments.as_slice()).unwrap_or_default();
    Ok(overview::assemble(counts, &days, departments, now))
}
