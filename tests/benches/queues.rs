//! The console's work queues at scale, measured side by side with a reference in the same
//! run, on embedded SQLite and on PostgreSQL:
//!
//! 1. A store of 100,000 reports by the fixtures' ten inspectors (two teams), written by
//!    the store's own intake (`CaseStore::apply`, 500 reports a transaction, so the search
//!    index is the one the server writes), with words drawn from a street vocabulary
//!    (about one in nine mentions 井盖), a tenth urgent, in the inspectors' own cells. Their
//!    states are then set straight in SQL, as months of work would leave them: about 30 %
//!    waiting for review, 25 % dispatched (with a deadline from three days ago to three
//!    ahead, to one of the six departments), the rest registered, handled, closed,
//!    returned or rejected; each was received, and entered its state, when it was observed
//!    (over a year).
//!    Then `ANALYZE` (SQLite, as a periodic `PRAGMA optimize` would) or `VACUUM ANALYZE`
//!    (PostgreSQL, as autovacuum would: setting the states leaves two dead row versions per
//!    report, which a deployment's autovacuum clears within a minute; this machine's
//!    PostgreSQL runs with autovacuum off, so the bench does it).
//! 2. Filtered pages of 50 through `ConsoleStore::console_reports` — what
//!    `GET /v1/console/reports` calls, in process (no HTTP): the SQL, the bounded count, the
//!    arrived photos and the JSON records read back: a leader's review queue, a
//!    department's dispatched cases overdue first, a search for 井盖 in one street, the
//!    overdue filter, and page 21 of a category urgent first (reached by following 20
//!    cursors). Then the city map of every open report (`MapStore::map_points`) and the
//!    overview screen's counts (`MapStore::overview_counts`), which have no target of
//!    their own.
//! 3. The reference, alternating with them: the review queue's first page read with a plain
//!    indexed SQL query on `reports` alone (state list, oldest first, `LIMIT 50`, the same
//!    columns the console reads from `reports`), the floor a page query cannot go below.
//!
//! Each measured query runs `GRIDWALK_BENCH_ROUNDS` times (21) after one warm-up, alternating
//! with the reference; medians and the slowest are printed, with the ratio to the
//! reference's median. Target: every filtered page under 200 ms.
//!
//! Run: `cargo bench -p gridwalk-system-tests --bench queues` (PostgreSQL from
//! `GRIDWALK_TEST_PG`). `GRIDWALK_BENCH_REPORTS` changes the size; `GRIDWALK_BENCH_ONLY`
//! (`sqlite` or `postgres`) measures one backend; `GRIDWALK_BENCH_KEEP=1` keeps the
//! PostgreSQL schema and the SQLite file afterwards (their names are printed), to read the
//! plans with `EXPLAIN`. `GRIDWALK_BENCH_QUICK=1`
//! runs every part with 600 reports and 3 rounds: the test command runs it that way so the
//! bench cannot silently break; its figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::FutureExt;
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::{CaseState, DeviceId, QueueStats, Report, ReportId, Urgency};
use gridwalk_sync::domain::map;
use gridwalk_sync::domain::model::{Device, ReportFilter};
use gridwalk_sync::domain::overview::{self, OverviewAsk};
use gridwalk_sync::domain::push::Effect;
use gridwalk_sync::domain::queue::{self, Cursor, Due};
use gridwalk_sync::domain::reference::Reference;
use gridwalk_sync::services::admin;
use gridwalk_sync::store::postgres::PgStore;
use gridwalk_sync::store::sql::{Database, Mode, Session, Sql, Ty, Value};
use gridwalk_sync::store::sqlite::SqliteStore;
use gridwalk_sync::store::{CaseStore, Seen, StoreResult};
use gridwalk_system_tests::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TEAM: &str = "T440703001-01";
const INSPECTORS: [&str; 10] = [
    "lixiaoming",
    "wangfang",
    "zhangwei",
    "liujing",
    "huangqiang",
    "zhaomin",
    "wuhaitao",
    "zhouli",
    "xujun",
    "hexiaohong",
];
const DEPARTMENTS: [&str; 6] = ["SZ", "HW", "YL", "ZF", "JT", "GS"];
const ROADS: [&str; 12] = [
    "建设路",
    "北街",
    "江华路",
    "胜利路",
    "港口路",
    "迎宾大道",
    "白沙大道",
    "华园路",
    "东华路",
    "丰乐路",
    "育德街",
    "堤东路",
];
/// (category, words): what inspectors write for each kind of problem.
const PROBLEMS: [(&str, &[&str]); 9] = [
    (
        "0507",
        &["路边乱堆物料", "楼道口堆放杂物", "人行道堆放建材"],
    ),
    ("0504", &["店外经营占用人行道", "商铺出店经营"]),
    ("0505", &["机动车乱停放", "占用盲道停车"]),
    ("0102", &["路面垃圾未清运", "垃圾桶满溢"]),
    ("0201", &["电线杆张贴小广告", "墙面喷涂小广告"]),
    ("0110", &["路面坑洼破损", "人行道砖松动"]),
    ("0401", &["路面塌陷", "地面下沉开裂"]),
    ("0404", &["下水道堵塞污水外溢", "雨水箅子堵塞"]),
    ("0406", &["道路积水", "低洼处积水"]),
];
const MANHOLE: [&str; 3] = ["井盖缺失", "井盖破损", "井盖松动异响"];

