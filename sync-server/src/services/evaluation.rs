//! The evaluation (考核评价) for the console: who may see it (a leader their own team, an
//! operator every team), what it is counted from (the store's facts of the period, the
//! reference data's names of places, departments and categories, the teams' names),
//! and its exports' contents and file names. The counting itself is
//! [`crate::domain::evaluation`].

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{Evaluation, GroupBy};
use gridwalk_protocol::message::msg;

use crate::AppState;
use crate::domain::access::{Act, Subject, Who, allows, decide};
use crate::domain::evaluation::{self, Names, Period};
use crate::domain::model::User;
use crate::domain::teams;
use crate::error::AppError;

/// The evaluation over `from..to`, grouped `by`, as the loop stands at `now`, over the
/// reports `user` may oversee.
#[tracing::instrument(skip_all, fields(user = %user.id, by = by.as_str(), %from, %to))]
pub async fn evaluation(
    state: &AppState,
    user: &User,
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Evaluation, AppError> {
    let who = Who::from(user);
    decide(&who, Act::Oversee, Subject::Any)?;
    if to <= from {
        return Err(AppError::BadRequest(msg!(PERIOD_ORDER)));
    }
    let mut facts = state.store.case_facts(from, to).await?;
    facts.retain(|f| allows(&who, Act::Oversee, f.team.as_deref(), None));
    let reference = state.reference.get(state.store.as_ref()).await?;
    let teams = teams::names(&super::console::all_teams(state).await?);
    let names = Names {
        reference: &reference,
        teams: &teams,
    };
    let (rows, total) = evaluation::evaluate(&facts, by, &Period { from, to, now }, &names);
    Ok(Evaluation {
        by,
        from,
        to,
        rows,
        total,
    })
}

/// The file name of an export of `e`: its grouping and its first and last day, as the
/// centre's calendar counts days (UTC until the case rules are loaded).
pub async fn file_name(state: &AppState, e: &Evaluation, extension: &str) -> String {
    let reference = state.reference.get(state.store.as_ref()).await.ok();
    let calendar = reference
        .as_deref()
        .and_then(|r| r.rules.as_ref())
        .map(|r| &r.calendar);
    evaluation::file_name(
        e.by,
        e.from,
        e.to,
        |t| calendar.map_or(t.date_naive(), |c| c.local_date(t)),
        extension,
    )
}

/// The evaluation grouped by a place (cell, community or street) as GeoJSON: each place's
/// outline with its indicators. Other groupings have no outline and are refused.
pub async fn evaluation_geojson(
    state: &AppState,
    user: &User,
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Evaluation, serde_json::Value), AppError> {
    if !by.is_place() {
        return Err(AppError::BadRequest(msg!(
            GEOJSON_GROUPING,
            by = by.as_str()
        )));
    }
    let e = evaluation(state, user, by, from, to, now).await?;
    let reference = state.reference.get(state.store.as_ref()).await?;
    let doc = evaluation::to_geojson(&e.rows, by, &reference.grid);
    Ok((e, doc))
}
