//! Edits and the change feed end to end: two real field engines of the same inspector (an
//! old tablet and a new one), the centre changing the same report, real HTTP, and every
//! scenario on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use gridwalk_field::sync::{SyncClient, SyncOutcome};
use gridwalk_field::{DraftPatch, Engine, LocalReport, ReportState};
use gridwalk_protocol::{
    ApiError, CaseState, Change, ChangesPage, Report, ReportId, ReportPatch, Urgency, UserId,
};
use gridwalk_system_tests::*;

const APP: &str = "test/edits";

/// One engine with its data directory and client.
struct Device {
    engine: Engine,
    client: SyncClient,
    dir: tempfile::TempDir,
}

impl Device {
    async fn sync(&self) -> SyncOutcome {
        self.engine.sync_once(&self.client, APP).await.unwrap()
    }

    fn report(&self, id: ReportId) -> LocalReport {
        self.engine.report(id).unwrap()
    }

    fn edit(&self, id: ReportId, patch: DraftPatch) {
        self.engine.edit_report(id, &patch).unwrap();
    }
}

/// A device of the demo inspector, enrolled at `s`.
async fn device(s: &Server) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    Device {
        engine,
        client,
        dir,
    }
}

async fn operator(s: &Server) -> UserId {
    s.store.user_by_login("sunyue").await.unwrap().unwrap().id
}

/// What an operator's edit at the centre does: the held record, changed by `f`, written as
/// the next version.
async fn edit_centrally(s: &Server, id: ReportId, f: impl FnOnce(&mut Report)) {
    let held = s.store.report(id).await.unwrap().unwrap();
    let mut record = held.report.clone();
    f(&mut record);
    let patch = ReportPatch::between(&held.report, &record);
    let by = operator(s).await;
    s.store
        .write_version(&record, held.version, &patch, by, Utc::now())
        .await
        .unwrap();
}

/// Old tablet A captures a report with a photo and syncs; new tablet B pulls it.
async fn one_report_on_two_devices(s: &Server) -> (Device, Device, ReportId) {
    let a = device(s).await;
    capture(
        &a.engine,
        &[fixtures().join("photos/orient-1.jpg")],
        RUBBISH,
    );
    let id = a.engine.reports(ReportState::Queued).unwrap()[0].id;
    let o = a.sync().await;
    assert_eq!((o.sent, o.photos.uploaded), (1, 1));
    let b = device(s).await;
    let o = b.sync().await;
    assert!(o.pulled >= 1, "{o:?}");
    let on_b = b.report(id);
    assert_eq!(on_b.state, ReportState::Sent);
    assert_eq!(on_b.central_version, Some(1));
    assert_eq!(on_b.central_state, Some(CaseState::PendingReview));
    assert_eq!(on_b.description, a.report(id).description);
    assert_eq!(on_b.photos.len(), 1, "the centre's photo is listed on B");
    (a, b, id)
}

