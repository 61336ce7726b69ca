//! Push end to end: a real server on port 0 over a real case store — every scenario runs
//! once on SQLite and once on PostgreSQL — a real field engine capturing offline, and real
//! HTTP between them. PostgreSQL is `GRIDWALK_TEST_PG` (default: the local `test` database);
//! each test gets a schema of its own and drops it when it passes.
#![allow(clippy::unwrap_used)]

use gridwalk_field::sync::SyncClient;
use gridwalk_field::{Engine, ReportState};
use gridwalk_protocol::{ApiError, Outcome, PushRequest, PushResponse, QueueStats};
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;

fn request(engine: &Engine) -> PushRequest {
    let q = engine.queue_summary().unwrap();
    PushRequest {
        device: engine.device_id(),
        app_version: "test".into(),
        device_model: None,
        queue: QueueStats {
            reports: q.pending_reports,
            photos: q.pending_photos,
            bytes: q.pending_bytes,
        },
        mutations: engine.pending_mutations(100).unwrap(),
        public_key: Some(engine.public_key().unwrap()),
    }
}

async fn reports_arrive_exactly_once_and_repeats_get_the_same_answer(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 5);
    let token = admin::enroll_device(s.store.as_ref(), "lixiaoming", engine.device_id())
        .await
        .unwrap();

    let req = request(&engine);
    let first: PushResponse = post_push(&s, &token, &req).await.json().await.unwrap();
    assert_eq!(first.last_applied, 5);
    assert!(
        first.results.iter().all(|r| r.outcome == Outcome::Applied),
        "{first:?}"
    );
    assert_eq!(s.store.report_count().await.unwrap(), 5);

    // The answer was lost; the device sends the same batch again.
    let again: PushResponse = post_push(&s, &token, &req).await.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(
        s.store.report_count().await.unwrap(),
        5,
        "nothing duplicated"
    );

    // All five are street rubbish at the same spot, minutes apart: the first one received
    // stands; each later one is marked a likely duplicate of the earliest.
    let first_id = req.mutations[0].body.submitted().unwrap().id;
    for (i, m) in req.mutations.iter().enumerate() {
        let report = m.body.submitted().unwrap();
        let stored = s.store.report(report.id).await.unwrap().unwrap();
        assert_eq!(stored.report, *report);
        assert_eq!(
            stored.duplicate_of,
            (i > 0).then_some(first_id),
            "report {i}"
        );
        let expected = if report.photos.is_empty() {
            "pending_review"
        } else {
            "awaiting_photos"
        };
        assert_eq!(stored.state.as_str(), expected);
    }
    let health: serde_json::Value = reqwest::get(format!("{}/healthz", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["reports"], 5);

    // The same report under new numbers: acknowledged when identical, refused when not.
    let mut again = req.clone();
    again.mutations.truncate(2);
    again.mutations[0].id = 6;
    again.mutations[1].id = 7;
    let gridwalk_protocol::MutationBody::SubmitReport { report } = &mut again.mutations[1].body
    else {
        panic!("a submission")
    };
    report.description = "changed after sending".into();
    // The device itself sends them, so it signs them as they now are.
    for m in &mut again.mutations {
        engine.sign(m).unwrap();
    }
    let resp: PushResponse = post_push(&s, &token, &again).await.json().await.unwrap();
    assert_eq!(resp.last_applied, 7);
    assert_eq!(resp.results[0].outcome, Outcome::Applied);
    let Outcome::Rejected { reason, .. } = &resp.results[1].outcome else {
        panic!("{:?}", resp.results[1])
    };
    assert!(
        reason.contains("was already received with different content"),
        "{reason}"
    );
    assert_eq!(s.store.report_count().await.unwrap(), 5);

    // The device says its model; the board names it so, and keeps it when a later push
    // (an older app) does not say.
    let model = |board: Vec<gridwalk_protocol::console::DeviceRow>| board[0].model.clone();
    let says = PushRequest {
        device_model: Some("HUAWEI BAH3-W09".into()),
        mutations: vec![],
        ..req.clone()
    };
    post_push(&s, &token, &says)
        .await
        .error_for_status()
        .unwrap();
    let named = Some("HUAWEI BAH3-W09".to_owned());
    assert_eq!(model(s.store.device_board().await.unwrap()), named);
    let silent = PushRequest {
        device_model: None,
        ..says
    };
    post_push(&s, &token, &silent)
        .await
        .error_for_status()
        .unwrap();
    assert_eq!(model(s.store.device_board().await.unwrap()), named);
    assert_eq!(s.store.devices().await.unwrap()[0].model, named);
    s.finish().await;
}

