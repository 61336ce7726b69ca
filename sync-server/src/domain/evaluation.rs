//! Evaluation (考核评价): the indicators city-management centres score cells, communities,
//! streets, teams, inspectors, departments and problem categories by, counted from the case
//! loop's steps over a period `from..to` (`to` exclusive), as the loop stands at `now`.
//!
//! Each indicator counts things of one kind, each once, in the period its own *event time*
//! falls in (never the time a report happened to reach the centre):
//!
//! - **Reports** belong to the period they were observed in (`observed_at`: when the
//!   inspector saw the problem, as the device recorded it; a tablet that syncs days later
//!   still counts for the day of the find).
//!   - 上报数 `reports`: the reports observed in the period.
//!   - 立案数 `registered`: of those, the ones registered as a case (valid);
//!     `invalid`: the ones rejected (作废) or merged into another report (a duplicate).
//!   - 有效上报率 `valid_rate` = registered / (registered + invalid). A report still waiting
//!     for a decision (its photos arriving, 待受理, or returned to the inspector and not
//!     yet decided) counts in neither.
//! - **A case's handling** (处置) is a series of rounds: the dispatch (派遣) opens one with
//!   a deadline, each failed verification (返工) another with a new deadline, and the
//!   department's 处置完成 ends the round. Dispatching again before the round is handled
//!   moves its deadline. The handling is judged once per case, in the period of the
//!   earlier of when its last round was handled and that round's deadline; it is *due*
//!   (应处置) from then on: handled, or past the deadline at `now`. A case whose deadline
//!   is still ahead and which is not handled is not judged yet.
//!   - `due`: the cases whose handling is due in the period.
//!   - 处置率 `handled_rate` = handled (the last round done) / due.
//!   - 按期处置率 `handled_on_time_rate` = cases handled with every round by its deadline /
//!     due. Per case, not per round: a rework does not add to the denominator, and a late
//!     round makes the case late.
//!   - 超期待处置率 `overdue_rate` = cases past their deadline at `now` and still waiting
//!     for the department / due. With 处置率 it makes 100 %: a due case is either handled
//!     or overdue. It is shown because it is the overdue backlog, the figure a leader acts on.
//! - **A case's closing** (结案) is judged once per case, in the period of the earlier of
//!   when it closed and its (final) handling deadline; it is *due to close* (应结案) from
//!   then on: closed, or past the deadline at `now`.
//!   - 结案率 `closed_rate` = closed / due to close.
//!   - 按期结案率 `closed_on_time_rate` = closed with the last round handled by its deadline
//!     and the closing verification done by its deadline / due to close.
//!   - 返工率 `rework_rate` = cases whose verification failed at least once / due to close.
//! - **Verification tasks** (核查), each a job of its own for the inspector, belong to the
//!   period of the earlier of when they were done and their deadline, and are due from
//!   then on: done, or past the deadline at `now`.
//!   - 按期核查率 `verified_on_time_rate` = tasks done by their deadline / tasks due.
//!
//! - **Each step's time limit** (超期环节), counted with the report's period (when it was
//!   observed), each step as often as the report waited on it (a report returned and
//!   resubmitted is reviewed twice): a step is *late* when it ended after its limit, or
//!   still waits at `now` with its limit behind it. A step with no limit (the rules gave
//!   none, or the event predates per-step limits) is never late.
//!   - 核实超期 `check_late`: on-site checks (核实) of a port's report;
//!   - 受理超期 `review_late`: reviews (受理) by the team leader or operator;
//!   - 派遣超期 `dispatch_late`: registered cases waiting to be dispatched (派遣);
//!   - 处置超期 `handling_late` = due − handled on time (the cases whose handling was late
//!     or is overdue; per case, as 按期处置率 counts);
//!   - 核查超期 `verify_late` = verifications due − verified on time.
//!
//! A rate with nothing to divide by is `None` (shown as "—"), never 0 or 100 %. Deadlines
//! are the ones the loop set in working time ([`super::rules`], [`super::calendar`]); the
//! evaluation only compares times. A period's figures settle as its cases do: a report
//! decided later, or a case handled late, changes the period it belongs to, not the period
//! of the decision.
//!
//! Every report, with its case and tasks, goes to one group: its cell, community or street
//! (the centre's cell; none when outside the grid), its inspector or the inspector's team,
//! the department its case went to (none when not dispatched), or its category.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gridwalk_grid::Grid;
use gridwalk_protocol::ReportId;
use gridwalk_protocol::console::{CaseEvent, GroupBy, Indicators, Task, TaskKind};
use gridwalk_protocol::{CaseState, CellCode};

