//! The city map and the overview screen over HTTP, on both backends: real field engines of
//! two teams report, and each team's leader sees their own team's reports on the map and in
//! the overview's counts, nothing of the other's; an operator sees the whole city; a
//! department's clerk sees its department's cases on the map and has no overview. The map
//! takes the work queues' filters and refuses what they refuse, in words.
#![allow(clippy::unwrap_used)]

use gridwalk_field::sync::SyncClient;
use gridwalk_field::{Engine, ReportState};
use gridwalk_protocol::console::{ActionAnswer, Session};
use gridwalk_protocol::map::{CaseMap, GridCells, Overview};
use gridwalk_protocol::{ApiError, CaseState, Kind, ReportId};
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;
use serde_json::json;

const APP: &str = "test/map";
const PASSWORD: &str = "correct horse battery";

/// A tablet of `login`'s with `n` reports (rubbish, one photo each), synced to the centre;
/// their IDs, oldest first.
async fn reports_of(s: &Server, login: &str, n: usize) -> (tempfile::TempDir, Vec<ReportId>) {
    let dir = tempfile::tempdir().unwrap();
    let engine: Engine = signed_in_engine_as(dir.path(), login);
    for _ in 0..n {
        capture(&engine, &[fixtures().join("photos/orient-1.jpg")], RUBBISH);
    }
    let token = admin::enroll_device(s.store.as_ref(), login, engine.device_id())
        .await
        .unwrap();
    let client: SyncClient = connect(&engine, &s.url, &token);
    engine.sync_once(&client, APP).await.unwrap();
    let mut ids: Vec<ReportId> = engine
        .reports(ReportState::Sent)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    assert_eq!(ids.len(), n);
    (dir, ids)
}

/// A console session of `login`'s.
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
        let session: Session = http
            .post(format!("{}/v1/console/session", s.url))
            .json(&json!({ "login": login, "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            url: s.url.clone(),
            token: session.token,
        }
    }

    async fn call(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let resp = self.call(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    async fn act(&self, id: ReportId, body: serde_json::Value) -> ActionAnswer {
        let resp = self
            .http
            .post(format!("{}/v1/console/reports/{id}/actions", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{body}");
        resp.json().await.unwrap()
    }
}

fn ids(map: &CaseMap) -> Vec<ReportId> {
    let mut v: Vec<ReportId> = map.points.iter().map(|p| p.id).collect();
    v.sort();
    v
}

async fn each_leader_sees_their_team_on_the_map_and_in_the_overview(backend: Backend) {
    let s = server(backend).await;
    let (_a, ours) = reports_of(&s, "lixiaoming", 3).await;
    let (_z, theirs) = reports_of(&s, "zhaomin", 2).await;

    let leader = Console::sign_in(&s, "chenjianguo").await;
    let map: CaseMap = leader.get("/v1/console/map").await;
    assert_eq!(ids(&map), ours, "the leader's team only");
    assert_eq!((map.total, map.truncated), (3, false));
    let p = &map.points[0];
    assert_eq!(
        (p.state, p.urgent, p.overdue),
        (CaseState::PendingReview, false, false)
    );
    assert_eq!((p.kind, p.category.as_str()), (RUBBISH.0, RUBBISH.1));
    assert!(
        (113.0..114.0).contains(&p.lon) && (22.0..23.0).contains(&p.lat),
        "{p:?}"
    );
    // Asking for the other team finds nothing rather than their reports.
    let other: CaseMap = leader.get("/v1/console/map?team=T440703002-01").await;
    assert_eq!((other.points.len(), other.total), (0, 0));
    let o: Overview = leader.get("/v1/console/overview").await;
    assert_eq!((o.today.received, o.today.urgent), (3, 0));
    let pending = o
        .open
        .iter()
        .find(|c| c.state == CaseState::PendingReview)
        .unwrap();
    assert_eq!(pending.count, 3);
    assert_eq!(o.top_categories.len(), 1);
    assert_eq!(
        (
            o.top_categories[0].kind,
            o.top_categories[0].category.as_str(),
            o.top_categories[0].count
        ),
        (Kind::Event, "0507", 3)
    );

    let other_leader = Console::sign_in(&s, "linzhiyuan").await;
    let map: CaseMap = other_leader.get("/v1/console/map").await;
    assert_eq!(ids(&map), theirs);
    let o: Overview = other_leader.get("/v1/console/overview").await;
    assert_eq!(o.today.received, 2);
    assert_eq!(o.top_categories[0].count, 2);

    // The operator sees the city, and a case dispatched to 市政 shows on the map and on the
    // department's bar of the overview.
    let operator = Console::sign_in(&s, "sunyue").await;
    let map: CaseMap = operator.get("/v1/console/map").await;
    assert_eq!(map.total, 5);
    let case = ours[0];
    operator
        .act(
            case,
            json!({ "action": "approve", "seen_state": "pending_review" }),
        )
        .await;
    operator
        .act(
            case,
            json!({ "action": "dispatch", "department": "SZ", "seen_state": "registered" }),
        )
        .await;
    let dispatched: CaseMap = operator.get("/v1/console/map?state=dispatched").await;
    assert_eq!(ids(&dispatched), [case]);
    assert!(dispatched.points[0].case_no.is_some());
    assert!(!dispatched.points[0].overdue, "days ahead in working time");
    let o: Overview = operator.get("/v1/console/overview").await;
    assert_eq!(o.today.received, 5);
    assert_eq!(
        (o.today.registered, o.today.dispatched, o.today.closed),
        (1, 1, 0)
    );
    let sz = o.departments.iter().find(|d| d.department == "SZ").unwrap();
    assert_eq!((sz.open, sz.overdue), (1, 0));
    assert_eq!(o.departments[0].department, "SZ", "the busiest first");
    assert_eq!(o.departments.len(), 6, "every department of the rules");
    let o: Overview = other_leader.get("/v1/console/overview").await;
    assert!(
        o.departments.iter().all(|d| d.open == 0),
        "not their team's case"
    );

    // A department's clerk: its department's cases on the map, no overview.
    let clerk = Console::sign_in(&s, "liangqing").await;
    let map: CaseMap = clerk.get("/v1/console/map").await;
    assert_eq!(ids(&map), [case]);
    assert_eq!(clerk.call("/v1/console/overview").await.status(), 403);

    // The grid, with its names, for anyone at the console.
    let grid: GridCells = clerk.get("/v1/console/grid").await;
    assert_eq!(grid.features.len(), 1000);
    assert_eq!(
        grid.features[0].properties.street_name.as_deref(),
        Some("环市街道")
    );

    // The queues' refusals, in words and with their code.
    let resp = leader.call("/v1/console/map?category=5").await;
    assert_eq!(resp.status(), 400);
    let e: ApiError = resp.json().await.unwrap();
    assert!(e.message.contains("not a category"), "{}", e.message);
    s.finish().await;
}

on_every_backend!(each_leader_sees_their_team_on_the_map_and_in_the_overview);