async fn gaps_are_refused_and_strangers_are_turned_away(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 3);
    let token = admin::enroll_device(s.store.as_ref(), "lixiaoming", engine.device_id())
        .await
        .unwrap();

    let mut req = request(&engine);
    req.mutations.remove(0);
    let resp = post_push(&s, &token, &req).await;
    assert_eq!(resp.status(), 409);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!((err.error.as_str(), err.expected), ("gap", Some(1)));
    assert_eq!(
        s.store.report_count().await.unwrap(),
        0,
        "a refused batch writes nothing"
    );

    let mut holey = request(&engine);
    holey.mutations.remove(1);
    let resp = post_push(&s, &token, &holey).await;
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(
        err.message,
        "the push's mutation numbers are not valid: mutation 3 follows 1: a batch must be consecutive"
    );
    assert_eq!(err.code, "intake.push_numbers");

    let resp = reqwest::Client::new()
        .post(format!("{}/v1/push", s.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"device": 42}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.error, "bad_request");
    assert!(err.message.contains("device"), "{}", err.message);

    let resp = post_push(&s, "not-a-token", &request(&engine)).await;
    assert_eq!(resp.status(), 401);

    let mut other = request(&engine);
    other.device = gridwalk_protocol::DeviceId::new();
    let resp = post_push(&s, &token, &other).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(s.store.report_count().await.unwrap(), 0);
    s.finish().await;
}

async fn a_report_that_breaks_the_rules_is_rejected_in_words_and_the_queue_moves_on(
    backend: Backend,
) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 2);
    // Enrolled for another inspector: the reports name the wrong reporter.
    let token = enroll_for_another_inspector(&s, &engine).await;
    let resp: PushResponse = post_push(&s, &token, &request(&engine))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        resp.last_applied, 2,
        "rejected mutations are answered and passed"
    );
    for r in &resp.results {
        let Outcome::Rejected { reason, .. } = &r.outcome else {
            panic!("{r:?}")
        };
        assert!(
            reason.contains("but this device is enrolled for"),
            "{reason}"
        );
    }
    assert_eq!(s.store.report_count().await.unwrap(), 0);
    s.finish().await;
}

async fn the_engine_syncs_its_outbox_and_settles_every_answer(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 4);
    let token = admin::enroll_device(s.store.as_ref(), "lixiaoming", engine.device_id())
        .await
        .unwrap();

    // No server configured yet: a clear error, nothing touched.
    assert!(engine.sync_settings().unwrap().is_none());
    assert!(!engine.sync_status().unwrap().configured);

    // Server down: the error is recorded in words, nothing local is lost.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    engine.configure_sync(&dead_url, &token).unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let err = engine.sync_once(&client, "test").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot reach the server"),
        "{err}"
    );
    let status = engine.sync_status().unwrap();
    assert_eq!(
        (status.failures, status.last_error.as_deref()),
        (1, Some(err.to_string().as_str()))
    );
    assert_eq!(status.last_error_kind.as_deref(), Some("network"));
    assert_eq!(engine.queue_summary().unwrap().pending_reports, 4);

    // The server comes back.
    engine.configure_sync(&s.url, &token).unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!((done.sent, done.rejected), (4, 0));
    assert_eq!(s.store.report_count().await.unwrap(), 4);
    let q = engine.queue_summary().unwrap();
    assert_eq!(q.pending_reports, 0);
    // The first report's photo followed its record.
    assert_eq!(q.pending_photos, 0);
    assert_eq!(done.photos.uploaded, 1);
    assert_eq!(engine.reports(ReportState::Sent).unwrap().len(), 4);
    let status = engine.sync_status().unwrap();
    assert_eq!((status.failures, status.last_error), (0, None));
    assert_eq!(status.last_error_kind, None);
    assert!(status.last_success_at.is_some());

    // Nothing left: a second sync sends nothing.
    assert_eq!(engine.sync_once(&client, "test").await.unwrap().sent, 0);
    assert_eq!(s.store.report_count().await.unwrap(), 4);
    s.finish().await;
}