/// The state each report is left in, with how often (out of 20).
const STATES: [(CaseState, u32); 7] = [
    (CaseState::PendingReview, 6),
    (CaseState::Returned, 1),
    (CaseState::Rejected, 1),
    (CaseState::Registered, 2),
    (CaseState::Dispatched, 5),
    (CaseState::Handled, 2),
    (CaseState::Closed, 3),
];

struct Made {
    report: Report,
    state: CaseState,
    department: &'static str,
    due: DateTime<Utc>,
}

fn made(
    rng: &mut StdRng,
    template: &Report,
    owner: &gridwalk_sync::domain::model::User,
    now: DateTime<Utc>,
) -> Made {
    let mut r = template.clone();
    r.id = ReportId::new();
    r.reporter = owner.id;
    let (category, words) = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
    let manhole = rng.random_range(0..9) == 0;
    r.category = if manhole { "0102" } else { category }.parse().unwrap();
    let what = if manhole {
        MANHOLE[rng.random_range(0..MANHOLE.len())]
    } else {
        words[rng.random_range(0..words.len())]
    };
    let road = ROADS[rng.random_range(0..ROADS.len())];
    let number = rng.random_range(1..300);
    r.description = format!("{road}{number}号附近{what}，请尽快处理");
    r.address = format!("江门市蓬江区{road}{number}号");
    r.urgency = if rng.random_range(0..10) == 0 {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    r.cell = owner
        .cells
        .get(rng.random_range(0..owner.cells.len().max(1)))
        .cloned();
    // Spread in place and time, so the duplicate rule seldom fires (as in a real year).
    r.location.lon += rng.random_range(-0.05..0.05);
    r.location.lat += rng.random_range(-0.05..0.05);
    let seen = now - TimeDelta::minutes(rng.random_range(60..525_600));
    r.observed_at = seen.fixed_offset();
    r.location.fix_time = seen;
    r.photos.clear();
    let mut pick = rng.random_range(0..20);
    let mut state = CaseState::PendingReview;
    for (s, n) in STATES {
        if pick < n {
            state = s;
            break;
        }
        pick -= n;
    }
    Made {
        report: r,
        state,
        department: DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())],
        due: now + TimeDelta::minutes(rng.random_range(-4320..4320)),
    }
}

/// One unit of work in SQL, on either backend.
async fn sql<D: Database, T: Send + 'static>(
    db: &D,
    work: impl for<'a> FnOnce(&'a mut dyn Sql) -> futures_util::future::BoxFuture<'a, StoreResult<T>>
    + Send
    + 'static,
) -> T {
    db.run(
        Mode::Write,
        Box::new(move |mut session: Session| {
            async move {
                let result = work(&mut *session).await;
                (session, result)
            }
            .boxed()
        }),
    )
    .await
    .unwrap()
}

