//! SCRATCH: the same case-loop scenario on both stores; every answer must match.
#![allow(clippy::unwrap_used, clippy::too_many_lines, unused_qualifications)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridwalk_protocol::{CaseState, CodeTable, DeviceId, Report, ReportId, ReportPatch};
use serde_json::{Value, json};

use super::PgStore;
use crate::cases::Action;
use crate::store::sqlite::SqliteStore;
use crate::store::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn pg_url() -> String {
    std::env::var("GRIDWALK_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres:gridwalk@127.0.0.1:5432/test".into())
}

fn t(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap() + Duration::seconds(s)
}

fn v<T: serde::Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap()
}

fn stepped(s: &StoreResult<Stepped>) -> Value {
    match s {
        Ok(Stepped::Done { state, case_no }) => json!({"done": state, "case_no": case_no}),
        Ok(Stepped::Refused(why)) => json!({"refused": why}),
        Err(e) => json!({"error": format!("{e:?}")}),
    }
}

fn report(inspector: &User, device: DeviceId, lon: f64, at: DateTime<Utc>, photos: bool) -> Report {
    let mut r = gridwalk_protocol::testing::report_at(lon, 22.5983, at);
    r.reporter = inspector.id;
    r.device = device;
    if !photos {
        r.photos.clear();
    }
    r
}

struct Fixed {
    device: DeviceId,
    reports: Vec<Report>,
    ghost: ReportId,
    ghost_task: gridwalk_protocol::TaskId,
    ghost_uuid: uuid::Uuid,
    ghost_user: gridwalk_protocol::UserId,
    upload: uuid::Uuid,
    photo: gridwalk_protocol::PhotoRef,
}