async fn a_refused_report_comes_back_with_the_reason_and_a_bad_token_says_so(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);

    engine.configure_sync(&s.url, "wrong-token").unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let err = engine.sync_once(&client, "test").await.unwrap_err();
    assert!(
        matches!(err, gridwalk_field::Error::Unauthorized),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    // Enrolled for someone else: the centre refuses, and says why.
    let token = enroll_for_another_inspector(&s, &engine).await;
    engine.configure_sync(&s.url, &token).unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!((done.sent, done.rejected), (0, 1));
    let rejected = engine.reports(ReportState::Rejected).unwrap();
    // The refusal reaches the tablet as a code with its parameters, for the tablet to say
    // in Chinese; the English stays readable for the logs.
    let note = rejected[0].centre_note.as_ref().unwrap();
    assert_eq!(note.code, "intake.reporter_mismatch", "{note:?}");
    assert!(note.params.contains_key("enrolled"), "{note:?}");
    assert!(note.english().contains("enrolled for"), "{note}");
    assert!(engine.configure_sync("ftp://x", "t").is_err());
    s.finish().await;
}

async fn the_device_keeps_trying_with_backoff_until_the_server_is_back(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let engine = std::sync::Arc::new(device_with_reports(dir.path(), 3));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The server comes up later, with this device enrolled under this token.
    let listener_later = async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap()
    };
    let token = gridwalk_sync::auth::new_token();
    let client = connect(&engine, &format!("http://127.0.0.1:{port}"), &token);
    let policy = gridwalk_field::sync::RetryPolicy {
        base: std::time::Duration::from_millis(20),
        cap: std::time::Duration::from_millis(100),
        max_failures: None,
    };
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let looping = {
        let (engine, wake) = (std::sync::Arc::clone(&engine), std::sync::Arc::clone(&wake));
        tokio::spawn(async move {
            engine
                .sync_until_done(&client, "test", policy, Some(&wake))
                .await
        })
    };
    let server_dir = tempfile::tempdir().unwrap();
    let (store, pg_schema) = case_store(backend, server_dir.path()).await;
    store
        .enroll_device(
            engine.device_id(),
            store.user_by_login(INSPECTOR).await.unwrap().unwrap().id,
            &gridwalk_sync::auth::token_hash(&token),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let s = serve(
        store,
        pg_schema,
        server_dir,
        gridwalk_sync::services::uploads::UploadSettings::default(),
        listener_later.await,
    );
    let failures_before = engine.sync_status().unwrap().failures;
    assert!(failures_before >= 2, "it kept trying: {failures_before}");
    wake.notify_one();
    let done = looping.await.unwrap().unwrap();
    assert_eq!((done.sent, done.photos.uploaded), (3, 1));
    let status = engine.sync_status().unwrap();
    assert_eq!((status.failures, status.last_error), (0, None));
    assert_eq!(s.store.report_count().await.unwrap(), 3);
    s.finish().await;
}