async fn different_fields_merge_across_two_devices_and_the_centre(backend: Backend) {
    let s = server(backend).await;
    let (a, b, id) = one_report_on_two_devices(&s).await;

    // The centre raises the urgency (version 2) while both tablets are offline.
    edit_centrally(&s, id, |r| r.urgency = Urgency::Urgent).await;
    // A rewrites the description, B the address; neither has seen version 2.
    a.edit(
        id,
        DraftPatch {
            description: Some("建筑垃圾约3立方米, 占用人行道".into()),
            ..DraftPatch::default()
        },
    );
    assert_eq!(a.report(id).state, ReportState::Queued);
    b.edit(
        id,
        DraftPatch {
            address: Some("建设路12号东侧".into()),
            ..DraftPatch::default()
        },
    );

    let o = a.sync().await;
    assert_eq!((o.edited, o.conflicts, o.edits_refused), (1, 0, 0), "{o:?}");
    let on_a = a.report(id);
    assert_eq!(on_a.state, ReportState::Sent);
    assert_eq!(
        on_a.urgency,
        Urgency::Urgent,
        "the centre's change reached A"
    );
    assert_eq!(on_a.central_version, Some(3));

    let o = b.sync().await;
    assert_eq!((o.edited, o.conflicts), (1, 0), "{o:?}");
    a.sync().await;

    let held = s.store.report(id).await.unwrap().unwrap();
    assert_eq!(held.version, 4);
    assert_eq!(held.report.urgency, Urgency::Urgent);
    assert_eq!(held.report.description, "建筑垃圾约3立方米, 占用人行道");
    assert_eq!(held.report.address, "建设路12号东侧");
    assert_eq!(held.report.photos.len(), 1);
    assert_eq!(held.state, CaseState::PendingReview);
    for d in [&a, &b] {
        let local = d.report(id);
        assert_eq!(local.central_version, Some(4));
        assert_eq!(
            local.to_report(held.report.device).unwrap(),
            held.report,
            "every device ends with the centre's record"
        );
    }
    assert!(s.store.conflicts(id).await.unwrap().is_empty());

    // The audit trail: who made each version, from which device.
    let versions = s.store.report_versions(id).await.unwrap();
    let authors: Vec<_> = versions
        .iter()
        .map(|v| (v.version, v.by.device, v.by.user))
        .collect();
    let (da, db) = (Some(a.engine.device_id()), Some(b.engine.device_id()));
    let inspector = Some(held.report.reporter);
    assert_eq!(
        authors,
        vec![
            (1, da, inspector),
            (2, None, Some(operator(&s).await)),
            (3, da, inspector),
            (4, db, inspector),
        ]
    );
    assert_eq!(
        versions[0].record.urgency,
        Urgency::Normal,
        "v1 as submitted"
    );
    drop((a.dir, b.dir));
    s.finish().await;
}

async fn the_same_field_changed_differently_opens_a_conflict(backend: Backend) {
    let s = server(backend).await;
    let (a, b, id) = one_report_on_two_devices(&s).await;
    let original = a.report(id).description;

    edit_centrally(&s, id, |r| r.description = "中心: 已核实为装修垃圾".into()).await;
    a.edit(
        id,
        DraftPatch {
            description: Some("A: 垃圾已清运一半".into()),
            ..DraftPatch::default()
        },
    );
    let o = a.sync().await;
    assert_eq!((o.edited, o.conflicts), (0, 1), "{o:?}");
    let on_a = a.report(id);
    assert!(
        on_a.centre_note.as_ref().unwrap().code == "note.edit_conflict",
        "{:?}",
        on_a.centre_note
    );
    assert_eq!(
        on_a.description, "中心: 已核实为装修垃圾",
        "the centre's value holds until an operator decides"
    );

    // B changes the same description and the urgency: the urgency merges, the
    // description conflicts again.
    b.edit(
        id,
        DraftPatch {
            description: Some("B: 现场已围挡".into()),
            urgency: Some(Urgency::Urgent),
            ..DraftPatch::default()
        },
    );
    let o = b.sync().await;
    assert_eq!(o.conflicts, 1, "{o:?}");
    let held = s.store.report(id).await.unwrap().unwrap();
    assert_eq!(held.report.urgency, Urgency::Urgent);
    assert_eq!(held.report.description, "中心: 已核实为装修垃圾");

    let conflicts = s.store.conflicts(id).await.unwrap();
    assert_eq!(conflicts.len(), 2);
    let devices: Vec<_> = conflicts.iter().map(|c| c.device).collect();
    assert_eq!(devices, vec![a.engine.device_id(), b.engine.device_id()]);
    for (c, typed) in conflicts.iter().zip(["A: 垃圾已清运一半", "B: 现场已围挡"]) {
        assert_eq!(c.fields.len(), 1);
        let f = &c.fields[0];
        assert_eq!(f.field, "description");
        assert_eq!(f.base, serde_json::json!(original));
        assert_eq!(f.central, serde_json::json!("中心: 已核实为装修垃圾"));
        assert_eq!(
            f.device,
            serde_json::json!(typed),
            "the inspector's words are kept"
        );
        assert_eq!(c.base_version, 1);
        assert!(c.resolved_at.is_none());
    }

    // The centre removes the report; A, not yet told, edits it again: a conflict, and
    // then the tombstone removes A's copy.
    s.store.delete_report(id, Utc::now()).await.unwrap();
    a.edit(
        id,
        DraftPatch {
            address: Some("建设路14号".into()),
            ..DraftPatch::default()
        },
    );
    let o = a.sync().await;
    assert_eq!(o.conflicts, 1, "{o:?}");
    let last = s.store.conflicts(id).await.unwrap().pop().unwrap();
    assert_eq!(last.fields[0].field, "deleted");
    assert_eq!(
        last.fields[0].device["place"]["address"], "建设路14号",
        "the edit is kept in the conflict"
    );
    assert!(matches!(
        a.engine.report(id),
        Err(gridwalk_field::Error::NoSuchReport(_))
    ));

    // B was offline while the tombstone was forgotten: its cursor is too old, it starts
    // again from the beginning, and its copy goes because the centre no longer lists it.
    assert!(b.engine.report(id).is_ok());
    let tomorrow = Utc::now() + chrono::TimeDelta::days(1);
    assert_eq!(s.store.prune_feed(tomorrow).await.unwrap(), 1);
    let o = b.sync().await;
    assert!(o.pulled > 0, "{o:?}");
    assert!(matches!(
        b.engine.report(id),
        Err(gridwalk_field::Error::NoSuchReport(_))
    ));
    drop((a.dir, b.dir));
    s.finish().await;
}

