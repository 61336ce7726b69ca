//! The console's JSON API end to end: real field engines report over HTTP, a team leader
//! and an operator sign in and work the case loop, and the engines see what the centre
//! did on their next sync. Every scenario on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use gridwalk_field::sync::SyncClient;
use gridwalk_field::{DraftPatch, Engine, ReportState};
use gridwalk_protocol::console::{
    ActionAnswer, CaseAction, CategoryChoice, Correction, DeviceRow, Evaluation, IntakeHealth,
    MergeAnswer, MergeRequest, ReportDetail, ReportPage, Role, SeenReport, Session, Team,
};
use gridwalk_protocol::{ApiError, CaseState, ReportId};
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;
use serde_json::json;

const APP: &str = "test/console";
const PASSWORD: &str = "correct horse battery";

struct Device {
    engine: Engine,
    client: SyncClient,
    token: String,
    _dir: tempfile::TempDir,
}

impl Device {
    async fn sync(&self) {
        self.engine.sync_once(&self.client, APP).await.unwrap();
    }
}

async fn device(s: &Server) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    Device {
        engine,
        client,
        token,
        _dir: dir,
    }
}

/// A console client signed in as `login`.
struct Console {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Console {
    async fn sign_in(s: &Server, login: &str) -> Self {
        admin::set_password(s.store.as_ref(), login, PASSWORD)
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let resp = http
            .post(format!("{}/v1/console/session", s.url))
            .json(&json!({ "login": login, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let session: Session = resp.json().await.unwrap();
        assert_eq!(session.user.login, login);
        Self {
            http,
            url: s.url.clone(),
            token: session.token,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    async fn act(&self, id: ReportId, action: CaseAction, seen: CaseState) -> reqwest::Response {
        let mut body = serde_json::to_value(&action).unwrap();
        body["seen_state"] = serde_json::to_value(seen).unwrap();
        self.http
            .post(format!("{}/v1/console/reports/{id}/actions", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn done(&self, id: ReportId, action: CaseAction, seen: CaseState) -> ActionAnswer {
        let resp = self.act(id, action.clone(), seen).await;
        assert_eq!(
            resp.status(),
            200,
            "{action:?}: {}",
            resp.text().await.unwrap()
        );
        resp.json().await.unwrap()
    }

    async fn refused(&self, id: ReportId, action: CaseAction, seen: CaseState) -> ApiError {
        let resp = self.act(id, action, seen).await;
        assert!(resp.status().is_client_error(), "{}", resp.status());
        resp.json().await.unwrap()
    }

    /// `POST /v1/console/reports/merge`: the status and the body.
    async fn merge(&self, req: &MergeRequest) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}/v1/console/reports/merge", self.url))
            .bearer_auth(&self.token)
            .json(req)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn state_of(&self, id: ReportId) -> CaseState {
        let d: ReportDetail = self.get(&format!("/v1/console/reports/{id}")).await;
        d.item.state
    }
}

/// Four reports from one inspector's tablet, all in and waiting for review.
async fn four_reports(s: &Server) -> (Device, Vec<ReportId>) {
    let d = device(s).await;
    for _ in 0..4 {
        capture(
            &d.engine,
            &[fixtures().join("photos/orient-1.jpg")],
            RUBBISH,
        );
    }
    let mut ids: Vec<ReportId> = d
        .engine
        .reports(ReportState::Queued)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    // Oldest first (IDs are UUIDv7).
    ids.sort();
    d.sync().await;
    (d, ids)
}

async fn a_leader_reviews_the_teams_reports(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;

    // The review queue: the team's four, with reporter, photos arrived, and the later ones
    // marked as likely duplicates of the first (same 小类, same place, same hour).
    let queue = leader
        .get::<ReportPage>("/v1/console/reports?state=pending_review")
        .await
        .items;
    assert_eq!(queue.len(), 4);
    for r in &queue {
        assert_eq!(r.reporter.login, INSPECTOR);
        assert_eq!(r.photos_arrived.len(), 1);
        // The leader's step (受理) is due 2 working hours after the last photo arrived.
        let left = r.step_left_minutes.unwrap();
        assert!((110..=120).contains(&left), "{left}");
        assert!(r.step_due_at.unwrap() >= r.state_at + chrono::Duration::hours(2));
    }
    let first = ids[0];
    assert!(
        queue
            .iter()
            .filter(|r| r.duplicate_of == Some(first))
            .count()
            >= 1
    );

    // The other team's leader sees none of them and may not act on them.
    let other = Console::sign_in(&s, "linzhiyuan").await;
    let theirs: ReportPage = other.get("/v1/console/reports").await;
    assert!(theirs.items.is_empty());
    assert_eq!((theirs.total, theirs.next), (0, None));
    let e = other
        .refused(first, CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(e.error, "forbidden");

    // A reason longer than a note may be is refused in words; nothing changes.
    let e = leader
        .refused(
            ids[2],
            CaseAction::Reject {
                reason: "理由".repeat(1001),
            },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(e.error, "bad_request");
    assert!(e.message.contains("at most 2000"), "{}", e.message);

    // Nor anything else of this team's: its photos (as if they were not there), its intake
    // health, its likely duplicates.
    let sha = queue[0].report.photos[0].sha256.clone();
    let photo = |c: &Console| {
        c.http
            .get(format!("{}/v1/console/photos/{sha}", c.url))
            .bearer_auth(&c.token)
            .send()
    };
    assert_eq!(photo(&leader).await.unwrap().status(), 200);
    assert_eq!(photo(&other).await.unwrap().status(), 404);
    let theirs: IntakeHealth = other.get("/v1/console/health").await;
    assert_eq!(
        theirs.states.iter().map(|c| c.count).sum::<u64>(),
        0,
        "{theirs:?}"
    );
    let ours: IntakeHealth = leader.get("/v1/console/health").await;
    assert_eq!(
        ours.states.iter().map(|c| c.count).sum::<u64>(),
        4,
        "{ours:?}"
    );

    // A report of the other team's: neither leader may merge across the teams.
    let zhaomin = s.store.user_by_login("zhaomin").await.unwrap().unwrap();
    let signer = Tablet::new();
    let tablet = signer.id;
    let token = admin::enroll_device(s.store.as_ref(), "zhaomin", tablet)
        .await
        .unwrap();
    let mut report = gridwalk_protocol::testing::report();
    (report.reporter, report.device) = (zhaomin.id, tablet);
    report.photos.clear();
    let submit = gridwalk_protocol::Mutation {
        id: 1,
        device: tablet,
        created_at: chrono::Utc::now(),
        body: gridwalk_protocol::MutationBody::SubmitReport {
            report: Box::new(report.clone()),
        },
        signature: None,
    };
    let resp = post_push(&s, &token, &push_of(&signer, vec![submit])).await;
    assert_eq!(resp.status(), 200);
    let e = leader
        .refused(
            ids[3],
            CaseAction::Merge { into: report.id },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(e.error, "forbidden");
    assert!(
        e.message.contains("only an operator merges"),
        "{}",
        e.message
    );
    // A made-up ID gets the same answer: a leader cannot tell which reports exist.
    let e = leader
        .refused(
            ids[3],
            CaseAction::Merge {
                into: ReportId::new(),
            },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(e.error, "forbidden");
    let e = other
        .refused(
            report.id,
            CaseAction::Merge { into: ids[3] },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(e.error, "forbidden");

    // Approve: a case number of today's local date.
    let a = leader
        .done(first, CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(a.state, CaseState::Registered);
    let no = a.case_no.unwrap();
    assert!(no.len() == 13 && no.ends_with("-0001"), "{no}");
    // Acting on what one saw before someone else acted is refused, and changes nothing.
    let e = leader
        .refused(first, CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(e.error, "refused");
    assert!(
        e.message.contains("someone else acted on it first"),
        "{}",
        e.message
    );

    // Return with a comment: the device gets the state and the words on its next sync.
    let ret = ids[1];
    let e = leader
        .refused(
            ret,
            CaseAction::Return {
                comment: "  ".into(),
            },
            CaseState::PendingReview,
        )
        .await;
    assert!(
        e.message.contains("say what the inspector should change"),
        "{}",
        e.message
    );
    leader
        .done(
            ret,
            CaseAction::Return {
                comment: "照片看不清井盖编号，请补拍".into(),
            },
            CaseState::PendingReview,
        )
        .await;
    d.sync().await;
    let local = d.engine.report(ret).unwrap();
    assert_eq!(local.central_state, Some(CaseState::Returned));
    assert_eq!(
        local.centre_note,
        Some(gridwalk_protocol::Message::verbatim(
            "照片看不清井盖编号，请补拍"
        ))
    );
    // The inspector edits and resubmits: back in review, and the audit trail says so.
    d.engine
        .edit_report(
            ret,
            &DraftPatch {
                description: Some("补充：井盖编号 SZ-0032".into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    d.sync().await;
    let detail: ReportDetail = leader.get(&format!("/v1/console/reports/{ret}")).await;
    assert_eq!(detail.item.state, CaseState::PendingReview);
    let actions: Vec<&str> = detail.events.iter().map(|e| e.action.as_str()).collect();
    // The photo's arrival moved it to review: a step of the loop, made by the centre.
    assert_eq!(actions, ["photos_complete", "return", "resubmit"]);
    assert_eq!(
        (detail.events[0].from, detail.events[0].to),
        (CaseState::AwaitingPhotos, CaseState::PendingReview)
    );
    assert_eq!(detail.events[0].by_user, None);
    assert_eq!(detail.events[1].by_name.as_deref(), Some("陈建国"));
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(detail.versions[1].by_device, Some(d.engine.device_id()));

    // Reject with a reason; merge a duplicate into the registered case.
    leader
        .done(
            ids[2],
            CaseAction::Reject {
                reason: "非城管职责范围".into(),
            },
            CaseState::PendingReview,
        )
        .await;
    let e = leader
        .refused(
            ids[3],
            CaseAction::Merge { into: ids[2] },
            CaseState::PendingReview,
        )
        .await;
    assert!(e.message.contains("rejected or merged"), "{}", e.message);
    leader
        .done(
            ids[3],
            CaseAction::Merge { into: first },
            CaseState::PendingReview,
        )
        .await;
    let detail: ReportDetail = leader.get(&format!("/v1/console/reports/{first}")).await;
    assert!(
        detail
            .related
            .iter()
            .any(|r| r.report.id == ids[3] && r.state == CaseState::Merged)
    );
    d.sync().await;
    assert_eq!(
        d.engine.report(ids[2]).unwrap().central_state,
        Some(CaseState::Rejected)
    );
    assert_eq!(
        d.engine.report(ids[2]).unwrap().centre_note,
        Some(gridwalk_protocol::Message::verbatim("非城管职责范围"))
    );
    assert_eq!(
        d.engine.report(ids[3]).unwrap().central_state,
        Some(CaseState::Merged)
    );

    // The device board: the tablet, its owner, nothing left on it.
    let board: Vec<DeviceRow> = leader.get("/v1/console/devices").await;
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].user.login, INSPECTOR);
    assert_eq!(board[0].reports_received, 4);
    assert_eq!(board[0].queue.reports, 0);
    assert!(board[0].last_seen.is_some());
    s.finish().await;
}

async fn a_case_goes_round_the_loop_with_deadlines_in_working_time(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let op = Console::sign_in(&s, "sunyue").await;
    let id = ids[0];
    leader
        .done(id, CaseAction::approve(), CaseState::PendingReview)
        .await;
    let e = op
        .refused(
            id,
            CaseAction::Dispatch {
                department: "NOPE".into(),
            },
            CaseState::Registered,
        )
        .await;
    assert!(e.message.contains("HW"), "{}", e.message);
    let a = op
        .done(
            id,
            CaseAction::Dispatch {
                department: "HW".into(),
            },
            CaseState::Registered,
        )
        .await;
    assert_eq!(a.state, CaseState::Dispatched);
    let detail: ReportDetail = op.get(&format!("/v1/console/reports/{id}")).await;
    let case = detail.item.case.clone().unwrap();
    assert_eq!(case.department.as_deref(), Some("HW"));
    // 乱堆物堆料 (event 0507): 7 working hours from now, never earlier than 7 clock hours.
    let due = case.due_at.unwrap();
    assert!(
        due >= detail.events[1].at + chrono::Duration::hours(7),
        "{due}"
    );
    // The step it waits on is the department's, counted down in working time: all 7 hours
    // left (a minute may have passed), never more.
    assert_eq!(detail.item.step_due_at, Some(due));
    let left = detail.item.step_left_minutes.unwrap();
    assert!((7 * 60 - 2..=7 * 60).contains(&left), "{left}");
    let page: ReportPage = op.get("/v1/console/reports?state=dispatched").await;
    let listed = page.items.iter().find(|r| r.report.id == id).unwrap();
    assert!(
        listed.step_left_minutes.is_some_and(|m| m <= left),
        "{listed:?}"
    );
    op.done(
        id,
        CaseAction::Handled {
            note: Some("已清运".into()),
            photos: vec![],
        },
        CaseState::Dispatched,
    )
    .await;

    // The verification task reaches the inspector's device with the case, and the report
    // says what the department did.
    d.sync().await;
    let said = d
        .engine
        .report(id)
        .unwrap()
        .centre_note
        .expect("the department's note");
    assert_eq!(said.code, "note.handled");
    assert_eq!(said.params["department"], "环境卫生管理处");
    assert_eq!(said.params["note"], "已清运");
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].task.report, id);
    assert_eq!(tasks[0].task.case_no, Some(case.case_no));
    assert_eq!(tasks[0].department.as_deref(), Some("HW"));

    // The inspector goes back and finds it not fixed: a note is required, then the case
    // goes back to the department with a new deadline (返工).
    let task = tasks[0].task.id;
    let e = d.engine.complete_task(task, false, None, &[]).unwrap_err();
    assert!(e.to_string().contains("still wrong"), "{e}");
    let after = fixtures().join("photos/orient-2.jpg");
    d.engine
        .complete_task(task, false, Some("垃圾仍未清运"), &[after.as_path()])
        .unwrap();
    assert!(
        d.engine.tasks().unwrap().is_empty(),
        "done here, waiting to send"
    );
    d.sync().await;
    let detail: ReportDetail = op.get(&format!("/v1/console/reports/{id}")).await;
    assert_eq!(detail.item.state, CaseState::Dispatched);
    let case = detail.item.case.clone().unwrap();
    assert_eq!(case.reworks, 1);
    let fail = detail.events.last().unwrap();
    assert_eq!(fail.action, "verify_fail");
    assert_eq!(fail.by_device, Some(d.engine.device_id()));
    assert_eq!(fail.text.as_deref(), Some("垃圾仍未清运"));
    assert_eq!(case.due_at, fail.due_at);
    let done = &detail.tasks[0];
    assert_eq!(
        (done.passed, done.note.as_deref()),
        (Some(false), Some("垃圾仍未清运"))
    );
    assert_eq!(done.photos.len(), 1);
    // The after-photo's bytes arrived over tus, checked against the task.
    let resp = op
        .http
        .get(format!(
            "{}/v1/console/photos/{}",
            s.url, done.photos[0].sha256
        ))
        .bearer_auth(&op.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap().len() as u64,
        done.photos[0].bytes
    );

    // Handled again; this time it passes and the case closes (结案).
    op.done(
        id,
        CaseAction::Handled {
            note: Some("已清运".into()),
            photos: vec![],
        },
        CaseState::Dispatched,
    )
    .await;
    d.sync().await;
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_ne!(tasks[0].task.id, task);
    d.engine
        .complete_task(
            tasks[0].task.id,
            true,
            Some("已清理干净"),
            &[after.as_path()],
        )
        .unwrap();
    d.sync().await;
    let detail: ReportDetail = op.get(&format!("/v1/console/reports/{id}")).await;
    assert_eq!(detail.item.state, CaseState::Closed);
    assert!(detail.item.case.as_ref().unwrap().closed_at.is_some());
    // A task already done cannot be done again.
    let again = d
        .engine
        .complete_task(tasks[0].task.id, true, None, &[])
        .unwrap_err();
    assert_eq!(again.kind(), "not_found");

    // Intake health and evaluation see the loop.
    let health: IntakeHealth = op.get("/v1/console/health").await;
    assert_eq!(health.open_conflicts, 0);
    assert!(
        health
            .states
            .iter()
            .any(|c| c.state == CaseState::Closed && c.count == 1)
    );
    let from = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let q = format!(
        "by=inspector&from={}&to={}",
        urlencode(&from),
        urlencode(&to)
    );
    let ev: Evaluation = leader.get(&format!("/v1/console/evaluation?{q}")).await;
    assert_eq!(ev.rows.len(), 1);
    // Four reports observed today, one registered and three still undecided: those count
    // in neither part of the valid rate (every report in the denominator read 25 %).
    assert_eq!(
        (ev.total.reports, ev.total.registered, ev.total.invalid),
        (4, 1, 0)
    );
    assert_eq!(ev.total.valid_rate, Some(1.0));
    // One case, judged when it closed (before its deadline): handled with both rounds on
    // time, counted once, not once per round; closed on time after one rework; both
    // verifications done on time.
    let t = &ev.total;
    assert_eq!(
        (t.due, t.handled, t.handled_on_time, t.overdue),
        (1, 1, 1, 0)
    );
    assert_eq!(
        (t.handled_rate, t.handled_on_time_rate, t.overdue_rate),
        (Some(1.0), Some(1.0), Some(0.0))
    );
    assert_eq!(
        (t.due_to_close, t.closed, t.closed_on_time, t.reworked),
        (1, 1, 1, 1)
    );
    assert_eq!(t.closed_rate, Some(1.0));
    assert_eq!(t.closed_on_time_rate, Some(1.0));
    assert_eq!(t.rework_rate, Some(1.0));
    assert_eq!((t.verifications_due, t.verified_on_time), (2, 2));
    assert_eq!(t.verified_on_time_rate, Some(1.0));
    // By department: the case's department by its name.
    let by_department: Evaluation = leader
        .get(&format!(
            "/v1/console/evaluation?{}",
            q.replace("by=inspector", "by=department")
        ))
        .await;
    let rows: Vec<(&str, &str, u64)> = by_department
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.label.as_str(), r.due))
        .collect();
    assert_eq!(
        rows,
        [
            ("HW", "环境卫生管理处", 1),
            ("", "未派遣 not dispatched", 0)
        ]
    );
    let resp = leader
        .http
        .get(format!("{}/v1/console/evaluation.csv?{q}", s.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!(
            "attachment; filename=\"evaluation-inspectors-{}_{}.csv\"",
            today - chrono::Duration::days(1),
            today + chrono::Duration::days(1)
        ),
        "named by the grouping and the centre's days (UTC+8)"
    );
    let csv = resp.text().await.unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("李晓明,"), "{csv}");
    let geo: serde_json::Value = leader
        .get(&format!(
            "/v1/console/evaluation.geojson?{}",
            q.replace("by=inspector", "by=cell")
        ))
        .await;
    assert_eq!(geo["features"].as_array().unwrap().len(), 1);
    assert_eq!(geo["features"][0]["properties"]["reports"], 4);
    assert_eq!(geo["features"][0]["geometry"]["type"], "Polygon");
    // By community: the community's cells, drawn as one MultiPolygon; by inspector there is
    // nothing to draw, and the export says so.
    let resp = leader
        .http
        .get(format!(
            "{}/v1/console/evaluation.geojson?{}",
            s.url,
            q.replace("by=inspector", "by=community")
        ))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("evaluation-communities-")
    );
    let geo: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(geo["features"][0]["geometry"]["type"], "MultiPolygon");
    assert_eq!(
        geo["features"][0]["properties"]["label"],
        "环市街道 · 东华社区"
    );
    let resp = leader
        .http
        .get(format!("{}/v1/console/evaluation.geojson?{q}", s.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: ApiError = resp.json().await.unwrap();
    assert!(
        e.message
            .contains("grouped by inspector there is nothing to draw"),
        "{}",
        e.message
    );
    // A period that ends before it starts, and a grouping there is none of, are refused.
    for (query, words) in [
        (
            format!("by=cell&from={}&to={}", urlencode(&to), urlencode(&from)),
            "the period must end after it starts",
        ),
        (q.replace("by=inspector", "by=district"), "district"),
    ] {
        let resp = leader
            .http
            .get(format!("{}/v1/console/evaluation.csv?{query}", s.url))
            .bearer_auth(&leader.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{query}");
        let e: ApiError = resp.json().await.unwrap();
        assert!(e.message.contains(words), "{query}: {}", e.message);
    }
    s.finish().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn sign_in_is_refused_in_words_and_inspectors_stay_out(backend: Backend) {
    let s = server(backend).await;
    admin::set_password(s.store.as_ref(), "chenjianguo", PASSWORD)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let post = |login: &str, pw: &str| {
        http.post(format!("{}/v1/console/session", s.url))
            .json(&json!({ "login": login, "password": pw }))
            .send()
    };
    for (login, pw) in [("chenjianguo", "wrong password"), ("nobody", PASSWORD)] {
        let resp = post(login, pw).await.unwrap();
        assert_eq!(resp.status(), 401);
        let e: ApiError = resp.json().await.unwrap();
        assert_eq!(e.message, "the login or the password is wrong");
    }
    let e = admin::set_password(s.store.as_ref(), INSPECTOR, PASSWORD)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("inspector"), "{e}");
    let e = admin::set_password(s.store.as_ref(), "sunyue", "short")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at least 8"), "{e}");
    let resp = http
        .get(format!("{}/v1/console/reports", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let e: ApiError = resp.json().await.unwrap();
    assert_eq!(e.error, "signed_out");
    // Signing out ends the session.
    let c = Console::sign_in(&s, "chenjianguo").await;
    let resp = http
        .delete(format!("{}/v1/console/session", s.url))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let resp = http
        .get(format!("{}/v1/console/me", s.url))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    s.finish().await;
}

/// The team leader's review (受理) is due 2 working hours after a report is whole at the
/// centre, whether its photos came after it (over tus) or were already held when it came.
async fn the_review_is_due_in_working_time_however_the_photos_came(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    // The same photo again: held already, so the fifth goes to review as it arrives.
    capture(
        &d.engine,
        &[fixtures().join("photos/orient-1.jpg")],
        RUBBISH,
    );
    d.sync().await;
    let page: ReportPage = leader.get("/v1/console/reports?state=pending_review").await;
    assert_eq!(page.items.len(), 5);
    let fifth = page
        .items
        .iter()
        .find(|r| !ids.contains(&r.report.id))
        .unwrap();
    let detail: ReportDetail = leader
        .get(&format!("/v1/console/reports/{}", fifth.report.id))
        .await;
    assert_eq!(detail.events.len(), 0, "no move: it came whole");
    for r in &page.items {
        let due = r.step_due_at.unwrap();
        assert!(due >= r.state_at + chrono::Duration::hours(2), "{due}");
        assert!(due <= r.state_at + chrono::Duration::days(4), "{due}");
        assert!((110..=120).contains(&r.step_left_minutes.unwrap()));
    }
    // Due within 2 working hours: all five, whatever the hour (at 17:00 a review is due at
    // 10:30 the next morning, within 2 working hours though not 2 clock hours).
    let soon: ReportPage = leader
        .get("/v1/console/reports?state=pending_review&due=due_soon")
        .await;
    assert_eq!(soon.items.len(), 5);
    // 立案 moves the deadline on to the next step (派遣), 1 working hour.
    leader
        .done(ids[0], CaseAction::approve(), CaseState::PendingReview)
        .await;
    let registered: ReportDetail = leader.get(&format!("/v1/console/reports/{}", ids[0])).await;
    let left = registered.item.step_left_minutes.unwrap();
    assert!((55..=60).contains(&left), "{left}");
    s.finish().await;
}

/// A control character in any text a console user sends (U+0000, which PostgreSQL cannot
/// store; an escape sequence) is refused with a 400 naming the field, and changes nothing:
/// on sign-in before anyone is known, in an action's reason, in a search.
async fn control_characters_are_refused_in_words_and_change_nothing(backend: Backend) {
    let s = server(backend).await;
    let (_d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let http = reqwest::Client::new();
    let refusal = |resp: reqwest::Response| async move {
        assert_eq!(resp.status(), 400);
        resp.json::<ApiError>().await.unwrap()
    };
    let e = refusal(
        http.post(format!("{}/v1/console/session", s.url))
            .json(&json!({ "login": "chen\u{0}jianguo", "password": PASSWORD }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(e.code, "request.control_character");
    assert_eq!(e.params["field"], "login");
    assert_eq!(e.params["char"], "U+0000");
    let e = refusal(
        leader
            .act(
                ids[0],
                CaseAction::Return {
                    comment: "照片\u{0}不清".into(),
                },
                CaseState::PendingReview,
            )
            .await,
    )
    .await;
    assert_eq!(
        (e.code.as_str(), e.params["field"].as_str()),
        ("request.control_character", "comment")
    );
    assert_eq!(leader.state_of(ids[0]).await, CaseState::PendingReview);
    // Nested texts are named by their path.
    let resp = leader
        .http
        .post(format!("{}/v1/console/reports/merge", s.url))
        .bearer_auth(&leader.token)
        .json(&json!({ "into": ids[0], "reports": [ids[1]], "note": { "x": ["ok", "\u{1b}[2J"] } }))
        .send()
        .await
        .unwrap();
    let e = refusal(resp).await;
    assert_eq!(e.params["field"], "note.x[1]");
    assert_eq!(e.params["char"], "U+001B");
    let e = refusal(
        leader
            .http
            .get(format!("{}/v1/console/reports?q=%E4%BA%95%00", s.url))
            .bearer_auth(&leader.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(e.code, "request.control_character");
    // An ID that is none is said in the same shape.
    let e = refusal(
        leader
            .http
            .get(format!("{}/v1/console/reports/not-a-uuid", s.url))
            .bearer_auth(&leader.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(e.code, "request.path_invalid");
    // No such route, or not with this method: the error shape too, not an empty body.
    let resp = http.get(format!("{}/v1/nope", s.url)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<ApiError>().await.unwrap().code,
        "request.no_route"
    );
    let resp = leader
        .http
        .put(format!("{}/v1/console/reports", s.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(
        resp.json::<ApiError>().await.unwrap().code,
        "request.method_not_allowed"
    );
    // Line breaks and tabs are text: a reason over two lines is taken.
    leader
        .done(
            ids[0],
            CaseAction::Return {
                comment: "照片不清\n请补拍\t近景".into(),
            },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(leader.state_of(ids[0]).await, CaseState::Returned);
    s.finish().await;
}

/// The report page's seal: verified while the records and photos are as written; once a
/// photo's file is overwritten on disk, the seal names it and the photo is not served.
async fn a_reports_seal_shows_verified_then_what_was_changed(backend: Backend) {
    let s = server(backend).await;
    let (_d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    leader
        .done(ids[0], CaseAction::approve(), CaseState::PendingReview)
        .await;
    let path = format!("/v1/console/reports/{}", ids[0]);
    let detail: ReportDetail = leader.get(&path).await;
    assert!(detail.seal.verified, "{:?}", detail.seal);
    assert_eq!(
        (detail.seal.versions, detail.seal.events, detail.seal.photos),
        (1, 2, 1),
        "{:?}",
        detail.seal
    );
    let sha = detail.item.report.photos[0].sha256.clone();
    let photo = format!("/v1/console/photos/{sha}");
    let served = leader
        .http
        .get(format!("{}{photo}", s.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);

    let file = s
        .blobs_dir
        .join(gridwalk_sync::blobs::BlobStore::photo_key(&sha));
    std::fs::write(&file, b"<html>not the photo</html>").unwrap();
    let detail: ReportDetail = leader.get(&path).await;
    assert!(!detail.seal.verified);
    let broken = detail.seal.broken.unwrap();
    assert!(
        broken.contains(&format!("photo_blobs: photo {sha}")),
        "{broken}"
    );
    let served = leader
        .http
        .get(format!("{}{photo}", s.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.status(),
        500,
        "changed bytes are not served as the photo"
    );
    s.finish().await;
}

/// A report from the demo inspector's `tablet` at (lon, lat), claiming `cell` and no flags.
fn claiming(
    tablet: gridwalk_protocol::DeviceId,
    reporter: gridwalk_protocol::UserId,
    (lon, lat): (f64, f64),
    cell: &str,
) -> gridwalk_protocol::Report {
    let mut r = gridwalk_protocol::testing::report_at(lon, lat, chrono::Utc::now());
    (r.reporter, r.device) = (reporter, tablet);
    r.photos.clear();
    r.cell = Some(cell.parse().unwrap());
    r
}

fn mutation(
    tablet: gridwalk_protocol::DeviceId,
    id: u64,
    body: gridwalk_protocol::MutationBody,
) -> gridwalk_protocol::Mutation {
    gridwalk_protocol::Mutation {
        id,
        device: tablet,
        created_at: chrono::Utc::now(),
        body,
        signature: None,
    }
}

fn submit(report: &gridwalk_protocol::Report) -> gridwalk_protocol::MutationBody {
    gridwalk_protocol::MutationBody::SubmitReport {
        report: Box::new(report.clone()),
    }
}

/// The centre decides a report's cell and flags from its position against its own grid;
/// the device's claim is kept beside them and shown to the team leader, and only the
/// centre's cell counts in the evaluation per cell.
async fn the_centre_places_reports_and_a_leader_sees_what_the_device_claimed(backend: Backend) {
    use gridwalk_protocol::console::PlaceDispute;
    use gridwalk_protocol::{LocationFlag, MutationBody, Outcome, PushResponse};
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(&s, &engine).await;
    let tablet = engine.device_id();
    let me = s.store.user_by_login(INSPECTOR).await.unwrap().unwrap();
    // 天安门 in Beijing, claiming one of the inspector's own cells in 江门, with no flags;
    // a made-up cell at a position in that cell; and an honest report.
    let own = "440703001001003";
    let beijing = claiming(tablet, me.id, (116.3975, 39.9087), own);
    let made_up = claiming(tablet, me.id, (113.0631, 22.5983), "999999999999999");
    let honest = claiming(tablet, me.id, (113.0631, 22.5984), own);
    let mut other = beijing.clone();
    other.cell = Some("440703001001001".parse().unwrap());
    let batch = vec![
        mutation(tablet, 1, submit(&beijing)),
        mutation(tablet, 2, submit(&made_up)),
        mutation(tablet, 3, submit(&honest)),
        // The same record again under another number is the same report; another claim
        // about its place is other content.
        mutation(tablet, 4, submit(&beijing)),
        mutation(tablet, 5, submit(&other)),
    ];
    let resp = post_push(&s, &token, &push_of(&engine, batch)).await;
    assert_eq!(resp.status(), 200);
    let answers: PushResponse = resp.json().await.unwrap();
    let outcomes: Vec<&Outcome> = answers.results.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes[..4], [&Outcome::Applied; 4], "{outcomes:?}");
    assert!(
        matches!(outcomes[4], Outcome::Rejected { reason, .. } if reason.contains("different content")),
        "{outcomes:?}"
    );

    // The case store holds the centre's answer.
    let held = |id| {
        let store = std::sync::Arc::clone(&s.store);
        async move { store.report(id).await.unwrap().unwrap().report }
    };
    let b = held(beijing.id).await;
    assert_eq!(b.cell, None);
    assert_eq!(
        b.location_flags,
        vec![LocationFlag::OutsideGrid {
            nearest_cell: None,
            distance_m: None
        }]
    );
    assert_eq!(held(made_up.id).await.cell, Some(own.parse().unwrap()));
    assert_eq!(held(honest.id).await, honest);

    // The team leader sees the disagreements, in the list and in the detail.
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let list = leader
        .get::<ReportPage>("/v1/console/reports?state=pending_review")
        .await
        .items;
    let claim_of = |id: ReportId| {
        list.iter()
            .find(|r| r.report.id == id)
            .unwrap()
            .claim
            .clone()
    };
    assert_eq!(claim_of(honest.id), None);
    assert_eq!(
        claim_of(made_up.id).unwrap().disputes,
        vec![PlaceDispute::UnknownCell]
    );
    let detail: ReportDetail = leader
        .get(&format!("/v1/console/reports/{}", beijing.id))
        .await;
    assert_eq!(detail.item.report.cell, None);
    assert!(detail.cell.is_none(), "no cell to draw");
    let claim = detail.item.claim.unwrap();
    assert_eq!(claim.cell, Some(own.parse().unwrap()));
    assert!(claim.location_flags.is_empty());
    assert_eq!(
        claim.disputes,
        vec![
            PlaceDispute::PositionOutsideGrid,
            PlaceDispute::FlagsDisputed
        ]
    );

    // An edit that moves a report is placed again: the honest report, moved to Beijing
    // with its old cell still claimed.
    let moved = gridwalk_protocol::ReportPatch {
        place: Some(gridwalk_protocol::edit::Place {
            location: beijing.location,
            cell: Some(own.parse().unwrap()),
            location_flags: vec![],
            address: "北京".into(),
        }),
        ..gridwalk_protocol::ReportPatch::default()
    };
    let edit = MutationBody::EditReport {
        report: honest.id,
        base_version: 1,
        patch: Box::new(moved),
    };
    let resp = post_push(
        &s,
        &token,
        &push_of(&engine, vec![mutation(tablet, 6, edit)]),
    )
    .await;
    let answers: PushResponse = resp.json().await.unwrap();
    assert_eq!(answers.results[0].outcome, Outcome::Applied);
    let h = held(honest.id).await;
    assert_eq!((h.cell, h.address.as_str()), (None, "北京"));
    let detail: ReportDetail = leader
        .get(&format!("/v1/console/reports/{}", honest.id))
        .await;
    assert_eq!(
        detail.item.claim.unwrap().disputes,
        vec![
            PlaceDispute::PositionOutsideGrid,
            PlaceDispute::FlagsDisputed
        ]
    );

    // The evaluation per cell counts the centre's cells only: the made-up report in its
    // real cell, the two reports in Beijing in none, and no row for a claimed cell.
    let from = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let q = format!("by=cell&from={}&to={}", urlencode(&from), urlencode(&to));
    let ev: Evaluation = leader.get(&format!("/v1/console/evaluation?{q}")).await;
    let rows: Vec<(&str, u64)> = ev
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.reports))
        .collect();
    assert_eq!(rows, [(own, 1), ("", 2)], "{rows:?}");
    assert_eq!(ev.rows[1].label, "网格外 outside the grid");
    s.finish().await;
}

/// The health page of a team leader holds their own team's intake only: the refusals (with
/// the inspector's name and the reason), the reports waiting for photos, the unfinished
/// uploads and the devices' backlog of one team are not shown to another team's leader;
/// the operator sees the whole city.
async fn a_leaders_health_page_holds_only_their_team(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    for _ in 0..2 {
        capture(&engine, &[fixtures().join("photos/orient-1.jpg")], RUBBISH);
    }
    let token = enroll(&s, &engine).await;
    let mut mutations = engine.pending_mutations(10).unwrap();
    // The second report names a 小类 the code table does not have: refused in words.
    if let gridwalk_protocol::MutationBody::SubmitReport { report } = &mut mutations[1].body {
        report.category = "9999".parse().unwrap();
    }
    let mut req = push_of(&engine, mutations.clone());
    req.queue.photos = 1;
    req.queue.bytes = 4096;
    let resp = post_push(&s, &token, &req).await;
    assert_eq!(resp.status(), 200);
    // The first report waits for its photo, whose upload is begun and left unfinished.
    let first = mutations[0].body.submitted().unwrap().clone();
    assert_eq!(
        tus_create(&s, &token, first.id, &first.photos[0])
            .await
            .status(),
        201
    );

    let ours: IntakeHealth = Console::sign_in(&s, "chenjianguo")
        .await
        .get("/v1/console/health")
        .await;
    assert_eq!(ours.refusals.len(), 1, "{ours:?}");
    assert_eq!(ours.refusals[0].user, "李晓明");
    assert_eq!(ours.missing_photos.len(), 1, "{ours:?}");
    assert_eq!(ours.missing_photos[0].report, first.id);
    assert_eq!(ours.uploads.len(), 1, "{ours:?}");
    assert_eq!(ours.devices_queue.photos, 1);

    let theirs: IntakeHealth = Console::sign_in(&s, "linzhiyuan")
        .await
        .get("/v1/console/health")
        .await;
    assert!(theirs.refusals.is_empty(), "{theirs:?}");
    assert!(theirs.missing_photos.is_empty(), "{theirs:?}");
    assert!(theirs.uploads.is_empty(), "{theirs:?}");
    assert_eq!(
        theirs.devices_queue,
        gridwalk_protocol::QueueStats::default()
    );
    assert_eq!(theirs.states.iter().map(|c| c.count).sum::<u64>(), 0);
    assert_eq!(theirs.oldest_pending, None);

    let city: IntakeHealth = Console::sign_in(&s, "sunyue")
        .await
        .get("/v1/console/health")
        .await;
    assert_eq!(
        (
            city.refusals.len(),
            city.missing_photos.len(),
            city.uploads.len()
        ),
        (1, 1, 1)
    );
    s.finish().await;
}

/// Teams are named after their leaders, with their people, for whoever may name them: a
/// leader their own, the operator and the administrator every team, a clerk none; and the
/// evaluation by team says the same names.
async fn teams_are_named_after_their_leaders_within_reach(backend: Backend) {
    let s = server(backend).await;
    let names = |teams: &[Team]| {
        teams
            .iter()
            .map(|t| (t.code.clone(), t.name.clone()))
            .collect::<Vec<_>>()
    };
    let both = vec![
        ("T440703001-01".to_owned(), "陈建国组".to_owned()),
        ("T440703002-01".to_owned(), "林志远组".to_owned()),
    ];
    let leader: Vec<Team> = Console::sign_in(&s, "chenjianguo")
        .await
        .get("/v1/console/teams")
        .await;
    assert_eq!(
        names(&leader),
        both[..1],
        "a leader names their own team only"
    );
    let members: Vec<&str> = leader[0].members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(members[0], "陈建国", "the leader first: {members:?}");
    assert_eq!(members.len(), 6, "{members:?}");
    for login in ["sunyue", "guanliyuan"] {
        let all: Vec<Team> = Console::sign_in(&s, login)
            .await
            .get("/v1/console/teams")
            .await;
        assert_eq!(
            names(&all),
            both,
            "{login} names every team, the centre's own is none"
        );
    }
    let clerk: Vec<Team> = Console::sign_in(&s, "liangqing")
        .await
        .get("/v1/console/teams")
        .await;
    assert!(clerk.is_empty(), "{clerk:?}");
    // Disabled people leave their team, and a team without a leader keeps its code.
    admin::disable_user(s.store.as_ref(), "linzhiyuan")
        .await
        .unwrap();
    let all: Vec<Team> = Console::sign_in(&s, "sunyue")
        .await
        .get("/v1/console/teams")
        .await;
    assert_eq!(all[1].name, "T440703002-01");
    assert!(all[1].members.iter().all(|m| m.login != "linzhiyuan"));
    s.finish().await;
}

/// A report captured offline with these words (and a photo), at a place of its own.
fn worded(engine: &Engine, n: u32, description: &str, urgent: bool) -> ReportId {
    let d = engine.create_draft().unwrap();
    engine
        .add_photo(
            d.id,
            &fixtures().join("photos/orient-1.jpg"),
            gridwalk_protocol::PhotoStage::Before,
        )
        .unwrap();
    engine
        .set_location(
            d.id,
            gridwalk_protocol::Location {
                lon: 113.0631 + f64::from(n) * 0.0005,
                lat: 22.5983,
                crs: gridwalk_protocol::Crs::Wgs84,
                accuracy_m: 5.0,
                fix_time: chrono::Utc::now(),
                provider: gridwalk_protocol::LocationProvider::Gps,
            },
        )
        .unwrap();
    engine
        .update_draft(
            d.id,
            &DraftPatch {
                kind: Some(RUBBISH.0),
                category: Some(RUBBISH.1.parse().unwrap()),
                description: Some(description.into()),
                address: Some(format!("建设路{n}号")),
                urgency: Some(if urgent {
                    gridwalk_protocol::Urgency::Urgent
                } else {
                    gridwalk_protocol::Urgency::Normal
                }),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    engine.finalize(d.id).unwrap();
    d.id
}

/// A leader's work queue over HTTP: oldest waiting first, urgent first, search, paging by
/// cursor to the end, and a request it cannot take refused in words.
async fn a_leaders_queue_filters_sorts_pages_and_searches(backend: Backend) {
    let s = server(backend).await;
    let d = device(&s).await;
    let words = [
        ("井盖缺失", false),
        ("路边垃圾堆放", true),
        ("井盖破损", false),
        ("占道经营", true),
        ("雨水井盖松动", false),
    ];
    let mut ids = Vec::new();
    for (n, (w, urgent)) in (1..).zip(words) {
        ids.push(worded(&d.engine, n, w, urgent));
        // One sync each, so each waits from its own moment.
        d.sync().await;
    }
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let list = |q: &str| {
        let path = format!("/v1/console/reports?{q}");
        let leader = &leader;
        async move { leader.get::<ReportPage>(&path).await }
    };
    let of = |p: &ReportPage| p.items.iter().map(|r| r.report.id).collect::<Vec<_>>();
    let page = list("state=pending_review").await;
    assert_eq!(of(&page), ids, "oldest waiting first");
    assert_eq!((page.total, page.total_capped, page.next), (5, false, None));
    let urgent = list("state=pending_review&sort=urgent").await;
    assert_eq!(
        of(&urgent),
        vec![ids[1], ids[3], ids[0], ids[2], ids[4]],
        "urgent first"
    );
    let found = list(&format!("q={}", urlencode("井盖"))).await;
    assert_eq!(of(&found), vec![ids[0], ids[2], ids[4]]);
    assert_eq!(found.total, 3);
    let found = list(&format!("q={}&sort=newest", urlencode("井盖 5号"))).await;
    assert_eq!(of(&found), vec![ids[4]], "a word of the address too");
    let urgent_only = list("urgency=urgent&sort=newest").await;
    assert_eq!(of(&urgent_only), vec![ids[3], ids[1]]);

    // Two at a time, to the end.
    let mut seen = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let page = list(&query).await;
        assert_eq!(page.total, 5);
        seen.extend(of(&page));
        match page.next {
            Some(next) => query = format!("limit=2&after={}", urlencode(&next)),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // Another team asked for by name: nothing, and no hint of what is there.
    let other = list("team=T440703002-01").await;
    assert_eq!((other.items.len(), other.total), (0, 0));

    // What it cannot take is refused in words.
    for (q, words) in [
        ("sort=sideways", "not an order"),
        ("limit=500", "a page holds 1 to 200"),
        ("street=12", "not a street code"),
        ("after=waiting~nonsense", "not a cursor"),
        ("from=yesterday", "from"),
    ] {
        let resp = leader
            .http
            .get(format!("{}/v1/console/reports?{q}", leader.url))
            .bearer_auth(&leader.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{q}");
        let e: ApiError = resp.json().await.unwrap();
        assert!(e.message.contains(words), "{q}: {}", e.message);
    }
    s.finish().await;
}

/// A registration that corrects the category, description and address: the leader's own
/// version, refused if the inspector changed the report since the leader looked; the seal
/// holds; the tablet takes the corrected record with a note of each change, and an edit it
/// queued before hearing of it is refused as too late.
async fn a_leader_corrects_a_report_at_registration_and_the_tablet_sees_it(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let id = ids[0];
    let correction = |version| Correction {
        version,
        category: Some(CategoryChoice {
            kind: gridwalk_protocol::Kind::Event,
            category: "0504".parse().unwrap(),
        }),
        description: Some("店外占道堆放杂物".into()),
        address: Some("建设路 14 号".into()),
    };
    let approve = |version| CaseAction::Approve {
        correct: Some(correction(version)),
        despite_duplicate: false,
    };

    // The inspector changes the report while the leader looks at version 1.
    d.engine
        .edit_report(
            id,
            &DraftPatch {
                description: Some("网格员补充：纸箱杂物".into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    d.sync().await;
    let e = leader
        .refused(id, approve(1), CaseState::PendingReview)
        .await;
    assert_eq!(
        (e.error.as_str(), e.code.as_str()),
        ("refused", "case.version")
    );
    assert_eq!(
        leader.state_of(id).await,
        CaseState::PendingReview,
        "nothing registered"
    );
    // A category the report's code table does not have: refused, each field named.
    let mut unknown = correction(2);
    unknown.category.as_mut().unwrap().category = "0999".parse().unwrap();
    let e = leader
        .refused(
            id,
            CaseAction::Approve {
                correct: Some(unknown),
                despite_duplicate: false,
            },
            CaseState::PendingReview,
        )
        .await;
    assert_eq!(e.code, "case.correction_invalid");
    assert_eq!(e.fields[0].field, "category");

    // The tablet queues another change it has not sent; the leader registers version 2,
    // corrected.
    d.engine
        .edit_report(
            id,
            &DraftPatch {
                address: Some("网格员后改的地址".into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    let a = leader.done(id, approve(2), CaseState::PendingReview).await;
    assert_eq!(a.state, CaseState::Registered);
    let detail: ReportDetail = leader.get(&format!("/v1/console/reports/{id}")).await;
    assert_eq!(detail.versions.len(), 3);
    let v = &detail.versions[2];
    assert_eq!(
        (v.by_role, v.by_name.as_deref()),
        (Some(Role::Leader), Some("陈建国"))
    );
    assert_eq!((v.by_device, v.mutation), (None, None));
    assert_eq!(detail.versions[1].by_role, Some(Role::Inspector));
    assert_eq!(v.record.category.as_str(), "0504");
    assert_eq!(v.record.description, "店外占道堆放杂物");
    assert_eq!(v.record.address, "建设路 14 号");
    assert_eq!(detail.item.report, v.record);
    assert!(detail.seal.verified, "{:?}", detail.seal);
    assert_eq!(detail.seal.versions, 3);
    assert_eq!(
        detail
            .events
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["photos_complete", "approve"]
    );

    // The tablet: its queued change is refused (a case is no longer the inspector's to
    // change), and it takes the centre's corrected record with the leader's note.
    d.sync().await;
    let local = d.engine.report(id).unwrap();
    assert_eq!(local.central_state, Some(CaseState::Registered));
    assert_eq!(local.central_version, Some(3));
    assert_eq!(local.category.as_ref().map(|c| c.as_str()), Some("0504"));
    assert_eq!(local.description, "店外占道堆放杂物");
    assert_eq!(local.address, "建设路 14 号");
    let note = local.centre_note.expect("the leader's note");
    assert_eq!(note.code, "note.corrected");
    let changed: Vec<_> = note
        .fields
        .iter()
        .map(|f| {
            (
                f.field.as_str(),
                f.params["from"].as_str(),
                f.params["to"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("category", "event:0507", "event:0504"),
            ("description", "网格员补充：纸箱杂物", "店外占道堆放杂物"),
            ("address", "", "建设路 14 号"),
        ]
    );
    assert!(d.engine.pending_mutations(10).unwrap().is_empty());
    let held: ReportDetail = leader.get(&format!("/v1/console/reports/{id}")).await;
    assert_eq!(held.versions.len(), 3, "the late change made no version");
    // The case's evidence package checks without the database: the tablet's two versions
    // signed by its key, the leader's on the chain as theirs.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("package");
    admin::export_case(s.store.as_ref(), &s.blobs, &id.to_string(), &out)
        .await
        .unwrap();
    let checked = gridwalk_evidence::package::check(&out).unwrap();
    assert_eq!(checked.versions, 3);
    assert_eq!(
        (checked.signatures.signed, checked.signatures.unsigned.len()),
        (2, 0)
    );
    // Dispatched later, the tablet still has the leader's word on it.
    leader
        .done(
            id,
            CaseAction::Dispatch {
                department: "SZ".into(),
            },
            CaseState::Registered,
        )
        .await;
    d.sync().await;
    let local = d.engine.report(id).unwrap();
    assert_eq!(local.central_state, Some(CaseState::Dispatched));
    assert_eq!(
        local.centre_note.map(|n| n.code),
        Some("note.corrected".into())
    );
    s.finish().await;
}

/// Registering a likely duplicate waits until the leader says they saw the warning, which
/// names the other report; a cluster merges at once, all or none.
/// Team B's inspector reports the problem team A's inspector reported minutes before, at
/// the same spot: B's report is marked a likely duplicate of A's. Each team's leader
/// registers their own with no warning (the other team's report is out of their reach, and
/// a warning would name it); the operator, who sees both, is warned.
async fn a_duplicate_in_another_team_is_not_named_to_a_leader(backend: Backend) {
    let s = server(backend).await;
    let a = device(&s).await;
    capture(
        &a.engine,
        &[fixtures().join("photos/orient-1.jpg")],
        RUBBISH,
    );
    a.sync().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine_as(dir.path(), "zhaomin");
    let token = admin::enroll_device(s.store.as_ref(), "zhaomin", engine.device_id())
        .await
        .unwrap();
    let client = connect(&engine, &s.url, &token);
    let b = Device {
        engine,
        client,
        token,
        _dir: dir,
    };
    capture(
        &b.engine,
        &[fixtures().join("photos/orient-1.jpg")],
        RUBBISH,
    );
    b.sync().await;
    let id = |d: &Device| d.engine.reports(ReportState::Sent).unwrap()[0].id;
    let (report_a, report_b) = (id(&a), id(&b));

    let op = Console::sign_in(&s, "sunyue").await;
    let detail: ReportDetail = op.get(&format!("/v1/console/reports/{report_b}")).await;
    assert_eq!(
        detail.item.duplicate_of,
        Some(report_a),
        "marked across teams"
    );
    let e = op
        .refused(report_b, CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(e.code, "case.likely_duplicate", "the operator sees both");

    let leader_b = Console::sign_in(&s, "linzhiyuan").await;
    leader_b
        .done(report_b, CaseAction::approve(), CaseState::PendingReview)
        .await;
    let leader_a = Console::sign_in(&s, "chenjianguo").await;
    leader_a
        .done(report_a, CaseAction::approve(), CaseState::PendingReview)
        .await;
    s.finish().await;
}

async fn a_likely_duplicate_waits_for_the_leader_and_a_cluster_merges_at_once(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let first = ids[0];
    let detail: ReportDetail = leader.get(&format!("/v1/console/reports/{}", ids[1])).await;
    assert_eq!(detail.item.duplicate_of, Some(first));
    // The ≈ cluster: the one it duplicates and the others that duplicate the same.
    let mut related: Vec<_> = detail.related.iter().map(|r| r.report.id).collect();
    related.sort();
    assert_eq!(related, [ids[0], ids[2], ids[3]]);

    let e = leader
        .refused(ids[1], CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(
        (e.error.as_str(), e.code.as_str()),
        ("refused", "case.likely_duplicate")
    );
    assert_eq!(e.params["category"], "0507 乱堆物堆料");
    assert_eq!(e.params["reporter"], "李晓明");
    assert_eq!(e.params["state"], "pending_review");
    assert_eq!(e.params["metres"], "0");
    assert!(
        e.message.contains("merge it into that report"),
        "{}",
        e.message
    );
    assert_eq!(leader.state_of(ids[1]).await, CaseState::PendingReview);
    let seen = CaseAction::Approve {
        correct: None,
        despite_duplicate: true,
    };
    let case = leader.done(ids[1], seen, CaseState::PendingReview).await;
    let case_no = case.case_no.unwrap();
    // Now the first would be a second case of the problem.
    let e = leader
        .refused(first, CaseAction::approve(), CaseState::PendingReview)
        .await;
    assert_eq!(e.code, "case.likely_duplicate_case");
    assert_eq!(e.params["case_no"], case_no);

    // A bulk merge into the case: one report moved on since it was seen, so nothing is
    // merged and the answer says which and why.
    leader
        .done(
            ids[3],
            CaseAction::Return {
                comment: "请补拍".into(),
            },
            CaseState::PendingReview,
        )
        .await;
    let seen_as = |id, seen_state| SeenReport { id, seen_state };
    let stale = MergeRequest {
        into: ids[1],
        reports: vec![
            seen_as(first, CaseState::PendingReview),
            seen_as(ids[2], CaseState::PendingReview),
            seen_as(ids[3], CaseState::PendingReview),
        ],
    };
    let (status, body) = leader.merge(&stale).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "case.merge_refused");
    assert_eq!(body["cause"]["code"], "case.stale");
    assert_eq!(body["cause"]["params"]["report"], ids[3].to_string());
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing was merged: report "),
        "{body}"
    );
    for id in [first, ids[2]] {
        assert_eq!(
            leader.state_of(id).await,
            CaseState::PendingReview,
            "rolled back"
        );
    }
    // Asked wrongly: nothing, twice the same, into one of them, another team's leader.
    let (status, body) = leader
        .merge(&MergeRequest {
            into: ids[1],
            reports: vec![],
        })
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("case.merge_count"))
    );
    let twice = MergeRequest {
        into: ids[1],
        reports: vec![
            seen_as(first, CaseState::PendingReview),
            seen_as(first, CaseState::PendingReview),
        ],
    };
    assert_eq!(leader.merge(&twice).await.0, 400);
    let (status, body) = leader
        .merge(&MergeRequest {
            into: first,
            reports: vec![seen_as(first, CaseState::PendingReview)],
        })
        .await;
    assert_eq!(
        (status, body["cause"]["code"].as_str()),
        (409, Some("case.merge_self"))
    );
    let other = Console::sign_in(&s, "linzhiyuan").await;
    assert_eq!(other.merge(&stale).await.0, 403);

    // As seen now: all three folded into the case in one request.
    let whole = MergeRequest {
        into: ids[1],
        reports: vec![
            seen_as(first, CaseState::PendingReview),
            seen_as(ids[2], CaseState::PendingReview),
            seen_as(ids[3], CaseState::Returned),
        ],
    };
    let (status, body) = leader.merge(&whole).await;
    assert_eq!(status, 200, "{body}");
    let answer: MergeAnswer = serde_json::from_value(body).unwrap();
    assert_eq!(answer.merged, [first, ids[2], ids[3]]);
    let kept: ReportDetail = leader.get(&format!("/v1/console/reports/{}", ids[1])).await;
    for r in kept.related.iter().filter(|r| r.report.id != ids[1]) {
        assert_eq!((r.state, r.merged_into), (CaseState::Merged, Some(ids[1])));
    }
    assert!(kept.seal.verified);
    d.sync().await;
    let local = d.engine.report(ids[2]).unwrap();
    assert_eq!(local.central_state, Some(CaseState::Merged));
    s.finish().await;
}

/// A port's system receiving callbacks: it refuses the first delivery (a 503, as a system
/// being restarted would), and takes the rest, keeping each body and its headers.
struct Receiver {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

/// One delivery as the port received it: its headers and body.
type Received = (axum::http::HeaderMap, Vec<u8>);

async fn receiver() -> Receiver {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let kept = std::sync::Arc::clone(&got);
    let app = axum::Router::new().route(
        "/progress",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (kept, calls) = (std::sync::Arc::clone(&kept), std::sync::Arc::clone(&calls));
                async move {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    kept.lock().unwrap().push((headers, body.to_vec()));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/progress", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, got }
}

async fn file_call(
    http: &reqwest::Client,
    s: &Server,
    token: &str,
    key: Option<&str>,
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut req = http
        .post(format!("{}/v1/intake/reports", s.url))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

async fn a_hotline_call_is_filed_once_checked_on_site_and_heard_back(backend: Backend) {
    use gridwalk_protocol::console::TaskKind;
    use gridwalk_protocol::intake::{Deliveries, IntakeAnswer, Progress, Source};
    let s = server(backend).await;
    let d = device(&s).await;
    let op = Console::sign_in(&s, "sunyue").await;
    let token = admin::port_token(s.store.as_ref(), "hotline12345")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let rx = receiver().await;
    let secret = "the-hotline-callback-secret";
    let cb = http
        .put(format!("{}/v1/intake/callback", s.url))
        .bearer_auth(&token)
        .json(&json!({ "url": rx.url, "secret": secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(cb.status(), 200);

    // Filed once, whatever the retries.
    let call = hotline_call(
        "12345-20261202-0042",
        "市民来电：小区门口垃圾堆放多日无人清运",
    );
    let none = file_call(&http, &s, &token, None, &call).await;
    assert_eq!(none.status(), 400);
    let e: ApiError = none.json().await.unwrap();
    assert_eq!(e.code, "port.key_missing", "{e:?}");
    let first = file_call(&http, &s, &token, Some("call-0042"), &call).await;
    assert_eq!(first.status(), 201);
    let filed: IntakeAnswer = first.json().await.unwrap();
    assert_eq!(filed.state, CaseState::AwaitingCheck);
    assert_eq!(filed.source, Source::Hotline12345);
    assert_eq!(filed.caller_ref, "12345-20261202-0042");
    assert!(
        filed.check_task.is_some() && filed.check_due_at.is_some(),
        "{filed:?}"
    );
    let again = file_call(&http, &s, &token, Some("call-0042"), &call).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed: IntakeAnswer = again.json().await.unwrap();
    assert_eq!(replayed.report, filed.report);
    let mut changed = call.clone();
    changed["description"] = json!("另一件事");
    let reused = file_call(&http, &s, &token, Some("call-0042"), &changed).await;
    assert_eq!(reused.status(), 422);
    let e: ApiError = reused.json().await.unwrap();
    assert_eq!(e.code, "port.key_reused", "{e:?}");
    let resent = file_call(&http, &s, &token, Some("call-0042-b"), &call).await;
    assert_eq!(resent.status(), 409);
    let e: ApiError = resent.json().await.unwrap();
    assert_eq!(e.code, "port.caller_ref_taken", "{e:?}");
    assert!(
        e.message.contains(&filed.report.to_string()),
        "{}",
        e.message
    );
    // A tablet's token files nothing here, and a port's token pushes nothing.
    let tablet = file_call(&http, &s, &d.token, Some("x"), &call).await;
    assert_eq!(tablet.status(), 403);
    let page: ReportPage = op.get("/v1/console/reports?state=awaiting_check").await;
    assert_eq!(page.items.len(), 1, "one report, however often it was sent");
    let item = &page.items[0];
    assert_eq!(item.report.id, filed.report);
    assert_eq!(item.source, Source::Hotline12345);
    assert_eq!(item.caller_ref.as_deref(), Some("12345-20261202-0042"));
    let from_hotline: ReportPage = op.get("/v1/console/reports?source=hotline_12345").await;
    let ids: Vec<ReportId> = from_hotline.items.iter().map(|r| r.report.id).collect();
    assert_eq!(ids, [filed.report]);
    let from_tablets: ReportPage = op.get("/v1/console/reports?source=inspector").await;
    assert!(
        from_tablets
            .items
            .iter()
            .all(|r| r.report.id != filed.report)
    );

    // 核实 on the tablet of the cell's inspector: real, with a photo.
    d.sync().await;
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let check = &tasks[0];
    assert_eq!(check.task.kind, TaskKind::Check);
    assert_eq!(check.task.case_no, None);
    assert_eq!(check.report.id, filed.report);
    assert_eq!(check.source, Some(Source::Hotline12345));
    let e = d
        .engine
        .complete_task(check.task.id, false, None, &[])
        .unwrap_err();
    assert!(e.to_string().contains("what you found"), "{e}");
    let photo = fixtures().join("photos/orient-1.jpg");
    d.engine
        .complete_task(
            check.task.id,
            true,
            Some("现场确有垃圾堆放"),
            &[photo.as_path()],
        )
        .unwrap();
    d.sync().await;
    assert_eq!(op.state_of(filed.report).await, CaseState::PendingReview);

    // 立案 → 派遣 → 处置 → 核查 by the same inspector → 结案.
    let id = filed.report;
    let a = op
        .done(id, CaseAction::approve(), CaseState::PendingReview)
        .await;
    let case_no = a.case_no.unwrap();
    op.done(
        id,
        CaseAction::Dispatch {
            department: "HW".into(),
        },
        CaseState::Registered,
    )
    .await;
    op.done(
        id,
        CaseAction::Handled {
            note: Some("已清运".into()),
            photos: vec![],
        },
        CaseState::Dispatched,
    )
    .await;
    d.sync().await;
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1, "the checker verifies: {tasks:?}");
    assert_eq!(tasks[0].task.kind, TaskKind::Verify);
    assert_eq!(tasks[0].task.case_no.as_deref(), Some(case_no.as_str()));
    assert_eq!(
        tasks[0].handling_note.as_deref(),
        Some("已清运"),
        "what to check"
    );
    d.engine
        .complete_task(
            tasks[0].task.id,
            true,
            Some("已清理干净"),
            &[photo.as_path()],
        )
        .unwrap();
    d.sync().await;
    assert_eq!(op.state_of(id).await, CaseState::Closed);

    // The hotline heard every step, in order, signed; the first attempt was refused and
    // tried again.
    let want = [
        "check_real",
        "approve",
        "dispatch",
        "handled",
        "verify_pass",
    ];
    let mut heard: Vec<Progress> = Vec::new();
    for _ in 0..300 {
        heard = rx
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|(h, body)| {
                assert_eq!(
                    h["x-gridwalk-signature"].to_str().unwrap(),
                    gridwalk_sync::domain::ports::signature(secret, body)
                );
                serde_json::from_slice(body).unwrap()
            })
            .collect();
        if heard.len() >= want.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let actions: Vec<&str> = heard.iter().map(|p| p.action.as_str()).collect();
    assert_eq!(actions, want, "{heard:?}");
    assert!(
        heard
            .iter()
            .all(|p| p.report == id && p.caller_ref == "12345-20261202-0042")
    );
    let last = heard.last().unwrap();
    assert_eq!(last.state, CaseState::Closed);
    assert_eq!(last.case_no.as_deref(), Some(case_no.as_str()));
    assert_eq!(
        last.closure,
        Some(gridwalk_protocol::console::Closure::Normal)
    );
    let log: Deliveries = http
        .get(format!("{}/v1/intake/deliveries", s.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.deliveries.len(), want.len());
    assert!(log.deliveries.iter().all(|l| l.delivered_at.is_some()));
    let oldest = log.deliveries.last().unwrap();
    assert_eq!((oldest.action.as_str(), oldest.attempts), ("check_real", 2));
    assert_eq!(oldest.last_status, Some(204));
    s.finish().await;
}

/// A JPEG from the fixtures as a department's after-photo: its bytes and its reference.
fn after_photo(name: &str) -> (Vec<u8>, gridwalk_protocol::PhotoRef) {
    use sha2::Digest;
    let bytes = std::fs::read(fixtures().join("photos").join(name)).unwrap();
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    let photo = gridwalk_protocol::PhotoRef {
        id: gridwalk_protocol::PhotoId::new(),
        sha256: sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes: bytes.len() as u64,
        width,
        height,
        taken_at: None,
        stage: gridwalk_protocol::PhotoStage::After,
    };
    (bytes, photo)
}

async fn a_department_handles_a_case_with_an_after_photo_from_the_phone(backend: Backend) {
    let s = server(backend).await;
    let (d, ids) = four_reports(&s).await;
    let leader = Console::sign_in(&s, "chenjianguo").await;
    let op = Console::sign_in(&s, "sunyue").await;
    let clerk = Console::sign_in(&s, "liangqing").await;
    let id = ids[0];
    leader
        .done(id, CaseAction::approve(), CaseState::PendingReview)
        .await;
    op.done(
        id,
        CaseAction::Dispatch {
            department: "SZ".into(),
        },
        CaseState::Registered,
    )
    .await;
    clerk
        .done(id, CaseAction::Accept, CaseState::Dispatched)
        .await;

    // A photo that is not an after-photo is refused in words, and nothing changes.
    let (bytes, photo) = after_photo("orient-2.jpg");
    let before = gridwalk_protocol::PhotoRef {
        stage: gridwalk_protocol::PhotoStage::Before,
        ..photo.clone()
    };
    let e = clerk
        .refused(
            id,
            CaseAction::Handled {
                note: Some("已更换井盖".into()),
                photos: vec![before],
            },
            CaseState::InProgress,
        )
        .await;
    assert_eq!(e.code, "intake.report_invalid", "{e:?}");
    // The centre marks handled without photos: only the clerk can upload them.
    let e = op
        .refused(
            id,
            CaseAction::Handled {
                note: Some("已更换井盖".into()),
                photos: vec![photo.clone()],
            },
            CaseState::InProgress,
        )
        .await;
    assert_eq!(e.code, "case.after_photos_clerk", "{e:?}");
    assert_eq!(op.state_of(id).await, CaseState::InProgress);

    // 处置完成 with the after-photo declared, then its bytes over tus with the clerk's
    // session, in two pieces (resumable like a tablet's).
    clerk
        .done(
            id,
            CaseAction::Handled {
                note: Some("已更换井盖".into()),
                photos: vec![photo.clone()],
            },
            CaseState::InProgress,
        )
        .await;
    // Another clerk's session cannot upload it; neither can a tablet's token.
    let other = Console::sign_in(&s, "huangwei").await;
    assert_eq!(tus_create(&s, &other.token, id, &photo).await.status(), 400);
    let created = tus_create(&s, &clerk.token, id, &photo).await;
    assert_eq!(created.status(), 201);
    let path = upload_path(&created);
    let half = bytes.len() / 2;
    let first = tus_patch(&s, &clerk.token, &path, 0, bytes[..half].to_vec()).await;
    assert_eq!(first.status(), 204);
    let rest = tus_patch(&s, &clerk.token, &path, half as u64, bytes[half..].to_vec()).await;
    assert_eq!(rest.status(), 204);

    // The centre has it: the case page lists it, its bytes are served, the seal holds.
    let detail: ReportDetail = op.get(&format!("/v1/console/reports/{id}")).await;
    assert_eq!(detail.handling_photos, std::slice::from_ref(&photo));
    assert!(detail.item.photos_arrived.contains(&photo.id));
    assert!(detail.seal.verified);
    let served = op
        .http
        .get(format!("{}/v1/console/photos/{}", s.url, photo.sha256))
        .bearer_auth(&op.token)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    // The clerk of another department does not see it.
    let hidden = other
        .http
        .get(format!("{}/v1/console/photos/{}", s.url, photo.sha256))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);

    // The inspector verifies it on site, with the department's words and after-photo on
    // the tablet (fetched by the engine, checked, kept with a thumbnail): 结案.
    d.sync().await;
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].handling_note.as_deref(), Some("已更换井盖"));
    assert_eq!(tasks[0].handling_photos, std::slice::from_ref(&photo));
    let thumb = d.engine.thumbnail(photo.id).unwrap();
    assert!(thumb.starts_with(&[0xFF, 0xD8]), "a JPEG thumbnail");
    assert_eq!(
        std::fs::read(device_photo_path(d._dir.path(), &photo.sha256)).unwrap(),
        bytes,
        "the department's bytes, as the centre holds them"
    );
    // Another inspector's tablet is told nothing of it; a name that is no SHA-256 is refused.
    let stranger = gridwalk_protocol::DeviceId::new();
    let stranger_token = admin::enroll_device(s.store.as_ref(), "zhangwei", stranger)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for (token, name, want) in [
        (&stranger_token, photo.sha256.as_str(), 404),
        (&d.token, photo.sha256.as_str(), 200),
        (&d.token, "..%2F..%2Fetc%2Fpasswd", 400),
        (&d.token, "ABC", 400),
    ] {
        let r = http
            .get(format!("{}/v1/photos/{name}", s.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "{name}");
    }
    d.engine
        .complete_task(tasks[0].task.id, true, Some("井盖已更换"), &[])
        .unwrap();
    d.sync().await;
    assert_eq!(op.state_of(id).await, CaseState::Closed);
    s.finish().await;
}

async fn a_citizen_reports_without_an_account_once_and_an_inspector_checks_it(backend: Backend) {
    use gridwalk_protocol::console::TaskKind;
    use gridwalk_protocol::intake::{PublicAnswer, PublicForm, Source};
    let s = server(backend).await;
    let d = device(&s).await;
    let op = Console::sign_in(&s, "sunyue").await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/public/reports", s.url);

    let form: PublicForm = http
        .get(format!("{}/v1/public/form", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(form.open, "the fixtures have a public service account");
    assert_eq!((form.max_photos, form.per_hour), (3, 10));
    assert!(
        form.categories
            .iter()
            .any(|c| c.code.as_str() == "0507" && c.kind == gridwalk_protocol::Kind::Event),
        "{:?}",
        form.categories.len()
    );

    let photo = std::fs::read(fixtures().join("photos/no-exif.jpg")).unwrap();
    let photo_id = gridwalk_protocol::PhotoId::new();
    let report = citizen_report("路边堆放建筑垃圾，挡住了人行道", &[photo_id]);

    // What is not a submission is refused in words, and files nothing.
    let refused = |form: reqwest::multipart::Form| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.post(url).multipart(form).send().await.unwrap();
            let status = r.status().as_u16();
            let e: ApiError = r.json().await.unwrap();
            (status, e.code, e.message)
        }
    };
    let (status, code, _) = refused(citizen_form(&report, &[])).await;
    assert_eq!((status, code.as_str()), (400, "public.photo_count"));
    let png = b"\x89PNG\r\n\x1a\n not a photo".to_vec();
    let (status, code, words) = refused(citizen_form(&report, &[png])).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "public.photo_bad"),
        "{words}"
    );
    assert!(words.contains("not a JPEG"), "{words}");
    let mut extra = report.clone();
    extra["reporter"] = json!("someone else");
    let (status, code, words) = refused(citizen_form(&extra, std::slice::from_ref(&photo))).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "public.report_part"),
        "{words}"
    );
    let odd = citizen_form(&report, std::slice::from_ref(&photo)).text("token", "x");
    let (status, code, _) = refused(odd).await;
    assert_eq!((status, code.as_str()), (400, "public.part"));
    let plain = http.post(&url).json(&report).send().await.unwrap();
    assert_eq!(plain.status(), 400);
    let e: ApiError = plain.json().await.unwrap();
    assert_eq!(e.code, "public.form", "{e:?}");
    let mut far = report.clone();
    far["location"]["lon"] = json!(116.4);
    far["location"]["lat"] = json!(39.9);
    let (status, code, _) = refused(citizen_form(&far, std::slice::from_ref(&photo))).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "public.outside"),
        "Beijing is no cell here"
    );
    // Another site's page may not have its visitors' browsers post here (not counted).
    let other_site = http
        .post(&url)
        .header("origin", "https://elsewhere.example")
        .header("sec-fetch-site", "cross-site")
        .multipart(citizen_form(&report, std::slice::from_ref(&photo)))
        .send()
        .await
        .unwrap();
    assert_eq!(other_site.status(), 403);
    let from_public: ReportPage = op.get("/v1/console/reports?source=public").await;
    assert!(from_public.items.is_empty(), "nothing was filed");

    // Filed once, however often the page sends it.
    let first = http
        .post(&url)
        .multipart(citizen_form(&report, std::slice::from_ref(&photo)))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let filed: PublicAnswer = first.json().await.unwrap();
    assert_eq!(filed.state, CaseState::AwaitingCheck);
    assert_eq!(filed.case_no, None);
    let again = http
        .post(&url)
        .multipart(citizen_form(&report, std::slice::from_ref(&photo)))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed: PublicAnswer = again.json().await.unwrap();
    assert_eq!(replayed.report, filed.report);
    let from_public: ReportPage = op.get("/v1/console/reports?source=public").await;
    assert_eq!(from_public.items.len(), 1, "one report: {from_public:?}");
    let item = &from_public.items[0];
    assert_eq!(item.source, Source::Public);
    assert_eq!(item.report.photos.len(), 1);
    let held = &item.report.photos[0];
    assert_eq!((held.id, held.width, held.height), (photo_id, 640, 480));
    assert_eq!(
        item.photos_arrived,
        vec![photo_id],
        "the photo's bytes are held"
    );
    let served = op
        .http
        .get(format!("{}/v1/console/photos/{}", s.url, held.sha256))
        .bearer_auth(&op.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        served.len() as u64,
        held.bytes,
        "the centre's own copy, as described"
    );
    assert_eq!(gridwalk_evidence::sha256_hex(&served), held.sha256);
    // The citizen reads out the ID's last group; the operator's search finds it.
    let short = filed
        .report
        .to_string()
        .rsplit('-')
        .next()
        .unwrap()
        .to_uppercase();
    let found: ReportPage = op.get(&format!("/v1/console/reports?q={short}")).await;
    let ids: Vec<ReportId> = found.items.iter().map(|r| r.report.id).collect();
    assert_eq!(ids, [filed.report]);

    // 核实 on the tablet of the cell's inspector, then the citizen asks how it stands.
    d.sync().await;
    let tasks = d.engine.tasks().unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].task.kind, TaskKind::Check);
    assert_eq!(tasks[0].source, Some(Source::Public));
    d.engine
        .complete_task(
            tasks[0].task.id,
            true,
            Some("现场确有建筑垃圾"),
            &[fixtures().join("photos/orient-1.jpg").as_path()],
        )
        .unwrap();
    d.sync().await;
    let now: PublicAnswer = http
        .get(format!("{url}/{}", filed.report))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now.state, CaseState::PendingReview);
    let a = op
        .done(
            filed.report,
            CaseAction::approve(),
            CaseState::PendingReview,
        )
        .await;
    let now: PublicAnswer = http
        .get(format!("{url}/{}", filed.report))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((now.state, now.case_no), (CaseState::Registered, a.case_no));
    // Only the public page's own reports are told, by their ID.
    let hotline = admin::port_token(s.store.as_ref(), "hotline12345")
        .await
        .unwrap();
    let call = hotline_call("12345-20261202-0099", "市民来电：人行道有积存垃圾");
    let theirs = file_call(&http, &s, &hotline, Some("call-0099"), &call).await;
    let theirs: gridwalk_protocol::intake::IntakeAnswer = theirs.json().await.unwrap();
    for id in [theirs.report, ReportId::new()] {
        let r = http.get(format!("{url}/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{id}");
    }

    // One address sends ten an hour, refused or not (eight so far); the eleventh waits.
    for _ in 0..2 {
        let (status, _, _) = refused(citizen_form(&report, &[])).await;
        assert_eq!(status, 400);
    }
    let r = http
        .post(&url)
        .multipart(citizen_form(&report, std::slice::from_ref(&photo)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.code, "public.throttled", "{e:?}");
    s.finish().await;
}

on_every_backend!(
    teams_are_named_after_their_leaders_within_reach,
    a_leaders_health_page_holds_only_their_team,
    a_reports_seal_shows_verified_then_what_was_changed,
    a_leader_reviews_the_teams_reports,
    a_case_goes_round_the_loop_with_deadlines_in_working_time,
    sign_in_is_refused_in_words_and_inspectors_stay_out,
    control_characters_are_refused_in_words_and_change_nothing,
    the_review_is_due_in_working_time_however_the_photos_came,
    the_centre_places_reports_and_a_leader_sees_what_the_device_claimed,
    a_leaders_queue_filters_sorts_pages_and_searches,
    a_leader_corrects_a_report_at_registration_and_the_tablet_sees_it,
    a_likely_duplicate_waits_for_the_leader_and_a_cluster_merges_at_once,
    a_duplicate_in_another_team_is_not_named_to_a_leader,
    a_hotline_call_is_filed_once_checked_on_site_and_heard_back,
    a_department_handles_a_case_with_an_after_photo_from_the_phone,
    a_citizen_reports_without_an_account_once_and_an_inspector_checks_it,
);
