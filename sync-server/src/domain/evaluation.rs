//! Evaluation (考核评价): the indicators city-management departments score cells, teams and
//! inspectors by, counted from the case loop's events over a period.
//!
//! For the reports received in the period, per group:
//! - 上报数 `reports`; 有效上报率 `valid_rate` = reports registered as cases (立案) / reports;
//! - 立案数 `registered`;
//! - 按期处置率 `handled_on_time_rate` = dispatches handled by their deadline / dispatches
//!   due (handled, or past their deadline at `now`); every rework is a new dispatch;
//! - 结案率 `closed_rate` = cases closed (核查 passed) / cases registered;
//! - 返工率 `rework_rate` = cases whose verification failed at least once / cases verified;
//! - 按期核查率 `verified_on_time_rate` = verification tasks done by their deadline / tasks
//!   due (done, or past their deadline at `now`).
//!
//! A rate with nothing to divide by is `None` (shown as "—"), never 0 or 100 %.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{GroupBy, Indicators};

use gridwalk_protocol::ReportId;
use gridwalk_protocol::console::{CaseEvent, Task};

use super::model::CaseFacts;

fn rate(n: u64, d: u64) -> Option<f64> {
    // Counts of reports stay far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    (d > 0).then(|| n as f64 / d as f64)
}

fn add(ind: &mut Indicators, f: &CaseFacts, now: DateTime<Utc>) {
    ind.reports += 1;
    let registered = f.events.iter().any(|e| e.action == "approve");
    ind.registered += u64::from(registered);
    // Each dispatch round: from a dispatch (or a failed verification, which sets a new
    // deadline) to the next `handled`.
    let mut due: Option<DateTime<Utc>> = None;
    for e in &f.events {
        match e.action.as_str() {
            "dispatch" | "verify_fail" => due = e.due_at,
            "handled" => {
                if let Some(d) = due.take() {
                    ind.dispatches_due += 1;
                    ind.handled_on_time += u64::from(e.at <= d);
                }
            }
            _ => {}
        }
    }
    if let Some(d) = due
        && d < now
    {
        ind.dispatches_due += 1;
    }
    ind.closed += u64::from(f.events.iter().any(|e| e.action == "verify_pass"));
    let verified = f.events.iter().any(|e| e.action.starts_with("verify_"));
    ind.verified += u64::from(verified);
    ind.reworked += u64::from(f.events.iter().any(|e| e.action == "verify_fail"));
    for t in &f.tasks {
        match t.done_at {
            Some(done) => {
                ind.verifications_due += 1;
                ind.verified_on_time += u64::from(done <= t.due_at);
            }
            None if t.due_at < now => ind.verifications_due += 1,
            None => {}
        }
    }
}

fn finish(mut ind: Indicators) -> Indicators {
    ind.valid_rate = rate(ind.registered, ind.reports);
    ind.handled_on_time_rate = rate(ind.handled_on_time, ind.dispatches_due);
    ind.closed_rate = rate(ind.closed, ind.registered);
    ind.rework_rate = rate(ind.reworked, ind.verified);
    ind.verified_on_time_rate = rate(ind.verified_on_time, ind.verifications_due);
    ind
}

/// Puts each report's events and tasks (read in their own order) with its facts; events
/// and tasks of reports not among `facts` are left out.
#[must_use]
pub fn gather(
    mut facts: Vec<CaseFacts>,
    events: Vec<(ReportId, CaseEvent)>,
    tasks: Vec<Task>,
) -> Vec<CaseFacts> {
    let index: std::collections::HashMap<ReportId, usize> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.report, i))
        .collect();
    for (report, e) in events {
        if let Some(&i) = index.get(&report) {
            facts[i].events.push(e);
        }
    }
    for t in tasks {
        if let Some(&i) = index.get(&t.report) {
            facts[i].tasks.push(t);
        }
    }
    facts
}

