//! The role × route matrix, over real HTTP on both backends: every route `/openapi.json`
//! lists is called with every kind of credential — no credentials, an expired session, a
//! disabled person's session, a revoked device token, a device token, a port's (the
//! hotline's service account) token, and the console sessions of a team leader, an
//! operator, a department's clerk and an administrator — on
//! a subject in the caller's scope and on one out of it (another team's report, a case
//! dispatched to another department, another device's upload). What each call must answer
//! comes from [`ROLE_TABLE`], the README's role table (Security) written out; a route the
//! document lists and the table does not cover fails the test, so no new route slips in
//! unchecked, and no call may answer 5xx.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{Duration, Utc};
use gridwalk_field::{DraftPatch, Engine, ReportState};
use gridwalk_protocol::console::{CaseAction, ReportPage};
use gridwalk_protocol::{CaseState, DeviceId, PhotoRef, ReportId, tus};
use gridwalk_sync::auth::token_hash;
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const APP: &str = "test/roles";
const PASSWORD: &str = "correct horse battery";

/// A kind of credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Cred {
    Nobody,
    ExpiredSession,
    DisabledSession,
    RevokedDevice,
    /// The token of device A (an inspector of team A's tablet).
    Device,
    /// Team A's leader.
    Leader,
    Operator,
    /// The clerk of department SZ.
    Department,
    Administrator,
    /// The 12345 hotline's system (a service account's token).
    Port,
}

const CREDS: [Cred; 10] = [
    Cred::Nobody,
    Cred::ExpiredSession,
    Cred::DisabledSession,
    Cred::RevokedDevice,
    Cred::Device,
    Cred::Leader,
    Cred::Operator,
    Cred::Department,
    Cred::Administrator,
    Cred::Port,
];

/// Whose subject a call names: the caller's scope (team A, department SZ, device A) or not
/// (team B, department HW, device B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    In,
    Out,
}

/// The capabilities of the README's role table, one row each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    UseConsole,
    SeeReports,
    Review,
    Dispatch,
    MarkHandled,
    Oversee,
    ResolveConflict,
    Administer,
    /// Making a one-time enrollment code for an inspector's tablet.
    Enroll,
}

/// How far a role reaches for a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    All,
    /// Its own team's (a leader) or its own department's (a clerk).
    Own,
    No,
}

/// The README's role table (Security), row by row: leader, operator, department,
/// administrator. (Inspectors have no console: their column is all "no".)
const ROLE_TABLE: [(Cap, [Reach; 4]); 9] = {
    use Reach::{All, No, Own};
    [
        (Cap::UseConsole, [All, All, All, All]),
        (Cap::SeeReports, [Own, All, Own, No]),
        (Cap::Review, [Own, All, No, No]),
        (Cap::Dispatch, [Own, All, No, No]),
        (Cap::MarkHandled, [Own, All, Own, No]),
        (Cap::Oversee, [Own, All, No, No]),
        (Cap::ResolveConflict, [No, All, No, No]),
        (Cap::Administer, [No, No, No, All]),
        (Cap::Enroll, [Own, No, No, All]),
    ]
};

fn reach(cred: Cred, cap: Cap) -> Option<Reach> {
    let column = match cred {
        Cred::Leader => 0,
        Cred::Operator => 1,
        Cred::Department => 2,
        Cred::Administrator => 3,
        _ => return None,
    };
    ROLE_TABLE
        .iter()
        .find(|(c, _)| *c == cap)
        .map(|(_, row)| row[column])
}

/// Who a route is for.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Anyone, with or without credentials (the 随手拍 page's API too); a subject out of
    /// scope (a report the public did not file) is answered `out`.
    Public { out: u16 },
    /// A device's token; another device's subject is answered `out`.
    Device { out: u16 },
    /// A device's token, a port's, or a department clerk's session (photos over tus);
    /// another's subject is answered `out` (the port and the clerk have no upload in the
    /// matrix: every one is another's).
    Upload { out: u16 },
    /// A port's token (the intake API); another's subject (a tablet's report) is answered
    /// `out`.
    Port { out: u16 },
    /// A console session whose role has `cap`; a subject out of scope is answered `out`
    /// (403, or 404 where the route does not tell what exists).
    Console { cap: Cap, out: u16 },
}

/// What a call must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Past the access rule: a GET answers 2xx; anything else answers neither 401, 403 nor
    /// 404 (a step may still be refused in words as out of turn).
    Allowed,
    Status(u16),
}

