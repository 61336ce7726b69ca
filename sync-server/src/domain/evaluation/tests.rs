#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use gridwalk_protocol::console::TaskKind;
use gridwalk_protocol::{CodeTable, Kind, TaskId, UserId};

use super::*;
use crate::domain::rules::CaseRules;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rules() -> CaseRules {
    CaseRules::from_json(&fixture("fixtures/case-rules.json")).unwrap()
}

/// The fixture grid, code table and rules, as the centre loads them.
fn reference() -> Reference {
    let table = CodeTable::from_json(&fixture("fixtures/codes.json")).unwrap();
    let grid = Grid::from_geojson(&fixture("fixtures/grid/440703-pengjiang.geojson")).unwrap();
    Reference::new([table], Some(rules())).with_grid(Arc::new(grid))
}

/// A time written `2026-11-02 09:10`, in the centre's UTC+8.
fn local(s: &str) -> DateTime<Utc> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("{s:?}: {e}"));
    t.and_utc() - Duration::hours(8)
}

/// November 2026 in UTC+8, looked at on the morning of 1 December.
fn november() -> Period {
    Period {
        from: local("2026-11-01 00:00"),
        to: local("2026-12-01 00:00"),
        now: local("2026-12-01 09:00"),
    }
}

fn ev(action: &str, at: DateTime<Utc>, due: Option<DateTime<Utc>>) -> CaseEvent {
    CaseEvent {
        action: action.into(),
        from: CaseState::PendingReview,
        to: CaseState::PendingReview,
        by_user: None,
        by_name: None,
        by_device: None,
        text: None,
        due_at: due,
        step_due_at: None,
        at,
    }
}

fn task(report: ReportId, due: DateTime<Utc>) -> Task {
    Task {
        id: TaskId::new(),
        kind: TaskKind::Verify,
        report,
        case_no: Some("20261102-0001".into()),
        assignee: UserId::new(),
        created_at: due,
        due_at: due,
        done_at: None,
        passed: None,
        note: None,
        photos: vec![],
        by_device: None,
    }
}

/// A report observed at `observed` by 李晓明 of team T1 in cell 440703001001001, category
/// event 0101, nothing decided yet.
fn report(observed: DateTime<Utc>) -> CaseFacts {
    CaseFacts {
        report: ReportId::new(),
        reporter: UserId::new(),
        reporter_name: "李晓明".into(),
        team: Some("T1".into()),
        cell: Some("440703001001001".parse().unwrap()),
        kind: Kind::Event,
        category: "0101".parse().unwrap(),
        department: None,
        source: gridwalk_protocol::intake::Source::Inspector,
        observed_at: observed,
        received_at: observed,
        entry_due: None,
        state: CaseState::PendingReview,
        events: vec![],
        tasks: vec![],
    }
}

/// Applies one step of the loop to `f` as the centre would record it: the case event, the
/// state it leads to, the verification task opened by `handled` and closed by `verify_*`.
fn step(f: &mut CaseFacts, action: &str, at: DateTime<Utc>, due: Option<DateTime<Utc>>) {
    let from = f.state;
    f.state = match action {
        "approve" => CaseState::Registered,
        // 自处理: 立案 of a report fixed on the spot goes straight to 核查.
        "approve_on_spot" => CaseState::Handled,
        "dispatch" | "redispatch" | "verify_fail" => CaseState::Dispatched,
        "bounce" => CaseState::Registered,
        "handled" => CaseState::Handled,
        "verify_pass" => CaseState::Closed,
        "return" => CaseState::Returned,
        "reject" | "void" => CaseState::Rejected,
        "merge" => CaseState::Merged,
        "suspend" => CaseState::Suspended,
        "request_extension" | "approve_extension" | "refuse_extension" => f.state,
        other => panic!("no step {other:?}"),
    };
    let action = if action == "approve_on_spot" {
        "approve"
    } else {
        action
    };
    if action == "dispatch" {
        f.department = Some("HW".into());
    }
    if action == "handled" {
        let t = task(
            f.report,
            due.expect("a handled step sets the task's deadline"),
        );
        f.tasks.push(Task {
            created_at: at,
            ..t
        });
    }
    // A 自处理 case is verified by its leader at the console: no task.
    if let Some(passed) = action.strip_prefix("verify_").map(|r| r == "pass")
        && let Some(open) = f.tasks.iter_mut().find(|t| t.done_at.is_none())
    {
        open.done_at = Some(at);
        open.passed = Some(passed);
    }
    f.events.push(CaseEvent {
        from,
        to: f.state,
        ..ev(action, at, due)
    });
}

