//! The `gridwalk-sync admin` commands as an administrator runs them: the real binary on a
//! fresh data directory (and, on PostgreSQL, a fresh schema through `--db`), its exit code
//! and what it prints, with the real server binary answering over HTTP on the same store.
//! Elsewhere these acts are tested through the library (`accounts.rs`, the server's
//! `integrity.rs`); here it is the command line a script or a person at a terminal sees:
//! the listings, a revoked tablet and a disabled person stopped at once (and an unknown one
//! refused in words, changing nothing), `verify` passing a sound store and naming a
//! tampered entry with exit code 1, and `export-case` writing a package that the separate
//! `gridwalk-evidence verify` accepts.
//!
//! The CLI and the server share the store while both run: SQLite is in WAL mode with a
//! busy timeout, and nothing the server caches covers tokens, people or chains.
#![allow(clippy::unwrap_used)]

use gridwalk_field::ReportState;
use gridwalk_protocol::DeviceId;
use gridwalk_system_tests::*;
use serde_json::json;

const LEADER: &str = "chenjianguo";
const PASSWORD: &str = "correct horse battery staple";

/// The status of `GET path` at `url` with `token` as the bearer.
async fn status(url: &str, path: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A console sign-in: the status, and the session token when it succeeded.
async fn sign_in(url: &str, login: &str, password: &str) -> (u16, Option<String>) {
    let r = reqwest::Client::new()
        .post(format!("{url}/v1/console/session"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap();
    (code, body["token"].as_str().map(str::to_owned))
}

/// The line of `listing` that starts with `first` (a login, a device ID) and a tab.
fn line_of<'a>(listing: &'a str, first: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.starts_with(&format!("{first}\t")))
        .unwrap_or_else(|| panic!("no line for {first} in:\n{listing}"))
}

/// Changes the case store behind the server's back, as someone with access to it could.
async fn tamper(centre: &BinaryCentre, sqlite: &str, postgres: &str) {
    match &centre.pg_schema {
        None => {
            let conn = rusqlite::Connection::open(centre.data_dir.join("cases.db")).unwrap();
            conn.execute_batch(sqlite).unwrap();
        }
        Some(schema) => pg_execute(&format!("SET search_path TO {schema}; {postgres}")).await,
    }
}

async fn the_listings_show_the_fixture_people_and_an_enrolled_tablet(backend: Backend) {
    let centre = BinaryCentre::new(backend).await;
    // Before anything is loaded (a wrong --data-dir creates an empty store), `verify`
    // does not call it intact.
    let empty = centre.run(&["admin", "verify"], "").await;
    assert_eq!(empty.code, Some(1), "{empty:?}");
    assert!(!empty.stdout.contains("OK"), "{empty:?}");
    assert!(empty.stderr.contains("nothing was verified"), "{empty:?}");
    let loaded = centre
        .run(
            &["admin", "load-fixtures", fixtures().to_str().unwrap()],
            "",
        )
        .await;
    assert!(loaded.stderr.contains("24 users"), "{}", loaded.stderr);
    // The embedded store is private to the account running the centre.
    #[cfg(unix)]
    if backend == Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&centre.data_dir), 0o700);
        assert_eq!(mode(&centre.data_dir.join("cases.db")), 0o600);
    }
    assert_eq!(loaded.ok(), "", "load-fixtures prints nothing on stdout");

    // One line per person: login, role (as `create-user --role` spells it), team or
    // department, name, and whether disabled.
    let users = centre.admin(&["users"]).await;
    assert_eq!(users.lines().count(), 24, "{users}");
    for expected in [
        "chenjianguo\tleader\tT440703001-01\t陈建国\tactive",
        "lixiaoming\tinspector\tT440703001-01\t李晓明\tactive",
        "sunyue\toperator\tT440703000-00\t孙悦\tactive",
        "liangqing\tdepartment\tSZ\t梁青\tactive",
        "guanliyuan\tadministrator\t-\t关丽媛\tactive",
        "hotline12345\tservice\thotline_12345\t12345政务服务便民热线\tactive",
        "shipin-ai\tservice\tvideo\t视频智能分析平台\tactive",
    ] {
        let login = expected.split('\t').next().unwrap();
        assert_eq!(line_of(&users, login), expected);
    }

    // `admin users | head`: a reader that stopped reading ends the listing quietly.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let piped = std::process::Command::new(&centre.bin)
        .args(&centre.args)
        .args(["admin", "users"])
        .env("RUST_BACKTRACE", "1")
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(piped.status.success(), "{:?} {err}", piped.status);

    assert_eq!(centre.admin(&["devices"]).await, "", "no tablet yet");
    let device = DeviceId::new();
    centre.enroll(device).await;
    let devices = centre.admin(&["devices"]).await;
    assert_eq!(devices.lines().count(), 1, "{devices}");
    let fields: Vec<&str> = devices.split('\t').collect();
    assert_eq!(fields[..2], [device.to_string().as_str(), INSPECTOR]);
    assert!(fields[2].starts_with("enrolled "), "{devices}");
    assert_eq!(fields[3..], ["never seen", "active"], "{devices}");
    centre.finish().await;
}