async fn get_changes(s: &Server, token: &str, query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/v1/changes?{query}", s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn the_feed_pages_by_cursor_within_the_users_scope(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 3);
    let token = enroll(&s, &engine).await;
    push_records(&engine, &connect(&engine, &s.url, &token)).await;
    let mine: Vec<ReportId> = engine
        .reports(ReportState::Sent)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();

    // The components standing in the inspector's cells (the demo city's, loaded with the
    // fixtures).
    let inspector = s.store.user_by_login(INSPECTOR).await.unwrap().unwrap();
    let theirs: Vec<String> = s
        .store
        .components(&s.store.component_ids(&["440703".into()]).await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| inspector.cells.contains(&c.cell))
        .map(|c| c.id.to_string())
        .collect();
    assert!(!theirs.is_empty());

    // Pages of two until the end: the code table, the inspector's three cells, their
    // three reports, their cells' components, each once.
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let resp = get_changes(&s, &token, &q).await;
        assert_eq!(resp.status(), 200);
        let page: ChangesPage = resp.json().await.unwrap();
        assert!(page.changes.len() <= 2);
        pages += 1;
        seen.extend(page.changes);
        cursor = Some(page.cursor);
        if !page.more {
            break;
        }
    }
    assert_eq!(seen.len(), 7 + theirs.len(), "{seen:#?}");
    let mut components: Vec<String> = seen
        .iter()
        .filter_map(|c| match c {
            Change::Component(c) => Some(c.id.to_string()),
            _ => None,
        })
        .collect();
    components.sort();
    let mut expected_components = theirs.clone();
    expected_components.sort();
    assert_eq!(
        components, expected_components,
        "only its own cells' components"
    );
    assert!(pages >= 4);
    let reports: Vec<ReportId> = seen
        .iter()
        .filter_map(|c| match c {
            Change::Report(r) => Some(r.report.id),
            _ => None,
        })
        .collect();
    let mut sorted = reports.clone();
    sorted.sort();
    let mut expected = mine.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    let cells = seen
        .iter()
        .filter(|c| matches!(c, Change::Cell { .. }))
        .count();
    assert_eq!(cells, 3, "only the inspector's own cells");
    assert!(
        seen.iter()
            .any(|c| matches!(c, Change::CodeTable { version, .. } if version == "CJT214-2024.1"))
    );

    // Nothing new: an empty page, the same place.
    let cursor = cursor.unwrap();
    let page: ChangesPage = get_changes(&s, &token, &format!("cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(page.changes.is_empty() && !page.more);
    assert_eq!(page.cursor, cursor);

    // Another inspector sees the code table and their own cells, none of these reports.
    let other_dir = tempfile::tempdir().unwrap();
    let other = signed_in_engine(other_dir.path());
    let other_token = enroll_for_another_inspector(&s, &other).await;
    let page: ChangesPage = get_changes(&s, &other_token, "")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !page.changes.iter().any(|c| matches!(c, Change::Report(_))),
        "{:#?}",
        page.changes
    );
    let kinds = |f: fn(&Change) -> bool| page.changes.iter().filter(|c| f(c)).count();
    assert_eq!(
        (
            kinds(|c| matches!(c, Change::CodeTable { .. })),
            kinds(|c| matches!(c, Change::Cell { .. })),
        ),
        (1, 2),
        "the code table and two cells"
    );
    assert_eq!(
        page.changes.len(),
        3 + kinds(|c| matches!(c, Change::Component(_))),
        "and the components of those cells, nothing else"
    );

    // Bad questions get clear answers.
    let resp = get_changes(&s, &token, "cursor=bm90LWEtY3Vyc29y").await;
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert!(err.message.contains("not a cursor"), "{}", err.message);
    let resp = get_changes(&s, &token, "limit=0").await;
    assert_eq!(resp.status(), 400);
    let foreign = gridwalk_sync::domain::feed::Cursor {
        epoch: "another-database".into(),
        seq: 1,
    };
    let resp = get_changes(&s, &token, &format!("cursor={}", foreign.encode())).await;
    assert_eq!(resp.status(), 410);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.error, "resync");
    let resp = get_changes(&s, "not-a-token", "").await;
    assert_eq!(resp.status(), 401);
    drop((dir, other_dir));
    s.finish().await;
}

