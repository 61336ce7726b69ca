//! One tablet cannot stall the centre: every push and upload is bounded, and what goes over
//! a bound is answered in words with the right status and stores nothing. Each scenario
//! reproduces a finding of the attack on main at 277c0b8 (issue 13), on both backends.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use gridwalk_protocol::validate::MAX_MUTATIONS_PER_PUSH;
use gridwalk_protocol::{
    ApiError, Mutation, MutationBody, Outcome, PushRequest, PushResponse, ReportPatch,
};
use gridwalk_sync::services::uploads::{MAX_OPEN_UPLOADS, MAX_PARTS};
use gridwalk_system_tests::*;

fn request(engine: &gridwalk_field::Engine, mutations: Vec<Mutation>) -> PushRequest {
    push_of(engine, mutations)
}

/// `n` edits of `report`'s description, all based on version 1, numbered from `first`.
fn edits(engine: &gridwalk_field::Engine, report: &Mutation, first: u64, n: u64) -> Vec<Mutation> {
    (first..first + n)
        .map(|id| Mutation {
            id,
            device: engine.device_id(),
            created_at: Utc::now(),
            body: MutationBody::EditReport {
                report: report.body.report_id(),
                base_version: 1,
                patch: Box::new(ReportPatch {
                    description: Some(format!("第 {id} 次修改")),
                    ..ReportPatch::default()
                }),
            },
            signature: None,
        })
        .collect()
}

async fn the_device_row(s: &Server, engine: &gridwalk_field::Engine) -> serde_json::Value {
    let board = s.store.device_board().await.unwrap();
    let row = board.iter().find(|d| d.id == engine.device_id()).unwrap();
    serde_json::to_value(row).unwrap()
}

async fn a_hostile_push_is_refused_whole_and_changes_nothing(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);
    let token = enroll(&s, &engine).await;
    let submitted = engine.pending_mutations(1).unwrap();
    let first: PushResponse = post_push(&s, &token, &request(&engine, submitted.clone()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first.last_applied, 1);
    let before = the_device_row(&s, &engine).await;

    // 9,500 edits in one push (2.5 MB, the attack that held the centre for ~5 minutes):
    // refused before it is even parsed.
    let resp = post_push(
        &s,
        &token,
        &request(&engine, edits(&engine, &submitted[0], 2, 9_500)),
    )
    .await;
    assert_eq!(resp.status(), 413);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.error, "too_large");
    assert!(
        err.message.contains("bytes a request may carry"),
        "{}",
        err.message
    );
    // 101 mutations, well under the size limit: refused whole, in words.
    let resp = post_push(
        &s,
        &token,
        &request(&engine, edits(&engine, &submitted[0], 2, 101)),
    )
    .await;
    assert_eq!(resp.status(), 413);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.error, "too_large");
    assert!(
        err.message.starts_with(&format!(
            "a push carries at most {MAX_MUTATIONS_PER_PUSH} mutations, this one 101"
        )),
        "{}",
        err.message
    );

    // Numbers past what the store holds and a 1.9 MB app version: 400, not 500.
    let mut req = request(&engine, vec![]);
    req.queue.bytes = u64::MAX;
    req.app_version = "x".repeat(1_900_000);
    let resp = post_push(&s, &token, &req).await;
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert!(err.message.contains("queue.bytes"), "{}", err.message);
    assert!(err.message.contains("app_version"), "{}", err.message);

    // A push that skips ahead is refused and does not touch the device's row either.
    let mut gap = request(&engine, edits(&engine, &submitted[0], 5, 1));
    gap.app_version = "9.9.9".into();
    gap.queue.reports = 77;
    assert_eq!(post_push(&s, &token, &gap).await.status(), 409);

    assert_eq!(the_device_row(&s, &engine).await, before, "nothing written");
    let stored = s
        .store
        .report(submitted[0].body.report_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    s.finish().await;
}