use super::model::CaseFacts;
use super::reference::Reference;

/// The period evaluated (`from..to`, `to` exclusive) and the moment the loop is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

impl Period {
    fn holds(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// What the groups are called: the reference data (the grid's street and community names,
/// the departments, the code tables) and each team's name ([`super::teams`]).
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    pub reference: &'a Reference,
    /// Team code → its name ("陈建国组").
    pub teams: &'a BTreeMap<String, String>,
}

/// What a group is called when its key is empty.
#[must_use]
pub fn none_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Cell | GroupBy::Community | GroupBy::Street => "网格外 outside the grid",
        GroupBy::Team => "无班组 no team",
        GroupBy::Department => "未派遣 not dispatched",
        GroupBy::Inspector | GroupBy::Category | GroupBy::Source => "",
    }
}

fn rate(n: u64, d: u64) -> Option<f64> {
    // Counts of reports stay far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    (d > 0).then(|| n as f64 / d as f64)
}

/// One round of handling: its deadline, and when the department said it was handled.
#[derive(Debug, Clone, Copy)]
struct Round {
    due: DateTime<Utc>,
    handled: Option<DateTime<Utc>>,
}

/// A case's handling rounds, whether it was sent back, and when and how it closed.
#[derive(Debug, Default)]
struct Loop {
    rounds: Vec<Round>,
    reworked: bool,
    closed_at: Option<DateTime<Utc>>,
    /// Closed by the centre without the loop (特殊结案).
    special: bool,
}

fn case_loop(events: &[CaseEvent]) -> Loop {
    let mut l = Loop::default();
    for e in events {
        match e.action.as_str() {
            "dispatch" | "redispatch" => {
                if let Some(due) = e.due_at {
                    match l.rounds.last_mut() {
                        Some(r) if r.handled.is_none() => r.due = due,
                        _ => l.rounds.push(Round { due, handled: None }),
                    }
                }
            }
            // An approved extension (延期) and a resumption after 缓办 move the deadline of
            // the round under way.
            "approve_extension" | "resume" => {
                if let (Some(due), Some(r)) = (e.due_at, l.rounds.last_mut())
                    && r.handled.is_none()
                {
                    r.due = due;
                }
            }
            "close_special" => {
                l.closed_at = Some(e.at);
                l.special = true;
            }
            "verify_fail" => {
                l.reworked = true;
                if let Some(due) = e.due_at {
                    l.rounds.push(Round { due, handled: None });
                }
            }
            "handled" => {
                if let Some(r) = l.rounds.last_mut()
                    && r.handled.is_none()
                {
                    r.handled = Some(e.at);
                }
            }
            "verify_pass" => l.closed_at = Some(e.at),
            _ => {}
        }
    }
    l
}

/// A step a report waited on at the centre: the state, its time limit, and when the
/// report moved on (none while it still waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    state: CaseState,
    due: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
}

/// The steps a report waited on, in order: the one it entered when received, then one per
/// move of the loop, each ended by the next move.
fn spans(f: &CaseFacts) -> Vec<Span> {
    let entered = match (f.source.needs_check(), f.entry_due) {
        (true, _) => CaseState::AwaitingCheck,
        (false, Some(_)) => CaseState::PendingReview,
        // Received without all its photos: it waited on its device, not on the centre.
        (false, None) => CaseState::AwaitingPhotos,
    };
    let mut out = Vec::new();
    let mut current = Span {
        state: entered,
        due: f.entry_due,
        ended: None,
    };
    for e in f.events.iter().filter(|e| e.to != e.from) {
        out.push(Span {
            ended: Some(e.at),
            ..current
        });
        current = Span {
            state: e.to,
            due: e.step_due_at,
            ended: None,
        };
    }
    out.push(current);
    out
}