async fn scenario(store: &dyn CaseStore, f: &Fixed) -> (Value, Vec<String>) {
    let mut out = serde_json::Map::new();
    let mut log = |k: &str, x: Value| {
        out.insert(k.to_owned(), x);
    };
    let inspector = store.user_by_login("lixiaoming").await.unwrap().unwrap();
    let leader = store.user_by_login("chenjianguo").await.unwrap().unwrap();
    store
        .enroll_device(f.device, inspector.id, "tok")
        .await
        .unwrap();
    let r = &f.reports;
    let mut batch: Vec<(u64, Effect)> = r
        .iter()
        .enumerate()
        .map(|(i, rep)| (i as u64 + 1, Effect::InsertReport(Box::new(rep.clone()))))
        .collect();
    batch.push((batch.len() as u64 + 1, Effect::Reject("nope one".into())));
    batch.push((batch.len() as u64 + 1, Effect::Reject("nope two".into())));
    let applied = store.apply(f.device, batch, t(10)).await.unwrap();
    log("applied", json!(format!("{applied:?}")));
    // An unfinished upload for report 0's photo.
    let up = Upload {
        id: f.upload,
        device: f.device,
        report: r[0].id,
        photo: r[0].photos[0].id,
        length: 10,
        received: 0,
        metadata: None,
        created_at: t(11),
        expires_at: t(100_000),
        completed_at: None,
    };
    store.create_upload(&up).await.unwrap();
    let by = |u: &User| Author {
        user: Some(u.id),
        device: None,
        mutation: None,
    };
    let st = |id: ReportId, action: Action, seen: Option<CaseState>, at: DateTime<Utc>| Step {
        report: id,
        action,
        seen,
        by: by(&leader),
        at,
        due_at: None,
        task_due: None,
        day: "20261120".into(),
        task: None,
    };
    let mut steps = Vec::new();
    steps.push(stepped(
        &store
            .step(&st(
                r[0].id,
                Action::Approve,
                Some(CaseState::AwaitingPhotos),
                t(20),
            ))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(
                r[1].id,
                Action::Approve,
                Some(CaseState::PendingReview),
                t(21),
            ))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(
                r[2].id,
                Action::Approve,
                Some(CaseState::Returned),
                t(22),
            ))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(
                r[2].id,
                Action::Return {
                    comment: "  fix the address  ".into(),
                },
                Some(CaseState::PendingReview),
                t(23),
            ))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(r[3].id, Action::Merge { into: r[3].id }, None, t(24)))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(r[3].id, Action::Merge { into: f.ghost }, None, t(24)))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(r[3].id, Action::Merge { into: r[1].id }, None, t(25)))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(
                r[4].id,
                Action::Reject {
                    reason: " duplicate ".into(),
                },
                None,
                t(26),
            ))
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&st(r[5].id, Action::Merge { into: r[4].id }, None, t(27)))
            .await,
    ));
    // Merge into a report that is not (yet) a case: labelled by its ID.
    steps.push(stepped(
        &store
            .step(&st(r[6].id, Action::Merge { into: r[5].id }, None, t(28)))
            .await,
    ));
    store.delete_report(r[5].id, t(29)).await.unwrap();
    steps.push(stepped(
        &store.step(&st(r[5].id, Action::Approve, None, t(30))).await,
    ));
    steps.push(stepped(
        &store.step(&st(f.ghost, Action::Approve, None, t(30))).await,
    ));
    steps.push(stepped(
        &store
            .step(&Step {
                due_at: Some(t(5000)),
                ..st(
                    r[1].id,
                    Action::Dispatch {
                        department: " JG01 ".into(),
                    },
                    Some(CaseState::Registered),
                    t(31),
                )
            })
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&Step {
                task_due: Some(t(6000)),
                ..st(r[1].id, Action::Handled, None, t(32))
            })
            .await,
    ));
    let dev_by = Author {
        user: Some(inspector.id),
        device: Some(f.device),
        mutation: None,
    };
    steps.push(stepped(
        &store
            .step(&Step {
                by: dev_by,
                due_at: Some(t(7000)),
                task: Some(TaskDone {
                    id: f.ghost_task,
                    note: None,
                    photos: vec![],
                }),
                ..st(r[1].id, Action::Verify { passed: false }, None, t(33))
            })
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&Step {
                by: dev_by,
                due_at: Some(t(7000)),
                ..st(r[1].id, Action::Verify { passed: false }, None, t(34))
            })
            .await,
    ));
    steps.push(stepped(
        &store
            .step(&Step {
                task_due: Some(t(8000)),
                ..st(r[1].id, Action::Handled, None, t(35))
            })
            .await,
    ));
    let open = store.report_tasks(r[1].id).await.unwrap();
    let last = open.last().unwrap().id;
    let task_photo = f.photo.clone();
    steps.push(stepped(
        &store
            .step(&Step {
                by: dev_by,
                task: Some(TaskDone {
                    id: last,
                    note: Some("fixed".into()),
                    photos: vec![task_photo],
                }),
                ..st(r[1].id, Action::Verify { passed: true }, None, t(36))
            })
            .await,
    ));
    steps.push(stepped(
        &store.step(&st(r[1].id, Action::Approve, None, t(37))).await,
    ));
    // Approve another: the day's second case number.
    steps.push(stepped(
        &store.step(&st(r[7].id, Action::Approve, None, t(38))).await,
    ));
    log("steps", Value::Array(steps));

    // A central edit of the returned report, then a device edit from version 1: a conflict;
    // and the device's edit resubmits it.
    let tables = Arc::new(vec![
        CodeTable::from_json(&std::fs::read_to_string(fixtures().join("codes.json")).unwrap())
            .unwrap(),
    ]);
    let held = store.report(r[2].id).await.unwrap().unwrap();
    let mut central = held.report.clone();
    central.description = "central words".into();
    let patch = ReportPatch::between(&held.report, &central);
    let wv = store
        .write_version(&central, held.version, &patch, leader.id, t(40))
        .await;
    log("write_version", json!(format!("{wv:?}")));
    let dev_patch = ReportPatch {
        description: Some("device words".into()),
        handled_on_spot: Some(true),
        ..ReportPatch::default()
    };
    let edit = Effect::EditReport(Box::new(EditEffect {
        report: r[2].id,
        base_version: 1,
        patch: dev_patch,
        device: Device {
            id: f.device,
            user: inspector.id,
        },
        tables: Arc::clone(&tables),
        now: t(41),
    }));
    let n = store.last_applied(f.device).await.unwrap();
    let applied = store
        .apply(f.device, vec![(n + 1, edit)], t(41))
        .await
        .unwrap();
    let applied = format!("{applied:?}");
    let conflicts = store.conflicts(r[2].id).await.unwrap();
    let mut ids: Vec<String> = conflicts.iter().map(|c| c.id.to_string()).collect();
    log("edit", json!(applied));
    log("conflicts", v(&conflicts));
    log("open_conflicts", v(&store.open_conflicts().await.unwrap()));
    let cid = conflicts[0].id;
    log("conflict", v(&store.conflict(cid).await.unwrap()));
    log(
        "conflict_missing",
        v(&store.conflict(f.ghost_uuid).await.unwrap()),
    );
    let now = store.report(r[2].id).await.unwrap().unwrap();
    let mut chosen = now.report.clone();
    chosen.description = "chosen words".into();
    let choices = vec![gridwalk_protocol::console::FieldChoice {
        field: "description".into(),
        value: json!("chosen words"),
    }];
    let rp = ReportPatch::between(&now.report, &chosen);
    let stale = store
        .resolve_conflict(&Resolution {
            conflict: cid,
            record: chosen.clone(),
            expected_version: now.version - 1,
            patch: rp.clone(),
            choices: choices.clone(),
            by: leader.id,
            at: t(42),
        })
        .await;
    log("resolve_stale", json!(format!("{stale:?}")));
    let ok = store
        .resolve_conflict(&Resolution {
            conflict: cid,
            record: chosen.clone(),
            expected_version: now.version,
            patch: rp.clone(),
            choices: choices.clone(),
            by: leader.id,
            at: t(43),
        })
        .await;
    log("resolve", json!(format!("{ok:?}")));
    let again = store
        .resolve_conflict(&Resolution {
            conflict: cid,
            record: chosen.clone(),
            expected_version: now.version + 1,
            patch: rp.clone(),
            choices: choices.clone(),
            by: leader.id,
            at: t(44),
        })
        .await;
    log("resolve_again", json!(format!("{again:?}")));
    let missing = store
        .resolve_conflict(&Resolution {
            conflict: f.ghost_uuid,
            record: chosen.clone(),
            expected_version: 1,
            patch: rp.clone(),
            choices: choices.clone(),
            by: leader.id,
            at: t(44),
        })
        .await;
    log("resolve_missing", json!(format!("{missing:?}")));
    log(
        "conflicts_after",
        v(&store.conflicts(r[2].id).await.unwrap()),
    );
    log("open_after", v(&store.open_conflicts().await.unwrap()));

    // Reads.
    let all: Vec<ReportId> = r.iter().map(|x| x.id).collect();
    let mut stored = store.reports(&all).await.unwrap();
    stored.sort_by_key(|s| s.report.id);
    log("reports", v(&stored));
    for (i, id) in all.iter().enumerate() {
        log(&format!("report{i}"), v(&store.report(*id).await.unwrap()));
        log(
            &format!("events{i}"),
            v(&store.case_events(*id).await.unwrap()),
        );
        log(
            &format!("tasks{i}"),
            v(&store.report_tasks(*id).await.unwrap()),
        );
        log(
            &format!("related{i}"),
            v(&store.related_reports(*id).await.unwrap()),
        );
        log(
            &format!("versions{i}"),
            v(&store.report_versions(*id).await.unwrap()),
        );
    }
    let tasks = store.report_tasks(r[1].id).await.unwrap();
    ids.extend(tasks.iter().map(|t| t.id.to_string()));
    log("task", v(&store.task(tasks[0].id).await.unwrap()));
    log("task_missing", v(&store.task(f.ghost_task).await.unwrap()));
    for (name, filter) in [
        (
            "list_all",
            ReportFilter {
                limit: 100,
                ..ReportFilter::default()
            },
        ),
        (
            "list_two",
            ReportFilter {
                limit: 2,
                ..ReportFilter::default()
            },
        ),
        (
            "list_zero",
            ReportFilter {
                limit: 0,
                ..ReportFilter::default()
            },
        ),
        (
            "list_states",
            ReportFilter {
                states: vec![
                    CaseState::Closed,
                    CaseState::PendingReview,
                    CaseState::Returned,
                ],
                limit: 100,
                ..ReportFilter::default()
            },
        ),
        (
            "list_team",
            ReportFilter {
                team: leader.team.clone(),
                limit: 100,
                ..ReportFilter::default()
            },
        ),
        (
            "list_other_team",
            ReportFilter {
                team: Some("T440703002-01".into()),
                limit: 100,
                ..ReportFilter::default()
            },
        ),
    ] {
        log(name, v(&store.console_reports(&filter).await.unwrap()));
    }
    let mut some = all.clone();
    some.push(f.ghost);
    log(
        "by_id",
        v(&store.console_reports_by_id(&some).await.unwrap()),
    );
    log(
        "facts",
        json!(format!(
            "{:?}",
            store.case_facts(t(0), t(100_000)).await.unwrap()
        )),
    );
    log(
        "facts_empty",
        json!(format!("{:?}", store.case_facts(t(0), t(5)).await.unwrap())),
    );
    let mut board = store.device_board().await.unwrap();
    for d in &mut board {
        d.enrolled_at = t(0);
    }
    log("board", v(&board));
    log("health", v(&store.intake_health().await.unwrap()));
    let page = store
        .feed(inspector.id, &inspector.cells, 0, 1000)
        .await
        .unwrap();
    log(
        "feed",
        json!(format!(
            "{:?} {} {}",
            page.rows, page.last_seq, page.horizon
        )),
    );
    // Sessions, passwords, documents.
    log(
        "pw_none",
        json!(format!("{:?}", store.password_hash("nobody").await)),
    );
    store
        .set_password(leader.id, Some("$argon2id$hash"))
        .await
        .unwrap();
    log(
        "pw",
        json!(format!("{:?}", store.password_hash("chenjianguo").await)),
    );
    log(
        "pw_missing_user",
        json!(format!(
            "{:?}",
            store.set_password(f.ghost_user, None).await
        )),
    );
    store
        .create_session("s1", leader.id, t(0), t(100))
        .await
        .unwrap();
    store
        .create_session("s2", leader.id, t(200), t(300))
        .await
        .unwrap();
    log(
        "sess_live",
        json!(format!("{:?}", store.session_user("s2", t(250)).await)),
    );
    log(
        "sess_gone",
        json!(format!("{:?}", store.session_user("s1", t(50)).await)),
    );
    log(
        "sess_exp",
        json!(format!("{:?}", store.session_user("s2", t(300)).await)),
    );
    store.end_session("s2").await.unwrap();
    log(
        "sess_ended",
        json!(format!("{:?}", store.session_user("s2", t(250)).await)),
    );
    store.put_document("x", "one", t(1)).await.unwrap();
    store.put_document("x", "two", t(2)).await.unwrap();
    log("doc", json!(format!("{:?}", store.document("x").await)));
    log(
        "doc_none",
        json!(format!("{:?}", store.document("y").await)),
    );
    (Value::Object(out), ids)
}

