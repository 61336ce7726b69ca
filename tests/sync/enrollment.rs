//! Enrolling a tablet with a one-time code, over real HTTP on both backends: a team leader
//! makes a code in the console, a real engine reads it from a camera picture of the QR code,
//! redeems it and syncs; a code is refused when it is unknown, used or expired, and a leader
//! makes none for another team's inspector; two tablets racing for one code give one device;
//! wrong codes from one address are stopped past the sign-in limit.
#![allow(clippy::unwrap_used)]

use gridwalk_field::{Engine, FieldConfig, Reference};
use gridwalk_protocol::ApiError;
use gridwalk_protocol::enrollment::{CodeRequest, EnrollmentCode};
use gridwalk_sync::domain::access::MAX_FAILURES_PER_ADDRESS;
use gridwalk_sync::services::admin::{self, Actor};
use gridwalk_system_tests::*;
use serde_json::json;

const LEADER: &str = "chenjianguo";
const OTHER_LEADER: &str = "linzhiyuan";
const PASSWORD: &str = "correct horse battery";

/// An engine nobody has signed in on yet.
fn fresh_engine(dir: &std::path::Path) -> Engine {
    Engine::open(FieldConfig::new(dir), Reference::load(&fixtures()).unwrap()).unwrap()
}

async fn console(s: &Server, login: &str) -> String {
    console_session(s, login, PASSWORD).await
}

/// `POST /v1/console/enrollment-codes` for `login`, as the session `session`.
async fn ask_code(s: &Server, session: &str, login: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/console/enrollment-codes", s.url))
        .bearer_auth(session)
        .json(&json!({ "login": login, "server": s.url }))
        .send()
        .await
        .unwrap()
}

/// `POST /v1/enroll` with `code` for a new device with a real key.
async fn redeem(s: &Server, code: &str) -> reqwest::Response {
    let dir = tempfile::tempdir().unwrap();
    let engine = fresh_engine(dir.path());
    reqwest::Client::new()
        .post(format!("{}/v1/enroll", s.url))
        .json(&json!({
            "code": code,
            "device": engine.device_id(),
            "public_key": engine.public_key().unwrap(),
        }))
        .send()
        .await
        .unwrap()
}

async fn refusal(resp: reqwest::Response, status: u16) -> ApiError {
    assert_eq!(resp.status(), status);
    resp.json().await.unwrap()
}

async fn a_leader_shows_a_code_and_the_tablet_scans_it_and_syncs(backend: Backend) {
    let s = server(backend).await;
    let session = console(&s, LEADER).await;
    let resp = ask_code(&s, &session, INSPECTOR).await;
    assert_eq!(resp.status(), 200);
    let code: EnrollmentCode = resp.json().await.unwrap();
    assert_eq!(code.login, INSPECTOR);
    assert!(code.svg.starts_with("<?xml") && code.svg.contains("<svg"));
    assert!(
        code.payload
            .starts_with("gridwalk://enroll?server=http%3A%2F%2F127.0.0.1")
    );
    let minutes = (code.expires_at - chrono::Utc::now()).num_minutes();
    assert!((13..=15).contains(&minutes), "{minutes}");

    let dir = tempfile::tempdir().unwrap();
    let engine = fresh_engine(dir.path());
    let who = engine
        .enroll_with_picture(&qr_jpeg(&code.payload, 8))
        .await
        .unwrap();
    assert_eq!(who.login, INSPECTOR);
    assert_eq!(
        engine.server_url().unwrap().as_deref(),
        Some(s.url.as_str())
    );
    // The key is bound already, and the device syncs with the token it got.
    capture(&engine, &[fixtures().join("photos/orient-1.jpg")], RUBBISH);
    let client =
        gridwalk_field::sync::SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(done.sent, 1);
    assert_eq!(s.store.report_count().await.unwrap(), 1);

    // The act is in the audit trail as the leader's, and the code is spent.
    let acts = s.store.admin_acts(10).await.unwrap();
    let enrolled = acts.iter().find(|a| a.action == "enroll_device").unwrap();
    assert_eq!(enrolled.actor, LEADER);
    assert_eq!(enrolled.subject, engine.device_id().to_string());
    assert!(
        acts.iter()
            .any(|a| a.action == "enrollment_code" && a.subject == INSPECTOR)
    );
    let again = refusal(redeem(&s, &code.code).await, 409).await;
    assert_eq!(again.code, "enroll.code_used");
    s.finish().await;
}