/// Whether a step went past its time limit: finished after it, or still waiting at `now`
/// with the limit behind it. A step without a limit is never late.
fn late(s: &Span, now: DateTime<Utc>) -> bool {
    s.due
        .is_some_and(|due| s.ended.map_or(due < now, |end| end > due))
}

/// What one report (with its case and tasks) adds to the counts of `period`.
fn count(f: &CaseFacts, p: &Period) -> Indicators {
    let mut c = Indicators::default();
    if p.holds(f.observed_at) {
        c.reports = 1;
        match f.state {
            CaseState::Registered
            | CaseState::Dispatched
            | CaseState::InProgress
            | CaseState::Handled
            | CaseState::Suspended
            | CaseState::Closed => {
                c.registered = 1;
                // 自处理: 立案 took it straight to 核查.
                c.on_spot = u64::from(
                    f.events
                        .iter()
                        .any(|e| e.action == "approve" && e.to == CaseState::Handled),
                );
            }
            // A case voided after 立案 (作废) is as invalid as a report rejected before.
            CaseState::Rejected | CaseState::Merged => c.invalid = 1,
            CaseState::AwaitingCheck
            | CaseState::AwaitingPhotos
            | CaseState::PendingReview
            | CaseState::Returned => {}
        }
        // The steps before the department's (核实, 受理, 派遣), with the report's period.
        for s in spans(f).iter().filter(|s| late(s, p.now)) {
            match s.state {
                CaseState::AwaitingCheck => c.check_late += 1,
                CaseState::PendingReview => c.review_late += 1,
                CaseState::Registered => c.dispatch_late += 1,
                _ => {}
            }
        }
    }
    let l = case_loop(&f.events);
    // A voided case is no longer handled or closed; a suspended one's clock is stopped
    // until it resumes: neither is judged.
    let in_loop = !matches!(f.state, CaseState::Rejected | CaseState::Suspended);
    if let Some(last) = l.rounds.last().filter(|_| in_loop) {
        let deadline = last.due;
        let past = deadline < p.now;
        let judged = last.handled.map_or(deadline, |h| h.min(deadline));
        // Closed by the centre before the department handled it: its handling is not judged.
        let left_undone = l.special && last.handled.is_none();
        if p.holds(judged) && (last.handled.is_some() || past) && !left_undone {
            let on_time = l
                .rounds
                .iter()
                .all(|r| r.handled.is_some_and(|h| h <= r.due));
            c.due = 1;
            c.handled = u64::from(last.handled.is_some());
            c.handled_on_time = u64::from(on_time);
            c.overdue = u64::from(last.handled.is_none());
        }
        let judged = l.closed_at.map_or(deadline, |at| at.min(deadline));
        if p.holds(judged) && (l.closed_at.is_some() || past) {
            let verified_on_time = f
                .tasks
                .iter()
                .filter(|t| t.passed == Some(true))
                .all(|t| t.done_at.is_some_and(|d| d <= t.due_at));
            let closed_on_time = match l.closed_at {
                None => false,
                Some(at) if l.special => at <= deadline,
                Some(_) => last.handled.is_some_and(|h| h <= deadline) && verified_on_time,
            };
            c.due_to_close = 1;
            c.closed = u64::from(l.closed_at.is_some());
            c.closed_on_time = u64::from(closed_on_time);
            c.reworked = u64::from(l.reworked);
        }
    }
    // 延期: counted once per case, when its (first) approval in the period came.
    c.extended = u64::from(
        f.events
            .iter()
            .any(|e| e.action == "approve_extension" && p.holds(e.at)),
    );
    // 核查 tasks; one cancelled (the case left the loop while the inspector had it: done
    // without a verdict) was never the inspector's to finish.
    let verifications = f
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Verify && !(t.done_at.is_some() && t.passed.is_none()));
    for t in verifications {
        let judged = t.done_at.map_or(t.due_at, |d| d.min(t.due_at));
        if p.holds(judged) && (t.done_at.is_some() || t.due_at < p.now) {
            c.verifications_due += 1;
            c.verified_on_time += u64::from(t.done_at.is_some_and(|d| d <= t.due_at));
        }
    }
    c
}

