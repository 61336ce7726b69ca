//! Photos over tus, end to end: the protocol as a plain HTTP client sees it, the engine's
//! upload client against a real server, and a connection cut in the middle of a photo by a
//! proxy (`gridwalk-netem`). Every scenario runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use gridwalk_field::Engine;
use gridwalk_netem::{Profile, Proxy};
use gridwalk_protocol::tus::{self, Checksum};
use gridwalk_protocol::{ApiError, PhotoRef, PushResponse, Report};
use gridwalk_sync::services::uploads::UploadSettings;
use gridwalk_system_tests::*;
use reqwest::{Method, StatusCode};
use sha2::Digest;

/// Pushes the engine's outbox (records only) with a plain HTTP client, settles the answers
/// and returns the reports sent.
async fn push_by_hand(s: &Server, engine: &Engine, token: &str) -> Vec<Report> {
    let req = engine.push_request("test").unwrap();
    let reports = req
        .mutations
        .iter()
        .filter_map(|m| m.body.submitted().cloned())
        .collect();
    let resp: PushResponse = reqwest::Client::new()
        .post(format!("{}/v1/push", s.url))
        .bearer_auth(token)
        .json(&req)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    engine.settle_push(&resp).unwrap();
    reports
}

fn tus_req(method: Method, url: &str, token: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header(tus::header::TUS_RESUMABLE, tus::VERSION)
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", resp.headers()))
        .to_str()
        .unwrap()
}

fn metadata(report: &Report, photo: &PhotoRef) -> String {
    let (r, p) = (report.id.to_string(), photo.id.to_string());
    tus::encode_metadata([
        (tus::meta::REPORT, r.as_str()),
        (tus::meta::PHOTO, p.as_str()),
        (tus::meta::FILENAME, "照片.jpg"),
    ])
}

async fn message(resp: reqwest::Response) -> String {
    resp.json::<ApiError>().await.unwrap().message
}