/// Fills a store with `n` reports through its intake, then sets their states in SQL.
async fn fill<D: Database + CaseStore>(db: &D, n: usize, now: DateTime<Utc>) -> f64 {
    let (tables, rules) = db.reference_texts().await.unwrap();
    let reference = Arc::new(Reference::parse(&tables, rules.as_deref()).unwrap());
    let template = gridwalk_protocol::testing::report();
    let mut rng = StdRng::seed_from_u64(14);
    let mut devices = Vec::new();
    for login in INSPECTORS {
        let user = db.user_by_login(login).await.unwrap().unwrap();
        let id = DeviceId::new();
        db.enroll_device(id, user.id, &format!("bench-{id}"), now)
            .await
            .unwrap();
        devices.push((
            Device {
                id,
                user: user.id,
                role: user.role,
            },
            user,
            0u64,
        ));
    }
    let mut all: Vec<Made> = Vec::with_capacity(n);
    let started = Instant::now();
    let batch = 500;
    let mut left = n;
    let mut turn = 0;
    while left > 0 {
        let k = batch.min(left);
        let (device, user, last) = &mut devices[turn % INSPECTORS.len()];
        turn += 1;
        let mut effects = Vec::with_capacity(k);
        for _ in 0..k {
            let mut m = made(&mut rng, &template, user, now);
            m.report.device = device.id;
            *last += 1;
            effects.push((
                *last,
                Effect::InsertReport(Box::new(m.report.clone().into())),
            ));
            all.push(m);
        }
        let seen = Seen {
            app_version: "bench".into(),
            model: None,
            queue: QueueStats::default(),
            at: now,
        };
        db.apply(device.id, effects, vec![], seen, Arc::clone(&reference))
            .await
            .unwrap();
        left -= k;
    }
    let intake = n as f64 / started.elapsed().as_secs_f64();

    // States and cases, as months of work leave them.
    for (state, _) in STATES {
        let ids: Vec<ReportId> = all
            .iter()
            .filter(|m| m.state == state)
            .map(|m| m.report.id)
            .collect();
        for chunk in ids.chunks(5000) {
            let list = Value::list(chunk.iter().copied());
            sql(db, move |tx| {
                async move {
                    let any = (tx.dialect().any)("id", 2);
                    tx.execute(
                        &format!("UPDATE reports SET state = $1 WHERE {any}"),
                        vec![Value::from(state), list],
                    )
                    .await
                }
                .boxed()
            })
            .await;
        }
    }
    let cases: Vec<Vec<Value>> = all
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            matches!(
                m.state,
                CaseState::Registered
                    | CaseState::Dispatched
                    | CaseState::Handled
                    | CaseState::Closed
            )
        })
        .map(|(i, m)| {
            let dispatched = m.state != CaseState::Registered;
            vec![
                Value::from(m.report.id),
                Value::from(format!("B{i:07}")),
                Value::from(m.report.observed_at),
                Value::from(dispatched.then_some(m.department)),
                Value::from(dispatched.then_some(m.due)),
                Value::Int(0),
            ]
        })
        .collect();
    for chunk in cases.chunks(5000) {
        let rows = chunk.to_vec();
        sql(db, move |tx| {
            async move {
                tx.insert_many(
                    "cases",
                    &[
                        ("report_id", Ty::Uuid),
                        ("case_no", Ty::Text),
                        ("registered_at", Ty::Time),
                        ("department", Ty::Text),
                        ("due_at", Ty::Time),
                        ("reworks", Ty::Int),
                    ],
                    rows,
                    "",
                )
                .await
            }
            .boxed()
        })
        .await;
    }
    sql(db, |tx| {
        async move {
            // Received soon after it was seen, as a tablet with signal sends it.
            tx.execute(
                "UPDATE reports SET state_at = observed_at, received_at = observed_at",
                vec![],
            )
            .await?;
            // The deadline of the step each waits on, as the loop leaves it: a dispatched
            // case's is its handling deadline; a settled or returned report waits on no one
            // (the rest keep the review deadline intake gave them).
            tx.execute(
                "UPDATE reports SET step_due_at = (SELECT c.due_at FROM cases c
                                                    WHERE c.report_id = reports.id)
                  WHERE state = 'dispatched'",
                vec![],
            )
            .await?;
            tx.execute(
                "UPDATE reports SET step_due_at = NULL
                  WHERE state IN ('closed', 'rejected', 'merged', 'returned')",
                vec![],
            )
            .await?;
            tx.script("ANALYZE").await
        }
        .boxed()
    })
    .await;
    intake
}

