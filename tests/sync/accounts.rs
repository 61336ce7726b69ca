//! Accounts at the centre over real HTTP, on both backends: sign-in is limited per login and
//! per address and logged; a new password ends the old sessions; a disabled person's devices
//! and sessions stop at once; a revoked device stops and comes back only when enrolled anew;
//! every administrative act is in the audit trail.
#![allow(clippy::unwrap_used)]

use gridwalk_protocol::ApiError;
use gridwalk_sync::domain::access::MAX_FAILURES_PER_LOGIN;
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;
use serde_json::json;

const LEADER: &str = "chenjianguo";
const PASSWORD: &str = "correct horse battery";

async fn sign_in(s: &Server, login: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/console/session", s.url))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn token_of(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// The status of `GET path` with `token` as the bearer.
async fn status(s: &Server, path: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}{path}", s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A console session's `GET /v1/console/me`.
async fn me(s: &Server, token: &str) -> u16 {
    status(s, "/v1/console/me", token).await
}

/// A device's `GET /v1/me`.
async fn device_me(s: &Server, token: &str) -> u16 {
    status(s, "/v1/me", token).await
}

async fn guessing_a_password_locks_the_login_not_the_others(backend: Backend) {
    let s = server(backend).await;
    admin::set_password(s.store.as_ref(), LEADER, PASSWORD)
        .await
        .unwrap();
    admin::set_password(s.store.as_ref(), "sunyue", PASSWORD)
        .await
        .unwrap();
    for _ in 0..MAX_FAILURES_PER_LOGIN {
        assert_eq!(sign_in(&s, LEADER, "wrong guess 123").await.status(), 401);
    }
    // Now even the right password is turned away, in words, for this login …
    let resp = sign_in(&s, LEADER, PASSWORD).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "900");
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.error, "too_many");
    assert!(
        err.message
            .starts_with("too many failed sign-ins for this login"),
        "{}",
        err.message
    );
    // … while another person at the same office signs in.
    token_of(sign_in(&s, "sunyue", PASSWORD).await).await;
    // An unknown login is refused like a wrong password, and counted the same way.
    assert_eq!(sign_in(&s, "nobody-here", PASSWORD).await.status(), 401);
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let (by_login, by_address) = s
        .store
        .sign_in_failures(LEADER, "127.0.0.1", since)
        .await
        .unwrap();
    assert_eq!(
        by_login, MAX_FAILURES_PER_LOGIN,
        "the locked try is not counted"
    );
    assert_eq!(by_address, MAX_FAILURES_PER_LOGIN + 1);
    s.finish().await;
}

async fn a_new_password_ends_the_old_sessions(backend: Backend) {
    let s = server(backend).await;
    admin::set_password(s.store.as_ref(), LEADER, PASSWORD)
        .await
        .unwrap();
    let token = token_of(sign_in(&s, LEADER, PASSWORD).await).await;
    assert_eq!(me(&s, &token).await, 200);
    admin::set_password(s.store.as_ref(), LEADER, "a brand new passphrase")
        .await
        .unwrap();
    assert_eq!(me(&s, &token).await, 401, "the old session is over");
    assert_eq!(sign_in(&s, LEADER, PASSWORD).await.status(), 401);
    token_of(sign_in(&s, LEADER, "a brand new passphrase").await).await;
    s.finish().await;
}

async fn disabling_a_person_and_revoking_a_device_take_effect_at_once(backend: Backend) {
    let s = server(backend).await;
    // A leader with a session; an inspector with two tablets.
    admin::set_password(s.store.as_ref(), LEADER, PASSWORD)
        .await
        .unwrap();
    let session = token_of(sign_in(&s, LEADER, PASSWORD).await).await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (tablet_a, tablet_b) = (signed_in_engine(a.path()), signed_in_engine(b.path()));
    let (token_a, token_b) = (enroll(&s, &tablet_a).await, enroll(&s, &tablet_b).await);
    assert_eq!(device_me(&s, &token_a).await, 200);
    // The scheme's case does not matter (RFC 9110).
    let lower = reqwest::Client::new()
        .get(format!("{}/v1/me", s.url))
        .header("authorization", format!("bearer {token_a}"))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 200);

    // A lost tablet: revoked, its token stops; the other goes on.
    admin::revoke_device(s.store.as_ref(), tablet_a.device_id())
        .await
        .unwrap();
    assert_eq!(device_me(&s, &token_a).await, 401);
    assert_eq!(device_me(&s, &token_b).await, 200);
    // Found again: enrolled anew, with a new token; the old one stays dead.
    let fresh = enroll(&s, &tablet_a).await;
    assert_eq!(device_me(&s, &fresh).await, 200);
    assert_eq!(device_me(&s, &token_a).await, 401);

    // The inspector leaves: every tablet of theirs stops. The leader leaves: the session
    // ends and the password no longer signs in.
    admin::disable_user(s.store.as_ref(), INSPECTOR)
        .await
        .unwrap();
    assert_eq!(device_me(&s, &fresh).await, 401);
    assert_eq!(device_me(&s, &token_b).await, 401);
    admin::disable_user(s.store.as_ref(), LEADER).await.unwrap();
    assert_eq!(me(&s, &session).await, 401);
    assert_eq!(sign_in(&s, LEADER, PASSWORD).await.status(), 401);

    // A disabled person, a leader, an operator get no tablet.
    for (login, why) in [
        (INSPECTOR, "was disabled"),
        ("sunyue", "tablets are enrolled for inspectors"),
    ] {
        let e = admin::enroll_device(s.store.as_ref(), login, gridwalk_protocol::DeviceId::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }

    // Unknown names are refused in words.
    let e = admin::revoke_device(s.store.as_ref(), gridwalk_protocol::DeviceId::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is enrolled"), "{e}");

    // Every act is in the audit trail, newest first.
    let acts: Vec<String> = s
        .store
        .admin_acts(20)
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {} {}", a.actor, a.action, a.subject))
        .collect();
    let expected = [
        format!("cli disable_user {LEADER}"),
        format!("cli disable_user {INSPECTOR}"),
        format!("cli enroll_device {}", tablet_a.device_id()),
        format!("cli revoke_device {}", tablet_a.device_id()),
    ];
    assert_eq!(acts[..4], expected, "{acts:#?}");
    assert!(
        acts.contains(&format!("cli set_password {LEADER}")),
        "{acts:#?}"
    );
    s.finish().await;
}

async fn a_tablet_enrolled_for_someone_else_cannot_upload_for_its_earlier_person(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(
        &engine,
        &[fixtures().join("photos/orient-1.jpg")],
        (gridwalk_protocol::Kind::Event, "0507"),
    );
    let m = engine.pending_mutations(1).unwrap().remove(0);
    let token = enroll(&s, &engine).await;
    let resp = post_push(&s, &token, &push_of(&engine, vec![m.clone()])).await;
    assert_eq!(resp.status(), 200);
    // The tablet passes to wangfang: enrolled anew, for her.
    let theirs = admin::enroll_device(s.store.as_ref(), "wangfang", engine.device_id())
        .await
        .unwrap();
    let report = m.body.submitted().unwrap();
    let photo = &report.photos[0];
    let resp = tus_create(&s, &theirs, report.id, photo).await;
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert!(
        err.message.contains("has been received from this device"),
        "{}",
        err.message
    );
    s.finish().await;
}

on_every_backend!(
    a_tablet_enrolled_for_someone_else_cannot_upload_for_its_earlier_person,
    guessing_a_password_locks_the_login_not_the_others,
    a_new_password_ends_the_old_sessions,
    disabling_a_person_and_revoking_a_device_take_effect_at_once,
);
