//! The case store's contract, below HTTP: what every backend must do, run against a real
//! SQLite file and a real PostgreSQL schema. Each scenario talks to the store's traits
//! directly, so a backend that drifts from the other fails here by name.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::{
    CaseState, DeviceId, Kind, MutationId, Outcome, PhotoNeed, QueueStats, Report, ReportId,
    ReportPatch, Urgency, UserId,
};
use gridwalk_sync::domain::cases::{Action, StepRequest, Stepped};
use gridwalk_sync::domain::model::{
    Appended, ArrivedPhoto, Author, Device, FeedKind, ReportFilter, Role, Upload, UploadPart, User,
};
use gridwalk_sync::domain::push::{Applied, Effect};
use gridwalk_sync::domain::queue;
use gridwalk_sync::domain::reference::Reference;
use gridwalk_sync::on_every_backend;
use gridwalk_sync::store::{CaseStore, Seen, StoreError};
use gridwalk_sync::testkit::{Backend, case_store, drop_schema};

/// A fresh store with the fixtures, and its reference data.
async fn store(
    backend: Backend,
) -> (
    Arc<dyn CaseStore>,
    Arc<Reference>,
    Option<String>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let (store, schema) = case_store(backend, dir.path()).await;
    let (tables, rules) = store.reference_texts().await.unwrap();
    let reference = Arc::new(Reference::parse(&tables, rules.as_deref()).unwrap());
    (store, reference, schema, dir)
}

async fn done(schema: Option<String>) {
    drop_schema(schema).await;
}

/// An enrolled device of the demo inspector.
async fn device(store: &dyn CaseStore) -> Device {
    device_of(store, "lixiaoming").await
}

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

fn seen(at: DateTime<Utc>, bytes: u64) -> Seen {
    Seen {
        app_version: "contract".into(),
        model: None,
        queue: QueueStats {
            reports: 1,
            photos: 1,
            bytes,
        },
        at,
    }
}

fn report_of(d: &Device) -> Report {
    let mut r = gridwalk_protocol::testing::report();
    r.reporter = d.user;
    r.device = d.id;
    r
}

fn answers(a: &[Applied]) -> Vec<String> {
    a.iter()
        .map(|x| match x {
            Applied::Answer(Outcome::Applied) => "applied".into(),
            Applied::Answer(Outcome::Rejected { reason, .. }) => format!("rejected: {reason}"),
            Applied::Answer(o) => format!("{o:?}"),
            Applied::Gap { expected } => format!("gap {expected}"),
            Applied::Reused { from, expected } => format!("reused {from}, next {expected}"),
        })
        .collect()
}

async fn push(
    store: &dyn CaseStore,
    reference: &Arc<Reference>,
    d: &Device,
    batch: Vec<(MutationId, Effect)>,
) -> Vec<String> {
    let applied = store
        .apply(
            d.id,
            batch,
            vec![],
            seen(Utc::now(), 100),
            Arc::clone(reference),
        )
        .await
        .unwrap();
    answers(&applied.answers)
}

async fn people_devices_and_sessions(backend: Backend) {
    let (store, _, schema, _dir) = store(backend).await;
    let leader = store.user_by_login("chenjianguo").await.unwrap().unwrap();
    assert_eq!(store.user(leader.id).await.unwrap().unwrap(), leader);
    let renamed = User {
        name: "陈建国（网格长）".into(),
        ..leader.clone()
    };
    store.put_user(&renamed).await.unwrap();
    assert_eq!(
        store.user(leader.id).await.unwrap().unwrap().name,
        "陈建国（网格长）"
    );

    let d = DeviceId::new();
    store
        .enroll_device(d, leader.id, "first", Utc::now())
        .await
        .unwrap();
    store
        .enroll_device(d, leader.id, "second", Utc::now())
        .await
        .unwrap();
    assert!(
        store.device_by_token("first").await.unwrap().is_none(),
        "re-enrolling replaces the token"
    );
    assert_eq!(
        store.device_by_token("second").await.unwrap().unwrap().id,
        d
    );
    assert_eq!(store.last_applied(d).await.unwrap(), 0);

    // A device's signing key is bound once per enrollment.
    assert_eq!(store.device_key(d).await.unwrap(), None);
    let bound = store.bind_device_key(d, "key-a", Utc::now()).await.unwrap();
    assert_eq!(bound.as_deref(), Some("key-a"));
    let again = store.bind_device_key(d, "key-b", Utc::now()).await.unwrap();
    assert_eq!(
        again.as_deref(),
        Some("key-a"),
        "a second key does not replace it"
    );
    assert_eq!(store.device_key(d).await.unwrap().as_deref(), Some("key-a"));
    store
        .enroll_device(d, leader.id, "second", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.device_key(d).await.unwrap(),
        None,
        "enrolling again unbinds it"
    );
    let rebound = store.bind_device_key(d, "key-b", Utc::now()).await.unwrap();
    assert_eq!(rebound.as_deref(), Some("key-b"));

    assert!(matches!(
        store.last_applied(DeviceId::new()).await,
        Err(StoreError::NotFound(_))
    ));

    assert!(matches!(
        store.set_password(UserId::new(), Some("x")).await,
        Err(StoreError::NotFound(_))
    ));
    store.set_password(leader.id, Some("hash")).await.unwrap();
    let (u, hash) = store.password_hash("chenjianguo").await.unwrap().unwrap();
    assert_eq!((u.id, hash.as_deref()), (leader.id, Some("hash")));
    let now = Utc::now();
    store
        .create_session("s1", leader.id, now, now + TimeDelta::hours(1))
        .await
        .unwrap();
    let (who, last_used) = store.session_user("s1", now).await.unwrap().unwrap();
    assert_eq!(who.id, leader.id);
    // PostgreSQL keeps microseconds, SQLite what it was given.
    assert_eq!(last_used.timestamp_micros(), now.timestamp_micros());
    let later = now + TimeDelta::minutes(10);
    store.touch_session("s1", later).await.unwrap();
    assert_eq!(
        store
            .session_user("s1", later)
            .await
            .unwrap()
            .unwrap()
            .1
            .timestamp_micros(),
        later.timestamp_micros()
    );
    assert!(
        store
            .session_user("s1", now + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_none(),
        "over"
    );
    store.end_session("s1").await.unwrap();
    assert!(store.session_user("s1", now).await.unwrap().is_none());

    // A new password ends the sessions; so does disabling the person, who then cannot sign
    // in and whose devices stop.
    store
        .create_session("s2", leader.id, now, now + TimeDelta::hours(1))
        .await
        .unwrap();
    store.set_password(leader.id, Some("other")).await.unwrap();
    assert!(store.session_user("s2", now).await.unwrap().is_none());
    store
        .create_session("s3", leader.id, now, now + TimeDelta::hours(1))
        .await
        .unwrap();
    assert!(store.disable_user(leader.id, now).await.unwrap());
    assert!(store.session_user("s3", now).await.unwrap().is_none());
    assert!(store.password_hash("chenjianguo").await.unwrap().is_none());
    // Enabled again, they may sign in anew; the ended session stays ended.
    assert!(store.enable_user(leader.id).await.unwrap());
    assert!(store.password_hash("chenjianguo").await.unwrap().is_some());
    assert!(store.session_user("s3", now).await.unwrap().is_none());
    assert!(!store.enable_user(UserId::new()).await.unwrap());
    // The new roles are stored, with a clerk's department.
    let clerk = store.user_by_login("liangqing").await.unwrap().unwrap();
    assert_eq!(clerk.role, Role::Department);
    assert_eq!(clerk.department.as_deref(), Some("SZ"));
    let admin = store.user_by_login("guanliyuan").await.unwrap().unwrap();
    assert_eq!(admin.role, Role::Administrator);
    assert!(store.disable_user(leader.id, now).await.unwrap());
    let d = device(store.as_ref()).await;
    assert!(
        store
            .device_by_token(&format!("token-{}", d.id))
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.revoke_device(d.id, now).await.unwrap());
    assert!(
        store
            .device_by_token(&format!("token-{}", d.id))
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.revoke_device(DeviceId::new(), now).await.unwrap());
    let listed = store.devices().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.id == d.id && e.revoked_at.is_some())
    );
    let users = store.users().await.unwrap();
    assert!(
        users
            .iter()
            .any(|(u, off)| u.login == "chenjianguo" && off.is_some())
    );
    assert!(
        users
            .iter()
            .any(|(u, off)| u.login == "lixiaoming" && off.is_none())
    );

    // Sign-ins are counted per login and per address within a window.
    for (login, address, ok) in [
        ("chenjianguo", "10.0.0.1", false),
        ("chenjianguo", "10.0.0.2", false),
        ("sunyue", "10.0.0.1", false),
        ("sunyue", "10.0.0.1", true),
    ] {
        store.record_sign_in(login, address, ok, now).await.unwrap();
    }
    let since = now - TimeDelta::minutes(1);
    assert_eq!(
        store
            .sign_in_failures("chenjianguo", "10.0.0.1", since)
            .await
            .unwrap(),
        (2, 2)
    );
    assert_eq!(
        store
            .sign_in_failures("sunyue", "10.0.0.9", since)
            .await
            .unwrap(),
        (1, 0)
    );
    assert_eq!(
        store
            .sign_in_failures("chenjianguo", "10.0.0.1", now)
            .await
            .unwrap(),
        (0, 0),
        "only those after `since`"
    );
    done(schema).await;
}

