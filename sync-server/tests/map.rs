//! The store's part of the city map and the overview screen, below HTTP, on a real SQLite
//! file and a real PostgreSQL schema: the map's points follow a work queue's filter and
//! order and stop at the filter's limit while counting every match; the overview's counts
//! are taken in the database, per team or for the whole city, over the asked periods.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::{CaseState, DeviceId, Kind, MutationId, QueueStats, Report, Urgency};
use gridwalk_sync::domain::cases::{Action, StepRequest, Stepped};
use gridwalk_sync::domain::model::{Author, Device, ReportFilter};
use gridwalk_sync::domain::overview::OverviewAsk;
use gridwalk_sync::domain::push::Effect;
use gridwalk_sync::domain::queue;
use gridwalk_sync::domain::reference::Reference;
use gridwalk_sync::on_every_backend;
use gridwalk_sync::store::{CaseStore, Seen};
use gridwalk_sync::testkit::{Backend, case_store, drop_schema};

async fn device_of(store: &dyn CaseStore, login: &str) -> Device {
    let user = store.user_by_login(login).await.unwrap().unwrap();
    let id = DeviceId::new();
    store
        .enroll_device(id, user.id, &format!("token-{id}"), Utc::now())
        .await
        .unwrap();
    Device {
        id,
        user: user.id,
        role: user.role,
    }
}

/// A report of `d`'s without photos (so it is in review at once), at a place of its own.
fn report(d: &Device, n: u32, category: &str, urgency: Urgency) -> Report {
    let mut r = gridwalk_protocol::testing::report();
    r.reporter = d.user;
    r.device = d.id;
    r.photos.clear();
    r.category = category.parse().unwrap();
    r.urgency = urgency;
    r.location.lon += f64::from(n) * 0.001;
    r
}

/// Each report in a push of its own, so each waits from its own moment, in this order.
async fn push(store: &dyn CaseStore, reference: &Arc<Reference>, d: &Device, reports: &[&Report]) {
    for (n, r) in reports.iter().enumerate() {
        let seen = Seen {
            app_version: "map".into(),
            model: None,
            queue: QueueStats::default(),
            at: Utc::now(),
        };
        let m = MutationId::try_from(n + 1).unwrap();
        store
            .apply(
                d.id,
                vec![(m, Effect::InsertReport(Box::new((*r).clone().into())))],
                vec![],
                seen,
                Arc::clone(reference),
            )
            .await
            .unwrap();
    }
}

async fn step(
    store: &dyn CaseStore,
    reference: &Arc<Reference>,
    r: &Report,
    action: Action,
    seen: CaseState,
) {
    let operator = store.user_by_login("sunyue").await.unwrap().unwrap();
    let done = store
        .step(
            &StepRequest {
                report: r.id,
                action,
                seen: Some(seen),
                by: Author::person(operator.id),
                at: Utc::now(),
                task: None,
                department_seen: None,
            },
            Arc::clone(reference),
        )
        .await
        .unwrap();
    assert!(matches!(done, Stepped::Done { .. }), "{done:?}");
}