fn sum(into: &mut Indicators, c: &Indicators) {
    into.reports += c.reports;
    into.registered += c.registered;
    into.invalid += c.invalid;
    into.due += c.due;
    into.handled += c.handled;
    into.handled_on_time += c.handled_on_time;
    into.overdue += c.overdue;
    into.due_to_close += c.due_to_close;
    into.closed += c.closed;
    into.closed_on_time += c.closed_on_time;
    into.reworked += c.reworked;
    into.verifications_due += c.verifications_due;
    into.verified_on_time += c.verified_on_time;
    into.on_spot += c.on_spot;
    into.extended += c.extended;
    into.check_late += c.check_late;
    into.review_late += c.review_late;
    into.dispatch_late += c.dispatch_late;
}

fn finish(mut i: Indicators) -> Indicators {
    i.valid_rate = rate(i.registered, i.registered + i.invalid);
    i.handled_rate = rate(i.handled, i.due);
    i.handled_on_time_rate = rate(i.handled_on_time, i.due);
    i.overdue_rate = rate(i.overdue, i.due);
    i.closed_rate = rate(i.closed, i.due_to_close);
    i.closed_on_time_rate = rate(i.closed_on_time, i.due_to_close);
    i.rework_rate = rate(i.reworked, i.due_to_close);
    i.verified_on_time_rate = rate(i.verified_on_time, i.verifications_due);
    i.on_spot_rate = rate(i.on_spot, i.registered);
    i.handling_late = i.due - i.handled_on_time;
    i.verify_late = i.verifications_due - i.verified_on_time;
    i
}

/// The group a report goes to under `by`: its key (`""` for none).
fn key(f: &CaseFacts, by: GroupBy) -> String {
    let place = |digits: usize| {
        f.cell
            .as_ref()
            .map(|c| c.as_str()[..digits].to_owned())
            .unwrap_or_default()
    };
    match by {
        GroupBy::Cell => place(15),
        GroupBy::Community => place(12),
        GroupBy::Street => place(9),
        GroupBy::Team => f.team.clone().unwrap_or_default(),
        GroupBy::Inspector => f.reporter.to_string(),
        GroupBy::Department => f.department.clone().unwrap_or_default(),
        GroupBy::Category => format!("{}:{}", f.kind, f.category),
        GroupBy::Source => f.source.as_str().to_owned(),
    }
}

/// Street and community names by street, community or cell code.
type Places<'a> = HashMap<String, (Option<&'a str>, Option<&'a str>)>;

/// The street and community names of the grid's cells, by street, community and cell code.
fn place_names(grid: &Grid) -> Places<'_> {
    let mut names = HashMap::new();
    for c in grid.cells() {
        let code = c.code.as_str();
        let street = c.street_name.as_deref();
        let community = c.community_name.as_deref();
        for digits in [9, 12, 15] {
            names
                .entry(code[..digits].to_owned())
                .or_insert((street, community));
        }
    }
    names
}

fn label(by: GroupBy, key: &str, f: &CaseFacts, names: &Names<'_>, places: &Places<'_>) -> String {
    if key.is_empty() {
        return none_label(by).to_owned();
    }
    let or_key = |name: Option<String>| name.unwrap_or_else(|| key.to_owned());
    match by {
        GroupBy::Cell | GroupBy::Community | GroupBy::Street => {
            let (street, community) = places.get(key).copied().unwrap_or((None, None));
            let mut parts: Vec<&str> = street.into_iter().collect();
            if by != GroupBy::Street {
                parts.extend(community);
            }
            if by == GroupBy::Cell || parts.is_empty() {
                parts.push(key);
            }
            parts.join(" · ")
        }
        GroupBy::Team => or_key(names.teams.get(key).cloned()),
        GroupBy::Inspector => f.reporter_name.clone(),
        GroupBy::Source => f.source.label().to_owned(),
        GroupBy::Department => or_key(
            names
                .reference
                .rules
                .as_ref()
                .and_then(|r| r.department(key))
                .map(|d| d.name.clone()),
        ),
        GroupBy::Category => or_key(
            names
                .reference
                .tables()
                .filter_map(|t| t.get(f.kind, &f.category))
                .last()
                .map(|c| format!("{} · {} · {}", f.kind.name_zh(), c.major_name, c.name)),
        ),
    }
}