/// One call of the matrix: a route, with the body it sends where it sends one.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    need: Need,
    scoped: bool,
    /// The case action posted to `…/actions`.
    action: Option<&'static str>,
}

/// The table's entry for a route, or `None` when the table does not cover it.
fn entry(method: &Method, path: &str) -> Option<Vec<Call>> {
    use Cap::*;
    let m = method.as_str();
    let one = |need: Need, scoped: bool| {
        Some(vec![Call {
            method: method.clone(),
            path: path.to_owned(),
            need,
            scoped,
            action: None,
        }])
    };
    let console = |cap: Cap| Need::Console { cap, out: 403 };
    match (m, path) {
        ("GET", "/healthz" | "/openapi.json")
        | ("OPTIONS", "/v1/uploads/" | "/v1/uploads")
        | ("POST", "/v1/console/session")
        | ("GET", "/v1/public/form")
        // A submission without its parts: past the access rule, refused in words (or, once
        // the address has sent its hour's worth, asked to wait).
        | ("POST", "/v1/public/reports")
        // Redeeming an enrollment code needs only the code (a malformed one here: refused
        // in words, counted among the address's wrong codes).
        | ("POST", "/v1/enroll") => one(Need::Public { out: 0 }, false),
        ("GET", "/v1/public/reports/{id}") => one(Need::Public { out: 404 }, true),
        // A photo of the device's own report; another device's is not found.
        ("GET", "/v1/photos/{sha256}") => one(Need::Device { out: 404 }, true),
        ("POST", "/v1/push") => one(Need::Device { out: 403 }, true),
        // Posting a key binds it to the calling device (or is refused 409 as not its key):
        // it names no subject, so nothing is out of scope.
        ("POST", "/v1/photos/needed" | "/v1/device/key") | ("GET", "/v1/changes" | "/v1/me") => {
            one(Need::Device { out: 0 }, false)
        }
        ("POST", "/v1/uploads/" | "/v1/uploads") => one(Need::Upload { out: 400 }, true),
        ("HEAD" | "PATCH" | "DELETE", "/v1/uploads/{id}") => one(Need::Upload { out: 404 }, true),
        ("POST", "/v1/intake/reports")
        | ("GET" | "PUT" | "DELETE", "/v1/intake/callback")
        | ("GET", "/v1/intake/deliveries") => one(Need::Port { out: 0 }, false),
        ("GET", "/v1/intake/reports/{id}") => one(Need::Port { out: 404 }, true),
        (
            "GET",
            "/v1/console/me"
            | "/v1/console/departments"
            | "/v1/console/teams"
            | "/v1/console/code-tables"
            | "/v1/console/components/{id}"
            | "/v1/console/grid",
        )
        | ("DELETE", "/v1/console/session") => one(console(UseConsole), false),
        // The live-refresh stream says only that something changed: for whoever sees reports.
        // The map is a work queue drawn: the same filters within the same reach.
        ("GET", "/v1/console/reports" | "/v1/console/events" | "/v1/console/map") => {
            one(console(SeeReports), false)
        }
        ("GET", "/v1/console/reports/{id}") => one(console(SeeReports), true),
        ("GET", "/v1/console/photos/{sha256}" | "/v1/console/photos/{sha256}/thumb") => one(
            Need::Console {
                cap: SeeReports,
                out: 404,
            },
            true,
        ),
        ("POST", "/v1/console/reports/{id}/actions") => Some(
            [
                ("approve", Review),
                ("dispatch", Dispatch),
                ("handled", MarkHandled),
            ]
            .into_iter()
            .map(|(action, cap)| Call {
                method: method.clone(),
                path: path.to_owned(),
                need: console(cap),
                scoped: true,
                action: Some(action),
            })
            .collect(),
        ),
        // Merging names the reports in the body: all of them, and the target, in scope.
        ("POST", "/v1/console/reports/merge") => one(console(Review), true),
        (
            "GET",
            "/v1/console/devices"
            | "/v1/console/health"
            | "/v1/console/conflicts"
            | "/v1/console/evaluation"
            | "/v1/console/evaluation.csv"
            | "/v1/console/evaluation.geojson"
            | "/v1/console/overview",
        ) => one(console(Oversee), false),
        ("POST", "/v1/console/conflicts/{id}/resolve") => one(console(ResolveConflict), true),
        // The body names an inspector of team A (in scope) or of team B.
        ("POST", "/v1/console/enrollment-codes") => one(console(Enroll), true),
        (
            "GET",
            "/v1/console/admin/users" | "/v1/console/admin/devices" | "/v1/console/admin/audit",
        )
        | (
            "POST",
            "/v1/console/admin/devices/{id}/revoke"
            | "/v1/console/admin/users/{login}/disable"
            | "/v1/console/admin/users/{login}/enable"
            | "/v1/console/admin/users/{login}/password"
            | "/v1/console/admin/import",
        ) => one(console(Administer), false),
        _ => None,
    }
}