fn normalise(x: &Value, ids: &[String]) -> String {
    let mut s = serde_json::to_string_pretty(x).unwrap();
    for (i, id) in ids.iter().enumerate() {
        s = s.replace(id.as_str(), &format!("<random {i}>"));
    }
    s
}

#[tokio::test]
async fn both_stores_answer_alike() {
    let device = DeviceId::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("c.db")).unwrap();
    let schema = format!("gw_parity_{}", uuid::Uuid::now_v7().simple());
    let pg = PgStore::connect(&pg_url(), Some(&schema)).await.unwrap();
    crate::admin::load_fixtures(&sqlite, &fixtures())
        .await
        .unwrap();
    crate::admin::load_fixtures(&pg, &fixtures()).await.unwrap();
    let inspector = sqlite.user_by_login("lixiaoming").await.unwrap().unwrap();
    let mut reports: Vec<Report> = (0..8)
        .map(|i| {
            report(
                &inspector,
                device,
                113.0 + f64::from(i) * 0.01,
                t(0),
                i == 0,
            )
        })
        .collect();
    // Report 4 likely duplicates report 3's neighbour: same place and time as report 1.
    reports[4].location = reports[1].location.clone();
    let f = Fixed {
        device,
        reports,
        ghost: ReportId::new(),
        ghost_task: gridwalk_protocol::TaskId::new(),
        ghost_uuid: uuid::Uuid::now_v7(),
        ghost_user: gridwalk_protocol::UserId::new(),
        upload: uuid::Uuid::now_v7(),
        photo: gridwalk_protocol::testing::photo(),
    };
    let (a, ida) = scenario(&sqlite, &f).await;
    let (b, idb) = scenario(&pg, &f).await;
    let (a, b) = (normalise(&a, &ida), normalise(&b, &idb));
    std::fs::write("/tmp/parity_sqlite.json", &a).unwrap();
    std::fs::write("/tmp/parity_pg.json", &b).unwrap();
    assert!(
        a == b,
        "the stores differ: diff /tmp/parity_sqlite.json /tmp/parity_pg.json"
    );
}

