//! The engine end to end on real SQLite files and the real fixtures: drafts, photos,
//! finalize, the outbox and the queue, and what bad input changes (nothing).
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::{DraftPatch, Engine, Error, FieldConfig, ReportState, SettingsPatch};
use gridwalk_protocol::report::LocationFlag;
use gridwalk_protocol::{
    ClipRef, Kind, LocationProvider, MutationResult, Outcome, PhotoStage, PushResponse, Urgency,
};

#[test]
fn capture_finalize_and_queue() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    assert_eq!(d.state, ReportState::Draft);
    assert_eq!(d.code_table_version, e.reference().codes.version());

    // The photo's EXIF GPS becomes the position, placed in its cell.
    let d = e
        .add_photo(d.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
        .unwrap();
    let loc = d.location.unwrap();
    assert_eq!(loc.provider, LocationProvider::PhotoExif);
    assert_eq!(d.cell.as_ref().unwrap().as_str(), "440703001001003");
    assert!(
        d.location_flags.is_empty(),
        "the inspector's own cell: {:?}",
        d.location_flags
    );
    let d = e
        .add_photo(
            d.id,
            &common::photo("street-4000x3000.jpg"),
            PhotoStage::Before,
        )
        .unwrap();
    assert_eq!(d.photos.len(), 2);
    assert_eq!(
        d.location.unwrap(),
        loc,
        "a second photo does not move the report"
    );

    common::categorise(&e, d.id, Kind::Event, "0401", None);
    e.add_clip(
        d.id,
        &ClipRef {
            camera_serial: "JMC0001".into(),
            officer_badge: "440102".into(),
            start: d.observed_at - chrono::Duration::minutes(5),
            end: d.observed_at,
            file_name: None,
            md5: None,
            sha256: None,
        },
    )
    .unwrap();
    let f = e.finalize(d.id).unwrap();
    assert_eq!(f.mutation_id, 1);
    assert!(f.report.is_priority(), "突发事件 jumps the queue");
    assert_eq!(f.report.clips.len(), 1);
    assert_eq!(f.report.device, e.device_id());

    let q = e.queue_summary().unwrap();
    assert_eq!(
        (
            q.drafts,
            q.pending_reports,
            q.pending_priority,
            q.pending_photos
        ),
        (0, 1, 1, 2)
    );
    let photo_bytes: u64 = f.report.photos.iter().map(|p| p.bytes).sum();
    assert!(q.pending_bytes > photo_bytes, "records count too");
    assert!(q.oldest_pending_at.is_some());

    let m = e.pending_mutations(10).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].body.submitted(), Some(&f.report));

    // Submitted means frozen here.
    assert!(matches!(e.finalize(d.id), Err(Error::NotADraft(_))));
    assert!(matches!(
        e.update_draft(d.id, &DraftPatch::default()),
        Err(Error::NotADraft(_))
    ));
    assert!(matches!(e.delete_draft(d.id), Err(Error::NotADraft(_))));
    assert!(matches!(
        e.add_photo(d.id, &common::photo("orient-2.jpg"), PhotoStage::After),
        Err(Error::NotADraft(_))
    ));
    assert_eq!(e.pending_mutations(10).unwrap().len(), 1);
}

#[test]
fn mutation_numbers_follow_finalize_order_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let mut ids = Vec::new();
    for _ in 0..3 {
        let d = e.create_draft().unwrap();
        e.set_location(d.id, common::gps_fix(113.0631, 22.5983, 4.0))
            .unwrap();
        common::categorise(&e, d.id, Kind::Component, "0102", None);
        ids.push(d.id);
    }
    // Finalize in a different order from creation.
    let order = [ids[2], ids[0], ids[1]];
    let numbers: Vec<u64> = order
        .iter()
        .map(|id| e.finalize(*id).unwrap().mutation_id)
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    let device = e.device_id();
    drop(e);
    let e = common::engine_at(dir.path());
    assert_eq!(e.device_id(), device, "the device keeps its ID");
    let pending: Vec<_> = e
        .pending_mutations(10)
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.body.report_id()))
        .collect();
    assert_eq!(pending, vec![(1, order[0]), (2, order[1]), (3, order[2])]);
}