/// What `cred` must get from `call` on a subject in `scope`.
fn expect(call: &Call, cred: Cred, scope: Scope) -> Expect {
    let out_of_scope = call.scoped && scope == Scope::Out;
    match call.need {
        Need::Public { out } if out_of_scope => Expect::Status(out),
        Need::Public { .. } => Expect::Allowed,
        Need::Device { out } => match cred {
            Cred::Device if out_of_scope => Expect::Status(out),
            Cred::Device => Expect::Allowed,
            // A port's token is known, and is not a tablet's.
            Cred::Port => Expect::Status(403),
            _ => Expect::Status(401),
        },
        Need::Upload { out } => match cred {
            Cred::Device if out_of_scope => Expect::Status(out),
            Cred::Device => Expect::Allowed,
            // A port's token, or a clerk's session (their department's after-photos): the
            // matrix's uploads are all a tablet's, another's.
            Cred::Port | Cred::Department => Expect::Status(out),
            // Signed in, but their role uploads nothing.
            Cred::Leader | Cred::Operator | Cred::Administrator => Expect::Status(403),
            _ => Expect::Status(401),
        },
        Need::Port { out } => match cred {
            Cred::Port if out_of_scope => Expect::Status(out),
            Cred::Port => Expect::Allowed,
            Cred::Device => Expect::Status(403),
            _ => Expect::Status(401),
        },
        Need::Console { cap, out } => match reach(cred, cap) {
            None => Expect::Status(401),
            Some(Reach::No) => Expect::Status(403),
            Some(Reach::Own) if out_of_scope => Expect::Status(out),
            Some(Reach::All | Reach::Own) => Expect::Allowed,
        },
    }
}

fn answers(expect: Expect, method: &Method, status: u16) -> bool {
    match expect {
        Expect::Status(s) => status == s,
        Expect::Allowed if *method == Method::GET || *method == Method::HEAD => {
            (200..300).contains(&status)
        }
        Expect::Allowed => status < 500 && ![401, 403, 404].contains(&status),
    }
}

/// A report of a device with a photo not yet uploaded, and an open upload for it.
struct Pending {
    report: ReportId,
    photo: PhotoRef,
    upload: String,
}

/// Everything the calls name, in scope (A) and out of it (B).
struct World {
    s: Server,
    tokens: HashMap<Cred, String>,
    devices: [DeviceId; 2],
    reports: [ReportId; 2],
    photos: [String; 2],
    conflicts: [uuid::Uuid; 2],
    pending: [Pending; 2],
    revoked: DeviceId,
    /// A report the hotline filed (in its scope; a tablet's report is out of it).
    port_report: ReportId,
    /// A report a citizen filed on the 随手拍 page (the public's; a tablet's is not).
    public_report: ReportId,
    _dirs: Vec<tempfile::TempDir>,
}

impl World {
    fn pick<T: Clone>(pair: &[T; 2], scope: Scope) -> T {
        pair[usize::from(scope == Scope::Out)].clone()
    }
}

async fn sign_in(s: &Server, login: &str) -> String {
    console_session(s, login, PASSWORD).await
}

async fn act(s: &Server, token: &str, id: ReportId, action: CaseAction, seen: CaseState) {
    let mut body = serde_json::to_value(&action).unwrap();
    body["seen_state"] = serde_json::to_value(seen).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/console/reports/{id}/actions", s.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{action:?}");
}

