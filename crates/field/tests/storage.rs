//! The tablet's storage: photos refused in words when there is no room (the draft kept as it
//! was), and the files of photos the centre has held for the kept days given back.
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::storage::{FreeSpace, StoragePolicy};
use gridwalk_field::{DraftPatch, Engine, Error, FieldConfig, SettingsPatch};
use gridwalk_protocol::{MutationResult, Outcome, PhotoStage, PushResponse};

fn engine_with(dir: &std::path::Path, free: u64) -> Engine {
    let mut config = FieldConfig::new(dir);
    config.storage = StoragePolicy {
        free_space: FreeSpace::Fixed(free),
        ..StoragePolicy::default()
    };
    let e = Engine::open(config, common::reference()).unwrap();
    e.sign_in(&common::inspector()).unwrap();
    e
}

#[test]
fn a_photo_is_refused_in_words_when_there_is_no_room_and_the_draft_stays() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with(dir.path(), 150_000_000);
    let status = e.storage_status().unwrap();
    assert!(status.low && status.full, "{status:?}");
    assert_eq!(status.free_bytes, Some(150_000_000));

    let d = e.create_draft().unwrap();
    let d = e
        .update_draft(
            d.id,
            &DraftPatch {
                description: Some("井盖缺失".into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    let before = common::files_under(dir.path());
    let bytes = std::fs::read(common::photo("orient-1.jpg")).unwrap();
    for err in [
        e.add_photo(d.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
            .unwrap_err(),
        e.add_photo_bytes(d.id, &bytes, PhotoStage::Before)
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::NoRoom { .. }), "{err}");
        assert_eq!(err.kind(), "no_room");
        assert!(err.to_string().contains("only 150 MB is free"), "{err}");
    }
    assert_eq!(e.report(d.id).unwrap(), d, "the draft as it was");
    assert_eq!(common::files_under(dir.path()), before, "nothing written");
}

#[test]
fn room_is_warned_of_before_it_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with(dir.path(), 800_000_000);
    let s = e.storage_status().unwrap();
    assert!(s.low && !s.full, "{s:?}");
    let d = e.create_draft().unwrap();
    let d = e
        .add_photo(d.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
        .unwrap();
    assert_eq!(d.photos.len(), 1, "still taken while low");
    assert!(e.storage_status().unwrap().photo_bytes > d.photos[0].photo.bytes);
    let fine = engine_with(tempfile::tempdir().unwrap().path(), 20_000_000_000)
        .storage_status()
        .unwrap();
    assert!(!fine.low && !fine.full);
}

#[test]
fn files_of_photos_the_centre_holds_go_after_the_kept_days() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with(dir.path(), 20_000_000_000);
    assert_eq!(e.settings().unwrap().keep_days, 30);
    assert!(matches!(
        e.update_settings(&SettingsPatch {
            keep_days: Some(0),
            ..SettingsPatch::default()
        }),
        Err(Error::Invalid(_))
    ));
    e.update_settings(&SettingsPatch {
        keep_days: Some(7),
        ..SettingsPatch::default()
    })
    .unwrap();

    // Two reports with a photo each; the centre applies both, and confirms the bytes of
    // the first 8 days ago and of the second today.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let d = e.create_draft().unwrap();
        e.add_photo(d.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
            .unwrap();
        common::ready_draft(&e, d.id, None);
        e.finalize(d.id).unwrap();
        ids.push(d.id);
    }
    let pending = e.pending_mutations(10).unwrap();
    e.settle_push(&PushResponse {
        last_applied: pending[1].id,
        results: pending
            .iter()
            .map(|m| MutationResult {
                id: m.id,
                outcome: Outcome::Applied,
            })
            .collect(),
    })
    .unwrap();
    let db = rusqlite::Connection::open(dir.path().join("field.db")).unwrap();
    let old = chrono::Utc::now() - chrono::Duration::days(8);
    db.execute(
        "UPDATE photos SET uploaded_at = ?1 WHERE report_id = ?2",
        rusqlite::params![old, ids[0].to_string()],
    )
    .unwrap();
    db.execute(
        "UPDATE photos SET uploaded_at = ?1 WHERE report_id = ?2",
        rusqlite::params![chrono::Utc::now(), ids[1].to_string()],
    )
    .unwrap();
    let first = e.report(ids[0]).unwrap().photos[0].clone();
    let second = e.report(ids[1]).unwrap().photos[0].clone();
    let original = |p: &gridwalk_field::LocalPhoto| {
        dir.path()
            .join("originals")
            .join(format!("{}.jpg", p.photo.id))
    };
    assert!(original(&first).exists() && original(&second).exists());
    // The same camera file twice: one derivative, shared, which stays while the second
    // photo still needs it.
    assert_eq!(first.photo.sha256, second.photo.sha256);

    let r = e.release_held_photos().unwrap();
    assert_eq!((r.originals, r.derivatives), (1, 0));
    assert!(r.bytes > 0);
    assert!(!original(&first).exists() && original(&second).exists());
    let first = e.report(ids[0]).unwrap().photos[0].clone();
    assert!(!first.original_kept && first.derivative_kept);
    assert!(e.thumbnail(first.photo.id).is_ok(), "the thumbnail stays");

    // The second is held long enough too: its original and the shared derivative go.
    db.execute(
        "UPDATE photos SET uploaded_at = ?1 WHERE report_id = ?2",
        rusqlite::params![old, ids[1].to_string()],
    )
    .unwrap();
    let r = e.release_held_photos().unwrap();
    assert_eq!((r.originals, r.derivatives), (1, 1));
    for id in &ids {
        let p = &e.report(*id).unwrap().photos[0];
        assert!(!p.original_kept && !p.derivative_kept, "{p:?}");
        assert!(e.thumbnail(p.photo.id).is_ok());
    }
    assert_eq!(e.storage_status().unwrap().photo_bytes, 0);
    assert_eq!(e.release_held_photos().unwrap().originals, 0, "once");

    // Reopened: the sweep keeps the thumbnails and brings back nothing.
    drop(e);
    let e = engine_with(dir.path(), 20_000_000_000);
    let p = &e.report(ids[0]).unwrap().photos[0];
    assert!(!p.derivative_kept);
    assert!(e.thumbnail(p.photo.id).is_ok());
}
