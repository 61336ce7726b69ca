//! Two tablets of one inspector, each editing the report the other one made, pushing at
//! the same moment, round after round, on both databases: every push must succeed.
//!
//! On PostgreSQL this once deadlocked in about half the rounds (`deadlock detected …
//! while locking tuple in relation "devices" … FOR KEY SHARE`): a push locked its device's
//! row `FOR UPDATE`, which also blocks the key-share lock another transaction's
//! foreign-key check takes on that row. The store now locks rows `FOR NO KEY UPDATE`.
//! `GRIDWALK_RACE_ROUNDS` sets the rounds (200 on PostgreSQL, 40 on SQLite by default).
#![allow(clippy::unwrap_used)]

use gridwalk_field::sync::SyncClient;
use gridwalk_field::{DraftPatch, Engine, ReportState};
use gridwalk_protocol::ReportId;
use gridwalk_system_tests::*;

const APP: &str = "test/race";

struct Tablet {
    engine: Engine,
    client: SyncClient,
    _dir: tempfile::TempDir,
}

async fn tablet(s: &Server) -> Tablet {
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    Tablet {
        engine,
        client,
        _dir: dir,
    }
}

/// A report captured (without photos, to keep rounds quick) and sent from `t`.
async fn report_from(t: &Tablet) -> ReportId {
    capture(&t.engine, &[], RUBBISH);
    let id = t.engine.reports(ReportState::Queued).unwrap()[0].id;
    let o = t.engine.sync_once(&t.client, APP).await.unwrap();
    assert_eq!(o.sent, 1);
    id
}

fn rounds(default: usize) -> usize {
    std::env::var("GRIDWALK_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn tablets_editing_each_others_reports_push_together(backend: Backend, rounds: usize) {
    // Each tablet syncs dozens of times a second here, far beyond any tablet's pace.
    let s = server_unthrottled(backend).await;
    let (a, b) = (tablet(&s).await, tablet(&s).await);
    let (from_a, from_b) = (report_from(&a).await, report_from(&b).await);
    // Each tablet pulls the other's report (the feed shows an inspector all their reports).
    a.engine.sync_once(&a.client, APP).await.unwrap();
    b.engine.sync_once(&b.client, APP).await.unwrap();
    assert_eq!(a.engine.report(from_b).unwrap().state, ReportState::Sent);
    assert_eq!(b.engine.report(from_a).unwrap().state, ReportState::Sent);

    for round in 0..rounds {
        let edit = |t: &Tablet, id: ReportId, who: &str| {
            t.engine
                .edit_report(
                    id,
                    &DraftPatch {
                        description: Some(format!("第{round}轮 {who} 补充说明")),
                        ..DraftPatch::default()
                    },
                )
                .unwrap();
        };
        edit(&a, from_b, "甲");
        edit(&b, from_a, "乙");
        let (oa, ob) = tokio::join!(
            a.engine.sync_once(&a.client, APP),
            b.engine.sync_once(&b.client, APP)
        );
        let (oa, ob) = (
            oa.unwrap_or_else(|e| panic!("round {round}: tablet A's push failed: {e}")),
            ob.unwrap_or_else(|e| panic!("round {round}: tablet B's push failed: {e}")),
        );
        assert_eq!(
            (oa.edited, oa.edits_refused),
            (1, 0),
            "round {round}: {oa:?}"
        );
        assert_eq!(
            (ob.edited, ob.edits_refused),
            (1, 0),
            "round {round}: {ob:?}"
        );
    }

    let last = rounds - 1;
    let held_b = s.store.report(from_b).await.unwrap().unwrap();
    let held_a = s.store.report(from_a).await.unwrap().unwrap();
    assert_eq!(held_b.report.description, format!("第{last}轮 甲 补充说明"));
    assert_eq!(held_a.report.description, format!("第{last}轮 乙 补充说明"));
    assert_eq!(held_b.version as usize, rounds + 1, "one version a round");
    for t in [&a, &b] {
        assert_eq!(t.engine.sync_status().unwrap().failures, 0);
    }
    s.finish().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tablets_editing_each_others_reports_push_together() {
        super::tablets_editing_each_others_reports_push_together(
            super::Backend::Sqlite,
            super::rounds(40),
        )
        .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tablets_editing_each_others_reports_push_together() {
        super::tablets_editing_each_others_reports_push_together(
            super::Backend::Postgres,
            super::rounds(200),
        )
        .await;
    }
}
