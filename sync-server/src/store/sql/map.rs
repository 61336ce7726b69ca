//! What the city map and the overview screen read, in SQL both databases run: the points
//! of a work queue's filter (its conditions and order are the queue's own, from
//! [`super::console`]), and the overview's counts, each a `COUNT` or a `GROUP BY` in the
//! database, never rows counted here.

use async_trait::async_trait;
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::map::{CategoryCount, MapPoint, TodayCounts};
use gridwalk_protocol::{CaseState, CategoryCode};

use super::console::{REPORT_FROM, conditions, sort_keys, state_counts};
use super::{Database, Mode, Row, Sql, Value, tagged, tx};
use crate::domain::map::overdue;
use crate::domain::model::ReportFilter;
use crate::domain::overview::{DepartmentCounts, OPEN_STATES, OverviewAsk, OverviewCounts};
use crate::domain::queue;
use crate::store::{MapStore, StoreError, StoreResult};

#[async_trait]
impl<D: Database> MapStore for D {
    async fn map_points(&self, f: &ReportFilter) -> StoreResult<(Vec<MapPoint>, u64)> {
        let f = f.clone();
        tx!(self, Mode::Snapshot, |tx| { map_points(tx, &f).await })
    }

    async fn overview_counts(&self, ask: &OverviewAsk) -> StoreResult<OverviewCounts> {
        let ask = ask.clone();
        tx!(self, Mode::Snapshot, |tx| {
            overview_counts(tx, &ask).await
        })
    }
}