async fn the_tus_protocol_as_a_plain_client_sees_it(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(&engine, &[fixtures().join("photos/orient-3.jpg")], RUBBISH);
    let token = enroll(&s, &engine).await;
    let uploads = format!("{}/v1/uploads/", s.url);

    // Discovery needs no token and no Tus-Resumable.
    let resp = reqwest::Client::new()
        .request(Method::OPTIONS, &uploads)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&resp, "tus-version"), "1.0.0");
    assert_eq!(
        header(&resp, "tus-extension"),
        "creation,creation-with-upload,termination,checksum,expiration"
    );
    assert_eq!(header(&resp, "tus-checksum-algorithm"), "sha1,sha256");
    assert_eq!(
        header(&resp, "tus-max-size"),
        UploadSettings::default().max_size.to_string()
    );

    // A photo before its report: refused, in words.
    let before = engine.push_request("test").unwrap();
    let gridwalk_protocol::MutationBody::SubmitReport { report } = &before.mutations[0].body else {
        panic!("the first mutation submits a report")
    };
    let photo = report.photos[0].clone();
    let resp = tus_req(Method::POST, &uploads, &token)
        .header("upload-length", photo.bytes)
        .header("upload-metadata", metadata(report, &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        message(resp)
            .await
            .contains("push the report before its photos")
    );

    let reports = push_by_hand(&s, &engine, &token).await;
    let report = &reports[0];
    let bytes = device_photo(dir.path(), &photo.sha256);
    assert_eq!(bytes.len() as u64, photo.bytes);
    let stored = s.store.report(report.id).await.unwrap().unwrap();
    assert_eq!(stored.state.as_str(), "awaiting_photos");

    // Requests that do not speak tus 1.0.0, or give no size, or too much of one.
    let resp = reqwest::Client::new()
        .post(&uploads)
        .bearer_auth(&token)
        .header("upload-length", photo.bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header(&resp, "tus-version"), "1.0.0");
    let resp = tus_req(Method::POST, &uploads, &token)
        .header("upload-metadata", metadata(report, &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(message(resp).await, "Upload-Length is required");
    let resp = tus_req(Method::POST, &uploads, &token)
        .header("upload-length", UploadSettings::default().max_size + 1)
        .header("upload-metadata", metadata(report, &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = tus_req(Method::POST, &uploads, &token)
        .header("upload-length", photo.bytes + 1)
        .header("upload-metadata", metadata(report, &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(message(resp).await.contains("bytes in its report"));
    let resp = tus_req(Method::POST, &uploads, "stranger")
        .header("upload-length", photo.bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Creation with the first 1000 bytes.
    let resp = tus_req(Method::POST, &uploads, &token)
        .header("upload-length", photo.bytes)
        .header("upload-metadata", metadata(report, &photo))
        .header("content-type", tus::OFFSET_OCTET_STREAM)
        .body(bytes[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(header(&resp, "tus-resumable"), "1.0.0");
    assert_eq!(header(&resp, "upload-offset"), "1000");
    assert!(header(&resp, "upload-expires").ends_with(" GMT"));
    let url = format!("{}{}", s.url, header(&resp, "location"));

    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "upload-offset"), "1000");
    assert_eq!(header(&resp, "upload-length"), photo.bytes.to_string());
    assert_eq!(header(&resp, "upload-metadata"), metadata(report, &photo));
    assert_eq!(header(&resp, "cache-control"), "no-store");

    // Another device cannot see it.
    let other_dir = tempfile::tempdir().unwrap();
    let other = signed_in_engine(other_dir.path());
    let other_token = enroll(&s, &other).await;
    let resp = tus_req(Method::HEAD, &url, &other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Wrong offset, wrong content type, bad checksum, unknown algorithm: nothing kept.
    let patch = |offset: usize, body: &[u8]| {
        tus_req(Method::PATCH, &url, &token)
            .header("upload-offset", offset)
            .header("content-type", tus::OFFSET_OCTET_STREAM)
            .body(body.to_vec())
    };
    let resp = patch(999, &bytes[999..2000]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = tus_req(Method::PATCH, &url, &token)
        .header("upload-offset", 1000)
        .header("content-type", "image/jpeg")
        .body(bytes[1000..2000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = patch(1000, &bytes[1000..2000])
        .header(
            "upload-checksum",
            Checksum::sha256_of(&bytes[1000..2001]).header(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 460);
    let resp = patch(1000, &bytes[1000..2000])
        .header("upload-checksum", "md5 XUFAKrxLKna5cZ2REBfFkg==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(header(&resp, "upload-offset"), "1000", "nothing was kept");

    // A good SHA-1 checksum; then the rest through X-HTTP-Method-Override.
    let sha1 = {
        use base64::Engine as _;
        let digest = sha1::Sha1::digest(&bytes[1000..3000]);
        format!(
            "sha1 {}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    };
    let resp = patch(1000, &bytes[1000..3000])
        .header("upload-checksum", sha1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&resp, "upload-offset"), "3000");
    let too_long = [&bytes[3000..], b"x"].concat();
    let resp = patch(3000, &too_long).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = tus_req(Method::POST, &url, &token)
        .header("x-http-method-override", "PATCH")
        .header("upload-offset", 3000)
        .header("content-type", tus::OFFSET_OCTET_STREAM)
        .body(bytes[3000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&resp, "upload-offset"), photo.bytes.to_string());

    // Complete: stored under its SHA-256, byte for byte, and the report moves to review.
    assert_eq!(s.blobs.photo(&photo.sha256).await.unwrap(), bytes);
    let stored = s.store.report(report.id).await.unwrap().unwrap();
    assert_eq!(stored.state.as_str(), "pending_review");
    let parts = std::fs::read_dir(s.blobs_dir.join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(parts, 0, "no part objects left behind");

    // Termination.
    let resp = tus_req(Method::DELETE, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    s.finish().await;
}

async fn a_wrong_photo_is_discarded_and_an_unfinished_upload_expires(backend: Backend) {
    let s = server_with(
        backend,
        UploadSettings {
            ttl: chrono::TimeDelta::milliseconds(300),
            ..UploadSettings::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(&engine, &[fixtures().join("photos/orient-2.jpg")], RUBBISH);
    let token = enroll(&s, &engine).await;
    let reports = push_by_hand(&s, &engine, &token).await;
    let (report, photo) = (&reports[0], &reports[0].photos[0]);
    let uploads = format!("{}/v1/uploads/", s.url);
    let create = |body: Vec<u8>| {
        tus_req(Method::POST, &uploads, &token)
            .header("upload-length", photo.bytes)
            .header("upload-metadata", metadata(report, photo))
            .header("content-type", tus::OFFSET_OCTET_STREAM)
            .body(body)
    };

    // The right length but the wrong bytes: refused when complete, and thrown away.
    let resp = create(vec![0xAB; usize::try_from(photo.bytes).unwrap()])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 460);
    let url = format!("{}{}", s.url, header(&resp, "location"));
    assert!(message(resp).await.contains("do not match the SHA-256"));
    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.store
            .report(report.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str(),
        "awaiting_photos"
    );

    // Half a photo, then silence: the upload expires.
    let resp = create(vec![1; 500]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let url = format!("{}{}", s.url, header(&resp, "location"));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    let reference = gridwalk_sync::services::reference::ReferenceCache::default();
    let stores = gridwalk_sync::services::uploads::Stores {
        cases: s.store.as_ref(),
        blobs: &s.blobs,
        settings: UploadSettings::default(),
        reference: &reference,
    };
    let swept = gridwalk_sync::services::uploads::sweep(stores, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(swept, 1);
    let resp = tus_req(Method::HEAD, &url, &token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let parts = std::fs::read_dir(s.blobs_dir.join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(parts, 0, "the expired upload's bytes are gone too");
    s.finish().await;
}

async fn every_photo_arrives_once_byte_for_byte_and_held_ones_are_not_resent(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let photos = |names: &[&str]| -> Vec<std::path::PathBuf> {
        names
            .iter()
            .map(|n| fixtures().join("photos").join(n))
            .collect()
    };
    // Captured offline: a normal report with two photos, an urgent one, and a 突发事件.
    capture(&engine, &photos(&["orient-1.jpg", "orient-2.jpg"]), RUBBISH);
    capture(
        &engine,
        &photos(&["orient-4.jpg"]),
        (gridwalk_protocol::Kind::Event, "0402"),
    );
    capture(&engine, &photos(&["orient-5.jpg"]), RUBBISH);
    let order: Vec<_> = engine.photos_to_upload().unwrap();
    assert!(
        order.is_empty(),
        "nothing uploads before its report is sent"
    );

    let token = enroll(&s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    // Records first; then the 突发事件's photo leads the queue.
    push_records(&engine, &client).await;
    let order = engine.photos_to_upload().unwrap();
    assert_eq!(order.len(), 4);
    assert!(order[0].priority && !order[1].priority, "{order:?}");
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!((done.sent, done.photos.uploaded), (0, 4));
    assert_eq!(done.photos.already_held, 0);
    let q = engine.queue_summary().unwrap();
    assert_eq!((q.pending_reports, q.pending_photos), (0, 0));

    let mut total = 0;
    for r in engine.reports(gridwalk_field::ReportState::Sent).unwrap() {
        let stored = s.store.report(r.id).await.unwrap().unwrap();
        assert_eq!(stored.state.as_str(), "pending_review", "{}", r.id);
        for p in &stored.report.photos {
            let held = s.blobs.photo(&p.sha256).await.unwrap();
            assert_eq!(held, device_photo(dir.path(), &p.sha256), "byte for byte");
            assert_eq!(hex(&sha2::Sha256::digest(&held)), p.sha256);
            total += held.len() as u64;
        }
    }
    assert_eq!(done.photos.bytes_sent, total, "each byte sent once");
    assert_eq!(s.store.report_count().await.unwrap(), 3);

    // A second device files a report with a photo the centre already holds.
    let dir2 = tempfile::tempdir().unwrap();
    let engine2 = signed_in_engine(dir2.path());
    capture(&engine2, &photos(&["orient-1.jpg"]), RUBBISH);
    let token2 = enroll(&s, &engine2).await;
    let client2 = connect(&engine2, &s.url, &token2);
    let done2 = engine2.sync_once(&client2, "test").await.unwrap();
    assert_eq!(
        (
            done2.photos.uploaded,
            done2.photos.already_held,
            done2.photos.bytes_sent
        ),
        (0, 1, 0)
    );
    let id = engine2.reports(gridwalk_field::ReportState::Sent).unwrap()[0].id;
    assert_eq!(
        s.store.report(id).await.unwrap().unwrap().state.as_str(),
        "pending_review"
    );
    s.finish().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn a_connection_cut_mid_photo_resumes_without_resending_more_than_a_chunk(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(
        &engine,
        &[fixtures().join("photos/street-4000x3000.jpg")],
        RUBBISH,
    );
    let token = enroll(&s, &engine).await;
    let direct = connect(&engine, &s.url, &token);
    // The record goes first, directly; then only photos cross the proxy.
    push_records(&engine, &direct).await;
    let pending = engine.photos_to_upload().unwrap();
    let photo_len = pending[0].bytes;
    const CHUNK: u64 = 16 * 1024;
    assert!(photo_len > 4 * CHUNK, "the photo spans several chunks");

    // Cut in the middle of the third chunk's body.
    let mut link = Profile::clear();
    link.cut_once_at = Some(2 * CHUNK + CHUNK / 2 + 3000);
    let upstream = s.url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream, link).await.unwrap();
    let client = connect(&engine, &proxy.url(), &token).with_chunk_size(CHUNK as usize);
    let err = engine.sync_once(&client, "test").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(proxy.stats().cuts.load(Ordering::SeqCst), 1);
    let left = &engine.photos_to_upload().unwrap()[0];
    assert!(left.upload_url.is_some(), "the upload is remembered");
    assert!(
        left.last_error
            .as_deref()
            .unwrap()
            .starts_with("cannot reach the server"),
        "{:?}",
        left.last_error
    );
    // The server kept what arrived of the broken chunk, not just the whole ones before it
    // (it stores that once it notices the break, which may be a moment after the client).
    let mut kept = 0;
    for _ in 0..100 {
        let resp = tus_req(Method::HEAD, left.upload_url.as_deref().unwrap(), &token)
            .send()
            .await
            .unwrap();
        kept = header(&resp, "upload-offset").parse().unwrap();
        if kept > 2 * CHUNK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        kept > 2 * CHUNK && kept < 3 * CHUNK,
        "{kept} bytes kept after a cut inside the third chunk"
    );

    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(done.photos.uploaded, 1);
    let held = s.blobs.photo(&pending[0].sha256).await.unwrap();
    assert_eq!(held, device_photo(dir.path(), &pending[0].sha256));

    // Everything that went up, headers included, against the photo itself.
    let up = proxy.stats().up_bytes.load(Ordering::SeqCst);
    let requests = photo_len.div_ceil(CHUNK) + 6;
    let overhead = requests * 700;
    assert!(
        up <= photo_len + CHUNK + overhead,
        "{up} bytes went up for a {photo_len}-byte photo in {CHUNK}-byte chunks"
    );
    eprintln!(
        "{up} bytes went up for a {photo_len}-byte photo ({:.3}×)",
        up as f64 / photo_len as f64
    );
    s.finish().await;
}

async fn the_retry_loop_rides_out_a_cut_and_counts_everything_once(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    for name in ["street-4000x3000.jpg", "orient-3.jpg"] {
        capture(&engine, &[fixtures().join("photos").join(name)], RUBBISH);
    }
    let token = enroll(&s, &engine).await;
    // Records go through; the connection breaks inside the first photo.
    let mut link = Profile::clear();
    link.cut_once_at = Some(60_000);
    let proxy = Proxy::start(s.url.trim_start_matches("http://").parse().unwrap(), link)
        .await
        .unwrap();
    let client = connect(&engine, &proxy.url(), &token).with_chunk_size(32 * 1024);
    let policy = gridwalk_field::sync::RetryPolicy {
        base: std::time::Duration::from_millis(10),
        cap: std::time::Duration::from_millis(50),
        max_failures: Some(5),
    };
    let done = engine
        .sync_until_done(&client, "test", policy, None)
        .await
        .unwrap();
    assert_eq!(proxy.stats().cuts.load(Ordering::SeqCst), 1);
    assert_eq!(
        (done.sent, done.rejected),
        (2, 0),
        "sent in the round that was cut"
    );
    assert_eq!(done.photos.uploaded, 2);
    assert_eq!(s.store.report_count().await.unwrap(), 2);
    let status = engine.sync_status().unwrap();
    assert_eq!((status.failures, status.last_error), (0, None));
    s.finish().await;
}

on_every_backend!(
    the_retry_loop_rides_out_a_cut_and_counts_everything_once,
    the_tus_protocol_as_a_plain_client_sees_it,
    a_wrong_photo_is_discarded_and_an_unfinished_upload_expires,
    every_photo_arrives_once_byte_for_byte_and_held_ones_are_not_resent,
    a_connection_cut_mid_photo_resumes_without_resending_more_than_a_chunk,
);