fn no_names() -> (Reference, BTreeMap<String, String>) {
    (Reference::default(), BTreeMap::new())
}

fn total(facts: &[CaseFacts], period: &Period) -> Indicators {
    let (reference, leaders) = no_names();
    let names = Names {
        reference: &reference,
        teams: &leaders,
    };
    evaluate(facts, GroupBy::Inspector, period, &names).1
}

/// A numbered block of the README between `<!-- evaluation example: NAME -->` and the
/// next `<!-- /evaluation example -->`: its table's rows (header and rule left out).
fn readme_table(readme: &str, name: &str) -> Vec<Vec<String>> {
    let start = format!("<!-- evaluation example: {name} -->");
    let at = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README.md has no {start}"));
    let rest = &readme[at + start.len()..];
    let block = &rest[..rest.find("<!-- /evaluation example -->").unwrap()];
    block
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<String> = l.split('|').map(|c| c.trim().to_owned()).collect();
            cells[1..cells.len() - 1].to_vec()
        })
        .collect()
}

/// The README example's period: the three `YYYY-MM-DD HH:MM` times after "Worked example"
/// (from, to, now).
fn readme_period(readme: &str) -> Period {
    let at = readme
        .find("**Worked example.**")
        .expect("the worked example");
    let text = &readme[at..readme.find("<!-- evaluation example: steps -->").unwrap()];
    let words: Vec<&str> = text.split_whitespace().collect();
    let times: Vec<DateTime<Utc>> = words
        .windows(2)
        .filter(|w| NaiveDate::parse_from_str(w[0], "%Y-%m-%d").is_ok())
        .map(|w| {
            local(&format!(
                "{} {}",
                w[0],
                w[1].trim_end_matches([',', ';', '.'])
            ))
        })
        .collect();
    assert_eq!(times.len(), 3, "from, to and now: {times:?}");
    Period {
        from: times[0],
        to: times[1],
        now: times[2],
    }
}

/// An indicator's numerator, denominator (0 for a count) and value, by its field name.
fn measure(i: &Indicators, field: &str) -> (u64, u64, Option<f64>) {
    match field {
        "reports" => (i.reports, 0, None),
        "registered" => (i.registered, 0, None),
        "valid_rate" => (i.registered, i.registered + i.invalid, i.valid_rate),
        "handled_rate" => (i.handled, i.due, i.handled_rate),
        "handled_on_time_rate" => (i.handled_on_time, i.due, i.handled_on_time_rate),
        "overdue_rate" => (i.overdue, i.due, i.overdue_rate),
        "closed_rate" => (i.closed, i.due_to_close, i.closed_rate),
        "closed_on_time_rate" => (i.closed_on_time, i.due_to_close, i.closed_on_time_rate),
        "rework_rate" => (i.reworked, i.due_to_close, i.rework_rate),
        "verified_on_time_rate" => (
            i.verified_on_time,
            i.verifications_due,
            i.verified_on_time_rate,
        ),
        "on_spot" => (i.on_spot, 0, None),
        "on_spot_rate" => (i.on_spot, i.registered, i.on_spot_rate),
        "extended" => (i.extended, 0, None),
        "check_late" => (i.check_late, 0, None),
        "review_late" => (i.review_late, 0, None),
        "dispatch_late" => (i.dispatch_late, 0, None),
        "handling_late" => (i.handling_late, 0, None),
        "verify_late" => (i.verify_late, 0, None),
        other => panic!("the README names an indicator the test does not know: {other}"),
    }
}

/// How often each case is named in a list like `A B×2 H`.
fn cases_named(list: &str) -> BTreeMap<String, u64> {
    let mut named = BTreeMap::new();
    for word in list.split_whitespace() {
        let (case, times) = word
            .split_once('×')
            .map_or((word, 1), |(c, n)| (c, n.parse().unwrap()));
        *named.entry(case.to_owned()).or_default() += times;
    }
    named
}