/// The indicators per group, sorted by label, and the total over all of them.
#[must_use]
pub fn evaluate(
    facts: &[CaseFacts],
    by: GroupBy,
    now: DateTime<Utc>,
) -> (Vec<Indicators>, Indicators) {
    let mut groups: BTreeMap<String, Indicators> = BTreeMap::new();
    let mut total = Indicators::default();
    for f in facts {
        let (key, label) = match by {
            GroupBy::Cell => {
                let c = f
                    .cell
                    .as_ref()
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default();
                (c.clone(), c)
            }
            GroupBy::Team => {
                let t = f.team.clone().unwrap_or_default();
                (t.clone(), t)
            }
            GroupBy::Inspector => (f.reporter.to_string(), f.reporter_name.clone()),
        };
        let g = groups.entry(key.clone()).or_insert_with(|| Indicators {
            key,
            label,
            ..Indicators::default()
        });
        add(g, f, now);
        add(&mut total, f, now);
    }
    let mut rows: Vec<Indicators> = groups.into_values().map(finish).collect();
    rows.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));
    (rows, finish(total))
}

/// The rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese
/// names), rates as decimals with four places, empty when there is nothing to divide by.
#[must_use]
pub fn to_csv(rows: &[Indicators], total: &Indicators, by: GroupBy) -> String {
    let first = match by {
        GroupBy::Cell => "cell",
        GroupBy::Team => "team",
        GroupBy::Inspector => "inspector",
    };
    let mut out = format!(
        "\u{feff}{first},key,上报数 reports,立案数 registered,有效上报率 valid_rate,\
         按期处置率 handled_on_time_rate,结案率 closed_rate,返工率 rework_rate,\
         按期核查率 verified_on_time_rate\r\n"
    );
    let cell = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let r = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    for row in rows.iter().chain(std::iter::once(total)) {
        let label = if row.key.is_empty() && std::ptr::eq(row, total) {
            "合计 total".to_owned()
        } else {
            row.label.clone()
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            cell(&label),
            cell(&row.key),
            row.reports,
            row.registered,
            r(row.valid_rate),
            r(row.handled_on_time_rate),
            r(row.closed_rate),
            r(row.rework_rate),
            r(row.verified_on_time_rate)
        ));
    }
    out
}