/// One inspector's tablet: a report with an arrived photo (in conflict with the centre's
/// edit), and a second report whose photo has an open upload.
async fn tablet(
    s: &Server,
    dir: &std::path::Path,
    login: &str,
    photos: [&str; 2],
) -> (Engine, String, ReportId, String, uuid::Uuid, Pending) {
    let engine = signed_in_engine_as(dir, login);
    let token = admin::enroll_device(s.store.as_ref(), login, engine.device_id())
        .await
        .unwrap();
    let client = connect(&engine, &s.url, &token);
    capture(
        &engine,
        &[fixtures().join("photos").join(photos[0])],
        RUBBISH,
    );
    let report = engine.reports(ReportState::Queued).unwrap()[0].id;
    engine.sync_once(&client, APP).await.unwrap();
    let held = s.store.report(report).await.unwrap().unwrap();
    assert_eq!(held.state, CaseState::PendingReview, "the photo arrived");
    let sha = held.report.photos[0].sha256.clone();

    // The centre and the tablet change the description differently: a conflict.
    let operator = s.store.user_by_login("sunyue").await.unwrap().unwrap().id;
    let mut record = held.report.clone();
    record.description = "中心: 已核实".into();
    let patch = gridwalk_protocol::ReportPatch::between(&held.report, &record);
    s.store
        .write_version(&record, held.version, &patch, operator, Utc::now())
        .await
        .unwrap();
    engine
        .edit_report(
            report,
            &DraftPatch {
                description: Some(format!("{login}: 现场已围挡")),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    engine.sync_once(&client, APP).await.unwrap();
    let conflict = s.store.conflicts(report).await.unwrap()[0].id;

    // A second report, sent without its photo, whose upload is opened and left open.
    capture(
        &engine,
        &[fixtures().join("photos").join(photos[1])],
        RUBBISH,
    );
    let second = engine
        .reports(ReportState::Queued)
        .unwrap()
        .into_iter()
        .find(|r| r.id != report)
        .unwrap()
        .id;
    push_records(&engine, &client).await;
    let photo = s.store.report(second).await.unwrap().unwrap().report.photos[0].clone();
    let created = tus_create(s, &token, second, &photo).await;
    assert_eq!(created.status(), 201);
    let pending = Pending {
        report: second,
        photo,
        upload: upload_path(&created),
    };
    (engine, token, report, sha, conflict, pending)
}

async fn world(backend: Backend) -> World {
    let s = server(backend).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (engine_a, token_a, report_a, sha_a, conflict_a, pending_a) = tablet(
        &s,
        dir_a.path(),
        INSPECTOR,
        ["orient-1.jpg", "orient-2.jpg"],
    )
    .await;
    let (engine_b, _, report_b, sha_b, conflict_b, pending_b) = tablet(
        &s,
        dir_b.path(),
        "zhaomin",
        ["orient-3.jpg", "orient-4.jpg"],
    )
    .await;
    assert_ne!(sha_a, sha_b);

    let mut tokens = HashMap::new();
    tokens.insert(Cred::Device, token_a);
    for (cred, login) in [
        (Cred::Leader, "chenjianguo"),
        (Cred::Operator, "sunyue"),
        (Cred::Department, "liangqing"),
        (Cred::Administrator, "guanliyuan"),
        (Cred::DisabledSession, "linzhiyuan"),
    ] {
        tokens.insert(cred, sign_in(&s, login).await);
    }
    admin::disable_user(s.store.as_ref(), "linzhiyuan")
        .await
        .unwrap();
    // A session of the operator's that ran out an hour ago.
    let expired = "an-expired-session-token".to_owned();
    let now = Utc::now();
    let operator = s.store.user_by_login("sunyue").await.unwrap().unwrap().id;
    s.store
        .create_session(
            &token_hash(&expired),
            operator,
            now - Duration::hours(13),
            now - Duration::hours(1),
        )
        .await
        .unwrap();
    tokens.insert(Cred::ExpiredSession, expired);
    let revoked = DeviceId::new();
    let revoked_token = admin::enroll_device(s.store.as_ref(), "wangfang", revoked)
        .await
        .unwrap();
    admin::revoke_device(s.store.as_ref(), revoked)
        .await
        .unwrap();
    tokens.insert(Cred::RevokedDevice, revoked_token);
    let port = admin::port_token(s.store.as_ref(), "hotline12345")
        .await
        .unwrap();
    let filed = reqwest::Client::new()
        .post(format!("{}/v1/intake/reports", s.url))
        .bearer_auth(&port)
        .header("Idempotency-Key", "roles-world")
        .json(&hotline_call("12345-ROLES-WORLD", "市民来电：垃圾堆放"))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 201);
    let port_report: ReportId =
        serde_json::from_value(filed.json::<Value>().await.unwrap()["report"].clone()).unwrap();
    tokens.insert(Cred::Port, port);
    let photo = std::fs::read(fixtures().join("photos/no-exif.jpg")).unwrap();
    let citizen = citizen_report("路边堆放建筑垃圾", &[gridwalk_protocol::PhotoId::new()]);
    let form = citizen_form(&citizen, &[photo]);
    let sent = reqwest::Client::new()
        .post(format!("{}/v1/public/reports", s.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let public_report: ReportId =
        serde_json::from_value(sent.json::<Value>().await.unwrap()["report"].clone()).unwrap();

    // Team A's report is dispatched to SZ (the clerk's department), team B's to HW. They
    // are of the same place and time, so B's is a likely duplicate of A's: the operator
    // registers it having seen that.
    let op = tokens[&Cred::Operator].clone();
    let seen_duplicate = CaseAction::Approve {
        correct: None,
        despite_duplicate: true,
    };
    for (id, department) in [(report_a, "SZ"), (report_b, "HW")] {
        act(
            &s,
            &op,
            id,
            seen_duplicate.clone(),
            CaseState::PendingReview,
        )
        .await;
        act(
            &s,
            &op,
            id,
            CaseAction::Dispatch {
                department: department.into(),
            },
            CaseState::Registered,
        )
        .await;
    }
    World {
        devices: [engine_a.device_id(), engine_b.device_id()],
        tokens,
        reports: [report_a, report_b],
        photos: [sha_a, sha_b],
        conflicts: [conflict_a, conflict_b],
        pending: [pending_a, pending_b],
        revoked,
        port_report,
        public_report,
        s,
        _dirs: vec![dir_a, dir_b],
    }
}

/// The request `cred` makes for `call` on a subject in `scope`.
fn request(
    w: &World,
    http: &reqwest::Client,
    call: &Call,
    cred: Cred,
    scope: Scope,
) -> reqwest::RequestBuilder {
    let k = usize::from(scope == Scope::Out);
    let upload_id = w.pending[k].upload.rsplit('/').next().unwrap().to_owned();
    let login = match call.path.as_str() {
        // Disabling and enabling go to a person no other call needs.
        "/v1/console/admin/users/{login}/disable" | "/v1/console/admin/users/{login}/enable" => {
            "xujun"
        }
        _ => "linzhiyuan",
    };
    let conflict = World::pick(&w.conflicts, scope).to_string();
    let id = if call.path.starts_with("/v1/console/components/") {
        // The demo city's first component (fixtures/components): every console user sees it.
        "4407030103000001".to_owned()
    } else if call.path.starts_with("/v1/console/conflicts/") {
        conflict
    } else if call.path.starts_with("/v1/console/admin/devices/") {
        w.revoked.to_string()
    } else if call.path.starts_with("/v1/uploads/") {
        upload_id
    } else if call.path.starts_with("/v1/intake/reports/") && scope == Scope::In {
        w.port_report.to_string()
    } else if call.path.starts_with("/v1/public/reports/") && scope == Scope::In {
        w.public_report.to_string()
    } else {
        World::pick(&w.reports, scope).to_string()
    };
    let path = call
        .path
        .replace("{id}", &id)
        .replace("{sha256}", &World::pick(&w.photos, scope))
        .replace("{login}", login);
    let query = match call.path.as_str() {
        "/v1/console/evaluation" | "/v1/console/evaluation.csv" => {
            "?by=cell&from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z"
        }
        "/v1/console/evaluation.geojson" => "?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z",
        _ => "",
    };
    let mut req = http.request(call.method.clone(), format!("{}{path}{query}", w.s.url));
    if let Some(token) = w.tokens.get(&cred) {
        req = req.bearer_auth(token);
    }
    if call.path.starts_with("/v1/uploads") {
        req = req.header(tus::header::TUS_RESUMABLE, tus::VERSION);
    }
    let pending = &w.pending[k];
    match (call.method.as_str(), call.path.as_str()) {
        ("POST", "/v1/push") => req.json(&gridwalk_protocol::PushRequest {
            device: w.devices[k],
            app_version: "test".into(),
            device_model: None,
            queue: gridwalk_protocol::QueueStats::default(),
            mutations: vec![],
            public_key: None,
        }),
        ("POST", "/v1/photos/needed") => req.json(&json!({ "photos": [w.pending[0].photo.id] })),
        ("POST", "/v1/enroll") => req.json(&json!({
            "code": "not a code",
            "device": DeviceId::new(),
            "public_key": Signer::public_key(&Tablet::new()),
        })),
        ("POST", "/v1/console/enrollment-codes") => req.json(&json!({
            "login": (["wangfang", "zhaomin"][k]),
            "server": w.s.url,
        })),
        ("POST", "/v1/device/key") => req.json(&json!({
            "public_key": Signer::public_key(&Tablet::new())
        })),
        ("POST", "/v1/uploads/" | "/v1/uploads") => {
            let (report, photo) = (pending.report.to_string(), pending.photo.id.to_string());
            req.header(tus::header::UPLOAD_LENGTH, pending.photo.bytes.to_string())
                .header(
                    tus::header::UPLOAD_METADATA,
                    tus::encode_metadata([
                        (tus::meta::REPORT, report.as_str()),
                        (tus::meta::PHOTO, photo.as_str()),
                    ]),
                )
        }
        ("PATCH", _) => req
            .header(tus::header::UPLOAD_OFFSET, "0")
            .header(reqwest::header::CONTENT_TYPE, tus::OFFSET_OCTET_STREAM)
            .body(vec![0xFF, 0xD8, 0xFF]),
        ("POST", "/v1/console/session") => {
            req.json(&json!({ "login": "sunyue", "password": PASSWORD }))
        }
        ("POST", "/v1/intake/reports") => {
            // A new call each time: its own key and reference.
            let n = uuid::Uuid::now_v7().to_string();
            req.header("Idempotency-Key", n.clone())
                .json(&hotline_call(&format!("12345-{n}"), "市民来电：垃圾堆放"))
        }
        ("PUT", "/v1/intake/callback") => req.json(&json!({
            "url": "http://127.0.0.1:9/progress",
            "secret": "a-callback-secret-for-roles"
        })),
        ("POST", "/v1/console/reports/{id}/actions") => {
            let action = match call.action.unwrap() {
                // To the department it is already with: past the access rule, refused in
                // words (`case.same_department`), so the case stays where the other calls
                // expect it (another department would be a 改派).
                "dispatch" => json!({
                    "action": "dispatch",
                    "department": if scope == Scope::Out { "HW" } else { "SZ" }
                }),
                "handled" => json!({ "action": "handled", "note": "已处置" }),
                other => json!({ "action": other }),
            };
            let mut body = action;
            body["seen_state"] = json!("dispatched");
            req.json(&body)
        }
        ("POST", "/v1/console/reports/merge") => {
            // Into itself: past the access rule, refused in words (nothing merges).
            let id = World::pick(&w.reports, scope);
            req.json(&json!({ "into": id, "reports": [{ "id": id, "seen_state": "dispatched" }] }))
        }
        ("POST", "/v1/console/conflicts/{id}/resolve") => req.json(
            &json!({ "fields": [{ "field": "description", "value": "中心: 核实后的描述" }] }),
        ),
        ("POST", "/v1/console/admin/users/{login}/password") => {
            req.json(&json!({ "password": "a new passphrase" }))
        }
        _ => req,
    }
}

async fn every_route_answers_every_role_as_the_role_table_says(backend: Backend) {
    let w = world(backend).await;
    let http = reqwest::Client::new();
    let doc: Value = http
        .get(format!("{}/openapi.json", w.s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes: Vec<(Method, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "options", "head", "patch"] {
            if item.get(method).is_some() {
                routes.push((method.to_uppercase().parse().unwrap(), path.clone()));
            }
        }
    }
    assert!(routes.len() >= 30, "{} routes documented", routes.len());
    // The tus creation answers without the trailing slash too (clients differ); the
    // document lists the one form.
    routes.push((Method::OPTIONS, "/v1/uploads".into()));
    routes.push((Method::POST, "/v1/uploads".into()));
    let uncovered: Vec<String> = routes
        .iter()
        .filter(|(m, p)| entry(m, p).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        uncovered.is_empty(),
        "routes the role table does not cover: {uncovered:?}"
    );
    let mut calls: Vec<Call> = routes
        .iter()
        .flat_map(|(m, p)| entry(m, p).unwrap())
        .collect();
    // Ending things last: the open upload (a new creation for its photo replaces it, so
    // creations come after it), then each caller's own session.
    calls.sort_by_key(|c| {
        (
            c.method == Method::DELETE && c.path == "/v1/console/session",
            c.method == Method::POST && c.path.starts_with("/v1/uploads"),
            c.method == Method::DELETE,
        )
    });
    let mut wrong = Vec::new();
    let mut made = 0;
    for call in &calls {
        let scopes: &[Scope] = if call.scoped {
            &[Scope::In, Scope::Out]
        } else {
            &[Scope::In]
        };
        for &scope in scopes {
            for cred in CREDS {
                let expected = expect(call, cred, scope);
                let resp = request(&w, &http, call, cred, scope).send().await.unwrap();
                let status = resp.status().as_u16();
                made += 1;
                let body = resp.text().await.unwrap_or_default();
                assert!(
                    status < 500,
                    "{} {} ({:?}, {scope:?}) answered {status}: {body}",
                    call.method,
                    call.path,
                    call.action
                );
                if !answers(expected, &call.method, status) {
                    wrong.push(format!(
                        "{} {}{} as {cred:?} ({scope:?}): expected {expected:?}, got {status} {body}",
                        call.method,
                        call.path,
                        call.action.map(|a| format!(" [{a}]")).unwrap_or_default()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {made} calls:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    w.s.finish().await;
}

/// The lists are narrowed by the same rule: a clerk sees the cases dispatched to their
/// department, a leader their team's, an administrator none.
async fn lists_hold_what_the_scope_allows(backend: Backend) {
    let w = world(backend).await;
    let http = reqwest::Client::new();
    let list = |cred: Cred| {
        http.get(format!("{}/v1/console/reports", w.s.url))
            .bearer_auth(&w.tokens[&cred])
            .send()
    };
    for cred in [Cred::Department, Cred::Leader] {
        let resp = list(cred).await.unwrap();
        assert_eq!(resp.status(), 200);
        let page: ReportPage = resp.json().await.unwrap();
        let ids: Vec<ReportId> = page.items.iter().map(|r| r.report.id).collect();
        assert!(ids.contains(&w.reports[0]), "{cred:?}: {ids:?}");
        assert!(!ids.contains(&w.reports[1]), "{cred:?}: {ids:?}");
        assert!(!ids.contains(&w.pending[1].report), "{cred:?}: {ids:?}");
    }
    // The open conflicts: a leader's hold their own team's only (a conflict shows the
    // report's text, phone numbers and all).
    let conflicts = |cred: Cred| {
        http.get(format!("{}/v1/console/conflicts", w.s.url))
            .bearer_auth(&w.tokens[&cred])
            .send()
    };
    let open = |v: Vec<gridwalk_protocol::console::Conflict>| -> Vec<uuid::Uuid> {
        v.iter().map(|c| c.id).collect()
    };
    let all = open(
        conflicts(Cred::Operator)
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert!(
        all.contains(&w.conflicts[0]) && all.contains(&w.conflicts[1]),
        "{all:?}"
    );
    let team = open(conflicts(Cred::Leader).await.unwrap().json().await.unwrap());
    assert!(team.contains(&w.conflicts[0]), "{team:?}");
    assert!(
        !team.contains(&w.conflicts[1]),
        "another team's conflict: {team:?}"
    );

    // A report's likely duplicates: the operator sees the other team's report beside the
    // leader's, the leader does not.
    let related = |cred: Cred| {
        http.get(format!("{}/v1/console/reports/{}", w.s.url, w.reports[0]))
            .bearer_auth(&w.tokens[&cred])
            .send()
    };
    let near = |d: gridwalk_protocol::console::ReportDetail| -> Vec<ReportId> {
        d.related.iter().map(|r| r.report.id).collect()
    };
    let seen = near(related(Cred::Operator).await.unwrap().json().await.unwrap());
    assert!(
        seen.contains(&w.reports[1]),
        "the operator sees both: {seen:?}"
    );
    let seen = near(related(Cred::Leader).await.unwrap().json().await.unwrap());
    assert!(
        !seen.contains(&w.reports[1]),
        "another team's report: {seen:?}"
    );

    let clerk: ReportPage = list(Cred::Department).await.unwrap().json().await.unwrap();
    assert_eq!(clerk.items.len(), 1, "only the case dispatched to SZ");
    let operator: ReportPage = list(Cred::Operator).await.unwrap().json().await.unwrap();
    // The two tablets' four reports, the hotline's and the citizen's (a port's report has
    // no team: the centre's).
    assert_eq!((operator.items.len(), operator.total), (6, 6));
    let leader: ReportPage = list(Cred::Leader).await.unwrap().json().await.unwrap();
    assert!(
        leader
            .items
            .iter()
            .all(|r| r.report.id != w.port_report && r.report.id != w.public_report),
        "a port's report is not a team's"
    );
    assert_eq!(list(Cred::Administrator).await.unwrap().status(), 403);

    // The clerk marks their case handled; the other department's stays theirs.
    let handled = |id: ReportId| {
        http.post(format!("{}/v1/console/reports/{id}/actions", w.s.url))
            .bearer_auth(&w.tokens[&Cred::Department])
            .json(&json!({ "action": "handled", "note": "已更换井盖", "seen_state": "dispatched" }))
            .send()
    };
    assert_eq!(handled(w.reports[1]).await.unwrap().status(), 403);
    assert_eq!(handled(w.reports[0]).await.unwrap().status(), 200);
    let held = w.s.store.report(w.reports[0]).await.unwrap().unwrap();
    assert_eq!(held.state, CaseState::Handled);
    w.s.finish().await;
}

/// An inspector with a console password still cannot sign in: the console is not theirs.
async fn inspectors_stay_out_of_the_console(backend: Backend) {
    let s = server(backend).await;
    let inspector = s.store.user_by_login(INSPECTOR).await.unwrap().unwrap();
    let hash = gridwalk_sync::auth::hash_password(PASSWORD).unwrap();
    s.store
        .set_password(inspector.id, Some(&hash))
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/console/session", s.url))
        .json(&json!({ "login": INSPECTOR, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let e: gridwalk_protocol::ApiError = resp.json().await.unwrap();
    assert!(
        e.message.contains("inspectors use the app"),
        "{}",
        e.message
    );
    s.finish().await;
}

/// An administrator manages people and tablets from the console, and the audit trail names
/// them as the actor of every act.
async fn administrators_act_in_the_console_and_the_trail_names_them(backend: Backend) {
    let s = server(backend).await;
    let admin_token = sign_in(&s, "guanliyuan").await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Option<Value>| {
        let req = http
            .post(format!("{}/v1/console/admin/{path}", s.url))
            .bearer_auth(&admin_token);
        match body {
            Some(b) => req.json(&b),
            None => req,
        }
        .send()
    };
    let tablet = DeviceId::new();
    let tablet_token = admin::enroll_device(s.store.as_ref(), "zhouli", tablet)
        .await
        .unwrap();
    let device_me = |token: String| {
        http.get(format!("{}/v1/me", s.url))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(device_me(tablet_token.clone()).await.unwrap().status(), 200);

    // Disabling a person stops their tablet; enabling lets it work again.
    assert_eq!(
        post("users/zhouli/disable", None).await.unwrap().status(),
        204
    );
    assert_eq!(device_me(tablet_token.clone()).await.unwrap().status(), 401);
    let people: Vec<gridwalk_protocol::console::Account> = http
        .get(format!("{}/v1/console/admin/users", s.url))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zhouli = people.iter().find(|a| a.person.login == "zhouli").unwrap();
    assert!(zhouli.disabled_at.is_some());
    assert_eq!(
        post("users/zhouli/enable", None).await.unwrap().status(),
        204
    );
    assert_eq!(device_me(tablet_token.clone()).await.unwrap().status(), 200);
    // Revoking the tablet stops it for good.
    let resp = post(&format!("devices/{tablet}/revoke"), None)
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(device_me(tablet_token).await.unwrap().status(), 401);
    let resp = post(&format!("devices/{}/revoke", DeviceId::new()), None)
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // A new password for a leader ends their session; an inspector has none to set.
    let leader = sign_in(&s, "chenjianguo").await;
    let resp = post(
        "users/chenjianguo/password",
        Some(json!({ "password": "a brand new passphrase" })),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    let me = http
        .get(format!("{}/v1/console/me", s.url))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    let resp = post(
        &format!("users/{INSPECTOR}/password"),
        Some(json!({ "password": "a brand new passphrase" })),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    // Nobody disables themselves.
    let resp = post("users/guanliyuan/disable", None).await.unwrap();
    assert_eq!(resp.status(), 409);

    let trail: Vec<gridwalk_protocol::console::AuditEntry> = http
        .get(format!("{}/v1/console/admin/audit", s.url))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_admin: Vec<(&str, &str)> = trail
        .iter()
        .filter(|a| a.actor == "guanliyuan")
        .map(|a| (a.action.as_str(), a.subject.as_str()))
        .collect();
    let tablet = tablet.to_string();
    assert_eq!(
        by_admin,
        vec![
            ("set_password", "chenjianguo"),
            ("revoke_device", tablet.as_str()),
            ("enable_user", "zhouli"),
            ("disable_user", "zhouli"),
        ],
        "newest first, each by the administrator"
    );
    assert!(
        trail
            .iter()
            .any(|a| a.actor == "cli" && a.action == "enroll_device"),
        "the command line's acts are there too"
    );
    s.finish().await;
}

on_every_backend!(
    administrators_act_in_the_console_and_the_trail_names_them,
    every_route_answers_every_role_as_the_role_table_says,
    lists_hold_what_the_scope_allows,
    inspectors_stay_out_of_the_console,
);
