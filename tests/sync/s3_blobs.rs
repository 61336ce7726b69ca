//! Photos on S3: the server with `--blobs s3://bucket/prefix` against a real S3 API — moto's
//! server from PyPI, in the test virtualenv — takes an engine's photos over tus, resumes
//! after a cut (parts listed and removed through S3), and holds each byte for byte.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::sync::atomic::Ordering;

use gridwalk_netem::{Profile, Proxy};
use gridwalk_sync::blobs::BlobStore;
use gridwalk_sync::services::uploads::UploadSettings;
use gridwalk_system_tests::*;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Starts moto's S3 server on a free port; returns it and its URL.
async fn moto() -> (tokio::process::Child, String) {
    let bin = tokio::task::spawn_blocking(python_venv).await.unwrap();
    // `python -m`, not the `moto_server` script: a script's first line names the venv's
    // path when it was made, so a target directory moved since would break it.
    let mut child = tokio::process::Command::new(bin.join("python"))
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Werkzeug says where it listens on stderr (newer releases) or stdout.
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = tokio::select! {
            l = err.next_line() => l.unwrap(),
            l = out.next_line() => l.unwrap(),
        }
        .expect("moto_server exited before listening");
        if let Some(at) = line.find("http://127.0.0.1:") {
            break line[at..].split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move {
        loop {
            tokio::select! {
                l = err.next_line() => if !matches!(l, Ok(Some(_))) { break },
                l = out.next_line() => if !matches!(l, Ok(Some(_))) { break },
            }
        }
    });
    (child, url)
}

async fn photos_go_to_s3_through_resumed_uploads(backend: Backend) {
    let (_moto, endpoint) = moto().await;
    let bucket = format!("gridwalk-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{created:?}");
    let blobs = BlobStore::open_with(
        &format!("s3://{bucket}/city/photos"),
        [
            ("aws_endpoint", endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "test"),
            ("aws_secret_access_key", "test"),
        ],
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (store, pg_schema) = case_store(backend, dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = serve_blobs(
        store,
        pg_schema,
        dir,
        UploadSettings::default(),
        listener,
        blobs,
        std::path::PathBuf::new(),
    );

    let device_dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(device_dir.path());
    capture(
        &engine,
        &[
            fixtures().join("photos/street-4000x3000.jpg"),
            fixtures().join("photos/orient-8.jpg"),
        ],
        RUBBISH,
    );
    let token = enroll(&s, &engine).await;
    push_records(&engine, &connect(&engine, &s.url, &token)).await;

    // The first photo is cut off half way, so its first part sits in S3 for a while.
    let mut link = Profile::clear();
    link.cut_once_at = Some(100_000);
    let proxy = Proxy::start(s.url.trim_start_matches("http://").parse().unwrap(), link)
        .await
        .unwrap();
    let client = connect(&engine, &proxy.url(), &token).with_chunk_size(64 * 1024);
    assert!(engine.sync_once(&client, "test").await.is_err());
    assert_eq!(proxy.stats().cuts.load(Ordering::SeqCst), 1);
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(done.photos.uploaded, 2);

    for r in engine.reports(gridwalk_field::ReportState::Sent).unwrap() {
        let stored = s.store.report(r.id).await.unwrap().unwrap();
        assert_eq!(stored.state.as_str(), "pending_review");
        for p in &stored.report.photos {
            assert_eq!(
                s.blobs.photo(&p.sha256).await.unwrap(),
                device_photo(device_dir.path(), &p.sha256),
                "byte for byte, read back from S3"
            );
        }
    }
    // The photos are where the URL said, and no upload parts are left behind.
    let listing = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        listing.matches("<Key>city/photos/photos/").count(),
        2,
        "{listing}"
    );
    assert!(!listing.contains("/uploads/"), "{listing}");
    s.finish().await;
}

on_every_backend!(photos_go_to_s3_through_resumed_uploads);