async fn the_map_and_the_overview_count_in_the_database(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (store, schema) = case_store(backend, dir.path()).await;
    let s = store.as_ref();
    let (tables, rules) = s.reference_texts().await.unwrap();
    let reference = Arc::new(Reference::parse(&tables, rules.as_deref()).unwrap());
    let d = device_of(s, "lixiaoming").await;
    let z = device_of(s, "zhaomin").await;
    let r1 = report(&d, 1, "0507", Urgency::Normal);
    let r2 = report(&d, 2, "0507", Urgency::Urgent);
    let r3 = report(&d, 3, "0507", Urgency::Normal);
    let r4 = report(&d, 4, "0102", Urgency::Normal);
    let z1 = report(&z, 5, "0507", Urgency::Normal);
    push(s, &reference, &d, &[&r1, &r2, &r3, &r4]).await;
    push(s, &reference, &z, &[&z1]).await;
    step(
        s,
        &reference,
        &r1,
        Action::Reject {
            reason: "非城管职责".into(),
        },
        CaseState::PendingReview,
    )
    .await;
    step(
        s,
        &reference,
        &r3,
        Action::approve(),
        CaseState::PendingReview,
    )
    .await;
    step(
        s,
        &reference,
        &r3,
        Action::Dispatch {
            department: "SZ".into(),
        },
        CaseState::Registered,
    )
    .await;
    let now = Utc::now();
    let filter = |f: ReportFilter| ReportFilter {
        limit: 50,
        now,
        ..f
    };
    let ids = |points: &[gridwalk_protocol::map::MapPoint]| {
        points.iter().map(|p| p.id).collect::<Vec<_>>()
    };

    // Every matching report, in the queue's order (oldest waiting first), with its facts.
    let (points, total) = s
        .map_points(&filter(ReportFilter::default()))
        .await
        .unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        ids(&points),
        [r2.id, r4.id, z1.id, r1.id, r3.id],
        "by when each entered its state"
    );
    let p2 = &points[0];
    assert_eq!(
        (p2.state, p2.urgent, p2.overdue, p2.kind),
        (CaseState::PendingReview, true, false, Kind::Event)
    );
    assert_eq!((p2.lon, p2.lat), (r2.location.lon, r2.location.lat));
    let p3 = points.iter().find(|p| p.id == r3.id).unwrap();
    assert_eq!(p3.state, CaseState::Dispatched);
    assert!(p3.case_no.is_some());
    // The queue's filters: a team, states, a category, urgent first; a limit keeps the
    // order's first and still counts every match.
    let team = filter(ReportFilter {
        team: Some("T440703001-01".into()),
        ..ReportFilter::default()
    });
    assert_eq!(s.map_points(&team).await.unwrap().1, 4);
    let (points, total) = s
        .map_points(&ReportFilter {
            states: vec![CaseState::PendingReview],
            category: Some("0507".into()),
            sort: QueueSort::Urgent,
            limit: 1,
            now,
            ..ReportFilter::default()
        })
        .await
        .unwrap();
    assert_eq!((ids(&points), total), (vec![r2.id], 2));
    // Overdue is judged at the filter's moment, as the queue's `due` filter judges it.
    let (points, _) = s
        .map_points(&filter(ReportFilter {
            states: vec![CaseState::Dispatched],
            ..ReportFilter::default()
        }))
        .await
        .unwrap();
    assert!(!points[0].overdue);
    let due = s.console_reports_by_id(&[r3.id]).await.unwrap()[0]
        .case
        .as_ref()
        .unwrap()
        .due_at
        .unwrap();
    let late = ReportFilter {
        states: vec![CaseState::Dispatched],
        due: Some(queue::Due::Overdue),
        now: due + TimeDelta::minutes(1),
        limit: 50,
        ..ReportFilter::default()
    };
    let (points, _) = s.map_points(&late).await.unwrap();
    assert_eq!(ids(&points), [r3.id]);
    assert!(points[0].overdue);
    // Every step has its deadline: a month on, the reports still waiting for review are
    // overdue too (the leader's 受理), each ringed.
    let (points, _) = s
        .map_points(&ReportFilter {
            due: Some(queue::Due::Overdue),
            now: due + TimeDelta::days(30),
            limit: 50,
            ..ReportFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(points.len(), 4);
    assert!(points.iter().all(|p| p.overdue), "{points:?}");

    // The overview's counts, for the whole city.
    let ask = |team: Option<&str>, from: DateTime<Utc>, at: DateTime<Utc>| OverviewAsk {
        team: team.map(str::to_owned),
        now: at,
        due_soon_to: at + TimeDelta::hours(2),
        today_from: from,
        today_to: now + TimeDelta::hours(1),
        week_from: now - TimeDelta::days(6),
        top: 10,
    };
    let city = s
        .overview_counts(&ask(None, now - TimeDelta::hours(1), now))
        .await
        .unwrap();
    assert_eq!(
        (
            city.today.received,
            city.today.urgent,
            city.today.registered,
            city.today.dispatched,
            city.today.closed
        ),
        (5, 1, 1, 1, 0)
    );
    let mut states: Vec<(CaseState, u64)> =
        city.states.iter().map(|c| (c.state, c.count)).collect();
    states.sort_by_key(|(s, _)| s.as_str());
    assert_eq!(
        states,
        [(CaseState::Dispatched, 1), (CaseState::PendingReview, 3)],
        "the rejected report is settled"
    );
    assert_eq!(city.departments.len(), 1);
    let sz = &city.departments[0];
    assert_eq!(
        (sz.department.as_str(), sz.open, sz.overdue, sz.due_soon),
        ("SZ", 1, 0, 0)
    );
    assert_eq!(city.overdue_verifications, 0);
    assert_eq!(
        city.categories
            .iter()
            .map(|c| (c.kind, c.category.as_str(), c.count))
            .collect::<Vec<_>>(),
        [(Kind::Event, "0507", 3), (Kind::Event, "0102", 1)],
        "most first; the rejected report is not a problem"
    );
    // Past the deadline, and within two hours of it.
    let late = s
        .overview_counts(&ask(
            None,
            now - TimeDelta::hours(1),
            due + TimeDelta::minutes(1),
        ))
        .await
        .unwrap();
    assert_eq!(
        (late.departments[0].overdue, late.departments[0].due_soon),
        (1, 0)
    );
    let soon = s
        .overview_counts(&ask(
            None,
            now - TimeDelta::hours(1),
            due - TimeDelta::minutes(30),
        ))
        .await
        .unwrap();
    assert_eq!(
        (soon.departments[0].overdue, soon.departments[0].due_soon),
        (0, 1)
    );

    // One team's: the other team's report is in none of the counts.
    let ours = s
        .overview_counts(&ask(Some("T440703001-01"), now - TimeDelta::hours(1), now))
        .await
        .unwrap();
    assert_eq!((ours.today.received, ours.today.urgent), (4, 1));
    assert_eq!(ours.categories[0].count, 2);
    let theirs = s
        .overview_counts(&ask(Some("T440703002-01"), now - TimeDelta::hours(1), now))
        .await
        .unwrap();
    assert_eq!((theirs.today.received, theirs.today.registered), (1, 0));
    assert!(theirs.departments.is_empty());
    // A day that has not begun yet holds nothing of today's intake.
    let later = s
        .overview_counts(&ask(None, now + TimeDelta::minutes(30), now))
        .await
        .unwrap();
    assert_eq!((later.today.received, later.today.registered), (0, 0));
    drop_schema(schema).await;
}

on_every_backend!(the_map_and_the_overview_count_in_the_database);