/// The per-cell rows as a GeoJSON FeatureCollection: each cell's stored Feature with the
/// indicators added to its properties (cells without a stored outline are left out).
pub fn to_geojson(
    rows: &[Indicators],
    cells: &[(gridwalk_protocol::CellCode, String)],
) -> Result<serde_json::Value, String> {
    let mut features = Vec::new();
    for row in rows {
        let Some((_, text)) = cells.iter().find(|(c, _)| c.as_str() == row.key) else {
            continue;
        };
        let mut feature: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("cell {}: {e}", row.key))?;
        let props = feature
            .as_object_mut()
            .ok_or_else(|| format!("cell {} is not a Feature", row.key))?
            .entry("properties")
            .or_insert_with(|| serde_json::json!({}));
        if let (Some(p), serde_json::Value::Object(ind)) = (
            props.as_object_mut(),
            serde_json::to_value(row).map_err(|e| e.to_string())?,
        ) {
            p.extend(ind);
        }
        features.push(feature);
    }
    Ok(serde_json::json!({ "type": "FeatureCollection", "features": features }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use gridwalk_protocol::console::TaskKind;
    use gridwalk_protocol::{CaseState, TaskId, UserId};

    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap()
            .to_utc()
            + chrono::Duration::hours(h)
    }

    fn ev(action: &str, at: i64, due: Option<i64>) -> CaseEvent {
        CaseEvent {
            action: action.into(),
            from: CaseState::PendingReview,
            to: CaseState::PendingReview,
            by_user: None,
            by_name: None,
            by_device: None,
            text: None,
            due_at: due.map(t),
            at: t(at),
        }
    }

    fn task(due: i64, done: Option<i64>) -> Task {
        Task {
            id: TaskId::new(),
            kind: TaskKind::Verify,
            report: ReportId::new(),
            case_no: "20261102-0001".into(),
            assignee: UserId::new(),
            created_at: t(0),
            due_at: t(due),
            done_at: done.map(t),
            passed: None,
            note: None,
            photos: vec![],
            by_device: None,
        }
    }

    fn facts(
        who: UserId,
        name: &str,
        cell: &str,
        events: Vec<CaseEvent>,
        tasks: Vec<Task>,
    ) -> CaseFacts {
        CaseFacts {
            report: ReportId::new(),
            reporter: who,
            reporter_name: name.into(),
            team: Some("T1".into()),
            cell: Some(cell.parse().unwrap()),
            received_at: t(0),
            state: CaseState::PendingReview,
            events,
            tasks,
        }
    }

    #[test]
    fn indicators_count_each_step_against_its_deadline() {
        let (a, b) = (UserId::new(), UserId::new());
        let cell = "440703001001001";
        let all = vec![
            // Closed on time: dispatched due at 10, handled at 8, verified at 12 (due 14).
            facts(
                a,
                "甲",
                cell,
                vec![
                    ev("approve", 1, None),
                    ev("dispatch", 2, Some(10)),
                    ev("handled", 8, None),
                    ev("verify_pass", 12, None),
                ],
                vec![task(14, Some(12))],
            ),
            // Reworked: handled late (11 > 10), verification failed on time, the rework
            // handled on time (15 <= 20), then still waiting for the second verification
            // (due 30, not yet due at 25).
            facts(
                a,
                "甲",
                cell,
                vec![
                    ev("approve", 1, None),
                    ev("dispatch", 2, Some(10)),
                    ev("handled", 11, None),
                    ev("verify_fail", 13, Some(20)),
                    ev("handled", 15, None),
                ],
                vec![task(14, Some(13)), task(30, None)],
            ),
            // Rejected.
            facts(
                b,
                "乙",
                "440703001001002",
                vec![ev("reject", 1, None)],
                vec![],
            ),
            // Registered and dispatched, overdue at `now` and not handled.
            facts(
                b,
                "乙",
                "440703001001002",
                vec![ev("approve", 1, None), ev("dispatch", 2, Some(5))],
                vec![],
            ),
        ];
        let (rows, total) = evaluate(&all, GroupBy::Inspector, t(25));
        assert_eq!(rows.len(), 2);
        let ja = &rows[0];
        assert_eq!((ja.label.as_str(), ja.reports, ja.registered), ("乙", 2, 1));
        let jia = &rows[1];
        assert_eq!(jia.label, "甲");
        assert_eq!(jia.valid_rate, Some(1.0));
        // Three dispatch rounds were due (10, 10, 20); two handled on time.
        assert_eq!((jia.dispatches_due, jia.handled_on_time), (3, 2));
        assert_eq!(jia.closed_rate, Some(0.5));
        assert_eq!(jia.rework_rate, Some(0.5));
        // Two verifications due (the third is not yet), both on time.
        assert_eq!(jia.verified_on_time_rate, Some(1.0));
        assert_eq!(rows[0].handled_on_time_rate, Some(0.0));
        assert_eq!(rows[0].rework_rate, None);
        assert_eq!(total.reports, 4);
        assert_eq!(total.valid_rate, Some(0.75));
        assert_eq!((total.dispatches_due, total.handled_on_time), (4, 2));

        let (cells, _) = evaluate(&all, GroupBy::Cell, t(25));
        assert_eq!(
            cells.iter().map(|r| r.reports).collect::<Vec<_>>(),
            vec![2, 2]
        );
        let csv = to_csv(&cells, &total, GroupBy::Cell);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("\u{feff}cell,key,上报数"));
        assert_eq!(
            lines[1],
            "440703001001001,440703001001001,2,2,1.0000,0.6667,0.5000,0.5000,1.0000"
        );
        assert!(
            lines[3].starts_with("合计 total,,4,3,0.7500,0.5000,"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn events_and_tasks_go_with_their_own_report() {
        let who = UserId::new();
        let a = facts(who, "甲", "440703001001001", vec![], vec![]);
        let b = facts(who, "甲", "440703001001001", vec![], vec![]);
        let (ida, idb) = (a.report, b.report);
        let mut ta = task(14, None);
        ta.report = ida;
        let mut stray = task(14, None);
        stray.report = ReportId::new();
        let out = gather(
            vec![a, b],
            vec![
                (idb, ev("approve", 1, None)),
                (ida, ev("reject", 1, None)),
                (idb, ev("dispatch", 2, Some(9))),
                (ReportId::new(), ev("approve", 1, None)),
            ],
            vec![ta.clone(), stray],
        );
        let actions = |f: &CaseFacts| {
            f.events
                .iter()
                .map(|e| e.action.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(actions(&out[0]), ["reject"]);
        assert_eq!(actions(&out[1]), ["approve", "dispatch"]);
        assert_eq!(out[0].tasks, vec![ta]);
        assert!(out[1].tasks.is_empty());
    }
}