async fn a_push_is_applied_once_in_order_and_a_gap_writes_nothing(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let (r1, r2) = (report_of(&d), report_of(&d));
    let insert = |r: &Report| Effect::InsertReport(Box::new(r.clone().into()));
    let got = push(
        s,
        &reference,
        &d,
        vec![
            (1, insert(&r1)),
            (2, insert(&r2)),
            (
                3,
                Effect::Reject(gridwalk_protocol::Message::verbatim("不对")),
            ),
        ],
    )
    .await;
    assert_eq!(got, ["applied", "applied", "rejected: 不对"]);
    assert_eq!(s.last_applied(d.id).await.unwrap(), 3);
    assert_eq!(
        s.report(r1.id).await.unwrap().unwrap().state,
        CaseState::AwaitingPhotos
    );
    assert_eq!(s.reports(&[r1.id, r2.id]).await.unwrap().len(), 2);
    // A repeat is answered from the record; a new number for a held report is a repeat
    // only when identical.
    let mut changed = r1.clone();
    changed.description = "改了".into();
    let got = push(
        s,
        &reference,
        &d,
        vec![
            (
                2,
                Effect::Reject(gridwalk_protocol::Message::verbatim("ignored")),
            ),
            (3, insert(&r1)),
            (4, insert(&r1)),
            (5, insert(&changed)),
        ],
    )
    .await;
    assert_eq!(got[0], "applied", "mutation 2's recorded answer");
    assert_eq!(got[1], "rejected: 不对", "mutation 3's recorded answer");
    assert_eq!(got[2], "applied", "the same record again");
    assert!(
        got[3].contains("already received with different content"),
        "{got:?}"
    );
    assert_eq!(s.report_count().await.unwrap(), 2);

    // A batch that skips ahead stops there, and nothing of it (not even what the device
    // said of its queue) is written.
    let board = s.device_board().await.unwrap();
    let before = board.iter().find(|r| r.id == d.id).unwrap().clone();
    let applied = s
        .apply(
            d.id,
            vec![(9, insert(&report_of(&d)))],
            vec![],
            seen(Utc::now(), 999),
            Arc::clone(&reference),
        )
        .await
        .unwrap();
    assert_eq!(answers(&applied.answers), ["gap 6"]);
    assert_eq!(applied.last_applied, 5);
    let after = s
        .device_board()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == d.id)
        .unwrap();
    assert_eq!(after.queue, before.queue);
    assert_eq!(after.last_seen, before.last_seen);

    // A number no database holds is refused in words, and nothing changes.
    let e = s
        .apply(
            d.id,
            vec![],
            vec![],
            seen(Utc::now(), u64::MAX),
            Arc::clone(&reference),
        )
        .await
        .expect_err("too large");
    assert!(
        matches!(&e, StoreError::Invalid(m) if m.english().contains("too large")),
        "{e}"
    );
    assert_eq!(s.last_applied(d.id).await.unwrap(), 5);
    done(schema).await;
}

async fn likely_duplicates_are_marked_within_a_push_and_across_pushes(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let first = report_of(&d);
    let mut near = report_of(&d);
    near.location.lat += 0.0001;
    let mut far = report_of(&d);
    far.location.lat += 0.01;
    let insert = |r: &Report| Effect::InsertReport(Box::new(r.clone().into()));
    push(
        s,
        &reference,
        &d,
        vec![(1, insert(&first)), (2, insert(&near)), (3, insert(&far))],
    )
    .await;
    let mut later = report_of(&d);
    later.location.lon += 0.0001;
    push(s, &reference, &d, vec![(4, insert(&later))]).await;
    let dup = |id| async move { s.report(id).await.unwrap().unwrap().duplicate_of };
    assert_eq!(dup(first.id).await, None);
    assert_eq!(dup(near.id).await, Some(first.id), "in the same push");
    assert_eq!(dup(far.id).await, None, "1 km away");
    assert_eq!(dup(later.id).await, Some(first.id), "in a later push");
    let related = s.related_reports(first.id).await.unwrap();
    assert_eq!(related, vec![near.id, later.id]);
    // From one duplicate, its ≈ cluster: the one it duplicates and the others that do.
    let related = s.related_reports(near.id).await.unwrap();
    assert_eq!(related, vec![first.id, later.id]);
    assert_eq!(s.related_reports(far.id).await.unwrap(), vec![]);
    done(schema).await;
}