#[test]
fn the_readme_example_is_what_evaluate_computes() {
    let readme = fixture("README.md");
    let period = readme_period(&readme);
    let rules = rules();
    let mut deadline_report = gridwalk_protocol::testing::report();
    deadline_report.category = "0101".parse().unwrap();

    let mut cases: BTreeMap<String, CaseFacts> = BTreeMap::new();
    // Each case's handling deadline, and its 延期 request waiting (hours, deadline then).
    let mut last_due: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut asked: BTreeMap<String, (i64, DateTime<Utc>)> = BTreeMap::new();
    for row in readme_table(&readme, "steps") {
        let [case, time, what, deadline] = &row[..] else {
            panic!("a step row has four cells: {row:?}")
        };
        let at = local(time);
        let mut action = what.split_whitespace().next().unwrap();
        if action == "approve" && what.contains("自处理") {
            action = "approve_on_spot";
        }
        let due = (!deadline.is_empty()).then(|| local(deadline));
        match action {
            "approve_extension" => {
                let (hours, before) = asked
                    .remove(case)
                    .unwrap_or_else(|| panic!("{case} {time}: 批准延期 of no request"));
                assert_eq!(
                    due,
                    Some(rules.extended(before, Duration::hours(hours))),
                    "{case} {time}: the deadline moved on by the hours asked, in working time"
                );
            }
            "dispatch" | "redispatch" | "verify_fail" => assert_eq!(
                due,
                Some(rules.handling_due(&deadline_report, at)),
                "{case} {time} {action}: the fixture rules' handling deadline"
            ),
            "handled" => assert_eq!(
                due,
                Some(rules.verify_due(at)),
                "{case} {time}: the fixture rules' verification deadline"
            ),
            _ => assert_eq!(due, None, "{case} {time} {action} sets no deadline"),
        }
        if matches!(action, "dispatch" | "redispatch") {
            last_due.insert(case.clone(), due.unwrap());
        }
        if action == "request_extension" {
            // `request_extension 申请延期 8 工时`: the hours asked.
            let hours: i64 = what
                .split_whitespace()
                .find_map(|w| w.parse().ok())
                .expect("the hours asked");
            asked.insert(case.clone(), (hours, last_due[case]));
        }
        if action == "observed" {
            assert!(!cases.contains_key(case), "{case} is observed once");
            // Received as it was observed, whole: its review's time limit starts then.
            let mut f = report(at);
            f.entry_due = rules.step_due(CaseState::PendingReview, at, None);
            cases.insert(case.clone(), f);
        } else {
            let f = cases
                .get_mut(case)
                .unwrap_or_else(|| panic!("{case} is observed first"));
            step(f, action, at, due);
            // Each move records the time limit of the step it leads to, as the centre does.
            if matches!(action, "approve_extension" | "verify_fail") {
                last_due.insert(case.clone(), due.unwrap());
            }
            let e = f.events.last_mut().unwrap();
            if e.from != e.to {
                e.step_due_at = rules.step_due(f.state, at, last_due.get(case).copied());
            }
        }
    }

    let expected = readme_table(&readme, "expected");
    assert_eq!(expected.len(), 18, "every indicator has its row");
    let all: Vec<CaseFacts> = cases.values().cloned().collect();
    let sum = total(&all, &period);
    for row in &expected {
        let [indicator, numerator, denominator, value] = &row[..] else {
            panic!("an expected row has four cells: {row:?}")
        };
        let field = indicator.split('`').nth(1).expect("the field in backticks");
        let (want_num, want_den) = (cases_named(numerator), cases_named(denominator));
        for (name, f) in &cases {
            let (n, d, _) = measure(&total(std::slice::from_ref(f), &period), field);
            assert_eq!(
                (n, d),
                (
                    want_num.get(name).copied().unwrap_or(0),
                    want_den.get(name).copied().unwrap_or(0)
                ),
                "{field}: case {name} in the numerator, the denominator"
            );
        }
        let (n, d, r) = measure(&sum, field);
        assert_eq!(n, want_num.values().sum::<u64>(), "{field}: numerator");
        assert_eq!(d, want_den.values().sum::<u64>(), "{field}: denominator");
        let shown = if field.ends_with("_rate") {
            r.map_or("—".to_owned(), |r| format!("{:.1} %", r * 100.0))
        } else {
            n.to_string()
        };
        assert_eq!(&shown, value, "{field}");
    }
}