async fn unknown_expired_and_foreign_codes_change_nothing(backend: Backend) {
    let s = server(backend).await;
    let unknown = refusal(redeem(&s, "0000-0000-0000-0000-0000").await, 404).await;
    assert_eq!(unknown.code, "enroll.code_unknown");
    let malformed = refusal(redeem(&s, "1234").await, 400).await;
    assert_eq!(malformed.code, "enroll.code_malformed");

    // A code made twenty minutes ago has expired.
    let req = CodeRequest {
        login: INSPECTOR.into(),
        server: s.url.clone(),
        minutes: None,
    };
    let old = chrono::Utc::now() - chrono::Duration::minutes(20);
    let stale = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, old)
        .await
        .unwrap();
    let expired = refusal(redeem(&s, &stale.code).await, 410).await;
    assert_eq!(expired.code, "enroll.code_expired");

    // A leader makes codes for their own team only; an operator, none; nor for a leader.
    let other = console(&s, OTHER_LEADER).await;
    let foreign = refusal(ask_code(&s, &other, INSPECTOR).await, 403).await;
    assert_eq!(foreign.code, "enroll.not_your_team");
    let operator = console(&s, "sunyue").await;
    refusal(ask_code(&s, &operator, INSPECTOR).await, 403).await;
    let admin_session = console(&s, "guanliyuan").await;
    let not_inspector = refusal(ask_code(&s, &admin_session, LEADER).await, 403).await;
    assert_eq!(not_inspector.code, "access.role_may_not");
    assert_eq!(ask_code(&s, &admin_session, "zhaomin").await.status(), 200);

    // None of it enrolled anything.
    assert!(s.store.devices().await.unwrap().is_empty());
    s.finish().await;
}

async fn two_tablets_racing_for_one_code_give_one_device(backend: Backend) {
    let s = server(backend).await;
    let req = CodeRequest {
        login: INSPECTOR.into(),
        server: s.url.clone(),
        minutes: Some(5),
    };
    let code = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, chrono::Utc::now())
        .await
        .unwrap();
    let answers = futures_util::future::join_all((0..6).map(|_| redeem(&s, &code.code))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409]);
    assert_eq!(s.store.devices().await.unwrap().len(), 1);
    s.finish().await;
}

async fn guessing_codes_is_stopped_per_address(backend: Backend) {
    let s = server(backend).await;
    let req = CodeRequest {
        login: INSPECTOR.into(),
        server: s.url.clone(),
        minutes: None,
    };
    let good = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, chrono::Utc::now())
        .await
        .unwrap();
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let guess = format!("{i:020}");
        assert_eq!(redeem(&s, &guess).await.status(), 404);
    }
    // Past the limit even the right code waits for the window to pass.
    let locked = refusal(redeem(&s, &good.code).await, 429).await;
    assert_eq!(locked.code, "enroll.locked");
    assert!(s.store.devices().await.unwrap().is_empty());
    // The codes' count is their own: a console user behind the same address still signs
    // in (one proxy in front of the centre makes every user one address).
    console_session(&s, "chenjianguo", "lamps-at-night-7").await;
    s.finish().await;
}