async fn a_photos_arrival_completes_its_report_with_an_event(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let mut r = report_of(&d);
    r.photos[0].sha256 = "cd".repeat(32);
    push(
        s,
        &reference,
        &d,
        vec![(1, Effect::InsertReport(Box::new(r.clone().into())))],
    )
    .await;
    let photo = r.photos[0].clone();
    assert_eq!(
        s.photo_needs(d.id, &[photo.id]).await.unwrap()[0].1,
        PhotoNeed::Needed
    );
    let slot = s.photo_slot(&d, r.id, photo.id).await.unwrap().unwrap();
    assert_eq!(
        (slot.sha256.as_str(), slot.bytes, slot.arrived),
        (photo.sha256.as_str(), photo.bytes, false)
    );
    assert!(
        s.photo_slot(
            &Device {
                id: DeviceId::new(),
                user: d.user,
                role: Role::Inspector,
            },
            r.id,
            photo.id
        )
        .await
        .unwrap()
        .is_none(),
        "another device's"
    );

    // PostgreSQL keeps microseconds.
    let now = Utc::now().trunc_subsecs(6);
    let upload = Upload {
        id: uuid::Uuid::now_v7(),
        device: d.id,
        report: r.id,
        photo: photo.id,
        length: 10,
        received: 0,
        metadata: None,
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
        completed_at: None,
    };
    s.create_upload(&upload).await.unwrap();
    let part = |start, length| UploadPart {
        start,
        length,
        key: format!("part-{start}"),
    };
    let later = now + TimeDelta::hours(2);
    assert_eq!(
        s.append_upload(upload.id, &part(0, 4), later, None)
            .await
            .unwrap(),
        Appended::Now { received: 4 }
    );
    assert_eq!(
        s.append_upload(upload.id, &part(0, 4), later, None)
            .await
            .unwrap(),
        Appended::Moved { received: 4 }
    );
    assert_eq!(s.upload_parts(upload.id).await.unwrap(), vec![part(0, 4)]);
    assert_eq!(
        s.upload(upload.id).await.unwrap().unwrap().expires_at,
        later
    );
    let review_due = later + chrono::Duration::hours(2);
    let arrived = ArrivedPhoto {
        sha256: photo.sha256.clone(),
        bytes: 10,
        at: later,
        holder: d.user,
        review_due: Some(review_due),
    };
    assert_eq!(
        s.append_upload(upload.id, &part(4, 6), later, Some(&arrived))
            .await
            .unwrap(),
        Appended::Now { received: 10 }
    );
    assert!(
        s.upload_parts(upload.id).await.unwrap().is_empty(),
        "the bytes are in the photo now"
    );
    assert_eq!(
        s.photo_needs(d.id, &[photo.id]).await.unwrap()[0].1,
        PhotoNeed::Arrived
    );
    let held = s.report(r.id).await.unwrap().unwrap();
    assert_eq!(held.state, CaseState::PendingReview);
    let events = s.case_events(r.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "photos_complete");
    assert_eq!(
        (events[0].from, events[0].to, events[0].by_user),
        (CaseState::AwaitingPhotos, CaseState::PendingReview, None)
    );
    let shown = s.console_reports_by_id(&[r.id]).await.unwrap().remove(0);
    assert_eq!(shown.photos_arrived, vec![photo.id]);
    // The review it starts is due when the service said; the event says so too.
    assert_eq!(shown.step_due_at, Some(review_due));
    assert_eq!(events[0].due_at, Some(review_due));

    // A report listing a photo already held starts in review.
    let mut again = report_of(&d);
    again.photos[0].sha256 = photo.sha256.clone();
    push(
        s,
        &reference,
        &d,
        vec![(2, Effect::InsertReport(Box::new(again.clone().into())))],
    )
    .await;
    assert_eq!(
        s.report(again.id).await.unwrap().unwrap().state,
        CaseState::PendingReview
    );

    // Another inspector naming the same SHA-256 has not sent those bytes: their report
    // waits for its photo, and the centre asks them for it.
    let other = device_of(s, "wangfang").await;
    let mut theirs = report_of(&other);
    theirs.photos[0].sha256 = photo.sha256.clone();
    push(
        s,
        &reference,
        &other,
        vec![(1, Effect::InsertReport(Box::new(theirs.clone().into())))],
    )
    .await;
    assert_eq!(
        s.report(theirs.id).await.unwrap().unwrap().state,
        CaseState::AwaitingPhotos
    );
    assert_eq!(
        s.photo_needs(other.id, &[theirs.photos[0].id])
            .await
            .unwrap()[0]
            .1,
        PhotoNeed::Needed
    );
    // Nor does naming it put their report among those that hold the photo (which is what
    // lets a leader see it).
    let holding = s.reports_with_photo(&photo.sha256).await.unwrap();
    assert!(
        holding.contains(&r.id) && holding.contains(&again.id),
        "{holding:?}"
    );
    assert!(!holding.contains(&theirs.id), "{holding:?}");

    assert_eq!(
        s.append_upload(uuid::Uuid::now_v7(), &part(0, 1), later, None)
            .await
            .unwrap(),
        Appended::Gone
    );
    assert_eq!(
        s.expired_uploads(later + TimeDelta::hours(1))
            .await
            .unwrap(),
        vec![upload.id]
    );
    s.delete_upload(upload.id).await.unwrap();
    assert!(s.upload(upload.id).await.unwrap().is_none());
    done(schema).await;
}