async fn map_points(tx: &mut dyn Sql, f: &ReportFilter) -> StoreResult<(Vec<MapPoint>, u64)> {
    let (mut clauses, mut params) = conditions(f, tx.dialect());
    clauses.push("r.lon IS NOT NULL AND r.lat IS NOT NULL".to_owned());
    let wheres = clauses.join(" AND ");
    let total = tx
        .one(
            &format!("SELECT COUNT(*) FROM {REPORT_FROM} WHERE {wheres}"),
            params.clone(),
        )
        .await?
        .get::<u64>(0)?;
    // The queue's order, so a cap keeps what the queue would show first. Only the overdue
    // order names the far deadline (PostgreSQL must see every parameter used).
    let far = if f.sort == QueueSort::Overdue {
        params.push(Value::from(queue::no_deadline()));
        format!("${}", params.len())
    } else {
        String::new()
    };
    let (keys, down) = sort_keys(f.sort, &far);
    let dir = if down { "DESC" } else { "ASC" };
    let order = keys
        .iter()
        .map(String::as_str)
        .chain(std::iter::once("r.id"))
        .map(|k| format!("{k} {dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    params.push(Value::from(f.limit));
    let rows = tx
        .query(
            &format!(
                "SELECT r.id, r.lon, r.lat, r.state, r.urgency, r.step_due_at, r.kind, r.category,
                        c.case_no
                   FROM {REPORT_FROM} WHERE {wheres} ORDER BY {order} LIMIT ${}",
                params.len()
            ),
            params,
        )
        .await?;
    let points = rows
        .iter()
        .map(|r| point(r, f))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((points, total))
}

fn point(r: &Row, f: &ReportFilter) -> StoreResult<MapPoint> {
    let state: CaseState = r.get(3)?;
    let category: String = r.get(7)?;
    Ok(MapPoint {
        id: r.get(0)?,
        lon: r.get(1)?,
        lat: r.get(2)?,
        state,
        urgent: r.get::<String>(4)? == "urgent",
        overdue: overdue(r.get(5)?, f.now),
        kind: tagged(r, 6)?,
        category: category
            .parse::<CategoryCode>()
            .map_err(|e| StoreError::Corrupt(format!("category {category:?}: {e}")))?,
        case_no: r.get(8)?,
    })
}

/// A count that may be `NULL` (a `SUM` over no rows) as a number.
fn count(r: &Row, i: usize) -> StoreResult<u64> {
    Ok(r.get::<Option<u64>>(i)?.unwrap_or(0))
}

async fn overview_counts(tx: &mut dyn Sql, a: &OverviewAsk) -> StoreResult<OverviewCounts> {
    // Every statement reads reports `r` (with their reporters `u` for a leader, whose team
    // narrows them by the parameter after the statement's own).
    let scoped = |mut params: Vec<Value>| {
        let clause = match &a.team {
            Some(team) => {
                params.push(Value::from(team));
                format!(" AND u.team = ${}", params.len())
            }
            None => String::new(),
        };
        (clause, params)
    };
    // The reporters are joined only to narrow by team: the city's counts read reports alone.
    let by = if a.team.is_some() {
        "reports r JOIN users u ON u.id = r.reporter"
    } else {
        "reports r"
    };

    let (team, params) = scoped(vec![Value::from(a.today_from), Value::from(a.today_to)]);
    let received = tx
        .one(
            &format!(
                "SELECT COUNT(*), SUM(CASE WHEN r.urgency = 'urgent' THEN 1 ELSE 0 END)
                   FROM {by}
                  WHERE r.deleted_at IS NULL AND r.received_at >= $1 AND r.received_at < $2{team}"
            ),
            params.clone(),
        )
        .await?;
    // Each of today's registrations and closures from its own index.
    let cases_on = |column: &str| {
        format!(
            "(SELECT COUNT(*) FROM {by} JOIN cases c ON c.report_id = r.id
               WHERE c.{column} >= $1 AND c.{column} < $2 AND r.deleted_at IS NULL{team})"
        )
    };
    let cases = tx
        .one(
            &format!(
                "SELECT {}, {}",
                cases_on("registered_at"),
                cases_on("closed_at")
            ),
            params.clone(),
        )
        .await?;
    let dispatched = tx
        .one(
            &format!(
                "SELECT COUNT(DISTINCT e.report_id)
                   FROM case_events e JOIN reports r ON r.id = e.report_id
                   JOIN users u ON u.id = r.reporter
                  WHERE e.action = 'dispatch' AND e.at >= $1 AND e.at < $2
                    AND r.deleted_at IS NULL{team}"
            ),
            params,
        )
        .await?;
    let today = TodayCounts {
        received: count(&received, 0)?,
        urgent: count(&received, 1)?,
        registered: count(&cases, 0)?,
        dispatched: count(&dispatched, 0)?,
        closed: count(&cases, 1)?,
    };

    let (team, params) = scoped(vec![Value::list(OPEN_STATES)]);
    let open = (tx.dialect().any)("r.state", 1);
    let states = tx
        .query(
            &format!(
                "SELECT r.state, COUNT(*) FROM {by}
                  WHERE r.deleted_at IS NULL AND {open}{team} GROUP BY r.state"
            ),
            params,
        )
        .await?;
    let states = state_counts(&states)?;

    let (team, params) = scoped(vec![Value::from(a.now), Value::from(a.due_soon_to)]);
    let departments = tx
        .query(
            &format!(
                "SELECT c.department, COUNT(*),
                        SUM(CASE WHEN c.due_at < $1 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN c.due_at >= $1 AND c.due_at < $2 THEN 1 ELSE 0 END)
                   FROM {by} JOIN cases c ON c.report_id = r.id
                  WHERE r.state IN ('dispatched', 'in_progress') AND r.deleted_at IS NULL
                    AND c.department IS NOT NULL{team}
                  GROUP BY c.department"
            ),
            params,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(DepartmentCounts {
                department: r.get(0)?,
                open: r.get(1)?,
                overdue: count(r, 2)?,
                due_soon: count(r, 3)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let (team, params) = scoped(vec![Value::from(a.now)]);
    let overdue_verifications = tx
        .one(
            &format!(
                "SELECT COUNT(*) FROM tasks t JOIN reports r ON r.id = t.report_id
                   JOIN users u ON u.id = r.reporter
                  WHERE t.done_at IS NULL AND t.due_at < $1 AND r.deleted_at IS NULL{team}"
            ),
            params,
        )
        .await?
        .get::<u64>(0)?;

    let c = tx.dialect().bytewise;
    let (team, params) = scoped(vec![
        Value::from(a.week_from),
        Value::from(a.today_to),
        Value::from(a.top),
    ]);
    let categories = tx
        .query(
            &format!(
                "SELECT r.kind, r.category, COUNT(*) AS n FROM {by}
                  WHERE r.deleted_at IS NULL AND r.observed_at >= $1 AND r.observed_at < $2
                    AND r.state NOT IN ('rejected', 'merged'){team}
                  GROUP BY r.kind, r.category
                  ORDER BY n DESC, r.kind{c}, r.category{c} LIMIT $3"
            ),
            params,
        )
        .await?
        .iter()
        .map(|r| {
            let category: String = r.get(1)?;
            Ok(CategoryCount {
                kind: tagged(r, 0)?,
                category: category
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("category {category:?}: {e}")))?,
                count: r.get(2)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    Ok(OverviewCounts {
        today,
        states,
        departments,
        overdue_verifications,
        categories,
    })
}