#[test]
fn undecided_reports_count_in_neither_part_of_the_valid_rate() {
    let p = november();
    let at = local("2026-11-10 09:00");
    // The inspector: 10 reports still 待受理 and 2 registered read 16.7 % when
    // every report was the denominator; only decided reports count now.
    let mut facts: Vec<CaseFacts> = (0..10).map(|_| report(at)).collect();
    for _ in 0..2 {
        let mut f = report(at);
        step(&mut f, "approve", at, None);
        facts.push(f);
    }
    let t = total(&facts, &p);
    assert_eq!((t.reports, t.registered, t.invalid), (12, 2, 0));
    assert_eq!(t.valid_rate, Some(1.0));

    // Returned and not yet decided again: neither; photos still arriving: neither.
    let mut returned = report(at);
    step(&mut returned, "return", at, None);
    let mut arriving = report(at);
    arriving.state = CaseState::AwaitingPhotos;
    // Rejected and merged (a duplicate): invalid.
    let mut rejected = report(at);
    step(&mut rejected, "reject", at, None);
    let mut merged = report(at);
    step(&mut merged, "merge", at, None);
    facts.extend([returned, arriving, rejected, merged]);
    let t = total(&facts, &p);
    assert_eq!((t.reports, t.registered, t.invalid), (16, 2, 2));
    assert_eq!(t.valid_rate, Some(0.5));

    // Only undecided reports: nothing to divide by.
    let t = total(&facts[..10], &p);
    assert_eq!(t.valid_rate, None);
}

#[test]
fn fresh_cases_are_not_judged_before_their_deadline() {
    // Registered and dispatched on 30 November, due on 2 December: on 1 December nothing
    // about them is due yet (the old 结案率, closed / registered, read 0.0 %).
    let mut facts = Vec::new();
    for _ in 0..3 {
        let mut f = report(local("2026-11-30 09:00"));
        step(&mut f, "approve", local("2026-11-30 09:30"), None);
        step(
            &mut f,
            "dispatch",
            local("2026-11-30 10:00"),
            Some(local("2026-12-02 10:00")),
        );
        facts.push(f);
    }
    let t = total(&facts, &november());
    assert_eq!((t.reports, t.registered), (3, 3));
    assert_eq!((t.due, t.due_to_close), (0, 0));
    assert_eq!(
        (t.handled_rate, t.closed_rate, t.overdue_rate),
        (None, None, None)
    );

    // One handled early and closed in November: it is judged when it closed.
    step(
        &mut facts[0],
        "handled",
        local("2026-11-30 11:00"),
        Some(local("2026-11-30 16:00")),
    );
    step(
        &mut facts[0],
        "verify_pass",
        local("2026-11-30 15:00"),
        None,
    );
    let t = total(&facts, &november());
    assert_eq!((t.due, t.handled, t.due_to_close, t.closed), (1, 1, 1, 1));
    assert_eq!(t.closed_rate, Some(1.0));
    assert_eq!(t.closed_on_time_rate, Some(1.0));

    // Looked at after the deadline, in December, the other two are overdue there.
    let december = Period {
        from: local("2026-12-01 00:00"),
        to: local("2027-01-01 00:00"),
        now: local("2026-12-03 09:00"),
    };
    let t = total(&facts, &december);
    assert_eq!(t.reports, 0, "observed in November");
    assert_eq!((t.due, t.overdue, t.due_to_close, t.closed), (2, 2, 2, 0));
    assert_eq!(t.overdue_rate, Some(1.0));
    assert_eq!(t.closed_rate, Some(0.0));
}