async fn edits_cost_a_bounded_amount_each(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);
    let token = enroll(&s, &engine).await;
    let submitted = engine.pending_mutations(1).unwrap();
    post_push(&s, &token, &request(&engine, submitted.clone())).await;

    // A full push of edits all based on version 1: the first 33 replay at most 32 earlier
    // ones each; the rest are refused in words, so the push costs a bounded amount.
    let n = MAX_MUTATIONS_PER_PUSH as u64;
    let resp: PushResponse = post_push(
        &s,
        &token,
        &request(&engine, edits(&engine, &submitted[0], 2, n)),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(resp.last_applied, n + 1);
    let (taken, refused): (Vec<_>, Vec<_>) = resp
        .results
        .iter()
        .partition(|r| !matches!(r.outcome, Outcome::Rejected { .. }));
    assert_eq!(taken.len(), 33, "{:?}", resp.results.first());
    for r in refused {
        let Outcome::Rejected { reason, .. } = &r.outcome else {
            unreachable!()
        };
        assert!(
            reason.contains("more than 32 times since version 1"),
            "{reason}"
        );
    }
    let stored = s
        .store
        .report(submitted[0].body.report_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 34);
    assert_eq!(stored.report.description, "第 34 次修改");
    s.finish().await;
}

async fn reports_that_could_never_complete_are_refused(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(
        &engine,
        &[fixtures().join("photos/orient-1.jpg")],
        (gridwalk_protocol::Kind::Event, "0507"),
    );
    let token = enroll(&s, &engine).await;
    let base = engine.pending_mutations(1).unwrap().remove(0);
    let variant = |id: u64, f: &dyn Fn(&mut gridwalk_protocol::Report)| {
        let mut m = base.clone();
        m.id = id;
        let MutationBody::SubmitReport { report } = &mut m.body else {
            panic!("a submission")
        };
        report.id = gridwalk_protocol::ReportId::new();
        f(report);
        m
    };
    let photo = |r: &gridwalk_protocol::Report| r.photos[0].clone();
    let batch = vec![
        variant(1, &|r| {
            let p = photo(r);
            r.photos = (0..9_000)
                .map(|_| gridwalk_protocol::PhotoRef {
                    id: gridwalk_protocol::PhotoId::new(),
                    ..p.clone()
                })
                .collect();
        }),
        // Larger than any centre takes: it would wait for its photo for ever.
        variant(2, &|r| r.photos[0].bytes = 1_000_000_000_000),
        // Larger than this centre takes (32 MiB by default).
        variant(3, &|r| r.photos[0].bytes = 40 * 1024 * 1024),
        // A clock reset to year 1.
        variant(4, &|r| {
            r.observed_at = "0001-01-01T08:00:00+08:00".parse().unwrap();
        }),
    ];
    let resp: PushResponse = post_push(&s, &token, &request(&engine, batch))
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<String> = resp
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Rejected { reason, .. } => reason.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        reasons[0],
        "the report is not valid: photos: 9000 photos; at most 20"
    );
    // The same as a code, with each field's problem, for the tablet to say in Chinese.
    let Outcome::Rejected {
        message: Some(said),
        ..
    } = &resp.results[0].outcome
    else {
        panic!("{:?}", resp.results[0])
    };
    assert_eq!(said.code, "intake.report_invalid");
    assert_eq!(said.fields[0].field, "photos");
    assert_eq!(said.fields[0].code, "valid.too_many_photos");
    assert_eq!(said.fields[0].params["n"], "9000");
    assert!(
        reasons[1].contains("photos[0].bytes: 1000000000000 bytes"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("this centre takes photos of at most 33554432 bytes"),
        "{}",
        reasons[2]
    );
    assert!(
        reasons[3].contains("observed_at: 0001-01-01")
            && reasons[3].contains("more than a year ago"),
        "{}",
        reasons[3]
    );
    assert_eq!(s.store.report_count().await.unwrap(), 0);
    s.finish().await;
}

/// A tablet with `reports` reports of three photos each, enrolled and pushed (all applied):
/// its engine (and data dir), token, and every photo slot as `(report, photo)`.
async fn pushed_photo_slots(
    s: &Server,
    reports: usize,
) -> (
    gridwalk_field::Engine,
    tempfile::TempDir,
    String,
    Vec<(gridwalk_protocol::ReportId, gridwalk_protocol::PhotoRef)>,
) {
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let photo = fixtures().join("photos/orient-1.jpg");
    for _ in 0..reports {
        capture(
            &engine,
            &[photo.clone(), photo.clone(), photo.clone()],
            RUBBISH,
        );
    }
    let token = enroll(s, &engine).await;
    let pushed = engine.pending_mutations(100).unwrap();
    let resp: PushResponse = post_push(s, &token, &request(&engine, pushed.clone()))
        .await
        .json()
        .await
        .unwrap();
    assert!(resp.results.iter().all(|r| r.outcome == Outcome::Applied));
    let slots: Vec<_> = pushed
        .iter()
        .flat_map(|m| {
            let r = m.body.submitted().unwrap();
            r.photos.iter().map(move |p| (r.id, p.clone()))
        })
        .collect();
    assert_eq!(slots.len(), 3 * reports);
    (engine, dir, token, slots)
}