/// Reference data like the fixtures, but with a code table the centre has not loaded (an
/// app shipped with a newer table than the centre's).
fn newer_reference(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("reference");
    std::fs::create_dir_all(root.join("grid")).unwrap();
    let codes = std::fs::read_to_string(fixtures().join("codes.json"))
        .unwrap()
        .replace("CJT214-2024.1", "CJT214-2026.1");
    std::fs::write(root.join("codes.json"), codes).unwrap();
    for f in std::fs::read_dir(fixtures().join("grid")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, root.join("grid").join(f.file_name().unwrap())).unwrap();
    }
    root
}

async fn edits_that_cannot_apply_are_refused_and_the_device_goes_back(backend: Backend) {
    let s = server(backend).await;
    let (a, _b, id) = one_report_on_two_devices(&s).await;
    let before = a.report(id);

    // Refused on the device, changing nothing: a new time seen, an "edit" of a draft.
    let err = a
        .engine
        .edit_report(
            id,
            &DraftPatch {
                observed_at: Some(before.observed_at + chrono::TimeDelta::minutes(5)),
                ..DraftPatch::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("cannot change"), "{err}");
    assert_eq!(a.report(id), before, "a refused edit changes nothing");
    let draft = a.engine.create_draft().unwrap();
    assert!(matches!(
        a.engine.edit_report(draft.id, &DraftPatch::default()),
        Err(gridwalk_field::Error::NotEditable(..))
    ));
    // A patch that changes nothing queues nothing.
    let same = a
        .engine
        .edit_report(
            id,
            &DraftPatch {
                description: Some(before.description.clone()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    assert_eq!(same.state, ReportState::Sent);
    assert_eq!(a.engine.queue_summary().unwrap().pending_reports, 0);

    // Refused at the centre: a tablet with a newer code table re-files the report under
    // it. The centre keeps its version; the tablet says why and goes back to it.
    let c_dir = tempfile::tempdir().unwrap();
    let c = signed_in_engine_with(c_dir.path(), &newer_reference(c_dir.path()));
    let token = enroll(&s, &c).await;
    let client = connect(&c, &s.url, &token);
    c.sync_once(&client, APP).await.unwrap();
    c.edit_report(
        id,
        &DraftPatch {
            kind: Some(gridwalk_protocol::Kind::Event),
            category: Some("0508".parse().unwrap()),
            ..DraftPatch::default()
        },
    )
    .unwrap();
    assert_eq!(c.report(id).unwrap().code_table_version, "CJT214-2026.1");
    let o = c.sync_once(&client, APP).await.unwrap();
    assert_eq!(o.edits_refused, 1, "{o:?}");
    let back = c.report(id).unwrap();
    assert_eq!(back.state, ReportState::Sent);
    assert_eq!(back.category.unwrap().as_str(), "0507");
    assert_eq!(back.code_table_version, "CJT214-2024.1");
    let note = back.centre_note.unwrap();
    assert_eq!(note.code, "note.edit_refused");
    let why = note.cause.as_deref().unwrap();
    assert_eq!(why.code, "intake.unknown_code_table");
    assert!(why.params["version"].contains("CJT214-2026.1"), "{why:?}");
    assert!(
        note.english().contains("not accepted") && note.english().contains("CJT214-2026.1"),
        "{note}"
    );
    let held = s.store.report(id).await.unwrap().unwrap();
    assert_eq!(held.version, 1, "nothing was written");
    drop(c_dir);
    s.finish().await;
}

async fn a_reader_never_skips_a_change_committed_late(backend: Backend) {
    // Eight devices push at once while the inspector's feed is read in small pages: every
    // report must come through, however the pushes' commits interleave with the reads.
    let s = server(backend).await;
    let mut dirs = Vec::new();
    let mut pushers = Vec::new();
    let mut all = Vec::new();
    for _ in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let engine = device_with_reports(dir.path(), 5);
        all.extend(
            engine
                .pending_mutations(10)
                .unwrap()
                .iter()
                .map(|m| m.body.report_id()),
        );
        let token = enroll(&s, &engine).await;
        let client = connect(&engine, &s.url, &token);
        dirs.push(dir);
        pushers.push(tokio::spawn(async move {
            push_records(&engine, &client).await;
        }));
    }
    let token = {
        let dir = tempfile::tempdir().unwrap();
        let reader = signed_in_engine(dir.path());
        let t = enroll(&s, &reader).await;
        dirs.push(dir);
        t
    };
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    let mut read = |page: ChangesPage, cursor: &mut String| {
        for c in page.changes {
            if let Change::Report(r) = c {
                seen.insert(r.report.id);
            }
        }
        *cursor = page.cursor;
        page.more
    };
    while !pushers.iter().all(tokio::task::JoinHandle::is_finished) {
        let page: ChangesPage = get_changes(&s, &token, &format!("limit=3&cursor={cursor}"))
            .await
            .json()
            .await
            .unwrap();
        read(page, &mut cursor);
    }
    for p in pushers {
        p.await.unwrap();
    }
    loop {
        let page: ChangesPage = get_changes(&s, &token, &format!("limit=3&cursor={cursor}"))
            .await
            .json()
            .await
            .unwrap();
        if !read(page, &mut cursor) {
            break;
        }
    }
    let missed: Vec<&ReportId> = all.iter().filter(|id| !seen.contains(*id)).collect();
    assert!(missed.is_empty(), "the feed skipped {missed:?}");
    assert_eq!(seen.len(), 40);
    drop(dirs);
    s.finish().await;
}

on_every_backend!(
    different_fields_merge_across_two_devices_and_the_centre,
    the_same_field_changed_differently_opens_a_conflict,
    the_feed_pages_by_cursor_within_the_users_scope,
    edits_that_cannot_apply_are_refused_and_the_device_goes_back,
    a_reader_never_skips_a_change_committed_late,
);