/// The indicators per group and the total over all of them. Groups come sorted by label,
/// the group without a key last; by category, the most reported first (高发问题). Only
/// groups something counts in during the period appear.
#[must_use]
pub fn evaluate(
    facts: &[CaseFacts],
    by: GroupBy,
    period: &Period,
    names: &Names<'_>,
) -> (Vec<Indicators>, Indicators) {
    let places = if by.is_place() {
        place_names(&names.reference.grid)
    } else {
        HashMap::new()
    };
    let mut groups: BTreeMap<String, Indicators> = BTreeMap::new();
    let mut total = Indicators::default();
    for f in facts {
        let c = count(f, period);
        if c == Indicators::default() {
            continue;
        }
        let key = key(f, by);
        let g = groups.entry(key.clone()).or_insert_with(|| Indicators {
            label: label(by, &key, f, names, &places),
            key,
            ..Indicators::default()
        });
        sum(g, &c);
        sum(&mut total, &c);
    }
    let mut rows: Vec<Indicators> = groups.into_values().map(finish).collect();
    rows.sort_by(|a, b| {
        let most = match by {
            GroupBy::Category | GroupBy::Source => {
                b.reports.cmp(&a.reports).then(b.due.cmp(&a.due))
            }
            _ => std::cmp::Ordering::Equal,
        };
        a.key
            .is_empty()
            .cmp(&b.key.is_empty())
            .then(most)
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| a.key.cmp(&b.key))
    });
    (rows, finish(total))
}

/// Puts each report's events and tasks (read in their own order) with its facts; events
/// and tasks of reports not among `facts` are left out.
#[must_use]
pub fn gather(
    mut facts: Vec<CaseFacts>,
    events: Vec<(ReportId, CaseEvent)>,
    tasks: Vec<Task>,
) -> Vec<CaseFacts> {
    let index: HashMap<ReportId, usize> = facts
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

/// The groups' name in file names: `cells`, `inspectors`, …
fn plural(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Cell => "cells",
        GroupBy::Community => "communities",
        GroupBy::Street => "streets",
        GroupBy::Team => "teams",
        GroupBy::Inspector => "inspectors",
        GroupBy::Department => "departments",
        GroupBy::Category => "categories",
        GroupBy::Source => "sources",
    }
}

/// The name of an export of the evaluation grouped `by` over `from..to`, with the first and
/// the last day of the period as the centre counts days (`local`):
/// `evaluation-inspectors-2026-11-01_2026-11-30.csv`.
#[must_use]
pub fn file_name(
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    local: impl Fn(DateTime<Utc>) -> NaiveDate,
    extension: &str,
) -> String {
    let last = local((to - Duration::nanoseconds(1)).max(from));
    format!(
        "evaluation-{}-{}_{}.{extension}",
        plural(by),
        local(from).format("%Y-%m-%d"),
        last.format("%Y-%m-%d")
    )
}