async fn uploads_are_bounded_per_photo_per_device_and_per_piece(backend: Backend) {
    let s = server(backend).await;
    let (engine, _dir, token, slots) = pushed_photo_slots(&s, 6).await;

    // A second upload for one photo replaces the first: 150 creations leave one upload.
    let (report, p) = &slots[0];
    let mut last = String::new();
    for _ in 0..150 {
        let resp = tus_create(&s, &token, *report, p).await;
        assert_eq!(resp.status(), 201);
        last = upload_path(&resp);
    }
    assert_eq!(
        s.store
            .open_uploads(engine.device_id(), Utc::now())
            .await
            .unwrap()
            .len(),
        1
    );

    // Tiny pieces: fewer than MAX_PARTS of them, then refused in words (the rest in one
    // piece would still be taken).
    for offset in 0..MAX_PARTS as u64 - 1 {
        let resp = tus_patch(&s, &token, &last, offset, vec![0xFF]).await;
        assert_eq!(resp.status(), 204);
    }
    let resp = tus_patch(&s, &token, &last, MAX_PARTS as u64 - 1, vec![0xD8]).await;
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.unwrap();
    assert!(
        err.message
            .contains("has arrived in 199 pieces and takes at most 200"),
        "{}",
        err.message
    );

    // At most MAX_OPEN_UPLOADS unfinished uploads per device.
    for (report, p) in &slots[1..MAX_OPEN_UPLOADS] {
        assert_eq!(tus_create(&s, &token, *report, p).await.status(), 201);
    }
    let (report, p) = &slots[MAX_OPEN_UPLOADS];
    let resp = tus_create(&s, &token, *report, p).await;
    assert_eq!(resp.status(), 429);
    let err: ApiError = resp.json().await.unwrap();
    assert!(
        err.message.contains("unfinished uploads"),
        "{}",
        err.message
    );
    s.finish().await;
}