/// The OpenAPI document covers every route and the wire types, and its schemas accept what
/// the server really sends.
#[tokio::test]
async fn openapi_json_describes_every_route() {
    let s = server(Backend::Sqlite).await;
    let doc: serde_json::Value = reqwest::get(format!("{}/openapi.json", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/healthz", "get"),
        ("/v1/push", "post"),
        ("/v1/photos/needed", "post"),
        ("/v1/changes", "get"),
        ("/v1/uploads/", "options"),
        ("/v1/uploads/", "post"),
        ("/v1/uploads/{id}", "head"),
        ("/v1/uploads/{id}", "patch"),
        ("/v1/uploads/{id}", "delete"),
        ("/v1/console/session", "post"),
        ("/v1/console/reports", "get"),
        ("/v1/console/reports/{id}", "get"),
        ("/v1/console/reports/{id}/actions", "post"),
        ("/v1/console/conflicts/{id}/resolve", "post"),
        ("/v1/console/evaluation", "get"),
        ("/v1/console/devices", "get"),
        ("/v1/console/health", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "PushRequest",
        "PushResponse",
        "Report",
        "Outcome",
        "ApiError",
        "PhotoNeed",
        "ChangesPage",
        "Change",
        "CentralReport",
        "CaseState",
        "ReportPatch",
        "ConsoleReport",
        "ReportDetail",
        "ActionRequest",
        "Evaluation",
        "IntakeHealth",
    ] {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
    // The report schema names the fields a report really has.
    let dir = tempfile::tempdir().unwrap();
    let req = request(&device_with_reports(dir.path(), 1));
    let report = serde_json::to_value(req.mutations[0].body.submitted().unwrap()).unwrap();
    let props = schemas["Report"]["properties"].as_object().unwrap();
    for key in report.as_object().unwrap().keys() {
        assert!(props.contains_key(key), "Report schema lacks {key}");
    }
    assert!(doc["components"]["securitySchemes"]["device"].is_object());
    assert!(doc["components"]["securitySchemes"]["console"].is_object());
    s.finish().await;
}

/// The app's sign-in: `GET /v1/me` names the token's user, and the engine keeps them with
/// the server; a bad address, an unknown token or a token for another device change
/// nothing on the device.
async fn a_device_signs_in_with_its_token_and_nothing_else_does(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(
        gridwalk_field::FieldConfig::new(dir.path()),
        gridwalk_field::Reference::load(&fixtures()).unwrap(),
    )
    .unwrap();
    let token = admin::enroll_device(s.store.as_ref(), INSPECTOR, engine.device_id())
        .await
        .unwrap();

    let unchanged = |engine: &Engine| {
        assert!(engine.inspector().unwrap().is_none());
        assert!(engine.sync_settings().unwrap().is_none());
    };
    let e = engine.enroll("centre.example", &token).await.unwrap_err();
    assert!(e.to_string().contains("not a server address"), "{e}");
    unchanged(&engine);
    let e = engine.enroll(&s.url, "not-a-token").await.unwrap_err();
    assert!(matches!(e, gridwalk_field::Error::Unauthorized), "{e}");
    unchanged(&engine);
    // A token enrolled for another device ID.
    let other = admin::enroll_device(
        s.store.as_ref(),
        INSPECTOR,
        gridwalk_protocol::DeviceId::new(),
    )
    .await
    .unwrap();
    let e = engine.enroll(&s.url, &other).await.unwrap_err();
    assert!(e.to_string().contains("issued for device"), "{e}");
    unchanged(&engine);
    // No server there at all.
    let e = engine
        .enroll("http://127.0.0.1:9", &token)
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    unchanged(&engine);

    let me = engine.enroll(&format!("{}/", s.url), &token).await.unwrap();
    assert_eq!(me.login, INSPECTOR);
    assert_eq!(me.name, "李晓明");
    assert_eq!(me.cells.len(), 3);
    assert_eq!(engine.inspector().unwrap(), Some(me.clone()));
    assert_eq!(engine.sync_settings().unwrap().unwrap().server_url, s.url);
    // The camera the centre issued becomes the default for clip references.
    assert!(engine.settings().unwrap().camera_serial.is_some());
    // Reports are now made in their name and go up with that token.
    capture(
        &engine,
        &[fixtures().join("photos/orient-1.jpg")],
        (gridwalk_protocol::Kind::Event, "0507"),
    );
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let done = engine.sync_once(&client, "test/enroll").await.unwrap();
    assert_eq!(done.sent, 1);
    s.finish().await;
}

/// Copies a closed engine's directory (its database, photos and secret file) as a backup
/// or a restore would.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn reopen(dir: &std::path::Path) -> Engine {
    Engine::open(
        gridwalk_field::FieldConfig::new(dir),
        gridwalk_field::Reference::load(&fixtures()).unwrap(),
    )
    .unwrap()
}

/// A tablet's database goes back in time (restored from a copy, or a power cut lost its
/// last writes after they were sent) and numbers new work again from where the copy
/// stopped. The centre must not answer those numbers as repeats (the tablet would delete
/// work the centre never saw): it refuses the push, naming the first reused number, and
/// the engine moves its queue on and sends again.
async fn a_tablet_restored_from_a_copy_moves_its_queue_and_loses_nothing(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(&s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    capture(&engine, &[], RUBBISH);
    assert_eq!(engine.sync_once(&client, "test").await.unwrap().sent, 1);
    // The copy is taken while mutation 2 is still queued.
    capture(&engine, &[], RUBBISH);
    drop((client, engine));
    copy_tree(dir.path(), backup.path());

    // Mutations 2 and 3 reach the centre; then the tablet is restored from the copy.
    let engine = reopen(dir.path());
    let client = connect(&engine, &s.url, &token);
    capture(&engine, &[], RUBBISH);
    assert_eq!(engine.sync_once(&client, "test").await.unwrap().sent, 2);
    drop((client, engine));
    std::fs::remove_dir_all(dir.path()).unwrap();
    copy_tree(backup.path(), dir.path());
    let engine = reopen(dir.path());
    let client = connect(&engine, &s.url, &token);
    capture(&engine, &[], RUBBISH);
    let queued = engine.pending_mutations(10).unwrap();
    assert_eq!(
        queued.iter().map(|m| m.id).collect::<Vec<_>>(),
        [2, 3],
        "2 as the centre has it, 3 new work under a number the centre used"
    );

    // Sent by hand, the centre refuses the push whole and says where to go on.
    let resp = post_push(&s, &token, &request(&engine)).await;
    assert_eq!(resp.status(), 409);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(
        (err.error.as_str(), err.reused, err.expected),
        (gridwalk_protocol::sync::NUMBER_REUSED, Some(3), Some(4)),
        "{}",
        err.message
    );
    assert_eq!(s.store.report_count().await.unwrap(), 3);

    // The engine settles 2 from the centre's record, moves 3 to 4, and the new report
    // arrives; later ones follow on.
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(
        (done.rejected, done.sent),
        (0, 2),
        "2 settled, then the moved one"
    );
    assert_eq!(s.store.report_count().await.unwrap(), 4);
    let new = queued[1].body.submitted().unwrap().id;
    assert!(s.store.report(new).await.unwrap().is_some());
    assert_eq!(engine.queue_summary().unwrap().pending_reports, 0);
    capture(&engine, &[], RUBBISH);
    assert_eq!(
        engine.pending_mutations(10).unwrap()[0].id,
        5,
        "numbering continues after the moved entries"
    );
    assert_eq!(engine.sync_once(&client, "test").await.unwrap().sent, 1);
    assert_eq!(s.store.report_count().await.unwrap(), 5);

    // The restored mutation 3, sent again as it was, is still not taken for the centre's 3.
    let resp = post_push(&s, &token, &push_of(&engine, vec![queued[1].clone()])).await;
    assert_eq!(resp.status(), 409);
    s.finish().await;
}

on_every_backend!(
    a_tablet_restored_from_a_copy_moves_its_queue_and_loses_nothing,
    the_device_keeps_trying_with_backoff_until_the_server_is_back,
    reports_arrive_exactly_once_and_repeats_get_the_same_answer,
    gaps_are_refused_and_strangers_are_turned_away,
    a_report_that_breaks_the_rules_is_rejected_in_words_and_the_queue_moves_on,
    the_engine_syncs_its_outbox_and_settles_every_answer,
    a_refused_report_comes_back_with_the_reason_and_a_bad_token_says_so,
    a_device_signs_in_with_its_token_and_nothing_else_does,
);