#[test]
fn incomplete_or_invalid_drafts_are_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    let err = e.finalize(d.id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the report is not ready to submit: kind: is required; category: is required; location: is required"
    );

    // An unknown code is refused when picked, not at submission.
    let err = e
        .update_draft(
            d.id,
            &DraftPatch {
                kind: Some(Kind::Event),
                category: Some("0999".parse().unwrap()),
                ..DraftPatch::default()
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("事件 code 0999 is not in code table"),
        "{err}"
    );
    assert_eq!(e.report(d.id).unwrap(), d, "a refused edit changes nothing");

    common::categorise(&e, d.id, Kind::Event, "0102", None);
    e.set_location(d.id, common::gps_fix(113.0631, 22.5983, 4.0))
        .unwrap();
    e.update_draft(
        d.id,
        &DraftPatch {
            handled_on_spot: Some(true),
            ..DraftPatch::default()
        },
    )
    .unwrap();
    // A clip that ends before it starts is refused as it is added, naming the field.
    let err = e
        .add_clip(
            d.id,
            &ClipRef {
                camera_serial: "JMC0001".into(),
                officer_badge: "440102".into(),
                start: d.observed_at,
                end: d.observed_at - chrono::Duration::minutes(1),
                file_name: None,
                md5: None,
                sha256: None,
            },
        )
        .unwrap_err();
    let Error::Invalid(v) = &err else {
        panic!("{err:?}")
    };
    assert!(v.mentions("clip.end"), "{v}");
    let before = e.report(d.id).unwrap();
    assert!(before.clips.is_empty());
    let err = e.finalize(d.id).unwrap_err();
    let Error::Invalid(v) = &err else {
        panic!("{err:?}")
    };
    assert!(v.mentions("handled_on_spot"), "{v}");
    assert_eq!(e.report(d.id).unwrap(), before);
    assert_eq!(e.pending_mutations(10).unwrap().len(), 0);
    assert_eq!(e.queue_summary().unwrap().pending_reports, 0);
}

#[test]
fn positions_outside_the_grid_or_imprecise_are_flagged_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    let d = e
        .add_photo(d.id, &common::photo("outside-grid.jpg"), PhotoStage::Before)
        .unwrap();
    assert_eq!(d.cell, None);
    assert!(
        matches!(d.location_flags.as_slice(), [LocationFlag::OutsideGrid { nearest_cell: Some(_), distance_m: Some(m) }] if (1900.0..2100.0).contains(m)),
        "{:?}",
        d.location_flags
    );
    common::categorise(&e, d.id, Kind::Event, "0501", None);
    let f = e.finalize(d.id).unwrap();
    assert_eq!(f.report.cell, None);

    let d = e.create_draft().unwrap();
    let err = e
        .set_location(d.id, common::gps_fix(200.0, 22.5983, 5.0))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "location.lon: 200 is not a longitude (-180 to 180)"
    );
    assert_eq!(
        e.report(d.id).unwrap(),
        d,
        "a refused position changes nothing"
    );
    let d = e
        .set_location(d.id, common::gps_fix(113.0631, 22.5983, 45.0))
        .unwrap();
    assert_eq!(
        d.location_flags,
        vec![LocationFlag::PoorAccuracy {
            accuracy_m: 45.0,
            limit_m: 30.0
        }]
    );
}

#[test]
fn bad_photo_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    let files = common::files_under(dir.path());
    for name in [
        "not-an-image.jpg",
        "empty.jpg",
        "truncated.jpg",
        "bomb.jpg",
        "image.png",
        "garbage-after-soi.jpg",
    ] {
        let err = e
            .add_photo(d.id, &common::bad(name), PhotoStage::Before)
            .unwrap_err();
        assert!(matches!(err, Error::Photo(_)), "{name}: {err:?}");
    }
    let err = e
        .add_photo(d.id, &common::bad("does-not-exist.jpg"), PhotoStage::Before)
        .unwrap_err();
    assert!(err.to_string().contains("does-not-exist.jpg"), "{err}");
    assert_eq!(e.report(d.id).unwrap(), d);
    assert_eq!(common::files_under(dir.path()), files, "no file written");
}

#[test]
fn deleting_drafts_and_photos_removes_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let empty = common::files_under(dir.path());
    let a = e.create_draft().unwrap();
    let a = e
        .add_photo(a.id, &common::photo("orient-3.jpg"), PhotoStage::Before)
        .unwrap();
    let b = e.create_draft().unwrap();
    // The same photo on two drafts shares one content-addressed derivative.
    let b = e
        .add_photo(b.id, &common::photo("orient-3.jpg"), PhotoStage::Before)
        .unwrap();
    assert_eq!(a.photos[0].photo.sha256, b.photos[0].photo.sha256);
    let b = e
        .add_photo(b.id, &common::photo("orient-4.jpg"), PhotoStage::After)
        .unwrap();
    let with_both = common::files_under(dir.path()).len();

    let b = e.remove_photo(b.photos[1].photo.id).unwrap();
    assert_eq!(b.photos.len(), 1);
    assert_eq!(
        common::files_under(dir.path()).len(),
        with_both - 3,
        "derivative, thumbnail, original"
    );
    e.delete_draft(a.id).unwrap();
    assert!(matches!(e.report(a.id), Err(Error::NoSuchReport(_))));
    assert_eq!(
        common::files_under(dir.path()).len(),
        with_both - 4,
        "shared derivative kept for b"
    );
    e.delete_draft(b.id).unwrap();
    assert_eq!(common::files_under(dir.path()), empty);
}