async fn a_photo_whose_bytes_have_arrived_is_not_sent_again(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    // Two photos with the same bytes: once the first arrives, the second has too.
    let photo = fixtures().join("photos/orient-1.jpg");
    capture(
        &engine,
        &[photo.clone(), photo],
        (gridwalk_protocol::Kind::Event, "0507"),
    );
    let report = engine.pending_mutations(1).unwrap().remove(0);
    let token = enroll(&s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    let done = engine.sync_once(&client, "test/limits").await.unwrap();
    assert_eq!(done.sent, 1);
    let q = engine.queue_summary().unwrap();
    assert_eq!(q.pending_photos, 0, "{q:?}");

    // Asked again for an arrived photo, the centre answers with an upload born complete:
    // Upload-Offset is the whole length, so no tus client sends the bytes again.
    let r = report.body.submitted().unwrap();
    let resp = tus_create(&s, &token, r.id, &r.photos[1]).await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers()["upload-offset"].to_str().unwrap(),
        r.photos[1].bytes.to_string()
    );
    let l = upload_path(&resp);
    assert_eq!(
        tus_patch(&s, &token, &l, 0, vec![0xFF]).await.status(),
        409,
        "nothing more is taken"
    );
    assert!(
        s.store
            .open_uploads(engine.device_id(), Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "nothing left open"
    );
    s.finish().await;
}

async fn bytes_that_are_not_the_declared_jpeg_are_refused(backend: Backend) {
    use sha2::Digest as _;
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(
        &engine,
        &[fixtures().join("photos/orient-1.jpg")],
        (gridwalk_protocol::Kind::Event, "0507"),
    );
    let token = enroll(&s, &engine).await;
    let mut m = engine.pending_mutations(1).unwrap().remove(0);
    // The device declares an HTML page as its photo: the SHA-256 matches what it sends.
    let html = b"<html><script>document.title='owned'</script></html>".to_vec();
    let MutationBody::SubmitReport { report } = &mut m.body else {
        panic!("a submission")
    };
    report.photos[0].sha256 = sha2::Sha256::digest(&html)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    report.photos[0].bytes = html.len() as u64;
    let (id, photo) = (report.id, report.photos[0].clone());
    let resp: PushResponse = post_push(&s, &token, &request(&engine, vec![m]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resp.results[0].outcome, Outcome::Applied);
    let created = tus_create(&s, &token, id, &photo).await;
    assert_eq!(created.status(), 201);
    let resp = tus_patch(&s, &token, &upload_path(&created), 0, html).await;
    assert_eq!(resp.status(), 460);
    let err: ApiError = resp.json().await.unwrap();
    assert!(err.message.contains("it is not a JPEG"), "{}", err.message);
    let held = s.store.report(id).await.unwrap().unwrap();
    assert_eq!(held.state.as_str(), "awaiting_photos", "still waiting");
    assert!(s.blobs.photo(&photo.sha256).await.is_err(), "nothing filed");
    s.finish().await;
}

/// A submission to edit (only its report ID is used).
fn engine_report(engine: &gridwalk_field::Engine) -> Mutation {
    Mutation {
        id: 1,
        device: engine.device_id(),
        created_at: Utc::now(),
        body: MutationBody::SubmitReport {
            report: Box::new(gridwalk_protocol::testing::report()),
        },
        signature: None,
    }
}

async fn a_flooding_device_is_slowed_and_the_others_are_not(backend: Backend) {
    use gridwalk_sync::services::throttle::PUSH_BURST;
    let s = server(backend).await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (flood, honest) = (signed_in_engine(a.path()), signed_in_engine(b.path()));
    let (token_f, token_h) = (enroll(&s, &flood).await, enroll(&s, &honest).await);
    // Full pushes at once, twice the burst: the burst goes through (and what the rate
    // refills meanwhile), the rest are told to come back. Each is refused as a whole before
    // its mutations are read, so they need not even be consecutive.
    let n = MAX_MUTATIONS_PER_PUSH as u64;
    let burst = (PUSH_BURST as u64).div_ceil(n);
    let report = engine_report(&flood);
    let req = request(&flood, edits(&flood, &report, 1_000_000, n));
    let pushes: Vec<_> = (0..2 * burst)
        .map(|_| {
            let (url, token, req) = (s.url.clone(), token_f.clone(), req.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{url}/v1/push"))
                    .bearer_auth(token)
                    .json(&req)
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for p in pushes {
        let resp = p.await.unwrap();
        let status = resp.status().as_u16();
        if status == 429 {
            assert!(resp.headers().contains_key("retry-after"));
            let err: ApiError = resp.json().await.unwrap();
            assert!(err.message.contains("pushing faster"), "{}", err.message);
        }
        statuses.push(status);
    }
    // Taken ones are answered (here with a 409 gap: their numbers skip ahead).
    let taken = statuses.iter().filter(|s| **s == 409).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(taken + refused, statuses.len(), "{statuses:?}");
    assert!(
        taken >= burst as usize && refused >= burst as usize / 2,
        "{statuses:?}"
    );
    let resp = post_push(&s, &token_h, &request(&honest, vec![])).await;
    assert_eq!(resp.status(), 200, "another device is not held back");
    s.finish().await;
}

async fn a_verification_of_a_report_the_centre_lacks_is_refused_alone(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);
    let token = enroll(&s, &engine).await;
    let mut batch = engine.pending_mutations(1).unwrap();
    batch.push(Mutation {
        id: 2,
        device: engine.device_id(),
        created_at: Utc::now(),
        body: MutationBody::CompleteTask {
            task: gridwalk_protocol::TaskId::new(),
            report: gridwalk_protocol::ReportId::new(),
            passed: true,
            note: None,
            photos: vec![],
        },
        signature: None,
    });
    // Answered mutation by mutation: the queue moves past it instead of sticking.
    let resp: PushResponse = post_push(&s, &token, &request(&engine, batch))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resp.last_applied, 2);
    assert_eq!(resp.results[0].outcome, Outcome::Applied);
    let Outcome::Rejected { reason, .. } = &resp.results[1].outcome else {
        panic!("{:?}", resp.results[1])
    };
    assert!(reason.starts_with("there is no report"), "{reason}");
    s.finish().await;
}

/// What one device's unfinished uploads may make the centre keep is capped in bytes too
/// (bytes in flight), not only in number: past the cap a new upload is refused in words,
/// and ending one makes room.
async fn bytes_in_flight_are_capped_per_device(backend: Backend) {
    let photo = fixtures().join("photos/orient-1.jpg");
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    for _ in 0..3 {
        capture(&engine, std::slice::from_ref(&photo), RUBBISH);
    }
    let pushed = engine.pending_mutations(100).unwrap();
    let slots: Vec<_> = pushed
        .iter()
        .map(|m| {
            let r = m.body.submitted().unwrap();
            (r.id, r.photos[0].clone())
        })
        .collect();
    let size = slots[0].1.bytes;
    let s = server_with(
        backend,
        gridwalk_sync::services::uploads::UploadSettings {
            max_open_bytes: 2 * size + size / 2,
            ..Default::default()
        },
    )
    .await;
    let token = enroll(&s, &engine).await;
    let resp: PushResponse = post_push(&s, &token, &request(&engine, pushed))
        .await
        .json()
        .await
        .unwrap();
    assert!(resp.results.iter().all(|r| r.outcome == Outcome::Applied));
    let first = tus_create(&s, &token, slots[0].0, &slots[0].1).await;
    assert_eq!(first.status(), 201);
    assert_eq!(
        tus_create(&s, &token, slots[1].0, &slots[1].1)
            .await
            .status(),
        201
    );
    let resp = tus_create(&s, &token, slots[2].0, &slots[2].1).await;
    assert_eq!(resp.status(), 429);
    let err: ApiError = resp.json().await.unwrap();
    assert!(
        err.message
            .contains(&format!("already hold {} bytes", 2 * size))
            && err.message.contains("in flight"),
        "{}",
        err.message
    );
    assert_eq!(
        s.store
            .open_uploads(engine.device_id(), Utc::now())
            .await
            .unwrap()
            .len(),
        2,
        "the refused one stored nothing"
    );
    // Ending one (tus termination) makes room.
    let ended = reqwest::Client::new()
        .delete(format!("{}{}", s.url, upload_path(&first)))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 204);
    assert_eq!(
        tus_create(&s, &token, slots[2].0, &slots[2].1)
            .await
            .status(),
        201
    );
    s.finish().await;
}

/// Creations racing each other are decided one after the other: many at once from one
/// device never get past the number of unfinished uploads it may hold, nor leave more than
/// one upload for one photo.
async fn racing_creations_keep_the_limits(backend: Backend) {
    let s = server(backend).await;
    let (engine, _dir, token, slots) = pushed_photo_slots(&s, 7).await;
    let open = || async {
        s.store
            .open_uploads(engine.device_id(), Utc::now())
            .await
            .unwrap()
    };

    // Every creation sent at once (the server decides them concurrently).
    let at_once = |list: Vec<(gridwalk_protocol::ReportId, gridwalk_protocol::PhotoRef)>| {
        let (s, token) = (&s, token.as_str());
        async move {
            let sent = list
                .iter()
                .map(|(report, p)| tus_create(s, token, *report, p));
            futures_util::future::join_all(sent)
                .await
                .iter()
                .map(|r| r.status().as_u16())
                .collect::<Vec<_>>()
        }
    };
    let answers = at_once(slots.clone()).await;
    let created = answers.iter().filter(|s| **s == 201).count();
    assert_eq!(created, MAX_OPEN_UPLOADS, "the rest were told too many");
    assert_eq!(open().await.len(), MAX_OPEN_UPLOADS);

    // A photo with an upload, twelve more times at once: one upload for it remains.
    let held = open().await[0].photo;
    let slot = slots.iter().find(|(_, p)| p.id == held).unwrap().clone();
    let p = &slot.1;
    let answers = at_once(vec![slot.clone(); 12]).await;
    assert!(answers.iter().all(|s| *s == 201), "{answers:?}");
    let for_it = open().await.iter().filter(|u| u.photo == p.id).count();
    assert_eq!(for_it, 1);
    assert_eq!(open().await.len(), MAX_OPEN_UPLOADS);
    s.finish().await;
}

on_every_backend!(
    racing_creations_keep_the_limits,
    bytes_in_flight_are_capped_per_device,
    a_verification_of_a_report_the_centre_lacks_is_refused_alone,
    a_flooding_device_is_slowed_and_the_others_are_not,
    bytes_that_are_not_the_declared_jpeg_are_refused,
    a_photo_whose_bytes_have_arrived_is_not_sent_again,
    a_hostile_push_is_refused_whole_and_changes_nothing,
    edits_cost_a_bounded_amount_each,
    reports_that_could_never_complete_are_refused,
    uploads_are_bounded_per_photo_per_device_and_per_piece,
);