async fn versions_steps_and_the_feed(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let mut r = report_of(&d);
    r.photos.clear();
    push(
        s,
        &reference,
        &d,
        vec![(1, Effect::InsertReport(Box::new(r.clone().into())))],
    )
    .await;
    let held = s.report(r.id).await.unwrap().unwrap();
    assert_eq!(
        (held.state, held.version),
        (CaseState::PendingReview, 1),
        "no photos to wait for"
    );

    let operator = s.user_by_login("sunyue").await.unwrap().unwrap();
    let mut changed = r.clone();
    changed.description = "中心改过".into();
    let patch = ReportPatch::between(&r, &changed);
    assert_eq!(
        s.write_version(&changed, 1, &patch, operator.id, Utc::now())
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        s.write_version(&changed, 1, &patch, operator.id, Utc::now())
            .await,
        Err(StoreError::Stale(_))
    ));
    let versions = s.report_versions(r.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(versions[1].by.user, Some(operator.id));

    // Steps: the state the person saw must hold; case numbers run per local day.
    let step = |action: Action, seen: CaseState| StepRequest {
        report: r.id,
        action,
        seen: Some(seen),
        by: Author::person(operator.id),
        at: Utc::now(),
        task: None,
        department_seen: None,
    };
    let refused = s
        .step(
            &step(Action::approve(), CaseState::Returned),
            Arc::clone(&reference),
        )
        .await
        .unwrap();
    assert!(
        matches!(refused, Stepped::Refused(ref m) if m.english().contains("someone else acted")),
        "{refused:?}"
    );
    let Stepped::Done { state, case_no } = s
        .step(
            &step(Action::approve(), CaseState::PendingReview),
            Arc::clone(&reference),
        )
        .await
        .unwrap()
    else {
        panic!("not done")
    };
    assert_eq!(state, CaseState::Registered);
    let case_no = case_no.unwrap();
    assert!(case_no.ends_with("-0001"), "{case_no}");
    let Stepped::Done { state, .. } = s
        .step(
            &step(
                Action::Dispatch {
                    department: "SZ".into(),
                },
                CaseState::Registered,
            ),
            Arc::clone(&reference),
        )
        .await
        .unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!(state, CaseState::Dispatched);
    let events = s.case_events(r.id).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["approve", "dispatch"]
    );
    assert_eq!(events[0].text.as_deref(), Some(case_no.as_str()));
    assert!(events[1].due_at.is_some(), "a dispatch sets its deadline");
    let missing = StepRequest {
        report: ReportId::new(),
        ..step(Action::approve(), CaseState::PendingReview)
    };
    // Refused in words (so a device's push answers that mutation and moves on).
    let Ok(Stepped::Refused(why)) = s.step(&missing, Arc::clone(&reference)).await else {
        panic!("a step on a report the centre lacks is refused")
    };
    assert!(why.english().starts_with("there is no report"), "{why}");

    let listed = s
        .console_reports(&ReportFilter {
            states: vec![CaseState::Dispatched],
            team: Some("T440703001-01".into()),
            limit: 10,
            ..ReportFilter::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(
        listed.iter().map(|c| c.report.id).collect::<Vec<_>>(),
        vec![r.id]
    );
    assert_eq!(
        listed[0].case.as_ref().unwrap().department.as_deref(),
        Some("SZ")
    );
    let other_team = s
        .console_reports(&ReportFilter {
            team: Some("nobody".into()),
            limit: 10,
            ..ReportFilter::default()
        })
        .await
        .unwrap()
        .items;
    assert!(other_team.is_empty());
    // A department's list: the cases dispatched to it, and no others.
    for (department, expected) in [("SZ", vec![r.id]), ("HW", vec![])] {
        let listed = s
            .console_reports(&ReportFilter {
                department: Some(department.into()),
                limit: 10,
                ..ReportFilter::default()
            })
            .await
            .unwrap()
            .items;
        assert_eq!(
            listed.iter().map(|c| c.report.id).collect::<Vec<_>>(),
            expected,
            "{department}"
        );
    }

    // The feed: the reporter sees the report, tombstoned once removed; pruning old
    // tombstones moves the horizon past them.
    let user = s.user(d.user).await.unwrap().unwrap();
    let page = s.feed(user.id, &user.cells, 0, 1000).await.unwrap();
    let mine: Vec<_> = page
        .rows
        .iter()
        .filter(|f| f.kind == FeedKind::Report)
        .collect();
    assert_eq!(mine.len(), 1);
    let stranger = s.user_by_login("wangfang").await.unwrap().unwrap();
    let theirs = s.feed(stranger.id, &stranger.cells, 0, 1000).await.unwrap();
    assert!(
        theirs.rows.iter().all(|f| f.kind != FeedKind::Report),
        "only the reporter's"
    );
    assert!(
        theirs.rows.iter().any(|f| f.kind == FeedKind::CodeTable),
        "everyone's"
    );
    let at = Utc::now();
    s.delete_report(r.id, at).await.unwrap();
    let after = s
        .feed(user.id, &user.cells, page.last_seq, 1000)
        .await
        .unwrap();
    assert_eq!(after.rows.len(), 1);
    assert_eq!(after.rows[0].entity, r.id.to_string());
    assert_eq!(
        s.prune_feed(at - TimeDelta::seconds(1)).await.unwrap(),
        0,
        "too new to forget"
    );
    assert_eq!(s.prune_feed(at + TimeDelta::seconds(1)).await.unwrap(), 1);
    let pruned = s.feed(user.id, &user.cells, 0, 1000).await.unwrap();
    assert_eq!(pruned.horizon, after.rows[0].seq);
    done(schema).await;
}

/// What the evaluation of a period is counted from: the reports observed in it, and the
/// reports observed earlier whose case falls due in it, with their category, department
/// and steps; not a report observed earlier with nothing due, nor a removed one.
async fn the_evaluation_reads_the_periods_reports_and_the_cases_due_in_it(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let operator = s.user_by_login("sunyue").await.unwrap().unwrap();
    let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap();
    let mut ids = Vec::new();
    for (n, observed) in [
        "2026-11-10T09:00:00+08:00",
        "2026-10-20T09:00:00+08:00",
        "2026-10-05T09:00:00+08:00",
        "2026-11-11T09:00:00+08:00",
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = report_of(&d);
        r.photos.clear();
        r.observed_at = at(observed);
        push(
            s,
            &reference,
            &d,
            vec![(
                n as u64 + 1,
                Effect::InsertReport(Box::new(r.clone().into())),
            )],
        )
        .await;
        ids.push(r.id);
    }
    // The first two are registered and dispatched: the first in November, the second at
    // the end of October with its deadline in November.
    for (id, day) in [(ids[0], "2026-11-10"), (ids[1], "2026-10-30")] {
        for (action, seen, time) in [
            (Action::approve(), CaseState::PendingReview, "15:00"),
            (
                Action::Dispatch {
                    department: "HW".into(),
                },
                CaseState::Registered,
                "16:00",
            ),
        ] {
            let step = StepRequest {
                report: id,
                action,
                seen: Some(seen),
                by: Author::person(operator.id),
                at: at(&format!("{day}T{time}:00+08:00")).to_utc(),
                task: None,
                department_seen: None,
            };
            let done = s.step(&step, Arc::clone(&reference)).await.unwrap();
            assert!(matches!(done, Stepped::Done { .. }), "{done:?}");
        }
    }
    s.delete_report(ids[3], Utc::now()).await.unwrap();

    let november = s
        .case_facts(
            at("2026-11-01T00:00:00+08:00").to_utc(),
            at("2026-12-01T00:00:00+08:00").to_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        november.iter().map(|f| f.report).collect::<Vec<_>>(),
        [ids[1], ids[0]],
        "by when they were observed"
    );
    let f = &november[1];
    assert_eq!(f.observed_at, at("2026-11-10T09:00:00+08:00"));
    assert_eq!(
        (
            f.kind,
            f.category.as_str(),
            f.department.as_deref(),
            f.state
        ),
        (Kind::Event, "0507", Some("HW"), CaseState::Dispatched)
    );
    assert_eq!(f.reporter_name, "李晓明");
    assert_eq!(f.team.as_deref(), Some("T440703001-01"));
    assert_eq!(
        f.events
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["approve", "dispatch"]
    );
    let deadline = november[0].events[1].due_at.unwrap();
    assert!(
        deadline >= at("2026-11-01T00:00:00+08:00"),
        "due in November: {deadline}"
    );

    let october = s
        .case_facts(
            at("2026-10-01T00:00:00+08:00").to_utc(),
            at("2026-11-01T00:00:00+08:00").to_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        october.iter().map(|f| f.report).collect::<Vec<_>>(),
        [ids[2], ids[1]],
        "observed in October; the November report and the removed one are not"
    );
    done(schema).await;
}

/// The ids of a queue's page, in order.
async fn queue(s: &dyn CaseStore, f: &ReportFilter) -> Vec<ReportId> {
    s.console_reports(f)
        .await
        .unwrap()
        .items
        .iter()
        .map(|r| r.report.id)
        .collect()
}

/// A report of `d`'s with these words, a position of its own (so none is a likely
/// duplicate of another) and a cell.
fn worded(d: &Device, n: u32, description: &str, address: &str, cell: Option<&str>) -> Report {
    let mut r = report_of(d);
    r.photos.clear();
    r.description = description.into();
    r.address = address.into();
    r.location.lon += f64::from(n) * 0.01;
    r.cell = cell.map(|c| c.parse().unwrap());
    r
}

async fn work_queues_filter_order_page_and_search(backend: Backend) {
    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let z = device_of(s, "zhaomin").await;
    let cell = "440703001001001";
    let r1 = worded(&d, 1, "建设路井盖缺失", "蓬江区建设路12号", Some(cell));
    let mut r2 = worded(&d, 2, "路边垃圾堆放", "北街3号", Some(cell));
    r2.urgency = Urgency::Urgent;
    let mut r3 = worded(&d, 3, "井盖破损", "建设路20号", Some(cell));
    r3.urgency = Urgency::Urgent;
    let r4 = worded(&d, 4, "Manhole cover MISSING", "Jianshe Rd", None);
    // Holds 井盖 and 盖缺, but not 井盖缺: found by the pairs, refused by the check.
    let r5 = worded(&d, 5, "井盖歪了，盖缺一角", "东街", Some(cell));
    let z1 = worded(&z, 6, "井盖缺失", "江华路1号", Some("440703002001001"));
    // One push each, so each waits from its own moment, in this order.
    for (n, r) in [&r1, &r2, &r3, &r4, &r5].into_iter().enumerate() {
        let m = MutationId::try_from(n + 1).unwrap();
        let a = push(
            s,
            &reference,
            &d,
            vec![(m, Effect::InsertReport(Box::new(r.clone().into())))],
        )
        .await;
        assert_eq!(a, ["applied"]);
    }
    push(
        s,
        &reference,
        &z,
        vec![(1, Effect::InsertReport(Box::new(z1.clone().into())))],
    )
    .await;
    let now = Utc::now();
    let all = |f: ReportFilter| ReportFilter {
        limit: 50,
        now,
        ..f
    };
    let ids = |v: &[&Report]| v.iter().map(|r| r.id).collect::<Vec<_>>();

    // Oldest waiting first by default; a team narrows it.
    assert_eq!(
        queue(s, &all(ReportFilter::default())).await,
        ids(&[&r1, &r2, &r3, &r4, &r5, &z1])
    );
    let team = |f: ReportFilter| ReportFilter {
        team: Some("T440703001-01".into()),
        ..all(f)
    };
    assert_eq!(
        queue(s, &team(ReportFilter::default())).await,
        ids(&[&r1, &r2, &r3, &r4, &r5])
    );
    assert_eq!(
        queue(
            s,
            &all(ReportFilter {
                sort: QueueSort::Newest,
                ..ReportFilter::default()
            })
        )
        .await,
        ids(&[&z1, &r5, &r4, &r3, &r2, &r1])
    );
    assert_eq!(
        queue(
            s,
            &all(ReportFilter {
                sort: QueueSort::Urgent,
                ..ReportFilter::default()
            })
        )
        .await,
        ids(&[&r2, &r3, &r1, &r4, &r5, &z1]),
        "urgent first, each group oldest waiting first"
    );

    // Pages by cursor: every report once, in order, whatever arrives meanwhile.
    for sort in QueueSort::ALL {
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = s
                .console_reports(&ReportFilter {
                    sort,
                    limit: 2,
                    after: after.map(|c: String| queue::Cursor::decode(&c, sort).unwrap()),
                    now,
                    ..ReportFilter::default()
                })
                .await
                .unwrap();
            assert_eq!((page.total, page.total_capped), (6, false), "{sort:?}");
            seen.extend(page.items.iter().map(|r| r.report.id));
            pages += 1;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let whole = queue(
            s,
            &all(ReportFilter {
                sort,
                ..ReportFilter::default()
            }),
        )
        .await;
        assert_eq!((seen.clone(), pages), (whole, 3), "{sort:?}");
    }

    // Search: every word, in the description or the address, letters in any case.
    let search = |q: &str| {
        all(ReportFilter {
            search: queue::search_terms(q).unwrap(),
            ..ReportFilter::default()
        })
    };
    for (q, expected) in [
        ("井盖", ids(&[&r1, &r3, &r5, &z1])),
        ("井", ids(&[&r1, &r3, &r5, &z1])),
        ("井盖缺", ids(&[&r1, &z1])),
        ("manhole", ids(&[&r4])),
        ("建设路 井盖", ids(&[&r1, &r3])),
        ("北街", ids(&[&r2])),
        ("下水道", vec![]),
    ] {
        assert_eq!(queue(s, &search(q)).await, expected, "{q}");
    }
    // An edit changes what the report is found by.
    let operator = s.user_by_login("sunyue").await.unwrap().unwrap();
    let mut lost = r2.clone();
    lost.description = "井盖丢失".into();
    s.write_version(
        &lost,
        1,
        &ReportPatch::between(&r2, &lost),
        operator.id,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(queue(s, &search("垃圾")).await, vec![]);
    assert_eq!(
        queue(s, &search("井盖")).await,
        ids(&[&r1, &r2, &r3, &r5, &z1])
    );

    // The filters.
    let only = |f: ReportFilter| all(f);
    for (what, f, expected) in [
        (
            "urgent",
            ReportFilter {
                urgency: Some(Urgency::Urgent),
                ..ReportFilter::default()
            },
            ids(&[&r2, &r3]),
        ),
        (
            "inspector",
            ReportFilter {
                inspector: Some("zhaomin".into()),
                ..ReportFilter::default()
            },
            ids(&[&z1]),
        ),
        (
            "outside the grid",
            ReportFilter {
                flags: vec![queue::QueueFlag::OutsideGrid],
                ..ReportFilter::default()
            },
            ids(&[&r4]),
        ),
        (
            "no duplicates here",
            ReportFilter {
                flags: vec![queue::QueueFlag::Duplicate],
                ..ReportFilter::default()
            },
            vec![],
        ),
        (
            "a street",
            ReportFilter {
                place: Some("440703002".into()),
                ..ReportFilter::default()
            },
            ids(&[&z1]),
        ),
        (
            "a cell",
            ReportFilter {
                place: Some(cell.into()),
                ..ReportFilter::default()
            },
            ids(&[&r1, &r2, &r3, &r5]),
        ),
        (
            "a 大类",
            ReportFilter {
                kind: Some(Kind::Event),
                category: Some("05".into()),
                ..ReportFilter::default()
            },
            ids(&[&r1, &r2, &r3, &r4, &r5, &z1]),
        ),
        (
            "another 小类",
            ReportFilter {
                category: Some("0101".into()),
                ..ReportFilter::default()
            },
            vec![],
        ),
        (
            "received before now",
            ReportFilter {
                received_to: Some(now),
                ..ReportFilter::default()
            },
            ids(&[&r1, &r2, &r3, &r4, &r5, &z1]),
        ),
        (
            "received after now",
            ReportFilter {
                received_from: Some(now),
                ..ReportFilter::default()
            },
            vec![],
        ),
    ] {
        assert_eq!(queue(s, &only(f)).await, expected, "{what}");
    }

    // Every report waits on a step with a deadline: the pending ones on the leader's review
    // (2 working hours from arrival), a dispatched case on its department (7 for 乱堆物堆料).
    // Overdue first orders by it, and a report is overdue once past its own.
    let step = |action: Action, seen: CaseState| StepRequest {
        report: r3.id,
        action,
        seen: Some(seen),
        by: Author::person(operator.id),
        at: Utc::now(),
        task: None,
        department_seen: None,
    };
    for (action, seen) in [
        (Action::approve(), CaseState::PendingReview),
        (
            Action::Dispatch {
                department: "SZ".into(),
            },
            CaseState::Registered,
        ),
    ] {
        let done = s
            .step(&step(action, seen), Arc::clone(&reference))
            .await
            .unwrap();
        assert!(matches!(done, Stepped::Done { .. }), "{done:?}");
    }
    assert_eq!(
        queue(
            s,
            &all(ReportFilter {
                sort: QueueSort::Overdue,
                ..ReportFilter::default()
            })
        )
        .await,
        ids(&[&r1, &r2, &r4, &r5, &z1, &r3])
    );
    let review_due = s.console_reports_by_id(&[r1.id]).await.unwrap()[0]
        .step_due_at
        .unwrap();
    let page = s
        .console_reports(&all(ReportFilter {
            department: Some("SZ".into()),
            ..ReportFilter::default()
        }))
        .await
        .unwrap();
    let due = page.items[0].case.as_ref().unwrap().due_at.unwrap();
    let at = |now: DateTime<Utc>, due: queue::Due| ReportFilter {
        due: Some(due),
        now,
        limit: 50,
        ..ReportFilter::default()
    };
    assert!(review_due <= due, "{review_due} {due}");
    // Overdue and due soon, probed around both deadlines: exactly the reports whose own
    // step deadline lies in the window, as the store holds it.
    let every = [&r1, &r2, &r3, &r4, &r5, &z1];
    let held = s
        .console_reports_by_id(&every.iter().map(|r| r.id).collect::<Vec<_>>())
        .await
        .unwrap();
    let sorted = |mut v: Vec<ReportId>| {
        v.sort();
        v
    };
    for probe in [
        review_due - TimeDelta::minutes(1),
        review_due + TimeDelta::minutes(1),
        due - TimeDelta::minutes(1),
        due + TimeDelta::minutes(1),
    ] {
        let overdue: Vec<ReportId> = held
            .iter()
            .filter(|r| r.step_due_at.is_some_and(|d| d < probe))
            .map(|r| r.report.id)
            .collect();
        let soon: Vec<ReportId> = held
            .iter()
            .filter(|r| {
                r.step_due_at
                    .is_some_and(|d| d >= probe && d <= probe + TimeDelta::hours(2))
            })
            .map(|r| r.report.id)
            .collect();
        assert_eq!(
            sorted(queue(s, &at(probe, queue::Due::Overdue)).await),
            sorted(overdue),
            "{probe}"
        );
        assert_eq!(
            sorted(queue(s, &at(probe, queue::Due::Soon)).await),
            sorted(soon),
            "{probe}"
        );
    }
    assert!(
        queue(
            s,
            &at(review_due - TimeDelta::minutes(1), queue::Due::Overdue)
        )
        .await
        .is_empty()
    );
    assert_eq!(
        queue(s, &at(due + TimeDelta::minutes(1), queue::Due::Overdue))
            .await
            .len(),
        6
    );
    done(schema).await;
}

/// A leader's work at 立案 below HTTP: a registration that corrects the report writes the
/// leader's version and the step in one transaction (and neither when refused); a likely
/// duplicate waits for the leader to have seen it; several merges are all or none.
async fn corrections_duplicate_warnings_and_merges_all_or_none(backend: Backend) {
    use gridwalk_protocol::console::{CategoryChoice, Correction};
    use gridwalk_sync::domain::cases::Approval;

    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let leader = s.user_by_login("chenjianguo").await.unwrap().unwrap();
    let reports: Vec<Report> = (0..4)
        .map(|i| {
            let mut r = report_of(&d);
            r.photos.clear();
            r.location.lat += f64::from(i) * 0.00001;
            r
        })
        .collect();
    let batch = reports
        .iter()
        .zip(1..)
        .map(|(r, n)| (n, Effect::InsertReport(Box::new(r.clone().into()))))
        .collect();
    push(s, &reference, &d, batch).await;
    let [a, b, c, e] = [0, 1, 2, 3].map(|i| reports[i].id);
    let step = |report, action| StepRequest {
        report,
        action,
        seen: Some(CaseState::PendingReview),
        by: Author::person(leader.id),
        at: Utc::now(),
        task: None,
        department_seen: None,
    };
    let approve = |correct, despite_duplicate| {
        Action::Approve(Approval {
            correct,
            despite_duplicate,
        })
    };
    let fix = |version| Correction {
        version,
        category: Some(CategoryChoice {
            kind: Kind::Event,
            category: "0504".parse().unwrap(),
        }),
        description: Some("店外经营".into()),
        address: None,
    };

    // A stale correction registers nothing and writes no version.
    let Stepped::Refused(why) = s
        .step(
            &step(a, approve(Some(fix(2)), false)),
            Arc::clone(&reference),
        )
        .await
        .unwrap()
    else {
        panic!("a correction of version 2 of a report at version 1")
    };
    assert_eq!(why.code, "case.version");
    let held = s.report(a).await.unwrap().unwrap();
    assert_eq!((held.state, held.version), (CaseState::PendingReview, 1));

    let Stepped::Done { state, .. } = s
        .step(
            &step(a, approve(Some(fix(1)), false)),
            Arc::clone(&reference),
        )
        .await
        .unwrap()
    else {
        panic!("registered with the correction")
    };
    assert_eq!(state, CaseState::Registered);
    let held = s.report(a).await.unwrap().unwrap();
    assert_eq!(held.version, 2);
    assert_eq!(held.report.category.as_str(), "0504");
    assert_eq!(held.report.description, "店外经营");
    let versions = s.report_versions(a).await.unwrap();
    assert_eq!(versions[1].by, Author::person(leader.id));
    let note = gridwalk_protocol::Message::from_stored(held.note.as_deref().unwrap());
    assert_eq!(note.code, "note.corrected");
    let chains = s.report_chain(a).await.unwrap().unwrap();
    assert!(
        gridwalk_sync::domain::chain::check(&chains).is_ok(),
        "the seal holds"
    );

    // b duplicates a, a case now: registering b waits for the leader to have seen it.
    assert_eq!(s.report(b).await.unwrap().unwrap().duplicate_of, Some(a));
    let Stepped::Refused(why) = s
        .step(&step(b, Action::approve()), Arc::clone(&reference))
        .await
        .unwrap()
    else {
        panic!("a likely duplicate of a case")
    };
    assert_eq!(why.code, "case.likely_duplicate_case");
    assert!(why.params["case_no"].ends_with("-0001"), "{why}");

    // Merge b, c and e into a, the last seen in a state it is not in: none is merged.
    let merge = |report, seen| StepRequest {
        seen: Some(seen),
        ..step(report, Action::Merge { into: a })
    };
    let stale = [
        merge(b, CaseState::PendingReview),
        merge(c, CaseState::PendingReview),
        merge(e, CaseState::Returned),
    ];
    let Err(StoreError::Refused(why)) = s.steps(&stale, Arc::clone(&reference)).await else {
        panic!("one step refused refuses them all")
    };
    assert_eq!(why.code, "case.stale");
    for id in [b, c, e] {
        assert_eq!(
            s.report(id).await.unwrap().unwrap().state,
            CaseState::PendingReview
        );
    }
    let merged = s
        .steps(
            &[
                merge(b, CaseState::PendingReview),
                merge(c, CaseState::PendingReview),
                merge(e, CaseState::PendingReview),
            ],
            Arc::clone(&reference),
        )
        .await
        .unwrap();
    assert_eq!(merged.len(), 3);
    for id in [b, c, e] {
        let r = s.report(id).await.unwrap().unwrap();
        assert_eq!((r.state, r.merged_into), (CaseState::Merged, Some(a)));
    }
    done(schema).await;
}

/// The loop's branches as the store writes them: a department accepts, asks for more time
/// (approved: the deadline moves), sends the case back (回退) and it is dispatched again;
/// the centre suspends and resumes it (缓办), the department handles it and the centre
/// voids it (作废) with the inspector's verification task still open; a report fixed on
/// the spot closes as such, and another is closed by the centre (特殊结案).
/// The reports a queue flag picks out, in the default order.
async fn flagged(s: &dyn CaseStore, flag: queue::QueueFlag) -> Vec<ReportId> {
    let f = ReportFilter {
        flags: vec![flag],
        limit: 50,
        now: Utc::now(),
        ..ReportFilter::default()
    };
    queue(s, &f).await
}

async fn the_loops_branches(backend: Backend) {
    use gridwalk_protocol::console::{Closure, TaskKind};

    let (store, reference, schema, _dir) = store(backend).await;
    let s = store.as_ref();
    let d = device(s).await;
    let operator = s.user_by_login("sunyue").await.unwrap().unwrap();
    let clerk = s.user_by_login("liangqing").await.unwrap().unwrap();
    let new_report = |on_spot: bool| {
        let mut r = report_of(&d);
        r.photos.clear();
        r.handled_on_spot = on_spot;
        r
    };
    let (r, on_spot, special) = (new_report(false), new_report(true), new_report(false));
    let insert = |r: &Report| Effect::InsertReport(Box::new(r.clone().into()));
    push(
        s,
        &reference,
        &d,
        vec![
            (1, insert(&r)),
            (2, insert(&on_spot)),
            (3, insert(&special)),
        ],
    )
    .await;
    // PostgreSQL keeps microseconds.
    let t0 = Utc::now().trunc_subsecs(6);
    let mut clock = 0;
    let mut step = |id: ReportId, by: UserId, action: Action, seen: CaseState| {
        clock += 1;
        StepRequest {
            report: id,
            action,
            seen: Some(seen),
            by: Author::person(by),
            at: t0 + TimeDelta::minutes(clock),
            task: None,
            department_seen: None,
        }
    };
    let go = |req: StepRequest| {
        let reference = Arc::clone(&reference);
        async move {
            match s.step(&req, reference).await.unwrap() {
                Stepped::Done { state, .. } => state,
                Stepped::Refused(why) => panic!("{:?}: {}", req.action, why.english()),
            }
        }
    };
    let case = |id| async move {
        let item = s.console_reports_by_id(&[id]).await.unwrap().remove(0);
        (item.state, item.step_due_at, item.case.unwrap())
    };
    use CaseState as S;
    assert_eq!(
        go(step(r.id, operator.id, Action::approve(), S::PendingReview)).await,
        S::Registered
    );
    let (_, due, c) = case(r.id).await;
    assert!(due.is_some(), "派遣 has its deadline");
    assert_eq!(c.department, None);
    let dispatch = |department: &str| Action::Dispatch {
        department: department.into(),
    };
    assert_eq!(
        go(step(r.id, operator.id, dispatch("SZ"), S::Registered)).await,
        S::Dispatched
    );
    assert_eq!(
        go(step(r.id, clerk.id, Action::Accept, S::Dispatched)).await,
        S::InProgress
    );
    let (_, step_due, c) = case(r.id).await;
    assert!(c.accepted_at.is_some());
    assert_eq!(step_due, c.due_at, "the handling deadline is the step's");
    let first_due = c.due_at.unwrap();

    // 延期: one request at a time; approved, the deadline moves by the hours asked.
    let ask = Action::RequestExtension {
        hours: 7,
        reason: "需采购井盖".into(),
    };
    assert_eq!(
        go(step(r.id, clerk.id, ask.clone(), S::InProgress)).await,
        S::InProgress
    );
    let (_, _, c) = case(r.id).await;
    let waiting = c.extension.expect("a request waiting");
    assert_eq!(flagged(s, queue::QueueFlag::ExtensionAsked).await, [r.id]);
    assert_eq!((waiting.hours, waiting.reason.as_str()), (7, "需采购井盖"));
    assert_eq!(waiting.requested_by, Some(clerk.id));
    let again = s
        .step(
            &step(r.id, clerk.id, ask, S::InProgress),
            Arc::clone(&reference),
        )
        .await
        .unwrap();
    assert!(
        matches!(again, Stepped::Refused(ref m) if m.code == "case.extension_open"),
        "{again:?}"
    );
    let approve = Action::DecideExtension {
        approve: true,
        comment: Some("同意".into()),
    };
    assert_eq!(
        go(step(r.id, operator.id, approve, S::InProgress)).await,
        S::InProgress
    );
    let (_, step_due, c) = case(r.id).await;
    assert!(c.extension.is_none());
    let moved = c.due_at.unwrap();
    assert!(moved > first_due, "{moved} after {first_due}");
    assert_eq!(step_due, Some(moved));

    // 回退, then 派遣 again to another department.
    let bounce = Action::Bounce {
        reason: "属供水公司管辖".into(),
    };
    assert_eq!(
        go(step(r.id, clerk.id, bounce, S::InProgress)).await,
        S::Registered
    );
    let (_, _, c) = case(r.id).await;
    assert_eq!((c.department, c.due_at, c.accepted_at), (None, None, None));
    assert_eq!(flagged(s, queue::QueueFlag::Bounced).await, [r.id]);
    assert!(
        flagged(s, queue::QueueFlag::ExtensionAsked)
            .await
            .is_empty()
    );
    assert_eq!(
        go(step(r.id, operator.id, dispatch("GS"), S::Registered)).await,
        S::Dispatched
    );
    assert_eq!(
        go(step(r.id, operator.id, dispatch("SZ"), S::Dispatched)).await,
        S::Dispatched
    );
    // 改派 keeps the state: what GS's clerk decided on a page still showing the case as
    // theirs is refused (and so is a second 改派 made from the same page).
    let stale = StepRequest {
        department_seen: Some("GS".into()),
        ..step(r.id, clerk.id, Action::Accept, S::Dispatched)
    };
    let refused = s.step(&stale, Arc::clone(&reference)).await.unwrap();
    assert!(
        matches!(refused, Stepped::Refused(ref m) if m.code == "case.department_changed"),
        "{refused:?}"
    );
    assert_eq!(case(r.id).await.2.accepted_at, None, "nothing changed");

    // 缓办 and resume.
    let until = (t0 + TimeDelta::days(3))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let suspend = Action::Suspend {
        reason: "待规划批复".into(),
        until,
    };
    assert_eq!(
        go(step(r.id, operator.id, suspend, S::Dispatched)).await,
        S::Suspended
    );
    let (_, step_due, c) = case(r.id).await;
    assert_eq!(step_due, None, "the clock stops");
    let held = c.suspension.expect("suspended");
    assert_eq!((held.from, held.resume_on), (S::Dispatched, until));
    assert_eq!(
        go(step(r.id, operator.id, Action::Resume, S::Suspended)).await,
        S::Dispatched
    );
    let (_, step_due, c) = case(r.id).await;
    assert!(c.suspension.is_none());
    assert!(step_due.is_some());

    // Handled, then voided with the verification task open: the task is closed undecided.
    // A request for more time still waiting goes with the handling: nothing is left to
    // extend, and a rework round starts with a deadline of its own.
    let more = Action::RequestExtension {
        hours: 4,
        reason: "等待备件".into(),
    };
    assert_eq!(
        go(step(r.id, clerk.id, more, S::Dispatched)).await,
        S::Dispatched
    );
    assert!(case(r.id).await.2.extension.is_some());
    let handled = Action::Handled {
        note: Some("已更换井盖".into()),
        photos: vec![],
    };
    assert_eq!(
        go(step(r.id, clerk.id, handled, S::Dispatched)).await,
        S::Handled
    );
    let (_, _, c) = case(r.id).await;
    assert!(c.handled_at.is_some());
    assert!(c.extension.is_none(), "withdrawn when handled");
    let tasks = s.report_tasks(r.id).await.unwrap();
    assert_eq!(
        (tasks.len(), tasks[0].kind, tasks[0].done_at),
        (1, TaskKind::Verify, None)
    );
    let void = Action::Void {
        reason: "重复立案".into(),
    };
    assert_eq!(
        go(step(r.id, operator.id, void, S::Handled)).await,
        S::Rejected
    );
    let (_, step_due, c) = case(r.id).await;
    assert!(c.voided_at.is_some());
    assert_eq!(step_due, None);
    let tasks = s.report_tasks(r.id).await.unwrap();
    assert!(
        tasks[0].done_at.is_some() && tasks[0].passed.is_none(),
        "{tasks:?}"
    );
    let trail: Vec<String> = s
        .case_events(r.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        trail,
        [
            "approve",
            "dispatch",
            "accept",
            "request_extension",
            "approve_extension",
            "bounce",
            "dispatch",
            "redispatch",
            "suspend",
            "resume",
            "request_extension",
            "handled",
            "void"
        ]
    );

    // 自处理: from 立案 to the leader's check, closed as fixed on the spot.
    assert_eq!(
        go(step(
            on_spot.id,
            operator.id,
            Action::approve(),
            S::PendingReview
        ))
        .await,
        S::Handled
    );
    let pass = Action::Verify {
        passed: true,
        note: Some("照片可见已清理".into()),
    };
    assert_eq!(
        go(step(on_spot.id, operator.id, pass, S::Handled)).await,
        S::Closed
    );
    let (_, _, c) = case(on_spot.id).await;
    assert_eq!((c.closure, c.department), (Some(Closure::OnSpot), None));
    assert!(
        s.report_tasks(on_spot.id).await.unwrap().is_empty(),
        "no task for the inspector"
    );

    // 特殊结案.
    assert_eq!(
        go(step(
            special.id,
            operator.id,
            Action::approve(),
            S::PendingReview
        ))
        .await,
        S::Registered
    );
    let close = Action::CloseSpecial {
        reason: "已纳入改造工程".into(),
    };
    assert_eq!(
        go(step(special.id, operator.id, close, S::Registered)).await,
        S::Closed
    );
    let (_, _, c) = case(special.id).await;
    assert_eq!(c.closure, Some(Closure::Special));
    done(schema).await;
}

/// A hotline call as its port's system sends it, at the demo inspector's cell.
fn hotline_call(caller_ref: &str, description: &str) -> gridwalk_protocol::intake::IntakeRequest {
    let now = Utc::now();
    serde_json::from_value(serde_json::json!({
        "caller_ref": caller_ref,
        "kind": "event",
        "category": "0507",
        "description": description,
        "address": "蓬江区建设路",
        "location": {
            "lon": 113.0631, "lat": 22.5983, "crs": "WGS84", "accuracy_m": 20.0,
            "fix_time": now, "provider": "manual"
        },
        "observed_at": now - TimeDelta::minutes(5),
    }))
    .unwrap()
}

/// A port's filing of `req` under `key`, decided as the service decides it.
fn filing(
    port: &Device,
    reference: &Reference,
    key: &str,
    req: &gridwalk_protocol::intake::IntakeRequest,
) -> gridwalk_sync::domain::ports::Filing {
    use gridwalk_sync::domain::ports;
    let now = Utc::now();
    ports::Filing {
        port: port.clone(),
        source: gridwalk_protocol::intake::Source::Hotline12345,
        key: key.to_owned(),
        request_sha256: ports::request_sha256(req),
        caller_ref: req.caller_ref.clone(),
        placed: ports::report_of(req, ReportId::new(), port, reference, 1 << 25, now).unwrap(),
        at: now,
    }
}

async fn a_port_files_each_call_once_even_when_it_arrives_twice_at_once(backend: Backend) {
    use gridwalk_sync::domain::ports::Filed;
    let (store, reference, schema, _dir) = store(backend).await;
    // With the grid, as the service has it: the check goes to the cell's inspector.
    let (_, cells) = store.all_cells(None).await.unwrap();
    let grid = Reference::parse_grid(&cells.unwrap()).unwrap();
    let reference = Arc::new((*reference).clone().with_grid(Arc::new(grid)));
    let port = device_of(store.as_ref(), "hotline12345").await;
    let other = device_of(store.as_ref(), "suishoupai").await;
    let call = hotline_call("12345-0001", "垃圾堆放");
    // Eight copies of one call at the same moment: one report, the others its replays.
    let copies = (0..8).map(|_| {
        let (s, r) = (Arc::clone(&store), Arc::clone(&reference));
        let f = filing(&port, &reference, "key-1", &call);
        tokio::spawn(async move { s.file_report(f, r).await.unwrap() })
    });
    let answers: Vec<Filed> = futures_util::future::join_all(copies)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let made: Vec<_> = answers
        .iter()
        .filter_map(|a| match a {
            Filed::Made(a) => Some(a.report),
            _ => None,
        })
        .collect();
    assert_eq!(made.len(), 1, "{answers:?}");
    for a in &answers {
        match a {
            Filed::Made(a) | Filed::Replayed(a) => {
                assert_eq!(a.report, made[0]);
                assert_eq!(a.state, CaseState::AwaitingCheck);
            }
            other => panic!("{other:?}"),
        }
    }
    let held = store.report(made[0]).await.unwrap().unwrap();
    assert_eq!(held.state, CaseState::AwaitingCheck);
    // The key with another request, and the reference under another key, are refused.
    let changed = hotline_call("12345-0001", "另一件事");
    assert_eq!(
        store
            .file_report(
                filing(&port, &reference, "key-1", &changed),
                Arc::clone(&reference)
            )
            .await
            .unwrap(),
        Filed::KeyReused { report: made[0] }
    );
    assert_eq!(
        store
            .file_report(
                filing(&port, &reference, "key-2", &call),
                Arc::clone(&reference)
            )
            .await
            .unwrap(),
        Filed::CallerRefTaken { report: made[0] }
    );
    // Another port's key and reference are its own.
    let theirs = store
        .file_report(
            filing(&other, &reference, "key-1", &call),
            Arc::clone(&reference),
        )
        .await
        .unwrap();
    let Filed::Made(theirs) = theirs else {
        panic!("{theirs:?}")
    };
    assert_ne!(theirs.report, made[0]);
    // Each check went to the cell's inspector, the least busy first (here the only one).
    let tasks = store.report_tasks(made[0]).await.unwrap();
    assert_eq!(tasks.len(), 1);
    let inspector = store.user_by_login("lixiaoming").await.unwrap().unwrap();
    assert_eq!(tasks[0].assignee, inspector.id);
    assert_eq!(tasks[0].case_no, None);
    // The port reads its own report, not another's.
    assert!(
        store
            .port_report(port.user, made[0])
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .port_report(other.user, made[0])
            .await
            .unwrap()
            .is_none()
    );
    // The port claimed no place: the centre's is the only one.
    let item = store.console_reports_by_id(&[made[0]]).await.unwrap();
    assert_eq!(item[0].claim, None);
    assert_eq!(
        item[0].source,
        gridwalk_protocol::intake::Source::Hotline12345
    );

    // The operator refuses it before the check: the inspector's check task is withdrawn.
    let operator = store.user_by_login("sunyue").await.unwrap().unwrap();
    let step = |report: ReportId, action: Action| StepRequest {
        report,
        action,
        seen: Some(CaseState::AwaitingCheck),
        by: Author::person(operator.id),
        at: Utc::now(),
        task: None,
        department_seen: None,
    };
    let reject = Action::Reject {
        reason: "重复来电".into(),
    };
    let rejected = store
        .step(&step(made[0], reject), Arc::clone(&reference))
        .await
        .unwrap();
    assert!(
        matches!(
            rejected,
            Stepped::Done {
                state: CaseState::Rejected,
                ..
            }
        ),
        "{rejected:?}"
    );
    let tasks = store.report_tasks(made[0]).await.unwrap();
    assert!(
        tasks[0].done_at.is_some() && tasks[0].passed.is_none(),
        "{tasks:?}"
    );

    // A call placed in no cell: no one to check it, still due, and the centre takes it
    // without the check (立案).
    let mut far = hotline_call("12345-0002", "郊外道路塌陷");
    far.location.lon = 113.5;
    far.location.lat = 22.9;
    let Filed::Made(far) = store
        .file_report(
            filing(&port, &reference, "key-3", &far),
            Arc::clone(&reference),
        )
        .await
        .unwrap()
    else {
        panic!("filed")
    };
    assert_eq!((far.cell.as_deref(), far.check_task), (None, None));
    assert!(far.check_due_at.is_some(), "the centre owes the check");
    let taken = store
        .step(&step(far.report, Action::approve()), Arc::clone(&reference))
        .await
        .unwrap();
    assert!(
        matches!(
            taken,
            Stepped::Done {
                state: CaseState::Registered,
                case_no: Some(_)
            }
        ),
        "{taken:?}"
    );
    done(schema).await;
}

on_every_backend!(
    people_devices_and_sessions,
    a_push_is_applied_once_in_order_and_a_gap_writes_nothing,
    likely_duplicates_are_marked_within_a_push_and_across_pushes,
    a_photos_arrival_completes_its_report_with_an_event,
    versions_steps_and_the_feed,
    the_evaluation_reads_the_periods_reports_and_the_cases_due_in_it,
    work_queues_filter_order_page_and_search,
    corrections_duplicate_warnings_and_merges_all_or_none,
    the_loops_branches,
    a_port_files_each_call_once_even_when_it_arrives_twice_at_once,
);