/// One measured query.
struct Case {
    name: &'static str,
    filter: ReportFilter,
    /// Follow this many cursors first, and measure the page after them.
    deep: usize,
}

fn cases(now: DateTime<Utc>) -> Vec<Case> {
    let base = ReportFilter {
        limit: 50,
        now,
        ..ReportFilter::default()
    };
    vec![
        Case {
            name: "leader's review queue, oldest waiting first",
            filter: ReportFilter {
                states: vec![
                    CaseState::PendingReview,
                    CaseState::AwaitingPhotos,
                    CaseState::Returned,
                ],
                team: Some(TEAM.into()),
                ..base.clone()
            },
            deep: 0,
        },
        Case {
            name: "one department's dispatched cases, overdue first",
            filter: ReportFilter {
                states: vec![CaseState::Dispatched],
                department: Some("SZ".into()),
                sort: QueueSort::Overdue,
                ..base.clone()
            },
            deep: 0,
        },
        Case {
            name: "search 井盖 in one street",
            filter: ReportFilter {
                search: queue::search_terms("井盖").unwrap(),
                place: Some("440703001".into()),
                ..base.clone()
            },
            deep: 0,
        },
        Case {
            name: "overdue filter (all departments), overdue first",
            filter: ReportFilter {
                due: Some(Due::Overdue),
                sort: QueueSort::Overdue,
                ..base.clone()
            },
            deep: 0,
        },
        Case {
            name: "大类 05, urgent first, page 21",
            filter: ReportFilter {
                category: Some("05".into()),
                sort: QueueSort::Urgent,
                ..base
            },
            deep: 20,
        },
    ]
}