/// A database made at schema 3 (by its migrations, with rows as that schema's server
/// wrote them) migrates to 4 and works on.
#[tokio::test]
async fn a_schema_3_database_migrates_to_4() {
    let schema = format!("gw_mig_{}", uuid::Uuid::now_v7().simple());
    let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path = {schema};"
        ))
        .await
        .unwrap();
    client
        .batch_execute("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY)")
        .await
        .unwrap();
    for (n, sql) in (1i64..).zip(&super::MIGRATIONS[..3]) {
        client.batch_execute(sql).await.unwrap();
        client
            .execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&n])
            .await
            .unwrap();
    }
    let inspector = gridwalk_protocol::UserId::new();
    let leader = gridwalk_protocol::UserId::new();
    let device = DeviceId::new();
    for (id, login, role) in [(inspector, "insp", "inspector"), (leader, "lead", "leader")] {
        client
            .execute(
                "INSERT INTO users (id, login, name, role, team) VALUES ($1, $2, $2, $3, 'T1')",
                &[id.as_uuid(), &login, &role],
            )
            .await
            .unwrap();
    }
    client
        .execute(
            "INSERT INTO devices (id, user_id, token_sha256, enrolled_at, last_applied)
             VALUES ($1, $2, 'tok', $3, 1)",
            &[device.as_uuid(), inspector.as_uuid(), &t(0)],
        )
        .await
        .unwrap();
    let mut a = gridwalk_protocol::testing::report_at(113.0, 22.5, t(0));
    a.photos.clear();
    let b = gridwalk_protocol::testing::report_at(113.5, 22.5, t(0));
    for (r, state, at) in [
        (&a, "pending_review", t(10)),
        (&b, "awaiting_photos", t(11)),
    ] {
        let mut r = r.clone();
        r.reporter = inspector;
        r.device = device;
        client
            .execute(
                "INSERT INTO reports (id, device_id, reporter, version, state, kind, category,
                                      urgency, observed_at, record, received_at, lon, lat)
                 VALUES ($1, $2, $3, 1, $4, 'event', '0507', 'normal', $5, $6, $7, 113, 22.5)",
                &[
                    r.id.as_uuid(),
                    device.as_uuid(),
                    inspector.as_uuid(),
                    &state,
                    &r.observed_at.to_utc(),
                    &serde_json::to_value(&r).unwrap(),
                    &at,
                ],
            )
            .await
            .unwrap();
        client
            .execute(
                "INSERT INTO report_versions (report_id, version, record, by_user, by_device, at)
                 VALUES ($1, 1, $2, $3, $4, $5)",
                &[
                    r.id.as_uuid(),
                    &serde_json::to_value(&r).unwrap(),
                    inspector.as_uuid(),
                    device.as_uuid(),
                    &at,
                ],
            )
            .await
            .unwrap();
        for p in &r.photos {
            client
                .execute(
                    "INSERT INTO report_photos (report_id, photo_id, sha256, bytes)
                     VALUES ($1, $2, $3, 10)",
                    &[r.id.as_uuid(), p.id.as_uuid(), &p.sha256],
                )
                .await
                .unwrap();
        }
    }
    let conflict = uuid::Uuid::now_v7();
    client
        .execute(
            "INSERT INTO conflicts (id, report_id, device_id, mutation_id, base_version,
                                    central_version, fields, opened_at)
             VALUES ($1, $2, $3, 1, 1, 1, '[]', $4)",
            &[&conflict, a.id.as_uuid(), device.as_uuid(), &t(12)],
        )
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "INSERT INTO applied_mutations VALUES ('{device}', 1,
                '{{\"outcome\":\"rejected\",\"reason\":\"old refusal\"}}', '2026-11-20T01:00:13Z');
             INSERT INTO changes (kind, entity, seq, user_id, at)
                VALUES ('report', '{}', 1, '{inspector}', now());
             UPDATE feed_state SET last_seq = 1;",
            a.id
        ))
        .await
        .unwrap();

    let store = PgStore::connect(&pg_url(), Some(&schema)).await.unwrap();
    let v: i64 = client
        .query_one("SELECT MAX(version) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 4);
    let held = store.report(a.id).await.unwrap().unwrap();
    assert_eq!(held.state, CaseState::PendingReview);
    assert_eq!(
        (held.note, held.merged_into, held.case_no),
        (None, None, None)
    );
    let listed = store
        .console_reports(&ReportFilter {
            limit: 10,
            ..ReportFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    for item in &listed {
        assert_eq!(item.state_at, item.received_at);
    }
    let c = store.conflicts(a.id).await.unwrap();
    assert_eq!((c[0].resolution.clone(), c[0].resolved_by), (None, None));
    let health = store.intake_health().await.unwrap();
    assert_eq!(health.missing_photos.len(), 1);
    assert_eq!(health.refusals[0].reason, "old refusal");
    assert_eq!(health.oldest_pending, Some(t(10)));
    assert_eq!(health.open_conflicts, 1);
    let step = |action, at| Step {
        report: a.id,
        action,
        seen: None,
        by: Author {
            user: Some(leader),
            device: None,
            mutation: None,
        },
        at,
        due_at: Some(t(1000)),
        task_due: Some(t(2000)),
        day: "20261120".into(),
        task: None,
    };
    let done = store.step(&step(Action::Approve, t(20))).await.unwrap();
    assert_eq!(
        done,
        Stepped::Done {
            state: CaseState::Registered,
            case_no: Some("20261120-0001".into())
        }
    );
    let dispatch = Action::Dispatch {
        department: "D".into(),
    };
    store.step(&step(dispatch, t(21))).await.unwrap();
    store.step(&step(Action::Handled, t(22))).await.unwrap();
    let tasks = store.report_tasks(a.id).await.unwrap();
    assert_eq!(tasks.len(), 1);
    let page = store.feed(inspector, &[], 0, 100).await.unwrap();
    assert!(page.rows.iter().any(|r| r.kind == FeedKind::Task));
    drop(store);
    // Connecting again migrates nothing.
    let store = PgStore::connect(&pg_url(), Some(&schema)).await.unwrap();
    assert_eq!(store.case_events(a.id).await.unwrap().len(), 3);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