async fn a_revoked_tablet_is_refused_at_once_and_an_unknown_one_changes_nothing(backend: Backend) {
    let centre = BinaryCentre::with_fixtures(backend).await;
    let (mut server, url) = centre.start("127.0.0.1:0", &[]).await;
    let (lost, kept) = (DeviceId::new(), DeviceId::new());
    let (lost_token, kept_token) = (centre.enroll(lost).await, centre.enroll(kept).await);
    assert_eq!(status(&url, "/v1/me", &lost_token).await, 200);

    let revoked = centre
        .run(
            &["admin", "revoke-device", "--device", &lost.to_string()],
            "",
        )
        .await;
    assert!(revoked.stderr.contains("revoked"), "{}", revoked.stderr);
    assert_eq!(revoked.ok(), "");
    assert_eq!(
        status(&url, "/v1/me", &lost_token).await,
        401,
        "the running server refuses the revoked token on its next request"
    );
    assert_eq!(
        status(&url, "/v1/me", &kept_token).await,
        200,
        "only that one"
    );
    let devices = centre.admin(&["devices"]).await;
    assert!(
        line_of(&devices, &lost.to_string())
            .rsplit('\t')
            .next()
            .unwrap()
            .starts_with("revoked "),
        "{devices}"
    );
    assert!(
        line_of(&devices, &kept.to_string()).ends_with("\tactive"),
        "{devices}"
    );

    let audit = centre.admin(&["audit"]).await;
    let unknown = DeviceId::new();
    let refused = centre
        .run(
            &["admin", "revoke-device", "--device", &unknown.to_string()],
            "",
        )
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains(&format!("no device {unknown} is enrolled")),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stdout, "");
    assert_eq!(centre.admin(&["devices"]).await, devices, "nothing changed");
    assert_eq!(centre.admin(&["audit"]).await, audit, "nothing recorded");
    server.kill().await.unwrap();
    centre.finish().await;
}

async fn a_disabled_person_cannot_sign_in_until_enabled_and_an_unknown_login_is_refused(
    backend: Backend,
) {
    let centre = BinaryCentre::with_fixtures(backend).await;
    let set = centre
        .run(
            &["admin", "set-password", "--user", LEADER],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert_eq!(set.ok(), "", "set-password prints nothing on stdout");
    let (mut server, url) = centre.start("127.0.0.1:0", &[]).await;
    let (code, session) = sign_in(&url, LEADER, PASSWORD).await;
    assert_eq!(code, 200);
    let session = session.unwrap();
    assert_eq!(status(&url, "/v1/console/me", &session).await, 200);

    let disabled = centre
        .run(&["admin", "disable-user", "--user", LEADER], "")
        .await;
    assert!(disabled.stderr.contains("disabled"), "{}", disabled.stderr);
    assert_eq!(disabled.ok(), "");
    assert_eq!(
        status(&url, "/v1/console/me", &session).await,
        401,
        "the session ended"
    );
    assert_eq!(sign_in(&url, LEADER, PASSWORD).await, (401, None));
    let users = centre.admin(&["users"]).await;
    assert!(
        line_of(&users, LEADER)
            .rsplit('\t')
            .next()
            .unwrap()
            .starts_with("disabled "),
        "{users}"
    );

    let refused = centre
        .run(&["admin", "disable-user", "--user", "nobody"], "")
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("no user with login \"nobody\""),
        "{}",
        refused.stderr
    );
    assert_eq!(centre.admin(&["users"]).await, users, "nothing changed");

    centre.admin(&["enable-user", "--user", LEADER]).await;
    let (code, _) = sign_in(&url, LEADER, PASSWORD).await;
    assert_eq!(code, 200, "enabled again, the leader signs in anew");
    assert!(
        line_of(&centre.admin(&["users"]).await, LEADER).ends_with("\tactive"),
        "listed as active again"
    );
    server.kill().await.unwrap();
    centre.finish().await;
}