/// The reference: the review queue's first page by a plain indexed query on `reports`.
async fn reference<D: Database>(db: &D) -> usize {
    sql(db, |tx| {
        async move {
            let any = (tx.dialect().any)("state", 1);
            let rows = tx
                .query(
                    &format!(
                        "SELECT id, record, state, version, received_at, state_at, note,
                                duplicate_of, merged_into, deleted_at, claim
                           FROM reports WHERE deleted_at IS NULL AND {any}
                          ORDER BY state_at, id LIMIT 50"
                    ),
                    vec![Value::list([
                        "pending_review",
                        "awaiting_photos",
                        "returned",
                    ])],
                )
                .await?;
            Ok(rows.len())
        }
        .boxed()
    })
    .await
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `once` `rounds` times after a warm-up, alternating with the reference (kept in
/// `refs`): its median and slowest time, and what it answered the first time.
async fn timed<D: Database, T>(
    db: &D,
    rounds: usize,
    refs: &mut Vec<Duration>,
    n: usize,
    mut once: impl AsyncFnMut() -> T,
) -> (Duration, Duration, T) {
    let first = once().await;
    reference(db).await;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        once().await;
        times.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(reference(db).await, 50.min(n));
        refs.push(t.elapsed());
    }
    let worst = *times.iter().max().unwrap();
    (median(&mut times), worst, first)
}

/// Fills `db`, lets `settle` run (PostgreSQL's `VACUUM ANALYZE`, as autovacuum would), and
/// measures every page, the map and the overview against the reference.
async fn measure<D: Database + CaseStore>(
    name: &str,
    db: &D,
    n: usize,
    rounds: usize,
    settle: impl AsyncFnOnce(),
) {
    let now = Utc::now();
    let started = Instant::now();
    let intake = fill(db, n, now).await;
    settle().await;
    println!(
        "{name}: {n} reports written in {:.1} s (intake {intake:.0} reports/s, then states in SQL)",
        started.elapsed().as_secs_f64()
    );
    let mut refs = Vec::new();
    let mut rows = Vec::new();
    for case in cases(now) {
        // Where the measured page starts.
        let mut filter = case.filter.clone();
        // (Fewer pages when the store is small, as in the quick run.)
        for _ in 0..case.deep {
            let page = db.console_reports(&filter).await.unwrap();
            let Some(next) = page.next else { break };
            filter.after = Some(Cursor::decode(&next, filter.sort).unwrap());
        }
        let (m, worst, first) = timed(db, rounds, &mut refs, n, async || {
            db.console_reports(&filter).await.unwrap()
        })
        .await;
        assert!(!first.items.is_empty(), "{}: an empty page", case.name);
        let matching = if first.total_capped {
            format!("≥ {}", first.total)
        } else {
            first.total.to_string()
        };
        rows.push((case.name, m, worst, matching, true));
    }
    // The city map of every open report, and the overview screen of the city: shown for
    // what they cost, with no target of their own in the issue.
    let open = map::filter(
        &queue::Ask {
            state: Some("pending_review,registered,dispatched,handled".into()),
            ..queue::Ask::default()
        },
        queue::Scope::default(),
        now,
    )
    .unwrap()
    .unwrap();
    let (m, worst, (points, total)) = timed(db, rounds, &mut refs, n, async || {
        db.map_points(&open).await.unwrap()
    })
    .await;
    assert!(!points.is_empty());
    rows.push((
        "city map, every open report (points, up to 20,000)",
        m,
        worst,
        total.to_string(),
        false,
    ));
    let days = overview::days(now, chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let ask = OverviewAsk::new(None, &days, now, None);
    let (m, worst, counts) = timed(db, rounds, &mut refs, n, async || {
        db.overview_counts(&ask).await.unwrap()
    })
    .await;
    assert!(!counts.states.is_empty());
    rows.push((
        "overview of the city (today, open, departments, week's categories)",
        m,
        worst,
        "—".into(),
        false,
    ));

    let r = median(&mut refs);
    println!(
        "{name}: reference (plain indexed SELECT of the review page): median {:.2} ms",
        ms(r)
    );
    println!("| query | median ms | slowest ms | ratio to reference | matching |");
    println!("|---|---:|---:|---:|---:|");
    let mut met = true;
    for (case, m, worst, matching, page) in rows {
        met &= !page || worst < Duration::from_millis(200);
        println!(
            "| {case} | {:.1} | {:.1} | {:.1} | {matching} |",
            ms(m),
            ms(worst),
            m.as_secs_f64() / r.as_secs_f64(),
        );
    }
    println!(
        "{name}: every filtered page under 200 ms: {}",
        if met { "met" } else { "NOT met" }
    );
}

#[tokio::main]
async fn main() {
    let n: usize = bench_setting("GRIDWALK_BENCH_REPORTS", 100_000, 600);
    let rounds: usize = bench_setting("GRIDWALK_BENCH_ROUNDS", 21, 3);

    // `sqlite` or `postgres` measures one backend only.
    let only = std::env::var("GRIDWALK_BENCH_ONLY").unwrap_or_default();
    // Keeps the PostgreSQL schema afterwards, to look at the queries' plans by hand.
    let keep = std::env::var("GRIDWALK_BENCH_KEEP").is_ok_and(|v| v == "1");

    if only != "postgres" {
        let dir = tempfile::tempdir().unwrap();
        let lite = SqliteStore::open(&dir.path().join("cases.db"))
            .await
            .unwrap();
        admin::load_fixtures(&lite, &fixtures()).await.unwrap();
        measure("SQLite", &lite, n, rounds, async || {}).await;
        if keep {
            let kept = dir.keep();
            println!("SQLite database kept: {}", kept.join("cases.db").display());
        }
    }

    if only != "sqlite" {
        let schema = format!("gw_bench_{}", uuid::Uuid::now_v7().simple());
        let pg = PgStore::connect(&pg_url(), Some(&schema)).await.unwrap();
        admin::load_fixtures(&pg, &fixtures()).await.unwrap();
        // What autovacuum does in a deployment (this machine's PostgreSQL runs without it):
        // the states set in SQL leave two dead row versions per report behind.
        let tables = ["reports", "cases", "report_grams", "report_photos", "users"]
            .map(|t| format!("{schema}.{t}"))
            .join(", ");
        measure("PostgreSQL", &pg, n, rounds, async || {
            pg_execute(&format!("VACUUM ANALYZE {tables}")).await;
        })
        .await;
        drop(pg);
        if keep {
            println!("PostgreSQL schema kept: {schema} (DROP SCHEMA {schema} CASCADE when done)");
        } else {
            pg_execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
        }
    }
}