/// The CSV columns after the group's label and key: (header, value of a row).
type Column = (&'static str, fn(&Indicators) -> String);

fn columns() -> [Column; 29] {
    fn n(v: u64) -> String {
        v.to_string()
    }
    fn r(v: Option<f64>) -> String {
        v.map(|x| format!("{x:.4}")).unwrap_or_default()
    }
    [
        ("上报数 reports", |i| n(i.reports)),
        ("立案数 registered", |i| n(i.registered)),
        ("无效 invalid", |i| n(i.invalid)),
        ("有效上报率 valid_rate", |i| r(i.valid_rate)),
        ("应处置 due", |i| n(i.due)),
        ("已处置 handled", |i| n(i.handled)),
        ("处置率 handled_rate", |i| r(i.handled_rate)),
        ("按期处置 handled_on_time", |i| n(i.handled_on_time)),
        ("按期处置率 handled_on_time_rate", |i| {
            r(i.handled_on_time_rate)
        }),
        ("超期待处置 overdue", |i| n(i.overdue)),
        ("超期待处置率 overdue_rate", |i| r(i.overdue_rate)),
        ("应结案 due_to_close", |i| n(i.due_to_close)),
        ("结案 closed", |i| n(i.closed)),
        ("结案率 closed_rate", |i| r(i.closed_rate)),
        ("按期结案 closed_on_time", |i| n(i.closed_on_time)),
        ("按期结案率 closed_on_time_rate", |i| {
            r(i.closed_on_time_rate)
        }),
        ("返工 reworked", |i| n(i.reworked)),
        ("返工率 rework_rate", |i| r(i.rework_rate)),
        ("应核查 verifications_due", |i| n(i.verifications_due)),
        ("按期核查 verified_on_time", |i| n(i.verified_on_time)),
        ("按期核查率 verified_on_time_rate", |i| {
            r(i.verified_on_time_rate)
        }),
        ("自处理 on_spot", |i| n(i.on_spot)),
        ("自处理率 on_spot_rate", |i| r(i.on_spot_rate)),
        ("延期 extended", |i| n(i.extended)),
        ("核实超期 check_late", |i| n(i.check_late)),
        ("受理超期 review_late", |i| n(i.review_late)),
        ("派遣超期 dispatch_late", |i| n(i.dispatch_late)),
        ("处置超期 handling_late", |i| n(i.handling_late)),
        ("核查超期 verify_late", |i| n(i.verify_late)),
    ]
}

/// The rows and the total as CSV (UTF-8 with a byte-order mark, so spreadsheet programs
/// read the Chinese names): label, key, then every count and rate; rates as decimals with
/// four places, empty when there is nothing to divide by.
#[must_use]
pub fn to_csv(rows: &[Indicators], total: &Indicators, by: GroupBy) -> String {
    let quote = |s: &str| {
        // A name beginning = + - @ (or a tab) would be read by a spreadsheet as a formula
        // (an imported grid's street name, a person's name): a leading ' keeps it text.
        let s = &if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let columns = columns();
    let mut out = format!("\u{feff}{},key", by.as_str());
    for (header, _) in &columns {
        out.push(',');
        out.push_str(header);
    }
    out.push_str("\r\n");
    let total = Indicators {
        label: "合计 total".into(),
        ..total.clone()
    };
    for row in rows.iter().chain(std::iter::once(&total)) {
        out.push_str(&quote(&row.label));
        out.push(',');
        out.push_str(&quote(&row.key));
        for (_, value) in &columns {
            out.push(',');
            out.push_str(&value(row));
        }
        out.push_str("\r\n");
    }
    out
}

/// A place group's outline: its cell's polygon, or the polygons of every cell of the
/// community or street (a MultiPolygon, cell by cell); `None` when the grid has none.
fn outline(grid: &Grid, by: GroupBy, key: &str) -> Option<serde_json::Value> {
    let ring = |line: &geo::LineString<f64>| {
        line.coords()
            .map(|c| serde_json::json!([c.x, c.y]))
            .collect::<Vec<_>>()
    };
    let polygon = |p: &geo::Polygon<f64>| {
        std::iter::once(ring(p.exterior()))
            .chain(p.interiors().iter().map(ring))
            .collect::<Vec<_>>()
    };
    if by == GroupBy::Cell {
        let cell = grid.cell(&key.parse::<CellCode>().ok()?)?;
        return Some(serde_json::json!({
            "type": "Polygon",
            "coordinates": polygon(&cell.polygon),
        }));
    }
    let parts: Vec<_> = grid
        .cells()
        .filter(|c| c.code.as_str().starts_with(key))
        .map(|c| polygon(&c.polygon))
        .collect();
    (!parts.is_empty()).then(|| serde_json::json!({ "type": "MultiPolygon", "coordinates": parts }))
}

/// The rows of a grouping by place ([`GroupBy::is_place`]) as a GeoJSON FeatureCollection:
/// each cell, community or street with its outline from `grid` and the indicators as its
/// properties. Groups without an outline (outside the grid, a cell no longer in the grid,
/// any group of a grouping that is not by place) are left out.
#[must_use]
pub fn to_geojson(rows: &[Indicators], by: GroupBy, grid: &Grid) -> serde_json::Value {
    let features: Vec<_> = rows
        .iter()
        .filter(|r| by.is_place() && !r.key.is_empty())
        .filter_map(|row| {
            Some(serde_json::json!({
                "type": "Feature",
                "id": row.key,
                "geometry": outline(grid, by, &row.key)?,
                "properties": serde_json::to_value(row).unwrap_or_default(),
            }))
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}

#[cfg(test)]
mod tests;