async fn a_pushed_case_verifies_and_exports_and_a_tampered_store_is_named(backend: Backend) {
    let centre = BinaryCentre::with_fixtures(backend).await;
    let (mut server, url) = centre.start("127.0.0.1:0", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(&engine, &[fixtures().join("photos/orient-1.jpg")], RUBBISH);
    let token = centre.enroll(engine.device_id()).await;
    let done = engine
        .sync_once(&connect(&engine, &url, &token), "test")
        .await
        .unwrap();
    assert_eq!((done.sent, done.rejected, done.photos.uploaded), (1, 0, 1));
    server.kill().await.unwrap();
    let report = engine.reports(ReportState::Sent).unwrap()[0].id.to_string();

    let verified = centre.admin(&["verify"]).await;
    assert!(
        verified.starts_with("OK: every chain and photo intact: 1 reports ("),
        "{verified}"
    );
    assert!(verified.ends_with(", 1 photos"), "{verified}");
    assert!(!verified.contains("BROKEN"), "{verified}");

    let out = dir.path().join("package");
    let printed = centre
        .admin(&["export-case", &report, "--out", out.to_str().unwrap()])
        .await;
    assert_eq!(
        printed,
        out.display().to_string(),
        "the package's directory"
    );
    let checked = std::process::Command::new(binary("gridwalk-evidence"))
        .arg("verify")
        .arg(&out)
        .output()
        .unwrap();
    let checked_out = String::from_utf8(checked.stdout).unwrap();
    assert_eq!(checked.status.code(), Some(0), "{checked_out}");
    let lines: Vec<&str> = checked_out.lines().collect();
    assert!(
        lines[0].starts_with(&format!("OK: report {report}")),
        "{checked_out}"
    );
    assert!(lines[0].contains(" 1 photos intact"), "{checked_out}");
    assert!(lines[1].starts_with("signatures: "), "{checked_out}");
    assert!(
        !lines[1].starts_with("signatures: 0 entries signed"),
        "the tablet's signatures travel in the package: {checked_out}"
    );
    assert!(
        lines[2..].iter().any(|l| l.starts_with(&format!(
            "  tablet {}: key fingerprint ",
            engine.device_id()
        ))),
        "{checked_out}"
    );

    // Someone with access to the database changes the report's text and an
    // administrative act's detail.
    tamper(
        &centre,
        "UPDATE report_versions SET record = json_set(record, '$.description', 'TAMPERED');
         UPDATE admin_acts SET detail = 'x' WHERE action = 'enroll_device';",
        "UPDATE report_versions SET record = jsonb_set(record, '{description}', '\"TAMPERED\"');
         UPDATE admin_acts SET detail = 'x' WHERE action = 'enroll_device';",
    )
    .await;
    let broken = centre.run(&["admin", "verify"], "").await;
    assert_eq!(broken.code, Some(1), "{broken:?}");
    let named: Vec<&str> = broken.stdout.lines().collect();
    assert_eq!(named.len(), 2, "one line per broken chain: {named:#?}");
    assert!(
        named[0].starts_with(&format!("BROKEN report_versions · report {report}")),
        "{named:#?}"
    );
    assert!(named[0].contains("version 1:"), "{named:#?}");
    assert!(
        named[1].starts_with("BROKEN admin_acts · the administrative acts"),
        "{named:#?}"
    );
    assert!(
        !broken.stdout.lines().any(|l| l.starts_with("OK")),
        "{}",
        broken.stdout
    );
    assert!(broken.stderr.contains("2 broken"), "{}", broken.stderr);

    // A broken case is not exported.
    let again = dir.path().join("again");
    let refused = centre
        .run(
            &[
                "admin",
                "export-case",
                &report,
                "--out",
                again.to_str().unwrap(),
            ],
            "",
        )
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("broken") && refused.stderr.contains("admin verify"),
        "{}",
        refused.stderr
    );
    assert!(!again.exists(), "no package written");
    centre.finish().await;
}

on_every_backend!(
    the_listings_show_the_fixture_people_and_an_enrolled_tablet,
    a_revoked_tablet_is_refused_at_once_and_an_unknown_one_changes_nothing,
    a_disabled_person_cannot_sign_in_until_enabled_and_an_unknown_login_is_refused,
    a_pushed_case_verifies_and_exports_and_a_tampered_store_is_named,
);

/// The console's pages come from inside the binary: started in an empty directory (no
/// `ui/dist` anywhere near), `/console/` is the console, its assets load with their types
/// and are cached for good, and the page itself is revalidated by its ETag.
#[tokio::test]
async fn the_console_is_served_from_inside_the_binary_wherever_it_starts() {
    let centre = BinaryCentre::new(Backend::Sqlite).await;
    let (_server, url) = centre.start("127.0.0.1:0", &[]).await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{url}/console/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page names its script");
    let script = script.strip_prefix("./").expect("relative to /console/");
    assert!(script.starts_with("assets/"), "{script}");
    let asset = client
        .get(format!("{url}/console/{script}"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(asset.bytes().await.unwrap().len() > 1000);
    let again = client
        .get(format!("{url}/console/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = client
        .get(format!("{url}/console/assets/no-such.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    centre.finish().await;
}