#[test]
fn handling_on_time_is_per_case_not_per_round() {
    // Dispatched, handled on time, verification failed, the rework handled on time and
    // verified: one case handled on time (the old count had two rounds in the denominator).
    let mut f = report(local("2026-11-02 09:00"));
    step(&mut f, "approve", local("2026-11-02 09:10"), None);
    let d1 = local("2026-11-04 09:10");
    step(&mut f, "dispatch", local("2026-11-02 09:20"), Some(d1));
    let v1 = local("2026-11-03 14:00");
    step(&mut f, "handled", local("2026-11-03 10:00"), Some(v1));
    let d2 = local("2026-11-06 09:00");
    step(&mut f, "verify_fail", local("2026-11-03 11:00"), Some(d2));
    step(
        &mut f,
        "handled",
        local("2026-11-05 10:00"),
        Some(local("2026-11-05 15:00")),
    );
    step(&mut f, "verify_pass", local("2026-11-05 11:00"), None);
    let t = total(std::slice::from_ref(&f), &november());
    assert_eq!((t.due, t.handled, t.handled_on_time), (1, 1, 1));
    assert_eq!((t.due_to_close, t.closed, t.reworked), (1, 1, 1));
    assert_eq!(t.rework_rate, Some(1.0), "reworked / due to close");
    assert_eq!(t.closed_on_time, 1);
    assert_eq!((t.verifications_due, t.verified_on_time), (2, 2));

    // The same with the first round late: the case is late, still one case.
    let mut late = f.clone();
    late.events[2].at = d1 + Duration::hours(1);
    let t = total(&[late], &november());
    assert_eq!((t.due, t.handled, t.handled_on_time), (1, 1, 0));
    assert_eq!(t.handled_on_time_rate, Some(0.0));

    // Dispatched again (to another department) before it was handled: the new deadline
    // replaces the old one; still one round.
    let mut moved = report(local("2026-11-02 09:00"));
    step(&mut moved, "approve", local("2026-11-02 09:10"), None);
    step(&mut moved, "dispatch", local("2026-11-02 09:20"), Some(d1));
    moved
        .events
        .push(ev("dispatch", local("2026-11-03 09:00"), Some(d2)));
    moved.state = CaseState::Dispatched;
    step(&mut moved, "handled", d1 + Duration::hours(2), Some(v1));
    let t = total(&[moved], &november());
    assert_eq!((t.due, t.handled_on_time), (1, 1));
}

#[test]
fn each_thing_counts_in_the_period_of_its_own_time_and_only_once() {
    // Observed on 30 November, reaching the centre in December: a November report.
    let mut f = report(local("2026-11-30 17:00"));
    step(&mut f, "approve", local("2026-12-02 09:00"), None);
    // Dispatched in December with a deadline in December, handled late in January.
    step(
        &mut f,
        "dispatch",
        local("2026-12-02 10:00"),
        Some(local("2026-12-04 10:00")),
    );
    step(
        &mut f,
        "handled",
        local("2027-01-05 09:00"),
        Some(local("2027-01-05 14:00")),
    );
    step(&mut f, "verify_pass", local("2027-01-05 11:00"), None);
    let now = local("2027-02-01 09:00");
    let months = [
        ("2026-10-01 00:00", "2026-11-01 00:00"),
        ("2026-11-01 00:00", "2026-12-01 00:00"),
        ("2026-12-01 00:00", "2027-01-01 00:00"),
        ("2027-01-01 00:00", "2027-02-01 00:00"),
    ];
    let per_month: Vec<Indicators> = months
        .iter()
        .map(|(from, to)| {
            total(
                std::slice::from_ref(&f),
                &Period {
                    from: local(from),
                    to: local(to),
                    now,
                },
            )
        })
        .collect();
    let fields = |i: &Indicators| {
        (
            i.reports,
            i.due,
            i.handled_on_time,
            i.due_to_close,
            i.verifications_due,
        )
    };
    assert_eq!(
        per_month.iter().map(fields).collect::<Vec<_>>(),
        [
            (0, 0, 0, 0, 0),
            (1, 0, 0, 0, 0),
            (0, 1, 0, 1, 0),
            (0, 0, 0, 0, 1),
        ],
        "the report in November; handling and closing with their December deadline; the \
         verification in January, when it was done (before its deadline)"
    );
    assert_eq!(per_month[2].closed_on_time, 0, "handled late");
    assert_eq!(per_month[3].verified_on_time, 1);
}

fn names_fixture() -> (Reference, BTreeMap<String, String>) {
    let leaders = BTreeMap::from([("T440703001-01".to_owned(), "陈建国组".to_owned())]);
    (reference(), leaders)
}