async fn a_replaced_tablet_still_holding_reports_is_named(backend: Backend) {
    let s = server(backend).await;
    // The old tablet said, when last heard from, that it still held three reports.
    let old_dir = tempfile::tempdir().unwrap();
    let old = fresh_engine(old_dir.path());
    let token = admin::enroll_device(s.store.as_ref(), INSPECTOR, old.device_id())
        .await
        .unwrap();
    let backlog = gridwalk_protocol::PushRequest {
        device: old.device_id(),
        app_version: "test".into(),
        device_model: None,
        queue: gridwalk_protocol::QueueStats {
            reports: 3,
            photos: 2,
            bytes: 4096,
        },
        mutations: vec![],
        public_key: None,
    };
    assert_eq!(post_push(&s, &token, &backlog).await.status(), 200);

    let req = CodeRequest {
        login: INSPECTOR.into(),
        server: s.url.clone(),
        minutes: None,
    };
    let code = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, chrono::Utc::now())
        .await
        .unwrap();
    let new_dir = tempfile::tempdir().unwrap();
    let new = fresh_engine(new_dir.path());
    new.enroll_with_code(&s.url, &code.code.to_lowercase())
        .await
        .unwrap();
    let acts = s.store.admin_acts(10).await.unwrap();
    let enrolled = acts
        .iter()
        .find(|a| a.action == "enroll_device" && a.subject == new.device_id().to_string())
        .unwrap();
    let detail = enrolled.detail.as_deref().unwrap();
    assert!(
        detail.contains(&format!("device {} still held 3 reports", old.device_id())),
        "{detail}"
    );
    // The leader's device board holds both, the old one with its backlog (the console
    // draws the warning from these rows: ui/src/console/enroll.ts).
    let session = console(&s, LEADER).await;
    let rows: Vec<gridwalk_protocol::console::DeviceRow> = reqwest::Client::new()
        .get(format!("{}/v1/console/devices", s.url))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let of = |id| rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(of(old.device_id()).queue.reports, 3);
    assert!(of(new.device_id()).enrolled_at > of(old.device_id()).enrolled_at);
    s.finish().await;
}

/// A code is for one inspector: it does not take another inspector's tablet (device IDs
/// are no secret), and disabling its inspector cancels it.
async fn a_code_takes_no_ones_tablet_and_dies_with_its_holder(backend: Backend) {
    let s = server(backend).await;
    let req = CodeRequest {
        login: INSPECTOR.into(),
        server: s.url.clone(),
        minutes: None,
    };
    // 赵敏's tablet, enrolled the usual way.
    let theirs_dir = tempfile::tempdir().unwrap();
    let theirs = fresh_engine(theirs_dir.path());
    admin::enroll_device(s.store.as_ref(), "zhaomin", theirs.device_id())
        .await
        .unwrap();
    let code = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, chrono::Utc::now())
        .await
        .unwrap();
    let taken = reqwest::Client::new()
        .post(format!("{}/v1/enroll", s.url))
        .json(&json!({
            "code": code.code,
            "device": theirs.device_id(),
            "public_key": theirs.public_key().unwrap(),
        }))
        .send()
        .await
        .unwrap();
    let refused = refusal(taken, 409).await;
    assert_eq!(refused.code, "enroll.device_other");
    let devices = s.store.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].login, "zhaomin");
    // The code was not spent on the refusal: the inspector's own tablet still takes it.
    assert_eq!(redeem(&s, &code.code).await.status(), 200);

    // A code made, then its inspector disabled: refused, nothing enrolled.
    let code = admin::enrollment_code(s.store.as_ref(), Actor::Cli, &req, chrono::Utc::now())
        .await
        .unwrap();
    admin::disable_user(s.store.as_ref(), INSPECTOR)
        .await
        .unwrap();
    let refused = refusal(redeem(&s, &code.code).await, 403).await;
    assert_eq!(refused.code, "enroll.code_holder_disabled");
    assert_eq!(s.store.devices().await.unwrap().len(), 2);
    s.finish().await;
}

on_every_backend!(
    a_code_takes_no_ones_tablet_and_dies_with_its_holder,
    a_replaced_tablet_still_holding_reports_is_named,
    a_leader_shows_a_code_and_the_tablet_scans_it_and_syncs,
    unknown_expired_and_foreign_codes_change_nothing,
    two_tablets_racing_for_one_code_give_one_device,
    guessing_codes_is_stopped_per_address,
);