#[test]
fn orphan_files_are_swept_on_open_and_a_second_engine_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    e.add_photo(d.id, &common::photo("orient-5.jpg"), PhotoStage::Before)
        .unwrap();
    let second = Engine::open(FieldConfig::new(dir.path()), common::reference()).unwrap_err();
    assert!(matches!(second, Error::Locked(_)), "{second:?}");
    drop(e);
    let blobs = |d: &std::path::Path| -> Vec<String> {
        common::files_under(d)
            .into_iter()
            .filter(|f| !f.starts_with("field.db"))
            .collect()
    };
    let kept = blobs(dir.path());
    // What a crash between "file written" and "row inserted" leaves behind.
    let orphan = dir
        .path()
        .join("photos/ff")
        .join(format!("{}.jpg", "f".repeat(64)));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"x").unwrap();
    std::fs::write(dir.path().join("tmp/half-written"), b"x").unwrap();
    let e = common::engine_at(dir.path());
    assert!(!orphan.exists());
    assert_eq!(blobs(dir.path()), kept);
    assert_eq!(e.report(d.id).unwrap().photos.len(), 1);
}

#[test]
fn drafts_need_a_signed_in_inspector() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(FieldConfig::new(dir.path()), common::reference()).unwrap();
    let err = e.create_draft().unwrap_err();
    assert!(err.to_string().contains("nobody is signed in"), "{err}");
    e.sign_in(&common::inspector()).unwrap();
    let d = e.create_draft().unwrap();
    assert_eq!(d.reporter, common::inspector().id);
    let d = e
        .update_draft(
            d.id,
            &DraftPatch {
                urgency: Some(Urgency::Urgent),
                description: Some("井盖缺失".into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    assert_eq!(
        (d.urgency, d.description.as_str()),
        (Urgency::Urgent, "井盖缺失")
    );
    assert_eq!(e.reports(ReportState::Draft).unwrap(), vec![d]);
}

#[test]
fn clips_and_component_ids_can_be_removed_again() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let d = e.create_draft().unwrap();
    let clip = |serial: &str| ClipRef {
        camera_serial: serial.into(),
        officer_badge: "440102".into(),
        start: d.observed_at - chrono::Duration::minutes(5),
        end: d.observed_at,
        file_name: Some("clip.mp4".into()),
        md5: None,
        sha256: None,
    };
    e.add_clip(d.id, &clip("JMC0001")).unwrap();
    e.add_clip(d.id, &clip("JMC0002")).unwrap();
    let r = e.add_clip(d.id, &clip("JMC0003")).unwrap();
    assert_eq!(r.clips.len(), 3);
    let r = e.remove_clip(d.id, 1).unwrap();
    let serials: Vec<&str> = r.clips.iter().map(|c| c.camera_serial.as_str()).collect();
    assert_eq!(serials, ["JMC0001", "JMC0003"]);
    let err = e.remove_clip(d.id, 5).unwrap_err();
    assert_eq!(err.to_string(), "the report has no clip number 6");
    assert_eq!(e.report(d.id).unwrap().clips.len(), 2);

    let with_id = DraftPatch {
        kind: Some(Kind::Component),
        category: Some("0102".parse().unwrap()),
        component_id: Some(Some("4407030102000017".parse().unwrap())),
        ..DraftPatch::default()
    };
    let r = e.update_draft(d.id, &with_id).unwrap();
    assert_eq!(r.component_id.unwrap().as_str(), "4407030102000017");
    let r = e
        .update_draft(
            d.id,
            &DraftPatch {
                component_id: Some(None),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    assert_eq!(r.component_id, None);
    assert_eq!(r.category.unwrap().as_str(), "0102", "other fields kept");
}

#[test]
fn the_map_preview_assigns_cells_without_saving() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let a = e
        .assign_cell(&common::gps_fix(113.0631, 22.5983, 5.0))
        .unwrap();
    assert_eq!(a.cell.unwrap().as_str(), "440703001001003");
    assert!(a.flags.is_empty());
    // Someone else's cell, in the same grid.
    let a = e
        .assign_cell(&common::gps_fix(113.0977, 22.5786, 5.0))
        .unwrap();
    assert!(
        matches!(a.flags.as_slice(), [LocationFlag::OutsideMyCells { .. }]),
        "{a:?}"
    );
    assert!(e.assign_cell(&common::gps_fix(113.0, 95.0, 5.0)).is_err());
    assert_eq!(e.queue_summary().unwrap().drafts, 0);
}

#[test]
fn settings_shape_photos_and_remember_the_camera() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    assert_eq!(e.settings().unwrap().photo_max_edge, 2048);
    assert_eq!(e.settings().unwrap().camera_serial, None);

    // A refused setting names the field and changes nothing.
    let err = e
        .update_settings(&SettingsPatch {
            photo_max_edge: Some(100),
            ..SettingsPatch::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("photo_max_edge"), "{err}");
    assert_eq!(e.settings().unwrap().photo_max_edge, 2048);

    // A smaller size makes smaller photos from the same camera file.
    let d = e.create_draft().unwrap();
    let big = e
        .add_photo(
            d.id,
            &common::photo("street-4000x3000.jpg"),
            PhotoStage::Before,
        )
        .unwrap();
    e.update_settings(&SettingsPatch {
        photo_max_edge: Some(1280),
        ..SettingsPatch::default()
    })
    .unwrap();
    let both = e
        .add_photo(
            d.id,
            &common::photo("street-4000x3000.jpg"),
            PhotoStage::Before,
        )
        .unwrap();
    assert_eq!(big.photos[0].photo.width, 2048);
    assert_eq!(both.photos[1].photo.width, 1280);

    // A clip is checked on its own when added, and its camera is remembered.
    let clip = ClipRef {
        camera_serial: "JMC0042".into(),
        officer_badge: "440102".into(),
        start: d.observed_at - chrono::Duration::minutes(5),
        end: d.observed_at,
        file_name: None,
        md5: None,
        sha256: None,
    };
    let err = e
        .add_clip(
            d.id,
            &ClipRef {
                end: clip.start,
                camera_serial: "JMC".into(),
                ..clip.clone()
            },
        )
        .unwrap_err();
    let Error::Invalid(v) = &err else {
        panic!("{err}")
    };
    assert!(
        v.mentions("clip.camera_serial") && v.mentions("clip.end"),
        "{v}"
    );
    assert!(e.report(d.id).unwrap().clips.is_empty());
    assert_eq!(e.settings().unwrap().camera_serial, None);
    e.add_clip(d.id, &clip).unwrap();
    assert_eq!(
        e.settings().unwrap().camera_serial.as_deref(),
        Some("JMC0042")
    );
}

#[test]
fn the_map_lists_every_cell_and_marks_mine() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    let cells = e.my_grid().unwrap();
    assert_eq!(cells.len(), 1000);
    let mine: Vec<&str> = cells
        .iter()
        .filter(|c| c.mine)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(
        mine,
        ["440703001001001", "440703001001002", "440703001001003"]
    );
    let ring = &cells[0].ring;
    assert!(
        ring.len() >= 4 && ring.first() == ring.last(),
        "closed ring"
    );

    // Thumbnails are served for photos on the device; an unknown photo is named.
    let d = e.create_draft().unwrap();
    let r = e
        .add_photo(d.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
        .unwrap();
    let thumb = e.thumbnail(r.photos[0].photo.id).unwrap();
    assert_eq!(&thumb[..2], &[0xFF, 0xD8], "a JPEG");
    let unknown = gridwalk_protocol::PhotoId::new();
    assert!(matches!(e.thumbnail(unknown), Err(Error::NoSuchPhoto(_))));
    assert_eq!(e.all_reports().unwrap().len(), 1);
}

/// The centre's answer to `GET /v1/me` for a user of users.json, on this device.
fn profile_of(e: &Engine, login: &str) -> gridwalk_protocol::Profile {
    let users: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(common::fixtures().join("users.json")).unwrap(),
    )
    .unwrap();
    let u = users.iter().find(|u| u["login"] == login).unwrap();
    serde_json::from_value(serde_json::json!({
        "device": e.device_id(),
        "user": u["id"],
        "login": u["login"],
        "name": u["name"],
        "team": u["team"],
        "cells": u["cells"],
        "badge": u["badge"],
        "camera_serial": u["camera_serial"],
    }))
    .unwrap()
}

#[test]
fn signing_in_takes_the_issued_camera_and_signing_out_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = FieldConfig::new(dir.path());
    config.secrets = gridwalk_field::secrets::SecretsChoice::File;
    let e = Engine::open(config, common::reference()).unwrap();
    let centre = gridwalk_field::sync::SyncSettings::new(
        "http://127.0.0.1:8750",
        "token-lixiaoming",
        &gridwalk_field::sync::Transport::default(),
    )
    .unwrap();

    // Signed in as the centre knows them, with the camera issued to them.
    let li = e
        .adopt_profile(&centre, &profile_of(&e, "lixiaoming"))
        .unwrap();
    assert_eq!(
        (li.name.as_str(), li.badge.as_deref()),
        ("李晓明", Some("440102"))
    );
    assert_eq!(
        e.settings().unwrap().camera_serial.as_deref(),
        Some("JMC0001")
    );
    assert!(e.sync_settings().unwrap().is_some());

    // A submitted report with a photo and a draft: signing out is refused in words and
    // changes nothing; so is signing someone else in.
    let sent = e.create_draft().unwrap();
    e.add_photo(sent.id, &common::photo("orient-1.jpg"), PhotoStage::Before)
        .unwrap();
    common::categorise(&e, sent.id, Kind::Event, "0507", None);
    e.finalize(sent.id).unwrap();
    let draft = e.create_draft().unwrap();
    let err = e.sign_out().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsent {
                reports: 1,
                photos: 1
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), "unsent");
    assert!(err.to_string().contains("sync first"), "{err}");
    let other = gridwalk_field::sync::SyncSettings::new(
        "http://127.0.0.1:8750",
        "token-wangfang",
        &gridwalk_field::sync::Transport::default(),
    )
    .unwrap();
    let err = e
        .adopt_profile(&other, &profile_of(&e, "wangfang"))
        .unwrap_err();
    assert!(matches!(err, Error::Unsent { .. }), "{err}");
    assert_eq!(e.inspector().unwrap(), Some(li.clone()));
    assert_eq!(
        e.sync_settings().unwrap().unwrap().token,
        "token-lixiaoming"
    );
    assert_eq!(
        e.settings().unwrap().camera_serial.as_deref(),
        Some("JMC0001")
    );

    // The same inspector signing in again keeps a camera they set by hand.
    e.update_settings(&SettingsPatch {
        camera_serial: Some(Some("JMC0099".into())),
        ..SettingsPatch::default()
    })
    .unwrap();
    e.adopt_profile(&centre, &profile_of(&e, "lixiaoming"))
        .unwrap();
    assert_eq!(
        e.settings().unwrap().camera_serial.as_deref(),
        Some("JMC0099")
    );

    // Once the centre holds everything, signing out forgets who, the camera and the token,
    // and keeps every report and draft.
    let pending = e.pending_mutations(10).unwrap();
    e.settle_push(&PushResponse {
        last_applied: pending[0].id,
        results: vec![MutationResult {
            id: pending[0].id,
            outcome: Outcome::Applied,
        }],
    })
    .unwrap();
    assert!(
        matches!(
            e.sign_out(),
            Err(Error::Unsent {
                reports: 0,
                photos: 1
            })
        ),
        "the photo has not arrived yet"
    );
    // Its bytes confirmed, as the upload round records it.
    rusqlite::Connection::open(dir.path().join("field.db"))
        .unwrap()
        .execute("UPDATE photos SET uploaded_at = '2026-11-21T01:00:00Z'", [])
        .unwrap();
    e.sign_out().unwrap();
    assert_eq!(e.inspector().unwrap(), None);
    assert!(e.sync_settings().unwrap().is_none());
    assert_eq!(
        e.server_url().unwrap().as_deref(),
        Some("http://127.0.0.1:8750"),
        "kept, to sign in there again"
    );
    assert_eq!(e.settings().unwrap().camera_serial, None);
    assert_eq!(e.report(sent.id).unwrap().photos.len(), 1);
    assert_eq!(e.report(draft.id).unwrap().state, ReportState::Draft);
    assert!(matches!(e.create_draft(), Err(Error::NotSignedIn)));

    // Someone else signs in: their camera, not the last inspector's.
    e.adopt_profile(&other, &profile_of(&e, "wangfang"))
        .unwrap();
    assert_eq!(
        e.settings().unwrap().camera_serial.as_deref(),
        Some("JMC0002")
    );
}