#[test]
fn groups_carry_their_code_as_key_and_what_people_call_them_as_label() {
    let (reference, leaders) = names_fixture();
    let names = Names {
        reference: &reference,
        teams: &leaders,
    };
    let p = november();
    let at = local("2026-11-10 09:00");
    let mut a = report(at);
    a.team = Some("T440703001-01".into());
    step(&mut a, "approve", at, None);
    step(&mut a, "dispatch", at, Some(local("2026-11-12 09:00")));
    let mut b = report(at);
    b.team = Some("T440703001-01".into());
    b.cell = Some("440703002003004".parse().unwrap());
    b.category = "0102".parse().unwrap();
    let mut c = report(at);
    c.cell = None;
    c.team = None;
    c.category = "0102".parse().unwrap();
    c.reporter_name = "王芳".into();
    c.source = gridwalk_protocol::intake::Source::Hotline12345;
    let facts = [a, b, c];
    let rows = |by| {
        evaluate(&facts, by, &p, &names)
            .0
            .into_iter()
            .map(|r| (r.key, r.label, r.reports))
            .collect::<Vec<_>>()
    };
    let s = |x: &str| x.to_owned();
    assert_eq!(
        rows(GroupBy::Cell),
        [
            (
                s("440703001001001"),
                s("环市街道 · 东华社区 · 440703001001001"),
                1
            ),
            (
                s("440703002003004"),
                s("白沙街道 · 紫茶社区 · 440703002003004"),
                1
            ),
            (s(""), s("网格外 outside the grid"), 1),
        ]
    );
    assert_eq!(
        rows(GroupBy::Community),
        [
            (s("440703001001"), s("环市街道 · 东华社区"), 1),
            (s("440703002003"), s("白沙街道 · 紫茶社区"), 1),
            (s(""), s("网格外 outside the grid"), 1),
        ]
    );
    assert_eq!(
        rows(GroupBy::Street),
        [
            (s("440703001"), s("环市街道"), 1),
            (s("440703002"), s("白沙街道"), 1),
            (s(""), s("网格外 outside the grid"), 1),
        ]
    );
    assert_eq!(
        rows(GroupBy::Team),
        [
            (s("T440703001-01"), s("陈建国组"), 2),
            (s(""), s("无班组 no team"), 1),
        ]
    );
    assert_eq!(
        rows(GroupBy::Department),
        [
            (s("HW"), s("环境卫生管理处"), 1),
            (s(""), s("未派遣 not dispatched"), 2),
        ]
    );
    // 高发问题: the most reported category first.
    assert_eq!(
        rows(GroupBy::Category),
        [
            (s("event:0102"), s("事件 · 市容环境 · 暴露垃圾"), 2),
            (s("event:0101"), s("事件 · 市容环境 · 私搭乱建"), 1),
        ]
    );
    // 案件来源: the most reports first.
    assert_eq!(
        rows(GroupBy::Source),
        [
            (s("inspector"), s("监督员上报 inspectors"), 2),
            (s("hotline_12345"), s("12345热线 12345 hotline"), 1),
        ]
    );
    let by_inspector = rows(GroupBy::Inspector);
    assert_eq!(
        by_inspector
            .iter()
            .map(|r| r.1.as_str())
            .collect::<Vec<_>>(),
        ["李晓明", "李晓明", "王芳"]
    );
    assert_eq!(by_inspector[0].0, facts[0].reporter.to_string());

    // Without names (no rules, grid or leaders held), the code stands in.
    let (bare, none) = no_names();
    let bare = Names {
        reference: &bare,
        teams: &none,
    };
    let (rows, _) = evaluate(&facts, GroupBy::Department, &p, &bare);
    assert_eq!((rows[0].key.as_str(), rows[0].label.as_str()), ("HW", "HW"));
    let (rows, _) = evaluate(&facts, GroupBy::Community, &p, &bare);
    assert_eq!(rows[0].label, "440703001001");
}

#[test]
fn exports_are_named_by_their_grouping_and_days() {
    let p = november();
    let day = |t: DateTime<Utc>| rules().calendar.local_date(t);
    assert_eq!(
        file_name(GroupBy::Inspector, p.from, p.to, day, "csv"),
        "evaluation-inspectors-2026-11-01_2026-11-30.csv"
    );
    assert_eq!(
        file_name(GroupBy::Community, p.from, p.to, day, "geojson"),
        "evaluation-communities-2026-11-01_2026-11-30.geojson"
    );
    assert_eq!(
        file_name(
            GroupBy::Category,
            p.from,
            p.from + Duration::hours(2),
            day,
            "csv"
        ),
        "evaluation-categories-2026-11-01_2026-11-01.csv"
    );
    let names: Vec<String> = GroupBy::ALL
        .iter()
        .map(|by| file_name(*by, p.from, p.to, day, "csv"))
        .collect();
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), GroupBy::ALL.len(), "{names:?}");
}

#[test]
fn csv_has_every_count_and_rate_and_the_total() {
    let (reference, leaders) = names_fixture();
    let names = Names {
        reference: &reference,
        teams: &leaders,
    };
    let at = local("2026-11-10 09:00");
    let mut a = report(at);
    step(&mut a, "approve", at, None);
    let mut b = report(at);
    b.cell = None;
    step(&mut b, "reject", at, None);
    let (rows, total) = evaluate(&[a, b], GroupBy::Cell, &november(), &names);
    let csv = to_csv(&rows, &total, GroupBy::Cell);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("\u{feff}cell,key,上报数 reports,立案数 registered,无效 invalid,有效上报率 valid_rate,应处置 due,"));
    assert!(lines[0].ends_with(
        ",自处理率 on_spot_rate,延期 extended,核实超期 check_late,受理超期 review_late,\
         派遣超期 dispatch_late,处置超期 handling_late,核查超期 verify_late"
    ));
    assert_eq!(lines[0].split(',').count(), 31);
    assert_eq!(
        lines[1],
        "环市街道 · 东华社区 · 440703001001001,440703001001001,1,1,0,1.0000,0,0,,0,,0,,0,0,,0,,0,,0,0,,0,0.0000,0,0,0,0,0,0"
    );
    assert!(
        lines[2].starts_with("网格外 outside the grid,,1,0,1,0.0000,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("合计 total,,2,1,1,0.5000,"),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "");
}

#[test]
fn csv_keeps_names_that_look_like_formulas_as_text() {
    let (reference, leaders) = names_fixture();
    let names = Names {
        reference: &reference,
        teams: &leaders,
    };
    let at = local("2026-11-10 09:00");
    let (mut rows, total) = evaluate(&[report(at)], GroupBy::Cell, &november(), &names);
    rows[0].label = "=HYPERLINK(\"http://x\",\"街道\")".into();
    rows[0].key = "@SUM(A1)".into();
    let csv = to_csv(&rows, &total, GroupBy::Cell);
    let line = csv.split("\r\n").nth(1).unwrap();
    assert!(
        line.starts_with("\"'=HYPERLINK(\"\"http://x\"\",\"\"街道\"\")\",'@SUM(A1),"),
        "{line}"
    );
}

#[test]
fn geojson_draws_cells_communities_and_streets_from_the_grid() {
    let (reference, leaders) = names_fixture();
    let names = Names {
        reference: &reference,
        teams: &leaders,
    };
    let at = local("2026-11-10 09:00");
    let inside = report(at);
    let mut outside = report(at);
    outside.cell = None;
    let facts = [inside, outside];
    let geo = |by| {
        let (rows, _) = evaluate(&facts, by, &november(), &names);
        to_geojson(&rows, by, &reference.grid)
    };
    let cells = geo(GroupBy::Cell);
    let features = cells["features"].as_array().unwrap();
    assert_eq!(
        features.len(),
        1,
        "the group outside the grid has no outline"
    );
    assert_eq!(features[0]["geometry"]["type"], "Polygon");
    assert_eq!(features[0]["properties"]["key"], "440703001001001");
    assert_eq!(features[0]["properties"]["reports"], 1);
    let community = geo(GroupBy::Community);
    let shape = &community["features"][0]["geometry"];
    assert_eq!(shape["type"], "MultiPolygon");
    assert_eq!(
        shape["coordinates"].as_array().unwrap().len(),
        25,
        "5 × 5 cells"
    );
    assert_eq!(
        community["features"][0]["properties"]["label"],
        "环市街道 · 东华社区"
    );
    let street = geo(GroupBy::Street);
    assert_eq!(
        street["features"][0]["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .len(),
        250
    );
    assert_eq!(
        geo(GroupBy::Inspector)["features"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn events_and_tasks_go_with_their_own_report() {
    let a = report(local("2026-11-02 09:00"));
    let b = report(local("2026-11-02 09:00"));
    let (ida, idb) = (a.report, b.report);
    let t0 = local("2026-11-02 10:00");
    let ta = task(ida, t0);
    let stray = task(ReportId::new(), t0);
    let out = gather(
        vec![a, b],
        vec![
            (idb, ev("approve", t0, None)),
            (ida, ev("reject", t0, None)),
            (idb, ev("dispatch", t0, Some(t0))),
            (ReportId::new(), ev("approve", t0, None)),
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

#[test]
fn each_step_is_late_when_it_ends_after_its_limit_or_still_waits_past_it() {
    let period = november();
    let at = local("2026-11-10 09:00");
    let hours = |h: i64| at + Duration::hours(h);
    let moved = |action: &str, from, to, when, step_due| CaseEvent {
        from,
        to,
        step_due_at: step_due,
        ..ev(action, when, None)
    };
    // A hotline report checked late, reviewed in time, returned, resubmitted and reviewed
    // late the second time, then dispatched in time.
    let mut hotline = report(at);
    hotline.source = gridwalk_protocol::intake::Source::Hotline12345;
    hotline.entry_due = Some(hours(4));
    hotline.state = CaseState::Dispatched;
    hotline.events = vec![
        moved(
            "check_real",
            CaseState::AwaitingCheck,
            CaseState::PendingReview,
            hours(5),
            Some(hours(7)),
        ),
        moved(
            "return",
            CaseState::PendingReview,
            CaseState::Returned,
            hours(6),
            None,
        ),
        moved(
            "resubmit",
            CaseState::Returned,
            CaseState::PendingReview,
            hours(8),
            Some(hours(10)),
        ),
        // A step that does not move the report does not end the one it waits on.
        moved(
            "request_extension",
            CaseState::PendingReview,
            CaseState::PendingReview,
            hours(9),
            None,
        ),
        moved(
            "approve",
            CaseState::PendingReview,
            CaseState::Registered,
            hours(11),
            Some(hours(12)),
        ),
        moved(
            "dispatch",
            CaseState::Registered,
            CaseState::Dispatched,
            hours(12),
            None,
        ),
    ];
    let i = total(&[hotline.clone()], &period);
    assert_eq!((i.check_late, i.review_late, i.dispatch_late), (1, 1, 0));

    // A registered case still waiting for its dispatch past the limit at `now` is late; one
    // whose limit is still ahead is not, nor a step with no limit at all.
    let mut waiting = report(at);
    waiting.state = CaseState::Registered;
    waiting.events = vec![moved(
        "approve",
        CaseState::PendingReview,
        CaseState::Registered,
        hours(1),
        Some(hours(2)),
    )];
    assert_eq!(total(&[waiting.clone()], &period).dispatch_late, 1);
    let mut ahead = waiting.clone();
    ahead.events[0].step_due_at = Some(period.now + Duration::hours(1));
    assert_eq!(total(&[ahead], &period).dispatch_late, 0);
    let mut unlimited = waiting.clone();
    unlimited.events[0].step_due_at = None;
    assert_eq!(total(&[unlimited], &period).dispatch_late, 0);

    // Received without its photos, a report waited on its device: nothing to judge until
    // they arrived and its review began.
    let mut photos = report(at);
    photos.entry_due = None;
    photos.state = CaseState::PendingReview;
    photos.events = vec![moved(
        "photos_complete",
        CaseState::AwaitingPhotos,
        CaseState::PendingReview,
        hours(30),
        Some(hours(32)),
    )];
    assert_eq!(
        total(&[photos.clone()], &period).review_late,
        1,
        "still waiting past 32 h"
    );

    // They count with the report's period: October's report adds nothing to November.
    let mut october = hotline;
    october.observed_at = local("2026-10-30 09:00");
    let all = total(&[october, waiting, photos], &period);
    assert_eq!(
        (all.check_late, all.review_late, all.dispatch_late),
        (0, 1, 1)
    );
}
